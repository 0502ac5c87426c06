"""The figures every page shows, in words and through the small-numbers policy: one presentation each, so
that a score, a net sentiment or a count reads the same on the Overview, the Map, Community voice, the
town hall and in every download."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from cpdash.metrics import published, scores, sentiment
from cpdash.metrics.change import change
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, Policy
from cpdash.views import format as fmt

RESPONSES, PUBLISHED = "responses", "published"
SCORE_NOTE = "on 0–100: not a percentage"


@dataclass(frozen=True)
class Card:
    """One figure as a card: label, value and change as text, what a reader should know about it."""

    key: str
    label: str
    value: str
    delta: str | None = None
    inverse: bool = False  # a rise is bad news
    help: str | None = None
    note: str | None = None  # shown under the cards when something limits the figure


@dataclass(frozen=True)
class ScoreFigure:
    """A score as shown: value (NaN when it may not be shown), its n (NaN: hidden or not published),
    interval, where it comes from, its period in words (published figures), and the policy's verdict."""

    metric: str
    value: float
    n: float
    low: float
    high: float
    source: str  # RESPONSES, PUBLISHED or "" (none)
    status: str
    period: str = ""
    cadence: str = ""
    raw_n: float = math.nan  # the n behind it, for comparisons (never shown when hidden)


def score_source(src: Source, metric: str) -> str:
    """Where a score comes from: individual responses when the data has answers, else published scores."""
    if src.has(metric):
        return RESPONSES
    if metric in published.published_metrics(src):
        return PUBLISHED
    return ""


def score_figure(
    src: Source, metric: str, f: Filters, policy: Policy, source: str | None = None
) -> ScoreFigure:
    """The score of `metric` for the filters, from `source` (default: score_source), through the policy."""
    source = score_source(src, metric) if source is None else source
    if source == RESPONSES:
        s = scores.score(src, metric, f)
        status = policy.status(s.n)
        shown = status not in (EMPTY, HIDDEN)
        value, low, high = (v if shown else math.nan for v in (s.value, s.low, s.high))
        return ScoreFigure(metric, value, policy.show_n(s.n), low, high, RESPONSES, status, raw_n=float(s.n))
    if source == PUBLISHED:
        p = published.published_score(src, metric, f)
        if p is None:
            return ScoreFigure(metric, math.nan, math.nan, math.nan, math.nan, PUBLISHED, EMPTY)
        status = policy.status(p.n)
        value = policy.show(p.value, p.n)
        return ScoreFigure(
            metric, value, policy.show_n(p.n), math.nan, math.nan, PUBLISHED, status, p.period, p.cadence, p.n
        )
    return ScoreFigure(metric, math.nan, math.nan, math.nan, math.nan, "", EMPTY)


def score_value_text(fig: ScoreFigure, policy: Policy) -> str:
    """'62', '62 ⚠' (flagged) or '—'."""
    if fmt.is_missing(fig.value):
        return "—"
    return fmt.number(fig.value) + (" ⚠" if fig.status == FLAGGED else "")


def score_words(fig: ScoreFigure, policy: Policy) -> str:
    """The score in a sentence: 'Trust 62 (n=140; 95 % interval 58–66)', or why it is not shown."""
    label = scores.LABELS.get(fig.metric, fig.metric.capitalize())
    if fig.source == "":
        return f"{label}: no survey answers in the data"
    if fig.status == EMPTY:
        where = (
            "no published figure ends in this period"
            if fig.source == PUBLISHED
            else "no answers in this period"
        )
        return f"{label}: {where}"
    if fig.status == HIDDEN:
        return f"{label}: {policy.reason(fig.raw_n, 'answers')}"
    parts = [policy.n_text(fig.raw_n)] if not fmt.is_missing(fig.n) or fig.source == PUBLISHED else []
    if not fmt.is_missing(fig.low):
        parts.append(f"95 % interval {fmt.number(fig.low)}–{fmt.number(fig.high)}")
    if fig.source == PUBLISHED:
        parts.append(f"published for {fig.period}")
    if fig.status == FLAGGED:
        parts.append(f"fewer than {policy.k} answers, treat with care")
    text = f"{label} {score_value_text(fig, policy)}"
    return text + (f" ({'; '.join(p for p in parts if p)})" if any(parts) else "")


