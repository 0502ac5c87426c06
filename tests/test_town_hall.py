"""The town hall's sections for one area and period, on a small hand-built data set with known answers.

Period: 1 Jan – 31 Mar 2026 (90 days); the previous period is 3 Oct – 31 Dec 2025 (an event in area B on
1 Oct 2025 makes the data begin before it, so that changes are shown). Area A (Northside) has 3 events in
the period (attendance 10, 20 and not counted) and 1 before; 12 trust answers now (six 5s and six 7s: 60)
and 10 before (all 8s: 80); only 4 safety answers now (fewer than k = 10).
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from cpdash.data.dataset import Dataset, LoadReport
from cpdash.export import pack
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.published import published_score
from cpdash.metrics.suppression import Policy
from cpdash.views import town_hall as th
from cpdash.views.figures import score_figure

PERIOD = Filters(date(2026, 1, 1), date(2026, 3, 31))
STEM = "cpdash-town-hall-northside-2026-01-01-2026-03-31"
COMMENTS = [  # (submitted, comment, sentiment), oldest first
    ("2026-01-03", "The officers at the meeting listened to us properly.", 0.6),
    ("2026-01-10", "Cars speed past the school, write to me at ana@example.com", -0.4),
    ("2026-01-12", "I saw two officers walking the beat this week.", 0.0),
    ("2026-01-20", "Nobody called back after my report, ring 555-123-4567.", -0.5),
    ("2026-02-02", "Thank you for fixing the lights near the park.", 0.7),
    ("2026-02-10", "short", -0.9),
    ("2026-02-14", "Meetings are held on Tuesdays at the library now.", 0.0),
    ("2026-02-20", "Great job with the youth football league this winter!", 0.8),
    ("2026-03-01", "Still drug dealing at 4417 W Elm St, nothing changes.", -0.6),
    ("2026-03-05", "The community meeting was on the second floor.", 0.01),
    ("2026-03-10", "", np.nan),
    ("2026-03-20", "", np.nan),
]


def _strings(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Text columns as the loader types them."""
    for column in columns:
        frame[column] = frame[column].astype("string")
    return frame


def make_dataset(with_concerns: bool = True, with_responses: bool = True) -> Dataset:
    """The small data set described at the top of the module."""
    areas = pd.DataFrame(
        {"area_id": ["A", "B"], "name": ["Northside", "Southside"], "level": "district", "population": 10_000}
    )
    events = pd.DataFrame(
        [
            ("E0", "2025-11-05 18:00", "Coffee with a Cop", "A", 5, 0, 2.0, "Autumn coffee"),
            ("E1", "2026-01-15 18:00", "Coffee with a Cop", "A", 10, 2, 3.0, "Coffee at Rosa's"),
            ("E2", "2026-02-01 18:00", "Beat / community meeting", "A", 20, 0, 4.0, "Beat 11 meeting"),
            ("E3", "2026-03-03 18:00", "Beat / community meeting", "A", None, None, 4.0, "Beat 11 meeting"),
            ("E4", "2026-02-11 18:00", "Block party", "B", 50, 10, 6.0, "Block party"),
            ("E5", "2026-04-10 10:00", "Community clean-up", "A", None, None, None, "Spring clean-up <b>now</b>"),
            ("E6", "2026-04-20 18:00", "Town hall", "A", None, None, None, None),
            ("E7", "2025-10-01 18:00", "Block party", "B", 30, 5, 3.0, "Autumn block party"),
        ],
        columns=["event_id", "start", "program", "area_id", "attendance", "youth_attendance", "officer_hours", "title"],
    )  # fmt: skip
    events["start"] = pd.to_datetime(events["start"])
    events = _strings(events, ("event_id", "program", "area_id", "title"))
    responses = None
    if with_responses:
        rows = []
        for i, (when, comment, sentiment) in enumerate(COMMENTS):
            safety = 6.0 if i < 4 else np.nan
            rows.append((f"R{i}", when, "A", 5.0 if i % 2 else 7.0, safety, comment or None, sentiment))
        rows += [(f"P{i}", f"2025-11-{i + 1:02d}", "A", 8.0, 7.0, None, np.nan) for i in range(10)]
        rows += [("Q1", "2026-02-01", "B", 9.0, 9.0, "A comment from the other area entirely.", 0.5)]
        responses = pd.DataFrame(
            rows, columns=["response_id", "submitted", "area_id", "trust", "safety", "comment", "sentiment"]
        )
        responses["submitted"] = pd.to_datetime(responses["submitted"])
        responses = _strings(responses, ("response_id", "area_id", "comment"))
        responses = responses.sort_values("submitted", kind="stable").reset_index(drop=True)
    concerns = None
    if with_concerns:
        concerns = pd.DataFrame(
            [
                ("C1", "A", "noise", "2026-01-05", "resolved", "2026-02-04", "Loud bar, mail jo@example.com", "Licence reviewed"),
                ("C2", "A", "noise", "2026-02-10", "open", None, "Music at night", None),
                ("C3", "A", "traffic", "2026-03-01", "in progress", None, "Speeding on Elm St", None),
                ("C4", "A", "traffic", "2026-01-20", "resolved", "2026-03-20", "Stop sign down", "Sign replaced"),
                ("C5", "A", "lighting", "2025-11-01", "open", None, "Dark alley", None),
                ("C6", "A", "noise", "2025-11-10", "resolved", "2026-01-02", "Fireworks", "Patrols at night"),
                ("C7", "A", "noise", "2025-11-20", "resolved", "2025-12-01", "Barking", "Owner spoken to"),
                ("C8", "B", "drugs", "2026-01-08", "open", None, "Dealing near the park", None),
            ],
            columns=["concern_id", "area_id", "topic", "raised", "status", "resolved", "summary", "action"],
        )  # fmt: skip
        for column in ("raised", "resolved"):
            concerns[column] = pd.to_datetime(concerns[column])
        concerns = _strings(concerns, ("concern_id", "area_id", "topic", "status", "summary", "action"))
    return Dataset(
        events=events, areas=areas, report=LoadReport("test"), responses=responses, concerns=concerns
    )


