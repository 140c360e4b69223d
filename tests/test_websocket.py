"""Websocket sessions: handshake, messages, timeouts, closing, denial responses
and protocol errors, against Starlette, FastAPI and raw ASGI apps."""

import contextlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List
from urllib.parse import urlsplit

import anyio
import pytest
import requests
import starlette.websockets
from fastapi import FastAPI, Header
from fastapi import WebSocket as FastAPIWebSocket
from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from asgi_testclient import (
    ASGIProtocolError,
    TestClient,
    WebSocketDenialResponse,
    WebSocketDisconnect,
    _channel,
)

MakeClient = Callable[..., TestClient]


class Peer:
    """A raw websocket app: records its scope and every message it receives;
    accepts, then echoes each message until the client disconnects."""

    def __init__(self) -> None:
        self.scope: Dict[str, Any] = {}
        self.received: List[Dict[str, Any]] = []
        self.done = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope = scope
        self.received.append(await receive())
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            self.received.append(message)
            if message["type"] == "websocket.disconnect":
                self.done = True
                return
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})


async def echo_endpoint(websocket: WebSocket) -> None:
    """Starlette: echo text as text and bytes as bytes until the client leaves."""
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


# -- messages -------------------------------------------------------------------


def test_starlette_echo_text_bytes_and_json(make_client: MakeClient) -> None:
    client = make_client(Starlette(routes=[WebSocketRoute("/ws", echo_endpoint)]))
    with client.websocket_connect("/ws") as ws:
        ws.send_text("héllo")
        assert ws.receive_text() == "héllo"
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_bytes() == b"\x00\xff"
        ws.send_json({"a": [1, "é"]})
        assert ws.receive_json() == {"a": [1, "é"]}
        ws.send_json({"b": 2}, mode="binary")
        assert ws.receive_json(mode="binary") == {"b": 2}
        ws.send({"type": "websocket.receive", "text": "raw"})
        assert ws.receive() == {"type": "websocket.send", "text": "raw"}


def test_messages_reach_the_app_exactly(make_client: MakeClient) -> None:
    app = Peer()
    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        ws.send_text("t")
        ws.send_bytes(bytearray(b"b"))
        ws.send_json({"k": "é"})
        ws.send_json([1], mode="binary")
        for _ in range(4):
            ws.receive()
    assert app.received == [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "t"},
        {"type": "websocket.receive", "bytes": b"b"},
        {"type": "websocket.receive", "text": '{"k": "\\u00e9"}'},  # json.dumps(data), as the old client
        {"type": "websocket.receive", "bytes": b"[1]"},
        {"type": "websocket.disconnect", "code": 1000},  # the old client's: no reason
    ]
    assert app.done


def test_strict_disconnect_carries_a_reason(make_client: MakeClient) -> None:
    app = Peer()
    with make_client(app, strict=True).websocket_connect("/ws"):
        pass
    assert app.received[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": ""}
    app = Peer()
    with make_client(app).websocket_connect("/ws") as ws:
        ws.close(4000, "bye")
    assert app.received[-1] == {"type": "websocket.disconnect", "code": 4000, "reason": "bye"}


def test_fastapi_endpoint_with_query_and_header(make_client: MakeClient) -> None:
    api = FastAPI()

    @api.websocket("/items/{item_id}")
    async def items(websocket: FastAPIWebSocket, item_id: int, q: str, x_token: str = Header()) -> None:
        await websocket.accept()
        await websocket.send_json({"item_id": item_id, "q": q, "token": x_token})
        await websocket.close(code=4000, reason="done")

    client = make_client(api)
    with client.websocket_connect("/items/7?q=a", headers={"X-Token": "secret"}) as ws:
        assert ws.receive_json() == {"item_id": 7, "q": "a", "token": "secret"}
        with pytest.raises(starlette.websockets.WebSocketDisconnect) as caught:
            ws.receive_text()
    assert type(caught.value) is WebSocketDisconnect
    assert (caught.value.code, caught.value.reason) == (4000, "done")


def test_legacy_websocket_endpoint_class(make_client: MakeClient) -> None:
    class Echo(WebSocketEndpoint):
        encoding = "json"

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            await websocket.send_json({"echo": data})

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", Echo)]))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_json({"x": 1})
        assert websocket.receive_json() == {"echo": {"x": 1}}


def test_wrong_payload_types_are_type_errors(make_client: MakeClient) -> None:
    client = make_client(Starlette(routes=[WebSocketRoute("/ws", echo_endpoint)]))
    with client.websocket_connect("/ws") as ws:
        with pytest.raises(TypeError, match=r"^send_text\(\) takes a str, not bytes; use send_bytes\(\) for bytes$"):
            ws.send_text(b"x")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^send_bytes\(\) takes bytes, not str; use send_text\(\) for str$"):
            ws.send_bytes("x")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="mode must be"):
            ws.send_json({}, mode="yaml")
        ws.send_bytes(b"bin")
        with pytest.raises(TypeError, match="expected a text message from the app, got a binary message"):
            ws.receive_text()
        ws.send_text("txt")
        with pytest.raises(TypeError, match="expected a binary message from the app, got a text message"):
            ws.receive_bytes()


