"""Community voice: how residents feel about safety and about the police, where, among whom, and why."""

from functools import partial

import streamlit as st

from cpdash import ui
from cpdash.charts import voice as charts
from cpdash.charts import voice_comments as comment_charts
from cpdash.charts.trends import score_trend_chart
from cpdash.export.safe_csv import to_csv_bytes
from cpdash.ui.components import csv_download_later
from cpdash.ui.data import get_search_hits, get_voice_view
from cpdash.views import (
    voice,
    voice_events,
    voice_explorer,
    voice_groups,
    voice_scores,
    voice_sentiment,
    voice_topics,
)
from cpdash.views.format import markdown_text as md

TABS = ["Scores", "By group", "Events and trust", "Comment sentiment", "Topics", "Comment explorer"]
ANY = "Any"
EXPLORER_ROW_HEIGHT = 76  # three lines of a comment (rows taller than 64 px wrap their text)
EXPLORER_HEIGHT = 560
COUNT = st.column_config.NumberColumn(format="localized")  # 1,234

ctx = ui.page_context()
src, f, policy = ctx.src, ctx.filters, ctx.policy
period = (f.start, f.end)
ctl = get_voice_view(ctx.settings, "controls", (), lambda: voice.controls(src, ctx.names))
ui.page_header("Community voice", ctx, voice.intro(policy, ctl.sources[0] if ctl.sources else None))

# --- which scores, which score, which area ---------------------------------------------------------

source = ctl.sources[0] if ctl.sources else None
both = len(ctl.sources) == 2
controls = st.columns([1.6, 2.4, 2.4]) if both else [None, *st.columns([2.4, 3])]
if both:
    source = (
        controls[0].segmented_control(
            "Scores from",
            ctl.sources,
            format_func=voice.SOURCE_SHORT.get,
            default=ctl.sources[0],
            required=True,
            key="voice_source",
            bind="query-params",
            help=voice.SOURCE_HELP,
        )
        or ctl.sources[0]
    )
available = ctl.metrics.get(source, ())
metric = None
if available:
    metric = (
        controls[1].segmented_control(
            "Score",
            available,
            format_func=ctl.metric_label,
            default=available[0],
            required=True,
            key="voice_metric",
            bind="query-params",
            help=ctl.metric_help(source),
        )
        or available[0]
    )
picked = controls[2].selectbox(
    "Area to compare with the city",
    ctl.areas,
    index=None,
    format_func=ctl.label,
    placeholder="Choose an area",
    key="voice_area",
    bind="query-params",
    help=voice.AREA_HELP,
)
area = voice.chosen_area(picked, f)

if source is None:
    ui.empty_state(voice.NO_SCORES)
else:
    heads = get_voice_view(
        ctx.settings,
        "headlines",
        (f, policy, source, ctx.compare),
        lambda: voice_scores.headlines(src, f, policy, ctl, source, ctx.compare),
    )
    for column, card in zip(st.columns(len(heads.cards) or 1), heads.cards, strict=False):
        ui.kpi(column, card.label, card.value, card.delta, help=card.help)
    st.caption("  \n".join([*heads.notes, heads.source_note]))

tab_scores, tab_who, tab_events, tab_sentiment, tab_topics, tab_explorer = st.tabs(
    TABS, key="voice_tab", on_change="rerun", bind="query-params"
)

# --- scores: over time and by area -----------------------------------------------------------------

