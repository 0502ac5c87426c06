"""What the database Source knows besides per-group statistics: the labels of every grouping key (so that
groups are dense and ordered as in memory), which tables and columns can answer, the dates they span, and
the small tables the loader keeps in memory (areas, published scores).

Each is worked out once per source (one query, or none) and shared by every session; a new import makes a
new source (the app keys its source by the import log).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cpdash.data.dataset import Dataset
from cpdash.data.schema import PROGRAMS, SCORE_METRICS
from cpdash.metrics import areas as area_table
from cpdash.metrics import columns as c
from cpdash.metrics import published
from cpdash.metrics.comments import LANGUAGES
from cpdash.metrics.gather import AGE, AREA, DIMENSIONS, LANGUAGE, MONTH, PROGRAM, TOPIC
from cpdash.metrics.sentiment import CLASSES
from cpdash.metrics.sql_build import schema
from cpdash.metrics.sql_cubes import RESPONSES, Schema, cube_for
from cpdash.metrics.sql_tables import STATUS
from cpdash.metrics.stats import STATUSES
from cpdash.text.topics import Taxonomy, default_taxonomy

TABLES = ("events", "responses", "concerns", "area_scores", "attendees", "areas")
IN_DATABASE = ("responses", "attendees")  # the tables the loader leaves in the database
ANSWERS_MONTH = "cpdash_stats_answers_month"
COMMENTS_MONTH = "cpdash_stats_comments_month"
RECENT = 512  # query answers kept per source (each a few hundred groups at most)
NUMERIC = ("integer", "floating", "decimal", "mixed-integer-float")


def floats(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its numeric columns (counts, sums, decimals) as float64, NULL as NaN."""
    numeric = [n for n in frame.columns if pd.api.types.infer_dtype(frame[n], skipna=True) in NUMERIC]
    return frame.astype(dict.fromkeys(numeric, "float64")) if numeric else frame


