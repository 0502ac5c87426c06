"""Which filter selections the public view refuses: those whose difference from another shown selection
rests on fewer than k responses.

Two shareable links that differ by one area (or program) would give that area's figures by subtraction,
and one area alone gives the figure the city's table hides so that a smaller one cannot be worked out. So,
for each measure a figure may rest on (the answers to each question, scored comments, participants), the
areas (and programs) that the whole's set hides (Policy.hidden_in_set, over the parts in the source's
order, as the pages ask it) may not be chosen with others, and
those hidden only to protect a smaller one may not be chosen alone either. The page says why, in words,
instead of the figures. The staff view refuses nothing.

Periods. Two links whose periods differ by a day, or by a month, would give what that day or month holds by
subtraction. So the public view shows only periods made of whole **blocks**: runs of calendar months, cut
once for all from the data's first month, each the shortest run on which every series the public view
shows rests on none or at least k responses (the city, each area, each age group, gender and race /
ethnicity; the answers to each question, scored comments and participants; a series with fewer than k in
all the data is never shown and is left out). Any two periods made of blocks differ by whole blocks, and so
do their compared periods (the grid of block starts goes with the filters: cpdash.metrics.periods), so no
subtraction of one period from another isolates fewer than k responses of a series. A period asked for is
widened to the blocks it touches, and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics.gather import AREA, DIMENSIONS, MONTH, PROGRAM, Groups, Source
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


def compared_shown(src: Source, before: Filters, policy: Policy) -> bool:
    """Whether a figure of the compared period may be given (its value, or a change from which it follows):
    only when the public view would show the filters' choice over that period too (see refusal)."""
    return not policy.public or refusal(src, before, policy, {}) is None


def _monthly(groups: Groups, n: np.ndarray, by: str | None) -> pd.DataFrame:
    """Counts per month (rows) and per value of `by` (columns; one column "all" when None)."""
    frame = groups.frame({"n": np.asarray(n, dtype="float64")})
    frame[MONTH] = pd.to_datetime(frame[MONTH]).dt.to_period("M")
    if by is None:
        return frame.groupby(MONTH)["n"].sum().to_frame("all")
    frame[by] = frame[by].astype("string").fillna("")
    return frame.pivot_table(index=MONTH, columns=by, values="n", aggfunc="sum", fill_value=0)


def _series(src: Source, f: Filters) -> Iterable[pd.DataFrame]:
    """Monthly counts of every series the public view shows (see the module docstring)."""
    for metric in SCORE_METRICS:
        if src.has(metric):
            for by in (None, AREA, *DIMENSIONS):
                groups = src.answers(metric, f, (MONTH,) if by is None else (MONTH, by))
                yield _monthly(groups, groups["n"], by)
    if src.has("sentiment"):
        for by in (None, AREA, *DIMENSIONS):
            groups = src.comments(f, (MONTH,) if by is None else (MONTH, by))
            yield _monthly(groups, groups["positive"] + groups["negative"] + groups["neutral"], by)
    if src.has("attendees"):
        for by in (None, AREA, PROGRAM):
            groups = src.attendees(f, (MONTH,) if by is None else (MONTH, by))
            yield _monthly(groups, groups["participants"], by)


def period_grid(src: Source, policy: Policy) -> tuple[dt.date, ...]:
    """The days the public view's blocks start on, and the day after the last block (see the module
    docstring); () in the staff view or without dated data."""
    extent = src.extent()
    if not policy.public or extent is None:
        return ()
    months = pd.period_range(extent[0], extent[1], freq="M")
    whole = Filters(months[0].start_time.date(), months[-1].end_time.date())
    counts = [table.reindex(months, fill_value=0) for table in _series(src, whole)]
    matrix = np.column_stack([t.to_numpy(dtype="float64") for t in counts]) if counts else None
    if matrix is None:
        return (months[0].start_time.date(), (months[-1] + 1).start_time.date())
    matrix = matrix[:, matrix.sum(axis=0) >= policy.k]  # never shown: nothing to protect across periods
    cuts, running = [], np.zeros(matrix.shape[1])
    for i, row in enumerate(matrix):
        running += row
        if ((running == 0) | (running >= policy.k)).all():
            cuts.append(i)
            running[:] = 0
    if not cuts or cuts[-1] != len(months) - 1:  # the rest joins the last block
        cuts = [*cuts[:-1], len(months) - 1]
    starts = [0] + [c + 1 for c in cuts]
    return tuple(
        months[i].start_time.date() if i < len(months) else (months[-1] + 1).start_time.date() for i in starts
    )


def public_period(f: Filters, grid: tuple[dt.date, ...], policy: Policy) -> tuple[Filters, str | None]:
    """The filters over the blocks of `grid` their period touches, with the grid (so that the compared
    period keeps to it too), and what to say when the period changed; unchanged without a grid."""
    if not grid or f.start is None or f.end is None:
        return f, None
    gridded = Filters(f.start, f.end, f.areas, f.programs, grid)
    snapped = gridded.on_grid(f.start, f.end)
    if (snapped.start, snapped.end) == (f.start, f.end):
        return snapped, None
    return snapped, (
        f"The public view shows whole blocks of months ({snapped.start:%-d %b %Y} – {snapped.end:%-d %b %Y} "
        f"for the {f.start:%-d %b %Y} – {f.end:%-d %b %Y} asked for), so that two periods never differ by "
        f"fewer than {policy.k} responses."
    )
