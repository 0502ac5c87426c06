"""The shared filters (period, areas, programs) and how they select rows."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cpdash.data.dataset import Dataset
from cpdash.metrics.periods import Filters


def data_bounds(ds: Dataset) -> tuple[date, date]:
    """First and last day with any event, response or concern (today when there is no data)."""
    firsts, lasts = [], []
    for frame, column in ((ds.events, "start"), (ds.responses, "submitted"), (ds.concerns, "raised")):
        if frame is not None and len(frame) and column in frame:
            values = frame[column].dropna()
            if len(values):
                firsts.append(values.min())
                lasts.append(values.max())
    if not firsts:
        today = date.today()
        return today, today
    return min(firsts).date(), max(lasts).date()


def rows_in_period(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows whose `column` falls on a day from `start` to `end`; fast when the frame is sorted by it."""
    values = frame[column].to_numpy(dtype="datetime64[ns]")
    low, high = np.datetime64(start, "ns"), np.datetime64(end + timedelta(days=1), "ns")
    if len(values) < 2 or bool((values[1:] >= values[:-1]).all()):  # sorted: slice instead of copying
        return frame.iloc[np.searchsorted(values, low, "left") : np.searchsorted(values, high, "left")]
    return frame[(values >= low) & (values < high)]


def select(
    frame: pd.DataFrame | None, f: Filters, date_column: str | None, by_program: bool = False
) -> pd.DataFrame | None:
    """Rows of `frame` inside the filters' period (when `date_column`), areas and (optionally) programs."""
    if frame is None:
        return None
    out = rows_in_period(frame, date_column, f.start, f.end) if date_column else frame
    if f.areas and "area_id" in out:
        out = out[out["area_id"].isin(f.areas)]
    if by_program and f.programs and "program" in out:
        out = out[out["program"].isin(f.programs)]
    return out


def describe(f: Filters, area_names: dict[str, str]) -> str:
    """The filters in words, for captions and exports."""
    period = f"{f.start:%-d %b %Y} – {f.end:%-d %b %Y}"
    if not f.areas:
        where = "all areas"
    elif len(f.areas) <= 3:
        where = ", ".join(area_names.get(a, a) for a in f.areas)
    else:
        where = f"{len(f.areas)} areas"
    what = (
        "all programs"
        if not f.programs
        else (", ".join(f.programs) if len(f.programs) <= 2 else f"{len(f.programs)} programs")
    )
    return f"{period} · {where} · {what}"
