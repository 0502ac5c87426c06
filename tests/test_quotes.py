"""Town-hall quotes reach the public only once staff approve them: the approvals are stored with the data
(a folder's `.cpdash/quotes.json`, a database's table), a public-safe town hall quotes only approved
comments (page, presenter, HTML/PDF/ZIP pack), and staff approve and withdraw them on the Data page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpdash.data.approvals import QUOTES_FILE, STATE_FOLDER, Approvals, quote_key
from cpdash.data.load import source_signature
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.suppression import Policy
from cpdash.views import town_hall as th
from cpdash.views import town_hall_quotes as quotes_view
from tests import small_groups
from tests.conftest import open_app_page
from tests.small_groups import BIG, POSITIVE
from tests.test_town_hall import COMMENTS, PERIOD, make_dataset
from tests.walk import collect, open_app, recording


def _key(ds, text: str) -> str:
    row = ds.responses[ds.responses["comment"] == text].iloc[0]
    return quote_key(row["response_id"], row["comment"])


def test_approvals_are_stored_in_the_folder_without_changing_the_data(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("event_id,start,program,area_id\nE1,2025-01-01,Other,A\n")
    before = source_signature(tmp_path)
    store = Approvals(tmp_path)
    assert store.read() == {}
    store.approve("R1:abc", "A", "A kind word.", "staff")
    store.approve("R2:def", "B", "Another.", "staff")
    stored = json.loads((tmp_path / STATE_FOLDER / QUOTES_FILE).read_text())
    assert set(stored) == {"R1:abc", "R2:def"} and stored["R1:abc"]["text"] == "A kind word."
    store.withdraw("R1:abc")
    assert Approvals(tmp_path).keys() == frozenset({"R2:def"})
    assert source_signature(tmp_path) == before  # approving is not a change of the data


def test_approvals_are_stored_in_a_database_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data.db'}"
    store = Approvals(url)
    assert store.read() == {}
    store.approve("R1:abc", "A", "A kind word.", "staff")
    store.approve("R1:abc", "A", "A kind word.", "staff")  # twice: still one
    assert Approvals(url).read()["R1:abc"]["area_id"] == "A"
    store.withdraw("R1:abc")
    assert Approvals(url).keys() == frozenset()


def test_a_changed_comment_is_no_longer_approved() -> None:
    assert quote_key("R1", "A kind word.") != quote_key("R1", "A kind word, and my phone number.")


def _voice(approved: frozenset[str] | None, public_safe: bool = True) -> th.Section:
    ds = make_dataset()
    view = th.setup(
        MemorySource(ds), ds, "A", PERIOD, Policy(10, False), public_safe=public_safe, approved=approved
    )
    return th.section(view.scope, "voice")


def test_a_public_safe_town_hall_quotes_only_approved_comments() -> None:
    ds = make_dataset()
    none = _voice(frozenset())
    assert none.quotes == ()
    assert any("approved for publication" in n for n in none.notes)
    chosen = frozenset({_key(ds, COMMENTS[0][1]), _key(ds, COMMENTS[8][1])})
    some = _voice(chosen)
    assert list(some.quotes) == [
        "Still drug dealing at [address], nothing changes.",  # still redacted
        "The officers at the meeting listened to us properly.",
    ]
    assert len(_voice(frozenset(), public_safe=False).quotes) == 3  # staff, not public-safe: by rule


def test_the_data_page_lists_quotable_comments_with_their_approval() -> None:
    ds = make_dataset()
    key = _key(ds, COMMENTS[4][1])
    table = quotes_view.candidates(ds, "A", PERIOD, frozenset({key}))
    assert table["quote"].iloc[0] == "The community meeting was on the second floor."  # newest first
    assert "short" not in table["quote"].tolist()  # too short to quote
    assert "Cars speed past the school, write to me at [email]" in table["quote"].tolist()
    assert table.set_index("key").loc[key, "approved"]
    assert table["approved"].sum() == 1


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return small_groups.write(tmp_path / "small")


@pytest.mark.apptest
def test_the_public_town_hall_and_its_pack_quote_only_approved_comments(env, source: Path) -> None:
    """Fails on a town hall that quotes by rule alone: Birch has enough comments to be quoted."""
    env(source, CPDASH_MODE="public", CPDASH_K="10")
    state = {"filter_area": [BIG["A2"]]}

    def outputs() -> list:
        with recording(pytest.MonkeyPatch()) as downloads:
            at = open_app("pages/town_hall.py", state)
            assert not at.exception
            return collect(at, downloads, "town hall")

    assert not any(POSITIVE in o.text for o in outputs())
    responses = small_groups.responses()
    row = next(r for r in responses if r["area_id"] == "A2" and r["comment"] == POSITIVE)
    Approvals(source).approve(quote_key(row["response_id"], row["comment"]), "A2", POSITIVE, "staff")
    packs = [o for o in outputs() if o.kind == "download" and POSITIVE in o.text]
    assert packs, "the approved quote is in the pack"


@pytest.mark.apptest
def test_staff_approve_and_withdraw_on_the_data_page(env, source: Path) -> None:
    env(source, CPDASH_MODE="staff")
    at = open_app_page("pages/data.py")
    at.selectbox(key="data_quotes_area").set_value("A1").run()
    approve = [b for b in at.button if b.key and b.key.startswith("data_quotes_approve_")]
    assert approve, "the staff Data page lists quotable comments"
    approve[0].click().run()
    stored = Approvals(source).read()
    assert len(stored) == 1 and next(iter(stored.values()))["area_id"] == "A1"
    withdraw = [b for b in at.button if b.key and b.key.startswith("data_quotes_withdraw_R")]
    assert withdraw
    withdraw[0].click().run()
    assert Approvals(source).read() == {}


@pytest.mark.apptest
def test_the_public_data_page_has_no_quotes_tab(env, source: Path) -> None:
    env(source, CPDASH_MODE="public")
    at = open_app_page("pages/data.py")
    assert not [b for b in at.button if b.key and b.key.startswith("data_quotes_")]
    assert not any(s.key == "data_quotes_area" for s in at.selectbox)
