"""The probes of what held in the hardening review, kept so that it keeps holding: script injection (pages,
the HTML pack and its CSP, the PDF), formula injection, SQL injection, a database stopping mid-import, two
imports at once, read-only folders, a corrupt cache, files deleted while running, path traversal."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from scripts import probe_support as ps
from scripts.probe_catalogue import HELD, probe
from scripts.probe_support import GOOD, HOSTILE
from scripts.probes import bad, crash, leak

SCRIPTS = {
    "script tag": '<script>alert("x")</script>',
    "img onerror": "<img src=x onerror=alert(1)>",
    "closing markup": '</div></table><iframe src="//evil.example">',
    "javascript link": "[click](javascript:alert(1))",
}
RAW = re.compile(r"<script>alert|<img src=x onerror|<iframe src=\"//evil|href=[\"']?javascript:", re.I)


def _hostile_source(text: str):
    """A folder whose titles, area names, comments, concern summaries and actions all hold `text`."""

    def build(folder: Path) -> Path:
        import json

        source = ps.make_source(folder)
        areas = json.loads((source / "areas.geojson").read_text())
        areas["features"][0]["properties"]["name"] = f"North {text}"
        (source / "areas.geojson").write_text(json.dumps(areas))
        events = [
            {**GOOD["events"], "event_id": f"E{i}", "title": f"Meeting {text}", "area_id": "001"}
            for i in range(12)
        ]
        pd.DataFrame(events).to_csv(source / "events.csv", index=False)
        responses = [
            {**GOOD["responses"], "response_id": f"R{i}", "comment": f"Great officers {text}"}
            for i in range(12)
        ]
        pd.DataFrame(responses).to_csv(source / "responses.csv", index=False)
        concerns = [{**GOOD["concerns"], "concern_id": f"C{i}", "summary": f"Noise {text}", "status": "resolved",
                     "action": f"Done {text}", "resolved": "2025-03-20"} for i in range(12)]  # fmt: skip
        pd.DataFrame(concerns).to_csv(source / "concerns.csv", index=False)
        os.environ.update(CPDASH_DATA=str(source), CPDASH_MODE="staff", CPDASH_K="10")
        return source

    return build


def _unescaped(outputs) -> list[str]:
    """Outputs that would run the hostile markup: HTML elements, Markdown that allows HTML, map tooltips."""
    found = []
    for o in outputs:
        html_tooltip = o.kind == "deck" and '"html"' in o.text  # a text tooltip shows markup as text
        shown_as_html = (
            o.kind == "html" or html_tooltip or (o.kind == "download" and "<html" in o.text[:500].lower())
        )
        if shown_as_html and RAW.search(o.text):
            found.append(f"{o.where} [{o.kind}]")
    return found


def _pages_escape(page: str, query: dict | None = None, picked: str | None = None):
    def check(folder: Path, source: Path) -> None:
        outputs = ps.walk_view(page, query, picked)
        found = _unescaped(outputs)
        if found:
            raise leak(f"markup unescaped in {found[0]}")
        packs = [o for o in outputs if o.kind == "download" and "<html" in o.text[:500].lower()]
        for pack in packs:
            if "Content-Security-Policy" not in pack.text:
                raise leak(f"{pack.where}: the HTML pack has no Content-Security-Policy")

    return check


for label, text in SCRIPTS.items():
    for page, query, picked in (("pages/map.py", {"map_layer": "Events"}, None), ("pages/town_hall.py", {}, "001"),
                                ("pages/community_voice.py", {"voice_tab": "Comment explorer"}, None),
                                ("pages/you_said_we_did.py", {}, None)):  # fmt: skip
        probe(f"injection/script/{label}/{Path(page).stem}", HELD,
              f"{label} in titles, names, comments and concerns: {Path(page).stem} (and its packs) shows it as text",
              _hostile_source(text), _pages_escape(page, query, picked), fast=False)  # fmt: skip


def _pdf(folder: Path, source: Path) -> None:
    from cpdash.export import pack

    if not pack.browser_available():
        return  # without Chromium the page offers no PDF
    outputs = ps.walk_view("pages/town_hall.py", {}, "001", chromium=True)
    pdfs = [o for o in outputs if o.kind == "download" and o.where.endswith("(PDF)")]
    found = _unescaped(outputs)
    if found:
        raise leak(f"markup unescaped in {found[0]}")
    del pdfs  # the PDF's bytes are not text: that it was made without an exception is what is checked


probe("injection/script/pdf", HELD, "script tags in every text: the town hall's PDF and PNG charts are made (Chromium)",
      _hostile_source(SCRIPTS["script tag"]), _pdf, fast=False)  # fmt: skip

FORMULAS = {"equals": "=1+1", "plus": "+cmd|' /C calc'!A0", "minus": "-2+3", "at": "@SUM(A1)",
            "tab": "\t=1+1", "return": "\r=1+1", "hyperlink": '=HYPERLINK("http://evil.example","x")'}  # fmt: skip
NUMBER = re.compile(r"^[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def _formula_cells(text: str) -> list[str]:
    """CSV cells a spreadsheet would run as a formula."""
    import csv
    import io

    found = []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.match(cell.strip()):
                found.append(cell)
    return found


def _csv_safe(page: str, query: dict | None = None, picked: str | None = None):
    def check(folder: Path, source: Path) -> None:
        outputs = ps.walk_view(page, query, picked)
        csvs = [o for o in outputs if o.kind == "download" and not o.text.lstrip().startswith("<")]
        if not csvs:
            raise bad(f"{page} offered no CSV to check")
        for o in csvs:
            cells = _formula_cells(o.text)
            if cells:
                raise leak(f"{o.where}: a cell that runs as a formula: {cells[0][:60]!r}")

    return check


for label, text in FORMULAS.items():
    probe(f"injection/formula/{label}/data page", HELD, f"{text!r} in every text: no CSV of the Data page runs it",
          _hostile_source(text), _csv_safe("pages/data.py", {"data_tab": "Download"}), fast=False)  # fmt: skip
    probe(f"injection/formula/{label}/rejected rows", HELD, f"{text!r} in a rejected row: the rejected rows' CSV is safe",
          lambda folder, text=text: ps.write_rows(folder / "e.csv", ps.rows_with("events", {"start": "someday", "title": text})),
          lambda folder, path: _rejected_csv_safe(folder, path))  # fmt: skip
probe("injection/formula/town hall zip", HELD, "formulas in every text: no CSV in the town-hall ZIP runs one",
      _hostile_source(FORMULAS["equals"]), _csv_safe("pages/town_hall.py", {}, "001"), fast=False)  # fmt: skip


def _rejected_csv_safe(folder: Path, path: Path) -> None:
    code, out, err, rejected = ps.import_file(path, "events", ps.make_source(folder))
    text = path.with_name(f"{path.stem}-rejected.csv").read_text(encoding="utf-8-sig")
    cells = _formula_cells(text)
    if cells:
        raise leak(f"the rejected rows' CSV holds a formula: {cells[0][:60]!r}")


INJECTIONS = {
    "drop table": "x'); DROP TABLE events; --",
    "or 1=1": "' OR '1'='1",
    "quote and semicolon": 'a";--',
}


def _sqlite_import(text: str):
    def check(folder: Path, path: Path) -> None:
        url = f"sqlite:///{folder / 'probe.db'}"
        areas = folder / "areas.geojson"
        ps.write_rows  # noqa: B018
        (areas).write_text((ps.make_source(folder, events=False) / "areas.geojson").read_text())
        code, out, err, _ = ps.import_file(areas, "areas", url)
        code, out, err, _ = ps.import_file(path, "events", url)
        if code != 0:
            raise bad(f"exit {code}: {(err or out).strip()[:200]}")
        events = ps.stored(url, "events")
        if len(events) != ps.GOOD_ROWS + 1 or text not in set(events["title"].astype("string")):
            raise bad(f"the rows were not stored as written: {len(events)} rows")
        code, out, err = ps.cli("log", "--into", url)
        if code != 0 or "probe-events" not in out:
            raise bad(f"the log after the import: exit {code} {err[:200]}")

    return check


def _sqlite_filters(text: str):
    def build(folder: Path) -> str:
        url = f"sqlite:///{folder / 'probe.db'}"
        areas = folder / "areas.geojson"
        areas.write_text((ps.make_source(folder, events=False) / "areas.geojson").read_text())
        ps.import_file(areas, "areas", url)
        ps.import_file(ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), "events", url)
        os.environ.update(CPDASH_DATA=url, CPDASH_MODE="staff")
        return url

    def check(folder: Path, url: str) -> None:
        ps.open_page(
            "pages/data.py", {"filter_area": [text], "filter_program": [text], "data_tab": "Download"}
        )
        if len(ps.stored(url, "events")) != ps.GOOD_ROWS + 1:
            raise bad("the events table changed")

    return build, check


for label, text in INJECTIONS.items():
    probe(f"injection/sql/import/{label}", HELD, f"{text!r} in ids and titles imported into a database: stored as text",
          lambda folder, text=text: ps.write_rows(folder / "probe-events.csv", ps.rows_with("events", {"event_id": text, "title": text})),
          _sqlite_import(text))  # fmt: skip
    build, check = _sqlite_filters(text)
    probe(f"injection/sql/filters/{label}", HELD, f"{text!r} as the area and program filters in the URL: nothing runs",
          build, check, fast=False)  # fmt: skip


def _database_stops(folder: Path, path: Path) -> None:
    import sqlalchemy as sa

    from cpdash.data import database_store

    url = f"sqlite:///{folder / 'probe.db'}"
    areas = folder / "areas.geojson"
    areas.write_text((ps.make_source(folder, events=False) / "areas.geojson").read_text())
    ps.import_file(areas, "areas", url)
    before = ps.stored(url, "areas"), ps.cli("log", "--into", url)[1]
    real = database_store.DatabaseStore._write

    def write_then_stop(self, conn, *args, **kwargs):
        real(self, conn, *args, **kwargs)
        raise sa.exc.OperationalError(
            "INSERT", {}, ConnectionError("server closed the connection unexpectedly")
        )

    database_store.DatabaseStore._write = write_then_stop
    code, out, err, _ = ps.import_file(path, "events", url)
    database_store.DatabaseStore._write = real
    if code == 0 or "nothing changed" not in err:
        raise bad(f"the database stopped mid-import: exit {code}, {err.strip()[:200]!r}")
    if len(ps.stored(url, "events")) or ps.cli("log", "--into", url)[1] != before[1]:
        raise ps.lie("rows or a log entry of the stopped import are stored")


probe("database/stops mid-import", HELD, "the database stops after the rows are written: nothing stored, nothing logged",
      lambda folder: ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), _database_stops)  # fmt: skip


def _two_at_once(database: bool):
    def check(folder: Path, paths: list[Path]) -> None:
        import multiprocessing

        if database:
            target = f"sqlite:///{folder / 'probe.db'}"
            areas = folder / "areas.geojson"
            areas.write_text((ps.make_source(folder, events=False) / "areas.geojson").read_text())
            ps.import_file(areas, "areas", target)
        else:
            target = ps.make_source(folder)
        before = len(ps.stored(target, "events"))
        go = multiprocessing.get_context("fork").Event()
        pids = []
        for path in paths:
            pid = os.fork()
            if pid == 0:
                go.wait(10)
                code, out, err = ps.cli(
                    "import", path, "--table", "events", "--mapping", "suggest", "--into", target
                )
                os._exit(code)
            pids.append(pid)
        go.set()
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        if codes != [0, 0]:
            raise bad(f"two imports at once exit {codes}")
        events = ps.stored(target, "events")
        if len(events) != before + 2 * 500 or not events["event_id"].is_unique:
            raise ps.lie(f"{len(events) - before} rows stored of 1,000")
        for path in paths:
            ps.log_agrees(target, path.name, {f"{path.stem}-{i}" for i in range(500)})

    return check


def _two_files(folder: Path) -> list[Path]:
    return [
        ps.write_rows(folder / f"{p}.csv", [{**GOOD["events"], "event_id": f"{p}-{i}"} for i in range(500)])
        for p in "AB"
    ]


probe("concurrency/two imports at once/folder", HELD, "two imports into one folder at once: both land, both logged",
      _two_files, _two_at_once(False))  # fmt: skip
probe("concurrency/two imports at once/database", HELD, "two imports into one database at once: both land, both logged",
      _two_files, _two_at_once(True))  # fmt: skip


def _as_nobody(work) -> tuple[int, str, str]:
    """Run `work` in a child process without root's right to write anywhere; its exit code and output."""
    import tempfile

    out_file = Path(tempfile.mkstemp()[1])
    os.chmod(out_file, 0o666)
    pid = os.fork()
    if pid == 0:
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
        code, out, err = work()
        out_file.write_text(f"{code}\n{out}\x00{err}")
        os._exit(0)
    os.waitpid(pid, 0)
    code, _, rest = out_file.read_text().partition("\n")
    out, _, err = rest.partition("\x00")
    return int(code or -1), out, err


