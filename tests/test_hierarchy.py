"""Areas of several levels (city ⊃ areas ⊃ districts ⊃ sectors ⊃ beats): matched level by level, dissolved
from finer shapes, linked by parent_id; events without coordinates placed at their beat's centre; and the
program taxonomy as data, a department's own file beside its data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import feature, square, write_csv, write_geojson
from shapely.geometry import shape

from cpdash.data.dataset import APPROXIMATE, CENTROID_LAT, CENTROID_LON
from cpdash.data.geo import AreaIndex, ancestors, dissolve, level_rank
from cpdash.data.load import load_dataset
from cpdash.data.placing import beat_named, place_events
from cpdash.data.programs import TaxonomyError, add_rule, built_in, load_taxonomy, parse_rule, read_taxonomy


def test_levels_from_coarsest_to_finest_and_an_index_level_by_level() -> None:
    assert [level_rank(v) for v in ("city", "area", "district", "sector", "beat")] == [0, 1, 2, 3, 4]
    index = AreaIndex(("011", "11", "0111"), ("sector", "district", "beat"))
    assert index.level_names == ("district", "sector", "beat")
    assert index.at_level("sector").ids == ("011",)
    resolved, unknown = index.resolve(pd.Series(["11", "0011", "999"]))
    assert resolved.tolist()[:2] == ["11", "11"] and unknown.tolist() == [False, False, True]  # the coarsest


def test_finer_shapes_dissolve_into_one_and_parents_give_ancestors() -> None:
    keys = ["A", "A", None, "B"]
    shapes = [shape(square(0, 0)), shape(square(0.1, 0)), shape(square(5, 5)), shape(square(1, 1))]
    merged = dissolve(keys, shapes)
    assert list(merged) == ["A", "B"]
    assert merged["A"].area == pytest.approx(0.02) and merged["A"].geom_type == "Polygon"
    areas = pd.DataFrame(
        {
            "area_id": ["1", "011", "0111", "0112", "loop"],
            "level": ["district", "sector", "beat", "beat", "beat"],
            "parent_id": [None, "1", "011", "missing", "loop"],
        }
    )
    chains = ancestors(areas)
    assert chains["0111"] == {"sector": "011", "district": "1"}
    assert chains["0112"] == {} and chains["loop"] == {}  # an unknown parent, a loop: no ancestors, no hang


def beat_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_id": ["25", "24", "251", "2514", "2411"],
            "level": ["district", "district", "sector", "beat", "beat"],
            "parent_id": [None, None, "25", "251", "24"],
            CENTROID_LAT: [41.90, 41.80, 41.91, 41.915, 41.81],
            CENTROID_LON: [-87.70, -87.80, -87.71, -87.715, -87.81],
        }
    )


def test_events_are_placed_at_the_beat_their_title_or_column_names() -> None:
    assert beat_named(
        pd.Series(["2514 Beat Meeting", "Beat #0614 walk", "Beat 2223 Meeting", "Seniors"])
    ).tolist()[:3] == ["2514", "0614", "2223"]
    events = pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4", "E5"],
            "area_id": ["25", "25", "25", "25", "24"],
            "title": ["2514 Beat Meeting", "Coffee", "Beat 2411 Meeting", None, "2411 beat meeting"],
            "beat": [None, None, None, "2514", None],
            "lat": [np.nan, np.nan, np.nan, np.nan, 41.5],
            "lon": [np.nan, np.nan, np.nan, np.nan, -87.5],
        }
    )
    placed, notes = place_events(events, beat_areas())
    at = placed.set_index("event_id")
    assert (at.loc["E1", "lat"], at.loc["E1", "lon"]) == (41.915, -87.715)  # its beat's centre
    assert (at.loc["E4", "lat"], at.loc["E4", "lon"]) == (41.915, -87.715)  # the beat column
    assert (at.loc["E2", "lat"], at.loc["E2", "lon"]) == (41.90, -87.70)  # no beat: its district's
    assert (at.loc["E3", "lat"], at.loc["E3", "lon"]) == (41.90, -87.70)  # beat 2411 lies in district 24
    assert not at.loc["E5", APPROXIMATE] and at.loc["E5", "lat"] == 41.5  # coordinates are kept
    assert at[APPROXIMATE].sum() == 4
    assert notes == [
        "4 events have no coordinates: 4 placed approximately, 2 at their beat's centre, 2 at their area's centroid"
    ]


def test_a_loaded_folder_places_beat_meetings_at_their_beats(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    features = [
        feature({"area_id": "25", "name": "25TH", "level": "district"}, square(-87.8, 41.8, 0.2)),
        feature(
            {"area_id": "2514", "name": "Beat 2514", "level": "beat", "parent_id": "25"}, square(-87.8, 41.8)
        ),
        feature(
            {"area_id": "2515", "name": "Beat 2515", "level": "beat", "parent_id": "25"}, square(-87.7, 41.9)
        ),
    ]
    write_geojson(folder / "areas.geojson", features)
    rows = [
        {
            "event_id": f"E{i}",
            "start": "2025-03-01",
            "program": "Beat meeting",
            "area_id": "25",
            "title": title,
        }
        for i, title in enumerate(["2514 Beat Meeting", "Beat 2515 Meeting", "District Advisory Committee"])
    ]
    write_csv(folder / "events.csv", rows)
    ds = load_dataset(folder)
    assert ds.report.errors == []
    points = {tuple(p) for p in ds.events[["lat", "lon"]].round(3).to_numpy()}
    assert len(points) == 3  # two beats and the district: not one stacked ring
    levels = {f["properties"]["area_id"]: f["properties"]["level"] for f in ds.areas_geojson["features"]}
    assert levels == {"25": "district", "2514": "beat", "2515": "beat"}


def test_a_departments_programs_validate_and_a_bad_file_falls_back_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    write_csv(
        folder / "events.csv",
        [
            {"event_id": "E1", "start": "2025-03-01", "program": "Peer jury", "area_id": "1"},
            {"event_id": "E2", "start": "2025-03-02", "program": "Town hall", "area_id": "1"},
        ],
    )
    assert load_dataset(folder).events["program"].tolist() == [
        "Other",
        "Town hall",
    ]  # unknown: counted as Other
    add_rule(folder, "Peer Jury", "Peer jury", "youth", "#7570b3")
    ds = load_dataset(folder)
    assert ds.events["program"].tolist() == ["Peer jury", "Town hall"]
    assert not any("files not named after a table" in n for n in ds.report.notes)
    taxonomy = read_taxonomy(folder)
    assert taxonomy.names[-2:] == ("Peer jury", "Other") and taxonomy.family("Peer jury") == "youth"
    assert taxonomy.colour("Peer jury") == "#7570b3" and taxonomy.colour("Town hall") == "#009e73"
    assert taxonomy.rules[0].words == "Peer Jury" and taxonomy.own_rules == 1
    (folder / "programs.json").write_text(
        '{"programs": [{"name": "X", "family": "parties"}]}', encoding="utf-8"
    )
    with pytest.raises(
        TaxonomyError, match="'family' must be one of meetings, youth, outreach, events, services"
    ):
        read_taxonomy(folder)
    assert load_taxonomy(folder).names == built_in().names
    ds = load_dataset(folder)
    assert any("programs.json, program 1" in n and "built-in programs are used" in n for n in ds.report.notes)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "must be a JSON object"),
        ({"programs": [{"name": ""}]}, "'name' must be a text"),
        ({"programs": [{"name": "Gala", "family": "events", "colour": "red"}]}, "written #rrggbb"),
        ({"rules": [["Gala", "Gala night"]]}, "names the program 'Gala night', which is neither built in"),
        ({"rules": ["Gala"]}, r"must be a \[words, program\] pair"),
    ],
)
def test_unusable_programs_files_say_what_and_where(tmp_path: Path, data: object, message: str) -> None:
    (tmp_path / "programs.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message):
        read_taxonomy(tmp_path)


def test_a_rule_in_one_flag() -> None:
    assert parse_rule("Peer Jury=Peer jury (youth)") == ("Peer Jury", "Peer jury", "youth")
    assert parse_rule(" Seniors = Town hall ") == ("Seniors", "Town hall", None)
    with pytest.raises(TaxonomyError, match="unknown family 'party'"):
        parse_rule("Gala=Gala (party)")
    with pytest.raises(TaxonomyError, match="WORDS=PROGRAM"):
        parse_rule("Gala")
    with pytest.raises(TaxonomyError, match="no program 'Gala night'"):
        add_rule(Path("/nonexistent-folder-for-a-dry-run"), "Gala", "Gala night", write=False)
