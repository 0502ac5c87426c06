"""A town hall for one area and period: the presenter's sections, each with its facts, charts and tables, and
everything the page decides around them (which area, public-safe or not, which slide).

Sections, in the order they are presented: our engagement in your area; what you told us; how you feel;
what we did; what is still open and next steps (cpdash.views.town_hall_sections and town_hall_follow).
Public-safe by default: figures pass the small-numbers policy of a public view (a score resting on fewer
than k answers is hidden with its n; staff who turn public-safe off see it flagged), quotes come only from
an area with at least k comments in the period and, public-safe, only those staff approved for publication
(cpdash.data.approvals), and every quote and summary has its personal details removed. The page, the presenter view, the HTML/PDF/ZIP pack and every CSV show these same objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpdash.data.dataset import Dataset
from cpdash.metrics import areas, sentiment
from cpdash.metrics.follow_through import ConcernTable
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import PREVIOUS, Filters, period_text
from cpdash.metrics.selection import refusal
from cpdash.metrics.suppression import Policy
from cpdash.views.figures import compared
from cpdash.views.town_hall_follow import did_section, open_section
from cpdash.views.town_hall_model import (
    DID,
    ENGAGEMENT,
    FEEL,
    OPEN,
    SECTIONS,
    TITLES,
    VOICE,
    Fact,
    Scope,
    Section,
    TownHall,
    name_parts,
)
from cpdash.views.town_hall_sections import (
    QUOTE_MAX_CHARS,
    engagement_section,
    feel_section,
    pick_quotes,
    voice_section,
)

__all__ = [
    "QUOTE_MAX_CHARS",
    "SECTIONS",
    "TITLES",
    "Fact",
    "Scope",
    "Section",
    "Setup",
    "TownHall",
    "area_options",
    "build",
    "default_area",
    "pick_quotes",
    "public_safe_choice",
    "public_safe_refusal",
    "scope",
    "section",
    "setup",
    "step",
    "town_hall",
    "town_hall_policy",
]

BUILDERS = {
    ENGAGEMENT: engagement_section,
    VOICE: voice_section,
    FEEL: feel_section,
    DID: did_section,
    OPEN: open_section,
}
SAMPLE_NOTICE = "Synthetic sample data: Riverton is an invented city."
ROW_TABLES = (
    "resolved-concerns",
    "open-concerns",
)  # tables of rows (staff only): their downloads are recorded
NO_AREAS = "A town hall is about one area, and the data has no areas: add an `areas` table."
NO_CONCERNS = (
    "Without a `concerns` table (concern_id, raised, area_id, topic; status, action and resolved to show "
    "follow-through), the town hall cannot say what residents raised, what was done or what is still open."
)


@dataclass(frozen=True)
class Setup:
    """What the page shows around the sections for the area chosen."""

    scope: Scope
    public_safe: bool
    caption: str  # "North End · 1 Jan 2026 – 31 Mar 2026"
    pack_note: str
    notice: str | None  # shown on every slide (the sample data)
    needs: str | None  # what the data lacks, in words
    file_parts: tuple[object, ...]
    refused: str | None = None  # public-safe: why this area cannot be shown (cpdash.metrics.selection)
    pack_waits: str | None = None  # why the pack cannot be taken yet (its sentiment is still being computed)


PACK_WAITS = (
    f"{sentiment.PENDING}: the pack is offered once it is done (its quotes are chosen by sentiment). "
    "This page fills in by itself; no need to reload it."
)


def area_options(names: dict[str, str]) -> list[str]:
    """The areas a town hall can be about, by name."""
    return sorted(names, key=lambda a: (names[a].lower(), a))


def default_area(options: list[str], f: Filters, current: str | None) -> str | None:
    """The area to show: the one chosen before, else the first of the sidebar's areas, else the first."""
    if current in options:
        return current
    if f.areas and f.areas[0] in options:
        return f.areas[0]
    return options[0] if options else None


def public_safe_choice(policy: Policy) -> str | None:
    """The help of the public-safe switch staff may turn off; None in a public deployment (always safe)."""
    if policy.public:
        return None
    return (
        f"Hide figures resting on fewer than {policy.k} answers (staff views otherwise flag them ⚠). "
        "Quotes and summaries always have personal details removed."
    )


