"""Property tests: on random small data sets and random filters, every figure of the metrics engine
(cpdash.metrics, gathered in memory by MemorySource) equals its readable pandas oracle (tests/oracle.py),
in total and per group.

The data sets are what a loader hands over, dirty where the contract allows it: areas missing from the areas
table, datetimes at any time of day and on period edges, missing answers, answers rescaled from 1-10 and 1-5
scales, sentiment scores on the thresholds, events without attendance, cost or youth counts, concerns in
every status (and none) with and without resolved dates, duplicate and unmatched attendee records, and
published scores of several cadences with ties, city rows and unpublished n.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import oracle
import pandas as pd
from engine_support import source
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cpdash.metrics import engagement, follow_through, published, repeat, scores, sentiment
from cpdash.metrics.gather import AGE, AREA, MONTH, PROGRAM, TOPIC
from cpdash.metrics.periods import LAST_YEAR, PREVIOUS, Filters

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RTOL = ATOL = 1e-9

BASE = pd.Timestamp("2023-01-01")
LAST = pd.Timestamp("2025-12-31")
SPAN = (LAST - BASE).days + 1  # about three years
EDGE_DAYS = sorted(
    {
        (day - BASE).days
        for month in pd.date_range(BASE, LAST, freq="MS")
        for day in (month, month + pd.offsets.MonthEnd(0))
    }
    | {(pd.Timestamp("2024-02-29") - BASE).days}
)  # first and last days of months, and the leap day
MINUTES = st.one_of(st.sampled_from([0, 1, 12 * 60, 23 * 60 + 59]), st.integers(0, 24 * 60 - 1))

AREAS_KNOWN = ("A1", "A2", "A3", "D1")  # in the areas table (D1 at another level)
AREA_OTHER = "X9"  # used by rows, missing from the areas table
AREA_NOWHERE = "ZZ"  # in no table: only ever chosen in filters
ROW_AREAS = (*AREAS_KNOWN, AREA_OTHER, None)
PROGRAMS = (
    "Coffee with a Cop",
    "Town hall",
    "Youth mentorship",
    "Peer jury",
)  # Peer jury: a department's own
AGES = ("18-24", "35-49", "65+")
TOPICS = ("noise", "traffic and speeding", "lighting")
STATUSES = ("open", "in progress", "resolved", "declined", None)
COMMENTS = (
    "Cars speed on Main St every night",
    "Officers were great and helpful, thank you",
    "Loud music and noise at the park",
    "La policía no vino",
    "ok",
)
SENTIMENTS = st.one_of(
    st.sampled_from([0.05, -0.05, 0.0499, -0.0499, 0.0, math.nan]),
    st.floats(-1, 1, allow_nan=False).map(lambda x: round(x, 4)),
)

# --- data -----------------------------------------------------------------------------------------


@st.composite
def day_numbers(draw: st.DrawFn) -> int:
    """A day of the three years, often the first or last of a month."""
    return draw(st.one_of(st.integers(0, SPAN - 1), st.sampled_from(EDGE_DAYS)))


@st.composite
def moments(draw: st.DrawFn) -> pd.Timestamp:
    """A datetime of the three years at any time of day."""
    return BASE + pd.Timedelta(days=draw(day_numbers()), minutes=draw(MINUTES))


def dates() -> st.SearchStrategy[pd.Timestamp]:
    """A date (midnight) of the three years."""
    return day_numbers().map(lambda d: BASE + pd.Timedelta(days=d))


def answers() -> st.SearchStrategy[float]:
    """An answer on 0-10: given so, or rescaled from 1-10 or 1-5; or missing."""
    return st.one_of(
        st.just(math.nan),
        st.integers(0, 10).map(float),
        st.integers(1, 10).map(lambda x: (x - 1) / 9 * 10),
        st.integers(1, 5).map(lambda x: (x - 1) / 4 * 10),
    )


@st.composite
def areas_tables(draw: st.DrawFn) -> list[dict]:
    """A1-A3 (level area) and sometimes D1 (level district) with random population (unknown, 0, some)."""
    rows = []
    for area in AREAS_KNOWN:
        if area == "D1" and not draw(st.booleans()):
            continue
        rows.append(
            {
                "area_id": area,
                "name": draw(st.sampled_from([f"Area {area}", None])),
                "level": "district" if area == "D1" else "area",
                "population": draw(st.one_of(st.none(), st.just(0), st.integers(500, 50_000))),
            }
        )
    return rows


@st.composite
def events_tables(draw: st.DrawFn, max_size: int = 16) -> list[dict]:
    """Events with unique ids; attendance, youth counts (at most the attendance), hours and cost each
    sometimes missing."""
    rows = []
    for i in range(draw(st.integers(0, max_size))):
        attendance = draw(st.one_of(st.none(), st.integers(0, 60)))
        youth_max = attendance if attendance is not None else 20
        rows.append(
            {
                "event_id": f"E{i}",
                "start": draw(moments()),
                "program": draw(st.sampled_from((*PROGRAMS, None))),
                "area_id": draw(st.sampled_from(ROW_AREAS)),
                "attendance": attendance,
                "youth_attendance": draw(st.one_of(st.none(), st.integers(0, youth_max))),
                "officer_hours": draw(st.one_of(st.none(), st.integers(0, 40).map(lambda h: h / 2))),
                "cost": draw(
                    st.one_of(st.none(), st.just(0.0), st.integers(0, 50_000).map(lambda c: c / 100))
                ),
            }
        )
    return rows


@st.composite
def responses_tables(draw: st.DrawFn, event_ids: Sequence[str], max_size: int = 30) -> list[dict]:
    """Responses with answers, comments and their sentiment (NaN when blank or not English)."""
    rows = []
    for i in range(draw(st.integers(0, max_size))):
        comment = draw(st.sampled_from((*COMMENTS, None, "", "   ")))
        language = draw(st.sampled_from(["en", "en", "es"]))
        blank = comment is None or not comment.strip()
        rows.append(
            {
                "response_id": f"R{i}",
                "submitted": draw(moments()),
                "area_id": draw(st.sampled_from(ROW_AREAS)),
                "event_id": draw(st.sampled_from((*event_ids, "E999", None))),
                "trust": draw(answers()),
                "comment": comment,
                "language": language,
                "sentiment": math.nan if blank or language != "en" else draw(SENTIMENTS),
                "age_group": draw(st.sampled_from((*AGES, None))),
            }
        )
    return rows


@st.composite
def concerns_tables(draw: st.DrawFn, max_size: int = 20) -> list[dict]:
    """Concerns in every status and none, resolved (never before raised) on a date or without one."""
    rows = []
    for i in range(draw(st.integers(0, max_size))):
        raised = draw(dates())
        took = draw(st.one_of(st.none(), st.sampled_from([0, 89, 90, 91]), st.integers(0, 250)))
        rows.append(
            {
                "concern_id": f"C{i}",
                "raised": raised,
                "area_id": draw(st.sampled_from(ROW_AREAS)),
                "topic": draw(st.sampled_from(TOPICS)),
                "status": draw(st.sampled_from(STATUSES)),
                "resolved": None if took is None else raised + pd.Timedelta(days=took),
            }
        )
    return rows


@st.composite
def attendees_tables(draw: st.DrawFn, event_ids: Sequence[str], max_size: int = 40) -> list[dict]:
    """Attendee records over a few participants (each of one age group, not always recorded), with
    duplicates, unknown events and missing keys."""
    people = [f"P{i}" for i in range(6)]
    age_of = {p: draw(st.sampled_from((*AGES, None))) for p in people}
    rows = []
    for _ in range(draw(st.integers(0, max_size))):
        person = draw(st.sampled_from((*people, None)))
        row = {
            "event_id": draw(st.sampled_from((*event_ids, *event_ids, "E999", None))),
            "participant_key": person,
            "age_group": age_of.get(person) if draw(st.booleans()) else None,
        }
        rows += [row] * draw(st.sampled_from([1, 1, 1, 2]))
    return rows


@st.composite
def area_scores_tables(draw: st.DrawFn, max_size: int = 24) -> list[dict]:
    """Published figures of 2025: weekly, monthly and quarterly periods, many of them ending on the same day
    (ties), for the city (level city, or a blank area) and for areas; n sometimes not published."""
    rows = []
    for _ in range(draw(st.integers(0, max_size))):
        month = draw(st.integers(0, 11))
        month_start = pd.Timestamp(2025, month + 1, 1)
        month_end = month_start + pd.offsets.MonthEnd(0)
        kind = draw(st.sampled_from(["weekly", "weekly-sunday", "monthly", "quarterly"]))
        if kind == "weekly":  # the last week of the month: ends with it
            start, end = month_end - pd.Timedelta(days=6), month_end
        elif kind == "weekly-sunday":
            end = month_start + pd.Timedelta(days=draw(st.integers(0, 27)))
            start = end - pd.Timedelta(days=6)
        elif kind == "monthly":
            start, end = month_start, month_end
        else:
            start = pd.Timestamp(2025, month // 3 * 3 + 1, 1)
            end = start + pd.offsets.QuarterEnd(0)
        area = draw(st.sampled_from(["city", None, "A1", "A2", AREA_OTHER]))
        rows.append(
            {
                "period_start": start,
                "period_end": end,
                "level": "city" if area in ("city", None) else draw(st.sampled_from(["area", "district"])),
                "area_id": area,
                "metric": draw(st.sampled_from(["trust", "trust", "safety"])),
                "value": draw(st.integers(0, 1000).map(lambda v: v / 10)),
                "n": draw(st.sampled_from([None, 0, 8, 120, 120, 900])),
                "group": draw(st.sampled_from([None, None, "age: 18-34"])),
            }
        )
    return rows


@st.composite
def data_sets(draw: st.DrawFn, *tables: str) -> dict[str, list[dict] | None]:
    """A random data set: areas, events (none unless "events" or a table that refers to them is named) and
    the named tables."""
    needs_events = {"events", "responses", "attendees"} & set(tables)
    events = draw(events_tables()) if needs_events else []
    ids = [e["event_id"] for e in events]
    out: dict[str, list[dict] | None] = {"areas": draw(areas_tables()), "events": events}
    if "responses" in tables:
        out["responses"] = draw(responses_tables(ids))
    if "concerns" in tables:
        out["concerns"] = draw(concerns_tables())
    if "attendees" in tables:
        out["attendees"] = draw(attendees_tables(ids))
    if "area_scores" in tables:
        out["area_scores"] = draw(area_scores_tables())
    return out


def row_days(data: dict) -> list[dt.date]:
    """The days of the data set's rows (so that filters often start or end on one)."""
    found = set()
    for table, column in (
        ("events", "start"),
        ("responses", "submitted"),
        ("concerns", "raised"),
        ("concerns", "resolved"),
        ("area_scores", "period_end"),
    ):
        for row in data.get(table) or []:
            if row.get(column) is not None:
                found.add(pd.Timestamp(row[column]).date())
    return sorted(found)


