"""The figures every page shows, in words and through the small-numbers policy: one presentation each, so
that a score, a net sentiment or a count reads the same on the Overview, the Map, Community voice, the
town hall and in every download."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cpdash.metrics import published, scores, sentiment
from cpdash.metrics.change import change
from cpdash.metrics.engagement import Engagement
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import COMPARISONS, LAST_YEAR, PREVIOUS, Filters, period_text
from cpdash.metrics.selection import compared_shown
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, Policy
from cpdash.views import format as fmt

RESPONSES, PUBLISHED = "responses", "published"
SCORE_NOTE = "on 0–100: not a percentage"
COMPUTING = "⏳"  # a card's value while its figure is still being computed (a word is cut on a narrow card)
COMPARED_SHORT = {PREVIOUS: "the previous period", LAST_YEAR: "the same period last year"}


@dataclass(frozen=True)
class Compared:
    """The period figures are compared with, whether a change may be shown, and both in words."""

    filters: Filters
    ok: bool  # False when the compared period began before the data or may not be shown: no change
    text: str  # "Changes compare with the period of equal length just before (…)."
    short: str  # "the previous period"
    note: str | None  # why no change is shown


def compared(src: Source, f: Filters, compare: str = PREVIOUS, policy: Policy | None = None) -> Compared:
    """The compared period of the filters (PREVIOUS or LAST_YEAR) and whether a change can be shown: not
    when it begins before the data, nor (with the public view's `policy`) when the public view would not
    show the filters' choice over it (compared_shown: a change gives the earlier figure away)."""
    before = f.compared(compare)
    extent = src.extent()
    ok = extent is not None and before.start >= extent[0]
    note = None
    if not ok and extent is not None:
        note = (
            f"No change is shown: the data starts on {extent[0]:%-d %b %Y}, after the compared period began "
            f"({before.start:%-d %b %Y})."
        )
    elif ok and policy is not None and not compared_shown(src, before, policy):
        ok = False
        note = (
            f"No change is shown: the public view does not show this choice of areas and programs over the "
            f"compared period ({period_text(before.start, before.end)}), so it shows no change against it."
        )
    text = f"Changes compare with {COMPARISONS[compare]} ({period_text(before.start, before.end)})."
    return Compared(before, ok, text, COMPARED_SHORT.get(compare, "the compared period"), note)


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


def _from_responses(metric: str, s: scores.Score, policy: Policy) -> ScoreFigure:
    """A score from individual responses through the policy."""
    status = policy.status(s.n)
    shown = status not in (EMPTY, HIDDEN)
    value, low, high = (v if shown else math.nan for v in (s.value, s.low, s.high))
    return ScoreFigure(metric, value, policy.show_n(s.n), low, high, RESPONSES, status, raw_n=float(s.n))


def _from_published(metric: str, p: published.Published | None, policy: Policy) -> ScoreFigure:
    """A published score (None: no figure for the period) through the policy."""
    if p is None:
        return ScoreFigure(metric, math.nan, math.nan, math.nan, math.nan, PUBLISHED, EMPTY)
    status = policy.status(p.n)
    value = policy.show(p.value, p.n)
    return ScoreFigure(
        metric, value, policy.show_n(p.n), math.nan, math.nan, PUBLISHED, status, p.period, p.cadence, p.n
    )


def score_figure(
    src: Source, metric: str, f: Filters, policy: Policy, source: str | None = None
) -> ScoreFigure:
    """The score of `metric` for the filters, from `source` (default: score_source), through the policy."""
    source = score_source(src, metric) if source is None else source
    if source == RESPONSES:
        return _from_responses(metric, scores.score(src, metric, f), policy)
    if source == PUBLISHED:
        return _from_published(metric, published.published_score(src, metric, f), policy)
    return ScoreFigure(metric, math.nan, math.nan, math.nan, math.nan, "", EMPTY)


def hidden_in_set(fig: ScoreFigure) -> ScoreFigure:
    """The figure as a hidden part of a set (Policy.hidden_in_set): no value, n or interval."""
    return replace(fig, value=math.nan, n=math.nan, low=math.nan, high=math.nan, status=HIDDEN)


def score_figures_by_area(
    src: Source, metric: str, areas: Sequence[str], f: Filters, policy: Policy, source: str | None = None
) -> dict[str, ScoreFigure]:
    """Each of `areas`' score as score_figure gives it for that area alone (f.with_areas((area,))), then
    through the policy as a part of the set of areas: in the public view, secondary suppression too."""
    source = score_source(src, metric) if source is None else source
    ids = [str(a) for a in areas]
    if source == RESPONSES:
        table = scores.scores_by(src, metric, f, (AREA,))
        table = table.set_index(table[AREA].astype("str")).reindex(ids)
        n = table["n"].fillna(0).to_numpy(dtype="float64")
        figures = [
            _from_responses(metric, scores.Score(row.score, int(count), row.low, row.high), policy)
            for row, count in zip(table.itertuples(), n, strict=True)
        ]
    elif source == PUBLISHED:
        table = published.published_by_area(src, metric, f.with_areas(ids))
        table = table.set_index(table["area_id"].astype("str")).reindex(ids)
        n = table["n"].to_numpy(dtype="float64")
        figures = [
            None
            if np.isnan(row.value)
            else published.Published(
                row.value, row.n, row.period_start.date(), row.period_end.date(), row.cadence, area
            )
            for area, row in zip(ids, table.itertuples(), strict=True)
        ]
        figures = [_from_published(metric, p, policy) for p in figures]
    else:
        return {a: ScoreFigure(metric, math.nan, math.nan, math.nan, math.nan, "", EMPTY) for a in ids}
    hide = policy.hidden_in_set(n, keys=ids)
    return {a: hidden_in_set(fig) if h else fig for a, fig, h in zip(ids, figures, hide, strict=True)}


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
        return f"{label}: {policy.reason_in_set(fig.raw_n, True, 'answers')}"
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
    shown: bool | None = None,
) -> Card:
    """A score's card with its change against the compared period (only when both rest on k or more);
    from `source` (default: score_source). `shown`: compared_shown of `before`, when the caller knows it."""
    label = f"{scores.LABELS.get(metric, metric.capitalize())} score"
    now = score_figure(src, metric, f, policy, source)
    if now.source == "":
        return Card(metric, label, "—", note=f"No {metric} answers in the data: the score cannot be shown.")
    n_text = policy.n_text(now.raw_n) if now.status != EMPTY else ""
    title = f"{label} ({n_text})" if n_text else label
    then = score_figure(src, metric, before, policy, now.source)
    if shown is None:
        shown = compared_shown(src, before, policy)
    if not shown:  # the choice would be refused over the compared period
        then = hidden_in_set(then)
    delta = None
    both = not math.isnan(now.raw_n) and not math.isnan(then.raw_n) and min(now.raw_n, then.raw_n) >= policy.k
    both = both and then.status != HIDDEN
    if comparable and now.source == RESPONSES and both:
        delta = fmt.signed(now.value - then.value, 0, "points")
    help_text = f"Mean answer to '{scores.QUESTIONS.get(metric, metric)}' (0–10) × 10, {SCORE_NOTE}. "
    if now.source == PUBLISHED:
        help_text = f"Published figure, used as published ({SCORE_NOTE}). "
    help_text += score_words(now, policy) + "."
    if now.source == RESPONSES and then.status not in (EMPTY, HIDDEN):
        when = period_text(before.start, before.end)
        help_text += f" Compared period ({when}): {fmt.number(then.value)} ({policy.n_text(then.raw_n)})."
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
    if sentiment.pending(src):
        return Card("sentiment", label, COMPUTING, help=f"{sentiment.PENDING}.", note=f"{sentiment.PENDING}.")
    now, then = sentiment.net_sentiment(src, f), sentiment.net_sentiment(src, before)
    status = policy.status(now.n)
    n_text = policy.n_text(now.n) if status != EMPTY else ""
    shown = status not in (EMPTY, HIDDEN)
    value = (fmt.signed(now.net, 0) or "—") + (" ⚠" if status == FLAGGED else "") if shown else "—"
    delta = None
    if comparable and shown and min(now.n, then.n) >= policy.k and compared_shown(src, before, policy):
        delta = fmt.signed(now.net - then.net, 0, "points")
    help_text = (
        "Net comment sentiment: % of scored comments positive minus % negative (VADER compound ≥ 0.05 "
        "positive, ≤ −0.05 negative). Comments not in English are not scored."
    )
    if shown:
        help_text += f" {fmt.percent(now.positive)} positive, {fmt.percent(now.negative)} negative."
    if delta is not None:
        help_text += f" Compared period ({period_text(before.start, before.end)}): {fmt.signed(then.net, 0)}."
    note = None
    if status in (HIDDEN, FLAGGED):
        note = f"Sentiment: {policy.reason(now.n, 'scored comments')}."
    return Card(
        "sentiment", f"{label} ({n_text})" if n_text else label, value, delta, help=help_text, note=note
    )


