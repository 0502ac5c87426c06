"""Community voice: how residents feel about safety and about the police, where, among whom, and why."""

from functools import partial

import streamlit as st

from cpdash import ui
from cpdash.charts import voice as voice_charts
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.text.topics import taxonomy_frame
from cpdash.ui.data import get_comment_index, get_score_basis, get_search_hits
from cpdash.views import format as fmt
from cpdash.views import voice

TABS = ["Scores", "By group", "Events and trust", "Comment sentiment", "Topics", "Comment explorer"]
ANY = "Any"
EXPLORER_ROW_HEIGHT = 76  # three lines of a comment (rows taller than 64 px wrap their text)
EXPLORER_HEIGHT = 560
COUNT = st.column_config.NumberColumn(format="localized")  # 1,234

settings = ui.get_settings()
ds = ui.get_dataset(settings)
filters = ui.current_filters()
k, public = st.session_state["k"], st.session_state["public"]
names = ui.area_names(ds)
basis = get_score_basis(settings, ds, k)
period = (filters.start, filters.end)

ui.page_header(
    "Community voice",
    ui.page_context(),
    "How residents feel about safety and about the police: where, among whom, and why. Scores are the mean "
    "answer on 0–10 × 10, on 0–100 (**not a percentage**), each with the number of responses (n) behind it "
    f"and, when computed here, its 95 % interval; figures on fewer than {k} responses are "
    + ("not shown." if public else "flagged ⚠."),
)

# --- which scores, which score, which area ---------------------------------------------------------

sources = voice.score_sources(basis)
source = sources[0] if sources else None
controls = st.columns([1.6, 2.4, 2.4]) if len(sources) == 2 else [None, *st.columns([2.4, 3])]
if len(sources) == 2:
    source = (
        controls[0].segmented_control(
            "Scores from",
            sources,
            format_func=voice.SOURCE_SHORT.get,
            default=sources[0],
            required=True,
            key="voice_source",
            bind="query-params",
            help="The data has both: individual survey responses (computed here, with intervals) and "
            "published area scores (shown as published).",
        )
        or sources[0]
    )
available = voice.metrics_in(basis, source)
metric = None
if available:
    metric = controls[1].segmented_control(
        "Score",
        available,
        format_func=voice.SCORE_LABELS.get,
        default=available[0],
        required=True,
        key="voice_metric",
        bind="query-params",
        help=" ".join(f"{voice.SCORE_LABELS[m]}: '{voice.SCORE_QUESTIONS[m]}'." for m in available),
    )
    metric = metric or available[0]
label = voice.SCORE_LABELS.get(metric, "Score")
area_options = sorted(names, key=lambda a: (names[a].lower(), a))
area = controls[2].selectbox(
    "Area to compare with the city",
    area_options,
    index=None,
    format_func=lambda a: names.get(a, a),
    placeholder="Choose an area",
    key="voice_area",
    bind="query-params",
    help="Its scores beside the city's, and its engagement events (tab 'Events and trust').",
)
if area is None and len(filters.areas) == 1:
    area = filters.areas[0]
area_name = names.get(area, area) if area else ""

if source is None:
    ui.empty_state(
        "No individual survey responses (with trust, safety, listen or respect answers) and no published "
        "area scores in the data, so no score can be shown. Comments and topics, where the data has them, "
        "are in their tabs."
    )
else:
    cards = voice.headlines(basis, filters, source)
    for column, h in zip(st.columns(len(cards) or 1), cards, strict=False):
        hidden = fmt.is_missing(h.value) or (public and h.suppressed)
        value = "—" if hidden else fmt.number(h.value) + (" ⚠" if h.suppressed else "")
        n_text = f"n={h.n:,.0f}" if not fmt.is_missing(h.n) else "n not published"
        interval = (
            f" 95 % interval {h.low:.0f}–{h.high:.0f}." if not fmt.is_missing(h.low) and not hidden else ""
        )
        small = (
            f" Fewer than {k} responses: {'not shown' if public else 'treat with care'}."
            if h.suppressed
            else ""
        )
        ui.kpi(column, f"{voice.SCORE_LABELS[h.metric]} ({n_text})", value, help=h.note + interval + small)
    st.caption(voice.source_note(basis, source))

tabs = st.tabs(TABS, key="voice_tab", on_change="rerun", bind="query-params")
tab_scores, tab_who, tab_events, tab_sentiment, tab_topics, tab_explorer = tabs

