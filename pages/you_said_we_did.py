"""You said, we did: what became of residents' concerns, by area and topic, with the open backlog."""

import streamlit as st

from cpdash import ui
from cpdash.charts import follow_through as charts
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.views import you_said as ft
from cpdash.views.format import markdown_text as md

ds = ui.get_dataset(ui.get_settings())
filters = ui.current_filters()
previous = filters.previous()

ui.page_header(
    "You said, we did",
    ui.page_context(),
    "Concerns residents raised, what was done about them and what is still open. Changes compare with "
    f"the {filters.days} days before ({previous.start:%-d %b %Y} – {previous.end:%-d %b %Y}).",
)
if not ds.has("concerns"):
    ui.empty_state(
        "This page needs a `concerns` table: one row per concern residents raised, with `concern_id`, "
        "`raised` (a date), `area_id` and `topic`. Add `status` (open, in progress, resolved, declined), "
        "`resolved` (a date) and `action` to show what was done and how fast. The Data page describes it."
    )
    st.stop()

comparison = ft.compare(ds.concerns, filters)
cards = ft.kpis(comparison, filters)
for row in (cards[:3], cards[3:]):
    for column, card in zip(st.columns(3), row, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
notes = [card.note for card in cards if card.note]
notes += [n for n in (ft.missing_dates_note(comparison), ft.missing_columns_note(ds.concerns)) if n]
if notes:
    st.caption("  \n".join(notes))

st.subheader("By area and by topic")
by_label = (
    st.segmented_control("Group by", ["Area", "Topic"], default="Area", required=True, key="you_said_by")
    or "Area"
)
by = "topic" if by_label == "Topic" else "area_id"
table = ft.status_table(ds.concerns, filters, by, ds.areas)
st.plotly_chart(charts.status_chart(table, by_label), key="you_said_status_chart")
view = ft.status_view(table, by)
with st.expander(f"Table: every {by_label.lower()}, with the previous period", expanded=False):
    st.dataframe(view, hide_index=True, key="you_said_status_table")
    st.download_button(
        "Download this table (CSV)",
        lambda: to_csv_bytes(view),
        file_name=file_name("follow-through-by", by_label, filters.start, filters.end),
        mime="text/csv",
        key="you_said_status_csv",
        icon="⬇️",
        on_click="ignore",
    )

st.subheader("Still open, oldest first")
backlog = ft.backlog(ds.concerns, filters, ds.areas)
if backlog.empty:
    ui.empty_state(f"No concern is open at the end of the period ({filters.end:%-d %b %Y}).")
else:
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.backlog_age_chart(ft.backlog_ages(backlog)), key="you_said_backlog_chart")
    shown = ft.backlog_view(backlog)
    right.dataframe(shown, hide_index=True, height=320, key="you_said_backlog_table")
    if len(backlog) > len(shown):
        right.caption(f"The {len(shown):,} oldest of {len(backlog):,}; the download has them all.")
    right.download_button(
        f"Download all {len(backlog):,} open concerns (CSV)",
        lambda: to_csv_bytes(ft.backlog_view(backlog, limit=None)),
        file_name=file_name("open-concerns", filters.start, filters.end),
        mime="text/csv",
        key="you_said_backlog_csv",
        icon="⬇️",
        on_click="ignore",
    )

st.subheader("You said, we did")
topic_options = ["All topics", *ft.topics(ds.concerns)]
topic = st.selectbox("Topic", topic_options, key="you_said_card_topic")
chosen_topic = None if topic == "All topics" else topic
resolved, total = ft.resolved_cards(ds.concerns, filters, ds.areas, topic=chosen_topic)
if not resolved:
    ui.empty_state("No concern of this kind was resolved in the period.")
else:
    st.caption(
        f"The {len(resolved)} most recently resolved of {total:,} resolved in the period. "
        "Personal details are removed from what residents said."
    )
    columns = st.columns(3)
    for i, card in enumerate(resolved):
        days = f" · after {card.days} days" if card.days is not None else ""
        columns[i % 3].container(border=True).markdown(
            f"**You said** · {md(card.topic)} · {card.raised:%-d %b %Y} · {md(card.area)}\n\n"
            + (md(card.said) if card.said else f"_{md(card.topic)}_")
            + f"\n\n**We did** · {card.resolved:%-d %b %Y}{days}\n\n"
            + (md(card.did) if card.did else "_No action was recorded._")
        )
    st.download_button(
        f"Download all {total:,} resolved concerns (CSV)",
        lambda: to_csv_bytes(
            ft.cards_frame(ft.resolved_cards(ds.concerns, filters, ds.areas, chosen_topic, limit=None)[0])
        ),
        file_name=file_name("resolved-concerns", filters.start, filters.end),
        mime="text/csv",
        key="you_said_cards_csv",
        icon="⬇️",
        on_click="ignore",
    )
