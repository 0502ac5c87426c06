"""An upload mapped and checked: what a commit would store, what was rejected and why (and which column is
most to blame), the conflicts and the rows that overlap stored ones; and the stored form of the rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cpdash.data.dataset import TableReport
from cpdash.data.placing import PLACED_AT, locate
from cpdash.data.schema import TABLES, Table
from cpdash.data.validate import to_text
from cpdash.importing.profiles import Profile
from cpdash.importing.upload import PREVIEW_ROWS

DUPLICATE = "duplicate of row"  # how a removed repeated row's reason starts
MAX_REJECTED_DEFAULT = 20.0  # % of rows: above this the command line refuses unless told otherwise
# Reason texts -> the contract column they are about (the first group), for "which column is most to blame".
_BLAME = (
    re.compile(r"^bad date in (\w+)"),
    re.compile(r"^not a number in (\w+)"),
    re.compile(r"^(\w+) must be (?:a whole number|one of)"),
    re.compile(r"^(\w+) out of range"),
    re.compile(r"^missing required value: (\w+)"),
    re.compile(r"^unknown (\w+) '"),
    re.compile(r"^conflicting (\w+)"),
    re.compile(r"^duplicate (\w+) '"),
    re.compile(r"^(\w+) answer '"),
    re.compile(r"^(youth_attendance) \("),
    re.compile(r"^no (area) found in"),
    re.compile(r"^no title to tell the (program)"),
    re.compile(r"^(coordinates)"),
    re.compile(r"^(geometry|invalid geometry)"),
)
_ALIAS = {"area": "area_id", "coordinates": "lat", "invalid geometry": "geometry"}


@dataclass
class Prepared:
    """An upload mapped, transformed and validated: what a commit would store, and the report."""

    table: str
    file: str
    profile: Profile
    accepted: pd.DataFrame  # typed, contract columns
    report: TableReport
    rejected: pd.DataFrame  # row, reason, then the row's cells as uploaded
    duplicates: int
    notes: list[str]
    geometries: list[dict | None] | None = None  # areas: the geometry of each accepted row
    source_rows: int = 0
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)  # conflict, row, kept, differs, values
    on_conflict: str = "keep-first"
    overlaps: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows sharing a stored event (see overlap)
    skipped: int = 0  # overlapping rows skipped (listed with the rejected rows)
    other_titles: pd.DataFrame = field(default_factory=pd.DataFrame)  # words, rows, example

    @property
    def rows_accepted(self) -> int:
        """Rows a commit would store."""
        return len(self.accepted)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected for a reason (repeated rows and skipped overlapping rows not counted)."""
        return len(self.rejected) - self.duplicates - self.skipped

    @property
    def rows_read(self) -> int:
        """Rows the mapping produced (for a wide table, one per score; dissolved shapes, one per group)."""
        return self.rows_accepted + len(self.rejected)

    @property
    def rejected_share(self) -> float:
        """Rejected rows as a percentage of the rows read (repeated and skipped rows left out of both)."""
        base = self.rows_read - self.duplicates - self.skipped
        return 100.0 * self.rows_rejected / base if base else 0.0

    @property
    def conflict_count(self) -> int:
        """How many groups of rows conflict (the same key, other values)."""
        return int(self.conflicts["conflict"].nunique()) if len(self.conflicts) else 0

    def stored(self) -> pd.DataFrame:
        """The accepted rows as they will be written: text cells, ISO dates, whole numbers without .0."""
        return storage_frame(self.accepted, TABLES[self.table])

    def preview(self, areas: pd.DataFrame | None = None, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
        """The first rows as stored; events also show where they will be drawn (approximate or exact)."""
        head = self.accepted.head(rows)
        shown = storage_frame(head, TABLES[self.table])
        if self.table == "events" and areas is not None and len(head):
            _, _, how = locate(head, areas)
            exact = (
                head["lat"].notna() & head["lon"].notna() if "lat" in head else pd.Series(False, head.index)
            )
            words = how.map(lambda h: f"{PLACED_AT[h]} (approximate)", na_action="ignore")
            shown["placed on the map"] = np.where(exact, "at its coordinates", words.fillna("not mapped"))
        return shown

    def summary(self) -> list[str]:
        """The report in a few lines of words."""
        made = ""
        if self.profile.wide:
            made = f" (from {self.source_rows:,} rows of a wide table, one per score)"
        elif self.profile.dissolve_by:
            made = f" (from {self.source_rows:,} shapes dissolved by {', '.join(self.profile.dissolve_by)})"
        lines = [
            f"{self.file} → {self.table}: {self.rows_read:,} rows read, {self.rows_accepted:,} accepted, "
            f"{self.rows_rejected:,} rejected"
            + (f", {self.duplicates:,} repeated rows removed" if self.duplicates else "")
            + (f", {self.skipped:,} rows skipped as already stored" if self.skipped else "")
            + made
        ]
        if self.conflict_count:
            what = "figures" if self.table == "area_scores" else "ids"
            kept = (
                "every row of a conflict rejected"
                if self.on_conflict == "reject-both"
                else f"the {self.on_conflict.split('-')[1]} row of each kept"
            )
            lines.append(
                f"conflicts: {self.conflict_count:,} {what} given different values by more than one row; {kept}"
            )
        if len(self.overlaps) and not self.skipped:
            lines.append(
                f"overlap: {len(self.overlaps):,} rows look like events already stored under another id (same area, "
                "starting within an hour, a similar title); skip them to avoid counting them twice"
            )
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"warning: {w}" for w in self.report.warnings]
        lines += [f"error: {e}" for e in self.report.errors]
        return lines