if tab_scores.open:
    with tab_scores:
        if metric is None:
            ui.empty_state(voice.NO_SCORE_TAB)
        else:
            state = (f, policy, metric, source, area)  # what the view depends on: its figure too
            view = get_voice_view(
                ctx.settings,
                "scores",
                state,
                lambda: voice_scores.scores_tab(src, f, policy, ctl, metric, source, area),
            )
            trend_figure = ui.get_figure(
                ctx.settings, "voice_trend", state, lambda: score_trend_chart(view.trend, view.label)
            )
            st.plotly_chart(trend_figure, key="voice_trend_chart")
            if view.trend_note:
                st.caption(view.trend_note)
            if view.against is not None:
                st.markdown(view.against_title)
                st.dataframe(
                    view.against,
                    hide_index=True,
                    key="voice_area_city_table",
                    column_config={c: COUNT for c in ("Area n", "City n")},
                )
            dots = ui.get_figure(
                ctx.settings,
                "voice_areas",
                state,
                lambda: charts.score_dots_chart(view.area_chart, view.area_title, view.reference, voice.CITY),
            )
            st.plotly_chart(dots, key="voice_area_chart")
            if view.area_note:
                st.caption(view.area_note)
            if len(view.area_table):
                st.dataframe(
                    view.area_table,
                    hide_index=True,
                    key="voice_area_table",
                    column_config={c: COUNT for c in view.area_table.columns if c.endswith(" n")},
                )
                ui.csv_download(
                    view.area_table,
                    "Download scores by area (CSV)",
                    "scores-by-area",
                    *period,
                    key="voice_area_csv",
                )
            else:
                ui.empty_state(view.empty_areas)

# --- breakdowns ------------------------------------------------------------------------------------

if tab_who.open:
    with tab_who:
        view = get_voice_view(
            ctx.settings,
            "groups",
            (f, policy, metric, source),
            lambda: voice_groups.groups_tab(src, f, policy, metric, source),
        )
        if view.empty:
            ui.empty_state(view.empty)
        else:
            st.caption(view.caption)
            x_range = charts.common_range([c.rows for c in view.charts], view.everyone)
            for chart in view.charts:
                st.plotly_chart(
                    charts.score_dots_chart(
                        chart.rows, chart.title, view.everyone, voice_groups.EVERYONE, x_range
                    ),
                    key=f"voice_breakdown_{chart.dimension}",
                )
                if chart.note:
                    st.caption(chart.note)
            ui.csv_download(
                view.table,
                "Download the breakdowns (CSV)",
                f"{metric}-by-group",
                *period,
                key="voice_breakdown_csv",
            )

# --- events against trust --------------------------------------------------------------------------

if tab_events.open:
    with tab_events:
        view = voice_events.events_tab(ctx.ds, src, f, policy, metric, source, area, ctl.label(area))
        if view.empty:
            ui.empty_state(view.empty)
        else:
            st.plotly_chart(
                charts.events_trust_chart(view.trend, view.events, view.label, view.area_name),
                key="voice_events_chart",
            )
            st.markdown(md(view.summary))
            if view.note:
                st.caption(view.note)
            if view.table_title:
                with st.expander(view.table_title):
                    st.dataframe(view.table, hide_index=True, key="voice_events_table")

# --- comment sentiment -----------------------------------------------------------------------------

if tab_sentiment.open:
    with tab_sentiment:
        view = get_voice_view(
            ctx.settings,
            "sentiment",
            (f, policy, ctx.compare),
            lambda: voice_sentiment.sentiment_tab(src, f, policy, ctx.names, ctx.compare),
        )
        if view.empty:
            ui.empty_state(view.empty)
        else:
            st.caption(view.caption)
            for column, card in zip(st.columns(4), view.cards, strict=False):
                ui.kpi(column, card.label, card.value, card.delta, help=card.help)
            if view.notes:
                st.caption("  \n".join(view.notes))
            st.plotly_chart(comment_charts.net_sentiment_chart(view.monthly), key="voice_sentiment_month")
            if view.monthly_note:
                st.caption(view.monthly_note)
            left, right = st.columns(2)
            left.plotly_chart(
                comment_charts.net_by_chart(view.by_area, "Net sentiment by area"), key="voice_sentiment_area"
            )
            if view.area_note:
                left.caption(view.area_note)
            if len(view.by_program):
                right.plotly_chart(
                    comment_charts.net_by_chart(view.by_program, "Net sentiment by program"),
                    key="voice_sentiment_program",
                )
                if view.program_note:
                    right.caption(view.program_note)
            else:
                right.info(view.program_note, icon="ℹ️")
            ui.csv_download(
                view.table,
                "Download net sentiment (CSV)",
                "net-sentiment",
                *period,
                key="voice_sentiment_csv",
            )

# --- topics ----------------------------------------------------------------------------------------

