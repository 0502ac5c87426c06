"""Map building (cpdash.charts.maps_*) and the Map page's view (cpdash.views.map, map_areas, map_details):
layers, per-area figures through the small-numbers policy, published scores, details, on small hand-built
data."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdash.charts import maps, maps_density, maps_labels
from cpdash.config import DEFAULT_DATA
from cpdash.data.dataset import Dataset, LoadReport
from cpdash.data.filters import select
from cpdash.data.load import load_dataset
from cpdash.data.schema import PROGRAMS
from cpdash.export.safe_csv import to_csv_bytes
from cpdash.metrics import follow_through
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import map as view
from cpdash.views import map_details
from cpdash.views.figures import ScoreFigure, score_figure, score_figures_by_area, score_words
from tests.conftest import AREA_SQUARES, EVENTS_ROWS, area_features, write_csv, write_geojson

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


@pytest.fixture(scope="module")
def sample_ds(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The committed sample data, loaded."""
    return load_dataset(DEFAULT_DATA, cache_dir=tmp_path_factory.mktemp("sample_cache"))


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


def test_fit_view_fits_the_box_into_the_narrowest_map():
    west, south, east, north = -87.95, 41.64, -87.52, 42.02
    v = maps.fit_view(west, south, east, north)
    scale = 512 * 2**v.zoom

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    half_width = (east - west) / 360 * scale / 2
    half_height = (merc(north) - merc(south)) / (2 * math.pi) * scale / 2
    assert half_width <= maps.MAP_MIN_WIDTH_PX / 2 and half_height <= maps.MAP_PHONE_HEIGHT_PX / 2
    assert maps.MAP_MIN_WIDTH_PX <= 390 - 2 * 16  # a 390 px phone's map, less the page's margins


def test_a_desktop_first_view_is_fitted_to_a_wider_map_than_a_phone_one():
    box = (-87.95, 41.64, -87.52, 42.02)
    phone, desktop = maps.fit_view(*box, maps.map_width(True)), maps.fit_view(*box, maps.map_width(False))
    assert maps.map_width(True) == maps.MAP_MIN_WIDTH_PX < maps.map_width(False) == maps.MAP_WIDE_WIDTH_PX
    assert desktop.zoom > phone.zoom  # closer in on a desktop
    assert (desktop.latitude, desktop.longitude) == (phone.latitude, phone.longitude)
    scale = 512 * 2**desktop.zoom
    assert (box[2] - box[0]) / 360 * scale <= maps.MAP_WIDE_WIDTH_PX  # still the whole box


def test_a_phone_map_is_shorter_and_a_tall_city_still_fits_it():
    """On a phone the map is about as tall as it is wide (a desktop's height left a band of blank above and
    below the city); a city taller than it is wide is zoomed out to fit that height."""
    assert maps.map_height(maps.map_width(True)) == maps.MAP_PHONE_HEIGHT_PX < maps.MAP_HEIGHT_PX
    assert maps.map_height(maps.map_width(False)) == maps.MAP_HEIGHT_PX
    west, south, east, north = -87.75, 41.6, -87.70, 42.0  # narrow and tall
    v = maps.fit_view(west, south, east, north, maps.map_width(True))
    merc = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (south, north)]
    assert (merc[1] - merc[0]) / (2 * math.pi) * 512 * 2**v.zoom <= maps.MAP_PHONE_HEIGHT_PX


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
    kept = {p["e"] for p in [*points.exact, *points.approximate]}
    assert kept == set(events["event_id"].iloc[-10:])
    assert points.first_drawn == events["start"].iloc[-10]
    note = maps.event_notes(points)[-1]
    assert note.startswith("showing the 10 most recent of 50 events, from ")


