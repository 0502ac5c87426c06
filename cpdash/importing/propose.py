"""The whole mapping suggested for a file (the Data page's proposal, and `--mapping suggest` on the command
line: the same function): its columns, their date formats and scales, and what has to be made — the level
of a boundary file without one, its parent, its names; the program from titles; the beat a title names;
the area from free text; ids built from several columns. Each suggestion has a confidence and a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cpdash.data.placing import BEAT_IN_TITLE, beat_named
from cpdash.data.schema import TABLES
from cpdash.data.validate import normalise_column_name, parse_dates, to_text
from cpdash.importing import dates, scales
from cpdash.importing.context import Context
from cpdash.importing.derive import Derived
from cpdash.importing.facts import SAMPLE_ROWS, column_facts
from cpdash.importing.names import level_word
from cpdash.importing.profiles import Profile
from cpdash.importing.shape import is_program
from cpdash.importing.suggest import Suggestion, suggest_columns
from cpdash.importing.upload import Upload
from cpdash.importing.wide import suggest_wide

MIN_BEAT_TITLES = 3  # titles naming a beat before the beat is taken from the titles


@dataclass
class Suggested:
    """A suggested mapping and, for each contract column it fills, how and why."""

    profile: Profile
    reasons: dict[str, Suggestion] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The suggestions as rows: column, from, confidence (%), why."""
        rows = [
            {"column": c, "from": s.source, "confidence": round(100 * s.score), "why": s.why}
            for c, s in self.reasons.items()
        ]
        return pd.DataFrame(rows, columns=["column", "from", "confidence", "why"])


def suggest_profile(upload: Upload, table: str, context: Context | None = None, name: str = "") -> Profile:
    """A full mapping for `upload` into `table` (see suggest_mapping)."""
    return suggest_mapping(upload, table, context, name).profile


def suggest_mapping(
    upload: Upload,
    table: str,
    context: Context | None = None,
    name: str = "",
    dissolve_by: list[str] | None = None,
) -> Suggested:
    """A full mapping for `upload` into `table`: columns, date formats, scales and the columns it must make."""
    context = context or Context()
    frame = upload.frame
    profile = Profile(name=name or Path(upload.name).stem, table=table, sheet=upload.sheet)
    out = Suggested(profile)
    if table == "area_scores":
        columns = {normalise_column_name(c) for c in frame.columns}
        if not {"metric", "value"} <= columns:
            wide = suggest_wide(frame.head(SAMPLE_ROWS * 4))
            if wide.values:
                profile.wide = wide
                out.reasons["wide"] = Suggestion(
                    f"{len(wide.values)} score columns",
                    "one column per metric and breakdown; the level of a row is its most specific filled area "
                    f"column ({', '.join(f'{lv}: {c}' for lv, c in wide.levels.items()) or 'none: city-wide'})",
                    0.9,
                )
                return out
    facts = column_facts(frame)
    mapping = suggest_columns(frame, table, facts, context.index)
    profile.columns = {contract: s.source for contract, s in mapping.items()}
    out.reasons.update(mapping)
    spec = TABLES[table]
    sample = frame.head(SAMPLE_ROWS)
    for column in spec.columns:
        source = profile.columns.get(column.name)
        if column.kind in ("date", "datetime") and source:
            profile.date_formats[column.name] = dates.suggest_date_format(frame[source])
            if column.kind == "datetime":
                time_column = _time_column(sample, source, set(profile.columns.values()))
                if time_column:
                    profile.time_columns[column.name] = time_column
        if table == "responses" and column.name in ("trust", "safety", "listen", "respect") and source:
            profile.scales[column.name] = scales.suggest_scale(frame[source])
    area = mapping.get("area_id")
    if area is not None and area.level and len(context.levels) > 1:
        profile.area_level = area.level
    if table == "areas":
        _areas(upload, profile, out, list(dissolve_by or []))
    if table == "events":
        _events(frame, profile, out, context)
    address = profile.columns.get("address")
    if area is not None and address and table != "areas":
        profile.area_from = address  # where the area column is blank, the place the text names
        out.reasons["area_id"] = Suggestion(
            area.source,
            f"{area.why}; where it is blank, the place named in '{address}'",
            area.score,
            area.level,
        )
    if table != "areas" and "area_id" in spec.names and "area_id" not in {*profile.columns, *profile.derived}:
        text_source = profile.columns.get("address") or profile.columns.get("title")
        if text_source is None:
            text_source = next(
                (str(c) for c in frame.columns if str(c) not in profile.columns.values()), None
            )
        if text_source is not None:
            profile.area_from = text_source
            out.reasons["area_id"] = Suggestion(
                f"the place named in '{text_source}'",
                "no column holds area ids: an area's name, or words such as 'District 7', in this text",
                0.4,
            )
    if spec.key and spec.key not in profile.columns:
        profile.id_from = _id_columns(table, profile)
        if profile.id_from:
            out.reasons[spec.key] = Suggestion(
                "built from " + ", ".join(f"'{c}'" for c in profile.id_from),
                "no column of unique ids: rows with the same values get the same id",
                0.6,
            )
    return out


