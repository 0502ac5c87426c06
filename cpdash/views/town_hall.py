"""A town hall for one area and period: the presenter's sections, each with its facts, charts and tables.

Sections, in the order they are presented: our engagement in your area; what you told us; how you
feel; what we did; what is still open and next steps. Public-safe by default: a score resting on
fewer than k responses is hidden (flagged instead when `public` is False), quotes are shown only
when at least k comments stand behind them, and every quote and summary has its personal details
redacted. Texts here are plain (no Markdown, no HTML): whoever shows them escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cpdash.charts import follow_through as ft_charts
from cpdash.charts import town_hall as th_charts
from cpdash.data.dataset import SENTIMENT, Dataset
from cpdash.data.filters import rows_in_period, select
from cpdash.metrics import legacy as metrics
from cpdash.metrics.periods import Filters
from cpdash.text.redact import redact
from cpdash.views import format as fmt
from cpdash.views import you_said as ft

ENGAGEMENT = "engagement"
VOICE = "voice"
FEEL = "feel"
DID = "did"
OPEN = "open"
SECTIONS: tuple[tuple[str, str], ...] = (
    (ENGAGEMENT, "Our engagement in your area"),
    (VOICE, "What you told us"),
    (FEEL, "How you feel"),
    (DID, "What we did"),
    (OPEN, "What is still open, and next steps"),
)
TITLES = dict(SECTIONS)
SCORE_METRICS = (("trust", "Trust"), ("safety", "Safety"))
RESPONSE_COLUMNS = ("submitted", "area_id", "trust", "safety", "comment", SENTIMENT)  # what sections use
TOP_TOPICS = 5
QUOTES = 3
QUOTE_MIN_CHARS = 25  # shorter comments say too little to quote
QUOTE_MAX_CHARS = 200  # longer ones are cut at a word, with an ellipsis
CARDS = 3
CARD_MAX_CHARS = 150
NEXT_EVENTS = 4


@dataclass(frozen=True)
class Fact:
    """A large figure on a slide: its label, its value as text, and a line that explains it."""

    label: str
    value: str
    detail: str | None = None


@dataclass(frozen=True, eq=False)
class Section:
    """One slide: title, a sentence that says what it shows, and what backs it up."""

    key: str
    title: str
    lead: str
    facts: tuple[Fact, ...] = ()
    charts: tuple[tuple[str, go.Figure], ...] = ()  # (name for files, figure)
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()  # (name for files, table)
    quotes: tuple[str, ...] = ()
    cards: tuple[ft.Card, ...] = ()
    bullets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class TownHall:
    """The sections of a town hall for one area and period."""

    area_id: str
    area_name: str
    start: date
    end: date
    k: int
    public: bool
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def period_text(self) -> str:
        """The period in words: '1 Nov 2025 – 31 Oct 2026'."""
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"

    @property
    def name_parts(self) -> tuple[object, ...]:
        """What file names carry: the area and the period."""
        return ("town-hall", self.area_name, self.start.isoformat(), self.end.isoformat())


@dataclass(frozen=True)
class Scope:
    """What one town hall looks at: the data, the area, the period (with its programs) and the rules."""

    ds: Dataset
    area_id: str
    area_name: str
    f: Filters  # its areas are (area_id,)
    k: int
    public: bool

    @cached_property
    def concerns(self) -> pd.DataFrame | None:
        """The area's concerns, all dates (None when there is no concerns table)."""
        return select(self.ds.concerns, self.f, None) if self.ds.has("concerns") else None

    @cached_property
    def events(self) -> pd.DataFrame:
        """The area's events of the chosen programs, all dates."""
        return select(self.ds.events, self.f, None, by_program=True)

    @cached_property
    def responses(self) -> pd.DataFrame | None:
        """The area's responses from the start of the previous period to the end of this one (by date)."""
        if not self.ds.has("responses") or "submitted" not in self.ds.responses.columns:
            return None
        rows = rows_in_period(self.ds.responses, "submitted", self.f.previous().start, self.f.end)
        rows = rows[[c for c in RESPONSE_COLUMNS if c in rows.columns]]  # fewer columns to copy
        return rows[(rows["area_id"] == self.area_id).to_numpy(dtype=bool)]


