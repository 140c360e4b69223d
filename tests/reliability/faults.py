"""The fault matrix: apps that fail at every step of HTTP, lifespan and
websockets, what the test does with each, and the one outcome the client
gives for each ``raise_server_exceptions`` setting, by default and with
``strict=True``.

By default the client does what the old requests-based Starlette client
did, so some faults that a strict server refuses (a body that contradicts
its ``Content-Length``, a header a server would refuse, an unknown message)
give the response the app sent; ``strict=True`` makes them errors. A cell
whose outcome depends on the mode says so with :class:`ByMode`.

``test_fault_matrix.py`` runs every cell on asyncio, trio and uvloop, and
``docs/reliability.md`` shows the table that ``python -m
tests.reliability.faults`` prints (a test keeps the two the same).

A cell's *driver* is what the test does; it appends the name of each step to
``steps`` before taking it, so when something is raised ``steps[-1]`` is the
step that raised it.
"""

import sys
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Type, Union

import anyio
import requests

from asgi_testclient import (
    ASGIProtocolError,
    LifespanError,
    TestClient,
    WebSocketDenialResponse,
    WebSocketDisconnect,
)

#: ``timeout=`` of the client in cells where the app never answers.
STUCK = 0.25
#: ``timeout=`` of the client everywhere else: only there to bound a wait
#: that the cell does not expect.
BOUND = 10.0


class AppError(Exception):
    """What the apps of the matrix raise."""


# -- outcomes -------------------------------------------------------------------


class Raises(NamedTuple):
    """``exc_type`` is raised, ``str(exc) == message``, by the step ``at``."""

    exc_type: Type[BaseException]
    message: str
    at: str

    def render(self) -> str:
        return f"raises `{self.exc_type.__name__}`: {_quote(self.message)} (from *{self.at}*)"


class Returns(NamedTuple):
    """The driver returns ``value``: nothing was raised."""

    value: Any

    def render(self) -> str:
        return f"returns `{self.value!r}`"


Outcome = Union[Raises, Returns]


class ByMode(NamedTuple):
    """An outcome that depends on the client's ``strict=``: ``default``
    without it (the old client's behaviour), ``strict`` with it."""

    default: Outcome
    strict: Outcome

    def render(self) -> str:
        return f"by default {self.default.render()}; with `strict=True` {self.strict.render()}"


Expected = Union[Outcome, ByMode]


def _quote(message: str) -> str:
    return "“" + message.replace("|", "\\|") + "”"


class Cell(NamedTuple):
    protocol: str  # "http", "lifespan" or "websocket"
    name: str
    app: Callable[..., Any]
    driver: Callable[[TestClient, List[str]], Any]
    raising: Expected  # raise_server_exceptions=True
    lenient: Optional[Expected] = None  # raise_server_exceptions=False; None: the same
    timeout: float = BOUND
    options: Optional[Dict[str, Any]] = None  # more arguments of TestClient

    @property
    def id(self) -> str:
        options = "".join(f", {key}={value!r}" for key, value in self.client_options.items())
        return f"{self.protocol}: {self.name}{options}"

    @property
    def client_options(self) -> Dict[str, Any]:
        return dict(self.options or {})

    def expected_in(self, raise_server_exceptions: bool) -> Expected:
        """The outcome (or the outcome by mode) for ``raise_server_exceptions``."""
        if raise_server_exceptions or self.lenient is None:
            return self.raising
        return self.lenient

    def expected(self, raise_server_exceptions: bool, strict: bool) -> Outcome:
        outcome = self.expected_in(raise_server_exceptions)
        if isinstance(outcome, ByMode):
            return outcome.strict if strict else outcome.default
        return outcome


# -- drivers: what the test does --------------------------------------------------


def get(client: TestClient, steps: List[str]) -> Tuple[int, bytes]:
    """`client.get("/")` → `(status, content)`"""
    steps.append("client.get")
    response = client.get("/")
    return response.status_code, response.content


def head(client: TestClient, steps: List[str]) -> Tuple[int, bytes, str]:
    """`client.head("/")` → `(status, content, Content-Length)`"""
    steps.append("client.head")
    response = client.head("/")
    return response.status_code, response.content, response.headers.get("content-length", "")


def post_chunks(client: TestClient, steps: List[str]) -> Tuple[int, bytes]:
    """`client.post("/", data=<generator of 2 chunks>)` → `(status, content)`"""
    steps.append("client.post")
    response = client.post("/", data=iter([b"first", b"second"]))
    return response.status_code, response.content


