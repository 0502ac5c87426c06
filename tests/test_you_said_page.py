"""The "You said, we did" page under AppTest, on a small folder source with known answers.

Period 1 Jan – 31 Mar 2026 (previous: 3 Oct – 31 Dec 2025). Concerns:
C1 North End, noise, raised 5 Jan, resolved 4 Feb (a markdown link and a phone number in its summary);
C2 North End, noise, raised 10 Feb, open; C3 Riverside, traffic, raised 1 Mar, open (a formula);
C4 Riverside, lighting, raised 1 Nov 2025, in progress; C5 Hillcrest, traffic, raised 15 Nov, resolved 1 Dec.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA
from cpdash.views import format as fmt
from tests.conftest import area_features, write_csv, write_geojson

pytestmark = pytest.mark.apptest

PAGE = "pages/you_said_we_did.py"
PERIOD = {"filter_period": ["2026-01-01", "2026-03-31"]}
C1_SUMMARY = "Loud bar [click](http://evil.example) **now**, call me at 555-123-4567"
CONCERNS = [
    ("C1", "2026-01-05", "001", "noise", C1_SUMMARY, "resolved", "Licence reviewed", "2026-02-04"),
    ("C2", "2026-02-10", "001", "noise", "Music at night", "open", "", ""),
    ("C3", "2026-03-01", "002", "traffic", '=HYPERLINK("http://evil.example","x")', "open", "", ""),
    ("C4", "2025-11-01", "002", "lighting", "Dark alley", "in progress", "", ""),
    ("C5", "2025-11-15", "003", "traffic", "Stop sign down", "resolved", "Sign replaced", "2025-12-01"),
]
COLUMNS = ["concern_id", "raised", "area_id", "topic", "summary", "status", "action", "resolved"]


def _events(folder: Path) -> None:
    """Events from 1 Oct 2025 to 31 Mar 2026, so that the data covers both periods."""
    days = ["2025-10-01", "2026-01-15", "2026-02-15", "2026-03-31"]
    write_csv(
        folder / "events.csv",
        [
            {"event_id": f"E{i}", "start": day, "program": "Coffee with a Cop", "area_id": f"00{1 + i % 3}"}
            for i, day in enumerate(days)
        ],
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Areas, events and the five concerns above."""
    folder = tmp_path / "you_said"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    _events(folder)
    write_csv(folder / "concerns.csv", [dict(zip(COLUMNS, row, strict=True)) for row in CONCERNS])
    return folder


def open_page(query: dict | None = None) -> AppTest:
    """A fresh session on the page."""
    return open_app_page(PAGE, "You said, we did", query)


def spec(at: AppTest, index: int) -> dict:
    """The plotly figure of the index-th chart, with its typed arrays decoded."""
    return json.loads(at.get("plotly_chart")[index].proto.spec, object_hook=_decode)


def _decode(value: dict) -> object:
    """Plotly's binary arrays ({"dtype", "bdata"}) as lists."""
    if "bdata" in value and "dtype" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return value


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The dataframe on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def open_the_table(at: AppTest) -> None:
    """Open the table of every area or topic, as the browser does (it is drawn only while open)."""
    at.session_state["you_said_status_more"] = True
    at.run()
    assert not at.exception


def test_kpis_compare_with_the_previous_period(env, source: Path):
    env(source)
    # A quarter compares with the same quarter last year unless the previous period is asked for.
    at = open_page({**PERIOD, "filter_compare": ["The previous period"]})
    cards = {m.label: m for m in at.metric}
    assert (cards["Raised"].value, cards["Raised"].delta) == ("3", "+1 (+50 %)")
    assert (cards["Resolved"].value, cards["Resolved"].delta) == ("1", fmt.change_text(0, 0))
    assert (cards["Open at period end"].value, cards["Open at period end"].delta) == ("3", "+2 (+200 %)")
    assert cards["Median days to resolve"].value == "30"
    assert cards["Median days to resolve"].delta == "+14 days"  # 30 against C5's 16


def test_the_topics_are_found_once_per_data_set(env, source: Path, monkeypatch: pytest.MonkeyPatch):
    """Every topic the concerns carry does not depend on the filters: a new period does not look again."""
    from datetime import date

    from cpdash.views import you_said

    looks: list[int] = []
    real = you_said.topics
    monkeypatch.setattr(you_said, "topics", lambda src: looks.append(1) or real(src))
    env(source)
    at = open_page(PERIOD)
    at.date_input(key="filter_period").set_value((date(2026, 2, 1), date(2026, 3, 31))).run()
    assert not at.exception
    assert at.selectbox(key="you_said_card_topic").options == ["All topics", "lighting", "noise", "traffic"]
    assert len(looks) == 1


