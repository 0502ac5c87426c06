"""The Data page's import: upload, choose the table, map columns, preview, report, commit; and the import log.

The Streamlit side of cpdash.importing (which does the work, the same as `python -m cpdash import`): the
mapping proposed is the one `--mapping suggest` uses, shown with the confidence and reason of each choice.
Every widget key starts with `data_import_`. The mapping widgets have fixed keys; when the file, its sheet,
the table, the chosen mapping or the columns shapes are dissolved by change, they are reset to that mapping.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from cpdash.config import Settings
from cpdash.data.database import filtered_rows
from cpdash.data.dataset import Dataset
from cpdash.data.programs import Taxonomy, TaxonomyError, built_in, programs_path, read_taxonomy
from cpdash.data.readers import DataError
from cpdash.data.roles import Access
from cpdash.data.schema import TABLES
from cpdash.importing import importer, profiles
from cpdash.importing.store import log_frame, open_store
from cpdash.metrics.periods import default_period
from cpdash.ui import import_mapping, import_report
from cpdash.ui.access import record_import
from cpdash.ui.components import csv_download, row_record
from cpdash.ui.context import CONTEXT_KEY, PageContext
from cpdash.ui.data import get_signature
from cpdash.ui.filters import PERIOD_KEY
from cpdash.views.format import markdown_text as md

P = import_mapping.P
K_FILE, K_SHEET, K_TABLE, K_PROFILE = P + "file", P + "sheet", P + "table", P + "profile"
K_MODE, K_COMMIT, K_SAVE_NAME, K_SAVE, K_DISSOLVE = (
    P + "mode",
    P + "commit",
    P + "save_name",
    P + "save",
    P + "dissolve",
)
K_BASIS = import_mapping.K_BASIS
K_UPLOAD, K_PREPARED, K_DONE = P + "upload_cache", P + "prepared_cache", P + "done"
K_MEMO, K_FAILED = P + "memo", P + "failed"
K_DOWNLOAD_TABLE = "data_filtered_table"
SUGGESTED = "Suggested mapping"
MAX_UPLOAD_MB = importer.MAX_UPLOAD_BYTES // (1024 * 1024)


# --- the import tab --------------------------------------------------------------------------------


def import_section(ds: Dataset, settings: Settings, access: Access) -> None:
    """Upload a file and take it through mapping, preview, report and commit (analysts only: others see why)."""
    refusal = access.import_refusal()
    if refusal:
        st.info(md(refusal), icon="🔒" if access.sign_in else "ℹ️")
        return
    store = open_store(settings.data)
    done = st.session_state.pop(K_DONE, None)
    if done:
        st.success(done, icon="✅")
    if store.is_sample:
        st.warning(
            "This is the synthetic sample city: a file can be checked and previewed here, but not imported "
            "into it. Set `CPDASH_DATA` to a folder (or a database) of your own to import.",
            icon="🧪",
        )
    st.markdown(
        "Bring an export in as it is: a survey tool's CSV, a calendar, a vendor's score table, a boundary file, "
        "a spreadsheet. Choose the table it holds, check the proposed mapping of its columns, look at the "
        "preview and the report, then import. Nothing is stored until you press **Import**."
    )
    uploaded = st.file_uploader(
        "File to import (CSV, Excel, JSON or GeoJSON)",
        type=[s.lstrip(".") for s in importer.UPLOAD_TYPES],
        key=K_FILE,
        max_upload_size=MAX_UPLOAD_MB,
        help=f"Up to {MAX_UPLOAD_MB} MB. Larger files: split them, or use `python -m cpdash import`.",
    )
    if uploaded is None:
        for key in (K_UPLOAD, K_PREPARED, K_MEMO, K_BASIS, K_SHEET, K_TABLE, K_PROFILE, K_DISSOLVE):
            st.session_state.pop(key, None)  # the file was removed: forget it
        return
    upload = _read(uploaded)
    if upload is None:
        return
    try:
        _mapped(upload, uploaded.file_id, ds, settings, store)
    except Exception as exc:  # never a traceback on the page: say what failed; nothing was stored
        first = (str(exc).splitlines() or [""])[0][:300]
        st.error(
            f"**This file could not be taken through the import.** {md(upload.name)}: {md(type(exc).__name__)}: "
            f"{md(first)}. Nothing was stored; the data already loaded is unchanged.",
            icon="🚫",
        )


def _mapped(upload: importer.Upload, file_id: str, ds: Dataset, settings: Settings, store) -> None:
    """The mapping, the report and the commit of a file that could be read."""
    for note in upload.notes:
        st.caption(md(note))
    if upload.bad_rows:
        st.warning(
            f"{len(upload.bad_rows):,} rows of {md(upload.name)} could not be split into cells (a stray quote, "
            "or more cells than the header); they are listed with the rejected rows below.",
            icon="⚠️",
        )
    taxonomy = _taxonomy(settings.data)
    signature = (get_signature(settings), _stamp(programs_path(settings.data)))
    file_key = (file_id, upload.sheet)
    context = _memo(file_key, ("context", signature), lambda: importer.context_from_dataset(ds, taxonomy))
    profiles_folder = profiles.profiles_folder(settings.data)
    top = st.columns([1, 1, 1.4]) if len(upload.sheets) > 1 else st.columns([1, 1.4])
    if len(upload.sheets) > 1:
        top[0].selectbox("Sheet", list(upload.sheets), key=K_SHEET, help="The workbook has several sheets.")
        if st.session_state.get(K_SHEET) != upload.sheet:
            st.rerun()  # read the chosen sheet
    table_col, profile_col = top[-2], top[-1]
    if K_TABLE not in st.session_state:
        st.session_state[K_TABLE] = _memo(
            file_key, "table", lambda: importer.suggest_table(upload, context.index)
        )
    table = table_col.selectbox(
        "Table it holds",
        list(TABLES),
        key=K_TABLE,
        help="The table of the data contract the file's rows belong to (see the Data dictionary tab).",
    )
    saved = profiles.list_profiles(profiles_folder, table)
    by_name = {p.name: p for p in saved}
    fitting = profiles.fitting_profile(saved, list(upload.frame.columns))
    options = [SUGGESTED, *by_name]
    if st.session_state.get(K_PROFILE) not in options:
        st.session_state[K_PROFILE] = fitting.name if fitting else SUGGESTED
    choice = profile_col.selectbox(
        "Mapping",
        options,
        key=K_PROFILE,
        help=f"Saved mappings are files in {profiles_folder}; choose one to reuse it for an export of the same shape.",
    )
    if upload.unsure_sheet:
        st.warning(
            f"{md(upload.name)} has {len(upload.sheets)} sheets ({md(', '.join(upload.sheets))}); the first "
            "was read. Check it is the one to import, or choose another above.",
            icon="📑",
        )
    dissolve = _dissolve_choice(upload, table, by_name.get(choice))
    suggested = _memo(
        file_key,
        ("suggested", table, signature, dissolve),
        lambda: importer.suggest_mapping(upload, table, context, dissolve_by=list(dissolve)),
    )
    base = by_name.get(choice) or suggested.profile
    if choice != SUGGESTED and list(dissolve) != base.dissolve_by:
        base = profiles.Profile.from_dict({**base.to_dict(), "dissolve_by": list(dissolve)}, base.name)
    basis = (file_id, upload.sheet, table, choice, dissolve)
    if st.session_state.get(K_BASIS) != basis:
        import_mapping.reset(base, upload)
        st.session_state[K_BASIS] = basis
    missing = base.missing_columns(list(upload.frame.columns)) if choice != SUGGESTED else []
    if choice != SUGGESTED and not missing:
        st.success(f"The saved mapping **{md(choice)}** fits this file: nothing to map.", icon="🧩")
    elif missing:
        st.error(
            f"The mapping **{md(choice)}** reads columns this file does not have: "
            + md(", ".join(missing))
            + ". Choose another mapping, or the suggested one.",
            icon="🚫",
        )
        return
    if choice == SUGGESTED:
        import_report.suggestions(suggested)
    with st.expander("Columns and transforms", expanded=choice == SUGGESTED):
        profile = import_mapping.mapping_widgets(upload, table, base, taxonomy, context.levels)
    profile.name = base.name
    on_conflict, skip = import_report.choices()
    prepared = _prepare(upload, profile, context, signature, file_id, on_conflict, skip)
    if prepared is None:
        return
    import_report.report(prepared, ds)
    import_report.other_titles(prepared, taxonomy, settings.data, writable=not store.is_sample)
    if table == "events" and profile.program_from:
        with st.expander(f"Every title rule, in the order tried ({len(taxonomy.rules):,})"):
            st.caption(f"Programs and rules: {md(taxonomy.source)}.")
            st.dataframe(import_report.rules_list(taxonomy), hide_index=True, key=P + "rules_list")
    _save_and_commit(prepared, profile, store, profiles_folder, ds)


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return "none"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _taxonomy(source: str) -> Taxonomy:
    """The department's programs and title rules; the built-in ones, with the problem shown, when unusable."""
    try:
        return read_taxonomy(source)
    except TaxonomyError as exc:
        st.warning(f"{md(str(exc))}. The built-in programs and rules are used until it is fixed.", icon="🏷️")
        return built_in()


