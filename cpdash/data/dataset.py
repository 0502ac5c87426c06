"""The loaded data set: validated tables plus the report of how they were loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Columns the loader adds to the contract's tables.
APPROXIMATE = "approximate"  # events: True when placed at the area's (or beat's) centroid
SENTIMENT = "sentiment"  # responses: VADER compound score of `comment`, NaN when none or not English
CENTROID_LAT = "centroid_lat"  # areas
CENTROID_LON = "centroid_lon"  # areas


@dataclass
class TableReport:
    """How one table was loaded: what was read, accepted, rejected and why."""

    table: str
    file: str | None = None
    status: str = "absent"  # absent | loaded | failed
    rows_read: int = 0
    rows_accepted: int = 0
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)  # original cells + row + reason
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Number of rows rejected."""
        return len(self.rejected)


@dataclass
class LoadReport:
    """The validation report of a whole data source."""

    source: str
    tables: dict[str, TableReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about the source as a whole
    seconds: dict[str, float] = field(default_factory=dict)  # step name -> seconds

    @property
    def rows_rejected(self) -> int:
        """Rows rejected across every table."""
        return sum(t.rows_rejected for t in self.tables.values())

    @property
    def errors(self) -> list[str]:
        """Every error, prefixed by its table."""
        return [e for t in self.tables.values() for e in t.errors]

    @property
    def warnings(self) -> list[str]:
        """Every warning of every table, then the notes about the source."""
        return [w for t in self.tables.values() for w in t.warnings] + self.notes


@dataclass(eq=False)
class Scoring:
    """Comment sentiment still being scored for a loaded data set (cpdash.data.scoring), and how far it got.

    Until it is done the data set's responses have no sentiment column; `scorable` tells which of their rows
    will be scored, so that counts of scored comments (what the small-numbers policy rests on) are already
    known. `done` of `total` distinct comments have their score so far.
    """

    scorable: np.ndarray  # per row of the responses (in their order): True when its comment will be scored
    total: int  # distinct comments to score
    cache_dir: Path | None = None
    snapshot: Path | None = None  # where the scored responses are saved (the files as they were loaded)
    done: int = 0
    failed: str | None = None  # why scoring stopped, when it did
    finished: bool = False  # scoring has ended (the complete data set is where the loader keeps it)

    def tally(self, done: int, total: int) -> None:
        """Record how far scoring has got."""
        self.done, self.total = done, total


@dataclass(frozen=True)
class Dataset:
    """Validated tables, read-only once loaded (shared by every session: never modify in place)."""

    events: pd.DataFrame
    areas: pd.DataFrame
    report: LoadReport
    responses: pd.DataFrame | None = None
    area_scores: pd.DataFrame | None = None
    concerns: pd.DataFrame | None = None
    attendees: pd.DataFrame | None = None
    areas_geojson: dict | None = None
    is_sample: bool = False
    scoring: Scoring | None = field(default=None, compare=False, repr=False)  # None: sentiment ready

    def has(self, table: str) -> bool:
        """True when `table` was loaded and has at least one row."""
        frame = getattr(self, table, None)
        return frame is not None and len(frame) > 0
