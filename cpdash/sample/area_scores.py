"""The sample city's area_scores table: quarterly scores published from its surveys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.data.schema import AGE_GROUPS, AREA_SCORES, SCORE_METRICS
from cpdash.sample.places import City
from cpdash.sample.responses import CHANNELS, Responses


def _quarters(days: np.ndarray) -> np.ndarray:
    """First day of every calendar quarter lying wholly inside the span."""
    months = np.unique(days.astype("datetime64[M]"))
    starts = months[months.astype(np.int64) % 3 == 0]
    return np.array(
        [
            s
            for s in starts
            if s.astype("datetime64[D]") >= days[0] and (s + 3).astype("datetime64[D]") - 1 <= days[-1]
        ]
    )


def _area_scores(city: City, responses: Responses) -> pd.DataFrame:
    """Quarterly published scores per area and for the city (with age breakdowns), from the surveys."""
    quarters = _quarters(city.days)
    month = city.days[responses.day].astype("datetime64[M]")
    quarter_start = month - (month.astype(np.int64) % 3).astype("timedelta64[M]")
    quarter = np.searchsorted(quarters, quarter_start)
    in_quarter = (quarter < len(quarters)) & (
        quarters[np.minimum(quarter, len(quarters) - 1)] == quarter_start
    )
    survey = np.isin(responses.channel, [CHANNELS.index("online survey"), CHANNELS.index("phone survey")])
    n_q, n_a = len(quarters), city.n
    parts = []
    for metric in SCORE_METRICS:
        value = responses.scores[metric]
        ok = in_quarter & survey & ~np.isnan(value)
        q, a, v, g = quarter[ok], responses.area[ok], value[ok], responses.age[ok]
        groupings = (
            ("area", q * n_a + a, n_q * n_a, None),
            ("city", q, n_q, None),
            ("city", q * len(AGE_GROUPS) + np.maximum(g, 0), n_q * len(AGE_GROUPS), g >= 0),
        )
        for level, key, size, keep in groupings:
            mask = np.ones(len(key), dtype=bool) if keep is None else keep
            total = np.bincount(key[mask], weights=v[mask], minlength=size)
            count = np.bincount(key[mask], minlength=size)
            cells = np.flatnonzero(count >= (30 if keep is not None else 1))
            if level == "area":
                cell_quarter, area_id, group = cells // n_a, city.ids[cells % n_a], None
            elif keep is None:
                cell_quarter, area_id, group = cells, "city", None
            else:
                cell_quarter = cells // len(AGE_GROUPS)
                area_id = "city"
                group = np.array([f"age: {label}" for label in AGE_GROUPS], dtype=object)[
                    cells % len(AGE_GROUPS)
                ]
            parts.append(
                pd.DataFrame(
                    {
                        "period_start": quarters[cell_quarter].astype("datetime64[D]"),
                        "level": level,
                        "area_id": area_id,
                        "metric": metric,
                        "value": np.round(total[cells] / count[cells] * 10, 1),
                        "n": count[cells],
                        "group": group,
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    start = frame["period_start"].to_numpy()
    end = (start.astype("datetime64[M]") + 3).astype("datetime64[D]") - 1
    frame["period_end"] = np.datetime_as_string(end, unit="D")
    frame["period_start"] = np.datetime_as_string(start, unit="D")
    frame["_level"] = (frame["level"] == "area").astype(int)
    frame["_group"] = frame["group"].fillna("")
    frame["_metric"] = frame["metric"].map(SCORE_METRICS.index)
    frame = frame.sort_values(["period_start", "_level", "area_id", "_group", "_metric"], kind="stable")
    frame["n"] = frame["n"].astype("int64")
    return frame[list(AREA_SCORES.names)].reset_index(drop=True)
