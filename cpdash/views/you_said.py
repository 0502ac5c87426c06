"""The "You said, we did" figures: follow-through by area and topic, the open backlog, resolved cards.

Built on the metric definitions in cpdash.metrics (follow_through, follow_through_by, concern_flags):
this module arranges them for people and never redefines them. Dates are periods of whole days.

A concern's status is only known as it stands now. As of the end of a past period a concern is
"in progress" when it is open then and its status now is "in progress"; every other concern open at
the end of the period (status "open", none, or closed only after the period) counts as "open".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.text.redact import redact
from cpdash.views import format as fmt
from cpdash.views.figures import Card as Kpi

OPEN = "open"
IN_PROGRESS = "in progress"
STATUS_ORDER = ("resolved", "declined", IN_PROGRESS, OPEN)  # the order the status bars stack in
STATUS_COLUMNS = ("raised", "resolved", "declined", "in_progress", "open", "open_at_end")
# Ages of open concerns, in days waited by the end of the period: (up to this many days, label).
AGE_BUCKETS: tuple[tuple[float, str], ...] = (
    (30, "Up to 1 month"),
    (90, "1–3 months"),
    (180, "3–6 months"),
    (365, "6–12 months"),
    (math.inf, "Over a year"),
)
CARDS_DEFAULT = 12
BACKLOG_SHOWN = 200  # rows of the backlog shown on the page (the download has them all)
BY_LABELS = {"area_id": "Area", "topic": "Topic"}


@dataclass(frozen=True)
class Comparison:
    """Follow-through in the period and in the period of equal length just before it."""

    now: metrics.FollowThrough
    before: metrics.FollowThrough


@dataclass(frozen=True)
class Card:
    """One resolved concern: what residents said, and what was done."""

    concern_id: str
    topic: str
    said: str  # the summary, personal details redacted ("" when there is none)
    raised: date
    area: str
    did: str  # the action ("" when none was recorded)
    resolved: date
    days: int | None


def _names(areas: pd.DataFrame | None) -> dict[str, str]:
    """area_id -> name."""
    if areas is None or "area_id" not in areas.columns or "name" not in areas.columns:
        return {}
    return dict(zip(areas["area_id"].astype("str"), areas["name"].astype("str"), strict=True))


def in_areas(concerns: pd.DataFrame | None, f: Filters) -> pd.DataFrame | None:
    """The concerns in the filters' areas (all dates: the metrics decide what each period counts)."""
    if concerns is None or not f.areas or "area_id" not in concerns.columns:
        return concerns
    return concerns[concerns["area_id"].isin(f.areas)]


def compare(concerns: pd.DataFrame | None, f: Filters) -> Comparison:
    """Follow-through over the filters' period and over the previous period of equal length."""
    chosen = in_areas(concerns, f)
    previous = f.previous()
    return Comparison(
        now=metrics.follow_through(chosen, f.start, f.end),
        before=metrics.follow_through(chosen, previous.start, previous.end),
    )


