"""Concern topics: a visible, editable keyword taxonomy that tags comments and concerns.

The taxonomy is a list of topics, each with English and Spanish keywords. A data source may carry its own
as `topics.csv` (columns topic, keywords_en, keywords_es; keywords separated by ";") or `topics.json`
(a list of {"topic", "en", "es"} objects); otherwise the built-in default below is used. `taxonomy_frame`
gives the taxonomy back in the CSV form, so a downloaded copy can be edited and dropped into the data
folder.

Matching rules, the same for every keyword:
- case and accents are ignored ("Policía" matches "policia");
- a keyword matches whole words only ("tent" does not match "content");
- a keyword ending in "*" matches any word that starts with it ("speed*" matches "speeding");
- a keyword of several words matches them in order with any spacing ("stop sign").
Comments recognised as Spanish are tagged with the Spanish keywords, English ones with the English
keywords, and comments in any other language with both. A comment can carry several topics, or none.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cpdash.text.sentiment import detect_language

# --- constants -------------------------------------------------------------------------------------

TOPICS_FILES = ("topics.csv", "topics.json")  # looked for, in this order, in the data source folder
KEYWORD_SEPARATOR = ";"
MAX_TOPICS = 60  # a taxonomy file with more topics than this is cut, with a note
MAX_FILE_BYTES = 1_000_000  # a larger taxonomy file is not read
DEFAULT_SOURCE = "built-in default"
ENGLISH, SPANISH = "en", "es"

# The built-in default: topic -> (English keywords, Spanish keywords), each ";"-separated.
DEFAULT_TOPICS: dict[str, tuple[str, str]] = {
    "traffic and speeding": (
        "speed*; traffic; stop sign*; drag rac*; reckless; crosswalk*; crossing; crossing guard*; "
        "red light*; speed bump*; drive too fast; driving too fast; too fast; slow down; run the stop; "
        "hit and run",
        "velocidad; rapido; trafico; transito; semaforo*; reductor*; carreras; manejan; atropell*",
    ),
    "drugs": (
        "drug*; dealer*; dealing; needle*; narcotic*; overdos*; fentanyl; heroin; opioid*; crack house",
        "droga*; narco*; jeringa*; sobredosis",
    ),
    "noise": (
        "noise*; noisy; loud*; fireworks; blasting; music; honking",
        "ruido*; musica alta; fiesta*; cohetes; fuegos artificiales; escandalo*",
    ),
    "youth": (
        "youth; teen*; kids; kid; young people; after school; after-school; students; mentor*; gang*; "
        "children; juvenile*; nephew; grandson; daughter",
        "joven*; adolescente*; muchachos; chicos; ninos; ninas; pandilla*",
    ),
    "fairness and bias": (
        "profil*; racis*; bias*; discriminat*; disrespect*; respect*; rude*; harass*; unfair*; "
        "treated differently; stopped me; stopped him; gets stopped; get stopped; pulled over; "
        "talk down; spanish-speaking; speak spanish; speak english",
        "sin razon; racis*; discrimina*; perfil*; injust*; respeto*; respetuos*; hable espanol; "
        "en espanol; abuso*",
    ),
    "response time": (
        "response time*; response was; responded; waited; waiting; took forever; takes forever; "
        "never came; nobody came; no one came; show up; showed up; never heard back; heard back; "
        "call back; follow up; follow-up; follows up; followed up; 911; too slow; too long; over an hour",
        "tardaron; tardan; tarda*; nadie vino; nunca llegaron; en llegar; espera*; nunca supe",
    ),
    "property crime": (
        "break-in*; broke into; broken into; breaking into; burglar*; theft*; stolen; stole; steal*; "
        "robbed; robber*; catalytic; package*; vandal*; shoplift*",
        "robo*; robaron; roban; ladron*; hurto*",
    ),
    "violence": (
        "shot; shots; shooting*; gun*; gunfire; stabbing*; stabbed; fight*; assault*; violen*; murder*; "
        "homicide*; attack*",
        "balacera*; disparo*; tiroteo*; pelea*; violencia; violento*; asalto*; arma*",
    ),
    "homelessness": (
        "homeless*; unhoused; encampment*; sleeping in; tent*; panhandl*; shelter*",
        "sin hogar; sin techo; indigente*; desamparado*; campamento*",
    ),
    "lighting": (
        "light; lights; lighting; streetlight*; street light*; dark; darkness; pitch dark; lamp*",
        "luz; luces; alumbrado; oscur*; farol*",
    ),
    "parking": (
        "parking; parked; double park*; park in the; bike lane*; abandoned car*; towed; tow truck",
        "estacionad*; estacionan; estacionamiento; aparcar",
    ),
    "patrols and visibility": (
        "patrol*; foot patrol*; walking the beat; walk the beat; visible; visibility; presence; "
        "drive by; driving by",
        "patrulla*; patrullaje; presencia; vigilancia",
    ),
    "community relations": (
        "friendly; listen*; know our names; by name; part of the community; relationship*; outreach; "
        "community event*; meeting*; meet the officers; talk to; communication; explain*; updates; coffee",
        "amable*; escuch*; reunion*; comunidad; confianza; explic*; cafe",
    ),
}


# --- the taxonomy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One topic and its keywords, as written (matching folds case and accents)."""

    name: str
    english: tuple[str, ...]
    spanish: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """The topics in use, where they came from, and anything wrong with the file they were read from."""

    topics: tuple[Topic, ...]
    source: str = DEFAULT_SOURCE
    problems: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        """The topic names, in order."""
        return [t.name for t in self.topics]

    @property
    def signature(self) -> str:
        """A short hash of the topics and keywords (changes whenever the taxonomy does)."""
        text = json.dumps([[t.name, t.english, t.spanish] for t in self.topics], ensure_ascii=False)
        return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def split_keywords(text: object) -> tuple[str, ...]:
    """Keywords from a ";"-separated cell (or a list), trimmed, blanks and repeats left out."""
    if text is None or (isinstance(text, float) and text != text):
        return ()
    items = text if isinstance(text, list | tuple) else str(text).split(KEYWORD_SEPARATOR)
    out: list[str] = []
    for item in items:
        word = " ".join(str(item).split())
        if word and word.lower() not in {w.lower() for w in out}:
            out.append(word)
    return tuple(out)


