"""Readers: every file type a folder source may hold, and the clear errors for files that cannot be used."""

from __future__ import annotations

import json
import math
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import area_features, write_geojson, write_text

from cpdash.data import limits
from cpdash.data.limits import MAX_COLUMNS
from cpdash.data.readers import DataError, find_table_files, read_csv, read_excel, read_raw, read_table_file

# --- CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_read_accents(tmp_path: Path, encoding: str) -> None:
    path = write_text(tmp_path / "events.csv", "event_id,title\nE1,Café Rosa\nE2,Crème brûlée\n", encoding)
    frame, warnings = read_table_file(path, "events")
    assert list(frame.columns) == ["event_id", "title"]  # no BOM left in the first header
    assert frame["title"].tolist() == ["Café Rosa", "Crème brûlée"]
    assert warnings == []


def test_csv_cp1252_bytes_are_not_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"event_id,title\nE1,Caf\xe9 \x93quoted\x94\n")  # é and curly quotes in Windows-1252
    frame = read_csv(path)
    assert frame.loc[0, "title"] == "Café “quoted”"


def test_csv_cells_are_text_and_blanks_are_missing(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.csv", "event_id,area_id,attendance\n007,NA,\n8,-,1200\n")
    frame = read_csv(path)
    assert frame["event_id"].tolist() == ["007", "8"]  # leading zeros kept: ids are text
    assert frame["area_id"].isna().all()  # NA and - are blank
    assert frame["attendance"].isna().tolist() == [True, False]
    assert frame.loc[1, "attendance"] == "1200"


def test_csv_empty_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.csv", "")
    with pytest.raises(DataError, match=r"^events\.csv: the file is empty$"):
        read_table_file(path, "events")


def test_csv_blank_lines_only_is_empty(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.csv", "\n\n\n")
    with pytest.raises(DataError, match="events.csv: the file is empty"):
        read_csv(path)


def test_csv_header_only_gives_no_rows(tmp_path: Path) -> None:
    frame = read_csv(write_text(tmp_path / "events.csv", "event_id,start\n"))
    assert list(frame.columns) == ["event_id", "start"]
    assert len(frame) == 0


def test_csv_unterminated_quote(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.csv", 'event_id,title\nE1,"never closed\n')
    with pytest.raises(DataError, match=r"events\.csv: not a readable CSV file \(.*EOF inside string"):
        read_csv(path)


def test_csv_trailing_delimiters_do_not_shift_columns(tmp_path: Path) -> None:
    # exports often end every line with a comma; the cells must stay under their own headers
    path = write_text(
        tmp_path / "events.csv", "event_id,start,area_id\nE1,2025-03-01,007,\nE2,2025-03-02,008,\n"
    )
    frame = read_csv(path)
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert frame["start"].tolist() == ["2025-03-01", "2025-03-02"]
    assert frame["area_id"].tolist() == ["007", "008"]


@pytest.mark.parametrize(
    "text",
    [
        "event_id,title\nE1,Coffee,extra\nE2,Walk\n",  # first row too long
        "event_id,title\nE1,Coffee\nE2,Walk,extra\n",  # a later row too long
    ],
)
def test_csv_row_with_more_cells_than_header(tmp_path: Path, text: str) -> None:
    path = write_text(tmp_path / "events.csv", text)
    with pytest.raises(DataError, match=r"^events\.csv: not a readable CSV file"):
        read_csv(path)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(32, 127)) * 4,  # a PNG header
        b"\x00\x01 not, a\ncsv\x00 file",  # binary, yet without a byte Windows-1252 lacks
        "event_id,start\nE1,2025-01-01\n".encode("utf-16"),  # Excel's "Unicode text"
    ],
)
def test_binary_or_utf16_named_csv(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(data)
    with pytest.raises(
        DataError, match=r"^events\.csv: not a CSV file \(it holds binary data, or UTF-16 text"
    ):
        read_table_file(path, "events")


def test_workbook_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    pd.DataFrame({"event_id": ["E1"]}).to_excel(path, index=False, engine="openpyxl")
    with pytest.raises(DataError, match=r"^events\.csv: "):
        read_table_file(path, "events")


def test_csv_neither_utf8_nor_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"event_id,title\nE1,\x81\x8d\x8f\x90\x9d\n")  # bytes undefined in Windows-1252
    with pytest.raises(DataError, match="events.csv: text is neither UTF-8 nor Windows-1252"):
        read_csv(path)


