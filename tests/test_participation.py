"""Participation figures (cpdash.participation) and charts, on small frames whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from cpdash.charts import participation as charts
from cpdash.data.filters import rows_in_period, select
from cpdash.data.schema import AGE_SHARE_COLUMNS
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.views import participation as p

D = dt.date
NAN = float("nan")
PERIOD = Filters(D(2025, 1, 1), D(2025, 3, 31))  # 90 days: the previous period is 3 Oct - 31 Dec 2024
SHARES_A = (0.2, 0.1, 0.2, 0.2, 0.2, 0.1)  # under 18, 18-24, 25-34, 35-49, 50-64, 65+
SHARES_B = (0.4, 0.1, 0.1, 0.1, 0.1, 0.2)


@pytest.fixture
def areas() -> pd.DataFrame:
    """Alder (10,000 residents), Birch (5,000) and Cedar (20,000, never an event, no age shares)."""
    frame = pd.DataFrame(
        {
            "area_id": ["A", "B", "C"],
            "name": ["Alder", "Birch", "Cedar"],
            "level": ["beat"] * 3,
            "population": [10_000.0, 5_000.0, 20_000.0],
        }
    )
    for i, column in enumerate(AGE_SHARE_COLUMNS.values()):
        frame[column] = [SHARES_A[i], SHARES_B[i], NAN]
    return frame


def event_frame(rows: list[tuple]) -> pd.DataFrame:
    """Events from (id, start, program, area, attendance, youth, hours, cost) tuples."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "event_id",
            "start",
            "program",
            "area_id",
            "attendance",
            "youth_attendance",
            "officer_hours",
            "cost",
        ],
    )
    frame["start"] = pd.to_datetime(frame["start"], format="ISO8601")
    for column in ("attendance", "youth_attendance", "officer_hours", "cost"):
        frame[column] = frame[column].astype("float64")
    return frame.sort_values("start").reset_index(drop=True)


COFFEE, TOWN_HALL, SPORTS = "Coffee with a Cop", "Town hall", "Youth sports and activities"


@pytest.fixture
def events() -> pd.DataFrame:
    """Three events in Jan-Mar 2024, two in the previous period, five in Jan-Mar 2025 (one uncounted)."""
    return event_frame(
        [
            ("L1", "2024-01-15", COFFEE, "A", 100, 0, 2, 100),
            ("L2", "2024-02-15", COFFEE, "A", 100, 0, 2, 100),
            ("L3", "2024-03-15", TOWN_HALL, "B", 300, 0, 6, 900),
            ("P1", "2024-11-10", COFFEE, "A", 200, 20, 4, 200),
            ("P2", "2024-12-10", TOWN_HALL, "B", 400, 0, 10, 1000),
            ("C1", "2025-01-05 08:00", COFFEE, "A", 200, 20, 4, 100),
            ("C2", "2025-01-20 18:00", TOWN_HALL, "B", NAN, NAN, 6, 500),
            ("C3", "2025-02-14", SPORTS, "A", 300, 240, 6, 300),
            ("C4", "2025-03-01", SPORTS, "B", 500, 400, 8, 200),
            ("C5", "2025-03-31 20:00", COFFEE, "A", 100, NAN, 2, 50),
        ]
    )


@pytest.fixture
def attendees() -> pd.DataFrame:
    """Q1 at C1 and C3; Q2 at C1; Q3 at P1 (Nov 2024) and C5; Q4 at C4 (no age); one unknown event; a duplicate."""
    return pd.DataFrame(
        {
            "event_id": ["C1", "C3", "C1", "P1", "C5", "C4", "E999", "C1"],
            "participant_key": ["Q1", "Q1", "Q2", "Q3", "Q3", "Q4", "Q5", "Q1"],
            "age_group": ["18-24", "18-24", "65+", "under 18", "under 18", None, "25-34", "18-24"],
        }
    )


@pytest.fixture
def basis(events, areas, attendees) -> p.Basis:
    """The basis of the fixture data set."""
    return p.build_basis(events, areas, attendees)


NAMES = {"A": "Alder", "B": "Birch", "C": "Cedar"}


# --- the basis and its agreement with cpdash.metrics ------------------------------------------------


