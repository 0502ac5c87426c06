"""Readers for the files of a data source: CSV, Parquet, Excel, JSON and GeoJSON."""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cpdash.data import limits
from cpdash.data.jsonfile import load_json, records_frame
from cpdash.data.schema import FILE_SUFFIXES, TABLES

_KEY = re.compile(r"[^0-9a-z]+")
CSV_ENCODINGS = ("utf-8-sig", "cp1252")  # utf-8-sig reads plain UTF-8 and UTF-8 with a BOM
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-"]


MAX_RECORD_LINES = 200  # a quoted cell spanning more lines than this is taken as a quote never closed
SHOWN_LINE = 80  # characters of a bad line quoted in its reason
# First bytes of file types people save under the wrong name.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Word file"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
)


class DataError(Exception):
    """A file or table that cannot be used, with a message naming the file and what is wrong."""


@dataclass
class RawFile:
    """One file as read: its cells (or GeoJSON), notes, and rows that could not be split into cells."""

    data: pd.DataFrame | dict
    warnings: list[str] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (position in data, reason)
    sheets: tuple[str, ...] = ()  # every sheet of a workbook
    sheet: str | None = None  # the sheet read


def within_limits(check: Callable[..., None], *args: object) -> None:
    """Run one of cpdash.data.limits' checks; a file above a limit is a DataError naming the limit."""
    try:
        check(*args)
    except limits.LimitError as exc:
        raise DataError(str(exc)) from None


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is (\"a PDF document\", ...), or None for plain text."""
    for magic, what in MAGIC:
        if head.startswith(magic):
            return what
    return None


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV file as text cells, trying UTF-8 (with or without BOM) then Windows-1252."""
    with path.open("rb") as handle:
        if b"\x00" in handle.read(65536):  # never in UTF-8 or Windows-1252 text
            raise DataError(
                f"{path.name}: not a CSV file (it holds binary data, or UTF-16 text: save it as CSV UTF-8)"
            )
    within_limits(limits.check_csv, path)
    last: Exception | None = None
    for encoding in CSV_ENCODINGS:
        try:
            with warnings.catch_warnings():
                # a row with more cells than the header: an error, as it is for every row but the first
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return pd.read_csv(
                    path,
                    dtype=str,
                    encoding=encoding,
                    na_values=NA_VALUES,
                    keep_default_na=False,
                    skipinitialspace=True,
                    index_col=False,  # never take extra cells as an index: that shifts every column
                )
        except pd.errors.ParserWarning as exc:
            raise DataError(
                f"{path.name}: not a readable CSV file (a row has more cells than the header)"
            ) from exc
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{path.name}: the file is empty") from exc
        except pd.errors.ParserError as exc:
            raise DataError(f"{path.name}: not a readable CSV file ({_first_line(exc)})") from exc
    raise DataError(f"{path.name}: text is neither UTF-8 nor Windows-1252 ({last})")


def read_csv_rows(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Read a CSV file as text cells, keeping going past badly formed rows: (frame, [(position, reason)]).

    A row with more cells than the header, or a quote that is never closed, becomes a row of the frame
    (its cells cut to the header) listed with its reason, so that it is rejected and shown, not lost.
    """
    try:
        return read_csv(path), []
    except DataError as exc:
        if not isinstance(exc.__cause__, (pd.errors.ParserError, pd.errors.ParserWarning)):
            raise
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            return _tolerant_csv(path.name, data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path.name}: text is neither UTF-8 nor Windows-1252")


def _record_is_open(text: str) -> bool:
    """True when `text` ends inside a quoted cell (a quote opened at the start of a cell, not closed)."""
    inside, at_start, i = False, True, 0
    while i < len(text):
        char = text[i]
        if inside:
            if char == '"':
                if i + 1 < len(text) and text[i + 1] == '"':
                    i += 1
                else:
                    inside = False
        elif char == '"' and at_start:
            inside = True
        at_start = char in ",\n\r" or (at_start and char == " ")
        i += 1
    return inside


def _shown(text: str) -> str:
    text = text.strip()
    return "'" + (text if len(text) <= SHOWN_LINE else text[: SHOWN_LINE - 1] + "…") + "'"


def _tolerant_csv(name: str, text: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Split CSV text record by record; records that cannot be read become bad rows with a reason."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise DataError(f"{name}: the file is empty")
    header = [h.strip() for h in next(csv.reader([lines[start]]))]
    while header and header[-1] == "" and len(header) > 1:
        header.pop()
    seen: dict[str, int] = {}
    for i, h in enumerate(header):  # the same names pandas gives repeated headers: a, a.1, a.2
        if h in seen:
            seen[h] += 1
            header[i] = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
    width, missing = len(header), set(NA_VALUES)
    records: list[list[str | None]] = []
    bad: list[tuple[int, str]] = []
    i = start + 1
    while i < len(lines):
        chunk, j = lines[i], i
        while _record_is_open(chunk) and j + 1 < len(lines) and j - i < MAX_RECORD_LINES:
            j += 1
            chunk += lines[j]
        if not chunk.strip():
            i = j + 1
            continue
        reason = None
        try:
            if _record_is_open(chunk):
                raise csv.Error("a quote is opened and never closed")
            cells = next(csv.reader([chunk], strict=True))
        except csv.Error as exc:
            # only the first line is bad: the lines a broken quote swallowed are read again on their own
            closed = j == i and "never closed" not in str(exc)
            what = f"badly quoted cells ({exc})" if closed else "a quote is opened and never closed"
            reason = f"{what}: " + _shown(lines[i])
            cells, j = next(csv.reader([lines[i]])), i
        while len(cells) > width and cells[-1].strip() == "":  # trailing delimiters
            cells.pop()
        if len(cells) > width and reason is None:
            reason = f"{len(cells)} cells where the header has {width}: " + _shown(chunk)
        cells = [c.lstrip() for c in cells[:width]] + [""] * max(0, width - len(cells))
        if reason:
            bad.append((len(records), reason))
        records.append([None if c in missing else c for c in cells])
        i = j + 1
    frame = pd.DataFrame(records, columns=header, dtype="str") if records else pd.DataFrame(columns=header)
    return frame.astype("str").where(frame.notna()) if records else frame, bad


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_json_rows(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Read a JSON file holding a list of records (objects), or {"records": [...]}: cells and bad rows."""
    try:
        obj = load_json(path)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: JSON must be UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError as exc:
        raise DataError(f"{path.name}: not valid JSON (nested too deeply)") from exc
    except ValueError as exc:  # anything else the decoder refuses
        raise DataError(f"{path.name}: not valid JSON ({_first_line(exc)[:120]})") from exc
    if isinstance(obj, dict) and isinstance(obj.get("records"), list):
        obj = obj["records"]
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise DataError(f"{path.name}: JSON must be a list of records (objects with one key per column)")
    within_limits(limits.check_columns, path.name, limits.json_columns(obj))
    return records_frame(obj, NA_VALUES)


def read_json_records(path: Path) -> pd.DataFrame:
    """Read a JSON file of records as cells (records holding NaN or Infinity: see read_json_rows)."""
    return read_json_rows(path)[0]


def sheet_for_table(names: list[str] | tuple[str, ...], table: str | None) -> str | None:
    """The sheet named like `table` ("Area Scores" for area_scores), or like any table when None."""
    wanted = {table} if table else set(TABLES)
    return next((s for s in names if _KEY.sub("_", s.strip().lower()).strip("_") in wanted), None)


def read_excel(
    path: Path, table: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read `sheet`, else the sheet named like `table`, else the only (or first) sheet; frame and warnings."""
    frame, notes, _, _ = _read_workbook(path, table, sheet)
    return frame, notes


def _read_workbook(
    path: Path, table: str | None, sheet: str | None
) -> tuple[pd.DataFrame, list[str], tuple[str, ...], str]:
    """The chosen sheet as text cells, notes, every sheet name and the name of the sheet read."""
    within_limits(limits.check_workbook, path)
    try:
        sheets = pd.ExcelFile(path)
    except Exception as exc:
        raise DataError(f"{path.name}: not a readable Excel file ({_first_line(exc)})") from exc
    names = [str(s) for s in sheets.sheet_names]
    notes = []
    if sheet is not None and sheet not in names:
        raise DataError(f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
    named = sheet_for_table(names, table)
    chosen = sheet or named or names[0]
    if len(names) > 1 and sheet is None:
        which = "the one named like the table" if named else "the first"
        notes.append(f"{path.name}: {len(names)} sheets ({', '.join(names)}); read {which}, {chosen!r}")
    try:
        frame = pd.read_excel(
            sheets, sheet_name=chosen, dtype=str, na_values=NA_VALUES, keep_default_na=False
        )
    except Exception as exc:  # a damaged sheet inside a readable workbook
        raise DataError(f"{path.name}: sheet {chosen!r} is not readable ({_first_line(exc)})") from exc
    within_limits(limits.check_columns, path.name, frame.shape[1])
    return frame, notes, tuple(names), chosen


def read_geojson(path: Path) -> dict:
    """Read a GeoJSON FeatureCollection as a dict."""
    try:
        obj = load_json(path, constants_as_numbers=True)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError among them
        raise DataError(f"{path.name}: not valid GeoJSON ({_first_line(exc)[:120]})") from exc
    if (
        not isinstance(obj, dict)
        or obj.get("type") != "FeatureCollection"
        or not isinstance(obj.get("features"), list)
    ):
        raise DataError(f"{path.name}: GeoJSON must be a FeatureCollection with a list of features")
    properties = [f.get("properties") for f in obj["features"] if isinstance(f, dict)]
    within_limits(limits.check_columns, path.name, limits.json_columns(properties))
    return obj


def read_table_file(path: Path, table: str | None = None) -> tuple[pd.DataFrame | dict, list[str]]:
    """Read one file by its ending; GeoJSON comes back as a dict, everything else as a frame."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path), []
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            raise DataError(f"{path.name}: not a readable Parquet file ({_first_line(exc)})") from exc
        within_limits(limits.check_columns, path.name, frame.shape[1])
        return frame, []
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path, table)
    if suffix == ".geojson":
        return read_geojson(path), []
    if suffix == ".json":
        if '"FeatureCollection"' in _head(path):
            return read_geojson(path), []
        return read_json_records(path), []
    raise DataError(f"{path.name}: unsupported file type {suffix!r} (use {', '.join(FILE_SUFFIXES)})")


def _head(path: Path) -> str:
    """The first characters of a text file."""
    with path.open("rb") as handle:
        return handle.read(4096).decode("utf-8-sig", errors="ignore")


def read_raw(path: Path, table: str | None = None, sheet: str | None = None) -> RawFile:
    """Read one file by its ending, keeping rows of a CSV file that cannot be split as bad rows."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, bad = read_csv_rows(path)
        return RawFile(frame, bad_rows=bad)
    if suffix in (".xlsx", ".xlsm"):
        frame, notes, names, chosen = _read_workbook(path, table, sheet)
        return RawFile(frame, notes, sheets=names, sheet=chosen)
    if suffix == ".json" and '"FeatureCollection"' not in _head(path):
        frame, bad = read_json_rows(path)
        return RawFile(frame, bad_rows=bad)
    data, notes = read_table_file(path, table)
    return RawFile(data, notes)


SETTINGS_FILES = ("topics.csv", "topics.json", "programs.json")  # topic and program taxonomies


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each contract table to its file in `folder`; warn about duplicates and unknown files."""
    found: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name.lower() == "manifest.json":
            continue
        if path.name.lower() in SETTINGS_FILES:  # read by the pages that use them, not tables
            continue
        stem, suffix = path.stem.strip().lower(), path.suffix.lower()
        if stem in TABLES and suffix in (*FILE_SUFFIXES, ".xlsm"):
            found.setdefault(stem, []).append(path)
        elif suffix in FILE_SUFFIXES:
            ignored.append(path.name)
    chosen, warnings = {}, []
    for table, paths in found.items():
        paths.sort(
            key=lambda p: FILE_SUFFIXES.index(p.suffix.lower()) if p.suffix.lower() in FILE_SUFFIXES else 99
        )
        chosen[table] = paths[0]
        if len(paths) > 1:
            others = ", ".join(p.name for p in paths[1:])
            warnings.append(f"{table}: several files found; read {paths[0].name}, ignored {others}")
    if ignored:
        warnings.append(f"files not named after a table were ignored: {', '.join(ignored)}")
    return chosen, warnings
