"""Follow-through charts: where concerns stand by area or topic, and how long the open ones have waited.
Names from the data (areas, topics, programs) are HTML-escaped: plotly reads a few tags in text."""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import FONT, SMALL_HEIGHT, empty_figure, figure, layout, under_axis

# Resolved reads as done (green), declined as set aside (grey), in progress as under way (orange),
# open as waiting (vermilion): Okabe-Ito colours, distinguishable with colour blindness.
STATUS_COLOURS = {
    "resolved": "#009E73",
    "declined": "#8C8C8C",
    "in progress": "#E69F00",
    "open": "#D55E00",
}
STATUS_NAMES = {
    "resolved": "Resolved in the period",
    "declined": "Declined in the period",
    "in progress": "In progress at the end",
    "open": "Open at the end",
}
STATUS_FIELDS = {"resolved": "resolved", "declined": "declined", "in progress": "in_progress", "open": "open"}
AGE_COLOURS = ("#F4C7A8", "#ECA070", "#E07B39", "#D55E00", "#8F3F00")  # older is darker
TOP_GROUPS = 15
BAR_ROW_HEIGHT = 28  # pixels per bar in horizontal bar charts
MIN_HEIGHT = 280
SMALL_COUNT = 10  # up to this many, a count axis ticks every 1


TICK_LABELS = 30  # pixels below the plot for the count axis's tick labels
LEGEND_ROW = 19  # pixels per row of legend entries


def _legend_below(entries: int, height: int) -> dict:
    """Layout that puts the legend right under the count axis's tick labels, one entry a row (a phone)."""
    below = under_axis(entries, LEGEND_ROW, TICK_LABELS, 12, height)
    return below | {"margin": {"l": 10, "r": 10, "t": 48} | below["margin"]}


def escaped(values: Iterable[object]) -> list[str]:
    """Labels from the data, HTML-escaped."""
    return [html.escape(str(v)) for v in values]


def count_axis(fig: go.Figure, maximum: float, axis: str = "x") -> go.Figure:
    """Whole-number ticks on a count axis (no 0.5 concerns), starting at zero."""
    settings = {"rangemode": "tozero", "tickformat": ",d"}
    if maximum <= SMALL_COUNT:
        settings["dtick"] = 1
    return fig.update_xaxes(**settings) if axis == "x" else fig.update_yaxes(**settings)


def _height(rows: int) -> int:
    """Height of a horizontal bar chart with `rows` bars."""
    return max(MIN_HEIGHT, 90 + BAR_ROW_HEIGHT * rows)


def _count_axis(maximum: float, title: str | None) -> dict:
    """count_axis's settings as a layout axis, with its title."""
    axis = {"title": {"text": title}, "rangemode": "tozero", "tickformat": ",d"}
    return axis | {"dtick": 1} if maximum <= SMALL_COUNT else axis


def _layout(title: str, height: int, **more: object) -> dict:
    """charts.base.layout's look as a layout dict (no axis title at the side), with `more` on top."""
    heading = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}
    look = {"title": heading, "height": height, "margin": {"l": 10, "r": 10, "t": 48, "b": 10}, "font": FONT}
    return look | {"showlegend": False, "hovermode": "x unified"} | more


def status_chart(table: pd.DataFrame, by_label: str = "Area", top: int = TOP_GROUPS) -> go.Figure:
    """Stacked horizontal bars per area or topic: resolved, declined, in progress and open concerns."""
    title = f"Concerns by {by_label.lower()}: what became of them"
    if table.empty or table[list(STATUS_FIELDS.values())].to_numpy().sum() == 0:
        return empty_figure(title, "No concern was raised, closed or open in this period")
    rows = table.head(top).iloc[::-1]  # largest at the top
    labels = escaped(rows["label"])
    traces = [
        {
            "type": "bar",
            "y": labels,
            "x": rows[field].to_numpy(),
            "orientation": "h",
            "name": STATUS_NAMES[status],
            "marker": {"color": STATUS_COLOURS[status]},
            "hovertemplate": "%{y}: %{x:,} " + status + "<extra></extra>",
        }
        for status, field in STATUS_FIELDS.items()
    ]
    notes = []
    if len(table) > top:
        notes.append(
            {
                "text": f"The {top} with most concerns of {len(table)}",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.02,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 12},
            }
        )
    widest = float(rows[list(STATUS_FIELDS.values())].sum(axis=1).max())
    height = _height(len(rows))
    return figure(
        traces,
        _layout(
            title,
            height,
            barmode="stack",
            hovermode="y unified",
            **_legend_below(len(traces), height),
            xaxis=_count_axis(widest, None),
            yaxis={"title": {"text": ""}},
            **({"annotations": notes} if notes else {}),
        ),
    )


def backlog_age_chart(ages: pd.DataFrame) -> go.Figure:
    """Bars of open concerns by how long they have waited, oldest on the right and darkest."""
    title = "Open concerns by how long they have waited"
    if ages.empty or ages["concerns"].sum() == 0:
        return empty_figure(title, "No concern is open at the end of the period")
    bars = {
        "type": "bar",
        "x": ages["age"].to_numpy(),
        "y": ages["concerns"].to_numpy(),
        "marker": {"color": list(AGE_COLOURS[: len(ages)])},
        "text": ages["concerns"].to_numpy(dtype="float64"),  # as plotly's check makes it
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}: %{y:,} open<extra></extra>",
    }
    axis = _count_axis(float(ages["concerns"].max()), "Open concerns")
    return figure(
        [bars],
        _layout(title, SMALL_HEIGHT, hovermode="closest", xaxis={"title": {"text": None}}, yaxis=axis),
    )


def open_by_topic_chart(table: pd.DataFrame, top: int = 8) -> go.Figure:
    """Stacked horizontal bars per topic of the concerns still open at the end: in progress and open."""
    title = "Still open at the end of the period, by topic"
    rows = table[table["open_at_end"] > 0] if not table.empty else table
    if rows.empty:
        return empty_figure(title, "Nothing is open at the end of the period")
    rows = rows.sort_values("open_at_end", ascending=False, kind="stable").head(top).iloc[::-1]
    fig = go.Figure()
    for status in ("in progress", "open"):
        field = STATUS_FIELDS[status]
        fig.add_trace(
            go.Bar(
                y=escaped(rows["label"]),
                x=rows[field],
                orientation="h",
                name="In progress" if status == "in progress" else "Not yet started",
                marker_color=STATUS_COLOURS[status],
                hovertemplate="%{y}: %{x:,} " + status + "<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    layout(fig, title, "", height=_height(len(rows)))
    fig.update_layout(hovermode="y unified", **_legend_below(len(fig.data), fig.layout.height))
    count_axis(fig, float(rows["open_at_end"].max()))
    return fig
