"""The Participation page's figures: trends, program mix, seasonality, reach and repeat engagement.

The definitions are those of cpdash.metrics (engagement_by, monthly_engagement, engagement): a missing
attendance is unknown, never zero; youth share and cost per attendee use only the events that have both
figures. So that a filter change stays fast on a city's 100,000 events, the events are turned once per
data set into aligned arrays (`basis`, cached by cpdash.ui) and every table here sums those arrays with
numpy; tests/test_participation.py checks that the sums equal what cpdash.metrics gives.

Captions are Markdown-safe: names from the data pass through cpdash.format.markdown_text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.dataset import Dataset
from cpdash.data.schema import AGE_GROUPS, AGE_SHARE_COLUMNS
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt

# --- constants -------------------------------------------------------------------------------------

SPLITS = {"program": "Program", "area": "Area"}  # trend: what the bars are split by
MEASURES = {"attendance": "Attendance", "events": "Events"}  # trend and heat map: what is counted
TOP_GROUPS = 7  # trend: groups drawn on their own; the others are summed as "Other ..."
OTHER_LABEL = {"program": "Other programs", "area": "Other areas"}
ROLLING_MONTHS = 3  # the rolling average line
SPREAD_SHARE = 0.5  # when the groups drawn on their own hold less than this share, the caption says so
LAUNCH_LOOKBACK_DAYS = 365  # a first event counts as a launch only when the data reaches this far back
LAUNCH_MIN_EVENTS = 3  # ... and when the program then held at least this many events in the area
LARGE_FACTOR = 3.0  # an event is unusually large at this multiple of its program's median attendance ...
LARGE_MIN = 100  # ... and with at least this many people
MAX_LAUNCHES = 5  # launches marked on the timeline (all are in the download)
MAX_LARGE = 5  # unusually large events marked on the timeline (the largest)
LEVEL_PCT = 1.0  # a change smaller than this (in %) is "level"
COST_MIN_ATTENDANCE = 50  # programs with fewer counted attendees are not ranked on cost
SEASON_MIN_MONTHS = 6  # fewer months in the period: no claim about seasonality
SEASON_PEAK_MONTHS = 3  # "x % of its attendance came in its 3 busiest months"
SEASON_MIN_EVENTS = 6  # programs with fewer events (when counting events) are not judged on seasonality
REACH_ALL_MAX = 40  # reach chart: every area up to this many; beyond, the top and bottom REACH_SHOW
REACH_SHOW = 10  # ... the top and bottom this many
LIST_NAMES = 12  # names listed in a sentence before "and N more"
REPEAT_MIN_EVENTS = 2  # a repeat participant came to at least this many events

# Per-event figures summed by group: value and "known" indicator pairs, and the numerators and
# denominators of youth share and cost per attendee (both figures known, as in cpdash.metrics).
WEIGHTS = (
    "attendance",
    "attendance_known",
    "youth_attendance",
    "youth_attendance_known",
    "youth_num",
    "youth_den",
    "officer_hours",
    "officer_hours_known",
    "cost",
    "cost_known",
    "cost_num",
    "cost_den",
)
SUMMED = ("attendance", "youth_attendance", "officer_hours", "cost")
FIGURE_COLUMNS = (
    "events",
    "attendance",
    "events_with_attendance",
    "events_without_attendance",
    "youth_attendance",
    "youth_share",
    "officer_hours",
    "cost",
    "cost_per_attendee",
)
# The sums each figure needs.
NEEDS: dict[str, tuple[str, ...]] = {
    "events": (),
    "attendance": ("attendance", "attendance_known"),
    "events_with_attendance": ("attendance_known",),
    "events_without_attendance": ("attendance_known",),
    "youth_attendance": ("youth_attendance", "youth_attendance_known"),
    "youth_share": ("youth_num", "youth_den"),
    "officer_hours": ("officer_hours", "officer_hours_known"),
    "cost": ("cost", "cost_known"),
    "cost_per_attendee": ("cost_num", "cost_den"),
}
TREND_COLUMNS = ("attendance", "events_without_attendance")
NOTABLE_COLUMNS = ("date", "month", "kind", "program", "area", "attendance", "label", "marked")
REACH_COLUMNS = (
    "area_id",
    "name",
    "population",
    "events",
    "attendance",
    "events_without_attendance",
    "per_10k",
    "rank",
    "note",
)
# What the repeat-engagement section says when the data has no attendee records.
NO_ATTENDEES = (
    "Repeat engagement needs an **attendees** table: one row per person per event, with `event_id` and "
    "`participant_key` (a pseudonymous key, never a name), and optionally `age_group` and `home_area_id`. "
    "With it, this section shows the share of participants who come back, returning participants by month "
    "and who attends compared with the area's population. Sign-in sheets or registration exports can "
    "provide it."
)

# --- the per-data-set basis ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventTable:
    """The events as aligned arrays sorted by start (events without a start are left out)."""

    start: np.ndarray  # datetime64[ns], ascending
    month: np.ndarray  # int64: calendar months since January 1970
    area: np.ndarray  # int64 code into `area_ids`, -1 when missing
    program: np.ndarray  # int64 code into `programs`, -1 when missing
    area_ids: pd.Index
    programs: pd.Index
    area_values: np.ndarray  # the same as `area_ids`, as an object array (fast to take from)
    program_values: np.ndarray  # the same as `programs`, as an object array
    weights: dict[str, np.ndarray]  # float64 per WEIGHTS entry, 0 where unknown
    present: frozenset[str]  # which of SUMMED the events table carries
    event_ids: np.ndarray  # object

    def __len__(self) -> int:
        """Number of events."""
        return len(self.start)


@dataclass(frozen=True)
class AttendeeTable:
    """Attendee records (one per participant and event) with their event's start, area and program."""

    start: np.ndarray  # datetime64[ns], ascending
    month: np.ndarray  # int64 months since 1970
    area: np.ndarray  # codes into the EventTable's area_ids
    program: np.ndarray  # codes into the EventTable's programs
    event: np.ndarray  # position of the record's event in the EventTable
    participant: np.ndarray  # int64 code into the participants
    participants: int  # number of distinct participants
    first_month: np.ndarray  # per participant: month of their first event in the data
    age: np.ndarray  # per participant: code into AGE_GROUPS, -1 when unknown
    unmatched: int  # records whose event is not in the events table (left out)


@dataclass(frozen=True)
class Basis:
    """What the page needs that depends only on the data set: built once and shared read-only."""

    events: EventTable
    areas: pd.DataFrame  # every area: name, population, code (into events.area_ids), indexed by area_id
    scope: pd.DataFrame  # the areas in scope when none is chosen: area_id, name, population, code
    first_day: pd.Timestamp | None  # first event in the data
    launches: np.ndarray  # per event: True for a program's launch in an area (see _launches)
    typical: np.ndarray  # per program code: median known attendance (NaN when none)
    attendees: AttendeeTable | None