def _open_up(folder: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent == Path("/"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o755)


def _read_only_folder(folder: Path, path: Path) -> None:
    source = ps.make_source(folder)
    _open_up(folder)
    for p in [path, *source.rglob("*")]:
        os.chmod(p, 0o644 if p.is_file() else 0o755)
    os.chmod(source, 0o555)
    code, out, err = _as_nobody(
        lambda: ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source)
    )
    os.chmod(source, 0o755)
    if "Traceback" in err or code not in (2, 3) or len(err.strip().splitlines()) != 1:
        raise bad(f"a read-only folder: exit {code}, {err.strip()[:300]!r}")


probe("read-only/data folder", HELD, "an import into a folder the user cannot write: one clear line, nothing changed",
      lambda folder: ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), _read_only_folder)  # fmt: skip


def _read_only_cache(folder: Path, source: Path) -> None:
    cache = folder / "cache"
    cache.mkdir(exist_ok=True)
    _open_up(folder)
    for p in source.rglob("*"):
        os.chmod(p, 0o644 if p.is_file() else 0o755)
    os.chmod(cache, 0o555)

    def load() -> tuple[int, str, str]:
        from cpdash.data.load import load_dataset

        ds = load_dataset(source, cache_dir=cache)
        return len(ds.events), "", "; ".join(ds.report.errors)

    rows, _, errors = _as_nobody(load)
    if rows != 2:
        raise bad(f"a read-only cache folder: {rows} events loaded, {errors}")


