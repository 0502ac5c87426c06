"""Real-browser tests: every page in headless Chromium against a running server, on two data sets.

A page fails on an exception box, a console error, an uncaught page error or any request to a host other
than the app's own server (the app must work offline, with no outside request).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.serve import (  # noqa: E402
    CHROMIUM,
    DEFAULT_PAGE,
    EXCEPTION_SELECTOR,
    PAGES,
    AppServer,
    launch_chromium,
    open_page,
    page_url,
    wait_for_idle,
    wait_for_page,
)

pytestmark = pytest.mark.browser

MISSING_BROWSER = (
    f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does); "
    "the tests never download a browser"
)
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(MISSING_BROWSER, allow_module_level=True)

AREA_KEY = "filter_area"
MINIMAL_AREAS = ("north", "south", "east")
MINIMAL_PROGRAMS = ("Coffee with a Cop", "Beat / community meeting", "Block party", "Town hall")
TRACES = "[data-testid=stPlotlyChart] .scatterlayer .trace, [data-testid=stPlotlyChart] .barlayer .trace"
DECK_CANVAS = "[data-testid=stDeckGlJsonChart] canvas"
SIDEBAR_AREAS = "[data-testid=stSidebar] [data-testid=stMultiSelect]"
VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Served:
    """A running server and what the tests need to know about its data."""

    name: str  # which data set: sample or minimal
    server: AppServer
    areas: dict[str, str]  # area_id -> name as the sidebar shows it
    context: BrowserContext  # shared by the tests, so that the app's scripts are cached once

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url


@dataclass
class Watch:
    """What a page did wrong: console errors, uncaught errors, requests to other hosts."""

    base_url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        """Record a console error, except the known probe below."""
        if message.type != "error":
            return
        where = message.location.get("url", "") if message.location else ""
        # Streamlit's frontend, opened on a page's path (/map), first probes that path as the app's base
        # URL: GET /map/_stcore/health and /map/_stcore/host-config answer 404, then it retries at the
        # root and connects (streamlit/streamlit#7074, open). Only these two 404s are ignored.
        probe = re.fullmatch(re.escape(self.base_url) + r"/[a-z_]+/_stcore/(health|host-config)", where)
        if probe and message.text.startswith(
            "Failed to load resource: the server responded with a status of 404"
        ):
            return
        self.console.append(f"{message.text} ({where})" if where else message.text)

    def on_request(self, request: Request) -> None:
        """Record a request that leaves the app's own server."""
        url = request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            return
        own = parts.scheme in ("http", "ws") and parts.netloc in {
            urlsplit(self.base_url).netloc,
            "localhost:" + str(urlsplit(self.base_url).port),
        }
        if not own:
            self.foreign.append(url)

    def problems(self) -> list[str]:
        """Every problem seen, one line each."""
        return (
            [f"console error: {c}" for c in self.console]
            + [f"page error: {e}" for e in self.errors]
            + [f"request to another host: {u}" for u in self.foreign]
        )


def watched_page(context: BrowserContext, base_url: str) -> tuple[Page, Watch]:
    """A new page (a new app session), with every listener attached."""
    page = context.new_page()
    watch = Watch(base_url)
    page.on("console", watch.on_console)
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.on("request", watch.on_request)
    return page, watch


def assert_clean(page: Page, watch: Watch, what: str) -> None:
    """Fail with everything that went wrong: exception boxes first, then console, errors, requests."""
    boxes = page.locator(EXCEPTION_SELECTOR)
    problems = [f"exception box: {boxes.nth(i).inner_text()[:1500]}" for i in range(boxes.count())]
    problems += watch.problems()
    assert not problems, f"{what}:\n" + "\n".join(problems)


def assert_title(page: Page, title: str) -> None:
    """The page's first heading reads `title`."""
    heading = page.locator("[data-testid=stMain] h1").first
    assert heading.count() and title in heading.inner_text(), f"expected the heading {title!r}"


