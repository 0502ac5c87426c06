"""Overview: KPIs against the previous period, trends, and the areas that need attention."""

import streamlit as st

from cpdash import charts, ui
from cpdash.views.format import markdown_text as md

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

settings = ui.get_settings()
view = ui.get_overview(settings, ds, filters, k, public)
cards = view.kpis
for row in (cards[:4], cards[4:]):
    for column, card in zip(st.columns(4), row, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
if view.notes:
    st.caption("  \n".join(view.notes))

left, right = st.columns(2)
left.plotly_chart(charts.monthly_attendance_chart(view.attendance), key="overview_attendance_chart")
right.plotly_chart(charts.monthly_score_chart(view.trust, "Trust", public), key="overview_trust_chart")

st.subheader("Needs attention")
SHOWN = 10
areas = view.attention
if not areas:
    ui.empty_state("No area shows falling trust, a growing backlog of open concerns or a lack of engagement.")
for i, area in enumerate(areas[:SHOWN]):
    with st.container(border=True):
        text, links = st.columns([4, 1], vertical_alignment="center")
        text.markdown(f"**{md(area.name)}**  \n" + "  \n".join(md(line) for line in area.lines))
        for j, (path, label) in enumerate(area.pages):
            ui.drill_down_button(links, f"{label} →", path, area.area_id, key=f"overview_attention_{i}_{j}")
if len(areas) > SHOWN:
    st.caption(f"And {len(areas) - SHOWN} more areas; narrow the areas filter to see them.")
