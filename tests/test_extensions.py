"""ASGI extensions: off by default, offered with ``extensions=``, and what
the test reads of each message the app sends through them."""

import io
import json
import time
import tracemalloc

import anyio
import pytest
import starlette
from requests.structures import CaseInsensitiveDict
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from asgi_testclient import ASGIAdapter, ASGIProtocolError, WebSocketDenialResponse
from asgi_testclient._exchange import HIGH_WATER
from asgi_testclient._extensions import SUPPORTED, TLS_CIPHER_SUITE, TLS_VERSION
from asgi_testclient._filesend import FILE_CHUNK

MESSAGE_EXTENSIONS = [
    "http.response.trailers",
    "http.response.pathsend",
    "http.response.zerocopysend",
    "http.response.early_hint",
    "http.response.push",
]
TLS = {
    "server_cert": None,
    "client_cert_chain": [],
    "client_cert_name": None,
    "client_cert_error": None,
    "tls_version": 0x0304,
    "cipher_suite": 0x1301,
}
DEBUG = {"http.response.template": {}, "http.response.debug": {}}


def scope_app(seen):
    async def app(scope, receive, send):
        if scope["type"] == "websocket":
            seen.append(scope)
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close"})
            return
        seen.append(scope)
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})

    return app


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 2500)  # 640 000 bytes: a few file chunks
    return path


# -- what the scope offers ------------------------------------------------------------


def test_no_extension_is_offered_by_default(make_client):
    seen = []
    client = make_client(scope_app(seen))
    client.get("https://testserver/")
    with client.websocket_connect("wss://testserver/ws"):
        pass
    assert seen[0]["extensions"] == DEBUG
    assert "extensions" not in seen[1]


@pytest.mark.parametrize("name", MESSAGE_EXTENSIONS)
def test_each_message_extension_adds_its_key_and_no_other(make_client, name):
    seen = []
    client = make_client(scope_app(seen), extensions=[name])
    client.get("https://testserver/")
    assert seen[0]["extensions"] == {**DEBUG, name: {}}


def test_tls_is_offered_for_https_and_wss_only(make_client):
    seen = []
    client = make_client(scope_app(seen), extensions=["tls"])
    client.get("https://testserver/")
    client.get("http://testserver/")
    with client.websocket_connect("wss://testserver/ws"):
        pass
    with client.websocket_connect("ws://testserver/ws"):
        pass
    https, http, wss, ws = seen
    assert https["extensions"] == {**DEBUG, "tls": TLS}
    assert (TLS_VERSION, TLS_CIPHER_SUITE) == (0x0304, 0x1301)
    assert http["extensions"] == DEBUG
    assert wss["extensions"] == {"tls": TLS}
    assert "extensions" not in ws
    # Every scope gets its own value: an app changing one changes no other.
    assert https["extensions"]["tls"] is not wss["extensions"]["tls"]


def test_all_offers_every_extension(make_client):
    seen = []
    client = make_client(scope_app(seen), extensions="all")
    client.get("https://testserver/")
    with client.websocket_connect("wss://testserver/ws"):
        pass
    assert seen[0]["extensions"] == {**DEBUG, **{name: {} for name in MESSAGE_EXTENSIONS}, "tls": TLS}
    assert seen[1]["extensions"] == {"websocket.http.response": {}, "tls": TLS}


def test_websocket_denial_is_offered_by_name_or_by_strict(make_client):
    seen = []
    for options in ({"extensions": ["websocket.http.response"]}, {"strict": True}):
        with make_client(scope_app(seen), **options).websocket_connect("/ws"):
            pass
    assert [scope["extensions"] for scope in seen] == [{"websocket.http.response": {}}] * 2


def test_starlette_denies_a_handshake_when_the_extension_is_offered(make_client):
    async def endpoint(websocket: WebSocket):
        await websocket.send_denial_response(PlainTextResponse("go away", status_code=403))

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    client = make_client(app, extensions=["websocket.http.response"])
    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert (denied.value.status_code, denied.value.text) == (403, "go away")
    with pytest.raises(RuntimeError, match="doesn't support the Websocket Denial Response extension"):
        with make_client(app).websocket_connect("/ws"):
            pass  # pragma: no cover


def test_the_debug_extensions_are_accepted_by_name_and_always_on(make_client):
    seen = []
    client = make_client(scope_app(seen), extensions=["http.response.debug", "http.response.template"])
    client.get("/")
    assert seen[0]["extensions"] == DEBUG
    assert set(SUPPORTED) == {*MESSAGE_EXTENSIONS, "tls", *DEBUG, "websocket.http.response"}