def area_options(ds: Dataset) -> list[str]:
    """The areas a town hall can be about, by name."""
    names = dict(zip(ds.areas["area_id"].astype("str"), ds.areas["name"].astype("str"), strict=True))
    return sorted(names, key=lambda a: (names[a].lower(), a))


def scope(ds: Dataset, area_id: str, f: Filters, k: int = metrics.K_DEFAULT, public: bool = True) -> Scope:
    """The scope of a town hall about `area_id` over the filters' period and programs."""
    names = dict(zip(ds.areas["area_id"].astype("str"), ds.areas["name"].astype("str"), strict=True))
    local = Filters(f.start, f.end, (area_id,), f.programs)
    return Scope(ds, area_id, names.get(area_id, area_id), local, k, public)


def _when(f: Filters) -> str:
    """'between 1 Nov 2025 and 31 Oct 2026'."""
    return f"between {f.start:%-d %b %Y} and {f.end:%-d %b %Y}"


def _cut(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _compared(now: int, before: int, days: int) -> str:
    """', 12 more than in the 365 days before (40)' for a count against the previous period."""
    delta = now - before
    if delta == 0:
        return f", as many as in the {days} days before"
    return f", {abs(delta):,} {'more' if delta > 0 else 'fewer'} than in the {days} days before ({before:,})"


# --- our engagement --------------------------------------------------------------------------------


def engagement_section(s: Scope) -> Section:
    """Events and attendance in the area, against the previous period, and events by program."""
    events = s.events
    before_f = s.f.previous()
    now = metrics.engagement(events, s.ds.areas, s.f.start, s.f.end, [s.area_id])
    before = metrics.engagement(events, s.ds.areas, before_f.start, before_f.end, [s.area_id])
    by_program = metrics.engagement_by(
        events, s.ds.areas, s.f.start, s.f.end, by="program", area_ids=[s.area_id]
    )
    noun = "event" if now.events == 1 else "events"
    lead = f"We held {now.events:,} {noun} in {s.area_name} {_when(s.f)}"
    lead += _compared(now.events, before.events, s.f.days) + "."
    if now.events == 0:
        lead = f"We held no event in {s.area_name} {_when(s.f)}."
    facts = [Fact("Events", fmt.number(now.events), f"{before.events:,} in the previous period")]
    if fmt.is_missing(now.attendance) or now.events_with_attendance == 0:
        facts.append(Fact("People who came", "—", "Attendance was not counted"))
    else:
        missing = now.events_without_attendance
        detail = f"{fmt.number(before.attendance)} in the previous period"
        if missing:
            detail += f"; {missing:,} {'event' if missing == 1 else 'events'} not counted"
        facts.append(Fact("People who came", fmt.number(now.attendance), detail))
    if not fmt.is_missing(now.youth_share):
        facts.append(Fact("Young people", fmt.percent(now.youth_share * 100), "of those who came"))
    if not fmt.is_missing(now.officer_hours) and now.officer_hours > 0:
        facts.append(Fact("Officer hours", fmt.number(now.officer_hours), "given to these events"))
    table = by_program[by_program["events"] > 0].sort_values("events", ascending=False, kind="stable")
    table = pd.DataFrame(
        {"Program": table["program"], "Events": table["events"], "People who came": table["attendance"]}
    ).reset_index(drop=True)
    return Section(
        ENGAGEMENT,
        TITLES[ENGAGEMENT],
        lead,
        facts=tuple(facts),
        charts=(("events-by-program", th_charts.engagement_chart(by_program)),),
        tables=(("events-by-program", table),),
    )


# --- what you told us ------------------------------------------------------------------------------


def _responses(s: Scope, f: Filters) -> pd.DataFrame | None:
    """The area's responses submitted in the period `f` (this one or the one before)."""
    if s.responses is None:
        return None
    return rows_in_period(s.responses, "submitted", f.start, f.end)


def topic_counts(concerns: pd.DataFrame | None, f: Filters) -> pd.DataFrame:
    """Concerns raised in the period per topic, most raised first (ties by name): topic, concerns, share."""
    columns = {"topic": pd.Series(dtype="str"), "concerns": pd.Series(dtype="int64"), "share": []}
    if concerns is None or len(concerns) == 0 or "topic" not in concerns.columns:
        return pd.DataFrame(columns)
    raised = metrics.concern_flags(concerns, f.start, f.end)["raised"].to_numpy(dtype=bool)
    counts = concerns["topic"][raised].value_counts(dropna=True)
    if counts.empty:
        return pd.DataFrame(columns)
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return pd.DataFrame(
        {
            "topic": counts.index.astype("str"),
            "concerns": counts.to_numpy(dtype="int64"),
            "share": counts.to_numpy(dtype="float64") / int(counts.sum()),
        }
    )


def pick_quotes(responses: pd.DataFrame | None, limit: int = QUOTES) -> list[str]:
    """A few comments, chosen by rule and not by hand: the latest negative, positive and neutral one
    (the latest ones when there is no sentiment), at least QUOTE_MIN_CHARS long, redacted and cut."""
    if responses is None or "comment" not in responses.columns or len(responses) == 0:
        return []
    text = responses["comment"].astype("string").str.strip()
    usable = (text.str.len() >= QUOTE_MIN_CHARS).fillna(False).to_numpy(dtype=bool)
    rows = responses[usable]
    if len(rows) == 0:
        return []
    if "submitted" in rows.columns:
        rows = rows.sort_values("submitted", ascending=False, kind="stable")
    chosen: list[int] = []
    if SENTIMENT in rows.columns:
        score = pd.to_numeric(rows[SENTIMENT], errors="coerce")
        for mask in (score <= -0.05, score >= 0.05, score.between(-0.05, 0.05, inclusive="neither")):
            hits = np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))
            if len(hits):
                chosen.append(int(hits[0]))
    for position in range(len(rows)):
        if len(chosen) >= limit:
            break
        if position not in chosen:
            chosen.append(position)
    quotes, seen = [], set()
    for position in sorted(chosen[:limit]):
        quote = _cut(redact(rows["comment"].iloc[position]), QUOTE_MAX_CHARS)
        if quote.lower() not in seen:
            seen.add(quote.lower())
            quotes.append(quote)
    return quotes


