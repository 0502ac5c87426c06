"""The project's benchmark: load time, page render and rerun time, bytes sent, memory per session.

    .venv/bin/python benchmarks/bench.py --scale demo --json benchmarks/out/demo.json
    .venv/bin/python benchmarks/bench.py --scale city --json benchmarks/out/city.json --runs 5

What it measures (each in its own process where a fresh process matters; see benchmarks/README.md):

- cold load: load_dataset() with an empty score cache, in a fresh process, as the app loads: the tables at
  once, comment sentiment scored after them in a thread while the Overview's figures are made; timed to the
  first page (tables and the Overview's figures) and, separately, until sentiment is filled in, each with the
  machine's load average (the machine may be shared);
- warm load: the same in another fresh process, with the score cache the cold load filled; peak RSS of each;
- changed load: the same after the concerns file was touched (a new modification time): every other table
  is read from its validated snapshot;
- each page under streamlit.testing.v1.AppTest: a new session's render, and the rerun after a filter change
  (the sidebar period, then the sidebar areas), median of --runs; the data set is loaded once before;
- bytes per page: websocket frames the real server sends a new browser session opening the page
  (Playwright), plus the serialized size of the page's elements in the AppTest tree;
- memory per session: server RSS with 1, then 5 browser sessions on the Overview: (RSS5 - RSS1) / 4.

Targets (the README's Performance section) are printed beside each figure with pass or fail.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from serve import PAGES, AppServer, launch_chromium, open_page, wait_for_drawn, wait_for_page  # noqa: E402

SEED = 7
CITY_DIR = ROOT / "benchmarks" / "data" / "city"
DEMO_DIR = ROOT / "sample_data"
DEMO_FALLBACK = ROOT / "benchmarks" / "data" / "demo"
PAGE_FILES = {name: f"pages/{name}.py" for name in PAGES}
DEFAULT_PAGE = "overview"  # the page at / (dashboard.py)
COMPUTING = "Computing…"  # the sentiment card's value until sentiment is filled in (cpdash.views.figures)
PERIOD_KEY = "filter_period"
AREA_KEY = "filter_area"
APP_TIMEOUT = 600.0
MB = 1024 * 1024

# The performance targets (README, Performance).
TARGET_RERUN_S = 0.100
TARGET_MAP_BYTES = 1 * MB
TARGET_COLD_S = 15.0
TARGET_WARM_S = 3.0
TARGET_SESSION_MB = 50.0

BYTES_METHOD = (
    "websocket: bytes of every frame the server sends a new Chromium session until the page is idle "
    "(real server, Playwright page.on('websocket') framereceived); proto: sum of the serialized sizes of the "
    "elements in the AppTest tree (no framing, no session messages)"
)


def now() -> float:
    """A monotonic clock in seconds."""
    return time.perf_counter()


def speed_probe() -> float:
    """CPU seconds of a fixed piece of pure Python: how fast the machine runs at this moment (a host shared
    with other machines runs the same work up to half again as slowly from one minute to the next)."""
    began = time.process_time()
    sum(i * i for i in range(2_000_000))
    return time.process_time() - began


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


# --- data ----------------------------------------------------------------------------------------------


def manifest(folder: Path) -> dict[str, Any]:
    """The data folder's manifest.json, or {}."""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def prepare_data(scale: str, seed: int, data: Path | None) -> tuple[Path, dict[str, Any]]:
    """The data folder to measure, generated with cpdash.sample unless already there for this seed/scale."""
    if data is not None:
        return data.resolve(), {"source": "given", "folder": str(data)}
    candidates = [CITY_DIR] if scale == "city" else [DEMO_DIR, DEMO_FALLBACK]
    for folder in candidates:
        found = manifest(folder)
        if found.get("scale") == scale and found.get("seed") == seed:
            return folder, {"source": "reused", "folder": str(folder)}
    from cpdash.sample import generate

    folder = CITY_DIR if scale == "city" else DEMO_FALLBACK
    print(f"generating the {scale} data set (seed {seed}) into {folder} …", flush=True)
    began = now()
    generate(scale, seed, folder, "parquet" if scale == "city" else "csv")
    return folder, {"source": "generated", "folder": str(folder), "seconds": round(now() - began, 2)}


