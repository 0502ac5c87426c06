"""The public view refuses a choice of areas or programs whose difference from another shown choice rests on
fewer than k responses (cpdash.metrics.selection), and the views that let a page pick one area hold to the
same sets (the By group tab for all areas only; an area against the city hidden where the city's table hides
it; a public-safe town hall refused for such an area)."""

from __future__ import annotations

import datetime as dt

import pytest

from cpdash.data.load import load_dataset
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import refusal
from cpdash.metrics.suppression import Policy
from cpdash.views import town_hall as th
from cpdash.views import voice
from cpdash.views.voice_groups import CITY_ONLY, groups_tab
from cpdash.views.voice_scores import area_against_city
from tests import small_groups
from tests.small_groups import SMALL_PROGRAM

PUBLIC, STAFF = Policy(10, True), Policy(10, False)
YEAR = Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    folder = small_groups.write(tmp_path_factory.mktemp("selection") / "small")
    ds = load_dataset(str(folder), cache_dir=folder.parent / "cache")
    return ds, MemorySource(ds), dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))


def _refused(data, areas=(), programs=(), policy=PUBLIC) -> str | None:
    ds, src, names = data
    return refusal(src, Filters(YEAR.start, YEAR.end, tuple(areas), tuple(programs)), policy, names)


def test_a_small_area_may_not_be_combined_with_another(data) -> None:
    said = _refused(data, ["A3", "S1"])
    assert said and "Quill Cove" in said and "with other areas" in said
    assert "fewer than 10 responses" in said and "3" not in said.split("Quill Cove")[1][:20]
    assert _refused(data, ["S1", "S2"])


def test_an_area_hidden_to_protect_a_smaller_one_may_not_be_shown_alone(data) -> None:
    said = _refused(data, ["A1"])  # Alder: the city's table hides it so that the small areas stay hidden
    assert said and "Alder" in said and "on its own" in said


def test_a_small_area_alone_and_ordinary_choices_are_shown(data) -> None:
    assert _refused(data) is None
    assert _refused(data, ["S1"]) is None  # its figures are hidden anyway; the rest of the city is large
    assert _refused(data, ["A2", "A3"]) is None
    assert _refused(data, ["A3", "S1"], policy=STAFF) is None  # staff see everything, flagged


def test_a_small_program_may_not_be_combined_with_another(data) -> None:
    said = _refused(data, programs=[SMALL_PROGRAM, "Coffee with a Cop"])
    assert said and SMALL_PROGRAM in said
    assert _refused(data, programs=[SMALL_PROGRAM]) is None


def test_the_by_group_tab_is_for_all_areas_only_in_public(data) -> None:
    _, src, _ = data
    one = Filters(YEAR.start, YEAR.end, ("A2",), ())
    assert groups_tab(src, one, PUBLIC, "trust", "responses").empty == CITY_ONLY
    assert groups_tab(src, YEAR, PUBLIC, "trust", "responses").charts
    assert groups_tab(src, one, STAFF, "trust", "responses").charts


def test_an_area_against_the_city_is_hidden_where_the_city_hides_it(data) -> None:
    _, src, names = data
    ctl = voice.controls(src, names)
    hidden = area_against_city(src, YEAR, PUBLIC, ctl, "A1", "responses")
    assert hidden["Area"].isna().all() and hidden["Area n"].isna().all()
    shown = area_against_city(src, YEAR, PUBLIC, ctl, "A2", "responses")
    assert shown["Area"].notna().all()


def test_a_public_safe_town_hall_is_refused_for_such_an_area(data) -> None:
    ds, src, _ = data
    refused = th.setup(src, ds, "A1", YEAR, PUBLIC).refused
    assert refused and "Alder" in refused
    assert th.setup(src, ds, "A2", YEAR, PUBLIC).refused is None
    assert th.setup(src, ds, "A1", YEAR, STAFF, public_safe=False).refused is None


def test_a_staff_public_safe_pack_is_refused_where_the_public_view_refuses(data) -> None:
    """A public-safe town hall made by staff (a pack to hand out) applies the public view's policy whole,
    refusal included, and says how to get a staff-only one instead."""
    ds, src, names = data
    safe = th.setup(src, ds, "A1", YEAR, STAFF, public_safe=True)
    assert safe.public_safe and safe.refused
    assert _refused(data, ["A1"]) in safe.refused  # exactly the public view's words
    assert "public-safe" in safe.refused and "Turn Public-safe off" in safe.refused
    assert th.setup(src, ds, "A2", YEAR, STAFF, public_safe=True).refused is None
    for area in ("A1", "A2", "A3", "A4", "A5", "A6", "S1", "S2"):  # the same verdict as the public view
        public = th.setup(src, ds, area, YEAR, PUBLIC).refused
        staff = th.setup(src, ds, area, YEAR, STAFF, public_safe=True).refused
        assert (public is None) == (staff is None), area


