"""Bad input from the test's author gets a clear error at once, never a hang.

Where requests itself refuses something (a header with a line break, a
cookie that is not a str, ``data=[1]``) the client raises exactly what
requests raises: the expected exception is taken from a plain
``requests.Session``, so these tests hold for every version of requests.

Where requests would hand the input to a socket but a server would refuse
it (a method or header name that is not a token, a NUL, characters outside
latin-1), the client does by default what the old requests-based Starlette
client did: it passes the input on, UTF-8 encoded, and the app sees it.
With ``strict=True`` it refuses the input itself, before the app is called.
The app below records every call; where the input is refused it must see
none.
"""

import time
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urljoin

import pytest
import requests
from requests.adapters import BaseAdapter

from asgi_testclient import TestClient

#: Nothing here may take long: refusals happen before the app runs or as
#: soon as the app asks for the bad body.
PROMPT = 5.0


class Recorder:
    """Answers 200 with the body it read; keeps every scope it was called with."""

    def __init__(self) -> None:
        self.scopes: List[Dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            while (await receive())["type"] != "websocket.disconnect":
                pass
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


class _Unsent(Exception):
    pass


class _NoNetwork(BaseAdapter):  # type: ignore[misc]
    """An adapter that is never meant to be reached: requests accepted the input."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        raise _Unsent(request)

    def close(self) -> None:
        pass


def requests_refusal(method: str, url: str, **kwargs: Any) -> BaseException:
    """What plain requests raises for this call, before anything is sent."""
    session = requests.Session()
    session.mount("http://", _NoNetwork())
    session.mount("https://", _NoNetwork())
    try:
        session.request(method, url, **kwargs)
    except _Unsent:
        raise AssertionError(f"requests itself accepts {kwargs!r}; this case is the client's to refuse") from None
    except Exception as exc:  # noqa: BLE001 - what requests raised is the expected outcome
        return exc
    raise AssertionError("unreachable")  # pragma: no cover


def timed(call: Callable[[], Any]) -> Tuple[Any, float]:
    started = time.monotonic()
    try:
        result: Any = call()
    except Exception as exc:  # noqa: BLE001 - the outcome under test
        result = exc
    return result, time.monotonic() - started


def assert_refused(result: Any, elapsed: float, exc_type: type, message: str) -> None:
    assert isinstance(result, exc_type), f"expected {exc_type.__name__}, got {result!r}"
    assert str(result) == message
    assert elapsed < PROMPT


# -- the app ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app, shown",
    [
        (object(), "<object object at"),
        (None, "None"),
        (42, "42"),
        ("myproject.main:app", "'myproject.main:app'"),
    ],
    ids=["object", "None", "int", "import string"],
)
def test_an_app_that_is_not_callable_is_refused_at_construction(app: Any, shown: str) -> None:
    with pytest.raises(TypeError) as info:
        TestClient(app)
    message = str(info.value)
    assert message.startswith(f"TestClient needs an ASGI application, got {shown}")
    assert message.endswith("which is not callable")


def two_arguments(scope: Any, receive: Any) -> None:
    pass  # pragma: no cover


def keyword_only(*, scope: Any) -> None:
    pass  # pragma: no cover


async def async_one_argument(scope: Any) -> None:
    pass  # pragma: no cover


async def async_two_arguments(scope: Any, receive: Any) -> None:
    pass  # pragma: no cover


class InitNeedsTwo:
    def __init__(self, scope: Any, extra: Any) -> None:
        pass  # pragma: no cover


@pytest.mark.parametrize(
    "app",
    [two_arguments, keyword_only, lambda: None, async_one_argument, async_two_arguments, InitNeedsTwo],
    ids=["two args", "kw-only", "no args", "async (scope)", "async (scope, receive)", "class of two args"],
)
def test_a_callable_of_the_wrong_shape_is_refused_at_construction(app: Any) -> None:
    """Not at the first request, where it would look like the app's own
    ``TypeError`` (or, with ``raise_server_exceptions=False``, a 500)."""
    with pytest.raises(TypeError) as info:
        TestClient(app)
    assert str(info.value) == (
        f"TestClient needs an ASGI application, got {app!r}: an ASGI 3 app is"
        " 'async def app(scope, receive, send)' and an ASGI 2 app is"
        " 'def app(scope)' returning 'async def instance(receive, send)'"
    )


# -- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://testserver/", "file:///etc/passwd", "gopher://testserver/x"])
def test_an_unsupported_scheme_is_refused_as_requests_refuses_it(make_client: Any, url: str) -> None:
    app = Recorder()
    expected = requests_refusal("GET", url)
    result, elapsed = timed(lambda: make_client(app).get(url))
    assert_refused(result, elapsed, type(expected), str(expected))
    assert isinstance(result, requests.exceptions.InvalidSchema)
    assert app.scopes == []


@pytest.mark.parametrize("url", ["ws://testserver/chat", "wss://testserver/chat"])
def test_a_websocket_url_is_refused_for_http(make_client: Any, url: str) -> None:
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app).get(url))
    assert_refused(
        result,
        elapsed,
        requests.exceptions.InvalidSchema,
        f"{url!r} is a websocket URL; open it with client.websocket_connect()",
    )
    assert app.scopes == []


def test_an_unsupported_scheme_is_refused_for_websockets(make_client: Any) -> None:
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app).websocket_connect("ftp://testserver/chat").__enter__())
    assert_refused(
        result,
        elapsed,
        requests.exceptions.InvalidSchema,
        "cannot open a websocket to 'ftp://testserver/chat': the scheme must be ws, wss, http or https",
    )
    assert app.scopes == []


@pytest.mark.parametrize("url", ["http://testserver:99999/", "http://testserver:-1/"], ids=["port", "negative port"])
def test_a_malformed_url_is_refused_as_requests_refuses_it(make_client: Any, url: str) -> None:
    app = Recorder()
    expected = requests_refusal("GET", url)
    result, elapsed = timed(lambda: make_client(app).get(url))
    assert_refused(result, elapsed, type(expected), str(expected))
    assert isinstance(result, requests.exceptions.InvalidURL)
    assert app.scopes == []


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_a_url_urljoin_cannot_parse_raises_urljoins_error(make_client: Any, strict: bool) -> None:
    """The old client joined every URL to the base URL with ``urljoin``
    before requests saw it, so a URL that ``urllib.parse`` cannot split
    raised ``urljoin``'s ``ValueError``, not requests' ``InvalidURL`` (which
    is a ``ValueError`` too); the client raises the same."""
    app = Recorder()
    url = "http://[::1/"
    assert isinstance(requests_refusal("GET", url), requests.exceptions.InvalidURL)
    with pytest.raises(ValueError) as urljoin_error:
        urljoin("http://testserver", url)
    result, elapsed = timed(lambda: make_client(app, strict=strict).get(url))
    assert_refused(result, elapsed, ValueError, str(urljoin_error.value))
    assert type(result) is ValueError
    assert str(result) == "Invalid IPv6 URL"
    assert app.scopes == []


# -- methods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, shown",
    [
        ("GET\r\nX-Injected: 1", "GET\\r\\nX-INJECTED: 1"),
        ("G\x00T", "G\\x00T"),
        ("GÉT", "GÉT"),
        ("GE T", "GE T"),
        ("", ""),
    ],
    ids=["CRLF", "NUL", "non-ASCII", "space", "empty"],
)
def test_a_method_that_is_not_a_token_is_refused(make_client: Any, method: str, shown: str) -> None:
    """With ``strict=True``. requests over a socket refuses control
    characters and non-ASCII in a method; a server answers 400 to any
    method that is not a token.
    (requests upper-cases the method before the client sees it.)"""
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app, strict=True).request(method, "/"))
    assert_refused(result, elapsed, ValueError, f"method '{shown}' is not an HTTP token; a server would refuse it")
    assert app.scopes == []


@pytest.mark.parametrize(
    "method",
    ["GET\r\nX-Injected: 1", "G\x00T", "GÉT", "GE T", ""],
    ids=["CRLF", "NUL", "non-ASCII", "space", "empty"],
)
def test_a_method_that_is_not_a_token_reaches_the_app_by_default(make_client: Any, method: str) -> None:
    """The old client put requests' upper-cased method in the scope as it was."""
    app = Recorder()
    response = make_client(app).request(method, "/")
    assert response.status_code == 200
    assert [scope["method"] for scope in app.scopes] == [method.upper()]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_any_token_is_a_method(make_client: Any, strict: bool) -> None:
    app = Recorder()
    client = make_client(app, strict=strict)
    for method in ("PROPFIND", "get", "M-SEARCH", "X~1"):
        assert client.request(method, "/").status_code == 200
        assert app.scopes[-1]["method"] == method.upper()


# -- headers ------------------------------------------------------------------------

LINE_BREAKS = [
    {"X-A": "a\rb"},
    {"X-A": "a\nb"},
    {"X-A": "a\r\nX-Injected: 1"},
    {"X-A": b"a\r\nX-Injected: 1"},
    {"X-A\r\nX-Injected": "1"},
    {"X-A\n": "1"},
]


def _line_break_refusal(headers: Dict[Any, Any], strict: bool) -> Optional[BaseException]:
    """What requests raises. Where it lets the header through (requests
    2.28 does for a trailing newline in a name): in strict mode what the
    client raises, and by default ``None``, as the old client passed the
    header on."""
    try:
        return requests_refusal("GET", "http://testserver/", headers=headers)
    except AssertionError:
        if not strict:
            return None
        ((name, value),) = headers.items()
        return requests.exceptions.InvalidHeader(
            f"header {name!r}: {value!r} contains a CR, LF or NUL character, which could split it into several"
            " headers"
        )


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("headers", LINE_BREAKS, ids=lambda headers: repr(headers))
def test_a_line_break_in_a_header_is_refused(make_client: Any, headers: Any, strict: bool) -> None:
    """As requests refuses it, with requests' own error."""
    app = Recorder()
    client = make_client(app, strict=strict)
    expected = _line_break_refusal(headers, strict)
    if expected is None:  # requests lets it through, and so did the old client
        client.get("/", headers=headers)
        ((name, value),) = headers.items()
        assert (name.lower().encode("utf-8"), value.encode("utf-8")) in app.scopes[-1]["headers"]
        return
    assert isinstance(expected, requests.exceptions.InvalidHeader)
    result, elapsed = timed(lambda: client.get("/", headers=headers))
    assert_refused(result, elapsed, type(expected), str(expected))
    # the same on the session's own headers, and on a websocket handshake
    client.headers.update(headers)
    result, elapsed = timed(lambda: client.get("/"))
    assert_refused(result, elapsed, type(expected), str(expected))
    result, elapsed = timed(lambda: client.websocket_connect("/").__enter__())
    assert isinstance(result, requests.exceptions.InvalidHeader)
    assert app.scopes == []


@pytest.mark.parametrize(
    "name, value",
    [("X-A", "snow ☃"), ("X-☃", "snow"), ("X-A", "€100"), ("X-A", "x\u2028y")],
    ids=["value", "name", "euro", "line separator"],
)
def test_a_header_outside_latin_1_is_refused(make_client: Any, name: str, value: str) -> None:
    """With ``strict=True``: HTTP headers are latin-1 on the wire."""
    app = Recorder()
    client = make_client(app, strict=True)
    message = (
        f"header {name!r}: {value!r} has characters outside latin-1; HTTP headers are latin-1, so encode"
        " the value (for example with urllib.parse.quote) before sending it"
    )
    result, elapsed = timed(lambda: client.get("/", headers={name: value}))
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    result, elapsed = timed(lambda: client.websocket_connect("/", headers={name: value}).__enter__())
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    assert app.scopes == []


@pytest.mark.parametrize(
    "name, value",
    [("X-A", "snow ☃"), ("X-☃", "snow"), ("X-A", "€100"), ("X-A", "x\u2028y")],
    ids=["value", "name", "euro", "line separator"],
)
def test_a_header_outside_latin_1_arrives_utf_8_encoded_by_default(make_client: Any, name: str, value: str) -> None:
    """As the old client encoded it (``str.encode()``), for HTTP and websockets alike."""
    app = Recorder()
    client = make_client(app)
    assert client.get("/", headers={name: value}).status_code == 200
    with client.websocket_connect("/", headers={name: value}):
        pass
    expected = (name.lower().encode("utf-8"), value.encode("utf-8"))
    assert [scope["type"] for scope in app.scopes] == ["http", "websocket"]
    for scope in app.scopes:
        assert expected in scope["headers"]


NOT_TOKENS = ["X A", "X@A", "X(A)", "X/A", "X,A"]


@pytest.mark.parametrize("name", NOT_TOKENS)
def test_a_header_name_that_is_not_a_token_is_refused(make_client: Any, name: str) -> None:
    """With ``strict=True``. requests lets these through; a server refuses them."""
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app, strict=True).get("/", headers={name: "1"}))
    message = f"header name {name!r} is not a valid HTTP token"
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    assert app.scopes == []


