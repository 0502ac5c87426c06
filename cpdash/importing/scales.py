"""Answer scales put on 0 to 10 (survey answers) and published values put on 0 to 100, each by a rule
that is written down with the import."""

from __future__ import annotations

import re

import pandas as pd

from cpdash.data.validate import parse_numbers, to_text

_WORDS = re.compile(r"[^0-9a-z]+")


def _words(text: object) -> str:
    return _WORDS.sub(" ", str(text).lower()).strip()


# Answer scales: label, and the rule that puts an answer on 0 to 10 (recorded with the import).
SCALES: dict[str, str] = {
    "0-10": "0 to 10: kept as is",
    "1-10": "1 to 10: (answer − 1) × 10 / 9",
    "1-5": "1 to 5: (answer − 1) × 2.5",
    "0-100": "0 to 100: answer / 10",
    "agree": "Strongly disagree … Strongly agree: 0, 2.5, 5, 7.5, 10",
}
_SCALE_RANGES = {"0-10": (0, 10), "1-10": (1, 10), "1-5": (1, 5), "0-100": (0, 100)}
AGREE_ANSWERS: dict[str, float] = {
    "strongly disagree": 0.0,
    "disagree strongly": 0.0,
    "disagree": 2.5,
    "somewhat disagree": 2.5,
    "tend to disagree": 2.5,
    "neither agree nor disagree": 5.0,
    "neither agree or disagree": 5.0,
    "neither": 5.0,
    "neutral": 5.0,
    "somewhat agree": 7.5,
    "tend to agree": 7.5,
    "agree": 7.5,
    "agree strongly": 10.0,
    "strongly agree": 10.0,
}
# Answers on 0 to 100 are mostly above 10; when fewer than this share are, the rest suggest a 0-10 scale and
# the few above 10 (an 11, a 55 typed for 5) are answers off the scale, rejected with their reason.
ABOVE_TEN_SHARE = 0.2
NO_ANSWER = ("don t know", "dont know", "not sure", "prefer not to say", "refused", "no answer", "n a")

# Published score values: how a value is put on 0 to 100.
VALUE_SCALES: dict[str, str] = {
    "0-100": "0 to 100: kept as is",
    "0-10": "0 to 10: value × 10",
    "0-1": "0 to 1: value × 100",
    "1-5": "1 to 5: (value − 1) × 25",
}


def rescale(values: pd.Series, scale: str) -> tuple[pd.Series, pd.Series]:
    """Answers put on 0 to 10 by `scale`; returns (answers, mask of answers that are not on the scale)."""
    text = to_text(values)
    if scale == "agree":
        keys = text.map(_words, na_action="ignore")
        answers = keys.map(AGREE_ANSWERS).astype("float64")
        no_answer = keys.isin(NO_ANSWER)
        numbers = parse_numbers(values)
        answers = answers.fillna(numbers.where(numbers.between(0, 10)))
        bad = text.notna() & answers.isna() & ~no_answer
        return answers.where(~no_answer), bad
    numbers = parse_numbers(values)
    low, high = _SCALE_RANGES.get(scale, (0, 10))
    off = numbers.notna() & ((numbers < low) | (numbers > high))
    bad = (text.notna() & numbers.isna() & ~text.map(_words, na_action="ignore").isin(NO_ANSWER)) | off
    if scale == "1-10":
        out = (numbers - 1) * 10 / 9
    elif scale == "1-5":
        out = (numbers - 1) * 2.5
    elif scale == "0-100":
        out = numbers / 10
    else:
        out = numbers
    return out.where(~off).round(4), bad


def suggest_scale(values: pd.Series) -> str:
    """The scale the answers look like they are on."""
    text = to_text(values).dropna()
    if text.empty:
        return "0-10"
    keys = text.map(_words)
    if keys.isin(AGREE_ANSWERS).mean() >= 0.5:
        return "agree"
    numbers = parse_numbers(text).dropna()
    if numbers.empty:
        return "0-10"
    low, high = numbers.min(), numbers.max()
    if (numbers > 10).mean() >= ABOVE_TEN_SHARE:
        return "0-100"
    numbers = numbers[numbers <= 10]  # a few answers above 10 on a 0-10 scale are typos, rejected on import
    if numbers.empty:
        return "0-10"
    low, high = numbers.min(), numbers.max()
    if low >= 1 and high <= 5:
        return "1-5"
    if low >= 1 and (numbers == numbers.round()).all() and high == 10 and 0 not in set(numbers):
        return "1-10"
    return "0-10"


def rescale_values(values: pd.Series, scale: str) -> pd.Series:
    """Published values put on 0 to 100 by `scale` (see VALUE_SCALES)."""
    numbers = parse_numbers(values)
    if scale == "0-10":
        return numbers * 10
    if scale == "0-1":
        return numbers * 100
    if scale == "1-5":
        return (numbers - 1) * 25
    return numbers
