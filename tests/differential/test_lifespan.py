"""The lifespan under ``with TestClient(app)``: the scope, the messages, and
what leaving or entering raises when the app's lifespan fails."""

import contextlib

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ._harness import Allowed, Raised, compare, describe, run_both


def lifespan_app(startup, shutdown=({"type": "lifespan.shutdown.complete"},), fail_at=None):
    """A factory of raw apps that answer HTTP with ``ok`` and run this lifespan."""

    def factory():
        async def app(scope, receive, send):
            if scope["type"] == "http":
                await receive()
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ok"})
                return
            await receive()
            for message in startup:
                await send(message)
            if fail_at == "startup":
                raise RuntimeError("startup broke")
            await receive()
            for message in shutdown:
                await send(message)
            if fail_at == "shutdown":
                raise RuntimeError("shutdown broke")

        return app

    return factory


def inside_with(client):
    with client:
        return describe(client.get("/"))


COMPLETE = {"type": "lifespan.startup.complete"}
SCENARIOS = {
    "complete": lifespan_app([COMPLETE]),
    # Not here: "lifespan.startup.failed" with no exception after it. The old
    # client then ran the block and hung at shutdown.
    "startup-failed-then-raise": lifespan_app([{"type": "lifespan.startup.failed", "message": "x"}], fail_at="startup"),
    "startup-raise": lifespan_app([], fail_at="startup"),
    "shutdown-failed": lifespan_app([COMPLETE], [{"type": "lifespan.shutdown.failed", "message": "late"}]),
    "shutdown-raise": lifespan_app([COMPLETE], [], fail_at="shutdown"),
}


def failure_reported(old, new):
    """ALLOWED_LIFESPAN_FAILURE_REPORTED: the app reported
    ``lifespan.shutdown.failed`` and returned. The old client went on as if
    shutdown had worked, losing the failure; ours raises ``LifespanError``
    with the app's message."""
    assert not isinstance(old.result, Raised), old.result
    assert new.result == Raised("LifespanError", "lifespan shutdown failed: late")
    new.result = old.result


ALLOWED_LIFESPAN_FAILURE_REPORTED = Allowed("ALLOWED_LIFESPAN_FAILURE_REPORTED", failure_reported)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_lifespan_protocol(backend, name):
    old, new = run_both(SCENARIOS[name], inside_with, backend=backend)
    compare(old, new, [ALLOWED_LIFESPAN_FAILURE_REPORTED] if name == "shutdown-failed" else [])


def http_only():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_app_that_asserts_http_raises_on_enter(backend):
    old, new = run_both(http_only, inside_with, backend=backend)
    compare(old, new)


def returns_on_lifespan():
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_app_that_returns_at_once_from_the_lifespan(backend):
    # ALLOWED_OLD_CLIENT_CRASHED: the old client failed on entering `with`,
    # reading the message the app never sent; ours runs the block.
    old, new = run_both(returns_on_lifespan, inside_with, backend=backend)
    assert old.result == Raised("TypeError", "'NoneType' object is not subscriptable")
    assert new.result["body"] == b"ok"
    old.result = new.result = None
    assert [call["scope"]["type"] for call in new.calls] == ["lifespan", "http"]
    del new.calls[1]
    compare(old, new)


def starlette_with_lifespan():
    events = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield
        events.append("shutdown")

    def home(request):
        return PlainTextResponse(",".join(events))

    return Starlette(routes=[Route("/", home)], lifespan=lifespan)


def test_starlette_lifespan(backend):
    def scenario(client):
        outside = describe(client.get("/"))
        return [inside_with(client), outside]

    old, new = run_both(starlette_with_lifespan, scenario, backend=backend)
    compare(old, new)
