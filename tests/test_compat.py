"""Private names of requests, urllib3 and pytest are used in ``_compat`` only.

The rule, read off each module's syntax tree (so it needs no import and no
type information), outside ``asgi_testclient/_compat.py``:

1. no attribute named as one of ``_compat.PRIVATE_NAMES`` (the private
   names the package uses), read, written or named as a string to
   ``getattr``/``setattr``/``hasattr``;
2. no import of a private module of those packages (``urllib3._collections``,
   ``_pytest``), nor of a private name from them;
3. no private attribute (``_x``, not a dunder) of a name bound to one of
   those packages or their modules (``requests._internal_utils``).

A new private name is added to ``_compat`` (with what it is for and the
versions checked), never used in place.
"""

import ast
import http.cookiejar
import pathlib
from typing import List, Set

from asgi_testclient import _compat

PACKAGE = pathlib.Path(_compat.__file__).parent
THIRD_PARTY = ("requests", "urllib3", "pytest", "_pytest")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _of_third_party(module: str) -> bool:
    return module.split(".")[0] in THIRD_PARTY


def violations(source: str, filename: str = "<source>") -> List[str]:
    """Every use of a private name of requests, urllib3 or pytest in ``source``."""
    tree = ast.parse(source, filename)
    found: List[str] = []
    bound: Set[str] = set()  # local names bound to a third-party module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _of_third_party(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"{filename}:{node.lineno}: import {alias.name}")
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and _of_third_party(node.module):
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"{filename}:{node.lineno}: from {node.module} import ...")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{filename}:{node.lineno}: from {node.module} import {alias.name}")
                bound.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in _compat.PRIVATE_NAMES:
                found.append(f"{filename}:{node.lineno}: .{node.attr}")
            elif _private(node.attr) and _root(node.value) in bound:
                found.append(f"{filename}:{node.lineno}: {_root(node.value)}...{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in _compat.PRIVATE_NAMES
        ):
            found.append(f"{filename}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def _root(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def test_no_module_but_compat_uses_a_private_name_of_requests_urllib3_or_pytest() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 20
    found = [
        problem
        for path in modules
        if path.name != "_compat.py"
        for problem in violations(path.read_text(encoding="utf-8"), path.name)
    ]
    assert found == []


def test_compat_itself_holds_every_name_it_declares() -> None:
    # Each declared name is used in _compat: the list says what it holds.
    source = (PACKAGE / "_compat.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    used |= {
        node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert set(_compat.PRIVATE_NAMES) <= used


def test_the_rule_finds_each_kind_of_use() -> None:
    source = (
        "import requests\n"
        "import urllib3._collections\n"
        "from urllib3._collections import HTTPHeaderDict\n"
        "from _pytest.config import Config\n"
        "from requests import _internal_utils\n"
        "response._content = b''\n"
        "flag = getattr(response, '_content_consumed', False)\n"
        "requests._internal_utils.to_native_string('x')\n"
        "self._content = b''\n"
    )
    # Every line but the first is found, once (the last one too: the rule
    # goes by the name, whoever owns the object).
    assert sorted(int(line.split(":")[1]) for line in violations(source)) == [2, 3, 4, 5, 6, 7, 8, 9]


def test_the_rule_lets_public_and_own_names_pass() -> None:
    source = (
        "import requests\n"
        "from urllib3 import HTTPResponse\n"
        "self._chunks = []\n"
        "parts._replace(query='')\n"
        "requests.Response().__class__\n"
        "getattr(config, '_asgi_testclient_installed_legacy', False)\n"
    )
    assert violations(source) == []


def test_the_compat_functions_do_what_requests_does() -> None:
    import requests

    response = requests.Response()
    assert not _compat.content_consumed(response)
    _compat.set_content(response, b"body")
    assert response.content == b"body"
    assert _compat.content_consumed(response)
    jar = requests.cookies.RequestsCookieJar()
    prepared = requests.PreparedRequest()
    _compat.attach_cookies(prepared, jar)
    prepared.prepare_url("http://testserver/", None)
    prepared.prepare_headers({})
    # What requests' own prepare_cookies leaves for an empty jar: no header.
    assert "Cookie" not in prepared.headers
    assert prepared._cookies is jar
    policy = http.cookiejar.DefaultCookiePolicy(blocked_domains=["example.com"])
    jar.set_policy(policy)
    assert _compat.cookie_policy(jar) is policy
    assert _compat.cookie_policy(object()) is None
