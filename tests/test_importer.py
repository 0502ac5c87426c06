"""Imports through the same code the Data page and the command line use: every file shape, every transform,
every kind of bad input, and two exports tried as a new user would."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import area_features, feature, square

from cpdash.config import DEFAULT_DATA
from cpdash.data.dataset import APPROXIMATE
from cpdash.data.load import load_dataset
from cpdash.importing import importer, transforms
from cpdash.importing.importer import Context, ImportProblem, prepare, read_upload, suggest_profile
from cpdash.importing.profiles import Profile
from cpdash.importing.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def sample_context() -> Context:
    return importer.context_from_dataset(load_dataset(DEFAULT_DATA, tables=("areas", "events")))


EVENTS_CSV = (
    "Event ID,Date,Type,District,Title,Attendance\n"
    "E1,2025-03-01,Town hall,7,Spring town hall,40\n"
    "E2,2025-03-02,Coffee with a Cop,007,Coffee,12\n"
    "E3,2025-03-03,Block party,District 7,Party,n/a\n"
)


def test_csv_with_other_column_names_is_mapped_by_name() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV))
    assert importer.suggest_table(upload) == "events"
    mapping = importer.suggest_columns(upload.frame, "events")
    assert {k: v.source for k, v in mapping.items()} == {
        "event_id": "Event ID",
        "start": "Date",
        "program": "Type",
        "area_id": "District",
        "title": "Title",
        "attendance": "Attendance",
    }
    assert mapping["start"].why.endswith("content: 100% dates")
    prepared = prepare(upload, suggest_profile(upload, "events"))
    assert prepared.rows_accepted == 3 and prepared.rows_rejected == 0
    # 7, 007 and District 7 are one area, stored as 7 when the target knows no areas
    assert prepared.accepted["area_id"].tolist() == ["7", "7", "7"]
    stored = prepared.stored()
    assert stored["start"].tolist() == ["2025-03-01", "2025-03-02", "2025-03-03"]
    assert stored["attendance"].tolist() == ["40", "12", None]


def test_area_ids_resolve_to_the_known_areas() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV.replace("7", "1").replace(",1,", ",A1,")))
    prepared = prepare(upload, suggest_profile(upload, "events"), sample_context())
    assert set(prepared.accepted["area_id"]) == {"A01"}


def test_rejected_rows_keep_their_cells_as_uploaded_with_a_reason() -> None:
    text = (
        EVENTS_CSV
        + "E4,someday,Town hall,7,Later,5\nE1,2025-03-05,Town hall,7,Again,5\nE5,2025-03-06,Town hall,7,Too many,1,extra\n"
    )
    upload = read_upload("events.csv", csv_bytes(text))
    prepared = prepare(upload, suggest_profile(upload, "events"))
    assert prepared.rows_accepted == 3
    rejected = prepared.rejected.set_index("row")
    assert rejected.loc[5, "reason"] == "bad date in start: 'someday'"
    assert rejected.loc[5, "Title"] == "Later"  # the file's own column names and cells
    assert rejected.loc[6, "reason"] == (
        "conflicting event_id 'E1': also on row 2 with other start, title, attendance; row 2 kept"
    )
    assert rejected.loc[7, "reason"].startswith("7 cells where the header has 6: 'E5,2025-03-06,")
    assert prepared.rows_read == 6 == prepared.rows_accepted + len(prepared.rejected)


def test_exact_repeated_rows_are_removed_and_counted_apart() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV + EVENTS_CSV.splitlines()[1] + "\n"))
    prepared = prepare(upload, suggest_profile(upload, "events"))
    assert prepared.duplicates == 1 and prepared.rows_rejected == 0
    assert prepared.rejected["reason"].tolist() == ["duplicate of row 2 (the same values)"]


def test_excel_sheet_named_like_the_table_and_a_chosen_sheet() -> None:
    frame = pd.DataFrame(
        {
            "period_start": ["2025-01-01"],
            "period_end": ["2025-01-31"],
            "level": ["city"],
            "area_id": [""],
            "metric": ["trust"],
            "value": [55.0],
        }
    )
    data = workbook({"About": pd.DataFrame({"x": [1]}), "Area Scores": frame})
    upload = read_upload("vendor.xlsx", data)
    assert upload.sheet == "Area Scores" and not upload.unsure_sheet
    assert importer.suggest_table(upload) == "area_scores"
    prepared = prepare(upload, suggest_profile(upload, "area_scores"))
    assert prepared.rows_accepted == 1 and prepared.accepted["area_id"].tolist() == ["city"]
    chosen = read_upload("vendor.xlsx", data, sheet="About")
    assert chosen.sheet == "About" and list(chosen.frame.columns) == ["x"]


def test_excel_with_several_sheets_none_named_like_a_table_is_flagged() -> None:
    data = workbook({"2025": pd.DataFrame({"a": [1]}), "2024": pd.DataFrame({"a": [2]})})
    upload = read_upload("export.xlsx", data)
    assert upload.unsure_sheet and upload.sheets == ("2025", "2024")
    assert "2 sheets (2025, 2024); read the first, '2025'" in upload.notes[0]
    with pytest.raises(ImportProblem, match=r"no sheet named 'Summary' \(sheets: 2025, 2024\)"):
        read_upload("export.xlsx", data, sheet="Summary")


def test_json_records_with_numbers_for_ids() -> None:
    records = [
        {"id": 1, "submitted": "2025-02-01", "area": 7.0, "trust": 4},
        {"id": 2, "submitted": "2025-02-02", "area": "007", "trust": 5},
    ]
    upload = read_upload("survey.json", json.dumps(records).encode())
    assert importer.suggest_table(upload) == "responses"
    profile = suggest_profile(upload, "responses")
    assert profile.columns["area_id"] == "area" and profile.scales == {"trust": "1-5"}
    prepared = prepare(upload, profile, Context(index=importer.AreaIndex(("007",))))
    assert prepared.accepted["area_id"].tolist() == ["007", "007"]  # 7.0 is area 7
    assert prepared.accepted["response_id"].tolist() == ["1", "2"]
    assert prepared.accepted["trust"].tolist() == [7.5, 10.0]
    assert "trust: rescaled to 0–10 from 1 to 5: (answer − 1) × 2.5" in prepared.notes


def test_geojson_areas_and_points() -> None:
    areas = read_upload(
        "areas.geojson", json.dumps({"type": "FeatureCollection", "features": area_features()}).encode()
    )
    assert importer.suggest_table(areas) == "areas"
    prepared = prepare(areas, suggest_profile(areas, "areas"))
    assert prepared.rows_accepted == 3 and len(prepared.geometries) == 3
    points = {
        "type": "FeatureCollection",
        "features": [
            feature(
                {"id": "E1", "date": "2025-01-01", "program": "Town hall", "area": "001"},
                {"type": "Point", "coordinates": [-87.95, 41.85]},
            ),
            feature({"id": "E2", "date": "2025-01-02", "program": "Town hall", "area": "001"}, None),
        ],
    }
    upload = read_upload("events.geojson", json.dumps(points).encode())
    profile = suggest_profile(upload, "events")
    assert profile.columns["lat"] == importer.GEOMETRY_LAT and profile.columns["lon"] == importer.GEOMETRY_LON
    prepared = prepare(upload, profile)
    assert prepared.accepted["lat"].tolist()[0] == 41.85 and np.isnan(prepared.accepted["lat"].iloc[1])


def test_geojson_with_invalid_geometry_rejects_those_features_with_reasons() -> None:
    features = area_features()
    features[1]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    features[2]["geometry"] = {"type": "Polygon", "coordinates": [[["a", "b"], [1, 1]]]}
    upload = read_upload(
        "areas.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode()
    )
    prepared = prepare(upload, suggest_profile(upload, "areas"))
    assert prepared.rows_accepted == 1
    reasons = dict(zip(prepared.rejected["row"], prepared.rejected["reason"], strict=True))
    assert reasons[2] == "geometry must be a Polygon or MultiPolygon, not LineString"
    assert reasons[3].startswith("invalid geometry (")


# --- bad input: a clear message, and nothing loaded is touched -------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("events.csv", b"", r"^events\.csv: the file is empty$"),
        ("events.csv", b"\n \n", r"^events\.csv: the file is empty$"),
        ("events.csv", b"%PDF-1.7 binary", r"not a CSV file \(it looks like a PDF document\)"),
        (
            "events.xlsx",
            b"event_id,start\nE1,2025-01-01\n",
            r"not an Excel workbook \(it looks like CSV or other text\)",
        ),
        ("events.json", b"PK\x03\x04rest of a zip", r"not a JSON file \(it looks like an Excel workbook"),
        ("events.csv", "event_id\nE1\n".encode("utf-16"), r"UTF-16; save it as UTF-8"),
        ("events.json", b'[{"title": "Caf\xe9"}]', r"JSON must be UTF-8 text"),
        ("events.json", b'{"event_id": "E1"}', r"JSON must be a list of records"),
        ("events.json", b"[1, 2]", r"JSON must be a list of records"),
        ("areas.geojson", b'{"type": "Feature"}', r"GeoJSON must be a FeatureCollection"),
        (
            "areas.geojson",
            b'{"type": "FeatureCollection", "features": []}',
            r"the FeatureCollection has no features",
        ),
        ("events.txt", b"a,b\n", r"cannot import a \.txt; use CSV, Excel \(\.xlsx\), JSON or GeoJSON"),
    ],
)
def test_bad_files_get_a_clear_message(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportProblem, match=message):
        read_upload(name, data)


def test_a_file_over_the_size_limit() -> None:
    with pytest.raises(ImportProblem, match=r"the file is 2 KB, above the 1 KB limit; split it"):
        read_upload("events.csv", b"x" * 2048, max_bytes=1024)


def test_windows_1252_csv_is_read_with_a_note() -> None:
    upload = read_upload("events.csv", "event_id,title\nE1,Café\n".encode("cp1252"))
    assert upload.frame["title"].tolist() == ["Café"]
    assert "read as Windows-1252" in upload.notes[0]


def test_mixed_date_formats_in_one_column_get_a_clear_message_and_a_chosen_format_rejects_the_others() -> (
    None
):
    text = "id,date,program,area\nE1,03/15/2025,Town hall,1\nE2,03/16/2025,Town hall,1\nE3,16/03/2025,Town hall,1\n"
    upload = read_upload("events.csv", csv_bytes(text))
    profile = suggest_profile(upload, "events")
    assert profile.date_formats["start"] == transforms.AUTO
    prepared = prepare(upload, profile)
    assert any(
        n.startswith("start mixes date formats") and "Day-first and month-first" in n for n in prepared.notes
    )
    profile.date_formats["start"] = "%m/%d/%Y"
    prepared = prepare(upload, profile)
    assert prepared.rows_accepted == 2
    assert prepared.rejected["reason"].tolist() == ["bad date in start: '16/03/2025' (expected MM/DD/YYYY)"]


def test_a_profile_that_does_not_fit_the_file() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV))
    profile = Profile(name="old", table="events", columns={"start": "Start Date", "event_id": "Event ID"})
    with pytest.raises(
        ImportProblem, match="the mapping 'old' reads columns this file does not have: 'Start Date'"
    ):
        prepare(upload, profile)


def test_a_mapping_without_a_required_column_says_so() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV))
    profile = Profile(name="x", table="events", columns={"event_id": "Event ID"})
    with pytest.raises(ImportProblem, match="missing required columns start, program, area_id"):
        prepare(upload, profile)


# --- tried as a new user would ---------------------------------------------------------------------


def new_store(tmp_path: Path) -> Path:
    """An empty folder source holding the sample city's boundaries, imported through the importer."""
    folder = tmp_path / "ours"
    folder.mkdir()
    upload = read_upload("areas.geojson", (DEFAULT_DATA / "areas.geojson").read_bytes())
    open_store(folder).commit(prepare(upload, suggest_profile(upload, "areas")))
    return folder


