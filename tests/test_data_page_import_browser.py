"""The Data page's import in headless Chromium: a real file upload (set_input_files), the report, the
commit, and the new events on the Map page."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.serve import CHROMIUM, AppServer, launch_chromium, open_page, wait_for_idle  # noqa: E402

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True)

FIXTURES = Path(__file__).parent / "fixtures"
UPLOAD_INPUT = "[data-testid=stFileUploaderDropzoneInput]"


def test_upload_report_and_commit_in_the_browser(tmp_path: Path) -> None:
    folder = tmp_path / "ours"
    folder.mkdir()
    shutil.copy(ROOT / "sample_data" / "areas.geojson", folder)
    (folder / "events.csv").write_text("event_id,start,program,area_id\nOWN1,2025-01-05,Town hall,A01\n")
    with AppServer(folder) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            open_page(page, server.url, "data")
            page.get_by_role("tab", name="Import a file").click()
            wait_for_idle(page)
            page.locator(UPLOAD_INPUT).set_input_files(str(FIXTURES / "calendar_export.csv"))
            page.get_by_text("Rows read").wait_for(timeout=120_000)
            wait_for_idle(page)
            metrics = page.locator("[data-testid=stMetric]").all_inner_texts()
            assert any("Accepted" in m and "72" in m for m in metrics), metrics
            page.get_by_role("button", name="Import 72 rows into events").click()
            page.get_by_text("Imported 72 rows from calendar_export.csv into events.csv").wait_for(
                timeout=120_000
            )
            wait_for_idle(page)
            assert (folder / ".cpdash" / "imports.jsonl").is_file()
            open_page(page, server.url, "map")
            caption = page.get_by_text("73 of 73 events placed approximately")
            caption.wait_for(timeout=60_000)
        finally:
            browser.close()
