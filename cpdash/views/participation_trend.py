"""The Participation page's monthly trend: attendance (or events) by month split by program or area, the
same months last year, a 3-month rolling average and the notable events, with its main finding in words.

Every figure is cpdash.metrics.engagement's (engagement_by per month and group); last year is the
filters' `last_year()`. A missing attendance is unknown, never zero; months before the data are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.change import change
from cpdash.metrics.engagement import engagement_arrays
from cpdash.metrics.gather import MONTH, Source
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt
from cpdash.views import participation_notable as notable
from cpdash.views.participation_text import (
    LEVEL_PCT,
    MEASURES,
    SPLIT_KEYS,
    count_words,
    measure_unit,
    month_name,
)

TOP_GROUPS = 7  # groups drawn on their own; the others are summed as "Other ..."
OTHER_LABEL = {"program": "Other programs", "area": "Other areas"}
ROLLING_MONTHS = 3  # the rolling average line
SPREAD_SHARE = 0.5  # when the groups drawn on their own hold less than this share, the caption says so
NO_EVENT = "No event in this period and selection."


@dataclass(frozen=True)
class Trend:
    """The monthly trend, split by program or area, with last year, a rolling average and notable events."""

    split: str  # program | area
    measure: str  # attendance | events
    groups: pd.DataFrame  # the measure per group (rows, busiest first) and month (columns)
    months: (
        pd.DataFrame
    )  # month, events, attendance, events_without_attendance, value, rolling, last_year, ...
    notable: pd.DataFrame  # cpdash.views.participation_notable.COLUMNS
    caption: str
    empty: str | None  # why there is nothing to draw


def month_start(day: object) -> pd.Timestamp:
    """The first day of the month of `day`."""
    return pd.Timestamp(day).to_period("M").to_timestamp()


def period_months(f: Filters) -> pd.DatetimeIndex:
    """The first days of the months the filters' period touches (the Source's month keys)."""
    return pd.date_range(month_start(f.start), month_start(f.end), freq="MS")


def first_event_month(src: Source) -> pd.Timestamp | None:
    """The month of the first event in the data (None without events): months before it are unknown."""
    held = src.extent("events")
    return month_start(pd.Timestamp(held[0])) if held is not None else None


def _value(table: pd.DataFrame | dict[str, np.ndarray], measure: str) -> np.ndarray:
    """The measured figure per row: attendance or events."""
    column = "attendance" if measure == "attendance" else "events"
    return np.asarray(table[column], dtype="float64")


def _label(split: str, key: object, names: dict[str, str]) -> str:
    """A group's label: the program, or the area's name."""
    return str(key) if split == "program" else str(names.get(str(key), key))


def last_year_covered(f: Filters, first: pd.Timestamp | None) -> bool:
    """True when the data reaches back to the start of the month of the same day a year before."""
    return first is not None and month_start(f.last_year().start) >= first


def _aligned(values: np.ndarray, keys: pd.Index, wanted: pd.Index) -> np.ndarray:
    """`values` (one per key) at the `wanted` keys, NaN where a key is not among `keys`."""
    at = keys.get_indexer(wanted)
    return np.where(at >= 0, np.asarray(values, dtype="float64")[at], np.nan)


def monthly_totals(src: Source, f: Filters, measure: str, first: pd.Timestamp | None) -> pd.DataFrame:
    """Per month of the period: month, events, attendance, events_without_attendance, value (the measure),
    rolling (its average over the last 3 months, the whole 2 months before the period included),
    last_year, last_year_events, last_year_events_without_attendance (the same days a year before).
    Months before the first event in the data (`first`) are unknown (NaN), not zero."""
    keys, now = engagement_arrays(src, f, (MONTH,))
    months = pd.DatetimeIndex(keys[MONTH])
    value = _value(now, measure)
    m0 = month_start(f.start)
    lead = f.with_period(
        (m0 - pd.DateOffset(months=ROLLING_MONTHS - 1)).date(), (m0 - pd.Timedelta(days=1)).date()
    )
    lead_keys, before = engagement_arrays(src, lead, (MONTH,))
    known = (
        pd.DatetimeIndex(lead_keys[MONTH]) >= first if first is not None else np.zeros(len(lead_keys), bool)
    )
    series = np.concatenate([np.where(known, _value(before, measure), np.nan), value])
    windows = np.lib.stride_tricks.sliding_window_view(series, ROLLING_MONTHS)
    rolling = windows.mean(axis=1)[len(lead_keys) - (ROLLING_MONTHS - 1) :]  # a NaN in a window: NaN
    last_keys, last = engagement_arrays(src, f.last_year(), (MONTH,))
    shifted = pd.DatetimeIndex(last_keys[MONTH]) + pd.DateOffset(years=1)
    unknown = np.ones(len(months), bool) if first is None else (months - pd.DateOffset(years=1)) < first
    return pd.DataFrame(
        {
            "month": months,
            "events": now["events"],
            "attendance": now["attendance"].astype("float64"),
            "events_without_attendance": now["events_without_attendance"],
            "value": value,
            "rolling": rolling,
            "last_year": np.where(unknown, np.nan, _aligned(_value(last, measure), shifted, months)),
            "last_year_events": np.where(unknown, np.nan, _aligned(last["events"], shifted, months)),
            "last_year_events_without_attendance": np.where(
                unknown, np.nan, _aligned(last["events_without_attendance"], shifted, months)
            ),
        }
    )


def _ranked(keys: pd.Series, figures: dict[str, np.ndarray], split: str, names: dict[str, str], measure: str):
    """The groups with an event, highest measure first (ties by label): their positions and labels."""
    present = np.flatnonzero(figures["events"] > 0)
    rank = -np.nan_to_num(_value(figures, measure)[present], nan=-1.0)
    labels = [_label(split, k, names) for k in keys.to_numpy()[present]]
    order = sorted(range(len(present)), key=lambda i: (rank[i], labels[i]))
    return present[order], [labels[i] for i in order]


def monthly_by_group(
    src: Source,
    f: Filters,
    split: str,
    names: dict[str, str],
    top: int | None = TOP_GROUPS,
    measure: str = "attendance",
) -> pd.DataFrame:
    """The measure per group (rows) and month of the period (columns): groups with the highest total first
    (ties by label); with `top`, the other groups together as "Other programs" / "Other areas". Groups
    without an event in the period are left out; a month with events but no attendance count is NaN."""
    key = SPLIT_KEYS[split]
    months = period_months(f)
    keys, per_group = engagement_arrays(src, f, (key,))
    present, labels = _ranked(keys[key], per_group, split, names, measure)
    if len(present) == 0:
        return pd.DataFrame(columns=months, dtype="float64")
    cube_keys, cube = engagement_arrays(src, f, (key, MONTH))
    groups = pd.Index(keys[key])
    span = len(cube_keys) // len(groups) if len(groups) else 0
    in_cube = pd.Index(cube_keys[key].to_numpy()[::span]) if span else groups
    wide = _value(cube, measure).reshape(len(in_cube), span) if span else np.zeros((len(in_cube), 0))
    columns = pd.DatetimeIndex(cube_keys[MONTH].iloc[:span]).get_indexer(months)
    wide = np.where(columns >= 0, wide[:, columns], np.nan)
    rows = in_cube.get_indexer(groups[present])
    own = len(present) if top is None else min(top, len(present))
    values, index = wide[rows[:own]], labels[:own]
    if top is not None and len(present) > top:
        others = tuple(str(k) for k in groups[present[top:]])
        rest = f.with_areas(others) if split == "area" else f.with_programs(others)
        _, other = engagement_arrays(src, rest, (MONTH,))
        values, index = np.vstack([values, _value(other, measure)]), [*index, OTHER_LABEL[split]]
    out = pd.DataFrame(values, index=index, columns=months)
    out.index.name = "group"
    return out


def group_change(src: Source, f: Filters, split: str, names: dict[str, str], measure: str) -> pd.DataFrame:
    """Per group with an event in the period or the same days a year before: group, now, before and change
    (an unknown figure taken as 0 in the change)."""
    key = SPLIT_KEYS[split]
    keys, now = engagement_arrays(src, f, (key,))
    before_keys, before = engagement_arrays(src, f.last_year(), (key,))
    groups = pd.Index(keys[key])
    before_events = _aligned(before["events"], pd.Index(before_keys[key]), groups)
    present = np.flatnonzero((now["events"] > 0) | (np.nan_to_num(before_events) > 0))
    value_now = _value(now, measure)[present]
    value_before = _aligned(_value(before, measure), pd.Index(before_keys[key]), groups)[present]
    a, b = np.nan_to_num(value_now), np.nan_to_num(value_before)
    return pd.DataFrame(
        {
            "group": [_label(split, k, names) for k in groups[present]],
            "now": value_now,
            "before": value_before,
            "change": [change(x, y).delta for x, y in zip(a, b, strict=True)],
        }
    )


def _notable_words(notable_events: pd.DataFrame) -> str:
    """What ★ marks on the chart."""
    launches = int((notable_events["kind"] == notable.LAUNCH).sum())
    large = int((notable_events["kind"] == notable.LARGE).sum())
    bits = []
    if launches:
        shown = min(launches, notable.MAX_LAUNCHES)
        bits.append(
            count_words(launches, "program launch", "program launches")
            if shown == launches
            else f"the first {shown} of {launches:,} program launches"
        )
    if large:
        shown = min(large, notable.MAX_LARGE)
        bits.append(
            count_words(large, "unusually large event")
            if shown == large
            else f"the {shown} largest of {large:,} unusually large events"
        )
    return "★ marks " + " and ".join(bits) + " (all are in the download)."


def trend_caption(
    months: pd.DataFrame,
    changes: pd.DataFrame,
    measure: str,
    covered: bool,
    notable_events: pd.DataFrame | None = None,
) -> str:
    """The trend's main finding: the change on the same months last year and what drove it (or, without
    last year, the busiest month), the events left out for lack of a count, and what ★ marks."""
    label = MEASURES[measure]
    events = int(months["events"].sum())
    if events == 0:
        return NO_EVENT
    value = months["value"].to_numpy(dtype="float64")
    if np.isnan(value).all():
        return f"None of the {count_words(events, 'event')} has an attendance count: attendance cannot be charted."
    now = float(np.nansum(value))
    unit = measure_unit(measure)
    parts = []
    last = months["last_year"].to_numpy(dtype="float64")
    before = float(last.sum()) if covered and not np.isnan(last).any() else np.nan
    if not fmt.is_missing(before) and before > 0:
        pct = change(now, before).pct
        if abs(pct) < LEVEL_PCT:
            parts.append(f"{label} was level with the same months last year ({now:,.0f} {unit}).")
        else:
            verb = "rose" if pct > 0 else "fell"
            sentence = (
                f"{label} {verb} {abs(pct):.0f} % on the same months last year ({before:,.0f} → {now:,.0f})"
            )
            direction = changes[np.sign(changes["change"]) == np.sign(now - before)]
            if len(changes) > 1 and len(direction):
                driver = direction.loc[direction["change"].abs().idxmax()]
                sentence += f", driven by {fmt.markdown_text(driver['group'])} ({driver['change']:+,.0f})"
            parts.append(sentence + ".")
    elif before == 0:
        parts.append(f"{now:,.0f} {unit} in the period; none in the same months last year.")
    else:
        if len(months) == 1:
            parts.append(f"{now:,.0f} {unit} in {month_name(months['month'].iloc[0])}.")
        else:
            busiest = int(np.nanargmax(value))
            parts.append(
                f"{now:,.0f} {unit} over {len(months)} months; the busiest was "
                f"{month_name(months['month'].iloc[busiest])} ({value[busiest]:,.0f})."
            )
        if not covered:
            parts.append(
                "The data does not reach back a full year, so there is no comparison with last year."
            )
    missing = int(months["events_without_attendance"].sum())
    if measure == "attendance" and missing:
        verb = "is" if missing == 1 else "are"
        parts.append(f"{count_words(missing, 'event')} without an attendance count {verb} left out.")
    if notable_events is not None and len(notable_events):
        parts.append(_notable_words(notable_events))
    return " ".join(parts)


def spread_note(groups: pd.DataFrame, split: str, measure: str) -> str | None:
    """When the groups drawn on their own hold less than half of the total (many small areas), say so and
    how to compare particular ones; None otherwise."""
    if OTHER_LABEL[split] not in groups.index:
        return None
    totals = np.nan_to_num(groups.to_numpy(dtype="float64")).sum(axis=1)
    total, shown = totals.sum(), totals[:-1].sum()
    if total <= 0 or shown / total >= SPREAD_SHARE:
        return None
    what = "areas" if split == "area" else "programs"
    return (
        f"The {len(totals) - 1} busiest {what} hold {shown / total * 100:.0f} % of the "
        f"{MEASURES[measure].lower()}; choose {what} in the sidebar to compare particular ones."
    )


def trend(
    src: Source,
    notable_events: pd.DataFrame,
    f: Filters,
    split: str,
    measure: str,
    names: dict[str, str],
    last_year_shown: bool = True,
) -> Trend:
    """Everything the trend chart and its caption need (`notable_events`: those of the filters;
    `last_year_shown`: False where the public view would not show the choice the same days a year before,
    so that nothing is compared with them)."""
    first = first_event_month(src)
    months = monthly_totals(src, f, measure, first)
    groups = monthly_by_group(src, f, split, names, TOP_GROUPS, measure)
    changes = group_change(src, f, split, names, measure)
    if not last_year_shown:
        months[["last_year", "last_year_events", "last_year_events_without_attendance"]] = np.nan
        changes = changes.iloc[0:0]
    covered = last_year_shown and last_year_covered(f, first)
    caption = trend_caption(months, changes, measure, covered, notable_events)
    spread = spread_note(groups, split, measure)
    if spread:
        caption += " " + spread
    empty = None
    if months["events"].sum() == 0:
        empty = "No event in this period and selection: there is no trend to draw."
    elif measure == "attendance" and months["attendance"].isna().all():
        empty = "No event in this period and selection has an attendance count: switch to Events to see the trend."
    return Trend(split, measure, groups, months, notable_events, caption, empty)


def trend_download(t: Trend) -> pd.DataFrame:
    """The trend's numbers for the CSV: one row per month, with the totals and each group's figure."""
    m = t.months
    label = MEASURES[t.measure]
    out = pd.DataFrame(
        {
            "Month": [f"{x:%Y-%m}" for x in m["month"]],
            "Events": m["events"].to_numpy(),
            "Attendance": m["attendance"].to_numpy(),
            "Events without an attendance count": m["events_without_attendance"].to_numpy(),
            f"{label}, 3-month average": m["rolling"].round(1).to_numpy(),
            f"{label}, same month last year": m["last_year"].to_numpy(),
        }
    )
    for group, values in zip(t.groups.index, t.groups.to_numpy(), strict=True):
        out[f"{label}: {group}"] = values
    return out
