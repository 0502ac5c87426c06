"""Load test: many sessions over Streamlit's own websocket protocol, against N replicas behind nginx.

    .venv/bin/python benchmarks/loadgen.py --replicas 1 2 --sessions 20 --ramp 10
    .venv/bin/python benchmarks/loadgen.py --replicas 1 2 4 --sessions 50 100 200 --ramp 60 \\
        --scale city --json benchmarks/out/load-city.json
    .venv/bin/python benchmarks/loadgen.py --url https://dashboard.example.org --sessions 50 --ramp 60

Each session does what a visitor does (scripts/stclient.py speaks the protocol, no browser): it opens the app
(the Overview: the index page, /_stcore/health, /_stcore/host-config, the websocket, a rerun request) and
waits until the script run has finished (ForwardMsg script_finished); it uploads and deletes a one-byte file
for its session (accepted only by the process holding the session: proof that the proxy keeps the session's
HTTP requests with its websocket); then it changes one sidebar filter (a rerun carrying the widget's new
state) and waits again. Session i arrives at i * ramp / (sessions - 1) seconds; every session stays connected
until the last one is done, when the server processes' memory is read (psutil), then all close. A few
sessions (--warm per replica) open the page first and stay connected: the memory baseline is read after
them, so that what a replica frees once it has loaded the data does not count against the sessions.

For each cell of --replicas x --sessions x --ramp, a fresh deployment (scripts/replicas.py: N replicas and
nginx, one shared data folder and cache, every replica warmed up before the sessions arrive) takes the load:
p50 / p95 of the time to a finished page and to a finished filter change, errors by kind, throughput,
sessions per replica, routing mismatches in nginx's log, memory per session, and what the client itself
cost (CPU seconds, event-loop lag). With --url, an existing deployment takes it (no memory figures unless
--pid is given).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from replicas import Deployment, warm_up  # noqa: E402
from stclient import RunResult, StreamlitSession  # noqa: E402

MB = 1024 * 1024
PERIOD_KEY = "filter_period"
AREA_KEY = "filter_area"
PROGRAM_KEY = "filter_program"
CHANGES = ("period", "area", "program", "mixed")
PAGE_URL_PATHS = {"overview": "", "map": "map", "participation": "participation"}
SAMPLE_EVERY_S = 0.5
LAG_TICK_S = 0.05


# --- one session -----------------------------------------------------------------------------------------


@dataclass
class SessionRecord:
    """What one session did and how long it took."""

    index: int
    arrived: float = 0.0  # seconds after the phase began
    page: RunResult | None = None
    affinity: int | None = None  # status of the session-bound upload: 204 when it reached its process
    change: RunResult | None = None
    change_kind: str = ""
    changed: bool | None = None  # did the filter change change the page (its deltas)?
    route: str = ""  # the replica nginx's routing cookie names
    error: str = ""  # the first error, with its kind before the colon
    done: float = 0.0  # seconds after the phase began, when the session had finished both runs

    @property
    def ok(self) -> bool:
        """Opened, stayed with its process, changed a filter: all without an error."""
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "index": self.index,
            "arrived": round(self.arrived, 3),
            "done": round(self.done, 3),
            "route": self.route,
            "page": self.page.as_dict() if self.page else None,
            "affinity": self.affinity,
            "change_kind": self.change_kind,
            "change": self.change.as_dict() if self.change else None,
            "changed": self.changed,
            "error": self.error,
        }


def _change_for(session: StreamlitSession, kind: str, index: int) -> tuple[str, Any, str]:
    """(widget key, new value, description) of session `index`'s filter change; each session picks a view
    of its own where the data allow (the period moved back by index+1 weeks, the index-th area or program)."""
    if kind == "mixed":
        kind = ("period", "area", "program")[index % 3]
    if kind == "period":
        proto = session.widget(PERIOD_KEY)[1]
        start, end = (dt.date.fromisoformat(d) for d in list(proto.default)[:2])
        first = dt.date.fromisoformat(proto.min) if proto.min else start - dt.timedelta(days=7 * 52)
        weeks = max(1, (start - first).days // 7)
        new_start = start - dt.timedelta(days=7 * (1 + index % weeks))
        return PERIOD_KEY, (new_start.isoformat(), end.isoformat()), "period"
    key = AREA_KEY if kind == "area" else PROGRAM_KEY
    choices = list(session.widget(key)[1].options)
    if not choices:
        raise ValueError(f"the {kind} filter has no options")
    return key, [choices[index % len(choices)]], kind


class Gate:
    """Sessions report here when their page is open and when they are done; they stay connected until
    `release` is set."""

    def __init__(self, sessions: int) -> None:
        """A gate for this many sessions."""
        self.waiting = sessions
        self.open = 0  # sessions whose page has opened, still connected
        self.everyone_done = asyncio.Event()
        self.release = asyncio.Event()
        if sessions == 0:
            self.everyone_done.set()

    async def arrive_and_wait(self) -> None:
        """Count this session as done, then wait for the release."""
        self.waiting -= 1
        if self.waiting <= 0:
            self.everyone_done.set()
        await self.release.wait()


async def run_session(
    base_url: str,
    index: int,
    *,
    delay: float,
    began: float,
    change: str,
    page: str,
    timeout: float,
    affinity: bool,
    gate: Gate,
) -> SessionRecord:
    """Arrive after `delay` s, open the page, probe affinity, change a filter; stay connected until the gate
    releases every session."""
    record = SessionRecord(index)
    await asyncio.sleep(delay)
    record.arrived = time.perf_counter() - began
    session = StreamlitSession(base_url, page=page, timeout=timeout)
    try:
        record.page = await session.open()
        record.route = session.cookies.values.get("cpdash_route", "")
        gate.open += record.page.ok
        if not record.page.ok:
            record.error = f"page: {record.page.error}"
            return record
        if affinity:
            try:
                record.affinity = await session.probe_affinity()
            except (OSError, TimeoutError) as exc:
                record.error = f"affinity: {type(exc).__name__}: {exc}"
                return record
            if record.affinity != 204:
                record.error = f"affinity: the session's upload was answered {record.affinity}"
                return record
        try:
            key, value, record.change_kind = _change_for(session, change, index)
        except (KeyError, ValueError) as exc:
            record.error = f"change: {exc}"
            return record
        record.change = await session.change(key, value)
        if not record.change.ok:
            record.error = f"change: {record.change.error}"
            return record
        record.changed = record.change.digest != record.page.digest
        return record
    except Exception as exc:  # one broken session is counted, never the end of the run
        record.error = f"client: {type(exc).__name__}: {exc}"
        return record
    finally:
        record.done = time.perf_counter() - began
        await gate.arrive_and_wait()
        await session.close()


# --- the server side: memory -------------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (0 when it is gone)."""
    import psutil

    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total
    except psutil.Error:
        return 0