@pytest.fixture
def ds() -> Dataset:
    return make_dataset()


def build(ds: Dataset, area: str = "A", f: Filters = PERIOD, k: int = 10, public: bool = True) -> th.TownHall:
    """The town hall of `area` through the small-numbers policy of k (public-safe by default)."""
    return th.build(MemorySource(ds), ds, area, f, Policy(k, public))


def sections(town_hall: th.TownHall) -> dict[str, th.Section]:
    return {s.key: s for s in town_hall.sections}


def facts(section: th.Section) -> dict[str, th.Fact]:
    return {f.label.split(" (")[0]: f for f in section.facts}


def test_five_sections_in_order_with_area_and_period(ds: Dataset):
    town_hall = build(ds)
    assert [s.key for s in town_hall.sections] == ["engagement", "voice", "feel", "did", "open"]
    assert [s.title for s in town_hall.sections] == [title for _, title in th.SECTIONS]
    assert town_hall.area_name == "Northside"
    assert town_hall.period_text == "1 Jan 2026 – 31 Mar 2026"
    assert town_hall.name_parts == ("town-hall", "Northside", "2026-01-01", "2026-03-31")
    assert town_hall.public is True  # public-safe by default


def test_engagement_against_the_previous_period(ds: Dataset):
    section = sections(build(ds))["engagement"]
    f = facts(section)
    assert f["Events"].value == "3" and f["Events"].detail == "1 in the previous period"
    assert f["People who came"].value == "30"
    assert "1 event not counted" in f["People who came"].detail
    assert f["Young people"].value == "7 %"  # 2 of the 30 counted at events with both figures
    assert section.lead == (
        "We held 3 events in Northside between 1 Jan 2026 and 31 Mar 2026, 2 more than in the previous period (1)."
    )
    table = dict(section.tables)["events-by-program"]
    assert table.set_index("Program")["Events"].to_dict() == {
        "Beat / community meeting": 2,
        "Coffee with a Cop": 1,
    }
    assert [name for name, _ in section.charts] == ["events-by-program"]


def test_programs_filter_applies_to_engagement(ds: Dataset):
    coffee = Filters(PERIOD.start, PERIOD.end, (), ("Coffee with a Cop",))
    assert facts(sections(build(ds, f=coffee))["engagement"])["Events"].value == "1"


