"""Importing an export into the contract: read the upload, suggest a mapping, apply it, report, commit.

The Data page and `python -m cpdash import` run the same steps:

    upload = read_upload(name, data)                    # clear ImportProblem for files that cannot be used
    profile = suggest_profile(upload, table, context)   # or profiles.load_profile(...)
    prepared = prepare(upload, profile, context)        # accepted rows as stored, rejected rows with reasons
    entry = store.open_store(source).commit(prepared)   # atomic; logged

Every row read is accepted, rejected with its reason, or removed as a duplicate of an earlier row (and
listed with the rejected rows, so it is counted and shown).
"""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import shape

from cpdash.config import UPLOAD_LIMIT_MB
from cpdash.data.dataset import APPROXIMATE, Dataset, TableReport
from cpdash.data.geo import POLYGON_TYPES, AreaIndex, Boundaries, polygon_from
from cpdash.data.load import place_events
from cpdash.data.readers import DataError, RawFile, read_geojson, read_raw, sheet_for_table, sniff
from cpdash.data.schema import PROGRAM_ALIASES, PROGRAMS, TABLES, Table
from cpdash.data.validate import (
    normalise_column_name,
    parse_dates,
    parse_numbers,
    to_text,
    validate_table,
)
from cpdash.importing import transforms
from cpdash.importing.profiles import Profile

MAX_UPLOAD_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024  # the server's limit (.streamlit/config.toml)
UPLOAD_TYPES: dict[str, str] = {
    ".csv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".json": "json",
    ".geojson": "geojson",
}
PREVIEW_ROWS = 20
SAMPLE_ROWS = 500  # rows looked at when suggesting a mapping from the content
GEOMETRY_LAT, GEOMETRY_LON = "geometry lat", "geometry lon"  # columns made from GeoJSON points
ID_PREFIX = {"events": "E-", "responses": "R-", "concerns": "C-"}
# Columns that identify a row of a table without an id column, for updates and repeated rows.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "area_scores": ("period_start", "period_end", "level", "area_id", "metric", "group"),
    "attendees": ("event_id", "participant_key"),
}
DUPLICATE = "duplicate of row"  # how a removed repeated row's reason starts
MODES = {"add": "add new rows and update rows with the same id", "replace": "replace the whole table"}
MIN_NAME_SCORE = 0.6

# Other names exports use for each contract column (compared after normalising: lower case, _ for spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "event_id": ("id", "event", "eventid", "uid", "event_number", "event_no"),
    "start": (
        "start_date",
        "date",
        "start_time",
        "starts",
        "begin",
        "event_date",
        "when",
        "dtstart",
        "date_time",
        "datetime",
    ),
    "program": ("programme", "type", "event_type", "category", "program_type"),
    "area_id": (
        "area",
        "district",
        "district_id",
        "neighborhood",
        "neighbourhood",
        "ward",
        "zone",
        "community_area",
        "precinct",
    ),
    "title": ("name", "event_name", "subject", "summary", "event_title", "event"),
    "description": ("details", "notes", "body", "event_description"),
    "beat": ("beat_number", "police_beat", "beat_id"),
    "address": ("location", "where", "venue", "place", "street", "location_address", "event_location"),
    "lat": ("latitude", "y", GEOMETRY_LAT.replace(" ", "_")),
    "lon": ("lng", "long", "longitude", "x", GEOMETRY_LON.replace(" ", "_")),
    "attendance": (
        "attendees",
        "attended",
        "people",
        "headcount",
        "participants",
        "total_attendance",
        "count",
    ),
    "youth_attendance": ("youth", "youth_attendees", "under_18", "youth_count"),
    "officers": ("officer_count", "number_of_officers", "officers_present"),
    "officer_hours": ("hours", "staff_hours"),
    "cost": ("spend", "expense", "expenses", "amount", "total_cost"),
    "partner": ("organisation", "organization", "host", "sponsor", "partner_organisation"),
    "response_id": ("id", "respondent_id", "respondent", "submission_id", "responseid"),
    "submitted": (
        "date",
        "timestamp",
        "submitted_at",
        "completed",
        "end_date",
        "recorded_date",
        "created",
        "date_submitted",
    ),
    "channel": ("source", "mode", "collector", "collected_by"),
    "trust": ("i_trust_the_police", "trust_score", "q_trust"),
    "safety": ("safe", "feel_safe", "safety_score", "q_safety"),
    "listen": ("listens", "police_listen", "q_listen"),
    "respect": ("respectful", "treat_with_respect", "q_respect"),
    "comment": ("comments", "feedback", "open_ended", "text", "anything_else", "remarks"),
    "language": ("lang", "survey_language"),
    "age_group": ("age", "age_range", "age_band"),
    "gender": ("sex",),
    "race_ethnicity": ("race", "ethnicity", "race_and_ethnicity"),
    "concern_id": ("id", "case_id", "ticket", "issue_id"),
    "raised": ("date", "reported", "created", "opened", "date_raised", "date_reported"),
    "topic": ("category", "issue", "type", "concern_type"),
    "summary": ("description", "concern", "details", "what_residents_said"),
    "source": ("raised_at", "origin", "channel"),
    "status": ("state",),
    "action": ("action_taken", "response", "resolution", "what_we_did"),
    "resolved": ("closed", "resolved_date", "date_resolved", "closed_date", "resolved_on"),
    "period_start": ("start_date", "start", "from", "week_start", "month"),
    "period_end": ("end_date", "end", "to", "week_end"),
    "metric": ("measure", "indicator", "question"),
    "value": ("score", "result", "percent", "pct"),
    "n": ("count", "responses", "respondents", "sample_size"),
    "group": ("breakdown", "demographic", "subgroup"),
    "name": ("area_name", "neighborhood", "neighbourhood", "label"),
    "parent_id": ("parent", "parent_area"),
    "population": ("pop", "residents", "total_population"),
    "participant_key": ("participant", "person_id", "attendee_id", "key", "participant_id"),
    "home_area_id": ("home_area", "residence_area", "home_district"),
}


