"""The data store's audit log: every sign-in, sign-out, import and row-level download, with who, when, what
and under which filters.

A folder source keeps it in `.cpdash/audit.jsonl` (one JSON line an event, appended under an exclusive lock
and flushed to disk before the action it records is handed over, the same way as the import log); a
database source in its `cpdash_audit` table; the embedded synthetic sample, which is never changed, in the
cache folder (CPDASH_CACHE). A download whose record cannot be written is not handed out.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from cpdash.data.database import _first, display_url, make_engine
from cpdash.data.load import is_database
from cpdash.data.readers import DataError
from cpdash.importing.store import STATE_FOLDER, FolderStore

AUDIT_FILE = "audit.jsonl"
AUDIT_TABLE = "cpdash_audit"
SAMPLE_AUDIT_FILE = "audit-sample.jsonl"
SIGN_IN, SIGN_OUT, IMPORT, DOWNLOAD = "sign-in", "sign-out", "import", "download"
COLUMNS = ("when", "who", "role", "action", "what", "rows", "filters")
SHOWN = 1_000  # newest entries the Data page shows
DEDUPE_SCAN = 4 * 1024 * 1024  # bytes at the end of the file searched for a sign-in already recorded


class AuditError(DataError):
    """The audit log cannot be written or read."""


@dataclass
class AuditEntry:
    """One event: when (UTC), who, their role, what they did, how many rows, under which filters."""

    who: str
    role: str
    action: str
    what: str
    rows: int | None = None
    filters: str = ""
    when: str = ""
    ref: str = ""  # a sign-in's identity (issuer, subject, issue time): recorded once

    def to_dict(self) -> dict:
        """The entry as plain data, with its time set when it had none."""
        data = asdict(self)
        data["when"] = data["when"] or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return data


def sign_in_ref(issuer: str, subject: str, issued: datetime | None) -> str:
    """The identity of one sign-in (one ID token), so that it is recorded once however many sessions use it."""
    stamp = issued.isoformat() if issued else ""
    return hashlib.sha256(f"{issuer}\x1f{subject}\x1f{stamp}".encode()).hexdigest()[:24]


def filters_text(f: object) -> str:
    """The filters exactly, for the record: `2025-01-01..2025-12-31 · areas 001, 002 · programs all`."""
    areas = ", ".join(getattr(f, "areas", ()) or ()) or "all"
    programs = ", ".join(getattr(f, "programs", ()) or ()) or "all"
    return f"{f.start.isoformat()}..{f.end.isoformat()} · areas {areas} · programs {programs}"


def audit_frame(entries: list[dict]) -> pd.DataFrame:
    """The audit log as a table, newest first."""
    frame = pd.DataFrame(entries, columns=list(COLUMNS))
    frame["rows"] = pd.to_numeric(frame["rows"], errors="coerce").astype("Int64")
    return frame.iloc[::-1].reset_index(drop=True)


@dataclass
class FolderAudit:
    """The audit log of a folder source (or of the sample, in the cache folder)."""

    path: Path
    make_folder: bool = False  # create the folder it lives in (the cache folder), not a missing data folder

    def record(self, entry: AuditEntry) -> None:
        """Append one event and flush it to disk; AuditError when that fails."""
        self._append(entry, once=False)

    def record_once(self, entry: AuditEntry) -> bool:
        """Append a sign-in unless one with the same `ref` is recorded; True when it was appended."""
        return self._append(entry, once=True)

    def read(self, limit: int = SHOWN) -> list[dict]:
        """The newest `limit` events, oldest first (lines that cannot be read are skipped)."""
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AuditError(f"the audit log cannot be read ({exc.strerror or exc})") from None
        entries = []
        for line in lines[-limit:] if limit else lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                entries.append({k: item.get(k) for k in COLUMNS})
        return entries

    def _append(self, entry: AuditEntry, once: bool) -> bool:
        data = (json.dumps(entry.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=self.make_folder, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        except OSError as exc:
            raise AuditError(f"the audit log cannot be written ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one writer at a time, across processes and replicas
            size = os.fstat(fd).st_size
            if once and entry.ref and size:
                start = max(0, size - DEDUPE_SCAN)
                if f'"ref": "{entry.ref}"'.encode() in os.pread(fd, size - start, start):
                    return False
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a line cut short (a full disk) does not swallow this one
            if os.write(fd, data) != len(data):
                raise OSError(28, "No space left on device (the audit line was cut short)")
            os.fsync(fd)
            return True
        except OSError as exc:
            raise AuditError(f"the audit log cannot be written ({exc.strerror or exc})") from None
        finally:
            os.close(fd)  # closing drops the lock


def _table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        AUDIT_TABLE,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("who", sa.Text),
        sa.Column("role", sa.Text),
        sa.Column("action", sa.Text),
        sa.Column("what", sa.Text),
        sa.Column("rows", sa.BigInteger),
        sa.Column("filters", sa.Text),
        sa.Column("ref", sa.Text, index=True),
    )


@dataclass
class DatabaseAudit:
    """The audit log of a database source: the `cpdash_audit` table (created on first use)."""

    url: str
    engine: object | None = None  # the process's pool, when the app has one

    def _engine(self):
        return self.engine or make_engine(self.url)

    def record(self, entry: AuditEntry) -> None:
        """Insert one event (its own transaction); AuditError when that fails."""
        self._insert(entry, once=False)

    def record_once(self, entry: AuditEntry) -> bool:
        """Insert a sign-in unless one with the same `ref` is recorded; True when it was inserted."""
        return self._insert(entry, once=True)

    def read(self, limit: int = SHOWN) -> list[dict]:
        """The newest `limit` events, oldest first."""
        table = _table(sa.MetaData())
        try:
            with self._engine().connect() as conn:
                if not sa.inspect(conn).has_table(AUDIT_TABLE):
                    return []
                query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
                rows = conn.execute(query).mappings().all()
        except Exception as exc:
            raise AuditError(
                f"{display_url(self.url)}: the audit log cannot be read ({_first(exc, self.url)})"
            ) from None
        entries = []
        for row in reversed(rows):
            entry = {k: row.get(k) for k in COLUMNS if k != "when"}
            entry["when"] = pd.Timestamp(row["at"]).strftime("%Y-%m-%dT%H:%M:%SZ")
            entries.append(entry)
        return entries

    def _insert(self, entry: AuditEntry, once: bool) -> bool:
        metadata = sa.MetaData()
        table = _table(metadata)
        data = entry.to_dict()
        row = {k: data[k] for k in ("who", "role", "action", "what", "rows", "filters", "ref")}
        row["at"] = pd.Timestamp(data["when"]).tz_localize(None).to_pydatetime()
        try:
            with self._engine().begin() as conn:
                metadata.create_all(conn, tables=[table])
                if once and entry.ref:
                    found = conn.execute(sa.select(sa.func.count()).where(table.c.ref == entry.ref)).scalar()
                    if found:
                        return False
                conn.execute(table.insert(), row)
        except Exception as exc:
            raise AuditError(
                f"{display_url(self.url)}: the audit log cannot be written ({_first(exc, self.url)})"
            ) from None
        return True


def open_audit(
    source: str | Path, cache_dir: Path, engine: object | None = None
) -> FolderAudit | DatabaseAudit:
    """The audit log of a data source: its `.cpdash/audit.jsonl`, its `cpdash_audit` table, or for the
    embedded sample (never changed) a file in the cache folder."""
    if is_database(source):
        return DatabaseAudit(str(source), engine)
    folder = Path(source)
    if FolderStore(folder).is_sample:
        return FolderAudit(Path(cache_dir) / SAMPLE_AUDIT_FILE, make_folder=True)
    return FolderAudit(folder / STATE_FOLDER / AUDIT_FILE)
