"""Transforms an import applies on the way in, each one visible and saved with the mapping.

Dates in a chosen format (times without a zone are kept as local times), answer scales rescaled to
0–10 with the rule written down, programs from titles by editable rules, area ids normalised, ids
built from several columns, and wide score tables turned into the long `area_scores` form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cpdash.data.dates import read_dates, read_with_format
from cpdash.data.geo import area_key
from cpdash.data.schema import AREA_LEVELS, PROGRAMS, SCORE_METRICS
from cpdash.data.validate import DATE_FORMATS, parse_numbers, to_text

AUTO = "auto"
# Date formats a user can choose, shown as people write them; "auto" tries ISO then every known format.
DATE_CHOICES: dict[str, str] = {
    AUTO: "automatic (ISO, then the format that reads most values)",
    "%Y-%m-%d": "YYYY-MM-DD",
    "%Y-%m-%d %H:%M": "YYYY-MM-DD HH:MM",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%m/%d/%Y %H:%M": "MM/DD/YYYY HH:MM",
    "%m/%d/%Y %I:%M %p": "MM/DD/YYYY hh:mm AM/PM",
    "%m/%d/%Y %I:%M:%S %p": "MM/DD/YYYY hh:mm:ss AM/PM",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%d/%m/%Y %H:%M": "DD/MM/YYYY HH:MM",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%b %d, %Y": "Mar 15, 2025",
    "%b %d, %Y %H:%M": "Mar 15, 2025 18:30",
    "%B %d, %Y": "March 15, 2025",
    "%B %d, %Y %I:%M %p": "March 15, 2025 6:30 PM",
    "%A, %B %d, %Y": "Saturday, March 15, 2025",
    "%d %b %Y": "15 Mar 2025",
    "%m/%d/%y": "MM/DD/YY",
}
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I %p", "%I:%M%p", "%I%p")
_TIME_CLEAN = re.compile(r"\s*([ap])\.?\s*m\.?\s*$", re.IGNORECASE)
_DAY_FIRST = {"%d/%m/%Y", "%d/%m/%Y %H:%M", "%d.%m.%Y"}
_MONTH_FIRST = {f for f in DATE_FORMATS if f.startswith("%m/")}

# Answer scales: label, and the rule that puts an answer on 0 to 10 (recorded with the import).
SCALES: dict[str, str] = {
    "0-10": "0 to 10: kept as is",
    "1-10": "1 to 10: (answer − 1) × 10 / 9",
    "1-5": "1 to 5: (answer − 1) × 2.5",
    "0-100": "0 to 100: answer / 10",
    "agree": "Strongly disagree … Strongly agree: 0, 2.5, 5, 7.5, 10",
}
_SCALE_RANGES = {"0-10": (0, 10), "1-10": (1, 10), "1-5": (1, 5), "0-100": (0, 100)}
AGREE_ANSWERS: dict[str, float] = {
    "strongly disagree": 0.0,
    "disagree strongly": 0.0,
    "disagree": 2.5,
    "somewhat disagree": 2.5,
    "tend to disagree": 2.5,
    "neither agree nor disagree": 5.0,
    "neither agree or disagree": 5.0,
    "neither": 5.0,
    "neutral": 5.0,
    "somewhat agree": 7.5,
    "tend to agree": 7.5,
    "agree": 7.5,
    "agree strongly": 10.0,
    "strongly agree": 10.0,
}
NO_ANSWER = ("don t know", "dont know", "not sure", "prefer not to say", "refused", "no answer", "n a")

# Published score values: how a value is put on 0 to 100.
VALUE_SCALES: dict[str, str] = {
    "0-100": "0 to 100: kept as is",
    "0-10": "0 to 10: value × 10",
    "0-1": "0 to 1: value × 100",
    "1-5": "1 to 5: (value − 1) × 25",
}

# Programs from free-text titles: the first rule whose words appear in the title wins.
DEFAULT_PROGRAM_RULES: tuple[tuple[str, str], ...] = (
    ("National Night Out", "National Night Out"),
    ("NNO", "National Night Out"),
    ("Coffee With", "Coffee with a Cop"),
    ("Cops and Coffee", "Coffee with a Cop"),
    ("Peace Circle", "Faith and partner event"),
    ("Clergy", "Faith and partner event"),
    ("Faith", "Faith and partner event"),
    ("Church", "Faith and partner event"),
    ("Explorers", "Youth mentorship"),
    ("Mentor", "Youth mentorship"),
    ("Mentoring", "Youth mentorship"),
    ("Youth Basketball", "Youth sports and activities"),
    ("Sports", "Youth sports and activities"),
    ("Camp", "Youth sports and activities"),
    ("Senior", "Workshop / training"),
    ("Workshop", "Workshop / training"),
    ("Training", "Workshop / training"),
    ("Seminar", "Workshop / training"),
    ("Clean-up", "Community clean-up"),
    ("Cleanup", "Community clean-up"),
    ("Town Hall", "Town hall"),
    ("Block Party", "Block party"),
    ("Neighborhood Watch", "Neighbourhood watch"),
    ("Neighbourhood Watch", "Neighbourhood watch"),
    ("Block Club", "Neighbourhood watch"),
    ("Beat Meeting", "Beat / community meeting"),
    ("CAPS", "Beat / community meeting"),
    ("Community Meeting", "Beat / community meeting"),
    ("DAC", "Beat / community meeting"),
    ("Survey", "Feedback project"),
    ("Listening Session", "Feedback project"),
)
_WORDS = re.compile(r"[^0-9a-z]+")

# Wide score tables: how column names name a metric, a breakdown, a count and a level.
METRIC_WORDS: dict[str, str] = {
    "trust": "trust",
    "t": "trust",
    "safety": "safety",
    "safe": "safety",
    "s": "safety",
    "listen": "listen",
    "listening": "listen",
    "respect": "respect",
    "respectful": "respect",
}
GROUP_PREFIXES: dict[str, str] = {
    "age": "age",
    "sex": "sex",
    "gender": "gender",
    "race": "race",
    "ethnicity": "race",
    "income": "income",
    "edu": "education",
    "education": "education",
}
COUNT_WORDS = ("n", "count", "responses", "respondents", "sample", "sample_size")
LEVEL_WORDS: dict[str, str] = {
    "beat": "beat",
    "sector": "sector",
    "district": "district",
    "area": "area",
    "ward": "area",
    "neighborhood": "area",
    "neighbourhood": "area",
    "community_area": "area",
    "city": "city",
}
SPECIFIC_FIRST = ("beat", "sector", "district", "area")  # the most specific filled area column wins
AREA_WORDS = re.compile(
    r"\b(district|area|beat|sector|ward|zone)\s*(?:no\.?|#)?\s*0*(\d+[a-z]?)\b", re.IGNORECASE
)
MAX_WORD_AREAS = 5_000  # area names searched in free text at most


def _words(text: object) -> str:
    return _WORDS.sub(" ", str(text).lower()).strip()


# --- dates -----------------------------------------------------------------------------------------


def parse_date_column(values: pd.Series, fmt: str = AUTO, times: pd.Series | None = None) -> pd.Series:
    """Dates in `fmt` (or any known format with "auto"), plus an optional column of times; NaT if not.

    In microseconds, so that any year reads as written: validation rejects dates outside the date window.
    """
    text = to_text(values)
    if times is not None:
        clock = parse_times(times)
        text_times = to_text(times)
        bad_time = text_times.notna() & clock.isna()
    parsed = read_dates(values) if fmt == AUTO or not fmt else read_with_format(text, fmt)
    if times is not None:
        parsed = parsed.dt.normalize() + clock.fillna(pd.Timedelta(0)).astype("timedelta64[us]")
        parsed = parsed.where(~bad_time)
    return parsed


def parse_times(values: pd.Series) -> pd.Series:
    """Times of day ("18:30", "6:30 PM", "6 p.m.") as time deltas; NaT where not a time."""
    text = to_text(values)
    distinct = pd.Series(text.dropna().unique(), dtype="object")
    result = pd.Series(pd.NaT, index=distinct.index, dtype="timedelta64[ns]")
    cleaned = distinct.astype("str").str.replace(_TIME_CLEAN, lambda m: f" {m.group(1).upper()}M", regex=True)
    for fmt in TIME_FORMATS:
        missing = result.isna()
        if not missing.any():
            break
        parsed = pd.to_datetime(cleaned[missing], format=fmt, errors="coerce")
        ok = parsed.notna()
        result[ok[ok].index] = parsed[ok] - parsed[ok].dt.normalize()
    lookup = pd.Series(result.to_numpy(), index=distinct.to_numpy())
    return pd.Series(text.map(lookup).to_numpy(dtype="timedelta64[ns]"), index=values.index)


def date_formats_used(values: pd.Series) -> dict[str, int]:
    """How many distinct values each format reads (ISO first, then each format on what is left)."""
    text = to_text(values).dropna()
    distinct = pd.Series(text.unique(), dtype="str")
    if distinct.empty:
        return {}
    used: dict[str, int] = {}
    iso = pd.to_datetime(distinct, format="ISO8601", errors="coerce")
    if iso.notna().any():
        used["ISO"] = int(iso.notna().sum())
    left = distinct[iso.isna()]
    while len(left):
        best, best_count = None, 0
        for fmt in DATE_FORMATS:
            count = int(pd.to_datetime(left, format=fmt, errors="coerce").notna().sum())
            if count > best_count:
                best, best_count = fmt, count
        if best is None:
            break
        used[best] = best_count
        left = left[pd.to_datetime(left, format=best, errors="coerce").isna()]
    return used


def mixed_date_message(column: str, values: pd.Series) -> str | None:
    """A clear warning when one column mixes date formats (above all day-first with month-first)."""
    used = date_formats_used(values)
    families = {_family(f) for f in used}
    if len(used) < 2 or len(families) < 2:
        return None
    text = to_text(values).dropna()
    examples = []
    for fmt, count in used.items():
        reads = (
            pd.to_datetime(text, format="ISO8601", errors="coerce")
            if fmt == "ISO"
            else pd.to_datetime(text, format=fmt, errors="coerce")
        )
        example = text[reads.notna()].iloc[0] if reads.notna().any() else ""
        examples.append(
            f"{count:,} like '{example}' ({DATE_CHOICES.get(fmt, fmt if fmt != 'ISO' else 'ISO')})"
        )
    warning = f"{column} mixes date formats: " + "; ".join(examples)
    if {"day-first", "month-first"} <= families:
        warning += (
            ". Day-first and month-first dates cannot both be right: a date such as 03/04 reads as "
            "4 March in one and 3 April in the other. Choose the format the file uses; rows in any other "
            "format are then rejected with their reason"
        )
    else:
        warning += (
            ". Each value is read in the format it is written in; choose one format to reject the others"
        )
    return warning


def _family(fmt: str) -> str:
    if fmt in _DAY_FIRST:
        return "day-first"
    if fmt in _MONTH_FIRST:
        return "month-first"
    return "ISO" if fmt in ("ISO", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y%m%d") else "words"


def suggest_date_format(values: pd.Series) -> str:
    """The one format that reads every value, else "auto"."""
    used = date_formats_used(values)
    if len(used) == 1:
        fmt = next(iter(used))
        return fmt if fmt in DATE_CHOICES else AUTO
    return AUTO


# --- answer scales ---------------------------------------------------------------------------------


def rescale(values: pd.Series, scale: str) -> tuple[pd.Series, pd.Series]:
    """Answers put on 0 to 10 by `scale`; returns (answers, mask of answers that are not on the scale)."""
    text = to_text(values)
    if scale == "agree":
        keys = text.map(_words, na_action="ignore")
        answers = keys.map(AGREE_ANSWERS).astype("float64")
        no_answer = keys.isin(NO_ANSWER)
        numbers = parse_numbers(values)
        answers = answers.fillna(numbers.where(numbers.between(0, 10)))
        bad = text.notna() & answers.isna() & ~no_answer
        return answers.where(~no_answer), bad
    numbers = parse_numbers(values)
    low, high = _SCALE_RANGES.get(scale, (0, 10))
    off = numbers.notna() & ((numbers < low) | (numbers > high))
    bad = (text.notna() & numbers.isna() & ~text.map(_words, na_action="ignore").isin(NO_ANSWER)) | off
    if scale == "1-10":
        out = (numbers - 1) * 10 / 9
    elif scale == "1-5":
        out = (numbers - 1) * 2.5
    elif scale == "0-100":
        out = numbers / 10
    else:
        out = numbers
    return out.where(~off).round(4), bad


def suggest_scale(values: pd.Series) -> str:
    """The scale the answers look like they are on."""
    text = to_text(values).dropna()
    if text.empty:
        return "0-10"
    keys = text.map(_words)
    if keys.isin(AGREE_ANSWERS).mean() >= 0.5:
        return "agree"
    numbers = parse_numbers(text).dropna()
    if numbers.empty:
        return "0-10"
    low, high = numbers.min(), numbers.max()
    if high > 10:
        return "0-100"
    if low >= 1 and high <= 5:
        return "1-5"
    if low >= 1 and (numbers == numbers.round()).all() and high == 10 and 0 not in set(numbers):
        return "1-10"
    return "0-10"


def rescale_values(values: pd.Series, scale: str) -> pd.Series:
    """Published values put on 0 to 100 by `scale` (see VALUE_SCALES)."""
    numbers = parse_numbers(values)
    if scale == "0-10":
        return numbers * 10
    if scale == "0-1":
        return numbers * 100
    if scale == "1-5":
        return (numbers - 1) * 25
    return numbers


# --- programs from titles --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramRule:
    """Titles holding `words` (case, punctuation and spacing ignored) belong to `program`."""

    words: str
    program: str


def default_program_rules() -> list[ProgramRule]:
    """The built-in rules, in the order they are tried."""
    return [ProgramRule(w, p) for w, p in DEFAULT_PROGRAM_RULES]


def rules_from_rows(rows: Iterable[Sequence[object]] | pd.DataFrame) -> list[ProgramRule]:
    """Rules from (words, program) pairs or a frame with those columns; blank and unknown ones skipped."""
    if isinstance(rows, pd.DataFrame):
        rows = rows[["words", "program"]].itertuples(index=False, name=None)
    out = []
    for words, program in rows:
        if isinstance(words, str) and words.strip() and program in PROGRAMS:
            out.append(ProgramRule(words.strip(), str(program)))
    return out


def programs_from_titles(titles: pd.Series, rules: Sequence[ProgramRule]) -> tuple[pd.Series, pd.Series]:
    """The program of each title by the first rule that matches; returns (program, the rule's words)."""
    text = to_text(titles)
    distinct = text.dropna().unique()
    padded = {t: f" {_words(t)} " for t in distinct}
    keys = [(f" {_words(rule.words)} ", rule) for rule in rules if _words(rule.words)]
    program: dict[str, str] = {}
    matched: dict[str, str] = {}
    for title, key in padded.items():
        for words, rule in keys:
            if words in key:
                program[title] = rule.program
                matched[title] = rule.words
                break
    return text.map(program), text.map(matched)


# --- area ids --------------------------------------------------------------------------------------


def normalise_area_ids(values: pd.Series, known: Sequence[str] | None = None) -> pd.Series:
    """`7`, `07`, `007`, `District 7` -> one id: the known area it matches, else the plain number."""
    text = to_text(values)
    by_key: dict[str, str] = {}
    for area_id in known or ():
        by_key.setdefault(area_key(area_id), area_id)
    mapping = {}
    for value in text.dropna().unique():
        key = area_key(value)
        if value in (known or ()):
            mapping[value] = value
        elif key in by_key:
            mapping[value] = by_key[key]
        elif key.isdigit():
            mapping[value] = key
        else:
            mapping[value] = value
    return text.map(mapping)


def areas_from_text(texts: pd.Series, areas: pd.DataFrame | None) -> pd.Series:
    """The area a free-text location names: an area's name in it, or words such as "District 7"."""
    text = to_text(texts)
    if areas is None or len(areas) == 0:
        names: list[tuple[str, str]] = []
        ids: dict[str, str] = {}
    else:
        frame = areas.head(MAX_WORD_AREAS)
        names = sorted(
            (
                (f" {_words(n)} ", str(a))
                for a, n in zip(frame["area_id"], frame["name"], strict=True)
                if isinstance(n, str) and len(_words(n)) >= 3
            ),
            key=lambda pair: -len(pair[0]),
        )
        ids = {area_key(a): str(a) for a in frame["area_id"]}
    found: dict[str, str | None] = {}
    for value in text.dropna().unique():
        padded = f" {_words(value)} "
        hit = next((a for n, a in names if n in padded), None)
        if hit is None:
            match = AREA_WORDS.search(value)
            if match:
                key = match.group(2).lstrip("0").lower() or "0"
                hit = ids.get(key, key if not ids else None)
        found[value] = hit
    return text.map(found)


# --- ids and duplicates ----------------------------------------------------------------------------


def build_ids(frame: pd.DataFrame, columns: Sequence[str], prefix: str) -> pd.Series:
    """An id from several columns (the same values give the same id): `prefix` + 10 hex digits."""
    parts = [to_text(frame[c]).fillna("").str.lower().str.strip() for c in columns]
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]
    digests = {v: hashlib.sha1(v.encode("utf-8")).hexdigest()[:10] for v in joined.unique()}
    return (prefix + joined.map(digests)).where(joined.str.replace("\x1f", "").str.len() > 0)


