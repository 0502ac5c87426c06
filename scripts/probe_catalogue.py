"""The catalogue of hardening probes (run by scripts/probes.py): one probe per reproduction, with its
variants (each far date form, each number form, each file format the importer reads), grouped as the
hardening review grouped them. Leaks and the log go through tests/adversary.py and the store's own log."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from scripts import probe_support as ps
from scripts.probe_support import GOOD, HOSTILE, Raw
from scripts.probes import Probe, bad, crash

AVAILABILITY, LEAKS, LOG, LOW = "availability", "leaks in the public view", "the import log", "low"
HELD = "held"  # the categories that held in the review: kept, so that they keep holding
PROBES: list[Probe] = []
FORMATS = (".csv", ".xlsx", ".json", ".geojson")


def probe(name: str, group: str, what: str, build, check, fast: bool = True) -> None:
    PROBES.append(Probe(name, group, what, build, check, fast))


# --- availability: far dates, huge and impossible numbers, costly text, too many columns, zip bombs -------

FAR_DATES = {  # the form, and what it means
    "9999-12-31": "the last ISO day",
    "2263-01-01": "just after pandas' nanosecond range",
    "1676-12-31": "just before it",
    "0001-01-01": "year one",
    "31/12/9999": "day-first, far future",
    "01/01/1500": "day-first, far past",
    "12/31/9999": "month-first, far future",
    "9999-12-31T23:59:59Z": "with a time and a zone",
    "1500-01-01 10:00": "far past with a time",
    "1989-12-31": "the day before the default window",
    f"{date.today() + timedelta(days=400):%Y-%m-%d}": "after one year ahead",
}


def _file_of(table: str, suffix: str, cells: dict, good: int = ps.GOOD_ROWS):
    def build(folder: Path) -> Path:
        return ps.write_rows(folder / f"probe-{table}{suffix}", ps.rows_with(table, cells, good))

    return build


def _rejected(table: str, words: tuple[str, ...], column: str | None = None, blank: str | None = None):
    """The hostile row rejected with a reason holding one of `words` (or, with `blank`, stored with that
    column blank: a CSV's "NaN" is no value, as in every spreadsheet); `column`: no date stored outside the
    window."""

    def check(folder: Path, path: Path) -> None:
        source = ps.make_source(folder)
        if blank:
            code, out, err, rejected = ps.import_file(path, table, source)
            frame = ps.stored(source, table).set_index(ps.KEY[table])
            if code == 0 and HOSTILE in frame.index and pd.isna(frame.loc[HOSTILE, blank]):
                return
            raise bad(f"exit {code}, neither rejected nor stored blank: {frame.tail(1).to_dict('records')}")
        ps.expect_rejected(path, table, words, source)
        if column:
            ps.no_date_outside(source, table, column)

    return check


for form, meaning in FAR_DATES.items():
    for suffix in FORMATS:
        probe(
            f"far-date/import{suffix}/{form}",
            AVAILABILITY,
            f"an event dated {form} ({meaning}) in a {suffix} file, imported: rejected with its reason",
            _file_of("events", suffix, {"start": form}),
            _rejected("events", ("date",), "start"),
        )
for table, column in (("responses", "submitted"), ("concerns", "raised"), ("area_scores", "period_start")):
    probe(
        f"far-date/import.csv/{table}.{column}",
        AVAILABILITY,
        f"{table}.{column} = 9999-12-31 imported: rejected with its reason",
        _file_of(
            table,
            ".csv",
            {column: "9999-12-31", **({"period_end": "9999-12-31"} if table == "area_scores" else {})},
        ),
        _rejected(table, ("date", "period")),
    )


def _typed_workbook(day: object):
    def build(folder: Path) -> Path:
        rows = ps.rows_with("events", {})
        frame = pd.DataFrame(rows).astype("object")
        frame["start"] = [pd.Timestamp("2025-03-01").to_pydatetime()] * (len(rows) - 1) + [day]
        path = folder / "probe-events.xlsx"
        frame.to_excel(path, index=False, sheet_name="events")
        return path

    return build


from datetime import datetime  # noqa: E402

probe("far-date/import.xlsx/typed 9999-12-31", AVAILABILITY,
      "a real Excel date cell of 9999-12-31: rejected with its reason",
      _typed_workbook(datetime(9999, 12, 31)), _rejected("events", ("date",), "start"))  # fmt: skip
probe("far-date/import.xlsx/serial 2958465", AVAILABILITY,
      "an Excel serial number of 9999-12-31 (2958465) in the date column: rejected with its reason",
      _typed_workbook(2958465), _rejected("events", ("date",), "start"))  # fmt: skip
probe("far-date/window/custom", AVAILABILITY,
      "CPDASH_DATE_WINDOW=2024-01-01..2024-12-31 rejects a 2025 row, naming the window",
      _file_of("events", ".csv", {"start": "2025-06-01"}),
      lambda folder, path: _in_window(folder, path))  # fmt: skip


def _in_window(folder: Path, path: Path) -> None:
    rows = ps.rows_with("events", {"start": "2025-06-01"})
    for row in rows[:-1]:
        row["start"] = "2024-06-01"
    ps.write_rows(path, rows)
    ps.expect_rejected(path, "events", ("2024",), CPDASH_DATE_WINDOW="2024-01-01..2024-12-31")


def _folder_with(name: str, rows: list[dict], writer: str = "") -> object:
    def build(folder: Path) -> Path:
        source = ps.make_source(folder, events=False)
        path = source / name
        if writer == "parquet":
            pd.DataFrame(rows).to_parquet(path)
        else:
            ps.write_rows(path, rows)
        return source

    return build


def _loads(table: str, words: tuple[str, ...], pages: tuple[str, ...] = ()) -> object:
    def check(folder: Path, source: Path) -> None:
        from cpdash.data.load import load_dataset

        ds = load_dataset(source)
        report = ds.report.tables.get(table)
        if report is None or report.status != "loaded":
            raise bad(f"{table} not loaded: {report.errors if report else 'absent'}")
        frame = getattr(ds, table)
        if table != "area_scores" and HOSTILE in set(frame[ps.KEY[table]].astype("string")):
            raise bad(f"the hostile row was loaded: {frame.tail(1).to_dict('records')}")
        reasons = " ".join(report.rejected.get("reason", pd.Series(dtype="string")).astype("string"))
        if not any(w in reasons.lower() for w in words):
            raise bad(f"no rejected row with its reason (reasons: {reasons[:200]!r})")
        if len(frame) < ps.GOOD_ROWS:
            raise bad(f"good rows lost: {len(frame)} of {ps.GOOD_ROWS} loaded")
        for page in pages:
            ps.open_page(page, CPDASH_DATA=str(source), CPDASH_MODE="staff")

    return check


for form in ("9999-12-31", "0001-01-01", "31/12/9999"):
    for suffix in (".csv", ".xlsx", ".json"):
        probe(f"far-date/load{suffix}/{form}", AVAILABILITY,
              f"events{suffix} in the data folder with one event dated {form}: loads, the row rejected",
              _folder_with(f"events{suffix}", ps.rows_with("events", {"start": form})), _loads("events", ("date",)))  # fmt: skip
probe("far-date/load.parquet/9999-12-31", AVAILABILITY,
      "events.parquet with a text date 9999-12-31: loads, the row rejected",
      _folder_with("events.parquet", ps.rows_with("events", {"start": "9999-12-31"}), "parquet"),
      _loads("events", ("date",)))  # fmt: skip
for table, column in (("events", "start"), ("responses", "submitted"), ("concerns", "raised"), ("concerns", "resolved"),
                      ("area_scores", "period_end")):  # fmt: skip
    cells = (
        {column: "9999-12-31"} if column != "resolved" else {"status": "resolved", "resolved": "9999-12-31"}
    )
    probe(f"far-date/pages/{table}.{column}", AVAILABILITY,
          f"one {table} row with {column} 9999-12-31 in the folder: Overview, Data and Community voice still run",
          _folder_with(f"{table}.csv", ps.rows_with(table, cells)),
          _loads(table, ("date", "period", "resolved"), ("pages/overview.py", "pages/data.py", "pages/community_voice.py")),
          fast=False)  # fmt: skip


def _database_with(typed: bool):
    def build(folder: Path) -> str:
        import sqlalchemy as sa

        url = f"sqlite:///{folder / 'probe.db'}"
        engine = sa.create_engine(url)
        rows = ps.rows_with("events", {"start": "9999-12-31"})
        frame = pd.DataFrame(rows)
        with engine.begin() as conn:
            if typed:
                conn.execute(sa.text("CREATE TABLE events (event_id TEXT, start DATE, program TEXT, area_id TEXT, "
                                     "title TEXT, attendance INTEGER, lat REAL, lon REAL)"))  # fmt: skip
                frame.to_sql("events", conn, if_exists="append", index=False)
            else:
                frame.to_sql("events", conn, index=False)
            areas = json.loads((ps.make_source(folder, events=False) / "areas.geojson").read_text())
            pd.DataFrame(
                [{**f["properties"], "geometry": json.dumps(f["geometry"])} for f in areas["features"]]
            ).to_sql("areas", conn, index=False)
        engine.dispose()
        return url

    return build


def _database_loads(folder: Path, url: str) -> None:
    from cpdash.data.load import load_dataset

    ds = load_dataset(url)
    report = ds.report.tables["events"]
    if report.status != "loaded" or HOSTILE in set(ds.events["event_id"].astype("string")):
        raise bad(f"events: {report.status} {report.errors} {ds.events.tail(1).to_dict('records')}")
    if report.rows_rejected != 1:
        raise bad(f"{report.rows_rejected} rows rejected, not the one far date")
    ps.open_page("pages/overview.py", CPDASH_DATA=url, CPDASH_MODE="staff")


for typed in (False, True):
    probe(f"far-date/database/{'typed DATE' if typed else 'text'} column", AVAILABILITY,
          f"one database row dated 9999-12-31 in a {'DATE' if typed else 'text'} column: loads, rejected, pages run",
          _database_with(typed), _database_loads, fast=False)  # fmt: skip

NUMBERS = {  # the value in a JSON file (Raw: written as is) or a CSV cell, and the words of its reason
    "json NaN": (Raw("NaN"), ".json"),
    "json Infinity": (Raw("Infinity"), ".json"),
    "json -Infinity": (Raw("-Infinity"), ".json"),
    "json 5000 digits": (Raw("9" * 5000), ".json"),
    "json 1e309": (Raw("1e309"), ".json"),
    "json -5": (Raw("-5"), ".json"),
    "csv NaN": ("NaN", ".csv"),
    "csv inf": ("inf", ".csv"),
    "csv -inf": ("-inf", ".csv"),
    "csv 5000 digits": ("9" * 5000, ".csv"),
    "csv 1e400": ("1e400", ".csv"),
    "csv -5": ("-5", ".csv"),
    "csv unicode minus": ("\u22125", ".csv"),
    "csv 0x1F": ("0x1F", ".csv"),
    "xlsx -5": (-5, ".xlsx"),
    "xlsx 1e300": (1e300, ".xlsx"),
    "geojson NaN": (Raw("NaN"), ".geojson"),
}
NUMBER_WORDS = ("number", "scale", "negative", "range", "not a", "below", "above", "too", "infinit", "nan")
for label, (value, suffix) in NUMBERS.items():
    probe(f"number/attendance/{label}", AVAILABILITY,
          f"attendance {label} in an events file: the row rejected with its reason, never a traceback",
          _file_of("events", suffix, {"attendance": value}),
          _rejected("events", NUMBER_WORDS, blank="attendance" if "NaN" in label and label[:4] != "json" else None))  # fmt: skip
for table, column, value in (("events", "youth_attendance", "-1"), ("events", "officer_hours", "-2.5"),
                             ("events", "cost", "-100"), ("responses", "trust", "-3"), ("responses", "safety", "250"),
                             ("area_scores", "value", "-1"), ("area_scores", "n", "-40")):  # fmt: skip
    probe(f"number/{table}.{column}/{value}", AVAILABILITY,
          f"{table}.{column} = {value}: the row rejected with its reason",
          _file_of(table, ".csv", {column: value}), _rejected(table, NUMBER_WORDS))  # fmt: skip
probe("number/load.json/5000 digits", AVAILABILITY,
      "a 5,000-digit attendance in events.json in the data folder: loads, the row rejected, pages run",
      _folder_with("events.json", ps.rows_with("events", {"attendance": Raw("9" * 5000)})),
      _loads("events", NUMBER_WORDS, ("pages/overview.py", "pages/participation.py")), fast=False)  # fmt: skip


def _exit_codes(folder: Path, path: Path) -> None:
    source = ps.make_source(folder)
    code, out, err = ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source,
                            CPDASH_DATE_WINDOW="last year")  # fmt: skip
    if code != 3 or "Traceback" in err or len(err.strip().splitlines()) != 1:
        raise bad(f"a setting that cannot be used: exit {code}, {err.strip()[:200]!r}")
    os.environ.pop("CPDASH_DATE_WINDOW")
    code, out, err = ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source)
    ps.no_traceback(code, err)
    if code != 1:
        raise bad(f"every row rejected: exit {code}, not 1 (too many rejected)")


probe("cli/exit codes", AVAILABILITY,
      "'could not run' (a bad setting) exits 3 in one line; every row rejected exits 1",
      lambda folder: ps.write_rows(folder / "all-bad.csv", [{**GOOD["events"], "event_id": f"B{i}", "attendance": "-5"} for i in range(3)]),
      _exit_codes)  # fmt: skip


def _real_process(folder: Path, path: Path) -> None:
    import subprocess
    import sys

    source = ps.make_source(folder)
    result = subprocess.run(
        [sys.executable, "-m", "cpdash", "import", str(path), "--table", "events", "--mapping", "suggest",
         "--into", str(source), "--max-rejected", "90"],
        cwd=ps.__file__.rsplit("/scripts/", 1)[0], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if "Traceback" in result.stderr or result.returncode != 0:
        raise crash(f"exit {result.returncode}: {result.stderr.strip()[-300:]}")


probe("cli/python -m cpdash/hostile json", AVAILABILITY,
      "python -m cpdash import of a JSON file with NaN, Infinity, a 5,000-digit number and -5: no traceback",
      lambda folder: ps.write_rows(folder / "hostile.json", [
          *ps.rows_with("events", {"attendance": Raw("NaN")})[:-1],
          *({**GOOD["events"], "event_id": f"H{i}", "attendance": v} for i, v in
            enumerate((Raw("NaN"), Raw("Infinity"), Raw("9" * 5000), Raw("-5"))))]),
      _real_process, fast=False)  # fmt: skip


def _long_comment(size: int):
    def build(folder: Path) -> Path:
        source = ps.make_source(folder)
        text = ("Call me at 555-0142, I live at 12 Elm Street. The officers were kind. " * (size // 70 + 1))[
            :size
        ]
        rows = [
            {**GOOD["responses"], "response_id": f"R{i}", "comment": "Fine." if i else text}
            for i in range(12)
        ]
        pd.DataFrame(rows).to_csv(source / "responses.csv", index=False)
        return source

    return build


def _town_hall(folder: Path, source: Path) -> None:
    at = ps.open_page("pages/town_hall.py", CPDASH_DATA=str(source), CPDASH_MODE="staff")
    at.selectbox(key="town_hall_area").set_value("001").run()
    if at.exception:
        raise crash(str(at.exception[0].value)[:300])


def _explorer(folder: Path, source: Path) -> None:
    ps.open_page("pages/community_voice.py", {"voice_tab": "Comment explorer"}, CPDASH_DATA=str(source),
                 CPDASH_MODE="staff")  # fmt: skip


for size, label in ((80_000, "80 KB"), (1_000_000, "1 MB")):
    probe(f"cost/comment {label}/town hall", AVAILABILITY, f"a {label} comment: the Town hall runs in time",
          _long_comment(size), _town_hall, fast=False)  # fmt: skip
    probe(f"cost/comment {label}/comment explorer", AVAILABILITY,
          f"a {label} comment: Community voice's comment explorer runs in time", _long_comment(size), _explorer,
          fast=False)  # fmt: skip


def _redact_long(folder: Path, built: object) -> None:
    from cpdash.text.redact import redact

    text = "Jane Smith at 12 Elm Street, 555-0142, jane@example.org. " * 20_000  # 1.1 MB
    shown = redact(text)
    if "555-0142" in shown[:5000] or len(shown) > 20_000:
        raise bad(f"a 1 MB comment shown as {len(shown):,} characters, or unredacted")


probe("cost/redact 1 MB", AVAILABILITY, "redacting a 1 MB comment for display: in time, cut, redacted",
      lambda folder: None, _redact_long)  # fmt: skip


def _wide(suffix: str, columns: int = 10_000):
    def build(folder: Path) -> Path:
        names = [f"c{i}" for i in range(columns)]
        row = {**GOOD["events"], **dict.fromkeys(names, "x")}
        return ps.write_rows(folder / f"wide{suffix}", [row, {**row, "event_id": "G2"}])

    return build


def _refused(words: tuple[str, ...], table: str = "events"):
    def check(folder: Path, path: Path) -> None:
        source = ps.make_source(folder)
        before = ps.stored(source, table)
        code, out, err = ps.cli("import", path, "--table", table, "--mapping", "suggest", "--into", source)
        ps.no_traceback(code, err)
        if code != 2 or not any(w in err for w in words):
            raise bad(f"exit {code}: {(err or out).strip()[:300]!r}")
        if len(ps.stored(source, table)) != len(before):
            raise bad("the stored data changed")

    return check


for suffix in FORMATS:
    probe(f"limits/10,000 columns{suffix}", AVAILABILITY,
          f"a {suffix} file with 10,000 columns: refused at once, the message names the column limit",
          _wide(suffix), _refused(("columns",)))  # fmt: skip
probe("limits/10,000 columns/load", AVAILABILITY,
      "events.csv with 10,000 columns in the data folder: the load says why, the pages run",
      lambda folder: ps.write_rows(ps.make_source(folder, events=False) / "events.csv",
                                   [{**GOOD["events"], **{f"c{i}": "x" for i in range(10_000)}}]).parent,
      lambda folder, source: _load_refuses(source, "columns"), fast=False)  # fmt: skip


def _load_refuses(source: Path, word: str) -> None:
    from cpdash.data.load import load_dataset

    report = load_dataset(source).report
    if not any(word in e for e in report.errors):
        raise bad(f"no error naming the {word}: {report.errors}")
    ps.open_page("pages/overview.py", CPDASH_DATA=str(source), CPDASH_MODE="staff")


def _bomb(part: str, megabytes: int = 40, parts: int = 0):
    """A workbook whose `part` unpacks to `megabytes` of repeated bytes (or with `parts` extra parts)."""

    def build(folder: Path) -> Path:
        path = folder / "bomb.xlsx"
        ps.write_rows(path, ps.rows_with("events", {}))
        with zipfile.ZipFile(path) as archive:
            members = {n: archive.read(n) for n in archive.namelist()}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, data in members.items():
                if name != part:
                    archive.writestr(name, data)
            if megabytes:
                with archive.open(part, "w", force_zip64=True) as handle:
                    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    handle.write(head)
                    chunk = b" " * (1024 * 1024)
                    for _ in range(megabytes):
                        handle.write(chunk)
                    handle.write(b"</sst>")
            for i in range(parts):
                archive.writestr(f"xl/media/p{i}.bin", b"x")
        return path

    return build


probe("limits/zip bomb/sheet", AVAILABILITY, "a workbook whose sheet unpacks to 1,000 times its size: refused at once",
      _bomb("xl/worksheets/sheet1.xml"), _refused(("times its packed size", "unpacks")))  # fmt: skip
probe("limits/zip bomb/shared strings", AVAILABILITY, "the same in sharedStrings.xml: refused at once",
      _bomb("xl/sharedStrings.xml"), _refused(("times its packed size", "unpacks")))  # fmt: skip
probe("limits/zip bomb/10,001 parts", AVAILABILITY, "a workbook of 10,001 parts: refused at once",
      _bomb("", 0, 10_001), _refused(("parts",)))  # fmt: skip
probe("limits/zip bomb/load", AVAILABILITY, "the bomb as events.xlsx in the data folder: the load says why",
      lambda folder: _bomb("xl/worksheets/sheet1.xml")(folder).rename(ps.make_source(folder, events=False) / "events.xlsx").parent,
      lambda folder, source: _load_refuses(source, "times its packed size"), fast=False)  # fmt: skip

from scripts import probe_catalogue_more  # noqa: E402,F401  (the other groups add themselves to PROBES)
