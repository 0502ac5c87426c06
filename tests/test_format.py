"""Numbers, money, percentages and changes as shown on the dashboard; text made inert in Markdown."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from cpdash.views.format import change_text, is_missing, markdown_text, money, number, percent, signed

NAN = float("nan")
DASH = "—"


@pytest.mark.parametrize("value", [None, NAN, np.nan, np.float32("nan"), pd.NA])
def test_is_missing(value: object) -> None:
    assert is_missing(value)


@pytest.mark.parametrize("value", [0, 0.0, -1, 3.5, np.float64(2), math.inf])
def test_is_not_missing(value: object) -> None:
    assert not is_missing(value)


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (12345, 0, "12,345"),
        (12345.678, 0, "12,346"),
        (12.345, 1, "12.3"),
        (0, 0, "0"),
        (-1234.5, 1, "-1,234.5"),
        (1_000_000, 0, "1,000,000"),
        (np.int64(42), 0, "42"),
        (None, 0, DASH),
        (NAN, 1, DASH),
        (np.float32("nan"), 0, DASH),
        (pd.NA, 0, DASH),
    ],
)
def test_number(value: object, decimals: int, text: str) -> None:
    assert number(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.4, "$1,234"),
        (1234567, "$1,234,567"),
        (12.5, "$12.50"),
        (99.994, "$99.99"),
        (0, "$0.00"),
        (-5.5, "-$5.50"),
        (-1234, "-$1,234"),
        (-0.001, "$0.00"),
        (None, DASH),
        (NAN, DASH),
    ],
)
def test_money(value: object, text: str) -> None:
    assert money(value) == text


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (42.0, 0, "42 %"),
        (12.345, 1, "12.3 %"),
        (0, 0, "0 %"),
        (-7.5, 1, "-7.5 %"),
        (None, 0, DASH),
        (NAN, 0, DASH),
    ],
)
def test_percent(value: object, decimals: int, text: str) -> None:
    assert percent(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "decimals", "unit", "text"),
    [
        (12, 0, "", "+12"),
        (-3.5, 1, "points", "-3.5 points"),
        (1234, 0, "", "+1,234"),
        (0, 0, "", "no change"),
        (0.4, 0, "", "no change"),
        (-0.4, 0, "points", "no change"),
        (-0.04, 1, "", "no change"),
        (1, 0, "points", "+1 point"),
        (-1, 0, "points", "-1 point"),
        (1.5, 1, "points", "+1.5 points"),
    ],
)
def test_signed(value: float, decimals: int, unit: str, text: str) -> None:
    assert signed(value, decimals, unit) == text


@pytest.mark.parametrize("value", [None, NAN])
def test_signed_unknown_is_none(value: object) -> None:
    assert signed(value) is None


@pytest.mark.parametrize(
    ("delta", "pct", "text"),
    [
        (120, 8.4, "+120 (+8 %)"),
        (-3, -12.6, "-3 (-13 %)"),
        (0, 0.0, "no change"),
        (5, None, "+5"),
        (5, NAN, "+5"),
        (5, math.inf, "+5"),  # from zero: no percentage
        (None, 10, None),
        (NAN, 10, None),
    ],
)
def test_change_text(delta: object, pct: object, text: str | None) -> None:
    assert change_text(delta, pct) == text


def test_change_text_decimals() -> None:
    assert change_text(2.25, 3.0, decimals=1) == "+2.2 (+3 %)"


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of `char` in `text` not preceded by a backslash escape."""
    return [m.start() for m in re.finditer(re.escape(char), text) if not _escaped(text, m.start())]


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


@pytest.mark.parametrize(
    "value",
    [
        "[link](http://x)",
        "**bold**",
        "<b>bold</b>",
        "<script>alert(1)</script>",
        "# heading",
        "_em_ and `code`",
        "![img](http://x/y.png)",
        "back\\slash [x](y)",
        "$x^2$ | table | ~~strike~~",
    ],
)
def test_markdown_text_is_inert(value: str) -> None:
    out = markdown_text(value)
    for char in "[]()*_<>`#!|~$":
        assert _unescaped(out, char) == [], (char, out)
    assert out.replace("\\", "") == value.replace("\\", "")  # the words themselves are all kept


def test_markdown_text_examples() -> None:
    assert markdown_text("[link](http://x)") == r"\[link\]\(http\://x\)"
    assert markdown_text("**bold**") == r"\*\*bold\*\*"
    assert markdown_text("<b>") == r"\<b\>"
    assert markdown_text("Plain words, 42") == "Plain words, 42"
    assert markdown_text(12.5) == r"12\.5"
