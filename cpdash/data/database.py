"""A database source: CPDASH_DATA as a SQLAlchemy URL (PostgreSQL through psycopg 3, or SQLite).

The database holds the contract's tables under their own names (`events`, `responses`, ...; areas with
a `geometry` column of GeoJSON text). The app reads and validates them as it does a folder's files;
`select_rows` pushes the date, area and program filters into parameterised SQL; an import commits in one
transaction (a failure leaves every table as it was) and adds a row to `cpdash_imports`, the import log,
whose latest row is the source's version: the app reloads when it changes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from cpdash.data.dataset import Dataset
from cpdash.data.dates import parse_dates
from cpdash.data.filters import select
from cpdash.data.readers import DataError, RawFile
from cpdash.data.schema import TABLES
from cpdash.metrics.periods import Filters

LOG_TABLE = "cpdash_imports"
GEOMETRY = "geometry"  # areas: the boundary as GeoJSON text
ADVISORY_LOCK = 7_210_417  # one import at a time (PostgreSQL advisory lock key)
INSERT_CHUNK = 5_000
KEY_CHUNK = 1_000
RETRY_SECONDS = 60  # an unreachable database is tried again after this long
IDLE_CHECK_SECONDS = 5.0  # a pooled connection idle for longer is checked before it is used again
SQL_TYPES = {
    "id": sa.Text,
    "text": sa.Text,
    "category": sa.Text,
    "date": sa.Date,
    "datetime": sa.DateTime,  # without time zone: local times, as the exports give them
    "int": sa.BigInteger,
    "float": sa.Float,
}


# Query parameters whose values are shown; every other value (password, sslpassword, token, ...) is hidden.
SHOWN_PARAMETERS = frozenset(
    {
        "sslmode",
        "connect_timeout",
        "application_name",
        "target_session_attrs",
        "client_encoding",
        "charset",
        "gssencmode",
        "load_balance_hosts",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "mode",
        "timeout",
    }
)
HIDDEN = "***"
_USERINFO = re.compile(r"://([^/?#@]*)@")
_QUERY_VALUE = re.compile(r"[?&][^=&#]*=([^&#]*)")


def display_url(url: str) -> str:
    """The URL with its password and every credential-bearing query value hidden, for messages and pages."""
    try:
        parsed = sa.engine.make_url(url)
        shown = parsed.set(query={}).render_as_string(hide_password=True)
    except Exception:
        return "database URL (unreadable)"
    parts = []
    for name, value in parsed.query.items():
        values = value if isinstance(value, tuple) else (value,)
        for one in values:
            parts.append(f"{name}={one if name.lower() in SHOWN_PARAMETERS else HIDDEN}")
    return shown + ("?" + "&".join(parts) if parts else "")


def secrets(url: str) -> list[str]:
    """Every secret a URL carries (password, hidden query values), as written and decoded, longest first."""
    found = set(_USERINFO.findall(url)) | set(_QUERY_VALUE.findall(url))
    found = {part.split(":", 1)[1] if ":" in part else part for part in found}
    try:
        parsed = sa.engine.make_url(url)
        if parsed.password:
            found.add(str(parsed.password))
        for name, value in parsed.query.items():
            if name.lower() not in SHOWN_PARAMETERS:
                found.update(value if isinstance(value, tuple) else (value,))
    except Exception:
        pass
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret of `url` replaced by ***."""
    for secret in secrets(url):
        text = text.replace(secret, HIDDEN)
    return text


def make_engine(url: str) -> Engine:
    """An engine for `url`: a small pool of connections, each checked before use when it sat idle.

    The app keeps one per process (cpdash.ui) so that the source's version, asked for on every rerun, costs
    one query on an open connection rather than a new connection and dialect set-up (~20 ms). A connection
    given back moments ago (the figures of one rerun ask one query after another) is used without a check,
    which would cost a round trip per query; one that died meanwhile fails its query and is dropped (the
    database source asks once more, cpdash.metrics.sql_labels).
    """
    try:
        if url.startswith("sqlite"):
            return sa.create_engine(url, poolclass=NullPool)
        engine = sa.create_engine(url, pool_size=2, max_overflow=4, pool_recycle=600)
    except Exception as exc:
        raise DataError(f"{display_url(url)}: not a usable database URL ({_first(exc, url)})") from None
    sa.event.listen(engine, "connect", _used)
    sa.event.listen(engine, "checkin", _used)
    sa.event.listen(
        engine, "checkout", lambda dbapi, record, _: _check_if_idle(engine.dialect, dbapi, record)
    )
    return engine


def _used(dbapi_connection: object, record: object) -> None:
    """Note when a connection was last known to work (opened, or given back to the pool)."""
    record.info["used"] = time.monotonic()


def _check_if_idle(dialect: sa.Dialect, dbapi_connection: object, record: object) -> None:
    """Check a connection that sat idle in the pool before it is used; the pool replaces a dead one."""
    if time.monotonic() - record.info.get("used", float("-inf")) <= IDLE_CHECK_SECONDS:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception:
        alive = False
    if not alive:
        raise sa.exc.DisconnectionError("the connection was closed")


