"""Comment sentiment: each comment's class from its VADER compound score, and net sentiment
(% positive - % negative) over the scored comments. The one definition every page uses.

Comments not in English are counted but not scored (VADER reads English only): they are "unscored" and
left out of the shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import Groups, Source
from cpdash.metrics.periods import Filters

POSITIVE = 0.05  # compound >= POSITIVE: a positive comment
NEGATIVE = -0.05  # compound <= NEGATIVE: a negative comment
CLASSES = ("negative", "neutral", "positive")  # class codes 0, 1, 2
UNSCORED = 3  # the class code of a comment without a score
CLASS_NAMES = (*CLASSES, "not scored")
COLUMNS = ("net", "positive", "negative", "neutral", "n", "comments")


PENDING = "Sentiment is still being computed"  # said instead of a figure until every comment is scored


def pending(src: Source) -> bool:
    """True while the comments' sentiment is still being scored: no figure resting on it may be shown yet
    (the counts of scored comments the small-numbers policy reads are already the final ones)."""
    return getattr(getattr(src, "ds", None), "scoring", None) is not None


def classify(compound: np.ndarray) -> np.ndarray:
    """The class code of each compound score: 0 negative, 1 neutral, 2 positive, UNSCORED where NaN."""
    scores = np.asarray(compound, dtype="float64")
    out = np.full(len(scores), UNSCORED, dtype="int64")
    with np.errstate(invalid="ignore"):
        out[scores <= NEGATIVE] = 0
        out[(scores > NEGATIVE) & (scores < POSITIVE)] = 1
        out[scores >= POSITIVE] = 2
    return out


@dataclass(frozen=True)
class Net:
    """Net sentiment and the shares behind it, in % of the n scored comments (NaN when n is 0)."""

    net: float
    positive: float
    negative: float
    neutral: float
    n: int  # scored comments
    comments: int  # all comments, scored or not


def columns(groups: Groups) -> dict[str, np.ndarray]:
    """net, positive, negative, neutral (in %), n (scored) and comments from per-group class counts."""
    n = groups["positive"] + groups["negative"] + groups["neutral"]
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = np.where(n > 0, groups["positive"] / np.where(n > 0, n, 1) * 100, np.nan)
        negative = np.where(n > 0, groups["negative"] / np.where(n > 0, n, 1) * 100, np.nan)
    return {
        "net": positive - negative,
        "positive": positive,
        "negative": negative,
        "neutral": 100.0 - positive - negative,
        "n": n.astype("int64"),
        "comments": groups["comments"].astype("int64"),
    }


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with net, positive, negative, neutral, n and comments."""
    return groups.frame(columns(groups))


def net_sentiment(src: Source, f: Filters) -> Net:
    """Net sentiment over the filters' period and areas."""
    row = {name: values[0] for name, values in columns(src.comments(f)).items()}
    return Net(
        float(row["net"]),
        float(row["positive"]),
        float(row["negative"]),
        float(row["neutral"]),
        int(row["n"]),
        int(row["comments"]),
    )


def net_by(src: Source, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Net sentiment per group of `by` (area_id, month, program, comment_topic, language)."""
    return from_groups(src.comments(f, by))
