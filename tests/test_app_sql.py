"""The app on a PostgreSQL source with statistics tables: the sample city imported into a real server, the
tables built, the pages' figures gathered by SQL (no response row in the app's memory), imports keeping
the tables current in their own transaction. Skipped without PostgreSQL binaries, except under CI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from postgres_support import TABLE_FILES, binaries, postgres_cluster
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT
from cpdash.data import database
from cpdash.data.database import make_engine
from cpdash.data.load import load_dataset
from cpdash.data.schema import SCORE_METRICS
from cpdash.importing import importer
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import open_store
from cpdash.metrics import engagement, follow_through, repeat, scores, sentiment, sql_build
from cpdash.metrics.gather import AGE, AREA, COMMENT_TOPIC, MONTH, PROGRAM
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import period_grid
from cpdash.metrics.sql import SqlSource, usable
from cpdash.metrics.sql_comments import FOLD, INDEXED, SEARCH_INDEX, Wanted, count_query, page_query
from cpdash.metrics.suppression import Policy
from cpdash.text.topics import default_taxonomy
from cpdash.views import voice_explorer
from scripts.serve import PAGES

if binaries() is None:
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL binaries are missing under CI: .ci/run must install the postgresql package")
    pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)", allow_module_level=True)

pytestmark = pytest.mark.apptest
PUBLIC = Policy(public=True)


def commit(url: str, name: str, data: bytes, table: str, mode: str = "add") -> None:
    """Import a file into the database as the Data page does."""
    context = importer.context_from_dataset(load_dataset(url, tables=("areas", "events")))
    upload = read_upload(name, data)
    prepared = prepare(upload, suggest_profile(upload, table, context), context)
    open_store(url).commit(prepared, mode)


@pytest.fixture(scope="module")
def city() -> str:
    """The sample city in PostgreSQL, with its statistics tables."""
    with postgres_cluster() as url:
        for name, table in TABLE_FILES:
            commit(url, name, (DEFAULT_DATA / name).read_bytes(), table)
        sql_build.build(url)
        yield url


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def figures(src, f: Filters) -> dict[str, object]:
    return {
        "totals": {  # a period's totals, which the database source sums up from the rows of its areas
            **{f"trust_{k}": v for k, v in vars(scores.score(src, "trust", f)).items()},
            **{f"follow_{k}": v for k, v in vars(follow_through.follow_through(src, f)).items()},
            **{
                f"events_{k}": v
                for k, v in vars(engagement.engagement(src, f)).items()
                if k != "areas_without_event"
            },
        },
        "trust": scores.scores_by(src, "trust", f, (AREA,)),
        "trust_monthly": scores.scores_by(src, "safety", f, (MONTH,)),
        "sentiment": vars(sentiment.net_sentiment(src, f)),
        "engagement": engagement.by_area(src, f),
        "repeat": vars(repeat.repeat(src, f)),
        "repeat_by": repeat.repeat_by(src, f, (MONTH, AGE)),
        "repeat_by_area": repeat.repeat_by(src, f, (AREA, PROGRAM)),
    }


def assert_same_figures(url: str) -> None:
    taxonomy = default_taxonomy()
    engine = make_engine(url)
    ds = load_dataset(url)
    memory = MemorySource(ds, taxonomy)
    sql = SqlSource(engine, dataclasses.replace(ds, responses=None, attendees=None), taxonomy)
    for f in (Filters(), Filters(dt.date(2024, 3, 10), dt.date(2025, 2, 20)), Filters(areas=("A02", "A07"))):
        mine, theirs = figures(sql, f), figures(memory, f)
        for name in ("trust", "trust_monthly", "engagement", "repeat_by", "repeat_by_area"):
            same(mine[name], theirs[name])
        for name in ("sentiment", "repeat", "totals"):
            assert mine[name] == pytest.approx(theirs[name], nan_ok=True), name
        a, b = sql.comments(f, (COMMENT_TOPIC,)), memory.comments(f, (COMMENT_TOPIC,))
        same(a.frame(a.stats), b.frame(b.stats))
        same_explorer(sql, memory, f)
    grid = period_grid(sql, PUBLIC)  # the public view's blocks of months, gathered by SQL
    assert len(grid) > 3 and grid == period_grid(memory, PUBLIC)


EXPLORER_CHOICES = (
    {},
    {"query": "POLICIA"},  # case and accents ignored
    {"query": "policía  NO"},  # every word
    {"topic": "noise", "area": "A07"},
    {"topic": voice_explorer.NO_TOPIC, "sentiment_class": "positive"},
    {"language": "Spanish", "sentiment_class": "not scored"},
    {"area": "A03", "query": "speed"},
    {"query": "_"},  # LIKE's wildcards are looked for as they are
    {"query": "%"},
)


def same_explorer(sql: SqlSource, memory: MemorySource, f: Filters) -> None:
    """The comment explorer pages through the database and lists the comments the folder path lists: the
    same matches and rows (in any order within a day: a table keeps no row order), newest first."""
    names = {a: f"Area {a}" for a in memory.area_labels}
    for policy in (Policy(), Policy(public=True)):
        for choice in EXPLORER_CHOICES:
            mine = voice_explorer.explorer(sql, f, policy, names, limit=50_000, **choice)
            theirs = voice_explorer.explorer(memory, f, policy, names, limit=50_000, **choice)
            what = f"explorer {choice} public {policy.public} {f}"
            assert mine.matches == theirs.matches and mine.caption == theirs.caption, what
            assert sorted(map(tuple, mine.frame.astype(str).to_numpy())) == sorted(
                map(tuple, theirs.frame.astype(str).to_numpy())
            ), what
            page = voice_explorer.explorer(sql, f, policy, names, **choice).frame
            assert list(page["Submitted"]) == list(theirs.frame["Submitted"][: len(page)]), what
    assert voice_explorer.explorer(sql, f, Policy(), names, query="policía").matches > 0


def test_the_sample_city_gives_the_same_figures_by_sql(city: str) -> None:
    assert usable(make_engine(city), default_taxonomy())
    assert_same_figures(city)


def test_an_import_keeps_the_statistics_tables_current(city: str) -> None:
    rows = pd.read_csv(DEFAULT_DATA / "responses.csv", dtype=str).head(40)
    rows["response_id"] = "NEW" + rows["response_id"]
    rows.loc[rows.index[:20], "response_id"] = (
        pd.read_csv(DEFAULT_DATA / "responses.csv", dtype=str)["response_id"].iloc[100:120].to_numpy()
    )  # half replace existing responses, on other days
    commit(city, "more.csv", rows.to_csv(index=False).encode(), "responses")
    assert_same_figures(city)


def test_imports_of_attendees_and_events_keep_the_participation_table_current(city: str) -> None:
    people = pd.read_csv(DEFAULT_DATA / "attendees.csv", dtype=str)
    events = pd.read_csv(DEFAULT_DATA / "events.csv", dtype=str)
    regulars = people["participant_key"].value_counts().index[:5]
    earliest = events.sort_values("start")["event_id"].iloc[:3]
    age = people.drop_duplicates("participant_key").set_index("participant_key")["age_group"]
    more = pd.DataFrame(
        [{"event_id": e, "participant_key": p, "age_group": age[p]} for e in earliest for p in regulars]
    )  # regulars at the first events: their first day changes on all their records
    commit(city, "more_attendees.csv", more.to_csv(index=False).encode(), "attendees")
    moved = events[events["event_id"].isin(people["event_id"])].head(8).copy()
    moved["start"] = "2023-12-02T10:00"
    moved["area_id"] = events["area_id"].iloc[-1]  # their records move to another day and area
    commit(city, "moved_events.csv", moved.to_csv(index=False).encode(), "events")
    assert_same_figures(city)


def index_names(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        names = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes")).scalars())
    engine.dispose()
    return names


def test_the_word_search_reads_the_trigram_index_the_build_makes(city: str) -> None:
    """The build indexes the folded comments with trigrams, and a search's page and count can read that
    index (the planner is told to avoid a scan: the sample city is small enough to be read whole)."""
    assert SEARCH_INDEX in index_names(city)
    engine = make_engine(city)
    sql = SqlSource(engine, dataclasses.replace(load_dataset(city), responses=None, attendees=None))
    s = sql.schema
    assert sql._search_indexed()
    f, wanted = Filters(dt.date(2024, 3, 10), dt.date(2025, 2, 20)), Wanted(words=("policia", "no"))
    with engine.connect() as conn:
        conn.execute(sa.text("SET enable_seqscan = off"))
        for query, params in (page_query(s, f, wanted, 50, 0, True), count_query(s, f, wanted, True)):
            plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {query}"), params).scalars())
            assert SEARCH_INDEX in plan, plan
        short = count_query(s, f, Wanted(words=("no",)), True)[0]  # no trigram: the folding written out
        assert FOLD not in short and FOLD in count_query(s, f, wanted, True)[0]
    engine.dispose()


def test_the_search_index_is_there_before_the_build_tells_running_apps(city: str) -> None:
    """Running apps open a new source when the build logs itself, and look for the index then."""
    engine = make_engine(city)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP INDEX {SEARCH_INDEX}"))
    seen: list[bool] = []

    def progress(message: str) -> None:
        if message.startswith("summing"):
            with engine.connect() as conn:
                seen.append(bool(conn.execute(sa.text(INDEXED)).scalar()))

    sql_build.build(city, progress=progress)
    assert seen == [True]
    engine.dispose()


def test_a_database_without_rights_to_pg_trgm_still_builds_and_searches(city: str) -> None:
    """A role that may not create extensions: the build says once that the search scans, makes no trigram
    index, and the explorer finds what the in-memory one does."""
    admin = make_engine(city)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CREATE ROLE limited LOGIN"))
        conn.execute(sa.text("CREATE DATABASE cpdash_limited"))
    admin.dispose()
    owner = make_engine(sa.make_url(city).set(database="cpdash_limited").render_as_string(False))
    with owner.begin() as conn:
        conn.execute(sa.text("GRANT ALL ON SCHEMA public TO limited"))
    owner.dispose()
    url = sa.make_url(city).set(username="limited", database="cpdash_limited").render_as_string(False)
    for name, table in TABLE_FILES[:3]:
        commit(url, name, (DEFAULT_DATA / name).read_bytes(), table)
    said: list[str] = []
    sql_build.build(url, progress=said.append)
    assert len([m for m in said if "scans the comments" in m]) == 1, said
    assert SEARCH_INDEX not in index_names(url)
    ds = load_dataset(url)
    sql = SqlSource(make_engine(url), dataclasses.replace(ds, responses=None, attendees=None))
    assert not sql._search_indexed()
    same_explorer(sql, MemorySource(ds, default_taxonomy()), Filters())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_sql(city: str, page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("CPDASH_DATA", city)
    monkeypatch.setenv("CPDASH_OFFLINE", "1")
    monkeypatch.setenv("CPDASH_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=120)
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    ctx = at.session_state["page_context"]
    assert isinstance(ctx.src, SqlSource) and ctx.ds.responses is None and ctx.ds.attendees is None


def test_the_figures_of_one_filter_state_share_their_queries(city: str) -> None:
    """Every metric's answers come in one query, a total comes from the rows of its areas (which the
    figures by area read too), and participants and their events come together: a filter change asks the
    database once per grouping, not once per figure."""
    taxonomy = default_taxonomy()
    engine = make_engine(city)
    sql = SqlSource(engine, dataclasses.replace(load_dataset(city), responses=None, attendees=None), taxonomy)
    asked: list[str] = []
    for by in ((), (AREA,), (MONTH,)):  # the labels of the keys, read once per source
        sql.answers("trust", Filters(), by), sql.events(Filters(), by), sql.concerns(Filters(), by)
        sql.comments(Filters(), by), sql.attendees(Filters(), by)
    sa.event.listen(engine, "before_cursor_execute", lambda *args: asked.append(args[2]))
    f = Filters(dt.date(2024, 3, 10), dt.date(2025, 2, 20), ("A02", "A07"))
    for metric in SCORE_METRICS:
        sql.answers(metric, f, (AREA,)), sql.answers(metric, f)
    assert len(asked) == 1, asked
    sql.comments(f), sql.comments(f, (AREA,))
    sql.events(f), sql.events(f, (AREA,))
    sql.concerns(f), sql.concerns(f, (AREA,))
    sql.attendees(f, (MONTH,))
    assert len(asked) == 1 + 1 + 1 + 2 + 1, asked  # concerns: their counts, and their days to resolve


def test_the_public_view_keeps_to_whole_blocks_of_months_by_sql(
    city: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CPDASH_DATA", city)
    monkeypatch.setenv("CPDASH_OFFLINE", "1")
    monkeypatch.setenv("CPDASH_MODE", "public")
    monkeypatch.setenv("CPDASH_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    widget = at.date_input(key="filter_period")
    start, end = widget.value
    widget.set_value((start + dt.timedelta(days=9), end)).run()
    assert not at.exception, [e.value for e in at.exception]
    ctx = at.session_state["page_context"]
    assert isinstance(ctx.src, SqlSource) and ctx.public
    memory = MemorySource(load_dataset(city), default_taxonomy())
    assert ctx.filters.grid == period_grid(memory, PUBLIC)
    assert ctx.filters.start in ctx.filters.grid and ctx.filters.start != start + dt.timedelta(days=9)


def test_a_pooled_connection_is_checked_only_after_sitting_idle(
    city: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures of a rerun ask one query after another: a connection given back moments ago is used
    without a check (a round trip per query), one idle for longer is checked first."""
    engine = make_engine(city)
    checks: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: checks.append(conn) or ping(conn))
    for _ in range(5):
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    assert checks == []
    monkeypatch.setattr(database, "IDLE_CHECK_SECONDS", -1.0)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert len(checks) == 1
    engine.dispose()


def test_the_database_source_answers_after_the_server_closed_its_connections(city: str) -> None:
    """A connection the server ended while it sat in the pool (a restart, an idle timeout) fails its query
    without a check before use: the source asks once more on a new connection."""
    engine = make_engine(city)
    sql = SqlSource(engine, dataclasses.replace(load_dataset(city), responses=None, attendees=None))
    f = Filters(dt.date(2024, 3, 10), dt.date(2025, 2, 20))
    before = sql.answers("trust", f, (AREA,))
    other = make_engine(city)
    with other.connect() as conn:
        ended = conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    "AND datname = current_database() AND backend_type = 'client backend'")
        ).all()  # fmt: skip
    other.dispose()
    assert ended and all(row[0] for row in ended)
    after = sql.answers("trust", f.with_areas(["A02"]), (AREA,))  # a new question: not a kept answer
    assert after["n"].sum() > 0 and after["n"].sum() < before["n"].sum()
    engine.dispose()
