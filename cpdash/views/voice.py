"""The Community voice page's figures: scores, breakdowns, events against trust, comment sentiment, topics
and the comment explorer.

Scores come from individual `responses` (mean x 10 with n and a 95 % interval, cpdash.metrics) or, when
there are none or the user asks for them, from published `area_scores` used as published. Comment figures
come from a `CommentIndex`, built once per data set (cpdash.ui caches it): per comment its day, month,
area, program, language, sentiment class and topic combination as small integer arrays, plus the
distinct texts (as given and folded for search). Every query on the page is then a slice and a few
bincounts, fast at a million comments.

Comments are never shown or exported here without `cpdash.redact` taking out personal details.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.data.filters import rows_in_period
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.metrics.sentiment import NEGATIVE, POSITIVE
from cpdash.text.redact import redact_series
from cpdash.text.sentiment import ENGLISH, SPANISH, detect_language, language_tags
from cpdash.text.topics import Taxonomy, combinations, fold, fold_text, tag, tag_concerns
from cpdash.views import format as fmt

# --- constants -------------------------------------------------------------------------------------

SCORE_LABELS = {"trust": "Trust", "safety": "Safety", "listen": "Listen", "respect": "Respect"}
SCORE_QUESTIONS = {
    "trust": "I trust the police in my neighbourhood",
    "safety": "I feel safe in my neighbourhood",
    "listen": "The police listen to the concerns of people here",
    "respect": "The police treat people here with respect",
}
SOURCE_RESPONSES = "responses"
SOURCE_PUBLISHED = "published"
SOURCE_LABELS = {SOURCE_RESPONSES: "Individual responses", SOURCE_PUBLISHED: "Published area scores"}
SOURCE_SHORT = {SOURCE_RESPONSES: "Responses", SOURCE_PUBLISHED: "Published"}
CITY_LEVEL = "city"
CITY_LABEL = "City"
SELECTION_LABEL = "Selected areas"
DIMENSIONS = {"age_group": "Age group", "gender": "Gender", "race_ethnicity": "Race / ethnicity"}
# Prefixes of published breakdown groups ("age: 18-24") for each dimension, folded.
PUBLISHED_PREFIXES = {
    "age_group": ("age", "age group", "age_group"),
    "gender": ("gender", "sex"),
    "race_ethnicity": ("race", "ethnicity", "race/ethnicity", "race_ethnicity", "race and ethnicity"),
}
GROUP_SEPARATOR = ":"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LAST_GROUPS = ("other", "prefer not to say", "unknown", "not stated", "declined", "missing")

NEGATIVE_CLASS, NEUTRAL_CLASS, POSITIVE_CLASS, UNSCORED_CLASS = 0, 1, 2, 3
CLASS_NAMES = ("negative", "neutral", "positive", "not scored")
N_CLASSES = len(CLASS_NAMES)
LANG_EN, LANG_ES, LANG_OTHER = 0, 1, 2
LANGUAGE_NAMES = ("English", "Spanish", "other")
NO_TOPIC = "no topic matched"

EXPLORER_ROWS = 200  # comments the explorer shows
DOWNLOAD_ROWS = 100_000  # most comments one explorer download holds
AREA_CHART_MAX = 40  # with more areas, the chart shows the lowest and highest ...
AREA_CHART_EACH_END = 12  # ... this many of each
TREND_COLUMNS = ["series", "when", "period", "score", "n", "low", "high", "suppressed"]
BREAKDOWN_COLUMNS = ["group", "score", "n", "low", "high", "suppressed"]
AREA_COLUMNS = ["area_id", "name", "metric", "score", "n", "low", "high", "suppressed"]
EVENT_COLUMNS = ["start", "program", "title", "attendance"]
SENTIMENT_COLUMNS = ["net", "positive", "negative", "neutral", "n", "suppressed"]

# --- the score basis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBasis:
    """The survey answers of a data set as arrays, and its published figures split by metric and group.

    Built once per data set and k (cpdash.ui caches it). when: submitted (int64 ns, sorted); month: months
    since 1970; area: code into area_ids (whose names are area_names); answers: metric -> 0-10 answers
    (NaN when not answered); dimensions: age_group / gender / race_ethnicity -> (code per response,
    labels; -1 when not given).

    Running totals make any period's scores a subtraction: day0 is the first day with a response;
    by_area[metric][d, a] holds (count, sum, sum of squares) of the answers given before day0 + d in area
    a (the last slot: an unknown area), and by_group[(dimension, metric)][d, g] the same per group (the
    last slot: not given). Answers on 0-10 are small multiples of 1/4 or so, so these sums are exact and
    the variance from them is as precise as a two-pass one.

    published: (metric, group or None) -> metrics.published_scores with k, plus _start, _end, _city;
    published_groups: dimension -> its published groups ('age: 18-24', ...).
    """

    k: int
    sources: tuple[str, ...]
    when: np.ndarray
    month: np.ndarray
    area: np.ndarray
    area_ids: np.ndarray
    area_names: np.ndarray
    answers: dict[str, np.ndarray]
    dimensions: dict[str, tuple[np.ndarray, np.ndarray]]
    published: dict[tuple[str, str | None], pd.DataFrame]
    published_groups: dict[str, tuple[str, ...]]
    day0: np.datetime64 | None = None
    by_area: dict[str, np.ndarray] = field(default_factory=dict)
    by_group: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    area_index: pd.Index = field(default_factory=lambda: pd.Index([]))  # area_ids, to find their codes


def _as_ns(values: pd.Series) -> np.ndarray:
    """Datetimes as int64 nanoseconds (NaT as the smallest int64)."""
    return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]").view("int64")


def _day_ns(day: dt.date) -> int:
    """Midnight of `day` as int64 nanoseconds."""
    return int(np.datetime64(day, "ns").view("int64"))


def _area_lookup(areas: pd.DataFrame | None, *frames: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Every area id (of the areas table, then any other the frames use) and its name."""
    ids: list[str] = []
    names: list[str] = []
    if areas is not None and "area_id" in areas.columns:
        unique = areas.drop_duplicates("area_id")
        ids = unique["area_id"].astype("str").tolist()
        names = (unique["name"] if "name" in unique.columns else unique["area_id"]).astype("str").tolist()
    known = set(ids)
    for frame in frames:
        if frame is not None and "area_id" in frame.columns:
            extra = sorted(set(frame["area_id"].dropna().astype("str").unique()) - known)
            ids += extra
            names += extra
            known |= set(extra)
    return np.array(ids, dtype=object), np.array(names, dtype=object)


