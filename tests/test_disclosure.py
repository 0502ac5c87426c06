"""The disclosure test: an adversary combines every figure the public view shows on a data set of small
areas and groups (tests/small_groups.py): the Overview, the Map's areas, Community voice's scores, groups
and sentiment and the town hall, for all areas, each area, and pairs of areas (two links that differ by one
area), and each area picked on the Scores tab and the town hall, with their downloads, and recovers no set of fewer than k responses (tests/adversary.py).

A card's change against the compared period (and the compared value its help gives) counts as a figure of
the compared period. Programs do not select answers or comments (they select events and participants), so the pairs are of
areas; the participation figures are held by tests/test_public.py. Periods: links whose periods differ by one
day (the small areas' answers all fall on 14 March) or by a month or two are set against each other too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import small_groups
from tests.adversary import ANSWERS, COMMENTS, Figure, recovered, view_figures
from tests.small_groups import AREAS, BIG, SMALL, K
from tests.walk import recording

pytestmark = [pytest.mark.apptest, pytest.mark.timeout(900)]  # a hang guard: it walks about 60 views

VOICE = "pages/community_voice.py"
FIRST = BIG["A2"]
SINGLE = [[name] for name in AREAS.values()]
PAIRS = [[FIRST, name] for name in AREAS.values() if name != FIRST] + [[SMALL["S1"], SMALL["S2"]]]
VOICE_TABS = ({"voice_tab": "Scores"}, {"voice_tab": "By group"}, {"voice_tab": "Comment sentiment"})
CITY_PAGES = [  # what they show of each area, the Scores tab shows too for one area
    ("pages/overview.py", {}),
    ("pages/map.py", {"map_layer": "Areas", "map_measure": "Trust score"}),
    ("pages/map.py", {"map_layer": "Areas", "map_measure": "Net comment sentiment"}),
]


PERIODS = [  # the 14th of March holds the small areas' seven answers, and nothing else
    ["2025-01-01", "2025-03-13"],
    ["2025-01-01", "2025-03-14"],
    ["2025-01-01", "2025-04-30"],
    ["2025-02-01", "2025-12-31"],
    ["2025-03-15", "2025-08-31"],
    ["2025-05-01", "2025-08-31"],  # with its change against (and the value of) January to April
    ["2025-09-10", "2025-12-31"],
]
PERIOD_PAGES = [(VOICE, VOICE_TABS[0]), (VOICE, VOICE_TABS[2]), ("pages/overview.py", {})]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small-groups data set, written once for the module."""
    return small_groups.write(tmp_path_factory.mktemp("disclosure") / "small")


def _walk(env, source: Path, mode: str, selections: list[list[str]], whole: bool) -> list[Figure]:
    env(source, CPDASH_MODE=mode, CPDASH_K=str(K))
    figures: list[Figure] = []
    with recording(pytest.MonkeyPatch()) as downloads:
        for areas in selections:
            for state in VOICE_TABS:
                figures += view_figures(downloads, VOICE, state, areas)
        if whole:
            for page, state in CITY_PAGES:
                figures += view_figures(downloads, page, state, [])
            for area in AREAS:  # picked on the page, with no areas in the sidebar
                figures += view_figures(downloads, VOICE, VOICE_TABS[0], [], area)
                figures += view_figures(downloads, "pages/town_hall.py", {}, [], area)
    return figures


def test_no_figure_under_k_can_be_worked_out_from_the_public_view(env, source: Path) -> None:
    figures = _walk(env, source, "public", [[], *SINGLE, *PAIRS], whole=True)
    assert len(figures) > 100  # the reader understood the pages
    found = recovered(figures, K)
    assert not found, "\n".join(found)


def test_the_adversary_works_out_what_the_staff_view_shows(env, source: Path) -> None:
    """The check can fail: in the staff view (small figures flagged, not hidden) the adversary recovers the
    small areas and groups, both directly and by subtraction."""
    figures = _walk(env, source, "staff", [[], [SMALL["S1"]]], whole=False)
    found = "\n".join(recovered(figures, K))
    assert "areas=['S1'] month=all group=all" in found
    assert "gender', 'nonbinary'" in found


def test_no_figure_under_k_can_be_worked_out_from_two_periods(env, source: Path) -> None:
    """Links whose periods differ by a day or by whole months, for all areas and for one: in the public view
    every period is made of whole blocks of months, each resting on k or more responses of every series."""
    env(source, CPDASH_MODE="public", CPDASH_K=str(K))
    figures: list[Figure] = []
    with recording(pytest.MonkeyPatch()) as downloads:
        for period in [None, *PERIODS]:
            for areas in ([], [BIG["A1"]]):
                for page, state in PERIOD_PAGES:
                    figures += view_figures(downloads, page, state, areas, period=period)
    assert len({f.period for f in figures}) > 1  # the reader read the periods
    compared = [f for f in figures if "2025-05-01" in f.where and f.period == ("2025-01-01", "2025-04-30")]
    assert {f.measure for f in compared} == {ANSWERS, COMMENTS}  # and the compared period's figures
    found = recovered(figures, K)
    assert not found, "\n".join(found)
