"""The contract's app (see ``contract.py``) written with Litestar."""

import contextlib
from typing import Any, AsyncIterator, Dict, List, NoReturn, Optional

import anyio
from litestar import HttpMethod, Litestar, MediaType, Request, Response, WebSocket, get, head, post, route, websocket
from litestar.datastructures import UploadFile
from litestar.exceptions import WebSocketDisconnect
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.response import Redirect, ServerSentEvent, Stream

from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, SSE_INTERVAL, STARTED, STREAM_CHUNKS, Boom, Missing

MISSING: Missing = {}


@route(
    "/echo",
    http_method=[
        HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS
    ],
    status_code=200,
)
async def echo(request: Request) -> Response[Dict[str, str]]:
    body = await request.body()
    return Response({"method": request.method, "body": body.decode()}, headers={"x-method": request.method})


# Litestar refuses a HEAD handler that returns a body, so HEAD has its own.
@head("/echo")
async def echo_head(request: Request) -> Response[None]:
    return Response(None, headers={"x-method": request.method})


@post("/form", status_code=200)
async def form(request: Request) -> Dict[str, Any]:
    fields: Dict[str, Any] = {}
    files: Dict[str, Any] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, UploadFile):
            content = (await value.read()).decode()
            files[name] = {"filename": value.filename, "content_type": value.content_type, "content": content}
        else:
            fields[name] = value
    return {"fields": fields, "files": files}


@get("/cookies")
async def cookies(request: Request) -> Dict[str, Any]:
    return {"cookies": dict(request.cookies)}


@get("/cookies/set")
async def set_cookie() -> Response[Dict[str, str]]:
    response = Response({"set": "flavour"})
    response.set_cookie("flavour", "oatmeal")
    return response


@get("/cookies/delete")
async def delete_cookie() -> Response[Dict[str, str]]:
    response = Response({"deleted": "flavour"})
    response.delete_cookie("flavour")
    return response


@post("/login", status_code=200)
async def login(request: Request) -> Dict[str, str]:
    user = (await request.form())["user"]
    request.set_session({"user": user})
    return {"user": user}


@get("/whoami")
async def whoami(request: Request) -> Dict[str, Optional[str]]:
    return {"user": request.session.get("user")}


@get("/redirect")
async def redirect() -> Redirect:
    return Redirect("/echo", status_code=302)


@get("/state")
async def state(request: Request) -> Dict[str, str]:
    return {"started": request.app.state.started}


@get("/stream")
async def stream() -> Stream:
    async def chunks() -> AsyncIterator[str]:
        for chunk in STREAM_CHUNKS:
            yield chunk

    return Stream(chunks(), media_type=MediaType.TEXT)


@get("/error")
async def error() -> None:
    raise Boom(BOOM_MESSAGE)


def reraise(request: Request, exc: Exception) -> NoReturn:
    # Litestar answers every exception with a 500 of its own and never lets
    # one reach the server, so raise_server_exceptions could not show it.
    # This handler lets Boom through, as a server would see it.
    raise exc


@websocket("/ws/text")
async def ws_text(socket: WebSocket) -> None:
    await socket.accept()
    try:
        while True:
            text = await socket.receive_text()
            await socket.send_text(f"echo: {text}")
    except WebSocketDisconnect:
        pass


@websocket("/ws/json")
async def ws_json(socket: WebSocket) -> None:
    await socket.accept()
    try:
        while True:
            message = await socket.receive_json()
            await socket.send_json({"echo": message})
    except WebSocketDisconnect:
        pass


@websocket("/ws/close")
async def ws_close(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text("bye")
    await socket.close(code=CLOSE_CODE, reason=CLOSE_REASON)


def build(log: List[str]) -> Litestar:
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        log.append("startup")
        app.state.started = STARTED
        yield
        log.append("shutdown")

    @get("/sse")
    async def sse() -> ServerSentEvent:
        async def events() -> AsyncIterator[str]:
            number = 0
            try:
                while True:
                    yield str(number)
                    number += 1
                    await anyio.sleep(SSE_INTERVAL)
            finally:
                log.append("sse closed")

        return ServerSentEvent(events())

    return Litestar(
        route_handlers=[
            echo, echo_head, form, cookies, set_cookie, delete_cookie, login, whoami,
            redirect, state, stream, sse, error, ws_text, ws_json, ws_close,
        ],
        lifespan=[lifespan],
        middleware=[ServerSideSessionConfig().middleware],
        exception_handlers={Boom: reraise},
        # The default logging config starts a queue listener thread that
        # outlives the app (the suite checks for leaked threads).
        logging_config=None,
    )