if tab_topics.open:
    with tab_topics:
        view = get_voice_view(
            ctx.settings, "topics", (f, policy), lambda: voice_topics.topics_tab(src, f, policy)
        )
        st.caption(view.caption)
        for problem in view.problems:
            st.warning(problem, icon="⚠️")
        if view.empty:
            ui.empty_state(view.empty)
            if len(view.concerns):
                st.dataframe(view.concerns, hide_index=True, key="voice_concern_topics")
        else:
            st.plotly_chart(
                comment_charts.topic_share_chart(view.shares, view.concerns), key="voice_topic_shares"
            )
            chosen = st.multiselect(
                "Topics to follow over time",
                view.topics,
                default=view.ranked[:4],
                key="voice_topics",
                placeholder="Choose topics",
            )
            st.plotly_chart(
                comment_charts.topic_trend_chart(
                    get_voice_view(
                        ctx.settings,
                        "topic_trend",
                        (f, policy, tuple(chosen)),
                        lambda: voice_topics.topic_trend(src, f, policy, chosen),
                    )
                ),
                key="voice_topic_trend",
            )
            st.plotly_chart(comment_charts.topic_sentiment_chart(view.sentiment), key="voice_topic_sentiment")
            if view.sentiment_note:
                st.caption(view.sentiment_note)
            ui.csv_download(view.table, "Download topics (CSV)", "topics", *period, key="voice_topics_csv")
        with st.expander("The topic list and its keywords (editable)"):
            st.markdown(view.keyword_help)
            st.dataframe(view.taxonomy, hide_index=True, key="voice_taxonomy_table")
            st.download_button(
                "Download the topic list (topics.csv)",
                partial(to_csv_bytes, view.taxonomy),
                file_name="topics.csv",
                mime="text/csv",
                key="voice_taxonomy_csv",
                icon="⬇️",
                on_click="ignore",
            )

# --- the comment explorer --------------------------------------------------------------------------

if tab_explorer.open:
    with tab_explorer:
        choices = voice_explorer.choices(src)
        if choices.empty:
            ui.empty_state(choices.empty)
        else:
            top = st.columns([3, 2, 2, 1.4, 1.4])
            query = top[0].text_input(
                "Search comments", key="voice_search", placeholder="Words to look for, e.g. speeding"
            )
            where = top[1].selectbox(
                "Area", [ANY, *ctl.areas], format_func=ctl.label, key="voice_explorer_area"
            )
            topic = top[2].selectbox("Topic", [ANY, *choices.topics], key="voice_explorer_topic")
            mood = top[3].selectbox("Sentiment", [ANY, *choices.classes], key="voice_explorer_sentiment")
            language = top[4].selectbox("Language", [ANY, *choices.languages], key="voice_explorer_language")
            options = {
                "area": None if where == ANY else where,
                "query": query or "",
                "hits": get_search_hits(ctx.settings, src, query or ""),
                "topic": None if topic == ANY else topic,
                "sentiment_class": None if mood == ANY else mood,
                "language": None if language == ANY else language,
            }
            view = get_voice_view(
                ctx.settings,
                "explorer",
                (f, policy, *(v for k, v in options.items() if k != "hits")),
                lambda: voice_explorer.explorer(src, f, policy, ctx.names, **options),
            )
            st.caption(view.caption)
            st.dataframe(
                view.frame,
                hide_index=True,
                key="voice_explorer_table",
                row_height=EXPLORER_ROW_HEIGHT,
                height=EXPLORER_HEIGHT,
                column_config={"Comment": st.column_config.TextColumn("Comment", width="large")},
            )
            if view.public_note:
                st.caption(view.public_note)
            if view.download:
                csv_download_later(
                    lambda options=options: (
                        voice_explorer.explorer(
                            src, f, policy, ctx.names, **options, limit=voice_explorer.DOWNLOAD_ROWS
                        ).frame
                    ),
                    voice_explorer.download_label(view.matches),
                    "comments",
                    *period,
                    key="voice_explorer_csv",
                    record=ui.row_record(
                        ctx,
                        f"comments (Community voice explorer: search {query or ''!r}, area {where}, "
                        f"topic {topic}, sentiment {mood}, language {language})",
                    ),
                )
