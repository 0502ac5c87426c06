"""Community voice, topics: what comments talk about (the editable keyword taxonomy), how residents feel
about each topic (cpdash.metrics.sentiment by comment_topic), and the concerns raised on each
(cpdash.metrics.follow_through by comment_topic). A comment or a concern can carry several topics, or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpdash.metrics import follow_through, sentiment
from cpdash.metrics.comments import NO_TOPIC
from cpdash.metrics.gather import COMMENT_TOPIC, MONTH, Source
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import FLAGGED, HIDDEN, Policy
from cpdash.text.topics import Taxonomy, default_taxonomy, taxonomy_frame
from cpdash.views import voice

SHARE_COLUMNS = ["topic", "comments", "share", "net", "positive", "negative", "neutral", "n", "flagged"]
TREND_COLUMNS = ["month", "topic", "comments", "total", "share"]
CONCERN_COLUMNS = ["topic", "concerns", "share"]
KEYWORD_HELP = (
    "Case and accents are ignored; a keyword matches whole words, and one ending in `*` any word starting "
    "with it (`speed*` matches *speeding*). To change the list, download it, edit it in a spreadsheet and "
    "save it as `topics.csv` in the data folder: the dashboard uses it on its next load."
)


def taxonomy_of(src: Source) -> Taxonomy:
    """The topic taxonomy the source tags comments and concerns with (the built-in one when it has none)."""
    return getattr(src, "taxonomy", None) or default_taxonomy()


def topic_shares(src: Source, f: Filters, policy: Policy) -> pd.DataFrame:
    """Per topic: comments mentioning it, their share of all comments (%), and the net sentiment of the
    scored ones with its n; counts and figures the policy hides are NaN. Most mentioned first; the last
    row counts the comments that matched no topic."""
    table = sentiment.net_by(src, f, (COMMENT_TOPIC,))
    total = sentiment.net_sentiment(src, f).comments
    if total == 0:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    count = table["comments"].to_numpy(dtype="float64")
    count_hidden = policy.hidden(count)  # topics overlap: no set to add up, primary suppression
    n = table["n"].to_numpy(dtype="float64")
    status = np.array([policy.status(x) for x in n], dtype=object)
    shown = status if not sentiment.pending(src) else np.full(len(n), HIDDEN, dtype=object)  # not yet known
    comments = np.where(count_hidden, np.nan, count)
    out = pd.DataFrame(
        {
            "topic": table[COMMENT_TOPIC].astype("str").to_numpy(),
            "comments": comments,
            "share": comments / total * 100,
            **{
                c: voice.shown_values(table[c].to_numpy(dtype="float64"), shown)
                for c in ("net", "positive", "negative", "neutral")
            },
            "n": voice.shown_n(n, status),
            "flagged": status == FLAGGED,
        }
    )
    last = out["topic"] == NO_TOPIC
    ranked = out[~last].sort_values(
        ["comments", "topic"], ascending=[False, True], kind="stable", na_position="last"
    )
    return pd.concat([ranked, out[last]], ignore_index=True)[SHARE_COLUMNS]


def concern_counts(src: Source, f: Filters, topics: Sequence[str]) -> pd.DataFrame:
    """Concerns raised in the period and areas per topic: topic, concerns, share (% of concerns raised)."""
    if not src.has("concerns"):
        return pd.DataFrame(columns=CONCERN_COLUMNS)
    raised = follow_through.follow_through(src, f).raised
    if raised == 0:
        return pd.DataFrame(columns=CONCERN_COLUMNS)
    table = follow_through.follow_through_by(src, f, (COMMENT_TOPIC,)).set_index(COMMENT_TOPIC)["raised"]
    counts = table.reindex(list(topics), fill_value=0).astype("int64")
    out = pd.DataFrame({"topic": counts.index, "concerns": counts.to_numpy()})
    out["share"] = out["concerns"] / raised * 100
    last = out["topic"] == NO_TOPIC
    ranked = out[~last].sort_values(["concerns", "topic"], ascending=[False, True], kind="stable")
    return pd.concat([ranked, out[last]], ignore_index=True)[CONCERN_COLUMNS]


def topic_trend(src: Source, f: Filters, policy: Policy, topics: Sequence[str]) -> pd.DataFrame:
    """Share of each month's comments (%) mentioning each of `topics`: month, topic, comments, total,
    share; a month's point is a gap where the policy hides its count (or the month's)."""
    if not topics:
        return pd.DataFrame(columns=TREND_COLUMNS)
    months = sentiment.net_by(src, f, (MONTH,)).set_index(MONTH)["comments"]
    table = sentiment.net_by(src, f, (MONTH, COMMENT_TOPIC))
    table = table[table[COMMENT_TOPIC].isin(list(topics)).to_numpy(dtype=bool)]
    total = months.reindex(table[MONTH]).to_numpy(dtype="float64")
    count = table["comments"].to_numpy(dtype="float64")
    hidden = policy.hidden(count) | policy.hidden(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where((total > 0) & ~hidden, count / np.where(total > 0, total, 1) * 100, np.nan)
    out = pd.DataFrame(
        {
            "month": table[MONTH].to_numpy(),
            "topic": table[COMMENT_TOPIC].astype("str").to_numpy(),
            "comments": np.where(hidden, np.nan, count),
            "total": np.where(policy.hidden(total), np.nan, total),
            "share": share,
        }
    )
    order = {t: i for i, t in enumerate(topics)}
    out = out[total > 0].sort_values(
        ["topic", "month"], key=lambda s: s.map(order) if s.name == "topic" else s
    )
    return out[TREND_COLUMNS].reset_index(drop=True)


SENTIMENT_COLUMNS = ("Scored comments", "Net sentiment", "Positive (%)", "Negative (%)")


def topic_table(shares: pd.DataFrame, concerns: pd.DataFrame, scored: bool = True) -> pd.DataFrame:
    """Topics for the CSV: comments and their share, net sentiment (blank where not shown), concerns; without
    the SENTIMENT_COLUMNS while sentiment is still being computed (`scored` False), rather than blank."""
    aligned = concerns.set_index("topic").reindex(shares["topic"]) if len(concerns) else None
    table = pd.DataFrame(
        {
            "Topic": shares["topic"],
            "Comments": shares["comments"],
            "Share of comments (%)": shares["share"].round(1),
            "Scored comments": shares["n"],
            "Net sentiment": shares["net"].round(0),
            "Positive (%)": shares["positive"].round(0),
            "Negative (%)": shares["negative"].round(0),
            "Concerns raised": aligned["concerns"].to_numpy() if aligned is not None else np.nan,
        }
    )
    return table if scored else table.drop(columns=list(SENTIMENT_COLUMNS))


def sentiment_rows(shares: pd.DataFrame) -> pd.DataFrame:
    """The topics whose sentiment may be shown, most negative first, labelled with their n (and ⚠)."""
    rows = shares[shares["net"].notna()].sort_values("net", kind="stable")
    status = np.where(rows["flagged"].to_numpy(dtype=bool), FLAGGED, "")
    labels = [voice.n_label(t, n, s) for t, n, s in zip(rows["topic"], rows["n"], status, strict=True)]
    return rows.assign(label=labels).reset_index(drop=True)


@dataclass(frozen=True)
class TopicsTab:
    """The Topics tab: shares, sentiment and concerns per topic, the topics to follow, the taxonomy."""

    caption: str
    problems: tuple[str, ...]
    empty: str  # no comments: why ('' when there are)
    topics: list[str]  # the taxonomy's topics
    ranked: list[str]  # the most mentioned first
    shares: pd.DataFrame  # SHARE_COLUMNS
    sentiment: pd.DataFrame  # sentiment_rows
    sentiment_note: str
    concerns: pd.DataFrame  # CONCERN_COLUMNS
    table: pd.DataFrame
    taxonomy: pd.DataFrame  # topic, keywords_en, keywords_es (what topics.csv holds)
    keyword_help: str = KEYWORD_HELP


def topics_tab(src: Source, f: Filters, policy: Policy) -> TopicsTab:
    """Everything the Topics tab shows for the filters (the trend: topic_trend, for the topics chosen)."""
    taxonomy = taxonomy_of(src)
    caption = (
        f"Topics from the {taxonomy.source} ({len(taxonomy.topics)} topics, English and Spanish keywords). A "
        "comment can mention several topics, or none; Spanish comments are tagged with the Spanish keywords."
    )
    concerns = concern_counts(src, f, [*taxonomy.names, NO_TOPIC])
    empty = "" if src.has("comments") else voice.no_comments(src) + ", so comment topics cannot be shown."
    shares = topic_shares(src, f, policy) if not empty else pd.DataFrame(columns=SHARE_COLUMNS)
    rows = sentiment_rows(shares)
    hidden = int(shares["n"].isna().sum()) if policy.public else 0
    note = f"{hidden:,} topics with fewer than {policy.k} scored comments are not shown." if hidden else ""
    waiting = sentiment.pending(src) and not empty
    if waiting:
        note = (
            f"{sentiment.PENDING}: the net sentiment of each topic is shown when it is done (the CSV has it "
            "then too)."
        )
    ranked = [t for t in shares["topic"] if t in taxonomy.names]
    return TopicsTab(
        caption,
        taxonomy.problems,
        empty,
        taxonomy.names,
        ranked,
        shares,
        rows,
        note,
        concerns,
        topic_table(shares, concerns, scored=not waiting),
        taxonomy_frame(taxonomy),
    )
