"""A score over time, as every page draws it: monthly from responses (with n and 95 % intervals), or the
published figures one line per cadence (weekly and monthly figures are never joined into one line).
Through the small-numbers policy: a hidden month is a gap with no n (months are parts of the period, so a
month is also hidden when a hidden one could be found by subtraction)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics import published, scores
from cpdash.metrics.gather import MONTH, Source
from cpdash.metrics.periods import Filters, short_period_text
from cpdash.metrics.suppression import FLAGGED, SHOWN, Policy
from cpdash.views.figures import PUBLISHED, RESPONSES, score_source

COLUMNS = ["series", "cadence", "when", "period", "score", "n", "low", "high", "flagged"]
CITY = "City"
SELECTION = "Selected areas"


def _monthly(src: Source, metric: str, f: Filters, series: str, policy: Policy) -> pd.DataFrame:
    """The monthly score of `metric` for the filters' areas, through the policy."""
    table = scores.scores_by(src, metric, f, (MONTH,))
    table = table[table["n"] > 0]
    if len(table) == 0:
        return pd.DataFrame(columns=COLUMNS)
    n = table["n"].to_numpy(dtype="float64")
    whole_shown = policy.status(float(n.sum())) in (SHOWN, FLAGGED)  # the months add up to the period
    hidden = policy.hidden_in_set(n, whole_shown, [f"{m:%Y-%m}" for m in table[MONTH]])
    out = pd.DataFrame(
        {
            "series": series,
            "cadence": "monthly",
            "when": table[MONTH].to_numpy(),
            "period": [f"{m:%b %Y}" for m in table[MONTH]],
            "score": np.where(hidden, np.nan, table["score"]),
            "n": np.where(hidden, np.nan, table["n"].astype("float64")),
            "low": np.where(hidden, np.nan, table["low"]),
            "high": np.where(hidden, np.nan, table["high"]),
            "flagged": policy.flagged(table["n"].to_numpy()),
        }
    )
    return out[COLUMNS]


def _published(
    src: Source, metric: str, f: Filters, area: str | None, series: str, policy: Policy
) -> pd.DataFrame:
    """The published figures of one area (None: the city) in the period, one series per cadence."""
    table = published.published_series(src, metric, f, area)
    if len(table) == 0:
        return pd.DataFrame(columns=COLUMNS)
    n = table["n"].to_numpy(dtype="float64")
    hidden = policy.hidden(n)
    several = table["cadence"].nunique() > 1
    starts, ends = table["period_start"], table["period_end"]
    out = pd.DataFrame(
        {
            "series": [f"{series} ({c})" if several else series for c in table["cadence"]],
            "cadence": table["cadence"].to_numpy(),
            "when": (starts + (ends - starts) / 2).dt.normalize().to_numpy(),
            "period": [short_period_text(a, b) for a, b in zip(starts, ends, strict=True)],
            "score": np.where(hidden, np.nan, table["value"]),
            "n": np.where(hidden, np.nan, n),
            "low": np.nan,
            "high": np.nan,
            "flagged": policy.flagged(n),
        }
    )
    return out[COLUMNS]


def score_trend(
    src: Source,
    metric: str,
    f: Filters,
    policy: Policy,
    area: str | None = None,
    area_name: str = "",
    source: str | None = None,
) -> pd.DataFrame:
    """The score over time: for `area` against the city, else for the filters' areas (the city when none).

    Columns: series, cadence, when, period, score, n, low, high, flagged.
    """
    source = score_source(src, metric) if source is None else source
    frames = []
    if source == RESPONSES:
        if area is not None:
            frames.append(_monthly(src, metric, f.with_areas((area,)), area_name or area, policy))
            frames.append(_monthly(src, metric, f.with_areas(()), CITY, policy))
        else:
            frames.append(_monthly(src, metric, f, SELECTION if f.areas else CITY, policy))
    elif source == PUBLISHED:
        own = area if area is not None else (f.areas[0] if len(f.areas) == 1 else None)
        if own is not None:
            frames.append(_published(src, metric, f, own, area_name or own, policy))
        frames.append(_published(src, metric, f, None, CITY, policy))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]
