"""pytest plugin: fixtures for testing ASGI apps, and the legacy client swap.

pytest loads it through the package's ``pytest11`` entry point, named
``asgi_testclient``; ``-p no:asgi_testclient`` keeps it out of a run. With
plugin autoloading off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``), load it with
``-p asgi_testclient.pytest_plugin`` (not while the entry point is loaded as
well: pytest refuses a module registered under two names). It changes
nothing until a test asks for one of its fixtures or the legacy swap is
switched on.

Fixtures
--------

``asgi_client_factory``
    ``factory(app, **kwargs)`` makes a :class:`~asgi_testclient.TestClient`
    (``kwargs`` are the client's) on the test's backend. Every client it made
    is closed when the test ends.

``asgi_app``
    The ASGI app under test, for ``asgi_client``. The plugin's own fails the
    test with a hint; override it in a conftest or test module.

``asgi_client``
    A client for ``asgi_app``, already inside ``with``: the app's lifespan
    has started, and shuts down when the test ends. ``asgi_client.run(fn,
    *args)`` runs ``await fn(*args)`` on the app's own event loop, so a
    test can prepare data through objects the lifespan made there::

        @pytest.fixture
        def asgi_app():
            return create_app()

        def test_items(asgi_client):
            asgi_client.run(asgi_client.app.state.db.insert, {"name": "x"})
            assert asgi_client.get("/items").json() == [{"name": "x"}]

``asgi_module_client_factory``, ``asgi_session_client_factory``
    The same factory, module- and session-scoped: the clients are closed
    when the module (or session, in each pytest-xdist worker) ends. Their
    backend is the first of ``--asgi-backends``; ``backend=`` picks another.

``asgi_backend``
    ``(backend, backend_options)`` for the event loop the clients run on:
    ``("asyncio", {})``, ``("trio", {})`` or ``("asyncio", {"use_uvloop":
    True})``. A test that uses it, directly or through the fixtures above,
    runs once per backend chosen; a test that uses anyio's ``anyio_backend``
    (an ``@pytest.mark.anyio`` test) runs on anyio's backend instead.

Choosing backends
-----------------

* ``--asgi-backends=asyncio,trio,uvloop`` on the command line, or
  ``asgi_backends = asyncio trio uvloop`` in the ini file, for every test
  (default: ``asyncio`` only);
* ``@pytest.mark.asgi_backends("asyncio", "trio")`` on a test, class or
  module, which wins over the option.

Test ids carry the backend's name: ``test_items[trio]``. uvloop tests are
skipped on Windows, where uvloop does not run. A test that parametrizes
``asgi_backend`` itself is left as it is. A test parametrized by anyio's
``anyio_backend`` fixture, without the marker, is not parametrized again:
its clients run on anyio's backend (``"trio"``, ``("asyncio",
{"use_uvloop": True})``, ...).

The legacy swap
---------------

``--asgi-testclient-legacy``, or ``asgi_testclient_legacy = true`` in the
ini file, calls :func:`asgi_testclient.legacy.install` before any conftest
is imported, so that ``from starlette.testclient import TestClient`` and
``from fastapi.testclient import TestClient`` give this package's client in
the whole run; the swap is undone when pytest finishes.

Traffic in failure reports
--------------------------

When a test fails, its report gets a section, ``Captured asgi traffic
call`` (or ``setup``, ``teardown``), next to the captured output: for every
client the test used (from the fixtures, made in the test, or from the
legacy swap), its last exchanges with the app, in order: method, URL,
status, duration, the headers each way, an excerpt of each body and what
the app raised; for websockets, the messages each way. Bodies a test
streamed are shown as far as the test read them.

* ``--asgi-traffic=N`` (ini: ``asgi_traffic``): how many exchanges per
  client (default 10); ``0`` turns the section off.
* ``--asgi-traffic-show-secrets`` (ini: ``asgi_traffic_show_secrets``):
  show the values of ``Authorization``, ``Proxy-Authorization``, ``Cookie``
  and ``Set-Cookie``, masked by default.

The plugin keeps no state between tests or clients outside of pytest's own
objects, and works the same in every pytest-xdist worker.
"""

from __future__ import annotations  # pytest 6 has no pytest.Config and friends

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Tuple

import pytest

