"""Comments as day-sorted columns (area, program, language, sentiment class), and their topics.

Built once per data set for the in-memory source; the topics (a taxonomy's keywords matched in each
distinct text in each language it is written in, by that language's keywords, and in each concern) only
when a figure asks for them: a comment's topics depend on its own text and language only, so a database
can keep them per comment (cpdash.metrics.sql_facts). A comment counts in every topic it mentions. The
distinct texts are kept once each, as given and folded for search (the comment explorer reads them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.metrics import columns as c
from cpdash.metrics import totals
from cpdash.metrics.gather import AREA, COMMENT_TOPIC, LANGUAGE, PROGRAM, Groups
from cpdash.metrics.periods import Filters
from cpdash.metrics.sentiment import CLASSES, classify
from cpdash.text.sentiment import ENGLISH, SPANISH, detect_language, language_tags
from cpdash.text.topics import Taxonomy, combinations, fold, tag, tag_concerns

LANGUAGES = ("English", "Spanish", "other")
NO_TOPIC = "no topic matched"
COMBO = "_combo"  # the grouping key behind comment_topic: a row's combination of topics
PROVISIONAL = 0.0  # the score a comment waiting for its own counts with (every sentiment figure waits too)
COLUMNS = ("comment", "submitted", AREA, "event_id", "language", SENTIMENT)  # what the table reads
TAGS = np.array([ENGLISH, SPANISH, "other"], dtype=object)  # the language tag of each LANGUAGES code


@dataclass(frozen=True)
class CommentTable:
    """Every non-blank comment, sorted by day."""

    cols: c.Columns  # keys: area_id, program, language; values: sentiment class, text code
    text: np.ndarray  # per comment: code into texts
    texts: pa.Array  # the distinct comments as given
    folded: pa.Array  # ... lower-cased, without accents, for search
    running: totals.Counts | None = None  # comments and classes by day and area, for the common questions

    def __len__(self) -> int:
        """Number of comments."""
        return len(self.cols)

    def groups(self, f: Filters, by: tuple[str, ...], topics: Topics | None = None) -> Groups:
        """Comments and their classes per group (with `topics`, a comment counts in each it mentions)."""
        if self.running is not None and totals.fits(f, by):
            return totals.counts(self.running, self.cols.keys[AREA].labels, f, by)
        rows = c.select(self.cols, f)
        names = tuple(COMBO if b == COMMENT_TOPIC else b for b in by)
        extra = {COMBO: topics.comment_combo} if topics is not None and COMBO in names else None
        group, keys, labels = c.grouping(self.cols, rows, names, f, extra)
        size = len(keys)
        label = self.cols.values["class"][rows]
        stats = {"comments": c.count(group, size)}
        for code, name in enumerate(CLASSES):
            stats[name] = c.count(group, size, (label == code).astype("float64"))
        if topics is not None and COMBO in names:
            keys, stats = c.spread(stats, labels, names, COMBO, topics.membership(), topics.labels)
            keys = keys.rename(columns={COMBO: COMMENT_TOPIC})
        return Groups(keys, stats)


@dataclass(frozen=True)
class Topics:
    """Each comment's and each concern's combination of a taxonomy's topics."""

    taxonomy: Taxonomy
    comment_combo: c.Key  # per comment (in the table's order)
    concern_combo: c.Key  # per concern (in the order the source sorts concerns)
    combo_topics: np.ndarray  # combos x topics: the topics of each combination

    @property
    def labels(self) -> pd.Index:
        """The taxonomy's topics, then the rows that matched none."""
        return pd.Index([*self.taxonomy.names, NO_TOPIC], dtype="str", name=COMMENT_TOPIC)

    def membership(self) -> np.ndarray:
        """combos x (topics + 1): which topics each combination holds (the last: none)."""
        return np.column_stack([self.combo_topics, ~self.combo_topics.any(axis=1)])


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


