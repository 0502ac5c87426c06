"""Load a data source (a folder of files, or a database) into a validated, read-only Dataset with its report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from cpdash.data.dataset import (
    CENTROID_LAT,
    CENTROID_LON,
    Dataset,
    LoadReport,
    TableReport,
)
from cpdash.data.geo import AreaIndex, Boundaries, geojson_of, label_points, parse_area_features
from cpdash.data.placing import area_index, areas_from_ids, base_boundaries, place_events
from cpdash.data.programs import load_taxonomy
from cpdash.data.readers import DataError, RawFile, find_table_files, read_raw
from cpdash.data.roles import ROLES_FILE
from cpdash.data.schema import AREAS, TABLES, Table, with_programs
from cpdash.data.scoring import defer, scored
from cpdash.data.snapshot import Saved, TableSnapshots
from cpdash.data.validate import empty_frame, normalise_column_name, validate_table

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
# Tables read after areas and events, in this order; each may be absent.
OTHER_TABLES = ("responses", "area_scores", "concerns", "attendees")


def _noop(fraction: float, message: str) -> None:
    return None


class TableReader(Protocol):
    """Where a source's tables come from: a folder of files, or a database."""

    def label(self, table: str) -> str | None:
        """The name shown for `table`'s file (or database table), None when the source has none."""

    def read(self, table: str) -> RawFile:
        """Read `table`; raises DataError (or OSError) when it cannot be used."""


@dataclass(frozen=True)
class FolderReader:
    """The tables of a folder: one file per table."""

    files: dict[str, Path]

    def label(self, table: str) -> str | None:
        """The file name of `table`, or None."""
        path = self.files.get(table)
        return path.name if path else None

    def read(self, table: str) -> RawFile:
        """Read `table`'s file."""
        return read_raw(self.files[table], table)


def _read(table: str, reader: TableReader, report: LoadReport) -> RawFile | None:
    """Read one table, recording an unreadable file as a failed table."""
    name = reader.label(table)
    if name is None:
        report.tables[table] = TableReport(table=table, status="absent")
        return None
    try:
        raw = reader.read(table)
    except DataError as exc:
        raw, problem = None, str(exc)
    except OSError as exc:  # its text names the file's full path: the reason alone is said
        raw, problem = None, f"{name}: cannot be read ({exc.strerror or type(exc).__name__})"
    except Exception as exc:  # a reader failing in a way no check foresaw: this table fails, not the app
        log.exception("reading %s failed", name)
        raw, problem = None, f"{name}: cannot be read ({_unexpected(exc)})"
    if raw is None:
        report.tables[table] = TableReport(table=table, file=name, status="failed", errors=[problem])
        return None
    if isinstance(raw.data, dict) and table != "areas":
        report.tables[table] = TableReport(
            table=table, file=name, status="failed", errors=[f"{name}: GeoJSON is only for areas"]
        )
        return None
    report.tables[table] = TableReport(table=table, file=name, status="loaded", warnings=raw.warnings)
    return raw


def _validated(
    table: str, raw: RawFile, report: LoadReport, spec: Table | None = None, **context
) -> pd.DataFrame | None:
    """Validate a read table, merging read warnings into its report; None when it failed."""
    previous = report.tables[table]
    try:
        frame, table_report = validate_table(
            spec or TABLES[table], raw.data, previous.file or table, preset=raw.bad_rows, **context
        )
    except Exception as exc:  # validation failing in a way no check foresaw: this table fails, not the app
        log.exception("validating %s failed", previous.file or table)
        previous.status = "failed"
        previous.errors.append(f"{previous.file or table}: cannot be validated ({_unexpected(exc)})")
        return None
    table_report.warnings[:0] = previous.warnings
    report.tables[table] = table_report
    return None if table_report.status == "failed" else frame.reset_index(drop=True)


def _unexpected(exc: Exception) -> str:
    """An unforeseen error in one line: its kind and the start of its message."""
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:160]}"


