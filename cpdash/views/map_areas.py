"""The Map's figures per area: what the areas layer colours, its tooltips, the details of an area and the
accessible twin table all read one table built here, each figure from cpdash.metrics and through the
small-numbers policy as a part of the set of areas (secondary suppression in the public view). A hidden
figure leaves this module without its value and without its n. Streamlit-free."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import engagement, follow_through, scores, sentiment
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import Filters, period_text
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import format as fmt
from cpdash.views.figures import (
    PUBLISHED,
    RESPONSES,
    SCORE_NOTE,
    ScoreFigure,
    score_figure,
    score_figures_by_area,
    score_source,
    score_words,
)

SCORE_MEASURES = tuple(scores.LABELS)  # trust, safety, listen, respect
ENGAGEMENT_MEASURES = ("events", "events_per_10k", "attendance_per_10k")
BASE_COLUMNS = (
    "name",
    "population",
    "events",
    "attendance",
    "events_without_attendance",
    "events_per_10k",
    "attendance_per_10k",
)
# What each measure adds to the base: value (NaN when it may not be shown), n (NaN when hidden), low, high,
# period (a published figure's own dates), status (the policy's), words (for tooltips and details) and note
# (what the small-numbers rule did, in words); sentiment adds positive and negative, concerns raised and
# resolved.
MEASURE_COLUMNS = ("value", "n", "low", "high", "period", "status", "words", "note")


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
    noun: str = ""  # what the figure rests on, when it passes the small-numbers policy ("answers", ...)


def _score_measure(metric: str) -> Measure:
    label = f"{scores.LABELS[metric]} score"
    return Measure(metric, label, f"{label}, 0–100 (not a percentage)", noun="answers")


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        *(_score_measure(metric) for metric in SCORE_MEASURES),
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
            noun="scored comments",
        ),
        Measure("events", "Events", "Events in the period (count)", whole=True),
    )
}
MEASURE_LABELS = {key: m.label for key, m in MEASURES.items()}


@dataclass(frozen=True)
class AreaFigures:
    """The areas in scope (index area_id, sorted) with their engagement and the figures of one measure."""

    measure: str
    table: pd.DataFrame  # BASE_COLUMNS, then MEASURE_COLUMNS (and the measure's extras)
    source: str = ""  # for a score: RESPONSES or PUBLISHED
    note: str = ""  # what the reader must know about the measure's figures (published, ...)
    legend_title: str = ""
    city: ScoreFigure | None = None  # a score from responses: the whole city's, with its interval

    @property
    def names(self) -> dict[str, str]:
        """area_id -> name of the areas in scope, sorted by name (see scope_names)."""
        return scope_names(self.table)


def scope_names(table: pd.DataFrame) -> dict[str, str]:
    """area_id -> name of the areas in scope, sorted by name; a name shared by several areas gets its id."""
    ids = [str(a) for a in table.index.tolist()]
    names = table["name"].astype("str").tolist()
    shared = {n for n, c in Counter(names).items() if c > 1}
    labels = [f"{n} ({a})" if n in shared else n for a, n in zip(ids, names, strict=True)]
    order = sorted(range(len(ids)), key=lambda i: (labels[i].lower(), ids[i]))
    return {ids[i]: labels[i] for i in order}


def _plural(n: float, word: str) -> str:
    """'1 event', '12 events'."""
    return f"{n:,.0f} {word}" + ("" if n == 1 else "s")


# --- engagement (not from responses: never suppressed) ---------------------------------------------------


def base_table(src: Source, f: Filters) -> pd.DataFrame:
    """Engagement per area in scope (engagement.by_area), index area_id; attendance unknown (NaN) when no
    event of the data has a count."""
    table = engagement.by_area(src, f)
    columns = {c: table[c].to_numpy() for c in BASE_COLUMNS}
    columns["name"] = table["name"].astype("str").to_numpy(dtype=object)
    if not src.has("events.attendance"):
        columns["attendance"] = columns["attendance_per_10k"] = np.full(len(table), np.nan)
    return pd.DataFrame(columns, index=pd.Index(table[AREA].astype("str").to_numpy(dtype=object), name=AREA))


def engagement_words(row: Mapping, measure: str) -> str:
    """Events, or events or attendance per 10,000 residents, with what they rest on."""
    pop = row["population"]
    if measure == "events":
        return _plural(row["events"], "event") + " in the period"
    if fmt.is_missing(pop) or pop <= 0:
        return f"{MEASURES[measure].label}: no population figure for this area"
    if measure == "events_per_10k":
        return (
            f"{fmt.number(row['events_per_10k'], 1)} events per 10,000 residents "
            f"({_plural(row['events'], 'event')}; population {pop:,.0f})"
        )
    if fmt.is_missing(row["attendance"]):
        return f"{MEASURES[measure].label}: no attendance count for this area's events"
    missing = row["events_without_attendance"]
    extra = f"; {_plural(missing, 'event')} without a count" if missing else ""
    return (
        f"{fmt.number(row['attendance_per_10k'])} attendees per 10,000 residents "
        f"({fmt.number(row['attendance'])} attendees; population {pop:,.0f}{extra})"
    )


def _engagement(base: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The engagement measure's columns."""
    value = base[measure].astype("float64")
    words = [engagement_words(row, measure) for row in base.to_dict("records")]
    return _columns(base.index, value, status=np.where(value.notna(), SHOWN, EMPTY), words=words)