def comment_table(ds: Dataset, areas: pd.Index, programs: pd.Index) -> CommentTable:
    """The comments of a loaded data set (blank ones left out), sorted by day."""
    responses = ds.responses
    empty = np.zeros(0, "int64")
    rows = pd.DataFrame({"comment": pd.Series([], dtype="string")})
    if responses is not None and len(responses) and {"comment", "submitted"} <= set(responses.columns):
        rows = responses[[col for col in COLUMNS if col in responses.columns]]  # fewer columns to copy
        text = rows["comment"].astype("string").str.strip()
        kept = np.array(text.notna() & (text != ""), dtype=bool)
        rows = rows[kept]
        if ds.scoring is not None:  # still being scored: the rows to be scored count as scored, as neutral
            rows = rows.assign(**{SENTIMENT: np.where(ds.scoring.scorable[kept], PROVISIONAL, np.nan)})
    text = rows["comment"].astype("string").str.strip()
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    codes = np.asarray(codes, dtype="int64")
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string[pyarrow]")
    language = _languages(rows["language"] if "language" in rows.columns else None, codes, distinct)
    scores = (
        pd.to_numeric(rows[SENTIMENT], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if SENTIMENT in rows.columns
        else np.full(len(rows), np.nan)
    )
    program = np.full(len(rows), -1, dtype="int64")
    if "event_id" in rows.columns and ds.events is not None and PROGRAM in ds.events.columns:
        lookup = ds.events.drop_duplicates("event_id").set_index("event_id")[PROGRAM]
        program = c.factor(rows["event_id"].map(lookup), programs).codes
    day = c.days_of(rows["submitted"]) if len(rows) else empty
    area = c.factor(rows[AREA], areas).codes if AREA in rows.columns else np.full(len(rows), -1, "int64")
    cols = c.columns(
        day,
        {
            AREA: c.Key(area, areas),
            PROGRAM: c.Key(program, programs),
            LANGUAGE: c.Key(language, pd.Index(LANGUAGES, name=LANGUAGE)),
        },
        {"class": classify(scores).astype("float64"), "text": codes.astype("float64")},
    )
    label = cols.values["class"]
    classes = {"comments": np.ones(len(label))} | {
        n: (label == k).astype("float64") for k, n in enumerate(CLASSES)
    }
    return CommentTable(
        running=totals.build_counts(cols, classes),
        cols=cols,
        text=cols.values["text"].astype("int64"),
        texts=pa.array(distinct, type=pa.string()),
        folded=fold(pa.array(distinct, type=pa.string())),
    )


def topics(table: CommentTable, ds: Dataset, taxonomy: Taxonomy) -> Topics:
    """The topics of every comment (its text, in its own language) and of every concern."""
    pair = table.text * len(LANGUAGES) + table.cols.keys[LANGUAGE].codes
    unique, per_pair = np.unique(pair, return_inverse=True)
    texts = table.folded.take(pa.array(unique // len(LANGUAGES)))
    pair_combo, combos = combinations(tag(texts, taxonomy, TAGS[unique % len(LANGUAGES)], folded=True))
    concern_matrix = np.zeros((0, len(taxonomy.topics)), dtype=bool)
    concerns = ds.concerns
    if concerns is not None and len(concerns) and "raised" in concerns.columns:
        concern_matrix = tag_concerns(concerns.iloc[c.sort_by_day(c.days_of(concerns["raised"]))], taxonomy)
    codes, unique_combos = combinations(np.vstack([combos, concern_matrix]))
    codes = codes.astype("int64")
    labels = pd.RangeIndex(len(unique_combos))
    remap = codes[: len(combos)]
    per_comment = remap[pair_combo[per_pair.reshape(-1)]] if len(table.text) else np.zeros(0, "int64")
    return Topics(taxonomy, c.Key(per_comment, labels), c.Key(codes[len(combos) :], labels), unique_combos)


def language_codes(tags: pd.Series | None, texts: pd.Series) -> np.ndarray:
    """The LANGUAGES code of each comment of `texts` (non-blank): its tag when given, else detected."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string[pyarrow]")
    return _languages(tags, np.asarray(codes, dtype="int64"), distinct)


def topic_matrix(texts: pd.Series, language: np.ndarray, taxonomy: Taxonomy) -> np.ndarray:
    """Which topics each comment mentions (comments x topics), by the keywords of its language code."""
    return tag(texts.astype("string"), taxonomy, TAGS[np.asarray(language, dtype="int64")])
