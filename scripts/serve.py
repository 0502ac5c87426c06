"""Start the dashboard on a free localhost port and drive it with Debian's headless Chromium.

Shared by the browser tests, scripts/screenshot.py and benchmarks/bench.py. From cpdash it takes only the
Chromium flags the town-hall exports use, so the tests drive the browser the app drives.
Run alone to serve a data folder until Ctrl-C: `python scripts/serve.py --data DIR`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cpdash.export.chromium import CHROMIUM_ARGS, CHROMIUM_DEFAULT  # noqa: E402  (one set of browser flags)

CHROMIUM = Path(CHROMIUM_DEFAULT)  # the browser tests drive Debian's Chromium, whatever the app is told
# The page name in the URL -> the title its first heading shows.
PAGES: dict[str, str] = {
    "overview": "Overview",
    "map": "Map",
    "participation": "Participation",
    "community_voice": "Community voice",
    "you_said_we_did": "You said, we did",
    "town_hall": "Town hall",
    "data": "Data",
}
APP_SELECTOR = "[data-testid=stApp]"
IDLE_SELECTOR = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"
# Stale elements (left from the previous run) and skeletons (elements whose code is still loading).
PENDING_SELECTOR = "[data-stale=true], [data-testid=stSkeleton]"
EXCEPTION_SELECTOR = "[data-testid=stException]"
DEFAULT_PAGE = "overview"
# What a phone's browser says it is (an Android phone's Chrome): the server fits its maps to a narrow screen
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServer:
    """`streamlit run dashboard.py` as a child process on a free port; a context manager."""

    def __init__(
        self,
        data: Path | str | None = None,
        *,
        cache_dir: Path | str | None = None,
        offline: bool = True,
        env: dict[str, str] | None = None,
        port: int | None = None,
        start_timeout: float = 60.0,
        args: list[str] | None = None,
    ) -> None:
        """Configure the server; `data` None means the app's default (sample_data); `args` are more
        `streamlit run` options (such as `--secrets.files PATH`)."""
        self.data = Path(data).resolve() if data is not None else None
        self._own_cache = cache_dir is None
        self.cache_dir = (
            Path(cache_dir) if cache_dir is not None else Path(tempfile.mkdtemp(prefix="cpdash-cache-"))
        )
        self.offline = offline
        self.extra_env = dict(env or {})
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.args = list(args or [])
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="cpdash-server-", suffix=".log")[1])

    @property
    def url(self) -> str:
        """The app's base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None, "server not started"
        return self.process.pid

    def environment(self) -> dict[str, str]:
        """The child's environment: ours plus the CPDASH_* settings."""
        env = dict(os.environ)
        env.update(
            {
                "CPDASH_OFFLINE": "1" if self.offline else "0",
                "CPDASH_CACHE": str(self.cache_dir),
                "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.data is not None:
            env["CPDASH_DATA"] = str(self.data)
        env.update(self.extra_env)
        return env

    def start(self) -> AppServer:
        """Start the server and wait until its health endpoint answers; raise with its log if it fails."""
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
            *self.args,
        ]
        self._log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.environment(), stdout=self._log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.start_timeout
        delay = 0.05
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"the server exited with code {self.process.returncode}:\n{log}")
            if self.healthy():
                return self
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        log = self.log()
        self.stop()
        raise RuntimeError(
            f"the server did not answer {self.url}/_stcore/health in {self.start_timeout:.0f} s:\n{log}"
        )

    def healthy(self) -> bool:
        """True when /_stcore/health answers 200."""
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def log(self, last: int = 4000) -> str:
        """The last characters the server printed."""
        if self._log_file is not None:
            self._log_file.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-last:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit within 10 s); remove its log and own cache."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self.log_path.unlink(missing_ok=True)
        if self._own_cache:
            shutil.rmtree(self.cache_dir, ignore_errors=True)

    def __enter__(self) -> AppServer:
        """Start on entering the block."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop on leaving the block."""
        self.stop()


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with no background network traffic (never a downloaded browser)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))


def wait_for_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the app is connected, its script has finished and every element is drawn and current."""
    page.wait_for_selector(APP_SELECTOR, state="attached", timeout=timeout)
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout)
    page.wait_for_function(
        f"() => document.querySelectorAll('{PENDING_SELECTOR}').length === 0", timeout=timeout
    )


def wait_for_drawn(page: Page, timeout: float = 60_000) -> None:
    """Wait until every plotly chart has its SVG and every deck.gl map its canvas, then for two frames."""
    for selector in ("[data-testid=stPlotlyChart]", "[data-testid=stDeckGlJsonChart]"):
        charts = page.locator(selector)
        inner = ".main-svg" if "Plotly" in selector else "canvas"
        for i in range(charts.count()):
            charts.nth(i).locator(inner).first.wait_for(state="attached", timeout=timeout)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def page_url(base_url: str, name: str, query: str = "") -> str:
    """The URL of one page; the default page (Overview) lives at the root, as Streamlit serves it."""
    path = "" if name == DEFAULT_PAGE else name
    return f"{base_url}/{path}" + (f"?{query}" if query else "")


def wait_for_page(page: Page, title: str, timeout: float = 60_000) -> None:
    """Wait for the page's h1 to read `title` (or for an exception box), then for the app to be idle."""
    heading = page.locator("[data-testid=stMain] h1", has_text=title)
    page.wait_for_selector(APP_SELECTOR, state="attached", timeout=timeout)
    heading.or_(page.locator(EXCEPTION_SELECTOR)).first.wait_for(state="visible", timeout=timeout)
    wait_for_idle(page, timeout)


def open_page(page: Page, base_url: str, name: str, query: str = "", timeout: float = 60_000) -> None:
    """Go to one page of the app and wait until it has rendered, charts and maps drawn."""
    page.goto(page_url(base_url, name, query), wait_until="domcontentloaded")
    wait_for_page(page, PAGES[name], timeout)
    wait_for_drawn(page, timeout)


def main() -> None:
    """Serve the app on a free port until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="data folder (default: sample_data)")
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    parser.add_argument("--online", action="store_true", help="allow the street basemap (CPDASH_OFFLINE=0)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that the server is stopped on SIGTERM too
    with AppServer(args.data, port=args.port, offline=not args.online) as server:
        print(f"serving {server.url} (pid {server.pid}); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.process.wait()


if __name__ == "__main__":
    main()
