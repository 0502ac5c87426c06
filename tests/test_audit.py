"""The audit log: sign-ins, imports and row-level downloads recorded with who, when, what and filters, in the
data store (a folder's `.cpdash/`, a database's table), written when a download's file is actually made,
and shown to staff on the Data page, never to the public."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import open_app_page

from cpdash.importing.audit import (
    AUDIT_FILE,
    AUDIT_TABLE,
    DOWNLOAD,
    SIGN_IN,
    AuditEntry,
    AuditError,
    DatabaseAudit,
    FolderAudit,
    audit_frame,
    filters_text,
    open_audit,
    sign_in_ref,
)
from cpdash.importing.store import STATE_FOLDER
from cpdash.metrics.periods import Filters
from tests.walk import recording

F = Filters(date(2025, 1, 1), date(2025, 12, 31), ("001", "002"), ())


def test_filters_are_recorded_exactly() -> None:
    assert filters_text(F) == "2025-01-01..2025-12-31 · areas 001, 002 · programs all"


def test_a_folder_keeps_its_log_in_its_state_folder(folder_source: Path, tmp_path: Path) -> None:
    log = open_audit(folder_source, tmp_path / "cache")
    assert isinstance(log, FolderAudit) and log.path == folder_source / STATE_FOLDER / AUDIT_FILE
    log.record(AuditEntry("sam@riverton.gov", "staff", DOWNLOAD, "open concerns", 12, filters_text(F)))
    (entry,) = log.read()
    assert entry["who"] == "sam@riverton.gov" and entry["rows"] == 12 and entry["action"] == DOWNLOAD
    assert entry["filters"].startswith("2025-01-01..2025-12-31")
    assert datetime.strptime(entry["when"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= datetime.now(UTC)
    frame = audit_frame(log.read())
    assert list(frame.columns) == ["when", "who", "role", "action", "what", "rows", "filters"]


def test_the_sample_is_never_written_to(tmp_path: Path) -> None:
    from cpdash.config import DEFAULT_DATA

    log = open_audit(DEFAULT_DATA, tmp_path / "cache")
    log.record(AuditEntry("a", "staff", DOWNLOAD, "x"))
    assert log.path.parent == tmp_path / "cache"
    assert not (DEFAULT_DATA / STATE_FOLDER).exists()


def test_a_missing_data_folder_is_not_created(tmp_path: Path) -> None:
    log = open_audit(tmp_path / "gone", tmp_path / "cache")
    with pytest.raises(AuditError, match="cannot be written"):
        log.record(AuditEntry("a", "staff", DOWNLOAD, "x"))
    assert not (tmp_path / "gone").exists()


def test_a_sign_in_is_recorded_once(folder_source: Path, tmp_path: Path) -> None:
    log = open_audit(folder_source, tmp_path)
    ref = sign_in_ref("https://idp", "u1", datetime(2026, 5, 4, tzinfo=UTC))
    entry = AuditEntry("sam@riverton.gov", "staff", SIGN_IN, "signed in", ref=ref)
    assert log.record_once(entry) and not log.record_once(entry)
    other = sign_in_ref("https://idp", "u1", datetime(2026, 5, 5, tzinfo=UTC))
    assert log.record_once(AuditEntry("sam@riverton.gov", "staff", SIGN_IN, "again", ref=other))
    assert [e["what"] for e in log.read()] == ["signed in", "again"]


def test_a_line_cut_short_does_not_swallow_the_next(folder_source: Path, tmp_path: Path) -> None:
    log = open_audit(folder_source, tmp_path)
    log.path.parent.mkdir(parents=True, exist_ok=True)
    log.path.write_text('{"who": "cut', encoding="utf-8")
    log.record(AuditEntry("a", "staff", DOWNLOAD, "x"))
    assert [e["who"] for e in log.read()] == ["a"]


def _append_many(path: str, who: str) -> None:
    log = FolderAudit(Path(path))
    for i in range(50):
        log.record(AuditEntry(who, "staff", DOWNLOAD, f"file {i}", i))


def test_processes_writing_at_once_lose_no_line(folder_source: Path) -> None:
    path = folder_source / STATE_FOLDER / AUDIT_FILE
    path.parent.mkdir()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), f"w{i}")) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200 and all(json.loads(line)["action"] == DOWNLOAD for line in lines)


def test_a_database_keeps_its_log_in_a_table(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    log = open_audit(url, tmp_path)
    assert isinstance(log, DatabaseAudit) and log.read() == []
    log.record(AuditEntry("ana@riverton.gov", "analyst", "import", "events.csv into events table", 40))
    ref = sign_in_ref("i", "s", None)
    assert log.record_once(AuditEntry("ana@riverton.gov", "analyst", SIGN_IN, "in", ref=ref))
    assert not log.record_once(AuditEntry("ana@riverton.gov", "analyst", SIGN_IN, "in", ref=ref))
    entries = log.read()
    assert [(e["action"], e["rows"]) for e in entries] == [("import", 40), (SIGN_IN, None)]
    with sa.create_engine(url).connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {AUDIT_TABLE}")).scalar() == 2


def test_an_unreachable_database_says_so_without_its_password(tmp_path: Path) -> None:
    log = open_audit("postgresql+psycopg://u:s3cret-Pw@127.0.0.1:1/db", tmp_path)
    with pytest.raises(AuditError) as raised:
        log.record(AuditEntry("a", "staff", DOWNLOAD, "x"))
    assert "s3cret" not in str(raised.value)


# --- in the app: no sign-in configured, CPDASH_MODE decides -------------------------------------------


def entries(source: Path) -> list[dict]:
    path = source / STATE_FOLDER / AUDIT_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def deferred(at, key: str) -> str:
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(key) or key in b.proto.id]
    return button.proto.deferred_file_id


@pytest.mark.apptest
def test_a_download_made_on_click_is_recorded_when_its_file_is_made(env, folder_source: Path) -> None:
    env(folder_source, CPDASH_MODE="staff")
    with recording(pytest.MonkeyPatch()) as downloads:
        at = open_app_page("pages/you_said_we_did.py", "You said, we did")
        assert entries(folder_source) == []  # offering a download records nothing
        file_id = deferred(at, "you_said_backlog_csv")
        data = downloads.file(None, file_id)
    assert data and b"concern" in data.lower()
    (entry,) = entries(folder_source)
    assert entry["action"] == DOWNLOAD and entry["who"] == "(sign-in not configured)"
    assert entry["role"] == "analyst" and entry["rows"] == 1 and "open concerns" in entry["what"]
    assert entry["filters"].endswith("areas all · programs all")


@pytest.mark.apptest
def test_the_audit_log_is_a_staff_tab_of_the_data_page(env, folder_source: Path) -> None:
    FolderAudit(folder_source / STATE_FOLDER / AUDIT_FILE).record(
        AuditEntry("sam@riverton.gov", "staff", DOWNLOAD, "open concerns", 3, filters_text(F))
    )
    env(folder_source, CPDASH_MODE="staff")
    at = open_app_page("pages/data.py", "Data")
    assert [t.label for t in at.tabs][-1] == "Audit log"
    (frame,) = [d.value for d in at.dataframe if "who" in d.value.columns]
    assert frame["who"].tolist() == ["sam@riverton.gov"]
    env(folder_source, CPDASH_MODE="public")
    at = open_app_page("pages/data.py", "Data")
    assert "Audit log" not in [t.label for t in at.tabs]
    assert not [d for d in at.dataframe if "who" in d.value.columns]


@pytest.mark.apptest
def test_an_import_is_recorded_with_who_made_it(env, tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from cpdash.config import DEFAULT_DATA

    folder = tmp_path / "ours"  # the city's boundaries and one event of its own
    folder.mkdir()
    (folder / "areas.geojson").write_bytes((DEFAULT_DATA / "areas.geojson").read_bytes())
    (folder / "events.csv").write_text("event_id,start,program,area_id\nOWN1,2025-01-05,Town hall,A01\n")
    env(folder, CPDASH_MODE="staff")
    calendar = (Path(__file__).parent / "fixtures" / "calendar_export.csv").read_bytes()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=120)
    at.switch_page("pages/data.py")
    at.run()
    at.file_uploader(key="data_import_file").set_value(("calendar_export.csv", calendar, "text/csv")).run()
    at.button(key="data_import_commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (entry,) = entries(folder)
    assert entry["action"] == "import" and entry["rows"] == 72
    assert entry["who"] == "(sign-in not configured)" and entry["role"] == "analyst"
    assert entry["what"] == "calendar_export.csv into events.csv (add; rows rejected: 1)"
