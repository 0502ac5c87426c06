"""Small column-wise helpers of the sample city's generators: templates, draws, ids and blanks."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def _render(bank: Sequence[str], idx: np.ndarray, fields: Mapping[str, np.ndarray]) -> np.ndarray:
    """Fill template `bank[idx[i]]` with row i of `fields`, one template at a time (column-wise)."""
    out = np.empty(len(idx), dtype=object)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(len(bank) + 1))
    for t, template in enumerate(bank):
        rows = order[bounds[t] : bounds[t + 1]]
        if len(rows) == 0:
            continue
        acc = np.full(len(rows), "", dtype=object)
        for literal, name, _spec, _conv in string.Formatter().parse(template):
            if literal:
                acc = acc + literal
            if name:
                acc = acc + fields[name][rows]
        out[rows] = acc
    return out


def _pick(
    rng: np.random.Generator, groups: Sequence[Sequence[str]], group: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """A flat bank of every group's phrases and, per row, the index of a random phrase of its group."""
    bank = [phrase for g in groups for phrase in g]
    sizes = np.array([len(g) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = starts[group] + (rng.random(len(group)) * sizes[group]).astype(np.int64)
    return bank, idx


def _choose_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row, a category drawn from `probs[rows[i]]` (a matrix of per-row-kind probabilities)."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)


def _labels(values: Sequence[str], idx: np.ndarray) -> np.ndarray:
    """Labels for category indices; -1 gives a missing value."""
    table = np.array([*values, None], dtype=object)
    return table[np.where(idx < 0, len(values), idx)]


def _numbers(width: int) -> np.ndarray:
    """Zero-padded strings of every number with `width` digits, for column-wise lookups."""
    return np.array([f"{i:0{width}d}" for i in range(10**width)], dtype=object)


def _int_column(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """A nullable integer column (blank where `missing`)."""
    mask = np.zeros(len(values), dtype=bool) if missing is None else missing
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype("int64"), mask)


def _blank(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """A copy of an object column with missing values where `missing`."""
    out = values.astype(object).copy()
    out[missing] = None
    return out


def _ramp(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """0 before `start`, 1 after `end`, linear in between."""
    return np.clip((x - start) / (end - start), 0.0, 1.0)


def _day(days: np.ndarray, date: str) -> int:
    """Index of `date` in the span (may be negative or past the end)."""
    return int((np.datetime64(date) - days[0]).astype(int))


def _ids(prefix: str, n: int) -> np.ndarray:
    """Sequential ids such as E0001, wide enough for `n`."""
    width = max(4, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Weekday of each day, Monday 0."""
    return (days.astype(np.int64) + 3) % 7
