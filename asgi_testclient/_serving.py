"""How a :class:`~asgi_testclient._loop.LoopThread` serves its loop: the
asyncio (or uvloop) and the trio way of starting tasks other threads ask
for, until the loop is told to stop; and making an asyncio loop without
the global event loop policy.
"""

import collections
import contextvars
import functools
import os
import sys
import threading
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Set, Tuple

from . import _loop
from ._loop import STOP_TIMEOUT, Failed, LoopClosed, _report, _Run, _task_info
from ._native import native


async def _run_task(
    run: _Run,
    cancel_scope: Callable[[], Any],
    func: Callable[..., Awaitable[Any]],
    args: Any,
    captured: contextvars.Context,
    failed: Optional[Failed],
    key: Optional[object],
) -> None:
    """One spawned task, on either backend: ``func(*args)`` in the caller's
    context variables, cancellable through a scope of ``cancel_scope``,
    its failure (or a start that never happened) reported to ``failed``."""
    try:
        if not run.claim(key):  # pragma: no cover - reported already
            return
        if run.closing:
            raise LoopClosed("the TestClient was closed before the task could start")
        _loop._adopt(captured)  # looked up each time: a test replaces it
        with cancel_scope() as scope:
            _task_info.set((scope.cancel, run))
            await func(*args)
    except BaseException as exc:
        if failed is None:
            raise
        failed(exc)
        if not isinstance(exc, Exception):
            raise


async def _serve(run: _Run, call_soon: Callable[..., Any], spawn: Callable[..., None]) -> None:
    """Give other threads the loop's ways in, say it is ready, and wait
    until told to stop (either backend); then new tasks are refused.

    ``spawn(func, args, captured, failed, key)`` starts a task the backend's
    way; a start that fails is reported to whoever waits for the task (on
    trio, raised here, it would end the whole run)."""

    def start_task(*job: Any) -> None:
        # ``job``: _run_task's arguments after the cancel scope.
        try:
            spawn(*job)
        except BaseException as exc:  # noqa: BLE001 - reported to whoever waits
            _func, _args, _captured, failed, key = job
            _report(run, key, failed, exc)

    run.call_soon = call_soon
    run.start_task = start_task
    run.ready.set()
    assert run.stop_event is not None
    await run.stop_event.wait()
    run.closing = True


def anyio_in_use() -> bool:
    """Whether an app may use anyio: it has been imported (by the app, or
    by whatever runs the tests). A test replaces this to take the other way."""
    return "anyio" in sys.modules


class _TaskScope:
    """Cancels the asyncio task it was entered in: for an app that does not
    use anyio, and so has no anyio shields for a cancellation to respect."""

    def __init__(self, task: Any) -> None:
        self._task = task

    def __enter__(self) -> "_TaskScope":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        return None

    def cancel(self) -> None:
        self._task.cancel()


