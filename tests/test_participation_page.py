"""The Participation page under AppTest: its charts follow the shared filters and its own controls."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import area_features, open_app_page, write_csv, write_geojson
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA

pytestmark = pytest.mark.apptest

PAGE = "pages/participation.py"
FIRST_HALF_2025 = {"filter_period": ["2025-01-01", "2025-06-12"]}  # the data ends on 12 June
COFFEE, TOWN_HALL, SPORTS = "Coffee with a Cop", "Town hall", "Youth sports and activities"


def month_text(index: int) -> str:
    """'2024-01' for 0, '2025-06' for 17."""
    return f"{2024 + index // 12}-{1 + index % 12:02d}"


def events_rows() -> list[dict]:
    """Jan 2024 - Jun 2025: Coffee with a Cop in North End (001) every month, a Town hall in Riverside (002)
    every other month (March 2025 uncounted), youth sports in North End in summer. Hillcrest (003): none."""
    rows = []
    for i in range(18):
        month = month_text(i)
        rows.append(
            {"event_id": f"C{i}", "start": f"{month}-05", "program": COFFEE, "area_id": "001",
             "attendance": str(10 + i), "youth_attendance": "1", "officer_hours": "2", "cost": "100"}
        )  # fmt: skip
        if i % 2 == 0:
            rows.append(
                {"event_id": f"T{i}", "start": f"{month}-20", "program": TOWN_HALL, "area_id": "002",
                 "attendance": "" if i == 14 else "50", "youth_attendance": "", "officer_hours": "8",
                 "cost": "1000"}
            )  # fmt: skip
        if month in ("2024-06", "2024-07", "2024-08", "2025-06"):
            rows.append(
                {"event_id": f"S{i}", "start": f"{month}-12", "program": SPORTS, "area_id": "001",
                 "attendance": "80", "youth_attendance": "60", "officer_hours": "6", "cost": "400"}
            )  # fmt: skip
    return rows


def attendee_rows() -> list[dict]:
    """P1 at every Coffee with a Cop of 2025, P2 at the first, P3 at the June youth sports."""
    rows = [{"event_id": f"C{i}", "participant_key": "P1", "age_group": "35-49"} for i in range(12, 18)]
    rows.append({"event_id": "C12", "participant_key": "P2", "age_group": "65+"})
    rows.append({"event_id": "S17", "participant_key": "P3", "age_group": "under 18"})
    return rows


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Three areas, 18 months of events and a few attendee records."""
    folder = tmp_path / "participation"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(folder / "events.csv", events_rows())
    write_csv(folder / "attendees.csv", attendee_rows())
    return folder


def open_page(query: dict | None = None) -> AppTest:
    """A fresh session on the Participation page."""
    return open_app_page(PAGE, "Participation", query)


def specs(at: AppTest) -> dict[str, dict]:
    """The plotly specs on the page, by chart title."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def chart(at: AppTest, start: str) -> dict:
    """The spec of the chart whose title starts with `start`."""
    found = [spec for title, spec in specs(at).items() if title.startswith(start)]
    assert found, f"no chart titled {start!r} among {list(specs(at))}"
    return found[0]


def values(data: object) -> list:
    """A plotly data array as a list (plotly sends numpy arrays as base64 typed arrays)."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def traces(spec: dict) -> dict[str, dict]:
    """Traces by name, their x and y as lists."""
    out = {}
    for trace in spec["data"]:
        out[trace.get("name")] = {**trace, **{k: values(trace[k]) for k in ("x", "y") if k in trace}}
    return out