@pytest.mark.parametrize("name", NOT_TOKENS)
def test_a_header_name_that_is_not_a_token_reaches_the_app_by_default(make_client: Any, name: str) -> None:
    """Lower-cased, as the old client passed it on."""
    app = Recorder()
    assert make_client(app).get("/", headers={name: "1"}).status_code == 200
    assert (name.lower().encode("utf-8"), b"1") in app.scopes[-1]["headers"]


NULS = [("X\x00A", "1"), ("X-A", "nul\x00byte")]


@pytest.mark.parametrize("name, value", NULS, ids=["name", "value"])
def test_a_nul_in_a_header_is_refused(make_client: Any, name: str, value: str) -> None:
    """With ``strict=True``. requests lets a NUL through; a server refuses it."""
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app, strict=True).get("/", headers={name: value}))
    assert_refused(
        result,
        elapsed,
        requests.exceptions.InvalidHeader,
        f"header {name!r}: {value!r} contains a CR, LF or NUL character, which could split it into several headers",
    )
    assert app.scopes == []


@pytest.mark.parametrize("name, value", NULS, ids=["name", "value"])
def test_a_nul_in_a_header_reaches_the_app_by_default(make_client: Any, name: str, value: str) -> None:
    """As the old client passed it on."""
    app = Recorder()
    assert make_client(app).get("/", headers={name: value}).status_code == 200
    assert (name.lower().encode("utf-8"), value.encode("utf-8")) in app.scopes[-1]["headers"]


