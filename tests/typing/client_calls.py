"""Calls a type checker must accept, and calls it must refuse.

``tests/test_typing.py`` runs ``mypy --strict`` on this file: every line
ending in ``# E: <error code> <part of the message>`` must give exactly that
error, and no other line any. Nothing here runs.
"""

from typing import Any, List

import requests

from asgi_testclient import TestClient


async def app(scope: Any, receive: Any, send: Any) -> None:
    pass


async def count(table: str, *, where: str = "") -> int:
    return 0


async def names() -> List[str]:
    return []


client = TestClient(app, base_url="http://example", timeout=5)

# run() returns what the coroutine function returns, and takes its arguments.
total: int = client.run(count, "users")
total = client.run(count, "users", where="active")
listed: List[str] = client.run(names)
label: str = client.run(count, "users")  # E: assignment Incompatible types in assignment
client.run(count)  # E: call-arg Missing positional argument "table"
client.run(count, 1)  # E: arg-type Argument 2 to "run" of "TestClient" has incompatible type "int"
client.run(count, "users", wher="x")  # E: call-arg Unexpected keyword argument "wher"
client.run(names, "extra")  # E: call-arg Too many arguments
client.run(len, "abc")  # E: arg-type Argument 1 to "run" of "TestClient" has incompatible type

# get(), post(), ... take requests' keyword arguments, typed as requests types them.
response: requests.Response = client.get("/", timeout=1)
client.get("/", params={"q": "x"}, headers={"x-token": "y"}, cookies={"id": "1"}, allow_redirects=False)
client.get("/", tiemout=1)  # E: call-arg Unexpected keyword argument "tiemout"
client.get("/", timeout="1")  # E: arg-type Argument "timeout" to "get" of "Session" has incompatible type "str"
client.post("/", json={"a": 1})
client.post("/", data={"field": "value"}, files={"upload": ("a.txt", b"x", "text/plain")})
client.post("/", jsn={"a": 1})  # E: call-arg Unexpected keyword argument "jsn"
client.put("/", data=b"x", auth=("user", "password"))
client.delete("/", stream=True)

# request() takes the same, and what this client adds: a urllib3 Timeout and
# allow_redirects=None (the old client's default).
client.request("GET", "/", timeout=(1, 2), allow_redirects=None)
client.request(b"GET", b"/", timeout=None, params=[("a", "1")], verify=False)
client.request("GET", "/", timeout="1")  # E: arg-type Argument "timeout" to "request" of "TestClient"
client.request("GET", "/", tiemout=1)  # E: call-arg Unexpected keyword argument "tiemout"
client.request("GET", "/", params=object())  # E: arg-type Argument "params" to "request" of "TestClient"
client.request("GET", "/", hooks={"response": 1})  # E: dict-item Dict entry 0 has incompatible type "str": "int"
response = client.request("GET", "/")
