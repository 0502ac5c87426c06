"""The app under streamlit.testing.v1.AppTest: router, shared filters, every page on several data sets."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT

pytestmark = pytest.mark.apptest

DASHBOARD = str(REPO_ROOT / "dashboard.py")
PAGES = {
    "overview": "Overview",
    "map": "Map",
    "participation": "Participation",
    "community_voice": "Community voice",
    "you_said_we_did": "You said, we did",
    "town_hall": "Town hall",
    "data": "Data",
}


def make_app(query: dict | None = None, page: str | None = None) -> AppTest:
    """A fresh simulated session opened on `page` (default: the Overview), with URL query params."""
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    if query:
        at.query_params.update(query)
    if page:
        at.switch_page(f"pages/{page}.py")
    at.run()
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    """Navigate an open session to `page` and run it (as a click in the sidebar does)."""
    at.switch_page(f"pages/{page}.py")
    at.run()
    return at


def assert_clean(at: AppTest, where: str) -> None:
    """No exception on the page."""
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"


@pytest.fixture
def minimal_source(tmp_path: Path) -> Path:
    """Only an events table with only its required columns."""
    folder = tmp_path / "minimal"
    folder.mkdir()
    rows = [
        (
            f"E{i}",
            f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}",
            ["Coffee with a Cop", "Town hall"][i % 2],
            f"{i % 3}",
        )
        for i in range(24)
    ]
    pd.DataFrame(rows, columns=["event_id", "start", "program", "area_id"]).to_csv(
        folder / "events.csv", index=False
    )
    return folder


@pytest.fixture
def broken_source(tmp_path: Path) -> Path:
    """A copy of the sample with bad rows in events and an unreadable concerns file."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for path in DEFAULT_DATA.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    (folder / "manifest.json").unlink(missing_ok=True)
    events = pd.read_csv(folder / "events.csv", dtype=str)
    bad = events.head(3).copy()
    bad["event_id"] = ["BAD1", "BAD2", "BAD3"]
    bad.loc[bad.index[0], "start"] = "not a date"
    bad.loc[bad.index[1], "area_id"] = "NOWHERE"
    bad.loc[bad.index[2], "title"] = '=HYPERLINK("http://example.com","x")'
    bad.loc[bad.index[2], "attendance"] = "-4"
    pd.concat([events, bad]).to_csv(folder / "events.csv", index=False)
    (folder / "concerns.csv").write_bytes(b"\x00\x01 not, a\ncsv\x00 file")
    return folder