def comment_count(responses: pd.DataFrame | None) -> int:
    """How many responses carry a comment."""
    if responses is None or "comment" not in responses.columns:
        return 0
    return int((responses["comment"].astype("string").str.strip().str.len() > 0).fillna(False).sum())


def voice_section(s: Scope) -> Section:
    """The topics most raised in the period, and a few redacted comments."""
    concerns = s.concerns
    counts = topic_counts(concerns, s.f)
    topics = counts.head(TOP_TOPICS)
    responses = _responses(s, s.f)
    comments = comment_count(responses)
    raised = int(counts["concerns"].sum())
    notes = []
    facts = []
    if concerns is None:
        notes.append("No concerns table in the data: the topics residents raised cannot be shown.")
        lead = f"What residents of {s.area_name} told us {_when(s.f)}."
    elif raised == 0:
        lead = f"No concern was recorded from {s.area_name} {_when(s.f)}."
    else:
        top = topics.loc[topics["concerns"] == topics["concerns"].max(), "topic"].tolist()
        most = " and ".join([", ".join(top[:-1]), top[-1]]) if len(top) > 1 else top[0]
        noun = "concern" if raised == 1 else "concerns"
        lead = f"You raised {raised:,} {noun} with us; the most raised: {most}."
    if concerns is not None:
        facts.append(Fact("Concerns raised", fmt.number(raised), "at meetings, by phone, online, in surveys"))
    if responses is not None:
        facts.append(Fact("Comments", fmt.number(comments), "written on surveys and comment cards"))
    quotes: list[str] = []
    if responses is None:
        notes.append("No survey responses in the data: there are no comments to quote.")
    elif comments == 0:
        notes.append("No written comments from this area in the period.")
    elif s.public and comments < s.k:
        notes.append(
            f"Fewer than {s.k} comments from this area in the period: none is quoted, "
            "so that nobody can be recognised by what they wrote."
        )
    else:
        quotes = pick_quotes(responses)
        if quotes:
            notes.append(
                "Quotes are chosen by rule (the latest negative, positive and neutral comment), "
                "with personal details removed."
            )
    table = pd.DataFrame(
        {
            "Topic": topics["topic"],
            "Concerns": topics["concerns"],
            "Share (%)": (topics["share"] * 100).round(0),
        }
    )
    charts = (("topics", th_charts.topics_chart(topics)),) if concerns is not None else ()
    return Section(
        VOICE,
        TITLES[VOICE],
        lead,
        facts=tuple(facts),
        charts=charts,
        tables=(("top-topics", table),) if concerns is not None else (),
        quotes=tuple(quotes),
        notes=tuple(notes),
    )


