"""The Map page's figures: per-area measures (from cpdash.metrics), what the data allows, the accessible
twin table, and the details of a clicked area or event. Streamlit-free."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.charts.maps import Choropleth
from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.data.filters import rows_in_period, select
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt
from cpdash.views import participation

# --- constants -------------------------------------------------------------------------------------

LAYER_EVENTS, LAYER_DENSITY, LAYER_AREAS = "events", "density", "areas"
LAYER_LABELS = {LAYER_EVENTS: "Events", LAYER_DENSITY: "Density", LAYER_AREAS: "Areas"}
WEIGHT_LABELS = {"events": "Events", "attendance": "Attendance"}
RECENT_EVENTS = 5  # events listed in an area's details
OPEN_CONCERNS_LISTED = 5  # open concerns listed in an area's details
SCORE_MEASURES = ("trust", "safety")
ENGAGEMENT_MEASURES = ("events", "events_per_10k", "attendance_per_10k")
FIGURE_COLUMNS = (
    "name",
    "population",
    "events",
    "attendance",
    "events_without_attendance",
    "events_per_10k",
    "attendance_per_10k",
    *(f"{m}{s}" for m in SCORE_MEASURES for s in ("", "_n", "_low", "_high")),
    "sentiment",
    "sentiment_n",
    "positive",
    "negative",
    "open_concerns",
    "concerns_raised",
    "concerns_resolved",
)


@dataclass(frozen=True)
class Measure:
    """A figure the areas layer can colour by."""

    key: str
    label: str  # for the selector and the table
    title: str  # for the legend: with the scale and units
    unit: str = ""
    decimals: int = 0
    diverging: bool = False
    whole: bool = False
    response_based: bool = False  # rests on responses: suppressed below k


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("trust", "Trust score", "Trust score, 0–100 (not a percentage)", response_based=True),
        Measure("safety", "Safety score", "Safety score, 0–100 (not a percentage)", response_based=True),
        Measure("events_per_10k", "Events per 10,000 residents", "Events per 10,000 residents", decimals=1),
        Measure("attendance_per_10k", "Attendance per 10,000 residents", "Attendees per 10,000 residents"),
        Measure(
            "open_concerns", "Open concerns", "Concerns open at the end of the period (count)", whole=True
        ),
        Measure(
            "sentiment",
            "Net comment sentiment",
            "Net comment sentiment: % positive − % negative comments",
            unit="points",
            diverging=True,
            response_based=True,
        ),
        Measure("events", "Events", "Events in the period (count)", whole=True),
    )
}
MEASURE_LABELS = {key: m.label for key, m in MEASURES.items()}


# --- what the data allows -----------------------------------------------------------------------------


def _has_values(frame: pd.DataFrame | None, column: str) -> bool:
    """True when `frame` has `column` with at least one known value."""
    return frame is not None and len(frame) > 0 and column in frame and bool(frame[column].notna().any())


def measure_options(ds: Dataset) -> tuple[list[str], dict[str, str]]:
    """The measures the data allows, in menu order, and why each other one is missing."""
    missing: dict[str, str] = {}
    has_responses = ds.has("responses")
    for metric, word in (("trust", "trust"), ("safety", "safety")):
        if not has_responses:
            missing[metric] = "no individual survey responses in the data"
        elif not _has_values(ds.responses, metric):
            missing[metric] = f"the survey responses have no {word} answers"
    has_population = _has_values(ds.areas, "population")
    if not has_population:
        missing["events_per_10k"] = "the areas have no population figures"
        missing["attendance_per_10k"] = "the areas have no population figures"
    elif not _has_values(ds.events, "attendance"):
        missing["attendance_per_10k"] = "the events have no attendance counts"
    if not ds.has("concerns"):
        missing["open_concerns"] = "no concerns table in the data"
    if not has_responses:
        missing["sentiment"] = "no individual survey responses in the data"
    elif not _has_values(ds.responses, SENTIMENT):
        missing["sentiment"] = "no scored comments in the survey responses"
    available = [key for key in MEASURES if key not in missing]
    return available, missing


def layer_options(ds: Dataset, has_shapes: bool) -> tuple[list[str], dict[str, str]]:
    """The map layers the data allows, and why each other one is missing."""
    missing: dict[str, str] = {}
    if not _has_values(ds.events, "lat"):
        reason = (
            "no event has coordinates, and the areas have no outlines to place them in"
            if not has_shapes
            else "no event could be placed"
        )
        missing[LAYER_EVENTS] = reason
        missing[LAYER_DENSITY] = reason
    if not has_shapes:
        missing[LAYER_AREAS] = "the areas have no outlines (an areas.geojson file)"
    return [key for key in LAYER_LABELS if key not in missing], missing


def missing_text(missing: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """'Not available: Trust score (no individual survey responses in the data); ...'."""
    if not missing:
        return ""
    by_reason: dict[str, list[str]] = {}
    for key, reason in missing.items():
        by_reason.setdefault(reason, []).append(labels[key])
    parts = [f"{', '.join(names)} ({reason})" for reason, names in by_reason.items()]
    return "Not available: " + "; ".join(parts) + "."


# --- per-area figures ---------------------------------------------------------------------------------


def _events_in(ds: Dataset, f: Filters) -> pd.DataFrame:
    """Events in the filters (period, areas, programs)."""
    return select(ds.events, f, "start", by_program=True)


def _engagement(
    ds: Dataset, f: Filters, events: pd.DataFrame, basis: participation.Basis | None = None
) -> pd.DataFrame:
    """Events, attendance and both per 10,000 residents per area in scope (engagement_by or reach_table)."""
    if basis is not None:  # the same figures from the cached arrays (tests check they equal engagement_by)
        reach = participation.reach_table(basis, f)
        out = pd.DataFrame(
            {
                "name": reach["name"].astype("str").to_numpy(),
                "population": reach["population"].to_numpy(dtype="float64"),
                "events": reach["events"].to_numpy(dtype="int64"),
                "attendance": reach["attendance"].to_numpy(dtype="float64"),
                "events_without_attendance": reach["events_without_attendance"].to_numpy(dtype="int64"),
                "attendance_per_10k": reach["per_10k"].to_numpy(dtype="float64"),
            },
            index=pd.Index(reach["area_id"].astype("str").to_numpy(), name="area_id"),
        ).sort_index()
        population = out["population"].where(out["population"] > 0)
        return out.assign(events_per_10k=out["events"] / population * metrics.PER_POPULATION)
    keep = [c for c in ("event_id", "start", "area_id", "attendance") if c in events]
    eng = metrics.engagement_by(
        events[keep], ds.areas, f.start, f.end, by="area_id", area_ids=list(f.areas) or None
    )
    out = eng.set_index(eng["area_id"].astype("str"))[
        ["name", "population", "events", "attendance", "events_without_attendance", "attendance_per_10k"]
    ]
    population = out["population"].where(out["population"] > 0)
    out = out.assign(events_per_10k=out["events"] / population * metrics.PER_POPULATION)
    if "attendance" not in events:
        out = out.assign(attendance=np.nan, attendance_per_10k=np.nan)
    return out


def _scope(
    ds: Dataset, f: Filters, events: pd.DataFrame, basis: participation.Basis | None = None
) -> pd.DataFrame:
    """Name and population of every area in scope (metrics.scope_areas, or its cached form)."""
    if basis is not None:
        scope = participation.scope_table(basis, f)
    else:
        scope = metrics.scope_areas(events[["area_id"]], ds.areas, list(f.areas) or None)
    return scope.set_index(scope["area_id"].astype("str"))[["name", "population"]]


def _responses_narrow(ds: Dataset, f: Filters) -> pd.DataFrame | None:
    """Responses in the filters: the map's columns only, with one categorical area key."""
    if not ds.has("responses"):
        return None
    responses = select(ds.responses, f, "submitted")
    narrow = {"area_id": pd.Categorical(responses["area_id"]), "submitted": responses["submitted"]}
    for column in (*SCORE_MEASURES, SENTIMENT):
        if column in responses:
            narrow[column] = responses[column]
    return pd.DataFrame(narrow, index=responses.index)