def rss_by_name(pids: dict[str, int]) -> dict[str, int]:
    """Resident memory of each named process."""
    return {name: rss_bytes(pid) for name, pid in pids.items()}


# --- one phase: N sessions against one URL ----------------------------------------------------------------


@dataclass
class Phase:
    """What a phase measured."""

    records: list[SessionRecord]
    seconds: float  # from the first arrival to the last session done
    rss_before: dict[str, int] = field(default_factory=dict)
    rss_open: dict[str, int] = field(default_factory=dict)  # every session still connected, all done
    rss_peak: dict[str, int] = field(default_factory=dict)
    rss_samples: list[tuple[int, int]] = field(default_factory=list)  # (sessions open, total RSS)
    client_cpu_s: float = 0.0
    loop_lag_max_ms: float = 0.0
    loop_lag_mean_ms: float = 0.0
    warm_records: list[SessionRecord] = field(default_factory=list)  # opened first, not in the figures

    @property
    def warm(self) -> int:
        """How many sessions opened the page before the memory baseline."""
        return len(self.warm_records)


async def run_phase(
    base_url: str,
    sessions: int,
    ramp: float,
    *,
    change: str = "period",
    page: str = "",
    timeout: float = 300.0,
    affinity: bool = True,
    pids: dict[str, int] | None = None,
    warm: int = 0,
) -> Phase:
    """Run `sessions` sessions arriving over `ramp` seconds; read memory while they are all connected.

    `warm` sessions first open the page and change a filter, all at once, and stay connected: the memory
    baseline is read after them, so that what a replica frees after loading the data (its RSS falls by tens
    of MB once the load's temporary frames are gone) is not counted against the sessions."""
    pids = pids or {}

    def start(index: int, delay: float, began: float, gate: Gate, affinity: bool) -> asyncio.Task:
        session = run_session(
            base_url,
            index,
            delay=delay,
            began=began,
            change=change,
            page=page,
            timeout=timeout,
            affinity=affinity,
            gate=gate,
        )
        return asyncio.create_task(session)

    warm_gate = Gate(warm)
    warm_began = time.perf_counter()
    # views of their own (indexes after the measured sessions'), no upload
    warm_tasks = [start(sessions + i, 0.0, warm_began, warm_gate, False) for i in range(warm)]
    await warm_gate.everyone_done.wait()
    all_done = asyncio.Event()
    lags: list[float] = []
    peak: dict[str, int] = dict.fromkeys(pids, 0)
    samples: list[tuple[int, int]] = []  # (sessions open, total RSS of the server processes)

    async def watch() -> None:
        while pids and not all_done.is_set():
            now = rss_by_name(pids)
            for name, value in now.items():
                peak[name] = max(peak[name], value)
            samples.append((gate.open, sum(now.values())))
            await asyncio.sleep(SAMPLE_EVERY_S)

    async def lag() -> None:
        while not all_done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK_S)
            lags.append(max(0.0, time.perf_counter() - before - LAG_TICK_S))

    gate = Gate(sessions)
    rss_before = rss_by_name(pids)
    cpu_before = time.process_time()
    began = time.perf_counter()
    step = ramp / (sessions - 1) if sessions > 1 else 0.0
    tasks = [start(i, i * step, began, gate, affinity) for i in range(sessions)]
    helpers = [asyncio.create_task(watch()), asyncio.create_task(lag())]
    await gate.everyone_done.wait()  # every session has finished (or failed) and is still connected
    rss_open = rss_by_name(pids)
    for name, value in rss_open.items():
        peak[name] = max(peak.get(name, 0), value)
    if pids:
        samples.append((gate.open, sum(rss_open.values())))
    gate.release.set()
    warm_gate.release.set()
    all_done.set()
    records = list(await asyncio.gather(*tasks))
    warm_records = list(await asyncio.gather(*warm_tasks))
    for helper in helpers:
        helper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await helper
    first = min((r.arrived for r in records), default=0.0)
    last = max((r.done for r in records), default=first)
    return Phase(
        records=records,
        seconds=last - first,
        rss_before=rss_before,
        rss_open=rss_open,
        rss_peak=peak,
        rss_samples=samples,
        client_cpu_s=time.process_time() - cpu_before,
        loop_lag_max_ms=1000 * max(lags, default=0.0),
        loop_lag_mean_ms=1000 * (statistics.fmean(lags) if lags else 0.0),
        warm_records=warm_records,
    )


