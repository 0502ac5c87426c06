"""Metric definitions, checked against answers worked out by hand on small frames."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from cpdash.metrics import legacy as m

D = dt.date
NAN = float("nan")


def ts(text: str) -> pd.Timestamp:
    """A timestamp from ISO text."""
    return pd.Timestamp(text)


def dates(values: list[str | None]) -> pd.DatetimeIndex:
    """Datetimes from ISO texts (dates alone or with a time)."""
    return pd.to_datetime(values, format="ISO8601")


def unchanged(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A deep copy to compare the input with after a call."""
    return None if frame is None else frame.copy(deep=True)


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def areas() -> pd.DataFrame:
    """Three areas; B's population is unknown; C never has an event in January."""
    return pd.DataFrame(
        {
            "area_id": ["A", "B", "C"],
            "name": ["Alder", "Birch", "Cedar"],
            "level": ["beat", "beat", "beat"],
            "population": [10_000.0, NAN, 5_000.0],
            "centroid_lat": [41.0, 41.1, 41.2],
            "centroid_lon": [-87.0, -87.1, -87.2],
        }
    )


@pytest.fixture
def events() -> pd.DataFrame:
    """Four events, three of them in January 2026."""
    return pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4"],
            "start": dates(["2026-01-05 10:00", "2026-01-20 18:00", "2026-01-31 18:00", "2026-02-01"]),
            "program": ["Coffee with a Cop", "Town hall", "Coffee with a Cop", "Block party"],
            "area_id": ["A", "A", "B", "B"],
            "attendance": [20.0, NAN, 10.0, 100.0],
            "youth_attendance": [5.0, NAN, NAN, 40.0],
            "officers": [2.0, 1.0, 1.0, 4.0],
            "officer_hours": [6.0, 4.0, NAN, 20.0],
            "cost": [100.0, 50.0, NAN, 1000.0],
            "approximate": [False, True, False, False],
        }
    )


JAN = (D(2026, 1, 1), D(2026, 1, 31))


# --- score -----------------------------------------------------------------------------------------


def test_score_value_and_interval_by_hand() -> None:
    # [8, 6, 10]: mean 8 -> 80; sd 2; t(0.975, 2) = 4.30265; half = 4.30265 * 2 * 10 / sqrt(3) = 49.68
    # -> 80 +- 49.68 = [30.32, 129.68], clipped to [30.32, 100].
    s = m.score(pd.Series([8.0, 6.0, 10.0, NAN]))
    assert s.value == pytest.approx(80.0)
    assert s.n == 3
    assert s.low == pytest.approx(80 - 4.30265273 * 20 / math.sqrt(3), abs=1e-6)
    assert s.low == pytest.approx(30.317, abs=1e-3)
    assert s.high == 100.0
    assert s.suppressed  # 3 < 10


def test_score_interval_uses_exact_small_sample_t() -> None:
    # [4, 6]: mean 5 -> 50; sd sqrt(2); t(0.975, 1) = 12.706; half = 12.706 * sqrt(2) * 10 / sqrt(2) = 127
    # -> clipped to [0, 100].
    s = m.score(pd.Series([4.0, 6.0]))
    assert (s.value, s.low, s.high) == (50.0, 0.0, 100.0)
    # Five answers 4, 5, 6, 5, 5: mean 5, sd sqrt(0.5) = 0.7071; t(0.975, 4) = 2.7764
    # half = 2.7764 * 0.7071 * 10 / sqrt(5) = 8.780
    s = m.score(pd.Series([4.0, 5.0, 6.0, 5.0, 5.0]))
    assert s.low == pytest.approx(50 - 8.780, abs=1e-3)
    assert s.high == pytest.approx(50 + 8.780, abs=1e-3)


def test_t_quantiles() -> None:
    t = m.t975(np.array([0, 1, 2, 4, 10, 30, 31, 60, 1000]))
    assert math.isnan(t[0])
    expected = [12.7062047, 4.3026527, 2.7764451, 2.2281389, 2.0422725, 2.0395134, 2.0002978, 1.9623391]
    assert t[1:] == pytest.approx(expected, abs=1e-6)


