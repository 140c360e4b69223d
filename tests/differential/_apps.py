"""Raw ASGI apps for protocol details: small enough that what the recorder
logs is exactly what the client did."""

from typing import Any, Callable, List, Sequence, Tuple

Headers = List[Tuple[bytes, bytes]]


async def read_body(receive: Any) -> bytes:
    """The whole request body, message by message."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


def reply(status: int = 200, body: bytes = b"ok", headers: Sequence[Tuple[bytes, bytes]] = ()) -> Callable[[], Any]:
    """A factory of apps that read the request body, then answer."""

    def factory() -> Any:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            await read_body(receive)
            await send({"type": "http.response.start", "status": status, "headers": list(headers)})
            await send({"type": "http.response.body", "body": body})

        return app

    return factory


def echo() -> Any:
    """Answers with the request body."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = await read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    return app
