"""Area boundaries: GeoJSON parsing, area-id matching (by level), centroids, point-in-area lookups, the
hierarchy of levels (city ⊃ areas ⊃ districts ⊃ sectors ⊃ beats) and dissolving finer shapes into coarser."""

from __future__ import annotations

import re
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


def parse_area_features(collection: dict) -> tuple[pd.DataFrame, list, list[tuple[int, str]]]:
    """Feature properties as rows, their polygons, and (feature number, reason) for unusable geometry."""
    rows, geometries, problems = [], [], []
    for number, feature in enumerate(collection.get("features", []), start=1):
        props = dict(feature.get("properties") or {}) if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        geom = None
        if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
            kind = geometry.get("type") if isinstance(geometry, dict) else "none"
            problems.append((number, f"geometry must be a Polygon or MultiPolygon, not {kind}"))
        else:
            try:
                geom = shape(geometry)
                if not geom.is_valid:
                    geom = shapely.make_valid(geom)
                if geom.is_empty:
                    problems.append((number, "geometry is empty"))
                    geom = None
            except Exception as exc:  # malformed coordinates
                problems.append((number, f"invalid geometry ({exc})"))
                geom = None
        rows.append(props)
        geometries.append(geom)
    return pd.DataFrame.from_records(rows), geometries, problems


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
