"""No change against the compared period in public where the public view would not show the same choice over
the compared period: a change is the figure minus the earlier one, so it gives the earlier one away. One
rule (cpdash.metrics.selection.compared_shown) for every change: the cards of the Overview, Participation
and "You said, we did", the town hall's facts, and the Overview's areas that need attention.

On the small-groups data (tests/small_groups.py), Alder alone is shown for May to August, but over January to
April (the compared period) the city's table hides it so that the two small areas stay hidden.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cpdash.data.load import load_dataset
from cpdash.metrics import attention
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import compared_shown, period_grid, public_period
from cpdash.metrics.suppression import Policy
from cpdash.views import overview as ov
from cpdash.views import participation as pa
from cpdash.views import town_hall as th
from cpdash.views import you_said as ys
from cpdash.views.participation_notable import notables
from tests import small_groups

PUBLIC, STAFF = Policy(10, True), Policy(10, False)
SUMMER = (dt.date(2025, 5, 1), dt.date(2025, 8, 31))


def _with_growing_concerns(folder: Path) -> Path:
    """Alder's backlog: none open at the end of April, twelve at the end of August."""
    path = folder / "concerns.csv"
    rows = pd.read_csv(path, dtype="string")
    extra = pd.DataFrame(
        {
            "concern_id": [f"CA{i:02d}" for i in range(12)],
            "raised": "2025-07-01",
            "area_id": "A1",
            "topic": "noise",
            "summary": "Loud music at night.",
            "status": "open",
            "action": "",
            "resolved": "",
        }
    )
    pd.concat([rows, extra]).to_csv(path, index=False)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    folder = _with_growing_concerns(small_groups.write(tmp_path_factory.mktemp("compared") / "small"))
    ds = load_dataset(str(folder), cache_dir=folder.parent / "cache")
    src = MemorySource(ds)
    grid = period_grid(src, PUBLIC)
    alder, _ = public_period(Filters(*SUMMER, ("A1",)), grid, PUBLIC)
    return ds, src, alder


def test_alder_is_shown_over_the_period_but_not_over_the_compared_one(data) -> None:
    _, src, alder = data
    assert compared_shown(src, alder, PUBLIC)
    assert (alder.previous().start, alder.previous().end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    assert not compared_shown(src, alder.previous(), PUBLIC)


def test_no_change_on_the_overview_participation_and_you_said_cards(data) -> None:
    ds, src, alder = data
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    pages = {
        "overview": ov.overview(src, alder, PUBLIC).cards,
        "participation": pa.participation(src, notables(ds.events), alder, PUBLIC, names).cards,
        "you said": ys.summary(src, alder, PUBLIC).cards,
    }
    for page, cards in pages.items():
        assert cards, page
        assert [c.label for c in cards if c.delta] == [], page
        assert [c.label for c in cards if "Compared period" in (c.help or "")] == [], page
    staff = ov.overview(src, alder, STAFF).cards  # the staff view compares
    assert any(c.delta for c in staff)


def test_no_change_in_the_town_hall_facts(data) -> None:
    ds, src, alder = data
    hall = th.build(src, ds, "A1", alder, PUBLIC)
    words = " ".join(
        " ".join([s.lead, *(f"{f.value} {f.detail or ''}" for f in s.facts)]) for s in hall.sections
    )
    assert "the previous period" not in words and "than in" not in words, words
    staff = th.build(src, ds, "A1", alder, STAFF)
    assert "the previous period" in " ".join(
        " ".join([s.lead, *(f.detail or "" for f in s.facts)]) for s in staff.sections
    )


def test_no_change_among_the_areas_that_need_attention(data) -> None:
    """Alder's backlog grew from none to twelve: the public view does not say so (it would say by how much)."""
    _, src, alder = data
    city = alder.with_areas(())
    staff = attention.needs_attention(src, city, 10, policy=STAFF)
    assert "up from 0" in " ".join(staff[staff["area_id"] == "A1"]["detail"])
    public = attention.needs_attention(src, city, 10, policy=PUBLIC)
    assert "A1" not in set(public["area_id"])  # its words and its rank would give the earlier backlog
    assert [a.name for a in ov.overview(src, city, PUBLIC).attention if a.area_id == "A1"] == []


def test_no_compared_figure_in_the_you_said_tables(data) -> None:
    """Per area, Alder's row gives no figure of the compared period (Birch's does); per topic, none for the
    choice of Alder."""
    ds, src, alder = data
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    prev = ["open_at_end_prev", "median_days_prev", "share_90_prev"]
    table = ys.status_table(src, alder.with_areas(()), "area_id", names, policy=PUBLIC).set_index("area_id")
    assert table.loc["A1", prev].isna().all()
    assert table.loc["A2", "open_at_end_prev"] == 0
    topics = ys.status_table(src, alder, "topic", names, policy=PUBLIC)
    assert len(topics) and topics[prev].isna().all().all()
    staff = ys.status_table(src, alder, "topic", names, policy=STAFF)
    assert staff["open_at_end_prev"].notna().all()
    view = ys.by_group(src, alder, "Topic", names, policy=PUBLIC).view
    assert view["Still open, compared period"].isna().all()


def test_no_same_month_last_year_where_the_public_view_would_not_show_it(data) -> None:
    """A year on (2026, with the data of 2025 as last year), Alder's trend gives no month of last year
    where the public view would not show Alder over those months."""
    ds, src, _ = data
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    later = Filters(dt.date(2026, 1, 1), dt.date(2026, 4, 30), ("A1",))
    assert not compared_shown(src, later.last_year(), PUBLIC)
    public = pa.participation(src, notables(ds.events), later, PUBLIC, names).trend
    assert public.months["last_year"].isna().all() and "last year" not in public.caption.replace(
        "no comparison with last year", ""
    )
    staff = pa.participation(src, notables(ds.events), later, STAFF, names).trend
    assert staff.months["last_year"].notna().any()


def test_each_area_alone_is_checked_as_compared_shown_checks_it(data) -> None:
    """compared_shown_alone (every area at once) says what compared_shown says of each area chosen alone,
    with and without a choice of programs, over periods where some areas are hidden and some are not."""
    from cpdash.metrics.selection import compared_shown_alone

    ds, src, alder = data
    areas = [str(a) for a in ds.areas["area_id"]] + ["unknown"]
    programs = ((), (str(ds.events["program"].iloc[0]),))
    answers = set()
    for f in (alder, alder.previous(), Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31), grid=alder.grid)):
        for chosen in programs:
            g = f.with_programs(chosen)
            each = [compared_shown(src, g.with_areas((a,)), PUBLIC) for a in areas]
            assert compared_shown_alone(src, g, PUBLIC, areas).tolist() == each
            assert compared_shown_alone(src, g, STAFF, areas).all()
            answers |= set(each)
    assert answers == {True, False}  # both kinds of area are among those checked


