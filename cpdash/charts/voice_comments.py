"""Community voice charts of comments: net sentiment by month, by area or program, and by topic; what
comments talk about and how that changes. Built from the view's frames (cpdash.views.voice_sentiment,
voice_topics), which have already passed the small-numbers policy: a hidden figure arrives as NaN and is
not drawn; every net sentiment drawn carries its n.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import PALETTE, empty_figure
from cpdash.charts.trends import month_step
from cpdash.charts.voice import DATE_TICKS, ONE_LINE_TICKS, escaped, figure, legend_below, row_height

POSITIVE_COLOUR = "#0072B2"  # blue: positive comments (Okabe-Ito)
NEGATIVE_COLOUR = "#D55E00"  # vermilion: negative comments
NEUTRAL_COLOUR = "#BDBDBD"
FLAGGED_COLOUR = "#D9D9D9"
COMMENTS_COLOUR = "#0072B2"
CONCERNS_COLOUR = "#E69F00"
NO_TOPIC_COLOUR = "#BDBDBD"
NO_TOPIC = "no topic matched"  # cpdash.metrics.comments.NO_TOPIC
ZERO_LINE = {"color": "#333333", "width": 1}
TICKS = {"tickformat": "%b<br>%Y", "tickangle": 0}
NET_NOTE = "% positive − % negative of scored comments, in points"


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


def _colours(table: pd.DataFrame) -> list[str]:
    """Blue for a positive net, vermilion for a negative one, grey when flagged (few comments)."""
    net = table["net"].to_numpy(dtype="float64")
    sign = np.where(net >= 0, POSITIVE_COLOUR, NEGATIVE_COLOUR)
    return list(np.where(table["flagged"].astype(bool).to_numpy(), FLAGGED_COLOUR, sign))


def _details(table: pd.DataFrame) -> list[tuple]:
    """Hover details of net sentiment rows: % positive, % negative, n, ⚠."""
    flag = [" ⚠ few comments" if f else "" for f in table["flagged"].astype(bool)]
    return list(zip(table["positive"].round(0), table["negative"].round(0), table["n"], flag, strict=True))


DETAIL = (
    "(%{customdata[0]:.0f} % positive, %{customdata[1]:.0f} % negative; n=%{customdata[2]:,})%{customdata[3]}"
)


def net_sentiment_chart(monthly: pd.DataFrame) -> go.Figure:
    """Net sentiment (% positive − % negative) of scored comments per month, as bars around zero."""
    title = "Net comment sentiment by month"
    if monthly.empty or monthly["net"].notna().sum() == 0:
        return empty_figure(title, "No net sentiment to show in this period")
    trace = {
        "type": "bar",
        "x": monthly["key"],
        "y": monthly["net"],
        "marker": {"color": _colours(monthly)},
        "text": [f"n={n:,.0f}" if pd.notna(n) else "" for n in monthly["n"]],  # each bar's n, where it fits
        "textposition": "inside",
        "insidetextanchor": "end",
        "textangle": 0,
        "textfont": {"color": "white", "size": 11},
        "customdata": _details(monthly),
        "hovertemplate": "net %{y:+.0f} " + DETAIL + "<extra></extra>",
        "name": "Net sentiment",
    }
    return figure(
        [trace],
        title,
        320,
        subtitle=NET_NOTE,
        x={"dtick": month_step(len(monthly)), **TICKS},
        y={"title": {"text": "Net (points)"}},
        shapes=_zero_line(vertical=False),
        uniformtext={"minsize": 9, "mode": "hide"},
    )


def net_by_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Net sentiment per area or program, as horizontal bars around zero (lowest at the top), each
    labelled with its n."""
    if table.empty or table["net"].notna().sum() == 0:
        return empty_figure(title, "No net sentiment to show for this selection")
    labels = [
        f"{name} (n={n:,.0f})" + (" ⚠" if f else "")
        for name, n, f in zip(escaped(table["label"]), table["n"], table["flagged"], strict=True)
    ]
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": labels,
        "x": table["net"],
        "marker": {"color": _colours(table)},
        "customdata": _details(table),
        "hovertemplate": "%{y}: net %{x:+.0f} " + DETAIL + "<extra></extra>",
        "name": "",
    }
    return figure(
        [trace],
        title,
        row_height(len(table)) + 24,
        subtitle=NET_NOTE,
        x={"title": {"text": "Net (points)"}},
        y={"autorange": "reversed", "automargin": True},
        hovermode="closest",
        shapes=_zero_line(vertical=True),
    )


def topic_share_chart(shares: pd.DataFrame, concerns: pd.DataFrame | None = None) -> go.Figure:
    """Share of comments mentioning each topic, beside the share of concerns raised on it."""
    title = "What residents talk about"
    subtitle = "Share of comments mentioning each topic"
    if shares.empty or shares["comments"].fillna(0).sum() == 0:
        return empty_figure(title, "No comments in this period")
    topics = escaped(shares["topic"])
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
        subtitle = "Share of comments, and of concerns raised, on each topic"
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
    height, legend = row_height(len(shares) * len(traces) * 0.75) + 24, {"showlegend": False}
    if len(traces) > 1:
        height, legend = legend_below(height, ONE_LINE_TICKS, len(traces))
    return figure(
        traces,
        title,
        height,
        subtitle=subtitle + " (one can mention several)",
        x={"ticksuffix": " %"},
        y={"autorange": "reversed", "automargin": True},
        **legend,
        barmode="group",
        hovermode="y unified",
    )


def topic_trend_chart(trend: pd.DataFrame) -> go.Figure:
    """Share of comments mentioning each chosen topic, month by month (gaps where a share is not shown)."""
    title = "Topics over time"
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
                "name": html.escape(str(topic)),
                "customdata": list(zip(data["comments"], data["total"], strict=True)),
                "hovertemplate": html.escape(str(topic))
                + ": %{y:.0f} % (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
            }
        )
    height, legend = legend_below(300, DATE_TICKS, len(traces))
    return figure(
        traces,
        title,
        height,
        subtitle="Share of each month's comments mentioning the topic",
        x={"dtick": month_step(trend["month"].nunique()), **TICKS},
        y={"ticksuffix": " %", "rangemode": "tozero", "title": {"text": "% of comments"}},
        **legend,
    )


def topic_sentiment_chart(rows: pd.DataFrame) -> go.Figure:
    """Per topic (label with n), the split of its scored comments into negative, neutral and positive;
    the most negative topic at the top."""
    title = "How residents feel about each topic"
    if rows.empty:
        return empty_figure(title, "No topic sentiment to show in this period")
    labels = escaped(rows["label"])
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
    height, legend = legend_below(row_height(len(rows)) + 24, ONE_LINE_TICKS, len(traces))
    return figure(
        traces,
        title,
        height,
        subtitle="Negative, neutral and positive shares of the topic's scored comments",
        x={"range": [0, 100], "ticksuffix": " %"},
        y={"autorange": "reversed", "automargin": True},
        **legend,
        barmode="stack",
        hovermode="y unified",
    )
