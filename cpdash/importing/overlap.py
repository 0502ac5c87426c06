"""Rows an import shares with what is already stored under another id: a second export of the same
calendar (a scraper's, in another schema) would otherwise double a year of meetings without a word.

Two events overlap when they are in the same area, start within an hour of each other and have similar
titles (most of their words in common, and the same numbers, so "2514 Beat Meeting" is not "2515 Beat
Meeting"). The report says how many, shows them beside the stored ones, and the user may skip them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.importing.rules import FILLER_FORMS, word_forms

WITHIN = pd.Timedelta(hours=1)
MIN_SIMILARITY = 0.5
OVERLAP = "overlaps stored event"  # how a skipped row's reason starts
COLUMNS = ["position", "event_id", "stored_title", "stored_start", "similarity"]


def title_similarity(a: object, b: object) -> float:
    """Words in common over words in either (0 to 1), ignoring filler; 0 when their numbers differ."""
    if not isinstance(a, str) or not isinstance(b, str):
        return 0.0
    left, right = word_forms(a) - FILLER_FORMS, word_forms(b) - FILLER_FORMS
    if not left or not right:
        return 1.0 if word_forms(a) == word_forms(b) else 0.0
    numbers = {w for w in left if w.isdigit()}, {w for w in right if w.isdigit()}
    if numbers[0] and numbers[1] and numbers[0] != numbers[1]:
        return 0.0
    return len(left & right) / len(left | right)


def _frame(events: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "position": positions,
            "area_id": events["area_id"].astype("str").to_numpy(),
            "start": pd.to_datetime(events["start"]).to_numpy(),
            "title": events["title"].to_numpy() if "title" in events else None,
            "program": events["program"].to_numpy() if "program" in events else None,
            "event_id": events["event_id"].astype("str").to_numpy(),
        }
    )
    out = out[out["start"].notna()]
    out["hour"] = out["start"].dt.floor("h")
    return out


def find_overlaps(new: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame:
    """For each new event that overlaps a stored one (another id), the best match: position (in `new`),
    event_id, stored_title, stored_start, similarity."""
    if stored is None or len(stored) == 0 or len(new) == 0 or not {"start", "area_id"} <= set(new):
        return pd.DataFrame(columns=COLUMNS)
    left = _frame(new, np.arange(len(new)))
    right = _frame(stored, np.arange(len(stored))).drop(columns="position")
    pairs = []
    for shift in (-1, 0, 1):
        moved = right.assign(hour=right["hour"] + pd.Timedelta(hours=shift))
        pairs.append(left.merge(moved, on=["area_id", "hour"], suffixes=("", "_stored")))
    both = pd.concat(pairs, ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=COLUMNS)
    both = both[(both["start"] - both["start_stored"]).abs() <= WITHIN]
    both = both[both["event_id"] != both["event_id_stored"]]
    if both.empty:
        return pd.DataFrame(columns=COLUMNS)
    similarity = [
        title_similarity(a, b)
        if isinstance(a, str) and isinstance(b, str)
        else float(p == q and p is not None)
        for a, b, p, q in zip(
            both["title"], both["title_stored"], both["program"], both["program_stored"], strict=True
        )
    ]
    both = both.assign(similarity=np.round(similarity, 2))
    both = both[both["similarity"] >= MIN_SIMILARITY]
    best = both.sort_values(["position", "similarity"], ascending=[True, False]).drop_duplicates("position")
    return pd.DataFrame(
        {
            "position": best["position"].to_numpy(),
            "event_id": best["event_id_stored"].to_numpy(),
            "stored_title": best["title_stored"].to_numpy(),
            "stored_start": best["start_stored"].to_numpy(),
            "similarity": best["similarity"].to_numpy(),
        }
    ).reset_index(drop=True)