def test_what_you_told_us_has_top_topics_and_redacted_quotes(ds: Dataset):
    section = sections(build(ds))["voice"]
    f = facts(section)
    assert f["Concerns raised"].value == "4" and f["Comments"].value == "10"
    assert section.lead == "You raised 4 concerns with us; the most raised: noise and traffic."
    topics = dict(section.tables)["top-topics"]
    assert topics["Topic"].tolist() == ["noise", "traffic"] and topics["Concerns"].tolist() == [2, 2]
    # The latest negative, positive and neutral comment, newest first, redacted.
    assert list(section.quotes) == [
        "The community meeting was on the second floor.",
        "Still drug dealing at [address], nothing changes.",
        "Great job with the youth football league this winter!",
    ]
    assert not any("@" in q or "4417" in q for q in section.quotes)


def test_quotes_are_withheld_when_fewer_than_k_comments(ds: Dataset):
    section = sections(build(ds, k=11))["voice"]
    assert section.quotes == ()
    assert any("Fewer than 11 comments" in n for n in section.notes)
    staff = sections(build(ds, k=11, public=False))["voice"]
    assert len(staff.quotes) == 3


def test_pick_quotes_without_sentiment_takes_the_latest():
    frame = pd.DataFrame(
        {
            "submitted": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-02"]),
            "comment": ["First comment, long enough to quote.", "Third comment, long enough to quote.", "ok"],
        }
    )
    assert th.pick_quotes(frame) == [
        "Third comment, long enough to quote.",
        "First comment, long enough to quote.",
    ]
    long = pd.DataFrame({"comment": ["word " * 100]})
    assert th.pick_quotes(long)[0].endswith("…") and len(th.pick_quotes(long)[0]) <= th.QUOTE_MAX_CHARS + 1


def test_how_you_feel_shows_n_and_hides_small_numbers(ds: Dataset):
    section = sections(build(ds))["feel"]
    f = facts(section)
    assert f["Trust"].label == "Trust (n=12)" and f["Trust"].value == "60"
    assert "down 20 points on the previous period" in f["Trust"].detail
    assert f["Safety"].label == "Safety" and f["Safety"].value == "—"  # hidden, and its n with it
    assert f["Safety"].detail == "Not enough answers to show (fewer than 10)"
    assert section.lead == "On a scale of 0 to 100, you rate trust 60."
    table = dict(section.tables)["trust-and-safety"].set_index(["Measure", "Period"])
    assert np.isnan(table.loc[("Safety", "This period"), "Score"])
    assert np.isnan(table.loc[("Safety", "This period"), "Answers (n)"])
    assert table.loc[("Trust", "Previous period"), "Score"] == 80
    chart = dict(section.charts)["trust-and-safety"]
    this_period = next(t for t in chart.data if t.name == "This period")
    assert list(this_period.x) == ["Trust", "Safety"]
    assert this_period.y[0] == 60 and np.isnan(this_period.y[1])


def test_staff_view_flags_small_numbers_instead(ds: Dataset):
    section = sections(build(ds, public=False))["feel"]
    safety = facts(section)["Safety"]
    assert safety.value == "60 ⚠" and "treat with care" in safety.detail


def test_what_we_did_shows_resolved_concerns(ds: Dataset):
    section = sections(build(ds, k=2))["did"]  # k=2: the area raised enough concerns for its words
    f = facts(section)
    assert f["Resolved"].value == "3"  # C1, C4 and C6 (raised before the period)
    assert f["Resolved"].detail == "1 in the previous period"
    assert f["Median days to resolve"].value == "53"  # 30, 53 and 59 days
    assert [c.concern_id for c in section.cards] == ["C4", "C1", "C6"]
    assert section.cards[1].said == "Loud bar, mail [email]"
    table = dict(section.tables)["resolved-concerns"]
    assert len(table) == 3 and "Loud bar, mail [email]" in table["You said"].tolist()


def test_residents_words_in_concerns_only_from_areas_with_k_concerns(ds: Dataset):
    """Public-safe, what residents said is shown only from an area with at least k concerns raised in the
    period (here fewer than 10): the cards keep the topic and what was done; staff see the words."""
    public = sections(build(ds))
    assert [c.said for c in public["did"].cards] == ["", "", ""]
    assert all(c.did for c in public["did"].cards if c.concern_id == "C1")
    assert "Loud bar" not in dict(public["did"].tables)["resolved-concerns"].to_csv()
    assert any("at least 10 concerns" in n for n in public["did"].notes)
    assert "What residents said" not in dict(public["open"].tables).get("open-concerns", {}) or not any(
        dict(public["open"].tables)["open-concerns"]["What residents said"].astype(str).str.strip()
    )
    staff = sections(build(ds, public=False))
    assert staff["did"].cards[1].said == "Loud bar, mail [email]"


