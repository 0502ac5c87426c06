"""Community voice, events against trust: an area's score over time (cpdash.views.trends) above the
engagement events held there (a row-level list of the loaded events), and what the two show in words:
timing only, never cause."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.dataset import Dataset
from cpdash.data.filters import rows_in_period
from cpdash.metrics import scores
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import format as fmt
from cpdash.views.trends import CITY, score_trend

EVENT_COLUMNS = ["start", "program", "title", "attendance"]
NO_AREA = "Choose an area above to see its score month by month beside the events held there."


def area_events(ds: Dataset, f: Filters, area: str) -> pd.DataFrame:
    """The engagement events held in `area` in the period (and the sidebar's programs), by date."""
    if ds.events is None or len(ds.events) == 0 or "start" not in ds.events.columns:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    events = rows_in_period(ds.events, "start", f.start, f.end)
    events = events[(events["area_id"].astype("str") == area).to_numpy(dtype=bool)]
    if f.programs and "program" in events.columns:
        events = events[events["program"].isin(f.programs).to_numpy(dtype=bool)]
    return pd.DataFrame(
        {
            "start": events["start"],
            "program": events["program"].astype("str"),
            "title": events["title"].astype("string").fillna("") if "title" in events.columns else "",
            "attendance": pd.to_numeric(events["attendance"], errors="coerce")
            if "attendance" in events.columns
            else np.nan,
        },
        columns=EVENT_COLUMNS,
    ).reset_index(drop=True)


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The events of `area_events` for people: Date, Program, Title, Attendance."""
    return pd.DataFrame(
        {
            "Date": pd.to_datetime(events["start"]).dt.date,
            "Program": events["program"],
            "Title": events["title"],
            "Attendance": events["attendance"],
        }
    )


def _point(row: pd.Series) -> str:
    """'62 (Mar 2025, n=140)' for one point of a trend."""
    n = "n not published" if fmt.is_missing(row["n"]) else f"n={row['n']:,.0f}"
    return f"{row['score']:.0f} ({row['period']}, {n})"


def timing_summary(trend: pd.DataFrame, events: pd.DataFrame, area_name: str, label: str) -> str:
    """What the chart shows, in words, as timing only: the score's first and last point and the events.
    Points the policy hides are already gaps in `trend`."""
    own = trend[(trend["series"] != CITY).to_numpy(dtype=bool)] if len(trend) else trend
    own = own[own["score"].notna()] if len(own) else own
    parts = []
    if len(own) >= 2:
        parts.append(f"{label} in {area_name} went from {_point(own.iloc[0])} to {_point(own.iloc[-1])}.")
    elif len(own) == 1:
        parts.append(f"{label} in {area_name}: {_point(own.iloc[0])}.")
    else:
        parts.append(f"Not enough {label.lower()} answers in {area_name} in this period to draw a trend.")
    if len(events):
        counts = events["program"].value_counts()
        top = ", ".join(f"{p} ({c:,})" for p, c in counts.head(3).items())
        noun = "event was" if len(events) == 1 else "events were"
        parts.append(f"{len(events):,} engagement {noun} held there in the period, most often {top}.")
    else:
        parts.append("No engagement event was held there in the period.")
    parts.append(
        "The chart shows what happened when, not why: a change after an event does not show that the event "
        "caused it."
    )
    return " ".join(parts)


@dataclass(frozen=True)
class EventsTab:
    """The Events and trust tab for one area."""

    empty: str  # why nothing is drawn ('' when something is)
    label: str
    area_name: str
    trend: pd.DataFrame  # cpdash.views.trends columns
    events: pd.DataFrame  # EVENT_COLUMNS
    summary: str
    note: str
    table: pd.DataFrame
    table_title: str


def events_tab(
    ds: Dataset,
    src: Source,
    f: Filters,
    policy: Policy,
    metric: str | None,
    source: str | None,
    area: str | None,
    area_name: str,
) -> EventsTab:
    """Everything the Events and trust tab shows for one area (and score, when the data has one)."""
    if area is None:
        return EventsTab(NO_AREA, "", "", pd.DataFrame(), pd.DataFrame(), "", "", pd.DataFrame(), "")
    label = scores.LABELS.get(metric, "Trust") if metric else "Trust"
    trend = pd.DataFrame(columns=["series", "when", "score"])
    note = "No survey answers in the data: only the events can be drawn."
    if metric is not None and source:
        trend, note = score_trend(src, metric, f, policy, area, area_name, source), ""
    events = area_events(ds, f, area)
    summary = timing_summary(trend, events, area_name, label)
    title = f"The {len(events):,} events in {fmt.markdown_text(area_name)}" if len(events) else ""
    return EventsTab("", label, area_name, trend, events, summary, note, events_table(events), title)
