"""The Town hall page under AppTest: the preview, presenter navigation through every section, exports,
public-safe settings, and a data set without concerns."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT
from cpdash.views import town_hall as th
from tests.conftest import area_features, write_csv, write_geojson

pytestmark = pytest.mark.apptest

DASHBOARD = str(REPO_ROOT / "dashboard.py")
PAGE = "pages/town_hall.py"
PERIOD = {"filter_period": ["2026-01-01", "2026-03-31"]}
TITLES = [title for _, title in th.SECTIONS]
DAYS = ["2025-10-01", "2025-11-10", "2026-01-15", "2026-02-15", "2026-03-31"]


def make_source(folder: Path, concerns: bool = True) -> Path:
    """Three areas; events in each; 12 trust answers in North End (001) in the period, 4 elsewhere."""
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(
        folder / "events.csv",
        [
            {
                "event_id": f"E{i}{a}",
                "start": day,
                "program": "Coffee with a Cop",
                "area_id": a,
                "attendance": "10",
            }
            for i, day in enumerate(DAYS)
            for a in ("001", "002", "003")
        ],
    )
    responses = [
        {
            "response_id": f"R{i}",
            "submitted": f"2026-02-{1 + i:02d}",
            "area_id": "001",
            "trust": str(6 + i % 2),
            "safety": "5",
            "comment": f"Comment number {i}: the officers came to our meeting and listened.",
        }
        for i in range(12)
    ]
    responses += [
        {
            "response_id": f"S{i}",
            "submitted": "2026-02-01",
            "area_id": "002",
            "trust": "9",
            "safety": "9",
            "comment": "",
        }
        for i in range(4)
    ]
    write_csv(folder / "responses.csv", responses)
    if concerns:
        write_csv(
            folder / "concerns.csv",
            [
                {"concern_id": "C1", "raised": "2026-01-05", "area_id": "001", "topic": "noise",
                 "summary": "Loud bar, call 555-123-4567", "status": "resolved", "action": "Licence reviewed",
                 "resolved": "2026-02-04"},
                {"concern_id": "C2", "raised": "2026-02-10", "area_id": "001", "topic": "traffic",
                 "summary": "Speeding", "status": "in progress", "action": "", "resolved": ""},
            ],
        )  # fmt: skip
    return folder


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "town_hall")


def open_page(query: dict | None = None) -> AppTest:
    """A fresh session on the page."""
    return open_app_page(PAGE, None, query)


def page_constant(name: str) -> object:
    """A constant assigned at the top of the page's source."""
    tree = ast.parse((REPO_ROOT / PAGE).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def present(at: AppTest) -> AppTest:
    at.button(key="town_hall_present").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_public_safe_town_hall_is_refused_where_the_public_view_refuses(env, source: Path):
    """North End with the city gives away the 4 answers of the other areas: a public-safe town hall (staff
    by default) refuses it as the public view does, and staff may turn public-safe off."""
    env(source)
    at = open_page(PERIOD)
    at.selectbox(key="town_hall_area").set_value("001").run()
    assert any("No public-safe town hall" in w.value and "North End" in w.value for w in at.warning)
    assert not at.get("download_button") and not at.button
    at.toggle(key="town_hall_public_safe").set_value(False).run()
    assert not at.warning
    assert {"Pack (HTML)", "Everything (ZIP)"} <= {d.proto.label for d in at.get("download_button")}


def test_preview_shows_each_section_for_the_chosen_area(env, source: Path):
    env(source, CPDASH_K="4")  # at k = 10 the public-safe view refuses North End (above)
    at = open_page(PERIOD)
    assert at.title[0].value == "Town hall"
    area = at.selectbox(key="town_hall_area")
    assert area.value == "003"  # Hillcrest: the first area by name
    area.set_value("001").run()
    assert any(c.value == "North End · 1 Jan 2026 – 31 Mar 2026" for c in at.caption)
    labels = [d.proto.label for d in at.get("download_button")]
    assert {"Pack (HTML)", "Everything (ZIP)", "Table: events by program (CSV)"} <= set(labels)
    for number, (key, title) in enumerate(th.SECTIONS, 1):
        at.segmented_control(key="town_hall_preview").set_value(key).run()
        assert not at.exception
        assert any(m.value == f"### {number}. {title}" for m in at.markdown), title
        if key == "feel":
            trust = next(m for m in at.metric if m.label.startswith("Trust"))
            assert (trust.label, trust.value) == ("Trust (n=12)", "65")
            assert next(m for m in at.metric if m.label.startswith("Safety")).value == "50"
        if key == "open":
            labels = [d.proto.label for d in at.get("download_button")]
            assert "Table: open concerns (CSV)" in labels


def test_the_sidebar_area_is_the_default(env, source: Path):
    env(source)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params.update(PERIOD)
    at.run()
    at.multiselect(key="filter_area").set_value(["002"]).run()
    at.switch_page(PAGE)
    at.run()
    assert at.selectbox(key="town_hall_area").value == "002"


def test_presenter_moves_through_every_section(env, source: Path):
    env(source, CPDASH_K="4")
    at = open_page(PERIOD)
    at.selectbox(key="town_hall_area").set_value("001").run()
    present(at)
    seen = []
    for index, title in enumerate(TITLES):
        assert at.session_state["town_hall_slide_index"] == index
        assert [t.value for t in at.title] == [title]  # one section at a time
        assert any(c.value.endswith(f"{index + 1} / 5") for c in at.caption)
        seen.append(title)
        # Nothing but previous, end and next to click; no selectbox, toggle or download on the stage.
        assert {b.key for b in at.button} == {"town_hall_previous", "town_hall_end", "town_hall_next"}
        assert not at.get("download_button") and not at.toggle
        assert "town_hall_area" not in [s.key for s in at.selectbox]
        assert at.button(key="town_hall_previous").disabled == (index == 0)
        if index < len(TITLES) - 1:
            at.button(key="town_hall_next").click().run()
            assert not at.exception
    assert seen == TITLES
    assert at.button(key="town_hall_next").disabled
    at.button(key="town_hall_previous").click().run()
    assert [t.value for t in at.title] == ["What we did"]
    at.button(key="town_hall_end").click().run()
    assert at.title[0].value == "Town hall"
    assert at.session_state["town_hall_presenting"] is False


def test_presenter_keys_and_stylesheet(env, source: Path):
    env(source)
    at = present(open_page(PERIOD))
    shortcuts = {b.key: b.proto.shortcut for b in at.button}
    assert shortcuts == {"town_hall_previous": "left", "town_hall_next": "right", "town_hall_end": "escape"}
    from cpdash.ui import style

    shared = {style.CSS, style.SCRIPT}  # every page's stylesheet and script
    styles = [h.proto.body for h in at.get("html") if h.proto.body not in shared]
    assert len(styles) == 1
    assert styles[0] == page_constant("PRESENTER_CSS")  # a constant: no data in it
    assert "stSidebar" in styles[0] and "Hillcrest" not in styles[0]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["font"]["size"] >= 20  # projector type


def test_section_content_in_presenter(env, source: Path):
    env(source, CPDASH_K="1")  # public-safe shows residents' words from areas with k concerns
    at = open_page(PERIOD)
    at.selectbox(key="town_hall_area").set_value("001").run()
    present(at)
    for _ in range(3):
        at.button(key="town_hall_next").click().run()
    text = " ".join(m.value for m in at.markdown)
    assert "Licence reviewed" in text and "\\[phone\\]" in text and "555-123-4567" not in text
    at.button(key="town_hall_next").click().run()
    open_now = next(m for m in at.metric if m.label == "Still open")
    assert open_now.value == "1"
    assert any("We are working on traffic \\(1\\)" in m.value for m in at.markdown)


def test_public_safe_by_default_and_the_staff_toggle(env, source: Path):
    env(source, CPDASH_K="20")
    at = open_page(PERIOD)
    at.selectbox(key="town_hall_area").set_value("001").run()
    at.segmented_control(key="town_hall_preview").set_value("feel").run()
    assert at.toggle(key="town_hall_public_safe").value is True
    trust = next(m for m in at.metric if m.label.startswith("Trust"))
    assert trust.value == "—"  # 12 answers, fewer than k = 20
    at.toggle(key="town_hall_public_safe").set_value(False).run()
    trust = next(m for m in at.metric if m.label.startswith("Trust"))
    assert trust.value == "65 ⚠"


def test_public_deployment_has_no_toggle(env, source: Path):
    env(source, CPDASH_MODE="public", CPDASH_K="20")
    at = open_page(PERIOD)
    assert not at.toggle
    at.selectbox(key="town_hall_area").set_value("001").run()
    at.segmented_control(key="town_hall_preview").set_value("feel").run()
    trust = next(m for m in at.metric if m.label.startswith("Trust"))
    assert (trust.label, trust.value) == ("Trust", "—")  # hidden, and its n with it
    at.segmented_control(key="town_hall_preview").set_value("open").run()
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Table: open concerns (CSV)" not in labels  # no row-level download in the public view
    assert any("Still open" in m.label for m in at.metric)


def test_without_concerns_the_page_says_what_it_needs(env, tmp_path: Path):
    env(make_source(tmp_path / "no_concerns", concerns=False))
    at = open_page(PERIOD)
    assert any("Without a `concerns` table" in i.value for i in at.info)
    present(at)
    for _ in range(3):
        at.button(key="town_hall_next").click().run()
    assert [t.value for t in at.title] == ["What we did"]
    assert any("No concerns table in the data" in c.value for c in at.caption)
    at.button(key="town_hall_next").click().run()
    assert any("No concerns table in the data" in c.value for c in at.caption)


def test_renders_and_presents_on_the_sample(env):
    env(DEFAULT_DATA)
    at = open_page()
    assert at.title[0].value == "Town hall"
    assert len(at.get("plotly_chart")) == 1  # the first section's chart
    present(at)
    for title in TITLES[1:]:
        at.button(key="town_hall_next").click().run()
        assert not at.exception and [t.value for t in at.title] == [title]


def test_a_period_without_events_says_so_without_an_empty_chart(env, source: Path):
    """No event in the area and period: the lead says so in a sentence, and no "Events by program" chart
    (an empty heading) nor its empty table and downloads are shown, in the preview or on the slide."""
    env(source)
    at = open_page({"filter_period": ["2025-12-01", "2025-12-31"]})  # between two of the events
    lead = "We held no event in Hillcrest between 1 Dec 2025 and 31 Dec 2025"
    assert any(m.value.replace("\\", "").startswith(lead) for m in at.markdown)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert not any("Events by program" in t for t in titles), titles
    labels = [d.proto.label for d in at.get("download_button")]
    assert not any("events by program" in label for label in labels), labels
    present(at)
    assert not at.get("plotly_chart")
