"""The sample city's attendees table: sign-in sheets with pseudonymous keys of repeat participants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cpdash.data.schema import AGE_GROUPS, ATTENDEES, PROGRAMS
from cpdash.sample.events import Events
from cpdash.sample.helpers import _blank, _choose_rows, _labels
from cpdash.sample.places import City
from cpdash.sample.programs import PROFILES

SIGN_IN_PROGRAMS: tuple[str, ...] = (
    "Beat / community meeting",
    "Youth mentorship",
    "Youth sports and activities",
    "Neighbourhood watch",
    "Workshop / training",
)

SIGN_IN_RATE = 0.85
POOL_PER_SIGN_IN = {"adult": 3.0, "youth": 1.0}  # participant pool size per sign-in, by age


def _attendees(city: City, events: Events, rng: np.random.Generator) -> pd.DataFrame:
    """Sign-in sheets of youth programs, beat meetings, watch groups and workshops (pseudonymous keys)."""
    sign_in = [PROGRAMS.index(p) for p in SIGN_IN_PROGRAMS]
    sheets = np.flatnonzero(np.isin(events.program, sign_in) & ~np.isnan(events.attendance))
    attendance = events.attendance[sheets].astype(np.int64)
    signed = rng.binomial(attendance, SIGN_IN_RATE)
    usual_youth = np.array([PROFILES[p].youth for p in PROGRAMS])[events.program[sheets]]
    youth_counted = np.where(
        np.isnan(events.youth[sheets]), np.round(attendance * usual_youth), events.youth[sheets]
    )
    youth = np.minimum(rng.binomial(youth_counted.astype(np.int64), SIGN_IN_RATE), signed)
    counts = {"adult": signed - youth, "youth": youth}

    # Each area has a pool of adults and of young people; some come often, most once or twice.
    area = events.area[sheets]
    adult_age = city.shares.copy()
    adult_age[:, 0] = 0.0
    pools: dict[tuple[str, int], tuple[int, int]] = {}
    home, age, weight = [], [], []
    start = 0
    for a in range(city.n):
        for kind in ("adult", "youth"):
            total = int(counts[kind][area == a].sum())
            if total == 0:
                continue
            size = max(10, math.ceil(POOL_PER_SIGN_IN[kind] * total))
            pools[(kind, a)] = (start, size)
            start += size
            elsewhere = rng.random(size) < 0.12
            home.append(np.where(elsewhere, rng.integers(0, city.n, size), a))
            if kind == "youth":
                age.append(np.zeros(size, dtype=np.int64))
            else:
                age.append(_choose_rows(rng, adult_age, np.full(size, a)))
            weight.append(rng.lognormal(0.0, 1.0, size))
    home_area = np.concatenate(home)
    age_group = np.concatenate(age)
    propensity = np.concatenate(weight)
    home_area_id = _blank(city.ids[home_area], rng.random(start) < 0.04)
    age_label = _labels(AGE_GROUPS, np.where(rng.random(start) < 0.05, -1, age_group))
    keys = np.array([f"P{k:08x}" for k in rng.choice(16**8, size=start, replace=False)], dtype=object)

    event_rows, people = [], []
    for i, sheet in enumerate(sheets):
        for kind in ("adult", "youth"):
            k = int(counts[kind][i])
            if k == 0:
                continue
            first, size = pools[(kind, int(area[i]))]
            p = propensity[first : first + size]
            chosen = first + rng.choice(size, size=min(k, size), replace=False, p=p / p.sum())
            people.append(np.sort(chosen))
            event_rows.append(np.full(len(chosen), sheet))
    person = np.concatenate(people)
    event = np.concatenate(event_rows)
    frame = pd.DataFrame(
        {
            "event_id": events.frame["event_id"].to_numpy(dtype=object)[event],
            "participant_key": keys[person],
            "age_group": age_label[person],
            "home_area_id": home_area_id[person],
        }
    )
    return frame[list(ATTENDEES.names)]
