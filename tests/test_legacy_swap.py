"""The legacy swap: ``starlette.testclient`` and ``fastapi.testclient`` made
this package's, by ``asgi_testclient.legacy.install()`` or by the pytest
option, and a suite written for the old client run through it unchanged."""

import importlib
import importlib.util
import os
import shutil
import sys
import types
from pathlib import Path

import pytest

import asgi_testclient
from asgi_testclient import legacy

pytest_plugins = ["pytester"]

LEGACY_SUITE = Path(__file__).parent / "legacy_suite"
PLUGIN = "asgi_testclient.pytest_plugin"
PLUGIN_ARGS = ("-p", PLUGIN)
NAMES = ("starlette.testclient", "fastapi.testclient")


@pytest.fixture(autouse=True)
def only_named_plugins(monkeypatch):
    """Inner pytest runs load only the plugins they name with ``-p``: the
    same in every environment, faster (no hypothesis or faker plugins), and
    no clash with this plugin's own entry point once it is installed."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def clean_imports(monkeypatch):
    """No ``starlette.testclient`` or ``fastapi.testclient`` imported (they
    come back after the test), and the swap undone whatever happens."""
    import fastapi
    import starlette

    for name, parent in zip(NAMES, (starlette, fastapi)):
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(parent, "testclient", raising=False)
    assert not legacy.is_installed()
    yield
    legacy.uninstall()


@pytest.fixture
def no_httpx(monkeypatch):
    """Make ``import httpx`` (and httpx2, which newer Starlette prefers) fail."""
    for name in ("httpx", "httpx2"):
        monkeypatch.setitem(sys.modules, name, None)


def test_swap_works_without_httpx_and_uninstall_forgets_it(clean_imports, no_httpx):
    import fastapi
    import starlette

    with pytest.raises((ImportError, RuntimeError)):
        importlib.import_module("starlette.testclient")  # Starlette's own needs httpx

    legacy.install()
    from fastapi.testclient import TestClient as FastAPITestClient
    from starlette.testclient import TestClient, WebSocketTestSession

    assert TestClient is FastAPITestClient is asgi_testclient.TestClient
    assert WebSocketTestSession is asgi_testclient.WebSocketTestSession
    assert starlette.testclient.TestClient is TestClient  # the parent packages know them
    assert fastapi.testclient.TestClient is TestClient

    legacy.uninstall()
    assert not legacy.is_installed()
    for name, parent in zip(NAMES, (starlette, fastapi)):
        assert name not in sys.modules
        assert not hasattr(parent, "testclient")
    assert not any(type(finder).__module__ == legacy.__name__ for finder in sys.meta_path)
    with pytest.raises((ImportError, RuntimeError)):
        importlib.import_module("starlette.testclient")


def test_modules_imported_before_are_replaced_then_restored_exactly(clean_imports, monkeypatch):
    import fastapi
    import starlette

    old = {}
    for name, parent in zip(NAMES, (starlette, fastapi)):
        old[name] = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, old[name])
        monkeypatch.setattr(parent, "testclient", old[name], raising=False)

    legacy.install()
    for name, parent in zip(NAMES, (starlette, fastapi)):
        assert sys.modules[name] is not old[name]
        assert parent.testclient is sys.modules[name]
        assert sys.modules[name].TestClient is asgi_testclient.TestClient

    legacy.uninstall()
    for name, parent in zip(NAMES, (starlette, fastapi)):
        assert sys.modules[name] is old[name]
        assert parent.testclient is old[name]


def test_install_and_uninstall_are_idempotent(clean_imports):
    meta_path = list(sys.meta_path)
    legacy.uninstall()  # nothing to undo
    assert sys.meta_path == meta_path
    legacy.install()
    legacy.install()
    assert legacy.is_installed()
    assert len(sys.meta_path) == len(meta_path) + 1
    first = importlib.import_module("starlette.testclient")
    legacy.install()
    assert importlib.import_module("starlette.testclient") is first
    legacy.uninstall()
    legacy.uninstall()
    assert sys.meta_path == meta_path
    assert "starlette.testclient" not in sys.modules


def test_the_old_modules_names(clean_imports):
    from starlette.websockets import WebSocketDisconnect as StarletteDisconnect

    legacy.install()
    import starlette.testclient as module

    assert module.WebSocketDisconnect is StarletteDisconnect
    assert issubclass(asgi_testclient.WebSocketDisconnect, module.WebSocketDisconnect)
    assert module.WebSocketDenialResponse is asgi_testclient.WebSocketDenialResponse
    for alias in (
        "ASGIInstance",
        "ASGI2App",
        "ASGI3App",
        "Cookies",
        "Params",
        "DataType",
        "TimeOut",
        "FileType",
        "AuthType",
    ):
        assert alias in module.__all__
        assert getattr(module, alias) is not None
    with pytest.raises(AttributeError, match="replaced by asgi_testclient.legacy"):
        module._ASGIAdapter  # noqa: B018 - the lookup is the test
    assert "asgi_testclient.legacy" in module.__doc__


# -- through pytest ------------------------------------------------------------------


@pytest.mark.parametrize(
    "switch", [["--asgi-testclient-legacy"], ["-o", "asgi_testclient_legacy=true"]], ids=["option", "ini"]
)
def test_swap_happens_before_the_first_conftest_and_is_undone_after(pytester, switch):
    before = sys.modules.get("starlette.testclient")
    pytester.makeconftest(
        """
        import pytest
        from starlette.testclient import TestClient

        @pytest.fixture
        def conftest_client_class():
            return TestClient
        """
    )
    pytester.makepyfile(
        """
        import asgi_testclient
        from fastapi.testclient import TestClient

        def test_both_are_ours(conftest_client_class):
            assert conftest_client_class is TestClient is asgi_testclient.TestClient
        """
    )
    result = pytester.runpytest(*PLUGIN_ARGS, *switch, "-W", "error")
    result.assert_outcomes(passed=1)
    assert not legacy.is_installed()
    assert sys.modules.get("starlette.testclient") is before


def test_nothing_changes_unless_asked(pytester):
    pytester.makepyfile(
        """
        from asgi_testclient import legacy

        def test_not_installed():
            assert not legacy.is_installed()
        """
    )
    pytester.runpytest(*PLUGIN_ARGS, "-o", "asgi_testclient_legacy=false").assert_outcomes(passed=1)


def test_plugin_from_a_conftest_still_swaps_for_test_modules(pytester):
    """Loaded by ``pytest_plugins`` (too late for the first hook), the
    plugin swaps in ``pytest_configure``, before test modules are imported."""
    pytester.makeini("[pytest]\nasgi_testclient_legacy = true\n")
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]")
    pytester.makepyfile(
        """
        import asgi_testclient
        from starlette.testclient import TestClient

        def test_ours():
            assert TestClient is asgi_testclient.TestClient
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert not legacy.is_installed()


