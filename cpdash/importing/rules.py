"""Programs from free-text titles, by rules a user can see and extend.

A rule's words match a title when every one of them appears in it, in any order and any word form: case,
accents and punctuation are ignored, plurals and -ing/-er forms count as the same word ("Seniors" and
"Senior", "Churches" and "Church", "Youth Exploring" and "Explorers"), and other words may come between
them ("Beat 2223 Meeting" holds "Beat Meeting"). Rules are tried in order (a mapping's own, then the
department's, then the built-in ones); the first that matches wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import pandas as pd

from cpdash.data.programs import OTHER, TitleRule, built_in
from cpdash.data.validate import to_text

ProgramRule = TitleRule  # the name the mapping profiles use
_WORD = re.compile(r"[0-9a-z]+")
_NUMBER = re.compile(r"^\d+[a-z]?$")
SPELLINGS = {
    "neighbourhood": "neighborhood",
    "programme": "program",
    "centre": "center",
    "organisation": "organization",
}
FILLER = frozenset({"the", "a", "an", "of", "at", "in", "on", "for", "and", "with", "to", "meeting"})
MAX_TITLE = 300  # characters of a title looked at


def stem(word: str) -> str:
    """One word's base form: `seniors` -> `senior`, `churches` -> `church`, `exploring`/`explorers` -> `explor`."""
    word = SPELLINGS.get(word, word)
    if word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")) and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and len(word) >= 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("er") and len(word) > 5:
        word = word[:-2]
    return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("er") and len(word) > 5:
        word = word[:-2]
    return word


def fold(text: object) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", str(text)[:MAX_TITLE])
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def word_forms(text: object) -> frozenset[str]:
    """The base forms of the words of a text."""
    return frozenset(stem(w) for w in _WORD.findall(fold(text)))


FILLER_FORMS = frozenset(stem(w) for w in FILLER)


def default_program_rules() -> list[TitleRule]:
    """The built-in rules, in the order they are tried."""
    return list(built_in().rules)


def rules_from_rows(
    rows: Iterable[Sequence[object]] | pd.DataFrame, programs: Sequence[str] | None = None
) -> list[TitleRule]:
    """Rules from (words, program) pairs or a frame with those columns; blank rows and unknown programs skipped."""
    known = set(programs if programs is not None else built_in().names)
    if isinstance(rows, pd.DataFrame):
        rows = rows[["words", "program"]].itertuples(index=False, name=None)
    out = []
    for words, program in rows:
        if isinstance(words, str) and words.strip() and program in known:
            out.append(TitleRule(words.strip(), str(program)))
    return out


def programs_from_titles(titles: pd.Series, rules: Sequence[TitleRule]) -> tuple[pd.Series, pd.Series]:
    """The program of each title by the first rule that matches; returns (program, the rule's words)."""
    text = to_text(titles)
    keys = [(word_forms(rule.words), rule) for rule in rules]
    keys = [(k, r) for k, r in keys if k]
    program: dict[str, str] = {}
    matched: dict[str, str] = {}
    for title in text.dropna().unique():
        forms = word_forms(title)
        for words, rule in keys:
            if words <= forms:
                program[title] = rule.program
                matched[title] = rule.words
                break
    return text.map(program), text.map(matched)


def rule_words(title: object) -> str:
    """The words a new rule for a title would hold: its words without numbers and filler ("2514 Peer Jury" ->
    "Peer Jury")."""
    words = re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", str(title)[:MAX_TITLE])
    kept = [w for w in words if not _NUMBER.match(w.lower()) and w.lower() not in FILLER]
    return " ".join(kept[:4]) if kept else " ".join(words[:4])


def other_titles(titles: pd.Series, programs: pd.Series, limit: int = 50) -> pd.DataFrame:
    """Titles counted as Other, grouped by the words a rule would need, most frequent first:
    columns words (for a rule), rows, example (a title as written)."""
    text = to_text(titles)
    other = text[(programs == OTHER).fillna(False).to_numpy(dtype=bool) & text.notna().to_numpy(dtype=bool)]
    if other.empty:
        return pd.DataFrame(
            {"words": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64"), "example": []}
        )
    words = other.map(rule_words)
    grouped = (
        pd.DataFrame({"words": words.to_numpy(), "title": other.to_numpy()})
        .groupby("words", sort=False)
        .agg(rows=("title", "size"), example=("title", "first"))
        .reset_index()
        .sort_values(["rows", "words"], ascending=[False, True], kind="stable")
    )
    return grouped.head(limit).reset_index(drop=True)