def duplicate_of(frame: pd.DataFrame) -> pd.Series:
    """For each row repeating an earlier row exactly, the position of that earlier row; NA otherwise."""
    if len(frame) == 0 or frame.shape[1] == 0:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    keys = pd.util.hash_pandas_object(frame.astype("str").where(frame.notna(), "\x00"), index=False)
    positions = pd.Series(np.arange(len(frame)), index=frame.index)
    first = positions.groupby(keys.to_numpy()).transform("min")
    return first.where(first != positions).astype("Int64")


# --- wide score tables -----------------------------------------------------------------------------


@dataclass
class WideSpec:
    """How a wide score table reads: one row per period and area, one column per metric and breakdown."""

    period_start: str | None = None
    period_end: str | None = None
    levels: dict[str, str] = field(default_factory=dict)  # level -> its area column
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (metric, group)
    counts: dict[str, str] = field(default_factory=dict)  # value column -> its count column
    count: str | None = None  # one count column for every value of the row
    value_scale: str = "0-100"
    date_format: str = AUTO

    def to_dict(self) -> dict:
        """A plain dict for a profile file."""
        return {
            "period_start": self.period_start,
            "period_end": self.period_end,
            "levels": dict(self.levels),
            "values": {c: list(v) for c, v in self.values.items()},
            "counts": dict(self.counts),
            "count": self.count,
            "value_scale": self.value_scale,
            "date_format": self.date_format,
        }

    @classmethod
    def from_dict(cls, data: dict) -> WideSpec:
        """The spec a profile file holds."""
        return cls(
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            levels={str(k): str(v) for k, v in (data.get("levels") or {}).items()},
            values={str(c): (str(v[0]), str(v[1] or "")) for c, v in (data.get("values") or {}).items()},
            counts={str(k): str(v) for k, v in (data.get("counts") or {}).items()},
            count=data.get("count"),
            value_scale=str(data.get("value_scale") or "0-100"),
            date_format=str(data.get("date_format") or AUTO),
        )


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", str(name).lower()) if t]