def test_building_the_basis_leaves_the_frames_unchanged(events, areas, attendees):
    copies = [f.copy(deep=True) for f in (events, areas, attendees)]
    p.build_basis(events, areas, attendees)
    for before, after in zip(copies, (events, areas, attendees), strict=True):
        pd.testing.assert_frame_equal(before, after)


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
def test_sums_agree_with_cpdash_metrics(seed, f, areas):
    events = random_events(seed)
    b = p.build_basis(events, areas)
    chosen = select(events, f, None, by_program=True)
    area_ids = list(f.areas) or None

    expected = metrics.engagement_by(chosen, areas, f.start, f.end, by="program")
    got = p.program_figures(b, f, f.start, f.end)
    assert list(got["program"]) == list(expected["program"])
    for column in metrics.ENGAGEMENT_BY_COLUMNS:
        np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float), equal_nan=True)

    expected = metrics.engagement_by(chosen, areas, f.start, f.end, by="area_id", area_ids=area_ids)
    got = p.reach_table(b, f).set_index("area_id").loc[expected["area_id"]]
    np.testing.assert_array_equal(got["events"], expected["events"])
    np.testing.assert_allclose(got["attendance"], expected["attendance"], equal_nan=True)
    np.testing.assert_allclose(got["per_10k"], expected["attendance_per_10k"], equal_nan=True)

    monthly = metrics.monthly_engagement(rows_in_period(chosen, "start", f.start, f.end))
    totals = p.monthly_totals(b, f).set_index("month")
    if len(monthly):
        mine = totals.loc[monthly["month"]]
        np.testing.assert_array_equal(mine["events"], monthly["events"])
        np.testing.assert_allclose(mine["attendance"], monthly["attendance"], equal_nan=True)
        np.testing.assert_array_equal(mine["events_without_attendance"], monthly["events_without_attendance"])
    assert totals["events"].sum() == len(rows_in_period(chosen, "start", f.start, f.end))

    engagement = metrics.engagement(chosen, areas, f.start, f.end, area_ids)
    kpis = p.kpis(b, f)
    assert kpis.now["events"] == engagement.events
    for mine, theirs in [
        (kpis.now["attendance"], engagement.attendance),
        (kpis.now["youth_share"], engagement.youth_share),
        (kpis.now["officer_hours"], engagement.officer_hours),
        (kpis.now["cost_per_attendee"], engagement.cost_per_attendee),
    ]:
        assert mine == pytest.approx(theirs, nan_ok=True)
    assert kpis.areas_without_event == len(engagement.areas_without_event)
    assert kpis.areas_in_scope == engagement.areas_in_scope


# --- KPIs and missing attendance -------------------------------------------------------------------


def test_kpis_use_only_counted_events(basis):
    k = p.kpis(basis, PERIOD)
    assert k.now["events"] == 5
    assert k.now["attendance"] == 1100  # C2 has no count: left out, not zero
    assert k.now["events_without_attendance"] == 1
    assert k.now["youth_attendance"] == 660
    assert k.now["youth_share"] == pytest.approx(660 / 1000)  # C1, C3, C4: both counts known
    assert k.now["officer_hours"] == 26
    assert k.now["cost_per_attendee"] == pytest.approx(650 / 1100)  # C2's cost has no attendance
    assert k.before["events"] == 2 and k.before["attendance"] == 600
    assert (k.areas_in_scope, k.areas_without_event) == (3, 1)


def test_missing_attendance_is_said_in_words():
    assert p.missing_note(5, 1).startswith("1 of 5 events have no attendance count")
    assert "not counted as zero" in p.missing_note(5, 1)
    assert p.missing_note(5, 0) is None
    assert p.missing_note(0, 0) is None


def test_an_event_without_any_count_is_unknown_not_zero(areas):
    events = event_frame([("X", "2025-02-01", COFFEE, "A", NAN, NAN, 1, 10)])
    b = p.build_basis(events, areas)
    f = Filters(D(2025, 2, 1), D(2025, 2, 28))
    assert math.isnan(p.kpis(b, f).now["attendance"])
    row = p.reach_table(b, f).set_index("area_id").loc["A"]
    assert math.isnan(row["attendance"]) and math.isnan(row["per_10k"])
    assert row["note"] == "attendance not counted"
    assert math.isnan(p.monthly_totals(b, f)["attendance"].iloc[0])
    t = p.trend(b, f, "program", "attendance", NAMES)
    assert t.empty and "attendance count" in t.empty
    assert "has an attendance count" in t.caption
    assert p.trend(b, f, "program", "events", NAMES).empty is None


