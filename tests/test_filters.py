"""The shared filters: periods, the previous period, and the rows they select."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cpdash.data.dataset import Dataset, LoadReport
from cpdash.data.filters import (
    data_bounds,
    describe,
    rows_in_period,
    select,
)
from cpdash.metrics.periods import Filters, default_period

D = date


def events_frame(sort: bool) -> pd.DataFrame:
    """Events on the edges of March 2025 (with times), sorted by start or shuffled."""
    frame = pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
            "start": pd.to_datetime(
                [
                    "2025-02-28 23:59:59",
                    "2025-03-01 00:00",
                    "2025-03-15 12:00",
                    "2025-03-31 23:59:59",
                    "2025-04-01 00:00",
                    "2025-03-31 00:00",
                ],
                format="ISO8601",
            ),
            "area_id": ["A", "A", "B", "C", "A", "B"],
            "program": ["Town hall", "Block party", "Town hall", "Town hall", "Block party", "Other"],
        }
    )
    if sort:
        return frame.sort_values("start").reset_index(drop=True)
    return frame.iloc[[4, 2, 0, 5, 3, 1]].reset_index(drop=True)


MARCH = Filters(D(2025, 3, 1), D(2025, 3, 31))

# --- Filters ---------------------------------------------------------------------------------------


def test_days_counts_both_ends() -> None:
    assert MARCH.days == 31
    assert Filters(D(2025, 3, 1), D(2025, 3, 1)).days == 1


@pytest.mark.parametrize(
    ("start", "end", "previous_start", "previous_end"),
    [
        (D(2025, 3, 1), D(2025, 3, 31), D(2025, 1, 29), D(2025, 2, 28)),
        (D(2025, 1, 1), D(2025, 12, 31), D(2024, 1, 2), D(2024, 12, 31)),  # 365 days, not "2024"
        (D(2024, 3, 1), D(2024, 3, 1), D(2024, 2, 29), D(2024, 2, 29)),
        (D(2025, 1, 1), D(2025, 1, 7), D(2024, 12, 25), D(2024, 12, 31)),
    ],
)
def test_previous_has_equal_length_and_ends_the_day_before(
    start: date, end: date, previous_start: date, previous_end: date
) -> None:
    current = Filters(start, end, ("A",), ("Town hall",))
    before = current.previous()
    assert (before.start, before.end) == (previous_start, previous_end)
    assert before.days == current.days
    assert (current.start - before.end).days == 1
    assert before.areas == ("A",) and before.programs == ("Town hall",)


def test_filters_are_hashable_values() -> None:
    assert Filters(D(2025, 1, 1), D(2025, 1, 2)) == Filters(D(2025, 1, 1), D(2025, 1, 2))
    assert len({MARCH, Filters(D(2025, 3, 1), D(2025, 3, 31))}) == 1


# --- default_period and data_bounds ----------------------------------------------------------------


def test_default_period_is_the_last_twelve_months() -> None:
    assert default_period(D(2020, 1, 1), D(2025, 12, 31)) == (D(2025, 1, 1), D(2025, 12, 31))
    assert default_period(D(2020, 1, 1), D(2025, 6, 15)) == (D(2024, 6, 16), D(2025, 6, 15))


def test_default_period_with_less_data_is_all_of_it() -> None:
    assert default_period(D(2025, 3, 10), D(2025, 9, 30)) == (D(2025, 3, 10), D(2025, 9, 30))


def test_default_period_months() -> None:
    assert default_period(D(2020, 1, 1), D(2025, 3, 31), months=3) == (D(2025, 1, 1), D(2025, 3, 31))


def _dataset(events: pd.DataFrame, responses: pd.DataFrame | None = None) -> Dataset:
    return Dataset(
        events=events, areas=pd.DataFrame({"area_id": []}), report=LoadReport("test"), responses=responses
    )


def test_data_bounds_spans_every_dated_table() -> None:
    responses = pd.DataFrame({"submitted": pd.to_datetime(["2024-12-30 10:00", None], format="ISO8601")})
    assert data_bounds(_dataset(events_frame(False), responses)) == (D(2024, 12, 30), D(2025, 4, 1))


def test_data_bounds_without_data_is_today() -> None:
    empty = pd.DataFrame({"start": pd.Series(dtype="datetime64[ns]")})
    assert data_bounds(_dataset(empty)) == (date.today(), date.today())


# --- rows_in_period --------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", [True, False])
def test_rows_in_period_is_inclusive_by_day(sort: bool) -> None:
    rows = rows_in_period(events_frame(sort), "start", D(2025, 3, 1), D(2025, 3, 31))
    assert sorted(rows["event_id"]) == ["E2", "E3", "E4", "E6"]


def test_rows_in_period_same_for_sorted_and_unsorted_frames() -> None:
    for start, end in [
        (D(2025, 3, 1), D(2025, 3, 31)),
        (D(2025, 3, 31), D(2025, 4, 1)),
        (D(2025, 2, 28), D(2025, 2, 28)),
    ]:
        by_sorted = rows_in_period(events_frame(True), "start", start, end)
        by_unsorted = rows_in_period(events_frame(False), "start", start, end)
        assert sorted(by_sorted["event_id"]) == sorted(by_unsorted["event_id"])
    assert sorted(
        rows_in_period(events_frame(False), "start", D(2025, 3, 31), D(2025, 3, 31))["event_id"]
    ) == [
        "E4",
        "E6",
    ]


def test_rows_in_period_single_day_and_empty_results() -> None:
    frame = events_frame(True)
    assert rows_in_period(frame, "start", D(2025, 2, 28), D(2025, 2, 28))["event_id"].tolist() == ["E1"]
    assert rows_in_period(frame, "start", D(2026, 1, 1), D(2026, 12, 31)).empty
    assert rows_in_period(frame.iloc[:0], "start", D(2025, 1, 1), D(2025, 12, 31)).empty


def test_rows_in_period_one_row() -> None:
    one = events_frame(True).iloc[[2]]
    assert rows_in_period(one, "start", D(2025, 3, 15), D(2025, 3, 15))["event_id"].tolist() == ["E3"]
    assert rows_in_period(one, "start", D(2025, 3, 16), D(2025, 3, 31)).empty


def test_rows_in_period_skips_missing_dates() -> None:
    frame = pd.DataFrame(
        {"d": pd.to_datetime([None, "2025-03-02", "2025-03-01"], format="ISO8601"), "x": [1, 2, 3]}
    )
    assert sorted(rows_in_period(frame, "d", D(2025, 3, 1), D(2025, 3, 31))["x"]) == [2, 3]


def test_rows_in_period_does_not_change_the_frame() -> None:
    frame = events_frame(False)
    copy = frame.copy(deep=True)
    rows_in_period(frame, "start", D(2025, 3, 1), D(2025, 3, 31))
    pd.testing.assert_frame_equal(frame, copy)


# --- select, describe -----------------------------------------------------------------


def test_select_by_period_and_areas() -> None:
    f = Filters(D(2025, 3, 1), D(2025, 3, 31), areas=("A", "B"))
    rows = select(events_frame(False), f, "start")
    assert sorted(rows["event_id"]) == ["E2", "E3", "E6"]


def test_select_by_programs_only_when_asked() -> None:
    f = Filters(D(2025, 3, 1), D(2025, 3, 31), programs=("Town hall",))
    assert sorted(select(events_frame(True), f, "start", by_program=True)["event_id"]) == ["E3", "E4"]
    assert len(select(events_frame(True), f, "start")) == 4  # responses have no program: not filtered


def test_select_without_date_column_or_frame() -> None:
    f = Filters(D(2030, 1, 1), D(2030, 1, 31), areas=("C",))
    assert select(events_frame(True), f, None)["event_id"].tolist() == ["E4"]
    assert select(None, f, "start") is None


def test_select_ignores_filters_on_columns_a_table_does_not_have() -> None:
    frame = pd.DataFrame({"start": pd.to_datetime(["2025-03-02"]), "n": [1]})
    f = Filters(D(2025, 3, 1), D(2025, 3, 31), areas=("A",), programs=("Other",))
    assert select(frame, f, "start", by_program=True)["n"].tolist() == [1]


def test_describe() -> None:
    names = {"A": "Alder", "B": "Birch", "C": "Cedar", "D": "Dogwood"}
    assert describe(MARCH, names) == "1 Mar 2025 – 31 Mar 2025 · all areas · all programs"
    some = Filters(D(2025, 1, 5), D(2025, 2, 9), areas=("A", "X"), programs=("Town hall", "Block party"))
    assert describe(some, names) == "5 Jan 2025 – 9 Feb 2025 · Alder, X · Town hall, Block party"
    many = Filters(D(2025, 1, 5), D(2025, 2, 9), areas=("A", "B", "C", "D"), programs=("a", "b", "c"))
    assert describe(many, names) == "5 Jan 2025 – 9 Feb 2025 · 4 areas · 3 programs"


def test_rows_in_period_large_sorted_frame_matches_a_mask() -> None:
    rng = np.random.default_rng(7)
    stamps = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 730 * 86400, 5000), unit="s")
    shuffled = pd.DataFrame({"d": stamps, "i": np.arange(5000)})
    ordered = shuffled.sort_values("d").reset_index(drop=True)
    start, end = D(2024, 7, 1), D(2024, 9, 30)
    expected = shuffled[(shuffled["d"] >= "2024-07-01") & (shuffled["d"] < "2024-10-01")]
    assert sorted(rows_in_period(ordered, "d", start, end)["i"]) == sorted(expected["i"])
    assert sorted(rows_in_period(shuffled, "d", start, end)["i"]) == sorted(expected["i"])