from . import _plugin_legacy, _plugin_traffic
from ._plugin_backends import (
    BACKENDS,
    backend_param,
    configured_backends,
    from_anyio,
    parametrized_by_user,
    parse_backends,
)
from ._plugin_backends import (
    BACKENDS_OPTION as _BACKENDS_OPTION,
)
from ._plugin_legacy import LEGACY_OPTION as _LEGACY_OPTION
from ._plugin_traffic import SECRETS_OPTION as _SECRETS_OPTION
from ._plugin_traffic import TRAFFIC_OPTION as _TRAFFIC_OPTION

if TYPE_CHECKING:  # pragma: no cover
    from asgi_testclient import TestClient

__all__ = [
    "asgi_app",
    "asgi_backend",
    "asgi_client",
    "asgi_client_factory",
    "asgi_module_client_factory",
    "asgi_session_client_factory",
]

_STRICT_OPTION = "asgi_testclient_strict"
_MARKER = "asgi_backends"

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asgi_testclient", "asgi_testclient: test ASGI apps through requests")
    group.addoption(
        "--asgi-testclient-legacy",
        action="store_true",
        dest=_LEGACY_OPTION,
        default=None,
        help=(
            "make starlette.testclient.TestClient and fastapi.testclient.TestClient"
            " asgi_testclient's requests-based client, for suites written for the"
            " old Starlette client (ini: asgi_testclient_legacy)"
        ),
    )
    group.addoption(
        "--asgi-backends",
        dest=_BACKENDS_OPTION,
        default=None,
        metavar="NAMES",
        help=(
            "comma-separated event loops the asgi_* fixtures run every test on:"
            " asyncio, trio, uvloop (default: asyncio; ini: asgi_backends)"
        ),
    )
    group.addoption(
        "--asgi-traffic",
        dest=_TRAFFIC_OPTION,
        default=None,
        metavar="N",
        help=(
            "how many of each client's last exchanges with the app a failed test's report"
            " shows (default: 10; 0: none; ini: asgi_traffic)"
        ),
    )
    group.addoption(
        "--asgi-traffic-show-secrets",
        action="store_true",
        dest=_SECRETS_OPTION,
        default=None,
        help=(
            "show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in"
            " failure reports instead of masking them (ini: asgi_traffic_show_secrets)"
        ),
    )
    parser.addini(
        _TRAFFIC_OPTION,
        default="10",
        help="exchanges per client in a failed test's report; 0 turns it off (see --asgi-traffic)",
    )
    parser.addini(
        _SECRETS_OPTION,
        type="bool",
        default=False,
        help="show credentials in failure reports (see --asgi-traffic-show-secrets)",
    )
    parser.addini(
        _LEGACY_OPTION,
        type="bool",
        default=False,
        help="swap in asgi_testclient for starlette.testclient/fastapi.testclient (see --asgi-testclient-legacy)",
    )
    group.addoption(
        "--asgi-strict",
        action="store_true",
        dest=_STRICT_OPTION,
        default=None,
        help=(
            "make every asgi_testclient.TestClient of the run strict (ASGI protocol"
            " checks and a server's scope; ini: asgi_testclient_strict)"
        ),
    )
    parser.addini(
        _STRICT_OPTION,
        type="bool",
        default=False,
        help="make every asgi_testclient.TestClient of the run strict (see --asgi-strict)",
    )
    parser.addini(
        _BACKENDS_OPTION,
        default="asyncio",
        help="event loops the asgi_* fixtures run every test on (see --asgi-backends)",
    )


# -- the legacy swap -------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Runs before pytest imports the first conftest (its own implementation
    # of this hook, which does that, is trylast). Command-line options are
    # not all parsed yet: the known ones are in known_args_namespace.
    from ._compat import known_option

    _plugin_legacy.install(early_config, known_option(early_config, _LEGACY_OPTION))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(*names): run the test on these event loops (asyncio, trio, uvloop)"
        " when it uses the asgi_backend, asgi_client_factory or asgi_client fixture",
    )
    configured_backends(config)  # a bad --asgi-backends is a usage error at once
    _plugin_traffic.settings(config)  # and so is a bad --asgi-traffic
    # When the plugin was loaded too late for pytest_load_initial_conftests
    # (from a conftest's pytest_plugins), test modules are still to come.
    _plugin_legacy.install(config, config.getoption(_LEGACY_OPTION))
    if config.getoption(_STRICT_OPTION) or config.getini(_STRICT_OPTION):
        _set_strict_default(True)


