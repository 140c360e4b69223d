"""The HTTP scope and request headers the app sees, for the URLs, parameters
and headers a test can give."""

import pytest

from ._apps import reply
from ._harness import compare, describe, old_client_crashed, run_both

OK = reply()


def check(backend, scenario, app=OK, **client_kwargs):
    old, new = run_both(app, scenario, backend=backend, **client_kwargs)
    compare(old, new)
    return old


def test_plain_get_scope_key_order_and_default_headers(backend):
    old = check(backend, lambda client: describe(client.get("/"), client))
    scope = old.calls[0]["scope"]
    # The old scope: no "asgi" key, keys in this order.
    assert list(scope) == [
        "type", "http_version", "method", "path", "raw_path", "root_path", "scheme",
        "query_string", "headers", "client", "server", "extensions",
    ]  # fmt: skip
    assert [name for name, _ in scope["headers"]] == [
        b"host", b"user-agent", b"accept-encoding", b"accept", b"connection",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "/a%20b/c%2Fd",
        "/caf%C3%A9",
        "/café/ü",
        "/a;b,c=d@e:f!$&'()*+",
        "/%7Euser/~other",
        "/x?",
        "/x?a=1&a=2&b=%C3%A9",
        "/x#frag",
        "//double//slash",
        "",
        "https://testserver/secure",
        "http://testserver:8080/port",
        "https://testserver:443/default-port",
        "http://other.example/host",
    ],
)
def test_urls(backend, url):
    check(backend, lambda client: describe(client.get(url), client))


@pytest.mark.parametrize(
    "params",
    [
        {"a": ["1", "2"], "b": "x y"},
        {"ü": "é", "empty": ""},
        [("k", "v1"), ("k", "v2"), ("other", "&=?")],
        {"none": None, "n": 1},
        "raw=1&raw=2",
        b"bytes=%C3%A9",
    ],
)
def test_params(backend, params):
    check(backend, lambda client: describe(client.get("/p?pre=0", params=params), client))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Custom": "value", "Accept": "text/html"},
        {"X-Repeated": "a, b", "x-lower": "1", "X-UPPER": "2"},
        {"User-Agent": "mine", "Host": "override.example:1234"},
        {"Connection": None, "Accept-Encoding": None},
        {"X-Latin": "caf\xe9"},
        {"X-Utf8": "日本"},
    ],
)
def test_request_headers(backend, headers):
    check(backend, lambda client: describe(client.get("/", headers=headers), client))


def test_session_headers_and_params(backend):
    def scenario(client):
        client.headers["X-Session"] = "s"
        client.params = {"sp": "1"}
        return describe(client.get("/", headers={"X-Request": "r"}, params={"rp": "2"}), client)

    check(backend, scenario)


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"])
def test_methods(backend, method):
    check(backend, lambda client: describe(client.request(method, "/m"), client))


@pytest.mark.parametrize("verb", ["get", "head", "post", "put", "patch", "delete", "options"])
def test_verb_helpers(backend, verb):
    check(backend, lambda client: describe(getattr(client, verb)("/v"), client))


def test_head_response_has_headers_and_no_body(backend):
    # No content-length: with it, the backport fails on today's urllib3 2
    # (the body is shorter than announced), which Starlette 0.20 on urllib3
    # 1.26 did not.
    app = reply(body=b"body", headers=[(b"x-h", b"1")])
    check(backend, lambda client: describe(client.head("/"), client), app=app)


@pytest.mark.parametrize(
    ("auth", "base_url"),
    [(("user", "pässword"), "http://testserver"), (("a", "b"), "https://testserver")],
)
def test_auth(backend, auth, base_url):
    check(backend, lambda client: describe(client.get("/private", auth=auth), client), base_url=base_url)


@pytest.mark.parametrize("root_path", ["", "/api", "/api/"])
@pytest.mark.parametrize("url", ["/", "/api/users", "/users"])
def test_root_path(backend, root_path, url):
    check(backend, lambda client: describe(client.get(url), client), root_path=root_path)


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("http://testserver/app", "/users"),
        ("http://testserver/app", "users"),
        ("http://testserver/app/", "users"),
        ("http://testserver/app/", "/users"),
        ("http://testserver/app/", "../up"),
        ("http://testserver/app/", "?q=1"),
        ("http://testserver/app/", "//elsewhere.example/x"),
        ("https://example.org:8443", "/x"),
        ("http://testserver", "http://absolute.example/y"),
    ],
)
def test_base_url_is_joined_with_urljoin(backend, base_url, url):
    check(backend, lambda client: describe(client.get(url), client), base_url=base_url)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-utf8", "é".encode()), (b"content-type", b"text/plain; charset=utf-8")],
        [(b"x-dup", b"1"), (b"X-Dup", b"2"), (b"x-other", b"3")],
        [(b"Mixed-Case", b"v"), (b"content-length", b"2")],
        [],
    ],
)
def test_response_headers(backend, headers):
    check(backend, lambda client: describe(client.get("/"), client), app=reply(headers=headers))


@pytest.mark.parametrize("status", [200, 201, 204, 299, 404, 418, 451, 499, 500, 599, 999])
def test_status_and_reason(backend, status):
    body = b"" if status == 204 else b"ok"
    check(backend, lambda client: describe(client.get("/"), client), app=reply(status=status, body=body))


def test_bytes_header_value(backend):
    old, new = run_both(reply(), lambda client: describe(client.get("/", headers={"X-Bytes": b"raw"})), backend=backend)
    assert new.calls[0]["scope"]["headers"][-1] == (b"x-bytes", b"raw")
    compare(old, new, [old_client_crashed("AttributeError", "'bytes' object has no attribute 'encode'")])


def test_credentials_in_url(backend):
    def scenario(client):
        return describe(client.get("http://user:pw@testserver/"))

    old, new = run_both(reply(), scenario, backend=backend)
    assert new.calls[0]["scope"]["server"] == ["testserver", 80]
    compare(old, new, [old_client_crashed("ValueError", "invalid literal for int() with base 10: 'pw@testserver'")])
