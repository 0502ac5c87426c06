"""Area names on the maps: every area named where its name fits in the first view, else numbered with a key
for the legend, drawn over every other layer. The first view's zoom is fitted to a phone's map or a
desktop's (fit_view), never to the browser's exact width, so whether names overlap is known
here. Nothing here imports Streamlit."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pydeck as pdk

from cpdash.charts.maps_deck import COORD_DECIMALS, LABEL_LAYER, PIXELS, TILE_PX, Shapes
from cpdash.charts.maps_legend import LEGEND_FONT

LABEL_COLOUR = [30, 30, 30, 255]
LABEL_HALO = [255, 255, 255, 230]
LABEL_SIZE = 12  # pixels
LABEL_WRAP_CHARS = 11  # a longer name is drawn on two lines
LABEL_CHAR_PX = 6.3  # estimated width of a label character (bold, LABEL_SIZE)
LABEL_LINE_PX = 14  # height of a label line
LABEL_GAP_PX = 2  # the least room between two labels
# A number sits on a white box with a dark edge, which picks it out among event dots; a name has its halo.
NUMBER_BOX, NO_BOX = [255, 255, 255, 240], [255, 255, 255, 0]
NUMBER_EDGE = [60, 60, 60, 255]
NUMBER_PADDING_PX = [3, 1, 3, 1]
CELL_PX = 64  # the squares placed labels are filed by (PlacedBoxes)
NUMBER_NUDGES_PX = ((0, 0), (0, 12), (0, -12), (14, 0), (-14, 0), (10, 10), (-10, 10), (10, -10), (-10, -10))

Box = tuple[float, float, float, float]  # left, top, right, bottom, in pixels


def _wrapped(name: str) -> str:
    """A long name on two lines, broken at the space nearest its middle ('Greenfield\nCommons')."""
    if len(name) <= LABEL_WRAP_CHARS or " " not in name:
        return name
    spaces = [i for i, c in enumerate(name) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + "\n" + name[cut + 1 :]


def _pixels(lat: np.ndarray, lon: np.ndarray, view: pdk.ViewState) -> tuple[np.ndarray, np.ndarray]:
    """Screen position (pixels from the map's centre) of points in the first view (Web Mercator): the same
    on every screen of its kind, the zoom being fitted to a phone's map or a desktop's (fit_view)."""
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


def _position(x: float, y: float, view: pdk.ViewState) -> tuple[float, float]:
    """The latitude and longitude at pixels (x, y) from the map's centre in the first view (_pixels undone)."""
    scale = TILE_PX * 2 ** float(view.zoom)
    centre = math.log(math.tan(math.pi / 4 + math.radians(float(view.latitude)) / 2))
    merc = centre - y / scale * 2 * math.pi
    return math.degrees(2 * math.atan(math.exp(merc)) - math.pi / 2), float(view.longitude) + x / scale * 360


def _box(text: str, x: float, y: float) -> Box:
    """The pixels a label covers around (x, y), with LABEL_GAP_PX of room: left, top, right, bottom."""
    lines = text.split("\n")
    half_w = max(len(line) for line in lines) * LABEL_CHAR_PX / 2 + LABEL_GAP_PX
    half_h = len(lines) * LABEL_LINE_PX / 2 + LABEL_GAP_PX / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def _overlaps(box: Box, boxes: Sequence[Box]) -> bool:
    """True when `box` overlaps any of `boxes`."""
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


class PlacedBoxes:
    """The label boxes placed so far, filed by the CELL_PX squares they cover, so that a new box is checked
    against its neighbours only (300 areas: 2,757 checks against every box placed cost 80 ms a map)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Box]] = {}

    @staticmethod
    def _cells(box: Box) -> list[tuple[int, int]]:
        """The squares a box covers."""
        columns = range(int(box[0] // CELL_PX), int(box[2] // CELL_PX) + 1)
        rows = range(int(box[1] // CELL_PX), int(box[3] // CELL_PX) + 1)
        return [(c, r) for c in columns for r in rows]

    def overlaps(self, box: Box) -> bool:
        """True when `box` overlaps a box placed (two boxes that overlap share a square)."""
        left, top, right, bottom = box
        for cell in self._cells(box):
            for other in self.cells.get(cell, ()):
                if left < other[2] and other[0] < right and top < other[3] and other[1] < bottom:
                    return True
        return False

    def add(self, box: Box) -> None:
        """Place `box`."""
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(box)


def label_records(labels: pd.DataFrame, view: pdk.ViewState, shapes: Shapes) -> tuple[list[dict], list[str]]:
    """One label per area (area_id, name, lat, lon; the centre of its outline's box when it has no point)
    and the names numbered instead: largest areas first, an area's name where it overlaps no label placed
    before it in the first view, else a number, listed in the key (1 for the first name in ABC order)."""
    if labels.empty:
        return [], []
    ids = labels["area_id"].astype("str").tolist()
    names = labels["name"].astype("str").tolist()
    lat = np.array(pd.to_numeric(labels["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    lon = np.array(pd.to_numeric(labels["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    for i, area_id in enumerate(ids):
        if not (np.isfinite(lat[i]) and np.isfinite(lon[i])) and area_id in shapes.bounds:
            w, s, e, n = shapes.bounds[area_id]
            lat[i], lon[i] = (s + n) / 2, (w + e) / 2
    placed = [i for i in range(len(ids)) if np.isfinite(lat[i]) and np.isfinite(lon[i])]
    x, y = _pixels(lat, lon, view)
    size = np.array([shapes.extent.get(a, 0.0) for a in ids])
    boxes = PlacedBoxes()
    numbered: list[int] = []
    moved: dict[int, tuple[float, float]] = {}  # numbers nudged off a name: the new pixel position
    for i in sorted(placed, key=lambda i: -size[i]):  # a number, once placed, keeps later names off it too
        box = _box(_wrapped(names[i]), x[i], y[i])
        if boxes.overlaps(box):
            numbered.append(i)
            spots = [(x[i] + dx, y[i] + dy) for dx, dy in NUMBER_NUDGES_PX]
            spot = next((spot for spot in spots if not boxes.overlaps(_box("00", *spot))), spots[0])
            if spot != spots[0]:
                moved[i] = spot
            box = _box("00", *spot)
        boxes.add(box)
    for i, (px, py) in moved.items():
        lat[i], lon[i] = _position(px, py, view)
    numbered.sort(key=lambda i: (names[i].lower(), ids[i]))
    number = {i: str(k + 1) for k, i in enumerate(numbered)}
    records = [
        {
            "x": round(float(lon[i]), COORD_DECIMALS),
            "y": round(float(lat[i]), COORD_DECIMALS),
            "n": number.get(i) or _wrapped(names[i]),
            "b": NUMBER_BOX if i in number else NO_BOX,
            "e": NUMBER_EDGE if i in number else NO_BOX,
        }
        for i in placed
    ]
    return records, [f"{number[i]} {names[i]}" for i in numbered]


def label_key(numbered: Sequence[str]) -> str:
    """The legend's words for the areas whose names did not fit ('' when every name fits)."""
    if not numbered:
        return ""
    return "Areas numbered where names would overlap: " + "; ".join(numbered) + "."


def label_layer(labels: pd.DataFrame, view: pdk.ViewState, shapes: Shapes) -> tuple[list[pdk.Layer], str]:
    """Every area's name or number (label_records), to draw over everything else, and the key of the
    numbers for the legend."""
    records, numbered = label_records(labels, view, shapes)
    if not records:
        return [], ""
    layer = pdk.Layer(
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
        line_height=1.05,
        background=True,
        get_background_color="b",
        get_border_color="e",
        get_border_width=1,
        background_padding=NUMBER_PADDING_PX,
        character_set=pdk.types.String("auto"),
        pickable=False,
    )
    return [layer], label_key(numbered)
