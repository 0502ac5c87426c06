"""Repeat engagement (needs attendee records): the share of a period's participants who came to two or more
of its events, and participants returning from before (from before the group's month when grouped by month).
The one definition every page uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import Groups, Source
from cpdash.metrics.periods import Filters

REPEAT_MIN_EVENTS = 2


def _share(part: np.ndarray, people: np.ndarray) -> np.ndarray:
    """part / people, NaN where there is nobody."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(people > 0, part / np.where(people > 0, people, 1), np.nan)


def columns(groups: Groups) -> dict[str, np.ndarray]:
    """participants, repeat, returning, records, events_with_records, share_repeat and share_returning
    (0-1) per group."""
    people = groups["participants"]
    return {
        "participants": people.astype("int64"),
        "repeat": groups["repeat"].astype("int64"),
        "returning": groups["returning"].astype("int64"),
        "records": groups["records"].astype("int64"),
        "events_with_records": groups["events_with_records"].astype("int64"),
        "share_repeat": _share(groups["repeat"], people),
        "share_returning": _share(groups["returning"], people),
    }


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with the repeat-engagement figures."""
    return groups.frame(columns(groups))


@dataclass(frozen=True)
class Repeat:
    """Participants in the period, those at two or more of its events (and their share, 0-1), those who
    had come to an event before the period, the attendee records behind them and the events they cover."""

    participants: int
    repeat: int
    returning: int
    records: int
    share_repeat: float
    events_with_records: int = 0


def repeat(src: Source, f: Filters) -> Repeat | None:
    """Repeat engagement over the filters' period, areas and programs (None without attendee records)."""
    if not src.has("attendees"):
        return None
    row = from_groups(src.attendees(f)).iloc[0]
    return Repeat(
        int(row["participants"]),
        int(row["repeat"]),
        int(row["returning"]),
        int(row["records"]),
        float(row["share_repeat"]),
        int(row["events_with_records"]),
    )


def repeat_by(src: Source, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Repeat engagement per group of `by` (month, age_group, area_id): keys and the columns above."""
    return from_groups(src.attendees(f, by))
