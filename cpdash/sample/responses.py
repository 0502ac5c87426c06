"""The sample city's responses table: who answers, on which channel and when, and what they answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.schema import AGE_GROUPS, PROGRAMS, RESPONSES, SCORE_METRICS
from cpdash.sample.comments import _comments
from cpdash.sample.events import Events
from cpdash.sample.helpers import _blank, _choose_rows, _day, _ids, _int_column, _labels, _ramp, _weekday
from cpdash.sample.places import City
from cpdash.sample.programs import PROFILES
from cpdash.sample.stories import (
    CITY_TRUST,
    CITY_TRUST_RANGE,
    CITY_TRUST_SD,
    FALL_START,
    FALL_TRUST,
    NO_ENGAGEMENT_TRUST,
    YOUTH_PROGRAM_START,
    YOUTH_TRUST,
)

CHANNELS: tuple[str, ...] = ("comment card", "online survey", "phone survey", "door-to-door")
CARD_SHARE = 0.30  # responses collected on a comment card at an event
SURVEY_CHANNEL_SHARES = (0.50, 0.35, 0.15)  # online, phone, door-to-door
COMMENT_SHARE_BY_CHANNEL = (0.65, 0.60, 0.42, 0.38)
BLANK_BY_CHANNEL: dict[str, tuple[float, ...]] = {  # share of respondents skipping each question
    "trust": (0.05, 0.04, 0.03, 0.05),
    "safety": (0.50, 0.06, 0.05, 0.07),
    "listen": (0.60, 0.12, 0.10, 0.12),
    "respect": (0.10, 0.10, 0.08, 0.10),
}
CARD_BONUS = 2.5  # people who come to events are a little more positive (points on 0-100)
DISPOSITION_SD = 1.7  # respondent's general attitude, shared by every question (0-10 scale)
ANSWER_SD = 0.9  # question-specific noise (0-10 scale)
AGE_OFFSET: dict[str, tuple[float, ...]] = {  # points on 0-100 by age group, AGE_GROUPS order
    "trust": (-2, -7, -3, -1, 1, 4),
    "safety": (2, 1, 0, 0, -1, -3),
    "listen": (-2, -6, -3, -1, 1, 3),
    "respect": (-3, -7, -3, -1, 1, 3),
}
RESPONSE_AGE_SKEW = (0.0, 0.6, 0.85, 1.0, 1.2, 1.35)  # older residents answer surveys more often
GENDERS: tuple[str, ...] = ("woman", "man", "non-binary", "prefer not to say")
GENDER_SHARES = (0.51, 0.43, 0.015, 0.025)  # the rest is blank
RACES: tuple[str, ...] = ("Black", "Hispanic or Latino", "White", "Asian", "Two or more races", "Other")
RACE_MIX = (0.30, 0.25, 0.30, 0.08, 0.05, 0.02)
RACE_UNSAID, RACE_BLANK = 0.03, 0.04
SPANISH_PER_HISPANIC = 0.33  # share of Hispanic residents answering in Spanish (about 8% of all)


# --- Stories: what each area's residents feel, day by day --------------------------------------------


def _targets(city: City, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Expected score (0-100) of each metric, per area and day, telling the stories."""
    n_days = len(city.days)
    t = np.arange(n_days) / 365.25
    month = city.days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([-1.0, -1.0, -0.5, 0, 0.5, 1, 1, 1, 0.5, 0, -0.5, -1])[month]
    base = np.clip(rng.normal(CITY_TRUST, CITY_TRUST_SD, city.n), *CITY_TRUST_RANGE)
    slope = rng.normal(0.5, 1.0, city.n)
    trust = base[:, None] + slope[:, None] * (t - t.mean()) + season[None, :]
    safety = trust + rng.normal(-2.0, 5.0, city.n)[:, None]
    listen = trust + rng.normal(-4.0, 2.0, city.n)[:, None]
    respect = trust + rng.normal(3.0, 2.0, city.n)[:, None]
    days = np.arange(n_days)

    y = city.story["youth_program"]
    start = _day(city.days, YOUTH_PROGRAM_START)
    rise = _ramp(days, start, start + 365) * (YOUTH_TRUST[1] - YOUTH_TRUST[0])
    trust[y] = YOUTH_TRUST[0] + rise + season
    safety[y] = YOUTH_TRUST[0] + 2 + 0.4 * rise + season
    listen[y] = YOUTH_TRUST[0] - 3 + 1.1 * rise + season
    respect[y] = YOUTH_TRUST[0] + 1 + rise + season

    f = city.story["falling_trust"]
    start = _day(city.days, FALL_START)
    fall = _ramp(days, start, n_days - 1) * (FALL_TRUST[0] - FALL_TRUST[1])
    trust[f] = FALL_TRUST[0] - fall + season
    safety[f] = FALL_TRUST[0] - 3 - 0.6 * fall + season
    listen[f] = FALL_TRUST[0] - 4 - 1.2 * fall + season
    respect[f] = FALL_TRUST[0] + 1 - fall + season

    z = city.story["no_engagement"]
    trust[z] = NO_ENGAGEMENT_TRUST + season
    listen[z] = NO_ENGAGEMENT_TRUST - 6 + season
    return {"trust": trust, "safety": safety, "listen": listen, "respect": respect}


