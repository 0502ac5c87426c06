"""Small pieces every page uses: banners, KPI cards, downloads, empty states."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from cpdash.data.dataset import Dataset
from cpdash.data.filters import describe
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.ui.access import recorder
from cpdash.ui.context import PageContext
from cpdash.ui.filters import DRILL_KEY, drill_from, restore_areas
from cpdash.ui.scoring import sentiment_status
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
    sentiment_status(ctx.ds)
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


Record = Callable[[int | None], None]


def row_record(ctx: PageContext, what: str) -> Record | None:
    """The audit record of a row-level download of `what` under the context's filters, to pass to the
    download (None when the visitor may make no row-level download)."""
    return recorder(ctx.settings, ctx.access, ctx.filters, what) if ctx.rows else None


def recorded(
    make: Callable[[], bytes], record: Record | None, rows: int | None = None
) -> Callable[[], bytes]:
    """A download's file maker that records the download in the audit log once the file is made."""

    def made() -> bytes:
        data = make()
        if record is not None:
            record(rows)
        return data

    return made


def csv_file(make: Callable[[], pd.DataFrame], record: Record | None = None) -> Callable[[], bytes]:
    """A download's file maker: `make`'s frame as a spreadsheet-safe CSV, recorded (with its number of rows)
    by `record` once made."""

    def made() -> bytes:
        frame = make()
        data = to_csv_bytes(frame)
        if record is not None:
            record(len(frame))
        return data

    return made


def csv_download(
    frame: pd.DataFrame, label: str, *name_parts: object, key: str, record: Record | None = None
) -> None:
    """A download button for `frame` as a spreadsheet-safe CSV, made when the button is clicked (and then
    recorded by `record`, for a row-level download)."""
    st.download_button(
        label,
        csv_file(lambda: frame, record),
        file_name=file_name(*name_parts),
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


def _drill(area_id: str, page: str) -> None:
    """Button callback: ask to open `page` narrowed to one area. The area filter itself is left alone on
    this page, so that its URL (and Back to it) keeps the areas it had."""
    st.session_state[GO_KEY] = (page, area_id)


def drill_down_button(container, label: str, page: str, area_id: str, key: str) -> None:
    """A button that opens `page` with the area filter narrowed to `area_id` (kept in that page's URL)."""
    container.button(label, key=key, on_click=_drill, args=(area_id, page), type="tertiary")


def follow_drill_down() -> None:
    """Open the page a drill-down button asked for (call once, early on pages that have such buttons); its
    run narrows the area filter (cpdash.ui.filters), this page's stays as it was. Back to this page from
    there restores its areas."""
    restore_areas()
    asked = st.session_state.pop(GO_KEY, None)
    if asked:
        page, area_id = asked
        st.session_state[DRILL_KEY] = area_id
        st.switch_page(page, query_params=drill_from())  # not None: None refuses to clear bound params


def csv_download_later(
    make: Callable[[], pd.DataFrame],
    label: str,
    *name_parts: object,
    key: str,
    record: Record | None = None,
) -> None:
    """A download button whose spreadsheet-safe CSV is built only when clicked (`make` returns the frame):
    for tables that would cost time to build on every rerun (recorded by `record` once made)."""
    st.download_button(
        label,
        csv_file(make, record),
        file_name=file_name(*name_parts),
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


def empty_state(message: str) -> None:
    """Say in words why there is nothing to show."""
    st.info(message, icon="ℹ️")