def test_status_by_area_then_by_topic(env, source: Path):
    env(source)
    at = open_page(PERIOD)
    chart = spec(at, 0)
    labels = {y for trace in chart["data"] for y in trace["y"]}
    assert labels == {"North End", "Riverside"}
    resolved = next(t for t in chart["data"] if t["name"].startswith("Resolved"))
    assert dict(zip(resolved["y"], resolved["x"], strict=True)) == {"Riverside": 0, "North End": 1}
    at.segmented_control(key="you_said_by").set_value("Topic").run()
    assert not at.exception
    labels = {y for trace in spec(at, 0)["data"] for y in trace["y"]}
    assert labels == {"noise", "traffic", "lighting"}  # lighting was raised before, and is still open
    assert not [d for d in at.dataframe if "In progress at end" in d.value.columns]  # drawn once opened
    open_the_table(at)
    table = table_with(at, "In progress at end")
    assert table["Topic"].tolist() == ["noise", "traffic", "lighting"]
    assert table["In progress at end"].tolist() == [0, 0, 1]


def test_backlog_is_oldest_first(env, source: Path):
    env(source)
    at = open_page(PERIOD)
    backlog = table_with(at, "Days open")
    assert backlog["Concern"].tolist() == ["C4", "C2", "C3"]
    assert backlog["Days open"].tolist() == [150, 49, 30]
    assert backlog["Status"].tolist() == ["in progress", "open", "open"]
    ages = spec(at, 1)["data"][0]
    assert dict(zip(ages["x"], ages["y"], strict=True))["Up to 1 month"] == 1
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download all 3 open concerns (CSV)" in labels


def test_cards_redact_and_escape_what_residents_said(env, source: Path):
    env(source)
    at = open_page(PERIOD)
    text = [m.value for m in at.markdown]
    card = next(t for t in text if "Loud bar" in t)
    assert "\\[phone\\]" in card and "555-123-4567" not in card  # shown as [phone]
    assert "](http" not in card and "\\]\\(http" in card  # the link is inert
    assert "**now**" not in card
    assert any("Licence reviewed" in t for t in text)
    assert not any("Sign replaced" in t for t in text)  # resolved in the previous period
    at.selectbox(key="you_said_card_topic").set_value("traffic").run()
    assert any("No concern of this kind was resolved" in i.value for i in at.info)


def test_without_a_concerns_table_the_page_says_what_it_needs(env, tmp_path: Path):
    folder = tmp_path / "no_concerns"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    _events(folder)
    env(folder)
    at = open_page(PERIOD)
    assert any("needs a `concerns` table" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_without_optional_columns_the_page_says_what_it_cannot_show(env, tmp_path: Path):
    folder = tmp_path / "bare"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    _events(folder)
    rows = [dict(zip(COLUMNS[:4], row[:4], strict=True)) for row in CONCERNS]
    write_csv(folder / "concerns.csv", rows)
    env(folder)
    at = open_page(PERIOD)
    captions = " ".join(c.value for c in at.caption)
    assert "no `status` column" in captions and "no `resolved` dates" in captions
    cards = {m.label: m.value for m in at.metric}
    assert cards["Open at period end"] == "5" and cards["Median days to resolve"] == "—"


def test_renders_on_the_sample(env):
    env(DEFAULT_DATA)
    at = open_page()
    assert len(at.metric) == 6
    assert len(at.get("plotly_chart")) == 2
    concerns = pd.read_csv(DEFAULT_DATA / "concerns.csv")
    assert int(at.metric[0].value.replace(",", "")) <= len(concerns)


def test_public_view_offers_aggregates_only(env, source: Path):
    env(source, CPDASH_MODE="public")
    at = open_page(PERIOD)
    open_the_table(at)
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download this table (CSV)" in labels  # per area: an aggregate
    assert not any("open concerns" in label or "resolved concerns" in label for label in labels)
    backlog = table_with(at, "Days open")  # the list is shown, redacted, without a download
    assert backlog["Concern"].tolist() == ["C4", "C2", "C3"]
