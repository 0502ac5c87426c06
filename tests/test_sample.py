"""The synthetic sample city: determinism, the data contract, cleanliness and the stories it tells."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from cpdash import sample
from cpdash.data.schema import (
    AGE_GROUPS,
    AGE_SHARE_COLUMNS,
    AREA_LEVELS,
    CONCERN_STATUSES,
    PROGRAMS,
    SCORE_METRICS,
    TABLES,
)

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
TABLE_NAMES = ("events", "responses", "concerns", "attendees", "area_scores")
MAX_SAMPLE_BYTES = 10 * 1024 * 1024
DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
DATE = r"\d{4}-\d{2}-\d{2}"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo data freshly generated with the default seed."""
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict:
    """The demo data, generated once for the module (and written into `demo_dir`)."""
    return sample.generate("demo", 7, demo_dir)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a folder by name, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _trust(responses: pd.DataFrame, area_id: str, start: str, end: str) -> float:
    """Trust score (0-100) of an area's responses submitted in [start, end)."""
    submitted = responses["submitted"].str[:10]
    rows = (responses["area_id"] == area_id) & (submitted >= start) & (submitted < end)
    assert rows.sum() >= 50, f"too few responses in {area_id} from {start} to {end}"
    return float(responses.loc[rows, "trust"].mean() * 10)


def _open_concerns(concerns: pd.DataFrame, area_id: str, when: str) -> int:
    """Concerns of an area raised by `when` and not yet resolved or declined on that day."""
    raised = concerns["raised"] <= when
    still_open = concerns["resolved"].isna() | (concerns["resolved"] > when)
    return int(((concerns["area_id"] == area_id) & raised & still_open).sum())


