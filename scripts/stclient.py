"""A client that speaks Streamlit's own websocket protocol: it opens a page and changes widgets as a browser
does, without a browser, so that hundreds of sessions cost little.

Shared by scripts/replicas.py (warming each replica up), benchmarks/loadgen.py and the tests. Imports nothing
from cpdash. What one session does, as the browser's frontend does it:

1. `GET /<page>?<query>` (the index page; behind the proxy this sets the routing cookie), then
   `GET /_stcore/health` and `GET /_stcore/host-config` (the server sets its XSRF cookie there);
2. a websocket to `/_stcore/stream` carrying the cookies, an `Origin` header and the subprotocols
   `streamlit, <XSRF token>`;
3. a `BackMsg.rerun_script` with the query string and the page name (the URL path; "" for the default page);
   the server answers with `ForwardMsg`s: `new_session` (with the session id), deltas (elements, widgets with
   their ids), ... and `script_finished` when the run is over (FINISHED_EARLY_FOR_RERUN means another run
   follows);
4. a widget change is another `rerun_script` carrying the widget's new state (`WidgetStates`), keyed by the
   widget id the server gave it (`$$ID-<hash>-<key>` for a widget with a key), with the page's script hash.

The client keeps no element tree: it counts elements, hashes what the run sent (to tell whether a change
changed the page) and keeps the widgets' protos so that a change can be addressed by the widget's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.cookies
import ssl
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

XSRF_COOKIE = "_streamlit_xsrf"
USER_AGENT = "cpdash-stclient/1"
FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class ProtocolError(Exception):
    """The server answered something a browser session would not have accepted."""


# --- a small HTTP/1.1 client (asyncio streams; one request per connection) ------------------------------


@dataclass
class HttpResponse:
    """Status, headers (lower-case names, in order, repeated ones kept) and body of one response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header of this name, or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def all(self, name: str) -> list[str]:
        """Every header of this name."""
        name = name.lower()
        return [value for key, value in self.headers if key == name]


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (RFC 9112 7.1), trailers skipped."""
    body = bytearray()
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()).strip():
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def http_request(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
) -> HttpResponse:
    """One HTTP/1.1 request over a fresh connection; the whole response is read."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"only http:// and https:// URLs are supported, not {url}")
    secure = parts.scheme == "https"
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in {"PUT", "POST"}:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def exchange() -> HttpResponse:
        reader, writer = await asyncio.open_connection(
            host, port, ssl=ssl.create_default_context() if secure else None
        )
        try:
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ProtocolError(f"{method} {url}: the connection closed without a response")
            status = int(status_line.split()[1])
            received: list[tuple[str, str]] = []
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                received.append((name.strip().lower(), value.strip()))
            response = HttpResponse(status, received, b"")
            if method == "HEAD" or status in (204, 304):
                return response
            if (response.header("transfer-encoding") or "").lower() == "chunked":
                response.body = await _read_chunked(reader)
            elif (length := response.header("content-length")) is not None:
                response.body = await reader.readexactly(int(length))
            else:
                response.body = await reader.read()
            return response
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    return await asyncio.wait_for(exchange(), timeout)


class CookieJar:
    """The cookies of one visitor to one site: Set-Cookie in, a Cookie header out (no paths, no expiry)."""

    def __init__(self) -> None:
        """An empty jar."""
        self.values: dict[str, str] = {}

    def update(self, response: HttpResponse) -> None:
        """Keep the cookies a response sets."""
        for header in response.all("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip()
            if value.startswith('"') and value.endswith('"'):
                with contextlib.suppress(http.cookies.CookieError):
                    value = http.cookies.SimpleCookie(f"{name.strip()}={value}")[name.strip()].value
            self.values[name.strip()] = value

    def header(self) -> str:
        """The Cookie header to send."""
        return "; ".join(f"{name}={value}" for name, value in self.values.items())


# --- one session -----------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one script run sent, until its `script_finished`."""

    seconds: float = 0.0  # from sending the request (or the first HTTP request, for opening) to finished
    ok: bool = False  # finished successfully, no exception shown
    error: str = ""  # why not ok: timeout, connection closed, compile error, exception, page not found
    exceptions: list[str] = field(default_factory=list)  # exception boxes the page showed
    warnings: list[str] = field(default_factory=list)  # warning boxes (deprecations): not errors
    elements: int = 0  # elements drawn (deltas with a new element)
    messages: int = 0  # ForwardMsgs received
    bytes: int = 0  # bytes of those messages
    digest: str = ""  # hash of every delta of the run: equal digests mean the same page

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "seconds": round(self.seconds, 4),
            "ok": self.ok,
            "error": self.error,
            "exceptions": self.exceptions,
            "warnings": self.warnings,
            "elements": self.elements,
            "messages": self.messages,
            "bytes": self.bytes,
        }


