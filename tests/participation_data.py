"""The small data set the Participation tests work their answers out on by hand, and a source over it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpdash.data.dataset import Dataset, LoadReport
from cpdash.data.schema import AGE_SHARE_COLUMNS
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters

D = dt.date
NAN = float("nan")
PERIOD = Filters(D(2025, 1, 1), D(2025, 3, 31))  # 90 days: the previous period is 3 Oct - 31 Dec 2024
SHARES_A = (0.2, 0.1, 0.2, 0.2, 0.2, 0.1)  # under 18, 18-24, 25-34, 35-49, 50-64, 65+
SHARES_B = (0.4, 0.1, 0.1, 0.1, 0.1, 0.2)
COFFEE, TOWN_HALL, SPORTS = "Coffee with a Cop", "Town hall", "Youth sports and activities"
NAMES = {"A": "Alder", "B": "Birch", "C": "Cedar"}


def areas_frame() -> pd.DataFrame:
    """Alder (10,000 residents), Birch (5,000) and Cedar (20,000, never an event, no age shares)."""
    frame = pd.DataFrame(
        {
            "area_id": ["A", "B", "C"],
            "name": ["Alder", "Birch", "Cedar"],
            "level": ["beat"] * 3,
            "population": [10_000.0, 5_000.0, 20_000.0],
        }
    )
    for i, column in enumerate(AGE_SHARE_COLUMNS.values()):
        frame[column] = [SHARES_A[i], SHARES_B[i], NAN]
    return frame


def event_frame(rows: list[tuple]) -> pd.DataFrame:
    """Events from (id, start, program, area, attendance, youth, hours, cost) tuples."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "event_id",
            "start",
            "program",
            "area_id",
            "attendance",
            "youth_attendance",
            "officer_hours",
            "cost",
        ],
    )
    frame["start"] = pd.to_datetime(frame["start"], format="ISO8601")
    for column in ("attendance", "youth_attendance", "officer_hours", "cost"):
        frame[column] = frame[column].astype("float64")
    return frame.sort_values("start").reset_index(drop=True)


def events_frame() -> pd.DataFrame:
    """Three events in Jan-Mar 2024, two in the previous period, five in Jan-Mar 2025 (one uncounted)."""
    return event_frame(
        [
            ("L1", "2024-01-15", COFFEE, "A", 100, 0, 2, 100),
            ("L2", "2024-02-15", COFFEE, "A", 100, 0, 2, 100),
            ("L3", "2024-03-15", TOWN_HALL, "B", 300, 0, 6, 900),
            ("P1", "2024-11-10", COFFEE, "A", 200, 20, 4, 200),
            ("P2", "2024-12-10", TOWN_HALL, "B", 400, 0, 10, 1000),
            ("C1", "2025-01-05 08:00", COFFEE, "A", 200, 20, 4, 100),
            ("C2", "2025-01-20 18:00", TOWN_HALL, "B", NAN, NAN, 6, 500),
            ("C3", "2025-02-14", SPORTS, "A", 300, 240, 6, 300),
            ("C4", "2025-03-01", SPORTS, "B", 500, 400, 8, 200),
            ("C5", "2025-03-31 20:00", COFFEE, "A", 100, NAN, 2, 50),
        ]
    )


def attendees_frame() -> pd.DataFrame:
    """Q1 at C1 and C3; Q2 at C1; Q3 at P1 (Nov 2024) and C5; Q4 at C4 (no age); one unknown event; a duplicate."""
    return pd.DataFrame(
        {
            "event_id": ["C1", "C3", "C1", "P1", "C5", "C4", "E999", "C1"],
            "participant_key": ["Q1", "Q1", "Q2", "Q3", "Q3", "Q4", "Q5", "Q1"],
            "age_group": ["18-24", "18-24", "65+", "under 18", "under 18", None, "25-34", "18-24"],
        }
    )


def source_of(
    events: pd.DataFrame, areas: pd.DataFrame | None = None, attendees: pd.DataFrame | None = None
) -> MemorySource:
    """The statistics source of a data set of these frames."""
    areas = areas_frame() if areas is None else areas
    return MemorySource(Dataset(events=events, areas=areas, report=LoadReport("test"), attendees=attendees))