def _events(frame: pd.DataFrame, profile: Profile, out: Suggested, context: Context) -> None:
    """An events file: the program from titles unless a column names programs; the beat a title names."""
    sample = frame.head(SAMPLE_ROWS)
    program = profile.columns.get("program")
    title = profile.columns.get("title")
    names = context.taxonomy.names
    cells = to_text(sample[program]) if program else pd.Series(dtype="str")
    given = cells.dropna()
    fits = program and len(given) and given.map(lambda v: is_program(v, names)).mean() >= 0.8
    if title and not (fits and cells.notna().all()):
        profile.program_from = title
        rules = f"{len(context.taxonomy.rules):,} rules ({context.taxonomy.own_rules:,} of the department's)"
        if not program:
            why = f"no column names programs: {rules}"
        elif fits:
            why = f"where '{program}' is blank or names no program: {rules}"
        else:
            why = f"'{program}' does not name programs: {rules}"
        out.reasons["program"] = Suggestion(
            f"the title rules on '{title}'" if not fits else f"{program}, else the title rules on '{title}'",
            why,
            0.8,
        )
    if title and "beat" not in profile.columns:
        named = beat_named(to_text(sample[title]))
        found = int(named.notna().sum())
        if found >= MIN_BEAT_TITLES:
            example = to_text(sample[title])[named.notna()].iloc[0]
            stored = ""
            if context.index is not None and "beat" in context.levels:
                beats = context.index.at_level("beat")
                _, unknown = beats.resolve(named.dropna())
                stored = f"; {int((~unknown).sum()):,} of them stored beats"
            profile.derived["beat"] = Derived(source=title, pattern=BEAT_IN_TITLE.pattern)
            out.reasons["beat"] = Suggestion(
                f"'{title}' by a pattern",
                f"{found:,} of the first {len(sample):,} titles name a beat ('{example[:40]}' → "
                f"{named.dropna().iloc[0]}){stored}: placed at the beat's centre",
                0.8,
            )


def _areas(upload: Upload, profile: Profile, out: Suggested, dissolve_by: list[str]) -> None:
    """A boundary file: its level (from its name when it has no level column), names, parent and dissolving."""
    frame = upload.frame
    columns = [str(c) for c in frame.columns]
    if dissolve_by:
        missing = [c for c in dissolve_by if c not in columns]
        if missing:
            from cpdash.importing.upload import ImportProblem

            raise ImportProblem(
                f"{upload.name}: no column {', '.join(repr(c) for c in missing)} to dissolve by"
            )
        profile.dissolve_by = list(dissolve_by)
        for column in ("area_id", "name", "parent_id"):
            profile.columns.pop(column, None)
            out.reasons.pop(column, None)
    level, why = _file_level(upload, profile, dissolve_by)
    if "level" not in profile.columns:
        profile.derived["level"] = Derived(value=level)
        out.reasons["level"] = Suggestion(f"'{level}' for every row", why, 0.7)
    by_level = {level_word(c): c for c in reversed(columns) if level_word(c)}
    if dissolve_by:
        template = "".join("{" + c + "}" for c in dissolve_by)
        profile.derived["area_id"] = Derived(template=template)
        out.reasons["area_id"] = Suggestion(
            template, f"the shapes are dissolved by {', '.join(dissolve_by)}", 0.8
        )
    id_column = profile.columns.get("area_id")
    made_id = profile.derived.get("area_id")
    label = "{" + id_column + "}" if id_column else (made_id.template if made_id else None)
    if "name" not in profile.columns and label:
        template = f"{level.capitalize()} {label}"
        profile.derived["name"] = Derived(template=template)
        out.reasons["name"] = Suggestion(template, "no column of names: each area is named by its id", 0.6)
    if "parent_id" not in profile.columns:
        parent = _parent(frame, level, by_level, id_column, dissolve_by)
        if parent is not None:
            profile.derived["parent_id"] = parent
            out.reasons["parent_id"] = Suggestion(
                parent.template or "", f"the {parent.level} each {level} lies in, from its columns", 0.7
            )