@st.composite
def filters_for(draw: st.DrawFn, data: dict, one_area: bool = False) -> Filters:
    """Random filters: a period (open ends sometimes; edges on the data's days, the day after, or a month's
    first or last), areas (ids of the areas table, ids it lacks, an id in no table) and programs."""
    candidates = row_days(data)
    candidates += [d + dt.timedelta(days=1) for d in candidates]
    candidates += [(BASE + pd.Timedelta(days=d)).date() for d in EDGE_DAYS]
    day = st.sampled_from(candidates)
    start = draw(st.one_of(day, day, day, st.none()))
    end = draw(st.one_of(day, day, day, st.none()))
    if start is not None and end is not None and start > end:
        start, end = end, start
    choices = (*AREAS_KNOWN, AREA_OTHER, AREA_NOWHERE)
    areas = draw(st.lists(st.sampled_from(choices), unique=True, max_size=1 if one_area else 3))
    programs = draw(st.lists(st.sampled_from((*PROGRAMS, "Block party")), unique=True, max_size=2))
    return Filters(start, end, tuple(areas), tuple(programs))


@st.composite
def cases(draw: st.DrawFn, *tables: str) -> tuple[dict, list[Filters]]:
    """A random data set with the named tables, and filters for it (with the period compared with them)."""
    data = draw(data_sets(*tables))
    return data, draw(periods(data))


