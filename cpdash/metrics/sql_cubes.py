"""The SQL of the database source's statistics: the rows each figure reads, and the tables that keep their
sums per day and per month.

A *relation* is the SQL of one kind of row as the statistics read it: one row per response (`answers`) or
per comment (`comments`: the responses with a comment, and the facts worked out for it at import, see
cpdash.metrics.sql_facts), with its day, its grouping keys (trimmed; blank is NULL) and its measures.

A *cube* keeps a relation's statistics by day and a few keys in `<name>_day`, and by calendar month in
`<name>_month`. A query over a period reads the month rows of the whole months inside it and the day rows
of the days left over at either end, so that a year costs twelve months of rows and at most two months of
days, however many responses the database holds. Sums add up; the squared deviations (m2) of cells are
merged exactly with their counts and sums (the groups' m2 is the cells' m2 plus each cell's n times the
squared distance of its mean from the group's mean), never by subtracting large sums of squares.

Every value a query depends on is a bound parameter; only names from this module are written into SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics.gather import AGE, AREA, GENDER, LANGUAGE, MONTH, PROGRAM, RACE
from cpdash.metrics.sentiment import CLASSES

FACTS = "cpdash_comment_facts"  # per comment: language, sentiment class, topics
CONCERN_FACTS = "cpdash_concern_facts"  # per concern: topics
TOPICS = "topics"  # the key of a comment's (or concern's) combination of topics: a JSON list of names
RESPONSES = "responses"  # the measure every response counts in (answered or not)
MONTH_OF_DAY = "CAST(date_trunc('month', day) AS date)"


@dataclass(frozen=True)
class Schema:
    """The contract's tables in the database: their names there and their columns (lower case)."""

    tables: Mapping[str, str]
    columns: Mapping[str, frozenset[str]]

    def has(self, table: str, column: str | None = None) -> bool:
        """True when the database has `table` (and its `column`)."""
        if table not in self.tables:
            return False
        return column is None or column in self.columns.get(table, frozenset())

    def table(self, table: str) -> str:
        """The table's name, quoted."""
        return quote(self.tables[table])

    def column(self, table: str, alias: str, column: str, cast: str | None = None) -> str:
        """`alias."column"` (cast when asked), or a NULL of that type when the table lacks the column."""
        if not self.has(table, column):
            return f"CAST(NULL AS {cast or 'text'})"
        ref = f'{alias}."{column}"'
        return f"CAST({ref} AS {cast})" if cast else ref

    def key(self, table: str, alias: str, column: str) -> str:
        """A text key as figures group by it: trimmed, blank as NULL."""
        if not self.has(table, column):
            return "CAST(NULL AS text)"
        return f"NULLIF(btrim(CAST({alias}.\"{column}\" AS text)), '')"


def quote(name: str) -> str:
    """An identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def _programs(schema: Schema, alias: str) -> tuple[str, str]:
    """The join that gives each row of `alias` (with an event_id) its event's program, and the key."""
    if not (schema.has("events", "event_id") and schema.has("events", "program")):
        return "", "CAST(NULL AS text)"
    if alias == "r" and not schema.has("responses", "event_id"):
        return "", "CAST(NULL AS text)"
    order = ', "start"' if schema.has("events", "start") else ""
    join = (
        f'LEFT JOIN (SELECT DISTINCT ON ("event_id") "event_id" AS event_id, "program" AS program '
        f'FROM {schema.table("events")} ORDER BY "event_id"{order}) e ON e.event_id = {alias}."event_id"'
    )
    return join, "NULLIF(btrim(CAST(e.program AS text)), '')"


def answers_relation(schema: Schema, where: str = "TRUE") -> str:
    """Every response: day, area_id, program (its event's), age_group, gender, race_ethnicity and the
    answers (NULL where not given); `where` narrows the raw rows (alias r)."""
    join, program = _programs(schema, "r")
    t = "responses"
    answers = ", ".join(schema.column(t, "r", m, "double precision") + f" AS {m}" for m in SCORE_METRICS)
    return (
        f'SELECT CAST(r."submitted" AS date) AS day, {schema.key(t, "r", AREA)} AS {AREA}, '
        f"{program} AS {PROGRAM}, {schema.key(t, 'r', AGE)} AS {AGE}, {schema.key(t, 'r', GENDER)} AS {GENDER}, "
        f"{schema.key(t, 'r', RACE)} AS {RACE}, {answers} "
        f"FROM {schema.table(t)} r {join} WHERE {where}"
    )


def comments_relation(schema: Schema, where: str = "TRUE") -> str:
    """Every comment: day, area_id, program, language (code), sentiment class (code) and topics."""
    join, program = _programs(schema, "r")
    t = "responses"
    return (
        f'SELECT CAST(r."submitted" AS date) AS day, {schema.key(t, "r", AREA)} AS {AREA}, '
        f"{program} AS {PROGRAM}, f.language AS {LANGUAGE}, f.class AS class, f.topics AS {TOPICS} "
        f'FROM {schema.table(t)} r JOIN {FACTS} f ON f.response_id = CAST(r."response_id" AS text) {join} '
        f"WHERE {where}"
    )


