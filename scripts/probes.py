"""The hardening probes: hostile input, a clumsy analyst and a failing machine, each thrown at the app through
its real entry points (the command line's import, the loader, the pages in AppTest, the town-hall pack), and
each outcome classed as handled, bad message, crash, hang, leak or log disagrees.

    python scripts/probes.py                 # every probe, a table, exit 1 if any is not handled
    python scripts/probes.py --only far-date # probes whose name holds the word
    python scripts/probes.py --list          # the catalogue, grouped

Each probe builds its own input in a temporary folder (untimed), then runs it in a process of its own with
LIMIT seconds to finish: seconds of CPU time (its own and its child processes'), so that a shared, busy
machine does not turn a slow probe into a hang; one waiting WALL_LIMIT seconds without using any is a hang too. The probes are listed in scripts/probe_catalogue.py, grouped as the hardening
review grouped them: availability, leaks, import log, low, and the categories that held (script injection,
formula injection, SQL injection, a database stopping mid-import, two imports at once, read-only folders, a
corrupt cache, files deleted while running, path traversal).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LIMIT = 10.0  # seconds of its own CPU time a probe may take, once its input is built
WALL_LIMIT = 60.0  # seconds a probe may wait using no CPU at all (a deadlock burns none)
SETUP_LIMIT = 120.0  # seconds building a probe's input may take
TICK = os.sysconf("SC_CLK_TCK")
HANDLED, BAD_MESSAGE, CRASH, HANG, LEAK, LOG_DISAGREES = (
    "handled",
    "bad message",
    "crash",
    "hang",
    "leak",
    "log disagrees",
)
VERDICTS = (HANDLED, BAD_MESSAGE, CRASH, HANG, LEAK, LOG_DISAGREES)


class Finding(Exception):
    """A probe's outcome other than handled: its verdict and what was seen."""

    def __init__(self, verdict: str, detail: str) -> None:
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail


def bad(detail: str) -> Finding:
    return Finding(BAD_MESSAGE, detail)


def crash(detail: str) -> Finding:
    return Finding(CRASH, detail)


def leak(detail: str) -> Finding:
    return Finding(LEAK, detail)


def lie(detail: str) -> Finding:
    return Finding(LOG_DISAGREES, detail)


@dataclass(frozen=True)
class Probe:
    """One reproduction: `build(folder)` makes its input (untimed) and returns what `check(folder, built)`
    needs; `check` runs it through the app and raises a Finding unless it was handled."""

    name: str
    group: str
    what: str
    build: Callable[[Path], object]
    check: Callable[[Path, object], None]
    fast: bool = True  # no page run in AppTest, no process of its own beyond the probe's


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    verdict: str
    detail: str
    seconds: float


def _child(probe: Probe, folder: Path, pipe: Connection) -> None:
    """Run one probe in this (forked) process and send back its outcome."""
    os.chdir(folder)
    os.environ.update(CPDASH_OFFLINE="1", CPDASH_CACHE=str(folder / "cache"))
    try:
        built = probe.build(folder)
    except Exception as exc:  # the hostile input could not even be built: the product crashed on it
        pipe.send(("done", CRASH, f"while building the input: {_one_line(exc)}"))
        return
    pipe.send(("go", "", ""))
    try:
        probe.check(folder, built)
    except Finding as found:
        pipe.send(("done", found.verdict, found.detail[:2000]))
    except BaseException as exc:  # an exception escaped the app: a crash
        pipe.send(("done", CRASH, f"{_one_line(exc)} at {_where(exc)}"))
    else:
        pipe.send(("done", HANDLED, ""))


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}"


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/cpdash/" in f.filename] or frames
    frame = ours[-1] if ours else None
    return f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"


@dataclass
class _Running:
    probe: Probe
    process: multiprocessing.Process
    pipe: Connection
    folder: Path
    started: float
    went: float | None = None
    cpu_at_go: float = 0.0
    last_cpu: float = 0.0
    progress: tuple[float, float] = (0.0, 0.0)  # CPU seconds last seen growing, and when

    def cpu(self) -> float:
        """CPU seconds of the probe's process and its children (Chromium too), living or waited for; the
        last seen once it is gone."""
        tree, total = {self.process.pid}, 0.0
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
        grew = True
        while grew:
            children = {pid for pid, f in stats.items() if int(f[1]) in tree} - tree
            tree |= children
            grew = bool(children)
        for pid in tree:
            if pid in stats:
                fields = stats[pid]
                total += sum(int(f) for f in (fields[11:15] if pid == self.process.pid else fields[11:13]))
        if self.process.pid in stats:
            self.last_cpu = max(self.last_cpu, total / TICK)
        return self.last_cpu


def _finish(run: _Running, verdict: str, detail: str) -> Outcome:
    seconds = max(run.cpu() - run.cpu_at_go, 0.0)
    if run.process.is_alive():
        run.process.kill()
    run.process.join(timeout=10)
    run.pipe.close()
    shutil.rmtree(run.folder, ignore_errors=True)
    return Outcome(run.probe, verdict, detail, seconds)


