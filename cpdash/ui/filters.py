"""The shared sidebar filters, kept in the URL so that a copied link opens the same view.

The period picker spans every dated table (events, responses, concerns and published area scores). A link
asking for days outside the data is not reset in silence: the overlap is shown, and the page says so.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cpdash.data.dataset import Dataset
from cpdash.data.schema import PROGRAMS
from cpdash.metrics.periods import (
    LAST_YEAR,
    PREVIOUS,
    Filters,
    default_compare,
    default_period,
    period_text,
)

PERIOD_KEY = "filter_period"
AREA_KEY = "filter_area"
PROGRAM_KEY = "filter_program"
COMPARE_KEY = "filter_compare"
AUTO = "auto"  # the comparison default_compare gives the period
COMPARE_LABELS = {AUTO: "Automatic", PREVIOUS: "The previous period", LAST_YEAR: "The same period last year"}
NOTE_KEY = "filter_period_note"  # what a link to a period outside the data was told
DRILL_KEY = "filter_drill_area"  # the one area a drill-down opens the next page with
BACK_KEY = "drilled_from"  # URL: the area ids (ALL_AREAS: none chosen) the Overview had before a drill-down
RESTORE_KEY = "filter_restore_areas"  # the areas Back to the Overview restores
ALL_AREAS = "*"


def _dates(values: list[str]) -> list[dt.date] | None:
    """The ISO dates of a URL parameter (None when any is not a date)."""
    try:
        return [dt.date.fromisoformat(v) for v in values]
    except ValueError:
        return None


def _link_period(first: dt.date, last: dt.date, default: tuple[dt.date, dt.date]) -> str | None:
    """When the URL asks for a period outside the data: set the overlap (or the default) before the widget
    is drawn, and say so for as long as that period stays chosen; None when there is nothing to say."""
    if PERIOD_KEY in st.session_state:
        said = st.session_state.get(NOTE_KEY)
        if said and tuple(st.session_state[PERIOD_KEY]) == said[1]:
            return said[0]
        st.session_state.pop(NOTE_KEY, None)
        return None
    asked = _dates(st.query_params.get_all(PERIOD_KEY))
    if not asked:
        return None
    low, high = min(asked), max(asked)
    if first <= low and high <= last:
        return None
    start, end = max(low, first), min(high, last)
    told = f"The link asked for {period_text(low, high)}, but the data runs from {period_text(first, last)}"
    if start > end:
        start, end = default
        note = told + ": nothing falls in the period asked for, so the last 12 months of data are shown."
    else:
        note = told + f": the part within the data ({period_text(start, end)}) is shown."
    st.session_state[PERIOD_KEY] = (start, end)
    st.session_state[NOTE_KEY] = (note, (start, end))
    return note


@st.cache_resource(show_spinner=False, max_entries=2)
def _choices(signature: str, _ds: Dataset) -> tuple[dict[str, str], list[str], list[str]]:
    """The areas (id -> name, ids in name order) and the programs with events, once per data source."""
    names = dict(zip(_ds.areas["area_id"], _ds.areas["name"], strict=True)) if "name" in _ds.areas else {}
    area_ids = sorted(names, key=lambda a: (str(names[a]).lower(), a))
    events = _ds.events
    present = set(events["program"].dropna().unique()) if len(events) and "program" in events else set()
    return names, area_ids, [p for p in PROGRAMS if p in present] + sorted(present - set(PROGRAMS))


def sidebar_filters(
    ds: Dataset, extent: tuple[dt.date, dt.date] | None, signature: str
) -> tuple[Filters, list[str], dict[str, str], str]:
    """Draw the period, area, program and comparison filters in the sidebar; return what they select, any
    note, the areas' names (area_id -> name) and the comparison (periods.PREVIOUS or LAST_YEAR).

    `extent` is the first and last day of the data, every dated table included (today when none);
    `signature` the source's version (the choices are worked out once per version).
    """
    today = dt.date.today()
    first, last = extent if extent is not None else (today, today)
    default = default_period(first, last)
    notes = [note] if (note := _link_period(first, last, default)) else []
    names, area_ids, programs = _choices(signature, ds)
    if (restored := st.session_state.pop(RESTORE_KEY, None)) is not None:
        st.session_state[AREA_KEY] = [a for a in restored if a in names]  # ids from the URL: known ones only
    if (drilled := st.session_state.pop(DRILL_KEY, None)) is not None:
        st.session_state[AREA_KEY] = [drilled]  # on the page opened (drill_from says what the one left had)
    with st.sidebar:
        st.markdown("**Filters**")
        period = st.date_input(
            "Period",
            value=default,
            min_value=first,
            max_value=last,
            key=PERIOD_KEY,
            bind="query-params",
            format="YYYY-MM-DD",
            help=f"Any days from {period_text(first, last)}: figures cover this period and compare it with "
            "the period chosen under Compare with.",
        )
        areas = st.multiselect(
            "Areas",
            area_ids,
            format_func=lambda a: str(names.get(a, a)),
            key=AREA_KEY,
            bind="query-params",
            placeholder="All areas",
        )
        chosen = st.multiselect(
            "Programs",
            programs,
            key=PROGRAM_KEY,
            bind="query-params",
            placeholder="All programs",
            help="Applies to events and what is counted from them (attendance, hours, cost, participants).",
        )
        start, end = _period(period, default)
        f = Filters(start, end, tuple(areas), tuple(chosen))
        how = st.selectbox(
            "Compare with",
            [AUTO, PREVIOUS, LAST_YEAR],
            format_func=COMPARE_LABELS.get,
            key=COMPARE_KEY,
            bind="query-params",
            help="What changes are measured against. Automatic: the same period last year when the period is "
            "shorter than a year (seasons compare with themselves), else the period of equal length just "
            "before. Each page says which period it compares with.",
        )
    return f, notes, names, how if how in (PREVIOUS, LAST_YEAR) else default_compare(f)


def drill_from() -> dict[str, list[str]]:
    """The query a drill-down opens its page with: the areas chosen on the page it leaves. Streamlit records
    the switch, and the narrowed areas, in the browser's history under the path of the page left before the
    page opened; each such entry then says which areas that page had, and Back restores them."""
    return {BACK_KEY: list(st.session_state.get(AREA_KEY) or [ALL_AREAS])}


def restore_areas() -> None:
    """On the page a drill-down left, reached again by Back: choose the areas it had (the link says which)
    and run again (the URL's narrowed areas would otherwise win over them in this run)."""
    if BACK_KEY not in st.query_params:
        return
    had = [a for a in st.query_params.get_all(BACK_KEY) if a != ALL_AREAS]
    del st.query_params[BACK_KEY]
    st.session_state[RESTORE_KEY] = had
    st.rerun()


def _period(value: object, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The chosen period; while only its first day is picked, that day to the default end."""
    if isinstance(value, dt.date):
        return value, max(value, default[1])
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, dt.date) for v in value):
        return min(value), max(value)
    if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], dt.date):
        return value[0], max(value[0], default[1])
    return default
