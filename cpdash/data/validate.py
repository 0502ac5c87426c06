"""Row-by-row validation of a table against the contract: coerce what can be coerced, reject the rest.

Every rejected row keeps its original cells plus `row` (its row in the file, header = row 1) and
`reason`. Nothing is dropped without being counted in the report.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cpdash.config import DateWindow, date_window
from cpdash.data.cells import is_in, normalise_column_name, number_text, parse_numbers, to_text
from cpdash.data.cells import key as _key
from cpdash.data.dataset import TableReport
from cpdash.data.dates import (
    DATE_FORMATS,
    outside_window,
    parse_dates,
    read_dates,
    to_nanoseconds,
    window_reason,
)
from cpdash.data.geo import AreaIndex, Boundaries
from cpdash.data.schema import PROGRAM_ALIASES, Column, Table

# cells.py and dates.py read cells; their readers stay importable from here, where the importer looks
__all__ = [
    "DATE_FORMATS",
    "empty_frame",
    "normalise_column_name",
    "parse_dates",
    "parse_numbers",
    "to_text",
    "validate_table",
]
ROW_OFFSET = 2  # data row 0 is row 2 of a file whose header is row 1
MAX_EXAMPLES = 3


class _Reasons:
    """The first reason each row is rejected for (later checks do not overwrite earlier ones)."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)

    def add(
        self, mask: np.ndarray | pd.Series, reason: str | pd.Series | Callable[[np.ndarray], pd.Series]
    ) -> None:
        """Reject the rows in `mask` (not already rejected) with `reason`.

        `reason` is one text, a text per row, or a function of the row mask giving the texts of just
        those rows (so that per-row texts are only built for the few rows rejected).
        """
        mask = np.asarray(mask, dtype=bool) & (self.reason == None)  # noqa: E711 (element-wise)
        if not mask.any():
            return
        if callable(reason):
            self.reason[mask] = np.asarray(reason(mask), dtype=object)
        elif isinstance(reason, pd.Series):
            self.reason[mask] = reason.to_numpy(dtype=object)[mask]
        else:
            self.reason[mask] = reason

    @property
    def rejected(self) -> np.ndarray:
        """Mask of rejected rows."""
        return self.reason != None  # noqa: E711


def _quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype("str").str.slice(0, 60) + "'"


_num_text = number_text


def _rows(n: int, table: str) -> str:
    """`events: 3 rows have` / `events: 1 row has`, for warnings."""
    return f"{table}: {n:,} row has" if n == 1 else f"{table}: {n:,} rows have"


def _events(n: int) -> str:
    """`3 events have` / `1 event has`, for warnings."""
    return f"{n:,} event has" if n == 1 else f"{n:,} events have"


def _examples(values: pd.Series) -> str:
    counts = values.value_counts()
    shown = ", ".join(f"'{v}' ({n})" for v, n in counts.head(MAX_EXAMPLES).items())
    return shown + (", ..." if len(counts) > MAX_EXAMPLES else "")


def _match_allowed(text: pd.Series, column: Column) -> pd.Series:
    """Values mapped onto the column's allowed values ignoring case and punctuation; NA where no match."""
    lookup = {_key(v): v for v in column.allowed or ()}
    if column.name == "program":
        lookup.update({_key(k): v for k, v in PROGRAM_ALIASES.items()})
    distinct = text.dropna().unique()
    mapping = {v: lookup.get(_key(v)) for v in distinct}
    return text.map(mapping)


def _convert(
    column: Column, raw: pd.Series, reasons: _Reasons, warnings: list[str], table: str, window: DateWindow
) -> pd.Series:
    """One column converted to its kind, rejecting rows whose cell cannot be used."""
    text = None if column.kind in ("int", "float", "date", "datetime") else to_text(raw)
    if column.kind in ("date", "datetime"):
        wide = read_dates(raw)
        present = to_text(raw).notna() if not pd.api.types.is_datetime64_any_dtype(raw) else raw.notna()
        reasons.add(present & wide.isna(), lambda m: f"bad date in {column.name}: " + _quoted(raw[m]))
        outside = outside_window(wide, window)
        reasons.add(outside, lambda m: window_reason(column.name, window) + _quoted(raw[m]))
        values = to_nanoseconds(wide.where(~outside))
        if column.kind == "date":
            values = values.dt.normalize()
    elif column.kind in ("int", "float"):
        values = parse_numbers(raw)
        present = raw.notna() if pd.api.types.is_numeric_dtype(raw) else to_text(raw).notna()
        reasons.add(present & values.isna(), lambda m: f"not a number in {column.name}: " + _quoted(raw[m]))
        if column.kind == "int":
            fraction = values.notna() & (values != values.round())
            reasons.add(fraction, lambda m: f"{column.name} must be a whole number: " + _quoted(raw[m]))
        low = -np.inf if column.min is None else column.min
        high = np.inf if column.max is None else column.max
        outside = values.notna() & ((values < low) | (values > high))
        if column.name in ("lat", "lon"):
            reasons.add(
                outside, lambda m: f"coordinates outside the globe: {column.name} " + _num_text(values[m])
            )
        else:
            reasons.add(
                outside,
                lambda m: f"{column.name} out of range ({column.range_text}): " + _num_text(values[m]),
            )
    elif column.allowed:
        values = _match_allowed(text, column)
        unmatched = text.notna() & values.isna()
        if unmatched.any():
            examples = _examples(text[unmatched])
            if column.name == "program":
                values = values.where(~unmatched, "Other")
                warnings.append(
                    f"{_rows(int(unmatched.sum()), table)} a program outside the list, counted as Other: {examples}"
                )
            elif column.required:
                allowed = ", ".join(column.allowed)
                reasons.add(
                    unmatched, lambda m: f"{column.name} must be one of {allowed}, not " + _quoted(text[m])
                )
            else:
                warnings.append(
                    f"{_rows(int(unmatched.sum()), table)} an unknown {column.name}, left blank: {examples}"
                )
    else:
        values = text
    if column.required:
        reasons.add(values.isna(), f"missing required value: {column.name}")
    return values


