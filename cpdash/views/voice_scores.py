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
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import format as fmt
from cpdash.views import voice
from cpdash.views.figures import PUBLISHED, RESPONSES, Card, comparable, score_card, score_figure
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
    cards = [score_card(src, m, f, before, policy, ok, source) for m in metrics]
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


def _responses_by_area(src: Source, metric: str, f: Filters, policy: Policy) -> pd.DataFrame:
    """Each area's score from responses; the areas are parts of the selection's score."""
    table = scores.scores_by(src, metric, f, (AREA,))
    table = table[table["n"] > 0].reset_index(drop=True)
    whole = scores.score(src, metric, f)
    shown = policy.status(whole.n) in (SHOWN, FLAGGED)
    status = voice.part_status(policy, table["n"].to_numpy(), whole.n, shown)
    return table.assign(metric=metric, status=status)


def _published_by_area(src: Source, metric: str, f: Filters, policy: Policy) -> pd.DataFrame:
    """Each area's published score for the period (used as published); the areas are parts of the city."""
    table = published.published_by_area(src, metric, f)
    status = voice.part_status(policy, table["n"].to_numpy(dtype="float64"))
    return pd.DataFrame(
        {
            "area_id": table["area_id"],
            "score": table["value"],
            "n": table["n"],
            "low": np.nan,
            "high": np.nan,
            "metric": metric,
            "status": status,
        }
    )


def area_scores(
    src: Source, f: Filters, policy: Policy, ctl: voice.Controls, source: str | None
) -> pd.DataFrame:
    """Every score per area in the sidebar's scope (long form): area_id, name, metric, score, n, low,
    high, status; score, interval and n are NaN where the policy hides them."""
    parts = []
    for metric in ctl.metrics.get(source, ()):
        if source == RESPONSES:
            parts.append(_responses_by_area(src, metric, f, policy))
        elif source == PUBLISHED:
            parts.append(_published_by_area(src, metric, f, policy))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=AREA_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    status = out["status"].to_numpy()
    out["area_id"] = out["area_id"].astype("str")
    out["name"] = [ctl.names.get(a, a) for a in out["area_id"]]
    for column in ("score", "low", "high"):
        out[column] = voice.shown_values(out[column].to_numpy(dtype="float64"), status)
    out["n"] = voice.shown_n(out["n"].to_numpy(dtype="float64"), status)
    return out[AREA_COLUMNS].sort_values(["name", "metric"], kind="stable").reset_index(drop=True)


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
    first = long.drop_duplicates("area_id")
    ids = pd.Index(first["area_id"])
    columns: dict[str, object] = {"Area": first["name"].to_numpy()}
    few = [{HIDDEN: [], voice.SECONDARY: [], FLAGGED: []} for _ in range(len(ids))]
    for metric, label in scores.LABELS.items():
        part = long[(long["metric"] == metric).to_numpy()]
        if len(part) == 0:
            continue
        at = ids.get_indexer(part["area_id"])
        score, n, low, high = (np.full(len(ids), np.nan) for _ in range(4))
        for target, column in ((score, "score"), (n, "n"), (low, "low"), (high, "high")):
            target[at] = part[column].to_numpy(dtype="float64")
        columns[label] = [voice.rounded(v) for v in score]
        columns[f"{label} n"] = n
        if intervals:
            pairs = zip(low, high, strict=True)
            columns[f"{label} 95 % interval"] = [voice.interval_text(a, b) for a, b in pairs]
        for i, status in zip(at, part["status"], strict=True):
            if status in few[i]:
                few[i][status].append(label.lower())
    columns["Note"] = [_note(f, policy) for f in few]
    return pd.DataFrame(columns).sort_values("Area", kind="stable").reset_index(drop=True)


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
