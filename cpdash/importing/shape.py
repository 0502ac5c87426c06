"""Shaping a file's rows into a contract table's columns: mapped and made columns, dates and scales, the
program from titles, the area (from a column, free text or a beat, matched level by level), the parent of
an area and built ids. Each problem found on the way becomes a row's reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from cpdash.data.schema import PROGRAM_ALIASES, Table
from cpdash.data.validate import to_text
from cpdash.importing import dates, derive, rules, scales
from cpdash.importing.areas import area_of_beat, areas_from_text, normalise_area_ids, resolve_at_level
from cpdash.importing.context import Context
from cpdash.importing.profiles import Profile
from cpdash.importing.upload import ImportProblem

ID_PREFIX = {"events": "E-", "responses": "R-", "concerns": "C-"}
Reject = Callable[[pd.Series, "pd.Series | str"], None]


def _quoted(text: pd.Series) -> pd.Series:
    return "'" + text.astype("str").str.slice(0, 60) + "'"


@contextmanager
def _column(file: str, column: str, source: str | None) -> Iterator[None]:
    """Turn any failure while making one column into a message naming the file and the column."""
    try:
        yield
    except ImportProblem:
        raise
    except (
        Exception
    ) as exc:  # a transform that meets cells it was not written for: say where, never a traceback
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        where = f"'{source}' → {column}" if source else column
        raise ImportProblem(f"{file}: column {where} cannot be read ({first})") from exc


def is_program(value: str, names: tuple[str, ...]) -> bool:
    """True when `value` names a program of the taxonomy (or one of its other spellings)."""
    key = rules.fold(value).strip()
    keys = {rules.fold(n) for n in names} | set(PROGRAM_ALIASES)
    return " ".join(key.replace("/", " ").split()) in {" ".join(k.replace("/", " ").split()) for k in keys}


def shape_rows(
    source: pd.DataFrame, profile: Profile, table: Table, context: Context, notes: list[str], file: str
) -> tuple[pd.DataFrame, dict[int, str], pd.DataFrame]:
    """The contract-shaped frame, reasons found on the way (by position), and titles that fell to Other."""
    reasons: dict[int, str] = {}

    def reject(mask: pd.Series, text: pd.Series | str) -> None:
        for position in np.flatnonzero(mask.to_numpy(dtype=bool)):
            reasons.setdefault(int(position), text if isinstance(text, str) else str(text.iloc[position]))

    shaped = pd.DataFrame(index=source.index)
    for column in table.columns:
        name = profile.columns.get(column.name)
        made = profile.derived.get(column.name)
        if name is None and made is None:
            continue
        with _column(file, column.name, name):
            values = source[name] if name is not None else None
            if made is not None:
                built = derive.make(source, made)
                values = built if values is None else to_text(values).fillna(built)
            shaped[column.name] = _typed(column, values, source, profile, table, reject, notes)
    other = pd.DataFrame()
    if table.name == "events" and profile.program_from:
        with _column(file, "program", profile.program_from):
            other = _programs(shaped, source, profile, context, notes, reject)
    with _column(file, "area_id", profile.area_from or profile.columns.get("area_id")):
        _areas(shaped, source, profile, table, context, notes, reject)
    if table.key and profile.id_from:
        with _column(file, table.key, ", ".join(profile.id_from)):
            ids = derive.build_ids(source, profile.id_from, ID_PREFIX.get(table.name, ""))
            if table.key in shaped:
                ids = to_text(shaped[table.key]).fillna(ids)
            shaped[table.key] = ids
    order = [c for c in table.names if c in shaped]
    return shaped[order], reasons, other


def _typed(column, values: pd.Series, source: pd.DataFrame, profile: Profile, table: Table, reject, notes):
    """Dates read in their chosen format (with a time column), answers put on 0-10; other cells as they are."""
    if column.kind in ("date", "datetime"):
        fmt = profile.date_formats.get(column.name, dates.AUTO)
        time_source = profile.time_columns.get(column.name)
        times = source[time_source] if time_source else None
        parsed = dates.parse_date_column(values, fmt, times)
        present = to_text(values).notna()
        expected = "" if fmt == dates.AUTO else f" (expected {dates.DATE_CHOICES.get(fmt, fmt)})"
        if time_source:
            bad_time = to_text(source[time_source]).notna() & dates.parse_times(source[time_source]).isna()
            reject(present & bad_time, f"bad time in {time_source}: " + _quoted(to_text(source[time_source])))
        reject(present & parsed.isna(), f"bad date in {column.name}: " + _quoted(to_text(values)) + expected)
        if fmt == dates.AUTO:
            message = dates.mixed_date_message(column.name, values)
            if message:
                notes.append(message)
        return parsed
    if table.name == "responses" and column.name in profile.scales:
        scale = profile.scales[column.name]
        answers, bad = scales.rescale(values, scale)
        reject(
            bad,
            f"{column.name} answer "
            + _quoted(to_text(values))
            + f" is not on the {scales.SCALES[scale].split(':', 1)[0]} scale",
        )
        if scale != "0-10":
            notes.append(f"{column.name}: rescaled to 0–10 from {scales.SCALES[scale]}")
        return answers
    return values


def _programs(shaped, source, profile: Profile, context: Context, notes: list[str], reject) -> pd.DataFrame:
    """The program from the title rules where no program column names one; the titles left to Other."""
    titles = to_text(source[profile.program_from])
    programs, matched = rules.programs_from_titles(titles, [*profile.program_rules, *context.taxonomy.rules])
    by_rules = pd.Series(True, index=source.index)
    if "program" in shaped:  # the program column where it names a known program, the rules elsewhere
        given = to_text(shaped["program"])
        names = context.taxonomy.names
        named = given.map(lambda v: is_program(v, names), na_action="ignore").fillna(False).astype(bool)
        programs = given.where(named, programs)
        by_rules = ~named
    unmatched = programs.isna() & titles.notna()
    programs = programs.where(~unmatched, rules.OTHER)
    reject(programs.isna(), f"no title to tell the program from ('{profile.program_from}' is blank)")
    shaped["program"] = programs
    counts = matched[by_rules].value_counts()
    if len(counts):
        notes.append(
            f"program from '{profile.program_from}' by the rules: "
            + ", ".join(f"'{w}' {n:,}" for w, n in counts.head(8).items())
            + (", …" if len(counts) > 8 else "")
        )
    other = rules.other_titles(titles[by_rules], programs[by_rules])
    if len(other):
        n = int(other["rows"].sum())
        notes.append(
            f"{n:,} title{'s' if n != 1 else ''} matched no rule and {'are' if n != 1 else 'is'} counted as Other: "
            + ", ".join(f"'{t}'" for t in other["example"].head(3))
            + " (add a rule to place them)"
        )
    return other


def _areas(
    shaped, source, profile: Profile, table: Table, context: Context, notes: list[str], reject
) -> None:
    """The area of each row: its column, else its beat's (following the stored beat's parents), else the
    place its free text names; matched among the stored areas (of the profile's level, when it names one)."""
    level = profile.area_level
    if table.name == "areas":
        if profile.area_from:
            found = areas_from_text(source[profile.area_from], context.areas, level)
            shaped["area_id"] = to_text(shaped["area_id"]).fillna(found) if "area_id" in shaped else found
        _area_ids(shaped, profile, context)
        return
    if "area_id" in shaped and "beat" in shaped and level and context.areas is not None:
        blank = to_text(shaped["area_id"]).isna()
        from_beat = area_of_beat(to_text(shaped["beat"]).where(blank), context.areas, level)
        if from_beat.notna().any():
            shaped["area_id"] = to_text(shaped["area_id"]).fillna(from_beat)
            n = int(from_beat.notna().sum())
            notes.append(
                f"{n:,} row{'s' if n != 1 else ''} without an area took {'their' if n != 1 else 'its'} beat's {level}"
            )
    if "area_id" in table.names and profile.area_from:
        found = areas_from_text(source[profile.area_from], context.areas, level)
        shaped["area_id"] = to_text(shaped["area_id"]).fillna(found) if "area_id" in shaped else found
    if profile.area_from and "area_id" in shaped:
        reject(
            to_text(shaped["area_id"]).isna(),
            f"no area found in {profile.area_from}: "
            + _quoted(to_text(source[profile.area_from]).fillna("")),
        )
    for name in ("area_id", "home_area_id"):
        if name not in shaped:
            continue
        if level and context.index is not None and level in context.levels:
            text = to_text(shaped[name])
            resolved, unknown = resolve_at_level(text, context.index, level)
            reject(
                unknown,
                f"unknown {name} " + _quoted(text.fillna("")) + f": no {level} with that id is stored",
            )
            shaped[name] = resolved.where(~unknown, text)
        else:
            known = context.index.ids if context.index is not None else None
            shaped[name] = normalise_area_ids(shaped[name], known)


def _area_ids(shaped: pd.DataFrame, profile: Profile, context: Context) -> None:
    """An areas file's ids matched to stored areas of the same level (an update), kept as given otherwise;
    a made parent matched among the stored areas of the level its derivation names."""
    if "area_id" in shaped:
        shaped["area_id"] = to_text(shaped["area_id"])
    if "parent_id" in shaped:
        shaped["parent_id"] = to_text(shaped["parent_id"])
    if context.index is None:
        return
    if "area_id" in shaped and "level" in shaped:
        levels = to_text(shaped["level"]).str.lower()
        for level in levels.dropna().unique():
            if level not in context.levels:
                continue
            rows = (levels == level).fillna(False).to_numpy(dtype=bool)
            resolved, _ = resolve_at_level(shaped.loc[rows, "area_id"], context.index, level)
            shaped.loc[rows, "area_id"] = resolved.fillna(shaped.loc[rows, "area_id"])
    parent = profile.derived.get("parent_id")
    if "parent_id" in shaped and parent is not None and parent.level in context.levels:
        resolved, _ = resolve_at_level(shaped["parent_id"], context.index, parent.level)
        shaped["parent_id"] = resolved.fillna(shaped["parent_id"])
