"""Wide score tables (a vendor's: one column per metric and breakdown, the level implied by which area
columns are blank, weekly and monthly periods mixed) turned into the long `area_scores` form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cpdash.data.schema import AREA_LEVELS, SCORE_METRICS
from cpdash.data.validate import parse_numbers, to_text
from cpdash.importing.dates import AUTO, parse_date_column, suggest_date_format
from cpdash.importing.scales import VALUE_SCALES, rescale_values

# Wide score tables: how column names name a metric, a breakdown, a count and a level.
METRIC_WORDS: dict[str, str] = {
    "trust": "trust",
    "t": "trust",
    "safety": "safety",
    "safe": "safety",
    "s": "safety",
    "listen": "listen",
    "listening": "listen",
    "respect": "respect",
    "respectful": "respect",
}
GROUP_PREFIXES: dict[str, str] = {
    "age": "age",
    "sex": "sex",
    "gender": "gender",
    "race": "race",
    "ethnicity": "race",
    "income": "income",
    "edu": "education",
    "education": "education",
}
COUNT_WORDS = ("n", "count", "responses", "respondents", "sample", "sample_size")
LEVEL_WORDS: dict[str, str] = {
    "beat": "beat",
    "sector": "sector",
    "district": "district",
    "area": "area",
    "ward": "area",
    "neighborhood": "area",
    "neighbourhood": "area",
    "community_area": "area",
    "city": "city",
}
SPECIFIC_FIRST = ("beat", "sector", "district", "area")  # the most specific filled area column wins


@dataclass
class WideSpec:
    """How a wide score table reads: one row per period and area, one column per metric and breakdown."""

    period_start: str | None = None
    period_end: str | None = None
    levels: dict[str, str] = field(default_factory=dict)  # level -> its area column
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (metric, group)
    counts: dict[str, str] = field(default_factory=dict)  # value column -> its count column
    count: str | None = None  # one count column for every value of the row
    value_scale: str = "0-100"
    date_format: str = AUTO

    def to_dict(self) -> dict:
        """A plain dict for a profile file."""
        return {
            "period_start": self.period_start,
            "period_end": self.period_end,
            "levels": dict(self.levels),
            "values": {c: list(v) for c, v in self.values.items()},
            "counts": dict(self.counts),
            "count": self.count,
            "value_scale": self.value_scale,
            "date_format": self.date_format,
        }

    @classmethod
    def from_dict(cls, data: dict) -> WideSpec:
        """The spec a profile file holds."""
        return cls(
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            levels={str(k): str(v) for k, v in (data.get("levels") or {}).items()},
            values={str(c): (str(v[0]), str(v[1] or "")) for c, v in (data.get("values") or {}).items()},
            counts={str(k): str(v) for k, v in (data.get("counts") or {}).items()},
            count=data.get("count"),
            value_scale=str(data.get("value_scale") or "0-100"),
            date_format=str(data.get("date_format") or AUTO),
        )


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", str(name).lower()) if t]


def read_value_column(name: str) -> tuple[str, str] | None:
    """(metric, group) a wide column name stands for: `TRUST` -> (trust, ""), `S_AGE_LOW` -> (safety,
    "age: low"), `Trust - Age 18-34` -> (trust, "age: 18-34"); None when it names no metric."""
    tokens = _tokens(name)
    if not tokens or tokens[-1] in COUNT_WORDS or tokens[0] in COUNT_WORDS:
        return None
    metric, rest = None, tokens
    if (
        tokens[0] in ("t", "s")
        and len(tokens) > 1
        and tokens[1] in METRIC_WORDS
        and tokens[1] not in ("t", "s")
    ):
        metric, rest = METRIC_WORDS[tokens[1]], tokens[2:]  # T_LISTEN, T_RESPECT
    elif tokens[0] in METRIC_WORDS:
        metric, rest = METRIC_WORDS[tokens[0]], tokens[1:]
    if metric is None or (tokens[0] in ("t", "s") and len(tokens) == 1):
        return None
    rest = [t for t in rest if t not in ("score", "mean", "avg", "average", "pct", "index")]
    if not rest:
        return metric, ""
    prefix = GROUP_PREFIXES.get(rest[0])
    if prefix is None:
        return None
    label = _group_label(rest[1:])
    return (metric, f"{prefix}: {label}") if label else None


def _group_label(tokens: list[str]) -> str:
    """`18 34` -> `18-34`, `african american` -> `african american`, `65 plus` -> `65+`."""
    if len(tokens) == 2 and all(t.isdigit() for t in tokens):
        return f"{tokens[0]}-{tokens[1]}"
    if len(tokens) == 2 and tokens[0].isdigit() and tokens[1] in ("plus", "over"):
        return f"{tokens[0]}+"
    return " ".join(tokens)


def suggest_wide(frame: pd.DataFrame) -> WideSpec:
    """A reading of a wide score table from its column names (and its dates)."""
    spec = WideSpec()
    columns = [str(c) for c in frame.columns]
    for column in columns:
        tokens = _tokens(column)
        joined = "_".join(tokens)
        if spec.period_start is None and joined in (
            "start_date",
            "period_start",
            "start",
            "from",
            "date",
            "week_start",
            "month",
        ):
            spec.period_start = column
        elif spec.period_end is None and joined in ("end_date", "period_end", "end", "to", "week_end"):
            spec.period_end = column
        elif joined in LEVEL_WORDS and LEVEL_WORDS[joined] not in spec.levels:
            spec.levels[LEVEL_WORDS[joined]] = column
        elif joined in ("n", "count", "responses", "respondents", "sample_size"):
            spec.count = column
    for column in columns:
        read = read_value_column(column)
        if read is not None:
            spec.values[column] = read
    for column in columns:  # TRUST_N, Trust n, trust count: the count of the value column they follow
        tokens = _tokens(column)
        if len(tokens) >= 2 and tokens[-1] in COUNT_WORDS:
            base = "_".join(tokens[:-1])
            for value_column in spec.values:
                if "_".join(_tokens(value_column)) == base:
                    spec.counts[value_column] = column
    if spec.values:
        numbers = pd.concat([parse_numbers(frame[c]) for c in list(spec.values)[:10]]).dropna()
        if len(numbers) and numbers.max() <= 1:
            spec.value_scale = "0-1"
        elif len(numbers) and numbers.max() <= 10:
            spec.value_scale = "0-10"
    if spec.period_start:
        spec.date_format = suggest_date_format(frame[spec.period_start])
    return spec


def wide_to_long(frame: pd.DataFrame, spec: WideSpec) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The long `area_scores` rows of a wide table: (rows as text cells, source position per row, notes).

    The level of a row is the most specific area column that is filled (beat, sector, district, area);
    a row with every area column blank is a city-wide figure. Without an end column, a period ends the
    day before the next period of the same area starts, else at the end of its month.
    """
    notes: list[str] = []
    if spec.period_start is None or spec.period_start not in frame:
        raise ValueError("choose the column holding the first day of each period")
    values = {c: v for c, v in spec.values.items() if c in frame}
    if not values:
        raise ValueError("choose at least one column holding a score (trust, safety, listen, respect)")
    n = len(frame)
    level = pd.Series("city", index=frame.index, dtype="object")
    area = pd.Series("city", index=frame.index, dtype="object")
    chosen = [
        (lv, spec.levels[lv])
        for lv in (*SPECIFIC_FIRST, "city")
        if lv in spec.levels and spec.levels[lv] in frame
    ]
    for lv, column in reversed(chosen):  # most specific last, so it wins
        if lv == "city":
            continue
        ids = to_text(frame[column])
        level = level.where(ids.isna(), lv)
        area = area.where(ids.isna(), ids)
    start = parse_date_column(frame[spec.period_start], spec.date_format)
    start_text = to_text(frame[spec.period_start])
    if spec.period_end and spec.period_end in frame:
        end = parse_date_column(frame[spec.period_end], spec.date_format)
        end_text = to_text(frame[spec.period_end])
    else:
        end = (start + pd.offsets.MonthEnd(0)).where(start.notna())
        end_text = end.dt.strftime("%Y-%m-%d")
        notes.append("no period end column: each period is taken to end at the end of its month")
    parts = []
    for column, (metric, group) in values.items():
        raw_value = to_text(frame[column])
        count_column = spec.counts.get(column) or spec.count
        part = pd.DataFrame(
            {
                "period_start": start.dt.strftime("%Y-%m-%d").where(start.notna(), start_text),
                "period_end": end.dt.strftime("%Y-%m-%d").where(end.notna(), end_text),
                "level": level,
                "area_id": area,
                "metric": metric,
                "value": rescale_values(raw_value, spec.value_scale)
                .map(_number_text, na_action="ignore")
                .where(parse_numbers(raw_value).notna(), raw_value),
                "n": to_text(frame[count_column]) if count_column and count_column in frame else None,
                "group": group or None,
                "_position": np.arange(n),
            }
        )
        parts.append(part[raw_value.notna().to_numpy()])
    long = pd.concat(parts, ignore_index=True).sort_values("_position", kind="stable").reset_index(drop=True)
    positions = long.pop("_position").to_numpy()
    if spec.value_scale != "0-100":
        notes.append(f"values rescaled to 0–100 from {VALUE_SCALES.get(spec.value_scale, spec.value_scale)}")
    blank = n - len(np.unique(positions))
    if blank:
        notes.append(f"{blank:,} row{'s' if blank != 1 else ''} had no score in any chosen column")
    return long, positions, notes


def _number_text(value: float) -> str:
    return f"{value:.6g}"


def level_choices() -> tuple[str, ...]:
    """Levels an area column can stand for."""
    return tuple(lv for lv in AREA_LEVELS if lv != "city")


def metric_choices() -> tuple[str, ...]:
    """Metrics a value column can hold."""
    return SCORE_METRICS
