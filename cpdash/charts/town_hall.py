"""Town-hall charts: engagement by program, top topics, trust and safety; and sizing for a projector.
Names from the data (programs, topics) are HTML-escaped."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import FLAG_COLOUR, PRIMARY, SCORE_COLOUR, empty_figure, layout, legend_under_axis
from cpdash.charts.follow_through import count_axis, escaped
from cpdash.metrics.suppression import HIDDEN

PREVIOUS_COLOUR = "#9BBBD4"  # the previous period, a pale version of the primary blue
TOPIC_COLOUR = "#CC79A7"
# Type sizes that read from the back of a room on a 1280x720 projector, as large as the slide's own text
# (1.55rem there: 25 px at 1280 wide, 28 px at 1440).
PROJECTOR_FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 26, "color": "#000000"}
PROJECTOR_TITLE_SIZE = 30
PROJECTOR_TICK_SIZE = 26
PROJECTOR_LEGEND_SIZE = 24
PROJECTOR_LEGEND_ROW = 34  # pixels a row of legend entries takes at PROJECTOR_LEGEND_SIZE
PROJECTOR_TICKS = 46  # pixels under the plot for tick labels at PROJECTOR_TICK_SIZE
PROJECTOR_HEIGHT = 440
BAR_ROW_HEIGHT = 34
MIN_HEIGHT = 280
SCORE_TOP = 140  # the score axis runs past 100: a label above an interval that reaches 100 still fits
LABEL_GAP = 2  # score points between the top of an interval and its label


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
    ticks = {"gridcolor": "#D0D0D0", "linecolor": "#000000", "tickfont": {"size": PROJECTOR_TICK_SIZE}}
    out.update_xaxes(automargin=True, **ticks)
    out.update_yaxes(automargin=True, **ticks)
    if out.layout.showlegend:  # two rows, should a narrow screen wrap it
        legend_under_axis(out, 2, PROJECTOR_LEGEND_ROW, PROJECTOR_TICKS, PROJECTOR_LEGEND_SIZE)
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
            y=escaped(rows["program"]),
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
            y=escaped(rows["topic"]),
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


def _score_text(score: float, n: float, status: str) -> str:
    """The label on a score's bar: '62<br>n=140', '62<br>n not published', or '' (hidden or none)."""
    if pd.isna(score) or status == HIDDEN:
        return ""
    return f"{score:.0f}<br>" + ("n not published" if pd.isna(n) else f"n={n:,.0f}")


def _score_hover(metric: str, period: str, row: pd.Series) -> str:
    """A score's hover text, with n and its 95 % interval when it has them."""
    if pd.isna(row["score"]):
        return f"{metric}, {period.lower()}: not shown"
    parts = ["n not published" if pd.isna(row["n"]) else f"n={row['n']:,.0f}"]
    if not pd.isna(row["low"]):
        parts.append(f"95 % interval {row['low']:.0f}–{row['high']:.0f}")
    if isinstance(row.get("published_for"), str) and row["published_for"]:
        parts.append(f"published for {row['published_for']}")
    return f"{metric}, {period.lower()}: {row['score']:.0f} ({'; '.join(parts)})"


def _label_height(row: pd.Series) -> float:
    """Where a score's label sits: above the top of its interval (clear of the error bar), or above the
    score without one, or at the foot of the axis when the score is not shown."""
    if pd.isna(row["score"]):
        return LABEL_GAP
    top = row["score"] if pd.isna(row["high"]) else max(row["high"], row["score"])
    return float(top) + LABEL_GAP


def scores_chart(scores: pd.DataFrame) -> go.Figure:
    """Bars of each score in this period and the compared one, with 95 % intervals; each bar's score and n
    above its interval (text over the bar ran into the error bar); hidden scores marked.

    `scores` has metric (a label), period (this period first), score, low, high and n (NaN when they may
    not be shown), status (cpdash.metrics.suppression) and published_for.
    """
    title = "Scores out of 100 (not a percentage)"
    if scores.empty or scores["score"].isna().all():
        return empty_figure(title, "Too few answers in this area to show a score")
    periods = list(dict.fromkeys(scores["period"]))
    colours = dict(zip(periods, (SCORE_COLOUR, PREVIOUS_COLOUR), strict=False))
    fig = go.Figure()
    for period in reversed(periods):  # the compared period on the left of each pair
        rows = scores[scores["period"] == period]
        hover = [
            _score_hover(m, period, r) for m, (_, r) in zip(rows["metric"], rows.iterrows(), strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=rows["metric"],
                y=rows["score"],
                name=period,
                offsetgroup=period,
                marker_color=colours[period],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["high"] - rows["score"],
                    "arrayminus": rows["score"] - rows["low"],
                    "color": "#333333",
                    "thickness": 1.5,
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
        hidden = (rows["status"] == HIDDEN).tolist()
        fig.add_trace(
            go.Scatter(
                x=rows["metric"],
                y=[_label_height(r) for _, r in rows.iterrows()],
                offsetgroup=period,
                mode="text",
                text=[
                    "too few<br>answers" if h else _score_text(r.score, r.n, r.status)
                    for h, r in zip(hidden, rows.itertuples(index=False), strict=True)
                ],
                textposition="top center",
                textfont={"color": [FLAG_COLOUR if h else "#000000" for h in hidden]},
                cliponaxis=False,
                showlegend=False,
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="group", bargap=0.35, scattermode="group", scattergap=0.35)
    layout(fig, title, "Score")
    legend_under_axis(fig, 1, 22, 30, 13)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(range=[0, SCORE_TOP], tickvals=[0, 25, 50, 75, 100])
    return fig
