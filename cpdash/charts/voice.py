"""Community voice charts: scores over time and by area, breakdowns, events against trust, comment
sentiment and topics. Built with graph_objects from the pre-aggregated frames of cpdash.voice.

Each figure is written as one dict of traces and layout and made into a `go.Figure` at once (validated
as usual), several times faster than adding traces and updating the layout one call at a time.

Names from the data (areas, programs, event titles, groups, topics) are HTML-escaped before they reach a
label or a hover text: plotly reads a few HTML tags in them.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import BAND_COLOUR, FLAG_COLOUR, FONT, PALETTE, SCORE_COLOUR, empty_figure
from cpdash.charts.maps import program_colour
from cpdash.data.schema import PROGRAMS

# --- constants -------------------------------------------------------------------------------------

CITY_COLOUR = "#6E6E6E"
CITY_BAND = "rgba(110, 110, 110, 0.12)"
POSITIVE_COLOUR = "#0072B2"  # blue: positive comments (Okabe-Ito)
NEGATIVE_COLOUR = "#D55E00"  # vermilion: negative comments
NEUTRAL_COLOUR = "#BDBDBD"
COMMENTS_COLOUR = "#0072B2"
CONCERNS_COLOUR = "#E69F00"
NO_TOPIC_COLOUR = "#BDBDBD"
SUPPRESSED_COLOUR = "#D9D9D9"
HIGHLIGHT_COLOUR = "#CC79A7"  # reddish purple: the area chosen on the page
ROW_HEIGHT = 26  # pixels per row of a horizontal chart
MIN_HEIGHT = 280
TREND_HEIGHT = 340
EVENT_ROW_PX = 30  # height of one program's row of events
EVENT_TOP_PX = 300  # height of the score above the events
EVENT_SIZE = (7, 22)  # smallest and largest event marker, by attendance
SCORE_AXIS = [0.0, 100.0]
MIN_SCORE_SPAN = 30.0  # score axes zoomed to the data span are at least this many points wide
MONTHLY_TICKS_MAX = 8  # up to this many months, a tick every month
CITY_LINE = {"color": CITY_COLOUR, "width": 2, "dash": "dash"}
ZERO_LINE = {"color": "#333333", "width": 1}
CITY_SERIES = "City"  # cpdash.voice.CITY_LABEL
NO_TOPIC = "no topic matched"  # cpdash.voice.NO_TOPIC
LEGEND_BELOW = {"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top", "xanchor": "left"}


# --- helpers ---------------------------------------------------------------------------------------


def _e(values: object) -> object:
    """HTML-escaped text (a scalar or each item of a sequence)."""
    if isinstance(values, pd.Series | pd.Index | np.ndarray | list | tuple):
        return [html.escape(str(v)) for v in values]
    return html.escape(str(values))


def _figure(
    traces: list[dict],
    title: str,
    height: int,
    *,
    x: dict | None = None,
    y: dict | None = None,
    show_legend: bool = False,
    **more: object,
) -> go.Figure:
    """A figure with the look of charts.base.layout (title top-left, tight margins, fonts, one hover)."""
    layout: dict[str, object] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "font": FONT,
        "showlegend": show_legend,
        "hovermode": "x unified",
        "xaxis": {"title": {"text": None}} | (x or {}),
        "yaxis": {"title": {"text": ""}} | (y or {}),
    }
    if show_legend:
        layout["legend"] = LEGEND_BELOW
    layout.update(more)
    return go.Figure({"data": traces, "layout": layout})


def _month_ticks(months: int) -> dict[str, object]:
    """Axis settings for month ticks: every month up to MONTHLY_TICKS_MAX months, else fewer."""
    if months <= MONTHLY_TICKS_MAX:
        step = 1
    elif months <= 2 * MONTHLY_TICKS_MAX:
        step = 2
    else:
        step = 3 if months <= 40 else 6
    return {"dtick": f"M{step}", "tickformat": "%b %Y", "tickangle": 0}


def _height(rows: float) -> int:
    """Height of a horizontal chart with `rows` rows."""
    return int(max(MIN_HEIGHT, 100 + ROW_HEIGHT * rows))


def _reference_line(x: float, text: str) -> dict[str, list[dict]]:
    """Layout shapes and annotations of a dashed vertical line at `x`, named at the top."""
    return {
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": CITY_LINE,
            }
        ],
        "annotations": [
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": text,
                "showarrow": False,
                "yanchor": "bottom",
            }
        ],
    }


def _zero_line(vertical: bool) -> list[dict]:
    """A thin line at zero across the plot."""
    if vertical:
        return [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0,
                "x1": 0,
                "y0": 0,
                "y1": 1,
                "line": ZERO_LINE,
            }
        ]
    return [
        {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 0, "line": ZERO_LINE}
    ]


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


# --- scores ----------------------------------------------------------------------------------------


def _score_traces(
    data: pd.DataFrame, name: str, colour: str, band: str, line: dict, public: bool, yaxis: str = "y"
) -> list[dict]:
    """The band, line and ⚠ markers of one score series (flagged months hidden in public view)."""
    data = data.copy()
    flagged = data["suppressed"].astype(bool)
    if public:
        data.loc[flagged, ["score", "low", "high"]] = np.nan
    traces: list[dict] = []
    if data["low"].notna().any():
        traces.append(
            {
                "type": "scatter",
                "x": pd.concat([data["when"], data["when"][::-1]]),
                "y": pd.concat([data["high"], data["low"][::-1]]),
                "fill": "toself",
                "fillcolor": band,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "name": f"{_e(name)}: 95 % interval",
                "yaxis": yaxis,
            }
        )
    n_text = [f"n={n:,.0f}" if pd.notna(n) else "n not published" for n in data["n"]]
    interval = [
        f"; 95 % interval {lo:.0f}–{hi:.0f}" if pd.notna(lo) and pd.notna(hi) else ""
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    traces.append(
        {
            "type": "scatter",
            "x": data["when"],
            "y": data["score"],
            "mode": "lines+markers",
            "line": line | {"color": colour},
            "marker": {"size": 7, "color": colour},
            "name": _e(name),
            "customdata": list(zip(_e(data["period"]), n_text, interval, strict=True)),
            "hovertemplate": _e(name) + ": %{y:.0f} (%{customdata[1]}%{customdata[2]}) · %{customdata[0]}"
            "<extra></extra>",
            "yaxis": yaxis,
        }
    )
    shown = data[flagged & data["score"].notna()]
    if len(shown):
        traces.append(
            {
                "type": "scatter",
                "x": shown["when"],
                "y": shown["score"],
                "mode": "markers",
                "marker": {"color": FLAG_COLOUR, "size": 12, "symbol": "x"},
                "name": "⚠ fewer responses than the threshold",
                "customdata": shown["n"],
                "hovertemplate": "⚠ few responses (n=%{customdata:,.0f})<extra></extra>",
                "yaxis": yaxis,
            }
        )
    return traces


def _series_traces(trend: pd.DataFrame, public: bool, yaxis: str = "y") -> list[dict]:
    """Every series of a trend: the first ones solid green, the city dashed grey."""
    names = list(dict.fromkeys(trend["series"]))
    traces = []
    for name in names:
        is_city = name == CITY_SERIES and len(names) > 1
        colour, band = (CITY_COLOUR, CITY_BAND) if is_city else (SCORE_COLOUR, BAND_COLOUR)
        line = CITY_LINE if is_city else {"width": 3}
        traces += _score_traces(trend[trend["series"] == name], name, colour, band, line, public, yaxis)
    return traces


def score_trend_chart(
    trend: pd.DataFrame, label: str, public: bool = False, published: bool = False
) -> go.Figure:
    """A score over time, one line per series (an area, and the city dashed), with 95 % bands."""
    title = f"{label} score {'published' if published else 'by month'} (0–100, not a percentage)"
    if trend.empty or trend["score"].notna().sum() == 0:
        return empty_figure(title, f"No {label.lower()} scores in this period")
    traces = _series_traces(trend, public)
    legend = trend["series"].nunique() > 1 or traces[-1]["name"].startswith("⚠")
    return _figure(
        traces,
        title,
        TREND_HEIGHT,
        x=_month_ticks(trend["when"].nunique()),
        y={"range": SCORE_AXIS, "title": {"text": "Score"}},
        show_legend=legend,
    )


def score_dots_chart(
    rows: pd.DataFrame,
    label_column: str,
    title: str,
    reference: float | None = None,
    reference_name: str = "",
    highlight: str | None = None,
    x_range: list[float] | None = None,
) -> go.Figure:
    """A dot per row (area or group) at its score with its 95 % interval and n; flagged rows marked ⚠.

    The axis spans the scores shown (not all of 0-100, but at least MIN_SCORE_SPAN points), so that
    differences can be read; `reference` draws a dashed line (the city); the row whose label is
    `highlight` is drawn in another colour.
    """
    if rows.empty or rows["score"].notna().sum() == 0:
        return empty_figure(title, "No scores to show for this selection")
    flagged = rows["suppressed"].astype(bool).to_numpy()
    n_text = [f"n={n:,.0f}" if pd.notna(n) else "n not published" for n in rows["n"]]
    labels = [
        f"{name} ({n}){' ⚠' if flag else ''}"
        for name, n, flag in zip(_e(rows[label_column]), n_text, flagged, strict=True)
    ]
    has_interval = (rows["low"].notna() & rows["high"].notna()).to_numpy()
    interval = [
        f"; 95 % interval {lo:.0f}–{hi:.0f}" if ok else ""
        for lo, hi, ok in zip(rows["low"], rows["high"], has_interval, strict=True)
    ]
    colours = [
        FLAG_COLOUR if f else (HIGHLIGHT_COLOUR if name == highlight else SCORE_COLOUR)
        for f, name in zip(flagged, rows[label_column], strict=True)
    ]
    trace = {
        "type": "scatter",
        "x": rows["score"],
        "y": labels,
        "mode": "markers",
        "marker": {"size": 11, "color": colours, "symbol": ["x" if f else "circle" for f in flagged]},
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
        extra = _reference_line(reference, f"{_e(reference_name)} {reference:.0f}")
    return _figure(
        [trace],
        title,
        _height(len(rows)),
        x={
            "range": x_range or _score_range(rows, reference),
            "title": {"text": "Score (0–100, not a percentage)"},
        },
        y={"autorange": "reversed", "automargin": True},
        hovermode="closest",
        margin={"l": 10, "r": 20, "t": 56, "b": 10},
        **extra,
    )


# --- events against trust --------------------------------------------------------------------------


def events_trust_chart(
    trend: pd.DataFrame, events: pd.DataFrame, label: str, area_name: str, public: bool = False
) -> go.Figure:
    """The area's score by month above its engagement events on the same time axis (one row per program)."""
    title = f"{_e(area_name)}: {label.lower()} by month, and the engagement events held there"
    if (trend.empty or trend["score"].notna().sum() == 0) and events.empty:
        return empty_figure(title, "No scores and no events for this area in this period")
    present = set(events["program"]) if len(events) else set()
    programs = [p for p in PROGRAMS if p in present] + sorted(present - set(PROGRAMS))
    bottom_px = EVENT_ROW_PX * max(len(programs), 2)
    split = bottom_px / (EVENT_TOP_PX + bottom_px)
    traces = _series_traces(trend, public, yaxis="y") if len(trend) else []
    if len(events):
        attendance = pd.to_numeric(events["attendance"], errors="coerce")
        top = attendance.max() if attendance.notna().any() else 1.0
        sizes = EVENT_SIZE[0] + (EVENT_SIZE[1] - EVENT_SIZE[0]) * np.sqrt(
            attendance.fillna(0) / max(top, 1.0)
        )
        for program in programs:
            mine = (events["program"] == program).to_numpy()
            rows = events[mine]
            people = [
                f"{a:,.0f} people" if pd.notna(a) else "attendance not recorded" for a in attendance[mine]
            ]
            traces.append(
                {
                    "type": "scatter",
                    "x": rows["start"],
                    "y": [_e(program)] * len(rows),
                    "yaxis": "y2",
                    "mode": "markers",
                    "marker": {
                        "size": sizes[mine],
                        "color": "rgb({}, {}, {})".format(*program_colour(program)),
                        "line": {"width": 1, "color": "white"},
                        "opacity": 0.85,
                    },
                    "name": _e(program),
                    "showlegend": False,
                    "customdata": list(
                        zip(_e(rows["title"]), rows["start"].dt.strftime("%-d %b %Y"), people, strict=True)
                    ),
                    "hovertemplate": "%{y} · %{customdata[1]}<br>%{customdata[0]}<br>%{customdata[2]}"
                    "<extra></extra>",
                }
            )
    when = pd.to_datetime(pd.concat([trend["when"], events["start"]], ignore_index=True), errors="coerce")
    return _figure(
        traces,
        title,
        EVENT_TOP_PX + bottom_px + 130,
        x=_month_ticks(max(int(when.dt.to_period("M").nunique()), 1)) | {"anchor": "y2"},
        y={"range": SCORE_AXIS, "title": {"text": "Score"}, "domain": [split + 0.08, 1.0]},
        show_legend=True,
        hovermode="closest",
        yaxis2={
            "domain": [0.0, split],
            "anchor": "x",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": _e(programs[::-1]),
            "tickmode": "array",
            "tickvals": _e(programs),
            "automargin": True,
        },
    )


