"""The one object that owns a client's event loop and the thread it runs in.

A :class:`LoopThread` starts a daemon thread running an event loop of the
chosen backend and keeps the loop alive until :meth:`LoopThread.stop`. It
offers three ways in from other threads:

* :meth:`~LoopThread.spawn` starts a task without waiting: one thread-safe
  callback creates a native task (an asyncio task, or a task in a trio
  nursery), the cheapest way there is to run an app once per request;
* :meth:`~LoopThread.call_soon` runs a plain callback on the loop, without
  waiting;
* :attr:`~LoopThread.portal` is an ``anyio`` blocking portal, for everything
  that wants a result back.

A spawned task can ask :func:`current_cancel` for a function that cancels
it, callable on the loop.

The thread is a daemon thread so that a client nobody closed can never hold
the interpreter open at exit; :meth:`stop` is what ends it, and the owner
arranges for that (``TestClient.close()``, leaving ``with``, or a finalizer
when the client is garbage-collected).
"""

import contextvars
import sys
import threading
import warnings
from typing import Any, Awaitable, Callable, Dict, Optional, Set

import anyio
from anyio.from_thread import BlockingPortal

#: How long :meth:`LoopThread.stop` waits for the loop thread to end.
STOP_TIMEOUT = 10.0

_BACKENDS = ("asyncio", "trio")
_ASYNCIO_OPTIONS = frozenset({"use_uvloop", "debug", "loop_factory"})

_current_cancel: "contextvars.ContextVar[Callable[[], Any]]" = contextvars.ContextVar("asgi_testclient_cancel")


def current_cancel() -> Callable[[], Any]:
    """In a task started by :meth:`LoopThread.spawn`: a function that
    cancels that task (to be called on the loop)."""
    return _current_cancel.get()


class _Run:
    """What one start of the loop thread made: the thread and its handles."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.ident: Optional[int] = None
        self.portal: Optional[BlockingPortal] = None
        self.call_soon: Optional[Callable[..., Any]] = None
        self.start_task: Optional[Callable[..., Any]] = None
        self.stop_event: Optional[anyio.Event] = None
        self.failure: Optional[BaseException] = None


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
        if backend == "asyncio":
            unknown = set(self.backend_options) - _ASYNCIO_OPTIONS
            if unknown:
                raise ValueError(
                    f"unknown backend_options for asyncio: {', '.join(sorted(unknown))}"
                    f" (known: {', '.join(sorted(_ASYNCIO_OPTIONS))})"
                )
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
            run.thread = threading.Thread(target=self._main, args=(run,), name="asgi_testclient-loop", daemon=True)
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
            if self.backend == "trio":
                anyio.run(self._serve, run, backend="trio", backend_options=self.backend_options)
            else:
                _run_asyncio(self._serve(run), self.backend_options)
        except BaseException as exc:  # handed to the starting thread
            if run.ready.is_set():  # pragma: no cover - _serve swallows task errors
                raise
            run.failure = exc
            run.ready.set()

    async def _serve(self, run: _Run) -> None:
        run.ident = threading.get_ident()
        run.stop_event = anyio.Event()
        async with BlockingPortal() as portal:
            run.portal = portal
            if self.backend == "trio":
                await self._serve_trio(run)
            else:
                await self._serve_asyncio(run)
            await portal.stop(cancel_remaining=True)

    @staticmethod
    async def _serve_asyncio(run: _Run) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        tasks: Set[asyncio.Task[Any]] = set()

        async def wrapper(func: Callable[..., Awaitable[Any]], args: Any) -> None:
            # Cancelled through an anyio scope, not Task.cancel(), so that the
            # app's shielded sections finish first, as on trio.
            try:
                with anyio.CancelScope() as scope:
                    _current_cancel.set(scope.cancel)
                    await func(*args)
            finally:
                # Here rather than in a done callback, which would cost the
                # loop one more iteration before the test thread gets the GIL.
                tasks.discard(asyncio.current_task())

        def start_task(func: Callable[..., Awaitable[Any]], *args: Any) -> None:
            # The loop keeps only weak references to tasks: hold them here.
            if sys.version_info >= (3, 12):
                # The task's first step runs now, in this callback, instead
                # of in the loop's next iteration: an app that answers
                # without waiting has finished when this returns (and left
                # the set already).
                task = asyncio.Task(wrapper(func, args), loop=loop, eager_start=True)
                if not task.done():
                    tasks.add(task)
            else:
                tasks.add(loop.create_task(wrapper(func, args)))

        run.call_soon, run.start_task = loop.call_soon_threadsafe, start_task
        run.ready.set()
        assert run.stop_event is not None
        await run.stop_event.wait()
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.wait(list(tasks), timeout=STOP_TIMEOUT)

    @staticmethod
    async def _serve_trio(run: _Run) -> None:
        import trio

        async def wrapper(func: Callable[..., Awaitable[Any]], args: Any) -> None:
            with trio.CancelScope() as scope:
                _current_cancel.set(scope.cancel)
                await func(*args)

        async with trio.open_nursery() as nursery:
            run.call_soon = trio.lowlevel.current_trio_token().run_sync_soon

            def start_task(func: Callable[..., Awaitable[Any]], *args: Any) -> None:
                nursery.start_soon(wrapper, func, args)

            run.start_task = start_task
            run.ready.set()
            assert run.stop_event is not None
            await run.stop_event.wait()
            nursery.cancel_scope.cancel()

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

        ``func`` must not raise: callers catch and report their own errors.
        Whatever still runs when the loop stops is cancelled.
        """
        run = self._running()
        assert run.call_soon is not None
        run.call_soon(run.start_task, func, *args)

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


def _run_asyncio(main: Awaitable[None], options: Dict[str, Any]) -> None:
    """Run ``main`` on a new asyncio (or uvloop) loop of this thread's own.

    Not ``anyio.run``: anyio 3 installs uvloop as the process-wide event loop
    policy, so every later asyncio client (and the test's own asyncio code)
    would silently run on uvloop. The loop here comes from a policy object
    nobody else sees, or from uvloop directly, and the global policy is left
    alone. anyio's functions work on any running asyncio loop.
    """
    import asyncio

    if options.get("loop_factory") is not None:
        loop = options["loop_factory"]()
    elif options.get("use_uvloop"):
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.DefaultEventLoopPolicy().new_event_loop()
    loop.set_debug(bool(options.get("debug", False)))
    asyncio.set_event_loop(loop)  # this thread's only
    try:
        loop.run_until_complete(main)
    finally:
        try:
            leftover = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in leftover:
                task.cancel()
            if leftover:
                loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
