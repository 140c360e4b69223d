"""The contract's app (see ``contract.py``) written with Quart."""

from importlib.metadata import version
from typing import Any, AsyncIterator, Dict, List

import anyio
from quart import Quart, Response, jsonify, redirect, request, session, websocket

from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, SSE_INTERVAL, STARTED, STREAM_CHUNKS, Boom, Missing

MISSING: Missing = {
    "trio": "Quart has no trio support: its ASGI layer calls asyncio.ensure_future, which"
    " fails on trio: no asyncio event loop is running there",
}

QUART_VERSION = tuple(int(part) for part in version("quart").split(".")[:2])

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build(log: List[str]) -> Quart:
    app = Quart(__name__)
    app.secret_key = "not-a-secret"
    # Quart answers exceptions with a 500 page of its own unless told to let
    # them reach the server, and how to tell it changed: up to 0.20 only
    # testing mode did (pallets/quart#383); from 0.21 PROPAGATE_EXCEPTIONS
    # does, and from 0.22 testing mode answers with a traceback page instead.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.testing = QUART_VERSION < (0, 21)

    @app.before_serving
    async def startup() -> None:
        log.append("startup")
        app.config["STARTED"] = STARTED

    @app.after_serving
    async def shutdown() -> None:
        log.append("shutdown")

    @app.route("/echo", methods=METHODS)
    async def echo() -> Response:
        body = await request.get_data(as_text=True)
        response = jsonify({"method": request.method, "body": body})
        response.headers["x-method"] = request.method
        return response

    @app.post("/form")
    async def form() -> Dict[str, Any]:
        fields = dict((await request.form).items(multi=True))
        files = {}
        for name, upload in (await request.files).items(multi=True):
            content = upload.read().decode()
            files[name] = {"filename": upload.filename, "content_type": upload.content_type, "content": content}
        return {"fields": fields, "files": files}

    @app.get("/cookies")
    async def cookies() -> Dict[str, Any]:
        return {"cookies": dict(request.cookies)}

    @app.get("/cookies/set")
    async def set_cookie() -> Response:
        response = jsonify({"set": "flavour"})
        response.set_cookie("flavour", "oatmeal")
        return response

    @app.get("/cookies/delete")
    async def delete_cookie() -> Response:
        response = jsonify({"deleted": "flavour"})
        response.delete_cookie("flavour")
        return response

    @app.post("/login")
    async def login() -> Dict[str, Any]:
        user = (await request.form)["user"]
        session["user"] = user
        return {"user": user}

    @app.get("/whoami")
    async def whoami() -> Dict[str, Any]:
        return {"user": session.get("user")}

    @app.get("/redirect")
    async def to_echo() -> Any:
        return redirect("/echo", 302)

    @app.get("/state")
    async def state() -> Dict[str, Any]:
        return {"started": app.config["STARTED"]}

    @app.get("/stream")
    async def stream() -> Response:
        async def chunks() -> AsyncIterator[str]:
            for chunk in STREAM_CHUNKS:
                yield chunk

        return Response(chunks(), mimetype="text/plain")

    @app.get("/sse")
    async def sse() -> Response:
        async def events() -> AsyncIterator[str]:
            number = 0
            try:
                while True:
                    yield f"data: {number}\n\n"
                    number += 1
                    await anyio.sleep(SSE_INTERVAL)
            finally:
                log.append("sse closed")

        response = Response(events(), mimetype="text/event-stream")
        response.timeout = None  # Quart cuts responses off after 60 seconds by default
        return response

    @app.get("/error")
    async def error() -> None:
        raise Boom(BOOM_MESSAGE)

    @app.websocket("/ws/text")
    async def ws_text() -> None:
        while True:
            text = await websocket.receive()
            await websocket.send(f"echo: {text}")

    @app.websocket("/ws/json")
    async def ws_json() -> None:
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"echo": message})

    @app.websocket("/ws/close")
    async def ws_close() -> None:
        await websocket.accept()
        await websocket.send("bye")
        await websocket.close(CLOSE_CODE, CLOSE_REASON)

    return app