def selected_areas(page: Page) -> list[str]:
    """The names shown as selected in the sidebar's Areas filter."""
    tags = page.locator(SIDEBAR_AREAS).filter(has_text="Areas").locator("[data-tag]")
    return [(tags.nth(i).get_attribute("aria-label") or "").strip() for i in range(tags.count())]


def write_minimal(folder: Path) -> Path:
    """A data source with only events.csv: the four required columns, twelve rows, three areas."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "start", "program", "area_id"])
        for i in range(12):
            writer.writerow(
                [
                    f"ev-{i + 1:02d}",
                    f"2025-{i + 1:02d}-{10 + i:02d}",
                    MINIMAL_PROGRAMS[i % len(MINIMAL_PROGRAMS)],
                    MINIMAL_AREAS[i % len(MINIMAL_AREAS)],
                ]
            )
    return folder


def area_names_in(folder: Path) -> dict[str, str]:
    """area_id -> name from the source's GeoJSON; without one, the ids the events use (shown as is)."""
    for path in sorted(folder.glob("areas.*json")):
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
        return {str(f["properties"]["area_id"]): str(f["properties"]["name"]) for f in features}
    with (folder / "events.csv").open(encoding="utf-8") as handle:
        return {row["area_id"]: row["area_id"] for row in csv.DictReader(handle)}


def sample_source(tmp: Path) -> Path:
    """The committed sample data; generated with cpdash.sample while it is not there yet."""
    committed = ROOT / "sample_data"
    if any(committed.glob("events.*")):
        return committed
    try:
        from cpdash.sample import generate
    except ImportError as exc:
        pytest.skip(f"sample_data/ is empty and cpdash.sample cannot be imported ({exc})")
    generate("demo", 7, tmp, "csv")
    return tmp


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, shared by the module; under CI a missing browser fails every test."""
    if not CHROMIUM.exists():
        pytest.fail(f"CI is set and {MISSING_BROWSER}", pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def serve(name: str, folder: Path, cache: Path, browser: Browser) -> Iterator[Served]:
    """Start a server on `folder`, load its data once through the root page, stop it afterwards."""
    with AppServer(folder, cache_dir=cache) as server:
        context = browser.new_context(viewport=VIEWPORT)
        page, _ = watched_page(context, server.url)
        page.goto(server.url + "/", wait_until="domcontentloaded")
        wait_for_page(page, PAGES[DEFAULT_PAGE], timeout=120_000)
        page.close()
        yield Served(name, server, area_names_in(folder), context)
        context.close()


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Served]:
    """The server on the sample data."""
    folder = sample_source(tmp_path_factory.mktemp("sample"))
    yield from serve("sample", folder, tmp_path_factory.mktemp("sample-cache"), browser)


@pytest.fixture(scope="module")
def minimal_server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Served]:
    """The server on a source holding only a minimal events table."""
    folder = write_minimal(tmp_path_factory.mktemp("minimal"))
    yield from serve("minimal", folder, tmp_path_factory.mktemp("minimal-cache"), browser)


@pytest.fixture(scope="module", params=["sample", "minimal"])
def served(request: pytest.FixtureRequest) -> Served:
    """Each data set's server in turn."""
    return request.getfixturevalue(f"{request.param}_server")


def assert_overview_charts(page: Page) -> None:
    """Every plotly chart of the Overview draws at least one trace (bars or lines)."""
    page.locator(TRACES).first.wait_for(state="attached", timeout=30_000)
    charts = page.locator("[data-testid=stPlotlyChart]")
    assert charts.count() >= 2, "expected the attendance and trust charts on the Overview"
    for i in range(charts.count()):
        traces = charts.nth(i).locator(".scatterlayer .trace, .barlayer .trace")
        assert traces.count() > 0, f"Overview: plotly chart {i + 1} of {charts.count()} has no trace"


def assert_map_canvas(page: Page) -> None:
    """The Map page draws a deck.gl canvas of a real size."""
    canvas = page.locator(DECK_CANVAS).first
    canvas.wait_for(state="visible", timeout=30_000)
    # deck.gl starts with a default 300 x 150 canvas and sizes it to its container on its next frame
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "s => { const c = document.querySelector(s); return c && c.clientWidth > 200 && c.clientHeight > 200; }",
            arg=DECK_CANVAS,
            timeout=15_000,
        )
    box = canvas.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200, f"Map: the deck canvas is too small: {box}"


