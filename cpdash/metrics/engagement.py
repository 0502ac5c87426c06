"""Engagement: events, attendance, attendance per 10,000 residents, youth share, officer hours, cost per
attendee and the areas with no event. The one definition every page uses.

A missing attendance is unknown, never zero: totals use the events that have it and say how many lack it;
youth share and cost per attendee use only the events that have both figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import areas as area_scope
from cpdash.metrics.gather import AREA, Groups, Source
from cpdash.metrics.periods import Filters

PER_POPULATION = 10_000
COLUMNS = (
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


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0."""
    num, den = np.asarray(num, dtype="float64"), np.asarray(den, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def columns(groups: Groups) -> dict[str, np.ndarray]:
    """The engagement figures per group from the event sums: a total is 0 for a group without events and
    NaN when none of its events has the figure."""
    events = groups["events"]

    def total(name: str, known: str) -> np.ndarray:
        return np.where(events == 0, 0.0, np.where(groups[known] > 0, groups[name], np.nan))

    return {
        "events": events.astype("int64"),
        "attendance": total("attendance", "attendance_known"),
        "events_with_attendance": groups["attendance_known"].astype("int64"),
        "events_without_attendance": (events - groups["attendance_known"]).astype("int64"),
        "youth_attendance": total("youth_attendance", "youth_known"),
        "youth_share": _ratio(groups["youth_num"], groups["youth_den"]),
        "officer_hours": total("officer_hours", "hours_known"),
        "cost": total("cost", "cost_known"),
        "cost_per_attendee": _ratio(groups["cost_num"], groups["cost_den"]),
    }


def from_groups(groups: Groups) -> pd.DataFrame:
    """The groups' keys with the engagement figures."""
    return groups.frame(columns(groups))


def scope(src: Source, f: Filters) -> pd.DataFrame:
    """The areas engagement is about: the chosen ones, else every area at the level events are recorded at."""
    return area_scope.scope(src, f, None if f.areas else src.event_levels())


def by_area(src: Source, f: Filters) -> pd.DataFrame:
    """Engagement per area in scope (every one, those without an event as zero rows), with name,
    population, attendance and events per 10,000 residents."""
    areas = scope(src, f)
    groups = src.events(f, (AREA,))
    at = pd.Index(groups.keys[AREA]).get_indexer(areas[AREA])  # -1: a chosen id no table has
    at = np.where(at >= 0, at, len(groups))  # the appended last group has no event: the zero row
    figures = columns(Groups(groups.keys, {k: np.append(v, 0.0) for k, v in groups.stats.items()}))
    data = {name: areas[name].array for name in areas.columns}
    for name, values in figures.items():
        data[name] = np.asarray(values)[at]
    population = areas["population"].to_numpy(dtype="float64")
    population = np.where(population > 0, population, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        data["attendance_per_10k"] = data["attendance"] / population * PER_POPULATION
        data["events_per_10k"] = data["events"] / population * PER_POPULATION
    return pd.DataFrame(data)


def engagement_arrays(
    src: Source, f: Filters, by: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Engagement per group of `by` as arrays: the groups' keys and the engagement figures (`columns`)."""
    groups = src.events(f, by)
    return groups.keys, columns(groups)


def engagement_by(src: Source, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Engagement per group of `by` (program, month, ...): keys and the engagement figures."""
    return from_groups(src.events(f, by))


@dataclass(frozen=True)
class Engagement:
    """Engagement in a period and set of areas (see the module docstring); shares are fractions 0-1."""

    events: int
    attendance: float
    events_with_attendance: int
    events_without_attendance: int
    youth_attendance: float
    youth_share: float
    officer_hours: float
    cost: float
    cost_per_attendee: float
    population: float
    areas_without_population: int
    attendance_per_10k: float
    areas_in_scope: int
    areas_without_event: tuple[str, ...]
    share_areas_without_event: float


def engagement(src: Source, f: Filters, areas: pd.DataFrame | None = None) -> Engagement:
    """Engagement over the filters' period, areas and programs (`areas`: by_area of the same filters, when
    the caller already has it)."""
    table = by_area(src, f) if areas is None else areas
    total = {name: values[0] for name, values in columns(src.events(f)).items()}
    population_all = table["population"].to_numpy(dtype="float64")
    has_population = ~np.isnan(population_all)
    population = float(population_all[has_population].sum()) if has_population.any() else math.nan
    # the attendance at the events in those areas, by the rule of totals: unknown when none of them has it
    events = table["events"].to_numpy(dtype="float64")[has_population]
    with_attendance = table["events_with_attendance"].to_numpy(dtype="float64")[has_population]
    counted = with_attendance.sum() > 0 or events.sum() == 0
    attendance = table["attendance"].to_numpy(dtype="float64")[has_population]
    attendance_known = float(np.nansum(attendance)) if counted else math.nan
    per_10k = float(_ratio(np.array([attendance_known]), np.array([population]))[0]) * PER_POPULATION
    no_event = table["events"].to_numpy() == 0
    without = tuple(str(a) for a in table[AREA].to_numpy()[no_event])
    return Engagement(
        events=int(total["events"]),
        attendance=float(total["attendance"]),
        events_with_attendance=int(total["events_with_attendance"]),
        events_without_attendance=int(total["events_without_attendance"]),
        youth_attendance=float(total["youth_attendance"]),
        youth_share=float(total["youth_share"]),
        officer_hours=float(total["officer_hours"]),
        cost=float(total["cost"]),
        cost_per_attendee=float(total["cost_per_attendee"]),
        population=population,
        areas_without_population=int((~has_population).sum()),
        attendance_per_10k=per_10k,
        areas_in_scope=len(table),
        areas_without_event=without,
        share_areas_without_event=float(_ratio(np.array([len(without)]), np.array([len(table)]))[0]),
    )
