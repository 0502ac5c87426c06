"""The validation report as tables for the Data page: per-table summary, reasons, rejected rows."""

from __future__ import annotations

import pandas as pd

from cpdash.data.dataset import LoadReport
from cpdash.data.schema import TABLES, data_dictionary

STATUS_TEXT = {"loaded": "loaded", "absent": "not provided", "failed": "could not be used"}


def summary(report: LoadReport) -> pd.DataFrame:
    """One row per contract table: file, status, rows read, accepted, rejected, warnings."""
    rows = []
    for name, table in TABLES.items():
        t = report.tables.get(name)
        rows.append(
            {
                "table": name,
                "required": "required" if table.required else "optional",
                "file": (t.file if t else None) or "—",
                "status": STATUS_TEXT.get(t.status if t else "absent", "not provided"),
                "rows read": t.rows_read if t else 0,
                "accepted": t.rows_accepted if t else 0,
                "rejected": t.rows_rejected if t else 0,
                "warnings": len(t.warnings) if t else 0,
            }
        )
    return pd.DataFrame(rows)


def reasons(report: LoadReport, table: str) -> pd.DataFrame:
    """How many rows of `table` were rejected for each kind of reason (the reason up to its colon)."""
    t = report.tables.get(table)
    if t is None or t.rejected.empty:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    kind = t.rejected["reason"].astype("str").str.split(":", n=1).str[0].str.replace(r" '.*$", "", regex=True)
    counts = kind.value_counts()
    return pd.DataFrame({"reason": counts.index.astype("str"), "rows": counts.to_numpy()})


def dictionary(table: str | None = None) -> pd.DataFrame:
    """The data dictionary, one row per column of the contract (of one table, when given)."""
    frame = pd.DataFrame(data_dictionary())
    return frame if not table else frame[frame["table"] == table].reset_index(drop=True)
