"""The Data page's import report: the suggestions with their confidence and reason, the preview as stored,
the counts, rejected rows by reason, conflicting rows side by side with the choice of which to keep, rows
already stored under another id with the choice to skip them, and the titles left to Other with a one-click
way to add a title rule."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cpdash.data.dataset import Dataset
from cpdash.data.programs import OTHER, PROGRAM_FAMILIES, Taxonomy, TaxonomyError, add_rule
from cpdash.importing.conflicts import POLICIES
from cpdash.importing.prepared import Prepared, blame, reason_counts
from cpdash.importing.propose import Suggested
from cpdash.importing.upload import PREVIEW_ROWS
from cpdash.ui.components import csv_download
from cpdash.views.format import markdown_text as md

P = "data_import_"
K_ON_CONFLICT, K_SKIP_OVERLAPS = P + "on_conflict", P + "skip_overlaps"
K_OTHER, K_ADD_RULES, K_RULE_NOTE = P + "other_titles", P + "add_rules", P + "rule_note"
K_NEW_NAME, K_NEW_FAMILY, K_NEW_WORDS, K_NEW_ADD = (
    P + "new_program",
    P + "new_family",
    P + "new_words",
    P + "new_add",
)
REJECTED_SHOWN = 500
CONFLICTS_SHOWN = 200
MAX_REJECTED = 20.0


def suggestions(suggested: Suggested) -> None:
    """What the page proposed for each column, how sure it is, and why."""
    table = suggested.table()
    if table.empty:
        return
    with st.expander(f"How the mapping was proposed ({len(table)} columns)", expanded=False):
        st.dataframe(
            table,
            hide_index=True,
            key=P + "suggestions",
            column_config={
                "confidence": st.column_config.ProgressColumn(
                    "Confidence", min_value=0, max_value=100, format="%d %%"
                ),
                "why": st.column_config.TextColumn("Why", width="large"),
            },
        )


def choices() -> tuple[str, bool]:
    """The choices the report offers (read before preparing): which conflicting row to keep, skip overlaps."""
    return st.session_state.get(K_ON_CONFLICT, "keep-first"), bool(
        st.session_state.get(K_SKIP_OVERLAPS, False)
    )


def report(prepared: Prepared, ds: Dataset) -> None:
    """The preview (rows as stored) and the validation report, before anything is committed."""
    st.header("Preview", anchor=False)
    st.caption(
        f"The first {min(PREVIEW_ROWS, prepared.rows_accepted)} accepted rows, as they will be stored."
    )
    preview = prepared.preview(ds.areas if len(ds.areas) else None)
    st.dataframe(preview, hide_index=True, key=P + "preview")
    st.header("Validation report", anchor=False)
    if prepared.profile.wide is not None:
        st.caption(
            f"{prepared.source_rows:,} rows of the file give {prepared.rows_read:,} figures, one per score."
        )
    elif prepared.profile.dissolve_by:
        st.caption(f"{prepared.source_rows:,} shapes of the file dissolved into {prepared.rows_read:,}.")
    cells = st.columns(5 if prepared.skipped else 4)
    cells[0].metric("Rows read", f"{prepared.rows_read:,}", border=True)
    cells[1].metric("Accepted", f"{prepared.rows_accepted:,}", border=True)
    cells[2].metric("Rejected", f"{prepared.rows_rejected:,}", border=True)
    cells[3].metric("Repeated rows removed", f"{prepared.duplicates:,}", border=True)
    if prepared.skipped:
        cells[4].metric("Skipped: already stored", f"{prepared.skipped:,}", border=True)
    if prepared.rejected_share > MAX_REJECTED:
        culprit = blame(prepared)
        st.warning(
            f"{prepared.rejected_share:.0f} % of the rows would be rejected."
            + (
                f" Most to blame: **{md(culprit[0])}** (from {md(culprit[1])}), {culprit[2]:,} rows, such as "
                f"“{md(culprit[3][:120])}”. Check that column's mapping above."
                if culprit
                else ""
            ),
            icon="⚠️",
        )
    for error in prepared.report.errors:
        st.error(md(error))
    for warning in prepared.report.warnings:
        st.warning(md(warning), icon="⚠️")
    transforms_text = prepared.profile.transforms_text()
    if prepared.notes or transforms_text:
        with st.expander(f"What the import does to the file ({len(prepared.notes) + len(transforms_text)})"):
            for line in [*transforms_text, *prepared.notes]:
                st.markdown(f"- {md(line)}")
    _conflicts(prepared)
    _overlaps(prepared)
    if len(prepared.rejected):
        left, right = st.columns([1, 2])
        left.dataframe(reason_counts(prepared.rejected), hide_index=True, key=P + "reasons")
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


def _conflicts(prepared: Prepared) -> None:
    if not prepared.conflict_count:
        return
    what = "ids" if prepared.table != "area_scores" else "figures"
    st.markdown(
        f"**Conflicting rows** — {prepared.conflict_count:,} {what} given different values by more than one row "
        "(shown side by side). Which to keep?"
    )
    st.radio("On conflict", list(POLICIES), key=K_ON_CONFLICT, format_func=POLICIES.get, horizontal=True)
    st.dataframe(prepared.conflicts.head(CONFLICTS_SHOWN), hide_index=True, key=P + "conflicts")


def _overlaps(prepared: Prepared) -> None:
    if not len(prepared.overlaps):
        return
    st.markdown(
        f"**Already stored?** {len(prepared.overlaps):,} rows look like events already stored under another id "
        "(the same area, starting within an hour, a similar title): a second export of the same calendar, say."
    )
    st.checkbox(
        f"Skip these {len(prepared.overlaps):,} rows",
        key=K_SKIP_OVERLAPS,
        help="They are listed with the rejected rows, with the stored event each matches.",
    )
    st.dataframe(prepared.overlaps.head(CONFLICTS_SHOWN), hide_index=True, key=P + "overlaps")


def other_titles(prepared: Prepared, taxonomy: Taxonomy, source: str, writable: bool) -> None:
    """The titles left to Other, most frequent first, each with a program to choose and one button that adds
    the chosen rules to the department's programs file; and a new program, with its family."""
    if prepared.table != "events" or not len(prepared.other_titles):
        return
    note = st.session_state.pop(K_RULE_NOTE, None)
    if note:
        st.success(md(note), icon="🏷️")
    titles = prepared.other_titles.assign(program=None)
    st.markdown(
        f"**Titles counted as Other** ({int(titles['rows'].sum()):,} rows), most frequent first. Choose a program "
        "for any of them and add the rules: they are kept in the department's programs file and used from now on."
    )
    edited = st.data_editor(
        titles,
        key=f"{K_OTHER}_{prepared.file}_{len(titles)}",
        hide_index=True,
        disabled=["rows", "example"],
        column_config={
            "words": st.column_config.TextColumn("Rule: the title holds", required=True),
            "rows": st.column_config.NumberColumn("Rows"),
            "example": st.column_config.TextColumn("For example"),
            "program": st.column_config.SelectboxColumn(
                "Program", options=[n for n in taxonomy.names if n != OTHER]
            ),
        },
    )
    chosen = [
        (w, p) for w, p in zip(edited["words"], edited["program"], strict=True) if isinstance(p, str) and w
    ]
    st.button(
        f"Add {len(chosen)} title rule{'s' if len(chosen) != 1 else ''}",
        key=K_ADD_RULES,
        disabled=not chosen or not writable,
        icon="🏷️",
        on_click=_add_rules,
        args=(source, chosen),
        help=None if writable else "The synthetic sample city is not changed.",
    )
    with st.expander("A program the list does not have"):
        cells = st.columns(3)
        name = cells[0].text_input("Program", key=K_NEW_NAME, placeholder="Peer jury")
        family = cells[1].selectbox("Family", list(PROGRAM_FAMILIES), key=K_NEW_FAMILY)
        words = cells[2].text_input("Titles holding the words", key=K_NEW_WORDS, placeholder="Peer Jury")
        st.button(
            "Add the program and its rule",
            key=K_NEW_ADD,
            disabled=not (name.strip() and words.strip()) or not writable,
            on_click=_add_rules,
            args=(source, [(words, name)], family),
        )


def _add_rules(source: str, chosen: list[tuple[str, str]], family: str | None = None) -> None:
    """Add title rules to the programs file (a button callback: the next run prepares with them)."""
    try:
        for words, program in chosen:
            add_rule(source, words, program, family)
    except (TaxonomyError, OSError) as exc:
        st.session_state[K_RULE_NOTE] = f"The rule was not added: {exc}"
        return
    st.session_state[K_RULE_NOTE] = (
        f"Added {len(chosen)} title rule{'s' if len(chosen) != 1 else ''}: "
        + ", ".join(f"'{w}' → {p}" for w, p in chosen)
    )


def rules_list(taxonomy: Taxonomy) -> pd.DataFrame:
    """Every title rule in the order tried, with whose it is."""
    own = taxonomy.own_rules
    return pd.DataFrame(
        [(r.words, r.program, "department" if i < own else "built-in") for i, r in enumerate(taxonomy.rules)],
        columns=["title holds", "program", "rule of"],
    )
