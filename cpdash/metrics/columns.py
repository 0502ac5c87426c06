"""Rows as numpy columns sorted by day, and grouping them with bincount: the in-memory GROUP BY.

Days are whole days since 1 January 1970 (int64); months are calendar months since January 1970. A key is
a code per row into its labels (-1 when missing). `select` finds the rows a query wants (a slice of the
day-sorted rows, narrowed by areas and programs), `grouping` gives each of them a dense group code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import AREA, MONTH, PROGRAM
from cpdash.metrics.periods import Filters

NO_DAY = np.iinfo("int64").min  # a missing date
EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days from 1 January 1970 to `day`."""
    return (day - EPOCH).days


def days_of(values: pd.Series | np.ndarray) -> np.ndarray:
    """Datetimes as whole days since 1970 (int64), NO_DAY where missing."""
    when = pd.to_datetime(pd.Series(values), errors="coerce")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    stamps = when.to_numpy(dtype="datetime64[ns]")
    out = stamps.astype("datetime64[D]").astype("int64")
    out[np.isnat(stamps)] = NO_DAY
    return out


def month_number(day: dt.date) -> int:
    """Calendar months from January 1970 to the month of `day`."""
    return (day.year - 1970) * 12 + day.month - 1


def months_of(days: np.ndarray) -> np.ndarray:
    """The calendar month (since January 1970) of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("int64")


def month_start(month: int) -> pd.Timestamp:
    """The first day of a month counted since January 1970."""
    return pd.Timestamp(np.datetime64(int(month), "M"))


def month_labels(first: int, span: int) -> pd.DatetimeIndex:
    """The first days of `span` months from month `first` (as month_start gives them, in one step)."""
    if span <= 0:
        return pd.DatetimeIndex([], name=MONTH)
    months = np.arange(first, first + span).astype("datetime64[M]").astype("datetime64[s]")
    return pd.DatetimeIndex(months, name=MONTH)


@dataclass(frozen=True)
class Key:
    """A grouping key: a code per row into `labels` (-1 where missing)."""

    codes: np.ndarray
    labels: pd.Index


def factor(values: pd.Series, labels: pd.Index | None = None) -> Key:
    """Codes of `values` into `labels` (by default their sorted distinct values, stripped), -1 where missing.

    The distinct values are found first and only they are cleaned, so a million rows cost one factorize.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    clean = pd.Series(uniques, dtype="string").str.strip()
    clean = clean.where(clean != "")
    if labels is None:
        labels = pd.Index(sorted(clean.dropna().unique()), dtype="str")
    lookup = np.append(labels.get_indexer(clean.fillna("\x00")), -1)  # the last slot: a missing value
    return Key(np.asarray(lookup[codes], dtype="int64"), labels)


@dataclass(frozen=True)
class Columns:
    """One table's rows sorted by day: the day, the keys, float measures (NaN where unknown) and, when the
    table has them, the rows' ids."""

    day: np.ndarray
    keys: dict[str, Key]
    values: dict[str, np.ndarray]
    ids: pd.Index | None = None

    def __len__(self) -> int:
        """Number of rows."""
        return len(self.day)


def sort_by_day(day: np.ndarray) -> np.ndarray:
    """Row order by day, rows without a day last."""
    return np.argsort(np.where(day == NO_DAY, np.iinfo("int64").max, day), kind="stable")


def columns(
    day: np.ndarray,
    keys: Mapping[str, Key],
    values: Mapping[str, np.ndarray],
    ids: np.ndarray | None = None,
) -> Columns:
    """Columns sorted by day (every array is reordered the same way)."""
    order = sort_by_day(day)
    if not (len(order) and (order == np.arange(len(order))).all()):
        day = day[order]
        keys = {name: Key(k.codes[order], k.labels) for name, k in keys.items()}
        values = {name: v[order] for name, v in values.items()}
        ids = None if ids is None else ids[order]
    return Columns(day, dict(keys), dict(values), None if ids is None else pd.Index(ids, dtype="str"))