@pytest.mark.parametrize("value", [1, 1.5, ["a"]], ids=["int", "float", "list"])
def test_a_header_value_that_is_not_str_or_bytes_is_refused_as_requests_refuses_it(
    make_client: Any, value: Any
) -> None:
    app = Recorder()
    expected = requests_refusal("GET", "http://testserver/", headers={"X-A": value})
    result, elapsed = timed(lambda: make_client(app).get("/", headers={"X-A": value}))
    assert_refused(result, elapsed, type(expected), str(expected))
    assert app.scopes == []


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_latin_1_and_raw_bytes_pass_unchanged(make_client: Any, strict: bool) -> None:
    """The other side of the refusals: what is valid reaches the app byte
    for byte, a str value encoded as the old client encoded it (UTF-8) or,
    in strict mode, as requests puts it on the wire (latin-1)."""
    app = Recorder()
    make_client(app, strict=strict).get("/", headers={"X-Latin": "café ÿ", "X-Raw": b"\xc3\xa9t\xc3\xa9"})
    headers = dict(app.scopes[-1]["headers"])
    assert headers[b"x-latin"] == "café ÿ".encode("latin-1" if strict else "utf-8")
    assert headers[b"x-raw"] == b"\xc3\xa9t\xc3\xa9"


def test_a_subprotocol_with_a_line_break_is_refused(make_client: Any) -> None:
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app).websocket_connect("/", subprotocols=["chat\r\nX: 1"]).__enter__())
    assert isinstance(result, requests.exceptions.InvalidHeader)
    # requests names the header (in the spelling it was given) or the value.
    assert "sec-websocket-protocol" in str(result).lower() or "chat" in str(result)
    assert elapsed < PROMPT
    assert app.scopes == []


