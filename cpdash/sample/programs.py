"""How each program's events usually look in the sample city: season, weekday, time, crowd, cost, venue."""

from __future__ import annotations

from dataclasses import dataclass

SCHEDULED_PROGRAMS: tuple[str, ...] = ("Beat / community meeting", "National Night Out", "Youth mentorship")


@dataclass(frozen=True)
class Profile:
    """How one program's events usually look."""

    rate: float  # events per active area and year (not used by SCHEDULED_PROGRAMS)
    months: tuple[float, ...]  # relative weight of each month, January first
    weekdays: tuple[float, ...]  # relative weight of each weekday, Monday first
    hours: tuple[float, ...]  # usual start times
    duration: float  # hours
    attendance: float  # median attendance
    spread: float  # lognormal sigma of attendance
    youth: float  # usual share of attendees under 18
    officers: tuple[int, int]  # fewest and most officers
    cost: float  # median direct cost
    venues: tuple[str, ...]  # venue kinds it is held at


_FLAT = (1.0,) * 12
# rate, months, weekdays, hours, duration, attendance, spread, youth, officers, cost, venues
PROFILES: dict[str, Profile] = {
    "Coffee with a Cop": Profile(
        10, (0.8, 0.8, 0.9, 1, 1, 1, 1, 1, 1, 1, 0.9, 0.7), (1, 1, 1, 1, 1, 0.6, 0.1),
        (7.5, 8, 8.5, 9, 10), 2, 18, 0.45, 0.03, (2, 4), 110, ("cafe",),
    ),
    "Beat / community meeting": Profile(
        0, _FLAT, (0, 1, 1, 1, 0, 0, 0), (18.5, 19), 1.5, 22, 0.45, 0.02, (2, 3), 120,
        ("library", "church", "center", "school"),
    ),
    "Town hall": Profile(
        0.5, (0.6, 1, 1.2, 1, 1, 0.6, 0.4, 0.4, 1.2, 1.3, 1, 0.3), (0.6, 1, 1, 1, 0.2, 0.4, 0),
        (18, 18.5), 2, 85, 0.5, 0.05, (3, 6), 1200, ("school", "church", "center", "library"),
    ),
    "Youth mentorship": Profile(
        0, _FLAT, (1, 1, 1, 1, 0, 0, 0), (15.5, 16, 16.5), 2, 14, 0.35, 0.88, (1, 3), 220, ("center", "school"),
    ),
    "Youth sports and activities": Profile(
        3.5, (0.3, 0.3, 0.5, 0.8, 1.2, 2.5, 3, 2.5, 1, 0.8, 0.5, 0.3), (0.5, 0.5, 0.5, 0.5, 0.6, 3, 1),
        (10, 11, 13, 16), 3, 40, 0.5, 0.8, (2, 4), 600, ("park", "school", "center"),
    ),
    "Block party": Profile(
        4, (0, 0, 0, 0, 0.3, 2.5, 3.5, 3, 0.6, 0, 0, 0), (0.1, 0.1, 0.1, 0.1, 0.5, 4, 2),
        (12, 13, 14), 5, 140, 0.55, 0.35, (2, 5), 900, ("block",),
    ),
    "National Night Out": Profile(
        0, _FLAT, (0, 1, 0, 0, 0, 0, 0), (17, 17.5, 18), 4, 260, 0.55, 0.3, (4, 10), 2500,
        ("park", "block", "school"),
    ),
    "Neighbourhood watch": Profile(
        6, (0.8, 0.8, 1, 1, 1.1, 1.1, 1.1, 1.1, 1.1, 1, 1, 0.6), (1, 1, 1, 1, 0.2, 0.3, 0.1),
        (18.5, 19), 1.5, 12, 0.4, 0.0, (1, 2), 70, ("library", "church", "center", "block"),
    ),
    "Community clean-up": Profile(
        2, (0, 0, 0.3, 2.5, 3, 0.4, 0, 0, 1, 2.5, 0.8, 0), (0.1, 0.1, 0.1, 0.1, 0.1, 4, 1),
        (9, 10), 3, 30, 0.5, 0.25, (1, 3), 350, ("park", "block"),
    ),
    "Workshop / training": Profile(
        1, (1, 1.2, 1.2, 1, 0.8, 0.5, 0.4, 0.5, 1, 1.2, 1.2, 0.6), (0.6, 1, 1, 1, 0.3, 1, 0.1),
        (10, 13, 18, 18.5), 2.5, 16, 0.4, 0.05, (1, 2), 2400, ("library", "center", "school", "church"),
    ),
    "Faith and partner event": Profile(
        3.5, (0.8, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1.2, 1.5), (0.5, 0.5, 1, 0.5, 0.5, 1, 2),
        (8, 11, 12, 18), 2, 60, 0.5, 0.15, (1, 4), 300, ("church",),
    ),
    "Feedback project": Profile(
        0.7, (0.5, 0.8, 1, 1, 1.2, 1, 0.8, 0.8, 1.2, 1.2, 0.8, 0.3), (1, 1, 1, 1, 1, 0.8, 0.2),
        (11, 14, 18), 2, 20, 0.5, 0.1, (1, 3), 500, ("library", "center", "park", "cafe"),
    ),
    "Other": Profile(
        1, (1, 0.6, 0.6, 0.8, 0.8, 1, 1, 1, 0.8, 1, 1.5, 2), (1, 1, 1, 1, 1, 1, 0.5),
        (10, 12, 17), 3, 30, 0.6, 0.2, (2, 5), 400, ("center", "school", "park", "church"),
    ),
}  # fmt: skip
COST_SPREAD = 0.35  # lognormal sigma of event cost
