"""Community voice charts of scores: a dot per area or group with its interval, and an area's score over
time above the events held there. Built with graph_objects from the view's frames
(cpdash.views.voice_scores, voice_groups, voice_events), which have already passed the small-numbers
policy: a chart draws what it is given.

Names from the data (areas, programs, event titles, groups) are HTML-escaped before they reach a label or
a hover text: plotly reads a few HTML tags in them.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import FLAG_COLOUR, FONT, SCORE_COLOUR, empty_figure, under_axis
from cpdash.charts.base import figure as build_figure
from cpdash.charts.maps import program_colour
from cpdash.charts.trends import month_step, score_trend_chart
from cpdash.data.schema import PROGRAMS

HIGHLIGHT_COLOUR = "#CC79A7"  # reddish purple: the area chosen on the page
CITY_LINE = {"color": "#6E6E6E", "width": 2, "dash": "dash"}
ROW_HEIGHT = 26  # pixels per row of a horizontal chart
MIN_HEIGHT = 280
EVENT_ROW_PX = 30  # height of one program's row of events
EVENT_TOP_PX = 300  # height of the score above the events
EVENT_SIZE = (7, 22)  # smallest and largest event marker, by attendance
SCORE_AXIS = [0.0, 100.0]
SCORE_NOTE = "Score on 0–100, not a percentage"
MIN_SCORE_SPAN = 30.0  # score axes zoomed to the data span are at least this many points wide
LEGEND_ROW_PX, LEGEND_FONT = 22, 12  # one row of a legend under a chart, and its type size
ONE_LINE_TICKS, DATE_TICKS = 26, 44  # the height of the x axis's tick labels: one line, or month over year


def legend_below(plot_height: int, ticks: int, entries: int) -> tuple[int, dict]:
    """The height of a chart whose plot (with title and tick labels) is `plot_height` pixels, grown by a
    legend of `entries` right under the x axis's tick labels (`ticks` pixels high), and the layout that puts
    the legend there. Room is kept for one entry a row, as plotly lays them out on a phone."""
    rows = max(entries, 1)
    height = plot_height + rows * LEGEND_ROW_PX + 6
    layout = under_axis(rows, LEGEND_ROW_PX, ticks, LEGEND_FONT, height)
    layout["legend"]["xref"] = "container"  # the figure's width, not the plot's beside long area names
    return height, layout


def _in_legend(trace: dict | go.Scatter) -> bool:
    """True when the trace has an entry in the legend."""
    d = trace if isinstance(trace, dict) else trace.to_plotly_json()
    return d.get("showlegend", True) is not False and bool(d.get("name"))


def escaped(values: object) -> list[str]:
    """HTML-escaped texts."""
    return [html.escape(str(v)) for v in values]


def figure(
    traces: list,
    title: str,
    height: int,
    *,
    subtitle: str = "",
    x: dict | None = None,
    y: dict | None = None,
    **more: object,
) -> go.Figure:
    """A figure with the look of charts.base.layout (title top-left, tight margins, fonts), in one go; a
    short title, and what the chart measures in a subtitle under it (long titles are cut on phones)."""
    heading: dict[str, object] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 13}}
    layout: dict[str, object] = {
        "title": heading,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 72 if subtitle else 48, "b": 10},
        "font": FONT,
        "showlegend": False,
        "hovermode": "x unified",
        "xaxis": {"title": {"text": None}} | (x or {}),
        "yaxis": {"title": {"text": ""}} | (y or {}),
    }
    margin = more.pop("margin", None)
    layout.update(more)
    if isinstance(margin, dict):
        layout["margin"] = {**layout["margin"], **margin}  # type: ignore[dict-item]
    return build_figure(traces, layout)


def row_height(rows: float) -> int:
    """Height of a horizontal chart with `rows` rows."""
    return int(max(MIN_HEIGHT, 100 + ROW_HEIGHT * rows))


def _score_range(rows: pd.DataFrame, reference: float | None) -> list[float]:
    """An x range around the scores, their intervals and the reference, within 0-100, at least
    MIN_SCORE_SPAN wide (so that small differences are not blown up)."""
    values = np.concatenate(
        [rows[c].to_numpy(dtype="float64", na_value=np.nan) for c in ("score", "low", "high")]
        + [np.array([np.nan if reference is None else reference], dtype="float64")]
    )
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return list(SCORE_AXIS)
    low, high = float(values.min()), float(values.max())
    pad = max(3.0, (high - low) * 0.08)
    low, high = low - pad, high + pad
    if high - low < MIN_SCORE_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SCORE_SPAN / 2, middle + MIN_SCORE_SPAN / 2
    if low < SCORE_AXIS[0]:
        low, high = SCORE_AXIS[0], min(SCORE_AXIS[1], high - low)
    if high > SCORE_AXIS[1]:
        low, high = max(SCORE_AXIS[0], low - (high - SCORE_AXIS[1])), SCORE_AXIS[1]
    return [low, high]


def common_range(frames: list[pd.DataFrame], reference: float | None = None) -> list[float]:
    """One x range for several score charts (so that they compare), at least MIN_SCORE_SPAN wide."""
    rows = [f[["score", "low", "high"]] for f in frames if len(f)]
    if not rows:
        return list(SCORE_AXIS)
    return _score_range(pd.concat(rows, ignore_index=True), reference)


def score_dots_chart(
    rows: pd.DataFrame,
    title: str,
    reference: float | None = None,
    reference_name: str = "",
    x_range: list[float] | None = None,
) -> go.Figure:
    """A dot per row (area or group: label, score, low, high, flagged, highlight) at its score with its
    95 % interval; flagged rows marked ⚠ and drawn as crosses; `reference` a dashed line (the city)."""
    if rows.empty or rows["score"].notna().sum() == 0:
        return empty_figure(title, "No scores to show for this selection")
    flagged = rows["flagged"].astype(bool).to_numpy()
    highlight = rows["highlight"].astype(bool).to_numpy()
    has_interval = (rows["low"].notna() & rows["high"].notna()).to_numpy()
    interval = [
        f"; 95 % interval {lo:.0f}–{hi:.0f}" if ok else ""
        for lo, hi, ok in zip(rows["low"], rows["high"], has_interval, strict=True)
    ]
    colours = np.where(flagged, FLAG_COLOUR, np.where(highlight, HIGHLIGHT_COLOUR, SCORE_COLOUR))
    trace = {
        "type": "scatter",
        "x": rows["score"],
        "y": escaped(rows["label"]),
        "mode": "markers",
        "marker": {"size": 11, "color": list(colours), "symbol": ["x" if f else "circle" for f in flagged]},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": (rows["high"] - rows["score"]).fillna(0),
            "arrayminus": (rows["score"] - rows["low"]).fillna(0),
            "color": "rgba(0, 0, 0, 0.35)",
            "thickness": 1.5,
            "width": 4,
            "visible": bool(has_interval.any()),
        },
        "customdata": interval,
        "hovertemplate": "%{y}: %{x:.0f}%{customdata}<extra></extra>",
        "name": "",
    }
    extra: dict[str, object] = {}
    if reference is not None and pd.notna(reference):
        line = {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": reference,
            "x1": reference,
            "y0": 0,
            "y1": 1,
        }
        note = {"x": reference, "xref": "x", "y": 1, "yref": "paper", "showarrow": False, "yanchor": "bottom"}
        extra = {
            "shapes": [line | {"line": CITY_LINE}],
            "annotations": [note | {"text": f"{html.escape(reference_name)} {reference:.0f}"}],
        }
    return figure(
        [trace],
        title,
        row_height(len(rows)),
        subtitle=SCORE_NOTE,
        x={"range": x_range or _score_range(rows, reference)},
        y={"autorange": "reversed", "automargin": True},
        hovermode="closest",
        margin={"l": 10, "r": 20, "t": 88, "b": 10},
        **extra,
    )


def _event_traces(events: pd.DataFrame, programs: list[str]) -> list[dict]:
    """One row of markers per program on the second y axis, sized by attendance."""
    attendance = pd.to_numeric(events["attendance"], errors="coerce")
    top = attendance.max() if attendance.notna().any() else 1.0
    sizes = EVENT_SIZE[0] + (EVENT_SIZE[1] - EVENT_SIZE[0]) * np.sqrt(attendance.fillna(0) / max(top, 1.0))
    traces = []
    for program in programs:
        mine = (events["program"] == program).to_numpy()
        rows = events[mine]
        people = [f"{a:,.0f} people" if pd.notna(a) else "attendance not recorded" for a in attendance[mine]]
        dates = pd.to_datetime(rows["start"]).dt.strftime("%-d %b %Y")
        traces.append(
            {
                "type": "scatter",
                "x": rows["start"],
                "y": [html.escape(program)] * len(rows),
                "yaxis": "y2",
                "mode": "markers",
                "marker": {
                    "size": sizes[mine],
                    "color": "rgb({}, {}, {})".format(*program_colour(program)),
                    "line": {"width": 1, "color": "white"},
                    "opacity": 0.85,
                },
                "name": html.escape(program),
                "showlegend": False,
                "customdata": list(zip(escaped(rows["title"]), dates, people, strict=True)),
                "hovertemplate": "%{y} · %{customdata[1]}<br>%{customdata[0]}<br>%{customdata[2]}<extra></extra>",
            }
        )
    return traces


def events_trust_chart(trend: pd.DataFrame, events: pd.DataFrame, label: str, area_name: str) -> go.Figure:
    """The area's score over time (cpdash.charts.trends, the city dashed) above its engagement events on
    the same time axis, one row per program."""
    title = f"{html.escape(area_name)}: {label.lower()} and engagement events"
    has_scores = len(trend) > 0 and trend["score"].notna().any()
    if not has_scores and events.empty:
        return empty_figure(title, "No scores and no events for this area in this period")
    present = set(events["program"]) if len(events) else set()
    programs = [p for p in PROGRAMS if p in present] + sorted(present - set(PROGRAMS))
    bottom_px = EVENT_ROW_PX * max(len(programs), 2)
    split = bottom_px / (EVENT_TOP_PX + bottom_px)
    traces = list(score_trend_chart(trend, label).data) if has_scores else []
    if len(events):
        traces += _event_traces(events, programs)
    when = pd.to_datetime(pd.concat([trend.get("when", pd.Series()), events["start"]], ignore_index=True))
    months = max(int(when.dt.to_period("M").nunique()), 1)
    entries = sum(1 for t in traces if _in_legend(t))
    height, legend = legend_below(EVENT_TOP_PX + bottom_px + 130, DATE_TICKS, entries)
    return figure(
        traces,
        title,
        height,
        subtitle=f"{SCORE_NOTE}, above the events held in the area",
        x={
            "dtick": month_step(months),
            "tickformat": "%b<br>%Y",
            "tickangle": 0,
            "anchor": "y2",
            "type": "date",
        },
        y={"range": SCORE_AXIS, "title": {"text": "Score"}, "domain": [split + 0.08, 1.0]},
        **legend,
        hovermode="closest",
        yaxis2={
            "domain": [0.0, split],
            "anchor": "x",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": escaped(programs[::-1]),
            "tickmode": "array",
            "tickvals": escaped(programs),
            "automargin": True,
        },
    )
