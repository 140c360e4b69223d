"""Cookies stay where they belong: never shared between clients, never sent
to another domain or path, and ``Secure`` ones only where the policy says.

The client's default cookie policy is requests' own (the standard
``http.cookiejar.DefaultCookiePolicy``), as the old requests-based client's
was: ``Secure`` cookies go over ``https://`` and ``wss://`` only.
``TestServerCookiePolicy``, set with ``client.cookies.set_policy(...)``,
treats the app as a secure origin instead.

The app sets the cookies it is asked to (``?set=<Set-Cookie value>``) and
answers, for HTTP and websocket handshakes alike, with the ``Cookie``
headers it received.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List
from urllib.parse import parse_qsl, quote

import pytest
import requests

from asgi_testclient import ASGIAdapter, TestClient, TestServerCookiePolicy

MakeClient = Callable[..., TestClient]


async def cookie_app(scope: Any, receive: Any, send: Any) -> None:
    received = [value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"]
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(received)})
        await receive()
        return
    await receive()
    to_set = [value for name, value in parse_qsl(scope["query_string"].decode("latin-1")) if name == "set"]
    body = json.dumps(received).encode()
    headers = [(b"set-cookie", value.encode("latin-1")) for value in to_set]
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def set_url(*set_cookies: str, path: str = "/set") -> str:
    return path + "?" + "&".join("set=" + quote(value) for value in set_cookies)


def cookies_sent(client: requests.Session, url: str = "/echo") -> List[str]:
    """The cookies the app received with a request to ``url``, sorted."""
    headers = client.get(url).json()
    assert len(headers) <= 1, f"more than one Cookie header: {headers}"
    return sorted(part.strip() for header in headers for part in header.split(";"))


def cookies_sent_over_websocket(client: TestClient, url: str = "/ws") -> List[str]:
    with client.websocket_connect(url, timeout=5) as ws:
        headers = json.loads(ws.receive_text())
    return sorted(part.strip() for header in headers for part in header.split(";"))


# -- between clients ------------------------------------------------------------------


def permissive(client: TestClient) -> TestClient:
    """``client`` with the policy that sends every cookie it stores over
    ``http://testserver``, ``Secure`` and ``Domain=testserver`` ones
    included, so that any cookie leaked into it would be seen."""
    client.cookies.set_policy(TestServerCookiePolicy())
    return client


def test_no_cookie_of_one_client_reaches_another(make_client: MakeClient) -> None:
    first, second = permissive(make_client(cookie_app)), permissive(make_client(cookie_app))
    first.get(set_url("from_app=1; Path=/", "secure_one=2; Secure; Path=/", "scoped=3; Domain=testserver; Path=/"))
    first.cookies.set("from_jar", "4")
    assert cookies_sent(first) == ["from_app=1", "from_jar=4", "scoped=3", "secure_one=2"]
    assert first.get("/echo", cookies={"one_off": "5"}).json() != []
    assert cookies_sent(second) == []
    assert cookies_sent_over_websocket(second) == []
    assert len(second.cookies) == 0
    # a client made afterwards starts empty too, whatever its policy
    assert cookies_sent(permissive(make_client(cookie_app))) == []
    assert cookies_sent(make_client(cookie_app)) == []


def test_closing_a_client_keeps_its_own_cookies_and_nobody_elses(make_client: MakeClient) -> None:
    """``close()`` stops the loop; the client stays usable, jar included."""
    first = make_client(cookie_app)
    first.get(set_url("session=abc; Path=/"))
    first.close()
    assert cookies_sent(first) == ["session=abc"]
    assert cookies_sent(make_client(cookie_app)) == []


def test_clients_used_from_many_threads_at_once_keep_their_own_cookies(make_client: MakeClient) -> None:
    clients = [make_client(cookie_app) for _ in range(4)]
    start = threading.Barrier(len(clients))

    def work(number: int) -> List[List[str]]:
        client = clients[number]
        start.wait(timeout=10)
        seen = []
        for round_ in range(25):
            client.get(set_url(f"owner={number}-{round_}; Path=/"))
            seen.append(cookies_sent(client))
        return seen

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(work, range(len(clients))))
    for number, seen in enumerate(results):
        assert seen == [[f"owner={number}-{round_}"] for round_ in range(25)]


def test_cookie_policy_of_one_client_is_its_own(make_client: MakeClient) -> None:
    default, test_server, strict = make_client(cookie_app), make_client(cookie_app), make_client(cookie_app)
    test_server.cookies.set_policy(TestServerCookiePolicy())
    strict.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))
    for client in (default, test_server, strict):
        client.get(set_url("token=t; Secure; Path=/"))
    assert cookies_sent(default) == []
    assert cookies_sent(test_server) == ["token=t"]
    assert cookies_sent(strict) == []
    assert cookies_sent(make_client(cookie_app)) == []  # a new client has the default policy


# -- domains and paths -----------------------------------------------------------------


def test_a_cookie_for_another_domain_is_never_sent(make_client: MakeClient) -> None:
    client = make_client(cookie_app)
    # set by the app for a domain it does not own: refused, not stored
    client.get(set_url("foreign=1; Domain=example.org; Path=/"))
    assert [cookie.name for cookie in client.cookies] == []
    # put in the jar for another domain: stored, but only sent there
    client.cookies.set("elsewhere", "2", domain="example.org", path="/")
    assert cookies_sent(client) == []
    assert cookies_sent(client, "http://example.org/echo") == ["elsewhere=2"]
    assert cookies_sent_over_websocket(client) == []


def test_a_host_only_cookie_stays_with_its_host(make_client: MakeClient) -> None:
    client = make_client(cookie_app)
    client.get(set_url("host_only=1; Path=/"))
    assert cookies_sent(client) == ["host_only=1"]
    assert cookies_sent(client, "http://otherserver/echo") == []
    assert cookies_sent(client, "http://testserver.example.org/echo") == []


def test_a_cookie_for_a_path_is_sent_under_that_path_only(make_client: MakeClient) -> None:
    client = make_client(cookie_app)
    client.get(set_url("admin=1; Path=/admin", path="/admin/login"))
    assert cookies_sent(client, "/admin/users") == ["admin=1"]
    assert cookies_sent(client, "/public") == []
    assert cookies_sent(client, "/administrator") == []
    assert cookies_sent_over_websocket(client, "/admin/ws") == ["admin=1"]
    assert cookies_sent_over_websocket(client, "/ws") == []


def test_a_cookie_the_app_deletes_is_no_longer_sent(make_client: MakeClient) -> None:
    client = make_client(cookie_app)
    client.get(set_url("session=abc; Path=/", "keep=1; Path=/"))
    client.get(set_url("session=; Max-Age=0; Path=/"))
    assert cookies_sent(client) == ["keep=1"]


# -- Secure ---------------------------------------------------------------------------


def test_secure_cookies_are_withheld_over_http_by_default(make_client: MakeClient) -> None:
    """requests' policy, as with the old client: a ``Secure`` cookie set
    over ``http://`` is kept, and sent back over ``https://`` and ``wss://`` only."""
    client = make_client(cookie_app)
    client.get(set_url("token=t; Secure; HttpOnly; Path=/", "plain=p; Path=/"))
    assert cookies_sent(client) == ["plain=p"]
    assert cookies_sent(client, "https://testserver/echo") == ["plain=p", "token=t"]
    assert cookies_sent_over_websocket(client) == ["plain=p"]
    assert cookies_sent_over_websocket(client, "wss://testserver/ws") == ["plain=p", "token=t"]