def stream_then_close(client: TestClient, steps: List[str]) -> bytes:
    """`client.get("/", stream=True)`, read a chunk, `response.close()` → the chunk"""
    steps.append("client.get")
    response = client.get("/", stream=True)
    steps.append("iter_content")
    chunk = next(response.iter_content(None))
    steps.append("response.close")
    response.close()
    return chunk


def lifespan_block(client: TestClient, steps: List[str]) -> int:
    """`with client:` around `client.get("/")` → the status"""
    steps.append("with client (startup)")
    with client:
        steps.append("client.get")
        status = client.get("/").status_code
        steps.append("leaving with (shutdown)")
    return status


def ws_echo(client: TestClient, steps: List[str]) -> str:
    """`with client.websocket_connect("/") as ws:`, `send_text("hi")`, `receive_text()` → the text"""
    steps.append("websocket_connect (handshake)")
    with client.websocket_connect("/") as ws:
        steps.append("send_text")
        ws.send_text("hi")
        steps.append("receive_text")
        text = ws.receive_text()
        steps.append("leaving with (close)")
    return text


def ws_receive_twice(client: TestClient, steps: List[str]) -> List[str]:
    """`with client.websocket_connect("/") as ws:`, `receive_text()` twice → the texts"""
    steps.append("websocket_connect (handshake)")
    with client.websocket_connect("/") as ws:
        texts = []
        for _ in range(2):
            steps.append("receive_text")
            texts.append(ws.receive_text())
        steps.append("leaving with (close)")
    return texts


def ws_receive_raw(client: TestClient, steps: List[str]) -> List[Any]:
    """`with client.websocket_connect("/") as ws:`, `receive()` → the message"""
    steps.append("websocket_connect (handshake)")
    with client.websocket_connect("/") as ws:
        steps.append("receive")
        message = ws.receive()
        steps.append("leaving with (close)")
    return message


# -- apps -------------------------------------------------------------------------
#
# Every app answers the scope it is made for; the lifespan ones answer
# ``GET /`` with 204 too, so the block inside ``with client:`` can run.


def _start(status: int = 200, headers: Any = ()) -> dict:
    return {"type": "http.response.start", "status": status, "headers": list(headers)}


def _body(body: bytes = b"", more_body: bool = False) -> dict:
    return {"type": "http.response.body", "body": body, "more_body": more_body}


async def http_fails_before_start(scope, receive, send):
    await receive()
    raise AppError("failed before the response started")


async def http_fails_after_start(scope, receive, send):
    await send(_start(201, [(b"x-cell", b"1")]))
    raise AppError("failed after the response started")


async def http_fails_mid_body(scope, receive, send):
    await send(_start(201))
    await send(_body(b"partial", more_body=True))
    raise AppError("failed mid-body")


async def http_fails_after_body(scope, receive, send):
    await send(_start(200))
    await send(_body(b"complete"))
    raise AppError("failed after the body")


async def http_fails_while_receiving(scope, receive, send):
    await receive()
    raise AppError("failed while receiving the request body")


async def http_fails_after_client_left(scope, receive, send):
    await send(_start(200))
    await send(_body(b"first", more_body=True))
    while (await receive())["type"] != "http.disconnect":
        pass
    raise AppError("failed after the client left")


async def http_returns_without_response(scope, receive, send):
    await receive()


async def http_returns_after_start(scope, receive, send):
    await send(_start(200))


async def http_returns_mid_body(scope, receive, send):
    await send(_start(200))
    await send(_body(b"partial", more_body=True))


async def http_never_answers(scope, receive, send):
    await anyio.sleep_forever()


async def http_never_answers_and_ignores_disconnect(scope, receive, send):
    while True:  # never reads the disconnect; only cancellation ends it
        await anyio.sleep(0.01)


async def http_stalls_mid_body(scope, receive, send):
    await send(_start(200))
    await send(_body(b"partial", more_body=True))
    await anyio.sleep_forever()


async def http_stalls_after_body(scope, receive, send):
    await send(_start(200))
    await send(_body(b"complete"))
    await anyio.sleep_forever()  # a background task that never ends


def http_sends(*messages: Any) -> Callable[..., Any]:
    async def app(scope, receive, send):
        for message in messages:
            await send(message)

    app.__name__ = app.__qualname__ = "http_sends"
    return app


