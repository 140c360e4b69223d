"""Running an app's lifespan protocol: startup before a ``with`` block, shutdown after.

An app that raises from its lifespan call has failed to start, and its
exception is raised in the test, as the old client raised it, even when it
raised before asking for ``lifespan.startup`` (Django's handler, say, which
refuses any scope but ``http``). With ``unsupported_ok`` such an app runs
without lifespan instead, the way servers treat it. An app that returns
without answering does not speak lifespan, and runs without it.

The app's task and the test thread share a
:class:`~asgi_testclient._channel.Channel`: the test puts
``lifespan.startup`` and ``lifespan.shutdown`` in, and waits (bounded by
the timeout) for the app's reply or its end. The app may send one reply
ahead of the test's reading before its ``send()`` waits.
"""

import functools
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ._channel import FINISHED, TIMEOUT, Channel
from ._exceptions import ASGIProtocolError, LifespanError, unwrap_group
from ._loop import LoopThread
from ._timeout import read_timeout
from ._types import ASGI3App, Message

if TYPE_CHECKING:  # pragma: no cover
    from ._adapter import ASGIAdapter

#: Seconds an app that reported a failed startup or shutdown has to end (and
#: raise its exception) before the failure is reported with its message.
FAILURE_GRACE = 1.0

_STARTUP_REPLIES = ("lifespan.startup.complete", "lifespan.startup.failed")
_SHUTDOWN_REPLIES = ("lifespan.shutdown.complete", "lifespan.shutdown.failed")


class LifespanRunner:
    """One run of the lifespan protocol, on ``loop``, writing into ``state``.

    :meth:`startup` and :meth:`shutdown` are called from the test thread and
    each waits at most ``timeout`` seconds (``None``: no limit).
    """

    def __init__(
        self,
        loop: LoopThread,
        app: ASGI3App,
        state: Dict[str, Any],
        timeout: Optional[float],
        *,
        unsupported_ok: bool = False,
    ) -> None:
        self._loop = loop
        self._unsupported_ok = unsupported_ok
        #: The state requests had before this run (for a nested ``with``).
        self.outer_state: Dict[str, Any] = {}
        self._app = app
        self._state = state
        self._timeout = read_timeout(timeout)  # a urllib3 Timeout too, as for requests
        self.supported = True
        self._asked = 0
        self._protocol_error: Optional[ASGIProtocolError] = None
        # One reply may wait to be read before the app's send() waits.
        self._channel = Channel(loop, high_water=1)

    @property
    def _error(self) -> Optional[BaseException]:
        return self._channel.error

    # -- on the loop ------------------------------------------------------

    async def _receive(self) -> Message:
        self._asked += 1
        channel = self._channel
        while True:
            with channel.cond:
                if channel.to_app:
                    message: Message = channel.to_app.popleft()
                    return message
                if channel.closed is not None:
                    import anyio

                    raise anyio.EndOfStream  # the test has stopped talking
                event = channel.arrival()
            await event.wait()

    async def _send(self, message: Message) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in _STARTUP_REPLIES + _SHUTDOWN_REPLIES:
            error = ASGIProtocolError(
                f"app sent {message!r:.200} during lifespan; expected one of {_STARTUP_REPLIES + _SHUTDOWN_REPLIES}"
            )
            # Raised in the test even if the app swallows it.
            self._protocol_error = self._protocol_error or error
            raise error
        channel = self._channel
        with channel.cond:
            if channel.closed is not None:
                import anyio

                raise anyio.BrokenResourceError  # the test has stopped listening
            space = channel.offer(message, 1)
        if space is not None:
            await space.wait()
            if channel.closed is not None:
                import anyio

                raise anyio.BrokenResourceError

    # -- from the test thread ----------------------------------------------

    def _exchange(self, request: str, replies: Tuple[str, ...]) -> Optional[Message]:
        """Send ``request``; return the app's reply, or ``None`` if it ended first."""
        channel, timeout = self._channel, self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        channel.put({"type": request})
        with channel.cond:
            why = channel.wait(lambda: bool(channel.from_app), timeout)
            if why == FINISHED:
                return None  # the app has ended
            if why == TIMEOUT:
                raise self._timeout_error(request)
            message: Message = channel.take_one(1)
            if message["type"] not in replies:
                raise ASGIProtocolError(f"app replied {message!r:.200} to '{request}'; expected one of {replies}")
            if message["type"].endswith(".failed"):
                # Frameworks re-raise the exception after reporting it: give
                # the app a moment to end so the test sees that exception.
                grace = FAILURE_GRACE if deadline is None else min(FAILURE_GRACE, deadline - time.monotonic())
                if not channel.cond.wait_for(lambda: channel.finished, max(grace, 0)) and grace < FAILURE_GRACE:
                    raise self._timeout_error(request)
            return message

    def _timeout_error(self, request: str) -> TimeoutError:
        return TimeoutError(
            f"the app did not finish its lifespan {request.rpartition('.')[2]} within {self._timeout:g} seconds"
        )

    def startup(self) -> None:
        """Run startup; raise the app's exception, or :class:`LifespanError`, if it failed."""
        try:
            self._startup_from_thread()
        except BaseException:
            # No shutdown follows a failed startup: the app's waits end now.
            self._channel.close("startup failed")
            raise

    def _startup_from_thread(self) -> None:
        channel = self._channel
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self._state}
        channel.start(functools.partial(self._app, scope, self._receive, self._send))
        message = self._exchange("lifespan.startup", _STARTUP_REPLIES)
        if channel.start_error is not None:
            raise channel.start_error
        self._raise_protocol_error()
        if message is None:
            if self._error is None or (self._asked == 0 and self._unsupported_ok):
                # Returned without answering, or refused before asking
                # for lifespan.startup: lifespan is not supported.
                self.supported = False
                return
            raise unwrap_group(self._error)
        if message["type"] == "lifespan.startup.failed":
            self._raise_failure(message, "startup")

    def shutdown(self) -> None:
        """Run shutdown; raise the app's exception, or :class:`LifespanError`, if it failed."""
        if not self.supported:
            return
        channel = self._channel
        try:
            message = None if channel.finished else self._exchange("lifespan.shutdown", _SHUTDOWN_REPLIES)
        finally:
            channel.close("shut down")
        self._raise_protocol_error()
        if message is None:
            if self._error is not None:
                raise unwrap_group(self._error)
            return
        if message["type"] == "lifespan.shutdown.failed":
            self._raise_failure(message, "shutdown")

    def _raise_protocol_error(self) -> None:
        if self._protocol_error is not None:
            error, self._protocol_error = self._protocol_error, None
            raise error

    def _raise_failure(self, message: Message, phase: str) -> None:
        if self._error is not None:
            raise unwrap_group(self._error)
        raise LifespanError(f"lifespan {phase} failed: {message.get('message', '')}".rstrip(": "))


