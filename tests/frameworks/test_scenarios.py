"""One set of scenarios against the same app written with Starlette, FastAPI,
Litestar, Quart, Django and raw ASGI 3 and ASGI 2, on every backend.

The apps serve the endpoints of ``contract.py``; the ``app`` fixture
(``conftest.py``) builds each in turn. A scenario a framework cannot run is
skipped with the reason it gives in its ``MISSING``.
"""

import contextlib
import gc
import itertools
import time
import warnings
from typing import Any, Callable, Iterator, List
from urllib.parse import urljoin

import pytest

from asgi_testclient import TestClient, WebSocketDisconnect
from asgi_testclient._channel import DISCONNECT_GRACE

from .conftest import FRAMEWORKS, Framework
from .contract import BOOM_MESSAGE, CLOSE_CODE, CLOSE_REASON, STARTED, STREAM_CHUNKS, Boom

MakeClient = Callable[..., TestClient]

#: Bounds every wait for an app, so a broken combination fails instead of hanging.
TIMEOUT = 5


def client_for(make_client: MakeClient, app: Any, **options: Any) -> TestClient:
    return make_client(app, timeout=TIMEOUT, **options)


# -- verbs ---------------------------------------------------------------------


def test_every_verb_reaches_the_app_with_its_body(make_client: MakeClient, app: Any) -> None:
    client = client_for(make_client, app)
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]:
        sent = f"body of {method} é"
        response = client.request(method, "/echo", data=sent.encode())
        assert response.status_code == 200, (method, response.text)
        assert response.headers["x-method"] == method
        assert response.json() == {"method": method, "body": sent}


def test_head_gets_the_headers_and_no_body(make_client: MakeClient, app: Any) -> None:
    response = client_for(make_client, app).head("/echo")
    assert response.status_code == 200
    assert response.headers["x-method"] == "HEAD"
    assert response.content == b""


# -- forms and files ---------------------------------------------------------------


def test_urlencoded_form(make_client: MakeClient, app: Any) -> None:
    fields = {"name": "Ada Lovelace", "lang": "python & c = 100%"}
    response = client_for(make_client, app).post("/form", data=fields)
    assert response.status_code == 200
    assert response.json() == {"fields": fields, "files": {}}


def test_multipart_form_with_a_file_and_a_field(make_client: MakeClient, app: Any) -> None:
    response = client_for(make_client, app).post(
        "/form",
        data={"name": "Ada"},
        files={"upload": ("notes.txt", b"first line\nsecond line\n", "text/plain")},
    )
    assert response.status_code == 200
    assert response.json() == {
        "fields": {"name": "Ada"},
        "files": {
            "upload": {"filename": "notes.txt", "content_type": "text/plain", "content": "first line\nsecond line\n"}
        },
    }


# -- cookies and sessions ------------------------------------------------------------


def test_cookie_set_by_the_app_comes_back_until_deleted(make_client: MakeClient, app: Any) -> None:
    client = client_for(make_client, app)
    assert client.get("/cookies").json() == {"cookies": {}}
    response = client.get("/cookies/set")
    assert response.cookies["flavour"] == "oatmeal"
    assert client.cookies["flavour"] == "oatmeal"
    # (Litestar's session middleware adds its own "session" cookie to every
    # response, so only this cookie is looked at from here on.)
    assert client.get("/cookies").json()["cookies"]["flavour"] == "oatmeal"
    client.get("/cookies/delete")
    assert "flavour" not in client.cookies
    assert "flavour" not in client.get("/cookies").json()["cookies"]


def test_session_login_and_whoami(make_client: MakeClient, app: Any, framework: Framework) -> None:
    framework.needs("sessions")
    client = client_for(make_client, app)
    assert client.get("/whoami").json() == {"user": None}
    assert client.post("/login", data={"user": "ada"}).json() == {"user": "ada"}
    assert client.get("/whoami").json() == {"user": "ada"}
    # The session lives in the client's cookies, not in the app's memory of
    # this client: without them the app no longer knows who this is.
    client.cookies.clear()
    assert client.get("/whoami").json() == {"user": None}


# -- redirects ------------------------------------------------------------------------