def kpis(cmp: Comparison, f: Filters) -> list[Kpi]:
    """The page's KPI cards, each with its change against the previous period."""
    now, before = cmp.now, cmp.before
    previous = f.previous()
    before_text = f"Previous period ({previous.start:%-d %b %Y} – {previous.end:%-d %b %Y}): "

    def count(key: str, label: str, value: int, previous_value: int, help: str, inverse: bool = False) -> Kpi:
        """A count's card with its change."""
        c = metrics.change(value, previous_value)
        return Kpi(
            key,
            label,
            fmt.number(value),
            fmt.change_text(c.delta, c.pct),
            inverse=inverse,
            help=f"{help} {before_text}{previous_value:,}.",
        )

    cards = [
        count("raised", "Raised", now.raised, before.raised, "Concerns raised in the period."),
        count(
            "resolved",
            "Resolved",
            now.resolved,
            before.resolved,
            "Concerns resolved on a date in the period.",
        ),
        count(
            "declined",
            "Declined",
            now.declined,
            before.declined,
            "Concerns declined on a date in the period.",
        ),
        count(
            "open",
            "Open at period end",
            now.open_at_end,
            before.open_at_end,
            f"Raised by {f.end:%-d %b %Y} and not resolved or declined by then (whenever raised).",
            inverse=True,
        ),
    ]
    days = metrics.change(now.median_days_to_resolve, before.median_days_to_resolve)
    cards.append(
        Kpi(
            "median_days",
            "Median days to resolve",
            fmt.number(now.median_days_to_resolve),
            fmt.signed(days.delta, 0, "days"),
            inverse=True,
            help="Over the concerns resolved in the period: half took fewer days, half more. "
            f"{before_text}{fmt.number(before.median_days_to_resolve)}.",
        )
    )
    share = metrics.change(now.share_resolved_within_90 * 100, before.share_resolved_within_90 * 100)
    cards.append(
        Kpi(
            "within_90",
            f"Resolved within {metrics.RESOLVE_WITHIN_DAYS} days",
            fmt.percent(share.current),
            fmt.signed(share.delta, 0, "points"),
            help=f"Of the {now.eligible_90:,} concerns raised in the period at least "
            f"{metrics.RESOLVE_WITHIN_DAYS} days before its end, the share resolved within "
            f"{metrics.RESOLVE_WITHIN_DAYS} days. {before_text}{fmt.percent(share.previous)}.",
            note=None
            if now.eligible_90
            else f"No concern was raised {metrics.RESOLVE_WITHIN_DAYS} days or more before the end of the "
            "period: the share resolved within that time cannot be told yet.",
        )
    )
    return cards


def missing_dates_note(cmp: Comparison) -> str | None:
    """Say how many concerns are closed without a date (counted as closed, left out of the timings)."""
    missing = cmp.now.missing_resolved_date
    if not missing:
        return None
    noun = "concern is" if missing == 1 else "concerns are"
    return (
        f"{missing:,} {noun} marked resolved or declined without a date: counted as closed, "
        "but left out of the counts and timings of the period."
    )


def _open_status(concerns: pd.DataFrame, flags: pd.DataFrame) -> pd.Series:
    """For each concern open at the end of the period, "in progress" or "open" (NA when not open)."""
    if "status" in concerns.columns:
        now = concerns["status"].astype("string").str.strip().str.lower()
        working = (now == IN_PROGRESS).fillna(False).to_numpy(dtype=bool)
    else:
        working = np.zeros(len(concerns), dtype=bool)
    open_at_end = flags["open_at_end"].to_numpy(dtype=bool)
    labels = np.where(working, IN_PROGRESS, OPEN).astype(object)
    labels[~open_at_end] = None
    return pd.Series(labels, index=concerns.index, dtype="string")


