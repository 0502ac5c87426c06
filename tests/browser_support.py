"""What the accessibility and keyboard tests share: Debian's Chromium, a server per mode, axe-core injected
into a page, and the sizes a page is looked at (desktop and phone)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from scripts.serve import CHROMIUM, AppServer, launch_chromium, wait_for_idle

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "js" / "axe.min.js"  # axe-core 4.14.1, vendored (tests/js/README.md)
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
FAILING = ("serious", "critical")  # axe-core's impacts that fail a test

MISSING = (
    f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does); "
    "the tests never download a browser"
)


def require_browser() -> None:
    """Skip the module without Chromium, except under CI (CI set), where the tests then fail."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(MISSING, allow_module_level=True)


def require_axe() -> str:
    """axe-core's script, vendored in tests/js."""
    return AXE.read_text(encoding="utf-8")


def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium for a module (a fixture body)."""
    if not CHROMIUM.exists():
        pytest.fail(f"CI is set and {MISSING}", pytrace=False)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def server(tmp: Path, mode: str = "staff", data: Path | None = None) -> Iterator[AppServer]:
    """The app on the sample data (or `data`) in one mode (a fixture body)."""
    with AppServer(data, cache_dir=tmp, env={"CPDASH_MODE": mode}) as running:
        yield running


def axe(page: Page, script: str, within: str | None = None) -> list[str]:
    """The serious and critical violations axe-core finds on the page (or within one selector), one line
    each: rule, impact, what it says and the first elements."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script)
    found = page.evaluate(
        """async (within) => {
          const context = within ? { include: [within] } : document;
          const result = await axe.run(context, { resultTypes: ['violations'] });
          return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '')) }));
        }""",
        within,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']}\n    "
        + "\n    ".join(" ".join(n.split())[:600] for n in v["nodes"])
        for v in found
        if v["impact"] in FAILING
    ]


def click_and_wait(page: Page, locator) -> None:
    """Click and wait until the app has rerun and drawn."""
    locator.click()
    page.wait_for_timeout(150)
    wait_for_idle(page)
