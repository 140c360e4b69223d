"""Websockets: the handshake scope, every send and receive helper, closing
from either side, and the app failing before or after accepting."""

import pytest

from ._harness import Allowed, compare, run_both


def echo_app():
    """Accepts (with the first offered subprotocol and a header), then
    echoes every message back until the client disconnects."""

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        subprotocol = scope["subprotocols"][0] if scope["subprotocols"] else None
        await send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": [(b"x-accepted", b"yes")]})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            reply = {key: value for key, value in message.items() if key in ("text", "bytes")}
            await send({"type": "websocket.send", **reply})

    return app


def talk(client, url="/ws", **kwargs):
    """Every send and receive helper, once; what the test saw."""
    with client.websocket_connect(url, **kwargs) as ws:
        seen = [ws.accepted_subprotocol, ws.extra_headers]
        ws.send_text("hé")
        seen.append(ws.receive_text())
        ws.send_bytes(b"\x00\xff")
        seen.append(ws.receive_bytes())
        ws.send_json({"a": [1, 2], "é": None})
        seen.append(ws.receive())
        ws.send_json({"b": 1}, mode="binary")
        seen.append(ws.receive_json(mode="binary"))
        ws.send_json([1, "x"])
        seen.append(ws.receive_json())
        ws.close(4001)
    return seen


def test_conversation(backend):
    old, new = run_both(echo_app, talk, backend=backend)
    compare(old, new)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subprotocols": ["chat", "superchat"]},
        {"headers": {"X-Token": "t", "Sec-WebSocket-Protocol": "given"}},
        {"headers": {"Connection": "keep-alive", "Accept": "text/plain"}},
        {"cookies": {"c": "1"}},
        {"params": {"q": ["1", "é"]}},
        {"auth": ("user", "pw")},
    ],
    ids=lambda kwargs: next(iter(kwargs)),
)
def test_handshake_options(backend, kwargs):
    old, new = run_both(echo_app, lambda client: talk(client, "/ws?x=1", **kwargs), backend=backend)
    compare(old, new, [ALLOWED_WEBSOCKET_PARAMS_SENT] if "params" in kwargs else [])


def params_sent(old, new):
    """ALLOWED_WEBSOCKET_PARAMS_SENT: requests leaves ws:// URLs unprepared,
    so the old client silently dropped ``params=`` (lost data); ours adds
    them to the query string as requests encodes them."""
    old_scope, new_scope = old.calls[0]["scope"], new.calls[0]["scope"]
    assert old_scope["query_string"] == b"x=1"
    assert new_scope["query_string"] == b"x=1&q=1&q=%C3%A9"
    new_scope["query_string"] = old_scope["query_string"]


ALLOWED_WEBSOCKET_PARAMS_SENT = Allowed("ALLOWED_WEBSOCKET_PARAMS_SENT", params_sent)


@pytest.mark.parametrize("url", ["/ws", "ws", "ws://testserver/ws", "wss://testserver:8443/ws", "/a%20b/é"])
@pytest.mark.parametrize("base_url", ["http://testserver", "http://testserver/app/", "https://example.com"])
def test_urls_and_base_url(backend, url, base_url):
    old, new = run_both(echo_app, lambda client: talk(client, url), backend=backend, base_url=base_url)
    compare(old, new)


def test_session_cookies_and_headers(backend):
    def scenario(client):
        client.headers["X-Session"] = "s"
        client.cookies.set("jar", "1")
        return talk(client)

    old, new = run_both(echo_app, scenario, backend=backend, root_path="/root")
    compare(old, new)


def closing_app(*before_close, code=1000, reason=None, then=None):
    """A factory of apps that send ``before_close``, close, then raise ``then``."""

    def factory():
        async def app(scope, receive, send):
            await receive()
            for message in before_close:
                await send(message)
            close = {"type": "websocket.close", "code": code}
            if reason is not None:
                close["reason"] = reason
            await send(close)
            if then is not None:
                raise then

        return app

    return factory


ACCEPT = {"type": "websocket.accept"}


def connect_and_receive(count):
    def scenario(client):
        seen = []
        try:
            with client.websocket_connect("/ws") as ws:
                for _ in range(count):
                    seen.append(ws.receive_text())
        except Exception as exc:  # noqa: BLE001 - the outcome is compared
            seen.append((type(exc).__name__, getattr(exc, "code", None), getattr(exc, "reason", str(exc))))
        return seen

    return scenario


@pytest.mark.parametrize(
    ("app", "count"),
    [
        (closing_app(code=1008), 0),
        (closing_app(code=1008, then=ValueError("invalid")), 0),
        (closing_app(code=1008, reason="policy", then=ValueError("invalid")), 0),
        (closing_app(code=3000, reason="gone"), 0),
        (closing_app(ACCEPT, {"type": "websocket.send", "text": "last"}, code=4000, reason="bye"), 2),
        (closing_app(ACCEPT, {"type": "websocket.send", "text": "last"}), 1),
        (closing_app(ACCEPT, then=RuntimeError("after close")), 0),
        (closing_app(ACCEPT, then=RuntimeError("after close")), 1),
    ],
    ids=[
        "close-before-accept",
        "close-before-accept-then-raise",
        "close-with-reason-then-raise",
        "close-3000-with-reason",
        "receive-past-the-close",
        "exit-after-last-message",
        "raise-after-close-exit",
        "raise-after-close-receive",
    ],
)
def test_app_closes(backend, app, count):
    old, new = run_both(app, connect_and_receive(count), backend=backend)
    compare(old, new)


