"""The Community voice views (cpdash.views.voice_*) on small hand-built data sets with known answers:
every figure from cpdash.metrics, through the small-numbers policy."""

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
from cpdash.metrics import areas, published, scores, sentiment
from cpdash.metrics.comments import NO_TOPIC
from cpdash.metrics.gather import AREA, MONTH, PROGRAM
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.text.topics import Taxonomy, Topic
from cpdash.views import (
    voice,
    voice_events,
    voice_explorer,
    voice_groups,
    voice_scores,
    voice_sentiment,
    voice_topics,
)
from cpdash.views.figures import score_figure
from cpdash.views.trends import CITY, SELECTION, score_trend
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


def source(**tables: pd.DataFrame | None) -> MemorySource:
    """The in-memory source of make_ds(**tables), with the two-topic taxonomy."""
    return MemorySource(make_ds(**tables), TAXONOMY)


def staff(k: int = 4) -> Policy:
    """The staff view's policy (small figures flagged)."""
    return Policy(k, public=False)


def public(k: int = 4) -> Policy:
    """The public view's policy (small figures hidden, with secondary suppression)."""
    return Policy(k, public=True)


def controls(src: MemorySource) -> voice.Controls:
    """The page's choices for a source."""
    return voice.controls(src, areas.names(src))


def only(*area_ids: str) -> Filters:
    """The year 2025 in some areas."""
    return YEAR.with_areas(area_ids)


# --- scores ----------------------------------------------------------------------------------------


def test_headline_score_n_and_interval_on_a_known_frame() -> None:
    src = source()
    heads = voice_scores.headlines(src, only("A"), staff(), controls(src), "responses")
    cards = {c.key: c for c in heads.cards}
    assert set(cards) == {"trust", "safety"}
    assert (cards["trust"].label, cards["trust"].value) == ("Trust score (n=4)", "50")
    trust = score_figure(src, "trust", only("A"), staff(), "responses")  # answers 2, 4, 6, 8 in 2025
    assert trust.value == pytest.approx(50.0) and trust.n == 4 and trust.status == SHOWN
    half = T3 * np.std([2, 4, 6, 8], ddof=1) / 2 * 10
    assert trust.low == pytest.approx(50 - half) and trust.high == pytest.approx(50 + half)
    assert "individual survey responses" in heads.source_note


def test_interval_is_clipped_to_the_scale() -> None:
    trust = score_figure(source(), "trust", only("B"), staff(), "responses")
    assert trust.value == pytest.approx(60.0) and trust.n == 3  # answers 5, 5, 8
    half = T2 * np.std([5, 5, 8], ddof=1) / math.sqrt(3) * 10
    assert trust.low == pytest.approx(60 - half) and trust.high == 100.0


@pytest.mark.parametrize(("k", "flagged"), [(3, False), (4, True)])
def test_suppression_at_k_minus_one_and_k(k: int, flagged: bool) -> None:
    src = source()  # area B has 3 trust answers and 2 safety answers; area A 4 of each
    assert (score_figure(src, "trust", only("B"), staff(k), "responses").status == FLAGGED) is flagged
    long = voice_scores.area_scores(src, YEAR, staff(k), controls(src), "responses")
    row = long[(long["area_id"] == "B") & (long["metric"] == "trust")].iloc[0]
    assert (row["status"] == FLAGGED) is flagged and row["n"] == 3
    hidden = voice_scores.area_scores(src, YEAR, public(k), controls(src), "responses")
    shown = voice_scores.area_table(hidden, public(k)).set_index("Area")
    table = voice_scores.area_table(long, staff(k)).set_index("Area")
    assert table.loc["Birch", "Trust"] == 60  # staff always sees the figure ...
    if flagged:
        assert "treat with care" in table.loc["Birch", "Note"]  # ... flagged
        assert pd.isna(shown.loc["Birch", "Trust"]) and shown.loc["Birch", "Trust 95 % interval"] == ""
        assert pd.isna(shown.loc["Birch", "Trust n"])  # a hidden figure's n is hidden too
        assert "not shown" in shown.loc["Birch", "Note"] and "trust" in shown.loc["Birch", "Note"]
        # Alder's trust (n=4) would give Birch's away from the city's: hidden too
        assert pd.isna(shown.loc["Alder", "Trust"]) and pd.isna(shown.loc["Alder", "Trust n"])
        assert "cannot be worked out" in shown.loc["Alder", "Note"]
    else:
        assert shown.loc["Birch", "Trust"] == 60 and shown.loc["Birch", "Trust n"] == 3
        assert shown.loc["Birch", "Note"] == "fewer than 3 responses (safety): not shown"  # 2 safety answers
        assert (
            shown.loc["Alder", "Note"] == "not shown so that a smaller figure cannot be worked out (safety)"
        )
        assert shown.loc["Alder", "Trust"] == 50


