"""Running an app's lifespan protocol: startup before a ``with`` block, shutdown after.

An app that raises from its lifespan call has failed to start, and its
exception is raised in the test, as the old client raised it, even when it
raised before asking for ``lifespan.startup`` (Django's handler, say, which
refuses any scope but ``http``). With ``unsupported_ok`` such an app runs
without lifespan instead, the way servers treat it. An app that returns
without answering does not speak lifespan, and runs without it.
"""

from typing import Any, Dict, Optional, Tuple

import anyio
import anyio.abc

from ._exceptions import ASGIProtocolError, LifespanError, unwrap_group
from ._loop import LoopThread
from ._timeout import read_timeout
from ._types import ASGI3App, Message

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
        self._error: Optional[BaseException] = None
        self._protocol_error: Optional[ASGIProtocolError] = None
        self._inbox_send: Any = None
        self._inbox_receive: Any = None
        self._outbox_send: Any = None
        self._outbox_receive: Any = None
        self._done: Optional[anyio.Event] = None
        self._start_error: Optional[BaseException] = None

    # -- on the loop ------------------------------------------------------

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self._state}
        try:
            await self._app(scope, self._receive, self._send)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
        finally:
            assert self._done is not None
            self._done.set()
            # Nothing more can be said once the app has ended: close the
            # app's ends, so the client reads what the app sent last and
            # then the end. The client closes its own ends (_finish).
            self._outbox_send.close()
            self._inbox_receive.close()

    async def _receive(self) -> Message:
        self._asked += 1
        message: Message = await self._inbox_receive.receive()
        return message

    async def _send(self, message: Message) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in _STARTUP_REPLIES + _SHUTDOWN_REPLIES:
            error = ASGIProtocolError(
                f"app sent {message!r:.200} during lifespan; expected one of {_STARTUP_REPLIES + _SHUTDOWN_REPLIES}"
            )
            # Raised in the test even if the app swallows it.
            self._protocol_error = self._protocol_error or error
            raise error
        await self._outbox_send.send(message)

    async def _begin(self) -> None:
        self._inbox_send, self._inbox_receive = anyio.create_memory_object_stream(1)
        self._outbox_send, self._outbox_receive = anyio.create_memory_object_stream(1)
        self._done = anyio.Event()

    async def _finish(self) -> None:
        """No more exchanges: close every end (the app's too, in case its
        task never ran or never got to close them)."""
        self._finish_now()

    def _finish_now(self) -> None:
        # On the loop, or from the test thread once the loop has stopped.
        for stream in (self._inbox_send, self._outbox_receive, self._outbox_send, self._inbox_receive):
            stream.close()

    async def _exchange(self, request: str, replies: Tuple[str, ...]) -> Optional[Message]:
        """Send ``request``; return the app's reply, or ``None`` if it ended first."""
        with anyio.fail_after(self._timeout) if self._timeout is not None else _no_limit():
            try:
                await self._inbox_send.send({"type": request})
                message: Message = await self._outbox_receive.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return None  # the app has ended
            if message["type"] not in replies:
                raise ASGIProtocolError(f"app replied {message!r:.200} to '{request}'; expected one of {replies}")
            if message["type"].endswith(".failed"):
                # Frameworks re-raise the exception after reporting it: give
                # the app a moment to end so the test sees that exception.
                assert self._done is not None
                with anyio.move_on_after(FAILURE_GRACE):
                    await self._done.wait()
            return message

    # -- from the test thread ----------------------------------------------

    def _not_started(self, exc: BaseException) -> None:
        # The app's lifespan task never ran: end the wait for its reply (on
        # the loop) and raise why in the test.
        if self._start_error is None:
            self._start_error = exc
            self._loop.call_soon(self._finish_now)

    def _call(self, func: Any, *args: Any) -> Any:
        # Not through anyio's portal, which refuses a test thread that runs
        # trio itself (a trio client in a trio test).
        try:
            return self._loop.call(func, *args)
        except TimeoutError:
            raise TimeoutError(
                f"the app did not finish its lifespan {func.__name__.strip('_')} within"
                f" {self._timeout:g} seconds"
            ) from None

    def startup(self) -> None:
        """Run startup; raise the app's exception, or :class:`LifespanError`, if it failed."""
        try:
            self._startup_from_thread()
        except BaseException:
            # No shutdown follows a failed startup: close the streams now.
            if self._inbox_send is not None:
                if self._loop.running:
                    self._loop.call(self._finish)
                else:
                    self._finish_now()
            raise

    def _startup_from_thread(self) -> None:
        self._loop.call(self._begin)
        self._loop.spawn(self._run, failed=self._not_started)
        message = self._call(self._startup)
        if self._start_error is not None:
            raise self._start_error
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
        message = self._call(self._shutdown)
        self._raise_protocol_error()
        if message is None:
            if self._error is not None:
                raise unwrap_group(self._error)
            return
        if message["type"] == "lifespan.shutdown.failed":
            self._raise_failure(message, "shutdown")

    async def _startup(self) -> Optional[Message]:
        message = await self._exchange("lifespan.startup", _STARTUP_REPLIES)
        if message is None:
            self._finish_now()  # the app has ended: no shutdown will follow
        return message

    async def _shutdown(self) -> Optional[Message]:
        assert self._done is not None
        try:
            if self._done.is_set():
                return None
            return await self._exchange("lifespan.shutdown", _SHUTDOWN_REPLIES)
        finally:
            await self._finish()

    def _raise_protocol_error(self) -> None:
        if self._protocol_error is not None:
            error, self._protocol_error = self._protocol_error, None
            raise error

    def _raise_failure(self, message: Message, phase: str) -> None:
        if self._error is not None:
            raise unwrap_group(self._error)
        raise LifespanError(f"lifespan {phase} failed: {message.get('message', '')}".rstrip(": "))


class _no_limit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        return None
