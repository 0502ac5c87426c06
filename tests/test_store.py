"""The folder store: atomic commits, a crash mid-import leaves the previous data exactly as it was,
two imports at once both land, and every import is logged."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, area_features, write_geojson

from cpdash.data.load import load_dataset, source_signature
from cpdash.importing import importer, journal
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import (
    LOG_FILE,
    STATE_FOLDER,
    TMP_FOLDER,
    FolderStore,
    StoreBusy,
    StoreError,
    log_frame,
    open_store,
)
from tests.store_faults import DISK_STEPS, KILL_STEPS, disk_full_at


def events_csv(ids: list[str], program: str = "Town hall", day: int = 1) -> bytes:
    rows = "".join(f"{i},2025-03-{day:02d},{program},001,Title {i}\n" for i in ids)
    return ("event_id,start,program,area_id,title\n" + rows).encode()


def prepared_events(ids: list[str], **kwargs) -> importer.Prepared:
    upload = read_upload("events.csv", events_csv(ids, **kwargs))
    return prepare(upload, suggest_profile(upload, "events"))


def digest(folder: Path) -> dict[str, str]:
    """Every data file of the folder (not the store's own files) and a hash of its bytes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    (folder / "events.csv").write_bytes(events_csv(["E1", "E2"]))
    return folder


def test_add_keeps_old_rows_updates_same_ids_and_logs(source: Path) -> None:
    store = open_store(source)
    entry = store.commit(prepared_events(["E2", "E3"], program="Block party"), "add", "monthly")
    assert (entry.accepted, entry.updated, entry.written, entry.mapping) == (2, 1, "events.csv", "monthly")
    ds = load_dataset(source)
    assert ds.report.errors == []
    programs = ds.events.set_index("event_id")["program"].to_dict()
    assert programs == {"E1": "Town hall", "E2": "Block party", "E3": "Block party"}
    log = store.read_log()
    assert len(log) == 1 and log[0]["file"] == "events.csv" and log[0]["table"] == "events"
    assert log[0]["accepted"] == 2 and log[0]["rejected"] == 0 and log[0]["mapping"] == "monthly"
    assert list(log_frame(log).columns)[:4] == ["when", "file", "table", "mode"]


def test_replace_keeps_only_the_new_rows(source: Path) -> None:
    open_store(source).commit(prepared_events(["E9"]), "replace")
    assert load_dataset(source).events["event_id"].tolist() == ["E9"]


def test_a_commit_changes_the_source_signature(source: Path) -> None:
    before = source_signature(source)
    open_store(source).commit(prepared_events(["E3"]))
    assert source_signature(source) != before


def test_store_files_are_not_read_as_data(source: Path) -> None:
    open_store(source).commit(prepared_events(["E3"]))
    assert (source / STATE_FOLDER / LOG_FILE).is_file()
    assert load_dataset(source).report.notes == []  # no "files not named after a table were ignored"


def test_the_sample_city_is_never_changed(tmp_path: Path) -> None:
    folder = tmp_path / "sample"
    folder.mkdir()
    (folder / "events.csv").write_bytes(events_csv(["E1"]))
    (folder / "manifest.json").write_text(json.dumps({"synthetic": True}))
    before = digest(folder)
    with pytest.raises(StoreError, match="synthetic sample city and is not changed by imports"):
        open_store(folder).commit(prepared_events(["E2"]))
    assert digest(folder) == before


def test_nothing_accepted_is_refused(source: Path) -> None:
    upload = read_upload(
        "events.csv", b"event_id,start,program,area_id,attendance\nE1,2025-01-01,Town hall,001,-1\n"
    )
    with pytest.raises(StoreError, match="no row was accepted"):
        open_store(source).commit(prepare(upload, suggest_profile(upload, "events")))


def test_a_crash_while_writing_leaves_the_previous_data_exactly(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(source)
    store = open_store(source)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash)  # dies while the new file is being written
    with pytest.raises(
        StoreError, match=r"the import could not be written \(disk full\); the data is unchanged"
    ):
        store.commit(prepared_events(["E3"]))
    monkeypatch.undo()
    assert digest(source) == before
    assert list((source / STATE_FOLDER / TMP_FOLDER).iterdir()) == []  # the partial file is gone
    assert store.read_log() == []  # a failed import is not logged


def test_a_crash_just_before_the_swap_leaves_the_previous_data_exactly(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(source)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # interrupted after the new file was written, before it replaced the old

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        open_store(source).commit(prepared_events(["E3"]))
    monkeypatch.undo()
    assert digest(source) == before
    entry = open_store(source).commit(prepared_events(["E3"]))  # the next import works
    assert entry.accepted == 1


KILLED_IMPORT = """
import sys
from pathlib import Path
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import open_store
rows = "".join(f"K{i},2025-03-01,Town hall,001,{'x' * 100}\\n" for i in range(150_000))
upload = read_upload("events.csv", ("event_id,start,program,area_id,title\\n" + rows).encode(), max_bytes=10**9)
prepared = prepare(upload, suggest_profile(upload, "events"))
print("ready", flush=True)
open_store(Path(sys.argv[1])).commit(prepared, "add")
"""


def test_an_import_killed_mid_write_leaves_the_previous_data_exactly(source: Path) -> None:
    before = digest(source)
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(source)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout.readline().strip() == b"ready"
        tmp = source / STATE_FOLDER / TMP_FOLDER
        deadline, writing = time.monotonic() + 60, False
        while time.monotonic() < deadline and not writing:
            with contextlib.suppress(FileNotFoundError):
                writing = tmp.is_dir() and any(p.stat().st_size > 0 for p in tmp.iterdir())
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)  # mid-write: no cleanup, no finally
    finally:
        process.wait(timeout=60)
    assert writing and process.returncode == -signal.SIGKILL
    assert digest(source) == before
    assert load_dataset(source).events["event_id"].tolist() == ["E1", "E2"]
    entry = open_store(source).commit(
        prepared_events(["E3"])
    )  # the leftover is cleared, the next import works
    assert entry.accepted == 1 and list((source / STATE_FOLDER / TMP_FOLDER).iterdir()) == []


CONCURRENT_IMPORT = """
import sys
from pathlib import Path
from cpdash.importing.importer import prepare, read_upload, suggest_profile
from cpdash.importing.store import open_store
prefix = sys.argv[2]
rows = "".join(f"{prefix}{i},2025-03-01,Town hall,001,t\\n" for i in range(20_000))
upload = read_upload("events.csv", ("event_id,start,program,area_id,title\\n" + rows).encode())
prepared = prepare(upload, suggest_profile(upload, "events"))
print("ready", flush=True)
sys.stdin.readline()
open_store(Path(sys.argv[1])).commit(prepared, "add", prefix)
"""


def test_two_imports_at_once_both_land(source: Path) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_IMPORT, str(source), prefix],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        for prefix in ("A", "B")
    ]
    for process in processes:
        assert process.stdout.readline().strip() == b"ready"
    for process in processes:  # both start their commit at the same moment
        process.stdin.write(b"go\n")
        process.stdin.flush()
    for process in processes:
        assert process.wait(timeout=120) == 0
    ids = load_dataset(source).events["event_id"]
    assert len(ids) == 2 + 40_000 and ids.is_unique  # neither import lost the other's rows
    log = open_store(source).read_log()
    assert sorted(e["mapping"] for e in log) == ["A", "B"]