def _file_level(upload: Upload, profile: Profile, dissolve_by: list[str]) -> tuple[str, str]:
    """The level of a boundary file without a level column, and why."""
    if dissolve_by and level_word(dissolve_by[-1]):
        return str(level_word(dissolve_by[-1])), f"dissolved by '{dissolve_by[-1]}'"
    stem = Path(upload.name).stem
    if level_word(stem) and level_word(stem) != "city":
        return str(level_word(stem)), f"no level column; the file is called '{upload.name}'"
    id_column = profile.columns.get("area_id")
    if id_column and level_word(id_column):
        return str(
            level_word(id_column)
        ), f"no level column; its id '{id_column}' names a {level_word(id_column)}"
    return "area", "no level column, and neither the file nor its columns name one"


def _parent(
    frame: pd.DataFrame, level: str, by_level: dict, id_column, dissolve_by: list[str]
) -> Derived | None:
    """The parent of each area: the next coarser level among its columns (a sector code local to its
    district joined to the district: {district}{sector})."""
    from cpdash.data.geo import level_rank

    coarser = sorted(
        (lv for lv in by_level if level_rank(lv) < level_rank(level) and lv != "city"), key=level_rank
    )
    coarser = [lv for lv in coarser if by_level[lv] != id_column and by_level[lv] not in dissolve_by[-1:]]
    # a parent is shared by its children: a column of values unique to each row (shape_area) is not one
    coarser = [lv for lv in coarser if frame[by_level[lv]].nunique() < len(frame)]
    if not coarser:
        return None
    parent = coarser[-1]
    column = by_level[parent]
    template = "{" + column + "}"
    above = [by_level[lv] for lv in coarser[:-1]]
    if above:
        pairs = frame[[above[-1], column]].astype("str").drop_duplicates()
        if len(pairs) > frame[column].nunique():  # the code repeats in each district: join them
            template = "{" + above[-1] + "}" + template
    return Derived(template=template, level=parent)


def _time_column(sample: pd.DataFrame, date_source: str, used: set[str]) -> str | None:
    """A column of times of day beside a date column that has none (calendar exports split them)."""
    parsed = parse_dates(sample[date_source]).dropna()
    if parsed.empty or (parsed != parsed.dt.normalize()).any():
        return None
    for column in sample.columns:
        name = normalise_column_name(column)
        if str(column) in used or str(column) == date_source or "time" not in name or "end" in name:
            continue
        times = dates.parse_times(sample[column])
        present = to_text(sample[column]).notna()
        if present.any() and times[present].notna().mean() >= 0.8:
            return str(column)
    return None


def _id_columns(table: str, profile: Profile) -> list[str]:
    """Source columns that together tell one row from another, for a table without ids."""
    wanted = {
        "events": ("start", "title", "address", "area_id", "beat"),
        "concerns": ("raised", "area_id", "topic", "summary"),
    }.get(table)
    if wanted is None:  # responses: every mapped column, so only identical rows share an id
        return sorted(set(profile.columns.values()))
    columns = [profile.columns[c] for c in wanted if c in profile.columns]
    columns += [profile.time_columns[c] for c in ("start",) if c in profile.time_columns]
    if table == "events" and profile.program_from and profile.program_from not in columns:
        columns.append(profile.program_from)
    if profile.area_from and profile.area_from not in columns:
        columns.append(profile.area_from)
    return columns
