"""Comment sentiment: the VADER compound score of each comment, computed once per distinct text and cached.

VADER is an English-only lexicon, so comments recognised as Spanish (or given another language) are not
scored: their score is NaN and they are counted in `SentimentStats.not_english`.

The cache is a parquet file of (key, compound) pairs, where key is a BLAKE2b hash of the scorer version
and the text: the comments themselves are never written to the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import math
import os
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# --- constants -------------------------------------------------------------------------------------

SCORER = "vaderSentiment"  # the package that scores; its version is part of every cache key
CACHE_ENV = "CPDASH_CACHE"  # environment variable naming the cache directory
CACHE_DEFAULT = Path(__file__).resolve().parents[2] / ".cache"
CACHE_FILE = "sentiment.parquet"
KEY_BYTES = 16  # BLAKE2b digest size of a cache key
PARALLEL_MIN_TEXTS = 20_000  # score in a process pool when at least this many texts need scoring
CHUNKS_PER_WORKER = 8  # pool work is split into about this many chunks per worker
MIN_CHUNK = 2_000  # ... of at least this many texts
SCORED_CHARS = 5_000  # the part of a comment scored: VADER's cost grows with the square of a text's length
ENGLISH = "en"
SPANISH = "es"
SPANISH_NAMES = ("spanish", "espanol", "castellano", "spa")  # other tags read as Spanish

# Language detection: a text is Spanish when its Spanish evidence outweighs its English evidence.
# Evidence is the number of whole-word stop words of each language (words frequent in one language
# and rare in the other; words shared by both, like "no", "me" or "a", are left out), plus
# SPANISH_MARK_WEIGHT when the text has a letter or sign English does not use (ñ, accented vowels,
# ¿, ¡). Texts with no evidence either way are English, so VADER scores them.
SPANISH_WORDS = (  # space-separated
    "el la los las lo les un una unos unas y pero que de del al en con sin por para muy más mas "
    "es son está están esta estoy estaba fue ser hay tiene tienen hace hacer nos nosotros nuestra "
    "nuestro nuestros mi mis su sus tu yo usted ellos se como cuando donde porque también tambien "
    "todo todos toda siempre nunca bien gracias policía policia policías policias barrio vecinos "
    "calle seguridad seguro segura ayuda necesitamos quiero gusta bueno buena malo mala"
)
ENGLISH_WORDS = (  # space-separated
    "the and or but of to in on at for with without from by is are was were be been am it its this "
    "that these those they them their we our us you your he she his her i my not have has had do does "
    "did will would should could can very more much all there here what when where why how as so if "
    "just like about get got love day today police officer officers neighborhood neighbourhood street "
    "safe safety thank thanks great good bad help"
)
SPANISH_MARKS = "ñáéíóúü¿¡"
SPANISH_MARK_WEIGHT = 1


def _word_pattern(words: str) -> str:
    """A regular expression matching any of the space-separated `words` as a whole word."""
    return r"\b(?:" + "|".join(sorted(set(words.split()), key=len, reverse=True)) + r")\b"


_SPANISH_PATTERN = _word_pattern(SPANISH_WORDS)
_ENGLISH_PATTERN = _word_pattern(ENGLISH_WORDS)
_MARKS_PATTERN = "[" + SPANISH_MARKS + "]"

log = logging.getLogger(__name__)


def _scorer_version() -> str:
    """Tag of the scorer in cache keys: the installed VADER version and the score kept."""
    try:
        version = importlib.metadata.version(SCORER)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"vader-{version}/compound"


SCORER_VERSION = _scorer_version()  # a new VADER version starts a fresh set of keys

Progress = Callable[[float, str], None]
Tally = Callable[[int, int], None]  # (distinct comments scored so far, distinct comments to score)
Scorer = Callable[[list[str]], list[float]]  # compound scores of texts, in order


# --- language --------------------------------------------------------------------------------------


def detect_language(texts: pd.Series) -> pd.Series:
    """'es' or 'en' per text by counting Spanish and English stop words (NA text is 'en')."""
    if len(texts) == 0:
        return pd.Series([], index=texts.index, dtype="str", name="language")
    # Arrow's RE2 counts in C++; its ASCII-only \b also splits words at accented letters, which
    # only adds Spanish evidence to texts that have such letters (already counted as Spanish marks).
    lower = pc.utf8_lower(pa.array(texts.astype("string[pyarrow]").fillna("")))
    spanish = pc.count_substring_regex(lower, _SPANISH_PATTERN).to_numpy(zero_copy_only=False)
    marks = pc.match_substring_regex(lower, _MARKS_PATTERN).to_numpy(zero_copy_only=False)
    english = pc.count_substring_regex(lower, _ENGLISH_PATTERN).to_numpy(zero_copy_only=False)
    is_spanish = spanish + marks.astype("int64") * SPANISH_MARK_WEIGHT > english
    return pd.Series(np.where(is_spanish, SPANISH, ENGLISH), index=texts.index, dtype="str", name="language")


def _english_tags(language: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which rows have a language tag, and which tags are English ('en', 'en-US', 'English')."""
    tags = language.astype("string").str.strip().str.lower()
    known = np.array((tags.notna() & (tags != "")).fillna(False), dtype=bool)
    english = np.array(tags.str.startswith("en").fillna(False), dtype=bool)
    return known, english & known


