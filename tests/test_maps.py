"""Map building (cpdash.maps) and the Map page's figures (cpdash.map_details), on small hand-built data."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cpdash.charts import maps, maps_density
from cpdash.data.dataset import Dataset, LoadReport
from cpdash.data.filters import select
from cpdash.data.load import load_dataset
from cpdash.data.schema import PROGRAMS
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.views import map as details
from cpdash.views import participation

EVIL = "<img src=x onerror=alert(1)>"
YEAR_2025 = Filters(date(2025, 1, 1), date(2025, 12, 31))


# --- helpers ---------------------------------------------------------------------------------------------


def square(west: float, south: float, side: float) -> dict:
    """A GeoJSON polygon: the square with its south-west corner at (west, south)."""
    ring = [
        [west, south],
        [west + side, south],
        [west + side, south + side],
        [west, south + side],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_geojson(
    columns: int, rows: int, side: float = 0.01, west: float = -87.8, south: float = 41.8
) -> dict:
    """columns x rows square areas A000, A001, ... named 'Area 0', 'Area 1', ..."""
    features = []
    for i in range(columns * rows):
        row, col = divmod(i, columns)
        features.append(
            {
                "type": "Feature",
                "properties": {"area_id": f"A{i:03d}", "name": f"Area {i}"},
                "geometry": square(west + col * side, south + row * side, side),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def areas_frame(geojson: dict, population: float | None = 10_000) -> pd.DataFrame:
    """The areas table of a grid, with label points at the squares' centres."""
    rows = []
    for feature in geojson["features"]:
        ring = np.array(feature["geometry"]["coordinates"][0])
        rows.append(
            {
                "area_id": feature["properties"]["area_id"],
                "name": feature["properties"]["name"],
                "level": "area",
                "population": population,
                "centroid_lat": ring[:4, 1].mean(),
                "centroid_lon": ring[:4, 0].mean(),
            }
        )
    return pd.DataFrame(rows)


def city_events(n: int, columns: int, rows: int, seed: int = 0, title_chars: int = 60) -> pd.DataFrame:
    """`n` events spread over a grid of 0.01° areas, sorted by start, with titles of about `title_chars`."""
    rng = np.random.default_rng(seed)
    area = rng.integers(0, columns * rows, n)
    row, col = np.divmod(area, columns)
    lat = 41.8 + row * 0.01 + rng.random(n) * 0.01
    lon = -87.8 + col * 0.01 + rng.random(n) * 0.01
    attendance = np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 400, n)).astype(float)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), unit="h")
    words = "Coffee with the Commander at the Riverside Community Centre on Main Street and Oak Avenue"
    titles = [f"{words[: title_chars - 6]} #{i:05d}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "event_id": [f"E{i:06d}" for i in range(n)],
            "start": start,
            "program": np.array(PROGRAMS, dtype=object)[rng.integers(0, len(PROGRAMS), n)],
            "area_id": [f"A{a:03d}" for a in area],
            "title": titles,
            "address": [f"{i} Main St" for i in range(n)],
            "lat": lat,
            "lon": lon,
            "attendance": attendance,
            "approximate": rng.random(n) < 0.06,
        }
    )
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def dataset_of(events: pd.DataFrame, geojson: dict, areas: pd.DataFrame, **tables) -> Dataset:
    """A Dataset of hand-built frames."""
    return Dataset(events=events, areas=areas, report=LoadReport("test"), areas_geojson=geojson, **tables)


def drawn_from(events: pd.DataFrame) -> tuple[maps.EventBasis, np.ndarray]:
    """The map basis of `events` and the positions of all of them."""
    return maps.event_basis(events), np.arange(len(events))


def deck_spec(view: maps.MapView) -> dict:
    """The deck's JSON as the browser receives it, parsed."""
    return json.loads(view.deck.to_json())


def layer(spec: dict, layer_id: str) -> dict:
    """One layer of a deck spec by id."""
    found = [item for item in spec["layers"] if item["id"] == layer_id]
    assert found, f"no layer {layer_id!r} in {[item['id'] for item in spec['layers']]}"
    return found[0]


@pytest.fixture
def folder_ds(folder_source: Path, tmp_path: Path) -> Dataset:
    """The conftest folder source (three square areas, six events, three responses, two concerns), loaded."""
    return load_dataset(folder_source, cache_dir=tmp_path / "cache")


# --- shapes, view, basemap ----------------------------------------------------------------------------------