def test_what_is_still_open_and_next_steps(ds: Dataset):
    section = sections(build(ds))["open"]
    f = facts(section)
    assert f["Still open"].value == "3"  # C2, C3, C5
    assert f["Still open"].detail == "2 at the end of the previous period"  # C5, C6
    assert f["In progress"].value == "1"
    assert f["Longest wait"].value == "150 days" and f["Longest wait"].detail == "lighting"
    assert section.lead == "3 concerns are still open on 31 Mar 2026; we are working on 1 of them."
    assert section.bullets[0] == "We are working on traffic (1)"
    assert "10 Apr 2026: Spring clean-up <b>now</b> (Community clean-up)" in section.bullets
    assert "20 Apr 2026: Town hall (Town hall)" in section.bullets
    table = dict(section.tables)["open-concerns"]
    assert table["Days open"].tolist() == [150, 49, 30]


def test_other_areas_do_not_leak_in(ds: Dataset):
    town_hall = build(ds, "B")
    s = sections(town_hall)
    assert facts(s["engagement"])["Events"].value == "1"
    assert facts(s["voice"])["Concerns raised"].value == "1"
    assert s["voice"].quotes == ()  # 1 comment, fewer than k
    assert facts(s["feel"])["Trust"].value == "—"


def test_without_concerns_the_sections_say_so():
    town_hall = build(make_dataset(with_concerns=False))
    s = sections(town_hall)
    assert any("No concerns table" in n for n in s["voice"].notes)
    assert any("No concerns table" in n for n in s["did"].notes)
    assert any("No concerns table" in n for n in s["open"].notes)
    assert s["did"].facts == () and s["open"].charts == ()
    assert len(s["voice"].quotes) == 3  # the comments still speak


def test_without_responses_how_you_feel_says_so():
    s = sections(build(make_dataset(with_responses=False)))
    assert s["feel"].facts == ()
    assert "no survey answers" in s["feel"].lead
    assert any("No survey responses" in n for n in s["voice"].notes)


def test_building_leaves_the_shared_frames_alone(ds: Dataset):
    before = {name: getattr(ds, name).copy() for name in ("events", "responses", "concerns", "areas")}
    build(ds)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(ds, name), frame)


def test_area_options_are_sorted_by_name():
    assert th.area_options({"A": "Northside", "B": "Southside", "C": "eastside"}) == ["C", "A", "B"]
    assert th.default_area(["A", "B"], Filters(areas=("B",)), None) == "B"
    assert th.default_area(["A", "B"], Filters(areas=("B",)), "A") == "A"  # the one chosen before stays
    assert th.default_area([], PERIOD, None) is None


def test_public_safe_is_the_policy_of_a_public_view(ds: Dataset):
    staff, public = Policy(10), Policy(10, public=True)
    assert th.town_hall_policy(staff, public_safe=True) == public
    assert th.town_hall_policy(staff, public_safe=False) == staff
    assert th.town_hall_policy(public, public_safe=False) == public  # a public deployment always is
    src = MemorySource(ds)
    assert th.setup(src, ds, "A", PERIOD, staff, public_safe=False).scope.policy == staff
    kiosk = th.setup(src, ds, "A", PERIOD, public, public_safe=False)
    assert kiosk.public_safe and kiosk.scope.policy == public
    assert th.public_safe_choice(staff) and th.public_safe_choice(public) is None
    # Row-level tables (concerns one by one) are not handed out in a public deployment: aggregates only.
    names = {name for s in th.town_hall(kiosk.scope).sections for name, _ in s.tables}
    assert names == {"events-by-program", "top-topics", "trust-and-safety"}
    assert th.step(0, -1) == 0 and th.step(4, 1) == 4 and th.step(1, 1) == 2


