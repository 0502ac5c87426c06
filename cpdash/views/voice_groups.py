"""Community voice, by group: a score for each age group, gender and race / ethnicity (cpdash.metrics.scores
from responses; published breakdown groups such as 'age: 18-24' as published), beside everyone's. The
groups add up to everyone, which is shown: in the public view they pass secondary suppression."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import published, scores
from cpdash.metrics.gather import AGE, DIMENSIONS, GENDER, RACE, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import voice
from cpdash.views.figures import PUBLISHED, RESPONSES, score_figure

LABELS = {AGE: "Age group", GENDER: "Gender", RACE: "Race / ethnicity"}
# Prefixes of published breakdown groups ("age: 18-24") for each dimension, lower case.
PUBLISHED_PREFIXES = {
    AGE: ("age", "age group", "age_group"),
    GENDER: ("gender", "sex"),
    RACE: ("race", "ethnicity", "race/ethnicity", "race_ethnicity", "race and ethnicity"),
}
SEPARATOR = ":"
EVERYONE = "Everyone"
LAST_GROUPS = ("other", "prefer not to say", "unknown", "not stated", "declined", "missing")
COLUMNS = ["group", "score", "n", "low", "high", "status"]
CHART_COLUMNS = ["label", "score", "low", "high", "flagged", "highlight"]
# A group of some areas, beside the same group of all areas and the areas' everyone, gives the group of the
# other areas by subtraction, and with it their small groups (everyone minus the other groups): the public
# view breaks the responses down by group for all areas together only.
CITY_ONLY = (
    "In the public view the breakdown by group is shown for all areas together only: for chosen areas, set "
    "beside the city's, it would give away small groups by subtraction. Clear the areas in the sidebar to "
    "see it."
)
NO_BREAKDOWN = (
    "No breakdown by age group, gender or race / ethnicity: the responses have no such columns (age_group, "
    "gender, race_ethnicity) and the published scores no breakdown groups (such as 'age: 18-24')."
)


def _published_groups(src: Source, dimension: str) -> tuple[str, ...]:
    """The published breakdown groups of one dimension ('age: 18-24', ...)."""
    prefixes = PUBLISHED_PREFIXES[dimension]
    return tuple(
        g
        for g in published.published_groups(src)
        if SEPARATOR in g and g.split(SEPARATOR, 1)[0].strip().lower() in prefixes
    )


def dimensions(src: Source, source: str | None) -> list[str]:
    """The demographic breakdowns the source has: age_group, gender, race_ethnicity."""
    if source == RESPONSES:
        return [d for d in DIMENSIONS if src.has(f"responses.{d}")]
    if source == PUBLISHED:
        return [d for d in DIMENSIONS if _published_groups(src, d)]
    return []


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


def breakdown(
    src: Source, f: Filters, policy: Policy, metric: str, dimension: str, source: str | None
) -> pd.DataFrame:
    """The score of each group of `dimension` over the filters: group, score, n, low, high, status (score,
    interval and n NaN where the policy hides them). Published: each group's published score by the rule
    of cpdash.metrics.published (the one area chosen, else the city)."""
    everyone = score_figure(src, metric, f, policy, source)
    whole_shown = everyone.status in (SHOWN, FLAGGED)
    if source == RESPONSES:
        table = scores.scores_by(src, metric, f, (dimension,))
        table = table[table["n"] > 0].rename(columns={dimension: "group"}).reset_index(drop=True)
        table["group"] = table["group"].astype("str")
        whole_n = everyone.raw_n
    elif source == PUBLISHED:
        rows = []
        for group in _published_groups(src, dimension):
            figure = published.published_score(src, metric, f, group)
            if figure is not None:
                label = group.split(SEPARATOR, 1)[1].strip()
                rows.append((label, figure.value, figure.n, np.nan, np.nan))
        table = pd.DataFrame(rows, columns=COLUMNS[:-1])
        whole_n = None  # published figures are not added up
    else:
        return pd.DataFrame(columns=COLUMNS)
    n = table["n"].to_numpy(dtype="float64")
    status = voice.part_status(policy, n, whole_n, whole_shown, table["group"].to_numpy(dtype=object))
    out = pd.DataFrame(
        {
            "group": table["group"].to_numpy(dtype=object),
            "score": voice.shown_values(table["score"].to_numpy(dtype="float64"), status),
            "n": voice.shown_n(table["n"].to_numpy(dtype="float64"), status),
            "low": voice.shown_values(table["low"].to_numpy(dtype="float64"), status),
            "high": voice.shown_values(table["high"].to_numpy(dtype="float64"), status),
            "status": status,
        },
        columns=COLUMNS,
    )
    return _in_group_order(out)


def chart_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The groups that may be shown, as dots: label with n (and ⚠), score, interval."""
    rows = table[table["score"].notna()]
    return pd.DataFrame(
        {
            "label": [
                voice.n_label(g, n, s)
                for g, n, s in zip(rows["group"], rows["n"], rows["status"], strict=True)
            ],
            "score": rows["score"].to_numpy(dtype="float64"),
            "low": rows["low"].to_numpy(dtype="float64"),
            "high": rows["high"].to_numpy(dtype="float64"),
            "flagged": (rows["status"] == FLAGGED).to_numpy(dtype=bool),
            "highlight": False,
        },
        columns=CHART_COLUMNS,
    )


