"""Placing events that have no coordinates: at their beat's centre when the beat is known (a `beat` column,
or a title such as "2514 Beat Meeting"), else at their area's centre; always marked approximate."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cpdash.data.dataset import APPROXIMATE, CENTROID_LAT, CENTROID_LON
from cpdash.data.geo import AreaIndex, Boundaries, ancestors, area_key, level_rank
from cpdash.data.schema import AREAS
from cpdash.data.validate import empty_frame

BEAT = "beat"
# A beat named in a title: "2514 Beat Meeting", "Beat 2223 Meeting", "Beat #0614".
BEAT_IN_TITLE = re.compile(
    r"\bbeat\s*(?:no\.?|#)?\s*(\d{2,5}[a-z]?)\b|\b(\d{2,5}[a-z]?)\s*beat\b", re.IGNORECASE
)


def beat_named(titles: pd.Series) -> pd.Series:
    """The beat a title names ("2514 Beat Meeting" -> 2514); missing where it names none."""
    text = titles.astype("str").where(titles.notna())
    distinct = text.dropna().unique()
    found = {}
    for value in distinct:
        match = BEAT_IN_TITLE.search(value[:300])
        found[value] = (match.group(1) or match.group(2)) if match else None
    return text.map(found)


def _beat_centres(areas: pd.DataFrame) -> pd.DataFrame:
    """Beat-level areas with a centre: index the beat's key, columns area_id, lat, lon."""
    if "level" not in areas or CENTROID_LAT not in areas:
        return pd.DataFrame(columns=["area_id", "lat", "lon"])
    beats = areas[(areas["level"] == BEAT).fillna(False).to_numpy(dtype=bool) & areas[CENTROID_LAT].notna()]
    frame = pd.DataFrame(
        {
            "area_id": beats["area_id"].astype("str").to_numpy(),
            "lat": beats[CENTROID_LAT].to_numpy(),
            "lon": beats[CENTROID_LON].to_numpy(),
        },
        index=beats["area_id"].astype("str").map(area_key).to_numpy(),
    )
    return frame[~frame.index.duplicated(keep="first")]


def _in_its_area(beat_ids: pd.Series, area_ids: pd.Series, areas: pd.DataFrame) -> pd.Series:
    """True where a beat lies in the event's area as far as parent links tell (True when they do not)."""
    chains = ancestors(areas)
    if not chains:
        return pd.Series(True, index=beat_ids.index)
    level = dict(zip(areas["area_id"].astype("str"), areas["level"], strict=True))
    pairs = pd.DataFrame({"beat": beat_ids, "area": area_ids.astype("str")})
    verdict: dict[tuple[str, str], bool] = {}
    for beat, area in pairs.dropna().drop_duplicates().itertuples(index=False):
        above = chains.get(beat, {})
        at = above.get(str(level.get(area)))
        verdict[(beat, area)] = beat == area or at is None or at == area
    keys = list(zip(pairs["beat"], pairs["area"], strict=True))
    return pd.Series([verdict.get(k, True) for k in keys], index=beat_ids.index)


PLACED_AT = {
    "beat": "at its beat's centre",
    "beat events": "among its beat's other events",
    "area": "at its area's centre",
}