def test_get_follows_a_redirect(make_client: MakeClient, app: Any) -> None:
    response = client_for(make_client, app).get("/redirect")
    assert response.status_code == 200
    assert response.json() == {"method": "GET", "body": ""}
    assert response.url == "http://testserver/echo"
    assert [(r.status_code, r.url) for r in response.history] == [(302, "http://testserver/redirect")]


def test_redirect_not_followed_when_asked(make_client: MakeClient, app: Any) -> None:
    response = client_for(make_client, app).get("/redirect", allow_redirects=False)
    assert response.status_code == 302
    assert response.is_redirect
    assert urljoin(response.url, response.headers["location"]) == "http://testserver/echo"
    assert response.history == []


# -- lifespan --------------------------------------------------------------------------


def test_lifespan_state_reaches_requests_and_shutdown_runs_once(
    make_client: MakeClient, app: Any, framework: Framework, log: List[str]
) -> None:
    framework.needs("lifespan")
    client = client_for(make_client, app)
    with client:
        assert log == ["startup"]
        assert client.get("/state").json() == {"started": STARTED}
        assert client.get("/state").json() == {"started": STARTED}
        assert log == ["startup"]
    assert log == ["startup", "shutdown"]


@pytest.mark.parametrize(
    "framework", [name for name, framework in FRAMEWORKS.items() if "lifespan" in framework.missing], indirect=True
)
def test_an_app_without_lifespan_raises_its_refusal_on_with(make_client: MakeClient, app: Any) -> None:
    # As the old client did: the app's own exception when the block starts.
    client = client_for(make_client, app)
    with pytest.raises(ValueError, match="^Django can only handle ASGI/HTTP connections, not lifespan.$"):
        client.__enter__()
    assert client.get("/echo").status_code == 200


@pytest.mark.parametrize(
    "framework", [name for name, framework in FRAMEWORKS.items() if "lifespan" in framework.missing], indirect=True
)
def test_an_app_without_lifespan_runs_in_a_with_block_with_lifespan_auto(
    make_client: MakeClient, app: Any, log: List[str]
) -> None:
    with client_for(make_client, app, lifespan="auto") as client:
        assert client.get("/echo").json() == {"method": "GET", "body": ""}
    assert log == []


# -- streaming and server-sent events ------------------------------------------------------


def test_streamed_response_read_line_by_line(make_client: MakeClient, app: Any) -> None:
    with client_for(make_client, app).get("/stream", stream=True) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        lines = list(response.iter_lines())
    assert lines == [chunk.rstrip("\n").encode() for chunk in STREAM_CHUNKS]


def test_endless_event_stream_read_event_by_event_then_closed(
    make_client: MakeClient, app: Any, framework: Framework, log: List[str]
) -> None:
    with client_for(make_client, app).get("/sse", stream=True) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        # Events are separated by blank lines; take the first three events.
        events = list(itertools.islice(filter(None, response.iter_lines()), 3))
        assert log == []
        closing = time.monotonic()
    closed_in = time.monotonic() - closing
    assert events == [b"data: 0", b"data: 1", b"data: 2"]
    if "disconnect" in framework.missing:
        # The app did not notice: the client cancelled it after the grace period.
        assert closed_in >= DISCONNECT_GRACE, framework.missing["disconnect"]
    else:
        # Closing told the app, which ended its response by itself, before
        # the client would have cancelled it.
        assert closed_in < DISCONNECT_GRACE

    def generator_closed() -> bool:
        # A generator the framework left waiting at a ``yield`` (rather
        # than cancelled while it slept) is closed when it is collected.
        gc.collect()
        return log == ["sse closed"]

    assert wait_for(generator_closed), log


