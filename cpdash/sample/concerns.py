"""The sample city's concerns table: what residents raised, where and how, and what was done."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.data.schema import CONCERN_STATUSES, CONCERNS, PROGRAMS
from cpdash.sample import text as txt
from cpdash.sample.events import Events
from cpdash.sample.helpers import _blank, _choose_rows, _day, _ids, _pick, _render
from cpdash.sample.places import City, _text_fields
from cpdash.sample.stories import FALL_FREEZE, FALL_START, YOUTH_PROGRAM_START

CONCERN_TOPICS = txt.TOPICS
RESOLVE_MEDIAN_DAYS = 48
DECLINE_SHARE = 0.08
NEVER_RESOLVED = 0.03


def _concerns(city: City, events: Events, rng: np.random.Generator) -> pd.DataFrame:
    """Concerns residents raised and what was done, older ones mostly resolved."""
    n = city.scale.concerns
    days = city.days
    n_days = len(days)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([0.8, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.3, 1.1, 1, 0.9, 0.8])[month]
    intensity = (city.population.astype(float) ** 0.8)[:, None] * season[None, :]
    f, y = city.story["falling_trust"], city.story["youth_program"]
    fall_start = _day(days, FALL_START)
    intensity[f, fall_start:] *= 3.0
    flat = rng.choice(city.n * n_days, size=n, p=(intensity / intensity.sum()).ravel())
    area, day = flat // n_days, flat % n_days

    topic_weight = rng.dirichlet(np.full(len(CONCERN_TOPICS), 2.0), size=city.n)
    topic = _choose_rows(rng, topic_weight, area)
    youth_start = _day(days, YOUTH_PROGRAM_START)
    topic[(area == y) & (day < youth_start) & (rng.random(n) < 0.4)] = CONCERN_TOPICS.index("youth")
    troubled = (area == f) & (day >= fall_start)
    trouble = [CONCERN_TOPICS.index(t) for t in ("response time", "drugs", "violence", "fairness and bias")]
    pick = troubled & (rng.random(n) < 0.6)
    topic[pick] = rng.choice(trouble, size=int(pick.sum()))

    sources = txt.CONCERN_SOURCES
    source = rng.choice(len(sources), size=n, p=(0.35, 0.2, 0.1, 0.2, 0.15))
    quiet = (area == city.story["no_engagement"]) & np.isin(
        source, [sources.index("beat meeting"), sources.index("town hall")]
    )  # no meetings there: residents use the other channels
    source[quiet] = rng.choice(
        [sources.index(s) for s in ("survey", "online form", "phone")], size=int(quiet.sum())
    )

    # Raised at a meeting: linked to the area's latest meeting of that kind within 60 days, on its date.
    event = np.full(n, -1)
    for source_name, program_name in (
        ("beat meeting", "Beat / community meeting"),
        ("town hall", "Town hall"),
    ):
        meetings = np.flatnonzero(events.program == PROGRAMS.index(program_name))
        key = events.area[meetings] * (n_days + 1) + events.day[meetings]
        order = np.argsort(key, kind="stable")
        key, meetings = key[order], meetings[order]
        rows = np.flatnonzero(source == sources.index(source_name))
        position = np.searchsorted(key, area[rows] * (n_days + 1) + day[rows], side="right") - 1
        candidate = (
            meetings[np.maximum(position, 0)] if len(meetings) else np.zeros(len(rows), dtype=np.int64)
        )
        linked = (position >= 0) & (len(meetings) > 0)
        linked &= (events.area[candidate] == area[rows]) & (day[rows] - events.day[candidate] <= 60)
        event[rows[linked]] = candidate[linked]
        day[rows[linked]] = events.day[candidate[linked]]

    # Follow-through: most concerns close in weeks; the falling-trust area stalls.
    end = n_days - 1
    declined = rng.random(n) < DECLINE_SHARE
    median_days = np.where(declined, 20, RESOLVE_MEDIAN_DAYS)
    closed_day = day + np.ceil(rng.lognormal(np.log(median_days), 0.75)).astype(np.int64)
    stalled = (area == f) & (closed_day > _day(days, FALL_FREEZE)) & (rng.random(n) > 0.15)
    closed = (closed_day <= end) & ~stalled & (rng.random(n) >= NEVER_RESOLVED)
    in_progress = ~closed & (end - day > 10) & (rng.random(n) < 0.65)
    open_, in_progress_, resolved_, declined_ = (CONCERN_STATUSES.index(s) for s in CONCERN_STATUSES)
    status = np.where(
        closed, np.where(declined, declined_, resolved_), np.where(in_progress, in_progress_, open_)
    )

    n_topics = len(CONCERN_TOPICS)
    fields = _text_fields(city, area, rng)
    summary_bank, summary_idx = _pick(rng, [txt.CONCERN_SUMMARIES[t] for t in CONCERN_TOPICS], topic)
    action_groups = [txt.ACTIONS_RESOLVED[t] for t in CONCERN_TOPICS] + [
        txt.ACTIONS_IN_PROGRESS,
        txt.ACTIONS_DECLINED,
    ]
    action_group = np.select([status == resolved_, status == in_progress_], [topic, n_topics], n_topics + 1)
    action_bank, action_idx = _pick(rng, action_groups, action_group)

    order = np.lexsort((area, day))
    resolved = np.datetime_as_string(days[np.minimum(closed_day, end)], unit="D").astype(object)
    event_ids = events.frame["event_id"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "concern_id": _ids("C", n),
            "raised": np.datetime_as_string(days[day], unit="D").astype(object)[order],
            "area_id": city.ids[area][order],
            "topic": np.array(CONCERN_TOPICS, dtype=object)[topic][order],
            "summary": _render(summary_bank, summary_idx, fields)[order],
            "source": np.array(sources, dtype=object)[source][order],
            "status": np.array(CONCERN_STATUSES, dtype=object)[status][order],
            "action": _blank(_render(action_bank, action_idx, fields), status == open_)[order],
            "resolved": _blank(resolved, ~closed)[order],
            "event_id": _blank(event_ids[np.maximum(event, 0)], event < 0)[order],
        }
    )
    return frame[list(CONCERNS.names)]
