"""Faults injected at each step of a folder store's commit: a kill -9, or a full disk. Shared by
tests/test_store.py and the import-log probes (scripts/probes.py); each step with whether the import has
happened (its rows stored) when the fault strikes there."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from cpdash.importing import journal
from cpdash.importing import store as store_module

KILL_STEPS = {
    "before the pending entry": False,
    "after the pending entry": False,
    "right after the swap": True,
    "before the commit mark": True,
    "after the commit mark": True,
}
DISK_STEPS = {
    "writing the new file": False,
    "flushing the new file": False,
    "appending the pending entry": False,
    "the swap": False,
    "the swap, and marking it rolled back": False,
    "flushing the folder after the swap": True,
    "setting the old file aside": True,
    "marking it committed": True,
}


def full_disk(*args, **kwargs):
    raise OSError(28, "No space left on device")


def die_at(step: str) -> None:
    """Make this process kill itself (SIGKILL: no cleanup, no finally) at `step` of its next commit."""

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    real_append, real_replace = journal.append, os.replace

    def append(path, item):
        state = item.get("state")
        if (step, state) in (
            ("before the pending entry", journal.PENDING),
            ("before the commit mark", journal.COMMITTED),
        ):
            die()
        real_append(path, item)
        if (step, state) in (
            ("after the pending entry", journal.PENDING),
            ("after the commit mark", journal.COMMITTED),
        ):
            die()

    def replace(source, target):
        real_replace(source, target)
        if step == "right after the swap":
            die()

    journal.append = append
    store_module.os.replace = replace


def _failing_append(state: str):
    """journal.append failing (a full disk) for lines of one state only."""
    real = journal.append

    def append(path: Path, item: dict) -> None:
        if item.get("state") == state:
            full_disk()
        real(path, item)

    return append


def _failing_folder_fsync(folder: Path):
    """_fsync_folder failing for `folder` only (not for the store's tmp folder)."""
    real = store_module._fsync_folder

    def fsync(path: Path) -> None:
        if Path(path) == Path(folder):
            full_disk()
        real(path)

    return fsync


def disk_full_at(step: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk at `step` of the next commit into `folder` (undone with monkeypatch.undo())."""
    faults = {
        "writing the new file": [(pd.DataFrame, "to_csv", full_disk)],
        "flushing the new file": [(store_module.os, "fsync", full_disk)],
        "appending the pending entry": [(journal, "append", _failing_append(journal.PENDING))],
        "the swap": [(store_module.os, "replace", full_disk)],
        "the swap, and marking it rolled back": [
            (store_module.os, "replace", full_disk),
            (journal, "append", _failing_append(journal.ROLLED_BACK)),
        ],
        "flushing the folder after the swap": [
            (store_module, "_fsync_folder", _failing_folder_fsync(folder))
        ],
        "setting the old file aside": [(store_module.FolderStore, "_set_aside", full_disk)],
        "marking it committed": [(journal, "append", _failing_append(journal.COMMITTED))],
    }
    for target, name, value in faults[step]:
        monkeypatch.setattr(target, name, value)
