"""Trust, safety, listen and respect scores: the mean of 0-10 answers x 10, on 0-100 ("not a percentage"),
with the number of answers n and a t-based 95 % interval. The one definition every page uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import Groups, Source
from cpdash.metrics.periods import Filters

SCALE = 10.0  # answers on 0-10 -> scores on 0-100
LOW, HIGH = 0.0, 100.0
LABELS = {"trust": "Trust", "safety": "Safety", "listen": "Listen", "respect": "Respect"}
QUESTIONS = {
    "trust": "I trust the police in my neighbourhood",
    "safety": "I feel safe in my neighbourhood",
    "listen": "The police listen to the concerns of people here",
    "respect": "The police treat people here with respect",
}
COLUMNS = ("score", "n", "low", "high")

# Two-sided 95 % quantiles of Student's t, t(0.975, df) for df = 1..30 (exact to 8 decimals).
T975_TABLE = np.array(
    [
        12.70620474, 4.30265273, 3.18244631, 2.77644511, 2.57058184,
        2.44691185, 2.36462425, 2.30600414, 2.26215716, 2.22813885,
        2.20098516, 2.17881283, 2.16036866, 2.14478669, 2.13144955,
        2.11990530, 2.10981558, 2.10092204, 2.09302405, 2.08596345,
        2.07961384, 2.07387307, 2.06865761, 2.06389856, 2.05953855,
        2.05552944, 2.05183052, 2.04840714, 2.04522964, 2.04227246,
    ]
)  # fmt: skip
Z975 = 1.959963984540054  # standard normal quantile at 0.975


def t975(df: np.ndarray | float) -> np.ndarray:
    """Student's t quantile at 0.975 for `df` degrees of freedom (NaN for df < 1), vectorised."""
    d = np.atleast_1d(np.asarray(df, dtype="float64"))
    out = np.full(d.shape, np.nan)
    whole = np.floor(d)
    small = (whole >= 1) & (whole <= len(T975_TABLE))
    out[small] = T975_TABLE[whole[small].astype(int) - 1]
    large = whole > len(T975_TABLE)
    v, z = whole[large], Z975
    # Cornish-Fisher expansion of t in 1/df; error below 3e-8 for df > 30.
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    out[large] = z + g1 / v + g2 / v**2 + g3 / v**3 + g4 / v**4
    return out


@dataclass(frozen=True)
class Score:
    """A 0-100 score with the number of answers behind it and its 95 % interval (NaN when undefined)."""

    value: float
    n: int
    low: float
    high: float


def columns(n: np.ndarray, total: np.ndarray, m2: np.ndarray) -> dict[str, np.ndarray]:
    """score, n, low, high from per-group n, sum and squared deviations of 0-10 answers."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.asarray(total) / np.where(n > 0, n, 1), np.nan)
        sd = np.sqrt(np.asarray(m2) / (n - 1))
        half = t975(n - 1) * sd * SCALE / np.sqrt(n)
    value = mean * SCALE
    half = np.where(n >= 2, half, np.nan)
    return {
        "score": value,
        "n": n.astype("int64"),
        "low": np.clip(value - half, LOW, HIGH),
        "high": np.clip(value + half, LOW, HIGH),
    }


def pooled(n: np.ndarray, total: np.ndarray, m2: np.ndarray) -> tuple[float, float, float]:
    """The n, sum and squared deviations of several groups taken together (exact, no second pass)."""
    n, total, m2 = (np.asarray(a, dtype="float64") for a in (n, total, m2))
    count = float(n.sum())
    if count == 0:
        return 0.0, 0.0, 0.0
    mean = float(total.sum()) / count
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mean = np.where(n > 0, total / np.where(n > 0, n, 1), 0.0)
    return count, float(total.sum()), float(m2.sum() + (n * (group_mean - mean) ** 2).sum())


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with score, n, low and high."""
    return groups.frame(columns(groups["n"], groups["total"], groups["m2"]))


def score(src: Source, metric: str, f: Filters) -> Score:
    """The score of `metric` over the filters' period and areas."""
    groups = src.answers(metric, f)
    row = columns(groups["n"], groups["total"], groups["m2"])
    return Score(float(row["score"][0]), int(row["n"][0]), float(row["low"][0]), float(row["high"][0]))


def scores_by(src: Source, metric: str, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """The score of `metric` per group of `by` (area_id, month, age_group, ...): keys, score, n, low, high."""
    return from_groups(src.answers(metric, f, by))