# --- how you feel ----------------------------------------------------------------------------------


def score_rows(s: Scope) -> pd.DataFrame:
    """Trust and safety in this period and the previous one: metric, period, score, low, high, n,
    suppressed, shown (False when hidden by the small-number rule in public)."""
    rows = []
    periods = (("This period", s.f), ("Previous period", s.f.previous()))
    for period, f in periods:
        responses = _responses(s, f)
        for metric, label in SCORE_METRICS:
            if responses is None or metric not in responses.columns:
                continue
            sc = metrics.score(responses[metric], s.k)
            rows.append(
                {
                    "metric": label,
                    "period": period,
                    "score": sc.value,
                    "low": sc.low,
                    "high": sc.high,
                    "n": sc.n,
                    "suppressed": sc.suppressed,
                    "shown": sc.n > 0 and not (s.public and sc.suppressed),
                }
            )
    columns = ["metric", "period", "score", "low", "high", "n", "suppressed", "shown"]
    return pd.DataFrame(rows, columns=columns)


def _score_fact(label: str, now: pd.Series, before: pd.Series | None, s: Scope) -> Fact:
    """A score as a fact: value with n, or why it is not shown; its change when both periods have k."""
    n = int(now["n"])
    if n == 0:
        return Fact(f"{label}", "—", "No answers in the period")
    if now["suppressed"] and s.public:
        return Fact(f"{label} (n={n:,})", "—", f"Fewer than {s.k} answers: not shown")
    value = fmt.number(now["score"]) + (" ⚠" if now["suppressed"] else "")
    detail = "out of 100"
    if n >= 2 and not fmt.is_missing(now["low"]):
        detail += f"; 95 % interval {fmt.number(now['low'])}–{fmt.number(now['high'])}"
    if before is not None and int(before["n"]) >= s.k and n >= s.k:
        delta = round(now["score"]) - round(before["score"])
        word = "up" if delta > 0 else "down"
        detail += f"; {word} {abs(delta)} on the previous period" if delta else "; as in the previous period"
    if now["suppressed"]:
        detail += f"; fewer than {s.k} answers, treat with care"
    return Fact(f"{label} (n={n:,})", value, detail)


def feel_section(s: Scope) -> Section:
    """Trust and safety with the number of answers behind each, against the previous period."""
    rows = score_rows(s)
    notes = []
    facts = []
    if rows.empty:
        published = _published(s)
        if published:
            return Section(
                FEEL,
                TITLES[FEEL],
                f"Published survey figures for {s.area_name}.",
                facts=tuple(published),
                notes=("From the published area scores, used as published.",),
            )
        return Section(
            FEEL,
            TITLES[FEEL],
            f"We have no survey answers from {s.area_name} {_when(s.f)}.",
            notes=("No survey responses with trust or safety answers in the data for this area.",),
        )
    for _, label in SCORE_METRICS:
        now = rows[(rows["metric"] == label) & (rows["period"] == "This period")]
        before = rows[(rows["metric"] == label) & (rows["period"] == "Previous period")]
        if len(now):
            facts.append(_score_fact(label, now.iloc[0], before.iloc[0] if len(before) else None, s))
    shown = rows[(rows["period"] == "This period") & rows["shown"]]
    if len(shown):
        parts = [f"{r.metric.lower()} {r.score:.0f}" for r in shown.itertuples(index=False)]
        lead = f"On a scale of 0 to 100, you rate {' and '.join(parts)}."
    else:
        lead = f"Too few of you answered our survey in {s.area_name} {_when(s.f)} to show a score."
    notes.append(
        "Scores are the mean answer on 0–10 × 10: out of 100, not a percentage. "
        f"n is the number of answers; a score resting on fewer than {s.k} is "
        + ("not shown." if s.public else "flagged ⚠.")
    )
    table = pd.DataFrame(
        {
            "Measure": rows["metric"],
            "Period": rows["period"],
            "Score": rows["score"].where(rows["shown"]).round(0),
            "95 % low": rows["low"].where(rows["shown"]).round(0),
            "95 % high": rows["high"].where(rows["shown"]).round(0),
            "Answers (n)": rows["n"],
        }
    )
    return Section(
        FEEL,
        TITLES[FEEL],
        lead,
        facts=tuple(facts),
        charts=(("trust-and-safety", th_charts.scores_chart(rows)),),
        tables=(("trust-and-safety", table),),
        notes=tuple(notes),
    )