def _key_of(widget_id: str) -> str | None:
    """The user key of a widget id (`$$ID-<hash>-<key>`), or None for a widget without one."""
    if not widget_id.startswith("$$ID-"):
        return None
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


class StreamlitSession:
    """One visitor's session with a Streamlit app, over the app's websocket protocol.

    `open()` loads a page and waits until its script run has finished; `change(key, value)` changes a widget
    (addressed by its key) and waits for the rerun; `probe_affinity()` makes a request that only the process
    holding the session can answer (a file upload); `close()` ends the session.
    """

    def __init__(
        self,
        base_url: str,
        *,
        page: str = "",
        query: str = "",
        timeout: float = 120.0,
        timezone: str = "UTC",
        locale: str = "en-US",
    ) -> None:
        """Configure the session; `page` is the page's URL path ("" for the default page)."""
        self.base_url = base_url.rstrip("/")
        self.page = page.strip("/")
        self.query = query.lstrip("?")
        self.timeout = timeout
        self.timezone = timezone
        self.locale = locale
        self.cookies = CookieJar()
        self.session_id = ""
        self.page_script_hash = ""
        self.widgets: dict[str, tuple[str, Any]] = {}  # widget id -> (element kind, element proto)
        self._set_states: dict[str, Any] = {}  # widget id -> the WidgetState this client last sent
        self._ws: Any = None
        self.http_seconds = 0.0  # time spent on the HTTP requests before the websocket
        self.connect_seconds = 0.0  # ... and on the websocket handshake

    # connection ----------------------------------------------------------------------------------------

    @property
    def page_url(self) -> str:
        """The URL a browser would open."""
        return f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")

    @property
    def xsrf(self) -> str | None:
        """The XSRF token the server set (a cookie), if any."""
        return self.cookies.values.get(XSRF_COOKIE)

    async def _get(self, url: str) -> HttpResponse:
        """A GET with this visitor's cookies; keeps the cookies it sets; raises on a status other than 200."""
        headers = {"Cookie": self.cookies.header()} if self.cookies.values else {}
        response = await http_request(url, headers=headers, timeout=self.timeout)
        self.cookies.update(response)
        if response.status != 200:
            raise ProtocolError(f"GET {url} answered {response.status}")
        return response

    async def connect(self) -> None:
        """The browser's first requests, then the websocket."""
        began = time.perf_counter()
        await self._get(self.page_url)
        await self._get(f"{self.base_url}/_stcore/health")
        await self._get(f"{self.base_url}/_stcore/host-config")
        self.http_seconds = time.perf_counter() - began
        ws_url = "ws" + self.base_url[len("http") :] + "/_stcore/stream"  # ws:// or wss://
        protocols = ["streamlit", self.xsrf] if self.xsrf else ["streamlit"]
        self._ws = await websockets.connect(
            ws_url,
            origin=self.base_url,  # a browser always sends its origin (the proxy's address)
            subprotocols=protocols,
            additional_headers={"Cookie": self.cookies.header()} if self.cookies.values else None,
            user_agent_header=USER_AGENT,
            compression=None,
            proxy=None,
            open_timeout=self.timeout,
            ping_interval=None,  # a browser does not ping; the library answers the server's pings
            max_size=None,
            max_queue=None,
        )
        self.connect_seconds = time.perf_counter() - began - self.http_seconds

    async def close(self) -> None:
        """Close the websocket (the server ends the session)."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 10)
            self._ws = None

    async def __aenter__(self) -> StreamlitSession:
        """Use as `async with StreamlitSession(url) as session:`; nothing is opened yet."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        await self.close()

    # runs ----------------------------------------------------------------------------------------------

    def _rerun_message(self, states: Iterable[Any] = ()) -> BackMsg:
        """A `rerun_script` BackMsg as the frontend builds it."""
        message = BackMsg()
        rerun = message.rerun_script
        rerun.query_string = self.query
        rerun.page_name = self.page if not self.page_script_hash else ""
        rerun.page_script_hash = self.page_script_hash
        for state in states:
            rerun.widget_states.widgets.add().CopyFrom(state)
        context = rerun.context_info
        context.timezone = self.timezone
        context.timezone_offset = 0
        context.locale = self.locale
        context.url = self.page_url
        context.is_embedded = False
        context.color_scheme = "light"
        return message

    async def _run(self, message: BackMsg, began: float) -> RunResult:
        """Send a rerun request and read until the run (and any rerun it asks for) has finished."""
        result = RunResult()
        digest = hashlib.blake2b(digest_size=16)
        try:
            await self._ws.send(message.SerializeToString())
            async with asyncio.timeout(self.timeout):
                while True:
                    data = await self._ws.recv()
                    result.messages += 1
                    result.bytes += len(data)
                    if self._handle(data, result, digest):
                        break
        except TimeoutError:
            result.error = f"timeout: no script_finished within {self.timeout:.0f} s"
        except websockets.ConnectionClosed as exc:
            result.error = f"connection closed: {exc}"
        except ProtocolError as exc:
            result.error = str(exc)
        result.seconds = time.perf_counter() - began
        result.digest = digest.hexdigest()
        if not result.error and result.exceptions:
            result.error = "exception: " + result.exceptions[0].splitlines()[0][:200]
        result.ok = not result.error
        return result

    def _handle(self, data: bytes | str, result: RunResult, digest: Any) -> bool:
        """Take one ForwardMsg into account; True when the run is over."""
        if isinstance(data, str):
            raise ProtocolError("the server sent a text frame; Streamlit sends binary protobuf")
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            digest.update(msg.delta.SerializeToString())
            digest.update(bytes(msg.metadata.delta_path))
            if msg.delta.WhichOneof("type") == "new_element":
                result.elements += 1
                element = msg.delta.new_element
                element_kind = element.WhichOneof("type")
                if element_kind is None:
                    return False
                proto = getattr(element, element_kind)
                if element_kind == "exception" and proto.is_warning:
                    result.warnings.append(f"{proto.type}: {proto.message}")
                elif element_kind == "exception":
                    result.exceptions.append(f"{proto.type}: {proto.message}")
                elif isinstance(getattr(proto, "id", None), str) and proto.id:
                    self.widgets[proto.id] = (element_kind, proto)
        elif kind == "new_session":
            new = msg.new_session
            if new.initialize.session_id:
                self.session_id = new.initialize.session_id
            self.page_script_hash = new.page_script_hash
        elif kind == "navigation":
            self.page_script_hash = msg.navigation.page_script_hash  # the page st.navigation chose
        elif kind == "script_finished":
            status = msg.script_finished
            if status in FINISHED_OK:
                return True
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                result.error = "the script did not compile"
                return True
            # FINISHED_EARLY_FOR_RERUN: another run follows
        elif kind == "session_event":
            event = msg.session_event
            if event.WhichOneof("type") == "script_compilation_exception":
                result.exceptions.append(f"compile error: {event.script_compilation_exception.message}")
        elif kind == "page_not_found":
            result.error = f"page not found: {(msg.page_not_found.page_name or self.page)!r}"
        elif kind == "ref_hash":
            raise ProtocolError("the server referred to a cached message this client never had")
        return False

    async def open(self) -> RunResult:
        """Connect and run the page; `seconds` counts from the first HTTP request to the finished page."""
        began = time.perf_counter()
        try:
            await self.connect()
        except (
            OSError,
            TimeoutError,
            ProtocolError,
            websockets.InvalidHandshake,
            websockets.InvalidURI,
        ) as exc:
            return RunResult(
                seconds=time.perf_counter() - began, error=f"connect: {type(exc).__name__}: {exc}"
            )
        return await self._run(self._rerun_message(), began)

    def widget_id(self, key: str) -> str:
        """The id of the widget with this user key (as the server sent it in the last runs)."""
        for widget_id in self.widgets:
            if _key_of(widget_id) == key:
                return widget_id
        raise KeyError(f"no widget with key {key!r} on the page (widgets: {sorted(self.widgets)})")

    def widget(self, key: str) -> tuple[str, Any]:
        """(element kind, element proto) of the widget with this key."""
        return self.widgets[self.widget_id(key)]

    def widget_state(self, key: str, value: Any) -> Any:
        """The WidgetState a browser sends for this widget holding `value`.

        date_input: a date, or a (start, end) pair (date objects or ISO strings); multiselect: the chosen
        options as shown (their labels); selectbox and radio: the option shown; checkbox and toggle: a bool;
        text_input and text_area: a str; number_input: an int or float; slider: a number or a pair.
        """
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = self.widget_id(key)
        kind, proto = self.widgets[widget_id]
        state = WidgetState(id=widget_id)
        if kind == "date_input":
            values = value if isinstance(value, (list, tuple)) else [value]
            state.string_array_value.data.extend(str(v)[:10] for v in values)
        elif kind == "multiselect":
            options = list(proto.options)
            missing = [v for v in value if str(v) not in options]
            if missing and not proto.accept_new_options:
                raise ValueError(f"{key}: {missing} are not among its options")
            state.string_array_value.data.extend(str(v) for v in value)
        elif kind in {"selectbox", "radio"}:
            state.string_value = str(value)
        elif kind in {"checkbox", "toggle"}:
            state.bool_value = bool(value)
        elif kind in {"text_input", "text_area"}:
            state.string_value = str(value)
        elif kind == "number_input":
            if isinstance(value, int) and not isinstance(value, bool):
                state.int_value = value
            else:
                state.double_value = float(value)
        elif kind == "slider":
            values = value if isinstance(value, (list, tuple)) else [value]
            state.double_array_value.data.extend(float(v) for v in values)
        else:
            raise ValueError(f"{key}: changing a {kind} is not supported")
        return state

    async def change(self, key: str, value: Any) -> RunResult:
        """Set a widget as a user would and wait for the rerun; the rerun carries every state this client
        set so far (widgets it never touched keep their values on the server)."""
        state = self.widget_state(key, value)
        self._set_states[state.id] = state
        began = time.perf_counter()
        return await self._run(self._rerun_message(self._set_states.values()), began)

    async def probe_affinity(self) -> int:
        """Upload (then delete) a one-byte file for this session, as st.file_uploader does; the status code.

        The upload is accepted (204) only by the process that holds the session; any other answers 400
        ("Invalid session_id ... without sticky sessions"). So 204 proves that the session's HTTP requests
        reach the process its websocket reaches.
        """
        if not self.session_id:
            raise ProtocolError("no session yet: open() first")
        file_id = uuid.uuid4().hex
        url = f"{self.base_url}/_stcore/upload_file/{quote(self.session_id)}/{file_id}"
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="probe.txt"\r\n'
            "Content-Type: text/plain\r\n\r\nx\r\n"
            f"--{boundary}--\r\n"
        ).encode()
        headers = {"Cookie": self.cookies.header(), "Origin": self.base_url}
        if self.xsrf:
            headers["X-Xsrftoken"] = self.xsrf
        put = await http_request(
            url,
            "PUT",
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            body=body,
            timeout=self.timeout,
        )
        if put.status == 204:
            await http_request(url, "DELETE", headers=headers, timeout=self.timeout)
        return put.status


async def open_and_close(base_url: str, *, page: str = "", timeout: float = 600.0) -> RunResult:
    """Open one page in a fresh session and close it (a replica's warm-up: the data set gets loaded)."""
    session = StreamlitSession(base_url, page=page, timeout=timeout)
    try:
        return await session.open()
    finally:
        await session.close()


def options(session: StreamlitSession, key: str) -> Sequence[str]:
    """The options of a multiselect, selectbox or radio widget, as shown."""
    return list(session.widget(key)[1].options)
