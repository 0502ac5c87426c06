"""Build the metrics engine's in-memory Source from plain frames, with the dtypes the loader produces.

The loader gives date and datetime columns as datetime64[ns], ids and text as str, numbers as float64
(cpdash.data.schema names each column's kind); `source()` coerces plain frames (lists of dicts, strings for
dates) the same way, so tests of the engine see what the app sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cpdash.data.dataset import SENTIMENT, Dataset, LoadReport
from cpdash.data.schema import TABLES
from cpdash.metrics.memory import MemorySource
from cpdash.text.topics import Taxonomy

FrameLike = pd.DataFrame | Sequence[Mapping[str, object]] | Mapping[str, Sequence[object]] | None
NUMBER_COLUMNS = {SENTIMENT, "centroid_lat", "centroid_lon"}  # columns the loader adds, float64
FLAG_COLUMNS = {"approximate"}  # bool


def kind(table: str, column: str) -> str:
    """The contract's kind of a column ("date", "float", "id", ...); "text" for columns it does not name."""
    if column in NUMBER_COLUMNS:
        return "float"
    if column in FLAG_COLUMNS:
        return "bool"
    try:
        return TABLES[table].column(column).kind
    except KeyError:
        return "float" if column.startswith("share_") else "text"


def typed(table: str, rows: FrameLike) -> pd.DataFrame | None:
    """`rows` as the loader would give the table: datetime64[ns] dates, float64 numbers, str ids and text."""
    if rows is None:
        return None
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if len(frame.columns) == 0:  # no rows given: the table's required columns, empty
        frame = pd.DataFrame({c: [] for c in TABLES[table].required_columns})
    for column in frame.columns:
        what = kind(table, column)
        values = frame[column]
        if what in ("date", "datetime"):
            if not pd.api.types.is_datetime64_any_dtype(values.dtype):
                values = pd.to_datetime(values.astype(object), format="ISO8601")
            frame[column] = values.astype("datetime64[ns]")
        elif what in ("int", "float"):
            frame[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif what == "bool":
            frame[column] = values.fillna(False).astype(bool)
        else:
            text = values.astype(object).where(values.notna(), np.nan)
            frame[column] = pd.Series(text, index=frame.index, dtype="str")
    return frame


def dataset(
    events: FrameLike = None,
    areas: FrameLike = None,
    responses: FrameLike = None,
    concerns: FrameLike = None,
    attendees: FrameLike = None,
    area_scores: FrameLike = None,
) -> Dataset:
    """A loaded Dataset from plain frames (events and areas may be left out: then empty)."""
    return Dataset(
        events=typed("events", events if events is not None else {c: [] for c in TABLES["events"].names[:4]}),
        areas=typed("areas", areas if areas is not None else {"area_id": [], "name": [], "level": []}),
        report=LoadReport(source="test"),
        responses=typed("responses", responses),
        concerns=typed("concerns", concerns),
        attendees=typed("attendees", attendees),
        area_scores=typed("area_scores", area_scores),
    )


def source(
    events: FrameLike = None,
    areas: FrameLike = None,
    responses: FrameLike = None,
    concerns: FrameLike = None,
    attendees: FrameLike = None,
    area_scores: FrameLike = None,
    taxonomy: Taxonomy | None = None,
) -> MemorySource:
    """The in-memory Source of a Dataset built from plain frames (see `dataset`)."""
    ds = dataset(events, areas, responses, concerns, attendees, area_scores)
    return MemorySource(ds, taxonomy)