def area_ids(folder: Path) -> list[str]:
    """The area ids of a data folder (from its GeoJSON, else from its events)."""
    for path in sorted(folder.glob("areas.*json")):
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
        return sorted(str(f["properties"]["area_id"]) for f in features)
    import pandas as pd

    for path in sorted(folder.glob("events.*")):
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        return sorted(frame["area_id"].dropna().astype(str).unique())
    return []


# --- workers (run in a fresh process) ------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_time() -> float:
    """CPU seconds of this process and of the children it waited for (the sentiment scorers' pool)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def touch_concerns(data: Path) -> None:
    """Give the concerns file a new modification time (its content unchanged): a changed file to the loader."""
    for path in data.glob("concerns.*"):
        os.utime(path)


def worker_load(data: Path, cache: Path) -> dict[str, Any]:
    """Load the data set once with the given score cache as the app does (sentiment scored in a thread after
    the tables, while the Overview's figures are made): time to the first page and until sentiment is filled
    in, steps, load averages and peak RSS."""
    import threading

    from cpdash.config import DEFAULT_SCORE_LATER
    from cpdash.data.load import load_dataset
    from cpdash.data.scoring import finish
    from cpdash.metrics.memory import MemorySource
    from cpdash.metrics.periods import Filters
    from cpdash.metrics.suppression import Policy
    from cpdash.views.overview import overview

    began, cpu, load_before = now(), cpu_time(), os.getloadavg()[0]
    ds = load_dataset(data, cache_dir=cache, later=DEFAULT_SCORE_LATER)
    tables = now() - began
    scored: list[Any] = []
    scorer = threading.Thread(target=lambda: scored.append(finish(ds))) if ds.scoring is not None else None
    if scorer is not None:
        scorer.start()
    src = MemorySource(ds)
    extent = src.extent()
    if extent is not None:
        overview(
            src, Filters(max(extent[0], extent[1] - timedelta(days=90)), extent[1]), Policy(10), "previous"
        )
    first_page, load_first = now() - began, os.getloadavg()[0]
    if scorer is not None:
        scorer.join()
    ds = scored[0] if scored else ds
    seconds, cpu_seconds = now() - began, cpu_time() - cpu
    rows = {
        name: len(frame)
        for name in ("events", "responses", "concerns", "area_scores", "attendees", "areas")
        if (frame := getattr(ds, name)) is not None
    }
    return {
        "seconds": tables,
        "first_page_seconds": first_page,
        "sentiment_seconds": seconds if scorer is not None else None,
        "load_average": {"start": load_before, "first_page": load_first, "end": os.getloadavg()[0]},
        "cpu_seconds": cpu_seconds,
        "steps": ds.report.seconds,
        "peak_rss_mb": peak_rss_bytes() / MB,
        "rows": rows,
        "rows_rejected": ds.report.rows_rejected,
        "errors": ds.report.errors,
        "notes": ds.report.notes,
    }


def tree_bytes(node: Any) -> int:
    """Serialized size of every element and block in an AppTest tree."""
    size = 0
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ByteSize"):
        size += proto.ByteSize()
    for child in getattr(node, "children", {}).values():
        size += tree_bytes(child)
    return size


def exceptions(at: Any) -> list[str]:
    """The exception messages an AppTest run shows."""
    return [str(e.value)[:300] for e in at.exception]


class ScriptProfile:
    """cProfile of the script thread AppTest runs the app in, while active."""

    def __init__(self) -> None:
        """Prepare the profiler and remember the method it wraps."""
        from streamlit.testing.v1.local_script_runner import LocalScriptRunner

        self.cls = LocalScriptRunner
        self.original = LocalScriptRunner._run_script_thread
        self.profile = cProfile.Profile()

    def __enter__(self) -> ScriptProfile:
        """Profile every script run until the block ends."""
        original, profile = self.original, self.profile

        def profiled(runner: Any) -> None:
            profile.enable()
            try:
                original(runner)
            finally:
                profile.disable()

        self.cls._run_script_thread = profiled
        return self

    def __exit__(self, *exc: object) -> None:
        """Restore the script runner."""
        self.cls._run_script_thread = self.original

    def top(self, count: int) -> dict[str, list[str]]:
        """Top functions: the project's by cumulative time, and all by cumulative and by own time."""
        own_code = re.escape(str(ROOT)) + r"/(cpdash|pages|dashboard)"
        out: dict[str, list[str]] = {}
        for name, key, strip, restrict in (
            ("project", "cumulative", False, own_code),
            ("cumulative", "cumulative", True, None),
            ("tottime", "tottime", True, None),
        ):
            text = io.StringIO()
            stats = pstats.Stats(self.profile, stream=text)
            if strip:
                stats.strip_dirs()
            stats.sort_stats(key).print_stats(*([restrict] if restrict else []), count)
            lines = text.getvalue().replace(str(ROOT) + "/", "").splitlines()
            start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
            out[name] = [line for line in lines[start:] if line.strip()]
        return out


def server_like_apptest() -> None:
    """Make AppTest run the app as the server does, so that its timings are the app's own.

    Each AppTest run otherwise compiles every script anew (a new ScriptCache per run; the server keeps
    one for its lifetime) and forgets that st.navigation was called, so a `pages/` folder sends each run
    through Streamlit's old multipage mode first (the server does that only before its first run).
    """
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit.runtime.pages_manager import PagesManager

    shared = app_test.ScriptCache()
    app_test.ScriptCache = lambda: shared  # the pages' code
    local_runner.ScriptCache = lambda: shared  # the main script's code
    app_test.PagesManager = type("ServerPagesManager", (PagesManager,), {})  # its reset no longer reaches
    PagesManager.uses_pages_directory = False  # as after the server's first st.navigation call


def worker_apptest(
    data: Path, cache: Path, runs: int, pages: list[str], profile_top: int, raw: bool = False
) -> dict[str, Any]:
    """Render each page in new AppTest sessions and time filter-change reruns; optionally profile the slowest."""
    os.environ.update({"CPDASH_DATA": str(data), "CPDASH_OFFLINE": "1", "CPDASH_CACHE": str(cache)})
    from streamlit.testing.v1 import AppTest

    if not raw:
        server_like_apptest()

    script = str(ROOT / "dashboard.py")
    ids = area_ids(data)

    def session(page: str) -> Any:
        at = AppTest.from_file(script, default_timeout=APP_TIMEOUT)
        if page != DEFAULT_PAGE:
            at.switch_page(PAGE_FILES[page])
        # The Overview is the default page, opened at / as in a browser. Switched to by file before a first
        # run, AppTest would open /overview instead (the bookmark that forwards to /, its url_path being the
        # file's name), and every timed run would go through the forwarding run first.
        return at

    cpu: list[float] = []  # the process's CPU time of the last timed action (robust to a busy machine)

    def timed(action: Callable[[], Any]) -> float:
        began, began_cpu = now(), time.process_time()
        action()
        cpu[:] = [time.process_time() - began_cpu]
        return now() - began

    at = AppTest.from_file(script, default_timeout=APP_TIMEOUT)
    first_run = timed(at.run)
    result: dict[str, Any] = {
        "app_first_run_s": first_run,
        "app_first_run_errors": exceptions(at),
        "pages": {},
    }

    def change_period(at: Any, i: int) -> None:
        widget = at.date_input(key=PERIOD_KEY)
        start, end = widget.value
        widget.set_value((min(start + timedelta(days=7 * (i + 1)), end), end))

    def change_area(at: Any, i: int) -> None:
        at.multiselect(key=AREA_KEY).set_value([ids[i % len(ids)]])

    changes = {"period": change_period, "area": change_area}
    result["speed_probe_s"] = [speed_probe()]
    for page in pages:
        stats: dict[str, Any] = {"render_s": [], "rerun_period_s": [], "rerun_area_s": [], "errors": []}
        stats.update({"rerun_period_cpu_s": [], "rerun_area_cpu_s": []})
        for i in range(runs):
            at = session(page)
            stats["render_s"].append(timed(at.run))
            stats["errors"] += exceptions(at)
            if i == 0:
                stats["proto_bytes"] = tree_bytes(at._tree)
            for kind, change in changes.items():
                if not ids and kind == "area":
                    continue
                change(at, i)
                stats[f"rerun_{kind}_s"].append(timed(at.run))
                stats[f"rerun_{kind}_cpu_s"].append(cpu[0])
                stats["errors"] += exceptions(at)
        stats["first_ever_s"] = stats["render_s"][0]
        for key in ("render_s", "rerun_period_s", "rerun_area_s", "rerun_period_cpu_s", "rerun_area_cpu_s"):
            stats[key.replace("_s", "_median_s")] = median(stats[key])
        for key in ("rerun_period_cpu_s", "rerun_area_cpu_s"):
            stats[key.replace("_s", "_min_s")] = min(stats[key], default=None)
        stats["errors"] = sorted(set(stats["errors"]))
        result["pages"][page] = stats
        print(
            f"  {page:16} render {stats['render_median_s']:.3f} s, reruns "
            f"{stats['rerun_period_median_s'] or 0:.3f} / {stats['rerun_area_median_s'] or 0:.3f} s "
            f"(CPU {stats['rerun_period_cpu_median_s'] or 0:.3f} / {stats['rerun_area_cpu_median_s'] or 0:.3f} s)",
            file=sys.stderr,
            flush=True,
        )

    result["speed_probe_s"].append(speed_probe())
    if profile_top:
        slowest = max(
            ((p, k) for p in pages for k in changes if result["pages"][p].get(f"rerun_{k}_median_s")),
            key=lambda pk: result["pages"][pk[0]][f"rerun_{pk[1]}_median_s"],
            default=None,
        )
        if slowest:
            page, kind = slowest
            at = session(page)
            at.run()
            changes[kind](at, runs + 1)
            with ScriptProfile() as prof:
                seconds = timed(at.run)
            result["profile"] = {"page": page, "change": kind, "seconds": seconds, **prof.top(profile_top)}
    result["peak_rss_mb"] = peak_rss_bytes() / MB
    return result


def run_worker(kind: str, data: Path, cache: Path, **options: Any) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return what it wrote."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--data", str(data)]
    command += ["--cache", str(cache), "--worker-out", str(out)]
    for name, value in options.items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, bool):
            command += [flag] if value else []
        else:
            command += [flag, *map(str, value if isinstance(value, list) else [value])]
    try:
        subprocess.run(command, cwd=ROOT, check=True)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


