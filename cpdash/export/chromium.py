"""Headless Chromium that draws the town-hall PDF and PNGs, kept open from one export to the next.

Starting Chromium costs seconds, drawing a chart a fraction of one, so a `Chromium` starts the browser on
its first drawing and keeps it: every PNG and the PDF of a pack are drawn in one browser, and the server
shares one `Chromium` between its visitors (cpdash.ui owns it). Playwright's synchronous API must be driven
from the thread that started it, so a `Chromium` drives its browser from one thread of its own and draws one
export at a time; each drawing gets a fresh, offline browser context (no cookie, storage or page of one
export is seen by the next) with every network request aborted. A visitor waits at most `wait_s` for
another visitor's export and `job_s` for their own; a browser that died is started again, and one that
no export used for `idle_s` is stopped.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

CHROMIUM_ENV = "CPDASH_CHROMIUM"  # where Chromium is, when not at the Debian path
CHROMIUM_DEFAULT = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
)
LAUNCH_TIMEOUT_MS = 30_000  # the longest Chromium may take to start
STEP_TIMEOUT_MS = 30_000  # the longest one step of a drawing (load the page, print, draw a PNG) may take
WAIT_S = 60.0  # the longest an export waits for another visitor's export to finish
# a browser no export used for this long is stopped (it holds some 450 MB); the next export starts one
IDLE_S = 600.0
JOB_S = 100.0  # the longest one export may take; with WAIT_S under the browser's 180 s wait for a download
LOCAL_SCHEMES = ("data:", "about:", "blob:")  # what a rendering page may load; everything else is aborted
# Plotly.toImage, given up on after a step's time so that a page that never answers cannot hold the browser.
TO_IMAGE = """([fig, w, h, s, ms]) => Promise.race([
  Plotly.toImage(fig, {format: 'png', width: w, height: h, scale: s}),
  new Promise((_, no) => setTimeout(() => no(new Error('the chart took longer than ' + ms + ' ms')), ms)),
])"""


# Replace the page's body (freeing the charts drawn before) and run the new body's scripts, which
# innerHTML alone leaves unrun; a script made here is inline, which the page's policy allows.
SHOW = """([body, title]) => {
  document.querySelectorAll('.js-plotly-plot').forEach((chart) => Plotly.purge(chart));
  document.title = title;
  document.body.innerHTML = body;
  for (const old of document.body.querySelectorAll('script')) {
    const script = document.createElement('script');
    script.textContent = old.textContent;
    old.replaceWith(script);
  }
}"""
PAGE_USES = 50  # drawings in one page before it is replaced by a fresh one (memory a page may gather)


class RenderError(RuntimeError):
    """The PDF or PNGs could not be drawn; the message says why, in words for the person who asked."""


@dataclass(frozen=True)
class Drawing:
    """What to draw: `body` shown under `head`, printed to PDF (`pdf`) and/or `pngs` drawn by plotly.js."""

    # the page's head (policy, styles, plotly.js): loaded once, kept for drawings with the same head
    head: str
    body: str  # what to show; its scripts run
    title: str  # the document's title (the PDF's title)
    width: int  # the page's viewport (and the PDF's page) in CSS pixels
    height: int
    charts: int = 0  # how many plotly charts the body draws before it is printed
    pdf: bool = False
    pngs: tuple[tuple[str, dict], ...] = ()  # (file name, plotly figure as a dict) to draw as PNG
    png_width: int = 0
    png_height: int = 0
    png_scale: int = 1


@dataclass(frozen=True)
class Drawn:
    """A drawing's PDF (None when not asked for) and PNGs by file name."""

    pdf: bytes | None
    pngs: dict[str, bytes] = field(default_factory=dict)


class Launched(NamedTuple):
    """A started browser and how to stop it (and whatever drives it)."""

    browser: Any
    stop: Callable[[], None]


Launcher = Callable[[], Launched]


class Renderer(Protocol):
    """Something that draws a `Drawing` (a `Chromium`)."""

    def render(self, drawing: Drawing) -> Drawn:
        """Draw `drawing`, or raise RenderError."""
        ...


def chromium_path() -> Path:
    """Where Chromium is: $CPDASH_CHROMIUM, else Debian's /usr/bin/chromium."""
    return Path(os.environ.get(CHROMIUM_ENV) or CHROMIUM_DEFAULT)


