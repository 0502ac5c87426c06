"""The SQL of the comment explorer on a database source: one page of the comments that match, newest first.

The explorer's filters (period, areas, topic, sentiment class, language and words to look for) become
conditions on the responses and their comments' facts (cpdash.metrics.sql_facts: language, class and
topics, worked out once by the same functions the in-memory source applies), so that only the rows of the
page asked for leave the database; a replica's memory does not grow with the comments.

Words are looked for as the in-memory explorer does (cpdash.views.voice_explorer.search_texts): every word
of the query, folded by cpdash.text.topics.fold_text, in the comment folded the same way: decomposed
(NFKD), without its combining marks (the Unicode blocks of combining diacritical marks, which hold every
accent of the Latin, Greek and Cyrillic scripts) and lower-cased. The statistics tables' builder
(cpdash.metrics.sql_build) indexes the folded comments with trigrams (pg_trgm), on a function that folds
them so, and every word is looked for with LIKE '%word%' on that function, a condition the index serves; a
database without the index, and a word without a trigram (three letters or digits in a row), have the
folding written out in the query and scan the comments of the period, with the same results.

Every value a query depends on is a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cpdash.metrics.gather import AREA
from cpdash.metrics.periods import Filters
from cpdash.metrics.sql_cubes import FACTS, Params, Schema, raw_period

MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"  # combining marks
SPACE = " \t\n\r\x0b\x0c"  # what a comment is trimmed of
TEXT = f"btrim(r.\"comment\", '{SPACE}')"
SEARCH_INDEX = "cpdash_responses_comment_trgm_idx"
FOLD = "cpdash_search_fold"  # the folding as a function, which the index is built on
INDEXED = f"SELECT to_regclass('{SEARCH_INDEX}') IS NOT NULL AS indexed"


def _fold(text: str) -> str:
    return f"lower(regexp_replace(normalize({text}, NFKD), '{MARKS}', '', 'g'))"


def folded(indexed: bool, column: str = 'r."comment"') -> str:
    """The comment trimmed and folded for search, as an SQL expression: the function the trigram index is
    built on when the database has it (`indexed`), else the same folding written out."""
    return f"{FOLD}({column})" if indexed else _fold(f"btrim({column}, '{SPACE}')")


def index_sql(table: str) -> tuple[str, str]:
    """The folding function and the trigram index of the folded comments of the responses table `table`
    (needs pg_trgm). The function is declared costly, as folding is, so that the planner reads the index
    rather than fold every comment of a period."""
    body = _fold(f"btrim(t, '{SPACE}')")
    function = (
        f"CREATE OR REPLACE FUNCTION {FOLD}(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT "
        f"PARALLEL SAFE COST 1000 AS $$ BEGIN RETURN {body}; END $$"
    )
    index = f'CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON {table} USING gin ({FOLD}("comment") gin_trgm_ops)'
    return function, index


def served(word: str) -> bool:
    """True when the trigram index can find `word`: it holds three letters or digits in a row (a trigram);
    a shorter word is looked for with the folding written out, which costs less per comment than the
    function does."""
    return re.search(r"[^\W_]{3}", word) is not None


def like_pattern(word: str) -> str:
    """A LIKE pattern for texts that hold `word` anywhere (its wildcards and escapes taken literally)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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


def _where(s: Schema, f: Filters, w: Wanted, p: Params, indexed: bool) -> str:
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
        out += [f"{folded(indexed and served(word))} LIKE {p.add(like_pattern(word))}" for word in w.words]
    return " AND ".join(out)


def _from(s: Schema) -> str:
    return f'{s.table("responses")} r JOIN {FACTS} x ON x.response_id = CAST(r."response_id" AS text)'


def page_query(
    s: Schema, f: Filters, w: Wanted, limit: int, offset: int = 0, indexed: bool = False
) -> tuple[str, dict[str, object]]:
    """One page of the matching comments, newest first: day, comment (trimmed), area_id, topics (a JSON
    list), class and language codes; `indexed` when the database has the search index (INDEXED)."""
    p = Params()
    where = _where(s, f, w, p, indexed)
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


def count_query(s: Schema, f: Filters, w: Wanted, indexed: bool = False) -> tuple[str, dict[str, object]]:
    """How many comments match."""
    p = Params()
    return f"SELECT count(*) AS matches FROM {_from(s)} WHERE {_where(s, f, w, p, indexed)}", p.values
