"""The rough edges a real user hit, each checked where it is decided (the browser tier checks the rest)."""

from __future__ import annotations

from datetime import date

import pytest

from cpdash.config import DEFAULT_DATA
from cpdash.data.database import filtered_rows
from cpdash.data.load import load_dataset
from cpdash.metrics.periods import Filters


@pytest.fixture(scope="module")
def sample():
    return load_dataset(str(DEFAULT_DATA))


def test_the_attendees_download_follows_the_filters(sample) -> None:
    """One area and a period: the attendees of that area's events in the period, not all 40,161 rows."""
    area = sample.areas["area_id"].iloc[0]
    f = Filters(date(2025, 11, 1), date(2026, 10, 31), (area,), ())
    rows = filtered_rows(str(DEFAULT_DATA), sample, "attendees", f)
    events = filtered_rows(str(DEFAULT_DATA), sample, "events", f)
    assert 0 < len(rows) < len(sample.attendees)
    assert set(rows["event_id"]) <= set(events["event_id"])
    expected = sample.attendees[sample.attendees["event_id"].isin(events["event_id"])]
    assert len(rows) == len(expected)
    program = sorted(set(sample.events["program"]))[0]
    only = filtered_rows(str(DEFAULT_DATA), sample, "attendees", Filters(f.start, f.end, (), (program,)))
    chosen = set(sample.events.loc[sample.events["program"] == program, "event_id"])
    assert set(only["event_id"]) <= chosen