def browser_available() -> bool:
    """True when the PDF and PNGs can be drawn (Playwright installed, Chromium present)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return chromium_path().exists()


def launch_chromium() -> Launched:
    """Start Playwright and headless Chromium on this thread, offline-minded (no update, sync or QUIC)."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        browser = driver.chromium.launch(
            executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS), timeout=LAUNCH_TIMEOUT_MS
        )
    except BaseException:
        driver.stop()
        raise

    def stop() -> None:
        """Close the browser, then Playwright (a browser that is already gone is fine)."""
        try:
            browser.close()
        finally:
            driver.stop()

    return Launched(browser, stop)


def block_network(page: Any, attempted: list[str] | None = None) -> None:
    """Abort every request of `page` that is not data:, about: or blob: (and note it in `attempted`)."""

    def handle(route: Any) -> None:
        """Let local URLs through; abort the rest."""
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
            return
        if attempted is not None:
            attempted.append(url)
        route.abort()

    page.route("**/*", handle)


def open_page(browser: Any, drawing: Drawing) -> Any:
    """A page with `drawing`'s head loaded (plotly.js ready) in a new offline context, every request aborted."""
    context = browser.new_context(
        viewport={"width": drawing.width, "height": drawing.height}, offline=True, java_script_enabled=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        block_network(page)
        page.set_content(
            f'<!DOCTYPE html><html lang="en"><head>{drawing.head}</head><body></body></html>',
            wait_until="load",
        )
        page.wait_for_function("() => typeof Plotly !== 'undefined'")
    except BaseException:
        context.close()
        raise
    return page


def draw(page: Any, drawing: Drawing) -> Drawn:
    """Show `drawing`'s body in `page` (opened for its head), then print it and draw its PNGs."""
    page.evaluate(SHOW, [drawing.body, drawing.title])
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=drawing.charts
    )
    document = None
    if drawing.pdf:
        document = page.pdf(
            width=f"{drawing.width}px",
            height=f"{drawing.height}px",
            print_background=True,
            prefer_css_page_size=True,
            margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
        )
    size = [drawing.png_width, drawing.png_height, drawing.png_scale, STEP_TIMEOUT_MS]
    images = {
        name: base64.b64decode(page.evaluate(TO_IMAGE, [spec, *size]).split(",", 1)[1])
        for name, spec in drawing.pngs
    }
    page.evaluate(SHOW, ["", ""])  # nothing of this drawing stays in the page
    return Drawn(document, images)


def _reason(err: BaseException) -> str:
    """The first line of an error, for a message."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _timed_out(err: BaseException) -> bool:
    """True for a Playwright timeout (a slow page, not a dead browser)."""
    return type(err).__name__ == "TimeoutError"


class _Driver:
    """A thread of its own, the browser it started and the page kept loaded in it; every call to the
    browser runs on that thread."""

    def __init__(self, launcher: Launcher, count: Callable[[], None]):
        self._launcher = launcher
        self._count = count
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpdash-chromium")
        self._launched: Launched | None = None
        self._page: Any = None
        self._page_key: tuple[str, int, int] | None = None
        self._uses = 0
        self._abandoned = False

    def submit(self, drawing: Drawing) -> Future[Drawn]:
        """Draw on the driver's thread; a Future of the Drawn."""
        return self._pool.submit(self._run, drawing)

    def abandon(self) -> None:
        """Give up on this driver: its browser is stopped once the drawing it is stuck in ends."""
        self._abandoned = True
        self._pool.submit(self._stop)
        self._pool.shutdown(wait=False)

    def close(self, timeout: float) -> None:
        """Stop the browser and the thread (waiting at most `timeout` seconds)."""
        try:
            self._pool.submit(self._stop).result(timeout=timeout)
        except FutureTimeout:
            self._abandoned = True
        self._pool.shutdown(wait=False)

    def _drop_page(self) -> None:
        """Close the kept page and its context (on the driver's thread)."""
        page, self._page, self._page_key = self._page, None, None
        if page is not None:
            with contextlib.suppress(Exception):  # a page of a dead browser is gone already
                page.context.close()

    def _stop(self) -> None:
        """Stop the browser, if one runs (on the driver's thread)."""
        self._drop_page()
        launched, self._launched = self._launched, None
        if launched is not None:
            with contextlib.suppress(Exception):  # a browser that already died cannot be stopped twice
                launched.stop()

    def _start(self) -> Any:
        """Start a browser in place of the last one (on the driver's thread)."""
        self._stop()
        try:
            self._launched = self._launcher()
        except Exception as err:
            raise RenderError(f"Chromium ({chromium_path()}) could not be started: {_reason(err)}") from err
        self._count()
        return self._launched.browser

    def _draw(self, browser: Any, drawing: Drawing) -> Drawn:
        """Draw in the kept page, opening one first if there is none for this head and size."""
        key = (drawing.head, drawing.width, drawing.height)
        if self._page is None or self._page_key != key or self._uses >= PAGE_USES or self._page.is_closed():
            self._drop_page()
            self._page, self._page_key, self._uses = open_page(browser, drawing), key, 0
        self._uses += 1
        try:
            return draw(self._page, drawing)
        except BaseException:
            self._drop_page()  # a page that failed once is not trusted with the next drawing
            raise

    def _run(self, drawing: Drawing) -> Drawn:
        """Draw in the running browser, or in a new one if there is none or it died (on the driver's thread)."""
        if self._abandoned:
            raise RenderError("The export was given up on; try again.")
        alive = self._launched is not None and self._launched.browser.is_connected()
        browser = self._launched.browser if alive else self._start()
        try:
            return self._draw(browser, drawing)
        except Exception as err:
            if _timed_out(err) or not alive:
                raise RenderError(f"Chromium could not draw the export: {_reason(err)}") from err
        try:  # the browser kept from an earlier export died: once more in a new one
            return self._draw(self._start(), drawing)
        except RenderError:
            raise
        except Exception as err:
            raise RenderError(f"Chromium could not draw the export: {_reason(err)}") from err