def _codes(values: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Positions of `values` in `categories` (-1 where absent)."""
    lookup = pd.Index(categories)
    return lookup.get_indexer(values.astype("str").where(values.notna(), "\x00missing")).astype("int32")


def _published_tables(area_scores: pd.DataFrame | None, k: int) -> tuple[dict, dict]:
    """Published figures per (metric, group) as metrics.published_scores gives them, and the groups."""
    tables: dict[tuple[str, str | None], pd.DataFrame] = {}
    groups: dict[str, tuple[str, ...]] = {d: () for d in DIMENSIONS}
    if area_scores is None or len(area_scores) == 0 or "metric" not in area_scores.columns:
        return tables, groups
    present = set(area_scores["metric"].dropna().astype("str"))
    all_groups: list[str] = []
    if "group" in area_scores.columns:
        all_groups = sorted(set(area_scores["group"].dropna().astype("str").str.strip()) - {""})
    for dimension, prefixes in PUBLISHED_PREFIXES.items():
        groups[dimension] = tuple(
            g
            for g in all_groups
            if GROUP_SEPARATOR in g and g.split(GROUP_SEPARATOR, 1)[0].strip().lower() in prefixes
        )
    wanted = [g for d in DIMENSIONS for g in groups[d]]
    for metric in SCORE_LABELS:
        if metric not in present:
            continue
        for group in [None, *wanted]:
            table = metrics.published_scores(area_scores, metric, group=group, k=k)
            if len(table) == 0:
                continue
            level = table["level"].astype("string").str.strip().str.lower()
            area = table["area_id"].astype("string").str.strip().str.lower()
            tables[(metric, group)] = table.assign(
                area_id=table["area_id"].astype("str"),
                _start=pd.to_datetime(table["period_start"]).dt.normalize(),
                _end=pd.to_datetime(table["period_end"]).dt.normalize(),
                _city=((level == CITY_LEVEL) | (area == CITY_LEVEL)).fillna(False).astype(bool),
            )
    return tables, groups


def score_basis(ds: Dataset, k: int) -> ScoreBasis:
    """The score basis of a loaded data set, for figures on fewer than `k` responses to be flagged."""
    responses = ds.responses if ds.has("responses") else None
    has_answers = responses is not None and "submitted" in responses.columns
    has_answers = has_answers and any(m in responses.columns for m in SCORE_LABELS)
    area_ids, area_names = _area_lookup(ds.areas, responses)
    answers: dict[str, np.ndarray] = {}
    dimensions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    when = np.zeros(0, dtype="int64")
    area = np.zeros(0, dtype="int32")
    if has_answers:
        when = _as_ns(responses["submitted"])
        order = np.argsort(when, kind="stable")
        if not (order == np.arange(len(order))).all():
            responses = responses.iloc[order]
            when = when[order]
        area = (
            _codes(responses["area_id"], area_ids)
            if "area_id" in responses.columns
            else np.full(len(when), -1)
        )
        for metric in SCORE_LABELS:
            if metric in responses.columns:
                answers[metric] = pd.to_numeric(responses[metric], errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
        for dimension in DIMENSIONS:
            if dimension in responses.columns and responses[dimension].notna().any():
                codes, labels = pd.factorize(responses[dimension].astype("string").str.strip(), sort=True)
                dimensions[dimension] = (np.asarray(codes, dtype="int32"), np.asarray(labels, dtype=object))
    published, groups = _published_tables(ds.area_scores, k)
    sources = tuple(
        s for s, ok in ((SOURCE_RESPONSES, bool(answers)), (SOURCE_PUBLISHED, bool(published))) if ok
    )
    month = when.view("datetime64[ns]").astype("datetime64[M]").view("int64")
    day0, by_area, by_group = _running_totals(when, area, len(area_ids), answers, dimensions)
    return ScoreBasis(
        k,
        sources,
        when,
        month,
        area,
        area_ids,
        area_names,
        answers,
        dimensions,
        published,
        groups,
        day0,
        by_area,
        by_group,
        pd.Index(area_ids),
    )


def _cumulative(day: np.ndarray, slot: np.ndarray, slots: int, days: int, values: np.ndarray) -> np.ndarray:
    """Running (count, sum, sum of squares) of `values` by day and slot: shape (days + 1, slots, 3)."""
    answered = ~np.isnan(values)
    key = day[answered] * slots + slot[answered]
    x = values[answered]
    size = days * slots
    totals = np.stack(
        [
            np.bincount(key, minlength=size),
            np.bincount(key, weights=x, minlength=size),
            np.bincount(key, weights=x * x, minlength=size),
        ],
        axis=-1,
    ).reshape(days, slots, 3)
    out = np.zeros((days + 1, slots, 3))
    np.cumsum(totals, axis=0, out=out[1:])
    return out


def _running_totals(
    when: np.ndarray,
    area: np.ndarray,
    areas: int,
    answers: dict[str, np.ndarray],
    dimensions: dict[str, tuple[np.ndarray, np.ndarray]],
) -> tuple[np.datetime64 | None, dict[str, np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """The first day and the running totals of ScoreBasis, by area and by demographic group."""
    dated = when != np.iinfo("int64").min  # NaT
    if not answers or not dated.any():
        return None, {}, {}
    days_ns = when.view("datetime64[ns]").astype("datetime64[D]")
    day0 = days_ns[dated].min()
    day = np.where(dated, (days_ns - day0).astype("int64"), 0)
    days = int(day.max()) + 1
    slot = np.where(area >= 0, area, areas)  # unknown area: the last slot
    by_area, by_group = {}, {}
    for metric, values in answers.items():
        values = np.where(dated, values, np.nan)
        by_area[metric] = _cumulative(day, slot, areas + 1, days, values)
        for dimension, (codes, labels) in dimensions.items():
            group = np.where(codes >= 0, codes, len(labels))
            by_group[(dimension, metric)] = _cumulative(day, group, len(labels) + 1, days, values)
    return day0, by_area, by_group


def _day_index(basis: ScoreBasis, day: dt.date) -> int:
    """Index into the running totals of the start of `day` (clipped to the data's days)."""
    if basis.day0 is None:
        return 0
    days = next(iter(basis.by_area.values())).shape[0] - 1
    return int(np.clip((np.datetime64(day, "D") - basis.day0).astype("int64"), 0, days))


def _totals(cumulative: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """(count, sum, sum of squares) per slot of the days lo to hi - 1."""
    return cumulative[hi] - cumulative[lo]


def _score_from_totals(totals: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Score columns (metrics.score_columns) from (count, sum, sum of squares) in the last axis."""
    n = np.rint(totals[..., 0]).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = totals[..., 1] / n
        squares = np.maximum(totals[..., 2] - totals[..., 1] * mean, 0.0)
        sd = np.sqrt(squares / (n - 1))
    return metrics.score_columns(n, mean, sd, k)


def _area_slots(basis: ScoreBasis, area_ids: Sequence[str]) -> np.ndarray:
    """Slots of the running totals of `area_ids` (unknown ids left out)."""
    codes = basis.area_index.get_indexer(list(area_ids))
    return codes[codes >= 0]


def _period_totals(
    basis: ScoreBasis, f: Filters, metric: str, areas: Sequence[str] | None = None
) -> np.ndarray:
    """(count, sum, sum of squares) of `metric` over the period, in `areas` (None: the sidebar's; (): all)."""
    totals = _totals(
        basis.by_area[metric], _day_index(basis, f.start), _day_index(basis, f.end + dt.timedelta(days=1))
    )
    chosen = f.areas if areas is None else areas
    return totals[_area_slots(basis, chosen)].sum(axis=0) if chosen else totals.sum(axis=0)


def _positions(basis: ScoreBasis, f: Filters, areas: Sequence[str] | None = None) -> slice | np.ndarray:
    """The responses in the period and in `areas` (None: the sidebar's areas; (): all): a slice of the
    date-sorted arrays when every area counts, else their positions."""
    lo = int(np.searchsorted(basis.when, _day_ns(f.start), "left"))
    hi = int(np.searchsorted(basis.when, _day_ns(f.end + dt.timedelta(days=1)), "left"))
    chosen = f.areas if areas is None else areas
    if not chosen:
        return slice(lo, hi)
    codes = basis.area_index.get_indexer(list(chosen))
    return lo + np.flatnonzero(np.isin(basis.area[lo:hi], codes[codes >= 0]))


def _group_scores(
    basis: ScoreBasis,
    positions: slice | np.ndarray,
    metric: str,
    codes: np.ndarray | None = None,
    size: int = 1,
) -> dict[str, np.ndarray]:
    """Score columns (metrics.score_columns) per group code 0..size-1 of the responses at `positions`
    (one group when `codes` is None; codes below 0 are left out). Means and sds in two passes, as
    cpdash.metrics computes them."""
    values = basis.answers[metric][positions]
    if codes is None:
        x = values[~np.isnan(values)]
        n = np.array([len(x)])
        mean = np.array([x.mean() if len(x) else np.nan])
        sd = np.array([x.std(ddof=1) if len(x) >= 2 else np.nan])
        return metrics.score_columns(n, mean, sd, basis.k)
    keep = (codes >= 0) & ~np.isnan(values)
    group, x = codes[keep], values[keep]
    n = np.bincount(group, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(group, weights=x, minlength=size) / n
        deviation = x - mean[group]
        sd = np.sqrt(np.bincount(group, weights=deviation * deviation, minlength=size) / (n - 1))
    return metrics.score_columns(n, mean, sd, basis.k)


def _score(totals: np.ndarray, k: int) -> metrics.Score:
    """One score from (count, sum, sum of squares)."""
    table = _score_from_totals(totals[np.newaxis], k)
    return metrics.Score(
        value=float(table["score"][0]),
        n=int(table["n"][0]),
        low=float(table["low"][0]),
        high=float(table["high"][0]),
        suppressed=bool(table["suppressed"][0]),
    )


def score_sources(basis: ScoreBasis) -> list[str]:
    """Where scores can come from: individual responses, published area scores, both, or neither."""
    return list(basis.sources)


def metrics_in(basis: ScoreBasis, source: str | None) -> list[str]:
    """The score metrics the source carries, in the usual order."""
    if source == SOURCE_RESPONSES:
        return [m for m in SCORE_LABELS if m in basis.answers]
    if source == SOURCE_PUBLISHED:
        return [m for m in SCORE_LABELS if (m, None) in basis.published]
    return []


def source_note(basis: ScoreBasis, source: str | None) -> str:
    """Which scores are shown, in words, and what else the data holds."""
    both = len(basis.sources) == 2
    if source == SOURCE_RESPONSES:
        text = "Scores are computed here from individual survey responses."
        if both:
            text += (
                " The data also holds published area scores: choose them above to see the published figures."
            )
        return text
    if source == SOURCE_PUBLISHED:
        text = (
            "Scores are the published area scores, shown as published (not recomputed); "
            "they carry no interval, and n only where the publisher gave it."
        )
        if both:
            text += " The data also holds individual responses: choose them above for scores with intervals."
        else:
            text += " The data has no individual responses, so scores cannot be computed here."
        return text
    return "The data holds no survey answers: neither individual responses nor published area scores."


# --- published area scores ------------------------------------------------------------------------


def _published(basis: ScoreBasis, metric: str, f: Filters, group: str | None = None) -> pd.DataFrame:
    """Published figures of `metric` (and `group`) whose period overlaps the filters' period."""
    table = basis.published.get((metric, group))
    if table is None:
        return pd.DataFrame(columns=["area_id", "_start", "_end", "_city", "score", "n", "suppressed"])
    keep = (table["_end"] >= pd.Timestamp(f.start)) & (table["_start"] <= pd.Timestamp(f.end))
    return table[keep.to_numpy(dtype=bool)]


def _published_scope(table: pd.DataFrame, area: str | None) -> pd.DataFrame:
    """The figures of one area, or the city's figures when `area` is None."""
    if len(table) == 0:
        return table
    if area is None:
        return table[table["_city"].to_numpy(dtype=bool)]
    return table[(table["area_id"] == area).to_numpy(dtype=bool)]


def _latest(table: pd.DataFrame) -> pd.Series | None:
    """The figure with the latest period end (then the longest period, then the largest n)."""
    if len(table) == 0:
        return None
    order = table.assign(_length=table["_end"] - table["_start"], _n=table["n"].fillna(-1)).sort_values(
        ["_end", "_length", "_n"], kind="stable"
    )
    return order.iloc[-1]


def _period_text(start: object, end: object) -> str:
    """'1 Jan – 31 Mar 2025' for a published period."""
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    left = f"{a.day} {a:%b}" + ("" if a.year == b.year else f" {a.year}")
    return f"{left} – {b.day} {b:%b %Y}"


# --- headline scores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One headline score with what stands behind it: n (NaN when not published), interval, source."""

    metric: str
    value: float
    n: float
    low: float
    high: float
    suppressed: bool
    note: str


def headlines(basis: ScoreBasis, f: Filters, source: str | None) -> list[Headline]:
    """Each score over the period and the sidebar's areas, from the chosen source."""
    out = []
    if source == SOURCE_RESPONSES:
        for metric in metrics_in(basis, source):
            s = _score(_period_totals(basis, f, metric), basis.k)
            note = f"Mean answer to '{SCORE_QUESTIONS[metric]}' (0–10) × 10, from {s.n:,} responses."
            out.append(Headline(metric, s.value, float(s.n), s.low, s.high, s.suppressed, note))
        return out
    if source != SOURCE_PUBLISHED:
        return out
    area = f.areas[0] if len(f.areas) == 1 else None
    for metric in metrics_in(basis, source):
        row = _latest(_published_scope(_published(basis, metric, f), area))
        if row is None:
            out.append(
                Headline(metric, math.nan, math.nan, math.nan, math.nan, False, "No published figure.")
            )
            continue
        where = "city" if area is None else "area"
        note = f"Published {where} figure for {_period_text(row['_start'], row['_end'])}."
        if len(f.areas) > 1:
            note += " Published figures cannot be combined across areas, so the city's is shown."
        n = float(row["n"]) if pd.notna(row["n"]) else math.nan
        out.append(
            Headline(metric, float(row["score"]), n, math.nan, math.nan, bool(row["suppressed"]), note)
        )
    return out


# --- trends ----------------------------------------------------------------------------------------


def _monthly(
    basis: ScoreBasis, f: Filters, metric: str, series: str, areas: Sequence[str] | None
) -> pd.DataFrame:
    """Monthly scores over the period in `areas` (None: the sidebar's; (): all) as trend rows named `series`."""
    lo, hi = _day_index(basis, f.start), _day_index(basis, f.end + dt.timedelta(days=1))
    if hi <= lo:
        return pd.DataFrame(columns=TREND_COLUMNS)
    months = np.arange(np.datetime64(f.start, "M"), np.datetime64(f.end, "M") + 1)
    inner = np.clip((months[1:].astype("datetime64[D]") - basis.day0).astype("int64"), lo, hi)
    bounds = np.concatenate([[lo], inner, [hi]])
    cumulative = basis.by_area[metric]
    per_month = cumulative[bounds[1:]] - cumulative[bounds[:-1]]  # months x slots x 3
    chosen = f.areas if areas is None else areas
    per_month = per_month[:, _area_slots(basis, chosen)].sum(axis=1) if chosen else per_month.sum(axis=1)
    columns = _score_from_totals(per_month, basis.k)
    keep = columns["n"] > 0
    kept = months[keep]
    return pd.DataFrame(
        {
            "series": series,
            "when": kept.astype("datetime64[ns]"),
            "period": [MONTH_NAMES[m % 12] + f" {1970 + m // 12}" for m in kept.astype("int64")],
            "score": columns["score"][keep],
            "n": columns["n"][keep].astype("float64"),
            "low": columns["low"][keep],
            "high": columns["high"][keep],
            "suppressed": columns["suppressed"][keep].astype(bool),
        },
        columns=TREND_COLUMNS,
    )


def _published_series(table: pd.DataFrame, series: str) -> pd.DataFrame:
    """Published figures as trend rows, placed at the middle of their period."""
    if len(table) == 0:
        return pd.DataFrame(columns=TREND_COLUMNS)
    starts, ends = table["_start"], table["_end"]
    out = pd.DataFrame(
        {
            "series": series,
            "when": (starts + (ends - starts) / 2).dt.normalize().to_numpy(),
            "period": [_period_text(a, b) for a, b in zip(starts, ends, strict=True)],
            "score": table["score"].to_numpy(),
            "n": table["n"].astype("float64").to_numpy(),
            "low": np.nan,
            "high": np.nan,
            "suppressed": table["suppressed"].astype(bool).to_numpy(),
        }
    )
    return out.sort_values("when", kind="stable").drop_duplicates("when", keep="last").reset_index(drop=True)


def score_trend(
    basis: ScoreBasis,
    f: Filters,
    metric: str | None,
    source: str | None,
    area: str | None = None,
    area_name: str = "",
) -> pd.DataFrame:
    """The score over time: for `area` against the city, else for the sidebar's areas (or the city).

    Columns: series, when, period, score, n, low, high, suppressed.
    """
    frames = []
    if source == SOURCE_RESPONSES and metric in basis.answers:
        if area is not None:
            frames.append(_monthly(basis, f, metric, area_name or area, [area]))
            frames.append(_monthly(basis, f, metric, CITY_LABEL, ()))
        else:
            frames.append(_monthly(basis, f, metric, SELECTION_LABEL if f.areas else CITY_LABEL, None))
    elif source == SOURCE_PUBLISHED and metric is not None:
        table = _published(basis, metric, f)
        own = area if area is not None else (f.areas[0] if len(f.areas) == 1 else None)
        if own is not None:
            frames.append(_published_series(_published_scope(table, own), area_name or own))
        frames.append(_published_series(_published_scope(table, None), CITY_LABEL))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=TREND_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TREND_COLUMNS]


def city_score(basis: ScoreBasis, f: Filters, metric: str | None, source: str | None) -> float:
    """The city's score over the period (every area), for reference lines."""
    if source == SOURCE_RESPONSES and metric in basis.answers:
        return _score(_period_totals(basis, f, metric, ()), basis.k).value
    if source == SOURCE_PUBLISHED and metric is not None:
        row = _latest(_published_scope(_published(basis, metric, f), None))
        return math.nan if row is None else float(row["score"])
    return math.nan


def area_against_city(
    basis: ScoreBasis, f: Filters, area: str, source: str | None, public: bool
) -> pd.DataFrame:
    """Each score of `area` beside the city's over the period, with n, 95 % interval and the difference.

    Figures on fewer than k responses are blank in public view and marked ⚠ in staff view.
    """
    rows = []
    if source == SOURCE_RESPONSES:
        for metric in metrics_in(basis, source):
            a = _score(_period_totals(basis, f, metric, [area]), basis.k)
            c = _score(_period_totals(basis, f, metric, ()), basis.k)
            rows.append((metric, a.value, a.n, a.low, a.high, a.suppressed, c.value, c.n))
    elif source == SOURCE_PUBLISHED:
        for metric in metrics_in(basis, source):
            table = _published(basis, metric, f)
            a, c = _latest(_published_scope(table, area)), _latest(_published_scope(table, None))
            if a is None and c is None:
                continue
            rows.append(
                (
                    metric,
                    math.nan if a is None else float(a["score"]),
                    math.nan if a is None else float(a["n"]),
                    math.nan,
                    math.nan,
                    False if a is None else bool(a["suppressed"]),
                    math.nan if c is None else float(c["score"]),
                    math.nan if c is None else float(c["n"]),
                )
            )
    out = []
    for metric, value, n, low, high, flagged, city, city_n in rows:
        hidden = flagged and public
        shown = math.nan if hidden else value
        out.append(
            {
                "Score": SCORE_LABELS[metric] + (" ⚠" if flagged and not public else ""),
                "Area": None if fmt.is_missing(shown) else round(shown),
                "Area n": n,
                "Area 95 % interval": "" if hidden else _interval_text(low, high),
                "City": None if fmt.is_missing(city) else round(city),
                "City n": city_n,
                "Difference (points)": None
                if fmt.is_missing(shown) or fmt.is_missing(city)
                else round(shown - city),
            }
        )
    table = pd.DataFrame(
        out,
        columns=["Score", "Area", "Area n", "Area 95 % interval", "City", "City n", "Difference (points)"],
    )
    return _without_blank_intervals(table)


# --- by area ---------------------------------------------------------------------------------------


def area_scores(basis: ScoreBasis, f: Filters, source: str | None) -> pd.DataFrame:
    """Every score per area in the sidebar's scope (long form): area_id, name, metric, score, n, low,
    high, suppressed. Published figures: each area's latest in the period."""
    parts = []
    if source == SOURCE_RESPONSES:
        lo, hi = _day_index(basis, f.start), _day_index(basis, f.end + dt.timedelta(days=1))
        for metric in metrics_in(basis, source):
            totals = _totals(basis.by_area[metric], lo, hi)[: len(basis.area_ids)]
            table = pd.DataFrame(_score_from_totals(totals, basis.k))
            table["area_id"] = basis.area_ids
            if f.areas:
                table = table[table["area_id"].isin(f.areas).to_numpy()]
            parts.append(table[table["n"] > 0].assign(metric=metric))
    elif source == SOURCE_PUBLISHED:
        for metric in metrics_in(basis, source):
            table = _published(basis, metric, f)
            table = table[~table["_city"].to_numpy(dtype=bool)]
            if f.areas:
                table = table[table["area_id"].isin(f.areas).to_numpy(dtype=bool)]
            if len(table) == 0:
                continue
            latest = table.assign(_n=table["n"].fillna(-1)).sort_values(["_end", "_n"], kind="stable")
            parts.append(latest.drop_duplicates("area_id", keep="last").assign(metric=metric))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=AREA_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    names = dict(zip(basis.area_ids, basis.area_names, strict=True))
    out["area_id"] = out["area_id"].astype("str")
    out["name"] = [names.get(a, a) for a in out["area_id"]]
    out["n"] = out["n"].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out[AREA_COLUMNS].sort_values(["name", "metric"], kind="stable").reset_index(drop=True)


def _interval_text(low: float, high: float) -> str:
    """'52–58', or '' when there is no interval."""
    if fmt.is_missing(low) or fmt.is_missing(high):
        return ""
    return f"{low:.0f}–{high:.0f}"


def area_table(long: pd.DataFrame, k: int, public: bool) -> pd.DataFrame:
    """Scores by area for people: Area, then per score its value, n and 95 % interval, and a note.

    Figures on fewer than k responses are blank in public view and named in the note in staff view.
    """
    if len(long) == 0:
        return pd.DataFrame({"Area": pd.Series(dtype="str")})
    first = long.drop_duplicates("area_id")
    ids = pd.Index(first["area_id"])
    columns: dict[str, object] = {"Area": first["name"].to_numpy()}
    few: list[list[str]] = [[] for _ in range(len(ids))]
    for metric, label in SCORE_LABELS.items():
        part = long[(long["metric"] == metric).to_numpy()]
        if len(part) == 0:
            continue
        at = ids.get_indexer(part["area_id"])
        score, n, low, high = (np.full(len(ids), np.nan) for _ in range(4))
        flagged = np.zeros(len(ids), dtype=bool)
        score[at], n[at] = part["score"].to_numpy(dtype="float64"), part["n"].to_numpy(dtype="float64")
        low[at], high[at] = part["low"].to_numpy(dtype="float64"), part["high"].to_numpy(dtype="float64")
        flagged[at] = part["suppressed"].to_numpy(dtype=bool)
        hidden = flagged & public
        columns[label] = np.where(hidden, np.nan, np.round(score))
        columns[f"{label} n"] = n
        columns[f"{label} 95 % interval"] = [
            "" if h or lo != lo or hi != hi else f"{lo:.0f}–{hi:.0f}"
            for lo, hi, h in zip(low, high, hidden, strict=True)
        ]
        for i in np.flatnonzero(flagged):
            few[i].append(label.lower())
    verb = "not shown" if public else "treat with care"
    columns["Note"] = [f"fewer than {k} responses ({', '.join(f)}): {verb}" if f else "" for f in few]
    out = pd.DataFrame(columns).sort_values("Area", kind="stable").reset_index(drop=True)
    return _without_blank_intervals(out)


def _without_blank_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """`table` without its interval columns when none holds an interval (published figures have none)."""
    blank = [c for c in table.columns if c.endswith("95 % interval") and not (table[c] != "").any()]
    return table.drop(columns=blank)


def extremes(table: pd.DataFrame, column: str, label: str = "areas") -> tuple[pd.DataFrame, str]:
    """`table` sorted by `column` (lowest first); with more than AREA_CHART_MAX rows only the lowest and
    highest AREA_CHART_EACH_END, and a note saying so."""
    rows = table[table[column].notna()].sort_values([column], kind="stable")
    if len(rows) <= AREA_CHART_MAX:
        return rows.reset_index(drop=True), ""
    note = (
        f"The {AREA_CHART_EACH_END} lowest and {AREA_CHART_EACH_END} highest of {len(rows):,} {label} are drawn; "
        "the download has every one."
    )
    return pd.concat([rows.head(AREA_CHART_EACH_END), rows.tail(AREA_CHART_EACH_END)]).reset_index(
        drop=True
    ), note


def area_chart_rows(long: pd.DataFrame, metric: str, public: bool) -> tuple[pd.DataFrame, str]:
    """The areas to draw for `metric`, lowest score first, and a note of what was left out.

    With more than AREA_CHART_MAX areas, only the lowest and highest AREA_CHART_EACH_END are drawn.
    Suppressed figures are left out in public view.
    """
    rows = long[(long["metric"] == metric) & long["score"].notna()].sort_values(
        ["score", "name"], kind="stable"
    )
    notes = []
    if public:
        hidden = int(rows["suppressed"].sum())
        rows = rows[~rows["suppressed"]]
        if hidden:
            notes.append(f"{hidden:,} areas with too few responses are not shown.")
    rows, note = extremes(rows, "score")
    if note:
        notes.append(note.replace("the download", "the table below"))
    return rows, " ".join(notes)


# --- breakdowns ------------------------------------------------------------------------------------


def breakdown_dimensions(basis: ScoreBasis, source: str | None) -> list[str]:
    """The demographic breakdowns the source has: age_group, gender, race_ethnicity."""
    if source == SOURCE_RESPONSES:
        return [d for d in DIMENSIONS if d in basis.dimensions]
    if source == SOURCE_PUBLISHED:
        return [d for d in DIMENSIONS if basis.published_groups.get(d)]
    return []


def breakdown(basis: ScoreBasis, f: Filters, metric: str, dimension: str, source: str | None) -> pd.DataFrame:
    """The score of each group of `dimension` in the sidebar's scope: group, score, n, low, high, suppressed.

    Published: each group's latest figure in the period, for the one area chosen, else for the city.
    """
    if source == SOURCE_RESPONSES:
        if dimension not in basis.dimensions or metric not in basis.answers:
            return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
        codes, labels = basis.dimensions[dimension]
        if f.areas:  # the running totals are by group for every area: count the chosen areas' answers
            positions = _positions(basis, f)
            columns = _group_scores(basis, positions, metric, codes[positions], len(labels))
        else:
            lo, hi = _day_index(basis, f.start), _day_index(basis, f.end + dt.timedelta(days=1))
            totals = _totals(basis.by_group[(dimension, metric)], lo, hi)[: len(labels)]
            columns = _score_from_totals(totals, basis.k)
        table = pd.DataFrame(columns)
        table["group"] = [str(x) for x in labels]
        table = table[table["n"] > 0].assign(n=lambda t: t["n"].astype("float64"))
        return _in_group_order(table[BREAKDOWN_COLUMNS])
    if source != SOURCE_PUBLISHED:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    area = f.areas[0] if len(f.areas) == 1 else None
    rows = []
    for group in basis.published_groups.get(dimension, ()):
        table = _published(basis, metric, f, group=group)
        row = _latest(_published_scope(table, area))
        if row is None and area is not None:
            row = _latest(_published_scope(table, None))
        if row is not None:
            label = group.split(GROUP_SEPARATOR, 1)[1].strip()
            rows.append((label, row["score"], row["n"], math.nan, math.nan, bool(row["suppressed"])))
    out = pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)
    out["n"] = out["n"].astype("float64")
    return _in_group_order(out)


def public_rows(table: pd.DataFrame, public: bool) -> tuple[pd.DataFrame, int]:
    """The rows to show, and how many were left out: in public view, those on fewer than k responses."""
    if not public or len(table) == 0:
        return table, 0
    flagged = table["suppressed"].astype(bool).to_numpy()
    return table[~flagged].reset_index(drop=True), int(flagged.sum())


def breakdown_table(tables: Sequence[tuple[str, pd.DataFrame]], k: int, public: bool) -> pd.DataFrame:
    """The breakdowns shown, as one table for a download: Breakdown, Group, Score, n, 95 % interval, Note."""
    columns = ["Breakdown", "Group", "Score", "n", "95 % interval", "Note"]
    rows = [
        (
            name,
            row.group,
            round(row.score) if pd.notna(row.score) else None,
            row.n,
            _interval_text(row.low, row.high),
            f"fewer than {k} responses: treat with care" if row.suppressed and not public else "",
        )
        for name, table in tables
        for row in table.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


def _group_key(group: str) -> tuple[int, float, str]:
    """Sort key of a group: answers like 'prefer not to say' last, age bands by their first number."""
    text = str(group).strip().lower()
    if text in LAST_GROUPS:
        return (2, 0.0, text)
    digits = re.search(r"\d+", text)
    if digits is None:
        return (0, 0.0, text)
    first = float(digits.group())
    return (1, first - 0.5 if text.startswith(("under", "below", "<")) else first, text)


def _in_group_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in a natural order of their group (ages ascending; 'prefer not to say' and 'other' last)."""
    order = sorted(range(len(table)), key=lambda i: _group_key(table["group"].iloc[i]))
    return table.iloc[order].reset_index(drop=True)


# --- events against trust --------------------------------------------------------------------------


def area_events(ds: Dataset, f: Filters, area: str) -> pd.DataFrame:
    """The engagement events held in `area` in the period (and the sidebar's programs), by date."""
    if ds.events is None or "start" not in ds.events.columns:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    events = rows_in_period(ds.events, "start", f.start, f.end)
    if len(events) == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    events = events[events["area_id"] == area]
    if f.programs and "program" in events.columns:
        events = events[events["program"].isin(f.programs)]
    return pd.DataFrame(
        {
            "start": events["start"],
            "program": events["program"].astype("str"),
            "title": events["title"].astype("string").fillna("") if "title" in events.columns else "",
            "attendance": pd.to_numeric(events["attendance"], errors="coerce")
            if "attendance" in events.columns
            else np.nan,
        }
    ).reset_index(drop=True)


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The events of `area_events` for people: Date, Program, Title, Attendance."""
    return pd.DataFrame(
        {
            "Date": pd.to_datetime(events["start"]).dt.date,
            "Program": events["program"],
            "Title": events["title"],
            "Attendance": events["attendance"],
        }
    )


def timing_summary(
    trend: pd.DataFrame, events: pd.DataFrame, area_name: str, label: str, public: bool
) -> str:
    """What the chart shows, in words, as timing only: the score's first and last month and the events."""
    own = trend[trend["series"] != CITY_LABEL]
    if public:
        own = own[~own["suppressed"].astype(bool)]
    own = own[own["score"].notna()]
    parts = []
    if len(own) >= 2:
        first, last = own.iloc[0], own.iloc[-1]
        parts.append(
            f"{label} in {area_name} went from {first['score']:.0f} ({first['period']}, n={first['n']:,.0f}) "
            f"to {last['score']:.0f} ({last['period']}, n={last['n']:,.0f})."
        )
    elif len(own) == 1:
        parts.append(f"{label} in {area_name}: {own.iloc[0]['score']:.0f} ({own.iloc[0]['period']}).")
    else:
        parts.append(f"Not enough {label.lower()} answers in {area_name} in this period to draw a trend.")
    if len(events):
        counts = events["program"].value_counts()
        top = ", ".join(f"{p} ({c:,})" for p, c in counts.head(3).items())
        noun = "event was" if len(events) == 1 else "events were"
        parts.append(f"{len(events):,} engagement {noun} held there in the period, most often {top}.")
    else:
        parts.append("No engagement event was held there in the period.")
    parts.append(
        "The chart shows what happened when, not why: a change after an event does not show that the event "
        "caused it."
    )
    return " ".join(parts)


# --- the comment index -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentIndex:
    """Every comment of a data set as small arrays, in date order, for fast slicing and counting.

    when: submitted (int64 ns); month: months since 1970; area: code into area_ids (-1 unknown);
    program: code into programs (-1 when the response is not tied to an event with a program);
    language: LANG_EN / LANG_ES / LANG_OTHER; label: NEGATIVE_CLASS ... UNSCORED_CLASS;
    text: code into texts (the distinct comments as given) and folded (lower-cased, no accents);
    combo: code into combo_topics (combos x topics), the row's combination of topics.
    concern_*: the concerns (sorted by raised), with their topics (concerns x topics).
    """

    taxonomy: Taxonomy
    when: np.ndarray
    month: np.ndarray
    area: np.ndarray
    area_ids: np.ndarray
    area_names: np.ndarray
    program: np.ndarray
    programs: np.ndarray
    language: np.ndarray
    label: np.ndarray
    text: np.ndarray
    texts: pa.Array
    folded: pa.Array
    combo: np.ndarray
    combo_topics: np.ndarray
    concern_when: np.ndarray
    concern_area: np.ndarray
    concern_topics: np.ndarray

    @property
    def size(self) -> int:
        """Number of comments."""
        return len(self.when)

    @property
    def topics(self) -> list[str]:
        """The taxonomy's topic names."""
        return self.taxonomy.names


def _labels(scores: np.ndarray) -> np.ndarray:
    """Sentiment class per compound score (UNSCORED_CLASS where NaN)."""
    out = np.full(len(scores), UNSCORED_CLASS, dtype="int8")
    out[scores >= POSITIVE] = POSITIVE_CLASS
    out[scores <= NEGATIVE] = NEGATIVE_CLASS
    out[(scores > NEGATIVE) & (scores < POSITIVE)] = NEUTRAL_CLASS
    return out


def _languages(
    comments: pd.Series, tags: pd.Series | None, codes: np.ndarray, distinct: pd.Series
) -> np.ndarray:
    """Language code per comment: its tag when given, else detected from the text (as the scorer does)."""
    out = np.full(len(comments), LANG_OTHER, dtype="int8")
    known = np.zeros(len(comments), dtype=bool)
    if tags is not None:
        normal = language_tags(tags)
        known = np.array(normal.notna(), dtype=bool)
        out[np.array((normal == ENGLISH).fillna(False), dtype=bool)] = LANG_EN
        out[np.array((normal == SPANISH).fillna(False), dtype=bool)] = LANG_ES
    undecided = ~known
    if undecided.any():
        need = np.flatnonzero(np.bincount(codes[undecided], minlength=len(distinct)))
        detected = detect_language(distinct.iloc[need]).to_numpy()
        per_text = np.full(len(distinct), LANG_EN, dtype="int8")
        per_text[need] = np.where(detected == SPANISH, LANG_ES, LANG_EN)
        out[undecided] = per_text[codes[undecided]]
    return out


def _empty_index(
    taxonomy: Taxonomy,
    concerns: tuple[np.ndarray, np.ndarray, np.ndarray],
    area_ids: np.ndarray,
    area_names: np.ndarray,
) -> CommentIndex:
    """An index with no comment (concerns may still be there)."""
    none = np.zeros(0, dtype="int64")
    small = np.zeros(0, dtype="int32")
    empty_text = pa.array([], type=pa.string())
    return CommentIndex(
        taxonomy=taxonomy,
        when=none,
        month=none,
        area=small,
        area_ids=area_ids,
        area_names=area_names,
        program=small,
        programs=np.array([], dtype=object),
        language=np.zeros(0, dtype="int8"),
        label=np.zeros(0, dtype="int8"),
        text=small,
        texts=empty_text,
        folded=empty_text,
        combo=small,
        combo_topics=np.zeros((0, len(taxonomy.topics)), dtype=bool),
        concern_when=concerns[0],
        concern_area=concerns[1],
        concern_topics=concerns[2],
    )


def build_comment_index(
    responses: pd.DataFrame | None,
    events: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    concerns: pd.DataFrame | None,
    taxonomy: Taxonomy,
) -> CommentIndex:
    """Index every non-blank comment (and tag every concern) once per data set; the frames are not modified."""
    area_ids, area_names = _area_lookup(areas, responses, concerns)

    concern_parts = (np.zeros(0, "int64"), np.zeros(0, "int32"), np.zeros((0, len(taxonomy.topics)), bool))
    if concerns is not None and len(concerns) and "raised" in concerns.columns:
        order = np.argsort(_as_ns(concerns["raised"]), kind="stable")
        ordered = concerns.iloc[order]
        area_col = (
            ordered["area_id"] if "area_id" in ordered.columns else pd.Series(pd.NA, index=ordered.index)
        )
        concern_parts = (
            _as_ns(ordered["raised"]),
            _codes(area_col, area_ids),
            tag_concerns(ordered, taxonomy),
        )

    if responses is None or len(responses) == 0 or "comment" not in responses.columns:
        return _empty_index(taxonomy, concern_parts, area_ids, area_names)
    text = responses["comment"].astype("string").str.strip()
    has_text = np.array(text.notna() & (text != ""), dtype=bool)
    if not has_text.any() or "submitted" not in responses.columns:
        return _empty_index(taxonomy, concern_parts, area_ids, area_names)
    rows = responses[has_text]
    when = _as_ns(rows["submitted"])
    order = np.argsort(when, kind="stable")
    rows, when = rows.iloc[order], when[order]
    comments = text[has_text].iloc[order]
    codes, uniques = pd.factorize(comments, use_na_sentinel=True)
    codes = np.asarray(codes, dtype="int32")
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string[pyarrow]")

    months = when.view("datetime64[ns]").astype("datetime64[M]").view("int64")
    area = _codes(rows["area_id"], area_ids) if "area_id" in rows.columns else np.full(len(rows), -1, "int32")
    programs = np.array([], dtype=object)
    program = np.full(len(rows), -1, dtype="int32")
    if events is not None and "event_id" in rows.columns and "program" in events.columns and len(events):
        lookup = events.drop_duplicates("event_id").set_index("event_id")["program"].astype("str")
        per_row = rows["event_id"].map(lookup)
        programs = np.array(sorted(per_row.dropna().unique()), dtype=object)
        program = _codes(per_row, programs)
    language = _languages(comments, rows["language"] if "language" in rows.columns else None, codes, distinct)
    scores = (
        pd.to_numeric(rows[SENTIMENT], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if SENTIMENT in rows.columns
        else np.full(len(rows), np.nan)
    )
    label = _labels(scores)

    folded = fold(pa.array(distinct, type=pa.string()))
    first = np.full(len(distinct), -1, dtype="int64")
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    text_language = np.array([ENGLISH, SPANISH, "other"], dtype=object)[language[first]]
    text_topics = tag(folded, taxonomy, text_language, folded=True)
    text_combo, combo_topics = combinations(text_topics)
    return CommentIndex(
        taxonomy=taxonomy,
        when=when,
        month=months,
        area=area,
        area_ids=area_ids,
        area_names=area_names,
        program=program,
        programs=programs,
        language=language,
        label=label,
        text=codes,
        texts=pa.array(distinct, type=pa.string()),
        folded=folded,
        combo=text_combo[codes],
        combo_topics=combo_topics,
        concern_when=concern_parts[0],
        concern_area=concern_parts[1],
        concern_topics=concern_parts[2],
    )


def comment_index(ds: Dataset, taxonomy: Taxonomy) -> CommentIndex:
    """The comment index of a loaded data set."""
    return build_comment_index(ds.responses, ds.events, ds.areas, ds.concerns, taxonomy)


# --- selecting comments ----------------------------------------------------------------------------


def _area_codes(idx: CommentIndex, area_ids: Sequence[str]) -> np.ndarray:
    """Codes of `area_ids` in the index (unknown ids left out)."""
    positions = pd.Index(idx.area_ids).get_indexer(list(area_ids))
    return positions[positions >= 0]


def select_rows(idx: CommentIndex, f: Filters, area: str | None = None) -> np.ndarray:
    """Positions of the comments in the period and the sidebar's areas (and `area` when given)."""
    lo = int(np.searchsorted(idx.when, _day_ns(f.start), "left"))
    hi = int(np.searchsorted(idx.when, _day_ns(f.end + dt.timedelta(days=1)), "left"))
    positions = np.arange(lo, hi)
    chosen = list(f.areas)
    if area is not None:
        chosen = [area] if not chosen or area in chosen else []
    if chosen:
        positions = positions[np.isin(idx.area[lo:hi], _area_codes(idx, chosen))]
    return positions


# --- comment sentiment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Languages:
    """How many comments in scope, and how many of them in English (scored), Spanish and other languages."""

    comments: int
    english: int
    spanish: int
    other: int
    scored: int


def languages(idx: CommentIndex, rows: np.ndarray) -> Languages:
    """Comment counts by language among `rows`."""
    counts = np.bincount(idx.language[rows], minlength=3)
    scored = int((idx.label[rows] != UNSCORED_CLASS).sum())
    return Languages(len(rows), int(counts[LANG_EN]), int(counts[LANG_ES]), int(counts[LANG_OTHER]), scored)


def _net_table(counts: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Net sentiment columns from per-group class counts (groups x 4)."""
    n = counts[:, :UNSCORED_CLASS].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = np.where(n > 0, counts[:, POSITIVE_CLASS] / n * 100, np.nan)
        negative = np.where(n > 0, counts[:, NEGATIVE_CLASS] / n * 100, np.nan)
    return {
        "net": positive - negative,
        "positive": positive,
        "negative": negative,
        "neutral": 100.0 - positive - negative,
        "n": n.astype("int64"),
        "suppressed": n < k,
    }


def net_sentiment_total(idx: CommentIndex, rows: np.ndarray, k: int) -> dict[str, float]:
    """Net sentiment over `rows`: net, positive, negative, neutral (in %), n scored, suppressed."""
    counts = np.bincount(idx.label[rows], minlength=N_CLASSES).reshape(1, -1)
    return {key: value[0] for key, value in _net_table(counts, k).items()}


def net_by_month(idx: CommentIndex, rows: np.ndarray, k: int) -> pd.DataFrame:
    """Net sentiment per calendar month: month, net, positive, negative, neutral, n, suppressed, comments."""
    columns = ["month", *SENTIMENT_COLUMNS, "comments"]
    if len(rows) == 0:
        return pd.DataFrame(columns=columns)
    months = idx.month[rows]
    first = int(months.min())
    span = int(months.max()) - first + 1
    counts = np.bincount((months - first) * N_CLASSES + idx.label[rows], minlength=span * N_CLASSES)
    counts = counts.reshape(span, N_CLASSES)
    out = pd.DataFrame(_net_table(counts, k))
    out.insert(0, "month", (np.arange(first, first + span)).astype("datetime64[M]").astype("datetime64[ns]"))
    out["comments"] = counts.sum(axis=1)
    return out[out["comments"] > 0][columns].reset_index(drop=True)


def net_by(idx: CommentIndex, rows: np.ndarray, by: str, k: int) -> pd.DataFrame:
    """Net sentiment per area (by="area") or program (by="program"): key, label, net, ..., n, suppressed."""
    columns = ["key", "label", *SENTIMENT_COLUMNS]
    keys, labels = (idx.area, idx.area_names) if by == "area" else (idx.program, idx.programs)
    ids = idx.area_ids if by == "area" else idx.programs
    codes = keys[rows]
    known = codes >= 0
    size = len(ids)
    if size == 0 or not known.any():
        return pd.DataFrame(columns=columns)
    counts = np.bincount(codes[known] * N_CLASSES + idx.label[rows][known], minlength=size * N_CLASSES)
    counts = counts.reshape(size, N_CLASSES)
    out = pd.DataFrame(_net_table(counts, k))
    out.insert(0, "key", ids)
    out.insert(1, "label", labels)
    out = out[out["n"] > 0]
    return out.sort_values(["net", "label"], kind="stable")[columns].reset_index(drop=True)


# --- topics ----------------------------------------------------------------------------------------


def topic_shares(idx: CommentIndex, rows: np.ndarray, k: int) -> pd.DataFrame:
    """Per topic among `rows`: comments mentioning it, their share of all comments (%), and the
    sentiment of the scored ones (net, positive, negative, neutral, n, suppressed). Most mentioned first;
    the last row counts the comments that matched no topic."""
    columns = ["topic", "comments", "share", *SENTIMENT_COLUMNS]
    names = [*idx.topics, NO_TOPIC]
    if len(rows) == 0:
        return pd.DataFrame(columns=columns)
    combos = len(idx.combo_topics)
    counts = np.bincount(idx.combo[rows] * N_CLASSES + idx.label[rows], minlength=combos * N_CLASSES)
    counts = counts.reshape(combos, N_CLASSES)
    membership = np.column_stack([idx.combo_topics, ~idx.combo_topics.any(axis=1)]).astype("int64")
    per_topic = membership.T @ counts  # topics x classes
    out = pd.DataFrame(_net_table(per_topic, k))
    out.insert(0, "topic", names)
    out.insert(1, "comments", per_topic.sum(axis=1))
    out.insert(2, "share", out["comments"] / len(rows) * 100)
    ranked = out.iloc[:-1].sort_values(["comments", "topic"], ascending=[False, True], kind="stable")
    return pd.concat([ranked, out.iloc[-1:]], ignore_index=True)[columns]


def topic_trend(idx: CommentIndex, rows: np.ndarray, topics: Sequence[str]) -> pd.DataFrame:
    """Share of comments (%) mentioning each of `topics` per month: month, topic, comments, total, share."""
    columns = ["month", "topic", "comments", "total", "share"]
    chosen = [idx.topics.index(t) for t in topics if t in idx.topics]
    if len(rows) == 0 or not chosen:
        return pd.DataFrame(columns=columns)
    months = idx.month[rows]
    first = int(months.min())
    span = int(months.max()) - first + 1
    combos = len(idx.combo_topics)
    counts = np.bincount((months - first) * combos + idx.combo[rows], minlength=span * combos)
    counts = counts.reshape(span, combos)
    total = counts.sum(axis=1)
    per_topic = counts @ idx.combo_topics[:, chosen].astype("int64")  # months x chosen
    month_values = np.arange(first, first + span).astype("datetime64[M]").astype("datetime64[ns]")
    frames = []
    for j, position in enumerate(chosen):
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, per_topic[:, j] / total * 100, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "month": month_values,
                    "topic": idx.topics[position],
                    "comments": per_topic[:, j],
                    "total": total,
                    "share": share,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out[out["total"] > 0][columns].reset_index(drop=True)


def concern_topic_counts(idx: CommentIndex, f: Filters) -> pd.DataFrame:
    """Concerns raised in the period and the sidebar's areas per topic: topic, concerns, share (%)."""
    columns = ["topic", "concerns", "share"]
    lo = int(np.searchsorted(idx.concern_when, _day_ns(f.start), "left"))
    hi = int(np.searchsorted(idx.concern_when, _day_ns(f.end + dt.timedelta(days=1)), "left"))
    matrix = idx.concern_topics[lo:hi]
    if f.areas:
        matrix = matrix[np.isin(idx.concern_area[lo:hi], _area_codes(idx, f.areas))]
    if len(matrix) == 0:
        return pd.DataFrame(columns=columns)
    counts = np.append(matrix.sum(axis=0), (~matrix.any(axis=1)).sum())
    out = pd.DataFrame({"topic": [*idx.topics, NO_TOPIC], "concerns": counts})
    out["share"] = out["concerns"] / len(matrix) * 100
    ranked = out.iloc[:-1].sort_values(["concerns", "topic"], ascending=[False, True], kind="stable")
    return pd.concat([ranked, out.iloc[-1:]], ignore_index=True)[columns]


def topic_table(shares: pd.DataFrame, concerns: pd.DataFrame, public: bool) -> pd.DataFrame:
    """Topics for a download: comments and their share, sentiment (blank where too few in public view),
    and concerns raised."""
    aligned = concerns.set_index("topic").reindex(shares["topic"]) if len(concerns) else None
    hidden = shares["suppressed"].astype(bool) & public
    return pd.DataFrame(
        {
            "Topic": shares["topic"],
            "Comments": shares["comments"],
            "Share of comments (%)": shares["share"].round(1),
            "Scored comments": shares["n"],
            "Net sentiment": shares["net"].round(0).where(~hidden),
            "Positive (%)": shares["positive"].round(0).where(~hidden),
            "Negative (%)": shares["negative"].round(0).where(~hidden),
            "Concerns raised": aligned["concerns"].to_numpy() if aligned is not None else np.nan,
        }
    )


def sentiment_table(
    monthly: pd.DataFrame, by_area: pd.DataFrame, by_program: pd.DataFrame, public: bool
) -> pd.DataFrame:
    """Net sentiment by month, area and program in one table for a download (too few: blank in public)."""
    parts = []
    for kind, table, keys in (
        ("month", monthly, monthly["month"].dt.strftime("%Y-%m") if len(monthly) else []),
        ("area", by_area, by_area["label"] if len(by_area) else []),
        ("program", by_program, by_program["label"] if len(by_program) else []),
    ):
        if len(table) == 0:
            continue
        hidden = table["suppressed"].astype(bool) & public
        parts.append(
            pd.DataFrame(
                {
                    "By": kind,
                    "Group": list(keys),
                    "Net sentiment": table["net"].round(0).where(~hidden).to_numpy(),
                    "Positive (%)": table["positive"].round(0).where(~hidden).to_numpy(),
                    "Negative (%)": table["negative"].round(0).where(~hidden).to_numpy(),
                    "Neutral (%)": table["neutral"].round(0).where(~hidden).to_numpy(),
                    "Scored comments": table["n"].to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["By", "Group", "Net sentiment", "Scored comments"])
    return pd.concat(parts, ignore_index=True)


# --- the comment explorer --------------------------------------------------------------------------

EXPLORER_COLUMNS = ["Submitted", "Comment", "Area", "Topics", "Sentiment", "Language"]


def search_texts(idx: CommentIndex, query: str) -> np.ndarray | None:
    """Which distinct texts contain every word of `query` (case and accents ignored); None for no query.

    The longest word is looked for in every text, each next one only in the texts still matching."""
    words = sorted(set(fold_text(query).split()), key=len, reverse=True)
    if not words:
        return None
    candidates = np.arange(len(idx.folded))
    texts = idx.folded
    for word in words:
        found = pc.fill_null(pc.match_substring(texts, word), False)
        candidates = candidates[found.to_numpy(zero_copy_only=False)]
        if len(candidates) == 0:
            break
        texts = texts.filter(found)
    hits = np.zeros(len(idx.folded), dtype=bool)
    hits[candidates] = True
    return hits


def explore(
    idx: CommentIndex,
    rows: np.ndarray,
    *,
    query: str = "",
    hits: np.ndarray | None = None,
    topic: str | None = None,
    sentiment: str | None = None,
    language: str | None = None,
    limit: int = EXPLORER_ROWS,
) -> tuple[pd.DataFrame, int]:
    """The comments among `rows` that match, newest first, personal details redacted; and how many match.

    query: words every comment must hold (or `hits`, its `search_texts` already computed); topic: a
    taxonomy topic or NO_TOPIC; sentiment: one of CLASS_NAMES; language: one of LANGUAGE_NAMES.
    """
    mask = np.ones(len(rows), dtype=bool)
    if topic is not None:
        if topic == NO_TOPIC:
            mask &= ~idx.combo_topics.any(axis=1)[idx.combo[rows]] if len(idx.combo_topics) else mask
        elif topic in idx.topics:
            mask &= idx.combo_topics[:, idx.topics.index(topic)][idx.combo[rows]]
        else:
            mask[:] = False
    if sentiment is not None:
        mask &= idx.label[rows] == CLASS_NAMES.index(sentiment)
    if language is not None:
        mask &= idx.language[rows] == LANGUAGE_NAMES.index(language)
    if hits is None:
        hits = search_texts(idx, query)
    if hits is not None:
        mask &= hits[idx.text[rows]]
    matched = rows[mask]
    shown = matched[::-1][:limit]
    return explorer_frame(idx, shown), len(matched)


def explorer_frame(idx: CommentIndex, positions: np.ndarray) -> pd.DataFrame:
    """The comments at `positions` for people: date, area, topics, sentiment, language, redacted text."""
    combo_names = [
        ", ".join(t for t, on in zip(idx.topics, row, strict=True) if on) for row in idx.combo_topics
    ]
    texts = pd.Series(idx.texts.take(pa.array(idx.text[positions])).to_pandas(), dtype="string")
    area = idx.area[positions]
    names = np.append(idx.area_names, "").astype(object)  # code -1 reads the blank at the end
    return pd.DataFrame(
        {
            "Submitted": pd.to_datetime(idx.when[positions].view("datetime64[ns]")).date,
            "Area": names[area],
            "Topics": [combo_names[c] for c in idx.combo[positions]],
            "Sentiment": np.array(CLASS_NAMES, dtype=object)[idx.label[positions]],
            "Language": np.array(LANGUAGE_NAMES, dtype=object)[idx.language[positions]],
            "Comment": redact_series(texts).to_numpy(dtype=object) if len(texts) else [],
        },
        columns=EXPLORER_COLUMNS,
    )