# --- the cache -------------------------------------------------------------------------------------


def cache_dir_default() -> Path:
    """The cache directory: $CPDASH_CACHE, else `.cache` at the repository root."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value) if value else CACHE_DEFAULT


def text_key(text: str) -> str:
    """Cache key of `text`: 16-byte BLAKE2b hex of the scorer version and the UTF-8 text."""
    data = (SCORER_VERSION + "\x00" + text).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=KEY_BYTES).hexdigest()


class SentimentCache:
    """Compound scores on disk, keyed by `text_key`, in one parquet file replaced atomically."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        """Open (not yet read) the cache in `cache_dir`, or the default directory."""
        self.directory = Path(cache_dir) if cache_dir is not None else cache_dir_default()
        self.path = self.directory / CACHE_FILE
        self._scores: pd.Series | None = None

    def load(self) -> pd.Series:
        """Every cached score (float64, indexed by key); an unreadable file counts as empty."""
        if self._scores is not None:
            return self._scores
        scores = pd.Series([], dtype="float64", index=pd.Index([], dtype="str", name="key"))
        if self.path.exists():
            try:
                frame = pd.read_parquet(self.path, columns=["key", "compound"])
                scores = pd.Series(
                    frame["compound"].astype("float64").to_numpy(),
                    index=pd.Index(frame["key"].astype("str"), name="key"),
                )
                scores = scores[~scores.index.duplicated(keep="last")]
            except Exception as error:  # a corrupt cache is rebuilt, never fatal
                log.warning("ignoring unreadable sentiment cache %s: %s", self.path, error)
        self._scores = scores
        return scores

    def lookup(self, keys: list[str]) -> np.ndarray:
        """Cached scores of `keys` in order, NaN where not cached."""
        if not keys:
            return np.zeros(0)
        return self.load().reindex(pd.Index(keys, dtype="str")).to_numpy(dtype="float64", copy=True)

    def add(self, keys: list[str], scores: np.ndarray) -> bool:
        """Add scores and write the file atomically; False (and a warning) when it cannot be written."""
        if not keys:
            return True
        new = pd.Series(np.asarray(scores, dtype="float64"), index=pd.Index(keys, dtype="str", name="key"))
        merged = pd.concat([self.load(), new])
        merged = merged[~merged.index.duplicated(keep="last")]
        self._scores = merged
        frame = pd.DataFrame({"key": merged.index.to_numpy(), "compound": merged.to_numpy()})
        tmp_name = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".sentiment-", suffix=".tmp", dir=self.directory)
            os.close(fd)
            frame.to_parquet(tmp_name, index=False)
            os.replace(tmp_name, self.path)
            return True
        except Exception as error:  # a cache that cannot be written is skipped, never fatal
            log.warning("could not write the sentiment cache %s: %s", self.path, error)
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
            return False


# --- scoring ---------------------------------------------------------------------------------------

_ANALYZER: SentimentIntensityAnalyzer | None = None
_MAIN_LOCK = threading.Lock()  # one pool at a time swaps the main module


def analyzer() -> SentimentIntensityAnalyzer:
    """The process's VADER analyzer, created on first use."""
    global _ANALYZER
    if _ANALYZER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


