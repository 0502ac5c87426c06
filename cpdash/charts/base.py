"""What every chart shares: palette, fonts, layout, and the figure that says there is nothing to draw."""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe-Ito, a palette readable with the common forms of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PRIMARY = "#0072B2"
SCORE_COLOUR = "#009E73"
BAND_COLOUR = "rgba(0, 158, 115, 0.18)"
FLAG_COLOUR = "#D55E00"
FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 14}
SMALL_HEIGHT = 280
# Checking every property of a figure against plotly's schema costs more than building it. The builders that
# go through `figure` make their traces and layout as plain dicts from known keys, so in the app the check
# is skipped; the tests turn it on (tests/test_charts.py) so a wrong key still fails there.
VALIDATE = False


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from traces and a layout given as dicts, built in one pass (checked when VALIDATE is on)."""
    return go.Figure(data=data, layout=layout, _validate=VALIDATE)


def base_layout(title: str, y_title: str, height: int = SMALL_HEIGHT) -> dict:
    """Title top-left, tight margins, readable fonts, one unified hover: as a dict, for `figure`."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "font": FONT,
        "yaxis": {"title": {"text": y_title}},
        "xaxis": {"title": {"text": None}},
        "showlegend": False,
        "hovermode": "x unified",
    }


def layout(fig: go.Figure, title: str, y_title: str, height: int = SMALL_HEIGHT) -> go.Figure:
    """Title top-left, tight margins, readable fonts, one unified hover (base_layout on a built figure)."""
    return fig.update_layout(base_layout(title, y_title, height))


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says, in words, why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, "")


def under_axis(rows: int, row: int, ticks: int, font_size: int, height: int) -> dict:
    """Layout that puts the legend right under the x axis's tick labels (`ticks` pixels), in a bottom margin
    holding `rows` rows of `row` pixels, in a figure `height` pixels tall (a legend placed a fraction of the
    plot below the axis covers the tick labels on a short chart)."""
    bottom = ticks + rows * row + 6
    legend = {
        "orientation": "h",
        "yref": "container",
        "y": (bottom - ticks) / height,
        "yanchor": "top",
        "x": 0,
        "font": {"size": font_size},
        "traceorder": "normal",
    }
    return {"showlegend": True, "legend": legend, "margin": {"b": bottom}}


def legend_under_axis(fig: go.Figure, rows: int, row: int, ticks: int, font_size: int) -> go.Figure:
    """The legend right under the x axis's tick labels (under_axis); call once the figure's height is set."""
    return fig.update_layout(**under_axis(rows, row, ticks, font_size, fig.layout.height))