# --- Parquet ---------------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_types(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pd.DataFrame({"event_id": ["E1", "E2"], "attendance": [12, 30], "lat": [41.8, None]}).to_parquet(path)
    frame, warnings = read_table_file(path, "events")
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert frame["attendance"].tolist() == [12, 30]
    assert pd.isna(frame.loc[1, "lat"])
    assert warnings == []


def test_random_bytes_named_parquet(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_bytes(os.urandom(512))
    with pytest.raises(DataError, match=r"^events\.parquet: not a readable Parquet file \("):
        read_table_file(path, "events")


def test_csv_text_named_parquet(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.parquet", "event_id,start\nE1,2025-01-01\n")
    with pytest.raises(DataError, match="events.parquet: not a readable Parquet file"):
        read_table_file(path, "events")


def test_empty_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="events.parquet: not a readable Parquet file"):
        read_table_file(path, "events")


# --- Excel -----------------------------------------------------------------------------------------


def test_excel_single_sheet(tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    pd.DataFrame({"event_id": ["E1"], "area_id": ["007"], "attendance": [12]}).to_excel(path, index=False)
    frame, warnings = read_table_file(path, "events")
    assert frame.to_dict("list") == {"event_id": ["E1"], "area_id": ["007"], "attendance": ["12"]}
    assert warnings == []


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_excel_several_sheets_reads_the_one_named_like_the_table(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "events.xlsx",
        {"Notes": pd.DataFrame({"note": ["read me"]}), "Events": pd.DataFrame({"event_id": ["E1", "E2"]})},
    )
    frame, warnings = read_excel(path, "events")
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert warnings == ["events.xlsx: 2 sheets (Notes, Events); read the one named like the table, 'Events'"]


def test_excel_several_sheets_none_named_like_the_table_reads_the_first(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "events.xlsx",
        {"2025": pd.DataFrame({"event_id": ["E1"]}), "2024": pd.DataFrame({"event_id": ["E0"]})},
    )
    frame, warnings = read_table_file(path, "events")
    assert frame["event_id"].tolist() == ["E1"]
    assert warnings == ["events.xlsx: 2 sheets (2025, 2024); read the first, '2025'"]


def test_png_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(DataError, match=r"^events\.xlsx: not a readable Excel file \("):
        read_table_file(path, "events")


def test_zip_that_is_not_a_workbook_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(DataError, match="events.xlsx: not a readable Excel file"):
        read_table_file(path, "events")


def test_damaged_sheet_in_a_readable_workbook(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"event_id": ["E1"], "attendance": [1]}).to_excel(good, index=False)
    path = tmp_path / "events.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # a number cell pointing at a missing string
                data = data.replace(b't="n"><v>1</v>', b't="s"><v>99</v>')
            target.writestr(item, data)
    with pytest.raises(DataError, match=r"^events\.xlsx: sheet 'Sheet1' is not readable"):
        read_table_file(path, "events")


# --- JSON ------------------------------------------------------------------------------------------


def test_json_list_of_records(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.json", json.dumps([{"event_id": "E1", "n": 3}, {"event_id": "E2"}]))
    frame, warnings = read_table_file(path, "events")
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert frame.loc[0, "n"] == 3 and pd.isna(frame.loc[1, "n"])
    assert warnings == []


def test_json_records_key(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.json", json.dumps({"records": [{"event_id": "E1"}], "meta": 1}))
    frame, _ = read_table_file(path, "events")
    assert frame["event_id"].tolist() == ["E1"]


def test_json_with_bom(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "events.json", json.dumps([{"title": "Café"}], ensure_ascii=False), "utf-8-sig"
    )
    frame, _ = read_table_file(path, "events")
    assert frame.loc[0, "title"] == "Café"


@pytest.mark.parametrize(
    "obj",
    [{"event_id": "E1"}, [1, 2, 3], [{"event_id": "E1"}, "E2"], {"records": {"event_id": "E1"}}, "text"],
)
def test_json_not_a_list_of_records(tmp_path: Path, obj: object) -> None:
    path = write_text(tmp_path / "events.json", json.dumps(obj))
    with pytest.raises(DataError, match=r"^events\.json: JSON must be a list of records"):
        read_table_file(path, "events")


def test_json_malformed(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.json", '[{"event_id": "E1",\n  ]')
    with pytest.raises(DataError, match=r"^events\.json: not valid JSON \(line 2, column \d+: "):
        read_table_file(path, "events")


def test_json_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(b'[{"title": "Caf\xe9"}]')
    with pytest.raises(DataError, match="events.json: JSON must be UTF-8 text"):
        read_table_file(path, "events")


def test_json_nested_too_deeply_is_a_data_error(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.json", "[" * 200_000)
    with pytest.raises(DataError, match="events.json: not valid JSON"):
        read_table_file(path, "events")


def test_json_holding_a_feature_collection_reads_as_geojson(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "areas.json", area_features())
    obj, _ = read_table_file(path, "areas")
    assert isinstance(obj, dict) and len(obj["features"]) == 3


# --- GeoJSON ---------------------------------------------------------------------------------------


def test_geojson_feature_collection(tmp_path: Path) -> None:
    obj, warnings = read_table_file(write_geojson(tmp_path / "areas.geojson", area_features()), "areas")
    assert obj["type"] == "FeatureCollection"
    assert [f["properties"]["area_id"] for f in obj["features"]] == ["001", "002", "003"]
    assert warnings == []


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {}},
        [{"type": "Feature"}],
    ],
)
def test_geojson_not_a_feature_collection(tmp_path: Path, obj: object) -> None:
    path = write_text(tmp_path / "areas.geojson", json.dumps(obj))
    with pytest.raises(DataError, match=r"^areas\.geojson: GeoJSON must be a FeatureCollection"):
        read_table_file(path, "areas")


def test_geojson_malformed(tmp_path: Path) -> None:
    path = write_text(tmp_path / "areas.geojson", '{"type": "FeatureCollection", "features": [')
    with pytest.raises(DataError, match=r"^areas\.geojson: not valid GeoJSON \("):
        read_table_file(path, "areas")


def test_geojson_nested_too_deeply_is_a_data_error(tmp_path: Path) -> None:
    path = write_text(tmp_path / "areas.geojson", "[" * 200_000)
    with pytest.raises(DataError, match="areas.geojson: not valid GeoJSON"):
        read_table_file(path, "areas")


# --- file types and folders ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events.txt", "events.xls", "events"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / name, "event_id\nE1\n")
    with pytest.raises(DataError, match=rf"^{name}: unsupported file type .* \(use \.parquet, \.csv, "):
        read_table_file(path, "events")


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    frame, _ = read_table_file(write_text(tmp_path / "EVENTS.CSV", "event_id\nE1\n"), "events")
    assert frame["event_id"].tolist() == ["E1"]


def test_find_table_files_prefers_parquet_and_warns(tmp_path: Path) -> None:
    for name in (
        "events.csv",
        "events.parquet",
        "Responses.CSV",
        "notes.csv",
        ".hidden.csv",
        "manifest.json",
    ):
        write_text(tmp_path / name, "x\n1\n")
    (tmp_path / "concerns.csv").mkdir()  # a folder, not a file
    files, warnings = find_table_files(tmp_path)
    assert files == {"events": tmp_path / "events.parquet", "responses": tmp_path / "Responses.CSV"}
    assert "events: several files found; read events.parquet, ignored events.csv" in warnings
    assert "files not named after a table were ignored: notes.csv" in warnings
    assert len(warnings) == 2


# --- gaps found by the data-layer tests ------------------------------------------------------------


def test_tolerant_csv_keeps_good_rows_and_lists_bad_ones(tmp_path: Path) -> None:
    from cpdash.data.readers import read_csv_rows

    text = (
        "event_id,title,area_id\n"
        "E1,Coffee,7\n"
        "E2,Walk,8,extra\n"  # more cells than the header
        'E3,"never closed,9\n'  # a quote that is not closed on its line
        'E4,"two\nlines",10\n'  # a quoted cell over two lines is fine
        "E5,ok,11,\n"  # a trailing delimiter is fine
    )
    frame, bad = read_csv_rows(write_text(tmp_path / "events.csv", text))
    assert frame["event_id"].tolist() == ["E1", "E2", "E3", "E4", "E5"]
    assert frame["title"].tolist()[3:] == ["two\nlines", "ok"]
    assert bad == [
        (1, "4 cells where the header has 3: 'E2,Walk,8,extra'"),
        (2, "a quote is opened and never closed: 'E3,\"never closed,9'"),
    ]
    with pytest.raises(DataError, match="not a readable CSV file"):  # the strict reader still refuses
        read_csv(tmp_path / "events.csv")


def test_good_csv_reads_the_same_both_ways(tmp_path: Path) -> None:
    from cpdash.data.readers import read_csv_rows

    path = write_text(tmp_path / "events.csv", "event_id,title\nE1,Café\nE2,\n")
    frame, bad = read_csv_rows(path)
    assert bad == []
    pd.testing.assert_frame_equal(frame, read_csv(path))


def test_excel_sheet_named_with_spaces_and_capitals_is_matched(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "vendor.xlsx",
        {"Notes": pd.DataFrame({"x": [1]}), "Area Scores": pd.DataFrame({"metric": ["trust"]})},
    )
    frame, warnings = read_excel(path, "area_scores")
    assert frame["metric"].tolist() == ["trust"]
    assert warnings == [
        "vendor.xlsx: 2 sheets (Notes, Area Scores); read the one named like the table, 'Area Scores'"
    ]


def test_read_raw_names_the_sheet_read(tmp_path: Path) -> None:
    from cpdash.data.readers import read_raw

    path = _workbook(tmp_path / "book.xlsx", {"A": pd.DataFrame({"x": [1]}), "B": pd.DataFrame({"y": [2]})})
    raw = read_raw(path, "events", sheet="B")
    assert raw.sheets == ("A", "B") and raw.sheet == "B" and list(raw.data.columns) == ["y"]
    assert raw.warnings == []


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"PK\x03\x04", "an Excel workbook or another ZIP archive"),
        (b"%PDF-1.7", "a PDF document"),
        (b"id,x", None),
    ],
)
def test_sniff(head: bytes, what: str | None) -> None:
    from cpdash.data.readers import sniff

    assert sniff(head) == what