class ImportProblem(DataError):
    """An upload or mapping that cannot be imported, with a message saying why and what to do."""


@dataclass
class Upload:
    """A file as uploaded: its cells, what could not be read, and (GeoJSON) its geometries."""

    name: str
    kind: str  # csv | excel | json | geojson
    frame: pd.DataFrame
    size: int
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    geometries: list[dict | None] | None = None  # GeoJSON: each feature's geometry as given

    @property
    def row_offset(self) -> int:
        """Row number of the first data row: 2 below a header row, else 1 (records, features)."""
        return 2 if self.kind in ("csv", "excel") else 1

    unsure_sheet: bool = False  # a workbook of several sheets, none chosen or named like a table


@dataclass
class Context:
    """What the import is checked against: the data already in the target."""

    areas: pd.DataFrame | None = None  # known areas (area_id, name, centroids), None when unknown
    index: AreaIndex | None = None
    boundaries: Boundaries | None = None
    event_ids: set[str] | None = None
    areas_have_boundaries: bool = False


@dataclass
class Prepared:
    """An upload mapped, transformed and validated: what a commit would store, and the report."""

    table: str
    file: str
    profile: Profile
    accepted: pd.DataFrame  # typed, contract columns
    report: TableReport
    rejected: pd.DataFrame  # row, reason, then the row's cells as uploaded
    duplicates: int
    notes: list[str]
    geometries: list[dict | None] | None = None  # areas: the geometry of each accepted row
    source_rows: int = 0

    @property
    def rows_accepted(self) -> int:
        """Rows a commit would store."""
        return len(self.accepted)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected for a reason (repeated rows not counted)."""
        return len(self.rejected) - self.duplicates

    @property
    def rows_read(self) -> int:
        """Rows the mapping produced (for a wide table, one per score)."""
        return self.rows_accepted + len(self.rejected)

    @property
    def rejected_share(self) -> float:
        """Rejected rows as a percentage of the rows read (repeated rows left out of both)."""
        base = self.rows_read - self.duplicates
        return 100.0 * self.rows_rejected / base if base else 0.0

    def stored(self) -> pd.DataFrame:
        """The accepted rows as they will be written: text cells, ISO dates, whole numbers without .0."""
        return storage_frame(self.accepted, TABLES[self.table])

    def preview(self, areas: pd.DataFrame | None = None, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
        """The first rows as stored; events also show where they will be drawn (approximate or exact)."""
        head = self.accepted.head(rows)
        shown = storage_frame(head, TABLES[self.table])
        if self.table == "events" and areas is not None and len(head):
            placed, _ = place_events(head, areas)
            shown["placed on the map"] = np.where(
                placed["lat"].isna(),
                "not mapped",
                np.where(placed[APPROXIMATE], "at its area's centre (approximate)", "at its coordinates"),
            )
        return shown

    def summary(self) -> list[str]:
        """The report in a few lines of words."""
        lines = [
            f"{self.file} → {self.table}: {self.rows_read:,} rows read, {self.rows_accepted:,} accepted, "
            f"{self.rows_rejected:,} rejected"
            + (f", {self.duplicates:,} repeated rows removed" if self.duplicates else "")
            + (
                f" (from {self.source_rows:,} rows of a wide table, one per score)"
                if self.profile.wide
                else ""
            )
        ]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"warning: {w}" for w in self.report.warnings]
        lines += [f"error: {e}" for e in self.report.errors]
        return lines


# --- reading an upload -----------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_upload(
    name: str,
    data: bytes,
    *,
    sheet: str | None = None,
    table: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Upload:
    """Read an uploaded file; ImportProblem says clearly why a file cannot be used."""
    name = Path(name).name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise ImportProblem(
            f"{name}: cannot import a {suffix or 'file without an ending'}; use CSV, Excel (.xlsx), JSON or GeoJSON"
        )
    kind = UPLOAD_TYPES[suffix]
    if len(data) > max_bytes:
        raise ImportProblem(
            f"{name}: the file is {_size(len(data))}, above the {_size(max_bytes)} limit; split it (by month, "
            "say) and import the parts, or load it with `python -m cpdash import`"
        )
    if not data.strip():
        raise ImportProblem(f"{name}: the file is empty")
    what = sniff(data[:8])
    if kind == "excel" and not data.startswith(b"PK\x03\x04"):
        looks = what or ("CSV or other text" if _is_text(data) else "not a workbook")
        raise ImportProblem(
            f"{name}: not an Excel workbook (it looks like {looks}); save it from Excel as .xlsx, or give it "
            "the ending of what it is"
        )
    if kind != "excel" and what is not None:
        raise ImportProblem(
            f"{name}: not a {kind.upper() if kind != 'geojson' else 'GeoJSON'} file (it looks like {what}); "
            "give it the ending of what it is, or save it again as "
            f"{'CSV (UTF-8)' if kind == 'csv' else kind.upper()}"
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportProblem(f"{name}: the text is UTF-16; save it as UTF-8 (in Excel: 'CSV UTF-8')")
    with tempfile.TemporaryDirectory(prefix="cpdash-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            if kind == "geojson" or (kind == "json" and b'"FeatureCollection"' in data[:4096]):
                return _geojson_upload(name, read_geojson(path), len(data))
            raw = read_raw(path, table, sheet)
        except DataError as exc:
            raise ImportProblem(str(exc)) from exc
        except OSError as exc:
            raise ImportProblem(f"{name}: cannot be read ({exc})") from exc
    frame = raw.data if isinstance(raw, RawFile) and isinstance(raw.data, pd.DataFrame) else pd.DataFrame()
    if frame.shape[1] == 0:
        raise ImportProblem(f"{name}: no columns found")
    notes = list(raw.warnings)
    if kind == "csv" and _not_utf8(data):
        notes.append(f"{name}: not UTF-8 text; read as Windows-1252 (check accented letters in the preview)")
    frame.columns = [str(c) for c in frame.columns]
    unsure = len(raw.sheets) > 1 and sheet is None and sheet_for_table(raw.sheets, table) is None
    return Upload(
        name, kind, frame, len(data), raw.bad_rows, notes, raw.sheets, raw.sheet, unsure_sheet=unsure
    )


def _is_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _geojson_upload(name: str, collection: dict, size: int) -> Upload:
    """A FeatureCollection as rows: feature properties, plus the coordinates of point features."""
    features = collection["features"]
    if not features:
        raise ImportProblem(f"{name}: the FeatureCollection has no features")
    rows, geometries = [], []
    for feature in features:
        props = dict(feature.get("properties") or {}) if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                props[GEOMETRY_LON], props[GEOMETRY_LAT] = coords[0], coords[1]
        rows.append(props)
        geometries.append(geometry if isinstance(geometry, dict) else None)
    frame = pd.DataFrame.from_records(rows)
    frame.columns = [str(c) for c in frame.columns]
    return Upload(name, "geojson", frame, size, geometries=geometries)


def geometry_problems(upload: Upload, table: str) -> list[tuple[int, str]]:
    """(position, reason) for features whose geometry the table cannot use (areas: polygons; else points)."""
    if upload.geometries is None:
        return []
    problems = []
    for position, geometry in enumerate(upload.geometries):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if table == "areas":
            _, problem, _ = polygon_from(geometry)  # off the globe, NaN, empty: rejected; crossing: repaired
            if problem:
                problems.append((position, problem))
        elif kind is not None and kind != "Point":
            problems.append((position, f"geometry must be a Point, not {kind}"))
        elif kind == "Point":
            coords = geometry.get("coordinates")
            ok = isinstance(coords, list) and len(coords) >= 2
            ok = ok and all(
                isinstance(c, (int, float)) and not isinstance(c, bool) and np.isfinite(c) for c in coords[:2]
            )  # NaN and Infinity are not a place
            if not ok:
                problems.append((position, f"invalid geometry (Point coordinates {str(coords)[:40]})"))
    return problems


# --- suggestions -----------------------------------------------------------------------------------


def suggest_table(upload: Upload) -> str:
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
    wide = transforms.suggest_wide(upload.frame.head(SAMPLE_ROWS))
    if wide.values and wide.period_start:
        return "area_scores"
    best, best_score = "events", 0.0
    facts = column_facts(upload.frame)
    for table in TABLES.values():
        mapping = suggest_columns(upload.frame, table.name, facts)
        # ids can be built and areas found in text; an event's program can come from its title
        required = [c for c in table.required_columns if c not in (table.key, "area_id")]
        found = [c for c in required if c in mapping or (c == "program" and "title" in mapping)]
        score = 10.0 * len(found) / max(len(required), 1) + len(mapping)
        if score > best_score:
            best, best_score = table.name, score
    return best


@dataclass(frozen=True)
class Suggestion:
    """A source column suggested for a contract column, and why."""

    source: str
    why: str
    score: float


def _name_score(contract: str, source: str) -> tuple[float, str]:
    """How much a source column's name looks like a contract column's: (0..1, why)."""
    key = normalise_column_name(source)
    if key == contract:
        return 1.0, "same name"
    if key in SYNONYMS.get(contract, ()):
        return 0.9, f"'{source}' is a usual name for it"
    words = set(key.split("_"))
    if contract in words or set(contract.split("_")) <= words:
        return 0.75, f"'{source}' contains '{contract}'"
    ratio = max(
        [difflib.SequenceMatcher(None, key, contract).ratio()]
        + [difflib.SequenceMatcher(None, key, s).ratio() for s in SYNONYMS.get(contract, ())]
    )
    return (0.7 * ratio, f"'{source}' is spelt like it") if ratio >= 0.8 else (0.0, "")


@dataclass(frozen=True)
class ColumnFacts:
    """What a source column's first rows hold, worked out once per file."""

    present: bool
    date_share: float
    number_share: float
    coordinate_lat: float
    coordinate_lon: float


