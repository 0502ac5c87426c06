"""The Data page's import under AppTest: upload, mapping, preview, report, commit; a second upload with a
saved mapping needs no mapping; bad files get a clear message; two exports tried as a new user would end
on the Map and Community voice pages."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT

pytestmark = pytest.mark.apptest

DASHBOARD = str(REPO_ROOT / "dashboard.py")
FIXTURES = Path(__file__).parent / "fixtures"
CALENDAR = (FIXTURES / "calendar_export.csv").read_bytes()
VENDOR = (FIXTURES / "vendor_scores.csv").read_bytes()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Point the app at a data folder, offline, with a private score cache."""

    def use(source: Path, **extra: str) -> None:
        monkeypatch.setenv("CPDASH_DATA", str(source))
        monkeypatch.setenv("CPDASH_OFFLINE", "1")
        monkeypatch.setenv("CPDASH_CACHE", str(tmp_path / "cache"))
        monkeypatch.delenv("CPDASH_PROFILES", raising=False)
        for name, value in extra.items():
            monkeypatch.setenv(name, value)

    return use


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    """A department's own folder: the city's boundaries and one event of its own."""
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "areas.geojson").write_bytes((DEFAULT_DATA / "areas.geojson").read_bytes())
    (folder / "events.csv").write_text("event_id,start,program,area_id\nOWN1,2025-01-05,Town hall,A01\n")
    return folder


def data_page() -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.switch_page("pages/data.py")
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader(key="data_import_file").set_value((name, data, mime)).run()
    assert_clean(at)
    return at


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has these columns (AppTest does not keep a table's key)."""
    for element in at.dataframe:
        value = element.value
        if isinstance(value, pd.DataFrame) and set(columns) <= set(map(str, value.columns)):
            return value
    raise KeyError(columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    return " ".join(
        e.value
        for group in (at.info, at.caption, at.markdown, at.warning, at.success, at.error)
        for e in group
    )


def test_upload_map_preview_report_commit_then_reuse_the_saved_mapping(env, ours: Path) -> None:
    env(ours)
    at = data_page()
    upload(at, "calendar_export.csv", CALENDAR)
    # the suggestions: the table, each column, and the transforms the export needs
    assert at.selectbox(key="data_import_table").value == "events"
    assert at.selectbox(key="data_import_profile").value == "Suggested mapping"
    assert at.selectbox(key="data_import_col_title").value == "Subject"
    assert at.selectbox(key="data_import_col_start").value == "Start Date"
    assert at.selectbox(key="data_import_time_start").value == "Start Time"
    assert at.selectbox(key="data_import_date_format_start").value == "%m/%d/%Y"
    assert at.selectbox(key="data_import_program_from").value == "Subject"
    assert at.selectbox(key="data_import_area_from").value == "Location"
    assert at.multiselect(key="data_import_id_from").value == [
        "Start Date",
        "Subject",
        "Location",
        "Start Time",
    ]
    # the preview, as stored, and the report
    preview = frame_with(at, "placed on the map")
    assert preview["start"].iloc[0] == "2025-01-28T18:30" and preview["area_id"].iloc[0] == "A28"
    assert set(preview["placed on the map"]) == {"at its area's centre (approximate)"}
    assert metrics(at) == {"Rows read": "74", "Accepted": "72", "Rejected": "1", "Repeated rows removed": "1"}
    rejected = frame_with(at, "row", "reason", "Subject")
    assert rejected["reason"].tolist() == [
        "duplicate of row 6 (the same values)",
        "no area found in Location: 'TBD'",
    ]
    assert any(
        d.proto.label.startswith("Download the 2 rejected and repeated rows")
        for d in at.get("download_button")
    )

    # a changed mapping changes the preview: titles no longer give the program
    at.selectbox(key="data_import_program_from").set_value("—").run()
    assert "missing required column program" in texts(at)
    at.selectbox(key="data_import_program_from").set_value("Subject").run()
    assert metrics(at)["Accepted"] == "72"

    at.text_input(key="data_import_save_name").set_value("city calendar")
    at.button(key="data_import_save").click().run()
    assert (ours / "mappings" / "city-calendar.json").is_file()
    at.button(key="data_import_commit").click().run()
    assert_clean(at)
    assert any("Imported 72 rows from calendar_export.csv into events.csv" in s.value for s in at.success)
    log = frame_with(at, "when", "mapping")
    assert log[["file", "table", "accepted", "rejected", "mapping"]].values.tolist() == [
        ["calendar_export.csv", "events", 72, 1, "city calendar"]
    ]
    summary = frame_with(at, "table", "accepted", "warnings").set_index("table")
    assert summary.loc["events", "accepted"] == 73  # the data reloaded: its own event and the 72 new

    # next month's export of the same shape: the saved mapping is chosen, nothing to map
    at = data_page()
    upload(at, "calendar_export_july.csv", CALENDAR)
    assert at.selectbox(key="data_import_profile").value == "city calendar"
    assert "fits this file: nothing to map" in texts(at)
    assert metrics(at)["Accepted"] == "72"
    at.button(key="data_import_commit").click().run()
    assert any("(72 rows with the same id replaced)" in s.value for s in at.success)
    assert len(frame_with(at, "when", "mapping")) == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("events.csv", b"", "the file is empty"),
        ("events.csv", b"%PDF-1.4 not a table", "not a CSV file (it looks like a PDF document)"),
        ("events.xlsx", b"a,b\n1,2\n", "not an Excel workbook"),
        ("events.json", b'{"not": "a list"}', "JSON must be a list of records"),
        ("events.csv", "a,b\n1,2\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_the_data_is_untouched(
    env, ours: Path, name, data, message
) -> None:
    env(ours)
    before = {p.name: p.read_bytes() for p in ours.iterdir() if p.is_file()}
    at = upload(data_page(), name, data)
    errors = " ".join(e.value for e in at.error)
    assert "This file cannot be imported" in errors and message in errors.replace("\\", "")
    assert "The data already loaded is unchanged" in errors
    assert {p.name: p.read_bytes() for p in ours.iterdir() if p.is_file()} == before
    assert frame_with(at, "table", "accepted", "warnings").set_index("table").loc["events", "accepted"] == 1


def test_a_workbook_with_several_sheets_asks_which(env, ours: Path) -> None:
    env(ours)
    buffer = BytesIO()
    calendar = pd.read_csv(FIXTURES / "calendar_export.csv", dtype=str)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["exported from the city calendar"]}).to_excel(
            writer, sheet_name="Read me", index=False
        )
        calendar.to_excel(writer, sheet_name="Calendar", index=False)
    at = upload(data_page(), "calendar.xlsx", buffer.getvalue(), "application/vnd.ms-excel")
    assert at.selectbox(key="data_import_sheet").value == "Read me"
    assert any("has 2 sheets (Read me, Calendar)" in w.value for w in at.warning)
    at.selectbox(key="data_import_sheet").set_value("Calendar").run()
    assert_clean(at)
    assert at.selectbox(key="data_import_table").value == "events"
    assert metrics(at)["Accepted"] == "72"


