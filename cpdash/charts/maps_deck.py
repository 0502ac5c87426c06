"""Map decks: compact JSON under a byte budget, the view fitted to the areas in the narrowest map, no basemap
offline, and the area outlines and the chosen area's outline drawn under and over the data (names: maps_labels).

Every deck is sent to the browser as compact JSON and stays under MAX_DECK_BYTES whatever the data size
(cpdash.charts.maps_events caps events, cpdash.charts.maps_density aggregates to hexagons, and area
outlines are simplified once per data set by `compact_shapes`). Tooltips are plain text (`{"text": ...}`):
the browser sets them with innerText, so a title such as `<img src=x onerror=alert(1)>` shows as text.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize
from shapely.geometry import mapping, shape

from cpdash.charts.maps_legend import LegendItem

# Layer ids inside the decks (a selection names the layer its object came from).
EVENTS_LAYER = "events"  # events with their own coordinates: filled circles
APPROX_LAYER = "events_approx"  # events placed at their beat's or area's centre: rings
DENSITY_LAYER = "density"  # h3 hexagons
AREAS_LAYER = "areas"  # the choropleth
OUTLINE_LAYER = "area_outlines"  # the areas in scope under events and hexagons (pickable)
CONTEXT_LAYER = "area_context"  # areas outside the chosen ones, faint, not pickable
LABEL_LAYER = "area_labels"
SELECTED_LAYER = "area_selected"  # a thick outline around the area whose details are shown

AREA_LINE = [70, 70, 70, 220]
AREA_FILL = [120, 130, 150, 30]  # under events and hexagons, so that the areas stay readable offline
CONTEXT_LINE = [150, 150, 150, 140]
DENSITY_AREA_LINE = [60, 60, 60, 110]  # area borders over the hexagons
SELECTED_LINE = [20, 20, 20, 255]
SELECTED_WIDTH = 3  # pixels

COORD_DECIMALS = 5  # ~1 m
SIMPLIFY_DEGREES = 0.00002  # first simplification tolerance (~2 m), doubled until within budget
MAX_SHAPE_VERTICES = 20_000  # area outlines are simplified until they have at most this many vertices
FEATURE_OVERHEAD_BYTES = 150  # a feature's JSON beyond its coordinates (type, properties, tooltip)
LABEL_BYTES = 90  # one area label in the deck's JSON (its text, place and box colour)
RECORD_BYTES = 80  # an event's JSON record beyond its tooltip and id
DECK_MARGIN_BYTES = 20_000  # layer settings, view, and rounding in the estimates

MAX_DECK_BYTES = 1_000_000  # the most a deck may send the browser (README, Performance) ...
EVENTS_DECK_BYTES = 600_000  # ... and what the events deck aims at: room for the rest of the page, and speed
# The first view fits the areas into the narrowest map the page draws (a 360 px phone less its margins) and
# the map's height: the zoom does not depend on the screen, so the whole city is in view at any width.
MAP_MIN_WIDTH_PX, MAP_HEIGHT_PX = 328, 480
MAP_PHONE_HEIGHT_PX = 380  # a phone's map: about as tall as it is wide, as a city is, with little blank
MAP_WIDE_WIDTH_PX = 600  # the map's width beside its details on a laptop's screen (1440 px) or wider
TILE_PX = 512
DEFAULT_VIEW = {"latitude": 41.86, "longitude": -87.69, "zoom": 10.5}
ONLINE_PROVIDER, ONLINE_STYLE = "carto", "light"
TOOLTIP = {
    "text": "{t}",
    "style": {
        "backgroundColor": "#ffffff",
        "color": "#1a1a1a",
        "fontSize": "14px",
        "lineHeight": "1.35",
        "maxWidth": "320px",
        "whiteSpace": "pre-line",
        "border": "1px solid #888",
        "borderRadius": "4px",
        "padding": "8px 10px",
    },
}
PIXELS = pdk.types.String("pixels")  # a constant string prop (pydeck reads bare strings as accessors)


class Records:
    """A layer's data as records already in JSON (one text per record, made once per data set): the deck
    joins them instead of encoding thousands of records again on every rerun."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts

    def __len__(self) -> int:
        """Number of records."""
        return len(self.texts)

    def __iter__(self) -> Iterator[dict]:
        """The records, decoded."""
        return (json.loads(text) for text in self.texts)


def _serialize(o: object, found: list[Records]) -> object:
    """pydeck's serialisation, with Records left as a numbered placeholder to fill in after."""
    if isinstance(o, Records):
        found.append(o)
        return f"\x00records:{len(found) - 1}\x00"
    return default_serialize(o)


