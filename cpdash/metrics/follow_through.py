"""Follow-through ("you said, we did"): concerns raised, resolved, declined and open in a period, the
median days to resolve and the share resolved within 90 days. The one definition every page uses.

raised: raised in the period; resolved / declined: closed that way on a date in the period; open_at_end:
raised by the end and not closed by then; in_progress_at_end: of those, the ones whose status is now "in
progress"; missing_resolved_date: marked resolved or declined without a date (counted as closed);
median_days_to_resolve: over the concerns resolved in the period; share_resolved_within_90: among the
eligible_90 concerns raised in the period whose 90-day window ended by its end, the share resolved within 90
days. A concern's status is known only as it stands now.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import columns as c
from cpdash.metrics.gather import CONCERN_STATS, RESOLVE_WITHIN_DAYS, Groups, Source
from cpdash.metrics.memory import STATUSES
from cpdash.metrics.periods import Filters
from cpdash.metrics.stats import concern_flags

COLUMNS = (*CONCERN_STATS, "median_days_to_resolve", "share_resolved_within_90")
__all__ = [
    "COLUMNS",
    "RESOLVE_WITHIN_DAYS",
    "FollowThrough",
    "follow_through",
    "follow_through_by",
    "open_at_end",
]


def medians(group: np.ndarray, values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """The weighted median of `values` per group 0..size-1 (the mean of the two middle ones when even)."""
    out = np.full(size, np.nan)
    order = np.lexsort((values, group))
    g, v, w = group[order], np.asarray(values, "float64")[order], np.asarray(weights, "float64")[order]
    bounds = np.searchsorted(g, np.arange(size + 1))
    for code in np.flatnonzero(np.diff(bounds)):
        lo, hi = bounds[code], bounds[code + 1]
        running = np.cumsum(w[lo:hi])
        half = running[-1] / 2
        i = int(np.searchsorted(running, half, "left"))
        even = running[i] == half and i + 1 < hi - lo
        out[code] = (v[lo + i] + v[lo + i + 1]) / 2 if even else v[lo + i]
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
    out = groups.keys.copy()
    for name, values in columns(groups).items():
        out[name] = values
    return out


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


def open_at_end(concerns: pd.DataFrame, f: Filters) -> np.ndarray:
    """Per row of a concerns table (raised, resolved, status): True when it is open at the end of the
    filters' period, by the definition the open_at_end count uses (for lists such as the open backlog).
    The filters' areas are not applied: pass the rows to judge."""
    n = len(concerns)
    if n == 0 or "raised" not in concerns.columns:
        return np.zeros(n, dtype=bool)
    resolved = c.days_of(concerns["resolved"]) if "resolved" in concerns.columns else np.full(n, c.NO_DAY)
    status = (
        c.factor(concerns["status"].astype("string").str.lower(), pd.Index(STATUSES))
        if "status" in concerns.columns
        else c.Key(np.full(n, -1, dtype="int64"), pd.Index(STATUSES))
    )
    cols = c.Columns(
        c.days_of(concerns["raised"]), {"status": status}, {"resolved_day": resolved.astype("float64")}
    )
    flags, _ = concern_flags(cols, np.arange(n), f)
    return flags["open_at_end"]
