"""Starlette and FastAPI apps as legacy suites test them: websocket endpoints
that close or fail, leaving a socket the app still writes to, and context
variables set in the test."""

import contextvars

import anyio
import pytest
from fastapi import FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from ._harness import compare, describe, run_both


def fastapi_ws_app():
    app = FastAPI()

    @app.websocket("/items")
    async def items(websocket: WebSocket, q: int):
        await websocket.accept()
        await websocket.send_json({"q": q})
        await websocket.close()

    return app


def fastapi_old_style_validation():
    """FastAPI <= 0.86 closed with 1008 on invalid input, then raised."""

    async def endpoint(websocket):
        await websocket.close(code=1008)
        raise ValueError("validation failed")

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


def outcome(client, url):
    try:
        with client.websocket_connect(url) as ws:
            return ["accepted", ws.receive_json()]
    except Exception as exc:  # noqa: BLE001 - the outcome is compared
        return [type(exc).__name__, getattr(exc, "code", None), getattr(exc, "reason", str(exc))]


@pytest.mark.parametrize("url", ["/items?q=1", "/items?q=bar", "/items"])
def test_fastapi_websocket_validation(backend, url):
    old, new = run_both(fastapi_ws_app, lambda client: outcome(client, url), backend=backend)
    compare(old, new)


def test_close_then_raise_before_accept(backend):
    old, new = run_both(fastapi_old_style_validation, lambda client: outcome(client, "/ws"), backend=backend)
    compare(old, new)


def still_sending():
    async def endpoint(websocket):
        await websocket.accept()
        await anyio.sleep(0.05)
        await websocket.send_json({"late": True})
        await websocket.close()

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


def test_leaving_while_the_app_still_sends(backend):
    def scenario(client):
        outcomes = []
        for _ in range(20):
            try:
                with client.websocket_connect("/ws"):
                    pass
                outcomes.append("quiet")
            except Exception as exc:  # noqa: BLE001 - the outcome is compared
                outcomes.append(repr(exc))
        return outcomes

    old, new = run_both(still_sending, scenario, backend=backend)
    compare(old, new)


REQUEST_ID = contextvars.ContextVar("request_id", default="unset")


def reads_the_context_var():
    def sync_endpoint(request):
        return JSONResponse(REQUEST_ID.get())

    async def async_endpoint(request):
        return JSONResponse(REQUEST_ID.get())

    async def ws_endpoint(websocket):
        await websocket.accept()
        await websocket.send_json(REQUEST_ID.get())
        await websocket.close()

    routes = [Route("/sync", sync_endpoint), Route("/async", async_endpoint), WebSocketRoute("/ws", ws_endpoint)]
    return Starlette(routes=routes)


@pytest.mark.parametrize("inside_with", [False, True], ids=["outside-with", "inside-with"])
def test_context_var_set_in_the_test_reaches_the_app(backend, inside_with):
    def scenario(client):
        def requests():
            token = REQUEST_ID.set("set-by-test")
            try:
                with client.websocket_connect("/ws") as ws:
                    from_ws = ws.receive_json()
                return [describe(client.get("/sync"))["body"], describe(client.get("/async"))["body"], from_ws]
            finally:
                REQUEST_ID.reset(token)

        if inside_with:
            with client:
                return requests()
        return requests()

    old, new = run_both(reads_the_context_var, scenario, backend=backend)
    compare(old, new)
