"""Applying a mapping to an upload: shape the rows (a wide table turned long, shapes dissolved), match score
areas level by level, remove repeated rows, settle conflicts, validate, find rows already stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import mapping, shape

from cpdash.data.geo import dissolve
from cpdash.data.programs import PROGRAMS_FILE
from cpdash.data.schema import TABLES, Table, with_programs
from cpdash.data.validate import parse_numbers, to_text, validate_table
from cpdash.importing import wide as wide_tables
from cpdash.importing.areas import resolve_at_level
from cpdash.importing.conflicts import DEFAULT_POLICY, conflicts, duplicate_of
from cpdash.importing.context import Context
from cpdash.importing.overlap import OVERLAP, find_overlaps
from cpdash.importing.prepared import DUPLICATE, Prepared, cells_text, rows_as_rejected
from cpdash.importing.profiles import Profile
from cpdash.importing.shape import shape_rows
from cpdash.importing.upload import ImportProblem, Upload, geometry_problems

# Columns that identify a row of a table without an id column, for updates and conflicting rows.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "area_scores": ("period_start", "period_end", "level", "area_id", "metric", "group"),
    "attendees": ("event_id", "participant_key"),
}
KEY_WORDS = {"area_scores": "figure (the same period, level, area, metric and group)"}
MODES = {"add": "add new rows and update rows with the same id", "replace": "replace the whole table"}


def table_for(name: str, context: Context) -> Table:
    """The contract table an import is checked against (events: with the department's programs)."""
    if name not in TABLES:
        raise ImportProblem(f"unknown table {name!r}")
    table = TABLES[name]
    return with_programs(table, context.taxonomy.names) if name == "events" else table


def prepare(
    upload: Upload,
    profile: Profile,
    context: Context | None = None,
    *,
    on_conflict: str = DEFAULT_POLICY,
    skip_overlaps: bool = False,
) -> Prepared:
    """Apply `profile` to `upload` and validate the result against the contract and the `context`.

    Every row of the file ends accepted, rejected with its reason, or removed as a repeat (listed with the
    rejected rows); ImportProblem says clearly why a mapping cannot be applied at all.
    """
    context = context or Context()
    table = table_for(profile.table, context)
    unknown = sorted({r.program for r in profile.program_rules} - set(context.taxonomy.names))
    if unknown:
        raise ImportProblem(
            f"the mapping '{profile.name}' has title rules for programs that are neither built in nor in "
            f"{PROGRAMS_FILE}: {', '.join(repr(u) for u in unknown)}; add them to {PROGRAMS_FILE} (name, family, "
            "colour), or change the rules"
        )
    missing = profile.missing_columns(list(upload.frame.columns))
    if missing:
        raise ImportProblem(
            f"{upload.name}: the mapping '{profile.name}' reads columns this file does not have: "
            + ", ".join(repr(c) for c in missing)
        )
    if profile.dissolve_by and table.name != "areas":
        raise ImportProblem("only areas can be dissolved (shapes sharing a column's value made into one)")
    return _prepare(upload, profile, context, table, on_conflict, skip_overlaps)


def _prepare(
    upload: Upload, profile: Profile, context: Context, table: Table, on_conflict: str, skip_overlaps: bool
) -> Prepared:
    source = upload.frame.reset_index(drop=True)
    numbers = np.arange(len(source)) + upload.row_offset
    early: dict[int, str] = {}  # source position -> reason, found before mapping
    notes: list[str] = list(upload.notes)
    for position, reason in upload.bad_rows + geometry_problems(upload, table.name, notes):
        early.setdefault(position, reason)
    geometries = upload.geometries
    other = pd.DataFrame()
    if profile.wide is not None:
        if table.name != "area_scores":
            raise ImportProblem("only area_scores can be read from a wide table")
        kept = source.drop(index=list(early))
        try:
            shaped, positions, wide_notes = wide_tables.wide_to_long(kept, profile.wide)
        except ValueError as exc:
            raise ImportProblem(f"{upload.name}: {exc}") from exc
        positions = kept.index.to_numpy()[positions]
        notes += wide_notes
        row_numbers = numbers[positions]
        originals = shaped.copy()
        pre_rejected = _pre_rejected(source, early, numbers)
        reasons: dict[int, str] = {}
    else:
        shaped, reasons, other = shape_rows(source, profile, table, context, notes, upload.name)
        reasons.update(early)
        row_numbers, originals, pre_rejected = numbers, source, pd.DataFrame()
        if profile.dissolve_by:
            shaped, row_numbers, originals, pre_rejected, geometries = _dissolved(
                source, shaped, reasons, numbers, upload.geometries, profile.dissolve_by
            )
            reasons = {}
    if table.name == "area_scores":
        _score_areas(shaped, context, reasons)

    duplicate = duplicate_of(shaped)
    duplicates = 0
    for position in np.flatnonzero(duplicate.notna().to_numpy()):
        if position not in reasons:
            first = row_numbers[int(duplicate.iloc[position])]
            reasons[int(position)] = f"{DUPLICATE} {first} (the same values)"
            duplicates += 1
    key = [table.key] if table.key and table.key in shaped else list(NATURAL_KEYS.get(table.name, ()))
    conflict_rows = conflicts(shaped, key, reasons, row_numbers, on_conflict, KEY_WORDS.get(table.name, ""))

    accepted, report = validate_table(
        table,
        shaped,
        upload.name,
        areas=context.index,
        boundaries=context.boundaries,
        event_ids=context.event_ids if table.name != "events" else None,
        preset=sorted(reasons.items()),
        row_numbers=row_numbers,
    )
    if report.status == "failed":
        raise ImportProblem("; ".join(report.errors) + " — map a column to each required one")
    rejected = _rejected(originals, report, row_numbers, accepted.index)
    if len(pre_rejected):
        rejected = pd.concat([pre_rejected, rejected], ignore_index=True).sort_values("row", kind="stable")
        rejected = rejected.reset_index(drop=True)
    kept_geometries = None
    if geometries is not None and table.name == "areas":
        kept_geometries = [geometries[i] for i in accepted.index]
    if table.name == "areas" and kept_geometries is None and context.areas_have_boundaries and context.index:
        accepted, rejected = _areas_without_boundary(
            accepted, rejected, originals, row_numbers, context, report
        )
    overlaps, skipped = pd.DataFrame(), 0
    if table.name == "events" and context.events is not None and len(accepted):
        accepted, rejected, overlaps, skipped = _overlaps(
            accepted, rejected, originals, row_numbers, context, skip_overlaps
        )
    if table.name in ("events", "responses", "concerns") and "area_id" in accepted and context.index is None:
        notes.append(
            "the target has no areas table: area ids are stored as given (7, 07 and District 7 as 7)"
        )
    return Prepared(
        table=table.name,
        file=upload.name,
        profile=profile,
        accepted=accepted.reset_index(drop=True),
        report=report,
        rejected=rejected,
        duplicates=duplicates,
        notes=notes,
        geometries=kept_geometries,
        source_rows=len(source),
        conflicts=conflict_rows,
        on_conflict=on_conflict,
        overlaps=overlaps,
        skipped=skipped,
        other_titles=other,
    )


def _score_areas(shaped: pd.DataFrame, context: Context, reasons: dict[int, str]) -> None:
    """Published figures matched to the stored areas of their own level (sector `11` is sector 011, not
    district 11); a level the stored areas do not have is a reason, saying which levels they have. When one
    level is stored and the file has none of its rows, its ids are matched at any level (a city whose
    boundaries say "area" for what the vendor calls districts)."""
    levels = set(context.levels) - {"city"}
    if context.index is None or not levels or not {"level", "area_id"} <= set(shaped):
        return
    row_level = to_text(shaped["level"]).str.lower()
    if len(levels) == 1 and not levels & set(row_level.dropna()):
        return  # one level stored, named otherwise than the file's ("area" for its districts): matched at any level
    ids = to_text(shaped["area_id"])
    live = pd.Series([i not in reasons for i in range(len(shaped))], index=shaped.index)
    stored = ", ".join(context.levels)
    for level in row_level.dropna().unique():
        if level == "city":
            continue
        rows = (row_level == level).fillna(False) & live & ids.notna()
        if not rows.any():
            continue
        if level not in levels:
            for position in np.flatnonzero(rows.to_numpy()):
                reasons[int(position)] = (
                    f"unknown area_id '{ids.iloc[position]}': the stored areas have no level {level} (they have "
                    f"{stored}); import its boundaries to keep these figures"
                )
            continue
        resolved, unknown = resolve_at_level(ids[rows], context.index, level)
        shaped.loc[rows[rows].index, "area_id"] = resolved.fillna(ids[rows])
        for position in np.flatnonzero(rows.to_numpy())[unknown.to_numpy()]:
            reasons[int(position)] = (
                f"unknown area_id '{ids.iloc[position]}': no {level} with that id is stored"
            )


def _dissolved(
    source: pd.DataFrame,
    shaped: pd.DataFrame,
    reasons: dict[int, str],
    numbers: np.ndarray,
    geometries: list[dict | None] | None,
    by: list[str],
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, pd.DataFrame, list[dict | None]]:
    """One row per group of shapes sharing the `by` columns, its shape their union (the first row's other
    cells); rows that cannot join a group are returned as rejected, with their reason."""
    if geometries is None:
        raise ImportProblem("only a boundary file (GeoJSON) can be dissolved")
    parts = [to_text(source[c]) for c in by]
    keys = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]
    blank = pd.concat(parts, axis=1).isna().any(axis=1)
    for position in np.flatnonzero(blank.to_numpy()):
        reasons.setdefault(int(position), f"blank {' or '.join(by)}: the shape cannot be dissolved")
    usable = np.array([i not in reasons for i in range(len(source))], dtype=bool)
    shapes = [
        shape(g) if ok and isinstance(g, dict) else None for g, ok in zip(geometries, usable, strict=True)
    ]
    merged = dissolve([k if ok else None for k, ok in zip(keys, usable, strict=True)], shapes)
    firsts = pd.Series(np.arange(len(source)))[usable].groupby(keys[usable].to_numpy(), sort=False).first()
    firsts = firsts.sort_values().to_numpy()
    grouped = shaped.iloc[firsts].reset_index(drop=True)
    _sum_populations(grouped, shaped[usable], keys[usable], keys.iloc[firsts])
    out_geometries = [mapping(merged[keys.iloc[p]]) for p in firsts]
    pre = sorted(reasons)
    pre_rejected = (
        rows_as_rejected(source.iloc[pre], numbers[pre], [reasons[p] for p in pre]) if pre else pd.DataFrame()
    )
    return grouped, numbers[firsts], source.iloc[firsts].reset_index(drop=True), pre_rejected, out_geometries


