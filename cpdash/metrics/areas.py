"""Which areas a figure is about: the chosen ones, or every area at the level the events are recorded at.
One definition of the area scope, used by engagement, the map, participation and needs attention."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import Filters

SCOPE_COLUMNS = ("area_id", "name", "level", "parent_id", "population")


def normalise(areas: pd.DataFrame | None) -> pd.DataFrame:
    """The areas table as figures read it, once per data set: one row per area_id (text), its name (its id
    when it has none), level, parent_id, population and share_* columns as numbers; sorted by area_id."""
    if areas is None or AREA not in areas.columns:
        return pd.DataFrame(
            {c: pd.Series(dtype="float64" if c == "population" else "str") for c in SCOPE_COLUMNS}
        )
    table = areas.drop_duplicates(AREA)
    ids = table[AREA].astype("str")
    out = {AREA: ids}
    out["name"] = (table["name"].astype("str") if "name" in table.columns else ids).where(
        table.get("name", ids).notna(), ids
    )
    for column in ("level", "parent_id"):
        out[column] = (
            table[column].astype("string")
            if column in table.columns
            else pd.Series(pd.NA, index=table.index, dtype="string")
        )
    numbers = [
        "population",
        "centroid_lat",
        "centroid_lon",
        *(c for c in table.columns if c.startswith("share_")),
    ]
    for column in numbers:
        out[column] = (
            pd.to_numeric(table[column], errors="coerce").astype("float64")
            if column in table.columns
            else np.nan
        )
    return pd.DataFrame(out).sort_values(AREA, kind="stable").reset_index(drop=True)


def names(src: Source) -> dict[str, str]:
    """area_id -> the name residents know it by (its id when it has none)."""
    areas = src.areas()
    return dict(zip(areas[AREA], areas["name"], strict=True))


def scope(src: Source, f: Filters, levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The areas in scope: the filters' areas, else every area at `levels` (every area when None or empty).

    The columns of `normalise`, one row per area, sorted by area_id; a chosen id the areas table lacks is
    kept with its id as name and no population.
    """
    areas = src.areas()
    if f.areas:
        chosen = sorted(dict.fromkeys(str(a) for a in f.areas))
        out = areas.set_index(AREA).reindex(pd.Index(chosen, dtype="str", name=AREA)).reset_index()
        out["name"] = out["name"].fillna(out[AREA])
        return out
    if levels:
        return areas[areas["level"].isin(list(levels)).fillna(False).to_numpy(dtype=bool)].reset_index(
            drop=True
        )
    return areas
