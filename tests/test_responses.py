"""Responses: real ``requests.Response`` objects built through urllib3."""

import gzip
import zlib

import requests
from requests.auth import HTTPBasicAuth
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .apps import Recorder, respond


def test_status_reason_and_repeated_headers(make_client):
    app = respond(
        status=418,
        headers=[(b"x-dup", b"1"), (b"X-Dup", b"2"), (b"content-type", b"text/plain")],
        chunks=[b"short and stout"],
    )
    response = make_client(app).get("/")
    assert isinstance(response, requests.Response)
    assert response.status_code == 418
    assert response.reason == "I'm a Teapot"
    assert response.raw.headers.getlist("x-dup") == ["1", "2"]
    assert response.headers["x-dup"] == "1, 2"
    assert response.text == "short and stout"
    assert response.raw.status == 418
    assert response.url == "http://testserver/"
    assert response.elapsed.total_seconds() >= 0


def test_unknown_status_has_empty_reason(make_client):
    response = make_client(respond(status=599)).get("/")
    assert (response.status_code, response.reason) == (599, "")


def test_every_set_cookie_lands_in_the_jar(make_client):
    app = respond(
        headers=[
            (b"set-cookie", b"a=1; Path=/"),
            (b"set-cookie", b"b=2; Path=/"),
            (b"set-cookie", b"c=3; Max-Age=60; Path=/"),
        ]
    )
    client = make_client(app)
    response = client.get("/")
    assert response.cookies.get_dict() == {"a": "1", "b": "2", "c": "3"}
    assert client.cookies.get_dict() == {"a": "1", "b": "2", "c": "3"}


def test_gzip_and_deflate_are_decoded(make_client):
    text = b"compress me " * 100
    for encoding, data in (("gzip", gzip.compress(text)), ("deflate", zlib.compress(text))):
        app = respond(headers=[(b"content-encoding", encoding.encode())], chunks=[data[:10], data[10:]])
        response = make_client(app).get("/")
        assert response.content == text
        assert response.headers["content-encoding"] == encoding


def test_raw_read_returns_undecoded_bytes(make_client):
    data = gzip.compress(b"payload")
    app = respond(headers=[(b"content-encoding", b"gzip")], chunks=[data])
    response = make_client(app).get("/", stream=True)
    assert response.raw.read() == data


def test_iter_content_and_iter_lines(make_client):
    app = respond(chunks=[b"line one\nline ", b"two\n", b"three"])
    client = make_client(app)
    assert list(client.get("/", stream=True).iter_lines()) == [b"line one", b"line two", b"three"]
    assert b"".join(client.get("/", stream=True).iter_content(2)) == b"line one\nline two\nthree"


def test_head_response_has_no_body(make_client):
    app = respond(headers=[(b"content-length", b"5")], chunks=[b"hello"])
    response = make_client(app).head("/")
    assert response.status_code == 200
    assert response.headers["content-length"] == "5"
    assert response.content == b""


def test_hooks_and_auth(make_client):
    app = Recorder()
    client = make_client(app)
    seen = []
    client.hooks["response"].append(lambda r, *a, **k: seen.append(("session", r.status_code)))
    client.get("/", auth=("user", "pass"), hooks={"response": lambda r, *a, **k: seen.append(("call", r.status_code))})
    assert dict(app.scope["headers"])[b"authorization"] == b"Basic dXNlcjpwYXNz"
    # As in requests, a request's hooks replace the session's for that event.
    assert seen == [("call", 200)]
    client.auth = HTTPBasicAuth("a", "b")
    client.get("/")
    assert seen == [("call", 200), ("session", 200)]
    assert dict(app.scope["headers"])[b"authorization"] == b"Basic YTpi"


def redirecting_app():
    async def start(request: Request) -> Response:
        return RedirectResponse("/middle", status_code=302)

    async def middle(request: Request) -> Response:
        response = RedirectResponse("/end", status_code=301)
        response.set_cookie("visited", "middle")
        return response

    async def end(request: Request) -> Response:
        return PlainTextResponse(f"end {request.method} {request.cookies.get('visited')}")

    return Starlette(
        routes=[
            Route("/start", start, methods=["GET", "POST"]),
            Route("/middle", middle, methods=["GET", "POST"]),
            Route("/end", end, methods=["GET", "POST"]),
        ]
    )


def test_redirects_history_and_cookies_set_on_the_way(make_client):
    client = make_client(redirecting_app())
    response = client.get("/start")
    assert response.text == "end GET middle"
    assert [r.status_code for r in response.history] == [302, 301]
    assert response.url == "http://testserver/end"
    response = client.get("/start", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/middle"
    assert response.is_redirect


def test_session_headers_and_cookies_reach_the_app(make_client):
    app = Recorder()
    client = make_client(app)
    client.headers["X-Session"] = "s"
    client.cookies.set("jar", "1")
    client.get("/", headers={"X-Call": "c"}, cookies={"call": "2"})
    headers = dict(app.scope["headers"])
    assert headers[b"x-session"] == b"s"
    assert headers[b"x-call"] == b"c"
    assert sorted(headers[b"cookie"].split(b"; ")) == [b"call=2", b"jar=1"]
    del client.headers["X-Session"]
    client.get("/")
    assert b"x-session" not in dict(app.scope["headers"])


def test_streamed_response_can_be_used_as_a_context_manager(make_client):
    app = respond(chunks=[b"a", b"b"])
    with make_client(app).get("/", stream=True) as response:
        assert response.raw.read(1) == b"a"


def test_the_old_template_message_sets_template_and_context(make_client):
    # What Starlette up to 0.20 sent (the old client's extension): the
    # response gets the attributes, as with the old client.
    async def app(scope, receive, send):
        assert "http.response.template" in scope["extensions"]
        await send({"type": "http.response.template", "template": "page.html", "context": {"name": "x"}})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"<p>x</p>"})

    response = make_client(app).get("/")
    assert (response.template, response.context, response.text) == ("page.html", {"name": "x"}, "<p>x</p>")


def test_the_raw_response_of_a_body_read_whole_is_made_when_first_looked_at(make_client):
    """``response.raw`` of a response read whole is urllib3's response with
    everything a server's would have, made on first use: a test that never
    looks at it does not pay for it, and being collected does not make it."""
    import gc
    import weakref

    import urllib3

    app = respond(status=201, headers=[(b"content-type", b"text/plain"), (b"x-a", b"1")], chunks=[b"made ", b"late"])
    client = make_client(app)
    unused = client.get("/").raw
    assert unused.__dict__.get("_deferred_init") is not None
    assert unused.closed  # what the collector asks, answered without making it
    assert unused.__dict__.get("_deferred_init") is not None
    collected = weakref.ref(unused)
    del unused
    gc.collect()
    assert collected() is None

    response = client.get("/")
    raw = response.raw
    assert isinstance(raw, urllib3.HTTPResponse)
    assert (raw.status, raw.reason, raw.version) == (201, "Created", 11)
    assert raw.__dict__.get("_deferred_init") is None  # made by the first look
    assert list(raw.headers.items()) == [("content-type", "text/plain"), ("x-a", "1")]
    assert raw.closed
    assert raw.read() == b""
    assert list(raw.stream()) == []
    assert response.content == b"made late"
    response.close()

    # Streamed, gzip-encoded or with cookies, it is made at once, as before.
    assert client.get("/", stream=True).raw.__dict__.get("_deferred_init") is None
    cookie_app = respond(headers=[(b"set-cookie", b"a=1")], chunks=[b"x"])
    assert make_client(cookie_app).get("/").raw.__dict__.get("_deferred_init") is None