def empty_frame(table: Table) -> pd.DataFrame:
    """An empty frame with every contract column of `table`, typed."""
    dtypes = {"date": "datetime64[ns]", "datetime": "datetime64[ns]", "int": "float64", "float": "float64"}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes.get(c.kind, "str")) for c in table.columns})


def validate_table(
    table: Table,
    raw: pd.DataFrame,
    file: str,
    *,
    areas: AreaIndex | None = None,
    boundaries: Boundaries | None = None,
    event_ids: set[str] | None = None,
    row_offset: int = ROW_OFFSET,
    preset: list[tuple[int, str]] | None = None,
    row_numbers: np.ndarray | None = None,
    window: DateWindow | None = None,
) -> tuple[pd.DataFrame, TableReport]:
    """Validate `raw` (as read from `file`) against `table`; returns accepted rows and the report.

    Accepted rows keep their position in `raw` as index. `preset` rejects rows by position up front.
    `row_numbers` gives each row's number in its file when it is not its position + `row_offset`
    (rows made from another shape, such as a wide table turned long). Dates outside `window` (by default
    CPDASH_DATE_WINDOW's) are rejected.
    """
    window = window or date_window()
    report = TableReport(table=table.name, file=file, status="loaded", rows_read=len(raw))
    raw = raw.reset_index(drop=True)
    numbers = (
        np.arange(len(raw)) + row_offset if row_numbers is None else np.asarray(row_numbers, dtype="int64")
    )
    by_name: dict[str, str] = {}
    for original in raw.columns:
        by_name.setdefault(normalise_column_name(original), original)
    missing = [c for c in table.required_columns if c not in by_name]
    if missing:
        found = ", ".join(map(str, raw.columns)) or "none"
        plural = "s" if len(missing) > 1 else ""
        report.status = "failed"
        report.errors.append(
            f"{file}: missing required column{plural} {', '.join(missing)} (columns found: {found})"
        )
        reason = np.full(len(raw), f"missing required column{plural} {', '.join(missing)}", dtype=object)
        report.rejected = _rejected_rows(raw, reason, numbers)  # every row is counted and shown
        return empty_frame(table), report
    unknown = [str(c) for c in raw.columns if normalise_column_name(c) not in table.names]
    if unknown:
        report.warnings.append(f"{file}: columns not in the contract were ignored: {', '.join(unknown)}")

    reasons = _Reasons(len(raw))
    for position, reason in preset or ():
        reasons.reason[position] = reason
    out = {}
    for column in table.columns:
        if column.name in by_name:
            values = raw[by_name[column.name]]
            if table.name == "area_scores" and column.name == "area_id" and "level" in out:
                # a city-wide figure may leave area_id blank: its area is the city
                values = to_text(values).mask(out["level"].eq("city").fillna(False), "city")
            out[column.name] = _convert(column, values, reasons, report.warnings, table.name, window)
    frame = pd.DataFrame(out, index=raw.index)
    if table.name == "events" and ("lat" in frame) != ("lon" in frame):
        report.warnings.append(f"{file}: lat and lon must come together; the one given was ignored")
        frame = frame.drop(columns=[c for c in ("lat", "lon") if c in frame])

    _check_areas(table, frame, reasons, report, areas)
    _check_table_rules(table, frame, reasons, report, boundaries, event_ids)
    if table.key:
        # only rows still accepted count: a later copy of an id whose first copy was rejected is kept
        kept = frame[table.key].where(~reasons.rejected)
        later = kept.notna() & kept.duplicated(keep="first")
        if later.any():
            first_row = kept.dropna().drop_duplicates(keep="first")
            where = pd.Series(numbers[first_row.index.to_numpy()], index=first_row.to_numpy())
            reasons.add(
                later,
                lambda m: (
                    f"duplicate {table.key} "
                    + _quoted(frame[table.key][m])
                    + " (first on row "
                    + frame[table.key][m].map(where).astype("Int64").astype("str")
                    + ")"
                ),
            )

    rejected_mask = reasons.rejected
    report.rejected = _rejected_rows(raw, reasons.reason, numbers)
    accepted = frame.loc[~rejected_mask]
    report.rows_accepted = len(accepted)
    return accepted, report


