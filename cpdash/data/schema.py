"""The data contract: every table, its columns, their types, and the values they may take.

This module is the single source read by the loaders, the validation, the Data page's data
dictionary and the README. Change the contract here and everything else follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["id", "text", "category", "date", "datetime", "int", "float"]

PROGRAMS: tuple[str, ...] = (
    "Coffee with a Cop",
    "Beat / community meeting",
    "Town hall",
    "Youth mentorship",
    "Youth sports and activities",
    "Block party",
    "National Night Out",
    "Neighbourhood watch",
    "Community clean-up",
    "Workshop / training",
    "Faith and partner event",
    "Feedback project",
    "Other",
)

# Program families (the department's own programs each belong to one) and the built-in programs' family
# and map colour. The taxonomy is data: a department adds programs and title rules in `programs.json`
# beside its data (cpdash.data.programs); these are the defaults.
PROGRAM_FAMILIES: tuple[str, ...] = ("meetings", "youth", "outreach", "events", "services")
PROGRAM_FAMILY: dict[str, str] = {
    "Coffee with a Cop": "outreach",
    "Beat / community meeting": "meetings",
    "Town hall": "meetings",
    "Youth mentorship": "youth",
    "Youth sports and activities": "youth",
    "Block party": "events",
    "National Night Out": "events",
    "Neighbourhood watch": "outreach",
    "Community clean-up": "events",
    "Workshop / training": "services",
    "Faith and partner event": "outreach",
    "Feedback project": "services",
    "Other": "",
}
PROGRAM_COLOUR: dict[str, str] = dict(
    zip(
        PROGRAMS,
        (
            "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442",
            "#882255", "#44aa99", "#999933", "#aa4499", "#ddcc77", "#787878",
        ),
        strict=True,
    )
)  # fmt: skip

CONCERN_STATUSES: tuple[str, ...] = ("open", "in progress", "resolved", "declined")
AREA_LEVELS: tuple[str, ...] = ("city", "district", "area", "sector", "beat")
# The levels from coarsest to finest: city ⊃ areas ⊃ districts ⊃ sectors ⊃ beats (linked by parent_id).
AREA_HIERARCHY: tuple[str, ...] = ("city", "area", "district", "sector", "beat")
SCORE_METRICS: tuple[str, ...] = ("trust", "safety", "listen", "respect")
AGE_GROUPS: tuple[str, ...] = ("under 18", "18-24", "25-34", "35-49", "50-64", "65+")

# Population share columns an areas table may carry, one per age group (0 to 1).
AGE_SHARE_COLUMNS: dict[str, str] = {
    group: "share_" + group.replace("under ", "under_").replace("-", "_").replace("+", "_plus")
    for group in AGE_GROUPS
}


@dataclass(frozen=True)
class Column:
    """One column of a table in the data contract."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    public_text: bool = False  # free text that may come from the public: escape, redact

    @property
    def range_text(self) -> str:
        """Human-readable allowed values or range, or an empty string."""
        if self.allowed:
            return ", ".join(self.allowed)
        if self.min is not None and self.max is not None:
            return f"{self.min:g} to {self.max:g}"
        if self.min is not None:
            return f"at least {self.min:g}"
        return ""