def test_compact_shapes_rounds_and_keeps_bounds():
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"area_id": "a"},
                "geometry": square(-87.123456789, 41.987654321, 0.1),
            },
            {"type": "Feature", "properties": {"area_id": "b"}, "geometry": None},
            {"type": "Feature", "properties": {}, "geometry": square(0, 0, 1)},
        ],
    }
    shapes = maps.compact_shapes(geojson)
    assert list(shapes.geometry) == ["a"]
    assert shapes.geometry["a"]["coordinates"][0][0] == [-87.12346, 41.98765]
    west, south, east, north = shapes.bounds["a"]
    assert west == pytest.approx(-87.123456789) and north == pytest.approx(42.087654321)
    assert shapes.sizes["a"] == len(json.dumps(shapes.geometry["a"], separators=(",", ":")))
    assert not maps.compact_shapes(None) and not maps.compact_shapes({"features": []})


def test_compact_shapes_simplifies_heavy_outlines_to_the_budget():
    angles = np.linspace(0, 2 * np.pi, 5_001)
    ring = np.column_stack([np.cos(angles) * 0.01 - 87.7, np.sin(angles) * 0.01 + 41.8]).tolist()
    heavy = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"area_id": "round"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    ]}  # fmt: skip
    shapes = maps.compact_shapes(heavy, max_vertices=500)
    assert len(shapes.geometry["round"]["coordinates"][0]) <= 500


def test_fit_view_centres_on_the_box_and_zooms_in_on_smaller_boxes():
    wide = maps.fit_view(-88.0, 41.8, -87.6, 42.0)
    narrow = maps.fit_view(-87.71, 41.85, -87.70, 41.86)
    assert wide.longitude == pytest.approx(-87.8)
    assert 41.8 < wide.latitude < 42.0
    assert narrow.zoom > wide.zoom + 3
    assert maps.fit_view(math.nan, 0, 1, 1).zoom == maps.DEFAULT_VIEW["zoom"]


def test_offline_deck_asks_for_no_basemap_and_online_for_carto():
    geojson = grid_geojson(2, 1)
    shapes = maps.compact_shapes(geojson)
    events = city_events(10, 2, 1)
    labels = areas_frame(geojson)[["area_id", "name"]].assign(lat=np.nan, lon=np.nan)
    offline = deck_spec(
        maps.events_map(*drawn_from(events), shapes, {"A000": "Area 0", "A001": "Area 1"}, [], labels, True)
    )
    online = deck_spec(
        maps.events_map(*drawn_from(events), shapes, {"A000": "Area 0", "A001": "Area 1"}, [], labels, False)
    )
    # Streamlit draws a Carto basemap when mapStyle is null: offline it must be pydeck's "no style" marker
    assert offline.get("mapProvider") is None and "cartocdn" not in json.dumps(offline)
    assert offline["mapStyle"] == "__MAP_STYLE__"
    assert online["mapProvider"] == "carto" and "cartocdn.com" in online["mapStyle"]


# --- events -------------------------------------------------------------------------------------------------


def test_event_tooltips_are_plain_text_with_program_date_title_attendance():
    events = pd.DataFrame(
        {
            "event_id": ["a", "b", "c"],
            "start": pd.to_datetime(["2025-01-10 18:00", "2025-02-05 00:00", "2025-03-01 00:00"]),
            "program": ["Coffee with a Cop", "Town hall", "Block party"],
            "title": [EVIL, "A   very\nlong " + "x" * 200, None],
            "attendance": [12.0, 1.0, np.nan],
            "approximate": [False, False, True],
        }
    )
    tips = maps.event_tooltips(events)
    assert tips[0] == f"Coffee with a Cop · Fri 10 Jan 2025\n{EVIL}\n12 attendees"
    assert tips[1].startswith("Town hall · Wed 5 Feb 2025\nA very long xxx")
    assert len(tips[1].split("\n")[1]) == maps.TITLE_CHARS and tips[1].split("\n")[1].endswith("…")
    assert "\n1 attendee" in tips[1]
    assert (
        tips[2]
        == "Block party · Sat 1 Mar 2025\nAttendance not counted\nPlaced approximately (no coordinates)"
    )