def test_event_points_stay_within_the_byte_budget_whatever_the_titles():
    events = city_events(2_000, 1, 1, title_chars=80)
    points = maps.event_points(*drawn_from(events), cap=2_000, budget=50_000)
    records = [*points.exact, *points.approximate]
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
    labels = view.surroundings(MemorySource(folder_ds), names, YEAR_2025).labels
    drawn = maps.events_map(*drawn_from(events), shapes, names, [], labels, True, selected="002")
    spec = deck_spec(drawn)
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
    legend = [item.label for item in drawn.legend]
    assert legend[:5] == [
        "Coffee with a Cop",
        "Beat / community meeting",
        "Town hall",
        "Youth mentorship",
        "Block party",
    ]
    assert "placed approximately" in legend and "100 attendees" in legend
    assert (
        drawn.notes[0]
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


def test_legend_html_is_an_image_named_in_words_with_its_note_on_lines_of_its_own():
    import base64
    import re

    items = [maps.LegendItem((230, 97, 1), "below the city"), maps.LegendItem((94, 60, 153), "above <b>")]
    tag = maps.legend_html(items, "Trust score", note="What the classes mean.\nAreas numbered: 1 A & B.")
    assert tag.startswith("<img ") and "<svg" not in tag  # st.html's sanitiser drops inline SVG
    alt = re.search(r'alt="([^"]*)"', tag).group(1)
    assert alt == (
        "Legend. Trust score: below the city; above &lt;b&gt;. What the classes mean. Areas numbered: 1 A &amp; B."
    )
    svg = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", tag).group(1)).decode("utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert texts[-2:] == ["What the classes mean.", "Areas numbered: 1 A & B."]
    assert maps.legend_html([], "x") == ""


def test_every_area_of_the_sample_city_is_labelled_over_everything_else(sample_ds: Dataset):
    src = MemorySource(sample_ds)
    shapes = maps.compact_shapes(sample_ds.areas_geojson)
    figures = view.area_figures(src, YEAR_2025, Policy(10), "trust")
    around = view.surroundings(src, figures.names, YEAR_2025)
    basis = maps.event_basis(sample_ds.events)
    rows = view.event_rows(sample_ds, YEAR_2025)
    assert len(figures.names) >= 30
    for name in ("events", "density", "areas"):
        drawn = view.draw(name, figures, around, shapes, Policy(10), True, None, basis, rows)
        spec = deck_spec(drawn)
        top = spec["layers"][-1]
        assert top["id"] == maps.LABEL_LAYER, f"{name}: {top['id']} is drawn over the names"
        assert len(top["data"]) == len(figures.names), name  # one label per area
        # a name, or a number the legend's key gives the name of
        key = dict(
            part.split(" ", 1)
            for part in drawn.legend_note.split("overlap: ", 1)[-1].rstrip(".").split("; ")
            if part[:1].isdigit()
        )
        texts = [key.get(item["n"], item["n"].replace("\n", " ")) for item in top["data"]]
        assert sorted(texts) == sorted(figures.names.values()), name
        assert len(key) < len(texts) / 2, f"{name}: {len(key)} of {len(texts)} areas numbered"
        # no two labels overlap in the first view
        v = spec["initialViewState"]
        lat = np.array([item["y"] for item in top["data"]])
        lon = np.array([item["x"] for item in top["data"]])
        x, y = maps_labels._pixels(lat, lon, pdk.ViewState(**v))
        boxes = [maps_labels._box(item["n"], px, py) for item, px, py in zip(top["data"], x, y, strict=True)]
        for i, box in enumerate(boxes):
            assert not maps_labels._overlaps(box, boxes[:i]), (name, top["data"][i]["n"])


def test_label_records_wrap_long_names_and_number_those_that_would_overlap():
    shapes = maps.compact_shapes(grid_geojson(3, 1))
    v = maps.fit_view(-87.8, 41.8, -87.77, 41.81)
    labels = pd.DataFrame(
        {
            "area_id": ["A000", "A001", "A002"],
            "name": ["Greenfield Commons", "Zed Lane", "Fenwick"],
            "lat": [41.805, 41.8051, np.nan],
            "lon": [-87.795, -87.7949, np.nan],
        }
    )
    records, numbered = maps.label_records(labels, v, shapes)
    assert [r["n"] for r in records] == ["Greenfield\nCommons", "1", "Fenwick"]
    assert numbered == ["1 Zed Lane"] and maps.label_key(numbered).endswith("overlap: 1 Zed Lane.")
    assert (records[2]["x"], records[2]["y"]) == (-87.775, 41.805)  # no point: the centre of its outline
    # a number sits on an opaque box with an edge (it stood out from nothing among event dots); a name has none
    assert [r["b"][3] for r in records] == [0, 240, 0] and [r["e"][3] for r in records] == [0, 255, 0]
    (drawn,), _ = maps_labels.label_layer(labels, v, shapes)
    spec = json.loads(pdk.Deck(layers=[drawn], map_provider=None).to_json())["layers"][0]
    assert spec["background"] is True
    assert (spec["getBackgroundColor"], spec["getBorderColor"]) == ("@@=b", "@@=e")


# --- per-area figures --------------------------------------------------------------------------------------


def figures_of(ds: Dataset, measure: str, k: int = 1, public: bool = False, f: Filters = YEAR_2025):
    """The Map's per-area figures of `measure` on `ds` through Policy(k, public)."""
    return view.area_figures(MemorySource(ds), f, Policy(k, public), measure)


def test_area_figures_match_hand_computed_values(folder_ds: Dataset):
    events = figures_of(folder_ds, "events").table
    assert list(events.index) == ["001", "002", "003"]
    assert list(events["name"]) == ["North End", "Riverside", "Hillcrest"]
    assert list(events["events"]) == [3, 1, 2]
    assert list(events["attendance"]) == [45.0, 40.0, 15.0]
    assert list(events["events_without_attendance"]) == [0, 0, 1]
    assert events["attendance_per_10k"].tolist() == pytest.approx([45.0, 20.0, 5.0])
    assert events["events_per_10k"].tolist() == pytest.approx([3.0, 0.5, 2 / 3])
    trust = figures_of(folder_ds, "trust").table
    assert trust["value"].tolist() == pytest.approx([60.0, 80.0, 30.0])
    assert list(trust["n"]) == [1, 1, 1]
    assert figures_of(folder_ds, "safety").table["value"].tolist() == pytest.approx([50.0, 70.0, 40.0])
    net = figures_of(folder_ds, "sentiment").table
    assert math.isnan(net.loc["001", "value"]) and net.loc["001", "n"] == 0
    assert net.loc["002", "value"] == 100.0 and net.loc["003", "value"] == -100.0
    concerns = figures_of(folder_ds, "open_concerns").table
    assert list(concerns["value"]) == [0, 1, 0] and list(concerns["raised"]) == [1, 1, 0]


def test_area_figures_hold_only_the_measure_asked_for(folder_ds: Dataset):
    figures = figures_of(folder_ds, "trust")
    assert figures.table["value"].tolist() == pytest.approx([60.0, 80.0, 30.0])
    assert "raised" not in figures.table and "positive" not in figures.table
    assert figures.names == {"003": "Hillcrest", "001": "North End", "002": "Riverside"}
    assert figures.source == "responses" and figures.note == ""


@pytest.mark.parametrize("public", [False, True])
def test_scores_per_area_are_score_figure_for_each_area(folder_ds: Dataset, public: bool):
    src, policy = MemorySource(folder_ds), Policy(1, public)
    by_area = score_figures_by_area(src, "trust", ["001", "002", "003"], YEAR_2025, policy)
    for area_id, fig in by_area.items():
        alone = score_figure(src, "trust", YEAR_2025.with_areas((area_id,)), policy)
        assert repr(fig) == repr(alone)  # NaN intervals (one answer) compare equal as text


def test_area_details_say_what_the_map_says(folder_ds: Dataset):
    src, policy = MemorySource(folder_ds), Policy(2, False)
    measures = view.options(src, True).measures
    for measure in ("trust", "sentiment", "open_concerns"):
        figures = view.area_figures(src, YEAR_2025, policy, measure)
        tips = view.choropleth(figures, policy).values["tooltip"]
        for area_id in figures.table.index:
            lines = map_details.area_details(
                src, folder_ds, YEAR_2025, policy, figures, area_id, measures
            ).lines
            assert tips[area_id].split("\n")[1] in lines, (measure, area_id)
    north = map_details.area_details(src, folder_ds, YEAR_2025, policy, figures, "001", measures).lines
    assert north[:2] == ("3 events in the period", "45 attendees")
    assert "Trust 60 ⚠ (n=1; fewer than 2 answers, treat with care)" in north
    assert "45 attendees per 10,000 residents (45 attendees; population 10,000)" in north


def test_measure_options_say_why_measures_are_missing(folder_ds: Dataset):
    available, missing = view.measure_options(MemorySource(folder_ds))
    assert available == [m for m in view.MEASURES if m not in ("listen", "respect")]
    assert missing == {m: f"the survey responses have no {m} answers" for m in ("listen", "respect")}
    bare = dataset_of(folder_ds.events.drop(columns=["attendance"]), folder_ds.areas_geojson,
                      folder_ds.areas.drop(columns=["population"]))  # fmt: skip
    available, missing = view.measure_options(MemorySource(bare))
    assert available == ["events"]
    assert missing["trust"] == missing["sentiment"] == "no individual survey responses in the data"
    assert missing["events_per_10k"] == "the areas have no population figures"
    assert missing["open_concerns"] == "no concerns table in the data"
    text = view.missing_text(missing, view.MEASURE_LABELS)
    assert text.startswith(
        "Not available: Trust score, Safety score, Listen score, Respect score, Net comment sentiment (no "
        "individual"
    )
    no_attendance = dataset_of(
        folder_ds.events.drop(columns=["attendance"]), folder_ds.areas_geojson, folder_ds.areas
    )
    no_responses = "no individual survey responses in the data"
    assert view.measure_options(MemorySource(no_attendance))[1] == {
        **dict.fromkeys(view.SCORE_MEASURES, no_responses),
        "attendance_per_10k": "the events have no attendance counts",
        "open_concerns": "no concerns table in the data",
        "sentiment": no_responses,
    }


def test_layer_options_without_coordinates_or_outlines(folder_ds: Dataset):
    assert view.layer_options(MemorySource(folder_ds), True) == (["events", "density", "areas"], {})
    nowhere = folder_ds.events.assign(lat=np.nan, lon=np.nan)
    layers, missing = view.layer_options(MemorySource(dataset_of(nowhere, None, folder_ds.areas)), False)
    assert layers == [] and set(missing) == {"events", "density", "areas"}
    assert "no event has coordinates" in missing["events"]


NO_LABELS = pd.DataFrame(columns=["area_id", "name", "lat", "lon"])


def test_choropleth_greys_areas_below_k_in_both_modes(folder_ds: Dataset):
    for public in (False, True):
        chosen = view.choropleth(figures_of(folder_ds, "trust", 2, public), Policy(2, public))
        assert chosen.values["not_enough"].all() and chosen.values["value"].isna().all()
    staff = view.choropleth(figures_of(folder_ds, "trust", 2, False), Policy(2, False))
    public = view.choropleth(figures_of(folder_ds, "trust", 2, True), Policy(2, True))
    assert (
        staff.values["tooltip"]["001"] == "North End\nTrust 60 ⚠ (n=1; fewer than 2 answers, treat with care)"
    )
    assert public.values["tooltip"]["001"] == "North End\nTrust: not enough answers to show (fewer than 2)"
    assert staff.not_enough_label == "fewer than 2 answers (⚠, not coloured)"
    shapes = maps.compact_shapes(folder_ds.areas_geojson)
    drawn = maps.choropleth_map(public, shapes, [], NO_LABELS, True)
    features = layer(deck_spec(drawn), maps.AREAS_LAYER)["data"]["features"]
    assert all(f["properties"]["c"][:3] == maps.NOT_ENOUGH_COLOUR for f in features)
    assert [item.label for item in drawn.legend] == ["not enough answers (fewer than 2)"]


def test_choropleth_colours_by_measure_with_units_and_population_gaps(folder_ds: Dataset):
    areas = folder_ds.areas.copy()
    areas.loc[areas["area_id"] == "003", "population"] = np.nan
    ds = dataset_of(folder_ds.events, folder_ds.areas_geojson, areas, responses=folder_ds.responses)
    chosen = view.choropleth(figures_of(ds, "attendance_per_10k"), Policy(1))
    assert (
        chosen.values.loc["003", "tooltip"]
        == "Hillcrest\nAttendance per 10,000 residents: no population figure for this area"
    )
    assert (
        chosen.values.loc["001", "tooltip"]
        == "North End\n45 attendees per 10,000 residents (45 attendees; population 10,000)"
    )
    shapes = maps.compact_shapes(ds.areas_geojson)
    drawn = maps.choropleth_map(chosen, shapes, [], NO_LABELS, True)
    props = {
        f["properties"]["area_id"]: f["properties"]
        for f in layer(deck_spec(drawn), maps.AREAS_LAYER)["data"]["features"]
    }
    assert props["003"]["c"][:3] == maps.NO_FIGURE_COLOUR
    assert props["001"]["c"] != props["002"]["c"]
    assert drawn.legend[-1].label == "no population figure"
    assert drawn.legend_title == "Attendees per 10,000 residents"
    sentiment = view.choropleth(figures_of(ds, "sentiment"), Policy(1))
    drawn = maps.choropleth_map(sentiment, shapes, [], NO_LABELS, True)
    assert [item.label for item in drawn.legend][:5] == [
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
    drawn = maps.choropleth_map(one_sided, shapes, [], NO_LABELS, True)
    colours = {
        tuple(f["properties"]["c"]) for f in layer(deck_spec(drawn), maps.AREAS_LAYER)["data"]["features"]
    }
    assert (
        len(colours) == 3 and drawn.legend[0].label.startswith("under ") and "−5" not in drawn.legend[0].label
    )


@pytest.mark.parametrize("public", [False, True])
def test_score_classes_never_split_areas_whose_intervals_overlap_the_citys(sample_ds: Dataset, public: bool):
    src, policy = MemorySource(sample_ds), Policy(10, public)
    figures = view.area_figures(src, YEAR_2025, policy, "trust")
    city = score_figure(src, "trust", YEAR_2025, policy)
    assert figures.city == city  # one truth: the city's figure and interval as the Overview shows them
    by_metrics = score_figures_by_area(src, "trust", list(figures.table.index), YEAR_2025, policy)
    assert figures.table["low"].tolist() == [by_metrics[a].low for a in figures.table.index]
    chosen = view.choropleth(figures, policy)
    classes = chosen.values["value"]
    low, high = figures.table["low"], figures.table["high"]
    shown = classes.notna()
    assert shown.sum() >= 25
    above, below = classes == view.ABOVE, classes == view.BELOW
    assert (low[above] > city.high).all() and (high[below] < city.low).all()
    like = classes == view.LIKE
    assert ((low[like] <= city.high) & (high[like] >= city.low)).all()
    assert above.any() and below.any() and like.any()  # the sample city has all three
    shapes = maps.compact_shapes(sample_ds.areas_geojson)
    drawn = maps.choropleth_map(chosen, shapes, [], NO_LABELS, True)
    assert [item.label for item in drawn.legend][:3] == ["below the city", "like the city", "above the city"]
    assert "95 % interval" in drawn.legend_note and "do not overlap" in drawn.legend_note
    assert "against the city" in drawn.legend_title
    colours = {
        f["properties"]["area_id"]: tuple(f["properties"]["c"])
        for f in layer(deck_spec(drawn), maps.AREAS_LAYER)["data"]["features"]
    }
    for group in (above, below, like):  # one colour per class, three in all
        assert len({colours[a] for a in classes.index[group]}) == 1
    assert len(set(colours.values())) == 3
    assert "Like the city" in chosen.values.loc[classes.index[like][0], "tooltip"]


def test_versus_city_by_interval_and_like_when_an_interval_is_unknown():
    city = ScoreFigure("trust", 60.0, 1000, 59.0, 61.0, "responses", "shown")
    low = pd.Series([62.0, 50.0, 58.0, np.nan, 60.5])
    high = pd.Series([70.0, 58.9, 59.5, np.nan, 66.0])
    assert view.versus_city(low, high, city).tolist() == [2, 0, 1, 1, 1]


def test_twin_table_hides_small_numbers_in_public_and_flags_them_for_staff(folder_ds: Dataset):
    big = view.twin_table(figures_of(folder_ds, "trust", 1, True), view.LAYER_AREAS)
    assert list(big.columns) == ["Area", "Trust score (0–100)", "Responses (n)", "95 % interval"]
    assert list(big["Area"]) == ["Hillcrest", "North End", "Riverside"]  # by name
    assert list(big["Trust score (0–100)"]) == [30.0, 60.0, 80.0]
    public = view.twin_table(figures_of(folder_ds, "trust", 2, True), view.LAYER_AREAS)
    assert public["Trust score (0–100)"].isna().all() and public["Responses (n)"].isna().all()
    assert set(public["Small numbers"]) == {"not enough answers to show (fewer than 2)"}
    staff = view.twin_table(figures_of(folder_ds, "trust", 2, False), view.LAYER_AREAS)
    assert list(staff["Trust score (0–100)"]) == [30.0, 60.0, 80.0] and list(staff["Responses (n)"]) == [
        1,
        1,
        1,
    ]
    assert set(staff["Small numbers"]) == {"n=1: fewer than 2 answers, treat with care"}
    events = view.twin_table(figures_of(folder_ds, "events"), view.LAYER_EVENTS)
    assert list(events.columns) == ["Area", "Events", "Attendance", "Events without an attendance count", "Population",
                                    "Events per 10,000 residents", "Attendance per 10,000 residents"]  # fmt: skip
    assert events.set_index("Area").loc["North End", "Attendance per 10,000 residents"] == 45.0
    concerns = view.twin_table(figures_of(folder_ds, "open_concerns"), view.LAYER_AREAS)
    assert concerns.set_index("Area").loc["Riverside"].tolist() == [1, 1, 0]


def test_captions_say_what_the_table_holds_and_how_the_map_is_drawn(folder_ds: Dataset):
    staff, public = Policy(10, False), Policy(10, True)
    events = figures_of(folder_ds, "events")
    assert view.twin_caption(events, "events", staff).startswith("The map's figures (events and attendance)")
    trust = figures_of(folder_ds, "trust")
    text = view.twin_caption(trust, "areas", staff)
    assert "(trust score)" in text and text.endswith("flagged ⚠ and not coloured on the map.")
    assert "fewer than 10 answers are hidden, with their n" in view.twin_caption(trust, "areas", public)
    assert "answers" not in view.twin_caption(figures_of(folder_ds, "open_concerns"), "areas", public)
    notes = view.map_notes(["3 of 9 events placed approximately"], True, True).split("  \n")
    assert notes[0] == "No event in this period and selection."
    assert notes[1] == "3 of 9 events placed approximately."
    assert notes[-1].startswith("Offline: no street map")
    assert "Offline" not in view.map_notes([], False, False)


def test_parse_selection_finds_the_area_or_event():
    area = {
        "selection": {
            "indices": {"areas": [1]},
            "objects": {"areas": [{"type": "Feature", "properties": {"area_id": "002"}}]},
        }
    }
    assert map_details.parse_selection(area) == map_details.Picked(area_id="002")
    event = {"selection": {"objects": {maps.APPROX_LAYER: [{"e": "E5", "x": 1}]}}}
    assert map_details.parse_selection(event) == map_details.Picked(event_id="E5")
    hexagon = {"selection": {"objects": {maps.DENSITY_LAYER: [{"h": "89283082803ffff"}]}}}
    for state in (
        hexagon,
        None,
        {},
        {"selection": {"objects": {}}},
        {"selection": {"objects": {"areas": []}}},
    ):
        assert map_details.parse_selection(state) == map_details.Picked()


def test_area_details_list_recent_events_and_open_concerns(folder_ds: Dataset):
    src = MemorySource(folder_ds)

    def about(area_id: str, public: bool = False) -> map_details.AreaDetails:
        policy = Policy(1, public)
        figures = view.area_figures(src, YEAR_2025, policy, "events")
        return map_details.area_details(src, folder_ds, YEAR_2025, policy, figures, area_id, ["events"])

    north = about("001")
    assert north.name == "North End"
    assert list(north.recent["Title"]) == ["Beat 11 meeting", "Park clean-up", "Coffee at Café Rosa"]
    assert list(north.recent["Date"]) == [date(2025, 2, 5), date(2025, 1, 25), date(2025, 1, 10)]
    assert north.open_count == 0 and north.open_oldest.empty
    staff = about("002")
    assert staff.open_count == 1 and list(staff.open_oldest["Topic"]) == ["traffic and speeding"]
    assert staff.open_oldest.loc[0, "Summary"] == "Cars speed on Main St"
    assert staff.open_oldest.loc[0, "Days open"] == (date(2025, 12, 31) - date(2025, 3, 20)).days
    assert "Summary" not in about("002", public=True).open_oldest
    event = map_details.find_event(folder_ds.events, "E5")
    lines = dict(map_details.event_lines(event))
    assert lines["Attendance"] == "not counted" and "approximately" in lines["Location"]
    assert map_details.find_event(folder_ds.events, "nope") is None


def test_open_concerns_listed_are_those_the_follow_through_counts(sample_ds: Dataset):
    src = MemorySource(sample_ds)
    for f in (Filters(date(2025, 1, 1), date(2025, 12, 31)), Filters(date(2024, 3, 1), date(2024, 5, 31))):
        counted = follow_through.follow_through_by(src, f, ("area_id",)).set_index("area_id")["open_at_end"]
        listed = (
            follow_through.concern_rows(sample_ds.concerns, f)
            .query(follow_through.FLAGS["open_at_end"])
            .groupby("area_id")
            .size()
        )
        assert listed.reindex(counted.index).fillna(0).astype(int).tolist() == counted.tolist()
        assert listed.sum() == follow_through.follow_through(src, f).open_at_end > 0


def test_scope_names_make_shared_names_unique():
    figures = pd.DataFrame({"name": ["Oak", "Oak", "Elm"]}, index=["b1", "b2", "b3"])
    assert view.scope_names(figures) == {"b3": "Elm", "b1": "Oak (b1)", "b2": "Oak (b2)"}


# --- published scores, and small numbers in the public view ------------------------------------------------------

PUBLISHED_ROWS = [  # trust for 2025 as a vendor publishes it, with rows the rule must pass over
    ("2025-10-01", "2025-12-31", "city", "city", "trust", "60.0", "200", ""),
    ("2025-07-01", "2025-09-30", "area", "001", "trust", "50.0", "30", ""),  # older: not the latest
    ("2025-10-01", "2025-12-31", "area", "001", "trust", "64.2", "40", ""),
    ("2026-01-01", "2026-03-31", "area", "001", "trust", "99.0", "40", ""),  # ends after the period
    ("2025-10-01", "2025-12-31", "area", "001", "trust", "10.0", "15", "age: 18-24"),  # a breakdown
    ("2025-12-01", "2025-12-31", "area", "002", "trust", "58.4", "", ""),  # n not published
    ("2025-10-01", "2025-12-31", "area", "003", "trust", "71.0", "5", ""),  # fewer than k
    ("2025-10-01", "2025-12-31", "area", "001", "safety", "55.0", "40", ""),
]


def write_published_source(folder: Path) -> Path:
    """The three conftest areas with their events and published area scores only (no responses)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(folder / "events.csv", EVENTS_ROWS)
    columns = ("period_start", "period_end", "level", "area_id", "metric", "value", "n", "group")
    write_csv(folder / "area_scores.csv", [dict(zip(columns, row, strict=True)) for row in PUBLISHED_ROWS])
    return folder


@pytest.fixture
def published_ds(tmp_path: Path) -> Dataset:
    """Events and published area scores, no individual responses."""
    return load_dataset(write_published_source(tmp_path / "published"), cache_dir=tmp_path / "cache")


def test_published_scores_colour_the_areas_layer_and_fill_the_details(published_ds: Dataset):
    src, staff = MemorySource(published_ds), Policy(10, False)
    options = view.options(src, True)
    assert options.measures[:2] == ["trust", "safety"] and "sentiment" not in options.measures
    assert options.missing_measures["listen"] == (
        "no individual survey responses in the data, and no published listen scores"
    )
    figures = view.area_figures(src, YEAR_2025, staff, "trust")
    assert figures.source == "published"
    table = figures.table
    assert table["value"].tolist() == pytest.approx([64.2, 58.4, 71.0])  # as published, the latest in 2025
    assert table["n"].tolist()[0] == 40 and math.isnan(table["n"].tolist()[1]) and table["n"].tolist()[2] == 5
    assert list(table["period"]) == ["1 Oct – 31 Dec 2025", "1 Dec – 31 Dec 2025", "1 Oct – 31 Dec 2025"]
    assert list(table["status"]) == ["shown", "shown", "flagged"]
    assert figures.note.startswith("Trust score: published area scores, each area's latest ending within")
    assert "used as published" in figures.note
    chosen = view.choropleth(figures, staff)
    assert chosen.title == "Trust score, 0–100 (not a percentage): published"
    tips = chosen.values["tooltip"]
    assert tips["001"] == "North End\nTrust 64 (n=40; published for 1 Oct – 31 Dec 2025)"
    assert tips["002"] == "Riverside\nTrust 58 (n not published; published for 1 Dec – 31 Dec 2025)"
    assert tips["003"].startswith("Hillcrest\nTrust 71 ⚠ (n=5; published for 1 Oct – 31 Dec 2025;")
    shapes = maps.compact_shapes(published_ds.areas_geojson)
    drawn = maps.choropleth_map(chosen, shapes, [], NO_LABELS, True)
    colour = {f["properties"]["area_id"]: f["properties"]["c"][:3]
              for f in layer(deck_spec(drawn), maps.AREAS_LAYER)["data"]["features"]}  # fmt: skip
    assert colour["001"] != colour["002"] and maps.NOT_ENOUGH_COLOUR not in (colour["001"], colour["002"])
    assert colour["003"] == maps.NOT_ENOUGH_COLOUR
    assert "published" in drawn.legend_title
    # the details show the figure score_figure gives the area alone, with its own dates
    for area_id in AREA_SQUARES:
        about = map_details.area_details(
            src, published_ds, YEAR_2025, staff, figures, area_id, options.measures
        )
        expected = score_words(score_figure(src, "trust", YEAR_2025.with_areas((area_id,)), staff), staff)
        assert expected in about.lines and tips[area_id].endswith(expected)
    about = map_details.area_details(src, published_ds, YEAR_2025, staff, figures, "001", options.measures)
    assert "Safety 55 (n=40; published for 1 Oct – 31 Dec 2025)" in about.lines
    twin = view.twin_table(figures, view.LAYER_AREAS).set_index("Area")
    assert list(twin.columns) == [
        "Trust score (0–100)",
        "Responses (n, as published)",
        "Published for",
        "Small numbers",
    ]
    assert twin.loc["North End"].tolist()[:3] == [64.0, 40, "1 Oct – 31 Dec 2025"]
    # a single published period is named in the legend
    one = view.area_figures(src, YEAR_2025.with_areas(("001", "003")), staff, "trust")
    assert one.legend_title == "Trust score, 0–100 (not a percentage): published for 1 Oct – 31 Dec 2025"
    assert one.note.startswith(
        "Trust score: published area scores for 1 Oct – 31 Dec 2025, used as published"
    )


def test_published_scores_in_the_public_view_pass_the_policy(published_ds: Dataset):
    src, public = MemorySource(published_ds), Policy(10, True)
    table = view.area_figures(src, YEAR_2025, public, "trust").table
    # 003 rests on 5: hidden; 001 is hidden too, or 003 could be worked out from the city's figure
    assert list(table["status"]) == ["hidden", "shown", "hidden"]
    assert table["value"].isna().tolist() == [True, False, True] and table["n"].isna().all()
    assert table.loc["001", "words"] == (
        "Trust: not shown, so that a figure on fewer than 10 answers cannot be worked out from the others"
    )


def responses_by_area(answers: dict[str, list[int]]) -> pd.DataFrame:
    """Survey responses in 2025 with the given trust answers per area, each with a comment."""
    rows = [
        {
            "response_id": f"R{area_id}-{i}",
            "submitted": pd.Timestamp("2025-03-01") + pd.Timedelta(days=i),
            "area_id": area_id,
            "trust": float(value),
            "comment": "Great officers, thank you",
            "sentiment": 0.8,
        }
        for area_id, values in answers.items()
        for i, value in enumerate(values)
    ]
    return pd.DataFrame(rows)


SMALL_AREAS = {"001": [9, 9, 8], "002": [7] * 6 + [3] * 6, "003": [6] * 40}  # 86.7 on 3, 50 on 12, 60 on 40


def test_in_public_a_small_area_has_no_value_and_no_n_in_the_deck_the_table_or_the_csv(folder_ds: Dataset):
    ds = dataset_of(folder_ds.events, folder_ds.areas_geojson, folder_ds.areas,
                    responses=responses_by_area(SMALL_AREAS))  # fmt: skip
    src, public = MemorySource(ds), Policy(10, True)
    figures = view.area_figures(src, YEAR_2025, public, "trust")
    # 001 rests on 3 answers; hiding it alone would leave it to subtraction from the city's figure: the
    # smallest other area (002, on 12) is hidden too; 003 is shown
    assert list(figures.table["status"]) == ["hidden", "hidden", "shown"]
    shapes = maps.compact_shapes(ds.areas_geojson)
    around = view.surroundings(src, figures.names, YEAR_2025)
    deck_json = view.draw(view.LAYER_AREAS, figures, around, shapes, public, True, "001").deck.to_json()
    props = {f["properties"]["area_id"]: f["properties"]
             for f in layer(json.loads(deck_json), maps.AREAS_LAYER)["data"]["features"]}  # fmt: skip
    assert (
        props["001"]["t"]
        == "North End\nTrust: not enough answers to show (fewer than 10)\nClick for this area's details"
    )
    assert props["002"]["t"] == (
        "Riverside\nTrust: not shown, so that a figure on fewer than 10 answers cannot be worked out from the "
        "others\nClick for this area's details"
    )
    assert props["003"]["t"].startswith("Hillcrest\nTrust 60 (n=40; 95 % interval")
    assert props["001"]["c"][:3] == props["002"]["c"][:3] == maps.NOT_ENOUGH_COLOUR
    for secret in ("n=3", "n=12", "86.7", "Trust 87", "Trust 50", "=3;", "=12;"):
        assert secret not in deck_json
    twin = view.twin_table(figures, view.LAYER_AREAS)
    hidden = twin[twin["Area"].isin(["North End", "Riverside"])]
    assert hidden["Trust score (0–100)"].isna().all() and hidden["Responses (n)"].isna().all()
    assert (hidden["95 % interval"] == "").all()
    assert twin.set_index("Area").loc["Hillcrest", "Responses (n)"] == 40
    csv = to_csv_bytes(twin).decode("utf-8-sig").splitlines()
    assert csv[0] == "Area,Trust score (0–100),Responses (n),95 % interval,Small numbers"
    assert csv[2] == "North End,,,,not enough answers to show (fewer than 10)"
    assert csv[3].startswith("Riverside,,,,not shown, so that") or csv[3].startswith(
        'Riverside,,,,"not shown'
    )
    assert not any(s in "\n".join(csv) for s in ("86.7", "87", ",3,", ",12,", "50.0"))
    # the details say the same, and nothing more
    measures = view.options(src, True).measures
    for area_id, words in (("001", props["001"]["t"]), ("002", props["002"]["t"])):
        lines = map_details.area_details(src, ds, YEAR_2025, public, figures, area_id, measures).lines
        assert words.split("\n")[1] in lines
        assert not any("n=" in line and "Trust" in line for line in lines)
    # staff see every figure, flagged where it rests on fewer than 10
    staff = view.area_figures(src, YEAR_2025, Policy(10, False), "trust").table
    assert list(staff["status"]) == ["flagged", "shown", "shown"]
    assert staff["value"].round(1).tolist() == [86.7, 50.0, 60.0] and staff["n"].tolist() == [3, 12, 40]


def test_secondary_suppression_applies_to_sentiment_too(folder_ds: Dataset):
    ds = dataset_of(folder_ds.events, folder_ds.areas_geojson, folder_ds.areas,
                    responses=responses_by_area(SMALL_AREAS))  # fmt: skip
    figures = view.area_figures(MemorySource(ds), YEAR_2025, Policy(10, True), "sentiment")
    assert list(figures.table["status"]) == ["hidden", "hidden", "shown"]
    assert figures.table["n"].isna().tolist() == [True, True, False]
    twin = view.twin_table(figures, view.LAYER_AREAS)
    assert twin["Scored comments (n)"].isna().sum() == 2
    assert twin["Positive comments (%)"].isna().sum() == 2


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
    basis, rows = maps.event_basis(city.events), view.event_rows(city, everything)
    assert len(rows) == 100_000
    src, policy = MemorySource(city), Policy(10)
    figures = view.area_figures(src, everything, policy, "events_per_10k")
    around = view.surroundings(src, figures.names, everything)
    layer_name, _, weight = which.partition("-")
    drawn = view.draw(
        layer_name, figures, around, shapes, policy, True, None, basis, rows, weight or "events"
    )
    if which == "events":
        assert drawn.notes[-1].startswith("showing the ")
    size = len(drawn.deck.to_json().encode("utf-8"))
    print(f"{which}: {size:,} bytes")
    assert size <= maps.MAX_DECK_BYTES
    if which == "events":
        assert size <= maps.EVENTS_DECK_BYTES


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-400, 400), st.floats(-400, 400), st.floats(0.5, 150), st.floats(0.5, 40)),
        max_size=60,
    )
)
def test_placed_labels_are_found_as_a_check_against_every_box_finds_them(specs) -> None:
    """The squares labels are filed by never miss an overlap, nor find one that is not there."""
    placed, every = maps_labels.PlacedBoxes(), []
    for x, y, width, height in specs:
        box = (x, y, x + width, y + height)
        assert placed.overlaps(box) == maps_labels._overlaps(box, every)
        placed.add(box)
        every.append(box)