def score_texts(texts: list[str]) -> list[float]:
    """VADER compound score of each text (its first SCORED_CHARS characters), in this process."""
    vader = analyzer()
    return [float(vader.polarity_scores(text[:SCORED_CHARS])["compound"]) for text in texts]


@contextlib.contextmanager
def _workers_skip_main() -> Iterator[None]:
    """While workers start, hide the running program's main module from them.

    A spawned worker first runs the parent's `__main__` again (as `__mp_main__`). Under Streamlit that is
    the app script itself, which would load the data and start workers of its own: the pool breaks. The
    workers only need this module, so they are started with a bare `__main__` in its place.
    """
    main = sys.modules.get("__main__")
    if main is None or (getattr(main, "__spec__", None) is None and getattr(main, "__file__", None) is None):
        yield
        return
    with _MAIN_LOCK:
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def _score_parallel(
    texts: list[str],
    workers: int,
    progress: Progress | None,
    done: float,
    counted: Callable[[int], None],
    niceness: int = 0,
) -> list[float]:
    """Score `texts` in a pool of `workers` processes (niced by `niceness`), in chunks, in order."""
    size = max(MIN_CHUNK, math.ceil(len(texts) / (workers * CHUNKS_PER_WORKER)))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    results: list[list[float] | None] = [None] * len(chunks)
    nice = getattr(os, "nice", None) if niceness else None  # each worker lowers its own priority
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=nice, initargs=(niceness,)) as pool:
        with _workers_skip_main():  # workers start as tasks are submitted
            futures = {pool.submit(score_texts, chunk): i for i, chunk in enumerate(chunks)}
        for finished, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            counted(sum(len(chunk) for chunk in results if chunk is not None))
            if progress is not None:
                fraction = done + (1 - done) * 0.95 * finished / len(chunks)
                progress(fraction, f"Scored {min(finished * size, len(texts)):,} of {len(texts):,} comments")
    return [score for chunk in results for score in (chunk or [])]