def test_event_points_split_approximate_events_and_count_the_unmappable():
    events = city_events(6, 1, 1)
    events.loc[0, ["lat", "lon"]] = np.nan
    events["approximate"] = [False, True, True, False, False, False]
    points = maps.event_points(*drawn_from(events))
    assert (points.in_selection, points.mappable, points.approximate_count, points.drawn) == (6, 5, 2, 5)
    assert {p["e"] for p in points.approximate} == set(events.loc[[1, 2], "event_id"])
    assert {p["e"] for p in points.exact} == set(events.loc[[3, 4, 5], "event_id"])
    notes = maps.event_notes(points)
    assert notes[0].startswith("2 of 5 events placed approximately")
    assert notes[1].startswith("1 of 6 events cannot be mapped")


def test_event_points_keep_the_most_recent_past_the_cap_and_say_so():
    events = city_events(50, 1, 1)
    points = maps.event_points(*drawn_from(events), cap=10)
    kept = {p["e"] for p in points.exact + points.approximate}
    assert kept == set(events["event_id"].iloc[-10:])
    assert points.first_drawn == events["start"].iloc[-10]
    note = maps.event_notes(points)[-1]
    assert note.startswith("showing the 10 most recent of 50 events, from ")


def test_event_points_stay_within_the_byte_budget_whatever_the_titles():
    events = city_events(2_000, 1, 1, title_chars=80)
    points = maps.event_points(*drawn_from(events), cap=2_000, budget=50_000)
    records = points.exact + points.approximate
    assert 0 < len(records) < 2_000
    assert len(json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()) <= 50_000
    newest = set(events["event_id"].iloc[-len(records) :])
    assert {p["e"] for p in records} == newest


def test_event_radius_grows_with_attendance_and_unknown_is_smallest():
    radius = maps.event_radius(pd.Series([np.nan, 0, 25, 100, 10_000]))
    assert radius[0] == maps.EVENT_RADIUS_BASE == radius[1]
    assert radius[1] < radius[2] < radius[3] <= maps.EVENT_RADIUS_MAX == radius[4]


def test_events_map_layers_and_legend(folder_ds: Dataset):
    events = select(folder_ds.events, YEAR_2025, "start")
    shapes = maps.compact_shapes(folder_ds.areas_geojson)
    names = {"001": "North End", "002": "Riverside", "003": "Hillcrest"}
    _, _, labels = details.map_areas(folder_ds, names, YEAR_2025)
    view = maps.events_map(*drawn_from(events), shapes, names, [], labels, True, selected="002")
    spec = deck_spec(view)
    ids = [item["id"] for item in spec["layers"]]
    assert ids[-2:] == [maps.SELECTED_LAYER, maps.LABEL_LAYER]
    assert layer(spec, maps.SELECTED_LAYER)["data"]["features"][0]["properties"] == {"area_id": "002"}
    assert ids[:3] == [maps.OUTLINE_LAYER, maps.APPROX_LAYER, maps.EVENTS_LAYER]
    assert layer(spec, maps.EVENTS_LAYER)["pickable"] and layer(spec, maps.OUTLINE_LAYER)["pickable"]
    assert layer(spec, maps.EVENTS_LAYER)["radiusUnits"] == "pixels"
    assert {p["e"] for p in layer(spec, maps.APPROX_LAYER)["data"]} == {"E5", "E6"}
    assert len(layer(spec, maps.EVENTS_LAYER)["data"]) == 4
    coffee = next(p for p in layer(spec, maps.EVENTS_LAYER)["data"] if p["e"] == "E1")
    assert coffee["c"] == maps.PROGRAM_COLOURS["Coffee with a Cop"]
    assert (coffee["x"], coffee["y"]) == (-87.98, 41.82)
    labels_drawn = {item["n"] for item in layer(spec, maps.LABEL_LAYER)["data"]}
    assert labels_drawn <= set(names.values()) and labels_drawn
    legend = [item.label for item in view.legend]
    assert legend[:5] == [
        "Coffee with a Cop",
        "Beat / community meeting",
        "Town hall",
        "Youth mentorship",
        "Block party",
    ]
    assert "placed approximately" in legend and "100 attendees" in legend
    assert (
        view.notes[0]
        == "2 of 6 events placed approximately, at their beat's or area's centre (drawn as rings)"
    )


# --- density --------------------------------------------------------------------------------------------------


