"""Committing an import to a folder source without ever leaving it half-written, and logging it.

A commit writes the table's new file into `.cpdash/tmp/` inside the folder, flushes it to disk and swaps
it in with os.replace (atomic on one file system): a reader sees the old file or the new one, never a
mix. A failed or interrupted import leaves the previous file exactly as it was. One import at a time
holds `.cpdash/lock` (an exclusive lock the system drops if the process dies), so two imports at once run
one after the other and neither loses the other's rows. Every commit is logged in `.cpdash/imports.jsonl`
(when, file, table, rows accepted and rejected, the mapping used) before the swap and confirmed after it,
so that the log and the data agree whatever stops an import (cpdash.importing.journal).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cpdash.data.geo import area_key
from cpdash.data.load import MANIFEST, is_database
from cpdash.data.readers import DataError, find_table_files, read_geojson, read_raw
from cpdash.data.schema import TABLES
from cpdash.data.validate import normalise_column_name, parse_dates, to_text
from cpdash.importing import journal
from cpdash.importing.importer import MODES, NATURAL_KEYS, Prepared, storage_frame
from cpdash.importing.journal import LOG_COLUMNS, LogEntry, log_frame, new_entry

STATE_FOLDER = ".cpdash"
LOCK_FILE = "lock"
LOG_FILE = "imports.jsonl"
TMP_FOLDER = "tmp"
REPLACED_FOLDER = "replaced"
LOCK_TIMEOUT = 120.0  # seconds an import waits for another to finish
LOCK_POLL = 0.05
WRITABLE_SUFFIXES = (".csv", ".parquet", ".geojson")
logger = logging.getLogger(__name__)
__all__ = ["LOG_COLUMNS", "FolderStore", "LogEntry", "StoreError", "log_frame", "new_entry", "open_store"]


class StoreError(DataError):
    """A commit that cannot be made; the data already stored is unchanged."""


class StoreBusy(StoreError):
    """Another import held the store for too long."""


def open_store(source: str | Path) -> FolderStore:
    """The store of a data source: a folder, or a database (see cpdash.db)."""
    if is_database(source):
        from cpdash.data.database_store import DatabaseStore

        return DatabaseStore(str(source))  # type: ignore[return-value]
    return FolderStore(Path(source))


class _Lock:
    """An exclusive lock on the store's lock file, waited for up to `timeout` seconds."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path, self.timeout, self.handle = path, timeout, None

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a+")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.handle.close()
                    raise StoreBusy(
                        f"another import has held {self.path.parent.parent.name} for {self.timeout:.0f} s; "
                        "try again when it has finished"
                    ) from None
                time.sleep(LOCK_POLL)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()


