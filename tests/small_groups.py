"""A data set built for the public view's promise: many areas, groups and programs rest on fewer than k
responses, and every such figure has a value no shown figure can have (a canary).

Six big areas (about fifty responses each in 2025, answers of 4 to 6: scores 40 to 60, comments balanced
positive / negative / neutral: net sentiment 0) and two small ones: "Quill Cove" (3 responses) and "Tern
Point" (4), whose people answer 9.7 to every question (score 97) and comment warmly (net +67 and +50, 67 %
and 75 % positive). Three more groups under k inside big areas answer 9.7 too: two people who say they are
"nonbinary", three "under 18", one "Pacific Islander". A youth program has three participants, two of whom
came twice (67 % repeat). Published scores give Quill Cove 97 on n = 3. Counts are chosen so that no shown
figure is 97, 67, 75 or +50: attendance 20 an event, populations 10,000, concerns few.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import feature, square

K = 10
BIG = {f"A{i}": name for i, name in enumerate(["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"], start=1)}
SMALL = {"S1": "Quill Cove", "S2": "Tern Point"}
AREAS = {**BIG, **SMALL}
CANARY_ANSWER = 9.7
POSITIVE = "The officers were very helpful and kind, great job."
NEGATIVE = "Terrible response, the officers were rude and awful."
NEUTRAL = "I saw a patrol car parked on the corner on Tuesday."
SMALL_PROGRAM = "Youth mentorship"
PROGRAMS = ("Coffee with a Cop", "Beat / community meeting", "Block party")
AGES = ("18-24", "25-34", "35-49", "50-64", "65+")
RACES = ("White", "Black", "Hispanic or Latino", "Asian")
# What a leaked figure looks like: a score of 97 (mean answer 9.7), a net sentiment of +67 or +50, a share
# of 67 % or 75 % (66.67 and 75 in chart data).
CANARIES = (
    r"(?<![\w.,\-/])97(?:\.0+)?(?![\w.]*\d)",
    r"(?<![\w.,])9\.7(?!\d)",
    r"\+\s?67\b",
    r"\+\s?50\b",
    r"(?<![\w.,])66\.6\d*",
    r"(?<![\w.,])67\s?%",
    r"(?<![\w.,])75\s?%",
)


def _answers(value: float) -> dict[str, float]:
    return {metric: value for metric in ("trust", "safety", "listen", "respect")}


def _response(i: int, area: str, day: pd.Timestamp, answer: float, comment: str, **who: str) -> dict:
    return {
        "response_id": f"R{i:05d}",
        "submitted": f"{day:%Y-%m-%d} 10:00",
        "area_id": area,
        **{m: f"{v:g}" for m, v in _answers(answer).items()},
        "comment": comment,
        "language": "en" if comment else "",
        "age_group": who.get("age", ""),
        "gender": who.get("gender", ""),
        "race_ethnicity": who.get("race", ""),
    }


def responses() -> list[dict]:
    """About fifty balanced responses in each big area, three and four warm ones in the small ones, and
    the small groups inside big areas."""
    rows: list[dict] = []
    for a, area in enumerate(BIG):
        for month in range(1, 13):
            for j in range(4):
                i = len(rows)
                answer = 4 + (j + a + month) % 3  # 4, 5 or 6
                comment = (POSITIVE, NEGATIVE, NEUTRAL, "")[j]
                day = pd.Timestamp(2025, month, 3 + 5 * j)
                who = {
                    "age": AGES[i % len(AGES)],
                    "gender": ("woman", "man")[i % 2],
                    "race": RACES[i % len(RACES)],
                }
                rows.append(_response(i, area, day, answer, comment, **who))
    march = pd.Timestamp(2025, 3, 14)
    for comment in (POSITIVE, POSITIVE, NEUTRAL):
        rows.append(_response(len(rows), "S1", march, CANARY_ANSWER, comment))
    for comment in (POSITIVE, POSITIVE, POSITIVE, NEGATIVE):
        rows.append(_response(len(rows), "S2", march, CANARY_ANSWER, comment))
    for _ in range(2):  # one small group a month, so that no month of the city is mostly canaries
        rows.append(
            _response(len(rows), "A1", pd.Timestamp(2025, 4, 14), CANARY_ANSWER, "", gender="nonbinary")
        )
    for _ in range(3):
        rows.append(_response(len(rows), "A2", pd.Timestamp(2025, 5, 14), CANARY_ANSWER, "", age="under 18"))
    rows.append(
        _response(len(rows), "A3", pd.Timestamp(2025, 6, 14), CANARY_ANSWER, "", race="Pacific Islander")
    )
    return rows


def events() -> list[dict]:
    """Two events a month in each big area, two in each small area, two of the small youth program."""
    rows = []

    def add(area: str, day: pd.Timestamp, program: str) -> None:
        rows.append(
            {
                "event_id": f"EV{len(rows):04d}",
                "start": f"{day:%Y-%m-%d} 18:00",
                "program": program,
                "area_id": area,
                "title": f"{program} in {AREAS[area]}",
                "attendance": "20",
                "youth_attendance": "5",
                "officer_hours": "2",
                "cost": "100",
            }
        )

    for a, area in enumerate(BIG):
        for month in range(1, 13):
            for j in range(2):
                add(area, pd.Timestamp(2025, month, 5 + 10 * j), PROGRAMS[(a + month + j) % len(PROGRAMS)])
    for month in (3, 9):  # two each, so that their participants come back like everyone else's
        add("S1", pd.Timestamp(2025, month, 10), PROGRAMS[0])
        add("S2", pd.Timestamp(2025, month, 11), PROGRAMS[1])
    add("A1", pd.Timestamp(2025, 4, 2), SMALL_PROGRAM)
    add("A1", pd.Timestamp(2025, 5, 2), SMALL_PROGRAM)
    return rows


def attendees(event_rows: list[dict]) -> list[dict]:
    """The same twelve participants at every event of an area; three at the youth program, two of them twice."""
    rows = []
    for event in event_rows:
        if event["program"] == SMALL_PROGRAM:
            keys = ["Y1", "Y2", "Y3"] if event["start"].startswith("2025-04") else ["Y1", "Y2"]
        else:
            keys = [f"P-{event['area_id']}-{j:02d}" for j in range(12)]
        rows += [
            {"event_id": event["event_id"], "participant_key": key, "age_group": "25-34"} for key in keys
        ]
    return rows


def concerns() -> list[dict]:
    """Two concerns in each area, one resolved after 20 days and one open."""
    rows = []
    for area in AREAS:
        raised = pd.Timestamp(2025, 6, 1)
        rows.append(
            {
                "concern_id": f"C{len(rows):03d}",
                "raised": f"{raised:%Y-%m-%d}",
                "area_id": area,
                "topic": "lighting",
                "summary": "Street lights out on the main road.",
                "status": "resolved",
                "action": "Lights repaired.",
                "resolved": f"{raised + pd.Timedelta(days=20):%Y-%m-%d}",
            }
        )
        rows.append(
            {
                "concern_id": f"C{len(rows):03d}",
                "raised": "2025-09-01",
                "area_id": area,
                "topic": "traffic and speeding",
                "summary": "Cars speed past the school.",
                "status": "open",
                "action": "",
                "resolved": "",
            }
        )
    return rows


def area_scores() -> list[dict]:
    """Monthly published trust: the city (n=300), big areas at 50 (n=48), Quill Cove 97 on n=3, Tern Point
    with no n."""
    rows = []
    for month in range(1, 13):
        start = pd.Timestamp(2025, month, 1)
        end = start + pd.offsets.MonthEnd(0)
        for level, area, value, n in (
            ("city", "city", 51, "300"),
            *(("district", a, 50, "48") for a in BIG),
            ("district", "S1", 97, "3"),
            ("district", "S2", 55, ""),
        ):
            rows.append(
                {
                    "period_start": f"{start:%Y-%m-%d}",
                    "period_end": f"{end:%Y-%m-%d}",
                    "level": level,
                    "area_id": area,
                    "metric": "trust",
                    "value": str(value),
                    "n": n,
                    "group": "",
                }
            )
    return rows


def write(folder: Path) -> Path:
    """Write the data set as a folder source."""
    folder.mkdir(parents=True, exist_ok=True)
    features = [
        feature(
            {"area_id": area, "name": name, "level": "district", "population": 10_000},
            square(-88.0 + 0.1 * (i % 4), 41.7 + 0.1 * (i // 4)),
        )
        for i, (area, name) in enumerate(AREAS.items())
    ]
    (folder / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    event_rows = events()
    for name, rows in (
        ("events", event_rows),
        ("responses", responses()),
        ("attendees", attendees(event_rows)),
        ("concerns", concerns()),
        ("area_scores", area_scores()),
    ):
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    return folder
