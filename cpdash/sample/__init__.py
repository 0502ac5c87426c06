"""Riverton, a synthetic sample city: a deterministic generator of every table of the data contract.

    python -m cpdash.sample --scale demo --seed 7 --out sample_data      # the committed demo data
    python -m cpdash.sample --scale city --seed 7 --out benchmarks/data   # the benchmark's city scale

The same scale and seed always give byte-identical files. Every person, place and event is invented; the
city sits on real coordinates only so that a street basemap looks right. The data carries the stories the
dashboard must reveal (see STORIES).
"""

from __future__ import annotations

import argparse
import json
import math
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from cpdash.data.schema import (
    AGE_GROUPS,
    AGE_SHARE_COLUMNS,
    AREA_SCORES,
    AREAS,
    ATTENDEES,
    CONCERN_STATUSES,
    CONCERNS,
    EVENTS,
    PROGRAMS,
    RESPONSES,
    SCORE_METRICS,
)
from cpdash.sample import text as txt

CITY_NAME = "Riverton (synthetic sample city)"
NOTICE = "Synthetic data: invented people, places and events for demonstration only."
END_DATE = "2026-10-31"

# City outline as (lon, lat); convex, so that every clipped Voronoi cell stays a single polygon.
OUTLINE: tuple[tuple[float, float], ...] = (
    (-87.795, 41.812),
    (-87.770, 41.800),
    (-87.700, 41.801),
    (-87.658, 41.807),
    (-87.646, 41.835),
    (-87.647, 41.880),
    (-87.652, 41.912),
    (-87.672, 41.924),
    (-87.740, 41.925),
    (-87.785, 41.916),
    (-87.800, 41.880),
    (-87.801, 41.840),
)
ORIGIN_LON, ORIGIN_LAT = -87.7235, 41.8625  # address numbering starts here (Main St and Union Ave)
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(ORIGIN_LAT))
ADDRESS_NUMBERS_PER_KM = 800 / 1.609  # eight blocks to the mile, a hundred numbers a block
STREET_WEST, STREET_EAST = -87.800, -87.645  # first and last north-south street
STREET_SOUTH, STREET_NORTH = 41.800, 41.925  # first and last east-west street
LLOYD_ROUNDS = 3
GRID_DIGITS = 5  # decimals kept in coordinates (about a metre)

# Venues every area has, by kind, and how many of each.
VENUES_PER_AREA: dict[str, int] = {
    "cafe": 2,
    "library": 1,
    "park": 2,
    "school": 2,
    "church": 2,
    "center": 1,
    "block": 4,
}
VENUE_KINDS: tuple[str, ...] = tuple(VENUES_PER_AREA)
VENUES_IN_AREA = sum(VENUES_PER_AREA.values())
VENUE_OFFSET: dict[str, int] = {  # position of a kind's first venue among an area's venues
    kind: sum(list(VENUES_PER_AREA.values())[:i]) for i, kind in enumerate(VENUES_PER_AREA)
}

CHANNELS: tuple[str, ...] = ("comment card", "online survey", "phone survey", "door-to-door")
CARD_SHARE = 0.30  # responses collected on a comment card at an event
SURVEY_CHANNEL_SHARES = (0.50, 0.35, 0.15)  # online, phone, door-to-door
COMMENT_SHARE_BY_CHANNEL = (0.65, 0.60, 0.42, 0.38)
BLANK_BY_CHANNEL: dict[str, tuple[float, ...]] = {  # share of respondents skipping each question
    "trust": (0.05, 0.04, 0.03, 0.05),
    "safety": (0.50, 0.06, 0.05, 0.07),
    "listen": (0.60, 0.12, 0.10, 0.12),
    "respect": (0.10, 0.10, 0.08, 0.10),
}
CARD_BONUS = 2.5  # people who come to events are a little more positive (points on 0-100)
DISPOSITION_SD = 1.7  # respondent's general attitude, shared by every question (0-10 scale)
ANSWER_SD = 0.9  # question-specific noise (0-10 scale)
AGE_OFFSET: dict[str, tuple[float, ...]] = {  # points on 0-100 by age group, AGE_GROUPS order
    "trust": (-2, -7, -3, -1, 1, 4),
    "safety": (2, 1, 0, 0, -1, -3),
    "listen": (-2, -6, -3, -1, 1, 3),
    "respect": (-3, -7, -3, -1, 1, 3),
}
RESPONSE_AGE_SKEW = (0.0, 0.6, 0.85, 1.0, 1.2, 1.35)  # older residents answer surveys more often
GENDERS: tuple[str, ...] = ("woman", "man", "non-binary", "prefer not to say")
GENDER_SHARES = (0.51, 0.43, 0.015, 0.025)  # the rest is blank
RACES: tuple[str, ...] = ("Black", "Hispanic or Latino", "White", "Asian", "Two or more races", "Other")
RACE_MIX = (0.30, 0.25, 0.30, 0.08, 0.05, 0.02)
RACE_UNSAID, RACE_BLANK = 0.03, 0.04
SPANISH_PER_HISPANIC = 0.33  # share of Hispanic residents answering in Spanish (about 8% of all)

YOUTH_PROGRAM_START = "2025-02-04"
YOUTH_TRUST = (45.0, 68.0)  # before, and 12 months after the youth program starts
FALL_START = "2025-11-01"
FALL_TRUST = (62.0, 40.0)  # before, and at the end of the span
FALL_FREEZE = "2026-01-31"  # after this, the falling-trust area resolves few concerns
NO_ENGAGEMENT_TRUST = 53.0
CITY_TRUST, CITY_TRUST_SD, CITY_TRUST_RANGE = 58.0, 3.0, (52.0, 64.0)

COSTLY_PROGRAM = "Workshop / training"
SCHEDULED_PROGRAMS: tuple[str, ...] = ("Beat / community meeting", "National Night Out", "Youth mentorship")
SIGN_IN_PROGRAMS: tuple[str, ...] = (
    "Beat / community meeting",
    "Youth mentorship",
    "Youth sports and activities",
    "Neighbourhood watch",
    "Workshop / training",
)
ATTENDANCE_BLANK = 0.08
YOUTH_BLANK = 0.25  # youth attendance is blank more often than attendance
NO_COORDINATES = 0.06
ONLINE_WORKSHOPS = 0.15
PARTNER_BLANK = 0.35
SIGN_IN_RATE = 0.85
POOL_PER_SIGN_IN = {"adult": 3.0, "youth": 1.0}  # participant pool size per sign-in, by age

CONCERN_TOPICS = txt.TOPICS
RESOLVE_MEDIAN_DAYS = 48
DECLINE_SHARE = 0.08
NEVER_RESOLVED = 0.03
CONTACT_SHARE = 0.01  # comments with a phone number, e-mail or street address in them


@dataclass(frozen=True)
class Scale:
    """Size of a generated city."""

    name: str
    areas: int
    start: str
    responses: int
    concerns: int
    events: int | None  # exact event count, or None to let the program rates decide
    areas_per_district: int
    nno_per_area: float  # National Night Out parties per area and year
    youth_program_share: float  # share of areas running a youth mentorship program from the start
    attendees: bool
    story_index: tuple[int, int, int]  # area index of youth_program, falling_trust, no_engagement
    median_population: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 8, "2024-11-01", 4_000, 400, None, 4, 1.0, 0.25, True, (2, 5, 7), 12_000),
    "demo": Scale("demo", 30, "2023-11-01", 22_000, 1_500, None, 6, 1.0, 0.2, True, (11, 18, 26), 12_000),
    "city": Scale(
        "city", 300, "2023-11-01", 1_000_000, 20_000, 100_000, 15, 3.0, 0.25, False, (112, 181, 263), 9_000
    ),
}
STORY_NAMES: dict[str, str] = {
    "youth_program": "Eastbrook",
    "falling_trust": "Harlow Junction",
    "no_engagement": "Cinder Flats",
}


@dataclass(frozen=True)
class Profile:
    """How one program's events usually look."""

    rate: float  # events per active area and year (not used by SCHEDULED_PROGRAMS)
    months: tuple[float, ...]  # relative weight of each month, January first
    weekdays: tuple[float, ...]  # relative weight of each weekday, Monday first
    hours: tuple[float, ...]  # usual start times
    duration: float  # hours
    attendance: float  # median attendance
    spread: float  # lognormal sigma of attendance
    youth: float  # usual share of attendees under 18
    officers: tuple[int, int]  # fewest and most officers
    cost: float  # median direct cost
    venues: tuple[str, ...]  # venue kinds it is held at


