"""Community voice: what the page offers (score sources, scores, areas), its words, and the small-numbers
helpers its sections share (cpdash.views.voice_scores, voice_groups, voice_events, voice_sentiment,
voice_topics, voice_explorer).

Every figure comes from cpdash.metrics and passes the one small-numbers policy
(cpdash.metrics.suppression): parts of a shown whole (areas of the city, groups of everyone, months of the
period) through `policy.hidden_in_set`, so that no hidden figure can be found by subtraction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics import published, scores
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import FLAG, FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import format as fmt
from cpdash.views.figures import PUBLISHED, RESPONSES

SECONDARY = "secondary"  # a part hidden so that a hidden part cannot be found by subtraction
NOT_SHOWN = (HIDDEN, SECONDARY)
SOURCE_SHORT = {RESPONSES: "Responses", PUBLISHED: "Published"}
SOURCE_HELP = (
    "The data has both: individual survey responses (computed here, with intervals) and published area "
    "scores (shown as published)."
)
AREA_HELP = "Its scores beside the city's, and its engagement events (tab 'Events and trust')."
CITY = "City"
AREA_CHART_MAX = 40  # with more areas, a chart shows the lowest and highest ...
AREA_CHART_EACH_END = 12  # ... this many of each


@dataclass(frozen=True)
class Controls:
    """What the page's choices offer: score sources, the scores of each, and the areas by name."""

    sources: tuple[str, ...]
    metrics: dict[str, tuple[str, ...]]
    areas: tuple[str, ...]  # area ids, sorted by name
    names: dict[str, str]

    def label(self, area: str | None) -> str:
        """An area's name ('' for none)."""
        return self.names.get(area, area) if area else ""

    def metric_label(self, metric: str) -> str:
        """'Trust', 'Safety', ..."""
        return scores.LABELS.get(metric, metric.capitalize())

    def metric_help(self, source: str | None) -> str:
        """The question behind each score of `source`."""
        return " ".join(f"{scores.LABELS[m]}: '{scores.QUESTIONS[m]}'." for m in self.metrics.get(source, ()))


def controls(src, names: dict[str, str]) -> Controls:
    """The sources that carry scores (responses first), their scores in the usual order, and the areas."""
    answered = tuple(m for m in SCORE_METRICS if src.has(m))
    publishing = set(published.published_metrics(src))
    shown = tuple(m for m in SCORE_METRICS if m in publishing)
    metrics = {s: m for s, m in ((RESPONSES, answered), (PUBLISHED, shown)) if m}
    areas = tuple(sorted(names, key=lambda a: (names[a].lower(), a)))
    return Controls(tuple(metrics), metrics, areas, names)


def chosen_area(area: str | None, f: Filters) -> str | None:
    """The area to compare with the city: the one chosen on the page, else the sidebar's only area."""
    if area is None and len(f.areas) == 1:
        return f.areas[0]
    return area


def intro(policy: Policy, source: str | None = RESPONSES) -> str:
    """What the page shows, in one paragraph (Markdown)."""
    what = (
        "Scores are published area scores on 0–100 (**not a percentage**), shown as published, with the "
        "number of responses (n) where the publisher gave it"
        if source == PUBLISHED
        else "Scores are the mean answer on 0–10 × 10, on 0–100 (**not a percentage**), each with the number "
        "of responses (n) behind it and its 95 % interval"
    )
    return f"How residents feel about safety and about the police: where, among whom, and why. {what}; {policy.rule}."


def source_note(sources: tuple[str, ...], source: str | None) -> str:
    """Which scores are shown, in words, and what else the data holds."""
    both = len(sources) == 2
    if source == RESPONSES:
        text = "Scores are computed here from individual survey responses."
        if both:
            text += (
                " The data also holds published area scores: choose them above to see the published figures."
            )
        return text
    if source == PUBLISHED:
        text = (
            "Scores are the published area scores, shown as published (not recomputed); they carry no "
            "interval, and n only where the publisher gave it."
        )
        if both:
            return (
                text
                + " The data also holds individual responses: choose them above for scores with intervals."
            )
        return text + " The data has no individual responses, so scores cannot be computed here."
    return "The data holds no survey answers: neither individual responses nor published area scores."


NO_SCORE_TAB = "No scores to draw: the data has no survey answers (see above)."
NO_SCORES = (
    "No individual survey responses (with trust, safety, listen or respect answers) and no published area "
    "scores in the data, so no score can be shown. Comments and topics, where the data has them, are in "
    "their tabs."
)