# --- hostile files: numbers JSON cannot hold, and files above the limits ---------------------------


def test_json_nan_and_infinity_reject_their_row_and_huge_integers_keep_their_text(tmp_path: Path) -> None:
    big = "9" * 5000  # above Python's 4,300-digit limit: once a ValueError that failed the whole file
    text = f'[{{"n": NaN}}, {{"n": Infinity}}, {{"n": -Infinity, "m": NaN}}, {{"n": {big}}}, {{"n": 12}}]'
    raw = read_raw(write_text(tmp_path / "events.json", text), "events")
    assert raw.data["n"].tolist()[3:] == [big, 12] and raw.data["n"][:3].isna().all()
    assert raw.bad_rows == [
        (0, "not a number in n: 'NaN' (JSON has no NaN or Infinity)"),
        (1, "not a number in n: 'Infinity' (JSON has no NaN or Infinity)"),
        (2, "not a number in n: '-Infinity' (JSON has no NaN or Infinity)"),
    ]


def test_json_text_no_file_can_hold_is_cleaned_and_csv_blanks_are_blank(tmp_path: Path) -> None:
    text = '[{"title": "a\\u0000b", "note": "x\\ud800y", "ok": "\\ud83d\\ude00", "id": "NA", "other": "-"}]'
    raw = read_raw(write_text(tmp_path / "events.json", text), "events")
    row = raw.data.iloc[0]
    assert (row["title"], row["note"], row["ok"]) == ("ab", "x\ufffdy", "\U0001f600")
    assert pd.isna(row["id"]) and pd.isna(row["other"])  # NA and - are blank, as in a CSV file


