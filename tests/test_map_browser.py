"""The Map page in headless Chromium: each layer draws, a click opens an area's or an event's details, a
title with HTML shows as text in the tooltip, and no request leaves the server's host (offline mode)."""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.serve import (  # noqa: E402
    CHROMIUM,
    EXCEPTION_SELECTOR,
    PHONE_AGENT,
    AppServer,
    launch_chromium,
    open_page,
    wait_for_idle,
)
from tests.browser_support import PHONE  # noqa: E402
from tests.conftest import AREA_SQUARES, LAT_NORTH, LAT_SOUTH, SIDE, area_features, write_csv, write_geojson  # noqa: E402

pytestmark = pytest.mark.browser

MISSING_BROWSER = (
    f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); no browser is downloaded"
)
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(MISSING_BROWSER, allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

EVIL = "<img src=x onerror=alert(1)>"
DECK = "[data-testid=stDeckGlJsonChart]"
VIEWPORT = {"width": 1280, "height": 900}
# The three squares of conftest side by side; the map is centred on the middle one (002, Riverside).
CENTRE_LAT = (LAT_SOUTH + LAT_NORTH) / 2
CENTRE_LON = AREA_SQUARES["002"][1] + SIDE / 2


def write_source(folder: Path) -> Path:
    """Three square areas, 60 events in 2025 (the one at the map's centre titled with HTML), 15 responses
    per area (enough to colour the areas at k = 10) and a few concerns."""
    folder.mkdir(parents=True, exist_ok=True)
    write_geojson(folder / "areas.geojson", area_features())
    rng = np.random.default_rng(5)
    programs = ["Coffee with a Cop", "Block party", "Town hall", "Beat / community meeting"]
    events = []
    for i in range(60):
        area_id = list(AREA_SQUARES)[i % 3]
        west = AREA_SQUARES[area_id][1]
        lat, lon = LAT_SOUTH + 0.01 + rng.random() * 0.08, west + 0.01 + rng.random() * 0.08
        if abs(lat - CENTRE_LAT) < 0.02 and abs(lon - CENTRE_LON) < 0.02:  # keep the centre for the evil one
            lat = LAT_SOUTH + 0.01
        events.append(
            {
                "event_id": f"E{i:02d}",
                "start": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d} 18:00",
                "program": programs[i % 4],
                "area_id": area_id,
                "title": f"Meeting {i}",
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "attendance": str(10 + i),
            }
        )
    events.append(
        {
            "event_id": "EVIL",
            "start": "2025-06-15 18:00",
            "program": "Town hall",
            "area_id": "002",
            "title": EVIL,
            "lat": f"{CENTRE_LAT:.5f}",
            "lon": f"{CENTRE_LON:.5f}",
            "attendance": "400",
        }
    )
    write_csv(folder / "events.csv", events)
    responses = [
        {
            "response_id": f"R{a}{j}",
            "submitted": f"2025-{1 + j % 12:02d}-10",
            "area_id": area_id,
            "trust": str((j + 3 * a) % 11),
            "safety": str((j * 2 + a) % 11),
            "comment": "Thank you, very helpful officers" if j % 3 else "Nobody came, terrible",
        }
        for a, area_id in enumerate(AREA_SQUARES)
        for j in range(15)
    ]
    write_csv(folder / "responses.csv", responses)
    concerns = [
        {
            "concern_id": f"C{j}",
            "raised": f"2025-0{1 + j}-05",
            "area_id": "002",
            "topic": "noise",
            "status": "open",
        }
        for j in range(3)
    ]
    write_csv(folder / "concerns.csv", concerns)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; under CI a missing browser fails every test."""
    if not CHROMIUM.exists():
        pytest.fail(f"CI is set and {MISSING_BROWSER}", pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app, offline, on the three-area source."""
    folder = write_source(tmp_path_factory.mktemp("map_source"))
    with AppServer(folder, cache_dir=tmp_path_factory.mktemp("map_cache"), offline=True) as running:
        yield running


