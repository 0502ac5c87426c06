"""The Map page's view: which layers and measures the data allows, the deck of the chosen layer with the
areas layer's colours, the accessible twin table and the notes beside the map. Every per-area figure comes
from cpdash.views.map_areas (cpdash.metrics through the small-numbers policy); the details of a clicked
area or event are in cpdash.views.map_details. Streamlit-free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.charts import maps
from cpdash.data.dataset import Dataset
from cpdash.data.filters import select
from cpdash.metrics import sentiment
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.published import published_metrics
from cpdash.metrics.suppression import FLAGGED, HIDDEN, Policy
from cpdash.views import format as fmt
from cpdash.views.figures import PUBLISHED, RESPONSES, ScoreFigure, score_source
from cpdash.views.map_areas import (
    ENGAGEMENT_MEASURES,
    MEASURE_LABELS,
    MEASURES,
    SCORE_MEASURES,
    AreaFigures,
    area_figures,
    scope_names,
)

__all__ = [
    "ENGAGEMENT_MEASURES",
    "MEASURES",
    "MEASURE_LABELS",
    "SCORE_MEASURES",
    "AreaFigures",
    "area_figures",
    "scope_names",
]

LAYER_EVENTS, LAYER_DENSITY, LAYER_AREAS = "events", "density", "areas"
LAYER_LABELS = {LAYER_EVENTS: "Events", LAYER_DENSITY: "Density", LAYER_AREAS: "Areas"}
WEIGHT_LABELS = {"events": "Events", "attendance": "Attendance"}
NO_RESPONSES = "no individual survey responses in the data"


# --- what the data allows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """The layers, measures and density weights the data allows, and why each other one is missing."""

    layers: list[str]
    missing_layers: dict[str, str]
    measures: list[str]
    missing_measures: dict[str, str]
    weights: list[str]  # what the density layer can count: events, and attendance when counted
    concerns: bool  # the data has concerns (an area's details list its open ones)


def _score_missing(src: Source, metric: str, has_published: bool) -> str:
    """Why a score cannot be drawn ('' when it can, from responses or as published)."""
    if score_source(src, metric):
        return ""
    if not src.has("responses"):
        return f"{NO_RESPONSES}, and no published {metric} scores" if has_published else NO_RESPONSES
    return f"the survey responses have no {metric} answers"


def measure_options(src: Source) -> tuple[list[str], dict[str, str]]:
    """The measures the data allows, in menu order, and why each other one is missing."""
    missing: dict[str, str] = {}
    has_published = bool(published_metrics(src))
    for metric in SCORE_MEASURES:
        if reason := _score_missing(src, metric, has_published):
            missing[metric] = reason
    if not src.has("areas.population"):
        missing["events_per_10k"] = missing["attendance_per_10k"] = "the areas have no population figures"
    elif not src.has("events.attendance"):
        missing["attendance_per_10k"] = "the events have no attendance counts"
    if not src.has("concerns"):
        missing["open_concerns"] = "no concerns table in the data"
    if not src.has("responses"):
        missing["sentiment"] = NO_RESPONSES
    elif not src.has("sentiment"):
        missing["sentiment"] = "no scored comments in the survey responses"
    elif sentiment.pending(src):
        missing["sentiment"] = "sentiment is still being computed (it is offered when it is done)"
    return [key for key in MEASURES if key not in missing], missing


def layer_options(src: Source, has_shapes: bool) -> tuple[list[str], dict[str, str]]:
    """The map layers the data allows, and why each other one is missing."""
    missing: dict[str, str] = {}
    if not src.has("events.lat"):
        reason = (
            "no event has coordinates, and the areas have no outlines to place them in"
            if not has_shapes
            else "no event could be placed"
        )
        missing[LAYER_EVENTS] = missing[LAYER_DENSITY] = reason
    if not has_shapes:
        missing[LAYER_AREAS] = "the areas have no outlines (an areas.geojson file)"
    return [key for key in LAYER_LABELS if key not in missing], missing


def options(src: Source, has_shapes: bool) -> Options:
    """Everything the page's controls offer for this data."""
    layers, missing_layers = layer_options(src, has_shapes)
    measures, missing_measures = measure_options(src)
    weights = ["events", "attendance"] if src.has("events.attendance") else ["events"]
    return Options(layers, missing_layers, measures, missing_measures, weights, src.has("concerns"))


