"""One truth, checked across the whole app: for the same filters, every place that shows the same figure
shows the same value and the same n — the Overview, the Map's details, Participation, Community voice,
"You said, we did", the town hall, its HTML pack and its CSVs — on the sample city and on a department's
events plus published scores only, for several random filter states (seeded, so CI is repeatable)."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cpdash.data.load import load_dataset
from cpdash.export import pack
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import town_hall
from tests import published_only
from tests.conftest import REPO
from tests.walk import open_app

pytestmark = pytest.mark.apptest
STATES = 3  # random filter states per data set
SCORE = re.compile(r"^(?P<label>Trust|Safety)(?: score)? \((?P<n>n=[\d,]+|n not published)\)$")
MAP_SCORE = re.compile(r"Trust (?P<value>\d+)(?: ⚠)? \((?P<n>n=[\d,]+|n not published)")


def _sources(tmp: Path) -> dict[str, Path]:
    sample = tmp / "sample"
    shutil.copytree(REPO / "sample_data", sample)
    return {"sample": sample, "published only": published_only.write(tmp / "published")}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample city, and a calendar with published scores only (no responses)."""
    return _sources(tmp_path_factory.mktemp("consistency"))


def states(folder: Path, seed: int) -> list[tuple[Filters, str]]:
    """Random periods of 2 to 14 months within the data, each about one random area (and its name)."""
    ds = load_dataset(folder)
    first, last = MemorySource(ds).extent()
    rng = random.Random(seed)
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    out = []
    for _ in range(STATES):
        days = rng.randint(60, 420)
        start = first + dt.timedelta(days=rng.randint(0, max((last - first).days - days, 0)))
        area = rng.choice(sorted(names))
        out.append((Filters(start, min(start + dt.timedelta(days=days), last), (area,)), names[area]))
    return out


def cards(at) -> dict[str, str]:
    """The KPI cards of a page: label -> value."""
    return {m.label: m.value for m in at.metric}


def score_card(found: dict[str, str], label: str) -> tuple[str, str] | None:
    """(label with its n, value) of a score card such as 'Trust score (n=270)', if the page shows one."""
    for key, value in found.items():
        match = SCORE.match(key)
        if match and match["label"] == label:
            return match["n"], value
    return None


@pytest.mark.parametrize("dataset", ["sample", "published only"])
def test_every_place_shows_the_same_figure(env, sources: dict[str, Path], dataset: str) -> None:
    folder = sources[dataset]
    env(folder)
    ds = load_dataset(folder)
    src = MemorySource(ds)
    for f, name in states(folder, seed=11 if dataset == "sample" else 12):
        query = {"filter_area": [name], "filter_period": [f.start.isoformat(), f.end.isoformat()]}
        where = f"{dataset} {f.start}–{f.end} {name}"

        overview = cards(open_app("pages/overview.py", query))
        participation = cards(open_app("pages/participation.py", query))
        voice = cards(open_app("pages/community_voice.py", {**query, "voice_tab": "Comment sentiment"}))
        you_said = cards(open_app("pages/you_said_we_did.py", query)) if src.has("concerns") else {}
        map_page = open_app("pages/map.py", {**query, "map_layer": "Areas", "map_area": name})
        details = "\n".join(m.value for m in map_page.markdown)
        hall = town_hall.build(src, ds, f.areas[0], f, Policy(10, False))
        facts = {fact.label: fact.value for s in hall.sections for fact in s.facts}
        html = pack.pack_html(hall)
        tables = pack.tables_csv(hall)

        # events and attendance
        assert overview["Events"] == participation["Events"] == facts["Events"], where
        assert f"{overview['Events']} event" in details.replace("\\", ""), where
        if overview["Attendance"] != "—":
            assert overview["Attendance"] == participation["Attendance"] == facts["People who came"], where

        # trust: the Overview, Community voice, the Map's details, the town hall, its pack and CSV
        trust = score_card(overview, "Trust")
        assert trust == score_card(voice, "Trust"), where
        hall_trust = next(((k, v) for k, v in facts.items() if k.startswith("Trust")), None)
        if trust is not None and trust[1] != "—":
            n, value = trust
            assert hall_trust == (f"Trust ({n})", value), where
            assert f"Trust ({n})" in html and f">{value}<" in html.replace(" ", ""), where
            seen = MAP_SCORE.search(details.replace("\\", ""))
            assert seen is not None and (seen["value"], seen["n"]) == (value, n), (where, details)
            csv = next((d for k, d in tables.items() if k.endswith("trust-and-safety.csv")), None)
            if csv is not None and n.startswith("n="):
                rows = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
                now = rows[(rows.iloc[:, 0] == "Trust") & (rows.iloc[:, 1] == "This period")].iloc[0]
                assert round(float(now["Score"])) == int(value), where
                assert int(now["Answers (n)"]) == int(n[2:].replace(",", "")), where

        # net sentiment: the Overview and Community voice
        sentiment = next(((k, v) for k, v in overview.items() if k.startswith("Sentiment")), None)
        shown = next(((k, v) for k, v in voice.items() if k.startswith("Net sentiment")), None)
        if sentiment is not None and shown is not None:
            assert sentiment[0].replace("Sentiment", "") == shown[0].replace("Net sentiment", ""), where
            assert sentiment[1] == shown[1], where

        # open concerns: the Overview, You said we did, the Map's details and the town hall
        if src.has("concerns"):
            open_now = overview["Open concerns"]
            assert open_now == you_said["Open at period end"] == facts["Still open"], where
            assert f"Open concerns: {open_now}" in details, where
