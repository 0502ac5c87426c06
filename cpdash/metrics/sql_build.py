"""The database source's statistics tables: made once by the builder, kept current by every import.

`python -m cpdash.metrics.sql_build URL` builds them for a PostgreSQL database loaded by other means: the
facts of every comment and concern (cpdash.metrics.sql_facts; comments already worked out are kept, so an
interrupted build resumes), the day and month tables of every cube (cpdash.metrics.sql_cubes), the attendee
records' table (cpdash.metrics.sql_attendees), the indexes the queries and imports need, and a line in the
import log (so that running apps pick the tables up). Among the indexes, the trigram index of the folded
comments that the comment explorer's word search reads (cpdash.metrics.sql_comments; the pg_trgm extension,
created when missing): a database where the extension cannot be created (no rights to) gets none, the build
says so, and the search scans the comments instead.

An import into a database that has them refreshes them in its own transaction (cpdash.data.database_store
calls `Maintainer`): the facts of the rows it adds, and the days it touches (the days of the rows it adds
and of those it replaces; for events, the days of the responses given at them, whose program may change);
for attendees and events, the attendee records of the participants they touch
(cpdash.metrics.sql_attendees); replacing a whole table rebuilds them. So the statistics always agree with
the rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cpdash.data.database import ADVISORY_LOCK, LOG_TABLE, _names, contract_metadata, make_engine
from cpdash.metrics import sql_attendees, sql_comments, sql_facts
from cpdash.metrics.sql_cubes import (
    CONCERN_FACTS,
    CUBES,
    FACTS,
    MONTH_OF_DAY,
    RELATIONS,
    Cube,
    Schema,
    aggregate,
    create_sql,
    month_after,
    quote,
)
from cpdash.text.sentiment import SCORER_VERSION
from cpdash.text.topics import Taxonomy, default_taxonomy

VERSION = "2"  # of the tables' layout: another value makes the app read the rows instead, until rebuilt
META = "cpdash_stats_meta"
PAGE = 100_000  # comments worked out per step of a build
RAW_INDEXES = (
    ("responses", "submitted"),
    ("responses", "response_id"),
    ("responses", "event_id"),
    ("events", "event_id"),
    ("events", "start"),
    ("concerns", "concern_id"),
    ("attendees", "event_id"),
    ("attendees", "participant_key"),
)
Progress = Callable[[str], None]


def schema(conn: Connection) -> Schema:
    """The contract's tables present in the database, and their columns."""
    names = _names(conn)
    inspector = sa.inspect(conn)
    columns = {
        table: frozenset(str(c["name"]).lower() for c in inspector.get_columns(name))
        for table, name in names.items()
    }
    return Schema(names, columns)


def meta(conn: Connection) -> dict[str, str]:
    """The statistics tables' description ({} when the database has none)."""
    if not sa.inspect(conn).has_table(META):
        return {}
    return dict(conn.execute(sa.text(f"SELECT key, value FROM {META}")).all())


def problem(conn: Connection, taxonomy: Taxonomy) -> str | None:
    """Why the statistics tables cannot answer for this app (None when they can)."""
    if conn.dialect.name != "postgresql":
        return "the statistics tables are kept in PostgreSQL only"
    found = meta(conn)
    if not found:
        return "the database has no statistics tables"
    if found.get("version") != VERSION:
        return "the statistics tables were built by another version"
    if found.get("taxonomy") != taxonomy.signature:
        return "the statistics tables were built with other topics"
    return None


def _create(conn: Connection) -> None:
    """Every statistics table and index (those missing)."""
    conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {META} (key text PRIMARY KEY, value text)"))
    for statement in (*sql_facts.CREATE, *sql_attendees.CREATE):
        conn.execute(sa.text(statement))
    for cube in CUBES:
        for statement in create_sql(cube):
            conn.execute(sa.text(statement))