def missing_text(missing: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """'Not available: Trust score (no individual survey responses in the data); ...'."""
    if not missing:
        return ""
    by_reason: dict[str, list[str]] = {}
    for key, reason in missing.items():
        by_reason.setdefault(reason, []).append(labels[key])
    parts = [f"{', '.join(names)} ({reason})" for reason, names in by_reason.items()]
    return "Not available: " + "; ".join(parts) + "."


# --- the areas layer --------------------------------------------------------------------------------------


def _greyed(figures: AreaFigures) -> pd.Series:
    """Areas whose figure is hidden (public) or flagged (staff): drawn grey, not coloured."""
    return figures.table["status"].isin([HIDDEN, FLAGGED])


def _not_enough_label(figures: AreaFigures, policy: Policy) -> str:
    """The legend's words for the grey areas."""
    noun = MEASURES[figures.measure].noun or "responses"
    if not policy.public:
        return f"fewer than {policy.k} {noun} (⚠, not coloured)"
    protecting = (figures.table["note"] == policy.reason_in_set(policy.k, True, noun)).any()
    if protecting:  # the caption under the table says why an area with enough is hidden too
        return f"hidden: fewer than {policy.k} {noun}, or protecting one"
    return f"not enough {noun} (fewer than {policy.k})"


def _no_figure_label(figures: AreaFigures) -> str:
    """The legend's words for areas without a figure."""
    if figures.measure.endswith("_per_10k"):
        return "no population figure"
    if figures.source == PUBLISHED:
        return "no published figure in this period"
    if figures.source == RESPONSES:
        return "no answers in this period"
    return "no scored comments in this period" if figures.measure == "sentiment" else "no figure"


BELOW, LIKE, ABOVE = 0, 1, 2  # an area against the city, by their 95 % intervals
CITY_CLASSES = ("below the city", "like the city", "above the city")
PUBLISHED_CLASSES = (
    "Published scores come without intervals: areas in neighbouring classes may not really differ."
)


def versus_city(low: pd.Series, high: pd.Series, city: ScoreFigure) -> pd.Series:
    """Each area's class against the city: ABOVE when its 95 % interval lies wholly above the city's, BELOW
    when wholly below, else LIKE (the intervals overlap, or one is unknown). The intervals are those
    cpdash.metrics gives with the figures, never worked out again."""
    out = pd.Series(LIKE, index=low.index, dtype="int64")
    if not (np.isfinite(city.low) and np.isfinite(city.high)):
        return out
    out[(low > city.high).fillna(False).to_numpy(dtype=bool)] = ABOVE
    out[(high < city.low).fillna(False).to_numpy(dtype=bool)] = BELOW
    return out


def _city_note(city: ScoreFigure) -> str:
    """What the classes against the city mean, with the city's figure."""
    return (
        f"Above or below: the area's 95 % interval and the city's ({fmt.number(city.value, 1)}, "
        f"{fmt.number(city.low, 1)}–{fmt.number(city.high, 1)}) do not overlap. Like the city: they overlap, so the "
        "answers do not show a real difference."
    )


def choropleth(figures: AreaFigures, policy: Policy) -> maps.Choropleth:
    """What the areas layer colours: only figures that may be shown and rest on k or more; a score from
    responses in three classes against the city (versus_city), so that no class splits areas whose
    intervals do not tell them apart."""
    m = MEASURES[figures.measure]
    table = figures.table
    greyed = _greyed(figures)
    tooltips = (table["name"].astype("str") + "\n" + table["words"].astype("str")).tolist()
    value = table["value"].where(~greyed)
    extra: dict = {}
    title = figures.legend_title or m.title
    city = figures.city
    if city is not None and np.isfinite(city.value):
        classes = versus_city(table["low"], table["high"], city).where(value.notna())
        tooltips = [
            tip if np.isnan(c) else f"{tip}\n{CITY_CLASSES[int(c)].capitalize()}"
            for tip, c in zip(tooltips, classes.to_numpy(dtype="float64"), strict=True)
        ]
        extra = {"classes": CITY_CLASSES, "legend_note": _city_note(city)}
        title = f"{m.label} (0–100): each area against the city"
        value = classes.astype("float64")
    elif figures.source == PUBLISHED:
        extra = {"legend_note": PUBLISHED_CLASSES}
    return maps.Choropleth(
        values=pd.DataFrame(
            {"value": value, "not_enough": greyed.astype(bool), "tooltip": tooltips},
            index=table.index,
        ),
        title=title,
        unit=m.unit,
        decimals=m.decimals,
        diverging=m.diverging,
        whole=m.whole,
        not_enough_label=_not_enough_label(figures, policy),
        no_figure_label=_no_figure_label(figures),
        **extra,
    )


# --- the accessible twin table ---------------------------------------------------------------------------


def _whole(values: pd.Series) -> pd.Series:
    """Counts as whole numbers, blank where unknown or hidden."""
    return values.round(0).astype("Int64")


def twin_table(figures: AreaFigures, layer: str) -> pd.DataFrame:
    """The map's figures as a table, one row per area, sorted by name: what the map shows, hidden figures
    blank with no n (public), flagged ones marked (staff)."""
    table, measure = figures.table, figures.measure
    out = pd.DataFrame({"Area": table["name"].astype("str")}, index=table.index)
    if layer != LAYER_AREAS or measure in ENGAGEMENT_MEASURES:
        out["Events"] = table["events"].astype("int64")
        if table["attendance"].notna().any():
            out["Attendance"] = table["attendance"]
            out["Events without an attendance count"] = table["events_without_attendance"].astype("int64")
        if table["population"].notna().any():
            out["Population"] = table["population"]
            out["Events per 10,000 residents"] = table["events_per_10k"].round(1)
            if table["attendance"].notna().any():
                out["Attendance per 10,000 residents"] = table["attendance_per_10k"].round(0)
    elif measure in SCORE_MEASURES:
        out[f"{MEASURES[measure].label} (0–100)"] = table["value"].round(0)
        if figures.source == PUBLISHED:
            out["Responses (n, as published)"] = _whole(table["n"])
            out["Published for"] = table["period"]
        else:
            out["Responses (n)"] = _whole(table["n"])
            low, high = table["low"].round(0), table["high"].round(0)
            interval = low.map("{:.0f}".format) + "–" + high.map("{:.0f}".format)
            out["95 % interval"] = interval.where(low.notna() & high.notna(), "")
        out["Small numbers"] = table["note"]
    elif measure == "sentiment":
        out["Net comment sentiment (points)"] = table["value"].round(0)
        out["Positive comments (%)"] = table["positive"].round(0)
        out["Negative comments (%)"] = table["negative"].round(0)
        out["Scored comments (n)"] = _whole(table["n"])
        out["Small numbers"] = table["note"]
    elif measure == "open_concerns":
        out["Open at the end of the period"] = table["value"].astype("int64")
        out["Raised in the period"] = table["raised"].astype("int64")
        out["Resolved in the period"] = table["resolved"].astype("int64")
    if "Small numbers" in out and not (out["Small numbers"] != "").any():
        out = out.drop(columns="Small numbers")
    return out.sort_values("Area", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)


def twin_caption(figures: AreaFigures, layer: str, policy: Policy) -> str:
    """What the table below the map holds, and how small numbers are shown in it."""
    m = MEASURES[figures.measure]
    what = m.label.lower() if layer == LAYER_AREAS else "events and attendance"
    text = f"The map's figures ({what}) as a table, one row per area: click a column heading to sort."
    if layer == LAYER_AREAS and m.noun:
        text += f" Figures on fewer than {policy.k} {m.noun} are " + (
            "hidden, with their n; so is another area's when one hidden figure could otherwise be worked out."
            if policy.public
            else "flagged ⚠ and not coloured on the map."
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


# --- the deck ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surroundings:
    """The areas around the figures: those in scope (id -> name), the others drawn faintly, and the label
    points of those in scope."""

    in_scope: Mapping[str, str]
    context: list[str]
    labels: pd.DataFrame  # area_id, name, lat, lon


def surroundings(src: Source, in_scope: Mapping[str, str], f: Filters) -> Surroundings:
    """The areas in scope, the other areas of their level around them (when areas are chosen), and labels."""
    areas = src.areas()
    ids = areas[AREA].astype("str")
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

    def coordinate(column: str) -> np.ndarray:
        return pd.to_numeric(rows.get(column, nowhere), errors="coerce").to_numpy(dtype="float64")

    labels = pd.DataFrame(
        {
            "area_id": ids[chosen].to_numpy(),
            "name": [in_scope[a] for a in ids[chosen]],
            "lat": coordinate("centroid_lat"),
            "lon": coordinate("centroid_lon"),
        }
    )
    return Surroundings(in_scope, context, labels)


def event_rows(ds: Dataset, f: Filters) -> np.ndarray:
    """Positions in the events table (and its map basis) of the events in the filters."""
    chosen = select(ds.events, f, "start", by_program=True)
    return ds.events.index.get_indexer(chosen.index).astype("int64")


def draw(
    layer: str,
    figures: AreaFigures,
    around: Surroundings,
    shapes: maps.Shapes,
    policy: Policy,
    offline: bool,
    selected: str | None = None,
    basis: maps.EventBasis | None = None,
    rows: np.ndarray | None = None,
    weight: str = "events",
    phone: bool = False,
) -> maps.MapView:
    """The deck of `layer`: areas coloured by the figures, or the events (`basis`, `rows`) as points or
    hexagons counting `weight`; its first view fits the areas on a phone's screen or a desktop's."""
    common = {"offline": offline, "selected": selected, "width_px": maps.map_width(phone)}
    if layer == LAYER_AREAS:
        chosen = choropleth(figures, policy)
        return maps.choropleth_map(chosen, shapes, around.context, around.labels, **common)
    if layer == LAYER_DENSITY:
        return maps.density_map(
            basis, rows, weight, shapes, around.in_scope, around.context, around.labels, **common
        )
    return maps.events_map(basis, rows, shapes, around.in_scope, around.context, around.labels, **common)
