"""The panel beside the map: what a click chose (an area or an event), an event's details, and an area's
figures in words with its recent events and its oldest open concerns. An area's figures are the ones the
map shows for it (cpdash.views.map_areas); its scores are the ones views.figures.score_figure gives for the
area alone (so that the Map and the other pages cannot disagree), hidden too when the map hides them to
protect another area. Streamlit-free."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.charts import maps
from cpdash.data.dataset import Dataset
from cpdash.data.filters import select
from cpdash.metrics import follow_through
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import HIDDEN, Policy
from cpdash.text.redact import redact_series
from cpdash.views import format as fmt
from cpdash.views.figures import hidden_in_set, score_figure, score_source, score_words
from cpdash.views.map_areas import SCORE_MEASURES, AreaFigures, engagement_words, measure_columns

RECENT_EVENTS = 5  # events listed in an area's details
OPEN_CONCERNS_LISTED = 5  # open concerns listed in an area's details


@dataclass(frozen=True)
class Picked:
    """What a click on the map chose: an area, an event, or neither."""

    area_id: str | None = None
    event_id: str | None = None


def parse_selection(state: object) -> Picked:
    """The area or event in a st.pydeck_chart selection state ({"selection": {"objects": {layer: [...]}}})."""
    try:
        objects = state["selection"]["objects"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return Picked()
    if not isinstance(objects, Mapping):
        return Picked()
    for layer, found in objects.items():
        if not found:
            continue
        item = found[0]
        if not isinstance(item, Mapping):
            continue
        if layer in (maps.EVENTS_LAYER, maps.APPROX_LAYER) and item.get("e") is not None:
            return Picked(event_id=str(item["e"]))
        if layer in (maps.AREAS_LAYER, maps.OUTLINE_LAYER):
            props = item.get("properties") if isinstance(item.get("properties"), Mapping) else item
            if props.get("area_id") is not None:
                return Picked(area_id=str(props["area_id"]))
    return Picked()


def find_event(events: pd.DataFrame, event_id: str | None) -> pd.Series | None:
    """The event with `event_id`, or None."""
    if not event_id or events.empty:
        return None
    hits = events[(events["event_id"] == event_id).to_numpy(dtype=bool)]
    return None if hits.empty else hits.iloc[0]


def event_lines(event: pd.Series) -> list[tuple[str, str]]:
    """An event's details as (label, plain text) pairs; the page escapes the text."""
    lines = [("Program", str(event["program"])), ("Date", f"{event['start']:%A %-d %B %Y, %H:%M}")]
    if "title" in event and pd.notna(event["title"]):
        lines.insert(0, ("Title", str(event["title"])))
    att = event.get("attendance")
    lines.append(("Attendance", "not counted" if att is None or pd.isna(att) else f"{att:,.0f}"))
    if "address" in event and pd.notna(event["address"]):
        lines.append(("Address", str(event["address"])))
    if bool(event.get("approximate", False)):
        lines.append(("Location", "placed approximately, at its beat's or area's centre"))
    return lines


@dataclass(frozen=True)
class AreaDetails:
    """What the panel beside the map shows for one area."""

    area_id: str
    name: str
    lines: tuple[str, ...]  # the area's figures in words (plain text: the page escapes them)
    recent: pd.DataFrame  # Date, Program, Title, Attendance: the latest events, newest first
    open_count: int | None  # concerns open at the end of the period (None: no concerns in the data)
    open_oldest: pd.DataFrame  # Raised, Days open, Topic, Status (and Summary for staff): the oldest few


def _plural(n: float, word: str) -> str:
    return f"{n:,.0f} {word}" + ("" if n == 1 else "s")


