"""Redirects (which calls follow them, with which method and body) and the
cookie jar (which cookies are kept, and which are sent where)."""

import pytest

from ._apps import read_body
from ._harness import compare, describe, run_both


def redirecting(status, location="/target", cookie=None):
    """A factory of apps that redirect every path but ``/target``."""

    def factory():
        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            await read_body(receive)
            if scope["path"] == "/target":
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"arrived"})
                return
            headers = [(b"location", location.encode())]
            if cookie:
                headers.append((b"set-cookie", cookie.encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"moved"})

        return app

    return factory


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_default_redirect_following(backend, status, method):
    def scenario(client):
        body = {} if method in ("GET", "HEAD", "OPTIONS") else {"data": b"payload"}
        return describe(getattr(client, method.lower())("/start", **body), client)

    old, new = run_both(redirecting(status), scenario, backend=backend)
    compare(old, new)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("allow_redirects", [None, True, False])
def test_request_with_allow_redirects(backend, status, allow_redirects):
    def scenario(client):
        response = client.request("POST", "/start", data={"a": "1"}, allow_redirects=allow_redirects)
        return describe(response, client)

    old, new = run_both(redirecting(status), scenario, backend=backend)
    compare(old, new)


@pytest.mark.parametrize(
    "location", ["target", "./target", "/target?x=1", "http://testserver/target", "//testserver/target", "https://testserver/target"]
)
def test_location_forms(backend, location):
    old, new = run_both(redirecting(302, location), lambda c: describe(c.get("/a/start"), c), backend=backend)
    compare(old, new)


def test_cookie_set_by_a_redirect_is_sent_to_the_target(backend):
    old, new = run_both(redirecting(302, cookie="r=1; Path=/"), lambda c: describe(c.get("/start"), c), backend=backend)
    compare(old, new)


def setting_cookies(*cookies):
    """A factory of apps that set ``cookies`` on ``/set`` and answer anything else."""

    def factory():
        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            await read_body(receive)
            headers = [(b"set-cookie", c.encode()) for c in cookies] if scope["path"] == "/set" else []
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b""})

        return app

    return factory


POLICY_COOKIES = ("s=1; Secure", "d=2; Domain=testserver", "p=3")


@pytest.mark.parametrize(
    "then", ["http://testserver/", "https://testserver/", "http://other/", "http://sub.testserver/"]
)
def test_cookie_policy(backend, then):
    def scenario(client):
        client.get("/set")
        return describe(client.get(then), client)

    old, new = run_both(setting_cookies(*POLICY_COOKIES), scenario, backend=backend)
    compare(old, new)


@pytest.mark.parametrize(
    "cookie",
    [
        "a=1; Path=/sub",
        "a=1; Max-Age=0",
        "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        'a="quoted value"',
        "a=1; HttpOnly; SameSite=Lax",
        "a=",
        "a=1; Domain=.testserver.local",
        "a=1; Domain=localhost",
    ],
)
@pytest.mark.parametrize("then", ["/", "/sub/x"])
def test_cookie_attributes(backend, cookie, then):
    def scenario(client):
        client.get("/set")
        return describe(client.get(then), client)

    old, new = run_both(setting_cookies(cookie), scenario, backend=backend)
    compare(old, new)


@pytest.mark.parametrize(
    "cookies",
    [{"a": "1", "b": "two words"}, {"é": "ü"}, {"a": "x;y"}],
    ids=["plain", "unicode", "semicolon"],
)
def test_request_cookies(backend, cookies):
    def scenario(client):
        client.cookies.set("session", "s")
        return describe(client.get("/", cookies=cookies), client)

    old, new = run_both(setting_cookies(), scenario, backend=backend)
    compare(old, new)


def test_cookies_with_a_base_url_host(backend):
    def scenario(client):
        client.get("/set")
        return describe(client.get("/"), client)

    old, new = run_both(setting_cookies("h=1"), scenario, backend=backend, base_url="http://example.com")
    compare(old, new)
