"""The quotes a town hall may publish, for the Data page (staff only): an area's comments that a town hall
could quote, each as it would be quoted (redacted and cut), and which are approved for publication
(cpdash.data.approvals)."""

from __future__ import annotations

import pandas as pd

from cpdash.data.approvals import quote_key
from cpdash.data.dataset import Dataset
from cpdash.data.filters import select
from cpdash.metrics.periods import Filters
from cpdash.text.redact import redact
from cpdash.views.town_hall_model import cut
from cpdash.views.town_hall_sections import QUOTE_MAX_CHARS, QUOTE_MIN_CHARS

CANDIDATES = 20  # the newest comments listed for approval
COLUMNS = ["key", "submitted", "quote", "approved"]
ABOUT = (
    "Town halls made public-safe (always in the public view, and in their HTML, PDF and ZIP packs) quote only "
    "comments approved here, and only from areas with enough comments in the period. Each is shown as it "
    "would be quoted: personal details removed and long ones cut. Approving is a judgement: read the whole "
    "quote, and leave out anything that could tell who wrote it."
)


def candidates(ds: Dataset, area_id: str, f: Filters, approved: frozenset[str]) -> pd.DataFrame:
    """The newest comments of `area_id` in the filters' period long enough to quote: key, submitted, the
    quote as shown, and whether it is approved."""
    rows = select(ds.responses, Filters(f.start, f.end, (area_id,), ()), "submitted")
    if rows is None or not {"comment", "response_id"} <= set(rows.columns):
        return pd.DataFrame(columns=COLUMNS)
    text = rows["comment"].astype("string").str.strip()
    rows = rows[(text.str.len() >= QUOTE_MIN_CHARS).fillna(False).to_numpy(dtype=bool)]
    if "submitted" in rows.columns:
        rows = rows.sort_values("submitted", ascending=False, kind="stable")
    rows = rows.head(CANDIDATES)
    keys = [quote_key(r, c) for r, c in zip(rows["response_id"], rows["comment"], strict=True)]
    return pd.DataFrame(
        {
            "key": keys,
            "submitted": pd.to_datetime(rows["submitted"]).dt.strftime("%-d %b %Y").to_numpy()
            if "submitted" in rows.columns
            else "",
            "quote": [cut(redact(str(c)), QUOTE_MAX_CHARS) for c in rows["comment"]],
            "approved": [k in approved for k in keys],
        }
    )


def approved_table(approvals: dict[str, dict], names: dict[str, str]) -> pd.DataFrame:
    """Every approved quote: area, quote, who approved it and when (newest first)."""
    rows = [
        {
            "key": key,
            "Area": names.get(entry.get("area_id", ""), entry.get("area_id", "")),
            "Quote": entry.get("text", ""),
            "Approved by": entry.get("approved_by", ""),
            "Approved": entry.get("approved_at", ""),
        }
        for key, entry in approvals.items()
    ]
    frame = pd.DataFrame(rows, columns=["key", "Area", "Quote", "Approved by", "Approved"])
    return frame.sort_values("Approved", ascending=False, kind="stable").reset_index(drop=True)