def test_score_needs_two_answers_for_an_interval() -> None:
    s = m.score(pd.Series([7.0, NAN]))
    assert (s.value, s.n, s.suppressed) == (70.0, 1, True)
    assert math.isnan(s.low) and math.isnan(s.high)
    empty = m.score(pd.Series([], dtype="float64"))
    assert math.isnan(empty.value) and empty.n == 0 and empty.suppressed


def test_suppression_at_k_minus_one_and_k() -> None:
    # All answers 5: score 50, sd 0, so the interval collapses to [50, 50].
    nine, ten = m.score(pd.Series([5.0] * 9)), m.score(pd.Series([5.0] * 10))
    assert nine.suppressed and not ten.suppressed
    assert (ten.value, ten.low, ten.high) == (50.0, 50.0, 50.0)
    assert not m.score(pd.Series([5.0] * 3), k=3).suppressed
    assert m.score(pd.Series([5.0] * 2), k=3).suppressed


def test_scores_by_matches_score_per_group() -> None:
    responses = pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in range(14)],
            "submitted": pd.date_range("2026-01-01", periods=14, freq="D"),
            "area_id": ["A"] * 3 + ["B"] * 11,
            "trust": [8.0, 6.0, 10.0] + [5.0] * 10 + [NAN],
        }
    )
    before = unchanged(responses)
    out = m.scores_by(responses, "trust", "area_id", k=10)
    pd.testing.assert_frame_equal(responses, before)
    assert list(out.columns) == ["area_id", "score", "n", "low", "high", "suppressed"]
    a = out.set_index("area_id").loc["A"]
    assert (a["score"], a["n"], a["high"], a["suppressed"]) == (80.0, 3, 100.0, True)
    assert a["low"] == pytest.approx(m.score(pd.Series([8.0, 6.0, 10.0])).low)
    b = out.set_index("area_id").loc["B"]
    assert (b["score"], b["n"], b["low"], b["high"], b["suppressed"]) == (50.0, 10, 50.0, 50.0, False)


def test_scores_by_absent_metric_and_empty() -> None:
    responses = pd.DataFrame({"area_id": ["A", "B"], "submitted": dates(["2026-01-01"] * 2)})
    out = m.scores_by(responses, "respect", "area_id")
    assert out["n"].tolist() == [0, 0] and out["score"].isna().all() and out["suppressed"].all()
    empty = m.scores_by(responses.iloc[0:0], "trust", "area_id")
    assert len(empty) == 0 and "score" in empty.columns
    assert len(m.scores_by(None, "trust", ["area_id", "age_group"])) == 0


def test_monthly_scores() -> None:
    responses = pd.DataFrame(
        {
            "submitted": dates(["2026-01-01", "2026-01-31 23:00", "2026-02-15", "2026-02-16"]),
            "area_id": ["A", "A", "A", "B"],
            "safety": [6.0, 8.0, 10.0, 2.0],
        }
    )
    out = m.monthly_scores(responses, "safety", k=2)
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01")]
    # January: (6 + 8) / 2 = 7 -> 70; February: (10 + 2) / 2 = 6 -> 60
    assert out["score"].tolist() == [70.0, 60.0]
    assert out["suppressed"].tolist() == [False, False]
    by_area = m.monthly_scores(responses, "safety", k=2, by="area_id")
    assert by_area[["area_id", "n"]].values.tolist() == [["A", 2], ["A", 1], ["B", 1]]
    assert len(m.monthly_scores(responses.iloc[0:0], "safety")) == 0