def raising_app(accept):
    def factory():
        async def app(scope, receive, send):
            await receive()
            if accept:
                await send(ACCEPT)
                await send({"type": "websocket.send", "text": "hello"})
            raise ValueError("app failed")

        return app

    return factory


@pytest.mark.parametrize("accept", [True, False], ids=["after-accept", "before-accept"])
@pytest.mark.parametrize("count", [0, 1, 2])
def test_app_raises(backend, accept, count):
    old, new = run_both(raising_app(accept), connect_and_receive(count), backend=backend)
    compare(old, new)


def test_receive_returns_the_message_as_sent(backend):
    def factory():
        async def app(scope, receive, send):
            await receive()
            await send({"type": "websocket.accept", "subprotocol": None})
            await send({"type": "websocket.send", "bytes": b"b", "text": None})
            await send({"type": "websocket.send", "text": "t", "extra": 1})
            await send({"type": "websocket.close", "code": 1001, "reason": "r"})

        return app

    def scenario(client):
        with client.websocket_connect("/") as ws:
            return [ws.receive(), ws.receive(), ws.receive()]

    old, new = run_both(factory, scenario, backend=backend)
    compare(old, new)


def test_an_assertion_in_the_block_is_kept_when_the_app_fails_too(backend):
    """ALLOWED_TEST_EXCEPTION_KEPT: the test's own assertion fails inside the
    block and the app raises after it. The old client raised the app's
    exception in its place, losing the assertion; ours raises the assertion
    and notes the app's exception on it."""

    def scenario(client):
        try:
            with client.websocket_connect("/ws") as ws:
                ws.receive_text()  # the close: WebSocketDisconnect is raised
        except Exception as exc:  # noqa: BLE001 - the outcome is compared
            first = type(exc).__name__
        try:
            with client.websocket_connect("/ws"):
                raise AssertionError("the test's own")
        except Exception as exc:  # noqa: BLE001 - the outcome is compared
            return first, type(exc).__name__, str(exc)

    app = closing_app(ACCEPT, then=RuntimeError("after close"))
    old, new = run_both(app, scenario, backend=backend)
    # The session's own WebSocketDisconnect is replaced by the app's
    # exception on both; an assertion of the test's is kept on ours.
    assert old.result == ("RuntimeError", "RuntimeError", "after close")
    assert new.result == ("RuntimeError", "AssertionError", "the test's own")
    new.result = old.result
    compare(old, new)


def failing_after_send():
    async def app(scope, receive, send):
        await receive()
        if scope["path"] == "/early":
            raise RuntimeError("before accepting")
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "x"})
        raise RuntimeError("after accepting")

    return app


@pytest.mark.parametrize("path", ["/late", "/early"])
def test_app_failure_without_raise_server_exceptions(backend, path):
    # The old client raised a websocket app's exception whatever the setting.
    def scenario(client):
        seen = []
        try:
            with client.websocket_connect(path) as ws:
                seen.append(ws.receive_text())
                seen.append(ws.receive_text())
        except Exception as exc:  # noqa: BLE001 - the outcome is compared
            seen.append((type(exc).__name__, str(exc)))
        return seen

    old, new = run_both(failing_after_send, scenario, backend=backend, raise_server_exceptions=False)
    compare(old, new)


def until_two_disconnects():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        disconnects = 0
        while disconnects < 2:
            message = await receive()
            disconnects += message["type"] == "websocket.disconnect"

    return app


def test_messages_after_the_tests_close_still_reach_the_app(backend):
    def scenario(client):
        with client.websocket_connect("/ws") as ws:
            ws.close(4001)
            ws.send_text("late")
        return "left"

    old, new = run_both(until_two_disconnects, scenario, backend=backend)
    compare(old, new)


def denying_starlette_app():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import WebSocketRoute

    return Starlette(routes=[WebSocketRoute("/gone", PlainTextResponse("gone for good", status_code=410))])


def test_an_http_response_to_the_handshake_is_a_denial(backend):
    def scenario(client):
        try:
            with client.websocket_connect("/gone") as ws:
                return ("entered", ws.accepted_subprotocol)
        except Exception as exc:  # noqa: BLE001 - the outcome is compared
            return (type(exc).__name__, exc.response.status_code, exc.response.text)

    def denial_raised(old, new):
        """ALLOWED_DENIAL_RAISED: a Starlette Response answering a websocket
        handshake sends 'websocket.http.response.start'. The old client took
        that first message for an accept (a silent wrong answer: the app had
        refused); ours raises WebSocketDenialResponse with the response."""
        assert old.result == ("entered", None)
        assert new.result == ("WebSocketDenialResponse", 410, "gone for good")
        new.result = old.result

    old, new = run_both(denying_starlette_app, scenario, backend=backend)
    compare(old, new, [Allowed("ALLOWED_DENIAL_RAISED", denial_raised)])
