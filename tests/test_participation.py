"""The Participation page's view: its KPI cards, monthly trend and notable events, on small frames whose
answers are worked out by hand (tests/participation_data.py); every figure comes from cpdash.metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from participation_data import (
    COFFEE,
    NAMES,
    NAN,
    PERIOD,
    SPORTS,
    TOWN_HALL,
    D,
    areas_frame,
    attendees_frame,
    event_frame,
    events_frame,
    source_of,
)

from cpdash.charts import participation_trend as charts
from cpdash.data.filters import rows_in_period, select
from cpdash.metrics.engagement import engagement
from cpdash.metrics.periods import LAST_YEAR, Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import overview as ov
from cpdash.views import participation as p
from cpdash.views import participation_notable as nb
from cpdash.views import participation_programs as pm
from cpdash.views import participation_reach as pr
from cpdash.views import participation_trend as pt
from tests import oracle

STAFF = Policy(3, public=False)


@pytest.fixture
def src():
    """The source of the hand-worked data set, attendee records included."""
    return source_of(events_frame(), areas_frame(), attendees_frame())


def view(
    src, f: Filters = PERIOD, split: str = "program", measure: str = "attendance", **kw
) -> p.Participation:
    """The page's view of `src` (notable events from the hand-worked events)."""
    found = nb.notables(src.ds.events)
    return p.participation(src, found, f, kw.pop("policy", STAFF), NAMES, split=split, measure=measure, **kw)


def trend_of(src, f: Filters = PERIOD, split: str = "program", measure: str = "attendance") -> pt.Trend:
    """The trend of `src` for the filters."""
    return pt.trend(src, nb.notable_events(nb.notables(src.ds.events), f, NAMES), f, split, measure, NAMES)


def cards(v: p.Participation) -> dict[str, p.Card]:
    """The KPI cards by key."""
    return {card.key: card for card in v.cards}


def test_computing_the_view_leaves_the_frames_unchanged():
    frames = [events_frame(), areas_frame(), attendees_frame()]
    copies = [f.copy(deep=True) for f in frames]
    view(source_of(*frames))
    for before, after in zip(copies, frames, strict=True):
        pd.testing.assert_frame_equal(before, after)


# --- the engine agrees with the former definitions ---------------------------------------------------


