"""Personal details (e-mail addresses, phone numbers, street addresses) taken out of public text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
ADDRESS_MARK = "[address]"

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
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


def redact(text: object) -> str:
    """`text` with e-mail addresses, phone numbers and street addresses replaced by [email], [phone], [address]."""
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return ""
    out = EMAIL.sub(EMAIL_MARK, str(text))
    out = ADDRESS.sub(_address, out)
    out = SPANISH_ADDRESS.sub(_spanish_address, out)
    return PHONE.sub(PHONE_MARK, out)


def redact_series(values: pd.Series) -> pd.Series:
    """Every text of `values` redacted (missing values stay missing), as a new string series.

    Only texts with a digit or an @ can hold a personal detail, so only those go through `redact`.
    """
    text = values.astype("string")
    if len(text) == 0:
        return text.copy()
    risky = np.array(text.str.contains(DETAIL_HINT, regex=True).fillna(False), dtype=bool)
    out = text.copy()
    if risky.any():
        out[risky] = [redact(t) for t in text[risky]]
    return out
