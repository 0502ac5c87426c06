"""Numbers and changes as people read them on a dashboard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

NO_CHANGE = "no change"


def is_missing(value: float | None) -> bool:
    """True for None, NaN (of any float type) and pandas' NA."""
    return value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value))


def number(value: float | None, decimals: int = 0) -> str:
    """`12,345` or `12.3`; an em dash when unknown."""
    if is_missing(value):
        return "—"
    return f"{value:,.{decimals}f}"


def money(value: float | None) -> str:
    """`$1,234` (whole units) or `$12.50` below 100; an em dash when unknown."""
    if is_missing(value):
        return "—"
    decimals = 2 if abs(value) < 100 else 0
    sign = "-" if round(value, decimals) < 0 else ""  # `-$1,234`, not `$-1,234`
    return f"{sign}${abs(value):,.{decimals}f}"


def percent(value: float | None, decimals: int = 0) -> str:
    """`42 %` from 42.0; an em dash when unknown."""
    if is_missing(value):
        return "—"
    return f"{value:.{decimals}f} %"


def signed(value: float | None, decimals: int = 0, unit: str = "") -> str | None:
    """`+12`, `−3.5 points`; None when unknown (so that no change is shown)."""
    if is_missing(value):
        return None
    text = f"{value:+,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return NO_CHANGE
    if unit.endswith("s") and float(text.replace(",", "")) in (1, -1):
        unit = unit[:-1]  # +1 point
    return text + (f" {unit}" if unit else "")


def change_text(delta: float | None, pct: float | None, decimals: int = 0) -> str | None:
    """`+120 (+8 %)` for a count's change; None when there is nothing to compare with."""
    if is_missing(delta):
        return None
    text = signed(delta, decimals)
    if text != NO_CHANGE and not is_missing(pct) and math.isfinite(pct):
        text += f" ({pct:+.0f} %)"
    return text


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:"})


def markdown_text(value: object) -> str:
    """Text from the data made inert in Markdown: no links, emphasis, headings or HTML."""
    return str(value).translate(_MARKDOWN_SPECIAL)
