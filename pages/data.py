"""Data: what was loaded, what was rejected and why, importing files, the import log, the data dictionary."""

import streamlit as st

from cpdash import ui
from cpdash.data import quality
from cpdash.data.schema import TABLES
from cpdash.ui import data_import
from cpdash.views.format import markdown_text as md

settings = ui.get_settings()
ds = ui.get_dataset(settings)
filters = ui.current_filters()
report = ds.report

st.title("Data")
source = quality.source_label(report.source, settings.public)  # never the server's path, never a password
st.markdown(f"Source: {md(source)}" + (" (synthetic sample city)" if ds.is_sample else ""))

tab_report, tab_import, tab_log, tab_dictionary = st.tabs(
    ["Validation report", "Import a file", "Import log", "Data dictionary"], key="data_tab"
)

with tab_report:
    summary = quality.summary(report)
    st.dataframe(summary, hide_index=True, key="data_summary_table")
    if report.errors:
        for error in quality.shown(report.errors, report.source, settings.public):
            st.error(error)
    if report.warnings:
        with st.expander(f"Warnings and notes ({len(report.warnings)})", expanded=bool(report.errors)):
            for warning in quality.shown(report.warnings, report.source, settings.public):
                st.markdown(f"- {md(warning)}")

    rejected_tables = [name for name, t in report.tables.items() if t.rows_rejected]
    if not rejected_tables:
        st.success("Every row that was read was accepted.", icon="✅")
    for name in rejected_tables:
        t = report.tables[name]
        st.markdown(f"**{name}**: {t.rows_rejected:,} of {t.rows_read:,} rows rejected ({md(t.file)})")
        if settings.public:
            # rejected rows keep residents' original text: the public view shows only why rows were rejected
            st.dataframe(quality.reasons(report, name), hide_index=True, key=f"data_reasons_{name}")
            continue
        left, right = st.columns([1, 2])
        left.dataframe(quality.reasons(report, name), hide_index=True, key=f"data_reasons_{name}")
        right.dataframe(t.rejected.head(500), hide_index=True, key=f"data_rejected_{name}")
        ui.csv_download(
            t.rejected,
            f"Download the {t.rows_rejected:,} rejected {name} rows (CSV)",
            "rejected",
            name,
            key=f"data_download_rejected_{name}",
        )

    if report.seconds:
        st.caption("Load time: " + ", ".join(f"{step} {sec:.2f} s" for step, sec in report.seconds.items()))
    data_import.filtered_download(settings, ds, filters)

with tab_import:
    data_import.import_section(ds, settings)

with tab_log:
    data_import.log_section(settings)

with tab_dictionary:
    st.markdown(
        "What each table may hold. Only `events` is required; every other table and every optional column "
        "may be absent, and pages then say what they cannot show."
    )
    table_choice = st.segmented_control("Table", list(TABLES), default="events", key="data_dictionary_table")
    st.dataframe(quality.dictionary(table_choice), hide_index=True, key="data_dictionary_view")
    ui.csv_download(
        quality.dictionary(),
        "Download the data dictionary (CSV)",
        "data-dictionary",
        key="data_download_dictionary",
    )
