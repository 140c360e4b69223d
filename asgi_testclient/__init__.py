"""A requests-compatible test client for ASGI applications.

The public names are imported on first use, so that importing a submodule
(the pytest plugin, which pytest loads in every run) costs nothing.
"""

import importlib as _importlib
import typing as _typing

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

_WHERE = {
    "ASGIAdapter": "._adapter",
    "ASGIProtocolError": "._exceptions",
    "LifespanError": "._exceptions",
    "TestClient": "._client",
    "TestServerCookiePolicy": "._cookies",
    "USE_CLIENT_DEFAULT": "._client",
    "WebSocketDenialResponse": "._disconnect",
    "WebSocketDisconnect": "._disconnect",
    "WebSocketTestSession": "._websocket",
}

if _typing.TYPE_CHECKING:  # pragma: no cover
    from ._adapter import ASGIAdapter
    from ._client import USE_CLIENT_DEFAULT, TestClient
    from ._cookies import TestServerCookiePolicy
    from ._disconnect import WebSocketDenialResponse, WebSocketDisconnect
    from ._exceptions import ASGIProtocolError, LifespanError
    from ._websocket import WebSocketTestSession


def __getattr__(name: str) -> _typing.Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'asgi_testclient' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> _typing.List[str]:
    return sorted(set(globals()) | set(__all__))
