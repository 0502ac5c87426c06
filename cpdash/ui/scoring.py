"""Comment sentiment scored in the background: once per data version per server process, in a thread, while
every page shows what does not rest on it; open pages fill in when it is done."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import streamlit as st

from cpdash.data.dataset import Dataset
from cpdash.data.scoring import finish
from cpdash.metrics.sentiment import PENDING

POLL_SECONDS = 2.0  # how often an open page asks whether scoring is done
log = logging.getLogger(__name__)


class Holder(Protocol):
    """Where a source's data set lives (cpdash.ui.data's slot): scoring puts the complete one there."""

    dataset: Dataset | None


def begin(holder: Holder) -> None:
    """Score the held data set's comments in a thread of this process; the holder then gets the complete
    data set (its responses saved as their snapshot, so the next start is fast). Call once per data set."""
    ds = holder.dataset
    if ds is None or ds.scoring is None:
        return
    job = ds.scoring

    def ready(complete: Dataset) -> None:  # pages fill in now; the snapshot is saved after
        holder.dataset = complete
        job.finished = True

    def run() -> None:
        try:
            finish(ds, ready=ready)
        except Exception as exc:  # scoring failing leaves the figures waiting, and says why
            log.exception("scoring comment sentiment failed")
            if not job.finished:
                job.failed = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"
        finally:
            job.finished = True

    threading.Thread(target=run, name="cpdash-sentiment", daemon=True).start()


def status_text(ds: Dataset) -> str | None:
    """What scoring has done, in words (None when the data set's sentiment is ready)."""
    job = ds.scoring
    if job is None:
        return None
    if job.failed:
        return f"Sentiment could not be computed ({job.failed}): the figures that rest on it are not shown."
    return (
        f"{PENDING} ({job.done:,} of {job.total:,} comments): the figures that rest on it show when it is "
        "done, and this page fills in by itself. Every other figure is final."
    )


def sentiment_status(ds: Dataset) -> None:
    """While the data set's sentiment is being scored: say how far it has got, and rerun the page once done."""
    job = ds.scoring
    if job is None:
        return

    @st.fragment(run_every=POLL_SECONDS if not job.failed else None)
    def status() -> None:
        if job.finished and not job.failed:
            st.rerun(scope="app")
        text = status_text(ds)
        if text:
            (st.warning if job.failed else st.info)(text, icon="⏳")

    status()
