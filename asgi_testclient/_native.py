"""What code on the client's loop waits with: the loop's own library's.

The client's own waits (an app's ``receive()`` with nothing to receive, a
``send()`` waiting for space) use asyncio's or trio's primitives directly,
not anyio's, so that an app that never uses anyio does not pay for
importing anyio's backend (about 10 ms at a client's first request). The
loop thread fills :data:`native` in as its loop starts (``_serving``).
"""

import threading
from typing import Any, Awaitable, Callable, Protocol, Type


class Event(Protocol):
    """An event of the loop's own library (asyncio's or trio's), set and
    awaited on the loop."""

    def set(self) -> Any: ...

    async def wait(self) -> Any: ...


class _Native(threading.local):
    """The loop's primitives, per thread: read only on the loop thread."""

    #: Makes an :class:`Event`.
    event: Callable[[], Event]
    #: ``await checkpoint()`` lets the loop run (and a cancellation in).
    checkpoint: Callable[[], Awaitable[Any]]
    #: The exception a cancelled task gets.
    cancelled: Type[BaseException]


native = _Native()