def _as_datetime(values: pd.Series) -> np.ndarray:
    """`values` as naive datetime64[ns]."""
    when = pd.to_datetime(values, errors="coerce")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return when.to_numpy(dtype="datetime64[ns]")


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """`column` as float64 with NaN where unknown (all NaN when absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _months(values: np.ndarray) -> np.ndarray:
    """datetime64 values as calendar months since January 1970."""
    return values.astype("datetime64[M]").astype("int64")


def _month_of(day: dt.date) -> int:
    """The calendar month of `day`, counted since January 1970."""
    return (day.year - 1970) * 12 + day.month - 1


def _month_index(months: np.ndarray) -> pd.DatetimeIndex:
    """First days of months counted since January 1970."""
    return pd.DatetimeIndex(
        np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[ns]")
    )


def event_table(events: pd.DataFrame | None) -> EventTable:
    """The events as aligned numpy arrays, sorted by start, with the per-event figures to sum."""
    frame = events if events is not None and "start" in events.columns else pd.DataFrame({"start": []})
    start = _as_datetime(frame["start"]) if len(frame) else np.zeros(0, "datetime64[ns]")
    keep = ~np.isnat(start)
    order = np.flatnonzero(keep)[np.argsort(start[keep], kind="stable")]
    rows = frame.iloc[order]
    start = start[order]
    area_codes, area_ids = pd.factorize(rows["area_id"] if "area_id" in rows else pd.Series([]), sort=True)
    program_codes, programs = pd.factorize(rows["program"] if "program" in rows else pd.Series([]), sort=True)
    att = _numbers(rows, "attendance")
    youth = _numbers(rows, "youth_attendance")
    hours = _numbers(rows, "officer_hours")
    cost = _numbers(rows, "cost")
    has_att = ~np.isnan(att)
    pair_youth = has_att & ~np.isnan(youth) & (np.nan_to_num(att) > 0)
    pair_cost = has_att & ~np.isnan(cost)
    columns = {
        "attendance": np.nan_to_num(att),
        "attendance_known": has_att,
        "youth_attendance": np.nan_to_num(youth),
        "youth_attendance_known": ~np.isnan(youth),
        "youth_num": np.where(pair_youth, youth, 0.0),
        "youth_den": np.where(pair_youth, att, 0.0),
        "officer_hours": np.nan_to_num(hours),
        "officer_hours_known": ~np.isnan(hours),
        "cost": np.nan_to_num(cost),
        "cost_known": ~np.isnan(cost),
        "cost_num": np.where(pair_cost, cost, 0.0),
        "cost_den": np.where(pair_cost, att, 0.0),
    }
    weights = {w: np.ascontiguousarray(columns[w], dtype="float64") for w in WEIGHTS}
    ids = rows["event_id"] if "event_id" in rows else pd.Series(np.arange(len(rows)).astype(str))
    area_values = np.array([str(a) for a in area_ids], dtype=object)
    program_values = np.array([str(p) for p in programs], dtype=object)
    return EventTable(
        start=start,
        month=_months(start),
        area=np.asarray(area_codes, dtype="int64"),
        program=np.asarray(program_codes, dtype="int64"),
        area_ids=pd.Index(area_values, dtype="str"),
        programs=pd.Index(program_values, dtype="str"),
        area_values=area_values,
        program_values=program_values,
        weights=weights,
        present=frozenset(c for c in SUMMED if c in frame.columns),
        event_ids=ids.astype("str").to_numpy(dtype=object),
    )


def _launches(
    table: EventTable, lookback_days: int = LAUNCH_LOOKBACK_DAYS, min_events: int = LAUNCH_MIN_EVENTS
) -> np.ndarray:
    """Positions of each program's first event in each area, when the data reaches back at least
    `lookback_days` before it and the program went on to hold `min_events` events there (not a one-off)."""
    ok = (table.area >= 0) & (table.program >= 0)
    if not ok.any():
        return np.zeros(0, dtype="int64")
    key = table.area * max(len(table.programs), 1) + table.program
    positions = np.flatnonzero(ok)
    _, first, count = np.unique(key[positions], return_index=True, return_counts=True)
    first = np.sort(positions[first[count >= min_events]])  # rows are sorted by start: first = earliest
    threshold = table.start[0] + np.timedelta64(lookback_days, "D")
    return first[table.start[first] >= threshold]


def _launch_mask(table: EventTable) -> np.ndarray:
    """Per event: True when it is a program launch (see _launches)."""
    mask = np.zeros(len(table), dtype=bool)
    if len(table):
        mask[_launches(table)] = True
    return mask


def _typical(table: EventTable) -> np.ndarray:
    """Median known attendance per program code (NaN when no event of the program has a count)."""
    out = np.full(len(table.programs), np.nan)
    known = (table.weights["attendance_known"] > 0) & (table.program >= 0)
    if not known.any() or "attendance" not in table.present:
        return out
    frame = pd.DataFrame({"program": table.program[known], "attendance": table.weights["attendance"][known]})
    medians = frame.groupby("program")["attendance"].median()
    out[medians.index.to_numpy()] = medians.to_numpy()
    return out


def attendee_table(attendees: pd.DataFrame | None, table: EventTable) -> AttendeeTable | None:
    """Attendee records joined to their events (start, area, program), in start order; None without any.

    A participant counts once per event (duplicate rows are dropped); records whose event is not in the
    events table are left out and counted in `unmatched`.
    """
    if attendees is None or len(attendees) == 0:
        return None
    if "event_id" not in attendees.columns or "participant_key" not in attendees.columns:
        return None
    records = attendees[["event_id", "participant_key"]].copy()
    records["age_group"] = attendees["age_group"] if "age_group" in attendees.columns else pd.NA
    records = records.dropna(subset=["event_id", "participant_key"])
    records = records.drop_duplicates(subset=["event_id", "participant_key"])
    position = pd.Index(table.event_ids).get_indexer(records["event_id"].astype("str"))
    matched = position >= 0
    unmatched = int((~matched).sum())
    records, position = records[matched], position[matched]
    order = np.argsort(position, kind="stable")  # event positions are in start order
    records, position = records.iloc[order], np.asarray(position[order], dtype="int64")
    codes, keys = pd.factorize(records["participant_key"].astype("str"), sort=False)
    codes = np.asarray(codes, dtype="int64")
    months = table.month[position]
    n = len(keys)
    first_month = np.full(n, np.iinfo("int64").max)
    np.minimum.at(first_month, codes, months)
    age_codes = pd.Categorical(records["age_group"], categories=list(AGE_GROUPS)).codes.astype("int64")
    age = np.full(n, -1, dtype="int64")
    known = age_codes >= 0
    age[codes[known]] = age_codes[known]  # each participant's age group: one recorded for them
    return AttendeeTable(
        start=table.start[position],
        month=months,
        area=table.area[position],
        program=table.program[position],
        event=position,
        participant=codes,
        participants=n,
        first_month=first_month,
        age=age,
        unmatched=unmatched,
    )


def _with_codes(frame: pd.DataFrame, table: EventTable, areas: pd.DataFrame | None) -> pd.DataFrame:
    """`frame` (area_id, name, population) with each area's code into the events' area ids and the
    areas table's population shares by age (share_* columns), when it has them."""
    out = frame.assign(code=table.area_ids.get_indexer(frame["area_id"].astype("str")).astype("int64"))
    columns = [c for c in AGE_SHARE_COLUMNS.values() if areas is not None and c in areas.columns]
    if len(columns) == len(AGE_SHARE_COLUMNS):
        unique = areas.drop_duplicates(subset="area_id")
        shares = unique[columns].apply(pd.to_numeric, errors="coerce")
        out = out.join(shares.set_axis(unique["area_id"].astype("str").to_numpy(), axis=0), on="area_id")
    return out


def build_basis(
    events: pd.DataFrame | None, areas: pd.DataFrame | None, attendees: pd.DataFrame | None = None
) -> Basis:
    """Everything the page's figures need that depends only on the data set."""
    table = event_table(events)
    first = pd.Timestamp(table.start[0]) if len(table) else None
    every = metrics.scope_areas(None, areas, None)
    return Basis(
        events=table,
        areas=_with_codes(every, table, areas).set_index("area_id"),
        scope=_with_codes(metrics.scope_areas(events, areas, None), table, areas),
        first_day=first,
        launches=_launch_mask(table),
        typical=_typical(table),
        attendees=attendee_table(attendees, table),
    )


def basis(ds: Dataset) -> Basis:
    """The basis of a loaded data set (cpdash.ui caches it per data source)."""
    return build_basis(ds.events, ds.areas, ds.attendees)


# --- selecting and summing -------------------------------------------------------------------------


