"""Map: where engagement happens, and how each area is doing."""

import streamlit as st

from cpdash import ui
from cpdash.charts import maps
from cpdash.ui.data import get_event_basis, get_participation_basis
from cpdash.views import map as details
from cpdash.views.format import markdown_text as md

DECK_KEY = "map_deck"
AREA_KEY = "map_area"
EVENT_PARAM = "map_event"

settings = ui.get_settings()
ds = ui.get_dataset(settings)
filters = ui.current_filters()
k, public, offline = st.session_state["k"], st.session_state["public"], st.session_state["offline"]


def _forget_event() -> None:
    """A new area chosen by hand: the event shown before no longer applies."""
    if EVENT_PARAM in st.query_params:
        del st.query_params[EVENT_PARAM]


def _on_pick() -> None:
    """A click on the map: show the area (or the event and its area) beside it, and keep it in the URL."""
    picked = details.parse_selection(st.session_state.get(DECK_KEY))
    if picked.event_id:
        event = details.find_event(ds.events, picked.event_id)
        if event is not None:
            st.query_params[EVENT_PARAM] = picked.event_id
            st.session_state[AREA_KEY] = str(event["area_id"])
    elif picked.area_id:
        _forget_event()
        st.session_state[AREA_KEY] = picked.area_id


ui.page_header("Map", ui.page_context())

shapes = ui.get_map_shapes(settings, ds)
layers, missing_layers = details.layer_options(ds, bool(shapes))
measures, missing_measures = details.measure_options(ds)

layer, measure, weight = details.LAYER_EVENTS, None, "events"
if layers:
    controls = st.columns([1.5, 1.5, 2.2], vertical_alignment="bottom")
    layer = controls[0].segmented_control(
        "Show",
        layers,
        format_func=details.LAYER_LABELS.get,
        default=layers[0],
        required=True,
        key="map_layer",
        bind="query-params",
    )
    layer = layer or layers[0]
    if layer == details.LAYER_AREAS:
        measure = controls[1].selectbox(
            "Colour areas by",
            measures,
            format_func=lambda m: details.MEASURES[m].label,
            key="map_measure",
            bind="query-params",
        )
        measure = measure or measures[0]
        if missing_measures:
            controls[2].caption(details.missing_text(missing_measures, details.MEASURE_LABELS))
    elif layer == details.LAYER_DENSITY:
        weights = ["events", "attendance"] if details.has_attendance(ds) else ["events"]
        if len(weights) == 1:
            controls[2].caption("Attendance cannot be counted: the events have no attendance figures.")
        weight = controls[1].segmented_control(
            "Hexagons count",
            weights,
            format_func=details.WEIGHT_LABELS.get,
            default="events",
            required=True,
            key="map_density",
            bind="query-params",
        )
        weight = weight or "events"
    if missing_layers:
        st.caption(details.missing_text(missing_layers, details.LAYER_LABELS))
else:
    ui.empty_state(
        "Nothing can be drawn on a map: "
        + "; ".join(sorted(set(missing_layers.values())))
        + ". The table below has the figures for each area."
    )

participation_basis = get_participation_basis(settings, ds)
figures = details.area_figures(ds, filters, k, [measure] if measure else ["events"], participation_basis)
names = details.scope_names(figures)
in_scope, context_ids, labels = details.map_areas(ds, names, filters)
rows = details.event_rows(ds, filters)

map_column, detail_column = st.columns([2.2, 1.2], gap="medium") if layers else (None, st.container())
with detail_column:  # first, so that the map can outline the chosen area
    st.subheader("Details")
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

if layers:
    if layer == details.LAYER_AREAS:
        chosen = details.choropleth(figures, measure, k, public)
        view = maps.choropleth_map(chosen, shapes, context_ids, labels, offline, selected=area_id)
    elif layer == details.LAYER_DENSITY:
        basis = get_event_basis(settings, ds)
        view = maps.density_map(
            basis, rows, weight, shapes, in_scope, context_ids, labels, offline, selected=area_id
        )
    else:
        basis = get_event_basis(settings, ds)
        view = maps.events_map(basis, rows, shapes, in_scope, context_ids, labels, offline, selected=area_id)
    with map_column:
        st.pydeck_chart(
            view.deck,
            height=560,
            key=DECK_KEY,
            on_select=_on_pick,
            selection_mode="single-object",
            alt=view.alt,
        )
        if view.legend:
            st.image(maps.legend_svg(view.legend, view.legend_title))
        st.caption(details.map_notes(view.notes, layer == details.LAYER_EVENTS and not len(rows), offline))

with detail_column:
    event = details.find_event(ds.events, st.query_params.get(EVENT_PARAM))
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
        about = details.area_details(ds, filters, area_id, k, public, participation_basis)
        st.markdown(f"**{md(names[area_id])}**")
        lines = details.area_lines(about.figures, measures, k, public)
        st.markdown("\n".join(f"- {md(line)}" for line in lines))
        st.markdown("**Recent events**")
        if about.recent.empty:
            st.caption("No event in this area in the period.")
        else:
            st.dataframe(about.recent, hide_index=True, key="map_area_events")
        if ds.has("concerns"):
            st.markdown(f"**Open concerns: {about.open_count:,}**")
            if about.open_count:
                st.dataframe(about.open_oldest, hide_index=True, key="map_area_concerns")
                if about.open_count > len(about.open_oldest):
                    st.caption(f"The {len(about.open_oldest)} oldest of {about.open_count:,}.")

st.subheader("Figures by area")
st.caption(details.twin_caption(layer, measure, k, public))
table = details.twin_table(figures, layer, measure, k, public)
st.dataframe(table, hide_index=True, key="map_twin_table")
ui.csv_download(
    table, "Download figures by area (CSV)", "map-areas", filters.start, filters.end, key="map_twin_csv"
)
