"""The engine's figures (cpdash.metrics) checked against answers worked out by hand on small data sets:
the examples of tests/test_metrics.py (which tests the old cpdash.metrics.legacy), on the new engine, and
the small-numbers policy (cpdash.metrics.suppression) on its own, now that figures no longer suppress."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from engine_support import source

from cpdash.metrics import attention, engagement, follow_through, published, scores, sentiment
from cpdash.metrics import columns as c
from cpdash.metrics.change import change
from cpdash.metrics.gather import AREA, MONTH, PROGRAM, TOPIC
from cpdash.metrics.periods import Filters
from cpdash.metrics.stats import concern_flags
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, SHOWN, Policy

D = dt.date
NAN = float("nan")
JAN = Filters(D(2026, 1, 1), D(2026, 1, 31))
FEB = Filters(D(2026, 2, 1), D(2026, 2, 28))
H1 = Filters(D(2026, 1, 1), D(2026, 6, 30))
EVERYTHING = Filters()
PUBLIC, STAFF = Policy(k=10, public=True), Policy(k=10, public=False)


def ts(text: str) -> pd.Timestamp:
    """A timestamp from ISO text."""
    return pd.Timestamp(text)


def answers_source(values: list[float], metric: str = "trust", areas: list[str] | None = None):
    """A source with one response per answer, all on 1 January 2026 (in area A unless `areas` says)."""
    return source(
        responses={
            "response_id": [f"R{i}" for i in range(len(values))],
            "submitted": ["2026-01-01"] * len(values),
            "area_id": areas or ["A"] * len(values),
            metric: values,
        }
    )


def shown(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of a dense grouped table that have something (`column` above 0)."""
    return table[table[column] > 0].reset_index(drop=True)


# --- data sets -------------------------------------------------------------------------------------------


@pytest.fixture
def areas() -> dict:
    """Three areas; B's population is unknown; C never has an event in January."""
    return {
        "area_id": ["A", "B", "C"],
        "name": ["Alder", "Birch", "Cedar"],
        "level": ["beat", "beat", "beat"],
        "population": [10_000.0, NAN, 5_000.0],
    }


@pytest.fixture
def events() -> dict:
    """Four events, three of them in January 2026."""
    return {
        "event_id": ["E1", "E2", "E3", "E4"],
        "start": ["2026-01-05 10:00", "2026-01-20 18:00", "2026-01-31 18:00", "2026-02-01"],
        "program": ["Coffee with a Cop", "Town hall", "Coffee with a Cop", "Block party"],
        "area_id": ["A", "A", "B", "B"],
        "attendance": [20.0, NAN, 10.0, 100.0],
        "youth_attendance": [5.0, NAN, NAN, 40.0],
        "officers": [2.0, 1.0, 1.0, 4.0],
        "officer_hours": [6.0, 4.0, NAN, 20.0],
        "cost": [100.0, 50.0, NAN, 1000.0],
    }


@pytest.fixture
def concerns() -> dict:
    """Concerns around the first half of 2026, one per rule."""
    rows = [
        # id, raised, status, resolved, area, topic
        ("C1", "2025-12-01", "open", None, "A", "noise"),  # open before and at end
        ("C2", "2026-01-10", "resolved", "2026-02-09", "A", "noise"),  # 30 days, within 90
        ("C3", "2026-02-01", "resolved", "2026-07-15", "A", "traffic"),  # resolved after the end
        ("C4", "2026-03-01", "declined", "2026-03-05", "B", "traffic"),  # declined in the period
        ("C5", "2026-04-01", "resolved", None, "B", "traffic"),  # resolved, no date
        ("C6", "2026-05-01", "in progress", None, "B", "noise"),  # open; window ends 30 Jul
        ("C7", "2026-06-01", None, "2026-06-10", "B", "lighting"),  # no status, closed 10 Jun
        ("C8", "2026-06-15", None, None, "C", "lighting"),  # no status, no date: open
        ("C9", "2025-10-01", "resolved", "2026-01-04", "C", "noise"),  # raised before, resolved in (95 d)
        ("C10", "2026-07-02", "open", None, "C", "noise"),  # after the period
    ]
    names = ("concern_id", "raised", "status", "resolved", "area_id", "topic")
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


# --- scores ------------------------------------------------------------------------------------------


def test_score_value_and_interval_by_hand() -> None:
    # [8, 6, 10]: mean 8 -> 80; sd 2; t(0.975, 2) = 4.30265; half = 4.30265 * 2 * 10 / sqrt(3) = 49.68
    # -> 80 +- 49.68 = [30.32, 129.68], clipped to [30.32, 100].
    s = scores.score(answers_source([8.0, 6.0, 10.0, NAN]), "trust", EVERYTHING)
    assert s.value == pytest.approx(80.0)
    assert s.n == 3
    assert s.low == pytest.approx(80 - 4.30265273 * 20 / math.sqrt(3), abs=1e-6)
    assert s.low == pytest.approx(30.317, abs=1e-3)
    assert s.high == 100.0
    assert PUBLIC.status(s.n) == HIDDEN and STAFF.status(s.n) == FLAGGED  # 3 < 10