def _add_scores(out: pd.DataFrame, responses: pd.DataFrame, metric: str, k: int) -> None:
    """Score, n and interval of `metric` per area (metrics.scores_by) into `out`."""
    if metric not in responses:
        return
    scores = metrics.scores_by(responses, metric, "area_id", k)
    scores = scores.set_index(scores["area_id"].astype("str"))
    out[metric] = scores["score"].reindex(out.index)
    out[metric + "_n"] = scores["n"].reindex(out.index).fillna(0)
    out[metric + "_low"] = scores["low"].reindex(out.index)
    out[metric + "_high"] = scores["high"].reindex(out.index)


def _add_sentiment(out: pd.DataFrame, responses: pd.DataFrame) -> None:
    """Net comment sentiment per area over the period (the months' shares weighted by n) into `out`."""
    if SENTIMENT not in responses:
        return
    monthly = metrics.monthly_net_sentiment(responses, by="area_id")
    counts = pd.DataFrame(
        {
            "area_id": monthly["area_id"].astype("str"),
            "positive": monthly["positive"] * monthly["n"] / 100,
            "negative": monthly["negative"] * monthly["n"] / 100,
            "n": monthly["n"],
        }
    )
    counts = counts.groupby("area_id", sort=False)[["positive", "negative", "n"]].sum().reindex(out.index)
    known = counts["n"] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["positive"] = (counts["positive"] / counts["n"] * 100).where(known)
        out["negative"] = (counts["negative"] / counts["n"] * 100).where(known)
    out["sentiment"] = out["positive"] - out["negative"]
    out["sentiment_n"] = counts["n"].fillna(0).round()