def test_an_unknown_extension_is_refused_with_the_supported_ones(make_client):
    with pytest.raises(ValueError, match=r"unknown ASGI extension 'http\.response\.trailer';") as caught:
        make_client(scope_app([]), extensions=["http.response.trailer"])
    assert all(repr(name) in str(caught.value) for name in SUPPORTED)
    with pytest.raises(ValueError, match="unknown ASGI extension 'x'"):
        ASGIAdapter(scope_app([]), extensions=("x",))
    with pytest.raises(ValueError, match=r"pass 'all' or an iterable of extension names, such as \['tls'\]"):
        make_client(scope_app([]), extensions="tls")


def test_every_response_has_the_extension_attributes(make_client):
    client = make_client(scope_app([]))
    for response in (client.get("/"), client.get("/", stream=True)):
        assert isinstance(response.trailers, CaseInsensitiveDict)
        assert response.trailers == {}
        assert response.early_hints == []
        assert response.pushes == []


# -- trailers ---------------------------------------------------------------------


def trailers_app(log=None):
    async def app(scope, receive, send):
        await receive()  # the request
        headers = [(b"trailer", b"x-sum, x-one")]
        await send({"type": "http.response.start", "status": 200, "headers": headers, "trailers": True})
        await send({"type": "http.response.body", "body": b"part one, ", "more_body": True})
        await send({"type": "http.response.body", "body": b"part two"})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")], "more_trailers": True})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"2"), (b"X-One", b"yes")]})
        if log is not None:
            log.append(await receive())

    return app


@pytest.mark.parametrize("te", [None, "trailers"])
def test_trailers_are_read_after_the_body(make_client, te):
    log = []
    client = make_client(trailers_app(log), extensions=["http.response.trailers"])
    response = client.get("/", headers={"TE": te} if te else None)
    assert response.content == b"part one, part two"
    assert response.headers["trailer"] == "x-sum, x-one"
    assert response.trailers == {"x-sum": "1, 2", "x-one": "yes"}
    assert response.trailers["X-SUM"] == "1, 2"
    assert log == [{"type": "http.disconnect"}]


def test_streamed_trailers_arrive_once_the_body_is_read(make_client):
    client = make_client(trailers_app(), extensions=["http.response.trailers"])
    response = client.get("/", stream=True, timeout=5)
    trailers = response.trailers
    assert trailers == {}
    assert b"".join(response.iter_content(4)) == b"part one, part two"
    assert trailers == {"x-sum": "1, 2", "x-one": "yes"}
    assert response.trailers is trailers


def test_the_disconnect_waits_for_the_last_trailers(make_client):
    log = []

    async def app(scope, receive, send):
        await receive()  # the request
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"body"})

        async def listen():
            log.append((await receive())["type"])

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(listen)
            await anyio.sleep(0.05)
            log.append("trailers")
            await send({"type": "http.response.trailers", "headers": [(b"x-done", b"1")]})

    response = make_client(app, extensions=["http.response.trailers"]).get("/", timeout=5)
    assert log == ["trailers", "http.disconnect"]
    assert response.trailers == {"x-done": "1"}


def test_trailers_without_announcement_are_a_protocol_error_under_strict(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"body"})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]})

    strict = make_client(app, extensions=["http.response.trailers"], strict=True)
    with pytest.raises(ASGIProtocolError, match="without 'trailers': True in 'http.response.start'"):
        strict.get("/")
    # Without strict they are read all the same.
    lenient = make_client(app, extensions=["http.response.trailers"])
    assert lenient.get("/").trailers == {"x-sum": "1"}


def test_strict_checks_the_order_and_the_end_of_trailers(make_client):
    async def early(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.trailers", "headers": []})

    async def unfinished(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"body"})
        await send({"type": "http.response.trailers", "headers": [], "more_trailers": True})

    async def twice(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"body"})
        await send({"type": "http.response.trailers", "headers": []})
        await send({"type": "http.response.trailers", "headers": []})

    options = {"extensions": ["http.response.trailers"], "strict": True, "timeout": 5}
    with pytest.raises(ASGIProtocolError, match="before the body was complete"):
        make_client(early, **options).get("/")
    with pytest.raises(ASGIProtocolError, match="app returned before finishing its trailers"):
        make_client(unfinished, **options).get("/")
    with pytest.raises(ASGIProtocolError, match=r"after the last one \(more_trailers=False\)"):
        make_client(twice, **options).get("/")