def test_score_interval_uses_exact_small_sample_t() -> None:
    # [4, 6]: mean 5 -> 50; sd sqrt(2); t(0.975, 1) = 12.706; half = 12.706 * sqrt(2) * 10 / sqrt(2) = 127
    # -> clipped to [0, 100].
    s = scores.score(answers_source([4.0, 6.0]), "trust", EVERYTHING)
    assert (s.value, s.low, s.high) == (50.0, 0.0, 100.0)
    # Five answers 4, 5, 6, 5, 5: mean 5, sd sqrt(0.5) = 0.7071; t(0.975, 4) = 2.7764
    # half = 2.7764 * 0.7071 * 10 / sqrt(5) = 8.780
    s = scores.score(answers_source([4.0, 5.0, 6.0, 5.0, 5.0]), "trust", EVERYTHING)
    assert s.low == pytest.approx(50 - 8.780, abs=1e-3)
    assert s.high == pytest.approx(50 + 8.780, abs=1e-3)


def test_t_quantiles() -> None:
    t = scores.t975(np.array([0, 1, 2, 4, 10, 30, 31, 60, 1000]))
    assert math.isnan(t[0])
    expected = [12.7062047, 4.3026527, 2.7764451, 2.2281389, 2.0422725, 2.0395134, 2.0002978, 1.9623391]
    assert t[1:] == pytest.approx(expected, abs=1e-6)


def test_score_needs_two_answers_for_an_interval() -> None:
    s = scores.score(answers_source([7.0, NAN]), "trust", EVERYTHING)
    assert (s.value, s.n) == (70.0, 1)
    assert math.isnan(s.low) and math.isnan(s.high)
    empty = scores.score(answers_source([]), "trust", EVERYTHING)
    assert math.isnan(empty.value) and empty.n == 0
    assert PUBLIC.status(empty.n) == EMPTY and STAFF.status(empty.n) == EMPTY


def test_score_at_k_minus_one_and_k() -> None:
    # All answers 5: score 50, sd 0, so the interval collapses to [50, 50].
    nine = scores.score(answers_source([5.0] * 9), "trust", EVERYTHING)
    ten = scores.score(answers_source([5.0] * 10), "trust", EVERYTHING)
    assert (ten.value, ten.low, ten.high) == (50.0, 50.0, 50.0)
    assert PUBLIC.status(nine.n) == HIDDEN and PUBLIC.status(ten.n) == SHOWN
    assert Policy(k=3, public=True).status(3) == SHOWN
    assert Policy(k=3, public=True).status(2) == HIDDEN


def test_scores_by_matches_score_per_group() -> None:
    values = [8.0, 6.0, 10.0] + [5.0] * 10 + [NAN]
    src = answers_source(values, areas=["A"] * 3 + ["B"] * 11)
    before = src.ds.responses.copy(deep=True)
    out = scores.scores_by(src, "trust", EVERYTHING, (AREA,))
    pd.testing.assert_frame_equal(src.ds.responses, before)  # the shared frames are never modified
    assert list(out.columns) == ["area_id", "score", "n", "low", "high"]
    a = out.set_index("area_id").loc["A"]
    assert (a["score"], a["n"], a["high"]) == (80.0, 3, 100.0)
    assert a["low"] == pytest.approx(scores.score(answers_source([8.0, 6.0, 10.0]), "trust", EVERYTHING).low)
    b = out.set_index("area_id").loc["B"]
    assert (b["score"], b["n"], b["low"], b["high"]) == (50.0, 10, 50.0, 50.0)


def test_scores_by_absent_metric_and_empty() -> None:
    src = source(
        responses={"response_id": ["R1", "R2"], "submitted": ["2026-01-01"] * 2, "area_id": ["A", "B"]}
    )
    out = scores.scores_by(src, "respect", EVERYTHING, (AREA,))
    assert out["area_id"].tolist() == ["A", "B"]
    assert out["n"].tolist() == [0, 0] and out["score"].isna().all()
    empty = scores.scores_by(source(), "trust", EVERYTHING, (AREA,))
    assert len(empty) == 0 and "score" in empty.columns
    assert len(scores.scores_by(source(), "trust", EVERYTHING, (AREA, "age_group"))) == 0


def test_monthly_scores() -> None:
    src = source(
        responses={
            "response_id": ["R1", "R2", "R3", "R4"],
            "submitted": ["2026-01-01", "2026-01-31 23:00", "2026-02-15", "2026-02-16"],
            "area_id": ["A", "A", "A", "B"],
            "safety": [6.0, 8.0, 10.0, 2.0],
        }
    )
    out = scores.scores_by(src, "safety", EVERYTHING, (MONTH,))
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01")]
    # January: (6 + 8) / 2 = 7 -> 70; February: (10 + 2) / 2 = 6 -> 60
    assert out["score"].tolist() == [70.0, 60.0]
    assert out["n"].tolist() == [2, 2]
    by_area = shown(scores.scores_by(src, "safety", EVERYTHING, (MONTH, AREA)), "n")
    assert by_area[["area_id", "n"]].values.tolist() == [["A", 2], ["A", 1], ["B", 1]]
    # Months run over the period asked for, empty ones included.
    q1 = scores.scores_by(src, "safety", Filters(D(2026, 1, 1), D(2026, 3, 31)), (MONTH,))
    assert q1["n"].tolist() == [2, 2, 0] and math.isnan(q1["score"].iloc[2])


