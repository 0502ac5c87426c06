"""Reading an uploaded file: CSV, Excel, JSON records or GeoJSON, with a clear message for a file that
cannot be used (too large, empty, of another type than its name says, UTF-16, ...)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cpdash.config import UPLOAD_LIMIT_MB
from cpdash.data.geo import polygon_from, repaired_note
from cpdash.data.readers import DataError, RawFile, read_geojson, read_raw, sheet_for_table, sniff

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
        except Exception as exc:  # a reader's own error on a malformed file: a message, never a traceback
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise ImportProblem(f"{name}: cannot be read as {kind.upper()} ({first})") from exc
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


def geometry_problems(upload: Upload, table: str, notes: list[str] | None = None) -> list[tuple[int, str]]:
    """(position, reason) for features whose geometry the table cannot use (areas: polygons; else points);
    boundaries that cross themselves are repaired, and a note in `notes` says which."""
    if upload.geometries is None:
        return []
    problems, repaired = [], []
    for position, geometry in enumerate(upload.geometries):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if table == "areas":
            _, problem, fixed = polygon_from(
                geometry
            )  # off the globe, NaN, empty: rejected; crossing: repaired
            if problem:
                problems.append((position, problem))
            elif fixed:
                repaired.append(str(position + 1))
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
    if repaired and notes is not None:
        notes.append(repaired_note(repaired))
    return problems