def column_facts(frame: pd.DataFrame) -> dict[str, ColumnFacts]:
    """Facts about each column of the first SAMPLE_ROWS rows (distinct values only)."""
    facts = {}
    for source in frame.columns:
        text = to_text(frame[source].head(SAMPLE_ROWS)).dropna()
        if text.empty:
            facts[str(source)] = ColumnFacts(False, 0.0, 0.0, 0.0, 0.0)
            continue
        counts = text.value_counts()
        distinct = pd.Series(counts.index.astype("str"))
        weights = counts.to_numpy() / counts.sum()
        numbers = parse_numbers(distinct)
        number_share = float(weights[numbers.notna().to_numpy()].sum())
        date_share = (
            0.0 if number_share > 0.9 else float(weights[parse_dates(distinct).notna().to_numpy()].sum())
        )
        lat = lon = 0.0
        if number_share > 0.9 and numbers.abs().max() > 1:
            lat = float(weights[numbers.between(-90, 90).to_numpy()].sum())
            lon = float(weights[numbers.between(-180, 180).to_numpy()].sum())
        facts[str(source)] = ColumnFacts(True, date_share, number_share, lat, lon)
    return facts


def _content_share(kind: str, name: str, facts: ColumnFacts) -> tuple[float, str]:
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


def suggest_columns(
    frame: pd.DataFrame, table: str, facts: dict[str, ColumnFacts] | None = None
) -> dict[str, Suggestion]:
    """For each contract column, the source column that fits it best (by name, checked by content)."""
    spec = TABLES[table]
    sample = frame.head(0)
    facts = facts if facts is not None else column_facts(frame)
    candidates = []
    for column in spec.columns:
        for source in sample.columns:
            score, why = _name_score(column.name, str(source))
            if score < MIN_NAME_SCORE * 0.7:
                continue
            share, content = _content_share(column.kind, column.name, facts[str(source)])
            if column.kind in ("date", "datetime", "int", "float") and content != "empty":
                if share < 0.5:
                    continue
                score *= 0.8 + 0.2 * share
                why += f"; content: {content}"
            candidates.append((score, column.name, str(source), why))
    # columns no name points at: required dates and coordinates may still be found by their content
    for column in spec.columns:
        if column.kind in ("date", "datetime") and column.required:
            for source in sample.columns:
                share, content = _content_share(column.kind, column.name, facts[str(source)])
                if share >= 0.9:
                    candidates.append((0.5 * share, column.name, str(source), f"content: {content}"))
    chosen: dict[str, Suggestion] = {}
    used: set[str] = set()
    for score, contract, source, why in sorted(candidates, key=lambda c: -c[0]):
        if contract in chosen or source in used or score < MIN_NAME_SCORE * 0.7:
            continue
        chosen[contract] = Suggestion(source, why, round(score, 2))
        used.add(source)
    return chosen


