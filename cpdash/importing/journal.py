"""The folder store's import log (`.cpdash/imports.jsonl`), kept so that it never disagrees with the data.

An import is logged *before* its file is swapped in and confirmed after:

1. the new file is written into `.cpdash/tmp/` and flushed to disk;
2. a `pending` line naming that file is appended to the log and flushed (if this fails, nothing changed);
3. the file is swapped in with os.replace: the one atomic step that changes the data;
4. a `committed` line is appended (or `rolled back` when step 3 failed).

os.replace removes the new file's name from `.cpdash/tmp/` in the same instant as it puts it in place, and
nothing else removes it while its entry is unresolved, so a pending entry whose file is still in
`.cpdash/tmp/` was never swapped in, and one whose file is gone was. Whatever stopped an import (a kill -9,
a full disk, a power cut), the log read afterwards lists exactly the imports whose data is stored; the next
import (under the store's lock) writes down what happened to any unresolved entry and clears the leftovers.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cpdash.importing.importer import Prepared

LOG_COLUMNS = (
    "when",
    "file",
    "table",
    "mode",
    "rows_read",
    "accepted",
    "rejected",
    "duplicates",
    "updated",
    "mapping",
)
PENDING, COMMITTED, ROLLED_BACK = "pending", "committed", "rolled back"
INTERNAL_KEYS = ("id", "state", "tmp", "aside")  # the log's own bookkeeping, not shown


@dataclass
class LogEntry:
    """One committed import, as the import log keeps it."""

    when: str
    file: str
    table: str
    mode: str
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    updated: int
    mapping: str
    transforms: list[str] = field(default_factory=list)
    written: str = ""  # the file (or database table) written

    def to_dict(self) -> dict:
        """The entry as plain data."""
        return asdict(self)


def new_entry(prepared: Prepared, mode: str, mapping: str | None) -> LogEntry:
    """The log entry of committing `prepared` (counts filled in; `updated` set by the store)."""
    return LogEntry(
        when=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        file=prepared.file,
        table=prepared.table,
        mode=mode,
        rows_read=prepared.rows_read,
        accepted=prepared.rows_accepted,
        rejected=prepared.rows_rejected,
        duplicates=prepared.duplicates,
        updated=0,
        mapping=mapping or "(not saved)",
        transforms=prepared.profile.transforms_text(),
    )


def log_frame(entries: list[dict]) -> pd.DataFrame:
    """The import log as a table, newest first."""
    frame = pd.DataFrame(entries, columns=list(LOG_COLUMNS))
    return frame.iloc[::-1].reset_index(drop=True)


@dataclass
class Journal:
    """Every line of the log, grouped by import: entries in order, and what became of each."""

    entries: list[dict] = field(default_factory=list)  # the entry lines, oldest first
    outcome: dict[str, str] = field(default_factory=dict)  # import id -> committed | rolled back

    def state(self, entry: dict, tmp_folder: Path) -> str:
        """committed, rolled back, or pending (its file not swapped in yet: in progress, or never will be)."""
        if "id" not in entry:
            return COMMITTED  # written by a version that logged after the swap
        known = self.outcome.get(entry["id"])
        if known is not None:
            return known
        return PENDING if (tmp_folder / str(entry.get("tmp"))).exists() else COMMITTED

    def unresolved(self) -> list[dict]:
        """Pending entries with no committed or rolled-back line."""
        return [e for e in self.entries if "id" in e and e["id"] not in self.outcome]


def read_journal(path: Path) -> Journal:
    """The log at `path` (lines that cannot be read, such as one cut short by a full disk, are skipped)."""
    journal = Journal()
    if not path.is_file():
        return journal
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        if item.get("state") in (COMMITTED, ROLLED_BACK) and "id" in item and "table" not in item:
            journal.outcome[str(item["id"])] = item["state"]
        else:
            journal.entries.append(item)
    return journal


def committed_entries(path: Path, tmp_folder: Path) -> list[dict]:
    """The imports whose data is stored, oldest first, without the log's bookkeeping."""
    journal = read_journal(path)
    return [
        {k: v for k, v in entry.items() if k not in INTERNAL_KEYS}
        for entry in journal.entries
        if journal.state(entry, tmp_folder) == COMMITTED
    ]


def append(path: Path, item: dict) -> None:
    """Append one line to the log and flush it to disk (starting a new line if a cut-short one ends it)."""
    data = (json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with path.open("rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(28, "No space left on device (the log line was cut short)")
        os.fsync(fd)
    finally:
        os.close(fd)


def mark(path: Path, import_id: str, state: str) -> None:
    """Append what became of an import: committed or rolled back."""
    append(path, {"id": import_id, "state": state})


def reconcile(path: Path, tmp_folder: Path, folder: Path, set_aside: object) -> None:
    """Write down what became of every unresolved import, finishing any set-aside it left (under the lock).

    `set_aside` moves a superseded file out of the folder (the store's own method).
    """
    journal = read_journal(path)
    for entry in journal.unresolved():
        state = journal.state(entry, tmp_folder)
        if state == COMMITTED:
            aside = entry.get("aside")
            if aside and (folder / aside).exists() and aside != entry.get("written"):
                set_aside(folder / aside)  # type: ignore[operator]
            mark(path, entry["id"], COMMITTED)
        else:  # its file was never swapped in: the import did not happen
            mark(path, entry["id"], ROLLED_BACK)
            (tmp_folder / str(entry.get("tmp"))).unlink(missing_ok=True)


def referenced(path: Path) -> set[str]:
    """Names of the files in tmp that unresolved entries still rely on (never to be removed)."""
    journal = read_journal(path)
    return {str(e.get("tmp")) for e in journal.unresolved()}
