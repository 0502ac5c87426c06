"""Follow-through ("you said, we did"): concerns raised, resolved, declined and open in a period, the
median days to resolve and the share resolved within 90 days. The one definition every page uses.

raised: raised in the period; resolved / declined: closed that way on a date in the period; open_at_end:
raised by the end and not closed by then; in_progress_at_end: of those, the ones whose status is now "in
progress"; missing_resolved_date: marked resolved or declined without a date (counted as closed);
median_days_to_resolve: over the concerns resolved in the period; share_resolved_within_90: among the
eligible_90 concerns raised in the period whose 90-day window ended by its end, the share resolved within 90
days. A concern's status is known only as it stands now.

`concern_rows` gives the same flags per concern, for the lists pages show (the open backlog, what was
resolved): the row-level twin of `follow_through`, never a second definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import columns as c
from cpdash.metrics.gather import AREA, CONCERN_STATS, RESOLVE_WITHIN_DAYS, Groups, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.stats import concern_columns, concern_flags

COLUMNS = (*CONCERN_STATS, "median_days_to_resolve", "share_resolved_within_90")
DAYS = "days_to_resolve"
FLAGS = {name: f"is_{name}" for name in CONCERN_STATS}  # concern_rows' flag columns: is_raised, ...
__all__ = [
    "COLUMNS",
    "DAYS",
    "FLAGS",
    "RESOLVE_WITHIN_DAYS",
    "ConcernTable",
    "FollowThrough",
    "concern_rows",
    "concern_table",
    "follow_through",
    "follow_through_by",
]


def medians(group: np.ndarray, values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """The weighted median of `values` per group 0..size-1 (the mean of the two middle ones when even), every
    group at once: the weights are counts, so their running sums are exact."""
    out = np.full(size, np.nan)
    if len(group) == 0:
        return out
    order = np.lexsort((values, group))
    g, v, w = group[order], np.asarray(values, "float64")[order], np.asarray(weights, "float64")[order]
    running = np.cumsum(w)
    bounds = np.searchsorted(g, np.arange(size + 1))
    codes = np.flatnonzero(np.diff(bounds))
    lo, hi = bounds[codes], bounds[codes + 1]
    before = np.where(lo > 0, running[np.maximum(lo - 1, 0)], 0.0)
    half = (running[hi - 1] - before) / 2
    i = np.maximum(np.searchsorted(running, before + half, "left"), lo)  # the first to reach half
    even = (running[i] - before == half) & (i + 1 < hi)
    after = v[np.minimum(i + 1, len(v) - 1)]
    out[codes] = np.where(even, (v[i] + after) / 2, v[i])
    return out


def columns(groups: Groups) -> dict[str, np.ndarray]:
    """The follow-through figures per group from the concern counts and the days-to-resolve sample."""
    out = {name: groups[name].astype("int64") for name in CONCERN_STATS}
    group, days, weights = groups.samples["days"]
    out["median_days_to_resolve"] = medians(group, days, weights, len(groups))
    eligible = groups["eligible_90"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_resolved_within_90"] = np.where(
            eligible > 0, groups["resolved_within_90"] / np.where(eligible > 0, eligible, 1), np.nan
        )
    return out


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with the follow-through figures."""
    return groups.frame(columns(groups))


@dataclass(frozen=True)
class FollowThrough:
    """What became of residents' concerns in a period (see the module docstring)."""

    raised: int
    resolved: int
    declined: int
    open_at_end: int
    in_progress_at_end: int
    missing_resolved_date: int
    resolved_within_90: int
    eligible_90: int
    median_days_to_resolve: float
    share_resolved_within_90: float


def follow_through(src: Source, f: Filters) -> FollowThrough:
    """Follow-through over the filters' period in their areas."""
    row = from_groups(src.concerns(f)).iloc[0]
    counts = {name: int(row[name]) for name in CONCERN_STATS}
    return FollowThrough(
        **counts,
        median_days_to_resolve=float(row["median_days_to_resolve"]),
        share_resolved_within_90=float(row["share_resolved_within_90"]),
    )


def follow_through_by(src: Source, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Follow-through per group of `by` (area_id or topic): keys and the figures."""
    table = from_groups(src.concerns(f, by))
    return table[table[list(CONCERN_STATS)].sum(axis=1) > 0].reset_index(drop=True)


@dataclass(frozen=True)
class ConcernTable:
    """The concerns sorted by the day raised, and as columns (built once per data set for lists)."""

    rows: pd.DataFrame
    cols: c.Columns | None  # None when there is nothing to list


def concern_table(concerns: pd.DataFrame | None) -> ConcernTable:
    """The concerns of a data set ready for concern_rows (sorting and grouping keys made once)."""
    if concerns is None or len(concerns) == 0 or "raised" not in concerns.columns:
        return ConcernTable(concerns.iloc[0:0] if concerns is not None else pd.DataFrame(), None)
    ordered = concerns.iloc[c.sort_by_day(c.days_of(concerns["raised"]))]
    area = (
        c.factor(ordered[AREA])
        if AREA in ordered.columns
        else c.Key(np.full(len(ordered), -1, dtype="int64"), pd.Index([], dtype="str"))
    )
    return ConcernTable(ordered, concern_columns(ordered, area))


def concern_rows(
    concerns: pd.DataFrame | ConcernTable | None, f: Filters, only: str | None = None
) -> pd.DataFrame:
    """Each concern raised by the end of the filters' period in their areas, as given (sorted by the day
    raised), with its flags for the period (one per CONCERN_STAT, named in FLAGS: is_raised, is_resolved,
    is_open_at_end, ...) and days_to_resolve (NaN without a resolved date). `only`: a CONCERN_STAT, to
    take out only the concerns it marks (the others are never copied)."""
    table = concerns if isinstance(concerns, ConcernTable) else concern_table(concerns)
    if table.cols is None:
        flags = {flag: pd.Series(dtype="bool") for flag in FLAGS.values()}
        return table.rows.assign(**flags, **{DAYS: pd.Series(dtype="float64")})
    rows = c.select(table.cols, f.with_period(None, f.end))
    marks, days = concern_flags(table.cols, rows, f)
    if only is not None:
        keep = marks[only]
        rows = (np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows)[keep]
        days, marks = days[keep], {name: mark[keep] for name, mark in marks.items()}
    out = table.rows.iloc[rows]
    return out.assign(**{flag: marks[name] for name, flag in FLAGS.items()}, **{DAYS: days})