def _published(s: Scope) -> list[Fact]:
    """Trust and safety from the published area scores (the latest ending by the period's end)."""
    if not s.ds.has("area_scores"):
        return []
    facts = []
    for metric, label in SCORE_METRICS:
        latest = metrics.latest_published_scores(s.ds.area_scores, metric, end=s.f.end, k=s.k)
        latest = latest[latest["area_id"].astype("str") == s.area_id]
        if latest.empty:
            continue
        row = latest.iloc[-1]
        n = row["n"]
        n_text = f"n={int(n):,}" if pd.notna(n) else "n not published"
        hidden = bool(row["suppressed"]) and s.public
        facts.append(
            Fact(
                f"{label} ({n_text})",
                "—" if hidden else fmt.number(row["score"]),
                f"published for {row['period_start']:%-d %b %Y} – {row['period_end']:%-d %b %Y}",
            )
        )
    return facts


# --- what we did -----------------------------------------------------------------------------------


def did_section(s: Scope) -> Section:
    """Concerns resolved in the period, how fast, against the previous period, and a few of them."""
    if not s.ds.has("concerns"):
        return Section(
            DID,
            TITLES[DID],
            f"What we did about the concerns of {s.area_name}.",
            notes=("No concerns table in the data: what was done cannot be shown.",),
        )
    cmp = ft.compare(s.concerns, s.f)
    now, before = cmp.now, cmp.before
    all_cards, total = ft.resolved_cards(s.concerns, s.f, s.ds.areas, limit=None)
    if now.resolved:
        lead = f"We resolved {now.resolved:,} {'concern' if now.resolved == 1 else 'concerns'} {_when(s.f)}"
        lead += f" ({before.resolved:,} in the {s.f.days} days before)."
    else:
        lead = f"We resolved no concern from {s.area_name} {_when(s.f)}."
    facts = [Fact("Resolved", fmt.number(now.resolved), f"{before.resolved:,} in the previous period")]
    if not fmt.is_missing(now.median_days_to_resolve):
        detail = "half were resolved faster"
        if not fmt.is_missing(before.median_days_to_resolve):
            detail += f"; {fmt.number(before.median_days_to_resolve)} days in the previous period"
        facts.append(Fact("Median days to resolve", fmt.number(now.median_days_to_resolve), detail))
    if not fmt.is_missing(now.share_resolved_within_90):
        facts.append(
            Fact(
                "Resolved within 90 days",
                fmt.percent(now.share_resolved_within_90 * 100),
                f"of {now.eligible_90:,} raised at least 90 days before the end",
            )
        )
    if now.declined:
        facts.append(Fact("Declined", fmt.number(now.declined), "with the reason given to residents"))
    shown = tuple(
        ft.Card(
            c.concern_id,
            c.topic,
            _cut(c.said, CARD_MAX_CHARS),
            c.raised,
            c.area,
            _cut(c.did, CARD_MAX_CHARS),
            c.resolved,
            c.days,
        )
        for c in all_cards[:CARDS]
    )
    notes = []
    if total > len(shown):
        notes.append(
            f"The {len(shown)} most recently resolved of {total:,}; the pack's table lists them all."
        )
    return Section(
        DID,
        TITLES[DID],
        lead,
        facts=tuple(facts),
        cards=shown,
        tables=(("resolved-concerns", ft.cards_frame(all_cards)),),
        notes=tuple(notes),
    )


