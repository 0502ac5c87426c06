"""How long the town-hall exports take: a Chromium started per export against one kept warm.

    .venv/bin/python benchmarks/exports.py --runs 5 --json benchmarks/out/exports.json

On the sample data (the area with the most events, the last three full months, public-safe), each of
the chart PNG, the PDF and the ZIP is made `--runs` times:

- "a browser per export": no renderer, so each export starts Chromium, loads plotly.js and stops it, which is
  what every export did before the server kept one Chromium (cpdash.ui.get_chromium);
- "kept warm": one `Chromium` shared by every export, as the server does; its first export (the browser
  started and plotly.js loaded) is shown apart, the rest are the median.

Times are wall-clock seconds on this machine; compare runs on the same machine (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpdash.data.load import load_dataset  # noqa: E402
from cpdash.export import pack  # noqa: E402
from cpdash.export.chromium import Chromium  # noqa: E402
from cpdash.metrics.memory import MemorySource  # noqa: E402
from cpdash.metrics.periods import Filters  # noqa: E402
from cpdash.metrics.suppression import Policy  # noqa: E402
from cpdash.views import town_hall as th  # noqa: E402

K = 10


def sample_town_hall(data: Path) -> th.TownHall:
    """The public-safe town hall of the sample's busiest area over the last three full months."""
    with tempfile.TemporaryDirectory() as cache:
        ds = load_dataset(data, cache_dir=Path(cache))
    area = str(ds.events["area_id"].value_counts().index[0])
    month = pd.Timestamp(ds.events["start"].max()).to_period("M").start_time  # the last, partial month
    start, end = month - pd.DateOffset(months=3), month - pd.Timedelta(days=1)
    return th.build(MemorySource(ds), ds, area, Filters(start.date(), end.date()), Policy(K, public=True))


def timed(make: Callable[[], bytes]) -> float:
    """Seconds one export takes."""
    begin = time.perf_counter()
    make()
    return time.perf_counter() - begin


def measure(town_hall: th.TownHall, runs: int) -> dict:
    """Every export's times, a browser per export and kept warm."""
    fig = next(fig for section in town_hall.sections for _, fig in section.charts)
    exports: dict[str, Callable[[Chromium | None], bytes]] = {
        "chart PNG": lambda renderer: pack.chart_png(fig, renderer),
        "PDF": lambda renderer: pack.pack_pdf(town_hall, None, renderer),
        "ZIP": lambda renderer: pack.pack_zip(town_hall, None, renderer),
    }
    out: dict = {"charts": pack.chart_count(town_hall), "runs": runs, "exports": {}}
    with Chromium() as warm:
        out["first export"] = timed(
            lambda: exports["chart PNG"](warm)
        )  # the browser started, plotly.js loaded
        for name, make in exports.items():
            alone = [timed(lambda make=make: make(None)) for _ in range(runs)]
            kept = [timed(lambda make=make: make(warm)) for _ in range(runs)]
            out["exports"][name] = {
                "a browser per export": statistics.median(alone),
                "kept warm": statistics.median(kept),
            }
            print(f"{name}: {out['exports'][name]}", file=sys.stderr)
        out["launches"] = warm.launches
    return out


def table(result: dict) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"Seconds, median of {result['runs']}; a pack of {result['charts']} charts; the kept Chromium was "
        f"started {result['launches']} time(s) in all, its first export (a PNG) took {result['first export']:.1f} s; "
        f"load average {result['load_average'][0]:.1f}.",
        "",
        "| export | a browser per export | kept warm |",
        "|---|---|---|",
    ]
    for name, row in result["exports"].items():
        lines.append(f"| {name} | {row['a browser per export']:.1f} | {row['kept warm']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="exports of each kind (median)")
    parser.add_argument("--data", type=Path, default=ROOT / "sample_data")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args(argv)
    result = measure(sample_town_hall(args.data), args.runs)
    result["load_average"] = os.getloadavg()
    print(table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