def test_area_scores_match_the_metric_definitions() -> None:
    src = source()
    long = voice_scores.area_scores(src, YEAR, staff(), controls(src), "responses")
    assert set(long["metric"]) == {"trust", "safety"}
    a = long[(long["area_id"] == "A") & (long["metric"] == "trust")].iloc[0]
    reference = scores.score(src, "trust", only("A"))
    assert (a["score"], a["n"], a["low"], a["high"]) == pytest.approx(
        (reference.value, reference.n, reference.low, reference.high)
    )
    assert a["score"] == pytest.approx(50.0) and a["high"] == pytest.approx(
        50 + T3 * np.std([2, 4, 6, 8], ddof=1) * 5
    )
    assert a["name"] == "Alder"
    safety_b = long[(long["area_id"] == "B") & (long["metric"] == "safety")].iloc[0]
    assert safety_b["n"] == 2  # one response left safety unanswered
    chart, note = voice_scores.area_chart_rows(long, "trust", staff(), "Alder")
    assert chart["label"].tolist() == ["Alder (n=4)", "Birch (n=3) ⚠"] and chart["highlight"].tolist() == [
        True,
        False,
    ]
    assert note == ""


def test_trend_of_an_area_against_the_city() -> None:
    src = source()
    trend = score_trend(src, "trust", YEAR, staff(), "A", "Alder", "responses")
    alder = trend[trend["series"] == "Alder"].set_index("period")
    assert alder.loc["Jan 2025", "score"] == pytest.approx(30.0) and alder.loc["Jan 2025", "n"] == 2
    assert alder.loc["Feb 2025", "score"] == pytest.approx(70.0)
    city = trend[trend["series"] == CITY].set_index("period")
    assert city.loc["Jan 2025", "score"] == pytest.approx((2 + 4 + 5) / 3 * 10)
    assert city.loc["Mar 2025", "n"] == 1 and bool(city.loc["Mar 2025", "flagged"])
    alone = score_trend(src, "trust", YEAR, staff(), source="responses")
    assert set(alone["series"]) == {CITY}
    chosen = score_trend(src, "trust", only("B"), staff(), source="responses")
    assert set(chosen["series"]) == {SELECTION} and chosen["n"].sum() == 3
    tab = voice_scores.scores_tab(src, YEAR, staff(), controls(src), "trust", "responses", "A")
    pd.testing.assert_frame_equal(tab.trend, trend)


def test_area_against_the_city_table() -> None:
    src, ctl = source(), controls(source())
    table = voice_scores.area_against_city(src, YEAR, staff(), ctl, "A", "responses").set_index("Score")
    assert table.loc["Trust", "Area"] == 50 and table.loc["Trust", "Area n"] == 4
    city = (2 + 4 + 6 + 8 + 5 + 5 + 8) / 7 * 10
    assert table.loc["Trust", "City"] == round(city)
    assert table.loc["Trust", "Difference (points)"] == round(50 - city)
    hidden = voice_scores.area_against_city(src, YEAR, public(), ctl, "B", "responses").set_index("Score")
    assert pd.isna(hidden.loc["Trust", "Area"]) and pd.isna(hidden.loc["Trust", "Difference (points)"])
    assert pd.isna(hidden.loc["Trust", "Area n"]) and hidden.loc["Trust", "City n"] == 7
    flagged = voice_scores.area_against_city(src, YEAR, staff(), ctl, "B", "responses")
    assert flagged["Score"].iloc[0] == "Trust ⚠"


