"""Which areas a figure is about: the chosen ones, or every area at the level the events are recorded at.
One definition of the area scope, used by engagement, the map, participation and needs attention."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import Filters

SCOPE_COLUMNS = ("area_id", "name", "level", "population")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def names(src: Source) -> dict[str, str]:
    """area_id -> the name residents know it by (its id when it has none)."""
    areas = src.areas()
    if AREA not in areas.columns:
        return {}
    unique = areas.drop_duplicates(AREA)
    label = unique["name"] if "name" in unique.columns else unique[AREA]
    return dict(zip(unique[AREA].astype("str"), label.fillna(unique[AREA]).astype("str"), strict=True))


def event_levels(src: Source, events_areas: pd.Index) -> list[str]:
    """The levels of the areas that events are recorded at (empty when it cannot be told)."""
    areas = src.areas()
    if "level" not in areas.columns or AREA not in areas.columns:
        return []
    used = areas[areas[AREA].astype("str").isin(events_areas)]
    return sorted(used["level"].dropna().astype("str").unique())


def scope(src: Source, f: Filters, levels: list[str] | None = None) -> pd.DataFrame:
    """The areas in scope: the filters' areas, else every area at `levels` (every area when None or empty).

    Columns area_id, name, level, population, and the areas table's share_* columns; one row per area,
    sorted by area_id. A chosen id the areas table lacks is kept with its id as name.
    """
    areas = src.areas()
    table = areas.drop_duplicates(AREA) if AREA in areas.columns else pd.DataFrame({AREA: []})
    table = table.assign(**{AREA: table[AREA].astype("str")})
    if f.areas:
        chosen = pd.DataFrame({AREA: pd.Series(list(dict.fromkeys(f.areas)), dtype="str")})
        table = chosen.merge(table, on=AREA, how="left")
    elif levels and "level" in table.columns:
        table = table[table["level"].astype("str").isin(levels)]
    out = table.assign(
        name=(table["name"] if "name" in table.columns else table[AREA]).fillna(table[AREA]).astype("str"),
        level=table["level"] if "level" in table.columns else pd.NA,
        population=_numbers(table, "population"),
    )
    shares = [c for c in out.columns if c.startswith("share_")]
    return out[[*SCOPE_COLUMNS, *shares]].sort_values(AREA, kind="stable").reset_index(drop=True)
