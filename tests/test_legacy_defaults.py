"""Defaults of the old requests-based Starlette client that legacy tests can
depend on (docs/legacy-defaults.md lists them)."""

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from .apps import Recorder

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def redirect_app():
    async def source(request: Request):
        return RedirectResponse("/target", status_code=302)

    async def target(request: Request):
        return PlainTextResponse("target")

    return Starlette(routes=[Route("/source", source, methods=METHODS), Route("/target", target, methods=METHODS)])


@pytest.mark.parametrize(
    "method, follows",
    [
        ("get", True),
        ("options", True),
        ("head", False),
        ("post", False),
        ("put", False),
        ("patch", False),
        ("delete", False),
    ],
)
def test_which_methods_follow_redirects_by_default(make_client, method, follows):
    response = getattr(make_client(redirect_app()), method)("/source")
    assert response.status_code == (200 if follows else 302)
    assert len(response.history) == (1 if follows else 0)


def test_bare_request_does_not_follow_redirects_unless_asked(make_client):
    client = make_client(redirect_app())
    assert client.request("GET", "/source").status_code == 302
    assert client.request("GET", "/source", allow_redirects=True).status_code == 200
    assert client.post("/source", allow_redirects=True).status_code == 200


def test_user_agent_and_requests_default_headers(make_client):
    app = Recorder()
    make_client(app).get("/")
    headers = dict(app.scope["headers"])
    assert headers[b"user-agent"] == b"testclient"
    assert headers[b"accept"] == b"*/*"
    assert headers[b"connection"] == b"keep-alive"
    assert b"gzip" in headers[b"accept-encoding"]


def test_base_url_app_and_host_defaults(make_client):
    app = Recorder()
    client = make_client(app)
    assert client.base_url == "http://testserver"
    client.get("/")
    assert app.scope["client"] == ["testclient", 50000]
    assert app.scope["server"] == ["testserver", 80]
    assert dict(app.scope["headers"])[b"host"] == b"testserver"
    assert callable(client.app)


def test_server_error_without_response_is_an_empty_500(make_client):
    async def app(scope, receive, send):
        raise RuntimeError("boom")

    response = make_client(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.content, dict(response.headers)) == (500, b"", {})


def test_environment_is_not_read(make_client, monkeypatch, tmp_path):
    """Unlike a plain requests Session, proxies and .netrc from the
    environment are ignored: they mean nothing to an in-process app."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine testserver login user password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    app = Recorder()
    client = make_client(app)
    assert client.get("/").status_code == 200
    assert b"authorization" not in dict(app.scope["headers"])
