"""Published area scores, used as published (never recomputed), by one documented rule.

The published score for a period: among the figures at the level the areas ask for (the city's when no
area is chosen, the area's own when one is), the one whose period ends latest within the selected period;
a tie goes to the longer period, then to the larger n. It is shown with its own dates. Published figures
of several areas cannot be combined, so a choice of several areas has no published score of its own.

A series of published figures is drawn per cadence (weekly, monthly, quarterly, ...): figures of
different period lengths are never joined into one line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.gather import Source
from cpdash.metrics.periods import Filters, short_period_text

CITY = "city"
ROW_COLUMNS = ("period_start", "period_end", "level", "area_id", "metric", "group", "value", "n", "cadence")
CADENCES = ((7, 7, "weekly"), (14, 14, "fortnightly"), (28, 31, "monthly"), (89, 92, "quarterly"))
CADENCES_LONG = ((181, 184, "half-yearly"), (365, 366, "yearly"))


def cadence(days: int) -> str:
    """'weekly', 'monthly', 'quarterly', ... for a period of `days` days (else 'n-day')."""
    for low, high, name in (*CADENCES, *CADENCES_LONG):
        if low <= days <= high:
            return name
    return f"{days}-day"


def normalise(table: pd.DataFrame | None) -> pd.DataFrame:
    """Published figures as the rule reads them, once per data set: period_start, period_end (midnight),
    level, area_id ("city" when blank), metric (lower case), group (NA for everyone), value, n (NaN when not
    published), cadence, city (True for the city's figures). Figures without dates or value are left out."""
    columns = (*ROW_COLUMNS, "city")
    needed = {"period_start", "period_end", "metric", "value"}
    if table is None or len(table) == 0 or not needed <= set(table.columns):
        empty = pd.DataFrame({c: [] for c in columns})  # typed, so that the rule's comparisons work on it
        return empty.astype({"period_start": "datetime64[ns]", "period_end": "datetime64[ns]", "city": bool})

    def text(name: str) -> pd.Series:
        if name not in table.columns:
            return pd.Series(pd.NA, index=table.index, dtype="string")
        values = table[name].astype("string").str.strip()
        return values.mask(values == "")

    start = pd.to_datetime(table["period_start"], errors="coerce").dt.normalize()
    end = pd.to_datetime(table["period_end"], errors="coerce").dt.normalize()
    level, area = text("level").str.lower(), text("area_id")
    out = pd.DataFrame(
        {
            "period_start": start,
            "period_end": end,
            "level": level,
            "area_id": area.fillna(CITY).astype("str"),
            "metric": text("metric").str.lower(),
            "group": text("group"),
            "value": pd.to_numeric(table["value"], errors="coerce"),
            "n": pd.to_numeric(table["n"], errors="coerce") if "n" in table.columns else np.nan,
            "cadence": [cadence(d) for d in ((end - start).dt.days + 1).fillna(0).astype(int)],
            "city": ((level == CITY) | (area.str.lower() == CITY) | area.isna()).fillna(False).to_numpy(bool),
        }
    )
    return out.dropna(subset=["period_start", "period_end", "value"]).reset_index(drop=True)[list(columns)]


def rows(src: Source, metric: str, group: str | None = None) -> pd.DataFrame:
    """Every published figure of `metric` for everyone (group None) or for one breakdown group."""
    table = src.published()
    if len(table) == 0:
        return table
    mask = (table["metric"] == metric).fillna(False)
    mask &= table["group"].isna() if group is None else (table["group"] == group).fillna(False)
    return table[mask.to_numpy(dtype=bool)]


@dataclass(frozen=True)
class Published:
    """One published figure: its value and n (NaN when not published), its own period and cadence."""

    value: float
    n: float
    start: dt.date
    end: dt.date
    cadence: str
    area_id: str

    @property
    def period(self) -> str:
        """'1 Jan – 31 Mar 2025'."""
        return short_period_text(self.start, self.end)


def _latest(table: pd.DataFrame) -> pd.Series | None:
    """The figure that ends latest; then the longer period; then the larger n."""
    if len(table) == 0:
        return None
    order = table.assign(
        _length=table["period_end"] - table["period_start"], _n=table["n"].fillna(-1)
    ).sort_values(["period_end", "_length", "_n"], kind="stable")
    return order.iloc[-1]


def _within(table: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Figures whose period ends within the filters' period."""
    keep = np.ones(len(table), dtype=bool)
    if f.start is not None:
        keep &= (table["period_end"] >= pd.Timestamp(f.start)).to_numpy(dtype=bool)
    if f.end is not None:
        keep &= (table["period_end"] <= pd.Timestamp(f.end)).to_numpy(dtype=bool)
    return table[keep]


def _figure(row: pd.Series | None) -> Published | None:
    if row is None:
        return None
    return Published(
        float(row["value"]),
        float(row["n"]),
        row["period_start"].date(),
        row["period_end"].date(),
        str(row["cadence"]),
        str(row["area_id"]),
    )


def published_score(src: Source, metric: str, f: Filters, group: str | None = None) -> Published | None:
    """The published score of `metric` for the filters (see the module's rule); None when there is none
    (or several areas are chosen)."""
    if len(f.areas) > 1:
        return None
    table = _within(rows(src, metric, group), f)
    table = table[table["area_id"] == f.areas[0]] if f.areas else table[table["city"]]
    return _figure(_latest(table))


def published_by_area(src: Source, metric: str, f: Filters, group: str | None = None) -> pd.DataFrame:
    """Each area's published score for the period (the same rule per area; the city left out): area_id,
    value, n, period_start, period_end, cadence. Only the filters' areas when they name some."""
    table = _within(rows(src, metric, group), f)
    table = table[~table["city"]]
    if f.areas:
        table = table[table["area_id"].isin(f.areas)]
    if len(table) == 0:
        return pd.DataFrame(
            {c: [] for c in ("area_id", "value", "n", "period_start", "period_end", "cadence")}
        )
    ordered = table.assign(
        _length=table["period_end"] - table["period_start"], _n=table["n"].fillna(-1)
    ).sort_values(["period_end", "_length", "_n"], kind="stable")
    latest = ordered.drop_duplicates("area_id", keep="last")
    columns = ["area_id", "value", "n", "period_start", "period_end", "cadence"]
    return latest[columns].sort_values("area_id").reset_index(drop=True)


def published_series(src: Source, metric: str, f: Filters, area: str | None = None) -> pd.DataFrame:
    """The published figures of one area (None: the city) whose period ends within the filters' period,
    one row per figure: period_start, period_end, cadence, value, n. Draw one line per cadence."""
    table = _within(rows(src, metric), f)
    table = table[table["area_id"] == area] if area is not None else table[table["city"]]
    columns = ["period_start", "period_end", "cadence", "value", "n"]
    ordered = table.sort_values(["cadence", "period_end", "period_start"], kind="stable")
    return ordered.drop_duplicates(["cadence", "period_start", "period_end"], keep="last")[
        columns
    ].reset_index(drop=True)


def published_groups(src: Source) -> tuple[str, ...]:
    """The breakdown groups the published figures have ('age: 18-24', ...)."""
    groups = src.published()["group"] if len(src.published()) else pd.Series([], dtype="string")
    return tuple(sorted(str(g) for g in groups.dropna().unique()))


def published_metrics(src: Source) -> tuple[str, ...]:
    """The metrics that have a published figure for everyone."""
    table = src.published()
    if len(table) == 0:
        return ()
    return tuple(sorted(str(m) for m in table.loc[table["group"].isna(), "metric"].dropna().unique()))