def test_the_sample_city_can_be_checked_but_not_changed(env) -> None:
    env(DEFAULT_DATA)
    at = upload(data_page(), "calendar_export.csv", CALENDAR)
    assert any("synthetic sample city" in w.value for w in at.warning)
    assert metrics(at)["Accepted"] == "72"
    assert at.button(key="data_import_commit").disabled


def test_public_view_offers_no_import(env, ours: Path) -> None:
    """No Import tab nor import log for the public, no folder path; where the aggregate downloads are."""
    env(ours, CPDASH_MODE="public")
    at = data_page()
    assert [t.label for t in at.tabs] == ["Validation report", "Data dictionary"]
    with pytest.raises(KeyError):
        at.file_uploader(key="data_import_file")
    shown = " ".join(m.value for m in at.markdown)
    assert str(ours) not in shown and str(ours.parent) not in shown
    assert any("Table … (CSV)" in i.value for i in at.info)


def test_the_dictionary_and_filtered_download_still_work(env, ours: Path) -> None:
    env(ours)
    at = data_page()
    at.selectbox(key="data_filtered_table").set_value("events").run()
    assert any(d.proto.label == "Download 1 events rows (CSV)" for d in at.get("download_button")) or any(
        d.proto.label.startswith("Download 0 events rows") for d in at.get("download_button")
    )
    assert at.dataframe[-1].value["table"].eq("events").all()


# --- tried as a new user would ---------------------------------------------------------------------


def test_a_calendar_export_becomes_events_on_the_map(env, ours: Path) -> None:
    env(ours)
    at = upload(data_page(), "calendar_export.csv", CALENDAR)
    at.button(key="data_import_commit").click().run()
    assert_clean(at)
    at.switch_page("pages/map.py")  # the same session: its period now covers the new events
    at.run()
    assert_clean(at)
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    placed = layers["events_approx"]["data"]  # drawn as rings: placed at their area's centre
    assert len(placed) == 73  # the 72 imported and the folder's own event, none with coordinates
    assert any("Coffee With The Commander" in point["t"] for point in placed)
    assert all("Placed approximately" in point["t"] for point in placed)
    assert any("73 of 73 events placed approximately" in c.value for c in at.caption)


