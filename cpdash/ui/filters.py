"""The shared sidebar filters, kept in the URL so that a copied link opens the same view."""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from cpdash.data.dataset import Dataset
from cpdash.data.filters import Filters, default_period
from cpdash.data.schema import PROGRAMS

PERIOD_KEY = "filter_period"
AREA_KEY = "filter_area"
PROGRAM_KEY = "filter_program"
STATE_KEY = "filters"


def sidebar_filters(ds: Dataset, bounds: tuple[date, date]) -> Filters:
    """Draw the period, area and program filters in the sidebar and return what they select.

    `bounds` is the first and last day of the data (cpdash.ui.get_data_bounds).
    """
    first, last = bounds
    default = default_period(first, last)
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    area_ids = sorted(names, key=lambda a: (str(names[a]).lower(), a))
    present = set(ds.events["program"].dropna().unique()) if len(ds.events) else set()
    programs = [p for p in PROGRAMS if p in present]
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
            help="Figures cover this period and compare it with the period of equal length just before it.",
        )
        areas = st.multiselect(
            "Areas",
            area_ids,
            format_func=lambda a: str(names.get(a, a)),
            key=AREA_KEY,
            bind="query-params",
            placeholder="All areas",
        )
        chosen_programs = st.multiselect(
            "Programs",
            programs,
            key=PROGRAM_KEY,
            bind="query-params",
            placeholder="All programs",
            help="Applies to events and what is counted from them (attendance, hours, cost).",
        )
    start, end = _period(period, default)
    filters = Filters(start, end, tuple(areas), tuple(chosen_programs))
    st.session_state[STATE_KEY] = filters
    return filters


def _period(value: object, default: tuple[date, date]) -> tuple[date, date]:
    """The chosen period; while only its first day is picked, that day to the default end."""
    if isinstance(value, date):
        return value, max(value, default[1])
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, date) for v in value):
        return min(value), max(value)
    if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], date):
        return value[0], max(value[0], default[1])
    return default


def current_filters() -> Filters:
    """The filters the router drew for this run (reruns through the router when a page ran without it)."""
    if PagesManager.uses_pages_directory is not False or STATE_KEY not in st.session_state:
        _run_through_router()
    return st.session_state[STATE_KEY]


def _run_through_router() -> None:
    """Rerun so that dashboard.py draws the filters before the page.

    Streamlit treats a `pages/` folder as an old-style multipage app until the first st.navigation
    call in the process, so the very first visit to a page's URL after a restart runs the page alone
    (without the router). Marking the folder as not auto-discovered and rerunning sends that visit
    through the router.
    """
    PagesManager.uses_pages_directory = False
    st.rerun()
