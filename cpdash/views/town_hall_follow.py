"""The town hall's last two sections: what we did, and what is still open with the next steps.

The counts are cpdash.metrics.follow_through's (open and in progress at the end from its
open_at_end / in_progress_at_end); the lists (resolved cards, the open backlog, upcoming events) are rows of
the data set chosen by the same definitions (cpdash.views.concerns), redacted.
"""

from __future__ import annotations

import pandas as pd

from cpdash.charts import follow_through as ft_charts
from cpdash.data.filters import select
from cpdash.metrics import follow_through
from cpdash.metrics.follow_through import RESOLVE_WITHIN_DAYS
from cpdash.metrics.gather import TOPIC
from cpdash.views import concerns as lists
from cpdash.views import format as fmt
from cpdash.views.figures import count_card
from cpdash.views.town_hall_model import (
    DID,
    OPEN,
    TITLES,
    Fact,
    Scope,
    Section,
    cut,
    plural,
    then_detail,
    when,
)

CARDS = 3
CARD_MAX_CHARS = 150
NEXT_EVENTS = 4
WORKING_TOPICS = 3
NO_CONCERNS = "No concerns table in the data: {what} cannot be shown."

# --- what we did -----------------------------------------------------------------------------------


def did_section(s: Scope) -> Section:
    """Concerns resolved in the period, how fast, against the compared period, and a few of them."""
    if not s.src.has("concerns"):
        return Section(
            DID,
            TITLES[DID],
            f"What we did about the concerns of {s.area_name}.",
            notes=(NO_CONCERNS.format(what="what was done"),),
        )
    now = follow_through.follow_through(s.src, s.f)
    then = follow_through.follow_through(s.src, s.before.filters)
    if now.resolved:
        lead = f"We resolved {plural(now.resolved, 'concern')} {when(s.f)}"
        lead += f" ({fmt.number(then.resolved)} in {s.before.short})." if s.before.ok else "."
    else:
        lead = f"We resolved no concern from {s.area_name} {when(s.f)}."
    resolved = count_card(
        "resolved",
        "Resolved",
        now.resolved,
        then.resolved if s.before.ok else None,
        "Resolved in the period.",
    )
    facts = [Fact(resolved.label, resolved.value, then_detail(then.resolved, s))]
    if not fmt.is_missing(now.median_days_to_resolve):
        detail = "half were resolved faster"
        previous = then_detail(then.median_days_to_resolve, s, " days")
        facts.append(
            Fact(
                "Median days to resolve",
                fmt.number(now.median_days_to_resolve),
                f"{detail}; {previous}" if previous else detail,
            )
        )
    if not fmt.is_missing(now.share_resolved_within_90):
        facts.append(
            Fact(
                f"Resolved within {RESOLVE_WITHIN_DAYS} days",
                fmt.percent(now.share_resolved_within_90 * 100),
                f"of {now.eligible_90:,} raised at least {RESOLVE_WITHIN_DAYS} days before the end",
            )
        )
    if now.declined:
        facts.append(Fact("Declined", fmt.number(now.declined), "with the reason given to residents"))
    texts = lists.text_areas(s.src, s.f, s.policy)
    cards, total = lists.resolved_cards(s.concern_list, s.f, s.names, limit=None, texts=texts)
    shown = tuple(
        lists.ConcernCard(
            c.concern_id,
            c.topic,
            cut(c.said, CARD_MAX_CHARS),
            c.raised,
            c.area,
            cut(c.did, CARD_MAX_CHARS),
            c.resolved,
            c.days,
        )
        for c in cards[:CARDS]
    )
    notes = [lists.text_note(s.policy)] if texts is not None and texts != {s.area_id} and cards else []
    if total > len(shown):
        more = "; the pack's table lists them all." if s.rows else "."
        notes.append(f"The {len(shown)} most recently resolved of {total:,}{more}")
    return Section(
        DID,
        TITLES[DID],
        lead,
        facts=tuple(facts),
        cards=shown,
        tables=(("resolved-concerns", lists.cards_frame(cards)),) if s.rows else (),
        notes=tuple(notes),
    )


