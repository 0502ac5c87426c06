"""What the probes share: a small data source, hostile files in each format the importer reads, the command
line run in-process, the pages run in AppTest, and the checks that class an outcome (scripts/probes.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from scripts.probes import bad, crash, lie
from tests.conftest import area_features, feature, write_geojson

GOOD = {  # a row each table accepts; a probe spoils one row's cells
    "events": {"event_id": "G", "start": "2025-03-01", "program": "Town hall", "area_id": "001",
               "title": "Spring meeting", "attendance": "12", "lat": "41.85", "lon": "-87.95"},
    "responses": {"response_id": "G", "submitted": "2025-03-01", "area_id": "001", "trust": "7",
                  "safety": "6", "comment": "Good meeting"},
    "concerns": {"concern_id": "G", "raised": "2025-03-01", "area_id": "001", "topic": "noise",
                 "status": "open", "summary": "Loud music"},
    "area_scores": {"period_start": "2025-03-01", "period_end": "2025-03-31", "level": "district",
                    "area_id": "001", "metric": "trust", "value": "55", "n": "40", "group": ""},
}  # fmt: skip
KEY = {"events": "event_id", "responses": "response_id", "concerns": "concern_id", "area_scores": "metric"}
GOOD_ROWS = 4
HOSTILE = "H1"


class Raw(str):
    """A JSON value written as is (NaN, Infinity, a 5,000-digit number), not as a string."""


def make_source(folder: Path, events: bool = True) -> Path:
    """A folder source: three square areas (001, 002, 003) and two stored events."""
    source = folder / "source"
    source.mkdir(exist_ok=True)
    write_geojson(source / "areas.geojson", area_features())
    if events:
        rows = [{**GOOD["events"], "event_id": f"S{i}", "start": f"2025-02-0{i}"} for i in (1, 2)]
        pd.DataFrame(rows).to_csv(source / "events.csv", index=False)
    return source


def rows_with(table: str, cells: dict, good: int = GOOD_ROWS) -> list[dict]:
    """`good` good rows and one hostile row (its id HOSTILE) with `cells` in place of the good ones."""
    key = KEY[table]
    rows = []
    for i in range(good):
        row = dict(GOOD[table])
        if table == "area_scores":
            row["metric"] = ("trust", "safety", "listen", "respect")[i % 4]
            row["area_id"] = ("001", "002", "003")[i // 4 % 3]
        else:
            row[key] = f"G{i}"
        rows.append(row)
    hostile = {**GOOD[table], **({key: HOSTILE} if table != "area_scores" else {"area_id": "003"}), **cells}
    return [*rows, hostile]


def write_rows(path: Path, rows: list[dict]) -> Path:
    """Write `rows` as CSV, Excel, JSON records or GeoJSON points (by the ending of `path`)."""
    kind = path.suffix.lower()
    if kind == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    elif kind == ".xlsx":
        frame = pd.DataFrame(rows)
        frame.to_excel(path, index=False, sheet_name=path.stem)
    elif kind == ".json":
        path.write_text(_json(rows), encoding="utf-8")
    elif kind == ".geojson":
        features = []
        for row in rows:
            props = {k: v for k, v in row.items() if k not in ("lat", "lon")}
            point = {
                "type": "Point",
                "coordinates": [Raw(row.get("lon", "-87.95")), Raw(row.get("lat", "41.85"))],
            }
            features.append(feature(props, point))
        path.write_text(_json({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    else:
        raise ValueError(kind)
    return path


def _json(value: object) -> str:
    """JSON with Raw values written as they are."""
    raws: list[str] = []

    def mark(v: object) -> object:
        if isinstance(v, Raw):
            raws.append(str(v))
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        return v

    text = json.dumps(mark(value))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@raw{i}@@"', raw)
    return text


def cli(*args: object, **env: str) -> tuple[int, str, str]:
    """`python -m cpdash ARGS` run in this process (the same main()): exit code, stdout, stderr."""
    from cpdash.__main__ import main

    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse refusing the arguments
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def no_traceback(code: int, err: str) -> None:
    """A crash: a traceback, or the exit code of a failure no check foresaw."""
    if "Traceback" in err:
        raise crash(err.strip().splitlines()[-1][:300])
    if code == 3:
        raise crash(f"exit 3: {err.strip()[:300]}")


def import_file(
    path: Path, table: str, source: Path, *more: object, **env: str
) -> tuple[int, str, str, pd.DataFrame]:
    """Import `path` with the suggested mapping, allowing nearly every row to be rejected; the exit code, the
    output and the rejected rows written out."""
    rejected = path.with_name(f"{path.stem}-rejected.csv")
    code, out, err = cli(
        "import", path, "--table", table, "--mapping", "suggest", "--into", source,
        "--max-rejected", "90", "--rejected-out", rejected, *more, **env,
    )  # fmt: skip
    no_traceback(code, err)
    frame = (
        pd.read_csv(rejected, dtype="string", encoding="utf-8-sig") if rejected.is_file() else pd.DataFrame()
    )
    return code, out, err, frame


def reason_of(rejected: pd.DataFrame, table: str, key: str = HOSTILE) -> str | None:
    """The reason the hostile row was rejected for, or None when it was not."""
    if rejected.empty or "reason" not in rejected.columns:
        return None
    columns = [c for c in rejected.columns if c.lower() in ("event_id", "response_id", "concern_id", "id")]
    for column in columns:
        hit = rejected[rejected[column].astype("string") == key]
        if len(hit):
            return str(hit["reason"].iloc[0])
    if table == "area_scores" and len(rejected) == 1:
        return str(rejected["reason"].iloc[0])
    return None


def stored(source: Path | str, table: str) -> pd.DataFrame:
    """The table as the app loads it now."""
    from cpdash.data.load import load_dataset

    frame = getattr(load_dataset(source, tables=[table, "areas"]), table)
    return frame if frame is not None else pd.DataFrame()


def expect_rejected(
    path: Path, table: str, words: Iterable[str], source: Path | None = None, **env: str
) -> None:
    """The hostile row of `path` is rejected with a reason holding one of `words`; the good rows are
    stored; the command exits 0."""
    source = source or make_source(path.parent)
    code, out, err, rejected = import_file(path, table, source, **env)
    if code != 0:
        raise bad(f"exit {code}: {(err or out).strip()[:300]}")
    reason = reason_of(rejected, table)
    if reason is None:
        frame = stored(source, table)
        key = KEY[table]
        kept = (
            frame[frame[key].astype("string") == HOSTILE]
            if key in frame and table != "area_scores"
            else frame
        )
        raise bad(f"the hostile row was accepted without a reason: {kept.head(1).to_dict('records')}")
    if not any(w.lower() in reason.lower() for w in words):
        raise bad(f"rejected, but the reason does not say why: {reason!r}")
    if f"{GOOD_ROWS} accepted" not in out:
        raise bad(f"the good rows were not all accepted: {out.strip().splitlines()[:2]}")


def no_date_outside(source: Path, table: str, column: str) -> None:
    """Every stored date of `column` lies in the date window (a far date stored as another one is a lie)."""
    frame = stored(source, table)
    if column not in frame or frame.empty:
        return
    years = pd.to_datetime(frame[column], errors="coerce").dt.year.dropna()
    odd = years[(years < 1990) | (years > date.today().year + 1)]
    if len(odd):
        raise bad(f"stored with a date outside the window, no warning: years {sorted(set(odd.astype(int)))}")


def route_through_router() -> None:
    """AppTest runs every page through dashboard.py, as a server does (see tests/conftest.py)."""
    import pytest

    from tests.conftest import route_pages_through_router

    route_pages_through_router(pytest.MonkeyPatch())


def open_page(page: str, query: dict | None = None, **env: str):
    """The app on `page` in AppTest with the settings `env`; a crash when the page shows an exception."""
    from tests.walk import open_app

    os.environ.update(env)
    route_through_router()
    at = open_app(page, query)
    if at.exception:
        raise crash(f"{page}: {at.exception[0].value}"[:400])
    return at


def walk_view(
    page: str, query: dict | None = None, picked: str | None = None, chromium: bool = False, **env: str
):
    """Every output of one view (`picked`: the town hall's area), its downloads generated; Markdown that
    allows HTML is listed as html. Without `chromium` the packs are made without Chromium (no PDF, no PNG
    charts: the PDF is the HTML pack printed, and has a probe of its own)."""
    import pytest

    from tests.walk import Output, collect, recording

    if not chromium:
        os.environ["CPDASH_CHROMIUM"] = "/nonexistent/chromium"
    with recording(pytest.MonkeyPatch()) as downloads:
        at = open_page(page, query, **env)
        if picked:
            at.selectbox(key="town_hall_area").set_value(picked).run()
            if at.exception:
                raise crash(str(at.exception[0].value)[:300])
        outputs = collect(at, downloads, page)
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "markdown" and getattr(proto, "allow_html", False):
            outputs.append(Output(page, "html", proto.body))
    return outputs


def page_text(outputs) -> str:
    """Everything the outputs of a walk show, as one text."""
    return "\n".join(o.text for o in outputs)


def log_entries(source: Path | str, name: str) -> list[dict]:
    """The import log's entries for the file `name`."""
    from cpdash.importing.store import open_store

    return [e for e in open_store(source).read_log() if e.get("file") == name]


def log_agrees(source: Path | str, name: str, ids: set[str], table: str = "events") -> bool:
    """The import of `name` is logged if and only if its rows `ids` are stored; whether it happened."""
    logged = log_entries(source, name)
    have = set(stored(source, table)[KEY[table]].astype("string"))
    if len(logged) > 1:
        raise lie(f"{name} logged {len(logged)} times")
    if logged and not ids <= have:
        raise lie(f"{name} is logged but {len(ids - have):,} of its {len(ids):,} rows are not stored")
    if not logged and ids & have:
        raise lie(f"{len(ids & have):,} rows of {name} are stored but the import is not logged")
    return bool(logged)
