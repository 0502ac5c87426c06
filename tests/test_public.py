"""The public view's promise, as a property of the whole app: on a data set where many areas, groups and
programs rest on fewer than k responses (tests/small_groups.py), walk every page, tab, selection and
download in the public view and find no figure that rests on fewer than k responses, and no n below k.

A hidden figure is found by its canary value (each small group's figures have values no shown figure can
have: a score of 97, a net sentiment of +67 or +50, a share of 67 % or 75 %), an exposed n by any "n=3"
or count column under k.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests import small_groups
from tests.small_groups import BIG, CANARIES, SMALL, SMALL_PROGRAM, K
from tests.walk import Output, collect, open_app, recording

pytestmark = pytest.mark.apptest

N_TEXT = re.compile(
    r"\bn\s*=\s*(\d[\d,]*)|\b(\d[\d,]*)\s+(?:responses|answers|scored comments|participants)\b"
)
N_COLUMN = re.compile(
    r"(^n$| n$|\(n\)|^responses$|^answers$|scored comments|^participants$|^comments$)", re.I
)
CANARY = re.compile("|".join(f"(?:{c})" for c in CANARIES))
NAMES = {**BIG, **SMALL}
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)  # a pack's code and styles, not its figures
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


def _chart_data(text: str) -> str:
    """A chart's JSON without its template (colours and fonts, not data)."""
    try:
        spec = json.loads(text)
    except ValueError:
        return text
    spec.get("layout", {}).pop("template", None)
    return json.dumps(spec, ensure_ascii=False)


def _counts_in_csv(text: str) -> list[tuple[str, float]]:
    """(column, value) of every count column of a CSV (a table or a download)."""
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []
    found = []
    for column in frame.columns:
        if N_COLUMN.search(str(column)):
            values = pd.to_numeric(frame[column].astype("string").str.replace(",", ""), errors="coerce")
            found += [(str(column), float(v)) for v in values.dropna()]
    return found


def leaks(outputs: list[Output]) -> list[str]:
    """Every place where a figure on fewer than k responses, or the n of one, shows."""
    found = []
    for o in outputs:
        text = _chart_data(o.text) if o.kind == "chart" else SCRIPT.sub(" ", o.text)
        for match in CANARY.finditer(text):
            context = text[max(0, match.start() - 80) : match.end() + 40].replace("\n", " ")
            found.append(f"{o.where} [{o.kind}] a hidden figure {match.group(0)!r}: …{context}…")
        for match in N_TEXT.finditer(text):
            n = int((match.group(1) or match.group(2)).replace(",", ""))
            if 0 < n < K:
                context = text[max(0, match.start() - 80) : match.end() + 20].replace("\n", " ")
                found.append(f"{o.where} [{o.kind}] n under k {match.group(0)!r}: …{context}…")
        if o.kind in ("table", "download"):
            for column, n in _counts_in_csv(o.text):
                if 0 < n < K:
                    found.append(f"{o.where} [{o.kind}] column {column!r} holds {n:g}, under k")
    return found


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