def test_events_without_an_attendance_column(areas):
    events = event_frame([("X", "2025-02-01", COFFEE, "A", 1, 1, 1, 10)]).drop(
        columns=["attendance", "youth_attendance", "cost"]
    )
    b = p.build_basis(events, areas)
    f = Filters(D(2025, 2, 1), D(2025, 2, 28))
    k = p.kpis(b, f)
    assert k.now["events"] == 1 and math.isnan(k.now["attendance"]) and math.isnan(k.now["cost_per_attendee"])
    mix = p.program_mix(b, f)
    assert "needs event costs and attendance counts" in mix.caption
    r = p.reach(b, f)
    assert r.empty and "attendance count" in r.empty


# --- monthly trend ---------------------------------------------------------------------------------


def test_monthly_totals_with_rolling_average_and_last_year(basis):
    m = p.monthly_totals(basis, PERIOD)
    assert list(m["month"]) == list(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]))
    assert list(m["events"]) == [2, 1, 2]
    assert list(m["attendance"]) == [200, 300, 600]
    assert list(m["events_without_attendance"]) == [1, 0, 0]
    # Nov 200 and Dec 400 come before the period
    np.testing.assert_allclose(
        m["rolling"], [(200 + 400 + 200) / 3, (400 + 200 + 300) / 3, (200 + 300 + 600) / 3]
    )
    assert list(m["last_year"]) == [100, 100, 300]


def test_months_before_the_data_are_unknown_not_zero(basis):
    m = p.monthly_totals(basis, Filters(D(2024, 1, 1), D(2024, 3, 31)))
    assert m["last_year"].isna().all()
    assert m["rolling"].isna().tolist() == [True, True, False]  # Nov and Dec 2023 are before the data
    assert not p.last_year_covered(basis, Filters(D(2024, 1, 1), D(2024, 3, 31)))
    assert p.last_year_covered(basis, PERIOD)


def test_monthly_by_group_keeps_the_top_groups_and_sums_the_rest(basis):
    wide = p.monthly_by_group(basis, PERIOD, "program", NAMES, top=1)
    assert list(wide.index) == [SPORTS, "Other programs"]
    assert wide.loc[SPORTS].tolist() == [0, 300, 500]
    assert wide.loc["Other programs"].tolist() == [200, 0, 100]  # C2 uncounted: Jan is Coffee's 200
    by_area = p.monthly_by_group(basis, PERIOD, "area", NAMES, top=None, measure="events")
    assert list(by_area.index) == ["Alder", "Birch"]  # Cedar had no event
    assert by_area.loc["Birch"].tolist() == [1, 0, 1]


def test_trend_caption_names_the_change_and_its_driver(basis):
    t = p.trend(basis, PERIOD, "program", "attendance", NAMES)
    assert t.caption.startswith(
        "Attendance rose 120 % on the same months last year (500 → 1,100), driven by "
        "Youth sports and activities (+800)."
    )
    assert "1 event without an attendance count is left out." in t.caption
    by_area = p.trend(basis, PERIOD, "area", "events", NAMES)
    assert by_area.caption.startswith(
        "Events rose 67 % on the same months last year (3 → 5), driven by Alder (+1)."
    )


def test_trend_caption_without_last_year_names_the_busiest_month(areas):
    events = event_frame(
        [("X", "2025-02-01", COFFEE, "A", 40, 0, 1, 10), ("Y", "2025-03-05", COFFEE, "A", 60, 0, 1, 10)]
    )
    b = p.build_basis(events, areas)
    t = p.trend(b, Filters(D(2025, 2, 1), D(2025, 3, 31)), "program", "attendance", NAMES)
    assert t.caption.startswith("100 people over 2 months; the busiest was March 2025 (60).")
    assert "does not reach back a full year" in t.caption


def test_a_single_month_of_data(areas):
    events = event_frame(
        [("X", "2025-02-03", COFFEE, "A", 40, 4, 2, 100), ("Y", "2025-02-20", SPORTS, "B", 10, 8, 2, 50)]
    )
    b = p.build_basis(events, areas, None)
    f = Filters(D(2025, 2, 1), D(2025, 2, 28))
    t = p.trend(b, f, "program", "attendance", NAMES)
    assert t.empty is None and len(t.months) == 1
    assert t.caption.startswith("50 people in February 2025.")
    assert math.isnan(t.months["rolling"].iloc[0])  # no month before the data
    s = p.seasonality(b, f)
    assert s.matrix.shape == (2, 1)
    assert s.caption.startswith("Only one month in the period (February 2025)")
    mix = p.program_mix(b, f)
    assert set(mix.table["program"]) == {COFFEE, SPORTS}
    assert mix.table["attendance_change_pct"].isna().all()
    r = p.reach(b, f)
    assert list(r.table["name"][:2]) == ["Alder", "Birch"]  # 40 per 10,000 against 20
    assert r.no_event_text == "No engagement in 1 area: Cedar."