def test_a_vendor_score_table_becomes_trust_per_area_on_community_voice(env, ours: Path) -> None:
    env(ours)
    at = upload(data_page(), "vendor_scores.csv", VENDOR)
    assert at.selectbox(key="data_import_table").value == "area_scores"
    assert at.radio(key="data_import_shape").value == "wide"
    assert at.selectbox(key="data_import_wide_start").value == "START_DATE"
    assert at.selectbox(key="data_import_level_area").value == "AREA"
    assert metrics(at) == {
        "Rows read": "994",
        "Accepted": "840",
        "Rejected": "140",
        "Repeated rows removed": "14",
    }
    at.button(key="data_import_commit").click().run()
    assert_clean(at)
    voice = AppTest.from_file(DASHBOARD, default_timeout=120)
    voice.query_params.update({"voice_tab": "Scores", "filter_period": ["2025-01-01", "2025-06-30"]})
    voice.switch_page("pages/community_voice.py")
    voice.run()
    assert_clean(voice)
    assert voice.metric[0].label.startswith("Trust")
    table = voice.dataframe[-1].value
    names = {"Copper Hill", "Cedar Heights", "Millbrook", "Greenfield Commons", "Lantern Hill"}
    assert names <= set(table.iloc[:, 0])
    trust = table.set_index(table.columns[0])["Trust"]
    assert trust.loc[list(names)].notna().all()


# --- real exports: the page proposes what `--mapping suggest` does, and imports the same counts ------------

REAL = FIXTURES / "real"


def real_city(tmp_path: Path, programs: bool = True) -> Path:
    """A city folder holding its district, beat and sector boundaries, imported by the command line."""
    from cpdash.__main__ import main

    folder = tmp_path / "lakeport"
    folder.mkdir()
    if programs:
        (folder / "programs.json").write_bytes((REAL / "programs.json").read_bytes())
    base = ["import", "--table", "areas", "--mapping", "suggest", "--into", str(folder)]
    assert main([*base[:1], str(REAL / "districts.geojson"), *base[1:]]) == 0
    assert main([*base[:1], str(REAL / "beats.geojson"), *base[1:]]) == 0
    assert main([*base[:1], str(REAL / "beats.geojson"), *base[1:], "--dissolve-by", "district,sector"]) == 0
    return folder


def prepared_on_page(at: AppTest):
    return at.session_state["data_import_prepared_cache"][1]


def command_line_suggestion(folder: Path, name: str, table: str, **options):
    from cpdash.importing import importer

    upload = importer.read_upload(name, (REAL / name).read_bytes())
    context = importer.context_for(folder)
    suggested = importer.suggest_mapping(upload, table, context, dissolve_by=options.pop("dissolve_by", None))
    return suggested.profile, importer.prepare(upload, suggested.profile, context, **options)


def test_real_exports_the_page_proposes_the_command_line_mapping_with_confidence_and_reasons(
    env, tmp_path: Path
) -> None:
    folder = real_city(tmp_path)
    env(folder)
    at = upload(data_page(), "calendar.json", (REAL / "calendar.json").read_bytes(), "application/json")
    assert at.selectbox(key="data_import_table").value == "events"
    assert at.selectbox(key="data_import_col_area_id").value == "calendarId"
    assert at.selectbox(key="data_import_area_level").value == "district"
    page = prepared_on_page(at)
    profile, cli = command_line_suggestion(folder, "calendar.json", "events")
    assert page.profile == profile  # the same mapping, made columns and transforms included
    assert metrics(at) == {
        "Rows read": "996",
        "Accepted": "981",
        "Rejected": "6",
        "Repeated rows removed": "9",
    }
    assert (cli.rows_accepted, cli.rows_rejected, cli.duplicates) == (981, 6, 9)
    reasons = frame_with(at, "column", "from", "confidence", "why").set_index("column")
    assert reasons.loc["area_id", "from"] == "calendarId" and reasons.loc["area_id", "confidence"] == 95
    assert "stored district ids" in reasons.loc["area_id", "why"]
    assert reasons.loc["beat", "from"] == "'title' by a pattern"
    made = frame_with(at, "column", "how", "from", "text")
    assert made.set_index("column").loc["beat", "how"] == "pattern"
    at.button(key="data_import_commit").click().run()
    assert_clean(at)
    assert any("Imported 981 rows from calendar.json into events.csv" in s.value for s in at.success)


