"""An adversary against the public view's counts of people (participants, from attendee records): it reads
every count the Participation page shows (the cards, the returning-by-month and age tables and their
downloads) for a selection of areas and programs, and looks for a count of 1 to k-1 people, shown or worked
out.

Distinct counts do not add up across months or programs (one person at two programs counts once in both
together), so tests/adversary.py's linear algebra does not apply. What does:
- within one count, its parts add up: participants = returning + new = at 2+ events + at one event, and the
  age groups add up to the participants (those hidden are the total minus those shown);
- two areas (or programs) each alone and together give the people at both (a + b - together);
- between two selections, one inside the other (all programs and all but one, two areas and one of them,
  an area and the same area without a program, a year and its last months), the larger's count minus the
  smaller's is the number of people who came only to what the larger adds: a group of its own, which must
  not rest on fewer than k.

A share shown beside its whole gives its count back when one count rounds to it (99 % of 99 is 98).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from tests import small_groups
from tests.adversary import period_shown
from tests.walk import Output, collect, open_app

PEOPLE = ("participants", "returning", "new", "repeat", "once")
CARD = re.compile(r"^Participants \| ([\d,]+) \|")
REPEAT_CARD = re.compile(r"^Came to \d\+ events \| (\d+) % \|")
REPEAT_WORDS = re.compile(r"came to \d or more events in the period \(([\d,]+) (?:people|person)\)")


@dataclass(frozen=True)
class Count:
    """One count of people shown (or worked out from one view): the selection it is about (None: all), the
    row (("month", "2025-05"), ("age", "25-34"), or None for the period's whole) and what it counts."""

    areas: frozenset[str] | None
    programs: frozenset[str] | None
    row: tuple[str, str] | None
    column: str
    value: float
    where: str = ""
    period: tuple[str, str] | None = None  # the days the page says it shows, ISO


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _share_count(share: float, whole: float) -> float | None:
    """The one count of `whole` that rounds to `share` %, or None when several do."""
    fits = [n for n in range(int(whole) + 1) if round(100 * n / whole) == round(share)] if whole else []
    return float(fits[0]) if len(fits) == 1 else None


def _csv(text: str) -> pd.DataFrame | None:
    try:
        return pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def _shown(value: object) -> bool:
    return value is not None and not pd.isna(value) and str(value).strip() not in ("", "—")


def counts(outputs: Iterable[Output], areas: frozenset[str] | None, programs: frozenset[str] | None):
    """Every count of people among the outputs of one selection, with the parts that follow from them."""
    found: dict[tuple, Count] = {}
    outputs = list(outputs)
    period = period_shown(outputs)

    def add(row: tuple[str, str] | None, column: str, value: float, where: str) -> None:
        found.setdefault((row, column), Count(areas, programs, row, column, value, where, period))

    share = None
    for o in outputs:
        if o.kind == "metric" and CARD.match(o.text):
            add(None, "participants", _number(CARD.match(o.text).group(1)), o.where)
        elif o.kind == "metric" and REPEAT_CARD.match(o.text):
            share = float(REPEAT_CARD.match(o.text).group(1))
        elif o.kind in ("caption", "markdown") and REPEAT_WORDS.search(o.text):
            add(None, "repeat", _number(REPEAT_WORDS.search(o.text).group(1)), o.where)
        elif o.kind in ("table", "download") and (frame := _csv(o.text)) is not None:
            if {"Month", "Participants", "Returning"} <= set(frame.columns):
                for _, r in frame.iterrows():
                    row = ("month", str(r["Month"])[:7])
                    for column in ("participants", "returning", "new"):
                        if _shown(r.get(column.capitalize())):
                            add(row, column, float(r[column.capitalize()]), o.where)
                    if _shown(r.get("Returning share (%)")) and _shown(r.get("Participants")):
                        got = _share_count(float(r["Returning share (%)"]), float(r["Participants"]))
                        if got is not None:
                            add(row, "returning", got, o.where)
            elif {"Age group", "Participants"} <= set(frame.columns):
                for _, r in frame.iterrows():
                    if _shown(r["Participants"]):
                        add(("age", str(r["Age group"])), "participants", float(r["Participants"]), o.where)
    whole = found.get((None, "participants"))
    if share is not None and whole is not None:
        got = _share_count(share, whole.value)
        if got is not None:
            add(None, "repeat", got, whole.where)
    for (row, column), c in list(found.items()):  # the other part of a whole split in two
        if column == "participants":
            for part, other in (("returning", "new"), ("new", "returning"), ("repeat", "once")):
                if (row, part) in found:
                    add(row, other, c.value - found[(row, part)].value, found[(row, part)].where)
    return list(found.values())


def _inside(small: frozenset[str] | None, big: frozenset[str] | None) -> bool:
    return big is None or (small is not None and small <= big)


def _within(small: Count, big: Count) -> bool:
    """True when `small`'s people are among `big`'s: its choice inside, and its period inside (a month's
    row is the same month whatever the period around it)."""
    if not (_inside(small.areas, big.areas) and _inside(small.programs, big.programs)):
        return False
    if small.row and small.row[0] == "month" or small.period == big.period:
        return True
    return bool(
        small.period and big.period and big.period[0] <= small.period[0] <= small.period[1] <= big.period[1]
    )


def _view(c: Count) -> tuple:
    return (c.areas, c.programs, None if c.row and c.row[0] == "month" else c.period)


def derived(shown: list[Count], k: int) -> list[str]:
    """Every count of 1 to k-1 people shown or worked out (see the module docstring)."""
    found = [
        f"{c.column} {c.row or 'whole'} = {c.value:g} shown at {c.where}" for c in shown if 0 < c.value < k
    ]
    by_view: dict[tuple, list[Count]] = {}
    for c in shown:
        by_view.setdefault((c.areas, c.programs, c.period), []).append(c)
    for view in by_view.values():  # the age groups hidden: the whole minus those shown
        whole = [c for c in view if c.row is None and c.column == "participants"]
        ages = [c.value for c in view if c.row and c.row[0] == "age"]
        if whole and ages and 0 < whole[0].value - sum(ages) < k:
            found.append(f"age groups not shown: {whole[0].value - sum(ages):g} people at {whole[0].where}")
    by_row: dict[tuple, list[Count]] = {}
    for c in [*shown, *_months_as_periods(shown)]:
        by_row.setdefault((c.row, c.column), []).append(c)
    for (row, column), same in by_row.items():
        for big in same:
            for small in same:
                if _within(small, big) and _view(small) != _view(big):
                    gap = big.value - small.value
                    if 0 < gap < k:
                        found.append(
                            f"{column} {row or 'whole'}: {gap:g} people only in "
                            f"areas={_name(big.areas)} programs={_name(big.programs)} period={big.period} and not "
                            f"in areas={_name(small.areas)} programs={_name(small.programs)} period={small.period}"
                        )
    found += _overlaps(shown, k)
    return sorted(set(found))


def _overlaps(shown: list[Count], k: int) -> list[str]:
    """People at both of two areas (or programs): each alone plus the other, less the two together."""
    index = {(c.areas, c.programs, c.row, c.column, _view(c)[2]): c.value for c in shown}
    found = []
    for (areas, programs, row, column, period), together in index.items():
        if column not in ("participants", "returning", "new"):
            continue
        for pair, first in ((areas, True), (programs, False)):
            if pair is None or len(pair) != 2:
                continue
            parts = [
                index.get(
                    ((frozenset({x}), programs) if first else (areas, frozenset({x}))) + (row, column, period)
                )
                for x in sorted(pair)
            ]
            if None not in parts and 0 < sum(parts) - together < k:
                found.append(
                    f"{column} {row or 'whole'}: {sum(parts) - together:g} people at both of {sorted(pair)}"
                )
    return found


def _months_as_periods(shown: list[Count]) -> list[Count]:
    """A month's participants as the participants of a period of one month, to set beside the period's."""
    out = []
    for c in shown:
        if c.row and c.row[0] == "month" and c.column == "participants":
            start = pd.Period(c.row[1], freq="M")
            days = (start.start_time.date().isoformat(), start.end_time.date().isoformat())
            out.append(Count(c.areas, c.programs, None, c.column, c.value, c.where, days))
    return out


def _name(items: frozenset[str] | None) -> str:
    return "all" if items is None else "+".join(sorted(items))


def view_counts(
    downloads, areas: list[str], programs: list[str], period: list[str] | None = None
) -> list[Count]:
    """The counts of people the Participation page shows for the sidebar's `areas` (names), `programs` and
    `period` (two ISO days)."""
    query = {
        "participation_split": "Program",
        **({"filter_area": areas} if areas else {}),
        **({"filter_program": programs} if programs else {}),
        **({"filter_period": period} if period else {}),
    }
    at = open_app("pages/participation.py", query)
    assert not at.exception, [e.value for e in at.exception]
    ids = {name: area for area, name in small_groups.AREAS.items()}
    outputs = collect(at, downloads, f"participation {query}")
    return counts(
        outputs,
        frozenset(ids[a] for a in areas) if areas else None,
        frozenset(programs) if programs else None,
    )