def default_taxonomy() -> Taxonomy:
    """The built-in taxonomy."""
    topics = tuple(
        Topic(name, split_keywords(en), split_keywords(es)) for name, (en, es) in DEFAULT_TOPICS.items()
    )
    return Taxonomy(topics, DEFAULT_SOURCE)


def _topics_from_records(records: Sequence[dict]) -> tuple[list[Topic], list[str]]:
    """Topics from records with a topic name and English / Spanish keywords; problems in words."""
    topics: list[Topic] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append(f"entry {number} is not a topic with keywords; left out")
            continue
        lowered = {str(k).strip().lower(): v for k, v in record.items()}
        name = " ".join(str(lowered.get("topic") or lowered.get("name") or "").split())
        english = split_keywords(lowered.get("keywords_en", lowered.get("en", lowered.get("english"))))
        spanish = split_keywords(lowered.get("keywords_es", lowered.get("es", lowered.get("spanish"))))
        if not name:
            problems.append(f"entry {number} has no topic name; left out")
        elif name.lower() in seen:
            problems.append(f"topic {name!r} appears twice; the first is used")
        elif not english and not spanish:
            problems.append(f"topic {name!r} has no keywords; left out")
        else:
            seen.add(name.lower())
            topics.append(Topic(name, english, spanish))
    if len(topics) > MAX_TOPICS:
        problems.append(f"{len(topics)} topics: only the first {MAX_TOPICS} are used")
        topics = topics[:MAX_TOPICS]
    return topics, problems


