"""The fault matrix (``faults.py``), run on asyncio, trio and uvloop with both
settings of ``raise_server_exceptions``, by default and with ``strict=True``.

For every cell: the outcome is exactly the one in the table (the exception's
type, its message and the step that raised it, or the value returned); it
comes within a bounded time; and afterwards the client's loop runs no task
it did not run before the cell, closing the client leaves no file descriptor
open, and (the suite's autouse fixture) no thread running.
"""

import pathlib
import time
from typing import Any, Dict, List, Tuple

import pytest

from asgi_testclient import TestClient, _serving

from .faults import CELLS, ByMode, Cell, Raises, render_markdown
from .resources import fd_counting_supported, loop_tasks, task_difference, tasks_settle

#: Generous: the slowest cell waits for the websocket disconnect grace
#: period (1 s); nothing may take long enough to look like a hang.
MAX_SECONDS = 15.0


def _observe(cell: Cell, client: TestClient) -> Tuple[Any, List[str], float]:
    steps: List[str] = []
    started = time.monotonic()
    try:
        result: Any = cell.driver(client, steps)
    except Exception as exc:  # noqa: BLE001 - the outcome under test
        result = exc
    return result, steps, time.monotonic() - started


@pytest.fixture(params=["anyio", "no-anyio"])
def cancel_way(request: Any, backend: Tuple[str, Dict[str, Any]], monkeypatch: Any) -> str:
    """On asyncio the client cancels an app's task through an anyio scope
    once anyio has been imported (as it always is under pytest), and with
    ``Task.cancel()`` for an app in a process that never imported anyio:
    every cell on plain asyncio runs both ways."""
    if request.param == "no-anyio":
        if backend != ("asyncio", {}):
            # trio cancels through its own scopes whether or not anyio is
            # imported; uvloop cancels as asyncio does, which this covers.
            pytest.skip("the task-cancel way runs on plain asyncio")
        monkeypatch.setattr(_serving, "anyio_in_use", lambda: False)
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("raise_server_exceptions", [True, False], ids=["raise", "no-raise"])
@pytest.mark.parametrize("cell", CELLS, ids=[cell.id for cell in CELLS])
def test_fault_matrix(
    cell: Cell,
    raise_server_exceptions: bool,
    strict: bool,
    backend: Tuple[str, Dict[str, Any]],
    cancel_way: str,
    fds_unchanged: Any,
) -> None:
    expected = cell.expected(raise_server_exceptions, strict)
    with fds_unchanged():
        client = TestClient(
            cell.app,
            raise_server_exceptions=raise_server_exceptions,
            backend=backend[0],
            backend_options=backend[1],
            timeout=cell.timeout,
            strict=strict,
            **cell.client_options,
        )
        try:
            baseline = client.run(loop_tasks)  # starts the loop the cell runs on
            result, steps, elapsed = _observe(cell, client)
            if isinstance(expected, Raises):
                assert isinstance(result, expected.exc_type), f"expected {expected}, got {result!r}"
                assert str(result) == expected.message
                assert steps[-1] == expected.at, f"raised by {steps[-1]!r}, not {expected.at!r}"
            else:
                assert not isinstance(result, BaseException), f"expected {expected}, got {result!r}"
                assert result == expected.value
            assert elapsed < MAX_SECONDS
            if cell.protocol == "lifespan":
                # Leaving 'with' (or failing to enter it) stops the loop and its thread.
                assert not client.adapter.loop.running
            else:
                # The app's task is gone from the loop: nothing was left behind.
                now = tasks_settle(client, baseline)
                assert not task_difference(baseline, now), f"tasks left on the loop: {task_difference(baseline, now)}"
        finally:
            client.close()


def test_every_cell_is_distinct() -> None:
    ids = [cell.id for cell in CELLS]
    assert len(ids) == len(set(ids))
    assert {cell.protocol for cell in CELLS} == {"http", "lifespan", "websocket"}


def test_every_cell_that_depends_on_the_mode_differs_by_mode() -> None:
    """A ``ByMode`` whose two outcomes are the same would hide that the
    cell does not depend on ``strict=``; such a cell states one outcome."""
    for cell in CELLS:
        for raise_server_exceptions in (True, False):
            outcome = cell.expected_in(raise_server_exceptions)
            if isinstance(outcome, ByMode):
                assert outcome.default != outcome.strict, cell.id


def test_the_docs_show_this_matrix() -> None:
    docs = pathlib.Path(__file__).parents[2] / "docs" / "reliability.md"
    assert render_markdown() in docs.read_text(encoding="utf-8"), (
        "docs/reliability.md is out of date: paste the output of 'python -m tests.reliability.faults' into it"
    )


def test_a_leaked_task_is_seen(make_client: Any) -> None:
    """The task count used above can fail: a task the app leaves running is counted."""
    import anyio

    release: Dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        release["event"] = anyio.Event()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        await release["event"].wait()
        await send({"type": "http.response.body", "body": b""})

    client = make_client(app)
    baseline = client.run(loop_tasks)
    response = client.get("/", stream=True, timeout=5)  # the app now waits, mid-body
    stuck = tasks_settle(client, baseline, timeout=0.1)
    assert sum(task_difference(baseline, stuck).values()) == 1

    async def finish() -> None:
        release["event"].set()

    client.run(finish)
    assert response.content == b""
    assert not task_difference(baseline, tasks_settle(client, baseline))


def test_cancelling_an_app_respects_its_shielded_sections(make_client: Any) -> None:
    """When a timeout cancels the app, a section it shielded from
    cancellation (``anyio.CancelScope(shield=True)``: a commit, a cleanup)
    runs to its end first, and the app is cancelled at its next checkpoint,
    as anyio promises and as on trio.

    This once failed on asyncio and uvloop, when the client cancelled the
    app's task with ``Task.cancel()``, which no anyio shield stops; the
    asyncio wrapper in ``_serving.serve_asyncio`` now runs each task in
    an ``anyio.CancelScope`` and cancels that, as the trio wrapper does,
    whenever anyio has been imported (an app using it has imported it)."""
    import anyio
    import requests

    log: List[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.5)
            log.append("shielded section finished")
        await anyio.sleep_forever()

    client = make_client(app, timeout=0.1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get("/")
    assert log == ["shielded section finished"]


@pytest.mark.skipif(not fd_counting_supported(), reason="needs /proc/self/fd to count file descriptors")
def test_a_leaked_file_descriptor_is_seen(fds_unchanged: Any, tmp_path: pathlib.Path) -> None:
    """The descriptor count used above can fail."""
    with pytest.raises(AssertionError, match="file descriptors left open"):
        with fds_unchanged():
            handle = open(tmp_path / "kept", "wb")  # noqa: SIM115 - leaked on purpose
    handle.close()