def test_the_refusal_never_shows_a_hidden_n(data) -> None:
    said = _refused(data, ["A3", "S1"]) + (_refused(data, ["A1"]) or "")
    assert "n=" not in said and " 3 " not in said and " 4 " not in said


def test_the_part_hidden_to_protect_another_does_not_depend_on_the_listing_order() -> None:
    """Three areas tie for secondary suppression: every order of the listing hides the same one (the first
    by id), so two listings cannot hide different areas and reveal both."""
    import itertools

    import numpy as np

    n = {"S": 3.0, "B": 12.0, "C": 12.0, "A": 40.0, "D": 11.0}
    chosen = set()
    for order in itertools.permutations(n):
        hide = PUBLIC.hidden_in_set(np.array([n[a] for a in order]), keys=list(order))
        chosen.add(frozenset(a for a, h in zip(order, hide, strict=True) if h))
    assert chosen == {frozenset({"S", "A"})}


def test_an_areas_table_hides_the_same_areas_in_any_order(data) -> None:
    import itertools

    from cpdash.views.figures import score_figures_by_area

    _, src, _ = data
    spring = Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 31))  # the six big areas tie at 12 answers each
    year_hides = {
        a
        for a, fig in score_figures_by_area(src, "trust", list(small_groups.AREAS), YEAR, PUBLIC).items()
        if fig.status == "hidden"
    }
    seen = {frozenset(year_hides)}  # and the year hides the same: no period reveals another's
    for order in itertools.islice(itertools.permutations(small_groups.AREAS), 0, None, 997):
        figures = score_figures_by_area(src, "trust", list(order), spring, PUBLIC)
        seen.add(frozenset(a for a, fig in figures.items() if fig.status == "hidden"))
    assert len(seen) == 1


def test_public_periods_are_whole_blocks_each_resting_on_k(data) -> None:
    """The blocks of the small-groups year: four months each (a big area answers 4 times a month, comments
    3 times), each holding at least k answers and scored comments of every big area, or none."""
    from cpdash.metrics.selection import period_grid

    ds, src, _ = data
    grid = period_grid(src, PUBLIC)
    assert grid == (dt.date(2025, 1, 1), dt.date(2025, 5, 1), dt.date(2025, 9, 1), dt.date(2026, 1, 1))
    responses = ds.responses
    for start, after in zip(grid, grid[1:], strict=False):
        days = responses["submitted"].dt.date
        block = responses[(days >= start) & (days < after)]
        for area in small_groups.BIG:
            mine = block[block["area_id"] == area]
            assert len(mine) >= 10 and (mine["comment"].fillna("").str.len() > 0).sum() >= 10
    assert period_grid(src, STAFF) == ()


def test_two_periods_a_day_apart_become_the_same_blocks(data) -> None:
    from cpdash.metrics.selection import period_grid, public_period

    _, src, _ = data
    grid = period_grid(src, PUBLIC)
    one, said = public_period(Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 13)), grid, PUBLIC)
    two, _ = public_period(Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 14)), grid, PUBLIC)
    assert (one.start, one.end) == (two.start, two.end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    assert said and "whole blocks of months" in said and "1 Jan 2025 – 30 Apr 2025" in said
    summer, _ = public_period(Filters(dt.date(2025, 6, 3), dt.date(2025, 7, 9), ("A2",)), grid, PUBLIC)
    assert (summer.start, summer.end, summer.areas) == (dt.date(2025, 5, 1), dt.date(2025, 8, 31), ("A2",))
    before = summer.previous()  # the compared period keeps to the blocks too
    assert (before.start, before.end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    asked = Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 14))
    assert public_period(asked, (), STAFF) == (asked, None)  # the staff view takes any days