def breakdown_table(tables: list[tuple[str, pd.DataFrame]], policy: Policy) -> pd.DataFrame:
    """The breakdowns as one table for a download: Breakdown, Group, Score, n, 95 % interval, Note."""
    notes = {
        FLAGGED: f"fewer than {policy.k} responses: treat with care",
        HIDDEN: f"fewer than {policy.k} responses: not shown",
        voice.SECONDARY: "not shown so that a smaller figure cannot be worked out",
    }
    rows = [
        (
            name,
            row.group,
            voice.rounded(row.score),
            row.n,
            voice.interval_text(row.low, row.high),
            notes.get(row.status, ""),
        )
        for name, table in tables
        for row in table.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["Breakdown", "Group", "Score", "n", "95 % interval", "Note"])


@dataclass(frozen=True)
class GroupChart:
    """One breakdown as a chart: its title, the groups drawn, and what is not shown."""

    dimension: str
    title: str
    rows: pd.DataFrame  # CHART_COLUMNS
    note: str


@dataclass(frozen=True)
class GroupsTab:
    """The By group tab: a chart per breakdown around everyone's score, a caption and the CSV."""

    empty: str
    caption: str
    everyone: float  # NaN when it may not be shown
    charts: list[GroupChart]
    table: pd.DataFrame


def groups_tab(src: Source, f: Filters, policy: Policy, metric: str | None, source: str | None) -> GroupsTab:
    """Everything the By group tab shows for one score and source (in the public view, for all areas only:
    see CITY_ONLY)."""
    found = dimensions(src, source) if metric is not None else []
    if not found:
        return GroupsTab(NO_BREAKDOWN, "", np.nan, [], pd.DataFrame())
    if policy.public and f.areas and source == RESPONSES:
        return GroupsTab(CITY_ONLY, "", np.nan, [], pd.DataFrame())
    label = scores.LABELS.get(metric, metric.capitalize())
    where = ", as published for the city (or the one area chosen)" if source == PUBLISHED else ""
    rule = (
        "not shown, nor are groups from which they could be worked out."
        if policy.public
        else ("flagged ⚠: their figures are unreliable.")
    )
    caption = (
        f"{label} for each group, in the period and areas chosen{where}. The dashed line is the score of "
        f"everyone in the selection. Groups with fewer than {policy.k} responses are {rule}"
    )
    tables = [(d, breakdown(src, f, policy, metric, d, source)) for d in found]
    charts = [
        GroupChart(
            d,
            f"{label} by {LABELS[d].lower()}",
            chart_rows(t),
            voice.hidden_note(t["status"].to_numpy(), policy, "groups"),
        )
        for d, t in tables
    ]
    everyone = score_figure(src, metric, f, policy, source).value
    return GroupsTab(
        "", caption, everyone, charts, breakdown_table([(LABELS[d], t) for d, t in tables], policy)
    )
