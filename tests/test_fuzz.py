"""Fuzz tier: generated hostile rows thrown at every reader, the validator and the importer.

Dates from year 1 to 9999 in many spellings, numbers from -1e308 to 1e308 with NaN, infinities and integers of
thousands of digits, strings of every character class up to a megabyte, formula-like and blank cells, in CSV,
JSON, Excel and GeoJSON. Whatever comes in: no exception escapes (a file that cannot be used is a DataError
saying why), every row is kept or rejected with a reason, what is kept obeys the contract, and a commit that
fails leaves the stored data exactly as it was. Deterministic (derandomized) so that CI runs the same cases.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import area_features, square, write_geojson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cpdash.config import DateWindow
from cpdash.data.dataset import TableReport
from cpdash.data.load import load_dataset
from cpdash.data.readers import DataError, read_raw
from cpdash.data.schema import EVENTS, RESPONSES, TABLES
from cpdash.data.validate import validate_table
from cpdash.importing import importer, journal
from cpdash.importing import store as store_module
from cpdash.importing.profiles import Profile
from cpdash.importing.store import StoreError, open_store

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
WINDOW = DateWindow(date(1990, 1, 1), date(2030, 12, 31))
DATE_SPELLINGS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y",
    "%Y%m%d",
    "%b %d, %Y",
    "%d %B %Y",
    "%A, %B %d, %Y",
)

# --- cells -----------------------------------------------------------------------------------------

far_dates = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
plausible_dates = st.datetimes(min_value=datetime(1985, 1, 1), max_value=datetime(2035, 12, 31))
date_text = st.builds(
    lambda when, spelling: when.strftime(spelling.replace("%Y", f"{when.year:04d}")),
    st.one_of(far_dates, plausible_dates),
    st.sampled_from(DATE_SPELLINGS),
)
floats = st.floats(allow_nan=True, allow_infinity=True)  # -1e308 .. 1e308, NaN, ±inf, -0.0, subnormals
huge_integers = st.builds(
    lambda digits, sign: sign + "9" * digits, st.integers(16, 6_000), st.sampled_from(["", "-"])
)
number_text = st.one_of(
    floats.map(repr),
    st.integers(-(10**30), 10**30).map(str),
    huge_integers,
    st.sampled_from(
        ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e-400", "1,234.5", "$-3", "0x1F"]
    ),
)
every_character = st.characters(codec="utf-8")  # every class a UTF-8 file can hold
short_text = st.text(every_character, max_size=40)
long_text = st.builds(
    lambda unit, times: (unit * times)[:1_000_000],
    st.text(every_character, min_size=1, max_size=12),
    st.integers(1, 120_000),
)
hostile_text = st.one_of(
    short_text,
    long_text,
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "=1+1",
            "@SUM(A1)",
            "-cmd|' /C calc'!A0",
            '"',
            "'",
            "\\",
            "\r\n",
            "NULL",
            "None",
            "-",
            "N/A",
        ]
    ),
)
cell = st.one_of(date_text, number_text, hostile_text, st.none())
LONE_SURROGATE = "<a lone surrogate escape>"  # written into JSON as \ud800 and \u0000 (see json_bytes)
typed_cell = st.one_of(cell, floats, st.integers(-(10**20), 10**20), st.booleans(), far_dates)

# --- checks ----------------------------------------------------------------------------------------


def assert_counted(report: TableReport, rows: int) -> None:
    """Every row read is accepted or rejected with a reason."""
    assert report.rows_read == rows == report.rows_accepted + report.rows_rejected
    if report.rows_rejected:
        reasons = report.rejected["reason"]
        assert reasons.map(lambda r: isinstance(r, str) and len(r) > 0).all()
        assert report.rejected["row"].is_unique


def assert_kept_rows_obey_the_contract(frame: pd.DataFrame, table: str) -> None:
    """Accepted rows: dates in the window (in nanoseconds), numbers finite and in range, required present."""
    spec = TABLES[table]
    first, last = WINDOW.bounds()
    for column in spec.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        if column.required:
            assert values.notna().all(), column.name
        if column.kind in ("date", "datetime"):
            assert str(values.dtype) == "datetime64[ns]", column.name
            present = values.dropna()
            assert (
                (present >= pd.Timestamp(first)) & (present < pd.Timestamp(last) + pd.Timedelta(days=1))
            ).all()
        elif column.kind in ("int", "float"):
            present = values.dropna().astype("float64")
            assert np.isfinite(present).all(), column.name
            low = -math.inf if column.min is None else column.min
            high = math.inf if column.max is None else column.max
            assert present.between(low, high).all(), column.name
            if column.kind == "int":
                assert (present == present.round()).all(), column.name


def events_frame(rows: list[list[object]]) -> pd.DataFrame:
    columns = [
        "event_id",
        "start",
        "program",
        "area_id",
        "lat",
        "lon",
        "attendance",
        "youth_attendance",
        "cost",
        "title",
    ]
    return pd.DataFrame([row[: len(columns)] for row in rows], columns=columns, dtype=object)


event_rows = st.lists(st.lists(typed_cell, min_size=10, max_size=10), min_size=1, max_size=25)

# --- the validator ---------------------------------------------------------------------------------


@settings(FUZZ, max_examples=80)
@given(rows=event_rows)
def test_the_validator_keeps_or_rejects_every_hostile_row(rows: list[list[object]]) -> None:
    raw = events_frame(rows)
    frame, report = validate_table(EVENTS, raw, "events.json", window=WINDOW)
    assert_counted(report, len(raw))
    assert_kept_rows_obey_the_contract(frame, "events")


@settings(FUZZ, max_examples=50)
@given(
    rows=st.lists(st.tuples(cell, cell, typed_cell, typed_cell, hostile_text), min_size=1, max_size=20),
    table=st.sampled_from(["responses", "concerns", "area_scores", "attendees", "areas"]),
)
def test_every_table_keeps_or_rejects_every_hostile_row(rows: list[tuple], table: str) -> None:
    spec = TABLES[table]
    names = list(spec.names)
    raw = pd.DataFrame(
        [[row[i % len(row)] for i in range(len(names))] for row in rows], columns=names, dtype=object
    )
    frame, report = validate_table(spec, raw, f"{table}.csv", window=WINDOW)
    assert_counted(report, len(raw))
    assert_kept_rows_obey_the_contract(frame, table)


@settings(FUZZ, max_examples=40)
@given(
    stamps=st.lists(st.one_of(far_dates, st.none()), min_size=1, max_size=20),
    unit=st.sampled_from(["s", "ms", "us"]),
    zone=st.sampled_from([None, "UTC", "America/Chicago"]),
)
def test_typed_dates_of_any_unit_and_zone_are_kept_or_rejected(
    stamps: list, unit: str, zone: str | None
) -> None:
    values = pd.Series(
        np.array([np.datetime64(s, unit) if s else np.datetime64("NaT", unit) for s in stamps])
    )
    if zone:
        try:
            values = values.dt.tz_localize(zone, nonexistent="NaT", ambiguous="NaT")
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
            values = values.dt.tz_localize("UTC")
    raw = pd.DataFrame(
        {"response_id": [f"R{i}" for i in range(len(values))], "submitted": values, "area_id": "A"}
    )
    frame, report = validate_table(RESPONSES, raw, "responses table", window=WINDOW)
    assert_counted(report, len(raw))
    assert_kept_rows_obey_the_contract(frame, "responses")


# --- the readers -----------------------------------------------------------------------------------


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue().encode("utf-8")


NUMBERS = ("lat", "lon", "attendance", "cost", "youth_attendance")


def json_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """JSON records; numbers that came as text (NaN, huge integers) are written as bare JSON numbers."""
    parts = []
    for row in rows:
        fields = []
        for name, value in zip(header, row, strict=False):
            if value == LONE_SURROGATE:
                text = '"half of a pair: \\ud800 and NUL: \\u0000"'  # escapes no UTF-8 text can hold
            elif name in NUMBERS and isinstance(value, str) and re.fullmatch(r"-?(?:0|[1-9][0-9]*)", value):
                text = value  # a bare integer, however long
            elif name in NUMBERS and isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                text = value
            elif isinstance(value, datetime):
                text = json.dumps(value.isoformat())
            else:
                text = json.dumps(value, allow_nan=True)
            fields.append(f"{json.dumps(name)}: {text}")
        parts.append("{" + ", ".join(fields) + "}")
    return ("[" + ", ".join(parts) + "]").encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes | None:
    """A workbook of the rows (cells Excel cannot hold are shortened or blanked); None if it cannot be written."""

    def fit(value: object) -> object:
        if isinstance(value, str):
            return "".join(c for c in value[:32_000] if c >= " " or c in "\t\n\r")
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if isinstance(value, int) and abs(value) > 10**15:
            return str(value)
        return value

    frame = pd.DataFrame([[fit(c) for c in row] for row in rows], columns=header, dtype=object)
    out = io.BytesIO()
    try:
        frame.to_excel(out, index=False)
    except (ValueError, TypeError, OverflowError):  # a value openpyxl refuses to write
        return None
    return out.getvalue()


def geojson_bytes(header: list[str], rows: list[list[object]], coordinates: list[object]) -> bytes:
    features = []
    for row, coordinate in zip(rows, coordinates, strict=False):
        properties = {
            name: (value.isoformat() if isinstance(value, datetime) else value)
            for name, value in zip(header, row, strict=False)
        }
        ring = [[coordinate, 41.8], [coordinate, 41.9], [-87.9, 41.9], [coordinate, 41.8]]
        geometry = {"type": "Polygon", "coordinates": [ring]} if coordinate is not None else None
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, allow_nan=True, default=str
    ).encode()


HEADER = ["event_id", "start", "program", "area_id", "lat", "lon", "attendance", "cost", "title", "comment"]
file_rows = st.lists(
    st.lists(st.one_of(cell, floats, far_dates), min_size=len(HEADER), max_size=len(HEADER)),
    min_size=1,
    max_size=15,
)
# Rows most of which pass, so that imports commit and what was stored is read back: valid cells, a few of
# them (or none) replaced by hostile ones; titles and comments hostile throughout.
valid_row = st.tuples(
    st.from_regex(r"[A-Z]{1,3}[0-9]{1,5}", fullmatch=True),
    plausible_dates.map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    st.sampled_from(["Town hall", "coffee with a cop", "Block Party", "a program of our own"]),
    st.sampled_from(["001", "2", "District 3", "003"]),
    st.floats(41.8, 41.9),
    st.floats(-88.0, -87.7),
    st.integers(0, 500),
    st.floats(0, 10_000),
    st.one_of(hostile_text, st.just(LONE_SURROGATE)),  # titles are stored: they must read back
    hostile_text,
)
hostile_cell = st.one_of(cell, floats, far_dates, st.just(LONE_SURROGATE))


def _spoiled(row: tuple, spoils: list[tuple[int, object]]) -> list[object]:
    out = list(row)
    for position, value in spoils:
        out[position] = value
    return out


mixed_rows = st.lists(
    st.builds(_spoiled, valid_row, st.lists(st.tuples(st.integers(0, 7), hostile_cell), max_size=2)),
    min_size=1,
    max_size=15,
)


@settings(FUZZ, max_examples=80)
@given(
    kind=st.sampled_from(["csv", "json", "xlsx", "geojson"]),
    rows=file_rows,
    coordinates=st.lists(st.one_of(floats, st.integers(-1000, 1000), st.none()), min_size=15, max_size=15),
    damage=st.sampled_from([None, "cut", "bytes"]),
)
def test_every_reader_reads_a_hostile_file_or_says_why_not(
    kind: str, rows: list[list[object]], coordinates: list[object], damage: str | None
) -> None:
    data = {
        "csv": lambda: csv_bytes(HEADER, rows),
        "json": lambda: json_bytes(HEADER, rows),
        "xlsx": lambda: xlsx_bytes(HEADER, rows),
        "geojson": lambda: geojson_bytes(HEADER, rows, coordinates),
    }[kind]()
    if data is None:
        return
    if damage == "cut":
        data = data[: len(data) // 2]
    elif damage == "bytes":
        data = data[:100] + bytes(range(256)) + data[100:]
    with tempfile.TemporaryDirectory() as folder:
        table = "areas" if kind == "geojson" else "events"
        path = Path(folder) / f"{table}.{kind}"
        path.write_bytes(data)
        try:
            raw = read_raw(path, table)
        except DataError as exc:
            assert str(exc).startswith(path.name)  # says which file and why
            event(f"{kind}: refused with a message")
            return
        event(f"{kind}: read")
        if isinstance(raw.data, dict):
            return
        frame, report = validate_table(TABLES[table], raw.data, path.name, preset=raw.bad_rows, window=WINDOW)
        if report.status != "failed":
            assert_counted(report, len(raw.data))
            assert_kept_rows_obey_the_contract(frame, table)


# --- the loader and the importer -------------------------------------------------------------------


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def full_disk(*args, **kwargs):
    raise OSError(28, "No space left on device")


@settings(FUZZ, max_examples=60)
@given(
    kind=st.sampled_from(["csv", "json", "xlsx"]),
    rows=mixed_rows,
    fault=st.sampled_from([None, None, "writing", "logging", "swapping"]),
    mode=st.sampled_from(["add", "replace"]),
    date_format=st.sampled_from([None, "auto", "%d/%m/%Y", "%Y-%m-%d %H:%M"]),
)
def test_the_importer_and_the_store_take_hostile_files_without_losing_anything(
    kind: str, rows: list[list[object]], fault: str | None, mode: str, date_format: str | None
) -> None:
    data = {"csv": csv_bytes, "json": json_bytes, "xlsx": xlsx_bytes}[kind](HEADER, rows)
    if data is None:
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_geojson(folder / "areas.geojson", area_features())
        (folder / "events.csv").write_text(
            "event_id,start,program,area_id\nOLD1,2025-01-05,Town hall,001\n", encoding="utf-8"
        )
        try:
            upload = importer.read_upload(f"export.{kind}", data, table="events")
            context = importer.context_from_dataset(load_dataset(folder, tables=("areas", "events")))
            if date_format is None:
                profile = importer.suggest_profile(upload, "events", context)
            else:  # every column mapped by its name, whatever it holds
                columns = {c: c for c in HEADER if c in EVENTS.names}
                profile = Profile("fuzz", "events", columns=columns, date_formats={"start": date_format})
            prepared = importer.prepare(upload, profile, context)
        except importer.ImportProblem as exc:
            assert str(exc)  # a clear message, never a traceback
            event("refused: " + re.sub(r"[0-9]+", "N", str(exc))[:70])
            return
        assert prepared.rows_read == len(upload.frame)
        assert (prepared.rejected["reason"].map(lambda r: isinstance(r, str) and r != "")).all()
        before, ids_before = digest(folder), set(load_dataset(folder).events["event_id"])
        faults = {
            "writing": (pd.DataFrame, "to_csv", full_disk),
            "logging": (journal, "append", full_disk),
            "swapping": (store_module.os, "replace", full_disk),
        }
        with pytest.MonkeyPatch.context() as patch:
            if fault:
                patch.setattr(*faults[fault])
            try:
                entry = open_store(folder).commit(prepared, mode, "fuzz")
            except StoreError as exc:
                entry = None
                assert fault is not None or "no row was accepted" in str(exc)
                event("store: " + str(exc)[-60:])
        logged = [e for e in open_store(folder).read_log() if e["mapping"] == "fuzz"]
        after = load_dataset(folder)
        event(f"commit: {'refused' if entry is None else 'stored'} ({fault or 'no fault'}, {mode})")
        if entry is None:  # nothing stored, nothing logged
            assert digest(folder) == before and logged == []
            assert set(after.events["event_id"]) == ids_before
        else:
            assert len(logged) == 1 and logged[0]["accepted"] == prepared.rows_accepted
            kept = set(prepared.accepted["event_id"])
            assert kept <= set(after.events["event_id"])
            assert after.report.tables["events"].rows_rejected == 0  # what was stored reads back whole
            if mode == "add":
                assert ids_before <= set(after.events["event_id"])


@settings(FUZZ, max_examples=20)
@given(
    rows=file_rows,
    coordinates=st.lists(st.one_of(floats, st.integers(-1000, 1000), st.none()), min_size=15, max_size=15),
)
def test_a_hostile_folder_loads_without_an_exception(rows: list[list[object]], coordinates: list) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "events.json").write_bytes(json_bytes(HEADER, rows))
        features = [
            {
                "type": "Feature",
                "properties": {"area_id": f"A{i}", "name": "x", "level": "area"},
                "geometry": square(c, 41.8) if c is not None else None,
            }
            for i, c in enumerate(coordinates)
        ]
        (folder / "areas.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=True)
        )
        ds = load_dataset(folder)
        for name_, report in ds.report.tables.items():
            if report.status == "loaded":
                assert report.rows_read == report.rows_accepted + report.rows_rejected, name_
        assert_kept_rows_obey_the_contract(ds.events, "events")
