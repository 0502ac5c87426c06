"""The town hall's first three sections: our engagement in your area, what you told us, how you feel.

Every figure comes from cpdash.metrics (engagement, follow-through by topic, comment counts) and every score
is cpdash.views.figures.score_figure through the town hall's policy, so that the slide, the Overview and
Community voice show the same value and n (and, for published scores, the same published period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.charts import town_hall as th_charts
from cpdash.data.approvals import quote_key
from cpdash.data.dataset import SENTIMENT
from cpdash.data.filters import select
from cpdash.metrics import engagement, follow_through, scores, sentiment
from cpdash.metrics.change import change
from cpdash.metrics.gather import PROGRAM, TOPIC
from cpdash.metrics.suppression import EMPTY, FLAGGED, HIDDEN
from cpdash.text.redact import redact
from cpdash.views import format as fmt
from cpdash.views.figures import (
    PUBLISHED,
    RESPONSES,
    SCORE_NOTE,
    ScoreFigure,
    count_card,
    score_figure,
    score_value_text,
)
from cpdash.views.town_hall_model import (
    ENGAGEMENT,
    FEEL,
    THIS_PERIOD,
    TITLES,
    VOICE,
    Fact,
    Scope,
    Section,
    compared_count,
    cut,
    plural,
    then_detail,
    when,
)

SCORE_METRICS = ("trust", "safety")
TOP_TOPICS = 5
QUOTES = 3
QUOTE_MIN_CHARS = 25  # shorter comments say too little to quote
QUOTE_MAX_CHARS = 200  # longer ones are cut at a word, with an ellipsis
QUOTE_ORDER = (0, 2, 1)  # the latest negative, positive and neutral comment (cpdash.metrics.sentiment codes)
SCORE_COLUMNS = ["metric", "period", "score", "low", "high", "n", "status", "published_for"]

# --- our engagement --------------------------------------------------------------------------------


def engagement_section(s: Scope) -> Section:
    """Events and attendance in the area against the compared period, and events by program."""
    now = engagement.engagement(s.src, s.f)
    then = engagement.engagement(s.src, s.before.filters)
    by_program = engagement.engagement_by(s.src, s.f, (PROGRAM,))
    lead = f"We held {plural(now.events, 'event')} in {s.area_name} {when(s.f)}"
    lead += compared_count(now.events, then.events, s) + "."
    if now.events == 0:
        lead = f"We held no event in {s.area_name} {when(s.f)}."
    ok = s.before.ok
    events = count_card(
        "events", "Events", now.events, then.events if ok else None, "Events held in the period."
    )
    facts = [Fact(events.label, events.value, then_detail(then.events, s))]
    attendance = count_card(
        "attendance", "People who came", now.attendance, then.attendance if ok else None, "People counted."
    )
    if now.events_with_attendance == 0:
        facts.append(Fact(attendance.label, "—", "Attendance was not counted"))
    else:
        details = [then_detail(then.attendance, s)] if then.events_with_attendance else []
        if now.events_without_attendance:
            details.append(f"{plural(now.events_without_attendance, 'event')} not counted")
        facts.append(Fact(attendance.label, attendance.value, "; ".join(d for d in details if d) or None))
    if not fmt.is_missing(now.youth_share):
        facts.append(Fact("Young people", fmt.percent(now.youth_share * 100), "of those who came"))
    if not fmt.is_missing(now.officer_hours) and now.officer_hours > 0:
        facts.append(Fact("Officer hours", fmt.number(now.officer_hours), "given to these events"))
    held = by_program[by_program["events"] > 0].sort_values("events", ascending=False, kind="stable")
    table = pd.DataFrame(
        {"Program": held[PROGRAM], "Events": held["events"], "People who came": held["attendance"]}
    ).reset_index(drop=True)
    return Section(  # no event: the lead says so, rather than an empty chart and table under a heading
        ENGAGEMENT,
        TITLES[ENGAGEMENT],
        lead,
        facts=tuple(facts),
        charts=(("events-by-program", th_charts.engagement_chart(held)),) if len(held) else (),
        tables=(("events-by-program", table),) if len(held) else (),
    )


# --- what you told us ------------------------------------------------------------------------------


def topic_counts(s: Scope) -> pd.DataFrame:
    """Concerns raised in the period per topic (cpdash.metrics.follow_through), most raised first, ties by
    name: topic, concerns, share."""
    table = follow_through.follow_through_by(s.src, s.f, (TOPIC,))
    table = table[table["raised"] > 0]
    total = int(table["raised"].sum())
    out = pd.DataFrame(
        {
            "topic": table[TOPIC].astype("str"),
            "concerns": table["raised"].astype("int64"),
            "share": table["raised"] / total if total else np.nan,
        }
    )
    return out.sort_values(["concerns", "topic"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def pick_quotes(responses: pd.DataFrame | None, limit: int = QUOTES) -> list[str]:
    """A few comments, chosen by rule and not by hand: the latest negative, positive and neutral one (classes
    of cpdash.metrics.sentiment.classify; the latest ones when there is no sentiment), at least
    QUOTE_MIN_CHARS long, redacted and cut."""
    if responses is None or "comment" not in responses.columns or len(responses) == 0:
        return []
    text = responses["comment"].astype("string").str.strip()
    rows = responses[(text.str.len() >= QUOTE_MIN_CHARS).fillna(False).to_numpy(dtype=bool)]
    if len(rows) == 0:
        return []
    if "submitted" in rows.columns:
        rows = rows.sort_values("submitted", ascending=False, kind="stable")
    chosen: list[int] = []
    if SENTIMENT in rows.columns:
        classes = sentiment.classify(
            pd.to_numeric(rows[SENTIMENT], errors="coerce").to_numpy(dtype="float64")
        )
        for code in QUOTE_ORDER:
            hits = np.flatnonzero(classes == code)
            if len(hits):
                chosen.append(int(hits[0]))
    chosen += [p for p in range(len(rows)) if p not in chosen][: max(limit - len(chosen), 0)]
    quotes: list[str] = []
    for position in sorted(chosen[:limit]):
        quote = cut(redact(rows["comment"].iloc[position]), QUOTE_MAX_CHARS)
        if quote.lower() not in {q.lower() for q in quotes}:
            quotes.append(quote)
    return quotes


def _quotes(s: Scope, comments: int) -> tuple[list[str], str | None]:
    """The quotes of the area's comments in the period, and what to say about them."""
    if not s.src.has("responses"):
        return [], "No survey responses in the data: there are no comments to quote."
    if comments == 0:
        return [], "No written comments from this area in the period."
    if sentiment.pending(s.src):
        return (
            [],
            f"{sentiment.PENDING}: the quotes (the latest negative, positive and neutral comment) follow.",
        )
    if s.policy.status(comments) == HIDDEN:
        return [], (
            f"Fewer than {s.policy.k} comments from this area in the period: none is quoted, "
            "so that nobody can be recognised by what they wrote."
        )
    # a database source keeps the responses: it reads only the latest comments of each class, in SQL
    loaded = s.ds.responses is not None
    rows = select(s.ds.responses, s.f, "submitted") if loaded else s.src.comment_rows(s.f)
    if s.approved is not None:
        rows = approved_rows(rows, s.approved)
        if len(rows) == 0:
            return [], "No comment from this area in the period is approved for publication: none is quoted."
    quotes = pick_quotes(rows[[c for c in ("submitted", "comment", SENTIMENT) if c in rows.columns]])
    note = "Quotes are chosen by rule (the latest negative, positive and neutral comment), with personal details removed."
    if s.approved is not None:
        note = note.replace("comment)", "comment approved for publication)")
    return quotes, note if quotes else None