# --- figures ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def slope(points: list[tuple[int, int]]) -> tuple[float, float] | None:
    """Least-squares slope of y on x and its r²; None when x does not vary."""
    if len(points) < 3:
        return None
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx, (sxy * sxy / (sxx * syy) if syy else 0.0)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def routing_mismatches(access_log: list[dict[str, Any]], addresses: dict[str, str]) -> list[dict[str, Any]]:
    """nginx log lines whose routing cookie names one replica while another one answered."""
    wrong = []
    for line in access_log:
        route, upstream = line.get("route") or "", line.get("upstream") or ""
        if route in addresses and upstream and upstream.split(", ")[-1] != addresses[route]:
            wrong.append(line)
    return wrong


def websockets_by_upstream(access_log: list[dict[str, Any]], addresses: dict[str, str]) -> dict[str, int]:
    """How many websockets (sessions) each replica served, from nginx's log (written when they close)."""
    names = {address: name for name, address in addresses.items()}
    counts: Counter[str] = Counter()
    for line in access_log:
        if " /_stcore/stream " in f" {line.get('request', '')} " and line.get("status") == 101:
            counts[names.get((line.get("upstream") or "").split(", ")[-1], "?")] += 1
    return dict(sorted(counts.items()))


def summarise(phase: Phase, sessions: int, ramp: float) -> dict[str, Any]:
    """The figures of one phase."""
    records = phase.records
    pages = [r.page.seconds for r in records if r.page is not None and r.page.ok]
    changes = [r.change.seconds for r in records if r.change is not None and r.change.ok]
    ok = [r for r in records if r.ok]
    kinds = Counter(r.error.split(":", 1)[0] for r in records if r.error)
    opened = sum(1 for r in records if r.page is not None and r.page.ok)
    rss_growth = sum(phase.rss_open.values()) - sum(phase.rss_before.values())
    summary: dict[str, Any] = {
        "sessions": sessions,
        "ramp_s": ramp,
        "ok": len(ok),
        "errors": len(records) - len(ok),
        "error_kinds": dict(kinds),
        "first_errors": [f"#{r.index}: {r.error}" for r in records if r.error][:5],
        "unchanged": sum(1 for r in records if r.changed is False),
        "page_p50_s": _round(percentile(pages, 50)),
        "page_p95_s": _round(percentile(pages, 95)),
        "page_max_s": _round(max(pages, default=None) if pages else None),
        "change_p50_s": _round(percentile(changes, 50)),
        "change_p95_s": _round(percentile(changes, 95)),
        "change_max_s": _round(max(changes) if changes else None),
        "seconds": round(phase.seconds, 2),
        "throughput_sessions_per_s": round(len(ok) / phase.seconds, 3) if phase.seconds > 0 else None,
        "sessions_by_route": dict(sorted(Counter(r.route or "-" for r in records).items())),
        "affinity_ok": sum(1 for r in records if r.affinity == 204),
        "bytes_per_session": int(
            statistics.fmean(
                (r.page.bytes if r.page else 0) + (r.change.bytes if r.change else 0) for r in records
            )
        )
        if records
        else 0,
        "client_cpu_s": round(phase.client_cpu_s, 2),
        "client_cpu_ms_per_session": round(1000 * phase.client_cpu_s / max(1, sessions), 1),
        "client_loop_lag_max_ms": round(phase.loop_lag_max_ms, 1),
        "client_loop_lag_mean_ms": round(phase.loop_lag_mean_ms, 2),
        "warm_sessions": phase.warm,
        "warm_errors": sum(1 for r in phase.warm_records if not r.ok),
    }
    if phase.rss_before:
        summary["rss_before_mb"] = {k: round(v / MB, 1) for k, v in phase.rss_before.items()}
        summary["rss_open_mb"] = {k: round(v / MB, 1) for k, v in phase.rss_open.items()}
        summary["rss_peak_mb"] = {k: round(v / MB, 1) for k, v in phase.rss_peak.items()}
        summary["mb_per_session"] = round(rss_growth / MB / opened, 2) if opened else None
        fit = slope(phase.rss_samples)
        summary["mb_per_session_fit"] = round(fit[0] / MB, 2) if fit else None
        summary["mb_per_session_fit_r2"] = round(fit[1], 3) if fit else None
    return summary


