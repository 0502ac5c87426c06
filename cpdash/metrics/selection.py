"""Which filter selections the public view refuses: those whose difference from another shown selection
rests on fewer than k responses.

Two shareable links that differ by one area (or program) would give that area's figures by subtraction,
and one area alone gives the figure the city's table hides so that a smaller one cannot be worked out. So,
for each measure that adds up over areas (the answers to each question, scored comments), the areas that
the whole's set hides (Policy.hidden_in_set, over the parts in the source's order, as the pages ask it) may
not be chosen with others, and those hidden only to protect a smaller one may not be chosen alone either. The page says why, in words,
instead of the figures. The staff view refuses nothing.

Participants. People are counted once however many events they came to, so participants do not add up over
areas, programs or months and no part can stand in for a set. Instead each count of people the public view
shows for a choice (participants over the period, per month and per age group; returning and new, at two or
more events and at one, where shown) is set beside the same count for the choices just around it (all areas
or all programs instead of those chosen; the choice with one chosen area or program left out): the
difference is the number of people who came only to what one adds to the other, and a difference of 1 to
k-1 refuses the choice (the choice of everything never is). A choice of two areas (or programs) is refused
too when each alone and the two together give the people at both (a + b - together) as 1 to k-1. Two choices
that differ by more than one item (three programs against one of them, areas against other programs) are not
set beside each other directly.
Periods likewise (people_over_period_hidden): a period's participants, those at two or more events and its
age groups are hidden where a shorter period of whole blocks inside it, or one of its months, gives one of
them 1 to k-1 apart.

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
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cpdash.data.schema import AGE_GROUPS, SCORE_METRICS
from cpdash.metrics import repeat as rep
from cpdash.metrics.gather import AGE, AREA, DIMENSIONS, MONTH, PROGRAM, Groups, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import SHOWN, Policy


def _counts(src: Source, f: Filters, by: str) -> Iterable[tuple[Groups, np.ndarray]]:
    """(groups, n per group) of every measure that adds up over the parts of `by` (answers and scored
    comments over areas), over the filters grouped by `by`. Participants do not add up (see _people)."""
    if by == AREA:
        for metric in SCORE_METRICS:
            if src.has(metric):
                groups = src.answers(metric, f, (AREA,))
                yield groups, groups["n"]
        if src.has("sentiment"):
            groups = src.comments(f, (AREA,))
            yield groups, groups["positive"] + groups["negative"] + groups["neutral"]


def people_by_age(
    src: Source, f: Filters, policy: Policy, total: float, whole_shown: bool = True
) -> tuple[np.ndarray, float, np.ndarray]:
    """Participants per age group (AGE_GROUPS' order), those without one (`total` less them), and which of
    these parts may not be shown: under k, and others with them (the youngest first) so that none can be
    worked out from the whole (all of them when the whole is hidden in public)."""
    table = rep.repeat_by(src, f, (AGE,)).set_index(AGE)["participants"]
    counts = table.reindex(list(AGE_GROUPS)).fillna(0).to_numpy(dtype="float64")
    unknown = float(total - counts.sum())  # no age group, or one the contract does not know
    keys = [f"{i:02d}" for i in range(len(AGE_GROUPS) + 1)]
    hide = policy.hidden_in_set(np.append(counts, unknown), whole_shown, keys)
    if not whole_shown and policy.public:  # the whole is hidden: so is every part, empty ones included
        hide[:] = True
    return counts, unknown, hide


def _people(
    src: Source, f: Filters, policy: Policy, months: bool = True
) -> dict[tuple[str, str, str], float]:
    """The counts of people the public view shows for the filters: participants over the period, per month
    (unless `months` is False) and per age group, and the parts they split into (returning and new per
    month, at 2+ events and at one over the period) where the policy shows them; keyed (row kind, row,
    count)."""
    whole = src.attendees(f)
    people, repeat = whole.first("participants"), whole.first("repeat")
    if policy.status(people) != SHOWN:
        return {}
    shown = {("period", "", "participants"): people}
    if not policy.split_hidden(repeat, people):
        shown |= {("period", "", "repeat"): repeat, ("period", "", "once"): people - repeat}
    if months:
        per_month = src.attendees(f, (MONTH,))
        labels = per_month.keys[MONTH].astype("string").fillna("").to_numpy()
        for label, n, back in zip(labels, per_month["participants"], per_month["returning"], strict=True):
            shown[("month", str(label), "participants")] = float(n)
            if not policy.split_hidden(back, n):
                shown |= {("month", str(label), "returning"): back, ("month", str(label), "new"): n - back}
    counts, unknown, hide = people_by_age(src, f, policy, people)
    for label, n, hidden in zip([*AGE_GROUPS, "unknown"], [*counts, unknown], hide, strict=True):
        if not hidden:
            shown[("age", label, "participants")] = float(n)
    return shown


def _nested(f: Filters) -> Iterable[Filters]:
    """The choices just around the filters' own, one inside the other: all areas and / or all programs
    instead of those chosen, and the choice with one chosen area and / or one chosen program left out."""
    wider = [(a, p) for a in {f.areas, ()} for p in {f.programs, ()}]
    fewer_areas = [f.areas] + [tuple(x for x in f.areas if x != a) for a in f.areas if len(f.areas) > 1]
    fewer_programs = [f.programs] + [
        tuple(x for x in f.programs if x != p) for p in f.programs if len(f.programs) > 1
    ]
    for areas, programs in {*wider, *((a, p) for a in fewer_areas for p in fewer_programs)}:
        if (areas, programs) != (f.areas, f.programs):
            yield f.with_areas(areas).with_programs(programs)


def _people_gap(src: Source, f: Filters, policy: Policy, names: dict[str, str]) -> str | None:
    """What the filters' choice may not be shown beside, in words, when a count of people it shows differs
    from the same count of a choice just around it (_nested) by 1 to k-1 (the people who came only to what
    one adds to the other); None when none does.

    Distinct people do not add up over programs, areas or months (one person at two programs counts once
    in both together), so no part of a set can stand in for them: the counts themselves are compared."""
    if not src.has("attendees") or not (f.areas or f.programs):
        return None
    mine = _people(src, f, policy)
    for other in _nested(f):
        theirs = _people(src, other, policy)
        if any(0 < abs(mine[key] - theirs[key]) < policy.k for key in mine.keys() & theirs.keys()):
            left_out = [str(names.get(a, a)) for a in f.areas if other.areas and a not in other.areas]
            left_out += [p for p in f.programs if other.programs and p not in other.programs]
            if left_out:
                return (
                    f"{', '.join(left_out)} cannot be shown with the rest of this choice: the participants who "
                    f"came only to {'it' if len(left_out) == 1 else 'them'} are fewer than {policy.k}"
                )
            wider = " and ".join(
                w
                for w, x, y in (("areas", f.areas, other.areas), ("programs", f.programs, other.programs))
                if x and not y
            )
            return (
                f"this choice cannot be shown beside all {wider}: the participants who came only to the "
                f"{wider} it leaves out are fewer than {policy.k}"
            )
    return _overlap(src, f, policy, names, mine)


UNIONS = ("participants", "returning", "new")  # counts of a choice of two: those of each less those at both


def _overlap(
    src: Source, f: Filters, policy: Policy, names: dict[str, str], mine: dict[tuple[str, str, str], float]
) -> str | None:
    """For a choice of two areas (or two programs): what to say when each alone and the two together give
    the people at both by adding and subtracting (a + b - both together) as 1 to k-1; None otherwise."""
    for chosen, alone, label in (
        (f.areas, lambda x: f.with_areas((x,)), lambda x: str(names.get(x, x))),
        (f.programs, lambda x: f.with_programs((x,)), str),
    ):
        if len(chosen) != 2:
            continue
        first, second = (_people(src, alone(x), policy) for x in chosen)
        keys = [key for key in mine.keys() & first.keys() & second.keys() if key[2] in UNIONS]
        both = [first[key] + second[key] - mine[key] for key in keys]
        if any(0 < n < policy.k for n in both):
            return (
                f"{' and '.join(label(x) for x in chosen)} cannot be shown together: with each on its own, "
                f"they would give away the participants who came to both, fewer than {policy.k}"
            )
    return None


def _protected(
    src: Source, f: Filters, by: str, chosen: tuple[str, ...], policy: Policy
) -> tuple[set[str], set[str]]:
    """Of the chosen parts: those the whole protects (not to be combined), and those hidden only to protect
    a smaller one (not to be shown alone either)."""
    together: set[str] = set()
    alone: set[str] = set()
    wanted = set(chosen)
    for groups, n in _counts(src, f, by):
        labels = groups.key_text(by)
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
    if f.areas:  # programs select no answers or comments: their choice is the participants' (_people_gap)
        together, alone = _protected(src, f.with_areas(()), AREA, f.areas, policy)
        blocked = alone if len(f.areas) == 1 else together | alone
        if blocked:
            which = ", ".join(sorted(str(names.get(a, a)) for a in blocked))
            said.append(
                f"{which} cannot be shown {'on its own' if len(f.areas) == 1 else 'with other areas'} "
                f"in the public view for this period"
            )
    gap = _people_gap(src, f, policy, names)
    if gap:
        said.append(gap)
    if not said:
        return None
    said[0] = said[0][0].upper() + said[0][1:]
    return (
        "; ".join(said)
        + f". Figures for this choice, set beside those of another, would give away figures resting on fewer "
        f"than {policy.k} responses. Choose other areas or programs, or a longer period."
    )


PARTICIPANTS, REPEAT, AGES = "participants", "repeat", "ages"  # what people_over_period_hidden may hide


def _over_period(key: tuple[str, str, str]) -> str:
    """Which of PARTICIPANTS, REPEAT and AGES a count of _people over the period is."""
    kind, _, count = key
    return AGES if kind == "age" else PARTICIPANTS if count == "participants" else REPEAT


def people_over_period_hidden(src: Source, f: Filters, policy: Policy) -> frozenset[str]:
    """Which counts of people over the filters' whole period may not be shown: PARTICIPANTS, REPEAT (those at
    two or more events and those at one) and AGES (the age groups); a month's counts are the same whatever
    the period. In public, those a shorter period inside it (whole blocks, or one of its months) gives 1 to
    k-1 apart (the people who came only, or came again, in the rest of the period): the longer period
    hides, so any two periods shown differ by none or k."""
    if not policy.public or not f.grid or f.start is None or f.end is None or not src.has("attendees"):
        return frozenset()
    one = dt.timedelta(days=1)
    edges = [d for d in f.grid if f.start <= d <= f.end + one]
    shown = _people(src, f, policy)
    mine = {key: n for key, n in shown.items() if key[0] != "month"}
    hidden = set()
    whole = mine.get(("period", "", "participants"))
    months = [n for (kind, _, count), n in shown.items() if kind == "month" and count == "participants"]
    if whole is not None and any(0 < whole - n < policy.k for n in months):  # a month is a shorter period
        hidden.add(PARTICIPANTS)
    for i, start in enumerate(edges[:-1]):
        for end in edges[i + 1 :]:
            if (start, end - one) != (f.start, f.end):
                theirs = _people(src, f.with_period(start, end - one), policy, months=False)
                common = mine.keys() & theirs.keys()
                hidden |= {_over_period(key) for key in common if 0 < abs(mine[key] - theirs[key]) < policy.k}
    return frozenset(hidden)


def compared_shown(src: Source, before: Filters, policy: Policy) -> bool:
    """Whether a figure of the compared period may be given (its value, or a change from which it follows):
    only when the public view would show the filters' choice over that period too (see refusal)."""
    return not policy.public or refusal(src, before, policy, {}) is None


def compared_shown_alone(src: Source, before: Filters, policy: Policy, areas: Sequence[str]) -> np.ndarray:
    """compared_shown of each of `areas` chosen alone over `before` (the filters' areas aside), the areas'
    counts read once for all of them rather than once an area."""
    if not policy.public:
        return np.ones(len(areas), dtype=bool)
    _, alone = _protected(src, before.with_areas(()), AREA, tuple(areas), policy)
    return np.array(
        [a not in alone and _people_gap(src, before.with_areas((a,)), policy, {}) is None for a in areas],
        dtype=bool,
    )


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