# --- still open and next steps ---------------------------------------------------------------------


def upcoming_events(s: Scope, limit: int = NEXT_EVENTS) -> pd.DataFrame:
    """The area's next events after the period (of the chosen programs): start, program, title."""
    events = select(s.ds.events, s.f.with_period(None, None), None, by_program=True)
    after = events[(events["start"] >= pd.Timestamp(s.f.end) + pd.Timedelta(days=1)).to_numpy(dtype=bool)]
    after = after.sort_values("start", kind="stable").head(limit)
    title = after["title"] if "title" in after.columns else pd.Series(pd.NA, index=after.index)
    return pd.DataFrame({"start": after["start"], "program": after["program"], "title": title}).reset_index(
        drop=True
    )


def _next_events(s: Scope) -> tuple[pd.DataFrame, list[str]]:
    """The area's next events and one line for each (or one that says none is planned)."""
    coming = upcoming_events(s)
    if coming.empty:
        return coming, [f"No event in {s.area_name} is planned in the data after {s.f.end:%-d %b %Y} yet."]
    lines = []
    for row in coming.itertuples(index=False):
        title = row.title if isinstance(row.title, str) and row.title.strip() else row.program
        lines.append(f"{row.start:%-d %b %Y}: {cut(title, 80)} ({row.program})")
    return coming, lines


def open_by_topic(s: Scope) -> pd.DataFrame:
    """Concerns open at the end of the period per topic: label, in_progress, open, open_at_end."""
    table = follow_through.follow_through_by(s.src, s.f, (TOPIC,))
    table = table[table["open_at_end"] > 0]
    out = pd.DataFrame(
        {
            "label": table[TOPIC].astype("str"),
            "in_progress": table["in_progress_at_end"],
            "open": table["open_at_end"] - table["in_progress_at_end"],
            "open_at_end": table["open_at_end"],
        }
    )
    return out.sort_values(["open_at_end", "label"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def open_section(s: Scope) -> Section:
    """What is still open at the end of the period, by topic, the longest wait, and what comes next."""
    coming, events = _next_events(s)
    if not s.src.has("concerns"):
        return Section(
            OPEN,
            TITLES[OPEN],
            f"What comes next in {s.area_name}.",
            bullets=tuple(events),
            notes=(NO_CONCERNS.format(what="open concerns"),),
        )
    now = follow_through.follow_through(s.src, s.f)
    then = follow_through.follow_through(s.src, s.before.filters)
    still_open, working = now.open_at_end, now.in_progress_at_end
    if still_open:
        verb = "concern is" if still_open == 1 else "concerns are"
        lead = (
            f"{still_open:,} {verb} still open on {s.f.end:%-d %b %Y}; we are working on {working:,} of them."
        )
    else:
        lead = f"No concern from {s.area_name} is open on {s.f.end:%-d %b %Y}."
    facts = [
        Fact("Still open", fmt.number(still_open), then_detail(then.open_at_end, s, at="at the end of")),
        Fact("In progress", fmt.number(working), "work has started"),
    ]
    waiting = lists.backlog(s.concern_list, s.f, s.names, lists.text_areas(s.src, s.f, s.policy))
    if len(waiting):
        facts.append(
            Fact("Longest wait", plural(int(waiting["days_open"].iloc[0]), "day"), waiting["topic"].iloc[0])
        )
    topics = open_by_topic(s)
    busy = topics[topics["in_progress"] > 0].sort_values(
        ["in_progress", "label"], ascending=[False, True], kind="stable"
    )
    steps = [
        f"We are working on {row.label} ({row.in_progress:,})"
        for row in busy.head(WORKING_TOPICS).itertuples()
    ]
    if not coming.empty:
        steps.append("Come and talk to us:")
    table = lists.backlog_view(waiting, limit=None).drop(columns=["Area"])
    return Section(
        OPEN,
        TITLES[OPEN],
        lead,
        facts=tuple(facts),
        charts=(("open-by-topic", ft_charts.open_by_topic_chart(topics)),),
        tables=(("open-concerns", table),) if s.rows else (),
        bullets=tuple(steps + events),
    )