def test_extension_messages_when_not_offered(make_client):
    app = trailers_app()
    # Ignored, as the old client ignored every message it did not know...
    response = make_client(app).get("/")
    assert (response.content, response.trailers) == (b"part one, part two", {})
    # ... and refused under strict, saying how to offer the extension.
    with pytest.raises(ASGIProtocolError, match=r"turn it on with extensions=\['http.response.trailers'\]"):
        make_client(app, strict=True).get("/")


class TrailersResponse(Response):
    """A Starlette response that announces a checksum trailer and sends it
    after the body, as a Starlette 1.7+ app can."""

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers, "trailers": True})
        await send({"type": "http.response.body", "body": self.body})
        await send({"type": "http.response.trailers", "headers": [(b"x-length", str(len(self.body)).encode())]})


@pytest.mark.skipif(
    int(starlette.__version__.split(".")[0]) < 1,
    reason="Starlette's GZipMiddleware handles trailers from 1.x (Python 3.9 gets the last 0.x)",
)
def test_starlette_trailers_through_gzip_middleware(make_client):
    async def endpoint(request):
        return TrailersResponse("z" * 2000, headers={"Trailer": "x-length"})

    app = Starlette(routes=[Route("/", endpoint)], middleware=[Middleware(GZipMiddleware)])
    response = make_client(app, extensions=["http.response.trailers"]).get("/")
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers  # dropped by GZip for a trailers response
    assert response.text == "z" * 2000
    assert response.trailers == {"x-length": "2000"}


# -- path send ----------------------------------------------------------------------


def message_log(app, log):
    """``app``, recording the type of every message it sends."""

    async def logged(scope, receive, send):
        async def logging_send(message):
            log.append(message["type"])
            await send(message)

        await app(scope, receive, logging_send)

    return logged


def test_path_send_sends_the_file(make_client, data_file):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x/y")]})
        await send({"type": "http.response.pathsend", "path": str(data_file)})

    client = make_client(app, extensions=["http.response.pathsend"], strict=True)
    response = client.get("/")
    assert response.content == data_file.read_bytes()
    assert len(response.content) > 2 * FILE_CHUNK
    assert client.head("/").content == b""


def test_starlette_file_response_over_path_send(make_client, data_file):
    log = []
    app = message_log(Starlette(routes=[Route("/file", lambda request: FileResponse(data_file))]), log)
    response = make_client(app, extensions=["http.response.pathsend"]).get("/file")
    assert response.content == data_file.read_bytes()
    assert response.headers["content-length"] == str(data_file.stat().st_size)
    assert log == ["http.response.start", "http.response.pathsend"]
    # A range is still sent as body messages (Starlette does not path-send it).
    log.clear()
    ranged = make_client(app, extensions=["http.response.pathsend"]).get("/file", headers={"Range": "bytes=10-19"})
    assert (ranged.status_code, ranged.content) == (206, data_file.read_bytes()[10:20])
    assert "http.response.pathsend" not in log
    # Without the extension, FileResponse reads the file itself.
    log.clear()
    assert make_client(app).get("/file").content == data_file.read_bytes()
    assert log.count("http.response.body") > 1 and "http.response.pathsend" not in log


def test_a_large_path_send_streams_in_bounded_memory(make_client, tmp_path):
    size = 200 * 2**20
    path = tmp_path / "large.bin"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: no disk space, reads as zeros
    app = Starlette(routes=[Route("/file", lambda request: FileResponse(path))])
    client = make_client(app, extensions=["http.response.pathsend"])
    tracemalloc.start()
    try:
        with client.get("/file", stream=True, timeout=30) as response:
            chunks = response.iter_content(2**16)
            total = len(next(chunks))
            time.sleep(0.2)  # nobody reads: the file is read no further ahead
            held = tracemalloc.get_traced_memory()[0]
            total += sum(len(chunk) for chunk in chunks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == size
    # What the exchange and the reader hold (a high-water mark's worth and
    # a chunk each), with room for the rest of the process.
    assert held < 2 * (HIGH_WATER + FILE_CHUNK) + 2**20
    assert peak < 16 * 2**20


def test_path_send_errors(make_client, tmp_path):
    raised = []

    def app_for(path):
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200})
            try:
                await send({"type": "http.response.pathsend", "path": path})
            except ASGIProtocolError as exc:
                raised.append(str(exc))
                raise

        return app

    def client(path):
        return make_client(app_for(path), extensions=["http.response.pathsend"], raise_server_exceptions=False)

    missing = str(tmp_path / "missing.bin")
    with pytest.raises(ASGIProtocolError) as caught:
        client(missing).get("/")
    assert str(caught.value) == f"'http.response.pathsend' path {missing!r} cannot be read: No such file or directory"
    assert raised == [str(caught.value)]  # raised in the app's send() too
    with pytest.raises(ASGIProtocolError, match=r"path 'data\.bin' is not absolute; a server needs"):
        client("data.bin").get("/")
    with pytest.raises(ASGIProtocolError, match="is not a regular file"):
        client(str(tmp_path)).get("/")
    with pytest.raises(ASGIProtocolError, match="needs a str 'path'"):
        client(b"/bytes").get("/")


