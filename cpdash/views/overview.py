"""The Overview page's figures: KPI cards with their change, and the areas that need attention."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cpdash import metrics
from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.data.filters import Filters, data_bounds, rows_in_period, select
from cpdash.views import format as fmt

ISSUE_ICONS = {"falling trust": "📉", "growing open concerns": "📬", "no engagement": "🚫"}
PAGE_FILES = {
    "community_voice": ("pages/community_voice.py", "Community voice"),
    "you_said_we_did": ("pages/you_said_we_did.py", "You said, we did"),
    "participation": ("pages/participation.py", "Participation"),
}


@dataclass(frozen=True)
class AttentionArea:
    """One area that needs attention: its issues in words, and the pages that explain them."""

    area_id: str
    name: str
    lines: tuple[str, ...]  # "📉 Falling trust: Trust 50 (n=215), down 14 points ..."
    pages: tuple[tuple[str, str], ...]  # (page file, label), most urgent first


@dataclass(frozen=True)
class Kpi:
    """One KPI card: label, value and change as text, and what a reader should know about it."""

    key: str
    label: str
    value: str
    delta: str | None
    inverse: bool = False  # a rise is bad news
    help: str | None = None
    note: str | None = None  # shown under the cards when something limits the figure


def _events(ds: Dataset, f: Filters) -> pd.DataFrame:
    return select(ds.events, f, None, by_program=True)


def _trust(ds: Dataset, f: Filters, k: int, public: bool) -> Kpi:
    """Trust from individual responses, else from published area scores."""
    label = "Trust score"
    responses = select(ds.responses, f, None) if ds.has("responses") else None
    if responses is not None and "trust" in responses:
        now = metrics.score(rows_in_period(responses, "submitted", f.start, f.end)["trust"], k)
        prev_f = f.previous()
        before = metrics.score(rows_in_period(responses, "submitted", prev_f.start, prev_f.end)["trust"], k)
        value = fmt.number(now.value)
        note = None
        if now.n == 0:
            value = "—"
        elif now.suppressed:
            value = "—" if public else f"{value} ⚠"
            note = f"Trust rests on {now.n} responses, fewer than {k}: " + (
                "not shown." if public else "treat it with care."
            )
        comparable = now.n >= k and before.n >= k
        delta = fmt.signed(now.value - before.value, 0, "points") if comparable else None
        interval = f"95 % interval {fmt.number(now.low)}–{fmt.number(now.high)}. " if now.n >= 2 else ""
        return Kpi(
            "trust",
            f"{label} (n={now.n:,})",
            value,
            delta,
            help=f"Mean answer to 'I trust the police in my neighbourhood' × 10, on 0–100: not a percentage. "
            f"{interval}Previous period: {fmt.number(before.value)} (n={before.n:,}).",
            note=note,
        )
    if ds.has("area_scores"):
        published = metrics.published_scores(ds.area_scores, "trust")
        if len(published):
            in_period = published[
                (published["period_end"].dt.date >= f.start) & (published["period_start"].dt.date <= f.end)
            ]
            if f.areas:
                in_period = in_period[in_period["area_id"].isin(f.areas)]
            else:
                city = in_period[in_period["level"] == "city"]
                in_period = city if len(city) else in_period
            if len(in_period):
                latest = in_period.sort_values("period_end").iloc[-1]
                n = latest.get("n")
                n_text = f"n={int(n):,}" if pd.notna(n) else "n not published"
                return Kpi(
                    "trust",
                    f"{label} ({n_text})",
                    fmt.number(latest["score"]),
                    None,
                    help=f"Published figure for {latest['period_start']:%-d %b %Y}–{latest['period_end']:%-d %b %Y}, "
                    "used as published. On 0–100: not a percentage.",
                )
    return Kpi("trust", label, "—", None, note="No trust answers in the data for this period.")


def _sentiment(ds: Dataset, f: Filters) -> Kpi:
    """Net comment sentiment (% positive − % negative) against the previous period."""
    label = "Sentiment"
    if not ds.has("responses") or SENTIMENT not in ds.responses:
        return Kpi("sentiment", label, "—", None, note="No comments in the data: sentiment cannot be shown.")
    responses = select(ds.responses, f, None)
    prev_f = f.previous()
    now = metrics.net_sentiment(rows_in_period(responses, "submitted", f.start, f.end)[SENTIMENT])
    before = metrics.net_sentiment(
        rows_in_period(responses, "submitted", prev_f.start, prev_f.end)[SENTIMENT]
    )
    comparable = now.n > 0 and before.n > 0
    return Kpi(
        "sentiment",
        f"{label} (n={now.n:,})",
        fmt.signed(now.net, 0) or "—",
        fmt.signed(now.net - before.net, 0, "points") if comparable else None,
        help="Net comment sentiment: % of comments positive minus % negative (VADER compound ≥ 0.05 positive, ≤ −0.05 negative); "
        f"{fmt.percent(now.positive)} positive, {fmt.percent(now.negative)} negative. "
        "Comments not in English are not scored.",
    )


def _concerns(ds: Dataset, f: Filters) -> Kpi:
    """Concerns open at the end of the period, against the end of the previous one."""
    label = "Open concerns"
    if not ds.has("concerns"):
        return Kpi(
            "concerns",
            label,
            "—",
            None,
            inverse=True,
            note="No concerns table: follow-through cannot be shown.",
        )
    concerns = select(ds.concerns, f, None)
    prev_f = f.previous()
    now = metrics.follow_through(concerns, f.start, f.end)
    before = metrics.follow_through(concerns, prev_f.start, prev_f.end)
    c = metrics.change(now.open_at_end, before.open_at_end)
    return Kpi(
        "concerns",
        label,
        fmt.number(now.open_at_end),
        fmt.change_text(c.delta, c.pct),
        inverse=True,
        help=f"Raised and not resolved or declined by {f.end:%-d %b %Y}. In the period: {now.raised:,} raised, "
        f"{now.resolved:,} resolved, {now.declined:,} declined.",
    )


def kpis(ds: Dataset, f: Filters, k: int = metrics.K_DEFAULT, public: bool = False) -> list[Kpi]:
    """The Overview's KPI cards for the filters, each with its change against the previous period."""
    events = _events(ds, f)
    prev_f = f.previous()
    area_ids = list(f.areas) or None
    now = metrics.engagement(events, ds.areas, f.start, f.end, area_ids)
    before = metrics.engagement(events, ds.areas, prev_f.start, prev_f.end, area_ids)
    cards = []
    c = metrics.change(now.events, before.events)
    cards.append(Kpi("events", "Events", fmt.number(now.events), fmt.change_text(c.delta, c.pct)))
    c = metrics.change(now.attendance, before.attendance)
    missing = None
    if now.events_without_attendance:
        missing = (
            f"Attendance: {now.events_without_attendance:,} of {now.events:,} events have no count; "
            "totals and averages use only the events that have one."
        )
    cards.append(
        Kpi(
            "attendance",
            "Attendance",
            fmt.number(now.attendance) if now.events_with_attendance else "—",
            fmt.change_text(c.delta, c.pct),
            help="People counted at events; events without a count are left out, not taken as zero.",
            note=missing,
        )
    )
    c = metrics.change(now.attendance_per_10k, before.attendance_per_10k)
    per_10k_note = None
    if fmt.is_missing(now.attendance_per_10k):
        per_10k_note = "Attendance per 10,000 residents needs area populations, which the data does not have."
    cards.append(
        Kpi(
            "per_10k",
            "Per 10,000 residents",
            fmt.number(now.attendance_per_10k, 0),
            fmt.change_text(c.delta, c.pct, 0),
            help="Attendance per 10,000 residents: attendance divided by the population of the areas "
            "in scope, × 10,000.",
            note=per_10k_note,
        )
    )
    cards.append(_trust(ds, f, k, public))
    cards.append(_sentiment(ds, f))
    cards.append(_concerns(ds, f))
    gap = len(now.areas_without_event)
    c = metrics.change(gap, len(before.areas_without_event))
    cards.append(
        Kpi(
            "no_event",
            "Areas with no event",
            f"{gap:,} of {now.areas_in_scope:,}",
            fmt.change_text(c.delta, None),
            inverse=True,
            help="Areas in scope where no event took place in the period.",
        )
    )
    return cards


