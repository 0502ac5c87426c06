"""The database Source (cpdash.metrics.sql) against the in-memory one, on the random data sets of
tests/test_engine.py written into a real PostgreSQL server: every statistic of every grouping the figures
use (and the figures made from them) is the same within 1e-9, groups dense and in the same order; and the
statistics tables stay right through imports.

The comments' sentiment scores are the data set's own (written as the comments' facts, as an import would
from VADER), so that scores on the thresholds are exercised. Skipped without PostgreSQL binaries, except
under CI, where they are required.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from engine_support import dataset
from hypothesis import HealthCheck, given, settings
from postgres_support import binaries, postgres_cluster, reset_database
from test_engine import cases

from cpdash.data.database import contract_metadata, make_engine
from cpdash.data.schema import SCORE_METRICS, TABLES
from cpdash.metrics import engagement, follow_through, repeat, scores, sentiment, sql_build, sql_facts
from cpdash.metrics.gather import AGE, AREA, COMMENT_TOPIC, GENDER, LANGUAGE, MONTH, PROGRAM, RACE, TOPIC
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql import SqlSource
from cpdash.metrics.sql_cubes import FACTS
from cpdash.metrics.suppression import Policy
from cpdash.text.topics import default_taxonomy
from cpdash.views import voice_explorer

if binaries() is None:
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL binaries are missing under CI: .ci/run must install the postgresql package")
    pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)", allow_module_level=True)

RTOL = ATOL = 1e-9
EXAMPLES = int(os.environ.get("SQL_EXAMPLES", "12"))  # each writes a database and builds its tables: ~20 s
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
ANSWER_BYS = ((), (AREA,), (MONTH,), (PROGRAM,), (AGE,), (GENDER,), (RACE,), (AREA, MONTH), (AGE, GENDER),
              (PROGRAM, AGE), (MONTH, AGE), ("channel",))  # fmt: skip
COMMENT_BYS = ((), (AREA,), (MONTH,), (PROGRAM,), (LANGUAGE,), (COMMENT_TOPIC,), (MONTH, COMMENT_TOPIC),
               (AREA, MONTH), (PROGRAM, LANGUAGE), (AREA, COMMENT_TOPIC), (LANGUAGE, COMMENT_TOPIC), (AGE,))  # fmt: skip
EVENT_BYS = ((), (AREA,), (MONTH,), (PROGRAM,), (AREA, PROGRAM), (MONTH, PROGRAM), (AGE,))
CONCERN_BYS = ((), (AREA,), (TOPIC,), (AREA, TOPIC), (MONTH,), ("status",), (COMMENT_TOPIC,), (AREA, MONTH))
ATTENDEE_BYS = ((), (AREA,), (MONTH,), (PROGRAM,), (AGE,), (MONTH, AGE), (LANGUAGE,))


@pytest.fixture(scope="module")
def server() -> str:
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="module")
def engine(server: str):
    engine = make_engine(server)
    yield engine
    engine.dispose()


def write(url: str, engine: sa.Engine, ds, taxonomy) -> None:
    """The data set's tables into an empty database, its comments' facts, and the statistics tables."""
    reset_database(url)
    metadata, tables = contract_metadata()
    with engine.begin() as conn:
        metadata.create_all(conn)
        for name in TABLES:  # the engine reads dirty rows too (a missing area, for one)
            for column in TABLES[name].required_columns:
                conn.execute(sa.text(f'ALTER TABLE {name} ALTER COLUMN "{column}" DROP NOT NULL'))
        for name in TABLES:
            frame = getattr(ds, name)
            if frame is None or len(frame) == 0:
                continue
            columns = [c.name for c in tables[name].columns if c.name in frame.columns]
            rows = frame[columns].astype(object).where(frame[columns].notna(), None)
            conn.execute(tables[name].insert(), rows.to_dict("records"))
        if ds.responses is not None and len(ds.responses):
            for statement in sql_facts.CREATE:
                conn.execute(sa.text(statement))
            facts = sql_facts.comment_facts(ds.responses, taxonomy, scores=ds.responses["sentiment"])
            sql_facts.write(conn, FACTS, facts)
    sql_build.build(url, taxonomy)


def one_age_each(ds):
    """Each participant's first recorded age group on all their records: when a participant's records
    disagree, which one counts depends on the rows' order, which a database table does not keep."""
    people = ds.attendees
    if people is None or AGE not in people.columns or "participant_key" not in people.columns:
        return ds
    first = people.dropna(subset=[AGE]).drop_duplicates("participant_key").set_index("participant_key")[AGE]
    return dataclasses.replace(ds, attendees=people.assign(**{AGE: people["participant_key"].map(first)}))


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def assert_same_groups(mine, theirs, what: str) -> None:
    """The same keys in the same order, and the same statistics (and samples) within 1e-9."""
    a, b = mine.keys.reset_index(drop=True), theirs.keys.reset_index(drop=True)
    assert list(a.columns) == list(b.columns), f"{what}: key columns {list(a.columns)} != {list(b.columns)}"
    assert len(a) == len(b), f"{what}: {len(a)} groups, in memory {len(b)}"
    for column in a.columns:
        left, right = a[column].astype(object).tolist(), b[column].astype(object).tolist()
        if column == MONTH:
            left, right = [pd.Timestamp(x) for x in left], [pd.Timestamp(x) for x in right]
        assert [str(x) for x in left] == [str(x) for x in right], f"{what}: keys {column}"
    assert set(mine.stats) == set(theirs.stats), f"{what}: statistics {sorted(mine.stats)}"
    for name, values in theirs.stats.items():
        got = np.asarray(mine.stats[name], dtype="float64")
        wrong = [i for i, (x, y) in enumerate(zip(got, values, strict=True)) if not close(float(x), float(y))]
        assert not wrong, (
            f"{what}: {name} at {wrong[:5]}: {got[wrong[:5]]} != {np.asarray(values)[wrong[:5]]}"
        )
    for name, (group, value, weight) in theirs.samples.items():
        expected = pd.DataFrame({"g": group, "v": value, "w": weight}).groupby(["g", "v"])["w"].sum()
        g, v, w = mine.samples[name]
        got = pd.DataFrame({"g": g, "v": v, "w": w}).groupby(["g", "v"])["w"].sum()
        assert got.to_dict() == expected.to_dict(), f"{what}: sample {name}"


