"""Small raw ASGI apps the tests drive, and what they saw."""

import json
from typing import Any, Dict, List, Optional


class Recorder:
    """An ASGI app that answers with a JSON account of the request it got,
    and keeps the scope and messages for the test to inspect."""

    def __init__(self) -> None:
        self.scopes: List[Dict[str, Any]] = []
        self.messages: List[Dict[str, Any]] = []

    @property
    def scope(self) -> Dict[str, Any]:
        return self.scopes[-1]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.scopes.append(scope)
        body = b""
        while True:
            message = await receive()
            self.messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.body = body
        account = {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query_string": scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body_length": len(body),
        }
        payload = json.dumps(account).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def respond(status: int = 200, headers: Optional[List[Any]] = None, chunks: Any = (b"",)) -> Any:
    """An app sending ``status``, ``headers`` and the body in ``chunks``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status, "headers": headers or []})
        chunks_list = list(chunks)
        for index, chunk in enumerate(chunks_list):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks_list) - 1})

    return app
