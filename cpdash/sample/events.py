"""The sample city's events table: programs on their schedules and seasons, at venues, with crowds and costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.schema import EVENTS, PROGRAMS
from cpdash.sample import text as txt
from cpdash.sample.helpers import (
    _blank,
    _choose_rows,
    _day,
    _ids,
    _int_column,
    _numbers,
    _pick,
    _ramp,
    _render,
    _weekday,
)
from cpdash.sample.places import VENUE_KINDS, VENUE_OFFSET, VENUES_IN_AREA, VENUES_PER_AREA, City
from cpdash.sample.programs import COST_SPREAD, PROFILES, SCHEDULED_PROGRAMS
from cpdash.sample.stories import FALL_START, YOUTH_PROGRAM_START

ATTENDANCE_BLANK = 0.08
YOUTH_BLANK = 0.25  # youth attendance is blank more often than attendance
NO_COORDINATES = 0.06
ONLINE_WORKSHOPS = 0.15
PARTNER_BLANK = 0.35


@dataclass
class Events:
    """The events table plus the internal columns later tables build on."""

    frame: pd.DataFrame
    area: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    program: np.ndarray  # index into PROGRAMS
    attendance: np.ndarray  # float, NaN when not counted
    youth: np.ndarray  # float, NaN when not counted


def _school_year(days: np.ndarray) -> np.ndarray:
    """True on school days' weeks: September to mid-June, without the winter and spring breaks."""
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    summer = (month == 7) | (month == 8) | ((month == 6) & (dom > 14))
    winter = ((month == 12) & (dom > 20)) | ((month == 1) & (dom < 6))
    spring = (month == 3) & (dom > 22) & (dom < 30)
    return ~(summer | winter | spring)


Batch = tuple[np.ndarray, np.ndarray, int]  # area and day index of some events, and their program


def _scheduled(city: City, rng: np.random.Generator, active: np.ndarray) -> list[Batch]:
    """Events on a schedule: monthly beat meetings, National Night Out, weekly youth mentorship."""
    days = city.days
    n_days = len(days)
    weekday = _weekday(days)
    out = []

    # Beat meetings: every month on the area's weekday and week, some skipped.
    months = np.unique(days.astype("datetime64[M]"))
    first = months.astype("datetime64[D]")
    meet_weekday = rng.integers(1, 4, city.n)  # Tuesday to Thursday
    meet_week = rng.integers(0, 4, city.n)
    offset = (meet_weekday[None, :] - _weekday(first)[:, None]) % 7 + 7 * meet_week[None, :]
    day = ((first - days[0]).astype(np.int64)[:, None] + offset).ravel()
    area = np.tile(np.arange(city.n), len(months))
    held = active[area] & (day >= 0) & (day < n_days) & (rng.random(len(day)) < 0.9)
    out.append((area[held], day[held], PROGRAMS.index("Beat / community meeting")))

    # National Night Out: the first Tuesday of August.
    years = np.unique(days.astype("datetime64[Y]"))
    for year in years:
        august = np.datetime64(f"{year}-08-01")
        nno = _day(days, str(august)) + (1 - _weekday(np.array([august]))[0]) % 7
        if 0 <= nno < n_days:
            parties = np.where(active, rng.poisson(city.scale.nno_per_area - 1, city.n) + 1, 0)
            parties *= rng.random(city.n) < 0.9
            area = np.repeat(np.arange(city.n), parties)
            out.append((area, np.full(len(area), nno), PROGRAMS.index("National Night Out")))

    # Youth mentorship: weekly in the school year, in the areas running a program.
    y = city.story["youth_program"]
    candidates = np.flatnonzero(active & (np.arange(city.n) != y))
    count = max(1, round(city.scale.youth_program_share * city.n))
    running = np.sort(rng.choice(candidates, size=min(count, len(candidates)), replace=False))
    areas = np.concatenate([running, [y]])
    starts = np.concatenate([np.zeros(len(running), dtype=np.int64), [_day(days, YOUTH_PROGRAM_START)]])
    session_weekday = np.concatenate([rng.integers(0, 4, len(running)), [1]])  # Monday to Thursday
    school = _school_year(days)
    for a, start, wd in zip(areas, starts, session_weekday, strict=True):
        day = np.flatnonzero((weekday == wd) & school & (np.arange(n_days) >= start))
        if a != y:
            day = day[rng.random(len(day)) < 0.88]
        out.append((np.full(len(day), a), day, PROGRAMS.index("Youth mentorship")))
    return out


def _sampled(city: City, rng: np.random.Generator, active: np.ndarray, multiplier: float) -> list[Batch]:
    """Events of the other programs, on days that fit their season and weekday."""
    days = city.days
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = _weekday(days)
    years = len(days) / 365.25
    activity = rng.lognormal(0.0, 0.35, city.n) * active
    out = []
    for p, program in enumerate(PROGRAMS):
        profile = PROFILES[program]
        affinity = rng.lognormal(0.0, 0.5, city.n)
        if program == "Neighbourhood watch":
            affinity *= rng.random(city.n) < 0.5
        weight = activity * affinity
        if program in SCHEDULED_PROGRAMS or weight.sum() == 0:
            continue
        count = int(round(profile.rate * np.count_nonzero(weight) * years * multiplier))
        day_weight = np.array(profile.months)[month] * np.array(profile.weekdays)[weekday]
        day = rng.choice(len(days), size=count, p=day_weight / day_weight.sum())
        area = rng.choice(city.n, size=count, p=weight / weight.sum())
        out.append((area, day, p))
    return out


