"""The disclosure test for counts of people: on the small-groups data (tests/small_groups.py: a youth
program of three participants in Alder, two of them twice, and two small areas), an adversary reads every
count of participants the Participation page shows (cards, returning by month, age groups, downloads) for
all programs, each program, two programs and all but one, each area and two areas, and Alder with and
without each program, and finds no count of 1 to k-1 people, shown or worked out by subtracting nested
selections or the parts of a whole (tests/adversary_people.py).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests import small_groups
from tests.adversary_people import Count, derived, view_counts
from tests.small_groups import AREAS, BIG, PROGRAMS, SMALL, SMALL_PROGRAM, K
from tests.walk import recording

pytestmark = [pytest.mark.apptest, pytest.mark.timeout(900)]

ALL_PROGRAMS = (*PROGRAMS, SMALL_PROGRAM)
FIRST = BIG["A1"]  # where the youth program is held
PROGRAM_CHOICES = [
    [],
    *([p] for p in ALL_PROGRAMS),
    *(list(pair) for pair in itertools.combinations(ALL_PROGRAMS, 2)),
    *([q for q in ALL_PROGRAMS if q != p] for p in ALL_PROGRAMS),
]
AREA_CHOICES = [
    *([name] for name in AREAS.values()),
    *([FIRST, name] for name in AREAS.values() if name != FIRST),
    [SMALL["S1"], SMALL["S2"]],
]
BOTH = [([FIRST], programs) for programs in PROGRAM_CHOICES[1:]]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small-groups data set, written once for the module."""
    return small_groups.write(tmp_path_factory.mktemp("people") / "small")


def _walk(env, source: Path, mode: str, choices: list[tuple[list[str], list[str]]]) -> list[Count]:
    env(source, CPDASH_MODE=mode, CPDASH_K=str(K))
    shown: list[Count] = []
    with recording(pytest.MonkeyPatch()) as downloads:
        for areas, programs in choices:
            shown += view_counts(downloads, areas, programs)
    return shown


def test_no_count_of_people_under_k_can_be_worked_out_from_the_public_view(env, source: Path) -> None:
    choices = [([], p) for p in PROGRAM_CHOICES] + [(a, []) for a in AREA_CHOICES] + BOTH
    shown = _walk(env, source, "public", choices)
    assert len(shown) > 100  # the reader understood the page
    found = derived(shown, K)
    assert not found, "\n".join(found)


PERIODS = [
    ["2025-01-01", "2025-04-30"],
    ["2025-05-01", "2025-12-31"],
    ["2025-09-01", "2025-12-31"],
    ["2025-01-01", "2025-08-31"],
]


def test_no_count_of_people_under_k_can_be_worked_out_from_two_periods(env, source: Path) -> None:
    """The youth program's three came in April, and one of them only then: the year against May to December
    would give that one away, and against September to December all three."""
    env(source, CPDASH_MODE="public", CPDASH_K=str(K))
    shown: list[Count] = []
    with recording(pytest.MonkeyPatch()) as downloads:
        for period in [None, *PERIODS]:
            for programs in ([], [PROGRAMS[0]]):
                shown += view_counts(downloads, [], programs, period)
    assert len({c.period for c in shown}) > 3  # the reader read the periods
    found = derived(shown, K)
    assert not found, "\n".join(found)


def test_the_adversary_works_out_the_youth_program_in_the_staff_view(env, source: Path) -> None:
    """The check can fail: with nothing hidden, all programs against all but the youth program give its two
    May participants away, and April's new participants are its three."""
    others = [p for p in ALL_PROGRAMS if p != SMALL_PROGRAM]
    found = "\n".join(derived(_walk(env, source, "staff", [([], []), ([], others)]), K))
    assert "('month', '2025-05'): 2 people only in areas=all programs=all" in found
    assert "new ('month', '2025-04') = 3 shown" in found
