"""Participation: who takes part, how often, and at what cost."""

from functools import partial

import streamlit as st

from cpdash import ui
from cpdash.charts import participation as charts
from cpdash.metrics import legacy as metrics
from cpdash.ui.components import csv_download_later
from cpdash.ui.data import get_participation_basis
from cpdash.views import format as fmt
from cpdash.views import participation as part

settings = ui.get_settings()
ds = ui.get_dataset(settings)
filters = ui.current_filters()
k, public = st.session_state["k"], st.session_state["public"]
basis = get_participation_basis(settings, ds)
names = ui.area_names(ds)
before = filters.previous()
period = (filters.start, filters.end)

ui.page_header(
    "Participation",
    ui.page_context(),
    "Who takes part, how often, and at what cost. Changes compare with the "
    f"{filters.days} days before ({before.start:%-d %b %Y} – {before.end:%-d %b %Y}).",
)

# --- headline figures ------------------------------------------------------------------------------
figures = part.kpis(basis, filters)
now, prev = figures.now, figures.before
cards = st.columns(5)
change = metrics.change(now["events"], prev["events"])
ui.kpi(cards[0], "Events", fmt.number(now["events"]), fmt.change_text(change.delta, change.pct))
change = metrics.change(now["attendance"], prev["attendance"])
ui.kpi(
    cards[1],
    "Attendance",
    fmt.number(now["attendance"]) if now["events_with_attendance"] else "—",
    fmt.change_text(change.delta, change.pct),
    help="People counted at events; events without a count are left out, not taken as zero.",
)
change = metrics.change(now["youth_attendance"], prev["youth_attendance"])
ui.kpi(
    cards[2],
    "Under-18s",
    fmt.number(now["youth_attendance"]),
    fmt.change_text(change.delta, change.pct),
    help=f"Attendees under 18, where counted (youth attendance). Youth share: {fmt.percent(now['youth_share'] * 100)} "
    "(events with both counts).",
)
change = metrics.change(now["officer_hours"], prev["officer_hours"])
ui.kpi(cards[3], "Officer hours", fmt.number(now["officer_hours"]), fmt.change_text(change.delta, change.pct))
change = metrics.change(now["cost_per_attendee"], prev["cost_per_attendee"])
ui.kpi(
    cards[4],
    "Cost/attendee",
    fmt.money(now["cost_per_attendee"]),
    fmt.signed(change.pct, 0, "%"),
    inverse=True,
    help="Cost per attendee: direct cost divided by attendance, over the events that have both.",
)
note = part.missing_note(now["events"], now["events_without_attendance"])
if note:
    st.caption(note)

# --- monthly trend ---------------------------------------------------------------------------------
st.subheader("Monthly trend")
left, right = st.columns(2)
split = (
    left.segmented_control(
        "Split by",
        list(part.SPLITS),
        format_func=part.SPLITS.get,
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
        list(part.MEASURES),
        format_func=part.MEASURES.get,
        default="attendance",
        required=True,
        key="participation_measure",
        bind="query-params",
    )
    or "attendance"
)
trend = part.trend(basis, filters, split, measure, names)
if trend.empty:
    ui.empty_state(trend.empty)
else:
    st.plotly_chart(
        charts.trend_chart(trend.groups, trend.months, trend.notable, measure, part.SPLITS[split]),
        key="participation_trend_chart",
    )
    st.caption(trend.caption)
    left, right = st.columns(2)
    with left:
        csv_download_later(
            partial(part.trend_download, trend),
            "Download the monthly numbers (CSV)",
            "participation-trend",
            split,
            *period,
            key="participation_trend_csv",
        )
    if len(trend.notable):
        with right:
            csv_download_later(
                partial(part.notable_download, trend.notable),
                f"Download the {len(trend.notable):,} notable events (CSV)",
                "notable-events",
                *period,
                key="participation_notable_csv",
            )

# --- program mix -----------------------------------------------------------------------------------
st.subheader("Programs")
mix = part.program_mix(basis, filters)
if mix.empty:
    ui.empty_state(mix.empty)
else:
    st.plotly_chart(charts.program_chart(mix.table, mix.best, mix.worst), key="participation_program_chart")
    st.caption(mix.caption)
    programs = part.program_download(mix)
    with st.expander("Program figures, with the previous period"):
        st.dataframe(programs, hide_index=True, key="participation_program_table")
    csv_download_later(
        partial(part.program_download, mix),
        "Download programs (CSV)",
        "programs",
        *period,
        key="participation_programs_csv",
    )

# --- seasonality -----------------------------------------------------------------------------------
st.subheader("Seasonality")
season = part.seasonality(basis, filters, measure)
if season.empty:
    ui.empty_state(season.empty)
else:
    st.plotly_chart(charts.seasonality_chart(season.matrix, measure), key="participation_season_chart")
    st.caption(season.caption)
    csv_download_later(
        partial(part.seasonality_download, season),
        "Download the month × program numbers (CSV)",
        "seasonality",
        measure,
        *period,
        key="participation_season_csv",
    )

# --- reach -----------------------------------------------------------------------------------------
st.subheader("Reach by area")
reach = part.reach(basis, filters)
if reach.no_event_text:
    st.warning(reach.no_event_text, icon="🚫")
if reach.empty:
    ui.empty_state(reach.empty)
else:
    st.plotly_chart(charts.reach_chart(reach.shown, len(reach.table)), key="participation_reach_chart")
    st.caption(reach.caption)
if len(reach.table):
    csv_download_later(
        partial(part.reach_download, reach),
        f"Download reach for all {len(reach.table):,} areas (CSV)",
        "reach",
        *period,
        key="participation_reach_csv",
    )

# --- repeat engagement -----------------------------------------------------------------------------
st.subheader("Repeat engagement")
repeat = part.repeat_engagement(basis, filters, k, public)
if repeat is None:
    ui.empty_state(part.NO_ATTENDEES)
elif repeat.empty:
    ui.empty_state(repeat.empty)
else:
    hidden = repeat.small and public
    cards = st.columns(3)
    ui.kpi(cards[0], "Participants", "—" if hidden else fmt.number(repeat.participants))
    ui.kpi(
        cards[1],
        f"Came to {part.REPEAT_MIN_EVENTS}+ events",
        "—" if hidden else fmt.percent(repeat.share_repeat * 100) + (" ⚠" if repeat.small else ""),
        help="Share of the period's participants who came to two or more events in the period.",
    )
    ui.kpi(
        cards[2],
        "Events with attendee records",
        f"{repeat.events_covered:,} of {repeat.events:,}",
        help="Only events with a sign-in sheet or registration have attendee records.",
    )
    st.caption(repeat.caption)
    if not hidden:
        left, right = st.columns(2)
        with left:
            st.plotly_chart(charts.returning_chart(repeat.monthly), key="participation_returning_chart")
            st.caption(repeat.returning_caption)
            csv_download_later(
                partial(part.returning_download, repeat),
                "Download returning participants (CSV)",
                "returning-participants",
                *period,
                key="participation_returning_csv",
            )
        with right:
            st.plotly_chart(charts.age_chart(repeat.ages), key="participation_age_chart")
            st.caption(repeat.age_caption)
            csv_download_later(
                partial(part.age_download, repeat),
                "Download participants by age (CSV)",
                "participants-by-age",
                *period,
                key="participation_age_csv",
            )
