"""Which table a file holds, and which of its columns is which contract column: scored by name *and* content
(a column of small integers whose values are the stored district ids is the area column; a boundary file's
id is the property whose values are unique and short), each with its confidence and the reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cpdash.data.geo import POLYGON_TYPES, AreaIndex
from cpdash.data.schema import TABLES
from cpdash.data.validate import normalise_column_name, to_text
from cpdash.importing.areas import best_level
from cpdash.importing.facts import SAMPLE_ROWS, ColumnFacts, column_facts, content_share, looks_like_ids
from cpdash.importing.names import ID_WORDS, MIN_NAME_SCORE, level_word, name_score, words_of
from cpdash.importing.upload import Upload
from cpdash.importing.wide import suggest_wide

AREA_COLUMNS = ("area_id", "home_area_id")
FLOOR = MIN_NAME_SCORE * 0.7  # below this a candidate is not suggested
MAX_CONTENT_COLUMNS = (
    200  # columns whose values are compared with the stored area ids (a file may have thousands)
)


@dataclass(frozen=True)
class Suggestion:
    """A source column (or a way of making the column) suggested for a contract column, and why."""

    source: str
    why: str
    score: float  # the confidence, 0 to 1
    level: str | None = None  # an area column: the stored level whose ids its values are


def suggest_table(upload: Upload, index: AreaIndex | None = None) -> str:
    """The contract table an upload most likely holds: by its sheet or file name, else by its columns."""
    for label in (upload.sheet, Path(upload.name).stem):
        key = normalise_column_name(label or "")
        if key in TABLES:
            return key
        for table in TABLES:
            if key and (table in key or table.rstrip("s") in key):
                return table
    if upload.geometries is not None and any(
        isinstance(g, dict) and g.get("type") in POLYGON_TYPES for g in upload.geometries
    ):
        return "areas"
    wide = suggest_wide(upload.frame.head(SAMPLE_ROWS))
    if wide.values and wide.period_start:
        return "area_scores"
    best, best_score = "events", 0.0
    facts = column_facts(upload.frame)
    for table in TABLES.values():
        if table.name == "areas":
            continue  # boundaries come as GeoJSON (found above)
        mapping = suggest_columns(upload.frame, table.name, facts, index)
        # ids can be built and areas found in text; an event's program can come from its title
        required = [c for c in table.required_columns if c not in (table.key, "area_id")]
        found = [c for c in required if c in mapping or (c == "program" and "title" in mapping)]
        score = 10.0 * len(found) / max(len(required), 1) + len(mapping)
        if score > best_score:
            best, best_score = table.name, score
    return best


def _id_score(source: str, facts: ColumnFacts) -> tuple[float, str]:
    """How much a column of a boundary file looks like its id: unique and short, a code, named like an id."""
    if not looks_like_ids(facts):
        return 0.0, ""
    words = words_of(source)
    score = 0.55
    why = [f"values unique and short ({facts.distinct:,} distinct, up to {facts.max_length} characters)"]
    if facts.spaces < 0.05:
        score += 0.15
    if words & ID_WORDS:
        score += 0.15
        why.append(f"'{source}' reads like an id or number")
    if level_word(source):
        score += 0.1
        why.append(f"'{source}' names a {level_word(source)}")
    return round(score, 2), "; ".join(why)


def _name_content(source: str, facts: ColumnFacts) -> tuple[float, str]:
    """How much a column looks like the names of areas: words with letters, mostly different."""
    if not facts.present or facts.letters < 0.8 or facts.unique < 0.8 or facts.filled < 0.9:
        return 0.0, ""
    return 0.6, f"text with letters, {facts.unique:.0%} distinct"


def _key_like(score: float, fact: ColumnFacts) -> bool:
    """Whether a column named like a table's id holds ids: values that do not repeat (a few repeats in a
    column called by the id's own name are conflicts) and, unless so called, hold no spaces (titles do)."""
    if score >= 1.0:
        return fact.unique >= 0.5
    return fact.unique >= (0.9 if score >= 0.9 else 0.95) and fact.spaces < 0.2


