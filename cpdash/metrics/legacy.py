"""The dashboard's metrics: one definition each, used by every page (see PRODUCT.md, "Metrics").

Plain functions on the loaded frames. None of them modifies its input (the frames are shared,
read-only, by every session); all of them accept empty frames and absent optional columns and then
return NaN or 0 rather than raising.

Conventions:
- A period is an inclusive range of calendar days, ``start`` to ``end``: an event on ``end`` at 18:00
  is inside it.
- Scores are on 0 to 100 (mean of 0 to 10 answers x 10), "not a percentage".
- Fields called ``share_*`` and ``youth_share`` are fractions from 0 to 1; the fields of
  ``SentimentSummary`` are percentages, as in the definition of net sentiment.
- A missing attendance is unknown, never zero: figures say how many events lack it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.sentiment import NEGATIVE, POSITIVE

# --- constants -------------------------------------------------------------------------------------

K_DEFAULT = 10  # a figure resting on fewer responses than this is suppressed (public) or flagged (staff)
SCORE_SCALE = 10.0  # answers on 0-10 -> scores on 0-100
SCORE_MIN, SCORE_MAX = 0.0, 100.0
PER_POPULATION = 10_000  # attendance per this many residents
RESOLVE_WITHIN_DAYS = 90  # follow-through: share of concerns resolved within this many days
TRUST_DROP_DEFAULT = 5.0  # needs attention: fall in trust, in score points, between two periods
OPEN_CONCERNS_MIN_INCREASE = 3  # needs attention: open concerns must grow by at least this many ...
OPEN_CONCERNS_MIN_GROWTH = 0.25  # ... and by at least this fraction of the previous count
DENSE_GROUPS_MAX = 50_000_000  # key combinations up to this many are grouped with a lookup table
TOLERANCE = 1e-9  # thresholds on computed means are met within this (floating-point rounding)
NO_EVENT_SEVERITY = 1.0  # needs attention: severity of an area with no event in the period
NO_EVENT_EITHER_SEVERITY = 1.5  # ... and with no event in the previous period either

# Two-sided 95 % quantiles of Student's t, t(0.975, df) for df = 1..30 (exact to 8 decimals).
T975_TABLE = np.array(
    [
        12.70620474, 4.30265273, 3.18244631, 2.77644511, 2.57058184,
        2.44691185, 2.36462425, 2.30600414, 2.26215716, 2.22813885,
        2.20098516, 2.17881283, 2.16036866, 2.14478669, 2.13144955,
        2.11990530, 2.10981558, 2.10092204, 2.09302405, 2.08596345,
        2.07961384, 2.07387307, 2.06865761, 2.06389856, 2.05953855,
        2.05552944, 2.05183052, 2.04840714, 2.04522964, 2.04227246,
    ]
)  # fmt: skip
Z975 = 1.959963984540054  # standard normal quantile at 0.975

CONCERN_OPEN = ("open", "in progress")
CONCERN_CLOSED = ("resolved", "declined")

ISSUE_FALLING_TRUST = "falling trust"
ISSUE_OPEN_CONCERNS = "growing open concerns"
ISSUE_NO_ENGAGEMENT = "no engagement"
PAGE_FOR_ISSUE = {
    ISSUE_FALLING_TRUST: "community_voice",
    ISSUE_OPEN_CONCERNS: "you_said_we_did",
    ISSUE_NO_ENGAGEMENT: "participation",
}

SCORE_COLUMNS = ("score", "n", "low", "high", "suppressed")
ENGAGEMENT_BY_COLUMNS = (
    "events",
    "attendance",
    "events_with_attendance",
    "events_without_attendance",
    "youth_share",
    "officer_hours",
    "cost",
    "cost_per_attendee",
)
FOLLOW_THROUGH_COLUMNS = (
    "raised",
    "resolved",
    "declined",
    "open_at_end",
    "missing_resolved_date",
    "median_days_to_resolve",
    "resolved_within_90",
    "eligible_90",
    "share_resolved_within_90",
)
_COUNT_COLUMNS = (
    "raised",
    "resolved",
    "declined",
    "open_at_end",
    "missing_resolved_date",
    "resolved_within_90",
    "eligible_90",
)  # the counts of FOLLOW_THROUGH_COLUMNS
SENTIMENT_COLUMNS = ("net", "positive", "negative", "neutral", "n")
ATTENTION_COLUMNS = ("area_id", "name", "issue", "detail", "page", "severity")
DATE_COLUMNS = frozenset({"month", "period_start", "period_end"})
MEASURE_COLUMNS = frozenset(
    {*SCORE_COLUMNS, *ENGAGEMENT_BY_COLUMNS, *FOLLOW_THROUGH_COLUMNS, *SENTIMENT_COLUMNS}
    | {"population", "attendance_per_10k", "severity"}
)

DateLike = dt.date | pd.Timestamp

# --- small helpers ---------------------------------------------------------------------------------


def _is_empty(frame: pd.DataFrame | None) -> bool:
    """True when `frame` is None or has no rows."""
    return frame is None or len(frame) == 0


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    """An empty frame with the given columns: dates as datetimes, measures as floats, keys as text."""
    return pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c)) for c in columns})


def _empty_dtype(column: str) -> str:
    """The dtype of `column` in an empty result."""
    if column in DATE_COLUMNS:
        return "datetime64[ns]"
    if column in MEASURE_COLUMNS:
        return "bool" if column == "suppressed" else "float64"
    return "str"


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """`column` as float64 (NaN when not numeric), or an all-NaN series when the column is absent."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64", name=column)
    values = frame[column]
    if values.dtype == "float64":
        return values
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _as_datetime(values: pd.Series) -> pd.Series:
    """`values` as naive datetimes (no copy when they already are)."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(values, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values


def _day(value: DateLike) -> pd.Timestamp:
    """Midnight of the calendar day of `value`."""
    return pd.Timestamp(value).normalize()


def _absent(frame: pd.DataFrame | None, column: str) -> bool:
    """True when `frame` is None or lacks `column` (its figures are then unknown, not zero)."""
    return frame is None or column not in frame.columns


def _fsum(values: pd.Series) -> float:
    """Sum of the known values; NaN when none is known."""
    return float(values.sum(min_count=1))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0 or unknown."""
    if denominator is None or numerator is None:
        return math.nan
    if not np.isfinite(denominator) or denominator == 0 or not np.isfinite(numerator):
        return math.nan
    return float(numerator) / float(denominator)


