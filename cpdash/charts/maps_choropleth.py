"""The areas layer: each area coloured by the class of its figure, grey where the figure may not be shown
(small numbers) and pale where there is none. Nothing here imports Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk

from cpdash.charts.maps_deck import (
    AREAS_LAYER,
    DEFAULT_VIEW,
    MAP_MIN_WIDTH_PX,
    MapView,
    Shapes,
    area_box,
    features,
    fit_view,
    make_deck,
    outline_layers,
    selected_layer,
)
from cpdash.charts.maps_labels import label_layer
from cpdash.charts.maps_legend import (
    CLASSES,
    DIVERGING,
    FILL_ALPHA,
    NO_FIGURE_COLOUR,
    NOT_ENOUGH_COLOUR,
    SEQUENTIAL,
    VERSUS,
    LegendItem,
    bin_legend,
    class_breaks,
    class_colours,
    spread,
)

SENTIMENT_BREAKS = (-20.0, -5.0, 5.0, 20.0)  # net sentiment classes (points), fixed so periods compare


@dataclass(frozen=True)
class Choropleth:
    """What the areas layer draws for a measure: per area its value, lack of responses, tooltip."""

    values: pd.DataFrame  # index area_id; columns value, not_enough (bool), tooltip
    title: str
    unit: str = ""
    decimals: int = 0
    diverging: bool = False
    whole: bool = False
    not_enough_label: str = "not enough responses"
    no_figure_label: str = "no figure"
    classes: tuple[str, ...] = ()  # when given, values are class numbers 0, 1, ... and these their words
    legend_note: str = ""  # what the classes mean


def choropleth_map(
    figures: Choropleth,
    shapes: Shapes,
    context_ids: Sequence[str],
    labels: pd.DataFrame,
    offline: bool,
    selected: str | None = None,
    width_px: int = MAP_MIN_WIDTH_PX,
) -> MapView:
    """Areas coloured by class of a measure; grey (with its own legend entry) where not coloured."""
    values = figures.values
    v = values["value"].to_numpy(dtype="float64", na_value=np.nan)
    known = v[np.isfinite(v)]
    both_sides = len(known) > 0 and known.min() < SENTIMENT_BREAKS[1] and known.max() > SENTIMENT_BREAKS[2]
    if figures.classes:  # classes given by the caller: one colour each, below to above
        breaks = [i + 0.5 for i in range(len(figures.classes) - 1)]
        palette = VERSUS
    elif figures.diverging and both_sides:  # fixed classes around neutral, comparable between periods
        breaks = list(SENTIMENT_BREAKS)
        palette = DIVERGING
    else:  # all on one side of neutral: classes at quantiles show the differences
        breaks = class_breaks(v, CLASSES, whole=figures.whole)
        palette = SEQUENTIAL
    colours = class_colours(v, breaks, palette)
    not_enough = values["not_enough"].to_numpy(dtype=bool)
    props = {}
    for area_id, colour, short, tip in zip(values.index, colours, not_enough, values["tooltip"], strict=True):
        if colour is None:
            colour = [*(NOT_ENOUGH_COLOUR if short else NO_FIGURE_COLOUR), FILL_ALPHA]
        props[str(area_id)] = {
            "area_id": str(area_id),
            "c": colour,
            "t": f"{tip}\nClick for this area's details",
        }
    layers = []
    context = [a for a in context_ids if a not in props]
    if context:
        layers += outline_layers(shapes, {}, context, pickable=False)[:-1]
    layers.append(
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": features(shapes, props)},
            id=AREAS_LAYER,
            stroked=True,
            filled=True,
            get_fill_color="properties.c",
            get_line_color=[255, 255, 255, 230],
            line_width_min_pixels=1.2,
            pickable=True,
            auto_highlight=True,
            highlight_color=[0, 0, 0, 60],
        )
    )
    box = area_box(shapes, props)
    view = fit_view(*box, width_px) if box else pdk.ViewState(**DEFAULT_VIEW)
    names, key = label_layer(labels, view, shapes)
    layers += selected_layer(shapes, selected) + names
    if figures.classes:  # every class, so that the legend says what each means, once any area has one
        shades = spread(palette, len(figures.classes))
        legend = [LegendItem(tuple(c), label) for c, label in zip(shades, figures.classes, strict=True)]
        legend = legend if len(known) else []
    else:
        legend = bin_legend(breaks, palette, figures.decimals, figures.unit, values=v)
    if not_enough.any():
        legend.append(LegendItem(tuple(NOT_ENOUGH_COLOUR), figures.not_enough_label))
    if (~np.isfinite(v) & ~not_enough).any():
        legend.append(LegendItem(tuple(NO_FIGURE_COLOUR), figures.no_figure_label))
    coloured = int(np.isfinite(v).sum())
    return MapView(
        deck=make_deck(layers, view, offline),
        legend=tuple(legend),
        legend_title=figures.title,
        legend_note="\n".join(note for note in (figures.legend_note, key) if note),
        alt=f"Map of {len(props):,} areas coloured by {figures.title.lower()}; {coloured:,} have a figure.",
    )