def _load_areas(
    reader: TableReader, report: LoadReport
) -> tuple[pd.DataFrame | None, dict | None, Boundaries | None]:
    """The areas table with centroids, its clean GeoJSON and its polygons (None where absent)."""
    read = _read("areas", reader, report)
    if read is None:
        return None, None, None
    raw = read.data
    if isinstance(raw, pd.DataFrame):
        frame = _validated("areas", read, report)
        if frame is not None:
            frame[CENTROID_LAT] = np.nan
            frame[CENTROID_LON] = np.nan
            report.tables["areas"].warnings.append(
                "areas: no boundaries (not GeoJSON), so areas cannot be mapped"
            )
        return frame, None, None
    props, geometries, problems = parse_area_features(raw, notes=report.tables["areas"].warnings)
    if props.empty and not geometries:
        report.tables["areas"].status = "failed"
        report.tables["areas"].errors.append(
            f"{reader.label('areas')}: the FeatureCollection has no features"
        )
        return None, None, None
    present = {normalise_column_name(c): c for c in props.columns}
    if "area_id" in present:  # without it, validation fails the table and names the missing column
        if "level" not in present:
            props["level"] = "area"
        if "name" not in present:
            props["name"] = props[present["area_id"]]  # named by id, as when there is no areas table
    frame, table_report = validate_table(
        AREAS,
        props,
        reader.label("areas") or "areas",
        row_offset=1,
        preset=[(number - 1, reason) for number, reason in problems],
    )
    table_report.warnings[:0] = report.tables["areas"].warnings
    if not table_report.rejected.empty:
        table_report.rejected = table_report.rejected.rename(columns={"row": "feature"})
    report.tables["areas"] = table_report
    if table_report.status == "failed":
        return None, None, None
    kept = [geometries[i] for i in frame.index]
    frame = frame.reset_index(drop=True)
    frame[CENTROID_LAT], frame[CENTROID_LON] = label_points(kept)
    ids = frame["area_id"].tolist()
    levels = frame["level"].tolist() if frame["level"].nunique() > 1 else None  # for maps to choose one
    geojson = geojson_of(ids, frame["name"].tolist(), kept, levels)
    return frame, geojson, Boundaries(tuple(ids), tuple(kept))


def _load_events(
    reader: TableReader,
    report: LoadReport,
    areas: pd.DataFrame | None,
    boundaries: Boundaries | None,
    index: AreaIndex | None,
    where: str,
    programs: tuple[str, ...] | None,
) -> pd.DataFrame:
    """The validated events (empty when the source has none or they failed)."""
    events = None
    raw = _read("events", reader, report)
    if raw is not None:
        spec = with_programs(TABLES["events"], programs) if programs else None
        events = _validated(
            "events", raw, report, spec, areas=index, boundaries=base_boundaries(areas, boundaries)
        )
    if reader.label("events") is None:
        report.tables["events"].status = "failed"
        report.tables["events"].errors.append(
            f"{where}: no events table"
            if where == "the database"
            else f"{where}: no events file (events.csv, .parquet, .xlsx or .json)"
        )
    return empty_frame(TABLES["events"]) if events is None else events


def is_database(source: str | Path) -> bool:
    """True when `source` is a SQLAlchemy database URL (postgresql+psycopg://..., sqlite:///...)."""
    return "://" in str(source) and not Path(str(source)).exists()


def source_signature(source: str | Path, engine: object | None = None) -> str:
    """A cheap key that changes when the source changes: for a folder, its files' names, sizes and
    modification times; for a database, its import log (every import through cpdash adds to it), read on
    `engine` when given."""
    if is_database(source):
        from cpdash.data.database import signature

        return signature(str(source), engine)
    folder = Path(source)
    if not folder.is_dir():
        return f"missing:{folder}"
    parts = [
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != ROLES_FILE  # who may sign in is not data: editing it reloads nothing
    ]
    return f"{folder.resolve()}|" + "|".join(parts)


def load_dataset(
    source: str | Path,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    tables: Collection[str] | None = None,
    later: int | None = None,
) -> Dataset:
    """Read, validate and enrich every table of a folder or database source; never raises for bad data.

    `tables` limits the load to those tables (the others are left out, as if absent). With `later`, when at
    least that many comments need their sentiment scored, the data set comes without it and with its
    `scoring` (cpdash.data.scoring.finish scores them).
    """
    progress = progress or _noop
    report = LoadReport(source=str(source))
    if is_database(source):
        from cpdash.data.database import DatabaseReader, display_url

        report.source = display_url(str(source))
        try:
            reader: TableReader = DatabaseReader.connect(str(source))
        except DataError as exc:
            report.tables["events"] = TableReport(table="events", status="failed", errors=[str(exc)])
            return Dataset(events=empty_frame(TABLES["events"]), areas=areas_from_ids(), report=report)
        taxonomy = load_taxonomy(source)
        if taxonomy.problem:
            report.notes.append(taxonomy.problem)
        return _load(reader, report, False, cache_dir, progress, tables, programs=taxonomy.names, later=later)
    folder = Path(source)
    if not folder.is_dir():
        report.tables["events"] = TableReport(
            # named, not located: every page shows this error, the public ones too (the Data page says where)
            table="events",
            status="failed",
            errors=[f"data source {folder.name or source}: no such folder"],
        )
        return Dataset(events=empty_frame(TABLES["events"]), areas=areas_from_ids(), report=report)
    taxonomy = load_taxonomy(folder)
    if taxonomy.problem:
        report.notes.append(taxonomy.problem)
    files, notes = find_table_files(folder)
    report.notes.extend(notes)
    is_sample = _manifest(folder).get("synthetic") is True
    snapshots = TableSnapshots(cache_dir, files, taxonomy.names) if cache_dir and tables is None else None
    where, programs = folder.name, taxonomy.names
    return _load(
        FolderReader(files), report, is_sample, cache_dir, progress, tables, where, programs, snapshots, later
    )