def _bounds(values: np.ndarray, start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """The slice of sorted datetimes from `start` to `end`, inclusive by calendar day."""
    lo = 0 if start is None else int(np.searchsorted(values, np.datetime64(start, "ns"), "left"))
    if end is None:
        return lo, len(values)
    hi = int(np.searchsorted(values, np.datetime64(end + dt.timedelta(days=1), "ns"), "left"))
    return lo, max(lo, hi)


def _lookup(index: pd.Index, chosen: Sequence[str]) -> np.ndarray:
    """A boolean lookup by code + 1 (position 0 stands for a missing key): which codes are chosen."""
    ok = np.zeros(len(index) + 1, dtype=bool)
    ok[1:] = index.isin(list(chosen))
    return ok


def _select(
    start: np.ndarray,
    area: np.ndarray,
    program: np.ndarray,
    table: EventTable,
    f: Filters,
    first: dt.date | None,
    last: dt.date | None,
) -> np.ndarray:
    """Positions of the rows from `first` to `last` in the filters' areas and programs."""
    lo, hi = _bounds(start, first, last)
    rows = np.arange(lo, hi)
    if f.areas:
        rows = rows[_lookup(table.area_ids, f.areas)[area[rows] + 1]]
    if f.programs:
        rows = rows[_lookup(table.programs, f.programs)[program[rows] + 1]]
    return rows


def event_rows(table: EventTable, f: Filters, first: dt.date | None, last: dt.date | None) -> np.ndarray:
    """Positions of the events from `first` to `last` in the filters' areas and programs."""
    return _select(table.start, table.area, table.program, table, f, first, last)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _figure(
    column: str, events: np.ndarray, sums: dict[str, np.ndarray], present: frozenset[str]
) -> np.ndarray:
    """One engagement column from per-group event counts and sums (cpdash.metrics' rules: a total is
    NaN when no event of the group has the figure, 0 for a group without events)."""
    if column in SUMMED:
        if column not in present:
            return np.full(len(events), np.nan)
        total = np.where(sums[f"{column}_known"] > 0, sums[column], np.nan)
        return np.where(events > 0, total, 0.0)
    if column == "events_with_attendance":
        return sums["attendance_known"].astype("int64")
    if column == "events_without_attendance":
        return events.astype("int64") - sums["attendance_known"].astype("int64")
    if column == "youth_share":
        return _ratio(sums["youth_num"], sums["youth_den"])
    if column == "cost_per_attendee":
        return _ratio(sums["cost_num"], sums["cost_den"])
    raise KeyError(column)


def _sum_by(
    table: EventTable,
    rows: np.ndarray,
    codes: np.ndarray,
    groups: int,
    columns: Sequence[str] = FIGURE_COLUMNS,
) -> dict[str, np.ndarray]:
    """Per group 0..groups-1 (codes of `rows`; -1 left out): events and the engagement `columns`."""
    if len(codes) and codes.min() < 0:
        keep = codes >= 0
        rows, codes = rows[keep], codes[keep]
    contiguous = len(rows) > 0 and rows[-1] - rows[0] + 1 == len(rows)
    take = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows  # a slice avoids a copy
    events = np.bincount(codes, minlength=groups)
    needed = {w for c in columns for w in NEEDS[c]}
    sums = {w: np.bincount(codes, weights=table.weights[w][take], minlength=groups) for w in needed}
    out = {"events": events.astype("int64")}
    for column in columns:
        if column != "events":
            out[column] = _figure(column, events, sums, table.present)
    return out


def totals(table: EventTable, rows: np.ndarray) -> dict[str, float]:
    """Engagement totals over `rows`: events, attendance, youth attendance, hours, cost, ratios."""
    figures = _sum_by(table, rows, np.zeros(len(rows), dtype="int64"), 1)
    return {name: float(values[0]) for name, values in figures.items()}


def _month_range(start: dt.date, end: dt.date) -> np.ndarray:
    """The calendar months (since 1970) from the month of `start` to that of `end`."""
    return np.arange(_month_of(start), _month_of(end) + 1)


def scope_table(b: Basis, f: Filters) -> pd.DataFrame:
    """The areas in scope, as cpdash.metrics.scope_areas gives them (the chosen ones, or every area at
    the events' level): area_id, name, population, code (into the events' area ids, -1 without events)."""
    if not f.areas:
        return b.scope
    ids = sorted(dict.fromkeys(str(a) for a in f.areas))
    rows = b.areas.reindex(pd.Index(ids, dtype="str", name="area_id")).reset_index()
    rows["name"] = rows["name"].fillna(rows["area_id"]).astype("str")
    rows["code"] = b.events.area_ids.get_indexer(rows["area_id"]).astype("int64")
    return rows


# --- KPIs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """The page's headline figures for the period and the previous one of equal length."""

    now: dict[str, float]
    before: dict[str, float]
    areas_in_scope: int
    areas_without_event: int


def kpis(b: Basis, f: Filters) -> Kpis:
    """Events, attendance, youth attendance, officer hours and cost per attendee, now and before."""
    prev = f.previous()
    rows = event_rows(b.events, f, f.start, f.end)
    now = totals(b.events, rows)
    before = totals(b.events, event_rows(b.events, f, prev.start, prev.end))
    codes = scope_table(b, f)["code"].to_numpy()
    area = b.events.area[rows]
    per_area = np.bincount(area[area >= 0], minlength=len(b.events.area_ids) + 1)  # + 1: never empty
    without = int(((codes < 0) | (per_area[np.maximum(codes, 0)] == 0)).sum())
    return Kpis(now, before, len(codes), without)


def missing_note(events: float, without: float) -> str | None:
    """'12 of 340 events have no attendance count …' or None when every event has one."""
    if not events or not without:
        return None
    return (
        f"{int(without):,} of {int(events):,} events have no attendance count: attendance figures leave "
        "them out (they are not counted as zero) and averages use only the events that have one."
    )


# --- monthly trend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """The monthly trend, split by program or area, with last year, a rolling average and notable events."""

    split: str  # program | area
    measure: str  # attendance | events
    groups: pd.DataFrame  # the measure per group (rows, busiest first) and month (columns)
    months: (
        pd.DataFrame
    )  # month, events, attendance, events_without_attendance, value, rolling, last_year, ...
    notable: pd.DataFrame  # date, month, kind, program, area, attendance, label, marked
    caption: str
    empty: str | None  # why there is nothing to draw


def _group_codes(b: Basis, split: str, rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Each row's group code (program or area) and the number of groups."""
    if split == "program":
        return b.events.program[rows], len(b.events.programs)
    return b.events.area[rows], len(b.events.area_ids)


def _group_names(b: Basis, split: str, names: dict[str, str], codes: np.ndarray) -> list[str]:
    """Labels of group `codes`: the program, or the area's name."""
    if split == "program":
        return list(b.events.program_values[codes])
    return [str(names.get(a, a)) for a in b.events.area_values[codes]]


def _value(figures: dict[str, np.ndarray], measure: str) -> np.ndarray:
    """The measured figure: attendance or events."""
    return figures["attendance"] if measure == "attendance" else figures["events"].astype("float64")


def _monthly(table: EventTable, rows: np.ndarray, months: np.ndarray) -> dict[str, np.ndarray]:
    """Per month of `months` (consecutive): events, attendance, events_without_attendance."""
    codes = table.month[rows] - months[0] if len(months) else np.zeros(0, "int64")
    codes = np.where((codes >= 0) & (codes < len(months)), codes, -1)
    return _sum_by(table, rows, codes, len(months), TREND_COLUMNS)


def monthly_by_group(
    b: Basis,
    f: Filters,
    split: str,
    names: dict[str, str],
    top: int | None = TOP_GROUPS,
    measure: str = "attendance",
) -> pd.DataFrame:
    """The measure per group (rows) and month of the period (columns): groups with the highest total
    first; with `top`, the other groups summed as "Other programs" / "Other areas". Groups without an
    event in the period are left out; a month with events but no attendance count is NaN, not zero."""
    table = b.events
    months = _month_range(f.start, f.end)
    rows = event_rows(table, f, f.start, f.end)
    codes, n_groups = _group_codes(b, split, rows)
    if len(rows) == 0 or n_groups == 0:
        return pd.DataFrame(columns=_month_index(months), dtype="float64")
    per_group = _sum_by(table, rows, codes, n_groups, ("attendance",))
    present = np.flatnonzero(per_group["events"] > 0)
    ranking = np.nan_to_num(_value(per_group, measure), nan=-1.0)[present]
    present = present[np.lexsort((present, -ranking))]
    labels = _group_names(b, split, names, present)
    mapping = np.full(n_groups, -1, dtype="int64")
    if top is not None and len(present) > top:
        mapping[present[:top]] = np.arange(top)
        mapping[present[top:]] = top
        labels = [*labels[:top], OTHER_LABEL[split]]
    else:
        mapping[present] = np.arange(len(present))
    group = np.where(codes >= 0, mapping[np.maximum(codes, 0)], -1)
    combined = np.where(group >= 0, group * len(months) + (table.month[rows] - months[0]), -1)
    figures = _sum_by(table, rows, combined, len(labels) * len(months), ("attendance",))
    values = _value(figures, measure).reshape(len(labels), len(months))
    return pd.DataFrame(values, index=pd.Index(labels, name="group"), columns=_month_index(months))


def _year_before(day: dt.date) -> dt.date:
    """The same day a year before (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def last_year_covered(b: Basis, f: Filters) -> bool:
    """True when the data reaches back to the start of the month of the same day a year before."""
    if b.first_day is None:
        return False
    return _month_of(_year_before(f.start)) >= _month_of(b.first_day.date())


def monthly_totals(b: Basis, f: Filters, measure: str = "attendance") -> pd.DataFrame:
    """Per month of the period: month, events, attendance, events_without_attendance, value (the measure),
    rolling (its average over the last 3 months, the whole 2 months before the period included),
    last_year, last_year_events, last_year_events_without_attendance (the same dates a year before).

    Months before the data begins are unknown (NaN), not zero.
    """
    table = b.events
    months = _month_range(f.start, f.end)
    now = _monthly(table, event_rows(table, f, f.start, f.end), months)
    value = _value(now, measure)
    first_month = _month_of(b.first_day.date()) if b.first_day is not None else None
    before_months = np.arange(months[0] - (ROLLING_MONTHS - 1), months[0])
    before_first = _month_index(before_months[:1])[0].date()
    before_rows = event_rows(table, f, before_first, f.start - dt.timedelta(days=1))
    before_rows = before_rows[table.month[before_rows] < months[0]]
    before_value = _value(_monthly(table, before_rows, before_months), measure)
    if first_month is not None:
        before_value = np.where(before_months >= first_month, before_value, np.nan)
    series = np.concatenate([before_value, value])
    windows = np.lib.stride_tricks.sliding_window_view(series, ROLLING_MONTHS)
    rolling = windows.mean(axis=1)[len(before_months) - (ROLLING_MONTHS - 1) :]  # NaN in a window: NaN
    last = _monthly(table, event_rows(table, f, _year_before(f.start), _year_before(f.end)), months - 12)
    unknown = np.full(len(months), True) if first_month is None else (months - 12) < first_month
    return pd.DataFrame(
        {
            "month": _month_index(months),
            "events": now["events"],
            "attendance": now["attendance"],
            "events_without_attendance": now["events_without_attendance"],
            "value": value,
            "rolling": rolling,
            "last_year": np.where(unknown, np.nan, _value(last, measure)),
            "last_year_events": np.where(unknown, np.nan, last["events"]),
            "last_year_events_without_attendance": np.where(
                unknown, np.nan, last["events_without_attendance"]
            ),
        }
    )


def group_change(
    b: Basis, f: Filters, split: str, names: dict[str, str], measure: str, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Per group with an event in either span: the measure in the period and from `first` to `last`:
    group, now, before, change (unknown taken as 0 in the change)."""
    table = b.events
    out = {}
    n_groups = 0
    for key, (a, z) in {"now": (f.start, f.end), "before": (first, last)}.items():
        rows = event_rows(table, f, a, z)
        codes, n_groups = _group_codes(b, split, rows)
        figures = _sum_by(table, rows, codes, n_groups, ("attendance",))
        out[key], out[f"{key}_events"] = _value(figures, measure), figures["events"]
    present = np.flatnonzero((out["now_events"] > 0) | (out["before_events"] > 0)) if n_groups else []
    now, before = out["now"][present], out["before"][present]
    return pd.DataFrame(
        {
            "group": _group_names(b, split, names, np.asarray(present, dtype="int64")),
            "now": now,
            "before": before,
            "change": np.nan_to_num(now) - np.nan_to_num(before),
        }
    )


def notable_events(b: Basis, f: Filters, names: dict[str, str]) -> pd.DataFrame:
    """Program launches in an area and unusually large events in the period, in the filters' scope:
    date, month, kind (launch | large), program, area, attendance, label (plain text), marked (on the chart).

    A launch is a program's first event in an area, counted only when the data reaches back at least
    LAUNCH_LOOKBACK_DAYS before it and the program then held LAUNCH_MIN_EVENTS events there. An event is
    unusually large at LARGE_FACTOR times its program's median attendance and at least LARGE_MIN people.
    The chart marks the first MAX_LAUNCHES launches and the MAX_LARGE largest events.
    """
    table = b.events
    rows = event_rows(table, f, f.start, f.end)
    launch = rows[b.launches[rows]]
    att = table.weights["attendance"][rows]
    known = table.weights["attendance_known"][rows] > 0
    program = table.program[rows]
    typical = b.typical[np.maximum(program, 0)] if len(b.typical) else np.full(len(rows), np.nan)
    with np.errstate(invalid="ignore"):
        big = (
            known
            & (program >= 0)
            & ~np.isnan(typical)
            & (att >= np.maximum(LARGE_FACTOR * typical, LARGE_MIN))
        )
    large = rows[big]
    large = large[np.lexsort((large, -table.weights["attendance"][large]))]
    positions = np.concatenate([launch, large]).astype("int64")
    if len(positions) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in NOTABLE_COLUMNS})
    kind = np.array(["launch"] * len(launch) + ["large"] * len(large), dtype=object)
    marked = np.concatenate([np.arange(len(launch)) < MAX_LAUNCHES, np.arange(len(large)) < MAX_LARGE])
    program_codes, area_codes = table.program[positions], table.area[positions]
    programs = np.where(program_codes >= 0, table.program_values[np.maximum(program_codes, 0)], "")
    area_ids = np.where(area_codes >= 0, table.area_values[np.maximum(area_codes, 0)], "")
    areas = [str(names.get(a, a)) for a in area_ids]
    people = np.where(
        table.weights["attendance_known"][positions] > 0, table.weights["attendance"][positions], np.nan
    )
    labels = [
        f"{p} began in {a}" if k == "launch" else f"{p} in {a}: {n:,.0f} people"
        for k, p, a, n in zip(kind, programs, areas, people, strict=True)
    ]
    when = table.start[positions]
    out = pd.DataFrame(
        {
            "date": when.astype("datetime64[D]").astype("datetime64[ns]"),
            "month": when.astype("datetime64[M]").astype("datetime64[ns]"),
            "kind": kind,
            "program": programs,
            "area": areas,
            "attendance": people,
            "label": labels,
            "marked": marked,
        }
    )
    return out.sort_values(["date", "kind"], kind="stable").reset_index(drop=True)