def figure_lines(
    src: Source, f: Filters, policy: Policy, figures: AreaFigures, area_id: str, measures: list[str]
) -> list[str]:
    """One area's figures in words: events and attendance, then each measure the data allows."""
    row = figures.table.loc[area_id]
    lines = [_plural(row["events"], "event") + " in the period"]
    if not fmt.is_missing(row["attendance"]):
        extra = row["events_without_attendance"]
        lines.append(
            f"{fmt.number(row['attendance'])} attendees"
            + (f" ({_plural(extra, 'event')} without a count)" if extra else "")
        )
    engaged = [m for m in measures if m.endswith("_per_10k")]
    lines += [engagement_words(row, measure) for measure in engaged]
    for measure in [m for m in measures if m not in engaged and m != "events"]:
        if measure in SCORE_MEASURES:
            lines.append(_score_line(src, f, policy, figures, area_id, measure))
        else:
            lines.append(str(_in_set(src, f, policy, figures, measure).at[area_id, "words"]))
    return lines


def _in_set(src: Source, f: Filters, policy: Policy, figures: AreaFigures, measure: str) -> pd.DataFrame:
    """The figures of `measure` for every area in scope (those of the map when it shows that measure)."""
    if measure == figures.measure:
        return figures.table
    return measure_columns(src, f, policy, measure, figures.table)


def _score_line(
    src: Source, f: Filters, policy: Policy, figures: AreaFigures, area_id: str, metric: str
) -> str:
    """The area's score as score_figure gives it for the area alone; hidden when the set of areas hides it."""
    fig = score_figure(src, metric, f.with_areas((area_id,)), policy, score_source(src, metric))
    if _in_set(src, f, policy, figures, metric).at[area_id, "status"] == HIDDEN and fig.status != HIDDEN:
        fig = hidden_in_set(fig)
    return score_words(fig, policy)


def recent_events(events: pd.DataFrame, area_id: str, n: int = RECENT_EVENTS) -> pd.DataFrame:
    """The area's latest `n` events among `events`, newest first: Date, Program, Title, Attendance."""
    mine = events[(events["area_id"] == area_id).to_numpy(dtype=bool)].tail(n).iloc[::-1]
    out = pd.DataFrame(
        {
            "Date": mine["start"].dt.date,
            "Program": mine["program"].astype("str"),
            "Title": mine["title"].astype("str") if "title" in mine else "",
            "Attendance": mine.get("attendance", np.nan),
        }
    )
    return out.reset_index(drop=True)


def open_concerns(concerns: pd.DataFrame, f: Filters, public: bool) -> pd.DataFrame:
    """The oldest of `concerns` still open at the end of the period (flagged by follow_through.concern_rows):
    Raised, Days open, Topic, Status, and for staff the Summary with personal details redacted."""
    rows = follow_through.concern_rows(concerns, f.with_areas(()))
    still = rows[rows[follow_through.FLAGS["open_at_end"]].to_numpy(dtype=bool)]
    end: dt.date = f.end
    out = pd.DataFrame(
        {
            "Raised": still["raised"].dt.date,
            "Days open": (pd.Timestamp(end) - still["raised"]).dt.days,
            "Topic": still["topic"].astype("str"),
            "Status": still["status"].fillna("open").astype("str") if "status" in still else "open",
        }
    )
    if not public and "summary" in still:
        out["Summary"] = redact_series(still["summary"].astype("string").fillna(""))
    out = out.sort_values("Days open", ascending=False, kind="stable").head(OPEN_CONCERNS_LISTED)
    return out.reset_index(drop=True)


def area_details(
    src: Source,
    ds: Dataset,
    f: Filters,
    policy: Policy,
    figures: AreaFigures,
    area_id: str,
    measures: list[str],
) -> AreaDetails:
    """One area's figures in words, its recent events and its oldest open concerns."""
    one = f.with_areas((area_id,))
    lines = figure_lines(src, f, policy, figures, area_id, measures)
    recent = recent_events(select(ds.events, one, "start", by_program=True), area_id)
    count, oldest = None, pd.DataFrame()
    if src.has("concerns"):
        counts = follow_through.follow_through(src, one)
        count = counts.open_at_end
        mine = ds.concerns[(ds.concerns["area_id"] == area_id).to_numpy(dtype=bool)]
        oldest = open_concerns(mine, f, policy.public)
    return AreaDetails(area_id, figures.names.get(area_id, area_id), tuple(lines), recent, count, oldest)
