"""One event loop per client, for its whole life; threads end with it."""

import contextvars
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, List

import anyio
import pytest
import requests
import sniffio

from asgi_testclient import TestClient, _loop
from asgi_testclient._app import as_asgi3


def loop_reporting_app():
    """Answers with an id of the running loop, and keeps an anyio.Lock and
    an Event made by the first request to use in later ones. Every loop it
    ran on is kept in ``made["loops"]``, alive, so that a new loop can never
    reuse the id of an old one."""
    made = {}

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            made["lifespan_loop"] = current_loop_id()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if "lock" not in made:
            made["lock"] = anyio.Lock()
            made["event"] = anyio.Event()
        async with made["lock"]:  # fails on another loop
            pass
        made["event"].set()
        await made["event"].wait()
        made.setdefault("loops", []).append(current_loop())
        body = str(current_loop_id()).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app, made


def current_loop():
    """The running asyncio loop, or the running trio run's token."""
    try:
        import asyncio

        return asyncio.get_running_loop()
    except RuntimeError:
        import trio

        return trio.lowlevel.current_trio_token()


def current_loop_id():
    return id(current_loop())


def test_requests_outside_with_share_one_loop(make_client):
    app, made = loop_reporting_app()
    client = make_client(app)
    loops = {client.get("/").text for _ in range(5)}
    assert len(loops) == 1
    assert len(made["loops"]) == 5
    assert all(loop is made["loops"][0] for loop in made["loops"])


def test_requests_and_lifespan_share_the_loop_inside_with(make_client):
    app, made = loop_reporting_app()
    client = make_client(app)
    before = client.get("/").text
    with client:
        assert client.get("/").text == before
        assert str(made["lifespan_loop"]) == before


def test_leaving_with_and_close_stop_the_thread(make_client):
    app, made = loop_reporting_app()
    client = make_client(app)
    start = threading.active_count()
    with client:
        client.get("/")
        assert threading.active_count() == start + 1
    assert threading.active_count() == start
    made.clear()  # a new loop: the old lock belongs to the old one
    client.get("/")
    assert threading.active_count() == start + 1
    client.close()
    assert threading.active_count() == start
    client.close()  # twice is fine


def test_a_client_nobody_closed_stops_its_thread_when_collected(backend):
    app, _ = loop_reporting_app()
    start = threading.active_count()
    client = TestClient(app, backend=backend[0], backend_options=backend[1])
    client.get("/")
    assert threading.active_count() == start + 1
    del client
    gc.collect()
    assert threading.active_count() == start