# --- Determinism -------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    sample.generate("tiny", 3, tmp_path / "a")
    sample.generate("tiny", 3, tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(first) == {*(f"{t}.csv" for t in TABLE_NAMES), "areas.geojson", "manifest.json", "README.md"}
    assert first == second


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    sample.generate("tiny", 3, tmp_path / "a")
    sample.generate("tiny", 4, tmp_path / "b")
    for name in ("events.csv", "responses.csv", "concerns.csv", "areas.geojson"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_parquet_output_replaces_csv_and_round_trips(tmp_path: Path) -> None:
    sample.generate("tiny", 3, tmp_path, fmt="csv")
    result = sample.generate("tiny", 3, tmp_path, fmt="parquet")
    assert not list(tmp_path.glob("*.csv")), "stale CSV files would shadow the new Parquet files"
    for name in TABLE_NAMES:
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert list(back.columns) == list(result[name].columns)
        assert len(back) == len(result[name])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["generated_by"].endswith("--format parquet")


def test_committed_sample_data_is_the_generated_demo(demo: dict, demo_dir: Path) -> None:
    committed, fresh = _files(SAMPLE_DATA), _files(demo_dir)
    assert set(committed) == set(fresh)
    for name in (
        "events.csv",
        "responses.csv",
        "concerns.csv",
        "areas.geojson",
        "manifest.json",
        "README.md",
    ):
        assert committed[name] == fresh[name], f"sample_data/{name} is stale: regenerate it"
    assert sum(len(b) for b in committed.values()) < MAX_SAMPLE_BYTES


def test_manifest_says_synthetic(demo: dict) -> None:
    manifest = json.loads((SAMPLE_DATA / "manifest.json").read_text())
    assert manifest == demo["manifest"]
    assert manifest == {
        "synthetic": True,
        "name": "Riverton (synthetic sample city)",
        "scale": "demo",
        "seed": 7,
        "generated_by": "python -m cpdash.sample --scale demo --seed 7 --out sample_data",
        "notice": "Synthetic data: invented people, places and events for demonstration only.",
    }
    readme = (SAMPLE_DATA / "README.md").read_text()
    assert "Synthetic data" in readme and manifest["generated_by"] in readme


def test_unknown_scale_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        sample.generate("huge")
    with pytest.raises(ValueError, match="format"):
        sample.generate("tiny", fmt="xlsx")


def test_command_line_writes_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sample.main(["--scale", "tiny", "--seed", "5", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "events.csv").exists() and (tmp_path / "areas.geojson").exists()
    assert "events" in capsys.readouterr().out


# --- The data contract -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_columns_are_contract_columns_and_required_ones_are_filled(demo: dict, name: str) -> None:
    frame, table = demo[name], TABLES[name]
    assert list(frame.columns) == [c for c in table.names if c in frame.columns]
    for column in table.required_columns:
        assert column in frame.columns
        assert frame[column].notna().all(), f"{name}.{column} has blanks"
    assert len(frame) > 0


def test_row_counts_fit_the_demo_scale(demo: dict) -> None:
    assert 4_000 <= len(demo["events"]) <= 5_000
    assert 20_000 <= len(demo["responses"]) <= 25_000
    assert 1_200 <= len(demo["concerns"]) <= 1_800
    assert len(demo["areas"]) == 30


def test_integer_columns_are_written_without_decimals() -> None:
    events = pd.read_csv(SAMPLE_DATA / "events.csv", dtype=str)
    for column in ("attendance", "youth_attendance", "officers"):
        assert events[column].dropna().str.fullmatch(r"\d+").all(), column
    responses = pd.read_csv(SAMPLE_DATA / "responses.csv", dtype=str)
    for column in SCORE_METRICS:
        assert responses[column].dropna().str.fullmatch(r"\d|10").all(), column


def test_categories_take_allowed_values(demo: dict) -> None:
    events, responses, concerns = demo["events"], demo["responses"], demo["concerns"]
    assert set(events["program"]) == set(PROGRAMS), "every program appears, and no other"
    assert set(concerns["status"]) == set(CONCERN_STATUSES)
    assert set(concerns["topic"]) <= {*sample.CONCERN_TOPICS}
    assert set(concerns["source"]) <= {"beat meeting", "survey", "town hall", "online form", "phone"}
    assert set(responses["age_group"].dropna()) <= set(AGE_GROUPS)
    assert set(demo["attendees"]["age_group"].dropna()) <= set(AGE_GROUPS)
    assert set(responses["channel"]) == set(sample.CHANNELS)
    assert set(responses["language"]) == {"en", "es"}
    assert set(responses["gender"].dropna()) == set(sample.GENDERS)
    for metric in SCORE_METRICS:
        values = responses[metric].dropna()
        assert values.between(0, 10).all() and (values == values.round()).all()


def test_area_scores_are_published_figures(demo: dict) -> None:
    scores = demo["area_scores"]
    assert set(scores["level"]) == {"area", "city"} and set(scores["level"]) <= set(AREA_LEVELS)
    assert set(scores["metric"]) == set(SCORE_METRICS)
    assert scores["value"].between(0, 100).all()
    assert (scores["n"] > 0).all()
    assert (scores.loc[scores["level"] == "city", "area_id"] == "city").all()
    groups = scores["group"].dropna()
    assert len(groups) > 0 and groups.isin([f"age: {g}" for g in AGE_GROUPS]).all()
    assert (scores["period_start"] < scores["period_end"]).all()
    city = scores[(scores["level"] == "city") & scores["group"].isna() & (scores["metric"] == "trust")]
    assert city["value"].between(50, 66).all()


def test_areas_are_valid_polygons_with_population(demo: dict) -> None:
    areas, geojson = demo["areas"], demo["areas_geojson"]
    assert geojson["type"] == "FeatureCollection"
    assert areas["area_id"].is_unique and areas["area_id"].str.fullmatch(r"A\d{2}").all()
    assert set(areas.columns) <= set(TABLES["areas"].names)
    assert (areas["level"] == "area").all()
    assert areas["population"].between(3_000, 40_000).all()
    shares = areas[list(AGE_SHARE_COLUMNS.values())]
    assert np.allclose(shares.sum(axis=1), 1.0) and (shares > 0).all().all()
    assert areas["name"].str.len().max() > 25, "some names are long"
    polygons = [shapely.geometry.shape(f["geometry"]) for f in geojson["features"]]
    assert [f["properties"]["area_id"] for f in geojson["features"]] == list(areas["area_id"])
    assert all(p.is_valid and p.geom_type == "Polygon" for p in polygons)
    union = shapely.union_all(polygons)
    assert sum(p.area for p in polygons) == pytest.approx(union.area, rel=1e-4), "areas overlap"
    minx, miny, maxx, maxy = union.bounds
    assert -88.0 < minx < maxx < -87.5 and 41.7 < miny < maxy < 42.0


# --- A clean sample ------------------------------------------------------------------------------------


def test_ids_are_unique_and_references_resolve(demo: dict) -> None:
    events, responses, concerns, attendees = (
        demo[t] for t in ("events", "responses", "concerns", "attendees")
    )
    area_ids = set(demo["areas"]["area_id"])
    for frame, key in ((events, "event_id"), (responses, "response_id"), (concerns, "concern_id")):
        assert frame[key].is_unique, key
    for frame in (events, responses, concerns):
        assert set(frame["area_id"]) <= area_ids
    assert set(demo["area_scores"]["area_id"]) <= area_ids | {"city"}
    event_ids = set(events["event_id"])
    for frame in (responses, concerns, attendees):
        assert set(frame["event_id"].dropna()) <= event_ids
    assert set(attendees["home_area_id"].dropna()) <= area_ids
    assert not attendees.duplicated(["event_id", "participant_key"]).any(), "nobody signs in twice"
    assert attendees["participant_key"].str.fullmatch(r"P[0-9a-f]{8}").all()


def test_numbers_are_in_range(demo: dict) -> None:
    events = demo["events"]
    both = events.dropna(subset=["attendance", "youth_attendance"])
    assert (both["youth_attendance"] <= both["attendance"]).all()
    for column in ("attendance", "youth_attendance", "officers", "officer_hours", "cost"):
        assert (events[column].dropna() >= 0).all(), column
    per_event = demo["attendees"].groupby("event_id").size()
    attendance = events.set_index("event_id")["attendance"]
    assert (per_event <= attendance.loc[per_event.index]).all(), "more sign-ins than attendees"


def test_events_with_coordinates_lie_inside_their_own_area(demo: dict) -> None:
    polygons = {
        f["properties"]["area_id"]: shapely.geometry.shape(f["geometry"])
        for f in demo["areas_geojson"]["features"]
    }
    located = demo["events"].dropna(subset=["lat", "lon"])
    for area_id, rows in located.groupby("area_id"):
        inside = shapely.contains_xy(polygons[area_id], rows["lon"].to_numpy(), rows["lat"].to_numpy())
        assert inside.all(), f"{(~inside).sum()} events of {area_id} lie outside it"
    missing = demo["events"]["lat"].isna()
    assert 0.03 < missing.mean() < 0.12, "some events have an address but no coordinates"
    assert demo["events"].loc[missing, "address"].notna().all()


def test_dates_are_iso_and_consistent(demo: dict) -> None:
    events, responses, concerns = demo["events"], demo["responses"], demo["concerns"]
    assert events["start"].str.fullmatch(DATETIME).all()
    assert responses["submitted"].str.fullmatch(DATETIME).all()
    assert concerns["raised"].str.fullmatch(DATE).all()
    assert concerns["resolved"].dropna().str.fullmatch(DATE).all()
    for column in (events["start"], responses["submitted"], concerns["raised"]):
        assert column.min() >= "2023-11-01" and column.max() < "2026-11-01"
    closed = concerns.dropna(subset=["resolved"])
    assert (closed["resolved"] >= closed["raised"]).all()
    assert set(closed["status"]) == {"resolved", "declined"}
    assert concerns.loc[concerns["resolved"].isna(), "status"].isin(["open", "in progress"]).all()
    cards = responses.dropna(subset=["event_id"]).merge(
        events[["event_id", "start", "area_id"]], on="event_id", suffixes=("", "_event")
    )
    assert (cards["channel"] == "comment card").all()
    assert (cards["submitted"].str[:10] == cards["start"].str[:10]).all(), "cards are filled in on the day"
    assert (cards["area_id"] == cards["area_id_event"]).all()


def test_blanks_and_shares_look_like_real_exports(demo: dict) -> None:
    events, responses = demo["events"], demo["responses"]
    assert 0.04 < events["attendance"].isna().mean() < 0.12
    assert events["youth_attendance"].isna().mean() > events["attendance"].isna().mean()
    assert 0.2 < events["partner"].isna().mean() < 0.5
    assert 0.25 < responses["event_id"].notna().mean() < 0.35
    assert 0.45 < responses["comment"].notna().mean() < 0.65
    assert 0.05 < (responses["language"] == "es").mean() < 0.11
    for metric in SCORE_METRICS:
        assert 0 < responses[metric].isna().mean() < 0.4, metric
    assert responses[list(SCORE_METRICS)].corr().min().min() > 0.5, "answers go together"


def test_comments_are_varied_and_some_carry_personal_details(demo: dict) -> None:
    comments = demo["responses"]["comment"].dropna()
    assert comments.nunique() > 0.5 * len(comments)
    contact = comments.str.contains(r"555-|@example\.|\(312\)", regex=True)
    assert 0.001 < contact.sum() / len(demo["responses"]) < 0.01
    spanish = demo["responses"].loc[demo["responses"]["language"] == "es", "comment"].dropna()
    assert spanish.str.contains("policía|barrio|por favor|gracias|nadie", case=False, regex=True).mean() > 0.3


def test_every_phrase_bank_of_the_text_file_is_named_and_immutable() -> None:
    from cpdash.sample import text

    banks = json.loads(text.TEXT_FILE.read_text(encoding="utf-8"))
    assert banks and all(isinstance(getattr(text, name, None), (tuple, dict)) for name in banks)
    assert isinstance(text.TITLES["Coffee with a Cop"][0], tuple)
    assert all(isinstance(phrases, tuple) for phrases in text.COMPLAINT_EN.values())


def test_programs_follow_their_seasons(demo: dict) -> None:
    events = demo["events"]
    month = events["start"].str[5:7].astype(int)
    program = events["program"]
    assert month[program == "Block party"].isin([5, 6, 7, 8, 9]).all()
    assert month[program == "Block party"].isin([6, 7, 8]).mean() > 0.8
    assert not month[program == "Youth mentorship"].isin([7, 8]).any(), "mentoring follows the school year"
    assert month[program == "Community clean-up"].isin([3, 4, 5, 6, 9, 10, 11]).all()
    nno_days = set(events.loc[program == "National Night Out", "start"].str[:10])
    assert nno_days == {"2024-08-06", "2025-08-05", "2026-08-04"}, "first Tuesday of August"
    meetings = events[program == "Beat / community meeting"]
    per_area_month = meetings.groupby([meetings["area_id"], meetings["start"].str[:7]]).size()
    assert per_area_month.max() == 1 and len(per_area_month) > 0.7 * 29 * 36
    assert meetings["title"].str.contains(r"\d{4}").all(), 'titles like "1423 Beat Meeting"'


def test_repeat_participants(demo: dict) -> None:
    visits = demo["attendees"].groupby("participant_key").size()
    assert 0.2 < (visits >= 2).mean() < 0.45


# --- The stories -------------------------------------------------------------------------------------


def test_stories_constant_names_the_demo_areas(demo: dict) -> None:
    assert demo["stories"] == sample.STORIES
    names = demo["areas"].set_index("area_id")["name"]
    for story in ("youth_program", "falling_trust", "no_engagement"):
        assert names[sample.STORIES[story]["area_id"]] == sample.STORIES[story]["name"]


def test_youth_program_raises_trust(demo: dict) -> None:
    story = sample.STORIES["youth_program"]
    events, area_id = demo["events"], story["area_id"]
    mentoring = events[(events["area_id"] == area_id) & (events["program"] == story["program"])]
    assert mentoring["start"].min()[:10] == story["start"], "the program starts on the story's date"
    before = _trust(demo["responses"], area_id, "2024-08-01", "2025-02-01")
    last = _trust(demo["responses"], area_id, "2026-05-01", "2026-11-01")
    assert last - before >= 10
    assert before < 52 and last > 62


def test_falling_trust_and_growing_backlog(demo: dict) -> None:
    area_id = sample.STORIES["falling_trust"]["area_id"]
    earlier = _trust(demo["responses"], area_id, "2024-11-01", "2025-11-01")
    last = _trust(demo["responses"], area_id, "2026-05-01", "2026-11-01")
    assert earlier - last >= 10
    concerns = demo["concerns"]
    assert (
        _open_concerns(concerns, area_id, "2026-10-31") > _open_concerns(concerns, area_id, "2025-10-31") + 10
    )
    resolved_lately = (concerns["area_id"] == area_id) & (concerns["resolved"] >= "2026-02-01")
    raised_lately = (concerns["area_id"] == area_id) & (concerns["raised"] >= "2026-02-01")
    assert resolved_lately.sum() < 0.25 * raised_lately.sum()


def test_no_engagement_area_has_no_events_but_a_voice(demo: dict) -> None:
    area_id = sample.STORIES["no_engagement"]["area_id"]
    assert (demo["events"]["area_id"] == area_id).sum() == 0
    assert (demo["responses"]["area_id"] == area_id).sum() > 200
    assert (demo["concerns"]["area_id"] == area_id).sum() > 10
    assert (demo["area_scores"]["area_id"] == area_id).sum() > 0


def test_costly_program_costs_several_times_the_others(demo: dict) -> None:
    counted = demo["events"].dropna(subset=["cost", "attendance"])
    totals = counted.groupby("program")[["cost", "attendance"]].sum()
    per_attendee = totals["cost"] / totals["attendance"]
    costly = sample.STORIES["costly_program"]["program"]
    others = per_attendee.drop(costly)
    assert per_attendee[costly] >= 3 * others.median()
    assert per_attendee[costly] > others.max()


def test_city_wide_trust_is_moderate_with_mild_variation(demo: dict) -> None:
    responses = demo["responses"]
    assert 55 <= responses["trust"].mean() * 10 <= 62
    by_area = responses.groupby("area_id")["trust"].mean() * 10
    story_areas = [sample.STORIES[s]["area_id"] for s in ("youth_program", "falling_trust", "no_engagement")]
    ordinary = by_area.drop(story_areas)
    assert ordinary.std() < 5 and ordinary.min() > 48 and ordinary.max() < 68