def test_breakdown_by_age_group_in_natural_order_with_suppression() -> None:
    src = source()
    table = voice_groups.breakdown(src, YEAR, staff(), "trust", "age_group", "responses")
    assert table["group"].tolist() == ["under 18", "18-24", "65+", "prefer not to say"]
    row = table.set_index("group").loc["18-24"]
    assert row["score"] == pytest.approx(30.0) and row["n"] == 2 and row["status"] == FLAGGED
    hidden = voice_groups.breakdown(src, YEAR, public(), "trust", "age_group", "responses")
    assert (hidden["status"] == HIDDEN).all() and hidden["score"].isna().all() and hidden["n"].isna().all()
    assert voice_groups.chart_rows(hidden).empty  # every group rests on fewer than 4 answers
    assert len(voice_groups.chart_rows(table)) == 4
    assert voice_groups.dimensions(src, "responses") == ["age_group"]
    tab = voice_groups.groups_tab(src, YEAR, public(), "trust", "responses")
    assert tab.charts[0].note.startswith("Not shown: 4 groups with fewer than 4 responses")
    assert tab.table["Score"].isna().all() and tab.table["n"].isna().all()


def test_secondary_suppression_of_groups_counts_the_answers_without_a_group() -> None:
    responses = responses_frame()
    groups = {"R1": "18-24", "R2": "18-24", "R3": "18-24", "R4": "18-24", "R5": "65+", "R6": "65+"}
    responses["age_group"] = responses["response_id"].map(groups)  # R7 (trust 8) has none
    src = source(responses=responses)
    table = voice_groups.breakdown(src, YEAR, public(3), "trust", "age_group", "responses").set_index("group")
    # 65+ (2 answers) is hidden; everyone (7) minus 18-24 (4) mixes it with R7's answer: 3 answers, so
    # 18-24 may be shown
    assert table["status"].to_dict() == {"18-24": SHOWN, "65+": HIDDEN}
    assert table.loc["18-24", "score"] == pytest.approx(50.0) and pd.isna(table.loc["65+", "n"])
    responses["age_group"] = responses["response_id"].map(groups | {"R7": "18-24"})
    every = voice_groups.breakdown(
        source(responses=responses), YEAR, public(3), "trust", "age_group", "responses"
    )
    assert every.set_index("group")["status"].to_dict() == {"18-24": voice.SECONDARY, "65+": HIDDEN}


# --- published area scores -------------------------------------------------------------------------


def test_published_scores_when_they_are_the_only_scores() -> None:
    src = source(responses=None)
    ctl = controls(src)
    assert ctl.sources == ("published",) and ctl.metrics == {"published": ("trust",)}
    assert "no individual responses" in voice.source_note(ctl.sources, "published")
    card = voice_scores.headlines(src, YEAR, staff(10), ctl, "published").cards[0]
    assert (card.value, card.label) == ("58", "Trust score (n=120)")  # the latest city figure, as published
    assert "30 Jun 2025" in card.help and "30 Jun 2025" in card.note
    trust = score_figure(src, "trust", YEAR, staff(10), "published")
    assert math.isnan(trust.low) and trust.value == published.published_score(src, "trust", YEAR).value
    area = score_figure(src, "trust", only("A"), staff(10), "published")
    assert (area.value, area.n, area.status) == (52.0, 3.0, FLAGGED)
    trend = score_trend(src, "trust", YEAR, staff(10), "A", "Alder", "published")
    assert trend.groupby("series")["score"].apply(list).to_dict() == {"Alder": [52.0], "City": [55.0, 58.0]}
    long = voice_scores.area_scores(src, YEAR, staff(10), ctl, "published")
    assert long[["area_id", "score"]].values.tolist() == [["A", 52.0]]
    assert "Trust 95 % interval" not in voice_scores.area_table(long, staff(10), intervals=False).columns
    hidden = voice_scores.area_scores(src, YEAR, public(10), ctl, "published")
    assert hidden["score"].isna().all() and hidden["n"].isna().all()  # n=3 < 10