@dataclass(frozen=True)
class Table:
    """One table of the data contract."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: str | None = None  # column whose values must be unique
    required: bool = False
    date_column: str | None = None  # the column the date filter applies to
    geojson: bool = False  # stored as a GeoJSON FeatureCollection (properties are the columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns every file of this table must have."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """All column names, in contract order."""
        return tuple(c.name for c in self.columns)


def _score(name: str, what: str) -> Column:
    return Column(name, "float", f"{what}, answered on 0 to 10", min=0, max=10)


EVENTS = Table(
    "events",
    "One row per engagement activity: a meeting, a Coffee with a Cop, a block party, a clean-up.",
    (
        Column("event_id", "id", "Unique identifier of the event", required=True),
        Column("start", "datetime", "When the event started (date or date and time)", required=True),
        Column("program", "category", "Community-policing program", required=True, allowed=PROGRAMS),
        Column(
            "area_id", "id", "Area the event took place in (an `area_id` of the areas table)", required=True
        ),
        Column("title", "text", "Title as published", public_text=True),
        Column("description", "text", "Longer description", public_text=True),
        Column("beat", "id", "Police beat"),
        Column("address", "text", "Street address or location as given", public_text=True),
        Column("lat", "float", "Latitude (WGS 84)", min=-90, max=90),
        Column("lon", "float", "Longitude (WGS 84)", min=-180, max=180),
        Column("attendance", "int", "People who attended (blank when not counted)", min=0, max=100_000),
        Column("youth_attendance", "int", "Attendees under 18 (at most `attendance`)", min=0, max=100_000),
        Column("officers", "int", "Officers taking part", min=0, max=10_000),
        Column("officer_hours", "float", "Officer hours spent, preparation included", min=0, max=100_000),
        Column("cost", "float", "Direct cost in the local currency", min=0, max=100_000_000),
        Column("partner", "text", "Partner organisation", public_text=True),
    ),
    key="event_id",
    required=True,
    date_column="start",
)

RESPONSES = Table(
    "responses",
    "Individual survey answers and comment cards.",
    (
        Column("response_id", "id", "Unique identifier of the response", required=True),
        Column("submitted", "datetime", "When the response was given", required=True),
        Column("area_id", "id", "Area the respondent lives in or answered about", required=True),
        Column("event_id", "id", "Event where the response was collected"),
        Column("channel", "category", "How it was collected (survey, comment card, online, ...)"),
        _score("trust", "I trust the police in my neighbourhood"),
        _score("safety", "I feel safe in my neighbourhood"),
        _score("listen", "The police listen to the concerns of people here"),
        _score("respect", "The police treat people here with respect"),
        Column("comment", "text", "Free-text comment", public_text=True),
        Column("language", "category", "Language of the response (e.g. en, es)"),
        Column("age_group", "category", "Age group of the respondent", allowed=AGE_GROUPS),
        Column("gender", "category", "Gender of the respondent, as self-described"),
        Column("race_ethnicity", "category", "Race or ethnicity of the respondent, as self-described"),
    ),
    key="response_id",
    date_column="submitted",
)

AREA_SCORES = Table(
    "area_scores",
    "Already-aggregated survey results, as published by survey vendors and open-data portals (long form).",
    (
        Column("period_start", "date", "First day of the period", required=True),
        Column("period_end", "date", "Last day of the period", required=True),
        Column("level", "category", "Geographic level of the figure", required=True, allowed=AREA_LEVELS),
        Column("area_id", "id", "Area the figure is for (blank or `city` for the whole city)", required=True),
        Column(
            "metric", "category", "What was measured (trust, safety, listen, respect, ...)", required=True
        ),
        Column("value", "float", "Published score on 0 to 100", required=True, min=0, max=100),
        Column("n", "int", "Responses behind the figure", min=0),
        Column("group", "category", 'Demographic breakdown, such as "age: 18-34" (blank for everyone)'),
    ),
    date_column="period_start",
)

CONCERNS = Table(
    "concerns",
    'Concerns residents raised, and what was done about them ("you said, we did").',
    (
        Column("concern_id", "id", "Unique identifier of the concern", required=True),
        Column("raised", "date", "When the concern was raised", required=True),
        Column("area_id", "id", "Area the concern is about", required=True),
        Column("topic", "category", "Topic (traffic and speeding, drugs, noise, ...)", required=True),
        Column("summary", "text", "What residents said", public_text=True),
        Column("source", "category", "Where it was raised (beat meeting, survey, ...)"),
        Column("status", "category", "Where it stands", allowed=CONCERN_STATUSES),
        Column("action", "text", "What was done"),
        Column("resolved", "date", "When it was resolved or declined"),
        Column("event_id", "id", "Event where it was raised"),
    ),
    key="concern_id",
    date_column="raised",
)

AREAS = Table(
    "areas",
    "Area boundaries (GeoJSON FeatureCollection; these are the feature properties).",
    (
        Column("area_id", "id", "Unique identifier of the area", required=True),
        Column("name", "text", "Name residents know the area by", required=True),
        Column("level", "category", "Geographic level", required=True, allowed=AREA_LEVELS),
        Column("parent_id", "id", "Area this one lies in"),
        Column("population", "int", "Residents", min=0, max=100_000_000),
        *(
            Column(col, "float", f"Share of residents aged {group}", min=0, max=1)
            for group, col in AGE_SHARE_COLUMNS.items()
        ),
    ),
    key="area_id",
    geojson=True,
)

ATTENDEES = Table(
    "attendees",
    "Who came to which event, by pseudonymous key (never a name).",
    (
        Column("event_id", "id", "Event attended", required=True),
        Column("participant_key", "id", "Pseudonymous participant key", required=True),
        Column("age_group", "category", "Age group of the participant", allowed=AGE_GROUPS),
        Column("home_area_id", "id", "Area the participant lives in"),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (EVENTS, RESPONSES, AREA_SCORES, CONCERNS, AREAS, ATTENDEES)}

# File endings the folder source reads, in order of preference.
FILE_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".xlsx", ".json", ".geojson")


def data_dictionary() -> list[dict[str, str]]:
    """One row per column of the contract, for the data dictionary and the README."""
    rows = []
    for table in TABLES.values():
        for c in table.columns:
            rows.append(
                {
                    "table": table.name,
                    "column": c.name,
                    "type": c.kind,
                    "required": "required" if c.required else "optional",
                    "allowed": c.range_text,
                    "description": c.description,
                }
            )
    return rows


# Other spellings of program names accepted in the `program` column (matched ignoring case and punctuation).
PROGRAM_ALIASES: dict[str, str] = {
    "beat meeting": "Beat / community meeting",
    "community meeting": "Beat / community meeting",
    "neighborhood watch": "Neighbourhood watch",
    "community cleanup": "Community clean-up",
    "clean up": "Community clean-up",
    "cleanup": "Community clean-up",
    "nno": "National Night Out",
    "workshop": "Workshop / training",
    "training": "Workshop / training",
    "youth sports": "Youth sports and activities",
    "mentorship": "Youth mentorship",
    "faith event": "Faith and partner event",
    "partner event": "Faith and partner event",
}


def with_programs(table: Table, programs: tuple[str, ...]) -> Table:
    """`table` whose `program` column allows `programs` (a department's taxonomy) instead of the built-in list."""
    if "program" not in table.names or tuple(programs) == PROGRAMS:
        return table
    columns = tuple(replace(c, allowed=tuple(programs)) if c.name == "program" else c for c in table.columns)
    return replace(table, columns=columns)