# --- scores: over time and by area -----------------------------------------------------------------

if tab_scores.open:
    with tab_scores:
        if source is None or metric is None:
            ui.empty_state("No scores to draw: the data has no survey answers (see above).")
        else:
            trend = voice.score_trend(basis, filters, metric, source, area=area, area_name=area_name)
            published = source == voice.SOURCE_PUBLISHED
            st.plotly_chart(
                voice_charts.score_trend_chart(trend, label, public, published=published),
                key="voice_trend_chart",
            )
            if area is None:
                st.caption("Choose an area above to draw it against the city.")
            else:
                st.markdown(f"**{fmt.markdown_text(area_name)} against the city** over the period")
                st.dataframe(
                    voice.area_against_city(basis, filters, area, source, public),
                    hide_index=True,
                    key="voice_area_city_table",
                    column_config={c: COUNT for c in ("Area n", "City n")},
                )
            long = voice.area_scores(basis, filters, source)
            rows, note = voice.area_chart_rows(long, metric, public)
            st.plotly_chart(
                voice_charts.score_dots_chart(
                    rows,
                    "name",
                    f"{label} by area" + ("" if published else ", with 95 % intervals"),
                    voice.city_score(basis, filters, metric, source),
                    "City",
                    highlight=area_name or None,
                ),
                key="voice_area_chart",
            )
            if note:
                st.caption(note)
            table = voice.area_table(long, k, public)
            if len(table):
                st.dataframe(
                    table,
                    hide_index=True,
                    key="voice_area_table",
                    column_config={c: COUNT for c in table.columns if c.endswith(" n")},
                )
                st.download_button(
                    "Download scores by area (CSV)",
                    partial(to_csv_bytes, table),  # made on click, not on every rerun
                    file_name=file_name("scores-by-area", *period),
                    mime="text/csv",
                    key="voice_area_csv",
                    icon="⬇️",
                    on_click="ignore",
                )
            else:
                ui.empty_state("No area has a score in this period.")

# --- breakdowns ------------------------------------------------------------------------------------

if tab_who.open:
    with tab_who:
        dimensions = voice.breakdown_dimensions(basis, source)
        if metric is None or not dimensions:
            ui.empty_state(
                "No breakdown by age group, gender or race / ethnicity: the responses have no such columns "
                "(age_group, gender, race_ethnicity) and the published scores no breakdown groups "
                "(such as 'age: 18-24')."
            )
        else:
            st.caption(
                f"{label} for each group, in the period and areas chosen"
                + (
                    ", as published for the city (or the one area chosen)"
                    if source == voice.SOURCE_PUBLISHED
                    else ""
                )
                + f". The dashed line is the score of everyone in the selection. Groups with fewer than {k} "
                + "responses are "
                + ("not shown." if public else "flagged ⚠: their figures are unreliable.")
            )
            overall = next(
                (h.value for h in voice.headlines(basis, filters, source) if h.metric == metric), None
            )
            tables = []
            for dimension in dimensions:
                shown, hidden = voice.public_rows(
                    voice.breakdown(basis, filters, metric, dimension, source), public
                )
                tables.append((dimension, shown, hidden))
            x_range = voice_charts.common_range([t for _, t, _ in tables], overall)
            for dimension, shown, hidden in tables:
                dimension_label = voice.DIMENSIONS[dimension]
                st.plotly_chart(
                    voice_charts.score_dots_chart(
                        shown,
                        "group",
                        f"{label} by {dimension_label.lower()}",
                        overall,
                        "Everyone",
                        x_range=x_range,
                    ),
                    key=f"voice_breakdown_{dimension}",
                )
                if hidden:
                    st.caption(f"{hidden} groups with fewer than {k} responses are not shown.")
            ui.csv_download(
                voice.breakdown_table([(voice.DIMENSIONS[d], table) for d, table, _ in tables], k, public),
                "Download the breakdowns (CSV)",
                f"{label}-by-group",
                *period,
                key="voice_breakdown_csv",
            )

# --- events against trust --------------------------------------------------------------------------