def test_published_breakdowns_and_their_small_numbers() -> None:
    src = source(responses=None)
    assert voice_groups.dimensions(src, "published") == ["age_group", "gender"]
    ages = voice_groups.breakdown(src, YEAR, staff(10), "trust", "age_group", "published").set_index("group")
    assert ages["score"].to_dict() == {"18-24": 50.0, "65+": 60.0}
    assert ages["status"].to_dict() == {"18-24": SHOWN, "65+": FLAGGED}  # n=8 < k=10
    gender = voice_groups.breakdown(src, YEAR, staff(10), "trust", "gender", "published")
    assert gender["group"].tolist() == ["woman"] and pd.isna(gender["n"].iloc[0])  # n not published ...
    assert gender["score"].iloc[0] == 57.0 and gender["status"].iloc[0] == SHOWN  # ... shown as published
    unknown = area_scores_frame().assign(n=np.nan)
    long = voice_scores.area_scores(
        source(responses=None, area_scores=unknown), YEAR, public(10), controls(src), "published"
    )
    assert (
        long[["area_id", "score", "status"]].values.tolist() == [["A", 52.0, SHOWN]]
        and long["n"].isna().all()
    )
    hidden = voice_groups.breakdown(src, YEAR, public(10), "trust", "age_group", "published").set_index(
        "group"
    )
    assert hidden["status"].to_dict() == {"18-24": voice.SECONDARY, "65+": HIDDEN}
    assert hidden["score"].isna().all() and hidden["n"].isna().all()


def test_which_scores_are_shown_when_both_exist() -> None:
    src = source()
    ctl = controls(src)
    assert ctl.sources == ("responses", "published")
    assert "also holds published area scores" in voice.source_note(ctl.sources, "responses")
    assert "also holds individual responses" in voice.source_note(ctl.sources, "published")
    published_card = voice_scores.headlines(src, YEAR, staff(10), ctl, "published").cards[0]
    assert published_card.value == "58"  # the user's choice of source wins
    none = source(responses=None, area_scores=None)
    assert controls(none).sources == ()
    assert voice_scores.headlines(none, YEAR, staff(), controls(none), None).cards == []
    assert voice_groups.groups_tab(none, YEAR, staff(), None, None).empty == voice_groups.NO_BREAKDOWN


# --- events against trust --------------------------------------------------------------------------


def test_events_against_trust_for_one_area() -> None:
    ds, src = make_ds(), source()
    events = voice_events.area_events(ds, YEAR, "A")
    assert events["program"].tolist() == ["Coffee with a Cop", "Block party"]
    assert pd.isna(events["attendance"].iloc[1])
    only_coffee = voice_events.area_events(ds, Filters(YEAR.start, YEAR.end, (), ("Coffee with a Cop",)), "A")
    assert len(only_coffee) == 1
    trend = score_trend(src, "trust", YEAR, staff(), "A", "Alder", "responses")
    text = voice_events.timing_summary(trend, events, "Alder", "Trust")
    assert "from 30 (Jan 2025, n=2) to 70 (Feb 2025, n=2)" in text
    assert "2 engagement events" in text and "not why" in text and "caused" in text
    quiet = voice_events.timing_summary(trend.iloc[0:0], events.iloc[0:0], "Alder", "Trust")
    assert "Not enough trust answers" in quiet and "No engagement event" in quiet
    tab = voice_events.events_tab(ds, src, YEAR, public(), "trust", "responses", "A", "Alder")
    assert "n=2" not in tab.summary  # in public, months on 2 answers are gaps
    assert voice_events.events_tab(ds, src, YEAR, staff(), "trust", "responses", None, "").empty


# --- comments: sentiment, languages, topics ----------------------------------------------------------


def test_comments_count_languages_and_leave_spanish_unscored() -> None:
    src = source()
    assert len(src.comment_table()) == 7  # R7 has no comment
    lang = voice_sentiment.languages(src, YEAR)  # R8 is in 2024
    assert (lang.comments, lang.english, lang.spanish, lang.other, lang.scored) == (6, 5, 1, 0, 5)