# -- the handshake and the scope ------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(
    ("base_url", "url", "legacy_url", "strict_url"),
    [
        ("http://testserver", "/ws?a=1", "ws://testserver/ws?a=1", "ws://testserver/ws?a=1"),
        # The old client joined websocket URLs to ws://testserver whatever
        # the base URL; strict mode joins them to the base URL.
        ("http://example.org:8000/api/", "ws", "ws://testserver/ws", "ws://example.org:8000/api/ws"),
        ("https://testserver", "/ws", "ws://testserver/ws", "wss://testserver/ws"),
        ("http://testserver", "ws://other:81/x?y=%20", "ws://other:81/x?y=%20", "ws://other:81/x?y=%20"),
        ("http://testserver", "wss://other/x", "wss://other/x", "wss://other/x"),
        ("http://testserver", "http://other/h", "ws://other/h", "ws://other/h"),
        ("http://testserver", "https://other/s", "wss://other/s", "wss://other/s"),
    ],
)
def test_urls(
    make_client: MakeClient, base_url: str, url: str, legacy_url: str, strict_url: str, strict: bool
) -> None:
    app = Peer()
    client = make_client(app, base_url=base_url, strict=strict)
    with client.websocket_connect(url) as ws:
        assert ws.url == (strict_url if strict else legacy_url)
    expected = urlsplit(strict_url if strict else legacy_url)
    assert (app.scope["scheme"], app.scope["path"], app.scope["query_string"]) == (
        expected.scheme,
        expected.path,
        expected.query.encode(),
    )
    assert app.scope["server"] == [expected.hostname, expected.port or (443 if expected.scheme == "wss" else 80)]


def test_params_are_added_to_the_query_string(make_client: MakeClient) -> None:
    app = Peer()
    client = make_client(app)
    with client.websocket_connect("/ws?a=1", params={"b": "x y", "c": ["1", "2"]}) as ws:
        assert ws.url == "ws://testserver/ws?a=1&b=x+y&c=1&c=2"
    assert app.scope["query_string"] == b"a=1&b=x+y&c=1&c=2"
    assert app.scope["raw_path"] == b"/ws"