def test_a_calendar_export_becomes_events_on_the_map(tmp_path: Path) -> None:
    folder = new_store(tmp_path)
    ds = load_dataset(folder, tables=("areas", "events"))
    context = importer.context_from_dataset(ds)
    upload = read_upload("calendar_export.csv", (FIXTURES / "calendar_export.csv").read_bytes())
    assert importer.suggest_table(upload) == "events"
    profile = suggest_profile(upload, "events", context)
    # nothing to map by hand: title, date with its time column, places and programs from the free text
    assert profile.columns["start"] == "Start Date" and profile.time_columns == {"start": "Start Time"}
    assert profile.columns["title"] == "Subject" and profile.program_from == "Subject"
    assert profile.area_from == "Location" and "event_id" not in profile.columns and profile.id_from
    prepared = prepare(upload, profile, context)
    assert (prepared.rows_read, prepared.rows_accepted, prepared.rows_rejected, prepared.duplicates) == (
        74,
        72,
        1,
        1,
    )
    assert "no area found in Location: 'TBD'" in prepared.rejected["reason"].tolist()
    preview = prepared.preview(context.areas)
    assert set(preview["placed on the map"]) == {"at its area's centre (approximate)"}
    open_store(folder).commit(prepared)

    ds = load_dataset(folder, cache_dir=tmp_path / "cache")
    assert ds.report.errors == [] and len(ds.events) == 72
    events = ds.events
    assert events[APPROXIMATE].all() and events["lat"].notna().all()
    first = events.iloc[0]
    centre = ds.areas.set_index("area_id").loc[first["area_id"]]
    assert (first["lat"], first["lon"]) == (centre["centroid_lat"], centre["centroid_lon"])
    programs = events.set_index("title")["program"].to_dict()
    assert programs["Coffee With The Commander"] == "Coffee with a Cop"
    assert programs["Police Explorers Open House"] == "Youth mentorship"
    assert programs["Bingo Night"] == "Other"
    assert events.loc[events["title"] == "Clergy Walk", "start"].dt.hour.isin([9, 10, 14, 17, 18, 19]).all()
    from cpdash.charts import maps

    assert hasattr(
        maps, "__file__"
    )  # the map page draws these through cpdash.maps (see test_data_page_import)


