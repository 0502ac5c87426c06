"""The whole path on files shaped like one large city's real public exports (tests/fixtures/real, written by
its make_fixtures.py): district and beat boundaries, the community-event calendar as a JSON list, a
scraper's second export of it, and the survey vendor's wide score table. Each is imported with
`--mapping suggest` and no profile, and every row must be accounted for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO

from cpdash.__main__ import EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, main
from cpdash.data.dataset import APPROXIMATE, CENTROID_LAT, CENTROID_LON
from cpdash.data.geo import area_key
from cpdash.data.load import load_dataset
from cpdash.importing.store import open_store

REAL = Path(__file__).parent / "fixtures" / "real"
sys.path.insert(0, str(REAL))
from make_fixtures import EXPECTED_PROGRAM  # noqa: E402

FILES = {
    "districts.geojson": "areas",
    "beats.geojson": "areas",
    "calendar.json": "events",
    "scraped_calendar.csv": "events",
    "police_sentiment_scores.csv": "area_scores",
}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["import", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def suggest(capsys, folder: Path, name: str, *more: str) -> tuple[int, str, str]:
    return run(
        capsys, str(REAL / name), "--table", FILES[name], "--mapping", "suggest", "--into", str(folder), *more
    )


def last_log(folder: Path) -> dict:
    return open_store(folder).read_log()[-1]


def city(tmp_path: Path, programs: bool = True) -> Path:
    folder = tmp_path / "lakeport"
    folder.mkdir()
    if programs:
        (folder / "programs.json").write_bytes((REAL / "programs.json").read_bytes())
    return folder


def boundaries(capsys, folder: Path) -> None:
    assert suggest(capsys, folder, "districts.geojson")[0] == EXIT_OK
    assert suggest(capsys, folder, "beats.geojson")[0] == EXIT_OK
    assert suggest(capsys, folder, "beats.geojson", "--dissolve-by", "district,sector")[0] == EXIT_OK


def expected(title: object) -> str:
    text = str(title).lower()
    return next((p for key, p in EXPECTED_PROGRAM.items() if key in text), "unknown")


def accounted(entry: dict, rows: int) -> None:
    """kept + rejected with a reason + repeated = rows read."""
    assert entry["accepted"] + entry["rejected"] + entry["duplicates"] == entry["rows_read"] == rows


def test_fixtures_are_small() -> None:
    assert sum(p.stat().st_size for p in REAL.iterdir()) < 1_000_000


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A new city's folder with everything imported by --mapping suggest, no profile; the printed reports."""
    folder = city(tmp_path_factory.mktemp("real"))
    outputs = {}
    for name, extra in [
        ("districts.geojson", ()),
        ("beats.geojson", ()),
        ("beats.geojson", ("--dissolve-by", "district,sector")),
        ("calendar.json", ()),
        ("scraped_calendar.csv", ("--skip-overlapping",)),
        ("police_sentiment_scores.csv", ()),
    ]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cpdash",
                "import",
                str(REAL / name),
                "--table",
                FILES[name],
                "--mapping",
                "suggest",
                "--into",
                str(folder),
                *extra,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=300,
        )
        assert result.returncode == EXIT_OK, result.stderr
        assert "Traceback" not in result.stderr
        outputs[name + "".join(extra)] = result.stdout
    return folder, outputs