class Session:
    """A browser page on the app that records requests leaving the server's host and any alert."""

    def __init__(self, browser: Browser, server: AppServer) -> None:
        self.server = server
        self.page: Page = browser.new_page(viewport=VIEWPORT)
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request)
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.hostname not in ("127.0.0.1", "localhost") or parts.port != self.server.port:
            self.foreign.append(request.url)

    def open(self, query: str) -> None:
        """Open the Map page with `query` and wait until the map is drawn."""
        open_page(self.page, self.server.url, "map", query, timeout=120_000)
        self.page.wait_for_timeout(1_000)  # deck.gl draws on the next animation frames

    def centre(self) -> tuple[float, float]:
        """The map's centre on the screen (the view's latitude and longitude)."""
        box = self.page.locator(DECK).first.locator("canvas").first.bounding_box()
        assert box, "the map has no canvas"
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def query(self) -> dict[str, list[str]]:
        """The URL's query parameters."""
        return parse_qs(urlsplit(self.page.url).query)

    def check(self) -> None:
        """No exception box, page error, alert, or request to another host."""
        assert not self.page.locator(EXCEPTION_SELECTOR).count(), self.page.locator(
            EXCEPTION_SELECTOR
        ).first.inner_text()
        assert not self.errors, self.errors
        assert not self.dialogs, f"a script ran: {self.dialogs}"
        assert not self.foreign, f"requests to other hosts: {self.foreign}"


@pytest.fixture
def session(browser: Browser, server: AppServer) -> Iterator[Session]:
    """A new app session in a new page."""
    opened = Session(browser, server)
    yield opened
    opened.page.close()