def test_unknown_websocket_options_are_refused(make_client: Any) -> None:
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app).websocket_connect("/", data=b"x", json={}))
    assert_refused(result, elapsed, TypeError, "websocket_connect() got unexpected keyword arguments: data, json")
    assert app.scopes == []


# -- cookies ------------------------------------------------------------------------


LINE_BREAKS_IN_COOKIES = pytest.mark.parametrize("value", ["x\r\nX-Injected: 1", "x\ny"], ids=["CRLF", "LF"])


@LINE_BREAKS_IN_COOKIES
def test_a_cookie_with_a_line_break_is_refused(make_client: Any, value: str) -> None:
    """With ``strict=True``. requests puts the ``Cookie`` header together
    itself, unchecked."""
    app = Recorder()
    client = make_client(app, strict=True)
    message = (
        f"header 'Cookie': {'a=' + value!r} contains a CR, LF or NUL character, which could split it into"
        " several headers"
    )
    result, elapsed = timed(lambda: client.get("/", cookies={"a": value}))
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    client.cookies.set("a", value)  # from the jar: the same
    result, elapsed = timed(lambda: client.get("/"))
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    assert app.scopes == []


@LINE_BREAKS_IN_COOKIES
def test_a_cookie_with_a_line_break_reaches_the_app_by_default(make_client: Any, value: str) -> None:
    """As the old client passed it on, in the one ``cookie`` header."""
    app = Recorder()
    client = make_client(app)
    assert client.get("/", cookies={"a": value}).status_code == 200
    client.cookies.set("a", value)  # from the jar: the same
    assert client.get("/").status_code == 200
    for scope in app.scopes:
        assert [raw for header, raw in scope["headers"] if header == b"cookie"] == [b"a=" + value.encode()]