def read_value_column(name: str) -> tuple[str, str] | None:
    """(metric, group) a wide column name stands for: `TRUST` -> (trust, ""), `S_AGE_LOW` -> (safety,
    "age: low"), `Trust - Age 18-34` -> (trust, "age: 18-34"); None when it names no metric."""
    tokens = _tokens(name)
    if not tokens or tokens[-1] in COUNT_WORDS or tokens[0] in COUNT_WORDS:
        return None
    metric, rest = None, tokens
    if (
        tokens[0] in ("t", "s")
        and len(tokens) > 1
        and tokens[1] in METRIC_WORDS
        and tokens[1] not in ("t", "s")
    ):
        metric, rest = METRIC_WORDS[tokens[1]], tokens[2:]  # T_LISTEN, T_RESPECT
    elif tokens[0] in METRIC_WORDS:
        metric, rest = METRIC_WORDS[tokens[0]], tokens[1:]
    if metric is None or (tokens[0] in ("t", "s") and len(tokens) == 1):
        return None
    rest = [t for t in rest if t not in ("score", "mean", "avg", "average", "pct", "index")]
    if not rest:
        return metric, ""
    prefix = GROUP_PREFIXES.get(rest[0])
    if prefix is None:
        return None
    label = _group_label(rest[1:])
    return (metric, f"{prefix}: {label}") if label else None