probe("read-only/cache folder", HELD, "a cache folder the app cannot write: the data loads all the same",
      lambda folder: ps.make_source(folder), _read_only_cache)  # fmt: skip


def _corrupt_cache(how: str):
    def build(folder: Path) -> Path:
        from cpdash.data.load import load_dataset

        source = ps.make_source(folder)
        pd.DataFrame([{**GOOD["responses"], "response_id": f"R{i}"} for i in range(3)]).to_csv(
            source / "responses.csv", index=False
        )
        load_dataset(source, cache_dir=folder / "cache")
        files = [p for p in (folder / "cache").rglob("*") if p.is_file()]
        if not files:
            raise crash("the load wrote no cache to corrupt")
        for p in files:
            data = p.read_bytes()
            p.write_bytes(
                {
                    "garbage": b"\x00\xffnot a cache" * 100,
                    "cut in half": data[: len(data) // 2],
                    "empty": b"",
                }[how]
            )
        return source

    return build


def _loads_again(folder: Path, source: Path) -> None:
    from cpdash.data.load import load_dataset

    ds = load_dataset(source, cache_dir=folder / "cache")
    if len(ds.events) != 2 or ds.responses is None or len(ds.responses) != 3:
        raise bad(f"after a corrupt cache: {len(ds.events)} events, {ds.report.errors}")
    ps.open_page(
        "pages/overview.py", CPDASH_DATA=str(source), CPDASH_CACHE=str(folder / "cache"), CPDASH_MODE="staff"
    )


for how in ("garbage", "cut in half", "empty"):
    probe(f"cache/corrupt/{how}", HELD, f"every cache file {how}: the data loads and the pages run",
          _corrupt_cache(how), _loads_again, fast=False)  # fmt: skip


def _deleted(what: str):
    def check(folder: Path, source: Path) -> None:
        import shutil

        at = ps.open_page("pages/overview.py", CPDASH_DATA=str(source), CPDASH_MODE="staff")
        target = {
            "events file": source / "events.csv",
            "data folder": source,
            "cache folder": folder / "cache",
        }[what]
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
        at.run()
        if at.exception:
            raise crash(f"after the {what} was deleted: {at.exception[0].value}"[:300])
        at.switch_page("pages/data.py").run()
        if at.exception:
            raise crash(f"the Data page after the {what} was deleted: {at.exception[0].value}"[:300])

    return check


for what in ("events file", "data folder", "cache folder"):
    probe(f"deleted/{what} while running", HELD, f"the {what} deleted while the app runs: the pages still run",
          lambda folder: ps.make_source(folder), _deleted(what), fast=False)  # fmt: skip


def _deleted_mid_import(folder: Path, path: Path) -> None:
    import shutil

    from cpdash.importing import importer

    source = ps.make_source(folder)
    real = importer.prepare

    def prepare_then_delete(*args, **kwargs):
        prepared = real(*args, **kwargs)
        shutil.rmtree(source)
        return prepared

    importer.prepare = prepare_then_delete
    code, out, err = ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source)
    importer.prepare = real
    ps.no_traceback(code, err)
    if code != 2 or source.exists():
        raise bad(
            f"the data folder deleted mid-import: exit {code}, {err.strip()[:200]!r}, recreated={source.exists()}"
        )