def test_hexagons_count_events_and_attendance_per_cell():
    events = pd.DataFrame(
        {
            "event_id": ["a", "b", "c", "d", "e"],
            "start": pd.to_datetime(["2025-01-01"] * 5),
            "program": ["Town hall"] * 5,
            "lat": [41.85, 41.85, 41.85000001, 41.95, np.nan],
            "lon": [-87.70, -87.70, -87.70, -87.60, -87.7],
            "attendance": [10.0, np.nan, 5.0, np.nan, 100.0],
        }
    )
    cells, res = maps.hexagons(*drawn_from(events), resolution=8)
    assert res == 8 and len(cells) == 2
    busy = cells.sort_values("events").iloc[-1]
    quiet = cells.sort_values("events").iloc[0]
    assert (busy["events"], busy["attendance"], busy["without_count"]) == (3, 15.0, 1)
    assert quiet["events"] == 1 and math.isnan(quiet["attendance"]) and quiet["without_count"] == 1
    import h3

    assert busy["cell"] == h3.latlng_to_cell(41.85, -87.70, 8)


def test_parent_cells_are_h3_parents():
    import h3

    rng = np.random.default_rng(2)
    lat, lon = 41.8 + rng.random(200) * 0.2, -87.9 + rng.random(200) * 0.2
    fine = maps.fine_cells(np.append(lat, np.nan), np.append(lon, np.nan))
    assert fine[-1] == 0
    for res in range(maps.HEX_RES_MIN, maps.HEX_RES_FINE + 1):
        parents = maps.parent_cells(fine[:-1], res)
        expected = [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), res)) for c in fine[:-1]]
        assert parents.tolist() == expected


def test_hexagons_coarsen_past_the_cell_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(maps_density, "MAX_HEXAGONS", 20)
    events = city_events(2_000, 10, 10)
    cells, res = maps.hexagons(*drawn_from(events), resolution=10)
    assert len(cells) <= 20 and res < 10
    assert cells["events"].sum() == 2_000


def test_hex_resolution_suits_the_extent_and_the_number_of_events():
    rng = np.random.default_rng(1)
    lat, lon = 41.8 + rng.random(30_000) * 0.12, -87.8 + rng.random(30_000) * 0.15  # a city, ~13 km
    assert maps.hex_resolution(lat, lon) == 9
    assert maps.hex_resolution(lat[:20], lon[:20]) < 9  # few events: larger hexagons
    assert maps.hex_resolution(np.array([np.nan]), np.array([np.nan])) == maps.HEX_RES_MAX


def test_density_map_colours_hexagons_by_class_with_a_legend(folder_ds: Dataset):
    events = select(folder_ds.events, YEAR_2025, "start")
    shapes = maps.compact_shapes(folder_ds.areas_geojson)
    names = {"001": "North End", "002": "Riverside", "003": "Hillcrest"}
    no_labels = pd.DataFrame(columns=["area_id", "name", "lat", "lon"])
    view = maps.density_map(*drawn_from(events), "attendance", shapes, names, [], no_labels, True)
    spec = deck_spec(view)
    hexes = layer(spec, maps.DENSITY_LAYER)
    assert hexes["@@type"] == "H3HexagonLayer" and hexes["pickable"]
    assert sum(int(h["t"].split(" event")[0]) for h in hexes["data"]) == 6
    assert view.legend_title.startswith("Attendees per hexagon")
    assert view.notes == ("1 of 6 events have no attendance count and add nothing here",)
    assert layer(spec, maps.OUTLINE_LAYER)["filled"] is False  # outlines drawn over the hexagons


# --- classes, colours, legends --------------------------------------------------------------------------------


def test_class_breaks_are_quantiles_rounded_to_readable_numbers():
    values = np.arange(0, 101, dtype=float)
    assert maps.class_breaks(values, 5) == [20.0, 40.0, 60.0, 80.0]
    assert maps.class_breaks(np.array([3.0, 3.0, 3.0])) == []
    assert maps.class_breaks(np.array([np.nan])) == []
    whole = maps.class_breaks(np.array([0, 0, 0, 1, 1, 2, 9], dtype=float), 5, whole=True)
    assert whole == sorted(set(whole)) and all(b == int(b) for b in whole)


def test_class_colours_and_legend_labels():
    breaks = [10.0, 20.0]
    colours = maps.class_colours(np.array([5, 10, 15, 25, np.nan]), breaks, maps.SEQUENTIAL)
    shades = maps.spread(maps.SEQUENTIAL, 3)
    assert colours[0][:3] == shades[0] and colours[1][:3] == shades[1] and colours[2][:3] == shades[1]
    assert colours[3][:3] == shades[2] and colours[4] is None
    labels = [item.label for item in maps.bin_legend(breaks, maps.SEQUENTIAL, 0, "points")]
    assert labels == ["under 10 points", "10 to 20 points", "20 and over points"]
    assert [item.label for item in maps.bin_legend([-5.0], maps.DIVERGING, 0)] == ["under −5", "−5 and over"]