def _raw_indexes(conn: Connection, s: Schema) -> None:
    """Indexes on the contract's tables that queries and imports use (those missing)."""
    for table, column in RAW_INDEXES:
        if s.has(table, column):
            name = quote(f"cpdash_{table}_{column}_idx")
            conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS {name} ON {s.table(table)} ("{column}")'))


def _search_index(engine: sa.Engine, say: Progress) -> bool:
    """The trigram index of the folded comments (pg_trgm; see sql_comments); False, said once, when the
    database cannot have it: the word search then scans the comments."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        s = schema(conn)
        if not s.has("responses", "comment"):
            return False
        if conn.execute(sa.text(sql_comments.INDEXED)).scalar():
            return True  # kept up to date by the server as rows come and go
        try:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
            say("indexing the comments for word search")
            for statement in sql_comments.index_sql(s.table("responses")):
                conn.execute(sa.text(statement))
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig or exc).splitlines()[0]
            say(f"word search without an index ({reason}): the comment explorer scans the comments instead")
            return False
        conn.execute(sa.text(f"ANALYZE {s.table('responses')}"))  # the folded text's statistics
        return True


def _columns(cube: Cube) -> str:
    return ", ".join([*cube.keys, *(m.name for m in cube.measures)])


def _refresh_cube(conn: Connection, s: Schema, cube: Cube, days: Sequence[dt.date] | None) -> None:
    """Recompute the cube's day rows of `days` (every day when None) and the month rows of their months."""
    params: dict[str, object] = {}
    where, day_filter, month_filter = "TRUE", "", ""
    if days is None:
        conn.execute(sa.text(f"TRUNCATE {cube.name}_day, {cube.name}_month"))
    else:
        if not days:
            return
        months = sorted({d.replace(day=1) for d in days})
        params = {"days": list(days), "lo": min(days), "hi": max(days) + dt.timedelta(days=1)}
        params |= {"months": months, "m_lo": months[0], "m_hi": month_after(max(days))}
        where = 'r."submitted" >= :lo AND r."submitted" < :hi AND CAST(r."submitted" AS date) = ANY(:days)'
        day_filter = " AND day = ANY(:days)"
        month_filter = f" AND day >= :m_lo AND day < :m_hi AND {MONTH_OF_DAY} = ANY(:months)"
        conn.execute(sa.text(f"DELETE FROM {cube.name}_day WHERE day = ANY(:days)"), params)
        conn.execute(sa.text(f"DELETE FROM {cube.name}_month WHERE month = ANY(:months)"), params)
    if not s.has("responses", "submitted") or (
        cube.relation == "comments" and not s.has("responses", "comment")
    ):
        return
    rows = RELATIONS[cube.relation](s, where)
    daily = aggregate(
        f"SELECT * FROM ({rows}) rel WHERE day IS NOT NULL{day_filter}",
        ["day", *cube.keys],
        cube.measures,
        False,
    )
    conn.execute(sa.text(f"INSERT INTO {cube.name}_day (day, {_columns(cube)}) {daily}"), params)
    cells = f"SELECT {MONTH_OF_DAY} AS month, * FROM {cube.name}_day WHERE TRUE{month_filter}"
    monthly = aggregate(cells, ["month", *cube.keys], cube.measures)
    conn.execute(sa.text(f"INSERT INTO {cube.name}_month (month, {_columns(cube)}) {monthly}"), params)


def refresh(conn: Connection, days: Iterable[dt.date] | None) -> None:
    """Recompute every cube for `days` (all of them when None), in the connection's transaction."""
    s = schema(conn)
    chosen = None if days is None else sorted(set(days))
    for cube in CUBES:
        _refresh_cube(conn, s, cube, chosen)


def _days(values: pd.Series) -> set[dt.date]:
    """The days of datetimes (missing ones left out)."""
    stamps = pd.to_datetime(values, errors="coerce").dropna()
    return {d.date() for d in stamps.dt.normalize().unique()}


