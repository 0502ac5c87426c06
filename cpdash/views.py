"""Ready-to-show tables for the pages: the figures of cpdash.metrics, named and ordered for people."""

from __future__ import annotations

import pandas as pd

from cpdash import metrics
from cpdash.dataset import Dataset
from cpdash.filters import Filters, rows_in_period, select

SCORE_LABELS = {"trust": "Trust", "safety": "Safety", "listen": "Listen", "respect": "Respect"}


def score_cards(ds: Dataset, f: Filters, k: int) -> dict[str, metrics.Score]:
    """Each score the responses carry, over the period and areas, with n and 95 % interval."""
    if not ds.has("responses"):
        return {}
    responses = rows_in_period(select(ds.responses, f, None), "submitted", f.start, f.end)
    return {m: metrics.score(responses[m], k) for m in SCORE_LABELS if m in responses}


def scores_by_area(ds: Dataset, f: Filters, k: int, public: bool) -> pd.DataFrame:
    """Per area: each score with its n; figures on fewer than k responses blank (public) or flagged."""
    if not ds.has("responses"):
        return pd.DataFrame()
    responses = rows_in_period(select(ds.responses, f, None), "submitted", f.start, f.end)
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    out = None
    for metric, label in SCORE_LABELS.items():
        if metric not in responses:
            continue
        table = metrics.scores_by(responses, metric, "area_id", k).set_index("area_id")
        part = pd.DataFrame({label: table["score"].round(0), f"{label} n": table["n"]})
        if public:
            part.loc[table["suppressed"], label] = float("nan")
        else:
            part[f"{label} flag"] = table["suppressed"].map({True: f"fewer than {k}", False: ""})
        out = part if out is None else out.join(part, how="outer")
    if out is None:
        return pd.DataFrame()
    out.insert(0, "Area", [names.get(a, a) for a in out.index])
    return out.sort_values("Area").reset_index(drop=True)


def open_backlog(ds: Dataset, f: Filters) -> pd.DataFrame:
    """Concerns still open at the end of the period, oldest first, with how long they have waited."""
    if not ds.has("concerns"):
        return pd.DataFrame()
    concerns = select(ds.concerns, f, None)
    end = pd.Timestamp(f.end)
    still_open = concerns[metrics.concern_flags(concerns, f.start, f.end)["open_at_end"]]
    names = dict(zip(ds.areas["area_id"], ds.areas["name"], strict=True))
    out = pd.DataFrame(
        {
            "Raised": still_open["raised"].dt.date,
            "Days open": (end - still_open["raised"]).dt.days,
            "Area": still_open["area_id"].map(names),
            "Topic": still_open["topic"],
            "Status": still_open["status"].fillna("open") if "status" in still_open else "open",
        }
    )
    return out.sort_values("Days open", ascending=False).reset_index(drop=True)


def follow_through_by_topic(ds: Dataset, f: Filters) -> pd.DataFrame:
    """Per topic: raised, resolved, declined, open at the end, median days to resolve."""
    if not ds.has("concerns"):
        return pd.DataFrame()
    table = metrics.follow_through_by(select(ds.concerns, f, None), f.start, f.end, by="topic")
    return (
        pd.DataFrame(
            {
                "Topic": table["topic"],
                "Raised": table["raised"],
                "Resolved": table["resolved"],
                "Declined": table["declined"],
                "Open at end": table["open_at_end"],
                "Median days to resolve": table["median_days_to_resolve"].round(0),
                "Resolved within 90 days (%)": (table["share_resolved_within_90"] * 100).round(0),
            }
        )
        .sort_values("Raised", ascending=False)
        .reset_index(drop=True)
    )
