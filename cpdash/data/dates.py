"""Dates read from cells: every common format, any year a file may hold, and the window of plausible dates.

pandas stores dates in nanoseconds, which only reach from 1677 to 2262. Cells are therefore read in
microseconds (years 1 to 9999 and beyond), checked against the date window (CPDASH_DATE_WINDOW), and only
then turned into nanoseconds: a date such as `31/12/9999` is rejected with its reason, never stored as
another date and never an error that takes a page down.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cpdash.config import DateWindow, date_window
from cpdash.data.cells import to_text

DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%b %d, %Y %H:%M",
    "%B %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M",
    "%A, %B %d, %Y",
    "%A, %B %d, %Y %I:%M %p",
    "%a, %b %d, %Y",
    "%a %b %d %Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
    "%Y%m%d",
)
_TZ_SUFFIX = re.compile(r"(?<=\d)(?:\s*(?:Z|UTC|GMT)|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
WIDE = "datetime64[us]"  # the unit cells are read in: years 1 to 9999 fit
NS = "datetime64[ns]"  # the unit data sets keep
# The days nanoseconds can hold, with a day to spare at each end.
NS_FIRST = np.datetime64("1677-09-22", "us")
NS_LAST = np.datetime64("2262-04-10", "us")
_PARSE_ERRORS = (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime)
WINDOW_SETTING = "CPDASH_DATE_WINDOW"


def _as_wide(values: pd.Series) -> pd.Series:
    """A date-time series of any unit or time zone as local microseconds; NaT where even those end."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    array = values.to_numpy()
    unit = np.datetime_data(array.dtype)[0]
    if unit not in ("us", "ns"):  # seconds and milliseconds reach far beyond microseconds
        inside = (array >= np.datetime64("0001-01-01", unit)) & (array <= np.datetime64("9999-12-31", unit))
        array = np.where(inside, array, np.datetime64("NaT", unit))
    return pd.Series(array.astype(WIDE), index=values.index)


def to_nanoseconds(values: pd.Series) -> pd.Series:
    """Date-times of any unit as naive nanoseconds; NaT where nanoseconds cannot hold them (never raises)."""
    array = _as_wide(values).to_numpy()
    inside = (array >= NS_FIRST) & (array <= NS_LAST)
    return pd.Series(np.where(inside, array, np.datetime64("NaT", "us")).astype(NS), index=values.index)


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """`text` read in `fmt` ("ISO8601" or a strptime format) as local microseconds; NaT where it does not fit."""
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except _PARSE_ERRORS:  # a value the vectorised reader refuses outright: read them one by one
        parsed = pd.Series([_one(value, fmt) for value in text], index=text.index, dtype=WIDE)
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        return pd.Series(pd.NaT, index=text.index, dtype=WIDE)
    return _as_wide(parsed)


def _one(value: object, fmt: str) -> pd.Timestamp:
    """One text read in `fmt` (NaT when it is not a date in that format)."""
    if not isinstance(value, str):
        return pd.NaT
    try:
        stamp = pd.to_datetime(value, format=fmt)
        return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    except _PARSE_ERRORS:
        return pd.NaT


def _iso(text: pd.Series) -> pd.Series | None:
    """The whole column read as ISO 8601 in one vectorised pass (wall-clock time kept); None if it cannot be."""
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except _PARSE_ERRORS:  # mixed time zones, or values the fast path refuses
        return None
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        return None
    return _as_wide(parsed)


def read_dates(values: pd.Series) -> pd.Series:
    """Dates or date-times in common formats (ISO first, then month-first US style, ...), in microseconds.

    Any year is read as written (the date window rejects the implausible ones); NaT where no format fits.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return _as_wide(values)
    text = to_text(values)
    parsed = _iso(text)
    if parsed is None:
        parsed = pd.Series(pd.NaT, index=values.index, dtype=WIDE)
    missing = text.notna() & parsed.isna()
    if not missing.any():
        return parsed
    # what ISO did not read: each distinct text once, in the format that reads most of it
    rest = text[missing]
    distinct = pd.Series(rest.unique(), dtype="object")
    local = distinct.astype("str").str.replace(_TZ_SUFFIX, "", regex=True).str.strip()
    found = _to_datetime(local, "ISO8601")
    unread = found.isna()
    while unread.any():
        best, best_count = None, 0
        for fmt in DATE_FORMATS:
            attempt = _to_datetime(local[unread], fmt)
            count = int(attempt.notna().sum())
            if count > best_count:
                best, best_count = attempt, count
        if best is None:
            break
        found[best.index] = found[best.index].fillna(best)
        unread = found.isna()
    lookup = pd.Series(found.to_numpy(dtype=WIDE), index=distinct.to_numpy())
    parsed = parsed.copy()
    parsed[missing] = rest.map(lookup).to_numpy(dtype=WIDE)
    return parsed


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates or date-times in common formats as nanoseconds; NaT where none fits or nanoseconds end."""
    return to_nanoseconds(read_dates(values))


def read_with_format(text: pd.Series, fmt: str) -> pd.Series:
    """Dates in one strptime format, in microseconds (any year); NaT where the format does not fit."""
    return _to_datetime(to_text(text), fmt)


def outside_window(dates: pd.Series, window: DateWindow | None = None) -> pd.Series:
    """Mask of the dates (any unit) outside the window, both ends included in it (NaT is not outside)."""
    first, last = (window or date_window()).bounds()
    wide = _as_wide(dates) if pd.api.types.is_datetime64_any_dtype(dates) else read_dates(dates)
    array = wide.to_numpy()
    start = np.datetime64(first.isoformat(), "us")
    end = np.datetime64(last.isoformat(), "us") + np.timedelta64(1, "D")
    present = ~np.isnat(array)
    return pd.Series(present & ((array < start) | (array >= end)), index=dates.index)


def window_reason(column: str, window: DateWindow | None = None) -> str:
    """The start of the reason for a date outside the window: `start outside the accepted dates (...)`."""
    return f"{column} outside the accepted dates ({(window or date_window()).text()}, {WINDOW_SETTING}): "