def _response_days(conn: Connection, s: Schema, column: str, keys: list[str]) -> set[dt.date]:
    """The days of the responses whose `column` is one of `keys`."""
    if not keys or not s.has("responses", column) or not s.has("responses", "submitted"):
        return set()
    sql = f'SELECT DISTINCT CAST("submitted" AS date) FROM {s.table("responses")} WHERE "{column}" = ANY(:k)'
    return {row[0] for row in conn.execute(sa.text(sql), {"k": keys}) if row[0] is not None}


@dataclass
class Maintainer:
    """Keeps the statistics tables current through one import, in its transaction."""

    taxonomy: Taxonomy
    before: set[dt.date]

    @classmethod
    def open(cls, conn: Connection, taxonomy: Taxonomy | None = None) -> Maintainer | None:
        """A maintainer when the database keeps statistics tables, else None."""
        if conn.dialect.name != "postgresql" or not meta(conn):
            return None
        return cls(taxonomy or default_taxonomy(), set())

    def before_write(self, conn: Connection, table: str, rows: pd.DataFrame, mode: str) -> None:
        """Before the rows are written: note the days of the responses an import is about to replace."""
        if table == "responses" and mode != "replace" and "response_id" in rows:
            keys = rows["response_id"].astype("str").tolist()
            self.before = _response_days(conn, schema(conn), "response_id", keys)

    def after_write(self, conn: Connection, table: str, rows: pd.DataFrame, mode: str) -> None:
        """After the rows are written: their facts, and the statistics of every day they touch."""
        s = schema(conn)
        if table == "responses":
            facts = sql_facts.comment_facts(rows, self.taxonomy)
            self._replace_facts(conn, FACTS, "response_id", rows, mode, facts)
            refresh(conn, None if mode == "replace" else self.before | _days(rows["submitted"]))
        elif table == "events":
            keys = rows["event_id"].astype("str").tolist() if "event_id" in rows else []
            refresh(conn, None if mode == "replace" else _response_days(conn, s, "event_id", keys))
            people = None if mode == "replace" else sql_attendees.participants_at(conn, s, keys)
            sql_attendees.refresh(conn, s, people)
        elif table == "attendees":
            keys = rows["participant_key"].astype("str").tolist() if "participant_key" in rows else []
            sql_attendees.refresh(conn, s, None if mode == "replace" else keys)
        elif table == "concerns":
            facts = sql_facts.concern_facts(rows, self.taxonomy)
            self._replace_facts(conn, CONCERN_FACTS, "concern_id", rows, mode, facts)

    @staticmethod
    def _replace_facts(
        conn: Connection, table: str, key: str, rows: pd.DataFrame, mode: str, facts: pd.DataFrame
    ) -> None:
        if mode == "replace":
            conn.execute(sa.text(f"TRUNCATE {table}"))
        elif key in rows:
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE {key} = ANY(:k)"), {"k": rows[key].astype("str").tolist()}
            )
        sql_facts.write(conn, table, facts)


# --- the builder -----------------------------------------------------------------------------------------


def _lock(conn: Connection) -> None:
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def _comment_facts(engine: sa.Engine, taxonomy: Taxonomy, progress: Progress) -> int:
    """Work out the facts of every comment that has none yet, a page at a time (each page committed)."""
    done, last = 0, ""
    while True:
        with engine.begin() as conn:
            s = schema(conn)
            if not s.has("responses", "comment"):
                return done
            language = 'r."language"' if s.has("responses", "language") else "CAST(NULL AS text)"
            sql = (
                f'SELECT CAST(r."response_id" AS text) AS response_id, r."comment" AS comment, {language} AS language '
                f'FROM {s.table("responses")} r WHERE CAST(r."response_id" AS text) > :last '
                'AND r."comment" IS NOT NULL AND btrim(r."comment") <> \'\' AND NOT EXISTS '
                f'(SELECT 1 FROM {FACTS} f WHERE f.response_id = CAST(r."response_id" AS text)) '
                f'ORDER BY CAST(r."response_id" AS text) LIMIT {PAGE}'
            )
            page = pd.read_sql(sa.text(sql), conn, params={"last": last})
            if len(page) == 0:
                return done
            done += sql_facts.write(conn, FACTS, sql_facts.comment_facts(page, taxonomy))
            last = str(page["response_id"].iloc[-1])
        progress(f"comments worked out: {done:,}")


