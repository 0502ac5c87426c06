"""A database source: CPDASH_DATA as a SQLAlchemy URL (PostgreSQL through psycopg 3, or SQLite).

The database holds the contract's tables under their own names (`events`, `responses`, ...; areas with
a `geometry` column of GeoJSON text). The app reads and validates them as it does a folder's files;
`select_rows` pushes the date, area and program filters into parameterised SQL; an import commits in one
transaction (a failure leaves every table as it was) and adds a row to `cpdash_imports`, the import log,
whose latest row is the source's version: the app reloads when it changes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from cpdash.data.dataset import Dataset
from cpdash.data.filters import select
from cpdash.data.readers import DataError, RawFile
from cpdash.data.schema import TABLES, Table
from cpdash.importing.importer import MODES, NATURAL_KEYS, Prepared
from cpdash.importing.store import LOG_COLUMNS, LogEntry, StoreError, new_entry
from cpdash.metrics.periods import Filters

LOG_TABLE = "cpdash_imports"
GEOMETRY = "geometry"  # areas: the boundary as GeoJSON text
ADVISORY_LOCK = 7_210_417  # one import at a time (PostgreSQL advisory lock key)
INSERT_CHUNK = 5_000
KEY_CHUNK = 1_000
RETRY_SECONDS = 60  # an unreachable database is tried again after this long
SQL_TYPES = {
    "id": sa.Text,
    "text": sa.Text,
    "category": sa.Text,
    "date": sa.Date,
    "datetime": sa.DateTime,  # without time zone: local times, as the exports give them
    "int": sa.BigInteger,
    "float": sa.Float,
}


def display_url(url: str) -> str:
    """The URL with its password hidden, for messages and the Data page."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "database URL (unreadable)"


def make_engine(url: str) -> Engine:
    """An engine for `url`: a small pool of connections, checked before each use.

    The app keeps one per process (cpdash.ui) so that the source's version, asked for on every rerun, costs
    one query on an open connection rather than a new connection and dialect set-up (~20 ms).
    """
    try:
        if url.startswith("sqlite"):
            return sa.create_engine(url, poolclass=NullPool)
        return sa.create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True, pool_recycle=600)
    except Exception as exc:
        raise DataError(f"{display_url(url)}: not a usable database URL ({_first(exc)})") from exc


