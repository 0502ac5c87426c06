"""Participation: who takes part, how often, and at what cost."""

from functools import partial

import streamlit as st

from cpdash import ui
from cpdash.charts import participation_reach as reach_charts
from cpdash.charts import participation_trend as trend_charts
from cpdash.ui.components import csv_download_later
from cpdash.ui.data import get_participation
from cpdash.views import participation_notable as notable
from cpdash.views import participation_programs as programs
from cpdash.views import participation_reach as reach
from cpdash.views import participation_repeat as repeat
from cpdash.views import participation_season as season
from cpdash.views import participation_trend as trend
from cpdash.views.participation_text import MEASURES, SPLITS

ctx = ui.page_context()
period = (ctx.filters.start, ctx.filters.end)

# The trend's controls choose what the view computes, so they run first; the header and cards are drawn
# above them, in this container, once the view is known.
top = st.container()
st.header("Monthly trend", anchor=False)
left, right = st.columns(2)
split = (
    left.segmented_control(
        "Split by",
        list(SPLITS),
        format_func=SPLITS.get,
        default="program",
        required=True,
        key="participation_split",
        bind="query-params",
    )
    or "program"
)
measure = (
    right.segmented_control(
        "Count",
        list(MEASURES),
        format_func=MEASURES.get,
        default="attendance",
        required=True,
        key="participation_measure",
        bind="query-params",
    )
    or "attendance"
)
view = get_participation(ctx, split, measure)
state = (ctx.filters, ctx.policy, ctx.compare, split, measure)  # what the view depends on: its figures too

with top:
    ui.page_header("Participation", ctx, view.intro)
    with st.container(key="participation_kpis"):  # two a row on a phone (cpdash.ui.style)
        for column, card in zip(st.columns(len(view.cards)), view.cards, strict=True):
            ui.kpi(column, card.label, card.value, card.delta, inverse=card.inverse, help=card.help)
    if view.notes:
        st.caption("  \n".join(view.notes))

# --- monthly trend ---------------------------------------------------------------------------------
t = view.trend
if t.empty:
    ui.empty_state(t.empty)
else:
    st.plotly_chart(
        ui.get_figure(
            ctx.settings,
            "participation_trend",
            state,
            lambda: trend_charts.trend_chart(t.groups, t.months, t.notable, measure, SPLITS[split]),
        ),
        key="participation_trend_chart",
    )
    st.caption(t.caption)
    left, right = st.columns(2)
    with left:
        csv_download_later(
            partial(trend.trend_download, t),
            "Download the monthly numbers (CSV)",
            "participation-trend",
            split,
            *period,
            key="participation_trend_csv",
        )
    if len(t.notable):
        with right:
            csv_download_later(
                partial(notable.notable_download, t.notable),
                f"Download the {len(t.notable):,} notable events (CSV)",
                "notable-events",
                *period,
                key="participation_notable_csv",
            )

# --- programs --------------------------------------------------------------------------------------
st.header("Programs", anchor=False)
mix = view.programs
if mix.empty:
    ui.empty_state(mix.empty)
else:
    st.plotly_chart(
        ui.get_figure(
            ctx.settings,
            "participation_programs",
            state,
            lambda: reach_charts.program_chart(mix.table, mix.best, mix.worst, compared=mix.compared),
        ),
        key="participation_program_chart",
    )
    st.caption(mix.caption)
    with st.expander(f"Program figures, with the {mix.compared}"):
        st.dataframe(programs.program_download(mix), hide_index=True, key="participation_program_table")
    csv_download_later(
        partial(programs.program_download, mix),
        "Download programs (CSV)",
        "programs",
        *period,
        key="participation_programs_csv",
    )

# --- seasonality -----------------------------------------------------------------------------------
st.header("Seasonality", anchor=False)
s = view.season
if s.empty:
    ui.empty_state(s.empty)
else:
    st.plotly_chart(
        ui.get_figure(
            ctx.settings,
            "participation_season",
            state,
            lambda: trend_charts.seasonality_chart(s.matrix, measure),
        ),
        key="participation_season_chart",
    )
    st.caption(s.caption)
    csv_download_later(
        partial(season.seasonality_download, s),
        "Download the month × program numbers (CSV)",
        "seasonality",
        measure,
        *period,
        key="participation_season_csv",
    )

# --- reach -----------------------------------------------------------------------------------------
st.header("Reach by area", anchor=False)
r = view.reach
if r.no_event_text:
    st.warning(r.no_event_text, icon="🚫")
if r.empty:
    ui.empty_state(r.empty)
else:
    st.plotly_chart(
        ui.get_figure(
            ctx.settings,
            "participation_reach",
            state,
            lambda: reach_charts.reach_chart(r.shown, len(r.table)),
        ),
        key="participation_reach_chart",
    )
    st.caption(r.caption)
if len(r.table):
    csv_download_later(
        partial(reach.reach_download, r),
        r.download_label,
        "reach",
        *period,
        key="participation_reach_csv",
    )

# --- repeat engagement -----------------------------------------------------------------------------
st.header("Repeat engagement", anchor=False)
rep = view.repeat
if rep is None:
    ui.empty_state(repeat.NO_ATTENDEES)
elif rep.empty:
    ui.empty_state(rep.empty)
else:
    cards = st.columns(3)
    ui.kpi(cards[0], "Participants", rep.participants)
    ui.kpi(
        cards[1],
        f"Came to {repeat.REPEAT_MIN_EVENTS}+ events",
        rep.share_repeat,
        help="Share of the period's participants who came to two or more events in the period.",
    )
    ui.kpi(
        cards[2],
        "Events with attendee records",
        rep.coverage,
        help="Only events with a sign-in sheet or registration have attendee records.",
    )
    st.caption(rep.caption)
    if rep.shown:
        left, right = st.columns(2)
        with left:
            st.plotly_chart(
                ui.get_figure(
                    ctx.settings,
                    "participation_returning",
                    state,
                    lambda: trend_charts.returning_chart(rep.monthly),
                ),
                key="participation_returning_chart",
            )
            st.caption(rep.returning_caption)
            csv_download_later(
                partial(repeat.returning_download, rep),
                "Download returning participants (CSV)",
                "returning-participants",
                *period,
                key="participation_returning_csv",
            )
        with right:
            st.plotly_chart(
                ui.get_figure(
                    ctx.settings, "participation_ages", state, lambda: reach_charts.age_chart(rep.ages)
                ),
                key="participation_age_chart",
            )
            st.caption(rep.age_caption)
            csv_download_later(
                partial(repeat.age_download, rep),
                "Download participants by age (CSV)",
                "participants-by-age",
                *period,
                key="participation_age_csv",
            )