def test_path_send_out_of_order(make_client, data_file):
    async def before_start(scope, receive, send):
        await send({"type": "http.response.pathsend", "path": str(data_file)})

    async def after_body(scope, receive, send):
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.pathsend", "path": str(data_file)})

    options = {"extensions": ["http.response.pathsend"], "strict": True}
    with pytest.raises(ASGIProtocolError, match="without 'http.response.start'"):
        make_client(before_start, **options).get("/")
    with pytest.raises(ASGIProtocolError, match="cannot be mixed with body messages"):
        make_client(after_body, **options).get("/")


# -- zero-copy send -------------------------------------------------------------------


def test_zero_copy_send_honours_offset_count_and_position(make_client, data_file):
    content = data_file.read_bytes()
    positions = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200})
        with open(data_file, "rb") as f:
            f.read(3)  # the position the next send starts from (the buffer has read ahead)
            await send({"type": "http.response.zerocopysend", "file": f, "count": 5, "more_body": True})
            positions.append(f.tell())
            await send({"type": "http.response.body", "body": b"|", "more_body": True})
            await send({"type": "http.response.zerocopysend", "file": f, "offset": 100, "count": 4, "more_body": True})
            positions.append(f.tell())  # an offset leaves the position alone
            middle = {"offset": FILE_CHUNK - 2, "count": 4, "more_body": True}
            await send({"type": "http.response.zerocopysend", "file": f.fileno(), **middle})
            await send({"type": "http.response.zerocopysend", "file": f, "offset": len(content) - 10})

    response = make_client(app, extensions=["http.response.zerocopysend"], strict=True).get("/")
    assert response.content == (
        content[3:8] + b"|" + content[100:104] + content[FILE_CHUNK - 2 : FILE_CHUNK + 2] + content[-10:]
    )
    assert positions == [8, 8]


def test_zero_copy_send_of_a_whole_file_streamed(make_client, data_file):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200})
        with open(data_file, "rb") as f:
            await send({"type": "http.response.zerocopysend", "file": f})

    response = make_client(app, extensions=["http.response.zerocopysend"]).get("/", stream=True, timeout=5)
    assert b"".join(response.iter_content(1000)) == data_file.read_bytes()


def test_zero_copy_send_errors(make_client, data_file):
    def client(file, **fields):
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200})
            await send({"type": "http.response.zerocopysend", "file": file, **fields})

        return make_client(app, extensions=["http.response.zerocopysend"])

    closed = open(data_file, "rb")  # noqa: SIM115 - closed on purpose
    closed.close()
    with pytest.raises(ASGIProtocolError, match=r"file <_io\.BufferedReader name=.*> is closed"):
        client(closed).get("/")
    fd = 2**20  # no process has that many files open
    with pytest.raises(ASGIProtocolError, match=f"file descriptor {fd} is not usable: Bad file descriptor"):
        client(fd).get("/")
    with pytest.raises(ASGIProtocolError, match="has no OS file descriptor"):
        client(io.BytesIO(b"in memory")).get("/")
    with pytest.raises(ASGIProtocolError, match="needs a 'file' with an OS file descriptor, got None"):
        client(None).get("/")
    with open(data_file, "rb") as f:
        with pytest.raises(ASGIProtocolError, match="offset must be a non-negative int, got -1"):
            client(f, offset=-1).get("/")


def test_zero_copy_send_from_a_write_only_descriptor(make_client, tmp_path):
    with open(tmp_path / "out.bin", "wb") as f:
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200})
            await send({"type": "http.response.zerocopysend", "file": f.fileno(), "offset": 0})

        with pytest.raises(ASGIProtocolError, match="reading the file failed: .*Bad file descriptor"):
            make_client(app, extensions=["http.response.zerocopysend"]).get("/")


# -- early hints and push promises ----------------------------------------------------