def _add_concerns(out: pd.DataFrame, ds: Dataset, f: Filters) -> None:
    """Concerns open at the end of the period, raised and resolved in it, per area (follow_through_by)."""
    if not ds.has("concerns"):
        return
    concerns = select(ds.concerns, f, None)
    keep = [c for c in ("raised", "resolved", "status", "area_id") if c in concerns]
    follow = metrics.follow_through_by(concerns[keep], f.start, f.end, by="area_id")
    follow = follow.set_index(follow["area_id"].astype("str"))
    out["open_concerns"] = follow["open_at_end"].reindex(out.index).fillna(0)
    out["concerns_raised"] = follow["raised"].reindex(out.index).fillna(0)
    out["concerns_resolved"] = follow["resolved"].reindex(out.index).fillna(0)


def area_figures(
    ds: Dataset,
    f: Filters,
    k: int = metrics.K_DEFAULT,
    measures: Iterable[str] | None = None,
    basis: participation.Basis | None = None,
) -> pd.DataFrame:
    """The figures of `measures` (default all) per area in scope, columns FIGURE_COLUMNS (NaN if not asked)."""
    # Only what is asked for is computed: a filter change recomputes the layer on screen, not all six.
    wanted = set(MEASURES if measures is None else measures)
    events = _events_in(ds, f)
    engaged = bool(wanted & set(ENGAGEMENT_MEASURES))
    base = _engagement(ds, f, events, basis) if engaged else _scope(ds, f, events, basis)
    nothing = np.full(len(base), np.nan)
    columns = {c: base[c].to_numpy() if c in base else nothing for c in FIGURE_COLUMNS}
    out = pd.DataFrame(columns, index=base.index.rename("area_id"))
    out["name"] = out["name"].astype("str")
    if wanted & {*SCORE_MEASURES, "sentiment"}:
        responses = _responses_narrow(ds, f)
        if responses is not None:
            for metric in SCORE_MEASURES:
                if metric in wanted:
                    _add_scores(out, responses, metric, k)
            if "sentiment" in wanted:
                _add_sentiment(out, responses)
    if "open_concerns" in wanted:
        _add_concerns(out, ds, f)
    return out


def _plural(n: float, word: str) -> str:
    """'1 response', '12 responses'."""
    return f"{n:,.0f} {word}" + ("" if n == 1 else "s")


def _score_text(label: str, value: float, n: float, low: float, high: float, k: int, public: bool) -> str:
    """'Trust 62 (n=140; 95 % interval 58–66)', or why it is not shown."""
    n = 0 if pd.isna(n) else n
    if n == 0:
        return f"{label}: no responses in this period"
    if n < k:
        if public:
            return f"{label}: not enough responses (fewer than {k})"
        return f"{label} {fmt.number(value)} ⚠ (n={n:,.0f}: fewer than {k} responses, treat with care)"
    interval = f"; 95 % interval {fmt.number(low)}–{fmt.number(high)}" if not pd.isna(low) else ""
    return f"{label} {fmt.number(value)} (n={n:,.0f}{interval})"


def _sentiment_text(value: float, n: float, k: int, public: bool) -> str:
    """'Net comment sentiment +12 points (n=340 comments)', or why it is not shown."""
    n = 0 if pd.isna(n) else n
    if n == 0:
        return "Net comment sentiment: no scored comments in this period"
    if n < k:
        if public:
            return f"Net comment sentiment: not enough comments (fewer than {k})"
        return f"Net comment sentiment {fmt.signed(value, 0)} ⚠ (n={n:,.0f} comments: fewer than {k})"
    return f"Net comment sentiment {fmt.signed(value, 0)} points (n={n:,.0f} comments)"


