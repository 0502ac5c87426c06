"""Data: what was loaded, what was rejected and why, importing files, the import log, the data dictionary."""

import streamlit as st

from cpdash import ui
from cpdash.ui import access as account
from cpdash.ui import data_import
from cpdash.views import data as view
from cpdash.views.format import markdown_text as md

ctx = ui.page_context()
report = view.report_view(ctx.ds.report, ctx.public, ctx.ds.is_sample, md, rows=ctx.rows)

st.title("Data", anchor=False)
ui.sentiment_status(ctx.ds)
st.markdown(report.source)  # never the server's path for the public, never a password

tabs = dict(zip(report.tabs, st.tabs(list(report.tabs), key="data_tab"), strict=True))
tab_report, tab_dictionary = tabs[view.REPORT_TAB], tabs[view.DICTIONARY_TAB]

with tab_report:
    st.dataframe(report.summary, hide_index=True, key="data_summary_table")
    for error in report.errors:
        st.error(error)
    if report.warnings:
        with st.expander(f"Warnings and notes ({len(report.warnings)})", expanded=bool(report.errors)):
            for warning in report.warnings:
                st.markdown(f"- {md(warning)}")
    if not report.rejected:
        st.success("Every row that was read was accepted.", icon="✅")
    for part in report.rejected:
        st.markdown(part.heading)
        if part.rows is None:  # the public view shows only why rows were rejected
            st.dataframe(part.reasons, hide_index=True, key=f"data_reasons_{part.table}")
            continue
        left, right = st.columns([1, 2])
        left.dataframe(part.reasons, hide_index=True, key=f"data_reasons_{part.table}")
        right.dataframe(part.rows, hide_index=True, key=f"data_rejected_{part.table}")
        ui.csv_download(
            view.rejected_rows(ctx.ds.report, part.table),
            part.download_label,
            "rejected",
            part.table,
            key=f"data_download_rejected_{part.table}",
            record=ui.row_record(ctx, f"rejected {part.table} rows (Data page)"),
        )
    if report.load_time:
        st.caption(report.load_time)
    data_import.filtered_download(ctx)
    if report.downloads_note:
        st.info(report.downloads_note, icon="⬇️")

if view.IMPORT_TAB in tabs:
    with tabs[view.IMPORT_TAB]:
        data_import.import_section(ctx.ds, ctx.settings, ctx.access)

if view.LOG_TAB in tabs:
    with tabs[view.LOG_TAB]:
        data_import.log_section(ctx.settings)

with tab_dictionary:
    st.markdown(
        "What each table may hold. Only `events` is required; every other table and every optional column "
        "may be absent, and pages then say what they cannot show."
    )
    table_choice = st.segmented_control(
        "Table", list(report.tables), default="events", key="data_dictionary_table"
    )
    st.dataframe(view.dictionary(table_choice), hide_index=True, key="data_dictionary_view")
    ui.csv_download(
        view.dictionary(),
        "Download the data dictionary (CSV)",
        "data-dictionary",
        key="data_download_dictionary",
    )

if view.QUOTES_TAB in tabs:
    with tabs[view.QUOTES_TAB]:
        ui.quotes_section(ctx)
if view.AUDIT_TAB in tabs:
    with tabs[view.AUDIT_TAB]:
        account.audit_section(ctx.settings, ctx.access)