TWO_COOKIES = pytest.mark.parametrize(
    "name, value",
    [("a", "x; admin=1"), ("a", "x;admin=1"), ("a=1; admin", "1"), ("a=b", "1")],
    ids=["semicolon in value", "no space", "semicolon in name", "equals in name"],
)


@TWO_COOKIES
def test_a_cookie_that_would_read_as_two_is_refused(make_client: Any, name: str, value: str) -> None:
    """With ``strict=True``. requests would send ``Cookie: a=x; admin=1``,
    and the app would read two cookies where the test set one."""
    app = Recorder()
    client = make_client(app, strict=True)
    message = (
        f"cookie {name!r}={value!r} contains ';' (or its name '='), which would make the app read it as more"
        " than one cookie; quote or encode the value"
    )
    result, elapsed = timed(lambda: client.get("/", cookies={name: value}))
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    client.cookies.set(name, value)  # from the jar: the same
    result, elapsed = timed(lambda: client.get("/"))
    assert_refused(result, elapsed, requests.exceptions.InvalidHeader, message)
    assert app.scopes == []


@TWO_COOKIES
def test_a_cookie_that_would_read_as_two_reaches_the_app_by_default(make_client: Any, name: str, value: str) -> None:
    """As requests puts it in the ``Cookie`` header, which the old client passed on."""
    app = Recorder()
    client = make_client(app)
    assert client.get("/", cookies={name: value}).status_code == 200
    client.cookies.set(name, value)  # from the jar: the same
    assert client.get("/").status_code == 200
    for scope in app.scopes:
        assert [raw for header, raw in scope["headers"] if header == b"cookie"] == [f"{name}={value}".encode()]


def test_a_cookie_outside_latin_1_is_refused(make_client: Any) -> None:
    """With ``strict=True``."""
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app, strict=True).get("/", cookies={"a": "☃"}))
    assert_refused(
        result,
        elapsed,
        requests.exceptions.InvalidHeader,
        "header 'Cookie': 'a=☃' has characters outside latin-1; HTTP headers are latin-1, so encode the value"
        " (for example with urllib.parse.quote) before sending it",
    )
    assert app.scopes == []


def test_a_cookie_outside_latin_1_arrives_utf_8_encoded_by_default(make_client: Any) -> None:
    app = Recorder()
    assert make_client(app).get("/", cookies={"a": "☃"}).status_code == 200
    assert dict(app.scopes[-1]["headers"])[b"cookie"] == "a=☃".encode()  # UTF-8


@pytest.mark.parametrize("value", [1, b"bytes"], ids=["int", "bytes"])
def test_a_cookie_that_is_not_a_str_is_refused_as_requests_refuses_it(make_client: Any, value: Any) -> None:
    app = Recorder()
    expected = requests_refusal("GET", "http://testserver/", cookies={"a": value})
    result, elapsed = timed(lambda: make_client(app).get("/", cookies={"a": value}))
    assert_refused(result, elapsed, type(expected), str(expected))
    assert app.scopes == []


