"""Free-text comments of the sample city's responses, their tone following the answers."""

from __future__ import annotations

import numpy as np

from cpdash.data.schema import SCORE_METRICS
from cpdash.sample import text as txt
from cpdash.sample.concerns import CONCERN_TOPICS
from cpdash.sample.helpers import _choose_rows, _day, _numbers, _pick, _render
from cpdash.sample.places import City, _text_fields
from cpdash.sample.stories import FALL_START, YOUTH_PROGRAM_START

CONTACT_SHARE = 0.01  # comments with a phone number, e-mail or street address in them


def _comments(
    city: City,
    rng: np.random.Generator,
    area: np.ndarray,
    day: np.ndarray,
    card: np.ndarray,
    spanish: np.ndarray,
    scores: dict[str, np.ndarray],
    rows: np.ndarray,
) -> np.ndarray:
    """Free-text comments whose tone follows the respondent's answers: opener + body + closer."""
    n = len(area)
    answers = np.column_stack([scores[m][rows] for m in SCORE_METRICS])
    answered = (~np.isnan(answers)).sum(axis=1)
    mean = np.where(answered > 0, np.nansum(answers, axis=1) / np.maximum(answered, 1), 5.5)
    p_praise = 1 / (1 + np.exp(-(mean - 6.8) * 1.4))
    p_complaint = 1 / (1 + np.exp(-(4.3 - mean) * 1.4))
    u = rng.random(n)
    rest = 1 - p_praise - p_complaint
    tone = np.where(
        u < p_praise, 0, np.where(u < p_praise + p_complaint, 1, np.where(u < 1 - 0.45 * rest, 2, 3))
    )  # praise, complaint, request, mixed

    # Topics of complaints follow the area's troubles and the stories.
    topic_weight = rng.dirichlet(np.full(len(CONCERN_TOPICS), 2.0), size=city.n)
    topic = _choose_rows(rng, topic_weight, area)
    y, f = city.story["youth_program"], city.story["falling_trust"]
    before_youth = (area == y) & (day < _day(city.days, YOUTH_PROGRAM_START))
    topic[before_youth & (rng.random(n) < 0.4)] = CONCERN_TOPICS.index("youth")
    falling = (area == f) & (day >= _day(city.days, FALL_START))
    topic[falling & (rng.random(n) < 0.5)] = CONCERN_TOPICS.index("response time")

    praise_kind = np.where(card & (rng.random(n) < 0.55), 1, 0)
    after_youth = (area == y) & (day >= _day(city.days, YOUTH_PROGRAM_START) + 30)
    praise_kind[after_youth & (rng.random(n) < 0.45)] = 2
    # Body groups, in the order of `groups` below.
    n_topics = len(CONCERN_TOPICS)
    complaint, request, mixed = 3, 3 + n_topics, 4 + n_topics
    short_positive, short_negative, short_neutral, spanish_first = range(5 + n_topics, 9 + n_topics)
    short = ~spanish & (rng.random(n) < 0.12)
    group = np.select([tone == 0, tone == 1, tone == 2], [praise_kind, complaint + topic, request], mixed)
    short_group = np.select([tone == 0, tone == 3], [short_positive, short_neutral], short_negative)
    group = np.where(short, short_group, group)
    group = np.where(spanish, spanish_first + tone, group)
    groups = [
        txt.PRAISE_EN,
        txt.PRAISE_EVENT_EN,
        txt.PRAISE_YOUTH_EN,
        *(txt.COMPLAINT_EN[t] for t in CONCERN_TOPICS),
        txt.REQUEST_EN,
        txt.MIXED_EN,
        txt.SHORT_POSITIVE_EN,
        txt.SHORT_NEGATIVE_EN,
        txt.SHORT_NEUTRAL_EN,
        txt.PRAISE_ES,
        txt.COMPLAINT_ES,
        txt.REQUEST_ES,
        txt.MIXED_ES,
    ]
    fields = _text_fields(city, area, rng)
    bank, body_idx = _pick(rng, groups, group)
    body = _render(bank, body_idx, fields)
    second = np.flatnonzero(~short & (rng.random(n) < 0.15))  # a few comments run to two sentences
    bank2, idx2 = _pick(rng, groups, group[second])
    differs = idx2 != body_idx[second]
    second, idx2 = second[differs], idx2[differs]
    body[second] = body[second] + " " + _render(bank2, idx2, {k: v[second] for k, v in fields.items()})

    opener_group = np.where(short, 2, spanish.astype(np.int64))
    opener_bank, opener_idx = _pick(rng, [txt.OPENERS_EN, txt.OPENERS_ES, ("",)], opener_group)
    tones = ("praise", "complaint", "request", "mixed")
    closer_groups = [txt.CLOSERS_EN[t] for t in tones] + [txt.CLOSERS_ES[t] for t in tones] + [("",)]
    closer_group = np.where(short, 8, tone + 4 * spanish)
    closer_bank, closer_idx = _pick(rng, closer_groups, closer_group)
    text = _render(opener_bank, opener_idx, fields) + body + _render(closer_bank, closer_idx, fields)

    contact = np.flatnonzero(rng.random(n) < CONTACT_SHARE)
    if len(contact):
        k = len(contact)
        contact_fields = {
            "street": fields["street"][contact],
            "d2": _numbers(2)[rng.integers(0, 100, k)],
            "d3": _numbers(3)[rng.integers(200, 1000, k)],
            "d4": _numbers(4)[rng.integers(0, 10_000, k)],
            "num": _numbers(4)[rng.integers(1000, 5000, k)],
            "first": np.array(txt.FIRST_NAMES, dtype=object)[rng.integers(0, len(txt.FIRST_NAMES), k)],
            "last": np.array(txt.LAST_NAMES, dtype=object)[rng.integers(0, len(txt.LAST_NAMES), k)],
        }
        contact_bank, contact_idx = _pick(
            rng, [txt.CONTACT_EN, txt.CONTACT_ES], spanish[contact].astype(np.int64)
        )
        text[contact] = text[contact] + _render(contact_bank, contact_idx, contact_fields)
    return text