def test_no_compared_figure_where_the_compared_period_would_be_refused(data) -> None:
    """Alder alone is shown for May to August, but over January to April the city's table hides it (to
    protect the small areas): its card gives neither the compared value nor a change (the value minus it)."""
    from cpdash.metrics.selection import period_grid, public_period
    from cpdash.views.figures import score_card, sentiment_card

    _, src, _ = data
    grid = period_grid(src, PUBLIC)
    alder, _ = public_period(Filters(dt.date(2025, 5, 1), dt.date(2025, 8, 31), ("A1",)), grid, PUBLIC)
    before = alder.previous()
    assert (before.start, before.end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    card = score_card(src, "trust", alder, before, PUBLIC)
    assert card.value != "—" and card.delta is None and "Compared period" not in (card.help or "")
    assert sentiment_card(src, alder, before, PUBLIC).delta is None
    city = alder.with_areas(())
    assert (
        "Compared period (1 Jan 2025 – 30 Apr 2025)"
        in score_card(src, "trust", city, city.previous(), PUBLIC).help
    )


def test_a_choice_of_programs_that_leaves_out_a_few_people_is_refused(data) -> None:
    """Coffee with a Cop and Block party hold every regular participant each month; in May all programs
    count 74, these two 72: the two May participants of the youth program would follow by subtraction (the
    youth program itself is hidden: three participants)."""
    said = _refused(data, programs=["Coffee with a Cop", "Block party"])
    assert said and "participants" in said and "fewer than 10" in said
    assert "2 " not in said and "74" not in said and "72" not in said  # never the counts themselves
    assert _refused(data, ["A3"], ["Coffee with a Cop", "Block party"]) is None  # Cedar holds no youth event
    assert _refused(data, programs=["Coffee with a Cop", "Block party"], policy=STAFF) is None


def test_an_area_beside_itself_without_a_program_is_refused(data) -> None:
    """Birch with and without a program: the regulars' months differ by 0 or by all twelve, and Birch is
    shown; one area and two areas differ by an area's twelve regulars."""
    assert _refused(data, ["A2"], ["Coffee with a Cop"]) is None
    assert _refused(data, ["A2", "A3"]) is None
    assert _refused(data, ["A2"], ["Coffee with a Cop", "Block party"]) is None


def test_choices_of_one_program_are_shown(data) -> None:
    """Each regular program, alone, leaves out a dozen or more people every month: nothing small follows."""
    for program in ("Coffee with a Cop", "Beat / community meeting", "Block party"):
        assert _refused(data, programs=[program]) is None, program


def test_the_participants_of_a_period_are_hidden_where_a_shorter_one_gives_a_few_away(data) -> None:
    """The youth program's three came in April, one of them only then: the year's participants set beside
    May to December (or beside March) would give them away, so the year (the longer period) hides them;
    May to December, beside September to December, hides its own (two came in May only)."""
    from cpdash.metrics.selection import PARTICIPANTS, people_over_period_hidden, period_grid

    _, src, _ = data
    grid = period_grid(src, PUBLIC)
    year = Filters(YEAR.start, YEAR.end, grid=grid)
    assert PARTICIPANTS in people_over_period_hidden(src, year, PUBLIC)
    assert PARTICIPANTS in people_over_period_hidden(
        src, year.with_period(dt.date(2025, 5, 1), YEAR.end), PUBLIC
    )
    assert not people_over_period_hidden(src, year.with_period(dt.date(2025, 9, 1), YEAR.end), PUBLIC)
    assert not people_over_period_hidden(src, year, STAFF)


def test_two_programs_whose_people_overlap_by_a_few_are_refused() -> None:
    """Twelve at Coffee with a Cop, twelve others at Youth sports, one at both: each program alone (13), the
    two together (25) and everything (25) differ by twelve or none, but 13 + 13 - 25 gives the one at both."""
    import pandas as pd

    from tests.participation_data import COFFEE, PERIOD, SPORTS, areas_frame, events_frame, source_of

    people = [("C1", f"C{i}") for i in range(12)] + [("C3", f"S{i}") for i in range(12)]
    people += [("C1", "BOTH"), ("C3", "BOTH")]
    attendees = pd.DataFrame(people, columns=["event_id", "participant_key"]).assign(age_group="25-34")
    src = source_of(events_frame(), areas_frame(), attendees)

    def refused(*programs: str) -> str | None:
        return refusal(src, Filters(PERIOD.start, PERIOD.end, (), programs), PUBLIC, {})

    assert refused(COFFEE) is None and refused(SPORTS) is None
    said = refused(COFFEE, SPORTS)
    assert said and "both" in said and " 1 " not in said
    assert refusal(src, Filters(PERIOD.start, PERIOD.end, (), (COFFEE, SPORTS)), STAFF, {}) is None
