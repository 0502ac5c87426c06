"""A data set shaped like a department's real exports: a district event calendar (2021 to 2022) and a survey
vendor's published district trust scores, monthly from 2021 to 2026 (five years after the last event) with a
weekly city series in 2022, and no individual responses at all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import feature, square

DISTRICTS = {"D1": "Northside", "D2": "Riverbend", "D3": "Old Town", "D4": "Lakeview"}
FIRST_EVENT, LAST_EVENT = pd.Timestamp(2021, 1, 4), pd.Timestamp(2022, 12, 20)
LAST_SCORE = pd.Timestamp(2026, 12, 31)
PROGRAMS = ("Beat / community meeting", "Coffee with a Cop", "Youth mentorship")


def events() -> pd.DataFrame:
    """Weekly meetings in each district over two years (no attendance counted at a third of them)."""
    rows = []
    days = pd.date_range(FIRST_EVENT, LAST_EVENT, freq="7D")
    for d, district in enumerate(DISTRICTS):
        for i, day in enumerate(days):
            rows.append(
                {
                    "event_id": f"{district}-{i:03d}",
                    "start": f"{day + pd.Timedelta(days=d):%Y-%m-%d} 18:30",
                    "program": PROGRAMS[(i + d) % len(PROGRAMS)],
                    "area_id": district,
                    "title": f"District {district[1]} meeting",
                    "attendance": "" if i % 3 == 0 else str(10 + (i * 7 + d * 3) % 30),
                }
            )
    return pd.DataFrame(rows)


def area_scores() -> pd.DataFrame:
    """Monthly published trust per district and for the city (with n), and a weekly city series in 2022."""
    rng = np.random.default_rng(11)
    rows = []
    for start in pd.date_range("2021-01-01", LAST_SCORE, freq="MS"):
        end = start + pd.offsets.MonthEnd(0)
        for level, area, base in (
            ("city", "city", 57),
            *(("district", a, 50 + 3 * i) for i, a in enumerate(DISTRICTS)),
        ):
            rows.append(
                {
                    "period_start": f"{start:%Y-%m-%d}",
                    "period_end": f"{end:%Y-%m-%d}",
                    "level": level,
                    "area_id": area,
                    "metric": "trust",
                    "value": f"{base + rng.normal(0, 2):.1f}",
                    "n": str(400 if level == "city" else 90 + int(rng.integers(0, 20))),
                    "group": "",
                }
            )
    for start in pd.date_range("2022-01-03", "2022-12-26", freq="7D"):
        rows.append(
            {
                "period_start": f"{start:%Y-%m-%d}",
                "period_end": f"{start + pd.Timedelta(days=6):%Y-%m-%d}",
                "level": "city",
                "area_id": "city",
                "metric": "trust",
                "value": f"{56 + rng.normal(0, 3):.1f}",
                "n": str(100 + int(rng.integers(0, 20))),
                "group": "",
            }
        )
    return pd.DataFrame(rows)


def write(folder: Path) -> Path:
    """Write the calendar, the published scores and the district boundaries as a folder source."""
    folder.mkdir(parents=True, exist_ok=True)
    features = [
        feature({"area_id": a, "name": name, "level": "district", "population": 25_000 + 5_000 * i},
                square(-87.9 + 0.1 * i, 41.8))
        for i, (a, name) in enumerate(DISTRICTS.items())
    ]  # fmt: skip
    (folder / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    events().to_csv(folder / "events.csv", index=False)
    area_scores().to_csv(folder / "area_scores.csv", index=False)
    return folder
