"""The "You said, we did" view: follow-through cards against the compared period, where concerns stand by
area or topic, the open backlog and the resolved cards.

Every figure is cpdash.metrics.follow_through's; the lists come from cpdash.views.concerns. A concern's
status is only known as it stands now: as of the end of a past period a concern is "in progress" when it
is open then and its status now is "in progress"; every other concern open then counts as "open".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import follow_through
from cpdash.metrics.change import change
from cpdash.metrics.follow_through import RESOLVE_WITHIN_DAYS, ConcernTable, FollowThrough
from cpdash.metrics.gather import AREA, TOPIC, Source
from cpdash.metrics.periods import PREVIOUS, Filters, period_text
from cpdash.metrics.selection import compared_shown, compared_shown_alone
from cpdash.metrics.suppression import Policy
from cpdash.views import concerns as lists
from cpdash.views import format as fmt
from cpdash.views.figures import Card, Compared, compared, count_card

GROUPINGS = {"Area": AREA, "Topic": TOPIC}
STATUS_COLUMNS = ("raised", "resolved", "declined", "in_progress", "open", "open_at_end")
ALL_TOPICS = "All topics"
NEEDS = (
    "This page needs a `concerns` table: one row per concern residents raised, with `concern_id`, "
    "`raised` (a date), `area_id` and `topic`. Add `status` (open, in progress, resolved, declined), "
    "`resolved` (a date) and `action` to show what was done and how fast. The Data page describes it."
)


@dataclass(frozen=True)
class Summary:
    """The page's top: whether there are concerns, the cards and what limits them, the cards' topics."""

    available: bool
    intro: str
    cards: list[Card]
    notes: list[str]
    topics: list[str]  # ALL_TOPICS, then every topic the concerns carry
    downloads: bool  # row-level downloads are offered (never in the public view)


@dataclass(frozen=True)
class ByGroup:
    """Where concerns stand per area or topic, with the compared period."""

    label: str  # "Area" or "Topic"
    table: pd.DataFrame  # label and the STATUS_COLUMNS, for the chart
    view: pd.DataFrame  # for people and the CSV


@dataclass(frozen=True)
class Backlog:
    """The concerns still open at the end of the period, oldest first."""

    rows: pd.DataFrame  # cpdash.views.concerns.backlog
    ages: pd.DataFrame
    shown: pd.DataFrame  # the first rows, for people
    caption: str | None
    empty: str


@dataclass(frozen=True)
class Resolved:
    """The resolved cards of one topic (or all) and how many were resolved."""

    cards: list[lists.ConcernCard]
    total: int
    caption: str
    empty: str


def _help(text: str, before: Compared, value: str) -> str:
    """A card's help with the compared period's value (when a change may be shown)."""
    if not before.ok:
        return text
    period = period_text(before.filters.start, before.filters.end)
    return f"{text} Compared period ({period}): {value}."


def kpis(now: FollowThrough, then: FollowThrough, f: Filters, before: Compared) -> list[Card]:
    """Raised, resolved, declined, open at the end, median days and the share within 90 days, each with
    its change against the compared period (when it lies within the data)."""

    def count(key: str, label: str, field: str, text: str, inverse: bool = False) -> Card:
        value, previous = getattr(now, field), getattr(then, field)
        help_text = _help(text, before, f"{previous:,}")
        return count_card(key, label, value, previous if before.ok else None, help_text, inverse)

    cards = [
        count("raised", "Raised", "raised", "Concerns raised in the period."),
        count("resolved", "Resolved", "resolved", "Concerns resolved on a date in the period."),
        count("declined", "Declined", "declined", "Concerns declined on a date in the period."),
        count(
            "open",
            "Open at period end",
            "open_at_end",
            f"Raised by {f.end:%-d %b %Y} and not resolved or declined by then (whenever raised).",
            inverse=True,
        ),
    ]
    days = change(now.median_days_to_resolve, then.median_days_to_resolve)
    cards.append(
        Card(
            "median_days",
            "Median days to resolve",
            fmt.number(days.current),
            fmt.signed(days.delta, 0, "days") if before.ok else None,
            inverse=True,
            help=_help(
                "Over the concerns resolved in the period: half took fewer days, half more.",
                before,
                fmt.number(days.previous),
            ),
        )
    )
    share = change(now.share_resolved_within_90 * 100, then.share_resolved_within_90 * 100)
    cards.append(
        Card(
            "within_90",
            f"Resolved within {RESOLVE_WITHIN_DAYS} days",
            fmt.percent(share.current),
            fmt.signed(share.delta, 0, "points") if before.ok else None,
            help=_help(
                f"Of the {now.eligible_90:,} concerns raised in the period at least {RESOLVE_WITHIN_DAYS} "
                f"days before its end, the share resolved within {RESOLVE_WITHIN_DAYS} days.",
                before,
                fmt.percent(share.previous),
            ),
            note=None
            if now.eligible_90
            else f"No concern was raised {RESOLVE_WITHIN_DAYS} days or more before the end of the period: "
            "the share resolved within that time cannot be told yet.",
        )
    )
    return cards


def missing_dates_note(now: FollowThrough) -> str | None:
    """How many concerns are closed without a date (counted as closed, left out of the timings)."""
    missing = now.missing_resolved_date
    if not missing:
        return None
    noun = "concern is" if missing == 1 else "concerns are"
    return (
        f"{missing:,} {noun} marked resolved or declined without a date: counted as closed, "
        "but left out of the counts and timings of the period."
    )


def missing_columns_note(src: Source) -> str | None:
    """What the page cannot show because optional concern columns are empty or absent (None: all there)."""
    notes = []
    if not src.has("concerns.status"):
        notes.append(
            "no `status` column: a concern with a resolved date counts as closed, but none can be "
            "counted as resolved or declined"
        )
    if not src.has("concerns.resolved"):
        notes.append("no `resolved` dates: how fast concerns were closed cannot be shown")
    if not src.has("concerns.action"):
        notes.append("no `action` column: the cards cannot say what was done")
    if not src.has("concerns.summary"):
        notes.append("no `summary` column: the cards show the topic only")
    return "The concerns table has " + "; ".join(notes) + "." if notes else None


def topics(src: Source) -> list[str]:
    """Every topic the concerns carry (whenever raised), alphabetically."""
    table = follow_through.follow_through_by(src, Filters(), (TOPIC,))
    return sorted(str(t) for t in table[TOPIC]) if TOPIC in table.columns else []


def summary(
    src: Source, f: Filters, policy: Policy, compare: str = PREVIOUS, every_topic: list[str] | None = None
) -> Summary:
    """The cards, what limits them and the topics (`every_topic` when the caller kept `topics(src)`), for
    the filters."""
    before = compared(src, f, compare, policy)
    intro = "Concerns residents raised, what was done about them and what is still open. " + before.text
    if not src.has("concerns"):
        return Summary(False, intro, [], [], [ALL_TOPICS], False)
    now = follow_through.follow_through(src, f)
    then = follow_through.follow_through(src, before.filters)
    cards = kpis(now, then, f, before)
    notes = [card.note for card in cards if card.note]
    notes += [n for n in (missing_dates_note(now), missing_columns_note(src), before.note) if n]
    every_topic = topics(src) if every_topic is None else every_topic
    return Summary(True, intro, cards, notes, [ALL_TOPICS, *every_topic], not policy.public)


def status_table(
    src: Source,
    f: Filters,
    by: str,
    names: dict[str, str],
    compare: str = PREVIOUS,
    policy: Policy | None = None,
) -> pd.DataFrame:
    """Per area or topic: by, label, the STATUS_COLUMNS, median_days_to_resolve, share_resolved_within_90,
    and the compared period's open_at_end_prev, median_days_prev and share_90_prev; most concerns first.
    With the public view's `policy`, the compared figures are blank (NaN) where it would not show the choice
    (or, per area, the area alone) over the compared period (compared_shown)."""
    columns = [by, "label", *STATUS_COLUMNS, "median_days_to_resolve", "share_resolved_within_90"]
    columns += ["open_at_end_prev", "median_days_prev", "share_90_prev"]
    now = follow_through.follow_through_by(src, f, (by,))
    if len(now) == 0:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in (by, "label") else "float64") for c in columns})
    then = follow_through.follow_through_by(src, f.compared(compare), (by,))
    then = then[[by, "open_at_end", "median_days_to_resolve", "share_resolved_within_90"]].rename(
        columns={
            "open_at_end": "open_at_end_prev",
            "median_days_to_resolve": "median_days_prev",
            "share_resolved_within_90": "share_90_prev",
        }
    )
    out = now.assign(
        in_progress=now["in_progress_at_end"], open=now["open_at_end"] - now["in_progress_at_end"]
    ).merge(then, on=by, how="left")
    out["open_at_end_prev"] = out["open_at_end_prev"].fillna(0).astype("int64")
    out[by] = out[by].astype("str")
    out["label"] = [names.get(v, v) for v in out[by].to_numpy(dtype=object)] if by == AREA else out[by]
    if policy is not None and policy.public:
        before = f.compared(compare)
        if not compared_shown(src, before, policy):
            hide = np.ones(len(out), dtype=bool)
        elif by == AREA:
            hide = ~compared_shown_alone(src, before, policy, [str(a) for a in out[by]])
        else:
            hide = np.zeros(len(out), dtype=bool)
        out = out.astype({"open_at_end_prev": "float64"})
        out.loc[hide, ["open_at_end_prev", "median_days_prev", "share_90_prev"]] = np.nan
    out["_size"] = out["raised"] + out["open_at_end"]
    out = out.sort_values(["_size", "label"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def status_view(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """The status table with column names for people (shares in %, days rounded)."""
    return pd.DataFrame(
        {
            label: table["label"],
            "Raised": table["raised"],
            "Resolved": table["resolved"],
            "Declined": table["declined"],
            "In progress at end": table["in_progress"],
            "Open at end": table["open"],
            "Still open at end": table["open_at_end"],
            "Still open, compared period": table["open_at_end_prev"],
            "Median days to resolve": table["median_days_to_resolve"].round(0),
            "Median days, compared period": table["median_days_prev"].round(0),
            f"Resolved within {RESOLVE_WITHIN_DAYS} days (%)": (
                table["share_resolved_within_90"] * 100
            ).round(0),
            f"Within {RESOLVE_WITHIN_DAYS} days, compared period (%)": (table["share_90_prev"] * 100).round(
                0
            ),
        }
    )


def by_group(
    src: Source,
    f: Filters,
    label: str,
    names: dict[str, str],
    compare: str = PREVIOUS,
    policy: Policy | None = None,
) -> ByGroup:
    """Where concerns stand per area or per topic ("Area" or "Topic"), through `policy` (status_table)."""
    table = status_table(src, f, GROUPINGS.get(label, AREA), names, compare, policy)
    return ByGroup(label, table, status_view(table, label))


def still_open(
    concerns: pd.DataFrame | ConcernTable | None,
    f: Filters,
    names: dict[str, str],
    texts: frozenset[str] | None = None,
) -> Backlog:
    """The open backlog at the end of the period, its ages, and the rows shown (what residents said only
    from the `texts` areas when given: cpdash.views.concerns.text_areas)."""
    rows = lists.backlog(concerns, f, names, texts)
    shown = lists.backlog_view(rows)
    caption = None
    if len(rows) > len(shown):
        caption = f"The {len(shown):,} oldest of {len(rows):,}; the download has them all."
    empty = f"No concern is open at the end of the period ({f.end:%-d %b %Y})."
    return Backlog(rows, lists.backlog_ages(rows), shown, caption, empty)


def backlog_frame(backlog: Backlog) -> pd.DataFrame:
    """Every open concern of the backlog, for the CSV."""
    return lists.backlog_view(backlog.rows, limit=None)


def resolved(
    concerns: pd.DataFrame | ConcernTable | None,
    f: Filters,
    names: dict[str, str],
    topic: str = ALL_TOPICS,
    texts: frozenset[str] | None = None,
    policy: Policy | None = None,
) -> Resolved:
    """The most recently resolved concerns of `topic` as "you said, we did" cards (what residents said only
    from the `texts` areas when given)."""
    chosen = None if topic == ALL_TOPICS else topic
    cards, total = lists.resolved_cards(concerns, f, names, chosen, texts=texts)
    caption = (
        f"The {len(cards)} most recently resolved of {total:,} resolved in the period. "
        "Personal details are removed from what residents said."
    )
    if texts is not None and policy is not None:
        caption += " " + lists.text_note(policy)
    return Resolved(cards, total, caption, "No concern of this kind was resolved in the period.")


def resolved_frame(
    concerns: pd.DataFrame | ConcernTable | None,
    f: Filters,
    names: dict[str, str],
    topic: str = ALL_TOPICS,
    texts: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Every concern of `topic` resolved in the period, as a table (for the CSV)."""
    chosen = None if topic == ALL_TOPICS else topic
    return lists.cards_frame(lists.resolved_cards(concerns, f, names, chosen, limit=None, texts=texts)[0])