def test_boundaries_without_a_level_make_three_linked_levels(imported) -> None:
    folder, outputs = imported
    out = outputs["districts.geojson"]
    assert '"area_id": "dist_num"' in out and '"name": "dist_label"' in out
    assert "level            ← 'district' for every row" in out  # no level property: a constant, said why
    ds = load_dataset(folder, tables=("areas",))
    areas = ds.areas.set_index("area_id")
    assert areas["level"].value_counts().to_dict() == {"beat": 226, "sector": 75, "district": 25}
    assert areas.loc["1", "name"] == "1ST" and areas.loc["25", "level"] == "district"
    assert areas.loc["2514", "parent_id"] == "251" and areas.loc["251", "level"] == "sector"
    assert (
        areas.loc["251", "parent_id"] == "25" and areas.loc["011", "parent_id"] == "1"
    )  # "01" is district 1
    levels = {f["properties"]["area_id"]: f["properties"]["level"] for f in ds.areas_geojson["features"]}
    assert (levels["1"], levels["011"], levels["0111"]) == (
        "district",
        "sector",
        "beat",
    )  # for maps to choose
    log = open_store(folder).read_log()
    assert [(e["rows_read"], e["accepted"]) for e in log[:3]] == [(25, 25), (226, 226), (75, 75)]


def test_the_calendar_every_row_accounted_for_areas_by_content_programs_by_rules(imported) -> None:
    folder, outputs = imported
    out = outputs["calendar.json"]
    assert "area_id          ← calendarId (95 %: 100% of its values are stored district ids (25 of 25)" in out
    assert '"area_level": "district"' in out and '"beat": {' in out
    records = json.loads((REAL / "calendar.json").read_text(encoding="utf-8"))
    entry = open_store(folder).read_log()[3]
    accounted(entry, len(records))
    assert (entry["accepted"], entry["rejected"], entry["duplicates"]) == (981, 6, 9)
    events = load_dataset(folder).events
    calendar = events[events["event_id"].str.startswith("E-")]
    wanted = calendar["title"].map(expected)
    misplaced = (calendar["program"] == "Other") & (wanted != "Other")
    assert misplaced.mean() < 0.01
    assert (calendar["program"] == wanted).mean() > 0.99
    assert calendar.loc[calendar["title"] == "Seniors", "program"].eq("Senior meetings").all()
    assert (
        calendar.loc[calendar["title"] == "Beat 2223 Meeting", "program"].eq("Beat / community meeting").all()
    )