def test_a_wide_vendor_table_becomes_trust_scores_per_area(tmp_path: Path) -> None:
    folder = new_store(tmp_path)
    context = importer.context_from_dataset(load_dataset(folder, tables=("areas", "events")))
    upload = read_upload("vendor_scores.csv", (FIXTURES / "vendor_scores.csv").read_bytes())
    assert importer.suggest_table(upload) == "area_scores"
    profile = suggest_profile(upload, "area_scores", context)
    assert profile.wide is not None and profile.wide.levels["area"] == "AREA"
    prepared = prepare(upload, profile, context)
    assert prepared.source_rows == 71
    assert prepared.duplicates == 14  # one repeated row of the file, 14 scores
    # area "26" is not an area of this city (its areas are A01 ... A30): rejected, with the reason
    assert set(
        prepared.rejected.loc[prepared.rejected["reason"] != "", "reason"].str.split(r" \(|:").str[0]
    ) >= {"unknown area_id '26'"}
    long = prepared.accepted
    trust = long[(long["metric"] == "trust") & long["group"].isna()]
    assert set(trust["level"]) == {"city", "area"}
    assert set(trust.loc[trust["level"] == "area", "area_id"]) == {
        "A28",
        "A02",
        "A03",
        "A14",
        "A07",
    }  # a2, A7 ...
    weekly = trust[(trust["period_end"] - trust["period_start"]).dt.days == 6]
    assert len(weekly) == 4 * 6  # four weeks, the city and five areas
    assert set(long["group"].dropna()) == {"age: low", "age: medium", "age: high", "sex: female", "sex: male"}
    open_store(folder).commit(prepared)
    ds = load_dataset(folder, cache_dir=tmp_path / "cache")
    from cpdash.metrics.memory import MemorySource
    from cpdash.metrics.periods import Filters
    from cpdash.metrics.published import published_by_area

    published = published_by_area(MemorySource(ds), "trust", Filters())
    assert set(published["area_id"]) == {"A28", "A02", "A03", "A14", "A07"}
    assert published["value"].between(30, 90).all()