def test_interpreter_exit_is_not_held_by_an_open_client():
    script = textwrap.dedent(
        """
        from asgi_testclient import TestClient

        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok", "more_body": True})
            await receive()

        client = TestClient(app)
        response = client.get("/", stream=True)  # left open, app still running
        print(response.raw.read(2).decode())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_many_threads_share_one_client(make_client):
    async def echo(scope, receive, send):
        message = await receive()
        await anyio.sleep(0)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": message["body"]})

    client = make_client(echo)

    def work(worker):
        for number in range(50):
            payload = f"{worker}-{number}".encode()
            assert client.post("/", data=payload).content == payload
        return worker

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))


def test_calling_the_client_from_its_own_loop_is_refused(make_client):
    client = make_client(loop_reporting_app()[0])

    async def inside():
        client.get("/")

    with pytest.raises(RuntimeError, match="called from its own event loop thread"):
        client.portal.call(inside)


def test_run_executes_a_coroutine_on_the_apps_loop(make_client):
    app, made = loop_reporting_app()
    client = make_client(app)
    loop = client.get("/").text

    async def use_the_apps_lock():
        async with made["lock"]:
            return str(current_loop_id())

    assert client.run(use_the_apps_lock) == loop


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of 'asyncio', 'trio', not 'curio'"):
        TestClient(loop_reporting_app()[0], backend="curio")


def test_uvloop_never_leaks_into_other_clients():
    """anyio 3 installed uvloop as the global policy; the client must not."""
    import asyncio

    async def loop_type(scope, receive, send):
        body = type(asyncio.get_running_loop()).__module__.encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    policy = asyncio.get_event_loop_policy()
    fast = TestClient(loop_type, backend_options={"use_uvloop": True})
    plain = TestClient(loop_type)
    try:
        assert fast.get("/").text.startswith("uvloop")
        assert plain.get("/").text.startswith("asyncio")
        assert asyncio.get_event_loop_policy() is policy
    finally:
        fast.close()
        plain.close()


def test_unknown_backend_options_are_refused():
    with pytest.raises(ValueError, match="unknown backend_options for asyncio: use_uvlop"):
        TestClient(loop_reporting_app()[0], backend_options={"use_uvlop": True})


# -- the context a task runs in ------------------------------------------------------------

TEST_VAR = contextvars.ContextVar("TEST_VAR", default="unset")


async def context_app(scope, receive, send):
    """Reports the test's variable and the async library sniffio and anyio
    see; uses an anyio cancel scope, which fails on a loop it mistakes."""
    if scope["type"] == "lifespan":
        await receive()
        scope["state"]["seen"] = (TEST_VAR.get(), sniffio.current_async_library())
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    with anyio.CancelScope():
        await anyio.sleep(0)
    body = f"{TEST_VAR.get()} {sniffio.current_async_library()}".encode()
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": body})
        await send({"type": "websocket.close"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_the_app_sees_the_tests_context_but_not_its_async_library(make_client, backend):
    client = make_client(context_app)
    expected = f"from the test {backend[0]}"
    variable = TEST_VAR.set("from the test")
    # What an anyio or trio test's thread carries: the marker of *its* loop.
    library = sniffio.current_async_library_cvar.set("curio")
    try:
        assert client.get("/").text == expected
        assert b"".join(client.get("/", stream=True).iter_content()) == expected.encode()
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_bytes() == expected.encode()

        async def inside():
            return f"{TEST_VAR.get()} {sniffio.current_async_library()}"

        assert client.run(inside) == expected
        with client:
            assert client.lifespan_state["seen"] == ("from the test", backend[0])
    finally:
        sniffio.current_async_library_cvar.reset(library)
        TEST_VAR.reset(variable)
    # Each task takes the variables as the test thread has them when it starts.
    assert client.get("/").text == f"unset {backend[0]}"


def test_the_apps_own_changes_stay_in_its_task(make_client):
    async def app(scope, receive, send):
        before = TEST_VAR.get()
        TEST_VAR.set("changed by the app")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": before.encode()})

    client = make_client(app)
    token = TEST_VAR.set("test")
    try:
        assert [client.get("/").text for _ in range(2)] == ["test", "test"]
        assert TEST_VAR.get() == "test"
    finally:
        TEST_VAR.reset(token)


# -- a task that cannot start -----------------------------------------------------------------


def test_a_task_that_fails_to_start_raises_in_the_test_at_once(make_client, monkeypatch):
    client = make_client(context_app, raise_server_exceptions=False)
    assert client.get("/").status_code == 200  # the loop runs

    def broken(captured):
        raise LookupError("no context for the task")

    monkeypatch.setattr(_loop, "_adopt", broken)
    started = time.monotonic()
    with pytest.raises(LookupError, match="no context for the task"):
        client.get("/")
    with pytest.raises(LookupError, match="no context for the task"):
        client.get("/", stream=True)
    with pytest.raises(LookupError, match="no context for the task"):
        client.run(anyio.sleep, 0)
    with pytest.raises(LookupError, match="no context for the task"):
        client.__enter__()
    assert time.monotonic() - started < 2
    monkeypatch.undo()
    # The loop survived it (on trio an error in a nursery task would end it).
    assert client.get("/").status_code == 200


def test_a_task_the_loop_never_started_fails_when_the_loop_stops(make_client):
    """The callback that would start it is lost (as when a loop closes with
    callbacks queued): closing the client ends the wait instead of leaving
    it without limit."""
    client = make_client(context_app)
    client.get("/")
    client.adapter.loop._run.start_task = lambda *args: None
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client.get, "/lost")
        time.sleep(0.2)
        assert not waiting.done()
        client.close()
        with pytest.raises(requests.exceptions.ConnectionError) as caught:
            waiting.result(timeout=5)
    assert str(caught.value) == "the client was closed while GET http://testserver/lost was in flight"


def test_call_times_out_and_cancels(make_client):
    client = make_client(context_app)
    cancelled = []

    async def forever():
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise

    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"forever did not finish within 0\.2 seconds"):
        client.adapter.loop.call(forever, timeout=0.2)
    assert time.monotonic() - started < 2
    assert cancelled == [True]


# -- closing under load ---------------------------------------------------------------------


def test_closing_with_requests_in_flight_raises_connection_error_in_each(make_client):
    arrived = threading.Semaphore(0)

    async def hanging(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope["path"].startswith("/stream"):
            await send({"type": "http.response.body", "body": b"first", "more_body": True})
        arrived.release()
        await anyio.sleep_forever()

    client = make_client(hanging)

    def plain(number):
        client.get(f"/plain/{number}")

    def streamed(number):
        response = client.get(f"/stream/{number}", stream=True)
        chunks = response.iter_content(chunk_size=None)
        assert next(chunks) == b"first"
        b"".join(chunks)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(plain if number % 2 else streamed, number) for number in range(8)]
        for _ in range(8):
            assert arrived.acquire(timeout=5)
        client.close()
        errors = [future.exception(timeout=10) for future in futures]
    for number, error in enumerate(errors):
        kind = "plain" if number % 2 else "stream"
        assert type(error) is requests.exceptions.ConnectionError, repr(error)
        assert str(error) == f"the client was closed while GET http://testserver/{kind}/{number} was in flight"
    # A request after close() starts a new loop.
    client.app = client.adapter.app = as_asgi3(context_app)
    assert client.get("/").status_code == 200


# -- Python 3.14: no deprecated asyncio API ----------------------------------------------------

DEPRECATED_IN_314 = """
import asyncio, inspect, warnings

def deprecated(name, original):
    def replacement(*args, **kwargs):
        warnings.warn(f"asyncio.{name} is deprecated (as of Python 3.14)", DeprecationWarning, stacklevel=2)
        return original(*args, **kwargs)
    return replacement

# What Python 3.14 deprecates, made to warn on this Python as it does there.
for name in ("get_event_loop_policy", "set_event_loop_policy", "iscoroutinefunction"):
    setattr(asyncio, name, deprecated(name, getattr(asyncio, name)))
for name in ("DefaultEventLoopPolicy", "AbstractEventLoopPolicy"):
    original = getattr(asyncio, name)
    setattr(asyncio, name, type(name, (original,), {"__init__": deprecated(name, original.__init__)}))

from asgi_testclient import TestClient

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive(); await send({"type": "lifespan.startup.complete"})
        await receive(); await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

for backend, options in (("asyncio", {}), ("asyncio", {"use_uvloop": True}), ("trio", {})):
    with TestClient(app, backend=backend, backend_options=options) as client:
        assert client.get("/").text == "ok"
        with client.get("/", stream=True) as response:
            assert response.content == b"ok"
print("clean")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_no_api_python_314_deprecates():
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", DEPRECATED_IN_314],
        cwd=Path(__file__).resolve().parent.parent,  # this checkout's package
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


_WITHOUT_ANYIO = textwrap.dedent(
    """
    import asyncio, sys, threading

    import requests

    from asgi_testclient import TestClient

    cancelled = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        if scope["path"] == "/slow":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.append(scope["path"])
                raise
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    threads = threading.active_count()
    with TestClient(app) as client:
        assert client.get("/").text == "ok"
        try:
            client.get("/slow", timeout=0.2)
        except requests.exceptions.ReadTimeout:
            pass
        else:
            raise AssertionError("no timeout")
        assert client.get("/").text == "ok"
    assert cancelled == ["/slow"], cancelled
    assert threading.active_count() == threads
    print(sorted(name for name in sys.modules if name.split(".")[0] in ("anyio", "sniffio", "trio")))
    """
)


def test_an_app_that_does_not_use_anyio_runs_without_importing_it() -> None:
    """anyio is the app's choice: a client on asyncio whose app never
    imports anyio does not import it either (its backend costs a first
    request about 10 ms), and still cancels the app at a timeout."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_ANYIO], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['sniffio', 'sniffio._impl', 'sniffio._version']"


def test_the_portal_opens_when_first_asked_for_and_closes_with_the_loop(make_client: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    client = make_client(app)
    assert client.get("/").status_code == 204
    portal = client.portal
    assert client.portal is portal

    async def where() -> str:
        return sniffio.current_async_library()

    assert portal.call(where) == client.adapter.loop.backend
    client.close()
    with pytest.raises(RuntimeError):
        portal.call(where)
    # A new loop, a new portal.
    assert client.get("/").status_code == 204
    assert client.portal is not portal
    assert client.portal.call(where) == client.adapter.loop.backend


@pytest.mark.skipif(not hasattr(os, "eventfd"), reason="the waker needs os.eventfd (Linux, Python 3.10+)")
def test_the_waker_runs_every_callback_even_after_one_fails_and_refuses_once_closed() -> None:
    import asyncio

    from asgi_testclient._serving import _Waker

    loop = asyncio.new_event_loop()
    reported: List[Any] = []
    ran: List[str] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))

    async def main() -> None:
        waker = _Waker.open(asyncio.get_running_loop())
        assert waker is not None  # asyncio's own loop, with an eventfd: the waker is used

        def fail() -> None:
            raise ValueError("boom")

        done = asyncio.Event()
        thread = threading.Thread(
            target=lambda: [waker.call_soon(fail), waker.call_soon(ran.append, "after"), waker.call_soon(done.set)]
        )
        thread.start()
        await asyncio.wait_for(done.wait(), 5)
        thread.join()
        waker.close()
        with pytest.raises(RuntimeError, match="the loop has stopped"):
            waker.call_soon(ran.append, "too late")

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert ran == ["after"]
    assert [type(context["exception"]) for context in reported] == [ValueError]
    assert "fail" in reported[0]["message"]


def test_the_waker_stands_aside_for_loops_it_does_not_know() -> None:
    import asyncio

    from asgi_testclient._serving import _Waker

    class OtherLoop:  # uvloop, a proactor loop: call_soon_threadsafe does the job there
        pass

    assert _Waker.open(OtherLoop()) is None
    loop = asyncio.new_event_loop()
    try:
        opened = _Waker.open(loop)
        assert (opened is not None) == hasattr(os, "eventfd")
        if opened is not None:
            opened.close()
    finally:
        loop.close()
