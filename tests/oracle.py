"""Oracles: slow, readable pandas versions of the dashboard's figures, written straight from their definitions
(the README's "Metrics", and the docstrings of cpdash.metrics.*), independently of the engine's numpy code.
tests/test_engine.py checks the engine against them on random data sets.

They read the tables of a loaded data set (datetime64 dates, str ids, float64 numbers) and a
cpdash.metrics.periods.Filters. Shared conventions:

- A period is whole calendar days, both ends included (an event at 18:00 on the last day is in it); an end
  of None is open. Rows without a date are never in a period.
- `Filters.areas` keeps the rows whose area_id is one of them (none: every row, a blank area included);
  `Filters.programs` keeps the events of those programs and the attendee records of those events, and never
  touches answers, comments or concerns.
- A table `..._by(..., by)` has one row per group of `by` that has rows (a row whose key is missing counts
  in the totals, in no group); `..._figures(empty rows)` are the figures of a group without rows.
- A response's or comment's program is the program of its event (none without a known event).

Only the t quantile comes from the engine (cpdash.metrics.scores.t975: there is no scipy here).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cpdash.metrics.periods import Filters
from cpdash.metrics.scores import t975

NAN = math.nan
PER_POPULATION = 10_000  # attendance per this many residents
POSITIVE, NEGATIVE = 0.05, -0.05  # sentiment thresholds, both inclusive
RESOLVE_WITHIN_DAYS = 90
STATUSES = ("open", "in progress", "resolved", "declined")
CITY = "city"

# --- rows of a period, areas and programs ------------------------------------------------------------


def days(values: pd.Series) -> pd.Series:
    """The calendar day (midnight) of each datetime; NaT stays NaT."""
    return pd.to_datetime(values).dt.normalize()


def in_period(values: pd.Series, f: Filters) -> pd.Series:
    """True for the datetimes that fall on a day of the filters' period (NaT never does)."""
    day = days(values)
    keep = day.notna()
    if f.start is not None:
        keep &= day >= pd.Timestamp(f.start)
    if f.end is not None:
        keep &= day <= pd.Timestamp(f.end)
    return keep.fillna(False).astype(bool)


def in_areas(frame: pd.DataFrame, f: Filters) -> pd.Series:
    """True for the rows in the filters' areas (every row when they name none)."""
    if not f.areas:
        return pd.Series(True, index=frame.index)
    return frame["area_id"].isin(list(f.areas)).fillna(False).astype(bool)


def in_programs(programs: pd.Series, f: Filters) -> pd.Series:
    """True for the rows of the filters' programs (every row when they name none)."""
    if not f.programs:
        return pd.Series(True, index=programs.index)
    return programs.isin(list(f.programs)).fillna(False).astype(bool)


def month_of(values: pd.Series) -> pd.Series:
    """The first day of each datetime's calendar month."""
    return days(values).dt.to_period("M").dt.to_timestamp()


def program_of_event(event_ids: pd.Series, events: pd.DataFrame | None) -> pd.Series:
    """The program of each row's event (NaN when the row names no known event)."""
    if events is None or len(events) == 0:
        return pd.Series(np.nan, index=event_ids.index, dtype="object")
    programs = dict(zip(events["event_id"], events["program"], strict=True))
    return event_ids.map(lambda event: programs.get(event, np.nan) if isinstance(event, str) else np.nan)