def texts(at: AppTest) -> str:
    """Every caption, info, warning and markdown on the page."""
    parts = [c.value for c in at.caption] + [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(parts + [m.value for m in at.markdown])


def metric(at: AppTest, label: str) -> str:
    """The value of a KPI card."""
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_every_section_with_its_numbers(env, source):
    env(source)
    at = open_page(FIRST_HALF_2025)
    assert metric(at, "Events") == "10"
    assert metric(at, "Attendance") == "327"  # 147 + 100 (March uncounted) + 80
    assert metric(at, "Participants") == "3 ⚠"  # staff view: fewer than k (10) participants, flagged
    trend = traces(chart(at, "Attendance by month and program"))
    assert list(trend)[:3] == [COFFEE, TOWN_HALL, SPORTS]
    assert trend[COFFEE]["y"] == [22, 23, 24, 25, 26, 27]
    assert trend["Same month last year"]["y"] == [60, 11, 62, 13, 64, 95]
    assert "3-month average" in trend
    assert set(specs(at)) >= {
        "Programs: attendance and cost per attendee",
        "When each program is busiest: share of its attendance by month",
        "Attendance per 10,000 residents",
        "Participants by month: returning and new",
        "Who attends: participants and residents by age",
    }
    words = texts(at)
    assert "Attendance: 1 of 10 events have no count" in words
    assert (
        "Attendance rose 7 % on the same months last year (305 → 327), driven by Coffee with a Cop (+72)."
        in words
    )
    assert "No engagement in 1 area: Hillcrest." in words
    assert "Most cost-effective: Coffee with a Cop" in words
    labels = [d.proto.label for d in at.get("download_button")]
    assert any("monthly numbers" in label for label in labels)
    assert any("reach for all 3 areas" in label for label in labels)
    assert any("programs" in label for label in labels)


def test_charts_follow_the_area_filter(env, source):
    env(source)
    at = open_page(FIRST_HALF_2025)
    at.multiselect(key="filter_area").set_value(["002"]).run()
    assert not at.exception
    assert metric(at, "Events") == "3"
    trend = traces(chart(at, "Attendance by month and program"))
    assert [name for name, t in trend.items() if t["type"] == "bar"] == [TOWN_HALL]
    reach = traces(chart(at, "Attendance per 10,000 residents"))
    assert reach[None]["y"] == ["1. Riverside"]
    assert "No engagement" not in texts(at)
    assert "None of the events in this period and selection has attendee records." in texts(at)


def test_charts_follow_the_period_filter(env, source):
    env(source)
    at = open_page(FIRST_HALF_2025)
    before = values(chart(at, "Attendance by month and program")["data"][0]["x"])
    at.date_input(key="filter_period").set_value(("2025-03-01", "2025-04-30")).run()
    assert not at.exception
    after = values(chart(at, "Attendance by month and program")["data"][0]["x"])
    assert len(before) == 6 and after == ["2025-03-01", "2025-04-01"]
    assert metric(at, "Events") == "3"  # two Coffee with a Cop, one town hall


def test_split_and_measure_controls(env, source):
    env(source)
    at = open_page(FIRST_HALF_2025)
    at.segmented_control(key="participation_split").set_value("area").run()
    assert not at.exception
    trend = traces(chart(at, "Attendance by month and area"))
    assert [name for name, t in trend.items() if t["type"] == "bar"] == ["North End", "Riverside"]
    at.segmented_control(key="participation_measure").set_value("events").run()
    trend = traces(chart(at, "Events by month and area"))
    assert trend["Riverside"]["y"] == [1, 0, 1, 0, 1, 0]
    assert chart(at, "When each program is busiest: share of its events by month")  # the heat map follows


def test_a_filter_that_selects_nothing_says_so_in_every_section(env, source):
    env(source)
    at = open_page(FIRST_HALF_2025)
    at.multiselect(key="filter_area").set_value(["003"]).run()
    assert not at.exception
    assert metric(at, "Events") == "0"
    assert not at.get("plotly_chart")
    infos = [i.value for i in at.info]
    assert "No event in this period and selection: there is no trend to draw." in infos
    assert "No event in this period and selection: there is no program to compare." in infos
    assert "No event in this period and selection: there is no season to show." in infos
    assert "No event in this period and selection: no area was reached." in infos
    assert "No event in this period and selection: there is no attendance to follow." in infos
    assert any("No engagement in 1 area: Hillcrest." in w.value for w in at.warning)


def test_without_attendee_records_the_section_says_what_it_needs(env, source):
    (source / "attendees.csv").unlink()
    env(source)
    at = open_page(FIRST_HALF_2025)
    assert any("needs an **attendees** table" in i.value for i in at.info)
    assert "Participants by month: returning and new" not in specs(at)


def test_public_mode_hides_small_numbers_of_participants(env, source):
    env(source, CPDASH_MODE="public", CPDASH_K="5")
    at = open_page(FIRST_HALF_2025)
    assert metric(at, "Participants") == "—"
    assert "Fewer than 5 participants in this selection: figures are not shown." in texts(at)
    assert "Who attends: participants and residents by age" not in specs(at)


def test_only_required_columns(env, tmp_path):
    folder = tmp_path / "minimal"
    folder.mkdir()
    rows = [
        {
            "event_id": f"E{i}",
            "start": f"2025-{1 + i % 6:02d}-1{i % 9}",
            "program": COFFEE,
            "area_id": f"{i % 3}",
        }
        for i in range(12)
    ]
    write_csv(folder / "events.csv", rows)
    env(folder)
    at = open_page()
    assert metric(at, "Attendance") == "—"
    infos = " ".join(i.value for i in at.info)
    assert "has an attendance count: switch to Events" in infos
    assert "needs area populations" in infos
    at.segmented_control(key="participation_measure").set_value("events").run()
    assert not at.exception
    assert chart(at, "Events by month and program")["data"][0]["name"] == COFFEE


def test_the_sample_names_the_area_without_engagement(env):
    from cpdash.sample import STORIES

    env(DEFAULT_DATA)
    at = open_page()
    story = STORIES["no_engagement"]["name"]
    assert any(story in w.value for w in at.warning)
    assert "Participants by month: returning and new" in specs(at)
    assert "Most cost-effective" in texts(at)