if tab_events.open:
    with tab_events:
        if area is None:
            ui.empty_state(
                "Choose an area above to see its score month by month beside the events held there."
            )
        else:
            trend = voice.score_trend(basis, filters, metric, source, area=area, area_name=area_name)
            events = voice.area_events(ds, filters, area)
            st.plotly_chart(
                voice_charts.events_trust_chart(trend, events, label, area_name, public),
                key="voice_events_chart",
            )
            st.markdown(fmt.markdown_text(voice.timing_summary(trend, events, area_name, label, public)))
            if source is None:
                st.caption("No survey answers in the data: only the events can be drawn.")
            if len(events):
                with st.expander(f"The {len(events):,} events in {fmt.markdown_text(area_name)}"):
                    st.dataframe(voice.events_table(events), hide_index=True, key="voice_events_table")

# --- comment sentiment, topics and the explorer: from the comment index ----------------------------

needs_index = tab_sentiment.open or tab_topics.open or tab_explorer.open
index = get_comment_index(settings, ds) if needs_index else None
rows = voice.select_rows(index, filters) if index is not None else None
NO_COMMENTS = (
    "No comments in the data: the responses have no `comment` column, or it is empty"
    if ds.has("responses")
    else "No comments in the data: there are no individual responses (only published scores or events)"
)

if tab_sentiment.open:
    with tab_sentiment:
        if index is None or index.size == 0:
            ui.empty_state(NO_COMMENTS + ", so comment sentiment cannot be shown.")
        else:
            lang = voice.languages(index, rows)
            st.caption(
                f"{lang.comments:,} comments in the period: {lang.english:,} in English are scored with VADER "
                "(compound ≥ 0.05 positive, ≤ −0.05 negative, else neutral). "
                f"{lang.spanish:,} in Spanish"
                + (f" and {lang.other:,} in other languages" if lang.other else "")
                + " are counted, tagged by topic (with Spanish keywords) and shown in the explorer, but not "
                "scored: VADER reads English only, so they are left out of net sentiment."
            )
            total = voice.net_sentiment_total(index, rows, k)
            hidden = public and total["suppressed"]
            shown = not hidden and not fmt.is_missing(total["net"])
            cards = st.columns(4)
            ui.kpi(
                cards[0],
                f"Net sentiment (n={total['n']:,})",
                fmt.signed(total["net"], 0) + (" ⚠" if total["suppressed"] else "") if shown else "—",
                help="% of scored comments positive minus % negative, in points.",
            )
            ui.kpi(
                cards[1],
                "Positive",
                fmt.percent(total["positive"]) if shown else "—",
                help="Compound ≥ 0.05.",
            )
            ui.kpi(
                cards[2],
                "Negative",
                fmt.percent(total["negative"]) if shown else "—",
                help="Compound ≤ −0.05.",
            )
            ui.kpi(
                cards[3],
                "Not in English",
                fmt.number(lang.spanish + lang.other),
                help="Comments in Spanish or another language: counted, tagged by topic and shown in the "
                "explorer, but not scored.",
            )
            monthly = voice.net_by_month(index, rows, k)
            st.plotly_chart(voice_charts.net_sentiment_chart(monthly, public), key="voice_sentiment_month")
            left, right = st.columns(2)
            by_area = voice.net_by(index, rows, "area", k)
            area_rows, area_note = voice.extremes(by_area, "net")
            left.plotly_chart(
                voice_charts.net_by_chart(area_rows, "Net sentiment by area", public),
                key="voice_sentiment_area",
            )
            if area_note:
                left.caption(area_note)
            by_program = voice.net_by(index, rows, "program", k)
            if len(by_program):
                right.plotly_chart(
                    voice_charts.net_by_chart(by_program, "Net sentiment by program", public),
                    key="voice_sentiment_program",
                )
            else:
                right.info(
                    "Net sentiment by program needs comments given at an event (their `event_id`); none of "
                    "these comments names an event with a program.",
                    icon="ℹ️",
                )
            ui.csv_download(
                voice.sentiment_table(monthly, by_area, by_program, public),
                "Download net sentiment (CSV)",
                "net-sentiment",
                *period,
                key="voice_sentiment_csv",
            )

