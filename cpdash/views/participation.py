"""The Participation page's view: who takes part, how often, and at what cost.

KPI cards against the compared period, then one section per module: the monthly trend
(participation_trend), programs (participation_programs), seasonality (participation_season), reach
(participation_reach) and repeat engagement (participation_repeat). Every figure comes from cpdash.metrics;
those resting on participants pass the small-numbers policy. The page only lays this out.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpdash.metrics.engagement import Engagement, by_area, engagement
from cpdash.metrics.gather import Groups, Source
from cpdash.metrics.periods import PREVIOUS, Filters
from cpdash.metrics.selection import compared_shown
from cpdash.metrics.suppression import Policy
from cpdash.views import format as fmt
from cpdash.views.figures import Card, attendance_card, compared, count_card, events_card
from cpdash.views.participation_notable import Notables, notable_events
from cpdash.views.participation_programs import ProgramMix, program_mix
from cpdash.views.participation_reach import Reach, reach
from cpdash.views.participation_repeat import RepeatView, repeat_engagement
from cpdash.views.participation_season import Seasonality, seasonality
from cpdash.views.participation_text import compared_words
from cpdash.views.participation_trend import Trend, trend

INTRO = "Who takes part, how often, and at what cost."


class _Remembering:
    """The Source, answering each events and attendees query once while one view is computed (the
    sections ask some of the same questions: per program now, the areas in scope, ...)."""

    def __init__(self, src: Source) -> None:
        self._src = src
        self._answers: dict[tuple, Groups] = {}

    def _ask(self, kind: str, f: Filters, by: tuple[str, ...]) -> Groups:
        key = (kind, f, tuple(by))
        if key not in self._answers:
            self._answers[key] = getattr(self._src, kind)(f, tuple(by))
        return self._answers[key]

    def events(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Events and the sums of their figures (cpdash.metrics.gather.Source.events)."""
        return self._ask("events", f, by)

    def attendees(self, f: Filters, by: tuple[str, ...] = ()) -> Groups:
        """Participants of the events (cpdash.metrics.gather.Source.attendees)."""
        return self._ask("attendees", f, by)

    def __getattr__(self, name: str) -> object:
        return getattr(self._src, name)


@dataclass(frozen=True)
class Participation:
    """Everything the Participation page shows for one set of filters and choices."""

    intro: str  # what the page is about and what changes compare with
    cards: list[Card]
    notes: list[str]  # what limits the cards, in words
    trend: Trend
    programs: ProgramMix
    season: Seasonality
    reach: Reach
    repeat: RepeatView | None  # None: the data has no attendee records


def kpi_cards(now: Engagement, then: Engagement | None) -> list[Card]:
    """Events and attendance (as on the Overview), under-18s, officer hours and cost per attendee, with
    their changes against the compared period (`then`; None when it is not in the data)."""
    youth = count_card(
        "youth",
        "Under-18s",
        now.youth_attendance,
        then.youth_attendance if then else None,
        f"Attendees under 18, where counted (youth attendance). Youth share: {fmt.percent(now.youth_share * 100)} "
        "(events with both counts).",
    )
    hours = count_card(
        "hours",
        "Officer hours",
        now.officer_hours,
        then.officer_hours if then else None,
        "Officer hours at events.",
    )
    cost = count_card(
        "cost",
        "Cost/attendee",
        now.cost_per_attendee,
        then.cost_per_attendee if then else None,
        "Cost per attendee: direct cost divided by attendance, over the events that have both.",
        inverse=True,
        money=True,
    )
    return [events_card(now, then), attendance_card(now, then), youth, hours, cost]


def participation(
    src: Source,
    notables: Notables,
    f: Filters,
    policy: Policy,
    names: dict[str, str],
    compare: str = PREVIOUS,
    split: str = "program",
    measure: str = "attendance",
) -> Participation:
    """The Participation page's figures for the filters, compared as `compare` says; the trend split by
    `split` (program | area) and the trend and heat map counting `measure` (attendance | events)."""
    src = _Remembering(src)
    period = compared(src, f, compare, policy)
    before = period.filters if period.ok else None
    areas = by_area(src, f)  # once, for the cards, reach and the residents' ages
    now = engagement(src, f, areas)
    cards = kpi_cards(now, engagement(src, before) if before else None)
    notes = [card.note for card in cards if card.note]
    if period.note:
        notes.append(period.note)
    return Participation(
        intro=f"{INTRO} {period.text}",
        cards=cards,
        notes=notes,
        trend=trend(
            src,
            notable_events(notables, f, names),
            f,
            split,
            measure,
            names,
            compared_shown(src, f.last_year(), policy),
        ),
        programs=program_mix(src, f, before, compared_words(compare)),
        season=seasonality(src, f, measure),
        reach=reach(src, f, areas),
        repeat=repeat_engagement(src, f, policy, now.events, areas),
    )
