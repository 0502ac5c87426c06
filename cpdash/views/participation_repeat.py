"""The Participation page's repeat engagement (needs attendee records): participants, the share at two or
more events, returning participants by month and who attends by age against the residents.

Every figure is cpdash.metrics.repeat's and rests on participants (people), so it passes the small-numbers
policy: in the public view a figure on fewer than k participants is hidden with its n, and the age groups,
parts of the whole, are hidden as a set (secondary suppression); the staff view flags them ⚠.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.data.schema import AGE_GROUPS, AGE_SHARE_COLUMNS
from cpdash.metrics import repeat as rep
from cpdash.metrics.engagement import scope
from cpdash.metrics.gather import MONTH, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import AGES, PARTICIPANTS, REPEAT, people_by_age, people_over_period_hidden
from cpdash.metrics.suppression import EMPTY, FLAG, FLAGGED, HIDDEN, Policy
from cpdash.views import format as fmt
from cpdash.views.participation_text import count_words, month_name

REPEAT_MIN_EVENTS = rep.REPEAT_MIN_EVENTS
NOUN = "participants"
# What the section says when the data has no attendee records.
NO_ATTENDEES = (
    "Repeat engagement needs an **attendees** table: one row per person per event, with `event_id` and "
    "`participant_key` (a pseudonymous key, never a name), and optionally `age_group` and `home_area_id`. "
    "With it, this section shows the share of participants who come back, returning participants by month "
    "and who attends compared with the area's population. Sign-in sheets or registration exports can "
    "provide it."
)

# What the section says when the period's counts of people would give away a few by a shorter period.
OVER_PERIOD = (
    "The participants over the whole period are not shown: set beside a shorter period of whole months, they "
    "would give away fewer than {k} people who came only in the rest of it. Each month's are shown below."
)

OVER_PERIOD_REPEAT = (
    "{n} participants with attendee records. How many came to two or more events is not shown: set beside a "
    "shorter period of whole months, it would give away fewer than {k} people who came again only in the rest "
    "of it."
)
OVER_PERIOD_AGES = (
    "The age profile over the whole period is not shown: set beside a shorter period of whole months, it "
    "would give away fewer than {k} people of an age group who came only in the rest of it."
)


@dataclass(frozen=True)
class RepeatView:
    """Repeat engagement as shown: the figures in words (through the policy), and the monthly and age
    tables with what may not be shown blanked."""

    participants: str  # '4', '4 ⚠' or '—'
    share_repeat: str  # '25 %', '25 % ⚠' or '—'
    coverage: str  # '4 of 5' events with attendee records
    status: str  # the policy's verdict on the whole (cpdash.metrics.suppression)
    monthly: pd.DataFrame  # month, participants, returning, new, share_returning, note (NaN: hidden)
    ages: pd.DataFrame  # age_group, participants, share, population_share, difference, note (NaN: hidden)
    caption: str
    returning_caption: str
    age_caption: str
    empty: str | None

    @property
    def shown(self) -> bool:
        """True when the figures may be shown (staff view, or enough participants)."""
        return self.status not in (HIDDEN, EMPTY) and self.empty is None


def _notes(policy: Policy, n: np.ndarray) -> np.ndarray:
    """Per figure: '⚠ fewer than k participants' when it is flagged (staff view), else ''."""
    return np.where(policy.flagged(n), f"{FLAG} fewer than {policy.k} {NOUN}", "")


def population_age_shares(areas: pd.DataFrame) -> pd.Series:
    """Share of residents in each age group across `areas` (population and the share_* columns), weighted
    by population; NaN when no area has both."""
    columns = list(AGE_SHARE_COLUMNS.values())
    if not set(columns) <= set(areas.columns) or len(areas) == 0:
        return pd.Series(np.nan, index=list(AGE_GROUPS))
    shares = areas[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    population = areas["population"].to_numpy(dtype="float64", na_value=np.nan)
    usable = ~np.isnan(shares).any(axis=1) & (np.nan_to_num(population) > 0)
    if not usable.any():
        return pd.Series(np.nan, index=list(AGE_GROUPS))
    weighted = population[usable] @ shares[usable] / population[usable].sum()
    return pd.Series(weighted, index=list(AGE_GROUPS))


def returning_by_month(src: Source, f: Filters, policy: Policy, whole_shown: bool = True) -> pd.DataFrame:
    """Per month of the period: participants, returning (had been to an earlier event, any program or
    area), new and the returning share; in public, a month on fewer than k participants is hidden, and
    every month when the period's participants are; returning and new, the two parts of a month's
    participants, are hidden together when either rests on fewer than k."""
    table = rep.repeat_by(src, f, (MONTH,))
    people = table["participants"].to_numpy(dtype="float64")
    returning = table["returning"].to_numpy(dtype="float64")
    hidden = policy.hidden(people) | (policy.public and not whole_shown)
    split = hidden | np.array([policy.split_hidden(r, p) for r, p in zip(returning, people, strict=True)])

    def blank(values: object, where: np.ndarray = split) -> np.ndarray:
        return np.where(where, np.nan, np.asarray(values, dtype="float64"))

    return pd.DataFrame(
        {
            "month": pd.DatetimeIndex(table[MONTH]),
            "participants": blank(people, hidden),
            "returning": blank(returning),
            "new": blank(people - returning),
            "share_returning": blank(table["share_returning"]),
            "note": _notes(policy, people),
        }
    )


def age_profile(
    src: Source, f: Filters, policy: Policy, total: int, population: pd.Series, whole_shown: bool
) -> tuple[pd.DataFrame, float]:
    """Participants by age group beside the residents' shares (age_group, participants, share,
    population_share, difference: fractions), and the participants without an age group; the groups and
    the unknown ones are parts of the `total`, hidden as a set (NaN) in public."""
    counts, unknown, hide = people_by_age(src, f, policy, total, whole_shown)
    known = counts.sum()
    share = counts / known if known else np.full(len(counts), np.nan)
    out = pd.DataFrame(
        {
            "age_group": list(AGE_GROUPS),
            "participants": np.where(hide[:-1], np.nan, counts),
            "share": np.where(hide[:-1], np.nan, share),
            "population_share": population.reindex(list(AGE_GROUPS)).to_numpy(dtype="float64"),
        }
    )
    out["difference"] = out["share"] - out["population_share"]
    out["note"] = _notes(policy, counts)
    return out, (math.nan if hide[-1] else unknown)


def repeat_caption(r: rep.Repeat, status: str, policy: Policy) -> str:
    """The share of participants who came to two or more events."""
    if r.participants == 0:
        return "No attendee records in this period and selection."
    if status == HIDDEN:
        return f"Fewer than {policy.k} {NOUN} in this selection: figures are not shown."
    if policy.split_hidden(r.repeat, r.participants):
        return (
            f"{count_words(r.participants, 'participant')} with attendee records. How many came to "
            f"{REPEAT_MIN_EVENTS} or more events is not shown: they, or those who came once, are fewer than "
            f"{policy.k}."
        )
    flag = f" {FLAG} fewer than {policy.k} {NOUN}: treat with care." if status == FLAGGED else ""
    return (
        f"{r.share_repeat * 100:.0f} % of the {count_words(r.participants, 'participant')} with attendee records "
        f"came to {REPEAT_MIN_EVENTS} or more events in the period ({count_words(r.repeat, 'person', 'people')}).{flag}"
    )


def returning_caption(monthly: pd.DataFrame, k: int = 10) -> str:
    """The latest shown month's share of returning participants, against the first shown month."""
    active = monthly[(monthly["participants"] > 0) & monthly["share_returning"].notna()]
    if len(active) == 0:
        if (monthly["participants"].fillna(1) > 0).any():
            return f"Every month rests on too few {NOUN} to show."
        return "No attendee records in this period and selection."
    last = active.iloc[-1]
    text = (
        f"In {month_name(last['month'])}, {last['share_returning'] * 100:.0f} % of the "
        f"{count_words(int(last['participants']), 'participant')} had been to an earlier event"
    )
    if len(active) > 1:
        first = active.iloc[0]
        text += f" ({first['share_returning'] * 100:.0f} % in {month_name(first['month'])})"
    text += ". Returning means any earlier event in the data, whatever its program or area."
    if monthly["participants"].isna().any():
        text += f" Months with fewer than {k} {NOUN} are left blank (not zero)."
    if (monthly["participants"].notna() & monthly["returning"].isna()).any():
        text += f" Returning and new are left blank in months where either is fewer than {k}."
    return text


