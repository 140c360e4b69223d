"""Fixtures of the reliability tests (the suite's own, ``make_client``,
``backend`` and the thread-leak check, apply here too)."""

import contextlib
import time
from typing import Any, Callable, ContextManager, Iterator, List, Optional

import pytest

from asgi_testclient import TestClient

from .resources import describe_fds, open_fds


@pytest.fixture(scope="session")
def warm_loops() -> None:
    """Run one request on each event loop once per session, before any file
    descriptor is counted: under uvloop, libuv opens a pipe pair (for its
    signal handling) the first time a loop is made in a process and keeps
    it for the process's life, which no client can be blamed for."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    options: List[Any] = [("asyncio", {}), ("trio", {})]
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover - Windows
        pass
    else:
        options.append(("asyncio", {"use_uvloop": True}))
    for backend, backend_options in options:
        client = TestClient(app, backend=backend, backend_options=backend_options)
        try:
            client.get("/")
        finally:
            client.close()


@contextlib.contextmanager
def _fds_unchanged() -> Iterator[None]:
    before = open_fds()
    yield
    if before is None:
        return
    # The loop thread has been joined by close(), so nothing should be open;
    # if something is, collect garbage and allow a moment for finalizers
    # before calling it a leak.
    deadline = time.monotonic() + 2
    collect = False
    while True:
        after: Optional[List[str]] = open_fds(collect)
        collect = True
        assert after is not None
        if after == before or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    leaked = sorted(set(after) - set(before), key=int)
    assert after == before, (
        f"file descriptors left open: {describe_fds(leaked)} ({len(before)} before, {len(after)} after)"
    )


@pytest.fixture
def fds_unchanged(warm_loops: None) -> Callable[[], ContextManager[None]]:
    """``with fds_unchanged():`` fails if the block leaves a file descriptor
    open (on systems with ``/proc/self/fd``; elsewhere it checks nothing)."""
    return _fds_unchanged