if tab_topics.open:
    with tab_topics:
        taxonomy = index.taxonomy
        st.caption(
            f"Topics from the {taxonomy.source} ({len(taxonomy.topics)} topics, English and Spanish keywords). "
            "A comment can mention several topics, or none; Spanish comments are tagged with the Spanish keywords."
        )
        for problem in taxonomy.problems:
            st.warning(problem, icon="⚠️")
        concerns = voice.concern_topic_counts(index, filters)
        if index.size == 0:
            ui.empty_state(NO_COMMENTS + ", so comment topics cannot be shown.")
            if len(concerns):
                st.dataframe(concerns, hide_index=True, key="voice_concern_topics")
        else:
            shares = voice.topic_shares(index, rows, k)
            st.plotly_chart(voice_charts.topic_share_chart(shares, concerns), key="voice_topic_shares")
            ranked = [t for t in shares["topic"] if t in index.topics]
            chosen = st.multiselect(
                "Topics to follow over time",
                index.topics,
                default=ranked[:4],
                key="voice_topics",
                placeholder="Choose topics",
            )
            st.plotly_chart(
                voice_charts.topic_trend_chart(voice.topic_trend(index, rows, chosen)),
                key="voice_topic_trend",
            )
            st.plotly_chart(voice_charts.topic_sentiment_chart(shares, public), key="voice_topic_sentiment")
            ui.csv_download(
                voice.topic_table(shares, concerns, public),
                "Download topics (CSV)",
                "topics",
                *period,
                key="voice_topics_csv",
            )
        with st.expander("The topic list and its keywords (editable)"):
            st.markdown(
                "Case and accents are ignored; a keyword matches whole words, and one ending in `*` any word "
                "starting with it (`speed*` matches *speeding*). To change the list, download it, edit it in a "
                "spreadsheet and save it as `topics.csv` in the data folder: the dashboard uses it on its next "
                "load."
            )
            frame = taxonomy_frame(taxonomy)
            st.dataframe(frame, hide_index=True, key="voice_taxonomy_table")
            st.download_button(
                "Download the topic list (topics.csv)",
                to_csv_bytes(frame),
                file_name="topics.csv",
                mime="text/csv",
                key="voice_taxonomy_csv",
                icon="⬇️",
                on_click="ignore",
            )

if tab_explorer.open:
    with tab_explorer:
        if index.size == 0:
            ui.empty_state(NO_COMMENTS + ", so there are no comments to explore.")
        else:
            top = st.columns([3, 2, 2, 1.4, 1.4])
            query = top[0].text_input(
                "Search comments", key="voice_search", placeholder="Words to look for, e.g. speeding"
            )
            explorer_area = top[1].selectbox(
                "Area", [ANY, *area_options], format_func=lambda a: names.get(a, a), key="voice_explorer_area"
            )
            topic = top[2].selectbox(
                "Topic", [ANY, *index.topics, voice.NO_TOPIC], key="voice_explorer_topic"
            )
            sentiment = top[3].selectbox(
                "Sentiment", [ANY, *voice.CLASS_NAMES], key="voice_explorer_sentiment"
            )
            language = top[4].selectbox(
                "Language", [ANY, *voice.LANGUAGE_NAMES], key="voice_explorer_language"
            )
            chosen_rows = voice.select_rows(index, filters, None if explorer_area == ANY else explorer_area)
            options = {
                "hits": get_search_hits(settings, index, query or ""),
                "topic": None if topic == ANY else topic,
                "sentiment": None if sentiment == ANY else sentiment,
                "language": None if language == ANY else language,
            }
            found, matches = voice.explore(index, chosen_rows, **options)
            st.caption(
                f"{matches:,} comments match, newest first"
                + (f"; the newest {len(found):,} are shown" if matches > len(found) else "")
                + ". E-mail addresses, phone numbers and street addresses are replaced by [email], [phone] "
                "and [address]."
            )
            st.dataframe(
                found,
                hide_index=True,
                key="voice_explorer_table",
                row_height=EXPLORER_ROW_HEIGHT,
                height=EXPLORER_HEIGHT,
                column_config={"Comment": st.column_config.TextColumn("Comment", width="large")},
            )
            if public:
                st.caption("Row-level downloads of comments are not available in the public view.")
            elif matches:

                def matching_csv(index=index, rows=chosen_rows, options=options) -> bytes:
                    """The matching comments (redacted), made when the button is clicked."""
                    return to_csv_bytes(voice.explore(index, rows, **options, limit=voice.DOWNLOAD_ROWS)[0])

                cut = f", the newest {voice.DOWNLOAD_ROWS:,}" if matches > voice.DOWNLOAD_ROWS else ""
                st.download_button(
                    f"Download the matching comments (CSV, redacted{cut})",
                    matching_csv,
                    file_name=file_name("comments", *period),
                    mime="text/csv",
                    key="voice_explorer_csv",
                    icon="⬇️",
                    on_click="ignore",
                )
