"""The Overview's view: KPI cards against the compared period, the two trends, and the areas that need
attention, each figure from cpdash.metrics and through the small-numbers policy."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cpdash.metrics import attention, engagement, follow_through
from cpdash.metrics.gather import MONTH, Source
from cpdash.metrics.periods import COMPARISONS, PREVIOUS, Filters, period_text
from cpdash.metrics.suppression import Policy
from cpdash.views import format as fmt
from cpdash.views.figures import Card, comparable, count_card, score_card, score_source, sentiment_card
from cpdash.views.trends import score_trend

ISSUE_ICONS = {attention.FALLING_TRUST: "📉", attention.OPEN_CONCERNS: "📬", attention.NO_ENGAGEMENT: "🚫"}
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
class Overview:
    """Everything the Overview shows for one set of filters."""

    cards: list[Card]
    attendance: pd.DataFrame  # month, events, attendance, events_without_attendance
    trend: pd.DataFrame  # cpdash.views.trends columns
    attention: list[AttentionArea]
    notes: list[str]  # what limits the figures, in words
    comparison: str  # what changes compare with, in words


def engagement_cards(src: Source, f: Filters, before: Filters, compare: bool) -> list[Card]:
    """Events, attendance, attendance per 10,000 residents and areas with no event, with their changes."""
    now, then = engagement.engagement(src, f), engagement.engagement(src, before)
    events = count_card(
        "events", "Events", now.events, then.events if compare else None, "Events held in the period."
    )
    attendance = count_card(
        "attendance",
        "Attendance",
        now.attendance,
        then.attendance if compare else None,
        "People counted at events; events without a count are left out, not taken as zero.",
    )
    if now.events_with_attendance == 0:
        attendance = replace(attendance, value="—", delta=None)
    if now.events_without_attendance:
        attendance = replace(
            attendance,
            note=f"Attendance: {now.events_without_attendance:,} of {now.events:,} events have no count; "
            "totals and averages use only the events that have one.",
        )
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


def attention_by_area(src: Source, f: Filters, policy: Policy, compare: str) -> list[AttentionArea]:
    """The areas that need attention, most urgent first, each with all its issues together."""
    frame = attention.needs_attention(src, f, policy.k, compare)
    areas: dict[str, dict] = {}
    for row in frame.itertuples():  # already most urgent first
        entry = areas.setdefault(row.area_id, {"name": row.name, "lines": [], "pages": []})
        entry["lines"].append(f"{ISSUE_ICONS.get(row.issue, '•')} {row.issue.capitalize()}: {row.detail}")
        page = PAGE_FILES[row.page]
        if page not in entry["pages"]:
            entry["pages"].append(page)
    return [AttentionArea(a, e["name"], tuple(e["lines"]), tuple(e["pages"])) for a, e in areas.items()]


def overview(src: Source, f: Filters, policy: Policy, compare: str = PREVIOUS) -> Overview:
    """The Overview's cards, trends and areas needing attention for the filters."""
    before = f.compared(compare)
    extent = src.extent()
    ok = comparable(before, extent[0] if extent else None)
    cards = engagement_cards(src, f, before, ok)
    cards.insert(3, score_card(src, "trust", f, before, policy, ok))
    cards.insert(4, sentiment_card(src, f, before, policy, ok))
    cards.insert(5, concerns_card(src, f, before, ok))
    notes = [card.note for card in cards if card.note]
    if not ok and extent is not None:
        notes.append(
            f"No change is shown: the data starts on {extent[0]:%-d %b %Y}, after the compared period began "
            f"({before.start:%-d %b %Y})."
        )
    monthly = engagement.engagement_by(src, f, (MONTH,))
    trend = score_trend(src, "trust", f, policy) if score_source(src, "trust") else pd.DataFrame()
    comparison = f"Changes compare with {COMPARISONS[compare]} ({period_text(before.start, before.end)})."
    return Overview(cards, monthly, trend, attention_by_area(src, f, policy, compare), notes, comparison)