def day_bounds(day: np.ndarray, start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """The slice of day-sorted rows from `start` to `end` inclusive (rows without a day never included)."""
    dated = int(np.searchsorted(day == NO_DAY, True)) if len(day) and day[-1] == NO_DAY else len(day)
    lo = 0 if start is None else int(np.searchsorted(day[:dated], day_number(start), "left"))
    hi = dated if end is None else int(np.searchsorted(day[:dated], day_number(end) + 1, "left"))
    return lo, max(lo, hi)


def chosen(labels: pd.Index, values: Sequence[str]) -> np.ndarray:
    """A lookup by code + 1 (slot 0: missing): True for the codes whose label is in `values`."""
    out = np.zeros(len(labels) + 1, dtype=bool)
    out[1:] = labels.isin(list(values))
    return out


Rows = slice | np.ndarray  # the rows a query selects: a slice of the day-sorted rows, or their positions


def size(rows: Rows) -> int:
    """How many rows `rows` selects."""
    return rows.stop - rows.start if isinstance(rows, slice) else len(rows)


def select(cols: Columns, q: Filters, areas: np.ndarray | None = None, by_program: bool = False) -> Rows:
    """The rows the query selects: in its period (a slice when that is all), in `areas` (a lookup from
    `chosen`, or the query's areas), and in its programs when `by_program`."""
    lo, hi = day_bounds(cols.day, q.start, q.end)
    needs_area = bool(q.areas) and AREA in cols.keys
    needs_program = by_program and bool(q.programs) and PROGRAM in cols.keys
    if not needs_area and not needs_program:
        return slice(lo, hi)
    rows = np.arange(lo, hi)
    if needs_area:
        lookup = areas if areas is not None else chosen(cols.keys[AREA].labels, q.areas)
        rows = rows[lookup[cols.keys[AREA].codes[lo:hi] + 1]]
    if needs_program:
        key = cols.keys[PROGRAM]
        rows = rows[chosen(key.labels, q.programs)[key.codes[rows] + 1]]
    return rows


def month_span(cols: Columns, rows: Rows, q: Filters) -> tuple[int, int]:
    """First month and number of months the month key runs over: the query's period, else the rows'."""
    if q.start is not None and q.end is not None:
        first, last = month_number(q.start), month_number(q.end)
    elif size(rows):
        months = months_of(cols.day[rows])
        first = month_number(q.start) if q.start is not None else int(months.min())
        last = month_number(q.end) if q.end is not None else int(months.max())
    else:
        return 0, 0
    return first, max(last - first + 1, 0)


def grouping(
    cols: Columns, rows: Rows, by: Sequence[str], q: Filters, extra: Mapping[str, Key] | None = None
) -> tuple[np.ndarray, pd.DataFrame, list[pd.Index]]:
    """A dense group code per selected row (-1 when a key is missing), the groups' key values and each
    key's labels.

    `extra` holds keys that are not columns of the table (codes aligned with the table's rows).
    """
    codes: list[np.ndarray] = []
    labels: list[pd.Index] = []
    for name in by:
        if name == MONTH:
            first, span = month_span(cols, rows, q)
            month = months_of(cols.day[rows]) - first
            codes.append(np.where((month >= 0) & (month < span), month, -1))
            labels.append(month_labels(first, span))
            continue
        key = (extra or {}).get(name) or cols.keys.get(name)
        if key is None:
            codes.append(np.full(size(rows), -1, dtype="int64"))
            labels.append(pd.Index([], dtype="str"))
            continue
        codes.append(key.codes[rows])
        labels.append(key.labels)
    group, keys = combine(codes, labels, by, size(rows))
    return group, keys, labels


def combine(
    codes: Sequence[np.ndarray], labels: Sequence[pd.Index], names: Sequence[str], n: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Mixed-radix group codes from per-key codes, and every combination of the keys' labels."""
    group = np.zeros(n, dtype="int64")
    missing = np.zeros(n, dtype=bool)
    for key_codes, key_labels in zip(codes, labels, strict=True):
        group = group * len(key_labels) + key_codes
        missing |= key_codes < 0
    group[missing] = -1
    return group, key_frame(labels, names)


def key_frame(labels: Sequence[pd.Index], names: Sequence[str]) -> pd.DataFrame:
    """Every combination of the keys' labels, one row each (one row with no column for no key)."""
    if not names:
        return pd.DataFrame(index=pd.RangeIndex(1))
    indexes = [pd.Index(lab) for lab in labels]
    if len(names) == 1:
        only = indexes[0]
        if only.dtype == object or not len(only):  # as numpy values: the frame infers their type
            return pd.DataFrame({names[0]: only.to_numpy()})
        return pd.DataFrame({names[0]: only.array})  # a copy: the labels are shared
    if any(len(lab) == 0 for lab in indexes):
        return pd.DataFrame({name: lab[:0] for name, lab in zip(names, indexes, strict=True)})
    if any(lab.dtype == object for lab in indexes):
        return pd.MultiIndex.from_product(indexes, names=list(names)).to_frame(index=False)
    # the first key varies slowest (as the mixed-radix group codes of `combine`)
    sizes = [len(lab) for lab in indexes]
    codes = np.indices(sizes).reshape(len(sizes), -1)
    return pd.DataFrame(
        {name: lab.array.take(code) for name, lab, code in zip(names, indexes, codes, strict=True)},
        copy=False,
    )


def spread(
    stats: Mapping[str, np.ndarray],
    labels: Sequence[pd.Index],
    names: Sequence[str],
    axis_name: str,
    membership: np.ndarray,
    new_labels: pd.Index,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Statistics grouped by a code key (`axis_name`, e.g. a comment's combination of topics) turned into
    statistics by what each code stands for (`membership`: codes x new labels; a row counts in every label
    it is a member of)."""
    axis = list(names).index(axis_name)
    sizes = [len(lab) for lab in labels]
    out = {}
    for name, values in stats.items():
        cube = values.reshape(sizes) if len(values) else np.zeros(sizes)
        moved = np.tensordot(cube, membership.astype("float64"), axes=([axis], [0]))
        out[name] = np.moveaxis(moved, -1, axis).reshape(-1)
    new = list(labels)
    new[axis] = new_labels
    return key_frame(new, names), out


def count(group: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per group 0..size-1: how many rows (or the sum of `weights`), rows with group -1 left out."""
    keep = group >= 0
    if not keep.all():
        group = group[keep]
        weights = None if weights is None else weights[keep]
    return np.bincount(group, weights, minlength=size)[:size].astype("float64")


def tally(group: np.ndarray, size: int, weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per group 0..size-1: "rows" (how many) and the sum of each of `weights` (rows with group -1 left out)."""
    if size == 1 and len(group) and group.min() >= 0:  # one group, every row in it: plain sums
        return {
            "rows": np.array([float(len(group))]),
            **{k: np.array([float(w.sum())]) for k, w in weights.items()},
        }
    keep = group >= 0
    every = bool(keep.all())
    g = group if every else group[keep]
    out = {"rows": np.bincount(g, minlength=size)[:size].astype("float64")}
    for name, w in weights.items():
        out[name] = np.bincount(g, w if every else w[keep], minlength=size)[:size]
    return out


def moments(group: np.ndarray, size: int, values: np.ndarray) -> dict[str, np.ndarray]:
    """n, total and m2 (squared deviations from the group mean, two passes) of the known `values`."""
    keep = (group >= 0) & ~np.isnan(values)
    g, x = group[keep], values[keep]
    n = np.bincount(g, minlength=size)[:size].astype("float64")
    total = np.bincount(g, x, minlength=size)[:size]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.where(n > 0, n, 1), 0.0)
    deviation = x - mean[g]
    m2 = np.bincount(g, deviation * deviation, minlength=size)[:size]
    return {"n": n, "total": total, "m2": m2}
