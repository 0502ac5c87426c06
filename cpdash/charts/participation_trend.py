"""Participation charts over time: monthly trend, seasonality heat map, returning and new participants;
and the look every participation chart shares (cpdash.charts.participation_reach builds on it).

Every builder takes the pre-aggregated frames of cpdash.views.participation_* and returns a plotly
graph_objects Figure, built in one pass (traces as dicts, the whole layout at once: updating the layout
of a figure that already has traces is slow). Names from the data are HTML-escaped before they reach a
label or a hover text.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from cpdash.charts.base import FONT, PALETTE, PRIMARY, empty_figure, figure
from cpdash.charts.trends import month_step

LAST_YEAR_COLOUR = "rgba(90, 90, 90, 0.55)"
ROLLING_COLOUR = "#222222"
NOTABLE_COLOUR = "#000000"  # no bar is black: the stars stand apart from every program
OTHER_COLOUR = "#BBBBBB"
NEW_COLOUR = "#56B4E9"
RETURNING_COLOUR = PRIMARY
HEAT_SCALE = get_colorscale("Blues")  # as stops: plotly.js names its own, different "Blues"
TREND_HEIGHT = 440
SMALL_HEIGHT = 340
ROW_HEIGHT = 26  # per bar of a horizontal bar chart
MIN_HEIGHT = 260
LEGEND_ABOVE = {
    "orientation": "h",
    "yanchor": "bottom",
    "y": 1.02,
    "xanchor": "left",
    "x": 0,
    "traceorder": "normal",
}
LEGEND_BELOW = {**LEGEND_ABOVE, "yref": "container", "yanchor": "bottom", "y": 0}  # under the tick labels
MONTH_FORMAT = "%b<br>%Y"
TITLE_SIZE = 16  # as charts.base.layout
MARGIN = {"l": 10, "r": 10, "t": 48, "b": 10}  # as charts.base.layout
NOTABLE_LIFT = 0.06  # ★ sits this fraction of the tallest month above its month's top


def _esc(value: object) -> str:
    """Text from the data, safe inside plotly labels (which accept a little HTML)."""
    return html.escape(str(value))


def _dates(values: pd.Series | pd.Index) -> list[str]:
    """Dates as ISO text (what plotly would send anyway, without its slower conversion)."""
    return [f"{v:%Y-%m-%d}" for v in values]


def _bar_height(rows: int, extra: int = 90) -> int:
    """Height of a horizontal bar chart with `rows` bars."""
    return max(MIN_HEIGHT, extra + ROW_HEIGHT * rows)


def _month_axis(months: int) -> dict:
    """A monthly x axis ticked as the Overview's (charts.trends.month_step): level labels that never
    collide, on a phone too."""
    return {"dtick": month_step(months), "tickformat": MONTH_FORMAT, "tickangle": 0}


def _figure(traces: list[dict], title: str, y_title: str, height: int, **extra: object) -> go.Figure:
    """A figure with the look of charts.base.layout (title top-left, tight margins, the shared font) and
    the `extra` layout settings (dicts merged into the shared ones), built in one pass."""
    spec: dict = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": TITLE_SIZE}},
        "height": height,
        "margin": dict(MARGIN),
        "font": FONT,
        "yaxis": {"title": {"text": y_title}},
        "xaxis": {"title": {"text": None}},
        "showlegend": False,
        "hovermode": "x unified",
    }
    for key, value in extra.items():
        current = spec.get(key)
        spec[key] = {**current, **value} if isinstance(value, dict) and isinstance(current, dict) else value
    return figure(traces, spec)


def trend_chart(
    groups: pd.DataFrame,
    months: pd.DataFrame,
    notable: pd.DataFrame,
    measure: str,
    split_label: str,
    empty: str | None = None,
) -> go.Figure:
    """Stacked monthly bars per group (`groups`: one row per group, one column per month), the same
    months last year drawn faintly, a 3-month average line and ★ on the months with notable events."""
    label = "Attendance" if measure == "attendance" else "Events"
    title = f"{label} by month and {split_label.lower()}"
    if empty or len(months) == 0:
        return empty_figure(title, empty or "No event in this period and selection")
    x = _dates(months["month"])
    traces: list[dict] = []
    names = [str(n) for n in groups.index]
    for i, (name, values) in enumerate(zip(names, groups.to_numpy(dtype="float64"), strict=True)):
        other = name.startswith("Other ") and i == len(names) - 1
        traces.append(
            {
                "type": "bar",
                "x": x,
                "y": values,
                "name": _esc(name),
                "marker": {"color": OTHER_COLOUR if other else PALETTE[i % len(PALETTE)]},
                "hovertemplate": f"{_esc(name)}: %{{y:,.0f}}<extra></extra>",
            }
        )
    last_year = months["last_year"].to_numpy(dtype="float64")
    if not np.isnan(last_year).all():
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": last_year,
                "name": "Same month last year",
                "mode": "lines+markers",
                "line": {"color": LAST_YEAR_COLOUR, "width": 2, "dash": "dot"},
                "marker": {"size": 5},
                "hovertemplate": "last year: %{y:,.0f}<extra></extra>",
            }
        )
    rolling = months["rolling"].to_numpy(dtype="float64")
    if not np.isnan(rolling).all():
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": rolling,
                "name": "3-month average",
                "mode": "lines",
                "line": {"color": ROLLING_COLOUR, "width": 3},
                "hovertemplate": "3-month average: %{y:,.0f}<extra></extra>",
            }
        )
    marked = notable[notable["marked"].astype(bool)] if len(notable) else notable
    if len(marked):
        stack = np.vstack([months["value"].to_numpy(dtype="float64"), last_year, rolling])
        top = np.nan_to_num(np.nanmax(np.where(np.isnan(stack), -np.inf, stack), axis=0), neginf=0.0)
        position = {m: i for i, m in enumerate(x)}
        texts: dict[str, list[str]] = {}
        for month, text in zip(_dates(marked["month"]), marked["label"], strict=True):
            texts.setdefault(month, []).append(_esc(text))
        at = [m for m in texts if m in position]
        lift = NOTABLE_LIFT * max(float(top.max()), 1.0)
        traces.append(
            {
                "type": "scatter",
                "x": at,
                "y": [float(top[position[m]]) + lift for m in at],
                "name": "Notable events",
                "mode": "markers",
                "marker": {
                    "symbol": "star",
                    "size": 15,
                    "color": NOTABLE_COLOUR,
                    "line": {"width": 1, "color": "white"},
                },
                "text": ["<br>".join(texts[m]) for m in at],
                "hovertemplate": "%{text}<extra>★</extra>",
            }
        )
    return _figure(
        traces,
        title,
        "People" if measure == "attendance" else "Events",
        TREND_HEIGHT,
        barmode="stack",
        xaxis=_month_axis(len(months)),
        showlegend=True,
        legend=LEGEND_BELOW,
    )


def seasonality_chart(matrix: pd.DataFrame, measure: str, empty: str | None = None) -> go.Figure:
    """A month x program heat map: each program's share of its own total in each month, so that a small
    program's season shows as clearly as a large one's; the numbers are on hover. A cell with events but
    no attendance count is left blank."""
    label = "attendance" if measure == "attendance" else "events"
    title = f"When each program is busiest: share of its {label} by month"
    if empty or matrix.empty:
        return empty_figure(title, empty or "No event in this period and selection")
    values = matrix.to_numpy(dtype="float64")
    totals = np.nansum(values, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, values / np.where(totals > 0, totals, 1.0) * 100, np.nan)
    share = np.where(np.isnan(values), np.nan, share)
    unit = "people" if measure == "attendance" else "events"
    trace = {
        "type": "heatmap",
        "z": share,
        "x": _dates(matrix.columns),
        "y": [_esc(p) for p in matrix.index],
        "customdata": values,
        "colorscale": HEAT_SCALE,
        "zmin": 0,
        "hoverongaps": False,
        "colorbar": {
            "title": {"text": "% of its<br>total"},
            "thickness": 12,
            "ticksuffix": " %",
        },
        "hovertemplate": f"%{{y}}, %{{x|%b %Y}}: %{{customdata:,.0f}} {unit} (%{{z:.0f}} % of its total)"
        "<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    return _figure(
        [trace],
        title,
        "",
        _bar_height(len(matrix), 110),
        hovermode="closest",
        xaxis={
            "tickformat": MONTH_FORMAT,
            "tickangle": 0,
            "nticks": min(matrix.shape[1], 7),
        },  # spaced to the width
        yaxis={"autorange": "reversed"},
    )


def returning_chart(monthly: pd.DataFrame, empty: str | None = None) -> go.Figure:
    """Participants per month: returning (came to an earlier event) and new, stacked."""
    title = "Participants by month: returning and new"
    if empty or len(monthly) == 0 or monthly["participants"].sum() == 0:
        return empty_figure(title, empty or "No attendee records in this period")
    x = _dates(monthly["month"])
    traces = [
        {
            "type": "bar",
            "x": x,
            "y": monthly["returning"].to_numpy(),
            "name": "Returning",
            "marker": {"color": RETURNING_COLOUR},
            "customdata": (monthly["share_returning"] * 100).to_numpy(),
            "hovertemplate": "returning: %{y:,} (%{customdata:.0f} %)<extra></extra>",
        },
        {
            "type": "bar",
            "x": x,
            "y": monthly["new"].to_numpy(),
            "name": "New",
            "marker": {"color": NEW_COLOUR},
            "hovertemplate": "new: %{y:,}<extra></extra>",
        },
    ]
    unsplit = monthly["participants"].where(monthly["returning"].isna())
    if unsplit.notna().any():  # shown, but not split: returning or new rests on too few
        traces.append(
            {
                "type": "bar",
                "x": x,
                "y": unsplit.to_numpy(),
                "name": "Not split",
                "marker": {"color": OTHER_COLOUR},
                "hovertemplate": "participants: %{y:,} (returning or new too few to show)<extra></extra>",
            }
        )
    return _figure(
        traces,
        title,
        "Participants",
        SMALL_HEIGHT,
        barmode="stack",
        xaxis=_month_axis(len(monthly)),
        showlegend=True,
        legend=LEGEND_ABOVE,
        margin={"t": 80},
    )