def _engagement_text(row: Mapping, measure: str) -> str:
    """Events, or events or attendance per 10,000 residents, with what they rest on."""
    pop = row["population"]
    if measure == "events":
        return _plural(row["events"], "event") + " in the period"
    if pd.isna(pop) or pop <= 0:
        return f"{MEASURES[measure].label}: no population figure for this area"
    if measure == "events_per_10k":
        return (
            f"{fmt.number(row['events_per_10k'], 1)} events per 10,000 residents "
            f"({_plural(row['events'], 'event')}; population {pop:,.0f})"
        )
    missing = row["events_without_attendance"]
    extra = f"; {_plural(missing, 'event')} without a count" if missing else ""
    return (
        f"{fmt.number(row['attendance_per_10k'])} attendees per 10,000 residents "
        f"({fmt.number(row['attendance'])} attendees; population {pop:,.0f}{extra})"
    )


def measure_text(row: Mapping, measure: str, k: int, public: bool) -> str:
    """One area's figure for `measure`, in words a resident can read (with its n)."""
    if measure in SCORE_MEASURES:
        label = MEASURES[measure].label
        return _score_text(
            label, row[measure], row[measure + "_n"], row[measure + "_low"], row[measure + "_high"], k, public
        )
    if measure == "sentiment":
        return _sentiment_text(row["sentiment"], row["sentiment_n"], k, public)
    if measure == "open_concerns":
        return _plural(row["open_concerns"], "open concern") + " at the end of the period"
    return _engagement_text(row, measure)


def choropleth(figures: pd.DataFrame, measure: str, k: int, public: bool) -> Choropleth:
    """What the areas layer colours for `measure`; figures on fewer than k responses are not coloured."""
    m = MEASURES[measure]
    value = figures[measure].astype("float64")
    not_enough = pd.Series(False, index=figures.index)
    if m.response_based:
        not_enough = figures[f"{measure}_n"].fillna(0) < k
        value = value.where(~not_enough)
    rows = figures.to_dict("records")
    tooltips = [f"{row['name']}\n{measure_text(row, measure, k, public)}" for row in rows]
    return Choropleth(
        values=pd.DataFrame(
            {"value": value, "not_enough": not_enough.astype(bool), "tooltip": tooltips}, index=figures.index
        ),
        title=m.title,
        unit=m.unit,
        decimals=m.decimals,
        diverging=m.diverging,
        whole=m.whole,
        not_enough_label=f"not enough responses (fewer than {k})",
        no_figure_label="no population figure" if measure.endswith("_per_10k") else "no figure",
    )


# --- the accessible twin table ---------------------------------------------------------------------------


def _small_note(n: pd.Series, k: int, public: bool) -> pd.Series:
    """'⚠ fewer than 10 responses' (staff) or 'hidden: ...' (public) where 0 < n < k."""
    note = f"hidden: fewer than {k} responses" if public else f"⚠ fewer than {k} responses"
    return pd.Series(np.where((n > 0) & (n < k), note, ""), index=n.index)


def twin_table(figures: pd.DataFrame, layer: str, measure: str | None, k: int, public: bool) -> pd.DataFrame:
    """The map's figures as a table, one row per area, small numbers blank (public) or flagged (staff)."""
    out = pd.DataFrame({"Area": figures["name"].astype("str")}, index=figures.index)
    if layer != LAYER_AREAS or measure is None or measure in ENGAGEMENT_MEASURES:
        out["Events"] = figures["events"].astype("int64")
        if figures["attendance"].notna().any():
            out["Attendance"] = figures["attendance"]
            out["Events without an attendance count"] = figures["events_without_attendance"].astype("int64")
        if figures["population"].notna().any():
            out["Population"] = figures["population"]
            out["Events per 10,000 residents"] = figures["events_per_10k"].round(1)
            if figures["attendance"].notna().any():
                out["Attendance per 10,000 residents"] = figures["attendance_per_10k"].round(0)
    elif measure in SCORE_MEASURES:
        n = figures[f"{measure}_n"].fillna(0)
        shown = n >= k if public else n > 0
        label = MEASURES[measure].label
        out[f"{label} (0–100)"] = figures[measure].round(0).where(shown)
        out["Responses (n)"] = n.astype("int64")
        low, high = figures[f"{measure}_low"].round(0), figures[f"{measure}_high"].round(0)
        interval = low.map("{:.0f}".format) + "–" + high.map("{:.0f}".format)
        out["95 % interval"] = interval.where(shown & low.notna() & high.notna(), "")
        out["Small numbers"] = _small_note(n, k, public)
    elif measure == "sentiment":
        n = figures["sentiment_n"].fillna(0)
        shown = n >= k if public else n > 0
        out["Net comment sentiment (points)"] = figures["sentiment"].round(0).where(shown)
        out["Positive comments (%)"] = figures["positive"].round(0).where(shown)
        out["Negative comments (%)"] = figures["negative"].round(0).where(shown)
        out["Comments (n)"] = n.astype("int64")
        out["Small numbers"] = _small_note(n, k, public)
    elif measure == "open_concerns":
        out["Open at the end of the period"] = figures["open_concerns"].astype("int64")
        out["Raised in the period"] = figures["concerns_raised"].astype("int64")
        out["Resolved in the period"] = figures["concerns_resolved"].astype("int64")
    if "Small numbers" in out and not (out["Small numbers"] != "").any():
        out = out.drop(columns="Small numbers")
    return out.sort_values("Area", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)