# --- comment sentiment -----------------------------------------------------------------------------


def _sentiment_custom(table: pd.DataFrame) -> list:
    """Hover details of net sentiment rows: % positive, % negative, n."""
    return list(zip(table["positive"].round(0), table["negative"].round(0), table["n"], strict=True))


def net_sentiment_chart(monthly: pd.DataFrame, public: bool = False) -> go.Figure:
    """Net sentiment (% positive − % negative) of English comments per month, as bars around zero."""
    title = "Net comment sentiment by month (% positive − % negative)"
    if monthly.empty or monthly["n"].sum() == 0:
        return empty_figure(title, "No scored comments in this period")
    data = monthly.copy()
    flagged = data["suppressed"].astype(bool).to_numpy()
    if public:
        data.loc[flagged, "net"] = np.nan
    colours = np.where(
        flagged, SUPPRESSED_COLOUR, np.where(data["net"] >= 0, POSITIVE_COLOUR, NEGATIVE_COLOUR)
    )
    trace = {
        "type": "bar",
        "x": data["month"],
        "y": data["net"],
        "marker": {"color": colours},
        "customdata": _sentiment_custom(data),
        "hovertemplate": "net %{y:+.0f} (%{customdata[0]:.0f} % positive, %{customdata[1]:.0f} % negative; "
        "n=%{customdata[2]:,})<extra></extra>",
        "name": "Net sentiment",
    }
    return _figure(
        [trace],
        title,
        MIN_HEIGHT,
        x=_month_ticks(len(data)),
        y={"title": {"text": "Net (points)"}},
        shapes=_zero_line(vertical=False),
    )