def test_sample_data_is_committed():
    """The embedded sample exists and is labelled synthetic."""
    manifest = json.loads((DEFAULT_DATA / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert (DEFAULT_DATA / "events.csv").exists()


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_sample(env, page: str):
    env(DEFAULT_DATA)
    at = make_app(page=page)
    assert_clean(at, page)
    assert at.title[0].value == PAGES[page]
    assert any("Synthetic sample data" in i.value for i in at.info), "the sample banner is missing"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_with_only_required_columns(env, minimal_source: Path, page: str):
    env(minimal_source)
    at = make_app(page=page)
    assert_clean(at, page)
    assert at.title[0].value == PAGES[page]
    assert not any("Synthetic sample data" in i.value for i in at.info)


def test_pages_say_what_they_cannot_show_without_optional_tables(env, minimal_source: Path):
    env(minimal_source)
    at = make_app(page="you_said_we_did")
    assert any("concerns" in i.value for i in at.info)
    at = make_app(page="community_voice")
    assert any("No individual survey responses" in i.value for i in at.info)
    at = open_page(make_app(), "overview")
    captions = " ".join(c.value for c in at.caption)
    assert "populations" in captions and "No trust answers" in captions


def test_router_registers_all_pages_with_overview_first(env):
    env(DEFAULT_DATA)
    at = make_app()
    assert_clean(at, "router")
    assert at.title[0].value == "Overview"
    for page in PAGES:
        open_page(at, page)
        assert_clean(at, page)


def test_filters_are_kept_across_pages(env):
    env(DEFAULT_DATA)
    at = make_app()
    features = json.loads((DEFAULT_DATA / "areas.geojson").read_text())["features"]
    chosen = tuple(f["properties"]["area_id"] for f in features[:2])
    at.multiselect(key="filter_area").set_value(list(chosen)).run()
    assert at.session_state["page_context"].filters.areas == chosen
    open_page(at, "participation")
    assert at.session_state["page_context"].filters.areas == chosen
    assert list(at.multiselect(key="filter_area").value) == list(chosen)
    open_page(at, "community_voice")
    assert at.session_state["page_context"].filters.areas == chosen


def test_filters_are_restored_from_the_url(env):
    env(DEFAULT_DATA)
    areas = json.loads((DEFAULT_DATA / "areas.geojson").read_text())["features"]
    area_id, name = areas[0]["properties"]["area_id"], areas[0]["properties"]["name"]
    # the URL names areas as people know them; the filters carry their ids
    at = make_app(
        {"filter_area": [name], "filter_period": ["2025-01-01", "2025-06-30"]}, page="participation"
    )
    assert_clean(at, "participation from URL")
    filters = at.session_state["page_context"].filters
    assert filters.areas == (area_id,)
    assert (filters.start, filters.end) == (date(2025, 1, 1), date(2025, 6, 30))
    assert name in at.caption[0].value


def test_overview_event_count_matches_the_data(env):
    env(DEFAULT_DATA)
    at = make_app({"filter_period": ["2025-01-01", "2025-12-31"]})
    events = pd.read_csv(DEFAULT_DATA / "events.csv", dtype=str)
    start = pd.to_datetime(events["start"], format="ISO8601")
    expected = int(((start >= "2025-01-01") & (start < "2026-01-01")).sum())
    # the previous period has the same 365 days: 2 Jan 2024 to 31 Dec 2024 (2024 is a leap year)
    previous = int(((start >= "2024-01-02") & (start < "2025-01-01")).sum())
    card = next(m for m in at.metric if m.label == "Events")
    assert card.value == f"{expected:,}"
    assert card.delta.startswith(f"{expected - previous:+,}")
    labels = [m.label for m in at.metric]
    assert len(labels) == 7
    assert any(label.startswith("Trust score (n=") for label in labels)


def test_overview_charts_carry_attendance_and_trust(env):
    env(DEFAULT_DATA)
    at = make_app()
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    types = [[trace["type"] for trace in spec["data"]] for spec in specs]
    assert ["bar"] in types
    assert any("scatter" in t for t in types)


def test_overview_names_the_story_areas(env):
    from cpdash.sample import STORIES

    env(DEFAULT_DATA)
    at = make_app()
    items = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**")]
    falling, no_engagement = STORIES["falling_trust"]["name"], STORIES["no_engagement"]["name"]
    ranked = [item for item in items if re.match(r"\*\*\d+\. ", item)]
    falling_item = ranked[0]  # the area with falling trust and the largest backlog comes first
    assert falling_item.startswith(f"**1. {falling}**"), ranked
    assert "Falling trust" in falling_item and "Growing open concerns" in falling_item, falling_item
    assert "Rank score" in falling_item, falling_item
    assert any(f". {no_engagement}**" in item and "No engagement" in item for item in ranked), ranked


def test_broken_data_is_reported_and_valid_rows_still_show(env, broken_source: Path):
    env(broken_source)
    at = make_app()
    assert_clean(at, "overview on broken data")
    assert any("could not be fully loaded" in e.value for e in at.error)
    assert any("3 rows were rejected" in w.value for w in at.warning)
    events_card = next(m for m in at.metric if m.label == "Events")
    assert events_card.value not in ("0", "—")
    at = open_page(at, "data")
    assert_clean(at, "data page on broken data")
    downloads = at.get("download_button")
    assert any("rejected events" in d.proto.label for d in downloads)


def test_data_page_shows_the_dictionary(env):
    env(DEFAULT_DATA)
    at = make_app(page="data")
    shown = at.dataframe[-1].value
    assert set(shown["column"]) >= {"event_id", "start", "program", "area_id"}
    at.segmented_control(key="data_dictionary_table").set_value("concerns").run()
    shown = at.dataframe[-1].value
    assert set(shown["table"]) == {"concerns"}


def test_public_mode_hides_small_numbers(env):
    env(DEFAULT_DATA, CPDASH_MODE="public", CPDASH_K="100000")
    at = make_app()
    trust = next(m for m in at.metric if m.label.startswith("Trust score"))
    assert trust.value == "—"
    assert any("fewer than 100000" in c.value for c in at.caption)


def test_needs_attention_opens_the_explaining_page_for_that_area(env):
    env(DEFAULT_DATA)
    at = make_app()
    first = next(m.value for m in at.markdown if m.value.startswith("**"))
    button = at.button(key="overview_attention_0_0")
    target = {"Community voice →": "Community voice", "You said, we did →": "You said, we did"}.get(
        button.label, "Participation"
    )
    button.click().run()
    assert_clean(at, "after drill-down")
    assert at.title[0].value == target
    areas = at.session_state["page_context"].filters.areas
    assert len(areas) == 1
    features = json.loads((DEFAULT_DATA / "areas.geojson").read_text())["features"]
    names = {f["properties"]["area_id"]: f["properties"]["name"] for f in features}
    assert first.replace("\\", "").startswith(f"**1. {names[areas[0]]}**")


def test_public_data_page_shows_reasons_but_not_rejected_rows(env, broken_source: Path):
    env(broken_source, CPDASH_MODE="public")
    at = make_app(page="data")
    assert_clean(at, "public data page")
    labels = [d.proto.label for d in at.get("download_button")]
    assert not any("rejected" in label for label in labels), labels
    shown = [set(d.value.columns) for d in at.dataframe]
    assert {"reason", "rows"} in shown
    assert not any("title" in columns for columns in shown), "rejected rows with residents' text are shown"


def test_overview_shows_no_change_against_a_period_before_the_data(env, minimal_source: Path):
    env(minimal_source)
    at = make_app()
    assert_clean(at, "overview on minimal data")
    events = next(m for m in at.metric if m.label == "Events")
    assert events.value != "0"
    assert not events.delta, f"a change against a period with no data: {events.delta}"
    assert any("No change is shown: the data starts on" in c.value for c in at.caption)


def test_the_source_is_looked_at_once_per_rerun(env, minimal_source: Path, monkeypatch: pytest.MonkeyPatch):
    """Every cache of a rerun is keyed by one look at the folder (each look lists and stats every file)."""
    from cpdash.ui import data as ui_data

    looks: list[str] = []
    real = ui_data.source_signature

    def counted(source, engine=None):
        looks.append(str(source))
        return real(source, engine)

    monkeypatch.setattr(ui_data, "source_signature", counted)
    env(minimal_source)
    at = make_app(page="participation")
    assert_clean(at, "participation")
    assert looks == [str(minimal_source)]
    at.run()
    assert len(looks) == 2  # the next rerun looks again, once, and so sees a changed file
    open_page(at, "overview")
    assert_clean(at, "overview")
    assert len(looks) == 3


def test_a_folder_and_a_sql_source_never_share_a_statistics_source(
    minimal_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from cpdash.data.load import load_dataset
    from cpdash.metrics.memory import MemorySource
    from cpdash.ui import data as ui_data

    class FakeSql:
        def __init__(self, *args) -> None:
            self.args = args

    monkeypatch.setattr(ui_data.sql, "SqlSource", FakeSql)
    monkeypatch.setattr(ui_data, "_engine", lambda url: object())
    ds = load_dataset(minimal_source, cache_dir=tmp_path / "cache")
    ui_data._source.clear()
    in_memory = ui_data._source("same version", str(minimal_source), False, ds)
    by_sql = ui_data._source("same version", str(minimal_source), True, ds)
    ui_data._source.clear()
    assert isinstance(in_memory, MemorySource) and isinstance(by_sql, FakeSql)