def _set_strict_default(value: bool) -> None:
    from asgi_testclient import _client

    _client.STRICT_DEFAULT = value


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption(_STRICT_OPTION) or config.getini(_STRICT_OPTION):
        _set_strict_default(False)
    _plugin_legacy.uninstall(config)


# -- traffic in failure reports ----------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    # Setup, call and teardown of one test, with their reports.
    yield from _plugin_traffic.record(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome: Any = yield
    _plugin_traffic.add_section(item, outcome.get_result())


# -- backends ----------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "asgi_backend" not in metafunc.fixturenames or parametrized_by_user(metafunc):
        return
    marker = metafunc.definition.get_closest_marker(_MARKER)
    if marker is None and "anyio_backend" in metafunc.fixturenames:
        return  # anyio parametrizes it already: asgi_backend follows anyio_backend
    if marker is not None:
        try:
            names = parse_backends(marker.args, f"@pytest.mark.{_MARKER}")
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)
    else:
        names = configured_backends(metafunc.config)
    metafunc.parametrize("asgi_backend", [backend_param(name) for name in names], indirect=True)


# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def asgi_backend(request: pytest.FixtureRequest) -> Tuple[str, Dict[str, Any]]:
    """``(backend, backend_options)`` of the event loop this test's clients
    run on; the test runs once for each backend chosen with
    ``--asgi-backends`` or ``@pytest.mark.asgi_backends``."""
    name = getattr(request, "param", None)
    if name is None and "anyio_backend" in request.fixturenames:
        return from_anyio(request.getfixturevalue("anyio_backend"))
    backend, options = BACKENDS[name or configured_backends(request.config)[0]]
    return backend, dict(options)


@pytest.fixture
def asgi_client_factory(asgi_backend: Tuple[str, Dict[str, Any]]) -> Iterator[Callable[..., TestClient]]:
    """``factory(app, **kwargs)``: a new ``TestClient`` for ``app`` on this
    test's backend; every client it made is closed after the test."""
    yield from _factory(asgi_backend)


@pytest.fixture(scope="module")
def asgi_module_client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., TestClient]]:
    """``factory(app, **kwargs)``: a new ``TestClient`` whose clients are
    closed when the test module ends, for a client (and lifespan) shared by
    a module's tests. Its backend is the first of ``--asgi-backends``;
    ``backend=`` chooses another."""
    yield from _factory(BACKENDS[configured_backends(request.config)[0]])


@pytest.fixture(scope="session")
def asgi_session_client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., TestClient]]:
    """The same, with clients closed when the test session ends (in each
    pytest-xdist worker: every worker has its own session)."""
    yield from _factory(BACKENDS[configured_backends(request.config)[0]])


def _factory(backend: Tuple[str, Dict[str, Any]]) -> Iterator[Callable[..., TestClient]]:
    from asgi_testclient import TestClient

    clients: List[TestClient] = []

    def factory(app: Any, **kwargs: Any) -> TestClient:
        kwargs.setdefault("backend", backend[0])
        kwargs.setdefault("backend_options", dict(backend[1]))
        client = TestClient(app, **kwargs)
        clients.append(client)
        return client

    try:
        yield factory
    finally:
        _close_all(clients)


def _close_all(clients: List[TestClient]) -> None:
    """Close every client, even when closing one of them fails."""
    if clients:
        client = clients.pop()
        try:
            client.close()
        finally:
            _close_all(clients)


@pytest.fixture
def asgi_app() -> Any:
    """The ASGI app ``asgi_client`` runs: override this fixture."""
    pytest.fail(
        "the asgi_client fixture needs the app under test: define a fixture named"
        " 'asgi_app' that returns it (in a conftest.py or the test module)",
        pytrace=False,
    )


@pytest.fixture
def asgi_client(asgi_app: Any, asgi_client_factory: Callable[..., TestClient]) -> Iterator[TestClient]:
    """A ``TestClient`` for the ``asgi_app`` fixture, inside ``with``: the
    app's lifespan runs around the test. ``asgi_client.run(fn, *args)`` runs
    a coroutine function on the app's event loop."""
    with asgi_client_factory(asgi_app) as client:
        yield client