def approved_rows(rows: pd.DataFrame, approved: frozenset[str]) -> pd.DataFrame:
    """The responses whose comment staff approved as a quote (cpdash.data.approvals.quote_key)."""
    if not approved or "response_id" not in rows.columns or "comment" not in rows.columns:
        return rows.iloc[0:0]
    keys = [quote_key(r, c) for r, c in zip(rows["response_id"], rows["comment"], strict=True)]
    return rows[np.isin(np.array(keys, dtype=object), list(approved))]


def voice_section(s: Scope) -> Section:
    """The topics most raised in the period, the number of comments, and a few redacted comments."""
    has_concerns = s.src.has("concerns")
    topics = topic_counts(s) if has_concerns else topic_counts_empty()
    raised = int(topics["concerns"].sum())
    comments = sentiment.net_sentiment(s.src, s.f).comments
    notes, facts = [], []
    if not has_concerns:
        notes.append("No concerns table in the data: the topics residents raised cannot be shown.")
        lead = f"What residents of {s.area_name} told us {when(s.f)}."
    elif raised == 0:
        lead = f"No concern was recorded from {s.area_name} {when(s.f)}."
    else:
        top = topics.loc[topics["concerns"] == topics["concerns"].max(), "topic"].tolist()
        most = " and ".join([", ".join(top[:-1]), top[-1]]) if len(top) > 1 else top[0]
        lead = f"You raised {plural(raised, 'concern')} with us; the most raised: {most}."
    if has_concerns:
        facts.append(Fact("Concerns raised", fmt.number(raised), "at meetings, by phone, online, in surveys"))
    if s.src.has("responses"):
        facts.append(Fact("Comments", fmt.number(comments), "written on surveys and comment cards"))
    quotes, note = _quotes(s, comments)
    notes += [note] if note else []
    shown = topics.head(TOP_TOPICS)
    table = pd.DataFrame(
        {"Topic": shown["topic"], "Concerns": shown["concerns"], "Share (%)": (shown["share"] * 100).round(0)}
    )
    return Section(
        VOICE,
        TITLES[VOICE],
        lead,
        facts=tuple(facts),
        charts=(("topics", th_charts.topics_chart(shown)),) if has_concerns else (),
        tables=(("top-topics", table),) if has_concerns else (),
        quotes=tuple(quotes),
        notes=tuple(notes),
    )


