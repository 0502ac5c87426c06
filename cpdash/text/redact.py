"""Personal details (e-mail addresses, phone numbers, street addresses) taken out of public text.

Texts are cut for display at DISPLAY_LIMIT characters (saying so), which also bounds what redaction costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
ADDRESS_MARK = "[address]"
DISPLAY_LIMIT = 3_000  # characters of one text shown; a longer text is cut there and says so
CUT_MARGIN = 200  # characters past the cut that are redacted too, so that a detail across it is found

# The local part starts only where a run of its characters starts: one attempt per run, so the cost stays
# linear in the length of the text (a run of 80,000 letters is not tried from each of its letters).
EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"(?<![\w/-])(?:"
    r"(?:(?:\+\d{1,3}|1)[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"  # (312) 555-0123, +1 312 555 0123, 1-312-...
    r"|\+\d{1,3}(?:[\s.-]?\d{2,4}){3,5}"  # +44 20 7946 0958
    r"|\d{3}[\s.-]\d{4}"  # 555-0123
    r"|\d{10,11}"  # 3125550123
    r")(?![\w/-])"
)
STREET_SUFFIXES = (
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct|place|pl|way|terrace|ter"
    "|parkway|pkwy|highway|hwy|circle|cir|square|sq|trail|trl|row|alley|calle"
)
ADDRESS = re.compile(
    r"(?<![\w-])\d{1,6}[A-Za-z]?"  # house number: 4417, 12B
    r"(?P<name>(?:\s+(?:N|S|E|W|North|South|East|West)\.?)?"  # direction
    r"(?:\s+(?:[^\W\d_][\w'’-]*|\d+(?:st|nd|rd|th))){1,4})"  # street name: Elm, Saint Clair, 2nd
    rf"\s+(?:{STREET_SUFFIXES})\b\.?"
    r"(?:,?\s+(?:apt|apartment|unit|suite|ste|#)\.?\s*[\w-]+)?",  # flat or unit
    re.IGNORECASE,
)


SPANISH_STREETS = "calle|avenida|avda|av|paseo|camino|carrera|calzada|bulevar|callej[oó]n|plaza"
SPANISH_ADDRESS = re.compile(  # "Calle Luna 1200", "Av. Juárez #45", "1200 Calle Luna"
    r"(?<![\w-])(?:\d{1,6}[A-Za-z]?\s+)?"
    rf"(?:{SPANISH_STREETS})\.?"
    r"(?P<name>(?:\s+[^\W\d_][\w'’-]*){1,4})"
    r"(?:,?\s*(?:#|no\.?|n[º°]\.?)?\s*\d{1,5}[A-Za-z]?\b)?",
    re.IGNORECASE,
)
DETAIL_HINT = r"[0-9@]"  # every e-mail, phone number and street address has an @ or a digit


def _address(match: re.Match[str]) -> str:
    """The mark for a street address; the text unchanged unless every word of the name is capitalised."""
    words = match.group("name").split()
    if all(w[0].isupper() or w[0].isdigit() for w in words):
        return ADDRESS_MARK
    return match.group(0)


def _spanish_address(match: re.Match[str]) -> str:
    """The mark for a Spanish-style street address with a number and a capitalised name."""
    text = match.group(0)
    has_number = any(c.isdigit() for c in text)
    if has_number and any(w[0].isupper() for w in match.group("name").split()):
        return ADDRESS_MARK
    return text


def _sub(
    pattern: re.Pattern[str], mark: str | Callable[[re.Match[str]], str], text: str, cut: int
) -> tuple[str, int]:
    """`pattern.sub(mark, text)`, and where the cut at `cut` lies in the result (a detail across it is kept
    whole before it, redacted)."""
    parts, last = [], 0
    for match in pattern.finditer(text):
        start, end = match.span()
        replacement = mark if isinstance(mark, str) else mark(match)
        parts += [text[last:start], replacement]
        last = end
        if end <= cut:
            cut += len(replacement) - (end - start)
        elif start < cut:
            cut = start + len(replacement)
    parts.append(text[last:])
    return "".join(parts), cut


def cut_note(total: int, limit: int = DISPLAY_LIMIT) -> str:
    """What a cut text ends with: ` … [cut: the first 3,000 of 80,000 characters are shown]`."""
    return f" … [cut: the first {limit:,} of {total:,} characters are shown]"


def redact(text: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """`text` with e-mail addresses, phone numbers and street addresses replaced by [email], [phone], [address].

    A text longer than `limit` characters is cut there (after redaction, so no detail is cut in half) and
    says so; its cost is linear in the part shown, whatever the length of the text.
    """
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return ""
    text = str(text)
    total = len(text)
    cut = total if limit is None or total <= limit else limit
    out = text[: cut + CUT_MARGIN]
    out, cut = _sub(EMAIL, EMAIL_MARK, out, cut)
    out, cut = _sub(ADDRESS, _address, out, cut)
    out, cut = _sub(SPANISH_ADDRESS, _spanish_address, out, cut)
    out, cut = _sub(PHONE, PHONE_MARK, out, cut)
    return out if limit is None or total <= limit else out[:cut].rstrip() + cut_note(total, limit)


def cut_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """`text` cut to `limit` characters, saying so (for texts that hold no personal detail)."""
    return text if len(text) <= limit else text[:limit].rstrip() + cut_note(len(text), limit)


def redact_series(values: pd.Series, limit: int = DISPLAY_LIMIT) -> pd.Series:
    """Every text of `values` redacted and cut to `limit` (missing values stay missing), as a new series.

    Only texts with a digit or an @ can hold a personal detail, so only those go through `redact`.
    """
    text = values.astype("string")
    if len(text) == 0:
        return text.copy()
    risky = np.array(text.str.contains(DETAIL_HINT, regex=True).fillna(False), dtype=bool)
    long = np.array((text.str.len() > limit).fillna(False), dtype=bool) & ~risky
    out = text.copy()
    if risky.any():
        out[risky] = [redact(t, limit) for t in text[risky]]
    if long.any():
        out[long] = [cut_text(t, limit) for t in text[long]]
    return out