# --- a cell: a fresh deployment, one phase -----------------------------------------------------------------


def run_cell(
    replicas: int,
    sessions: int,
    ramp: float,
    *,
    data: Path | None,
    cache: Path,
    change: str = "period",
    page: str = "",
    timeout: float = 300.0,
    affinity: bool = True,
    keep_records: bool = True,
    warm_per_replica: int = 2,
) -> dict[str, Any]:
    """Start `replicas` replicas and nginx, run one phase through nginx, stop; the figures."""
    with Deployment(replicas, data, cache_dir=cache) as deployment:
        addresses = deployment.addresses()
        phase = asyncio.run(
            run_phase(
                deployment.url,
                sessions,
                ramp,
                change=change,
                page=page,
                timeout=timeout,
                affinity=affinity,
                pids=deployment.pids(),
                warm=warm_per_replica * replicas,
            )
        )
        time.sleep(0.5)  # nginx writes a websocket's log line when it closes
        log = deployment.access_log()
        summary = {"replicas": replicas, **summarise(phase, sessions, ramp)}
        summary["warm_up_s"] = {k: round(v, 2) for k, v in deployment.warm_seconds.items()}
        summary["websockets_by_replica"] = websockets_by_upstream(log, addresses)
        summary["routing_mismatches"] = len(routing_mismatches(log, addresses))
    if keep_records:
        summary["records"] = [r.as_dict() for r in phase.records]
    return summary