@dataclass
class FolderStore:
    """A folder source that imports write into."""

    folder: Path
    lock_timeout: float = LOCK_TIMEOUT

    @property
    def state(self) -> Path:
        """The folder of the store's own files (lock, log, files being written)."""
        return self.folder / STATE_FOLDER

    @property
    def is_sample(self) -> bool:
        """True for the embedded synthetic sample, which imports must not change."""
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("synthetic") is True

    def read_log(self) -> list[dict]:
        """Every import whose data is stored, oldest first (see cpdash.importing.journal)."""
        return journal.committed_entries(self.state / LOG_FILE, self.state / TMP_FOLDER)

    def commit(self, prepared: Prepared, mode: str = "add", mapping: str | None = None) -> LogEntry:
        """Write the accepted rows into the table's file (added to, or replacing, what is there) and log it.

        The log entry is written before the swap and confirmed after it (cpdash.importing.journal), so that
        the log and the data agree whatever stops the import.
        """
        if mode not in MODES:
            raise StoreError(f"unknown import mode {mode!r} (one of {', '.join(MODES)})")
        if self.is_sample:
            raise StoreError(
                f"{self.folder.name} is the synthetic sample city and is not changed by imports; set "
                "CPDASH_DATA to a folder (or database) of your own and import into it"
            )
        if not self.folder.is_dir():
            raise StoreError(f"data source {self.folder}: no such folder")
        if prepared.rows_accepted == 0:
            raise StoreError(f"{prepared.file}: no row was accepted, so there is nothing to import")
        entry = new_entry(prepared, mode, mapping)
        swapped = False
        try:
            with _Lock(self.state / LOCK_FILE, self.lock_timeout):
                log = self.state / LOG_FILE
                journal.reconcile(log, self.state / TMP_FOLDER, self.folder, self._set_aside)
                self._clean_tmp(keep=journal.referenced(log))
                files, _ = find_table_files(self.folder)
                current = files.get(prepared.table)
                target, content, entry.updated = self._merged(prepared, current, mode)
                entry.written = target.name
                aside = current.name if current is not None and current != target else None
                import_id = self._write(target, content, entry, aside)
                swapped = True
                if not aside or not current.exists() or self._set_aside_quietly(current):
                    self._confirm(import_id)  # else the next import sets the old file aside and confirms
        except OSError as exc:
            if swapped:  # the data is stored and its entry is in the log: the import happened
                return entry
            raise StoreError(
                f"{self.folder.name}: the import could not be written ({exc.strerror or exc}); the data is "
                "unchanged"
            ) from exc
        return entry

    # -- merging ----------------------------------------------------------------------------------

    def _merged(self, prepared: Prepared, current: Path | None, mode: str) -> tuple[Path, object, int]:
        """The file to write, its new content (a frame or a FeatureCollection) and rows updated."""
        table = TABLES[prepared.table]
        new = prepared.stored()
        geojson = prepared.table == "areas" and (
            prepared.geometries is not None or (current is not None and current.suffix.lower() == ".geojson")
        )
        if geojson:
            return self.folder / "areas.geojson", *self._merged_areas(prepared, new, current, mode)
        suffix = current.suffix.lower() if current is not None else ".csv"
        target = self.folder / f"{table.name}{suffix if suffix in WRITABLE_SUFFIXES[:2] else '.csv'}"
        if mode == "replace" or current is None:
            return target, new, 0
        existing = self._existing_rows(current)
        keys = _keys(existing, prepared.table)
        new_keys = _keys(new, prepared.table)
        if keys is None or new_keys is None:
            return target, _concat(existing, new), 0
        replaced = keys.isin(pd.Index(new_keys.dropna().unique()))
        return target, _concat(existing[~replaced.to_numpy()], new), int(replaced.sum())

    def _existing_rows(self, current: Path) -> pd.DataFrame:
        """The table's current rows as text cells, headers renamed to contract names where they match."""
        try:
            raw = read_raw(current, current.stem.lower())
        except (DataError, OSError) as exc:
            raise StoreError(
                f"the current {current.name} cannot be read ({exc}); fix it, or import with 'replace'"
            ) from exc
        if raw.bad_rows:
            raise StoreError(
                f"the current {current.name} has {len(raw.bad_rows):,} rows that cannot be split into cells "
                "(see the Data page); adding to it would lose them: fix them, or import with 'replace'"
            )
        frame = raw.data
        if not isinstance(frame, pd.DataFrame):
            raise StoreError(f"the current {current.name} is not a table")
        names = TABLES[current.stem.lower()].names
        renamed = {c: normalise_column_name(c) for c in frame.columns if normalise_column_name(c) in names}
        frame = frame.rename(columns=renamed)
        return frame.apply(lambda c: to_text(c) if c.dtype.kind != "M" else _iso(c)).astype("object")

    def _merged_areas(
        self, prepared: Prepared, new: pd.DataFrame, current: Path | None, mode: str
    ) -> tuple[dict, int]:
        """Areas as a FeatureCollection: new features, and (adding) the current ones they do not replace."""
        features = []
        for position, (_, row) in enumerate(new.iterrows()):
            props = {k: v for k, v in row.items() if v is not None}
            geometry = prepared.geometries[position] if prepared.geometries is not None else None
            features.append({"type": "Feature", "properties": props, "geometry": geometry})
        if current is None or mode == "replace":
            return {"type": "FeatureCollection", "features": features}, 0
        if current.suffix.lower() != ".geojson":
            raise StoreError(
                f"areas are in {current.name}; import areas as GeoJSON with 'replace' to add boundaries"
            )
        try:
            existing = read_geojson(current)["features"]
        except DataError as exc:
            raise StoreError(
                f"the current {current.name} cannot be read ({exc}); import with 'replace'"
            ) from exc
        by_key = {_area_match(f["properties"]): f for f in features}
        kept, updated = [], 0
        for feature in existing:
            props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
            match = by_key.get(_area_match(props))
            if match is None:
                kept.append(feature)
                continue
            updated += 1
            if match["geometry"] is None:  # a table without boundaries updates the properties only
                match["geometry"] = feature.get("geometry")
                match["properties"] = {**props, **match["properties"]}
        return {"type": "FeatureCollection", "features": kept + features}, updated

    # -- writing ----------------------------------------------------------------------------------

    def _write(self, target: Path, content: object, entry: LogEntry, aside: str | None) -> str:
        """Write `content` beside the old file and flush it, log the import as pending, swap the file in.

        Returns the import's id in the log once swapped. Before the swap, any failure leaves the data as it was, and the entry
        (when it was written) is marked rolled back, or left for the next import to resolve.
        """
        tmp_folder = self.state / TMP_FOLDER
        tmp_folder.mkdir(parents=True, exist_ok=True)
        tmp = tmp_folder / f"{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        log = self.state / LOG_FILE
        logged = False
        entry_id = uuid.uuid4().hex
        try:
            if isinstance(content, dict):
                tmp.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
            elif target.suffix == ".parquet":
                content.to_parquet(tmp, index=False)
            else:
                content.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
            _fsync_folder(tmp_folder)
            pending = {**entry.to_dict(), "id": entry_id, "state": journal.PENDING, "tmp": tmp.name}
            journal.append(log, {**pending, "aside": aside})
            logged = True
            os.replace(tmp, target)
        except BaseException:
            if logged and not _marked(log, entry_id, journal.ROLLED_BACK):
                raise  # the file is kept: its pending entry says it was not swapped in; the next import notes it
            tmp.unlink(missing_ok=True)
            raise
        try:
            _fsync_folder(self.folder)
        except OSError as exc:  # the swap is done: the import happened, however the flush went
            logger.warning("the folder could not be flushed after the swap (%s)", exc)
        return entry_id

    def _confirm(self, import_id: str) -> None:
        """Mark a swapped-in import committed (if this fails, the log still counts it: its file is gone)."""
        if not _marked(self.state / LOG_FILE, import_id, journal.COMMITTED):
            logger.warning("import %s is stored; its log entry is confirmed by the next import", import_id)

    def _set_aside(self, path: Path) -> None:
        """Move a file the new one supersedes (events.xlsx after events.csv is written) out of the way."""
        folder = self.state / REPLACED_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        os.replace(path, folder / f"{stamp}-{path.name}")

    def _set_aside_quietly(self, path: Path) -> bool:
        """Set a superseded file aside after the swap; False when that fails (the next import does it)."""
        try:
            self._set_aside(path)
        except OSError as exc:
            logger.warning("could not set %s aside yet (%s)", path.name, exc)
            return False
        return True

    def _clean_tmp(self, keep: set[str] = frozenset()) -> None:
        """Remove what interrupted imports left in the tmp folder, except files the log still relies on."""
        folder = self.state / TMP_FOLDER
        if not folder.is_dir():
            return
        for path in folder.iterdir():  # files are only written there under the lock, which this holds
            if path.name not in keep:
                path.unlink(missing_ok=True)


