"""Overview: KPIs against the previous period, trends, and the areas that need attention."""

import streamlit as st

from cpdash import charts, overview, ui
from cpdash.format import markdown_text as md

ui.follow_drill_down()
ds = ui.get_dataset(ui.get_settings())
filters = ui.current_filters()
k, public = st.session_state["k"], st.session_state["public"]

ui.page_header(
    "Overview",
    ds,
    filters,
    f"Changes compare with the {filters.days} days before ({filters.previous().start:%-d %b %Y} – "
    f"{filters.previous().end:%-d %b %Y}).",
)

cards = overview.kpis(ds, filters, k, public)
for row in (cards[:4], cards[4:]):
    for column, card in zip(st.columns(4), row, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
notes = [card.note for card in cards if card.note]
if notes:
    st.caption("  \n".join(notes))

attendance, trust = overview.trends(ds, filters, k)
left, right = st.columns(2)
left.plotly_chart(charts.monthly_attendance_chart(attendance), key="overview_attendance_chart")
right.plotly_chart(charts.monthly_score_chart(trust, "Trust", public), key="overview_trust_chart")

st.subheader("Needs attention")
attention = overview.attention(ds, filters, k)
if attention.empty:
    ui.empty_state("No area shows falling trust, a growing backlog of open concerns or a lack of engagement.")
else:
    ICONS = {"falling trust": "📉", "growing open concerns": "📬", "no engagement": "🚫"}
    PAGES = {
        "community_voice": ("pages/community_voice.py", "Community voice"),
        "you_said_we_did": ("pages/you_said_we_did.py", "You said, we did"),
        "participation": ("pages/participation.py", "Participation"),
    }
    for i, item in enumerate(attention.head(12).itertuples()):
        text, link = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"{ICONS.get(item.issue, '•')} **{md(item.name)}**: {item.issue}. {md(item.detail)}")
        path, label = PAGES[item.page]
        ui.drill_down_button(link, f"{label} →", path, item.area_id, key=f"overview_attention_{i}")
    if len(attention) > 12:
        st.caption(f"And {len(attention) - 12} more; narrow the areas filter to see them.")
