"""Checking and normalising the application under test."""

import functools
import inspect
from typing import Any, Optional, cast

from ._types import ASGI2App, ASGI3App, ASGIApp, Receive, Scope, Send


def _is_coroutine_callable(obj: Any) -> bool:
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    # An instance whose class defines ``async def __call__``.
    return not inspect.isroutine(obj) and inspect.iscoroutinefunction(type(obj).__call__)


def is_asgi3(app: Any) -> bool:
    """Tell a single-callable (ASGI 3) app from a double-callable (ASGI 2) one."""
    if inspect.isclass(app):
        # A class is instantiated per connection: ASGI 2 style, unless it is
        # awaitable itself.
        return hasattr(app, "__await__")
    return _is_coroutine_callable(app)


class _WrapASGI2:
    """Presents a double-callable ASGI 2 application as an ASGI 3 one."""

    def __init__(self, app: ASGI2App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        instance = self.app(scope)
        await instance(receive, send)


def _accepts(func: Any, count: int) -> Optional[bool]:
    """Whether ``func`` can be called with ``count`` positional arguments;
    ``None`` when it has no signature to tell."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return len(required) <= count
    keyword_only_required = [p for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    return not keyword_only_required and len(required) <= count <= len(positional)


def as_asgi3(app: ASGIApp) -> ASGI3App:
    """Return ``app`` as an ASGI 3 callable, or raise ``TypeError`` naming it.

    Coroutine functions (and objects whose ``__call__`` is one) are ASGI 3
    and must take three arguments. Classes, and plain callables taking one
    positional argument, are ASGI 2. A plain callable taking three is taken
    as ASGI 3 returning an awaitable (a decorated app, say). Anything else
    is refused here, not at the first request.
    """
    if not callable(app):
        raise TypeError(f"TestClient needs an ASGI application, got {app!r} which is not callable")
    if is_asgi3(app):
        if _accepts(app, 3) is False:
            raise _not_asgi(app)
        return cast(ASGI3App, app)
    if _accepts(app, 1):
        return _WrapASGI2(cast(ASGI2App, app))
    if not inspect.isclass(app) and _accepts(app, 3):
        return cast(ASGI3App, app)
    if _accepts(app, 1) is None:
        return _WrapASGI2(cast(ASGI2App, app))
    raise _not_asgi(app)


def _not_asgi(app: Any) -> TypeError:
    return TypeError(
        f"TestClient needs an ASGI application, got {app!r}: an ASGI 3 app is"
        " 'async def app(scope, receive, send)' and an ASGI 2 app is"
        " 'def app(scope)' returning 'async def instance(receive, send)'"
    )