probe("deleted/data folder mid-import", HELD, "the data folder deleted between reading and storing: a clear error",
      lambda folder: ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), _deleted_mid_import)  # fmt: skip


def _outside(folder: Path, source: Path) -> set[Path]:
    """Every path under the probe's `folder` but outside the data folder `source`."""
    return {p for p in folder.rglob("*") if p != source and source not in p.parents}


def _traversal(kind: str):
    def check(folder: Path, path: Path) -> None:
        (folder / "outer").mkdir()
        source = ps.make_source(folder / "outer")  # ../.. from its mappings lands in `folder`: watched
        outside = _outside(folder, source)
        if kind == "mapping path":
            args = ("--mapping", "../../../../../../etc/passwd")
        elif kind == "mapping name":
            args = ("--mapping", "../../../e")
        elif kind == "sheet":
            args = ("--mapping", "suggest", "--sheet", "../../etc/passwd")
        else:
            args = ("--mapping", "suggest")
        code, out, err = ps.cli("import", path, "--table", "events", *args, "--into", source)
        ps.no_traceback(code, err)
        if kind in ("mapping path", "mapping name", "sheet") and code != 2:
            raise bad(f"{kind} ../..: exit {code}, {(err or out).strip()[:200]!r}")
        written = _outside(folder, source) - outside
        if written:
            raise bad(f"written outside the data folder: {sorted(written)[:3]}")
        if kind == "file name" and not (source / "events.csv").is_file():
            raise bad("the import did not land in events.csv")

    return check