def suggest_profile(upload: Upload, table: str, context: Context | None = None, name: str = "") -> Profile:
    """A full mapping for `upload` into `table`: columns, date formats, scales and the transforms it needs."""
    context = context or Context()
    frame = upload.frame
    profile = Profile(name=name or Path(upload.name).stem, table=table, sheet=upload.sheet)
    if table == "area_scores":
        columns = {normalise_column_name(c) for c in frame.columns}
        if not {"metric", "value"} <= columns:
            wide = transforms.suggest_wide(frame.head(SAMPLE_ROWS * 4))
            if wide.values:
                profile.wide = wide
                return profile
    mapping = suggest_columns(frame, table)
    profile.columns = {contract: s.source for contract, s in mapping.items()}
    spec = TABLES[table]
    sample = frame.head(SAMPLE_ROWS)
    for column in spec.columns:
        source = profile.columns.get(column.name)
        if column.kind in ("date", "datetime") and source:
            profile.date_formats[column.name] = transforms.suggest_date_format(frame[source])
            if column.kind == "datetime":
                time_column = _time_column(sample, source, set(profile.columns.values()))
                if time_column:
                    profile.time_columns[column.name] = time_column
        if table == "responses" and column.name in ("trust", "safety", "listen", "respect") and source:
            profile.scales[column.name] = transforms.suggest_scale(frame[source])
    if table == "events":
        program = profile.columns.get("program")
        title = profile.columns.get("title")
        fits = program and _share_of_programs(sample[program]) >= 0.8
        if title and not fits:
            profile.program_from = title
    if "area_id" in spec.names and "area_id" not in profile.columns:
        text_source = profile.columns.get("address") or profile.columns.get("title")
        if text_source is None:
            text_source = next(
                (str(c) for c in frame.columns if str(c) not in profile.columns.values()), None
            )
        if text_source is not None:
            profile.area_from = text_source
    if spec.key and spec.key not in profile.columns:
        profile.id_from = _id_columns(table, profile)
    return profile