def _sum_populations(grouped: pd.DataFrame, members: pd.DataFrame, keys: pd.Series, order: pd.Series) -> None:
    """A dissolved area's population is its parts' sum; its shares, their population-weighted mean."""
    if "population" not in members:
        return
    population = parse_numbers(members["population"])
    totals = population.groupby(keys.to_numpy()).sum(min_count=1)
    grouped["population"] = order.map(totals).to_numpy()
    for column in [c for c in members.columns if c.startswith("share_")]:
        weighted = (parse_numbers(members[column]) * population).groupby(keys.to_numpy()).sum(min_count=1)
        grouped[column] = (order.map(weighted) / order.map(totals)).to_numpy()


def _areas_without_boundary(accepted, rejected, originals, row_numbers, context: Context, report):
    """A file without geometry may update stored areas only; its new areas are rejected."""
    known = set(context.index.ids)
    new = ~accepted["area_id"].isin(known)
    if not new.any():
        return accepted, rejected
    report.warnings.append(
        f"{int(new.sum()):,} new areas have no boundary: only areas already on the map can be updated "
        "from a file without geometry; those rows are rejected"
    )
    extra = accepted[new]
    more = rows_as_rejected(
        originals.loc[extra.index],
        row_numbers[extra.index],
        "a new area needs a boundary (import areas as GeoJSON)",
    )
    return accepted[~new], pd.concat([rejected, more], ignore_index=True)


