"""Community voice, comment sentiment: net sentiment (cpdash.metrics.sentiment) over the period, by month,
by area and by program, each with the n of scored comments behind it and through the small-numbers policy
(months, areas and programs are parts of the period's whole: secondary suppression in the public view)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cpdash.metrics import sentiment
from cpdash.metrics.comments import LANGUAGES
from cpdash.metrics.gather import AREA, LANGUAGE, MONTH, PROGRAM, Source
from cpdash.metrics.periods import PREVIOUS, Filters
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN, SHOWN, Policy
from cpdash.views import format as fmt
from cpdash.views import voice
from cpdash.views.figures import Card, comparable, sentiment_card

COLUMNS = ["key", "label", "net", "positive", "negative", "neutral", "n", "comments", "status", "flagged"]
SHARES = ("net", "positive", "negative", "neutral")
POS, NEG = f"{sentiment.POSITIVE:g}", f"−{abs(sentiment.NEGATIVE):g}"  # the class thresholds, as read
NO_PROGRAM = (
    "Net sentiment by program needs comments given at an event (their `event_id`); none of these comments "
    "names an event with a program."
)


@dataclass(frozen=True)
class Languages:
    """Comments in scope, and how many of them in English (scored), Spanish and other languages."""

    comments: int
    english: int
    spanish: int
    other: int
    scored: int


def languages(src: Source, f: Filters) -> Languages:
    """Comment counts by language over the filters."""
    table = sentiment.net_by(src, f, (LANGUAGE,)).set_index(LANGUAGE)
    count = {name: int(table["comments"].get(name, 0)) for name in LANGUAGES}
    return Languages(
        sum(count.values()), count["English"], count["Spanish"], count["other"], int(table["n"].sum())
    )


def language_caption(lang: Languages, counts: bool = True) -> str:
    """How comments are scored, and which are not, in words (without the counts when they would give
    away the n of a net sentiment the policy hides)."""
    rule = f"(compound ≥ {POS} positive, ≤ {NEG} negative, else neutral)"
    if not counts:
        return (
            f"Comments in English are scored with VADER {rule}; comments in Spanish or other languages are "
            "counted, tagged by topic and shown in the explorer, but not scored."
        )
    other = f" and {lang.other:,} in other languages" if lang.other else ""
    return (
        f"{lang.comments:,} comments in the period: {lang.english:,} in English are scored with VADER {rule}. "
        f"{lang.spanish:,} in Spanish{other} are counted, tagged by topic (with Spanish keywords) and shown in "
        "the explorer, but not scored: VADER reads English only, so they are left out of net sentiment."
    )


def net_table(
    src: Source, f: Filters, policy: Policy, by: str, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """Net sentiment per group of `by` (month, area_id or program) with comments: key, label, net,
    positive, negative, neutral (in %), n (scored), comments, status, flagged. Shares and n are NaN where
    the policy hides them; the groups are parts of the period's whole (secondary suppression)."""
    table = sentiment.net_by(src, f, (by,))
    table = table[(table["comments"] > 0).to_numpy()].reset_index(drop=True)
    whole = sentiment.net_sentiment(src, f)
    shown = policy.status(whole.n) in (SHOWN, FLAGGED)
    n = table["n"].to_numpy(dtype="float64")
    status = voice.part_status(policy, n, whole.n, shown, table[by].astype("string").to_numpy(dtype=object))
    keys = table[by]
    if by == MONTH:
        label = [f"{m:%b %Y}" for m in keys]
    else:
        label = [(labels or {}).get(str(k), str(k)) for k in keys]
    out = pd.DataFrame({"key": keys.to_numpy(), "label": label})
    for column in SHARES:
        out[column] = voice.shown_values(table[column].to_numpy(dtype="float64"), status)
    out["n"] = voice.shown_n(table["n"].to_numpy(dtype="float64"), status)
    out["comments"] = table["comments"].to_numpy(dtype="int64")
    out["status"] = status
    out["flagged"] = status == FLAGGED
    return out[COLUMNS]


