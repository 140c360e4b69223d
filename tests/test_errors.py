"""App exceptions, both settings of ``raise_server_exceptions``, and protocol errors."""

import asyncio
import sys

import anyio
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from asgi_testclient import ASGIProtocolError


class AppError(Exception):
    pass


async def fails_before_start(scope, receive, send):
    raise AppError("before start")


async def fails_mid_body(scope, receive, send):
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise AppError("mid body")


async def fails_after_body(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"complete"})
    raise AppError("after body")


def test_app_exception_is_raised_with_its_traceback(make_client):
    client = make_client(fails_before_start)
    with pytest.raises(AppError, match="before start") as info:
        client.get("/")
    assert any(entry.name == "fails_before_start" for entry in info.traceback)


def test_500_when_the_response_had_not_started(make_client):
    response = make_client(fails_before_start, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.reason == "Internal Server Error"
    assert response.content == b""


def test_mid_body_failure_raises_or_keeps_what_was_sent(make_client):
    with pytest.raises(AppError, match="mid body"):
        make_client(fails_mid_body).get("/")
    response = make_client(fails_mid_body, raise_server_exceptions=False).get("/")
    assert response.status_code == 201
    assert response.headers["x-a"] == "1"
    assert response.content == b"partial"


def test_mid_body_failure_while_streaming_comes_after_the_sent_part(make_client):
    response = make_client(fails_mid_body).get("/", stream=True)
    chunks = response.iter_content(None)
    assert next(chunks) == b"partial"
    with pytest.raises(AppError, match="mid body"):
        next(chunks)


def test_failure_after_the_body(make_client):
    with pytest.raises(AppError, match="after body"):
        make_client(fails_after_body).get("/")
    assert make_client(fails_after_body, raise_server_exceptions=False).get("/").content == b"complete"


def test_exception_groups_are_unwrapped(make_client):
    async def app(scope, receive, send):
        async with anyio.create_task_group() as group:
            async def child():
                raise AppError("inside a task group")

            group.start_soon(child)

    with pytest.raises(AppError, match="inside a task group"):
        make_client(app).get("/")


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_base_exceptions_are_never_a_500(make_client, exc_type):
    async def app(scope, receive, send):
        raise exc_type()

    with pytest.raises(exc_type):
        make_client(app, raise_server_exceptions=False).get("/")


@pytest.mark.parametrize("how", ["raises it", "cancels its own task"])
@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_the_apps_own_cancellation_is_never_a_500(make_client, backend, how, raise_server_exceptions):
    if backend[0] == "trio":
        pytest.skip("on trio, cancellation leaves an app only through a scope the client cancelled")

    async def app(scope, receive, send):
        if how == "raises it":
            raise asyncio.CancelledError("the app's own")
        asyncio.current_task().cancel()
        await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        make_client(app, raise_server_exceptions=raise_server_exceptions).get("/", timeout=5)


def test_app_returning_without_responding(make_client):
    async def app(scope, receive, send):
        return None

    # The old client's AssertionError, and its words first.
    with pytest.raises(AssertionError, match=r"^TestClient did not receive any response\. The app returned without"):
        make_client(app).get("/")
    assert make_client(app, raise_server_exceptions=False).get("/").status_code == 500


def test_app_returning_mid_body(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})

    # The old client returned what the app had sent; strict mode refuses it.
    response = make_client(app).get("/")
    assert (response.status_code, response.content) == (200, b"a")
    with pytest.raises(ASGIProtocolError, match="before finishing its response body"):
        make_client(app, strict=True).get("/")


@pytest.mark.parametrize("when", ["before the start", "after the start", "after the body"])
def test_unknown_messages_are_ignored_unless_strict(make_client, when):
    unknown = [{"type": "http.response.push", "path": "/style.css", "headers": []}, {"type": "something.else"}]
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    body = {"type": "http.response.body", "body": b"ok"}
    messages = {
        "before the start": [*unknown, start, body],
        "after the start": [start, *unknown, body],
        "after the body": [start, body, *unknown],
    }[when]

    async def app(scope, receive, send):
        for message in messages:
            await send(message)

    response = make_client(app).get("/")
    assert (response.status_code, response.content) == (200, b"ok")
    with pytest.raises(ASGIProtocolError, match="http.response.push"):
        make_client(app, strict=True).get("/")


