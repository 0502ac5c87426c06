"""What a column holds, worked out once per file from its first rows: dates, numbers, coordinates,
whether its values are unique and short (an id), text with letters (a name), the programs it names."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cpdash.data.dates import read_dates
from cpdash.data.validate import parse_numbers, to_text

SAMPLE_ROWS = 500  # rows looked at when suggesting a mapping from the content
MAX_ID_LENGTH = 20  # characters: longer values are not taken for ids


@dataclass(frozen=True)
class ColumnFacts:
    """What a source column's first rows hold."""

    present: bool
    date_share: float
    number_share: float
    coordinate_lat: float
    coordinate_lon: float
    filled: float = 0.0  # share of the rows looked at that are not blank
    unique: float = 0.0  # distinct values over non-blank cells
    distinct: int = 0
    max_length: int = 0
    letters: float = 0.0  # share of non-blank cells holding a letter
    spaces: float = 0.0  # share of non-blank cells holding a space


def column_facts(frame: pd.DataFrame) -> dict[str, ColumnFacts]:
    """Facts about each column of the first SAMPLE_ROWS rows (each distinct value worked out once)."""
    facts = {}
    head = frame.head(SAMPLE_ROWS)
    for source in frame.columns:
        text = to_text(head[source]).dropna()
        if text.empty:
            facts[str(source)] = ColumnFacts(False, 0.0, 0.0, 0.0, 0.0)
            continue
        counts = text.value_counts()
        distinct = pd.Series(counts.index.astype("str"))
        weights = counts.to_numpy() / counts.sum()
        numbers = parse_numbers(distinct)
        number_share = float(weights[numbers.notna().to_numpy()].sum())
        date_share = (
            0.0 if number_share > 0.9 else float(weights[read_dates(distinct).notna().to_numpy()].sum())
        )
        lat = lon = 0.0
        if number_share > 0.9 and numbers.abs().max() > 1:
            lat = float(weights[numbers.between(-90, 90).to_numpy()].sum())
            lon = float(weights[numbers.between(-180, 180).to_numpy()].sum())
        facts[str(source)] = ColumnFacts(
            True,
            date_share,
            number_share,
            lat,
            lon,
            filled=len(text) / max(len(head), 1),
            unique=len(counts) / len(text),
            distinct=len(counts),
            max_length=int(distinct.str.len().max()),
            letters=float(weights[distinct.str.contains(r"[^\W\d_]", regex=True).to_numpy()].sum()),
            spaces=float(weights[distinct.str.contains(" ", regex=False).to_numpy()].sum()),
        )
    return facts


def content_share(kind: str, name: str, facts: ColumnFacts) -> tuple[float, str]:
    """How much a column's content fits a contract column's kind: (share of non-blank cells, words)."""
    if not facts.present:
        return 0.0, "empty"
    if kind in ("date", "datetime"):
        return facts.date_share, f"{facts.date_share:.0%} dates"
    if kind in ("int", "float"):
        if name in ("lat", "lon"):
            share = facts.coordinate_lat if name == "lat" else facts.coordinate_lon
            return share, f"{share:.0%} coordinates"
        return facts.number_share, f"{facts.number_share:.0%} numbers"
    return 1.0, "text"


def looks_like_ids(facts: ColumnFacts) -> bool:
    """Unique, short and filled in: the values of an id column."""
    return (
        facts.present and facts.unique >= 0.99 and facts.filled >= 0.95 and facts.max_length <= MAX_ID_LENGTH
    )
