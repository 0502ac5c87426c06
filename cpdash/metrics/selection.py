"""Which filter selections the public view refuses: those whose difference from another shown selection
rests on fewer than k responses.

Two shareable links that differ by one area (or program) would give that area's figures by subtraction,
and one area alone gives the figure the city's table hides so that a smaller one cannot be worked out. So,
for each measure a figure may rest on (the answers to each question, scored comments, participants), the
areas (and programs) that the whole's set hides (Policy.hidden_in_set, over the parts in the source's
order, as the pages ask it) may not be chosen with others, and
those hidden only to protect a smaller one may not be chosen alone either. The page says why, in words,
instead of the figures. The staff view refuses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics.gather import AREA, PROGRAM, Groups, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy


def _counts(src: Source, f: Filters, by: str) -> Iterable[tuple[Groups, np.ndarray]]:
    """(groups, n per group) of every measure a figure may rest on, over the filters grouped by `by`."""
    if by == AREA:
        for metric in SCORE_METRICS:
            if src.has(metric):
                groups = src.answers(metric, f, (AREA,))
                yield groups, groups["n"]
        if src.has("sentiment"):
            groups = src.comments(f, (AREA,))
            yield groups, groups["positive"] + groups["negative"] + groups["neutral"]
    if src.has("attendees"):
        groups = src.attendees(f, (by,))
        yield groups, groups["participants"]


def _protected(
    src: Source, f: Filters, by: str, chosen: tuple[str, ...], policy: Policy
) -> tuple[set[str], set[str]]:
    """Of the chosen parts: those the whole protects (not to be combined), and those hidden only to protect
    a smaller one (not to be shown alone either)."""
    together: set[str] = set()
    alone: set[str] = set()
    wanted = set(chosen)
    for groups, n in _counts(src, f, by):
        labels = groups.keys[by].astype("string").fillna("").to_numpy()
        n = np.asarray(n, dtype="float64")
        protect = policy.hidden_in_set(n, keys=labels)
        secondary = protect & ~policy.hidden(n)
        together |= {str(x) for x in labels[protect] if x in wanted}
        alone |= {str(x) for x in labels[secondary] if x in wanted}
    return together, alone


def refusal(src: Source, f: Filters, policy: Policy, names: dict[str, str]) -> str | None:
    """Why the public view may not show the filters' selection of areas and programs, in words; None when
    it may (and always in the staff view)."""
    if not policy.public:
        return None
    said = []
    for by, chosen, noun, label in (
        (AREA, f.areas, "area", lambda a: str(names.get(a, a))),
        (PROGRAM, f.programs, "program", str),
    ):
        if not chosen:
            continue
        whole = f.with_areas(()) if by == AREA else Filters(f.start, f.end, f.areas, ())
        together, alone = _protected(src, whole, by, chosen, policy)
        blocked = alone if len(chosen) == 1 else together | alone
        if blocked:
            which = ", ".join(sorted(label(x) for x in blocked))
            said.append(
                f"{which} cannot be shown {'on its own' if len(chosen) == 1 else f'with other {noun}s'} "
                f"in the public view for this period"
            )
    if not said:
        return None
    return (
        "; ".join(said)
        + f". Figures for this choice, set beside those of another, would give away figures resting on fewer "
        f"than {policy.k} responses. Choose other areas or programs, or a longer period."
    )
