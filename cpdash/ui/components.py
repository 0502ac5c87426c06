"""Small pieces every page uses: banners, KPI cards, downloads, empty states."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from cpdash.data.dataset import Dataset
from cpdash.data.filters import describe
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.ui.context import PageContext
from cpdash.ui.filters import AREA_KEY
from cpdash.views.format import NO_CHANGE

DATA_PAGE = "pages/data.py"
GO_KEY = "drill_down_page"


def area_names(ds: Dataset) -> dict[str, str]:
    """area_id -> name, for labels."""
    return dict(zip(ds.areas["area_id"], ds.areas["name"].astype("str"), strict=True))


def page_header(title: str, ctx: PageContext, intro: str | None = None) -> None:
    """The page title, what the filters select in words, what limits them, and a one-line introduction."""
    st.title(title, anchor=False)
    st.caption(describe(ctx.filters, ctx.names))
    for note in ctx.notes:
        st.warning(note, icon="📅")
    if intro:
        st.markdown(intro)


def data_banners(ds: Dataset) -> None:
    """Say when the data is the synthetic sample, and when the load had errors or rejected rows."""
    if ds.is_sample:
        st.info(
            "**Synthetic sample data.** Riverton is an invented city: its places, people and events are "
            "made up for demonstration. Point `CPDASH_DATA` at your own data to replace it.",
            icon="🧪",
        )
    report = ds.report
    if report.errors:
        st.error("**The data could not be fully loaded.**\n\n" + "\n".join(f"- {e}" for e in report.errors))
    if report.rows_rejected:
        col_text, col_link = st.columns([5, 1], vertical_alignment="center")
        col_text.warning(
            f"{report.rows_rejected:,} rows were rejected when the data was loaded; "
            "the figures leave them out. The Data page lists each with its reason.",
            icon="⚠️",
        )
        col_link.page_link(DATA_PAGE, label="See rejected rows", icon="🗂️")


def kpi(
    container,
    label: str,
    value: str,
    delta: str | None = None,
    *,
    inverse: bool = False,
    help: str | None = None,
) -> None:
    """A KPI card; `inverse` when a rise is bad news (open concerns, areas without events)."""
    unchanged = delta == NO_CHANGE
    container.metric(
        label,
        value,
        delta=delta,
        delta_color="off" if unchanged else ("inverse" if inverse else "normal"),
        delta_arrow="off" if unchanged else "auto",
        help=help,
        border=True,
    )


def csv_download(frame: pd.DataFrame, label: str, *name_parts: object, key: str) -> None:
    """A download button for `frame` as a spreadsheet-safe CSV, made when the button is clicked."""
    st.download_button(
        label,
        lambda: to_csv_bytes(frame),
        file_name=file_name(*name_parts),
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


def _drill(area_id: str, page: str) -> None:
    """Button callback: narrow the shared area filter to one area and ask to open `page`."""
    st.session_state[AREA_KEY] = [area_id]
    st.session_state[GO_KEY] = page


def drill_down_button(container, label: str, page: str, area_id: str, key: str) -> None:
    """A button that opens `page` with the area filter narrowed to `area_id` (kept in the URL)."""
    container.button(label, key=key, on_click=_drill, args=(area_id, page), type="tertiary")


def follow_drill_down() -> None:
    """Open the page a drill-down button asked for (call once, early on pages that have such buttons)."""
    page = st.session_state.pop(GO_KEY, None)
    if page:
        st.switch_page(page, query_params={})  # {} not None: None refuses to clear bound params


def csv_download_later(make: Callable[[], pd.DataFrame], label: str, *name_parts: object, key: str) -> None:
    """A download button whose spreadsheet-safe CSV is built only when clicked (`make` returns the frame):
    for tables that would cost time to build on every rerun."""
    st.download_button(
        label,
        lambda: to_csv_bytes(make()),
        file_name=file_name(*name_parts),
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


def empty_state(message: str) -> None:
    """Say in words why there is nothing to show."""
    st.info(message, icon="ℹ️")
