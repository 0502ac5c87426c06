"""The sample city written to a folder: tables, boundaries, manifest and a README."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

CITY_NAME = "Riverton (synthetic sample city)"
NOTICE = "Synthetic data: invented people, places and events for demonstration only."

TABLE_NAMES: tuple[str, ...] = ("events", "responses", "concerns", "attendees", "area_scores")


def _command(scale: str, seed: int, fmt: str) -> str:
    """The command line that regenerates a data set."""
    out = "sample_data" if scale == "demo" else "DIR"
    command = f"python -m cpdash.sample --scale {scale} --seed {seed} --out {out}"
    if fmt != _default_format(scale):
        command += f" --format {fmt}"
    return command


def _default_format(scale: str) -> str:
    """csv for the small scales, parquet for the city scale."""
    return "parquet" if scale == "city" else "csv"


def _readme(
    manifest: dict,
    tables: dict[str, pd.DataFrame],
    n_areas: int,
    stories: dict[str, dict[str, object]],
    fmt: str,
) -> str:
    """The README.md written next to the data."""
    youth, falling = stories["youth_program"], stories["falling_trust"]
    none, costly = stories["no_engagement"], stories["costly_program"]
    lines = [
        f"# {manifest['name']}",
        "",
        f"**{NOTICE}** Riverton does not exist; its areas are drawn on real coordinates only so that a",
        "street basemap looks right. Names, addresses, phone numbers and e-mail addresses are made up.",
        "",
        "Regenerate it (same scale and seed give byte-identical files):",
        "",
        f"    {manifest['generated_by']}",
        "",
        "| file | rows |",
        "|---|---|",
        *(f"| `{name}.{fmt}` | {len(frame):,} |" for name, frame in tables.items()),
        f"| `areas.geojson` | {n_areas:,} area boundaries |",
        "",
        "Stories the data tells:",
        "",
        f"- **Youth program**: {youth['program']} starts in {youth['name']} (`{youth['area_id']}`) on {youth['start']};"
        f" trust rises from about {youth['trust_before']:.0f} to {youth['trust_after']:.0f} over the next 12 months.",
        f"- **Falling trust**: in {falling['name']} (`{falling['area_id']}`) trust falls from about"
        f" {falling['trust_before']:.0f} to {falling['trust_after']:.0f} from {falling['start']}, and open concerns pile up.",
        f"- **No engagement**: {none['name']} (`{none['area_id']}`) has no events at all, but residents answer surveys"
        " and raise concerns.",
        f"- **Costly program**: {costly['program']} costs about ${costly['cost_per_attendee']} per attendee,"
        " several times any other program.",
        "",
    ]
    return "\n".join(lines)


def _write(
    out: Path,
    tables: dict[str, pd.DataFrame],
    geojson: dict,
    manifest: dict,
    readme: str,
    fmt: str,
) -> None:
    """Write the tables, boundaries, manifest and README into `out` (replacing earlier table files)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLE_NAMES:
        for suffix in (".csv", ".parquet"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        else:
            frame.to_parquet(out / f"{name}.parquet", index=False)
    (out / "areas.geojson").write_text(json.dumps(geojson, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(readme, encoding="utf-8")
