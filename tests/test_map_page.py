"""The Map page under streamlit.testing.v1.AppTest: layers, measures, details, twin table, edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cpdash.charts import maps
from cpdash.config import DEFAULT_DATA, REPO_ROOT
from tests.conftest import write_csv
from tests.test_maps import SMALL_AREAS, write_published_source

pytestmark = pytest.mark.apptest

DASHBOARD = str(REPO_ROOT / "dashboard.py")
EVIL = "<img src=x onerror=alert(1)>"
YEAR = {"filter_period": ["2025-01-01", "2025-12-31"]}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample data; generated with cpdash.sample while it is not there yet."""
    if any(DEFAULT_DATA.glob("events.*")):
        return DEFAULT_DATA
    from cpdash.sample import generate

    folder = tmp_path_factory.mktemp("sample")
    generate("demo", 7, folder, "csv")
    return folder


def open_map(query: dict | None = None, layer: str | None = None) -> AppTest:
    """A new session on the Map page (with `query` in the URL), optionally switched to `layer`."""
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    at.switch_page("pages/map.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if layer:
        at.segmented_control(key="map_layer").set_value(layer).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def deck(at: AppTest) -> tuple[dict, dict, int]:
    """The map's deck JSON, its tooltip and its size in bytes."""
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1, "expected one map"
    proto = charts[0].proto
    return json.loads(proto.json), json.loads(proto.tooltip), len(proto.json.encode("utf-8"))


def layer_ids(spec: dict) -> list[str]:
    """The ids of the deck's layers, in drawing order."""
    return [item["id"] for item in spec["layers"]]


def captions(at: AppTest) -> str:
    """All captions of the page, one text."""
    return "\n".join(c.value for c in at.caption)


def twin(at: AppTest) -> pd.DataFrame:
    """The accessible twin table (the page's last table)."""
    return at.dataframe[-1].value


def edited(folder_source: Path, tmp_path: Path, name: str, change) -> Path:
    """A copy of the conftest folder source with its events (or other files) changed by `change(folder)`."""
    folder = tmp_path / name
    folder.mkdir()
    for path in folder_source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    change(folder)
    return folder


def edit_events(folder: Path, fn) -> None:
    """Rewrite events.csv through `fn(frame) -> frame`."""
    events = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    fn(events).to_csv(folder / "events.csv", index=False)


# --- the sample ---------------------------------------------------------------------------------------------


def test_each_layer_draws_as_configured_on_the_sample(env, sample: Path):
    env(sample)
    at = open_map()
    assert at.title[0].value == "Map"
    spec, tooltip, _ = deck(at)
    assert at.segmented_control(key="map_layer").value == "events"
    assert layer_ids(spec)[:3] == [maps.OUTLINE_LAYER, maps.APPROX_LAYER, maps.EVENTS_LAYER]
    assert set(tooltip) == {"text", "style"} and tooltip["text"] == "{t}"
    events = next(item for item in spec["layers"] if item["id"] == maps.EVENTS_LAYER)
    assert events["pickable"] and events["data"] and {"x", "y", "r", "c", "t", "e"} <= set(events["data"][0])
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec  # offline: no basemap
    assert "placed approximately" in captions(at)

    at.segmented_control(key="map_layer").set_value("density").run()
    spec, _, _ = deck(at)
    assert layer_ids(spec)[:2] == [maps.DENSITY_LAYER, maps.OUTLINE_LAYER]
    hexes = next(item for item in spec["layers"] if item["id"] == maps.DENSITY_LAYER)
    assert hexes["@@type"] == "H3HexagonLayer" and hexes["data"]
    assert at.segmented_control(key="map_density").options == ["Events", "Attendance"]

    at.segmented_control(key="map_layer").set_value("areas").run()
    spec, _, _ = deck(at)
    assert layer_ids(spec)[0] == maps.AREAS_LAYER
    areas = spec["layers"][0]
    names = json.loads((sample / "areas.geojson").read_text())["features"]
    assert len(areas["data"]["features"]) == len(names)
    assert areas["pickable"] and areas["getFillColor"] == "@@=properties.c"
    measure = at.selectbox(key="map_measure")
    assert measure.options == [
        "Trust score",
        "Safety score",
        "Listen score",
        "Respect score",
        "Events per 10,000 residents",
        "Attendance per 10,000 residents",
        "Open concerns",
        "Net comment sentiment",
        "Events",
    ]
    assert "Not available" not in captions(at)
    table = twin(at)
    assert list(table.columns[:3]) == ["Area", "Trust score (0–100)", "Responses (n)"]
    assert len(table) == len(names)
    assert at.get("download_button")


def test_online_mode_draws_a_street_basemap_and_offline_says_it_has_none(env, sample: Path):
    env(sample)
    assert "Offline: no street map is loaded" in captions(open_map())
    env(sample, CPDASH_OFFLINE="0")
    at = open_map()
    spec, _, _ = deck(at)
    assert spec["mapProvider"] == "carto" and "basemaps.cartocdn.com" in spec["mapStyle"]
    assert "Offline" not in captions(at)


def test_a_rerun_that_changes_nothing_on_the_map_sends_the_same_deck(env, sample: Path):
    """Streamlit sends an element the browser already holds as a reference to it, when its bytes are the
    same: a deck built twice from the same state must be the same bytes (no random ids, no unordered sets)."""
    env(sample)
    for layer in (None, "density", "areas"):
        at = open_map(YEAR, layer)
        before = at.get("deck_gl_json_chart")[0].proto.json
        at.run()
        assert at.get("deck_gl_json_chart")[0].proto.json == before


def test_measures_change_the_map_and_the_table(env, sample: Path):
    env(sample)
    at = open_map(layer="areas")
    at.selectbox(key="map_measure").set_value("open_concerns").run()
    spec, _, _ = deck(at)
    tips = [f["properties"]["t"] for f in spec["layers"][0]["data"]["features"]]
    assert all("open concern" in t for t in tips)
    assert list(twin(at).columns) == [
        "Area",
        "Open at the end of the period",
        "Raised in the period",
        "Resolved in the period",
    ]
    at.selectbox(key="map_measure").set_value("sentiment").run()
    spec, _, _ = deck(at)
    tips = [f["properties"]["t"] for f in spec["layers"][0]["data"]["features"]]
    assert all("Net comment sentiment" in t for t in tips)
    assert list(twin(at).columns[:2]) == ["Area", "Net comment sentiment (points)"]


def test_the_layer_and_the_measure_come_from_the_url(env, sample: Path):
    env(sample)
    at = open_map({"map_layer": "Areas", "map_measure": "Safety score"})
    assert at.segmented_control(key="map_layer").value == "areas"
    assert at.selectbox(key="map_measure").value == "safety"
    spec, _, _ = deck(at)
    assert "\nSafety " in spec["layers"][0]["data"]["features"][0]["properties"]["t"]


def test_an_area_chosen_in_the_url_shows_its_details(env, sample: Path):
    env(sample)
    features = json.loads((sample / "areas.geojson").read_text())["features"]
    area_id, name = features[0]["properties"]["area_id"], features[0]["properties"]["name"]
    at = open_map({"map_area": name})
    assert at.selectbox(key="map_area").value == area_id
    spec, _, _ = deck(at)
    outlined = next(item for item in spec["layers"] if item["id"] == maps.SELECTED_LAYER)
    assert [f["properties"]["area_id"] for f in outlined["data"]["features"]] == [area_id]
    text = "\n".join(m.value for m in at.markdown)
    assert f"**{name}**" in text.replace("\\", "")
    assert "- Trust " in text and "- Respect " in text and "open concern" in text
    recent = next(d.value for d in at.dataframe if list(d.value.columns)[:2] == ["Date", "Program"])
    assert list(recent.columns) == ["Date", "Program", "Title", "Attendance"] and 0 < len(recent) <= 5
    assert list(recent["Date"]) == sorted(recent["Date"], reverse=True)
    # the choice survives a layer change and a filter change
    at.segmented_control(key="map_layer").set_value("areas").run()
    assert at.selectbox(key="map_area").value == area_id
    at.date_input(key="filter_period").set_value(
        (pd.Timestamp("2025-01-01").date(), pd.Timestamp("2025-12-31").date())
    ).run()
    assert not at.exception and at.selectbox(key="map_area").value == area_id


def test_public_mode_hides_small_numbers_in_the_table_and_the_map(env, sample: Path):
    env(sample, CPDASH_MODE="public", CPDASH_K="100000")
    at = open_map(layer="areas")
    table = twin(at)
    assert table["Trust score (0–100)"].isna().all() and table["Responses (n)"].isna().all()
    assert set(table["Small numbers"]) <= {"not enough answers to show (fewer than 100000)", ""}
    spec, _, _ = deck(at)
    for feature in spec["layers"][0]["data"]["features"]:
        assert feature["properties"]["c"][:3] == maps.NOT_ENOUGH_COLOUR
        assert (
            "not enough answers" in feature["properties"]["t"] or "no answers" in feature["properties"]["t"]
        )


# --- edge cases ----------------------------------------------------------------------------------------------


def test_only_required_columns_says_what_cannot_be_drawn(env, tmp_path: Path):
    folder = tmp_path / "minimal"
    folder.mkdir()
    rows = [(f"E{i}", f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", "Town hall", f"{i % 3}") for i in range(24)]
    pd.DataFrame(rows, columns=["event_id", "start", "program", "area_id"]).to_csv(
        folder / "events.csv", index=False
    )
    env(folder)
    at = open_map(YEAR)
    assert not at.get("deck_gl_json_chart")
    info = " ".join(i.value for i in at.info)
    assert "Nothing can be drawn on a map" in info and "no event has coordinates" in info
    table = twin(at)
    assert list(table["Area"]) == ["0", "1", "2"] and table["Events"].sum() == 24


def area_tips(spec: dict) -> dict[str, dict]:
    """The areas layer's properties per area_id."""
    areas = next(item for item in spec["layers"] if item["id"] == maps.AREAS_LAYER)
    return {f["properties"]["area_id"]: f["properties"] for f in areas["data"]["features"]}


def details_text(at: AppTest) -> str:
    """The page's Markdown, unescaped."""
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def test_published_scores_alone_colour_the_areas_and_fill_the_details(env, tmp_path: Path):
    env(write_published_source(tmp_path / "published"))
    at = open_map({**YEAR, "map_layer": "Areas", "map_area": "Riverside"})
    measure = at.selectbox(key="map_measure")
    assert measure.options[:2] == ["Trust score", "Safety score"] and measure.value == "trust"
    assert "Net comment sentiment (no individual survey responses in the data)" in captions(at)
    spec, _, _ = deck(at)
    tips = area_tips(spec)
    assert tips["001"]["t"] == (
        "North End\nTrust 64 (n=40; published for 1 Oct – 31 Dec 2025)\nClick for this area's details"
    )
    assert tips["001"]["c"][:3] != maps.NOT_ENOUGH_COLOUR and tips["002"]["c"][:3] != maps.NOT_ENOUGH_COLOUR
    assert tips["003"]["c"][:3] == maps.NOT_ENOUGH_COLOUR  # published on 5 responses: flagged, not coloured
    assert "Trust score: published area scores, each area's latest ending within" in captions(at)
    assert "used as published" in captions(at)
    text = details_text(at)
    assert "**Riverside**" in text
    assert "- Trust 58 (n not published; published for 1 Dec – 31 Dec 2025)" in text
    table = twin(at).set_index("Area")
    assert table.loc["Riverside", "Trust score (0–100)"] == 58 and table.loc[
        "Riverside", "Published for"
    ] == ("1 Dec – 31 Dec 2025")


def test_public_view_hides_a_small_area_and_the_one_that_would_give_it_away(env, folder_source, tmp_path):
    def responses(folder: Path) -> None:
        write_csv(
            folder / "responses.csv",
            [
                {
                    "response_id": f"R{a}{i}",
                    "submitted": f"2025-{3 + i // 28:02d}-{1 + i % 28:02d}",
                    "area_id": a,
                    "trust": str(v),
                }
                for a, values in SMALL_AREAS.items()
                for i, v in enumerate(values)
            ],
        )

    env(edited(folder_source, tmp_path, "small", responses), CPDASH_MODE="public", CPDASH_K="10")
    at = open_map({**YEAR, "map_layer": "Areas", "map_area": "Riverside"})
    raw = at.get("deck_gl_json_chart")[0].proto.json
    tips = area_tips(json.loads(raw))
    assert tips["001"]["t"].split("\n")[1] == "Trust: not enough answers to show (fewer than 10)"
    assert tips["002"]["t"].split("\n")[1].startswith("Trust: not shown, so that a figure on fewer than 10")
    assert tips["003"]["t"].split("\n")[1].startswith("Trust 60 (n=40;")
    for secret in ("n=3", "n=12", "86.7", "Trust 87", "Trust 50"):
        assert secret not in raw
    table = twin(at).set_index("Area")
    assert table.loc[["North End", "Riverside"], "Trust score (0–100)"].isna().all()
    assert table.loc[["North End", "Riverside"], "Responses (n)"].isna().all()
    assert table.loc["Hillcrest", "Responses (n)"] == 40
    text = details_text(at)
    assert "- Trust: not shown, so that a figure on fewer than 10 answers" in text
    assert "n=12" not in text and "Trust 50" not in text


def test_without_responses_the_areas_layer_offers_what_it_can_and_says_why(
    env, folder_source: Path, tmp_path: Path
):
    folder = edited(folder_source, tmp_path, "no_responses", lambda f: (f / "responses.csv").unlink())
    env(folder)
    at = open_map(YEAR, layer="areas")
    options = at.selectbox(key="map_measure").options
    assert options == [
        "Events per 10,000 residents",
        "Attendance per 10,000 residents",
        "Open concerns",
        "Events",
    ]
    assert (
        "Trust score, Safety score, Listen score, Respect score, Net comment sentiment (no individual survey "
        "responses in the data)" in captions(at)
    )
    spec, _, _ = deck(at)
    values = {f["properties"]["area_id"]: f["properties"]["t"] for f in spec["layers"][0]["data"]["features"]}
    assert (
        values["001"]
        == "North End\n3.0 events per 10,000 residents (3 events; population 10,000)\nClick for this area's details"
    )


def test_events_without_coordinates_are_placed_and_counted(env, folder_source: Path, tmp_path: Path):
    folder = edited(
        folder_source,
        tmp_path,
        "no_coordinates",
        lambda f: edit_events(f, lambda e: e.drop(columns=["lat", "lon"])),
    )
    env(folder)
    at = open_map(YEAR)
    spec, _, _ = deck(at)
    assert maps.EVENTS_LAYER in layer_ids(spec)
    approx = next(item for item in spec["layers"] if item["id"] == maps.APPROX_LAYER)
    assert len(approx["data"]) == 6
    assert "6 of 6 events placed approximately" in captions(at)
    at.segmented_control(key="map_layer").set_value("density").run()
    spec, _, _ = deck(at)
    hexes = next(item for item in spec["layers"] if item["id"] == maps.DENSITY_LAYER)
    assert sum(int(h["t"].split(" event")[0]) for h in hexes["data"]) == 6


def test_without_attendance_only_events_are_counted(env, folder_source: Path, tmp_path: Path):
    folder = edited(
        folder_source,
        tmp_path,
        "no_attendance",
        lambda f: edit_events(f, lambda e: e.drop(columns=["attendance"])),
    )
    env(folder)
    at = open_map(YEAR, layer="density")
    assert at.segmented_control(key="map_density").options == ["Events"]
    assert "Attendance cannot be counted" in captions(at)
    at.segmented_control(key="map_layer").set_value("events").run()
    spec, _, _ = deck(at)
    tips = [
        p["t"]
        for item in spec["layers"]
        if item["id"] in (maps.EVENTS_LAYER, maps.APPROX_LAYER)
        for p in item["data"]
    ]
    assert tips and all("Attendance not counted" in t for t in tips)
    assert "Attendance" not in twin(at).columns
    at.segmented_control(key="map_layer").set_value("areas").run()
    assert "Attendance per 10,000 residents" not in at.selectbox(key="map_measure").options
    assert "the events have no attendance counts" in captions(at)


def test_an_html_title_stays_text_in_the_tooltip_and_the_details(env, folder_source: Path, tmp_path: Path):
    def evil(events: pd.DataFrame) -> pd.DataFrame:
        events.loc[events["event_id"] == "E1", ["title", "address"]] = EVIL
        return events

    folder = edited(folder_source, tmp_path, "evil", lambda f: edit_events(f, evil))
    env(folder)
    at = open_map({**YEAR, "map_event": "E1"})
    spec, tooltip, _ = deck(at)
    assert "html" not in tooltip and tooltip["text"] == "{t}"
    raw = at.get("deck_gl_json_chart")[0].proto.json
    assert '"html"' not in raw
    record = next(
        p
        for item in spec["layers"]
        if item["id"] == maps.EVENTS_LAYER
        for p in item["data"]
        if p["e"] == "E1"
    )
    assert record["t"].split("\n")[1] == EVIL  # the browser sets it as text (innerText)
    card = next(m.value for m in at.markdown if m.value.startswith("**Event**"))
    assert EVIL not in card and "\\<img src=x onerror=alert\\(1\\)\\>" in card


# --- city scale ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 events with long titles over 300 square areas (Parquet), without other tables."""
    folder = tmp_path_factory.mktemp("city")
    rng = np.random.default_rng(3)
    n, columns, rows, side = 100_000, 20, 15, 0.01
    features = []
    for i in range(columns * rows):
        row, col = divmod(i, columns)
        west, south = -87.8 + col * side, 41.8 + row * side
        ring = [
            [west, south],
            [west + side, south],
            [west + side, south + side],
            [west, south + side],
            [west, south],
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "area_id": f"A{i:03d}",
                    "name": f"Neighbourhood {i}",
                    "level": "area",
                    "population": 9000,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    (folder / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    area = rng.integers(0, columns * rows, n)
    row, col = np.divmod(area, columns)
    has_xy = rng.random(n) > 0.06
    start = pd.Timestamp("2025-11-01") + pd.to_timedelta(rng.integers(0, 364 * 24, n), unit="h")
    pd.DataFrame(
        {
            "event_id": [f"E{i:06d}" for i in range(n)],
            "start": start,
            "program": np.array(["Coffee with a Cop", "Block party", "Town hall", "Other"])[
                rng.integers(0, 4, n)
            ],
            "area_id": [f"A{a:03d}" for a in area],
            "title": [
                f"Community meeting at the Riverside Centre, 1200 North Main Street, room {i}"
                for i in range(n)
            ],
            "lat": np.where(has_xy, 41.8 + row * side + rng.random(n) * side, np.nan),
            "lon": np.where(has_xy, -87.8 + col * side + rng.random(n) * side, np.nan),
            "attendance": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 300, n)),
        }
    ).to_parquet(folder / "events.parquet", index=False)
    return folder


def test_the_map_stays_under_1_mb_at_city_scale(env, city_source: Path):
    env(city_source)
    at = open_map({"filter_period": ["2025-11-01", "2026-10-30"]})
    sizes = {}
    for layer in ("events", "density", "areas"):
        at.segmented_control(key="map_layer").set_value(layer).run()
        assert not at.exception, [e.value for e in at.exception]
        spec, _, size = deck(at)
        sizes[layer] = size
        assert size <= maps.MAX_DECK_BYTES, f"{layer}: {size:,} bytes"
    assert sizes["events"] <= maps.EVENTS_DECK_BYTES
    at.segmented_control(key="map_layer").set_value("events").run()
    note = next(line for line in captions(at).split("\n") if "most recent" in line)
    assert note.startswith("Showing the ") and "most recent of 100,000 events, from " in note
    assert "events placed approximately" in captions(at)