def lifespan_app(on_lifespan: Callable[..., Any]) -> Callable[..., Any]:
    """An app whose lifespan is ``on_lifespan`` and which answers HTTP with 204."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await on_lifespan(receive, send)
            return
        await send(_start(204))
        await send(_body())

    app.__name__ = app.__qualname__ = on_lifespan.__name__
    return app


async def startup_raises(receive, send):
    await receive()
    raise AppError("failed in startup")


async def startup_reports_failure(receive, send):
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})


async def shutdown_raises(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    raise AppError("failed in shutdown")


async def shutdown_reports_failure(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.failed", "message": "could not flush"})


async def raises_between_startup_and_shutdown(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    raise AppError("failed after startup")


async def returns_after_startup(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})


async def returns_at_once(receive, send):
    return None


async def raises_at_once(receive, send):
    raise AppError("lifespan is not supported")


async def receives_startup_then_returns(receive, send):
    await receive()


async def startup_never_answers(receive, send):
    await receive()
    await anyio.sleep_forever()


async def shutdown_never_answers(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await anyio.sleep_forever()


async def replies_out_of_order(receive, send):
    await receive()
    await send({"type": "lifespan.shutdown.complete"})
    await receive()


async def sends_unknown_message(receive, send):
    await receive()
    await send({"type": "lifespan.started"})


async def sends_non_dict(receive, send):
    await receive()
    await send(["lifespan.startup.complete"])


async def swallows_its_protocol_error(receive, send):
    await receive()
    try:
        await send({"type": "lifespan.started"})
    except ASGIProtocolError:
        pass  # the client still reports it
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.complete"})


async def reports_startup_failure_then_never_ends(receive, send):
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})
    await anyio.sleep_forever()


async def completes_startup_twice(receive, send):
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.complete"})


async def ws_fails_before_accept(scope, receive, send):
    await receive()
    raise AppError("failed before accepting")


async def ws_closes_before_accept(scope, receive, send):
    await receive()
    await send({"type": "websocket.close", "code": 1008, "reason": "go away"})


async def ws_denies(scope, receive, send):
    await receive()
    await send({"type": "websocket.http.response.start", "status": 403, "headers": [(b"content-length", b"2")]})
    await send({"type": "websocket.http.response.body", "body": b"no"})


async def ws_returns_without_answering(scope, receive, send):
    await receive()


async def ws_fails_after_accept(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    raise AppError("failed after accepting")


async def ws_fails_while_receiving(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise AppError("failed while receiving")


async def ws_fails_after_sending(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": "one"})
    raise AppError("failed after sending")


async def _echo_until_disconnect(receive, send):
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message.get("text")})


async def ws_fails_after_client_closed(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await _echo_until_disconnect(receive, send)
    raise AppError("failed after the client closed")


async def ws_returns_after_accept(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})


async def ws_closes_after_accept(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1001, "reason": "bye"})


async def ws_never_accepts(scope, receive, send):
    await receive()
    await anyio.sleep_forever()


async def ws_never_sends(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass


async def ws_ignores_disconnect(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await _echo_until_disconnect(receive, send)
    await anyio.sleep_forever()


async def ws_sends_after_client_closed(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await _echo_until_disconnect(receive, send)
    await send({"type": "websocket.send", "text": "late"})


async def ws_sends_after_closing(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close"})
    await receive()  # the client's disconnect
    await send({"type": "websocket.send", "text": "late"})


def ws_sends(*messages: Any) -> Callable[..., Any]:
    """An app sending ``messages`` in answer to ``websocket.connect``."""

    async def app(scope, receive, send):
        await receive()
        for message in messages:
            await send(message)
        await _echo_until_disconnect(receive, send)

    app.__name__ = app.__qualname__ = "ws_sends"
    return app


def ws_accepts_then_sends(*messages: Any) -> Callable[..., Any]:
    """An app that accepts, waits for the test's first message, then sends
    ``messages`` (waiting makes the step that sees them certain)."""

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        for message in messages:
            await send(message)
        await _echo_until_disconnect(receive, send)

    app.__name__ = app.__qualname__ = "ws_accepts_then_sends"
    return app


# -- the matrix -------------------------------------------------------------------

_URL = "http://testserver/"
_WS = "ws://testserver/"
_ACCEPT = {"type": "websocket.accept"}
_PROTOCOL_HINT = (
    "; a websocket app sends 'websocket.accept', 'websocket.send' and 'websocket.close', or"
    " 'websocket.http.response.start' and 'websocket.http.response.body' to deny the handshake"
)
_LIFESPAN_REPLIES = (
    "('lifespan.startup.complete', 'lifespan.startup.failed',"
    " 'lifespan.shutdown.complete', 'lifespan.shutdown.failed')"
)
_DENIED_500 = "websocket handshake denied with HTTP 500 Internal Server Error"
_CLOSED_1011 = Raises(
    WebSocketDisconnect, "websocket closed with code 1011: the app raised an exception", "receive_text"
)
_INCOMPLETE_BODY = (
    "app returned before finishing its response body: its last 'http.response.body' message had more_body=True"
)
_HTTP_UNKNOWN_ACCEPT = (
    "app sent an unknown message {'type': 'websocket.accept'}; an HTTP app sends 'http.response.start' then"
    " 'http.response.body'"
)
_NO_RESPONSE = (
    "TestClient did not receive any response. The app returned without sending 'http.response.start'; an HTTP"
    " app must answer every request."
)


def _protocol(message: str, at: str) -> Raises:
    return Raises(ASGIProtocolError, message, at)


def _timeout(what: str) -> Raises:
    return Raises(
        requests.exceptions.ReadTimeout,
        f"GET {_URL} timed out: the app did not {what} within {STUCK:g} seconds (timeout={STUCK!r})",
        "client.get",
    )


HTTP_CELLS = [
    Cell(
        "http", "fails before the response starts", http_fails_before_start, get,
        Raises(AppError, "failed before the response started", "client.get"),
        Returns((500, b"")),
    ),
    Cell(
        "http", "fails after the response starts", http_fails_after_start, get,
        Raises(AppError, "failed after the response started", "client.get"),
        Returns((201, b"")),
    ),
    Cell(
        "http", "fails mid-body", http_fails_mid_body, get,
        Raises(AppError, "failed mid-body", "client.get"),
        Returns((201, b"partial")),
    ),
    Cell(
        "http", "fails after the body", http_fails_after_body, get,
        Raises(AppError, "failed after the body", "client.get"),
        Returns((200, b"complete")),
    ),
    Cell(
        "http", "fails while receiving the request body", http_fails_while_receiving, post_chunks,
        Raises(AppError, "failed while receiving the request body", "client.post"),
        Returns((500, b"")),
    ),
    Cell(
        "http", "fails after the client closed a streamed response", http_fails_after_client_left,
        stream_then_close,
        Raises(AppError, "failed after the client left", "response.close"),
        Returns(b"first"),
    ),
    Cell(
        "http", "returns without responding", http_returns_without_response, get,
        _protocol(_NO_RESPONSE, "client.get"),
        Returns((500, b"")),
    ),
    Cell(
        "http", "returns after starting the response", http_returns_after_start, get,
        ByMode(Returns((200, b"")), _protocol(_INCOMPLETE_BODY, "client.get")),
    ),
    Cell(
        "http", "returns mid-body", http_returns_mid_body, get,
        ByMode(Returns((200, b"partial")), _protocol(_INCOMPLETE_BODY, "client.get")),
    ),
    Cell(
        "http", "never starts the response", http_never_answers, get,
        _timeout("start its response"), timeout=STUCK,
    ),
    Cell(
        "http", "never starts the response and ignores the disconnect",
        http_never_answers_and_ignores_disconnect, get,
        _timeout("start its response"), timeout=STUCK,
    ),
    Cell(
        "http", "stalls mid-body", http_stalls_mid_body, get,
        _timeout("send the next chunk of its response body"), timeout=STUCK,
    ),
    Cell(
        "http", "never returns after the body", http_stalls_after_body, get,
        _timeout("finish after its response"), timeout=STUCK,
    ),
    Cell(
        "http", "sends the body before the start", http_sends(_body(b"x")), get,
        _protocol(
            'Received "http.response.body" without "http.response.start". The app must start its response first.',
            "client.get",
        ),
    ),
    Cell(
        "http", "starts the response twice", http_sends(_start(200), _start(404)), get,
        _protocol(
            'Received multiple "http.response.start" messages. The response had already started with status 200.',
            "client.get",
        ),
    ),
    Cell(
        "http", "sends a body after the last one", http_sends(_start(200), _body(b"a"), _body(b"b")), get,
        _protocol(
            'Received "http.response.body" after response completed. An earlier body message had more_body=False.',
            "client.get",
        ),
    ),
    Cell(
        "http", "sends a bool status", http_sends({"type": "http.response.start", "status": True}), get,
        _protocol(
            "'http.response.start' message needs an integer 'status', got {'type': 'http.response.start',"
            " 'status': True}",
            "client.get",
        ),
    ),
    Cell(
        "http", "sends status 99", http_sends({"type": "http.response.start", "status": 99}), get,
        _protocol(
            "'http.response.start' message needs an integer 'status', got {'type': 'http.response.start',"
            " 'status': 99}",
            "client.get",
        ),
    ),
    Cell(
        "http", "sends a header that is not a pair",
        http_sends({"type": "http.response.start", "status": 200, "headers": [(b"a", b"b", b"c")]}), get,
        _protocol(
            "'http.response.start' message has headers [(b'a', b'b', b'c')]; they must be an iterable of"
            " (name, value) byte-string pairs",
            "client.get",
        ),
    ),
    Cell(
        "http", "sends a None body", http_sends(_start(200), {"type": "http.response.body", "body": None}), get,
        _protocol("'http.response.body' message has a NoneType body; it must be bytes", "client.get"),
    ),
    Cell(
        "http", "sends a header value with CR LF",
        http_sends(_start(200, [(b"x-a", b"1\r\nset-cookie: injected=1")]), _body()), get,
        ByMode(
            Returns((200, b"")),
            _protocol(
                "'http.response.start' message has header b'x-a' whose value b'1\\r\\nset-cookie: injected=1'"
                " contains a CR, LF or NUL character; a server would refuse it",
                "client.get",
            ),
        ),
    ),
    Cell(
        "http", "sends a header name that is not a token", http_sends(_start(200, [(b"x a", b"1")]), _body()), get,
        ByMode(
            Returns((200, b"")),
            _protocol(
                "'http.response.start' message has header name b'x a', which is not an HTTP token; a server would"
                " refuse it",
                "client.get",
            ),
        ),
    ),
    Cell(
        "http", "sends more body than its Content-Length",
        http_sends(_start(200, [(b"content-length", b"3")]), _body(b"ab", more_body=True), _body(b"cd")), get,
        ByMode(
            Returns((200, b"abcd")),
            _protocol(
                "app sent 4 bytes of body, more than its Content-Length of 3; a server would refuse the rest",
                "client.get",
            ),
        ),
    ),
    Cell(
        "http", "ends its body short of its Content-Length",
        http_sends(_start(200, [(b"content-length", b"20")]), _body(b"too short")), get,
        ByMode(
            Returns((200, b"too short")),
            _protocol("app ended its body after 9 bytes, short of its Content-Length of 20", "client.get"),
        ),
    ),
    Cell(
        "http", "sends a Content-Length that is not a number",
        http_sends(_start(200, [(b"content-length", b"ten")]), _body(b"x")), get,
        ByMode(
            Returns((200, b"x")),
            _protocol("app sent Content-Length b'ten', which is not one whole number", "client.get"),
        ),
    ),
    Cell(
        "http", "sends a body with a 204", http_sends(_start(204), _body(b"not allowed")), get,
        Returns((204, b"")),  # dropped, as requests over a socket never reads one
    ),
    Cell(
        "http", "sends a body with a 304, and another response's Content-Length",
        http_sends(_start(304, [(b"content-length", b"100")]), _body(b"not allowed")), get,
        Returns((304, b"")),
    ),
    Cell(
        "http", "answers HEAD with a Content-Length and a body",
        http_sends(_start(200, [(b"content-length", b"100")]), _body(b"not sent")), head,
        Returns((200, b"", "100")),
    ),
    Cell(
        "http", "sends a websocket message, then answers", http_sends(_ACCEPT, _start(200), _body(b"ok")), get,
        ByMode(
            Returns((200, b"ok")),  # the old client ignored messages of unknown types
            _protocol(_HTTP_UNKNOWN_ACCEPT, "client.get"),
        ),
    ),
    Cell(
        "http", "sends a websocket message instead of answering", http_sends(_ACCEPT), get,
        ByMode(
            _protocol(_NO_RESPONSE, "client.get"),
            _protocol(_HTTP_UNKNOWN_ACCEPT, "client.get"),
        ),
        ByMode(
            Returns((500, b"")),
            _protocol(_HTTP_UNKNOWN_ACCEPT, "client.get"),
        ),
    ),
    Cell(
        "http", "sends an unknown message after the body",
        http_sends(_start(200), _body(b"ok"), {"type": "http.response.bogus"}), get,
        ByMode(
            Returns((200, b"ok")),
            _protocol("app sent {'type': 'http.response.bogus'} after the response was complete", "client.get"),
        ),
    ),
]

LIFESPAN_CELLS = [
    Cell(
        "lifespan", "fails in startup", lifespan_app(startup_raises), lifespan_block,
        Raises(AppError, "failed in startup", "with client (startup)"),
    ),
    Cell(
        "lifespan", "reports startup failure", lifespan_app(startup_reports_failure), lifespan_block,
        Raises(LifespanError, "lifespan startup failed: no database", "with client (startup)"),
    ),
    Cell(
        "lifespan", "fails in shutdown", lifespan_app(shutdown_raises), lifespan_block,
        Raises(AppError, "failed in shutdown", "leaving with (shutdown)"),
    ),
    Cell(
        "lifespan", "reports shutdown failure", lifespan_app(shutdown_reports_failure), lifespan_block,
        Raises(LifespanError, "lifespan shutdown failed: could not flush", "leaving with (shutdown)"),
    ),
    Cell(
        "lifespan", "fails between startup and shutdown", lifespan_app(raises_between_startup_and_shutdown),
        lifespan_block,
        Raises(AppError, "failed after startup", "leaving with (shutdown)"),
    ),
    Cell(
        "lifespan", "returns after startup without waiting for shutdown", lifespan_app(returns_after_startup),
        lifespan_block, Returns(204),
    ),
    Cell(
        "lifespan", "returns at once (no lifespan support)", lifespan_app(returns_at_once), lifespan_block,
        Returns(204),
    ),
    Cell(
        "lifespan", "raises before asking for startup", lifespan_app(raises_at_once), lifespan_block,
        Raises(AppError, "lifespan is not supported", "with client (startup)"),  # as the old client raised it
    ),
    Cell(
        "lifespan", "raises before asking for startup", lifespan_app(raises_at_once), lifespan_block,
        Returns(204),  # lifespan="auto": such an app runs without lifespan, as servers run it
        options={"lifespan": "auto"},
    ),
    Cell(
        "lifespan", "receives startup, then returns without answering",
        lifespan_app(receives_startup_then_returns), lifespan_block, Returns(204),
    ),
    Cell(
        "lifespan", "never answers startup", lifespan_app(startup_never_answers), lifespan_block,
        Raises(
            TimeoutError,
            f"the app did not finish its lifespan startup within {STUCK:g} seconds",
            "with client (startup)",
        ),
        timeout=STUCK,
    ),
    Cell(
        "lifespan", "never answers shutdown", lifespan_app(shutdown_never_answers), lifespan_block,
        Raises(
            TimeoutError,
            f"the app did not finish its lifespan shutdown within {STUCK:g} seconds",
            "leaving with (shutdown)",
        ),
        timeout=STUCK,
    ),
    Cell(
        "lifespan", "answers startup with shutdown.complete", lifespan_app(replies_out_of_order), lifespan_block,
        _protocol(
            "app replied {'type': 'lifespan.shutdown.complete'} to 'lifespan.startup'; expected one of"
            " ('lifespan.startup.complete', 'lifespan.startup.failed')",
            "with client (startup)",
        ),
    ),
    Cell(
        "lifespan", "sends an unknown message", lifespan_app(sends_unknown_message), lifespan_block,
        _protocol(
            f"app sent {{'type': 'lifespan.started'}} during lifespan; expected one of {_LIFESPAN_REPLIES}",
            "with client (startup)",
        ),
    ),
    Cell(
        "lifespan", "sends a list instead of a dict", lifespan_app(sends_non_dict), lifespan_block,
        _protocol(
            f"app sent ['lifespan.startup.complete'] during lifespan; expected one of {_LIFESPAN_REPLIES}",
            "with client (startup)",
        ),
    ),
    Cell(
        "lifespan", "swallows the error its bad message raised", lifespan_app(swallows_its_protocol_error),
        lifespan_block,
        _protocol(
            f"app sent {{'type': 'lifespan.started'}} during lifespan; expected one of {_LIFESPAN_REPLIES}",
            "with client (startup)",
        ),
    ),
    Cell(
        "lifespan", "reports startup failure, then never ends", lifespan_app(reports_startup_failure_then_never_ends),
        lifespan_block,
        # after a 1 s grace for the app to end and raise its own exception
        Raises(LifespanError, "lifespan startup failed: no database", "with client (startup)"),
    ),
    Cell(
        "lifespan", "completes startup twice", lifespan_app(completes_startup_twice), lifespan_block,
        _protocol(
            "app replied {'type': 'lifespan.startup.complete'} to 'lifespan.shutdown'; expected one of"
            " ('lifespan.shutdown.complete', 'lifespan.shutdown.failed')",
            "leaving with (shutdown)",
        ),
    ),
]

WEBSOCKET_CELLS = [
    Cell(
        "websocket", "fails before accepting", ws_fails_before_accept, ws_echo,
        Raises(AppError, "failed before accepting", "websocket_connect (handshake)"),
        # The old client raised a websocket app's exception whatever
        # raise_server_exceptions said; strict mode answers as a server.
        ByMode(
            Raises(AppError, "failed before accepting", "websocket_connect (handshake)"),
            Raises(WebSocketDenialResponse, _DENIED_500, "websocket_connect (handshake)"),
        ),
    ),
    Cell(
        "websocket", "closes before accepting", ws_closes_before_accept, ws_echo,
        Raises(WebSocketDisconnect, "websocket closed with code 1008: go away", "websocket_connect (handshake)"),
    ),
    Cell(
        "websocket", "denies the handshake with an HTTP response", ws_denies, ws_echo,
        Raises(
            WebSocketDenialResponse,
            "websocket handshake denied with HTTP 403 Forbidden",
            "websocket_connect (handshake)",
        ),
    ),
    Cell(
        "websocket", "returns without answering the handshake", ws_returns_without_answering, ws_echo,
        _protocol(
            "app returned without accepting or closing the websocket; it must send 'websocket.accept',"
            " 'websocket.close' or a denial response",
            "websocket_connect (handshake)",
        ),
        Raises(WebSocketDenialResponse, _DENIED_500, "websocket_connect (handshake)"),
    ),
    Cell(
        "websocket", "fails right after accepting", ws_fails_after_accept, ws_receive_twice,
        Raises(AppError, "failed after accepting", "receive_text"),
        ByMode(Raises(AppError, "failed after accepting", "receive_text"), _CLOSED_1011),
    ),
    Cell(
        "websocket", "fails while receiving", ws_fails_while_receiving, ws_echo,
        Raises(AppError, "failed while receiving", "receive_text"),
        ByMode(Raises(AppError, "failed while receiving", "receive_text"), _CLOSED_1011),
    ),
    Cell(
        "websocket", "fails after sending a message", ws_fails_after_sending, ws_receive_twice,
        # the message sent before the failure is received first
        Raises(AppError, "failed after sending", "receive_text"),
        ByMode(Raises(AppError, "failed after sending", "receive_text"), _CLOSED_1011),
    ),
    Cell(
        "websocket", "fails after the client closed", ws_fails_after_client_closed, ws_echo,
        Raises(AppError, "failed after the client closed", "leaving with (close)"),
        ByMode(Raises(AppError, "failed after the client closed", "leaving with (close)"), Returns("hi")),
    ),
    Cell(
        "websocket", "returns after accepting, without closing", ws_returns_after_accept, ws_echo,
        Raises(
            WebSocketDisconnect,
            "websocket closed with code 1006: the app returned without closing the websocket",
            "receive_text",
        ),
    ),
    Cell(
        "websocket", "closes after accepting", ws_closes_after_accept, ws_echo,
        Raises(WebSocketDisconnect, "websocket closed with code 1001: bye", "receive_text"),
    ),
    Cell(
        "websocket", "never answers the handshake", ws_never_accepts, ws_echo,
        Raises(
            TimeoutError,
            f"the app did not accept or close websocket {_WS} within {STUCK:g} seconds",
            "websocket_connect (handshake)",
        ),
        timeout=STUCK,
    ),
    Cell(
        "websocket", "accepts, then never sends", ws_never_sends, ws_echo,
        Raises(TimeoutError, f"the app sent nothing on websocket {_WS} within {STUCK:g} seconds", "receive_text"),
        timeout=STUCK,
    ),
    Cell(
        "websocket", "ignores the client's disconnect", ws_ignores_disconnect, ws_echo,
        Returns("hi"),  # cancelled after the grace period, which is not the app's failure
    ),
    Cell(
        "websocket", "sends before accepting", ws_sends({"type": "websocket.send", "text": "early"}), ws_echo,
        _protocol(
            "app sent 'websocket.send' before accepting the websocket (send 'websocket.accept' first)",
            "websocket_connect (handshake)",
        ),
    ),
    Cell(
        "websocket", "accepts twice", ws_accepts_then_sends(_ACCEPT), ws_echo,
        _protocol("app sent 'websocket.accept' twice", "receive_text"),
    ),
    Cell(
        "websocket", "sends an unknown message", ws_accepts_then_sends({"type": "websocket.bogus"}), ws_echo,
        _protocol(f"app sent an unknown message {{'type': 'websocket.bogus'}}{_PROTOCOL_HINT}", "receive_text"),
    ),
    Cell(
        "websocket", "sends both text and bytes",
        ws_accepts_then_sends({"type": "websocket.send", "text": "a", "bytes": b"a"}), ws_echo,
        _protocol(
            "'websocket.send' message {'type': 'websocket.send', 'text': 'a', 'bytes': b'a'} needs exactly one"
            " of 'text' and 'bytes' (the other missing or None)",
            "receive_text",
        ),
    ),
    Cell(
        "websocket", "closes with a str code",
        ws_accepts_then_sends({"type": "websocket.close", "code": "1000"}), ws_echo,
        _protocol(
            "'websocket.close' message {'type': 'websocket.close', 'code': '1000'} has the wrong type:"
            " 'code' must be an int",
            "receive_text",
        ),
    ),
    Cell(
        "websocket", "closes with a reason that is not a str",
        ws_accepts_then_sends({"type": "websocket.close", "code": 1008, "reason": ["invalid token"]}), ws_echo,
        ByMode(
            # passed on, as the old client passed on FastAPI's list of validation errors
            Raises(WebSocketDisconnect, "websocket closed with code 1008: ['invalid token']", "receive_text"),
            _protocol(
                "'websocket.close' message {'type': 'websocket.close', 'code': 1008, 'reason': ['invalid token']}"
                " has the wrong type: 'reason' must be a str",
                "receive_text",
            ),
        ),
    ),
    Cell(
        "websocket", "sends after closing", ws_sends_after_closing, ws_receive_raw,
        _protocol(
            "app sent 'websocket.send' after closing the websocket with 'websocket.close'",
            "leaving with (close)",
        ),
    ),
    Cell(
        "websocket", "sends after the client closed", ws_sends_after_client_closed, ws_echo,
        # by default the message is dropped; with strict=True the app's send
        # raises OSError, and what the app raises then is not its own failure
        Returns("hi"),
    ),
    Cell(
        "websocket", "accepts with a header value with CR LF",
        ws_sends({"type": "websocket.accept", "headers": [(b"x-a", b"1\r\nx-b: 2")]}), ws_echo,
        ByMode(
            Returns("hi"),
            _protocol(
                "'websocket.accept' message has header b'x-a' whose value b'1\\r\\nx-b: 2' contains a CR, LF or"
                " NUL character; a server would refuse it",
                "websocket_connect (handshake)",
            ),
        ),
    ),
    Cell(
        "websocket", "sends a denial body before its start",
        ws_sends({"type": "websocket.http.response.body", "body": b"x"}), ws_echo,
        _protocol(
            "app sent 'websocket.http.response.body' before accepting the websocket (send"
            " 'websocket.accept' first)",
            "websocket_connect (handshake)",
        ),
    ),
    Cell(
        "websocket", "sends a list instead of a dict", ws_sends(["websocket.accept"]), ws_echo,
        _protocol(
            "app sent ['websocket.accept'], which is not a message: ASGI messages are dicts",
            "websocket_connect (handshake)",
        ),
    ),
]

CELLS = HTTP_CELLS + LIFESPAN_CELLS + WEBSOCKET_CELLS


# -- the table for the docs ----------------------------------------------------------


def _driver_doc(driver: Callable[..., Any]) -> str:
    return " ".join((driver.__doc__ or driver.__name__).split())


def _render(expected: Expected) -> str:
    if isinstance(expected, ByMode) and expected.default == expected.strict:
        return expected.default.render()
    return expected.render()


def render_markdown() -> str:
    """The matrix as a markdown table."""
    lines = [
        "| Protocol | The app | The test does | `raise_server_exceptions=True` | `raise_server_exceptions=False` |",
        "|---|---|---|---|---|",
    ]
    for cell in CELLS:
        raising, lenient = cell.expected_in(True), cell.expected_in(False)
        settings = [f"`timeout={cell.timeout:g}`"] if cell.timeout != BOUND else []
        settings += [f"`{key}={value!r}`" for key, value in cell.client_options.items()]
        name = cell.name + (f" ({', '.join(settings)})" if settings else "")
        lines.append(
            f"| {cell.protocol} | {name} | {_driver_doc(cell.driver)} | {_render(raising)} |"
            f" {'same' if lenient == raising else _render(lenient)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the table in the docs
    sys.stdout.write(render_markdown())