def test_legend_svg_is_valid_and_escapes_its_text():
    items = [maps.LegendItem((1, 2, 3), "<b>bold</b> & co"), maps.LegendItem((9, 9, 9), "ring", "ring")]
    svg = maps.legend_svg(items, 'Title "quoted" <script>')
    root = ET.fromstring(svg)  # well-formed XML
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ['Title "quoted" <script>', "<b>bold</b> & co", "ring"]
    assert "<script>" not in svg and maps.legend_svg([], "x") == ""


def test_declutter_keeps_labels_apart():
    shapes = maps.compact_shapes(grid_geojson(3, 1))
    view = maps.fit_view(-87.8, 41.8, -87.77, 41.81)
    labels = pd.DataFrame(
        {
            "area_id": ["A000", "A001", "A002"],
            "name": ["Near", "Also near", "Far away"],
            "lat": [41.805, 41.8051, 41.805],
            "lon": [-87.795, -87.7949, -87.775],
        }
    )
    kept = maps.declutter(labels, view, shapes)
    assert list(kept["name"]) in (["Near", "Far away"], ["Also near", "Far away"])


# --- per-area figures --------------------------------------------------------------------------------------


def test_area_figures_match_hand_computed_values(folder_ds: Dataset):
    figures = details.area_figures(folder_ds, YEAR_2025, k=1)
    assert list(figures.index) == ["001", "002", "003"]
    assert list(figures["events"]) == [3, 1, 2]
    assert list(figures["attendance"]) == [45.0, 40.0, 15.0]
    assert list(figures["events_without_attendance"]) == [0, 0, 1]
    assert figures["attendance_per_10k"].tolist() == pytest.approx([45.0, 20.0, 5.0])
    assert figures["events_per_10k"].tolist() == pytest.approx([3.0, 0.5, 2 / 3])
    assert figures["trust"].tolist() == pytest.approx([60.0, 80.0, 30.0])
    assert list(figures["trust_n"]) == [1, 1, 1]
    assert figures["safety"].tolist() == pytest.approx([50.0, 70.0, 40.0])
    assert math.isnan(figures.loc["001", "sentiment"]) and figures.loc["001", "sentiment_n"] == 0
    assert figures.loc["002", "sentiment"] == 100.0 and figures.loc["003", "sentiment"] == -100.0
    assert list(figures["open_concerns"]) == [0, 1, 0]


def test_area_figures_from_the_participation_basis_equal_those_from_metrics(folder_ds: Dataset):
    b = participation.basis(folder_ds)
    for f in (
        YEAR_2025,
        Filters(date(2025, 1, 1), date(2025, 2, 28), ("001", "003"), ("Coffee with a Cop",)),
    ):
        slow = details.area_figures(folder_ds, f, 1, ["events_per_10k", "attendance_per_10k"])
        fast = details.area_figures(folder_ds, f, 1, ["events_per_10k", "attendance_per_10k"], b)
        pd.testing.assert_frame_equal(slow, fast, check_dtype=False)
        eng = metrics.engagement_by(select(folder_ds.events, f, "start", True), folder_ds.areas, f.start, f.end,
                                    area_ids=list(f.areas) or None).set_index("area_id")  # fmt: skip
        assert fast["attendance_per_10k"].tolist() == pytest.approx(
            eng["attendance_per_10k"].tolist(), nan_ok=True
        )


def test_area_figures_compute_only_what_is_asked(folder_ds: Dataset):
    figures = details.area_figures(folder_ds, YEAR_2025, k=1, measures=["trust"])
    assert figures["trust"].tolist() == pytest.approx([60.0, 80.0, 30.0])
    assert figures["events"].isna().all() and figures["open_concerns"].isna().all()
    assert list(figures["name"]) == ["North End", "Riverside", "Hillcrest"]


@pytest.mark.parametrize("fast", [False, True])
def test_area_details_agree_with_area_figures(folder_ds: Dataset, fast: bool):
    figures = details.area_figures(folder_ds, YEAR_2025, k=1)
    b = participation.basis(folder_ds) if fast else None
    for area_id in figures.index:
        summary = details.area_details(folder_ds, YEAR_2025, area_id, k=1, basis=b).figures
        for column in ("events", "attendance", "events_per_10k", "attendance_per_10k", "trust", "trust_n",
                       "trust_low", "safety", "sentiment", "sentiment_n", "open_concerns"):  # fmt: skip
            expected, got = figures.loc[area_id, column], summary[column]
            assert (pd.isna(expected) and pd.isna(got)) or got == pytest.approx(expected), (area_id, column)


