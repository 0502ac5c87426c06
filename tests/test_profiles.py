"""Mapping profiles: saved to small readable JSON files, chosen again for an export of the same shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdash.importing import transforms
from cpdash.importing.profiles import (
    Profile,
    ProfileError,
    file_name,
    fitting_profile,
    list_profiles,
    load_profile,
    profile_json,
    profiles_folder,
    save_profile,
)


def calendar_profile(name: str = "City calendar") -> Profile:
    return Profile(
        name=name,
        table="events",
        columns={"start": "Start Date", "title": "Subject", "address": "Location"},
        date_formats={"start": "%m/%d/%Y"},
        time_columns={"start": "Start Time"},
        program_from="Subject",
        program_rules=[
            transforms.ProgramRule("Bingo", "Other"),
            transforms.ProgramRule("Gala", "Block party"),
        ],
        area_from="Location",
        id_from=["Start Date", "Subject", "Location"],
    )


def test_a_profile_round_trips_through_its_file(tmp_path: Path) -> None:
    profile = calendar_profile()
    path = save_profile(profile, tmp_path / "mappings")
    assert path.name == "City-calendar.json"
    again = load_profile(path)
    assert again == profile
    assert load_profile("City calendar", tmp_path / "mappings") == profile  # by name, too


def test_the_file_is_small_and_readable(tmp_path: Path) -> None:
    text = save_profile(calendar_profile(), tmp_path).read_text(encoding="utf-8")
    assert '["Bingo", "Other"],' in text  # one rule per line
    assert '"start": "Start Date"' in text
    assert len(text) < 4000
    data = json.loads(text)
    assert data["table"] == "events" and data["format"] == 1


def test_a_wide_profile_keeps_its_reading(tmp_path: Path) -> None:
    spec = transforms.WideSpec(
        period_start="START_DATE",
        levels={"district": "DISTRICT"},
        values={"TRUST": ("trust", ""), "S_AGE_LOW": ("safety", "age: low")},
        value_scale="0-10",
    )
    profile = Profile(name="vendor", table="area_scores", wide=spec)
    again = load_profile(save_profile(profile, tmp_path))
    assert again.wide == spec
    assert "program_rules" not in json.loads(profile_json(profile))  # rules are for events only
    assert again.source_columns() == {"START_DATE", "DISTRICT", "TRUST", "S_AGE_LOW"}


def test_missing_columns_and_the_fitting_profile() -> None:
    profile = calendar_profile()
    columns = ["Subject", "Start Date", "Start Time", "Location", "Description"]
    assert profile.missing_columns(columns) == []
    assert profile.missing_columns(["Subject"]) == ["Location", "Start Date", "Start Time"]
    other = Profile(name="other", table="events", columns={"start": "Date"})
    assert fitting_profile([other, profile], columns) is profile
    assert fitting_profile([other], columns) is None


def test_list_profiles_by_table_skips_unusable_files(tmp_path: Path) -> None:
    save_profile(calendar_profile("b"), tmp_path)
    save_profile(calendar_profile("A"), tmp_path)
    save_profile(Profile(name="scores", table="area_scores", columns={"value": "v"}), tmp_path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    assert [p.name for p in list_profiles(tmp_path, "events")] == ["A", "b"]
    assert len(list_profiles(tmp_path)) == 3
    assert list_profiles(tmp_path / "none") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"table": "meetings"}, "unknown table 'meetings'"),
        ({"table": "events", "columns": {"venue": "Location"}}, "events has no column venue"),
        ({"table": "responses", "scales": {"trust": "1-7"}}, "unknown answer scale 1-7"),
        ({"table": "events", "program_rules": [["Bingo", ""]]}, "needs both its words and its program"),
        ({"table": "events", "program_rules": "Bingo"}, "list of \\[words, program\\] pairs"),
        ({"table": "events", "columns": {"start": 3}}, "'columns' must map names to names"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_unusable_profiles_say_why(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_rules_for_new_programs_load_and_the_import_says_where_to_add_the_program(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"table": "events", "program_rules": [["Bingo", "Games"]]}), encoding="utf-8")
    profile = load_profile(path)
    assert profile.program_rules == [transforms.ProgramRule("Bingo", "Games")]
    from cpdash.importing.importer import ImportProblem, prepare, read_upload

    upload = read_upload("events.csv", b"id,date,title,area\nE1,2025-01-01,Bingo night,1\n")
    with pytest.raises(
        ImportProblem, match=r"programs that are neither built in nor in programs\.json: 'Games'"
    ):
        prepare(upload, profile)


def test_built_in_rules_copied_into_an_older_file_are_left_to_the_taxonomy(tmp_path: Path) -> None:
    rules = [["Bingo", "Other"], *([r.words, r.program] for r in transforms.default_program_rules())]
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"table": "events", "program_rules": rules}), encoding="utf-8")
    assert load_profile(path).program_rules == [transforms.ProgramRule("Bingo", "Other")]


def test_made_columns_level_and_dissolving_are_saved_readably(tmp_path: Path) -> None:
    profile = Profile(
        name="beats",
        table="areas",
        columns={"area_id": "beat_num"},
        derived={
            "level": transforms.Derived(value="beat"),
            "name": transforms.Derived(template="Beat {beat_num}"),
            "parent_id": transforms.Derived(template="{district}{sector}", level="sector"),
        },
        dissolve_by=["district", "sector"],
    )
    text = save_profile(profile, tmp_path).read_text(encoding="utf-8")
    assert (
        '"level": {\n      "value": "beat"\n    }' in text and '"dissolve_by": ["district", "sector"]' in text
    )
    again = load_profile(tmp_path / "beats.json")
    assert again == profile
    assert again.source_columns() == {"beat_num", "district", "sector"}
    assert (
        "parent_id: made as {district}{sector}, matched among the stored sector areas"
        in again.transforms_text()
    )
    events = Profile(
        name="calendar",
        table="events",
        derived={"beat": transforms.Derived(source="title", pattern=r"(\d{4}) Beat")},
        area_level="district",
    )
    assert load_profile(save_profile(events, tmp_path)) == events


@pytest.mark.parametrize(
    ("derived", "message"),
    [
        ({"title": {"value": "x", "template": "{a}"}}, "exactly one of"),
        ({"beat": {"from": "title", "pattern": "(unclosed"}}, "not a valid regular expression"),
        ({"title": {"template": "no braces"}}, "names columns in braces"),
        ({"venue": {"value": "x"}}, "events has no column venue"),
    ],
)
def test_unusable_made_columns_say_why(tmp_path: Path, derived: dict, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"table": "events", "derived": derived}), encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_missing_profile_and_nameless_save(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no mapping profile 'nope'"):
        load_profile("nope", tmp_path)
    with pytest.raises(ProfileError, match="give the mapping a name"):
        save_profile(Profile(name=" ", table="events"), tmp_path)


def test_profiles_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPDASH_PROFILES", raising=False)
    assert profiles_folder(tmp_path) == tmp_path / "mappings"
    assert profiles_folder("postgresql+psycopg://u@h/db").name == "mappings"
    monkeypatch.setenv("CPDASH_PROFILES", str(tmp_path / "elsewhere"))
    assert profiles_folder(tmp_path) == tmp_path / "elsewhere"
    assert file_name("../../etc/passwd") == "etc-passwd.json"
