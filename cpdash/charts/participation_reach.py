"""Participation charts of who and what it reaches: attendance and cost per program, attendance per
10,000 residents by area, participants by age against residents.

Built as the charts over time in cpdash.charts.participation_trend, with their shared look (one-pass
figures, escaped names from the data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cpdash.charts.base import FLAG_COLOUR, PRIMARY, SCORE_COLOUR, empty_figure
from cpdash.charts.participation_trend import LEGEND_ABOVE, SMALL_HEIGHT, _bar_height, _esc, _figure

PREVIOUS_COLOUR = "rgba(0, 114, 178, 0.28)"
NEUTRAL_COLOUR = "#9E9E9E"
TOP_COLOUR = PRIMARY
BOTTOM_COLOUR = "#E69F00"
RESIDENTS_COLOUR = "rgba(90, 90, 90, 0.45)"
COST_HEADROOM = 1.3  # room right of the longest cost bar for its label
LABEL_HEADROOM = 1.15  # room right of the longest reach bar for its label


def _money(value: float) -> str:
    """'$4.51' below 100, '$147' above; blank when unknown."""
    if pd.isna(value):
        return ""
    return f"${value:,.2f}" if value < 100 else f"${value:,.0f}"


def program_chart(
    table: pd.DataFrame,
    best: str | None,
    worst: str | None,
    empty: str | None = None,
    compared: str = "previous period",
) -> go.Figure:
    """Two panels sharing the programs: attendance now against the `compared` period, and cost per attendee
    (the most cost-effective in green, the least in orange)."""
    title = "Programs: attendance and cost per attendee"
    current = table[table["events"] > 0] if len(table) else table
    if empty or len(current) == 0:
        return empty_figure(title, empty or "No event in this period and selection")
    rows = current.iloc[::-1]  # the busiest program at the top
    programs = [str(p) for p in rows["program"]]
    names = [_esc(p) for p in programs]
    cost = rows["cost_per_attendee"].to_numpy(dtype="float64")
    colours = [SCORE_COLOUR if p == best else FLAG_COLOUR if p == worst else NEUTRAL_COLOUR for p in programs]
    traces = [
        {
            "type": "bar",
            "y": names,
            "x": rows["attendance_before"].to_numpy(dtype="float64"),
            "orientation": "h",
            "name": compared.capitalize(),
            "marker": {"color": PREVIOUS_COLOUR},
            "hovertemplate": f"{compared}: %{{x:,.0f}}<extra></extra>",
        },
        {
            "type": "bar",
            "y": names,
            "x": rows["attendance"].to_numpy(dtype="float64"),
            "orientation": "h",
            "name": "This period",
            "marker": {"color": PRIMARY},
            "customdata": np.column_stack([rows["events"], rows["events_without_attendance"]]),
            "hovertemplate": "%{x:,.0f} people at %{customdata[0]:,} events"
            " (%{customdata[1]:,} without a count)<extra></extra>",
        },
        {
            "type": "bar",
            "y": names,
            "x": cost,
            "xaxis": "x2",
            "orientation": "h",
            "name": "Cost per attendee",
            "marker": {"color": colours},
            "text": [_money(v) for v in cost],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "$%{x:,.2f} per attendee<extra></extra>",
        },
    ]
    return _figure(
        traces,
        title,
        "",
        _bar_height(len(rows), 120),
        barmode="group",
        bargap=0.25,
        hovermode="closest",
        yaxis={"title": None},
        xaxis={
            "domain": [0, 0.5],
            "tickformat": ",.0f",
            "title": {"text": f"Attendance<br>(faint:<br>{compared})"},
        },
        xaxis2={
            "domain": [0.6, 1],
            "anchor": "y",
            "tickprefix": "$",
            "range": [0, COST_HEADROOM * max(float(np.nanmax(cost, initial=0.0)), 1.0)],
            "title": {"text": "Cost per attendee<br>(green lowest,<br>orange highest)"},
        },
        margin={"r": 48},  # room for the longest cost's label
    )


def reach_chart(shown: pd.DataFrame, total_areas: int, empty: str | None = None) -> go.Figure:
    """Attendance per 10,000 residents per area, ranked; with many areas, the top and the bottom only."""
    title = "Attendance per 10,000 residents"
    if empty or len(shown) == 0:
        return empty_figure(title, empty or "No area with a figure")
    if set(shown["part"]) != {"all"}:
        top = int((shown["part"] == "top").sum())
        title += f": the {top} most and {top} least reached of {total_areas:,} areas"
    rows = shown.iloc[::-1]
    per_10k = rows["per_10k"].to_numpy(dtype="float64")
    trace = {
        "type": "bar",
        "y": [f"{int(r):,}. {_esc(n)}" for r, n in zip(rows["rank"], rows["name"], strict=True)],
        "x": per_10k,
        "orientation": "h",
        "marker": {"color": [BOTTOM_COLOUR if p == "bottom" else TOP_COLOUR for p in rows["part"]]},
        "customdata": np.column_stack([rows["attendance"].fillna(0), rows["events"], rows["population"]]),
        "hovertemplate": "%{x:,.0f} per 10,000: %{customdata[0]:,.0f} people at %{customdata[1]:,} events;"
        " population %{customdata[2]:,.0f}<extra></extra>",
        "text": [f"{v:,.0f}" for v in per_10k],
        "textposition": "outside",
        "cliponaxis": False,
    }
    return _figure(
        [trace],
        title,
        "",
        _bar_height(len(rows), 80),
        hovermode="closest",
        yaxis={"type": "category"},
        xaxis={
            "tickformat": ",.0f",
            "range": [0, LABEL_HEADROOM * max(float(np.nanmax(per_10k, initial=0.0)), 1.0)],
        },
    )


def age_chart(ages: pd.DataFrame, empty: str | None = None) -> go.Figure:
    """Share of participants in each age group beside the share of residents."""
    title = "Who attends: participants and residents by age"
    if len(ages) and ages["participants"].isna().all():  # hidden in public: the caption says why
        return empty_figure(title, empty or "Not shown: too few people to show safely")
    if empty or len(ages) == 0 or ages["participants"].sum() == 0:
        return empty_figure(title, empty or "No age groups in the attendee records")
    groups = [str(g) for g in ages["age_group"]]
    traces = []
    if ages["population_share"].notna().any():
        traces.append(
            {
                "type": "bar",
                "x": groups,
                "y": (ages["population_share"] * 100).to_numpy(),
                "name": "Residents",
                "marker": {"color": RESIDENTS_COLOUR},
                "hovertemplate": "residents: %{y:.0f} %<extra></extra>",
            }
        )
    traces.append(
        {
            "type": "bar",
            "x": groups,
            "y": (ages["share"] * 100).to_numpy(),
            "name": "Participants",
            "marker": {"color": PRIMARY},
            "customdata": ages["participants"].to_numpy(),
            "hovertemplate": "participants: %{y:.0f} % (%{customdata:,})<extra></extra>",
        }
    )
    return _figure(
        traces,
        title,
        "% of people",
        SMALL_HEIGHT,
        barmode="group",
        showlegend=True,
        legend=LEGEND_ABOVE,
        margin={"t": 80},
        yaxis={"ticksuffix": " %"},
    )