def age_caption(ages: pd.DataFrame, unknown: float, status: str, policy: Policy) -> str:
    """Which age groups are over- and under-represented among participants, against the residents."""
    if status == HIDDEN:
        return f"Fewer than {policy.k} {NOUN} in this selection: the age profile is not shown."
    counts = ages["participants"]
    if counts.fillna(0).sum() == 0 and counts.notna().all():
        if unknown:
            return (
                "The attendee records carry no age group: who attends cannot be compared with the residents."
            )
        return "No attendee records in this period and selection."
    parts = []
    shown = ages[ages["share"].notna()]
    if len(shown) and ages["population_share"].isna().all():
        top = shown.loc[shown["share"].idxmax()]
        parts.append(
            f"The largest group of participants is {top['age_group']} ({top['share'] * 100:.0f} %). The areas "
            "table has no population shares by age (share_* columns), so there is no comparison with residents."
        )
    elif shown["difference"].notna().any():
        over = shown.loc[shown["difference"].idxmax()]
        under = shown.loc[shown["difference"].idxmin()]
        parts.append(
            f"{over['age_group'].capitalize()} make up {over['share'] * 100:.0f} % of participants but "
            f"{over['population_share'] * 100:.0f} % of residents; {under['age_group']} are the most "
            f"under-represented ({under['share'] * 100:.0f} % against {under['population_share'] * 100:.0f} %)."
        )
    if counts.isna().any():
        parts.append(
            f"Age groups on fewer than {policy.k} {NOUN} are left blank, with others (the youngest first) when "
            "needed so that none can be worked out from the others."
        )
    if fmt.is_missing(unknown):
        parts.append("Participants without an age group are left out.")
    elif unknown:
        verb = "is" if unknown == 1 else "are"
        parts.append(f"{count_words(unknown, 'participant')} without an age group {verb} left out.")
    if status == FLAGGED:
        parts.append(f"{FLAG} fewer than {policy.k} {NOUN}: treat with care.")
    return " ".join(parts)


