"""The Participation page's reach: attendance per 10,000 residents in each area in scope
(cpdash.metrics.engagement.by_area), ranked, with the areas that had no event named."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.engagement import by_area
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt
from cpdash.views.participation_text import count_words, names_sentence

REACH_ALL_MAX = 40  # reach chart: every area up to this many; beyond, the top and bottom REACH_SHOW
REACH_SHOW = 10  # ... the top and bottom this many
NO_EVENT, NO_POPULATION, NOT_COUNTED = "no event", "population unknown", "attendance not counted"
REACH_COLUMNS = (
    "area_id",
    "name",
    "population",
    "events",
    "attendance",
    "events_without_attendance",
    "per_10k",
    "rank",
    "note",
)


@dataclass(frozen=True)
class Reach:
    """Attendance per 10,000 residents per area, ranked, and the areas with no event."""

    table: pd.DataFrame  # REACH_COLUMNS, most reached first
    shown: pd.DataFrame  # the rows the chart draws (every area, or the top and bottom REACH_SHOW), with part
    no_event: list[str]  # names of the areas in scope with no event
    caption: str
    no_event_text: str | None
    empty: str | None

    @property
    def download_label(self) -> str:
        """What the download button says: 'Download reach for all 30 areas (CSV)'."""
        n = len(self.table)
        return "Download reach for the area (CSV)" if n == 1 else f"Download reach for all {n:,} areas (CSV)"


def reach_table(src: Source, f: Filters, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per area in scope: REACH_COLUMNS (per_10k: attendance per 10,000 residents; rank: 1 = most reached,
    ties share a rank; note: no event | population unknown | attendance not counted); most reached first,
    then most events, then by name (`areas`: by_area of the filters, when the caller has it)."""
    areas = by_area(src, f) if areas is None else areas
    events = areas["events"].fillna(0).astype("int64").to_numpy()
    population = areas["population"].to_numpy(dtype="float64")
    attendance = areas["attendance"].to_numpy(dtype="float64")
    per_10k = areas["attendance_per_10k"].to_numpy(dtype="float64")
    note = np.select(
        [events == 0, np.isnan(population), np.isnan(attendance)], [NO_EVENT, NO_POPULATION, NOT_COUNTED], ""
    )
    known = np.sort(-per_10k[~np.isnan(per_10k)])
    rank = np.where(np.isnan(per_10k), np.nan, np.searchsorted(known, -per_10k, "left") + 1.0)
    out = pd.DataFrame(
        {
            "area_id": areas["area_id"].astype("str").to_numpy(dtype=object),
            "name": areas["name"].astype("str").to_numpy(dtype=object),
            "population": population,
            "events": events,
            "attendance": attendance,
            "events_without_attendance": areas["events_without_attendance"]
            .fillna(0)
            .astype("int64")
            .to_numpy(),
            "per_10k": per_10k,
            "rank": rank,
            "note": note,
        }
    )
    reach_key = np.where(np.isnan(per_10k), -np.inf, per_10k)
    names = out["name"].tolist()
    order = sorted(range(len(out)), key=lambda i: (-reach_key[i], -events[i], names[i]))
    return out.take(order).reset_index(drop=True)[list(REACH_COLUMNS)]


def reach_rows(table: pd.DataFrame, show: int = REACH_SHOW, all_max: int = REACH_ALL_MAX) -> pd.DataFrame:
    """The areas the chart draws: every area with events and a figure, or the top and bottom `show` when
    there are more than `all_max` (the full table is in the download); column part = top | bottom | all."""
    ranked = table[table["per_10k"].notna() & (table["events"] > 0)]
    if len(ranked) <= all_max:
        return ranked.assign(part="all").reset_index(drop=True)
    parts = [ranked.head(show).assign(part="top"), ranked.tail(show).assign(part="bottom")]
    return pd.concat(parts).reset_index(drop=True)


def reach_caption(table: pd.DataFrame) -> str:
    """The range of reach across areas, and what limits it."""
    if len(table) == 0 or table["events"].sum() == 0:
        return "No event in this period and selection."
    ranked = table[table["per_10k"].notna() & (table["events"] > 0)]
    parts = []
    if len(ranked) == 1:
        row = ranked.iloc[0]
        parts.append(
            f"{fmt.markdown_text(row['name'])}: {row['per_10k']:,.0f} attendees per 10,000 residents."
        )
    elif len(ranked) > 1:
        high, low = ranked.iloc[0], ranked.iloc[-1]
        parts.append(
            f"Reach ranges from {low['per_10k']:,.0f} attendees per 10,000 residents in "
            f"{fmt.markdown_text(low['name'])} to {high['per_10k']:,.0f} in {fmt.markdown_text(high['name'])} "
            f"(median {ranked['per_10k'].median():,.0f})."
        )
    for note, what in ((NO_POPULATION, "no population figure"), (NOT_COUNTED, "no attendance count")):
        n = int((table["note"] == note).sum())
        if n:
            parts.append(f"{count_words(n, 'area')} with events {'has' if n == 1 else 'have'} {what}.")
    return " ".join(parts)


def reach(src: Source, f: Filters, areas: pd.DataFrame | None = None) -> Reach:
    """Reach per area with its caption, the rows to chart and the areas without any event named."""
    table = reach_table(src, f, areas)
    shown = reach_rows(table)
    no_event = sorted(table.loc[table["note"] == NO_EVENT, "name"], key=lambda n: (str(n).lower(), n))
    no_event_text = None
    if no_event:
        noun = "area" if len(no_event) == 1 else "areas"
        no_event_text = f"No engagement in {len(no_event):,} {noun}: {names_sentence(no_event)}."
    empty = None
    if len(table) == 0:
        empty = "No area in scope."
    elif table["events"].sum() == 0:
        empty = "No event in this period and selection: no area was reached."
    elif len(shown) == 0:
        if table["population"].isna().all():
            empty = "Attendance per 10,000 residents needs area populations, which the data does not have."
        else:
            empty = "No event in the areas with a known population has an attendance count."
    return Reach(table, shown, no_event, reach_caption(table), no_event_text, empty)


def reach_download(r: Reach) -> pd.DataFrame:
    """Every area in scope, ranked, for the CSV."""
    t = r.table
    return pd.DataFrame(
        {
            "Rank": t["rank"],
            "Area": t["name"],
            "Area id": t["area_id"],
            "Population": t["population"],
            "Events": t["events"],
            "Attendance": t["attendance"],
            "Events without an attendance count": t["events_without_attendance"],
            "Attendance per 10,000 residents": t["per_10k"].round(1),
            "Note": t["note"],
        }
    )
