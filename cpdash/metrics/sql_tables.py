"""The SQL of the database source's statistics that are read from the rows themselves: events (their sums),
and concerns (each concern's follow-through flags for a period, counted; the days to resolve, grouped by
days). These tables are small next to the responses, and an index on their date keeps a period cheap.
Attendees are read from their own statistics table (cpdash.metrics.sql_attendees).

Every definition is the in-memory one (cpdash.metrics.memory, cpdash.metrics.stats) written in SQL; every
value a query depends on is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

from cpdash.metrics.gather import AREA, MONTH, PROGRAM, RESOLVE_WITHIN_DAYS, TOPIC
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql_cubes import CONCERN_FACTS, MONTH_OF_DAY, TOPICS, Params, Schema, raw_period
from cpdash.metrics.stats import STATUSES

STATUS = "status"
DECLINED, IN_PROGRESS, RESOLVED = "declined", "in progress", "resolved"


def _keys(by: Sequence[str]) -> tuple[str, str, str]:
    """The select list, GROUP BY and a leading comma for the keys `by` (month taken from the day)."""
    select = ", ".join(f"{MONTH_OF_DAY} AS {MONTH}" if k == MONTH else k for k in by)
    group = ", ".join(by)
    return (select + ", ") if by else "", f" GROUP BY {group}" if by else "", group


def _filters(f: Filters, p: Params, programs: bool) -> str:
    """Conditions on the areas (and programs) of the filters."""
    out = ""
    if f.areas:
        out += f" AND {AREA} = ANY({p.add(list(f.areas))})"
    if programs and f.programs:
        out += f" AND {PROGRAM} = ANY({p.add(list(f.programs))})"
    return out


def events_query(s: Schema, f: Filters, by: Sequence[str]) -> tuple[str, dict[str, object]]:
    """Events and the sums of their figures per group (cpdash.metrics.gather's event statistics)."""
    p = Params()
    t = "events"
    att, youth = s.column(t, "e", "attendance", "float8"), s.column(t, "e", "youth_attendance", "float8")
    hours, cost = s.column(t, "e", "officer_hours", "float8"), s.column(t, "e", "cost", "float8")
    period = raw_period('e."start"', f.start, f.end, p)
    rows = (
        f'SELECT CAST(e."start" AS date) AS day, {s.key(t, "e", AREA)} AS {AREA}, '
        f"{s.key(t, 'e', PROGRAM)} AS {PROGRAM}, {att} AS att, {youth} AS youth, {hours} AS hours, "
        f"{cost} AS cost FROM {s.table(t)} e WHERE {period}"
    )
    select, group, _ = _keys(by)
    pair_youth = "att IS NOT NULL AND youth IS NOT NULL AND att > 0"
    pair_cost = "att IS NOT NULL AND cost IS NOT NULL"
    sums = (
        "count(*) AS events, coalesce(sum(att), 0) AS attendance, count(att) AS attendance_known, "
        "coalesce(sum(youth), 0) AS youth_attendance, count(youth) AS youth_known, "
        f"coalesce(sum(youth) FILTER (WHERE {pair_youth}), 0) AS youth_num, "
        f"coalesce(sum(att) FILTER (WHERE {pair_youth}), 0) AS youth_den, "
        "coalesce(sum(hours), 0) AS officer_hours, count(hours) AS hours_known, "
        "coalesce(sum(cost), 0) AS cost, count(cost) AS cost_known, "
        f"coalesce(sum(cost) FILTER (WHERE {pair_cost}), 0) AS cost_num, "
        f"coalesce(sum(att) FILTER (WHERE {pair_cost}), 0) AS cost_den"
    )
    where = "day IS NOT NULL" + _filters(f, p, programs=True)
    return f"SELECT {select}{sums} FROM ({rows}) ev WHERE {where}{group}", p.values


def _concern_rows(s: Schema, f: Filters, p: Params, topics: bool) -> str:
    """The concerns raised by the end of the period in its areas, each with its flags for the period."""
    t = "concerns"
    status = f"coalesce(lower({s.key(t, 'c', STATUS)}), '')"
    join, topic_column = "", ""
    period = raw_period('c."raised"', None, f.end, p)
    if topics:
        join = f'LEFT JOIN {CONCERN_FACTS} cf ON cf.concern_id = CAST(c."concern_id" AS text)'
        topic_column = f", cf.topics AS {TOPICS}"
    base = (
        f'SELECT CAST(c."raised" AS date) AS day, {s.column(t, "c", "resolved", "date")} AS resolved_day, '
        f"{status} AS status, {s.key(t, 'c', AREA)} AS {AREA}, {s.key(t, 'c', TOPIC)} AS {TOPIC}{topic_column} "
        f"FROM {s.table(t)} c {join} WHERE {period}"
    )
    start = p.add(f.start) if f.start is not None else None
    end = p.add(f.end) if f.end is not None else None
    resolved, declined, progress = p.add(RESOLVED), p.add(DECLINED), p.add(IN_PROGRESS)
    known = p.add(list(STATUSES))
    has_date = "resolved_day IS NOT NULL"
    dated_by_end = f"({has_date} AND resolved_day <= {end})" if end else f"({has_date})"
    closed = f"(status = {resolved} OR status = {declined})"
    closed_by_end = (
        f"(({closed} AND (NOT {has_date} OR {dated_by_end})) OR (status <> ALL({known}) AND {dated_by_end}))"
    )
    raised_in = f"(day >= {start})" if start else "TRUE"
    date_in = f"({dated_by_end} AND resolved_day >= {start})" if start else dated_by_end
    eligible = f"({raised_in} AND day + {RESOLVE_WITHIN_DAYS} <= {end})" if end else raised_in
    flags = {
        "raised": raised_in,
        "resolved": f"(status = {resolved} AND {date_in})",
        "declined": f"(status = {declined} AND {date_in})",
        "open_at_end": f"(NOT {closed_by_end})",
        "in_progress_at_end": f"(NOT {closed_by_end} AND status = {progress})",
        "missing_resolved_date": f"({closed} AND NOT {has_date})",
        "resolved_within_90": f"({eligible} AND status = {resolved} AND {has_date} "
        f"AND resolved_day - day <= {RESOLVE_WITHIN_DAYS})",
        "eligible_90": eligible,
    }
    marks = ", ".join(f"{flag} AS is_{name}" for name, flag in flags.items())
    where = "day IS NOT NULL" + _filters(f, p, programs=False)
    return f"SELECT cr.*, {marks} FROM ({base}) cr WHERE {where}"


def concerns_query(
    s: Schema, f: Filters, by: Sequence[str], names: Sequence[str]
) -> tuple[str, dict[str, object]]:
    """Per group: the concerns selected ("selected") and how many carry each flag of `names`."""
    p = Params()
    rows = _concern_rows(s, f, p, TOPICS in by)
    select, group, _ = _keys(by)
    counts = ", ".join(["count(*) AS selected", *(f"count(*) FILTER (WHERE is_{n}) AS {n}" for n in names)])
    return f"SELECT {select}{counts} FROM ({rows}) flagged{group}", p.values


def days_query(s: Schema, f: Filters, by: Sequence[str]) -> tuple[str, dict[str, object]]:
    """Per group and number of days from raised to resolved: the concerns resolved in the period."""
    p = Params()
    rows = _concern_rows(s, f, p, False)
    select, _, group = _keys(by)
    tail = f"{group}, days" if by else "days"
    return (
        f"SELECT {select}resolved_day - day AS days, count(*) AS weight FROM ({rows}) flagged "
        f"WHERE is_resolved GROUP BY {tail}",
        p.values,
    )
