"""Files that leave the app: CSV safe to open in a spreadsheet, and file names that say what is in them."""

from __future__ import annotations

import re

import pandas as pd

# A text cell starting with one of these can run as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# A plain number written as text (-87.95, +3, -1.5e-3): a spreadsheet reads it as that number, never as a
# formula, so it keeps its sign and stays a number when the file is imported again.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SLUG = re.compile(r"[^0-9A-Za-z]+")


def safe_cell(value: object) -> object:
    """A text cell that cannot run as a formula: a leading `'` when it starts like one (a number does not)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            text = series.astype("str").where(series.notna())
            risky = text.str.startswith(FORMULA_START).fillna(False)
            if risky.any():  # numbers are looked for only among the cells that start like a formula
                risky[risky] = ~text[risky].str.fullmatch(PLAIN_NUMBER).fillna(False)
            if risky.any():
                out[column] = text.where(~risky, "'" + text)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM, so spreadsheets read accents) of `frame`, safe against formula injection."""
    # CRLF line ends make the writer quote any cell holding a CR: a bare CR would start a new row whose
    # first cell (say `=HYPERLINK(...)`) escaped the check above
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def file_name(*parts: object, ext: str = "csv") -> str:
    """`cpdash-events-north-end-2025-11-01-2026-10-31.csv` from its parts."""
    words = [_SLUG.sub("-", str(p)).strip("-").lower() for p in ("cpdash", *parts) if str(p).strip()]
    return "-".join(w for w in words if w) + "." + ext
