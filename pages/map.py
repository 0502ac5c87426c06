"""Map: where engagement happens, and how each area is doing."""

import streamlit as st

from cpdash import ui
from cpdash.charts.maps import legend_html, map_height, map_width
from cpdash.ui.data import get_event_basis, get_map_details, get_map_figures
from cpdash.views import map as view
from cpdash.views import map_details as details
from cpdash.views.format import markdown_text as md

DECK_KEY = "map_deck"
AREA_KEY = "map_area"
EVENT_PARAM = "map_event"

ctx = ui.page_context()


def _forget_event() -> None:
    """A new area chosen by hand: the event shown before no longer applies."""
    if EVENT_PARAM in st.query_params:
        del st.query_params[EVENT_PARAM]


def _on_pick() -> None:
    """A click on the map: show the area (or the event and its area) beside it, and keep it in the URL."""
    picked = details.parse_selection(st.session_state.get(DECK_KEY))
    if picked.event_id:
        event = details.find_event(ctx.ds.events, picked.event_id)
        if event is not None:
            st.query_params[EVENT_PARAM] = picked.event_id
            st.session_state[AREA_KEY] = str(event["area_id"])
    elif picked.area_id:
        _forget_event()
        st.session_state[AREA_KEY] = picked.area_id


ui.page_header("Map", ctx)

shapes = ui.get_map_shapes(ctx.settings, ctx.ds)
options = view.options(ctx.src, bool(shapes))

layer, measure, weight = view.LAYER_EVENTS, "events", "events"
if options.layers:
    controls = st.columns([1.5, 1.5, 2.2], vertical_alignment="bottom")
    layer = controls[0].segmented_control(
        "Show",
        options.layers,
        format_func=view.LAYER_LABELS.get,
        default=options.layers[0],
        required=True,
        key="map_layer",
        bind="query-params",
    )
    layer = layer or options.layers[0]
    if layer == view.LAYER_AREAS:
        measure = controls[1].selectbox(
            "Colour areas by",
            options.measures,
            format_func=view.MEASURE_LABELS.get,
            key="map_measure",
            bind="query-params",
        )
        measure = measure or options.measures[0]
        if options.missing_measures:
            controls[2].caption(view.missing_text(options.missing_measures, view.MEASURE_LABELS))
    elif layer == view.LAYER_DENSITY:
        if len(options.weights) == 1:
            controls[2].caption("Attendance cannot be counted: the events have no attendance figures.")
        weight = controls[1].segmented_control(
            "Hexagons count",
            options.weights,
            format_func=view.WEIGHT_LABELS.get,
            default="events",
            required=True,
            key="map_density",
            bind="query-params",
        )
        weight = weight or "events"
    if options.missing_layers:
        st.caption(view.missing_text(options.missing_layers, view.LAYER_LABELS))
else:
    ui.empty_state(
        "Nothing can be drawn on a map: "
        + "; ".join(sorted(set(options.missing_layers.values())))
        + ". The table below has the figures for each area."
    )

figures = get_map_figures(ctx.settings, ctx.src, ctx.filters, ctx.policy, measure)
names = figures.names

map_column, detail_column = st.columns([2.2, 1.2], gap="medium") if options.layers else (None, st.container())
with detail_column:  # first, so that the map can outline the chosen area
    st.header("Details", anchor=False)
    if st.session_state.get(AREA_KEY) is not None and st.session_state[AREA_KEY] not in names:
        st.session_state[AREA_KEY] = None
    area_id = st.selectbox(
        "Area",
        list(names),
        format_func=lambda a: names.get(a, a),
        index=None,
        placeholder="Click an area on the map, or choose one",
        key=AREA_KEY,
        bind="query-params",
        on_change=_forget_event,
    )

if options.layers:
    rows = view.event_rows(ctx.ds, ctx.filters)
    basis = get_event_basis(ctx.settings, ctx.ds) if layer != view.LAYER_AREAS else None
    around = view.surroundings(ctx.src, names, ctx.filters)
    drawn = view.draw(
        layer, figures, around, shapes, ctx.policy, ctx.offline, area_id, basis, rows, weight, ctx.phone
    )
    with map_column:
        st.pydeck_chart(
            drawn.deck,
            height=map_height(map_width(ctx.phone)),
            key=DECK_KEY,
            on_select=_on_pick,
            selection_mode="single-object",
            alt=drawn.alt,
        )
        if drawn.legend:
            st.html(legend_html(drawn.legend, drawn.legend_title, note=drawn.legend_note))
        if layer == view.LAYER_AREAS and figures.note:
            st.caption(figures.note)
        st.caption(view.map_notes(drawn.notes, layer == view.LAYER_EVENTS and not len(rows), ctx.offline))

with detail_column:
    event = details.find_event(ctx.ds.events, st.query_params.get(EVENT_PARAM))
    if event is not None:
        with st.container(border=True):
            st.markdown(
                "**Event**  \n"
                + "  \n".join(f"{label}: {md(text)}" for label, text in details.event_lines(event))
            )
    if area_id is None:
        if event is None:
            st.caption("Choose an area to see its figures, its recent events and its open concerns.")
    else:
        about = get_map_details(
            ctx.settings, ctx.src, ctx.ds, ctx.filters, ctx.policy, measure, area_id, options.measures
        )
        st.markdown(f"**{md(about.name)}**")
        st.markdown("\n".join(f"- {md(line)}" for line in about.lines))
        st.markdown("**Recent events**")
        if about.recent.empty:
            st.caption("No event in this area in the period.")
        else:
            st.dataframe(about.recent, hide_index=True, key="map_area_events", placeholder="—")
        if about.open_count is not None:
            st.markdown(f"**Open concerns: {about.open_count:,}**")
            if len(about.open_oldest):
                st.dataframe(about.open_oldest, hide_index=True, key="map_area_concerns")
                if about.open_count > len(about.open_oldest):
                    st.caption(f"The {len(about.open_oldest)} oldest of {about.open_count:,}.")

st.header("Figures by area", anchor=False)
st.caption(view.twin_caption(figures, layer, ctx.policy))
table = view.twin_table(figures, layer)
st.dataframe(
    table,
    hide_index=True,
    key="map_twin_table",
    placeholder="—",
    column_config={"Small numbers": st.column_config.TextColumn(width="large")},
)
ui.csv_download(
    table,
    "Download figures by area (CSV)",
    "map-areas",
    ctx.filters.start,
    ctx.filters.end,
    key="map_twin_csv",
)