def _columns(index: pd.Index, value: pd.Series | np.ndarray, **extra: object) -> pd.DataFrame:
    """MEASURE_COLUMNS for `index`: `value`, then whatever `extra` gives, else NaN or ''."""
    size = len(index)
    columns: dict[str, object] = {"value": np.asarray(value, dtype="float64")}
    for column in MEASURE_COLUMNS[1:]:
        default = np.nan if column in ("n", "low", "high") else ""
        given = extra.pop(column, default)
        columns[column] = (
            np.full(size, given, dtype=object if isinstance(given, str) else "float64")
            if np.isscalar(given)
            else given
        )
    for column, values in extra.items():
        columns[column] = values
    return pd.DataFrame(columns, index=index)


# --- scores: from responses, or as published ---------------------------------------------------------------


def score_columns(src: Source, f: Filters, policy: Policy, measure: str, ids: pd.Index) -> pd.DataFrame:
    """A score per area as views.figures gives it (score_figures_by_area: the same figure as score_figure
    for the area alone, then secondary suppression in public), with its words."""
    figures = list(score_figures_by_area(src, measure, list(ids), f, policy).values())
    notes = [
        policy.reason_in_set(fig.raw_n, fig.status == HIDDEN, "answers")
        if fig.status in (HIDDEN, FLAGGED)
        else ""
        for fig in figures
    ]
    return _columns(
        ids,
        [fig.value for fig in figures],
        n=[fig.n for fig in figures],
        low=[fig.low for fig in figures],
        high=[fig.high for fig in figures],
        period=[fig.period if fig.source == PUBLISHED else "" for fig in figures],
        status=[fig.status for fig in figures],
        words=[score_words(fig, policy) for fig in figures],
        note=notes,
    )


def published_note(label: str, periods: list[str], period: str) -> str:
    """'Trust score: published area scores for 1 Oct – 31 Dec 2025, used as published ...'."""
    if not periods:
        return f"{label}: no published area score ends within {period}."
    if len(set(periods)) == 1:
        return f"{label}: published area scores for {periods[0]}, used as published ({SCORE_NOTE})."
    return (
        f"{label}: published area scores, each area's latest ending within {period} (its own period is in "
        f"its tooltip and details), used as published ({SCORE_NOTE})."
    )


# --- sentiment and concerns ------------------------------------------------------------------------------------