def _fmt_date(value: DateLike) -> str:
    """A date as '1 Nov 2025'."""
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def period_mask(values: pd.Series, start: DateLike | None, end: DateLike | None) -> np.ndarray:
    """Boolean array: which `values` (datetimes) fall on a calendar day from `start` to `end` inclusive."""
    when = _as_datetime(values)
    mask = np.array(when.notna(), dtype=bool)  # a writable copy (pandas arrays may be read-only)
    if start is not None:
        mask &= (when >= _day(start)).to_numpy()
    if end is not None:
        mask &= (when < _day(end) + pd.Timedelta(days=1)).to_numpy()
    return mask


def in_period(
    frame: pd.DataFrame | None, column: str, start: DateLike | None, end: DateLike | None
) -> pd.DataFrame:
    """Rows of `frame` whose `column` falls from `start` to `end`, inclusive by calendar day."""
    if frame is None:
        return pd.DataFrame()
    if column not in frame.columns or len(frame) == 0:
        return frame.iloc[0:0]
    return frame[period_mask(frame[column], start, end)]


def month_start(values: pd.Series) -> pd.Series:
    """The first day of the month of each datetime (NaT stays NaT), named 'month'."""
    when = _as_datetime(values)
    months = when.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(months, index=values.index, name="month")


# A factorized grouping key: per-row codes (-1 where missing), the sorted distinct values, a name.
Factor = tuple[np.ndarray, pd.Index, str]


def _factor(values: pd.Series) -> Factor:
    """Factorize one grouping key, sorted, missing values coded -1."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype="int64"), pd.Index(uniques), str(values.name)


def _month_factor(values: pd.Series) -> Factor:
    """Factorize datetimes by calendar month (cheaper than grouping on month_start)."""
    months = _as_datetime(values).to_numpy().astype("datetime64[M]")
    missing = np.isnat(months)
    number = months.view("int64")
    if missing.all():
        return np.full(len(months), -1, dtype="int64"), pd.DatetimeIndex([], dtype="datetime64[ns]"), "month"
    first = number[~missing].min()
    codes = np.where(missing, -1, number - first)
    span = np.arange(first, number[~missing].max() + 1).astype("datetime64[M]")
    return codes, pd.DatetimeIndex(span.astype("datetime64[ns]")), "month"


def _group_codes(factors: list[Factor]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group code per row (-1 when any key is missing) and the key values of each group present."""
    n = len(factors[0][0])
    sizes = [max(len(uniques), 1) for _, uniques, _ in factors]
    if len(factors) == 1:
        combined = factors[0][0]
    else:
        combined = np.zeros(n, dtype="int64")
        missing = np.zeros(n, dtype=bool)
        for (codes, _, _), size in zip(factors, sizes, strict=True):
            combined = combined * size + codes
            missing |= codes < 0
        combined[missing] = -1
    total = math.prod(sizes)
    if total <= DENSE_GROUPS_MAX:
        present = np.flatnonzero(np.bincount(combined + 1, minlength=total + 1)[1:])
        lookup = np.full(total + 1, -1, dtype="int64")
        lookup[present + 1] = np.arange(len(present))
        group = lookup[combined + 1]
    else:
        group, present = pd.factorize(np.where(combined < 0, np.nan, combined), sort=True)
        present = present.astype("int64")
    positions = np.unravel_index(present, sizes) if len(present) else [np.zeros(0, "int64")] * len(sizes)
    keys = pd.DataFrame(
        {name: uniques.take(pos) for (_, uniques, name), pos in zip(factors, positions, strict=True)}
    )
    return np.asarray(group, dtype="int64"), keys