def no_comments(src) -> str:
    """Why there are no comments, in words (without a final full stop)."""
    if src.has("responses"):
        return "No comments in the data: the responses have no `comment` column, or it is empty"
    return "No comments in the data: there are no individual responses (only published scores or events)"


# --- the small-numbers policy for sets of parts -----------------------------------------------------


def part_status(
    policy: Policy,
    n: np.ndarray,
    whole_n: float | None = None,
    whole_shown: bool = True,
    keys: Sequence[object] | None = None,
) -> np.ndarray:
    """The policy's verdict on each part of a set that adds up to a whole (EMPTY, SHOWN, FLAGGED, HIDDEN
    or SECONDARY). What the parts leave out of the whole (`whole_n` minus their sum: answers without an
    area or a group) is never shown, so it counts as hidden when secondary suppression is worked out. `keys`
    name the parts (Policy.hidden_in_set: which of equal parts is hidden never depends on their order)."""
    raw = np.asarray(n, dtype="float64")  # NaN: n not published (the figure is shown as published)
    n = np.nan_to_num(raw)
    rest = 0.0 if whole_n is None or fmt.is_missing(whole_n) else max(float(whole_n) - float(n.sum()), 0.0)
    if rest >= policy.k:  # the unshown rest already hides enough: primary suppression alone
        hidden = policy.hidden(n)
    else:
        names = None if keys is None else [str(k) for k in keys] + ["\uffff"]  # the rest after any part
        if rest > 0:
            hidden = policy.hidden_in_set(np.append(n, rest), whole_shown, names)[: len(n)]
        else:
            hidden = policy.hidden_in_set(n, whole_shown, None if names is None else names[:-1])
    primary = policy.hidden(n)
    status = np.array([policy.status(x) for x in raw], dtype=object)
    status[hidden & ~primary] = SECONDARY
    return status


def shown_values(values: np.ndarray, status: np.ndarray) -> np.ndarray:
    """`values` with NaN where the figure may not be shown (empty, hidden or hidden as a part)."""
    keep = np.isin(status, (SHOWN, FLAGGED))
    return np.where(keep, np.asarray(values, dtype="float64"), np.nan)


def shown_n(n: np.ndarray, status: np.ndarray) -> np.ndarray:
    """The n of each figure, NaN where it may not be shown (a hidden figure's n is hidden too)."""
    return np.where(np.isin(status, NOT_SHOWN), np.nan, np.asarray(n, dtype="float64"))


def n_label(name: str, n: float, status: str) -> str:
    """'Alder (n=120)', 'Alder (n=6) ⚠', 'Alder (n not published)'."""
    n_text = "n not published" if fmt.is_missing(n) else f"n={n:,.0f}"
    return f"{name} ({n_text})" + (f" {FLAG}" if status == FLAGGED else "")


def hidden_note(status: np.ndarray, policy: Policy, noun: str, answers: str = "responses") -> str:
    """'Not shown: 1 area with fewer than 10 responses and 1 more so that ...' ('' when none); `noun`
    plural ('areas')."""
    primary = int((status == HIDDEN).sum())
    secondary = int((status == SECONDARY).sum())
    if not primary and not secondary:
        return ""
    parts = []
    if primary:
        parts.append(
            f"{primary:,} {noun if primary > 1 else noun.removesuffix('s')} with fewer than {policy.k} {answers}"
        )
    if secondary:
        parts.append(f"{secondary:,} more so that those cannot be worked out from the others")
    return f"Not shown: {' and '.join(parts)}."


def interval_text(low: float, high: float) -> str:
    """'52–58', or '' when there is no interval."""
    if fmt.is_missing(low) or fmt.is_missing(high):
        return ""
    return f"{low:.0f}–{high:.0f}"


def rounded(value: float) -> float:
    """A score or share as people read it (whole points); NaN stays NaN."""
    return math.nan if fmt.is_missing(value) else float(round(value))


def extremes(table: pd.DataFrame, column: str, label: str = "areas") -> tuple[pd.DataFrame, str]:
    """`table` sorted by `column` (lowest first); with more than AREA_CHART_MAX rows only the lowest and
    highest AREA_CHART_EACH_END, and a note saying so."""
    rows = table[table[column].notna()].sort_values([column], kind="stable")
    if len(rows) <= AREA_CHART_MAX:
        return rows.reset_index(drop=True), ""
    note = (
        f"The {AREA_CHART_EACH_END} lowest and {AREA_CHART_EACH_END} highest of {len(rows):,} {label} are "
        "drawn; the download has every one."
    )
    ends = pd.concat([rows.head(AREA_CHART_EACH_END), rows.tail(AREA_CHART_EACH_END)])
    return ends.reset_index(drop=True), note
