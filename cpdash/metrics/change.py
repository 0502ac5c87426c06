"""Change of a figure against the period it is compared with (cpdash.metrics.periods)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Change:
    """A figure, its value in the compared period, the difference and the difference in %."""

    current: float
    previous: float
    delta: float
    pct: float


def _float(value: float | int | None) -> float:
    """`value` as a float, NaN for None or NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def change(current: float | int | None, previous: float | int | None) -> Change:
    """Change from `previous` to `current`; pct is NaN when previous is 0 or unknown."""
    cur, prev = _float(current), _float(previous)
    delta = cur - prev
    pct = delta / abs(prev) * 100 if np.isfinite(prev) and prev != 0 else math.nan
    return Change(current=cur, previous=prev, delta=delta, pct=pct)