def assert_same_figures(mine: pd.DataFrame, theirs: pd.DataFrame, what: str) -> None:
    assert list(mine.columns) == list(theirs.columns) and len(mine) == len(theirs), what
    for column in theirs.columns:
        for x, y in zip(mine[column], theirs[column], strict=True):
            if isinstance(y, (int, float, np.number)) and not isinstance(y, bool):
                assert close(float(x), float(y)), f"{what}: {column} {x} != {y}"
            else:
                assert str(pd.Timestamp(x) if column == MONTH else x) == str(
                    pd.Timestamp(y) if column == MONTH else y
                ), f"{what}: {column}"


def compare(sql: SqlSource, memory: MemorySource, f: Filters) -> None:
    """Every statistic and figure for the filters, grouping by grouping."""
    for metric in (*SCORE_METRICS, "courtesy"):
        for by in ANSWER_BYS:
            assert_same_groups(
                sql.answers(metric, f, by), memory.answers(metric, f, by), f"{metric} by {by} {f}"
            )
    for by in ((AREA,), (MONTH,), (AGE,)):
        assert_same_figures(
            scores.scores_by(sql, "trust", f, by), scores.scores_by(memory, "trust", f, by), "trust"
        )
    for by in COMMENT_BYS:
        assert_same_groups(sql.comments(f, by), memory.comments(f, by), f"comments by {by} {f}")
    assert vars(sentiment.net_sentiment(sql, f)) == pytest.approx(
        vars(sentiment.net_sentiment(memory, f)), nan_ok=True
    )
    for by in EVENT_BYS:
        assert_same_groups(sql.events(f, by), memory.events(f, by), f"events by {by} {f}")
    assert_same_figures(engagement.by_area(sql, f), engagement.by_area(memory, f), f"engagement by area {f}")
    for by in CONCERN_BYS:
        assert_same_groups(sql.concerns(f, by), memory.concerns(f, by), f"concerns by {by} {f}")
    for by in ((), (AREA,), (TOPIC,)):
        mine, theirs = (
            follow_through.follow_through_by(sql, f, by),
            follow_through.follow_through_by(memory, f, by),
        )
        assert_same_figures(mine, theirs, f"follow-through by {by} {f}")
    for by in ATTENDEE_BYS:
        assert_same_groups(sql.attendees(f, by), memory.attendees(f, by), f"attendees by {by} {f}")
    mine, theirs = repeat.repeat(sql, f), repeat.repeat(memory, f)
    assert (mine is None) == (theirs is None)
    if theirs is not None:
        assert vars(mine) == pytest.approx(vars(theirs), nan_ok=True)