def test_a_cookie_name_that_is_not_a_str_is_sent_as_requests_sends_it(make_client: Any) -> None:
    """requests accepts ``cookies={1: "c"}`` and sends ``Cookie: 1=c``;
    nothing in it can read as another cookie, so the client sends it too.
    (Found failing: the client's check for ``;`` raised ``TypeError:
    argument of type 'int' is not iterable``.)"""
    app = Recorder()
    with pytest.raises(AssertionError, match="requests itself accepts"):
        requests_refusal("GET", "http://testserver/", cookies={1: "c"})
    result, elapsed = timed(lambda: make_client(app).get("/", cookies={1: "c"}))
    assert not isinstance(result, BaseException), result
    assert elapsed < PROMPT
    assert dict(app.scopes[-1]["headers"])[b"cookie"] == b"1=c"


# -- bodies -------------------------------------------------------------------------


class _IntReader:
    def read(self, size: int = -1) -> int:
        return 5


BODIES_THE_CLIENT_REFUSES = [
    (
        object,
        "cannot send a request body of type object; use bytes, str, a file object or an iterable of bytes"
        " (data=), or json=, or files=",
    ),
    (
        lambda: 1.5,
        "cannot send a request body of type float; use bytes, str, a file object or an iterable of bytes"
        " (data=), or json=, or files=",
    ),
    (lambda: iter([1]), "each chunk of an iterable request body must be bytes or str, got int: 1"),
    (lambda: iter([b"ok", None]), "each chunk of an iterable request body must be bytes or str, got NoneType: None"),
    (_IntReader, "a request body file's read() must be bytes or str, got int: 5"),
]


@pytest.mark.parametrize("raise_server_exceptions", [True, False], ids=["raise", "no-raise"])
@pytest.mark.parametrize(
    "make_data, message", BODIES_THE_CLIENT_REFUSES, ids=["object", "float", "iter int", "iter None", "read int"]
)
def test_a_body_of_an_unsupported_type_is_refused(
    make_client: Any, make_data: Callable[[], Any], message: str, raise_server_exceptions: bool
) -> None:
    """requests accepts these (it would hand them to the socket); the
    client raises ``TypeError`` in the test, whatever
    ``raise_server_exceptions`` says: it is the test's mistake, not the app's."""
    client = make_client(Recorder(), raise_server_exceptions=raise_server_exceptions, timeout=PROMPT)
    data = make_data()
    with pytest.raises(AssertionError):  # requests itself lets it through
        requests_refusal("POST", "http://testserver/", data=make_data())
    result, elapsed = timed(lambda: client.post("/", data=data))
    assert_refused(result, elapsed, TypeError, message)
    assert client.post("/", data=b"fine").content == b"fine"  # and the client goes on working


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": [1]},
        {"data": "x", "files": {"f": b"x"}},
        {"json": object()},
        {"files": {"f": object()}},
        {"files": {"f": ("name.txt", iter([b"x"]))}},
    ],
    ids=["data list of int", "str data with files", "json object", "files object", "files iterator"],
)
def test_a_body_requests_refuses_is_refused_the_same_way(make_client: Any, kwargs: Dict[str, Any]) -> None:
    app = Recorder()
    expected = requests_refusal("POST", "http://testserver/", **kwargs)
    result, elapsed = timed(lambda: make_client(app).post("/", **kwargs))
    assert_refused(result, elapsed, type(expected), str(expected))
    assert app.scopes == []


def test_a_body_generator_that_fails_is_raised_without_a_hang(make_client: Any) -> None:
    def broken() -> Any:
        yield b"first"
        raise ConnectionResetError("upstream went away")

    client = make_client(Recorder(), raise_server_exceptions=False, timeout=PROMPT)
    result, elapsed = timed(lambda: client.post("/", data=broken()))
    assert_refused(result, elapsed, ConnectionResetError, "upstream went away")
    # and the client goes on working
    assert client.post("/", data=b"fine").content == b"fine"


# -- options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout, message",
    [
        (-1, "Invalid timeout -1: it must be greater than zero"),
        ("5", "Invalid timeout '5': it must be a number of seconds, a tuple or None"),
        (True, "Invalid timeout True: it must be a number of seconds, a tuple or None"),
    ],
    ids=["negative", "str", "bool"],
)
def test_an_invalid_timeout_is_refused(make_client: Any, timeout: Any, message: str) -> None:
    app = Recorder()
    result, elapsed = timed(lambda: make_client(app).get("/", timeout=timeout))
    assert_refused(result, elapsed, ValueError, message)
    assert app.scopes == []
