"""The database source at scale: first page, filter change and a replica's memory with N responses in
PostgreSQL, against the demo data.

    .venv/bin/python benchmarks/sql_bench.py --responses 1000000 --json benchmarks/out/sql-1m.json
    .venv/bin/python benchmarks/sql_bench.py --responses 10000000 --runs 3 --json benchmarks/out/sql-10m.json

It starts a throwaway PostgreSQL cluster (Debian's binaries, as the tests do; or uses --server, a server URL
whose databases it may create), imports the demo city (sample_data/) through the importer into two
databases and builds their statistics tables (python -m cpdash.metrics.sql_build). In the second it then
copies the responses, in SQL, until it holds N (each copy a new response_id with the same answers, day,
area and event, and the same comment facts, which depend only on a comment's text and language), and
builds the statistics tables again. Then each source is opened by a fresh app process (streamlit's AppTest,
as benchmarks/bench.py): the demo folder (rows in memory), the demo in PostgreSQL and the N responses in
PostgreSQL (figures by SQL). For each: the first page (a new process's Overview, the data loaded), every
page's render in a new session and the reruns after a filter change (the sidebar period, then an area),
medians of --runs, and the process's resident memory at the end (VmRSS) and at its peak; and for each
database the time the public view's blocks of months take to work out (once per data version, in the
replica that first needs them). With --reuse (and --server) it measures again the databases an earlier run
left on the server, without building them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres_support import TABLE_FILES  # noqa: E402

from scripts.serve import PAGES  # noqa: E402

DEMO = ROOT / "sample_data"
MB = 1024 * 1024
TARGET_CHANGE_S = 1.0
TARGET_MEMORY_RATIO = 2.0


def say(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the databases ---------------------------------------------------------------------------------------


def create_database(server: str, name: str) -> str:
    """A new empty database on the server; its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def import_demo(url: str) -> None:
    """The demo city's tables imported into the database as the Data page imports them."""
    from cpdash.data.load import load_dataset
    from cpdash.importing import importer
    from cpdash.importing.store import open_store

    for name, table in TABLE_FILES:
        context = importer.context_from_dataset(load_dataset(url, tables=("areas", "events")))
        upload = importer.read_upload(name, (DEMO / name).read_bytes())
        prepared = importer.prepare(upload, importer.suggest_profile(upload, table, context), context)
        open_store(url).commit(prepared, "add")


def multiply(url: str, wanted: int) -> int:
    """Copy the responses (and their comments' facts) in SQL until the database holds about `wanted`."""
    import sqlalchemy as sa

    from cpdash.metrics.sql_cubes import FACTS

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        have = int(conn.execute(sa.text("SELECT count(*) FROM responses")).scalar())
        copies = max(round(wanted / have) - 1, 0)
        names = [r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'responses' "
            "AND column_name <> 'response_id' ORDER BY ordinal_position"
        ))]  # fmt: skip
        columns = ", ".join(f'"{n}"' for n in names)
        conn.execute(
            sa.text(
                f'INSERT INTO responses ("response_id", {columns}) SELECT r."response_id" || \'~\' || g, '
                f"{', '.join(f'r.{c}' for c in columns.split(', '))} "
                "FROM responses r CROSS JOIN generate_series(1, :copies) g"
            ),
            {"copies": copies},
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {FACTS} (response_id, sentiment, class, language, topics) "
                f"SELECT f.response_id || '~' || g, f.sentiment, f.class, f.language, f.topics FROM {FACTS} f "
                "CROSS JOIN generate_series(1, :copies) g"
            ),
            {"copies": copies},
        )
        total = int(conn.execute(sa.text("SELECT count(*) FROM responses")).scalar())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("responses", FACTS):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    engine.dispose()
    return total


