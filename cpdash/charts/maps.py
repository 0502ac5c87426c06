"""Map building: pydeck decks of events, hexagon density and area choropleths, with their legends.

Every deck is sent to the browser as compact JSON and stays under MAX_DECK_BYTES whatever the data size:
events past MAX_EVENT_POINTS are capped (the most recent are drawn), density is always aggregated to h3
hexagons on the server, and area outlines are simplified once per data set (`compact_shapes`).
Tooltips are plain text (`{"text": ...}`): the browser sets them with innerText, so a title such as
`<img src=x onerror=alert(1)>` shows as text. Nothing here imports Streamlit.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize
from shapely.geometry import mapping, shape

from cpdash.data.schema import PROGRAMS

# --- constants -------------------------------------------------------------------------------------

# Layer ids inside the decks (a selection names the layer its object came from).
EVENTS_LAYER = "events"  # events with their own coordinates: filled circles
APPROX_LAYER = "events_approx"  # events placed at their beat's or area's centre: rings
DENSITY_LAYER = "density"  # h3 hexagons
AREAS_LAYER = "areas"  # the choropleth
OUTLINE_LAYER = "area_outlines"  # the areas in scope under events and hexagons (pickable)
CONTEXT_LAYER = "area_context"  # areas outside the chosen ones, faint, not pickable
LABEL_LAYER = "area_labels"
SELECTED_LAYER = "area_selected"  # a thick outline around the area whose details are shown

# Okabe-Ito and Tol colours, one per program, readable with common colour blindness.
PROGRAM_COLOURS: dict[str, list[int]] = dict(
    zip(
        PROGRAMS,
        [
            [0, 114, 178], [230, 159, 0], [0, 158, 115], [213, 94, 0], [204, 121, 167], [86, 180, 233],
            [240, 228, 66], [136, 34, 85], [68, 170, 153], [153, 153, 51], [170, 68, 153], [221, 204, 119],
            [120, 120, 120],
        ],
        strict=True,
    )
)  # fmt: skip
OTHER_COLOUR = [120, 120, 120]

# Sequential (ColorBrewer YlGnBu) and diverging (PuOr, orange = negative) classes, colour-blind safe.
SEQUENTIAL = ([255, 255, 204], [161, 218, 180], [65, 182, 196], [44, 127, 184], [37, 52, 148])
DIVERGING = ([230, 97, 1], [253, 184, 99], [247, 247, 247], [178, 171, 210], [94, 60, 153])
SENTIMENT_BREAKS = (-20.0, -5.0, 5.0, 20.0)  # net sentiment classes (points), fixed so periods compare
NOT_ENOUGH_COLOUR = [120, 120, 120]  # areas whose figure rests on fewer than k responses
NO_FIGURE_COLOUR = [225, 225, 225]  # areas without a figure for another reason (no population, ...)
FILL_ALPHA = 190
CLASSES = 5

AREA_LINE = [70, 70, 70, 220]
AREA_FILL = [120, 130, 150, 30]  # under events and hexagons, so that the areas stay readable offline
CONTEXT_LINE = [150, 150, 150, 140]
DENSITY_AREA_LINE = [60, 60, 60, 110]  # area borders over the hexagons
SELECTED_LINE = [20, 20, 20, 255]
SELECTED_WIDTH = 3  # pixels
LABEL_COLOUR = [30, 30, 30, 255]
LABEL_HALO = [255, 255, 255, 230]
LABEL_SIZE = 12  # pixels
LABEL_CHAR_PX = 7.0  # estimated width of a label character, to keep labels from overlapping
LABEL_LINE_PX = 16  # height of a label line
LABEL_CELL_PX = 8  # labels are kept apart on a grid of cells this wide and a line high

MAX_EVENT_POINTS = 4_000  # past this, the most recent events are drawn (the density layer shows all)
EVENT_RADIUS_BASE = 2.5  # pixels, for an event with no attendance count
EVENT_RADIUS_PER_SQRT = 0.75  # pixels per square root of an attendee
EVENT_RADIUS_MAX = 18.0  # pixels
EVENT_OPACITY = 0.8
RING_WIDTH = 2  # pixels, approximate events
TITLE_CHARS = 80  # titles are cut to this many characters in tooltips
SIZE_LEGEND = (10, 100, 400)  # attendance shown in the size legend

HEX_ACROSS = 40  # aim for about this many hexagons across the mapped extent ...
HEX_ACROSS_MIN = 6  # ... or half the square root of the number of events, when fewer, down to this
HEX_RES_MIN, HEX_RES_MAX = 5, 10
HEX_RES_FINE = 11  # events keep their cell at this resolution; coarser hexagons are its parents
MAX_HEXAGONS = 6_000  # past this, a coarser resolution is used
HEX_OPACITY = 0.75
SNAP_DECIMALS = 4  # coordinates are grouped at ~11 m before hexagons are looked up (same venue)

COORD_DECIMALS = 5  # ~1 m
SIMPLIFY_DEGREES = 0.00002  # first simplification tolerance (~2 m), doubled until within budget
MAX_SHAPE_VERTICES = 20_000  # area outlines are simplified until they have at most this many vertices
FEATURE_OVERHEAD_BYTES = 150  # a feature's JSON beyond its coordinates (type, properties, tooltip)
LABEL_BYTES = 60  # one area label in the deck's JSON
RECORD_BYTES = 80  # an event's JSON record beyond its tooltip and id
DECK_MARGIN_BYTES = 20_000  # layer settings, view, and rounding in the estimates

MAX_DECK_BYTES = 1_000_000  # the most a deck may send the browser (PRODUCT.md) ...
EVENTS_DECK_BYTES = 600_000  # ... and what the events deck aims at: room for the rest of the page, and speed
MAP_WIDTH_PX, MAP_HEIGHT_PX = 540, 560  # the map's size on a 1280 px screen: areas and labels fit in view
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
LEGEND_FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
LEGEND_WIDTH_PX = 560  # fits the map's column at 1280 px wide
LEGEND_FONT_PX = 13
LEGEND_CHAR_PX = 6.6  # estimated width of a character at LEGEND_FONT_PX
LEGEND_SWATCH_PX = 12.0
LEGEND_ROW_PX = 20.0
LEGEND_TITLE_PX = 24.0
PIXELS = pdk.types.String("pixels")  # a constant string prop (pydeck reads bare strings as accessors)


# --- the deck ---------------------------------------------------------------------------------------


class CompactDeck(pdk.Deck):
    """A pydeck Deck serialised without indentation (pydeck indents by two spaces: ~2x the bytes)."""

    def to_json(self) -> str:
        """The deck as compact JSON, as st.pydeck_chart sends it to the browser."""
        return json.dumps(self, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class LegendItem:
    """One entry of a legend: a colour, a shape (square, circle or ring), its size in pixels and its words."""

    colour: tuple[int, ...]
    label: str
    shape: str = "square"
    size: float = 12.0


@dataclass(frozen=True)
class MapView:
    """A deck with its legend and the notes to show beside it."""

    deck: pdk.Deck
    legend: tuple[LegendItem, ...] = ()
    legend_title: str = ""
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


def fit_view(west: float, south: float, east: float, north: float) -> pdk.ViewState:
    """A view that shows the box from `west`,`south` to `east`,`north` in a map of the usual size."""
    if not all(np.isfinite([west, south, east, north])):
        return pdk.ViewState(**DEFAULT_VIEW)

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(east - west, 1e-4)
    y_span = max(merc_y(north) - merc_y(south), 1e-6)
    zoom_x = math.log2(MAP_WIDTH_PX * 360 / (TILE_PX * lon_span))
    zoom_y = math.log2(MAP_HEIGHT_PX * 2 * math.pi / (TILE_PX * y_span))
    zoom = float(np.clip(min(zoom_x, zoom_y) - 0.15, 3, 16))
    centre_y = (merc_y(north) + merc_y(south)) / 2
    latitude = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return pdk.ViewState(
        latitude=round(latitude, 6), longitude=round((west + east) / 2, 6), zoom=round(zoom, 2)
    )


def _box(shapes: Shapes, area_ids: Iterable[str]) -> tuple[float, float, float, float] | None:
    """The box around the outlines of `area_ids` (None when none has one)."""
    boxes = [shapes.bounds[a] for a in area_ids if a in shapes.bounds]
    if not boxes:
        return None
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _points_box(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float, float, float] | None:
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


def _deck(layers: list[pdk.Layer], view: pdk.ViewState, offline: bool) -> CompactDeck:
    """The deck with the shared text tooltip."""
    return CompactDeck(layers=layers, initial_view_state=view, tooltip=TOOLTIP, **_basemap(offline))


# --- area outlines and labels -------------------------------------------------------------------------


def _features(shapes: Shapes, properties: Mapping[str, dict]) -> list[dict]:
    """GeoJSON features of the areas in `properties` that have an outline (geometry shared, not copied)."""
    return [
        {"type": "Feature", "geometry": shapes.geometry[a], "properties": props}
        for a, props in properties.items()
        if a in shapes.geometry
    ]


def _outline_layers(
    shapes: Shapes, in_scope: Mapping[str, str], context_ids: Sequence[str], pickable: bool
) -> list[pdk.Layer]:
    """Faint areas outside the selection, then the areas in scope (name tooltips), under the data."""
    layers = []
    context = {a: {"area_id": a} for a in context_ids if a not in in_scope}
    if context:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                {"type": "FeatureCollection", "features": _features(shapes, context)},
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
            {"type": "FeatureCollection", "features": _features(shapes, props)},
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


def _selected_layer(shapes: Shapes, area_id: str | None) -> list[pdk.Layer]:
    """A thick outline around the chosen area, so that the map shows whose details are beside it."""
    if not area_id or area_id not in shapes.geometry:
        return []
    return [
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": _features(shapes, {area_id: {"area_id": area_id}})},
            id=SELECTED_LAYER,
            stroked=True,
            filled=False,
            get_line_color=SELECTED_LINE,
            line_width_min_pixels=SELECTED_WIDTH,
            pickable=False,
        )
    ]


def _pixels(lat: np.ndarray, lon: np.ndarray, view: pdk.ViewState) -> tuple[np.ndarray, np.ndarray]:
    """Screen position (pixels from the map's centre) of points in the initial view (Web Mercator)."""
    scale = TILE_PX * 2 ** float(view.zoom)

    def merc_y(values: np.ndarray) -> np.ndarray:
        rad = np.radians(np.clip(values, -85, 85))
        return np.log(np.tan(np.pi / 4 + rad / 2))

    x = (np.asarray(lon, dtype=float) - float(view.longitude)) / 360 * scale
    y = (
        (merc_y(np.array([float(view.latitude)]))[0] - merc_y(np.asarray(lat, dtype=float)))
        / (2 * np.pi)
        * scale
    )
    return x, y


def declutter(labels: pd.DataFrame, view: pdk.ViewState, shapes: Shapes) -> pd.DataFrame:
    """The labels that fit in the initial view without overlapping, largest areas first."""
    lat = pd.to_numeric(labels["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lon = pd.to_numeric(labels["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    placed = np.isfinite(lat) & np.isfinite(lon)
    labels, lat, lon = labels[placed], lat[placed], lon[placed]
    if labels.empty:
        return labels
    x, y = _pixels(lat, lon, view)
    width = labels["name"].astype("str").str.len().to_numpy() * LABEL_CHAR_PX + 8
    size = np.array([shapes.extent.get(a, 0.0) for a in labels["area_id"].tolist()])
    inside = ((np.abs(x) < MAP_WIDTH_PX / 2) & (np.abs(y) < MAP_HEIGHT_PX / 2)).tolist()
    line = (y // LABEL_LINE_PX).astype("int64").tolist()
    left = ((x - width / 2) // LABEL_CELL_PX).astype("int64").tolist()
    right = ((x + width / 2) // LABEL_CELL_PX).astype("int64").tolist()
    taken: set[tuple[int, int]] = set()  # grid cells of LABEL_CELL_PX x LABEL_LINE_PX already covered
    keep = []
    for i in np.argsort(-size, kind="stable").tolist():
        if not inside[i]:
            continue
        row, span = line[i], range(left[i], right[i] + 1)
        if any((r, c) in taken for r in (row - 1, row, row + 1) for c in span):
            continue
        taken.update((row, c) for c in span)
        keep.append(i)
    return labels.iloc[sorted(keep)]


def _label_layer(labels: pd.DataFrame, view: pdk.ViewState, shapes: Shapes) -> list[pdk.Layer]:
    """Area names (area_id, name, lat, lon) that fit the initial view without overlapping."""
    labels = declutter(labels, view, shapes)
    if labels.empty:
        return []
    records = [
        {"x": round(float(x), COORD_DECIMALS), "y": round(float(y), COORD_DECIMALS), "n": str(n)}
        for n, y, x in zip(
            labels["name"].tolist(), labels["lat"].tolist(), labels["lon"].tolist(), strict=True
        )
    ]
    return [
        pdk.Layer(
            "TextLayer",
            records,
            id=LABEL_LAYER,
            get_position="[x, y]",
            get_text="n",
            get_size=LABEL_SIZE,
            size_units=PIXELS,
            get_color=LABEL_COLOUR,
            font_family=pdk.types.String(LEGEND_FONT),
            font_weight=600,
            font_settings={"sdf": True},
            outline_width=3,
            outline_color=LABEL_HALO,
            character_set=pdk.types.String("auto"),
            pickable=False,
        )
    ]


# --- events -----------------------------------------------------------------------------------------


def program_colour(program: object) -> list[int]:
    """The colour of a program (grey for one the palette does not know)."""
    return PROGRAM_COLOURS.get(str(program), OTHER_COLOUR)


def event_radius(attendance: pd.Series | np.ndarray) -> np.ndarray:
    """Circle radius in pixels: grows with the square root of attendance; unknown attendance smallest."""
    att = pd.to_numeric(pd.Series(attendance), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    radius = EVENT_RADIUS_BASE + EVENT_RADIUS_PER_SQRT * np.sqrt(np.clip(att, 0, None))
    return np.round(np.clip(np.where(np.isnan(att), EVENT_RADIUS_BASE, radius), 1, EVENT_RADIUS_MAX), 1)


def _attendance_words(value: float) -> str:
    """'12 attendees', '1 attendee' or 'Attendance not counted'."""
    if math.isnan(value):
        return "Attendance not counted"
    return f"{value:,.0f} attendee" + ("" if value == 1 else "s")


def _title_words(value: object) -> str:
    """A title on one line, cut to TITLE_CHARS characters ('' when missing)."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def event_tooltips(events: pd.DataFrame) -> list[str]:
    """Plain-text tooltip per event: program and date, title, attendance, and whether placed approximately."""
    n = len(events)
    if n == 0:
        return []
    days = events["start"].to_numpy(dtype="datetime64[D]")
    programs = events["program"].to_numpy(dtype=object, na_value="")
    heads = {}  # (program, day) -> first line; both repeat a lot
    for program, day in zip(programs, days, strict=True):
        if (program, day) not in heads:
            when = "date unknown" if np.isnat(day) else f"{pd.Timestamp(day):%a %-d %b %Y}"
            heads[program, day] = f"{program} · {when}"
    if "title" in events:
        raw = events["title"].to_numpy(dtype=object, na_value=None)
        titles = {t: _title_words(t) for t in set(raw)}
        title_lines = ["\n" + titles[t] if titles[t] else "" for t in raw]
    else:
        title_lines = [""] * n
    if "attendance" in events:
        attendance = pd.to_numeric(events["attendance"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    else:
        attendance = np.full(n, np.nan)
    words = {a: "\n" + _attendance_words(a) for a in set(attendance[~np.isnan(attendance)].tolist())}
    unknown = "\n" + _attendance_words(math.nan)
    att_lines = [words.get(a, unknown) for a in attendance.tolist()]
    if "approximate" in events:
        approx = events["approximate"].to_numpy(dtype=bool, na_value=False).tolist()
    else:
        approx = [False] * n
    note = "\nPlaced approximately (no coordinates)"
    return [
        heads[p, d] + t + a + (note if x else "")
        for p, d, t, a, x in zip(programs, days, title_lines, att_lines, approx, strict=True)
    ]


@dataclass(frozen=True)
class EventBasis:
    """The events as arrays ready to draw, aligned with the events table (built once per data set)."""

    x: np.ndarray  # longitude rounded to COORD_DECIMALS, NaN where the event cannot be mapped
    y: np.ndarray  # latitude
    start: np.ndarray  # datetime64[ns]
    radius: np.ndarray  # pixels
    attendance: np.ndarray  # float64, NaN where not counted
    approximate: np.ndarray  # bool: placed at its beat's or area's centre
    program: np.ndarray  # int64 code into `programs`
    programs: tuple[str, ...]
    tip: np.ndarray  # object: the tooltip text
    ids: np.ndarray  # object: event_id as text
    size: np.ndarray  # int64: bytes of the event's record in a deck's JSON
    cell: np.ndarray  # uint64: h3 cell at HEX_RES_FINE (0 where the event cannot be mapped)

    def __len__(self) -> int:
        """Number of events."""
        return len(self.x)


def _column(events: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float64 (NaN where missing or absent)."""
    if name not in events:
        return np.full(len(events), np.nan)
    return pd.to_numeric(events[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def fine_cells(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The h3 cell (integer) at HEX_RES_FINE of each point, 0 without one; each place looked up once."""
    # Coarser hexagons are these cells' parents: a point near a hexagon's edge may fall in its neighbour
    # (h3 children do not tile their parent exactly), a few metres that a density map does not show.
    out = np.zeros(len(lat), dtype="uint64")
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return out
    scale = 10**SNAP_DECIMALS
    key = np.round(lat[ok] * scale).astype("int64") * (400 * scale) + np.round(lon[ok] * scale).astype(
        "int64"
    )
    places, first, place_of = np.unique(key, return_index=True, return_inverse=True)
    la, lo = lat[ok][first].tolist(), lon[ok][first].tolist()
    cells = np.fromiter(
        (h3.str_to_int(h3.latlng_to_cell(a, b, HEX_RES_FINE)) for a, b in zip(la, lo, strict=True)),
        dtype="uint64",
        count=len(places),
    )
    out[ok] = cells[place_of]
    return out


def parent_cells(cells: np.ndarray, res: int) -> np.ndarray:
    """The parents at `res` of finer h3 cells (integers): resolution set to `res`, finer digits to 7."""
    cells = np.asarray(cells, dtype="uint64")
    fill = sum(7 << (3 * (15 - r)) for r in range(res + 1, 16))
    cleared = cells & np.uint64(~(0xF << 52) & 0xFFFFFFFFFFFFFFFF)
    return cleared | np.uint64(res << 52) | np.uint64(fill)


def event_basis(events: pd.DataFrame) -> EventBasis:
    """The arrays the events and density layers draw from (slow: once per data set, cached by cpdash.ui)."""
    n = len(events)
    lat, lon = _column(events, "lat"), _column(events, "lon")
    mappable = np.isfinite(lat) & np.isfinite(lon)
    attendance = _column(events, "attendance")
    programs = events["program"].astype("str").to_numpy(dtype=object) if n else np.zeros(0, dtype=object)
    codes, uniques = pd.factorize(programs, sort=True)
    tips = np.array(event_tooltips(events), dtype=object) if n else np.zeros(0, dtype=object)
    ids = events["event_id"].astype("str").to_numpy(dtype=object) if n else np.zeros(0, dtype=object)
    size = np.fromiter(  # a record's JSON: its text (escaped newlines, UTF-8) plus ~80 bytes
        (len(t.encode()) + t.count("\n") + len(i) + RECORD_BYTES for t, i in zip(tips, ids, strict=True)),
        dtype="int64",
        count=n,
    )
    approximate = (
        events["approximate"].to_numpy(dtype=bool, na_value=False)
        if "approximate" in events
        else np.zeros(n, bool)
    )
    return EventBasis(
        x=np.where(mappable, np.round(lon, COORD_DECIMALS), np.nan),
        y=np.where(mappable, np.round(lat, COORD_DECIMALS), np.nan),
        start=events["start"].to_numpy(dtype="datetime64[ns]") if n else np.zeros(0, "datetime64[ns]"),
        radius=event_radius(attendance),
        attendance=attendance,
        approximate=approximate & mappable,
        program=np.asarray(codes, dtype="int64"),
        programs=tuple(str(p) for p in uniques),
        tip=tips,
        ids=ids,
        size=size,
        cell=fine_cells(lat, lon),
    )


@dataclass(frozen=True)
class EventPoints:
    """The events drawn on the map and how many were left out and why."""

    exact: list[dict]
    approximate: list[dict]
    in_selection: int  # events in the filters
    mappable: int  # of which with a position (own or approximate)
    approximate_count: int  # of the mappable, placed at a centre
    drawn: int  # of the mappable, drawn (the most recent when capped)
    first_drawn: pd.Timestamp | None  # date of the oldest event drawn, when capped


def event_points(
    basis: EventBasis, rows: np.ndarray, cap: int = MAX_EVENT_POINTS, budget: int = MAX_DECK_BYTES
) -> EventPoints:
    """Records of the mappable events of `rows`: the most recent within `cap` events and `budget` bytes."""
    rows = np.asarray(rows, dtype="int64")
    mapped = rows[np.isfinite(basis.x[rows])]
    order = np.argsort(basis.start[mapped], kind="stable")[::-1]  # newest first
    newest = mapped[order[:cap]]
    fits = np.cumsum(basis.size[newest]) <= budget
    drawn = newest[fits]
    first_drawn = pd.Timestamp(basis.start[drawn].min()) if len(drawn) < len(mapped) and len(drawn) else None
    drawn = drawn[np.argsort(-basis.radius[drawn], kind="stable")]  # small circles on top, to be picked
    colours = [program_colour(p) for p in basis.programs]
    exact: list[dict] = []
    placed: list[dict] = []
    for x, y, r, c, t, e, a in zip(
        basis.x[drawn].tolist(),
        basis.y[drawn].tolist(),
        basis.radius[drawn].tolist(),
        basis.program[drawn].tolist(),
        basis.tip[drawn].tolist(),
        basis.ids[drawn].tolist(),
        basis.approximate[drawn].tolist(),
        strict=True,
    ):
        (placed if a else exact).append({"x": x, "y": y, "r": r, "c": colours[c], "t": t, "e": e})
    return EventPoints(
        exact=exact,
        approximate=placed,
        in_selection=len(rows),
        mappable=len(mapped),
        approximate_count=int(basis.approximate[mapped].sum()),
        drawn=len(drawn),
        first_drawn=first_drawn,
    )


def event_notes(points: EventPoints) -> list[str]:
    """What the reader should know about the events drawn: approximate, unmappable, capped."""
    notes = []
    if points.approximate_count:
        notes.append(
            f"{points.approximate_count:,} of {points.mappable:,} events placed approximately, at their beat's "
            "or area's centre (drawn as rings)"
        )
    unmapped = points.in_selection - points.mappable
    if unmapped:
        notes.append(
            f"{unmapped:,} of {points.in_selection:,} events cannot be mapped: no coordinates and no area "
            "outline to place them in"
        )
    if points.drawn < points.mappable:
        since = f", from {points.first_drawn:%-d %b %Y}" if points.first_drawn is not None else ""
        notes.append(
            f"showing the {points.drawn:,} most recent of {points.mappable:,} events{since}; the Density layer "
            "counts all of them, and choosing fewer areas or a shorter period shows each"
        )
    return notes


def events_legend(programs: Iterable[str], has_approximate: bool, has_attendance: bool) -> list[LegendItem]:
    """Program colours in the order of the contract, then the ring and the circle sizes."""
    present = set(programs)
    items = [LegendItem(tuple(program_colour(p)), p, "circle") for p in PROGRAMS if p in present]
    items += [LegendItem(tuple(OTHER_COLOUR), str(p), "circle") for p in sorted(present - set(PROGRAMS))]
    if has_approximate:
        items.append(LegendItem((60, 60, 60), "placed approximately", "ring"))
    if has_attendance:
        for n in SIZE_LEGEND:
            diameter = 2 * float(event_radius(pd.Series([n]))[0])
            items.append(LegendItem((150, 150, 150), f"{n:,} attendees", "circle", diameter))
    return items


def events_map(
    basis: EventBasis,
    rows: np.ndarray,
    shapes: Shapes,
    in_scope: Mapping[str, str],
    context_ids: Sequence[str],
    labels: pd.DataFrame,
    offline: bool,
    cap: int = MAX_EVENT_POINTS,
    selected: str | None = None,
) -> MapView:
    """Events as circles coloured by program, sized by attendance; rings when placed approximately."""
    outline_bytes = shapes.json_bytes([*in_scope, *context_ids]) + LABEL_BYTES * len(labels)
    points = event_points(basis, rows, cap, EVENTS_DECK_BYTES - DECK_MARGIN_BYTES - outline_bytes)
    layers = _outline_layers(shapes, in_scope, context_ids, pickable=True)
    common = {
        "get_position": "[x, y]",
        "get_radius": "r",
        "radius_units": PIXELS,
        "pickable": True,
        "auto_highlight": True,
        "highlight_color": [0, 0, 0, 90],
    }
    if points.approximate:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                points.approximate,
                id=APPROX_LAYER,
                filled=False,
                stroked=True,
                get_line_color="c",
                line_width_units=PIXELS,
                get_line_width=RING_WIDTH,
                **common,
            )
        )
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            points.exact,
            id=EVENTS_LAYER,
            filled=True,
            stroked=True,
            get_fill_color="c",
            get_line_color=[255, 255, 255],
            line_width_min_pixels=0.5,
            opacity=EVENT_OPACITY,
            **common,
        )
    )
    rows = np.asarray(rows, dtype="int64")
    box = _box(shapes, in_scope) or _points_box(basis.y[rows], basis.x[rows])
    view = fit_view(*box) if box else pdk.ViewState(**DEFAULT_VIEW)
    layers += _selected_layer(shapes, selected) + _label_layer(labels, view, shapes)
    has_att = bool(np.isfinite(basis.attendance).any())
    programs = [basis.programs[c] for c in np.unique(basis.program[rows])]
    return MapView(
        deck=_deck(layers, view, offline),
        legend=tuple(events_legend(programs, bool(points.approximate), has_att)),
        legend_title="Events by program" + (", sized by attendance" if has_att else ""),
        notes=tuple(event_notes(points)),
        alt=f"Map of {points.drawn:,} events, coloured by program.",
    )


# --- density (h3 hexagons) -----------------------------------------------------------------------------


def hex_resolution(lat: np.ndarray, lon: np.ndarray, across: float | None = None) -> int:
    """The h3 resolution closest to `across` hexagons over the points' extent (fewer for few points)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    box = _points_box(lat, lon)
    if box is None:
        return HEX_RES_MAX
    if across is None:
        n = int((np.isfinite(lat) & np.isfinite(lon)).sum())
        across = float(np.clip(math.sqrt(n) / 2, HEX_ACROSS_MIN, HEX_ACROSS))
    west, south, east, north = box
    km_lat = (north - south) * 111.0
    km_lon = (east - west) * 111.0 * math.cos(math.radians((north + south) / 2))
    extent = max(km_lat, km_lon, 0.05)

    def miss(res: int) -> float:
        width = h3.average_hexagon_edge_length(res, unit="km") * math.sqrt(3)
        return abs(math.log(extent / width / across))

    return min(range(HEX_RES_MIN, HEX_RES_MAX + 1), key=miss)


def hexagons(basis: EventBasis, rows: np.ndarray, resolution: int | None = None) -> tuple[pd.DataFrame, int]:
    """Events of `rows` per h3 hexagon (cell, events, attendance, without_count) and the resolution."""
    rows = np.asarray(rows, dtype="int64")
    rows = rows[basis.cell[rows] != 0]
    if not len(rows):
        empty = {"cell": np.zeros(0, dtype=object), "events": np.zeros(0, "int64")}
        empty |= {"attendance": np.zeros(0), "without_count": np.zeros(0, "int64")}
        return pd.DataFrame(empty), resolution or HEX_RES_MAX
    res = resolution if resolution is not None else hex_resolution(basis.y[rows], basis.x[rows])
    res = min(res, HEX_RES_FINE)
    while True:
        parents = parent_cells(basis.cell[rows], res)
        cell_ids, per_event = np.unique(parents, return_inverse=True)
        if len(cell_ids) <= MAX_HEXAGONS or res <= HEX_RES_MIN:
            break
        res -= 1
    n_cells = len(cell_ids)
    att = basis.attendance[rows]
    known = ~np.isnan(att)
    counts = np.bincount(per_event, minlength=n_cells)
    attended = np.bincount(per_event, weights=np.where(known, att, 0.0), minlength=n_cells)
    counted = np.bincount(per_event, weights=known.astype("float64"), minlength=n_cells)
    out = pd.DataFrame(
        {
            "cell": np.array([h3.int_to_str(int(c)) for c in cell_ids.tolist()], dtype=object),
            "events": counts.astype("int64"),
            "attendance": np.where(counted > 0, attended, np.nan),
            "without_count": (counts - counted).astype("int64"),
        }
    )
    return out, res


def density_map(
    basis: EventBasis,
    rows: np.ndarray,
    weight: str,
    shapes: Shapes,
    in_scope: Mapping[str, str],
    context_ids: Sequence[str],
    labels: pd.DataFrame,
    offline: bool,
    selected: str | None = None,
) -> MapView:
    """Hexagons coloured by the number of events (`weight` events) or attendees (attendance)."""
    rows = np.asarray(rows, dtype="int64")
    cells, res = hexagons(basis, rows)
    value = cells["attendance"] if weight == "attendance" else cells["events"].astype("float64")
    breaks = class_breaks(value.dropna().to_numpy(), CLASSES, whole=True)
    colour = class_colours(value.to_numpy(dtype="float64", na_value=np.nan), breaks, SEQUENTIAL)
    noun = "attendees" if weight == "attendance" else "events"
    tips = []
    for n, a, w in zip(
        cells["events"].tolist(), cells["attendance"].tolist(), cells["without_count"].tolist(), strict=True
    ):
        text = f"{n:,} event" + ("" if n == 1 else "s")
        if not math.isnan(a):
            text += f"\n{a:,.0f} attendees"
        if w:
            text += f"\n{w:,} without an attendance count"
        tips.append(text + "\nin this hexagon")
    uncounted = [*NO_FIGURE_COLOUR, FILL_ALPHA]  # attendance asked for, and none of its events has a count
    records = [
        {"h": h, "c": uncounted if c is None else c, "t": t}
        for h, c, t in zip(cells["cell"].tolist(), colour, tips, strict=True)
    ]
    layers = _outline_layers(shapes, in_scope, context_ids, pickable=False)
    layers.insert(
        len(layers) - 1,
        pdk.Layer(
            "H3HexagonLayer",
            records,
            id=DENSITY_LAYER,
            get_hexagon="h",
            get_fill_color="c",
            extruded=False,
            stroked=True,
            get_line_color=[255, 255, 255, 160],
            line_width_min_pixels=0.5,
            opacity=HEX_OPACITY,
            pickable=True,
            auto_highlight=True,
            highlight_color=[0, 0, 0, 70],
        ),
    )
    # the outlines go over the hexagons so that area borders stay visible; they are unfilled and lighter
    outline = layers[-1]
    outline.filled = False
    outline.get_line_color = DENSITY_AREA_LINE
    box = _box(shapes, in_scope) or _points_box(basis.y[rows], basis.x[rows])
    view = fit_view(*box) if box else pdk.ViewState(**DEFAULT_VIEW)
    layers += _selected_layer(shapes, selected) + _label_layer(labels, view, shapes)
    edge_m = h3.average_hexagon_edge_length(res, unit="m")
    notes = []
    if weight == "attendance":
        missing = int(np.isnan(basis.attendance[rows]).sum())
        if missing:
            notes.append(f"{missing:,} of {len(rows):,} events have no attendance count and add nothing here")
    legend = bin_legend(
        breaks, SEQUENTIAL, decimals=0, values=value.to_numpy(dtype="float64", na_value=np.nan)
    )
    if value.isna().any():
        legend.append(LegendItem(tuple(NO_FIGURE_COLOUR), "no attendance count"))
    return MapView(
        deck=_deck(layers, view, offline),
        legend=tuple(legend),
        legend_title=f"{noun.capitalize()} per hexagon (about {edge_m * math.sqrt(3) / 1000:.1f} km across)",
        notes=tuple(notes),
        alt=f"Map of {len(records):,} hexagons coloured by {noun}.",
    )


# --- classes and colours ------------------------------------------------------------------------------


def _nice(value: float, step: float) -> float:
    """`value` rounded to a multiple of `step`."""
    return round(round(value / step) * step, 10)


def class_breaks(values: np.ndarray, classes: int = CLASSES, whole: bool = False) -> list[float]:
    """Inner class limits at quantiles, rounded to readable numbers (v is in class i if b[i-1] <= v < b[i])."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return []
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / classes / 2)) if span > 0 else 1.0
    if whole:
        step = max(step, 1.0)
    qs = np.quantile(v, np.linspace(0, 1, classes + 1)[1:-1])
    out: list[float] = []
    for q in qs:
        b = _nice(float(q), step)
        if lo < b <= hi and (not out or b > out[-1]):
            out.append(b)
    return out


def class_colours(values: np.ndarray, breaks: Sequence[float], palette: Sequence[Sequence[int]]) -> list:
    """The palette colour (with alpha) of each value's class; None for NaN."""
    v = np.asarray(values, dtype="float64")
    idx = np.searchsorted(np.asarray(breaks, dtype="float64"), v, side="right")
    shades = spread(palette, len(breaks) + 1)
    return [None if np.isnan(x) else [*shades[i], FILL_ALPHA] for x, i in zip(v, idx, strict=True)]


def spread(palette: Sequence[Sequence[int]], n: int) -> list[list[int]]:
    """`n` colours of the palette, spread from its first to its last (the middle one when n is 1)."""
    if n <= 1:
        return [list(palette[len(palette) // 2])]
    picks = np.round(np.linspace(0, len(palette) - 1, n)).astype(int)
    return [list(palette[i]) for i in picks]


def _fmt(value: float, decimals: int) -> str:
    """A class limit as text ('−5', '1,200', '0.5')."""
    text = f"{value:,.{decimals}f}"
    return text.replace("-", "−")


def bin_legend(
    breaks: Sequence[float],
    palette: Sequence[Sequence[int]],
    decimals: int = 0,
    unit: str = "",
    values: np.ndarray | None = None,
) -> list[LegendItem]:
    """Legend entries of the classes ('under 45', '45 to 52', '60 and over'), or of the one value."""
    shades = spread(palette, len(breaks) + 1)
    suffix = f" {unit}" if unit else ""
    if not breaks:
        known = np.asarray(values if values is not None else [], dtype="float64")
        known = known[np.isfinite(known)]
        if not len(known):
            return []
        return [LegendItem(tuple(shades[0]), f"all {_fmt(float(known.min()), decimals)}{suffix}")]
    items = [LegendItem(tuple(shades[0]), f"under {_fmt(breaks[0], decimals)}{suffix}")]
    for i in range(1, len(breaks)):
        items.append(
            LegendItem(
                tuple(shades[i]), f"{_fmt(breaks[i - 1], decimals)} to {_fmt(breaks[i], decimals)}{suffix}"
            )
        )
    items.append(LegendItem(tuple(shades[-1]), f"{_fmt(breaks[-1], decimals)} and over{suffix}"))
    return items


# --- areas (choropleth) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choropleth:
    """What the areas layer draws for a measure: per area its value, lack of responses, tooltip."""

    values: pd.DataFrame  # index area_id; columns value, not_enough (bool), tooltip
    title: str
    unit: str = ""
    decimals: int = 0
    diverging: bool = False
    whole: bool = False
    not_enough_label: str = "not enough responses"
    no_figure_label: str = "no figure"


def choropleth_map(
    figures: Choropleth,
    shapes: Shapes,
    context_ids: Sequence[str],
    labels: pd.DataFrame,
    offline: bool,
    selected: str | None = None,
) -> MapView:
    """Areas coloured by class of a measure; grey (with its own legend entry) where not coloured."""
    values = figures.values
    v = values["value"].to_numpy(dtype="float64", na_value=np.nan)
    known = v[np.isfinite(v)]
    both_sides = len(known) > 0 and known.min() < SENTIMENT_BREAKS[1] and known.max() > SENTIMENT_BREAKS[2]
    if figures.diverging and both_sides:  # fixed classes around neutral, comparable between periods
        breaks = list(SENTIMENT_BREAKS)
        palette = DIVERGING
    else:  # all on one side of neutral: classes at quantiles show the differences
        breaks = class_breaks(v, CLASSES, whole=figures.whole)
        palette = SEQUENTIAL
    colours = class_colours(v, breaks, palette)
    not_enough = values["not_enough"].to_numpy(dtype=bool)
    props = {}
    for area_id, colour, short, tip in zip(values.index, colours, not_enough, values["tooltip"], strict=True):
        if colour is None:
            colour = [*(NOT_ENOUGH_COLOUR if short else NO_FIGURE_COLOUR), FILL_ALPHA]
        props[str(area_id)] = {
            "area_id": str(area_id),
            "c": colour,
            "t": f"{tip}\nClick for this area's details",
        }
    layers = []
    context = [a for a in context_ids if a not in props]
    if context:
        layers += _outline_layers(shapes, {}, context, pickable=False)[:-1]
    layers.append(
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": _features(shapes, props)},
            id=AREAS_LAYER,
            stroked=True,
            filled=True,
            get_fill_color="properties.c",
            get_line_color=[255, 255, 255, 230],
            line_width_min_pixels=1.2,
            pickable=True,
            auto_highlight=True,
            highlight_color=[0, 0, 0, 60],
        )
    )
    box = _box(shapes, props)
    view = fit_view(*box) if box else pdk.ViewState(**DEFAULT_VIEW)
    layers += _selected_layer(shapes, selected) + _label_layer(labels, view, shapes)
    legend = bin_legend(breaks, palette, figures.decimals, figures.unit, values=v)
    if not_enough.any():
        legend.append(LegendItem(tuple(NOT_ENOUGH_COLOUR), figures.not_enough_label))
    if (~np.isfinite(v) & ~not_enough).any():
        legend.append(LegendItem(tuple(NO_FIGURE_COLOUR), figures.no_figure_label))
    coloured = int(np.isfinite(v).sum())
    return MapView(
        deck=_deck(layers, view, offline),
        legend=tuple(legend),
        legend_title=figures.title,
        alt=f"Map of {len(props):,} areas coloured by {figures.title.lower()}; {coloured:,} have a figure.",
    )


# --- legend ------------------------------------------------------------------------------------------


def _rgb(colour: Sequence[int]) -> str:
    """'rgb(r,g,b)' of a colour."""
    r, g, b = (int(c) for c in colour[:3])
    return f"rgb({r},{g},{b})"


def _swatch(item: LegendItem, cx: float, cy: float) -> str:
    """The SVG shape of one legend entry, centred on (cx, cy)."""
    fill = _rgb(item.colour)
    if item.shape == "circle":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{item.size / 2:.1f}" fill="{fill}"/>'
    if item.shape == "ring":
        r = item.size / 2 - 1
        return (
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="none" stroke="{fill}" stroke-width="2"/>'
        )
    s = item.size
    return (
        f'<rect x="{cx - s / 2:.1f}" y="{cy - s / 2:.1f}" width="{s:.1f}" height="{s:.1f}" fill="{fill}" '
        'stroke="#777777" stroke-width="0.6"/>'
    )


def legend_svg(items: Sequence[LegendItem], title: str, width: int = LEGEND_WIDTH_PX) -> str:
    """The legend as a small SVG image: a title line, then swatches with their words, wrapped to `width`."""
    if not items:
        return ""
    rows: list[list[tuple[LegendItem, float]]] = [[]]
    x = 0.0
    for item in items:
        w = max(item.size, LEGEND_SWATCH_PX) + 6 + len(item.label) * LEGEND_CHAR_PX + 18
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((item, x))
        x += w
    heights = [max(LEGEND_ROW_PX, max(i.size for i, _ in row) + 6) for row in rows]
    height = int(LEGEND_TITLE_PX + sum(heights) + 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{html.escape(LEGEND_FONT)}" '
        f'font-size="{LEGEND_FONT_PX}">',
        f'<text x="0" y="15" font-weight="600" fill="#1a1a1a">{html.escape(title)}</text>',
    ]
    top = LEGEND_TITLE_PX
    for row, h in zip(rows, heights, strict=True):
        cy = top + h / 2
        for item, x0 in row:
            swatch = max(item.size, LEGEND_SWATCH_PX)
            parts.append(_swatch(item, x0 + swatch / 2, cy))
            parts.append(
                f'<text x="{x0 + swatch + 6:.1f}" y="{cy + 4.5:.1f}" fill="#1a1a1a">{html.escape(item.label)}</text>'
            )
        top += h
    parts.append("</svg>")
    return "".join(parts)
