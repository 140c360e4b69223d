"""The checks of the app's HTTP response messages that need no exchange
state beyond what is passed in: a start's status, a body message's body,
the Content-Length a strict server holds the body to, and the error for a
message an HTTP app may not send. ``_exchange`` moves the messages; this
module judges them (the websocket session's counterpart is ``_wsprotocol``).
"""

from typing import Any, List, Optional, Tuple

from ._exceptions import ASGIProtocolError
from ._extensions import MESSAGE_EXTENSIONS
from ._types import Message


def start_status(message: Message, status: Optional[int]) -> int:
    """The status of an ``http.response.start`` message, when the response
    had ``status`` already (``None``: not started)."""
    if status is not None:
        raise ASGIProtocolError(
            'Received multiple "http.response.start" messages. The response had already'
            f" started with status {status}."
        )
    status = message.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
        raise ASGIProtocolError(f"'http.response.start' message needs an integer 'status', got {message!r:.200}")
    return status


def body_of(message: Message, started: bool, complete: bool) -> Any:
    """The body of an ``http.response.body`` message, sent after a start
    (``started``) and before the body was ``complete``."""
    if not started:
        raise ASGIProtocolError(
            'Received "http.response.body" without "http.response.start". The app must start its response first.'
        )
    if complete:
        raise ASGIProtocolError(
            'Received "http.response.body" after response completed. An earlier body message had more_body=False.'
        )
    body = message.get("body", b"")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise ASGIProtocolError(f"'http.response.body' message has a {type(body).__name__} body; it must be bytes")
    return body


def unexpected_message(message: Message, message_type: Any, complete: bool) -> ASGIProtocolError:
    """The error for a message a strict server refuses: an extension's not
    offered, anything after a ``complete`` response, or an unknown type."""
    if message_type in MESSAGE_EXTENSIONS:
        return ASGIProtocolError(
            f"app sent {message!r:.200}, but the client does not offer the {message_type!r} extension;"
            f" turn it on with extensions=[{message_type!r}]"
        )
    if complete:
        return ASGIProtocolError(f"app sent {message!r:.200} after the response was complete")
    return ASGIProtocolError(
        f"app sent an unknown message {message!r:.200}; an HTTP app sends"
        " 'http.response.start' then 'http.response.body'"
    )


def check_length(sent: int, declared: int, more_body: bool) -> None:
    """Hold a body of ``sent`` bytes so far to its ``declared`` Content-Length."""
    if sent > declared:
        raise ASGIProtocolError(
            f"app sent {sent} bytes of body, more than its Content-Length of {declared};"
            " a server would refuse the rest"
        )
    if not more_body and sent < declared:
        raise ASGIProtocolError(f"app ended its body after {sent} bytes, short of its Content-Length of {declared}")


def declared_length(headers: List[Tuple[bytes, bytes]]) -> Optional[int]:
    """The one Content-Length of ``headers`` (``None``: none); refuses several, or one not a number."""
    values = set()
    for name, value in headers:
        if len(name) == 14 and name.lower() == b"content-length":
            values.add(value.strip())
    if not values:
        return None
    if len(values) > 1 or not all(value.isdigit() for value in values):
        raise ASGIProtocolError(
            f"app sent Content-Length {b', '.join(sorted(values))!r}, which is not one whole number"
        )
    return int(values.pop())

