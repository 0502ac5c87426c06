"""You said, we did: what became of residents' concerns, by area and topic, with the open backlog."""

import streamlit as st

from cpdash import ui
from cpdash.charts import follow_through as charts
from cpdash.export.safe_csv import file_name
from cpdash.views import you_said as ys
from cpdash.views.format import markdown_text as md

ctx = ui.page_context()
f = ctx.filters
top, backlog = ui.get_you_said(ctx.settings, ctx.src, ctx.ds, f, ctx.policy, ctx.compare)
ui.page_header("You said, we did", ctx, top.intro)
if not top.available:
    ui.empty_state(ys.NEEDS)
    st.stop()


def download(label: str, make, name: tuple, key: str, what: str | None = None) -> None:
    """A CSV download built only when clicked (a row-level one, `what`, recorded in the audit log then)."""
    record = ui.row_record(ctx, what) if what else None
    st.download_button(
        label,
        ui.csv_file(make, record),
        file_name=file_name(*name, f.start, f.end),
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


for row in (top.cards[:3], top.cards[3:]):
    for column, card in zip(st.columns(3), row, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
if top.notes:
    st.caption("  \n".join(top.notes))  # the view's own words (Markdown), no data in them

st.header("By area and by topic", anchor=False)
label = (
    st.segmented_control("Group by", list(ys.GROUPINGS), default="Area", required=True, key="you_said_by")
    or "Area"
)
group = ui.get_you_said_group(ctx.settings, ctx.src, f, label, ctx.compare, ctx.policy)
state = (f, ctx.policy, ctx.compare)  # what the views depend on: their figures are kept with them
status = ui.get_figure(
    ctx.settings, "you_said_status", (*state, label), lambda: charts.status_chart(group.table, group.label)
)
st.plotly_chart(status, key="you_said_status_chart")
table = st.expander(
    f"Table: every {group.label.lower()}, with the compared period",
    key="you_said_status_more",
    on_change="rerun",
)
if table.open:  # drawn only while open: a table of every area is a cost of every rerun
    with table:
        st.dataframe(group.view, hide_index=True, key="you_said_status_table")
        download(
            "Download this table (CSV)",
            lambda: group.view,
            ("follow-through-by", label),
            "you_said_status_csv",
        )

st.header("Still open, oldest first", anchor=False)
if backlog.rows.empty:
    ui.empty_state(backlog.empty)
else:
    left, right = st.columns([2, 3])
    ages = ui.get_figure(ctx.settings, "you_said_ages", state, lambda: charts.backlog_age_chart(backlog.ages))
    left.plotly_chart(ages, key="you_said_backlog_chart")
    right.dataframe(backlog.shown, hide_index=True, height=320, key="you_said_backlog_table")
    if backlog.caption:
        right.caption(backlog.caption)
    if top.downloads:
        with right:
            download(
                f"Download all {len(backlog.rows):,} open concerns (CSV)",
                lambda: ys.backlog_frame(backlog),
                ("open-concerns",),
                "you_said_backlog_csv",
                f"{len(backlog.rows):,} open concerns (You said, we did)",
            )

st.header("You said, we did", anchor=False)
topic = st.selectbox("Topic", top.topics, key="you_said_card_topic")
done = ui.get_you_said_resolved(ctx.settings, ctx.src, ctx.ds, f, topic, ctx.policy)
if not done.cards:
    ui.empty_state(done.empty)
else:
    st.caption(done.caption)
    columns = st.columns(3)
    for i, card in enumerate(done.cards):
        days = f" · after {card.days} days" if card.days is not None else ""
        columns[i % 3].container(border=True).markdown(
            f"**You said** · {md(card.topic)} · {card.raised:%-d %b %Y} · {md(card.area)}\n\n"
            + (md(card.said) if card.said else f"_{md(card.topic)}_")
            + f"\n\n**We did** · {card.resolved:%-d %b %Y}{days}\n\n"
            + (md(card.did) if card.did else "_No action was recorded._")
        )
    if top.downloads:
        download(
            f"Download all {done.total:,} resolved concerns (CSV)",
            lambda: ys.resolved_frame(ui.get_concern_table(ctx.settings, ctx.ds), f, ctx.names, topic),
            ("resolved-concerns",),
            "you_said_cards_csv",
            f"{done.total:,} resolved concerns, topic {topic} (You said, we did)",
        )
