"""The Participation page's seasonality: attendance (or events) per program and month of the period
(cpdash.metrics.engagement), with the busiest month and the most seasonal program in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.engagement import engagement_arrays
from cpdash.metrics.gather import MONTH, PROGRAM, Source
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt
from cpdash.views.participation_text import MIN_ATTENDANCE, measure_unit, month_name

SEASON_MIN_MONTHS = 6  # fewer months in the period: no claim about seasonality
SEASON_PEAK_MONTHS = 3  # "x % of its attendance came in its 3 busiest months"
SEASON_MIN_EVENTS = 6  # programs with fewer events (when counting events) are not judged on seasonality
NO_SEASON = "No event in this period and selection: there is no season to show."


@dataclass(frozen=True)
class Seasonality:
    """A month x program heat map of the measure."""

    matrix: pd.DataFrame  # index program, columns months (Timestamp), NaN where unknown
    events: pd.DataFrame  # the same shape: number of events
    measure: str
    caption: str
    empty: str | None


def seasonality(src: Source, f: Filters, measure: str = "attendance") -> Seasonality:
    """Per program and month of the period: attendance (or events); programs busiest first (ties by name).

    A cell with events but no attendance count is NaN (unknown); a cell without events is 0.
    """
    keys, cube = engagement_arrays(src, f, (PROGRAM, MONTH))
    month_of = keys[MONTH].to_numpy()  # the keys run over every program (slowest), then every month
    size = int(np.count_nonzero(month_of == month_of[0])) if len(keys) else 0
    span = len(keys) // size if size else 0
    names = pd.Index(keys[PROGRAM].array[::span] if span else keys[PROGRAM].array[:0])
    months = pd.DatetimeIndex(keys[MONTH].iloc[:span]) if span else pd.DatetimeIndex([])
    column = "attendance" if measure == "attendance" else "events"
    values = np.asarray(cube[column], dtype="float64").reshape(size, span)
    events = np.asarray(cube["events"]).reshape(size, span)
    held = np.flatnonzero(events.sum(axis=1) > 0)
    if len(held) == 0:
        return Seasonality(
            pd.DataFrame(), pd.DataFrame(), measure, "No event in this period and selection.", NO_SEASON
        )
    known = ~np.isnan(values[held]).all(axis=1)
    totals = np.where(known, np.nansum(values[held], axis=1), -1.0)
    labels = [str(n) for n in names[held]]
    order = held[sorted(range(len(held)), key=lambda i: (-totals[i], labels[i]))]
    index = pd.Index(names[order], name="program")
    matrix = pd.DataFrame(values[order], index=index, columns=months)
    counts = pd.DataFrame(events[order], index=index.copy(), columns=months.copy())
    matrix.index.name = counts.index.name = "program"
    matrix.columns.name = counts.columns.name = None
    empty = None
    if measure == "attendance" and matrix.isna().all().all():
        empty = "No event in this period and selection has an attendance count: switch to Events."
    return Seasonality(matrix, counts, measure, seasonality_caption(matrix, measure), empty)


def seasonality_caption(matrix: pd.DataFrame, measure: str) -> str:
    """The busiest month, and the most seasonal program when the period is long enough to tell."""
    if matrix.empty:
        return "No event in this period and selection."
    values = matrix.to_numpy(dtype="float64")
    months = matrix.columns
    if np.isnan(values).all():
        return "No attendance count in this period."
    if len(months) == 1:
        return (
            f"Only one month in the period ({month_name(months[0])}): widen the period to see "
            "which months each program is busiest."
        )
    per_month = np.nansum(values, axis=0)
    busiest = int(np.argmax(per_month))
    parts = [
        f"Busiest month: {month_name(months[busiest])} ({per_month[busiest]:,.0f} {measure_unit(measure)})."
    ]
    if len(months) < SEASON_MIN_MONTHS:
        parts.append(
            f"With fewer than {SEASON_MIN_MONTHS} months in the period, seasonality cannot be judged."
        )
        return " ".join(parts)
    known = np.nan_to_num(values)
    totals = known.sum(axis=1)
    peak_sums = np.sort(known, axis=1)[:, -SEASON_PEAK_MONTHS:].sum(axis=1)
    minimum = MIN_ATTENDANCE if measure == "attendance" else SEASON_MIN_EVENTS
    eligible = np.flatnonzero(totals >= minimum)
    if len(eligible):
        share = peak_sums[eligible] / totals[eligible]
        best = eligible[int(np.argmax(share))]  # ties: the busier program (rows are busiest first)
        row = known[best]
        peak = sorted(np.argsort(-row, kind="stable")[:SEASON_PEAK_MONTHS])
        months_text = ", ".join(f"{months[i]:%b}" for i in peak if row[i] > 0)
        what = "attendance" if measure == "attendance" else "events"
        parts.append(
            f"Most seasonal: {fmt.markdown_text(matrix.index[best])}, with {share.max() * 100:.0f} % of its "
            f"{what} in {months_text}."
        )
    return " ".join(parts)


def seasonality_download(s: Seasonality) -> pd.DataFrame:
    """The heat map's numbers: one row per program, one column per month."""
    if s.matrix.empty:
        return pd.DataFrame()
    out = s.matrix.copy()
    out.columns = [f"{m:%Y-%m}" for m in out.columns]
    return out.rename_axis("Program").reset_index()