EXPLORER_CHOICES = (
    {},
    {"query": "POLICIA  no"},  # folded: case and accents ignored, every word
    {"query": "ok"},
    {"query": "night thank"},  # no comment holds both
    {"topic": "noise"},
    {"topic": voice_explorer.NO_TOPIC},
    {"topic": "no such topic"},
    {"sentiment_class": "negative"},
    {"sentiment_class": "neutral", "language": "Spanish"},
    {"language": "English", "topic": "traffic and speeding"},
)


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))


def compare_explorer(sql: SqlSource, memory: MemorySource, f: Filters) -> None:
    """The comment explorer lists the same comments from the database, a page at a time, as from memory:
    the same matches, the same rows (in any order within a day: a table keeps no row order) and the same
    days newest first on a short page; in the staff and the public view, with an area picked."""
    names = {a: f"Area {a}" for a in memory.area_labels}
    picks = [None, *list(memory.area_labels)[:1]]
    for policy in (Policy(k=3), Policy(k=3, public=True)):
        for area in picks:
            for choice in EXPLORER_CHOICES:
                what = f"explorer {choice} area {area} public {policy.public} {f}"
                kw = {"area": area, **choice}
                mine = voice_explorer.explorer(sql, f, policy, names, limit=100_000, **kw)
                theirs = voice_explorer.explorer(memory, f, policy, names, limit=100_000, **kw)
                assert (mine.empty, mine.matches, mine.caption) == (
                    theirs.empty,
                    theirs.matches,
                    theirs.caption,
                ), what
                assert rows_of(mine.frame) == rows_of(theirs.frame), what
                short = voice_explorer.explorer(sql, f, policy, names, limit=3, **kw).frame
                assert list(short["Submitted"]) == list(theirs.frame["Submitted"][:3]), what


def compare_whole(sql: SqlSource, memory: MemorySource) -> None:
    """What does not depend on filters: tables and columns, dates, areas, published scores, levels."""
    for what in ("events", "responses", "concerns", "area_scores", "attendees", "areas", *SCORE_METRICS,
                 "comments", "sentiment", "responses.age_group", "responses.gender", "responses.channel",
                 "attendees.participant_key", "attendees.age_group", "events.attendance", "concerns.status"):  # fmt: skip
        assert sql.has(what) == memory.has(what), what
    for table in (None, "events", "responses", "concerns", "area_scores", "attendees"):
        assert sql.extent(table) == memory.extent(table), table
    pd.testing.assert_frame_equal(sql.areas(), memory.areas())
    pd.testing.assert_frame_equal(sql.published(), memory.published())
    assert sql.event_levels() == memory.event_levels()
    assert list(sql.area_labels) == list(memory.area_labels)
    assert list(sql.program_labels) == list(memory.program_labels)


@pytest.mark.timeout(max(900, 60 * EXAMPLES))
@SETTINGS
@given(case=cases("responses", "concerns", "attendees", "area_scores"))
def test_the_database_source_equals_the_in_memory_one(case, server: str, engine) -> None:
    data, filters = case
    taxonomy = default_taxonomy()
    ds = one_age_each(dataset(**data))
    write(server, engine, ds, taxonomy)
    memory = MemorySource(ds, taxonomy)
    sql = SqlSource(engine, dataclasses.replace(ds, responses=None, attendees=None), taxonomy)
    compare_whole(sql, memory)
    for f in [*filters, Filters(), Filters(dt.date(2024, 1, 1), None), Filters(None, dt.date(2024, 6, 30))]:
        compare(sql, memory, f)
    for f in [*filters[:1], Filters()]:
        compare_explorer(sql, memory, f)
