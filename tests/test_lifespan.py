"""Lifespan: startup and shutdown around ``with``, and lifespan state."""

import contextlib

import anyio
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from asgi_testclient import LifespanError, TestClient


def stateful_app(log):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        log.append("startup")
        yield {"greeting": "hello", "items": []}
        log.append("shutdown")

    async def home(request: Request) -> JSONResponse:
        request.state.items.append(request.url.path)
        request.state.greeting = "changed"  # a request may not change the lifespan's state
        return JSONResponse({"items": list(request.state.items)})

    async def greeting(request: Request) -> JSONResponse:
        return JSONResponse({"greeting": request.state.greeting})

    return Starlette(routes=[Route("/", home), Route("/greeting", greeting)], lifespan=lifespan)


def test_startup_and_shutdown_run_once_around_the_block(make_client):
    log = []
    client = make_client(stateful_app(log))
    with client:
        assert log == ["startup"]
        assert client.get("/").json() == {"items": ["/"]}
        assert client.get("/").json() == {"items": ["/", "/"]}
        assert client.get("/greeting").json() == {"greeting": "hello"}
    assert log == ["startup", "shutdown"]


def test_state_is_a_shallow_copy_per_request(make_client):
    log = []
    client = make_client(stateful_app(log))
    with client:
        client.get("/")
        # The request's copy was shallow: its list is the lifespan's list.
        assert client.lifespan_state["greeting"] == "hello"
        assert client.lifespan_state["items"] == ["/"]
    assert client.lifespan_state == {}


def test_entering_again_inside_the_block_runs_a_nested_lifespan(make_client):
    # As the old client did: each entry runs the lifespan; leaving the inner
    # block shuts its run down and gives requests the outer run's state back.
    log = []
    client = make_client(stateful_app(log))
    with client:
        assert client.get("/").json() == {"items": ["/"]}
        with client:
            assert log == ["startup", "startup"]
            assert client.get("/").json() == {"items": ["/"]}  # the inner run's state
        assert log == ["startup", "startup", "shutdown"]
        assert client.get("/").json() == {"items": ["/", "/"]}
    assert log == ["startup", "startup", "shutdown", "shutdown"]
    assert not client.adapter.loop.running
    with client:
        assert client.get("/").json() == {"items": ["/"]}
    assert log[-2:] == ["startup", "shutdown"]


def test_fastapi_lifespan_state(make_client):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield {"db": {"answer": 42}}

    app = FastAPI(lifespan=lifespan)

    @app.get("/answer")
    async def answer(request: Request):
        return {"answer": request.state.db["answer"]}

    with make_client(app) as client:
        assert client.get("/answer").json() == {"answer": 42}


class StartupError(Exception):
    pass


def test_startup_exception_is_raised_on_enter(make_client):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        raise StartupError("database unreachable")
        yield

    client = make_client(Starlette(lifespan=lifespan))
    with pytest.raises(StartupError, match="database unreachable"):
        client.__enter__()
    assert not client.adapter.loop.running


def test_startup_failed_message_without_exception(make_client):
    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no config"})

    with pytest.raises(LifespanError, match="lifespan startup failed: no config"):
        make_client(app).__enter__()


def test_shutdown_failure_is_raised_on_exit(make_client):
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "could not flush"})

    client = make_client(app)
    client.__enter__()
    with pytest.raises(LifespanError, match="lifespan shutdown failed: could not flush"):
        client.__exit__(None, None, None)
    assert not client.adapter.loop.running


def no_lifespan_app(style):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            if style == "raises":
                raise ValueError("only http, thanks")
            return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def test_app_returning_from_lifespan_runs_without_it(make_client):
    with make_client(no_lifespan_app("returns")) as client:
        assert client.get("/").status_code == 204


def test_app_raising_before_startup_raises_on_enter(make_client):
    # As the old client: the app's own exception, at once.
    client = make_client(no_lifespan_app("raises"))
    with pytest.raises(ValueError, match="only http, thanks"):
        client.__enter__()
    assert not client.adapter.loop.running
    assert client.get("/").status_code == 204  # requests still work


@pytest.mark.parametrize("style", ["raises", "returns"])
def test_lifespan_auto_runs_an_app_without_lifespan_support(make_client, style):
    with make_client(no_lifespan_app(style), lifespan="auto") as client:
        assert client.get("/").status_code == 204


def test_lifespan_off_runs_no_lifespan(make_client):
    log = []
    with make_client(stateful_app(log), lifespan="off") as client:
        with pytest.raises(AttributeError, match="greeting"):
            client.get("/greeting")  # no lifespan state
    assert log == []


def test_unknown_lifespan_mode_is_refused():
    with pytest.raises(ValueError, match="lifespan must be one of 'on', 'auto', 'off', not 'yes'"):
        TestClient(no_lifespan_app("returns"), lifespan="yes")


def test_lifespan_timeout(make_client):
    async def app(scope, receive, send):
        await receive()
        await anyio.sleep(30)

    client = make_client(app, timeout=0.2)
    with pytest.raises(TimeoutError, match="did not finish its lifespan startup within 0.2 seconds"):
        client.__enter__()
    assert not client.adapter.loop.running


def test_wrong_lifespan_message_is_named(make_client):
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.started"})

    with pytest.raises(Exception, match="lifespan.started"):
        make_client(app).__enter__()
