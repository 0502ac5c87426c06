"""How much a column's name looks like a contract column's: the same name, a usual other name, a name that
holds it as a word, or one spelt like it (camelCase split: `calendarId` reads as `calendar_id`)."""

from __future__ import annotations

import difflib
import re

from cpdash.data.validate import normalise_column_name
from cpdash.importing.upload import GEOMETRY_LAT, GEOMETRY_LON

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MIN_NAME_SCORE = 0.6
ID_WORDS = frozenset({"id", "num", "no", "nbr", "number", "code", "key", "uid"})
# A word in a column name that names an area level (for boundary files and wide tables).
LEVEL_WORDS: dict[str, str] = {
    "beat": "beat",
    "beats": "beat",
    "sector": "sector",
    "sectors": "sector",
    "district": "district",
    "districts": "district",
    "dist": "district",
    "precinct": "district",
    "precincts": "district",
    "area": "area",
    "areas": "area",
    "ward": "area",
    "wards": "area",
    "neighborhood": "area",
    "neighbourhood": "area",
    "neighborhoods": "area",
    "city": "city",
}


def column_key(name: object) -> str:
    """`Event ID` -> `event_id`, `calendarId` -> `calendar_id`."""
    return normalise_column_name(_CAMEL.sub("_", str(name)))


# Other names exports use for each contract column (compared after normalising: lower case, _ for spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "event_id": ("id", "event", "eventid", "uid", "event_number", "event_no"),
    "start": (
        "start_date",
        "date",
        "start_time",
        "starts",
        "begin",
        "event_date",
        "when",
        "dtstart",
        "date_time",
        "datetime",
    ),
    "program": ("programme", "type", "event_type", "category", "program_type"),
    "area_id": (
        "area",
        "district",
        "district_id",
        "neighborhood",
        "neighbourhood",
        "ward",
        "zone",
        "community_area",
        "precinct",
    ),
    "title": ("name", "event_name", "subject", "summary", "event_title", "event"),
    "description": ("details", "notes", "body", "event_description", "event_details", "eventdetails"),
    "beat": ("beat_number", "police_beat", "beat_id"),
    "address": ("location", "where", "venue", "place", "street", "location_address", "event_location"),
    "lat": ("latitude", "y", GEOMETRY_LAT.replace(" ", "_")),
    "lon": ("lng", "long", "longitude", "x", GEOMETRY_LON.replace(" ", "_")),
    "attendance": (
        "attendees",
        "attended",
        "people",
        "headcount",
        "participants",
        "total_attendance",
        "count",
    ),
    "youth_attendance": ("youth", "youth_attendees", "under_18", "youth_count"),
    "officers": ("officer_count", "number_of_officers", "officers_present"),
    "officer_hours": ("hours", "staff_hours"),
    "cost": ("spend", "expense", "expenses", "amount", "total_cost"),
    "partner": ("organisation", "organization", "host", "sponsor", "partner_organisation"),
    "response_id": ("id", "respondent_id", "respondent", "submission_id", "responseid"),
    "submitted": (
        "date",
        "timestamp",
        "submitted_at",
        "completed",
        "end_date",
        "recorded_date",
        "created",
        "date_submitted",
    ),
    "channel": ("source", "mode", "collector", "collected_by"),
    "trust": ("i_trust_the_police", "trust_score", "q_trust"),
    "safety": ("safe", "feel_safe", "safety_score", "q_safety"),
    "listen": ("listens", "police_listen", "q_listen"),
    "respect": ("respectful", "treat_with_respect", "q_respect"),
    "comment": ("comments", "feedback", "open_ended", "text", "anything_else", "remarks"),
    "language": ("lang", "survey_language"),
    "age_group": ("age", "age_range", "age_band"),
    "gender": ("sex",),
    "race_ethnicity": ("race", "ethnicity", "race_and_ethnicity"),
    "concern_id": ("id", "case_id", "ticket", "issue_id"),
    "raised": ("date", "reported", "created", "opened", "date_raised", "date_reported"),
    "topic": ("category", "issue", "type", "concern_type"),
    "summary": ("description", "concern", "details", "what_residents_said"),
    "source": ("raised_at", "origin", "channel"),
    "status": ("state",),
    "action": ("action_taken", "response", "resolution", "what_we_did"),
    "resolved": ("closed", "resolved_date", "date_resolved", "closed_date", "resolved_on"),
    "period_start": ("start_date", "start", "from", "week_start", "month"),
    "period_end": ("end_date", "end", "to", "week_end"),
    "metric": ("measure", "indicator", "question"),
    "value": ("score", "result", "percent", "pct"),
    "n": ("count", "responses", "respondents", "sample_size"),
    "group": ("breakdown", "demographic", "subgroup"),
    "name": (
        "area_name",
        "neighborhood",
        "neighbourhood",
        "label",
        "dist_label",
        "district_name",
        "beat_name",
    ),
    "parent_id": ("parent", "parent_area", "parent_area_id"),
    "population": ("pop", "residents", "total_population"),
    "participant_key": ("participant", "person_id", "attendee_id", "key", "participant_id"),
    "home_area_id": ("home_area", "residence_area", "home_district"),
}


def name_score(contract: str, source: str) -> tuple[float, str]:
    """How much a source column's name looks like a contract column's: (0..1, why)."""
    key = column_key(source)
    if key == contract or normalise_column_name(source) == contract:
        return 1.0, "same name"
    if key in SYNONYMS.get(contract, ()) or normalise_column_name(source) in SYNONYMS.get(contract, ()):
        return 0.9, f"'{source}' is a usual name for it"
    words = set(key.split("_"))
    if contract in words or set(contract.split("_")) <= words:
        return 0.75, f"'{source}' contains '{contract}'"
    held = [s for s in SYNONYMS.get(contract, ()) if "_" not in s and len(s) >= 4 and s in words]
    if held and len(words) > 1:
        return 0.65, f"'{source}' holds '{held[0]}'"
    ratio = max(
        [difflib.SequenceMatcher(None, key, contract).ratio()]
        + [difflib.SequenceMatcher(None, key, s).ratio() for s in SYNONYMS.get(contract, ())]
    )
    return (0.7 * ratio, f"'{source}' is spelt like it") if ratio >= 0.8 else (0.0, "")


def words_of(name: object) -> set[str]:
    """The words of a column name."""
    return set(column_key(name).split("_")) - {""}


def level_word(name: object) -> str | None:
    """The level a column or file name names (`dist_num` -> district, `beats` -> beat), or None."""
    for word in column_key(name).split("_"):
        if word in LEVEL_WORDS:
            return LEVEL_WORDS[word]
    return None