def twin_caption(layer: str, measure: str | None, k: int, public: bool) -> str:
    """What the table below the map holds, and how small numbers are shown in it."""
    what = MEASURES[measure].label.lower() if layer == LAYER_AREAS and measure else "events and attendance"
    text = f"The map's figures ({what}) as a table, one row per area: click a column heading to sort."
    if layer == LAYER_AREAS and MEASURES.get(measure or "", MEASURES["events"]).response_based:
        text += f" Figures on fewer than {k} responses are " + (
            "hidden." if public else "flagged ⚠ and not coloured on the map."
        )
    return text


def map_notes(notes: Iterable[str], no_event: bool, offline: bool) -> str:
    """The notes under the map, one per line: what the layer leaves out, how to use it, offline mode."""
    lines = [note[0].upper() + note[1:] + "." for note in notes]
    if no_event:
        lines.insert(0, "No event in this period and selection.")
    lines.append("Hover over the map for figures; click an area or an event for its details.")
    if offline:
        lines.append("Offline: no street map is loaded; the areas are drawn so that you can find your way.")
    return "  \n".join(lines)


# --- selection and details ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Picked:
    """What a click on the map chose: an area, an event, or neither."""

    area_id: str | None = None
    event_id: str | None = None


def parse_selection(state: object) -> Picked:
    """The area or event in a st.pydeck_chart selection state ({"selection": {"objects": {layer: [...]}}})."""
    from cpdash.charts import maps  # the layer ids

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

    figures: dict[str, float]  # FIGURE_COLUMNS keys
    recent: pd.DataFrame  # Date, Program, Title, Attendance: the latest events, newest first
    open_count: int  # concerns open at the end of the period
    open_oldest: pd.DataFrame  # Raised, Days open, Topic, Status (and Summary for staff): the oldest few


def _open_table(concerns: pd.DataFrame, open_at_end: np.ndarray, end: dt.date, public: bool) -> pd.DataFrame:
    """The oldest concerns still open at `end`: Raised, Days open, Topic, Status (Summary for staff)."""
    still = concerns[open_at_end]
    out = pd.DataFrame(
        {
            "Raised": still["raised"].dt.date,
            "Days open": (pd.Timestamp(end) - still["raised"]).dt.days,
            "Topic": still["topic"].astype("str"),
            "Status": still["status"].fillna("open").astype("str") if "status" in still else "open",
        }
    )
    if not public and "summary" in still:
        out["Summary"] = still["summary"].astype("str").where(still["summary"].notna(), "")
    out = out.sort_values("Days open", ascending=False, kind="stable").head(OPEN_CONCERNS_LISTED)
    return out.reset_index(drop=True)


