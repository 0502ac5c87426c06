"""Lists of concerns, one row per concern: the open backlog and the resolved "you said, we did" cards.

Shared by "You said, we did" and the town hall. Which concern is open, in progress or resolved in a period
is decided by cpdash.metrics.follow_through.concern_rows (the row-level twin of the follow-through
figures); this module only arranges the rows for people. What residents said and what was done have their
personal details removed here (cpdash.text.redact), so no list ever carries them. `concerns` is the data
set's concerns table, or the same made ready once (`ready`: sorted, keyed and every summary redacted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from cpdash.metrics.follow_through import DAYS, FLAGS, ConcernTable, concern_rows, concern_table
from cpdash.metrics.gather import AREA, TOPIC, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.text.redact import redact, redact_series

OPEN = "open"
IN_PROGRESS = "in progress"
# Ages of open concerns, in days waited by the end of the period: (up to this many days, label).
AGE_BUCKETS: tuple[tuple[float, str], ...] = (
    (30, "Up to 1 month"),
    (90, "1–3 months"),
    (180, "3–6 months"),
    (365, "6–12 months"),
    (math.inf, "Over a year"),
)
BACKLOG_COLUMNS = (
    "concern_id",
    "raised",
    "days_open",
    "area_id",
    "area",
    "topic",
    "status",
    "source",
    "summary",
)
SAID = "said_redacted"  # column of `ready`'s rows: each summary with its personal details removed
BACKLOG_SHOWN = 200  # rows of the backlog shown on a page (the download has them all)
CARDS_SHOWN = 12


@dataclass(frozen=True)
class ConcernCard:
    """One resolved concern: what residents said, and what was done (both redacted)."""

    concern_id: str
    topic: str
    said: str  # the summary ("" when there is none)
    raised: date
    area: str
    did: str  # the action ("" when none was recorded)
    resolved: date
    days: int | None


def _text(rows: pd.DataFrame, column: str) -> pd.Series:
    """A text column of `rows` (all NA when absent)."""
    if column not in rows.columns:
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    return rows[column].astype("string")


def text_areas(src: Source, f: Filters, policy: Policy) -> frozenset[str] | None:
    """Public view: the areas whose residents' words (concern summaries) may be shown, those with at least k
    concerns raised in the period; None in the staff view (every area)."""
    if not policy.public:
        return None
    if not src.has("concerns"):
        return frozenset()
    groups = src.concerns(f, (AREA,))
    raised = np.asarray(groups["raised"], dtype="float64")
    labels = groups.key_text(AREA)
    return frozenset(str(a) for a in labels[raised >= policy.k])


def text_note(policy: Policy) -> str:
    """What the public view says about the summaries it leaves out."""
    return (
        f"In the public view what residents said is shown only from areas with at least {policy.k} concerns "
        "raised in the period; elsewhere only the topic."
    )


def ready(concerns: pd.DataFrame | None) -> ConcernTable:
    """The concerns made ready once for lists: sorted and keyed (concern_table), every summary redacted."""
    table = concern_table(concerns)
    if "summary" not in table.rows.columns:
        return table
    return ConcernTable(table.rows.assign(**{SAID: redact_series(_text(table.rows, "summary"))}), table.cols)


def _said(rows: pd.DataFrame, texts: frozenset[str] | None) -> pd.Series:
    """The rows' summaries, redacted (by `ready` when it made them); blank where the area's words may not be
    shown (`texts`)."""
    said = rows[SAID] if SAID in rows.columns else redact_series(_text(rows, "summary"))
    if texts is not None:
        allowed = _text(rows, AREA).isin(list(texts)).fillna(False).to_numpy(dtype=bool)
        said = said.where(allowed, pd.NA)
    return said


def backlog(
    concerns: pd.DataFrame | ConcernTable | None,
    f: Filters,
    names: dict[str, str],
    texts: frozenset[str] | None = None,
) -> pd.DataFrame:
    """The concerns still open at the end of the period, oldest first: concern_id, raised, days_open,
    area_id, area, topic, status ("in progress" or "open", as of the end), source, summary (redacted; only
    from the `texts` areas when given)."""
    rows = concern_rows(concerns, f, only="open_at_end")
    if len(rows) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype="float64" if c == "days_open" else "str") for c in BACKLOG_COLUMNS}
        )
    raised = pd.to_datetime(rows["raised"]).dt.normalize()
    area = _text(rows, AREA).fillna("")
    out = pd.DataFrame(
        {
            "concern_id": _text(rows, "concern_id").fillna(""),
            "raised": raised.dt.date,
            "days_open": (pd.Timestamp(f.end) - raised).dt.days.astype("int64"),
            "area_id": area,
            "area": [names.get(a, a) for a in area.to_numpy(dtype=object)],  # not Arrow, value by value
            "topic": _text(rows, TOPIC).fillna(""),
            "status": np.where(rows[FLAGS["in_progress_at_end"]].to_numpy(dtype=bool), IN_PROGRESS, OPEN),
            "source": _text(rows, "source"),
            "summary": _said(rows, texts),
        },
        index=rows.index,
    )
    out = out.sort_values(["days_open", "concern_id"], ascending=[False, True], kind="stable")
    return out[list(BACKLOG_COLUMNS)].reset_index(drop=True)


def backlog_view(table: pd.DataFrame, limit: int | None = BACKLOG_SHOWN) -> pd.DataFrame:
    """The backlog (its first `limit` rows) for people, column names in words."""
    rows = table if limit is None else table.head(limit)
    return pd.DataFrame(
        {
            "Raised": rows["raised"],
            "Days open": rows["days_open"],
            "Area": rows["area"],
            "Topic": rows["topic"],
            "Status": rows["status"],
            "What residents said": rows["summary"].fillna(""),
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


def resolved_cards(
    concerns: pd.DataFrame | ConcernTable | None,
    f: Filters,
    names: dict[str, str],
    topic: str | None = None,
    limit: int | None = CARDS_SHOWN,
    texts: frozenset[str] | None = None,
) -> tuple[list[ConcernCard], int]:
    """The concerns resolved in the period (of `topic` when given), most recently resolved first, as
    cards pairing what residents said (only from the `texts` areas when given) with what was done; and how
    many there are in all."""
    rows = concern_rows(concerns, f)
    mask = rows[FLAGS["resolved"]].to_numpy(dtype=bool)
    if topic is not None:
        mask = mask & (_text(rows, TOPIC).str.strip() == topic).fillna(False).to_numpy(dtype=bool)
    picked = np.flatnonzero(mask)
    total = len(picked)
    if total == 0:  # also when there is no resolved date to sort by
        return [], 0
    # most recently resolved first (then raised), ties as given; only the rows shown are taken out
    resolved = rows["resolved"].to_numpy(dtype="datetime64[ns]")[picked].astype("int64")
    raised = rows["raised"].to_numpy(dtype="datetime64[ns]")[picked].astype("int64")
    order = np.lexsort((-raised, -resolved))
    rows = rows.iloc[picked[order if limit is None else order[:limit]]]
    cards = []
    for row in rows.to_dict("records"):
        area = str(row.get(AREA, ""))
        cards.append(
            ConcernCard(
                concern_id=str(row.get("concern_id", "")),
                topic=str(row.get(TOPIC, "")),
                said=redact(row.get("summary")) if texts is None or area in texts else "",
                raised=pd.Timestamp(row["raised"]).date(),
                area=names.get(area, area),
                did=redact(row.get("action")),
                resolved=pd.Timestamp(row["resolved"]).date(),
                days=None if pd.isna(row[DAYS]) else int(row[DAYS]),
            )
        )
    return cards, total


def cards_frame(cards: list[ConcernCard]) -> pd.DataFrame:
    """Cards as a table (for a CSV): you said, we did, with dates."""
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