def _first(exc: Exception, url: str) -> str:
    """The first line of an error, without any secret of `url`."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return scrub(text.splitlines()[0][:200], url) if text else type(exc).__name__


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
            raise DataError(f"{display_url(url)}: cannot connect ({_first(exc, url)})") from None

    def label(self, table: str) -> str | None:
        """`events table` when the database has it, else None."""
        return f"{self.tables[table]} table" if table in self.tables else None

    def read(self, table: str) -> RawFile:
        """Every row of `table` (areas with a geometry column as a GeoJSON FeatureCollection)."""
        query = sa.text(f'SELECT * FROM "{self.tables[table]}"')
        try:
            with make_engine(self.url).connect() as conn:
                frame = pd.read_sql(query, conn)
        except sa.exc.DataError:
            # a value the driver cannot give Python (a date after 9999, 'infinity'): read again keeping such
            # values as their text, so that only their rows are rejected
            frame = self._read_tolerant(table, query)
        except Exception as exc:
            raise DataError(f"{self.label(table)}: cannot be read ({_first(exc, self.url)})") from None
        frame.columns = [str(c) for c in frame.columns]
        if table == "areas" and GEOMETRY in frame.columns:
            return RawFile(_feature_collection(frame))
        return RawFile(frame)

    def _read_tolerant(self, table: str, query: sa.TextClause) -> pd.DataFrame:
        """Every row of `table`, dates and times the driver cannot convert kept as text."""
        try:
            with sa.create_engine(self.url, poolclass=NullPool).connect() as conn:
                _keep_unconvertible_as_text(conn.connection.driver_connection)
                return pd.read_sql(query, conn)
        except Exception as exc:
            raise DataError(f"{self.label(table)}: cannot be read ({_first(exc, self.url)})") from None


def _keep_unconvertible_as_text(connection: object) -> None:
    """On a psycopg connection: dates and times that Python cannot hold are loaded as their text."""
    import psycopg
    from psycopg.types import datetime as loaders

    def tolerant(base: type) -> type:
        class Tolerant(base):  # type: ignore[misc, valid-type]
            def load(self, data: object) -> object:
                try:
                    return super().load(data)
                except psycopg.DataError:
                    return bytes(data).decode("utf-8", "replace")

        return Tolerant

    adapters = getattr(connection, "adapters", None)
    if adapters is None:  # not psycopg: nothing to adapt
        return
    for name, base in (
        ("date", loaders.DateLoader),
        ("timestamp", loaders.TimestampLoader),
        ("timestamptz", loaders.TimestamptzLoader),
    ):
        adapters.register_loader(name, tolerant(base))


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
    """Rows of `table` inside the filters, selected in the database with bound parameters (attendees: those
    of the events the filters select)."""
    if table == "attendees":
        return _attendee_rows(url, filters)
    try:
        statement, needs_dates = filtered_select(url, table, filters, by_program)
        with make_engine(url).connect() as conn:
            frame = pd.read_sql(statement, conn)
    except DataError:
        raise
    except Exception as exc:  # the database down, or a value the driver cannot convert
        raise DataError(f"{display_url(url)}: {table} cannot be read ({_first(exc, url)})") from None
    date_column = TABLES[table].date_column
    if needs_dates and date_column in frame:  # dates stored as text: filtered here instead
        frame = select(
            frame.assign(**{date_column: parse_dates(frame[date_column])}),
            filters,
            date_column,
        )
    return frame.reset_index(drop=True)


def _attendee_rows(url: str, filters: Filters) -> pd.DataFrame:
    """The attendees of the events the filters select: one query with the events' as a subquery (or, when the
    events' dates are text, the ids of the events selected after reading them)."""
    try:
        events, needs_dates = filtered_select(url, "events", filters)
        with make_engine(url).connect() as conn:
            reflected = sa.Table(
                _names(conn).get("attendees", "attendees"), sa.MetaData(), autoload_with=conn
            )
            event_id = {c.name.lower(): c for c in reflected.columns}["event_id"]
            if needs_dates:
                ids = select_rows(url, "events", filters)["event_id"].astype("str").tolist()
                wanted = sa.bindparam("ids", ids, expanding=True)
            else:
                chosen = events.order_by(None).subquery()
                wanted = sa.select({c.name.lower(): c for c in chosen.columns}["event_id"]).scalar_subquery()
            frame = pd.read_sql(sa.select(reflected).where(event_id.in_(wanted)), conn)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{display_url(url)}: attendees cannot be read ({_first(exc, url)})") from None
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
    if table == "attendees":  # no date or area of their own: the attendees of the events selected
        events = select(ds.events, filters, "start", by_program=True)
        return frame[frame["event_id"].isin(events["event_id"])]
    return select(frame, filters, TABLES[table].date_column, by_program=table == "events")
