"""One Chromium for the town-hall pack: started once for a pack of N charts and kept for the exports after
it, started again when it died, never holding a visitor longer than its time limits, and saying in words
why a PDF or PNG could not be drawn."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from cpdash.export import chromium, pack
from cpdash.views import town_hall as th
from tests.test_pack import STEM, _require, build, make_dataset

PNG = b"\x89PNG\r\n\x1a\n"


class Counting:
    """A launcher that starts the real Chromium and notes each start and the browser's process id."""

    def __init__(self) -> None:
        self.pids: list[int] = []

    def __call__(self) -> chromium.Launched:
        launched = chromium.launch_chromium()
        processes = launched.browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo")
        self.pids += [p["id"] for p in processes["processInfo"] if p["type"] == "browser"]
        return launched


@pytest.fixture(scope="module")
def town_hall() -> th.TownHall:
    return build(make_dataset())


@pytest.fixture
def counted():
    _require(pack.browser_available(), f"Chromium at {pack.chromium_path()} (with Playwright)")
    launcher = Counting()
    renderer = chromium.Chromium(launcher=launcher)
    yield launcher, renderer
    renderer.close()


def _pages(pdf: bytes) -> int:
    """How many pages a PDF has."""
    return pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page/") + pdf.count(b"/Type /Page>")


def _is_chart_png(data: bytes) -> bool:
    """A PNG at the size of a slide's chart, with something drawn in it."""
    image = Image.open(io.BytesIO(data))
    size = (pack.CHART_WIDTH * pack.PNG_SCALE, pack.CHART_HEIGHT * pack.PNG_SCALE)
    return data.startswith(PNG) and image.size == size and len(np.unique(np.asarray(image.convert("L")))) > 2


@pytest.mark.browser
def test_a_pack_of_n_charts_starts_the_browser_once_and_later_exports_reuse_it(counted, town_hall):
    launcher, renderer = counted
    charts = pack.chart_count(town_hall)
    assert charts == 4
    with zipfile.ZipFile(io.BytesIO(pack.pack_zip(town_hall, "Test data", renderer))) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    pngs = [data for name, data in files.items() if name.endswith(".png")]
    assert len(pngs) == charts and all(_is_chart_png(data) for data in pngs)
    assert files[f"{STEM}.pdf"].startswith(b"%PDF")
    assert len(launcher.pids) == 1 and renderer.launches == 1

    pdf = pack.pack_pdf(town_hall, "Test data", renderer)
    png = pack.chart_png(town_hall.sections[0].charts[0][1], renderer)
    again = pack.pack_pdf(town_hall, None, renderer)
    assert len(launcher.pids) == 1  # three more exports, no new browser
    assert _is_chart_png(png)
    # the kept page shows one export at a time: every PDF has one page per section, nothing left over
    assert _pages(pdf) == _pages(again) == _pages(files[f"{STEM}.pdf"]) == len(th.SECTIONS)


@pytest.mark.browser
def test_a_browser_that_died_is_started_again(counted, town_hall):
    launcher, renderer = counted
    fig = town_hall.sections[0].charts[0][1]
    assert _is_chart_png(pack.chart_png(fig, renderer))
    os.kill(launcher.pids[0], signal.SIGKILL)
    for _ in range(100):  # until the process is gone
        try:
            os.kill(launcher.pids[0], 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    assert _is_chart_png(pack.chart_png(fig, renderer))
    assert len(launcher.pids) == 2 and renderer.problem is None


def test_a_browser_that_cannot_start_is_explained_and_the_zip_still_has_the_rest(town_hall):
    def broken() -> chromium.Launched:
        raise FileNotFoundError("no such file: /nowhere/chromium")

    renderer = chromium.Chromium(launcher=broken)
    with pytest.raises(chromium.RenderError, match=r"could not be started: no such file"):
        pack.pack_pdf(town_hall, None, renderer)
    assert renderer.problem and "could not be started" in renderer.problem
    with zipfile.ZipFile(io.BytesIO(pack.pack_zip(town_hall, None, renderer))) as archive:
        names = set(archive.namelist())
        note = archive.read(f"{STEM}-{pack.MISSING}.txt").decode()
    assert "could not be started: no such file" in note and "Traceback" not in note
    assert f"{STEM}.html" in names and f"{STEM}-open-concerns.csv" in names
    assert not any(name.endswith((".pdf", ".png")) for name in names)


class Page:
    """A fake page that draws nothing and says yes to everything."""

    def __init__(self, context: object) -> None:
        self.context = context

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None

    def is_closed(self) -> bool:
        return False


class Context:
    def new_page(self) -> Page:
        return Page(self)

    def close(self) -> None:
        pass


class Stuck:
    """A fake browser whose drawings wait until `release` is set, then draw nothing; notes starts and stops."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.launches = 0
        self.stops = 0
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stops += 1
        self.stopped.set()

    def __call__(self) -> chromium.Launched:
        self.launches += 1
        release = self.release

        class Browser:
            def is_connected(self) -> bool:
                return True

            def new_context(self, **_: object) -> Context:
                release.wait(30)
                return Context()

        return chromium.Launched(Browser(), self.stop)


def _drawing() -> chromium.Drawing:
    return chromium.Drawing("", "", "", 100, 100)


def test_an_export_waits_for_another_only_so_long():
    stuck = Stuck()
    renderer = chromium.Chromium(launcher=stuck, wait_s=0.2, job_s=30)
    first = threading.Thread(target=renderer.render, args=(_drawing(),))
    first.start()
    try:
        while stuck.launches == 0:  # the first export holds the browser
            time.sleep(0.01)
        with pytest.raises(chromium.RenderError, match="Another export was still being drawn"):
            renderer.render(_drawing())
    finally:
        stuck.release.set()
        first.join(30)
    assert not first.is_alive()


def test_an_export_that_hangs_is_given_up_on_and_the_next_gets_a_new_browser():
    stuck = Stuck()
    renderer = chromium.Chromium(launcher=stuck, wait_s=5, job_s=0.2)
    try:
        with pytest.raises(chromium.RenderError, match="took longer than"):
            renderer.render(_drawing())
        assert renderer.problem and "took longer than" in renderer.problem
        stuck.release.set()
        assert renderer.render(_drawing()) == chromium.Drawn(None, {})
        assert (
            stuck.launches == 2 and renderer.problem is None
        )  # the hung browser left behind, a new one started
    finally:
        stuck.release.set()
        renderer.close()


def test_a_browser_no_export_used_for_a_while_is_stopped_and_the_next_export_starts_one():
    stuck = Stuck()
    stuck.release.set()
    renderer = chromium.Chromium(launcher=stuck, idle_s=0.3)
    try:
        renderer.render(_drawing())
        assert stuck.stopped.wait(30), "the idle browser was never stopped"
        renderer.render(_drawing())
        assert stuck.launches == 2
    finally:
        renderer.close()


def test_a_browser_in_use_is_not_stopped_as_idle():
    stuck = Stuck()
    stuck.release.set()
    renderer = chromium.Chromium(launcher=stuck, idle_s=30)
    try:
        for _ in range(3):
            renderer.render(_drawing())
        assert stuck.launches == 1 and stuck.stops == 0
    finally:
        renderer.close()
    assert stuck.stopped.is_set()