def _load(
    reader: TableReader,
    report: LoadReport,
    is_sample: bool,
    cache_dir: Path | None,
    progress: Progress,
    tables: Collection[str] | None,
    where: str = "the database",
    programs: tuple[str, ...] | None = None,
    snapshots: TableSnapshots | None = None,
    later: int | None = None,
) -> Dataset:
    """Read, validate and enrich the tables `reader` gives; a table whose snapshot holds is read from it."""
    clock = time.perf_counter()
    wanted = set(TABLES) if tables is None else set(tables) | {"events"}

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = report.seconds.get(name, 0.0) + now - clock
        clock = now

    kept: list[str] = []  # the tables read from their snapshot

    def saved(name: str) -> Saved | None:
        found = snapshots.get(name) if snapshots is not None and name in wanted else None
        if found is not None:
            report.tables[name] = found.report
            report.notes.extend(found.notes)
            kept.append(name)
            step("snapshot")
        return found

    def keep(name: str, value: object, notes: list[str] | None = None) -> None:
        if snapshots is not None:
            snapshots.put(name, Saved(value, report.tables.get(name), tuple(notes or ())))

    progress(0.05, "Reading areas")
    if found := saved("areas"):
        areas, geojson, boundaries = found.value
    else:
        areas, geojson, boundaries = _load_areas(reader, report) if "areas" in wanted else (None, None, None)
        keep("areas", (areas, geojson, boundaries))
        step("areas")
    index = area_index(areas) if areas is not None else None

    progress(0.15, "Reading and validating events")
    if found := saved("events"):
        events = found.value
    else:
        events = _load_events(reader, report, areas, boundaries, index, where, programs)
        keep("events", events)
        step("events")

    event_ids: set[str] | None = None
    others: dict[str, pd.DataFrame | None] = {}
    for i, name in enumerate(OTHER_TABLES):
        others[name] = None
        if name not in wanted:
            continue
        if found := saved(name):
            others[name] = found.value
            continue
        progress(0.3 + 0.1 * i, f"Reading and validating {name.replace('_', ' ')}")
        raw = _read(name, reader, report)
        if raw is not None:
            event_ids = set(events["event_id"]) if event_ids is None else event_ids
            others[name] = _validated(name, raw, report, areas=index, event_ids=event_ids)
        if name != "responses":  # responses are kept once their comments are scored
            keep(name, others[name])
        step(name)

    if areas is None:
        areas = areas_from_ids(events, others["responses"], others["concerns"])
        report.notes.append(
            "no areas table: areas are known only by the ids in the data (no names, maps or populations)"
        )
    events, placement = place_events(events, areas)
    if placement:
        report.tables["events"].warnings.extend(placement)
    step("placing")

    responses, scoring = others["responses"], None
    if responses is not None and "responses" not in kept:
        responses = _sorted(responses, "submitted")
        scoring = defer(responses, later, cache_dir, snapshots) if later is not None else None
        if scoring is None:
            progress(0.75, "Scoring comment sentiment")
            before = len(report.notes)
            on = lambda fraction, message: progress(0.75 + 0.25 * fraction, message)  # noqa: E731
            responses = scored(responses, report, cache_dir, on)
            keep("responses", responses, report.notes[before:])
        step("sentiment" if scoring is None else "comments to score")
    if kept:
        report.notes.append(
            f"read from the validated snapshot, their files unchanged since last checked: {', '.join(kept)}"
        )
    progress(1.0, "Ready")
    return Dataset(
        events=_sorted(events, "start"),
        areas=areas,
        report=report,
        responses=responses,
        area_scores=others["area_scores"],
        concerns=_sorted(others["concerns"], "raised"),
        attendees=others["attendees"],
        areas_geojson=geojson,
        is_sample=is_sample,
        scoring=scoring,
    )


def _sorted(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
    """Rows in date order (stable), so that period filters can slice instead of copying."""
    if frame is None:
        return None
    return frame.sort_values(column, kind="stable", na_position="first").reset_index(drop=True)


def _manifest(folder: Path) -> dict:
    """The source's manifest.json (name, synthetic flag), or {} when absent or unreadable."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
