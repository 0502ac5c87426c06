"""What an import is checked against: the areas (every level, with their parents), the events already
stored (for ids and overlapping rows) and the department's program taxonomy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from shapely.geometry import shape

from cpdash.data.dataset import Dataset
from cpdash.data.geo import AreaIndex, Boundaries, level_rank
from cpdash.data.load import area_index, base_boundaries, load_dataset
from cpdash.data.programs import Taxonomy, built_in, load_taxonomy

EVENT_COLUMNS = ("event_id", "start", "area_id", "title", "program")


@dataclass
class Context:
    """What the import is checked against: the data already in the target."""

    areas: pd.DataFrame | None = (
        None  # known areas (area_id, name, level, parent_id, centroids), None when unknown
    )
    index: AreaIndex | None = None
    boundaries: Boundaries | None = None  # of the coarsest level below the city
    event_ids: set[str] | None = None
    areas_have_boundaries: bool = False
    events: pd.DataFrame | None = None  # stored events (EVENT_COLUMNS), for rows an import shares with them
    taxonomy: Taxonomy = field(default_factory=built_in)

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels of the stored areas, coarsest first."""
        if self.index is not None and self.index.levels:
            return self.index.level_names
        if self.areas is not None and "level" in self.areas:
            return tuple(sorted(set(self.areas["level"].dropna().astype("str")), key=level_rank))
        return ()

    def areas_at(self, level: str) -> pd.DataFrame | None:
        """The stored areas of one level (None when there are none)."""
        if self.areas is None or "level" not in self.areas:
            return None
        rows = self.areas[(self.areas["level"] == level).fillna(False).to_numpy(dtype=bool)]
        return rows if len(rows) else None


def context_from_dataset(ds: Dataset, taxonomy: Taxonomy | None = None) -> Context:
    """What an import into the loaded data set is checked against."""
    areas_report = ds.report.tables.get("areas")
    has_areas = areas_report is not None and areas_report.status == "loaded"
    boundaries = None
    if ds.areas_geojson:
        ids, geoms = [], []
        for feature in ds.areas_geojson.get("features", []):
            ids.append(str(feature["properties"]["area_id"]))
            geoms.append(shape(feature["geometry"]))
        known = set(ids)
        areas = ds.areas[ds.areas["area_id"].isin(known)] if len(ds.areas) else None
        by_id = dict(zip(ids, geoms, strict=True))
        if areas is not None:
            ordered = areas["area_id"].astype("str").tolist()
            boundaries = base_boundaries(areas, Boundaries(tuple(ordered), tuple(by_id[i] for i in ordered)))
    events = None
    if len(ds.events):
        events = ds.events[[c for c in EVENT_COLUMNS if c in ds.events]]
    return Context(
        areas=ds.areas if len(ds.areas) else None,
        index=area_index(ds.areas) if has_areas else None,
        boundaries=boundaries,
        event_ids=set(ds.events["event_id"]) if len(ds.events) else None,
        areas_have_boundaries=bool(ds.areas_geojson),
        events=events,
        taxonomy=taxonomy or built_in(),
    )


def context_for(source: str | Path) -> Context:
    """The context of importing into a data source (its areas, events and programs)."""
    ds = load_dataset(source, tables=("areas", "events"))
    return context_from_dataset(ds, load_taxonomy(source))
