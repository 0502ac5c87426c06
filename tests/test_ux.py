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


# --- Needs attention: a ranked list in which size matters -----------------------------------------------


def _concerns(open_then: dict[str, int], open_now: dict[str, int]) -> dict:
    """Concerns per area: `open_then` raised in December and still open, `open_now - open_then` more in January."""
    rows = []
    for area, then in open_then.items():
        rows += [(area, "2025-12-05")] * then + [(area, "2026-01-12")] * (open_now[area] - then)
    return {
        "concern_id": [f"K{i}" for i in range(len(rows))],
        "raised": [day for _, day in rows],
        "area_id": [area for area, _ in rows],
        "topic": ["noise"] * len(rows),
        "status": ["open"] * len(rows),
    }


JAN = Filters(date(2026, 1, 1), date(2026, 1, 31))
AREAS = {
    "area_id": ["A", "B", "C", "D"],
    "name": ["Alder", "Birch", "Cedar", "Dogwood"],
    "level": ["beat"] * 4,
    "population": [10_000.0, 10_000.0, 10_000.0, 10_000.0],
}
EVENTS = {
    "event_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"],
    "start": ["2025-12-10", "2026-01-10"] * 4,
    "program": ["Town hall"] * 8,
    "area_id": ["A", "A", "B", "B", "C", "C", "D", "D"],
}


def test_small_backlogs_are_not_flagged_and_large_ones_rank_by_their_own_history() -> None:
    """4 from 0 and 6 from 2 are below the floor; 30 from 10 (+200 %) ranks before 18 from 8 (+100 %)."""
    from engine_support import source

    from cpdash.metrics import attention

    concerns = _concerns({"A": 0, "B": 2, "C": 10, "D": 8}, {"A": 4, "B": 6, "C": 30, "D": 18})
    src = source(events=EVENTS, areas=AREAS, concerns=concerns)
    frame = attention.needs_attention(src, JAN, k=10)
    ranked = attention.ranked(frame)
    assert ranked["area_id"].tolist() == ["C", "D"]
    assert ranked["score"].tolist() == pytest.approx([4.0, 2.0])  # (20 / 10) / 0.5 and (10 / 10) / 0.5
    assert frame.set_index("area_id").loc["C", "detail"] == (
        "30 open concerns (30.0 per 10,000 residents), up from 10"
    )


def test_a_trust_drop_within_the_noise_is_not_flagged() -> None:
    """Ten answers each: a 10-point drop on widely spread answers is noise; on tight answers it is not."""
    from engine_support import source

    from cpdash.metrics import attention

    spread_then, spread_now = [0, 10] * 5, [0, 8] * 5  # 50 -> 40, standard error about 16 points
    tight_then, tight_now = [6] * 10, [5] * 10  # 60 -> 50, no spread
    rows = [("A", "2025-12-10", v) for v in spread_then] + [("A", "2026-01-10", v) for v in spread_now]
    rows += [("B", "2025-12-10", v) for v in tight_then] + [("B", "2026-01-10", v) for v in tight_now]
    responses = {
        "response_id": [f"R{i}" for i in range(len(rows))],
        "submitted": [r[1] for r in rows],
        "area_id": [r[0] for r in rows],
        "trust": [float(r[2]) for r in rows],
    }
    frame = attention.needs_attention(source(events=EVENTS, areas=AREAS, responses=responses), JAN, k=10)
    assert frame.loc[frame["issue"] == attention.FALLING_TRUST, "area_id"].tolist() == ["B"]


def test_the_area_with_falling_trust_and_the_largest_backlog_comes_first_on_the_sample(sample) -> None:
    """Every area that needs attention is listed, ranked, each with the reason for its rank."""
    from cpdash.metrics.memory import MemorySource
    from cpdash.metrics.periods import LAST_YEAR, PREVIOUS, default_period
    from cpdash.metrics.suppression import Policy
    from cpdash.sample import STORIES
    from cpdash.views.overview import overview

    src = MemorySource(sample)
    start, end = default_period(*src.extent())
    for how in (PREVIOUS, LAST_YEAR):
        areas = overview(src, Filters(start, end), Policy(10, False), how).attention
        assert areas[0].name == STORIES["falling_trust"]["name"]
        assert [a.rank for a in areas] == list(range(1, len(areas) + 1))
        assert any("Falling trust" in line for line in areas[0].lines)
        assert areas[0].reason.startswith("Rank score") and "+" in areas[0].reason
        assert STORIES["no_engagement"]["name"] in [a.name for a in areas]
        assert not any(
            line.endswith("up from 0") and line.startswith("📬 Growing open concerns: 4 ")
            for a in areas
            for line in a.lines
        )


def test_a_start_does_not_warn_of_a_missing_static_folder() -> None:
    """Static serving is on only with a ./static folder to serve (else every start warns); PORT is documented."""
    import tomllib

    from cpdash.config import REPO_ROOT as ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert not config["server"].get("enableStaticServing") or (ROOT / "static").is_dir()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`PORT`" in readme and "PORT=" in readme


