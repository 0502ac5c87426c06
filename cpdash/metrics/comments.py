"""Comments as day-sorted columns: area, program, language, sentiment class and combination of topics.

Built once per data set for the in-memory source. A comment counts in every topic it mentions (topics come
from the taxonomy's keywords, in the comment's language); the distinct texts are kept once each, as given
and folded for search (the comment explorer, cpdash.views.voice_explorer, lists them row by row through
MemorySource.comment_table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.metrics import columns as c
from cpdash.metrics.gather import AREA, COMMENT_TOPIC, LANGUAGE, PROGRAM, Groups
from cpdash.metrics.periods import Filters
from cpdash.metrics.sentiment import CLASSES, UNSCORED, classify
from cpdash.text.sentiment import ENGLISH, SPANISH, detect_language, language_tags
from cpdash.text.topics import Taxonomy, combinations, fold, tag, tag_concerns

LANGUAGES = ("English", "Spanish", "other")
NO_TOPIC = "no topic matched"
COMBO = "_combo"  # the grouping key behind comment_topic: a comment's combination of topics


@dataclass(frozen=True)
class CommentTable:
    """Every non-blank comment, sorted by day; the concerns' topics by the same taxonomy."""

    cols: c.Columns  # keys: area_id, program, language, _combo; values: sentiment class
    taxonomy: Taxonomy
    text: np.ndarray  # per comment: code into texts
    texts: pa.Array  # the distinct comments as given
    folded: pa.Array  # ... lower-cased, without accents, for search
    combo_topics: np.ndarray  # combos x topics: the topics of each combination
    concern_topics: c.Key  # per concern (in the order of the source's concern columns): combination code

    def __len__(self) -> int:
        """Number of comments."""
        return len(self.cols)

    @property
    def topic_labels(self) -> pd.Index:
        """The taxonomy's topics, then the comments that matched none."""
        return pd.Index([*self.taxonomy.names, NO_TOPIC], dtype="str", name=COMMENT_TOPIC)

    def membership(self) -> np.ndarray:
        """combos x (topics + 1): which topics each combination holds (the last: none)."""
        return np.column_stack([self.combo_topics, ~self.combo_topics.any(axis=1)])

    def groups(self, q: Filters, by: tuple[str, ...]) -> Groups:
        """Comments and their classes per group (a comment counts in each topic it mentions)."""
        rows = c.select(self.cols, q)
        names = tuple(COMBO if b == COMMENT_TOPIC else b for b in by)
        group, keys, labels = c.grouping(self.cols, rows, names, q)
        size = len(keys)
        label = self.cols.values["class"][rows]
        stats = {"comments": c.count(group, size)}
        for code, name in enumerate(CLASSES):
            stats[name] = c.count(group, size, (label == code).astype("float64"))
        if COMBO in names:
            keys, stats = c.spread(stats, labels, names, COMBO, self.membership(), self.topic_labels)
            keys = keys.rename(columns={COMBO: COMMENT_TOPIC})
        return Groups(keys, stats)


def _languages(tags: pd.Series | None, codes: np.ndarray, distinct: pd.Series) -> np.ndarray:
    """Language code per comment (into LANGUAGES): its tag when given, else detected from the text."""
    out = np.full(len(codes), 2, dtype="int64")
    known = np.zeros(len(codes), dtype=bool)
    if tags is not None:
        normal = language_tags(tags)
        known = np.array(normal.notna(), dtype=bool)
        out[np.array((normal == ENGLISH).fillna(False), dtype=bool)] = 0
        out[np.array((normal == SPANISH).fillna(False), dtype=bool)] = 1
    undecided = ~known
    if undecided.any():
        need = np.flatnonzero(np.bincount(codes[undecided], minlength=len(distinct)))
        detected = detect_language(distinct.iloc[need]).to_numpy()
        per_text = np.zeros(len(distinct), dtype="int64")
        per_text[need] = np.where(detected == SPANISH, 1, 0)
        out[undecided] = per_text[codes[undecided]]
    return out


def _with_concerns(
    ds: Dataset, taxonomy: Taxonomy, combos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The comments' combinations of topics joined with the concerns' (in the order the source sorts
    concerns): the new code of each old combination, each concern's code, and the combinations."""
    concerns = ds.concerns
    matrix = np.zeros((0, combos.shape[1]), dtype=bool)
    if concerns is not None and len(concerns) and "raised" in concerns.columns:
        order = c.sort_by_day(c.days_of(concerns["raised"]))
        matrix = tag_concerns(concerns.iloc[order], taxonomy)
    codes, unique = combinations(np.vstack([combos, matrix]))
    codes = codes.astype("int64")
    return codes[: len(combos)], codes[len(combos) :], unique


def comment_table(ds: Dataset, taxonomy: Taxonomy, areas: pd.Index, programs: pd.Index) -> CommentTable:
    """The comments of a loaded data set (blank ones left out) with their groups and topics."""
    responses = ds.responses
    empty = np.zeros(0, "int64")
    text = pd.Series([], dtype="string")
    rows = pd.DataFrame()
    if responses is not None and len(responses) and {"comment", "submitted"} <= set(responses.columns):
        text = responses["comment"].astype("string").str.strip()
        has_text = np.array(text.notna() & (text != ""), dtype=bool)
        rows, text = responses[has_text], text[has_text]
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    codes = np.asarray(codes, dtype="int64")
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string[pyarrow]")
    language = _languages(rows["language"] if "language" in rows.columns else None, codes, distinct)
    scores = (
        pd.to_numeric(rows[SENTIMENT], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if SENTIMENT in rows.columns
        else np.full(len(rows), np.nan)
    )
    folded = fold(pa.array(distinct, type=pa.string()))
    first = np.full(len(distinct), -1, dtype="int64")
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    text_language = np.array([ENGLISH, SPANISH, "other"], dtype=object)[language[first]]
    text_combo, combo_topics = combinations(tag(folded, taxonomy, text_language, folded=True))
    remap, concern_combo, combo_topics = _with_concerns(ds, taxonomy, combo_topics)
    text_combo = remap[text_combo] if len(text_combo) else empty
    combo_labels = pd.RangeIndex(len(combo_topics))
    if "event_id" in rows.columns and ds.events is not None and PROGRAM in ds.events.columns:
        lookup = ds.events.drop_duplicates("event_id").set_index("event_id")[PROGRAM].astype("str")
        program = c.factor(rows["event_id"].map(lookup), programs).codes
    else:
        program = np.full(len(rows), -1, dtype="int64")
    day = c.days_of(rows["submitted"]) if len(rows) else empty
    area = c.factor(rows[AREA], areas).codes if AREA in rows.columns else np.full(len(rows), -1, "int64")
    cols = c.columns(
        day,
        {
            AREA: c.Key(area, areas),
            PROGRAM: c.Key(program, programs),
            LANGUAGE: c.Key(language, pd.Index(LANGUAGES, name=LANGUAGE)),
            COMBO: c.Key(text_combo[codes] if len(codes) else empty, combo_labels),
        },
        {"class": classify(scores).astype("float64"), "text": codes.astype("float64")},
    )
    return CommentTable(
        cols=cols,
        taxonomy=taxonomy,
        text=cols.values["text"].astype("int64"),
        texts=pa.array(distinct, type=pa.string()),
        folded=folded,
        combo_topics=combo_topics,
        concern_topics=c.Key(concern_combo, combo_labels),
    )


__all__ = ["LANGUAGES", "NO_TOPIC", "UNSCORED", "CommentTable", "comment_table"]
