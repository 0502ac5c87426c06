"""Settings from the environment: defaults, parsing, and clear errors for bad values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cpdash.config import DEFAULT_CACHE, DEFAULT_DATA, DEFAULT_K, DateWindow, Settings, settings_from_env


def test_defaults() -> None:
    settings = settings_from_env({})
    assert settings == Settings()
    assert settings.data == str(DEFAULT_DATA) and DEFAULT_DATA.name == "sample_data"
    assert settings.mode == "staff" and not settings.public
    assert settings.k == DEFAULT_K == 10
    assert settings.offline is False
    assert settings.cache_dir == DEFAULT_CACHE


def test_blank_values_mean_the_defaults() -> None:
    blank = {
        "CPDASH_DATA": " ",
        "CPDASH_MODE": "",
        "CPDASH_K": "  ",
        "CPDASH_OFFLINE": "",
        "CPDASH_CACHE": "",
    }
    assert settings_from_env(blank) == Settings()


def test_values_are_read_and_trimmed(tmp_path: Path) -> None:
    env = {
        "CPDASH_DATA": f"  {tmp_path}  ",
        "CPDASH_MODE": " Public ",
        "CPDASH_K": " 25 ",
        "CPDASH_OFFLINE": "1",
        "CPDASH_CACHE": str(tmp_path / "cache"),
    }
    settings = settings_from_env(env)
    assert settings.data == str(tmp_path)
    assert settings.mode == "public" and settings.public
    assert settings.k == 25
    assert settings.offline is True
    assert settings.cache_dir == tmp_path / "cache"


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPDASH_MODE", "public")
    monkeypatch.setenv("CPDASH_K", "3")
    settings = settings_from_env()
    assert settings.public and settings.k == 3


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes", "on", " on "])
def test_offline_true(value: str) -> None:
    assert settings_from_env({"CPDASH_OFFLINE": value}).offline is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", "", " "])
def test_offline_false(value: str) -> None:
    assert settings_from_env({"CPDASH_OFFLINE": value}).offline is False


@pytest.mark.parametrize("value", ["maybe", "yse", "2", "enabled"])
def test_offline_bad_value(value: str) -> None:
    # a typo must not silently turn an offline deployment into one that calls outside hosts
    with pytest.raises(ValueError, match=rf"^CPDASH_OFFLINE must be one of .*not '{value}'$"):
        settings_from_env({"CPDASH_OFFLINE": value})


@pytest.mark.parametrize("value", ["admin", "staf", "public-kiosk"])
def test_mode_bad_value(value: str) -> None:
    with pytest.raises(ValueError, match=rf"^CPDASH_MODE must be one of staff, public, not '{value}'$"):
        settings_from_env({"CPDASH_MODE": value})


@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5", "+5", "1e3", "²"])
def test_k_bad_value(value: str) -> None:
    with pytest.raises(ValueError, match="^CPDASH_K must be a whole number of at least 1, not "):
        settings_from_env({"CPDASH_K": value})


def test_k_smallest_allowed() -> None:
    assert settings_from_env({"CPDASH_K": "1"}).k == 1


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().mode = "public"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2000-01-01..2030-12-31", date(2000, 1, 1), date(2030, 12, 31)),
        (" 2000-01-01 .. ", date(2000, 1, 1), None),
        ("..2030-12-31", date(1990, 1, 1), date(2030, 12, 31)),
        ("", date(1990, 1, 1), None),
    ],
)
def test_date_window(text: str, first: date, last: date | None) -> None:
    window = settings_from_env({"CPDASH_DATE_WINDOW": text}).date_window
    assert window == DateWindow(first, last)
    assert window.bounds(date(2026, 2, 28))[1] == (last or date(2027, 2, 28))


def test_the_default_window_ends_a_year_after_today_even_on_29_february() -> None:
    assert DateWindow().bounds(date(2028, 2, 29)) == (date(1990, 1, 1), date(2029, 2, 28))
    assert DateWindow().text(date(2026, 5, 10)) == "1990-01-01 to 2027-05-10"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2000-01-01", "must be two dates as FIRST..LAST"),
        ("2000-01-01..2030-13-01", "dates must be written YYYY-MM-DD"),
        ("01/01/2000..", "dates must be written YYYY-MM-DD"),
        ("2030-01-01..2000-01-01", "the last date is before the first"),
    ],
)
def test_date_window_bad_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^CPDASH_DATE_WINDOW.*{message}"):
        settings_from_env({"CPDASH_DATE_WINDOW": text})


def test_the_comments_left_for_the_background_are_a_setting() -> None:
    from cpdash.config import DEFAULT_SCORE_LATER

    assert settings_from_env({}).score_later == DEFAULT_SCORE_LATER == 50_000
    assert settings_from_env({"CPDASH_SCORE_LATER": " 1 "}).score_later == 1
    for bad in ("0", "-5", "many", "1.5"):
        with pytest.raises(
            ValueError, match=rf"^CPDASH_SCORE_LATER must be a whole number of at least 1, not '{bad}'$"
        ):
            settings_from_env({"CPDASH_SCORE_LATER": bad})