def town_hall_policy(policy: Policy, public_safe: bool) -> Policy:
    """The policy a town hall shows figures through: a public view's when public-safe (or in a public
    deployment), else the deployment's."""
    return policy if policy.public or not public_safe else Policy(policy.k, public=True)


def step(index: int, by: int) -> int:
    """The slide `by` slides on from `index`, within the sections."""
    return min(max(index + by, 0), len(SECTIONS) - 1)


def scope(
    src: Source,
    ds: Dataset,
    area_id: str,
    f: Filters,
    policy: Policy,
    compare: str = PREVIOUS,
    rows: bool = True,
    concerns: ConcernTable | None = None,
    approved: frozenset[str] | None = None,
) -> Scope:
    """The scope of a town hall about `area_id` over the filters' period and programs (`concerns`: the
    data set's concerns made ready for lists, when the caller keeps them; `approved`: the only quotes it
    may show, None for any)."""
    local = f.with_areas((area_id,))
    name = areas.names(src).get(area_id, area_id)
    before = compared(src, local, compare, policy)
    return Scope(src, ds, area_id, name, local, before, policy, rows, concerns, approved)


def section(s: Scope, key: str) -> Section:
    """One section of the town hall."""
    return BUILDERS[key](s)


def town_hall(s: Scope) -> TownHall:
    """Every section of the town hall of a scope."""
    sections = tuple(section(s, key) for key, _ in SECTIONS)
    return TownHall(s.area_id, s.area_name, s.f.start, s.f.end, s.policy, sections)


def build(
    src: Source,
    ds: Dataset,
    area_id: str,
    f: Filters,
    policy: Policy,
    compare: str = PREVIOUS,
    rows: bool = True,
) -> TownHall:
    """Every section of the town hall about `area_id` over the filters' period, through `policy`."""
    return town_hall(scope(src, ds, area_id, f, policy, compare, rows))


def setup(
    src: Source,
    ds: Dataset,
    area_id: str,
    f: Filters,
    policy: Policy,
    compare: str = PREVIOUS,
    public_safe: bool = True,
    concerns: ConcernTable | None = None,
    approved: frozenset[str] = frozenset(),
) -> Setup:
    """The town hall of `area_id` as the page shows it: public-safe unless staff turn it off (a public
    deployment always is), with row-level tables only outside the public deployment; public-safe, it quotes
    only the `approved` quotes (cpdash.data.approvals)."""
    safe = public_safe or policy.public
    quotes = approved if safe else None
    th_policy = town_hall_policy(policy, safe)
    s = scope(src, ds, area_id, f, th_policy, compare, not policy.public, concerns, quotes)
    note = (
        "Public-safe: small numbers hidden, personal details removed."
        if safe
        else "Small numbers are flagged, not hidden: not for handing out."
    )
    return Setup(
        scope=s,
        public_safe=safe,
        caption=f"{s.area_name} · {period_text(f.start, f.end)}",
        pack_note="The HTML file opens offline in any browser, charts included; the PDF has one page per "
        "section; the ZIP adds every chart as PNG and every table as CSV. " + note,
        notice=SAMPLE_NOTICE if ds.is_sample else None,
        needs=None if src.has("concerns") else NO_CONCERNS,
        file_parts=name_parts(s.area_name, f.start, f.end),
        refused=public_safe_refusal(src, s.f, policy, s.names) if safe else None,
        pack_waits=PACK_WAITS if sentiment.pending(src) else None,
    )


def public_safe_refusal(src: Source, f: Filters, policy: Policy, names: dict[str, str]) -> str | None:
    """Why a public-safe town hall (the public view's, or a staff pack to hand out) may not be made for the
    filters' area: exactly the public view's refusal (cpdash.metrics.selection); in the staff view, with how
    to get a staff-only one instead."""
    said = refusal(src, f, Policy(policy.k, public=True), names)
    if said is None or policy.public:
        return said
    return (
        "No public-safe town hall or pack for this choice: the public view refuses it. "
        + said
        + " Turn Public-safe off for a staff-only view (small numbers flagged, not for handing out)."
    )


def rows_in(town_hall: TownHall) -> int:
    """How many rows the town hall's tables of rows (ROW_TABLES) hold: what a pack hands out row by row."""
    return sum(len(table) for s in town_hall.sections for name, table in s.tables if name in ROW_TABLES)