def test_published_scores_are_used_as_is() -> None:
    src = source(
        area_scores={
            "period_start": ["2026-01-01", "2026-02-01", "2026-02-01", "2026-02-01", "2026-02-01"],
            "period_end": ["2026-01-31", "2026-02-28", "2026-02-28", "2026-02-28", "2026-02-28"],
            "level": ["district"] * 5,
            "area_id": ["D1", "D1", "D1", "D2", "D1"],
            "metric": ["trust", "trust", "trust", "trust", "safety"],
            "value": [61.5, 58.25, 40.0, 70.0, 66.0],
            "n": [120.0, 8.0, 30.0, NAN, 100.0],
            "group": [None, None, "age: 18-34", None, None],
        }
    )
    latest = published.published_by_area(src, "trust", EVERYTHING)
    assert latest[["area_id", "value"]].values.tolist() == [["D1", 58.25], ["D2", 70.0]]
    assert [PUBLIC.status(n) for n in latest["n"]] == [HIDDEN, SHOWN]  # n 8 (< 10); n not published
    assert (
        math.isnan(PUBLIC.show_n(latest["n"].iloc[0]))
        and PUBLIC.n_text(latest["n"].iloc[1]) == "n not published"
    )
    group = published.published_by_area(src, "trust", EVERYTHING, group="age: 18-34")
    assert group["value"].tolist() == [40.0]
    as_of_jan = published.published_by_area(src, "trust", Filters(None, D(2026, 1, 31)))
    assert as_of_jan[["area_id", "value"]].values.tolist() == [["D1", 61.5]]
    d1 = published.published_score(src, "trust", Filters(areas=("D1",)))
    assert (d1.value, d1.n, d1.start, d1.end, d1.cadence) == (
        58.25,
        8.0,
        D(2026, 2, 1),
        D(2026, 2, 28),
        "monthly",
    )
    assert d1.period == "1 Feb – 28 Feb 2026"
    assert published.published_score(src, "trust", EVERYTHING) is None  # no city figure
    assert published.published_score(src, "trust", Filters(areas=("D1", "D2"))) is None  # not combinable
    assert published.published_score(source(), "trust", JAN) is None  # no published table at all
    series = published.published_series(src, "trust", EVERYTHING, "D1")
    assert series["value"].tolist() == [61.5, 58.25] and series["cadence"].tolist() == ["monthly"] * 2


def test_published_score_ties_go_to_the_longer_period_then_the_larger_n() -> None:
    src = source(
        area_scores={
            "period_start": ["2026-03-01", "2026-01-01", "2026-03-25", "2026-01-01", "2026-04-01"],
            "period_end": ["2026-03-31", "2026-03-31", "2026-03-31", "2026-03-31", "2026-04-30"],
            "level": ["city"] * 5,
            "area_id": ["city", "city", None, "city", "city"],
            "metric": ["trust"] * 5,
            "value": [50.0, 52.0, 54.0, 56.0, 60.0],
            "n": [900.0, 100.0, 50.0, NAN, 80.0],
        }
    )
    q1 = published.published_score(src, "trust", Filters(D(2026, 1, 1), D(2026, 3, 31)))
    assert (q1.value, q1.n, q1.cadence) == (52.0, 100.0, "quarterly")  # the quarter, with n over none
    assert q1.area_id == "city"
    april = published.published_score(src, "trust", Filters(D(2026, 1, 1), D(2026, 4, 30)))
    assert (april.value, april.end) == (60.0, D(2026, 4, 30))  # the latest end wins, whatever its length
    series = published.published_series(src, "trust", EVERYTHING)
    assert series.groupby("cadence").size().to_dict() == {"monthly": 2, "quarterly": 1, "weekly": 1}


# --- periods and change --------------------------------------------------------------------------------


def test_previous_period() -> None:
    assert JAN.previous() == Filters(D(2025, 12, 1), D(2025, 12, 31))
    # 1 Nov 2025 to 31 Oct 2026 is 365 days; the 365 days before end on 31 Oct 2025.
    year = Filters(D(2025, 11, 1), D(2026, 10, 31))
    assert (year.previous().start, year.previous().end) == (D(2024, 11, 1), D(2025, 10, 31))
    day = Filters(D(2026, 3, 4), D(2026, 3, 4), ("A",), ("Town hall",))
    assert day.previous() == Filters(D(2026, 3, 3), D(2026, 3, 3), ("A",), ("Town hall",))
    leap = Filters(D(2024, 2, 1), D(2024, 2, 29)).last_year()
    assert (leap.start, leap.end) == (D(2023, 2, 1), D(2023, 2, 28))