# --- still open and next steps ---------------------------------------------------------------------


def upcoming_events(s: Scope, limit: int = NEXT_EVENTS) -> pd.DataFrame:
    """The area's next events after the period (of the chosen programs): start, program, title."""
    events = s.events
    after = events[(events["start"] >= pd.Timestamp(s.f.end) + pd.Timedelta(days=1)).to_numpy(dtype=bool)]
    after = after.sort_values("start", kind="stable").head(limit)
    title = after["title"] if "title" in after.columns else pd.Series(pd.NA, index=after.index)
    return pd.DataFrame({"start": after["start"], "program": after["program"], "title": title}).reset_index(
        drop=True
    )


def open_section(s: Scope) -> Section:
    """What is still open at the end of the period, by topic, the oldest wait, and what comes next."""
    bullets: list[str] = []
    coming = upcoming_events(s)
    for row in coming.itertuples(index=False):
        title = row.title if isinstance(row.title, str) and row.title.strip() else row.program
        bullets.append(f"{row.start:%-d %b %Y}: {_cut(title, 80)} ({row.program})")
    if not s.ds.has("concerns"):
        return Section(
            OPEN,
            TITLES[OPEN],
            f"What comes next in {s.area_name}.",
            bullets=tuple(bullets),
            notes=("No concerns table in the data: open concerns cannot be shown.",),
        )
    waiting = ft.backlog(s.concerns, s.f, s.ds.areas)
    still_open = len(waiting)  # the concerns open at the end of the period, as follow_through counts them
    previous = s.f.previous()
    before = metrics.follow_through(s.concerns, previous.start, previous.end)
    working = int((waiting["status"] == ft.IN_PROGRESS).sum())
    if still_open:
        lead = (
            f"{still_open:,} {'concern is' if still_open == 1 else 'concerns are'} still open "
            f"on {s.f.end:%-d %b %Y}; we are working on {working:,} of them."
        )
    else:
        lead = f"No concern from {s.area_name} is open on {s.f.end:%-d %b %Y}."
    facts = [
        Fact(
            "Still open",
            fmt.number(still_open),
            f"{before.open_at_end:,} at the end of the previous period",
        ),
        Fact("In progress", fmt.number(working), "work has started"),
    ]
    if len(waiting):
        facts.append(
            Fact("Longest wait", f"{int(waiting['days_open'].iloc[0]):,} days", str(waiting["topic"].iloc[0]))
        )
    working_topics = waiting.loc[waiting["status"] == ft.IN_PROGRESS, "topic"].value_counts().head(3)
    steps = [f"We are working on {topic} ({count:,})" for topic, count in working_topics.items()]
    if coming.empty:
        steps.append(f"No event in {s.area_name} is planned in the data after {s.f.end:%-d %b %Y} yet.")
    else:
        steps.append("Come and talk to us:")
    view = ft.backlog_view(waiting, limit=None)
    return Section(
        OPEN,
        TITLES[OPEN],
        lead,
        facts=tuple(facts),
        charts=(("open-by-topic", ft_charts.open_by_topic_chart(ft.open_by(waiting, "topic"))),),
        tables=(("open-concerns", view.drop(columns=["Area"])),),
        bullets=tuple(steps + bullets),
    )


BUILDERS = {
    ENGAGEMENT: engagement_section,
    VOICE: voice_section,
    FEEL: feel_section,
    DID: did_section,
    OPEN: open_section,
}


def section(s: Scope, key: str) -> Section:
    """One section of the town hall."""
    return BUILDERS[key](s)


def build(ds: Dataset, area_id: str, f: Filters, k: int = metrics.K_DEFAULT, public: bool = True) -> TownHall:
    """Every section of the town hall about `area_id` over the filters' period (public-safe by default)."""
    sc = scope(ds, area_id, f, k, public)
    return TownHall(
        area_id=area_id,
        area_name=sc.area_name,
        start=f.start,
        end=f.end,
        k=k,
        public=public,
        sections=tuple(section(sc, key) for key, _ in SECTIONS),
    )