def typed_tables(src) -> dict[str, pd.DataFrame | None]:
    """The data set's tables as the source holds them (the oracles read the same frames)."""
    ds = src.ds
    return {
        "events": ds.events,
        "areas": ds.areas,
        "responses": ds.responses,
        "concerns": ds.concerns,
        "attendees": ds.attendees,
        "area_scores": ds.area_scores,
    }


# --- comparing --------------------------------------------------------------------------------------


def same(actual: object, expected: object) -> bool:
    """Equal numbers within RTOL (and ATOL near 0), NaN equal to NaN; other values equal."""
    if isinstance(expected, tuple):
        return tuple(actual) == expected
    a, e = float(actual), float(expected)
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    return math.isclose(a, e, rel_tol=RTOL, abs_tol=ATOL)


def assert_figures(actual: dict, expected: dict, what: str) -> None:
    """Every figure of `expected` equals the one in `actual`."""
    wrong = {k: (actual[k], v) for k, v in expected.items() if not same(actual[k], v)}
    assert not wrong, f"{what}: (engine, oracle) {wrong}"


def key_text(value: object, name: str) -> str:
    """A group key comparable across engine and oracle (months as ISO days)."""
    return str(pd.Timestamp(value).date()) if name == MONTH else str(value)


def assert_groups(
    engine: pd.DataFrame, expected: pd.DataFrame, by: Sequence[str], empty: dict, what: str
) -> None:
    """The engine's table per group equals the oracle's: each group of the oracle is in it with the same
    figures, and any other group the engine has (dense keys) has the figures of no rows (`empty`)."""
    names = list(empty)
    keys = [tuple(key_text(row[k], k) for k in by) for _, row in engine.iterrows()]
    assert len(set(keys)) == len(keys), f"{what}: duplicate groups"
    found = dict(zip(keys, engine[names].to_dict("records"), strict=True))
    for _, row in expected.iterrows():
        key = tuple(key_text(row[k], k) for k in by)
        assert key in found, f"{what}: group {key} missing from the engine's {sorted(found)}"
        assert_figures(found.pop(key), {n: row[n] for n in names}, f"{what} {key}")
    for key, figures in found.items():
        assert_figures(figures, empty, f"{what} {key} (a group without rows)")