def random_events(seed: int, n: int = 400) -> pd.DataFrame:
    """Random events over two years with gaps in every optional figure."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730 * 24, n), unit="h")
    att = rng.integers(0, 200, n).astype("float64")
    att[rng.random(n) < 0.15] = NAN
    youth = np.minimum(rng.integers(0, 60, n), np.nan_to_num(att)).astype("float64")
    youth[rng.random(n) < 0.3] = NAN
    hours = rng.random(n) * 10
    hours[rng.random(n) < 0.1] = NAN
    cost = rng.random(n) * 1000
    cost[rng.random(n) < 0.2] = NAN
    frame = pd.DataFrame(
        {
            "event_id": [f"R{i}" for i in range(n)],
            "start": start,
            "program": rng.choice([COFFEE, TOWN_HALL, SPORTS, "Block party"], n),
            "area_id": rng.choice(["A", "B", "C"], n, p=[0.5, 0.4, 0.1]),
            "attendance": att,
            "youth_attendance": youth,
            "officer_hours": hours,
            "cost": cost,
        }
    )
    return frame.sort_values("start").reset_index(drop=True)


FILTER_CASES = [
    Filters(D(2025, 1, 1), D(2025, 3, 31)),
    Filters(D(2024, 2, 10), D(2025, 8, 17), ("A", "C")),
    Filters(D(2025, 4, 1), D(2025, 12, 31), (), (COFFEE, SPORTS)),
    Filters(D(2024, 6, 15), D(2024, 6, 15), ("B",), (TOWN_HALL,)),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("f", FILTER_CASES)
def test_the_page_figures_equal_the_former_definitions(seed, f):
    events, areas = random_events(seed), areas_frame()
    src = source_of(events, areas)
    chosen = select(events, f, None, by_program=True)

    expected = oracle.engagement_by(events, f, ("program",))
    expected = expected[expected["events"] > 0]
    got = pm.program_table(src, f, None).set_index("program").loc[expected["program"]]
    for column in ("events", "attendance", "youth_share", "officer_hours", "cost", "cost_per_attendee"):
        np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float), equal_nan=True)

    expected = oracle.engagement_by_area(events, areas, f)
    got = pr.reach_table(src, f).set_index("area_id").loc[expected["area_id"]]
    np.testing.assert_array_equal(got["events"], expected["events"])
    np.testing.assert_allclose(got["attendance"], expected["attendance"], equal_nan=True)
    np.testing.assert_allclose(got["per_10k"], expected["attendance_per_10k"], equal_nan=True)

    monthly = oracle.engagement_by(events, f, ("month",))
    totals = pt.monthly_totals(src, f, "attendance", pt.first_event_month(src)).set_index("month")
    if len(monthly):
        mine = totals.loc[monthly["month"]]
        np.testing.assert_array_equal(mine["events"], monthly["events"])
        np.testing.assert_allclose(
            mine["attendance"].astype(float), monthly["attendance"].astype(float), equal_nan=True
        )
    assert totals["events"].sum() == len(rows_in_period(chosen, "start", f.start, f.end))

    theirs, mine = oracle.engagement_total(events, areas, f), engagement(src, f)
    assert mine.events == theirs["events"]
    for field in ("attendance", "youth_share", "officer_hours", "cost_per_attendee", "areas_in_scope"):
        assert getattr(mine, field) == pytest.approx(theirs[field], nan_ok=True)


# --- KPI cards -----------------------------------------------------------------------------------------


def test_kpi_cards_use_only_counted_events(src):
    c = cards(view(src))
    assert [card.label for card in c.values()] == [
        "Events",
        "Attendance",
        "Under-18s",
        "Officer hours",
        "Cost/attendee",
    ]
    assert (c["events"].value, c["events"].delta) == ("5", "+3 (+150 %)")  # 2 in the previous period
    assert (c["attendance"].value, c["attendance"].delta) == ("1,100", "+500 (+83 %)")  # C2 left out, not 0
    assert c["youth"].value == "660" and "Youth share: 66 %" in c["youth"].help  # 660 of 1,000 (C1, C3, C4)
    assert c["hours"].value == "26"
    assert c["cost"].value == "$0.59" and c["cost"].inverse  # 650 / 1,100: C2's cost has no attendance
    assert c["cost"].delta == "-70 %"  # $2.00 (1,200 / 600) before
    e = engagement(src, PERIOD)
    assert (e.areas_in_scope, e.areas_without_event) == (3, ("C",))


def test_missing_attendance_is_said_in_words(src):
    v = view(src)
    assert (
        "Attendance: 1 of 5 events have no count; totals and averages use only the events that have one."
        in (v.notes)
    )
    assert v.intro.startswith("Who takes part, how often, and at what cost. Changes compare with the period")


def test_events_and_attendance_read_as_on_the_overview(src):
    ours, theirs = (
        cards(view(src, policy=Policy(10))),
        {c.key: c for c in ov.overview(src, PERIOD, Policy(10)).cards},
    )
    for key in ("events", "attendance"):
        assert ours[key] == theirs[key]


def test_no_change_is_shown_against_a_period_before_the_data(src):
    v = view(src, Filters(D(2024, 1, 15), D(2024, 3, 31)))  # the previous period ends before the first event
    assert all(card.delta is None for card in v.cards)
    assert any(note.startswith("No change is shown: the data starts on 15 Jan 2024") for note in v.notes)
    assert v.programs.table["events_before"].isna().all()
    assert "New this period" not in v.programs.caption


def test_compared_with_the_same_period_last_year(src):
    f = Filters(D(2025, 2, 1), D(2025, 3, 31))  # a year before: L2 and L3 (the data starts on 15 Jan 2024)
    v = view(src, f, compare=LAST_YEAR)
    assert "the same period last year (1 Feb 2024 – 31 Mar 2024)" in v.intro
    assert cards(v)["events"].delta == "+1 (+50 %)"  # C3, C4, C5 against L2, L3
    assert cards(v)["attendance"].delta == "+500 (+125 %)"  # 900 against 400
    assert v.programs.compared == "same period last year"
    table = v.programs.table.set_index("program")
    assert table.loc[COFFEE, "attendance_before"] == 100 and table.loc[COFFEE, "attendance_change_pct"] == 0
    assert table.loc[TOWN_HALL, "events"] == 0 and table.loc[TOWN_HALL, "attendance_before"] == 300
    assert "Attendance, same period last year" in pm.program_download(v.programs).columns
    assert not any(note.startswith("No change is shown") for note in v.notes)


def test_an_event_without_any_count_is_unknown_not_zero():
    src = source_of(event_frame([("X", "2025-02-01", COFFEE, "A", NAN, NAN, 1, 10)]))
    f = Filters(D(2025, 2, 1), D(2025, 2, 28))
    assert cards(view(src, f))["attendance"].value == "—"
    row = pr.reach_table(src, f).set_index("area_id").loc["A"]
    assert math.isnan(row["attendance"]) and math.isnan(row["per_10k"])
    assert row["note"] == "attendance not counted"
    assert math.isnan(
        pt.monthly_totals(src, f, "attendance", pt.first_event_month(src))["attendance"].iloc[0]
    )
    t = trend_of(src, f)
    assert t.empty and "attendance count" in t.empty
    assert "has an attendance count" in t.caption
    assert trend_of(src, f, measure="events").empty is None


def test_events_without_an_attendance_column():
    events = event_frame([("X", "2025-02-01", COFFEE, "A", 1, 1, 1, 10)])
    src = source_of(events.drop(columns=["attendance", "youth_attendance", "cost"]))
    v = view(src, Filters(D(2025, 2, 1), D(2025, 2, 28)))
    c = cards(v)
    assert c["events"].value == "1" and c["attendance"].value == "—" and c["cost"].value == "—"
    assert "needs event costs and attendance counts" in v.programs.caption
    assert v.reach.empty and "attendance count" in v.reach.empty


# --- monthly trend -------------------------------------------------------------------------------------


def test_monthly_totals_with_rolling_average_and_last_year(src):
    m = pt.monthly_totals(src, PERIOD, "attendance", pt.first_event_month(src))
    assert list(m["month"]) == list(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]))
    assert list(m["events"]) == [2, 1, 2]
    assert list(m["attendance"]) == [200, 300, 600]
    assert list(m["events_without_attendance"]) == [1, 0, 0]
    # Nov 200 and Dec 400 come before the period
    np.testing.assert_allclose(
        m["rolling"], [(200 + 400 + 200) / 3, (400 + 200 + 300) / 3, (200 + 300 + 600) / 3]
    )
    assert list(m["last_year"]) == [100, 100, 300]


def test_months_before_the_data_are_unknown_not_zero(src):
    first = pt.first_event_month(src)
    early = Filters(D(2024, 1, 1), D(2024, 3, 31))
    m = pt.monthly_totals(src, early, "attendance", first)
    assert m["last_year"].isna().all()
    assert m["rolling"].isna().tolist() == [True, True, False]  # Nov and Dec 2023 are before the data
    assert not pt.last_year_covered(early, first)
    assert pt.last_year_covered(PERIOD, first)


def test_monthly_by_group_keeps_the_top_groups_and_sums_the_rest(src):
    wide = pt.monthly_by_group(src, PERIOD, "program", NAMES, top=1)
    assert list(wide.index) == [SPORTS, "Other programs"]
    assert wide.loc[SPORTS].tolist() == [0, 300, 500]
    assert wide.loc["Other programs"].tolist() == [200, 0, 100]  # C2 uncounted: Jan is Coffee's 200
    by_area = pt.monthly_by_group(src, PERIOD, "area", NAMES, top=None, measure="events")
    assert list(by_area.index) == ["Alder", "Birch"]  # Cedar had no event
    assert by_area.loc["Birch"].tolist() == [1, 0, 1]


def test_trend_caption_names_the_change_and_its_driver(src):
    t = trend_of(src)
    assert t.caption.startswith(
        "Attendance rose 120 % on the same months last year (500 → 1,100), driven by "
        "Youth sports and activities (+800)."
    )
    assert "1 event without an attendance count is left out." in t.caption
    by_area = trend_of(src, split="area", measure="events")
    assert by_area.caption.startswith(
        "Events rose 67 % on the same months last year (3 → 5), driven by Alder (+1)."
    )


def test_trend_caption_without_last_year_names_the_busiest_month():
    src = source_of(
        event_frame(
            [("X", "2025-02-01", COFFEE, "A", 40, 0, 1, 10), ("Y", "2025-03-05", COFFEE, "A", 60, 0, 1, 10)]
        )
    )
    t = trend_of(src, Filters(D(2025, 2, 1), D(2025, 3, 31)))
    assert t.caption.startswith("100 people over 2 months; the busiest was March 2025 (60).")
    assert "does not reach back a full year" in t.caption


def test_a_single_month_of_data():
    src = source_of(
        event_frame(
            [("X", "2025-02-03", COFFEE, "A", 40, 4, 2, 100), ("Y", "2025-02-20", SPORTS, "B", 10, 8, 2, 50)]
        )
    )
    v = view(src, Filters(D(2025, 2, 1), D(2025, 2, 28)))
    t = v.trend
    assert t.empty is None and len(t.months) == 1
    assert t.caption.startswith("50 people in February 2025.")
    assert math.isnan(t.months["rolling"].iloc[0])  # no month before the data
    assert v.season.matrix.shape == (2, 1)
    assert v.season.caption.startswith("Only one month in the period (February 2025)")
    assert set(v.programs.table["program"]) == {COFFEE, SPORTS}
    assert v.programs.table["attendance_change_pct"].isna().all()
    assert list(v.reach.table["name"][:2]) == ["Alder", "Birch"]  # 40 per 10,000 against 20
    assert v.reach.no_event_text == "No engagement in 1 area: Cedar."


def test_many_small_groups_are_pointed_out():
    months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    groups = pd.DataFrame(
        [[10.0, 10.0], [5.0, NAN], [80.0, 90.0]], index=["Alder", "Birch", "Other areas"], columns=months
    )
    assert pt.spread_note(groups, "area", "attendance") == (
        "The 2 busiest areas hold 13 % of the attendance; choose areas in the sidebar to compare particular ones."
    )
    assert pt.spread_note(groups.drop(index="Other areas"), "area", "attendance") is None
    assert pt.spread_note(groups.mul([1.0, 1.0, 0.1], axis=0), "area", "events") is None


def test_trend_download_has_one_row_per_month(src):
    table = pt.trend_download(trend_of(src))
    assert list(table["Month"]) == ["2025-01", "2025-02", "2025-03"]
    assert list(table["Attendance"]) == [200, 300, 600]
    assert list(table["Attendance: Youth sports and activities"]) == [0, 300, 500]
    assert list(table["Attendance, same month last year"]) == [100, 100, 300]


# --- notable events ------------------------------------------------------------------------------------


def notable_rows() -> pd.DataFrame:
    """A watch in 2023 (the data's start), two launches in 2024, a one-off and an unusually large town hall."""
    rows = [(f"W{i}", f"2023-0{1 + i}-10", "Neighbourhood watch", "A", 10, 0, 1, 10) for i in range(3)]
    rows += [(f"M{i}", f"2024-0{3 + i}-0{1 + i}", "Youth mentorship", "B", 10, 10, 1, 10) for i in range(3)]
    rows += [("ONE", "2024-03-15", "Block party", "A", 50, 0, 1, 10)]  # a one-off: not a launch
    rows += [(f"H{i}", f"2024-0{4 + i}-20", TOWN_HALL, "A", 50, 0, 1, 10) for i in range(4)]
    rows += [("BIG", "2024-09-20", TOWN_HALL, "A", 400, 0, 1, 10)]  # 8 times the median of 50
    return event_frame(rows)


def test_notable_events_mark_launches_and_unusually_large_events():
    found = nb.notables(notable_rows())
    assert found.typical[TOWN_HALL] == 50  # the one median per program, over the whole data
    notable = nb.notable_events(found, Filters(D(2024, 1, 1), D(2024, 12, 31)), NAMES)
    launches = notable[notable["kind"] == "launch"]
    assert launches["label"].tolist() == ["Youth mentorship began in Birch", "Town hall began in Alder"]
    large = notable[notable["kind"] == "large"]
    assert large["label"].tolist() == ["Town hall in Alder: 400 people"]
    assert notable["marked"].all()
    download = nb.notable_download(notable)
    assert list(download["Kind"]) == ["program launch", "program launch", "unusually large"]
    assert download["Typical attendance of the program (median)"].tolist()[-1] == 50
    # the watch began with the data: the data does not reach a year before them
    assert nb.notable_events(found, Filters(D(2023, 1, 1), D(2023, 12, 31)), NAMES).empty


def test_notable_events_follow_the_filters():
    found = nb.notables(notable_rows())
    year = Filters(D(2024, 1, 1), D(2024, 12, 31))
    assert nb.notable_events(found, year.with_areas(("B",)), NAMES)["program"].tolist() == [
        "Youth mentorship"
    ]
    only = Filters(year.start, year.end, (), (TOWN_HALL,))
    assert nb.notable_events(found, only, NAMES)["kind"].tolist() == ["launch", "large"]


def test_trend_chart_carries_groups_last_year_rolling_and_notable(src):
    t = trend_of(src)
    notable = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-02-14"]),
            "month": pd.to_datetime(["2025-02-01"]),
            "kind": ["large"],
            "program": [SPORTS],
            "area": ["<b>Alder</b>"],
            "attendance": [300.0],
            "label": ["Youth sports in <b>Alder</b>: 300 people"],
            "marked": [True],
        }
    )
    fig = charts.trend_chart(t.groups, t.months, notable, "attendance", "Program")
    names = [trace.name for trace in fig.data]
    assert names == [SPORTS, COFFEE, TOWN_HALL, "Same month last year", "3-month average", "Notable events"]
    assert list(fig.data[0].y) == [0, 300, 500]
    assert list(fig.data[3].y) == [100, 100, 300]
    assert fig.layout.barmode == "stack"
    star = fig.data[-1]
    assert list(star.x) == ["2025-02-01"] and "&lt;b&gt;Alder&lt;/b&gt;" in star.text[0]
