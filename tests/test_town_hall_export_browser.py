"""The Town hall's downloads on the real server: chart PNGs and the ZIP come out whole, and every one of them
is drawn by the one Chromium the server keeps (a single browser process under the server after them all)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page

from scripts.serve import AppServer, open_page
from tests.browser_support import chromium, require_browser, server

require_browser()
pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    yield from server(tmp_path_factory.mktemp("cache"))


def _download(page: Page, name: str) -> bytes:
    """Click the download button called `name` and read what it gives."""
    with page.expect_download(timeout=170_000) as download:
        page.get_by_role("button", name=name).first.click()
    return Path(download.value.path()).read_bytes()


def _browsers_under(pid: int) -> list[psutil.Process]:
    """The Chromium browser processes (not their renderers or helpers) that `pid` started."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            line = child.cmdline()
        except psutil.Error:
            continue
        if line and "chrom" in Path(line[0]).name and not any(a.startswith("--type=") for a in line):
            found.append(child)
    return found


def test_pngs_and_the_zip_are_drawn_in_the_one_chromium_the_server_keeps(browser: Browser, app: AppServer):
    assert _browsers_under(app.pid) == []  # none started before the first export
    page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        open_page(page, app.url, "town_hall")
        first = _download(page, "Chart: events by program (PNG)")
        again = _download(page, "Chart: events by program (PNG)")
        assert first.startswith(PNG) and again == first
        page.get_by_text("Take the pack with you").click()
        with zipfile.ZipFile(io.BytesIO(_download(page, "Everything (ZIP)"))) as archive:
            names = archive.namelist()
            pdf = next(name for name in names if name.endswith(".pdf"))
            assert archive.read(pdf).startswith(b"%PDF")
            assert sum(name.endswith(".png") for name in names) == 4
        assert len(_browsers_under(app.pid)) == 1
    finally:
        page.close()
