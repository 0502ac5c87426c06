"""The Participation page's programs, seasonality, reach and repeat engagement (through the small-numbers
policy), on the hand-worked data set of tests/participation_data.py, and their charts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from participation_data import (
    COFFEE,
    NAMES,
    NAN,
    PERIOD,
    SHARES_B,
    SPORTS,
    TOWN_HALL,
    D,
    areas_frame,
    attendees_frame,
    event_frame,
    events_frame,
    source_of,
)

from cpdash.charts import participation_reach as reach_charts
from cpdash.charts import participation_trend as trend_charts
from cpdash.metrics import repeat as rep
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views import participation as p
from cpdash.views import participation_notable as nb
from cpdash.views import participation_programs as pm
from cpdash.views import participation_reach as pr
from cpdash.views import participation_repeat as pp
from cpdash.views import participation_season as ps
from cpdash.views.participation_text import names_sentence

STAFF = Policy(3, public=False)


@pytest.fixture
def src():
    """The source of the hand-worked data set, attendee records included."""
    return source_of(events_frame(), areas_frame(), attendees_frame())


def repeat_of(src, f: Filters = PERIOD, policy: Policy = STAFF) -> pp.RepeatView | None:
    """Repeat engagement as the page shows it."""
    return pp.repeat_engagement(src, f, policy, int(src.events(f).first("events")))


# --- program mix -----------------------------------------------------------------------------------


def test_program_mix_with_change_against_the_previous_period(src):
    mix = pm.program_mix(src, PERIOD, PERIOD.previous())
    t = mix.table.set_index("program")
    assert list(t.index) == [SPORTS, COFFEE, TOWN_HALL]  # attendance 800, 300, unknown
    assert t.loc[COFFEE, "attendance"] == 300 and t.loc[COFFEE, "attendance_before"] == 200
    assert t.loc[COFFEE, "attendance_change_pct"] == pytest.approx(50)
    assert t.loc[COFFEE, "cost_per_attendee"] == pytest.approx(150 / 300)
    assert t.loc[SPORTS, "youth_attendance"] == 640
    assert t.loc[SPORTS, "events_before"] == 0 and t.loc[SPORTS, "events_change"] == 2
    assert math.isnan(t.loc[TOWN_HALL, "attendance"])
    assert t.loc[TOWN_HALL, "events_without_attendance"] == 1
    assert (mix.best, mix.worst) == (COFFEE, SPORTS)  # $0.50 and $0.62 per attendee
    assert mix.caption.startswith(
        "Most cost-effective: Coffee with a Cop at $0.50 per attendee; least: Youth sports and activities at $0.62."
    )
    assert "Biggest change on the previous period: attendance at Coffee with a Cop rose 50 %" in mix.caption
    assert "New this period: Youth sports and activities." in mix.caption
    download = pm.program_download(mix)
    assert download.loc[download["Program"] == COFFEE, "Attendance change (%)"].item() == 50
    assert "Events, previous period" in download.columns


def test_cost_ranking_needs_enough_counted_attendees():
    mix = pd.DataFrame(
        {"program": ["a", "b", "c"], "attendance": [40.0, 500.0, 60.0], "cost_per_attendee": [1.0, 5.0, 9.0]}
    )
    assert pm.cost_ranking(mix) == ("b", "c")  # a has fewer than 50 counted attendees
    assert pm.cost_ranking(mix, minimum=10) == ("a", "c")
    assert pm.cost_ranking(mix, minimum=100) == (None, None)
    caption = pm.program_caption(
        mix.assign(attendance_change_pct=NAN, attendance_before=NAN, events_before=1), None, None
    )
    assert caption.startswith("Too few counted attendees to rank programs on cost")


# --- seasonality -----------------------------------------------------------------------------------


def test_seasonality_matrix_keeps_unknown_cells_blank(src):
    s = ps.seasonality(src, PERIOD)
    assert list(s.matrix.index) == [SPORTS, COFFEE, TOWN_HALL]
    assert s.matrix.loc[SPORTS].tolist() == [0, 300, 500]
    assert s.matrix.loc[COFFEE].tolist() == [200, 0, 100]
    town_hall = s.matrix.loc[TOWN_HALL]
    assert math.isnan(town_hall.iloc[0]) and town_hall.iloc[1:].tolist() == [0, 0]
    assert s.caption.startswith("Busiest month: March 2025 (600 people).")
    assert "seasonality cannot be judged" in s.caption
    events = ps.seasonality(src, PERIOD, "events")
    assert events.matrix.loc[TOWN_HALL].tolist() == [1, 0, 0]
    assert list(ps.seasonality_download(s).columns) == ["Program", "2025-01", "2025-02", "2025-03"]


def test_seasonality_names_the_most_seasonal_program():
    rows = [(f"C{m}", f"2025-{m:02d}-10", COFFEE, "A", 20, 0, 1, 10) for m in range(1, 13)]
    rows += [(f"B{m}", f"2025-{m:02d}-12", "Block party", "B", 100, 0, 1, 10) for m in (6, 7, 8)]
    s = ps.seasonality(source_of(event_frame(rows)), Filters(D(2025, 1, 1), D(2025, 12, 31)))
    assert s.caption == (
        "Busiest month: June 2025 (120 people). "
        "Most seasonal: Block party, with 100 % of its attendance in Jun, Jul, Aug."
    )


# --- reach -----------------------------------------------------------------------------------------


def test_reach_per_10000_residents_ranked_with_areas_without_events_named(src):
    r = pr.reach(src, PERIOD)
    t = r.table
    assert list(t["name"]) == ["Birch", "Alder", "Cedar"]
    assert list(t["per_10k"][:2]) == [1000, 600]  # 500 of 5,000 and 600 of 10,000
    assert list(t["rank"]) == [1, 2, 3]  # no event: 0 per 10,000, as cpdash.metrics counts it
    assert list(t["note"]) == ["", "", "no event"]
    assert r.no_event == ["Cedar"]
    assert r.no_event_text == "No engagement in 1 area: Cedar."
    assert (
        r.caption
        == "Reach ranges from 600 attendees per 10,000 residents in Alder to 1,000 in Birch (median 800)."
    )
    assert list(r.shown["part"]) == ["all", "all"]
    assert list(pr.reach_download(r)["Area"]) == ["Birch", "Alder", "Cedar"]


def test_reach_chart_shows_the_top_and_bottom_of_many_areas():
    table = pd.DataFrame(
        {
            "area_id": [f"X{i:03d}" for i in range(300)],
            "name": [f"Area {i}" for i in range(300)],
            "population": 1000.0,
            "events": [1] * 290 + [0] * 10,
            "attendance": [float(300 - i) for i in range(300)],
            "per_10k": [float(300 - i) * 10 if i < 290 else NAN for i in range(300)],
        }
    )
    table["rank"] = table["per_10k"].rank(ascending=False)
    rows = pr.reach_rows(table)
    assert len(rows) == 2 * pr.REACH_SHOW
    assert list(rows["name"][:2]) == ["Area 0", "Area 1"]
    assert list(rows["name"][-1:]) == ["Area 289"]  # the least reached area that had events
    assert list(rows["part"]) == ["top"] * pr.REACH_SHOW + ["bottom"] * pr.REACH_SHOW
    fig = reach_charts.reach_chart(rows, len(table))
    assert "the 10 most and 10 least reached of 300 areas" in fig.layout.title.text
    assert len(fig.data[0].y) == 20


def test_names_in_sentences_are_made_inert_in_markdown():
    areas = areas_frame().assign(name=["Alder", "Birch", "[x](http://e.test) *C*"])
    src = source_of(event_frame([("X", "2025-02-01", COFFEE, "A", 40, 0, 1, 10)]), areas)
    r = pr.reach(src, Filters(D(2025, 2, 1), D(2025, 2, 28)))
    assert "](" not in r.no_event_text and "\\[x\\]" in r.no_event_text and "\\*C\\*" in r.no_event_text


def test_no_engagement_lists_at_most_a_dozen_names():
    assert names_sentence([f"N{i}" for i in range(15)]).endswith("N11 and 3 more")
    assert names_sentence(["A", "B", "C"]) == "A, B and C"


# --- repeat engagement -----------------------------------------------------------------------------


def test_repeat_engagement_from_attendee_records(src):
    figures = rep.repeat(src, PERIOD)
    assert (figures.participants, figures.repeat) == (4, 1)
    assert figures.records == 5  # E999 is not an event; the duplicate Q1 at C1 counts once
    assert figures.share_repeat == pytest.approx(0.25)
    r = repeat_of(src)
    assert (r.participants, r.share_repeat) == ("4", "25 %")
    assert r.coverage == "4 of 5"  # C2 has no records
    assert r.caption == (
        "25 % of the 4 participants with attendee records came to 2 or more events in the period (1 person)."
    )
    m = r.monthly
    assert list(m["participants"]) == [2, 1, 2]
    assert list(m["returning"]) == [0, 1, 1]  # Q1 back in February; Q3 (first seen in November) in March
    assert list(m["new"]) == [2, 0, 1]
    assert r.returning_caption.startswith(
        "In March 2025, 50 % of the 2 participants had been to an earlier event"
    )


def test_who_attends_beside_the_residents(src):
    r = repeat_of(src)
    ages = r.ages.set_index("age_group")
    assert ages["participants"].tolist() == [1, 1, 0, 0, 0, 1]
    np.testing.assert_allclose(ages["share"], [1 / 3, 1 / 3, 0, 0, 0, 1 / 3])
    # Cedar has no shares: Alder (10,000) and Birch (5,000) weighted by population
    np.testing.assert_allclose(ages["population_share"], [4 / 15, 0.1, 2.5 / 15, 2.5 / 15, 2.5 / 15, 2 / 15])
    assert r.age_caption.startswith(
        "18-24 make up 33 % of participants but 10 % of residents; 25-34 are the most under-represented "
        "(0 % against 17 %)."
    )
    assert "1 participant without an age group is left out." in r.age_caption  # Q4
    assert list(pp.age_download(r).columns)[:3] == ["Age group", "Participants", "Share of participants (%)"]
    assert list(pp.returning_download(r)["Returning"]) == [0, 1, 1]
    assert pp.returning_download(r)["Note"].tolist() == ["⚠ fewer than 3 participants"] * 3  # staff: flagged


def test_small_numbers_of_participants_are_hidden_in_public_and_flagged_for_staff(src):
    public = repeat_of(src, policy=Policy(10, public=True))
    assert (public.participants, public.share_repeat) == ("—", "—") and not public.shown
    assert public.caption == "Fewer than 10 participants in this selection: figures are not shown."
    assert "age profile is not shown" in public.age_caption
    assert public.monthly["participants"].isna().all() and public.ages["participants"].isna().all()
    staff = repeat_of(src, policy=Policy(10))
    assert staff.participants == "4 ⚠" and staff.shown
    assert "⚠ fewer than 10 participants" in staff.caption


def test_public_age_groups_are_hidden_as_a_set():
    """12 under 18 and one 18-24 at C1, 15 aged 25-34 at C3: the lone 18-24 is hidden, and so is the youngest
    group, so that it cannot be found by subtracting the others from the 28 participants."""
    people = [("C1", f"U{i}", "under 18") for i in range(12)] + [("C1", "Y0", "18-24")]
    people += [("C3", f"A{i}", "25-34") for i in range(15)]
    attendees = pd.DataFrame(people, columns=["event_id", "participant_key", "age_group"])
    src = source_of(events_frame(), areas_frame(), attendees)
    r = repeat_of(src, policy=Policy(5, public=True))
    assert r.participants == "28"
    ages = r.ages.set_index("age_group")
    assert ages["participants"].isna().tolist() == [True, True, False, False, False, False]
    assert ages.loc["25-34", "participants"] == 15
    assert (
        "Age groups on fewer than 5 participants are left blank, with others (the youngest first)"
        in r.age_caption
    )
    months = r.monthly.set_index("month")["participants"]
    assert months.tolist() == [13, 15, 0]  # March: nobody, shown as none
    staff = repeat_of(src, policy=Policy(5))
    assert staff.ages.set_index("age_group")["participants"].tolist() == [12, 1, 15, 0, 0, 0]


def test_repeat_engagement_follows_the_area_filter(src):
    r = repeat_of(src, Filters(PERIOD.start, PERIOD.end, ("B",)), Policy(1))
    assert (rep.repeat(src, Filters(PERIOD.start, PERIOD.end, ("B",))).participants, r.participants) == (
        1,
        "1",
    )
    assert r.share_repeat == "0 %"  # only Q4, at C4
    assert r.ages["population_share"].tolist() == pytest.approx(list(SHARES_B))


def test_without_attendee_table_the_section_says_what_it_needs():
    assert repeat_of(source_of(events_frame(), areas_frame(), None)) is None
    assert "attendees" in pp.NO_ATTENDEES and "participant_key" in pp.NO_ATTENDEES
    no_key = pd.DataFrame({"event_id": ["C1"]})
    assert repeat_of(source_of(events_frame(), areas_frame(), no_key)) is None


def test_age_profile_without_population_shares():
    areas = pd.DataFrame(
        {"area_id": ["A", "B"], "name": ["Alder", "Birch"], "level": "beat", "population": 1.0}
    )
    r = repeat_of(source_of(events_frame(), areas, attendees_frame()), policy=Policy(1))
    assert r.ages["population_share"].isna().all()
    assert "no population shares by age" in r.age_caption


# --- a filter that selects nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        Filters(D(2030, 1, 1), D(2030, 6, 30)),
        Filters(PERIOD.start, PERIOD.end, ("C",)),
        Filters(PERIOD.start, PERIOD.end, (), ("Other",)),
    ],
)
def test_a_filter_that_selects_nothing_is_said_in_words(src, f):
    v = p.participation(src, nb.notables(src.ds.events), f, STAFF, NAMES)
    assert v.cards[0].value == "0" and v.cards[1].value == "—"
    assert v.trend.empty == "No event in this period and selection: there is no trend to draw."
    assert v.trend.caption == "No event in this period and selection."
    assert p.participation(
        src, nb.notables(src.ds.events), f, STAFF, NAMES, split="area", measure="events"
    ).trend.empty
    assert v.programs.empty and "no program to compare" in v.programs.empty
    assert v.season.empty and "no season" in v.season.empty
    assert v.reach.empty and "no area was reached" in v.reach.empty
    assert v.reach.no_event_text.startswith("No engagement in")
    assert v.repeat.empty == "No event in this period and selection: there is no attendance to follow."
    t, mix, s, r, repeat = v.trend, v.programs, v.season, v.reach, v.repeat
    for figure in (
        trend_charts.trend_chart(t.groups, t.months, t.notable, "attendance", "Program", t.empty),
        reach_charts.program_chart(mix.table, None, None, mix.empty),
        trend_charts.seasonality_chart(s.matrix, "attendance", s.empty),
        reach_charts.reach_chart(r.shown, len(r.table), r.empty),
        trend_charts.returning_chart(repeat.monthly, repeat.empty),
        reach_charts.age_chart(repeat.ages, repeat.empty),
    ):
        assert figure.layout.annotations[0].text  # the empty figure says why


def test_an_empty_events_table():
    src = source_of(event_frame([]))
    v = p.participation(src, nb.notables(src.ds.events), PERIOD, STAFF, NAMES)
    assert v.cards[0].value == "0"
    assert v.trend.empty and v.programs.empty and v.season.empty
    assert v.reach.no_event == ["Alder", "Birch", "Cedar"]


# --- charts ----------------------------------------------------------------------------------------


def test_program_chart_colours_the_most_and_least_cost_effective(src):
    mix = pm.program_mix(src, PERIOD, PERIOD.previous())
    fig = reach_charts.program_chart(mix.table, mix.best, mix.worst)
    assert [trace.name for trace in fig.data] == ["Previous period", "This period", "Cost per attendee"]
    cost = fig.data[2]
    colours = dict(zip(cost.y, cost.marker.color, strict=True))
    assert colours[COFFEE] == reach_charts.SCORE_COLOUR and colours[SPORTS] == reach_charts.FLAG_COLOUR
    assert cost.xaxis == "x2"
    fig = reach_charts.program_chart(mix.table, mix.best, mix.worst, compared="same period last year")
    assert fig.data[0].name == "Same period last year"


def test_seasonality_chart_shows_each_programs_share_of_its_total(src):
    s = ps.seasonality(src, PERIOD)
    fig = trend_charts.seasonality_chart(s.matrix, "attendance")
    z = np.array(fig.data[0].z, dtype=float)
    np.testing.assert_allclose(z[0], [0, 37.5, 62.5])  # Youth sports: 300 and 500 of 800
    assert np.isnan(z[2][0])  # Town hall in January: events but no count
    assert list(fig.data[0].y) == [SPORTS, COFFEE, TOWN_HALL]


def test_repeat_charts(src):
    r = repeat_of(src, policy=Policy(1))
    fig = trend_charts.returning_chart(r.monthly)
    assert [t.name for t in fig.data] == ["Returning", "New"] and list(fig.data[0].y) == [0, 1, 1]
    fig = reach_charts.age_chart(r.ages)
    assert [t.name for t in fig.data] == ["Residents", "Participants"]
    assert fig.data[1].y[0] == pytest.approx(100 / 3)
    hidden = repeat_of(src, policy=Policy(10, public=True))  # four participants: nothing by age
    assert "Not shown" in str(reach_charts.age_chart(hidden.ages).layout.annotations[0].text)


def test_a_month_not_split_is_drawn_whole():
    """February's 13 participants, whose one newcomer is hidden, are drawn as one grey bar."""
    regulars = [(event, f"R{i}", "25-34") for event in ("C1", "C2", "C3") for i in range(12)]
    attendees = pd.DataFrame(
        [*regulars, ("C3", "NEW", "25-34")], columns=["event_id", "participant_key", "age_group"]
    )
    public = repeat_of(source_of(events_frame(), areas_frame(), attendees), policy=Policy(5, public=True))
    fig = trend_charts.returning_chart(public.monthly)
    assert [t.name for t in fig.data] == ["Returning", "New", "Not split"]
    assert list(fig.data[2].y)[:2] == [pytest.approx(np.nan, nan_ok=True), 13]