def test_notable_events_mark_launches_and_unusually_large_events(areas):
    rows = [(f"W{i}", f"2023-0{1 + i}-10", "Neighbourhood watch", "A", 10, 0, 1, 10) for i in range(3)]
    rows += [(f"M{i}", f"2024-0{3 + i}-0{1 + i}", "Youth mentorship", "B", 10, 10, 1, 10) for i in range(3)]
    rows += [("ONE", "2024-03-15", "Block party", "A", 50, 0, 1, 10)]  # a one-off: not a launch
    rows += [(f"H{i}", f"2024-0{4 + i}-20", TOWN_HALL, "A", 50, 0, 1, 10) for i in range(4)]
    rows += [("BIG", "2024-09-20", TOWN_HALL, "A", 400, 0, 1, 10)]  # 8 times the median of 50
    b = p.build_basis(event_frame(rows), areas)
    notable = p.notable_events(b, Filters(D(2024, 1, 1), D(2024, 12, 31)), NAMES)
    launches = notable[notable["kind"] == "launch"]
    assert launches["label"].tolist() == ["Youth mentorship began in Birch", "Town hall began in Alder"]
    large = notable[notable["kind"] == "large"]
    assert large["label"].tolist() == ["Town hall in Alder: 400 people"]
    assert notable["marked"].all()
    download = p.notable_download(notable)
    assert list(download["Kind"]) == ["program launch", "program launch", "unusually large"]
    # the first events of the data are not launches: the data does not reach a year before them
    assert p.notable_events(b, Filters(D(2023, 1, 1), D(2023, 12, 31)), NAMES).empty


def test_many_small_groups_are_pointed_out():
    months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    groups = pd.DataFrame(
        [[10.0, 10.0], [5.0, NAN], [80.0, 90.0]], index=["Alder", "Birch", "Other areas"], columns=months
    )
    assert p.spread_note(groups, "area", "attendance") == (
        "The 2 busiest areas hold 13 % of the attendance; choose areas in the sidebar to compare particular ones."
    )
    assert p.spread_note(groups.drop(index="Other areas"), "area", "attendance") is None
    assert p.spread_note(groups.mul([1.0, 1.0, 0.1], axis=0), "area", "events") is None


def test_trend_download_has_one_row_per_month(basis):
    t = p.trend(basis, PERIOD, "program", "attendance", NAMES)
    table = p.trend_download(t)
    assert list(table["Month"]) == ["2025-01", "2025-02", "2025-03"]
    assert list(table["Attendance"]) == [200, 300, 600]
    assert list(table["Attendance: Youth sports and activities"]) == [0, 300, 500]
    assert list(table["Attendance, same month last year"]) == [100, 100, 300]


# --- program mix -----------------------------------------------------------------------------------


def test_program_mix_with_change_against_the_previous_period(basis):
    mix = p.program_mix(basis, PERIOD)
    t = mix.table.set_index("program")
    assert list(t.index) == [SPORTS, COFFEE, TOWN_HALL]  # attendance 800, 300, unknown
    assert t.loc[COFFEE, "attendance"] == 300 and t.loc[COFFEE, "attendance_before"] == 200
    assert t.loc[COFFEE, "attendance_change_pct"] == pytest.approx(50)
    assert t.loc[COFFEE, "cost_per_attendee"] == pytest.approx(150 / 300)
    assert t.loc[SPORTS, "youth_attendance"] == 640
    assert t.loc[SPORTS, "events_before"] == 0 and t.loc[SPORTS, "events_change"] == 2
    assert math.isnan(t.loc[TOWN_HALL, "attendance"])
    assert t.loc[TOWN_HALL, "events_without_attendance"] == 1
    assert (mix.best, mix.worst) == (COFFEE, SPORTS)  # $0.50 and $0.62 per attendee
    assert mix.caption.startswith(
        "Most cost-effective: Coffee with a Cop at $0.50 per attendee; least: Youth sports and activities at $0.62."
    )
    assert "attendance at Coffee with a Cop rose 50 %" in mix.caption
    assert "New this period: Youth sports and activities." in mix.caption
    download = p.program_download(mix)
    assert download.loc[download["Program"] == COFFEE, "Attendance change (%)"].item() == 50