def test_measure_options_say_why_measures_are_missing(folder_ds: Dataset):
    available, missing = details.measure_options(folder_ds)
    assert available == list(details.MEASURES) and not missing
    bare = dataset_of(folder_ds.events.drop(columns=["attendance"]), folder_ds.areas_geojson,
                      folder_ds.areas.drop(columns=["population"]))  # fmt: skip
    available, missing = details.measure_options(bare)
    assert available == ["events"]
    assert missing["trust"] == missing["sentiment"] == "no individual survey responses in the data"
    assert missing["events_per_10k"] == "the areas have no population figures"
    assert missing["open_concerns"] == "no concerns table in the data"
    text = details.missing_text(missing, {m: details.MEASURES[m].label for m in details.MEASURES})
    assert text.startswith("Not available: Trust score, Safety score, Net comment sentiment (no individual")
    no_attendance = dataset_of(
        folder_ds.events.drop(columns=["attendance"]), folder_ds.areas_geojson, folder_ds.areas
    )
    assert details.measure_options(no_attendance)[1] == {
        "trust": "no individual survey responses in the data",
        "safety": "no individual survey responses in the data",
        "attendance_per_10k": "the events have no attendance counts",
        "open_concerns": "no concerns table in the data",
        "sentiment": "no individual survey responses in the data",
    }


def test_layer_options_without_coordinates_or_outlines(folder_ds: Dataset):
    assert details.layer_options(folder_ds, True) == (["events", "density", "areas"], {})
    nowhere = folder_ds.events.assign(lat=np.nan, lon=np.nan)
    layers, missing = details.layer_options(dataset_of(nowhere, None, folder_ds.areas), False)
    assert layers == [] and set(missing) == {"events", "density", "areas"}
    assert "no event has coordinates" in missing["events"]


def test_choropleth_greys_areas_below_k_in_both_modes(folder_ds: Dataset):
    figures = details.area_figures(folder_ds, YEAR_2025, k=2, measures=["trust"])
    for public in (False, True):
        chosen = details.choropleth(figures, "trust", 2, public)
        assert chosen.values["not_enough"].all() and chosen.values["value"].isna().all()
    staff = details.choropleth(figures, "trust", 2, False).values["tooltip"]
    public = details.choropleth(figures, "trust", 2, True).values["tooltip"]
    assert staff["001"] == "North End\nTrust score 60 ⚠ (n=1: fewer than 2 responses, treat with care)"
    assert public["001"] == "North End\nTrust score: not enough responses (fewer than 2)"
    shapes = maps.compact_shapes(folder_ds.areas_geojson)
    view = maps.choropleth_map(
        details.choropleth(figures, "trust", 2, True),
        shapes,
        [],
        pd.DataFrame(columns=["area_id", "name", "lat", "lon"]),
        True,
    )
    features = layer(deck_spec(view), maps.AREAS_LAYER)["data"]["features"]
    assert all(f["properties"]["c"][:3] == maps.NOT_ENOUGH_COLOUR for f in features)
    assert [item.label for item in view.legend] == ["not enough responses (fewer than 2)"]


