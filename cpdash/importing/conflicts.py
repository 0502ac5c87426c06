"""Repeated and conflicting rows within one file.

A row that repeats an earlier one (the same values once mapped, ignoring case and spacing) is removed and
counted as a duplicate. Rows with the same key and other values conflict: they are reported side by side,
and the user chooses which to keep (the first, the last, or neither).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POLICIES: dict[str, str] = {
    "keep-first": "keep the first row of each conflict",
    "keep-last": "keep the last row of each conflict",
    "reject-both": "reject every row of a conflict",
}
DEFAULT_POLICY = "keep-first"
CONFLICT = "conflicting"  # how a conflicting row's reason starts
_BLANK = "\x00"


def comparable(frame: pd.DataFrame, lower: bool = True) -> pd.DataFrame:
    """Cells as text for comparing rows: lower case (unless told not to), spacing collapsed, blanks as one
    marker (each distinct value worked out once)."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = pd.Series(uniques)
        if pd.api.types.is_datetime64_any_dtype(distinct):
            text = distinct.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            text = distinct.astype("str").str.strip().str.replace(r"\s+", " ", regex=True)
            text = text.str.lower() if lower else text
        text = text.where(text.ne(""), _BLANK).to_numpy(dtype=object)
        cells = np.full(len(values), _BLANK, dtype=object)
        present = codes >= 0
        cells[present] = text[codes[present]]
        out[name] = cells
    return pd.DataFrame(out, index=frame.index)


def _row_keys(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(comparable(frame), index=False).to_numpy()


def duplicate_of(frame: pd.DataFrame) -> pd.Series:
    """For each row repeating an earlier row (ignoring case and spacing), the earlier row's position; NA else."""
    if len(frame) == 0 or frame.shape[1] == 0:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    keys = _row_keys(frame)
    positions = pd.Series(np.arange(len(frame)), index=frame.index)
    first = positions.groupby(keys).transform("min")
    return first.where(first != positions).astype("Int64")


def conflicts(
    shaped: pd.DataFrame,
    key: list[str],
    reasons: dict[int, str],
    row_numbers: np.ndarray,
    policy: str = DEFAULT_POLICY,
    what: str = "",
) -> pd.DataFrame:
    """Rows sharing `key` with other values (rows already in `reasons` left out): reasons added by `policy`;
    returns the conflicts side by side (conflict, row, kept, differs, then the row's values)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown choice for conflicts {policy!r} (one of {', '.join(POLICIES)})")
    columns = [c for c in key if c in shaped]
    if not columns or len(shaped) == 0:
        return pd.DataFrame()
    live = np.ones(len(shaped), dtype=bool)
    if reasons:
        live[[p for p in reasons if 0 <= p < len(shaped)]] = False
    keys = comparable(shaped[columns], lower=len(columns) > 1)  # ids are told apart by case
    if len(columns) == 1:  # a table's id: a blank id is not a key (validation rejects it)
        live &= (keys[columns[0]] != _BLANK).to_numpy()
    if live.sum() < 2:
        return pd.DataFrame()
    key_hash = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    frame = pd.DataFrame({"key": key_hash, "value": _row_keys(shaped), "position": np.arange(len(shaped))})[
        live
    ]
    frame = frame[frame.groupby("key")["value"].transform("nunique").to_numpy() > 1]
    if frame.empty:
        return pd.DataFrame()
    groups = frame.groupby("key", sort=False)["position"]
    first, last = groups.transform("min").to_numpy(), groups.transform("max").to_numpy()
    second = frame.assign(rank=groups.cumcount()).query("rank == 1").set_index("key")["position"]
    position = frame["position"].to_numpy()
    kept = {"keep-first": first, "keep-last": last}.get(policy)
    number = pd.Series(pd.factorize(frame["key"])[0] + 1, index=frame.index)
    text = comparable(shaped.iloc[position])
    text.index = frame.index
    spread = text.groupby(frame["key"].to_numpy()).nunique() > 1
    differs = pd.Series("", index=spread.index, dtype="object")
    for name in shaped.columns:
        differs = differs + np.where(spread[name], name + ", ", "")
    differs = differs.str.rstrip(", ")
    group_differs = frame["key"].map(differs).to_numpy()
    if len(columns) == 1:
        values = shaped[columns[0]].iloc[first].astype("str").str.slice(0, 60).to_numpy()
        labels = [f"{columns[0]} '{v}'" for v in values]
    else:
        labels = [what or ", ".join(columns)] * len(frame)
    # the row a reason points to: the one kept, or (none kept) the conflict's first other row
    ref = np.where(position == first, frame["key"].map(second).to_numpy(), first) if kept is None else kept
    keeps = position == kept if kept is not None else np.zeros(len(position), dtype=bool)
    for i in np.flatnonzero(~keeps):
        ending = "every row of it rejected" if kept is None else f"row {row_numbers[kept[i]]} kept"
        reasons[int(position[i])] = (
            f"{CONFLICT} {labels[i]}: also on row {row_numbers[int(ref[i])]} with other {group_differs[i]}; {ending}"
        )
    table = shaped.iloc[position].reset_index(drop=True)
    table.insert(0, "differs", group_differs)
    table.insert(
        0,
        "kept",
        np.where(position == (kept if kept is not None else -1), "kept", "rejected").astype("object"),
    )
    table.insert(0, "row", row_numbers[position])
    table.insert(0, "conflict", number.to_numpy())
    return table.sort_values(["conflict", "row"], kind="stable").reset_index(drop=True)