def test_the_slide_shows_the_trust_every_page_shows(ds: Dataset):
    """The town hall's trust is views.figures.score_figure's, and the pack's HTML and CSV say the same."""
    src = MemorySource(ds)
    for policy in (Policy(10, public=True), Policy(10), Policy(13, public=True)):
        town_hall = th.build(src, ds, "A", PERIOD, policy)
        feel = sections(town_hall)["feel"]
        expected = score_figure(src, "trust", PERIOD.with_areas(("A",)), policy)
        trust = next(fig for fig in feel.scores if fig.metric == "trust")
        assert trust == expected
        fact = facts(feel)["Trust"]
        csv = pd.read_csv(io.BytesIO(pack.tables_csv(town_hall)[f"{STEM}-trust-and-safety.csv"]))
        row = csv[(csv["Measure"] == "Trust") & (csv["Period"] == "This period")].iloc[0]
        page = pack.pack_html(town_hall).replace(get_plotlyjs(), "")  # the slides, not the library
        if policy.k == 13:  # 12 answers: hidden, with its n
            assert np.isnan(expected.value) and np.isnan(expected.n)
            assert (fact.label, fact.value) == ("Trust", "—")
            assert pd.isna(row["Score"]) and pd.isna(row["Answers (n)"])
            assert "n=12" not in page
        else:
            assert (expected.value, expected.n) == (60, 12)
            assert fact.label == "Trust (n=12)" and fact.value.startswith("60")
            assert (row["Score"], row["Answers (n)"]) == (60, 12)
            assert '<div class="label">Trust (n=12)</div><div class="value">60</div>' in page


def published_only() -> Dataset:
    """Events and published area scores only: no responses, no concerns."""
    ds = make_dataset(with_concerns=False, with_responses=False)
    rows = [  # period_start, period_end, level, area_id, metric, value, n
        ("2025-10-01", "2025-12-31", "district", "A", "trust", 55.0, 300),
        ("2026-01-01", "2026-03-31", "district", "A", "trust", 62.0, 250),  # ends last; longest of those
        ("2026-03-01", "2026-03-31", "district", "A", "trust", 64.0, 80),  # ends as late, shorter
        ("2026-04-01", "2026-06-30", "district", "A", "trust", 70.0, 260),  # ends after the period
        ("2026-01-01", "2026-03-31", "district", "B", "trust", 40.0, 200),  # another area
        ("2026-01-01", "2026-03-31", "city", None, "trust", 58.0, 4000),  # the city
        ("2026-01-01", "2026-03-31", "district", "A", "safety", 51.0, 6),  # fewer than k
    ]
    scores = pd.DataFrame(
        rows, columns=["period_start", "period_end", "level", "area_id", "metric", "value", "n"]
    )
    for column in ("period_start", "period_end"):
        scores[column] = pd.to_datetime(scores[column])
    return Dataset(events=ds.events, areas=ds.areas, report=ds.report, area_scores=scores)


def test_with_published_scores_only_the_area_gets_its_published_trust():
    ds = published_only()
    src = MemorySource(ds)
    town_hall = th.build(src, ds, "A", PERIOD, Policy(10, public=True))
    feel = sections(town_hall)["feel"]
    rule = published_score(src, "trust", PERIOD.with_areas(("A",)))
    assert (rule.value, rule.n, rule.period) == (62.0, 250, "1 Jan – 31 Mar 2026")
    trust, safety = facts(feel)["Trust"], facts(feel)["Safety"]
    assert (trust.label, trust.value) == ("Trust (n=250)", "62")
    assert trust.detail == "out of 100; published for 1 Jan – 31 Mar 2026 (quarterly)"
    assert (safety.label, safety.value) == ("Safety", "—")  # 6 answers: hidden with its n
    assert feel.lead == "Published survey figures for Northside, on a scale of 0 to 100: trust 62."
    table = dict(feel.tables)["trust-and-safety"].set_index(["Measure", "Period"])
    assert table.loc[("Trust", "This period"), "Score"] == 62
    assert table.loc[("Trust", "This period"), "Published for"] == "1 Jan – 31 Mar 2026"
    assert table.loc[("Trust", "Previous period"), "Score"] == 55  # the figure ending in the compared period
    page = pack.pack_html(town_hall).replace(get_plotlyjs(), "")
    assert "Trust (n=250)" in page and "published for 1 Jan – 31 Mar 2026" in page and "n=6" not in page
    staff = sections(th.build(src, ds, "A", PERIOD, Policy(10)))["feel"]
    assert facts(staff)["Safety"].value == "51 ⚠"
    other = sections(town_hall)
    assert "no survey responses" in " ".join(other["voice"].notes).lower()
    assert facts(other["engagement"])["Events"].value == "3"
