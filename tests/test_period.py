"""The data's real extent: the period picker spans every dated table, and a link to a period outside the
data says so instead of being reset in silence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests import published_only
from tests.walk import open_app

pytestmark = pytest.mark.apptest


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calendar of 2021-2022 and published scores to the end of 2026."""
    return published_only.write(tmp_path_factory.mktemp("extent") / "published")


def _period(at) -> tuple[dt.date, dt.date]:
    return at.session_state["page_context"].filters.start, at.session_state["page_context"].filters.end


def test_the_picker_spans_the_published_scores(env, source: Path) -> None:
    env(source)
    at = open_app("pages/overview.py")
    picker = at.date_input(key="filter_period")
    assert picker.proto.min == "2021-01-01"
    assert picker.proto.max == "2026-12-31"
    assert _period(at) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))  # the last twelve months of any data


def test_a_link_to_years_with_only_published_scores_opens_them(env, source: Path) -> None:
    env(source)
    at = open_app("pages/overview.py", {"filter_period": ["2024-01-01", "2024-12-31"]})
    assert _period(at) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert not at.warning, [w.value for w in at.warning]
    trust = next(m for m in at.metric if m.label.startswith("Trust score"))
    assert trust.value != "—"  # the published figure of December 2024


def test_a_link_reaching_past_the_data_shows_the_overlap_and_says_so(env, source: Path) -> None:
    env(source)
    at = open_app("pages/overview.py", {"filter_period": ["2026-06-01", "2027-05-31"]})
    assert _period(at) == (dt.date(2026, 6, 1), dt.date(2026, 12, 31))
    assert any("The link asked for 1 Jun 2026 – 31 May 2027" in w.value for w in at.warning)


def test_a_link_to_a_period_with_no_data_at_all_says_so(env, source: Path) -> None:
    env(source)
    at = open_app("pages/overview.py", {"filter_period": ["2030-01-01", "2030-12-31"]})
    assert _period(at) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert any("nothing falls in the period asked for" in w.value for w in at.warning)
