"""A validated data set kept on disk, so that a restart with unchanged files skips reading and validating.

The snapshot is keyed by the source's signature (its files' names, sizes and modification times) and by
the code that validates, so any change to either makes a fresh load. It lives in the score cache folder,
written by this program only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

import pandas as pd

from cpdash.config import date_window
from cpdash.data.dataset import Dataset

SNAPSHOT_DIR = "datasets"
KEEP = 2  # snapshots kept: the newest, and one before it
# Modules whose code decides what a load produces: a change to any of them invalidates every snapshot.
CODE_FILES = (
    "data/dataset.py",
    "data/geo.py",
    "data/readers.py",
    "data/load.py",
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


def snapshot_path(cache_dir: Path, signature: str) -> Path:
    """Where the snapshot of a source with this signature lives."""
    # the date window decides which rows are kept, so a snapshot holds for one window only
    key_text = f"{signature}|{_code_version()}|dates {date_window().text()}"
    key = hashlib.blake2b(key_text.encode(), digest_size=16).hexdigest()
    return Path(cache_dir) / SNAPSHOT_DIR / f"{key}.pickle"


def read_snapshot(cache_dir: Path, signature: str) -> Dataset | None:
    """The data set saved for this signature, or None (absent, stale or unreadable: never an error)."""
    path = snapshot_path(cache_dir, signature)
    try:
        with path.open("rb") as handle:
            dataset = pickle.load(handle)  # a file this program wrote in its own cache folder
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged snapshot is rebuilt, never fatal
        log.warning("ignoring unreadable data snapshot %s: %s", path, exc)
        return None
    return dataset if isinstance(dataset, Dataset) else None


def write_snapshot(cache_dir: Path, signature: str, dataset: Dataset) -> None:
    """Save the data set atomically (temporary file, then rename); keep only the newest few."""
    path = snapshot_path(cache_dir, signature)
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            pickle.dump(dataset, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        old = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]
        for stale in old:
            stale.unlink(missing_ok=True)
    except OSError as exc:  # a read-only or full disk only costs the next start its speed
        log.warning("could not save the data snapshot %s: %s", path, exc)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
