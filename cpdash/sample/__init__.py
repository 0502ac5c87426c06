"""Riverton, a synthetic sample city: a deterministic generator of every table of the data contract.

    python -m cpdash.sample --scale demo --seed 7 --out sample_data      # the committed demo data
    python -m cpdash.sample --scale city --seed 7 --out benchmarks/data   # the benchmark's city scale

The same scale and seed always give byte-identical files. Every person, place and event is invented; the
city sits on real coordinates only so that a street basemap looks right. The data carries the stories the
dashboard must reveal (see STORIES).

One module per concern, in the order `generate` runs them: `stories` (scales and stories), `places` (areas,
streets, venues), `programs` and `events`, `responses` (with `comments`), `concerns`, `attendees`,
`area_scores` (published scores), `output` (files and README); `helpers` holds the column-wise helpers and
`text` the phrase banks (`text.json`).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cpdash.sample.area_scores import _area_scores
from cpdash.sample.attendees import _attendees
from cpdash.sample.concerns import CONCERN_TOPICS, _concerns
from cpdash.sample.events import _events
from cpdash.sample.output import CITY_NAME, NOTICE, TABLE_NAMES, _command, _default_format, _readme, _write
from cpdash.sample.places import _areas_frame, _city, _geojson
from cpdash.sample.responses import CHANNELS, GENDERS, _responses, _targets
from cpdash.sample.stories import SCALES, STORIES, _stories

__all__ = ["CHANNELS", "CONCERN_TOPICS", "GENDERS", "SCALES", "STORIES", "generate", "main"]


def generate(
    scale: str = "demo", seed: int = 7, out: Path | None = None, fmt: str = "csv"
) -> dict[str, pd.DataFrame | dict]:
    """Tables, areas, areas_geojson, manifest and stories of the city at `scale`; written to `out` if given."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; choose csv or parquet")
    spec = SCALES[scale]
    rng = np.random.default_rng(seed)
    city = _city(spec, rng)
    targets = _targets(city, rng)
    events = _events(city, rng)
    responses = _responses(city, events, targets, rng)
    tables: dict[str, pd.DataFrame] = {
        "events": events.frame,
        "responses": responses.frame,
        "concerns": _concerns(city, events, rng),
    }
    if spec.attendees:
        tables["attendees"] = _attendees(city, events, rng)
    tables["area_scores"] = _area_scores(city, responses)
    areas = _areas_frame(city)
    stories = _stories(spec)
    manifest = {
        "synthetic": True,
        "name": CITY_NAME,
        "scale": scale,
        "seed": seed,
        "generated_by": _command(scale, seed, fmt),
        "notice": NOTICE,
    }
    geojson = _geojson(city, areas)
    if out is not None:
        _write(Path(out), tables, geojson, manifest, _readme(manifest, tables, len(areas), stories, fmt), fmt)
    return {**tables, "areas": areas, "areas_geojson": geojson, "manifest": manifest, "stories": stories}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate the sample city into a folder."""
    parser = argparse.ArgumentParser(prog="python -m cpdash.sample", description=main.__doc__)
    parser.add_argument("--scale", choices=tuple(SCALES), default="demo")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), help="csv (demo) or parquet (city) by default"
    )
    args = parser.parse_args(argv)
    fmt = args.format or _default_format(args.scale)
    began = time.perf_counter()
    result = generate(args.scale, args.seed, args.out, fmt)
    for name in TABLE_NAMES:
        if name in result:
            print(f"{name:12} {len(result[name]):>10,} rows")
    print(f"wrote {args.out} in {time.perf_counter() - began:.1f} s")
    return 0
