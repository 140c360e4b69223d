"""Fixtures shared by the whole suite.

Every test that takes ``make_client`` runs on asyncio, trio and uvloop, and
every test checks that no thread it started is still alive afterwards.
"""

import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from asgi_testclient import TestClient

BACKENDS = [
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("trio", {}), id="trio"),
    pytest.param(
        ("asyncio", {"use_uvloop": True}),
        id="uvloop",
        marks=pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows"),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: Any) -> Tuple[str, Dict[str, Any]]:
    """``(backend, backend_options)`` for each of the three event loops."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def make_client(backend: Tuple[str, Dict[str, Any]]) -> Iterator[Callable[..., TestClient]]:
    """Make clients on the parametrized backend; all are closed after the test."""
    clients: List[TestClient] = []

    def factory(app: Any, **kwargs: Any) -> TestClient:
        kwargs.setdefault("backend", backend[0])
        kwargs.setdefault("backend_options", backend[1])
        client = TestClient(app, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def _alive_threads() -> List[threading.Thread]:
    # Trio keeps the worker threads of ``to_thread`` (which Starlette uses for
    # sync endpoints) idle in a process-wide cache and ends each one 10
    # seconds after its last job, whoever started it. They are trio's, not
    # a client's: the check is on every other thread.
    return [
        thread
        for thread in threading.enumerate()
        if thread.is_alive() and not thread.name.startswith(TRIO_CACHE_THREADS)
    ]


# The names trio gives its cached worker threads (0.21 to 0.22, and since).
TRIO_CACHE_THREADS = ("Trio worker thread", "Trio thread")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread running (checked after every other
    fixture, the client factory's closing included, has been torn down)."""
    before = set(_alive_threads())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [thread for thread in _alive_threads() if thread not in before]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not leaked, f"threads left running: {leaked}"
