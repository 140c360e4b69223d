"""The pytest plugin: choosing backends, the client fixtures, pytest-xdist,
and async setup on the app's own loop (the worked example of the docs).

Every suite here is written to a temporary directory and run by an inner
pytest, with only the plugins it names."""

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLUGIN_ARGS = ("-p", "asgi_testclient.pytest_plugin")


@pytest.fixture(autouse=True)
def only_named_plugins(monkeypatch):
    """Inner runs load only the plugins named with ``-p``: the same in every
    environment, faster, and no clash with the plugin's entry point."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def collected(pytester, *args):
    """The ids of the tests an inner run collects with ``args``."""
    result = pytester.runpytest(*PLUGIN_ARGS, "--collect-only", "-q", "--strict-markers", *args)
    assert result.ret == 0, result.stdout.str()
    return [line.split("::", 1)[1] for line in result.outlines if "::" in line]


# Which loop an app runs on, as the generated apps below report it.
LOOP_KIND = """
import asyncio

def loop_kind():
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return "trio"
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"

def expected_kind(asgi_backend):
    backend, options = asgi_backend
    return "uvloop" if options.get("use_uvloop") else backend
"""


# -- choosing backends -----------------------------------------------------------------


BACKEND_TESTS = """
import pytest

def test_plain():
    pass

def test_backend(asgi_backend):
    pass

@pytest.mark.asgi_backends("trio")
def test_marked(asgi_client_factory):
    pass

@pytest.mark.asgi_backends("uvloop", "asyncio", "uvloop")
class TestMarkedClass:
    def test_in_class(self, asgi_client):
        pass
"""


def test_default_is_asyncio_only_and_tests_without_the_fixtures_are_untouched(pytester):
    pytester.makepyfile(BACKEND_TESTS)
    assert collected(pytester) == [
        "test_plain",
        "test_backend[asyncio]",
        "test_marked[trio]",
        "TestMarkedClass::test_in_class[uvloop]",
        "TestMarkedClass::test_in_class[asyncio]",
    ]


def test_option_and_ini_choose_backends_and_the_marker_wins(pytester):
    pytester.makepyfile(BACKEND_TESTS)
    by_option = collected(pytester, "--asgi-backends=uvloop, trio")
    assert [name for name in by_option if name.startswith(("test_backend", "test_marked"))] == [
        "test_backend[uvloop]",
        "test_backend[trio]",
        "test_marked[trio]",
    ]
    pytester.makeini("[pytest]\nasgi_backends = trio asyncio\n")
    assert collected(pytester)[1:3] == ["test_backend[trio]", "test_backend[asyncio]"]
    assert collected(pytester, "--asgi-backends=uvloop")[1:2] == ["test_backend[uvloop]"]


def test_unknown_backend_is_a_usage_error(pytester):
    pytester.makepyfile("def test_backend(asgi_backend): pass")
    result = pytester.runpytest(*PLUGIN_ARGS, "--asgi-backends=asyncio,curio")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--asgi-backends: unknown backend 'curio'; choose from asyncio, trio, uvloop*"])


def test_unknown_backend_in_the_marker_fails_collection(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asgi_backends("twisted")
        def test_backend(asgi_backend):
            pass
        """
    )
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.asgi_backends: unknown backend 'twisted'*"])


