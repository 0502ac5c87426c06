"""The events layer: circles coloured by program and sized by attendance, rings where placed
approximately, capped to the most recent events that fit the deck's byte budget. Nothing here imports
Streamlit."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk

from cpdash.charts.maps_deck import (
    APPROX_LAYER,
    COORD_DECIMALS,
    DECK_MARGIN_BYTES,
    DEFAULT_VIEW,
    EVENTS_DECK_BYTES,
    EVENTS_LAYER,
    LABEL_BYTES,
    MAP_MIN_WIDTH_PX,
    MAX_DECK_BYTES,
    PIXELS,
    RECORD_BYTES,
    MapView,
    Records,
    Shapes,
    area_box,
    fit_view,
    make_deck,
    outline_layers,
    points_box,
    selected_layer,
)
from cpdash.charts.maps_density import fine_cells
from cpdash.charts.maps_labels import label_layer
from cpdash.charts.maps_legend import LegendItem
from cpdash.data.schema import PROGRAMS

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

MAX_EVENT_POINTS = 4_000  # past this, the most recent events are drawn (the density layer shows all)
EVENT_RADIUS_BASE = 2.5  # pixels, for an event with no attendance count
EVENT_RADIUS_PER_SQRT = 0.75  # pixels per square root of an attendee
EVENT_RADIUS_MAX = 18.0  # pixels
EVENT_OPACITY = 0.8
RING_WIDTH = 2  # pixels, approximate events
TITLE_CHARS = 80  # titles are cut to this many characters in tooltips
SIZE_LEGEND = (10, 100, 400)  # attendance shown in the size legend


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
    record: np.ndarray  # object: the event's record in a deck's JSON (x, y, r, c, t, e), "" when not mappable
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
    x = np.where(mappable, np.round(lon, COORD_DECIMALS), np.nan)
    y = np.where(mappable, np.round(lat, COORD_DECIMALS), np.nan)
    radius = event_radius(attendance)
    colours = [json.dumps(program_colour(p), separators=(",", ":")) for p in uniques]
    record = np.full(n, "", dtype=object)
    for i in np.flatnonzero(mappable).tolist():  # as json.dumps writes the record's dict, once per data set
        record[i] = (
            f'{{"x":{float(x[i])!r},"y":{float(y[i])!r},"r":{float(radius[i])!r},"c":{colours[codes[i]]},'
            f'"t":{json.dumps(tips[i], ensure_ascii=False)},"e":{json.dumps(ids[i], ensure_ascii=False)}}}'
        )
    return EventBasis(
        x=x,
        y=y,
        start=events["start"].to_numpy(dtype="datetime64[ns]") if n else np.zeros(0, "datetime64[ns]"),
        radius=radius,
        attendance=attendance,
        approximate=approximate & mappable,
        program=np.asarray(codes, dtype="int64"),
        programs=tuple(str(p) for p in uniques),
        tip=tips,
        ids=ids,
        record=record,
        size=size,
        cell=fine_cells(lat, lon),
    )


@dataclass(frozen=True)
class EventPoints:
    """The events drawn on the map and how many were left out and why."""

    exact: Records  # the events with their own coordinates
    approximate: Records  # those placed at a centre
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
    placed = basis.approximate[drawn]
    return EventPoints(
        exact=Records(basis.record[drawn[~placed]].tolist()),
        approximate=Records(basis.record[drawn[placed]].tolist()),
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
    width_px: int = MAP_MIN_WIDTH_PX,
) -> MapView:
    """Events as circles coloured by program, sized by attendance; rings when placed approximately."""
    outline_bytes = shapes.json_bytes([*in_scope, *context_ids]) + LABEL_BYTES * len(labels)
    points = event_points(basis, rows, cap, EVENTS_DECK_BYTES - DECK_MARGIN_BYTES - outline_bytes)
    layers = outline_layers(shapes, in_scope, context_ids, pickable=True)
    common = {
        "get_position": "[x, y]",
        "get_radius": "r",
        "radius_units": PIXELS,
        "pickable": True,
        "auto_highlight": True,
        "highlight_color": [0, 0, 0, 90],
    }
    if len(points.approximate):
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
    box = area_box(shapes, in_scope) or points_box(basis.y[rows], basis.x[rows])
    view = fit_view(*box, width_px) if box else pdk.ViewState(**DEFAULT_VIEW)
    names, key = label_layer(labels, view, shapes)
    layers += selected_layer(shapes, selected) + names
    has_att = bool(np.isfinite(basis.attendance).any())
    programs = [basis.programs[c] for c in np.unique(basis.program[rows])]
    return MapView(
        deck=make_deck(layers, view, offline),
        legend=tuple(events_legend(programs, bool(len(points.approximate)), has_att)),
        legend_note=key,
        legend_title="Events by program" + (", sized by attendance" if has_att else ""),
        notes=tuple(event_notes(points)),
        alt=f"Map of {points.drawn:,} events, coloured by program.",
    )
