"""The client called from async tests: anyio's pytest plugin on asyncio and
trio, and pytest-asyncio, with clients of every backend.

Before the client ran each task in a context of its own, a trio test leaked
sniffio's "trio" marker into the client's asyncio tasks (anyio there then
failed before the app ran, and the test waited forever), and a trio client
could not run its lifespan inside a trio test. Each inner run is a
subprocess bounded by a timeout, so a hang fails the test."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

#: Seconds an inner run may take before it counts as hung.
RUN_TIMEOUT = 60

INNER_TESTS = '''
import contextvars

import anyio
import pytest
import sniffio

from asgi_testclient import TestClient

VAR = contextvars.ContextVar("VAR", default="unset")

CLIENTS = [
    pytest.param("asyncio", {{}}, id="asyncio-client"),
    pytest.param("trio", {{}}, id="trio-client"),
    pytest.param("asyncio", {{"use_uvloop": True}}, id="uvloop-client"),
]


def seen():
    return f"{{VAR.get()}} {{sniffio.current_async_library()}}"


async def app(scope, receive, send):
    # anyio's cancel scope fails on a loop it mistakes for another library.
    with anyio.CancelScope():
        await anyio.sleep(0)
    if scope["type"] == "lifespan":
        await receive()
        scope["state"]["seen"] = seen()
        await send({{"type": "lifespan.startup.complete"}})
        await receive()
        await send({{"type": "lifespan.shutdown.complete"}})
    elif scope["type"] == "websocket":
        await receive()
        await send({{"type": "websocket.accept"}})
        await send({{"type": "websocket.send", "text": seen()}})
        await send({{"type": "websocket.close"}})
    else:
        await send({{"type": "http.response.start", "status": 200, "headers": []}})
        await send({{"type": "http.response.body", "body": seen().encode(), "more_body": True}})
        await send({{"type": "http.response.body", "body": b" end"}})


async def on_the_loop():
    await anyio.sleep(0)
    return seen()


def exercise(backend, options, where):
    VAR.set(where)
    expected = f"{{where}} {{backend}}"
    with TestClient(app, backend=backend, backend_options=options, timeout=10) as client:
        assert client.lifespan_state["seen"] == expected
        assert client.get("/").text == expected + " end"
        with client.get("/", stream=True) as response:
            assert list(response.iter_content(chunk_size=None)) == [expected.encode(), b" end"]
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_text() == expected
        assert client.run(on_the_loop) == expected
    assert not client.adapter.loop.running


@pytest.mark.parametrize("backend, options", CLIENTS)
{mark}
async def test_from_an_async_test(backend, options):
    exercise(backend, options, "async test")


@pytest.mark.parametrize("backend, options", CLIENTS)
def test_from_a_sync_test(backend, options):
    exercise(backend, options, "sync test")
'''

ANYIO_BACKENDS = '''

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
'''


@pytest.fixture(autouse=True)
def inner_environment(monkeypatch):
    """Inner runs import this checkout's package and load only the plugins
    they name."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester, *args):
    return pytester.runpytest_subprocess(
        *args, "-p", "no:cacheprovider", "-W", "error", "-v", timeout=RUN_TIMEOUT
    )


def test_under_anyios_plugin_on_asyncio_and_trio(pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(INNER_TESTS.format(mark="@pytest.mark.anyio") + ANYIO_BACKENDS)
    result = run(pytester, "-p", "anyio.pytest_plugin")
    # Async tests: 3 clients on each of anyio's 2 loops; sync tests: 3.
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines_random(
        [
            "*test_from_an_async_test[[]trio-trio-client[]] PASSED*",
            "*test_from_an_async_test[[]trio-asyncio-client[]] PASSED*",
            "*test_from_an_async_test[[]asyncio-trio-client[]] PASSED*",
        ]
    )


def test_under_pytest_asyncio(pytester):
    pytest.importorskip("pytest_asyncio")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(INNER_TESTS.format(mark="@pytest.mark.asyncio"))
    result = run(pytester, "-p", "pytest_asyncio.plugin")
    result.assert_outcomes(passed=6)