def _log(conn: Connection, rows: int) -> None:
    """A line in the import log, so that running apps see a new version of the source."""
    metadata, tables = contract_metadata()
    metadata.create_all(conn, tables=[tables[LOG_TABLE]])
    conn.execute(
        tables[LOG_TABLE].insert(),
        {"at": dt.datetime.now(), "file": "statistics tables", "table_name": "responses", "mode": "statistics",
         "rows_read": rows, "accepted": rows, "rejected": 0, "duplicates": 0, "updated": 0},
    )  # fmt: skip


def build(url: str, taxonomy: Taxonomy | None = None, progress: Progress | None = None) -> dict[str, float]:
    """Build (or rebuild) every statistics table of a PostgreSQL database; returns the seconds of each step."""
    say = progress or (lambda message: None)
    taxonomy = taxonomy or default_taxonomy()
    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        raise ValueError("statistics tables are kept in PostgreSQL only")
    seconds, clock = {}, time.perf_counter()
    with engine.begin() as conn:
        _lock(conn)
        _create(conn)
        _raw_indexes(conn, schema(conn))
        if meta(conn).get("taxonomy") not in (None, taxonomy.signature):
            conn.execute(sa.text(f"TRUNCATE {FACTS}"))  # other topics: every comment is worked out again
        conn.execute(sa.text(f"DELETE FROM {META}"))  # not ready until the build is done
    seconds["indexes"], clock = time.perf_counter() - clock, time.perf_counter()
    say("working out the comments' language, sentiment and topics")
    _comment_facts(engine, taxonomy, say)
    seconds["comments"], clock = time.perf_counter() - clock, time.perf_counter()
    _search_index(engine, say)  # before the log line: the apps that it makes open a new source see the index
    seconds["search index"], clock = time.perf_counter() - clock, time.perf_counter()
    with engine.begin() as conn:
        _lock(conn)
        s = schema(conn)
        conn.execute(sa.text(f"TRUNCATE {CONCERN_FACTS}"))
        if s.has("concerns"):
            concerns = pd.read_sql(sa.text(f"SELECT * FROM {s.table('concerns')}"), conn)
            sql_facts.write(conn, CONCERN_FACTS, sql_facts.concern_facts(concerns, taxonomy))
        say("summing the responses by day and month")
        refresh(conn, None)
        sql_attendees.refresh(conn, s, None)
        rows = conn.execute(
            sa.text("SELECT coalesce(sum(responses), 0) FROM cpdash_stats_answers_month")
        ).scalar()
        values = {"version": VERSION, "taxonomy": taxonomy.signature, "scorer": SCORER_VERSION,
                  "built": dt.datetime.now().isoformat(timespec="seconds")}  # fmt: skip
        for key, value in values.items():
            conn.execute(sa.text(f"INSERT INTO {META} (key, value) VALUES (:k, :v)"), {"k": key, "v": value})
        _log(conn, int(rows or 0))
    seconds["tables"], clock = time.perf_counter() - clock, time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for cube in CUBES:
            conn.execute(sa.text(f"ANALYZE {cube.name}_day; ANALYZE {cube.name}_month"))
        conn.execute(sa.text(f"ANALYZE {sql_attendees.PEOPLE}"))
    seconds["analyze"] = time.perf_counter() - clock
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the statistics tables of a PostgreSQL database."""
    parser = argparse.ArgumentParser(prog="python -m cpdash.metrics.sql_build", description=main.__doc__)
    parser.add_argument("url", help="the database's SQLAlchemy URL (postgresql+psycopg://...)")
    args = parser.parse_args(argv)
    from cpdash.data.database import display_url, scrub

    try:
        seconds = build(args.url, progress=lambda message: print(message, flush=True))
    except Exception as exc:
        print(
            f"{display_url(args.url)}: {scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, args.url)}"
        )
        return 2
    print("built in " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