def _plain(o: object) -> object:
    """pydeck's serialisation, with Records as the records they hold."""
    if isinstance(o, Records):
        return json.loads("[" + ",".join(o.texts) + "]")
    return default_serialize(o)


class CompactDeck(pdk.Deck):
    """A pydeck Deck serialised without indentation (pydeck indents by two spaces: ~2x the bytes)."""

    def to_json(self) -> str:
        """The deck as compact JSON, as st.pydeck_chart sends it to the browser."""
        found: list[Records] = []
        text = json.dumps(
            self, default=lambda o: _serialize(o, found), separators=(",", ":"), ensure_ascii=False
        )
        marks = [f'"\\u0000records:{i}\\u0000"' for i in range(len(found))]
        if any(text.count(mark) != 1 for mark in marks):  # a text from the data that looks like a mark
            return json.dumps(self, default=_plain, separators=(",", ":"), ensure_ascii=False)
        for mark, records in zip(marks, found, strict=True):
            text = text.replace(mark, "[" + ",".join(records.texts) + "]", 1)
        return text


@dataclass(frozen=True)
class MapView:
    """A deck with its legend and the notes to show beside it."""

    deck: pdk.Deck
    legend: tuple[LegendItem, ...] = ()
    legend_title: str = ""
    legend_note: str = ""  # the words under the legend's entries (what the classes mean, the numbered areas)
    notes: tuple[str, ...] = ()
    alt: str = ""


@dataclass(frozen=True)
class Shapes:
    """Area outlines ready to draw: compact GeoJSON geometry and bounds per area id."""

    geometry: Mapping[str, dict] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)  # w, s, e, n
    sizes: Mapping[str, int] = field(default_factory=dict)  # bytes of each outline in the deck's JSON
    extent: Mapping[str, float] = field(default_factory=dict)  # area of each outline's box (deg²)

    def json_bytes(self, area_ids: Iterable[str]) -> int:
        """Bytes the outlines of `area_ids` add to a deck (with room for their properties)."""
        return sum(self.sizes.get(a, 0) + FEATURE_OVERHEAD_BYTES for a in area_ids)

    def __bool__(self) -> bool:
        """True when at least one area has an outline."""
        return bool(self.geometry)


def _rounded(coordinates: object) -> object:
    """Nested coordinate lists rounded to COORD_DECIMALS."""
    if isinstance(coordinates, (list, tuple)):
        if coordinates and isinstance(coordinates[0], (int, float)):
            return [round(float(c), COORD_DECIMALS) for c in coordinates]
        return [_rounded(c) for c in coordinates]
    return coordinates


def compact_shapes(geojson: dict | None, max_vertices: int = MAX_SHAPE_VERTICES) -> Shapes:
    """Simplified, rounded outlines per area id from a FeatureCollection (once per data set: slow)."""
    if not geojson:
        return Shapes()
    ids, geoms = [], []
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry")
        if props.get("area_id") is None or not geometry:
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError):
            continue
        if geom.is_empty:
            continue
        ids.append(str(props["area_id"]))
        geoms.append(geom)
    if not geoms:
        return Shapes()
    array = np.array(geoms, dtype=object)
    tolerance = SIMPLIFY_DEGREES
    simple = shapely.simplify(array, tolerance, preserve_topology=True)
    while int(shapely.get_num_coordinates(simple).sum()) > max_vertices and tolerance < 0.05:
        tolerance *= 2
        simple = shapely.simplify(array, tolerance, preserve_topology=True)
    bounds = shapely.bounds(array)
    geometry = {}
    for area_id, geom in zip(ids, simple, strict=True):
        gj = mapping(geom)
        geometry[area_id] = {"type": gj["type"], "coordinates": _rounded(gj["coordinates"])}
    return Shapes(
        geometry=geometry,
        bounds={i: tuple(float(v) for v in b) for i, b in zip(ids, bounds, strict=True)},
        sizes={i: len(json.dumps(g, separators=(",", ":"))) for i, g in geometry.items()},
        extent={i: float((b[2] - b[0]) * (b[3] - b[1])) for i, b in zip(ids, bounds, strict=True)},
    )


def map_width(phone: bool) -> int:
    """The map width the first view is fitted to: a phone's (the narrowest map drawn), else a desktop's."""
    return MAP_MIN_WIDTH_PX if phone else MAP_WIDE_WIDTH_PX


