"""Downloads: CSV safe to open in a spreadsheet (no formula injection), accents kept, clear file names."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from cpdash.export.safe_csv import FORMULA_START, file_name, safe_cell, safe_frame, to_csv_bytes

RISKY = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "-cmd|' /C calc'!A0",
]


def read_back(data: bytes) -> list[list[str]]:
    """The CSV's rows as a spreadsheet would split them (after the BOM)."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


@pytest.mark.parametrize("value", RISKY)
def test_safe_cell_makes_formulas_inert(value: str) -> None:
    out = safe_cell(value)
    assert out == "'" + value
    assert not out.startswith(FORMULA_START)


@pytest.mark.parametrize("value", ["Hello", "a=b", "3-2", " =1", "", "Café", "'quoted"])
def test_safe_cell_leaves_harmless_text(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-5, -2.5, 0, 12, None, np.nan, True, pd.Timestamp("2025-01-01")])
def test_safe_cell_leaves_non_text_alone(value: object) -> None:
    out = safe_cell(value)
    assert out is value


def test_to_csv_bytes_neutralises_every_risky_text_cell() -> None:
    frame = pd.DataFrame({"comment": RISKY, "n": range(len(RISKY))})
    rows = read_back(to_csv_bytes(frame))
    assert rows[0] == ["comment", "n"]
    comments = [r[0] for r in rows[1:]]
    assert comments == ["'" + v for v in RISKY]
    assert comments[0] == '\'=HYPERLINK("http://x","y")'
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(RISKY))]


def test_numbers_are_left_alone_including_negative_ones() -> None:
    frame = pd.DataFrame(
        {
            "change": [-5.5, 3.0, np.nan],
            "count": pd.Series([-3, 0, 7], dtype="int64"),
            "nullable": pd.Series([-1, None, 2], dtype="Int64"),
        }
    )
    rows = read_back(to_csv_bytes(frame))
    assert rows[1:] == [["-5.5", "-3", "-1"], ["3.0", "0", ""], ["", "7", "2"]]


def test_text_and_category_columns_are_both_checked() -> None:
    frame = pd.DataFrame(
        {
            "text": pd.Series(["=1+1", None, "ok"], dtype="str"),
            "object": pd.Series(["@x", None, "ok"], dtype=object),
            "category": pd.Categorical(["+1+1", "ok", "ok"]),
        }
    )
    out = safe_frame(frame)
    assert out["text"].tolist()[0] == "'=1+1" and pd.isna(out["text"].iloc[1])
    assert out["object"].tolist()[0] == "'@x" and pd.isna(out["object"].iloc[1])
    assert out["category"].tolist()[0] == "'+1+1"
    assert read_back(to_csv_bytes(frame))[1] == ["'=1+1", "'@x", "'+1+1"]


def test_risky_column_names_are_neutralised() -> None:
    out = safe_frame(pd.DataFrame({"=cmd()": [1], "area": [2]}))
    assert list(out.columns) == ["'=cmd()", "area"]


def test_safe_frame_does_not_change_its_input() -> None:
    frame = pd.DataFrame({"comment": ["=1+1"], "n": [-1]})
    safe_frame(frame)
    assert frame.loc[0, "comment"] == "=1+1"


def test_accents_and_dates_survive_with_a_bom() -> None:
    frame = pd.DataFrame(
        {"name": ["Café Niño", "Zürich"], "day": pd.to_datetime(["2025-03-01", "2025-03-02"])}
    )
    data = to_csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Café Niño".encode() in data
    assert read_back(data)[1:] == [["Café Niño", "2025-03-01"], ["Zürich", "2025-03-02"]]


def test_cells_with_commas_quotes_and_newlines_stay_one_cell() -> None:
    frame = pd.DataFrame({"comment": ['He said "hi", then left\nfor good'], "n": [1]})
    assert read_back(to_csv_bytes(frame))[1] == ['He said "hi", then left\nfor good', "1"]


@pytest.mark.parametrize("comment", ["hello\r=1+1", "hello\n=1+1", "hello\r\n=1+1"])
def test_a_line_break_inside_a_cell_cannot_start_a_row(comment: str) -> None:
    # a bare CR left unquoted would end the row in a spreadsheet, and `=1+1` would start the next one
    data = to_csv_bytes(pd.DataFrame({"comment": [comment], "n": [1]}))
    assert read_back(data) == [["comment", "n"], [comment, "1"]]
    assert f'"{comment}"'.encode() in data


def test_empty_frame() -> None:
    assert read_back(to_csv_bytes(pd.DataFrame({"a": pd.Series(dtype="str")}))) == [["a"]]


def test_file_name() -> None:
    assert file_name("events", "North End", "2025-11-01", "2026-10-31") == (
        "cpdash-events-north-end-2025-11-01-2026-10-31.csv"
    )
    assert file_name("town hall", "Área 7 / Sur", ext="html") == "cpdash-town-hall-rea-7-sur.html"
    assert file_name("rejected", "", "  ", "--", "events") == "cpdash-rejected-events.csv"
    assert file_name("../../etc/passwd") == "cpdash-etc-passwd.csv"


@pytest.mark.parametrize("value", ["-87.95", "-5", "+3", "-0.5", "-.5", "-1.5e-3", "+2E10", "-12."])
def test_numbers_written_as_text_stay_numbers(value: str) -> None:
    assert safe_cell(value) == value  # once '-87.95, which failed when the rejected rows were imported again


@pytest.mark.parametrize(
    "value", ["-1+1", "-87.95+A1", "+1-2", "-5 ", "-inf", "-NaN", "--5", "-5%", "-1,000", "-٣"]
)
def test_text_that_only_starts_like_a_number_is_still_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_rejected_rows_keep_their_numbers_and_lose_their_formulas() -> None:
    rejected = pd.DataFrame(
        {
            "row": [2, 3],
            "reason": ["coordinates outside every area", "bad date in start: '=1+1'"],
            "lon": ["-87.95", "-88.1"],
            "title": ["-5 degrees walk", '=HYPERLINK("http://x")'],
        },
        dtype="str",
    )
    rows = read_back(to_csv_bytes(rejected))
    assert [r[2] for r in rows[1:]] == ["-87.95", "-88.1"]
    assert [r[3] for r in rows[1:]] == ["'-5 degrees walk", '\'=HYPERLINK("http://x")']
    again = pd.read_csv(io.BytesIO(to_csv_bytes(rejected)), encoding="utf-8-sig")
    assert again["lon"].tolist() == [-87.95, -88.1]  # read back as numbers
