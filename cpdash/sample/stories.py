"""The sizes of the synthetic sample city and the stories its data tells (see STORIES)."""

from __future__ import annotations

from dataclasses import dataclass

END_DATE = "2026-10-31"

YOUTH_PROGRAM_START = "2025-02-04"
YOUTH_TRUST = (45.0, 68.0)  # before, and 12 months after the youth program starts
FALL_START = "2025-11-01"
FALL_TRUST = (62.0, 40.0)  # before, and at the end of the span
FALL_FREEZE = "2026-01-31"  # after this, the falling-trust area resolves few concerns
NO_ENGAGEMENT_TRUST = 53.0
CITY_TRUST, CITY_TRUST_SD, CITY_TRUST_RANGE = 58.0, 3.0, (52.0, 64.0)

COSTLY_PROGRAM = "Workshop / training"


@dataclass(frozen=True)
class Scale:
    """Size of a generated city."""

    name: str
    areas: int
    start: str
    responses: int
    concerns: int
    events: int | None  # exact event count, or None to let the program rates decide
    areas_per_district: int
    nno_per_area: float  # National Night Out parties per area and year
    youth_program_share: float  # share of areas running a youth mentorship program from the start
    attendees: bool
    story_index: tuple[int, int, int]  # area index of youth_program, falling_trust, no_engagement
    median_population: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 8, "2024-11-01", 4_000, 400, None, 4, 1.0, 0.25, True, (2, 5, 7), 12_000),
    "demo": Scale("demo", 30, "2023-11-01", 22_000, 1_500, None, 6, 1.0, 0.2, True, (11, 18, 26), 12_000),
    "city": Scale(
        "city", 300, "2023-11-01", 1_000_000, 20_000, 100_000, 15, 3.0, 0.25, False, (112, 181, 263), 9_000
    ),
}
STORY_NAMES: dict[str, str] = {
    "youth_program": "Eastbrook",
    "falling_trust": "Harlow Junction",
    "no_engagement": "Cinder Flats",
}


def _story_ids(scale: Scale) -> dict[str, str]:
    """Area id of each story area at `scale`."""
    return {story: _area_id(i, scale.areas) for story, i in zip(STORY_NAMES, scale.story_index, strict=True)}


def _area_id(index: int, n_areas: int) -> str:
    """The id of the area at 0-based `index`: A01..A30, or A001..A300 for larger cities."""
    return f"A{index + 1:0{max(2, len(str(n_areas)))}d}"


def _stories(scale: Scale) -> dict[str, dict[str, object]]:
    """The stories the data of `scale` carries, with the areas and programs they are about."""
    ids = _story_ids(scale)
    return {
        "youth_program": {
            "area_id": ids["youth_program"],
            "name": STORY_NAMES["youth_program"],
            "program": "Youth mentorship",
            "start": YOUTH_PROGRAM_START,
            "trust_before": YOUTH_TRUST[0],
            "trust_after": YOUTH_TRUST[1],
        },
        "falling_trust": {
            "area_id": ids["falling_trust"],
            "name": STORY_NAMES["falling_trust"],
            "start": FALL_START,
            "trust_before": FALL_TRUST[0],
            "trust_after": FALL_TRUST[1],
        },
        "no_engagement": {"area_id": ids["no_engagement"], "name": STORY_NAMES["no_engagement"]},
        "costly_program": {"program": COSTLY_PROGRAM, "cost_per_attendee": 150},
    }


# The stories of the committed demo data (other scales: generate(...)["stories"]).
STORIES: dict[str, dict[str, object]] = _stories(SCALES["demo"])