def count_card(
    key: str,
    label: str,
    now: float,
    then: float | None,
    help_text: str,
    inverse: bool = False,
    money: bool = False,
) -> Card:
    """A count's card (events, attendance, open concerns) with its change (None: nothing to compare); with
    `money`, an amount (cost per attendee) whose change is given in %."""
    delta = None
    if then is not None:
        c = change(now, then)
        delta = fmt.signed(c.pct, 0, "%") if money else fmt.change_text(c.delta, c.pct)
    value = fmt.money(now) if money else fmt.number(now)
    return Card(key, label, value, delta, inverse=inverse, help=help_text)


def events_card(now: Engagement, then: Engagement | None) -> Card:
    """Events held, with the change against the compared period (None: nothing to compare)."""
    return count_card(
        "events", "Events", now.events, then.events if then else None, "Events held in the period."
    )


def attendance_card(now: Engagement, then: Engagement | None) -> Card:
    """People counted at events, with the change; '—' when no event has a count, and a note when some lack one."""
    card = count_card(
        "attendance",
        "Attendance",
        now.attendance,
        then.attendance if then else None,
        "People counted at events; events without a count are left out, not taken as zero.",
    )
    if now.events_with_attendance == 0:
        card = replace(card, value="—", delta=None)
    if now.events_without_attendance:
        card = replace(
            card,
            note=f"Attendance: {now.events_without_attendance:,} of {now.events:,} events have no count; "
            "totals and averages use only the events that have one.",
        )
    return card