def test_early_hints_before_and_after_the_start_in_order(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.early_hint", "links": [b"</a.css>; rel=preload; as=style"]})
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.early_hint", "links": [b"</b.js>; rel=preload", b"</c.js>; rel=preload"]})
        await send({"type": "http.response.body", "body": b"ok"})

    for stream in (False, True):
        response = make_client(app, extensions=["http.response.early_hint"]).get("/", stream=stream)
        assert response.content == b"ok"
        assert response.early_hints == [
            {"Link": "</a.css>; rel=preload; as=style"},
            {"Link": "</b.js>; rel=preload, </c.js>; rel=preload"},
        ]
        assert response.early_hints[1]["link"] == "</b.js>; rel=preload, </c.js>; rel=preload"


@pytest.mark.skipif(
    not hasattr(Request, "send_early_hints"),
    reason="this Starlette has no Request.send_early_hints (Python 3.9 gets the last 0.x)",
)
def test_starlette_early_hints(make_client):
    async def endpoint(request: Request):
        await request.send_early_hints("</style.css>; rel=preload; as=style", "</app.js>; rel=modulepreload")
        return PlainTextResponse("page")

    app = Starlette(routes=[Route("/", endpoint)])
    assert make_client(app).get("/").early_hints == []
    response = make_client(app, extensions=["http.response.early_hint"]).get("/")
    assert response.early_hints == [{"Link": "</style.css>; rel=preload; as=style, </app.js>; rel=modulepreload"}]


def test_hints_and_pushes_after_the_body(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"ok"})
        await send({"type": "http.response.early_hint", "links": [b"</late>"]})
        await send({"type": "http.response.push", "path": "/late", "headers": []})

    extensions = ["http.response.early_hint", "http.response.push"]
    # Dropped, as a server drops them; refused under strict.
    response = make_client(app, extensions=extensions).get("/")
    assert (response.early_hints, response.pushes) == ([], [])
    with pytest.raises(ASGIProtocolError, match="after its response body was complete"):
        make_client(app, extensions=extensions, strict=True).get("/")


def test_push_promises_are_recorded_not_fetched(make_client):
    requested = []

    async def app(scope, receive, send):
        requested.append(scope["path"])
        await send({"type": "http.response.push", "path": "/style.css", "headers": [(b"accept", b"text/css")]})
        await send({"type": "http.response.start", "status": 200})
        headers = [(b"accept", b"*/*"), (b"x-a", b"1"), (b"x-a", b"2")]
        await send({"type": "http.response.push", "path": "/app.js", "headers": headers})
        await send({"type": "http.response.body", "body": b"page"})

    response = make_client(app, extensions=["http.response.push"]).get("/")
    assert response.pushes == [("/style.css", {"accept": "text/css"}), ("/app.js", {"Accept": "*/*", "x-a": "1, 2"})]
    assert requested == ["/"]


def test_starlette_push_promise(make_client):
    async def endpoint(request: Request):
        await request.send_push_promise("/static/style.css")
        return PlainTextResponse("page")

    app = Starlette(routes=[Route("/", endpoint)])
    assert make_client(app).get("/").pushes == []
    response = make_client(app, extensions=["http.response.push"]).get("/", headers={"Accept": "text/html"})
    [(path, headers)] = response.pushes
    assert path == "/static/style.css"
    # Starlette copies these of the request's headers into the promise.
    assert headers == {"accept": "text/html", "accept-encoding": "gzip, deflate", "user-agent": "testclient"}


def test_extension_messages_are_checked(make_client):
    async def bad_hint(scope, receive, send):
        await send({"type": "http.response.early_hint", "links": "not a list of bytes"})

    async def bad_push(scope, receive, send):
        await send({"type": "http.response.push", "path": b"/bytes", "headers": []})

    async def bad_trailers(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b""})
        await send({"type": "http.response.trailers", "headers": [("x-str", "value")]})

    options = {"extensions": "all", "strict": True}
    with pytest.raises(ASGIProtocolError, match="has link 'n'; links must be byte strings"):
        make_client(bad_hint, **options).get("/")
    with pytest.raises(ASGIProtocolError, match="'http.response.push' message needs a str 'path'"):
        make_client(bad_push, **options).get("/")
    with pytest.raises(ASGIProtocolError, match="header names and values must be bytes"):
        make_client(bad_trailers, **options).get("/")


def test_the_debug_extension_still_reports_templates(make_client):
    async def app(scope, receive, send):
        await send({"type": "http.response.debug", "info": {"template": "page.html", "context": {"a": 1}}})
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": json.dumps(sorted(scope["extensions"])).encode()})

    response = make_client(app, extensions="all").get("/")
    assert (response.template, response.context) == ("page.html", {"a": 1})