def grouped(rows: pd.DataFrame, by: Sequence[str], figures: Callable[[pd.DataFrame], dict]) -> pd.DataFrame:
    """`figures` of every group of `rows` by the `by` columns (rows with a missing key left out); with no
    `by`, one row: the figures of all rows."""
    if not by:
        return pd.DataFrame([figures(rows)])
    columns = [*by, *figures(rows.iloc[0:0]).keys()]
    if any(key not in rows for key in by):  # a key the rows do not have: no group
        return pd.DataFrame({c: [] for c in columns})
    out = []
    for key, part in rows.groupby(list(by), dropna=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append({**dict(zip(by, key, strict=True)), **figures(part)})
    return pd.DataFrame(out, columns=columns)


# --- scores ------------------------------------------------------------------------------------------


def score_figures(answers: pd.Series) -> dict:
    """Mean of the 0-10 answers x 10, their number n, and the t-based 95 % interval clipped to 0-100."""
    given = answers.dropna()
    n = len(given)
    value = given.mean() * 10 if n > 0 else NAN
    low = high = NAN
    if n >= 2:
        half = float(t975(n - 1)[0]) * given.std(ddof=1) * 10 / math.sqrt(n)
        low = min(max(value - half, 0.0), 100.0)
        high = min(max(value + half, 0.0), 100.0)
    return {"score": value, "n": n, "low": low, "high": high}


def answer_rows(responses: pd.DataFrame | None, events: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """The responses in the filters' period and areas, with their month and program."""
    if responses is None or len(responses) == 0:
        return pd.DataFrame({"area_id": [], "month": [], "program": []})
    rows = responses[in_period(responses["submitted"], f) & in_areas(responses, f)]
    program = program_of_event(rows["event_id"], events) if "event_id" in rows else np.nan
    return rows.assign(month=month_of(rows["submitted"]), program=program)


def scores_by(
    responses: pd.DataFrame | None, events: pd.DataFrame | None, metric: str, f: Filters, by: Sequence[str]
) -> pd.DataFrame:
    """The score of `metric` per group of `by` (one row for no `by`)."""
    rows = answer_rows(responses, events, f)
    answers = rows[metric] if metric in rows else pd.Series(np.nan, index=rows.index)
    return grouped(rows.assign(_answer=answers), by, lambda part: score_figures(part["_answer"]))


# --- comment sentiment --------------------------------------------------------------------------------


def sentiment_figures(compound: pd.Series) -> dict:
    """Of the comments, the scored ones (n) and the shares in % of positive (>= 0.05), negative (<= -0.05)
    and neutral comments among them; net = % positive - % negative. NaN scores are counted, not scored."""
    scored = compound.dropna()
    n = len(scored)
    if n == 0:
        return {
            "net": NAN,
            "positive": NAN,
            "negative": NAN,
            "neutral": NAN,
            "n": 0,
            "comments": len(compound),
        }
    positive = (scored >= POSITIVE).sum() / n * 100
    negative = (scored <= NEGATIVE).sum() / n * 100
    neutral = ((scored > NEGATIVE) & (scored < POSITIVE)).sum() / n * 100
    return {
        "net": positive - negative,
        "positive": positive,
        "negative": negative,
        "neutral": neutral,
        "n": n,
        "comments": len(compound),
    }


def comment_rows(responses: pd.DataFrame | None, events: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """The comments (responses whose comment is not blank) in the filters' period and areas."""
    rows = answer_rows(responses, events, f)
    if "comment" not in rows:
        return rows.iloc[0:0].assign(sentiment=pd.Series(dtype="float64"))
    text = rows["comment"].fillna("").astype("str").str.strip()
    rows = rows[text != ""]
    if "sentiment" not in rows:
        rows = rows.assign(sentiment=np.nan)
    return rows


def net_by(
    responses: pd.DataFrame | None, events: pd.DataFrame | None, f: Filters, by: Sequence[str]
) -> pd.DataFrame:
    """Net sentiment per group of `by` (one row for no `by`)."""
    rows = comment_rows(responses, events, f)
    return grouped(rows, by, lambda part: sentiment_figures(part["sentiment"]))


# --- engagement --------------------------------------------------------------------------------------


def engagement_figures(events: pd.DataFrame) -> dict:
    """Events and their figures. A total is the sum over the events that have the figure: 0 when there is
    no event, NaN when no event has it. Youth share and cost per attendee use only the events that have both
    figures (youth: with an attendance above 0), NaN when those have no attendee."""

    def column(name: str) -> pd.Series:
        return events[name] if name in events else pd.Series(np.nan, index=events.index, dtype="float64")

    attendance, youth = column("attendance"), column("youth_attendance")
    hours, cost = column("officer_hours"), column("cost")

    def total(values: pd.Series) -> float:
        if len(events) == 0:
            return 0.0
        return float(values.sum()) if values.notna().any() else NAN

    def ratio(num: pd.Series, den: pd.Series) -> float:
        return float(num.sum() / den.sum()) if den.sum() > 0 else NAN

    both_youth = attendance.notna() & youth.notna() & (attendance > 0)
    both_cost = attendance.notna() & cost.notna()
    return {
        "events": len(events),
        "attendance": total(attendance),
        "events_with_attendance": int(attendance.notna().sum()),
        "events_without_attendance": int(attendance.isna().sum()),
        "youth_attendance": total(youth),
        "youth_share": ratio(youth[both_youth], attendance[both_youth]),
        "officer_hours": total(hours),
        "cost": total(cost),
        "cost_per_attendee": ratio(cost[both_cost], attendance[both_cost]),
    }


def event_rows(events: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """The events in the filters' period, areas and programs, with their month."""
    if events is None or len(events) == 0:
        return pd.DataFrame({"area_id": [], "program": [], "month": []})
    keep = in_period(events["start"], f) & in_areas(events, f) & in_programs(events["program"], f)
    rows = events[keep]
    return rows.assign(month=month_of(rows["start"]))


def engagement_by(events: pd.DataFrame | None, f: Filters, by: Sequence[str]) -> pd.DataFrame:
    """Engagement per group of `by` (one row for no `by`)."""
    return grouped(event_rows(events, f), by, engagement_figures)


def areas_in_scope(events: pd.DataFrame | None, areas: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """The areas engagement is about, one row each sorted by id (area_id, name, population): the chosen
    ones (an id the areas table lacks kept, named by its id); else the areas at the levels of the areas any
    event (at any time) is recorded in; else, when that cannot be told, every area."""
    table = areas if areas is not None else pd.DataFrame({"area_id": []})
    table = table.drop_duplicates("area_id")
    if f.areas:
        chosen = pd.DataFrame({"area_id": list(dict.fromkeys(f.areas))})
        table = chosen.merge(table, on="area_id", how="left")
    elif "level" in table and events is not None and len(events):
        levels = set(table.loc[table["area_id"].isin(set(events["area_id"].dropna())), "level"].dropna())
        if levels:
            table = table[table["level"].isin(levels)]
    name = table["name"] if "name" in table else pd.Series(np.nan, index=table.index)
    population = table["population"] if "population" in table else pd.Series(np.nan, index=table.index)
    out = pd.DataFrame(
        {
            "area_id": table["area_id"].astype("str"),
            "name": name.fillna(table["area_id"]).astype("str"),
            "population": pd.to_numeric(population).astype("float64"),
        }
    )
    return out.sort_values("area_id").reset_index(drop=True)


def engagement_by_area(events: pd.DataFrame | None, areas: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """Engagement per area in scope (those without an event as zero rows), with name, population and
    attendance and events per 10,000 residents (NaN where the population is unknown or 0)."""
    chosen = event_rows(events, f)
    out = []
    for area in areas_in_scope(events, areas, f).to_dict("records"):
        figures = engagement_figures(chosen[chosen["area_id"] == area["area_id"]])
        population = area["population"] if area["population"] > 0 else NAN
        out.append(
            {
                **area,
                **figures,
                "attendance_per_10k": figures["attendance"] / population * PER_POPULATION,
                "events_per_10k": figures["events"] / population * PER_POPULATION,
            }
        )
    return pd.DataFrame(out)


def engagement_total(events: pd.DataFrame | None, areas: pd.DataFrame | None, f: Filters) -> dict:
    """Engagement over the filters: the figures of every event they select; the areas in scope, their known
    population and attendance per 10,000 residents (the attendance at the events in areas of known
    population, by the rule of totals, over that population); the areas in scope without an event."""
    chosen = event_rows(events, f)
    scope = areas_in_scope(events, areas, f)
    known = scope[scope["population"].notna()]
    population = float(known["population"].sum()) if len(known) else NAN
    attendance_known = engagement_figures(chosen[chosen["area_id"].isin(set(known["area_id"]))])["attendance"]
    per_10k = attendance_known / population * PER_POPULATION if population > 0 else NAN
    with_event = set(chosen["area_id"].dropna())
    without = tuple(a for a in scope["area_id"] if a not in with_event)
    return {
        **engagement_figures(chosen),
        "population": population,
        "areas_without_population": int(scope["population"].isna().sum()),
        "attendance_per_10k": per_10k,
        "areas_in_scope": len(scope),
        "areas_without_event": without,
        "share_areas_without_event": len(without) / len(scope) if len(scope) else NAN,
    }


# --- follow-through -----------------------------------------------------------------------------------


def concern_flags(concerns: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """Per concern in the filters' areas raised by the end of the period: what it counts as (cpdash.metrics.
    follow_through's docstring), its topic and area, and its days to resolve (raised to resolved date)."""
    if concerns is None or len(concerns) == 0:
        return pd.DataFrame({"area_id": [], "topic": [], "days": [], "resolved": []})
    rows = concerns[in_areas(concerns, f)]
    raised = days(rows["raised"])
    end = pd.Timestamp(f.end) if f.end is not None else pd.Timestamp.max.normalize()
    rows, raised = rows[raised.notna() & (raised <= end)], raised[raised.notna() & (raised <= end)]
    resolved_on = days(rows["resolved"]) if "resolved" in rows else pd.Series(pd.NaT, index=rows.index)
    status = (
        rows["status"].str.strip().str.lower() if "status" in rows else pd.Series(np.nan, index=rows.index)
    )
    status = status.where(status.isin(STATUSES))  # another word is no known status
    has_date = resolved_on.notna()
    date_by_end = has_date & (resolved_on <= end)
    date_in_period = date_by_end & in_period(resolved_on, f)
    closed_status = status.isin(["resolved", "declined"])
    closed_by_end = (closed_status & (~has_date | date_by_end)) | (status.isna() & date_by_end)
    took = (resolved_on - raised).dt.days
    eligible = in_period(raised, f) & (raised + pd.Timedelta(days=RESOLVE_WITHIN_DAYS) <= end)
    open_at_end = ~closed_by_end
    return pd.DataFrame(
        {
            "area_id": rows["area_id"],
            "topic": rows.get("topic", np.nan),
            "raised": in_period(raised, f),
            "resolved": (status == "resolved") & date_in_period,
            "declined": (status == "declined") & date_in_period,
            "open_at_end": open_at_end,
            "in_progress_at_end": open_at_end & (status == "in progress"),
            "missing_resolved_date": closed_status & ~has_date,
            "resolved_within_90": eligible
            & (status == "resolved")
            & has_date
            & (took <= RESOLVE_WITHIN_DAYS),
            "eligible_90": eligible,
            "days": took.astype("float64"),
        },
        index=rows.index,
    )


COUNTS = (
    "raised",
    "resolved",
    "declined",
    "open_at_end",
    "in_progress_at_end",
    "missing_resolved_date",
    "resolved_within_90",
    "eligible_90",
)


def follow_through_figures(flags: pd.DataFrame) -> dict:
    """The counts, the median days to resolve of the concerns resolved in the period, and the share of the
    eligible ones resolved within 90 days (NaN when none is eligible)."""
    out = {name: int(flags[name].astype(bool).sum()) if len(flags) else 0 for name in COUNTS}
    took = flags.loc[flags["resolved"].astype(bool), "days"] if len(flags) else pd.Series([], dtype="float64")
    out["median_days_to_resolve"] = float(took.median()) if len(took) else NAN
    eligible = out["eligible_90"]
    out["share_resolved_within_90"] = out["resolved_within_90"] / eligible if eligible else NAN
    return out


def follow_through_by(concerns: pd.DataFrame | None, f: Filters, by: Sequence[str]) -> pd.DataFrame:
    """Follow-through per group of `by` (one row for no `by`; groups with nothing to count left out)."""
    table = grouped(concern_flags(concerns, f), by, follow_through_figures)
    if by:
        table = table[table[list(COUNTS)].sum(axis=1) > 0].reset_index(drop=True)
    return table


# --- repeat engagement --------------------------------------------------------------------------------


def attendance_records(events: pd.DataFrame | None, attendees: pd.DataFrame | None) -> pd.DataFrame:
    """Who came to which known event, once per (event, participant): the event's day, month, area and
    program, and the participant's age group (as recorded on any of their records)."""
    columns = ["event_id", "participant_key", "day", "month", "area_id", "program", "age_group"]
    if events is None or attendees is None or len(events) == 0 or len(attendees) == 0:
        return pd.DataFrame({c: [] for c in columns}).astype(
            {"day": "datetime64[ns]", "month": "datetime64[ns]"}
        )
    records = attendees.dropna(subset=["event_id", "participant_key"])
    records = records.drop_duplicates(["event_id", "participant_key"])
    about = events[["event_id", "start", "area_id", "program"]]
    records = records.merge(about, on="event_id", how="inner")
    ages = records.get("age_group", pd.Series(np.nan, index=records.index))
    age_of = ages.groupby(records["participant_key"]).agg(
        lambda a: a.dropna().iloc[0] if a.notna().any() else NAN
    )
    return records.assign(
        day=days(records["start"]),
        month=month_of(records["start"]),
        age_group=records["participant_key"].map(age_of),
    )[columns]


def repeat_by(
    events: pd.DataFrame | None, attendees: pd.DataFrame | None, f: Filters, by: Sequence[str]
) -> pd.DataFrame:
    """Per group of `by`: attendee records of the events the filters select, distinct participants, those
    at 2 or more of those events, and those returning: whose first event in the data (any event) came
    before the group's month (grouped by month) or before the period (else); and the share at 2 or more."""
    records = attendance_records(events, attendees)
    first = records.groupby("participant_key")["day"].min()
    keep = in_period(records["day"], f) & in_areas(records, f) & in_programs(records["program"], f)
    chosen = records[keep]

    def figures(part: pd.DataFrame) -> dict:
        per_person = part.groupby("participant_key").size()
        if "month" in by and len(part):
            since = part["month"].iloc[0]
        else:
            since = pd.Timestamp(f.start) if f.start is not None else None
        returning = 0 if since is None else int((first[per_person.index] < since).sum())
        people = len(per_person)
        return {
            "records": len(part),
            "participants": people,
            "repeat": int((per_person >= 2).sum()),
            "returning": returning,
            "share_repeat": (per_person >= 2).sum() / people if people else NAN,
        }

    return grouped(chosen, by, figures)


# --- published scores ----------------------------------------------------------------------------------


def published_figures(
    area_scores: pd.DataFrame | None, metric: str, group: str | None = None
) -> pd.DataFrame:
    """The published figures of `metric` for everyone (group None) or one breakdown group that have dates
    and a value: start, end (days), days (length), area_id ("city" when blank), city (the city's own: level
    city, or area blank or "city"), value, n (NaN when not published). The rule reads these."""
    columns = ["start", "end", "days", "area_id", "city", "value", "n"]
    if area_scores is None or len(area_scores) == 0:
        empty = pd.DataFrame({c: [] for c in columns})
        return empty.astype(
            {"start": "datetime64[ns]", "end": "datetime64[ns]", "area_id": "str", "city": bool}
        )
    table = area_scores

    def text(name: str) -> pd.Series:
        """The column's text without surrounding blanks; NA when blank or absent."""
        if name not in table:
            return pd.Series(pd.NA, index=table.index, dtype="string")
        values = table[name].astype("string").str.strip()
        return values.mask(values == "")

    metric_of, group_of, area, level = text("metric"), text("group"), text("area_id"), text("level")
    keep = metric_of.str.lower() == metric
    keep &= group_of.isna() if group is None else group_of == group
    start, end = days(table["period_start"]), days(table["period_end"])
    keep &= start.notna() & end.notna() & table["value"].notna()
    keep = keep.fillna(False).astype(bool)
    city = (level.str.lower() == CITY).fillna(False) | area.isna() | (area.str.lower() == CITY).fillna(False)
    n = table["n"] if "n" in table else pd.Series(np.nan, index=table.index)
    out = pd.DataFrame(
        {
            "start": start,
            "end": end,
            "days": (end - start).dt.days + 1,
            "area_id": area.fillna(CITY).astype("str"),
            "city": city.astype(bool),
            "value": table["value"].astype("float64"),
            "n": n.astype("float64"),
        }
    )
    return out[keep].reset_index(drop=True)


def ending_within(figures: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The figures whose period ends within the filters' period."""
    return figures[in_period(figures["end"], f)]


def latest(figures: pd.DataFrame) -> pd.DataFrame:
    """The figures that win the rule, all of them when several tie completely: the latest end, then the
    longest period, then the largest n (an unpublished n is below every published one)."""
    if len(figures) == 0:
        return figures
    best = figures[figures["end"] == figures["end"].max()]
    best = best[best["days"] == best["days"].max()]
    n = best["n"].fillna(-math.inf)
    return best[n == n.max()]


def published_candidates(figures: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Of the `published_figures`, those the published score for the filters may be (none when there is
    none): among the city's (no area chosen) or the one chosen area's ending within the period, the latest
    (`latest`). Several chosen areas have no published score."""
    if len(f.areas) > 1:
        return figures.iloc[0:0]
    figures = ending_within(figures, f)
    mine = figures["area_id"] == f.areas[0] if f.areas else figures["city"]
    return latest(figures[mine])


def published_by_area_candidates(figures: pd.DataFrame, f: Filters) -> dict[str, pd.DataFrame]:
    """Of the `published_figures`, per area (the city left out; only the chosen areas when some are) those
    its published score for the period may be."""
    figures = ending_within(figures, f)
    figures = figures[~figures["city"]]
    if f.areas:
        figures = figures[figures["area_id"].isin(list(f.areas))]
    return {area: latest(part) for area, part in figures.groupby("area_id")}


def cadence(days_long: int) -> str:
    """The name of a period's cadence by its length in days."""
    names = [(7, 7, "weekly"), (14, 14, "fortnightly"), (28, 31, "monthly"), (89, 92, "quarterly")]
    names += [(181, 184, "half-yearly"), (365, 366, "yearly")]
    for low, high, name in names:
        if low <= days_long <= high:
            return name
    return f"{days_long}-day"


def published_series_candidates(
    figures: pd.DataFrame, f: Filters, area: str | None = None
) -> dict[tuple, pd.DataFrame]:
    """Of the `published_figures`, those of one area (None: the city) ending within the period, per
    (cadence, start, end): the figures (duplicates of one period) the series' point may be."""
    figures = ending_within(figures, f)
    figures = figures[figures["area_id"] == area] if area is not None else figures[figures["city"]]
    figures = figures.assign(cadence=[cadence(int(d)) for d in figures["days"]])
    return {key: part for key, part in figures.groupby(["cadence", "start", "end"])}