# --- Responses --------------------------------------------------------------------------------------


@dataclass
class Responses:
    """The responses table plus the internal columns the published scores build on."""

    frame: pd.DataFrame
    area: np.ndarray
    day: np.ndarray
    channel: np.ndarray
    age: np.ndarray  # index into AGE_GROUPS, -1 when blank
    scores: dict[str, np.ndarray]  # float 0-10, NaN when blank


def _survey_days(days: np.ndarray) -> list[np.ndarray]:
    """Relative weight of each day for online, phone and door-to-door surveys."""
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = _weekday(days)
    quarter_start = (days.astype("datetime64[M]") - (month % 3).astype("timedelta64[M]")).astype(
        "datetime64[D]"
    )
    day_of_quarter = (days - quarter_start).astype(np.int64)
    online = np.array([1, 1, 1, 1, 0.9, 0.7, 0.8])[weekday] * np.where(month % 3 == 0, 1.5, 1.0)
    phone = np.where(day_of_quarter < 42, 1.0, 0.05) * np.array([1, 1, 1, 1, 1, 0.6, 0])[weekday]
    door = (
        np.where((month >= 3) & (month <= 9), 1.0, 0.1) * np.array([0.5, 0.5, 0.5, 0.5, 0.6, 3, 1.5])[weekday]
    )
    return [online, phone, door]


SURVEY_HOURS: tuple[tuple[float, ...], ...] = (
    (1, 0.5, 0.3, 0.2, 0.2, 0.5, 1, 2, 3, 3, 3, 3, 4, 3, 3, 3, 3, 4, 5, 6, 7, 6, 4, 2),  # online
    (0,) * 10 + (1,) * 10 + (0,) * 4,  # phone
    (0,) * 10 + (1,) * 8 + (0,) * 6,  # door-to-door
)


