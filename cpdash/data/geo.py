"""Area boundaries: GeoJSON parsing, area-id matching (by level), centroids, point-in-area lookups, the
hierarchy of levels (city ⊃ areas ⊃ districts ⊃ sectors ⊃ beats) and dissolving finer shapes into coarser."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from cpdash.data.schema import AREA_HIERARCHY

_AREA_WORDS = re.compile(r"\b(district|area|beat|sector|ward|zone|no)\b\.?", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
POLYGON_TYPES = ("Polygon", "MultiPolygon")


def area_key(value: str) -> str:
    """A matching key for an area id: `7`, `07`, `007`, ` District 7 ` all give `7`."""
    text = _AREA_WORDS.sub(" ", str(value).strip().lower())
    text = _NON_ALNUM.sub("", text)
    return _LEADING_ZEROS.sub("", text) or text


def level_rank(level: object) -> int:
    """The place of a level from coarsest (city, 0) to finest (beat); unknown levels after the known ones."""
    text = str(level).strip().lower() if isinstance(level, str) else ""
    return AREA_HIERARCHY.index(text) if text in AREA_HIERARCHY else len(AREA_HIERARCHY)


@dataclass(frozen=True)
class AreaIndex:
    """Known area ids, with a lookup tolerant of padding and wording (and, given levels, level by level)."""

    ids: tuple[str, ...]
    levels: tuple[str, ...] = ()  # the level of each id, when known

    @property
    def level_names(self) -> tuple[str, ...]:
        """The levels present, coarsest first."""
        return tuple(sorted({str(v) for v in self.levels if isinstance(v, str)}, key=level_rank))

    def at_level(self, level: str) -> AreaIndex:
        """The ids of one level (every id when the levels are not known)."""
        if not self.levels:
            return self
        pairs = [(i, lv) for i, lv in zip(self.ids, self.levels, strict=True) if lv == level]
        return AreaIndex(tuple(i for i, _ in pairs), tuple(lv for _, lv in pairs))

    def resolve(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Map raw ids to known ids; returns (resolved ids, mask of non-blank ids that match no area).

        An exact id wins; otherwise the key (`07` for `7`) of the coarsest level that has it.
        """
        known = set(self.ids)
        by_key: dict[str, str] = {}
        order = range(len(self.ids))
        if self.levels:
            order = sorted(order, key=lambda i: level_rank(self.levels[i]))
        for i in order:
            by_key.setdefault(area_key(self.ids[i]), self.ids[i])
        distinct = values.dropna().unique()
        mapping = {v: (v if v in known else by_key.get(area_key(v))) for v in distinct}
        resolved = values.map(mapping)
        unknown = values.notna() & resolved.isna()
        return resolved.astype("str").where(resolved.notna()), unknown