def test_returning_and_new_are_hidden_together_when_either_is_under_k():
    """Twelve came to both January events; in February the same twelve and one newcomer: February's 13 participants are
    shown, but not that one of them was new (nor that 12 returned, which gives the same). All thirteen came
    twice or more but the newcomer: the share at two or more events would give that one person too."""
    regulars = [(event, f"R{i}", "25-34") for event in ("C1", "C2", "C3") for i in range(12)]
    attendees = pd.DataFrame(
        [*regulars, ("C3", "NEW", "25-34")], columns=["event_id", "participant_key", "age_group"]
    )
    src = source_of(events_frame(), areas_frame(), attendees)
    public = repeat_of(src, policy=Policy(5, public=True))
    months = public.monthly.set_index(public.monthly["month"].dt.month)
    assert months.loc[1, "participants"] == 12 and months.loc[1, "new"] == 12
    assert months.loc[2, "participants"] == 13
    assert np.isnan(months.loc[2, "new"]) and np.isnan(months.loc[2, "returning"])
    assert np.isnan(months.loc[2, "share_returning"])
    assert public.participants == "13" and public.share_repeat == "—"
    assert "is not shown" in public.caption and "12 people" not in public.caption
    assert "left blank in months where either is fewer than 5" in public.returning_caption
    staff = repeat_of(src, policy=Policy(5))
    assert staff.share_repeat.startswith("92 %") and staff.monthly["new"].tolist()[1] == 1
