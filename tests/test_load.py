"""Loading a folder source: every table validated, bad files reported, good rows kept, nothing lost."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import (
    AREA_SQUARES,
    CONCERNS_ROWS,
    EVENTS_ROWS,
    LAT_NORTH,
    LAT_SOUTH,
    RESPONSES_ROWS,
    SIDE,
    area_features,
    feature,
    square,
    write_csv,
    write_geojson,
    write_text,
)
from shapely.geometry import Point, shape

from cpdash.data.dataset import APPROXIMATE, CENTROID_LAT, CENTROID_LON, SENTIMENT, Dataset, LoadReport
from cpdash.data.load import load_dataset, place_events, source_signature
from cpdash.data.schema import EVENTS


def load(folder: Path, tmp_path: Path, **kwargs) -> Dataset:
    """Load `folder`, keeping any sentiment cache inside the test's temporary folder."""
    return load_dataset(folder, cache_dir=tmp_path / "cache", **kwargs)


def all_counted(report: LoadReport) -> None:
    """No table dropped a row without counting it."""
    for name, table in report.tables.items():
        assert table.rows_read == table.rows_accepted + table.rows_rejected, name


def inside(area_id: str, lat: float, lon: float) -> bool:
    """True when (lat, lon) lies inside the square of `area_id` (see conftest)."""
    west = AREA_SQUARES[area_id][1]
    return shape(square(west, LAT_SOUTH)).contains(Point(lon, lat))


MIN_EVENT = {"event_id": "E1", "start": "2025-01-01", "program": "Town hall", "area_id": "001"}

# --- a good folder ---------------------------------------------------------------------------------


def test_good_folder_loads_every_table_without_rejections(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path)
    report = ds.report
    assert report.errors == []
    assert report.rows_rejected == 0
    all_counted(report)
    statuses = {name: t.status for name, t in report.tables.items()}
    assert statuses == {
        "areas": "loaded",
        "events": "loaded",
        "responses": "loaded",
        "area_scores": "absent",
        "concerns": "loaded",
        "attendees": "absent",
    }
    assert report.tables["events"].file == "events.csv"
    assert (len(ds.events), len(ds.areas), len(ds.responses), len(ds.concerns)) == (6, 3, 3, 2)
    assert ds.area_scores is None and ds.attendees is None
    assert ds.has("events") and ds.has("concerns") and not ds.has("attendees")
    assert ds.is_sample is False
    assert set(report.seconds) >= {"areas", "events", "placing"}


def test_good_folder_values_are_typed(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path)
    events = ds.events.set_index("event_id")
    assert events.loc["E3", "start"] == pd.Timestamp("2025-03-20 18:30")
    assert events.loc["E3", "attendance"] == 40.0
    assert events.loc["E1", "title"] == "Coffee at Café Rosa"
    assert events["area_id"].tolist().count("001") == 3
    assert ds.concerns.set_index("concern_id").loc["C1", "resolved"] == pd.Timestamp("2025-02-01")


def test_areas_have_centroids_inside_and_clean_geojson(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path)
    areas = ds.areas.set_index("area_id")
    assert areas.loc["002", "name"] == "Riverside"
    assert areas.loc["003", "population"] == 30_000
    for area_id in AREA_SQUARES:
        assert inside(area_id, areas.loc[area_id, CENTROID_LAT], areas.loc[area_id, CENTROID_LON])
    features = ds.areas_geojson["features"]
    assert [f["properties"] for f in features] == [
        {"area_id": "001", "name": "North End"},
        {"area_id": "002", "name": "Riverside"},
        {"area_id": "003", "name": "Hillcrest"},
    ]


def test_frames_come_back_sorted_by_their_date(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path)
    assert ds.events["start"].is_monotonic_increasing
    assert ds.events["event_id"].tolist() == ["E1", "E6", "E2", "E4", "E3", "E5"]
    assert ds.responses["submitted"].is_monotonic_increasing
    assert ds.responses["response_id"].tolist() == ["R1", "R3", "R2"]
    assert ds.concerns["raised"].is_monotonic_increasing
    assert ds.concerns["concern_id"].tolist() == ["C1", "C2"]
    assert ds.events.index.tolist() == list(range(6))


def test_sentiment_column_with_nan_where_there_is_no_comment(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path)
    responses = ds.responses.set_index("response_id")
    assert SENTIMENT in responses
    assert np.isnan(responses.loc["R1", SENTIMENT])  # blank comment
    assert responses[SENTIMENT].dtype == "float64"