@pytest.mark.apptest
def test_the_areas_past_the_first_five_are_drawn_when_their_list_is_opened(env, tmp_path) -> None:
    """Eight areas with growing backlogs: five cards in full; the other three, with their actions, appear
    when their list is opened (drawn only then, since every rerun pays for what is drawn)."""
    from conftest import LAT_SOUTH, REPO, feature, square, write_csv, write_geojson
    from streamlit.testing.v1 import AppTest

    ids = [f"A{i}" for i in range(8)]
    areas = [
        feature(
            {"area_id": a, "name": f"Area {a}", "level": "beat", "population": 10_000},
            square(-87.7 + i / 50, LAT_SOUTH),
        )
        for i, a in enumerate(ids)
    ]
    write_geojson(tmp_path / "areas.geojson", areas)
    days = ("2025-12-10", "2026-01-10")
    events = [(a, d) for a in ids for d in days]
    write_csv(
        tmp_path / "events.csv",
        [
            {"event_id": f"E{i}", "start": d, "program": "Town hall", "area_id": a}
            for i, (a, d) in enumerate(events)
        ],
    )
    raised = [(a, "2025-12-05") for a in ids for _ in range(10)]
    raised += [(a, "2026-01-12") for i, a in enumerate(ids) for _ in range(20 + i)]  # 30+ from 10 in each
    write_csv(
        tmp_path / "concerns.csv",
        [
            {"concern_id": f"K{j}", "raised": d, "area_id": a, "topic": "noise", "status": "open"}
            for j, (a, d) in enumerate(raised)
        ],
    )
    env(tmp_path)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.query_params["filter_period"] = ["2026-01-01", "2026-01-12"]
    at.run()

    def actions() -> list[str]:
        return sorted(b.key for b in at.button if b.key and b.key.startswith("overview_attention_"))

    assert not at.exception
    assert actions() == [f"overview_attention_{rank}_0" for rank in range(5)]
    (rest,) = at.expander
    assert rest.label == "The other 3 areas that need attention, ranked" and not rest.proto.expanded
    at.session_state["overview_more"] = True  # as the browser sends it when the list is opened
    at.run()
    assert not at.exception
    assert actions() == [f"overview_attention_{rank}_0" for rank in range(8)]
    assert [m.value.split("**")[1] for m in at.expander[0].markdown if m.value.startswith("**")] == [
        f"{rank}. Area A{7 - rank + 1}" for rank in (6, 7, 8)
    ]


# --- A drill-down from the Overview, and Back -------------------------------------------------------------


@pytest.mark.apptest
def test_a_drill_down_leaves_the_overview_as_it_was_and_navigation_still_works(env) -> None:
    """The "Needs attention" action opens its page narrowed to one area and leaves in the URL the areas the
    Overview had (the browser's Back to it restores them: test_ux_browser.py); the Overview reached again
    with that URL has its areas back, the marker gone; AppTest's switch_page still moves between pages."""
    from conftest import open_app_page

    env(DEFAULT_DATA)
    at = open_app_page("pages/overview.py", "Overview", {"filter_area": ["Harlow Junction", "Cinder Flats"]})
    had = at.session_state["page_context"].filters.areas
    assert len(had) == 2
    at.button(key="overview_attention_0_0").click().run()
    assert not at.exception and at.title[0].value != "Overview"
    assert len(at.session_state["page_context"].filters.areas) == 1
    assert sorted(at.query_params["drilled_from"]) == sorted(had)
    at.switch_page("pages/overview.py").run()  # with the drill-down's URL, as Back gives it
    assert not at.exception and at.title[0].value == "Overview"
    assert sorted(at.session_state["page_context"].filters.areas) == sorted(had)
    assert "drilled_from" not in at.query_params
    for page, title in (("pages/participation.py", "Participation"), ("pages/town_hall.py", "Town hall")):
        at.switch_page(page).run()
        assert not at.exception and at.title[0].value == title
        assert sorted(at.session_state["page_context"].filters.areas) == sorted(had)


@pytest.mark.apptest
def test_a_link_to_days_outside_the_data_logs_no_warning(env, monkeypatch, caplog) -> None:
    """The period of such a link is clamped through Session State on purpose: no warning with a stack trace
    in the server's log (.streamlit/config.toml turns Streamlit's off)."""
    import logging

    from conftest import open_app_page
    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies._LOGGER, "propagate", True)  # Streamlit's loggers keep to their own handler
    env(DEFAULT_DATA)
    with caplog.at_level(logging.WARNING):
        at = open_app_page("pages/overview.py", "Overview", {"filter_period": ["2019-01-01", "2026-06-30"]})
    said = [e.value for kind in (at.caption, at.info, at.warning) for e in kind]
    assert any("the part within the data" in text for text in said), said
    assert not [r for r in caplog.records if "Session State API" in r.getMessage()]
