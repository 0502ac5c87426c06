"""The database source's participation statistics: one row per attendee record, its keys worked out once.

`cpdash_attendee_facts` keeps each attendee record matched to an event (one per event and participant)
with what the figures group and count by: the event's day, area and program, the participant's age group
and the participant's first day in the data. A figure then reads one table by day, with no join; distinct
and repeat participants are counted per query, since they do not add up over days.

The builder fills it; an import of attendees or events refreshes the rows of the participants it touches
(a participant's first day and age group depend on all their records), in its own transaction, and
replacing a whole table rebuilds it (cpdash.metrics.sql_build.Maintainer).

Every definition is the in-memory one (cpdash.metrics.memory, cpdash.metrics.stats) written in SQL; every
value a query depends on is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cpdash.metrics.gather import AGE, AREA, MONTH, PROGRAM
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql_cubes import MONTH_OF_DAY, Params, Schema

PEOPLE = "cpdash_attendee_facts"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {PEOPLE} (pk text NOT NULL, event_id text NOT NULL, day date, "
    f"{AREA} text, {PROGRAM} text, {AGE} text, first_day date)",
    f"CREATE INDEX IF NOT EXISTS {PEOPLE}_day_idx ON {PEOPLE} (day)",
    f"CREATE INDEX IF NOT EXISTS {PEOPLE}_pk_idx ON {PEOPLE} (pk)",
)


def _records(s: Schema, only: str) -> str:
    """Each attendee record matched to an event (one per event and participant) with its keys; `only`
    narrows the participants (SQL on `a`)."""
    age = s.key("attendees", "a", AGE)
    order = ', "start"' if s.has("events", "start") else ""
    start = 'CAST("start" AS date)' if s.has("events", "start") else "CAST(NULL AS date)"
    events = (
        f'SELECT DISTINCT ON ("event_id") CAST("event_id" AS text) AS event_id, {start} AS day, '
        f"{s.key('events', 'x', AREA)} AS {AREA}, {s.key('events', 'x', PROGRAM)} AS {PROGRAM} "
        f'FROM {s.table("events")} x ORDER BY "event_id"{order}'
    )
    pairs = (
        f'SELECT CAST(a."event_id" AS text) AS event_id, CAST(a."participant_key" AS text) AS pk, '
        f"max({age}) AS age FROM {s.table('attendees')} a "
        f'WHERE a."event_id" IS NOT NULL AND a."participant_key" IS NOT NULL AND {only} GROUP BY 1, 2'
    )
    records = (
        f"SELECT pairs.pk, pairs.event_id, pairs.age, ev.day, ev.{AREA}, ev.{PROGRAM} FROM ({pairs}) pairs "
        f"JOIN ({events}) ev ON ev.event_id = pairs.event_id"
    )
    people = f"SELECT pk, min(day) AS first_day, max(age) AS {AGE} FROM ({records}) r GROUP BY pk"
    return (
        f"SELECT r.pk, r.event_id, r.day, r.{AREA}, r.{PROGRAM}, people.{AGE}, people.first_day "
        f"FROM ({records}) r JOIN ({people}) people ON people.pk = r.pk"
    )


def refresh(conn: Connection, s: Schema, participants: Sequence[str] | None) -> None:
    """Recompute the rows of `participants` (every participant when None), in the connection's
    transaction."""
    if participants is None:
        conn.execute(sa.text(f"TRUNCATE {PEOPLE}"))
        only, params = "TRUE", {}
    else:
        if not participants:
            return
        params = {"pks": sorted(set(participants))}
        conn.execute(sa.text(f"DELETE FROM {PEOPLE} WHERE pk = ANY(:pks)"), params)
        only = 'CAST(a."participant_key" AS text) = ANY(:pks)'
    ready = s.has("attendees", "event_id") and s.has("attendees", "participant_key")
    if not (ready and s.has("events", "event_id")):
        return
    columns = f"pk, event_id, day, {AREA}, {PROGRAM}, {AGE}, first_day"
    conn.execute(sa.text(f"INSERT INTO {PEOPLE} ({columns}) {_records(s, only)}"), params)


def participants_at(conn: Connection, s: Schema, events: Sequence[str]) -> list[str]:
    """The participants with a record at one of `events`."""
    if not events or not (s.has("attendees", "event_id") and s.has("attendees", "participant_key")):
        return []
    sql = (
        f'SELECT DISTINCT CAST("participant_key" AS text) FROM {s.table("attendees")} '
        'WHERE CAST("event_id" AS text) = ANY(:k) AND "participant_key" IS NOT NULL'
    )
    return [row[0] for row in conn.execute(sa.text(sql), {"k": list(events)})]


def _selected(f: Filters, p: Params, by: Sequence[str]) -> str:
    """The records the filters select (a day, in the period, areas and programs)."""
    where = ["day IS NOT NULL"]
    if f.start is not None:
        where.append(f"day >= {p.add(f.start)}")
    if f.end is not None:
        where.append(f"day <= {p.add(f.end)}")
    if f.areas:
        where.append(f"{AREA} = ANY({p.add(list(f.areas))})")
    if f.programs:
        where.append(f"{PROGRAM} = ANY({p.add(list(f.programs))})")
    month = f", {MONTH_OF_DAY} AS {MONTH}" if MONTH in by else ""
    return f"SELECT *{month} FROM {PEOPLE} WHERE {' AND '.join(where)}"


def attendees_query(f: Filters, by: Sequence[str]) -> tuple[str, dict[str, object]]:
    """Per group: records, distinct participants, repeat (2 or more records) and returning participants
    (first event in the data before the group's month, or before the period), and the events with at least
    one selected record: one query over the selected records."""
    p = Params()
    rows = _selected(f, p, by)
    group = ", ".join(by)
    lead, tail = (f"{group}, " if by else ""), (f" GROUP BY {group}" if by else "")
    if MONTH in by:
        returning = f"first_day < {MONTH}"
    elif f.start is not None:
        returning = f"first_day < {p.add(f.start)}"
    else:
        returning = "FALSE"
    per_person = f"SELECT {lead}pk, count(*) AS n, min(first_day) AS first_day FROM sel GROUP BY {lead}pk"
    people = (
        f"SELECT {lead}CAST(sum(n) AS float8) AS records, count(*) AS participants, "
        f"count(*) FILTER (WHERE n >= 2) AS repeat, count(*) FILTER (WHERE {returning}) AS returning "
        f"FROM ({per_person}) per_person{tail}"
    )
    events = f"SELECT {lead}count(DISTINCT event_id) AS events_with_records FROM sel{tail}"
    same = " AND ".join(f"people.{k} IS NOT DISTINCT FROM events.{k}" for k in by) or "TRUE"
    return (
        f"WITH sel AS ({rows}), people AS ({people}), events AS ({events}) "
        f"SELECT people.*, events.events_with_records FROM people JOIN events ON {same}",
        p.values,
    )