def wait_for(condition: Callable[[], bool], seconds: float = 3) -> bool:
    """Whether ``condition()`` became true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- websockets -------------------------------------------------------------------------


def test_websocket_echoes_text(make_client: MakeClient, app: Any, framework: Framework) -> None:
    framework.needs("websockets")
    with client_for(make_client, app).websocket_connect("/ws/text") as websocket:
        websocket.send_text("hello")
        assert websocket.receive_text() == "echo: hello"
        websocket.send_text("héllo again")
        assert websocket.receive_text() == "echo: héllo again"
        websocket.close()


def test_websocket_echoes_json(make_client: MakeClient, app: Any, framework: Framework) -> None:
    framework.needs("websockets")
    with client_for(make_client, app).websocket_connect("/ws/json") as websocket:
        websocket.send_json({"numbers": [1, 2.5], "nested": {"ok": True, "none": None}})
        assert websocket.receive_json() == {"echo": {"numbers": [1, 2.5], "nested": {"ok": True, "none": None}}}


@pytest.mark.parametrize("strict", [False, True])
def test_websocket_closed_by_the_app(make_client: MakeClient, app: Any, framework: Framework, strict: bool) -> None:
    framework.needs("websockets")
    with client_for(make_client, app, strict=strict).websocket_connect("/ws/close") as websocket:
        assert websocket.receive_text() == "bye"
        with pytest.raises(WebSocketDisconnect) as info:
            websocket.receive_text()
    assert info.value.code == CLOSE_CODE
    # Quart sends a close reason only to servers of ASGI spec 2.3 and later;
    # the old client's scope named no spec version, so got none.
    assert info.value.reason == ("" if framework.name == "quart" and not strict else CLOSE_REASON)


@pytest.mark.parametrize("framework", ["django"], indirect=True)
def test_an_app_without_websockets_raises_its_refusal(make_client: MakeClient, app: Any) -> None:
    client = client_for(make_client, app)
    with pytest.raises(ValueError, match="^Django can only handle ASGI/HTTP connections, not websocket.$"):
        with client.websocket_connect("/ws/text"):
            pass  # pragma: no cover - the handshake fails
    assert client.get("/echo").status_code == 200


# -- errors ----------------------------------------------------------------------------


def test_app_exception_is_raised_in_the_test(make_client: MakeClient, app: Any, framework: Framework) -> None:
    client = client_for(make_client, app)
    with unclosed_body_file_ignored(framework):
        with pytest.raises(Boom) as info:
            client.get("/error")
        assert str(info.value) == BOOM_MESSAGE
        del info
    # The client, and its event loop, are still usable.
    assert client.get("/echo").json() == {"method": "GET", "body": ""}


def test_app_exception_is_a_500_when_not_raised(make_client: MakeClient, app: Any, framework: Framework) -> None:
    client = client_for(make_client, app, raise_server_exceptions=False)
    with unclosed_body_file_ignored(framework):
        response = client.get("/error")
        assert response.status_code == 500
        assert response.reason == "Internal Server Error"
        del response  # it holds the app's exception, which holds the file
    assert client.get("/echo").json() == {"method": "GET", "body": ""}


@contextlib.contextmanager
def unclosed_body_file_ignored(framework: Framework) -> Iterator[None]:
    """Django's ASGI handler closes the request's body file only when the
    view returns: the exception that DEBUG_PROPAGATE_EXCEPTIONS lets through
    leaves it open (as it would under any server). For Django, ignore exactly
    that ResourceWarning in the block, and collect the file before leaving it
    rather than fail whichever later test the garbage collector runs in."""
    if framework.name != "django":
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unclosed file <tempfile.SpooledTemporaryFile", ResourceWarning)
        yield
        gc.collect()


# -- backends -----------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name, framework in FRAMEWORKS.items() if "trio" in framework.missing])
def test_asyncio_only_frameworks_really_fail_on_trio(name: str) -> None:
    """Keeps the trio skips honest: once a framework runs on trio this fails,
    and its skip should go."""
    client = TestClient(FRAMEWORKS[name].build([]), backend="trio", timeout=TIMEOUT)
    try:
        with warnings.catch_warnings():
            # The asyncio coroutines the framework made and could not start,
            # and the request body file Django leaves open when it fails.
            warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
            warnings.filterwarnings("ignore", "Unclosed file <tempfile.SpooledTemporaryFile", ResourceWarning)
            with pytest.raises(RuntimeError, match="no (current|running) event loop"):
                client.get("/echo")
            gc.collect()
    finally:
        client.close()
