"""Websocket sessions (being written: see issue 3)."""

from typing import Any, Optional

from ._loop import LoopThread
from ._types import ASGI3App, Scope


class WebSocketTestSession:
    def __init__(
        self,
        loop: LoopThread,
        app: ASGI3App,
        scope: Scope,
        *,
        timeout: Optional[float],
        raise_server_exceptions: bool,
    ) -> None:
        self.scope = scope

    def __enter__(self) -> "WebSocketTestSession":
        raise NotImplementedError

    def __exit__(self, *exc_info: Any) -> None:
        raise NotImplementedError