@pytest.mark.parametrize("strict", [False, True])
def test_scope_and_handshake_headers(make_client: MakeClient, strict: bool) -> None:
    app = Peer()
    client = make_client(app, root_path="/root", client=("10.1.2.3", 1234), strict=strict)
    client.headers["X-Session"] = "s"
    client.cookies.set("jar", "j", domain="testserver.local")
    with client.websocket_connect(
        "/caf%C3%A9",
        subprotocols=["one", "two"],
        headers={"X-Call": "c"},
        cookies={"call": "k"},
        auth=("user", "pass"),
    ):
        pass
    scope = app.scope
    # The old client's keys in its order, and the lifespan state; strict
    # mode adds what a server sends.
    strict_keys = ["asgi", "http_version"] if strict else []
    assert list(scope) == [
        "type", *strict_keys, "path", "raw_path", "root_path", "scheme", "query_string",
        "headers", "client", "server", "state", "subprotocols", *(["extensions"] if strict else []),
    ]
    assert scope["type"] == "websocket"
    if strict:
        assert scope["asgi"] == {"version": "3.0", "spec_version": "2.5"}
        assert scope["http_version"] == "1.1"
        assert scope["extensions"] == {"websocket.http.response": {}}
    assert (scope["path"], scope["raw_path"], scope["root_path"]) == ("/café", b"/caf%C3%A9", "/root")
    assert scope["client"] == ["10.1.2.3", 1234]
    assert scope["server"] == ["testserver", 80]
    assert scope["subprotocols"] == ["one", "two"]
    # The old client's handshake: requests' session headers (Connection
    # replaced), the test's, the three it adds, then cookies and auth.
    assert scope["headers"] == [
        (b"host", b"testserver"),
        (b"user-agent", b"testclient"),
        (b"accept-encoding", requests.utils.default_headers()["Accept-Encoding"].encode()),
        (b"accept", b"*/*"),
        (b"connection", b"upgrade"),
        (b"x-session", b"s"),
        (b"x-call", b"c"),
        (b"sec-websocket-key", b"testserver=="),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-protocol", b"one, two"),
        (b"cookie", b"jar=j; call=k"),
        (b"authorization", b"Basic dXNlcjpwYXNz"),
    ]


def test_lifespan_state_is_a_shallow_copy(make_client: MakeClient) -> None:
    shared: List[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield {"shared": shared, "name": "ready"}

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        websocket.state.name = "changed"
        websocket.state.shared.append("ws")
        await websocket.send_json({"name": websocket.state.name})
        await websocket.close()

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)], lifespan=lifespan))
    with client:
        for _ in range(2):
            with client.websocket_connect("/ws") as ws:
                assert ws.receive_json() == {"name": "changed"}
                assert ws.scope["state"]["name"] == "changed"
            assert client.adapter.state["name"] == "ready"
    assert shared == ["ws", "ws"]


def test_accepted_subprotocol_and_extra_headers(make_client: MakeClient) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="two", headers=[(b"x-extra", b"1"), (b"x-extra", b"2")])
        await websocket.close()

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    with client.websocket_connect("/ws", subprotocols=["one", "two"]) as ws:
        assert ws.accepted_subprotocol == "two"
        assert ws.extra_headers == [(b"x-extra", b"1"), (b"x-extra", b"2")]

    bare = make_client(Peer())
    with bare.websocket_connect("/ws") as ws:
        assert ws.accepted_subprotocol is None
        assert ws.extra_headers is None


def test_extra_headers_from_a_generator(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept", "headers": (pair for pair in [(b"x-gen", b"1")])})
        await send({"type": "websocket.close"})

    with make_client(app).websocket_connect("/ws") as ws:
        assert ws.extra_headers == [(b"x-gen", b"1")]


# -- closing ----------------------------------------------------------------------


def test_app_closes_before_accepting(make_client: MakeClient) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.close(code=4403, reason="go away")

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    with pytest.raises(starlette.websockets.WebSocketDisconnect) as caught, client.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover
    assert type(caught.value) is WebSocketDisconnect
    assert (caught.value.code, caught.value.reason) == (4403, "go away")
    assert str(caught.value) == "websocket closed with code 4403: go away"


def test_app_closes_after_accepting(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})
        await send({"type": "websocket.close", "code": 1001})

    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "bye"
        assert ws.receive() == {"type": "websocket.close", "code": 1001}  # as the app sent it
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive_text(timeout=5)
        assert time.monotonic() - started < 2  # not the 5 s timeout
        assert caught.value.code == 1001


