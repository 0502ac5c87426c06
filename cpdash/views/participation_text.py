"""Words the Participation page's sections share: what the trend is split by and counts, what a change is
against, counts and lists of names in sentences (names from the data made inert in Markdown)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cpdash.metrics.gather import AREA, PROGRAM
from cpdash.metrics.periods import LAST_YEAR, PREVIOUS
from cpdash.views import format as fmt

SPLITS = {"program": "Program", "area": "Area"}  # trend: what the bars are split by (URL values)
SPLIT_KEYS = {"program": PROGRAM, "area": AREA}  # ... and the grouping key of each
MEASURES = {"attendance": "Attendance", "events": "Events"}  # trend and heat map: what is counted
COMPARED = {PREVIOUS: "previous period", LAST_YEAR: "same period last year"}  # in column names
LEVEL_PCT = 1.0  # a change smaller than this (in %) is "level"
MIN_ATTENDANCE = 50  # fewer counted attendees: a program is not ranked on cost nor judged on its season
LIST_NAMES = 12  # names listed in a sentence before "and N more"


def compared_words(compare: str) -> str:
    """'previous period' or 'same period last year'."""
    return COMPARED.get(compare, COMPARED[PREVIOUS])


def count_words(n: float, noun: str, plural: str | None = None) -> str:
    """'1 event', '3 events'."""
    return f"{n:,.0f} {noun if n == 1 else (plural or noun + 's')}"


def month_name(value: object) -> str:
    """'July 2026'."""
    return f"{pd.Timestamp(value):%B %Y}"


def names_sentence(names: Sequence[str], limit: int = LIST_NAMES) -> str:
    """'A, B and C', or 'A, B, … and 12 more'; names made inert in Markdown."""
    safe = [fmt.markdown_text(n) for n in names]
    if len(safe) <= limit:
        return safe[0] if len(safe) == 1 else ", ".join(safe[:-1]) + " and " + safe[-1]
    return ", ".join(safe[:limit]) + f" and {len(safe) - limit:,} more"


def measure_unit(measure: str) -> str:
    """'people' for attendance, 'events' for events."""
    return "people" if measure == "attendance" else "events"