@dataclass(frozen=True)
class Boundaries:
    """Area polygons aligned with an ordered list of area ids."""

    area_ids: tuple[str, ...]
    geometries: tuple[object, ...]  # shapely geometries

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Area id containing each point, or None where a point lies in no area."""
        result = np.full(len(lat), None, dtype=object)
        if not self.geometries or len(lat) == 0:
            return result
        points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        tree = shapely.STRtree(list(self.geometries))
        point_idx, geom_idx = tree.query(points, predicate="intersects")
        ids = np.array(self.area_ids, dtype=object)
        # A point on a shared border belongs to the first area found; later matches do not overwrite.
        order = np.argsort(point_idx, kind="stable")
        point_idx, geom_idx = point_idx[order], geom_idx[order]
        first = np.unique(point_idx, return_index=True)[1]
        result[point_idx[first]] = ids[geom_idx[first]]
        return result


def polygon_from(geometry: object) -> tuple[object | None, str | None, bool]:
    """A GeoJSON geometry as a valid shapely (Multi)Polygon: (polygon or None, why not, whether it was repaired).

    Coordinates must be numbers on the globe; a boundary that crosses itself is repaired (shapely's
    make_valid, keeping its polygonal parts) and the caller says so.
    """
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else "none"
        return None, f"geometry must be a Polygon or MultiPolygon, not {kind}", False
    try:
        with warnings.catch_warnings():  # NaN coordinates: said below as the reason, not as a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(geometry)
        points = shapely.get_coordinates(geom)
    except Exception as exc:  # malformed coordinates: text, rings too short, ...
        return None, f"invalid geometry ({(str(exc).splitlines() or [''])[0][:80]})", False
    if not np.isfinite(points).all():
        return None, "geometry has coordinates that are not numbers (NaN or infinite)", False
    lon, lat = points[:, 0], points[:, 1]
    if len(points) and (np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
        worst = lon[np.argmax(np.abs(lon))] if np.abs(lon).max() > 180 else lat[np.argmax(np.abs(lat))]
        which = "lon" if np.abs(lon).max() > 180 else "lat"
        return None, f"geometry has coordinates outside the globe ({which} {worst:g})", False
    repaired = False
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        repaired = True
    if geom.is_empty or geom.geom_type not in POLYGON_TYPES:
        return None, "geometry is empty", False
    return geom, None, repaired


def parse_area_features(
    collection: dict, notes: list[str] | None = None
) -> tuple[pd.DataFrame, list, list[tuple[int, str]]]:
    """Feature properties as rows, their polygons, and (feature number, reason) for unusable geometry.

    Boundaries that cross themselves are repaired, and a note saying which is added to `notes`.
    """
    rows, geometries, problems, repaired = [], [], [], []
    for number, feature in enumerate(collection.get("features", []), start=1):
        props = dict(feature.get("properties") or {}) if isinstance(feature, dict) else {}
        geom, problem, fixed = polygon_from(feature.get("geometry") if isinstance(feature, dict) else None)
        if problem:
            problems.append((number, problem))
        if fixed:
            repaired.append(str(number))
        rows.append(props)
        geometries.append(geom)
    if repaired and notes is not None:
        notes.append(repaired_note(repaired))
    return pd.DataFrame.from_records(rows), geometries, problems


def repaired_note(numbers: list[str]) -> str:
    """What the report says of the boundaries (by feature number) that crossed themselves and were repaired."""
    one = len(numbers) == 1
    shown = ", ".join(numbers[:10]) + (", ..." if len(numbers) > 10 else "")
    return (
        f"{len(numbers):,} area boundar{'y' if one else 'ies'} crossed {'itself' if one else 'themselves'} and "
        f"{'was' if one else 'were'} repaired (feature {shown}): check them on the map"
    )


def label_points(geometries: list) -> tuple[np.ndarray, np.ndarray]:
    """A point inside each polygon (for labels and approximate placement): (lat, lon), NaN where none."""
    lat = np.full(len(geometries), np.nan)
    lon = np.full(len(geometries), np.nan)
    for i, geom in enumerate(geometries):
        if geom is not None:
            point = geom.point_on_surface()
            lat[i], lon[i] = point.y, point.x
    return lat, lon


def geojson_of(
    area_ids: list[str], names: list[str], geometries: list, levels: list[str] | None = None
) -> dict:
    """A clean FeatureCollection of the accepted areas (id and name, and level when given), for maps."""
    features = []
    for i, (area_id, name, geom) in enumerate(zip(area_ids, names, geometries, strict=True)):
        if geom is None:
            continue
        properties = {"area_id": area_id, "name": name}
        if levels is not None:
            properties["level"] = levels[i]
        features.append(
            {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": features}


def dissolve(keys: list[str | None], geometries: list) -> dict[str, object]:
    """The union of the shapes that share a key (beats dissolved into sectors), by key in order of first
    appearance; rows without a key or a shape are left out."""
    groups: dict[str, list] = {}
    for key, geom in zip(keys, geometries, strict=True):
        if key is None or geom is None:
            continue
        groups.setdefault(key, []).append(geom)
    out = {}
    for key, parts in groups.items():
        merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        if not merged.is_valid:
            merged = shapely.make_valid(merged)
        out[key] = merged
    return out


def ancestors(areas: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each area, the area it lies in at each coarser level (following parent_id): id -> {level: id}."""
    if "parent_id" not in areas or "level" not in areas or areas.empty:
        return {}
    ids = areas["area_id"].astype("str").tolist()
    parent = dict(zip(ids, areas["parent_id"].tolist(), strict=True))
    level = dict(zip(ids, areas["level"].tolist(), strict=True))
    out: dict[str, dict[str, str]] = {}
    for area_id in ids:
        chain: dict[str, str] = {}
        current = parent.get(area_id)
        seen = {area_id}
        while isinstance(current, str) and current in level and current not in seen:
            seen.add(current)
            chain.setdefault(str(level[current]), current)
            current = parent.get(current)
        out[area_id] = chain
    return out