def locate(events: pd.DataFrame, areas: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Where to draw events without coordinates: (lat, lon, how) with how "beat" (its beat's centre),
    "beat events" (the median of its beat's located events) or "area" (its area's centroid); NaN/None where
    an event has coordinates or cannot be placed."""
    lat_given = events["lat"] if "lat" in events else pd.Series(np.nan, index=events.index)
    lon_given = events["lon"] if "lon" in events else pd.Series(np.nan, index=events.index)
    missing = lat_given.isna() | lon_given.isna()
    lat = pd.Series(np.nan, index=events.index)
    lon = pd.Series(np.nan, index=events.index)
    how = pd.Series(None, index=events.index, dtype="object")
    beats = pd.Series(None, index=events.index, dtype="object")
    if BEAT in events:
        beats = events[BEAT].astype("str").where(events[BEAT].notna()).astype("object")
    if "title" in events:
        beats = beats.fillna(beat_named(events["title"].where(missing)))
    centres = _beat_centres(areas)
    if len(centres) and beats.notna().any():
        keys = beats.where(missing).map(area_key, na_action="ignore")
        beat_ids = keys.map(centres["area_id"])
        ok = beat_ids.notna() & _in_its_area(beat_ids, events["area_id"], areas)
        lat[ok] = keys[ok].map(centres["lat"])
        lon[ok] = keys[ok].map(centres["lon"])
        how[ok & lat.notna()] = "beat"
    if BEAT in events and "lat" in events:
        located = events.loc[~missing & events[BEAT].notna()]
        medians = located.groupby(BEAT, observed=True)[["lat", "lon"]].median()
        rest = missing & lat.isna()
        lat[rest] = events.loc[rest, BEAT].map(medians["lat"])
        lon[rest] = events.loc[rest, BEAT].map(medians["lon"])
        how[rest & lat.notna()] = "beat events"
    by_area = missing & lat.isna()
    centre = areas.drop_duplicates("area_id").set_index("area_id")[[CENTROID_LAT, CENTROID_LON]]
    lat[by_area] = events.loc[by_area, "area_id"].map(centre[CENTROID_LAT])
    lon[by_area] = events.loc[by_area, "area_id"].map(centre[CENTROID_LON])
    how[by_area & lat.notna()] = "area"
    return lat, lon, how


def place_events(events: pd.DataFrame, areas: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Give events without coordinates their beat's centre (or the median of their beat's located events),
    else their area's centroid, marked approximate; returns the events and a note."""
    events = events.copy()
    for name in ("lat", "lon"):
        if name not in events:
            events[name] = np.nan
    missing = events["lat"].isna() | events["lon"].isna()
    events[APPROXIMATE] = False
    if not missing.any():
        return events, []
    lat, lon, how = locate(events, areas)
    placed = missing & lat.notna()
    events.loc[placed, "lat"] = lat[placed]
    events.loc[placed, "lon"] = lon[placed]
    events.loc[placed, APPROXIMATE] = True
    counts = how.value_counts()
    note = _note(
        int(missing.sum()), int(placed.sum()), int(counts.get("beat", 0)), int(counts.get("beat events", 0))
    )
    return events, [note]


def _note(n_missing: int, n_placed: int, by_shape: int, by_beat: int) -> str:
    """How the events without coordinates were placed, in words."""
    words = (
        f"{n_missing:,} event has no coordinates"
        if n_missing == 1
        else f"{n_missing:,} events have no coordinates"
    )
    if n_placed and by_shape:
        words += (
            f": {n_placed:,} placed approximately, {by_shape:,} at their beat's centre"
            + (f", {by_beat:,} among their beat's other events" if by_beat else "")
            + (
                f", {n_placed - by_shape - by_beat:,} at their area's centroid"
                if n_placed > by_shape + by_beat
                else ""
            )
        )
    elif n_placed:
        words += f": {n_placed:,} placed at their area's centroid" + (
            f" ({by_beat:,} at their beat's)" if by_beat else ""
        )
    if n_missing > n_placed:
        words += f"; {n_missing - n_placed:,} cannot be mapped (their area has no boundary)"
    return words


def base_boundaries(areas: pd.DataFrame | None, boundaries: Boundaries | None) -> Boundaries | None:
    """The boundaries of the coarsest level below the city (where events are checked against an area), so
    that a district's event is not said to lie in another area because a beat of it was found first."""
    if boundaries is None or areas is None or "level" not in areas:
        return boundaries
    levels = areas["level"].dropna().astype("str")
    below_city = sorted({lv for lv in levels if lv != "city"}, key=level_rank)
    if len(below_city) < 2:
        return boundaries
    keep = (areas["level"] == below_city[0]).fillna(False).to_numpy(dtype=bool)
    pairs = [(i, g) for i, g, k in zip(boundaries.area_ids, boundaries.geometries, keep, strict=True) if k]
    return Boundaries(tuple(i for i, _ in pairs), tuple(g for _, g in pairs))


def area_index(areas: pd.DataFrame) -> AreaIndex:
    """The index of known area ids, with their levels."""
    levels = tuple(areas["level"].astype("str")) if "level" in areas else ()
    return AreaIndex(tuple(areas["area_id"]), levels)


def areas_from_ids(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """Areas known only by the ids the other tables use (no names, boundaries or populations)."""
    ids = sorted(
        {
            str(v)
            for f in frames
            if f is not None and "area_id" in f
            for v in f["area_id"].dropna().unique()
            if str(v) != "city"
        }
    )
    frame = empty_frame(AREAS).reindex(range(len(ids)))
    frame["area_id"], frame["name"], frame["level"] = ids, ids, "area"
    frame[CENTROID_LAT] = np.nan
    frame[CENTROID_LON] = np.nan
    return frame
