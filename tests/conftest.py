"""Shared helpers: small input files written into a temporary folder, never the embedded sample data."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the package is imported from the checkout, not installed
    sys.path.insert(0, str(REPO))

# Three adjacent 0.1° squares along one line of latitude (lon west to east): 001, 002, 003.
LAT_SOUTH, LAT_NORTH = 41.8, 41.9
AREA_SQUARES = {
    "001": ("North End", -88.0),
    "002": ("Riverside", -87.9),
    "003": ("Hillcrest", -87.8),
}
SIDE = 0.1


def square(west: float, south: float, side: float = SIDE) -> dict:
    """A GeoJSON Polygon: the square with its south-west corner at (west, south)."""
    ring = [
        [west, south],
        [west + side, south],
        [west + side, south + side],
        [west, south + side],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(properties: dict, geometry: dict | None) -> dict:
    """A GeoJSON Feature."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def area_features() -> list[dict]:
    """The three square areas, with names, level and population."""
    return [
        feature(
            {"area_id": area_id, "name": name, "level": "district", "population": 10_000 * (i + 1)},
            square(west, LAT_SOUTH),
        )
        for i, (area_id, (name, west)) in enumerate(AREA_SQUARES.items())
    ]


def write_geojson(path: Path, features: list[dict]) -> Path:
    """Write a FeatureCollection."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    """Write `rows` (dicts with the same keys) as CSV; None becomes an empty cell."""
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` as a file (for CSV written by hand)."""
    path.write_bytes(text.encode(encoding))
    return path


# Events, out of date order on purpose. E5 has no coordinates and no beat (area centroid); E6 has
# none but shares beat 11 with E1 and E2, which have them (beat centroid).
EVENTS_ROWS = [
    {
        "event_id": "E3",
        "start": "2025-03-20 18:30",
        "program": "Town hall",
        "area_id": "002",
        "beat": "21",
        "lat": "41.85",
        "lon": "-87.85",
        "attendance": "40",
        "youth_attendance": "5",
        "title": "Spring town hall",
    },
    {
        "event_id": "E1",
        "start": "2025-01-10",
        "program": "Coffee with a Cop",
        "area_id": "001",
        "beat": "11",
        "lat": "41.82",
        "lon": "-87.98",
        "attendance": "12",
        "youth_attendance": "0",
        "title": "Coffee at Café Rosa",
    },
    {
        "event_id": "E2",
        "start": "2025-02-05",
        "program": "Beat / community meeting",
        "area_id": "001",
        "beat": "11",
        "lat": "41.84",
        "lon": "-87.96",
        "attendance": "25",
        "youth_attendance": "2",
        "title": "Beat 11 meeting",
    },
    {
        "event_id": "E5",
        "start": "2025-04-02",
        "program": "Block party",
        "area_id": "003",
        "beat": "",
        "lat": "",
        "lon": "",
        "attendance": "",
        "youth_attendance": "",
        "title": "Block party",
    },
    {
        "event_id": "E6",
        "start": "2025-01-25",
        "program": "Community clean-up",
        "area_id": "001",
        "beat": "11",
        "lat": "",
        "lon": "",
        "attendance": "8",
        "youth_attendance": "",
        "title": "Park clean-up",
    },
    {
        "event_id": "E4",
        "start": "2025-03-01",
        "program": "Youth mentorship",
        "area_id": "003",
        "beat": "31",
        "lat": "41.81",
        "lon": "-87.75",
        "attendance": "15",
        "youth_attendance": "15",
        "title": "Mentors",
    },
]

RESPONSES_ROWS = [
    {
        "response_id": "R2",
        "submitted": "2025-03-21",
        "area_id": "002",
        "event_id": "E3",
        "trust": "8",
        "safety": "7",
        "comment": "Officers were great and helpful, thank you",
    },
    {
        "response_id": "R1",
        "submitted": "2025-01-11",
        "area_id": "001",
        "event_id": "E1",
        "trust": "6",
        "safety": "5",
        "comment": "",
    },
    {
        "response_id": "R3",
        "submitted": "2025-02-14",
        "area_id": "003",
        "event_id": "",
        "trust": "3",
        "safety": "4",
        "comment": "Terrible response time, nobody came",
    },
]

CONCERNS_ROWS = [
    {
        "concern_id": "C2",
        "raised": "2025-03-20",
        "area_id": "002",
        "topic": "traffic and speeding",
        "status": "open",
        "resolved": "",
        "summary": "Cars speed on Main St",
    },
    {
        "concern_id": "C1",
        "raised": "2025-01-10",
        "area_id": "001",
        "topic": "noise",
        "status": "resolved",
        "resolved": "2025-02-01",
        "summary": "Loud parties at night",
    },
]


@pytest.fixture
def folder_source(tmp_path: Path) -> Path:
    """A good folder source: areas.geojson (three squares), events.csv, responses.csv, concerns.csv."""
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(folder / "events.csv", EVENTS_ROWS)
    write_csv(folder / "responses.csv", RESPONSES_ROWS)
    write_csv(folder / "concerns.csv", CONCERNS_ROWS)
    return folder


@pytest.fixture(autouse=True)
def router_always_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest behave like a running server: pages always run through dashboard.py.

    A `pages/` folder makes Streamlit run a page on its own until the first st.navigation call in
    the process; AppTest forgets that call before every run, so each rerun would first run the page
    alone and lose the widget change being tested. The cold path (a first visit straight to a page's
    URL) is covered by the browser tests on a fresh server.
    """
    route_pages_through_router(monkeypatch)


def route_pages_through_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AppTest run goes through dashboard.py's st.navigation (see router_always_runs)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def charts_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure a test builds is checked against plotly's schema (the app skips the check for speed)."""
    from cpdash.charts import base

    monkeypatch.setattr(base, "VALIDATE", True)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Point the app at a data folder, offline, with a private score cache (and any other CPDASH_* setting)."""

    def use(source: Path, **extra: str) -> None:
        monkeypatch.setenv("CPDASH_DATA", str(source))
        monkeypatch.setenv("CPDASH_OFFLINE", "1")
        monkeypatch.setenv("CPDASH_CACHE", str(tmp_path / "cache"))
        for name, value in extra.items():
            monkeypatch.setenv(name, value)

    return use


def open_app_page(page: str, title: str | None = None, query: dict | None = None):
    """A fresh AppTest session of the app (URL query params applied), navigated to `page`, run cleanly."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if title is not None:
        assert at.title[0].value == title
    return at
