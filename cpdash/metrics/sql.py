"""The database Source: the statistics of a PostgreSQL data source, gathered with SQL.

Answers and comments come from the statistics tables (cpdash.metrics.sql_cubes: whole months from the
month rows, the days left over from the day rows; a grouping no table covers reads the responses
themselves), attendees from their records' table (cpdash.metrics.sql_attendees), events and concerns from
their rows (cpdash.metrics.sql_tables). The app's memory
holds none of the responses: only the small tables the loader keeps (areas, published scores, and the
events and concerns that pages list row by row).

Figures of one filter state share their queries (each answer kept for the next figure that asks it, see
SqlLabels._rows): one query gives every metric's answers, a total is summed up from the rows of its areas
(which the figures by area read too), and participants come with their events.

The answers are those of cpdash.metrics.memory, group for group: the same dense keys in the same order
and the same statistics (tests/test_engine_sql.py checks every figure against the in-memory source).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics import columns as c
from cpdash.metrics.comments import NO_TOPIC
from cpdash.metrics.gather import (
    AGE,
    AREA,
    ATTENDEE_STATS,
    COMMENT_TOPIC,
    CONCERN_STATS,
    DIMENSIONS,
    EVENT_STATS,
    LANGUAGE,
    MONTH,
    PROGRAM,
    TOPIC,
    Groups,
)
from cpdash.metrics.periods import Filters
from cpdash.metrics.sentiment import CLASSES
from cpdash.metrics.sql_attendees import attendees_query
from cpdash.metrics.sql_build import problem
from cpdash.metrics.sql_comments import INDEXED, Wanted, count_query, page_query
from cpdash.metrics.sql_cubes import (
    FACTS,
    RESPONSES,
    TOPICS,
    Measure,
    Params,
    cube_for,
    cube_query,
    raw_period,
    raw_query,
)
from cpdash.metrics.sql_labels import IN_DATABASE, SqlLabels
from cpdash.metrics.sql_tables import (
    STATUS,
    concerns_query,
    days_query,
    events_query,
)
from cpdash.text.topics import Taxonomy

__all__ = ["IN_DATABASE", "SqlSource", "usable"]
COMMENT_NAMES = ("comments", *CLASSES)
KEYS = {
    "answers": {AREA, PROGRAM, MONTH, *DIMENSIONS},
    "comments": {AREA, PROGRAM, MONTH, LANGUAGE, TOPICS},
    "events": {AREA, PROGRAM, MONTH},
    "concerns": {AREA, STATUS, TOPIC, MONTH, TOPICS},
    "attendees": {AREA, PROGRAM, AGE, MONTH},
}
BY_AREA = (AREA,)  # what a total is summed up from (see merged)
NO_DAYS = {"days": (np.zeros(0, "int64"), np.zeros(0), np.zeros(0))}
Query = Callable[[], pd.DataFrame]


class SqlSource(SqlLabels):
    """Statistics of a PostgreSQL data source, gathered with SQL (see cpdash.metrics.gather)."""

    def _layout(
        self,
        table: str,
        by: Sequence[str],
        rows: pd.DataFrame,
        labels: list[pd.Index | None],
        span: tuple[int, int],
    ) -> tuple[np.ndarray, list[pd.Index]]:
        """Each row's dense group code (-1 when a key is missing or unknown) and every key's labels."""
        codes, final = [], []
        for name, lab in zip(by, labels, strict=True):
            values = rows[name] if name in rows.columns else pd.Series([None] * len(rows), dtype=object)
            if name == MONTH:
                codes.append(self.month_codes(values, *span))
                final.append(
                    pd.DatetimeIndex([c.month_start(span[0] + i) for i in range(span[1])], name=MONTH)
                )
            elif name == LANGUAGE and table == "comments":
                codes.append(pd.to_numeric(values, errors="coerce").fillna(-1).to_numpy(dtype="int64"))
                final.append(lab)
            else:
                codes.append(np.asarray(lab.get_indexer(pd.Index(values.astype(object))), dtype="int64"))
                final.append(lab)
        group = np.zeros(len(rows), dtype="int64")
        missing = np.zeros(len(rows), dtype=bool)
        for key_codes, key_labels in zip(codes, final, strict=True):
            group = group * len(key_labels) + key_codes
            missing |= key_codes < 0
        group[missing] = -1
        return group, final

    def _groups(
        self,
        table: str,
        by: Sequence[str],
        f: Filters,
        run: Query,
        names: Sequence[str],
        count: str,
        given: dict[str, pd.Index] | None = None,
    ) -> tuple[Groups, tuple[int, int]]:
        """Run a query grouped by `by` and lay its rows out as dense groups (every combination of the keys'
        labels, in the in-memory source's order); also the month span."""
        labels = [(given or {}).get(k) if k in (given or {}) else self.labels(table, k) for k in by]
        if not set(by) <= KEYS[table] or any(lab is not None and len(lab) == 0 for lab in labels):
            keys = c.key_frame([lab if lab is not None else pd.DatetimeIndex([]) for lab in labels], by)
            if not set(by) <= KEYS[table]:
                keys = c.key_frame([pd.Index([])] * len(by), by)
            return Groups(keys, {n: np.zeros(len(keys)) for n in names}), (0, 0)
        rows = run()
        span = self._span(rows, count, f) if MONTH in by else (0, 0)
        group, final = self._layout(table, by, rows, labels, span)
        keys = c.key_frame(final, by)
        stats = {n: c.count(group, len(keys), self._numbers(rows, n)) for n in names}
        return Groups(keys, stats), span

    @staticmethod
    def _numbers(rows: pd.DataFrame, name: str) -> np.ndarray:
        if name not in rows.columns:
            return np.zeros(len(rows))
        if rows[name].dtype == "float64":  # converted once when fetched
            values = rows[name].to_numpy()
            return np.where(np.isnan(values), 0.0, values)
        return pd.to_numeric(rows[name], errors="coerce").fillna(0).to_numpy(dtype="float64")

    @staticmethod
    def _span(rows: pd.DataFrame, count: str, f: Filters) -> tuple[int, int]:
        """First month and number of months: the query's period, else the selected rows'."""
        if f.start is not None and f.end is not None:
            first, last = c.month_number(f.start), c.month_number(f.end)
            return first, max(last - first + 1, 0)
        if not len(rows):
            return 0, 0
        present = rows[(pd.to_numeric(rows[count]) > 0).to_numpy() & rows[MONTH].notna().to_numpy()]
        if not len(present):
            return 0, 0
        months = [c.month_number(pd.Timestamp(v).date()) for v in present[MONTH]]
        first = c.month_number(f.start) if f.start is not None else min(months)
        last = c.month_number(f.end) if f.end is not None else max(months)
        return first, max(last - first + 1, 0)

    # --- the Source interface -------------------------------------------------------------------------------

    def answers(self, metric: str, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """n, total and m2 of the answers to `metric` (from the statistics tables)."""
        m = metric if metric in SCORE_METRICS else SCORE_METRICS[0]
        names = [RESPONSES, f"n_{m}", f"total_{m}", f"m2_{m}"]
        cube = cube_for("answers", by)

        def run() -> pd.DataFrame:  # every metric's: one query answers the figures of the others too
            if cube is not None:
                every = [x.name for x in cube.measures]
                if not by:  # the total: from the areas' rows, which the figures by area read too
                    rows = self._rows(
                        *cube_query(cube, every, BY_AREA, f.start, f.end, f.areas), numbers=True
                    )
                    return merged(rows, cube.measures)
                return self._rows(*cube_query(cube, every, by, f.start, f.end, f.areas), numbers=True)
            measures = cube_for("answers", ()).measures
            return self._rows(
                *raw_query(self.schema, "answers", measures, by, f.start, f.end, f.areas), numbers=True
            )

        groups, _ = self._groups("answers", by, f, run, names, RESPONSES)
        pairs = (("n", f"n_{m}"), ("total", f"total_{m}"), ("m2", f"m2_{m}"))
        known = metric in SCORE_METRICS
        return Groups(groups.keys, {out: groups[n] if known else np.zeros(len(groups)) for out, n in pairs})

    def comments(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Comments and their sentiment classes (a comment counts in every topic it mentions)."""
        names = tuple(TOPICS if b == COMMENT_TOPIC else b for b in by)
        cube = cube_for("comments", names)

        def run() -> pd.DataFrame:
            if cube is not None:  # the total from the areas' rows (summed up below), as answers
                keys = names or BY_AREA
                return self._rows(
                    *cube_query(cube, COMMENT_NAMES, keys, f.start, f.end, f.areas), numbers=True
                )
            measures = cube_for("comments", ()).measures
            return self._rows(
                *raw_query(self.schema, "comments", measures, names, f.start, f.end, f.areas), numbers=True
            )

        if TOPICS in names and set(names) <= KEYS["comments"]:
            return self._by_topic("comments", names, f, run, COMMENT_NAMES, "comments")
        return self._groups("comments", names, f, run, COMMENT_NAMES, "comments")[0]

    def _by_topic(
        self, table: str, names: tuple[str, ...], f: Filters, run: Query, stats: Sequence[str], count: str
    ) -> Groups:
        """Groups by combination of topics, spread over the taxonomy's topics (and 'no topic matched')."""
        rows = run()
        combos = pd.Index(
            sorted({str(v) for v in rows[TOPICS] if not pd.isna(v)}) if len(rows) else [], dtype="str"
        )
        groups, _ = self._groups(table, names, f, lambda: rows, stats, count, {TOPICS: combos})
        span = self._span(rows, count, f) if MONTH in names else (0, 0)
        topics = self.taxonomy.names
        membership = np.zeros((len(combos), len(topics) + 1), dtype=bool)
        for i, combo in enumerate(combos):
            found = [topics.index(t) for t in json.loads(combo) if t in topics]
            membership[i, found] = True
            membership[i, -1] = not found
        labels = []
        for name in names:
            if name == MONTH:
                labels.append(
                    pd.DatetimeIndex([c.month_start(span[0] + i) for i in range(span[1])], name=MONTH)
                )
            else:
                labels.append(combos if name == TOPICS else self.labels(table, name))
        new = pd.Index([*topics, NO_TOPIC], dtype="str", name=COMMENT_TOPIC)
        keys, out = c.spread(groups.stats, labels, names, TOPICS, membership, new)
        return Groups(keys.rename(columns={TOPICS: COMMENT_TOPIC}), out)

    def events(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Events and the sums of their figures."""
        if not self.schema.has("events", "start"):
            return self._groups("events", by, f, pd.DataFrame, EVENT_STATS, "events")[0]

        def run() -> pd.DataFrame:  # the total from the areas' rows (summed up below), as answers
            return self._rows(*events_query(self.schema, f, by or BY_AREA), numbers=True)

        return self._groups("events", by, f, run, EVENT_STATS, "events")[0]

    def concerns(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Follow-through counts for the period (every concern raised by its end counts)."""
        names = tuple(TOPICS if b == COMMENT_TOPIC else b for b in by)
        s = self.schema

        def run() -> pd.DataFrame:
            if not s.has("concerns", "raised"):
                return pd.DataFrame(columns=[*names, "selected", *CONCERN_STATS])
            return self._rows(*concerns_query(s, f, names or BY_AREA, CONCERN_STATS), numbers=True)

        if TOPICS in names and set(names) <= KEYS["concerns"]:
            groups = self._by_topic("concerns", names, f, run, CONCERN_STATS, "selected")
            return Groups(groups.keys, groups.stats, NO_DAYS)
        groups, span = self._groups("concerns", names, f, run, CONCERN_STATS, "selected")
        if not s.has("concerns", "raised") or not len(groups) or not set(names) <= KEYS["concerns"]:
            return Groups(groups.keys, groups.stats, NO_DAYS)
        rows = self._rows(*days_query(s, f, names or BY_AREA), numbers=True)
        group, _ = self._layout("concerns", names, rows, [self.labels("concerns", k) for k in names], span)
        keep = group >= 0
        days = pd.to_numeric(rows["days"]).to_numpy(dtype="float64") if len(rows) else np.zeros(0)
        weight = pd.to_numeric(rows["weight"]).to_numpy(dtype="float64") if len(rows) else np.zeros(0)
        return Groups(groups.keys, groups.stats, {"days": (group[keep], days[keep], weight[keep])})

    def attendees(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Records, distinct participants, repeat and returning participants."""
        if not self.attendee_records() or not self.schema.has("events", "event_id"):
            keys = c.key_frame([pd.Index([])] * len(by), by)
            return Groups(keys, {name: np.zeros(len(keys)) for name in ATTENDEE_STATS})

        def run() -> pd.DataFrame:
            return self._rows(*attendees_query(f, by), numbers=True)

        return self._groups("attendees", by, f, run, ATTENDEE_STATS, "records")[0]

    def comment_rows(self, f: Filters, per_class: int = 200) -> pd.DataFrame:
        """The latest comments the filters select, up to `per_class` of each sentiment class, row by row
        (response_id, submitted, comment, sentiment): what the town hall picks its few quotes from."""
        s = self.schema
        if not (s.has("responses", "comment") and s.has("responses", "submitted")):
            return pd.DataFrame(columns=["response_id", "submitted", "comment", "sentiment"])
        p = Params()
        where = raw_period('r."submitted"', f.start, f.end, p)
        if f.areas:
            where += f" AND {s.key('responses', 'r', AREA)} = ANY({p.add(list(f.areas))})"
        rows = (
            'SELECT CAST(r."response_id" AS text) AS response_id, r."submitted" AS submitted, r."comment" AS comment, '
            " x.sentiment AS sentiment, "
            'row_number() OVER (PARTITION BY x.class ORDER BY r."submitted" DESC) AS rank '
            f'FROM {s.table("responses")} r JOIN {FACTS} x ON x.response_id = CAST(r."response_id" AS text) '
            f"WHERE {where}"
        )
        sql = f"SELECT response_id, submitted, comment, sentiment FROM ({rows}) q WHERE rank <= {int(per_class)}"
        return self._rows(sql, p.values)

    def lists_comments(self) -> bool:
        """True when the explorer can list the database's comments (they have a date)."""
        return self.schema.has("responses", "comment") and self.schema.has("responses", "submitted")

    def comment_page(self, f: Filters, wanted: Wanted, limit: int, offset: int = 0) -> pd.DataFrame:
        """One page of the comments that match, newest first (cpdash.metrics.sql_comments.page_query)."""
        return self._rows(*page_query(self.schema, f, wanted, limit, offset, self._search_indexed()))

    def _search_indexed(self) -> bool:
        """True when the database has the word search's trigram index (cpdash.metrics.sql_build)."""
        return bool(self._once("search index", lambda: bool(self._rows(INDEXED).iloc[0, 0])))

    def comment_matches(self, f: Filters, wanted: Wanted) -> int:
        """How many comments match: from the statistics of the comments (what every figure counts) when no
        words are looked for, else counted in SQL."""
        if wanted.words:
            return int(self._rows(*count_query(self.schema, f, wanted, self._search_indexed())).iloc[0, 0])
        if wanted.areas is not None:
            areas = [a for a in wanted.areas if not f.areas or a in f.areas]
            if not areas:
                return 0
            f = f.with_areas(areas)
        topic = NO_TOPIC if wanted.no_topic else wanted.topic
        by = (
            *((LANGUAGE,) if wanted.language_code is not None else ()),
            *((COMMENT_TOPIC,) if topic else ()),
        )
        groups = self.comments(f, by)
        keep = np.ones(len(groups), dtype=bool)
        if wanted.language_code is not None:
            keep &= (
                groups.keys[LANGUAGE] == self.labels("comments", LANGUAGE)[wanted.language_code]
            ).to_numpy()
        if topic:
            keep &= (groups.keys[COMMENT_TOPIC] == topic).to_numpy()
        code = wanted.class_code
        if code is None:
            counted = groups["comments"]
        elif code < len(CLASSES):
            counted = groups[CLASSES[code]]
        else:  # not scored
            counted = groups["comments"] - sum(groups[name] for name in CLASSES)
        return int(round(float(np.asarray(counted)[keep].sum())))


def merged(rows: pd.DataFrame, measures: Sequence[Measure]) -> pd.DataFrame:
    """Rows of groups made ready to be summed up into one: each m2 gets its group's n times the squared
    distance of the group's mean from the mean of all (as sql_cubes.aggregate merges cells)."""
    out = rows.copy()
    for m in measures:
        if m.kind != "m2" or not len(out):
            continue
        n, total = SqlSource._numbers(out, m.n), SqlSource._numbers(out, m.total)
        every = n.sum()
        mean = total.sum() / every if every > 0 else 0.0
        safe = np.where(n > 0, n, 1)
        out[m.name] = SqlSource._numbers(out, m.name) + np.where(n > 0, n * (total / safe - mean) ** 2, 0.0)
    return out


def usable(engine: sa.Engine, taxonomy: Taxonomy) -> bool:
    """True when the database keeps statistics tables this app can read (PostgreSQL, built for its topics)."""
    try:
        with engine.connect() as conn:
            return problem(conn, taxonomy) is None
    except Exception:  # unreachable, or no permission: the loader says why
        return False