def test_change() -> None:
    d = change(12, 8)
    assert (d.current, d.previous, d.delta, d.pct) == (12.0, 8.0, 4.0, 50.0)
    zero = change(10, 0)
    assert zero.delta == 10.0 and math.isnan(zero.pct)
    unknown = change(5.0, NAN)
    assert math.isnan(unknown.delta) and math.isnan(unknown.pct)
    assert math.isnan(change(None, 3).delta)
    assert change(-10, -20).pct == 50.0  # net sentiment from -20 to -10 is an improvement


def test_period_is_inclusive_by_calendar_day() -> None:
    src = source(
        events={
            "event_id": ["E1", "E2", "E3", "E4", "E5"],
            "start": ["2025-12-31 23:59", "2026-01-01 00:00", "2026-01-31 18:00", "2026-02-01 00:00", None],
            "program": ["before", "first", "last", "after", "no date"],
            "area_id": ["A"] * 5,
        }
    )
    out = shown(engagement.engagement_by(src, JAN, (PROGRAM,)), "events")
    assert out["program"].tolist() == ["first", "last"]
    assert engagement.engagement(src, EVERYTHING).events == 4  # never the event without a date
    assert engagement.engagement(src, Filters(D(2026, 2, 2), D(2026, 3, 1))).events == 0


# --- engagement ------------------------------------------------------------------------------------------


def test_engagement_by_hand(events: dict, areas: dict) -> None:
    src = source(events=events, areas=areas)
    before = src.ds.events.copy(deep=True), src.ds.areas.copy(deep=True)
    e = engagement.engagement(src, JAN)
    pd.testing.assert_frame_equal(src.ds.events, before[0])
    pd.testing.assert_frame_equal(src.ds.areas, before[1])
    assert e.events == 3  # E1, E2 and E3 (31 Jan at 18:00); E4 is in February
    assert e.attendance == 30.0  # 20 + 10; E2 has none and is not counted as zero
    assert (e.events_with_attendance, e.events_without_attendance) == (2, 1)
    assert e.youth_attendance == 5.0  # E1's; E2 and E3 have none
    assert e.youth_share == pytest.approx(5 / 20)  # only E1 has both figures
    assert e.officer_hours == 10.0  # 6 + 4
    assert e.cost == 150.0  # 100 + 50
    assert e.cost_per_attendee == pytest.approx(100 / 20)  # only E1 has both cost and attendance
    # Areas of known population: A (10,000) and C (5,000); attendance there: 20 (at A).
    assert e.population == 15_000.0
    assert e.areas_without_population == 1
    assert e.attendance_per_10k == pytest.approx(20 / 15_000 * 10_000)
    assert (e.areas_in_scope, e.areas_without_event) == (3, ("C",))
    assert e.share_areas_without_event == pytest.approx(1 / 3)
    assert engagement.engagement(src, JAN.with_areas(["A", "C"])).areas_without_event == ("C",)


def test_engagement_per_10k_unknown_population(events: dict, areas: dict) -> None:
    e = engagement.engagement(source(events=events, areas=areas), JAN.with_areas(["B"]))
    assert (e.events, e.attendance) == (1, 10.0)
    assert math.isnan(e.population) and math.isnan(e.attendance_per_10k)
    no_population = {k: v for k, v in areas.items() if k != "population"}
    assert math.isnan(
        engagement.engagement(source(events=events, areas=no_population), JAN).attendance_per_10k
    )


def test_engagement_missing_attendance_is_not_zero(events: dict, areas: dict) -> None:
    src = source(events=events, areas=areas)
    e = engagement.engagement(src, Filters(D(2026, 1, 20), D(2026, 1, 20)))  # E2 only, no attendance
    assert e.events == 1 and math.isnan(e.attendance)
    assert e.events_without_attendance == 1
    # A's only event has no count and C (known population) had none: the attendance there is unknown.
    assert math.isnan(e.attendance_per_10k) and math.isnan(e.cost_per_attendee)


def test_engagement_without_optional_columns(events: dict, areas: dict) -> None:
    bare = {k: events[k] for k in ("event_id", "start", "program", "area_id")}
    src = source(events=bare, areas={k: areas[k] for k in ("area_id", "name", "level")})
    e = engagement.engagement(src, JAN)
    assert e.events == 3
    assert math.isnan(e.attendance) and e.events_with_attendance == 0 and e.events_without_attendance == 3
    for value in (e.youth_share, e.officer_hours, e.cost, e.cost_per_attendee, e.attendance_per_10k):
        assert math.isnan(value)
    assert e.areas_without_event == ("C",)


def test_engagement_empty() -> None:
    e = engagement.engagement(source(), JAN)
    assert e.events == 0 and e.areas_in_scope == 0 and e.areas_without_event == ()
    assert math.isnan(e.share_areas_without_event) and math.isnan(e.attendance_per_10k)
    no_rows = {c: [] for c in ("event_id", "start", "program", "area_id", "attendance")}
    e = engagement.engagement(source(events=no_rows), JAN)
    assert e.events == 0 and e.attendance == 0.0


