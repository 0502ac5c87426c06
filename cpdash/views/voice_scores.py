"""Community voice, scores: the headline cards, the score over time, an area against the city, and every
area's score (cpdash.metrics.scores from responses, cpdash.metrics.published as published), through the
small-numbers policy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import published, scores
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import PREVIOUS, Filters
from cpdash.metrics.selection import compared_shown
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import format as fmt
from cpdash.views import voice
from cpdash.views.figures import (
    PUBLISHED,
    RESPONSES,
    Card,
    comparable,
    hidden_in_set,
    score_card,
    score_figure,
)
from cpdash.views.trends import score_trend

AREA_COLUMNS = ["area_id", "name", "metric", "score", "n", "low", "high", "status"]
AGAINST_COLUMNS = ["Score", "Area", "Area n", "Area 95 % interval", "City", "City n", "Difference (points)"]
CHART_COLUMNS = ["label", "score", "low", "high", "flagged", "highlight"]


@dataclass(frozen=True)
class Headlines:
    """The headline score cards over the period and the sidebar's areas, and what to know about them."""

    cards: list[Card]
    notes: list[str]
    source_note: str


def headlines(
    src: Source, f: Filters, policy: Policy, ctl: voice.Controls, source: str | None, compare: str = PREVIOUS
) -> Headlines:
    """Each score of `source` as a card (the Overview's card: same value, n and published period)."""
    before = f.compared(compare)
    extent = src.extent()
    ok = comparable(before, extent[0] if extent else None)
    metrics = ctl.metrics.get(source, ())
    shown = compared_shown(src, before, policy)  # once for every card
    cards = [score_card(src, m, f, before, policy, ok, source, shown) for m in metrics]
    notes = [c.note for c in cards if c.note]
    if source == PUBLISHED:  # one line per published period, not one per score
        figures = [score_figure(src, m, f, policy, source) for m in metrics]
        periods: dict[tuple[str, str], list[str]] = {}
        for metric, fig in zip(metrics, figures, strict=True):
            if fig.status == SHOWN and fig.period:
                periods.setdefault((fig.period, fig.cadence), []).append(ctl.metric_label(metric))
        notes = [c.note for c, fig in zip(cards, figures, strict=True) if c.note and fig.status != SHOWN]
        for (period, cadence), labels in periods.items():
            plural = "s" if len(labels) > 1 else ""
            notes.append(f"Published figure{plural} for {period} ({cadence}): {', '.join(labels)}.")
    return Headlines(cards, notes, voice.source_note(ctl.sources, source))


# --- every area ------------------------------------------------------------------------------------


def _values(table: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 (NaN where unknown)."""
    return table[column].to_numpy(dtype="float64", na_value=np.nan)


def _responses_by_area(src: Source, metric: str, f: Filters, policy: Policy) -> dict[str, np.ndarray]:
    """Each area's score from responses; the areas are parts of the selection's score."""
    table = scores.scores_by(src, metric, f, (AREA,))
    n = _values(table, "n")
    keep = n > 0
    whole = scores.score(src, metric, f)
    shown = policy.status(whole.n) in (SHOWN, FLAGGED)
    columns = {c: _values(table, c)[keep] for c in ("score", "n", "low", "high")}
    ids = table[AREA].to_numpy(dtype=object)[keep]
    columns["status"] = voice.part_status(policy, columns["n"], whole.n, shown, ids)
    return {"area_id": ids, **columns}


def status_in_city(src: Source, metric: str, f: Filters, policy: Policy, area: str) -> str | None:
    """`area`'s status in the table of every area's score over the filters' period (_responses_by_area's,
    read from the counts alone); None when the area has no answers there."""
    whole = f.with_areas(())
    groups = src.answers(metric, whole, (AREA,))
    n = np.asarray(groups["n"], dtype="float64")
    keep = n > 0
    ids = groups.key_text(AREA)[keep]
    at = np.flatnonzero(ids == str(area))
    if not len(at):
        return None
    city = scores.score(src, metric, whole)
    shown = policy.status(city.n) in (SHOWN, FLAGGED)
    return voice.part_status(policy, n[keep], city.n, shown, ids)[at[0]]


def _published_by_area(src: Source, metric: str, f: Filters, policy: Policy) -> dict[str, np.ndarray]:
    """Each area's published score for the period (used as published); the areas are parts of the city."""
    table = published.published_by_area(src, metric, f)
    n = _values(table, "n")
    blank = np.full(len(table), np.nan)
    return {
        "area_id": table["area_id"].to_numpy(dtype=object),
        "score": _values(table, "value"),
        "n": n,
        "low": blank,
        "high": blank,
        "status": voice.part_status(policy, n, keys=table["area_id"].to_numpy(dtype=object)),
    }


