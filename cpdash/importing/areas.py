"""Area ids on the way in: normalised (`7`, `07`, `District 7`), matched level by level against the stored
areas, found in free text, told by their content (a column whose values are stored district ids), and
taken from a beat's district when only the beat is known."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cpdash.data.geo import AreaIndex, ancestors, area_key, level_rank
from cpdash.data.validate import to_text

AREA_WORDS = re.compile(
    r"\b(district|area|beat|sector|ward|zone)\s*(?:no\.?|#)?\s*0*(\d+[a-z]?)\b"
    r"|\b0*(\d+)(?:st|nd|rd|th)?\s+(district|area|ward|zone)\b",
    re.IGNORECASE,
)
MAX_WORD_AREAS = 5_000  # area names searched in free text at most
_WORDS = re.compile(r"[^0-9a-z]+")
MIN_MATCHED_IDS = 3  # distinct ids a column must match before its content says it is an area column


def _words(text: object) -> str:
    return _WORDS.sub(" ", str(text).lower()).strip()


def normalise_area_ids(values: pd.Series, known: Sequence[str] | None = None) -> pd.Series:
    """`7`, `07`, `007`, `District 7` -> one id: the known area it matches, else the plain number."""
    text = to_text(values)
    known_set = set(known or ())
    by_key: dict[str, str] = {}
    for area_id in known or ():
        by_key.setdefault(area_key(area_id), area_id)
    mapping = {}
    for value in text.dropna().unique():
        key = area_key(value)
        if value in known_set:
            mapping[value] = value
        elif key in by_key:
            mapping[value] = by_key[key]
        elif key.isdigit():
            mapping[value] = key
        else:
            mapping[value] = value
    return text.map(mapping)


def areas_from_text(texts: pd.Series, areas: pd.DataFrame | None, level: str | None = None) -> pd.Series:
    """The area a free-text location names: an area's name in it, or words such as "District 7" or
    "25th District" (among the areas of `level`, when given)."""
    text = to_text(texts)
    if areas is not None and level is not None and "level" in areas:
        areas = areas[(areas["level"] == level).fillna(False).to_numpy(dtype=bool)]
    if areas is None or len(areas) == 0:
        names: list[tuple[str, str]] = []
        ids: dict[str, str] = {}
    else:
        frame = areas.head(MAX_WORD_AREAS)
        names = sorted(
            (
                (f" {_words(n)} ", str(a))
                for a, n in zip(frame["area_id"], frame["name"], strict=True)
                if isinstance(n, str) and len(_words(n)) >= 3 and not _words(n).isdigit()
            ),
            key=lambda pair: -len(pair[0]),
        )
        ids = {}
        for area_id in frame["area_id"]:
            ids.setdefault(area_key(area_id), str(area_id))
    found: dict[str, str | None] = {}
    for value in text.dropna().unique():
        padded = f" {_words(value[:500])} "
        hit = next((a for n, a in names if n in padded), None)
        if hit is None:
            match = AREA_WORDS.search(value[:500])
            if match:
                number = match.group(2) or match.group(3)
                key = number.lstrip("0").lower() or "0"
                hit = ids.get(key, key if not ids else None)
        found[value] = hit
    return text.map(found)


@dataclass(frozen=True)
class LevelMatch:
    """How well a column's values match the stored ids of one level."""

    level: str
    share: float  # of the non-blank cells looked at
    distinct: int  # distinct stored ids matched
    of: int  # stored ids at that level


def match_levels(values: pd.Series, index: AreaIndex | None) -> list[LevelMatch]:
    """For each stored level, the share of the cells whose value is one of its ids; best first."""
    if index is None or not index.ids:
        return []
    text = to_text(values).dropna()
    if text.empty:
        return []
    counts = text.value_counts()
    keys = pd.Series(counts.index.astype("str")).map(area_key)
    weights = counts.to_numpy() / counts.sum()
    out = []
    levels = index.level_names or ("",)
    for level in levels:
        at = index.at_level(level) if level else index
        known = {area_key(i): i for i in at.ids}
        hits = keys.map(known)
        share = float(weights[hits.notna().to_numpy()].sum())
        out.append(LevelMatch(level or "area", share, int(hits.nunique()), len(at.ids)))
    return sorted(out, key=lambda m: (-m.share, level_rank(m.level)))


def best_level(values: pd.Series, index: AreaIndex | None, min_share: float = 0.9) -> LevelMatch | None:
    """The level whose ids a column holds (at least `min_share` of its cells, several distinct ids), or None."""
    for match in match_levels(values, index):
        if match.share >= min_share and match.distinct >= min(MIN_MATCHED_IDS, match.of):
            return match
    return None


def resolve_at_level(values: pd.Series, index: AreaIndex, level: str) -> tuple[pd.Series, pd.Series]:
    """Ids of `level` for raw ids (`11` finds sector `011`, not district 11); (resolved, unknown mask)."""
    return index.at_level(level).resolve(to_text(values))


def area_of_beat(beats: pd.Series, areas: pd.DataFrame | None, level: str) -> pd.Series:
    """The area at `level` each beat lies in (following parent_id), missing where it cannot be told."""
    if areas is None or "level" not in areas or beats.dropna().empty:
        return pd.Series(None, index=beats.index, dtype="object")
    index = AreaIndex(tuple(areas["area_id"].astype("str")), tuple(areas["level"].astype("str")))
    beat_ids, _ = resolve_at_level(beats, index, "beat")
    chains = ancestors(areas)
    return beat_ids.map(lambda b: chains.get(b, {}).get(level), na_action="ignore")
