"""What a town hall is made of: its sections (slides) and facts, the area and period it is about, and the
policy it shows figures through. The sections themselves are built in cpdash.views.town_hall_sections
(engagement, what you told us, how you feel) and cpdash.views.town_hall_follow (what we did, what is open).

Texts here are plain (no Markdown, no HTML): whoever shows them escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from cpdash.data.dataset import Dataset
from cpdash.metrics.follow_through import ConcernTable
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import format as fmt
from cpdash.views.concerns import ConcernCard
from cpdash.views.figures import Compared, ScoreFigure

ENGAGEMENT = "engagement"
VOICE = "voice"
FEEL = "feel"
DID = "did"
OPEN = "open"
SECTIONS: tuple[tuple[str, str], ...] = (
    (ENGAGEMENT, "Our engagement in your area"),
    (VOICE, "What you told us"),
    (FEEL, "How you feel"),
    (DID, "What we did"),
    (OPEN, "What is still open, and next steps"),
)
TITLES = dict(SECTIONS)
THIS_PERIOD = "This period"


@dataclass(frozen=True)
class Fact:
    """A large figure on a slide: its label, its value as text, and a line that explains it."""

    label: str
    value: str
    detail: str | None = None


@dataclass(frozen=True, eq=False)
class Section:
    """One slide: title, a sentence that says what it shows, and what backs it up."""

    key: str
    title: str
    lead: str
    facts: tuple[Fact, ...] = ()
    charts: tuple[tuple[str, go.Figure], ...] = ()  # (name for files, figure)
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()  # (name for files, table)
    quotes: tuple[str, ...] = ()
    cards: tuple[ConcernCard, ...] = ()
    bullets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    scores: tuple[
        ScoreFigure, ...
    ] = ()  # the scores the section shows (this period), as every page shows them


@dataclass(frozen=True, eq=False)
class TownHall:
    """The sections of a town hall for one area and period."""

    area_id: str
    area_name: str
    start: date
    end: date
    policy: Policy
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def public(self) -> bool:
        """True when small numbers are hidden (public-safe)."""
        return self.policy.public

    @property
    def k(self) -> int:
        """The fewest responses a figure may rest on."""
        return self.policy.k

    @property
    def period_text(self) -> str:
        """The period in words: '1 Nov 2025 – 31 Oct 2026'."""
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"

    @property
    def name_parts(self) -> tuple[object, ...]:
        """What file names carry: the area and the period."""
        return name_parts(self.area_name, self.start, self.end)


@dataclass(frozen=True)
class Scope:
    """What one town hall looks at: the statistics, the rows for lists, the area, the period (with its
    programs), the compared period, and the policy figures pass through."""

    src: Source
    ds: Dataset  # only for lists: resolved cards, the open backlog, quotes, upcoming events
    area_id: str
    area_name: str
    f: Filters  # its areas are (area_id,)
    before: Compared  # narrowed the same way
    policy: Policy
    rows: bool = True  # tables listing concerns one by one may be handed out (not in the public view)
    concerns: ConcernTable | None = None  # the data set's concerns made ready for lists (else ds.concerns)
    approved: frozenset[str] | None = (
        None  # public-safe: only these quotes (cpdash.data.approvals); None: any
    )

    @property
    def concern_list(self) -> ConcernTable | pd.DataFrame | None:
        """The concerns the lists read."""
        return self.concerns if self.concerns is not None else self.ds.concerns

    @property
    def names(self) -> dict[str, str]:
        """The area's name by its id, for lists."""
        return {self.area_id: self.area_name}

    @property
    def compared_label(self) -> str:
        """'Previous period' or 'Same period last year'."""
        words = self.before.short.removeprefix("the ")
        return words[:1].upper() + words[1:]


def name_parts(area_name: str, start: date, end: date) -> tuple[object, ...]:
    """What the pack's file names carry: the area and the period."""
    return ("town-hall", area_name, start.isoformat(), end.isoformat())


def when(f: Filters) -> str:
    """'between 1 Nov 2025 and 31 Oct 2026'."""
    return f"between {f.start:%-d %b %Y} and {f.end:%-d %b %Y}"


def cut(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def plural(count: float, noun: str, nouns: str | None = None) -> str:
    """'1 event', '3 events'."""
    return f"{fmt.number(count)} {noun if count == 1 else (nouns or noun + 's')}"


def compared_count(now: float, then: float, s: Scope) -> str:
    """', 12 more than in the previous period (40)' ('' when the compared period is not in the data)."""
    if not s.before.ok or fmt.is_missing(now) or fmt.is_missing(then):
        return ""
    delta = now - then
    if delta == 0:
        return f", as many as in {s.before.short}"
    more = "more" if delta > 0 else "fewer"
    return f", {fmt.number(abs(delta))} {more} than in {s.before.short} ({fmt.number(then)})"


def then_detail(then: float, s: Scope, unit: str = "", at: str = "in") -> str | None:
    """'40 in the previous period' (None when the compared period is not in the data)."""
    if not s.before.ok or fmt.is_missing(then):
        return None
    return f"{fmt.number(then)}{unit} {at} {s.before.short}"