def comparable(before: Filters, first_day: dt.date | None) -> bool:
    """True when the compared period lies within the data (else a change would compare with nothing)."""
    return first_day is not None and before.start >= first_day


def score_card(
    src: Source,
    metric: str,
    f: Filters,
    before: Filters,
    policy: Policy,
    comparable: bool = True,
    source: str | None = None,
) -> Card:
    """A score's card with its change against the compared period (only when both rest on k or more);
    from `source` (default: score_source)."""
    label = f"{scores.LABELS.get(metric, metric.capitalize())} score"
    now = score_figure(src, metric, f, policy, source)
    if now.source == "":
        return Card(metric, label, "—", note=f"No {metric} answers in the data: the score cannot be shown.")
    n_text = policy.n_text(now.raw_n) if now.status != EMPTY else ""
    title = f"{label} ({n_text})" if n_text else label
    then = score_figure(src, metric, before, policy, now.source)
    delta = None
    both = not math.isnan(now.raw_n) and not math.isnan(then.raw_n) and min(now.raw_n, then.raw_n) >= policy.k
    if comparable and now.source == RESPONSES and both:
        delta = fmt.signed(now.value - then.value, 0, "points")
    help_text = f"Mean answer to '{scores.QUESTIONS.get(metric, metric)}' (0–10) × 10, {SCORE_NOTE}. "
    if now.source == PUBLISHED:
        help_text = f"Published figure, used as published ({SCORE_NOTE}). "
    help_text += score_words(now, policy) + "."
    if now.source == RESPONSES and then.status not in (EMPTY, HIDDEN):
        help_text += f" Compared period: {fmt.number(then.value)} ({policy.n_text(then.raw_n)})."
    note = None
    if now.status == HIDDEN:
        note = f"{label}: {policy.reason(now.raw_n, 'answers')}."
    elif now.status == FLAGGED:
        note = f"{label} rests on {int(now.raw_n):,} answers, fewer than {policy.k}: treat it with care."
    elif now.source == PUBLISHED and now.status == EMPTY and len(f.areas) > 1:
        note = f"{label}: published figures are per area and cannot be combined; choose one area."
    elif now.source == PUBLISHED and now.status == EMPTY:
        note = f"{label}: no published figure ends within this period."
    elif now.source == PUBLISHED:
        note = f"{label}: the published figure for {now.period} ({now.cadence})."
    return Card(metric, title, score_value_text(now, policy), delta, help=help_text, note=note)


def sentiment_card(src: Source, f: Filters, before: Filters, policy: Policy, comparable: bool = True) -> Card:
    """Net comment sentiment's card, through the policy, with its change when both periods rest on k."""
    label = "Sentiment"
    if not src.has("sentiment"):
        return Card(
            "sentiment", label, "—", note="No scored comments in the data: sentiment cannot be shown."
        )
    now, then = sentiment.net_sentiment(src, f), sentiment.net_sentiment(src, before)
    status = policy.status(now.n)
    n_text = policy.n_text(now.n) if status != EMPTY else ""
    shown = status not in (EMPTY, HIDDEN)
    value = (fmt.signed(now.net, 0) or "—") + (" ⚠" if status == FLAGGED else "") if shown else "—"
    delta = None
    if comparable and shown and min(now.n, then.n) >= policy.k:
        delta = fmt.signed(now.net - then.net, 0, "points")
    help_text = (
        "Net comment sentiment: % of scored comments positive minus % negative (VADER compound ≥ 0.05 "
        "positive, ≤ −0.05 negative). Comments not in English are not scored."
    )
    if shown:
        help_text += f" {fmt.percent(now.positive)} positive, {fmt.percent(now.negative)} negative."
    note = None
    if status in (HIDDEN, FLAGGED):
        note = f"Sentiment: {policy.reason(now.n, 'scored comments')}."
    return Card(
        "sentiment", f"{label} ({n_text})" if n_text else label, value, delta, help=help_text, note=note
    )


def count_card(
    key: str, label: str, now: float, then: float | None, help_text: str, inverse: bool = False
) -> Card:
    """A count's card (events, attendance, open concerns) with its change (None: nothing to compare)."""
    delta = None
    if then is not None:
        c = change(now, then)
        delta = fmt.change_text(c.delta, c.pct)
    return Card(key, label, fmt.number(now), delta, inverse=inverse, help=help_text)
