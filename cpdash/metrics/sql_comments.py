"""The SQL of the comment explorer on a database source: one page of the comments that match, newest first.

The explorer's filters (period, areas, topic, sentiment class, language and words to look for) become
conditions on the responses and their comments' facts (cpdash.metrics.sql_facts: language, class and
topics, worked out once by the same functions the in-memory source applies), so that only the rows of the
page asked for leave the database; a replica's memory does not grow with the comments.

Words are looked for as the in-memory explorer does (cpdash.views.voice_explorer.search_texts): every word
of the query, folded by cpdash.text.topics.fold_text, in the comment folded the same way: decomposed
(NFKD), without its combining marks (the Unicode blocks of combining diacritical marks, which hold every
accent of the Latin, Greek and Cyrillic scripts) and lower-cased.

Every value a query depends on is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpdash.metrics.gather import AREA
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql_cubes import FACTS, Params, Schema, raw_period

MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"  # combining marks
SPACE = " \t\n\r\x0b\x0c"  # what a comment is trimmed of
TEXT = f"btrim(r.\"comment\", '{SPACE}')"


@dataclass(frozen=True)
class Wanted:
    """The explorer's choices besides the filters: areas it may list (None: every area, and comments with
    none), the topic (a taxonomy topic; `no_topic`: comments that matched none), the sentiment class and
    language codes, and the folded words to look for."""

    areas: tuple[str, ...] | None = None
    topic: str | None = None
    no_topic: bool = False
    class_code: int | None = None
    language_code: int | None = None
    words: tuple[str, ...] = ()


def _where(s: Schema, f: Filters, w: Wanted, p: Params) -> str:
    """The conditions on a response `r` and its comment's facts `x`."""
    area = s.key("responses", "r", AREA)
    out = [raw_period('r."submitted"', f.start, f.end, p)]
    if f.areas:
        out.append(f"{area} = ANY({p.add(list(f.areas))})")
    if w.areas is not None:
        out.append(f"{area} = ANY({p.add(list(w.areas))})")
    if w.no_topic:
        out.append("x.topics = '[]'")
    elif w.topic is not None:
        out.append(f"CAST(x.topics AS jsonb) @> jsonb_build_array(CAST({p.add(w.topic)} AS text))")
    if w.class_code is not None:
        out.append(f"x.class = {p.add(w.class_code)}")
    if w.language_code is not None:
        out.append(f"x.language = {p.add(w.language_code)}")
    if w.words:
        folded = f"lower(regexp_replace(normalize({TEXT}, NFKD), '{MARKS}', '', 'g'))"
        out += [f"strpos({folded}, {p.add(word)}) > 0" for word in w.words]
    return " AND ".join(out)


def _from(s: Schema) -> str:
    return f'{s.table("responses")} r JOIN {FACTS} x ON x.response_id = CAST(r."response_id" AS text)'


def page_query(
    s: Schema, f: Filters, w: Wanted, limit: int, offset: int = 0
) -> tuple[str, dict[str, object]]:
    """One page of the matching comments, newest first: day, comment (trimmed), area_id, topics (a JSON
    list), class and language codes."""
    p = Params()
    where = _where(s, f, w, p)
    columns = (
        f'CAST(r."submitted" AS date) AS day, {TEXT} AS comment, {s.key("responses", "r", AREA)} AS {AREA}, '
        "x.topics AS topics, x.class AS class, x.language AS language"
    )
    order = 'r."submitted" DESC, CAST(r."response_id" AS text) DESC'
    return (
        f"SELECT {columns} FROM {_from(s)} WHERE {where} ORDER BY {order} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        p.values,
    )


def count_query(s: Schema, f: Filters, w: Wanted) -> tuple[str, dict[str, object]]:
    """How many comments match."""
    p = Params()
    return f"SELECT count(*) AS matches FROM {_from(s)} WHERE {_where(s, f, w, p)}", p.values