def net_by_chart(table: pd.DataFrame, title: str, public: bool = False) -> go.Figure:
    """Net sentiment per area or program, as horizontal bars around zero (lowest at the top)."""
    if table.empty or table["n"].sum() == 0:
        return empty_figure(title, "No scored comments to show for this selection")
    data = table
    flagged = data["suppressed"].astype(bool).to_numpy()
    if public:
        data, flagged = data[~flagged], flagged[~flagged]
        if data.empty:
            return empty_figure(title, "Every group has too few scored comments to show")
    labels = [f"{name} ⚠" if f else name for name, f in zip(_e(data["label"]), flagged, strict=True)]
    colours = np.where(
        flagged, SUPPRESSED_COLOUR, np.where(data["net"] >= 0, POSITIVE_COLOUR, NEGATIVE_COLOUR)
    )
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": labels,
        "x": data["net"],
        "marker": {"color": colours},
        "customdata": _sentiment_custom(data),
        "hovertemplate": "%{y}: net %{x:+.0f} (%{customdata[0]:.0f} % positive, %{customdata[1]:.0f} % "
        "negative; n=%{customdata[2]:,})<extra></extra>",
        "name": "",
    }
    return _figure(
        [trace],
        title,
        _height(len(data)),
        x={"title": {"text": "Net sentiment (points)"}},
        y={"autorange": "reversed", "automargin": True},
        hovermode="closest",
        shapes=_zero_line(vertical=True),
    )