RELATIONS = {"answers": answers_relation, "comments": comments_relation}


@dataclass(frozen=True)
class Measure:
    """A statistic: its aggregate over raw rows; "sum" adds up over cells, "m2" merges with its n and
    total."""

    name: str
    raw: str
    kind: str = "sum"
    n: str = ""
    total: str = ""


def answer_measures() -> tuple[Measure, ...]:
    """Responses, and n, total and m2 of each answer."""
    out = [Measure(RESPONSES, "count(*)")]
    for m in SCORE_METRICS:
        out += [
            Measure(f"n_{m}", f"count({m})"),
            Measure(f"total_{m}", f"coalesce(sum({m}), 0)"),
            Measure(
                f"m2_{m}", f"coalesce(var_samp({m}) * (count({m}) - 1), 0)", "m2", f"n_{m}", f"total_{m}"
            ),
        ]
    return tuple(out)


def comment_measures() -> tuple[Measure, ...]:
    """Comments and the comments of each sentiment class (codes of cpdash.metrics.sentiment.classify)."""
    classes = [Measure(name, f"count(*) FILTER (WHERE class = {code})") for code, name in enumerate(CLASSES)]
    return (Measure("comments", "count(*)"), *classes)


@dataclass(frozen=True)
class Cube:
    """A relation's statistics kept by day (and by month) and `keys`."""

    name: str
    relation: str
    keys: tuple[str, ...]
    measures: tuple[Measure, ...]

    def covers(self, by: Sequence[str]) -> bool:
        """True when the cube can answer a grouping by `by` (the month comes from the day)."""
        return set(by) <= {*self.keys, MONTH}

    def measure(self, name: str) -> Measure:
        """One of the cube's measures."""
        return next(m for m in self.measures if m.name == name)


CUBES = (
    Cube("cpdash_stats_answers", "answers", (AREA, PROGRAM), answer_measures()),
    Cube("cpdash_stats_answers_age", "answers", (AREA, AGE), answer_measures()),
    Cube("cpdash_stats_answers_gender", "answers", (AREA, GENDER), answer_measures()),
    Cube("cpdash_stats_answers_race", "answers", (AREA, RACE), answer_measures()),
    Cube("cpdash_stats_comments", "comments", (AREA, PROGRAM, LANGUAGE), comment_measures()),
    Cube("cpdash_stats_comment_topics", "comments", (AREA, TOPICS), comment_measures()),
)
KEY_TYPES = {LANGUAGE: "smallint"}


def cube_for(relation: str, by: Sequence[str]) -> Cube | None:
    """The first cube of `relation` that can answer a grouping by `by` (None: read the rows)."""
    return next((c for c in CUBES if c.relation == relation and c.covers(by)), None)


def create_sql(cube: Cube) -> list[str]:
    """CREATE TABLE and INDEX statements of a cube's day and month tables."""
    out = []
    for grain in ("day", "month"):
        keys = ", ".join(f"{k} {KEY_TYPES.get(k, 'text')}" for k in cube.keys)
        measures = ", ".join(f"{m.name} double precision NOT NULL" for m in cube.measures)
        out.append(
            f"CREATE TABLE IF NOT EXISTS {cube.name}_{grain} ({grain} date NOT NULL, {keys}, {measures})"
        )
        out.append(f"CREATE INDEX IF NOT EXISTS {cube.name}_{grain}_idx ON {cube.name}_{grain} ({grain})")
    return out


# --- aggregating --------------------------------------------------------------------------------------


def aggregate(cells: str, keys: Sequence[str], measures: Sequence[Measure], merge: bool = True) -> str:
    """Group `cells` (SQL whose columns are the keys and the measures) by `keys`: sums add up, m2 merges.

    With `merge` False, `cells` are raw rows and every measure is its raw aggregate."""
    group = ", ".join(keys)
    lead = f"{group}, " if keys else ""
    tail = f" GROUP BY {group}" if keys else ""
    if not merge:
        columns = ", ".join(f"{m.raw} AS {m.name}" for m in measures)
        return f"SELECT {lead}{columns} FROM ({cells}) cells{tail}"
    spread = [m for m in measures if m.kind == "m2"]
    if not spread:
        columns = ", ".join(f"coalesce(sum({m.name}), 0) AS {m.name}" for m in measures)
        return f"SELECT {lead}{columns} FROM ({cells}) cells{tail}"
    window = f"PARTITION BY {group}" if keys else ""
    inner = ", ".join(
        [f"sum({m.total}) OVER w AS g_{m.total}, sum({m.n}) OVER w AS g_{m.n}" for m in spread] + ["cells.*"]
    )
    columns = []
    for m in measures:
        if m.kind == "m2":
            distance = f"{m.total} / {m.n} - g_{m.total} / g_{m.n}"
            columns.append(
                f"coalesce(sum({m.name} + CASE WHEN {m.n} > 0 THEN {m.n} * ({distance}) * ({distance}) "
                f"ELSE 0 END), 0) AS {m.name}"
            )
        else:
            columns.append(f"coalesce(sum({m.name}), 0) AS {m.name}")
    return (
        f"SELECT {lead}{', '.join(columns)} FROM (SELECT {inner} FROM ({cells}) cells "
        f"WINDOW w AS ({window})) merged{tail}"
    )


