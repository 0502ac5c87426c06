"""Comment sentiment scored after the load: the data set is shown at once and its sentiment filled in later.

VADER reads about 35,000 comments a second per core, so a million new comments take longer than the rest
of a load. A load that may leave it for later (`load_dataset(..., later=N)`) returns the data set without
sentiment when at least N comments need scoring, with a Scoring that says which rows will be scored;
`finish` then scores them (reading the score cache first) and gives the complete data set, whose responses
are saved as their validated snapshot so the next start is fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cpdash.data.dataset import SENTIMENT, Dataset, LoadReport, Scoring
from cpdash.data.snapshot import Saved, TableSnapshots, save
from cpdash.text.sentiment import Progress, Scorer, SentimentStats, scorable, score_comments

BACKGROUND_NICENESS = 10  # scoring's worker processes yield the CPU to the pages being served


def note(stats: SentimentStats) -> str:
    """What scoring did, for the load report."""
    return (
        f"comment sentiment: {stats.comments:,} comments, {stats.distinct:,} distinct texts, "
        f"{stats.scored_now:,} scored now, {stats.from_cache:,} from the score cache, "
        f"{stats.not_english:,} not in English (not scored)"
    )


def scored(
    responses: pd.DataFrame, report: LoadReport, cache_dir: Path | None, progress: Progress | None = None
) -> pd.DataFrame:
    """The responses with the VADER compound score of each comment (NaN where none, or not English)."""
    if "comment" not in responses or responses["comment"].notna().sum() == 0:
        return responses.assign(**{SENTIMENT: np.nan})
    scores, stats = score_comments(
        responses["comment"], responses.get("language"), cache_dir=cache_dir, progress=progress
    )
    report.notes.append(note(stats))
    return responses.assign(**{SENTIMENT: scores.to_numpy(dtype="float64")})


def defer(
    responses: pd.DataFrame, later: int, cache_dir: Path | None, snapshots: TableSnapshots | None
) -> Scoring | None:
    """The scoring left for later when at least `later` comments are to be scored (None: score them now)."""
    if "comment" not in responses or responses["comment"].notna().sum() < max(later, 1):
        return None
    rows, distinct = scorable(responses["comment"], responses.get("language"))
    if int(rows.sum()) < max(later, 1):
        return None
    path = snapshots.path("responses") if snapshots is not None and "responses" in snapshots.files else None
    return Scoring(rows, distinct, cache_dir, path)


def finish(
    ds: Dataset, scorer: Scorer | None = None, ready: Callable[[Dataset], None] | None = None
) -> Dataset:
    """The data set with its comments' sentiment (ds itself when nothing was left to score), handed to
    `ready` as soon as it is made; the scored responses are then saved as their snapshot. `scorer` replaces
    VADER (tests hold it back)."""
    job = ds.scoring
    if job is None or ds.responses is None:
        return ds
    responses = ds.responses
    scores, stats = score_comments(
        responses["comment"],
        responses.get("language"),
        cache_dir=job.cache_dir,
        tally=job.tally,
        scorer=scorer,
        niceness=BACKGROUND_NICENESS,
    )
    responses = responses.assign(**{SENTIMENT: scores.to_numpy(dtype="float64")})
    text = note(stats)
    ds.report.notes.append(text)
    ds.report.seconds["sentiment"] = stats.seconds
    complete = dataclasses.replace(ds, responses=responses, scoring=None)
    if ready is not None:
        ready(complete)
    if job.snapshot is not None:
        save(job.snapshot, "responses", Saved(responses, ds.report.tables.get("responses"), (text,)))
    return complete