_PROGRAM_KEYS = frozenset(
    re.sub(r"[^0-9a-z]+", " ", p.lower()).strip() for p in (*PROGRAMS, *PROGRAM_ALIASES)
)


def _is_program(value: str) -> bool:
    """True when `value` names a program (or one of its other spellings)."""
    return re.sub(r"[^0-9a-z]+", " ", str(value).lower()).strip() in _PROGRAM_KEYS


def _share_of_programs(values: pd.Series) -> float:
    text = to_text(values).dropna()
    return float(text.map(_is_program).mean()) if len(text) else 0.0


def _time_column(sample: pd.DataFrame, date_source: str, used: set[str]) -> str | None:
    """A column of times of day beside a date column that has none (calendar exports split them)."""
    dates = parse_dates(sample[date_source]).dropna()
    if dates.empty or (dates != dates.dt.normalize()).any():
        return None
    for column in sample.columns:
        name = normalise_column_name(column)
        if str(column) in used or str(column) == date_source or "time" not in name or "end" in name:
            continue
        times = transforms.parse_times(sample[column])
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


# --- context ---------------------------------------------------------------------------------------


def context_from_dataset(ds: Dataset) -> Context:
    """What an import into the loaded data set is checked against."""
    areas_report = ds.report.tables.get("areas")
    has_areas = areas_report is not None and areas_report.status == "loaded"
    boundaries = None
    if ds.areas_geojson:
        ids, geoms = [], []
        for feature in ds.areas_geojson.get("features", []):
            ids.append(str(feature["properties"]["area_id"]))
            geoms.append(shape(feature["geometry"]))
        boundaries = Boundaries(tuple(ids), tuple(geoms))
    return Context(
        areas=ds.areas if len(ds.areas) else None,
        index=AreaIndex(tuple(ds.areas["area_id"])) if has_areas else None,
        boundaries=boundaries,
        event_ids=set(ds.events["event_id"]) if len(ds.events) else None,
        areas_have_boundaries=bool(ds.areas_geojson),
    )