def test_cost_ranking_needs_enough_counted_attendees():
    mix = pd.DataFrame(
        {"program": ["a", "b", "c"], "attendance": [40.0, 500.0, 60.0], "cost_per_attendee": [1.0, 5.0, 9.0]}
    )
    assert p.cost_ranking(mix) == ("b", "c")  # a has fewer than 50 counted attendees
    assert p.cost_ranking(mix, minimum=10) == ("a", "c")
    assert p.cost_ranking(mix, minimum=100) == (None, None)
    caption = p.program_caption(
        mix.assign(attendance_change_pct=NAN, attendance_before=NAN, events_before=1), None, None
    )
    assert caption.startswith("Too few counted attendees to rank programs on cost")


# --- seasonality -----------------------------------------------------------------------------------


def test_seasonality_matrix_keeps_unknown_cells_blank(basis):
    s = p.seasonality(basis, PERIOD)
    assert list(s.matrix.index) == [SPORTS, COFFEE, TOWN_HALL]
    assert s.matrix.loc[SPORTS].tolist() == [0, 300, 500]
    assert s.matrix.loc[COFFEE].tolist() == [200, 0, 100]
    town_hall = s.matrix.loc[TOWN_HALL]
    assert math.isnan(town_hall.iloc[0]) and town_hall.iloc[1:].tolist() == [0, 0]
    assert s.caption.startswith("Busiest month: March 2025 (600 people).")
    assert "seasonality cannot be judged" in s.caption
    events = p.seasonality(basis, PERIOD, "events")
    assert events.matrix.loc[TOWN_HALL].tolist() == [1, 0, 0]
    assert list(p.seasonality_download(s).columns) == ["Program", "2025-01", "2025-02", "2025-03"]


def test_seasonality_names_the_most_seasonal_program(areas):
    rows = [(f"C{m}", f"2025-{m:02d}-10", COFFEE, "A", 20, 0, 1, 10) for m in range(1, 13)]
    rows += [(f"B{m}", f"2025-{m:02d}-12", "Block party", "B", 100, 0, 1, 10) for m in (6, 7, 8)]
    b = p.build_basis(event_frame(rows), areas)
    s = p.seasonality(b, Filters(D(2025, 1, 1), D(2025, 12, 31)))
    assert s.caption == (
        "Busiest month: June 2025 (120 people). "
        "Most seasonal: Block party, with 100 % of its attendance in Jun, Jul, Aug."
    )


# --- reach -----------------------------------------------------------------------------------------


def test_reach_per_10000_residents_ranked_with_areas_without_events_named(basis):
    r = p.reach(basis, PERIOD)
    t = r.table
    assert list(t["name"]) == ["Birch", "Alder", "Cedar"]
    assert list(t["per_10k"][:2]) == [1000, 600]  # 500 of 5,000 and 600 of 10,000
    assert list(t["rank"]) == [1, 2, 3]  # no event: 0 per 10,000, as cpdash.metrics counts it
    assert list(t["note"]) == ["", "", "no event"]
    assert r.no_event == ["Cedar"]
    assert r.no_event_text == "No engagement in 1 area: Cedar."
    assert r.caption == (
        "Reach ranges from 600 attendees per 10,000 residents in Alder to 1,000 in Birch (median 800)."
    )
    assert list(r.shown["part"]) == ["all", "all"]
    assert list(p.reach_download(r)["Area"]) == ["Birch", "Alder", "Cedar"]


def test_reach_chart_shows_the_top_and_bottom_of_many_areas():
    table = pd.DataFrame(
        {
            "area_id": [f"X{i:03d}" for i in range(300)],
            "name": [f"Area {i}" for i in range(300)],
            "population": 1000.0,
            "events": [1] * 290 + [0] * 10,
            "attendance": [float(300 - i) for i in range(300)],
            "per_10k": [float(300 - i) * 10 if i < 290 else NAN for i in range(300)],
        }
    )
    table["rank"] = table["per_10k"].rank(ascending=False)
    rows = p.reach_rows(table)
    assert len(rows) == 2 * p.REACH_SHOW
    assert list(rows["name"][:2]) == ["Area 0", "Area 1"]
    assert list(rows["name"][-1:]) == ["Area 289"]  # the least reached area that had events
    assert list(rows["part"]) == ["top"] * p.REACH_SHOW + ["bottom"] * p.REACH_SHOW
    fig = charts.reach_chart(rows, len(table))
    assert "the 10 most and 10 least reached of 300 areas" in fig.layout.title.text
    assert len(fig.data[0].y) == 20


