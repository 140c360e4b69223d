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

import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Tuple

import pytest

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

#: The backends by name, as ``(backend, backend_options)``.
BACKENDS: Dict[str, Tuple[str, Dict[str, Any]]] = {
    "asyncio": ("asyncio", {}),
    "trio": ("trio", {}),
    "uvloop": ("asyncio", {"use_uvloop": True}),
}

_LEGACY_OPTION = "asgi_testclient_legacy"
_TRAFFIC_OPTION = "asgi_traffic"
_SECRETS_OPTION = "asgi_traffic_show_secrets"
_BACKENDS_OPTION = "asgi_backends"
_STRICT_OPTION = "asgi_testclient_strict"
_MARKER = "asgi_backends"

#: Where a run's config keeps whether its plugin installed the legacy swap
#: (and so undoes it): the stash since pytest 7, an attribute before.
_INSTALLED_LEGACY = pytest.StashKey[bool]() if hasattr(pytest, "StashKey") else None


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


def _install_legacy(config: pytest.Config, option_given: Any) -> None:
    if not (option_given or config.getini(_LEGACY_OPTION)):
        return
    from asgi_testclient import legacy

    if not legacy.is_installed():
        legacy.install()
        _set_installed_legacy(config, True)


def _set_installed_legacy(config: pytest.Config, value: bool) -> None:
    if _INSTALLED_LEGACY is None:  # pragma: no cover - pytest 6
        config._asgi_testclient_installed_legacy = value  # type: ignore[attr-defined]
    else:
        config.stash[_INSTALLED_LEGACY] = value


def _installed_legacy(config: pytest.Config) -> bool:
    if _INSTALLED_LEGACY is None:  # pragma: no cover - pytest 6
        return bool(getattr(config, "_asgi_testclient_installed_legacy", False))
    return config.stash.get(_INSTALLED_LEGACY, False)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Runs before pytest imports the first conftest (its own implementation
    # of this hook, which does that, is trylast). Command-line options are
    # not all parsed yet: the known ones are in known_args_namespace.
    from ._compat import known_option

    _install_legacy(early_config, known_option(early_config, _LEGACY_OPTION))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(*names): run the test on these event loops (asyncio, trio, uvloop)"
        " when it uses the asgi_backend, asgi_client_factory or asgi_client fixture",
    )
    _configured_backends(config)  # a bad --asgi-backends is a usage error at once
    _traffic_settings(config)  # and so is a bad --asgi-traffic
    # When the plugin was loaded too late for pytest_load_initial_conftests
    # (from a conftest's pytest_plugins), test modules are still to come.
    _install_legacy(config, config.getoption(_LEGACY_OPTION))
    if config.getoption(_STRICT_OPTION) or config.getini(_STRICT_OPTION):
        _set_strict_default(True)


def _set_strict_default(value: bool) -> None:
    from asgi_testclient import _client

    _client.STRICT_DEFAULT = value


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption(_STRICT_OPTION) or config.getini(_STRICT_OPTION):
        _set_strict_default(False)
    if _installed_legacy(config):
        from asgi_testclient import legacy

        legacy.uninstall()
        _set_installed_legacy(config, False)


# -- traffic in failure reports ----------------------------------------------------