def _responses(
    city: City, events: Events, targets: dict[str, np.ndarray], rng: np.random.Generator
) -> Responses:
    """Survey answers and comment cards, following each area's story."""
    n = city.scale.responses
    n_days = len(city.days)

    # Comment cards: collected at events, on the day, more at bigger events.
    n_card = int(round(n * CARD_SHARE))
    size = np.where(np.isnan(events.attendance), 20.0, events.attendance)
    pick = rng.choice(len(size), size=n_card, p=size / size.sum())
    card_minute = np.minimum(events.minute[pick] + rng.integers(40, 150, n_card), 23 * 60 + 59)

    # Surveys: online, phone (in waves) and door-to-door (summer weekends), by where people live.
    n_survey = n - n_card
    weight = city.population.astype(float) ** 0.85
    for i in city.story.values():
        weight[i] = max(weight[i], 1.3 * np.median(weight))
    survey_channel = rng.choice(3, size=n_survey, p=SURVEY_CHANNEL_SHARES) + 1
    survey_area = rng.choice(city.n, size=n_survey, p=weight / weight.sum())
    survey_day = np.empty(n_survey, dtype=np.int64)
    survey_minute = np.empty(n_survey, dtype=np.int64)
    for c, (day_weight, hour_weight) in enumerate(zip(_survey_days(city.days), SURVEY_HOURS, strict=True)):
        rows = np.flatnonzero(survey_channel == c + 1)
        survey_day[rows] = rng.choice(n_days, size=len(rows), p=day_weight / day_weight.sum())
        hours = np.array(hour_weight, dtype=float)
        survey_minute[rows] = rng.choice(24, size=len(rows), p=hours / hours.sum()) * 60 + rng.integers(
            0, 60, len(rows)
        )

    area = np.concatenate([events.area[pick], survey_area])
    day = np.concatenate([events.day[pick], survey_day])
    minute = np.concatenate([card_minute, survey_minute])
    channel = np.concatenate([np.zeros(n_card, dtype=np.int64), survey_channel])
    event = np.concatenate([pick, np.full(n_survey, -1)])
    order = np.lexsort((area, minute, day))
    area, day, minute, channel, event = area[order], day[order], minute[order], channel[order], event[order]
    card = channel == 0

    # Who answered.
    adult = city.shares * np.array(RESPONSE_AGE_SKEW)
    age = _choose_rows(rng, adult, area)
    youth_share = np.array([PROFILES[p].youth for p in PROGRAMS])[events.program[np.maximum(event, 0)]]
    age[card & (rng.random(n) < 0.7 * youth_share)] = 0
    age[rng.random(n) < 0.04] = -1
    gender = _choose_rows(
        rng, np.array([[*GENDER_SHARES, 1 - sum(GENDER_SHARES)]]), np.zeros(n, dtype=np.int64)
    )
    gender[gender == len(GENDERS)] = -1
    race_mix = rng.dirichlet(np.array(RACE_MIX) * 8, size=city.n)
    spanish = rng.random(n) < SPANISH_PER_HISPANIC * race_mix[area, RACES.index("Hispanic or Latino")]
    race = _choose_rows(rng, race_mix, area)
    race[spanish & (rng.random(n) < 0.9)] = RACES.index("Hispanic or Latino")
    unsaid = rng.random(n)
    race[unsaid < RACE_UNSAID] = len(RACES)
    race[(unsaid >= RACE_UNSAID) & (unsaid < RACE_UNSAID + RACE_BLANK)] = -1

    # What they answered: a shared disposition plus question noise around the area's day's target.
    disposition = rng.normal(0.0, DISPOSITION_SD, n)
    scores: dict[str, np.ndarray] = {}
    columns: dict[str, pd.arrays.IntegerArray] = {}
    for metric in SCORE_METRICS:
        age_offset = np.array(AGE_OFFSET[metric])[np.where(age < 0, AGE_GROUPS.index("35-49"), age)]
        mu = targets[metric][area, day] + age_offset
        mu = mu + np.where(card & (metric != "safety"), CARD_BONUS, 0.0)
        value = np.clip(np.rint(mu / 10 + disposition + rng.normal(0.0, ANSWER_SD, n)), 0, 10)
        skipped = rng.random(n) < np.array(BLANK_BY_CHANNEL[metric])[channel]
        scores[metric] = np.where(skipped, np.nan, value)
        columns[metric] = _int_column(value.astype(np.int64), skipped)

    has_comment = rng.random(n) < np.array(COMMENT_SHARE_BY_CHANNEL)[channel]
    comment = np.full(n, None, dtype=object)
    rows = np.flatnonzero(has_comment)
    comment[rows] = _comments(city, rng, area[rows], day[rows], card[rows], spanish[rows], scores, rows)

    datetime = city.days[day].astype("datetime64[m]") + minute.astype("timedelta64[m]")
    event_ids = events.frame["event_id"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "response_id": _ids("R", n),
            "submitted": np.datetime_as_string(datetime, unit="m").astype(object),
            "area_id": city.ids[area],
            "event_id": _blank(event_ids[np.maximum(event, 0)], event < 0),
            "channel": np.array(CHANNELS, dtype=object)[channel],
            **columns,
            "comment": comment,
            "language": np.where(spanish, "es", "en").astype(object),
            "age_group": _labels(AGE_GROUPS, age),
            "gender": _labels(GENDERS, gender),
            "race_ethnicity": _labels((*RACES, "prefer not to say"), race),
        }
    )
    return Responses(frame[list(RESPONSES.names)], area, day, channel, age, scores)
