"""The in-memory Source: a loaded data set's tables as day-sorted numpy columns, grouped with bincount.

Built once per data set (cpdash.ui keeps one, shared read-only by every session); each table's columns
are made the first time a figure needs them. Every answer to a query is a slice of the sorted rows, a mask
and a few bincounts: fast at a million responses.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import cached_property

import numpy as np
import pandas as pd

from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.data.schema import PROGRAMS, SCORE_METRICS
from cpdash.metrics import areas as area_table
from cpdash.metrics import columns as c
from cpdash.metrics import published, totals
from cpdash.metrics.comments import COMBO, CommentTable, Topics, comment_table, topics
from cpdash.metrics.gather import AGE, AREA, ATTENDEE_STATS, COMMENT_TOPIC, DIMENSIONS, PROGRAM, Groups
from cpdash.metrics.periods import Filters
from cpdash.metrics.stats import attendee_groups, concern_columns, concern_flags
from cpdash.text.topics import Taxonomy, default_taxonomy

TABLES = ("events", "responses", "concerns", "area_scores", "attendees", "areas")


def _present(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """`column` as float64, NaN where unknown (all NaN when absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _date(day: int) -> dt.date:
    """The date of a day number (days since 1970)."""
    return c.EPOCH + dt.timedelta(days=day)


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    return frame if frame is not None else pd.DataFrame()


class MemorySource:
    """Statistics of a loaded data set, gathered in memory (see cpdash.metrics.gather)."""

    def __init__(self, ds: Dataset, taxonomy: Taxonomy | None = None) -> None:
        self.ds = ds
        self.taxonomy = taxonomy or default_taxonomy()
        self._lock = threading.RLock()  # sessions share the source: one builds a table, the others wait
        self._has: dict[str, bool] = {}  # what the data can answer (a fact of the data set, found once)

    def _get(self, name: str):
        """One table's columns, built once (under the lock) and then shared."""
        with self._lock:
            return getattr(self, name)

    # --- labels shared by every table ---------------------------------------------------------------

    @cached_property
    def area_labels(self) -> pd.Index:
        """Every area id: the areas table's, then any other a table uses."""
        ids: list[str] = []
        if _present(self.ds.areas) and AREA in self.ds.areas.columns:
            ids = [str(a) for a in self.ds.areas[AREA].dropna().unique()]
        known = set(ids)
        for frame in (self.ds.events, self.ds.responses, self.ds.concerns):
            if _present(frame) and AREA in frame.columns:
                extra = sorted({str(a) for a in frame[AREA].dropna().unique()} - known)
                ids += extra
                known |= set(extra)
        return pd.Index(ids, dtype="str", name=AREA)

    @cached_property
    def program_labels(self) -> pd.Index:
        """The known programs in their usual order, then any other the events name."""
        seen = set()
        if _present(self.ds.events) and PROGRAM in self.ds.events.columns:
            seen = set(self.ds.events[PROGRAM].dropna().astype("str"))
        return pd.Index([*PROGRAMS, *sorted(seen - set(PROGRAMS))], dtype="str", name=PROGRAM)

    def _area_key(self, frame: pd.DataFrame) -> c.Key:
        if AREA not in frame.columns:
            return c.Key(np.full(len(frame), -1, dtype="int64"), self.area_labels)
        return c.factor(frame[AREA], self.area_labels)

    def _program_key(self, programs: pd.Series | None, n: int) -> c.Key:
        if programs is None:
            return c.Key(np.full(n, -1, dtype="int64"), self.program_labels)
        return c.factor(programs, self.program_labels)

    # --- each table as columns ----------------------------------------------------------------------

    @cached_property
    def _events(self) -> c.Columns:
        events = _frame(self.ds.events)
        att, youth = _numbers(events, "attendance"), _numbers(events, "youth_attendance")
        hours, cost = _numbers(events, "officer_hours"), _numbers(events, "cost")
        has_att = ~np.isnan(att)
        pair_youth = has_att & ~np.isnan(youth) & (np.nan_to_num(att) > 0)
        pair_cost = has_att & ~np.isnan(cost)
        values = {
            "attendance": np.where(has_att, att, 0.0),
            "attendance_known": has_att.astype("float64"),
            "youth_attendance": np.nan_to_num(youth),
            "youth_known": (~np.isnan(youth)).astype("float64"),
            "youth_num": np.where(pair_youth, youth, 0.0),
            "youth_den": np.where(pair_youth, att, 0.0),
            "officer_hours": np.nan_to_num(hours),
            "hours_known": (~np.isnan(hours)).astype("float64"),
            "cost": np.nan_to_num(cost),
            "cost_known": (~np.isnan(cost)).astype("float64"),
            "cost_num": np.where(pair_cost, cost, 0.0),
            "cost_den": np.where(pair_cost, att, 0.0),
        }
        day = c.days_of(events["start"]) if "start" in events.columns else np.zeros(0, "int64")
        programs = events[PROGRAM] if PROGRAM in events.columns else None
        keys = {AREA: self._area_key(events), PROGRAM: self._program_key(programs, len(events))}
        ids = (
            events["event_id"].astype("str").to_numpy(dtype=object) if "event_id" in events.columns else None
        )
        return c.columns(day, keys, values, ids)

    @cached_property
    def _answers(self) -> c.Columns:
        responses = _frame(self.ds.responses)
        day = c.days_of(responses["submitted"]) if "submitted" in responses.columns else np.zeros(0, "int64")
        programs = None
        events = self.ds.events
        if "event_id" in responses.columns and _present(events) and PROGRAM in events.columns:
            lookup = events.drop_duplicates("event_id").set_index("event_id")[PROGRAM].astype("str")
            programs = responses["event_id"].map(lookup)
        keys = {AREA: self._area_key(responses), PROGRAM: self._program_key(programs, len(responses))}
        for dimension in DIMENSIONS:
            if dimension in responses.columns:
                keys[dimension] = c.factor(responses[dimension])
        values = {m: _numbers(responses, m) for m in SCORE_METRICS if m in responses.columns}
        return c.columns(day, keys, values)

    @cached_property
    def _comments(self) -> CommentTable:
        return comment_table(self.ds, self.area_labels, self.program_labels)

    @cached_property
    def _topics(self) -> Topics:
        return topics(self._get("_comments"), self.ds, self.taxonomy)

    @cached_property
    def _concerns(self) -> c.Columns:
        concerns = _frame(self.ds.concerns)
        return concern_columns(concerns, self._area_key(concerns))

    @cached_property
    def _attendees(self) -> dict[str, object] | None:
        records = self.ds.attendees
        if not _present(records) or not {"event_id", "participant_key"} <= set(records.columns):
            return None
        events = self._get("_events")
        records = records.dropna(subset=["event_id", "participant_key"])
        records = records.drop_duplicates(subset=["event_id", "participant_key"])
        position = (
            events.ids.get_indexer(records["event_id"].astype("str")) if events.ids is not None else None
        )
        if position is None:
            return None
        matched = position >= 0
        records, position = records[matched], position[matched]
        participant, keys = pd.factorize(records["participant_key"].astype("str"))
        participant = np.asarray(participant, dtype="int64")
        day = events.day[position]
        first_day = np.full(len(keys), np.iinfo("int64").max)
        np.minimum.at(first_day, participant, day)
        age = (
            c.factor(records[AGE])
            if AGE in records.columns
            else c.Key(np.full(len(records), -1), pd.Index([]))
        )
        age_of = np.full(len(keys), -1, dtype="int64")
        known = age.codes >= 0
        age_of[participant[known]] = age.codes[known]  # a participant's age group, as recorded for them
        cols = c.columns(
            day,
            {
                AREA: c.Key(events.keys[AREA].codes[position], self.area_labels),
                PROGRAM: c.Key(events.keys[PROGRAM].codes[position], self.program_labels),
                AGE: c.Key(age_of[participant], age.labels),
            },
            {"participant": participant.astype("float64"), "event": position.astype("float64")},
        )
        return {
            "cols": cols,
            "first_day": first_day,
            "participants": len(keys),
            "unmatched": int((~matched).sum()),
        }

    # --- the Source interface ----------------------------------------------------------------------

    @cached_property
    def _totals(self) -> dict[str, totals.Totals | None]:
        cols = self._get("_answers")
        return {metric: totals.build(cols, values) for metric, values in cols.values.items()}

    def answers(self, metric: str, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """n, total and m2 of the answers to `metric` (from the running totals when they can answer)."""
        if totals.fits(f, by) and (running := self._get("_totals").get(metric)) is not None:
            return totals.answers(running, self.area_labels, f, by)
        cols = self._get("_answers")
        rows = c.select(cols, f)
        group, keys, _ = c.grouping(cols, rows, by, f)
        values = cols.values.get(metric)
        values = values[rows] if values is not None else np.full(c.size(rows), np.nan)
        return Groups(keys, c.moments(group, len(keys), values))

    def comments(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Comments and their sentiment classes."""
        topic_index = self._get("_topics") if COMMENT_TOPIC in by else None
        return self._get("_comments").groups(f, by, topic_index)

    def comment_table(self) -> CommentTable:
        """Every comment as day-sorted columns, row by row (the comment explorer lists them; read-only)."""
        return self._get("_comments")

    def comment_topics(self) -> Topics:
        """The topics of every comment and concern by the source's taxonomy (read-only)."""
        return self._get("_topics")

    def events(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Events and the sums of their figures."""
        cols = self._get("_events")
        rows = c.select(cols, f, by_program=True)
        group, keys, _ = c.grouping(cols, rows, by, f)
        sums = c.tally(group, len(keys), {name: values[rows] for name, values in cols.values.items()})
        sums["events"] = sums.pop("rows")
        return Groups(keys, sums)

    def concerns(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Follow-through counts for the period (every concern raised by its end counts)."""
        cols = self._get("_concerns")
        rows = c.select(cols, f.with_period(None, f.end))
        names = tuple(COMBO if b == COMMENT_TOPIC else b for b in by)
        topic_index = self._get("_topics") if COMBO in names else None
        extra = {COMBO: topic_index.concern_combo} if topic_index is not None else None
        group, keys, labels = c.grouping(cols, rows, names, f, extra)
        flags, days = concern_flags(cols, rows, f)
        size = len(keys)
        stats = {name: c.count(group, size, flag.astype("float64")) for name, flag in flags.items()}
        took = flags["resolved"] & (group >= 0)
        samples = {"days": (group[took], days[took], np.ones(int(took.sum())))}
        if topic_index is not None:
            keys, stats = c.spread(stats, labels, names, COMBO, topic_index.membership(), topic_index.labels)
            keys = keys.rename(columns={COMBO: COMMENT_TOPIC})
            samples = {"days": (np.zeros(0, "int64"), np.zeros(0), np.zeros(0))}  # no medians by topic
        return Groups(keys, stats, samples)

    def attendees(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Records, distinct participants, repeat and returning participants."""
        built = self._get("_attendees")
        if built is None:
            keys = c.key_frame([pd.Index([])] * len(by), by)
            return Groups(keys, {name: np.zeros(len(keys)) for name in ATTENDEE_STATS})
        return attendee_groups(built, f, by)

    @cached_property
    def _published(self) -> pd.DataFrame:
        return published.normalise(self.ds.area_scores)

    def published(self) -> pd.DataFrame:
        """The published area scores, normalised once (cpdash.metrics.published)."""
        return self._get("_published")

    @cached_property
    def _areas(self) -> pd.DataFrame:
        return area_table.normalise(self.ds.areas)

    def areas(self) -> pd.DataFrame:
        """Every area, normalised once (read-only)."""
        return self._get("_areas")

    @cached_property
    def _event_levels(self) -> tuple[str, ...]:
        events = self._get("_events")
        used = self.area_labels[np.unique(events.keys[AREA].codes[events.keys[AREA].codes >= 0])]
        areas = self._get("_areas")
        levels = areas.loc[areas[AREA].isin(used), "level"].dropna().astype("str").unique()
        return tuple(sorted(levels))

    def event_levels(self) -> tuple[str, ...]:
        """The levels of the areas events are recorded at."""
        return self._get("_event_levels")

    def has(self, what: str) -> bool:
        """True when the data can answer `what`: a table, an answer metric, "comments", "sentiment", or a
        column of a table as "table.column" (with at least one value). Found once per data set."""
        found = self._has.get(what)
        if found is None:
            found = self._has[what] = self._find(what)
        return found

    def _find(self, what: str) -> bool:
        if what in TABLES:
            return self.ds.has(what)
        if what in SCORE_METRICS:
            return self.has(f"responses.{what}")
        if what == "comments":
            return len(self._get("_comments")) > 0
        if what == "sentiment":  # while it is being scored: whether any comment will have a score
            scoring = self.ds.scoring
            return bool(scoring.scorable.any()) if scoring is not None else self.has(f"responses.{SENTIMENT}")
        table, _, column = what.partition(".")
        frame = getattr(self.ds, table, None) if table in TABLES else None
        return _present(frame) and column in frame.columns and bool(frame[column].notna().any())

    @cached_property
    def _extents(self) -> dict[str, tuple[dt.date, dt.date]]:
        found: dict[str, list[int]] = {}
        for table, column in (
            ("events", "start"),
            ("responses", "submitted"),
            ("concerns", "raised"),
            ("area_scores", "period_start"),
            ("area_scores", "period_end"),
        ):
            frame = getattr(self.ds, table)
            if _present(frame) and column in frame.columns:
                known = c.days_of(frame[column])
                known = known[known != c.NO_DAY]
                if len(known):
                    found.setdefault(table, []).extend([int(known.min()), int(known.max())])
        return {table: (_date(min(days)), _date(max(days))) for table, days in found.items()}

    def extent(self, table: str | None = None) -> tuple[dt.date, dt.date] | None:
        """First and last day of any dated row of `table` (of any table when None)."""
        extents = self._get("_extents")
        if table is not None:
            return extents.get(table)
        if not extents:
            return None
        return min(e[0] for e in extents.values()), max(e[1] for e in extents.values())