def _group_label(tokens: list[str]) -> str:
    """`18 34` -> `18-34`, `african american` -> `african american`, `65 plus` -> `65+`."""
    if len(tokens) == 2 and all(t.isdigit() for t in tokens):
        return f"{tokens[0]}-{tokens[1]}"
    if len(tokens) == 2 and tokens[0].isdigit() and tokens[1] in ("plus", "over"):
        return f"{tokens[0]}+"
    return " ".join(tokens)


def suggest_wide(frame: pd.DataFrame) -> WideSpec:
    """A reading of a wide score table from its column names (and its dates)."""
    spec = WideSpec()
    columns = [str(c) for c in frame.columns]
    for column in columns:
        tokens = _tokens(column)
        joined = "_".join(tokens)
        if spec.period_start is None and joined in (
            "start_date",
            "period_start",
            "start",
            "from",
            "date",
            "week_start",
            "month",
        ):
            spec.period_start = column
        elif spec.period_end is None and joined in ("end_date", "period_end", "end", "to", "week_end"):
            spec.period_end = column
        elif joined in LEVEL_WORDS and LEVEL_WORDS[joined] not in spec.levels:
            spec.levels[LEVEL_WORDS[joined]] = column
        elif joined in ("n", "count", "responses", "respondents", "sample_size"):
            spec.count = column
    for column in columns:
        read = read_value_column(column)
        if read is not None:
            spec.values[column] = read
    for column in columns:  # TRUST_N, Trust n, trust count: the count of the value column they follow
        tokens = _tokens(column)
        if len(tokens) >= 2 and tokens[-1] in COUNT_WORDS:
            base = "_".join(tokens[:-1])
            for value_column in spec.values:
                if "_".join(_tokens(value_column)) == base:
                    spec.counts[value_column] = column
    if spec.values:
        numbers = pd.concat([parse_numbers(frame[c]) for c in list(spec.values)[:10]]).dropna()
        if len(numbers) and numbers.max() <= 1:
            spec.value_scale = "0-1"
        elif len(numbers) and numbers.max() <= 10:
            spec.value_scale = "0-10"
    if spec.period_start:
        spec.date_format = suggest_date_format(frame[spec.period_start])
    return spec