def test_net_sentiment_by_month_by_hand() -> None:
    # Jan: R1 -0.5, R2 0.0, R5 0.0 -> 3 scored, 1 negative: net -33; Feb: R3 0.8, R6 0.6 (R4 not scored)
    monthly = voice_sentiment.net_table(source(), YEAR, staff(2), MONTH).set_index("key")
    jan, feb = monthly.loc[pd.Timestamp("2025-01-01")], monthly.loc[pd.Timestamp("2025-02-01")]
    assert (jan["positive"], jan["negative"], jan["n"]) == pytest.approx((0.0, 100 / 3, 3))
    assert jan["net"] == pytest.approx(-100 / 3) and jan["comments"] == 3 and jan["status"] == SHOWN
    assert (feb["net"], feb["n"], feb["comments"], feb["status"]) == (100.0, 2, 3, SHOWN)  # 2 scored, k=2
    assert list(monthly.index) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]  # March: none


def test_net_sentiment_by_area_and_by_program() -> None:
    src = source()
    names = areas.names(src)
    by_area = voice_sentiment.net_table(src, YEAR, staff(3), AREA, names).set_index("key")
    assert by_area.loc["A", "n"] == 3 and by_area.loc["A", "net"] == pytest.approx(0.0)
    assert by_area.loc["B", "label"] == "Birch" and by_area.loc["B", "net"] == pytest.approx(50.0)
    assert by_area.loc["B", "status"] == FLAGGED  # 2 scored comments < 3
    hidden = voice_sentiment.net_table(src, YEAR, public(3), AREA, names).set_index("key")
    assert hidden["net"].isna().all() and hidden["n"].isna().all()  # B hidden; A would give it away
    by_program = voice_sentiment.net_table(src, YEAR, staff(3), PROGRAM).set_index("key")
    assert by_program["n"].to_dict() == {"Coffee with a Cop": 2, "Town hall": 2}  # through event_id
    assert by_program.loc["Coffee with a Cop", "net"] == pytest.approx(-50.0)
    assert voice_sentiment.net_table(source(events=None), YEAR, staff(3), PROGRAM).empty
    total = sentiment.net_sentiment(src, YEAR)
    assert total.n == 5 and total.net == pytest.approx(20.0)
    tab = voice_sentiment.sentiment_tab(src, YEAR, public(10), names)
    assert [c.value for c in tab.cards[:3]] == ["—", "—", "—"] and tab.cards[0].label == "Net sentiment"
    assert tab.cards[3].value == "—" and "5 in English" not in tab.caption  # no count gives n=5 away
    staff_tab = voice_sentiment.sentiment_tab(src, YEAR, staff(10), names)
    assert staff_tab.cards[3].value == "1" and "5 in English" in staff_tab.caption  # the Spanish comment
    assert tab.table["Net sentiment"].isna().all() and tab.table["Scored comments"].isna().all()


