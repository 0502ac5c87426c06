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
