"""The exceptions this package raises in the test thread (the websocket
ones are in ``_disconnect``, which imports Starlette's when it is there),
and what the client does with the app's exceptions before raising them."""


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


def attach(exc: BaseException, other: BaseException, where: str) -> None:
    """Note ``other`` on ``exc``, the exception the test is already raising,
    instead of raising ``other`` in its place."""
    note = f"{where}, the app also failed: {type(other).__name__}: {other}"
    if hasattr(exc, "add_note"):  # Python 3.11 and later
        exc.add_note(note)
    elif exc.__context__ is None:  # shown before it in the traceback
        exc.__context__ = other


def unwrap_group(exc: BaseException) -> BaseException:
    """The single exception inside (nested) exception groups, or ``exc``.

    Task groups in the app or its middleware wrap the app's exception in an
    ``ExceptionGroup``; the test wants to see the app's own exception.
    Groups of several exceptions are returned as they are.
    """
    while any(klass.__name__ in _GROUP_NAMES for klass in type(exc).__mro__):
        inner = getattr(exc, "exceptions", None)
        if not isinstance(inner, (list, tuple)) or len(inner) != 1:
            return exc
        exc = inner[0]
    return exc


# The built-in groups (and the exceptiongroup backport's, of the same names),
# anyio 3's ExceptionGroup and trio's MultiError.
_GROUP_NAMES = frozenset({"BaseExceptionGroup", "ExceptionGroup", "MultiError"})