def sentiment_words(value: float, n: float, status: str, note: str, k: int) -> str:
    """'Net comment sentiment +12 points (n=340 scored comments)', or why it is not shown (`note`: the
    policy's words for a hidden figure)."""
    label = "Net comment sentiment"
    if status == EMPTY:
        return f"{label}: no scored comments in this period"
    if status == HIDDEN:
        return f"{label}: {note}"
    care = f"; fewer than {k} scored comments, treat with care" if status == FLAGGED else ""
    return f"{label} {fmt.signed(value, 0)} points (n={n:,.0f} scored comments{care})"


def sentiment_columns(src: Source, f: Filters, policy: Policy, ids: pd.Index) -> pd.DataFrame:
    """Net comment sentiment per area (sentiment.net_by) through the policy as a part of the set."""
    table = sentiment.net_by(src, f, (AREA,))
    table = table.set_index(table[AREA].astype("str")).reindex(ids)
    n = table["n"].fillna(0).to_numpy(dtype="float64")
    hide = policy.hidden_in_set(n, keys=list(ids))
    status = [HIDDEN if h else policy.status(k) for h, k in zip(hide, n, strict=True)]
    shown = np.array([s in (SHOWN, FLAGGED) for s in status], dtype=bool)
    notes = [
        policy.reason_in_set(k, h, "scored comments") if s in (HIDDEN, FLAGGED) else ""
        for k, h, s in zip(n, hide, status, strict=True)
    ]
    value = np.where(shown, table["net"], np.nan)
    n_shown = np.where(hide, np.nan, n)
    return _columns(
        ids,
        value,
        n=n_shown,
        status=status,
        words=[sentiment_words(*row, policy.k) for row in zip(value, n_shown, status, notes, strict=True)],
        note=notes,
        positive=np.where(shown, table["positive"], np.nan),
        negative=np.where(shown, table["negative"], np.nan),
    )


def concern_columns(src: Source, f: Filters, ids: pd.Index) -> pd.DataFrame:
    """Concerns open at the end of the period, raised and resolved in it, per area (follow_through_by)."""
    table = follow_through.follow_through_by(src, f, (AREA,))
    counts = table.set_index(table[AREA].astype("str"))[["open_at_end", "raised", "resolved"]]
    counts = counts.reindex(ids).fillna(0).astype("int64")
    words = [
        _plural(k, "open concern") + f" at the end of the period ({r:,} raised, {d:,} resolved in it)"
        for k, r, d in counts.itertuples(index=False)
    ]
    return _columns(
        ids,
        counts["open_at_end"],
        status=SHOWN,
        words=words,
        raised=counts["raised"].to_numpy(),
        resolved=counts["resolved"].to_numpy(),
    )


def measure_columns(
    src: Source, f: Filters, policy: Policy, measure: str, base: pd.DataFrame
) -> pd.DataFrame:
    """The columns of `measure` for the areas of `base`."""
    if measure in SCORE_MEASURES:
        return score_columns(src, f, policy, measure, base.index)
    if measure == "sentiment":
        return sentiment_columns(src, f, policy, base.index)
    if measure == "open_concerns":
        return concern_columns(src, f, base.index)
    return _engagement(base, measure)


def area_figures(src: Source, f: Filters, policy: Policy, measure: str) -> AreaFigures:
    """Every area in scope with its engagement and the figures of `measure`, through the policy."""
    m = MEASURES[measure]
    base = base_table(src, f)
    table = pd.concat([base, measure_columns(src, f, policy, measure, base)], axis=1)
    source, note, title, city = "", "", m.title, None
    if measure in SCORE_MEASURES:
        source = score_source(src, measure)
        if source == RESPONSES:  # the areas are coloured against it (cpdash.views.map.versus_city)
            city = score_figure(src, measure, f.with_areas(()), policy, source)
        if source == PUBLISHED:
            periods = [p for p in table["period"] if p]
            note = published_note(m.label, periods, period_text(f.start, f.end))
            title = f"{m.title}: published" + (f" for {periods[0]}" if len(set(periods)) == 1 else "")
    return AreaFigures(measure, table, source, note, title, city)