def notable_download(notable: pd.DataFrame) -> pd.DataFrame:
    """The notable events for the CSV: every one, not only those marked on the chart."""
    return pd.DataFrame(
        {
            "Date": [f"{d:%Y-%m-%d}" for d in notable["date"]],
            "Kind": notable["kind"].map({"launch": "program launch", "large": "unusually large"}),
            "Program": notable["program"],
            "Area": notable["area"],
            "Attendance": notable["attendance"],
            "Marked on the chart": notable["marked"].map({True: "yes", False: "no"}),
        }
    )


def _month_name(value: pd.Timestamp) -> str:
    """'July 2026'."""
    return f"{pd.Timestamp(value):%B %Y}"


def _count(n: float, noun: str, plural: str | None = None) -> str:
    """'1 event', '3 events'."""
    return f"{n:,.0f} {noun if n == 1 else (plural or noun + 's')}"


def trend_caption(
    months: pd.DataFrame,
    changes: pd.DataFrame,
    measure: str,
    covered: bool,
    notable: pd.DataFrame | None = None,
) -> str:
    """The trend's main finding: the change on the same months last year and what drove it (or, without
    last year, the busiest month), the events left out for lack of a count, and what ★ marks."""
    label = MEASURES[measure]
    events = int(months["events"].sum())
    if events == 0:
        return "No event in this period and selection."
    value = months["value"].to_numpy(dtype="float64")
    if np.isnan(value).all():
        return f"None of the {_count(events, 'event')} has an attendance count: attendance cannot be charted."
    now = float(np.nansum(value))
    missing = int(months["events_without_attendance"].sum())
    unit = "people" if measure == "attendance" else "events"
    parts = []
    last = months["last_year"].to_numpy(dtype="float64")
    before = float(last.sum()) if covered and not np.isnan(last).any() else math.nan
    if not fmt.is_missing(before) and before > 0:
        pct = (now - before) / before * 100
        if abs(pct) < LEVEL_PCT:
            parts.append(f"{label} was level with the same months last year ({now:,.0f} {unit}).")
        else:
            verb = "rose" if pct > 0 else "fell"
            sentence = (
                f"{label} {verb} {abs(pct):.0f} % on the same months last year ({before:,.0f} → {now:,.0f})"
            )
            direction = changes[np.sign(changes["change"]) == np.sign(now - before)]
            if len(changes) > 1 and len(direction):
                driver = direction.loc[direction["change"].abs().idxmax()]
                sentence += f", driven by {fmt.markdown_text(driver['group'])} ({driver['change']:+,.0f})"
            parts.append(sentence + ".")
    elif before == 0:
        parts.append(f"{now:,.0f} {unit} in the period; none in the same months last year.")
    else:
        if len(months) == 1:
            parts.append(f"{now:,.0f} {unit} in {_month_name(months['month'].iloc[0])}.")
        else:
            busiest = int(np.nanargmax(value))
            parts.append(
                f"{now:,.0f} {unit} over {len(months)} months; the busiest was "
                f"{_month_name(months['month'].iloc[busiest])} ({value[busiest]:,.0f})."
            )
        if not covered:
            parts.append(
                "The data does not reach back a full year, so there is no comparison with last year."
            )
    if measure == "attendance" and missing:
        verb = "is" if missing == 1 else "are"
        parts.append(f"{_count(missing, 'event')} without an attendance count {verb} left out.")
    if notable is not None and len(notable):
        launches = int((notable["kind"] == "launch").sum())
        large = int((notable["kind"] == "large").sum())
        bits = []
        if launches:
            shown = min(launches, MAX_LAUNCHES)
            bits.append(
                _count(launches, "program launch", "program launches")
                if shown == launches
                else f"the first {shown} of {launches:,} program launches"
            )
        if large:
            shown = min(large, MAX_LARGE)
            bits.append(
                _count(large, "unusually large event")
                if shown == large
                else f"the {shown} largest of {large:,} unusually large events"
            )
        parts.append("★ marks " + " and ".join(bits) + " (all are in the download).")
    return " ".join(parts)