def test_choropleth_colours_by_measure_with_units_and_population_gaps(folder_ds: Dataset):
    areas = folder_ds.areas.copy()
    areas.loc[areas["area_id"] == "003", "population"] = np.nan
    ds = dataset_of(folder_ds.events, folder_ds.areas_geojson, areas, responses=folder_ds.responses)
    figures = details.area_figures(ds, YEAR_2025, k=1, measures=["attendance_per_10k"])
    chosen = details.choropleth(figures, "attendance_per_10k", 1, False)
    assert (
        chosen.values.loc["003", "tooltip"]
        == "Hillcrest\nAttendance per 10,000 residents: no population figure for this area"
    )
    assert (
        chosen.values.loc["001", "tooltip"]
        == "North End\n45 attendees per 10,000 residents (45 attendees; population 10,000)"
    )
    shapes = maps.compact_shapes(ds.areas_geojson)
    view = maps.choropleth_map(
        chosen, shapes, [], pd.DataFrame(columns=["area_id", "name", "lat", "lon"]), True
    )
    props = {
        f["properties"]["area_id"]: f["properties"]
        for f in layer(deck_spec(view), maps.AREAS_LAYER)["data"]["features"]
    }
    assert props["003"]["c"][:3] == maps.NO_FIGURE_COLOUR
    assert props["001"]["c"] != props["002"]["c"]
    assert view.legend[-1].label == "no population figure"
    assert view.legend_title == "Attendees per 10,000 residents"
    sentiment = details.choropleth(
        details.area_figures(ds, YEAR_2025, 1, ["sentiment"]), "sentiment", 1, False
    )
    view = maps.choropleth_map(
        sentiment, shapes, [], pd.DataFrame(columns=["area_id", "name", "lat", "lon"]), True
    )
    assert [item.label for item in view.legend][:5] == [
        "under −20 points",
        "−20 to −5 points",
        "−5 to 5 points",
        "5 to 20 points",
        "20 and over points",
    ]
    # every area on the positive side: classes at quantiles, so that the map still shows differences
    one_sided = maps.Choropleth(
        values=pd.DataFrame(
            {"value": [30.0, 42.0, 55.0], "not_enough": [False] * 3, "tooltip": ["a", "b", "c"]},
            index=["001", "002", "003"],
        ),
        title="Net comment sentiment",
        unit="points",
        diverging=True,
    )
    view = maps.choropleth_map(
        one_sided, shapes, [], pd.DataFrame(columns=["area_id", "name", "lat", "lon"]), True
    )
    colours = {
        tuple(f["properties"]["c"]) for f in layer(deck_spec(view), maps.AREAS_LAYER)["data"]["features"]
    }
    assert (
        len(colours) == 3 and view.legend[0].label.startswith("under ") and "−5" not in view.legend[0].label
    )


def test_twin_table_hides_small_numbers_in_public_and_flags_them_for_staff(folder_ds: Dataset):
    figures = details.area_figures(folder_ds, YEAR_2025, k=1, measures=["trust"])
    big = details.twin_table(figures, details.LAYER_AREAS, "trust", 1, True)
    assert list(big.columns) == ["Area", "Trust score (0–100)", "Responses (n)", "95 % interval"]
    assert list(big["Area"]) == ["Hillcrest", "North End", "Riverside"]  # by name
    assert list(big["Trust score (0–100)"]) == [30.0, 60.0, 80.0]
    public = details.twin_table(figures, details.LAYER_AREAS, "trust", 2, True)
    assert public["Trust score (0–100)"].isna().all()
    assert set(public["Small numbers"]) == {"hidden: fewer than 2 responses"}
    staff = details.twin_table(figures, details.LAYER_AREAS, "trust", 2, False)
    assert list(staff["Trust score (0–100)"]) == [30.0, 60.0, 80.0]
    assert set(staff["Small numbers"]) == {"⚠ fewer than 2 responses"}
    events = details.twin_table(
        details.area_figures(folder_ds, YEAR_2025, 1, ["events"]), "events", None, 1, False
    )
    assert list(events.columns) == ["Area", "Events", "Attendance", "Events without an attendance count", "Population",
                                    "Events per 10,000 residents", "Attendance per 10,000 residents"]  # fmt: skip
    assert events.set_index("Area").loc["North End", "Attendance per 10,000 residents"] == 45.0


def test_captions_say_what_the_table_holds_and_how_the_map_is_drawn():
    assert details.twin_caption("events", None, 10, False).startswith(
        "The map's figures (events and attendance)"
    )
    staff = details.twin_caption("areas", "trust", 10, False)
    assert "(trust score)" in staff and staff.endswith("flagged ⚠ and not coloured on the map.")
    assert details.twin_caption("areas", "trust", 10, True).endswith("fewer than 10 responses are hidden.")
    assert "responses" not in details.twin_caption("areas", "open_concerns", 10, True)
    notes = details.map_notes(["3 of 9 events placed approximately"], True, True).split("  \n")
    assert notes[0] == "No event in this period and selection."
    assert notes[1] == "3 of 9 events placed approximately."
    assert notes[-1].startswith("Offline: no street map")
    assert "Offline" not in details.map_notes([], False, False)


def test_parse_selection_finds_the_area_or_event():
    area = {
        "selection": {
            "indices": {"areas": [1]},
            "objects": {"areas": [{"type": "Feature", "properties": {"area_id": "002"}}]},
        }
    }
    assert details.parse_selection(area) == details.Picked(area_id="002")
    event = {"selection": {"objects": {maps.APPROX_LAYER: [{"e": "E5", "x": 1}]}}}
    assert details.parse_selection(event) == details.Picked(event_id="E5")
    hexagon = {"selection": {"objects": {maps.DENSITY_LAYER: [{"h": "89283082803ffff"}]}}}
    for state in (
        hexagon,
        None,
        {},
        {"selection": {"objects": {}}},
        {"selection": {"objects": {"areas": []}}},
    ):
        assert details.parse_selection(state) == details.Picked()