def test_areas_without_events_in_the_period(events: dict, areas: dict) -> None:
    feb = engagement.engagement(source(events=events, areas=areas), FEB)
    assert feb.areas_without_event == ("A", "C")
    assert feb.share_areas_without_event == pytest.approx(2 / 3)


def test_a_chosen_area_no_table_knows_has_no_event(events: dict, areas: dict) -> None:
    e = engagement.engagement(source(events=events, areas=areas), JAN.with_areas(["A", "Z"]))
    assert (e.areas_in_scope, e.areas_without_event, e.share_areas_without_event) == (2, ("Z",), 0.5)
    z = engagement.by_area(source(events=events, areas=areas), JAN.with_areas(["Z"])).iloc[0]
    assert (z["area_id"], z["name"], z["events"], z["attendance"]) == ("Z", "Z", 0, 0.0)


def test_scope_uses_the_level_events_are_recorded_at(events: dict, areas: dict) -> None:
    with_city = {k: [*v, w] for (k, v), w in zip(areas.items(), ["CITY", "City", "city", 1e6], strict=True)}
    e = engagement.engagement(source(events=events, areas=with_city), JAN)
    assert e.areas_in_scope == 3 and e.population == 15_000.0


def test_engagement_by_area(events: dict, areas: dict) -> None:
    out = engagement.by_area(source(events=events, areas=areas), JAN).set_index("area_id")
    assert out.index.tolist() == ["A", "B", "C"]
    assert out["events"].tolist() == [2, 1, 0]
    assert out.loc["A", "attendance"] == 20.0 and out.loc["A", "events_without_attendance"] == 1
    assert out.loc["A", "attendance_per_10k"] == pytest.approx(20.0)  # 20 / 10,000 x 10,000
    assert math.isnan(out.loc["B", "attendance_per_10k"])  # population unknown
    assert out.loc["C", "attendance"] == 0.0 and out.loc["C", "attendance_per_10k"] == 0.0
    assert out.loc["A", "youth_share"] == pytest.approx(0.25)
    assert out.loc["A", "cost_per_attendee"] == pytest.approx(5.0)
    assert out.loc["C", "name"] == "Cedar"


def test_engagement_by_program(events: dict, areas: dict) -> None:
    src = source(events=events, areas=areas)
    out = shown(engagement.engagement_by(src, JAN, (PROGRAM,)), "events").set_index("program")
    assert out.index.tolist() == ["Coffee with a Cop", "Town hall"]
    assert out.loc["Coffee with a Cop", "events"] == 2
    assert out.loc["Coffee with a Cop", "attendance"] == 30.0
    assert math.isnan(out.loc["Town hall", "attendance"])  # its only event has no count
    assert out.loc["Town hall", "events_without_attendance"] == 1
    assert "attendance_per_10k" not in out.columns
    nothing = engagement.engagement_by(src, Filters(D(2027, 1, 1), D(2027, 1, 31)), (PROGRAM,))
    assert (nothing["events"] == 0).all() and (nothing["attendance"] == 0).all()
    coffee = engagement.engagement(src, Filters(JAN.start, JAN.end, (), ("Coffee with a Cop",)))
    assert (coffee.events, coffee.attendance) == (2, 30.0)


def test_engagement_by_area_without_events(areas: dict) -> None:
    empty = {c: [] for c in ("event_id", "start", "program", "area_id", "attendance")}
    out = engagement.by_area(source(events=empty, areas=areas), JAN)
    assert out["area_id"].tolist() == ["A", "B", "C"] and out["events"].tolist() == [0, 0, 0]


def test_monthly_engagement_fills_months(events: dict) -> None:
    april = {"event_id": "E5", "start": "2026-04-02", "program": "Other", "area_id": "A"}
    with_april = {k: [*v, april.get(k)] for k, v in events.items()}
    src = source(events=with_april)
    out = engagement.engagement_by(src, EVERYTHING, (MONTH,))
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01"), ts("2026-03-01"), ts("2026-04-01")]
    assert out["events"].tolist() == [3, 1, 0, 1]
    assert out["attendance"].iloc[:3].tolist() == [30.0, 100.0, 0.0]
    assert math.isnan(out["attendance"].iloc[3])  # April's only event has no count
    assert out["events_without_attendance"].tolist() == [1, 0, 0, 1]
    by = shown(engagement.engagement_by(source(events=events), EVERYTHING, (MONTH, PROGRAM)), "events")
    assert by[["month", "program", "events"]].values.tolist() == [
        [ts("2026-01-01"), "Coffee with a Cop", 2],
        [ts("2026-01-01"), "Town hall", 1],
        [ts("2026-02-01"), "Block party", 1],
    ]


# --- sentiment --------------------------------------------------------------------------------------


