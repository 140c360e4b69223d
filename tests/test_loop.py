"""One event loop per client, for its whole life; threads end with it."""

import gc
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from asgi_testclient import TestClient


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