# --- real exports' problems, one at a time ---------------------------------------------------------


VENDOR_WEEK = (
    "START_DATE,END_DATE,CITY,DISTRICT,TRUST,T_AGE_LOW\n"
    "01/05/2025,01/11/2025,Chicago,,55,60\n"
    "01/05/2025,01/11/2025,Chicago,,57,\n"  # the same week again, another value, its breakdown blank
)


@pytest.mark.parametrize(
    ("choice", "kept", "reason"),
    [
        ("keep-first", [55.0, 60.0], "row 2 kept"),
        ("keep-last", [60.0, 57.0], "row 3 kept"),
        ("reject-both", [60.0], "every row of it rejected"),
    ],
)
def test_two_city_rows_for_one_week_are_a_conflict_not_a_crash(choice: str, kept: list, reason: str) -> None:
    upload = read_upload("vendor.csv", VENDOR_WEEK.encode())
    prepared = prepare(upload, suggest_profile(upload, "area_scores"), on_conflict=choice)
    assert sorted(prepared.accepted["value"].tolist()) == sorted(kept)
    conflicting = prepared.rejected[prepared.rejected["reason"].str.startswith("conflicting figure")]
    assert conflicting["reason"].str.endswith(reason).all() and len(conflicting) == (
        2 if choice == "reject-both" else 1
    )
    assert prepared.conflicts[["row", "kept"]].values.tolist() == [
        [2, "kept" if choice == "keep-first" else "rejected"],
        [3, "kept" if choice == "keep-last" else "rejected"],
    ]
    assert any(line.startswith("conflicts: 1 figures given different values") for line in prepared.summary())