def test_topic_tagging_shares_trend_and_sentiment() -> None:
    src = source()
    shares = voice_topics.topic_shares(src, YEAR, staff(1)).set_index("topic")
    # traffic: R1, R2; noise: R2 and R4 (Spanish keyword); no topic: R3, R5, R6
    assert shares["comments"].to_dict() == {"traffic": 2, "noise": 2, NO_TOPIC: 3}
    assert shares.loc["traffic", "share"] == pytest.approx(2 / 6 * 100)
    assert shares.loc["noise", "n"] == 1  # the Spanish comment is tagged but not scored
    assert shares.loc["traffic", "net"] == pytest.approx(-50.0)
    trend = voice_topics.topic_trend(src, YEAR, staff(1), ["noise"]).set_index("month")
    assert trend.loc[pd.Timestamp("2025-01-01"), "comments"] == 1
    assert trend.loc[pd.Timestamp("2025-02-01"), "share"] == pytest.approx(100 / 3)
    topics = [*TAXONOMY.names, NO_TOPIC]
    concerns = voice_topics.concern_counts(src, YEAR, topics).set_index("topic")["concerns"].to_dict()
    assert concerns == {"noise": 2, "traffic": 1, NO_TOPIC: 0}  # C3 'other' tagged by 'ruido'
    only_b = voice_topics.concern_counts(src, only("B"), topics)
    assert only_b.set_index("topic")["concerns"].to_dict() == {"noise": 1, "traffic": 0, NO_TOPIC: 0}
    hidden = voice_topics.topic_shares(src, YEAR, public(3)).set_index("topic")
    assert hidden["comments"].to_dict() == pytest.approx(
        {"traffic": np.nan, "noise": np.nan, NO_TOPIC: 3}, nan_ok=True
    )
    few = hidden.loc[["traffic", "noise"]]  # at most 2 comments a topic
    assert few["net"].isna().all() and few["n"].isna().all()
    assert hidden.loc[NO_TOPIC, "n"] == 3 and hidden.loc[NO_TOPIC, "net"] == pytest.approx(200 / 3)
    tab = voice_topics.topics_tab(src, YEAR, staff(1))
    assert tab.ranked == ["noise", "traffic"] and list(tab.taxonomy.columns) == [
        "topic",
        "keywords_en",
        "keywords_es",
    ]


def test_explorer_search_filters_newest_first_and_redaction() -> None:
    src = source()
    table, names = src.comment_table(), areas.names(src)
    rows = voice_explorer.select_rows(table, YEAR)

    def explore(rows: np.ndarray = rows, **options) -> tuple[pd.DataFrame, int]:
        return voice_explorer.explore(table, src.comment_topics(), rows, names, **options)

    found, total = explore()
    assert total == 6 and found["Submitted"].tolist() == sorted(found["Submitted"], reverse=True)
    assert list(found.columns) == voice_explorer.COLUMNS
    found, total = explore(query="  speed ")
    assert total == 2 and "[phone]" in found["Comment"].iloc[-1] and "3344" not in "".join(found["Comment"])
    assert explore(query="RUÍDO")[1] == 1  # case and accents ignored
    assert explore(query="loud speeding")[1] == 1  # every word must be there
    assert explore(topic="noise", language="Spanish")[1] == 1
    assert explore(topic=NO_TOPIC)[1] == 3
    assert explore(sentiment_class="not scored")[1] == 1
    assert explore(sentiment_class="positive")[0]["Area"].tolist() == ["Birch", "Alder"]
    html, _ = explore(query="img")
    assert html["Comment"].tolist() == ["<img src=x onerror=alert(1)>"]  # text, as written
    limited, total = explore(limit=2)
    assert len(limited) == 2 and total == 6
    assert explore(voice_explorer.select_rows(table, YEAR, area="B"))[1] == 2
    assert explore(topic="no such topic")[1] == 0
    hits = voice_explorer.search_texts(table, "speed")
    assert explore(hits=hits)[1] == 2


def test_the_public_explorer_lists_only_areas_whose_figures_are_shown() -> None:
    src, names = source(), areas.names(src := source())
    staff_view = voice_explorer.explorer(src, YEAR, staff(3), names)
    assert staff_view.matches == 6 and staff_view.download and staff_view.public_note == ""
    # k=3: Birch has 2 scored comments (hidden), so Alder's 3 would give them away: neither is listed
    nothing = voice_explorer.explorer(src, YEAR, public(3), names)
    assert nothing.matches == 0 and not nothing.download and "public view" in nothing.public_note
    more = pd.concat(
        [
            responses_frame(),
            pd.DataFrame(
                {
                    "response_id": [f"R{i}" for i in range(9, 15)],
                    "submitted": pd.to_datetime([f"2025-04-0{d}" for d in range(1, 7)]),
                    "area_id": ["A"] * 3 + ["C"] * 3,
                    "comment": ["Good", "Fine", "Bad", "Good too", "Fine too", "Bad too"],
                    "language": "en",
                    "sentiment": [0.5, 0.1, -0.5] * 2,
                }
            ),
        ],
        ignore_index=True,
    ).sort_values("submitted", kind="stable")
    grown = source(responses=more)
    listed = voice_explorer.explorer(grown, YEAR, public(3), names)
    # Birch: 2 scored comments, hidden; Alder (6): hidden so that Birch's cannot be worked out (the first by
    # id, whatever its size: every period hides the same one); C: 3, listed
    assert listed.matches == 3 and set(listed.frame["Area"]) == {"C"}
    assert voice_explorer.explorer(grown, YEAR, public(3), names, area="B").matches == 0


