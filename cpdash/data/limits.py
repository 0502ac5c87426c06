"""Limits on what one file may hold, checked before it is read, so that a hostile or broken file is refused
in a moment with a message that names the limit, instead of holding the app for minutes."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

MAX_COLUMNS = 500  # columns in one file (sheet, JSON records, GeoJSON properties)
HEADER_BYTES = 4 * 1024 * 1024  # bytes of a CSV file looked at for its header
MAX_WORKBOOK_MB = 500  # megabytes a workbook's parts may unpack to, all together
MAX_PART_RATIO = 100  # times its packed size a part of a workbook may unpack to
RATIO_FROM_BYTES = 1024 * 1024  # parts smaller than this unpacked are not held to the ratio
MAX_PARTS = 10_000  # parts in one workbook
MB = 1024 * 1024


class LimitError(ValueError):
    """A file above one of the limits; the message names the file, the limit and what to do."""


def check_columns(name: str, columns: int) -> None:
    """Refuse a file with more than MAX_COLUMNS columns."""
    if columns > MAX_COLUMNS:
        raise LimitError(
            f"{name}: {columns:,} columns, above the limit of {MAX_COLUMNS:,} columns per file; keep the "
            "columns the table needs (see the data dictionary) and import that"
        )


def header_columns(path: Path) -> int:
    """How many cells the first non-blank line (the header) of a CSV file has, read from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                return len(row)
    except csv.Error:  # a header cut off inside a quote: count what was read
        return text.count(",") + 1
    return 0


def check_csv(path: Path) -> None:
    """Refuse a CSV file whose header has more than MAX_COLUMNS cells."""
    check_columns(path.name, header_columns(path))


def check_workbook(path: Path) -> None:
    """Refuse a workbook (a ZIP archive of XML parts) that would unpack to too much, or a zip bomb."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a ZIP archive: the Excel reader says what is wrong with it
    if len(parts) > MAX_PARTS:
        raise LimitError(
            f"{path.name}: the workbook has {len(parts):,} parts, above the limit of {MAX_PARTS:,}; save it "
            "again from Excel, or as CSV"
        )
    total = sum(part.file_size for part in parts)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size >= RATIO_FROM_BYTES and ratio > MAX_PART_RATIO:
            raise LimitError(
                f"{path.name}: its part {part.filename[:60]} unpacks to {ratio:,.0f} times its packed size, "
                f"above the limit of {MAX_PART_RATIO} times (no spreadsheet needs that: it may be built to "
                "exhaust memory); save it again from Excel, or as CSV"
            )
    if total > MAX_WORKBOOK_MB * MB:
        raise LimitError(
            f"{path.name}: the workbook unpacks to {total / MB:,.0f} MB, above the limit of {MAX_WORKBOOK_MB} MB; "
            "save it as CSV, or split it (by month, say)"
        )


def json_columns(records: list) -> int:
    """How many distinct keys a list of JSON records (or GeoJSON feature properties) has."""
    keys: set[str] = set()
    for record in records:
        if isinstance(record, dict):
            keys.update(record)
            if len(keys) > MAX_COLUMNS:
                break
    return len(keys)