def wide_to_long(frame: pd.DataFrame, spec: WideSpec) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The long `area_scores` rows of a wide table: (rows as text cells, source position per row, notes).

    The level of a row is the most specific area column that is filled (beat, sector, district, area);
    a row with every area column blank is a city-wide figure. Without an end column, a period ends the
    day before the next period of the same area starts, else at the end of its month.
    """
    notes: list[str] = []
    if spec.period_start is None or spec.period_start not in frame:
        raise ValueError("choose the column holding the first day of each period")
    values = {c: v for c, v in spec.values.items() if c in frame}
    if not values:
        raise ValueError("choose at least one column holding a score (trust, safety, listen, respect)")
    n = len(frame)
    level = pd.Series("city", index=frame.index, dtype="object")
    area = pd.Series("city", index=frame.index, dtype="object")
    chosen = [
        (lv, spec.levels[lv])
        for lv in (*SPECIFIC_FIRST, "city")
        if lv in spec.levels and spec.levels[lv] in frame
    ]
    for lv, column in reversed(chosen):  # most specific last, so it wins
        if lv == "city":
            continue
        ids = to_text(frame[column])
        level = level.where(ids.isna(), lv)
        area = area.where(ids.isna(), ids)
    start = parse_date_column(frame[spec.period_start], spec.date_format)
    start_text = to_text(frame[spec.period_start])
    if spec.period_end and spec.period_end in frame:
        end = parse_date_column(frame[spec.period_end], spec.date_format)
        end_text = to_text(frame[spec.period_end])
    else:
        end = (start + pd.offsets.MonthEnd(0)).where(start.notna())
        end_text = end.dt.strftime("%Y-%m-%d")
        notes.append("no period end column: each period is taken to end at the end of its month")
    parts = []
    for column, (metric, group) in values.items():
        raw_value = to_text(frame[column])
        count_column = spec.counts.get(column) or spec.count
        part = pd.DataFrame(
            {
                "period_start": start.dt.strftime("%Y-%m-%d").where(start.notna(), start_text),
                "period_end": end.dt.strftime("%Y-%m-%d").where(end.notna(), end_text),
                "level": level,
                "area_id": area,
                "metric": metric,
                "value": rescale_values(raw_value, spec.value_scale)
                .map(_number_text, na_action="ignore")
                .where(parse_numbers(raw_value).notna(), raw_value),
                "n": to_text(frame[count_column]) if count_column and count_column in frame else None,
                "group": group or None,
                "_position": np.arange(n),
            }
        )
        parts.append(part[raw_value.notna().to_numpy()])
    long = pd.concat(parts, ignore_index=True).sort_values("_position", kind="stable").reset_index(drop=True)
    positions = long.pop("_position").to_numpy()
    if spec.value_scale != "0-100":
        notes.append(f"values rescaled to 0–100 from {VALUE_SCALES.get(spec.value_scale, spec.value_scale)}")
    blank = n - len(np.unique(positions))
    if blank:
        notes.append(f"{blank:,} row{'s' if blank != 1 else ''} had no score in any chosen column")
    return long, positions, notes


def _number_text(value: float) -> str:
    return f"{value:.6g}"


def level_choices() -> tuple[str, ...]:
    """Levels an area column can stand for."""
    return tuple(lv for lv in AREA_LEVELS if lv != "city")


def metric_choices() -> tuple[str, ...]:
    """Metrics a value column can hold."""
    return SCORE_METRICS