def test_a_boundary_file_without_a_level_gets_a_constant_and_its_numeric_id() -> None:
    features = [
        feature(
            {"dist_label": f"{n}TH", "dist_num": str(n), "shape_area": 1e8 + n * 7.5},
            square(-88 + n * 0.1, 41.8),
        )
        for n in range(4, 8)
    ]
    upload = read_upload(
        "police_districts.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode()
    )
    suggested = importer.suggest_mapping(upload, "areas")
    profile = suggested.profile
    assert profile.columns == {"area_id": "dist_num", "name": "dist_label"}
    assert profile.derived["level"] == transforms.Derived(value="district")
    assert "parent_id" not in profile.derived  # shape_area names an "area" but differs on every row
    assert (
        suggested.reasons["area_id"].score >= 0.9 and "unique and short" in suggested.reasons["area_id"].why
    )
    prepared = prepare(upload, profile)
    assert prepared.accepted["level"].tolist() == ["district"] * 4
    assert prepared.accepted["area_id"].tolist() == ["4", "5", "6", "7"]


def test_the_column_most_to_blame_is_named() -> None:
    text = "id,date,program,location\n" + "".join(
        f"E{i},2025-01-0{i},Town hall,Library\n" for i in range(1, 6)
    )
    upload = read_upload("events.csv", text.encode())
    profile = suggest_profile(
        upload, "events", Context(areas=pd.DataFrame({"area_id": ["7"], "name": ["Riverside"]}))
    )
    assert profile.area_from == "location"
    prepared = prepare(upload, profile)
    assert prepared.rejected_share == 100.0
    column, where, rows, example = importer.blame(prepared)
    assert (column, where, rows) == ("area_id", "the place named in 'location'", 5)
    assert example == "no area found in location: 'Library'"


def test_only_areas_are_dissolved_and_a_new_program_in_a_rule_is_explained() -> None:
    upload = read_upload("events.csv", csv_bytes(EVENTS_CSV))
    profile = suggest_profile(upload, "events")
    profile.dissolve_by = ["District"]
    with pytest.raises(ImportProblem, match="only areas can be dissolved"):
        prepare(upload, profile)


def test_a_department_program_validates_and_a_program_column_naming_it_is_kept(tmp_path: Path) -> None:
    from cpdash.data.programs import add_rule

    taxonomy = add_rule(tmp_path, "Peer Jury", "Peer jury", "youth")
    text = "id,date,type,area,title\nE1,2025-01-01,Peer jury,7,Hearing\nE2,2025-01-02,,7,Peer Jury night\n"
    upload = read_upload("events.csv", text.encode())
    context = Context(taxonomy=taxonomy)
    profile = suggest_profile(upload, "events", context)
    prepared = prepare(upload, profile, context)
    assert prepared.accepted["program"].tolist() == ["Peer jury", "Peer jury"]
    assert not prepared.report.warnings or "outside the list" not in " ".join(prepared.report.warnings)


def test_an_answer_off_the_scale_names_the_scale_in_its_reason() -> None:
    upload = read_upload(
        "r.csv", csv_bytes("response_id,submitted,area_id,trust\nR1,2025-03-01,001,7\nR2,2025-03-01,001,-3\n")
    )
    prepared = prepare(upload, suggest_profile(upload, "responses"))
    assert prepared.rejected["reason"].tolist() == ["trust answer '-3' is not on the 0 to 10 scale"]
