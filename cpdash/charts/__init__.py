"""Chart builders: plotly figures from pre-aggregated frames, built with graph_objects (fast).

One module per concern; pages import the builders from here and render what they return.
"""

from cpdash.charts.base import PALETTE, empty_figure, layout
from cpdash.charts.trends import monthly_attendance_chart, score_trend_chart

__all__ = ["PALETTE", "empty_figure", "layout", "monthly_attendance_chart", "score_trend_chart"]