def test_published_scores_are_used_as_is() -> None:
    area_scores = pd.DataFrame(
        {
            "period_start": dates(["2026-01-01", "2026-02-01", "2026-02-01", "2026-02-01", "2026-02-01"]),
            "period_end": dates(["2026-01-31", "2026-02-28", "2026-02-28", "2026-02-28", "2026-02-28"]),
            "level": ["district"] * 5,
            "area_id": ["D1", "D1", "D1", "D2", "D1"],
            "metric": ["trust", "trust", "trust", "trust", "safety"],
            "value": [61.5, 58.25, 40.0, 70.0, 66.0],
            "n": [120.0, 8.0, 30.0, NAN, 100.0],
            "group": [pd.NA, pd.NA, "age: 18-34", pd.NA, pd.NA],
        }
    )
    out = m.published_scores(area_scores, "trust")
    assert out[["area_id", "score"]].values.tolist() == [["D1", 61.5], ["D1", 58.25], ["D2", 70.0]]
    assert out["suppressed"].tolist() == [False, True, False]  # n 120, 8 (< 10), unknown
    assert out["n"].isna().tolist() == [False, False, True]
    group = m.published_scores(area_scores, "trust", group="age: 18-34")
    assert group["score"].tolist() == [40.0]
    latest = m.latest_published_scores(area_scores, "trust")
    assert latest[["area_id", "score"]].values.tolist() == [["D1", 58.25], ["D2", 70.0]]
    as_of_jan = m.latest_published_scores(area_scores, "trust", end=D(2026, 1, 31))
    assert as_of_jan[["area_id", "score"]].values.tolist() == [["D1", 61.5]]
    assert len(m.published_scores(None, "trust")) == 0
    assert len(m.published_scores(area_scores, "trust", level="beat")) == 0


# --- periods and change ------------------------------------------------------------------------------


def test_previous_period() -> None:
    assert m.previous_period(D(2026, 1, 1), D(2026, 1, 31)) == (D(2025, 12, 1), D(2025, 12, 31))
    # 1 Nov 2025 to 31 Oct 2026 is 365 days; the 365 days before end on 31 Oct 2025.
    assert m.previous_period(D(2025, 11, 1), D(2026, 10, 31)) == (D(2024, 11, 1), D(2025, 10, 31))
    assert m.previous_period(D(2026, 3, 4), D(2026, 3, 4)) == (D(2026, 3, 3), D(2026, 3, 3))


def test_change() -> None:
    c = m.change(12, 8)
    assert (c.current, c.previous, c.delta, c.pct) == (12.0, 8.0, 4.0, 50.0)
    zero = m.change(10, 0)
    assert zero.delta == 10.0 and math.isnan(zero.pct)
    unknown = m.change(5.0, NAN)
    assert math.isnan(unknown.delta) and math.isnan(unknown.pct)
    assert math.isnan(m.change(None, 3).delta)
    assert m.change(-10, -20).pct == 50.0  # net sentiment from -20 to -10 is an improvement


def test_in_period_is_inclusive_by_calendar_day() -> None:
    frame = pd.DataFrame(
        {
            "start": dates(
                ["2025-12-31 23:59", "2026-01-01 00:00", "2026-01-31 18:00", "2026-02-01 00:00", None]
            ),
            "event_id": ["before", "first", "last", "after", "no date"],
        }
    )
    out = m.in_period(frame, "start", *JAN)
    assert out["event_id"].tolist() == ["first", "last"]
    assert len(m.in_period(frame.iloc[0:0], "start", *JAN)) == 0
    assert len(m.in_period(frame, "absent", *JAN)) == 0


# --- engagement ------------------------------------------------------------------------------------


