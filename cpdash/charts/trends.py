"""Trends over time: attendance by month, and a score over time (cpdash.views.trends) as every page draws it."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import (
    BAND_COLOUR,
    FLAG_COLOUR,
    PALETTE,
    PRIMARY,
    SCORE_COLOUR,
    base_layout,
    empty_figure,
    figure,
    under_axis,
)

MIN_SCORE_SPAN = 30  # score points: a shorter y axis would exaggerate noise
CITY = "City"
CITY_COLOUR = "#6E6E6E"
CITY_BAND = "rgba(110, 110, 110, 0.12)"
CITY_LINE = {"color": CITY_COLOUR, "width": 2, "dash": "dash"}
DASHES = ("solid", "dot", "dashdot", "longdash")  # one per cadence of a published series
DATE_TICKS = 44  # pixels under a plot for two-line month labels ("Jan<br>2026")
TREND_LEGEND_ROWS, TREND_LEGEND_ROW = 2, 20  # the series and the ⚠ mark, two rows should a phone wrap them


def _e(values: object) -> list[str]:
    """HTML-escaped labels (plotly reads a few tags in text)."""
    return [html.escape(str(v)) for v in values]


def monthly_attendance_chart(monthly: pd.DataFrame) -> go.Figure:
    """Bars of attendance per month, with the number of events (and events lacking a count) on hover."""
    title = "Attendance by month"
    if monthly.empty or monthly["attendance"].fillna(0).sum() == 0:
        return empty_figure(title, "No attendance recorded in this period")
    missing = monthly.get("events_without_attendance", pd.Series(0, index=monthly.index)).fillna(0)
    bars = {
        "type": "bar",
        "x": monthly["month"],
        "y": monthly["attendance"],
        "marker": {"color": PRIMARY},
        "name": "Attendance",
        "customdata": list(zip(monthly["events"], missing, strict=True)),
        "hovertemplate": "%{y:,.0f} people at %{customdata[0]:,} events"
        " (%{customdata[1]:,} without a count)<extra></extra>",
    }
    plot = base_layout(title, "People")
    plot["xaxis"] |= {"dtick": month_step(len(monthly)), "tickformat": "%b<br>%Y", "tickangle": 0}
    return figure([bars], plot)


def month_step(months: int) -> str:
    """Tick every month, two or three months, so that labels on a half-width chart never collide."""
    return "M1" if months <= 7 else ("M2" if months <= 14 else ("M3" if months <= 40 else "M6"))


def score_range(data: pd.DataFrame, span: float = MIN_SCORE_SPAN) -> list[float]:
    """A y range that shows change (at least `span` points tall, inside 0–100) rather than a flat line."""
    values = pd.concat([data["score"], data["low"], data["high"]]).dropna()
    if values.empty:
        return [0, 100]
    low, high = float(values.min()), float(values.max())
    middle, half = (low + high) / 2, max(high - low, span) / 2 + 2
    return [max(0.0, middle - half), min(100.0, middle + half)]


def _series(data: pd.DataFrame, name: str, colour: str, band: str, line: dict) -> list[dict]:
    """The 95 % band (when there is one) and the line of one series."""
    traces: list[dict] = []
    if data["low"].notna().any():
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",  # no markers on the band's edges
                "x": pd.concat([data["when"], data["when"][::-1]]),
                "y": pd.concat([data["high"], data["low"][::-1]]),
                "fill": "toself",
                "fillcolor": band,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "name": f"{html.escape(name)}: 95 % interval",
            }
        )
    n_text = [
        f"n={n:,.0f}" if pd.notna(n) else ("n not published" if pd.notna(s) else "")
        for n, s in zip(data["n"], data["score"], strict=True)
    ]
    interval = [
        f"; 95 % interval {lo:.0f}–{hi:.0f}" if pd.notna(lo) and pd.notna(hi) else ""
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    flag = [" ⚠ fewer answers than the threshold" if f else "" for f in data["flagged"]]
    traces.append(
        {
            "type": "scatter",
            "x": data["when"],
            "y": data["score"],
            "mode": "lines+markers",
            "line": line | {"color": colour},
            "marker": {"size": 7, "color": colour},
            "name": html.escape(name),
            "customdata": list(zip(_e(data["period"]), n_text, interval, flag, strict=True)),
            "hovertemplate": html.escape(name)
            + ": %{y:.0f} (%{customdata[1]}%{customdata[2]}) · %{customdata[0]}%{customdata[3]}<extra></extra>",
        }
    )
    return traces


def score_trend_chart(trend: pd.DataFrame, label: str, height: int = 300) -> go.Figure:
    """A score over time (0–100, not a percentage): one line per series and cadence, the city dashed grey,
    95 % bands where computed, flagged points marked ⚠ (a legend says what the mark means)."""
    published = bool(len(trend)) and bool((trend["low"].isna() & trend["score"].notna()).all())
    title = f"{label} score {'as published' if published else 'by month'} (0–100, not a percentage)"
    if trend.empty or trend["score"].notna().sum() == 0:
        return empty_figure(title, f"No {label.lower()} score to draw in this period")
    names = list(dict.fromkeys(trend["series"]))
    compared = any(not name.startswith(CITY) for name in names)  # the city drawn as a reference
    traces: list[dict] = []
    for i, name in enumerate(names):
        data = trend[trend["series"] == name]
        is_city = name.startswith(CITY) and compared and len(names) > 1
        cadences = list(dict.fromkeys(trend["cadence"]))
        dash = DASHES[cadences.index(data["cadence"].iloc[0]) % len(DASHES)] if len(cadences) > 1 else "solid"
        colour = CITY_COLOUR if is_city else (SCORE_COLOUR if i == 0 else PALETTE[i % len(PALETTE)])
        line = CITY_LINE if is_city else {"width": 3, "dash": dash}
        traces += _series(data, name, colour, CITY_BAND if is_city else BAND_COLOUR, line)
    flagged = trend[trend["flagged"].astype(bool) & trend["score"].notna()]
    if len(flagged):
        traces.append(
            {
                "type": "scatter",
                "x": flagged["when"],
                "y": flagged["score"],
                "mode": "markers",
                "marker": {"color": FLAG_COLOUR, "size": 12, "symbol": "x"},
                "name": "⚠ fewer answers than the threshold",
                "hoverinfo": "skip",
            }
        )
    legend = len(names) > 1 or len(flagged) > 0  # the ⚠ cross is always named in the legend
    when = pd.to_datetime(trend["when"])
    months = (when.max().year - when.min().year) * 12 + when.max().month - when.min().month + 1
    plot = base_layout(
        title, "Score", height + (TREND_LEGEND_ROWS * TREND_LEGEND_ROW + DATE_TICKS if legend else 0)
    )
    plot["xaxis"] |= {"dtick": month_step(months), "tickformat": "%b<br>%Y", "tickangle": 0}
    plot["yaxis"] |= {"range": score_range(trend)}
    if legend:  # under the dates (a legend a fraction of the plot below the axis covered them)
        below = under_axis(TREND_LEGEND_ROWS, TREND_LEGEND_ROW, DATE_TICKS, 12, plot["height"])
        plot |= {**below, "margin": plot["margin"] | below["margin"]}
    return figure(traces, plot)