_FLAT = (1.0,) * 12
# rate, months, weekdays, hours, duration, attendance, spread, youth, officers, cost, venues
PROFILES: dict[str, Profile] = {
    "Coffee with a Cop": Profile(
        10, (0.8, 0.8, 0.9, 1, 1, 1, 1, 1, 1, 1, 0.9, 0.7), (1, 1, 1, 1, 1, 0.6, 0.1),
        (7.5, 8, 8.5, 9, 10), 2, 18, 0.45, 0.03, (2, 4), 110, ("cafe",),
    ),
    "Beat / community meeting": Profile(
        0, _FLAT, (0, 1, 1, 1, 0, 0, 0), (18.5, 19), 1.5, 22, 0.45, 0.02, (2, 3), 120,
        ("library", "church", "center", "school"),
    ),
    "Town hall": Profile(
        0.5, (0.6, 1, 1.2, 1, 1, 0.6, 0.4, 0.4, 1.2, 1.3, 1, 0.3), (0.6, 1, 1, 1, 0.2, 0.4, 0),
        (18, 18.5), 2, 85, 0.5, 0.05, (3, 6), 1200, ("school", "church", "center", "library"),
    ),
    "Youth mentorship": Profile(
        0, _FLAT, (1, 1, 1, 1, 0, 0, 0), (15.5, 16, 16.5), 2, 14, 0.35, 0.88, (1, 3), 220, ("center", "school"),
    ),
    "Youth sports and activities": Profile(
        3.5, (0.3, 0.3, 0.5, 0.8, 1.2, 2.5, 3, 2.5, 1, 0.8, 0.5, 0.3), (0.5, 0.5, 0.5, 0.5, 0.6, 3, 1),
        (10, 11, 13, 16), 3, 40, 0.5, 0.8, (2, 4), 600, ("park", "school", "center"),
    ),
    "Block party": Profile(
        4, (0, 0, 0, 0, 0.3, 2.5, 3.5, 3, 0.6, 0, 0, 0), (0.1, 0.1, 0.1, 0.1, 0.5, 4, 2),
        (12, 13, 14), 5, 140, 0.55, 0.35, (2, 5), 900, ("block",),
    ),
    "National Night Out": Profile(
        0, _FLAT, (0, 1, 0, 0, 0, 0, 0), (17, 17.5, 18), 4, 260, 0.55, 0.3, (4, 10), 2500,
        ("park", "block", "school"),
    ),
    "Neighbourhood watch": Profile(
        6, (0.8, 0.8, 1, 1, 1.1, 1.1, 1.1, 1.1, 1.1, 1, 1, 0.6), (1, 1, 1, 1, 0.2, 0.3, 0.1),
        (18.5, 19), 1.5, 12, 0.4, 0.0, (1, 2), 70, ("library", "church", "center", "block"),
    ),
    "Community clean-up": Profile(
        2, (0, 0, 0.3, 2.5, 3, 0.4, 0, 0, 1, 2.5, 0.8, 0), (0.1, 0.1, 0.1, 0.1, 0.1, 4, 1),
        (9, 10), 3, 30, 0.5, 0.25, (1, 3), 350, ("park", "block"),
    ),
    "Workshop / training": Profile(
        1, (1, 1.2, 1.2, 1, 0.8, 0.5, 0.4, 0.5, 1, 1.2, 1.2, 0.6), (0.6, 1, 1, 1, 0.3, 1, 0.1),
        (10, 13, 18, 18.5), 2.5, 16, 0.4, 0.05, (1, 2), 2400, ("library", "center", "school", "church"),
    ),
    "Faith and partner event": Profile(
        3.5, (0.8, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1.2, 1.5), (0.5, 0.5, 1, 0.5, 0.5, 1, 2),
        (8, 11, 12, 18), 2, 60, 0.5, 0.15, (1, 4), 300, ("church",),
    ),
    "Feedback project": Profile(
        0.7, (0.5, 0.8, 1, 1, 1.2, 1, 0.8, 0.8, 1.2, 1.2, 0.8, 0.3), (1, 1, 1, 1, 1, 0.8, 0.2),
        (11, 14, 18), 2, 20, 0.5, 0.1, (1, 3), 500, ("library", "center", "park", "cafe"),
    ),
    "Other": Profile(
        1, (1, 0.6, 0.6, 0.8, 0.8, 1, 1, 1, 0.8, 1, 1.5, 2), (1, 1, 1, 1, 1, 1, 0.5),
        (10, 12, 17), 3, 30, 0.6, 0.2, (2, 5), 400, ("center", "school", "park", "church"),
    ),
}  # fmt: skip
COST_SPREAD = 0.35  # lognormal sigma of event cost


def _story_ids(scale: Scale) -> dict[str, str]:
    """Area id of each story area at `scale`."""
    return {story: _area_id(i, scale.areas) for story, i in zip(STORY_NAMES, scale.story_index, strict=True)}


def _area_id(index: int, n_areas: int) -> str:
    """The id of the area at 0-based `index`: A01..A30, or A001..A300 for larger cities."""
    return f"A{index + 1:0{max(2, len(str(n_areas)))}d}"


def _stories(scale: Scale) -> dict[str, dict[str, object]]:
    """The stories the data of `scale` carries, with the areas and programs they are about."""
    ids = _story_ids(scale)
    return {
        "youth_program": {
            "area_id": ids["youth_program"],
            "name": STORY_NAMES["youth_program"],
            "program": "Youth mentorship",
            "start": YOUTH_PROGRAM_START,
            "trust_before": YOUTH_TRUST[0],
            "trust_after": YOUTH_TRUST[1],
        },
        "falling_trust": {
            "area_id": ids["falling_trust"],
            "name": STORY_NAMES["falling_trust"],
            "start": FALL_START,
            "trust_before": FALL_TRUST[0],
            "trust_after": FALL_TRUST[1],
        },
        "no_engagement": {"area_id": ids["no_engagement"], "name": STORY_NAMES["no_engagement"]},
        "costly_program": {"program": COSTLY_PROGRAM, "cost_per_attendee": 150},
    }


# The stories of the committed demo data (other scales: generate(...)["stories"]).
STORIES: dict[str, dict[str, object]] = _stories(SCALES["demo"])


# --- Small helpers ----------------------------------------------------------------------------------


def _render(bank: Sequence[str], idx: np.ndarray, fields: Mapping[str, np.ndarray]) -> np.ndarray:
    """Fill template `bank[idx[i]]` with row i of `fields`, one template at a time (column-wise)."""
    out = np.empty(len(idx), dtype=object)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(len(bank) + 1))
    for t, template in enumerate(bank):
        rows = order[bounds[t] : bounds[t + 1]]
        if len(rows) == 0:
            continue
        acc = np.full(len(rows), "", dtype=object)
        for literal, name, _spec, _conv in string.Formatter().parse(template):
            if literal:
                acc = acc + literal
            if name:
                acc = acc + fields[name][rows]
        out[rows] = acc
    return out