def trends(ds: Dataset, f: Filters, k: int = metrics.K_DEFAULT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly attendance and monthly trust in the period, for the small trend charts."""
    events = rows_in_period(_events(ds, f), "start", f.start, f.end)
    attendance = metrics.monthly_engagement(events)
    trust = pd.DataFrame(columns=["month", "score", "n", "low", "high", "suppressed"])
    if ds.has("responses") and "trust" in ds.responses:
        responses = rows_in_period(select(ds.responses, f, None), "submitted", f.start, f.end)
        trust = metrics.monthly_scores(responses, "trust", k)
    return attendance, trust


def attention(ds: Dataset, f: Filters, k: int = metrics.K_DEFAULT) -> pd.DataFrame:
    """Areas that need attention in the period: falling trust, growing open concerns, no engagement."""
    events = _events(ds, f)
    areas = ds.areas if not f.areas else ds.areas[ds.areas["area_id"].isin(f.areas)]
    responses = select(ds.responses, f, None) if ds.has("responses") and "trust" in ds.responses else None
    concerns = select(ds.concerns, f, None) if ds.has("concerns") else None
    return metrics.needs_attention(events, responses, concerns, areas, f.start, f.end, k)


def attention_by_area(ds: Dataset, f: Filters, k: int = metrics.K_DEFAULT) -> list[AttentionArea]:
    """The areas that need attention, most urgent first, each with all its issues together."""
    frame = attention(ds, f, k)
    areas: dict[str, dict] = {}
    for row in frame.itertuples():  # already most urgent first
        entry = areas.setdefault(row.area_id, {"name": row.name, "lines": [], "pages": []})
        entry["lines"].append(f"{ISSUE_ICONS.get(row.issue, '•')} {row.issue.capitalize()}: {row.detail}")
        page = PAGE_FILES[row.page]
        if page not in entry["pages"]:
            entry["pages"].append(page)
    return [
        AttentionArea(area_id, e["name"], tuple(e["lines"]), tuple(e["pages"]))
        for area_id, e in areas.items()
    ]


@dataclass(frozen=True)
class Summary:
    """Everything the Overview shows for one set of filters."""

    kpis: list[Kpi]
    attendance: pd.DataFrame
    trust: pd.DataFrame
    attention: list[AttentionArea]
    notes: list[str]  # what limits the figures, in words


def summary(ds: Dataset, f: Filters, k: int = metrics.K_DEFAULT, public: bool = False) -> Summary:
    """The Overview's KPI cards, trends and areas needing attention for the filters."""
    attendance, trust = trends(ds, f, k)
    cards = kpis(ds, f, k, public)
    notes = [card.note for card in cards if card.note]
    first, _ = data_bounds(ds)
    if f.previous().start < first:
        # the previous period reaches back before the data: a change would compare with nothing
        cards = [replace(card, delta=None) for card in cards]
        notes.append(
            f"No change is shown: the data starts on {first:%-d %b %Y}, after the previous period began "
            f"({f.previous().start:%-d %b %Y})."
        )
    return Summary(cards, attendance, trust, attention_by_area(ds, f, k), notes)