def status_table(
    concerns: pd.DataFrame | None, f: Filters, by: str, areas: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per area or topic: by, label, raised, resolved, declined, in_progress, open, open_at_end,
    median_days_to_resolve, share_resolved_within_90, and the previous period's open_at_end_prev,
    median_days_prev and share_90_prev; most concerns first."""
    columns = [
        by,
        "label",
        *STATUS_COLUMNS,
        "median_days_to_resolve",
        "share_resolved_within_90",
        "open_at_end_prev",
        "median_days_prev",
        "share_90_prev",
    ]
    chosen = in_areas(concerns, f)
    now = metrics.follow_through_by(chosen, f.start, f.end, by)
    if len(now) == 0:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in (by, "label") else "float64") for c in columns})
    previous = f.previous()
    before = metrics.follow_through_by(chosen, previous.start, previous.end, by)
    flags = metrics.concern_flags(chosen, f.start, f.end)
    working = (_open_status(chosen, flags) == IN_PROGRESS).fillna(False)
    in_progress = working.groupby(chosen[by], sort=True, dropna=True).sum().rename("in_progress")
    out = now.merge(in_progress, left_on=by, right_index=True, how="left")
    out["in_progress"] = out["in_progress"].fillna(0).astype("int64")
    out["open"] = out["open_at_end"] - out["in_progress"]
    before = before[[by, "open_at_end", "median_days_to_resolve", "share_resolved_within_90"]].rename(
        columns={
            "open_at_end": "open_at_end_prev",
            "median_days_to_resolve": "median_days_prev",
            "share_resolved_within_90": "share_90_prev",
        }
    )
    out = out.merge(before, on=by, how="left")
    out["open_at_end_prev"] = out["open_at_end_prev"].fillna(0).astype("int64")
    names = _names(areas) if by == "area_id" else {}
    out["label"] = [names.get(str(v), str(v)) for v in out[by]]
    out["_size"] = out["raised"] + out["open_at_end"]
    out = out.sort_values(["_size", "label"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def status_view(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """The status table with column names for people (shares in %, days rounded)."""
    return pd.DataFrame(
        {
            BY_LABELS.get(by, by): table["label"],
            "Raised": table["raised"],
            "Resolved": table["resolved"],
            "Declined": table["declined"],
            "In progress at end": table["in_progress"],
            "Open at end": table["open"],
            "Still open at end": table["open_at_end"],
            "Still open, previous period": table["open_at_end_prev"],
            "Median days to resolve": table["median_days_to_resolve"].round(0),
            "Median days, previous period": table["median_days_prev"].round(0),
            "Resolved within 90 days (%)": (table["share_resolved_within_90"] * 100).round(0),
            "Within 90 days, previous period (%)": (table["share_90_prev"] * 100).round(0),
        }
    )


def backlog(concerns: pd.DataFrame | None, f: Filters, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Concerns still open at the end of the period, oldest first: concern_id, raised, days_open,
    area_id, area, topic, status, source, summary (as given: redact before showing it)."""
    columns = ["concern_id", "raised", "days_open", "area_id", "area", "topic", "status", "source", "summary"]
    chosen = in_areas(concerns, f)
    if chosen is None or len(chosen) == 0 or "raised" not in chosen.columns:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "days_open" else "str") for c in columns})
    flags = metrics.concern_flags(chosen, f.start, f.end)
    mask = flags["open_at_end"].to_numpy(dtype=bool)
    rows = chosen[mask]
    raised = pd.to_datetime(rows["raised"]).dt.normalize()
    names = _names(areas)
    out = pd.DataFrame(
        {
            "concern_id": rows["concern_id"].astype("str") if "concern_id" in rows else "",
            "raised": raised.dt.date,
            "days_open": (pd.Timestamp(f.end) - raised).dt.days.astype("int64"),
            "area_id": rows["area_id"].astype("str"),
            "area": [names.get(a, a) for a in rows["area_id"].astype("str")],
            "topic": rows["topic"].astype("str") if "topic" in rows else "",
            "status": _open_status(chosen, flags)[mask],
            "source": rows.get("source", pd.NA),
            "summary": rows.get("summary", pd.NA),
        },
        index=rows.index,
    )
    out = out.sort_values(["days_open", "concern_id"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def open_by(table: pd.DataFrame, by: str = "topic") -> pd.DataFrame:
    """From the backlog, the concerns open at the end per topic (or area): label, in_progress, open,
    open_at_end; most open first."""
    key = "area" if by == "area_id" else by
    if table.empty:
        return pd.DataFrame(
            {"label": pd.Series(dtype="str"), "in_progress": [], "open": [], "open_at_end": []}
        )
    working = (table["status"] == IN_PROGRESS).fillna(False).astype("int64")
    grouped = pd.DataFrame({"in_progress": working, "open": 1 - working}).groupby(table[key].astype("str"))
    out = grouped.sum()
    out["open_at_end"] = out["in_progress"] + out["open"]
    out = out.rename_axis("label").reset_index()
    out = out.sort_values(["open_at_end", "label"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def backlog_view(table: pd.DataFrame, limit: int | None = BACKLOG_SHOWN) -> pd.DataFrame:
    """The backlog (its first `limit` rows) for people: summaries redacted, column names in words."""
    rows = table if limit is None else table.head(limit)
    return pd.DataFrame(
        {
            "Raised": rows["raised"],
            "Days open": rows["days_open"],
            "Area": rows["area"],
            "Topic": rows["topic"],
            "Status": rows["status"],
            "What residents said": [redact(s) for s in rows["summary"]],
            "Concern": rows["concern_id"],
        }
    )


def backlog_ages(table: pd.DataFrame) -> pd.DataFrame:
    """Open concerns per age bucket (days waited by the end of the period): age, concerns, oldest_days."""
    limits = np.array([b[0] for b in AGE_BUCKETS])
    days = table["days_open"].to_numpy(dtype="float64")
    bucket = np.searchsorted(limits, days, side="left")
    counts = np.bincount(bucket, minlength=len(AGE_BUCKETS))[: len(AGE_BUCKETS)]
    oldest = [float(days[bucket == i].max()) if counts[i] else math.nan for i in range(len(AGE_BUCKETS))]
    return pd.DataFrame(
        {"age": [b[1] for b in AGE_BUCKETS], "concerns": counts.astype("int64"), "oldest_days": oldest}
    )


def _date(value: object) -> date:
    """A timestamp as a date."""
    return pd.Timestamp(value).date()


def resolved_cards(
    concerns: pd.DataFrame | None,
    f: Filters,
    areas: pd.DataFrame | None = None,
    topic: str | None = None,
    limit: int | None = CARDS_DEFAULT,
) -> tuple[list[Card], int]:
    """The concerns resolved in the period (of `topic` when given), most recently resolved first, as
    cards pairing what residents said with what was done; and how many there are in all."""
    chosen = in_areas(concerns, f)
    if chosen is None or len(chosen) == 0 or "raised" not in chosen.columns:
        return [], 0
    flags = metrics.concern_flags(chosen, f.start, f.end)
    mask = flags["resolved"].to_numpy(dtype=bool)
    if topic is not None and "topic" in chosen.columns:
        mask = mask & (chosen["topic"] == topic).fillna(False).to_numpy(dtype=bool)
    rows = chosen[mask].assign(_days=flags["days"][mask])
    total = len(rows)
    if total == 0:
        return [], 0
    rows = rows.sort_values(["resolved", "raised"], ascending=[False, False], kind="stable")
    if limit is not None:
        rows = rows.head(limit)
    names = _names(areas)
    cards = []
    for row in rows.to_dict("records"):
        summary, action = row.get("summary"), row.get("action")
        cards.append(
            Card(
                concern_id=str(row.get("concern_id", "")),
                topic=str(row.get("topic", "")),
                said=redact(summary) if isinstance(summary, str) else "",
                raised=_date(row["raised"]),
                area=names.get(str(row["area_id"]), str(row["area_id"])),
                did=redact(action) if isinstance(action, str) else "",
                resolved=_date(row["resolved"]),
                days=None if pd.isna(row["_days"]) else int(row["_days"]),
            )
        )
    return cards, total


def cards_frame(cards: list[Card]) -> pd.DataFrame:
    """Cards as a table (for the CSV download): you said, we did, with dates."""
    return pd.DataFrame(
        {
            "Concern": [c.concern_id for c in cards],
            "Area": [c.area for c in cards],
            "Topic": [c.topic for c in cards],
            "Raised": [c.raised for c in cards],
            "You said": [c.said for c in cards],
            "We did": [c.did for c in cards],
            "Resolved": [c.resolved for c in cards],
            "Days to resolve": [c.days for c in cards],
        }
    )


def topics(concerns: pd.DataFrame | None) -> list[str]:
    """The topics the concerns carry, alphabetically."""
    if concerns is None or "topic" not in concerns.columns or len(concerns) == 0:
        return []
    return sorted(str(t) for t in concerns["topic"].dropna().unique())


def missing_columns_note(concerns: pd.DataFrame | None) -> str | None:
    """What the page cannot show because optional concern columns are absent, in words (None: all there)."""
    if concerns is None:
        return None
    notes = []
    if "status" not in concerns.columns:
        notes.append(
            "no `status` column: a concern with a resolved date counts as closed, but none can be "
            "counted as resolved or declined"
        )
    if "resolved" not in concerns.columns:
        notes.append("no `resolved` dates: how fast concerns were closed cannot be shown")
    if "action" not in concerns.columns:
        notes.append("no `action` column: the cards cannot say what was done")
    if "summary" not in concerns.columns:
        notes.append("no `summary` column: the cards show the topic only")
    if not notes:
        return None
    return "The concerns table has " + "; ".join(notes) + "."
