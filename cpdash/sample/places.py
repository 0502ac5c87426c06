"""The sample city's places: area boundaries, names and people, streets, addresses and venues."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from cpdash.data.schema import AGE_SHARE_COLUMNS, AREAS
from cpdash.sample import text as txt
from cpdash.sample.stories import END_DATE, STORY_NAMES, Scale, _area_id

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