def area_scores(
    src: Source, f: Filters, policy: Policy, ctl: voice.Controls, source: str | None
) -> pd.DataFrame:
    """Every score per area in the sidebar's scope (long form): area_id, name, metric, score, n, low,
    high, status; score, interval and n are NaN where the policy hides them."""
    parts = []
    for metric in ctl.metrics.get(source, ()):
        if source == RESPONSES:
            part = _responses_by_area(src, metric, f, policy)
        elif source == PUBLISHED:
            part = _published_by_area(src, metric, f, policy)
        else:
            continue
        parts.append(part | {"metric": np.full(len(part["area_id"]), metric, dtype=object)})
    if not parts or not sum(len(p["area_id"]) for p in parts):
        return pd.DataFrame(columns=AREA_COLUMNS)
    joined = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    ids = joined["area_id"].astype("str").astype(object)
    status = joined["status"]
    names = np.array([ctl.names.get(a, a) for a in ids], dtype=object)
    order = sorted(range(len(ids)), key=lambda i: (names[i], joined["metric"][i]))
    out = {
        "area_id": ids,
        "name": names,
        "metric": joined["metric"],
        "score": voice.shown_values(joined["score"], status),
        "n": voice.shown_n(joined["n"], status),
        "low": voice.shown_values(joined["low"], status),
        "high": voice.shown_values(joined["high"], status),
        "status": status,
    }
    return pd.DataFrame({c: v[order] for c, v in out.items()}, columns=AREA_COLUMNS)


def _note(few: dict[str, list[str]], policy: Policy) -> str:
    """What is not plainly shown in one area's row, in words."""
    parts = []
    if few[HIDDEN]:
        parts.append(f"fewer than {policy.k} responses ({', '.join(few[HIDDEN])}): not shown")
    if few[voice.SECONDARY]:
        parts.append(
            f"not shown so that a smaller figure cannot be worked out ({', '.join(few[voice.SECONDARY])})"
        )
    if few[FLAGGED]:
        parts.append(f"fewer than {policy.k} responses ({', '.join(few[FLAGGED])}): treat with care")
    return "; ".join(parts)


def area_table(long: pd.DataFrame, policy: Policy, intervals: bool = True) -> pd.DataFrame:
    """Scores by area for people and for the CSV: Area, then per score its value, n and 95 % interval
    (without intervals: published figures have none), and a note naming what is flagged or not shown."""
    if len(long) == 0:
        return pd.DataFrame({"Area": pd.Series(dtype="str")})
    ids = long["area_id"].to_numpy(dtype=object)
    metric = long["metric"].to_numpy(dtype=object)
    status = long["status"].to_numpy(dtype=object)
    at_of = {a: i for i, a in enumerate(dict.fromkeys(ids))}
    at = np.array([at_of[a] for a in ids], dtype="int64")
    first = np.unique(at, return_index=True)[1]
    columns: dict[str, object] = {"Area": long["name"].to_numpy(dtype=object)[first]}
    few = [{HIDDEN: [], voice.SECONDARY: [], FLAGGED: []} for _ in range(len(at_of))]
    values = {c: _values(long, c) for c in ("score", "n", "low", "high")}
    for key, label in scores.LABELS.items():
        mine = metric == key
        if not mine.any():
            continue
        table = {c: np.full(len(at_of), np.nan) for c in values}
        for c, v in values.items():
            table[c][at[mine]] = v[mine]
        columns[label] = np.round(table["score"])
        columns[f"{label} n"] = table["n"]
        if intervals:
            pairs = zip(table["low"], table["high"], strict=True)
            columns[f"{label} 95 % interval"] = [voice.interval_text(a, b) for a, b in pairs]
        for i, state in zip(at[mine], status[mine], strict=True):
            if state in few[i]:
                few[i][state].append(label.lower())
    columns["Note"] = [_note(f, policy) for f in few]
    out = pd.DataFrame(columns)
    return out.iloc[np.argsort(out["Area"].to_numpy(dtype=object), kind="stable")].reset_index(drop=True)


