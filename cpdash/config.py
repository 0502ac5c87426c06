"""Settings read from the environment: where the data is, who the deployment is for, thresholds."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "sample_data"
DEFAULT_CACHE = REPO_ROOT / ".cache"
DEFAULT_K = 10
DEFAULT_SCORE_LATER = 50_000  # comments to score (about 1.5 s of VADER) before a load leaves them for later
DEFAULT_SIGNIN_HOURS = 12.0  # how long a sign-in lasts from when the identity provider issued it (a shift)
MODES = ("staff", "public")
STREAMLIT_CONFIG = REPO_ROOT / ".streamlit" / "config.toml"
STREAMLIT_UPLOAD_DEFAULT_MB = 200  # Streamlit's own default when config.toml sets none


def upload_limit_mb(path: Path = STREAMLIT_CONFIG) -> int:
    """The largest upload in megabytes: the server's `maxUploadSize`, the one setting of this limit."""
    try:
        with path.open("rb") as handle:
            return int(
                tomllib.load(handle).get("server", {}).get("maxUploadSize", STREAMLIT_UPLOAD_DEFAULT_MB)
            )
    except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError):
        return STREAMLIT_UPLOAD_DEFAULT_MB


UPLOAD_LIMIT_MB = upload_limit_mb()
DATE_WINDOW_FIRST = date(1990, 1, 1)  # the earliest date accepted by default


@dataclass(frozen=True)
class DateWindow:
    """The dates a row may carry (CPDASH_DATE_WINDOW); rows dated outside are rejected with a reason."""

    first: date = DATE_WINDOW_FIRST
    last: date | None = None  # None: one year after today

    def bounds(self, today: date | None = None) -> tuple[date, date]:
        """The first and last accepted days (both included)."""
        if self.last is not None:
            return self.first, self.last
        today = today or date.today()
        try:
            return self.first, today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            return self.first, today + timedelta(days=365)

    def text(self, today: date | None = None) -> str:
        """`1990-01-01 to 2027-05-10`."""
        first, last = self.bounds(today)
        return f"{first.isoformat()} to {last.isoformat()}"


def parse_date_window(text: str | None) -> DateWindow:
    """`FIRST..LAST` (ISO dates, either side blank for its default) as a DateWindow; ValueError if not."""
    text = (text or "").strip()
    if not text:
        return DateWindow()
    if ".." not in text:
        raise ValueError(
            f"CPDASH_DATE_WINDOW must be two dates as FIRST..LAST (such as 2000-01-01..2030-12-31; either may "
            f"be left blank for its default), not {text!r}"
        )
    first_text, last_text = (part.strip() for part in text.split("..", 1))
    try:
        first = date.fromisoformat(first_text) if first_text else DATE_WINDOW_FIRST
        last = date.fromisoformat(last_text) if last_text else None
    except ValueError:
        raise ValueError(f"CPDASH_DATE_WINDOW: dates must be written YYYY-MM-DD, not {text!r}") from None
    window = DateWindow(first, last)
    if window.bounds()[1] < first:
        raise ValueError(f"CPDASH_DATE_WINDOW: the last date is before the first ({text!r})")
    return window


def date_window(environ: Mapping[str, str] | None = None) -> DateWindow:
    """The date window from CPDASH_DATE_WINDOW (the default when unset); bad values raise ValueError."""
    env = os.environ if environ is None else environ
    return parse_date_window(env.get("CPDASH_DATE_WINDOW"))


@dataclass(frozen=True)
class Settings:
    """Deployment settings; every field has an environment variable (see README)."""

    data: str = str(DEFAULT_DATA)  # CPDASH_DATA: a folder of files
    mode: str = "staff"  # CPDASH_MODE: staff | public
    k: int = DEFAULT_K  # CPDASH_K: fewest responses a figure may rest on
    offline: bool = False  # CPDASH_OFFLINE: no request to any outside host (no street basemap)
    cache_dir: Path = DEFAULT_CACHE  # CPDASH_CACHE: where computed scores are kept between runs
    date_window: DateWindow = field(default_factory=DateWindow)  # CPDASH_DATE_WINDOW: dates accepted
    roles: str = ""  # CPDASH_ROLES: the role file ("": roles.toml beside the data)
    signin_hours: float = DEFAULT_SIGNIN_HOURS  # CPDASH_SIGNIN_HOURS: how long a sign-in lasts
    score_later: int = (
        DEFAULT_SCORE_LATER  # CPDASH_SCORE_LATER: comments left to score that go to the background
    )

    @property
    def public(self) -> bool:
        """True in the public deployment (aggregates only, small numbers suppressed)."""
        return self.mode == "public"

    @property
    def kiosk(self) -> bool:
        """True when the deployment is pinned to the public view (CPDASH_MODE=public): no sign-in offered."""
        return self.public


def _flag(name: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be one of 1, true, yes, on, 0, false, no, off, not {value!r}")


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from CPDASH_* environment variables, with defaults; bad values raise ValueError."""
    env = os.environ if environ is None else environ
    mode = env.get("CPDASH_MODE", "staff").strip().lower() or "staff"
    if mode not in MODES:
        raise ValueError(f"CPDASH_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    k_text = env.get("CPDASH_K", str(DEFAULT_K)).strip() or str(DEFAULT_K)
    if not k_text.isdecimal() or int(k_text) < 1:
        raise ValueError(f"CPDASH_K must be a whole number of at least 1, not {k_text!r}")
    hours_text = env.get("CPDASH_SIGNIN_HOURS", "").strip()
    try:
        hours = float(hours_text) if hours_text else DEFAULT_SIGNIN_HOURS
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 90:
        raise ValueError(
            f"CPDASH_SIGNIN_HOURS must be a number of hours above 0 (at most 2160), not {hours_text!r}"
        )
    later_text = env.get("CPDASH_SCORE_LATER", "").strip() or str(DEFAULT_SCORE_LATER)
    if not later_text.isdecimal() or int(later_text) < 1:
        raise ValueError(f"CPDASH_SCORE_LATER must be a whole number of at least 1, not {later_text!r}")
    return Settings(
        data=env.get("CPDASH_DATA", "").strip() or str(DEFAULT_DATA),
        mode=mode,
        k=int(k_text),
        offline=_flag("CPDASH_OFFLINE", env.get("CPDASH_OFFLINE")),
        cache_dir=Path(env.get("CPDASH_CACHE", "").strip() or DEFAULT_CACHE),
        date_window=date_window(env),
        roles=env.get("CPDASH_ROLES", "").strip(),
        signin_hours=hours,
        score_later=int(later_text),
    )