def test_names_in_sentences_are_made_inert_in_markdown(areas):
    areas = areas.assign(name=["Alder", "Birch", "[x](http://e.test) *C*"])
    events = event_frame([("X", "2025-02-01", COFFEE, "A", 40, 0, 1, 10)])
    r = p.reach(p.build_basis(events, areas), Filters(D(2025, 2, 1), D(2025, 2, 28)))
    assert "](" not in r.no_event_text and "\\[x\\]" in r.no_event_text and "\\*C\\*" in r.no_event_text


def test_no_engagement_lists_at_most_a_dozen_names():
    assert p._names_sentence([f"N{i}" for i in range(15)]).endswith("N11 and 3 more")
    assert p._names_sentence(["A", "B", "C"]) == "A, B and C"


# --- repeat engagement -----------------------------------------------------------------------------


def test_repeat_engagement_from_attendee_records(basis):
    assert basis.attendees.unmatched == 1  # E999 is not an event; the duplicate Q1 at C1 counts once
    r = p.repeat_engagement(basis, PERIOD, k=3)
    assert (r.participants, r.repeat) == (4, 1)
    assert r.share_repeat == pytest.approx(0.25)
    assert (r.events_covered, r.events) == (4, 5)  # C2 has no records
    assert r.caption == (
        "25 % of the 4 participants with attendee records came to 2 or more events in the period (1 person)."
    )
    m = r.monthly
    assert list(m["participants"]) == [2, 1, 2]
    assert list(m["returning"]) == [0, 1, 1]  # Q1 back in February; Q3 (first seen in November) in March
    assert list(m["new"]) == [2, 0, 1]
    assert r.returning_caption.startswith(
        "In March 2025, 50 % of the 2 participants had been to an earlier event"
    )


def test_who_attends_beside_the_residents(basis):
    r = p.repeat_engagement(basis, PERIOD, k=3)
    ages = r.ages.set_index("age_group")
    assert ages["participants"].tolist() == [1, 1, 0, 0, 0, 1]
    assert r.unknown_age == 1  # Q4
    np.testing.assert_allclose(ages["share"], [1 / 3, 1 / 3, 0, 0, 0, 1 / 3])
    # Cedar has no shares: Alder (10,000) and Birch (5,000) weighted by population
    np.testing.assert_allclose(ages["population_share"], [4 / 15, 0.1, 2.5 / 15, 2.5 / 15, 2.5 / 15, 2 / 15])
    assert r.age_caption.startswith(
        "18-24 make up 33 % of participants but 10 % of residents; 25-34 are the most under-represented "
        "(0 % against 17 %)."
    )
    assert "1 participant without an age group is left out." in r.age_caption
    assert list(p.age_download(r).columns)[:3] == ["Age group", "Participants", "Share of participants (%)"]
    assert list(p.returning_download(r)["Returning"]) == [0, 1, 1]


def test_small_numbers_of_participants_are_hidden_in_public_and_flagged_for_staff(basis):
    public = p.repeat_engagement(basis, PERIOD, k=10, public=True)
    assert (
        public.small
        and public.caption == "Fewer than 10 participants in this selection: figures are not shown."
    )
    assert "age profile is not shown" in public.age_caption
    staff = p.repeat_engagement(basis, PERIOD, k=10, public=False)
    assert "⚠ fewer than 10 participants" in staff.caption


def test_repeat_engagement_follows_the_area_filter(basis):
    r = p.repeat_engagement(basis, Filters(PERIOD.start, PERIOD.end, ("B",)), k=1)
    assert (r.participants, r.repeat) == (1, 0)  # only Q4, at C4
    assert r.ages["population_share"].tolist() == pytest.approx(list(SHARES_B))


def test_without_attendee_table_the_section_says_what_it_needs(events, areas):
    b = p.build_basis(events, areas, None)
    assert p.repeat_engagement(b, PERIOD) is None
    assert "attendees" in p.NO_ATTENDEES and "participant_key" in p.NO_ATTENDEES
    no_key = pd.DataFrame({"event_id": ["C1"]})
    assert p.build_basis(events, areas, no_key).attendees is None