def _traffic_settings(config: pytest.Config) -> Tuple[int, bool]:
    """``(exchanges per client, show secrets)``; ``0`` exchanges: no report."""
    option = config.getoption(_TRAFFIC_OPTION)
    where = "--asgi-traffic" if option is not None else "ini option asgi_traffic"
    value = option if option is not None else config.getini(_TRAFFIC_OPTION)
    try:
        limit = int(str(value).strip())
    except ValueError:
        limit = -1
    if limit < 0:
        raise pytest.UsageError(f"{where}: expected a number of exchanges, 0 or more, not {value!r}")
    secrets = config.getoption(_SECRETS_OPTION) or config.getini(_SECRETS_OPTION)
    return limit, bool(secrets)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    # Setup, call and teardown of one test, with their reports.
    limit, secrets = _traffic_settings(item.config)
    if not limit:
        yield
        return
    from asgi_testclient import _traffic

    previous = _traffic.start(limit, secrets)
    try:
        yield
    finally:
        _traffic.stop(previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if not report.failed or not _traffic_settings(item.config)[0]:
        return
    traffic = sys.modules.get("asgi_testclient._traffic")
    recording = getattr(traffic, "current", None)
    if recording is None:
        return
    text = recording.report()
    if text:
        report.sections.append((f"Captured asgi traffic {report.when}", text))


# -- backends ----------------------------------------------------------------------


def _parse_backends(value: Any, where: str) -> List[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    names: List[str] = []
    for name in value:
        name = str(name).strip().lower()
        if name not in BACKENDS:
            raise ValueError(f"{where}: unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"{where}: name at least one backend ({', '.join(BACKENDS)})")
    return names


def _configured_backends(config: pytest.Config) -> List[str]:
    option = config.getoption(_BACKENDS_OPTION)
    try:
        if option is not None:
            return _parse_backends(option, "--asgi-backends")
        return _parse_backends(config.getini(_BACKENDS_OPTION), "ini option asgi_backends")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _backend_param(name: str) -> Any:
    marks: List[Any] = []
    if name == "uvloop" and sys.platform == "win32":
        marks.append(pytest.mark.skip(reason="uvloop does not run on Windows"))
    return pytest.param(name, id=name, marks=marks)


def _parametrized_by_user(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",")]
        if "asgi_backend" in argnames:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "asgi_backend" not in metafunc.fixturenames or _parametrized_by_user(metafunc):
        return
    marker = metafunc.definition.get_closest_marker(_MARKER)
    if marker is None and "anyio_backend" in metafunc.fixturenames:
        return  # anyio parametrizes it already: asgi_backend follows anyio_backend
    if marker is not None:
        try:
            names = _parse_backends(marker.args, f"@pytest.mark.{_MARKER}")
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)
    else:
        names = _configured_backends(metafunc.config)
    metafunc.parametrize("asgi_backend", [_backend_param(name) for name in names], indirect=True)


# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def asgi_backend(request: pytest.FixtureRequest) -> Tuple[str, Dict[str, Any]]:
    """``(backend, backend_options)`` of the event loop this test's clients
    run on; the test runs once for each backend chosen with
    ``--asgi-backends`` or ``@pytest.mark.asgi_backends``."""
    name = getattr(request, "param", None)
    if name is None and "anyio_backend" in request.fixturenames:
        return _from_anyio(request.getfixturevalue("anyio_backend"))
    backend, options = BACKENDS[name or _configured_backends(request.config)[0]]
    return backend, dict(options)


#: The options of anyio's asyncio backend that a client's loop knows too.
_ASYNCIO_OPTIONS = ("use_uvloop", "debug", "loop_factory")


def _from_anyio(value: Any) -> Tuple[str, Dict[str, Any]]:
    """``(backend, backend_options)`` for the value of anyio's ``anyio_backend``
    fixture: ``"trio"``, or ``("asyncio", {"use_uvloop": True})``."""
    name, options = (value, {}) if isinstance(value, str) else (value[0], dict(value[1] or {}))
    if name not in ("asyncio", "trio"):
        pytest.fail(f"anyio_backend {value!r}: asgi_testclient runs on asyncio or trio", pytrace=False)
    if name == "asyncio":
        options = {key: option for key, option in options.items() if key in _ASYNCIO_OPTIONS}
    return name, options


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
    yield from _factory(BACKENDS[_configured_backends(request.config)[0]])


@pytest.fixture(scope="session")
def asgi_session_client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., TestClient]]:
    """The same, with clients closed when the test session ends (in each
    pytest-xdist worker: every worker has its own session)."""
    yield from _factory(BACKENDS[_configured_backends(request.config)[0]])


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