class LifespanStack:
    """A client's nested ``with`` blocks: one lifespan run each, innermost last.

    Entering again inside a block runs the lifespan again, nested (as the
    old client did); leaving the inner block shuts that run down and gives
    requests the outer run's state back. Leaving the outermost closes the
    client.
    """

    def __init__(self) -> None:
        self._runners: List[LifespanRunner] = []
        self._lock = threading.Lock()

    def enter(self, adapter: "ASGIAdapter", timeout: Optional[float], mode: str) -> None:
        """Start a run (unless ``mode`` is ``"off"``) and give requests its state."""
        with self._lock:
            outer_state = adapter.state
            state: Dict[str, Any] = {}
            runner = LifespanRunner(adapter.loop, adapter.app, state, timeout, unsupported_ok=mode == "auto")
            if mode != "off":
                try:
                    runner.startup()
                except BaseException:
                    if not self._runners:
                        adapter.loop.stop()
                    raise
            runner.outer_state = outer_state
            adapter.state = state
            self._runners.append(runner)

    def exit(self, adapter: "ASGIAdapter", mode: str, close: Callable[[], None]) -> None:
        """Shut the innermost run down; after the outermost, ``close()`` the client."""
        with self._lock:
            runner = self._runners.pop() if self._runners else None
            try:
                if runner is not None and mode != "off":
                    runner.shutdown()
            finally:
                if runner is not None and self._runners:
                    adapter.state = runner.outer_state
                else:
                    adapter.state = {}
                    close()
