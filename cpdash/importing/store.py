"""Committing an import to a folder source without ever leaving it half-written, and logging it.

A commit writes the table's new file into `.cpdash/tmp/` inside the folder, flushes it to disk and swaps
it in with os.replace (atomic on one file system): a reader sees the old file or the new one, never a
mix. A failed or interrupted import leaves the previous file exactly as it was. One import at a time
holds `.cpdash/lock` (an exclusive lock the system drops if the process dies), so two imports at once run
one after the other and neither loses the other's rows. Every commit adds a line to
`.cpdash/imports.jsonl`: when, file, table, rows accepted and rejected, the mapping used.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cpdash.data.geo import area_key
from cpdash.data.load import MANIFEST, is_database
from cpdash.data.readers import DataError, find_table_files, read_geojson, read_raw
from cpdash.data.schema import TABLES
from cpdash.data.validate import normalise_column_name, parse_dates, to_text
from cpdash.importing.importer import MODES, NATURAL_KEYS, Prepared, storage_frame

STATE_FOLDER = ".cpdash"
LOCK_FILE = "lock"
LOG_FILE = "imports.jsonl"
TMP_FOLDER = "tmp"
REPLACED_FOLDER = "replaced"
LOCK_TIMEOUT = 120.0  # seconds an import waits for another to finish
LOCK_POLL = 0.05
WRITABLE_SUFFIXES = (".csv", ".parquet", ".geojson")
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


class StoreError(DataError):
    """A commit that cannot be made; the data already stored is unchanged."""


class StoreBusy(StoreError):
    """Another import held the store for too long."""


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


def open_store(source: str | Path) -> FolderStore:
    """The store of a data source: a folder, or a database (see cpdash.db)."""
    if is_database(source):
        from cpdash.data.database import DatabaseStore

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
        """Every logged import, oldest first (lines that cannot be read are skipped)."""
        path = self.state / LOG_FILE
        if not path.is_file():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def commit(self, prepared: Prepared, mode: str = "add", mapping: str | None = None) -> LogEntry:
        """Write the accepted rows into the table's file (added to, or replacing, what is there)."""
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
        try:
            with _Lock(self.state / LOCK_FILE, self.lock_timeout):
                self._clean_tmp()
                files, _ = find_table_files(self.folder)
                current = files.get(prepared.table)
                target, content, entry.updated = self._merged(prepared, current, mode)
                self._write(target, content)
                if current is not None and current != target and current.exists():
                    self._set_aside(current)
                entry.written = target.name
                self._append_log(entry)
        except OSError as exc:
            raise StoreError(
                f"{self.folder.name}: the import could not be written ({exc}); the data is unchanged"
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

    def _write(self, target: Path, content: object) -> None:
        """Write `content` beside the old file, flush it to disk, then swap it in atomically."""
        tmp_folder = self.state / TMP_FOLDER
        tmp_folder.mkdir(parents=True, exist_ok=True)
        tmp = tmp_folder / f"{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        try:
            if isinstance(content, dict):
                tmp.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
            elif target.suffix == ".parquet":
                content.to_parquet(tmp, index=False)
            else:
                content.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            _fsync_folder(self.folder)
        finally:
            tmp.unlink(missing_ok=True)

    def _set_aside(self, path: Path) -> None:
        """Move a file the new one supersedes (events.xlsx after events.csv is written) out of the way."""
        folder = self.state / REPLACED_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        os.replace(path, folder / f"{stamp}-{path.name}")

    def _append_log(self, entry: LogEntry) -> None:
        with (self.state / LOG_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _clean_tmp(self) -> None:
        """Remove what interrupted imports left in the tmp folder (it is never read as data)."""
        folder = self.state / TMP_FOLDER
        if not folder.is_dir():
            return
        for path in folder.iterdir():  # files are only written there under the lock, which this holds
            path.unlink(missing_ok=True)


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