def _dissolve_choice(upload: importer.Upload, table: str, saved: profiles.Profile | None) -> tuple[str, ...]:
    """Areas from a boundary file: the columns whose shared values make one shape of a coarser level."""
    if table != "areas" or upload.geometries is None:
        return ()
    if K_DISSOLVE not in st.session_state:
        st.session_state[K_DISSOLVE] = [c for c in (saved.dissolve_by if saved else []) if c in upload.frame]
    chosen = st.multiselect(
        "Dissolve the shapes sharing",
        [str(c) for c in upload.frame.columns],
        key=K_DISSOLVE,
        help="To make a coarser level from a finer file: beats dissolved by district and sector are sectors. "
        "Leave empty to import each shape as it is.",
    )
    return tuple(chosen)


def _memo(file_key: tuple, name: object, compute):
    """A value worked out once per uploaded file (suggestions, the import context), kept in the session."""
    memo = st.session_state.get(K_MEMO)
    if memo is None or memo[0] != file_key:
        memo = (file_key, {})
        st.session_state[K_MEMO] = memo
    if name not in memo[1]:
        memo[1][name] = compute()
    return memo[1][name]


def _read(uploaded) -> importer.Upload | None:
    """The uploaded file read once per file (and sheet); a clear message when it cannot be used."""
    sheet = st.session_state.get(K_SHEET)
    cached = st.session_state.get(K_UPLOAD)
    if cached and cached[0] == uploaded.file_id and (sheet is None or cached[1] == sheet):
        return cached[2]
    if cached and cached[0] != uploaded.file_id:
        sheet = None
        for key in (K_SHEET, K_TABLE, K_PROFILE, K_DISSOLVE):
            st.session_state.pop(key, None)
    try:
        upload = importer.read_upload(uploaded.name, uploaded.getvalue(), sheet=sheet)
    except DataError as exc:
        st.session_state.pop(K_UPLOAD, None)
        st.error(
            f"**This file cannot be imported.** {md(str(exc))}\n\nThe data already loaded is unchanged.",
            icon="🚫",
        )
        return None
    st.session_state[K_UPLOAD] = (uploaded.file_id, upload.sheet, upload)
    if upload.sheets:
        st.session_state[K_SHEET] = upload.sheet
    return upload


