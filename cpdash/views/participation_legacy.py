"""The Map's per-data-set event arrays (formerly the Participation page's "basis"), kept only because the Map
(cpdash/views/map.py, pages/map.py via cpdash.ui.data.get_participation_basis, tests/test_maps.py) still reads
its reach and scope from them. The Participation page itself computes every figure with cpdash.metrics.
Delete this module, and get_participation_basis, once the Map is on cpdash.metrics too.

The events are turned once per data set into aligned arrays sorted by start; `reach_table` sums them with
numpy by the rules of cpdash.metrics (a missing attendance is unknown, never zero).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.dataset import Dataset
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters

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
TREND_COLUMNS = ("attendance", "events_without_attendance")  # what reach sums
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
class Basis:
    """What the Map's reach needs that depends only on the data set: built once and shared read-only."""

    events: EventTable
    areas: pd.DataFrame  # every area: name, population, code (into events.area_ids), indexed by area_id
    scope: pd.DataFrame  # the areas in scope when none is chosen: area_id, name, population, code


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


def _with_codes(frame: pd.DataFrame, table: EventTable) -> pd.DataFrame:
    """`frame` (area_id, name, population) with each area's code into the events' area ids."""
    return frame.assign(code=table.area_ids.get_indexer(frame["area_id"].astype("str")).astype("int64"))


def build_basis(
    events: pd.DataFrame | None, areas: pd.DataFrame | None, attendees: pd.DataFrame | None = None
) -> Basis:
    """Everything the Map's reach needs that depends only on the data set (`attendees` is not used)."""
    table = event_table(events)
    every = metrics.scope_areas(None, areas, None)
    return Basis(
        events=table,
        areas=_with_codes(every, table).set_index("area_id"),
        scope=_with_codes(metrics.scope_areas(events, areas, None), table),
    )


def basis(ds: Dataset) -> Basis:
    """The basis of a loaded data set (cpdash.ui caches it per data source)."""
    return build_basis(ds.events, ds.areas)


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