# --- the real server -----------------------------------------------------------------------------------


def server_rss_mb(server: AppServer) -> float:
    """Resident memory of the server process and its children, in MB."""
    import psutil

    process = psutil.Process(server.pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        total += child.memory_info().rss
    return total / MB


def measure_bytes(data: Path, cache: Path, pages: list[str]) -> dict[str, dict[str, int]]:
    """Bytes the real server sends a new browser session for each page (websocket frames, /media files)."""
    from playwright.sync_api import sync_playwright

    result: dict[str, dict[str, int]] = {}
    with AppServer(data, cache_dir=cache, start_timeout=300) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(server.url + "/", wait_until="domcontentloaded")
        wait_for_page(page, PAGES["overview"], timeout=APP_TIMEOUT * 1000)
        page.close()
        for name in pages:
            counts = {"websocket_bytes": 0, "websocket_frames": 0, "media_bytes": 0}

            def on_frame(payload: bytes | str, counts: dict[str, int] = counts) -> None:
                counts["websocket_bytes"] += len(payload)
                counts["websocket_frames"] += 1

            def on_response(response: Any, counts: dict[str, int] = counts) -> None:
                if urlsplit(response.url).path.startswith("/media/"):  # st.image, downloads (not /static)
                    counts["media_bytes"] += int(response.headers.get("content-length", 0))

            page = context.new_page()
            page.on("websocket", lambda ws, on_frame=on_frame: ws.on("framereceived", on_frame))
            page.on("response", on_response)
            open_page(page, server.url, name, timeout=APP_TIMEOUT * 1000)
            wait_for_drawn(page)
            page.close()
            result[name] = counts
            print(
                f"  {name:16} {counts['websocket_bytes'] / 1024:,.0f} KB over the websocket", file=sys.stderr
            )
        browser.close()
    return result


def measure_cold_page(data: Path) -> dict[str, Any]:
    """A real server started with an empty score cache, one Chromium session on the Overview: seconds from
    the server's start to the page drawn, and to its sentiment card filled in (the page fills in by itself),
    with the machine's load average; then the same for a second start with the cache the first filled."""
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cpdash-bench-cold-") as cache_name:
        for kind in ("cold", "warm"):
            began, load_start = now(), os.getloadavg()[0]
            with (
                AppServer(data, cache_dir=Path(cache_name), start_timeout=300) as server,
                sync_playwright() as pw,
            ):
                browser = launch_chromium(pw)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                open_page(page, server.url, "overview", timeout=APP_TIMEOUT * 1000)
                first_page, load_first = now() - began, os.getloadavg()[0]
                card = page.locator('[data-testid="stMetric"]', has_text="Sentiment")
                waited = COMPUTING in card.inner_text()
                deadline = time.monotonic() + APP_TIMEOUT
                while COMPUTING in card.inner_text() and time.monotonic() < deadline:
                    time.sleep(0.5)
                filled = now() - began if COMPUTING not in card.inner_text() else None
                browser.close()
            result[kind] = {
                "first_page_seconds": first_page,
                "sentiment_seconds": filled if waited else first_page,
                "waited_for_sentiment": waited,
                "load_average": {"start": load_start, "first_page": load_first, "end": os.getloadavg()[0]},
            }
    return result


def measure_sessions(data: Path, cache: Path, sessions: int = 5) -> dict[str, Any]:
    """Server RSS with 1 then `sessions` browser sessions on the Overview; the growth per extra session."""
    from playwright.sync_api import sync_playwright

    rss: list[float] = []
    with AppServer(data, cache_dir=cache, start_timeout=300) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        rss_start = server_rss_mb(server)
        opened = []
        for _ in range(sessions):
            page = context.new_page()
            open_page(page, server.url, "overview", timeout=APP_TIMEOUT * 1000)
            opened.append(page)
            rss.append(server_rss_mb(server))
        browser.close()
    return {
        "rss_before_mb": rss_start,
        "rss_mb": rss,
        "per_session_mb": (rss[-1] - rss[0]) / (sessions - 1),
        "sessions": sessions,
    }


# --- report --------------------------------------------------------------------------------------------


def check(name: str, value: float | None, target: float, unit: str) -> dict[str, Any]:
    """One figure against its target (at most)."""
    return {
        "name": name,
        "value": value,
        "target": target,
        "unit": unit,
        "pass": None if value is None else value <= target,
    }


def verdict(ok: bool | None) -> str:
    """PASS, FAIL or a dash."""
    return "—" if ok is None else ("PASS" if ok else "FAIL")


def figure(value: float | None, unit: str) -> str:
    """A value with its unit, for the table."""
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:,.1f} MB"
    if unit == "bytes":
        return f"{value / 1024:,.0f} KB"
    return f"{value:g} {unit}"


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure that has a performance target, with pass or fail."""
    checks = []
    load = result.get("load", {})
    if "cold" in load:
        cold = load["cold"]
        first_page = cold.get("first_page_seconds", cold["seconds"])
        checks.append(check("cold load to the first page", first_page, TARGET_COLD_S, "s"))
    if "warm" in load:
        checks.append(check("warm load (scores cached)", load["warm"]["seconds"], TARGET_WARM_S, "s"))
    if "changed" in load:
        checks.append(check("load after concerns changed", load["changed"]["seconds"], TARGET_WARM_S, "s"))
    for page, stats in result.get("pages", {}).items():
        for kind in ("period", "area"):
            value = stats.get(f"rerun_{kind}_median_s")
            if value is not None:
                checks.append(check(f"{page}: rerun after {kind} change", value, TARGET_RERUN_S, "s"))
    sent = result.get("bytes", {}).get("map")
    if sent:
        total = sent["websocket_bytes"] + sent["media_bytes"]
        checks.append(check("map: bytes sent (websocket + /media)", total, TARGET_MAP_BYTES, "bytes"))
    if "sessions" in result:
        checks.append(
            check("memory per extra session", result["sessions"]["per_session_mb"], TARGET_SESSION_MB, "MB")
        )
    return checks


def print_report(result: dict[str, Any]) -> None:
    """The tables: data, loads, pages, sessions, then every target with pass or fail."""
    print(f"\ncpdash benchmark: scale {result['scale']}, data {result['data']['folder']}")
    print(f"machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}\n")
    load = result.get("load", {})
    for kind in ("cold", "warm", "changed"):
        if kind in load:
            stats = load[kind]
            steps = ", ".join(f"{k} {v:.2f}" for k, v in stats["steps"].items())
            print(
                f"{kind:7} load  {stats['seconds']:7.2f} s (CPU {stats.get('cpu_seconds', 0):.2f} s)   "
                f"peak RSS {stats['peak_rss_mb']:7.0f} MB   ({steps})"
            )
            if stats.get("first_page_seconds") is not None:
                print(
                    f"{'':7} first page (the Overview's figures made) after {stats['first_page_seconds']:.2f} s"
                )
            if stats.get("sentiment_seconds") is not None:
                print(f"{'':7} sentiment filled in after {stats['sentiment_seconds']:.2f} s")
            if "load_average" in stats:
                averages = stats["load_average"]
                print(
                    f"{'':7} load average {averages['start']:.1f} / {averages['first_page']:.1f} / {averages['end']:.1f}"
                    " (start / first page / end)"
                )
    if load:
        rows = load.get("cold", load.get("warm", {})).get("rows", {})
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    for kind, stats in result.get("cold_page", {}).items():
        averages = stats["load_average"]
        filled = figure(stats["sentiment_seconds"], "s") if stats["waited_for_sentiment"] else "at once"
        print(
            f"real server, {kind} start: Overview drawn {stats['first_page_seconds']:.2f} s after the start, "
            f"sentiment filled in: {filled}; load average {averages['start']:.1f} / "
            f"{averages['first_page']:.1f} / {averages['end']:.1f} (start / first page / end)"
        )
    pages = result.get("pages", {})
    sent = result.get("bytes", {})
    if pages or sent:
        print(
            f"\n{'page':16} {'1st ever':>9} {'render':>9} {'period':>9} {'area':>9} {'websocket':>11} {'proto':>10}"
        )
        for page in PAGES:
            stats, traffic = pages.get(page, {}), sent.get(page, {})
            if not stats and not traffic:
                continue
            cells = [figure(stats.get(k), "s") for k in ("first_ever_s", "render_median_s")]
            cells += [figure(stats.get(f"rerun_{k}_median_s"), "s") for k in ("period", "area")]
            cells += [
                figure(traffic.get("websocket_bytes"), "bytes"),
                figure(stats.get("proto_bytes"), "bytes"),
            ]
            print(f"{page:16} " + " ".join(f"{c:>9}" for c in cells[:4]) + f" {cells[4]:>11} {cells[5]:>10}")
            for error in stats.get("errors", []):
                print(f"    exception: {error[:160]}")
        print(
            f"(render and reruns: median of {result['runs']} AppTest sessions, in seconds of server time; "
            "'1st ever' is the first session, page caches empty)"
        )
        cpu = [
            f"{page} {figure(stats.get('rerun_period_cpu_median_s'), 's')} / "
            f"{figure(stats.get('rerun_area_cpu_median_s'), 's')} (fastest "
            f"{figure(stats.get('rerun_period_cpu_min_s'), 's')} / {figure(stats.get('rerun_area_cpu_min_s'), 's')})"
            for page, stats in pages.items()
            if stats.get("rerun_period_cpu_median_s") is not None
        ]
        if cpu:
            print(
                "rerun CPU time of the process (period / area; a busy machine inflates it less than the wall clock): "
                + "; ".join(cpu)
            )
        if result.get("speed_probe_s"):
            print(
                "machine speed: a fixed piece of Python took "
                + " s, then ".join(f"{v:.3f}" for v in result["speed_probe_s"])
                + " s of CPU (before the pages, after them)"
            )
        print(f"bytes: {BYTES_METHOD}")
    if "sessions" in result:
        s = result["sessions"]
        print(
            f"\nserver RSS with 1..{s['sessions']} sessions: "
            + ", ".join(f"{v:.0f}" for v in s["rss_mb"])
            + f" MB; per extra session {s['per_session_mb']:.1f} MB"
        )
    profile = result.get("profile")
    if profile:
        print(
            f"\nprofile: {profile['page']} rerun after a {profile['change']} change "
            f"({profile['seconds']:.3f} s under cProfile); the project's functions by cumulative time:"
        )
        for line in profile["project"]:
            print("  " + line)
        print("all functions by own time:")
        for line in profile["tottime"]:
            print("  " + line)
    print(f"\n{'target':48} {'value':>12} {'target':>12}  result")
    for c in result["targets"]:
        print(
            f"{c['name']:48} {figure(c['value'], c['unit']):>12} {'≤ ' + figure(c['target'], c['unit']):>12}  "
            f"{verdict(c['pass'])}"
        )


# --- command line --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (the --worker options are for the child processes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("demo", "city"), default="demo")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", type=Path, help="measure this data folder instead of generating one")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--runs", type=int, default=5, help="AppTest sessions per page (median)")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES))
    parser.add_argument(
        "--profile", type=int, default=25, help="profile the slowest rerun: top N functions (0: no)"
    )
    parser.add_argument(
        "--raw-apptest", action="store_true", help="time AppTest as is (recompiles scripts on every run)"
    )
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=("load", "coldpage", "apptest", "bytes", "sessions")
    )
    parser.add_argument("--worker", choices=("load", "apptest"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the score cache and data snapshots here (default: a fresh temporary folder); with "
        "--skip load, the pages are measured on the data as this cache holds it, without scoring again",
    )
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-top", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the data, run every measurement, print the report and write the JSON."""
    args = parse_args(argv)
    if args.worker:
        if args.worker == "load":
            out = worker_load(args.data, args.cache)
        else:
            out = worker_apptest(
                args.data, args.cache, args.runs, args.pages, args.profile_top, args.raw_apptest
            )
        args.worker_out.write_text(json.dumps(out, default=str), encoding="utf-8")
        return 0

    data, origin = prepare_data(args.scale, args.seed, args.data)
    result: dict[str, Any] = {
        "scale": args.scale,
        "seed": args.seed,
        "runs": args.runs,
        "data": origin,
        "date": date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "bytes_method": BYTES_METHOD,
        "apptest": "as is"
        if args.raw_apptest
        else "server-like (scripts compiled once, pages/ flag as after the first run)",
    }
    with tempfile.TemporaryDirectory(prefix="cpdash-bench-cache-") as cache_name:
        cache = args.cache or Path(cache_name)
        if "load" not in args.skip:
            print("cold load (empty score cache), fresh process …", flush=True)
            cold = run_worker("load", data, cache)
            print(
                f"  first page after {cold['first_page_seconds']:.2f} s, sentiment filled in after "
                f"{cold['sentiment_seconds'] or cold['seconds']:.2f} s; warm load (score cache filled), fresh process …",
                flush=True,
            )
            warm = run_worker("load", data, cache)
            print(
                f"  {warm['seconds']:.2f} s; load after the concerns file changed, fresh process …",
                flush=True,
            )
            touch_concerns(data)
            changed = run_worker("load", data, cache)
            print(f"  {changed['seconds']:.2f} s", flush=True)
            result["load"] = {"cold": cold, "warm": warm, "changed": changed}
        if "coldpage" not in args.skip:
            print("cold start of the real server, Chromium on the Overview …", flush=True)
            result["cold_page"] = measure_cold_page(data)
        if "apptest" not in args.skip:
            print(f"pages under AppTest, {args.runs} sessions each …", flush=True)
            apptest = run_worker(
                "apptest",
                data,
                cache,
                runs=args.runs,
                pages=args.pages,
                profile_top=args.profile,
                raw_apptest=args.raw_apptest,
            )
            result["app_first_run_s"] = apptest["app_first_run_s"]
            result["apptest_peak_rss_mb"] = apptest["peak_rss_mb"]
            result["pages"] = apptest["pages"]
            result["speed_probe_s"] = apptest.get("speed_probe_s", [])
            if "profile" in apptest:
                result["profile"] = apptest["profile"]
        if "bytes" not in args.skip:
            print("bytes per page, real server and Chromium …", flush=True)
            result["bytes"] = measure_bytes(data, cache, args.pages)
        if "sessions" not in args.skip:
            print("memory per session, real server and Chromium …", flush=True)
            result["sessions"] = measure_sessions(data, cache)
    result["targets"] = targets(result)
    print_report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
