"""axe-core on every page, every tab and every presenter slide, in the staff and the public view, at desktop
and phone sizes: any serious or critical violation fails (colour contrast, images without alt text, names
of controls and charts, heading order, ...). One server per mode; each state of the app is looked at in
both sizes (the window is resized, the app is not run again)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import SIZES, axe, chromium, click_and_wait, require_axe, require_browser, server
from playwright.sync_api import Browser, Page

from scripts.serve import PAGES, AppServer, open_page, wait_for_drawn, wait_for_idle

pytestmark = pytest.mark.browser
require_browser()

TAB = "[data-testid=stMain] [data-testid=stTabs] [role=tab]"
SLIDE_STAGE = ".st-key-town_hall_stage"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module", params=["staff", "public"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One server per mode."""
    yield from server(tmp_path_factory.mktemp(f"cache-{request.param}"), request.param)


def look(page: Page, script: str, where: str, found: dict[str, list[str]], within: str | None = None) -> None:
    """axe at every size on the page as it is now (the last size is the one the walk goes on at)."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        found[f"{where} ({size})"] = axe(page, script, within)


def walk(page: Page, url: str, script: str) -> dict[str, list[str]]:
    """Every page, then each of its tabs, then (town hall) each presenter slide: what axe finds where."""
    found: dict[str, list[str]] = {}
    for name in PAGES:
        page.set_viewport_size(SIZES["desktop"])
        open_page(page, url, name)
        look(page, script, f"/{name}", found)
        tabs = page.locator(TAB)
        for i in range(1, tabs.count()):  # the first tab was checked with the page
            label = tabs.nth(i).inner_text().strip()
            click_and_wait(page, tabs.nth(i))
            wait_for_drawn(page)
            look(page, script, f"/{name} tab {label!r}", found, "[data-testid=stMain]")
    page.set_viewport_size(SIZES["desktop"])
    open_page(page, url, "town_hall")
    click_and_wait(page, page.get_by_role("button", name="Present"))
    slide = 1
    while True:
        page.locator(SLIDE_STAGE).wait_for(state="visible")
        wait_for_drawn(page)
        look(page, script, f"presenter slide {slide}", found, SLIDE_STAGE)
        page.set_viewport_size(SIZES["desktop"])
        following = page.get_by_role("button", name="Next")
        if following.is_disabled():
            break
        click_and_wait(page, following)
        slide += 1
    assert slide >= 3, f"expected the presenter's slides, saw {slide}"
    page.keyboard.press("Escape")
    wait_for_idle(page)
    return found


def test_no_serious_or_critical_violation(browser: Browser, app: AppServer) -> None:
    script = require_axe()
    context = browser.new_context(viewport=SIZES["desktop"])
    try:
        found = walk(context.new_page(), app.url, script)
    finally:
        context.close()
    mode = app.extra_env["CPDASH_MODE"]
    problems = [f"{where}: {v}" for where, violations in found.items() for v in violations]
    assert not problems, f"{mode} view:\n" + "\n".join(problems)
    assert len(found) >= 2 * (len(PAGES) + 5)  # pages, tabs and slides were all looked at, in both sizes
