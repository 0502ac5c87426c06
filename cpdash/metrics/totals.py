"""Running totals of the answers by day and area: a period's n, sum and squared deviations per area in a few
array subtractions, however many responses it holds (the in-memory source's fast path for the questions
every page asks: a score over a period, by area, by month).

Per metric, each area's answers are centred on that area's mean over all the data before they are summed:
the running sums then stay small and the squared deviations of any period come out without cancellation.
A spread that is zero but for rounding (every answer the same) is read as zero. Built once per data set,
and only while days x areas stays small enough; otherwise (and for other groupings) the rows are read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import columns as c
from cpdash.metrics.gather import AREA, MONTH, Groups
from cpdash.metrics.periods import Filters

MAX_CELLS = 4_000_000  # days x (areas + 1) beyond which the rows are read instead
ROUNDING = 1e-10  # squared deviations below this share of the sum of squares are rounding, not spread
FAST = ((), (AREA,), (MONTH,))


@dataclass(frozen=True)
class Totals:
    """Running (count, sum, sum of squares) of centred answers: cum[d, slot] holds the answers given before
    day0 + d in area slot (the last slot: an area the data does not know)."""

    day0: int
    cum: np.ndarray  # (days + 1, slots, 3)
    centre: np.ndarray  # per slot: the value the slot's answers are centred on


def build(cols: c.Columns, values: np.ndarray) -> Totals | None:
    """The running totals of one metric's answers, or None when they would be too large."""
    area = cols.keys[AREA].codes
    slots = len(cols.keys[AREA].labels) + 1
    known = ~np.isnan(values) & (cols.day != c.NO_DAY)
    if not known.any():
        return None
    day0, last = int(cols.day[known].min()), int(cols.day[known].max())
    days = last - day0 + 1
    if days * slots > MAX_CELLS:
        return None
    slot = np.where(area[known] >= 0, area[known], slots - 1)
    x = values[known]
    count = np.bincount(slot, minlength=slots)
    centre = np.bincount(slot, x, minlength=slots) / np.maximum(count, 1)
    y = x - centre[slot]
    key = (cols.day[known] - day0) * slots + slot
    cube = np.stack(
        [np.bincount(key, weights=w, minlength=days * slots) for w in (None, y, y * y)], axis=-1
    ).reshape(days, slots, 3)
    cum = np.zeros((days + 1, slots, 3))
    np.cumsum(cube, axis=0, out=cum[1:])
    return Totals(day0, cum, centre)


def _index(t: Totals | Counts, day: dt.date | None, end: bool) -> int:
    """The row of the running totals at the start of `day` (open ends: the whole span)."""
    last = t.cum.shape[0] - 1
    if day is None:
        return last if end else 0
    return int(np.clip(c.day_number(day) - t.day0 + (1 if end else 0), 0, last))


def _moments(t: Totals, part: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n, total and m2 per row of `part` (count, centred sum, centred sum of squares per slot)."""
    n, sy, syy = part[..., 0], part[..., 1], part[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        m2 = np.where(n > 0, syy - sy * sy / np.where(n > 0, n, 1), 0.0)
    m2 = np.where(m2 <= ROUNDING * syy, 0.0, m2)
    return n, sy + t.centre * n, m2


def _pooled(n: np.ndarray, total: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slots (last axis) taken together: n, total and squared deviations from the pooled mean."""
    count = n.sum(axis=-1)
    whole = total.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, whole / np.where(count > 0, count, 1), 0.0)
        own = np.where(n > 0, total / np.where(n > 0, n, 1), 0.0)
    spread = m2.sum(axis=-1) + (n * (own - mean[..., np.newaxis]) ** 2).sum(axis=-1)
    return count, whole, spread


def _chosen(slots: int, labels: pd.Index, f: Filters) -> np.ndarray:
    """Which area slots the filters select (the last slot, an unknown area, only when no area is chosen)."""
    chosen = np.ones(slots, dtype=bool)
    if f.areas:
        chosen[:-1] = labels.isin(list(f.areas))
        chosen[-1] = False
    return chosen


