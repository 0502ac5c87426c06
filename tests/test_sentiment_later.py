"""Comment sentiment scored after the load: the data set comes at once, every figure resting on sentiment says
it is still being computed (never a partial figure), the counts the small-numbers policy reads are already
final, and the page fills in once scoring is done."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cpdash.config import DEFAULT_DATA, REPO_ROOT
from cpdash.data.dataset import SENTIMENT
from cpdash.data.load import load_dataset
from cpdash.data.scoring import finish
from cpdash.metrics import sentiment
from cpdash.metrics.gather import AREA
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import period_grid, refusal
from cpdash.metrics.suppression import Policy
from cpdash.text.sentiment import score_texts
from cpdash.views import map as map_view
from cpdash.views import town_hall, voice_explorer, voice_sentiment, voice_topics
from cpdash.views.figures import COMPUTING, sentiment_card


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory):
    """The sample data loaded twice: scored at once, and with its scoring left for later."""
    cache = tmp_path_factory.mktemp("cache")
    now = load_dataset(DEFAULT_DATA, cache_dir=cache / "now")
    later = load_dataset(DEFAULT_DATA, cache_dir=cache / "later", later=1)
    return now, later, cache / "later"


def period(src: MemorySource) -> Filters:
    first, last = src.extent()
    return Filters(first, last)


def test_a_load_that_leaves_scoring_for_later_has_no_sentiment_yet(loads) -> None:
    now, later, _ = loads
    assert now.scoring is None and SENTIMENT in now.responses.columns
    assert later.scoring is not None and SENTIMENT not in later.responses.columns
    assert later.scoring.scorable.sum() == now.responses[SENTIMENT].notna().sum()
    assert later.scoring.done == 0 and later.scoring.total > 0


def test_a_load_with_few_comments_to_score_scores_them_at_once(tmp_path: Path) -> None:
    ds = load_dataset(DEFAULT_DATA, cache_dir=tmp_path, later=10**9)
    assert ds.scoring is None and ds.responses[SENTIMENT].notna().any()


def test_the_counts_the_policy_reads_are_final_while_scoring(loads) -> None:
    now, later, _ = loads
    done, waiting = MemorySource(now), MemorySource(later)
    f = period(done)
    assert waiting.has("sentiment") and sentiment.pending(waiting) and not sentiment.pending(done)
    a, b = sentiment.net_sentiment(waiting, f), sentiment.net_sentiment(done, f)
    assert (a.n, a.comments) == (b.n, b.comments)
    by_area = sentiment.net_by(waiting, f, (AREA,))[["n", "comments"]]
    assert by_area.equals(sentiment.net_by(done, f, (AREA,))[["n", "comments"]])
    public = Policy(10, public=True)
    assert period_grid(waiting, public) == period_grid(done, public)
    areas = tuple(now.areas["area_id"][:2])
    names = dict(zip(now.areas["area_id"], now.areas["name"], strict=True))
    for chosen in ((areas[0],), areas):
        g = f.with_areas(chosen)
        assert refusal(waiting, g, public, names) == refusal(done, g, public, names)


def test_every_figure_resting_on_sentiment_waits_for_it(loads) -> None:
    now, later, _ = loads
    waiting, done = MemorySource(later), MemorySource(now)
    f = period(done)
    policy = Policy(10)
    card = sentiment_card(waiting, f, f.compared("previous"), policy)
    assert card.value == COMPUTING and sentiment.PENDING in card.note
    assert sentiment_card(done, f, f.compared("previous"), policy).value not in (COMPUTING, "—")
    tab = voice_sentiment.sentiment_tab(waiting, f, policy, {})
    assert tab.empty.startswith(sentiment.PENDING) and len(tab.table) == 0
    topics = voice_topics.topics_tab(waiting, f, policy)
    assert topics.shares["net"].isna().all()
    assert not set(voice_topics.SENTIMENT_COLUMNS) & set(topics.table.columns)  # left out, not blank
    assert "Comments" in topics.table.columns and "the CSV has it then" in topics.sentiment_note
    assert set(voice_topics.SENTIMENT_COLUMNS) <= set(voice_topics.topics_tab(done, f, policy).table.columns)
    assert len(topics.sentiment) == 0 and sentiment.PENDING in topics.sentiment_note
    assert voice_topics.topics_tab(done, f, policy).shares["net"].notna().any()
    assert voice_explorer.choices(waiting).classes == ()
    found = voice_explorer.explorer(waiting, f, policy, {}, sentiment_class="positive")
    assert set(found.frame["Sentiment"]) == {voice_explorer.WAITING}
    assert found.matches == voice_explorer.explorer(done, f, policy, {}).matches  # the filter waits too
    assert sentiment.PENDING in found.caption
    measures, missing = map_view.measure_options(waiting)
    assert "sentiment" not in measures and "still being computed" in missing["sentiment"]
    assert "sentiment" in map_view.measure_options(done)[0]
    area = str(now.areas["area_id"].iloc[0])
    setup = town_hall.setup(waiting, later, area, f, policy, public_safe=False)
    assert setup.pack_waits and sentiment.PENDING in setup.pack_waits
    assert town_hall.setup(done, now, area, f, policy, public_safe=False).pack_waits is None


def test_finishing_gives_the_scores_a_load_gives_and_saves_them(loads) -> None:
    now, later, cache = loads
    complete = finish(later)
    assert complete.scoring is None
    assert later.scoring.done == later.scoring.total
    assert np.array_equal(
        complete.responses[SENTIMENT].to_numpy(), now.responses[SENTIMENT].to_numpy(), equal_nan=True
    )
    again = load_dataset(DEFAULT_DATA, cache_dir=cache, later=1)  # the next start: from the snapshot
    assert again.scoring is None
    assert np.array_equal(
        again.responses[SENTIMENT].to_numpy(), complete.responses[SENTIMENT].to_numpy(), equal_nan=True
    )


# --- the app -------------------------------------------------------------------------------------------


@pytest.mark.apptest
def test_the_overview_shows_sentiment_once_scoring_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env
) -> None:
    from cpdash.ui import scoring

    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA, data)  # a data version no other test has loaded in this process
    env(data, CPDASH_SCORE_LATER="1")  # any comment left to score goes to the background
    release = threading.Event()
    finish = scoring.finish

    def held_back(texts: list[str]) -> list[float]:
        release.wait()
        return score_texts(texts)

    monkeypatch.setattr(scoring, "finish", lambda ds, ready: finish(ds, scorer=held_back, ready=ready))
    at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)
    try:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert [m.value for m in at.metric if m.label.startswith("Sentiment")] == [COMPUTING]
        said = " ".join(i.value for i in at.info)
        assert "Sentiment is still being computed (0 of " in said
        trust = [m.value for m in at.metric if m.label.startswith("Trust")]
        assert len(trust) == 1 and trust[0] not in (COMPUTING, "—")  # every other figure shows at once
        at.switch_page("pages/town_hall.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert town_hall.PACK_WAITS in [i.value for i in at.info]  # the pack is refused, and says why
        assert not packs(at)
        for page in sorted(
            p.stem for p in (REPO_ROOT / "pages").glob("*.py")
        ):  # each page fills in by itself
            at.switch_page(f"pages/{page}.py")
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert any("Sentiment is still being computed (0 of " in i.value for i in at.info), page
        at.switch_page("pages/town_hall.py")
        at.run()
        voice = voice_tab("Comment sentiment")  # another session: the same data set, still being scored
        assert any(i.value.startswith(sentiment.PENDING + ": net sentiment") for i in voice.info)
        assert not voice.get("plotly_chart")
        voice = voice_tab("Comment explorer")
        assert voice.selectbox(key="voice_explorer_sentiment").options == ["Any"]
        assert any(sentiment.PENDING in c.value for c in voice.caption)
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name == "cpdash-sentiment":
            thread.join()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert packs(at) and town_hall.PACK_WAITS not in [i.value for i in at.info]
    at.switch_page("pages/overview.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [m.value for m in at.metric if m.label.startswith("Sentiment")]
    assert len(shown) == 1 and shown[0] not in (COMPUTING, "—")
    assert not any("still being computed" in i.value for i in at.info)


def voice_tab(tab: str) -> AppTest:
    """A new session on the Community voice page with `tab` open."""
    at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["voice_tab"] = tab
    at.switch_page("pages/community_voice.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def packs(at: AppTest) -> list:
    """The town hall's pack downloads on the page."""
    return [b for b in at.get("download_button") if b.proto.label.startswith(("Pack", "Everything"))]
