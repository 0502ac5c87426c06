"""The Community voice page under AppTest: every tab on the sample, on published scores only, on
responses without comments, in public view, and with comment text that holds HTML."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT
from tests.conftest import area_features, write_csv, write_geojson

pytestmark = pytest.mark.apptest

DASHBOARD = str(REPO_ROOT / "dashboard.py")
PAGE = "pages/community_voice.py"
TABS = ["Scores", "By group", "Events and trust", "Comment sentiment", "Topics", "Comment explorer"]
HTML = "<img src=x onerror=alert(1)>"


def voice_page(tab: str = "Scores", **query: str) -> AppTest:
    """A fresh session on the Community voice page with `tab` open (and other URL parameters)."""
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.query_params.update({"voice_tab": tab, **query})
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, f"{tab}: {[e.value for e in at.exception]}"
    assert at.title[0].value == "Community voice"
    return at


def chart(at: AppTest, i: int) -> dict:
    """The plotly JSON of the i-th chart."""
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def text_of(at: AppTest) -> str:
    """Every info, caption and markdown text on the page."""
    return " ".join(e.value for group in (at.info, at.caption, at.markdown, at.warning) for e in group)


def copy_sample(folder: Path, tables: tuple[str, ...]) -> Path:
    """Some files of the sample in a new folder (not marked synthetic)."""
    folder.mkdir()
    for name in tables:
        (folder / name).write_bytes((DEFAULT_DATA / name).read_bytes())
    return folder


# --- the sample ------------------------------------------------------------------------------------


def test_scores_tab_on_the_sample(env) -> None:
    env(DEFAULT_DATA)
    at = voice_page("Scores", voice_area="Eastbrook")
    labels = [m.label for m in at.metric]
    assert [label.split(" (")[0] for label in labels] == [
        "Trust score",
        "Safety score",
        "Listen score",
        "Respect score",
    ]
    assert all("(n=" in label for label in labels)
    trend = chart(at, 0)
    assert {t.get("name") for t in trend["data"]} >= {"Eastbrook", "City"}
    assert "not a percentage" in trend["layout"]["title"]["text"]
    areas = chart(at, 1)
    assert any("Eastbrook (n=" in y for t in areas["data"] for y in t.get("y", []))
    against, by_area = at.dataframe[0].value, at.dataframe[1].value
    assert against["Score"].tolist()[:1] == ["Trust"] and "City n" in against.columns
    assert len(by_area) == 30 and {"Trust", "Trust n", "Trust 95 % interval", "Note"} <= set(by_area.columns)
    assert any(b.label.startswith("Download scores by area") for b in at.get("download_button"))
    assert "individual survey responses" in text_of(at)


def test_every_other_tab_on_the_sample(env) -> None:
    env(DEFAULT_DATA)
    who = voice_page("By group")
    titles = [chart(who, i)["layout"]["title"]["text"] for i in range(3)]
    assert titles == ["Trust by age group", "Trust by gender", "Trust by race / ethnicity"]

    events = voice_page("Events and trust", voice_area="Eastbrook")
    figure = chart(events, 0)
    programs = {t["name"] for t in figure["data"] if t.get("yaxis") == "y2"}
    assert "Youth mentorship" in programs
    assert "not why" in text_of(events) and "Trust in Eastbrook" in text_of(events).replace("\\", "")

    sentiment = voice_page("Comment sentiment")
    assert [m.label.split(" (")[0] for m in sentiment.metric][4:] == [
        "Net sentiment",
        "Positive",
        "Negative",
        "Not in English",
    ]
    assert "Spanish are counted, tagged by topic" in text_of(sentiment)
    assert len(sentiment.get("plotly_chart")) == 3

    topics = voice_page("Topics")
    assert len(topics.get("plotly_chart")) == 3
    shares = chart(topics, 0)
    assert {t["name"] for t in shares["data"]} == {"Comments", "Concerns raised"}
    taxonomy = topics.dataframe[-1].value
    assert list(taxonomy.columns) == ["topic", "keywords_en", "keywords_es"]
    assert "traffic and speeding" in taxonomy["topic"].tolist()
    assert "built-in default" in text_of(topics)
    assert any(b.label.startswith("Download the topic list") for b in topics.get("download_button"))

    explorer = voice_page("Comment explorer")
    found = explorer.dataframe[0].value
    assert len(found) == 200 and list(found.columns)[:2] == ["Submitted", "Comment"]
    assert found["Submitted"].tolist() == sorted(found["Submitted"], reverse=True)
    assert any(b.label.startswith("Download the matching comments") for b in explorer.get("download_button"))


def test_explorer_responds_to_its_filters(env) -> None:
    env(DEFAULT_DATA)
    at = voice_page("Comment explorer")
    at.text_input(key="voice_search").input("speeding").run()
    found = at.dataframe[0].value
    assert len(found) > 0 and found["Comment"].str.lower().str.contains("speeding").all()
    at.selectbox(key="voice_explorer_language").select("Spanish").run()
    at.text_input(key="voice_search").input("").run()
    found = at.dataframe[0].value
    assert (
        len(found) > 0 and set(found["Language"]) == {"Spanish"} and set(found["Sentiment"]) == {"not scored"}
    )
    at.selectbox(key="voice_explorer_topic").select("noise").run()
    assert (at.dataframe[0].value["Topics"].str.contains("noise")).all()
    assert not at.exception


def test_the_sidebar_filters_change_the_scores(env) -> None:
    env(DEFAULT_DATA)
    at = voice_page("Scores")
    everyone = at.metric[0].label
    at.multiselect(key="filter_area").set_value(["A12"]).run()
    assert not at.exception
    assert at.metric[0].label != everyone
    assert len(at.dataframe[-1].value) == 1  # the area table has the one area
    trend = chart(at, 0)
    assert "Eastbrook" in {t.get("name") for t in trend["data"]}  # one area chosen: drawn against the city


# --- published scores only, responses without comments --------------------------------------------


def test_only_published_area_scores(env, tmp_path: Path) -> None:
    env(copy_sample(tmp_path / "published", ("areas.geojson", "events.csv", "area_scores.csv")))
    at = voice_page("Scores")
    assert "no individual responses" in text_of(at)
    assert at.metric[0].label.startswith("Trust score (n=")
    assert "published" in chart(at, 0)["layout"]["title"]["text"]
    assert at.segmented_control(key="voice_metric").value == "trust"
    with pytest.raises(KeyError):
        at.segmented_control(key="voice_source")  # nothing to choose between
    who = voice_page("By group")
    assert chart(who, 0)["layout"]["title"]["text"] == "Trust by age group"
    for tab in ("Comment sentiment", "Topics", "Comment explorer"):
        page = voice_page(tab)
        assert "No comments in the data: there are no individual responses" in text_of(page), tab


def test_responses_without_comments(env, tmp_path: Path) -> None:
    folder = copy_sample(tmp_path / "no_comments", ("areas.geojson", "events.csv", "concerns.csv"))
    responses = pd.read_csv(DEFAULT_DATA / "responses.csv", dtype=str)
    responses.drop(columns=["comment", "language"]).to_csv(folder / "responses.csv", index=False)
    env(folder)
    scores = voice_page("Scores")
    assert len(scores.get("plotly_chart")) == 2 and scores.metric[0].label.startswith("Trust score (n=")
    for tab in ("Comment sentiment", "Comment explorer"):
        assert "the responses have no `comment` column" in text_of(voice_page(tab)), tab
    topics = voice_page("Topics")
    assert "comment topics cannot be shown" in text_of(topics)
    assert "concerns" in topics.dataframe[0].value.columns  # concerns are still counted by topic


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_without_any_answer_or_comment(env, tmp_path: Path, tab: str) -> None:
    env(copy_sample(tmp_path / "events_only", ("areas.geojson", "events.csv")))
    at = voice_page(tab, voice_area="Eastbrook")  # no exception (checked there) and a reason in words
    assert any(
        word in text_of(at) for word in ("No individual survey responses", "No comments", "No breakdown")
    )


def test_only_events(env, tmp_path: Path) -> None:
    env(copy_sample(tmp_path / "events_only", ("areas.geojson", "events.csv")))
    at = voice_page("Scores")
    assert "No individual survey responses" in text_of(at)
    events = voice_page("Events and trust", voice_area="Eastbrook")
    assert len(events.get("plotly_chart")) == 1 and "No survey answers" in text_of(events)
    assert "No breakdown" in text_of(voice_page("By group"))


# --- untrusted text, public view ----------------------------------------------------------------------


@pytest.fixture
def html_source(tmp_path: Path) -> Path:
    """Three areas, one event, and comments holding HTML, Markdown and personal details."""
    folder = tmp_path / "html"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(
        folder / "events.csv",
        [{"event_id": "E1", "start": "2025-03-01", "program": "Town hall", "area_id": "001", "title": HTML}],
    )
    comments = [HTML, "**bold** [link](http://example.com) call 555-201-3344", "Loud <b>music</b>"]
    write_csv(
        folder / "responses.csv",
        [
            {
                "response_id": f"R{i}",
                "submitted": f"2025-03-{10 + i:02d}",
                "area_id": "001",
                "event_id": "E1",
                "trust": str(3 + i % 6),
                "comment": comments[i % 3],
            }
            for i in range(12)
        ],
    )
    return folder


def test_comment_text_holding_html_shows_as_text(env, html_source: Path) -> None:
    env(html_source)
    at = voice_page("Comment explorer")
    comments = at.dataframe[0].value["Comment"].tolist()
    assert HTML in comments and "Loud <b>music</b>" in comments  # shown as written, not rendered
    assert all("555-201-3344" not in c for c in comments) and any("[phone]" in c for c in comments)
    assert not any(m.proto.allow_html for m in at.markdown)
    events = voice_page("Events and trust", voice_area="North End")
    hover = json.dumps(chart(events, 0)["data"])
    assert "<img" not in hover and "&lt;img src=x onerror=alert(1)&gt;" in hover


def test_public_view_suppresses_small_numbers_and_row_downloads(env, html_source: Path) -> None:
    env(html_source, CPDASH_MODE="public", CPDASH_K="20")
    at = voice_page("Scores")
    assert at.metric[0].value == "—"  # 12 responses < k = 20
    assert "not shown" in text_of(at)
    table = at.dataframe[-1].value
    assert table["Trust"].isna().all() and table["Trust n"].isna().all()  # the n of a hidden figure too
    explorer = voice_page("Comment explorer")
    assert len(explorer.dataframe[0].value) == 0  # North End's figures are not shown: nor are its words
    assert "only from areas with at least 20 responses" in text_of(explorer)
    sentiment = voice_page("Comment sentiment")
    net = next(m for m in sentiment.metric if m.label.startswith("Net sentiment"))
    assert net.value == "—" and net.label == "Net sentiment"  # 8 scored comments < k: no n either ...
    assert sentiment.metric[-1].value == "—" and "12 comments" not in text_of(sentiment)  # ... nor counts


def test_public_view_lists_comments_of_areas_shown_and_offers_no_download(env, html_source: Path) -> None:
    env(html_source, CPDASH_MODE="public", CPDASH_K="5")
    explorer = voice_page("Comment explorer")
    comments = explorer.dataframe[0].value["Comment"].tolist()
    assert len(comments) == 12 and all("555-201-3344" not in c for c in comments)  # shown, redacted ...
    assert not any(
        "matching comments" in b.label for b in explorer.get("download_button")
    )  # ... not downloaded
    assert "not available in the public view" in text_of(explorer)


# --- published series of two cadences; the public view leaks no small figure -------------------------


@pytest.fixture
def cadences_source(tmp_path: Path) -> Path:
    """Events and published city trust only: a weekly series and a monthly one over the same months."""
    folder = tmp_path / "cadences"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(
        folder / "events.csv",
        [{"event_id": "E1", "start": "2025-02-10", "program": "Town hall", "area_id": "001"}],
    )
    weeks = pd.date_range("2025-01-06", "2025-03-24", freq="7D")
    months = pd.date_range("2025-01-01", "2025-03-01", freq="MS")
    rows = [
        {
            "period_start": f"{w:%Y-%m-%d}",
            "period_end": f"{w + pd.Timedelta(days=6):%Y-%m-%d}",
            "value": 50 + i,
        }
        for i, w in enumerate(weeks)
    ] + [
        {
            "period_start": f"{m:%Y-%m-%d}",
            "period_end": f"{m + pd.offsets.MonthEnd(0):%Y-%m-%d}",
            "value": 70 + i,
        }
        for i, m in enumerate(months)
    ]
    write_csv(
        folder / "area_scores.csv",
        [{**r, "level": "city", "area_id": "", "metric": "trust", "n": "400", "group": ""} for r in rows],
    )
    return folder


def test_published_weekly_and_monthly_series_are_separate_lines(env, cadences_source: Path) -> None:
    from cpdash.data.load import load_dataset
    from cpdash.metrics import published
    from cpdash.metrics.memory import MemorySource
    from cpdash.views.format import number

    env(cadences_source)
    at = voice_page("Scores")
    figure = chart(at, 0)
    lines = {t["name"]: t for t in figure["data"] if t.get("mode") == "lines+markers"}
    assert set(lines) == {"City (weekly)", "City (monthly)"}  # two lines, never joined
    assert len(lines["City (weekly)"]["x"]) == 12 and len(lines["City (monthly)"]["x"]) == 3
    assert all(pd.Timestamp(x).year == 2025 for x in lines["City (weekly)"]["x"])  # dates on the x axis
    assert "%b" in figure["layout"]["xaxis"]["tickformat"] and "%Y" in figure["layout"]["xaxis"]["tickformat"]
    assert "as published" in figure["layout"]["title"]["text"]
    f = at.session_state["page_context"].filters
    src = MemorySource(load_dataset(cadences_source, cache_dir=cadences_source.parent / "cache"))
    expected = published.published_score(src, "trust", f)
    assert at.metric[0].value == number(expected.value) == "72"  # March's monthly figure ends last
    assert at.metric[0].label == f"Trust score (n={expected.n:,.0f})"
    assert expected.period in at.metric[0].help


@pytest.fixture
def small_groups_source(tmp_path: Path) -> Path:
    """North End (001): 28 responses; Riverside (002): 4, all aged 18-24; Hillcrest (003): 12, aged 25-34.
    Every response in March 2025, with a comment."""
    folder = tmp_path / "small"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(
        folder / "events.csv",
        [{"event_id": "E1", "start": "2025-03-01", "program": "Town hall", "area_id": "001"}],
    )
    plan = [("001", 28, "35-49", "The officers were great and helpful, thank you")]
    plan += [("002", 4, "18-24", "Awful, terrible, horrible police")]
    plan += [("003", 12, "25-34", "Wonderful, so good, thank you all")]
    rows = []
    for area, count, age, comment in plan:
        for i in range(count):
            trust = {"001": 6 + i % 2, "002": 1, "003": 9}[area]
            rows.append(
                {
                    "response_id": f"R{area}-{i}",
                    "submitted": f"2025-03-{1 + i % 28:02d}",
                    "area_id": area,
                    "trust": str(trust),
                    "age_group": age,
                    "comment": comment,
                }
            )
    write_csv(folder / "responses.csv", rows)
    return folder


# Below k (Riverside, 18-24), or hidden so that those cannot be worked out from the whole (Hillcrest, 25-34).
HIDDEN_NAMES = (
    "Riverside",
    "North End",
    "18-24",
    "25-34",
)  # North End: the first by id, to protect Riverside


def numbers(values: object) -> np.ndarray:
    """A plotly JSON array (a list, or typed: dtype and base64 bdata) as floats."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype("float64")
    return np.array(values, dtype="float64")