def test_a_busy_store_says_so(source: Path) -> None:
    import fcntl

    lock = source / STATE_FOLDER / "lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        store = FolderStore(source, lock_timeout=0.2)
        with pytest.raises(StoreBusy, match="another import has held source"):
            store.commit(prepared_events(["E3"]))
    assert FolderStore(source, lock_timeout=0.2).commit(prepared_events(["E3"])).accepted == 1


def test_threads_importing_at_once(source: Path) -> None:
    errors: list[BaseException] = []

    def run(prefix: str) -> None:
        try:
            open_store(source).commit(prepared_events([f"{prefix}{i}" for i in range(50)]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in "XYZ"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(load_dataset(source).events) == 2 + 150


def test_parquet_stays_parquet_and_excel_is_set_aside(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    pd.DataFrame(
        {"event_id": ["E1"], "start": ["2025-01-01"], "program": ["Town hall"], "area_id": ["1"]}
    ).to_parquet(folder / "events.parquet")
    pd.DataFrame(
        {"concern_id": ["C1"], "raised": ["2025-01-01"], "area_id": ["1"], "topic": ["noise"]}
    ).to_excel(folder / "concerns.xlsx", index=False)
    open_store(folder).commit(prepared_events(["E2"]))
    upload = read_upload("c.csv", b"concern_id,raised,area_id,topic\nC2,2025-02-01,1,traffic\n")
    entry = open_store(folder).commit(prepare(upload, suggest_profile(upload, "concerns")))
    assert entry.written == "concerns.csv"
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["concerns.csv", "events.parquet"]
    ds = load_dataset(folder)
    assert ds.events["event_id"].tolist() == ["E1", "E2"]
    assert ds.concerns["concern_id"].tolist() == ["C1", "C2"]
    assert any((folder / STATE_FOLDER / "replaced").glob("*-concerns.xlsx"))


def test_areas_from_a_table_update_properties_and_keep_boundaries(source: Path) -> None:
    upload = read_upload(
        "pop.csv", b"area_id,name,level,population\n1,North End,district,12345\n9,Nowhere,district,5\n"
    )
    prepared = prepare(
        upload, suggest_profile(upload, "areas"), importer.context_from_dataset(load_dataset(source))
    )
    assert prepared.rows_accepted == 1
    assert prepared.rejected["reason"].tolist() == ["a new area needs a boundary (import areas as GeoJSON)"]
    entry = open_store(source).commit(prepared)
    assert entry.updated == 1
    ds = load_dataset(source)
    assert ds.report.errors == [] and len(ds.areas_geojson["features"]) == 3
    assert ds.areas.set_index("area_id").loc["001", "population"] == 12345


def test_adding_to_a_file_with_unreadable_rows_is_refused(source: Path) -> None:
    (source / "events.csv").write_bytes(events_csv(["E1"]) + b"E2,2025-03-01,Town hall,001,t,extra\n")
    before = digest(source)
    with pytest.raises(StoreError, match="1 rows that cannot be split into cells"):
        open_store(source).commit(prepared_events(["E3"]))
    assert digest(source) == before
    assert open_store(source).commit(prepared_events(["E3"]), "replace").accepted == 1


# --- the log never lies: a fault at every step of a commit -----------------------------------------


def stored_ids(folder: Path) -> set[str]:
    return set(load_dataset(folder).events["event_id"])


def assert_log_agrees_with_data(folder: Path, new: set[str], mapping: str) -> bool:
    """The import is logged if and only if its rows are stored; returns whether it happened."""
    logged = [e for e in open_store(folder).read_log() if e.get("mapping") == mapping]
    assert len(logged) <= 1
    ids = stored_ids(folder)
    if logged:
        assert new <= ids and logged[0]["accepted"] == len(new)
    else:
        assert not new & ids
    return bool(logged)


@pytest.mark.parametrize(("step", "happened"), list(DISK_STEPS.items()))
def test_a_full_disk_at_any_step_leaves_the_log_agreeing_with_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, happened: bool
) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    pd.read_csv(io.BytesIO(events_csv(["E1", "E2"]))).to_excel(folder / "events.xlsx", index=False)
    before, new = {"E1", "E2"}, {"E3", "E4"}
    prepared = prepared_events(sorted(new))
    disk_full_at(step, folder, monkeypatch)
    if happened:
        entry = open_store(folder).commit(prepared, "add", "M")
        assert entry.accepted == 2
    else:
        with pytest.raises(StoreError, match="the data is unchanged"):
            open_store(folder).commit(prepared, "add", "M")
    monkeypatch.undo()
    assert assert_log_agrees_with_data(folder, new, "M") is happened
    assert stored_ids(folder) == before | (new if happened else set())
    # the next import resolves what was left, clears the leftovers, and the log still agrees
    open_store(folder).commit(prepared_events(["E9"]), "add", "next")
    assert assert_log_agrees_with_data(folder, {"E9"}, "next")
    assert assert_log_agrees_with_data(folder, new, "M") is happened
    assert stored_ids(folder) == before | {"E9"} | (new if happened else set())
    assert list((folder / STATE_FOLDER / TMP_FOLDER).iterdir()) == []
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["areas.geojson", "events.csv"]
    assert journal.read_journal(folder / STATE_FOLDER / LOG_FILE).unresolved() == []  # all written down


KILLED_AT = """
import sys
from pathlib import Path
from cpdash.importing import store
from cpdash.importing.importer import prepare, read_upload
from cpdash.importing.importer import suggest_profile
from tests.store_faults import die_at
rows = "".join(f"K{i},2025-03-01,Town hall,001,t\\n" for i in range(2_000))
upload = read_upload("events.csv", ("event_id,start,program,area_id,title\\n" + rows).encode())
prepared = prepare(upload, suggest_profile(upload, "events"))
die_at(sys.argv[2])
store.open_store(Path(sys.argv[1])).commit(prepared, "add", "K")
"""


@pytest.mark.parametrize(("step", "happened"), list(KILL_STEPS.items()))
def test_a_kill_at_any_step_leaves_the_log_agreeing_with_the_data(
    source: Path, step: str, happened: bool
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLED_AT, str(source), step],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        capture_output=True,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    new = {f"K{i}" for i in range(2_000)}
    assert assert_log_agrees_with_data(source, new, "K") is happened
    assert stored_ids(source) == {"E1", "E2"} | (new if happened else set())
    open_store(source).commit(prepared_events(["E9"]), "add", "next")
    assert assert_log_agrees_with_data(source, {"E9"}, "next")
    assert assert_log_agrees_with_data(source, new, "K") is happened
    assert list((source / STATE_FOLDER / TMP_FOLDER).iterdir()) == []


def test_a_line_cut_short_by_a_full_disk_does_not_swallow_the_next(source: Path) -> None:
    open_store(source).commit(prepared_events(["E3"]), "add", "first")
    with (source / STATE_FOLDER / LOG_FILE).open("a", encoding="utf-8") as handle:
        handle.write('{"when": "2025-')  # a line cut short, no newline
    open_store(source).commit(prepared_events(["E4"]), "add", "second")
    assert [e["mapping"] for e in open_store(source).read_log()] == ["first", "second"]


def test_a_log_written_before_entries_were_confirmed_still_reads(source: Path) -> None:
    old = {
        "when": "2025-01-01T00:00:00Z",
        "file": "old.csv",
        "table": "events",
        "mode": "add",
        "mapping": "x",
    }
    (source / STATE_FOLDER).mkdir()
    (source / STATE_FOLDER / LOG_FILE).write_text(json.dumps(old) + "\n", encoding="utf-8")
    open_store(source).commit(prepared_events(["E3"]), "add", "new")
    assert [e["mapping"] for e in open_store(source).read_log()] == ["x", "new"]
    assert "id" not in open_store(source).read_log()[1] and "tmp" not in open_store(source).read_log()[1]


# --- a SQLite database: two imports queue, as in a folder ----------------------------------------------


def hold_sqlite_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    """Another writer: holds the database's write lock for `seconds`."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def test_an_import_into_sqlite_waits_for_another_longer_than_sqlite_would(tmp_path: Path) -> None:
    from cpdash.data.database_store import DatabaseStore

    path = tmp_path / "cpdash.db"
    store = DatabaseStore(f"sqlite:///{path}")
    store.commit(prepared_events(["E1"]), "add", "first")
    held = threading.Event()
    writer = threading.Thread(target=hold_sqlite_write_lock, args=(path, 6.0, held))  # SQLite's own wait: 5 s
    writer.start()
    held.wait(5)
    started = time.monotonic()
    store.commit(prepared_events(["E2"]), "add", "second")
    writer.join()
    assert time.monotonic() - started > 5  # it waited for the other writer, and then landed
    assert [e["mapping"] for e in store.read_log()] == ["first", "second"]
    assert set(load_dataset(store.url, tables=("events",)).events["event_id"]) == {"E1", "E2"}


def test_a_busy_sqlite_database_says_so(tmp_path: Path) -> None:
    from cpdash.data.database_store import DatabaseStore

    path = tmp_path / "cpdash.db"
    DatabaseStore(f"sqlite:///{path}").commit(prepared_events(["E1"]), "add", "first")
    held = threading.Event()
    writer = threading.Thread(target=hold_sqlite_write_lock, args=(path, 1.5, held))
    writer.start()
    held.wait(5)
    with pytest.raises(StoreBusy, match="another import has held .*cpdash.db for 0 s"):
        DatabaseStore(f"sqlite:///{path}", lock_timeout=0.2).commit(prepared_events(["E2"]))
    writer.join()
    assert [e["mapping"] for e in DatabaseStore(f"sqlite:///{path}").read_log()] == ["first"]
