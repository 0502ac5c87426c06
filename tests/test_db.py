"""The database source against a real PostgreSQL server (Debian's postgresql, a throwaway cluster):
loading, imports committed in one transaction, filters pushed into parameterised SQL, the version the app
reloads on. Skipped without PostgreSQL binaries, except under CI (CI set), where they are required."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import REPO
from postgres_support import binaries, postgres_cluster, reset_database

from cpdash.__main__ import main
from cpdash.config import DEFAULT_DATA
from cpdash.data import database as db
from cpdash.data.database_store import DatabaseStore
from cpdash.data.dataset import APPROXIMATE
from cpdash.data.filters import select
from cpdash.data.load import load_dataset, source_signature
from cpdash.importing import importer
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import StoreError, open_store
from cpdash.metrics.periods import Filters

FIXTURES = Path(__file__).parent / "fixtures"

if binaries() is None:
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL binaries are missing under CI: .ci/run must install the postgresql package")
    pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)", allow_module_level=True)


@pytest.fixture(scope="module")
def server() -> str:
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def pg(server: str) -> str:
    """An empty database on the module's server."""
    reset_database(server)
    return server


def commit_file(url: str, path: Path, table: str, mode: str = "add", mapping: str | None = None):
    context = importer.context_from_dataset(load_dataset(url, tables=("areas", "events")))
    upload = read_upload(path.name, path.read_bytes())
    prepared = prepare(upload, suggest_profile(upload, table, context), context)
    return prepared, open_store(url).commit(prepared, mode, mapping)


def populated(url: str) -> str:
    commit_file(url, DEFAULT_DATA / "areas.geojson", "areas")
    commit_file(url, FIXTURES / "calendar_export.csv", "events")
    commit_file(url, FIXTURES / "vendor_scores.csv", "area_scores")
    return url


def test_an_empty_database_loads_with_a_clear_message(pg: str) -> None:
    ds = load_dataset(pg)
    assert ds.report.errors == ["the database: no events table"]
    assert len(ds.events) == 0
    assert source_signature(pg).endswith("|no imports")


def test_imports_are_read_back_and_validated_like_a_folder(pg: str, tmp_path: Path) -> None:
    signatures = {source_signature(pg)}
    populated(pg)
    signatures.add(source_signature(pg))
    ds = load_dataset(pg, cache_dir=tmp_path / "cache")
    assert ds.report.errors == [] and ds.report.rows_rejected == 0
    assert ds.report.source == pg  # no password in it to hide
    assert ds.report.tables["events"].file == "events table"
    assert len(ds.areas_geojson["features"]) == 30
    assert len(ds.events) == 72 and ds.events[APPROXIMATE].all() and ds.events["lat"].notna().all()
    assert ds.events["start"].is_monotonic_increasing
    assert len(ds.area_scores) == 840 and set(ds.area_scores["level"]) == {"city", "area"}
    assert ds.area_scores["period_start"].dtype.kind == "M"
    commit_file(pg, FIXTURES / "calendar_export.csv", "events")  # the same export again: updated, not doubled
    assert len(load_dataset(pg, tables=("events",)).events) == 72
    signatures.add(source_signature(pg))
    assert len(signatures) == 3  # each commit is a new version: the app reloads
    log = open_store(pg).read_log()
    assert [e["table"] for e in log] == ["areas", "events", "area_scores", "events"]
    assert log[-1]["updated"] == 72 and log[-1]["accepted"] == 72


