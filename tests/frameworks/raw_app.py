"""The contract's app (see ``contract.py``) written as a raw ASGI app, with
nothing but the standard library and anyio: :func:`build_asgi3` returns it as
a single callable, :func:`build_asgi2` as an ASGI 2 double callable (a class
instantiated per connection)."""

import json
from email.parser import BytesParser
from email.policy import HTTP
from http.cookies import SimpleCookie
from typing import Any, Callable, Dict, List, Sequence, Tuple
from urllib.parse import parse_qsl

import anyio

from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, SSE_INTERVAL, STARTED, STREAM_CHUNKS, Boom, Missing

MISSING: Missing = {
    "sessions": "raw ASGI has no sessions: sessions are a framework feature",
}

JSON_TYPE = (b"content-type", b"application/json")


async def read_body(receive: Callable[..., Any]) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return body
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


def parse_form(content_type: str, body: bytes) -> Dict[str, Any]:
    fields: Dict[str, Any] = {}
    files: Dict[str, Any] = {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields.update(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            content = part.get_payload(decode=True).decode()
            filename = part.get_filename()
            if filename is None:
                fields[name] = content
            else:
                files[name] = {"filename": filename, "content_type": part.get_content_type(), "content": content}
    return {"fields": fields, "files": files}


class RawApp:
    """The ASGI 3 app; ``log`` gets the lifespan's and the event stream's events."""

    def __init__(self, log: List[str]) -> None:
        self.log = log

    async def __call__(self, scope: Dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
        else:
            await self.http(scope, receive, send)

    async def lifespan(self, scope: Dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.log.append("startup")
                scope["state"]["started"] = STARTED
                await send({"type": "lifespan.startup.complete"})
            else:
                self.log.append("shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        path, method = scope["path"], scope["method"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        body = await read_body(receive)

        async def respond(status: int, payload: Any, extra: Sequence[Tuple[bytes, bytes]] = ()) -> None:
            data = json.dumps(payload).encode()
            start_headers = [JSON_TYPE, (b"content-length", str(len(data)).encode()), *extra]
            await send({"type": "http.response.start", "status": status, "headers": start_headers})
            await send({"type": "http.response.body", "body": data})

        if path == "/echo":
            await respond(200, {"method": method, "body": body.decode()}, [(b"x-method", method.encode())])
        elif path == "/form" and method == "POST":
            await respond(200, parse_form(headers.get("content-type", ""), body))
        elif path == "/cookies":
            jar = SimpleCookie(headers.get("cookie", ""))
            await respond(200, {"cookies": {name: morsel.value for name, morsel in jar.items()}})
        elif path == "/cookies/set":
            await respond(200, {"set": "flavour"}, [(b"set-cookie", b"flavour=oatmeal; Path=/")])
        elif path == "/cookies/delete":
            await respond(200, {"deleted": "flavour"}, [(b"set-cookie", b'flavour=""; Max-Age=0; Path=/')])
        elif path == "/redirect":
            await send({"type": "http.response.start", "status": 302, "headers": [(b"location", b"/echo")]})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/state":
            await respond(200, {"started": scope["state"]["started"]})
        elif path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            for chunk in STREAM_CHUNKS:
                await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/sse":
            await self.sse(receive, send)
        elif path == "/error":
            raise Boom(BOOM_MESSAGE)
        else:
            await respond(404, {"detail": "Not Found"})

    async def sse(self, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        async def watch_for_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(watch_for_disconnect)
                number = 0
                while True:
                    event = f"data: {number}\n\n".encode()
                    await send({"type": "http.response.body", "body": event, "more_body": True})
                    number += 1
                    await anyio.sleep(SSE_INTERVAL)
        finally:
            self.log.append("sse closed")

    async def websocket(self, scope: Dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        path = scope["path"]
        await receive()  # websocket.connect
        if path not in ("/ws/text", "/ws/json", "/ws/close"):
            await send({"type": "websocket.close", "code": 4404})
            return
        await send({"type": "websocket.accept"})
        if path == "/ws/close":
            await send({"type": "websocket.send", "text": "bye"})
            await send({"type": "websocket.close", "code": CLOSE_CODE, "reason": CLOSE_REASON})
            return
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message["text"]
            reply = f"echo: {text}" if path == "/ws/text" else json.dumps({"echo": json.loads(text)})
            await send({"type": "websocket.send", "text": reply})


def build_asgi3(log: List[str]) -> RawApp:
    return RawApp(log)


def build_asgi2(log: List[str]) -> type:
    app = RawApp(log)

    class ASGI2App:
        """One instance per connection, called with ``receive`` and ``send``."""

        def __init__(self, scope: Dict[str, Any]) -> None:
            self.scope = scope

        async def __call__(self, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
            await app(self.scope, receive, send)

    return ASGI2App