def parse_taxonomy(text: str, kind: str, source: str) -> Taxonomy:
    """A taxonomy from the text of a topics file (kind "csv" or "json"); the default when unusable."""
    try:
        if kind == "json":
            data = json.loads(text)
            if isinstance(data, dict):
                data = data.get("topics", data)
            if isinstance(data, dict):  # {"topic": {"en": [...], "es": [...]}}
                data = [
                    {"topic": name, **(v if isinstance(v, dict) else {"en": v})} for name, v in data.items()
                ]
            if not isinstance(data, list):
                raise ValueError("expected a list of topics")
            records = data
        else:
            records = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    except (ValueError, csv.Error) as error:
        return _fallback(f"{source} could not be read ({error}); the built-in topics are used")
    topics, problems = _topics_from_records(records)
    if not topics:
        return _fallback(f"{source} has no usable topic; the built-in topics are used", problems)
    return Taxonomy(tuple(topics), source, tuple(problems))


def _fallback(problem: str, more: Sequence[str] = ()) -> Taxonomy:
    """The default taxonomy, noting why a file was not used."""
    return Taxonomy(default_taxonomy().topics, DEFAULT_SOURCE, (problem, *more))


def load_taxonomy(folder: str | Path | None) -> Taxonomy:
    """The taxonomy of a data source folder (topics.csv or topics.json), else the built-in default."""
    if folder is None or not Path(folder).is_dir():
        return default_taxonomy()
    for name in TOPICS_FILES:
        path = Path(folder) / name
        if not path.is_file():
            continue
        label = f"{name} in the data folder"
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return _fallback(
                    f"{label} is larger than {MAX_FILE_BYTES:,} bytes; the built-in topics are used"
                )
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return _fallback(f"{label} could not be read ({error}); the built-in topics are used")
        return parse_taxonomy(text, "json" if name.endswith(".json") else "csv", label)
    return default_taxonomy()


def taxonomy_frame(taxonomy: Taxonomy) -> pd.DataFrame:
    """The taxonomy as a table (topic, keywords_en, keywords_es): what topics.csv holds."""
    return pd.DataFrame(
        {
            "topic": [t.name for t in taxonomy.topics],
            "keywords_en": [f"{KEYWORD_SEPARATOR} ".join(t.english) for t in taxonomy.topics],
            "keywords_es": [f"{KEYWORD_SEPARATOR} ".join(t.spanish) for t in taxonomy.topics],
        }
    )


# --- matching --------------------------------------------------------------------------------------


def fold(texts: pa.Array | pd.Series | Sequence[str]) -> pa.Array:
    """Texts lower-cased with accents removed ("Policía" -> "policia"), as an Arrow string array."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    array = texts if isinstance(texts, pa.Array) else pa.array(pd.Series(texts, dtype="string[pyarrow]"))
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    lower = pc.utf8_lower(array)
    accented = pc.invert(pc.fill_null(pc.string_is_ascii(lower), True))
    if not pc.any(accented).as_py():
        return lower
    plain = pc.replace_substring_regex(
        pc.utf8_normalize(lower.filter(accented), form="NFKD"), pattern=r"\p{Mn}+", replacement=""
    )
    return pc.replace_with_mask(lower, accented, plain)


def fold_text(text: str) -> str:
    """One text folded as `fold` does."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def keyword_pattern(keywords: Sequence[str]) -> str | None:
    """A regular expression matching any keyword as whole words (None when there is no keyword)."""
    parts = []
    for keyword in keywords:
        word = fold_text(keyword).strip()
        prefix = word.endswith("*")
        word = word.rstrip("*").strip()
        if not word:
            continue
        body = r"\s+".join(re.escape(piece) for piece in word.split())
        parts.append(body + (r"\w*" if prefix else ""))
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return r"(?:^|\W)(?:" + "|".join(parts) + r")(?:$|\W)"