def map_height(width_px: int) -> int:
    """The height of a map fitted to `width_px` (map_width): shorter on a phone."""
    return MAP_PHONE_HEIGHT_PX if width_px <= MAP_MIN_WIDTH_PX else MAP_HEIGHT_PX


def fit_view(
    west: float, south: float, east: float, north: float, width_px: int = MAP_MIN_WIDTH_PX
) -> pdk.ViewState:
    """A view that shows the box from `west`,`south` to `east`,`north` in a map `width_px` wide and
    map_height(width_px) tall (and so in any wider one); the default is the narrowest map the page draws."""
    if not all(np.isfinite([west, south, east, north])):
        return pdk.ViewState(**DEFAULT_VIEW)

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(east - west, 1e-4)
    y_span = max(merc_y(north) - merc_y(south), 1e-6)
    zoom_x = math.log2(width_px * 360 / (TILE_PX * lon_span))
    zoom_y = math.log2(map_height(width_px) * 2 * math.pi / (TILE_PX * y_span))
    zoom = float(np.clip(min(zoom_x, zoom_y) - 0.15, 3, 16))
    centre_y = (merc_y(north) + merc_y(south)) / 2
    latitude = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return pdk.ViewState(
        latitude=round(latitude, 6), longitude=round((west + east) / 2, 6), zoom=round(zoom, 2)
    )


def area_box(shapes: Shapes, area_ids: Iterable[str]) -> tuple[float, float, float, float] | None:
    """The box around the outlines of `area_ids` (None when none has one)."""
    boxes = [shapes.bounds[a] for a in area_ids if a in shapes.bounds]
    if not boxes:
        return None
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def points_box(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float, float, float] | None:
    """The box around most points (1st to 99th percentile, so that a stray point does not zoom out)."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return None
    la, lo = lat[ok], lon[ok]
    q = (1, 99) if ok.sum() > 50 else (0, 100)
    s, n = np.percentile(la, q)
    w, e = np.percentile(lo, q)
    return float(w), float(s), float(e), float(n)


def _basemap(offline: bool) -> dict:
    """No basemap at all offline (no request leaves the server's host); a Carto street map online."""
    if offline:  # map_style must stay unset: Streamlit draws a Carto basemap when it is None
        return {"map_provider": None}
    return {"map_provider": ONLINE_PROVIDER, "map_style": ONLINE_STYLE}


def make_deck(layers: list[pdk.Layer], view: pdk.ViewState, offline: bool) -> CompactDeck:
    """The deck with the shared text tooltip."""
    return CompactDeck(layers=layers, initial_view_state=view, tooltip=TOOLTIP, **_basemap(offline))


# --- area outlines -------------------------------------------------------------------------------


def features(shapes: Shapes, properties: Mapping[str, dict]) -> list[dict]:
    """GeoJSON features of the areas in `properties` that have an outline (geometry shared, not copied)."""
    return [
        {"type": "Feature", "geometry": shapes.geometry[a], "properties": props}
        for a, props in properties.items()
        if a in shapes.geometry
    ]


def outline_layers(
    shapes: Shapes, in_scope: Mapping[str, str], context_ids: Sequence[str], pickable: bool
) -> list[pdk.Layer]:
    """Faint areas outside the selection, then the areas in scope (name tooltips), under the data."""
    layers = []
    context = {a: {"area_id": a} for a in context_ids if a not in in_scope}
    if context:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                {"type": "FeatureCollection", "features": features(shapes, context)},
                id=CONTEXT_LAYER,
                stroked=True,
                filled=False,
                get_line_color=CONTEXT_LINE,
                line_width_min_pixels=1,
                pickable=False,
            )
        )
    props = {a: {"area_id": a, "t": f"{name}\nClick for this area's details"} for a, name in in_scope.items()}
    layers.append(
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": features(shapes, props)},
            id=OUTLINE_LAYER,
            stroked=True,
            filled=True,
            get_fill_color=AREA_FILL,
            get_line_color=AREA_LINE,
            line_width_min_pixels=1,
            pickable=pickable,
            auto_highlight=pickable,
            highlight_color=[255, 255, 255, 60],
        )
    )
    return layers


def selected_layer(shapes: Shapes, area_id: str | None) -> list[pdk.Layer]:
    """A thick outline around the chosen area, so that the map shows whose details are beside it."""
    if not area_id or area_id not in shapes.geometry:
        return []
    return [
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": features(shapes, {area_id: {"area_id": area_id}})},
            id=SELECTED_LAYER,
            stroked=True,
            filled=False,
            get_line_color=SELECTED_LINE,
            line_width_min_pixels=SELECTED_WIDTH,
            pickable=False,
        )
    ]
