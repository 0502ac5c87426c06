"""The Participation page's program mix: events, attendance, youth attendance, officer hours and cost per
attendee per program (cpdash.metrics.engagement), against the compared period, with the most and least
cost-effective programs and the biggest change in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics.change import change
from cpdash.metrics.engagement import COLUMNS, engagement_arrays
from cpdash.metrics.gather import PROGRAM, Source
from cpdash.metrics.periods import Filters
from cpdash.views import format as fmt
from cpdash.views.participation_text import LEVEL_PCT, MIN_ATTENDANCE, names_sentence

NO_PROGRAM = "No event in this period and selection: there is no program to compare."


@dataclass(frozen=True)
class ProgramMix:
    """Per program, now and in the compared period, with the cost-effectiveness ranking in words."""

    table: (
        pd.DataFrame
    )  # program, engagement COLUMNS, the same *_before, attendance_change_pct, events_change
    best: str | None  # most cost-effective program
    worst: str | None  # least cost-effective program
    caption: str
    empty: str | None
    compared: str = "previous period"  # what *_before is, in words


def cost_ranking(mix: pd.DataFrame, minimum: float = MIN_ATTENDANCE) -> tuple[str | None, str | None]:
    """The most and least cost-effective programs: lowest and highest cost per attendee among those with at
    least `minimum` counted attendees (None when fewer than two qualify)."""
    cost = mix["cost_per_attendee"].to_numpy(dtype="float64")
    attendance = np.nan_to_num(mix["attendance"].to_numpy(dtype="float64"))
    programs = [str(p) for p in mix["program"]]
    ranked = [i for i in range(len(mix)) if not np.isnan(cost[i]) and attendance[i] >= minimum]
    if len(ranked) < 2:
        return None, None
    ranked.sort(key=lambda i: (cost[i], programs[i]))
    return programs[ranked[0]], programs[ranked[-1]]


def program_table(src: Source, f: Filters, before: Filters | None) -> pd.DataFrame:
    """Per program with an event in the period or the compared one (`before`; None: not comparable, its
    columns unknown): program, the engagement columns, the same *_before, attendance_change_pct (%) and
    events_change; the most attended first."""
    keys, now = engagement_arrays(src, f, (PROGRAM,))
    programs = pd.Index(keys[PROGRAM])
    if before is not None:
        then_keys, then = engagement_arrays(src, before, (PROGRAM,))
        at = pd.Index(then_keys[PROGRAM]).get_indexer(programs)
        then = {name: _at(then[name], at) for name in COLUMNS}
    else:
        then = {name: np.full(len(programs), np.nan) for name in COLUMNS}
    rows = np.flatnonzero((now["events"] > 0) | (np.nan_to_num(then["events"]) > 0))
    data: dict[str, object] = {"program": programs.array.take(rows)}
    data.update({name: now[name][rows] for name in COLUMNS})
    data.update({f"{name}_before": then[name][rows] for name in COLUMNS})
    data["attendance_change_pct"] = [
        change(a, b).pct
        for a, b in zip(data["attendance"].tolist(), data["attendance_before"].tolist(), strict=True)
    ]
    data["events_change"] = data["events"] - data["events_before"]
    names = [str(p) for p in data["program"]]
    attendance, events = data["attendance"], data["events"]
    # most attended first (unknown last), then most events, then by name
    order = np.array(
        sorted(
            range(len(rows)),
            key=lambda i: (
                bool(np.isnan(attendance[i])),
                -np.nan_to_num(attendance[i]),
                -events[i],
                names[i],
            ),
        ),
        dtype="int64",
    )
    return pd.DataFrame(
        {
            name: np.asarray(values)[order] if name != "program" else values.take(order)
            for name, values in data.items()
        }
    )


def _at(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values` at the positions `at` (-1: unknown, NaN), keeping whole numbers whole when none is missing."""
    if (at >= 0).all():
        return values[at]
    return np.where(at >= 0, np.asarray(values, dtype="float64")[at], np.nan)


def program_caption(
    mix: pd.DataFrame, best: str | None, worst: str | None, compared: str = "previous period"
) -> str:
    """The most and least cost-effective programs in words, and the biggest change on the compared period."""
    if len(mix) == 0:
        return "No event in this period and selection."
    parts = []
    if best is not None and worst is not None:
        cost = mix.set_index("program")["cost_per_attendee"]
        parts.append(
            f"Most cost-effective: {fmt.markdown_text(best)} at {fmt.money(cost[best])} per attendee; "
            f"least: {fmt.markdown_text(worst)} at {fmt.money(cost[worst])}."
        )
    elif mix["cost_per_attendee"].notna().any():
        parts.append(
            f"Too few counted attendees to rank programs on cost (each needs at least {MIN_ATTENDANCE})."
        )
    else:
        parts.append(
            "Cost per attendee needs event costs and attendance counts, which the data does not have."
        )
    changes = mix[mix["attendance_change_pct"].notna() & (mix["attendance_before"] >= MIN_ATTENDANCE)]
    if len(changes):
        top = changes.loc[changes["attendance_change_pct"].abs().idxmax()]
        if abs(top["attendance_change_pct"]) >= LEVEL_PCT:
            verb = "rose" if top["attendance_change_pct"] > 0 else "fell"
            parts.append(
                f"Biggest change on the {compared}: attendance at {fmt.markdown_text(top['program'])} "
                f"{verb} {abs(top['attendance_change_pct']):.0f} %."
            )
    new = mix[mix["events_before"] == 0]
    if len(new) and len(new) < len(mix):
        parts.append(f"New this period: {names_sentence(list(new['program']))}.")
    return " ".join(parts)


def program_mix(
    src: Source, f: Filters, before: Filters | None, compared: str = "previous period"
) -> ProgramMix:
    """The program mix of the filters against `before` (None: the compared period is not in the data)."""
    table = program_table(src, f, before)
    current = table[table["events"] > 0]
    best, worst = cost_ranking(current)
    empty = None if len(current) else NO_PROGRAM
    return ProgramMix(table, best, worst, program_caption(current, best, worst, compared), empty, compared)


def program_download(mix: ProgramMix) -> pd.DataFrame:
    """The program mix for people: named columns, rounded."""
    t, then = mix.table, mix.compared
    return pd.DataFrame(
        {
            "Program": t["program"],
            "Events": t["events"],
            f"Events, {then}": t["events_before"],
            "Attendance": t["attendance"],
            f"Attendance, {then}": t["attendance_before"],
            "Attendance change (%)": t["attendance_change_pct"].round(0),
            "Events without an attendance count": t["events_without_attendance"],
            "Youth attendance": t["youth_attendance"],
            "Youth share (%)": (t["youth_share"] * 100).round(0),
            "Officer hours": t["officer_hours"].round(0),
            "Cost": t["cost"].round(0),
            "Cost per attendee": t["cost_per_attendee"].round(2),
            f"Cost per attendee, {then}": t["cost_per_attendee_before"].round(2),
        }
    )