# -- the legacy suite, in its own process ----------------------------------------------


@pytest.fixture
def legacy_suite(pytester):
    """tests/legacy_suite/ in a fresh directory, its conftest in place."""
    for entry in LEGACY_SUITE.iterdir():
        if entry.name == "__pycache__" or entry.name.endswith(".md"):
            continue
        target = pytester.path / ("conftest.py" if entry.name == "legacy_conftest.py" else entry.name)
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy(entry, target)
    pytester.makeini("[pytest]\npython_files = legacy_*.py\n")
    return pytester


LEGACY_TESTS = 21


def test_legacy_suite_passes_with_the_option_without_httpx(legacy_suite, monkeypatch, tmp_path_factory):
    stubs = tmp_path_factory.mktemp("no_httpx")
    for name in ("httpx", "httpx2"):
        (stubs / f"{name}.py").write_text(f'raise ModuleNotFoundError("No module named {name!r}", name={name!r})\n')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(stubs), os.environ.get("PYTHONPATH")])))
    legacy_suite.makepyfile(
        legacy_environment="""
        import pytest

        def test_httpx_is_missing():
            with pytest.raises(ImportError):
                import httpx
        """
    )
    result = legacy_suite.runpytest_subprocess(
        *PLUGIN_ARGS, "--asgi-testclient-legacy", "-W", "error", "-p", "no:cacheprovider", timeout=50
    )
    result.assert_outcomes(passed=LEGACY_TESTS + 1)


@pytest.mark.skipif(
    not (importlib.util.find_spec("httpx") or importlib.util.find_spec("httpx2")),
    reason="Starlette's own test client needs httpx",
)
def test_legacy_suite_gets_starlettes_own_client_without_the_option(legacy_suite):
    result = legacy_suite.runpytest_subprocess(*PLUGIN_ARGS, "-p", "no:cacheprovider", timeout=50)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3
    result.stdout.fnmatch_lines_random(
        [
            "FAILED legacy_http.py::test_client_is_a_requests_session*",
            "FAILED legacy_http.py::test_redirect_not_followed*",
            "FAILED legacy_http.py::test_cookies*",
        ]
    )


def test_legacy_suite_is_not_collected_by_the_main_run():
    """Its files do not match ``test_*.py``, and no ``conftest.py`` there
    imports Starlette's own client into the main run."""
    names = {entry.name for entry in LEGACY_SUITE.iterdir()}
    assert "conftest.py" not in names
    assert not [name for name in names if name.startswith("test_") or name.endswith("_test.py")]