# What the sample data must show beyond a clean render (the minimal data set has no coordinates or charts).
SAMPLE_CHECKS = {"overview": assert_overview_charts, "map": assert_map_canvas}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_cleanly(served: Served, name: str) -> None:
    """The page renders its title with no exception, console error, page error or outside request."""
    page, watch = watched_page(served.context, served.url)
    try:
        open_page(page, served.url, name)
        assert_clean(page, watch, f"/{name}")
        assert_title(page, PAGES[name])
        if served.name == "sample" and name in SAMPLE_CHECKS:
            SAMPLE_CHECKS[name](page)
            assert_clean(page, watch, f"/{name} once drawn")
    finally:
        page.close()


def test_link_with_area_name_opens_that_area(sample_server: Served) -> None:
    """/participation?filter_area=<name> selects that area, and the sidebar navigation keeps it.

    Links name areas as residents know them (the URL binding of the sidebar uses the shown labels).
    """
    _, name = sorted(sample_server.areas.items())[0]
    page, watch = watched_page(sample_server.context, sample_server.url)
    try:
        open_page(page, sample_server.url, "participation", urlencode({AREA_KEY: name}))
        assert selected_areas(page) == [name], (
            f"?{AREA_KEY}={name} should select {name!r}; the sidebar shows {selected_areas(page)} "
            f"and the URL became {page.url}"
        )
        page.locator("[data-testid=stSidebarNav] a", has_text="Community voice").click()
        wait_for_page(page, PAGES["community_voice"])
        assert selected_areas(page) == [name], f"after navigating, the sidebar shows {selected_areas(page)}"
        assert parse_qs(urlsplit(page.url).query).get(AREA_KEY), f"the URL lost the area: {page.url}"
        assert_clean(page, watch, "link with an area name")
    finally:
        page.close()


def test_link_copied_from_a_filtered_view_opens_it(sample_server: Served) -> None:
    """Choosing an area in the sidebar puts it in the URL; that URL, opened anew, shows the same area."""
    name = sorted(sample_server.areas.values())[-1]
    page, watch = watched_page(sample_server.context, sample_server.url)
    try:
        open_page(page, sample_server.url, "participation")
        page.locator(SIDEBAR_AREAS).filter(has_text="Areas").locator("input").click()
        page.keyboard.insert_text(name)
        page.get_by_role("option", name=name, exact=True).click()
        page.keyboard.press("Escape")
        page.wait_for_url(re.compile(rf"[?&]{AREA_KEY}="), timeout=10_000)
        wait_for_idle(page)
        link = page.url
        assert_clean(page, watch, "choosing an area")
    finally:
        page.close()
    page, watch = watched_page(sample_server.context, sample_server.url)
    try:
        page.goto(link, wait_until="domcontentloaded")
        wait_for_page(page, PAGES["participation"])
        assert selected_areas(page) == [name], f"{link} shows {selected_areas(page)}"
        assert_clean(page, watch, f"opening {link}")
    finally:
        page.close()


def test_deep_link_is_the_first_request_of_a_fresh_server(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> None:
    """A shared link opened before anyone visited the root still runs the router (filters, navigation)."""
    folder = write_minimal(tmp_path_factory.mktemp("fresh"))
    with AppServer(folder, cache_dir=tmp_path_factory.mktemp("fresh-cache")) as server:
        context = browser.new_context(viewport=VIEWPORT)
        page, watch = watched_page(context, server.url)
        try:
            page.goto(
                page_url(server.url, "participation", f"{AREA_KEY}=north"), wait_until="domcontentloaded"
            )
            wait_for_page(page, PAGES["participation"], timeout=120_000)
            assert_clean(page, watch, "first request to /participation")
            assert_title(page, PAGES["participation"])
            assert selected_areas(page) == ["north"], f"the sidebar shows {selected_areas(page)}"
        finally:
            context.close()
