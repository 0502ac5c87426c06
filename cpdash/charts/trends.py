"""Monthly trends: attendance and scores by month."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import BAND_COLOUR, FLAG_COLOUR, PRIMARY, SCORE_COLOUR, empty_figure, layout

MIN_SCORE_SPAN = 30  # score points: a shorter y axis would exaggerate noise


def monthly_attendance_chart(monthly: pd.DataFrame) -> go.Figure:
    """Bars of attendance per month, with the number of events (and events lacking a count) on hover."""
    title = "Attendance by month"
    if monthly.empty or monthly["attendance"].fillna(0).sum() == 0:
        return empty_figure(title, "No attendance recorded in this period")
    missing = monthly.get("events_without_attendance", pd.Series(0, index=monthly.index)).fillna(0)
    fig = go.Figure(
        go.Bar(
            x=monthly["month"],
            y=monthly["attendance"],
            marker_color=PRIMARY,
            name="Attendance",
            customdata=list(zip(monthly["events"], missing, strict=True)),
            hovertemplate="%{y:,.0f} people at %{customdata[0]:,} events"
            " (%{customdata[1]:,} without a count)<extra></extra>",
        )
    )
    fig.update_xaxes(dtick=month_step(len(monthly)), tickformat="%b<br>%Y", tickangle=0)
    return layout(fig, title, "People")


def month_step(months: int) -> str:
    """Tick every month, two or three months, so that labels on a half-width chart never collide."""
    return "M1" if months <= 7 else ("M2" if months <= 14 else "M3")


def score_range(data: pd.DataFrame, span: float = MIN_SCORE_SPAN) -> list[float]:
    """A y range that shows change (at least `span` points tall, inside 0–100) rather than a flat line."""
    values = pd.concat([data["score"], data["low"], data["high"]]).dropna()
    if values.empty:
        return [0, 100]
    low, high = float(values.min()), float(values.max())
    middle, half = (low + high) / 2, max(high - low, span) / 2 + 2
    low, high = max(0.0, middle - half), min(100.0, middle + half)
    return [low, high]


def monthly_score_chart(monthly: pd.DataFrame, label: str = "Trust", public: bool = False) -> go.Figure:
    """A score per month with its 95 % interval; months with too few responses hidden (public) or flagged."""
    title = f"{label} score by month (0–100, not a percentage)"
    if monthly.empty or monthly["n"].sum() == 0:
        return empty_figure(title, f"No {label.lower()} answers in this period")
    data = monthly.copy()
    if public:
        data.loc[data["suppressed"], ["score", "low", "high"]] = float("nan")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=pd.concat([data["month"], data["month"][::-1]]),
            y=pd.concat([data["high"], data["low"][::-1]]),
            fill="toself",
            fillcolor=BAND_COLOUR,
            line={"width": 0},
            hoverinfo="skip",
            name="95 % interval",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=data["month"],
            y=data["score"],
            mode="lines+markers",
            line={"color": SCORE_COLOUR, "width": 3},
            name=label,
            customdata=list(zip(data["n"], data["low"], data["high"], strict=True)),
            hovertemplate="%{y:.0f} (n=%{customdata[0]:,}; 95 % interval %{customdata[1]:.0f}–%{customdata[2]:.0f})"
            "<extra></extra>",
        )
    )
    flagged = data[data["suppressed"] & data["score"].notna()]
    if len(flagged):
        fig.add_trace(
            go.Scatter(
                x=flagged["month"],
                y=flagged["score"],
                mode="markers",
                marker={"color": FLAG_COLOUR, "size": 11, "symbol": "x"},
                name="fewer responses than the threshold",
                hovertemplate="few responses (n=%{customdata:,})<extra></extra>",
                customdata=flagged["n"],
            )
        )
    fig.update_yaxes(range=score_range(data))
    fig.update_xaxes(dtick=month_step(len(data)), tickformat="%b<br>%Y", tickangle=0)
    return layout(fig, title, "Score")
