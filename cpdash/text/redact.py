"""Personal details taken out of public text: e-mail addresses, phone numbers, street addresses, and the
quasi-identifiers that point at one person when put together (an age said of a person, the street someone
lives or works on, a name someone signs with or introduces themselves by).

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
AGE_MARK = "[age]"
STREET_MARK = "[street]"
NAME_MARK = "[name]"
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
# An age said of a person: "I'm 72", "a 34-year-old", "aged 67", "my 15 year old son", "72 years old".
AGE = re.compile(
    r"\b(?:(?:I am|I'm|I’m|im|he is|he's|she is|she's|aged|age)\s+\d{1,3}\b(?:\s*(?:years?|yrs?)(?:\s+old)?)?"
    r"|\d{1,3}[\s-]*(?:years?|yrs?)[\s-]*old\b"
    r"|(?:tengo|con)\s+\d{1,3}\s+años\b)",
    re.IGNORECASE,
)
STREET_NAME = (
    r"(?:(?:[A-Z][\w'’-]*|\d+(?:st|nd|rd|th))\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|Way|Terrace|Row)\b\.?"
    r"|(?:Calle|Avenida|Av\.?)(?:\s+[A-Z][\w'’-]*){1,3}"
)
# The street someone lives or works on ("34 years on Willow St", "renter on Elm St", "vecino de Calle Luna"):
# in these words the street is the person's; "parties on Elm St" stays.
HOME_STREET = re.compile(
    r"(?P<lead>\b(?:live[sd]?|living|reside[sd]?|house|home|apartment|flat|renter|tenant|owner|landlord"
    r"|years?|moved|grew up|vecin[oa]|vivo|negocio|casa)\b[^.!?\n]{0,25}?"
    r"\b(?:on|at|in|off|de|en)\s+)(?P<street>" + STREET_NAME + ")",
    re.IGNORECASE,
)
# A name someone gives: "my name is Ana Lopez", "this is Tom", "me llamo Ana", or a sign-off at the end.
NAME = re.compile(
    r"(?P<lead>\b(?i:my name is|my name's|this is|me llamo|mi nombre es|soy)\s+)"
    r"(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"
    r"|(?P<sign>(?:^|[.!?]\s+|\n)(?:-|–|—|(?i:thanks|thank you|regards|sincerely|gracias),?)\s*)"
    r"(?P<signed>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]*)?)\s*\.?\s*$",
)
NOT_NAMES = frozenset(
    {"I", "The", "We", "It", "A", "This", "That", "Everyone", "All", "You", "Officer", "Officers"}
)
DETAIL_HINT = (  # every detail has an @ or a digit, or a word that comes with an age, a home street or a name
    r"[0-9@]|(?i:live|living|reside|house|home|apartment|flat|renter|tenant|owner|landlord|years|moved|grew up"
    r"|vecin|vivo|negocio|casa|name|this is|llamo|nombre|soy|thank|regards|sincerely|gracias)|[-–—]\s*[A-Z]"
)


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


def _home_street(match: re.Match[str]) -> str:
    """The words before a street someone lives or works on, with the street replaced by [street]."""
    return match.group("lead") + STREET_MARK + ("." if match.group("street").endswith(".") else "")


def _name(match: re.Match[str]) -> str:
    """A name someone gives replaced by [name] (the words that introduce it kept); common words are not
    names ("this is The best")."""
    if match.group("lead") is not None:
        name, lead = match.group("name"), match.group("lead")
    else:
        name, lead = match.group("signed"), match.group("sign")
    if name.split()[0] in NOT_NAMES:
        return match.group(0)
    return lead + NAME_MARK


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
    """`text` with e-mail addresses, phone numbers, street addresses, ages said of a person, the streets people
    live or work on and the names they give replaced by [email], [phone], [address], [age], [street], [name].

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
    out, cut = _sub(AGE, AGE_MARK, out, cut)
    out, cut = _sub(HOME_STREET, _home_street, out, cut)
    out, cut = _sub(NAME, _name, out, cut)
    return out if limit is None or total <= limit else out[:cut].rstrip() + cut_note(total, limit)


def cut_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """`text` cut to `limit` characters, saying so (for texts that hold no personal detail)."""
    return text if len(text) <= limit else text[:limit].rstrip() + cut_note(len(text), limit)


def redact_series(values: pd.Series, limit: int = DISPLAY_LIMIT) -> pd.Series:
    """Every text of `values` redacted and cut to `limit` (missing values stay missing), as a new series.

    Only texts with a digit, an @ or a word that comes with a detail can hold one, so only those go through
    `redact`.
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