def _score_serial(
    texts: list[str], progress: Progress | None, done: float, counted: Callable[[int], None], scorer: Scorer
) -> list[float]:
    """Score `texts` in this process with `scorer`, reporting progress every few thousand texts."""
    out: list[float] = []
    step = max(MIN_CHUNK, len(texts) // 20 or 1)
    for i in range(0, len(texts), step):
        out += scorer(texts[i : i + step])
        counted(len(out))
        if progress is not None:
            fraction = done + (1 - done) * 0.95 * len(out) / len(texts)
            progress(fraction, f"Scored {len(out):,} of {len(texts):,} comments")
    return out


@dataclass(frozen=True)
class SentimentStats:
    """What a scoring run did.

    comments: rows with a non-blank comment; distinct: distinct English texts (each scored once);
    scored_now + from_cache == distinct; not_english: comment rows left unscored as not English.
    """

    comments: int
    distinct: int
    scored_now: int
    from_cache: int
    not_english: int
    seconds: float


def score_comments(
    comments: pd.Series,
    language: pd.Series | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    tally: Tally | None = None,
    scorer: Scorer | None = None,
    niceness: int = 0,
) -> tuple[pd.Series, SentimentStats]:
    """VADER compound per row (NaN for blank or non-English text), each distinct text scored once, cached.

    `tally` hears how many distinct comments have their score so far; `scorer` replaces VADER (in this
    process); `niceness` lowers the worker processes' priority (scoring in the background).
    """
    started = time.perf_counter()

    def report(fraction: float, message: str) -> None:
        """Pass progress on to the caller, if it asked for it."""
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), message)

    report(0.02, "Finding the language of each comment")
    codes, uniques, has_text, english = _english_rows(comments, language)
    not_english = int((has_text & ~english).sum())
    unique_texts = np.asarray(uniques, dtype=object)
    positions = np.flatnonzero(np.bincount(codes[has_text & english], minlength=len(uniques)))
    distinct_texts = [str(t) for t in unique_texts[positions]]
    report(0.05, f"Looking up {len(distinct_texts):,} distinct comments in the cache")

    cache = SentimentCache(cache_dir)
    keys = [text_key(t) for t in distinct_texts]
    scores = cache.lookup(keys)
    missing = np.flatnonzero(np.isnan(scores))
    from_cache = len(keys) - len(missing)

    def counted(scored: int) -> None:  # tell the caller how many distinct comments have their score
        if tally is not None:
            tally(from_cache + scored, len(keys))

    counted(0)
    if len(missing):
        todo = [distinct_texts[i] for i in missing]
        pool_size = workers if workers is not None else (os.cpu_count() or 1)
        report(0.1, f"Scoring {len(todo):,} new comments")
        fresh = None
        if scorer is None and len(todo) >= PARALLEL_MIN_TEXTS and pool_size > 1:
            try:
                fresh = _score_parallel(todo, pool_size, progress, 0.1, counted, niceness)
            except (BrokenProcessPool, OSError, RuntimeError) as error:  # no pool: score here, slower
                log.warning("scoring in one process: the worker pool failed (%s)", error)
        if fresh is None:
            fresh = _score_serial(todo, progress, 0.1, counted, scorer or score_texts)
        scores[missing] = fresh
        cache.add([keys[i] for i in missing], scores[missing])

    per_unique = np.full(len(uniques), np.nan)
    per_unique[positions] = scores
    values = np.full(len(codes), np.nan)
    chosen = has_text & english
    values[chosen] = per_unique[codes[chosen]]
    result = pd.Series(values, index=comments.index, dtype="float64", name="sentiment")
    stats = SentimentStats(
        comments=int(has_text.sum()),
        distinct=len(keys),
        scored_now=len(missing),
        from_cache=from_cache,
        not_english=not_english,
        seconds=time.perf_counter() - started,
    )
    report(1.0, f"Sentiment ready: {stats.distinct:,} distinct comments, {stats.scored_now:,} scored now")
    return result, stats


def scorable(comments: pd.Series, language: pd.Series | None = None) -> tuple[np.ndarray, int]:
    """Which rows score_comments would score (non-blank, English), and how many distinct texts they hold."""
    codes, uniques, has_text, english = _english_rows(comments, language)
    chosen = has_text & english
    return chosen, int(np.count_nonzero(np.bincount(codes[chosen], minlength=len(uniques))))


def _english_rows(
    comments: pd.Series, language: pd.Series | None
) -> tuple[np.ndarray, pd.Index | np.ndarray, np.ndarray, np.ndarray]:
    """Each row's code into the distinct texts, the texts, whether it has text, and whether it is English."""
    text = comments.astype("string").str.strip()
    text = text.mask(text == "")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    has_text = codes >= 0
    english = np.ones(len(text), dtype=bool)
    if language is not None:
        tags = language if language.index.equals(text.index) else language.reindex(text.index)
        known, tagged_english = _english_tags(tags)
        english[known] = tagged_english[known]
        undecided = has_text & ~known
    else:
        undecided = has_text
    unique_texts = np.asarray(uniques, dtype=object)
    if undecided.any():
        need = np.flatnonzero(np.bincount(codes[undecided], minlength=len(uniques)))
        detected = detect_language(pd.Series(unique_texts[need], dtype="string"))
        unique_english = np.ones(len(uniques), dtype=bool)
        unique_english[need] = (detected == ENGLISH).to_numpy()
        english[undecided] = unique_english[codes[undecided]]
    return codes, uniques, has_text, english


def language_tags(language: pd.Series) -> pd.Series:
    """Language tags as the scorer reads them: 'en' for any English tag, 'es' for Spanish, else lower-cased.

    Blank or missing tags are NA (the language is then detected from the text).
    """
    tags = language.astype("string").str.strip().str.lower()
    tags = tags.mask(tags == "")
    tags = tags.mask(tags.str.startswith(ENGLISH).fillna(False), ENGLISH)
    spanish = tags.str.startswith(SPANISH).fillna(False) | tags.isin(SPANISH_NAMES).fillna(False)
    return tags.mask(spanish, SPANISH)
