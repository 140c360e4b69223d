"""Streaming, disconnects and timeouts."""

import time

import anyio
import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from asgi_testclient._exchange import HIGH_WATER


def endless_events_app(log):
    async def events(request: Request) -> StreamingResponse:
        async def stream():
            number = 0
            try:
                while True:
                    yield f"data: {number}\n\n"
                    number += 1
                    await anyio.sleep(0.005)
            finally:
                log.append("generator closed")

        return StreamingResponse(stream(), media_type="text/event-stream")

    return Starlette(routes=[Route("/events", events)])


def test_endless_event_stream_is_read_event_by_event_then_closed(make_client):
    log = []
    client = make_client(endless_events_app(log))
    with client.get("/events", stream=True, timeout=5) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        events = [next(lines) for _ in range(6)]
    assert events == [b"data: 0", b"", b"data: 1", b"", b"data: 2", b""]
    assert log == ["generator closed"]


def test_stream_returns_at_response_start_and_chunks_arrive_as_sent(make_client):
    sent_at = {}

    async def app(scope, receive, send):
        release = sent_at["release"] = anyio.Event()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        sent_at["first"] = time.monotonic()
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await release.wait()
        await send({"type": "http.response.body", "body": b"second"})

    client = make_client(app)
    response = client.get("/", stream=True, timeout=5)
    chunks = response.iter_content(chunk_size=None)
    assert next(chunks) == b"first"
    assert time.monotonic() - sent_at["first"] < 1
    client.portal.call(sent_at["release"].set)
    assert list(chunks) == [b"second"]


def test_stream_returns_before_the_app_sends_any_body(make_client):
    state = {}

    async def app(scope, receive, send):
        release = state["release"] = anyio.Event()
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-started", b"yes")]})
        await release.wait()  # set by the test, once the call has returned
        state["body sent"] = True
        await send({"type": "http.response.body", "body": b"after"})

    client = make_client(app)
    # Waiting for any body here would end in ReadTimeout: only the test
    # releases the app.
    response = client.get("/", stream=True, timeout=5)
    assert (response.status_code, response.headers["x-started"]) == (201, "yes")
    assert "body sent" not in state
    client.portal.call(state["release"].set)
    assert response.content == b"after"


def test_app_is_backpressured_while_streaming(make_client):
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(200):
            await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
            sent.append(1)
        await send({"type": "http.response.body", "body": b""})

    client = make_client(app)
    with client.get("/", stream=True, timeout=5) as response:
        first = next(response.iter_content(65536))
        time.sleep(0.2)
        # While nobody reads, the app stops once the client holds a
        # high-water mark's worth in the exchange and one in the reader.
        assert len(first) == 65536
        assert 0 < len(sent) * 65536 <= 2 * HIGH_WATER + 65536
        total = len(first) + sum(len(c) for c in response.iter_content(65536))
    assert total == 200 * 65536
    assert len(sent) == 200


def test_disconnect_follows_a_complete_body(make_client):
    messages = []

    async def app(scope, receive, send):
        messages.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        messages.append(await receive())

    assert make_client(app).get("/").content == b"done"
    assert messages[1] == {"type": "http.disconnect"}


def test_closing_a_stream_early_tells_the_app(make_client):
    seen = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"chunk", "more_body": True})
        seen.append(await receive())

    client = make_client(app)
    response = client.get("/", stream=True, timeout=5)
    assert response.raw.read(5) == b"chunk"
    response.close()
    assert seen == [{"type": "http.disconnect"}]


def test_app_ignoring_disconnect_is_cancelled_after_a_grace_period(make_client):
    state = {}

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
        except BaseException as exc:
            state["ended_by"] = type(exc).__name__
            raise

    client = make_client(app)
    response = client.get("/", stream=True)
    next(response.iter_content(1))
    started = time.monotonic()
    response.close()
    assert time.monotonic() - started < 3
    assert state["ended_by"] in ("CancelledError", "Cancelled")


def test_timeout_before_the_response_starts(make_client):
    seen = []

    async def app(scope, receive, send):
        await receive()
        seen.append(await receive())
        await anyio.sleep(30)

    client = make_client(app)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout) as info:
        client.get("/slow", timeout=0.2)
    assert time.monotonic() - started < 3
    assert str(info.value) == (
        "GET http://testserver/slow timed out: the app did not start its response"
        " within 0.2 seconds (timeout=0.2)"
    )
    assert info.value.request.url == "http://testserver/slow"
    assert seen == [{"type": "http.disconnect"}]


def test_timeout_of_a_fastapi_endpoint_cancels_it(make_client):
    from fastapi import FastAPI

    app = FastAPI()
    log = []

    @app.get("/slow")
    async def slow():
        try:
            await anyio.sleep(30)
        finally:
            log.append("endpoint ended")
        return {"never": "sent"}

    client = make_client(app)
    expected = r"^GET http://testserver/slow timed out: .* 0\.2 seconds"
    with pytest.raises(requests.exceptions.ReadTimeout, match=expected):
        client.get("/slow", timeout=0.2)
    assert log == ["endpoint ended"]  # told to disconnect, then cancelled: nothing left running
    assert client.get("/docs").status_code == 200  # and the client goes on


def test_timeout_between_body_chunks_when_streaming(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await anyio.sleep(30)

    client = make_client(app)
    response = client.get("/", stream=True, timeout=(1, 0.2))
    chunks = response.iter_content(None)
    assert next(chunks) == b"a"
    expected = "did not send the next chunk of its response body within 0.2 seconds"
    with pytest.raises(requests.exceptions.ReadTimeout, match=expected):
        next(chunks)


def test_timeout_between_body_chunks_without_streaming(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await anyio.sleep(30)

    with pytest.raises(requests.exceptions.ReadTimeout, match="next chunk"):
        make_client(app).get("/", timeout=0.2)


def test_timeout_counts_from_the_last_progress(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(5):
            await anyio.sleep(0.1)
            await send({"type": "http.response.body", "body": b".", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    assert make_client(app).get("/", timeout=0.3).content == b"....."


def test_client_wide_timeout_and_override(make_client):
    async def app(scope, receive, send):
        await anyio.sleep(0.3)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = make_client(app, timeout=0.1)
    with pytest.raises(requests.exceptions.ReadTimeout, match=r"within 0.1 seconds"):
        client.get("/")
    assert client.get("/", timeout=None).status_code == 204
    assert client.get("/", timeout=2).status_code == 204


def test_invalid_timeout_is_refused(make_client):
    client = make_client(endless_events_app([]))
    with pytest.raises(ValueError, match="Invalid timeout"):
        client.get("/", timeout=(1, 2, 3))
    with pytest.raises(ValueError, match="greater than zero"):
        client.get("/", timeout=0)


def test_the_tests_own_exception_wins_over_the_apps_on_closing(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await receive()  # the disconnect, when the test closes the response
        raise RuntimeError("the app failed too")

    client = make_client(app)
    with pytest.raises(AssertionError, match="the test's assertion") as caught:
        with client.get("/", stream=True) as response:
            assert response.raw.read(5) == b"first"
            raise AssertionError("the test's assertion")
    noted = getattr(caught.value, "__notes__", None) or [repr(caught.value.__context__)]
    assert "the app failed too" in " ".join(noted)
    # Without an exception of the test's own, the app's is raised.
    with pytest.raises(RuntimeError, match="the app failed too"):
        with client.get("/", stream=True) as response:
            assert response.raw.read(5) == b"first"