def _expected_sampled(city: City, active: np.ndarray) -> float:
    """About how many events `_sampled` gives with multiplier 1."""
    years = len(city.days) / 365.25
    n_active = np.count_nonzero(active)
    return sum(
        p.rate * n_active * years * (0.5 if name == "Neighbourhood watch" else 1)
        for name, p in PROFILES.items()
        if name not in SCHEDULED_PROGRAMS
    )


def _events(city: City, rng: np.random.Generator) -> Events:
    """The events table: every program, with seasons, venues, attendance and costs."""
    scale, days = city.scale, city.days
    active = np.ones(city.n, dtype=bool)
    active[city.story["no_engagement"]] = False
    scheduled = _scheduled(city, rng, active)
    n_scheduled = sum(len(a) for a, _d, _p in scheduled)
    multiplier = 1.0
    if scale.events is not None:
        multiplier = (scale.events - n_scheduled) * 1.06 / _expected_sampled(city, active)
    sampled = _sampled(city, rng, active, multiplier)
    parts = scheduled + sampled
    area = np.concatenate([a for a, _d, _p in parts]).astype(np.int64)
    day = np.concatenate([d for _a, d, _p in parts]).astype(np.int64)
    program = np.concatenate([np.full(len(a), p) for a, _d, p in parts]).astype(np.int64)
    is_sampled = np.concatenate([np.full(len(a), i >= len(scheduled)) for i, (a, _d, _p) in enumerate(parts)])

    # The falling-trust area holds fewer events in its last year.
    f = city.story["falling_trust"]
    keep = ~((area == f) & (day >= _day(days, FALL_START)) & (rng.random(len(area)) < 0.45))
    if scale.events is not None:
        surplus = int(keep.sum()) - scale.events
        if surplus < 0:
            raise RuntimeError("too few events generated for the requested count")
        droppable = np.flatnonzero(keep & is_sampled)
        keep[rng.choice(droppable, size=surplus, replace=False)] = False
    area, day, program = area[keep], day[keep], program[keep]

    profiles = [PROFILES[p] for p in PROGRAMS]
    hours = np.empty(len(area))
    for p, profile in enumerate(profiles):
        rows = program == p
        hours[rows] = rng.choice(profile.hours, size=int(rows.sum()))
    minute = np.round(hours * 60).astype(np.int64)

    order = np.lexsort((program, area, minute, day))
    return _event_details(city, rng, area[order], day[order], program[order], minute[order])