def topic_counts_empty() -> pd.DataFrame:
    """No topics: topic, concerns, share."""
    return pd.DataFrame({"topic": pd.Series(dtype="str"), "concerns": pd.Series(dtype="int64"), "share": []})


# --- how you feel ----------------------------------------------------------------------------------


def score_rows(s: Scope, now: list[ScoreFigure], then: list[ScoreFigure]) -> pd.DataFrame:
    """The scores of this period and the compared one as shown (value and n NaN when they may not be):
    metric (a label), period, score, low, high, n, status, published_for."""
    rows = [
        {
            "metric": scores.LABELS.get(fig.metric, fig.metric),
            "period": period,
            "score": fig.value,
            "low": fig.low,
            "high": fig.high,
            "n": fig.n,
            "status": fig.status,
            "published_for": fig.period,
        }
        for period, figures in ((THIS_PERIOD, now), (s.compared_label, then))
        for fig in figures
    ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _score_detail(s: Scope, fig: ScoreFigure, then: ScoreFigure) -> str:
    """What a score's fact says under it: why it is not shown, or its interval or period and its change."""
    if fig.status == EMPTY:
        return (
            "No published figure ends in this period"
            if fig.source == PUBLISHED
            else "No answers in the period"
        )
    if fig.status == HIDDEN:
        reason = s.policy.reason(fig.raw_n, "answers")
        return reason[:1].upper() + reason[1:]
    parts = ["out of 100"]
    if not fmt.is_missing(fig.low):
        parts.append(f"95 % interval {fmt.number(fig.low)}–{fmt.number(fig.high)}")
    if fig.source == PUBLISHED:
        parts.append(f"published for {fig.period} ({fig.cadence})")
    both = fig.raw_n >= s.policy.k and then.raw_n >= s.policy.k  # the rule of views.figures.score_card
    if s.before.ok and fig.source == RESPONSES and both:
        delta = fmt.signed(change(fig.value, then.value).delta, 0, "points")
        if delta == fmt.NO_CHANGE:
            parts.append(f"as in {s.before.short}")
        elif delta:
            parts.append(f"{'up' if delta.startswith('+') else 'down'} {delta[1:]} on {s.before.short}")
    if fig.status == FLAGGED:
        parts.append(f"fewer than {s.policy.k} answers, treat with care")
    return "; ".join(parts)


def score_fact(s: Scope, fig: ScoreFigure, then: ScoreFigure) -> Fact:
    """A score as a fact: its label with n (as the policy lets it be shown), value and what it rests on."""
    n_text = s.policy.n_text(fig.raw_n) if fig.status != EMPTY else ""
    label = scores.LABELS.get(fig.metric, fig.metric)
    return Fact(
        f"{label} ({n_text})" if n_text else label,
        score_value_text(fig, s.policy),
        _score_detail(s, fig, then),
    )


def feel_section(s: Scope) -> Section:
    """Trust and safety for the area, each with what it rests on, against the compared period."""
    now = [score_figure(s.src, metric, s.f, s.policy) for metric in SCORE_METRICS]
    now = [fig for fig in now if fig.source]
    if not now:
        return Section(
            FEEL,
            TITLES[FEEL],
            f"We have no survey answers from {s.area_name} {when(s.f)}.",
            notes=("No survey responses or published scores with trust or safety in the data.",),
        )
    then = [score_figure(s.src, fig.metric, s.before.filters, s.policy, fig.source) for fig in now]
    published = now[0].source == PUBLISHED
    shown = [fig for fig in now if fig.status not in (EMPTY, HIDDEN)]
    parts = " and ".join(f"{scores.LABELS[fig.metric].lower()} {fmt.number(fig.value)}" for fig in shown)
    if published and shown:
        lead = f"Published survey figures for {s.area_name}, on a scale of 0 to 100: {parts}."
    elif published:
        lead = f"No published survey figure for {s.area_name} ends {when(s.f)}."
    elif shown:
        lead = f"On a scale of 0 to 100, you rate {parts}."
    else:
        lead = f"Too few of you answered our survey in {s.area_name} {when(s.f)} to show a score."
    rule = f"a score resting on fewer than {s.policy.k} answers is " + (
        "not shown." if s.policy.public else "flagged ⚠."
    )
    note = (
        f"From the published area scores, used as published ({SCORE_NOTE}); the figure for a period is the "
        "latest published one ending within it. " + rule[0].upper() + rule[1:]
        if published
        else f"Scores are the mean answer on 0–10 × 10, {SCORE_NOTE}. n is the number of answers; {rule}"
    )
    rows = score_rows(s, now, then)
    return Section(
        FEEL,
        TITLES[FEEL],
        lead,
        facts=tuple(score_fact(s, a, b) for a, b in zip(now, then, strict=True)),
        charts=(("trust-and-safety", th_charts.scores_chart(rows)),),
        tables=(("trust-and-safety", score_table(rows, published)),),
        notes=(note,),
        scores=tuple(now),
    )


def score_table(rows: pd.DataFrame, published: bool) -> pd.DataFrame:
    """The scores as a table for people (hidden values and their n left blank)."""
    out = pd.DataFrame(
        {
            "Measure": rows["metric"],
            "Period": rows["period"],
            "Score": rows["score"].round(0),
            "95 % low": rows["low"].round(0),
            "95 % high": rows["high"].round(0),
            "Answers (n)": rows["n"],
        }
    )
    if published:
        out = out.drop(columns=["95 % low", "95 % high"]).assign(**{"Published for": rows["published_for"]})
    return out