# --- report ----------------------------------------------------------------------------------------------

COLUMNS = (
    ("replicas", "replicas", "{}"),
    ("sessions", "sessions", "{}"),
    ("ramp_s", "ramp s", "{:g}"),
    ("page_p50_s", "page p50 s", "{:.2f}"),
    ("page_p95_s", "page p95 s", "{:.2f}"),
    ("change_p50_s", "change p50 s", "{:.2f}"),
    ("change_p95_s", "change p95 s", "{:.2f}"),
    ("errors", "errors", "{}"),
    ("throughput_sessions_per_s", "sessions/s", "{:.2f}"),
    ("throughput_ratio", "× 1 replica", "{:.2f}"),
    ("mb_per_session", "MB/session", "{:.1f}"),
    ("client_cpu_ms_per_session", "client ms/session", "{:.0f}"),
)


def add_ratios(cells: list[dict[str, Any]]) -> None:
    """Each cell's throughput against the 1-replica cell with the same sessions and ramp."""
    base = {(c["sessions"], c["ramp_s"]): c for c in cells if c.get("replicas") == 1}
    for cell in cells:
        one = base.get((cell["sessions"], cell["ramp_s"]))
        if one and one.get("throughput_sessions_per_s") and cell.get("throughput_sessions_per_s"):
            cell["throughput_ratio"] = round(
                cell["throughput_sessions_per_s"] / one["throughput_sessions_per_s"], 2
            )


def table(cells: list[dict[str, Any]]) -> str:
    """A Markdown table of the cells."""
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---:" for _ in COLUMNS) + "|"
    rows = []
    for cell in cells:
        values = []
        for key, _, form in COLUMNS:
            value = cell.get(key)
            values.append("–" if value is None else form.format(value))
        rows.append("| " + " | ".join(values) + " |")
    return "\n".join([header, rule, *rows])


def describe_errors(cells: list[dict[str, Any]]) -> list[str]:
    """A line per cell with errors, unchanged pages or routing mismatches."""
    lines = []
    for cell in cells:
        where = f"{cell.get('replicas', '?')} replicas × {cell['sessions']} sessions"
        if cell["errors"]:
            lines.append(f"{where}: errors {cell['error_kinds']}; first: {cell['first_errors']}")
        if cell["unchanged"]:
            lines.append(f"{where}: {cell['unchanged']} filter changes left the page as it was")
        if cell.get("routing_mismatches"):
            lines.append(
                f"{where}: {cell['routing_mismatches']} requests reached another replica than their cookie's"
            )
    return lines


# --- command line ----------------------------------------------------------------------------------------


