"""The hand-off between the test thread and the app's task on the loop.

Every protocol the client speaks (an HTTP exchange, a websocket session,
a lifespan run) is one app task on the client's loop and one test thread
that waits for it. A :class:`Channel` is all they share::

      test thread                      Channel                      loop (app task)
    ---------------   put()    +-------------------+   receive()  ----------------
     send, close  ---------->  | to_app   (deque)  |  ----------> await receive()
                               |                   |   (sleeps on the loop's Event,
                               |                   |    set via call_soon)
     wait(ready,   <---------  | from_app (deque)  |  <---------- await send()
     timeout)      notify_all  |  + bytes buffered |   (waits for space above
     take()        ---------->  |    high water     |    high water)
                   space freed |                   |
     close(reason) ---------->  | closed: reason    |  <---------- close_here()
     end(grace)    ---------->  | finished, error,  |  <---------- run() ends
                   cancel      | start_error       |
                               +-------------------+
                       one threading.Condition guards it all

The test thread sleeps in ``Condition.wait`` (bounded by a timeout, which
the app's progress can restart); the app's task sleeps on an
event of the loop's own library that the test thread sets through
:meth:`LoopThread.call_soon`. Neither side polls, and the same code runs on
asyncio, uvloop and trio. A wait of the test thread says why it ended
(:data:`READY`, :data:`FINISHED`, :data:`TIMEOUT`); a close is seen by both
sides; the task's end (its exception, a cancellation, the loop stopping, or
a task that never ran) is recorded for the test thread to raise.

Each protocol keeps only what its messages mean: which may come when, and
what the test sees of them.
"""

import collections
import threading
import time
from typing import Any, Awaitable, Callable, Deque, Optional

from ._exceptions import unwrap_group
from ._loop import CANCEL_WAIT, LoopClosed, LoopThread, current_cancel, loop_closing
from ._native import Event, native

#: Seconds an app has to finish after it was told the client has gone (a
#: streamed response closed early, a websocket session left), before it is
#: cancelled.
DISCONNECT_GRACE = 1.0

#: The same, after a timeout: the app has had its time already.
TIMEOUT_GRACE = 0.1

#: Why a wait of the test thread ended: what it waited for is there; the
#: app's task has ended; the timeout ran out.
READY, FINISHED, TIMEOUT = "ready", "finished", "timeout"


