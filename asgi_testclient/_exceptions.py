"""The exceptions this package raises in the test thread."""

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    import requests


class ASGIProtocolError(RuntimeError, AssertionError):
    """The application broke the ASGI protocol.

    Raised whatever ``raise_server_exceptions`` says: a malformed or
    out-of-order message is a bug in the application under test, not a
    response a server could have sent. It is also an ``AssertionError``,
    which is what the old requests-based Starlette client raised for the
    protocol errors it noticed.
    """


class LifespanError(RuntimeError):
    """The application reported ``lifespan.startup.failed`` or
    ``lifespan.shutdown.failed`` without raising an exception of its own."""


def _disconnect_base() -> type:
    # Code written for the old client catches
    # ``starlette.websockets.WebSocketDisconnect``; when Starlette is
    # installed our exception is also one of those, so that code keeps
    # working. Without Starlette nothing is imported.
    try:
        from starlette.websockets import WebSocketDisconnect as Base
    except ImportError:
        return Exception
    return Base


class WebSocketDisconnect(_disconnect_base()):  # type: ignore[misc]
    """The application closed the websocket, or refused the handshake.

    :param code: the close code the application sent (1000 if it sent none).
    :param reason: the close reason the application sent (``""`` if none).
    """

    def __init__(self, code: int = 1000, reason: Optional[str] = None) -> None:
        self.code = code
        self.reason = reason or ""
        Exception.__init__(self, code, self.reason)

    def __str__(self) -> str:
        if self.reason:
            return f"websocket closed with code {self.code}: {self.reason}"
        return f"websocket closed with code {self.code}"


class WebSocketDenialResponse(WebSocketDisconnect):
    """The application answered the websocket handshake with an HTTP response.

    :attr:`response` is a :class:`requests.Response` holding the status,
    headers and body the application sent.
    """

    def __init__(self, response: "requests.Response") -> None:
        self.response = response
        super().__init__(1000, f"denied with HTTP {response.status_code}")
        # Keep ``code`` at the websocket close code a server would report.
        self.code = 1000

    def __str__(self) -> str:
        return (
            f"websocket handshake denied with HTTP {self.response.status_code}"
            f" {self.response.reason}".rstrip()
        )

    # Starlette's httpx-based client made this exception a response itself:
    # tests written for it read these straight off the exception.
    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> Any:
        return self.response.headers

    @property
    def content(self) -> bytes:
        return self.response.content

    @property
    def text(self) -> str:
        return self.response.text

    def json(self, **kwargs: Any) -> Any:
        return self.response.json(**kwargs)


def attach(exc: BaseException, other: BaseException, where: str) -> None:
    """Note ``other`` on ``exc``, the exception the test is already raising,
    instead of raising ``other`` in its place."""
    note = f"{where}, the app also failed: {type(other).__name__}: {other}"
    if hasattr(exc, "add_note"):  # Python 3.11 and later
        exc.add_note(note)
    elif exc.__context__ is None:  # shown before it in the traceback
        exc.__context__ = other
