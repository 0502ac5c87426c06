"""Notable events (row-level, not figures): a program's launch in an area, and unusually large events.

Found once per data set (`notables`, kept by cpdash.ui) from the events table; each filter state then only
picks the ones in its period, areas and programs. "Unusually large" is measured against the program's
typical attendance, the median of its counted events in the whole data: computed here, once, by
`typical_attendance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.filters import select
from cpdash.metrics.periods import Filters

LAUNCH_LOOKBACK_DAYS = 365  # a first event counts as a launch only when the data reaches this far back
LAUNCH_MIN_EVENTS = 3  # ... and when the program then held at least this many events in the area
LARGE_FACTOR = 3.0  # an event is unusually large at this multiple of its program's typical attendance ...
LARGE_MIN = 100  # ... and with at least this many people
MAX_LAUNCHES = 5  # launches marked on the timeline (all are in the download)
MAX_LARGE = 5  # unusually large events marked on the timeline (the largest)
LAUNCH, LARGE = "launch", "large"
KINDS = {LAUNCH: "program launch", LARGE: "unusually large"}
COLUMNS = ("date", "month", "kind", "program", "area", "attendance", "typical", "label", "marked")
FOUND = ("start", "kind", "program", "area_id", "attendance", "typical")


@dataclass(frozen=True)
class Notables:
    """Every launch and unusually large event of a data set, in date order (see the module docstring)."""

    events: pd.DataFrame  # start, kind, program, area_id, attendance, typical (the program's median)
    typical: pd.Series  # program -> median counted attendance


def _dated(events: pd.DataFrame | None) -> pd.DataFrame:
    """The events with a start, in date order (start as naive datetimes; program and area may be missing)."""
    if events is None or not {"start", "program", "area_id"} <= set(events.columns):
        return pd.DataFrame({c: [] for c in ("start", "program", "area_id", "attendance")})
    start = pd.to_datetime(events["start"], errors="coerce")
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_localize(None)
    attendance = (
        pd.to_numeric(events["attendance"], errors="coerce")
        if "attendance" in events.columns
        else pd.Series(np.nan, index=events.index)
    )
    frame = pd.DataFrame(
        {
            "start": start,
            "program": events["program"].astype("string"),
            "area_id": events["area_id"].astype("string"),
            "attendance": attendance.astype("float64"),
        }
    )
    frame = frame.dropna(subset=["start"])
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def typical_attendance(events: pd.DataFrame) -> pd.Series:
    """Median counted attendance per program over the whole data (the one definition of 'typical')."""
    counted = events.dropna(subset=["attendance"])
    return counted.groupby("program")["attendance"].median()


def _launches(events: pd.DataFrame) -> pd.DataFrame:
    """Each program's first event in each area, when the data reaches back LAUNCH_LOOKBACK_DAYS before it and
    the program went on to hold LAUNCH_MIN_EVENTS events there (not a one-off)."""
    known = events.dropna(subset=["area_id", "program"])
    if len(known) == 0:
        return events.iloc[:0]
    pairs = known.groupby(["area_id", "program"], sort=False)
    first = known.loc[pairs["start"].idxmin()]
    held = pairs.size().reindex(pd.MultiIndex.from_frame(first[["area_id", "program"]])).to_numpy()
    threshold = events["start"].iloc[0] + pd.Timedelta(days=LAUNCH_LOOKBACK_DAYS)
    return first[(held >= LAUNCH_MIN_EVENTS) & (first["start"] >= threshold).to_numpy()]


def notables(events: pd.DataFrame | None) -> Notables:
    """The launches and unusually large events of a data set's events table."""
    frame = _dated(events)
    typical = typical_attendance(frame)
    launches = _launches(frame).assign(kind=LAUNCH)
    usual = frame["program"].map(typical).astype("float64")
    big = frame["attendance"].notna() & usual.notna()
    big &= frame["attendance"] >= np.maximum(LARGE_FACTOR * usual, LARGE_MIN)
    large = frame[big].assign(kind=LARGE)
    found = pd.concat([launches, large]) if len(launches) or len(large) else frame.iloc[:0].assign(kind="")
    found = found.assign(typical=found["program"].map(typical).astype("float64"))
    found = found.sort_values("start", kind="stable").reset_index(drop=True)
    return Notables(found[list(FOUND)], typical)


def notable_events(n: Notables, f: Filters, names: dict[str, str]) -> pd.DataFrame:
    """The notable events in the filters' period, areas and programs: date, month, kind, program, area,
    attendance, typical, label (plain text) and marked (drawn on the chart: the first MAX_LAUNCHES launches
    and the MAX_LARGE largest events)."""
    chosen = select(n.events, f, "start", by_program=True)
    kind = chosen["kind"].to_numpy(dtype=object)
    attendance = chosen["attendance"].to_numpy(dtype="float64")
    launch = np.flatnonzero(kind == LAUNCH)
    large = np.flatnonzero(kind == LARGE)
    large = large[np.argsort(-attendance[large], kind="stable")]  # the largest first (unknown last)
    rows = np.concatenate([launch, large])
    if len(rows) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    marked = np.concatenate([np.arange(len(launch)) < MAX_LAUNCHES, np.arange(len(large)) < MAX_LARGE])
    start = chosen["start"].to_numpy(dtype="datetime64[ns]")[rows]
    kinds = kind[rows]
    programs = chosen["program"].astype("str").to_numpy(dtype=object)[rows]
    people = attendance[rows]
    areas = [str(names.get(a, a)) for a in chosen["area_id"].to_numpy(dtype=object)[rows]]
    labels = [
        f"{p} began in {a}" if k == LAUNCH else f"{p} in {a}: {n:,.0f} people"
        for k, p, a, n in zip(kinds, programs, areas, people, strict=True)
    ]
    day = start.astype("datetime64[D]").astype("datetime64[ns]")
    order = np.lexsort((kinds.astype(str), day))  # by date, then kind
    out = {
        "date": day,
        "month": start.astype("datetime64[M]").astype("datetime64[us]"),
        "kind": kinds,
        "program": programs,
        "area": np.array(areas, dtype=object),
        "attendance": people,
        "typical": chosen["typical"].to_numpy(dtype="float64")[rows],
        "label": np.array(labels, dtype=object),
        "marked": marked,
    }
    return pd.DataFrame({name: values[order] for name, values in out.items()})


def notable_download(notable: pd.DataFrame) -> pd.DataFrame:
    """The notable events for the CSV: every one, not only those marked on the chart."""
    return pd.DataFrame(
        {
            "Date": [f"{d:%Y-%m-%d}" for d in notable["date"]],
            "Kind": notable["kind"].map(KINDS),
            "Program": notable["program"],
            "Area": notable["area"],
            "Attendance": notable["attendance"],
            "Typical attendance of the program (median)": notable["typical"],
            "Marked on the chart": notable["marked"].map({True: "yes", False: "no"}),
        }
    )
