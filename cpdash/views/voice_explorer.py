"""Community voice, the comment explorer: comments row by row, newest first, found by words, area, topic,
sentiment class and language, always with personal details redacted (cpdash.text.redact).

It reads the comment table the in-memory source keeps (cpdash.metrics.comments), or asks a database
source for one page of the matching comments (cpdash.metrics.sql_comments), so that a replica's memory
does not grow with them; the sentiment classes and languages are the ones every figure counts. In the
public view it lists comments only from the areas whose figures are shown (at least k responses in the
period, and not hidden to protect another area), and offers no row-level download.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cpdash.data.schema import SCORE_METRICS
from cpdash.metrics import columns as c
from cpdash.metrics import scores, sentiment
from cpdash.metrics.comments import LANGUAGES, NO_TOPIC, CommentTable, Topics
from cpdash.metrics.gather import AREA, LANGUAGE, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql_comments import Wanted
from cpdash.metrics.suppression import FLAGGED, SHOWN, Policy
from cpdash.text.redact import redact_series
from cpdash.text.topics import fold_text
from cpdash.views import voice

SHOWN_ROWS = 200  # comments the explorer shows
DOWNLOAD_ROWS = 100_000  # most comments one download holds
COLUMNS = ["Submitted", "Comment", "Area", "Topics", "Sentiment", "Language"]
REDACTION = (
    "E-mail addresses, phone numbers and street addresses are replaced by [email], [phone] and [address]."
)
NO_DOWNLOAD = "Row-level downloads of comments are not available in the public view."


def comment_table(src: Source) -> CommentTable | None:
    """The source's comments row by row (None when the source cannot list them)."""
    get = getattr(src, "comment_table", None)
    return get() if get is not None else None


def comment_topics(src: Source) -> Topics:
    """The topics of the source's comments (the source lists them with its comment table)."""
    return src.comment_topics()


def search_texts(table: CommentTable, query: str) -> np.ndarray | None:
    """Which distinct texts hold every word of `query` (case and accents ignored); None for no query.

    The longest word is looked for in every text, each next one only in the texts still matching."""
    words = sorted(set(fold_text(query).split()), key=len, reverse=True)
    if not words:
        return None
    candidates = np.arange(len(table.folded))
    texts = table.folded
    for word in words:
        found = pc.fill_null(pc.match_substring(texts, word), False)
        candidates = candidates[found.to_numpy(zero_copy_only=False)]
        if len(candidates) == 0:
            break
        texts = texts.filter(found)
    hits = np.zeros(len(table.folded), dtype=bool)
    hits[candidates] = True
    return hits


def listed_areas(src: Source, f: Filters, policy: Policy, labels: pd.Index) -> np.ndarray | None:
    """Public view: a lookup by area code + 1 (slot 0: no area) of the areas whose comments may be listed
    (listed_ids). None in the staff view (every area)."""
    ids = listed_ids(src, f, policy)
    if ids is None:
        return None
    lookup = np.zeros(len(labels) + 1, dtype=bool)
    lookup[1:] = labels.isin(ids)
    return lookup


def listed_ids(src: Source, f: Filters, policy: Policy) -> pd.Index | None:
    """Public view: the areas whose comments may be listed: at least k responses in the period (comments,
    or answers to a score), and net sentiment not hidden as a part of the whole. None in the staff view
    (every area, and comments with none)."""
    if not policy.public:
        return None
    net = sentiment.net_by(src, f, (AREA,))
    whole = sentiment.net_sentiment(src, f)
    shown = policy.status(whole.n) in (SHOWN, FLAGGED)
    status = voice.part_status(
        policy, net["n"].to_numpy(dtype="float64"), whole.n, shown, net[AREA].to_numpy(dtype=object)
    )
    responses = net.set_index(AREA)["comments"].astype("float64")
    for metric in SCORE_METRICS:
        if src.has(metric):
            answers = scores.scores_by(src, metric, f, (AREA,)).set_index(AREA)["n"]
            responses = np.maximum(responses, answers.reindex(responses.index, fill_value=0))
    ok = (responses.to_numpy() >= policy.k) & ~np.isin(status, voice.NOT_SHOWN)
    return responses.index[ok]


