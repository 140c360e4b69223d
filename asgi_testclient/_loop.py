"""The one object that owns a client's event loop and the thread it runs in.

A :class:`LoopThread` starts a daemon thread running an event loop of the
chosen backend and keeps the loop alive until :meth:`LoopThread.stop`. It
offers four ways in from other threads:

* :meth:`~LoopThread.spawn` starts a task without waiting: one thread-safe
  callback creates a native task (an asyncio task, or a task in a trio
  nursery), the cheapest way there is to run an app once per request;
* :meth:`~LoopThread.call` runs a coroutine function there and waits for
  its result, from any thread, one running trio included;
* :meth:`~LoopThread.call_soon` runs a plain callback on the loop, without
  waiting;
* :attr:`~LoopThread.portal` is an ``anyio`` blocking portal, for users
  who want one (anyio's portal refuses a thread that runs trio itself).

Every task runs in a context of its own: it sees the context variables of
the thread that started it, but not those that describe that thread's own
event loop (sniffio's "current async library"), which would mislead anyio
on the client's loop. A task that cannot start, or a loop that stops before
it starts, is reported to whoever waits for it, never left unnoticed.

A spawned task can ask :func:`current_cancel` for a function that cancels
it, callable on the loop, and :func:`loop_closing` whether a cancellation
it got is its loop stopping.

The thread is a daemon thread so that a client nobody closed can never hold
the interpreter open at exit; :meth:`stop` is what ends it, and the owner
arranges for that (``TestClient.close()``, leaving ``with``, or a finalizer
when the client is garbage-collected).
"""

import concurrent.futures
import contextvars
import threading
import warnings
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from ._native import Event, native

if TYPE_CHECKING:  # pragma: no cover - imported by the loop thread when it starts
    from anyio.from_thread import BlockingPortal

#: How long :meth:`LoopThread.stop` waits for the loop thread to end.
STOP_TIMEOUT = 10.0

#: Seconds :meth:`LoopThread.call` waits for a task it cancelled at its
#: timeout to end.
CANCEL_WAIT = 5.0

_BACKENDS = ("asyncio", "trio")
_ASYNCIO_OPTIONS = frozenset({"use_uvloop", "debug", "loop_factory"})

Failed = Callable[[BaseException], Any]

# What a spawned task knows of itself: how to cancel it, and the run of the
# loop it belongs to (to tell the client's close from other cancellations).
_task_info: "contextvars.ContextVar[Tuple[Callable[[], Any], _Run]]" = contextvars.ContextVar(
    "asgi_testclient_task"
)


def _loop_describing_vars() -> "frozenset[contextvars.ContextVar[Any]]":
    """Context variables a task must not take over from the thread that
    started it, because they describe that thread's event loop, not the
    client's: sniffio's marker of the running async library (set by anyio
    and trio; with "trio" in it, anyio on the client's asyncio loop would
    take itself for trio), and the client's own task information."""
    excluded: Set[contextvars.ContextVar[Any]] = {_task_info}
    try:
        from sniffio import current_async_library_cvar
    except ImportError:  # pragma: no cover - sniffio is anyio's dependency
        pass
    else:
        excluded.add(current_async_library_cvar)
    return frozenset(excluded)


_EXCLUDED = _loop_describing_vars()


def _adopt(captured: contextvars.Context) -> None:
    """Set, in the running task's own context, every variable of
    ``captured`` except those that describe another event loop."""
    for var, value in captured.items():
        if var not in _EXCLUDED:
            var.set(value)


class LoopClosed(RuntimeError):
    """The loop stopped (the client was closed) before, or while, a task ran."""


def current_cancel() -> Callable[[], Any]:
    """In a task started by :meth:`LoopThread.spawn`: a function that
    cancels that task (to be called on the loop)."""
    return _task_info.get()[0]


def loop_closing() -> bool:
    """In a task started by :meth:`LoopThread.spawn`: whether its loop is
    being stopped, so that a cancellation it gets is the client's close."""
    info = _task_info.get(None)
    return info is not None and info[1].closing