# --- applying a mapping ----------------------------------------------------------------------------


def _quoted(text: pd.Series) -> pd.Series:
    return "'" + text.astype("str").str.slice(0, 60) + "'"


def prepare(upload: Upload, profile: Profile, context: Context | None = None) -> Prepared:
    """Apply `profile` to `upload` and validate the result against the contract and the `context`."""
    context = context or Context()
    if profile.table not in TABLES:
        raise ImportProblem(f"unknown table {profile.table!r}")
    table = TABLES[profile.table]
    missing = profile.missing_columns(list(upload.frame.columns))
    if missing:
        raise ImportProblem(
            f"{upload.name}: the mapping '{profile.name}' reads columns this file does not have: "
            + ", ".join(repr(c) for c in missing)
        )
    source = upload.frame.reset_index(drop=True)
    numbers = np.arange(len(source)) + upload.row_offset
    early: dict[int, str] = {}  # source position -> reason, found before mapping
    for position, reason in upload.bad_rows + geometry_problems(upload, table.name):
        early.setdefault(position, reason)
    notes: list[str] = list(upload.notes)
    reasons: dict[int, str] = {}  # shaped position -> reason, from the transforms

    if profile.wide is not None:
        if table.name != "area_scores":
            raise ImportProblem("only area_scores can be read from a wide table")
        kept = source.drop(index=list(early))
        try:
            shaped, positions, wide_notes = transforms.wide_to_long(kept, profile.wide)
        except ValueError as exc:
            raise ImportProblem(f"{upload.name}: {exc}") from exc
        positions = kept.index.to_numpy()[positions]
        notes += wide_notes
        row_numbers = numbers[positions]
        originals = shaped.copy()
        pre_rejected = _pre_rejected(source, early, numbers)
    else:
        shaped, reasons = _shape(source, profile, table, context, notes)
        for position, reason in early.items():
            reasons[position] = reason
        positions = np.arange(len(source))
        row_numbers = numbers
        originals = source
        pre_rejected = pd.DataFrame()

    duplicate = transforms.duplicate_of(shaped)
    duplicates = 0
    for position in np.flatnonzero(duplicate.notna().to_numpy()):
        if position not in reasons:
            reasons[int(position)] = (
                f"{DUPLICATE} {row_numbers[int(duplicate.iloc[position])]} (the same values)"
            )
            duplicates += 1
    if table.name in NATURAL_KEYS:
        _conflicts(shaped, table.name, reasons, row_numbers)

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
    geometries = None
    if upload.geometries is not None and table.name == "areas":
        geometries = [upload.geometries[i] for i in accepted.index]
    if table.name == "areas" and geometries is None and context.areas_have_boundaries and context.index:
        known = set(context.index.ids)
        new = ~accepted["area_id"].isin(known)
        if new.any():
            report.warnings.append(
                f"{int(new.sum()):,} new areas have no boundary: only areas already on the map can be updated "
                "from a file without geometry; those rows are rejected"
            )
            extra = accepted[new]
            rejected = pd.concat(
                [
                    rejected,
                    _rows_as_rejected(
                        originals.loc[extra.index],
                        numbers[extra.index],
                        "a new area needs a boundary (import areas as GeoJSON)",
                    ),
                ],
                ignore_index=True,
            )
            accepted = accepted[~new]
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
        geometries=geometries,
        source_rows=len(source),
    )