# --- topics ----------------------------------------------------------------------------------------


def topic_share_chart(shares: pd.DataFrame, concerns: pd.DataFrame | None = None) -> go.Figure:
    """Share of comments mentioning each topic, beside the share of concerns raised on it."""
    title = "What residents talk about: share of comments mentioning each topic"
    if shares.empty or shares["comments"].sum() == 0:
        return empty_figure(title, "No comments in this period")
    topics = _e(shares["topic"])
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": topics,
            "x": shares["share"],
            "marker": {
                "color": [NO_TOPIC_COLOUR if t == NO_TOPIC else COMMENTS_COLOUR for t in shares["topic"]]
            },
            "name": "Comments",
            "customdata": shares["comments"],
            "hovertemplate": "%{y}: %{x:.0f} % of comments (%{customdata:,})<extra></extra>",
        }
    ]
    if concerns is not None and len(concerns):
        aligned = concerns.set_index("topic").reindex(shares["topic"])
        title = "What residents talk about: comments and concerns raised, by topic"
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": topics,
                "x": aligned["share"],
                "marker": {"color": CONCERNS_COLOUR},
                "name": "Concerns raised",
                "customdata": aligned["concerns"].fillna(0),
                "hovertemplate": "%{y}: %{x:.0f} % of concerns (%{customdata:,.0f})<extra></extra>",
            }
        )
    return _figure(
        traces,
        title,
        _height(len(shares) * len(traces) * 0.75),
        x={
            "title": {"text": "% of comments or concerns (one can mention several topics)"},
            "ticksuffix": " %",
        },
        y={"autorange": "reversed", "automargin": True},
        show_legend=len(traces) > 1,
        barmode="group",
        hovermode="y unified",
    )


