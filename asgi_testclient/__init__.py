"""A requests-compatible test client for ASGI applications."""

from ._adapter import ASGIAdapter
from ._client import USE_CLIENT_DEFAULT, TestClient
from ._cookies import TestServerCookiePolicy
from ._exceptions import (
    ASGIProtocolError,
    LifespanError,
    WebSocketDenialResponse,
    WebSocketDisconnect,
)
from ._websocket import WebSocketTestSession

__version__ = "0.1.0.dev0"

__all__ = [
    "ASGIAdapter",
    "ASGIProtocolError",
    "LifespanError",
    "TestClient",
    "TestServerCookiePolicy",
    "USE_CLIENT_DEFAULT",
    "WebSocketDenialResponse",
    "WebSocketDisconnect",
    "WebSocketTestSession",
]