def test_a_test_parametrizing_asgi_backend_itself_is_left_alone(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("asgi_backend", [("trio", {})])
        def test_backend(asgi_backend, asgi_client_factory):
            assert asgi_backend == ("trio", {})
        """
    )
    pytester.runpytest(*PLUGIN_ARGS, "--asgi-backends=asyncio,uvloop").assert_outcomes(passed=1)


# -- the client fixtures ---------------------------------------------------------------


def test_factory_clients_run_on_the_tests_backend_and_are_closed_after_it(pytester):
    pytester.makepyfile(
        LOOP_KIND
        + """
import pytest

CLIENTS = []

async def app(scope, receive, send):
    assert scope["type"] == "http"
    body = f"{loop_kind()} {scope['server'][0]}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})

@pytest.mark.asgi_backends("asyncio", "trio", "uvloop")
def test_backend(asgi_client_factory, asgi_backend):
    first = asgi_client_factory(app)
    second = asgi_client_factory(app, base_url="http://example.org")
    assert first.get("/").text == f"{expected_kind(asgi_backend)} testserver"
    assert second.get("/").text == f"{expected_kind(asgi_backend)} example.org"
    assert first.adapter.loop is not second.adapter.loop
    CLIENTS.extend([first, second])
    asgi_backend[1]["changed"] = True  # each test's options are its own

@pytest.mark.asgi_backends("asyncio", "trio", "uvloop")
def test_options_are_fresh(asgi_backend):
    assert "changed" not in asgi_backend[1]

def test_keyword_arguments_win(asgi_client_factory):
    assert asgi_client_factory(app, backend="trio").get("/").text == "trio testserver"

def test_all_closed():
    assert len(CLIENTS) == 6
    assert not any(client.adapter.loop.running for client in CLIENTS)
"""
    )
    pytester.runpytest(*PLUGIN_ARGS, "--strict-markers", "-W", "error").assert_outcomes(passed=8)


def test_asgi_client_runs_the_lifespan_around_the_test(pytester):
    pytester.makepyfile(
        """
        import contextlib

        import pytest
        from starlette.applications import Starlette
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        LOG = []

        @contextlib.asynccontextmanager
        async def lifespan(app):
            LOG.append("startup")
            yield {"greeting": "hello"}
            LOG.append("shutdown")

        async def greet(request):
            return PlainTextResponse(request.state.greeting)

        @pytest.fixture
        def asgi_app():
            return Starlette(routes=[Route("/", greet)], lifespan=lifespan)

        def test_inside(asgi_client):
            assert LOG == ["startup"]
            assert asgi_client.get("/").text == "hello"

        def test_after():
            assert LOG == ["startup", "shutdown"]
        """
    )
    pytester.runpytest(*PLUGIN_ARGS, "-W", "error").assert_outcomes(passed=2)


def test_asgi_client_without_an_app_says_what_to_define(pytester):
    pytester.makepyfile("def test_client(asgi_client): pass")
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a fixture named 'asgi_app' that returns it*"])


# -- anyio's backend ---------------------------------------------------------------------------

ANYIO_TESTS = (
    LOOP_KIND
    + """
import pytest

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": loop_kind().encode()})

@pytest.fixture(params=["asyncio", "trio", ("asyncio", {"use_uvloop": True, "debug": False})],
                ids=["asyncio", "trio", "uvloop"])
def anyio_backend(request):
    return request.param

@pytest.mark.anyio
async def test_follows_anyio(asgi_client_factory, asgi_backend, anyio_backend):
    kind = asgi_client_factory(app).get("/").text
    assert kind == expected_kind(asgi_backend)
    assert kind == ("uvloop" if isinstance(anyio_backend, tuple) else anyio_backend)

@pytest.mark.anyio
@pytest.mark.asgi_backends("trio")
async def test_the_marker_wins(asgi_client_factory):
    assert asgi_client_factory(app).get("/").text == "trio"

def test_without_anyio(asgi_backend):
    pass
"""
)


def test_a_test_on_anyios_backend_runs_its_clients_there_without_parametrizing_again(pytester):
    pytester.makepyfile(ANYIO_TESTS)
    args = ("-p", "anyio.pytest_plugin", "--asgi-backends=asyncio,trio")
    assert collected(pytester, *args) == [
        "test_follows_anyio[asyncio]",
        "test_follows_anyio[trio]",
        "test_follows_anyio[uvloop]",
        "test_the_marker_wins[asyncio-trio]",
        "test_the_marker_wins[trio-trio]",
        "test_the_marker_wins[uvloop-trio]",
        "test_without_anyio[asyncio]",
        "test_without_anyio[trio]",
    ]
    pytester.runpytest(*PLUGIN_ARGS, *args, "-W", "error").assert_outcomes(passed=8)


# -- module- and session-scoped clients ---------------------------------------------------------

WIDE_CONFTEST = """
import contextlib

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

STARTUPS = []
CLIENTS = {}

def make_app():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        STARTUPS.append(app)
        yield {"hits": []}

    async def hit(request):
        request.state.hits.append(request.url.path)
        return JSONResponse(request.state.hits)

    return Starlette(routes=[Route("/{name}", hit)], lifespan=lifespan)

@pytest.fixture(scope="session")
def session_client(asgi_session_client_factory):
    with asgi_session_client_factory(make_app()) as client:
        CLIENTS.setdefault("session", client)
        yield client

@pytest.fixture(scope="module")
def module_client(asgi_module_client_factory, request):
    with asgi_module_client_factory(make_app()) as client:
        CLIENTS.setdefault(request.module.__name__, client)
        yield client
"""

WIDE_MODULE = """
import conftest

def test_first(module_client, session_client):
    assert module_client.get("/{name}-1").json() == ["/{name}-1"]
    session_client.get("/{name}")

def test_second(module_client, session_client):
    # The same client, the same lifespan state: the module shares them.
    assert module_client.get("/{name}-2").json() == ["/{name}-1", "/{name}-2"]
    assert conftest.CLIENTS["{module}"] is module_client
    assert conftest.CLIENTS["session"] is session_client
    assert "/{name}" in session_client.get("/last").json()
    # One session client per process (per xdist worker), and one per module.
    modules = [name for name in conftest.CLIENTS if name != "session"]
    assert len(conftest.STARTUPS) == 1 + len(modules)
    # The clients of the modules that have ended are closed.
    assert [conftest.CLIENTS[name].adapter.loop.running for name in modules] == [
        name == "{module}" for name in modules
    ]
"""


def test_module_and_session_scoped_clients_alone_and_under_xdist(pytester, monkeypatch):
    pytest.importorskip("xdist")
    pytester.makeconftest(WIDE_CONFTEST)
    for name in ("alpha", "beta", "gamma"):
        pytester.makepyfile(**{f"test_{name}": WIDE_MODULE.format(name=name, module=f"test_{name}")})
    pytester.runpytest(*PLUGIN_ARGS, "-W", "error", "-p", "no:cacheprovider").assert_outcomes(passed=6)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    result = pytester.runpytest_subprocess(
        *PLUGIN_ARGS,
        "-p",
        "xdist.plugin",
        "-n",
        "2",
        "--dist",
        "loadfile",
        "-v",
        "-W",
        "error",
        "-p",
        "no:cacheprovider",
        timeout=50,
    )
    result.assert_outcomes(passed=6)
    for worker in ("[gw0]", "[gw1]"):
        assert any(worker in line and "PASSED" in line for line in result.outlines), worker


# -- async setup on the app's loop: the worked example of the docs ---------------------------


def worked_example():
    """The worked example, as the docs show it (``docs/pytest.md``)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "pytest.md").read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" in block]
    assert len(blocks) == 1, "docs/pytest.md should have one worked example with tests in it"
    return blocks[0]