def raise_open_files_limit() -> None:
    """Every session holds a socket: allow as many open files as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    del soft


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replicas", type=int, nargs="+", default=[1, 2], help="replica counts (default 1 2)"
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[20], help="session counts (default 20)")
    parser.add_argument(
        "--ramp",
        type=float,
        nargs="+",
        default=[10.0],
        help="seconds over which sessions arrive (default 10)",
    )
    parser.add_argument("--data", type=Path, help="data folder (default: sample_data)")
    parser.add_argument(
        "--scale", choices=("demo", "city"), help="generate or reuse this data set (as bench.py)"
    )
    parser.add_argument("--seed", type=int, default=7, help="with --scale: the generator's seed (default 7)")
    parser.add_argument(
        "--cache", type=Path, help="the replicas' shared cache (default: a fresh one per run)"
    )
    parser.add_argument("--change", choices=CHANGES, default="period", help="the filter each session changes")
    parser.add_argument("--page", choices=sorted(PAGE_URL_PATHS), default="overview", help="the page opened")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take (default 300)")
    parser.add_argument("--no-affinity", action="store_true", help="skip the session-bound upload")
    parser.add_argument("--url", help="load this running deployment instead of starting one")
    parser.add_argument(
        "--pid", type=int, action="append", default=[], help="with --url: a server pid to watch"
    )
    parser.add_argument(
        "--warm",
        type=int,
        default=2,
        help="sessions per replica (with --url: in all) that open the page before the measured ones and the "
        "memory baseline (default 2)",
    )
    parser.add_argument("--no-warm", action="store_true", help="with --url: skip the first session")
    parser.add_argument("--json", type=Path, help="write the figures (and every session's record) here")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import streamlit

    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "streamlit": streamlit.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every cell, print the table, write the JSON; exit 1 when any session failed."""
    args = parse_args(argv)
    raise_open_files_limit()
    page = PAGE_URL_PATHS[args.page]
    data = args.data
    origin: dict[str, Any] = {"folder": str(data) if data else "sample_data (the app's default)"}
    if args.scale:
        from bench import prepare_data

        data, origin = prepare_data(args.scale, args.seed, args.data)
    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "argv": sys.argv[1:] if argv is None else argv,
        "data": origin,
        "machine": machine(),
        "change": args.change,
        "page": args.page,
        "cells": [],
    }
    cells: list[dict[str, Any]] = result["cells"]
    if args.url:
        pids = {f"pid{pid}": pid for pid in args.pid}
        if not args.no_warm:
            print(f"{args.url}: one session first, so that the data is loaded …", flush=True)
            result["warm_up_s"] = round(warm_up(args.url, args.timeout), 2)
        for sessions in args.sessions:
            for ramp in args.ramp:
                print(f"{args.url}: {sessions} sessions over {ramp:g} s …", flush=True)
                phase = asyncio.run(
                    run_phase(
                        args.url,
                        sessions,
                        ramp,
                        change=args.change,
                        page=page,
                        timeout=args.timeout,
                        affinity=not args.no_affinity,
                        pids=pids,
                        warm=args.warm,
                    )
                )
                cells.append({"url": args.url, **summarise(phase, sessions, ramp)})
                cells[-1]["records"] = [r.as_dict() for r in phase.records]
    else:
        import tempfile

        with contextlib.ExitStack() as stack:
            cache = args.cache or Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="cpdash-load-"))
            )
            for replicas in args.replicas:
                for sessions in args.sessions:
                    for ramp in args.ramp:
                        print(f"{replicas} replicas, {sessions} sessions over {ramp:g} s …", flush=True)
                        cell = run_cell(
                            replicas,
                            sessions,
                            ramp,
                            data=data,
                            cache=cache,
                            change=args.change,
                            page=page,
                            timeout=args.timeout,
                            affinity=not args.no_affinity,
                            warm_per_replica=args.warm,
                        )
                        cells.append(cell)
                        print(
                            f"  page p95 {cell['page_p95_s']} s, change p95 {cell['change_p95_s']} s, "
                            f"errors {cell['errors']}, {cell.get('mb_per_session')} MB/session, "
                            f"sessions by replica {cell['websockets_by_replica']}",
                            flush=True,
                        )
    add_ratios(cells)
    print()
    print(table(cells))
    for line in describe_errors(cells):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        print(f"\nwritten {args.json}")
    return 1 if any(c["errors"] for c in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