def test_engagement_by_hand(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    before_events, before_areas = unchanged(events), unchanged(areas)
    e = m.engagement(events, areas, *JAN)
    pd.testing.assert_frame_equal(events, before_events)
    pd.testing.assert_frame_equal(areas, before_areas)
    assert e.events == 3  # E1, E2 and E3 (31 Jan at 18:00); E4 is in February
    assert e.attendance == 30.0  # 20 + 10; E2 has none and is not counted as zero
    assert (e.events_with_attendance, e.events_without_attendance) == (2, 1)
    assert e.youth_share == pytest.approx(5 / 20)  # only E1 has both figures
    assert e.officer_hours == 10.0  # 6 + 4
    assert e.cost == 150.0  # 100 + 50
    assert e.cost_per_attendee == pytest.approx(100 / 20)  # only E1 has both cost and attendance
    # Areas of known population: A (10,000) and C (5,000); attendance there: 20 (at A).
    assert e.population == 15_000.0
    assert e.areas_without_population == 1
    assert e.attendance_per_10k == pytest.approx(20 / 15_000 * 10_000)
    assert (e.areas_in_scope, e.areas_without_event) == (3, ["C"])
    assert e.share_areas_without_event == pytest.approx(1 / 3)
    assert m.areas_without_event(events, areas, *JAN) == ["C"]
    assert m.areas_without_event(events, areas, *JAN, area_ids=["A", "C"]) == ["C"]


def test_engagement_per_10k_unknown_population(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    e = m.engagement(events, areas, *JAN, area_ids=["B"])
    assert (e.events, e.attendance) == (1, 10.0)
    assert math.isnan(e.population) and math.isnan(e.attendance_per_10k)
    no_population = areas.drop(columns="population")
    assert math.isnan(m.engagement(events, no_population, *JAN).attendance_per_10k)


def test_engagement_missing_attendance_is_not_zero(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    e = m.engagement(events, areas, D(2026, 1, 20), D(2026, 1, 20))  # E2 only, no attendance
    assert e.events == 1 and math.isnan(e.attendance)
    assert e.events_without_attendance == 1
    assert math.isnan(e.attendance_per_10k) and math.isnan(e.cost_per_attendee)


def test_engagement_without_optional_columns(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    bare = events[["event_id", "start", "program", "area_id"]]
    e = m.engagement(bare, areas[["area_id", "name", "level"]], *JAN)
    assert e.events == 3
    assert math.isnan(e.attendance) and e.events_with_attendance == 0 and e.events_without_attendance == 3
    for value in (e.youth_share, e.officer_hours, e.cost, e.cost_per_attendee, e.attendance_per_10k):
        assert math.isnan(value)
    assert e.areas_without_event == ["C"]


def test_engagement_empty() -> None:
    e = m.engagement(pd.DataFrame(), pd.DataFrame(), *JAN)
    assert e.events == 0 and e.areas_in_scope == 0 and e.areas_without_event == []
    assert math.isnan(e.share_areas_without_event) and math.isnan(e.attendance_per_10k)
    e = m.engagement(
        pd.DataFrame(columns=["event_id", "start", "program", "area_id", "attendance"]), None, *JAN
    )
    assert e.events == 0 and e.attendance == 0.0


def test_areas_without_events_in_the_period(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    feb = m.engagement(events, areas, D(2026, 2, 1), D(2026, 2, 28))
    assert feb.areas_without_event == ["A", "C"]
    assert feb.share_areas_without_event == pytest.approx(2 / 3)


def test_scope_uses_the_level_events_are_recorded_at(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    city = pd.DataFrame({"area_id": ["CITY"], "name": ["City"], "level": ["city"], "population": [1e6]})
    e = m.engagement(events, pd.concat([areas, city], ignore_index=True), *JAN)
    assert e.areas_in_scope == 3 and e.population == 15_000.0


def test_engagement_by_area(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    out = m.engagement_by(events, areas, *JAN, by="area_id").set_index("area_id")
    assert out.index.tolist() == ["A", "B", "C"]
    assert out["events"].tolist() == [2, 1, 0]
    assert out.loc["A", "attendance"] == 20.0 and out.loc["A", "events_without_attendance"] == 1
    assert out.loc["A", "attendance_per_10k"] == pytest.approx(20.0)  # 20 / 10,000 x 10,000
    assert math.isnan(out.loc["B", "attendance_per_10k"])  # population unknown
    assert out.loc["C", "attendance"] == 0.0 and out.loc["C", "attendance_per_10k"] == 0.0
    assert out.loc["A", "youth_share"] == pytest.approx(0.25)
    assert out.loc["A", "cost_per_attendee"] == pytest.approx(5.0)
    assert out.loc["C", "name"] == "Cedar"


def test_engagement_by_program(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    out = m.engagement_by(events, areas, *JAN, by="program").set_index("program")
    assert out.index.tolist() == ["Coffee with a Cop", "Town hall"]
    assert out.loc["Coffee with a Cop", "events"] == 2
    assert out.loc["Coffee with a Cop", "attendance"] == 30.0
    assert math.isnan(out.loc["Town hall", "attendance"])  # its only event has no count
    assert out.loc["Town hall", "events_without_attendance"] == 1
    assert "attendance_per_10k" not in out.columns
    assert len(m.engagement_by(events.iloc[0:0], areas, *JAN, by="program")) == 0


def test_engagement_by_area_without_events(areas: pd.DataFrame) -> None:
    empty = pd.DataFrame(columns=["event_id", "start", "program", "area_id", "attendance"])
    out = m.engagement_by(empty, areas, *JAN)
    assert out["area_id"].tolist() == ["A", "B", "C"] and out["events"].tolist() == [0, 0, 0]


def test_monthly_engagement_fills_months(events: pd.DataFrame) -> None:
    april = pd.DataFrame(
        {"event_id": ["E5"], "start": [ts("2026-04-02")], "program": ["Other"], "area_id": ["A"]}
    )
    out = m.monthly_engagement(pd.concat([events, april], ignore_index=True))
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01"), ts("2026-03-01"), ts("2026-04-01")]
    assert out["events"].tolist() == [3, 1, 0, 1]
    assert out["attendance"].iloc[:3].tolist() == [30.0, 100.0, 0.0]
    assert math.isnan(out["attendance"].iloc[3])  # April's only event has no count
    assert out["events_without_attendance"].tolist() == [1, 0, 0, 1]
    by = m.monthly_engagement(events, by="program")
    assert len(by) == 2 * 3  # 2 months x 3 programs
    assert len(m.monthly_engagement(events.iloc[0:0])) == 0


# --- sentiment -------------------------------------------------------------------------------------


def test_net_sentiment_thresholds_are_inclusive() -> None:
    # 0.05 and 0.8 positive; -0.05 negative; +-0.0499 neutral; NaN ignored -> n = 5.
    s = m.net_sentiment(pd.Series([0.05, -0.05, 0.0499, -0.0499, NAN, 0.8]))
    assert s.n == 5
    assert (s.positive, s.negative, s.neutral) == pytest.approx((40.0, 20.0, 40.0))
    assert s.net == pytest.approx(20.0)
    empty = m.net_sentiment(pd.Series([NAN]))
    assert empty.n == 0 and math.isnan(empty.net)


def test_monthly_net_sentiment() -> None:
    responses = pd.DataFrame(
        {
            "submitted": dates(["2026-01-03", "2026-01-09", "2026-01-10", "2026-02-01"]),
            "area_id": ["A", "A", "B", "B"],
            "sentiment": [0.6, -0.3, NAN, 0.0],
        }
    )
    out = m.monthly_net_sentiment(responses)
    assert out["month"].tolist() == [ts("2026-01-01"), ts("2026-02-01")]
    assert out["n"].tolist() == [2, 1]
    assert out["net"].tolist() == [0.0, 0.0]  # January 50 % - 50 %; February neutral only
    assert out["neutral"].tolist() == [0.0, 100.0]
    assert len(m.monthly_net_sentiment(responses.drop(columns="sentiment"))) == 0


# --- follow-through --------------------------------------------------------------------------------


@pytest.fixture
def concerns() -> pd.DataFrame:
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
    return pd.DataFrame(
        {
            "concern_id": [r[0] for r in rows],
            "raised": dates([r[1] for r in rows]),
            "status": pd.Series([r[2] for r in rows], dtype="str"),
            "resolved": dates([r[3] for r in rows]),
            "area_id": [r[4] for r in rows],
            "topic": [r[5] for r in rows],
        }
    )


H1 = (D(2026, 1, 1), D(2026, 6, 30))


def test_follow_through_by_hand(concerns: pd.DataFrame) -> None:
    before = unchanged(concerns)
    f = m.follow_through(concerns, *H1)
    pd.testing.assert_frame_equal(concerns, before)
    assert f.raised == 7  # C2..C8
    assert f.resolved == 2  # C2 and C9 (raised before the period); C3 is resolved after it
    assert f.declined == 1  # C4
    assert f.open_at_end == 4  # C1 (open), C3 (resolved after the end), C6 (in progress), C8 (no status)
    assert f.missing_resolved_date == 1  # C5 counts as closed
    assert f.median_days_to_resolve == pytest.approx((30 + 95) / 2)
    # Eligible: raised in the period and raised + 90 days <= 30 Jun: C2, C3, C4 and C5 (1 Apr + 90 =
    # 30 Jun). Resolved within 90 days: C2 only (C3 took 164, C4 was declined, C5 has no date).
    assert (f.eligible_90, f.resolved_within_90) == (4, 1)
    assert f.share_resolved_within_90 == pytest.approx(0.25)


def test_concern_flags_per_concern(concerns: pd.DataFrame) -> None:
    flags = m.concern_flags(concerns, *H1)
    assert flags.index.equals(concerns.index)
    assert all(flags[c].dtype == bool for c in flags.columns if c != "days")
    open_ids = concerns.loc[flags["open_at_end"], "concern_id"].tolist()
    assert open_ids == ["C1", "C3", "C6", "C8"]
    assert flags.loc[flags["resolved"], "days"].tolist() == [30.0, 95.0]  # C2, C9
    assert len(m.concern_flags(None, *H1)) == 0
    assert not m.concern_flags(concerns.drop(columns="raised"), *H1)["open_at_end"].any()


def test_follow_through_open_at_end_depends_on_end(concerns: pd.DataFrame) -> None:
    # At 31 Jul C3 (resolved 15 Jul) is closed, and C10 (raised 2 Jul) is open.
    f = m.follow_through(concerns, D(2026, 7, 1), D(2026, 7, 31))
    assert f.open_at_end == 4  # C1, C6, C8, C10
    assert f.resolved == 1 and f.raised == 1
    assert f.eligible_90 == 0 and math.isnan(f.share_resolved_within_90)


def test_follow_through_without_optional_columns(concerns: pd.DataFrame) -> None:
    bare = concerns[["concern_id", "raised", "area_id", "topic"]]
    f = m.follow_through(bare, *H1)
    # Without status or resolved dates every concern raised by the end (C1..C9) is open.
    assert (f.raised, f.resolved, f.declined, f.open_at_end) == (7, 0, 0, 9)
    assert math.isnan(f.median_days_to_resolve) and f.eligible_90 == 4 and f.share_resolved_within_90 == 0


def test_follow_through_empty() -> None:
    f = m.follow_through(pd.DataFrame(), *H1)
    assert (f.raised, f.open_at_end, f.eligible_90) == (0, 0, 0)
    assert math.isnan(f.share_resolved_within_90)
    assert m.follow_through(None, *H1).raised == 0
    assert len(m.follow_through_by(pd.DataFrame(), *H1)) == 0


def test_follow_through_by_area_and_topic(concerns: pd.DataFrame) -> None:
    by_area = m.follow_through_by(concerns, *H1, by="area_id").set_index("area_id")
    assert by_area["raised"].to_dict() == {"A": 2, "B": 4, "C": 1}
    assert by_area["open_at_end"].to_dict() == {"A": 2, "B": 1, "C": 1}
    assert by_area.loc["A", "share_resolved_within_90"] == pytest.approx(0.5)  # C2 yes, C3 no
    by_topic = m.follow_through_by(concerns, *H1, by="topic").set_index("topic")
    assert by_topic.loc["noise", "resolved"] == 2  # C2 and C9
    assert by_topic.loc["noise", "median_days_to_resolve"] == pytest.approx(62.5)


# --- needs attention -------------------------------------------------------------------------------


def _responses_for_attention() -> pd.DataFrame:
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
            rows.append((f"{area}d{i}", ts("2025-12-10"), area, value))
        for i, value in enumerate(january):
            rows.append((f"{area}j{i}", ts("2026-01-10"), area, value))
    return pd.DataFrame(rows, columns=["response_id", "submitted", "area_id", "trust"])


def _concerns_for_attention() -> pd.DataFrame:
    """B: 6 concerns open since November, 8 more raised and still open in January (14, up from 6)."""
    raised = ["2025-11-05"] * 6 + ["2026-01-12"] * 8 + ["2025-11-05"]
    return pd.DataFrame(
        {
            "concern_id": [f"K{i}" for i in range(len(raised))],
            "raised": dates(raised),
            "area_id": ["B"] * 14 + ["A"],
            "topic": ["noise"] * 15,
            "status": ["open"] * 14 + ["resolved"],
            "resolved": dates([None] * 14 + ["2025-11-20"]),
        }
    )


def test_needs_attention_finds_each_issue(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    responses, concerns = _responses_for_attention(), _concerns_for_attention()
    inputs = [unchanged(f) for f in (events, responses, concerns, areas)]
    out = m.needs_attention(events, responses, concerns, areas, *JAN)
    for frame, before in zip((events, responses, concerns, areas), inputs, strict=True):
        pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == ["area_id", "name", "issue", "detail", "page", "severity"]
    assert out[["area_id", "issue", "page"]].values.tolist() == [
        ["A", "falling trust", "community_voice"],  # severity 20 / 5 = 4
        ["B", "growing open concerns", "you_said_we_did"],  # (14 - 6) / 3 = 2.67
        ["C", "no engagement", "participation"],  # no event in January nor December: 1.5
    ]
    assert out["detail"].tolist() == [
        "Trust 40 (n=10), down 20 points on the previous period (60, n=10)",
        "14 open concerns, up from 6",
        "No event between 1 Jan 2026 and 31 Jan 2026, nor in the previous period",
    ]
    assert out["name"].tolist() == ["Alder", "Birch", "Cedar"]
    assert out["severity"].tolist() == pytest.approx([4.0, 8 / 3, 1.5])


def test_needs_attention_trust_threshold_and_k(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    responses = _responses_for_attention()
    loose = m.needs_attention(events, responses, None, areas, *JAN, k=9, trust_drop=4.0)
    falling = loose[loose["issue"] == "falling trust"]
    assert sorted(falling["area_id"]) == ["A", "B", "C"]  # B now has enough answers, C's 4 counts
    strict = m.needs_attention(events, responses, None, areas, *JAN, trust_drop=25.0)
    assert "falling trust" not in set(strict["issue"])


def test_needs_attention_skips_missing_tables(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    out = m.needs_attention(events, None, None, areas, *JAN)
    assert out["issue"].tolist() == ["no engagement"] and out["area_id"].tolist() == ["C"]
    no_trust = _responses_for_attention().drop(columns="trust")
    assert m.needs_attention(events, no_trust, pd.DataFrame(), areas, *JAN)["area_id"].tolist() == ["C"]


def test_needs_attention_empty() -> None:
    out = m.needs_attention(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), *JAN)
    assert len(out) == 0
    assert list(out.columns) == ["area_id", "name", "issue", "detail", "page", "severity"]


def test_no_engagement_detail_for_a_new_gap(events: pd.DataFrame, areas: pd.DataFrame) -> None:
    # In February only B has an event; A had events in January, so A's gap is new (severity 1).
    out = m.needs_attention(events, None, None, areas, D(2026, 2, 1), D(2026, 2, 28)).set_index("area_id")
    assert out.loc["A", "detail"] == "No event between 1 Feb 2026 and 28 Feb 2026"
    assert out.loc["A", "severity"] == 1.0
    assert out.loc["C", "severity"] == 1.5


# --- grouping against a plain pandas reference -------------------------------------------------------


def _reference_scores(frame: pd.DataFrame, keys: list[str], k: int) -> pd.DataFrame:
    """scores_by worked out with a pandas groupby and score() per group."""
    rows = []
    for group, part in frame.groupby(keys, sort=True, dropna=True):
        s = m.score(part["trust"], k=k)
        rows.append((*group, s.value, s.n, s.low, s.high, s.suppressed))
    return pd.DataFrame(rows, columns=[*keys, "score", "n", "low", "high", "suppressed"])


@pytest.mark.parametrize("dense_max", [m.DENSE_GROUPS_MAX, 1])
def test_scores_by_matches_a_reference(monkeypatch: pytest.MonkeyPatch, dense_max: int) -> None:
    monkeypatch.setattr(m, "DENSE_GROUPS_MAX", dense_max)  # 1 forces the hashed grouping
    rng = np.random.default_rng(7)
    n = 5_000
    frame = pd.DataFrame(
        {
            "area_id": pd.Series(np.array(["A", "B", "C", "D"])[rng.integers(0, 4, n)], dtype="str"),
            "age_group": pd.Series(np.array(["18-24", "65+", None])[rng.integers(0, 3, n)], dtype="str"),
            "trust": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 11, n)).astype(float),
            "submitted": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
        }
    )
    ours = m.scores_by(frame, "trust", ["area_id", "age_group"], k=300)
    expected = _reference_scores(frame, ["area_id", "age_group"], k=300)
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False, check_exact=False, rtol=1e-9)
    monthly = m.monthly_scores(frame, "trust", by="area_id")
    reference = _reference_scores(
        frame.assign(month=m.month_start(frame["submitted"])), ["month", "area_id"], 10
    )
    pd.testing.assert_frame_equal(monthly, reference, check_dtype=False, check_exact=False, rtol=1e-9)
