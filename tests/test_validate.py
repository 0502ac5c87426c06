"""Row-by-row validation: what is coerced, what is rejected and why, and that every row is counted."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import square
from shapely.geometry import shape

from cpdash.config import DateWindow
from cpdash.data.dataset import TableReport
from cpdash.data.dates import read_dates
from cpdash.data.geo import AreaIndex, Boundaries
from cpdash.data.schema import AREA_SCORES, AREAS, ATTENDEES, CONCERNS, EVENTS, PROGRAMS, RESPONSES
from cpdash.data.validate import (
    normalise_column_name,
    parse_dates,
    parse_numbers,
    to_text,
    validate_table,
)

AREA_IDS = AreaIndex(("007", "012"))
# Two adjacent squares: 007 at lon -88.0..-87.9, 012 at lon -87.9..-87.8, lat 41.8..41.9.
BOUNDARIES = Boundaries(("007", "012"), (shape(square(-88.0, 41.8)), shape(square(-87.9, 41.8))))


def event_rows(n: int = 1, **columns: list) -> pd.DataFrame:
    """`n` good event rows as text cells (E1, E2, ...), with some columns replaced."""
    base = {
        "event_id": [f"E{i + 1}" for i in range(n)],
        "start": ["2025-03-01"] * n,
        "program": ["Town hall"] * n,
        "area_id": ["007"] * n,
    }
    base.update(columns)
    return pd.DataFrame(base, dtype=object)


def counted(report: TableReport) -> TableReport:
    """Check that no row was dropped uncounted, and return the report."""
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    return report


def reasons(report: TableReport) -> dict[int, str]:
    """Rejected row number -> reason."""
    return dict(zip(report.rejected["row"], report.rejected["reason"], strict=True))


def only_reason(raw: pd.DataFrame, table=EVENTS, **context) -> str:
    """The reason the single bad row (the last one) of `raw` was rejected."""
    frame, report = validate_table(table, raw, f"{table.name}.csv", **context)
    counted(report)
    assert report.rows_rejected == 1, report.rejected
    assert report.rejected.loc[0, "row"] == len(raw) + 1  # header is row 1
    assert len(frame) == len(raw) - 1
    return report.rejected.loc[0, "reason"]


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-15", "2025-03-15 00:00"),
        ("2025-03-15T18:30:00", "2025-03-15 18:30"),
        ("2025-03-15 18:30", "2025-03-15 18:30"),
        ("03/15/2025 18:30", "2025-03-15 18:30"),
        ("3/15/2025 6:30 PM", "2025-03-15 18:30"),
        ("03/15/2025", "2025-03-15 00:00"),
        ("15.03.2025", "2025-03-15 00:00"),
        ("Mar 15, 2025", "2025-03-15 00:00"),
        ("March 15, 2025", "2025-03-15 00:00"),
        ("15 Mar 2025", "2025-03-15 00:00"),
        ("2025/03/15", "2025-03-15 00:00"),
        ("20250315", "2025-03-15 00:00"),
        ("2025-03-15T18:30:00Z", "2025-03-15 18:30"),
        ("2025-03-15T18:30:00.000Z", "2025-03-15 18:30"),
        ("2025-03-15T18:30:00+02:00", "2025-03-15 18:30"),
        ("2025-03-15 18:30:00-0500", "2025-03-15 18:30"),
        ("2025-03-15 18:30 UTC", "2025-03-15 18:30"),
        ("  2025-03-15  ", "2025-03-15 00:00"),
    ],
)
def test_parse_dates_formats(text: str, expected: str) -> None:
    parsed = parse_dates(pd.Series([text]))
    assert parsed.dtype == "datetime64[ns]"
    assert parsed[0] == pd.Timestamp(expected)


def test_parse_dates_day_first_column_is_read_day_first_throughout() -> None:
    parsed = parse_dates(pd.Series(["15/03/2025", "03/04/2025", "28/02/2025"]))
    assert parsed.tolist() == [
        pd.Timestamp("2025-03-15"),
        pd.Timestamp("2025-04-03"),
        pd.Timestamp("2025-02-28"),
    ]


def test_parse_dates_month_first_when_both_fit() -> None:
    assert parse_dates(pd.Series(["03/04/2025"]))[0] == pd.Timestamp("2025-03-04")


@pytest.mark.parametrize("text", ["someday", "2025-13-01", "2025-02-30", "12", "45731"])
def test_parse_dates_unreadable_is_nat(text: str) -> None:
    assert pd.isna(parse_dates(pd.Series([text]))[0])


def test_parse_dates_blank_and_missing_are_nat_keeping_the_index() -> None:
    parsed = parse_dates(pd.Series([None, "", " ", "2025-01-02"], index=[10, 11, 12, 13]))
    assert parsed.index.tolist() == [10, 11, 12, 13]
    assert parsed.isna().tolist() == [True, True, True, False]


def test_parse_dates_timezone_aware_values_keep_local_time() -> None:
    aware = pd.Series(pd.to_datetime(["2025-03-15 18:30"]).tz_localize("America/Chicago"))
    parsed = parse_dates(aware)
    assert parsed.dt.tz is None
    assert parsed[0] == pd.Timestamp("2025-03-15 18:30")


def test_date_columns_drop_the_time_datetime_columns_keep_it() -> None:
    raw = pd.DataFrame(
        {
            "concern_id": ["C1"],
            "raised": ["2025-03-15 18:30"],
            "area_id": ["007"],
            "topic": ["noise"],
            "resolved": ["03/20/2025 09:15"],
        }
    )
    frame, report = validate_table(CONCERNS, raw, "concerns.csv")
    counted(report)
    assert frame.loc[0, "raised"] == pd.Timestamp("2025-03-15")
    assert frame.loc[0, "resolved"] == pd.Timestamp("2025-03-20")
    events, _ = validate_table(EVENTS, event_rows(start=["2025-03-15 18:30"]), "events.csv")
    assert events.loc[0, "start"] == pd.Timestamp("2025-03-15 18:30")


def test_event_start_with_time_and_offset() -> None:
    frame, report = validate_table(
        EVENTS, event_rows(2, start=["2025-03-15T18:30:00Z", "2025-03-15T09:00:00-05:00"]), "events.csv"
    )
    counted(report)
    assert frame["start"].tolist() == [pd.Timestamp("2025-03-15 18:30"), pd.Timestamp("2025-03-15 09:00")]


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("9999-12-31", 9999),
        ("31/12/9999", 9999),
        ("12/31/9999", 9999),
        ("01/01/1500", 1500),
        ("1500-01-01", 1500),
    ],
)
def test_far_dates_are_read_as_written_never_as_another_date(text: str, year: int) -> None:
    wide = read_dates(pd.Series([text, "2025-01-02"]))
    assert wide[0].year == year  # 31/12/9999 once became 1816-03-29, 01/01/1500 2084-07-20
    parsed = parse_dates(pd.Series([text, "2025-01-02"]))  # nanoseconds end in 2262: NaT, not an error
    assert parsed.dtype == "datetime64[ns]"
    assert pd.isna(parsed[0]) and parsed[1] == pd.Timestamp("2025-01-02")


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_far_dates_already_typed_are_nat_in_nanoseconds(unit: str) -> None:
    typed = pd.Series(np.array(["9999-12-31", "1500-01-01", "2025-01-02"], dtype=f"datetime64[{unit}]"))
    parsed = parse_dates(typed)
    assert parsed.isna().tolist() == [True, True, False]


@pytest.mark.parametrize(
    "start", ["9999-12-31", "31/12/9999", "01/01/1500", "1850-06-01", "2262-04-12", "0001-01-01"]
)
def test_a_date_outside_the_window_is_a_rejected_row_with_its_reason(start: str) -> None:
    reason = only_reason(event_rows(2, start=["2025-03-01", start]))
    assert reason.startswith("start outside the accepted dates (1990-01-01 to ")
    assert "CPDASH_DATE_WINDOW" in reason and f"'{start}'" in reason


def test_the_window_is_configurable_and_includes_both_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    window = DateWindow(date(2020, 1, 1), date(2025, 12, 31))
    raw = event_rows(4, start=["2020-01-01", "2025-12-31 23:59", "2019-12-31", "2026-01-01"])
    frame, report = validate_table(EVENTS, raw, "events.csv", window=window)
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert all("(2020-01-01 to 2025-12-31," in r for r in reasons(counted(report)).values())
    monkeypatch.setenv("CPDASH_DATE_WINDOW", "2020-01-01..2025-12-31")
    frame, _ = validate_table(EVENTS, raw, "events.csv")
    assert frame["event_id"].tolist() == ["E1", "E2"]


def test_the_default_window_ends_a_year_after_today() -> None:
    today = date.today()
    first, last = DateWindow().bounds(today)
    assert first == date(1990, 1, 1) and (last - today).days in (365, 366)
    soon = (pd.Timestamp(today) + pd.Timedelta(days=300)).strftime("%Y-%m-%d")
    late = (pd.Timestamp(today) + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
    frame, _ = validate_table(EVENTS, event_rows(2, start=[soon, late]), "events.csv")
    assert frame["event_id"].tolist() == ["E1"]


def test_every_date_column_is_held_to_the_window() -> None:
    raw = pd.DataFrame(
        {
            "concern_id": ["C1", "C2"],
            "raised": ["2025-03-15", "2025-03-15"],
            "area_id": ["007", "007"],
            "topic": ["noise", "noise"],
            "resolved": ["2025-04-01", "9999-01-01"],
        }
    )
    frame, report = validate_table(CONCERNS, raw, "concerns.csv")
    assert frame["concern_id"].tolist() == ["C1"]
    assert reasons(counted(report))[3].startswith("resolved outside the accepted dates")


# --- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,200", 1200.0),
        ("$1,000", 1000.0),
        ("$1,000.50", 1000.5),
        ("€3.5", 3.5),
        ("£7", 7.0),
        (" 42 ", 42.0),
        ("1 200", 1200.0),
        ("1'000", 1000.0),
        ("-5", -5.0),
        ("1e3", 1000.0),
    ],
)
def test_parse_numbers(text: str, expected: float) -> None:
    assert parse_numbers(pd.Series([text]))[0] == expected


@pytest.mark.parametrize("text", ["abc", "twelve", "(5)", "inf", "-inf", "", None])
def test_parse_numbers_not_a_number_is_nan(text: str | None) -> None:
    assert np.isnan(parse_numbers(pd.Series([text], dtype=object))[0])


def test_parse_numbers_numeric_input_passes_through() -> None:
    out = parse_numbers(pd.Series([1, 2, 3], dtype="int64"))
    assert out.dtype == "float64" and out.tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(parse_numbers(pd.Series([np.inf]))[0])


def test_numbers_with_separators_currency_and_spaces_are_accepted() -> None:
    raw = event_rows(attendance=[" 1,200 "], cost=["$1,000.50"], officer_hours=[" 12.5"], officers=["3 "])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert counted(report).rows_rejected == 0
    row = frame.iloc[0]
    assert (row["attendance"], row["cost"], row["officer_hours"], row["officers"]) == (
        1200.0,
        1000.5,
        12.5,
        3.0,
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("NaN", "not a number in attendance: 'NaN'"),  # JSON NaN, kept as its text by the reader
        ("Infinity", "not a number in attendance: 'Infinity'"),
        (float("inf"), "not a number in attendance: 'inf'"),
        ("9" * 5000, "not a number in attendance: '" + "9" * 60 + "'"),
        (12345678901234567890123, "attendance out of range (0 to 100000): 1.2345678901234568e+22"),
        (1e308, "attendance out of range (0 to 100000): 1e+308"),
        (-5, "attendance out of range (0 to 100000): -5"),
        ("-0.5", "attendance must be a whole number: '-0.5'"),
    ],
)
def test_hostile_numbers_are_rejected_rows_with_a_readable_reason(cell: object, reason: str) -> None:
    raw = event_rows(2, attendance=[12, cell])
    assert only_reason(raw) == reason


@pytest.mark.parametrize("column", ["cost", "officer_hours", "officers", "youth_attendance"])
def test_negative_amounts_are_rejected(column: str) -> None:
    assert (
        only_reason(event_rows(2, **{column: ["1", "-1"]}))
        == f"{column} out of range (0 to {EVENTS.column(column).max:g}): -1"
    )


def test_huge_whole_floats_are_not_read_as_ids_or_counts_garbled() -> None:
    assert to_text(pd.Series([1e22, 7.0])).tolist() == ["1e+22", "7"]
    assert to_text(pd.Series([1e22, "a"], dtype=object)).tolist() == ["1e+22", "a"]


# --- text, ids and column names --------------------------------------------------------------------


def test_to_text_strips_and_blanks_are_missing() -> None:
    out = to_text(pd.Series([" a ", "", "  ", None, "b"], dtype=object))
    assert out.tolist()[0] == "a" and out.tolist()[4] == "b"
    assert out.isna().tolist() == [False, True, True, True, False]


def test_to_text_whole_floats_read_as_integers() -> None:
    # ids read from a spreadsheet or JSON as numbers: 7.0 must be "7"
    assert to_text(pd.Series([7.0, np.nan, 12.0])).tolist()[::2] == ["7", "12"]
    assert to_text(pd.Series([7.5])).tolist() == ["7.5"]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (" Event ID ", "event_id"),
        ("START", "start"),
        ("Area-ID", "area_id"),
        ("youth attendance", "youth_attendance"),
    ],
)
def test_normalise_column_name(header: str, name: str) -> None:
    assert normalise_column_name(header) == name


def test_headers_matched_loosely_and_unknown_columns_warned() -> None:
    raw = pd.DataFrame(
        {
            " Event ID ": ["E1"],
            "START": ["2025-03-01"],
            "Program": ["Town hall"],
            "Area-ID": ["007"],
            "Notes": ["x"],
        }
    )
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert counted(report).rows_accepted == 1
    assert list(frame.columns) == ["event_id", "start", "program", "area_id"]
    assert frame.loc[0, "event_id"] == "E1"
    assert report.warnings == ["events.csv: columns not in the contract were ignored: Notes"]


@pytest.mark.parametrize(
    "raw_id", ["7", "007", "07", "District 7", " district 7 ", "Area 007", "area no. 7", 7]
)
def test_area_ids_matched_to_known_areas(raw_id: object) -> None:
    frame, report = validate_table(EVENTS, event_rows(area_id=[raw_id]), "events.csv", areas=AREA_IDS)
    assert counted(report).rows_rejected == 0
    assert frame.loc[0, "area_id"] == "007"


def test_ids_stored_as_numbers_read_as_text() -> None:
    raw = pd.DataFrame(
        {
            "event_id": [101.0, 102.0],
            "start": ["2025-01-01"] * 2,
            "program": ["Town hall"] * 2,
            "area_id": [7, 12],
        }
    )
    frame, report = validate_table(EVENTS, raw, "events.json", areas=AREA_IDS)
    assert counted(report).rows_accepted == 2
    assert frame["event_id"].tolist() == ["101", "102"]
    assert frame["area_id"].tolist() == ["007", "012"]


# --- categories ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "program"),
    [
        ("beat meeting", "Beat / community meeting"),
        ("COFFEE WITH A COP", "Coffee with a Cop"),
        ("coffee-with-a-cop", "Coffee with a Cop"),
        ("town hall", "Town hall"),
        ("NNO", "National Night Out"),
        ("Neighborhood Watch", "Neighbourhood watch"),
        ("clean up", "Community clean-up"),
        ("Workshop / Training", "Workshop / training"),
    ],
)
def test_program_spellings_canonicalised(given: str, program: str) -> None:
    frame, report = validate_table(EVENTS, event_rows(program=[given]), "events.csv")
    assert counted(report).rows_rejected == 0
    assert frame.loc[0, "program"] == program
    assert report.warnings == []


def test_unknown_program_counted_as_other_with_warning() -> None:
    raw = event_rows(3, program=["Yoga in the park", "Yoga in the park", "Town hall"])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert counted(report).rows_rejected == 0
    assert frame["program"].tolist() == ["Other", "Other", "Town hall"]
    assert report.warnings == [
        "events: 2 rows have a program outside the list, counted as Other: 'Yoga in the park' (2)"
    ]
    assert set(frame["program"]) <= set(PROGRAMS)


@pytest.mark.parametrize(
    ("given", "status"),
    [
        ("In-Progress", "in progress"),
        ("IN PROGRESS", "in progress"),
        ("Resolved", "resolved"),
        ("open", "open"),
    ],
)
def test_concern_status_canonicalised(given: str, status: str) -> None:
    raw = pd.DataFrame(
        {
            "concern_id": ["C1"],
            "raised": ["2025-01-01"],
            "area_id": ["007"],
            "topic": ["noise"],
            "status": [given],
        }
    )
    frame, report = validate_table(CONCERNS, raw, "concerns.csv")
    assert counted(report).rows_rejected == 0
    assert frame.loc[0, "status"] == status


def test_unknown_optional_category_left_blank_with_warning() -> None:
    raw = pd.DataFrame(
        {
            "concern_id": ["C1", "C2"],
            "raised": ["2025-01-01"] * 2,
            "area_id": ["007"] * 2,
            "topic": ["noise"] * 2,
            "status": ["pending", "open"],
        }
    )
    frame, report = validate_table(CONCERNS, raw, "concerns.csv")
    assert counted(report).rows_rejected == 0
    assert pd.isna(frame.loc[0, "status"]) and frame.loc[1, "status"] == "open"
    assert report.warnings == ["concerns: 1 row has an unknown status, left blank: 'pending' (1)"]


def test_unknown_required_category_rejects_the_row() -> None:
    raw = pd.DataFrame(
        {
            "period_start": ["2025-01-01"] * 2,
            "period_end": ["2025-01-31"] * 2,
            "level": ["District", "county"],
            "area_id": ["7", "7"],
            "metric": ["trust"] * 2,
            "value": ["61.5", "40"],
        }
    )
    reason = only_reason(raw, AREA_SCORES)
    assert reason == "level must be one of city, district, area, sector, beat, not 'county'"


def test_city_wide_scores_may_leave_area_id_blank() -> None:
    raw = pd.DataFrame(
        {
            "period_start": ["2025-01-01"] * 3,
            "period_end": ["2025-01-31"] * 3,
            "level": ["City", "city", "district"],
            "area_id": ["", "Springfield", "7"],
            "metric": ["trust"] * 3,
            "value": ["55", "56", "60"],
        }
    )
    for areas in (None, AREA_IDS):
        frame, report = validate_table(AREA_SCORES, raw, "area_scores.csv", areas=areas)
        assert counted(report).rows_rejected == 0, report.rejected
        assert frame["area_id"].tolist()[:2] == ["city", "city"]
    assert frame["area_id"].tolist()[2] == "007"


# --- rejections, one reason per row ----------------------------------------------------------------


def test_missing_required_value_keeps_original_cells() -> None:
    raw = event_rows(3, program=["Town hall", "", "Town hall"], title=["a", "Café “draft”", "c"])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    counted(report)
    assert report.rows_read == 3 and report.rows_accepted == 2
    rejected = report.rejected.iloc[0].to_dict()
    assert rejected == {
        "row": 3,
        "reason": "missing required value: program",
        "event_id": "E2",
        "start": "2025-03-01",
        "program": "",
        "area_id": "007",
        "title": "Café “draft”",
    }
    assert frame["event_id"].tolist() == ["E1", "E3"]
    assert frame.index.tolist() == [0, 2]  # accepted rows keep their position in the file


def test_bad_date() -> None:
    assert only_reason(event_rows(2, start=["2025-03-01", "someday"])) == "bad date in start: 'someday'"


def test_not_a_number() -> None:
    raw = event_rows(2, attendance=["12", "twelve"])
    assert only_reason(raw) == "not a number in attendance: 'twelve'"


def test_whole_number_required() -> None:
    raw = event_rows(2, attendance=["12", "2.5"])
    assert only_reason(raw) == "attendance must be a whole number: '2.5'"


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("attendance", "-3", "attendance out of range (0 to 100000): -3"),
        ("attendance", "250,000", "attendance out of range (0 to 100000): 250000"),
        ("cost", "-10.5", "cost out of range (0 to 1e+08): -10.5"),
        ("officer_hours", "inf", "not a number in officer_hours: 'inf'"),
    ],
)
def test_number_out_of_range(column: str, value: str, reason: str) -> None:
    raw = event_rows(2, **{column: ["1", value]})
    assert only_reason(raw) == reason


def test_score_out_of_range() -> None:
    raw = pd.DataFrame(
        {
            "response_id": ["R1", "R2"],
            "submitted": ["2025-01-01"] * 2,
            "area_id": ["007"] * 2,
            "trust": ["7", "11"],
        }
    )
    assert only_reason(raw, RESPONSES) == "trust out of range (0 to 10): 11"


def test_youth_attendance_above_attendance() -> None:
    raw = event_rows(3, attendance=["10", "5", ""], youth_attendance=["10", "8", "4"])
    assert (
        only_reason(raw.iloc[[0, 2, 1]].reset_index(drop=True)) == "youth_attendance (8) above attendance (5)"
    )


@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        ("95", "-87.95", "coordinates outside the globe: lat 95"),
        ("-90.5", "-87.95", "coordinates outside the globe: lat -90.5"),
        ("41.85", "-200", "coordinates outside the globe: lon -200"),
        ("0", "0", "coordinates (0, 0) are not a real location"),
        ("0.0", "0.000", "coordinates (0, 0) are not a real location"),
    ],
)
def test_bad_coordinates(lat: str, lon: str, reason: str) -> None:
    raw = event_rows(2, lat=["41.85", lat], lon=["-87.95", lon])
    assert only_reason(raw) == reason


def test_coordinates_outside_every_area() -> None:
    raw = event_rows(2, lat=["41.85", "40.5"], lon=["-87.95", "-80.25"])
    reason = only_reason(raw, areas=AREA_IDS, boundaries=BOUNDARIES)
    assert reason == "coordinates (40.5, -80.25) outside every area"


def test_coordinates_without_boundaries_are_not_checked_against_areas() -> None:
    frame, report = validate_table(EVENTS, event_rows(lat=["40.5"], lon=["-80.25"]), "events.csv")
    assert counted(report).rows_rejected == 0
    assert frame.loc[0, "lat"] == 40.5


def test_coordinates_in_another_area_are_kept_with_a_warning() -> None:
    raw = event_rows(2, lat=["41.85", "41.85"], lon=["-87.95", "-87.85"])  # the second lies in 012
    frame, report = validate_table(EVENTS, raw, "events.csv", areas=AREA_IDS, boundaries=BOUNDARIES)
    assert counted(report).rows_rejected == 0
    assert frame["area_id"].tolist() == ["007", "007"]
    assert report.warnings == [
        "1 event has coordinates in a different area from their area_id; they are counted in their area_id"
    ]


def test_half_coordinates_are_dropped_with_a_warning() -> None:
    raw = event_rows(2, lat=["41.85", "41.86"], lon=["-87.95", ""])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert counted(report).rows_rejected == 0
    assert np.isnan(frame.loc[1, "lat"]) and np.isnan(frame.loc[1, "lon"])
    assert frame.loc[0, "lat"] == 41.85
    assert "1 event has only one of lat and lon; treated as no coordinates" in report.warnings


def test_lat_column_without_lon_column_is_ignored_with_a_warning() -> None:
    frame, report = validate_table(EVENTS, event_rows(lat=["41.85"]), "events.csv")
    assert counted(report).rows_rejected == 0
    assert "lat" not in frame
    assert report.warnings == ["events.csv: lat and lon must come together; the one given was ignored"]


def test_unknown_area_id() -> None:
    raw = event_rows(2, area_id=["7", "999"])
    assert only_reason(raw, areas=AREA_IDS) == "unknown area_id '999'"


def test_area_ids_are_not_checked_without_an_area_index() -> None:
    frame, report = validate_table(EVENTS, event_rows(area_id=["999"]), "events.csv")
    assert counted(report).rows_rejected == 0
    assert frame.loc[0, "area_id"] == "999"


def test_unknown_optional_area_id_left_blank_with_warning() -> None:
    raw = pd.DataFrame(
        {"event_id": ["E1", "E1"], "participant_key": ["p1", "p2"], "home_area_id": ["12", "Mars"]}
    )
    frame, report = validate_table(ATTENDEES, raw, "attendees.csv", areas=AREA_IDS, event_ids={"E1"})
    assert counted(report).rows_rejected == 0
    assert frame["home_area_id"].tolist()[0] == "012" and pd.isna(frame["home_area_id"].iloc[1])
    assert report.warnings == ["attendees: 1 row has an unknown home_area_id, left blank: 'Mars' (1)"]


def test_duplicate_id_names_the_first_row() -> None:
    raw = event_rows(4, event_id=["E1", "E2", "E1", "E1"])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    counted(report)
    assert frame["event_id"].tolist() == ["E1", "E2"]
    assert reasons(report) == {
        4: "duplicate event_id 'E1' (first on row 2)",
        5: "duplicate event_id 'E1' (first on row 2)",
    }


def test_concern_resolved_before_raised() -> None:
    raw = pd.DataFrame(
        {
            "concern_id": ["C1", "C2"],
            "raised": ["2025-03-10", "2025-03-10"],
            "area_id": ["007"] * 2,
            "topic": ["noise"] * 2,
            "resolved": ["2025-03-10", "2025-03-01"],
        }
    )
    assert only_reason(raw, CONCERNS) == "resolved before it was raised"


def test_period_end_before_period_start() -> None:
    raw = pd.DataFrame(
        {
            "period_start": ["2025-01-01", "2025-02-01"],
            "period_end": ["2025-01-31", "2025-01-01"],
            "level": ["district"] * 2,
            "area_id": ["7"] * 2,
            "metric": ["trust"] * 2,
            "value": ["50", "50"],
        }
    )
    assert only_reason(raw, AREA_SCORES) == "period_end before period_start"


def test_attendees_with_unknown_event_id() -> None:
    raw = pd.DataFrame({"event_id": ["E1", "E9"], "participant_key": ["p1", "p2"]})
    assert only_reason(raw, ATTENDEES, event_ids={"E1", "E2"}) == "unknown event_id 'E9'"


def test_responses_with_unknown_event_id_keep_the_row_without_the_link() -> None:
    raw = pd.DataFrame(
        {
            "response_id": ["R1", "R2"],
            "submitted": ["2025-01-01"] * 2,
            "area_id": ["7"] * 2,
            "event_id": ["E1", "E9"],
        }
    )
    frame, report = validate_table(RESPONSES, raw, "responses.csv", event_ids={"E1"})
    assert counted(report).rows_rejected == 0
    assert frame["event_id"].tolist()[0] == "E1" and pd.isna(frame["event_id"].iloc[1])
    assert report.warnings == ["responses: 1 row has an event_id that is not in events; link left blank"]


def test_first_reason_wins() -> None:
    raw = event_rows(2, start=["2025-01-01", "someday"], program=["Town hall", ""], attendance=["1", "x"])
    assert only_reason(raw) == "bad date in start: 'someday'"


def test_every_bad_row_gets_its_own_reason() -> None:
    raw = event_rows(
        6,
        event_id=["E1", "E2", "E3", "E4", "E1", ""],
        start=["2025-01-01", "bad", "2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"],
        attendance=["1", "1", "-1", "1", "1", "1"],
    )
    frame, report = validate_table(EVENTS, raw, "events.csv", areas=AREA_IDS)
    counted(report)
    assert frame["event_id"].tolist() == ["E1", "E4"]
    assert reasons(report) == {
        3: "bad date in start: 'bad'",
        4: "attendance out of range (0 to 100000): -1",
        6: "duplicate event_id 'E1' (first on row 2)",
        7: "missing required value: event_id",
    }


def test_preset_rejects_rows_and_row_offset_shifts_numbers() -> None:
    frame, report = validate_table(
        EVENTS, event_rows(3), "events.csv", preset=[(1, "checked elsewhere")], row_offset=10
    )
    counted(report)
    assert frame["event_id"].tolist() == ["E1", "E3"]
    assert reasons(report) == {11: "checked elsewhere"}


# --- whole-table failures and counting -------------------------------------------------------------


def test_missing_required_columns_fail_the_table_and_count_every_row() -> None:
    raw = pd.DataFrame({"event_id": ["E1", "E2"], "start": ["2025-01-01", "2025-01-02"]})
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert report.status == "failed"
    assert report.errors == [
        "events.csv: missing required columns program, area_id (columns found: event_id, start)"
    ]
    assert frame.empty and list(frame.columns) == list(EVENTS.names)
    counted(report)
    assert report.rejected["row"].tolist() == [2, 3]
    assert set(report.rejected["reason"]) == {"missing required columns program, area_id"}
    assert report.rejected["event_id"].tolist() == ["E1", "E2"]


def test_missing_one_required_column_is_named_in_the_singular() -> None:
    raw = pd.DataFrame({"concern_id": ["C1"], "raised": ["2025-01-01"], "area_id": ["007"]})
    _, report = validate_table(CONCERNS, raw, "concerns.csv")
    assert report.status == "failed"
    assert report.errors == [
        "concerns.csv: missing required column topic (columns found: concern_id, raised, area_id)"
    ]
    assert counted(report).rows_rejected == 1


def test_no_columns_at_all() -> None:
    _, report = validate_table(EVENTS, pd.DataFrame(), "events.json")
    assert report.status == "failed"
    assert report.errors == [
        "events.json: missing required columns event_id, start, program, area_id (columns found: none)"
    ]
    assert counted(report).rows_read == 0


def test_no_rows() -> None:
    frame, report = validate_table(EVENTS, event_rows(0), "events.csv")
    assert report.status == "loaded" and report.errors == []
    assert counted(report).rows_read == 0 and frame.empty


def test_good_rows_have_contract_types() -> None:
    raw = event_rows(
        2,
        attendance=["12", ""],
        lat=["41.85", ""],
        lon=["-87.95", ""],
        beat=["0711", None],
        title=[" Hi ", ""],
    )
    frame, report = validate_table(EVENTS, raw, "events.csv")
    assert counted(report).rows_rejected == 0
    assert frame["start"].dtype == "datetime64[ns]"
    assert frame["attendance"].dtype == "float64" and np.isnan(frame.loc[1, "attendance"])
    assert frame["beat"].tolist()[0] == "0711" and pd.isna(frame["beat"].iloc[1])
    assert frame["title"].tolist()[0] == "Hi" and pd.isna(frame["title"].iloc[1])


def test_areas_table_validates_shares_and_population() -> None:
    raw = pd.DataFrame(
        {
            "area_id": ["007", "012"],
            "name": ["North", "South"],
            "level": ["district", "district"],
            "population": ["12,000", "9000"],
            "share_under_18": ["0.25", "1.5"],
        }
    )
    reason = only_reason(raw, AREAS)
    assert reason == "share_under_18 out of range (0 to 1): 1.5"


# --- gaps found by the data-layer tests ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mar 15, 2025 18:30", "2025-03-15 18:30"),
        ("March 15, 2025 6:30 PM", "2025-03-15 18:30"),
        ("Saturday, March 15, 2025", "2025-03-15"),
        ("15 Mar 2025 18:30", "2025-03-15 18:30"),
    ],
)
def test_parse_dates_with_times_in_words(text: str, expected: str) -> None:
    assert parse_dates(pd.Series([text])).iloc[0] == pd.Timestamp(expected)


def test_a_later_valid_copy_of_an_id_whose_first_copy_was_rejected_is_accepted() -> None:
    raw = event_rows(3, event_id=["E1", "E1", "E1"], start=["someday", "2025-01-01", "2025-01-02"])
    frame, report = validate_table(EVENTS, raw, "events.csv")
    counted(report)
    assert frame.index.tolist() == [1]  # the second copy: the first was rejected for its date
    assert reasons(report) == {
        2: "bad date in start: 'someday'",
        4: "duplicate event_id 'E1' (first on row 3)",
    }


def test_a_whole_float_in_a_mixed_json_column_matches_its_area() -> None:
    raw = pd.DataFrame.from_records(
        [
            {"event_id": "E1", "start": "2025-01-01", "program": "Town hall", "area_id": 7.0},
            {"event_id": "E2", "start": "2025-01-01", "program": "Town hall", "area_id": "007"},
            {"event_id": 3.0, "start": "2025-01-01", "program": "Town hall", "area_id": 12},
        ]
    )
    assert raw["area_id"].dtype == object
    frame, report = validate_table(EVENTS, raw, "events.json", areas=AREA_IDS)
    assert counted(report).rows_rejected == 0
    assert frame["area_id"].tolist() == ["007", "007", "012"]
    assert frame["event_id"].tolist() == ["E1", "E2", "3"]
    assert to_text(pd.Series([7.5, "x", 7.0], dtype=object)).tolist() == ["7.5", "x", "7"]


def test_rows_made_from_another_shape_keep_their_file_row_numbers() -> None:
    raw = event_rows(2, start=["2025-01-01", "never"])
    _, report = validate_table(EVENTS, raw, "wide.csv", row_numbers=np.array([7, 7]))
    assert reasons(report) == {7: "bad date in start: 'never'"}