@pytest.mark.parametrize(
    "messages, error",
    [
        ([{"type": "http.response.begin", "status": 200}], r"^TestClient did not receive any response"),
        ([{"type": "http.response.start"}], "needs an integer 'status'"),
        ([{"type": "http.response.start", "status": "200"}], "needs an integer 'status'"),
        (
            [{"type": "http.response.start", "status": 200}, {"type": "http.response.body", "body": "text"}],
            "has a str body; it must be bytes",
        ),
        ([{"type": "http.response.start", "status": 200, "headers": [("a", "b")]}], r"header \('a', 'b'\)"),
        ([{"type": "http.response.start", "status": 200, "headers": 5}], "must be an iterable"),
        ([{"type": "http.response.body", "body": b""}], '^Received "http.response.body" without "http.response.start"'),
        (
            [{"type": "http.response.start", "status": 200}, {"type": "http.response.start", "status": 200}],
            '^Received multiple "http.response.start" messages',
        ),
        (
            [
                {"type": "http.response.start", "status": 200},
                {"type": "http.response.body", "body": b""},
                {"type": "http.response.body", "body": b""},
            ],
            '^Received "http.response.body" after response completed',
        ),
        ([["not", "a", "dict"]], "ASGI messages are dicts"),
    ],
)
@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_malformed_messages_name_the_message(make_client, messages, error, raise_server_exceptions):
    swallowed = []

    async def app(scope, receive, send):
        try:
            for message in messages:
                await send(message)
        except ASGIProtocolError as exc:
            swallowed.append(exc)  # even an app that swallows it can't hide it

    client = make_client(app, raise_server_exceptions=raise_server_exceptions)
    if messages[0] == {"type": "http.response.begin", "status": 200}:
        # Ignored, as the old client ignored it: then there is no response.
        if raise_server_exceptions:
            with pytest.raises(ASGIProtocolError, match=error):
                client.get("/")
        else:
            assert client.get("/").status_code == 500
        assert swallowed == []
        client = make_client(app, raise_server_exceptions=raise_server_exceptions, strict=True)
        error = r"unknown message \{'type': 'http.response.begin'"
    with pytest.raises(ASGIProtocolError, match=error):
        client.get("/")
    assert len(swallowed) == 1


def test_starlette_and_fastapi_errors(make_client):
    async def boom(request: Request):
        raise AppError("starlette endpoint")

    starlette_app = Starlette(routes=[Route("/", boom)])
    with pytest.raises(AppError, match="starlette endpoint"):
        make_client(starlette_app).get("/")
    response = make_client(starlette_app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.text) == (500, "Internal Server Error")

    fastapi_app = FastAPI()

    @fastapi_app.get("/items/{item_id}")
    async def item(item_id: int):
        if item_id == 0:
            raise AppError("fastapi endpoint")
        return {"item_id": item_id}

    client = make_client(fastapi_app)
    assert client.get("/items/3").json() == {"item_id": 3}
    assert client.get("/items/x").status_code == 422
    with pytest.raises(AppError, match="fastapi endpoint"):
        client.get("/items/0")


def test_streaming_response_failing_mid_stream(make_client):
    async def stream(request: Request):
        async def chunks():
            yield b"one"
            raise AppError("stream broke")

        return StreamingResponse(chunks())

    app = Starlette(routes=[Route("/", stream)])
    with pytest.raises(AppError, match="stream broke"):
        make_client(app).get("/")
    response = make_client(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.content) == (200, b"one")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needs the built-in ExceptionGroup")
def test_groups_of_several_exceptions_are_kept(make_client):
    async def app(scope, receive, send):
        raise ExceptionGroup("two", [AppError("a"), AppError("b")])  # noqa: F821

    with pytest.raises(ExceptionGroup):  # noqa: F821
        make_client(app).get("/")


def test_a_swallowed_exception_is_not_kept_alive_by_the_response(make_client):
    import gc
    import weakref

    class Resource:
        pass

    held = []

    async def app(scope, receive, send):
        resource = Resource()  # a local of the failing frame
        held.append(weakref.ref(resource))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise AppError("mid body")

    client = make_client(app, raise_server_exceptions=False)
    response = client.get("/")
    streamed = client.get("/", stream=True)
    assert streamed.content == response.content == b"part"
    gc.collect()
    assert [ref() for ref in held] == [None, None]