def _months(t: Totals | Counts, f: Filters, lo: int, hi: int) -> tuple[list[int], pd.DataFrame]:
    """The day indices where each month of a closed period starts (and the end), and the months' keys."""
    first, span = c.month_number(f.start), c.month_number(f.end) - c.month_number(f.start) + 1
    starts = [c.month_start(first + i).date() for i in range(span)]
    edges = [lo, *(max(lo, min(hi, _index(t, day, False))) for day in starts[1:]), hi]
    keys = c.key_frame([pd.DatetimeIndex([c.month_start(first + i) for i in range(span)])], [MONTH])
    return edges, keys


def answers(t: Totals, labels: pd.Index, f: Filters, by: tuple[str, ...]) -> Groups:
    """n, total and m2 of a metric's answers for the filters, grouped by nothing, area_id or month."""
    chosen = _chosen(t.cum.shape[1], labels, f)
    lo, hi = _index(t, f.start, False), _index(t, f.end, True)
    if by == (MONTH,):
        edges, keys = _months(t, f, lo, hi)
        part = t.cum[edges[1:]] - t.cum[edges[:-1]]  # months x slots x 3
        n, total, m2 = _pooled(*(a * chosen for a in _moments(t, part)))
        return Groups(keys, {"n": n, "total": total, "m2": m2})
    n, total, m2 = (a * chosen for a in _moments(t, t.cum[hi] - t.cum[lo]))
    if by == (AREA,):
        keys = c.key_frame([labels], [AREA])
        return Groups(keys, {"n": n[:-1], "total": total[:-1], "m2": m2[:-1]})
    count, whole, spread = _pooled(n, total, m2)
    return Groups(
        c.key_frame([], []), {"n": np.array([count]), "total": np.array([whole]), "m2": np.array([spread])}
    )


def fits(f: Filters, by: tuple[str, ...]) -> bool:
    """True when the running totals can answer: no grouping, by area, or by month over a closed period."""
    return by in FAST and (by != (MONTH,) or (f.start is not None and f.end is not None))


@dataclass(frozen=True)
class Counts:
    """Running counts by day and area slot (the last: an unknown area) of several things at once (exact:
    whole numbers)."""

    day0: int
    cum: np.ndarray  # (days + 1, slots, len(names))
    names: tuple[str, ...]


def build_counts(cols: c.Columns, weights: dict[str, np.ndarray]) -> Counts | None:
    """The running counts of `weights` (one 0/1 array per name, aligned with the rows), or None."""
    dated = cols.day != c.NO_DAY
    if not dated.any():
        return None
    slots = len(cols.keys[AREA].labels) + 1
    day0, last = int(cols.day[dated].min()), int(cols.day[dated].max())
    days = last - day0 + 1
    if days * slots > MAX_CELLS:
        return None
    area = cols.keys[AREA].codes[dated]
    key = (cols.day[dated] - day0) * slots + np.where(area >= 0, area, slots - 1)
    cube = np.stack(
        [np.bincount(key, weights=w[dated], minlength=days * slots) for w in weights.values()], axis=-1
    ).reshape(days, slots, len(weights))
    cum = np.zeros((days + 1, slots, len(weights)))
    np.cumsum(cube, axis=0, out=cum[1:])
    return Counts(day0, cum, tuple(weights))


def counts(t: Counts, labels: pd.Index, f: Filters, by: tuple[str, ...]) -> Groups:
    """The counts for the filters, grouped by nothing, area_id or month."""
    chosen = _chosen(t.cum.shape[1], labels, f)
    lo, hi = _index(t, f.start, False), _index(t, f.end, True)
    if by == (MONTH,):
        edges, keys = _months(t, f, lo, hi)
        part = ((t.cum[edges[1:]] - t.cum[edges[:-1]]) * chosen[:, np.newaxis]).sum(axis=1)
        return Groups(keys, {name: part[:, i] for i, name in enumerate(t.names)})
    part = (t.cum[hi] - t.cum[lo]) * chosen[:, np.newaxis]
    if by == (AREA,):
        return Groups(c.key_frame([labels], [AREA]), {name: part[:-1, i] for i, name in enumerate(t.names)})
    whole = part.sum(axis=0)
    return Groups(c.key_frame([], []), {name: np.array([whole[i]]) for i, name in enumerate(t.names)})
