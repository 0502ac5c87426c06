"""The one interface every figure gets its numbers through: per-group sufficient statistics.

A figure never reads rows. It asks a `Source` for the statistics of the rows the `Filters` select, grouped
by some keys, and computes itself from them (cpdash.metrics.scores, sentiment, engagement, ...). The
in-memory source (cpdash.metrics.memory) gathers them with numpy; a database source can gather the same
with SQL `GROUP BY`, and no figure changes.

Statistics, one value per group (all additive except the answers' m2, which cpdash.metrics.scores merges):

- answers(metric): n (answers given), total (their sum), m2 (sum of squared deviations from the group mean)
- comments: comments, positive, negative, neutral, unscored (not in English: counted, not scored)
- events: events, attendance, attendance_known, youth_attendance, youth_known, youth_num, youth_den,
  officer_hours, hours_known, cost, cost_known, cost_num, cost_den (the *_num / *_den pairs only over events
  that have both figures; *_known counts the events that have the figure)
- concerns: raised, resolved, declined, open_at_end, in_progress_at_end, missing_resolved_date,
  resolved_within_90, eligible_90; and the sample "days" (days to resolve of each concern resolved in the
  period) for medians
- attendees: records, participants (distinct), repeat (participants at 2 or more events), returning
  (participants whose first event in the data came before the group's month, or before the period),
  events_with_records (events with at least one attendee record)

Grouping keys: area_id, month, program, age_group, gender, race_ethnicity (answers and comments),
language and comment_topic (comments: a comment counts in every topic it mentions), topic (concerns),
age_group (attendees). Groups are dense: every combination of the keys' values, empty ones included;
months run over the query's period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from cpdash.metrics.periods import Filters

AREA = "area_id"
MONTH = "month"
PROGRAM = "program"
AGE = "age_group"
GENDER = "gender"
RACE = "race_ethnicity"
LANGUAGE = "language"
COMMENT_TOPIC = "comment_topic"
TOPIC = "topic"
DIMENSIONS = (AGE, GENDER, RACE)  # the demographic breakdowns of answers

ANSWER_STATS = ("n", "total", "m2")
COMMENT_STATS = ("comments", "positive", "negative", "neutral", "unscored")
EVENT_STATS = (
    "events",
    "attendance",
    "attendance_known",
    "youth_attendance",
    "youth_known",
    "youth_num",
    "youth_den",
    "officer_hours",
    "hours_known",
    "cost",
    "cost_known",
    "cost_num",
    "cost_den",
)
CONCERN_STATS = (
    "raised",
    "resolved",
    "declined",
    "open_at_end",
    "in_progress_at_end",
    "missing_resolved_date",
    "resolved_within_90",
    "eligible_90",
)
ATTENDEE_STATS = ("records", "participants", "repeat", "returning", "events_with_records")
RESOLVE_WITHIN_DAYS = 90


@dataclass(frozen=True)
class Groups:
    """Statistics per group: `keys` (one row per group, a column per key) and one array per statistic.

    `samples` holds distributions for medians: name -> (group code, value, weight) per observation.
    """

    keys: pd.DataFrame
    stats: dict[str, np.ndarray]
    samples: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        """Number of groups."""
        return len(self.keys)

    def __getitem__(self, name: str) -> np.ndarray:
        """One statistic, one value per group."""
        return self.stats[name]

    def first(self, name: str) -> float:
        """The statistic of the only group (queries grouped by nothing)."""
        return float(self.stats[name][0])

    def key_text(self, name: str) -> np.ndarray:
        """One key's values as text, '' where unknown, one per group (object array)."""
        column = self.keys[name]
        if isinstance(column.dtype, pd.StringDtype):  # text already: only the unknown ones to fill
            return column.to_numpy(dtype=object, na_value="")
        values = column.to_numpy(dtype=object, na_value=None)
        return np.array(["" if v is None else str(v) for v in values], dtype=object)

    def frame(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        """The groups' keys beside `columns` (one value per group), as one table."""
        data: dict[str, object] = {name: self.keys[name] for name in self.keys.columns}
        data.update(columns)
        return pd.DataFrame(data, index=self.keys.index)


class Source(Protocol):
    """Where the statistics come from: the data set in memory, or a database."""

    def answers(self, metric: str, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """n, total and m2 of the 0-10 answers to `metric` (trust, safety, listen, respect)."""
        ...

    def comments(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Comments and their sentiment classes."""
        ...

    def events(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Events and the sums of their figures."""
        ...

    def concerns(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """What became of concerns in the period (see the module's docstring)."""
        ...

    def attendees(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Participants of the events the query selects."""
        ...

    def published(self) -> pd.DataFrame:
        """Published area scores, one row per figure as published (cpdash.metrics.published reads them)."""
        ...

    def areas(self) -> pd.DataFrame:
        """Every area, as cpdash.metrics.areas.normalise gives them."""
        ...

    def event_levels(self) -> tuple[str, ...]:
        """The levels of the areas events are recorded at (empty when it cannot be told)."""
        ...

    def has(self, what: str) -> bool:
        """True when the data can answer: a table ("events", ...), an answer metric or "sentiment"."""
        ...

    def extent(self, table: str | None = None) -> tuple[dt.date, dt.date] | None:
        """First and last day of any dated row of `table`, or of any table (published periods included) when
        None; None when there is none."""
        ...
