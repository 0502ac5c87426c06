"""In-memory statistics that need more than a sum: the follow-through flags of each concern for a period,
and distinct, repeat and returning participants (cpdash.metrics.memory uses them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics import columns as c
from cpdash.metrics.gather import AREA, MONTH, RESOLVE_WITHIN_DAYS, TOPIC, Groups
from cpdash.metrics.periods import Filters

STATUSES = ("open", "in progress", "resolved", "declined")  # status codes 0..3, -1 for none or another
OPEN, IN_PROGRESS, RESOLVED, DECLINED = 0, 1, 2, 3
NEVER = np.iinfo("int64").max


def concern_columns(concerns: pd.DataFrame, area: c.Key) -> c.Columns:
    """The concerns as day-sorted columns (by the day raised): keys area_id (`area`, one code per row),
    status and topic, the resolved day as a value, and the concern ids."""
    raised = c.days_of(concerns["raised"]) if "raised" in concerns.columns else np.zeros(0, "int64")
    resolved = (
        c.days_of(concerns["resolved"])
        if "resolved" in concerns.columns
        else np.full(len(concerns), c.NO_DAY, dtype="int64")
    )
    status = (
        c.factor(concerns["status"].astype("string").str.lower(), pd.Index(STATUSES))
        if "status" in concerns.columns
        else c.Key(np.full(len(concerns), -1, dtype="int64"), pd.Index(STATUSES))
    )
    keys = {AREA: area, "status": status}
    if TOPIC in concerns.columns:
        keys[TOPIC] = c.factor(concerns[TOPIC])
    ids = concerns["concern_id"].astype("str").to_numpy(dtype=object) if "concern_id" in concerns else None
    return c.columns(raised, keys, {"resolved_day": resolved.astype("float64")}, ids)


def concern_flags(cols: c.Columns, rows: np.ndarray, f: Filters) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per selected concern, its follow-through flags for the filters' period (the definitions of
    cpdash.metrics.follow_through), and the days from raised to resolved (NaN without a date)."""
    raised = cols.day[rows]
    resolved = cols.values["resolved_day"][rows]
    status = cols.keys["status"].codes[rows]
    start = c.day_number(f.start) if f.start is not None else -NEVER
    end = c.day_number(f.end) if f.end is not None else NEVER
    is_resolved, is_declined = status == RESOLVED, status == DECLINED
    is_closed = is_resolved | is_declined
    no_status = status < 0  # none, or one the contract does not know
    has_date = resolved != float(c.NO_DAY)
    dated_by_end = has_date & (resolved <= end)
    closed_by_end = (is_closed & (~has_date | dated_by_end)) | (no_status & dated_by_end)
    raised_by_end = raised <= end
    raised_in = raised_by_end & (raised >= start)
    date_in = dated_by_end & (resolved >= start)
    days = np.where(has_date, resolved - raised, np.nan)
    eligible = raised_in & (raised + RESOLVE_WITHIN_DAYS <= end)
    open_at_end = raised_by_end & ~closed_by_end
    with np.errstate(invalid="ignore"):
        within = eligible & is_resolved & has_date & (days <= RESOLVE_WITHIN_DAYS)
    return {
        "raised": raised_in,
        "resolved": is_resolved & date_in,
        "declined": is_declined & date_in,
        "open_at_end": open_at_end,
        "in_progress_at_end": open_at_end & (status == IN_PROGRESS),
        "missing_resolved_date": raised_by_end & is_closed & ~has_date,
        "resolved_within_90": within,
        "eligible_90": eligible,
    }, days


def attendee_groups(built: dict, f: Filters, by: tuple[str, ...]) -> Groups:
    """Records, distinct participants, repeat participants (2 or more events), returning participants
    (first event in the data before the group's month, or before the period) and the events with records,
    per group."""
    cols: c.Columns = built["cols"]
    rows = c.select(cols, f, by_program=True)
    group, keys, _ = c.grouping(cols, rows, by, f)
    size = len(keys)
    people = max(int(built["participants"]), 1)
    participant = cols.values["participant"][rows].astype("int64")
    keep = group >= 0
    pairs = group[keep] * people + participant[keep]
    unique, first_row, counts = np.unique(pairs, return_index=True, return_counts=True)
    owner, who = unique // people, unique % people
    if MONTH in by:
        month = c.months_of(cols.day[rows][keep][first_row])
        start = month.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    else:
        start = np.full(len(unique), c.day_number(f.start) if f.start is not None else -NEVER)
    returning = built["first_day"][who] < start
    event = cols.values["event"][rows].astype("int64")[keep]
    events = max(int(event.max()) + 1, 1) if len(event) else 1
    event_owner = np.unique(group[keep] * events + event) // events

    def per_group(mask: np.ndarray | None = None) -> np.ndarray:
        chosen = owner if mask is None else owner[mask]
        return np.bincount(chosen, minlength=size)[:size].astype("float64")

    return Groups(
        keys,
        {
            "records": c.count(group, size),
            "participants": per_group(),
            "repeat": per_group(counts >= 2),
            "returning": per_group(returning),
            "events_with_records": np.bincount(event_owner, minlength=size)[:size].astype("float64"),
        },
    )
