"""Figures kept between reruns: what Streamlit sends of a kept figure is what it sends of the figure as
built, on every rerun, and one rerun's handling never reaches the next."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools as tools

from cpdash.charts import empty_figure, monthly_attendance_chart, score_trend_chart
from cpdash.ui.figures import KeptFigure, kept

MONTHS = pd.date_range("2025-01-01", periods=12, freq="MS")


def spec(figure: object) -> str:
    """The chart's JSON as st.plotly_chart makes it."""
    return pio.to_json(tools.return_figure_from_figure_or_data(figure, validate_figure=True), validate=False)


def builders() -> list:
    monthly = pd.DataFrame({"month": MONTHS, "attendance": np.arange(12) * 10.0, "events": np.arange(12)})
    trend = pd.DataFrame(
        {
            "when": list(MONTHS) * 2,
            "period": [m.strftime("%b %Y") for m in MONTHS] * 2,
            "series": ["Alder"] * 12 + ["City"] * 12,
            "cadence": "month",
            "score": np.linspace(40, 60, 24),
            "low": np.linspace(35, 55, 24),
            "high": np.linspace(45, 65, 24),
            "n": 30.0,
            "flagged": [True] + [False] * 23,
        }
    )
    return [
        lambda: monthly_attendance_chart(monthly),
        lambda: score_trend_chart(trend, "Trust", 240),
        lambda: empty_figure("Attendance by month", "No attendance recorded in this period"),
        lambda: go.Figure(go.Bar(x=["a", "b"], y=[1, 2], uid="bars")),
    ]


def test_a_kept_figure_sends_what_the_figure_sent_on_every_rerun() -> None:
    for build in builders():
        plain = spec(build())
        figure = kept(build())
        assert isinstance(figure, KeptFigure) and isinstance(figure, go.Figure)
        assert [spec(figure) for _ in range(3)] == [plain] * 3


def test_a_reruns_handling_never_reaches_the_next() -> None:
    figure = kept(go.Figure(go.Bar(x=["a", "b"], y=[1, 2], uid="bars")))
    first = figure.to_dict()
    first["data"][0].pop("uid")  # as Streamlit's serialiser does
    first["layout"] = {"title": {"text": "changed"}}
    again = figure.to_dict()
    assert again["data"][0]["uid"] == "bars" and "title" not in again["layout"]


def test_only_plain_plotly_figures_are_kept_so() -> None:
    other = {"data": [], "layout": {}}
    assert kept(other) is other
    figure = go.Figure()
    assert kept(figure) is figure  # the same object: nothing is copied