def _overlaps(accepted, rejected, originals, row_numbers, context: Context, skip: bool):
    """Accepted events that look like stored ones under another id: reported, and moved out when `skip`."""
    found = find_overlaps(accepted.reset_index(drop=True), context.events)
    if found.empty:
        return accepted, rejected, pd.DataFrame(), 0
    index = accepted.index[found["position"].to_numpy()]
    report = pd.DataFrame(
        {
            "row": row_numbers[index],
            "title": accepted.loc[index, "title"].to_numpy() if "title" in accepted else None,
            "start": accepted.loc[index, "start"].to_numpy(),
            "area_id": accepted.loc[index, "area_id"].to_numpy(),
            "stored event_id": found["event_id"].to_numpy(),
            "stored title": found["stored_title"].to_numpy(),
            "stored start": found["stored_start"].to_numpy(),
            "similarity": found["similarity"].to_numpy(),
        }
    )
    if not skip:
        return accepted, rejected, report, 0
    reasons = [
        f"{OVERLAP} {e} (same area, starting within an hour, a similar title: '{str(t)[:60]}')"
        for e, t in zip(found["event_id"], found["stored_title"], strict=True)
    ]
    more = rows_as_rejected(originals.loc[index], row_numbers[index], reasons)
    rejected = (
        pd.concat([rejected, more], ignore_index=True)
        .sort_values("row", kind="stable")
        .reset_index(drop=True)
    )
    return accepted.drop(index=index), rejected, report, len(index)


def _pre_rejected(source: pd.DataFrame, early: dict[int, str], numbers: np.ndarray) -> pd.DataFrame:
    """Rows rejected before a wide table was turned long: their cells as uploaded, with the reason."""
    if not early:
        return pd.DataFrame()
    positions = sorted(early)
    return rows_as_rejected(source.iloc[positions], numbers[positions], [early[p] for p in positions])


def _rejected(originals: pd.DataFrame, report, row_numbers: np.ndarray, accepted: pd.Index) -> pd.DataFrame:
    """Rejected rows with their cells as uploaded (not as mapped), after their row number and reason."""
    if report.rejected.empty:
        return pd.DataFrame(columns=["row", "reason", *map(str, originals.columns)])
    mask = ~np.isin(np.arange(len(originals)), accepted.to_numpy())
    cells = originals.loc[mask]
    out = cells_text(cells).reset_index(drop=True)
    out.insert(0, "reason", report.rejected["reason"].to_numpy())
    out.insert(0, "row", row_numbers[mask])
    return out