def drawn(png: bytes) -> tuple[float, int]:
    """Of a screenshot: the share of pixels that are not the white background, and how many distinct
    colours (in steps of 8) each cover at least 0.05 % of it (1 would be a canvas of one flat colour)."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    ink = (pixels < 245).any(axis=1)
    _, counts = np.unique(pixels[ink] // 8, axis=0, return_counts=True)
    return ink.mean(), int((counts >= 0.0005 * len(pixels)).sum())


@pytest.mark.parametrize("layer", ["Events", "Density", "Areas"])
def test_each_layer_draws_on_the_canvas(session: Session, layer: str):
    session.open(f"map_layer={layer}")
    share, colours = drawn(session.page.locator(DECK).first.screenshot())
    assert share > 0.02, f"{layer}: the map is blank ({share:.1%} of pixels drawn)"
    assert colours >= 4, f"{layer}: the map has {colours} colour(s): flat, not drawn"
    session.check()


def test_clicking_an_area_shows_its_details_and_keeps_it_in_the_url(session: Session):
    session.open("map_layer=Areas")
    x, y = session.centre()
    session.page.mouse.click(x, y)
    session.page.wait_for_function("() => location.search.includes('map_area=')", timeout=60_000)
    wait_for_idle(session.page, 60_000)
    assert session.query()["map_area"] == ["Riverside"]
    main = session.page.locator("[data-testid=stMain]")
    main.get_by_text("Recent events").wait_for(timeout=60_000)
    assert main.locator("strong", has_text="Riverside").count() >= 1
    assert main.get_by_text("Open concerns: 3").count() == 1
    session.check()
    # the URL opens the same view in a new session
    session.open("map_layer=Areas&map_area=Riverside")
    assert session.page.locator("[data-testid=stMain]").get_by_text("Open concerns: 3").count() == 1


def test_an_html_title_shows_as_text_in_the_tooltip_and_a_click_opens_the_event(session: Session):
    session.open("map_layer=Events")
    x, y = session.centre()
    session.page.mouse.move(x - 40, y - 40)
    session.page.mouse.move(x, y, steps=4)
    tooltip = session.page.locator(".deck-tooltip")
    tooltip.wait_for(state="visible", timeout=30_000)
    text = tooltip.inner_text()
    assert EVIL in text and "Town hall" in text and "400 attendees" in text
    assert tooltip.locator("img").count() == 0
    session.page.mouse.click(x, y)
    session.page.wait_for_function("() => location.search.includes('map_event=EVIL')", timeout=60_000)
    wait_for_idle(session.page, 60_000)
    card = session.page.locator("[data-testid=stMain]").get_by_text("Title:", exact=False).first
    card.wait_for(timeout=60_000)
    assert EVIL in card.inner_text()
    assert session.page.locator("[data-testid=stMain] img[src=x]").count() == 0
    assert session.query()["map_area"] == ["Riverside"]
    session.check()


VIEW_STATE = """() => {
  const canvas = document.querySelector('[data-testid=stDeckGlJsonChart] canvas');
  for (let el = canvas; el; el = el.parentElement) {
    const key = Object.keys(el).find((k) => k.startsWith('__reactFiber$'));
    for (let fiber = key ? el[key] : null; fiber; fiber = fiber.return) {
      const v = fiber.memoizedProps && fiber.memoizedProps.viewState;
      if (v && typeof v.zoom === 'number') return {latitude: v.latitude, longitude: v.longitude, zoom: v.zoom};
    }
  }
  return null;
}"""


def on_canvas(view: dict, lat: float, lon: float) -> tuple[float, float]:
    """Pixels from the canvas's centre of a point in deck.gl's view (Web Mercator, 512 px tiles)."""
    scale = 512 * 2 ** view["zoom"]

    def merc(value: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(value) / 2))

    return (lon - view["longitude"]) / 360 * scale, (merc(view["latitude"]) - merc(lat)) / (
        2 * math.pi
    ) * scale


@pytest.mark.parametrize("layer", ["Events", "Areas"])
def test_on_a_phone_the_first_view_holds_every_area_and_its_name(
    browser: Browser, server: AppServer, layer: str
):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=PHONE_AGENT)
    page = context.new_page()
    try:
        open_page(page, server.url, "map", f"map_layer={layer}", timeout=120_000)
        page.wait_for_timeout(1_000)
        box = page.locator(DECK).first.locator("canvas").first.bounding_box()
        view = page.evaluate(VIEW_STATE)
        assert box and view, "no map drawn"
        assert box["width"] <= 390 - 2 * 16 + 1
        half_w, half_h = box["width"] / 2, box["height"] / 2
        for area_id, (_, west) in AREA_SQUARES.items():  # the three squares side by side: width is what binds
            centre = on_canvas(view, (LAT_SOUTH + LAT_NORTH) / 2, west + SIDE / 2)
            corners = [
                on_canvas(view, lat, lon) for lat in (LAT_SOUTH, LAT_NORTH) for lon in (west, west + SIDE)
            ]
            for x, y in [centre, *corners]:
                assert abs(x) <= half_w and abs(y) <= half_h, (
                    f"{area_id} at ({x:.0f}, {y:.0f}) is off the map"
                )
        assert not page.locator(EXCEPTION_SELECTOR).count()
        legend = page.locator("[data-testid=stMain] img[alt^='Legend.']")
        assert legend.count() == 1 and legend.first.is_visible()
    finally:
        context.close()


def test_on_a_desktop_the_first_view_fills_the_map(browser: Browser, server: AppServer):
    """A desktop's first view is not the phone's: the three areas span most of the map's width."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        open_page(page, server.url, "map", "map_layer=Areas", timeout=120_000)
        page.wait_for_timeout(1_000)
        box = page.locator(DECK).first.locator("canvas").first.bounding_box()
        view = page.evaluate(VIEW_STATE)
        assert box and view, "no map drawn"
        wests = [west for _, west in AREA_SQUARES.values()]
        left = on_canvas(view, (LAT_SOUTH + LAT_NORTH) / 2, min(wests))[0]
        right = on_canvas(view, (LAT_SOUTH + LAT_NORTH) / 2, max(wests) + SIDE)[0]
        assert -box["width"] / 2 <= left and right <= box["width"] / 2  # the whole city in view
        assert right - left >= 0.6 * box["width"], (
            f"the city spans {right - left:.0f} of {box['width']:.0f} px"
        )
    finally:
        page.close()
