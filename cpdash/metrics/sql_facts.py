"""What the database source keeps about each comment and concern, worked out once in Python when it is
imported (or by the builder): a comment's language, its sentiment class and its topics; a concern's topics.

They are the same functions the in-memory source applies (cpdash.metrics.comments, cpdash.text.sentiment,
cpdash.metrics.sentiment.classify), row by row, so that SQL only counts: no threshold, keyword or language
rule is ever written in SQL. Topics are kept as a JSON list of the taxonomy's topic names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from cpdash.metrics.comments import language_codes, topic_matrix
from cpdash.metrics.sentiment import classify
from cpdash.metrics.sql_cubes import CONCERN_FACTS, FACTS
from cpdash.text.topics import Taxonomy, tag_concerns

FACT_COLUMNS = ("response_id", "sentiment", "class", "language", "topics")
CONCERN_COLUMNS = ("concern_id", "topics")
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {FACTS} (response_id text PRIMARY KEY, sentiment double precision, "
    "class smallint NOT NULL, language smallint NOT NULL, topics text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {CONCERN_FACTS} (concern_id text PRIMARY KEY, topics text NOT NULL)",
)


def topic_lists(matrix: np.ndarray, taxonomy: Taxonomy) -> list[str]:
    """Each row's topics as a JSON list of names, in the taxonomy's order."""
    names = np.array(taxonomy.names, dtype=object)
    patterns, codes = np.unique(matrix, axis=0, return_inverse=True) if len(matrix) else (matrix, [])
    texts = [json.dumps(list(names[row]), ensure_ascii=False) for row in patterns]
    return [texts[i] for i in np.asarray(codes).reshape(-1)]


def comment_facts(
    rows: pd.DataFrame,
    taxonomy: Taxonomy,
    scores: pd.Series | None = None,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """The facts of each non-blank comment of `rows` (response_id, comment, optional language): its VADER
    compound score (`scores` when given, aligned with `rows`; NaN when not English), class, language code
    and topics."""
    if len(rows) == 0 or "comment" not in rows.columns:
        return pd.DataFrame({c: [] for c in FACT_COLUMNS})
    text = rows["comment"].astype("string").str.strip()
    keep = np.array(text.notna() & (text != ""), dtype=bool)
    rows, text = rows[keep], text[keep]
    tags = rows["language"] if "language" in rows.columns else None
    if scores is None:
        from cpdash.text.sentiment import score_comments

        scores, _ = score_comments(rows["comment"], tags, cache_dir=cache_dir)
    else:
        scores = scores[keep]
    values = pd.to_numeric(pd.Series(scores), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    language = language_codes(tags.reset_index(drop=True) if tags is not None else None, text)
    return pd.DataFrame(
        {
            "response_id": rows["response_id"].astype("str").to_numpy(dtype=object),
            "sentiment": values,
            "class": classify(values),
            "language": language,
            "topics": topic_lists(topic_matrix(text.reset_index(drop=True), language, taxonomy), taxonomy),
        }
    )


def concern_facts(concerns: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """The topics of each concern (its own topic when the taxonomy has it, else its keywords)."""
    if len(concerns) == 0 or "concern_id" not in concerns.columns:
        return pd.DataFrame({c: [] for c in CONCERN_COLUMNS})
    frame = concerns.reset_index(drop=True)
    return pd.DataFrame(
        {
            "concern_id": frame["concern_id"].astype("str").to_numpy(dtype=object),
            "topics": topic_lists(tag_concerns(frame, taxonomy), taxonomy),
        }
    )


def _cells(values: Iterable[object]) -> list[object]:
    """Python values for the driver (NaN as NULL, numpy numbers as Python numbers)."""
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out


def write(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Add `frame`'s rows to `table` with COPY, in the connection's transaction; returns how many."""
    if len(frame) == 0:
        return 0
    cursor = conn.connection.driver_connection.cursor()
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in zip(*(frame[c].to_numpy(dtype=object) for c in frame.columns), strict=True):
            copy.write_row(_cells(row))
    return len(frame)
