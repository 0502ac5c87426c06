"""The density layer: events counted (or their attendance summed) per h3 hexagon on the server, so that
the deck stays small whatever the number of events. Nothing here imports Streamlit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import h3
import numpy as np
import pandas as pd
import pydeck as pdk

from cpdash.charts.maps_deck import (
    DEFAULT_VIEW,
    DENSITY_AREA_LINE,
    DENSITY_LAYER,
    MAP_MIN_WIDTH_PX,
    MapView,
    Shapes,
    area_box,
    fit_view,
    make_deck,
    outline_layers,
    points_box,
    selected_layer,
)
from cpdash.charts.maps_labels import label_layer
from cpdash.charts.maps_legend import (
    CLASSES,
    FILL_ALPHA,
    NO_FIGURE_COLOUR,
    SEQUENTIAL,
    LegendItem,
    bin_legend,
    class_breaks,
    class_colours,
)

if TYPE_CHECKING:
    from cpdash.charts.maps_events import EventBasis

HEX_ACROSS = 40  # aim for about this many hexagons across the mapped extent ...
HEX_ACROSS_MIN = 6  # ... or half the square root of the number of events, when fewer, down to this
HEX_RES_MIN, HEX_RES_MAX = 5, 10
HEX_RES_FINE = 11  # events keep their cell at this resolution; coarser hexagons are its parents
MAX_HEXAGONS = 6_000  # past this, a coarser resolution is used
HEX_OPACITY = 0.75
SNAP_DECIMALS = 4  # coordinates are grouped at ~11 m before hexagons are looked up (same venue)


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


def hex_resolution(lat: np.ndarray, lon: np.ndarray, across: float | None = None) -> int:
    """The h3 resolution closest to `across` hexagons over the points' extent (fewer for few points)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    box = points_box(lat, lon)
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
    width_px: int = MAP_MIN_WIDTH_PX,
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
    layers = outline_layers(shapes, in_scope, context_ids, pickable=False)
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
    box = area_box(shapes, in_scope) or points_box(basis.y[rows], basis.x[rows])
    view = fit_view(*box, width_px) if box else pdk.ViewState(**DEFAULT_VIEW)
    names, key = label_layer(labels, view, shapes)
    layers += selected_layer(shapes, selected) + names
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
        deck=make_deck(layers, view, offline),
        legend=tuple(legend),
        legend_note=key,
        legend_title=f"{noun.capitalize()} per hexagon (about {edge_m * math.sqrt(3) / 1000:.1f} km across)",
        notes=tuple(notes),
        alt=f"Map of {len(records):,} hexagons coloured by {noun}.",
    )
