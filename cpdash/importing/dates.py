"""Dates and times on the way in: a chosen format (or "auto"), a separate column of times of day, and a
clear message when one column mixes formats. Times without a zone are kept as the local times they are."""

from __future__ import annotations

import re

import pandas as pd

from cpdash.data.dates import read_dates, read_with_format
from cpdash.data.validate import DATE_FORMATS, to_text

AUTO = "auto"
# Date formats a user can choose, shown as people write them; "auto" tries ISO then every known format.
DATE_CHOICES: dict[str, str] = {
    AUTO: "automatic (ISO, then the format that reads most values)",
    "%Y-%m-%d": "YYYY-MM-DD",
    "%Y-%m-%d %H:%M": "YYYY-MM-DD HH:MM",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%m/%d/%Y %H:%M": "MM/DD/YYYY HH:MM",
    "%m/%d/%Y %I:%M %p": "MM/DD/YYYY hh:mm AM/PM",
    "%m/%d/%Y %I:%M:%S %p": "MM/DD/YYYY hh:mm:ss AM/PM",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%d/%m/%Y %H:%M": "DD/MM/YYYY HH:MM",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%b %d, %Y": "Mar 15, 2025",
    "%b %d, %Y %H:%M": "Mar 15, 2025 18:30",
    "%B %d, %Y": "March 15, 2025",
    "%B %d, %Y %I:%M %p": "March 15, 2025 6:30 PM",
    "%A, %B %d, %Y": "Saturday, March 15, 2025",
    "%d %b %Y": "15 Mar 2025",
    "%m/%d/%y": "MM/DD/YY",
}
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I %p", "%I:%M%p", "%I%p")
_TIME_CLEAN = re.compile(r"\s*([ap])\.?\s*m\.?\s*$", re.IGNORECASE)
_DAY_FIRST = {"%d/%m/%Y", "%d/%m/%Y %H:%M", "%d.%m.%Y"}
_MONTH_FIRST = {f for f in DATE_FORMATS if f.startswith("%m/")}


def parse_date_column(values: pd.Series, fmt: str = AUTO, times: pd.Series | None = None) -> pd.Series:
    """Dates in `fmt` (or any known format with "auto"), plus an optional column of times; NaT if not.

    In microseconds, so that any year reads as written: validation rejects dates outside the date window.
    """
    text = to_text(values)
    if times is not None:
        clock = parse_times(times)
        text_times = to_text(times)
        bad_time = text_times.notna() & clock.isna()
    parsed = read_dates(values) if fmt == AUTO or not fmt else read_with_format(text, fmt)
    if times is not None:
        parsed = parsed.dt.normalize() + clock.fillna(pd.Timedelta(0)).astype("timedelta64[us]")
        parsed = parsed.where(~bad_time)
    return parsed


def parse_times(values: pd.Series) -> pd.Series:
    """Times of day ("18:30", "6:30 PM", "6 p.m.") as time deltas; NaT where not a time."""
    text = to_text(values)
    distinct = pd.Series(text.dropna().unique(), dtype="object")
    result = pd.Series(pd.NaT, index=distinct.index, dtype="timedelta64[ns]")
    cleaned = distinct.astype("str").str.replace(_TIME_CLEAN, lambda m: f" {m.group(1).upper()}M", regex=True)
    for fmt in TIME_FORMATS:
        missing = result.isna()
        if not missing.any():
            break
        parsed = pd.to_datetime(cleaned[missing], format=fmt, errors="coerce")
        ok = parsed.notna()
        result[ok[ok].index] = parsed[ok] - parsed[ok].dt.normalize()
    lookup = pd.Series(result.to_numpy(), index=distinct.to_numpy())
    return pd.Series(text.map(lookup).to_numpy(dtype="timedelta64[ns]"), index=values.index)


def _fits(text: pd.Series, fmt: str) -> pd.Series:
    """`text` read in `fmt` ("ISO8601" or a strptime format), NaT where it does not fit; a column mixing
    times with and without a zone is read in UTC (which values fit is what is asked, not their time)."""
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError:  # "Mixed timezones detected"
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=True)


def date_formats_used(values: pd.Series) -> dict[str, int]:
    """How many distinct values each format reads (ISO first, then each format on what is left)."""
    text = to_text(values).dropna()
    distinct = pd.Series(text.unique(), dtype="str")
    if distinct.empty:
        return {}
    used: dict[str, int] = {}
    iso = _fits(distinct, "ISO8601")
    if iso.notna().any():
        used["ISO"] = int(iso.notna().sum())
    left = distinct[iso.isna()]
    while len(left):
        best, best_count = None, 0
        for fmt in DATE_FORMATS:
            count = int(_fits(left, fmt).notna().sum())
            if count > best_count:
                best, best_count = fmt, count
        if best is None:
            break
        used[best] = best_count
        left = left[_fits(left, best).isna()]
    return used


def mixed_date_message(column: str, values: pd.Series) -> str | None:
    """A clear warning when one column mixes date formats (above all day-first with month-first)."""
    used = date_formats_used(values)
    families = {_family(f) for f in used}
    if len(used) < 2 or len(families) < 2:
        return None
    text = to_text(values).dropna()
    examples = []
    for fmt, count in used.items():
        reads = _fits(text, "ISO8601" if fmt == "ISO" else fmt)
        example = text[reads.notna()].iloc[0] if reads.notna().any() else ""
        examples.append(
            f"{count:,} like '{example}' ({DATE_CHOICES.get(fmt, fmt if fmt != 'ISO' else 'ISO')})"
        )
    warning = f"{column} mixes date formats: " + "; ".join(examples)
    if {"day-first", "month-first"} <= families:
        warning += (
            ". Day-first and month-first dates cannot both be right: a date such as 03/04 reads as "
            "4 March in one and 3 April in the other. Choose the format the file uses; rows in any other "
            "format are then rejected with their reason"
        )
    else:
        warning += (
            ". Each value is read in the format it is written in; choose one format to reject the others"
        )
    return warning


def _family(fmt: str) -> str:
    if fmt in _DAY_FIRST:
        return "day-first"
    if fmt in _MONTH_FIRST:
        return "month-first"
    return "ISO" if fmt in ("ISO", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y%m%d") else "words"


def suggest_date_format(values: pd.Series) -> str:
    """The one format that reads every value, else "auto"."""
    used = date_formats_used(values)
    if len(used) == 1:
        fmt = next(iter(used))
        return fmt if fmt in DATE_CHOICES else AUTO
    return AUTO