def area_details(
    ds: Dataset,
    f: Filters,
    area_id: str,
    k: int = metrics.K_DEFAULT,
    public: bool = False,
    basis: participation.Basis | None = None,
) -> AreaDetails:
    """Every figure of one area, its recent events and its open concerns, from that area's rows only."""
    one = Filters(f.start, f.end, (area_id,), f.programs)
    row: dict[str, float] = dict.fromkeys(FIGURE_COLUMNS, math.nan)
    events = _events_in(ds, one)
    engagement = _engagement(ds, one, events, basis)
    if area_id in engagement.index:
        row.update({c: engagement.loc[area_id, c] for c in engagement.columns if c != "name"})
    if not (events["attendance"].notna().any() if "attendance" in events else False):
        row["attendance"] = math.nan
    if ds.has("responses"):
        responses = rows_in_period(ds.responses, "submitted", f.start, f.end)
        columns = [c for c in ("area_id", *SCORE_MEASURES, SENTIMENT) if c in responses]
        narrow = responses[columns]
        answers = narrow[(narrow["area_id"] == area_id).to_numpy(dtype=bool)]
        for metric in SCORE_MEASURES:
            if metric in answers:
                s = metrics.score(answers[metric], k)
                row.update(
                    {metric: s.value, f"{metric}_n": s.n, f"{metric}_low": s.low, f"{metric}_high": s.high}
                )
        if SENTIMENT in answers:
            net = metrics.net_sentiment(answers[SENTIMENT])
            row.update(sentiment=net.net, sentiment_n=net.n, positive=net.positive, negative=net.negative)
    open_count, oldest = 0, pd.DataFrame()
    if ds.has("concerns"):
        concerns = ds.concerns[(ds.concerns["area_id"] == area_id).to_numpy(dtype=bool)]
        flags = metrics.concern_flags(concerns, f.start, f.end)
        open_at_end = flags["open_at_end"].to_numpy(dtype=bool)
        open_count = int(open_at_end.sum())
        row.update(
            open_concerns=open_count,
            concerns_raised=int(flags["raised"].sum()),
            concerns_resolved=int(flags["resolved"].sum()),
        )
        oldest = _open_table(concerns, open_at_end, f.end, public)
    return AreaDetails(row, recent_events(events, area_id), open_count, oldest)


def area_lines(row: Mapping, measures: list[str], k: int, public: bool) -> list[str]:
    """One area's figures in words (plain text): events and attendance, then each available measure."""
    lines = [_plural(row["events"], "event") + " in the period"]
    if not pd.isna(row["attendance"]):
        extra = row["events_without_attendance"]
        lines.append(
            f"{fmt.number(row['attendance'])} attendees"
            + (f" ({_plural(extra, 'event')} without a count)" if extra else "")
        )
    for key in measures:
        if key != "events":
            lines.append(measure_text(row, key, k, public))
    return lines


def recent_events(events: pd.DataFrame, area_id: str, n: int = RECENT_EVENTS) -> pd.DataFrame:
    """The area's latest `n` events in the selection, newest first: Date, Program, Title, Attendance."""
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


def scope_names(figures: pd.DataFrame) -> dict[str, str]:
    """area_id -> name of the areas in scope, sorted by name; a name shared by several areas gets its id."""
    ids = [str(a) for a in figures.index.tolist()]
    names = figures["name"].astype("str").tolist()
    shared = {n for n, c in Counter(names).items() if c > 1}
    labels = [f"{n} ({a})" if n in shared else n for a, n in zip(ids, names, strict=True)]
    order = sorted(range(len(ids)), key=lambda i: (labels[i].lower(), ids[i]))
    return {ids[i]: labels[i] for i in order}


def map_areas(
    ds: Dataset, in_scope: Mapping[str, str], f: Filters
) -> tuple[Mapping[str, str], list[str], pd.DataFrame]:
    """The areas in scope (id -> name), the other areas around them, and the label points of those in scope."""
    areas = ds.areas
    ids = areas["area_id"].astype("str")
    chosen = ids.isin(list(in_scope)).to_numpy(dtype=bool)
    context: list[str] = []
    if f.areas:
        same_level = np.ones(len(areas), dtype=bool)
        if "level" in areas:
            levels = areas.loc[chosen, "level"].dropna().unique()
            same_level = areas["level"].isin(levels).to_numpy(dtype=bool)
        context = ids[same_level & ~chosen].tolist()
    rows = areas[chosen]
    nowhere = pd.Series(np.nan, index=rows.index)
    labels = pd.DataFrame(
        {
            "area_id": ids[chosen].to_numpy(),
            "name": [in_scope[a] for a in ids[chosen]],
            "lat": pd.to_numeric(rows.get("centroid_lat", nowhere), errors="coerce").to_numpy(
                dtype="float64"
            ),
            "lon": pd.to_numeric(rows.get("centroid_lon", nowhere), errors="coerce").to_numpy(
                dtype="float64"
            ),
        }
    )
    return in_scope, context, labels


def event_rows(ds: Dataset, f: Filters) -> np.ndarray:
    """Positions in the events table (and its map basis) of the events in the filters."""
    return ds.events.index.get_indexer(_events_in(ds, f).index).astype("int64")


def has_attendance(ds: Dataset) -> bool:
    """True when at least one event has an attendance count."""
    return _has_values(ds.events, "attendance")
