"""Validated tables kept on disk, one file per table, so that a load after some files changed re-reads and
re-validates only the tables those files decide.

A table's snapshot is keyed by its own file and the files its checks read (area ids for every table, event
ids for the tables that link to events; the programs for events and those linking to them), by the code
that validates and by the date window: any change to one of them makes that table load afresh, so the
cross-table checks always see the current areas and events. Snapshots live in the score cache folder,
written by this program only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cpdash.config import date_window
from cpdash.data.dataset import TableReport

SNAPSHOT_DIR = "datasets"
KEEP = 2  # snapshots kept: the newest, and one before it
# Modules whose code decides what a load produces: a change to any of them invalidates every snapshot.
CODE_FILES = (
    "data/dataset.py",
    "data/geo.py",
    "data/readers.py",
    "data/load.py",
    "data/scoring.py",
    "data/placing.py",
    "data/programs.py",
    "data/schema.py",
    "text/sentiment.py",
    "importing/transforms.py",
    "data/validate.py",
    "data/dates.py",
    "data/cells.py",
    "data/jsonfile.py",
    "data/limits.py",
)

log = logging.getLogger(__name__)


def _code_version() -> str:
    """A hash of the loading code and the pandas version."""
    digest = hashlib.blake2b(pd.__version__.encode(), digest_size=16)
    here = Path(__file__).resolve().parent.parent  # the cpdash package
    for name in CODE_FILES:
        path = here / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# The tables whose checks each table's rows go through: its own file, then the ones it is checked against.
DEPENDS_ON = {"areas": ("areas",), "events": ("areas", "events")}
LINKED = ("areas", "events")  # every other table is checked against area ids and event ids


@dataclass(frozen=True)
class Saved:
    """One table as last loaded: its value (a frame, or the areas with their shapes), report and notes."""

    value: Any
    report: TableReport | None
    notes: tuple[str, ...] = ()


def file_signature(path: Path | None) -> str:
    """A file's name, size and modification time ("absent" for no file)."""
    if path is None:
        return "absent"
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


@dataclass
class TableSnapshots:
    """The per-table snapshots of one folder source."""

    cache_dir: Path
    files: dict[str, Path]
    programs: tuple[str, ...] | None = None
    _code: str = field(default="", repr=False)

    def key(self, table: str) -> str:
        """The key of `table`'s snapshot: its file, the files it is checked against, code and dates."""
        self._code = self._code or _code_version()
        depends = DEPENDS_ON.get(table, (*LINKED, table))
        parts = [f"{name}={file_signature(self.files.get(name))}" for name in depends]
        if table != "areas":
            parts.append(f"programs={self.programs}")
        text = f"{table}|{'|'.join(parts)}|{self._code}|dates {date_window().text()}"
        return f"{table}-{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"

    def path(self, table: str) -> Path:
        """Where `table`'s snapshot lives."""
        return Path(self.cache_dir) / SNAPSHOT_DIR / f"{self.key(table)}.pickle"

    def get(self, table: str) -> Saved | None:
        """The table as saved for these files, or None (absent, stale or unreadable: never an error)."""
        if table not in self.files:
            return None
        path = self.path(table)
        try:
            with path.open("rb") as handle:
                saved = pickle.load(handle)  # a file this program wrote in its own cache folder
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged snapshot is rebuilt, never fatal
            log.warning("ignoring unreadable data snapshot %s: %s", path, exc)
            return None
        return saved if isinstance(saved, Saved) else None

    def put(self, table: str, saved: Saved) -> None:
        """Save a table that loaded (atomically: a temporary file, then rename); keep only the newest few."""
        if table in self.files:
            save(self.path(table), table, saved)


def save(path: Path, table: str, saved: Saved) -> None:
    """Save `table` as `path` (a TableSnapshots path), unless it failed; keep only its newest few."""
    if saved.report is None or saved.report.status == "failed":
        return  # a failure may be passing (a locked file): it is retried on the next load
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        mine = sorted(path.parent.glob(f"{table}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in mine[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:  # a read-only or full disk only costs the next start its speed
        log.warning("could not save the data snapshot %s: %s", path, exc)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
