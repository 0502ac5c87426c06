"""Area boundaries: id matching, polygons from GeoJSON, point-in-area lookups and label points."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import area_features, feature, square
from shapely.geometry import Point, shape

from cpdash.data.geo import (
    AreaIndex,
    Boundaries,
    area_key,
    geojson_of,
    label_points,
    parse_area_features,
    polygon_from,
)

# --- area_key and AreaIndex ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("7", "7"),
        ("07", "7"),
        ("007", "7"),
        (" District 7 ", "7"),
        ("district 007", "7"),
        ("Area 7", "7"),
        ("Beat 0711", "711"),
        ("Sector 12B", "12b"),
        ("WARD-3", "3"),
        ("No. 7", "7"),
        ("North End", "northend"),
        ("0", "0"),
        ("000", "0"),
        (7, "7"),
    ],
)
def test_area_key(value: object, key: str) -> None:
    assert area_key(value) == key


def test_area_key_keeps_inner_zeros() -> None:
    assert area_key("1007") == "1007"
    assert area_key("10-07") == "1007"  # separators go first, so the zero is not leading
    assert area_key("A007") == "a7"


def test_resolve_matches_padding_and_wording() -> None:
    index = AreaIndex(("007", "012", "North End"))
    resolved, unknown = index.resolve(pd.Series(["7", "007", "District 7", "12", "north end", "99", None]))
    assert resolved.tolist()[:5] == ["007", "007", "007", "012", "North End"]
    assert pd.isna(resolved.iloc[5]) and pd.isna(resolved.iloc[6])
    assert unknown.tolist() == [False, False, False, False, False, True, False]  # blank is not unknown


def test_resolve_prefers_an_exact_id_over_a_key_match() -> None:
    # "7" and "007" are both areas: each raw id finds its own, never the other
    index = AreaIndex(("007", "7"))
    resolved, unknown = index.resolve(pd.Series(["7", "007", "07"]))
    assert resolved.tolist() == ["7", "007", "007"]  # "07" matches by key, to the first area with that key
    assert not unknown.any()


def test_resolve_keeps_the_index_and_gives_text() -> None:
    resolved, unknown = AreaIndex(("A",)).resolve(pd.Series(["a", "B"], index=[5, 9]))
    assert resolved.index.tolist() == [5, 9] and unknown.index.tolist() == [5, 9]
    assert resolved[5] == "A"
    assert pd.api.types.is_string_dtype(resolved)


def test_resolve_with_no_known_areas() -> None:
    resolved, unknown = AreaIndex(()).resolve(pd.Series(["1", None]))
    assert resolved.isna().all()
    assert unknown.tolist() == [True, False]


# --- Boundaries.locate -----------------------------------------------------------------------------


@pytest.fixture
def boundaries() -> Boundaries:
    """Two unit squares side by side: A is lon 0..1, B is lon 1..2 (lat 0..1)."""
    return Boundaries(("A", "B"), (shape(square(0, 0, 1)), shape(square(1, 0, 1))))


def test_locate_inside(boundaries: Boundaries) -> None:
    found = boundaries.locate(np.array([0.5, 0.5]), np.array([0.5, 1.5]))
    assert found.tolist() == ["A", "B"]


def test_locate_outside(boundaries: Boundaries) -> None:
    found = boundaries.locate(np.array([5.0, -0.01, 0.5]), np.array([0.5, 0.5, 2.01]))
    assert found.tolist() == [None, None, None]


def test_locate_on_the_border(boundaries: Boundaries) -> None:
    # on an outer edge: in the area; on the shared edge: in the first area only
    found = boundaries.locate(np.array([1.0, 0.0, 0.5, 0.0]), np.array([0.5, 0.0, 1.0, 2.0]))
    assert found.tolist() == ["A", "A", "A", "B"]


def test_locate_mixed_and_in_order(boundaries: Boundaries) -> None:
    lat = np.array([0.5, 9.0, 0.5, 0.25])
    lon = np.array([1.75, 9.0, 0.25, 1.5])
    assert boundaries.locate(lat, lon).tolist() == ["B", None, "A", "B"]


def test_locate_with_no_points_or_no_areas(boundaries: Boundaries) -> None:
    assert len(boundaries.locate(np.array([]), np.array([]))) == 0
    assert Boundaries((), ()).locate(np.array([0.5]), np.array([0.5])).tolist() == [None]


def test_locate_multipolygon() -> None:
    multi = shape(
        {
            "type": "MultiPolygon",
            "coordinates": [square(0, 0, 1)["coordinates"], square(10, 10, 1)["coordinates"]],
        }
    )
    found = Boundaries(("M",), (multi,)).locate(np.array([0.5, 10.5, 5.0]), np.array([0.5, 10.5, 5.0]))
    assert found.tolist() == ["M", "M", None]


# --- parse_area_features ---------------------------------------------------------------------------


def test_parse_area_features_good() -> None:
    props, geometries, problems = parse_area_features(
        {"type": "FeatureCollection", "features": area_features()}
    )
    assert problems == []
    assert props["area_id"].tolist() == ["001", "002", "003"]
    assert props["name"].tolist() == ["North End", "Riverside", "Hillcrest"]
    assert all(g is not None and g.geom_type == "Polygon" for g in geometries)
    assert geometries[0].contains(Point(-87.95, 41.85))


def test_parse_area_features_invalid_and_missing_geometry() -> None:
    features = [
        feature({"area_id": "A"}, square(0, 0)),
        feature({"area_id": "B"}, None),
        feature({"area_id": "C"}, {"type": "Point", "coordinates": [0, 0]}),
        feature({"area_id": "D"}, {"type": "Polygon", "coordinates": [[[0, 0], [1]]]}),
        feature({"area_id": "E"}, {"type": "Polygon", "coordinates": []}),
        "not a feature",
        {"type": "Feature", "properties": None, "geometry": square(5, 5)},
        feature({"area_id": "H"}, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
    ]
    props, geometries, problems = parse_area_features({"type": "FeatureCollection", "features": features})
    assert len(props) == len(geometries) == 8  # one row per feature, usable or not
    by_number = dict(problems)
    assert sorted(by_number) == [2, 3, 4, 5, 6, 8]
    assert by_number[2] == "geometry must be a Polygon or MultiPolygon, not none"
    assert by_number[3] == "geometry must be a Polygon or MultiPolygon, not Point"
    assert by_number[4].startswith("invalid geometry (")
    assert by_number[5] == "geometry is empty"
    assert by_number[6] == "geometry must be a Polygon or MultiPolygon, not none"
    assert by_number[8] == "geometry must be a Polygon or MultiPolygon, not LineString"
    assert [g is None for g in geometries] == [False, True, True, True, True, True, False, True]
    assert props["area_id"].tolist()[0] == "A" and pd.isna(props["area_id"].iloc[6])


def test_parse_area_features_repairs_a_self_intersecting_polygon() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    _, geometries, problems = parse_area_features({"features": [feature({"area_id": "X"}, bowtie)]})
    assert problems == []
    assert geometries[0].is_valid
    assert geometries[0].area == pytest.approx(2.0)


def test_parse_area_features_without_features() -> None:
    props, geometries, problems = parse_area_features({"type": "FeatureCollection"})
    assert props.empty and geometries == [] and problems == []


# --- label points and clean GeoJSON ----------------------------------------------------------------


def test_label_points_lie_inside_each_polygon() -> None:
    u_shape = shape(
        {
            "type": "Polygon",
            "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
        }
    )
    lat, lon = label_points([shape(square(-88.0, 41.8)), None, u_shape])
    assert (lat[0], lon[0]) == pytest.approx((41.85, -87.95))
    assert np.isnan(lat[1]) and np.isnan(lon[1])
    assert u_shape.contains(Point(lon[2], lat[2]))  # the centroid (1.5, ~1.9) lies outside the U


def test_geojson_of_keeps_only_id_name_and_usable_geometry() -> None:
    out = geojson_of(["A", "B"], ["Alder <b>", "Birch"], [shape(square(0, 0)), None])
    assert out["type"] == "FeatureCollection"
    assert len(out["features"]) == 1
    only = out["features"][0]
    assert only["properties"] == {"area_id": "A", "name": "Alder <b>"}
    assert only["geometry"]["type"] == "Polygon"
    assert shape(only["geometry"]).equals(shape(square(0, 0)))


# --- hostile boundaries: off the globe, not numbers, crossing themselves ----------------------------

BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
HOSTILE_BOUNDARIES = [
    feature({"area_id": "ok"}, square(-88.0, 41.8)),
    feature({"area_id": "east"}, square(500, 41.8)),
    feature({"area_id": "west"}, square(-500, 41.8)),
    feature({"area_id": "north"}, square(0, 95)),
    feature(
        {"area_id": "nan"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, float("nan")], [1, 1], [0, 0]]]}
    ),
    feature({"area_id": "text"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, "NaN"], [1, 1], [0, 0]]]}),
    feature({"area_id": "bowtie"}, BOWTIE),
    feature({"area_id": "flat"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}),
]


def test_boundaries_off_the_globe_or_not_numbers_are_rejected_and_crossing_ones_repaired() -> None:
    notes: list[str] = []
    _, geometries, problems = parse_area_features({"features": HOSTILE_BOUNDARIES}, notes=notes)
    assert dict(problems) == {
        2: "geometry has coordinates outside the globe (lon 500.1)",
        3: "geometry has coordinates outside the globe (lon -500)",
        4: "geometry has coordinates outside the globe (lat 95.1)",
        5: "geometry has coordinates that are not numbers (NaN or infinite)",
        6: "geometry has coordinates that are not numbers (NaN or infinite)",
        8: "geometry is empty",
    }
    assert geometries[6].is_valid and geometries[6].geom_type == "MultiPolygon"
    assert geometries[6].area == pytest.approx(2.0)
    assert notes == ["1 area boundary crossed itself and was repaired (feature 7): check them on the map"]


def test_a_spike_is_cut_off_and_only_polygons_are_kept() -> None:
    spike = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0], [2, 2], [0, 0]]]}
    geom, problem, repaired = polygon_from(spike)
    assert problem is None and repaired and geom.geom_type == "Polygon" and geom.area == pytest.approx(1.0)


def test_the_importer_rejects_the_same_boundaries_with_the_same_reasons() -> None:
    from cpdash.importing.importer import geometry_problems, read_upload

    collection = {"type": "FeatureCollection", "features": HOSTILE_BOUNDARIES[:4] + HOSTILE_BOUNDARIES[6:]}
    upload = read_upload("areas.geojson", json.dumps(collection).encode())
    assert geometry_problems(upload, "areas") == [
        (1, "geometry has coordinates outside the globe (lon 500.1)"),
        (2, "geometry has coordinates outside the globe (lon -500)"),
        (3, "geometry has coordinates outside the globe (lat 95.1)"),
        (5, "geometry is empty"),
    ]


def test_the_import_report_says_which_boundary_was_repaired() -> None:
    from cpdash.importing.importer import prepare, read_upload, suggest_profile

    features = [feature({"area_id": "a", "name": "A", "level": "district"}, square(0, 0))]
    features.append(feature({"area_id": "b", "name": "B", "level": "district"}, BOWTIE))
    upload = read_upload(
        "areas.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode()
    )
    prepared = prepare(upload, suggest_profile(upload, "areas"))
    assert prepared.rows_accepted == 2
    assert "note: 1 area boundary crossed itself and was repaired (feature 2): check them on the map" in (
        prepared.summary()
    )


def test_the_importer_rejects_event_points_that_are_not_numbers() -> None:
    from cpdash.importing.importer import geometry_problems, read_upload

    text = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"event_id": "E1"}, "geometry": {"type": "Point", "coordinates": [NaN, 41.8]}},'
        '{"type": "Feature", "properties": {"event_id": "E2"}, "geometry": {"type": "Point", "coordinates": [-87.9, Infinity]}},'
        '{"type": "Feature", "properties": {"event_id": "E3"}, "geometry": {"type": "Point", "coordinates": [-87.9, 41.8]}}]}'
    )
    upload = read_upload("events.geojson", text.encode())
    assert [position for position, _ in geometry_problems(upload, "events")] == [0, 1]
