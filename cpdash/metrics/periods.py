"""What a figure is about: the Filters (a period of whole days, areas, programs) and the period it is
compared with. One definition, used by every page, map, slide and download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

PREVIOUS = "previous"  # the period of equal length just before
LAST_YEAR = "last_year"  # the same days one year earlier
COMPARISONS = {PREVIOUS: "the period of equal length just before", LAST_YEAR: "the same period last year"}


@dataclass(frozen=True)
class Filters:
    """An inclusive period of whole days (None: open), and areas and programs (empty: all).

    Programs select events and what is counted from them (attendees); answers, comments and concerns are
    about an area, not a program, and ignore them.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    areas: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    grid: tuple[dt.date, ...] = ()  # public view: the days periods start on (cpdash.metrics.selection)

    @property
    def days(self) -> int:
        """Length of the period in days, both ends included."""
        return (self.end - self.start).days + 1

    def with_period(self, start: dt.date | None, end: dt.date | None) -> Filters:
        """The same filters over another period."""
        return Filters(start, end, self.areas, self.programs, self.grid)

    def with_areas(self, areas: tuple[str, ...] | list[str]) -> Filters:
        """The same filters in other areas (() = all)."""
        return Filters(self.start, self.end, tuple(areas), self.programs, self.grid)

    def with_programs(self, programs: tuple[str, ...] | list[str]) -> Filters:
        """The same filters for other programs (() = all)."""
        return Filters(self.start, self.end, self.areas, tuple(programs), self.grid)

    def on_grid(self, start: dt.date, end: dt.date, nearest: bool = False) -> Filters:
        """The same filters over start..end widened to the grid's days, or moved to the nearest ones
        (unchanged without a grid, or where the period reaches past it)."""
        if not self.grid:
            return self.with_period(start, end)
        one = dt.timedelta(days=1)
        if nearest and self.grid[0] <= end and start < self.grid[-1]:  # within the grid's span
            starts = [d for d in self.grid[:-1] if d <= end]
            ends = [d - one for d in self.grid[1:] if d - one >= start]
            near_start = min(starts, key=lambda d: abs((d - start).days), default=start)
            near_end = min(ends, key=lambda d: abs((d - end).days), default=end)
            if near_start <= near_end:
                return self.with_period(near_start, near_end)
        starts = [d for d in self.grid if d <= start]
        after = [d for d in self.grid if d > end]
        return self.with_period(starts[-1] if starts else start, after[0] - one if after else end)

    def previous(self) -> Filters:
        """The same filters over the period of equal length just before this one (on the grid, if any: the
        nearest block edges)."""
        end = self.start - dt.timedelta(days=1)
        return self.on_grid(end - dt.timedelta(days=self.days - 1), end, nearest=True)

    def last_year(self) -> Filters:
        """The same filters over the same days one year earlier (29 February becomes 28; on the grid, if any:
        the nearest block edges)."""
        return self.on_grid(_year_before(self.start), _year_before(self.end), nearest=True)

    def compared(self, how: str = PREVIOUS) -> Filters:
        """The period this one is compared with: PREVIOUS or LAST_YEAR."""
        return self.last_year() if how == LAST_YEAR else self.previous()


def default_compare(f: Filters) -> str:
    """The comparison a period gets unless the user chooses: the same period last year when it is shorter
    than a year (so that seasons compare with themselves), else the period of equal length just before."""
    return LAST_YEAR if f.start is not None and f.end is not None and f.days < 365 else PREVIOUS


def _year_before(day: dt.date) -> dt.date:
    """The same day one year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def period_text(start: dt.date, end: dt.date) -> str:
    """'1 Nov 2025 – 31 Oct 2026'."""
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


def short_period_text(start: object, end: object) -> str:
    """'1 Jan – 31 Mar 2025' (the year once when both ends share it)."""
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    left = f"{a.day} {a:%b}" + ("" if a.year == b.year else f" {a.year}")
    return f"{left} – {b.day} {b:%b %Y}"


def default_period(first: dt.date, last: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The last `months` months of data (or all of it, when there is less)."""
    start = (pd.Timestamp(last) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    return max(start, first), last
