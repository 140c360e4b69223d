"""The pytest plugin's event loops: the backends by name, which ones the
command line, the ini file or a marker chose, and anyio's backend as the
client's. Private to ``pytest_plugin``, which keeps the hooks and fixtures
(pytest finds hooks only in a registered plugin module); this is the
parsing they share.
"""

from __future__ import annotations  # pytest 6 has no pytest.Config and friends

import sys
from typing import Any, Dict, List, Tuple

import pytest

#: The ini key (and ``dest`` of ``--asgi-backends``) that chooses the backends.
BACKENDS_OPTION = "asgi_backends"

#: The backends by name, as ``(backend, backend_options)``.
BACKENDS: Dict[str, Tuple[str, Dict[str, Any]]] = {
    "asyncio": ("asyncio", {}),
    "trio": ("trio", {}),
    "uvloop": ("asyncio", {"use_uvloop": True}),
}



def parse_backends(value: Any, where: str) -> List[str]:
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


def configured_backends(config: pytest.Config) -> List[str]:
    option = config.getoption(BACKENDS_OPTION)
    try:
        if option is not None:
            return parse_backends(option, "--asgi-backends")
        return parse_backends(config.getini(BACKENDS_OPTION), "ini option asgi_backends")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def backend_param(name: str) -> Any:
    marks: List[Any] = []
    if name == "uvloop" and sys.platform == "win32":
        marks.append(pytest.mark.skip(reason="uvloop does not run on Windows"))
    return pytest.param(name, id=name, marks=marks)


def parametrized_by_user(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",")]
        if "asgi_backend" in argnames:
            return True
    return False




#: The options of anyio's asyncio backend that a client's loop knows too.
ASYNCIO_OPTIONS = ("use_uvloop", "debug", "loop_factory")


def from_anyio(value: Any) -> Tuple[str, Dict[str, Any]]:
    """``(backend, backend_options)`` for the value of anyio's ``anyio_backend``
    fixture: ``"trio"``, or ``("asyncio", {"use_uvloop": True})``."""
    name, options = (value, {}) if isinstance(value, str) else (value[0], dict(value[1] or {}))
    if name not in ("asyncio", "trio"):
        pytest.fail(f"anyio_backend {value!r}: asgi_testclient runs on asyncio or trio", pytrace=False)
    if name == "asyncio":
        options = {key: option for key, option in options.items() if key in ASYNCIO_OPTIONS}
    return name, options