def test_worked_example_async_setup_on_the_apps_loop(pytester):
    pytester.makepyfile(test_worked_example=worked_example())
    result = pytester.runpytest(*PLUGIN_ARGS, "--strict-markers", "-W", "error", "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines_random(["*test_prepare_through_the_lifespans_inbox[[]trio[]] PASSED*"])


# -- pytest-xdist --------------------------------------------------------------------------


XDIST_CONFTEST = """
import pytest
from starlette.testclient import TestClient  # imported before any test: swapped in each worker

@pytest.fixture
def conftest_client_class():
    return TestClient
"""

XDIST_TESTS = (
    LOOP_KIND
    + """
import contextlib
import os
import threading

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import asgi_testclient

def make_app():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield {"hits": []}

    async def hit(request):
        request.state.hits.append(request.url.path)
        response = JSONResponse(
            {
                "hits": len(request.state.hits),
                "cookie": request.cookies.get("seen"),
                "loop": loop_kind(),
                "thread": threading.get_ident(),
            }
        )
        response.set_cookie("seen", "yes")
        return response

    return Starlette(routes=[Route("/", hit)], lifespan=lifespan)

@pytest.mark.parametrize("round", range(4))
def test_clients_share_nothing(asgi_client_factory, asgi_backend, round):
    with asgi_client_factory(make_app()) as first, asgi_client_factory(make_app()) as second:
        one, two = first.get("/").json(), first.get("/").json()
        other = second.get("/").json()
    assert (one["hits"], two["hits"], other["hits"]) == (1, 2, 1)
    assert (one["cookie"], two["cookie"], other["cookie"]) == (None, "yes", None)
    assert one["thread"] == two["thread"] != other["thread"]
    assert {one["loop"], other["loop"]} == {expected_kind(asgi_backend)}

def test_legacy_swap_in_every_worker(conftest_client_class):
    assert conftest_client_class is asgi_testclient.TestClient
"""
)


def test_under_xdist_workers_and_clients_share_nothing(pytester):
    pytest.importorskip("xdist")
    pytester.makeconftest(XDIST_CONFTEST)
    pytester.makepyfile(test_isolation=XDIST_TESTS)
    result = pytester.runpytest_subprocess(
        *PLUGIN_ARGS,
        "-p",
        "xdist.plugin",
        "-n",
        "2",
        "-v",
        "--asgi-backends=asyncio,trio,uvloop",
        "--asgi-testclient-legacy",
        "--strict-markers",
        "-W",
        "error",
        "-p",
        "no:cacheprovider",
        timeout=50,
    )
    passed = 13 if sys.platform != "win32" else 9
    result.assert_outcomes(passed=passed, skipped=13 - passed)
    for worker in ("[gw0]", "[gw1]"):
        assert any(worker in line and "PASSED" in line for line in result.outlines), worker


# -- loading ---------------------------------------------------------------------------------


def test_loading_the_plugin_imports_nothing_heavy():
    script = (
        "import sys, asgi_testclient.pytest_plugin\n"
        "heavy = {'anyio', 'fastapi', 'httpx', 'requests', 'starlette', 'trio', 'urllib3'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_plugin_is_registered_by_entry_point():
    # What makes pytest load the plugin in a user's run with no -p option.
    group = entry_points()
    found = group.select(group="pytest11") if hasattr(group, "select") else group.get("pytest11", ())
    assert {(point.name, point.value) for point in found if point.name == "asgi_testclient"} == {
        ("asgi_testclient", "asgi_testclient.pytest_plugin")
    }


# -- strict mode for a whole run -----------------------------------------------------------


STRICT_TESTS = """
import pytest
from asgi_testclient import ASGIProtocolError, TestClient

async def app(scope, receive, send):
    await send({"type": "http.response.push", "path": "/style.css", "headers": []})
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})

def expect(client, strict):
    try:
        if strict:
            with pytest.raises(ASGIProtocolError, match="http.response.push"):
                client.get("/")
        else:
            assert client.get("/").status_code == 204
    finally:
        client.close()

def test_made_directly(strict):
    expect(TestClient(app), strict)

def test_from_the_factory(asgi_client_factory, strict):
    expect(asgi_client_factory(app), strict)

def test_explicit_argument_wins(strict):
    expect(TestClient(app, strict=False), False)
    expect(TestClient(app, strict=True), True)
"""


@pytest.mark.parametrize("how", ["default", "option", "ini"])
def test_the_ini_key_and_option_make_every_client_strict(pytester, how):
    strict = how != "default"
    pytester.makeconftest(f"import pytest\n\n@pytest.fixture\ndef strict():\n    return {strict}\n")
    pytester.makepyfile(STRICT_TESTS)
    if how == "ini":
        pytester.makeini("[pytest]\nasgi_testclient_strict = true\n")
    result = pytester.runpytest(*PLUGIN_ARGS, *(["--asgi-strict"] if how == "option" else []))
    result.assert_outcomes(passed=3)
    from asgi_testclient import _client

    assert _client.STRICT_DEFAULT is False  # put back when the run ended