def spread_note(groups: pd.DataFrame, split: str, measure: str) -> str | None:
    """When the groups drawn on their own hold less than half of the total (many small areas), say so
    and how to compare particular ones; None otherwise."""
    other = OTHER_LABEL[split]
    if other not in groups.index:
        return None
    totals = np.nan_to_num(groups.to_numpy(dtype="float64")).sum(axis=1)
    total = totals.sum()
    shown = totals[: len(totals) - 1].sum()
    if total <= 0 or shown / total >= SPREAD_SHARE:
        return None
    what = "areas" if split == "area" else "programs"
    return (
        f"The {len(totals) - 1} busiest {what} hold {shown / total * 100:.0f} % of the {MEASURES[measure].lower()}; "
        f"choose {what} in the sidebar to compare particular ones."
    )


def trend(b: Basis, f: Filters, split: str, measure: str, names: dict[str, str]) -> Trend:
    """Everything the trend chart and its caption need."""
    months = monthly_totals(b, f, measure)
    groups = monthly_by_group(b, f, split, names, TOP_GROUPS, measure)
    notable = notable_events(b, f, names)
    covered = last_year_covered(b, f)
    changes = group_change(b, f, split, names, measure, _year_before(f.start), _year_before(f.end))
    caption = trend_caption(months, changes, measure, covered, notable)
    spread = spread_note(groups, split, measure)
    if spread:
        caption += " " + spread
    empty = None
    if months["events"].sum() == 0:
        empty = "No event in this period and selection: there is no trend to draw."
    elif measure == "attendance" and months["attendance"].isna().all():
        empty = "No event in this period and selection has an attendance count: switch to Events to see the trend."
    return Trend(split, measure, groups, months, notable, caption, empty)


def trend_download(t: Trend) -> pd.DataFrame:
    """The trend's numbers for the CSV: one row per month, with the totals and each group's figure."""
    m = t.months
    label = MEASURES[t.measure]
    out = pd.DataFrame(
        {
            "Month": [f"{x:%Y-%m}" for x in m["month"]],
            "Events": m["events"].to_numpy(),
            "Attendance": m["attendance"].to_numpy(),
            "Events without an attendance count": m["events_without_attendance"].to_numpy(),
            f"{label}, 3-month average": m["rolling"].round(1).to_numpy(),
            f"{label}, same month last year": m["last_year"].to_numpy(),
        }
    )
    for group, values in zip(t.groups.index, t.groups.to_numpy(), strict=True):
        out[f"{label}: {group}"] = values
    return out


# --- program mix -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramMix:
    """Per program, now and in the previous period, with the cost-effectiveness ranking in words."""

    table: pd.DataFrame  # program, FIGURE_COLUMNS, the same *_before, attendance_change_pct, events_change
    best: str | None  # most cost-effective program
    worst: str | None  # least cost-effective program
    caption: str
    empty: str | None


