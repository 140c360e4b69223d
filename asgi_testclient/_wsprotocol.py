"""The websocket protocol as the app speaks it: which messages may come
when, what is wrong with one, and what the app receives when the test
closes. The session (``_websocket``) moves them; this module judges them.
"""

from collections.abc import Mapping
from typing import Any, List, Optional, Tuple

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ._compat import set_content
from ._exceptions import ASGIProtocolError
from ._http import header_pairs, joined_headers
from ._response import reason_phrase
from ._types import Message, Scope

# Where the app is in the protocol, and which messages it may send there.
CONNECTING, ACCEPTED, CLOSED, RESPONDING, DENIED = "connecting", "accepted", "closed", "responding", "denied"
WHERE = {
    CONNECTING: "before accepting the websocket (send 'websocket.accept' first)",
    ACCEPTED: "after accepting the websocket",
    CLOSED: "after closing the websocket with 'websocket.close'",
    RESPONDING: "in the middle of a denial response (only 'websocket.http.response.body' may follow)",
    DENIED: "after its denial response was complete",
}
ALLOWED = {
    "websocket.accept": (CONNECTING,),
    "websocket.send": (ACCEPTED,),
    "websocket.close": (CONNECTING, ACCEPTED),
    "websocket.http.response.start": (CONNECTING,),
    "websocket.http.response.body": (RESPONDING,),
}
BYTES = (bytes, bytearray, memoryview)
_OPTIONAL_STR = (str, type(None))


def checked_message(message: Message, strict: bool) -> Tuple[str, Any]:
    """``(type, headers)`` of a message the app sent, once it passed the
    checks that need no session state; raises :class:`ASGIProtocolError`."""
    if not isinstance(message, Mapping):
        raise ASGIProtocolError(f"app sent {message!r:.200}, which is not a message: ASGI messages are dicts")
    kind = message.get("type")
    if kind not in ALLOWED:
        raise ASGIProtocolError(
            f"app sent an unknown message {message!r:.200}; a websocket app sends 'websocket.accept',"
            " 'websocket.send' and 'websocket.close', or 'websocket.http.response.start' and"
            " 'websocket.http.response.body' to deny the handshake"
        )
    problem = message_problem(kind, message, strict)
    if problem:
        raise ASGIProtocolError(f"{kind!r} message {message!r:.200} {problem}")
    if kind == "websocket.send" and "headers" not in message:
        return kind, ()  # the message of every echo: nothing more to check
    return kind, header_pairs(message.get("headers") or (), kind, strict)


def message_problem(kind: str, message: Message, strict: bool) -> str:
    """What is wrong with the keys of a ``kind`` message, or ``""``.

    Without ``strict`` a close reason of any type passes, as the old client
    passed it on (today's FastAPI closes with a list of validation errors)."""
    if kind == "websocket.send":
        text, data = message.get("text"), message.get("bytes")
        if (text is None) == (data is None):
            return "needs exactly one of 'text' and 'bytes' (the other missing or None)"
        if not isinstance(text, _OPTIONAL_STR) or not isinstance(data, (*BYTES, type(None))):
            return "has the wrong types: 'text' must be a str, 'bytes' bytes"
    elif kind == "websocket.close":
        code = message.get("code", 1000)
        if not isinstance(code, int) or isinstance(code, bool):
            return "has the wrong type: 'code' must be an int"
        if strict and not isinstance(message.get("reason"), _OPTIONAL_STR):
            return "has the wrong type: 'reason' must be a str"
    elif kind == "websocket.accept" and not isinstance(message.get("subprotocol"), _OPTIONAL_STR):
        return "has the wrong type: 'subprotocol' must be a str or None"
    elif kind == "websocket.http.response.start":
        status = message.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
            return "needs an integer 'status'"
    elif kind == "websocket.http.response.body" and not isinstance(message.get("body", b""), BYTES):
        return "has the wrong type: 'body' must be bytes"
    return ""


class ClientDisconnected(OSError):
    """What the app's ``send()`` raises once the client has gone (spec 2.4);
    like a server, the session does not count it as the app's failure."""


def session_url(scope: Scope) -> str:
    """The websocket URL a ``websocket`` scope was made for."""
    host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    return f"{scope['scheme']}://{host}{scope['raw_path'].decode('latin-1')}" + (f"?{query}" if query else "")


def disconnect_message(code: int, reason: Optional[str], strict: bool) -> Message:
    """What the app receives when the test closes the websocket: the old
    client's message (a ``reason`` only if the test gave one), or with
    ``strict`` a server's (spec 2.3 and later: always a ``reason``)."""
    message: Message = {"type": "websocket.disconnect", "code": code}
    if strict or reason is not None:
        message["reason"] = reason or ""
    return message


def denial_response(url: str, status: int, headers: List[Tuple[bytes, bytes]], body: bytes) -> requests.Response:
    """The ``requests.Response`` of a denied handshake, its body read."""
    response = requests.Response()
    response.status_code, response.reason, response.url = status, reason_phrase(status), url
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(
        joined_headers([(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers])
    )
    response.headers, response.encoding = merged, get_encoding_from_headers(merged)
    set_content(response, body)
    return response
