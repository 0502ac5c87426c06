"""Chart builders shared by pages."""

import pandas as pd

from cpdash.charts.trends import MIN_SCORE_SPAN, score_range


def test_score_range_zooms_to_the_data_with_a_minimum_span():
    data = pd.DataFrame({"score": [58.0, 60.0], "low": [55.0, 57.0], "high": [61.0, 63.0]})
    low, high = score_range(data)
    assert low <= 55 and high >= 63
    assert high - low >= MIN_SCORE_SPAN
    assert low >= 0 and high <= 100


def test_score_range_stays_inside_0_to_100():
    data = pd.DataFrame({"score": [2.0], "low": [0.0], "high": [5.0]})
    assert score_range(data)[0] == 0
    assert score_range(pd.DataFrame({"score": [], "low": [], "high": []})) == [0, 100]


def _set(value: object) -> object:
    """A figure's JSON without its unset (None) settings."""
    if isinstance(value, dict):
        kept = {k: _set(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_set(v) for v in value]
    return value


def test_figures_built_without_the_schema_check_are_the_same_figures(monkeypatch):
    """The app builds figures without plotly's check: the same figures as with it (the check drops settings
    left unset, None, which plotly.js reads as unset too)."""
    import json

    import plotly.io as pio
    from participation_data import NAMES, PERIOD, areas_frame, attendees_frame, events_frame, source_of

    from cpdash.charts import base
    from cpdash.charts import participation_reach as reach_charts
    from cpdash.charts import participation_trend as trend_charts
    from cpdash.metrics.suppression import Policy
    from cpdash.views import participation as p
    from cpdash.views import participation_notable as nb

    def figures() -> list[dict]:
        src = source_of(events_frame(), areas_frame(), attendees_frame())
        v = p.participation(src, nb.notables(src.ds.events), PERIOD, Policy(3, public=False), NAMES)
        t, mix, s, r = v.trend, v.programs, v.season, v.reach
        built = [
            trend_charts.trend_chart(t.groups, t.months, t.notable, "attendance", "Program", t.empty),
            reach_charts.program_chart(mix.table, mix.best, mix.worst),
            trend_charts.seasonality_chart(s.matrix, "attendance", s.empty),
            reach_charts.reach_chart(r.shown, len(r.table), r.empty),
        ]
        return [_set(json.loads(pio.to_json(f, validate=False))) for f in built]

    checked = figures()
    monkeypatch.setattr(base, "VALIDATE", False)
    assert figures() == checked


def test_follow_through_charts_built_without_the_check_are_the_same_figures(monkeypatch):
    """The "You said, we did" charts, built from dicts: the same figures as plotly's check makes of them."""
    import json

    import numpy as np
    import plotly.io as pio

    from cpdash.charts import base
    from cpdash.charts import follow_through as charts

    def figures() -> list[dict]:
        counts = np.arange(20 * 4).reshape(20, 4) % 7
        table = pd.DataFrame(counts, columns=["resolved", "declined", "in_progress", "open"])
        table.insert(0, "label", [f"Area <{i}>" for i in range(20)])
        ages = pd.DataFrame(
            {"age": list("abcde"), "concerns": np.array([1, 5, 0, 30, 2]), "oldest_days": 1.0}
        )
        built = [
            charts.status_chart(table, "Topic"),  # more groups than shown: the note above the bars
            charts.status_chart(table.head(2).assign(resolved=1, declined=0, in_progress=0, open=1)),
            charts.backlog_age_chart(ages),
            charts.backlog_age_chart(ages.assign(concerns=np.array([1, 2, 0, 0, 1]))),
        ]
        return [_set(json.loads(pio.to_json(f, validate=False))) for f in built]

    monkeypatch.setattr(base, "VALIDATE", True)
    checked = figures()
    monkeypatch.setattr(base, "VALIDATE", False)
    assert figures() == checked
    assert checked[0]["layout"]["annotations"][0]["text"] == "The 15 with most concerns of 20"
    assert checked[3]["layout"]["yaxis"]["dtick"] == 1


def _one_area() -> pd.DataFrame:
    """One area's concerns by what became of them (You said, we did with one area chosen)."""
    return pd.DataFrame(
        {
            "label": ["Millbrook"],
            "resolved": [18],
            "declined": [0],
            "in_progress": [4],
            "open_at_end": [6],
            "open": [2],
        }
    )


def test_a_status_legend_never_covers_the_count_axis():
    """With one area the chart is short: the legend starts under the tick labels (not a fraction of the plot
    below the axis, where it covered them), and the bottom margin holds it even one entry a row (a phone)."""
    from cpdash.charts import follow_through as ft

    for fig in (ft.status_chart(_one_area()), ft.open_by_topic_chart(_one_area())):
        legend, margin, height = fig.layout.legend, fig.layout.margin, fig.layout.height
        assert fig.layout.showlegend and legend.orientation == "h"
        assert (legend.yref, legend.yanchor) == ("container", "top")
        top = legend.y * height  # pixels above the figure's bottom edge
        assert top <= margin.b - ft.TICK_LABELS  # under the tick labels
        assert top >= len(fig.data) * ft.LEGEND_ROW  # and every entry on its own row fits above the edge
        assert height - margin.t - margin.b >= 100  # room left for the bar itself


def _scores() -> pd.DataFrame:
    """A town hall's trust and safety against the previous period: one interval wide, one reaching 100, one
    score hidden."""
    rows = [
        ("Trust", "This period", 50.0, 47.0, 53.0, 215.0, "shown"),
        ("Trust", "Previous period", 64.0, 40.0, 88.0, 212.0, "shown"),
        ("Safety", "This period", 94.0, 88.0, 100.0, 210.0, "shown"),
        ("Safety", "Previous period", float("nan"), float("nan"), float("nan"), float("nan"), "hidden"),
    ]
    frame = pd.DataFrame(rows, columns=["metric", "period", "score", "low", "high", "n", "status"])
    return frame.assign(published_for="")


def test_the_presenter_scores_chart_reads_from_the_back_of_the_room():
    """On the slide: each score's "n=" label sits above the top of its interval (inside the bar, the error
    bar ran through it), within the axis, and the chart's type is as large as the slide's text (25 px at
    1280 wide); the legend under the tick labels."""
    from cpdash.charts import town_hall as th
    from cpdash.metrics.suppression import HIDDEN

    scores = _scores().replace({"status": {"hidden": HIDDEN}})
    fig = th.projector(th.scores_chart(scores), height=450)
    font, lay = fig.layout.font.size, fig.layout
    assert font >= 25 and lay.title.font.size >= 28
    assert lay.xaxis.tickfont.size >= 25 and lay.yaxis.tickfont.size >= 25 and lay.legend.font.size >= 22
    bars = {t.offsetgroup: t for t in fig.data if t.type == "bar"}
    labels = [t for t in fig.data if t.type == "scatter"]
    assert len(bars) == len(labels) == 2 and all(b.text is None for b in bars.values())
    plot = lay.height - lay.margin.t - lay.margin.b  # pixels for the score axis
    top = lay.yaxis.range[1]
    for label in labels:
        bar = bars[label.offsetgroup]  # drawn over its own bar in each pair
        assert label.mode == "text" and label.textposition == "top center" and label.cliponaxis is False
        assert label.textfont.size is None  # the figure's (projector) size
        highs = [s + (e if e == e else 0) for s, e in zip(bar.y, bar.error_y.array, strict=True)]
        for y, high, text in zip(label.y, highs, label.text, strict=True):
            lines = text.count("<br>") + 1 if text else 0
            assert high != high or y > high  # above the interval's top (NaN: no bar, no interval)
            assert y + lines * font * 1.3 * top / plot <= top  # and the whole label within the axis
    assert any("n=212" in t for t in labels[0].text + labels[1].text)
    assert any("too few" in t for t in labels[0].text + labels[1].text)
    legend = lay.legend
    assert (legend.yref, legend.yanchor) == ("container", "top")
    assert legend.y * lay.height <= lay.margin.b - th.PROJECTOR_TICKS


def test_the_trust_trend_draws_its_interval_as_a_band_and_names_its_cross():
    """The 95 % interval is a band without markers on its bounds (a scatter of up to 20 points draws
    markers unless told not to: any period of ten months or less); the only cross is the ⚠ mark on a month
    with fewer answers than the threshold, and the legend that names it sits under the dates."""
    from cpdash.charts import trends

    months = pd.date_range("2026-01-01", periods=6, freq="MS")
    trend = pd.DataFrame(
        {
            "when": months,
            "period": [m.strftime("%b %Y") for m in months],
            "series": "Selected areas",
            "cadence": "month",
            "score": [51.0, 61.0, 47.0, 56.0, 53.0, 52.0],
            "low": [42.0, 42.0, 41.0, 45.0, 45.0, 44.0],
            "high": [60.0, 80.0, 53.0, 67.0, 61.0, 60.0],
            "n": [20.0, 6.0, 25.0, 21.0, 30.0, 22.0],
            "flagged": [False, True, False, False, False, False],
        }
    )
    fig = trends.score_trend_chart(trend, "Trust", height=240)
    bands = [t for t in fig.data if t.fill]
    assert bands and all(t.mode == "lines" and not t.showlegend for t in bands)
    crosses = [t for t in fig.data if t.marker.symbol == "x"]
    assert len(crosses) == 1 and list(crosses[0].y) == [61.0] and crosses[0].mode == "markers"
    assert "fewer answers than the threshold" in crosses[0].name and crosses[0].showlegend is not False
    others = [t for t in fig.data if t not in bands and t not in crosses]
    assert all(t.marker.symbol in (None, "circle") for t in others)
    lay = fig.layout
    assert lay.showlegend and (lay.legend.yref, lay.legend.yanchor) == ("container", "top")
    assert lay.legend.y * lay.height <= lay.margin.b - trends.DATE_TICKS  # under the two-line dates


def legend_clear_of_the_axis(fig, ticks: int) -> None:
    """The legend starts under the x axis's tick labels, and its entries fit in the bottom margin one a row
    (as plotly lays them out on a phone)."""
    legend, margin, height = fig.layout.legend, fig.layout.margin, fig.layout.height
    assert fig.layout.showlegend and legend.orientation == "h"
    assert (legend.yref, legend.yanchor) == ("container", "top")
    top = legend.y * height  # pixels above the figure's bottom edge
    assert top <= margin.b - ticks + 1e-9
    entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    assert top >= entries * 22
    assert legend.xref == "container"  # rows as wide as the figure, not as the plot beside long labels
    assert margin.t >= 48 and margin.l == 10  # the rest of the margin is the chart's own


def test_community_voice_legends_sit_under_the_tick_labels():
    """The topic charts' legends are placed in pixels under the tick labels (a fraction of the plot below the
    axis covered the two-line dates on a short chart), with a row for each entry."""
    from cpdash.charts import voice
    from cpdash.charts import voice_comments as vc

    months = pd.date_range("2026-01-01", periods=6, freq="MS")
    trend = pd.DataFrame(
        [(t, m, 10.0 + i, 3, 30) for i, t in enumerate("abcde") for m in months],
        columns=["topic", "month", "share", "comments", "total"],
    )
    legend_clear_of_the_axis(vc.topic_trend_chart(trend), voice.DATE_TICKS)
    rows = pd.DataFrame(
        {"label": ["lighting (n=40)", "noise (n=12)"], "n": [40, 12], "net": [-10.0, 5.0]}
        | {"negative": [40.0, 20.0], "neutral": [30.0, 55.0], "positive": [30.0, 25.0]}
    )
    legend_clear_of_the_axis(vc.topic_sentiment_chart(rows), voice.ONE_LINE_TICKS)
    shares = pd.DataFrame({"topic": ["lighting", "noise"], "share": [30.0, 10.0], "comments": [30, 10]})
    concerns = pd.DataFrame({"topic": ["lighting"], "share": [50.0], "concerns": [4]})
    legend_clear_of_the_axis(vc.topic_share_chart(shares, concerns), voice.ONE_LINE_TICKS)
    assert not vc.topic_share_chart(shares).layout.showlegend  # one series: no legend


def test_trend_charts_built_without_the_check_are_the_same_figures(monkeypatch):
    """The Overview's two trends, built from dicts: the same figures as plotly's check makes of them, and
    the attendance bars laid out as every chart made by `layout` is."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from cpdash.charts import base, trends

    months = pd.date_range("2026-01-01", periods=9, freq="MS")
    monthly = pd.DataFrame(
        {"month": months, "attendance": [5.0, 0, 12, 30, 7, 9, 11, 4, 2], "events": range(9)}
    )
    trend = pd.DataFrame(
        {
            "when": list(months) * 2,
            "period": [m.strftime("%b %Y") for m in months] * 2,
            "series": ["Millbrook"] * 9 + ["City"] * 9,
            "cadence": "month",
            "score": [51.0, 61, 47, 56, 53, 52, 50, 49, 55] * 2,
            "low": [42.0] * 18,
            "high": [70.0] * 18,
            "n": [20.0] * 18,
            "flagged": [False, True] + [False] * 16,
        }
    )

    def figures() -> list[dict]:
        built = [trends.monthly_attendance_chart(monthly), trends.score_trend_chart(trend, "Trust", 240)]
        return [_set(json.loads(pio.to_json(f, validate=False))) for f in built]

    monkeypatch.setattr(base, "VALIDATE", True)
    checked = figures()
    monkeypatch.setattr(base, "VALIDATE", False)
    assert figures() == checked
    plain = base.layout(go.Figure(go.Bar(x=months, y=monthly["attendance"])), "Attendance by month", "People")
    shared = _set(json.loads(pio.to_json(plain, validate=False)))["layout"]
    bars = checked[0]["layout"]
    assert {k: v for k, v in bars.items() if k != "xaxis"} == {
        k: v for k, v in shared.items() if k != "xaxis"
    }
    assert bars["xaxis"] == {"dtick": "M2", "tickformat": "%b<br>%Y", "tickangle": 0}
    lay = checked[1]["layout"]
    assert lay["showlegend"] and lay["margin"]["l"] == 10 and lay["margin"]["b"] > trends.DATE_TICKS
    assert lay["height"] == 240 + trends.TREND_LEGEND_ROWS * trends.TREND_LEGEND_ROW + trends.DATE_TICKS