class _Run:
    """What one start of the loop thread made: the thread and its handles."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.ident: Optional[int] = None
        self.portal: Optional[BlockingPortal] = None
        self.call_soon: Optional[Callable[..., Any]] = None
        self.start_task: Optional[Callable[..., Any]] = None
        self.stop_event: Optional[Event] = None
        self.portal_lock = threading.Lock()
        self.failure: Optional[BaseException] = None
        #: Set on the loop once stopping has begun.
        self.closing = False
        #: The ``failed`` callbacks of spawned tasks that have not started
        #: yet, by a key of their own. Whoever pops a key (the task as it
        #: starts, or the loop thread as it ends) owns the callback: each
        #: is called at most once, and none is forgotten.
        self.pending: Dict[object, Failed] = {}

    def claim(self, key: Optional[object]) -> bool:
        return key is None or self.pending.pop(key, None) is not None

    def fail_pending(self) -> None:
        """Report every task that will now never start (the loop has ended)."""
        while True:
            try:
                _, failed = self.pending.popitem()
            except KeyError:
                return
            failed(LoopClosed("the TestClient was closed before the task could start"))


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
                import anyio

                anyio.run(self._serve, run, backend="trio", backend_options=self.backend_options)
            else:
                from ._serving import run_asyncio

                run_asyncio(self._serve(run), self.backend_options)
        except BaseException as exc:  # handed to the starting thread
            if run.ready.is_set():  # pragma: no cover - _serve swallows task errors
                raise
            run.failure = exc
            run.ready.set()
        finally:
            run.closing = True
            run.fail_pending()

    async def _serve(self, run: _Run) -> None:
        run.ident = threading.get_ident()
        from ._serving import serve_asyncio, serve_trio

        if self.backend == "trio":
            await serve_trio(run)
        else:
            await serve_asyncio(run)

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
    def portal(self) -> "BlockingPortal":
        """The blocking portal into the loop, starting the loop if needed
        (and the portal, the first time it is asked for).

        anyio's portal reaches a trio loop through ``trio.from_thread``, which
        refuses a thread that runs trio itself: use :meth:`call` where the
        caller may be inside a trio test.
        """
        run = self._running()
        with run.portal_lock:
            if run.portal is None:
                run.portal = self._open_portal(run)
        return run.portal

    def _open_portal(self, run: _Run) -> "BlockingPortal":
        """Start a task that holds a portal open until the loop stops."""
        opened: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()

        async def hold() -> None:
            from anyio.from_thread import BlockingPortal

            async with BlockingPortal() as portal:
                opened.set_result(portal)
                assert run.stop_event is not None
                await run.stop_event.wait()
                await portal.stop(cancel_remaining=True)

        def failed(exc: BaseException) -> None:
            if not opened.done():
                opened.set_exception(exc)

        self.spawn(hold, failed=failed)
        return opened.result()

    def spawn(self, func: Callable[..., Awaitable[Any]], *args: Any, failed: Optional[Failed] = None) -> None:
        """Start ``func(*args)`` as a task on the loop; do not wait for it.

        The task sees the calling thread's context variables, except those
        that describe the caller's own event loop (see :func:`_adopt`).

        ``failed(exc)`` is called, once, if the task cannot start or run
        ``func`` (the loop stopped first: :class:`LoopClosed`; or anything
        raised on the way), or if ``func`` raises: that way whoever waits
        for the task always hears of it. It may be called on the loop, or in
        this thread before ``spawn`` returns, and must not raise. Without
        it, ``func`` must not raise, and a loop that has ended raises here.
        Whatever still runs when the loop stops is cancelled.
        """
        run = self._running()
        assert run.call_soon is not None
        captured = contextvars.copy_context()
        key: Optional[object] = None
        if failed is not None:
            key = object()
            run.pending[key] = failed
        try:
            run.call_soon(run.start_task, func, args, captured, failed, key)
        except RuntimeError as exc:  # the loop ended meanwhile
            if failed is None:
                raise
            _report(run, key, failed, LoopClosed(f"the TestClient was closed before the task could start ({exc})"))

    def call(self, func: Callable[..., Awaitable[Any]], *args: Any, timeout: Optional[float] = None) -> Any:
        """Run ``await func(*args)`` on the loop and return its result (or
        raise its exception), waiting at most ``timeout`` seconds.

        Unlike ``portal.call`` it works from any thread, one that runs a trio
        loop of its own included, and it never waits for a task that has
        gone: a loop that stops first raises :class:`LoopClosed`. At the
        timeout the task is cancelled and ``TimeoutError`` raised.
        """
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        cancel: List[Callable[[], Any]] = []

        def settle(exc: Optional[BaseException], result: Any = None) -> None:
            if future.done():
                return
            if exc is None:
                future.set_result(result)
            else:
                future.set_exception(exc)

        async def runner() -> None:
            cancel.append(current_cancel())
            try:
                result = await func(*args)
            except BaseException as exc:
                if loop_closing() and isinstance(exc, native.cancelled):
                    settle(LoopClosed(f"the TestClient was closed while {_name(func)} ran on its loop"))
                else:
                    settle(exc)
                raise
            settle(None, result)

        self.spawn(runner, failed=settle)
        done, _ = concurrent.futures.wait([future], timeout)
        if not done:
            if cancel:
                self.call_soon(cancel[0])
            concurrent.futures.wait([future], CANCEL_WAIT)
            raise TimeoutError(f"{_name(func)} did not finish within {timeout:g} seconds")
        return future.result()

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


def _report(run: _Run, key: Optional[object], failed: Optional[Failed], exc: BaseException) -> None:
    """Hand ``exc`` to ``failed`` if the task it belongs to is still unclaimed."""
    if failed is None:
        raise exc
    if run.claim(key):
        failed(exc)


def _name(func: Any) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func))


def _import_trio() -> None:
    # trio 0.21 and 0.22 warn on import when another sys.excepthook is
    # installed, as the exceptiongroup backport does on Python < 3.11; under
    # -W error that would fail a legacy suite at its first request. The
    # warning is harmless here (the client reports exceptions itself).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "You seem to already have a custom sys.excepthook", RuntimeWarning)
        import trio  # noqa: F401