def test_rejected_calendar_rows_say_why(tmp_path: Path, capsys) -> None:
    folder = city(tmp_path)
    boundaries(capsys, folder)
    out_file = tmp_path / "rejected.csv"
    code, out, _ = suggest(capsys, folder, "calendar.json", "--rejected-out", str(out_file))
    assert code == EXIT_OK
    rejected = pd.read_csv(out_file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    reasons = rejected["reason"].tolist()
    assert all(reasons) and len(reasons) == 15
    assert sum(r.startswith("duplicate of row") for r in reasons) == 9  # 5 exact, 4 only case and spacing
    assert any(
        r.startswith("start outside the accepted dates") and "'9999-12-31" in r for r in reasons
    )  # one row's problem
    assert sum(r.startswith("unknown area_id '31': no district with that id is stored") for r in reasons) == 2
    assert "no title to tell the program from ('title' is blank)" in reasons
    assert "2 rows without an area took their beat's district" in out


def test_a_second_export_of_the_same_calendar_is_found_and_skipped(imported) -> None:
    folder, outputs = imported
    out = outputs["scraped_calendar.csv--skip-overlapping"]
    assert "190 rows read, 40 accepted, 0 rejected, 150 rows skipped as already stored" in out
    assert "150 rows look like events already stored under another id (skipped)" in out
    events = load_dataset(folder).events
    assert len(events) == 981 + 40


def test_every_published_score_whose_area_exists_is_kept(imported) -> None:
    folder, outputs = imported
    out = outputs["police_sentiment_scores.csv"]
    assert (
        "conflicts: 4 figures given different values by more than one row; the first row of each kept" in out
    )
    assert "#1 row 346 (kept)" in out and "#1 row 425 (rejected)" in out
    raw = pd.read_csv(REAL / "police_sentiment_scores.csv", dtype=str, keep_default_na=False)
    level = raw["SECTOR"].where(raw["SECTOR"] != "", None)
    kind = pd.Series("city", index=raw.index)
    kind[raw["AREA"] != ""] = "area"
    kind[raw["DISTRICT"] != ""] = "district"
    kind[level.notna()] = "sector"
    ids = raw["SECTOR"].where(kind == "sector", raw["DISTRICT"].where(kind == "district", raw["AREA"]))
    exists = (kind == "city") | ((kind == "district") & ids.isin([str(d) for d in range(1, 26)]))
    exists |= kind == "sector"
    metrics = [
        c for c in raw.columns if c not in ("START_DATE", "END_DATE", "CITY", "AREA", "DISTRICT", "SECTOR")
    ]
    wanted = set()
    for i in raw.index[exists]:
        for column in metrics:
            if raw.at[i, column]:
                wanted.add(
                    (
                        raw.at[i, "START_DATE"],
                        kind[i],
                        area_key(ids[i]) if kind[i] != "city" else "city",
                        column,
                    )
                )
    scores = load_dataset(folder).area_scores
    assert scores["level"].value_counts().to_dict() == {"district": 2668, "sector": 900, "city": 140}
    stored = {
        (
            start.strftime("%m/%d/%Y"),
            lv,
            area_key(a) if lv != "city" else "city",
            {"safety": "SAFETY", "trust": "TRUST", "listen": "T_LISTEN", "respect": "T_RESPECT"}[m]
            if pd.isna(g)
            else f"{m[0].upper()}_{g.split(': ')[0].upper()}_{g.split(': ')[1].upper().replace(' ', '_')}",
        )
        for start, lv, a, m, g in scores[["period_start", "level", "area_id", "metric", "group"]].itertuples(
            index=False
        )
    }
    assert stored == wanted
    entry = open_store(folder).read_log()[5]
    accounted(entry, entry["rows_read"])
    assert (
        entry["rejected"] == 324
    )  # 300 figures of areas (groups of districts) none stored, 20 of district 31, 4 conflicts


def test_events_named_by_beat_are_placed_at_the_beat_centre(imported) -> None:
    folder, _ = imported
    ds = load_dataset(folder)
    events, areas = ds.events, ds.areas.set_index("area_id")
    beat = events[events["title"] == "2514 Beat Meeting"].iloc[0]
    assert beat[APPROXIMATE]
    assert (beat["lat"], beat["lon"]) == (areas.loc["2514", CENTROID_LAT], areas.loc["2514", CENTROID_LON])
    coffee = events[(events["title"] == "Coffee With The Commander") & (events["area_id"] == "25")].iloc[0]
    assert (coffee["lat"], coffee["lon"]) == (areas.loc["25", CENTROID_LAT], areas.loc["25", CENTROID_LON])
    assert events[["lat", "lon"]].drop_duplicates().shape[0] > 150  # the spread of meetings, not 25 rings
    assert any("at their beat's centre" in w for w in ds.report.tables["events"].warnings)


def test_without_the_departments_programs_the_titles_left_to_other_come_with_a_flag(
    tmp_path: Path, capsys
) -> None:
    folder = city(tmp_path, programs=False)
    boundaries(capsys, folder)
    code, out, _ = suggest(capsys, folder, "calendar.json", "--dry-run")
    assert code == EXIT_OK
    listed = out.split("titles counted as Other, most frequent first")[1]
    assert listed.index("'Peer Jury'") < listed.index("'DV outreach'") < listed.index("'Bingo Night'")
    assert "--add-rule 'Peer Jury=PROGRAM'" in listed
    assert not (folder / "programs.json").exists()
    code, out, _ = suggest(
        capsys,
        folder,
        "calendar.json",
        "--add-rule",
        "Peer Jury=Peer jury (youth)",
        "--add-rule",
        "DV=Faith and partner event",
    )
    assert code == EXIT_OK and "title rule added: 'Peer Jury' → Peer jury" in out
    saved = json.loads((folder / "programs.json").read_text(encoding="utf-8"))
    assert saved["programs"] == [{"name": "Peer jury", "family": "youth"}]
    events = load_dataset(folder).events
    assert set(events.loc[events["title"] == "Peer Jury", "program"]) == {"Peer jury"}
    assert set(events.loc[events["title"] == "DV outreach", "program"]) == {"Faith and partner event"}


def test_areas_from_free_text_are_refused_naming_the_column_to_blame(tmp_path: Path, capsys) -> None:
    folder = city(tmp_path)
    boundaries(capsys, folder)
    profile = tmp_path / "by-location.json"
    profile.write_text(
        json.dumps(
            {"table": "events", "columns": {"start": "start", "title": "title"}, "program_from": "title",
             "area_from": "location", "id_from": ["start", "title", "location"]}
        ),
        encoding="utf-8",
    )  # fmt: skip
    before = sorted(p.name for p in folder.iterdir())
    code, _, err = run(
        capsys,
        str(REAL / "calendar.json"),
        "--table",
        "events",
        "--mapping",
        str(profile),
        "--into",
        str(folder),
    )
    assert code == EXIT_REJECTED
    assert "% of the rows were rejected, above --max-rejected 20 %: nothing was imported" in err
    assert "Most to blame: area_id (from the place named in 'location')" in err
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize(("choice", "kept"), [("keep-first", 0), ("keep-last", -1), ("reject-both", None)])
def test_conflicting_scores_the_user_chooses(tmp_path: Path, capsys, choice: str, kept: int | None) -> None:
    raw = pd.read_csv(REAL / "police_sentiment_scores.csv", dtype=str, keep_default_na=False)
    city_rows = raw[
        (raw["START_DATE"] == "01/12/2025") & (raw[["AREA", "DISTRICT", "SECTOR"]] == "").all(axis=1)
    ]
    assert len(city_rows) == 2 and city_rows["SAFETY"].nunique() == 2  # the file's two figures for one week
    folder = city(tmp_path)
    boundaries(capsys, folder)
    code, out, _ = suggest(capsys, folder, "police_sentiment_scores.csv", "--on-conflict", choice)
    assert code == EXIT_OK, out
    scores = load_dataset(folder).area_scores
    week = scores[
        (scores["level"] == "city")
        & (scores["period_start"] == "2025-01-12")
        & (scores["metric"] == "safety")
    ]
    week = week[week["group"].isna()]
    wanted = [] if kept is None else [float(city_rows["SAFETY"].iloc[kept])]
    assert week["value"].round(2).tolist() == wanted


def test_conflicting_scores_into_a_database_do_not_stop_the_import(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    assert (
        run(
            capsys, str(REAL / "districts.geojson"), "--table", "areas", "--mapping", "suggest", "--into", url
        )[0]
        == 0
    )
    code, out, err = run(
        capsys,
        str(REAL / "police_sentiment_scores.csv"),
        "--table",
        "area_scores",
        "--mapping",
        "suggest",
        "--into",
        url,
        "--max-rejected",
        "50",  # only the districts are stored: the sectors' figures are rejected too
    )
    assert code == EXIT_OK, err
    assert "conflicting figure" in out and "imported" in out and "area_scores table" in out


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("table", ["events", "areas", "area_scores", "responses", "concerns", "attendees"])
def test_no_fixture_gives_a_traceback_whatever_table_it_is_said_to_hold(
    tmp_path: Path, capsys, name: str, table: str
) -> None:
    folder = city(tmp_path)
    (folder / "areas.geojson").write_bytes((REAL / "districts.geojson").read_bytes())
    code, out, err = run(
        capsys, str(REAL / name), "--table", table, "--mapping", "suggest", "--into", str(folder), "--dry-run"
    )
    assert code in (EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE)
    assert "Traceback" not in out + err
    if code == EXIT_UNUSABLE:
        assert err.startswith("error: ") and len(err.splitlines()) == 1
        assert "stopped unexpectedly" not in err  # every failure is one the importer knows how to explain