def test_the_default_policy_is_the_one_of_a_plain_requests_session(make_client: MakeClient) -> None:
    """The same cookies come back as to a plain ``requests.Session`` (the
    old client was one) sending to the same app, whatever this Python's
    standard policy does with ``Domain=testserver``, which has no dot."""
    session = requests.Session()
    session.mount("http://", ASGIAdapter(cookie_app))
    session.mount("https://", session.get_adapter("http://"))
    client = make_client(cookie_app)
    set_cookies = set_url(
        "plain=1; Path=/", "secure=2; Secure; Path=/", "scoped=3; Domain=testserver; Path=/", "admin=4; Path=/admin"
    )
    try:
        for sender in (session, client):
            sender.get("http://testserver" + set_cookies)
        for url in ("http://testserver/echo", "https://testserver/echo", "http://testserver/admin/echo"):
            assert cookies_sent(client, url) == cookies_sent(session, url)
        assert "plain=1" in cookies_sent(client) and "secure=2" not in cookies_sent(client)
    finally:
        session.close()


def test_secure_cookies_come_back_over_http_with_the_test_server_policy(make_client: MakeClient) -> None:
    """``TestServerCookiePolicy`` treats the app as a secure origin (as
    browsers treat ``http://localhost``)."""
    client = make_client(cookie_app)
    client.cookies.set_policy(TestServerCookiePolicy())
    client.get(set_url("token=t; Secure; HttpOnly; Path=/"))
    assert cookies_sent(client) == ["token=t"]
    assert cookies_sent(client, "https://testserver/echo") == ["token=t"]
    assert cookies_sent_over_websocket(client) == ["token=t"]
    assert cookies_sent_over_websocket(client, "wss://testserver/ws") == ["token=t"]


@pytest.mark.parametrize("set_over", ["http", "https"])
def test_secure_cookies_are_withheld_over_http_without_a_secure_origin(make_client: MakeClient, set_over: str) -> None:
    client = make_client(cookie_app)
    client.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))
    client.get(f"{set_over}://testserver" + set_url("token=t; Secure; Path=/", "plain=p; Path=/"))
    assert cookies_sent(client, "http://testserver/echo") == ["plain=p"]
    assert cookies_sent(client, "https://testserver/echo") == ["plain=p", "token=t"]
    assert cookies_sent_over_websocket(client, "ws://testserver/ws") == ["plain=p"]
    assert cookies_sent_over_websocket(client, "wss://testserver/ws") == ["plain=p", "token=t"]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_secure_origin_false_with_an_https_base_url_sends_them(make_client: MakeClient, strict: bool) -> None:
    """Over HTTP, a relative URL goes to the https base URL. A websocket URL
    is joined to ``ws://testserver`` by default, whatever the base URL, as
    the old client joined it, so a ``Secure`` cookie needs ``wss://`` spelt
    out; in strict mode it is joined to the base URL, as ``wss://``."""
    client = make_client(cookie_app, base_url="https://testserver", strict=strict)
    client.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))
    client.get(set_url("token=t; Secure; Path=/"))
    assert cookies_sent(client) == ["token=t"]
    assert cookies_sent_over_websocket(client, "wss://testserver/ws") == ["token=t"]
    assert cookies_sent_over_websocket(client) == (["token=t"] if strict else [])
