"""Phrase banks for the synthetic sample city: names, titles, comments, concerns and actions.

The words live in `text.json` beside this module (read once, on import); here each bank gets its name and
type. JSON lists become tuples, so the banks are immutable. Every name in them is invented. Templates use
`{field}` placeholders that `cpdash.sample` fills column-wise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEXT_FILE = Path(__file__).with_name("text.json")


def _frozen(value: Any) -> Any:
    """JSON lists as tuples, at every depth (objects stay dicts)."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


_BANKS: dict[str, Any] = _frozen(json.loads(TEXT_FILE.read_text(encoding="utf-8")))

# --- Places ---------------------------------------------------------------------------------------

# Curated neighbourhood names for the demo city; the story areas get their own names (see sample.STORIES).
DEMO_AREA_NAMES: tuple[str, ...] = _BANKS["DEMO_AREA_NAMES"]

# Building blocks for the many names a city-scale data set needs.
AREA_NAME_CORES: tuple[str, ...] = _BANKS["AREA_NAME_CORES"]
AREA_NAME_PREFIXES: tuple[str, ...] = _BANKS["AREA_NAME_PREFIXES"]
AREA_NAME_SUFFIXES: tuple[str, ...] = _BANKS["AREA_NAME_SUFFIXES"]

# Streets running north-south (west to east) and east-west (south to north).
NS_STREETS: tuple[str, ...] = _BANKS["NS_STREETS"]
EW_STREETS: tuple[str, ...] = _BANKS["EW_STREETS"]

CAFE_OWNERS: tuple[str, ...] = _BANKS["CAFE_OWNERS"]
CAFE_KINDS: tuple[str, ...] = _BANKS["CAFE_KINDS"]
CAFE_NAMES: tuple[str, ...] = _BANKS["CAFE_NAMES"]
PARK_NAMES: tuple[str, ...] = _BANKS["PARK_NAMES"]
PARK_KINDS: tuple[str, ...] = _BANKS["PARK_KINDS"]
SCHOOL_NAMES: tuple[str, ...] = _BANKS["SCHOOL_NAMES"]
SCHOOL_KINDS: tuple[str, ...] = _BANKS["SCHOOL_KINDS"]
CHURCH_NAMES: tuple[str, ...] = _BANKS["CHURCH_NAMES"]
CENTER_KINDS: tuple[str, ...] = _BANKS["CENTER_KINDS"]
OFFICER_NAMES: tuple[str, ...] = _BANKS["OFFICER_NAMES"]
FIRST_NAMES: tuple[str, ...] = _BANKS["FIRST_NAMES"]
LAST_NAMES: tuple[str, ...] = _BANKS["LAST_NAMES"]

# --- Events ---------------------------------------------------------------------------------------

PARTNERS: dict[str, tuple[str, ...]] = _BANKS["PARTNERS"]

# Titles per program: (template, months it fits or None for any month).
TITLES: dict[str, tuple[tuple[str, tuple[int, ...] | None], ...]] = _BANKS["TITLES"]

DESCRIPTIONS: dict[str, tuple[str, ...]] = _BANKS["DESCRIPTIONS"]

# --- Comments -------------------------------------------------------------------------------------

# Concern and comment topics, in the order used by the generator.
TOPICS: tuple[str, ...] = _BANKS["TOPICS"]

OPENERS_EN: tuple[str, ...] = _BANKS["OPENERS_EN"]
OPENERS_ES: tuple[str, ...] = _BANKS["OPENERS_ES"]
CLOSERS_EN: dict[str, tuple[str, ...]] = _BANKS["CLOSERS_EN"]
CLOSERS_ES: dict[str, tuple[str, ...]] = _BANKS["CLOSERS_ES"]
PRAISE_EN: tuple[str, ...] = _BANKS["PRAISE_EN"]
PRAISE_EVENT_EN: tuple[str, ...] = _BANKS["PRAISE_EVENT_EN"]
PRAISE_YOUTH_EN: tuple[str, ...] = _BANKS["PRAISE_YOUTH_EN"]
COMPLAINT_EN: dict[str, tuple[str, ...]] = _BANKS["COMPLAINT_EN"]
REQUEST_EN: tuple[str, ...] = _BANKS["REQUEST_EN"]
MIXED_EN: tuple[str, ...] = _BANKS["MIXED_EN"]
SHORT_POSITIVE_EN: tuple[str, ...] = _BANKS["SHORT_POSITIVE_EN"]
SHORT_NEGATIVE_EN: tuple[str, ...] = _BANKS["SHORT_NEGATIVE_EN"]
SHORT_NEUTRAL_EN: tuple[str, ...] = _BANKS["SHORT_NEUTRAL_EN"]
PRAISE_ES: tuple[str, ...] = _BANKS["PRAISE_ES"]
COMPLAINT_ES: tuple[str, ...] = _BANKS["COMPLAINT_ES"]
REQUEST_ES: tuple[str, ...] = _BANKS["REQUEST_ES"]
MIXED_ES: tuple[str, ...] = _BANKS["MIXED_ES"]

# Personal details some residents add; the dashboard must redact these.
CONTACT_EN: tuple[str, ...] = _BANKS["CONTACT_EN"]
CONTACT_ES: tuple[str, ...] = _BANKS["CONTACT_ES"]

# --- Concerns -------------------------------------------------------------------------------------

CONCERN_SOURCES: tuple[str, ...] = _BANKS["CONCERN_SOURCES"]
CONCERN_SUMMARIES: dict[str, tuple[str, ...]] = _BANKS["CONCERN_SUMMARIES"]
ACTIONS_RESOLVED: dict[str, tuple[str, ...]] = _BANKS["ACTIONS_RESOLVED"]
ACTIONS_IN_PROGRESS: tuple[str, ...] = _BANKS["ACTIONS_IN_PROGRESS"]
ACTIONS_DECLINED: tuple[str, ...] = _BANKS["ACTIONS_DECLINED"]