def comments_source(submitted: list[str], compound: list[float], areas: list[str] | None = None):
    """A source with one comment per score (each comment a different text)."""
    return source(
        responses={
            "response_id": [f"R{i}" for i in range(len(compound))],
            "submitted": submitted,
            "area_id": areas or ["A"] * len(compound),
            "comment": [f"comment number {i}" for i in range(len(compound))],
            "language": ["en"] * len(compound),
            "sentiment": compound,
        }
    )


def test_net_sentiment_thresholds_are_inclusive() -> None:
    # 0.05 and 0.8 positive; -0.05 negative; +-0.0499 neutral; NaN not scored -> n = 5.
    values = [0.05, -0.05, 0.0499, -0.0499, NAN, 0.8]
    s = sentiment.net_sentiment(comments_source(["2026-01-01"] * 6, values), EVERYTHING)
    assert (s.n, s.comments) == (5, 6)
    assert (s.positive, s.negative, s.neutral) == pytest.approx((40.0, 20.0, 40.0))
    assert s.net == pytest.approx(20.0)
    empty = sentiment.net_sentiment(comments_source(["2026-01-01"], [NAN]), EVERYTHING)
    assert (empty.n, empty.comments) == (0, 1) and math.isnan(empty.net)


def test_monthly_net_sentiment() -> None:
    src = comments_source(["2026-01-03", "2026-01-09", "2026-01-10", "2026-02-01"], [0.6, -0.3, NAN, 0.0])
    out = sentiment.net_by(src, EVERYTHING, (MONTH,))
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01")]
    assert out["n"].tolist() == [2, 1] and out["comments"].tolist() == [3, 1]
    assert out["net"].tolist() == [0.0, 0.0]  # January 50 % - 50 %; February neutral only
    assert out["neutral"].tolist() == [0.0, 100.0]
    unscored = source(responses=src.ds.responses.drop(columns="sentiment"))
    assert (sentiment.net_by(unscored, EVERYTHING, (MONTH,))["n"] == 0).all()


# --- follow-through --------------------------------------------------------------------------------


def test_follow_through_by_hand(concerns: dict) -> None:
    src = source(concerns=concerns)
    before = src.ds.concerns.copy(deep=True)
    f = follow_through.follow_through(src, H1)
    pd.testing.assert_frame_equal(src.ds.concerns, before)
    assert f.raised == 7  # C2..C8
    assert f.resolved == 2  # C2 and C9 (raised before the period); C3 is resolved after it
    assert f.declined == 1  # C4
    assert f.open_at_end == 4  # C1 (open), C3 (resolved after the end), C6 (in progress), C8 (no status)
    assert f.in_progress_at_end == 1  # C6
    assert f.missing_resolved_date == 1  # C5 counts as closed
    assert f.median_days_to_resolve == pytest.approx((30 + 95) / 2)
    # Eligible: raised in the period and raised + 90 days <= 30 Jun: C2, C3, C4 and C5 (1 Apr + 90 =
    # 30 Jun). Resolved within 90 days: C2 only (C3 took 164, C4 was declined, C5 has no date).
    assert (f.eligible_90, f.resolved_within_90) == (4, 1)
    assert f.share_resolved_within_90 == pytest.approx(0.25)


def test_concern_flags_per_concern(concerns: dict) -> None:
    src = source(concerns=concerns)
    cols = src._get("_concerns")
    rows = np.arange(len(cols))[c.select(cols, H1.with_period(None, H1.end))]  # a slice or positions
    flags, days = concern_flags(cols, rows, H1)
    assert all(flag.dtype == bool and len(flag) == len(rows) for flag in flags.values())
    open_ids = cols.ids[rows][flags["open_at_end"]].tolist()
    assert open_ids == ["C1", "C3", "C6", "C8"]  # in the order they were raised
    assert days[flags["resolved"]].tolist() == [95.0, 30.0]  # C9, C2


def test_follow_through_open_at_end_depends_on_end(concerns: dict) -> None:
    # At 31 Jul C3 (resolved 15 Jul) is closed, and C10 (raised 2 Jul) is open.
    f = follow_through.follow_through(source(concerns=concerns), Filters(D(2026, 7, 1), D(2026, 7, 31)))
    assert f.open_at_end == 4  # C1, C6, C8, C10
    assert f.resolved == 1 and f.raised == 1
    assert f.eligible_90 == 0 and math.isnan(f.share_resolved_within_90)


def test_follow_through_without_optional_columns(concerns: dict) -> None:
    bare = {k: concerns[k] for k in ("concern_id", "raised", "area_id", "topic")}
    f = follow_through.follow_through(source(concerns=bare), H1)
    # Without status or resolved dates every concern raised by the end (C1..C9) is open.
    assert (f.raised, f.resolved, f.declined, f.open_at_end) == (7, 0, 0, 9)
    assert math.isnan(f.median_days_to_resolve) and f.eligible_90 == 4 and f.share_resolved_within_90 == 0