def test_the_voice_headlines_ask_once_whether_the_compared_period_shows(data, monkeypatch) -> None:
    """Every score card of the Community voice headlines is the card made on its own, and the public view's
    check of the compared period runs once for all of them."""
    from cpdash.metrics import selection
    from cpdash.views import figures, voice, voice_scores

    ds, src, alder = data
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    ctl = voice.controls(src, names)
    source = ctl.sources[0]
    alone = [
        figures.score_card(src, m, alder, alder.previous(), PUBLIC, True, source) for m in ctl.metrics[source]
    ]
    asked = []
    real = selection.compared_shown
    monkeypatch.setattr(voice_scores, "compared_shown", lambda *a: asked.append(1) or real(*a))
    monkeypatch.setattr(figures, "compared_shown", lambda *a: asked.append(1) or real(*a))
    heads = voice_scores.headlines(src, alder, PUBLIC, ctl, source)
    assert len(alone) > 1 and heads.cards == alone and len(asked) == 1
    assert all(card.delta is None for card in heads.cards)  # Alder is not shown over the compared period


def test_an_areas_place_in_the_city_table_is_read_from_the_counts_as_the_table_gives_it(data) -> None:
    """status_in_city says of each area what the table of every area's score says of it, in public and in
    the staff view, over periods where some areas are hidden, one only to protect another."""
    from cpdash.views import voice_scores

    ds, src, alder = data
    seen = set()
    for f in (alder, alder.previous(), Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31), grid=alder.grid)):
        for policy in (PUBLIC, STAFF):
            for metric in ("trust", "safety"):
                table = voice_scores._responses_by_area(src, metric, f.with_areas(()), policy)
                expected = dict(zip(table["area_id"].astype("str"), table["status"], strict=True))
                for area in [str(a) for a in ds.areas["area_id"]] + ["unknown"]:
                    found = voice_scores.status_in_city(src, metric, f.with_areas((area,)), policy, area)
                    assert found == expected.get(area), (f, policy, metric, area)
                    seen.add(found)
    assert {"hidden", "secondary", "shown"} <= {str(s).lower() for s in seen}


def test_a_keys_text_is_the_same_whatever_its_column_holds() -> None:
    """Groups.key_text: text as text, numbers as their digits, '' for unknown, for every kind of column."""
    import numpy as np

    from cpdash.metrics.gather import Groups

    columns = {
        "str": pd.Series(["A1", None, "B2"], dtype="str"),
        "object": pd.Series(["A1", None, "B2"], dtype=object),
        "string": pd.Series(["A1", pd.NA, "B2"], dtype="string"),
        "numbers": pd.Series([1, None, 22], dtype="Int64"),
        "floats with NaN": pd.Series(["A1", np.nan, "B2"], dtype=object),
    }
    for kind, column in columns.items():
        text = Groups(pd.DataFrame({"area_id": column}), {}).key_text("area_id")
        assert text.dtype == object, kind
        expected = ["1", "", "22"] if kind == "numbers" else ["A1", "", "B2"]
        assert text.tolist() == expected, kind