def _rejected_rows(raw: pd.DataFrame, reason: np.ndarray, numbers: np.ndarray) -> pd.DataFrame:
    """The original cells (as text) of the rows with a reason, after their `row` and `reason`."""
    mask = reason != None  # noqa: E711 (element-wise)
    if not mask.any():
        return pd.DataFrame()
    rejected = raw.loc[mask].astype("str").where(raw.loc[mask].notna(), "")
    rejected.insert(0, "reason", reason[mask])
    rejected.insert(0, "row", numbers[mask])
    return rejected.reset_index(drop=True)


def _check_areas(
    table: Table, frame: pd.DataFrame, reasons: _Reasons, report: TableReport, areas: AreaIndex | None
) -> None:
    """Match area ids to known areas: `7` finds `007`; unknown required ids reject the row."""
    if areas is None or table.name == "areas":
        return
    for name in ("area_id", "home_area_id"):
        if name not in frame:
            continue
        values = frame[name]
        city = None
        if table.name == "area_scores" and "level" in frame:
            city = frame["level"].eq("city").fillna(False).to_numpy(dtype=bool)
            values = values.where(~city, None)
        resolved, unknown = areas.resolve(values)
        if city is not None:
            resolved = resolved.where(~city, "city")
        if table.column(name).required:
            reasons.add(unknown, lambda m, name=name: f"unknown {name} " + _quoted(frame[name][m]))
        elif unknown.any():
            report.warnings.append(
                f"{_rows(int(unknown.sum()), table.name)} an unknown {name}, left blank: {_examples(frame[name][unknown])}"
            )
        frame[name] = resolved


def _check_table_rules(
    table: Table,
    frame: pd.DataFrame,
    reasons: _Reasons,
    report: TableReport,
    boundaries: Boundaries | None,
    event_ids: set[str] | None,
) -> None:
    """Rules that involve more than one column or another table."""
    if table.name == "events":
        if {"attendance", "youth_attendance"} <= set(frame):
            above = frame["youth_attendance"] > frame["attendance"]
            reasons.add(
                above.fillna(False),
                lambda m: (
                    "youth_attendance ("
                    + _num_text(frame["youth_attendance"][m])
                    + ") above attendance ("
                    + _num_text(frame["attendance"][m])
                    + ")"
                ),
            )
        if {"lat", "lon"} <= set(frame):
            _check_coordinates(frame, reasons, report, boundaries)
    if table.name == "concerns" and "resolved" in frame:
        early = frame["resolved"] < frame["raised"]
        reasons.add(early.fillna(False), "resolved before it was raised")
    if table.name == "area_scores":
        ends_first = frame["period_end"] < frame["period_start"]
        reasons.add(ends_first.fillna(False), "period_end before period_start")
    if event_ids is not None and "event_id" in frame and table.name != "events":
        linked = frame["event_id"].notna()
        unknown = linked & ~is_in(frame["event_id"], event_ids)
        if table.column("event_id").required:
            reasons.add(unknown, lambda m: "unknown event_id " + _quoted(frame["event_id"][m]))
        elif unknown.any():
            report.warnings.append(
                f"{_rows(int(unknown.sum()), table.name)} an event_id that is not in events; link left blank"
            )
            frame["event_id"] = frame["event_id"].where(~unknown)


def _check_coordinates(
    frame: pd.DataFrame, reasons: _Reasons, report: TableReport, boundaries: Boundaries | None
) -> None:
    """Coordinates must be on the globe and, when boundaries are known, inside an area."""
    lat, lon = frame["lat"], frame["lon"]
    half = lat.isna() != lon.isna()
    if half.any():
        report.warnings.append(
            f"{_events(int(half.sum()))} only one of lat and lon; treated as no coordinates"
        )
        frame.loc[half, ["lat", "lon"]] = np.nan
    # the contract's min/max already reject values off the globe; (0, 0) is a common blank in exports
    null_island = (lat == 0) & (lon == 0)
    reasons.add(null_island, "coordinates (0, 0) are not a real location")
    if boundaries is None or not boundaries.geometries:
        return
    has = lat.notna() & lon.notna() & ~reasons.rejected
    if not has.any():
        return
    found = boundaries.locate(lat[has].to_numpy(), lon[has].to_numpy())
    outside = pd.Series(False, index=frame.index)
    outside[has] = pd.isna(found)
    reasons.add(
        outside,
        lambda m: (
            "coordinates ("
            + lat[m].round(5).astype("str")
            + ", "
            + lon[m].round(5).astype("str")
            + ") outside every area"
        ),
    )
    if "area_id" in frame:
        other = pd.Series(False, index=frame.index)
        other[has] = ~pd.isna(found) & (found != frame.loc[has, "area_id"].to_numpy(dtype=object))
        if other.any():
            report.warnings.append(
                f"{_events(int(other.sum()))} coordinates in a different area from their area_id; "
                "they are counted in their area_id"
            )