def program_figures(b: Basis, f: Filters, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Per program with an event from `first` to `last`: program and FIGURE_COLUMNS."""
    table = b.events
    rows = event_rows(table, f, first, last)
    figures = _sum_by(table, rows, table.program[rows], len(table.programs))
    out = pd.DataFrame({"program": np.asarray(table.programs, dtype=object), **figures})
    return out[out["events"] > 0].reset_index(drop=True)


def cost_ranking(mix: pd.DataFrame, minimum: float = COST_MIN_ATTENDANCE) -> tuple[str | None, str | None]:
    """The most and least cost-effective programs: lowest and highest cost per attendee among those with
    at least `minimum` counted attendees (None when fewer than two qualify)."""
    ranked = mix[mix["cost_per_attendee"].notna() & (mix["attendance"].fillna(0) >= minimum)]
    if len(ranked) < 2:
        return None, None
    ranked = ranked.sort_values(["cost_per_attendee", "program"], kind="stable")
    return str(ranked["program"].iloc[0]), str(ranked["program"].iloc[-1])


def program_mix(b: Basis, f: Filters) -> ProgramMix:
    """Events, attendance, youth attendance, officer hours and cost per attendee per program, with the
    change against the previous period of equal length; programs with the most attendance first."""
    table = b.events
    prev = f.previous()
    columns: dict[str, np.ndarray] = {"program": np.asarray(table.programs, dtype=object)}
    for suffix, (first, last) in {"": (f.start, f.end), "_before": (prev.start, prev.end)}.items():
        rows = event_rows(table, f, first, last)
        for name, values in _sum_by(table, rows, table.program[rows], len(table.programs)).items():
            columns[name + suffix] = values
    out = pd.DataFrame(columns)
    out = out[(out["events"] > 0) | (out["events_before"] > 0)]
    before = out["attendance_before"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["attendance_change_pct"] = np.where(
            before > 0,
            (out["attendance"].to_numpy() - before) / np.where(before > 0, before, 1) * 100,
            np.nan,
        )
    out["events_change"] = out["events"] - out["events_before"]
    out = out.sort_values(
        ["attendance", "events", "program"], ascending=[False, False, True], na_position="last"
    )
    out = out.reset_index(drop=True)
    current = out[out["events"] > 0]
    best, worst = cost_ranking(current)
    empty = None if len(current) else "No event in this period and selection: there is no program to compare."
    return ProgramMix(out, best, worst, program_caption(current, best, worst), empty)


def program_caption(mix: pd.DataFrame, best: str | None, worst: str | None) -> str:
    """The most and least cost-effective programs in words, and the biggest change on the previous period."""
    if len(mix) == 0:
        return "No event in this period and selection."
    parts = []
    if best is not None and worst is not None:
        cost = mix.set_index("program")["cost_per_attendee"]
        parts.append(
            f"Most cost-effective: {fmt.markdown_text(best)} at {fmt.money(cost[best])} per attendee; "
            f"least: {fmt.markdown_text(worst)} at {fmt.money(cost[worst])}."
        )
    elif mix["cost_per_attendee"].notna().any():
        parts.append(
            f"Too few counted attendees to rank programs on cost (each needs at least {COST_MIN_ATTENDANCE})."
        )
    else:
        parts.append(
            "Cost per attendee needs event costs and attendance counts, which the data does not have."
        )
    changes = mix[mix["attendance_change_pct"].notna() & (mix["attendance_before"] >= COST_MIN_ATTENDANCE)]
    if len(changes):
        top = changes.loc[changes["attendance_change_pct"].abs().idxmax()]
        if abs(top["attendance_change_pct"]) >= LEVEL_PCT:
            verb = "rose" if top["attendance_change_pct"] > 0 else "fell"
            parts.append(
                f"Biggest change on the previous period: attendance at {fmt.markdown_text(top['program'])} "
                f"{verb} {abs(top['attendance_change_pct']):.0f} %."
            )
    new = mix[mix["events_before"] == 0]
    if len(new) and len(new) < len(mix):
        parts.append(f"New this period: {_names_sentence(list(new['program']))}.")
    return " ".join(parts)


def program_download(mix: ProgramMix) -> pd.DataFrame:
    """The program mix for people: named columns, rounded."""
    t = mix.table
    return pd.DataFrame(
        {
            "Program": t["program"],
            "Events": t["events"],
            "Events, previous period": t["events_before"],
            "Attendance": t["attendance"],
            "Attendance, previous period": t["attendance_before"],
            "Attendance change (%)": t["attendance_change_pct"].round(0),
            "Events without an attendance count": t["events_without_attendance"],
            "Youth attendance": t["youth_attendance"],
            "Youth share (%)": (t["youth_share"] * 100).round(0),
            "Officer hours": t["officer_hours"].round(0),
            "Cost": t["cost"].round(0),
            "Cost per attendee": t["cost_per_attendee"].round(2),
            "Cost per attendee, previous period": t["cost_per_attendee_before"].round(2),
        }
    )


# --- seasonality -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seasonality:
    """A month x program heat map of the measure."""

    matrix: pd.DataFrame  # index program, columns months (Timestamp), NaN where unknown
    events: pd.DataFrame  # the same shape: number of events
    measure: str
    caption: str
    empty: str | None


def seasonality(b: Basis, f: Filters, measure: str = "attendance") -> Seasonality:
    """Per program and month of the period: attendance (or events); programs busiest first.

    A cell with events but no attendance count is NaN (unknown); a cell without events is 0.
    """
    table = b.events
    months = _month_range(f.start, f.end)
    rows = event_rows(table, f, f.start, f.end)
    n_programs = len(table.programs)
    if len(rows) == 0 or n_programs == 0:
        nothing = "No event in this period and selection."
        return Seasonality(
            pd.DataFrame(),
            pd.DataFrame(),
            measure,
            nothing,
            "No event in this period and selection: there is no season to show.",
        )
    combined = table.program[rows] * len(months) + (table.month[rows] - months[0])
    combined = np.where(table.program[rows] >= 0, combined, -1)
    figures = _sum_by(table, rows, combined, n_programs * len(months), ("attendance",))
    events = figures["events"].reshape(n_programs, len(months))
    values = _value(figures, measure).reshape(n_programs, len(months))
    present = np.flatnonzero(events.sum(axis=1) > 0)
    totals = np.nansum(values[present], axis=1) - np.isnan(values[present]).all(axis=1)  # all unknown: -1
    present = present[np.lexsort((present, -totals))]
    columns = _month_index(months)
    index = pd.Index(table.programs[present], name="program")
    matrix = pd.DataFrame(values[present], index=index, columns=columns)
    counts = pd.DataFrame(events[present], index=index, columns=columns)
    empty = None
    if measure == "attendance" and np.isnan(values[present]).all():
        empty = "No event in this period and selection has an attendance count: switch to Events."
    return Seasonality(matrix, counts, measure, seasonality_caption(matrix, measure), empty)


def seasonality_caption(matrix: pd.DataFrame, measure: str) -> str:
    """The busiest month, and the most seasonal program when the period is long enough to tell."""
    if matrix.empty:
        return "No event in this period and selection."
    unit = "people" if measure == "attendance" else "events"
    values = matrix.to_numpy(dtype="float64")
    months = matrix.columns
    if np.isnan(values).all():
        return "No attendance count in this period."
    if len(months) == 1:
        return (
            f"Only one month in the period ({_month_name(months[0])}): widen the period to see "
            "which months each program is busiest."
        )
    per_month = np.nansum(values, axis=0)
    busiest = int(np.argmax(per_month))
    parts = [f"Busiest month: {_month_name(months[busiest])} ({per_month[busiest]:,.0f} {unit})."]
    if len(months) < SEASON_MIN_MONTHS:
        parts.append(
            f"With fewer than {SEASON_MIN_MONTHS} months in the period, seasonality cannot be judged."
        )
        return " ".join(parts)
    known = np.nan_to_num(values)
    totals = known.sum(axis=1)
    peak_sums = np.sort(known, axis=1)[:, -SEASON_PEAK_MONTHS:].sum(axis=1)
    minimum = COST_MIN_ATTENDANCE if measure == "attendance" else SEASON_MIN_EVENTS
    eligible = np.flatnonzero(totals >= minimum)
    if len(eligible):
        share = peak_sums[eligible] / totals[eligible]
        best = eligible[int(np.argmax(share))]  # ties: the busier program (rows are busiest first)
        row = known[best]
        peak = sorted(np.argsort(-row, kind="stable")[:SEASON_PEAK_MONTHS])
        months_text = ", ".join(f"{months[i]:%b}" for i in peak if row[i] > 0)
        what = "attendance" if measure == "attendance" else "events"
        parts.append(
            f"Most seasonal: {fmt.markdown_text(matrix.index[best])}, with {share.max() * 100:.0f} % of its "
            f"{what} in {months_text}."
        )
    return " ".join(parts)


def seasonality_download(s: Seasonality) -> pd.DataFrame:
    """The heat map's numbers: one row per program, one column per month."""
    if s.matrix.empty:
        return pd.DataFrame()
    out = s.matrix.copy()
    out.columns = [f"{m:%Y-%m}" for m in out.columns]
    return out.rename_axis("Program").reset_index()


# --- reach -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Attendance per 10,000 residents per area, ranked, and the areas with no event."""

    table: (
        pd.DataFrame
    )  # area_id, name, population, events, attendance, events_without_attendance, per_10k, rank, note
    shown: pd.DataFrame  # the rows the chart draws (every area, or the top and bottom REACH_SHOW), with part
    no_event: list[str]  # names of the areas in scope with no event
    caption: str
    no_event_text: str | None
    empty: str | None


def reach_table(b: Basis, f: Filters) -> pd.DataFrame:
    """Per area in scope: area_id, name, population, events, attendance, events_without_attendance,
    per_10k (attendance per 10,000 residents, as cpdash.metrics.engagement_by), rank (1 = most reached),
    note (no event | population unknown | attendance not counted); most reached first."""
    table = b.events
    scope = scope_table(b, f)
    rows = event_rows(table, f, f.start, f.end)
    figures = _sum_by(table, rows, table.area[rows], len(table.area_ids), TREND_COLUMNS)
    codes = scope["code"].to_numpy(dtype="int64")
    has, safe = codes >= 0, np.maximum(codes, 0)
    if len(table.area_ids) == 0:
        has, safe = np.zeros(len(codes), bool), np.zeros(len(codes), "int64")
        figures = {k: np.zeros(1) for k in figures}
    events = np.where(has, figures["events"][safe], 0).astype("int64")
    attendance = np.where(has, figures["attendance"][safe], 0.0)
    if "attendance" not in table.present:
        attendance = np.full(len(codes), np.nan)
    population = scope["population"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_10k = np.where(population > 0, attendance / np.where(population > 0, population, 1), np.nan)
    per_10k = per_10k * metrics.PER_POPULATION
    note = np.select(
        [events == 0, np.isnan(population), np.isnan(attendance)],
        ["no event", "population unknown", "attendance not counted"],
        "",
    )
    name = scope["name"].to_numpy(dtype=object)
    name_rank = np.unique(name.astype(str), return_inverse=True)[1] if len(name) else np.zeros(0, "int64")
    order = np.lexsort((name_rank, -events, np.where(np.isnan(per_10k), np.inf, -per_10k)))
    known = np.sort(-per_10k[~np.isnan(per_10k)])
    rank = np.where(np.isnan(per_10k), np.nan, np.searchsorted(known, -per_10k, "left") + 1.0)
    out = pd.DataFrame(
        {
            "area_id": scope["area_id"].to_numpy(dtype=object),
            "name": name,
            "population": population,
            "events": events,
            "attendance": attendance,
            "events_without_attendance": np.where(has, figures["events_without_attendance"][safe], 0),
            "per_10k": per_10k,
            "rank": rank,
            "note": note,
        }
    )
    return out.iloc[order].reset_index(drop=True)[list(REACH_COLUMNS)]


def reach_rows(table: pd.DataFrame, show: int = REACH_SHOW, all_max: int = REACH_ALL_MAX) -> pd.DataFrame:
    """The areas the chart draws: every area with events and a figure, or the top and bottom `show`
    when there are more than `all_max` (the full table is in the download); column part = top | bottom | all."""
    ranked = table[table["per_10k"].notna() & (table["events"] > 0)]
    if len(ranked) <= all_max:
        return ranked.assign(part="all").reset_index(drop=True)
    parts = [ranked.head(show).assign(part="top"), ranked.tail(show).assign(part="bottom")]
    return pd.concat(parts).reset_index(drop=True)


def _names_sentence(names: Sequence[str], limit: int = LIST_NAMES) -> str:
    """'A, B and C', or 'A, B, … and 12 more'; names made inert in Markdown."""
    safe = [fmt.markdown_text(n) for n in names]
    if len(safe) <= limit:
        return safe[0] if len(safe) == 1 else ", ".join(safe[:-1]) + " and " + safe[-1]
    return ", ".join(safe[:limit]) + f" and {len(safe) - limit:,} more"


def reach(b: Basis, f: Filters) -> Reach:
    """Reach per area with its caption, the rows to chart and the areas without any event named."""
    table = reach_table(b, f)
    shown = reach_rows(table)
    no_event = sorted(table.loc[table["note"] == "no event", "name"], key=lambda n: (str(n).lower(), n))
    no_event_text = None
    if no_event:
        noun = "area" if len(no_event) == 1 else "areas"
        no_event_text = f"No engagement in {len(no_event):,} {noun}: {_names_sentence(no_event)}."
    empty = None
    if len(table) == 0:
        empty = "No area in scope."
    elif table["events"].sum() == 0:
        empty = "No event in this period and selection: no area was reached."
    elif len(shown) == 0:
        if table["population"].isna().all():
            empty = "Attendance per 10,000 residents needs area populations, which the data does not have."
        else:
            empty = "No event in the areas with a known population has an attendance count."
    return Reach(table, shown, no_event, reach_caption(table), no_event_text, empty)


def reach_caption(table: pd.DataFrame) -> str:
    """The range of reach across areas, and what limits it."""
    if len(table) == 0 or table["events"].sum() == 0:
        return "No event in this period and selection."
    ranked = table[table["per_10k"].notna() & (table["events"] > 0)]
    parts = []
    if len(ranked) == 1:
        row = ranked.iloc[0]
        parts.append(
            f"{fmt.markdown_text(row['name'])}: {row['per_10k']:,.0f} attendees per 10,000 residents."
        )
    elif len(ranked) > 1:
        high, low = ranked.iloc[0], ranked.iloc[-1]
        parts.append(
            f"Reach ranges from {low['per_10k']:,.0f} attendees per 10,000 residents in "
            f"{fmt.markdown_text(low['name'])} to {high['per_10k']:,.0f} in {fmt.markdown_text(high['name'])} "
            f"(median {ranked['per_10k'].median():,.0f})."
        )
    unknown_pop = int((table["note"] == "population unknown").sum())
    not_counted = int((table["note"] == "attendance not counted").sum())
    if unknown_pop:
        verb = "has" if unknown_pop == 1 else "have"
        parts.append(f"{_count(unknown_pop, 'area')} with events {verb} no population figure.")
    if not_counted:
        verb = "has" if not_counted == 1 else "have"
        parts.append(f"{_count(not_counted, 'area')} with events {verb} no attendance count.")
    return " ".join(parts)


def reach_download(r: Reach) -> pd.DataFrame:
    """Every area in scope, ranked, for the CSV."""
    t = r.table
    return pd.DataFrame(
        {
            "Rank": t["rank"],
            "Area": t["name"],
            "Area id": t["area_id"],
            "Population": t["population"],
            "Events": t["events"],
            "Attendance": t["attendance"],
            "Events without an attendance count": t["events_without_attendance"],
            "Attendance per 10,000 residents": t["per_10k"].round(1),
            "Note": t["note"],
        }
    )


# --- repeat engagement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Repeat:
    """Repeat engagement from attendee records."""

    participants: int
    repeat: int  # came to REPEAT_MIN_EVENTS or more events in the period
    share_repeat: float  # fraction
    records: int  # attendances recorded in the period
    events_covered: int  # events in the period with attendee records
    events: int  # events in the period
    monthly: pd.DataFrame  # month, participants, returning, new, share_returning
    ages: pd.DataFrame  # age_group, participants, share, population_share, difference (fractions)
    unknown_age: int  # participants without an age group
    caption: str
    returning_caption: str
    age_caption: str
    small: bool  # fewer participants than k
    empty: str | None


def _attendee_rows(
    a: AttendeeTable, table: EventTable, f: Filters, first: dt.date | None, last: dt.date | None
) -> np.ndarray:
    """Positions of the attendee records from `first` to `last` in the filters' areas and programs."""
    return _select(a.start, a.area, a.program, table, f, first, last)


def returning_by_month(a: AttendeeTable, table: EventTable, f: Filters) -> pd.DataFrame:
    """Per month of the period: distinct participants, those who had come to an event (any program, any
    area) in an earlier month (returning), the others (new) and the returning share (fraction)."""
    months = _month_range(f.start, f.end)
    rows = _attendee_rows(a, table, f, f.start, f.end)
    month = a.month[rows] - months[0]
    pairs = np.unique(a.participant[rows] * len(months) + month)
    person, which = np.divmod(pairs, len(months))
    returning = a.first_month[person] < months[which]
    participants = np.bincount(which, minlength=len(months))
    back = np.bincount(which, weights=returning.astype("float64"), minlength=len(months)).astype("int64")
    return pd.DataFrame(
        {
            "month": _month_index(months),
            "participants": participants,
            "returning": back,
            "new": participants - back,
            "share_returning": _ratio(back.astype("float64"), participants.astype("float64")),
        }
    )


def population_age_shares(scope: pd.DataFrame) -> pd.Series:
    """Share of residents in each age group across the areas in `scope` (with population and the
    share_* columns), weighted by population; NaN when no area has both."""
    columns = list(AGE_SHARE_COLUMNS.values())
    if not set(columns) <= set(scope.columns) or len(scope) == 0:
        return pd.Series(np.nan, index=list(AGE_GROUPS))
    shares = scope[columns].to_numpy(dtype="float64", na_value=np.nan)
    population = scope["population"].to_numpy(dtype="float64", na_value=np.nan)
    usable = ~np.isnan(shares).any(axis=1) & (np.nan_to_num(population) > 0)
    if not usable.any():
        return pd.Series(np.nan, index=list(AGE_GROUPS))
    weighted = population[usable] @ shares[usable] / population[usable].sum()
    return pd.Series(weighted, index=list(AGE_GROUPS))


def age_profile(a: AttendeeTable, rows: np.ndarray, population: pd.Series) -> tuple[pd.DataFrame, int]:
    """Distinct participants of `rows` by age group beside the residents' shares: age_group,
    participants, share, population_share, difference (fractions); and how many have no age group."""
    people = np.unique(a.participant[rows])
    ages = a.age[people]
    counts = np.bincount(ages[ages >= 0], minlength=len(AGE_GROUPS))
    known = int(counts.sum())
    share = counts / known if known else np.full(len(AGE_GROUPS), np.nan)
    out = pd.DataFrame(
        {
            "age_group": list(AGE_GROUPS),
            "participants": counts.astype("int64"),
            "share": share,
            "population_share": population.reindex(list(AGE_GROUPS)).to_numpy(dtype="float64"),
        }
    )
    out["difference"] = out["share"] - out["population_share"]
    return out, int((ages < 0).sum())


def repeat_engagement(
    b: Basis, f: Filters, k: int = metrics.K_DEFAULT, public: bool = False
) -> Repeat | None:
    """Repeat engagement in the period and the filters' scope; None when there are no attendee records."""
    a = b.attendees
    if a is None:
        return None
    table = b.events
    rows = _attendee_rows(a, table, f, f.start, f.end)
    events_in_period = len(event_rows(table, f, f.start, f.end))
    counts = np.bincount(a.participant[rows], minlength=a.participants) if len(rows) else np.zeros(0, "int64")
    participants = int((counts > 0).sum())
    repeat = int((counts >= REPEAT_MIN_EVENTS).sum())
    share = repeat / participants if participants else math.nan
    monthly = returning_by_month(a, table, f)
    population = population_age_shares(scope_table(b, f))
    ages, unknown_age = age_profile(a, rows, population)
    small = participants < k
    covered = len(np.unique(a.event[rows]))
    empty = None
    if events_in_period == 0:
        empty = "No event in this period and selection: there is no attendance to follow."
    elif participants == 0:
        empty = "None of the events in this period and selection has attendee records."
    caption = repeat_caption(participants, repeat, share, small, public, k)
    age_text = age_caption(ages, unknown_age, small, public, k)
    return Repeat(
        participants=participants,
        repeat=repeat,
        share_repeat=share,
        records=len(rows),
        events_covered=covered,
        events=events_in_period,
        monthly=monthly,
        ages=ages,
        unknown_age=unknown_age,
        caption=caption,
        returning_caption=returning_caption(monthly),
        age_caption=age_text,
        small=small,
        empty=empty,
    )


def repeat_caption(participants: int, repeat: int, share: float, small: bool, public: bool, k: int) -> str:
    """The share of participants who came to two or more events."""
    if participants == 0:
        return "No attendee records in this period and selection."
    if small and public:
        return f"Fewer than {k} participants in this selection: figures are not shown."
    flag = f" ⚠ fewer than {k} participants: treat with care." if small else ""
    return (
        f"{share * 100:.0f} % of the {_count(participants, 'participant')} with attendee records came to "
        f"{REPEAT_MIN_EVENTS} or more events in the period ({_count(repeat, 'person', 'people')}).{flag}"
    )


def returning_caption(monthly: pd.DataFrame) -> str:
    """The latest month's share of returning participants, against the first month of the period."""
    active = monthly[monthly["participants"] > 0]
    if len(active) == 0:
        return "No attendee records in this period and selection."
    last = active.iloc[-1]
    text = (
        f"In {_month_name(last['month'])}, {last['share_returning'] * 100:.0f} % of the "
        f"{_count(int(last['participants']), 'participant')} had been to an earlier event"
    )
    if len(active) > 1:
        first = active.iloc[0]
        text += f" ({first['share_returning'] * 100:.0f} % in {_month_name(first['month'])})"
    return text + ". Returning means any earlier event in the data, whatever its program or area."


def age_caption(ages: pd.DataFrame, unknown_age: int, small: bool, public: bool, k: int) -> str:
    """Which age groups are over- and under-represented among participants, against the residents."""
    known = int(ages["participants"].sum())
    if known == 0:
        if unknown_age:
            return (
                "The attendee records carry no age group: who attends cannot be compared with the residents."
            )
        return "No attendee records in this period and selection."
    if small and public:
        return f"Fewer than {k} participants in this selection: the age profile is not shown."
    parts = []
    if ages["population_share"].isna().all():
        top = ages.loc[ages["share"].idxmax()]
        parts.append(
            f"The largest group of participants is {top['age_group']} ({top['share'] * 100:.0f} %). The areas "
            "table has no population shares by age (share_* columns), so there is no comparison with residents."
        )
    else:
        over = ages.loc[ages["difference"].idxmax()]
        under = ages.loc[ages["difference"].idxmin()]
        parts.append(
            f"{over['age_group'].capitalize()} make up {over['share'] * 100:.0f} % of participants but "
            f"{over['population_share'] * 100:.0f} % of residents; {under['age_group']} are the most "
            f"under-represented ({under['share'] * 100:.0f} % against {under['population_share'] * 100:.0f} %)."
        )
    if unknown_age:
        parts.append(
            f"{_count(unknown_age, 'participant')} without an age group {'is' if unknown_age == 1 else 'are'} left out."
        )
    if small:
        parts.append(f"⚠ fewer than {k} participants: treat with care.")
    return " ".join(parts)


def returning_download(r: Repeat) -> pd.DataFrame:
    """Returning participants by month, for the CSV."""
    m = r.monthly
    return pd.DataFrame(
        {
            "Month": [f"{x:%Y-%m}" for x in m["month"]],
            "Participants": m["participants"],
            "Returning": m["returning"],
            "New": m["new"],
            "Returning share (%)": (m["share_returning"] * 100).round(0),
        }
    )


def age_download(r: Repeat) -> pd.DataFrame:
    """Participants by age group beside the residents, for the CSV."""
    a = r.ages
    return pd.DataFrame(
        {
            "Age group": a["age_group"],
            "Participants": a["participants"],
            "Share of participants (%)": (a["share"] * 100).round(1),
            "Share of residents (%)": (a["population_share"] * 100).round(1),
            "Difference (points)": (a["difference"] * 100).round(1),
        }
    )
