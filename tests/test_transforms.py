"""Import transforms: dates and times, answer scales, programs from titles, area ids, ids, wide score tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpdash.data.schema import PROGRAMS
from cpdash.importing import transforms as t

# --- dates -----------------------------------------------------------------------------------------


def test_dates_in_a_chosen_format_with_a_separate_time_column() -> None:
    dates = pd.Series(["Mar 15, 2025", "Mar 16, 2025", "Mar 17, 2025", None])
    times = pd.Series(["6:30 PM", "18:45", "", None])
    parsed = t.parse_date_column(dates, "%b %d, %Y", times)
    assert parsed.tolist()[:3] == [
        pd.Timestamp("2025-03-15 18:30"),
        pd.Timestamp("2025-03-16 18:45"),
        pd.Timestamp("2025-03-17 00:00"),  # no time given: the day
    ]
    assert pd.isna(parsed.iloc[3])


def test_a_chosen_format_rejects_the_other_formats() -> None:
    parsed = t.parse_date_column(pd.Series(["15/03/2025", "03/15/2025"]), "%d/%m/%Y")
    assert parsed.iloc[0] == pd.Timestamp("2025-03-15") and pd.isna(parsed.iloc[1])


def test_times_without_a_zone_are_kept_as_local_times() -> None:
    parsed = t.parse_date_column(pd.Series(["2025-03-15T18:30", "2025-03-15 18:30:00"]))
    assert parsed.tolist() == [pd.Timestamp("2025-03-15 18:30")] * 2
    assert parsed.dt.tz is None


@pytest.mark.parametrize(
    ("text", "hours", "minutes"),
    [("18:30", 18, 30), ("6:30 PM", 18, 30), ("6:30pm", 18, 30), ("6 p.m.", 18, 0), ("12:15 AM", 0, 15)],
)
def test_times_of_day(text: str, hours: int, minutes: int) -> None:
    assert t.parse_times(pd.Series([text])).iloc[0] == pd.Timedelta(hours=hours, minutes=minutes)


def test_a_bad_time_is_not_taken_as_midnight() -> None:
    assert pd.isna(t.parse_date_column(pd.Series(["2025-03-15"]), t.AUTO, pd.Series(["soon"])).iloc[0])


def test_mixed_day_first_and_month_first_dates_get_a_clear_message() -> None:
    values = pd.Series(["03/15/2025", "03/16/2025", "15/03/2025"])
    message = t.mixed_date_message("start", values)
    assert message.startswith(
        "start mixes date formats: 2 like '03/15/2025' (MM/DD/YYYY); 1 like '15/03/2025'"
    )
    assert "Day-first and month-first dates cannot both be right" in message


def test_times_with_and_without_a_zone_in_one_column_are_counted_not_a_crash() -> None:
    values = pd.Series(["2025-03-01", "2025-03-02", "9999-12-31T23:59:59Z", "2025-03-01T10:00:00+01:00"])
    assert t.date_formats_used(values) == {"ISO": 4}
    assert t.mixed_date_message("start", values) is None


def test_one_format_gives_no_message_and_is_suggested() -> None:
    values = pd.Series(["03/15/2025", "04/01/2025"])
    assert t.mixed_date_message("start", values) is None
    assert t.suggest_date_format(values) == "%m/%d/%Y"
    assert t.suggest_date_format(pd.Series(["2025-03-15", "03/15/2025"])) == t.AUTO


# --- answer scales ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "answers", "expected"),
    [
        ("1-5", ["1", "3", "5"], [0.0, 5.0, 10.0]),
        ("1-10", ["1", "10"], [0.0, 10.0]),
        ("0-100", ["0", "75", "100"], [0.0, 7.5, 10.0]),
        ("0-10", ["0", "7", "10"], [0.0, 7.0, 10.0]),
        (
            "agree",
            ["Strongly disagree", "disagree", "Neither agree nor disagree", "Agree", "STRONGLY AGREE"],
            [0, 2.5, 5, 7.5, 10],
        ),
    ],
)
def test_scales_are_rescaled_to_0_10(scale: str, answers: list[str], expected: list[float]) -> None:
    values, bad = t.rescale(pd.Series(answers), scale)
    assert values.tolist() == pytest.approx(expected)
    assert not bad.any()


def test_answers_off_the_scale_are_flagged_and_no_answer_is_blank() -> None:
    values, bad = t.rescale(pd.Series(["6", "4", "Don't know", "", "x"]), "1-5")
    assert bad.tolist() == [True, False, False, False, True]
    assert values.isna().tolist() == [True, False, True, True, True]
    values, bad = t.rescale(pd.Series(["Maybe", "Prefer not to say"]), "agree")
    assert bad.tolist() == [True, False]


@pytest.mark.parametrize(
    ("answers", "scale"),
    [
        (["1", "2", "5", "4"], "1-5"),
        (["Agree", "Strongly agree", "Disagree"], "agree"),
        (["55", "80", "100"], "0-100"),
        (["0", "7", "10"], "0-10"),
        (["1", "7", "10"], "1-10"),
        (["0", "3", "7", "10", "5", "6", "8", "2", "9", "11"], "0-10"),  # one 11 is a typo, not 0-100
        (["1", "2", "3", "4", "5", "4", "3", "2", "1", "55"], "1-5"),
        (["5", "80", "9", "65", "100"], "0-100"),
    ],
)
def test_scale_suggested_from_the_answers(answers: list[str], scale: str) -> None:
    assert t.suggest_scale(pd.Series(answers)) == scale


def test_every_scale_has_its_rule_written_down() -> None:
    assert set(t.SCALES) == {"0-10", "1-10", "1-5", "0-100", "agree"}
    assert t.SCALES["1-5"] == "1 to 5: (answer − 1) × 2.5"


# --- programs from titles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "program"),
    [
        ("2514 Beat Meeting", "Beat / community meeting"),
        ("CAPS Beat 1406 Meeting", "Beat / community meeting"),
        ("Coffee With The Commander", "Coffee with a Cop"),
        ("CAPS Peace Circle", "Faith and partner event"),
        ("Police Explorers Open House", "Youth mentorship"),
        ("Senior Safety Seminar", "Workshop / training"),
        ("Clergy Walk", "Faith and partner event"),
        ("National Night Out 2025", "National Night Out"),
        ("Park Clean-up Day", "Community clean-up"),
        ("park clean up", "Community clean-up"),
    ],
)
def test_default_rules_place_real_titles(title: str, program: str) -> None:
    programs, _ = t.programs_from_titles(pd.Series([title]), t.default_program_rules())
    assert programs.iloc[0] == program


def test_rules_are_tried_in_order_and_unmatched_titles_stay_blank() -> None:
    rules = [t.ProgramRule("Bingo", "Other"), t.ProgramRule("night", "National Night Out")]
    programs, matched = t.programs_from_titles(
        pd.Series(["Bingo Night", "Movie night", "Recital", None]), rules
    )
    assert programs.tolist()[:2] == ["Other", "National Night Out"]
    assert programs.iloc[2:].isna().all()
    assert matched.tolist()[:2] == ["Bingo", "night"]


def test_words_match_whole_words_only() -> None:
    programs, _ = t.programs_from_titles(pd.Series(["Capstone project"]), [t.ProgramRule("CAPS", "Other")])
    assert programs.isna().all()


def test_rules_from_an_edited_table_skip_blank_and_unknown_rows() -> None:
    frame = pd.DataFrame(
        {"words": ["Bingo", "", "Gala", None], "program": ["Other", "Other", "Gala night", "Other"]}
    )
    assert t.rules_from_rows(frame) == [t.ProgramRule("Bingo", "Other")]
    assert all(r.program in PROGRAMS for r in t.default_program_rules())


# --- area ids, ids, repeated rows ------------------------------------------------------------------


def test_area_ids_are_normalised_with_and_without_known_areas() -> None:
    values = pd.Series(["7", "07", "007", "District 7", " district 07 ", "A28", None])
    assert t.normalise_area_ids(values).tolist()[:6] == ["7", "7", "7", "7", "7", "A28"]
    assert t.normalise_area_ids(values, ["007", "A28"]).tolist()[:6] == ["007"] * 5 + ["A28"]


def test_areas_found_in_free_text() -> None:
    areas = pd.DataFrame({"area_id": ["A01", "007"], "name": ["Copper Hill", "Old Mill"]})
    found = t.areas_from_text(
        pd.Series(["Copper Hill Library, 9 Oak St", "District 7 station", "copper  hill park", "TBD", None]),
        areas,
    )
    assert found.tolist()[:3] == ["A01", "007", "A01"]
    assert found.iloc[3:].isna().all()


def test_ids_built_from_several_columns() -> None:
    frame = pd.DataFrame(
        {"date": ["2025-01-01", "2025-01-01", "2025-01-02"], "title": ["Walk", " walk", "Walk"]}
    )
    ids = t.build_ids(frame, ["date", "title"], "E-")
    assert ids.iloc[0] == ids.iloc[1] != ids.iloc[2]
    assert ids.str.match(r"^E-[0-9a-f]{10}$").all()


def test_repeated_rows_point_at_their_first_copy() -> None:
    frame = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": ["1", "1", "1", None]})
    assert t.duplicate_of(frame).tolist() == [pd.NA, pd.NA, 0, pd.NA]


# --- wide score tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("TRUST", ("trust", "")),
        ("SAFETY", ("safety", "")),
        ("T_LISTEN", ("listen", "")),
        ("T_RESPECT", ("respect", "")),
        ("S_AGE_LOW", ("safety", "age: low")),
        ("T_SEX_FEMALE", ("trust", "sex: female")),
        ("S_RACE_AFRICAN_AMERICAN", ("safety", "race: african american")),
        ("Trust - Age 18-34", ("trust", "age: 18-34")),
        ("trust_age_65_plus", ("trust", "age: 65+")),
        ("Safety Score", ("safety", "")),
        ("trust_n", None),
        ("START_DATE", None),
        ("T", None),
    ],
)
def test_wide_column_names(name: str, read: tuple[str, str] | None) -> None:
    assert t.read_value_column(name) == read


def wide_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "START_DATE": ["01/01/2025", "01/01/2025", "01/06/2025", "01/01/2025"],
            "END_DATE": ["01/31/2025", "01/31/2025", "01/12/2025", "01/31/2025"],
            "DISTRICT": ["", "7", "7", "7"],
            "BEAT": ["", "", "0712", ""],
            "TRUST": ["55.5", "60", "58", "60"],
            "T_AGE_LOW": ["50", "", "", ""],
            "TRUST_N": ["900", "120", "40", "120"],
        }
    )


def test_wide_table_becomes_long_with_levels_from_blank_area_columns() -> None:
    spec = t.suggest_wide(wide_frame())
    assert spec.period_start == "START_DATE" and spec.period_end == "END_DATE"
    assert spec.levels == {"district": "DISTRICT", "beat": "BEAT"}
    assert spec.values == {"TRUST": ("trust", ""), "T_AGE_LOW": ("trust", "age: low")}
    assert spec.counts == {"TRUST": "TRUST_N"}
    assert spec.value_scale == "0-100"
    long, positions, notes = t.wide_to_long(wide_frame(), spec)
    assert positions.tolist() == [0, 0, 1, 2, 3]
    assert long["level"].tolist() == ["city", "city", "district", "beat", "district"]
    assert long["area_id"].tolist() == ["city", "city", "7", "0712", "7"]
    assert long["group"].tolist() == [None, "age: low", None, None, None]
    assert long["value"].tolist() == ["55.5", "50", "60", "58", "60"]
    assert long["n"].tolist() == ["900", None, "120", "40", "120"]  # the count belongs to TRUST only
    assert long["period_end"].tolist()[3] == "2025-01-12"  # weekly and monthly periods side by side
    assert notes == []


def test_wide_values_on_other_scales_and_periods_without_an_end() -> None:
    frame = pd.DataFrame(
        {"month": ["2025-02-01", "2025-03-01"], "area": ["A1", "A1"], "trust": ["0.5", "0.62"]}
    )
    spec = t.suggest_wide(frame)
    assert spec.value_scale == "0-1"
    long, _, notes = t.wide_to_long(frame, spec)
    assert long["value"].tolist() == ["50", "62"]
    assert long["period_end"].tolist() == ["2025-02-28", "2025-03-31"]
    assert any("end of its month" in n for n in notes) and any("0 to 1" in n for n in notes)


def test_wide_spec_round_trips_through_plain_data() -> None:
    spec = t.suggest_wide(wide_frame())
    assert t.WideSpec.from_dict(spec.to_dict()) == spec


def test_wide_without_a_start_column_or_scores_is_refused() -> None:
    with pytest.raises(ValueError, match="first day of each period"):
        t.wide_to_long(wide_frame(), t.WideSpec(values={"TRUST": ("trust", "")}))
    with pytest.raises(ValueError, match="at least one column holding a score"):
        t.wide_to_long(wide_frame(), t.WideSpec(period_start="START_DATE"))


def test_rescaled_published_values() -> None:
    assert t.rescale_values(pd.Series(["7.5"]), "0-10").iloc[0] == 75
    assert t.rescale_values(pd.Series(["4"]), "1-5").iloc[0] == 75
    assert np.isnan(t.rescale_values(pd.Series(["x"]), "0-100").iloc[0])


# --- word forms: real-looking titles ---------------------------------------------------------------


def department_rules() -> list:
    from cpdash.data.programs import parse_taxonomy

    data = {
        "programs": [
            {"name": "Peer jury", "family": "youth", "rules": ["Peer Jury"]},
            {"name": "Senior meetings", "family": "meetings", "rules": ["Senior"]},
            {
                "name": "Domestic-violence outreach",
                "family": "outreach",
                "rules": ["DV outreach", "Domestic Violence"],
            },
        ]
    }
    return list(parse_taxonomy(data).rules)


@pytest.mark.parametrize(
    ("title", "program"),
    [
        ("Seniors", "Senior meetings"),  # plural
        ("SENIOR CITIZENS LUNCH", "Senior meetings"),  # case
        ("Churches", "Faith and partner event"),
        ("Youth Exploring", "Youth mentorship"),  # -ing against the rule's -ers
        ("Police Explorer Meeting", "Youth mentorship"),  # a meeting, but of the explorers
        ("District Advisory Committee", "Beat / community meeting"),
        ("Beat 2223 Meeting", "Beat / community meeting"),  # words apart
        ("Meeting of Beat 1411", "Beat / community meeting"),  # order
        ("2514 Beat Meeting", "Beat / community meeting"),
        ("Coffee With The Commander", "Coffee with a Cop"),
        ("Peer Jury", "Peer jury"),
        ("peer-jury hearing", "Peer jury"),
        ("DV outreach", "Domestic-violence outreach"),
        ("Domestic Violence Subcommittee", "Domestic-violence outreach"),
        ("Neighbourhood Watch training walk", "Workshop / training"),  # the first rule that matches wins
        ("Café con Policía — Coffee with a Cop", "Coffee with a Cop"),  # accents
        ("Community Clean-Ups", "Community clean-up"),
        ("Mentoring Circle", "Youth mentorship"),
    ],
)
def test_rules_match_word_forms_case_and_order(title: str, program: str) -> None:
    programs, _ = t.programs_from_titles(pd.Series([title]), department_rules())
    assert programs.iloc[0] == program


@pytest.mark.parametrize("title", ["Capstone project", "Campus tour", "Beatrice's birthday", "Bingo Night"])
def test_word_forms_do_not_reach_other_words(title: str) -> None:
    programs, _ = t.programs_from_titles(pd.Series([title]), department_rules())
    assert programs.isna().all()


def test_titles_left_to_other_are_grouped_by_the_words_a_rule_needs() -> None:
    titles = pd.Series(["2514 Peer Jury", "Peer Jury", "Bingo Night", "1411 peer jury", None, "Town hall"])
    programs = pd.Series(["Other", "Other", "Other", "Other", None, "Town hall"])
    other = t.other_titles(titles, programs)
    assert other["words"].tolist() == ["Peer Jury", "Bingo Night", "peer jury"]
    assert other["rows"].tolist() == [2, 1, 1] and other["example"].tolist()[0] == "2514 Peer Jury"
    assert t.rule_words("Beat 2514 Meeting") == "Beat"


# --- made columns ------------------------------------------------------------------------------------


def test_made_columns_constant_pattern_template_and_first_filled() -> None:
    frame = pd.DataFrame(
        {
            "title": ["2514 Beat Meeting", "Beat 2223 Meeting", "Coffee", None],
            "district": ["25", "22", "01", ""],
            "sector": ["1", "2", "3", "1"],
            "SECTOR": ["251", None, None, None],
            "DISTRICT": ["25", "22", None, None],
        }
    )
    assert t.Derived(value="district").to_dict() == {"value": "district"}
    from cpdash.importing.derive import make

    assert make(frame, t.Derived(value="district")).tolist() == ["district"] * 4
    beat = t.Derived(source="title", pattern=r"\bbeat\s*(\d{4})\b|\b(\d{4})\s*beat\b")
    beats = make(frame, beat)
    assert beats.tolist()[:2] == ["2514", "2223"] and beats.iloc[2:].isna().all()
    joined = make(frame, t.Derived(template="{district}{sector}"))
    assert joined.tolist()[:3] == ["251", "222", "013"] and pd.isna(joined.iloc[3])  # a blank part: no id
    level = t.Derived(first_filled=(("sector", "SECTOR"), ("district", "DISTRICT")), otherwise="city")
    assert make(frame, level).tolist() == ["sector", "district", "city", "city"]
    value = t.Derived(first_filled=(("sector", "SECTOR"), ("district", "DISTRICT")), take="value")
    assert make(frame, value).tolist()[:2] == ["251", "22"]


def test_a_template_naming_a_missing_column_says_which() -> None:
    from cpdash.importing.derive import DeriveError, make

    with pytest.raises(DeriveError, match="names columns the file does not have: ward"):
        make(pd.DataFrame({"a": ["1"]}), t.Derived(template="{a}-{ward}"))


# --- conflicts ---------------------------------------------------------------------------------------


def test_repeated_rows_ignore_case_and_spacing() -> None:
    frame = pd.DataFrame({"title": ["2514 Beat Meeting", " 2514  beat meeting ", "2515 Beat Meeting"]})
    assert t.duplicate_of(frame).tolist() == [pd.NA, 0, pd.NA]


@pytest.mark.parametrize(
    ("policy", "reasons"),
    [
        ("keep-first", {2: "row 2 kept"}),
        ("keep-last", {0: "row 4 kept"}),
        ("reject-both", {0: "every row of it rejected", 2: "every row of it rejected"}),
    ],
)
def test_conflicting_rows_with_blank_breakdowns_and_the_choice(policy: str, reasons: dict) -> None:
    from cpdash.importing.conflicts import conflicts

    shaped = pd.DataFrame(
        {
            "period_start": ["2025-01-05"] * 3,
            "level": ["city"] * 3,
            "metric": ["trust", "safety", "trust"],
            "group": [None, None, None],  # a blank breakdown column (it used to stop the import)
            "value": ["55", "60", "57"],
        }
    )
    found: dict[int, str] = {}
    table = conflicts(
        shaped, ["period_start", "level", "metric", "group"], found, np.array([2, 3, 4]), policy
    )
    assert sorted(found) == sorted(reasons)
    for position, ending in reasons.items():
        assert found[position].startswith("conflicting period_start, level, metric, group: also on row")
        assert found[position].endswith(ending) and "with other value" in found[position]
    assert table["row"].tolist() == [2, 4] and table["differs"].tolist() == ["value", "value"]


# --- rows already stored -----------------------------------------------------------------------------


def test_overlapping_events_same_area_within_an_hour_similar_title() -> None:
    from cpdash.importing.overlap import find_overlaps, title_similarity

    assert title_similarity("2514 Beat Meeting", "Beat 2514 Community Meeting") >= 0.5
    assert title_similarity("2514 Beat Meeting", "2515 Beat Meeting") == 0.0  # another beat
    stored = pd.DataFrame(
        {
            "event_id": ["S1", "S2"],
            "start": pd.to_datetime(["2025-03-12 18:30", "2025-03-12 10:00"]),
            "area_id": ["25", "25"],
            "title": ["2514 Beat Meeting", "District Advisory Committee"],
            "program": ["Beat / community meeting", "Beat / community meeting"],
        }
    )
    new = pd.DataFrame(
        {
            "event_id": ["N1", "N2", "N3", "S2"],
            "start": pd.to_datetime(
                ["2025-03-12 18:45", "2025-03-12 21:00", "2025-03-12 18:30", "2025-03-12 10:00"]
            ),
            "area_id": ["25", "25", "24", "25"],
            "title": ["Beat 2514 Community Meeting", "2514 Beat Meeting", "2514 Beat Meeting", "DAC"],
            "program": ["Beat / community meeting"] * 4,
        }
    )
    found = find_overlaps(new, stored)
    assert found["position"].tolist() == [0]  # N2 too late, N3 another area, S2 the same id (an update)
    assert found["event_id"].tolist() == ["S1"]


# --- areas by content and by level -------------------------------------------------------------------


def test_area_columns_told_by_their_content_and_matched_level_by_level() -> None:
    from cpdash.data.geo import AreaIndex
    from cpdash.importing.areas import best_level, resolve_at_level

    index = AreaIndex(
        ("1", "11", "25", "011", "111", "251", "0111", "2514"),
        ("district", "district", "district", "sector", "sector", "sector", "beat", "beat"),
    )
    calendar_ids = pd.Series([1, 11, 25, 25, 11, None])
    match = best_level(calendar_ids, index)
    assert (match.level, match.share) == ("district", 1.0)
    sectors, unknown = resolve_at_level(pd.Series(["11", "251", "99"]), index, "sector")
    assert sectors.tolist()[:2] == ["011", "251"] and unknown.tolist() == [False, False, True]
    districts, _ = index.resolve(pd.Series(["011", "11"]))
    assert districts.tolist() == ["011", "11"]  # an exact id wins; else the coarsest level with the key


def test_areas_named_in_free_text() -> None:
    areas = pd.DataFrame({"area_id": ["1", "25"], "name": ["1ST", "25TH"], "level": ["district", "district"]})
    found = t.areas_from_text(
        pd.Series(["25th District Station", "Dist. office, District 025", "Library"]), areas
    )
    assert found.tolist()[:2] == ["25", "25"] and pd.isna(found.iloc[2])