def storage_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Typed contract rows as text cells: ISO dates (with time when there is one), plain numbers."""
    out = {}
    for column in table.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        if column.kind in ("date", "datetime"):
            values = pd.to_datetime(values)
            has_time = column.kind == "datetime" and bool(
                (values.dropna() != values.dropna().dt.normalize()).any()
            )
            text = values.dt.strftime("%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d")
            out[column.name] = text.where(values.notna())
        elif column.kind in ("int", "float"):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            whole = numbers.notna() & (numbers == numbers.round())
            text = numbers.map(lambda v: f"{v:.10g}", na_action="ignore")
            text = text.where(~whole, numbers.where(whole, 0).astype("int64").astype("str"))
            out[column.name] = text.where(numbers.notna())
        else:
            out[column.name] = to_text(values)
    return pd.DataFrame(out, index=frame.index).astype("object").where(lambda f: f.notna(), None)


def reason_counts(rejected: pd.DataFrame) -> pd.DataFrame:
    """How many rejected rows each kind of reason has (the reason up to its colon or quoted value)."""
    if rejected.empty or "reason" not in rejected:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    kind = rejected["reason"].astype("str").str.split(":", n=1).str[0].str.replace(r" '.*$", "", regex=True)
    kind = kind.str.replace(r"^(duplicate of row) \d+.*$", r"\1 …", regex=True)
    kind = kind.str.replace(r"^(overlaps stored event) .*$", r"\1 …", regex=True)
    kind = kind.str.replace(r" \(first on row \d+\)$", "", regex=True)
    counts = kind.value_counts()
    return pd.DataFrame({"reason": counts.index.astype("str"), "rows": counts.to_numpy()})


def reason_column(reason: str) -> str | None:
    """The contract column a rejection reason is about, None when it names none."""
    for pattern in _BLAME:
        match = pattern.match(reason)
        if match:
            return _ALIAS.get(match.group(1), match.group(1))
    return None


def source_of(profile: Profile, column: str) -> str:
    """Where a contract column comes from, in words."""
    if column in profile.columns:
        return f"column '{profile.columns[column]}'"
    if column in profile.derived:
        return profile.derived[column].describe(column).split(": ", 1)[1]
    if column == "area_id" and profile.area_from:
        return f"the place named in '{profile.area_from}'"
    if column == "program" and profile.program_from:
        return f"the title rules on '{profile.program_from}'"
    if profile.wide is not None:
        return "the wide table's reading"
    return "no column (map one)"


def blame(prepared: Prepared) -> tuple[str, str, int, str] | None:
    """The contract column most rejected rows are about: (column, where it comes from, rows, a reason)."""
    rows = prepared.rejected
    if rows.empty or "reason" not in rows:
        return None
    reasons = rows["reason"].astype("str")
    reasons = reasons[~reasons.str.startswith((DUPLICATE, "overlaps stored event"))]
    columns = reasons.map(reason_column).dropna()
    if columns.empty:
        return None
    column = str(columns.value_counts().index[0])
    example = reasons[columns[columns == column].index].value_counts().index[0]
    return column, source_of(prepared.profile, column), int((columns == column).sum()), str(example)


def rejected_count_over(prepared: Prepared, max_rejected_percent: float | None) -> bool:
    """True when the rejected rows are above the threshold a user set (in % of the rows read)."""
    if max_rejected_percent is None:
        return False
    return prepared.rejected_share > max_rejected_percent


def cells_text(rows: pd.DataFrame) -> pd.DataFrame:
    """Cells as the text they were given: blanks empty, and a whole number read as 7.0 (a JSON column of
    numbers with nulls) written 7."""
    out = {}
    for name in rows.columns:
        values = rows[name]
        text = to_text(values) if pd.api.types.is_float_dtype(values) else values.astype("str")
        out[name] = text.where(values.notna(), "").astype("object")
    return pd.DataFrame(out, index=rows.index, columns=rows.columns)


def rows_as_rejected(rows: pd.DataFrame, numbers: np.ndarray, reason: str | list[str]) -> pd.DataFrame:
    """Rows with their number and reason, then their cells as text."""
    out = cells_text(rows).reset_index(drop=True)
    out.insert(0, "reason", reason)
    out.insert(0, "row", np.asarray(numbers))
    return out
