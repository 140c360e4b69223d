"""The one object that owns a client's event loop and the thread it runs in.

A :class:`LoopThread` starts a daemon thread running ``anyio.run`` on the
chosen backend, keeps a task group and a blocking portal open on that loop
until :meth:`LoopThread.stop`, and offers three ways in from other threads:

* :meth:`~LoopThread.spawn` starts a task without waiting (one wake-up of the
  loop thread, no round trip);
* :meth:`~LoopThread.call_soon` runs a plain callback on the loop, without
  waiting;
* :attr:`~LoopThread.portal` is an ``anyio`` blocking portal, for everything
  that wants a result back.

The thread is a daemon thread so that a client nobody closed can never hold
the interpreter open at exit; :meth:`stop` is what ends it, and the owner
arranges for that (``TestClient.close()``, leaving ``with``, or a finalizer
when the client is garbage-collected).
"""

import collections
import threading
import warnings
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Tuple

import anyio
import anyio.abc
from anyio.from_thread import BlockingPortal

#: How long :meth:`LoopThread.stop` waits for the loop thread to end.
STOP_TIMEOUT = 10.0

_BACKENDS = ("asyncio", "trio")


class _Run:
    """What one start of the loop thread made: the thread and its handles."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.ident: Optional[int] = None
        self.portal: Optional[BlockingPortal] = None
        self.task_group: Optional[anyio.abc.TaskGroup] = None
        self.call_soon: Optional[Callable[..., Any]] = None
        self.stop_event: Optional[anyio.Event] = None
        self.failure: Optional[BaseException] = None
        # Tasks to start, handed over from other threads. A deque's append
        # and popleft are atomic, so no lock is needed.
        self.pending: Deque[Tuple[Callable[..., Awaitable[Any]], Tuple[Any, ...]]] = collections.deque()
        self.wakeup: Optional[anyio.Event] = None

    def wake(self) -> None:
        """On the loop: let the spawner start what is pending."""
        if self.wakeup is not None:
            self.wakeup.set()


class LoopThread:
    """Runs one event loop in one daemon thread, from :meth:`start` to :meth:`stop`.

    Thread-safe: any thread may start, use or stop it. After :meth:`stop` it
    can be started again, which makes a new thread and a new loop.
    """

    def __init__(self, backend: str = "asyncio", backend_options: Optional[Dict[str, Any]] = None) -> None:
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(map(repr, _BACKENDS))}, not {backend!r}")
        self.backend = backend
        self.backend_options = dict(backend_options or {})
        self._lock = threading.Lock()
        self._run: Optional[_Run] = None

    # -- lifetime ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._run is not None

    def start(self) -> None:
        """Start the loop thread unless it is running already."""
        if self._run is not None:
            return
        with self._lock:
            if self._run is not None:
                return
            if self.backend == "trio":
                _import_trio()
            run = _Run()
            run.thread = threading.Thread(
                target=self._main, args=(run,), name="asgi_testclient-loop", daemon=True
            )
            run.thread.start()
            run.ready.wait()
            if run.failure is not None:
                run.thread.join()
                raise run.failure
            self._run = run

    def stop(self) -> None:
        """Cancel whatever still runs on the loop, end the loop and its thread.

        Safe to call more than once, from any thread, and from a finalizer.
        """
        with self._lock:
            run, self._run = self._run, None
        if run is None:
            return
        assert run.call_soon is not None and run.stop_event is not None
        try:
            run.call_soon(run.stop_event.set)
        except RuntimeError:  # pragma: no cover - the loop has already ended
            pass
        if threading.get_ident() != run.ident:
            assert run.thread is not None
            run.thread.join(STOP_TIMEOUT)

    def _main(self, run: _Run) -> None:
        try:
            anyio.run(self._serve, run, backend=self.backend, backend_options=self.backend_options)
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            if run.ready.is_set():  # pragma: no cover - _serve swallows task errors
                raise
            run.failure = exc
            run.ready.set()

    async def _serve(self, run: _Run) -> None:
        run.call_soon = _threadsafe_scheduler(self.backend)
        run.ident = threading.get_ident()
        run.stop_event = anyio.Event()
        async with BlockingPortal() as portal:
            async with anyio.create_task_group() as task_group:
                run.portal, run.task_group = portal, task_group
                task_group.start_soon(self._spawner, run, task_group)
                run.ready.set()
                await run.stop_event.wait()
                task_group.cancel_scope.cancel()
            await portal.stop(cancel_remaining=True)

    @staticmethod
    async def _spawner(run: _Run, task_group: anyio.abc.TaskGroup) -> None:
        # anyio starts tasks only from inside a task, not from a plain
        # callback, so spawn() queues the task and wakes this one up.
        pending = run.pending
        while True:
            run.wakeup = anyio.Event()
            while pending:
                func, args = pending.popleft()
                task_group.start_soon(func, *args)
            await run.wakeup.wait()

    # -- ways in -----------------------------------------------------------

    def in_loop_thread(self) -> bool:
        run = self._run
        return run is not None and threading.get_ident() == run.ident

    def _running(self) -> _Run:
        if self.in_loop_thread():
            raise RuntimeError(
                "the TestClient was called from its own event loop thread (from"
                " inside the app, a lifespan handler or code run through"
                " client.portal); that would wait on itself forever. Await the"
                " app directly there, or call the client from the test thread."
            )
        self.start()
        run = self._run
        if run is None:  # pragma: no cover - stopped by another thread just now
            raise RuntimeError("the TestClient's event loop was stopped")
        return run

    @property
    def portal(self) -> BlockingPortal:
        """The blocking portal into the loop, starting the loop if needed."""
        portal = self._running().portal
        assert portal is not None
        return portal

    def spawn(self, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start ``func(*args)`` as a task on the loop; do not wait for it.

        ``func`` must not raise: it runs in the loop's own task group, where
        an exception would cancel every other task. Callers catch and report
        their own errors.
        """
        run = self._running()
        assert run.call_soon is not None
        run.pending.append((func, args))
        run.call_soon(run.wake)

    def call_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Run the plain callable ``func(*args)`` on the loop; do not wait.

        Does nothing once the loop has stopped: whatever the callback would
        have woken has been cancelled with the loop.
        """
        run = self._run
        if run is None or run.call_soon is None:
            return
        try:
            run.call_soon(func, *args)
        except RuntimeError:  # pragma: no cover - the loop ended meanwhile
            pass


def _import_trio() -> None:
    # trio 0.21 and 0.22 warn on import when another sys.excepthook is
    # installed, as the exceptiongroup backport does on Python < 3.11; under
    # -W error that would fail a legacy suite at its first request. The
    # warning is harmless here (the client reports exceptions itself).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "You seem to already have a custom sys.excepthook", RuntimeWarning)
        import trio  # noqa: F401


def _threadsafe_scheduler(backend: str) -> Callable[..., Any]:
    """The running loop's own "call this soon, from any thread" function."""
    if backend == "trio":
        import trio

        return trio.lowlevel.current_trio_token().run_sync_soon  # type: ignore[no-any-return]
    import asyncio

    return asyncio.get_running_loop().call_soon_threadsafe