def _group_sums(group: np.ndarray, groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-group count (or sum of `weights`) over the rows whose group code is not -1."""
    return np.bincount(group + 1, weights, minlength=groups + 1)[1:]


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length that ends the day before `start`."""
    start_day, end_day = _day(start).date(), _day(end).date()
    length = (end_day - start_day).days + 1
    previous_end = start_day - dt.timedelta(days=1)
    return previous_end - dt.timedelta(days=length - 1), previous_end


# --- scores ----------------------------------------------------------------------------------------


def t975(df: np.ndarray | float) -> np.ndarray:
    """Student's t quantile at 0.975 for `df` degrees of freedom (NaN for df < 1), vectorised."""
    d = np.atleast_1d(np.asarray(df, dtype="float64"))
    out = np.full(d.shape, np.nan)
    whole = np.floor(d)
    small = (whole >= 1) & (whole <= len(T975_TABLE))
    out[small] = T975_TABLE[whole[small].astype(int) - 1]
    large = whole > len(T975_TABLE)
    v, z = whole[large], Z975
    # Cornish-Fisher expansion of t in 1/df; error below 3e-8 for df > 30.
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    out[large] = z + g1 / v + g2 / v**2 + g3 / v**3 + g4 / v**4
    return out


@dataclass(frozen=True)
class Score:
    """A 0-100 score with the number of answers behind it and its 95 % interval."""

    value: float
    n: int
    low: float
    high: float
    suppressed: bool


def _score_table(n: np.ndarray, mean: np.ndarray, sd: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Score, interval and suppression from per-group counts, means and sample sds of 0-10 answers."""
    n = np.asarray(n, dtype="int64")
    mean = np.asarray(mean, dtype="float64")
    sd = np.asarray(sd, dtype="float64")
    value = np.where(n > 0, mean * SCORE_SCALE, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t975(n - 1) * sd * SCORE_SCALE / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    low = np.clip(value - half, SCORE_MIN, SCORE_MAX)
    high = np.clip(value + half, SCORE_MIN, SCORE_MAX)
    return {"score": value, "n": n, "low": low, "high": high, "suppressed": n < k}


def score_columns(
    n: np.ndarray, mean: np.ndarray, sd: np.ndarray, k: int = K_DEFAULT
) -> dict[str, np.ndarray]:
    """Columns score, n, low, high, suppressed from per-group counts, means and sample sds of 0-10 answers
    (the definition `score` uses, for callers that group their answers themselves)."""
    return _score_table(n, mean, sd, k)


def score(values: pd.Series, k: int = K_DEFAULT) -> Score:
    """Mean of 0-10 answers x 10, with n, a t-based 95 % interval and suppression below `k` answers."""
    answers = pd.to_numeric(pd.Series(values), errors="coerce").dropna().astype("float64")
    n = len(answers)
    mean = answers.mean() if n else np.nan
    sd = answers.std(ddof=1) if n >= 2 else np.nan
    t = _score_table(np.array([n]), np.array([mean]), np.array([sd]), k)
    return Score(
        value=float(t["score"][0]),
        n=n,
        low=float(t["low"][0]),
        high=float(t["high"][0]),
        suppressed=bool(t["suppressed"][0]),
    )


def _scores_grouped(values: pd.Series, factors: list[Factor], k: int) -> pd.DataFrame:
    """Score columns per group of the factorized keys (groups with a missing key are dropped)."""
    names = [name for _, _, name in factors]
    if len(values) == 0:
        return _empty([*names, *SCORE_COLUMNS])
    group, keys = _group_codes(factors)
    groups = len(keys)
    answers = values.to_numpy(dtype="float64", na_value=np.nan)
    answered = ~np.isnan(answers)
    group_answered = np.where(answered, group, -1)
    x = np.where(answered, answers, 0.0)
    n = _group_sums(group_answered, groups).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _group_sums(group_answered, groups, x) / n
        deviation = x - mean[np.maximum(group_answered, 0)]  # two passes: stable variance
        squares = _group_sums(group_answered, groups, deviation * deviation)
        sd = np.sqrt(squares / (n - 1))
    table = _score_table(n, mean, sd, k)
    out = keys
    for column in SCORE_COLUMNS:
        out[column] = table[column]
    return out


def scores_by(
    responses: pd.DataFrame | None, metric: str, by: str | Sequence[str], k: int = K_DEFAULT
) -> pd.DataFrame:
    """Score of `metric` per group of `by`: columns by..., score, n, low, high, suppressed."""
    keys = [by] if isinstance(by, str) else list(by)
    if _is_empty(responses) or any(c not in responses.columns for c in keys):
        return _empty([*keys, *SCORE_COLUMNS])
    return _scores_grouped(_numeric(responses, metric), [_factor(responses[c]) for c in keys], k)


def monthly_scores(
    responses: pd.DataFrame | None,
    metric: str,
    k: int = K_DEFAULT,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score of `metric` per calendar month (and `by`): month, [by...], score, n, low, high, suppressed."""
    extra = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if _is_empty(responses) or "submitted" not in responses.columns:
        return _empty(["month", *extra, *SCORE_COLUMNS])
    if any(c not in responses.columns for c in extra):
        return _empty(["month", *extra, *SCORE_COLUMNS])
    factors = [_month_factor(responses["submitted"]), *(_factor(responses[c]) for c in extra)]
    return _scores_grouped(_numeric(responses, metric), factors, k)


def published_scores(
    area_scores: pd.DataFrame | None,
    metric: str,
    level: str | None = None,
    group: str | None = None,
    k: int = K_DEFAULT,
) -> pd.DataFrame:
    """Published `metric` figures as is, never recomputed, with their n where given.

    Columns: period_start, period_end, level, area_id, group, score, n, low, high, suppressed.
    `group` None selects the figures for everyone (blank group); otherwise that breakdown only.
    `n` is NaN when not published; a figure is suppressed only when its published n is below `k`.
    Published figures carry no interval (low and high are NaN).
    """
    columns = ["period_start", "period_end", "level", "area_id", "group", *SCORE_COLUMNS]
    if _is_empty(area_scores) or "metric" not in area_scores.columns:
        return _empty(columns)
    frame = area_scores
    mask = np.array((frame["metric"] == metric).fillna(False), dtype=bool)
    if level is not None and "level" in frame.columns:
        mask &= (frame["level"] == level).fillna(False).to_numpy(dtype=bool)
    if "group" in frame.columns:
        groups = frame["group"].astype("string").str.strip()
        if group is None:
            mask &= (groups.isna() | (groups == "")).to_numpy(dtype=bool)
        else:
            mask &= (groups == group).fillna(False).to_numpy(dtype=bool)
    elif group is not None:
        mask &= False
    rows = frame[mask]
    n = _numeric(rows, "n")
    out = pd.DataFrame(
        {
            "period_start": rows.get("period_start", pd.NaT),
            "period_end": rows.get("period_end", pd.NaT),
            "level": rows.get("level", pd.NA),
            "area_id": rows.get("area_id", pd.NA),
            "group": rows.get("group", pd.NA),
            "score": _numeric(rows, "value"),
            "n": n,
            "low": np.nan,
            "high": np.nan,
            "suppressed": (n < k).to_numpy(dtype=bool),  # NaN n compares False: not suppressed
        },
        index=rows.index,
    )
    return out.sort_values(["area_id", "period_start", "period_end"], kind="stable").reset_index(drop=True)


def latest_published_scores(
    area_scores: pd.DataFrame | None,
    metric: str,
    level: str | None = None,
    group: str | None = None,
    end: dt.date | None = None,
    k: int = K_DEFAULT,
) -> pd.DataFrame:
    """The latest published figure per (level, area), among periods ending on or before `end` if given.

    Ties on the end date go to the longer period, then to the larger n.
    """
    published = published_scores(area_scores, metric, level=level, group=group, k=k)
    if len(published) == 0:
        return published
    if end is not None:
        published = published[period_mask(published["period_end"], None, end)]
    ordered = published.assign(
        _end=_as_datetime(published["period_end"]),
        _length=_as_datetime(published["period_end"]) - _as_datetime(published["period_start"]),
        _n=published["n"].fillna(-1),
    ).sort_values(["_end", "_length", "_n"], kind="stable")
    latest = ordered.drop_duplicates(subset=["level", "area_id"], keep="last")
    return latest.drop(columns=["_end", "_length", "_n"]).sort_values("area_id").reset_index(drop=True)


# --- change against the previous period --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure, its value in the previous period, the difference and the difference in %."""

    current: float
    previous: float
    delta: float
    pct: float


def _float(value: float | int | None) -> float:
    """`value` as a float, NaN for None or NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def change(current: float | int | None, previous: float | int | None) -> Change:
    """Change from `previous` to `current`; pct is NaN when previous is 0 or unknown."""
    cur, prev = _float(current), _float(previous)
    delta = cur - prev
    pct = delta / abs(prev) * 100 if np.isfinite(prev) and prev != 0 else math.nan
    return Change(current=cur, previous=prev, delta=delta, pct=pct)


# --- engagement ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Engagement:
    """Engagement in a period and set of areas.

    attendance sums the events that have it (0 when there is no event, NaN when no event has it);
    attendance_per_10k divides the attendance at events in areas of known population by that
    population (NaN when no area in scope has a known population); youth_share and
    cost_per_attendee use only the events that have both figures; shares are fractions (0 to 1).
    """

    events: int
    attendance: float
    events_with_attendance: int
    events_without_attendance: int
    population: float
    areas_without_population: int
    attendance_per_10k: float
    youth_share: float
    officer_hours: float
    cost: float
    cost_per_attendee: float
    areas_in_scope: int
    areas_without_event: list[str]
    share_areas_without_event: float


def scope_areas(
    events: pd.DataFrame | None, areas: pd.DataFrame | None, area_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """The areas in scope: area_id, name, population (one row per area, sorted by area_id).

    With `area_ids`, exactly those (population NaN for ids the areas table lacks); without, the areas
    at the level(s) the events are recorded at (every area when that cannot be told).
    """
    if areas is None or "area_id" not in areas.columns:
        table = pd.DataFrame({"area_id": pd.Series(dtype="str")})
    else:
        table = areas
    table = table.drop_duplicates(subset="area_id")
    if area_ids is not None:
        ids = pd.Series(pd.unique(pd.Series(list(area_ids), dtype="str")), dtype="str", name="area_id")
        rows = pd.DataFrame({"area_id": ids}).merge(
            table[[c for c in ("area_id", "name", "population") if c in table.columns]],
            on="area_id",
            how="left",
        )
    else:
        rows = table
        if "level" in table.columns and not _is_empty(events) and "area_id" in events.columns:
            used = table["area_id"].isin(pd.unique(events["area_id"]))
            levels = table.loc[used, "level"].dropna().unique()
            if len(levels):
                rows = table[table["level"].isin(levels)]
    out = pd.DataFrame(
        {
            "area_id": rows["area_id"].astype("str"),
            "name": rows["name"] if "name" in rows.columns else rows["area_id"],
            "population": _numeric(rows, "population"),
        }
    )
    out["name"] = out["name"].fillna(out["area_id"]).astype("str")
    return out.sort_values("area_id").reset_index(drop=True)


def _events_in_scope(
    events: pd.DataFrame | None, start: DateLike | None, end: DateLike | None, area_ids: Sequence[str] | None
) -> pd.DataFrame:
    """Events in the period (and in `area_ids` when given)."""
    if _is_empty(events) or "start" not in events.columns:
        return pd.DataFrame({"area_id": pd.Series(dtype="str"), "start": pd.Series(dtype="datetime64[ns]")})
    mask = period_mask(events["start"], start, end)
    if area_ids is not None and "area_id" in events.columns:
        mask &= events["area_id"].isin(list(area_ids)).to_numpy()
    return events[mask]


def _event_measures(events: pd.DataFrame) -> pd.DataFrame:
    """Per-event figures the engagement sums are built from (NaN where unknown)."""
    att = _numeric(events, "attendance")
    youth = _numeric(events, "youth_attendance")
    cost = _numeric(events, "cost")
    has_att = att.notna()
    both_youth = has_att & youth.notna() & (att > 0)
    both_cost = has_att & cost.notna()
    return pd.DataFrame(
        {
            "events": 1,
            "attendance": att,
            "events_with_attendance": has_att.astype("int64"),
            "events_without_attendance": (~has_att).astype("int64"),
            "youth_num": youth.where(both_youth),
            "youth_den": att.where(both_youth),
            "officer_hours": _numeric(events, "officer_hours"),
            "cost": cost,
            "cost_num": cost.where(both_cost),
            "cost_den": att.where(both_cost),
        },
        index=events.index,
    )


def _without_event(scope: pd.DataFrame, chosen: pd.DataFrame) -> list[str]:
    """Sorted ids of the areas in `scope` where none of the `chosen` events took place."""
    with_event = set(pd.unique(chosen["area_id"])) if "area_id" in chosen.columns else set()
    return sorted(a for a in scope["area_id"] if a not in with_event)


def areas_without_event(
    events: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    start: dt.date,
    end: dt.date,
    area_ids: Sequence[str] | None = None,
) -> list[str]:
    """The areas in scope with no event from `start` to `end` (what `engagement` reports, computed alone)."""
    return _without_event(
        scope_areas(events, areas, area_ids), _events_in_scope(events, start, end, area_ids)
    )


def engagement(
    events: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    start: dt.date,
    end: dt.date,
    area_ids: Sequence[str] | None = None,
) -> Engagement:
    """Engagement from `start` to `end` in `area_ids` (every area when None)."""
    scope = scope_areas(events, areas, area_ids)
    chosen = _events_in_scope(events, start, end, area_ids)
    measures = _event_measures(chosen)
    n_events = len(chosen)

    def total(column: str) -> float:
        """Sum of a per-event figure: 0 with no event, NaN when no event has it."""
        return 0.0 if n_events == 0 else _fsum(measures[column])

    attendance = math.nan if _absent(events, "attendance") else total("attendance")
    officer_hours = math.nan if _absent(events, "officer_hours") else total("officer_hours")
    cost = math.nan if _absent(events, "cost") else total("cost")

    known = scope[scope["population"].notna()]
    population = float(known["population"].sum()) if len(known) else math.nan
    in_known = chosen["area_id"].isin(known["area_id"]).to_numpy() if n_events else np.zeros(0, bool)
    attendance_known = measures["attendance"][in_known]
    att_known = _fsum(attendance_known) if len(attendance_known) else 0.0
    if _absent(events, "attendance"):
        att_known = math.nan
    per_10k = _ratio(att_known, population) * PER_POPULATION

    without = _without_event(scope, chosen)
    n_scope = len(scope)
    return Engagement(
        events=n_events,
        attendance=attendance,
        events_with_attendance=int(measures["events_with_attendance"].sum()),
        events_without_attendance=int(measures["events_without_attendance"].sum()),
        population=population,
        areas_without_population=int(scope["population"].isna().sum()),
        attendance_per_10k=per_10k,
        youth_share=_ratio(_fsum(measures["youth_num"]), _fsum(measures["youth_den"])),
        officer_hours=officer_hours,
        cost=cost,
        cost_per_attendee=_ratio(_fsum(measures["cost_num"]), _fsum(measures["cost_den"])),
        areas_in_scope=n_scope,
        areas_without_event=without,
        share_areas_without_event=_ratio(len(without), n_scope),
    )


def engagement_by(
    events: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    start: dt.date,
    end: dt.date,
    by: str = "area_id",
    area_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Engagement from `start` to `end` per area (by="area_id") or per program (by="program").

    Columns: by, [name, population, attendance_per_10k: areas only], events, attendance,
    events_with_attendance, events_without_attendance, youth_share, officer_hours, cost,
    cost_per_attendee. With by="area_id" every area in scope appears, those without an event as zero rows.
    """
    area_columns = ["name", "population", "attendance_per_10k"] if by == "area_id" else []
    columns = [by, *area_columns, *ENGAGEMENT_BY_COLUMNS]
    chosen = _events_in_scope(events, start, end, area_ids)
    if by not in chosen.columns and len(chosen):
        return _empty(columns)
    measures = _event_measures(chosen)
    sum_columns = [c for c in measures.columns if c not in ("events",)]
    if len(chosen):
        grouped = measures.groupby(chosen[by], sort=True, dropna=True)
        sums = grouped[sum_columns].sum(min_count=1)
        sums.insert(0, "events", grouped.size())
        for column in ("events_with_attendance", "events_without_attendance"):
            sums[column] = sums[column].fillna(0).astype("int64")
        sums.index.name = by
    else:
        sums = pd.DataFrame({c: pd.Series(dtype="float64") for c in ["events", *sum_columns]})
        sums.index = pd.Index([], dtype="str", name=by)
    if by == "area_id":
        scope = scope_areas(events, areas, area_ids).set_index("area_id")
        ids = scope.index.union(sums.index.astype("str")) if len(sums) else scope.index
        sums = sums.reindex(ids)
        zero = sums["events"].isna()
        sums["events"] = sums["events"].fillna(0)
        for column in (
            "attendance",
            "officer_hours",
            "cost",
            "events_with_attendance",
            "events_without_attendance",
        ):
            sums.loc[zero, column] = 0
        sums["name"] = scope["name"].reindex(ids).fillna(pd.Series(ids, index=ids)).astype("str")
        sums["population"] = scope["population"].reindex(ids)
        sums.index.name = "area_id"
    for column in ("attendance", "officer_hours", "cost"):
        if _absent(events, column):
            sums[column] = np.nan
    if by == "area_id":
        population = sums["population"].where(sums["population"] > 0)
        sums["attendance_per_10k"] = sums["attendance"] / population * PER_POPULATION
    with np.errstate(invalid="ignore", divide="ignore"):
        sums["youth_share"] = sums["youth_num"] / sums["youth_den"].where(sums["youth_den"] > 0)
        sums["cost_per_attendee"] = sums["cost_num"] / sums["cost_den"].where(sums["cost_den"] > 0)
    sums["events"] = sums["events"].astype("int64")
    for column in ("events_with_attendance", "events_without_attendance"):
        sums[column] = sums[column].fillna(0).astype("int64")
    out = sums.reset_index()
    return out[columns]


def monthly_engagement(events: pd.DataFrame | None, by: str | None = None) -> pd.DataFrame:
    """Events and attendance per calendar month (and `by`), months without events as zero rows.

    Columns: month, [by], events, attendance, events_without_attendance.
    """
    keys = ["month"] if by is None else ["month", by]
    columns = [*keys, "events", "attendance", "events_without_attendance"]
    if _is_empty(events) or "start" not in events.columns or (by is not None and by not in events.columns):
        return _empty(columns)
    month = month_start(events["start"])
    measures = _event_measures(events)[["events", "attendance", "events_without_attendance"]]
    group_keys = [month] if by is None else [month, events[by]]
    grouped = measures.groupby(group_keys, sort=True, dropna=True)
    sums = grouped[["attendance", "events_without_attendance"]].sum(min_count=1)
    sums.insert(0, "events", grouped.size())
    if len(sums) == 0:
        return _empty(columns)
    months = pd.date_range(month.min(), month.max(), freq="MS")
    if by is None:
        full = pd.Index(months, name="month")
    else:
        full = pd.MultiIndex.from_product(
            [months, sums.index.get_level_values(1).unique().sort_values()], names=keys
        )
    sums.index = sums.index.set_names(keys)
    sums = sums.reindex(full)
    missing = sums["events"].isna()
    sums.loc[missing, ["events", "attendance", "events_without_attendance"]] = 0
    sums["events_without_attendance"] = sums["events_without_attendance"].fillna(0)
    if "attendance" not in events.columns:
        sums["attendance"] = np.nan
    sums["events"] = sums["events"].astype("int64")
    sums["events_without_attendance"] = sums["events_without_attendance"].astype("int64")
    return sums.reset_index()[columns]


# --- comment sentiment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentSummary:
    """Net sentiment (% positive - % negative) and the shares in % behind it, over n scored comments."""

    net: float
    positive: float
    negative: float
    neutral: float
    n: int


def net_sentiment(sentiment: pd.Series) -> SentimentSummary:
    """Shares of positive (>= 0.05), negative (<= -0.05) and neutral comments, in %, and their net."""
    scores = pd.to_numeric(pd.Series(sentiment), errors="coerce").dropna()
    n = len(scores)
    if n == 0:
        return SentimentSummary(math.nan, math.nan, math.nan, math.nan, 0)
    positive = float((scores >= POSITIVE).sum()) / n * 100
    negative = float((scores <= NEGATIVE).sum()) / n * 100
    neutral = 100.0 - positive - negative
    return SentimentSummary(positive - negative, positive, negative, neutral, n)


def monthly_net_sentiment(responses: pd.DataFrame | None, by: str | None = None) -> pd.DataFrame:
    """Net sentiment per calendar month (and `by`): month, [by], net, positive, negative, neutral, n."""
    keys = ["month"] if by is None else ["month", by]
    columns = [*keys, *SENTIMENT_COLUMNS]
    if (
        _is_empty(responses)
        or "submitted" not in responses.columns
        or "sentiment" not in responses.columns
        or (by is not None and by not in responses.columns)
    ):
        return _empty(columns)
    scores = _numeric(responses, "sentiment").to_numpy(dtype="float64", na_value=np.nan)
    factors = [_month_factor(responses["submitted"])] + ([] if by is None else [_factor(responses[by])])
    group, out = _group_codes(factors)
    group = np.where(np.isnan(scores), -1, group)
    groups = len(out)
    n = _group_sums(group, groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["positive"] = _group_sums(group, groups, (scores >= POSITIVE).astype("float64")) / n * 100
        out["negative"] = _group_sums(group, groups, (scores <= NEGATIVE).astype("float64")) / n * 100
    out["neutral"] = 100.0 - out["positive"] - out["negative"]
    out["net"] = out["positive"] - out["negative"]
    out["n"] = n.astype("int64")
    out = out[out["n"] > 0].reset_index(drop=True)
    return out[columns] if len(out) else _empty(columns)


# --- follow-through --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowThrough:
    """What became of residents' concerns in a period ("you said, we did").

    raised: raised in the period; resolved / declined: closed that way on a date in the period;
    open_at_end: raised by the end and not closed by then; missing_resolved_date: marked resolved or
    declined without a date (counted as closed); median_days_to_resolve: over the concerns resolved in
    the period; share_resolved_within_90: among the eligible_90 concerns raised in the period whose
    90-day window ended by the end of the period, the fraction resolved within 90 days.
    """

    raised: int
    resolved: int
    declined: int
    open_at_end: int
    missing_resolved_date: int
    median_days_to_resolve: float
    resolved_within_90: int
    eligible_90: int
    share_resolved_within_90: float


def concern_flags(concerns: pd.DataFrame | None, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Per-concern flags behind the follow-through counts, aligned to the concerns' index.

    Boolean columns raised, resolved, declined, open_at_end, missing_resolved_date,
    resolved_within_90, eligible_90 (as defined in `FollowThrough`), and days: resolved - raised in
    days for the concerns resolved in the period, NaN otherwise.
    """
    if concerns is None:
        concerns = pd.DataFrame({"raised": pd.Series(dtype="datetime64[ns]")})
    index = concerns.index
    if "raised" not in concerns.columns:
        flags = {c: pd.Series(False, index=index, dtype=bool) for c in _COUNT_COLUMNS}
        return pd.DataFrame({**flags, "days": pd.Series(np.nan, index=index, dtype="float64")})
    raised = _as_datetime(concerns["raised"]).dt.normalize()
    if "resolved" in concerns.columns:
        resolved = _as_datetime(concerns["resolved"]).dt.normalize()
    else:
        resolved = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if "status" in concerns.columns:
        status = concerns["status"].astype("string").str.strip().str.lower()
    else:
        status = pd.Series(pd.NA, index=index, dtype="string")
    start_day, end_day = _day(start), _day(end)

    def flag(values: pd.Series) -> np.ndarray:
        """A plain boolean array, missing counted as False."""
        return np.array(values.fillna(False), dtype=bool)

    is_resolved = flag(status == "resolved")
    is_declined = flag(status == "declined")
    is_closed_status = flag(status.isin(CONCERN_CLOSED))  # resolved or declined
    is_open_status = flag(status.isin(CONCERN_OPEN))  # open or in progress
    no_status = ~is_open_status & ~is_closed_status  # missing (or anything else)
    has_date = flag(resolved.notna())
    dated_by_end = flag(resolved <= end_day)
    closed_by_end = (is_closed_status & (~has_date | dated_by_end)) | (no_status & dated_by_end)
    raised_by_end = flag(raised <= end_day)
    raised_in = raised_by_end & flag(raised >= start_day)
    date_in = dated_by_end & flag(resolved >= start_day)
    resolved_in = is_resolved & date_in
    days = (resolved - raised).dt.days.astype("float64")
    window_ended = flag(raised + pd.Timedelta(days=RESOLVE_WITHIN_DAYS) <= end_day)
    eligible = raised_in & window_ended
    within = eligible & is_resolved & flag(days <= RESOLVE_WITHIN_DAYS)
    return pd.DataFrame(
        {
            "raised": raised_in,
            "resolved": resolved_in,
            "declined": is_declined & date_in,
            "open_at_end": raised_by_end & ~closed_by_end,
            "missing_resolved_date": raised_by_end & is_closed_status & ~has_date,
            "resolved_within_90": within,
            "eligible_90": eligible,
            "days": days.where(resolved_in),
        },
        index=index,
    )


def follow_through(concerns: pd.DataFrame | None, start: dt.date, end: dt.date) -> FollowThrough:
    """Concerns raised, resolved, declined and open at the end of the period, and how fast they closed."""
    if _is_empty(concerns) or "raised" not in concerns.columns:
        return FollowThrough(0, 0, 0, 0, 0, math.nan, 0, 0, math.nan)
    flags = concern_flags(concerns, start, end)
    counts = {c: int(flags[c].sum()) for c in _COUNT_COLUMNS}
    days = flags["days"].dropna()
    return FollowThrough(
        **counts,
        median_days_to_resolve=float(days.median()) if len(days) else math.nan,
        share_resolved_within_90=_ratio(counts["resolved_within_90"], counts["eligible_90"]),
    )


def follow_through_by(
    concerns: pd.DataFrame | None, start: dt.date, end: dt.date, by: str = "area_id"
) -> pd.DataFrame:
    """Follow-through per area (by="area_id") or topic (by="topic"), as in `follow_through`.

    Columns: by, raised, resolved, declined, open_at_end, missing_resolved_date,
    median_days_to_resolve, resolved_within_90, eligible_90, share_resolved_within_90.
    Groups with nothing to count are left out.
    """
    columns = [by, *FOLLOW_THROUGH_COLUMNS]
    if _is_empty(concerns) or "raised" not in concerns.columns or by not in concerns.columns:
        return _empty(columns)
    flags = concern_flags(concerns, start, end)
    grouped = flags.groupby(concerns[by], sort=True, dropna=True)
    out = grouped[list(_COUNT_COLUMNS)].sum()
    out["median_days_to_resolve"] = grouped["days"].median()
    out = out[out[list(_COUNT_COLUMNS)].sum(axis=1) > 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_resolved_within_90"] = out["resolved_within_90"] / out["eligible_90"].where(
            out["eligible_90"] > 0
        )
    out.index.name = by
    return out.reset_index()[columns]


# --- what needs attention --------------------------------------------------------------------------


def _area_names(areas: pd.DataFrame | None) -> dict[str, str]:
    """area_id -> name, from the areas table."""
    if _is_empty(areas) or "area_id" not in areas.columns or "name" not in areas.columns:
        return {}
    names = areas.drop_duplicates(subset="area_id")
    return dict(zip(names["area_id"].astype("str"), names["name"].astype("str"), strict=True))


def _falling_trust(
    responses: pd.DataFrame, start: dt.date, end: dt.date, k: int, trust_drop: float
) -> list[dict[str, object]]:
    """Areas whose trust fell by at least `trust_drop` points, with n >= k in both periods."""
    if any(c not in responses.columns for c in ("trust", "submitted", "area_id")):
        return []
    prev_start, prev_end = previous_period(start, end)
    trust = _numeric(responses, "trust")
    area_codes, area_ids, _ = _factor(responses["area_id"])

    def area_scores_in(first: dt.date, last: dt.date) -> pd.DataFrame:
        """Trust per area from `first` to `last`."""
        mask = period_mask(responses["submitted"], first, last)
        return _scores_grouped(trust[mask], [(area_codes[mask], area_ids, "area_id")], k)

    current, previous = area_scores_in(start, end), area_scores_in(prev_start, prev_end)
    both = current.merge(previous, on="area_id", suffixes=("", "_prev"))
    both = both[(both["n"] >= k) & (both["n_prev"] >= k)]
    both = both.assign(drop=both["score_prev"] - both["score"])
    both = both[both["drop"] >= trust_drop - TOLERANCE]
    rows = []
    for row in both.itertuples(index=False):
        now, before = round(row.score), round(row.score_prev)  # the drop shown is between these
        rows.append(
            {
                "area_id": str(row.area_id),
                "issue": ISSUE_FALLING_TRUST,
                "detail": (
                    f"Trust {now} (n={int(row.n)}), down {before - now} points on the previous "
                    f"period ({before}, n={int(row.n_prev)})"
                ),
                "severity": float(row.drop) / trust_drop,
            }
        )
    return rows


def _growing_concerns(concerns: pd.DataFrame, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    """Areas whose open concerns at the end of the period grew markedly on the previous period's end."""
    prev_start, prev_end = previous_period(start, end)
    open_now = concern_flags(concerns, start, end)["open_at_end"]
    open_before = concern_flags(concerns, prev_start, prev_end)["open_at_end"]
    both = (
        pd.DataFrame({"open_at_end": open_now, "open_at_end_prev": open_before})
        .groupby(concerns["area_id"], sort=True, dropna=True)
        .sum()
        .rename_axis("area_id")
        .reset_index()
    )
    increase = both["open_at_end"] - both["open_at_end_prev"]
    flagged = (increase >= OPEN_CONCERNS_MIN_INCREASE) & (
        increase >= OPEN_CONCERNS_MIN_GROWTH * both["open_at_end_prev"]
    )
    rows = []
    for row, inc in zip(both[flagged].itertuples(index=False), increase[flagged], strict=True):
        now, before = int(row.open_at_end), int(row.open_at_end_prev)
        noun = "concern" if now == 1 else "concerns"
        rows.append(
            {
                "area_id": str(row.area_id),
                "issue": ISSUE_OPEN_CONCERNS,
                "detail": f"{now} open {noun}, up from {before}",
                "severity": float(inc) / OPEN_CONCERNS_MIN_INCREASE,
            }
        )
    return rows


def _no_engagement(
    events: pd.DataFrame | None, areas: pd.DataFrame | None, start: dt.date, end: dt.date
) -> list[dict[str, object]]:
    """Areas in scope with no event in the period."""
    current = areas_without_event(events, areas, start, end)
    if not current:
        return []
    prev_start, prev_end = previous_period(start, end)
    before = set(areas_without_event(events, areas, prev_start, prev_end))
    rows = []
    for area_id in current:
        detail = f"No event between {_fmt_date(start)} and {_fmt_date(end)}"
        severity = NO_EVENT_SEVERITY
        if area_id in before:
            detail += ", nor in the previous period"
            severity = NO_EVENT_EITHER_SEVERITY
        rows.append(
            {"area_id": area_id, "issue": ISSUE_NO_ENGAGEMENT, "detail": detail, "severity": severity}
        )
    return rows


def needs_attention(
    events: pd.DataFrame | None,
    responses: pd.DataFrame | None,
    concerns: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    start: dt.date,
    end: dt.date,
    k: int = K_DEFAULT,
    trust_drop: float = TRUST_DROP_DEFAULT,
) -> pd.DataFrame:
    """Areas with falling trust, growing open concerns or no engagement, most urgent first.

    Columns: area_id, name, issue, detail, page, severity. Severity is a multiple of the issue's threshold (a trust drop of twice `trust_drop` is 2.0); an
    area with no event is 1.0, or 1.5 when it had none in the previous period either. A check whose
    table is None or empty is skipped.
    """
    rows: list[dict[str, object]] = []
    if not _is_empty(responses):
        rows += _falling_trust(responses, start, end, k, trust_drop)
    if not _is_empty(concerns) and "raised" in concerns.columns and "area_id" in concerns.columns:
        rows += _growing_concerns(concerns, start, end)
    rows += _no_engagement(events, areas, start, end)
    if not rows:
        return _empty(ATTENTION_COLUMNS)
    names = _area_names(areas)
    out = pd.DataFrame(rows)
    out["name"] = [names.get(a, a) for a in out["area_id"]]
    out["page"] = out["issue"].map(PAGE_FOR_ISSUE)
    out = out.sort_values(["severity", "name", "issue"], ascending=[False, True, True], kind="stable")
    return out[list(ATTENTION_COLUMNS)].reset_index(drop=True)