def area_chart_rows(
    long: pd.DataFrame, metric: str, policy: Policy, highlight: str = ""
) -> tuple[pd.DataFrame, str]:
    """The areas to draw for `metric`, lowest score first (label with n, interval, ⚠), and a note of what
    was left out (not shown by the policy; past AREA_CHART_MAX areas, all but the two ends)."""
    mine = long[(long["metric"] == metric).to_numpy()]
    note = voice.hidden_note(mine["status"].to_numpy(), policy, "areas")
    rows = mine[mine["score"].notna()].sort_values(["score", "name"], kind="stable")
    rows, cut = voice.extremes(rows, "score")
    chart = pd.DataFrame(
        {
            "label": [
                voice.n_label(a, n, s)
                for a, n, s in zip(rows["name"], rows["n"], rows["status"], strict=True)
            ],
            "score": rows["score"].to_numpy(dtype="float64"),
            "low": rows["low"].to_numpy(dtype="float64"),
            "high": rows["high"].to_numpy(dtype="float64"),
            "flagged": (rows["status"] == FLAGGED).to_numpy(dtype=bool),
            "highlight": (rows["name"] == highlight).to_numpy(dtype=bool),
        },
        columns=CHART_COLUMNS,
    )
    notes = [n for n in (note, cut.replace("the download", "the table below")) if n]
    return chart, " ".join(notes)


# --- an area against the city ---------------------------------------------------------------------


def area_against_city(
    src: Source, f: Filters, policy: Policy, ctl: voice.Controls, area: str, source: str | None
) -> pd.DataFrame:
    """Each score of `area` beside the city's over the period, with n, 95 % interval and the difference;
    figures the policy hides are blank (their n too), flagged ones marked ⚠."""
    rows = []
    for metric in ctl.metrics.get(source, ()):
        a = score_figure(src, metric, f.with_areas((area,)), policy, source)
        c = score_figure(src, metric, f.with_areas(()), policy, source)
        public_part = source == RESPONSES and policy.public and a.status in (SHOWN, FLAGGED)
        if public_part and status_in_city(src, metric, f, policy, area) in voice.NOT_SHOWN:
            a = hidden_in_set(a)  # as a part of the city: hidden where the city's table of areas hides it
        if a.status == EMPTY and c.status == EMPTY:
            continue  # nothing for either
        difference = a.value - c.value
        rows.append(
            {
                "Score": scores.LABELS[metric] + (" ⚠" if a.status == FLAGGED else ""),
                "Area": voice.rounded(a.value),
                "Area n": a.n,
                "Area 95 % interval": voice.interval_text(a.low, a.high),
                "City": voice.rounded(c.value),
                "City n": c.n,
                "Difference (points)": voice.rounded(difference),
            }
        )
    table = pd.DataFrame(rows, columns=AGAINST_COLUMNS)
    return table if source == RESPONSES else table.drop(columns=["Area 95 % interval"])


# --- the tab ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoresTab:
    """The Scores tab: the trend, the chosen area against the city, and every area's score."""

    label: str
    trend: pd.DataFrame  # cpdash.views.trends columns
    trend_note: str
    against_title: str  # Markdown (area name made inert)
    against: pd.DataFrame | None
    area_chart: pd.DataFrame  # CHART_COLUMNS
    area_title: str
    reference: float  # the city's score (NaN when it may not be shown)
    area_note: str
    area_table: pd.DataFrame
    empty_areas: str


def scores_tab(
    src: Source,
    f: Filters,
    policy: Policy,
    ctl: voice.Controls,
    metric: str,
    source: str,
    area: str | None,
) -> ScoresTab:
    """Everything the Scores tab shows for one score, source and (optional) area."""
    label = scores.LABELS.get(metric, metric.capitalize())
    name = ctl.label(area)
    trend = score_trend(src, metric, f, policy, area, name, source)
    against, title, note = None, "", "Choose an area above to draw it against the city."
    if area is not None:
        against = area_against_city(src, f, policy, ctl, area, source)
        title, note = f"**{fmt.markdown_text(name)} against the city** over the period", ""
        mine = trend[(trend["series"] == name).to_numpy(dtype=bool)] if len(trend) else trend
        if len(mine) and mine["score"].isna().all():  # every point hidden: the city alone is drawn
            note = f"{fmt.markdown_text(name)}: no point of its {label.lower()} score can be shown ({policy.rule})."
        elif len(mine) == 0:
            note = f"{fmt.markdown_text(name)}: no {label.lower()} score in this period."
    long = area_scores(src, f, policy, ctl, source)
    chart, area_note = area_chart_rows(long, metric, policy, name)
    city = score_figure(src, metric, f.with_areas(()), policy, source)
    interval = "" if source == PUBLISHED else ", with 95 % intervals"
    return ScoresTab(
        label,
        trend,
        note,
        title,
        against,
        chart,
        f"{label} by area{interval}",
        city.value,
        area_note,
        area_table(long, policy, source == RESPONSES),
        "No area has a score in this period.",
    )
