"""The websocket session's typed messages: text, bytes and JSON, built on its
``send()`` and ``receive()``.

A mixin of :class:`~asgi_testclient._websocket.WebSocketTestSession`: what
the payload of a message is, and what a wrong one raises, is the same
whatever moves the messages, so it lives apart from the session's hand-off.
"""

import json
from typing import Any, Union

from ._disconnect import WebSocketDisconnect
from ._types import Default, Message
from ._wsprotocol import BYTES

#: The default of ``receive*(timeout=...)``: the session's ``timeout``.
DEFAULT: Any = Default("session timeout")


class PayloadMethods:
    """``send_text``, ``receive_json`` and friends, for a class with ``send``
    and ``receive``."""

    def send(self, message: Message) -> None:  # pragma: no cover - the session's
        raise NotImplementedError

    def receive(self, *, timeout: Any = DEFAULT) -> Message:  # pragma: no cover - the session's
        raise NotImplementedError

    def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes a str, not {type(data).__name__}; use send_bytes() for bytes")
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if not isinstance(data, BYTES):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}; use send_text() for str")
        self.send({"type": "websocket.receive", "bytes": bytes(data)})

    def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as ``json.dumps(data)``, in a text (``mode="text"``) or binary message."""
        text = json.dumps(data)  # the old client's spelling, spaces and escapes included
        if mode not in ("text", "binary"):
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}')
        if mode == "text":
            self.send_text(text)
        else:
            self.send_bytes(text.encode("utf-8"))

    def _payload(self, key: str, timeout: Any) -> Any:
        message = self.receive(timeout=timeout)
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        if message.get(key) is None:
            wanted, got = ("text", "binary") if key == "text" else ("binary", "text")
            raise TypeError(f"expected a {wanted} message from the app, got a {got} message: {message!r:.200}")
        return message[key]

    def receive_text(self, *, timeout: Any = DEFAULT) -> str:
        return str(self._payload("text", timeout))

    def receive_bytes(self, *, timeout: Any = DEFAULT) -> bytes:
        return bytes(self._payload("bytes", timeout))

    def receive_json(self, mode: str = "text", *, timeout: Any = DEFAULT) -> Any:
        """The next message decoded from JSON; ``mode`` says whether it is a text or a binary message."""
        if mode not in ("text", "binary"):
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}')
        if mode == "text":
            return json.loads(self.receive_text(timeout=timeout))
        return json.loads(self.receive_bytes(timeout=timeout).decode("utf-8"))