def _program_share(values: pd.Series) -> float:
    from cpdash.data.programs import built_in
    from cpdash.importing.shape import is_program

    text = to_text(values.head(SAMPLE_ROWS)).dropna()
    names = built_in().names
    return float(text.map(lambda v: is_program(v, names)).mean()) if len(text) else 0.0


def suggest_columns(
    frame: pd.DataFrame,
    table: str,
    facts: dict[str, ColumnFacts] | None = None,
    index: AreaIndex | None = None,
) -> dict[str, Suggestion]:
    """For each contract column, the source column that fits it best (by name, checked by content; and by
    content alone for dates, area ids and a boundary file's id and name)."""
    spec = TABLES[table]
    sources = [str(c) for c in frame.columns]
    facts = facts if facts is not None else column_facts(frame)
    candidates: list[tuple[float, str, str, str, str | None]] = []
    levels: dict[str, object] = {}

    def level_of(source: str):
        if source not in levels:
            levels[source] = best_level(frame[source].head(SAMPLE_ROWS * 4), index, 0.5) if index else None
        return levels[source]

    for column in spec.columns:
        for source in sources:
            score, why = name_score(column.name, source)
            if score < FLOOR:
                continue
            fact = facts[source]
            share, content = content_share(column.kind, column.name, fact)
            level = None
            if column.kind in ("date", "datetime", "int", "float") and content != "empty":
                if share < 0.5:
                    continue
                score *= 0.8 + 0.2 * share
                why += f"; content: {content}"
            if column.name == spec.key and fact.present and not _key_like(score, fact):
                continue
            if column.name == "program" and score < 0.9 and _program_share(frame[source]) < 0.5:
                continue
            if column.name in AREA_COLUMNS and table != "areas" and index is not None and fact.present:
                match = level_of(source)
                if match is not None and match.share >= 0.9:
                    score, level = max(score, 0.95), match.level
                    why += f"; {match.share:.0%} of its values are stored {match.level} ids"
                elif index.ids:
                    score *= 0.7
                    why += "; few of its values are stored area ids"
            candidates.append((score, column.name, source, why, level))
    candidates += _content_candidates(frame, spec.name, facts, index, level_of)
    chosen: dict[str, Suggestion] = {}
    used: set[str] = set()
    for score, contract, source, why, level in sorted(candidates, key=lambda c: -c[0]):
        if contract in chosen or source in used or score < FLOOR:
            continue
        chosen[contract] = Suggestion(source, why, round(min(score, 1.0), 2), level)
        used.add(source)
    return chosen


def _content_candidates(frame, table: str, facts: dict[str, ColumnFacts], index, level_of) -> list:
    """Columns no name points at that their content says are a contract column."""
    spec = TABLES[table]
    out = []
    for column in spec.columns:
        if column.kind in ("date", "datetime") and column.required:
            for source, fact in facts.items():
                share, content = content_share(column.kind, column.name, fact)
                if share >= 0.9:
                    out.append((0.5 * share, column.name, source, f"content: {content}", None))
    if table == "areas":
        for source, fact in facts.items():
            score, why = _id_score(source, fact)
            if score:
                out.append((score, "area_id", source, why, None))
            score, why = _name_content(source, fact)
            if score:
                named, _ = name_score("name", source)
                out.append((score + (0.15 if named else 0.0), "name", source, why, None))
    elif "area_id" in spec.names and index is not None:
        for source, fact in list(facts.items())[:MAX_CONTENT_COLUMNS]:
            if not fact.present or fact.max_length > 40:
                continue
            match = level_of(source)
            if match is not None and match.share >= 0.9:
                why = f"{match.share:.0%} of its values are stored {match.level} ids ({match.distinct} of {match.of})"
                out.append((0.8 + 0.15 * match.share, "area_id", source, why, match.level))
    if table == "events" and index is not None and "beat" in (index.level_names or ()):
        beats = index.at_level("beat")
        for source, fact in list(facts.items())[:MAX_CONTENT_COLUMNS]:
            if fact.present and fact.max_length <= 10:
                match = best_level(frame[source].head(SAMPLE_ROWS), beats, 0.9)
                if match is not None:
                    out.append(
                        (0.85, "beat", source, f"{match.share:.0%} of its values are stored beats", "beat")
                    )
    return out
