"""Run a suite written for the old requests-based Starlette client, unchanged.

:func:`install` makes ``starlette.testclient`` and ``fastapi.testclient``
modules of this package's making: their ``TestClient`` is
:class:`asgi_testclient.TestClient`, their ``WebSocketTestSession`` is
:class:`asgi_testclient.WebSocketTestSession`, and the other names the old
``starlette.testclient`` offered are there too. Code that then runs::

    from starlette.testclient import TestClient
    from fastapi.testclient import TestClient

gets this package's client. Starlette's own ``starlette.testclient`` is not
imported at all, so the swap works whether or not httpx is installed.

Under pytest, pass ``--asgi-testclient-legacy`` (or set
``asgi_testclient_legacy = true`` in the ini file) and the pytest plugin
calls :func:`install` before any conftest or test module is imported. With
unittest or another runner, call it before anything imports the test client,
at the top of the test package's ``__init__.py`` for instance::

    from asgi_testclient import legacy

    legacy.install()

:func:`uninstall` puts back exactly what was there before.

A module that imported ``TestClient`` before :func:`install` keeps the
class it got; the swap only changes what later imports see.
"""

import importlib.abc
import sys
import threading
import typing
from importlib.machinery import ModuleSpec
from importlib.util import module_from_spec
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["install", "is_installed", "uninstall"]

#: The attribute that marks the modules :func:`install` made.
MARKER = "__asgi_testclient_legacy__"


def _fill_starlette_testclient(module: ModuleType) -> None:
    import requests

    import asgi_testclient
    from asgi_testclient import _types

    try:
        # What the old module offered, and what a server-side disconnect
        # raises; the client's own WebSocketDisconnect is a subclass of it.
        from starlette.websockets import WebSocketDisconnect
    except ImportError:  # pragma: no cover - the module sits in starlette
        WebSocketDisconnect = asgi_testclient.WebSocketDisconnect  # type: ignore[misc]

    names: Dict[str, Any] = {
        "TestClient": asgi_testclient.TestClient,
        "WebSocketTestSession": asgi_testclient.WebSocketTestSession,
        "WebSocketDisconnect": WebSocketDisconnect,
        "WebSocketDenialResponse": asgi_testclient.WebSocketDenialResponse,
        # The old module's type aliases.
        "ASGIInstance": _types.ASGI2Instance,
        "ASGI2App": _types.ASGI2App,
        "ASGI3App": _types.ASGI3App,
        "Cookies": typing.Union[typing.MutableMapping[str, str], requests.cookies.RequestsCookieJar],
        "Params": typing.Union[bytes, typing.MutableMapping[str, str]],
        "DataType": typing.Union[bytes, typing.MutableMapping[str, str], typing.IO[Any]],
        "TimeOut": typing.Union[float, typing.Tuple[float, float]],
        "FileType": typing.MutableMapping[str, typing.IO[Any]],
        "AuthType": typing.Union[
            typing.Tuple[str, str],
            requests.auth.AuthBase,
            typing.Callable[[requests.PreparedRequest], requests.PreparedRequest],
        ],
    }
    module.__dict__.update(names)
    module.__all__ = sorted(names)  # type: ignore[attr-defined]


def _fill_fastapi_testclient(module: ModuleType) -> None:
    import asgi_testclient

    module.TestClient = asgi_testclient.TestClient  # type: ignore[attr-defined]
    module.__all__ = ["TestClient"]  # type: ignore[attr-defined]


_FILLERS: Dict[str, Callable[[ModuleType], None]] = {
    "starlette.testclient": _fill_starlette_testclient,
    "fastapi.testclient": _fill_fastapi_testclient,
}


def _missing_name(module_name: str) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        raise AttributeError(
            f"module {module_name!r} has no attribute {name!r}: it was replaced by"
            " asgi_testclient.legacy, which offers only the names of the old,"
            " requests-based test client"
        )

    return __getattr__


class _Loader(importlib.abc.Loader):
    """Makes the replacement modules (the import system's loader protocol)."""

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        module.__doc__ = f"{name}, replaced by asgi_testclient.legacy with the requests-based test client."
        setattr(module, MARKER, True)
        module.__getattr__ = _missing_name(name)  # type: ignore[method-assign]
        _FILLERS[name](module)


class _Finder(importlib.abc.MetaPathFinder):
    """Answers imports of the replaced modules before any other finder."""

    def __init__(self) -> None:
        self.loader = _Loader()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Optional[ModuleSpec]:
        if fullname in _FILLERS:
            return ModuleSpec(fullname, self.loader, origin="asgi_testclient.legacy")
        return None


def _make_module(finder: _Finder, name: str) -> ModuleType:
    spec = finder.find_spec(name)
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_MISSING: Any = object()


class _Swap:
    """What :func:`install` changed, and what was there before."""

    def __init__(self) -> None:
        self.finder = _Finder()
        #: Each replaced name's entry in ``sys.modules`` before the swap.
        self.modules: Dict[str, Any] = {}
        #: Each parent package's attribute before the swap, for the parents
        #: that were imported then.
        self.attributes: List[Tuple[ModuleType, str, Any]] = []


_lock = threading.Lock()
_swap: Optional[_Swap] = None


def _is_ours(module: Any) -> bool:
    return getattr(module, "__dict__", {}).get(MARKER, False) is True


def install() -> None:
    """Make ``starlette.testclient`` and ``fastapi.testclient`` this package's.

    Modules already imported are replaced in ``sys.modules`` and in their
    parent package; modules not imported yet are made on their first
    import. Calling it again while installed does nothing.
    """
    global _swap
    with _lock:
        if _swap is not None:
            return
        swap = _Swap()
        for name in _FILLERS:
            parent_name, _, child = name.rpartition(".")
            swap.modules[name] = sys.modules.get(name, _MISSING)
            parent = sys.modules.get(parent_name)
            if parent is not None:
                swap.attributes.append((parent, child, parent.__dict__.get(child, _MISSING)))
        sys.meta_path.insert(0, swap.finder)
        _swap = swap
        for name in _FILLERS:
            if swap.modules[name] is not _MISSING:
                module = _make_module(swap.finder, name)
                sys.modules[name] = module
                parent = sys.modules.get(name.rpartition(".")[0])
                if parent is not None:
                    setattr(parent, name.rpartition(".")[2], module)


def uninstall() -> None:
    """Undo :func:`install`: put back the modules and attributes that were
    there before it, and forget the ones it made. Does nothing when not
    installed."""
    global _swap
    with _lock:
        swap, _swap = _swap, None
        if swap is None:
            return
        try:
            sys.meta_path.remove(swap.finder)
        except ValueError:  # pragma: no cover - someone else removed it
            pass
        for name, before in swap.modules.items():
            if before is _MISSING:
                if _is_ours(sys.modules.get(name)):
                    del sys.modules[name]
            else:
                sys.modules[name] = before
        restored = set()
        for parent, child, before in swap.attributes:
            restored.add((id(parent), child))
            if before is _MISSING:
                if _is_ours(parent.__dict__.get(child)):
                    delattr(parent, child)
            else:
                setattr(parent, child, before)
        # Parents first imported while installed hold only what we made.
        for name in _FILLERS:
            parent_name, _, child = name.rpartition(".")
            package = sys.modules.get(parent_name)
            if package is not None and (id(package), child) not in restored and _is_ours(package.__dict__.get(child)):
                delattr(package, child)


def is_installed() -> bool:
    """Whether :func:`install` is in effect."""
    return _swap is not None