def test_data_without_comments() -> None:
    src = source(responses=responses_frame().drop(columns=["comment"]))
    assert len(src.comment_table()) == 0 and not src.has("comments")
    assert voice_sentiment.net_table(src, YEAR, staff(3), MONTH).empty
    assert voice_topics.topic_shares(src, YEAR, staff(3)).empty
    assert voice_sentiment.sentiment_tab(src, YEAR, staff(3), {}).empty.startswith("No comments in the data")
    view = voice_explorer.explorer(src, YEAR, staff(3), {})
    assert view.matches == 0 and "no comments to explore" in view.empty
    topics = [*TAXONOMY.names, NO_TOPIC]
    assert voice_topics.concern_counts(src, YEAR, topics)["concerns"].sum() == 3  # concerns are still tagged
    assert len(source(responses=None).comment_table()) == 0


def test_the_frames_are_not_modified() -> None:
    ds = make_ds()
    before = {name: getattr(ds, name).copy() for name in ("responses", "events", "area_scores", "concerns")}
    src = MemorySource(ds, TAXONOMY)
    voice_explorer.explorer(src, YEAR, staff(), areas.names(src))
    voice_scores.scores_tab(src, YEAR, staff(), controls(src), "trust", "responses", "A")
    voice_topics.topics_tab(src, YEAR, staff())
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
    assert voice_sentiment.languages(MemorySource(second, TAXONOMY), YEAR).spanish == 1


def test_periods_that_start_and_end_mid_month() -> None:
    src = source()
    f = Filters(date(2025, 1, 10), date(2025, 2, 10), ("A",))  # A: 4 on 20 Jan and 6 on 3 Feb
    assert score_figure(src, "trust", f, staff(), "responses").value == pytest.approx(50.0)
    trend = score_trend(src, "trust", f, staff(), source="responses").set_index("period")
    assert trend["score"].to_dict() == pytest.approx({"Jan 2025": 40.0, "Feb 2025": 60.0})
    assert trend["n"].tolist() == [1, 1]
    empty = Filters(date(2030, 1, 1), date(2030, 12, 31))
    assert score_trend(src, "trust", empty, staff(), source="responses").empty
    assert score_figure(src, "trust", empty, staff(), "responses").raw_n == 0


def test_breakdown_within_chosen_areas() -> None:
    src = source()
    table = voice_groups.breakdown(src, only("A"), staff(), "trust", "age_group", "responses")
    assert table.set_index("group")["score"].to_dict() == pytest.approx({"18-24": 30.0, "65+": 70.0})
    everyone = voice_groups.breakdown(src, YEAR, staff(), "trust", "age_group", "responses").set_index(
        "group"
    )
    assert everyone.loc["65+", "score"] == pytest.approx((6 + 8 + 8) / 3 * 10)  # A's two and B's one
    half = T2 * np.std([6, 8, 8], ddof=1) / math.sqrt(3) * 10
    assert everyone.loc["65+", "low"] == pytest.approx(everyone.loc["65+", "score"] - half)


def test_the_events_and_trust_legend_sits_under_the_dates() -> None:
    """An area's score over time above its events: the score's legend under the two-line dates (a fraction
    of the plot below the axis covered them)."""
    from test_charts import legend_clear_of_the_axis

    from cpdash.charts import voice

    ds, src = make_ds(), source()
    trend = score_trend(src, "trust", YEAR, staff(), "A", "Alder", "responses")
    fig = voice.events_trust_chart(trend, voice_events.area_events(ds, YEAR, "A"), "Trust", "Alder")
    legend_clear_of_the_axis(fig, voice.DATE_TICKS)
