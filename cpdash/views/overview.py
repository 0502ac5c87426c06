"""The Overview's view: KPI cards against the compared period, the two trends, and the areas that need
attention, each figure from cpdash.metrics and through the small-numbers policy."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cpdash.metrics import attention, engagement, follow_through
from cpdash.metrics.gather import MONTH, Source
from cpdash.metrics.periods import PREVIOUS, Filters, period_text
from cpdash.metrics.suppression import Policy
from cpdash.views import format as fmt
from cpdash.views.figures import (
    Card,
    attendance_card,
    compared,
    count_card,
    events_card,
    score_card,
    score_source,
    sentiment_card,
)
from cpdash.views.trends import score_trend

ISSUE_ICONS = {attention.FALLING_TRUST: "📉", attention.OPEN_CONCERNS: "📬", attention.NO_ENGAGEMENT: "🚫"}
PAGE_FILES = {
    "community_voice": ("pages/community_voice.py", "Community voice"),
    "you_said_we_did": ("pages/you_said_we_did.py", "You said, we did"),
    "participation": ("pages/participation.py", "Participation"),
}


ATTENTION_METHOD = (
    "Ranked by how far each issue passes its threshold, added up: trust falling "
    f"{attention.TRUST_DROP:g} points (beyond the noise of its n) counts 1; open concerns growing by "
    f"{attention.OPEN_MIN_GROWTH:.0%} of the area's own earlier backlog (counted as at least "
    f"{attention.OPEN_BASE_FLOOR}, and by at least {attention.OPEN_MIN_INCREASE}) counts 1; no event in "
    "the period counts 1, or 1.5 with none in the compared period either."
)


@dataclass(frozen=True)
class AttentionArea:
    """One area that needs attention: its rank, its issues in words, why it ranks there, and the pages that
    explain them."""

    area_id: str
    name: str
    lines: tuple[str, ...]  # "📉 Falling trust: Trust 50 (n=215), down 14 points ..."
    pages: tuple[tuple[str, str], ...]  # (page file, label), most urgent first
    rank: int = 0
    reason: str = ""  # "Rank score 8.5: growing open concerns 5.8 + falling trust 2.7."


@dataclass(frozen=True)
class Overview:
    """Everything the Overview shows for one set of filters."""

    cards: list[Card]
    attendance: pd.DataFrame  # month, events, attendance, events_without_attendance
    trend: pd.DataFrame  # cpdash.views.trends columns
    attention: list[AttentionArea]
    notes: list[str]  # what limits the figures, in words
    comparison: str  # what changes compare with, in words


def engagement_cards(
    src: Source, f: Filters, before: Filters, compare: bool, by_area: tuple[pd.DataFrame, pd.DataFrame]
) -> list[Card]:
    """Events, attendance, attendance per 10,000 residents and areas with no event, with their changes."""
    now, then = engagement.engagement(src, f, by_area[0]), engagement.engagement(src, before, by_area[1])
    events = events_card(now, then if compare else None)
    attendance = attendance_card(now, then if compare else None)
    per_10k = count_card(
        "per_10k",
        "Per 10,000 residents",
        now.attendance_per_10k,
        then.attendance_per_10k if compare else None,
        "Attendance per 10,000 residents: attendance divided by the population of the areas in scope, × 10,000.",
    )
    if fmt.is_missing(now.attendance_per_10k):
        per_10k = replace(
            per_10k,
            note="Attendance per 10,000 residents needs area populations, which the data does not have.",
        )
    gap = len(now.areas_without_event)
    no_event = Card(
        "no_event",
        "Areas with no event",
        f"{gap:,} of {now.areas_in_scope:,}",
        fmt.change_text(gap - len(then.areas_without_event), None) if compare else None,
        inverse=True,
        help="Areas in scope where no event"
        + (" of the chosen programs" if f.programs else "")
        + " took place in the period.",
    )
    return [events, attendance, per_10k, no_event]


def concerns_card(src: Source, f: Filters, before: Filters, compare: bool) -> Card:
    """Concerns open at the end of the period, against the end of the compared one."""
    if not src.has("concerns"):
        return Card(
            "concerns",
            "Open concerns",
            "—",
            inverse=True,
            note="No concerns table: follow-through cannot be shown.",
        )
    now, then = follow_through.follow_through(src, f), follow_through.follow_through(src, before)
    return count_card(
        "concerns",
        "Open concerns",
        now.open_at_end,
        then.open_at_end if compare else None,
        f"Raised and not resolved or declined by {f.end:%-d %b %Y}. In the period: {now.raised:,} raised, "
        f"{now.resolved:,} resolved, {now.declined:,} declined.",
        inverse=True,
    )


def attention_by_area(
    src: Source, f: Filters, policy: Policy, compare: str, by_area: tuple[pd.DataFrame, pd.DataFrame]
) -> list[AttentionArea]:
    """Every area that needs attention, ranked (attention.ranked), each with all its issues and its reason."""
    ranked = attention.ranked_rows(attention.attention_rows(src, f, policy.k, compare, by_area, policy))
    out = []
    for rank, row in enumerate(ranked, start=1):
        lines, pages = [], []
        for issue in row["issues"]:
            lines.append(
                f"{ISSUE_ICONS.get(issue['issue'], '•')} {issue['issue'].capitalize()}: {issue['detail']}"
            )
            if PAGE_FILES[issue["page"]] not in pages:
                pages.append(PAGE_FILES[issue["page"]])
        parts = [f"{issue['issue']} {issue['severity']:.1f}" for issue in row["issues"]]
        reason = f"Rank score {row['score']:.1f}" + (
            f": {' + '.join(parts)}." if len(parts) > 1 else f" ({parts[0]})."
        )
        out.append(AttentionArea(row["area_id"], row["name"], tuple(lines), tuple(pages), rank, reason))
    return out


def overview(src: Source, f: Filters, policy: Policy, compare: str = PREVIOUS) -> Overview:
    """The Overview's cards, trends and areas needing attention for the filters."""
    period = compared(src, f, compare, policy)
    before, ok = period.filters, period.ok
    areas = (engagement.by_area(src, f), engagement.by_area(src, before))
    cards = engagement_cards(src, f, before, ok, areas)
    shown = True if ok else None  # ok: the compared period is in the data and may be shown
    cards.insert(3, score_card(src, "trust", f, before, policy, ok, shown=shown))
    cards.insert(4, sentiment_card(src, f, before, policy, ok))
    cards.insert(5, concerns_card(src, f, before, ok))
    notes = [card.note for card in cards if card.note]
    held = src.extent("events")
    if cards[0].value == "0" and held is not None and not (held[0] <= f.end and f.start <= held[1]):
        notes.append(f"No event in this period: the events in the data run from {period_text(*held)}.")
    if period.note:
        notes.append(period.note)
    monthly = engagement.engagement_by(src, f, (MONTH,))
    trend = score_trend(src, "trust", f, policy) if score_source(src, "trust") else pd.DataFrame()
    return Overview(
        cards, monthly, trend, attention_by_area(src, f, policy, compare, areas), notes, period.text
    )
