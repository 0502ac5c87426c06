"""Secrets are never shown: a database password in any part of the URL (user:password@, ?password=, any other
credential-bearing query value) stays out of every place that shows a source, and the public Data page does
not show the server's folder path. The databases here cannot be reached: no server is needed."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from conftest import open_app_page, write_csv

from cpdash.__main__ import EXIT_UNUSABLE, main
from cpdash.data.database import display_url, scrub, select_rows
from cpdash.data.load import load_dataset, source_signature
from cpdash.data.readers import DataError
from cpdash.importing.store import StoreError, open_store
from cpdash.metrics.periods import Filters

SECRET = "s3cret-Pw"
URLS = [
    f"postgresql+psycopg://cpdash:{SECRET}@127.0.0.1:1/riverton",
    f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?password={SECRET}",
    f"postgresql+psycopg://127.0.0.1:1/riverton?user=cpdash&password={SECRET}&sslmode=disable",
    f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?sslmode=require&sslpassword={SECRET}",
    f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?PassWord={SECRET}",
    f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?token={SECRET}&token=other",
    "postgresql+psycopg://cpdash:s3cret%2DPw@127.0.0.1:1/riverton",  # the password written URL-encoded
    f"postgresql+nodriver://cpdash@127.0.0.1:1/riverton?password={SECRET}",  # no such driver
    f"postgresql+psycopg://cpdash@127.0.0.1:port/riverton?password={SECRET}",  # cannot be parsed
    f"postgresql+psycopg://cpdash:{SECRET}@127.0.0.1:1/riverton?password={SECRET}2",
]
FILTERS = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))


def no_secret(*texts: object) -> None:
    for text in texts:
        assert "s3cret" not in str(text), text
        assert "%2DPw" not in str(text), text


@pytest.mark.parametrize("url", URLS)
def test_display_url_hides_every_credential(url: str) -> None:
    shown = display_url(url)
    no_secret(shown)
    assert shown == "database URL (unreadable)" or "riverton" in shown


def test_display_url_keeps_what_is_harmless() -> None:
    shown = display_url(f"postgresql+psycopg://cpdash:{SECRET}@db:5432/riverton?sslmode=require&password=x")
    assert shown == "postgresql+psycopg://cpdash:***@db:5432/riverton?sslmode=require&password=***"


@pytest.mark.parametrize("url", URLS)
def test_loading_reports_no_secret(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ds = load_dataset(url)
    assert ds.report.errors  # the database cannot be reached: said, without its password
    no_secret(ds.report.source, *ds.report.errors, *ds.report.warnings, *ds.report.notes, caplog.text)
    no_secret(source_signature(url))


@pytest.mark.parametrize("url", URLS)
def test_reading_and_writing_errors_carry_no_secret(url: str) -> None:
    with pytest.raises(DataError) as selecting:
        select_rows(url, "events", FILTERS)
    with pytest.raises(StoreError) as logging_:
        open_store(url).read_log()
    no_secret(selecting.value, logging_.value)


@pytest.mark.parametrize("url", URLS)
def test_the_command_line_prints_no_secret(url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    export = write_csv(
        tmp_path / "e.csv", [{"event_id": "E1", "start": "2025-01-01", "program": "Town hall"}]
    )
    assert main(["log", "--into", url]) == EXIT_UNUSABLE
    code = main(["import", str(export), "--table", "events", "--mapping", "suggest", "--into", url])
    assert code == EXIT_UNUSABLE
    out = capsys.readouterr()
    assert "error:" in out.err
    no_secret(out.out, out.err)


def test_scrub_takes_out_the_secret_however_it_is_written() -> None:
    url = "postgresql+psycopg://cpdash:p%40ss-word@h/db?sslpassword=other-secret"
    text = "failed for p@ss-word and p%40ss-word with other-secret"
    assert scrub(text, url) == "failed for *** and *** with ***"


def page_texts(at) -> str:
    """Every text the page shows."""
    parts = []
    for kind in ("title", "markdown", "caption", "error", "warning", "info", "success", "exception", "text"):
        parts += [str(getattr(element, "value", "")) for element in getattr(at, kind)]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    return "\n".join(parts).replace("\\", "")  # Markdown escapes taken out: the text as read


@pytest.mark.apptest
@pytest.mark.parametrize("mode", ["staff", "public"])
def test_the_data_page_and_the_banner_show_no_password(env, mode: str) -> None:
    url = f"postgresql+psycopg://cpdash@127.0.0.1:1/riverton?password={SECRET}"
    env(Path("unused"), CPDASH_DATA=url, CPDASH_MODE=mode)
    at = open_app_page("pages/data.py", "Data")
    shown = page_texts(at)
    no_secret(shown)
    assert "cannot connect" in shown  # the banner and the report still say what is wrong
    assert ("Source: database riverton" in shown) is (mode == "public")


@pytest.mark.apptest
@pytest.mark.parametrize("missing", [False, True])
def test_the_public_data_page_does_not_show_the_server_folder(
    env, folder_source: Path, missing: bool
) -> None:
    source = folder_source.parent / "gone" if missing else folder_source
    env(source, CPDASH_MODE="public")
    shown = page_texts(open_app_page("pages/data.py", "Data"))
    assert str(source.parent) not in shown and f"Source: {source.name}" in shown
    assert ("data source gone: no such folder" in shown) is missing
    env(source, CPDASH_MODE="staff")
    assert str(source) in page_texts(open_app_page("pages/data.py", "Data"))  # staff see where it is