def test_follow_through_empty() -> None:
    no_rows = source(concerns={c: [] for c in ("concern_id", "raised", "area_id", "topic")})
    f = follow_through.follow_through(no_rows, H1)
    assert (f.raised, f.open_at_end, f.eligible_90) == (0, 0, 0)
    assert math.isnan(f.share_resolved_within_90)
    assert follow_through.follow_through(source(), H1).raised == 0
    assert len(follow_through.follow_through_by(no_rows, H1, (AREA,))) == 0


def test_follow_through_by_area_and_topic(concerns: dict) -> None:
    src = source(concerns=concerns)
    by_area = follow_through.follow_through_by(src, H1, (AREA,)).set_index("area_id")
    assert by_area["raised"].to_dict() == {"A": 2, "B": 4, "C": 1}
    assert by_area["open_at_end"].to_dict() == {"A": 2, "B": 1, "C": 1}
    assert by_area.loc["A", "share_resolved_within_90"] == pytest.approx(0.5)  # C2 yes, C3 no
    by_topic = follow_through.follow_through_by(src, H1, (TOPIC,)).set_index("topic")
    assert by_topic.loc["noise", "resolved"] == 2  # C2 and C9
    assert by_topic.loc["noise", "median_days_to_resolve"] == pytest.approx(62.5)
    assert follow_through.follow_through(src, H1.with_areas(["B"])).raised == 4


# --- needs attention -------------------------------------------------------------------------------


def responses_for_attention() -> dict:
    """Trust in December and January: A falls 20 points, B has too few answers, C falls only 4."""
    rows = []
    plan = {
        # area: (December answers, January answers)
        "A": ([6.0] * 10, [4.0] * 10),  # 60 -> 40
        "B": ([6.0] * 10, [2.0] * 9),  # January n = 9 < k
        "C": ([6.0] * 10, [5.6] * 10),  # 60 -> 56, a drop of 4 < 5
    }
    for area, (december, january) in plan.items():
        for i, value in enumerate(december):
            rows.append((f"{area}d{i}", "2025-12-10", area, value))
        for i, value in enumerate(january):
            rows.append((f"{area}j{i}", "2026-01-10", area, value))
    names = ("response_id", "submitted", "area_id", "trust")
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def concerns_for_attention() -> dict:
    """B: 6 concerns open since November, 8 more raised and still open in January (14, up from 6)."""
    raised = ["2025-11-05"] * 6 + ["2026-01-12"] * 8 + ["2025-11-05"]
    return {
        "concern_id": [f"K{i}" for i in range(len(raised))],
        "raised": raised,
        "area_id": ["B"] * 14 + ["A"],
        "topic": ["noise"] * 15,
        "status": ["open"] * 14 + ["resolved"],
        "resolved": [None] * 14 + ["2025-11-20"],
    }


def test_needs_attention_finds_each_issue(events: dict, areas: dict) -> None:
    src = source(
        events=events, areas=areas, responses=responses_for_attention(), concerns=concerns_for_attention()
    )
    out = attention.needs_attention(src, JAN, k=10)
    assert list(out.columns) == ["area_id", "name", "issue", "detail", "page", "severity"]
    assert out[["area_id", "issue", "page"]].values.tolist() == [
        ["A", "falling trust", "community_voice"],  # severity 20 / 5 = 4
        ["B", "growing open concerns", "you_said_we_did"],  # (14 - 6) / max(6, 10) / 0.5 = 1.6
        ["C", "no engagement", "participation"],  # no event in January nor December: 1.5
    ]
    assert out["detail"].tolist() == [
        "Trust 40 (n=10), down 20 points on the compared period (60, n=10)",
        "14 open concerns, up from 6",
        "No event between 1 Jan 2026 and 31 Jan 2026, nor in the compared period",
    ]
    assert out["name"].tolist() == ["Alder", "Birch", "Cedar"]
    assert out["severity"].tolist() == pytest.approx([4.0, 1.6, 1.5])


