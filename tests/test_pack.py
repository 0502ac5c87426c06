"""The town-hall pack as files: self-contained HTML (offline, every chart drawn), PDF (one page per
section), PNG charts and spreadsheet-safe CSV tables, named after the area and period."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from plotly.offline import get_plotlyjs

from cpdash.data.dataset import Dataset
from cpdash.export import pack
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.suppression import Policy
from cpdash.views import town_hall as th
from tests.test_town_hall import PERIOD, make_dataset

STEM = "cpdash-town-hall-northside-2026-01-01-2026-03-31"
FORMULA_STARTS = ("=", "+", "-", "@")
HOSTILE_NAME = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def _require(available: bool, what: str) -> None:
    """Skip when a tool is missing here; fail in CI, which must have it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI must run this test", pytrace=False)
    pytest.skip(f"{what} is missing")


def hostile_dataset() -> Dataset:
    """The small data set with formulas and markup where residents' text goes."""
    ds = make_dataset()
    concerns = ds.concerns.copy()
    concerns.loc[concerns["concern_id"] == "C1", "summary"] = '=HYPERLINK("http://evil.example","click me")'
    concerns.loc[concerns["concern_id"] == "C1", "action"] = "+SUM(1,2)"
    concerns.loc[concerns["concern_id"] == "C2", "summary"] = "@cmd /c calc"
    concerns.loc[concerns["concern_id"] == "C3", "summary"] = "-2+3 <script>alert(1)</script>"
    areas = ds.areas.copy()
    areas.loc[areas["area_id"] == "A", "name"] = HOSTILE_NAME
    return Dataset(events=ds.events, areas=areas, report=ds.report, responses=ds.responses, concerns=concerns)


def build(ds: Dataset, k: int = 10) -> th.TownHall:
    """The public-safe town hall of area A (Northside) over the period."""
    return th.build(MemorySource(ds), ds, "A", PERIOD, Policy(k, public=True))


@pytest.fixture(scope="module")
def town_hall() -> th.TownHall:
    return build(make_dataset())


@pytest.fixture(scope="module")
def files(town_hall: th.TownHall) -> dict[str, bytes]:
    """Everything in the ZIP (one Chromium run draws the PDF and the PNGs)."""
    _require(pack.browser_available(), f"Chromium at {pack.chromium_path()} (with Playwright)")
    with zipfile.ZipFile(io.BytesIO(pack.pack_zip(town_hall, notice="Test data"))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_html_carries_plotly_once_and_loads_nothing(town_hall: th.TownHall):
    page = pack.pack_html(town_hall)
    assert page.count(get_plotlyjs()) == 1
    assert page.count("Plotly.newPlot(") == pack.chart_count(town_hall) == 4
    assert "<script src" not in page.lower() and "<link" not in page.lower()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count('<section class="slide"') == 5


def test_html_escapes_text_from_the_data():
    page = pack.pack_html(build(hostile_dataset(), k=2))
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert(1)</script>" not in page


def test_file_names_carry_area_and_period(files: dict[str, bytes]):
    names = set(files)
    assert f"{STEM}.html" in names and f"{STEM}.pdf" in names
    assert {
        f"{STEM}-{chart}.png"
        for chart in ("events-by-program", "topics", "trust-and-safety", "open-by-topic")
    } <= names
    tables = ("events-by-program", "top-topics", "trust-and-safety", "resolved-concerns", "open-concerns")
    assert {f"{STEM}-{table}.csv" for table in tables} <= names


@pytest.mark.browser
def test_html_opens_offline_and_draws_every_chart(town_hall: th.TownHall, tmp_path: Path):
    _require(pack.browser_available(), f"Chromium at {pack.chromium_path()} (with Playwright)")
    from playwright.sync_api import sync_playwright

    path = tmp_path / "pack.html"
    path.write_text(pack.pack_html(town_hall, notice="Test data"), encoding="utf-8")
    attempted: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(pack.chromium_path()), args=list(pack.CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r) -> None:
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    attempted.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
            charts = page.locator(".js-plotly-plot")
            assert charts.count() == 4
            for i in range(4):
                chart = charts.nth(i)
                chart.scroll_into_view_if_needed()
                assert chart.is_visible()
                assert chart.locator(".barlayer .trace").count() >= 1, f"chart {i} has no bars"
                assert chart.bounding_box()["width"] >= 600
            assert page.locator("section.slide").count() == 5
            assert page.locator("h1").all_inner_texts() == [title for _, title in th.SECTIONS]
        finally:
            browser.close()
    assert attempted == [], f"requests left the file: {attempted}"
    assert errors == [], f"errors in the page: {errors}"


@pytest.mark.browser
def test_pdf_has_one_page_per_section(files: dict[str, bytes], tmp_path: Path):
    _require(shutil.which("pdftoppm") is not None, "pdftoppm (Debian package poppler-utils)")
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(files[f"{STEM}.pdf"])
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "48", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(th.SECTIONS) == 5
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"))
        assert pixels.shape[1] > pixels.shape[0]  # a 16:9 slide
        assert (pixels < 100).mean() > 0.005, f"{page.name} looks blank"


@pytest.mark.browser
def test_each_chart_is_a_png(files: dict[str, bytes]):
    pngs = {name: data for name, data in files.items() if name.endswith(".png")}
    assert len(pngs) == 4
    for name, data in pngs.items():
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        image = Image.open(io.BytesIO(data))
        assert image.size == (pack.CHART_WIDTH * pack.PNG_SCALE, pack.CHART_HEIGHT * pack.PNG_SCALE)
        assert len(np.unique(np.asarray(image.convert("L")))) > 2, f"{name} is blank"


def test_each_table_is_a_safe_csv():
    town_hall = build(hostile_dataset(), k=2)  # k=2: the area's concern texts are shown
    tables = pack.tables_csv(town_hall)
    assert len(tables) == 5
    seen = []
    for name, data in tables.items():
        assert name.endswith(".csv") and "2026-01-01-2026-03-31" in name
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), f"{name}: {cell!r} could run as a formula"
                seen.append(cell)
    assert '\'=HYPERLINK("http://evil.example","click me")' in seen
    assert "'+SUM(1,2)" in seen and "'@cmd /c calc" in seen


def test_public_safe_pack_hides_small_numbers(town_hall: th.TownHall):
    feel = pd.read_csv(io.BytesIO(pack.tables_csv(town_hall)[f"{STEM}-trust-and-safety.csv"]))
    safety_now = feel[(feel["Measure"] == "Safety") & (feel["Period"] == "This period")].iloc[0]
    assert pd.isna(safety_now["Score"]) and pd.isna(safety_now["Answers (n)"])  # n hidden with the score
    page = pack.pack_html(town_hall)
    assert "Not enough answers to show (fewer than 10)" in page
