"""The Community voice figures (cpdash.voice) on small hand-built data sets with known answers."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cpdash.data.dataset import Dataset, LoadReport
from cpdash.data.load import load_dataset
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.text.topics import Taxonomy, Topic
from cpdash.views import voice
from tests.conftest import area_features, write_csv, write_geojson

YEAR = Filters(date(2025, 1, 1), date(2025, 12, 31))
T3 = 3.18244631  # t(0.975, 3 degrees of freedom)
T2 = 4.30265273  # t(0.975, 2)

TAXONOMY = Taxonomy(
    (
        Topic("traffic", ("speed*",), ("velocidad",)),
        Topic("noise", ("loud",), ("ruido",)),
    ),
    "test",
)

# (response_id, submitted, area_id, event_id, trust, safety, comment, language, sentiment, age_group)
RESPONSES = [
    ("R1", "2025-01-05", "A", "E1", 2, 3, "Cars SPEED here, call 555-201-3344", "en", -0.5, "18-24"),
    ("R2", "2025-01-20", "A", "E1", 4, 5, "Loud music and speeding", "en", 0.0, "18-24"),
    ("R3", "2025-02-03", "A", None, 6, 5, "Great officers, thank you", "en", 0.8, "65+"),
    ("R4", "2025-02-25", "A", None, 8, 7, "Hay mucho ruido", None, math.nan, "65+"),
    ("R5", "2025-01-10", "B", "E2", 5, 6, "<img src=x onerror=alert(1)>", "en", 0.0, "under 18"),
    ("R6", "2025-02-11", "B", "E2", 5, None, "Thanks for the meeting", "en", 0.6, "prefer not to say"),
    ("R7", "2025-03-15", "B", None, 8, 8, None, "en", math.nan, "65+"),
    ("R8", "2024-12-30", "A", None, 1, 1, "Before the period: loud", "en", -0.7, "65+"),
]


def responses_frame() -> pd.DataFrame:
    """The responses above, sorted by date as the loader sorts them."""
    frame = pd.DataFrame(
        RESPONSES,
        columns=[
            "response_id",
            "submitted",
            "area_id",
            "event_id",
            "trust",
            "safety",
            "comment",
            "language",
            "sentiment",
            "age_group",
        ],
    )
    frame["submitted"] = pd.to_datetime(frame["submitted"])
    frame["trust"] = frame["trust"].astype("Int64")
    frame["safety"] = frame["safety"].astype("Int64")
    return frame.sort_values("submitted", kind="stable").reset_index(drop=True)


def events_frame() -> pd.DataFrame:
    """Three events: two in area A, one in B."""
    return pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3"],
            "start": pd.to_datetime(["2025-01-04 18:00", "2025-01-09 00:00", "2025-02-15 00:00"]),
            "program": ["Coffee with a Cop", "Town hall", "Block party"],
            "area_id": ["A", "B", "A"],
            "title": ["Coffee <b>at</b> Rosa's", "Town hall", "Party"],
            "attendance": [12, 40, np.nan],
        }
    )


def area_scores_frame() -> pd.DataFrame:
    """Published figures: the city by quarter, area A once, and age and gender groups."""
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(
                ["2025-01-01", "2025-04-01", "2025-04-01", "2025-04-01", "2025-04-01", "2025-04-01"]
            ),
            "period_end": pd.to_datetime(
                ["2025-03-31", "2025-06-30", "2025-06-30", "2025-06-30", "2025-06-30", "2025-06-30"]
            ),
            "level": ["city", "city", "area", "city", "city", "city"],
            "area_id": ["city", "city", "A", "city", "city", "city"],
            "metric": ["trust"] * 6,
            "value": [55.0, 58.0, 52.0, 50.0, 60.0, 57.0],
            "n": [100.0, 120.0, 3.0, 40.0, 8.0, np.nan],
            "group": [None, None, None, "age: 18-24", "age: 65+", "gender: woman"],
        }
    )


def concerns_frame() -> pd.DataFrame:
    """Two concerns in area A, one in B."""
    return pd.DataFrame(
        {
            "concern_id": ["C1", "C2", "C3"],
            "raised": pd.to_datetime(["2025-01-02", "2025-02-02", "2025-03-03"]),
            "area_id": ["A", "A", "B"],
            "topic": ["traffic", "Noise", "other"],
            "summary": ["Speeding", "Loud bar", "Hay ruido"],
        }
    )


def make_ds(**tables: pd.DataFrame | None) -> Dataset:
    """A data set of the frames above (any can be replaced or left out with None)."""
    frames = {
        "responses": responses_frame(),
        "area_scores": area_scores_frame(),
        "concerns": concerns_frame(),
        "events": events_frame(),
    }
    frames.update(tables)
    areas = pd.DataFrame({"area_id": ["A", "B"], "name": ["Alder", "Birch"]})
    return Dataset(areas=areas, report=LoadReport(source="test"), **frames)


def basis(k: int = 4, **tables: pd.DataFrame | None) -> voice.ScoreBasis:
    """The score basis of make_ds(**tables)."""
    return voice.score_basis(make_ds(**tables), k)


def index(**tables: pd.DataFrame | None) -> voice.CommentIndex:
    """The comment index of make_ds(**tables), with the two-topic taxonomy."""
    return voice.comment_index(make_ds(**tables), TAXONOMY)


# --- scores ----------------------------------------------------------------------------------------


def test_headline_score_n_and_interval_on_a_known_frame() -> None:
    cards = {
        h.metric: h for h in voice.headlines(basis(), Filters(YEAR.start, YEAR.end, ("A",)), "responses")
    }
    trust = cards["trust"]  # answers 2, 4, 6, 8 in 2025 (the 1 of 2024 is outside the period)
    assert trust.value == pytest.approx(50.0) and trust.n == 4
    half = T3 * np.std([2, 4, 6, 8], ddof=1) / 2 * 10
    assert trust.low == pytest.approx(50 - half) and trust.high == pytest.approx(50 + half)
    assert not trust.suppressed
    assert set(cards) == {"trust", "safety"}


def test_interval_is_clipped_to_the_scale() -> None:
    trust = voice.headlines(basis(), Filters(YEAR.start, YEAR.end, ("B",)), "responses")[0]
    assert trust.value == pytest.approx(60.0) and trust.n == 3  # answers 5, 5, 8
    half = T2 * np.std([5, 5, 8], ddof=1) / math.sqrt(3) * 10
    assert trust.low == pytest.approx(60 - half) and trust.high == 100.0


@pytest.mark.parametrize(("k", "suppressed"), [(3, False), (4, True)])
def test_suppression_at_k_minus_one_and_k(k: int, suppressed: bool) -> None:
    f = Filters(YEAR.start, YEAR.end, ("B",))  # area B has 3 trust answers
    assert voice.headlines(basis(k), f, "responses")[0].suppressed is suppressed
    long = voice.area_scores(basis(k), YEAR, "responses")
    row = long[(long["area_id"] == "B") & (long["metric"] == "trust")].iloc[0]
    assert bool(row["suppressed"]) is suppressed and row["n"] == 3
    public = voice.area_table(long, k, public=True).set_index("Area")
    staff = voice.area_table(long, k, public=False).set_index("Area")
    assert staff.loc["Birch", "Trust"] == 60  # staff always sees the figure ...
    if suppressed:
        assert pd.isna(public.loc["Birch", "Trust"]) and public.loc["Birch", "Trust 95 % interval"] == ""
        assert "not shown" in public.loc["Birch", "Note"] and "trust" in public.loc["Birch", "Note"]
        assert "treat with care" in staff.loc["Birch", "Note"]  # ... flagged
    else:
        assert public.loc["Birch", "Trust"] == 60
        assert public.loc["Birch", "Note"] == "fewer than 3 responses (safety): not shown"  # 2 safety answers
    assert public.loc["Birch", "Trust n"] == 3  # n is always shown


def test_area_scores_match_the_metric_definitions() -> None:
    long = voice.area_scores(basis(), YEAR, "responses")
    assert set(long["metric"]) == {"trust", "safety"}
    a = long[(long["area_id"] == "A") & (long["metric"] == "trust")].iloc[0]
    reference = metrics.score(pd.Series([2, 4, 6, 8]), 4)
    assert (a["score"], a["n"], a["low"], a["high"]) == pytest.approx(
        (reference.value, reference.n, reference.low, reference.high)
    )
    assert a["name"] == "Alder"
    safety_b = long[(long["area_id"] == "B") & (long["metric"] == "safety")].iloc[0]
    assert safety_b["n"] == 2  # one response left safety unanswered


def test_trend_of_an_area_against_the_city() -> None:
    trend = voice.score_trend(basis(), YEAR, "trust", "responses", area="A", area_name="Alder")
    alder = trend[trend["series"] == "Alder"].set_index("period")
    assert alder.loc["Jan 2025", "score"] == pytest.approx(30.0) and alder.loc["Jan 2025", "n"] == 2
    assert alder.loc["Feb 2025", "score"] == pytest.approx(70.0)
    city = trend[trend["series"] == voice.CITY_LABEL].set_index("period")
    assert city.loc["Jan 2025", "score"] == pytest.approx((2 + 4 + 5) / 3 * 10)
    assert city.loc["Mar 2025", "n"] == 1 and bool(city.loc["Mar 2025", "suppressed"])
    alone = voice.score_trend(basis(), YEAR, "trust", "responses")
    assert set(alone["series"]) == {voice.CITY_LABEL}
    chosen = voice.score_trend(basis(), Filters(YEAR.start, YEAR.end, ("B",)), "trust", "responses")
    assert set(chosen["series"]) == {voice.SELECTION_LABEL} and chosen["n"].sum() == 3


def test_area_against_the_city_table() -> None:
    table = voice.area_against_city(basis(), YEAR, "A", "responses", public=False).set_index("Score")
    assert table.loc["Trust", "Area"] == 50 and table.loc["Trust", "Area n"] == 4
    city = (2 + 4 + 6 + 8 + 5 + 5 + 8) / 7 * 10
    assert table.loc["Trust", "City"] == round(city) and table.loc["Trust", "Difference (points)"] == round(
        50 - city
    )
    hidden = voice.area_against_city(basis(), YEAR, "B", "responses", public=True).set_index("Score")
    assert pd.isna(hidden.loc["Trust", "Area"]) and pd.isna(hidden.loc["Trust", "Difference (points)"])
    flagged = voice.area_against_city(basis(), YEAR, "B", "responses", public=False)
    assert flagged["Score"].iloc[0] == "Trust ⚠"


def test_breakdown_by_age_group_in_natural_order_with_suppression() -> None:
    table = voice.breakdown(basis(), YEAR, "trust", "age_group", "responses")
    assert table["group"].tolist() == ["under 18", "18-24", "65+", "prefer not to say"]
    row = table.set_index("group").loc["18-24"]
    assert row["score"] == pytest.approx(30.0) and row["n"] == 2 and bool(row["suppressed"])
    shown, hidden = voice.public_rows(table, public=True)
    assert hidden == 4 and shown.empty  # every group rests on fewer than 4 answers
    shown, hidden = voice.public_rows(table, public=False)
    assert hidden == 0 and len(shown) == 4
    assert voice.breakdown_dimensions(basis(), "responses") == ["age_group"]


# --- published area scores -------------------------------------------------------------------------


def test_published_scores_when_they_are_the_only_scores() -> None:
    b = basis(10, responses=None)
    assert voice.score_sources(b) == ["published"]
    assert "no individual responses" in voice.source_note(b, "published")
    trust = voice.headlines(b, YEAR, "published")[0]
    assert (trust.value, trust.n) == (58.0, 120.0)  # the latest city figure, as published
    assert math.isnan(trust.low) and "30 Jun 2025" in trust.note
    area = voice.headlines(b, Filters(YEAR.start, YEAR.end, ("A",)), "published")[0]
    assert (area.value, area.n, area.suppressed) == (52.0, 3.0, True)
    trend = voice.score_trend(b, YEAR, "trust", "published", area="A", area_name="Alder")
    assert trend.groupby("series")["score"].apply(list).to_dict() == {"Alder": [52.0], "City": [55.0, 58.0]}
    long = voice.area_scores(b, YEAR, "published")
    assert long[["area_id", "score"]].values.tolist() == [["A", 52.0]]


def test_published_breakdowns_and_their_small_numbers() -> None:
    b = basis(10, responses=None)
    assert voice.breakdown_dimensions(b, "published") == ["age_group", "gender"]
    ages = voice.breakdown(b, YEAR, "trust", "age_group", "published").set_index("group")
    assert ages["score"].to_dict() == {"18-24": 50.0, "65+": 60.0}
    assert ages["suppressed"].to_dict() == {"18-24": False, "65+": True}  # n=8 < k=10
    gender = voice.breakdown(b, YEAR, "trust", "gender", "published")
    assert gender["group"].tolist() == ["woman"] and pd.isna(gender["n"].iloc[0])  # n not published


def test_which_scores_are_shown_when_both_exist() -> None:
    b = basis()
    assert voice.score_sources(b) == ["responses", "published"]
    assert "also holds published area scores" in voice.source_note(b, "responses")
    assert "also holds individual responses" in voice.source_note(b, "published")
    none = basis(responses=None, area_scores=None)
    assert voice.score_sources(none) == [] and voice.headlines(none, YEAR, None) == []
    assert voice.score_trend(none, YEAR, None, None).empty


# --- events against trust --------------------------------------------------------------------------


def test_events_against_trust_for_one_area() -> None:
    ds = make_ds()
    events = voice.area_events(ds, YEAR, "A")
    assert events["program"].tolist() == ["Coffee with a Cop", "Block party"]
    assert pd.isna(events["attendance"].iloc[1])
    only_coffee = voice.area_events(ds, Filters(YEAR.start, YEAR.end, (), ("Coffee with a Cop",)), "A")
    assert len(only_coffee) == 1
    trend = voice.score_trend(basis(), YEAR, "trust", "responses", area="A", area_name="Alder")
    text = voice.timing_summary(trend, events, "Alder", "Trust", public=False)
    assert "from 30 (Jan 2025, n=2) to 70 (Feb 2025, n=2)" in text
    assert "2 engagement events" in text and "not why" in text and "caused" in text
    quiet = voice.timing_summary(trend.iloc[0:0], events.iloc[0:0], "Alder", "Trust", public=False)
    assert "Not enough trust answers" in quiet and "No engagement event" in quiet


# --- comments: sentiment, languages, topics ----------------------------------------------------------


def test_comment_index_counts_languages_and_leaves_spanish_unscored() -> None:
    idx = index()
    rows = voice.select_rows(idx, YEAR)
    assert idx.size == 7 and len(rows) == 6  # R7 has no comment; R8 is in 2024
    lang = voice.languages(idx, rows)
    assert (lang.comments, lang.english, lang.spanish, lang.other, lang.scored) == (6, 5, 1, 0, 5)


def test_net_sentiment_by_month_follows_the_metric_definition() -> None:
    idx = index()
    monthly = voice.net_by_month(idx, voice.select_rows(idx, YEAR), k=2).set_index("month")
    responses = responses_frame()
    for month, group in responses[responses["submitted"].dt.year == 2025].groupby(
        responses["submitted"].dt.to_period("M")
    ):
        expected = metrics.net_sentiment(group["sentiment"])
        if expected.n == 0:
            continue
        row = monthly.loc[month.to_timestamp()]
        assert row["net"] == pytest.approx(expected.net) and row["n"] == expected.n
    jan = monthly.loc[pd.Timestamp("2025-01-01")]
    assert (jan["positive"], jan["negative"], jan["n"]) == pytest.approx((0.0, 100 / 3, 3))
    assert jan["comments"] == 3 and not jan["suppressed"]
    assert bool(monthly.loc[pd.Timestamp("2025-02-01"), "suppressed"]) is False  # 2 scored, k=2


def test_net_sentiment_by_area_and_by_program() -> None:
    idx = index()
    rows = voice.select_rows(idx, YEAR)
    by_area = voice.net_by(idx, rows, "area", k=3).set_index("key")
    assert by_area.loc["A", "n"] == 3 and by_area.loc["A", "net"] == pytest.approx(0.0)
    assert by_area.loc["B", "label"] == "Birch" and by_area.loc["B", "net"] == pytest.approx(50.0)
    assert bool(by_area.loc["B", "suppressed"])  # 2 scored comments < 3
    by_program = voice.net_by(idx, rows, "program", k=3).set_index("key")
    assert by_program["n"].to_dict() == {"Coffee with a Cop": 2, "Town hall": 2}  # through event_id
    assert by_program.loc["Coffee with a Cop", "net"] == pytest.approx(-50.0)
    no_events = index(events=None)
    assert voice.net_by(no_events, voice.select_rows(no_events, YEAR), "program", 3).empty
    total = voice.net_sentiment_total(idx, rows, k=10)
    assert total["n"] == 5 and total["net"] == pytest.approx(20.0) and total["suppressed"]


def test_topic_tagging_shares_trend_and_sentiment() -> None:
    idx = index()
    rows = voice.select_rows(idx, YEAR)
    shares = voice.topic_shares(idx, rows, k=1).set_index("topic")
    # traffic: R1, R2; noise: R2 and R4 (Spanish keyword); no topic: R3, R5, R6
    assert shares["comments"].to_dict() == {"traffic": 2, "noise": 2, voice.NO_TOPIC: 3}
    assert shares.loc["traffic", "share"] == pytest.approx(2 / 6 * 100)
    assert shares.loc["noise", "n"] == 1  # the Spanish comment is tagged but not scored
    assert shares.loc["traffic", "net"] == pytest.approx(-50.0)
    trend = voice.topic_trend(idx, rows, ["noise"]).set_index("month")
    assert trend.loc[pd.Timestamp("2025-01-01"), "comments"] == 1
    assert trend.loc[pd.Timestamp("2025-02-01"), "share"] == pytest.approx(100 / 3)
    concerns = voice.concern_topic_counts(idx, YEAR).set_index("topic")["concerns"].to_dict()
    assert concerns == {"noise": 2, "traffic": 1, voice.NO_TOPIC: 0}  # C3 'other' tagged by 'ruido'
    only_b = voice.concern_topic_counts(idx, Filters(YEAR.start, YEAR.end, ("B",)))
    assert only_b.set_index("topic")["concerns"].to_dict() == {"noise": 1, "traffic": 0, voice.NO_TOPIC: 0}


def test_explorer_search_filters_newest_first_and_redaction() -> None:
    idx = index()
    rows = voice.select_rows(idx, YEAR)
    found, total = voice.explore(idx, rows)
    assert total == 6 and found["Submitted"].tolist() == sorted(found["Submitted"], reverse=True)
    assert list(found.columns) == voice.EXPLORER_COLUMNS
    found, total = voice.explore(idx, rows, query="  speed ")
    assert total == 2 and "[phone]" in found["Comment"].iloc[-1] and "3344" not in "".join(found["Comment"])
    assert voice.explore(idx, rows, query="RUÍDO")[1] == 1  # case and accents ignored
    assert voice.explore(idx, rows, query="loud speeding")[1] == 1  # every word must be there
    assert voice.explore(idx, rows, topic="noise", language="Spanish")[1] == 1
    assert voice.explore(idx, rows, topic=voice.NO_TOPIC)[1] == 3
    assert voice.explore(idx, rows, sentiment="not scored")[1] == 1
    assert voice.explore(idx, rows, sentiment="positive")[0]["Area"].tolist() == ["Birch", "Alder"]
    html, _ = voice.explore(idx, rows, query="img")
    assert html["Comment"].tolist() == ["<img src=x onerror=alert(1)>"]  # text, as written
    limited, total = voice.explore(idx, rows, limit=2)
    assert len(limited) == 2 and total == 6
    b_rows = voice.select_rows(idx, YEAR, area="B")
    assert voice.explore(idx, b_rows)[1] == 2
    assert voice.explore(idx, rows, topic="no such topic")[1] == 0


def test_data_without_comments_gives_an_empty_index() -> None:
    no_comments = responses_frame().drop(columns=["comment"])
    idx = index(responses=no_comments)
    assert idx.size == 0
    rows = voice.select_rows(idx, YEAR)
    assert voice.net_by_month(idx, rows, 3).empty and voice.topic_shares(idx, rows, 3).empty
    assert voice.explore(idx, rows)[1] == 0
    assert voice.concern_topic_counts(idx, YEAR)["concerns"].sum() == 3  # concerns are still tagged
    assert index(responses=None).size == 0


def test_the_frames_are_not_modified() -> None:
    ds = make_ds()
    before = {name: getattr(ds, name).copy() for name in ("responses", "events", "area_scores", "concerns")}
    voice.comment_index(ds, TAXONOMY)
    voice.score_basis(ds, 4)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(ds, name), frame)


# --- the score cache at load ------------------------------------------------------------------------


def test_a_second_load_scores_no_text_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    write_csv(
        folder / "events.csv",
        [{"event_id": "E1", "start": "2025-01-10", "program": "Town hall", "area_id": "001"}],
    )
    comments = [
        "Great meeting, thank you",
        "Terrible, nobody came",
        "Great meeting, thank you",
        "Hay mucho ruido",
    ]
    write_csv(
        folder / "responses.csv",
        [
            {"response_id": f"R{i}", "submitted": "2025-01-11", "area_id": "001", "trust": "5", "comment": c}
            for i, c in enumerate(comments)
        ],
    )
    scored: list[str] = []
    original = SentimentIntensityAnalyzer.polarity_scores

    def counting(self: SentimentIntensityAnalyzer, text: str) -> dict[str, float]:
        scored.append(text)
        return original(self, text)

    monkeypatch.setattr(SentimentIntensityAnalyzer, "polarity_scores", counting)
    first = load_dataset(folder, cache_dir=tmp_path / "cache")
    assert sorted(scored) == [
        "Great meeting, thank you",
        "Terrible, nobody came",
    ]  # each distinct English text once
    scored.clear()
    second = load_dataset(folder, cache_dir=tmp_path / "cache")
    assert scored == []  # the restart read every score from the cache
    pd.testing.assert_series_equal(first.responses["sentiment"], second.responses["sentiment"])
    idx = voice.comment_index(second, TAXONOMY)
    assert voice.languages(idx, voice.select_rows(idx, YEAR)).spanish == 1


def test_periods_that_start_and_end_mid_month() -> None:
    f = Filters(date(2025, 1, 10), date(2025, 2, 10), ("A",))  # A: 4 on 20 Jan and 6 on 3 Feb
    assert voice.headlines(basis(), f, "responses")[0].value == pytest.approx(50.0)
    trend = voice.score_trend(basis(), f, "trust", "responses").set_index("period")
    assert trend["score"].to_dict() == pytest.approx({"Jan 2025": 40.0, "Feb 2025": 60.0})
    assert trend["n"].tolist() == [1, 1]
    empty = Filters(date(2030, 1, 1), date(2030, 12, 31))
    assert voice.score_trend(basis(), empty, "trust", "responses").empty
    assert voice.headlines(basis(), empty, "responses")[0].n == 0


def test_breakdown_within_chosen_areas() -> None:
    table = voice.breakdown(basis(), Filters(YEAR.start, YEAR.end, ("A",)), "trust", "age_group", "responses")
    assert table.set_index("group")["score"].to_dict() == pytest.approx({"18-24": 30.0, "65+": 70.0})
    everyone = voice.breakdown(basis(), YEAR, "trust", "age_group", "responses").set_index("group")
    assert everyone.loc["65+", "score"] == pytest.approx((6 + 8 + 8) / 3 * 10)  # A's two and B's one
    half = T2 * np.std([6, 8, 8], ddof=1) / math.sqrt(3) * 10
    assert everyone.loc["65+", "low"] == pytest.approx(everyone.loc["65+", "score"] - half)