def _prepare(
    upload: importer.Upload,
    profile: profiles.Profile,
    context: importer.Context,
    signature: tuple,
    file_id: str,
    on_conflict: str,
    skip: bool,
) -> importer.Prepared | None:
    """The mapped and validated upload, computed again only when the file, mapping, choices or data change."""
    key = (file_id, upload.sheet, profiles.profile_json(profile), signature, on_conflict, skip)
    cached = st.session_state.get(K_PREPARED)
    if cached and cached[0] == key:
        return cached[1]
    try:
        prepared = importer.prepare(upload, profile, context, on_conflict=on_conflict, skip_overlaps=skip)
    except DataError as exc:
        st.error(f"**The mapping cannot be applied yet.** {md(str(exc))}", icon="🧩")
        return None
    st.session_state[K_PREPARED] = (key, prepared)
    return prepared


def _save_and_commit(
    prepared: importer.Prepared, profile: profiles.Profile, store, folder, ds: Dataset
) -> None:
    """Save the mapping for next time; import the accepted rows."""
    st.header("Import", anchor=False)
    left, right = st.columns(2)
    with left:
        name = st.text_input(
            "Save this mapping as",
            value=profile.name,
            key=K_SAVE_NAME,
            help="Saved mappings are chosen again for the next export of the same shape (here, or with "
            "`python -m cpdash import --mapping NAME`).",
        )
        if st.button("Save mapping", key=K_SAVE, icon="💾"):
            profile.name = name.strip()
            try:
                path = profiles.save_profile(profile, folder)
            except (profiles.ProfileError, OSError) as exc:
                st.error(md(str(exc)))
            else:
                st.success(f"Saved as {md(str(path))}.", icon="💾")
    with right:
        mode = st.radio(
            "Into the table",
            list(importer.MODES),
            key=K_MODE,
            format_func=importer.MODES.get,
            horizontal=False,
        )
        blocked = store.is_sample or prepared.rows_accepted == 0
        label = f"Import {prepared.rows_accepted:,} rows into {prepared.table}"
        st.button(
            label,
            key=K_COMMIT,
            type="primary",
            disabled=blocked,
            icon="📥",
            on_click=_commit,
            args=(store, prepared, mode, name.strip(), folder, ds),
        )
    failed = st.session_state.pop(K_FAILED, None)
    if failed:
        st.error(f"**Nothing was imported.** {md(failed)}", icon="🚫")


