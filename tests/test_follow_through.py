"""The "You said, we did" figures on a hand-built set of concerns with known answers.

Period: 1 Jan – 31 Mar 2026 (90 days); the previous period is 3 Oct – 31 Dec 2025.

| id | area | topic   | raised     | status      | resolved   | what it tests                            |
|----|------|---------|------------|-------------|------------|------------------------------------------|
| C1 | A    | noise   | 2026-01-05 | resolved    | 2026-02-04 | resolved in the period after 30 days     |
| C2 | A    | noise   | 2026-02-10 | open        |            | open at the end, 49 days waited          |
| C3 | A    | traffic | 2026-03-01 | resolved    | 2026-04-15 | resolved after the end: open at the end  |
| C4 | B    | traffic | 2026-01-20 | declined    | 2026-03-01 | declined in the period                   |
| C5 | B    | lighting| 2025-11-01 | in progress |            | open at both ends, in progress, 150 days |
| C6 | B    | lighting| 2026-01-15 | resolved    | (missing)  | closed without a date                    |
| C7 | A    | noise   | (missing)  | open        |            | no raised date: counted nowhere          |
| C8 | A    | traffic | 2025-12-01 | resolved    | 2025-12-20 | resolved in the previous period          |
| C9 | B    | noise   | 2025-10-10 | resolved    | 2026-01-10 | raised before, resolved in the period    |

One event on 1 Oct 2025 makes the data begin before the previous period, so that changes are shown.
The figures come from the metrics engine (an in-memory source); the lists from the same definitions.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from cpdash.data.dataset import Dataset, LoadReport
from cpdash.metrics import follow_through
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import LAST_YEAR, Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import concerns as lists
from cpdash.views import you_said as ys

PERIOD = Filters(date(2026, 1, 1), date(2026, 3, 31))
NAMES = {"A": "Northside", "B": "Southside"}
STAFF, PUBLIC = Policy(10), Policy(10, public=True)
ROWS = [
    ("C1", "A", "noise", "2026-01-05", "resolved", "2026-02-04", "Loud bar, call me at 555-123-4567", "Licence reviewed"),
    ("C2", "A", "noise", "2026-02-10", "open", None, "Music at night", None),
    ("C3", "A", "traffic", "2026-03-01", "resolved", "2026-04-15", "Speeding on Elm St", "Speed hump"),
    ("C4", "B", "traffic", "2026-01-20", "declined", "2026-03-01", "Close the road", "Not possible: bus route"),
    ("C5", "B", "lighting", "2025-11-01", "in progress", None, "Dark alley", None),
    ("C6", "B", "lighting", "2026-01-15", "resolved", None, "Broken lamp", "Lamp fixed"),
    ("C7", "A", "noise", None, "open", None, "Barking", None),
    ("C8", "A", "traffic", "2025-12-01", "resolved", "2025-12-20", "Stop sign", "Sign replaced"),
    ("C9", "B", "noise", "2025-10-10", "resolved", "2026-01-10", "Fireworks", "Patrols at night"),
]  # fmt: skip


@pytest.fixture
def concerns() -> pd.DataFrame:
    """The nine concerns above, typed as the loader types them."""
    frame = pd.DataFrame(
        ROWS, columns=["concern_id", "area_id", "topic", "raised", "status", "resolved", "summary", "action"]
    )
    for column in ("raised", "resolved"):
        frame[column] = pd.to_datetime(frame[column])
    for column in ("concern_id", "area_id", "topic", "status", "summary", "action"):
        frame[column] = frame[column].astype("string")
    return frame


def source(concerns: pd.DataFrame | None) -> MemorySource:
    """The statistics source of a data set with these concerns, two areas and one early event."""
    events = pd.DataFrame(
        {
            "event_id": ["E1"],
            "start": pd.to_datetime(["2025-10-01"]),
            "program": ["Town hall"],
            "area_id": ["A"],
        }
    ).astype({"event_id": "string", "program": "string", "area_id": "string"})
    areas = pd.DataFrame({"area_id": ["A", "B"], "name": ["Northside", "Southside"]})
    return MemorySource(Dataset(events=events, areas=areas, report=LoadReport("test"), concerns=concerns))


@pytest.fixture
def src(concerns: pd.DataFrame) -> MemorySource:
    return source(concerns)


def test_follow_through_this_period_and_the_previous(src: MemorySource, concerns: pd.DataFrame):
    before = concerns.copy()
    now, prev = (
        follow_through.follow_through(src, PERIOD),
        follow_through.follow_through(src, PERIOD.previous()),
    )
    assert (now.raised, now.resolved, now.declined, now.open_at_end) == (5, 2, 1, 3)
    assert now.in_progress_at_end == 1  # C5
    assert now.missing_resolved_date == 1
    assert now.median_days_to_resolve == 61  # C1 after 30 days, C9 after 92
    assert now.eligible_90 == 0 and math.isnan(now.share_resolved_within_90)
    assert (prev.raised, prev.resolved, prev.open_at_end) == (3, 1, 2)  # open on 31 Dec: C5 and C9
    assert prev.median_days_to_resolve == 19
    pd.testing.assert_frame_equal(concerns, before)


def test_concern_rows_are_the_row_level_twin_of_the_figures(src: MemorySource, concerns: pd.DataFrame):
    for f in (PERIOD, PERIOD.previous(), PERIOD.with_areas(("B",))):
        rows = follow_through.concern_rows(concerns, f)
        figures = follow_through.follow_through(src, f)
        for name in follow_through.CONCERN_STATS:
            assert int(rows[follow_through.FLAGS[name]].sum()) == getattr(figures, name), (f, name)
    assert "C7" not in set(follow_through.concern_rows(concerns, PERIOD)["concern_id"])  # no raised date
    ready = follow_through.concern_table(concerns)  # made once per data set by the app
    pd.testing.assert_frame_equal(
        follow_through.concern_rows(ready, PERIOD), follow_through.concern_rows(concerns, PERIOD)
    )
    assert lists.backlog(ready, PERIOD, NAMES)["concern_id"].tolist() == ["C5", "C2", "C3"]


def test_status_by_area(src: MemorySource):
    table = ys.status_table(src, PERIOD, "area_id", NAMES).set_index("area_id")
    assert list(table.index) == ["A", "B"]  # most concerns first
    a, b = table.loc["A"], table.loc["B"]
    assert a["label"] == "Northside"
    assert (a["raised"], a["resolved"], a["declined"], a["open_at_end"]) == (3, 1, 0, 2)
    assert (a["in_progress"], a["open"]) == (0, 2)  # C3 was resolved only after the end: open then
    assert (b["raised"], b["resolved"], b["declined"], b["open_at_end"]) == (2, 1, 1, 1)
    assert (b["in_progress"], b["open"]) == (1, 0)
    assert a["open_at_end_prev"] == 0 and b["open_at_end_prev"] == 2
    assert b["median_days_to_resolve"] == 92 and a["median_days_prev"] == 19


def test_status_by_topic(src: MemorySource):
    table = ys.status_table(src, PERIOD, "topic", NAMES).set_index("topic")
    assert table.loc["noise", ["raised", "resolved", "open_at_end"]].tolist() == [
        2,
        2,
        1,
    ]  # C7 counts nowhere
    assert table.loc["traffic", ["raised", "declined", "open", "in_progress"]].tolist() == [2, 1, 1, 0]
    assert table.loc["lighting", ["raised", "resolved", "in_progress"]].tolist() == [1, 0, 1]
    assert table.loc["noise", "label"] == "noise"


def test_status_view_names_columns_for_people(src: MemorySource):
    group = ys.by_group(src, PERIOD, "Area", NAMES)
    view = group.view
    assert view.columns[0] == "Area"
    assert view["Area"].tolist() == ["Northside", "Southside"]
    assert view["Still open, compared period"].tolist() == [0, 2]
    assert view.columns.is_unique
    assert ys.by_group(src, PERIOD, "Topic", NAMES).view.columns[0] == "Topic"


def test_the_compared_period_can_be_last_year(src: MemorySource):
    table = ys.status_table(src, PERIOD, "area_id", NAMES, LAST_YEAR).set_index("area_id")
    assert table["open_at_end_prev"].tolist() == [0, 0]  # nothing was raised by 31 Mar 2025
    top = ys.summary(src, PERIOD, STAFF, LAST_YEAR)
    assert "the same period last year (1 Jan 2025 – 31 Mar 2025)" in top.intro
    assert {card.delta for card in top.cards} == {None}  # the data begins after 1 Jan 2025
    assert any("No change is shown" in note for note in top.notes)


def test_backlog_is_oldest_first_with_status_at_the_end(concerns: pd.DataFrame):
    backlog = lists.backlog(concerns, PERIOD, NAMES)
    assert backlog["concern_id"].tolist() == ["C5", "C2", "C3"]
    assert backlog["days_open"].tolist() == [150, 49, 30]
    assert backlog["status"].tolist() == ["in progress", "open", "open"]
    assert backlog["area"].tolist() == ["Southside", "Northside", "Northside"]


def test_the_backlog_counts_what_the_figures_count(src: MemorySource, concerns: pd.DataFrame):
    backlog = ys.still_open(concerns, PERIOD, NAMES)
    figures = follow_through.follow_through(src, PERIOD)
    assert len(backlog.rows) == figures.open_at_end
    assert int((backlog.rows["status"] == lists.IN_PROGRESS).sum()) == figures.in_progress_at_end


def test_backlog_ages_put_each_wait_in_one_bucket(concerns: pd.DataFrame):
    ages = lists.backlog_ages(lists.backlog(concerns, PERIOD, {})).set_index("age")["concerns"]
    assert ages.to_dict() == {
        "Up to 1 month": 1,  # 30 days: the boundary belongs to the first bucket
        "1–3 months": 1,
        "3–6 months": 1,
        "6–12 months": 0,
        "Over a year": 0,
    }


def test_backlog_view_redacts_what_residents_said(concerns: pd.DataFrame):
    frame = concerns.copy()
    frame.loc[frame["concern_id"] == "C2", "summary"] = "Music at night, write to me at jo@example.com"
    view = lists.backlog_view(lists.backlog(frame, PERIOD, {}), limit=2)
    assert len(view) == 2
    assert view["What residents said"].tolist()[1] == "Music at night, write to me at [email]"


def test_summaries_are_redacted_once_per_data_set(concerns: pd.DataFrame, monkeypatch: pytest.MonkeyPatch):
    """The concerns made ready once carry their redacted summaries: a new period redacts nothing again."""
    frame = concerns.copy()
    frame.loc[frame["concern_id"] == "C2", "summary"] = "Music at night, write to me at jo@example.com"
    calls: list[int] = []
    real = lists.redact_series

    def counted(values: pd.Series, *args) -> pd.Series:
        calls.append(len(values))
        return real(values, *args)

    monkeypatch.setattr(lists, "redact_series", counted)
    table = lists.ready(frame)
    assert calls == [len(frame)]
    public = frozenset({"A"})
    for f in (
        PERIOD,
        Filters(date(2026, 2, 1), date(2026, 3, 31)),
        Filters(PERIOD.start, PERIOD.end, ("B",)),
    ):
        for texts in (None, public):
            kept = lists.backlog(table, f, NAMES, texts)
            assert len(calls) == 1
            pd.testing.assert_frame_equal(kept, lists.backlog(frame, f, NAMES, texts))  # redacts here
            del calls[1:]
    said = lists.backlog(table, PERIOD, NAMES)["summary"].tolist()
    assert "Music at night, write to me at [email]" in said


def test_area_filter_applies(src: MemorySource, concerns: pd.DataFrame):
    only_b = Filters(PERIOD.start, PERIOD.end, ("B",))
    assert lists.backlog(concerns, only_b, {})["concern_id"].tolist() == ["C5"]
    assert ys.status_table(src, only_b, "area_id", NAMES)["area_id"].tolist() == ["B"]
    assert follow_through.follow_through(src, only_b).raised == 2


def test_resolved_cards_pair_what_was_said_with_what_was_done(concerns: pd.DataFrame):
    cards, total = lists.resolved_cards(concerns, PERIOD, NAMES)
    assert total == 2
    assert [c.concern_id for c in cards] == ["C1", "C9"]  # most recently resolved first
    first = cards[0]
    assert first.said == "Loud bar, call me at [phone]"
    assert first.did == "Licence reviewed"
    assert (first.raised, first.resolved, first.days) == (date(2026, 1, 5), date(2026, 2, 4), 30)
    assert first.area == "Northside"
    limited, total = lists.resolved_cards(concerns, PERIOD, NAMES, limit=1)
    assert len(limited) == 1 and total == 2
    assert lists.resolved_cards(concerns, PERIOD, NAMES, topic="traffic") == ([], 0)
    frame = lists.cards_frame(cards)
    assert frame["You said"].tolist()[0] == "Loud bar, call me at [phone]"
    done = ys.resolved(concerns, PERIOD, NAMES, "noise")
    assert done.total == 2 and ys.resolved_frame(concerns, PERIOD, NAMES, "noise")["Concern"].tolist() == [
        "C1",
        "C9",
    ]


def test_kpis_compare_with_the_previous_period(src: MemorySource):
    top = ys.summary(src, PERIOD, STAFF)
    cards = {card.key: card for card in top.cards}
    assert (cards["raised"].value, cards["raised"].delta) == ("5", "+2 (+67 %)")
    assert (cards["open"].value, cards["open"].delta) == ("3", "+1 (+50 %)")
    assert cards["open"].inverse and cards["median_days"].inverse
    assert (cards["median_days"].value, cards["median_days"].delta) == ("61", "+42 days")
    assert cards["within_90"].value == "—" and cards["within_90"].delta is None
    assert "cannot be told yet" in cards["within_90"].note
    assert "Compared period (3 Oct 2025 – 31 Dec 2025): 3." in cards["raised"].help
    assert top.topics == [ys.ALL_TOPICS, "lighting", "noise", "traffic"]
    assert top.downloads and not ys.summary(src, PERIOD, PUBLIC).downloads  # no row-level CSV in public


def test_notes_say_what_is_missing(src: MemorySource, concerns: pd.DataFrame):
    note = ys.missing_dates_note(follow_through.follow_through(src, PERIOD))
    assert note.startswith("1 concern is marked resolved or declined without a date")
    bare = source(concerns[["concern_id", "raised", "area_id", "topic"]])
    text = ys.missing_columns_note(bare)
    for column in ("status", "resolved", "action", "summary"):
        assert f"`{column}`" in text
    assert ys.missing_columns_note(src) is None


def test_without_optional_columns_every_raised_concern_stays_open(concerns: pd.DataFrame):
    bare = concerns[["concern_id", "raised", "area_id", "topic"]]
    assert lists.backlog(bare, PERIOD, {})["status"].tolist() == ["open"] * 8  # C7 has no raised date
    assert lists.resolved_cards(bare, PERIOD, {}) == ([], 0)
    table = ys.status_table(source(bare), PERIOD, "topic", {})
    assert table["resolved"].sum() == 0 and table["in_progress"].sum() == 0


def test_empty_and_absent_concerns(concerns: pd.DataFrame):
    for frame in (None, concerns.iloc[0:0]):
        src = source(frame)
        assert ys.status_table(src, PERIOD, "area_id", {}).empty
        assert lists.backlog(frame, PERIOD, {}).empty
        assert lists.resolved_cards(frame, PERIOD, {}) == ([], 0)
        assert follow_through.follow_through(src, PERIOD).raised == 0
        assert not ys.summary(src, PERIOD, STAFF).available
    assert lists.backlog_ages(lists.backlog(None, PERIOD, {}))["concerns"].sum() == 0
    assert ys.topics(source(concerns)) == ["lighting", "noise", "traffic"]


def test_resolved_cards_most_recently_resolved_first_then_raised(concerns: pd.DataFrame):
    extra = pd.DataFrame(
        [
            ("C10", "A", "noise", "2026-02-01", "resolved", "2026-03-01", "Early", "Done"),
            ("C11", "A", "noise", "2026-02-15", "resolved", "2026-03-01", "Late", "Done"),
        ],
        columns=concerns.columns,
    ).astype({"raised": "datetime64[ns]", "resolved": "datetime64[ns]"})
    frame = pd.concat([concerns, extra.astype(concerns.dtypes.to_dict())], ignore_index=True)
    every, total = lists.resolved_cards(lists.ready(frame), PERIOD, NAMES, limit=None)
    assert [c.concern_id for c in every] == ["C11", "C10", "C1", "C9"] and total == 4
    first, total = lists.resolved_cards(lists.ready(frame), PERIOD, NAMES, limit=2)
    assert [c.concern_id for c in first] == ["C11", "C10"] and total == 4


def test_medians_per_group_are_the_medians_of_the_repeated_values():
    """Every group's weighted median at once: the median of its values repeated by their counts."""
    import numpy as np

    rng = np.random.default_rng(7)
    for trial in range(400):
        size, n = int(rng.integers(1, 8)), int(rng.integers(0, 25))
        group, values = rng.integers(0, size, n), rng.integers(0, 6, n).astype("float64")
        weights = rng.integers(1, 4, n).astype("float64") if trial % 2 else np.ones(n)
        got = follow_through.medians(group, values, weights, size)
        for code in range(size):
            mine = group == code
            want = np.median(np.repeat(values[mine], weights[mine].astype(int))) if mine.any() else np.nan
            assert (np.isnan(want) and np.isnan(got[code])) or got[code] == want, (trial, code)
