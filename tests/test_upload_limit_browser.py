"""One upload limit, from one setting (`maxUploadSize` in .streamlit/config.toml), in headless Chromium: the
box says it before a file is chosen, a file above it gets the box's clear message and never reaches the
server (so no bare HTTP 413), and the server enforces the same number."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cpdash.config import STREAMLIT_CONFIG, UPLOAD_LIMIT_MB  # noqa: E402
from cpdash.importing import importer  # noqa: E402
from scripts.serve import CHROMIUM, AppServer, launch_chromium, open_page, wait_for_idle  # noqa: E402

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True)

UPLOAD_INPUT = "[data-testid=stFileUploaderDropzoneInput]"
MB = 1024 * 1024
PUT_FILE = """async ([url, token, megabytes]) => {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(megabytes * 1024 * 1024)]), "probe.csv");
    const target = url.replace(/[^/]+$/, "probe-" + megabytes);
    const answer = await fetch(target, {method: "PUT", headers: {"X-Xsrftoken": token}, body: form});
    return answer.status;
}"""


def test_the_limit_is_one_setting() -> None:
    with STREAMLIT_CONFIG.open("rb") as handle:
        server_limit = tomllib.load(handle)["server"]["maxUploadSize"]
    assert UPLOAD_LIMIT_MB == server_limit == importer.MAX_UPLOAD_BYTES // MB


def test_a_file_above_the_limit_gets_a_clear_message_and_never_a_bare_413(tmp_path: Path) -> None:
    folder = tmp_path / "ours"
    folder.mkdir()
    shutil.copy(ROOT / "sample_data" / "areas.geojson", folder)
    (folder / "events.csv").write_text("event_id,start,program,area_id\nOWN1,2025-01-05,Town hall,A01\n")
    small = tmp_path / "small.csv"
    small.write_text("event_id,start,program,area_id\nS1,2025-01-05,Town hall,A01\n")
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:  # one megabyte over the limit
        handle.write(b"event_id,start,program,area_id,title\n")
        handle.truncate((UPLOAD_LIMIT_MB + 1) * MB)
    uploads: list[tuple[str, str, dict]] = []
    with AppServer(folder) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "request",
                lambda r: uploads.append((r.method, r.url, r.headers)) if "upload_file" in r.url else None,
            )
            open_page(page, server.url, "data")
            page.get_by_role("tab", name="Import a file").click()
            wait_for_idle(page)
            box = page.locator("[data-testid=stFileUploader]")
            assert f"{UPLOAD_LIMIT_MB}MB per file" in box.inner_text()  # said before a file is chosen

            page.locator(UPLOAD_INPUT).set_input_files(str(big))
            box.get_by_text(f"File must be {UPLOAD_LIMIT_MB:.1f}MB or smaller.").wait_for(timeout=30_000)
            wait_for_idle(page)
            assert not [u for u in uploads if u[0] == "PUT"]  # refused in the browser: no 413 to show

            page.locator(UPLOAD_INPUT).set_input_files(str(small))  # a file within it is uploaded
            page.get_by_text("Rows read").wait_for(timeout=120_000)
            _, url, headers = next(u for u in uploads if u[0] == "PUT")
            token = headers["x-xsrftoken"]
            below = page.evaluate(PUT_FILE, [url, token, UPLOAD_LIMIT_MB - 1])
            above = page.evaluate(PUT_FILE, [url, token, UPLOAD_LIMIT_MB + 1])
            assert (below, above) == (204, 413)  # the server holds the same limit
        finally:
            browser.close()