def test_area_details_list_recent_events_and_open_concerns(folder_ds: Dataset):
    north = details.area_details(folder_ds, YEAR_2025, "001", k=1)
    assert list(north.recent["Title"]) == ["Beat 11 meeting", "Park clean-up", "Coffee at Café Rosa"]
    assert list(north.recent["Date"]) == [date(2025, 2, 5), date(2025, 1, 25), date(2025, 1, 10)]
    assert north.open_count == 0 and north.open_oldest.empty
    staff = details.area_details(folder_ds, YEAR_2025, "002", k=1)
    assert staff.open_count == 1 and list(staff.open_oldest["Topic"]) == ["traffic and speeding"]
    assert staff.open_oldest.loc[0, "Summary"] == "Cars speed on Main St"
    assert staff.open_oldest.loc[0, "Days open"] == (date(2025, 12, 31) - date(2025, 3, 20)).days
    assert "Summary" not in details.area_details(folder_ds, YEAR_2025, "002", k=1, public=True).open_oldest
    event = details.find_event(folder_ds.events, "E5")
    lines = dict(details.event_lines(event))
    assert lines["Attendance"] == "not counted" and "approximately" in lines["Location"]
    assert details.find_event(folder_ds.events, "nope") is None


def test_scope_names_make_shared_names_unique():
    figures = pd.DataFrame({"name": ["Oak", "Oak", "Elm"]}, index=["b1", "b2", "b3"])
    assert details.scope_names(figures) == {"b3": "Elm", "b1": "Oak (b1)", "b2": "Oak (b2)"}


# --- untrusted text and payload at city scale ------------------------------------------------------------------


def test_a_title_with_html_stays_text_in_the_deck(folder_ds: Dataset):
    events = folder_ds.events.copy()
    events.loc[events["event_id"] == "E1", "title"] = EVIL
    shapes = maps.compact_shapes(folder_ds.areas_geojson)
    names = {"001": "North End", "002": "Riverside", "003": "Hillcrest"}
    view = maps.events_map(
        *drawn_from(select(events, YEAR_2025, "start")),
        shapes,
        names,
        [],
        pd.DataFrame(columns=["area_id", "name", "lat", "lon"]),
        True,
    )
    assert set(view.deck._tooltip) == {"text", "style"}  # innerText in the browser, never innerHTML
    text = view.deck.to_json()
    assert '"html"' not in text
    record = next(p for p in layer(json.loads(text), maps.EVENTS_LAYER)["data"] if p["e"] == "E1")
    assert EVIL in record["t"]


@pytest.fixture(scope="module")
def city() -> Dataset:
    """100,000 events over 300 areas (a 20 x 15 grid of 0.01° squares), without responses."""
    geojson = grid_geojson(20, 15)
    return dataset_of(city_events(100_000, 20, 15), geojson, areas_frame(geojson))


@pytest.mark.parametrize("which", ["events", "density-events", "density-attendance", "areas"])
def test_every_layer_stays_under_1_mb_at_city_scale(city: Dataset, which: str):
    everything = Filters(date(2024, 1, 1), date(2026, 12, 31))
    shapes = maps.compact_shapes(city.areas_geojson)
    basis, rows = maps.event_basis(city.events), details.event_rows(city, everything)
    assert len(rows) == 100_000
    figures = details.area_figures(city, everything, 10, ["events_per_10k"], participation.basis(city))
    names = details.scope_names(figures)
    in_scope, context, labels = details.map_areas(city, names, everything)
    if which == "events":
        view = maps.events_map(basis, rows, shapes, in_scope, context, labels, True)
        assert view.notes[-1].startswith("showing the ")
    elif which.startswith("density"):
        view = maps.density_map(basis, rows, which.split("-")[1], shapes, in_scope, context, labels, True)
    else:
        view = maps.choropleth_map(
            details.choropleth(figures, "events_per_10k", 10, False), shapes, context, labels, True
        )
    size = len(view.deck.to_json().encode("utf-8"))
    print(f"{which}: {size:,} bytes")
    assert size <= maps.MAX_DECK_BYTES
    if which == "events":
        assert size <= maps.EVENTS_DECK_BYTES