@st.composite
def periods(draw: st.DrawFn, data: dict) -> list[Filters]:
    """Random filters, and with a closed period the filters of the period compared with it (the previous
    one or last year's)."""
    f = draw(filters_for(data))
    if f.start is None or f.end is None:
        return [f]
    return [f, f.compared(draw(st.sampled_from([PREVIOUS, LAST_YEAR])))]


# --- cases these tests found (the engine was fixed), always run ------------------------------------------

THREE_AREAS = [
    {"area_id": area, "name": f"Area {area}", "level": "area", "population": population}
    for area, population in (("A1", 10_000), ("A2", None), ("A3", 500))
]
UNCOUNTED_EVENT = {
    "event_id": "E0",
    "start": BASE,
    "program": PROGRAMS[0],
    "area_id": "A1",
    "attendance": None,
}
# A chosen area that no table knows had no event, yet was not counted among the areas without one.
CHOSEN_UNKNOWN_AREA = (
    {"areas": THREE_AREAS, "events": []},
    [Filters(BASE.date(), BASE.date(), (AREA_NOWHERE,))],
)
# Attendance per 10,000 residents was 0, not unknown, when the events in the areas of known population
# (A1; A3 had none) had no attendance count.
UNKNOWN_ATTENDANCE = ({"areas": THREE_AREAS, "events": [UNCOUNTED_EVENT]}, [Filters(BASE.date(), None)])
# A data set without published scores (or with an empty table) made the published score raise.
NO_PUBLISHED = [
    ({"areas": THREE_AREAS, "events": [], "area_scores": table}, [Filters(dt.date(2023, 5, 1), None)])
    for table in (None, [])
]

# --- scores -----------------------------------------------------------------------------------------

SCORE_BYS = ((AREA,), (MONTH,), (PROGRAM,), (AGE,), (AREA, MONTH))