def _commit(store, prepared: importer.Prepared, mode: str, name: str, folder, ds: Dataset) -> None:
    """Commit the import, then record it in the audit log (a button callback, run before the rerun)."""
    ctx = st.session_state.get(CONTEXT_KEY)
    if ctx is None or not ctx.access.can_import:
        st.session_state[K_FAILED] = "imports need the analyst role"
        return
    saved_name = name if name and (folder / profiles.file_name(name)).exists() else None
    try:
        entry = store.commit(prepared, mode, saved_name)
    except DataError as exc:
        st.session_state[K_FAILED] = str(exc)
        return
    st.session_state[K_DONE] = (
        f"Imported {entry.accepted:,} rows from {entry.file} into {entry.written}"
        + (f" ({entry.updated:,} rows with the same id replaced)" if entry.updated else "")
        + f"; {entry.rejected:,} rejected. The dashboard now shows the new data."
    )
    problem = record_import(ctx.settings, ctx.access, entry)
    if problem:
        st.session_state[K_DONE] += f" It could not be recorded in the audit log: {problem}."
    st.session_state.pop(K_PREPARED, None)
    _show_all_new_data(ds, prepared, mode)


def _show_all_new_data(ds: Dataset, prepared: importer.Prepared, mode: str) -> None:
    """After an import, set the sidebar's period to the default of the data as it now is, so that the new
    rows are in view (in the button's callback: before the period widget is drawn again)."""
    firsts, lasts = [], []
    for table, column in (("events", "start"), ("responses", "submitted"), ("concerns", "raised")):
        frames = [] if (mode == "replace" and table == prepared.table) else [getattr(ds, table)]
        if table == prepared.table:
            frames.append(prepared.accepted)
        for frame in frames:
            if frame is not None and len(frame) and column in frame:
                values = pd.to_datetime(frame[column]).dropna()
                if len(values):
                    firsts.append(values.min())
                    lasts.append(values.max())
    if not firsts:
        return
    st.session_state[PERIOD_KEY] = default_period(min(firsts).date(), max(lasts).date())


# --- the import log and the filtered download ------------------------------------------------------


def log_section(settings: Settings) -> None:
    """Every import committed to the source: when, file, table, rows accepted and rejected, mapping."""
    try:
        entries = open_store(settings.data).read_log()
    except DataError as exc:
        st.warning(md(str(exc)), icon="⚠️")
        return
    if not entries:
        st.info("No file has been imported into this data source yet.", icon="ℹ️")
        return
    frame = log_frame(entries).rename(columns={"rows_read": "rows read", "duplicates": "repeated"})
    st.dataframe(frame, hide_index=True, key=P + "log")


def filtered_download(ctx: PageContext) -> None:
    """Download the rows of one table the sidebar filters select (in SQL for a database; staff, recorded)."""
    settings, ds, filters = ctx.settings, ctx.ds, ctx.filters
    tables = [t for t in ("events", "responses", "concerns", "area_scores", "attendees") if ds.has(t)]
    if not ctx.rows or not tables:
        return
    table = st.selectbox(
        "Rows the filters select",
        tables,
        index=None,
        placeholder="Choose a table to download",
        key=K_DOWNLOAD_TABLE,
    )
    if table is None:
        return
    rows = filtered_rows(settings.data, ds, table, filters)
    if rows is None:
        st.warning(f"The {table} table could not be read.", icon="⚠️")
        return
    csv_download(
        rows,
        f"Download {len(rows):,} {table} rows (CSV)",
        table,
        filters.start,
        filters.end,
        key="data_filtered_download",
        record=row_record(ctx, f"{table} rows the filters select (Data page)"),
    )
