"""Overview: KPIs against the compared period, trends, and the areas that need attention."""

import streamlit as st

from cpdash import charts, ui
from cpdash.views.format import markdown_text as md

ui.follow_drill_down()
ctx = ui.page_context()
view = ui.get_overview(ctx.settings, ctx.src, ctx.filters, ctx.policy, ctx.compare)
ui.page_header("Overview", ctx, view.comparison)

for row in (view.cards[:4], view.cards[4:]):
    for column, card in zip(st.columns(4), row, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
if view.notes:
    st.caption("  \n".join(view.notes))

left, right = st.columns(2)
state = (ctx.filters, ctx.policy, ctx.compare)  # what the view depends on: its figures are kept with it
attendance = ui.get_figure(
    ctx.settings, "overview_attendance", state, lambda: charts.monthly_attendance_chart(view.attendance)
)
trust = ui.get_figure(
    ctx.settings, "overview_trust", state, lambda: charts.score_trend_chart(view.trend, "Trust", height=240)
)
left.plotly_chart(attendance, key="overview_attendance_chart")
right.plotly_chart(trust, key="overview_trust_chart")

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