@SETTINGS
@given(case=cases("responses"))
def test_scores_equal_the_oracle(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    t = typed_tables(src)
    for f in filters:
        for metric in ("trust", "respect"):  # respect: a metric nobody answered
            total = scores.score(src, metric, f)
            expected = oracle.scores_by(t["responses"], t["events"], metric, f, ()).iloc[0].to_dict()
            assert_figures(vars(total) | {"score": total.value}, expected, f"score {metric} {f}")
        empty = oracle.score_figures(pd.Series([], dtype="float64"))
        for by in SCORE_BYS:
            ours = scores.scores_by(src, "trust", f, by)
            expected = oracle.scores_by(t["responses"], t["events"], "trust", f, by)
            assert_groups(ours, expected, by, empty, f"trust by {by} {f}")
        if f.start is not None and f.end is not None:  # every answer of the period is in one of its months
            assert_pooled_months_give_the_total(src, f)


def assert_pooled_months_give_the_total(src, f: Filters) -> None:
    """The per-month statistics of the answers, pooled, are the period's (the merge a database source
    relies on)."""
    months, total = src.answers("trust", f, (MONTH,)), src.answers("trust", f)
    pooled = scores.pooled(months["n"], months["total"], months["m2"])
    expected = (total.first("n"), total.first("total"), total.first("m2"))
    assert all(math.isclose(a, e, rel_tol=RTOL, abs_tol=1e-7) for a, e in zip(pooled, expected, strict=True))


# --- sentiment --------------------------------------------------------------------------------------


@SETTINGS
@given(case=cases("responses"))
def test_net_sentiment_equals_the_oracle(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    t = typed_tables(src)
    for f in filters:
        net = sentiment.net_sentiment(src, f)
        expected = oracle.net_by(t["responses"], t["events"], f, ()).iloc[0].to_dict()
        assert_figures(vars(net), expected, f"net sentiment {f}")
        empty = oracle.sentiment_figures(pd.Series([], dtype="float64"))
        for by in ((AREA,), (MONTH,), (PROGRAM,), (AREA, MONTH)):
            expected = oracle.net_by(t["responses"], t["events"], f, by)
            assert_groups(sentiment.net_by(src, f, by), expected, by, empty, f"net by {by} {f}")


def test_sentiment_classes_at_the_thresholds() -> None:
    got = sentiment.classify(np.array([0.05, -0.05, 0.0499, -0.0499, math.nan, 1.0, -1.0]))
    assert got.tolist() == [2, 0, 1, 1, sentiment.UNSCORED, 2, 0]


# --- engagement -------------------------------------------------------------------------------------


@SETTINGS
@given(case=cases("events"))
@example(case=CHOSEN_UNKNOWN_AREA)
@example(case=UNKNOWN_ATTENDANCE)
def test_engagement_equals_the_oracle(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    t = typed_tables(src)
    for f in filters:
        total = engagement.engagement(src, f)
        expected = oracle.engagement_total(t["events"], t["areas"], f)
        assert_figures(vars(total), expected, f"engagement {f}")
        ours = engagement.by_area(src, f)
        expected = oracle.engagement_by_area(t["events"], t["areas"], f)
        assert ours[AREA].tolist() == list(expected.get(AREA, [])), f"areas in scope {f}"
        for mine, theirs in zip(ours.to_dict("records"), expected.to_dict("records"), strict=True):
            assert mine["name"] == theirs["name"]
            figures = {k: v for k, v in theirs.items() if k not in (AREA, "name")}
            assert_figures(mine, figures, f"engagement in {theirs[AREA]} {f}")
        empty = oracle.engagement_figures(t["events"].iloc[0:0])
        for by in ((AREA,), (MONTH,), (PROGRAM,), (AREA, PROGRAM), (MONTH, PROGRAM)):
            expected = oracle.engagement_by(t["events"], f, by)
            assert_groups(
                engagement.engagement_by(src, f, by), expected, by, empty, f"engagement by {by} {f}"
            )


# --- follow-through -----------------------------------------------------------------------------------


@SETTINGS
@given(case=cases("concerns"))
def test_follow_through_equals_the_oracle(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    t = typed_tables(src)
    for f in filters:
        total = follow_through.follow_through(src, f)
        expected = oracle.follow_through_by(t["concerns"], f, ()).iloc[0].to_dict()
        assert_figures(vars(total), expected, f"follow-through {f}")
        empty = oracle.follow_through_figures(oracle.concern_flags(t["concerns"], f).iloc[0:0])
        for by in ((AREA,), (TOPIC,), (AREA, TOPIC)):
            ours = follow_through.follow_through_by(src, f, by)
            expected = oracle.follow_through_by(t["concerns"], f, by)
            assert len(ours) == len(expected), f"follow-through by {by} {f}: groups {ours[list(by)]}"
            assert_groups(ours, expected, by, empty, f"follow-through by {by} {f}")


# --- repeat engagement ----------------------------------------------------------------------------------


@SETTINGS
@given(case=cases("attendees"))
def test_repeat_engagement_equals_the_oracle(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    t = typed_tables(src)
    for f in filters:
        total = repeat.repeat(src, f)
        if not data["attendees"]:
            assert total is None
            continue
        expected = oracle.repeat_by(t["events"], t["attendees"], f, ()).iloc[0].to_dict()
        assert_figures(vars(total), expected, f"repeat {f}")
        empty = {"records": 0, "participants": 0, "repeat": 0, "returning": 0, "share_repeat": math.nan}
        for by in ((AREA,), (MONTH,), (PROGRAM,), (AGE,), (MONTH, AGE)):
            expected = oracle.repeat_by(t["events"], t["attendees"], f, by)
            assert_groups(repeat.repeat_by(src, f, by), expected, by, empty, f"repeat by {by} {f}")


# --- published scores -----------------------------------------------------------------------------------


def assert_one_of(figure: published.Published | None, candidates: pd.DataFrame, what: str) -> None:
    """The engine's published figure is one of the oracle's candidates (None when there is none)."""
    if len(candidates) == 0:
        assert figure is None, f"{what}: {figure}, expected none"
        return
    assert figure is not None, f"{what}: none, expected one of {candidates.to_dict('records')}"
    mine = (figure.value, figure.n, pd.Timestamp(figure.start), pd.Timestamp(figure.end))
    options = [(r["value"], r["n"], r["start"], r["end"]) for r in candidates.to_dict("records")]
    assert any(same(mine[0], o[0]) and same(mine[1], o[1]) and mine[2:] == o[2:] for o in options), (
        f"{what}: {mine} not among {options}"
    )
    assert figure.cadence == oracle.cadence((figure.end - figure.start).days + 1)


@SETTINGS
@given(case=cases("area_scores"))
@example(case=NO_PUBLISHED[0])
@example(case=NO_PUBLISHED[1])
def test_published_score_follows_the_rule(case: tuple[dict, list[Filters]]) -> None:
    data, filters = case
    src = source(**data)
    f = filters[0]
    for metric in ("trust", "safety"):
        for group in (None, "age: 18-34"):
            figures = oracle.published_figures(src.ds.area_scores, metric, group)
            for chosen in (f, f.with_areas(f.areas[:1]), f.with_areas(())):
                figure = published.published_score(src, metric, chosen, group)
                assert_one_of(
                    figure, oracle.published_candidates(figures, chosen), f"{metric} {group} {chosen}"
                )
            by_area = published.published_by_area(src, metric, f, group)
            expected = oracle.published_by_area_candidates(figures, f)
            assert sorted(by_area[AREA]) == sorted(expected), f"published by area {metric} {group} {f}"
            for row in by_area.to_dict("records"):
                start, end = row["period_start"].date(), row["period_end"].date()
                figure = published.Published(row["value"], row["n"], start, end, row["cadence"], row[AREA])
                assert_one_of(figure, expected[row[AREA]], f"published in {row[AREA]} {metric} {group} {f}")
        figures = oracle.published_figures(src.ds.area_scores, metric)
        for area in (None, "A1", AREA_OTHER):
            series = published.published_series(src, metric, f, area)
            expected = oracle.published_series_candidates(figures, f, area)
            keys = [(r["cadence"], r["period_start"], r["period_end"]) for r in series.to_dict("records")]
            assert sorted(keys) == sorted(expected), f"series {metric} {area} {f}"
            for row, key in zip(series.to_dict("records"), keys, strict=True):
                figure = published.Published(row["value"], row["n"], key[1].date(), key[2].date(), key[0], "")
                assert_one_of(figure, expected[key], f"series point {key} {metric} {area}")