def test_sentiment_column_when_no_response_has_a_comment(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_csv(folder / "events.csv", [MIN_EVENT])
    write_csv(folder / "responses.csv", [{"response_id": "R1", "submitted": "2025-01-02", "area_id": "001"}])
    ds = load(folder, tmp_path)
    assert ds.responses[SENTIMENT].isna().all() and len(ds.responses) == 1


# --- placing events without coordinates ------------------------------------------------------------


def test_events_without_coordinates_placed_at_area_or_beat_centroid(
    folder_source: Path, tmp_path: Path
) -> None:
    ds = load(folder_source, tmp_path)
    events = ds.events.set_index("event_id")
    # E5: no beat; placed at its area's label point, inside the polygon
    assert events.loc["E5", APPROXIMATE]
    assert inside("003", events.loc["E5", "lat"], events.loc["E5", "lon"])
    area = ds.areas.set_index("area_id").loc["003"]
    assert (events.loc["E5", "lat"], events.loc["E5", "lon"]) == (area[CENTROID_LAT], area[CENTROID_LON])
    # E6: beat 11, whose other events (E1, E2) have coordinates: their median
    assert events.loc["E6", APPROXIMATE]
    assert events.loc["E6", "lat"] == pytest.approx((41.82 + 41.84) / 2)
    assert events.loc["E6", "lon"] == pytest.approx((-87.98 + -87.96) / 2)
    # events with coordinates keep them and are exact
    assert not events.loc["E1", APPROXIMATE] and events.loc["E1", "lat"] == 41.82
    assert events[APPROXIMATE].sum() == 2
    assert ds.report.tables["events"].warnings == [
        "2 events have no coordinates: 2 placed at their area's centroid (1 at their beat's)"
    ]


def test_events_without_any_coordinates_columns_are_placed_at_area_centroids(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(folder / "events.csv", [MIN_EVENT, {**MIN_EVENT, "event_id": "E2", "area_id": "3"}])
    ds = load(folder, tmp_path)
    events = ds.events.set_index("event_id")
    assert events[APPROXIMATE].all()
    assert inside("001", events.loc["E1", "lat"], events.loc["E1", "lon"])
    assert inside("003", events.loc["E2", "lat"], events.loc["E2", "lon"])
    assert ds.report.tables["events"].warnings == [
        "2 events have no coordinates: 2 placed at their area's centroid"
    ]


def test_place_events_without_a_boundary_says_they_cannot_be_mapped() -> None:
    events = pd.DataFrame(
        {"event_id": ["E1", "E2"], "area_id": ["A", "B"], "lat": [np.nan, 1.0], "lon": [np.nan, 2.0]}
    )
    areas = pd.DataFrame({"area_id": ["A", "B"], CENTROID_LAT: [np.nan, 5.0], CENTROID_LON: [np.nan, 6.0]})
    placed, words = place_events(events, areas)
    assert words == ["1 event has no coordinates; 1 cannot be mapped (their area has no boundary)"]
    assert placed[APPROXIMATE].tolist() == [False, False]
    assert np.isnan(placed.loc[0, "lat"])
    assert "approximate" not in events  # the input is not changed


def test_place_events_with_every_coordinate_has_no_warning() -> None:
    events = pd.DataFrame({"event_id": ["E1"], "area_id": ["A"], "lat": [1.0], "lon": [2.0]})
    placed, words = place_events(
        events, pd.DataFrame({"area_id": ["A"], CENTROID_LAT: [0.0], CENTROID_LON: [0.0]})
    )
    assert words == [] and placed[APPROXIMATE].tolist() == [False]


# --- folders with problems -------------------------------------------------------------------------


def test_broken_folder_reports_problems_and_keeps_the_good_rows(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    rows = [dict(r) for r in EVENTS_ROWS]
    rows[0]["start"] = "someday"  # E3, row 2
    rows[1]["area_id"] = "999"  # E1, row 3
    rows[3]["attendance"] = "-4"  # E5, row 5
    write_csv(folder / "events.csv", rows)
    (folder / "responses.parquet").write_bytes(os.urandom(300))  # unreadable
    write_csv(folder / "concerns.csv", [{"concern_id": "C1", "raised": "2025-01-01", "area_id": "001"}])
    write_csv(
        folder / "attendees.csv",
        [{"event_id": "E2", "participant_key": "p1"}, {"event_id": "E1", "participant_key": "p2"}],
    )
    ds = load(folder, tmp_path)
    report = ds.report
    all_counted(report)

    events = report.tables["events"]
    assert events.status == "loaded" and (events.rows_read, events.rows_accepted) == (6, 3)
    assert sorted(ds.events["event_id"]) == ["E2", "E4", "E6"]
    rejected = events.rejected.set_index("row")
    assert rejected.loc[2, "reason"] == "bad date in start: 'someday'"
    assert rejected.loc[3, "reason"] == "unknown area_id '999'"
    assert rejected.loc[5, "reason"] == "attendance out of range (0 to 100000): -4"
    assert rejected.loc[2, "event_id"] == "E3" and rejected.loc[3, "title"] == "Coffee at Café Rosa"

    responses = report.tables["responses"]
    assert responses.status == "failed" and ds.responses is None
    assert len(responses.errors) == 1
    assert responses.errors[0].startswith("responses.parquet: not a readable Parquet file")

    concerns = report.tables["concerns"]
    assert concerns.status == "failed" and ds.concerns is None
    assert concerns.errors == [
        "concerns.csv: missing required column topic (columns found: concern_id, raised, area_id)"
    ]
    assert concerns.rejected["reason"].tolist() == ["missing required column topic"]

    attendees = report.tables["attendees"]  # E1 was rejected, so its attendee is too
    assert ds.attendees["participant_key"].tolist() == ["p1"]
    assert attendees.rejected.loc[0, "reason"] == "unknown event_id 'E1'"

    assert report.errors == [responses.errors[0], concerns.errors[0]]
    assert report.rows_rejected == 3 + 1 + 1
    assert len(ds.areas) == 3


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        (
            "concerns.csv",
            b"\x00\x01 not, a\ncsv\x00 file",
            "concerns.csv: not a CSV file (it holds binary data",
        ),
        ("concerns.csv", b"", "concerns.csv: the file is empty"),
        ("concerns.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "concerns.xlsx: not a readable Excel file"),
        ("concerns.json", b'{"concern_id": "C1"}', "concerns.json: JSON must be a list of records"),
        ("concerns.json", b"[{", "concerns.json: not valid JSON"),
        ("concerns.parquet", b"PAR1 not really", "concerns.parquet: not a readable Parquet file"),
    ],
)
def test_unreadable_file_fails_its_table_only(
    folder_source: Path, tmp_path: Path, name: str, data: bytes, error: str
) -> None:
    (folder_source / "concerns.csv").unlink()
    (folder_source / name).write_bytes(data)
    ds = load(folder_source, tmp_path)
    concerns = ds.report.tables["concerns"]
    assert concerns.status == "failed" and concerns.file == name
    assert len(concerns.errors) == 1 and concerns.errors[0].startswith(error)
    assert ds.report.errors == concerns.errors
    assert ds.concerns is None
    assert len(ds.events) == 6 and len(ds.responses) == 3 and len(ds.areas) == 3
    all_counted(ds.report)


def test_events_outside_every_area_are_rejected(folder_source: Path, tmp_path: Path) -> None:
    rows = [dict(r) for r in EVENTS_ROWS]
    rows[0]["lat"], rows[0]["lon"] = "40.0", "-80.0"
    write_csv(folder_source / "events.csv", rows)
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["events"].rejected["reason"].tolist() == [
        "coordinates (40.0, -80.0) outside every area"
    ]
    assert "E3" not in set(ds.events["event_id"])


def test_area_ids_are_matched_across_tables(folder_source: Path, tmp_path: Path) -> None:
    rows = [dict(r) for r in EVENTS_ROWS]
    rows[0]["area_id"] = "2"
    rows[1]["area_id"] = "District 1"
    write_csv(folder_source / "events.csv", rows)
    rows = [dict(r) for r in CONCERNS_ROWS]
    rows[0]["area_id"] = "02"
    write_csv(folder_source / "concerns.csv", rows)
    ds = load(folder_source, tmp_path)
    assert ds.report.rows_rejected == 0
    events = ds.events.set_index("event_id")
    assert (events.loc["E3", "area_id"], events.loc["E1", "area_id"]) == ("002", "001")
    assert ds.concerns.set_index("concern_id").loc["C2", "area_id"] == "002"


def test_only_events_with_required_columns(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_csv(
        folder / "events.csv",
        [MIN_EVENT, {**MIN_EVENT, "event_id": "E2", "area_id": "B7"}, {**MIN_EVENT, "event_id": "E3"}],
    )
    ds = load(folder, tmp_path)
    assert ds.report.errors == []
    all_counted(ds.report)
    assert len(ds.events) == 3
    assert ds.areas["area_id"].tolist() == ["001", "B7"]
    assert ds.areas["name"].tolist() == ["001", "B7"]
    assert ds.areas_geojson is None
    assert (
        "no areas table: areas are known only by the ids in the data (no names, maps or populations)"
        in ds.report.notes
    )
    assert not ds.events[APPROXIMATE].any()
    assert ds.events["lat"].isna().all()
    assert ds.report.tables["events"].warnings == [
        "3 events have no coordinates; 3 cannot be mapped (their area has no boundary)"
    ]
    assert ds.responses is None and ds.concerns is None


def test_missing_folder_gives_an_error_and_an_empty_events_frame(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    ds = load(missing, tmp_path)
    assert ds.report.errors == ["data source nowhere: no such folder"]  # its path is not for every page
    assert ds.events.empty
    assert list(ds.events.columns) == list(EVENTS.names)
    assert ds.areas.empty and "area_id" in ds.areas
    assert not ds.has("events")


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    path = write_text(tmp_path / "events.csv", "event_id\nE1\n")
    ds = load(path, tmp_path)
    assert ds.report.errors == ["data source events.csv: no such folder"]
    assert ds.events.empty


def test_no_events_file(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(folder / "concerns.csv", CONCERNS_ROWS)
    ds = load(folder, tmp_path)
    assert ds.report.tables["events"].status == "failed"
    assert ds.report.errors == ["source: no events file (events.csv, .parquet, .xlsx or .json)"]
    assert "events" in ds.report.errors[0]
    assert ds.events.empty and list(ds.events.columns)[:4] == ["event_id", "start", "program", "area_id"]
    assert len(ds.concerns) == 2 and len(ds.areas) == 3  # what could be read still is


def test_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    ds = load(folder, tmp_path)
    assert any("no events file" in e for e in ds.report.errors)
    assert ds.events.empty and ds.areas.empty


def test_events_missing_a_required_column_still_loads_the_rest(folder_source: Path, tmp_path: Path) -> None:
    write_csv(
        folder_source / "events.csv", [{k: v for k, v in r.items() if k != "program"} for r in EVENTS_ROWS]
    )
    ds = load(folder_source, tmp_path)
    events = ds.report.tables["events"]
    assert events.status == "failed"
    assert events.errors[0].startswith(
        "events.csv: missing required column program (columns found: event_id,"
    )
    assert events.rows_rejected == 6 and ds.events.empty
    all_counted(ds.report)
    # responses still load; their links to events that did not load are left blank
    assert len(ds.responses) == 3 and ds.responses["event_id"].isna().all()
    assert len(ds.concerns) == 2


def test_events_as_geojson_is_refused(folder_source: Path, tmp_path: Path) -> None:
    (folder_source / "events.csv").unlink()
    write_geojson(folder_source / "events.geojson", area_features())
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["events"].errors[0] == "events.geojson: GeoJSON is only for areas"
    assert ds.events.empty


# --- other file types and tables -------------------------------------------------------------------


def test_excel_parquet_and_json_tables(folder_source: Path, tmp_path: Path) -> None:
    (folder_source / "events.csv").unlink()
    (folder_source / "responses.csv").unlink()
    (folder_source / "concerns.csv").unlink()
    with pd.ExcelWriter(folder_source / "events.xlsx") as writer:
        pd.DataFrame({"read": ["me first"]}).to_excel(writer, sheet_name="About", index=False)
        pd.DataFrame(EVENTS_ROWS).to_excel(writer, sheet_name="Events", index=False)
    pd.DataFrame(
        {
            "response_id": ["R1", "R2"],
            "submitted": pd.to_datetime(["2025-02-01 10:00", "2025-01-01 09:00"]),
            "area_id": [1, 3],
            "trust": [7.0, np.nan],
        }
    ).to_parquet(folder_source / "responses.parquet")
    write_text(folder_source / "concerns.json", json.dumps({"records": CONCERNS_ROWS}))
    ds = load(folder_source, tmp_path)
    assert ds.report.errors == [] and ds.report.rows_rejected == 0
    assert len(ds.events) == 6
    assert "events.xlsx: 2 sheets (About, Events); read the one named like the table, 'Events'" in (
        ds.report.tables["events"].warnings
    )
    assert ds.responses["area_id"].tolist() == ["003", "001"]  # numbers matched to padded ids
    assert ds.responses["response_id"].tolist() == ["R2", "R1"]  # sorted by submitted
    assert ds.responses[SENTIMENT].isna().all()
    assert ds.concerns["concern_id"].tolist() == ["C1", "C2"]
    assert ds.report.tables["concerns"].file == "concerns.json"


def test_area_scores_and_attendees(folder_source: Path, tmp_path: Path) -> None:
    write_csv(
        folder_source / "area_scores.csv",
        [
            {
                "period_start": "2025-01-01",
                "period_end": "2025-03-31",
                "level": "City",
                "area_id": "",
                "metric": "trust",
                "value": "61",
                "n": "1,200",
            },
            {
                "period_start": "2025-01-01",
                "period_end": "2025-03-31",
                "level": "district",
                "area_id": "District 2",
                "metric": "trust",
                "value": "55.5",
                "n": "",
            },
        ],
    )
    write_csv(
        folder_source / "attendees.csv",
        [
            {"event_id": "E1", "participant_key": "k1", "home_area_id": "1", "age_group": "18-24"},
            {"event_id": "E2", "participant_key": "k1", "home_area_id": "", "age_group": ""},
        ],
    )
    ds = load(folder_source, tmp_path)
    assert ds.report.errors == [] and ds.report.rows_rejected == 0
    assert ds.area_scores["area_id"].tolist() == ["city", "002"]
    assert ds.area_scores["n"].tolist()[0] == 1200
    assert ds.attendees["home_area_id"].tolist()[0] == "001"
    assert ds.has("attendees") and ds.has("area_scores")


def test_areas_as_csv_have_no_boundaries(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_csv(folder / "areas.csv", [{"area_id": "001", "name": "North End", "level": "district"}])
    write_csv(folder / "events.csv", [MIN_EVENT, {**MIN_EVENT, "event_id": "E2", "area_id": "002"}])
    ds = load(folder, tmp_path)
    assert ds.areas_geojson is None
    assert ds.areas[CENTROID_LAT].isna().all()
    assert (
        "areas: no boundaries (not GeoJSON), so areas cannot be mapped" in ds.report.tables["areas"].warnings
    )
    assert ds.events["event_id"].tolist() == ["E1"]
    assert ds.report.tables["events"].rejected["reason"].tolist() == ["unknown area_id '002'"]


def test_areas_with_unusable_features_keep_the_others(folder_source: Path, tmp_path: Path) -> None:
    features = area_features()
    features[1]["geometry"] = None  # 002
    features.append(
        feature({"area_id": "004", "name": "Lakeside", "level": "zone"}, square(-87.7, LAT_SOUTH))
    )
    write_geojson(folder_source / "areas.geojson", features)
    ds = load(folder_source, tmp_path)
    areas = ds.report.tables["areas"]
    assert ds.areas["area_id"].tolist() == ["001", "003"]
    rejected = areas.rejected.set_index("feature")
    assert rejected.loc[2, "reason"] == "geometry must be a Polygon or MultiPolygon, not none"
    assert rejected.loc[4, "reason"].startswith("level must be one of city, district, area, sector, beat")
    all_counted(ds.report)
    # events and responses in 002 now name an unknown area and are rejected, with that reason
    assert "unknown area_id '002'" in set(ds.report.tables["events"].rejected["reason"])
    assert len(ds.areas_geojson["features"]) == 2


def test_areas_without_names_or_level_are_named_by_id(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", [feature({"area_id": "001"}, square(-88.0, LAT_SOUTH))])
    write_csv(folder / "events.csv", [MIN_EVENT])
    ds = load(folder, tmp_path)
    assert ds.report.errors == []
    assert ds.areas[["area_id", "name", "level"]].to_dict("records") == [
        {"area_id": "001", "name": "001", "level": "area"}
    ]
    assert ds.events[APPROXIMATE].tolist() == [True]


def test_areas_without_area_id_fail_but_events_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", [feature({"DIST_NUM": "1"}, square(-88.0, LAT_SOUTH))])
    write_csv(folder / "events.csv", [MIN_EVENT])
    ds = load(folder, tmp_path)
    areas = ds.report.tables["areas"]
    assert areas.status == "failed"
    assert areas.errors == [
        "areas.geojson: missing required columns area_id, name, level (columns found: DIST_NUM)"
    ]
    all_counted(ds.report)
    assert ds.events["event_id"].tolist() == ["E1"]  # not rejected for an unknown area
    assert ds.areas["area_id"].tolist() == ["001"]


def test_areas_feature_collection_without_features(folder_source: Path, tmp_path: Path) -> None:
    write_geojson(folder_source / "areas.geojson", [])
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["areas"].errors == ["areas.geojson: the FeatureCollection has no features"]
    assert len(ds.events) == 6
    assert sorted(ds.areas["area_id"]) == ["001", "002", "003"]


def test_malformed_areas_geojson(folder_source: Path, tmp_path: Path) -> None:
    write_text(folder_source / "areas.geojson", '{"type": "FeatureCollection", "features": [}')
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["areas"].status == "failed"
    assert ds.report.tables["areas"].errors[0].startswith("areas.geojson: not valid GeoJSON")
    assert len(ds.events) == 6


# --- manifest, progress, signature ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "is_sample"),
    [
        ('{"name": "Sample city", "synthetic": true}', True),
        ('{"synthetic": false}', False),
        ('{"synthetic": "yes"}', False),
        ("[true]", False),
        ("{not json", False),
        (None, False),
    ],
)
def test_manifest_synthetic_sets_is_sample(tmp_path: Path, manifest: str | None, is_sample: bool) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_csv(folder / "events.csv", [MIN_EVENT])
    if manifest is not None:
        write_text(folder / "manifest.json", manifest)
    ds = load(folder, tmp_path)
    assert ds.is_sample is is_sample
    assert not any("manifest" in w for w in ds.report.warnings)  # never taken for a table


def test_progress_is_reported_in_order_up_to_ready(folder_source: Path, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    load(folder_source, tmp_path, progress=lambda fraction, message: seen.append((fraction, message)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert all(0 <= f <= 1 for f in fractions)
    assert seen[-1] == (1.0, "Ready")
    assert (0.15, "Reading and validating events") in seen


def test_source_signature_changes_when_a_file_changes(folder_source: Path) -> None:
    before = source_signature(folder_source)
    assert before == source_signature(folder_source)
    path = folder_source / "events.csv"
    path.write_text(path.read_text() + "E9,2025-05-01,Town hall,001,,,,,,\n")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert source_signature(folder_source) != before
    assert source_signature(folder_source / "missing").startswith("missing:")


def test_unknown_files_and_duplicates_are_noted(folder_source: Path, tmp_path: Path) -> None:
    write_text(folder_source / "notes.csv", "x\n1\n")
    pd.DataFrame(EVENTS_ROWS).to_parquet(folder_source / "events.parquet")
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["events"].file == "events.parquet"
    assert "events: several files found; read events.parquet, ignored events.csv" in ds.report.notes
    assert "files not named after a table were ignored: notes.csv" in ds.report.warnings


def test_places_lie_inside_the_source_squares() -> None:
    # the fixture's geometry, checked once so the other tests can rely on it
    assert inside("001", LAT_SOUTH + SIDE / 2, -88.0 + SIDE / 2)
    assert not inside("002", LAT_NORTH + 0.01, -87.85)
    assert inside("001", 41.85, -87.95) and not inside("001", 41.85, -87.85)


# --- gaps found by the data-layer tests ------------------------------------------------------------


def test_one_bad_csv_row_is_rejected_not_the_whole_file(folder_source: Path, tmp_path: Path) -> None:
    text = (folder_source / "events.csv").read_text(encoding="utf-8")
    bad = 'E7,2025-01-02,Town hall,001,11,,,,,,"Walk",extra\nE8,"2025-01-03,Town hall,001\n'
    (folder_source / "events.csv").write_text(text + bad, encoding="utf-8")
    ds = load(folder_source, tmp_path)
    report = ds.report.tables["events"]
    assert report.status == "loaded"
    assert report.rows_read == 8 and report.rows_accepted == 6 and report.rows_rejected == 2
    reasons = dict(zip(report.rejected["row"], report.rejected["reason"], strict=True))
    assert reasons[8].startswith("12 cells where the header has 10: 'E7,2025-01-02,")
    assert reasons[9].startswith("a quote is opened and never closed: 'E8,")
    assert sorted(ds.events["event_id"]) == ["E1", "E2", "E3", "E4", "E5", "E6"]


def test_a_json_table_with_whole_floats_for_area_ids(folder_source: Path, tmp_path: Path) -> None:
    (folder_source / "concerns.csv").unlink()
    records = [
        {"concern_id": "C1", "raised": "2025-01-10", "area_id": 1.0, "topic": "noise"},
        {"concern_id": "C2", "raised": "Mar 15, 2025 18:30", "area_id": "002", "topic": "noise"},
    ]
    (folder_source / "concerns.json").write_text(json.dumps(records), encoding="utf-8")
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["concerns"].rows_rejected == 0
    assert ds.concerns["area_id"].tolist() == ["001", "002"]


def test_excel_sheet_area_scores_is_read_for_area_scores(folder_source: Path, tmp_path: Path) -> None:
    with pd.ExcelWriter(folder_source / "area_scores.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"read": ["me first"]}).to_excel(writer, sheet_name="About", index=False)
        pd.DataFrame(
            {
                "period_start": ["2025-01-01"],
                "period_end": ["2025-03-31"],
                "level": ["district"],
                "area_id": ["1"],
                "metric": ["trust"],
                "value": ["61.5"],
            }
        ).to_excel(writer, sheet_name="Area Scores", index=False)
    ds = load(folder_source, tmp_path)
    assert ds.area_scores["value"].tolist() == [61.5]
    assert ds.area_scores["area_id"].tolist() == ["001"]


def test_load_only_some_tables(folder_source: Path, tmp_path: Path) -> None:
    ds = load(folder_source, tmp_path, tables=("areas", "events"))
    assert ds.responses is None and ds.concerns is None
    assert len(ds.events) == 6 and "responses" not in ds.report.tables


def test_a_restart_with_unchanged_files_reads_the_validated_snapshot(
    folder_source: Path, tmp_path: Path
) -> None:
    first = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert "snapshot" not in first.report.seconds
    again = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert "snapshot" in again.report.seconds
    assert not {"areas", "events", "responses", "concerns", "sentiment"} & set(again.report.seconds)
    assert again.report.notes[-1] == (
        "read from the validated snapshot, their files unchanged since last checked: "
        "areas, events, responses, concerns"
    )
    pd.testing.assert_frame_equal(again.events, first.events)
    pd.testing.assert_frame_equal(again.responses, first.responses)
    assert again.report.rows_rejected == first.report.rows_rejected
    # a changed events file loads events again, and every table checked against its event ids
    path = folder_source / "events.csv"
    path.write_text(path.read_text() + "E99,2025-05-02,Town hall,001,,,,,,\n")
    os.utime(path, (time.time() + 5, time.time() + 5))
    changed = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert {"events", "responses", "concerns"} <= set(changed.report.seconds)
    assert "areas" not in changed.report.seconds  # the areas do not depend on events
    assert "E99" in set(changed.events["event_id"])


def counted_validation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables validated from now on, in order (validation watched through the loader's call to it)."""
    from cpdash.data import load as load_module

    seen: list[str] = []
    real = load_module.validate_table

    def counting(table, *args, **kwargs):
        seen.append(table.name)
        return real(table, *args, **kwargs)

    monkeypatch.setattr(load_module, "validate_table", counting)
    return seen


def test_a_changed_concerns_file_revalidates_concerns_only(
    folder_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = counted_validation(monkeypatch)
    load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert set(seen) == {"areas", "events", "responses", "concerns"}
    rows = [*CONCERNS_ROWS, {**CONCERNS_ROWS[0], "topic": "noise"}]
    write_csv(folder_source / "concerns.csv", rows)  # one row more, a duplicate id
    os.utime(folder_source / "concerns.csv", (time.time() + 5, time.time() + 5))
    seen.clear()
    changed = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert seen == ["concerns"]  # 1,000,000 responses are not validated again for a concerns file
    assert "read from the validated snapshot" in changed.report.notes[-1]
    full = load_dataset(folder_source)  # no cache: every table read and validated
    for table in ("events", "areas", "responses", "concerns"):
        pd.testing.assert_frame_equal(getattr(changed, table), getattr(full, table))
    assert changed.areas_geojson == full.areas_geojson
    assert changed.report.tables["concerns"].rows_rejected == 1
    for name, table in full.report.tables.items():
        mine = changed.report.tables[name]
        assert (mine.status, mine.rows_read, mine.rows_accepted) == (
            table.status,
            table.rows_read,
            table.rows_accepted,
        )
        assert (mine.errors, mine.warnings) == (table.errors, table.warnings)
        pd.testing.assert_frame_equal(mine.rejected, table.rejected)
    # the same notes, but for how many comments were scored now (none: their scores were saved)
    said = [n.split(":")[0] for n in changed.report.notes if "snapshot" not in n]
    assert said == [n.split(":")[0] for n in full.report.notes]


def test_responses_are_checked_against_the_events_of_now(
    folder_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cross-table checks see the current events when only events changed."""
    load_dataset(folder_source, cache_dir=tmp_path / "cache")
    seen = counted_validation(monkeypatch)
    linked = RESPONSES_ROWS[0]["event_id"]
    kept = [row for row in EVENTS_ROWS if row["event_id"] != linked]
    write_csv(folder_source / "events.csv", kept)
    os.utime(folder_source / "events.csv", (time.time() + 5, time.time() + 5))
    changed = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert "areas" not in seen and "events" in seen and "responses" in seen
    full = load_dataset(folder_source)
    pd.testing.assert_frame_equal(changed.responses, full.responses)
    assert changed.report.rows_rejected == full.report.rows_rejected
    assert linked not in set(changed.responses["event_id"].dropna())


def test_a_damaged_snapshot_is_ignored(folder_source: Path, tmp_path: Path) -> None:
    from cpdash.data.readers import find_table_files
    from cpdash.data.snapshot import TableSnapshots

    load_dataset(folder_source, cache_dir=tmp_path / "cache")
    files, _ = find_table_files(folder_source)
    snapshots = TableSnapshots(tmp_path / "cache", files)
    for table in files:
        for path in snapshots.path(table).parent.glob(f"{table}-*.pickle"):
            path.write_bytes(b"not a pickle")
    again = load_dataset(folder_source, cache_dir=tmp_path / "cache")
    assert "snapshot" not in again.report.seconds
    assert len(again.events) > 0


# --- one bad row never takes the data set down -----------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-31", "31/12/9999", "01/01/1500", "1500-01-01"])
def test_one_far_date_is_one_rejected_row(folder_source: Path, tmp_path: Path, start: str) -> None:
    rows = [*EVENTS_ROWS, {**MIN_EVENT, "event_id": "E9", "start": start}]
    write_csv(folder_source / "events.csv", rows)
    ds = load(folder_source, tmp_path)
    events = ds.report.tables["events"]
    assert events.status == "loaded" and events.rows_accepted == 6 and events.rows_rejected == 1
    assert events.rejected.loc[0, "reason"].startswith("start outside the accepted dates (1990-01-01 to")
    assert ds.events["start"].dt.year.between(2020, 2030).all()  # never stored as 1816 or 2084
    all_counted(ds.report)


def test_a_huge_integer_or_nan_in_events_json_is_one_rejected_row(
    folder_source: Path, tmp_path: Path
) -> None:
    (folder_source / "events.csv").unlink()
    good = json.dumps([{**MIN_EVENT, "event_id": f"E{i}", "attendance": 10} for i in range(3)])[1:-1]
    text = (
        f'[{good}, {{"event_id": "E8", "start": "2025-01-01", "program": "Town hall", "area_id": "001", '
        f'"attendance": {"9" * 5000}}}, {{"event_id": "E9", "start": "2025-01-01", "program": "Town hall", '
        '"area_id": "001", "cost": NaN}]'
    )
    (folder_source / "events.json").write_text(text, encoding="utf-8")
    ds = load(folder_source, tmp_path)
    events = ds.report.tables["events"]
    assert events.status == "loaded" and sorted(ds.events["event_id"]) == ["E0", "E1", "E2"]
    reasons = events.rejected["reason"].tolist()
    assert reasons[0].startswith("not a number in attendance: '999")
    assert reasons[1] == "not a number in cost: 'NaN' (JSON has no NaN or Infinity)"
    all_counted(ds.report)


def test_a_reader_failing_unexpectedly_fails_its_table_only(
    folder_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from cpdash.data import load as load_module

    real = load_module.read_raw

    def broken(path: Path, table: str | None = None, sheet: str | None = None):
        if table == "concerns":
            raise RuntimeError("a failure no check foresaw")
        return real(path, table, sheet)

    monkeypatch.setattr(load_module, "read_raw", broken)
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["concerns"].errors == [
        "concerns.csv: cannot be read (RuntimeError: a failure no check foresaw)"
    ]
    assert len(ds.events) == 6 and len(ds.responses) == 3
    assert "reading concerns.csv failed" in caplog.text


def test_an_unreadable_file_does_not_say_the_server_folder(
    folder_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpdash.data import load as load_module

    real = load_module.read_raw

    def denied(path: Path, table: str | None = None, sheet: str | None = None):
        if table == "concerns":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, table, sheet)

    monkeypatch.setattr(load_module, "read_raw", denied)
    ds = load(folder_source, tmp_path)
    assert ds.report.tables["concerns"].errors == ["concerns.csv: cannot be read (Permission denied)"]
    assert str(folder_source) not in " ".join(ds.report.errors)


def test_the_snapshot_follows_the_date_window(
    folder_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(load(folder_source, tmp_path).events) == 6
    monkeypatch.setenv("CPDASH_DATE_WINDOW", "2025-03-01..")
    ds = load(folder_source, tmp_path)
    assert len(ds.events) < 6 and ds.report.tables["events"].rows_rejected == 6 - len(ds.events)