def run_probes(
    probes: list[Probe],
    workers: int = 2,
    limit: float = LIMIT,
    report: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run `probes`, `workers` at a time, each in a forked process with `limit` seconds once its input is
    built; the outcomes in catalogue order."""
    warm_up()
    context = multiprocessing.get_context("fork")
    waiting, running, done = list(probes), [], {}
    root = Path(tempfile.mkdtemp(prefix="cpdash-probes-"))
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                probe = waiting.pop(0)
                folder = Path(tempfile.mkdtemp(dir=root))
                ours, theirs = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(probe, folder, theirs), daemon=False)
                process.start()
                theirs.close()
                running.append(_Running(probe, process, ours, folder, time.monotonic()))
            wait([r.pipe for r in running], timeout=0.25)
            now = time.monotonic()
            for run in list(running):
                run.cpu()
                outcome = None
                try:
                    while run.pipe.poll():
                        kind, verdict, detail = run.pipe.recv()
                        if kind == "go":
                            run.went, run.cpu_at_go = time.monotonic(), run.cpu()
                            run.progress = (run.cpu_at_go, run.went)
                        else:
                            outcome = _finish(run, verdict, detail)
                            break
                except (EOFError, OSError):
                    code = run.process.exitcode
                    outcome = _finish(run, CRASH, f"the process died (exit {code})")
                if outcome is None and run.went is not None and run.last_cpu - run.cpu_at_go > limit:
                    outcome = _finish(run, HANG, f"still running after {limit:g} s of CPU time")
                if run.went is not None and run.last_cpu > run.progress[0]:
                    run.progress = (run.last_cpu, now)
                idle = now - run.progress[1] if run.went is not None else 0.0
                if outcome is None and idle > max(WALL_LIMIT, 6 * limit):
                    outcome = _finish(run, HANG, f"waiting, using no CPU, for {idle:.0f} s")
                if outcome is None and run.went is None and now - run.started > SETUP_LIMIT:
                    outcome = _finish(run, HANG, f"building its input took over {SETUP_LIMIT:g} s")
                if outcome is not None:
                    running.remove(run)
                    done[run.probe.name] = outcome
                    if report:
                        report(outcome)
    finally:
        for run in running:
            run.process.kill()
        shutil.rmtree(root, ignore_errors=True)
    return [done[p.name] for p in probes]


def warm_up() -> None:
    """Import what the probes use once, before forking, so that no probe's time is spent importing."""
    from streamlit import logger

    logger.set_log_level("error")  # AppTest runs pages without a server: its warnings say so, once a page
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import pydeck  # noqa: F401
    from streamlit.testing.v1 import AppTest  # noqa: F401

    import cpdash.__main__
    import cpdash.ui.context
    import cpdash.views  # noqa: F401
    from scripts import probe_catalogue, probe_support
    from tests import adversary, walk  # noqa: F401

    with tempfile.TemporaryDirectory() as folder:  # the first import reads lazily imported parts: once, here
        path = probe_support.write_rows(Path(folder) / "warm.csv", probe_support.rows_with("events", {}))
        probe_support.import_file(path, "events", probe_support.make_source(Path(folder)))
    del probe_catalogue


def catalogue() -> list[Probe]:
    """Every probe, grouped."""
    from scripts.probe_catalogue import PROBES

    return PROBES


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as a plain table, group by group, and a count of each verdict."""
    lines, group = [], None
    width = max(len(o.probe.name) for o in outcomes)
    for o in outcomes:
        if o.probe.group != group:
            group = o.probe.group
            lines.append(f"\n{group}")
        detail = f"  {o.detail}" if o.detail else ""
        lines.append(f"  {o.probe.name:<{width}}  {o.verdict:<13} {o.seconds:5.1f} s CPU{detail}")
    counts = {v: sum(o.verdict == v for o in outcomes) for v in VERDICTS}
    lines.append(
        f"\n{counts[HANDLED]} of {len(outcomes)} handled; "
        + ", ".join(f"{n} {v}" for v, n in counts.items() if n and v != HANDLED)
    )
    return "\n".join(lines).rstrip("; ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="run the probes whose name holds this")
    parser.add_argument("--fast", action="store_true", help="only the fast probes (no page runs)")
    parser.add_argument("--workers", type=int, default=2, help="probes run at once (default 2)")
    parser.add_argument("--list", action="store_true", help="list the catalogue and exit")
    args = parser.parse_args(argv)
    probes = [
        p
        for p in catalogue()
        if (not args.only or any(word in p.name for word in args.only)) and (p.fast or not args.fast)
    ]
    if args.list:
        for p in probes:
            print(f"{p.group:<28} {p.name:<52} {p.what}")
        print(f"{len(probes)} probes")
        return 0
    started = time.monotonic()
    outcomes = run_probes(probes, args.workers, report=lambda o: print(".", end="", flush=True))
    print(table(outcomes))
    print(f"({time.monotonic() - started:.0f} s, {args.workers} at a time)")
    return 0 if all(o.verdict == HANDLED for o in outcomes) else 1


if __name__ == "__main__":  # run as scripts.probes, so that the catalogue's Finding is this module's
    from scripts.probes import main as run

    sys.exit(run())
