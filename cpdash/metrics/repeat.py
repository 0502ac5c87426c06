"""Repeat engagement (needs attendee records): the share of a period's participants who came to two or more
of its events, and participants returning from before. The one definition every page uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import Groups, Source
from cpdash.metrics.periods import Filters

REPEAT_MIN_EVENTS = 2


def columns(groups: Groups) -> dict[str, np.ndarray]:
    """participants, repeat, returning, records and share_repeat (0-1) per group."""
    people = groups["participants"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(people > 0, groups["repeat"] / np.where(people > 0, people, 1), np.nan)
    return {
        "participants": people.astype("int64"),
        "repeat": groups["repeat"].astype("int64"),
        "returning": groups["returning"].astype("int64"),
        "records": groups["records"].astype("int64"),
        "share_repeat": share,
    }


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with the repeat-engagement figures."""
    return groups.frame(columns(groups))


@dataclass(frozen=True)
class Repeat:
    """Participants in the period, those at two or more of its events (and their share, 0-1), those who
    had come to an event before the period, and the attendee records behind them."""

    participants: int
    repeat: int
    returning: int
    records: int
    share_repeat: float


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
    )


def repeat_by(src: Source, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Repeat engagement per group of `by` (month, age_group, area_id)."""
    return from_groups(src.attendees(f, by))