def test_same_data_from_a_folder_and_from_the_database(pg: str, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    for target in (folder, pg):
        for path, table in (
            (DEFAULT_DATA / "areas.geojson", "areas"),
            (FIXTURES / "calendar_export.csv", "events"),
            (FIXTURES / "vendor_scores.csv", "area_scores"),
        ):
            commit_file(str(target), path, table)
    a, b = load_dataset(folder), load_dataset(pg)
    columns = ["event_id", "start", "program", "area_id", "title", "lat", "lon", APPROXIMATE]
    pd.testing.assert_frame_equal(a.events[columns], b.events[columns], check_dtype=False)
    key = ["period_start", "period_end", "level", "area_id", "metric", "group"]
    left = a.area_scores.sort_values(key).reset_index(drop=True)[[*key, "value"]]
    right = b.area_scores.sort_values(key).reset_index(drop=True)[[*key, "value"]]
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_filters_are_pushed_into_parameterised_sql(pg: str) -> None:
    populated(pg)
    ds = load_dataset(pg)
    filters = Filters(date(2025, 2, 1), date(2025, 4, 30), ("A28", "A02"), ("Coffee with a Cop", "Other"))
    statement, needs_dates = db.filtered_select(pg, "events", filters)
    compiled = statement.compile(dialect=sa.dialects.postgresql.psycopg.dialect())
    sql = str(compiled)
    assert not needs_dates
    assert "A28" not in sql and "Coffee" not in sql and "2025" not in sql  # values are bound, not written in
    assert "%(start)s" in sql and "%(end)s" in sql
    rows = db.select_rows(pg, "events", filters)
    expected = select(ds.events, filters, "start", by_program=True)
    assert len(rows) > 0
    assert sorted(rows["event_id"]) == sorted(expected["event_id"])
    assert rows["start"].min() >= pd.Timestamp("2025-02-01") and rows["start"].max() < pd.Timestamp(
        "2025-05-01"
    )
    hostile = Filters(date(2025, 1, 1), date(2025, 12, 31), ("A28' OR '1'='1",), ())
    assert len(db.select_rows(pg, "events", hostile)) == 0
    assert len(load_dataset(pg, tables=("events",)).events) == 72  # and nothing was dropped
    scores = db.select_rows(pg, "area_scores", Filters(date(2025, 6, 1), date(2025, 6, 30), ("A28",), ()))
    assert set(scores["area_id"]) == {"A28"} and len(scores) > 0


def test_filtered_rows_of_a_table_with_text_dates(pg: str) -> None:
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'CREATE TABLE "Events" (event_id text, start text, program text, area_id text, notes text)'
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO \"Events\" VALUES ('E1', '03/15/2025', 'Town hall', '7', 'x'), "
                "('E2', '2025-06-01', 'Coffee with a Cop', '7', NULL)"
            )
        )
    engine.dispose()
    ds = load_dataset(pg)  # a department's own table: other case, text dates, a column not in the contract
    assert ds.events["event_id"].tolist() == ["E1", "E2"]
    assert "columns not in the contract were ignored: notes" in " ".join(ds.report.warnings)
    rows = db.filtered_rows(pg, ds, "events", Filters(date(2025, 3, 1), date(2025, 3, 31)))
    assert rows["event_id"].tolist() == ["E1"]


@pytest.mark.parametrize("dates", ["date", "text"])
def test_the_attendees_download_follows_the_events_the_filters_select(pg: str, dates: str) -> None:
    """Attendees have no date or area of their own: the filters select those of the events they select
    (the download once gave every attendee under a file name naming the period)."""
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(
            sa.text(f"CREATE TABLE events (event_id text, start {dates}, program text, area_id text)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO events VALUES ('E1', '2025-03-15', 'Town hall', 'A'), "
                "('E2', '2025-06-01', 'Town hall', 'A'), ('E3', '2025-03-20', 'Town hall', 'B'), "
                "('E4', '2025-03-21', 'Coffee with a Cop', 'A')"
            )
        )
        conn.execute(sa.text("CREATE TABLE attendees (event_id text, participant_key text)"))
        conn.execute(
            sa.text(
                "INSERT INTO attendees VALUES ('E1', 'p1'), ('E1', 'p2'), ('E2', 'p1'), ('E3', 'p3'), "
                "('E4', 'p4')"
            )
        )
    engine.dispose()
    march_a = Filters(date(2025, 3, 1), date(2025, 3, 31), ("A",), ("Town hall",))
    rows = db.select_rows(pg, "attendees", march_a)
    assert sorted(rows["participant_key"]) == ["p1", "p2"]
    assert len(db.select_rows(pg, "attendees", Filters(date(2025, 1, 1), date(2025, 12, 31)))) == 5