def _marked(path: Path, import_id: str, state: str) -> bool:
    """Append what became of an import to the log; False when that cannot be written (a full disk)."""
    try:
        journal.mark(path, import_id, state)
    except OSError:
        return False
    return True


def _area_match(props: dict) -> tuple[str, str]:
    """What makes a stored area the one a new row updates: its level and its id's key (sector `011` is not
    district `11`)."""
    level = str(props.get("level") or "area").strip().lower()
    return level, area_key(str(props.get("area_id")))


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _iso(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%dT%H:%M:%S").where(values.notna())


def _concat(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Current rows then new rows; columns of both, the current file's order first."""
    columns = list(existing.columns) + [c for c in new.columns if c not in existing.columns]
    return pd.concat([existing.reindex(columns=columns), new.reindex(columns=columns)], ignore_index=True)


def _keys(frame: pd.DataFrame, table: str) -> pd.Series | None:
    """The id of each row (its key column, or the columns that identify it); None when it has none."""
    spec = TABLES[table]
    if spec.key:
        return to_text(frame[spec.key]) if spec.key in frame else None
    columns = NATURAL_KEYS.get(table)
    if not columns or any(c not in frame for c in columns if c != "group"):
        return None
    parts = []
    for name in columns:
        if name not in frame:
            parts.append(pd.Series("", index=frame.index))
            continue
        column = spec.column(name)
        if column.kind in ("date", "datetime"):
            part = parse_dates(frame[name]).dt.strftime("%Y-%m-%d")
        elif name.endswith("area_id"):
            part = to_text(frame[name]).map(area_key, na_action="ignore")
        else:
            part = to_text(frame[name]).str.lower()
        parts.append(part.fillna(""))
    return parts[0].str.cat(parts[1:], sep="\x1f")


def stored_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Typed rows of `table` as the store writes them (for other stores and tests)."""
    return storage_frame(frame, TABLES[table])