def test_public_view_shows_no_small_figure_nor_its_n(env, small_groups_source: Path, monkeypatch) -> None:
    import io

    from streamlit.runtime.media_file_manager import MediaFileManager

    files: list[bytes] = []
    add, deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def keep(self, data, *args, **kwargs):
        files.append(data if isinstance(data, bytes) else str(data).encode())
        return add(self, data, *args, **kwargs)

    def keep_later(self, make, *args, **kwargs):
        files.append(make())
        return deferred(self, make, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", keep)
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep_later)
    env(small_groups_source, CPDASH_MODE="public", CPDASH_K="10")
    pages = [voice_page(tab, voice_area="Riverside") for tab in TABS]
    figures = [chart(at, i) for at in pages for i in range(len(at.get("plotly_chart")))]
    for trace in (t for figure in figures for t in figure["data"]):
        labels = [str(v) for key in ("x", "y") if isinstance(trace.get(key), list) for v in trace[key]]
        assert not any(name in label for label in labels for name in HIDDEN_NAMES), labels
        if any(name in trace.get("name", "") for name in HIDDEN_NAMES):  # the chosen area's line: no point
            assert np.isnan(numbers(trace["y"])).all(), trace
    words = json.dumps(figures) + " ".join(map(text_of, pages))
    assert not re.search(r"n=4\b|(?:North End|Riverside|18-24|25-34)\s*\(n=", words)
    frames = [d.value for at in pages for d in at.dataframe]
    csvs = [pd.read_csv(io.BytesIO(data), encoding="utf-8-sig") for data in files]
    assert {"Area", "Breakdown", "By", "Topic", "topic"} <= {c.columns[0] for c in csvs}  # every CSV seen
    frames += csvs
    for frame in frames:
        text = frame.astype("string").fillna("")
        small = text.apply(lambda col: col.str.contains("|".join(HIDDEN_NAMES))).any(axis=1)
        figures = frame.select_dtypes("number")
        assert figures[small.to_numpy()].isna().all().all(), frame[small.to_numpy()]
    explorer = pages[TABS.index("Comment explorer")].dataframe[0].value
    assert set(explorer["Area"]) == {"Hillcrest"}  # words only from the area whose figures are shown