def _shape(
    source: pd.DataFrame, profile: Profile, table: Table, context: Context, notes: list[str]
) -> tuple[pd.DataFrame, dict[int, str]]:
    """The contract-shaped frame (one column per mapped contract column) and reasons found on the way."""
    reasons: dict[int, str] = {}

    def reject(mask: pd.Series, text: pd.Series | str) -> None:
        for position in np.flatnonzero(mask.to_numpy(dtype=bool)):
            reasons.setdefault(int(position), text if isinstance(text, str) else str(text.iloc[position]))

    shaped = pd.DataFrame(index=source.index)
    for column in table.columns:
        name = profile.columns.get(column.name)
        if name is None:
            continue
        values = source[name]
        if column.kind in ("date", "datetime"):
            fmt = profile.date_formats.get(column.name, transforms.AUTO)
            time_source = profile.time_columns.get(column.name)
            times = source[time_source] if time_source else None
            parsed = transforms.parse_date_column(values, fmt, times)
            present = to_text(values).notna()
            expected = (
                "" if fmt == transforms.AUTO else f" (expected {transforms.DATE_CHOICES.get(fmt, fmt)})"
            )
            bad = present & parsed.isna()
            if time_source:
                bad_time = (
                    to_text(source[time_source]).notna() & transforms.parse_times(source[time_source]).isna()
                )
                reject(
                    present & bad_time, f"bad time in {time_source}: " + _quoted(to_text(source[time_source]))
                )
            reject(bad, f"bad date in {column.name}: " + _quoted(to_text(values)) + expected)
            if fmt == transforms.AUTO:
                message = transforms.mixed_date_message(column.name, values)
                if message:
                    notes.append(message)
            shaped[column.name] = parsed
        elif table.name == "responses" and column.name in profile.scales:
            scale = profile.scales[column.name]
            answers, bad = transforms.rescale(values, scale)
            reject(
                bad,
                f"{column.name} answer "
                + _quoted(to_text(values))
                + f" is not on the {transforms.SCALES[scale]} scale",
            )
            shaped[column.name] = answers
            if scale != "0-10":
                notes.append(f"{column.name}: rescaled to 0–10 from {transforms.SCALES[scale]}")
        else:
            shaped[column.name] = values
    if table.name == "events" and profile.program_from:
        titles = to_text(source[profile.program_from])
        programs, matched = transforms.programs_from_titles(titles, profile.program_rules)
        if "program" in shaped:  # the program column where it names a known program, the rules elsewhere
            given = to_text(shaped["program"])
            programs = given.where(
                given.map(_is_program, na_action="ignore").fillna(False).astype(bool), programs
            )
        unmatched = programs.isna() & titles.notna()
        shaped["program"] = programs.where(~unmatched, "Other")
        counts = matched.value_counts()
        if len(counts):
            notes.append(
                f"program from '{profile.program_from}' by the rules: "
                + ", ".join(f"'{w}' {n:,}" for w, n in counts.head(8).items())
                + (", …" if len(counts) > 8 else "")
            )
        if unmatched.any():
            n = int(unmatched.sum())
            examples = titles[unmatched].value_counts().head(3)
            notes.append(
                f"{n:,} title{'s' if n != 1 else ''} matched no rule and {'are' if n != 1 else 'is'} counted "
                "as Other: " + ", ".join(f"'{t}'" for t in examples.index) + " (add a rule to place them)"
            )
    if "area_id" in table.names and profile.area_from:
        found = transforms.areas_from_text(source[profile.area_from], context.areas)
        if "area_id" in shaped:
            found = to_text(shaped["area_id"]).fillna(found)
        none = found.isna()
        reject(
            none,
            "no area found in "
            + profile.area_from
            + ": "
            + _quoted(to_text(source[profile.area_from]).fillna("")),
        )
        shaped["area_id"] = found
    for name in ("area_id", "home_area_id"):
        if name in shaped:
            known = context.index.ids if context.index is not None else None
            shaped[name] = transforms.normalise_area_ids(shaped[name], known)
    if table.key and profile.id_from:
        ids = transforms.build_ids(source, profile.id_from, ID_PREFIX.get(table.name, ""))
        if table.key in shaped:
            ids = to_text(shaped[table.key]).fillna(ids)
        shaped[table.key] = ids
    order = [c for c in table.names if c in shaped]
    return shaped[order], reasons


