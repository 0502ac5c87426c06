"""Imports committed into a database source: the rows and their import-log entry in one transaction.

A failure at any step (the database going away, a constraint, a full disk) rolls back both, so the import
log (`cpdash_imports`) always agrees with the data: an import is either stored and logged, or neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cpdash.data.database import (
    ADVISORY_LOCK,
    GEOMETRY,
    INSERT_CHUNK,
    KEY_CHUNK,
    LOG_TABLE,
    SQL_TYPES,
    _first,
    _names,
    contract_metadata,
    display_url,
    make_engine,
)
from cpdash.data.schema import TABLES, Table
from cpdash.importing.importer import MODES, NATURAL_KEYS, Prepared
from cpdash.importing.journal import LOG_COLUMNS, LogEntry, new_entry
from cpdash.importing.store import LOCK_TIMEOUT, StoreBusy, StoreError


def _write_lock(conn: Connection, url: str, timeout: float) -> None:
    """Take SQLite's write lock at once, waiting up to `timeout` seconds for another import to finish.

    SQLite's own wait is 5 s, and a transaction that reads first and writes later can be refused at once
    when another writer holds the file; taking the lock first makes two imports queue, as on PostgreSQL.
    """
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except sa.exc.OperationalError as exc:
        if "locked" not in str(exc.orig).lower():
            raise
        raise StoreBusy(
            f"another import has held {display_url(url)} for {timeout:.0f} s; try again when it has finished"
        ) from None


def _records(frame: pd.DataFrame, table: Table) -> list[dict[str, Any]]:
    """Typed rows as plain Python values for the driver (NaN and NaT as NULL, whole counts as int)."""
    out = {}
    for column in table.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        if column.kind == "date":
            out[column.name] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]
        elif column.kind == "datetime":
            out[column.name] = [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in values]
        elif column.kind == "int":
            out[column.name] = [None if pd.isna(v) else int(v) for v in values]
        elif column.kind == "float":
            out[column.name] = [None if pd.isna(v) else float(v) for v in values]
        else:
            out[column.name] = [None if pd.isna(v) else str(v) for v in values]
    n = len(frame)
    return [{name: values[i] for name, values in out.items()} for i in range(n)]


@dataclass
class DatabaseStore:
    """A database that imports commit into, one transaction per import."""

    url: str
    lock_timeout: float = LOCK_TIMEOUT  # seconds an import waits for another to finish (SQLite)

    @property
    def is_sample(self) -> bool:
        """A database is never the embedded sample."""
        return False

    def read_log(self) -> list[dict]:
        """Every logged import, oldest first."""
        try:
            with make_engine(self.url).connect() as conn:
                if LOG_TABLE not in _names(conn):
                    return []
                rows = conn.execute(sa.text(f"SELECT * FROM {LOG_TABLE} ORDER BY id")).mappings().all()
        except Exception as exc:
            raise StoreError(
                f"{display_url(self.url)}: cannot read the import log ({_first(exc, self.url)})"
            ) from None
        entries = []
        for row in rows:
            entry = {k: row.get(k) for k in LOG_COLUMNS if k in row}
            entry["when"] = pd.Timestamp(row["at"]).strftime("%Y-%m-%dT%H:%M:%SZ")
            entry["table"] = row["table_name"]
            entries.append(entry)
        return entries

    def commit(self, prepared: Prepared, mode: str = "add", mapping: str | None = None) -> LogEntry:
        """Write the accepted rows (added to, or replacing, the table) and log it, in one transaction."""
        if mode not in MODES:
            raise StoreError(f"unknown import mode {mode!r} (one of {', '.join(MODES)})")
        if prepared.rows_accepted == 0:
            raise StoreError(f"{prepared.file}: no row was accepted, so there is nothing to import")
        entry = new_entry(prepared, mode, mapping)
        metadata, tables = contract_metadata()
        log_id = None
        try:
            with make_engine(self.url).connect() as conn:
                transaction = conn.begin()
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
                elif conn.dialect.name == "sqlite":
                    _write_lock(conn, self.url, self.lock_timeout)
                metadata.create_all(conn, tables=[tables[prepared.table], tables[LOG_TABLE]])
                target = self._target(conn, prepared.table)
                stats = _maintainer(conn, self.url)
                if stats is not None:
                    stats.before_write(conn, prepared.table, prepared.accepted, mode)
                entry.updated = self._write(conn, target, prepared, mode)
                if stats is not None:  # the statistics tables follow the rows, in the same transaction
                    stats.after_write(conn, prepared.table, prepared.accepted, mode)
                result = conn.execute(tables[LOG_TABLE].insert(), _log_row(entry))
                log_id = result.inserted_primary_key[0]
                entry.written = f"{target.name} table"
                try:
                    transaction.commit()
                except Exception as exc:  # the database may have committed before the answer was lost
                    return self._in_doubt(log_id, entry, exc)
        except StoreError:
            raise
        except Exception as exc:  # before the commit: the transaction is rolled back, data and log alike
            raise StoreError(
                f"{display_url(self.url)}: the import was not committed, nothing changed ({_first(exc, self.url)})"
            ) from None
        return entry

    def _in_doubt(self, log_id: int, entry: LogEntry, error: Exception) -> LogEntry:
        """After a commit whose answer was lost: the entry when its log row is stored, else StoreError."""
        try:
            with make_engine(self.url).connect() as conn:
                found = conn.execute(
                    sa.text(f"SELECT count(*) FROM {LOG_TABLE} WHERE id = :id"), {"id": log_id}
                )
                stored = bool(found.scalar())
        except Exception:
            raise StoreError(
                f"{display_url(self.url)}: the connection failed while the import was committing "
                f"({_first(error, self.url)}), and the database cannot be asked whether it was stored: the "
                "import log says (an import is stored if and only if it is logged)"
            ) from None
        if stored:
            return entry
        raise StoreError(
            f"{display_url(self.url)}: the import was not committed, nothing changed ({_first(error, self.url)})"
        ) from None

    def _target(self, conn: Connection, table: str) -> sa.Table:
        """The database's table, with any contract column it lacks added."""
        name = _names(conn)[table]
        reflected = sa.Table(name, sa.MetaData(), autoload_with=conn)
        present = {c.name.lower() for c in reflected.columns}
        wanted = [(c.name, SQL_TYPES[c.kind]()) for c in TABLES[table].columns]
        if table == "areas":
            wanted.append((GEOMETRY, sa.Text()))
        added = False
        for column, kind in wanted:
            if column not in present:
                type_sql = kind.compile(dialect=conn.dialect)
                conn.execute(sa.text(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {type_sql}'))
                added = True
        return sa.Table(name, sa.MetaData(), autoload_with=conn) if added else reflected

    def _write(self, conn: Connection, target: sa.Table, prepared: Prepared, mode: str) -> int:
        """Delete what the new rows replace, insert them; returns the rows replaced (in 'add' mode)."""
        spec = TABLES[prepared.table]
        records = _records(prepared.accepted, spec)
        if prepared.table == "areas" and prepared.geometries is not None:
            for record, geometry in zip(records, prepared.geometries, strict=True):
                record[GEOMETRY] = json.dumps(geometry) if geometry is not None else None
        columns = {c.name.lower(): c for c in target.columns}
        updated = 0
        if mode == "replace":
            conn.execute(target.delete())
        elif spec.key:
            keys = [r[spec.key] for r in records]
            if prepared.table == "areas" and prepared.geometries is None:
                _keep_geometry(conn, target, records)
            for i in range(0, len(keys), KEY_CHUNK):
                result = conn.execute(target.delete().where(columns[spec.key].in_(keys[i : i + KEY_CHUNK])))
                updated += result.rowcount or 0
        elif prepared.table in NATURAL_KEYS:
            names = [c for c in NATURAL_KEYS[prepared.table] if c in columns]
            condition = sa.and_(
                *(
                    sa.func.coalesce(columns[c], "") == sa.bindparam(f"k_{c}")
                    if c == "group"
                    else columns[c] == sa.bindparam(f"k_{c}")
                    for c in names
                )
            )
            params = [
                {f"k_{c}": (r.get(c) if c != "group" else r.get(c) or "") for c in names} for r in records
            ]
            result = conn.execute(target.delete().where(condition), params)
            updated = result.rowcount if result.rowcount and result.rowcount > 0 else 0
        rows = [{k: v for k, v in r.items() if k in columns} for r in records]
        for i in range(0, len(rows), INSERT_CHUNK):
            conn.execute(target.insert(), rows[i : i + INSERT_CHUNK])
        return updated


def _log_row(entry: LogEntry) -> dict[str, Any]:
    """The import log's row for `entry`."""
    return {
        "at": pd.Timestamp(entry.when).tz_localize(None).to_pydatetime(),
        "file": entry.file,
        "table_name": entry.table,
        "mode": entry.mode,
        "rows_read": entry.rows_read,
        "accepted": entry.accepted,
        "rejected": entry.rejected,
        "duplicates": entry.duplicates,
        "updated": entry.updated,
        "mapping": entry.mapping,
        "transforms": json.dumps(entry.transforms),
    }


def _keep_geometry(conn: Connection, target: sa.Table, records: list[dict]) -> None:
    """Areas updated from a table without boundaries keep the boundary they had."""
    columns = {c.name.lower(): c for c in target.columns}
    if GEOMETRY not in columns:
        return
    ids = [r["area_id"] for r in records]
    rows = conn.execute(
        sa.select(columns["area_id"], columns[GEOMETRY]).where(columns["area_id"].in_(ids))
    ).all()
    geometry = dict(rows)
    for record in records:
        record[GEOMETRY] = geometry.get(record["area_id"])


def _maintainer(conn: Connection, url: str) -> object | None:
    """What keeps the database's statistics tables current through an import (None when it has none)."""
    from cpdash.metrics.sql_build import Maintainer
    from cpdash.text.topics import load_taxonomy

    return Maintainer.open(conn, load_taxonomy(url))