class Channel:
    """Messages both ways between the test thread and one app task.

    Every field is read and written under :attr:`cond`, unless it says
    otherwise. ``timeout`` bounds each wait of the test thread; it counts
    from the app's last progress (:meth:`progressed`). With ``high_water``,
    the app's :meth:`offer` asks it to wait while more than that many bytes
    wait to be taken.
    """

    def __init__(self, loop: LoopThread, *, timeout: Optional[float] = None, high_water: Optional[int] = None) -> None:
        self.loop = loop
        # An RLock: a Condition on a plain Lock costs three caught
        # AttributeErrors to make (about 1 µs a request).
        self.cond = threading.Condition(threading.RLock())
        self.timeout = timeout
        self.high_water = high_water
        #: Messages for the app, oldest first.
        self.to_app: Deque[Any] = collections.deque()
        #: Messages for the test, oldest first, and their bytes (as offered).
        self.from_app: Deque[Any] = collections.deque()
        self.buffered = 0
        #: Why the channel closed (``None``: open). Either side may close it.
        self.closed: Any = None
        # The task's end.
        self.finished = False
        self.error: Optional[BaseException] = None
        #: The error is a cancellation; or one inside exception groups.
        self.error_is_cancellation = self.error_wraps_cancellation = False
        #: The app was cancelled because the loop stopped (the client closed).
        self.loop_closed = False
        #: Why the task never ran.
        self.start_error: Optional[BaseException] = None
        #: The test thread cancelled the task.
        self.cancelled = False
        self._cancel: Optional[Callable[[], Any]] = None
        self._progress_at = 0.0
        # What the task sleeps on: a message or the close; space.
        self._arrival: Optional[Event] = None
        self._space: Optional[Event] = None

    # -- the task ------------------------------------------------------------

    def start(self, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``await body()`` as the app's task (test thread)."""
        self.loop.spawn(self._run, body, failed=self._not_run)

    async def _run(self, body: Callable[[], Awaitable[None]]) -> None:
        # Never raises but the cancellation that ends the task, as a task must.
        error: Optional[BaseException] = None
        with self.cond:
            self._cancel = current_cancel()
            cancelled_already = self.cancelled
        try:
            if not cancelled_already:
                await body()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            error = exc
        cancellation = wraps_cancellation = False
        if error is not None:
            cancelled_class = native.cancelled
            cancellation = isinstance(error, cancelled_class)
            wraps_cancellation = cancellation or isinstance(unwrap_group(error), cancelled_class)
        with self.cond:
            self.finished = True
            self.error = error
            self.error_is_cancellation = cancellation
            self.error_wraps_cancellation = wraps_cancellation
            self.loop_closed = cancellation and loop_closing()
            self.progressed()
            self.cond.notify_all()
        if cancellation:
            raise error  # type: ignore[misc]

    def _not_run(self, exc: BaseException) -> None:
        """The task could not run (or the loop stopped first): end every
        wait of the test thread with that, at once."""
        with self.cond:
            if self.finished:
                return  # _run has reported already
            self.finished = True
            if isinstance(exc, LoopClosed):
                self.loop_closed = True
            else:
                self.start_error = exc
            self.cond.notify_all()

    def troubled(self) -> bool:
        """Whether the task failed, never ran or was stopped with the loop.

        May be read without ``cond``: a failure recorded just after is seen
        by the next look, as it would be had it come after the lock was
        released.
        """
        return self.error is not None or self.start_error is not None or self.loop_closed

    # -- the loop side ---------------------------------------------------------

    def progressed(self) -> None:
        """Under ``cond``: the app did something, which restarts the timeout."""
        if self.timeout is not None:
            self._progress_at = time.monotonic()

    def arrival(self) -> Event:
        """Under ``cond``, with nothing for the app and the channel open:
        the event the task sleeps on until a message or the close comes."""
        event = self._arrival = self._arrival or native.event()
        return event

    def offer(self, message: Any, size: int = 0, *, wake: bool = True, more: bool = True) -> Optional[Event]:
        """Under ``cond``: hand ``message`` to the test thread and (with
        ``wake``) wake it; unless it is the app's last (``more`` false),
        return the event to wait on for space, if the reader is behind."""
        self.from_app.append(message)
        self.buffered += size
        if wake:
            self.cond.notify_all()
        if more and self.high_water is not None and self.buffered > self.high_water:
            event = self._space = native.event()
            return event
        return None

    def close_here(self, reason: Any) -> Optional[Event]:
        """Under ``cond``, on the loop: close; return the event to set (after
        releasing ``cond``) that wakes the task's own wait for a message."""
        self.closed = reason
        event, self._arrival = self._arrival, None
        return event

    # -- the test-thread side --------------------------------------------------

    def put(self, message: Any, closing: Any = None) -> None:
        """Hand ``message`` to the app and wake it; with ``closing``, the
        message closes the channel (with that reason)."""
        with self.cond:
            self.to_app.append(message)
            if closing is not None:
                self.closed = closing
            event, self._arrival = self._arrival, None
        if event is not None:
            self.loop.call_soon(event.set)

    def take(self) -> Any:
        """Under ``cond``: every message from the app there is, as a list,
        freeing the space they held."""
        taken = list(self.from_app)
        self.from_app.clear()
        self.buffered = 0
        space, self._space = self._space, None
        if space is not None:
            self.loop.call_soon(space.set)
        return taken

    def take_one(self, size: int = 0) -> Any:
        """Under ``cond``: the oldest message from the app (offered with
        ``size``), freeing its space once the buffer is back to high water."""
        message = self.from_app.popleft()
        self.buffered -= size
        if self._space is not None and (self.high_water is None or self.buffered <= self.high_water):
            space, self._space = self._space, None
            self.loop.call_soon(space.set)
        return message

    def close(self, reason: Any, *, drop: bool = False) -> None:
        """Close the channel with ``reason``: the app's waits end, and its
        sends need not wait for space. ``drop`` discards what the app sent."""
        with self.cond:
            self.closed = reason
            events = [self._arrival, self._space]
            self._arrival = self._space = None
            if drop:
                self.from_app.clear()
                self.buffered = 0
        for event in events:
            if event is not None:
                self.loop.call_soon(event.set)

    def wait(self, ready: Callable[[], bool], timeout: Optional[float]) -> str:
        """Under ``cond``: wait until ``ready()`` or the task has finished;
        say which (:data:`READY` first), or :data:`TIMEOUT` once ``timeout``
        seconds passed without progress."""
        if timeout is None:
            while not ready():
                if self.finished:
                    return FINISHED
                self.cond.wait()
            return READY
        started = time.monotonic()
        while not ready():
            if self.finished:
                return FINISHED
            # The app's progress does not wake this wait: it is recorded, and
            # the deadline counts from it.
            remaining = max(started, self._progress_at) + timeout - time.monotonic()
            if remaining <= 0:
                return TIMEOUT
            self.cond.wait(remaining)
        return READY

    def cancel(self) -> None:
        """Cancel the task (its cancellation then is not its failure)."""
        with self.cond:
            self.cancelled = True
            cancel = self._cancel
        if cancel is not None:
            self.loop.call_soon(cancel)

    def end(self, grace: float) -> bool:
        """Give the task ``grace`` seconds to finish, then cancel it and
        wait (at most :data:`~asgi_testclient._loop.CANCEL_WAIT`); return
        whether it has finished."""
        with self.cond:
            if self.cond.wait_for(lambda: self.finished, grace):
                return True
        self.cancel()
        with self.cond:
            return self.cond.wait_for(lambda: self.finished, CANCEL_WAIT)