def test_receive_text_on_close_raises_disconnect(make_client: MakeClient) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=1008, reason="policy")

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    with client.websocket_connect("/ws") as ws, pytest.raises(WebSocketDisconnect) as caught:
        ws.receive_text()
    assert (caught.value.code, caught.value.reason) == (1008, "policy")


def test_app_returning_without_close_is_abnormal_closure(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    client = make_client(app)
    with client.websocket_connect("/ws") as ws, pytest.raises(WebSocketDisconnect) as caught:
        ws.receive(timeout=5)
    assert (caught.value.code, caught.value.reason) == (1006, "the app returned without closing the websocket")


def test_close_sends_code_and_reason(make_client: MakeClient) -> None:
    app = Peer()
    client = make_client(app, strict=True)
    with client.websocket_connect("/ws") as ws:
        ws.close(4001, "bye")
        ws.close()  # once closed, closing again does nothing
        with pytest.raises(RuntimeError, match="was closed by the test"):
            ws.send_text("late")
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
        assert (caught.value.code, caught.value.reason) == (4001, "bye")
    assert app.received[-1] == {"type": "websocket.disconnect", "code": 4001, "reason": "bye"}


def test_after_a_close_messages_still_reach_the_app_as_with_the_old_client(make_client: MakeClient) -> None:
    received: List[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        while len(received) < 4:
            received.append(await receive())

    with make_client(app).websocket_connect("/ws") as ws:
        ws.close(4001)
        ws.send_text("late")
        ws.close()
    assert received == [
        {"type": "websocket.disconnect", "code": 4001},
        {"type": "websocket.receive", "text": "late"},
        {"type": "websocket.disconnect", "code": 1000},
        {"type": "websocket.disconnect", "code": 1000},  # leaving the block says it once more
    ]


def test_leaving_with_tells_a_starlette_app_and_it_finishes(make_client: MakeClient) -> None:
    seen: List[Any] = []

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.receive_text()
        except starlette.websockets.WebSocketDisconnect as exc:
            seen.append(exc.code)

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    with client.websocket_connect("/ws"):
        pass
    assert seen == [1000]


def test_app_ignoring_disconnect_is_cancelled_after_the_grace_period(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_channel, "DISCONNECT_GRACE", 0.1)
    cancelled: List[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(True)

    client = make_client(app)
    started = time.monotonic()
    with client.websocket_connect("/ws"):
        pass
    assert cancelled == [True]
    assert 0.1 <= time.monotonic() - started < 3


def test_uncaught_disconnect_in_the_app_is_raised_on_exit(make_client: MakeClient) -> None:
    # As the old client did: the app let WebSocketDisconnect escape.
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            await websocket.receive_text()

    client = make_client(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    with pytest.raises(starlette.websockets.WebSocketDisconnect) as caught, client.websocket_connect("/ws"):
        pass
    assert caught.value.code == 1000


def test_send_after_client_disconnect_is_dropped(make_client: MakeClient) -> None:
    # As with the old client: nothing in the app fails, nothing reaches the test.
    sent = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        assert (await receive())["type"] == "websocket.disconnect"
        await send({"type": "websocket.send", "text": "late"})
        sent.append("late")
        await send({"type": "websocket.close"})
        sent.append("close")

    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        ws.close(1001)
    assert sent == ["late", "close"]


def test_strict_send_after_client_disconnect_raises_oserror_in_the_app(make_client: MakeClient) -> None:
    errors: List[BaseException] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        assert (await receive())["type"] == "websocket.disconnect"
        # Asking again gives the disconnect again.
        assert (await receive())["type"] == "websocket.disconnect"
        try:
            await send({"type": "websocket.send", "text": "late"})
        except OSError as exc:
            errors.append(exc)
            raise  # the spec says servers treat this as no error

    client = make_client(app, strict=True)
    with client.websocket_connect("/ws") as ws:
        ws.close(1001)
    assert len(errors) == 1
    assert str(errors[0]) == (
        "app sent 'websocket.send' on websocket ws://testserver/ws after the client disconnected (code 1001)"
    )


# -- timeouts and idling -------------------------------------------------------


def test_receive_timeout_names_the_wait_and_leaves_the_session_usable(make_client: MakeClient) -> None:
    app = Peer()
    client = make_client(app)
    with client.websocket_connect("/ws", timeout=5) as ws:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as caught:
            ws.receive_text(timeout=0.2)
        assert 0.2 <= time.monotonic() - started < 2
        assert str(caught.value) == "the app sent nothing on websocket ws://testserver/ws within 0.2 seconds"
        ws.send_text("still here")
        assert ws.receive_text() == "still here"


def test_receive_timeout_defaults(make_client: MakeClient) -> None:
    client = make_client(Peer(), timeout=0.15)
    with client.websocket_connect("/ws") as ws:
        assert ws.timeout == 0.15
        with pytest.raises(TimeoutError, match=r"within 0\.15 seconds"):
            ws.receive_bytes()
    with client.websocket_connect("/ws", timeout=0.1) as ws, pytest.raises(TimeoutError, match=r"within 0\.1 seconds"):
        ws.receive_json()
    with client.websocket_connect("/ws", timeout=None) as ws:
        assert ws.timeout is None
        with pytest.raises(TimeoutError, match=r"within 0\.1 seconds"):
            ws.receive(timeout=0.1)


def test_handshake_timeout_cancels_the_app(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_channel, "DISCONNECT_GRACE", 0.05)
    cancelled: List[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(True)

    client = make_client(app)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught, client.websocket_connect("/ws", timeout=0.1):
        raise AssertionError("not reached")  # pragma: no cover
    assert str(caught.value) == "the app did not accept or close websocket ws://testserver/ws within 0.1 seconds"
    assert cancelled == [True]
    assert time.monotonic() - started < 3


def test_idle_session_uses_no_cpu(make_client: MakeClient) -> None:
    app = Peer()
    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        cpu, wall = time.process_time(), time.monotonic()
        with pytest.raises(TimeoutError):
            ws.receive(timeout=1.5)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        ws.send_text("awake")
        assert ws.receive_text() == "awake"
    assert wall >= 1.5
    assert cpu < 0.2, f"{cpu:.3f} s of CPU in {wall:.3f} s idle"


# -- app failures --------------------------------------------------------------


def test_app_exception_after_messages(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "first"})
        raise ValueError("boom")

    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "first"
        started = time.monotonic()
        with pytest.raises(ValueError, match=r"^boom$"):
            ws.receive_text(timeout=5)
        assert time.monotonic() - started < 2  # not the 5 s timeout
    # Raised once: leaving the block after the test caught it raises nothing.


def test_app_exception_is_raised_on_exit_unwrapped_from_groups(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        async with anyio.create_task_group():
            message = await receive()
            raise KeyError(message["type"])

    client = make_client(app)
    with pytest.raises(KeyError) as caught, client.websocket_connect("/ws"):
        pass
    assert caught.value.args == ("websocket.disconnect",)


def test_send_raises_the_app_exception_once_the_app_failed(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise ValueError("after the first message")

    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        ws.send_text("one")
        with pytest.raises(ValueError, match=r"^after the first message$"):
            ws.receive()
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
        assert caught.value.code == 1011


def test_app_exception_before_accepting(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise LookupError("no such room")

    client = make_client(app)
    with pytest.raises(LookupError, match=r"^no such room$"), client.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover


def test_without_raise_server_exceptions(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        if scope["path"] == "/early":
            raise RuntimeError("before accepting")
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"x"})
        raise RuntimeError("after accepting")

    # As a server answers: strict mode.
    client = make_client(app, raise_server_exceptions=False, strict=True)
    with client.websocket_connect("/late") as ws:
        assert ws.receive_bytes() == b"x"
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
        assert (caught.value.code, caught.value.reason) == (1011, "the app raised an exception")
    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/early"):
        raise AssertionError("not reached")  # pragma: no cover
    assert denied.value.response.status_code == 500
    # The old client raised a websocket app's exception whatever the setting.
    client = make_client(app, raise_server_exceptions=False)
    with client.websocket_connect("/late") as ws:
        assert ws.receive_bytes() == b"x"
        with pytest.raises(RuntimeError, match="after accepting"):
            ws.receive()
    with pytest.raises(RuntimeError, match="before accepting"), client.websocket_connect("/early"):
        raise AssertionError("not reached")  # pragma: no cover


def test_app_returning_without_answering_the_handshake(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    strict, lenient = make_client(app), make_client(app, raise_server_exceptions=False)
    message = "app returned without accepting or closing the websocket"
    with pytest.raises(ASGIProtocolError, match=message), strict.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover
    with pytest.raises(WebSocketDenialResponse) as denied, lenient.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover
    assert denied.value.response.status_code == 500


# -- denial responses ------------------------------------------------------------


def test_starlette_denial_response(make_client: MakeClient) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        response = JSONResponse({"detail": "nope"}, status_code=403, headers={"X-Why": "policy"})
        await websocket.send_denial_response(response)

    app = Starlette(
        routes=[
            WebSocketRoute("/deny", endpoint),
            WebSocketRoute("/gone", PlainTextResponse("gone for good", status_code=410)),
        ]
    )
    client = make_client(app, strict=True)  # the denial extension is in the scope
    with pytest.raises(WebSocketDenialResponse) as caught, client.websocket_connect("/deny"):
        raise AssertionError("not reached")  # pragma: no cover
    response = caught.value.response
    assert isinstance(response, requests.Response)
    assert response.status_code == 403
    assert response.reason == "Forbidden"
    assert response.headers["x-why"] == "policy"
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b'{"detail":"nope"}'
    assert response.json() == {"detail": "nope"}
    assert response.url == "ws://testserver/deny"
    assert str(caught.value) == "websocket handshake denied with HTTP 403 Forbidden"
    # Code written for the old client catches the disconnect base class.
    assert isinstance(caught.value, starlette.websockets.WebSocketDisconnect)

    with pytest.raises(WebSocketDenialResponse) as caught, client.websocket_connect("/gone"):
        raise AssertionError("not reached")  # pragma: no cover
    assert caught.value.response.status_code == 410
    assert caught.value.response.text == "gone for good"
    # As on Starlette's httpx-based client's exception, read off it directly.
    denied = caught.value
    assert (denied.status_code, denied.text, denied.content) == (410, "gone for good", b"gone for good")
    assert denied.headers["content-type"].startswith("text/plain")


def test_default_receive_timeout_is_finite(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    from asgi_testclient._client import WEBSOCKET_TIMEOUT

    with make_client(app).websocket_connect("/ws") as ws:
        assert ws.timeout == WEBSOCKET_TIMEOUT == 30.0
    with make_client(app, timeout=2).websocket_connect("/ws") as ws:
        assert ws.timeout == 2
    with make_client(app, timeout=2).websocket_connect("/ws", timeout=None) as ws:
        assert ws.timeout is None


def test_raw_denial_response_in_chunks(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"x-a", b"1"), (b"x-a", b"2")]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": "dé".encode(), "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"nied"})

    client = make_client(app)
    with pytest.raises(WebSocketDenialResponse) as caught, client.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover
    response = caught.value.response
    assert response.status_code == 401
    assert response.headers["x-a"] == "1, 2"
    assert response.text == "dénied"
    assert b"".join(response.iter_content(2)) == "dénied".encode()


# -- protocol errors ------------------------------------------------------------


def protocol_breaker(first: List[Dict[str, Any]], then: List[Dict[str, Any]], caught: List[BaseException]) -> Any:
    """An app that sends ``first``, waits for a client message, then sends
    ``then``, swallowing the errors its ``send`` raises."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for batch in (first, then):
            for message in batch:
                try:
                    await send(message)
                except ASGIProtocolError as exc:
                    caught.append(exc)
            if batch is first and caught == []:
                await receive()
        while (await receive())["type"] != "websocket.disconnect":
            pass

    return app


ACCEPT = {"type": "websocket.accept"}


def test_send_before_accept(make_client: MakeClient) -> None:
    caught: List[BaseException] = []
    client = make_client(protocol_breaker([{"type": "websocket.send", "text": "x"}], [], caught))
    with pytest.raises(ASGIProtocolError) as raised, client.websocket_connect("/ws", timeout=5):
        raise AssertionError("not reached")  # pragma: no cover
    assert str(raised.value) == (
        "app sent 'websocket.send' before accepting the websocket (send 'websocket.accept' first)"
    )
    assert caught == [raised.value]


def test_accept_twice_is_raised_from_the_next_call(make_client: MakeClient) -> None:
    caught: List[BaseException] = []
    client = make_client(protocol_breaker([ACCEPT], [ACCEPT], caught))
    with client.websocket_connect("/ws") as ws:
        ws.send_text("go")
        with pytest.raises(ASGIProtocolError, match=r"^app sent 'websocket\.accept' twice$") as raised:
            ws.receive(timeout=5)
    assert caught == [raised.value]


def test_send_after_close_is_raised_on_exit(make_client: MakeClient) -> None:
    caught: List[BaseException] = []
    client = make_client(
        protocol_breaker([ACCEPT], [{"type": "websocket.close"}, {"type": "websocket.send", "text": "late"}], caught)
    )
    message = "^app sent 'websocket.send' after closing the websocket with 'websocket.close'$"
    with pytest.raises(ASGIProtocolError, match=message) as raised, client.websocket_connect("/ws") as ws:
        ws.send_text("go")
        assert ws.receive()["type"] == "websocket.close"
        ws.send_text("ignored")  # the app closed but is still running
    assert caught == [raised.value]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "websocket.send"}, "^'websocket.send' message .* needs exactly one of 'text' and 'bytes'"),
        ({"type": "websocket.send", "text": "a", "bytes": b"b"}, "needs exactly one of 'text' and 'bytes'"),
        ({"type": "websocket.send", "text": b"a"}, "'text' must be a str, 'bytes' bytes"),
        ({"type": "websocket.close", "code": "1000"}, "'code' must be an int"),
        ({"type": "websocket.accept"}, "app sent 'websocket.accept' twice"),
        ({"type": "websocket.http.response.start", "status": 403}, "'websocket.http.response.start' after accepting"),
        ({"type": "http.response.start", "status": 200}, "app sent an unknown message"),
    ],
)
def test_malformed_messages(make_client: MakeClient, message: Dict[str, Any], error: str) -> None:
    caught: List[BaseException] = []
    client = make_client(protocol_breaker([ACCEPT], [message], caught))
    with pytest.raises(ASGIProtocolError, match=error), client.websocket_connect("/ws") as ws:
        ws.send_text("go")
        ws.receive(timeout=5)
    assert len(caught) == 1


def test_denial_with_a_non_integer_status(make_client: MakeClient) -> None:
    caught: List[BaseException] = []
    bad_start = {"type": "websocket.http.response.start", "status": "403"}
    client = make_client(protocol_breaker([bad_start], [], caught))
    with pytest.raises(ASGIProtocolError, match="needs an integer 'status'"), client.websocket_connect("/ws"):
        raise AssertionError("not reached")  # pragma: no cover
    assert len(caught) == 1


def test_protocol_error_the_app_lets_through_is_raised_once(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        await send({"type": "websocket.accept"})

    client = make_client(app)
    with client.websocket_connect("/ws") as ws:
        ws.send_text("go")
        with pytest.raises(ASGIProtocolError, match="twice"):
            ws.receive(timeout=5)
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive(timeout=5)
        assert caught.value.code == 1011
    # Leaving the block does not raise it again.


# -- misuse by the test -----------------------------------------------------------


def test_session_must_be_entered_once(make_client: MakeClient) -> None:
    client = make_client(Peer())
    session = client.websocket_connect("/ws")
    with pytest.raises(RuntimeError, match="use the websocket session in a with block"):
        session.send_text("x")
    with session:
        pass
    with pytest.raises(RuntimeError, match="was used already"):
        session.__enter__()
    with pytest.raises(RuntimeError, match="has ended"):
        session.receive()
    session.close()  # after the end, closing does nothing


def test_connecting_from_the_loop_thread_is_refused(make_client: MakeClient) -> None:
    client = make_client(Peer())

    async def inside() -> None:
        client.websocket_connect("/ws").__enter__()

    with pytest.raises(RuntimeError, match="called from its own event loop thread"):
        client.run(inside)



def test_without_starlette_nothing_imports_it(tmp_path):
    # With Starlette missing, the exception is a plain Exception subclass
    # and websockets work; nothing tries to import Starlette.
    script = tmp_path / "no_starlette.py"
    script.write_text(
        "import sys\n"
        "sys.modules['starlette'] = None  # makes every import of starlette fail\n"
        "from asgi_testclient import TestClient, WebSocketDisconnect\n"
        "assert WebSocketDisconnect.__bases__ == (Exception,), WebSocketDisconnect.__mro__\n"
        "async def app(scope, receive, send):\n"
        "    await receive()\n"
        "    await send({'type': 'websocket.close', 'code': 1008, 'reason': 'go away'})\n"
        "client = TestClient(app)\n"
        "try:\n"
        "    with client.websocket_connect('/ws'):\n"
        "        pass\n"
        "except WebSocketDisconnect as exc:\n"
        "    print(exc.code, exc.reason)\n"
        "client.close()\n"
        "print(sorted(n for n, m in sys.modules.items() if n.split('.')[0] == 'starlette' and m is not None))\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["1008 go away", "[]"]


# -- the loop: start failures, closing under load, the test's own exception ------------------


def test_a_session_whose_task_fails_to_start_raises_at_once(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asgi_testclient import _loop

    client = make_client(Peer())
    with client.websocket_connect("/ws"):
        pass  # the loop runs
    def broken(captured: Any) -> None:
        raise LookupError("no context")

    monkeypatch.setattr(_loop, "_adopt", broken)
    started = time.monotonic()
    with pytest.raises(LookupError, match="no context"), client.websocket_connect("/ws", timeout=10):
        raise AssertionError("not reached")  # pragma: no cover
    assert time.monotonic() - started < 2


def test_closing_the_client_under_open_websockets_disconnects_each(make_client: MakeClient) -> None:
    opened = threading.Semaphore(0)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        opened.release()
        await anyio.sleep_forever()

    client = make_client(app)

    def session(number: int) -> None:
        with client.websocket_connect(f"/ws/{number}", timeout=10) as ws:
            ws.receive()

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(session, number) for number in range(8)]
        for _ in range(8):
            assert opened.acquire(timeout=5)
        client.close()
        errors = [future.exception(timeout=10) for future in futures]
    for number, error in enumerate(errors):
        assert type(error) is WebSocketDisconnect, repr(error)
        assert error.code == 1006
        assert error.reason == (
            "the client was closed (client.close(), or leaving 'with client:') while websocket"
            f" ws://testserver/ws/{number} was open"
        )


def test_the_tests_own_exception_wins_over_the_apps_on_leaving(make_client: MakeClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise RuntimeError("the app failed too")

    client = make_client(app)
    with pytest.raises(AssertionError, match="the test's assertion") as caught:
        with client.websocket_connect("/ws"):
            raise AssertionError("the test's assertion")
    noted = getattr(caught.value, "__notes__", None) or [repr(caught.value.__context__)]
    assert "the app failed too" in " ".join(noted)
    # Without an exception of the test's own, the app's is raised.
    with pytest.raises(RuntimeError, match="the app failed too"), client.websocket_connect("/ws"):
        pass
