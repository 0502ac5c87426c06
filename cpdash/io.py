"""Readers for the files of a data source: CSV, Parquet, Excel, JSON and GeoJSON."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from cpdash.schema import FILE_SUFFIXES, TABLES

CSV_ENCODINGS = ("utf-8-sig", "cp1252")  # utf-8-sig reads plain UTF-8 and UTF-8 with a BOM
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-"]


class DataError(Exception):
    """A file or table that cannot be used, with a message naming the file and what is wrong."""


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV file as text cells, trying UTF-8 (with or without BOM) then Windows-1252."""
    with path.open("rb") as handle:
        if b"\x00" in handle.read(65536):  # never in UTF-8 or Windows-1252 text
            raise DataError(
                f"{path.name}: not a CSV file (it holds binary data, or UTF-16 text: save it as CSV UTF-8)"
            )
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


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_json_records(path: Path) -> pd.DataFrame:
    """Read a JSON file holding a list of records (objects), or {"records": [...]}."""
    try:
        obj = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: JSON must be UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError as exc:
        raise DataError(f"{path.name}: not valid JSON (nested too deeply)") from exc
    if isinstance(obj, dict) and isinstance(obj.get("records"), list):
        obj = obj["records"]
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise DataError(f"{path.name}: JSON must be a list of records (objects with one key per column)")
    return pd.DataFrame.from_records(obj)


def read_excel(path: Path, table: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read the sheet named like `table`, else the only (or first) sheet; returns the frame and warnings."""
    try:
        sheets = pd.ExcelFile(path)
    except Exception as exc:
        raise DataError(f"{path.name}: not a readable Excel file ({_first_line(exc)})") from exc
    names = [str(s) for s in sheets.sheet_names]
    notes = []
    sheet = next((s for s in names if table and s.strip().lower() == table), names[0])
    if len(names) > 1:
        which = "the one named like the table" if table and sheet.strip().lower() == table else "the first"
        notes.append(f"{path.name}: {len(names)} sheets ({', '.join(names)}); read {which}, {sheet!r}")
    try:
        frame = pd.read_excel(sheets, sheet_name=sheet, dtype=str, na_values=NA_VALUES, keep_default_na=False)
    except Exception as exc:  # a damaged sheet inside a readable workbook
        raise DataError(f"{path.name}: sheet {sheet!r} is not readable ({_first_line(exc)})") from exc
    return frame, notes


def read_geojson(path: Path) -> dict:
    """Read a GeoJSON FeatureCollection as a dict."""
    try:
        obj = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"{path.name}: not valid GeoJSON ({_first_line(exc)})") from exc
    if (
        not isinstance(obj, dict)
        or obj.get("type") != "FeatureCollection"
        or not isinstance(obj.get("features"), list)
    ):
        raise DataError(f"{path.name}: GeoJSON must be a FeatureCollection with a list of features")
    return obj


def read_table_file(path: Path, table: str | None = None) -> tuple[pd.DataFrame | dict, list[str]]:
    """Read one file by its ending; GeoJSON comes back as a dict, everything else as a frame."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path), []
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path), []
        except Exception as exc:
            raise DataError(f"{path.name}: not a readable Parquet file ({_first_line(exc)})") from exc
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path, table)
    if suffix == ".geojson":
        return read_geojson(path), []
    if suffix == ".json":
        head = path.read_bytes()[:4096].decode("utf-8-sig", errors="ignore")
        if '"FeatureCollection"' in head:
            return read_geojson(path), []
        return read_json_records(path), []
    raise DataError(f"{path.name}: unsupported file type {suffix!r} (use {', '.join(FILE_SUFFIXES)})")


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each contract table to its file in `folder`; warn about duplicates and unknown files."""
    found: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name.lower() == "manifest.json":
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
