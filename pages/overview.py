"""Overview: KPIs against the compared period, the areas that need attention, and trends."""

import streamlit as st

from cpdash import charts, ui
from cpdash.views.format import markdown_text as md
from cpdash.views.overview import ATTENTION_METHOD

ui.follow_drill_down()
ctx = ui.page_context()
view = ui.get_overview(ctx.settings, ctx.src, ctx.filters, ctx.policy, ctx.compare)
ui.page_header("Overview", ctx, view.comparison)

with st.container(key="overview_kpis"):  # two cards a row on a phone (cpdash.ui.style)
    for row in (view.cards[:4], view.cards[4:]):
        for column, card in zip(st.columns(4), row, strict=False):
            ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
if view.notes:
    st.caption("  \n".join(view.notes))

st.header("Needs attention", anchor=False)
SHOWN = 5  # in full; the others, every one of them, in the expander below
areas = view.attention
if not areas:
    ui.empty_state("No area shows falling trust, a growing backlog of open concerns or a lack of engagement.")
else:
    st.caption(ATTENTION_METHOD)


def attention_card(area, container) -> None:
    """One area: its rank, name, issues, why it ranks there, and the pages that explain it."""
    box = container.container(border=True)
    text, links = box.columns([4, 1], vertical_alignment="center")
    text.markdown(
        f"**{area.rank}. {md(area.name)}**  \n"
        + "  \n".join(md(line) for line in area.lines)
        + f"  \n*{md(area.reason)}*"
    )
    for j, (path, label) in enumerate(area.pages):
        ui.drill_down_button(
            links, f"{label} →", path, area.area_id, key=f"overview_attention_{area.rank - 1}_{j}"
        )


for area in areas[:SHOWN]:
    attention_card(area, st)
if len(areas) > SHOWN:  # drawn only while open: a long list of cards is a cost of every rerun
    rest = st.expander(
        f"The other {len(areas) - SHOWN} areas that need attention, ranked",
        key="overview_more",
        on_change="rerun",
    )
    if rest.open:
        for area in areas[SHOWN:]:
            attention_card(area, rest)

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
