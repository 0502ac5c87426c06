"""Town-hall charts: engagement by program, top topics, trust and safety; and sizing for a projector."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import FLAG_COLOUR, PRIMARY, SCORE_COLOUR, empty_figure, layout
from cpdash.charts.follow_through import count_axis

PREVIOUS_COLOUR = "#9BBBD4"  # the previous period, a pale version of the primary blue
TOPIC_COLOUR = "#CC79A7"
# Type sizes that read from the back of a room on a 1280x720 projector.
PROJECTOR_FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 21, "color": "#000000"}
PROJECTOR_TITLE_SIZE = 26
PROJECTOR_HEIGHT = 440
BAR_ROW_HEIGHT = 34
MIN_HEIGHT = 280


def projector(fig: go.Figure, height: int = PROJECTOR_HEIGHT, width: int | None = None) -> go.Figure:
    """A copy of `fig` with large type, thick text and a fixed height, for a projector or a printed page."""
    out = go.Figure(fig)
    out.update_layout(
        font=PROJECTOR_FONT,
        title_font={"size": PROJECTOR_TITLE_SIZE, "color": "#000000"},
        height=height,
        width=width,
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        margin={"l": 10, "r": 20, "t": 60, "b": 20},
    )
    out.update_xaxes(gridcolor="#D0D0D0", linecolor="#000000", tickfont={"size": 20}, automargin=True)
    out.update_yaxes(gridcolor="#D0D0D0", linecolor="#000000", tickfont={"size": 20}, automargin=True)
    if out.layout.showlegend:
        out.update_layout(legend={"font": {"size": 18}}, margin={"b": 70})
    return out


def _height(rows: int) -> int:
    """Height of a horizontal bar chart with `rows` bars."""
    return max(MIN_HEIGHT, 90 + BAR_ROW_HEIGHT * rows)


def engagement_chart(by_program: pd.DataFrame) -> go.Figure:
    """Horizontal bars of events per program (attendance on hover), most events at the top."""
    title = "Events by program"
    if by_program.empty or by_program["events"].sum() == 0:
        return empty_figure(title, "No event in this area in the period")
    rows = by_program[by_program["events"] > 0].sort_values("events", kind="stable")
    attendance = rows["attendance"].fillna(-1) if "attendance" in rows else pd.Series(-1, index=rows.index)
    fig = go.Figure(
        go.Bar(
            y=rows["program"],
            x=rows["events"],
            orientation="h",
            marker_color=PRIMARY,
            text=rows["events"],
            textposition="outside",
            cliponaxis=False,
            customdata=attendance,
            hovertemplate="%{y}: %{x:,} events, %{customdata:,.0f} people<extra></extra>",
        )
    )
    layout(fig, title, "", height=_height(len(rows)))
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title="Events")
    count_axis(fig, float(rows["events"].max()))
    return fig


def topics_chart(topics: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the concerns raised per topic, the most raised at the top."""
    title = "What you raised with us, by topic"
    if topics.empty or topics["concerns"].sum() == 0:
        return empty_figure(title, "No concern was raised in this area in the period")
    rows = topics.iloc[::-1]  # the most raised at the top, ties in the order given
    fig = go.Figure(
        go.Bar(
            y=rows["topic"],
            x=rows["concerns"],
            orientation="h",
            marker_color=TOPIC_COLOUR,
            text=rows["concerns"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,} concerns<extra></extra>",
        )
    )
    layout(fig, title, "", height=_height(len(rows)))
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title="Concerns raised")
    count_axis(fig, float(rows["concerns"].max()))
    return fig


def scores_chart(scores: pd.DataFrame) -> go.Figure:
    """Bars of each score in this period and the one before, with 95 % intervals; hidden scores marked.

    `scores` has metric (a label), period ("This period" / "Previous period"), score, low, high, n and
    shown (False when the figure rests on too few responses to be shown).
    """
    title = "How you feel: scores out of 100 (not a percentage)"
    if scores.empty or not scores["shown"].any():
        return empty_figure(title, "Too few answers in this area to show a score")
    fig = go.Figure()
    for period, colour in (("Previous period", PREVIOUS_COLOUR), ("This period", SCORE_COLOUR)):
        rows = scores[scores["period"] == period]
        value = rows["score"].where(rows["shown"])
        fig.add_trace(
            go.Bar(
                x=rows["metric"],
                y=value,
                name=period,
                marker_color=colour,
                text=[
                    f"{v:.0f}<br>n={n:,}" if ok else f"hidden<br>n={n:,}"
                    for v, n, ok in zip(rows["score"], rows["n"], rows["shown"], strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (rows["high"] - rows["score"]).where(rows["shown"]),
                    "arrayminus": (rows["score"] - rows["low"]).where(rows["shown"]),
                    "color": "#333333",
                    "thickness": 1.5,
                },
                customdata=list(zip(rows["n"], rows["low"], rows["high"], strict=True)),
                hovertemplate="%{x}, "
                + period.lower()
                + ": %{y:.0f} (n=%{customdata[0]:,}; 95 % interval %{customdata[1]:.0f}–%{customdata[2]:.0f})"
                "<extra></extra>",
            )
        )
    hidden = scores[~scores["shown"] & (scores["n"] > 0)]
    for row in hidden.itertuples(index=False):
        fig.add_annotation(
            x=row.metric,
            y=8,
            text="too few<br>answers",
            showarrow=False,
            font={"color": FLAG_COLOUR, "size": 13},
            xshift=-40 if row.period == "Previous period" else 40,
        )
    fig.update_layout(barmode="group", bargap=0.35)
    layout(fig, title, "Score")
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.15, "x": 0}, hovermode="closest")
    fig.update_yaxes(range=[0, 115], tickvals=[0, 25, 50, 75, 100])
    return fig
