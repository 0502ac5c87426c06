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