def test_age_profile_without_population_shares(events, attendees):
    areas = pd.DataFrame(
        {"area_id": ["A", "B"], "name": ["Alder", "Birch"], "level": "beat", "population": 1.0}
    )
    r = p.repeat_engagement(p.build_basis(events, areas, attendees), PERIOD, k=1)
    assert r.ages["population_share"].isna().all()
    assert "no population shares by age" in r.age_caption


# --- a filter that selects nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        Filters(D(2030, 1, 1), D(2030, 6, 30)),
        Filters(PERIOD.start, PERIOD.end, ("C",)),
        Filters(PERIOD.start, PERIOD.end, (), ("Other",)),
    ],
)
def test_a_filter_that_selects_nothing_is_said_in_words(basis, f):
    k = p.kpis(basis, f)
    assert k.now["events"] == 0 and k.now["attendance"] == 0
    t = p.trend(basis, f, "program", "attendance", NAMES)
    assert t.empty == "No event in this period and selection: there is no trend to draw."
    assert t.caption == "No event in this period and selection."
    assert p.trend(basis, f, "area", "events", NAMES).empty
    mix = p.program_mix(basis, f)
    assert mix.empty and "no program to compare" in mix.empty
    s = p.seasonality(basis, f)
    assert s.empty and "no season" in s.empty
    r = p.reach(basis, f)
    assert r.empty and "no area was reached" in r.empty
    assert r.no_event_text.startswith("No engagement in")
    repeat = p.repeat_engagement(basis, f)
    assert repeat.empty == "No event in this period and selection: there is no attendance to follow."
    for figure in (
        charts.trend_chart(t.groups, t.months, t.notable, "attendance", "Program", t.empty),
        charts.program_chart(mix.table, None, None, mix.empty),
        charts.seasonality_chart(s.matrix, "attendance", s.empty),
        charts.reach_chart(r.shown, len(r.table), r.empty),
        charts.returning_chart(repeat.monthly, repeat.empty),
        charts.age_chart(repeat.ages, repeat.empty),
    ):
        assert figure.layout.annotations[0].text  # the empty figure says why


def test_an_empty_events_table(areas):
    b = p.build_basis(event_frame([]), areas)
    assert p.kpis(b, PERIOD).now["events"] == 0
    assert p.trend(b, PERIOD, "program", "attendance", NAMES).empty
    assert p.program_mix(b, PERIOD).empty
    assert p.seasonality(b, PERIOD).empty
    assert p.reach(b, PERIOD).no_event == ["Alder", "Birch", "Cedar"]


# --- charts ----------------------------------------------------------------------------------------


def test_trend_chart_carries_groups_last_year_rolling_and_notable(basis):
    t = p.trend(basis, PERIOD, "program", "attendance", NAMES)
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


def test_program_chart_colours_the_most_and_least_cost_effective(basis):
    mix = p.program_mix(basis, PERIOD)
    fig = charts.program_chart(mix.table, mix.best, mix.worst)
    assert [trace.name for trace in fig.data] == ["Previous period", "This period", "Cost per attendee"]
    cost = fig.data[2]
    colours = dict(zip(cost.y, cost.marker.color, strict=True))
    assert colours[COFFEE] == charts.SCORE_COLOUR and colours[SPORTS] == charts.FLAG_COLOUR
    assert cost.xaxis == "x2"


def test_seasonality_chart_shows_each_programs_share_of_its_total(basis):
    s = p.seasonality(basis, PERIOD)
    fig = charts.seasonality_chart(s.matrix, "attendance")
    z = np.array(fig.data[0].z, dtype=float)
    np.testing.assert_allclose(z[0], [0, 37.5, 62.5])  # Youth sports: 300 and 500 of 800
    assert np.isnan(z[2][0])  # Town hall in January: events but no count
    assert list(fig.data[0].y) == [SPORTS, COFFEE, TOWN_HALL]


def test_repeat_charts(basis):
    r = p.repeat_engagement(basis, PERIOD, k=1)
    fig = charts.returning_chart(r.monthly)
    assert [t.name for t in fig.data] == ["Returning", "New"] and list(fig.data[0].y) == [0, 1, 1]
    fig = charts.age_chart(r.ages)
    assert [t.name for t in fig.data] == ["Residents", "Participants"]
    assert fig.data[1].y[0] == pytest.approx(100 / 3)