def _conflicts(shaped: pd.DataFrame, table: str, reasons: dict[int, str], row_numbers: np.ndarray) -> None:
    """Rows giving another value for the same period, area, metric and group as an earlier row."""
    columns = [c for c in NATURAL_KEYS[table] if c in shaped]
    if len(columns) < 2:
        return
    keys = shaped[columns].astype("str")
    candidates = np.array([i not in reasons for i in range(len(shaped))], dtype=bool)
    if not candidates.any():
        return
    live = keys[candidates]
    later = live.duplicated(keep="first")
    if not later.any():
        return
    first_of = live.reset_index().groupby(columns, sort=False)["index"].transform("first")
    first_of.index = live.index
    what = ", ".join(columns)
    for position in later[later].index:
        reasons[int(position)] = (
            f"another value for the same {what} (first on row {row_numbers[int(first_of[position])]})"
        )


def _pre_rejected(source: pd.DataFrame, early: dict[int, str], numbers: np.ndarray) -> pd.DataFrame:
    """Rows rejected before a wide table was turned long: their cells as uploaded, with the reason."""
    if not early:
        return pd.DataFrame()
    positions = sorted(early)
    return _rows_as_rejected(source.iloc[positions], numbers[positions], [early[p] for p in positions])


def _rows_as_rejected(rows: pd.DataFrame, numbers: np.ndarray, reason: str | list[str]) -> pd.DataFrame:
    out = rows.astype("str").where(rows.notna(), "").reset_index(drop=True)
    out.insert(0, "reason", reason)
    out.insert(0, "row", np.asarray(numbers))
    return out


def _rejected(
    originals: pd.DataFrame, report: TableReport, row_numbers: np.ndarray, accepted: pd.Index
) -> pd.DataFrame:
    """Rejected rows with their cells as uploaded (not as mapped), after their row number and reason."""
    if report.rejected.empty:
        return pd.DataFrame(columns=["row", "reason", *map(str, originals.columns)])
    mask = ~np.isin(np.arange(len(originals)), accepted.to_numpy())
    cells = originals.loc[mask]
    out = cells.astype("str").where(cells.notna(), "").reset_index(drop=True)
    out.insert(0, "reason", report.rejected["reason"].to_numpy())
    out.insert(0, "row", row_numbers[mask])
    return out


# --- the stored form -------------------------------------------------------------------------------


def storage_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Typed contract rows as text cells: ISO dates (with time when there is one), plain numbers."""
    out = {}
    for column in table.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        if column.kind in ("date", "datetime"):
            values = pd.to_datetime(values)
            has_time = column.kind == "datetime" and bool(
                (values.dropna() != values.dropna().dt.normalize()).any()
            )
            text = values.dt.strftime("%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d")
            out[column.name] = text.where(values.notna())
        elif column.kind in ("int", "float"):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            whole = numbers.notna() & (numbers == numbers.round())
            text = numbers.map(lambda v: f"{v:.10g}", na_action="ignore")
            text = text.where(~whole, numbers.where(whole, 0).astype("int64").astype("str"))
            out[column.name] = text.where(numbers.notna())
        else:
            out[column.name] = to_text(values)
    return pd.DataFrame(out, index=frame.index).astype("object").where(lambda f: f.notna(), None)


def reason_counts(rejected: pd.DataFrame) -> pd.DataFrame:
    """How many rejected rows each kind of reason has (the reason up to its colon or quoted value)."""
    if rejected.empty or "reason" not in rejected:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    kind = rejected["reason"].astype("str").str.split(":", n=1).str[0].str.replace(r" '.*$", "", regex=True)
    kind = kind.str.replace(r"^(duplicate of row) \d+.*$", r"\1 …", regex=True)
    kind = kind.str.replace(r" \(first on row \d+\)$", "", regex=True)
    counts = kind.value_counts()
    return pd.DataFrame({"reason": counts.index.astype("str"), "rows": counts.to_numpy()})


def rejected_count_over(prepared: Prepared, max_rejected_percent: float | None) -> bool:
    """True when the rejected rows are above the threshold a user set (in % of the rows read)."""
    if max_rejected_percent is None:
        return False
    return prepared.rejected_share > max_rejected_percent