def repeat_engagement(
    src: Source, f: Filters, policy: Policy, events: int, areas: pd.DataFrame | None = None
) -> RepeatView | None:
    """Repeat engagement in the filters (`events`: events held in them; `areas`: the areas in scope with
    population and share_* columns, when the caller has them); None without attendee records."""
    r = rep.repeat(src, f)
    if r is None or not src.has("attendees.participant_key"):
        return None
    status = policy.status(r.participants)
    hidden = status == HIDDEN
    over = frozenset() if hidden else people_over_period_hidden(src, f, policy)
    over_period, ages_over_period, repeat_over_period = (x not in over for x in (PARTICIPANTS, AGES, REPEAT))
    mark = policy.mark(r.participants)
    monthly = returning_by_month(src, f, policy, not hidden)
    population = population_age_shares(scope(src, f) if areas is None else areas)
    ages, unknown = age_profile(src, f, policy, r.participants, population, not hidden and ages_over_period)
    blank = (
        hidden or not (over_period and repeat_over_period) or policy.split_hidden(r.repeat, r.participants)
    )
    empty = None
    if events == 0:
        empty = "No event in this period and selection: there is no attendance to follow."
    elif r.participants == 0:
        empty = "None of the events in this period and selection has attendee records."
    return RepeatView(
        participants="—" if hidden or not over_period else fmt.number(r.participants) + mark,
        share_repeat="—" if blank else fmt.percent(r.share_repeat * 100) + mark,
        coverage=f"{r.events_with_records:,} of {events:,}",
        status=status,
        monthly=monthly,
        ages=ages,
        caption=repeat_caption(r, status, policy)
        if over_period and repeat_over_period
        else (OVER_PERIOD if not over_period else OVER_PERIOD_REPEAT).format(
            k=policy.k, n=fmt.number(r.participants)
        ),
        returning_caption=returning_caption(monthly, policy.k),
        age_caption=age_caption(ages, unknown, status, policy)
        if ages_over_period
        else OVER_PERIOD_AGES.format(k=policy.k),
        empty=empty,
    )


def returning_download(r: RepeatView) -> pd.DataFrame:
    """Returning participants by month, for the CSV (blank where too few to show)."""
    m = r.monthly
    return pd.DataFrame(
        {
            "Month": [f"{x:%Y-%m}" for x in m["month"]],
            "Participants": m["participants"],
            "Returning": m["returning"],
            "New": m["new"],
            "Returning share (%)": (m["share_returning"] * 100).round(0),
            "Note": m["note"],
        }
    )


def age_download(r: RepeatView) -> pd.DataFrame:
    """Participants by age group beside the residents, for the CSV (blank where too few to show)."""
    a = r.ages
    return pd.DataFrame(
        {
            "Age group": a["age_group"],
            "Participants": a["participants"],
            "Share of participants (%)": (a["share"] * 100).round(1),
            "Share of residents (%)": (a["population_share"] * 100).round(1),
            "Difference (points)": (a["difference"] * 100).round(1),
            "Note": a["note"],
        }
    )