class SqlLabels:
    """A PostgreSQL data source's labels, tables, columns and dates (the base of cpdash.metrics.sql)."""

    def __init__(self, engine: sa.Engine, ds: Dataset, taxonomy: Taxonomy | None = None) -> None:
        self.engine = engine
        self.ds = ds  # the small tables the loader keeps (responses and attendees stay in the database)
        self.taxonomy = taxonomy or default_taxonomy()
        self._lock = threading.RLock()
        self._memo: dict[str, object] = {}
        self._recent: OrderedDict[tuple[str, str, bool], pd.DataFrame] = OrderedDict()

    def _once(self, name: str, make: Callable[[], object]) -> object:
        """A value worked out once per source, shared by every session."""
        with self._lock:
            if name not in self._memo:
                self._memo[name] = make()
            return self._memo[name]

    def _rows(self, sql: str, params: dict[str, object] | None = None, numbers: bool = False) -> pd.DataFrame:
        """The rows of a query, as a table (read-only: the last RECENT answers are kept, shared by every
        session, since figures on one page often ask the same question; a new import makes a new source);
        with `numbers`, its numeric columns as float64 (NULL as NaN), converted once for every figure."""
        key = (sql, repr(sorted((params or {}).items())), numbers)
        with self._lock:
            found = self._recent.get(key)
            if found is not None:
                self._recent.move_to_end(key)
                return found
        try:
            frame = self._read(sql, params)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            frame = self._read(sql, params)  # the pooled connection had died: once more, on a new one
        if numbers:
            frame = floats(frame)
        with self._lock:
            self._recent[key] = frame
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return frame

    def _read(self, sql: str, params: dict[str, object] | None) -> pd.DataFrame:
        """The rows of a query, read outside a transaction (one round trip: no BEGIN and ROLLBACK around
        it; each query sees the committed tables, as it did alone in its own transaction)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            result = conn.execute(sa.text(sql), params or {})
            return pd.DataFrame(result.all(), columns=list(result.keys()))

    @property
    def schema(self) -> Schema:
        """The contract's tables in the database and their columns."""

        def make() -> Schema:
            with self.engine.connect() as conn:
                return schema(conn)

        return self._once("schema", make)

    # --- labels -----------------------------------------------------------------------------------------

    def _distinct(self, sql: str) -> list[str]:
        return sorted(str(v) for v in self._rows(sql).iloc[:, 0] if not pd.isna(v))

    def _column_values(self, table: str, column: str) -> list[str]:
        s = self.schema
        if not s.has(table, column):
            return []
        return self._distinct(f"SELECT DISTINCT {s.key(table, 't', column)} FROM {s.table(table)} t")

    @property
    def area_labels(self) -> pd.Index:
        """Every area id: the areas table's, then any other the events, responses and concerns use."""

        def make() -> pd.Index:
            ids: list[str] = []
            areas = self.ds.areas
            if areas is not None and len(areas) and AREA in areas.columns:
                ids = [str(a) for a in areas[AREA].dropna().unique()]
            known = set(ids)
            for used in (
                self._column_values("events", AREA),
                self._distinct(f"SELECT DISTINCT {AREA} FROM {ANSWERS_MONTH}"),
                self._column_values("concerns", AREA),
            ):
                extra = sorted(set(used) - known)
                ids += extra
                known |= set(extra)
            return pd.Index(ids, dtype="str", name=AREA)

        return self._once("areas", make)

    @property
    def program_labels(self) -> pd.Index:
        """The known programs in their usual order, then any other the events name."""

        def make() -> pd.Index:
            seen = set(self._column_values("events", PROGRAM))
            return pd.Index([*PROGRAMS, *sorted(seen - set(PROGRAMS))], dtype="str", name=PROGRAM)

        return self._once("programs", make)

    def _dimension_labels(self, name: str) -> list[str]:
        table = cube_for("answers", (name,)).name
        return self._once(name, lambda: self._distinct(f"SELECT DISTINCT {name} FROM {table}_month"))

    def labels(self, table: str, name: str) -> pd.Index | None:
        """The labels of a grouping key of `table` (None for the month; empty for a key it lacks)."""
        if name == MONTH:
            return None
        if name == AREA:
            return self.area_labels
        if name == PROGRAM and table != "concerns":
            return self.program_labels
        if table == "answers" and name in DIMENSIONS:
            return pd.Index(self._dimension_labels(name), dtype="str")
        if table == "comments" and name == LANGUAGE:
            return pd.Index(LANGUAGES, name=LANGUAGE)
        if table == "concerns" and name == STATUS:
            return pd.Index(STATUSES)
        if table == "concerns" and name == TOPIC:
            return pd.Index(self._once(TOPIC, lambda: self._column_values("concerns", TOPIC)), dtype="str")
        if table == "attendees" and name == AGE:
            return pd.Index(self._once("attendee_ages", self._attendee_ages), dtype="str")
        return pd.Index([], dtype="str")

    def _attendee_ages(self) -> list[str]:
        s = self.schema
        if not (self.attendee_records() and s.has("attendees", AGE) and s.has("events", "event_id")):
            return []
        return self._distinct(
            f"SELECT DISTINCT {s.key('attendees', 'a', AGE)} FROM {s.table('attendees')} a "
            f'JOIN {s.table("events")} e ON CAST(e."event_id" AS text) = CAST(a."event_id" AS text) '
            'WHERE a."participant_key" IS NOT NULL'
        )

    # --- what can answer ------------------------------------------------------------------------------------

    def attendee_records(self) -> bool:
        """True when the database has attendee records the statistics can read."""

        def make() -> bool:
            s = self.schema
            if not (s.has("attendees", "event_id") and s.has("attendees", "participant_key")):
                return False
            return bool(self._rows(f"SELECT EXISTS (SELECT 1 FROM {s.table('attendees')})").iloc[0, 0])

        return self._once("attendees", make)

    def totals(self) -> dict[str, float]:
        """Every response, answer, comment and scored comment in the database."""

        def make() -> dict[str, float]:
            answers = ", ".join(f"coalesce(sum(n_{m}), 0) AS {m}" for m in SCORE_METRICS)
            out = self._rows(
                f"SELECT coalesce(sum({RESPONSES}), 0) AS {RESPONSES}, {answers} FROM {ANSWERS_MONTH}"
            )
            scored = " + ".join(f"coalesce(sum({name}), 0)" for name in CLASSES)
            more = self._rows(
                f"SELECT coalesce(sum(comments), 0) AS comments, {scored} AS scored FROM {COMMENTS_MONTH}"
            )
            return {k: float(v) for k, v in {**out.iloc[0].to_dict(), **more.iloc[0].to_dict()}.items()}

        return self._once("totals", make)

    def has(self, what: str) -> bool:
        """True when the data can answer `what`: a table, an answer metric, "comments", "sentiment", or a
        column of a table as "table.column" (with at least one value)."""
        if what == "responses":
            return self.totals()[RESPONSES] > 0
        if what == "attendees":
            return self.attendee_records()
        if what in TABLES:
            return self.ds.has(what)
        if what in SCORE_METRICS:
            return self.has(f"responses.{what}")
        if what == "comments":
            return self.totals()["comments"] > 0
        if what == "sentiment":
            return self.totals()["scored"] > 0
        table, _, column = what.partition(".")
        if table == "responses" and column in SCORE_METRICS:
            return self.totals()[column] > 0
        if table == "responses" and column in DIMENSIONS:
            return bool(self._dimension_labels(column))
        if table == "responses" and column in ("comment", "sentiment"):
            return self.has("comments" if column == "comment" else "sentiment")
        if table in IN_DATABASE:
            return self._once(what, lambda: self._any(table, column))
        frame = getattr(self.ds, table, None) if table in TABLES else None
        return (
            frame is not None
            and len(frame) > 0
            and column in frame.columns
            and bool(frame[column].notna().any())
        )

    def _any(self, table: str, column: str) -> bool:
        s = self.schema
        if not s.has(table, column):
            return False
        sql = f'SELECT EXISTS (SELECT 1 FROM {s.table(table)} WHERE "{column}" IS NOT NULL)'
        return bool(self._rows(sql).iloc[0, 0])

    # --- dates, areas, published scores ------------------------------------------------------------------------

    def _extents(self) -> dict[str, tuple[dt.date, dt.date]]:
        s = self.schema
        found: dict[str, tuple[dt.date, dt.date]] = {}
        queries = {"responses": f"SELECT min(day), max(day) FROM {cube_for('answers', ()).name}_day"}
        for table, column in (("events", "start"), ("concerns", "raised")):
            if s.has(table, column):
                queries[table] = (
                    f'SELECT CAST(min("{column}") AS date), CAST(max("{column}") AS date) FROM {s.table(table)}'
                )
        for table, sql in queries.items():
            low, high = self._rows(sql).iloc[0]
            if low is not None and high is not None:
                found[table] = (pd.Timestamp(low).date(), pd.Timestamp(high).date())
        scores = self.ds.area_scores
        days: list[int] = []
        for column in ("period_start", "period_end"):
            if scores is not None and len(scores) and column in scores.columns:
                known = c.days_of(scores[column])
                known = known[known != c.NO_DAY]
                if len(known):
                    days += [int(known.min()), int(known.max())]
        if days:
            found["area_scores"] = (
                c.EPOCH + dt.timedelta(days=min(days)),
                c.EPOCH + dt.timedelta(days=max(days)),
            )
        return found

    def extent(self, table: str | None = None) -> tuple[dt.date, dt.date] | None:
        """First and last day of any dated row of `table` (of any table when None)."""
        extents = self._once("extents", self._extents)
        if table is not None:
            return extents.get(table)
        if not extents:
            return None
        return min(e[0] for e in extents.values()), max(e[1] for e in extents.values())

    def published(self) -> pd.DataFrame:
        """The published area scores, normalised once (cpdash.metrics.published)."""
        return self._once("published", lambda: published.normalise(self.ds.area_scores))

    def areas(self) -> pd.DataFrame:
        """Every area, normalised once (read-only)."""
        return self._once("areas_table", lambda: area_table.normalise(self.ds.areas))

    def event_levels(self) -> tuple[str, ...]:
        """The levels of the areas events are recorded at."""

        def make() -> tuple[str, ...]:
            used = set(self._column_values("events", AREA)) & set(self.area_labels)
            areas = self.areas()
            levels = areas.loc[areas[AREA].isin(sorted(used)), "level"].dropna().astype("str").unique()
            return tuple(sorted(levels))

        return self._once("event_levels", make)

    def month_codes(self, values: pd.Series, first: int, span: int) -> np.ndarray:
        """Each month (a date) as a code into the span's months (-1 outside it or missing)."""
        month = np.array(
            [(pd.Timestamp(v).year - 1970) * 12 + pd.Timestamp(v).month - 1 - first if not pd.isna(v) else -1
             for v in values],
            dtype="int64",
        )  # fmt: skip
        return np.where((month >= 0) & (month < span), month, -1)
