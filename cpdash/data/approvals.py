"""Quotes that staff approved for publication in town halls, stored with the data like the import log: in a
folder source, `.cpdash/quotes.json` (written whole to a new file, then swapped in); in a database, the
`cpdash_quote_approvals` table.

A quote is known by its response and its text (`quote_key`): when a response's comment changes, its
approval no longer applies. The public view, and a town hall made public-safe, quote only approved
comments; staff approve and withdraw them on the Data page.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from cpdash.data.load import is_database

STATE_FOLDER = ".cpdash"
QUOTES_FILE = "quotes.json"
QUOTES_TABLE = "cpdash_quote_approvals"


def quote_key(response_id: object, comment: object) -> str:
    """The key of one comment as a quote: its response and a digest of its text."""
    digest = hashlib.sha256(str(comment).encode("utf-8", "replace")).hexdigest()[:16]
    return f"{response_id}:{digest}"


class Approvals:
    """The approved quotes of one data source (a folder or a database URL)."""

    def __init__(self, source: str | Path) -> None:
        self.source = str(source)
        self.database = is_database(source)

    @property
    def _file(self) -> Path:
        return Path(self.source) / STATE_FOLDER / QUOTES_FILE

    def _table(self, metadata: sa.MetaData) -> sa.Table:
        return sa.Table(
            QUOTES_TABLE,
            metadata,
            sa.Column("quote_key", sa.String(200), primary_key=True),
            sa.Column("area_id", sa.String(200)),
            sa.Column("text", sa.Text),
            sa.Column("approved_by", sa.String(200)),
            sa.Column("approved_at", sa.String(40)),
        )

    def read(self) -> dict[str, dict]:
        """Every approved quote: key -> {area_id, text, approved_by, approved_at}; empty when none (or the
        store cannot be read)."""
        if self.database:
            engine = sa.create_engine(self.source)
            try:
                with engine.connect() as conn:
                    if not sa.inspect(conn).has_table(QUOTES_TABLE):
                        return {}
                    rows = conn.execute(sa.text(f"SELECT * FROM {QUOTES_TABLE}")).mappings().all()
                return {row["quote_key"]: {k: row[k] for k in row if k != "quote_key"} for row in rows}
            except sa.exc.SQLAlchemyError:
                return {}
            finally:
                engine.dispose()
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def keys(self) -> frozenset[str]:
        """The keys of every approved quote."""
        return frozenset(self.read())

    def approve(self, key: str, area_id: str, text: str, by: str) -> None:
        """Approve one quote (its redacted text as shown) for publication."""
        entry = {
            "area_id": str(area_id),
            "text": str(text),
            "approved_by": str(by),
            "approved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if self.database:
            self._database_write(key, entry)
            return
        data = self.read()
        data[key] = entry
        self._file_write(data)

    def withdraw(self, key: str) -> None:
        """Withdraw one quote's approval (nothing happens when it was not approved)."""
        if self.database:
            self._database_write(key, None)
            return
        data = self.read()
        if data.pop(key, None) is not None:
            self._file_write(data)

    def _file_write(self, data: dict[str, dict]) -> None:
        """Write the whole file beside the old one, flush it, and swap it in (one atomic step)."""
        self._file.parent.mkdir(parents=True, exist_ok=True)
        fresh = self._file.with_suffix(".json.new")
        with fresh.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(fresh, self._file)

    def _database_write(self, key: str, entry: dict | None) -> None:
        """Insert or delete one approval in one transaction."""
        metadata = sa.MetaData()
        table = self._table(metadata)
        engine = sa.create_engine(self.source)
        try:
            with engine.begin() as conn:
                metadata.create_all(conn, tables=[table])
                conn.execute(table.delete().where(table.c.quote_key == key))
                if entry is not None:
                    conn.execute(table.insert(), {"quote_key": key, **entry})
        finally:
            engine.dispose()
