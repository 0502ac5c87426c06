"""`python -m cpdash import FILE --table TABLE --mapping PROFILE [--into SOURCE] [--max-rejected PCT]`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, area_features, write_geojson

from cpdash.__main__ import EXIT_CANNOT_RUN, EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, FILE_LIMIT_MB, main
from cpdash.data.load import load_dataset
from cpdash.importing import importer as importer_module
from cpdash.importing.importer import read_upload, suggest_profile
from cpdash.importing.profiles import save_profile
from cpdash.importing.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = (
    "Event ID,Date,Type,District,Title\n"
    "E1,2025-03-01,Town hall,1,Spring town hall\n"
    "E2,2025-03-02,Coffee with a Cop,001,Coffee\n"
    "E3,someday,Block party,District 1,Party\n"
)


ALLOW = ["--max-rejected", "50"]  # EXPORT has one bad row in three, above the default fifth


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    write_geojson(folder / "areas.geojson", area_features())
    return folder


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "march.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


@pytest.fixture
def profile(source: Path, export: Path) -> str:
    upload = read_upload(export.name, export.read_bytes())
    saved = suggest_profile(upload, "events", name="monthly events")
    save_profile(saved, source / "mappings")
    return "monthly events"


def test_import_with_a_saved_profile_prints_the_report_and_logs(
    source: Path, export: Path, profile: str, capsys
) -> None:
    code = main(
        ["import", str(export), "--table", "events", "--mapping", profile, "--into", str(source), *ALLOW]
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "march.csv → events: 3 rows read, 2 accepted, 1 rejected" in out
    assert "bad date in start" in out
    assert "imported 2 rows into events.csv" in out
    assert load_dataset(source).events["event_id"].tolist() == ["E1", "E2"]
    log = open_store(source).read_log()
    assert [(e["file"], e["table"], e["accepted"], e["rejected"], e["mapping"]) for e in log] == [
        ("march.csv", "events", 2, 1, "monthly events")
    ]


def test_a_profile_file_path_works_too(source: Path, export: Path, profile: str) -> None:
    path = source / "mappings" / "monthly-events.json"
    assert (
        main(
            [
                "import",
                str(export),
                "--table",
                "events",
                "--mapping",
                str(path),
                "--into",
                str(source),
                *ALLOW,
            ]
        )
        == EXIT_OK
    )


def test_too_many_rejected_rows_exit_non_zero_and_import_nothing(
    source: Path, export: Path, profile: str, capsys, tmp_path: Path
) -> None:
    before = digest(source)
    out_file = tmp_path / "rejected.csv"
    code = main(
        [
            "import",
            str(export),
            "--table",
            "events",
            "--mapping",
            profile,
            "--into",
            str(source),
            "--max-rejected",
            "10",
            "--rejected-out",
            str(out_file),
        ]
    )
    captured = capsys.readouterr()
    assert code == EXIT_REJECTED
    assert "33.3 % of the rows were rejected, above --max-rejected 10 %: nothing was imported" in captured.err
    assert digest(source) == before
    rejected = pd.read_csv(out_file, dtype=str, encoding="utf-8-sig")
    assert rejected["reason"].tolist() == ["bad date in start: 'someday'"]
    assert rejected["Title"].tolist() == ["Party"]
    assert (
        main(
            [
                "import",
                str(export),
                "--table",
                "events",
                "--mapping",
                profile,
                "--into",
                str(source),
                "--max-rejected",
                "40",
            ]
        )
        == EXIT_OK
    )


def test_dry_run_imports_nothing(source: Path, export: Path, profile: str, capsys) -> None:
    before = digest(source)
    code = main(
        [
            "import",
            str(export),
            "--table",
            "events",
            "--mapping",
            profile,
            "--into",
            str(source),
            "--dry-run",
            *ALLOW,
        ]
    )
    assert code == EXIT_OK and "dry run: nothing was imported" in capsys.readouterr().out
    assert digest(source) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mapping", "nope"], "no mapping profile 'nope'"),
        (["--mapping", "monthly events", "--table", "concerns"], "is for events, not concerns"),
    ],
)
def test_unusable_mappings(
    source: Path, export: Path, profile: str, capsys, args: list[str], message: str
) -> None:
    base = ["import", str(export), "--table", "events", "--into", str(source)]
    code = main(base + args)
    assert code == EXIT_UNUSABLE and message in capsys.readouterr().err


def test_unusable_files_and_targets(source: Path, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert (
        main(["import", str(empty), "--table", "events", "--mapping", "suggest", "--into", str(source)])
        == EXIT_UNUSABLE
    )
    assert "empty.csv: the file is empty" in capsys.readouterr().err
    missing = tmp_path / "missing.csv"
    assert (
        main(["import", str(missing), "--table", "events", "--mapping", "suggest", "--into", str(source)])
        == EXIT_UNUSABLE
    )
    assert "no such file" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text(EXPORT, encoding="utf-8")
    code = main(
        [
            "import",
            str(good),
            "--table",
            "events",
            "--mapping",
            "suggest",
            "--into",
            str(tmp_path / "nowhere"),
        ]
    )
    assert code == EXIT_UNUSABLE and "no such folder" in capsys.readouterr().err


def test_the_sample_city_is_refused(export: Path, capsys) -> None:
    from cpdash.config import DEFAULT_DATA

    before = digest(DEFAULT_DATA)
    code = main(
        ["import", str(export), "--table", "events", "--mapping", "suggest", "--into", str(DEFAULT_DATA)]
    )
    assert code == EXIT_UNUSABLE and "synthetic sample city" in capsys.readouterr().err
    assert digest(DEFAULT_DATA) == before


def test_a_workbook_with_several_sheets_needs_sheet(source: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "export.xlsx"
    buffer = BytesIO()
    frame = pd.read_csv(BytesIO(EXPORT.encode()), dtype=str)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="March", index=False)
    path.write_bytes(buffer.getvalue())
    base = ["import", str(path), "--table", "events", "--mapping", "suggest", "--into", str(source)]
    assert main(base) == EXIT_UNUSABLE
    assert "has 2 sheets (About, March); name the one to import with --sheet" in capsys.readouterr().err
    assert main([*base, "--sheet", "March", *ALLOW]) == EXIT_OK
    assert len(load_dataset(source).events) == 2


def test_the_suggested_mapping_is_printed_to_save(tmp_path: Path, capsys) -> None:
    from cpdash.config import DEFAULT_DATA

    source = tmp_path / "riverton"
    source.mkdir()
    (source / "areas.geojson").write_bytes((DEFAULT_DATA / "areas.geojson").read_bytes())
    code = main(
        [
            "import",
            str(FIXTURES / "calendar_export.csv"),
            "--table",
            "events",
            "--mapping",
            "suggest",
            "--into",
            str(source),
        ]
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert '"program_from": "Subject"' in out
    assert "program          ← the title rules on 'Subject' (80 %" in out  # each choice with its reason
    assert "imported 72 rows into events.csv" in out


def test_log_command(source: Path, export: Path, profile: str, capsys) -> None:
    assert main(["log", "--into", str(source)]) == EXIT_OK
    assert "no imports yet" in capsys.readouterr().out
    main(["import", str(export), "--table", "events", "--mapping", profile, "--into", str(source), *ALLOW])
    capsys.readouterr()
    assert main(["log", "--into", str(source)]) == EXIT_OK
    assert "march.csv" in capsys.readouterr().out


def test_python_dash_m_cpdash_runs(source: Path, export: Path, profile: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cpdash",
            "import",
            str(export),
            "--table",
            "events",
            "--mapping",
            profile,
            "--into",
            str(source),
            "--max-rejected",
            "5",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.returncode == EXIT_REJECTED
    assert "3 rows read, 2 accepted, 1 rejected" in result.stdout


# --- never a traceback: its own exit code for "could not run" -------------------------------------


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cpdash", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        timeout=120,
    )


HOSTILE_JSON = (
    '[{"id": "H1", "date": "2025-03-01", "type": "Town hall", "district": "1", "attendance": NaN},'
    ' {"id": "H2", "date": "2025-03-01", "type": "Town hall", "district": "1", "attendance": Infinity},'
    ' {"id": "H3", "date": "2025-03-01", "type": "Town hall", "district": "1", "attendance": '
    + "9"
    * 5000
    + "},"
    ' {"id": "H4", "date": "2025-03-01", "type": "Town hall", "district": "1", "attendance": -5},'
    ' {"id": "H5", "date": "31/12/9999", "type": "Town hall", "district": "1", "attendance": 3},'
    ' {"id": "H6", "date": "2025-03-01", "type": "Town hall", "district": "1", "attendance": 12}]'
)


def test_hostile_numbers_and_dates_are_rejected_rows_not_a_traceback(source: Path, tmp_path: Path) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(HOSTILE_JSON, encoding="utf-8")
    result = run_cli(
        "import",
        str(path),
        "--table",
        "events",
        "--mapping",
        "suggest",
        "--into",
        str(source),
        "--max-rejected",
        "90",
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == EXIT_OK, result.stderr
    assert "6 rows read, 1 accepted, 5 rejected" in result.stdout
    assert load_dataset(source).events["event_id"].tolist() == ["H6"]


def test_a_failure_no_check_foresaw_exits_could_not_run_in_one_line(
    source: Path, export: Path, profile: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("something no check foresaw\nsecond line")

    monkeypatch.setattr("cpdash.importing.importer.prepare", broken)
    code = main(["import", str(export), "--table", "events", "--mapping", profile, "--into", str(source)])
    assert code == EXIT_CANNOT_RUN and len({EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, EXIT_CANNOT_RUN}) == 4
    err = capsys.readouterr().err
    assert err == "error: could not run (RuntimeError: something no check foresaw)\n"


def test_a_setting_that_cannot_be_used_exits_could_not_run(source: Path, export: Path, profile: str) -> None:
    result = run_cli(
        "import", str(export), "--table", "events", "--mapping", profile, "--into", str(source),
        CPDASH_DATE_WINDOW="last year",
    )  # fmt: skip
    assert result.returncode == EXIT_CANNOT_RUN
    assert result.stderr.startswith("error: could not run: CPDASH_DATE_WINDOW must be two dates")
    assert "Traceback" not in result.stderr


def test_a_file_over_the_limit_is_refused_without_pointing_at_the_command_line_itself(
    source: Path, export: Path, profile: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr("cpdash.__main__.FILE_LIMIT_MB", 0)
    code = main(["import", str(export), "--table", "events", "--mapping", profile, "--into", str(source)])
    err = capsys.readouterr().err
    assert code == EXIT_UNUSABLE and "above the 0 MB limit of one import; split it" in err
    assert "python -m cpdash" not in err


def test_the_command_line_is_not_held_to_the_page_upload_limit(
    source: Path, export: Path, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}
    real = importer_module.read_upload

    def read_upload_spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer_module, "read_upload", read_upload_spy)
    assert (
        main(
            [
                "import",
                str(export),
                "--table",
                "events",
                "--mapping",
                profile,
                "--into",
                str(source),
                "--max-rejected",
                "100",
            ]
        )
        == 0
    )
    assert seen["max_bytes"] == FILE_LIMIT_MB * 1024 * 1024 > importer_module.MAX_UPLOAD_BYTES
