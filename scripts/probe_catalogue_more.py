"""The probes of the public view's leaks, the import log, the low findings and the categories that held
(scripts/probe_catalogue.py holds availability; both add to its PROBES)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from scripts import probe_support as ps
from scripts.probe_catalogue import LEAKS, LOG, LOW, probe
from scripts.probe_support import GOOD, HOSTILE, Raw
from scripts.probes import bad, crash, leak, lie
from tests.conftest import feature, square
from tests.store_faults import DISK_STEPS, KILL_STEPS

# --- leaks in the public view: by subtraction (tests/adversary.py), n of hidden figures, words, secrets ----

CANARY_WORDS = "Tern Point canary words"  # a resident's words in the 4-response area
QUOTE_WORDS = "Alder unapproved quote"  # words in a big area that no staff user approved for quoting
CONCERN_WORDS = "Tern Point canary concern"


def _small_groups(folder: Path) -> Path:
    """tests/small_groups.py's data set, with words only the small area's residents wrote."""
    from tests import small_groups

    source = small_groups.write(folder / "small")
    responses = pd.read_csv(source / "responses.csv", dtype="string", keep_default_na=False)
    small = responses["area_id"] == "S2"
    responses.loc[small & (responses["comment"] != ""), "comment"] = (
        f"Great officers, {CANARY_WORDS}, thank you."
    )
    first_alder = responses.index[(responses["area_id"] == "A1") & (responses["comment"] != "")][-1]
    responses.loc[first_alder, "comment"] = f"The officers were very helpful, {QUOTE_WORDS}."
    responses.to_csv(source / "responses.csv", index=False)
    concerns = pd.read_csv(source / "concerns.csv", dtype="string", keep_default_na=False)
    concerns.loc[concerns["area_id"] == "S2", "summary"] = CONCERN_WORDS
    concerns.to_csv(source / "concerns.csv", index=False)
    os.environ.update(CPDASH_DATA=str(source), CPDASH_MODE="public", CPDASH_K=str(small_groups.K))
    os.environ["CPDASH_CHROMIUM"] = (
        "/nonexistent/chromium"  # packs without PDF and PNG: see injection/script/pdf
    )
    return source


def _recovered(views: list[tuple[str, dict, list[str], str | None]]):
    """The adversary of tests/adversary.py over the figures of `views` (page, state, sidebar areas, picked)."""

    def check(folder: Path, source: Path) -> None:
        import pytest

        from tests.adversary import recovered, view_figures
        from tests.small_groups import K
        from tests.walk import recording

        ps.route_through_router()
        figures = []
        with recording(pytest.MonkeyPatch()) as downloads:
            for page, state, areas, picked in views:
                try:
                    figures += view_figures(downloads, page, state, areas, picked)
                except AssertionError as exc:
                    raise crash(f"{page}: {exc}"[:300]) from None
        found = recovered(figures, K)
        if found:
            raise leak(f"{len(found)} sets under k recovered, such as {found[0]}")

    return check


VOICE = "pages/community_voice.py"
SCORES, GROUPS, SENTIMENT = ({"voice_tab": t} for t in ("Scores", "By group", "Comment sentiment"))
SUBTRACTIONS = {
    "scores tab: the city minus the other areas": [(VOICE, SCORES, [], None)],
    "two links: two areas minus one": [(VOICE, SCORES, ["Birch", "Tern Point"], None), (VOICE, SCORES, ["Birch"], None)],
    "two links: the small areas together and apart": [(VOICE, SCORES, ["Quill Cove", "Tern Point"], None),
                                                      (VOICE, SCORES, ["Quill Cove"], None)],
    "by group: everyone minus the other groups": [(VOICE, GROUPS, [], None)],
    "by group, one area and the city": [(VOICE, GROUPS, [], None), (VOICE, GROUPS, ["Alder"], None)],
    "sentiment: the city minus the other areas": [(VOICE, SENTIMENT, [], None)],
    "map areas and the overview": [("pages/map.py", {"map_layer": "Areas", "map_measure": "Trust score"}, [], None),
                                   ("pages/overview.py", {}, [], None)],
    "scores tab, a small area picked against the city": [(VOICE, SCORES, [], "S2")],
    "town hall of a small area": [("pages/town_hall.py", {}, [], "S2")],
}  # fmt: skip
for label, views in SUBTRACTIONS.items():
    probe(f"leak/subtraction/{label}", LEAKS, f"{label}: no set under k recovered (tests/adversary.py)",
          _small_groups, _recovered(views), fast=False)  # fmt: skip


def _no_small_n(page: str, query: dict | None = None, picked: str | None = None):
    def check(folder: Path, source: Path) -> None:
        from tests.adversary import leaks

        found = leaks(ps.walk_view(page, query, picked))
        if found:
            raise leak(f"{len(found)} hidden figures or n under k shown, such as {found[0][:300]}")

    return check


for label, (page, query, picked) in {
    "overview": ("pages/overview.py", {}, None),
    "scores tab": (VOICE, SCORES, None),
    "by group tab": (VOICE, GROUPS, None),
    "scores tab, small area": (VOICE, {**SCORES, "filter_area": ["Tern Point"]}, None),
    "published scores": (VOICE, {**SCORES, "voice_source": "Published"}, None),
    "town hall, small area": ("pages/town_hall.py", {}, "S1"),
    "data page": ("pages/data.py", {}, None),
}.items():
    probe(f"leak/n of hidden figures/{label}", LEAKS, f"{label}: no hidden figure and no n under k shown",
          _small_groups, _no_small_n(page, query, picked), fast=False)  # fmt: skip


def _no_words(page: str, words: tuple[str, ...], query: dict | None = None, picked: str | None = None):
    def check(folder: Path, source: Path) -> None:
        outputs = ps.walk_view(page, query, picked)
        for o in outputs:
            for w in words:
                if w.lower() in o.text.lower():
                    raise leak(f"{w!r} shown in {o.where} [{o.kind}]")
        if page.endswith("you_said_we_did.py"):
            rows = [o for o in outputs if o.kind == "download" and "concern_id" in o.text.split("\n", 1)[0]]
            if rows:
                raise leak(f"a row-level concern CSV is offered: {rows[0].where}")

    return check


for label, (page, words, query, picked) in {
    "comment explorer, all areas": (VOICE, (CANARY_WORDS,), {"voice_tab": "Comment explorer"}, None),
    "comment explorer, the small area": (VOICE, (CANARY_WORDS,), {"voice_tab": "Comment explorer",
                                                                  "filter_area": ["Tern Point"]}, None),
    "topics tab": (VOICE, (CANARY_WORDS,), {"voice_tab": "Topics"}, None),
    "town hall of the small area and its packs": ("pages/town_hall.py", (CANARY_WORDS, CONCERN_WORDS), {}, "S2"),
    "town hall quotes not approved": ("pages/town_hall.py", (QUOTE_WORDS,), {}, "A1"),
    "you said, we did": ("pages/you_said_we_did.py", (CONCERN_WORDS,), {}, None),
}.items():  # fmt: skip
    probe(f"leak/residents' words/{label}", LEAKS, f"{label}: no words of a small area, no unapproved quote",
          _small_groups, _no_words(page, words, query, picked), fast=False)  # fmt: skip

SECRET = "s3cret-Pw"
SECRET_URLS = {
    "?password=": f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?password={SECRET}",
    "user:password@": f"postgresql+psycopg://cpdash:{SECRET}@127.0.0.1:1/riverton",
    "?sslpassword=": f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?sslmode=require&sslpassword={SECRET}",
    "?token=": f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?token={SECRET}",
    "?PassWord= (any case)": f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?PassWord={SECRET}",
    "url-encoded": "postgresql+psycopg://cpdash:s3cret%2DPw@127.0.0.1:1/riverton",
    "no such driver": f"postgresql+nodriver://cpdash@127.0.0.1:1/riverton?password={SECRET}",
}


def _no_secret(text: str, where: str) -> None:
    if "s3cret" in text or "%2DPw" in text:
        raise leak(f"the password is shown {where}")


def _cli_secret(url: str):
    def check(folder: Path, path: Path) -> None:
        for args in (
            ("import", path, "--table", "events", "--mapping", "suggest", "--into", url),
            ("log", "--into", url),
        ):
            code, out, err = ps.cli(*args)
            ps.no_traceback(code, err)
            _no_secret(out + err, f"by `{args[0]}`")
            if code == 0:
                raise bad(f"`{args[0]}` into an unreachable database exits 0")

    return check


for label, url in SECRET_URLS.items():
    probe(f"leak/password/cli/{label}", LEAKS, f"a database URL with a password ({label}): no command line error shows it",
          lambda folder: ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), _cli_secret(url))  # fmt: skip
for mode in ("public", "staff"):
    probe(f"leak/password/data page and banner/{mode}", LEAKS,
          f"?password= in the URL: the {mode} Data page and the database-down banner do not show it",
          lambda folder: None,
          lambda folder, _, mode=mode: _no_secret(ps.page_text(ps.walk_view("pages/data.py", CPDASH_DATA=SECRET_URLS["?password="], CPDASH_MODE=mode)), "on the Data page"),
          fast=False)  # fmt: skip


def _no_folder(folder: Path, source: Path) -> None:
    text = ps.page_text(ps.walk_view("pages/data.py", CPDASH_DATA=str(source), CPDASH_MODE="public"))
    if str(source.parent) in text:
        raise leak(f"the server's folder {source.parent} is shown on the public Data page")


probe("leak/server folder/public data page", LEAKS, "the public Data page names the folder, not its path",
      lambda folder: ps.make_source(folder), _no_folder, fast=False)  # fmt: skip

# --- the import log never lies: a kill -9 or a full disk at every step of an import -------------------------

NEW = {f"K{i}" for i in range(3_000)}


def _big_file(folder: Path) -> Path:
    rows = [{**GOOD["events"], "event_id": i} for i in sorted(NEW)]
    return ps.write_rows(folder / "monthly.csv", rows)


def _killed_at(step: str):
    def check(folder: Path, path: Path) -> None:
        from tests.store_faults import die_at

        source = ps.make_source(folder)
        pid = os.fork()
        if pid == 0:  # the import, killed at `step`
            die_at(step)
            ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if not os.WIFSIGNALED(status):
            raise bad(f"the import was not killed at {step} (status {status})")
        ps.log_agrees(source, path.name, NEW)
        again = ps.write_rows(folder / "next.csv", [{**GOOD["events"], "event_id": "N1"}])
        code, out, err = ps.cli(
            "import", again, "--table", "events", "--mapping", "suggest", "--into", source
        )
        ps.no_traceback(code, err)
        if code != 0:
            raise bad(f"the next import after the kill: exit {code} {err.strip()[:200]}")
        ps.log_agrees(source, path.name, NEW)
        ps.log_agrees(source, again.name, {"N1"})

    return check


def _disk_full_at(step: str):
    def check(folder: Path, path: Path) -> None:
        import pytest

        from tests.store_faults import disk_full_at

        source = ps.make_source(folder)
        patch = pytest.MonkeyPatch()
        disk_full_at(step, source, patch)
        code, out, err = ps.cli("import", path, "--table", "events", "--mapping", "suggest", "--into", source)
        patch.undo()
        ps.no_traceback(code, err)
        happened = ps.log_agrees(source, path.name, NEW)
        if happened and (code != 0 or "unchanged" in err):
            raise lie(
                f"the rows are stored and logged, but the command said: exit {code} {err.strip()[:200]}"
            )
        if not happened and code == 0:
            raise lie(f"nothing is stored, but the command said: {out.strip().splitlines()[-1]}")
        if not happened and "unchanged" not in err:
            raise bad(f"nothing is stored, and the message does not say so: {err.strip()[:200]}")

    return check


for step in KILL_STEPS:
    probe(f"log/kill -9/{step}", LOG, f"an import killed {step}: logged if and only if its rows are stored",
          _big_file, _killed_at(step))  # fmt: skip
for step in DISK_STEPS:
    probe(f"log/full disk/{step}", LOG, f"the disk full at {step}: the command, the log and the data agree",
          _big_file, _disk_full_at(step))  # fmt: skip

# --- low: one upload limit, boundaries, rejected rows that read back -------------------------------------


def _one_limit(folder: Path, _: object) -> None:
    from cpdash.config import upload_limit_mb
    from cpdash.data.readers import DataError
    from cpdash.importing.importer import MAX_UPLOAD_BYTES, read_upload

    limit = upload_limit_mb()
    if limit * 1024 * 1024 != MAX_UPLOAD_BYTES:
        raise bad(f"the server allows {limit} MB, the importer {MAX_UPLOAD_BYTES / 1024 / 1024:g} MB")
    try:
        read_upload("big.csv", b"a,b\n" + b"1,2\n" * ((limit + 20) * 1024 * 256))
    except DataError as exc:
        if not re.search(rf"\b{limit}(\.0)? MB", str(exc)):
            raise bad(f"over the limit, the message: {exc}") from None
    else:
        raise bad(f"a {limit + 20} MB upload was read")
    at = ps.open_page("pages/data.py", {"data_tab": "Import a file"}, CPDASH_DATA=str(ps.make_source(folder)),
                      CPDASH_MODE="staff")  # fmt: skip
    boxes = [
        n
        for n in at._tree
        if getattr(n, "type", "") == "file_uploader" or "file_uploader" in str(type(getattr(n, "proto", "")))
    ]
    shown = " ".join(
        str(getattr(getattr(b, "proto", None), "help", ""))
        + str(getattr(getattr(b, "proto", None), "max_upload_size_mb", ""))
        for b in boxes
    )
    if boxes and f"{limit} MB" not in shown:
        raise bad(f"the upload box says: {shown[:200]}")


probe("limit/upload/one setting", LOW, "the box, the server and the message share one upload limit",
      lambda folder: None, _one_limit, fast=False)  # fmt: skip


def _cli_limit(folder: Path, path: Path) -> None:
    import cpdash.__main__ as cli_module

    cli_module.FILE_LIMIT_MB = 0
    code, out, err = ps.cli(
        "import", path, "--table", "events", "--mapping", "suggest", "--into", ps.make_source(folder)
    )
    if code != 2 or "limit" not in err or "python -m cpdash" in err:
        raise bad(f"over the command line's own limit: exit {code}, {err.strip()[:200]!r}")


probe("limit/cli/over the limit", LOW, "the command line's over-limit message does not point to itself",
      lambda folder: ps.write_rows(folder / "e.csv", ps.rows_with("events", {})), _cli_limit)  # fmt: skip

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[-87.7, 41.8], [-87.6, 41.9], [-87.6, 41.8], [-87.7, 41.9], [-87.7, 41.8]]],
}
GEOMETRIES = {
    "longitude 500": square(500, 41.8),
    "longitude -500": square(-500, 41.8),
    "latitude 91": square(-87.7, 91),
    "NaN coordinate": {
        "type": "Polygon",
        "coordinates": [[[Raw("NaN"), 41.8], [-87.6, 41.8], [-87.6, 41.9], [-87.7, 41.8]]],
    },
    "Infinity coordinate": {
        "type": "Polygon",
        "coordinates": [[[Raw("Infinity"), 41.8], [-87.6, 41.8], [-87.6, 41.9], [-87.7, 41.8]]],
    },
    "text coordinate": {
        "type": "Polygon",
        "coordinates": [[["west", 41.8], [-87.6, 41.8], [-87.6, 41.9], [-87.7, 41.8]]],
    },
    "null coordinate": {
        "type": "Polygon",
        "coordinates": [[[None, 41.8], [-87.6, 41.8], [-87.6, 41.9], [-87.7, 41.8]]],
    },
    "empty ring": {"type": "Polygon", "coordinates": [[]]},
    "two-point ring": {"type": "Polygon", "coordinates": [[[-87.7, 41.8], [-87.6, 41.8]]]},
    "no geometry": None,
}


def _areas_file(geometry: object):
    def build(folder: Path) -> Path:
        features = [feature({"area_id": f"00{i + 1}", "name": f"Area {i + 1}", "level": "district"},
                            square(-88.0 + 0.1 * i, 41.8)) for i in range(3)]  # fmt: skip
        features.append(feature({"area_id": "009", "name": "Hostile", "level": "district"}, geometry))
        path = folder / "boundaries.geojson"
        path.write_text(ps._json({"type": "FeatureCollection", "features": features}), encoding="utf-8")
        return path

    return build


def _areas_rejected(repaired: bool):
    def check(folder: Path, path: Path) -> None:
        source = folder / "empty"
        source.mkdir()
        code, out, err, rejected = ps.import_file(path, "areas", source)
        if code != 0:
            raise bad(f"exit {code}: {(err or out).strip()[:300]}")
        ids = set(ps.stored(source, "areas")["area_id"].astype("string"))
        if repaired:
            if "009" not in ids or "repair" not in (out + err).lower():
                raise bad(
                    f"a crossing boundary not repaired and said: stored={'009' in ids}, {out.strip()[-200:]!r}"
                )
            return
        if "009" in ids:
            raise bad("a boundary off the globe or not numbers was imported silently")
        if rejected.empty or not rejected["reason"].astype("string").str.len().gt(0).all():
            raise bad("the hostile boundary was dropped without a reason")

    return check


probe("geometry/self-intersecting polygon", LOW, "a bowtie boundary: repaired, and the report says so",
      _areas_file(BOWTIE), _areas_rejected(True))  # fmt: skip
for label, geometry in GEOMETRIES.items():
    probe(f"geometry/{label}", LOW, f"a boundary with {label}: rejected with its reason",
          _areas_file(geometry), _areas_rejected(False))  # fmt: skip
for label, (lat, lon) in {"longitude 500": ("41.85", "500"), "longitude -500": ("41.85", "-500"),
                          "latitude 91": ("91", "-87.95"), "latitude NaN text": ("NaN", "-87.95"),
                          "longitude inf": ("41.85", "inf"), "longitude words": ("41.85", "west")}.items():  # fmt: skip
    probe(f"geometry/event point/{label}", LOW, f"an event at {label}: rejected with its reason (or placed, marked)",
          lambda folder, lat=lat, lon=lon: ps.write_rows(folder / "events.csv", ps.rows_with("events", {"lat": lat, "lon": lon})),
          lambda folder, path: _point_handled(folder, path))  # fmt: skip


def _point_handled(folder: Path, path: Path) -> None:
    source = ps.make_source(folder)
    code, out, err, rejected = ps.import_file(path, "events", source)
    if code != 0:
        raise bad(f"exit {code}: {(err or out).strip()[:300]}")
    if ps.reason_of(rejected, "events"):
        return
    events = ps.stored(source, "events").set_index("event_id")
    if HOSTILE in events.index and not bool(events.loc[HOSTILE, "approximate"]):
        raise bad(f"stored at {events.loc[HOSTILE, 'lat']}, {events.loc[HOSTILE, 'lon']} without a reason")


def _reimport(folder: Path, path: Path) -> None:
    source = ps.make_source(folder)
    code, out, err, rejected = ps.import_file(path, "events", source)
    cells = rejected.set_index("event_id") if "event_id" in rejected else pd.DataFrame()
    if HOSTILE not in cells.index:
        raise bad("the row with a bad date was not rejected")
    if cells.loc[HOSTILE, "lon"] != "-87.95":
        raise bad(f"the rejected rows' CSV writes -87.95 as {cells.loc[HOSTILE, 'lon']!r}")
    if not str(cells.loc[HOSTILE, "title"]).startswith("'="):
        raise bad(f"a formula in the rejected rows' CSV is not made safe: {cells.loc[HOSTILE, 'title']!r}")
    fixed = rejected.drop(columns=[c for c in ("reason", "row") if c in rejected]).assign(start="2025-03-05")
    again = folder / "fixed.csv"
    fixed.to_csv(again, index=False)
    code, out, err, _ = ps.import_file(again, "events", source)
    events = ps.stored(source, "events").set_index("event_id")
    if code != 0 or HOSTILE not in events.index or abs(float(events.loc[HOSTILE, "lon"]) + 87.95) > 1e-9:
        raise bad(f"the fixed rejected row did not import back: exit {code} {(err or out).strip()[-200:]}")


probe("rejected rows/read back", LOW, "the rejected rows' CSV keeps -87.95 a number, makes =1+1 safe, and imports back",
      lambda folder: ps.write_rows(folder / "events.csv", ps.rows_with("events", {"start": "someday", "title": "=1+1"})),
      _reimport)  # fmt: skip

from scripts import probe_catalogue_held  # noqa: E402,F401