def select_rows(
    table: CommentTable, f: Filters, area: str | None = None, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Positions of the comments in the period and the sidebar's areas (and `area` when given), only from
    the `allowed` areas (a listed_areas lookup) when given."""
    if area is not None:
        if f.areas and area not in f.areas:
            return np.zeros(0, dtype="int64")
        f = f.with_areas((area,))
    rows = c.select(table.cols, f)
    if isinstance(rows, slice):  # the whole period: its positions, to narrow and count
        rows = np.arange(rows.start, rows.stop)
    if allowed is not None:
        rows = rows[allowed[table.cols.keys[AREA].codes[rows] + 1]]
    return rows


def explore(
    table: CommentTable,
    topic_index: Topics,
    rows: np.ndarray,
    names: dict[str, str],
    *,
    query: str = "",
    hits: np.ndarray | None = None,
    topic: str | None = None,
    sentiment_class: str | None = None,
    language: str | None = None,
    limit: int = SHOWN_ROWS,
) -> tuple[pd.DataFrame, int]:
    """The comments among `rows` that match, newest first, personal details redacted; and how many match.

    query: words every comment must hold (or `hits`, its search_texts already worked out); topic: a
    taxonomy topic or NO_TOPIC; sentiment_class: one of cpdash.metrics.sentiment.CLASS_NAMES; language:
    one of cpdash.metrics.comments.LANGUAGES."""
    mask = np.ones(len(rows), dtype=bool)
    combo = topic_index.comment_combo.codes[rows]
    combos = topic_index.combo_topics
    if topic is not None:
        topics = topic_index.taxonomy.names
        if topic == NO_TOPIC:
            mask &= ~combos.any(axis=1)[combo] if len(combos) else mask
        elif topic in topics:
            mask &= combos[:, topics.index(topic)][combo]
        else:
            mask[:] = False
    if sentiment_class is not None:
        mask &= table.cols.values["class"][rows] == sentiment.CLASS_NAMES.index(sentiment_class)
    if language is not None:
        mask &= table.cols.keys[LANGUAGE].codes[rows] == LANGUAGES.index(language)
    if hits is None:
        hits = search_texts(table, query)
    if hits is not None:
        mask &= hits[table.text[rows]]
    matched = rows[mask]
    return explorer_frame(table, topic_index, matched[::-1][:limit], names), len(matched)


def explorer_frame(
    table: CommentTable, topic_index: Topics, positions: np.ndarray, names: dict[str, str]
) -> pd.DataFrame:
    """The comments at `positions` for people: date, redacted text, area, topics, sentiment, language."""
    topics = topic_index.taxonomy.names
    combo_names = [
        ", ".join(t for t, on in zip(topics, row, strict=True) if on) for row in topic_index.combo_topics
    ]
    texts = pd.Series(table.texts.take(pa.array(table.text[positions])).to_pandas(), dtype="string")
    area_key = table.cols.keys[AREA]
    area_names = np.array([*(names.get(a, a) for a in area_key.labels), ""], dtype=object)  # -1: blank
    days = table.cols.day[positions].astype("datetime64[D]")
    classes = table.cols.values["class"][positions].astype("int64")
    return pd.DataFrame(
        {
            "Submitted": pd.to_datetime(days).date if len(days) else [],
            "Comment": redact_series(texts).to_numpy(dtype=object) if len(texts) else [],
            "Area": area_names[area_key.codes[positions]],
            "Topics": [combo_names[k] for k in topic_index.comment_combo.codes[positions]],
            "Sentiment": np.array(sentiment.CLASS_NAMES, dtype=object)[classes],
            "Language": np.array(LANGUAGES, dtype=object)[table.cols.keys[LANGUAGE].codes[positions]],
        },
        columns=COLUMNS,
    )


WAITING = "being computed"  # the Sentiment column while comments are still being scored


@dataclass(frozen=True)
class Explorer:
    """The comment explorer's answer: the comments shown, how many match, and what to say about them."""

    empty: str  # no comments at all: why ('' when there are)
    frame: pd.DataFrame
    matches: int
    caption: str
    public_note: str  # what the public view leaves out ('' in the staff view)
    download: bool  # a row-level download may be offered


@dataclass(frozen=True)
class Choices:
    """What the explorer's filters offer, or why there is nothing to explore (`empty`)."""

    empty: str
    topics: tuple[str, ...] = ()
    classes: tuple[str, ...] = sentiment.CLASS_NAMES
    languages: tuple[str, ...] = LANGUAGES


def in_database(src: Source) -> bool:
    """True when the source lists its comments a page at a time from its database."""
    lists = getattr(src, "lists_comments", None)
    return lists is not None and lists()


def choices(src: Source) -> Choices:
    """The explorer's topics (the taxonomy's and 'no topic matched'), classes and languages."""
    if in_database(src) and src.has("comments"):
        return Choices("", (*src.taxonomy.names, NO_TOPIC))
    table = comment_table(src)
    if table is None or len(table) == 0:
        return Choices(voice.no_comments(src) + ", so there are no comments to explore.")
    classes = () if sentiment.pending(src) else sentiment.CLASS_NAMES  # no class to choose until scored
    return Choices("", (*comment_topics(src).taxonomy.names, NO_TOPIC), classes)


def wanted(
    allowed: pd.Index | None,
    query: str,
    topic: str | None,
    sentiment_class: str | None,
    language: str | None,
) -> Wanted:
    """The explorer's choices as a database source's query takes them."""
    return Wanted(
        areas=tuple(allowed) if allowed is not None else None,
        topic=None if topic == NO_TOPIC else topic,  # a topic the taxonomy lacks: no comment holds it
        no_topic=topic == NO_TOPIC,
        class_code=sentiment.CLASS_NAMES.index(sentiment_class) if sentiment_class is not None else None,
        language_code=LANGUAGES.index(language) if language is not None else None,
        words=tuple(sorted(set(fold_text(query).split()), key=len, reverse=True)),
    )


def database_page(
    src: Source, f: Filters, want: Wanted, names: dict[str, str], limit: int, offset: int = 0
) -> pd.DataFrame:
    """One page of a database source's matching comments, newest first, for people (as explorer_frame)."""
    rows = src.comment_page(f, want, limit, offset)
    days = pd.to_datetime(rows["day"]) if len(rows) else pd.Series([], dtype="datetime64[ns]")
    areas = [names.get(a, a) if isinstance(a, str) else "" for a in rows[AREA]]
    return pd.DataFrame(
        {
            "Submitted": days.dt.date.to_numpy() if len(rows) else [],
            "Comment": redact_series(rows["comment"].astype("string")).to_numpy(dtype=object)
            if len(rows)
            else [],
            "Area": areas,
            "Topics": [", ".join(json.loads(t)) for t in rows["topics"]],
            "Sentiment": [sentiment.CLASS_NAMES[int(k)] for k in rows["class"]],
            "Language": [LANGUAGES[int(k)] for k in rows["language"]],
        },
        columns=COLUMNS,
    )


def explorer(
    src: Source,
    f: Filters,
    policy: Policy,
    names: dict[str, str],
    *,
    area: str | None = None,
    query: str = "",
    hits: np.ndarray | None = None,
    topic: str | None = None,
    sentiment_class: str | None = None,
    language: str | None = None,
    limit: int = SHOWN_ROWS,
) -> Explorer:
    """The comments that match the explorer's filters (words: `query`, or its `hits` in memory), through
    the public view's rule."""
    empty = choices(src).empty
    if empty:
        return Explorer(empty, pd.DataFrame(columns=COLUMNS), 0, "", "", False)
    waiting = sentiment.pending(src)
    sentiment_class = None if waiting else sentiment_class
    if in_database(src):
        want = wanted(listed_ids(src, f, policy), query, topic, sentiment_class, language)
        outside = area is not None and bool(f.areas) and area not in f.areas  # an area the sidebar left out
        f = f.with_areas((area,)) if area is not None else f
        matches = 0 if outside else src.comment_matches(f, want)
        frame = database_page(src, f, want, names, limit) if matches else pd.DataFrame(columns=COLUMNS)
    else:
        table = comment_table(src)
        allowed = listed_areas(src, f, policy, table.cols.keys[AREA].labels)
        rows = select_rows(table, f, area, allowed)
        frame, matches = explore(
            table,
            comment_topics(src),
            rows,
            names,
            query=query if hits is None else "",
            hits=hits,
            topic=topic,
            sentiment_class=sentiment_class,
            language=language,
            limit=limit,
        )
    shown = f"; the newest {len(frame):,} are shown" if matches > len(frame) else ""
    caption = f"{matches:,} comments match, newest first{shown}. {REDACTION}"
    if waiting:
        frame = frame.assign(Sentiment=WAITING)
        caption += f" {sentiment.PENDING}: the Sentiment column and filter fill in when it is done."
    note = ""
    if policy.public:
        note = (
            f"In the public view comments are listed only from areas with at least {policy.k} responses in the "
            f"period whose figures are shown. {NO_DOWNLOAD}"
        )
    return Explorer("", frame, matches, caption, note, not policy.public and matches > 0)


def download_label(matches: int) -> str:
    """The download button's label."""
    cut = f", the newest {DOWNLOAD_ROWS:,}" if matches > DOWNLOAD_ROWS else ""
    return f"Download the matching comments (CSV, redacted{cut})"