def test_needs_attention_trust_threshold_and_k(
    events: dict, areas: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = source(events=events, areas=areas, responses=responses_for_attention())
    loose = attention.needs_attention(src, JAN, k=9)
    assert sorted(loose.loc[loose["issue"] == "falling trust", "area_id"]) == ["A", "B"]  # B has enough now
    monkeypatch.setattr(attention, "TRUST_DROP", 4.0)
    looser = attention.needs_attention(src, JAN, k=9)
    assert sorted(looser.loc[looser["issue"] == "falling trust", "area_id"]) == [
        "A",
        "B",
        "C",
    ]  # C's 4 counts
    monkeypatch.setattr(attention, "TRUST_DROP", 25.0)
    assert "falling trust" not in set(attention.needs_attention(src, JAN, k=10)["issue"])


def test_needs_attention_skips_missing_tables(events: dict, areas: dict) -> None:
    out = attention.needs_attention(source(events=events, areas=areas), JAN, k=10)
    assert out["issue"].tolist() == ["no engagement"] and out["area_id"].tolist() == ["C"]
    no_trust = {k: v for k, v in responses_for_attention().items() if k != "trust"}
    no_concerns = {c: [] for c in ("concern_id", "raised", "area_id", "topic")}
    src = source(events=events, areas=areas, responses=no_trust, concerns=no_concerns)
    assert attention.needs_attention(src, JAN, k=10)["area_id"].tolist() == ["C"]


def test_needs_attention_empty() -> None:
    out = attention.needs_attention(source(), JAN, k=10)
    assert len(out) == 0
    assert list(out.columns) == ["area_id", "name", "issue", "detail", "page", "severity"]


def test_no_engagement_detail_for_a_new_gap(events: dict, areas: dict) -> None:
    # In February only B has an event; A had events in January, so A's gap is new (severity 1).
    out = attention.needs_attention(source(events=events, areas=areas), FEB, k=10).set_index("area_id")
    assert out.loc["A", "detail"] == "No event between 1 Feb 2026 and 28 Feb 2026"
    assert out.loc["A", "severity"] == 1.0
    assert out.loc["C", "severity"] == 1.5


# --- the small-numbers policy ------------------------------------------------------------------------------


def test_status_at_k_minus_one_and_k() -> None:
    assert [PUBLIC.status(n) for n in (0, 1, 9, 10, 500)] == [EMPTY, HIDDEN, HIDDEN, SHOWN, SHOWN]
    assert [STAFF.status(n) for n in (0, 1, 9, 10, 500)] == [EMPTY, FLAGGED, FLAGGED, SHOWN, SHOWN]
    assert PUBLIC.status(None) == SHOWN and PUBLIC.status(NAN) == SHOWN  # a published figure without n
    assert Policy(k=5, public=True).status(4) == HIDDEN and Policy(k=5, public=True).status(5) == SHOWN


def test_values_and_marks() -> None:
    assert math.isnan(PUBLIC.show(70.0, 9)) and PUBLIC.show(70.0, 10) == 70.0
    assert STAFF.show(70.0, 9) == 70.0 and math.isnan(STAFF.show(70.0, 0))
    assert STAFF.mark(9) == " ⚠" and STAFF.mark(10) == "" and PUBLIC.mark(9) == ""
    assert PUBLIC.reason(9) == "not enough responses to show (fewer than 10)"
    assert STAFF.reason(9) == "n=9: fewer than 10 responses, treat with care"
    assert PUBLIC.reason(0, "comments") == "no comments in this period" and PUBLIC.reason(10) == ""


def test_the_n_of_a_hidden_figure_is_never_shown() -> None:
    assert math.isnan(PUBLIC.show_n(9)) and PUBLIC.show_n(10) == 10.0
    assert PUBLIC.n_text(9) == "" and PUBLIC.n_text(1234) == "n=1,234"
    assert STAFF.show_n(9) == 9.0 and STAFF.n_text(9) == "n=9"
    assert math.isnan(PUBLIC.show_n(None)) and PUBLIC.n_text(NAN) == "n not published"


def test_hidden_and_flagged_arrays() -> None:
    n = np.array([0, 3, 9, 10, NAN])
    assert PUBLIC.hidden(n).tolist() == [False, True, True, False, False]
    assert STAFF.hidden(n).tolist() == [False] * 5
    assert STAFF.flagged(n).tolist() == [False, True, True, False, False]
    assert PUBLIC.flagged(n).tolist() == [False] * 5


@pytest.mark.parametrize(
    ("parts", "hidden"),
    [
        ([4, 30, 50], [True, True, False]),  # 4 alone could be found from the whole: the next smallest goes
        ([4, 8, 50], [True, True, False]),  # 4 + 8 = 12 >= 10: nothing more
        ([5, 5, 100], [True, True, False]),  # together exactly k
        ([3, 2, 40, 12], [True, True, False, True]),  # 5, then 17 with 12
        ([50, 4, 30], [False, True, True]),  # order does not matter
        ([0, 4, 50], [False, True, True]),  # an empty part hides nothing
        ([9], [True]),  # nothing else to hide
        ([12, 30, 50], [False, False, False]),  # nothing hidden: nothing more
        ([4, NAN, 30], [True, False, True]),  # an unknown n is no part
    ],
)
def test_secondary_suppression_in_public(parts: list[float], hidden: list[bool]) -> None:
    assert PUBLIC.hidden_in_set(np.array(parts, dtype="float64")).tolist() == hidden


def test_secondary_suppression_only_where_it_applies() -> None:
    parts = np.array([4.0, 30.0, 50.0])
    assert STAFF.hidden_in_set(parts).tolist() == [False, False, False]  # staff see every figure, flagged
    assert PUBLIC.hidden_in_set(parts, whole_shown=False).tolist() == [
        True,
        False,
        False,
    ]  # no whole to subtract from
    assert Policy(k=20, public=True).hidden_in_set(parts).tolist() == [True, True, False]


def test_policy_rule_in_words() -> None:
    assert PUBLIC.rule == "figures resting on fewer than 10 responses are not shown"
    assert STAFF.rule == "figures resting on fewer than 10 responses are flagged ⚠"