def count(url: str) -> int:
    """The responses in the database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = int(conn.execute(sa.text("SELECT count(*) FROM responses")).scalar())
    engine.dispose()
    return total


def grid(url: str) -> dict[str, Any]:
    """The public view's blocks of months gathered by SQL (cpdash.metrics.selection.period_grid, worked out
    once per data version in a replica): seconds (the labels of the keys read first), queries, blocks."""
    import sqlalchemy as sa

    from cpdash.data.database import make_engine
    from cpdash.data.load import load_dataset
    from cpdash.data.schema import TABLES
    from cpdash.metrics.selection import period_grid
    from cpdash.metrics.sql import IN_DATABASE, SqlSource
    from cpdash.metrics.suppression import Policy

    engine = make_engine(url)
    src = SqlSource(engine, load_dataset(url, tables=[t for t in TABLES if t not in IN_DATABASE]))
    src.extent(), src.area_labels, src.program_labels  # what any page reads first
    asked: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: asked.append(args[2]))
    began = time.perf_counter()
    blocks = period_grid(src, Policy(public=True))
    out = {"seconds": time.perf_counter() - began, "queries": len(asked), "blocks": max(len(blocks) - 1, 0)}
    engine.dispose()
    return out


# --- the app process -------------------------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def worker(data: str, cache: str, runs: int, pages: list[str]) -> dict[str, Any]:
    """In a fresh process: the first page, then each page's render and filter-change reruns."""
    os.environ.update({"CPDASH_DATA": data, "CPDASH_OFFLINE": "1", "CPDASH_CACHE": cache})
    from bench import exceptions, median, server_like_apptest
    from streamlit.testing.v1 import AppTest

    server_like_apptest()
    script = str(ROOT / "dashboard.py")
    areas = sorted(
        f["properties"]["area_id"] for f in json.loads((DEMO / "areas.geojson").read_text())["features"]
    )

    def timed(at: Any) -> float:
        began = time.perf_counter()
        at.run()
        return time.perf_counter() - began

    at = AppTest.from_file(script, default_timeout=1800)
    result: dict[str, Any] = {"first_page_s": timed(at), "errors": exceptions(at), "pages": {}}
    for page in pages:
        stats: dict[str, list[float]] = {"render": [], "period": [], "area": []}
        for i in range(runs):
            at = AppTest.from_file(script, default_timeout=1800)
            at.switch_page(f"pages/{page}.py")
            stats["render"].append(timed(at))
            widget = at.date_input(key="filter_period")
            start, end = widget.value
            widget.set_value((min(start + timedelta(days=7 * (i + 1)), end), end))
            stats["period"].append(timed(at))
            at.multiselect(key="filter_area").set_value([areas[(5 * i + 3) % len(areas)]])
            stats["area"].append(timed(at))
            result["errors"] += exceptions(at)
        result["pages"][page] = {k: median(v) for k, v in stats.items()}
        say(f"  {page:16} render {median(stats['render']):.2f} s, filter changes "
            f"{median(stats['period']):.2f} / {median(stats['area']):.2f} s")  # fmt: skip
    result["rss_mb"], result["peak_rss_mb"] = rss_mb()
    result["errors"] = sorted(set(result["errors"]))
    return result