def test_real_exports_boundaries_dissolved_on_the_page(env, tmp_path: Path) -> None:
    folder = real_city(tmp_path)
    env(folder)
    data = (REAL / "beats.geojson").read_bytes()
    at = upload(data_page(), "beats.geojson", data, "application/json")
    assert at.selectbox(key="data_import_table").value == "areas"
    profile, _ = command_line_suggestion(folder, "beats.geojson", "areas")
    assert prepared_on_page(at).profile == profile
    assert metrics(at)["Accepted"] == "226"
    at.multiselect(key="data_import_dissolve").set_value(["district", "sector"]).run()
    assert_clean(at)
    profile, _ = command_line_suggestion(folder, "beats.geojson", "areas", dissolve_by=["district", "sector"])
    assert prepared_on_page(at).profile == profile
    assert metrics(at)["Rows read"] == "75" and "226 shapes of the file dissolved into 75" in texts(at)


def test_real_exports_conflicts_and_overlaps_are_chosen_on_the_page(env, tmp_path: Path) -> None:
    folder = real_city(tmp_path)
    env(folder)
    at = upload(
        data_page(), "police_sentiment_scores.csv", (REAL / "police_sentiment_scores.csv").read_bytes()
    )
    assert at.radio(key="data_import_shape").value == "wide"
    profile, cli = command_line_suggestion(folder, "police_sentiment_scores.csv", "area_scores")
    assert prepared_on_page(at).profile == profile
    assert metrics(at) == {
        "Rows read": f"{cli.rows_read:,}",
        "Accepted": f"{cli.rows_accepted:,}",
        "Rejected": f"{cli.rows_rejected:,}",
        "Repeated rows removed": f"{cli.duplicates:,}",
    }
    conflicts = frame_with(at, "conflict", "row", "kept", "differs")
    assert conflicts.loc[conflicts["row"] == 346, "kept"].eq("kept").all()
    at.radio(key="data_import_on_conflict").set_value("keep-last").run()
    assert_clean(at)
    conflicts = frame_with(at, "conflict", "row", "kept", "differs")
    assert conflicts.loc[conflicts["row"] == 425, "kept"].eq("kept").all()
    assert prepared_on_page(at).on_conflict == "keep-last"

    at.button(key="data_import_commit").click().run()
    assert_clean(at)
    from cpdash.__main__ import main

    assert (
        main(
            [
                "import",
                str(REAL / "calendar.json"),
                "--table",
                "events",
                "--mapping",
                "suggest",
                "--into",
                str(folder),
            ]
        )
        == 0
    )
    at = upload(data_page(), "scraped_calendar.csv", (REAL / "scraped_calendar.csv").read_bytes())
    assert "150 rows look like events already stored under another id" in texts(at)
    assert metrics(at)["Accepted"] == "190"
    at.checkbox(key="data_import_skip_overlaps").check().run()
    assert_clean(at)
    assert metrics(at)["Accepted"] == "40" and metrics(at)["Skipped: already stored"] == "150"


def test_real_exports_a_title_left_to_other_gets_its_program_and_rule_in_one_click(
    env, tmp_path: Path
) -> None:
    folder = real_city(tmp_path, programs=False)
    env(folder)
    at = upload(data_page(), "calendar.json", (REAL / "calendar.json").read_bytes(), "application/json")
    others = frame_with(at, "words", "rows", "example", "program")
    assert others["example"].tolist()[:3] == [
        "Peer Jury",
        "DV outreach",
        "Bingo Night",
    ]  # most frequent first
    assert others["rows"].tolist()[:2] == [24, 9]
    at.text_input(key="data_import_new_program").set_value("Peer jury")
    at.selectbox(key="data_import_new_family").set_value("youth")
    at.text_input(key="data_import_new_words").set_value("Peer Jury").run()
    at.button(key="data_import_new_add").click().run()
    assert_clean(at)
    assert any("Added 1 title rule: 'Peer Jury' → Peer jury" in s.value.replace("\\", "") for s in at.success)
    assert json.loads((folder / "programs.json").read_text(encoding="utf-8"))["programs"] == [
        {"name": "Peer jury", "family": "youth"}
    ]
    others = frame_with(at, "words", "rows", "example", "program")
    assert "Peer Jury" not in others["example"].tolist()
    assert (prepared_on_page(at).accepted["program"] == "Peer jury").sum() == 24