def _pick(
    rng: np.random.Generator, groups: Sequence[Sequence[str]], group: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """A flat bank of every group's phrases and, per row, the index of a random phrase of its group."""
    bank = [phrase for g in groups for phrase in g]
    sizes = np.array([len(g) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = starts[group] + (rng.random(len(group)) * sizes[group]).astype(np.int64)
    return bank, idx


def _choose_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row, a category drawn from `probs[rows[i]]` (a matrix of per-row-kind probabilities)."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)


def _labels(values: Sequence[str], idx: np.ndarray) -> np.ndarray:
    """Labels for category indices; -1 gives a missing value."""
    table = np.array([*values, None], dtype=object)
    return table[np.where(idx < 0, len(values), idx)]


def _numbers(width: int) -> np.ndarray:
    """Zero-padded strings of every number with `width` digits, for column-wise lookups."""
    return np.array([f"{i:0{width}d}" for i in range(10**width)], dtype=object)


def _int_column(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """A nullable integer column (blank where `missing`)."""
    mask = np.zeros(len(values), dtype=bool) if missing is None else missing
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype("int64"), mask)


def _blank(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """A copy of an object column with missing values where `missing`."""
    out = values.astype(object).copy()
    out[missing] = None
    return out


def _ramp(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """0 before `start`, 1 after `end`, linear in between."""
    return np.clip((x - start) / (end - start), 0.0, 1.0)


def _day(days: np.ndarray, date: str) -> int:
    """Index of `date` in the span (may be negative or past the end)."""
    return int((np.datetime64(date) - days[0]).astype(int))


def _ids(prefix: str, n: int) -> np.ndarray:
    """Sequential ids such as E0001, wide enough for `n`."""
    width = max(4, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


# --- The city: areas, streets, venues ---------------------------------------------------------------


@dataclass
class City:
    """Areas, their geometry and places, shared by every table's generator."""

    scale: Scale
    days: np.ndarray  # every day of the span, datetime64[D]
    ids: np.ndarray
    names: np.ndarray
    population: np.ndarray
    shares: np.ndarray  # areas x AGE_GROUPS
    polygons: list[shapely.Polygon]
    district: np.ndarray  # district number of each area
    beats: list[list[str]]
    ns_streets: list[np.ndarray]  # north-south streets crossing each area
    ew_streets: list[np.ndarray]  # east-west streets crossing each area
    story: dict[str, int]  # story -> area index
    venues: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.ids)


def _to_km(lonlat: np.ndarray) -> np.ndarray:
    """Project (lon, lat) pairs to kilometres east and north of the address origin."""
    return np.column_stack(
        [(lonlat[:, 0] - ORIGIN_LON) * KM_PER_DEG_LON, (lonlat[:, 1] - ORIGIN_LAT) * KM_PER_DEG_LAT]
    )


def _to_lonlat(km: np.ndarray) -> np.ndarray:
    """Inverse of `_to_km`."""
    return np.column_stack([km[:, 0] / KM_PER_DEG_LON + ORIGIN_LON, km[:, 1] / KM_PER_DEG_LAT + ORIGIN_LAT])


def _voronoi_cells(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Voronoi cells of `points` clipped to `outline`, in the order of the points."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), outline)


def _layout(n: int, rng: np.random.Generator) -> list[shapely.Polygon]:
    """Area polygons in lon/lat, in reading order from the north-west, with coordinates on the grid."""
    outline = shapely.Polygon(_to_km(np.array(OUTLINE)))
    minx, miny, maxx, maxy = outline.bounds
    points = np.empty((0, 2))
    while len(points) < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        points = np.vstack([points, batch[shapely.contains_xy(outline, batch[:, 0], batch[:, 1])]])
    points = points[:n]
    for _ in range(LLOYD_ROUNDS):
        points = shapely.get_coordinates(shapely.centroid(_voronoi_cells(points, outline)))
    spacing = math.sqrt(outline.area / n)
    jittered = points + rng.normal(0.0, 0.15 * spacing, size=points.shape)
    inside = shapely.contains_xy(outline, jittered[:, 0], jittered[:, 1])
    points = np.where(inside[:, None], jittered, points)
    cells = _voronoi_cells(points, outline)
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    band = np.floor((maxy - centroids[:, 1]) / spacing)
    order = np.lexsort((centroids[:, 0], band))
    polygons = []
    for cell in cells[order]:
        lonlat = shapely.transform(cell, _to_lonlat)
        snapped = shapely.orient_polygons(shapely.set_precision(lonlat, 10.0**-GRID_DIGITS))
        if not isinstance(snapped, shapely.Polygon):
            raise RuntimeError("an area cell is not a single polygon")
        polygon = shapely.Polygon(np.round(shapely.get_coordinates(snapped.exterior), GRID_DIGITS))
        if not polygon.is_valid:
            raise RuntimeError("an area polygon is not valid")
        polygons.append(polygon)
    return polygons


def _area_names(scale: Scale, story_index: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Invented neighbourhood names, the story areas' names at their indices."""
    reserved = set(STORY_NAMES.values())
    if scale.areas <= len(txt.DEMO_AREA_NAMES) + len(STORY_NAMES):
        pool = [name for name in txt.DEMO_AREA_NAMES if name not in reserved]
    else:
        cores, prefixes, suffixes = txt.AREA_NAME_CORES, txt.AREA_NAME_PREFIXES, txt.AREA_NAME_SUFFIXES
        candidates = list(cores)
        candidates += [f"{core} {suffix}" for core in cores for suffix in suffixes]
        candidates += [f"{prefix} {core}" for prefix in prefixes for core in cores]
        candidates = [c for c in candidates if c not in reserved]
        pool = [candidates[i] for i in rng.permutation(len(candidates))]
        long_names = [
            f"{prefixes[i % len(prefixes)]} {cores[i]} and {cores[-1 - i]} {suffixes[i % len(suffixes)]}"
            for i in range(len(cores) // 2)
        ]
        pool = long_names[: max(1, scale.areas // 20)] + pool
    names = np.empty(scale.areas, dtype=object)
    by_index = {i: STORY_NAMES[story] for story, i in story_index.items()}
    rest = iter(pool)
    for i in range(scale.areas):
        names[i] = by_index.get(i) or next(rest)
    return names


def _population(scale: Scale, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Residents of each area (3,000 to 40,000) and their age shares (summing to exactly 1)."""
    population = np.clip(rng.lognormal(math.log(scale.median_population), 0.45, scale.areas), 3_000, 40_000)
    population = (np.round(population / 10) * 10).astype(np.int64)
    base = np.array([0.22, 0.10, 0.16, 0.20, 0.18, 0.14])
    shares = rng.dirichlet(base * 100, size=scale.areas)
    units = np.round(shares * 10_000).astype(np.int64)
    largest = units.argmax(axis=1)
    units[np.arange(scale.areas), largest] += 10_000 - units.sum(axis=1)
    return population, units / 10_000


def _streets_in(polygon: shapely.Polygon) -> tuple[np.ndarray, np.ndarray]:
    """North-south and east-west streets crossing the bounding box of `polygon` (at least one each)."""
    minx, miny, maxx, maxy = polygon.bounds
    ns_lon = np.linspace(STREET_WEST, STREET_EAST, len(txt.NS_STREETS))
    ew_lat = np.linspace(STREET_SOUTH, STREET_NORTH, len(txt.EW_STREETS))
    ns = np.flatnonzero((ns_lon > minx) & (ns_lon < maxx))
    ew = np.flatnonzero((ew_lat > miny) & (ew_lat < maxy))
    if len(ns) == 0:
        ns = np.array([np.abs(ns_lon - (minx + maxx) / 2).argmin()])
    if len(ew) == 0:
        ew = np.array([np.abs(ew_lat - (miny + maxy) / 2).argmin()])
    return np.array(txt.NS_STREETS, dtype=object)[ns], np.array(txt.EW_STREETS, dtype=object)[ew]


def _points_in(polygon: shapely.Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` random (lon, lat) points, rounded to the grid, well inside `polygon`."""
    inner = polygon.buffer(-0.0004)
    if inner.is_empty:
        inner = polygon.buffer(-0.0001)
    minx, miny, maxx, maxy = inner.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        batch = np.round(rng.uniform((minx, miny), (maxx, maxy), size=(8 * n, 2)), GRID_DIGITS)
        keep = shapely.contains_xy(inner, batch[:, 0], batch[:, 1]) & shapely.contains_xy(
            polygon, batch[:, 0], batch[:, 1]
        )
        found = np.vstack([found, batch[keep]])
    return found[:n]


def _address(lon: float, lat: float, block: bool = False) -> tuple[str, str]:
    """A street address near (lon, lat) on the nearest street, and that street's name."""
    ns_lon = np.linspace(STREET_WEST, STREET_EAST, len(txt.NS_STREETS))
    ew_lat = np.linspace(STREET_SOUTH, STREET_NORTH, len(txt.EW_STREETS))
    i, j = int(np.abs(ns_lon - lon).argmin()), int(np.abs(ew_lat - lat).argmin())
    ns_km = abs(ns_lon[i] - lon) * KM_PER_DEG_LON
    ew_km = abs(ew_lat[j] - lat) * KM_PER_DEG_LAT
    if ns_km <= ew_km:
        street, km, direction = txt.NS_STREETS[i], (lat - ORIGIN_LAT) * KM_PER_DEG_LAT, "NS"
    else:
        street, km, direction = txt.EW_STREETS[j], (lon - ORIGIN_LON) * KM_PER_DEG_LON, "EW"
    number = int(round(abs(km) * ADDRESS_NUMBERS_PER_KM / 2)) * 2 + 1
    side = ("N" if km >= 0 else "S") if direction == "NS" else ("E" if km >= 0 else "W")
    if block:
        return f"{number // 100 * 100} block of {side} {street}", street
    return f"{number} {side} {street}", street


def _venue_name(kind: str, area_name: str, k: int, rng: np.random.Generator) -> str:
    """An invented name for venue number `k` of `kind` in an area."""
    short = area_name.split(" and ")[0]
    if kind == "cafe":
        if rng.random() < 0.3:
            return str(rng.choice(txt.CAFE_NAMES))
        return f"{rng.choice(txt.CAFE_OWNERS)}'s {rng.choice(txt.CAFE_KINDS)}"
    if kind == "library":
        return f"{short} Branch Library"
    if kind == "park":
        return f"{rng.choice(txt.PARK_NAMES)} {rng.choice(txt.PARK_KINDS)}"
    if kind == "school":
        return f"{rng.choice(txt.SCHOOL_NAMES)} {txt.SCHOOL_KINDS[(k + int(rng.integers(4))) % 4]}"
    if kind == "church":
        return str(rng.choice(txt.CHURCH_NAMES))
    if kind == "center":
        return str(rng.choice(txt.CENTER_KINDS)).format(area=short)
    return ""


def _venues(names: np.ndarray, polygons: list[shapely.Polygon], rng: np.random.Generator) -> pd.DataFrame:
    """Places in every area where events happen, VENUES_PER_AREA of each kind, area-major order."""
    rows = []
    for a, polygon in enumerate(polygons):
        points = _points_in(polygon, VENUES_IN_AREA, rng)
        p = 0
        for kind_index, (kind, count) in enumerate(VENUES_PER_AREA.items()):
            for k in range(count):
                lon, lat = points[p]
                p += 1
                address, street = _address(lon, lat, block=kind == "block")
                name = address if kind == "block" else _venue_name(kind, names[a], k, rng)
                rows.append((a, kind_index, name, street, address, lat, lon))
    return pd.DataFrame(rows, columns=["area", "kind", "name", "street", "address", "lat", "lon"])


def _city(scale: Scale, rng: np.random.Generator) -> City:
    """Lay out the areas of a city of `scale` with their people, beats, streets and venues."""
    days = np.arange(np.datetime64(scale.start), np.datetime64(END_DATE) + 1)
    story = dict(zip(STORY_NAMES, scale.story_index, strict=True))
    polygons = _layout(scale.areas, rng)
    names = _area_names(scale, story, rng)
    population, shares = _population(scale, rng)
    district = 10 + np.arange(scale.areas) // scale.areas_per_district
    beats: list[list[str]] = []
    next_beat: dict[int, int] = {}
    for a in range(scale.areas):
        count = int(rng.integers(1, 3))
        first = next_beat.get(int(district[a]), 1)
        beats.append([f"{district[a]}{first + k:02d}" for k in range(count)])
        next_beat[int(district[a])] = first + count
    streets = [_streets_in(p) for p in polygons]
    return City(
        scale=scale,
        days=days,
        ids=np.array([_area_id(i, scale.areas) for i in range(scale.areas)], dtype=object),
        names=names,
        population=population,
        shares=shares,
        polygons=polygons,
        district=district,
        beats=beats,
        ns_streets=[s[0] for s in streets],
        ew_streets=[s[1] for s in streets],
        story=story,
        venues=_venues(names, polygons, rng),
    )


def _areas_frame(city: City) -> pd.DataFrame:
    """The areas table (the GeoJSON feature properties)."""
    frame = pd.DataFrame(
        {"area_id": city.ids, "name": city.names, "level": "area", "population": city.population}
    )
    for g, column in enumerate(AGE_SHARE_COLUMNS.values()):
        frame[column] = city.shares[:, g]
    return frame[[c for c in AREAS.names if c in frame.columns]]


def _geojson(city: City, areas: pd.DataFrame) -> dict:
    """The areas as a GeoJSON FeatureCollection."""
    features = []
    for polygon, properties in zip(city.polygons, areas.to_dict(orient="records"), strict=True):
        ring = [[float(x), float(y)] for x, y in shapely.get_coordinates(polygon.exterior)]
        properties = {k: (int(v) if isinstance(v, np.integer) else v) for k, v in properties.items()}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _street_picks(city: City, area: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a street of its area and a crossing street (column-wise)."""
    picks = []
    for family in (city.ns_streets, city.ew_streets):
        flat = np.concatenate(family)
        sizes = np.array([len(s) for s in family])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        picks.append(flat[starts[area] + (rng.random(len(area)) * sizes[area]).astype(np.int64)])
    north_south = rng.random(len(area)) < 0.5
    return np.where(north_south, picks[0], picks[1]), np.where(north_south, picks[1], picks[0])


def _text_fields(city: City, area: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Values for comment and concern placeholders ({street}, {park}, {area}, ...), per row."""
    street, street2 = _street_picks(city, area, rng)
    park_first = area * VENUES_IN_AREA + VENUE_OFFSET["park"]
    park = city.venues["name"].to_numpy(dtype=object)[
        park_first + rng.integers(0, VENUES_PER_AREA["park"], len(area))
    ]
    return {
        "street": street,
        "street2": street2,
        "park": park,
        "area": city.names[area],
        "officer": np.array(txt.OFFICER_NAMES, dtype=object)[
            rng.integers(0, len(txt.OFFICER_NAMES), len(area))
        ],
        "years": np.arange(100).astype(str).astype(object)[rng.integers(2, 46, len(area))],
    }


# --- Stories: what each area's residents feel, day by day --------------------------------------------


def _targets(city: City, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Expected score (0-100) of each metric, per area and day, telling the stories."""
    n_days = len(city.days)
    t = np.arange(n_days) / 365.25
    month = city.days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([-1.0, -1.0, -0.5, 0, 0.5, 1, 1, 1, 0.5, 0, -0.5, -1])[month]
    base = np.clip(rng.normal(CITY_TRUST, CITY_TRUST_SD, city.n), *CITY_TRUST_RANGE)
    slope = rng.normal(0.5, 1.0, city.n)
    trust = base[:, None] + slope[:, None] * (t - t.mean()) + season[None, :]
    safety = trust + rng.normal(-2.0, 5.0, city.n)[:, None]
    listen = trust + rng.normal(-4.0, 2.0, city.n)[:, None]
    respect = trust + rng.normal(3.0, 2.0, city.n)[:, None]
    days = np.arange(n_days)

    y = city.story["youth_program"]
    start = _day(city.days, YOUTH_PROGRAM_START)
    rise = _ramp(days, start, start + 365) * (YOUTH_TRUST[1] - YOUTH_TRUST[0])
    trust[y] = YOUTH_TRUST[0] + rise + season
    safety[y] = YOUTH_TRUST[0] + 2 + 0.4 * rise + season
    listen[y] = YOUTH_TRUST[0] - 3 + 1.1 * rise + season
    respect[y] = YOUTH_TRUST[0] + 1 + rise + season

    f = city.story["falling_trust"]
    start = _day(city.days, FALL_START)
    fall = _ramp(days, start, n_days - 1) * (FALL_TRUST[0] - FALL_TRUST[1])
    trust[f] = FALL_TRUST[0] - fall + season
    safety[f] = FALL_TRUST[0] - 3 - 0.6 * fall + season
    listen[f] = FALL_TRUST[0] - 4 - 1.2 * fall + season
    respect[f] = FALL_TRUST[0] + 1 - fall + season

    z = city.story["no_engagement"]
    trust[z] = NO_ENGAGEMENT_TRUST + season
    listen[z] = NO_ENGAGEMENT_TRUST - 6 + season
    return {"trust": trust, "safety": safety, "listen": listen, "respect": respect}


# --- Events -----------------------------------------------------------------------------------------


@dataclass
class Events:
    """The events table plus the internal columns later tables build on."""

    frame: pd.DataFrame
    area: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    program: np.ndarray  # index into PROGRAMS
    attendance: np.ndarray  # float, NaN when not counted
    youth: np.ndarray  # float, NaN when not counted


def _weekday(days: np.ndarray) -> np.ndarray:
    """Weekday of each day, Monday 0."""
    return (days.astype(np.int64) + 3) % 7


def _school_year(days: np.ndarray) -> np.ndarray:
    """True on school days' weeks: September to mid-June, without the winter and spring breaks."""
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    summer = (month == 7) | (month == 8) | ((month == 6) & (dom > 14))
    winter = ((month == 12) & (dom > 20)) | ((month == 1) & (dom < 6))
    spring = (month == 3) & (dom > 22) & (dom < 30)
    return ~(summer | winter | spring)


Batch = tuple[np.ndarray, np.ndarray, int]  # area and day index of some events, and their program


def _scheduled(city: City, rng: np.random.Generator, active: np.ndarray) -> list[Batch]:
    """Events on a schedule: monthly beat meetings, National Night Out, weekly youth mentorship."""
    days = city.days
    n_days = len(days)
    weekday = _weekday(days)
    out = []

    # Beat meetings: every month on the area's weekday and week, some skipped.
    months = np.unique(days.astype("datetime64[M]"))
    first = months.astype("datetime64[D]")
    meet_weekday = rng.integers(1, 4, city.n)  # Tuesday to Thursday
    meet_week = rng.integers(0, 4, city.n)
    offset = (meet_weekday[None, :] - _weekday(first)[:, None]) % 7 + 7 * meet_week[None, :]
    day = ((first - days[0]).astype(np.int64)[:, None] + offset).ravel()
    area = np.tile(np.arange(city.n), len(months))
    held = active[area] & (day >= 0) & (day < n_days) & (rng.random(len(day)) < 0.9)
    out.append((area[held], day[held], PROGRAMS.index("Beat / community meeting")))

    # National Night Out: the first Tuesday of August.
    years = np.unique(days.astype("datetime64[Y]"))
    for year in years:
        august = np.datetime64(f"{year}-08-01")
        nno = _day(days, str(august)) + (1 - _weekday(np.array([august]))[0]) % 7
        if 0 <= nno < n_days:
            parties = np.where(active, rng.poisson(city.scale.nno_per_area - 1, city.n) + 1, 0)
            parties *= rng.random(city.n) < 0.9
            area = np.repeat(np.arange(city.n), parties)
            out.append((area, np.full(len(area), nno), PROGRAMS.index("National Night Out")))

    # Youth mentorship: weekly in the school year, in the areas running a program.
    y = city.story["youth_program"]
    candidates = np.flatnonzero(active & (np.arange(city.n) != y))
    count = max(1, round(city.scale.youth_program_share * city.n))
    running = np.sort(rng.choice(candidates, size=min(count, len(candidates)), replace=False))
    areas = np.concatenate([running, [y]])
    starts = np.concatenate([np.zeros(len(running), dtype=np.int64), [_day(days, YOUTH_PROGRAM_START)]])
    session_weekday = np.concatenate([rng.integers(0, 4, len(running)), [1]])  # Monday to Thursday
    school = _school_year(days)
    for a, start, wd in zip(areas, starts, session_weekday, strict=True):
        day = np.flatnonzero((weekday == wd) & school & (np.arange(n_days) >= start))
        if a != y:
            day = day[rng.random(len(day)) < 0.88]
        out.append((np.full(len(day), a), day, PROGRAMS.index("Youth mentorship")))
    return out


def _sampled(city: City, rng: np.random.Generator, active: np.ndarray, multiplier: float) -> list[Batch]:
    """Events of the other programs, on days that fit their season and weekday."""
    days = city.days
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = _weekday(days)
    years = len(days) / 365.25
    activity = rng.lognormal(0.0, 0.35, city.n) * active
    out = []
    for p, program in enumerate(PROGRAMS):
        profile = PROFILES[program]
        affinity = rng.lognormal(0.0, 0.5, city.n)
        if program == "Neighbourhood watch":
            affinity *= rng.random(city.n) < 0.5
        weight = activity * affinity
        if program in SCHEDULED_PROGRAMS or weight.sum() == 0:
            continue
        count = int(round(profile.rate * np.count_nonzero(weight) * years * multiplier))
        day_weight = np.array(profile.months)[month] * np.array(profile.weekdays)[weekday]
        day = rng.choice(len(days), size=count, p=day_weight / day_weight.sum())
        area = rng.choice(city.n, size=count, p=weight / weight.sum())
        out.append((area, day, p))
    return out


def _expected_sampled(city: City, active: np.ndarray) -> float:
    """About how many events `_sampled` gives with multiplier 1."""
    years = len(city.days) / 365.25
    n_active = np.count_nonzero(active)
    return sum(
        p.rate * n_active * years * (0.5 if name == "Neighbourhood watch" else 1)
        for name, p in PROFILES.items()
        if name not in SCHEDULED_PROGRAMS
    )


def _events(city: City, rng: np.random.Generator) -> Events:
    """The events table: every program, with seasons, venues, attendance and costs."""
    scale, days = city.scale, city.days
    active = np.ones(city.n, dtype=bool)
    active[city.story["no_engagement"]] = False
    scheduled = _scheduled(city, rng, active)
    n_scheduled = sum(len(a) for a, _d, _p in scheduled)
    multiplier = 1.0
    if scale.events is not None:
        multiplier = (scale.events - n_scheduled) * 1.06 / _expected_sampled(city, active)
    sampled = _sampled(city, rng, active, multiplier)
    parts = scheduled + sampled
    area = np.concatenate([a for a, _d, _p in parts]).astype(np.int64)
    day = np.concatenate([d for _a, d, _p in parts]).astype(np.int64)
    program = np.concatenate([np.full(len(a), p) for a, _d, p in parts]).astype(np.int64)
    is_sampled = np.concatenate([np.full(len(a), i >= len(scheduled)) for i, (a, _d, _p) in enumerate(parts)])

    # The falling-trust area holds fewer events in its last year.
    f = city.story["falling_trust"]
    keep = ~((area == f) & (day >= _day(days, FALL_START)) & (rng.random(len(area)) < 0.45))
    if scale.events is not None:
        surplus = int(keep.sum()) - scale.events
        if surplus < 0:
            raise RuntimeError("too few events generated for the requested count")
        droppable = np.flatnonzero(keep & is_sampled)
        keep[rng.choice(droppable, size=surplus, replace=False)] = False
    area, day, program = area[keep], day[keep], program[keep]

    profiles = [PROFILES[p] for p in PROGRAMS]
    hours = np.empty(len(area))
    for p, profile in enumerate(profiles):
        rows = program == p
        hours[rows] = rng.choice(profile.hours, size=int(rows.sum()))
    minute = np.round(hours * 60).astype(np.int64)

    order = np.lexsort((program, area, minute, day))
    return _event_details(city, rng, area[order], day[order], program[order], minute[order])


def _event_details(
    city: City,
    rng: np.random.Generator,
    area: np.ndarray,
    day: np.ndarray,
    program: np.ndarray,
    minute: np.ndarray,
) -> Events:
    """Venues, titles, attendance, officers and costs of the events placed in time and space."""
    days = city.days
    n = len(area)
    profiles = [PROFILES[p] for p in PROGRAMS]
    prog = np.array(profiles, dtype=object)[program]
    when = days[day]
    month = when.astype("datetime64[M]").astype(np.int64) % 12
    workshop = program == PROGRAMS.index("Workshop / training")
    online = workshop & (rng.random(n) < ONLINE_WORKSHOPS)

    # Venue: a kind the program uses, then one of the area's venues of that kind.
    kind = np.empty(n, dtype=np.int64)
    for p, profile in enumerate(profiles):
        rows = program == p
        kind[rows] = rng.choice([VENUE_KINDS.index(k) for k in profile.venues], size=int(rows.sum()))
    kind_start = np.array(list(VENUE_OFFSET.values()))
    kind_count = np.array(list(VENUES_PER_AREA.values()))
    venue = area * VENUES_IN_AREA + kind_start[kind] + (rng.random(n) * kind_count[kind]).astype(np.int64)
    venues = city.venues
    venue_name = venues["name"].to_numpy(dtype=object)[venue]
    venue_name[online] = "Zoom"
    street = venues["street"].to_numpy(dtype=object)[venue]
    address = venues["address"].to_numpy(dtype=object)[venue]
    address[online] = "Online (Zoom)"
    lat = venues["lat"].to_numpy()[venue].copy()
    lon = venues["lon"].to_numpy()[venue].copy()
    no_coordinates = online | (rng.random(n) < NO_COORDINATES)
    lat[no_coordinates] = np.nan
    lon[no_coordinates] = np.nan

    # Beat: rotating for beat meetings, any of the area's beats otherwise; city-wide events often none.
    n_beats = np.array([len(b) for b in city.beats])
    beat_flat = np.array([b for beats in city.beats for b in beats], dtype=object)
    beat_start = np.concatenate([[0], np.cumsum(n_beats)[:-1]])
    meeting = program == PROGRAMS.index("Beat / community meeting")
    month_number = when.astype("datetime64[M]").astype(np.int64)
    choice = np.where(meeting, month_number % n_beats[area], (rng.random(n) * n_beats[area]).astype(np.int64))
    beat = beat_flat[beat_start[area] + choice]
    citywide = np.isin(program, [PROGRAMS.index(p) for p in ("Town hall", "Workshop / training", "Other")])
    no_beat = np.where(citywide, rng.random(n) < 0.3, rng.random(n) < 0.03) & ~meeting

    # Attendance, youth attendance, officers, hours and cost.
    median = np.array([p.attendance for p in prog])
    youth_area = city.story["youth_program"]
    start = _day(days, YOUTH_PROGRAM_START)
    growing = (area == youth_area) & (program == PROGRAMS.index("Youth mentorship"))
    median = np.where(growing, 8 + 12 * _ramp(day.astype(float), start, start + 180), median)
    spread = np.array([p.spread for p in prog])
    attendance = np.maximum(np.round(rng.lognormal(np.log(median), spread)), 2)
    large = attendance >= 100
    attendance[large] = np.round(attendance[large] / 10) * 10  # big crowds are estimated
    youth_share = np.clip(np.array([p.youth for p in prog]) * rng.uniform(0.6, 1.25, n), 0, 1)
    youth = rng.binomial(attendance.astype(np.int64), youth_share).astype(float)
    no_attendance = rng.random(n) < ATTENDANCE_BLANK
    attendance[no_attendance] = np.nan
    youth[no_attendance | (rng.random(n) < YOUTH_BLANK)] = np.nan

    low = np.array([p.officers[0] for p in prog])
    high = np.array([p.officers[1] for p in prog])
    officers = rng.integers(low, high + 1)
    duration = np.array([p.duration for p in prog])
    officer_hours = np.round(officers * (duration + 0.5) * 2) / 2
    no_officers = rng.random(n) < 0.03
    no_hours = no_officers | (rng.random(n) < 0.03)
    cost = np.round(rng.lognormal(np.log([p.cost for p in prog]), COST_SPREAD), 2)
    no_cost = rng.random(n) < 0.05

    # Partner, title and description.
    partner = np.empty(n, dtype=object)
    for p, program_name in enumerate(PROGRAMS):
        rows = np.flatnonzero(program == p)
        partner[rows] = np.array(txt.PARTNERS[program_name], dtype=object)[
            rng.integers(0, len(txt.PARTNERS[program_name]), len(rows))
        ]
    no_partner = rng.random(n) < PARTNER_BLANK
    fields = {
        "venue": venue_name,
        "street": street,
        "area": city.names[area],
        "beat": beat,
        "district": city.district[area].astype(str).astype(object),
        "year": when.astype("datetime64[Y]").astype(str).astype(object),
        "n": _numbers(1)[rng.integers(1, 9, n)],
        "partner": partner,
    }
    title_bank, title_idx = _titles(rng, program, month, online)
    desc_groups = [txt.DESCRIPTIONS[p] for p in PROGRAMS]
    desc_bank, desc_idx = _pick(rng, desc_groups, program)

    start_time = when.astype("datetime64[m]") + minute.astype("timedelta64[m]")
    frame = pd.DataFrame(
        {
            "event_id": _ids("E", n),
            "start": np.datetime_as_string(start_time, unit="m").astype(object),
            "program": np.array(PROGRAMS, dtype=object)[program],
            "area_id": city.ids[area],
            "title": _render(title_bank, title_idx, fields),
            "description": _render(desc_bank, desc_idx, fields),
            "beat": _blank(beat, no_beat),
            "address": address,
            "lat": lat,
            "lon": lon,
            "attendance": _int_column(np.nan_to_num(attendance), np.isnan(attendance)),
            "youth_attendance": _int_column(np.nan_to_num(youth), np.isnan(youth)),
            "officers": _int_column(officers, no_officers),
            "officer_hours": np.where(no_hours, np.nan, officer_hours),
            "cost": np.where(no_cost, np.nan, cost),
            "partner": _blank(partner, no_partner),
        }
    )
    return Events(frame[list(EVENTS.names)], area, day, minute, program, attendance, youth)


def _titles(
    rng: np.random.Generator, program: np.ndarray, month: np.ndarray, online: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """A title template per event that fits its program and month (and no venue when online)."""
    bank: list[str] = []
    idx = np.zeros(len(program), dtype=np.int64)
    for p, name in enumerate(PROGRAMS):
        templates = txt.TITLES[name]
        fits = np.array(
            [[months is None or m + 1 in months for m in range(12)] for _text, months in templates],
            dtype=float,
        )
        no_venue = np.array(["{venue}" not in text for text, _months in templates], dtype=float)
        for is_online in (False, True):
            rows = np.flatnonzero((program == p) & (online == is_online))
            if len(rows) == 0:
                continue
            weight = fits * (no_venue[:, None] if is_online else 1.0)
            weight[:, weight.sum(axis=0) == 0] = 1.0
            local = _choose_rows(rng, weight.T, month[rows])
            idx[rows] = len(bank) + local
        bank.extend(text for text, _months in templates)
    return bank, idx


# --- Responses --------------------------------------------------------------------------------------


@dataclass
class Responses:
    """The responses table plus the internal columns the published scores build on."""

    frame: pd.DataFrame
    area: np.ndarray
    day: np.ndarray
    channel: np.ndarray
    age: np.ndarray  # index into AGE_GROUPS, -1 when blank
    scores: dict[str, np.ndarray]  # float 0-10, NaN when blank


def _survey_days(days: np.ndarray) -> list[np.ndarray]:
    """Relative weight of each day for online, phone and door-to-door surveys."""
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = _weekday(days)
    quarter_start = (days.astype("datetime64[M]") - (month % 3).astype("timedelta64[M]")).astype(
        "datetime64[D]"
    )
    day_of_quarter = (days - quarter_start).astype(np.int64)
    online = np.array([1, 1, 1, 1, 0.9, 0.7, 0.8])[weekday] * np.where(month % 3 == 0, 1.5, 1.0)
    phone = np.where(day_of_quarter < 42, 1.0, 0.05) * np.array([1, 1, 1, 1, 1, 0.6, 0])[weekday]
    door = (
        np.where((month >= 3) & (month <= 9), 1.0, 0.1) * np.array([0.5, 0.5, 0.5, 0.5, 0.6, 3, 1.5])[weekday]
    )
    return [online, phone, door]


SURVEY_HOURS: tuple[tuple[float, ...], ...] = (
    (1, 0.5, 0.3, 0.2, 0.2, 0.5, 1, 2, 3, 3, 3, 3, 4, 3, 3, 3, 3, 4, 5, 6, 7, 6, 4, 2),  # online
    (0,) * 10 + (1,) * 10 + (0,) * 4,  # phone
    (0,) * 10 + (1,) * 8 + (0,) * 6,  # door-to-door
)


def _responses(
    city: City, events: Events, targets: dict[str, np.ndarray], rng: np.random.Generator
) -> Responses:
    """Survey answers and comment cards, following each area's story."""
    n = city.scale.responses
    n_days = len(city.days)

    # Comment cards: collected at events, on the day, more at bigger events.
    n_card = int(round(n * CARD_SHARE))
    size = np.where(np.isnan(events.attendance), 20.0, events.attendance)
    pick = rng.choice(len(size), size=n_card, p=size / size.sum())
    card_minute = np.minimum(events.minute[pick] + rng.integers(40, 150, n_card), 23 * 60 + 59)

    # Surveys: online, phone (in waves) and door-to-door (summer weekends), by where people live.
    n_survey = n - n_card
    weight = city.population.astype(float) ** 0.85
    for i in city.story.values():
        weight[i] = max(weight[i], 1.3 * np.median(weight))
    survey_channel = rng.choice(3, size=n_survey, p=SURVEY_CHANNEL_SHARES) + 1
    survey_area = rng.choice(city.n, size=n_survey, p=weight / weight.sum())
    survey_day = np.empty(n_survey, dtype=np.int64)
    survey_minute = np.empty(n_survey, dtype=np.int64)
    for c, (day_weight, hour_weight) in enumerate(zip(_survey_days(city.days), SURVEY_HOURS, strict=True)):
        rows = np.flatnonzero(survey_channel == c + 1)
        survey_day[rows] = rng.choice(n_days, size=len(rows), p=day_weight / day_weight.sum())
        hours = np.array(hour_weight, dtype=float)
        survey_minute[rows] = rng.choice(24, size=len(rows), p=hours / hours.sum()) * 60 + rng.integers(
            0, 60, len(rows)
        )

    area = np.concatenate([events.area[pick], survey_area])
    day = np.concatenate([events.day[pick], survey_day])
    minute = np.concatenate([card_minute, survey_minute])
    channel = np.concatenate([np.zeros(n_card, dtype=np.int64), survey_channel])
    event = np.concatenate([pick, np.full(n_survey, -1)])
    order = np.lexsort((area, minute, day))
    area, day, minute, channel, event = area[order], day[order], minute[order], channel[order], event[order]
    card = channel == 0

    # Who answered.
    adult = city.shares * np.array(RESPONSE_AGE_SKEW)
    age = _choose_rows(rng, adult, area)
    youth_share = np.array([PROFILES[p].youth for p in PROGRAMS])[events.program[np.maximum(event, 0)]]
    age[card & (rng.random(n) < 0.7 * youth_share)] = 0
    age[rng.random(n) < 0.04] = -1
    gender = _choose_rows(
        rng, np.array([[*GENDER_SHARES, 1 - sum(GENDER_SHARES)]]), np.zeros(n, dtype=np.int64)
    )
    gender[gender == len(GENDERS)] = -1
    race_mix = rng.dirichlet(np.array(RACE_MIX) * 8, size=city.n)
    spanish = rng.random(n) < SPANISH_PER_HISPANIC * race_mix[area, RACES.index("Hispanic or Latino")]
    race = _choose_rows(rng, race_mix, area)
    race[spanish & (rng.random(n) < 0.9)] = RACES.index("Hispanic or Latino")
    unsaid = rng.random(n)
    race[unsaid < RACE_UNSAID] = len(RACES)
    race[(unsaid >= RACE_UNSAID) & (unsaid < RACE_UNSAID + RACE_BLANK)] = -1

    # What they answered: a shared disposition plus question noise around the area's day's target.
    disposition = rng.normal(0.0, DISPOSITION_SD, n)
    scores: dict[str, np.ndarray] = {}
    columns: dict[str, pd.arrays.IntegerArray] = {}
    for metric in SCORE_METRICS:
        age_offset = np.array(AGE_OFFSET[metric])[np.where(age < 0, AGE_GROUPS.index("35-49"), age)]
        mu = targets[metric][area, day] + age_offset
        mu = mu + np.where(card & (metric != "safety"), CARD_BONUS, 0.0)
        value = np.clip(np.rint(mu / 10 + disposition + rng.normal(0.0, ANSWER_SD, n)), 0, 10)
        skipped = rng.random(n) < np.array(BLANK_BY_CHANNEL[metric])[channel]
        scores[metric] = np.where(skipped, np.nan, value)
        columns[metric] = _int_column(value.astype(np.int64), skipped)

    has_comment = rng.random(n) < np.array(COMMENT_SHARE_BY_CHANNEL)[channel]
    comment = np.full(n, None, dtype=object)
    rows = np.flatnonzero(has_comment)
    comment[rows] = _comments(city, rng, area[rows], day[rows], card[rows], spanish[rows], scores, rows)

    datetime = city.days[day].astype("datetime64[m]") + minute.astype("timedelta64[m]")
    event_ids = events.frame["event_id"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "response_id": _ids("R", n),
            "submitted": np.datetime_as_string(datetime, unit="m").astype(object),
            "area_id": city.ids[area],
            "event_id": _blank(event_ids[np.maximum(event, 0)], event < 0),
            "channel": np.array(CHANNELS, dtype=object)[channel],
            **columns,
            "comment": comment,
            "language": np.where(spanish, "es", "en").astype(object),
            "age_group": _labels(AGE_GROUPS, age),
            "gender": _labels(GENDERS, gender),
            "race_ethnicity": _labels((*RACES, "prefer not to say"), race),
        }
    )
    return Responses(frame[list(RESPONSES.names)], area, day, channel, age, scores)


def _comments(
    city: City,
    rng: np.random.Generator,
    area: np.ndarray,
    day: np.ndarray,
    card: np.ndarray,
    spanish: np.ndarray,
    scores: dict[str, np.ndarray],
    rows: np.ndarray,
) -> np.ndarray:
    """Free-text comments whose tone follows the respondent's answers: opener + body + closer."""
    n = len(area)
    answers = np.column_stack([scores[m][rows] for m in SCORE_METRICS])
    answered = (~np.isnan(answers)).sum(axis=1)
    mean = np.where(answered > 0, np.nansum(answers, axis=1) / np.maximum(answered, 1), 5.5)
    p_praise = 1 / (1 + np.exp(-(mean - 6.8) * 1.4))
    p_complaint = 1 / (1 + np.exp(-(4.3 - mean) * 1.4))
    u = rng.random(n)
    rest = 1 - p_praise - p_complaint
    tone = np.where(
        u < p_praise, 0, np.where(u < p_praise + p_complaint, 1, np.where(u < 1 - 0.45 * rest, 2, 3))
    )  # praise, complaint, request, mixed

    # Topics of complaints follow the area's troubles and the stories.
    topic_weight = rng.dirichlet(np.full(len(CONCERN_TOPICS), 2.0), size=city.n)
    topic = _choose_rows(rng, topic_weight, area)
    y, f = city.story["youth_program"], city.story["falling_trust"]
    before_youth = (area == y) & (day < _day(city.days, YOUTH_PROGRAM_START))
    topic[before_youth & (rng.random(n) < 0.4)] = CONCERN_TOPICS.index("youth")
    falling = (area == f) & (day >= _day(city.days, FALL_START))
    topic[falling & (rng.random(n) < 0.5)] = CONCERN_TOPICS.index("response time")

    praise_kind = np.where(card & (rng.random(n) < 0.55), 1, 0)
    after_youth = (area == y) & (day >= _day(city.days, YOUTH_PROGRAM_START) + 30)
    praise_kind[after_youth & (rng.random(n) < 0.45)] = 2
    # Body groups, in the order of `groups` below.
    n_topics = len(CONCERN_TOPICS)
    complaint, request, mixed = 3, 3 + n_topics, 4 + n_topics
    short_positive, short_negative, short_neutral, spanish_first = range(5 + n_topics, 9 + n_topics)
    short = ~spanish & (rng.random(n) < 0.12)
    group = np.select([tone == 0, tone == 1, tone == 2], [praise_kind, complaint + topic, request], mixed)
    short_group = np.select([tone == 0, tone == 3], [short_positive, short_neutral], short_negative)
    group = np.where(short, short_group, group)
    group = np.where(spanish, spanish_first + tone, group)
    groups = [
        txt.PRAISE_EN,
        txt.PRAISE_EVENT_EN,
        txt.PRAISE_YOUTH_EN,
        *(txt.COMPLAINT_EN[t] for t in CONCERN_TOPICS),
        txt.REQUEST_EN,
        txt.MIXED_EN,
        txt.SHORT_POSITIVE_EN,
        txt.SHORT_NEGATIVE_EN,
        txt.SHORT_NEUTRAL_EN,
        txt.PRAISE_ES,
        txt.COMPLAINT_ES,
        txt.REQUEST_ES,
        txt.MIXED_ES,
    ]
    fields = _text_fields(city, area, rng)
    bank, body_idx = _pick(rng, groups, group)
    body = _render(bank, body_idx, fields)
    second = np.flatnonzero(~short & (rng.random(n) < 0.15))  # a few comments run to two sentences
    bank2, idx2 = _pick(rng, groups, group[second])
    differs = idx2 != body_idx[second]
    second, idx2 = second[differs], idx2[differs]
    body[second] = body[second] + " " + _render(bank2, idx2, {k: v[second] for k, v in fields.items()})

    opener_group = np.where(short, 2, spanish.astype(np.int64))
    opener_bank, opener_idx = _pick(rng, [txt.OPENERS_EN, txt.OPENERS_ES, ("",)], opener_group)
    tones = ("praise", "complaint", "request", "mixed")
    closer_groups = [txt.CLOSERS_EN[t] for t in tones] + [txt.CLOSERS_ES[t] for t in tones] + [("",)]
    closer_group = np.where(short, 8, tone + 4 * spanish)
    closer_bank, closer_idx = _pick(rng, closer_groups, closer_group)
    text = _render(opener_bank, opener_idx, fields) + body + _render(closer_bank, closer_idx, fields)

    contact = np.flatnonzero(rng.random(n) < CONTACT_SHARE)
    if len(contact):
        k = len(contact)
        contact_fields = {
            "street": fields["street"][contact],
            "d2": _numbers(2)[rng.integers(0, 100, k)],
            "d3": _numbers(3)[rng.integers(200, 1000, k)],
            "d4": _numbers(4)[rng.integers(0, 10_000, k)],
            "num": _numbers(4)[rng.integers(1000, 5000, k)],
            "first": np.array(txt.FIRST_NAMES, dtype=object)[rng.integers(0, len(txt.FIRST_NAMES), k)],
            "last": np.array(txt.LAST_NAMES, dtype=object)[rng.integers(0, len(txt.LAST_NAMES), k)],
        }
        contact_bank, contact_idx = _pick(
            rng, [txt.CONTACT_EN, txt.CONTACT_ES], spanish[contact].astype(np.int64)
        )
        text[contact] = text[contact] + _render(contact_bank, contact_idx, contact_fields)
    return text


# --- Concerns ---------------------------------------------------------------------------------------


def _concerns(city: City, events: Events, rng: np.random.Generator) -> pd.DataFrame:
    """Concerns residents raised and what was done, older ones mostly resolved."""
    n = city.scale.concerns
    days = city.days
    n_days = len(days)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([0.8, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.3, 1.1, 1, 0.9, 0.8])[month]
    intensity = (city.population.astype(float) ** 0.8)[:, None] * season[None, :]
    f, y = city.story["falling_trust"], city.story["youth_program"]
    fall_start = _day(days, FALL_START)
    intensity[f, fall_start:] *= 3.0
    flat = rng.choice(city.n * n_days, size=n, p=(intensity / intensity.sum()).ravel())
    area, day = flat // n_days, flat % n_days

    topic_weight = rng.dirichlet(np.full(len(CONCERN_TOPICS), 2.0), size=city.n)
    topic = _choose_rows(rng, topic_weight, area)
    youth_start = _day(days, YOUTH_PROGRAM_START)
    topic[(area == y) & (day < youth_start) & (rng.random(n) < 0.4)] = CONCERN_TOPICS.index("youth")
    troubled = (area == f) & (day >= fall_start)
    trouble = [CONCERN_TOPICS.index(t) for t in ("response time", "drugs", "violence", "fairness and bias")]
    pick = troubled & (rng.random(n) < 0.6)
    topic[pick] = rng.choice(trouble, size=int(pick.sum()))

    sources = txt.CONCERN_SOURCES
    source = rng.choice(len(sources), size=n, p=(0.35, 0.2, 0.1, 0.2, 0.15))
    quiet = (area == city.story["no_engagement"]) & np.isin(
        source, [sources.index("beat meeting"), sources.index("town hall")]
    )  # no meetings there: residents use the other channels
    source[quiet] = rng.choice(
        [sources.index(s) for s in ("survey", "online form", "phone")], size=int(quiet.sum())
    )

    # Raised at a meeting: linked to the area's latest meeting of that kind within 60 days, on its date.
    event = np.full(n, -1)
    for source_name, program_name in (
        ("beat meeting", "Beat / community meeting"),
        ("town hall", "Town hall"),
    ):
        meetings = np.flatnonzero(events.program == PROGRAMS.index(program_name))
        key = events.area[meetings] * (n_days + 1) + events.day[meetings]
        order = np.argsort(key, kind="stable")
        key, meetings = key[order], meetings[order]
        rows = np.flatnonzero(source == sources.index(source_name))
        position = np.searchsorted(key, area[rows] * (n_days + 1) + day[rows], side="right") - 1
        candidate = (
            meetings[np.maximum(position, 0)] if len(meetings) else np.zeros(len(rows), dtype=np.int64)
        )
        linked = (position >= 0) & (len(meetings) > 0)
        linked &= (events.area[candidate] == area[rows]) & (day[rows] - events.day[candidate] <= 60)
        event[rows[linked]] = candidate[linked]
        day[rows[linked]] = events.day[candidate[linked]]

    # Follow-through: most concerns close in weeks; the falling-trust area stalls.
    end = n_days - 1
    declined = rng.random(n) < DECLINE_SHARE
    median_days = np.where(declined, 20, RESOLVE_MEDIAN_DAYS)
    closed_day = day + np.ceil(rng.lognormal(np.log(median_days), 0.75)).astype(np.int64)
    stalled = (area == f) & (closed_day > _day(days, FALL_FREEZE)) & (rng.random(n) > 0.15)
    closed = (closed_day <= end) & ~stalled & (rng.random(n) >= NEVER_RESOLVED)
    in_progress = ~closed & (end - day > 10) & (rng.random(n) < 0.65)
    open_, in_progress_, resolved_, declined_ = (CONCERN_STATUSES.index(s) for s in CONCERN_STATUSES)
    status = np.where(
        closed, np.where(declined, declined_, resolved_), np.where(in_progress, in_progress_, open_)
    )

    n_topics = len(CONCERN_TOPICS)
    fields = _text_fields(city, area, rng)
    summary_bank, summary_idx = _pick(rng, [txt.CONCERN_SUMMARIES[t] for t in CONCERN_TOPICS], topic)
    action_groups = [txt.ACTIONS_RESOLVED[t] for t in CONCERN_TOPICS] + [
        txt.ACTIONS_IN_PROGRESS,
        txt.ACTIONS_DECLINED,
    ]
    action_group = np.select([status == resolved_, status == in_progress_], [topic, n_topics], n_topics + 1)
    action_bank, action_idx = _pick(rng, action_groups, action_group)

    order = np.lexsort((area, day))
    resolved = np.datetime_as_string(days[np.minimum(closed_day, end)], unit="D").astype(object)
    event_ids = events.frame["event_id"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "concern_id": _ids("C", n),
            "raised": np.datetime_as_string(days[day], unit="D").astype(object)[order],
            "area_id": city.ids[area][order],
            "topic": np.array(CONCERN_TOPICS, dtype=object)[topic][order],
            "summary": _render(summary_bank, summary_idx, fields)[order],
            "source": np.array(sources, dtype=object)[source][order],
            "status": np.array(CONCERN_STATUSES, dtype=object)[status][order],
            "action": _blank(_render(action_bank, action_idx, fields), status == open_)[order],
            "resolved": _blank(resolved, ~closed)[order],
            "event_id": _blank(event_ids[np.maximum(event, 0)], event < 0)[order],
        }
    )
    return frame[list(CONCERNS.names)]


# --- Attendees --------------------------------------------------------------------------------------


def _attendees(city: City, events: Events, rng: np.random.Generator) -> pd.DataFrame:
    """Sign-in sheets of youth programs, beat meetings, watch groups and workshops (pseudonymous keys)."""
    sign_in = [PROGRAMS.index(p) for p in SIGN_IN_PROGRAMS]
    sheets = np.flatnonzero(np.isin(events.program, sign_in) & ~np.isnan(events.attendance))
    attendance = events.attendance[sheets].astype(np.int64)
    signed = rng.binomial(attendance, SIGN_IN_RATE)
    usual_youth = np.array([PROFILES[p].youth for p in PROGRAMS])[events.program[sheets]]
    youth_counted = np.where(
        np.isnan(events.youth[sheets]), np.round(attendance * usual_youth), events.youth[sheets]
    )
    youth = np.minimum(rng.binomial(youth_counted.astype(np.int64), SIGN_IN_RATE), signed)
    counts = {"adult": signed - youth, "youth": youth}

    # Each area has a pool of adults and of young people; some come often, most once or twice.
    area = events.area[sheets]
    adult_age = city.shares.copy()
    adult_age[:, 0] = 0.0
    pools: dict[tuple[str, int], tuple[int, int]] = {}
    home, age, weight = [], [], []
    start = 0
    for a in range(city.n):
        for kind in ("adult", "youth"):
            total = int(counts[kind][area == a].sum())
            if total == 0:
                continue
            size = max(10, math.ceil(POOL_PER_SIGN_IN[kind] * total))
            pools[(kind, a)] = (start, size)
            start += size
            elsewhere = rng.random(size) < 0.12
            home.append(np.where(elsewhere, rng.integers(0, city.n, size), a))
            if kind == "youth":
                age.append(np.zeros(size, dtype=np.int64))
            else:
                age.append(_choose_rows(rng, adult_age, np.full(size, a)))
            weight.append(rng.lognormal(0.0, 1.0, size))
    home_area = np.concatenate(home)
    age_group = np.concatenate(age)
    propensity = np.concatenate(weight)
    home_area_id = _blank(city.ids[home_area], rng.random(start) < 0.04)
    age_label = _labels(AGE_GROUPS, np.where(rng.random(start) < 0.05, -1, age_group))
    keys = np.array([f"P{k:08x}" for k in rng.choice(16**8, size=start, replace=False)], dtype=object)

    event_rows, people = [], []
    for i, sheet in enumerate(sheets):
        for kind in ("adult", "youth"):
            k = int(counts[kind][i])
            if k == 0:
                continue
            first, size = pools[(kind, int(area[i]))]
            p = propensity[first : first + size]
            chosen = first + rng.choice(size, size=min(k, size), replace=False, p=p / p.sum())
            people.append(np.sort(chosen))
            event_rows.append(np.full(len(chosen), sheet))
    person = np.concatenate(people)
    event = np.concatenate(event_rows)
    frame = pd.DataFrame(
        {
            "event_id": events.frame["event_id"].to_numpy(dtype=object)[event],
            "participant_key": keys[person],
            "age_group": age_label[person],
            "home_area_id": home_area_id[person],
        }
    )
    return frame[list(ATTENDEES.names)]


# --- Published scores -------------------------------------------------------------------------------


def _quarters(days: np.ndarray) -> np.ndarray:
    """First day of every calendar quarter lying wholly inside the span."""
    months = np.unique(days.astype("datetime64[M]"))
    starts = months[months.astype(np.int64) % 3 == 0]
    return np.array(
        [
            s
            for s in starts
            if s.astype("datetime64[D]") >= days[0] and (s + 3).astype("datetime64[D]") - 1 <= days[-1]
        ]
    )


def _area_scores(city: City, responses: Responses) -> pd.DataFrame:
    """Quarterly published scores per area and for the city (with age breakdowns), from the surveys."""
    quarters = _quarters(city.days)
    month = city.days[responses.day].astype("datetime64[M]")
    quarter_start = month - (month.astype(np.int64) % 3).astype("timedelta64[M]")
    quarter = np.searchsorted(quarters, quarter_start)
    in_quarter = (quarter < len(quarters)) & (
        quarters[np.minimum(quarter, len(quarters) - 1)] == quarter_start
    )
    survey = np.isin(responses.channel, [CHANNELS.index("online survey"), CHANNELS.index("phone survey")])
    n_q, n_a = len(quarters), city.n
    parts = []
    for metric in SCORE_METRICS:
        value = responses.scores[metric]
        ok = in_quarter & survey & ~np.isnan(value)
        q, a, v, g = quarter[ok], responses.area[ok], value[ok], responses.age[ok]
        groupings = (
            ("area", q * n_a + a, n_q * n_a, None),
            ("city", q, n_q, None),
            ("city", q * len(AGE_GROUPS) + np.maximum(g, 0), n_q * len(AGE_GROUPS), g >= 0),
        )
        for level, key, size, keep in groupings:
            mask = np.ones(len(key), dtype=bool) if keep is None else keep
            total = np.bincount(key[mask], weights=v[mask], minlength=size)
            count = np.bincount(key[mask], minlength=size)
            cells = np.flatnonzero(count >= (30 if keep is not None else 1))
            if level == "area":
                cell_quarter, area_id, group = cells // n_a, city.ids[cells % n_a], None
            elif keep is None:
                cell_quarter, area_id, group = cells, "city", None
            else:
                cell_quarter = cells // len(AGE_GROUPS)
                area_id = "city"
                group = np.array([f"age: {label}" for label in AGE_GROUPS], dtype=object)[
                    cells % len(AGE_GROUPS)
                ]
            parts.append(
                pd.DataFrame(
                    {
                        "period_start": quarters[cell_quarter].astype("datetime64[D]"),
                        "level": level,
                        "area_id": area_id,
                        "metric": metric,
                        "value": np.round(total[cells] / count[cells] * 10, 1),
                        "n": count[cells],
                        "group": group,
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    start = frame["period_start"].to_numpy()
    end = (start.astype("datetime64[M]") + 3).astype("datetime64[D]") - 1
    frame["period_end"] = np.datetime_as_string(end, unit="D")
    frame["period_start"] = np.datetime_as_string(start, unit="D")
    frame["_level"] = (frame["level"] == "area").astype(int)
    frame["_group"] = frame["group"].fillna("")
    frame["_metric"] = frame["metric"].map(SCORE_METRICS.index)
    frame = frame.sort_values(["period_start", "_level", "area_id", "_group", "_metric"], kind="stable")
    frame["n"] = frame["n"].astype("int64")
    return frame[list(AREA_SCORES.names)].reset_index(drop=True)


# --- Output -----------------------------------------------------------------------------------------

TABLE_NAMES: tuple[str, ...] = ("events", "responses", "concerns", "attendees", "area_scores")


def _command(scale: str, seed: int, fmt: str) -> str:
    """The command line that regenerates a data set."""
    out = "sample_data" if scale == "demo" else "DIR"
    command = f"python -m cpdash.sample --scale {scale} --seed {seed} --out {out}"
    if fmt != _default_format(scale):
        command += f" --format {fmt}"
    return command


def _default_format(scale: str) -> str:
    """csv for the small scales, parquet for the city scale."""
    return "parquet" if scale == "city" else "csv"


def _readme(
    manifest: dict,
    tables: dict[str, pd.DataFrame],
    n_areas: int,
    stories: dict[str, dict[str, object]],
    fmt: str,
) -> str:
    """The README.md written next to the data."""
    youth, falling = stories["youth_program"], stories["falling_trust"]
    none, costly = stories["no_engagement"], stories["costly_program"]
    lines = [
        f"# {manifest['name']}",
        "",
        f"**{NOTICE}** Riverton does not exist; its areas are drawn on real coordinates only so that a",
        "street basemap looks right. Names, addresses, phone numbers and e-mail addresses are made up.",
        "",
        "Regenerate it (same scale and seed give byte-identical files):",
        "",
        f"    {manifest['generated_by']}",
        "",
        "| file | rows |",
        "|---|---|",
        *(f"| `{name}.{fmt}` | {len(frame):,} |" for name, frame in tables.items()),
        f"| `areas.geojson` | {n_areas:,} area boundaries |",
        "",
        "Stories the data tells:",
        "",
        f"- **Youth program**: {youth['program']} starts in {youth['name']} (`{youth['area_id']}`) on {youth['start']};"
        f" trust rises from about {youth['trust_before']:.0f} to {youth['trust_after']:.0f} over the next 12 months.",
        f"- **Falling trust**: in {falling['name']} (`{falling['area_id']}`) trust falls from about"
        f" {falling['trust_before']:.0f} to {falling['trust_after']:.0f} from {falling['start']}, and open concerns pile up.",
        f"- **No engagement**: {none['name']} (`{none['area_id']}`) has no events at all, but residents answer surveys"
        " and raise concerns.",
        f"- **Costly program**: {costly['program']} costs about ${costly['cost_per_attendee']} per attendee,"
        " several times any other program.",
        "",
    ]
    return "\n".join(lines)


def _write(
    out: Path,
    tables: dict[str, pd.DataFrame],
    geojson: dict,
    manifest: dict,
    readme: str,
    fmt: str,
) -> None:
    """Write the tables, boundaries, manifest and README into `out` (replacing earlier table files)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLE_NAMES:
        for suffix in (".csv", ".parquet"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        else:
            frame.to_parquet(out / f"{name}.parquet", index=False)
    (out / "areas.geojson").write_text(json.dumps(geojson, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(readme, encoding="utf-8")


def generate(
    scale: str = "demo", seed: int = 7, out: Path | None = None, fmt: str = "csv"
) -> dict[str, pd.DataFrame | dict]:
    """Tables, areas, areas_geojson, manifest and stories of the city at `scale`; written to `out` if given."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; choose csv or parquet")
    spec = SCALES[scale]
    rng = np.random.default_rng(seed)
    city = _city(spec, rng)
    targets = _targets(city, rng)
    events = _events(city, rng)
    responses = _responses(city, events, targets, rng)
    tables: dict[str, pd.DataFrame] = {
        "events": events.frame,
        "responses": responses.frame,
        "concerns": _concerns(city, events, rng),
    }
    if spec.attendees:
        tables["attendees"] = _attendees(city, events, rng)
    tables["area_scores"] = _area_scores(city, responses)
    areas = _areas_frame(city)
    stories = _stories(spec)
    manifest = {
        "synthetic": True,
        "name": CITY_NAME,
        "scale": scale,
        "seed": seed,
        "generated_by": _command(scale, seed, fmt),
        "notice": NOTICE,
    }
    geojson = _geojson(city, areas)
    if out is not None:
        _write(Path(out), tables, geojson, manifest, _readme(manifest, tables, len(areas), stories, fmt), fmt)
    return {**tables, "areas": areas, "areas_geojson": geojson, "manifest": manifest, "stories": stories}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate the sample city into a folder."""
    parser = argparse.ArgumentParser(prog="python -m cpdash.sample", description=main.__doc__)
    parser.add_argument("--scale", choices=tuple(SCALES), default="demo")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), help="csv (demo) or parquet (city) by default"
    )
    args = parser.parse_args(argv)
    fmt = args.format or _default_format(args.scale)
    began = time.perf_counter()
    result = generate(args.scale, args.seed, args.out, fmt)
    for name in TABLE_NAMES:
        if name in result:
            print(f"{name:12} {len(result[name]):>10,} rows")
    print(f"wrote {args.out} in {time.perf_counter() - began:.1f} s")
    return 0
