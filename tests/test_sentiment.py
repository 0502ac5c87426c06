"""Comment sentiment: labels, language, scoring each distinct text once, and the on-disk cache."""

from __future__ import annotations

import logging
import math
import sys
import types
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cpdash.metrics.sentiment import CLASS_NAMES, NEGATIVE, POSITIVE, classify
from cpdash.text import sentiment as s

POSITIVE_TEXT = "Officer Diaz was great, friendly and really helpful. Thank you!"
NEGATIVE_TEXT = "The police never listen to us. Terrible, rude and useless."
NEUTRAL_TEXT = "The meeting is on Tuesday at the library."
SPANISH_TEXT = "La policía no escucha a los vecinos del barrio."


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text VADER scores (in this process)."""
    seen: list[str] = []
    original = SentimentIntensityAnalyzer.polarity_scores

    def counting(self: SentimentIntensityAnalyzer, text: str) -> dict[str, float]:
        seen.append(text)
        return original(self, text)

    monkeypatch.setattr(SentimentIntensityAnalyzer, "polarity_scores", counting)
    return seen


def label(scores: pd.Series) -> list[str]:
    """The sentiment class name of each compound score, as the metrics define them."""
    return [CLASS_NAMES[code] for code in classify(scores.to_numpy())]


def test_thresholds() -> None:
    assert (POSITIVE, NEGATIVE) == (0.05, -0.05)
    labels = label(pd.Series([0.05, -0.05, 0.0499, -0.0499, np.nan, 0.9]))
    assert labels == ["positive", "negative", "neutral", "neutral", "not scored", "positive"]


def test_known_texts_get_the_right_label(tmp_path: Path) -> None:
    comments = pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT, NEUTRAL_TEXT])
    scores, stats = s.score_comments(comments, cache_dir=tmp_path)
    assert label(scores) == ["positive", "negative", "neutral"]
    assert scores.iloc[0] >= 0.5 and scores.iloc[1] <= -0.5 and scores.iloc[2] == 0.0
    assert (stats.comments, stats.distinct, stats.not_english) == (3, 3, 0)


def test_spanish_is_not_scored_and_is_counted(tmp_path: Path, counter: list[str]) -> None:
    comments = pd.Series([SPANISH_TEXT, POSITIVE_TEXT, "¿Dónde está la patrulla?", SPANISH_TEXT])
    scores, stats = s.score_comments(comments, cache_dir=tmp_path)
    assert scores.isna().tolist() == [True, False, True, True]
    assert stats.not_english == 3  # rows, not distinct texts
    assert stats.distinct == 1 and counter == [POSITIVE_TEXT]


def test_language_column_is_used_when_given(tmp_path: Path) -> None:
    comments = pd.Series([POSITIVE_TEXT, POSITIVE_TEXT, SPANISH_TEXT, NEGATIVE_TEXT])
    # Row 1 is tagged Spanish (kept unscored); row 2 has no tag, so it is detected (Spanish).
    language = pd.Series(["en", "es", None, "en-US"])
    scores, stats = s.score_comments(comments, language=language, cache_dir=tmp_path)
    assert scores.isna().tolist() == [False, True, True, False]
    assert stats.not_english == 2


def test_detect_language() -> None:
    texts = pd.Series(
        [
            SPANISH_TEXT,
            "Necesitamos más patrullas en la calle",
            "Muy bien, gracias",
            POSITIVE_TEXT,
            NEUTRAL_TEXT,
            "ok",
            None,
            "Café was nice",
        ]
    )
    assert s.detect_language(texts).tolist() == ["es", "es", "es", "en", "en", "en", "en", "en"]
    assert len(s.detect_language(pd.Series([], dtype="str"))) == 0


def test_each_distinct_text_is_scored_once(tmp_path: Path, counter: list[str]) -> None:
    comments = pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT, POSITIVE_TEXT, f"  {POSITIVE_TEXT} ", NEGATIVE_TEXT])
    scores, stats = s.score_comments(comments, cache_dir=tmp_path)
    assert sorted(counter) == sorted([POSITIVE_TEXT, NEGATIVE_TEXT])
    assert (stats.comments, stats.distinct, stats.scored_now, stats.from_cache) == (5, 2, 2, 0)
    assert scores.iloc[0] == scores.iloc[2] == scores.iloc[3]


def test_second_call_reads_the_cache(tmp_path: Path, counter: list[str]) -> None:
    comments = pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT, NEUTRAL_TEXT, None])
    first, stats1 = s.score_comments(comments, cache_dir=tmp_path)
    assert stats1.scored_now == 3 and (tmp_path / s.CACHE_FILE).exists()
    counter.clear()
    second, stats2 = s.score_comments(comments, cache_dir=tmp_path)
    assert counter == []
    assert (stats2.scored_now, stats2.from_cache, stats2.distinct) == (0, 3, 3)
    pd.testing.assert_series_equal(first, second)
    # A new text alongside cached ones: only it is scored, and the cache keeps the old ones.
    more = pd.concat([comments, pd.Series(["Thanks for the coffee, lovely chat"])], ignore_index=True)
    _, stats3 = s.score_comments(more, cache_dir=tmp_path)
    assert (stats3.scored_now, stats3.from_cache) == (1, 3) and len(counter) == 1


def test_cache_stores_hashes_not_text(tmp_path: Path) -> None:
    s.score_comments(pd.Series([POSITIVE_TEXT]), cache_dir=tmp_path)
    stored = pd.read_parquet(tmp_path / s.CACHE_FILE)
    assert stored["key"].tolist() == [s.text_key(POSITIVE_TEXT)]
    assert len(stored["key"].iloc[0]) == 2 * s.KEY_BYTES
    assert POSITIVE_TEXT.encode() not in (tmp_path / s.CACHE_FILE).read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name != s.CACHE_FILE]  # no temporary file left


def test_corrupt_cache_is_rebuilt(tmp_path: Path, counter: list[str]) -> None:
    (tmp_path / s.CACHE_FILE).write_bytes(b"this is not parquet")
    comments = pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT])
    scores, stats = s.score_comments(comments, cache_dir=tmp_path)
    assert stats.scored_now == 2 and not scores.isna().any()
    counter.clear()
    _, stats2 = s.score_comments(comments, cache_dir=tmp_path)
    assert stats2.from_cache == 2 and counter == []


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    scores, stats = s.score_comments(pd.Series([POSITIVE_TEXT]), cache_dir=blocker / "cache")
    assert stats.scored_now == 1 and scores.iloc[0] > 0


def test_cache_directory_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(s.CACHE_ENV, str(tmp_path / "nested" / "cache"))
    assert s.cache_dir_default() == tmp_path / "nested" / "cache"
    s.score_comments(pd.Series([POSITIVE_TEXT]))
    assert (tmp_path / "nested" / "cache" / s.CACHE_FILE).exists()


def test_blank_and_missing_comments(tmp_path: Path, counter: list[str]) -> None:
    comments = pd.Series([None, "", "   ", pd.NA, np.nan, "\n\t"], dtype="object")
    scores, stats = s.score_comments(comments, cache_dir=tmp_path)
    assert scores.isna().all() and counter == []
    assert (stats.comments, stats.distinct, stats.not_english) == (0, 0, 0)
    empty, stats = s.score_comments(pd.Series([], dtype="str"), cache_dir=tmp_path)
    assert len(empty) == 0 and stats.comments == 0


def test_index_alignment_is_preserved(tmp_path: Path) -> None:
    index = pd.Index([42, 7, 1000, 3], name="row")
    comments = pd.Series([NEGATIVE_TEXT, None, POSITIVE_TEXT, SPANISH_TEXT], index=index, dtype="str")
    scores, _ = s.score_comments(comments, cache_dir=tmp_path)
    assert scores.index.equals(index)
    assert scores.loc[42] < 0 and math.isnan(scores.loc[7]) and scores.loc[1000] > 0
    assert math.isnan(scores.loc[3])
    language = pd.Series(["es", "en", "en", "en"], index=[3, 1000, 7, 42])  # aligned by label
    again, _ = s.score_comments(comments, language=language, cache_dir=tmp_path)
    pd.testing.assert_series_equal(again, scores)


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    comments = pd.Series([f" {POSITIVE_TEXT} ", None], dtype="str")
    before = comments.copy()
    s.score_comments(comments, cache_dir=tmp_path)
    pd.testing.assert_series_equal(comments, before)


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[float, str]] = []
    s.score_comments(
        pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT]),
        cache_dir=tmp_path,
        progress=lambda f, m: calls.append((f, m)),
    )
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(message, str) and message for _, message in calls)


def test_process_pool_gives_the_same_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(s, "MIN_CHUNK", 5)
    texts = pd.Series([f"{text} ({i})" for i in range(12) for text in (POSITIVE_TEXT, NEGATIVE_TEXT)])
    pooled, stats = s.score_comments(texts, cache_dir=tmp_path / "pool", workers=2)
    serial, _ = s.score_comments(texts, cache_dir=tmp_path / "serial", workers=1)
    assert stats.scored_now == 24
    pd.testing.assert_series_equal(pooled, serial)


def test_pool_workers_do_not_run_the_main_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Under Streamlit the app script is __main__: a spawned worker would run it again, and break the pool.
    script = tmp_path / "app.py"
    script.write_text("raise SystemExit('the app script ran in a worker')\n", encoding="utf-8")
    app = types.ModuleType("__main__")
    app.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", app)
    monkeypatch.setattr(s, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(s, "MIN_CHUNK", 5)
    texts = pd.Series([f"{text} ({i})" for i in range(12) for text in (POSITIVE_TEXT, NEGATIVE_TEXT)])
    with caplog.at_level(logging.WARNING, logger=s.__name__):
        scores, stats = s.score_comments(texts, cache_dir=tmp_path / "cache", workers=2)
    assert stats.scored_now == 24 and scores.notna().all()
    assert not caplog.records  # the pool worked: no fallback
    assert sys.modules["__main__"] is app  # put back


def test_a_broken_pool_falls_back_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> list[float]:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(s, "_score_parallel", broken)
    monkeypatch.setattr(s, "PARALLEL_MIN_TEXTS", 2)
    with caplog.at_level(logging.WARNING, logger=s.__name__):
        scores, stats = s.score_comments(
            pd.Series([POSITIVE_TEXT, NEGATIVE_TEXT]), cache_dir=tmp_path, workers=2
        )
    assert stats.scored_now == 2 and scores.iloc[0] > 0 > scores.iloc[1]
    assert "worker pool failed" in caplog.text


def test_a_long_comment_is_scored_by_its_first_part() -> None:
    """VADER's cost grows with the square of a text's length (a 1 MB comment: minutes): what follows the
    first SCORED_CHARS characters is not scored."""
    head = ("the " * s.SCORED_CHARS)[: s.SCORED_CHARS]
    assert s.score_texts([head + "terrible awful horrible " * 200]) == [0.0]
    assert s.score_texts(["terrible awful horrible " * 200])[0] < -0.9