class _Waker:
    """Runs callbacks from other threads on an asyncio loop, woken through
    an eventfd of its own.

    What ``call_soon_threadsafe`` does, for the callbacks the client's
    threads send (a task to start, an event to set, a cancellation), more
    cheaply: writing to an eventfd wakes the loop for less than a send on its
    self-pipe socket, and the loop reads it once instead of twice. Every
    request and every websocket message crosses it, and a wake-up is most of
    what they cost (``benchmarks/``: W1, W5). Where there is no eventfd
    (Python 3.9, macOS, Windows) or the loop is not asyncio's own selector
    loop (uvloop), ``call_soon_threadsafe`` does the job.
    """

    def __init__(self, loop: Any, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._calls: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = collections.deque()
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, loop: Any) -> "Optional[_Waker]":
        import asyncio.selector_events

        if not hasattr(os, "eventfd") or not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop):
            return None
        waker = cls(loop, os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC))
        loop.add_reader(waker._fd, waker._run_calls)
        return waker

    def call_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Any thread: run ``func(*args)`` on the loop soon."""
        with self._lock:  # so that a closed (and reused) descriptor is never written
            if self._closed:
                raise RuntimeError("the loop has stopped")
            self._calls.append((func, args))
            os.eventfd_write(self._fd, 1)

    def _run_calls(self) -> None:
        try:
            os.eventfd_read(self._fd)
        except BlockingIOError:  # pragma: no cover - read by a call before
            pass
        calls = self._calls
        while calls:
            func, args = calls.popleft()
            try:
                func(*args)
            except (SystemExit, KeyboardInterrupt):
                if calls:
                    os.eventfd_write(self._fd, 1)  # the rest, in the next iteration
                raise
            except BaseException as exc:  # noqa: BLE001 - reported as asyncio reports a failed callback
                self._loop.call_exception_handler(
                    {"message": f"Exception in callback {func!r}", "exception": exc}
                )

    def close(self) -> None:
        """On the loop: stop taking callbacks (those not run yet are dropped,
        as a closing loop drops its own)."""
        with self._lock:
            self._closed = True
        self._loop.remove_reader(self._fd)
        os.close(self._fd)


async def serve_asyncio(run: _Run) -> None:
    import asyncio

    native.event = asyncio.Event
    native.checkpoint = functools.partial(asyncio.sleep, 0)
    native.cancelled = asyncio.CancelledError
    run.stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    current_task = asyncio.current_task
    tasks: Set[asyncio.Task[Any]] = set()
    # The loop's own context, for the callbacks other threads schedule:
    # without it each would run in a copy of its caller's context, and
    # the tasks it creates would inherit that (an anyio or trio test's
    # sniffio marker included).
    loop_context = contextvars.copy_context()
    anyio_scope: Optional[Callable[[], Any]] = None

    def cancel_scope() -> Any:
        # Cancelled through an anyio scope where the app may use anyio, not
        # with Task.cancel(), so that its shielded sections finish first,
        # as on trio. The backend's own class: anyio.CancelScope() would look
        # the backend up again for every task.
        nonlocal anyio_scope
        if anyio_scope is None:
            if not anyio_in_use():
                return _TaskScope(current_task())
            import anyio

            anyio_scope = type(anyio.CancelScope())
        return anyio_scope()

    async def wrapper(*job: Any) -> None:
        try:
            await _run_task(run, cancel_scope, *job)
        finally:
            # Here rather than in a done callback, which would cost the
            # loop one more iteration before the test thread gets the GIL.
            tasks.discard(current_task())

    def spawn(*job: Any) -> None:
        coro = wrapper(*job)
        try:
            # The loop keeps only weak references to tasks: hold them here.
            if sys.version_info >= (3, 12):
                # The task's first step runs now, in this callback, instead
                # of in the loop's next iteration: an app that answers
                # without waiting has finished when this returns (and left
                # the set already).
                task = asyncio.Task(coro, loop=loop, eager_start=True)
                if not task.done():
                    tasks.add(task)
            else:
                tasks.add(loop.create_task(coro))
        except BaseException:
            coro.close()
            raise

    waker = _Waker.open(loop)
    try:
        if waker is not None:
            await _serve(run, waker.call_soon, spawn)
        else:
            await _serve(run, functools.partial(loop.call_soon_threadsafe, context=loop_context), spawn)
    finally:
        if waker is not None:
            waker.close()
    for task in list(tasks):
        task.cancel()
    if tasks:
        await asyncio.wait(list(tasks), timeout=STOP_TIMEOUT)


async def serve_trio(run: _Run) -> None:
    import trio

    native.event = trio.Event
    native.checkpoint = trio.lowlevel.checkpoint
    native.cancelled = trio.Cancelled
    run.stop_event = trio.Event()
    async with trio.open_nursery() as nursery:

        def spawn(*job: Any) -> None:
            # A trio task starts from the run's system context, not its
            # caller's: _run_task sets the caller's variables.
            nursery.start_soon(_run_task, run, trio.CancelScope, *job)

        await _serve(run, trio.lowlevel.current_trio_token().run_sync_soon, spawn)
        nursery.cancel_scope.cancel()


def run_asyncio(main: Awaitable[None], options: Dict[str, Any]) -> None:
    """Run ``main`` on a new asyncio (or uvloop) loop of this thread's own.

    Not ``anyio.run``: anyio 3 installs uvloop as the process-wide event loop
    policy, so every later asyncio client (and the test's own asyncio code)
    would silently run on uvloop. The loop here is made from its class (or
    by uvloop or ``loop_factory``), never through the global policy, which
    stays untouched; nor is it set as the thread's "current" loop, which
    nothing here needs (code on the loop finds the running loop). anyio's
    functions work on any running asyncio loop.
    """
    import asyncio

    if options.get("loop_factory") is not None:
        loop = options["loop_factory"]()
    elif options.get("use_uvloop"):
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = _default_loop_class()()
    loop.set_debug(bool(options.get("debug", False)))
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
            loop.close()


def _default_loop_class() -> Any:
    """asyncio's own loop class for this platform, found without the event
    loop policy (which Python 3.14 deprecates, and which anyio 3 or a test
    may have set to uvloop's)."""
    import asyncio

    found = getattr(asyncio, "EventLoop", None)  # Python 3.13+
    if found is None:
        found = asyncio.ProactorEventLoop if sys.platform == "win32" else asyncio.SelectorEventLoop  # type: ignore[attr-defined]
    return found