def topic_trend_chart(trend: pd.DataFrame) -> go.Figure:
    """Share of comments mentioning each chosen topic, month by month."""
    title = "Topics over time: share of each month's comments"
    if trend.empty:
        return empty_figure(title, "Choose topics to draw, or widen the period")
    traces = []
    for i, topic in enumerate(dict.fromkeys(trend["topic"])):
        data = trend[trend["topic"] == topic]
        traces.append(
            {
                "type": "scatter",
                "x": data["month"],
                "y": data["share"],
                "mode": "lines+markers",
                "line": {"width": 2.5, "color": PALETTE[i % len(PALETTE)]},
                "name": _e(topic),
                "customdata": list(zip(data["comments"], data["total"], strict=True)),
                "hovertemplate": _e(topic)
                + ": %{y:.0f} % (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
            }
        )
    return _figure(
        traces,
        title,
        TREND_HEIGHT,
        x=_month_ticks(trend["month"].nunique()),
        y={"ticksuffix": " %", "rangemode": "tozero", "title": {"text": "% of comments"}},
        show_legend=True,
    )


def topic_sentiment_chart(shares: pd.DataFrame, public: bool = False) -> go.Figure:
    """Per topic, the split of its scored (English) comments into negative, neutral and positive; the
    most negative topic at the top."""
    title = "How residents feel about each topic (scored comments)"
    rows = shares[shares["n"] > 0]
    if rows.empty:
        return empty_figure(title, "No scored comments in this period")
    if public:
        rows = rows[~rows["suppressed"].astype(bool)]
        if rows.empty:
            return empty_figure(title, "Every topic has too few scored comments to show")
    rows = rows.sort_values("net", kind="stable")
    flagged = rows["suppressed"].astype(bool).to_numpy()
    labels = [f"{t} ⚠" if f else t for t, f in zip(_e(rows["topic"]), flagged, strict=True)]
    custom = list(zip(rows["n"], rows["net"], strict=True))
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": rows[column],
            "marker": {"color": colour},
            "name": name,
            "customdata": custom,
            "hovertemplate": "%{y}: %{x:.0f} % " + name.lower() + " (net %{customdata[1]:+.0f}, "
            "n=%{customdata[0]:,})<extra></extra>",
        }
        for column, name, colour in (
            ("negative", "Negative", NEGATIVE_COLOUR),
            ("neutral", "Neutral", NEUTRAL_COLOUR),
            ("positive", "Positive", POSITIVE_COLOUR),
        )
    ]
    return _figure(
        traces,
        title,
        _height(len(rows)),
        x={"range": [0, 100], "ticksuffix": " %", "title": {"text": "Share of the topic's scored comments"}},
        y={"autorange": "reversed", "automargin": True},
        show_legend=True,
        legend=LEGEND_BELOW | {"traceorder": "normal"},
        barmode="stack",
        hovermode="y unified",
    )
