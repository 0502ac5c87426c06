"""The websocket protocol client (scripts/stclient.py) against one plain server, and its message building."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.serve import AppServer  # noqa: E402
from scripts.stclient import CookieJar, HttpResponse, StreamlitSession, _read_chunked  # noqa: E402

pytestmark = pytest.mark.deploy


def run(coro):
    """Run a coroutine to its end."""
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """One server on the sample data, with a cache of its own."""
    with AppServer(cache_dir=tmp_path_factory.mktemp("cache"), start_timeout=120) as app:
        yield app


def test_open_change_and_affinity(server: AppServer) -> None:
    """Open the Overview, change the period and then the areas, each run finishing without an error."""

    async def scenario():
        async with StreamlitSession(server.url, timeout=300) as session:
            opened = await session.open()
            assert opened.ok, opened.error
            assert session.session_id and session.xsrf
            period = session.widget("filter_period")[1]
            start, end = list(period.default)
            assert session.widget("filter_area")[0] == "multiselect"
            status = await session.probe_affinity()
            earlier = dt.date.fromisoformat(start) - dt.timedelta(days=28)
            moved = await session.change("filter_period", (earlier, dt.date.fromisoformat(end)))
            area = list(session.widget("filter_area")[1].options)[0]
            narrowed = await session.change("filter_area", [area])
            return opened, status, moved, narrowed

    opened, status, moved, narrowed = run(scenario())
    assert opened.elements > 10 and not opened.exceptions
    assert status == 204  # the upload reached the process holding the session
    assert moved.ok and narrowed.ok, (moved.error, narrowed.error)
    assert len({opened.digest, moved.digest, narrowed.digest}) == 3  # each change changed the page


def test_other_process_refuses_the_session(server: AppServer) -> None:
    """A session id this process does not hold is refused (what a proxy without stickiness would cause)."""

    async def scenario():
        async with StreamlitSession(server.url) as session:
            await session.connect()
            session.session_id = "00000000-0000-0000-0000-000000000000"
            return await session.probe_affinity()

    assert run(scenario()) == 400


def test_a_named_page_and_an_unknown_one(server: AppServer) -> None:
    """A page is opened by its URL path; an unknown path is reported as not found."""

    async def scenario(page: str):
        async with StreamlitSession(server.url, page=page, timeout=300) as session:
            result = await session.open()
            return result, session

    participation, session = run(scenario("participation"))
    assert participation.ok, participation.error
    assert "filter_program" in {key.rsplit("-", 1)[-1] for key in session.widgets}
    missing, _ = run(scenario("no_such_page"))
    assert not missing.ok and "page not found" in missing.error


def test_an_unreachable_server_is_an_error_not_an_exception() -> None:
    """Nothing listening: open() reports a connect error."""
    from scripts.serve import free_port

    result = run(StreamlitSession(f"http://127.0.0.1:{free_port()}", timeout=5).open())
    assert not result.ok and result.error.startswith("connect:")


def test_rerun_message_as_the_frontend_builds_it() -> None:
    """The first rerun names the page; later ones name its script hash and carry the widget states."""
    session = StreamlitSession("http://127.0.0.1:1", page="map", query="filter_area=7")
    first = BackMsg()
    first.ParseFromString(session._rerun_message().SerializeToString())
    assert first.WhichOneof("type") == "rerun_script"
    assert first.rerun_script.page_name == "map" and first.rerun_script.query_string == "filter_area=7"
    assert first.rerun_script.context_info.url == "http://127.0.0.1:1/map?filter_area=7"

    element = Element()
    element.multiselect.id = "$$ID-abc-filter_area"
    element.multiselect.options.extend(["North", "South"])
    session.widgets[element.multiselect.id] = ("multiselect", element.multiselect)
    element.date_input.id = "$$ID-def-filter_period"
    session.widgets[element.date_input.id] = ("date_input", element.date_input)
    session.page_script_hash = "hash-of-map"
    state = session.widget_state("filter_area", ["South"])
    later = session._rerun_message(
        [state, session.widget_state("filter_period", (dt.date(2025, 1, 1), "2025-03-31"))]
    )
    assert later.rerun_script.page_name == "" and later.rerun_script.page_script_hash == "hash-of-map"
    widgets = {w.id: w for w in later.rerun_script.widget_states.widgets}
    assert list(widgets["$$ID-abc-filter_area"].string_array_value.data) == ["South"]
    assert list(widgets["$$ID-def-filter_period"].string_array_value.data) == ["2025-01-01", "2025-03-31"]
    with pytest.raises(ValueError, match="not among its options"):
        session.widget_state("filter_area", ["East"])
    with pytest.raises(KeyError):
        session.widget_state("filter_program", [])


def test_http_helpers() -> None:
    """Chunked bodies are joined; cookies are kept and sent back."""

    async def chunked() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(b"4\r\nWiki\r\n6;ext=1\r\npedia \r\n0\r\nTrailer: x\r\n\r\n")
        reader.feed_eof()
        return await _read_chunked(reader)

    assert run(chunked()) == b"Wikipedia "
    jar = CookieJar()
    jar.update(
        HttpResponse(
            200,
            [
                ("set-cookie", "cpdash_route=r1; Path=/; HttpOnly"),
                ("set-cookie", '_streamlit_xsrf="2|a|b|1"; Path=/'),
            ],
            b"",
        )
    )
    assert jar.values == {"cpdash_route": "r1", "_streamlit_xsrf": "2|a|b|1"}
    assert jar.header() == "cpdash_route=r1; _streamlit_xsrf=2|a|b|1"
