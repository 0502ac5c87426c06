"""The Data page's import: upload, choose the table, map columns, preview, report, commit; and the import log.

The Streamlit side of cpdash.importer (which does the work, the same as `python -m cpdash import`).
Every widget key starts with `data_import_`. The mapping widgets have fixed keys; when the file, its
sheet, the table or the chosen mapping changes, their values are reset to that mapping.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from cpdash.config import Settings
from cpdash.data.database import filtered_rows
from cpdash.data.dataset import Dataset
from cpdash.data.load import source_signature
from cpdash.data.readers import DataError
from cpdash.data.schema import PROGRAMS, SCORE_METRICS, TABLES
from cpdash.importing import importer, profiles, transforms
from cpdash.importing.store import log_frame, open_store
from cpdash.metrics.periods import Filters, default_period
from cpdash.ui.components import csv_download
from cpdash.ui.filters import PERIOD_KEY
from cpdash.views.format import markdown_text as md

P = "data_import_"
K_FILE, K_SHEET, K_TABLE, K_PROFILE = P + "file", P + "sheet", P + "table", P + "profile"
K_SHAPE, K_MODE, K_COMMIT, K_SAVE_NAME, K_SAVE = (
    P + "shape",
    P + "mode",
    P + "commit",
    P + "save_name",
    P + "save",
)
K_PROGRAM_FROM, K_AREA_FROM, K_ID_FROM = P + "program_from", P + "area_from", P + "id_from"
K_WIDE_START, K_WIDE_END, K_WIDE_SCALE, K_WIDE_COUNT = (
    P + "wide_start",
    P + "wide_end",
    P + "wide_scale",
    P + "wide_count",
)
K_WIDE_FORMAT = P + "wide_date_format"
K_BASIS, K_UPLOAD, K_PREPARED, K_DONE = P + "basis", P + "upload_cache", P + "prepared_cache", P + "done"
K_MEMO, K_FAILED = P + "memo", P + "failed"
K_DOWNLOAD_TABLE = "data_filtered_table"
NONE = "—"
SUGGESTED = "Suggested mapping"
MAX_UPLOAD_MB = importer.MAX_UPLOAD_BYTES // (1024 * 1024)
REJECTED_SHOWN = 500
LEVELS = ("beat", "sector", "district", "area")


def _col(name: str) -> str:
    return f"{P}col_{name}"


def _fmt(name: str) -> str:
    return f"{P}date_format_{name}"


def _time(name: str) -> str:
    return f"{P}time_{name}"


def _scale(name: str) -> str:
    return f"{P}scale_{name}"


def _level(name: str) -> str:
    return f"{P}level_{name}"


# --- the import tab --------------------------------------------------------------------------------


def import_section(ds: Dataset, settings: Settings) -> None:
    """Upload a file and take it through mapping, preview, report and commit."""
    if settings.public:
        st.info("Imports are made in the staff deployment; this public view only shows the data.", icon="ℹ️")
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
        "Bring an export in as it is: a survey tool's CSV, a calendar, a vendor's score table, a "
        "spreadsheet. Choose the table it holds, check the suggested mapping of its columns, look at the "
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
        for key in (K_UPLOAD, K_PREPARED, K_MEMO, K_BASIS, K_SHEET, K_TABLE, K_PROFILE):
            st.session_state.pop(key, None)  # the file was removed: forget it
        return
    upload = _read(uploaded)
    if upload is None:
        return
    for note in upload.notes:
        st.caption(md(note))
    if upload.bad_rows:
        st.warning(
            f"{len(upload.bad_rows):,} rows of {md(upload.name)} could not be split into cells (a stray quote, "
            "or more cells than the header); they are listed with the rejected rows below.",
            icon="⚠️",
        )

    profiles_folder = profiles.profiles_folder(settings.data)
    top = st.columns([1, 1, 1.4]) if len(upload.sheets) > 1 else st.columns([1, 1.4])
    if len(upload.sheets) > 1:
        top[0].selectbox("Sheet", list(upload.sheets), key=K_SHEET, help="The workbook has several sheets.")
        if st.session_state.get(K_SHEET) != upload.sheet:
            st.rerun()  # read the chosen sheet
    table_col, profile_col = top[-2], top[-1]
    file_key = (uploaded.file_id, upload.sheet)
    if K_TABLE not in st.session_state:
        st.session_state[K_TABLE] = _memo(file_key, "table", lambda: importer.suggest_table(upload))
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

    signature = source_signature(settings.data)
    context = _memo(file_key, ("context", signature), lambda: importer.context_from_dataset(ds))
    base = by_name.get(choice) or _memo(
        file_key, ("profile", table, signature), lambda: importer.suggest_profile(upload, table, context)
    )
    basis = (uploaded.file_id, upload.sheet, table, choice)
    if st.session_state.get(K_BASIS) != basis:
        _reset(base, upload)
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

    suggestions = _memo(file_key, ("columns", table), lambda: importer.suggest_columns(upload.frame, table))
    with st.expander("Columns and transforms", expanded=choice == SUGGESTED):
        profile = _mapping_widgets(upload, table, base, suggestions)
    profile.name = base.name

    prepared = _prepare(upload, profile, context, settings, uploaded.file_id)
    if prepared is None:
        return
    _report(prepared, ds)
    _save_and_commit(prepared, profile, store, profiles_folder, ds)


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
        st.session_state.pop(K_SHEET, None)
        st.session_state.pop(K_TABLE, None)
        st.session_state.pop(K_PROFILE, None)
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


def _reset(profile: profiles.Profile, upload: importer.Upload) -> None:
    """Set every mapping widget to what `profile` says (for a new file, table or mapping)."""
    state = st.session_state
    columns = set(upload.frame.columns)

    def pick(value: str | None) -> str:
        return value if value in columns else NONE

    for key in [
        k
        for k in state
        if isinstance(k, str)
        and k.startswith(P)
        and k.split(P, 1)[1].startswith(
            ("col_", "date_format_", "time_", "scale_", "level_", "rules_", "wide_")
        )
    ]:
        del state[key]
    for column in TABLES[profile.table].columns:
        state[_col(column.name)] = pick(profile.columns.get(column.name))
        state[_fmt(column.name)] = profile.date_formats.get(column.name, transforms.AUTO)
        state[_time(column.name)] = pick(profile.time_columns.get(column.name))
        state[_scale(column.name)] = profile.scales.get(column.name, "0-10")
    state[K_PROGRAM_FROM] = pick(profile.program_from)
    state[K_AREA_FROM] = pick(profile.area_from)
    state[K_ID_FROM] = [c for c in profile.id_from if c in columns]
    state[K_SHAPE] = "wide" if profile.wide is not None else "long"
    wide = profile.wide or transforms.suggest_wide(upload.frame.head(importer.SAMPLE_ROWS))
    state[K_WIDE_START] = pick(wide.period_start)
    state[K_WIDE_END] = pick(wide.period_end)
    state[K_WIDE_SCALE] = wide.value_scale
    state[K_WIDE_COUNT] = pick(wide.count)
    state[K_WIDE_FORMAT] = wide.date_format
    for level in LEVELS:
        state[_level(level)] = pick(wide.levels.get(level))


def _token(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:8]


def _mapping_widgets(
    upload: importer.Upload, table: str, base: profiles.Profile, suggestions: dict[str, importer.Suggestion]
) -> profiles.Profile:
    """The mapping as the widgets say: a contract column per source column, and the transforms."""
    sources = [NONE, *upload.frame.columns]
    profile = profiles.Profile(
        name=base.name, table=table, sheet=upload.sheet, program_rules=base.program_rules
    )
    if table == "area_scores":
        shape = st.radio(
            "Shape of the file",
            ["long", "wide"],
            key=K_SHAPE,
            horizontal=True,
            format_func={
                "long": "one row per figure (metric and value columns)",
                "wide": "one column per score and breakdown (a vendor's table)",
            }.get,
        )
        if shape == "wide":
            profile.wide = _wide_widgets(upload, sources, base)
            return profile
    spec = TABLES[table]
    st.markdown("**Columns** — the file's column for each column of the table (— for none)")
    grid = st.columns(4)
    for i, column in enumerate(spec.columns):
        hint = suggestions.get(column.name)
        help_text = column.description + (f". Suggested: '{hint.source}' ({hint.why})" if hint else "")
        choice = grid[i % 4].selectbox(
            column.name + (" *" if column.required else ""), sources, key=_col(column.name), help=help_text
        )
        if choice != NONE:
            profile.columns[column.name] = choice
    made = []
    state = st.session_state
    if table == "events" and state.get(K_PROGRAM_FROM, NONE) != NONE and "program" not in profile.columns:
        made.append(f"program from the words in '{state[K_PROGRAM_FROM]}' by the rules")
    if "area_id" in spec.names and state.get(K_AREA_FROM, NONE) != NONE and "area_id" not in profile.columns:
        made.append(f"area_id from the place named in '{state[K_AREA_FROM]}'")
    if spec.key and spec.key not in profile.columns and state.get(K_ID_FROM):
        made.append(f"{spec.key} built from {len(state[K_ID_FROM])} columns")
    st.caption(
        "\\* required: each needs a column, or a transform below that makes it."
        + (" Made below: " + md("; ".join(made)) + "." if made else "")
    )

    st.markdown("**Transforms**")
    left, right = st.columns(2)
    for column in spec.columns:
        if column.kind in ("date", "datetime") and column.name in profile.columns:
            profile.date_formats[column.name] = left.selectbox(
                f"Dates in '{profile.columns[column.name]}'",
                list(transforms.DATE_CHOICES),
                key=_fmt(column.name),
                format_func=transforms.DATE_CHOICES.get,
                help="Times without a time zone are kept as the local times they are.",
            )
            if column.kind == "datetime":
                time_source = right.selectbox(
                    f"Time of day for {column.name} (when the date has none)", sources, key=_time(column.name)
                )
                if time_source != NONE:
                    profile.time_columns[column.name] = time_source
        if table == "responses" and column.name in SCORE_METRICS and column.name in profile.columns:
            profile.scales[column.name] = left.selectbox(
                f"Answers in '{profile.columns[column.name]}' are on",
                list(transforms.SCALES),
                key=_scale(column.name),
                format_func=transforms.SCALES.get,
                help="Answers are stored on 0 to 10; the rule is recorded with the import.",
            )
    if "area_id" in spec.names:
        area_from = right.selectbox(
            "Area from the place named in",
            sources,
            key=K_AREA_FROM,
            help="For exports with a free-text location and no area column: an area's name, or words such as "
            "'District 7', in this column give the area. Rows naming no area are rejected with their reason.",
        )
        profile.area_from = None if area_from == NONE else area_from
    if spec.key and spec.key not in profile.columns:
        profile.id_from = right.multiselect(
            f"Build {spec.key} from",
            list(upload.frame.columns),
            key=K_ID_FROM,
            help="The file has no id column: rows with the same values in these columns get the same id, "
            "and repeated rows are removed and counted.",
        )
    if table == "events":
        program_from = left.selectbox(
            "Program from the words in",
            sources,
            key=K_PROGRAM_FROM,
            help="Titles such as '2514 Beat Meeting' or 'Coffee With The Commander' give the program by the "
            "rules below (the first that matches wins); titles no rule matches count as Other.",
        )
        profile.program_from = None if program_from == NONE else program_from
        if profile.program_from:
            st.caption(
                f"Program rules for '{md(profile.program_from)}': the first rule whose words the title holds "
                "wins (case and punctuation ignored). Add, change or delete rows; they are saved with the mapping."
            )
            rules = pd.DataFrame(
                [(r.words, r.program) for r in base.program_rules], columns=["words", "program"]
            )
            edited = st.data_editor(
                rules,
                key=f"{P}rules_{_token(st.session_state.get(K_BASIS))}",
                num_rows="dynamic",
                hide_index=True,
                column_config={
                    "words": st.column_config.TextColumn("Title contains", required=True),
                    "program": st.column_config.SelectboxColumn(
                        "Program", options=list(PROGRAMS), required=True
                    ),
                },
            )
            profile.program_rules = transforms.rules_from_rows(edited)
    return profile


def _wide_widgets(upload: importer.Upload, sources: list[str], base: profiles.Profile) -> transforms.WideSpec:
    """The reading of a wide score table as the widgets say."""
    wide = base.wide or transforms.suggest_wide(upload.frame.head(importer.SAMPLE_ROWS))
    spec = transforms.WideSpec(levels={})
    row = st.columns(4)
    start = row[0].selectbox("Period start", sources, key=K_WIDE_START)
    end = row[1].selectbox("Period end", sources, key=K_WIDE_END, help="— : each period ends with its month.")
    spec.period_start = None if start == NONE else start
    spec.period_end = None if end == NONE else end
    spec.date_format = row[2].selectbox(
        "Dates", list(transforms.DATE_CHOICES), key=K_WIDE_FORMAT, format_func=transforms.DATE_CHOICES.get
    )
    spec.value_scale = row[3].selectbox(
        "Scores are on",
        list(transforms.VALUE_SCALES),
        key=K_WIDE_SCALE,
        format_func=transforms.VALUE_SCALES.get,
    )
    st.markdown(
        "**Area columns** — a row's level is the most specific one filled in; a row with all of them blank "
        "is a figure for the whole city."
    )
    row = st.columns(5)
    for i, level in enumerate(LEVELS):
        chosen = row[i].selectbox(level.capitalize(), sources, key=_level(level))
        if chosen != NONE:
            spec.levels[level] = chosen
    count = row[4].selectbox("Responses (n)", sources, key=K_WIDE_COUNT)
    spec.count = None if count == NONE else count
    st.markdown(
        "**Score columns** — what each column holds (leave the metric blank for columns that are not scores)"
    )
    table = pd.DataFrame(
        [
            {
                "column": c,
                "metric": wide.values.get(c, ("", ""))[0] or None,
                "group": wide.values.get(c, ("", ""))[1],
            }
            for c in upload.frame.columns
            if c not in (spec.period_start, spec.period_end, spec.count, *spec.levels.values())
        ]
    )
    edited = st.data_editor(
        table,
        key=f"{P}wide_values_{_token(st.session_state.get(K_BASIS))}",
        hide_index=True,
        disabled=["column"],
        column_config={
            "column": st.column_config.TextColumn("Column"),
            "metric": st.column_config.SelectboxColumn("Metric", options=list(SCORE_METRICS)),
            "group": st.column_config.TextColumn("Breakdown (e.g. 'age: 18-34'; blank for everyone)"),
        },
    )
    for record in edited.to_dict("records"):
        if record.get("metric") in SCORE_METRICS:
            spec.values[str(record["column"])] = (
                str(record["metric"]),
                str(record.get("group") or "").strip(),
            )
    spec.counts = {c: n for c, n in wide.counts.items() if c in spec.values}
    return spec


def _prepare(
    upload: importer.Upload,
    profile: profiles.Profile,
    context: importer.Context,
    settings: Settings,
    file_id: str,
) -> importer.Prepared | None:
    """The mapped and validated upload, computed again only when the file, mapping or data change."""
    key = (file_id, upload.sheet, profiles.profile_json(profile), source_signature(settings.data))
    cached = st.session_state.get(K_PREPARED)
    if cached and cached[0] == key:
        return cached[1]
    try:
        prepared = importer.prepare(upload, profile, context)
    except DataError as exc:
        st.error(f"**The mapping cannot be applied yet.** {md(str(exc))}", icon="🧩")
        return None
    st.session_state[K_PREPARED] = (key, prepared)
    return prepared


def _report(prepared: importer.Prepared, ds: Dataset) -> None:
    """The preview (rows as stored) and the validation report, before anything is committed."""
    st.subheader("Preview", anchor=False)
    st.caption(
        f"The first {min(importer.PREVIEW_ROWS, prepared.rows_accepted)} accepted rows, as they will be stored."
    )
    preview = prepared.preview(ds.areas if len(ds.areas) else None)
    st.dataframe(preview, hide_index=True, key=P + "preview")
    st.subheader("Validation report", anchor=False)
    if prepared.profile.wide is not None:
        st.caption(
            f"{prepared.source_rows:,} rows of the file give {prepared.rows_read:,} figures, one per score."
        )
    cells = st.columns(4)
    cells[0].metric("Rows read", f"{prepared.rows_read:,}", border=True)
    cells[1].metric("Accepted", f"{prepared.rows_accepted:,}", border=True)
    cells[2].metric("Rejected", f"{prepared.rows_rejected:,}", border=True)
    cells[3].metric("Repeated rows removed", f"{prepared.duplicates:,}", border=True)
    for error in prepared.report.errors:
        st.error(md(error))
    for warning in prepared.report.warnings:
        st.warning(md(warning), icon="⚠️")
    transforms_text = prepared.profile.transforms_text()
    if prepared.notes or transforms_text:
        with st.expander(f"What the import does to the file ({len(prepared.notes) + len(transforms_text)})"):
            for line in [*transforms_text, *prepared.notes]:
                st.markdown(f"- {md(line)}")
    if len(prepared.rejected):
        left, right = st.columns([1, 2])
        left.dataframe(importer.reason_counts(prepared.rejected), hide_index=True, key=P + "reasons")
        right.dataframe(prepared.rejected.head(REJECTED_SHOWN), hide_index=True, key=P + "rejected")
        csv_download(
            prepared.rejected,
            f"Download the {len(prepared.rejected):,} rejected and repeated rows with their reasons (CSV)",
            "rejected",
            prepared.table,
            prepared.file,
            key=P + "download_rejected",
        )
    else:
        st.success("Every row of the file was accepted.", icon="✅")


def _save_and_commit(
    prepared: importer.Prepared, profile: profiles.Profile, store, folder, ds: Dataset
) -> None:
    """Save the mapping for next time; import the accepted rows."""
    st.subheader("Import", anchor=False)
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
    """Commit the import (a button callback: it runs before the rerun that shows the new data)."""
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


def filtered_download(settings: Settings, ds: Dataset, filters: Filters) -> None:
    """Download the rows of one table that the sidebar filters select (in SQL, for a database source)."""
    tables = [t for t in ("events", "responses", "concerns", "area_scores", "attendees") if ds.has(t)]
    if settings.public or not tables:
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
    )
