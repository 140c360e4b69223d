"""The contract's app (see ``contract.py``) written with FastAPI."""

import contextlib
from typing import Any, AsyncIterator, Dict, List, Optional

import anyio
from fastapi import FastAPI, Form, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile
from starlette.middleware.sessions import SessionMiddleware

from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, SSE_INTERVAL, STARTED, STREAM_CHUNKS, Boom, Missing

try:  # FastAPI's own server-sent events (newer FastAPI only)
    from fastapi.sse import EventSourceResponse, ServerSentEvent
except ImportError:  # pragma: no cover - older FastAPI
    EventSourceResponse = ServerSentEvent = None

MISSING: Missing = {}

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build(log: List[str]) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Dict[str, Any]]:
        log.append("startup")
        yield {"started": STARTED}
        log.append("shutdown")

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(SessionMiddleware, secret_key="not-a-secret")

    @app.api_route("/echo", methods=METHODS)
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"method": request.method, "body": body.decode()}, headers={"x-method": request.method})

    @app.post("/form")
    async def form(request: Request) -> Dict[str, Any]:
        fields: Dict[str, Any] = {}
        files: Dict[str, Any] = {}
        async with request.form() as parsed:
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    content = (await value.read()).decode()
                    files[name] = {"filename": value.filename, "content_type": value.content_type, "content": content}
                else:
                    fields[name] = value
        return {"fields": fields, "files": files}

    @app.get("/cookies")
    async def cookies(request: Request) -> Dict[str, Any]:
        return {"cookies": dict(request.cookies)}

    @app.get("/cookies/set")
    async def set_cookie(response: Response) -> Dict[str, str]:
        response.set_cookie("flavour", "oatmeal")
        return {"set": "flavour"}

    @app.get("/cookies/delete")
    async def delete_cookie(response: Response) -> Dict[str, str]:
        response.delete_cookie("flavour")
        return {"deleted": "flavour"}

    @app.post("/login")
    async def login(request: Request, user: str = Form()) -> Dict[str, str]:
        request.session["user"] = user
        return {"user": user}

    @app.get("/whoami")
    async def whoami(request: Request) -> Dict[str, Optional[str]]:
        return {"user": request.session.get("user")}

    @app.get("/redirect")
    async def redirect() -> Response:
        return RedirectResponse("/echo", status_code=302)

    @app.get("/state")
    async def state(request: Request) -> Dict[str, str]:
        return {"started": request.state.started}

    @app.get("/stream")
    async def stream() -> Response:
        async def chunks() -> AsyncIterator[str]:
            for chunk in STREAM_CHUNKS:
                yield chunk

        return StreamingResponse(chunks(), media_type="text/plain")

    async def events() -> AsyncIterator[str]:
        number = 0
        try:
            while True:
                yield str(number)
                number += 1
                await anyio.sleep(SSE_INTERVAL)
        finally:
            log.append("sse closed")

    if EventSourceResponse is not None:

        @app.get("/sse", response_class=EventSourceResponse)
        async def sse() -> AsyncIterator[Any]:
            async for data in events():
                yield ServerSentEvent(raw_data=data)

    else:  # pragma: no cover - older FastAPI

        @app.get("/sse")
        async def sse() -> Response:
            async def lines() -> AsyncIterator[str]:
                async for data in events():
                    yield f"data: {data}\n\n"

            return StreamingResponse(lines(), media_type="text/event-stream")

    @app.get("/error")
    async def error() -> None:
        raise Boom(BOOM_MESSAGE)

    @app.websocket("/ws/text")
    async def ws_text(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                await websocket.send_text(f"echo: {text}")
        except WebSocketDisconnect:
            pass

    @app.websocket("/ws/json")
    async def ws_json(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive_json()
                await websocket.send_json({"echo": message})
        except WebSocketDisconnect:
            pass

    @app.websocket("/ws/close")
    async def ws_close(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("bye")
        await websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON)

    return app