def _event_details(
    city: City,
    rng: np.random.Generator,
    area: np.ndarray,
    day: np.ndarray,
    program: np.ndarray,
    minute: np.ndarray,
) -> Events:
    """Venues, titles, attendance, officers and costs of the events placed in time and space."""
    days = city.days
    n = len(area)
    profiles = [PROFILES[p] for p in PROGRAMS]
    prog = np.array(profiles, dtype=object)[program]
    when = days[day]
    month = when.astype("datetime64[M]").astype(np.int64) % 12
    workshop = program == PROGRAMS.index("Workshop / training")
    online = workshop & (rng.random(n) < ONLINE_WORKSHOPS)

    # Venue: a kind the program uses, then one of the area's venues of that kind.
    kind = np.empty(n, dtype=np.int64)
    for p, profile in enumerate(profiles):
        rows = program == p
        kind[rows] = rng.choice([VENUE_KINDS.index(k) for k in profile.venues], size=int(rows.sum()))
    kind_start = np.array(list(VENUE_OFFSET.values()))
    kind_count = np.array(list(VENUES_PER_AREA.values()))
    venue = area * VENUES_IN_AREA + kind_start[kind] + (rng.random(n) * kind_count[kind]).astype(np.int64)
    venues = city.venues
    venue_name = venues["name"].to_numpy(dtype=object)[venue]
    venue_name[online] = "Zoom"
    street = venues["street"].to_numpy(dtype=object)[venue]
    address = venues["address"].to_numpy(dtype=object)[venue]
    address[online] = "Online (Zoom)"
    lat = venues["lat"].to_numpy()[venue].copy()
    lon = venues["lon"].to_numpy()[venue].copy()
    no_coordinates = online | (rng.random(n) < NO_COORDINATES)
    lat[no_coordinates] = np.nan
    lon[no_coordinates] = np.nan

    # Beat: rotating for beat meetings, any of the area's beats otherwise; city-wide events often none.
    n_beats = np.array([len(b) for b in city.beats])
    beat_flat = np.array([b for beats in city.beats for b in beats], dtype=object)
    beat_start = np.concatenate([[0], np.cumsum(n_beats)[:-1]])
    meeting = program == PROGRAMS.index("Beat / community meeting")
    month_number = when.astype("datetime64[M]").astype(np.int64)
    choice = np.where(meeting, month_number % n_beats[area], (rng.random(n) * n_beats[area]).astype(np.int64))
    beat = beat_flat[beat_start[area] + choice]
    citywide = np.isin(program, [PROGRAMS.index(p) for p in ("Town hall", "Workshop / training", "Other")])
    no_beat = np.where(citywide, rng.random(n) < 0.3, rng.random(n) < 0.03) & ~meeting

    # Attendance, youth attendance, officers, hours and cost.
    median = np.array([p.attendance for p in prog])
    youth_area = city.story["youth_program"]
    start = _day(days, YOUTH_PROGRAM_START)
    growing = (area == youth_area) & (program == PROGRAMS.index("Youth mentorship"))
    median = np.where(growing, 8 + 12 * _ramp(day.astype(float), start, start + 180), median)
    spread = np.array([p.spread for p in prog])
    attendance = np.maximum(np.round(rng.lognormal(np.log(median), spread)), 2)
    large = attendance >= 100
    attendance[large] = np.round(attendance[large] / 10) * 10  # big crowds are estimated
    youth_share = np.clip(np.array([p.youth for p in prog]) * rng.uniform(0.6, 1.25, n), 0, 1)
    youth = rng.binomial(attendance.astype(np.int64), youth_share).astype(float)
    no_attendance = rng.random(n) < ATTENDANCE_BLANK
    attendance[no_attendance] = np.nan
    youth[no_attendance | (rng.random(n) < YOUTH_BLANK)] = np.nan

    low = np.array([p.officers[0] for p in prog])
    high = np.array([p.officers[1] for p in prog])
    officers = rng.integers(low, high + 1)
    duration = np.array([p.duration for p in prog])
    officer_hours = np.round(officers * (duration + 0.5) * 2) / 2
    no_officers = rng.random(n) < 0.03
    no_hours = no_officers | (rng.random(n) < 0.03)
    cost = np.round(rng.lognormal(np.log([p.cost for p in prog]), COST_SPREAD), 2)
    no_cost = rng.random(n) < 0.05

    # Partner, title and description.
    partner = np.empty(n, dtype=object)
    for p, program_name in enumerate(PROGRAMS):
        rows = np.flatnonzero(program == p)
        partner[rows] = np.array(txt.PARTNERS[program_name], dtype=object)[
            rng.integers(0, len(txt.PARTNERS[program_name]), len(rows))
        ]
    no_partner = rng.random(n) < PARTNER_BLANK
    fields = {
        "venue": venue_name,
        "street": street,
        "area": city.names[area],
        "beat": beat,
        "district": city.district[area].astype(str).astype(object),
        "year": when.astype("datetime64[Y]").astype(str).astype(object),
        "n": _numbers(1)[rng.integers(1, 9, n)],
        "partner": partner,
    }
    title_bank, title_idx = _titles(rng, program, month, online)
    desc_groups = [txt.DESCRIPTIONS[p] for p in PROGRAMS]
    desc_bank, desc_idx = _pick(rng, desc_groups, program)

    start_time = when.astype("datetime64[m]") + minute.astype("timedelta64[m]")
    frame = pd.DataFrame(
        {
            "event_id": _ids("E", n),
            "start": np.datetime_as_string(start_time, unit="m").astype(object),
            "program": np.array(PROGRAMS, dtype=object)[program],
            "area_id": city.ids[area],
            "title": _render(title_bank, title_idx, fields),
            "description": _render(desc_bank, desc_idx, fields),
            "beat": _blank(beat, no_beat),
            "address": address,
            "lat": lat,
            "lon": lon,
            "attendance": _int_column(np.nan_to_num(attendance), np.isnan(attendance)),
            "youth_attendance": _int_column(np.nan_to_num(youth), np.isnan(youth)),
            "officers": _int_column(officers, no_officers),
            "officer_hours": np.where(no_hours, np.nan, officer_hours),
            "cost": np.where(no_cost, np.nan, cost),
            "partner": _blank(partner, no_partner),
        }
    )
    return Events(frame[list(EVENTS.names)], area, day, minute, program, attendance, youth)


def _titles(
    rng: np.random.Generator, program: np.ndarray, month: np.ndarray, online: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """A title template per event that fits its program and month (and no venue when online)."""
    bank: list[str] = []
    idx = np.zeros(len(program), dtype=np.int64)
    for p, name in enumerate(PROGRAMS):
        templates = txt.TITLES[name]
        fits = np.array(
            [[months is None or m + 1 in months for m in range(12)] for _text, months in templates],
            dtype=float,
        )
        no_venue = np.array(["{venue}" not in text for text, _months in templates], dtype=float)
        for is_online in (False, True):
            rows = np.flatnonzero((program == p) & (online == is_online))
            if len(rows) == 0:
                continue
            weight = fits * (no_venue[:, None] if is_online else 1.0)
            weight[:, weight.sum(axis=0) == 0] = 1.0
            local = _choose_rows(rng, weight.T, month[rows])
            idx[rows] = len(bank) + local
        bank.extend(text for text, _months in templates)
    return bank, idx
