"""The HTTP scope the app receives, key by key."""

import copy
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from asgi_testclient import ASGIAdapter, TestClient

from .apps import Recorder


def test_every_scope_key(make_client):
    app = Recorder()
    client = make_client(app)
    client.get("/caf%C3%A9/a%2Fb?x=1&y=%20z", headers={"X-Custom": "v"})
    scope = app.scope
    # The old client's keys in its order, then the lifespan state.
    assert list(scope) == [
        "type", "http_version", "method", "path", "raw_path", "root_path", "scheme",
        "query_string", "headers", "client", "server", "state", "extensions",
    ]
    assert scope["type"] == "http"
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%2Fb"
    assert scope["query_string"] == b"x=1&y=%20z"
    assert scope["root_path"] == ""
    assert scope["client"] == ["testclient", 50000]
    assert scope["server"] == ["testserver", 80]
    assert scope["state"] == {}
    assert scope["extensions"] == {"http.response.template": {}, "http.response.debug": {}}


def test_strict_scope_has_the_asgi_versions(make_client):
    app = Recorder()
    make_client(app, strict=True).get("/")
    assert list(app.scope)[:3] == ["type", "asgi", "http_version"]
    assert app.scope["asgi"] == {"version": "3.0", "spec_version": "2.3"}


def test_each_scope_is_the_apps_own(make_client):
    # Parts of scopes are remembered per URL: what one app call does to its
    # scope must not reach the next call's.
    scopes = []

    async def app(scope, receive, send):
        scopes.append(copy.deepcopy({key: scope[key] for key in ("server", "client", "headers", "state", "path")}))
        scope["server"].append("changed")
        scope["client"][0] = "changed"
        scope["headers"].append((b"x-added", b"by the app"))
        scope["state"]["added"] = True
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = make_client(app)
    for _ in range(2):
        client.get("/same?q=1", headers={"X-One": "1"})
    first, second = scopes
    assert second["server"] == ["testserver", 80]
    assert second["client"] == ["testclient", 50000]
    assert second["headers"][-1] == (b"x-one", b"1")
    assert second["state"] == {}
    assert first["path"] == second["path"] == "/same"


def test_headers_are_lowercased_byte_pairs_in_order_with_host_first(make_client):
    app = Recorder()
    client = make_client(app)
    client.get("/", headers={"X-One": "1", "X-Two": "2"})
    headers = app.scope["headers"]
    assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in headers)
    assert headers[0] == (b"host", b"testserver")
    names = [k for k, _ in headers]
    assert names == [k.lower() for k in names]
    assert names.index(b"x-one") < names.index(b"x-two")
    assert (b"user-agent", b"testclient") in headers


def test_explicit_host_header_is_kept(make_client):
    app = Recorder()
    make_client(app).get("/", headers={"Host": "example.org"})
    assert [v for k, v in app.scope["headers"] if k == b"host"] == [b"example.org"]


@pytest.mark.parametrize(
    "url, server, host",
    [
        ("http://testserver/", ["testserver", 80], b"testserver"),
        ("http://testserver:8000/", ["testserver", 8000], b"testserver:8000"),
        ("https://example.org/", ["example.org", 443], b"example.org"),
        ("https://example.org:443/", ["example.org", 443], b"example.org"),
        ("http://user:pw@[::1]:9000/", ["::1", 9000], b"[::1]:9000"),
    ],
)
def test_server_and_host_come_from_the_url(make_client, url, server, host):
    app = Recorder()
    make_client(app).get(url)
    assert app.scope["server"] == server
    assert app.scope["scheme"] == url.split(":")[0]
    assert dict(app.scope["headers"])[b"host"] == host


def test_client_address_can_be_set(make_client):
    app = Recorder()
    make_client(app, client=("203.0.113.7", 4321)).get("/")
    assert app.scope["client"] == ["203.0.113.7", 4321]