def _first(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def contract_metadata() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    """The contract's tables (and the import log) as SQLAlchemy tables."""
    metadata = sa.MetaData()
    tables = {}
    for table in TABLES.values():
        columns = [sa.Column(c.name, SQL_TYPES[c.kind](), nullable=not c.required) for c in table.columns]
        if table.name == "areas":
            columns.append(sa.Column(GEOMETRY, sa.Text()))
        tables[table.name] = sa.Table(table.name, metadata, *columns)
    tables[LOG_TABLE] = sa.Table(
        LOG_TABLE,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("file", sa.Text),
        sa.Column("table_name", sa.Text),
        sa.Column("mode", sa.Text),
        sa.Column("rows_read", sa.Integer),
        sa.Column("accepted", sa.Integer),
        sa.Column("rejected", sa.Integer),
        sa.Column("duplicates", sa.Integer),
        sa.Column("updated", sa.Integer),
        sa.Column("mapping", sa.Text),
        sa.Column("transforms", sa.Text),
    )
    return metadata, tables


def create_tables(url: str) -> None:
    """Create the contract's tables and the import log where they are missing."""
    metadata, _ = contract_metadata()
    with make_engine(url).begin() as conn:
        metadata.create_all(conn)


def _names(conn: Connection) -> dict[str, str]:
    """Contract table -> the database's table of that name (any case)."""
    present = sa.inspect(conn).get_table_names()
    by_lower = {name.lower(): name for name in present}
    return {t: by_lower[t] for t in (*TABLES, LOG_TABLE) if t in by_lower}


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseReader:
    """The contract's tables in a database, read whole for validation."""

    url: str
    tables: dict[str, str]

    @classmethod
    def connect(cls, url: str) -> DatabaseReader:
        """A reader of the tables present; DataError when the database cannot be reached."""
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return cls(url, _names(conn))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"{display_url(url)}: cannot connect ({_first(exc)})") from exc

    def label(self, table: str) -> str | None:
        """`events table` when the database has it, else None."""
        return f"{self.tables[table]} table" if table in self.tables else None

    def read(self, table: str) -> RawFile:
        """Every row of `table` (areas with a geometry column as a GeoJSON FeatureCollection)."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                frame = pd.read_sql(sa.text(f'SELECT * FROM "{self.tables[table]}"'), conn)
        except Exception as exc:
            raise DataError(f"{self.label(table)}: cannot be read ({_first(exc)})") from exc
        frame.columns = [str(c) for c in frame.columns]
        if table == "areas" and GEOMETRY in frame.columns:
            return RawFile(_feature_collection(frame))
        return RawFile(frame)


def _feature_collection(frame: pd.DataFrame) -> dict:
    """Area rows with GeoJSON text in `geometry` as a FeatureCollection (bad geometry left as None)."""
    features = []
    for record in frame.to_dict("records"):
        text = record.pop(GEOMETRY, None)
        try:
            geometry = json.loads(text) if isinstance(text, str) and text.strip() else None
        except ValueError:
            geometry = None
        props = {k: (None if _blank(v) else v) for k, v in record.items()}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def signature(url: str, engine: Engine | None = None) -> str:
    """The database's version for the data cache: its import log's size and latest row (on `engine`, the
    process's pool when the app has one, else on a connection made for the purpose)."""
    shown = display_url(url)
    try:
        with (engine or make_engine(url)).connect() as conn:
            row = conn.execute(sa.text(f"SELECT count(*), max(id) FROM {LOG_TABLE}")).one()
        return f"db:{shown}|imports:{row[0]}:{row[1]}"
    except sa.exc.ProgrammingError:
        return f"db:{shown}|no imports"
    except sa.exc.OperationalError as exc:
        if "no such table" in str(exc):  # SQLite
            return f"db:{shown}|no imports"
        return f"db-unreachable:{shown}|{int(time.time() // RETRY_SECONDS)}"
    except Exception:
        return f"db-unreachable:{shown}|{int(time.time() // RETRY_SECONDS)}"


def select_rows(url: str, table: str, filters: Filters, by_program: bool = True) -> pd.DataFrame:
    """Rows of `table` inside the filters, selected in the database with bound parameters."""
    statement, needs_dates = filtered_select(url, table, filters, by_program)
    with make_engine(url).connect() as conn:
        frame = pd.read_sql(statement, conn)
    date_column = TABLES[table].date_column
    if needs_dates and date_column in frame:  # dates stored as text: filtered here instead
        frame = select(
            frame.assign(**{date_column: pd.to_datetime(frame[date_column], errors="coerce")}),
            filters,
            date_column,
        )
    return frame.reset_index(drop=True)


def filtered_select(
    url: str, table: str, filters: Filters, by_program: bool = True
) -> tuple[sa.Select, bool]:
    """The SELECT for `table` inside the filters (values bound as parameters, never written into the SQL),
    and whether the period is left to filter after reading (a date column stored as text)."""
    with make_engine(url).connect() as conn:
        names = _names(conn)
        if table not in names:
            raise DataError(f"{display_url(url)}: no {table} table")
        reflected = sa.Table(names[table], sa.MetaData(), autoload_with=conn)
    columns = {c.name.lower(): c for c in reflected.columns}
    statement = sa.select(reflected)
    spec = TABLES[table]
    needs_dates = False
    date_column = columns.get(spec.date_column or "")
    if date_column is not None:
        if isinstance(date_column.type, (sa.Date, sa.DateTime)):
            statement = statement.where(
                date_column >= sa.bindparam("start", filters.start),
                date_column < sa.bindparam("end", filters.end + timedelta(days=1)),
            ).order_by(date_column)
        else:
            needs_dates = True
    if filters.areas and "area_id" in columns:
        statement = statement.where(
            columns["area_id"].in_(sa.bindparam("areas", list(filters.areas), expanding=True))
        )
    if by_program and filters.programs and "program" in columns:
        statement = statement.where(
            columns["program"].in_(sa.bindparam("programs", list(filters.programs), expanding=True))
        )
    return statement, needs_dates


def filtered_rows(source: str, ds: Dataset, table: str, filters: Filters) -> pd.DataFrame | None:
    """The rows of `table` the filters select: from the database in SQL, or from the loaded folder."""
    from cpdash.data.load import is_database

    if is_database(source):
        try:
            return select_rows(source, table, filters)
        except DataError:
            return None
    frame = getattr(ds, table, None)
    if frame is None:
        return None
    return select(frame, filters, TABLES[table].date_column, by_program=table == "events")


# --- writing ---------------------------------------------------------------------------------------


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

    @property
    def is_sample(self) -> bool:
        """A database is never the embedded sample."""
        return False

    def read_log(self) -> list[dict]:
        """Every logged import, oldest first."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                if LOG_TABLE not in _names(conn):
                    return []
                rows = conn.execute(sa.text(f"SELECT * FROM {LOG_TABLE} ORDER BY id")).mappings().all()
        except Exception as exc:
            raise StoreError(f"{display_url(self.url)}: cannot read the import log ({_first(exc)})") from exc
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
        engine = make_engine(self.url)
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
                metadata.create_all(conn, tables=[tables[prepared.table], tables[LOG_TABLE]])
                target = self._target(conn, prepared.table)
                entry.updated = self._write(conn, target, prepared, mode)
                conn.execute(
                    tables[LOG_TABLE].insert(),
                    {
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
                    },
                )
                entry.written = f"{target.name} table"
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"{display_url(self.url)}: the import was not committed, nothing changed ({_first(exc)})"
            ) from exc
        return entry

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