def test_a_failed_import_changes_nothing(pg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    populated(pg)
    before = load_dataset(pg, tables=("events",)).events["event_id"].tolist()
    log_before = open_store(pg).read_log()
    original = DatabaseStore._write

    def write_then_fail(self, conn, target, prepared, mode):
        original(self, conn, target, prepared, mode)  # rows deleted and inserted ...
        raise RuntimeError("connection lost")  # ... then the import dies before it commits

    monkeypatch.setattr(DatabaseStore, "_write", write_then_fail)
    upload = read_upload("e.csv", b"event_id,start,program,area_id\nNEW,2025-01-01,Town hall,A01\n")
    with pytest.raises(StoreError, match="the import was not committed, nothing changed"):
        open_store(pg).commit(prepare(upload, suggest_profile(upload, "events")), "replace")
    monkeypatch.undo()
    assert load_dataset(pg, tables=("events",)).events["event_id"].tolist() == before
    assert open_store(pg).read_log() == log_before


def test_two_imports_at_once_both_land(pg: str) -> None:
    commit_file(pg, DEFAULT_DATA / "areas.geojson", "areas")
    errors: list[BaseException] = []

    def run(prefix: str) -> None:
        rows = "".join(f"{prefix}{i},2025-03-01,Town hall,A01\n" for i in range(2000))
        upload = read_upload("e.csv", ("event_id,start,program,area_id\n" + rows).encode())
        try:
            open_store(pg).commit(prepare(upload, suggest_profile(upload, "events")), "add", prefix)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(load_dataset(pg, tables=("events",)).events) == 4000
    assert sorted(e["mapping"] for e in open_store(pg).read_log())[-2:] == ["A", "B"]


def test_replace_and_area_updates_keep_boundaries(pg: str) -> None:
    populated(pg)
    upload = read_upload("pop.csv", b"area_id,name,level,population\nA01,Upper Riverside,area,999\n")
    context = importer.context_from_dataset(load_dataset(pg, tables=("areas", "events")))
    entry = open_store(pg).commit(prepare(upload, suggest_profile(upload, "areas"), context))
    assert entry.updated == 1
    ds = load_dataset(pg, tables=("areas", "events"))
    assert len(ds.areas_geojson["features"]) == 30
    assert ds.areas.set_index("area_id").loc["A01", "population"] == 999
    upload = read_upload("e.csv", b"event_id,start,program,area_id\nONLY,2025-01-01,Town hall,A01\n")
    open_store(pg).commit(prepare(upload, suggest_profile(upload, "events")), "replace")
    assert load_dataset(pg, tables=("events",)).events["event_id"].tolist() == ["ONLY"]


def test_the_command_line_imports_into_the_database(pg: str, tmp_path: Path, capsys) -> None:
    commit_file(pg, DEFAULT_DATA / "areas.geojson", "areas")
    code = main(
        [
            "import",
            str(FIXTURES / "calendar_export.csv"),
            "--table",
            "events",
            "--mapping",
            "suggest",
            "--into",
            pg,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "imported 72 rows into events table" in out
    code = main(
        [
            "import",
            str(FIXTURES / "vendor_scores.csv"),
            "--table",
            "area_scores",
            "--mapping",
            "suggest",
            "--into",
            pg,
            "--max-rejected",
            "5",
        ]
    )
    assert code == 1 and "nothing was imported" in capsys.readouterr().err
    assert load_dataset(pg).area_scores is None


def test_an_unreachable_database_is_reported_without_its_password() -> None:
    url = "postgresql+psycopg://cpdash:s3cret@127.0.0.1:1/none"
    ds = load_dataset(url)
    assert ds.report.errors and "cannot connect" in ds.report.errors[0]
    assert "s3cret" not in ds.report.errors[0] and "s3cret" not in ds.report.source
    assert source_signature(url).startswith("db-unreachable:")
    assert "s3cret" not in source_signature(url)


def test_sqlite_works_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cpdash.data.database'}"
    commit_file(url, DEFAULT_DATA / "areas.geojson", "areas")
    _, entry = commit_file(url, FIXTURES / "calendar_export.csv", "events")
    assert entry.accepted == 72
    ds = load_dataset(url)
    assert ds.report.errors == [] and len(ds.events) == 72


# --- the import log never lies: data and log are one transaction ------------------------------------


def fail(*args, **kwargs):
    raise RuntimeError("connection lost")


def after(function, then=fail):
    """`function`, then a failure (the step was done, the import dies right after)."""

    def run(*args, **kwargs):
        result = function(*args, **kwargs)
        then()
        return result

    return run


def log_and_data_agree(url: str, new: set[str], mapping: str) -> bool:
    """The import is logged if and only if its rows are stored; returns whether it happened."""
    logged = [e for e in open_store(url).read_log() if e["mapping"] == mapping]
    ids = set(load_dataset(url, tables=("events",)).events["event_id"])
    assert len(logged) <= 1
    assert (new <= ids) if logged else not (new & ids)
    return bool(logged)


@pytest.mark.parametrize(
    ("step", "happened"),
    [
        ("creating the tables", False),
        ("adding missing columns", False),
        ("writing the rows", False),
        ("writing the log row", False),
        ("the commit, before it is made", False),
        ("the commit, its answer lost after it was made", True),
    ],
)
def test_a_failure_at_any_step_leaves_the_log_agreeing_with_the_data(
    pg: str, monkeypatch: pytest.MonkeyPatch, step: str, happened: bool
) -> None:
    populated(pg)
    before = set(load_dataset(pg, tables=("events",)).events["event_id"])
    new = {f"N{i}" for i in range(3)}
    rows = "".join(f"{i},2025-01-01,Town hall,A01\n" for i in sorted(new))
    upload = read_upload("e.csv", ("event_id,start,program,area_id\n" + rows).encode())
    prepared = prepare(upload, suggest_profile(upload, "events"))
    log_insert = sa.Connection.execute

    def execute(self, statement, *args, **kwargs):
        if getattr(statement, "table", None) is not None and statement.table.name == db.LOG_TABLE:
            fail()
        return log_insert(self, statement, *args, **kwargs)

    faults = {
        "creating the tables": (sa.MetaData, "create_all", fail),
        "adding missing columns": (DatabaseStore, "_target", fail),
        "writing the rows": (DatabaseStore, "_write", after(DatabaseStore._write)),
        "writing the log row": (sa.Connection, "execute", execute),
        "the commit, before it is made": (sa.engine.RootTransaction, "commit", fail),
        "the commit, its answer lost after it was made": (
            sa.engine.RootTransaction,
            "commit",
            after(sa.engine.RootTransaction.commit),
        ),
    }
    monkeypatch.setattr(*faults[step])
    if happened:
        assert open_store(pg).commit(prepared, "add", "M").accepted == 3
    else:
        with pytest.raises(StoreError, match="the import was not committed, nothing changed"):
            open_store(pg).commit(prepared, "add", "M")
    monkeypatch.undo()
    assert log_and_data_agree(pg, new, "M") is happened
    assert set(load_dataset(pg, tables=("events",)).events["event_id"]) == before | (
        new if happened else set()
    )


KILLED_DB_IMPORT = """
import os, signal, sys
import sqlalchemy as sa
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import open_store
url, step = sys.argv[1], sys.argv[2]
rows = "".join(f"K{i},2025-03-01,Town hall,A01\\n" for i in range(2_000))
upload = read_upload("e.csv", ("event_id,start,program,area_id\\n" + rows).encode())
prepared = prepare(upload, suggest_profile(upload, "events"))
real = sa.engine.RootTransaction.commit

def commit(self):
    if step == "before the commit":
        os.kill(os.getpid(), signal.SIGKILL)
    real(self)
    if step == "right after the commit":
        os.kill(os.getpid(), signal.SIGKILL)

sa.engine.RootTransaction.commit = commit
open_store(url).commit(prepared, "add", "K")
"""


@pytest.mark.parametrize(
    ("step", "happened"), [("before the commit", False), ("right after the commit", True)]
)
def test_a_kill_during_an_import_leaves_the_log_agreeing_with_the_data(
    pg: str, step: str, happened: bool
) -> None:
    populated(pg)
    result = subprocess.run(
        [sys.executable, "-c", KILLED_DB_IMPORT, pg, step],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        timeout=120,
        capture_output=True,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    assert log_and_data_agree(pg, {f"K{i}" for i in range(2_000)}, "K") is happened


# --- one bad row never takes the data set down -------------------------------------------------------


def test_far_dates_and_hostile_numbers_in_database_rows_are_rejected_rows(pg: str) -> None:
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE events (event_id text, start timestamp, program text, area_id text, "
                "attendance numeric, cost double precision)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO events VALUES ('ok', '2025-01-01 10:00', 'Town hall', 'A01', 5, 1), "
                "('far', '9999-12-31', 'Town hall', 'A01', 5, 1), ('old', '1500-01-01', 'Town hall', 'A01', 5, 1), "
                "('beyond python', '20000-12-31', 'Town hall', 'A01', 5, 1), "
                "('infinite date', 'infinity', 'Town hall', 'A01', 5, 1), "
                "('huge', '2025-01-01', 'Town hall', 'A01', 123456789012345678901234567890, 1), "
                "('negative', '2025-01-01', 'Town hall', 'A01', -4, 1), "
                "('infinite cost', '2025-01-01', 'Town hall', 'A01', 5, 'Infinity')"
            )
        )
    engine.dispose()
    ds = load_dataset(pg)
    events = ds.report.tables["events"]
    assert events.status == "loaded" and ds.events["event_id"].tolist() == ["ok"]
    reasons = dict(zip(events.rejected["event_id"], events.rejected["reason"], strict=True))
    assert reasons["far"].startswith("start outside the accepted dates")
    assert reasons["old"].startswith("start outside the accepted dates")
    assert reasons["beyond python"] == "bad date in start: '20000-12-31 00:00:00'"
    assert reasons["infinite date"] == "bad date in start: 'infinity'"
    assert reasons["huge"].startswith("attendance out of range (0 to 100000): 1.2345678901234568e+29")
    assert reasons["negative"] == "attendance out of range (0 to 100000): -4"
    assert reasons["infinite cost"] == "not a number in cost: 'inf'"