class Chromium:
    """One headless Chromium, started on first use and kept for every drawing after it; safe to share."""

    def __init__(
        self,
        launcher: Launcher = launch_chromium,
        wait_s: float = WAIT_S,
        job_s: float = JOB_S,
        idle_s: float | None = IDLE_S,
    ):
        self._launcher = launcher
        self._wait_s = wait_s
        self._job_s = job_s
        self._idle_s = idle_s  # None: kept until closed
        self._lock = threading.Lock()  # one drawing at a time
        self._driver: _Driver | None = None
        self._idle: threading.Timer | None = None
        self._last = 0.0  # time.monotonic() of the last drawing
        self.launches = 0  # how many times a browser was started
        self.problem: str | None = None  # why the last drawing failed; None once one succeeds

    def _counted(self) -> None:
        """Note one more browser start."""
        self.launches += 1

    def render(self, drawing: Drawing) -> Drawn:
        """Draw `drawing`, starting the browser if it is not running; RenderError when it cannot."""
        if not self._lock.acquire(timeout=self._wait_s):
            raise RenderError(
                f"Another export was still being drawn after {self._wait_s:.0f} s; try again in a minute."
            )
        try:
            if self._driver is None:
                self._driver = _Driver(self._launcher, self._counted)
            future = self._driver.submit(drawing)
            try:
                drawn = future.result(timeout=self._job_s)
            except FutureTimeout:
                self._driver.abandon()
                self._driver = None
                self.problem = f"Chromium took longer than {self._job_s:.0f} s to draw the export; try again."
                raise RenderError(self.problem) from None
            except RenderError as err:
                self.problem = str(err)
                raise
            self.problem = None
            return drawn
        finally:
            self._last = time.monotonic()
            self._stop_when_idle()
            self._lock.release()

    def _stop_when_idle(self) -> None:
        """Arrange for the browser to stop once no drawing came for `idle_s` (under the lock)."""
        if self._idle is not None:
            self._idle.cancel()
        if self._idle_s is None or self._driver is None:
            return
        self._idle = threading.Timer(self._idle_s, self._stop_if_idle)
        self._idle.daemon = True
        self._idle.start()

    def _stop_if_idle(self) -> None:
        """Stop the browser if no drawing came for `idle_s` (a drawing under way arranges the next check)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._driver is not None and time.monotonic() - self._last >= self._idle_s * 0.99:
                self._driver.close(self._wait_s)
                self._driver = None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop the browser (the next drawing starts a new one)."""
        if not self._lock.acquire(timeout=self._wait_s):
            return
        try:
            if self._idle is not None:
                self._idle.cancel()
            if self._driver is not None:
                self._driver.close(self._wait_s)
                self._driver = None
        finally:
            self._lock.release()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
