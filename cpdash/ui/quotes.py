"""The Data page's quotes for town halls (staff): approve and withdraw the comments a public-safe town hall
may quote; the approvals are stored with the data (cpdash.data.approvals)."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from cpdash.config import Settings
from cpdash.data.approvals import Approvals
from cpdash.ui.context import PageContext
from cpdash.views import town_hall_quotes as view
from cpdash.views.format import markdown_text

FAILED_KEY = "data_quotes_failed"


def _act(action, *args: object) -> None:
    """Run an approve / withdraw; when the store cannot be written, keep a message (never a traceback or
    the source's address) for the next run."""
    try:
        action(*args)
    except (OSError, ValueError, sa.exc.SQLAlchemyError) as exc:
        st.session_state[FAILED_KEY] = (
            f"The approval could not be stored ({type(exc).__name__}); nothing changed."
        )


def approved_quotes(settings: Settings) -> frozenset[str]:
    """The keys of the quotes approved for publication (read on every run: approvals change without the
    data changing)."""
    return Approvals(settings.data).keys()


def quotes_section(ctx: PageContext) -> None:
    """List an area's quotable comments with approve / withdraw, then every approved quote (staff only)."""
    if ctx.public:
        return
    store = Approvals(ctx.settings.data)
    approvals = store.read()
    if failed := st.session_state.pop(FAILED_KEY, None):
        st.error(failed)
    st.markdown(view.ABOUT)
    areas = sorted(ctx.names, key=lambda a: str(ctx.names[a]).lower())
    if not areas:
        st.info("The data has no areas: there is nothing to quote.")
        return
    area = st.selectbox("Area", areas, format_func=lambda a: str(ctx.names.get(a, a)), key="data_quotes_area")
    table = view.candidates(ctx.ds, area, ctx.filters, frozenset(approvals))
    if table.empty:
        st.info("No comment from this area in the period is long enough to quote.")
    for row in table.itertuples():
        text, action = st.columns([6, 1])
        text.markdown(
            f"> {markdown_text(row.quote)}  \n{row.submitted}" + (" · **approved**" if row.approved else "")
        )
        if row.approved:
            action.button(
                "Withdraw",
                key=f"data_quotes_withdraw_{row.key}",
                on_click=_act,
                args=(store.withdraw, row.key),
            )
        else:
            action.button(
                "Approve",
                key=f"data_quotes_approve_{row.key}",
                on_click=_act,
                args=(store.approve, row.key, area, row.quote, approver(ctx)),
            )
    st.markdown(f"**Approved for publication** ({len(approvals):,})")
    listed = view.approved_table(approvals, ctx.names)
    if listed.empty:
        st.caption("No quote is approved yet: public-safe town halls quote none.")
        return
    st.dataframe(listed.drop(columns="key"), hide_index=True, key="data_quotes_approved")
    chosen = st.selectbox(
        "Withdraw an approved quote",
        [None, *listed["key"]],
        format_func=lambda k: "—" if k is None else str(listed.set_index("key").loc[k, "Quote"])[:80],
        key="data_quotes_withdraw_choice",
    )
    if chosen is not None and st.button("Withdraw it", key="data_quotes_withdraw_chosen"):
        _act(store.withdraw, chosen)
        st.rerun()


def approver(ctx: PageContext) -> str:
    """Who approves: the signed-in user's e-mail or name, else "staff" (no sign-in configured)."""
    who = ctx.access.who
    return (who.email or who.name or who.subject or "staff") if who.signed_in else "staff"