# --- periods -------------------------------------------------------------------------------------------


def month_after(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Split:
    """A period as whole months [first, after) (None: open, or no whole month) and leftover day ranges."""

    months: tuple[dt.date | None, dt.date | None] | None
    days: tuple[tuple[dt.date | None, dt.date | None], ...]


def split(start: dt.date | None, end: dt.date | None) -> Split:
    """The whole months inside a period and the days left over at either end (inclusive ranges)."""
    first = None if start is None else (start if start.day == 1 else month_after(start))
    after = None
    if end is not None:
        following = end + dt.timedelta(days=1)
        after = following if following.day == 1 else end.replace(day=1)
    if first is not None and after is not None and first >= after:
        return Split(None, ((start, end),))
    days = []
    if start is not None and first is not None and start < first:
        days.append((start, first - dt.timedelta(days=1)))
    if end is not None and after is not None and after <= end:
        days.append((after, end))
    return Split((first, after), tuple(days))


class Params:
    """Bound parameters of one statement, named as they are added."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        """A placeholder for `value`."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"


def _range(column: str, low: dt.date | None, high: dt.date | None, p: Params, after: bool) -> list[str]:
    """Conditions for `low` <= column <= `high` (or < `high` when `after`), open ends left out."""
    out = []
    if low is not None:
        out.append(f"{column} >= {p.add(low)}")
    if high is not None:
        out.append(f"{column} {'<' if after else '<='} {p.add(high)}")
    return out


def cells(
    cube: Cube,
    columns: Sequence[str],
    by: Sequence[str],
    start: dt.date | None,
    end: dt.date | None,
    areas: Sequence[str],
    p: Params,
) -> str:
    """The cube's cells in the period and areas: the month rows of the whole months, the day rows of the
    rest; columns: the keys of `by` (month taken from the day) and `columns`."""
    parts = []
    period = split(start, end)
    area = [f"{AREA} = ANY({p.add(list(areas))})"] if areas else []
    for grain in ("month", "day"):
        if grain == "month":
            if period.months is None:
                continue
            conditions = [*_range("month", *period.months, p, after=True), *area]
        else:
            if not period.days:
                continue
            ranges = [" AND ".join(_range("day", lo, hi, p, after=False)) or "TRUE" for lo, hi in period.days]
            conditions = ["(" + " OR ".join(f"({r})" for r in ranges) + ")", *area]
        month = "month" if grain == "month" else MONTH_OF_DAY
        keys = [f"{month} AS {MONTH}" if k == MONTH else k for k in by]
        where = " AND ".join(conditions) or "TRUE"
        parts.append(f"SELECT {', '.join([*keys, *columns])} FROM {cube.name}_{grain} WHERE {where}")
    if not parts:  # an empty period: no cell
        keys = [f"CAST(NULL AS date) AS {MONTH}" if k == MONTH else f"NULL AS {k}" for k in by]
        zero = [f"CAST(0 AS double precision) AS {c}" for c in columns]
        return f"SELECT {', '.join([*keys, *zero])} WHERE FALSE"
    return " UNION ALL ".join(parts)


def cube_query(
    cube: Cube,
    names: Sequence[str],
    by: Sequence[str],
    start: dt.date | None,
    end: dt.date | None,
    areas: Sequence[str],
) -> tuple[str, dict[str, object]]:
    """SQL and parameters: the measures `names` of the cube per group of `by` over the period and areas."""
    p = Params()
    measures = [cube.measure(n) for n in names]
    return aggregate(cells(cube, names, by, start, end, areas, p), list(by), measures), p.values


def raw_period(column: str, start: dt.date | None, end: dt.date | None, p: Params) -> str:
    """Conditions on a raw date or timestamp column for the days from `start` to `end` (index friendly)."""
    out = [f"{column} IS NOT NULL"]
    if start is not None:
        out.append(f"{column} >= {p.add(start)}")
    if end is not None:
        out.append(f"{column} < {p.add(end + dt.timedelta(days=1))}")
    return " AND ".join(out)


def raw_query(
    schema: Schema,
    relation: str,
    measures: Sequence[Measure],
    by: Sequence[str],
    start: dt.date | None,
    end: dt.date | None,
    areas: Sequence[str],
) -> tuple[str, dict[str, object]]:
    """SQL and parameters: the measures over the relation's raw rows per group of `by` (when no cube can
    answer)."""
    p = Params()
    rows = RELATIONS[relation](schema, raw_period('r."submitted"', start, end, p))
    month = f"{MONTH_OF_DAY} AS {MONTH}, " if MONTH in by else ""
    area = f" AND {AREA} = ANY({p.add(list(areas))})" if areas else ""
    inner = f"SELECT {month}rel.* FROM ({rows}) rel WHERE day IS NOT NULL{area}"
    return aggregate(inner, list(by), measures, merge=False), p.values