for kind in ("mapping path", "mapping name", "sheet"):
    probe(f"traversal/{kind}", HELD, f"a {kind} with ../..: refused, nothing read or written outside",
          lambda folder, kind=kind: ps.write_rows(folder / ("e.xlsx" if kind == "sheet" else "e.csv"), ps.rows_with("events", {})),
          _traversal(kind))  # fmt: skip


def _profile_name(folder: Path, _: object) -> None:
    from cpdash.importing.importer import read_upload, suggest_profile
    from cpdash.importing.profiles import save_profile

    upload = read_upload("e.csv", ps.write_rows(folder / "e.csv", ps.rows_with("events", {})).read_bytes())
    profile = suggest_profile(upload, "events", name="../../../evil")
    saved = save_profile(profile, folder / "source" / "mappings")
    if (folder / "source" / "mappings") not in saved.resolve().parents:
        raise bad(f"a mapping named ../../../evil was saved as {saved}")


probe("traversal/mapping saved under ../ name", HELD, "a mapping named ../../../evil is saved inside mappings/",
      lambda folder: None, _profile_name)  # fmt: skip
probe("traversal/upload name", HELD, "a file uploaded as ../../evil.csv lands in the table's own file",
      lambda folder: None,
      lambda folder, _: _upload_named(folder))  # fmt: skip


def _upload_named(folder: Path) -> None:
    from cpdash.importing.importer import prepare, read_upload, suggest_profile
    from cpdash.importing.store import open_store

    (folder / "outer").mkdir()
    source = ps.make_source(folder / "outer")
    data = ps.write_rows(folder / "e.csv", ps.rows_with("events", {})).read_bytes()
    before = _outside(folder, source)
    upload = read_upload("../../evil.csv", data)
    open_store(source).commit(prepare(upload, suggest_profile(upload, "events")))
    written = _outside(folder, source) - before
    if written:
        raise bad(f"written outside the data folder: {sorted(written)[:3]}")
    if HOSTILE not in set(ps.stored(source, "events")["event_id"]):
        raise bad("the upload did not land")
