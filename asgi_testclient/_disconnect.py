"""The websocket exceptions: :class:`WebSocketDisconnect` and :class:`WebSocketDenialResponse`.

In a module of their own because making them imports Starlette's
``WebSocketDisconnect`` when Starlette is installed, which only code that
opens websockets (or names these exceptions) should pay for.
"""

import operator
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    import requests


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
    status_code = property(operator.attrgetter("response.status_code"), doc="The response's status code.")
    headers = property(operator.attrgetter("response.headers"), doc="The response's headers.")
    content = property(operator.attrgetter("response.content"), doc="The response's body, as bytes.")
    text = property(operator.attrgetter("response.text"), doc="The response's body, as text.")

    def json(self, **kwargs: Any) -> Any:
        return self.response.json(**kwargs)
