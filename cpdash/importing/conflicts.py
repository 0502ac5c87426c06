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
    marker."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            text = values.astype("str").str.strip().str.replace(r"\s+", " ", regex=True)
            text = text.str.lower() if lower else text
        out[name] = text.where(values.notna() & text.ne(""), _BLANK).astype("object")
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
    live = np.array([i not in reasons for i in range(len(shaped))], dtype=bool)
    keys = comparable(shaped[columns], lower=len(columns) > 1)  # ids are told apart by case
    if len(columns) == 1:  # a table's id: a blank id is not a key (validation rejects it)
        live &= (keys[columns[0]] != _BLANK).to_numpy()
    if live.sum() < 2:
        return pd.DataFrame()
    key_hash = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    value_hash = _row_keys(shaped)
    frame = pd.DataFrame({"key": key_hash, "value": value_hash, "position": np.arange(len(shaped))})[live]
    spread = frame.groupby("key")["value"].transform("nunique")
    frame = frame[spread.to_numpy() > 1]
    if frame.empty:
        return pd.DataFrame()
    what = what or ", ".join(columns)
    text = comparable(shaped)
    parts = []
    for number, (_, group) in enumerate(frame.groupby("key", sort=False), start=1):
        positions = group["position"].tolist()
        kept = {"keep-first": positions[0], "keep-last": positions[-1]}.get(policy)
        differs = [c for c in shaped.columns if text.iloc[positions][c].nunique() > 1]
        rows = [int(row_numbers[p]) for p in positions]
        label = what
        if len(columns) == 1:
            label = f"{columns[0]} '{str(shaped[columns[0]].iloc[positions[0]])[:60]}'"
        for position, row in zip(positions, rows, strict=True):
            if position != kept:
                others = ", ".join(str(r) for r in rows if r != row)
                ending = "every row of it rejected" if kept is None else f"row {row_numbers[kept]} kept"
                reasons[position] = (
                    f"{CONFLICT} {label}: also on row{'s' if len(rows) > 2 else ''} {others} with other "
                    f"{', '.join(differs)}; {ending}"
                )
        part = shaped.iloc[positions].copy()
        part.insert(0, "differs", ", ".join(differs))
        part.insert(0, "kept", ["kept" if p == kept else "rejected" for p in positions])
        part.insert(0, "row", rows)
        part.insert(0, "conflict", number)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
