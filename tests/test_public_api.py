"""The public surface is exactly ``__all__``, and importing is cheap."""

import subprocess
import sys

import asgi_testclient


def test_all_names_resolve_and_nothing_else_is_public():
    for name in asgi_testclient.__all__:
        assert getattr(asgi_testclient, name) is not None
    assert asgi_testclient.__all__ == sorted(asgi_testclient.__all__)
    # pytest rewrites the asserts of a plugin's whole distribution, which
    # adds "@py_builtins" and "@pytest_ar" to the package: not names anyone
    # can import.
    public = {name for name in dir(asgi_testclient) if not name.startswith(("_", "@"))}
    submodules = {"legacy", "pytest_plugin"}
    assert public - submodules == set(asgi_testclient.__all__)


def test_unknown_names_raise_attribute_error():
    try:
        asgi_testclient.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'asgi_testclient' has no attribute 'NoSuchThing'"
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def test_importing_the_package_loads_no_dependency():
    code = "import sys, asgi_testclient; print(sorted(m for m in ('requests', 'anyio', 'urllib3') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