def language_groups(language: np.ndarray | pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Which texts take English keywords and which take Spanish ones, from per-text language tags."""
    if language is None:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    tags = pd.Series(np.asarray(language, dtype=object)).astype("string").str.strip().str.lower()
    spanish = np.array(tags.str.startswith(SPANISH).fillna(False), dtype=bool)
    english = np.array(tags.str.startswith(ENGLISH).fillna(False), dtype=bool)
    other = ~spanish & ~english  # another language, or none known: both keyword lists
    return english | other, spanish | other


def tag(
    texts: pa.Array | pd.Series | Sequence[str],
    taxonomy: Taxonomy,
    language: np.ndarray | pd.Series | None = None,
    folded: bool = False,
) -> np.ndarray:
    """A boolean matrix (texts x topics): which topics each text mentions, by its language's keywords."""
    array = texts if folded and isinstance(texts, pa.Array) else fold(texts)
    n = len(array)
    out = np.zeros((n, len(taxonomy.topics)), dtype=bool)
    if n == 0:
        return out
    filled = pc.fill_null(array, "")
    groups = []  # (rows, their texts) for the English and the Spanish keywords
    for rows in language_groups(language, n):
        if rows.all():
            groups.append((None, filled))
        elif rows.any():
            groups.append((np.flatnonzero(rows), filled.filter(pa.array(rows))))
        else:
            groups.append((None, None))
    for j, topic in enumerate(taxonomy.topics):
        for keywords, (rows, subset) in zip((topic.english, topic.spanish), groups, strict=True):
            pattern = keyword_pattern(keywords)
            if pattern is None or subset is None:
                continue
            hits = pc.match_substring_regex(subset, pattern).to_numpy(zero_copy_only=False)
            if rows is None:
                out[:, j] |= hits
            else:
                out[rows, j] |= hits
    return out


def tag_concerns(concerns: pd.DataFrame | None, taxonomy: Taxonomy) -> np.ndarray:
    """Topics of each concern (concerns x topics): its own topic when the taxonomy has it, else keywords.

    A concern whose `topic` names a taxonomy topic (ignoring case) gets that topic; any other is tagged
    by the keywords found in its topic and summary, in the language detected from them.
    """
    if concerns is None or len(concerns) == 0:
        return np.zeros((0, len(taxonomy.topics)), dtype=bool)
    names = {fold_text(n): j for j, n in enumerate(taxonomy.names)}
    own = concerns["topic"] if "topic" in concerns.columns else pd.Series(pd.NA, index=concerns.index)
    own_folded = fold(own.astype("string")).to_pylist()
    known = np.array([(t or "").strip() in names for t in own_folded], dtype=bool)
    out = np.zeros((len(concerns), len(taxonomy.topics)), dtype=bool)
    for i in np.flatnonzero(known):
        out[i, names[own_folded[i].strip()]] = True
    if (~known).any():
        text = own.astype("string").fillna("")
        if "summary" in concerns.columns:
            text = text + " " + concerns["summary"].astype("string").fillna("")
        text = text[~known]
        out[~known] = tag(text, taxonomy, detect_language(text).to_numpy())
    return out


def combinations(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's combination of topics as a code, and the topics of each code (codes x topics)."""
    topics = matrix.shape[1]
    if matrix.shape[0] == 0:
        return np.zeros(0, dtype="int32"), np.zeros((0, topics), dtype=bool)
    if topics > MAX_TOPICS:
        unique, codes = np.unique(matrix, axis=0, return_inverse=True)
        return codes.reshape(-1).astype("int32"), unique.astype(bool)
    bits = np.left_shift(np.uint64(1), np.arange(topics, dtype=np.uint64))
    packed = (matrix.astype(np.uint64) * bits).sum(axis=1, dtype=np.uint64)
    unique, codes = np.unique(packed, return_inverse=True)
    combos = (unique[:, np.newaxis] & bits) > 0
    return codes.reshape(-1).astype("int32"), combos
