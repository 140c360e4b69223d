"""Behaviour against real Starlette and FastAPI apps: routing, root_path,
templates, cookies and sessions."""

import http.client
import sys

import pytest
import requests
import starlette
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.templating import Jinja2Templates

from asgi_testclient import TestServerCookiePolicy


def where_am_i(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "path": request.scope["path"],
            "root_path": request.scope["root_path"],
            "url": str(request.url),
            "url_for": str(request.url_for("where")),
        }
    )


def mounted_app() -> Starlette:
    inner = Starlette(routes=[Route("/where", where_am_i, name="where")])
    return Starlette(routes=[Mount("/sub", app=inner)])


def test_mount_routes_on_the_full_path(make_client):
    client = make_client(mounted_app())
    body = client.get("/sub/where").json()
    assert body["path"] == "/sub/where"
    assert body["root_path"] == "/sub"
    assert body["url"] == "http://testserver/sub/where"


@pytest.mark.parametrize("path", ["/where", "/api/where"])
def test_root_path_routing_accepts_both_spellings(make_client, path):
    """root_path only sets the scope key; Starlette strips it from the
    path when the path starts with it, so both requests reach the route."""
    app = Starlette(routes=[Route("/where", where_am_i, name="where")])
    client = make_client(app, root_path="/api")
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["path"] == path
    assert body["root_path"] == "/api"
    assert body["url_for"] == "http://testserver/api/where"


def test_fastapi_root_path_is_seen_by_the_app(make_client):
    app = FastAPI()

    @app.get("/info")
    async def info(request: Request):
        return {"root_path": request.scope["root_path"]}

    client = make_client(app, root_path="/proxy")
    assert client.get("/info").json() == {"root_path": "/proxy"}
    assert client.get("/proxy/info").json() == {"root_path": "/proxy"}


def test_template_and_context_are_exposed(make_client, tmp_path):
    (tmp_path / "hello.html").write_text("Hello {{ name }}!")
    templates = Jinja2Templates(directory=str(tmp_path))

    async def page(request: Request) -> Response:
        return templates.TemplateResponse(request, "hello.html", {"name": "tests"})

    response = make_client(Starlette(routes=[Route("/", page)])).get("/")
    assert response.text == "Hello tests!"
    assert response.template.name == "hello.html"
    assert response.context["name"] == "tests"
    assert "request" in response.context


def test_plain_responses_have_no_template_attribute(make_client):
    response = make_client(Starlette(routes=[Route("/", lambda r: PlainTextResponse("x"))])).get("/")
    assert not hasattr(response, "template")


def cookie_app() -> Starlette:
    async def set_cookies(request: Request) -> Response:
        response = PlainTextResponse("set")
        response.set_cookie("plain", "1")
        response.set_cookie("safe", "2", secure=True)
        response.set_cookie("scoped", "3", domain="testserver")
        response.set_cookie("elsewhere", "4", domain="example.org")
        return response

    async def echo(request: Request) -> Response:
        return JSONResponse(dict(request.cookies))

    return Starlette(routes=[Route("/set", set_cookies), Route("/echo", echo)])


def test_cookies_come_back_as_requests_policy_lets_them(make_client):
    # The old client's policy, requests' default: Secure cookies only over
    # https, and Domain=testserver (a host without a dot) as the standard
    # policy of this Python decides; never another domain's.
    expected = {"plain": "1", **requests_policy_keeps("scoped", "3", domain="testserver")}
    client = make_client(cookie_app())
    client.get("/set")
    assert client.get("/echo").json() == expected
    client = make_client(cookie_app(), base_url="https://testserver")
    client.get("/set")
    assert client.get("/echo").json() == {**expected, "safe": "2"}


def requests_policy_keeps(name, value, domain):
    """``{name: value}`` if a plain requests jar sends back a cookie that
    http://testserver/ set with ``Domain=domain``, else ``{}``."""
    message = http.client.HTTPMessage()
    message["Set-Cookie"] = f"{name}={value}; Domain={domain}; Path=/"
    jar = requests.cookies.RequestsCookieJar()
    request = requests.Request("GET", "http://testserver/set").prepare()
    jar.extract_cookies(requests.cookies.MockResponse(message), requests.cookies.MockRequest(request))
    echo = requests.Request("GET", "http://testserver/echo").prepare()
    return {name: value} if requests.cookies.get_cookie_header(jar, echo) else {}


def test_the_test_server_policy_sends_every_cookie_back(make_client):
    client = make_client(cookie_app())
    client.cookies.set_policy(TestServerCookiePolicy())
    client.get("/set")
    assert client.get("/echo").json() == {"plain": "1", "safe": "2", "scoped": "3"}


def test_secure_cookies_can_be_withheld_over_http(make_client):
    client = make_client(cookie_app())
    client.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))
    client.get("/set")
    assert client.get("/echo").json() == {"plain": "1", "scoped": "3"}
    assert make_client(cookie_app(), base_url="https://testserver").get("/set").status_code == 200


def test_secure_cookies_over_https(make_client):
    client = make_client(cookie_app(), base_url="https://testserver")
    client.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))
    client.get("/set")
    assert client.get("/echo").json() == {"plain": "1", "safe": "2", "scoped": "3"}


def test_cookies_never_leak_between_clients(make_client):
    first = make_client(cookie_app())
    second = make_client(cookie_app())
    first.get("/set")
    assert second.get("/echo").json() == {}


def test_session_middleware_round_trip(make_client):
    async def login(request: Request) -> Response:
        request.session["user"] = "ada"
        return PlainTextResponse("ok")

    async def whoami(request: Request) -> Response:
        return PlainTextResponse(request.session.get("user", "nobody"))

    app = Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/whoami", whoami)],
        middleware=[Middleware(SessionMiddleware, secret_key="s3cret")],
    )
    client = make_client(app)
    assert client.get("/whoami").text == "nobody"
    client.post("/login")
    assert client.get("/whoami").text == "ada"
    client.cookies.clear()
    assert client.get("/whoami").text == "nobody"


def test_per_request_cookies_reach_the_app_without_joining_the_jar(make_client):
    client = make_client(cookie_app())
    assert client.get("/echo", cookies={"one": "off"}).json() == {"one": "off"}
    assert client.get("/echo").json() == {}


def test_background_tasks_have_run_when_the_call_returns(make_client):
    from starlette.background import BackgroundTask

    ran = []

    async def record():
        ran.append("background")

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("sent", background=BackgroundTask(record))

    client = make_client(Starlette(routes=[Route("/", endpoint)]))
    assert client.get("/").text == "sent"
    assert ran == ["background"]


def test_a_slow_background_task_is_bounded_by_the_timeout(make_client):
    import anyio
    import requests
    from starlette.background import BackgroundTask

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("sent", background=BackgroundTask(anyio.sleep, 30))

    client = make_client(Starlette(routes=[Route("/", endpoint)]))
    with pytest.raises(requests.exceptions.ReadTimeout, match="did not finish after its response within 0.2 seconds"):
        client.get("/", timeout=0.2)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="Starlette 1.x needs Python 3.10 or later")
def test_the_suite_runs_on_starlette_1():
    # The test extras ask for it; a resolver falling back to 0.x would
    # quietly test yesterday's framework.
    assert int(starlette.__version__.split(".")[0]) >= 1, starlette.__version__
