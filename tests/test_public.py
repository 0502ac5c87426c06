"""The public view's promise, as a property of the whole app: on a data set where many areas, groups and
programs rest on fewer than k responses (tests/small_groups.py), walk every page, tab, selection and
download in the public view and find no figure that rests on fewer than k responses, and no n below k.

A hidden figure is found by its canary value (each small group's figures have values no shown figure can
have: a score of 97, a net sentiment of +67 or +50, a share of 67 % or 75 %), an exposed n by any "n=3"
or count column under k.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import small_groups
from tests.adversary import leaks
from tests.small_groups import BIG, SMALL, SMALL_PROGRAM, K
from tests.walk import Output, collect, open_app, recording

pytestmark = pytest.mark.apptest

NAMES = {**BIG, **SMALL}
SELECTIONS = [
    {},
    *({"filter_area": [name]} for name in NAMES.values()),
    {"filter_area": [SMALL["S1"], SMALL["S2"]]},
    {"filter_area": [SMALL["S1"], BIG["A1"]]},
    {"filter_program": [SMALL_PROGRAM]},
    {"filter_area": [BIG["A1"]], "filter_program": [SMALL_PROGRAM]},
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small-groups data set, written once for the module."""
    return small_groups.write(tmp_path_factory.mktemp("public") / "small")


@pytest.fixture
def public(env, source: Path):
    """The app in the public view on the small-groups data, recording downloads."""
    env(source, CPDASH_MODE="public", CPDASH_K=str(K))
    with recording(pytest.MonkeyPatch()) as downloads:
        yield downloads


def assert_none(outputs: list[Output]) -> None:
    """Fail with every leak, one per line."""
    found = leaks(outputs)
    assert not found, "\n".join(dict.fromkeys(found))


def walk(downloads, page: str, states: list[dict]) -> list[Output]:
    """Every output of `page` in each URL state."""
    outputs = []
    for state in states:
        at = open_app(page, state)
        assert not at.exception, [e.value for e in at.exception]
        outputs += collect(at, downloads, f"{page} {state}")
    return outputs


def test_the_overview_shows_no_small_number(public) -> None:
    assert_none(walk(public, "pages/overview.py", SELECTIONS))


def test_the_map_shows_no_small_number(public) -> None:
    states = [
        {**s, "map_layer": layer, **({"map_measure": m} if m else {}), **({"map_area": a} if a else {})}
        for s in ({}, {"filter_area": [SMALL["S1"], BIG["A1"]]})
        for layer, m in (("Events", None), ("Density", None), *(("Areas", m) for m in MAP_MEASURES))
        for a in (None, SMALL["S1"], BIG["A1"])
    ]
    assert_none(walk(public, "pages/map.py", states))


MAP_MEASURES = ("Trust score", "Safety score", "Net comment sentiment", "Open concerns", "Events")


def test_participation_shows_no_small_number(public) -> None:
    states = [
        {**s, "participation_split": split, "participation_measure": measure}
        for s in SELECTIONS
        for split, measure in (("Program", "Attendance"), ("Area", "Events"))
    ]
    assert_none(walk(public, "pages/participation.py", states))


VOICE_TABS = ("Scores", "By group", "Events and trust", "Comment sentiment", "Topics", "Comment explorer")


def test_community_voice_shows_no_small_number(public) -> None:
    states = [
        {**s, "voice_tab": tab, **({"voice_area": area} if area else {})}
        for s in SELECTIONS
        for tab in VOICE_TABS
        for area in (None, SMALL["S1"])
    ]
    states += [{"voice_tab": tab, "voice_source": "Published"} for tab in VOICE_TABS[:3]]
    assert_none(walk(public, "pages/community_voice.py", states))


def test_you_said_we_did_shows_no_small_number(public) -> None:
    assert_none(walk(public, "pages/you_said_we_did.py", SELECTIONS))


def test_the_town_hall_and_its_pack_show_no_small_number(public) -> None:
    states = [{"filter_area": [name]} for name in NAMES.values()]
    assert_none(walk(public, "pages/town_hall.py", states))


def test_the_data_page_shows_no_small_number(public) -> None:
    assert_none(walk(public, "pages/data.py", [{}]))


def test_the_walk_sees_the_figures_it_checks(public) -> None:
    """The check can fail: the same walk in the staff view finds the small groups' figures."""
    pytest.MonkeyPatch().setenv("CPDASH_MODE", "staff")
    found = leaks(walk(public, "pages/overview.py", [{"filter_area": [SMALL["S1"]]}]))
    assert any("97" in f for f in found), found
    assert any("n under k" in f for f in found), found