def test_geojson_with_nan_coordinates_and_huge_integers_is_read(tmp_path: Path) -> None:
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"population": '
        + "1" * 5000
        + '}, "geometry": {"type": "Point", "coordinates": [NaN, 41.8]}}]}'
    )
    collection, _ = read_table_file(write_text(tmp_path / "areas.geojson", text), "areas")
    feature = collection["features"][0]
    assert math.isnan(feature["geometry"]["coordinates"][0])  # the geometry is rejected, not the file
    assert feature["properties"]["population"] == "1" * 5000


def test_a_csv_with_more_columns_than_the_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    path = write_text(tmp_path / "events.csv", header + "\n" + ",".join("1" * 10_000) + "\n")
    with pytest.raises(DataError, match=r"^events\.csv: 10,000 columns, above the limit of 500 columns per"):
        read_table_file(path, "events")
    ok = write_text(tmp_path / "ok.csv", ",".join(f"c{i}" for i in range(MAX_COLUMNS)) + "\n")
    assert read_table_file(ok)[0].shape[1] == MAX_COLUMNS


@pytest.mark.parametrize("suffix", [".json", ".geojson", ".xlsx", ".parquet"])
def test_other_files_with_too_many_columns_are_refused(tmp_path: Path, suffix: str) -> None:
    wide = pd.DataFrame([{f"c{i}": 1 for i in range(MAX_COLUMNS + 1)}])
    path = tmp_path / f"events{suffix}"
    if suffix == ".json":
        path.write_text(wide.to_json(orient="records"), encoding="utf-8")
    elif suffix == ".geojson":
        properties = wide.iloc[0].to_dict()
        write_geojson(path, [{"type": "Feature", "properties": properties, "geometry": None}])
    elif suffix == ".xlsx":
        wide.to_excel(path, index=False)
    else:
        wide.to_parquet(path)
    with pytest.raises(DataError, match=rf"{MAX_COLUMNS + 1:,} columns, above the limit of {MAX_COLUMNS}"):
        read_table_file(path, "events")


def zip_bomb(path: Path, megabytes: int = 20) -> Path:
    """A workbook whose one sheet unpacks to `megabytes` MB of repeated cells (about 700 times its size)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<c>0</c>" * (megabytes * 1024 * 1024 // 8))
    return path


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "events.xlsx")
    assert path.stat().st_size < 100_000
    with pytest.raises(
        DataError, match=r"unpacks to \d+ times its packed size, above the limit of 100 times"
    ):
        read_table_file(path, "events")


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.xlsx"
    pd.DataFrame({"event_id": [f"E{i}" for i in range(20_000)]}).to_excel(path, index=False)
    assert read_excel(path)[0].shape == (20_000, 1)
    monkeypatch.setattr(limits, "MAX_WORKBOOK_MB", 0)
    with pytest.raises(
        DataError, match=r"^events\.xlsx: the workbook unpacks to \d+ MB, above the limit of 0 MB"
    ):
        read_table_file(path, "events")