def test_raw_path_never_carries_the_query(make_client):
    app = Recorder()
    make_client(app).get("/p", params={"q": "a b", "r": ["1", "2"]})
    assert app.scope["raw_path"] == b"/p"
    assert app.scope["query_string"] == b"q=a+b&r=1&r=2"


def test_asgi2_apps_work(make_client):
    seen = []

    class ASGI2App:
        def __init__(self, scope):
            self.scope = scope

        async def __call__(self, receive, send):
            seen.append(self.scope["path"])
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    def asgi2_function(scope):
        async def instance(receive, send):
            seen.append(scope["path"])
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        return instance

    assert make_client(ASGI2App).get("/a").status_code == 204
    assert make_client(asgi2_function).get("/b").status_code == 202
    assert seen == ["/a", "/b"]


def test_adapter_mounts_on_a_plain_session(backend):
    app = Recorder()
    adapter = ASGIAdapter(app, backend=backend[0], backend_options=backend[1])
    session = requests.Session()
    session.mount("http://app/", adapter)
    try:
        response = session.post("http://app/x", json={"a": 1})
        assert response.status_code == 200
        assert app.scope["server"] == ["app", 80]
        assert app.body == b'{"a": 1}'
    finally:
        session.close()


@pytest.mark.parametrize(
    "base_url, url, path",
    [
        # urljoin(base_url, url), as the old client joined them.
        ("http://testserver/app", "/users", "/users"),
        ("http://testserver/app", "users", "/users"),
        ("http://testserver/app/", "users", "/app/users"),
        ("http://testserver/app/", "/users", "/users"),
        ("http://testserver/app/v1", "../users", "/users"),
        ("http://testserver/a/b/", "./c/../d", "/a/b/d"),
        ("http://testserver/a/b/", "/c/./d", "/c/d"),
        ("http://testserver/app/", "?x=1", "/app/"),
        ("http://testserver", "", "/"),
    ],
)
def test_base_url_is_joined_as_urljoin_joins_it(make_client, base_url, url, path):
    app = Recorder()
    make_client(app, base_url=base_url).get(url)
    assert app.scope["path"] == path == (urlsplit(urljoin(base_url, url)).path or "/")


def test_an_absolute_url_ignores_the_base_url(make_client):
    app = Recorder()
    make_client(app, base_url="http://testserver/api/").get("http://other/abs")
    assert (app.scope["path"], app.scope["server"]) == ("/abs", ["other", 80])


def test_base_url_can_be_changed_between_requests(make_client):
    app = Recorder()
    client = make_client(app, base_url="http://testserver/api/")
    client.get("users")
    assert (app.scope["server"], app.scope["path"]) == (["testserver", 80], "/api/users")
    client.base_url = "https://example.com:8443/v2/"
    client.get("/users")
    scope = app.scope
    assert (scope["scheme"], scope["server"], scope["path"]) == ("https", ["example.com", 8443], "/users")
    client.base_url = "http://testserver"
    client.get("/users")
    assert (app.scope["server"], app.scope["path"]) == (["testserver", 80], "/users")


def test_base_url_with_https_and_port(make_client):
    app = Recorder()
    make_client(app, base_url="https://example.com:8443").get("/")
    assert app.scope["scheme"] == "https"
    assert app.scope["server"] == ["example.com", 8443]


def test_root_path_is_only_the_scope_key(make_client):
    app = Recorder()
    client = make_client(app, root_path="/mounted")
    client.get("/users")
    assert app.scope["root_path"] == "/mounted"
    assert app.scope["path"] == "/users"


def test_app_that_is_not_callable_is_refused_at_construction():
    with pytest.raises(TypeError, match="not callable"):
        TestClient(object())


def test_app_with_a_wrong_signature_is_refused_at_construction():
    def not_an_app(a, b):
        return None

    with pytest.raises(TypeError, match="needs an ASGI application"):
        TestClient(not_an_app)