def run_worker(data: str, cache: Path, runs: int, pages: list[str]) -> dict[str, Any]:
    """The worker in a fresh Python process."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", data, "--cache", str(cache)]
    command += ["--runs", str(runs), "--worker-out", str(out), "--pages", *pages]
    try:
        subprocess.run(command, cwd=ROOT, check=True)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


# --- the report ------------------------------------------------------------------------------------------


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The slowest filter change over pages, and the memory, of one source."""
    changes = [v for p in result["pages"].values() for k, v in p.items() if k in ("period", "area") and v]
    return {
        "first_page_s": result["first_page_s"],
        "slowest_filter_change_s": max(changes) if changes else None,
        "rss_mb": result["rss_mb"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def report(out: dict[str, Any]) -> None:
    """A table of the sources, and the targets."""
    print(f"\n{'source':34} {'first page':>11} {'slowest change':>15} {'RSS':>9} {'peak RSS':>9}")
    for name, result in out["sources"].items():
        s = summary(result)
        print(f"{name:34} {s['first_page_s']:10.2f}s {s['slowest_filter_change_s'] or 0:14.2f}s "
              f"{s['rss_mb']:8.0f}M {s['peak_rss_mb']:8.0f}M")  # fmt: skip
    print("\npage (render / period change / area change, seconds, median):")
    for name, result in out["sources"].items():
        print(f"  {name}")
        for page, p in result["pages"].items():
            print(f"    {page:16} {p['render']:6.2f} {p['period']:6.2f} {p['area']:6.2f}")
        if result["errors"]:
            print(f"    errors: {result['errors']}")
    big, demo = out["sources"][out["big"]], out["sources"]["demo folder"]
    ratio = big["rss_mb"] / demo["rss_mb"]
    change = summary(big)["slowest_filter_change_s"] or 0.0
    for name, g in out.get("public_grid", {}).items():
        print(f"public view's blocks of months, {name}: {g['seconds']:.2f} s ({g['queries']} queries, "
              f"{g['blocks']} blocks)")  # fmt: skip
    print(f"\nmemory with {out['responses']:,} responses / demo folder: {ratio:.2f}x "
          f"(target <= {TARGET_MEMORY_RATIO}x): {'pass' if ratio <= TARGET_MEMORY_RATIO else 'FAIL'}")  # fmt: skip
    print(f"slowest filter change with {out['responses']:,} responses: {change:.2f} s "
          f"(target <= {TARGET_CHANGE_S} s): {'pass' if change <= TARGET_CHANGE_S else 'FAIL'}")  # fmt: skip


def measure(server: str, args: argparse.Namespace) -> dict[str, Any]:
    """Build both databases, then open each source in a fresh app process."""
    from cpdash.metrics import sql_build

    out: dict[str, Any] = {"machine": f"{platform.platform()}, {os.cpu_count()} cores", "steps_s": {}}
    began = time.perf_counter()

    def step(name: str) -> None:
        nonlocal began
        out["steps_s"][name] = round(time.perf_counter() - began, 1)
        say(f"{name}: {out['steps_s'][name]} s")
        began = time.perf_counter()

    if args.reuse:  # the databases a run on this server left
        demo, big = (server.rsplit("/", 1)[0] + "/" + name for name in ("cpdash_demo", "cpdash_big"))
        out["responses"] = count(big)
    else:
        demo, big = create_database(server, "cpdash_demo"), create_database(server, "cpdash_big")
        for url in (demo, big):
            import_demo(url)
            sql_build.build(url)
        step("demo imported twice, statistics tables built")
        out["responses"] = multiply(big, args.responses)
        step(f"responses copied to {out['responses']:,}")
        out["build_s"] = sql_build.build(big)
        step("statistics tables rebuilt")
    out["big"] = f"{out['responses']:,} responses in PostgreSQL"
    cache = Path(tempfile.mkdtemp(prefix="cpdash-sql-bench-"))
    run_worker(str(DEMO), cache / "folder", 1, [])  # the comments' scores cached, as in a running deployment
    sources = {"demo folder": str(DEMO), "demo in PostgreSQL": demo, out["big"]: big}
    out["sources"], out["public_grid"] = {}, {}
    for name, data in sources.items():
        if data != str(DEMO):
            out["public_grid"][name] = grid(data)
            say(f"{name}: the public view's blocks of months {out['public_grid'][name]}")
        say(f"{name}:")
        folder = "folder" if data == str(DEMO) else name.split()[-1]  # the folder's scores cached above
        out["sources"][name] = run_worker(data, cache / folder, args.runs, args.pages)
    step("measured")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    parser.add_argument("--server", help="a PostgreSQL URL whose server may get two new databases")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--reuse", action="store_true", help="with --server: measure the databases an earlier run left there"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.worker_out.write_text(json.dumps(worker(args.worker, args.cache, args.runs, args.pages)))
        return 0
    if args.server:
        out = measure(args.server, args)
    else:
        from postgres_support import postgres_cluster

        with postgres_cluster() as server:
            out = measure(server, args)
    report(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
