"""The contract's app (see ``contract.py``) written with Starlette."""

import contextlib
from typing import Any, AsyncIterator, Dict, List

import anyio
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, SSE_INTERVAL, STARTED, STREAM_CHUNKS, Boom, Missing

MISSING: Missing = {}

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"method": request.method, "body": body.decode()}, headers={"x-method": request.method})


async def form(request: Request) -> Response:
    fields: Dict[str, Any] = {}
    files: Dict[str, Any] = {}
    async with request.form() as parsed:
        for name, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                content = (await value.read()).decode()
                files[name] = {"filename": value.filename, "content_type": value.content_type, "content": content}
            else:
                fields[name] = value
    return JSONResponse({"fields": fields, "files": files})


async def cookies(request: Request) -> Response:
    return JSONResponse({"cookies": dict(request.cookies)})


async def set_cookie(request: Request) -> Response:
    response = JSONResponse({"set": "flavour"})
    response.set_cookie("flavour", "oatmeal")
    return response


async def delete_cookie(request: Request) -> Response:
    response = JSONResponse({"deleted": "flavour"})
    response.delete_cookie("flavour")
    return response


async def login(request: Request) -> Response:
    user = (await request.form())["user"]
    request.session["user"] = user
    return JSONResponse({"user": user})


async def whoami(request: Request) -> Response:
    return JSONResponse({"user": request.session.get("user")})


async def redirect(request: Request) -> Response:
    return RedirectResponse("/echo", status_code=302)


async def state(request: Request) -> Response:
    return JSONResponse({"started": request.state.started})


async def stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[str]:
        for chunk in STREAM_CHUNKS:
            yield chunk

    return StreamingResponse(chunks(), media_type="text/plain")


async def error(request: Request) -> Response:
    raise Boom(BOOM_MESSAGE)


async def ws_text(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"echo: {text}")
    except WebSocketDisconnect:
        pass


async def ws_json(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"echo": message})
    except WebSocketDisconnect:
        pass


async def ws_close(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("bye")
    await websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON)


def build(log: List[str]) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Dict[str, Any]]:
        log.append("startup")
        yield {"started": STARTED}
        log.append("shutdown")

    async def sse(request: Request) -> Response:
        async def events() -> AsyncIterator[str]:
            number = 0
            try:
                while True:
                    yield f"data: {number}\n\n"
                    number += 1
                    await anyio.sleep(SSE_INTERVAL)
            finally:
                log.append("sse closed")

        return StreamingResponse(events(), media_type="text/event-stream")

    routes = [
        Route("/echo", echo, methods=METHODS),
        Route("/form", form, methods=["POST"]),
        Route("/cookies", cookies),
        Route("/cookies/set", set_cookie),
        Route("/cookies/delete", delete_cookie),
        Route("/login", login, methods=["POST"]),
        Route("/whoami", whoami),
        Route("/redirect", redirect),
        Route("/state", state),
        Route("/stream", stream),
        Route("/sse", sse),
        Route("/error", error),
        WebSocketRoute("/ws/text", ws_text),
        WebSocketRoute("/ws/json", ws_json),
        WebSocketRoute("/ws/close", ws_close),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SessionMiddleware, secret_key="not-a-secret")],
        lifespan=lifespan,
    )