def _cards(src: Source, f: Filters, policy: Policy, compare: str, lang: Languages) -> list[Card]:
    """Net sentiment (the Overview's card), the shares positive and negative, and comments not scored."""
    before = f.compared(compare)
    extent = src.extent()
    net = sentiment_card(src, f, before, policy, comparable(before, extent[0] if extent else None))
    net = replace(net, label=net.label.replace("Sentiment", "Net sentiment", 1))
    now = sentiment.net_sentiment(src, f)
    shown = policy.status(now.n) not in (EMPTY, HIDDEN)
    unscored = fmt.number(lang.spanish + lang.other) if policy.status(now.n) != HIDDEN else "—"
    return [
        net,
        Card("positive", "Positive", fmt.percent(now.positive) if shown else "—", help=f"Compound ≥ {POS}."),
        Card("negative", "Negative", fmt.percent(now.negative) if shown else "—", help=f"Compound ≤ {NEG}."),
        Card(
            "unscored",
            "Not in English",
            unscored,  # with the comments' total it would give a hidden net sentiment's n away
            help="Comments in Spanish or another language: counted, tagged by topic and shown in the explorer, "
            "but not scored.",
        ),
    ]


def sentiment_table(parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Net sentiment by month, area and program in one table for the CSV (blank where not shown)."""
    frames = [
        pd.DataFrame(
            {
                "By": kind,
                "Group": [k.strftime("%Y-%m") for k in table["key"]] if kind == "month" else table["label"],
                "Net sentiment": table["net"].round(0).to_numpy(),
                "Positive (%)": table["positive"].round(0).to_numpy(),
                "Negative (%)": table["negative"].round(0).to_numpy(),
                "Neutral (%)": table["neutral"].round(0).to_numpy(),
                "Scored comments": table["n"].to_numpy(),
                "Note": ["treat with care" if f else "" for f in table["flagged"]],
            }
        )
        for kind, table in parts
        if len(table)
    ]
    if not frames:
        return pd.DataFrame(columns=["By", "Group", "Net sentiment", "Scored comments"])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class SentimentTab:
    """The Comment sentiment tab: cards, net sentiment by month, area and program, and the CSV."""

    empty: str
    caption: str
    cards: list[Card]
    notes: list[str]
    monthly: pd.DataFrame  # COLUMNS, one row per month with comments
    monthly_note: str
    by_area: pd.DataFrame  # COLUMNS, the areas that may be shown (the two ends past 40)
    area_note: str
    by_program: pd.DataFrame  # COLUMNS, the programs that may be shown
    program_note: str
    table: pd.DataFrame


def sentiment_tab(
    src: Source, f: Filters, policy: Policy, names: dict[str, str], compare: str = PREVIOUS
) -> SentimentTab:
    """Everything the Comment sentiment tab shows for the filters."""
    if not src.has("comments"):
        empty = voice.no_comments(src) + ", so comment sentiment cannot be shown."
        return SentimentTab(empty, "", [], [], *[pd.DataFrame(), ""] * 3, pd.DataFrame())
    if sentiment.pending(src):
        waiting = f"{sentiment.PENDING}: net sentiment by month, area and program (and its CSV) show here when it is done."
        return SentimentTab(waiting, "", [], [], *[pd.DataFrame(), ""] * 3, pd.DataFrame())
    lang = languages(src, f)
    cards = _cards(src, f, policy, compare, lang)
    monthly = net_table(src, f, policy, MONTH)
    areas = net_table(src, f, policy, AREA, names)
    shown_areas, cut = voice.extremes(areas[areas["net"].notna()], "net")
    area_note = " ".join(
        x
        for x in (voice.hidden_note(areas["status"].to_numpy(), policy, "areas", "scored comments"), cut)
        if x
    )
    programs = net_table(src, f, policy, PROGRAM)
    program_note = voice.hidden_note(programs["status"].to_numpy(), policy, "programs", "scored comments")
    if not (programs["comments"] > 0).any():
        program_note = NO_PROGRAM
    shown_programs = programs[programs["net"].notna()].sort_values(["net", "label"], kind="stable")
    if len(shown_programs) == 0 and not program_note:
        program_note = "No program has net sentiment to show."
    hidden = policy.status(sentiment.net_sentiment(src, f).n) == HIDDEN
    return SentimentTab(
        "",
        language_caption(lang, counts=not hidden),
        cards,
        [c.note for c in cards if c.note],
        monthly,
        voice.hidden_note(monthly["status"].to_numpy(), policy, "months", "scored comments"),
        shown_areas,
        area_note,
        shown_programs.reset_index(drop=True),
        program_note,
        sentiment_table([("month", monthly), ("area", areas), ("program", programs)]),
    )
