"""Round trips, as properties (hypothesis): what the test sends is exactly
what the app receives, and what the app sends is exactly what the test gets.

"Exactly" is measured against requests itself: the request the app sees
(method, ``raw_path``, ``query_string``, ``headers``, body) must be the one
requests would put on the wire for the same call (``client.prepare_request``
gives the prepared request, and a multipart body is compared with requests'
own encoding), and, where an independent decoding exists, the decoded
values must be the ones the test passed (the path segments, the query
parameters, the cookies).

Every property holds by default and with ``strict=True``; where the two
differ, as the old requests-based Starlette client differs from a server,
the property says how: header text is UTF-8 by default (the old client's
``str.encode()`` and ``bytes.decode()``) and latin-1 in strict mode (as
over a socket); the last ``http.request`` message has no ``more_body`` key
by default (the old client's) and ``"more_body": False`` in strict mode.

These run on asyncio only, on module-wide clients: the loops are tested
elsewhere, and this keeps 50 examples per property fast (set
``ROUNDTRIP_EXAMPLES`` for more).
"""

import io
import os
import random
import string
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, quote, unquote

import pytest
import requests

from asgi_testclient import TestClient

hypothesis = pytest.importorskip("hypothesis", reason="the round-trip properties need hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: ``ROUNDTRIP_EXAMPLES=1000 pytest tests/reliability/test_roundtrip.py`` for a longer search.
PROPERTY = settings(
    max_examples=int(os.environ.get("ROUNDTRIP_EXAMPLES", "50")),
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

MIB = 1024 * 1024
#: A body of known size up to this many bytes arrives in one message ...
WHOLE_LIMIT = MIB
#: ... and a larger file in chunks of at least this many (the last excepted).
CHUNK_SIZE = 64 * 1024


# -- the apps and their clients ---------------------------------------------------------


class Recording:
    """Records the scope and every ``http.request`` message; answers 200, empty."""

    def __init__(self) -> None:
        self.scope: Dict[str, Any] = {}
        self.messages: List[Dict[str, Any]] = []

    @property
    def body(self) -> bytes:
        return b"".join(message.get("body", b"") for message in self.messages)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope, self.messages = scope, []
        while True:
            message = await receive()
            self.messages.append(message)
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


class Scripted:
    """Sends ``self.script``: ``(status, headers, chunks)``."""

    script: Tuple[int, List[Tuple[bytes, bytes]], List[bytes]] = (200, [], [])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        status, headers, chunks = self.script
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for index, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1})
        if not chunks:
            await send({"type": "http.response.body", "body": b""})


async def _nothing() -> None:
    return None


MODES = {"params": [False, True], "ids": ["default", "strict"]}


@pytest.fixture(scope="module", **MODES)
def recording(request: Any) -> Iterator[Tuple[TestClient, Recording]]:
    app = Recording()
    client = TestClient(app, timeout=30, strict=request.param)
    client.run(_nothing)  # start the loop thread before any test's thread count
    yield client, app
    client.close()


@pytest.fixture(scope="module", **MODES)
def scripted(request: Any) -> Iterator[Tuple[TestClient, Scripted]]:
    app = Scripted()
    client = TestClient(app, timeout=30, strict=request.param)
    client.run(_nothing)
    yield client, app
    client.close()


# -- what requests would put on the wire -------------------------------------------------


def wire(client: TestClient, method: str, url: str, **kwargs: Any) -> requests.PreparedRequest:
    """The request requests would send for ``client.request(method, url, **kwargs)``."""
    return client.prepare_request(requests.Request(method, client._merge_url(url), **kwargs))


def header_encoding(client: TestClient) -> str:
    """How header text becomes bytes: latin-1 in strict mode, as over a
    socket; UTF-8 by default, as the old client encoded and decoded it."""
    return "latin-1" if client.adapter.strict else "utf-8"


def wire_headers(prepared: requests.PreparedRequest, encoding: str) -> List[Tuple[bytes, bytes]]:
    """The prepared headers as the app gets them: lower-cased byte pairs
    (str encoded with ``encoding``), in order, after ``host`` (requests
    lets the connection add the Host header)."""
    headers = [
        (name.lower().encode(encoding), value if isinstance(value, bytes) else value.encode(encoding))
        for name, value in prepared.headers.items()
    ]
    return [(b"host", b"testserver"), *headers]


def last_message(client: TestClient, body: bytes) -> Dict[str, Any]:
    """The last ``http.request`` message: the old client's, without
    ``more_body``, or in strict mode a server's, with ``"more_body": False``."""
    message: Dict[str, Any] = {"type": "http.request", "body": body}
    if client.adapter.strict:
        message["more_body"] = False
    return message


def target(scope: Dict[str, Any]) -> bytes:
    """The request target the app saw: ``raw_path`` plus the query string."""
    query = scope["query_string"]
    return scope["raw_path"] + (b"?" + query if query else b"")


# -- strategies -----------------------------------------------------------------------

TCHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
tokens = st.text(alphabet=TCHARS, min_size=1, max_size=12)

#: Text without surrogates (which cannot be encoded as UTF-8 at all).
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)

#: Path text as a test might write it: unreserved, reserved (but not ? and
#: #, which end the path), percent escapes, spaces and non-ASCII.
raw_path_text = st.lists(
    st.one_of(
        st.sampled_from(list(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/ ")),
        st.sampled_from(["%20", "%2F", "%2f", "%41", "%C3%A9", "%FF", "%", "%zz"]),
        st.characters(min_codepoint=0xA0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
    ),
    max_size=25,
).map("".join)

LATIN_1_PRINTABLE = "".join(chr(code) for code in list(range(0x20, 0x7F)) + list(range(0xA0, 0x100)))
header_values = st.text(alphabet=LATIN_1_PRINTABLE, max_size=30).filter(lambda value: not value[:1].isspace())

#: RFC 6265 cookie-octets (no space, quote, comma, semicolon or backslash).
COOKIE_OCTETS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')
cookie_names = st.text(alphabet=TCHARS, min_size=1, max_size=10).filter(lambda name: not name.startswith("$"))
cookie_values = st.text(alphabet=COOKIE_OCTETS, max_size=20)


@st.composite
def big_bytes(draw: Any, max_size: int = MIB, edges: Sequence[int] = ()) -> bytes:
    """Up to ``max_size`` bytes, sizes at the edges (and ``edges``) included;
    the content is pseudo-random (drawing a MiB through hypothesis itself is
    too slow)."""
    sizes = [size for size in [0, 1, 65535, 65536, 65537, *edges, max_size] if size <= max_size]
    size = draw(st.one_of(st.sampled_from(sizes), st.integers(0, max_size)))
    seed = draw(st.integers(0, 2**32 - 1))
    return random.Random(seed).getrandbits(8 * size).to_bytes(size, "little") if size else b""


bodies = st.one_of(st.binary(max_size=2048), big_bytes())


# -- requests: method, path, query, headers, cookies ---------------------------------------


@PROPERTY
@given(
    method=tokens,
    segments=st.lists(texts.filter(lambda segment: segment not in (".", "..")), max_size=5),
    params=st.lists(st.tuples(texts, texts), max_size=6),
)
def test_method_path_and_query_arrive_exactly(
    recording: Tuple[TestClient, Recording], method: str, segments: List[str], params: List[Tuple[str, str]]
) -> None:
    client, app = recording
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    url = "http://testserver" + path
    prepared = wire(client, method, url, params=params)
    client.request(method, url, params=params)
    scope = app.scope
    assert scope["method"] == method.upper()  # requests upper-cases the method
    assert target(scope) == prepared.path_url.encode("ascii")
    # decoded independently of requests: the segments and the parameters
    assert scope["path"] == "/" + "/".join(segments)
    assert scope["raw_path"] == path.encode("ascii")
    assert parse_qsl(scope["query_string"].decode("ascii"), keep_blank_values=True) == params


@PROPERTY
@given(path=raw_path_text, query=st.one_of(st.none(), raw_path_text))
def test_paths_written_by_hand_arrive_as_requests_sends_them(
    recording: Tuple[TestClient, Recording], path: str, query: Optional[str]
) -> None:
    """Reserved characters, stray ``%``, spaces and non-ASCII, unquoted: the
    app gets the target requests would send, and ``path`` is its decoding."""
    client, app = recording
    url = "http://testserver/" + path + ("" if query is None else "?" + query)
    prepared = wire(client, "GET", url)
    client.get(url)
    scope = app.scope
    assert target(scope) == prepared.path_url.encode("ascii")
    assert b"?" not in scope["raw_path"]
    assert scope["path"] == unquote(scope["raw_path"].decode("ascii"))


def _unique_headers(prefix: str, max_size: int) -> Any:
    """Header dicts with names unique whatever their case (requests merges
    names that differ only in case)."""
    return st.lists(
        st.tuples(tokens.map(lambda name: prefix + name), header_values),
        max_size=max_size,
        unique_by=lambda pair: pair[0].lower(),
    ).map(dict)


@PROPERTY
@given(headers=_unique_headers("X-", 8), session_headers=_unique_headers("X-Session-", 3))
def test_headers_arrive_exactly(
    recording: Tuple[TestClient, Recording], headers: Dict[str, str], session_headers: Dict[str, str]
) -> None:
    client, app = recording
    client.headers.update(session_headers)
    try:
        prepared = wire(client, "GET", "/", headers=headers)
        client.get("/", headers=headers)
    finally:
        for name in session_headers:
            del client.headers[name]
    encoding = header_encoding(client)
    received = app.scope["headers"]
    assert received == wire_headers(prepared, encoding)
    by_name: Dict[bytes, List[bytes]] = {}
    for name, value in received:
        by_name.setdefault(name, []).append(value)
    # a header of the call replaces the session's of the same name, whatever the case
    expected = {name.lower(): value for name, value in session_headers.items()}
    expected.update((name.lower(), value) for name, value in headers.items())
    for name, value in expected.items():
        assert by_name[name.encode(encoding)] == [value.encode(encoding)]


@PROPERTY
@given(
    jar=st.dictionaries(cookie_names, cookie_values, max_size=5),
    per_request=st.dictionaries(cookie_names, cookie_values, max_size=5),
)
def test_cookies_arrive_exactly(
    recording: Tuple[TestClient, Recording], jar: Dict[str, str], per_request: Dict[str, str]
) -> None:
    client, app = recording
    client.cookies.clear()
    for name, value in jar.items():
        client.cookies.set(name, value)
    try:
        prepared = wire(client, "GET", "/", cookies=per_request)
        client.get("/", cookies=per_request)
    finally:
        client.cookies.clear()
    assert app.scope["headers"] == wire_headers(prepared, header_encoding(client))
    cookie_headers = [value for name, value in app.scope["headers"] if name == b"cookie"]
    expected = {**jar, **per_request}
    if not expected:
        assert cookie_headers == []
        return
    assert len(cookie_headers) == 1
    received = dict(pair.partition("=")[::2] for pair in cookie_headers[0].decode("latin-1").split("; "))
    assert received == expected


# -- request bodies -----------------------------------------------------------------------


def _split(data: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[start:end] for start, end in zip(edges, edges[1:])]


#: Sizes around the largest body sent in one message, up to 2 MiB.
LARGE_SIZES = [WHOLE_LIMIT - 1, WHOLE_LIMIT, WHOLE_LIMIT + 1, WHOLE_LIMIT + CHUNK_SIZE + 1, 2 * MIB]


@PROPERTY
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]),
    body=st.one_of(bodies, big_bytes(max_size=2 * MIB, edges=LARGE_SIZES)),
    as_file=st.booleans(),
)
def test_bytes_and_file_bodies_arrive_exactly(
    recording: Tuple[TestClient, Recording], method: str, body: bytes, as_file: bool
) -> None:
    """Bytes of any size (already in memory), and a file of up to 1 MiB,
    arrive in one message, as the old client sent a body; a larger file
    streams in chunks of at least 64 KiB (the last excepted), then an empty
    last message."""
    client, app = recording
    data: Any = io.BytesIO(body) if as_file else body
    prepared = wire(client, method, "/", data=io.BytesIO(body) if as_file else body)
    client.request(method, "/", data=data)
    assert app.body == body
    assert app.scope["headers"] == wire_headers(prepared, header_encoding(client))
    if not as_file or len(body) <= WHOLE_LIMIT:
        assert app.messages == [last_message(client, body)]
        return
    *chunks, last = app.messages
    assert last == last_message(client, b"")
    assert all(message == {"type": "http.request", "body": message["body"], "more_body": True} for message in chunks)
    assert all(len(message["body"]) >= CHUNK_SIZE for message in chunks[:-1])
    assert chunks[-1]["body"]


@PROPERTY
@given(
    body=bodies,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    as_text=st.booleans(),
    as_generator=st.booleans(),
)
def test_chunked_bodies_arrive_exactly_and_chunk_by_chunk(
    recording: Tuple[TestClient, Recording], body: bytes, cuts: List[int], as_text: bool, as_generator: bool
) -> None:
    """Each chunk is one message with ``more_body: True``, in order, then an
    empty last message. A generator's every chunk, empty ones included, as
    the old client sent them; another iterator's non-empty chunks."""
    client, app = recording
    chunks = _split(body, cuts)
    sent: List[Any] = [chunk.hex() for chunk in chunks] if as_text else chunks

    def data() -> Iterator[Any]:
        return (chunk for chunk in sent) if as_generator else iter(sent)

    prepared = wire(client, "POST", "/", data=data())
    client.post("/", data=data())
    expected_chunks = [chunk.encode() if isinstance(chunk, str) else chunk for chunk in sent]
    assert app.body == b"".join(expected_chunks)
    assert app.scope["headers"] == wire_headers(prepared, header_encoding(client))
    assert dict(app.scope["headers"])[b"transfer-encoding"] == b"chunked"
    expected = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in expected_chunks if chunk or as_generator
    ]
    assert app.messages == [*expected, last_message(client, b"")]


@PROPERTY
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200))
def test_str_bodies_arrive_as_utf_8(recording: Tuple[TestClient, Recording], text: str) -> None:
    client, app = recording
    encoded = text.encode("utf-8")
    prepared = wire(client, "POST", "/", data=text)
    client.post("/", data=text)
    assert app.body == encoded
    assert app.scope["headers"] == wire_headers(prepared, header_encoding(client))
    assert app.messages == [last_message(client, encoded)]


file_names = st.text(alphabet=string.ascii_letters + string.digits + "._- ", min_size=1, max_size=12)
field_names = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)


@PROPERTY
@given(
    fields=st.lists(st.tuples(field_names, texts), max_size=4),
    files=st.lists(
        st.tuples(
            field_names,
            file_names,
            st.one_of(st.binary(max_size=512), big_bytes(max_size=256 * 1024)),
            st.one_of(st.none(), st.sampled_from(["text/plain", "application/octet-stream", "image/png"])),
            st.booleans(),  # sent as a file object, or as bytes
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_forms_with_files_arrive_as_requests_encodes_them(
    recording: Tuple[TestClient, Recording], fields: List[Tuple[str, str]], files: List[Any]
) -> None:
    client, app = recording

    def file_list(as_objects: bool) -> List[Any]:
        result = []
        for field, filename, content, content_type, as_file in files:
            data = io.BytesIO(content) if as_file and as_objects else content
            result.append((field, (filename, data) if content_type is None else (filename, data, content_type)))
        return result

    client.post("/", data=fields, files=file_list(as_objects=True))
    content_type = dict(app.scope["headers"])[b"content-type"].decode("latin-1")
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.partition("boundary=")[2]
    # requests' own encoding of the same form, with our boundary
    expected, requests_type = requests.models.RequestEncodingMixin._encode_files(file_list(as_objects=False), fields)
    requests_boundary = requests_type.partition("boundary=")[2]
    expected = expected.replace(requests_boundary.encode(), boundary.encode())
    assert app.body == expected
    assert dict(app.scope["headers"])[b"content-length"] == str(len(expected)).encode()
    for _, _, content, _, _ in files:
        assert content in app.body


# -- responses -----------------------------------------------------------------------------

#: Header names that change how the body is read are left to their own tests.
_FRAMING = {"content-length", "content-encoding", "transfer-encoding"}
response_header_names = st.one_of(
    st.sampled_from(["X-Dup", "x-dup", "X-DUP", "Set-Cookie", "Vary", "Link"]),
    tokens.filter(lambda name: name.lower() not in _FRAMING),
)
response_header_values = st.text(alphabet=LATIN_1_PRINTABLE, max_size=30).map(str.strip)
#: Any printable text, for values the app encodes as UTF-8.
response_header_texts = st.text(alphabet=st.characters(categories=("L", "N", "P", "S")), max_size=20)


def read_header(client: TestClient, raw: bytes) -> str:
    """The text the test reads for header bytes ``raw``: in strict mode
    latin-1, as requests reads a socket; by default UTF-8 where the bytes
    are UTF-8, as the old client read them, and latin-1 where they are not."""
    if not client.adapter.strict:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


@PROPERTY
@given(
    status=st.integers(100, 599),
    headers=st.lists(
        st.one_of(
            st.tuples(response_header_names, response_header_values, st.just("latin-1")),
            st.tuples(response_header_names, response_header_texts, st.just("utf-8")),
        ),
        max_size=10,
    ),
    chunks=st.lists(st.one_of(st.binary(max_size=1024), big_bytes(max_size=128 * 1024)), max_size=6),
    declare_length=st.booleans(),
    stream=st.booleans(),
)
def test_responses_arrive_exactly(
    scripted: Tuple[TestClient, Scripted],
    status: int,
    headers: List[Tuple[str, str, str]],
    chunks: List[bytes],
    declare_length: bool,
    stream: bool,
) -> None:
    """Header values the app encodes as latin-1 or UTF-8 read back as
    :func:`read_header` says; the body byte for byte."""
    client, app = scripted
    # 1xx, 204 and 304 responses have no body: one the app sends anyway is
    # dropped, as requests over a socket would never read it.
    bodiless = status < 200 or status in (204, 304)
    raw = [(name.encode("latin-1"), value.encode(encoding)) for name, value, encoding in headers]
    body = b"".join(chunks)
    if declare_length:
        raw.append((b"content-length", str(len(body)).encode()))
    app.script = (status, raw, chunks)
    response = client.get("/", allow_redirects=False, stream=stream)
    content = b"".join(response.iter_content(None)) if stream else response.content
    assert response.status_code == status
    assert content == (b"" if bodiless else body)
    expected_names = {name.lower() for name, _ in raw}
    assert {name.lower() for name in response.raw.headers} == {name.decode("latin-1") for name in expected_names}
    for name in expected_names:
        values = [read_header(client, value) for header, value in raw if header.lower() == name]
        assert response.raw.headers.getlist(name.decode("latin-1")) == values
        assert response.headers[name.decode("latin-1")] == ", ".join(values)


@PROPERTY
@given(
    status=st.integers(200, 599).filter(lambda status: status not in (204, 304)),
    chunks=st.lists(st.binary(max_size=512), max_size=5),
)
def test_head_responses_have_no_body_whatever_the_app_sends(
    scripted: Tuple[TestClient, Scripted], status: int, chunks: List[bytes]
) -> None:
    client, app = scripted
    length = str(len(b"".join(chunks))).encode()
    app.script = (status, [(b"content-length", length)], chunks)
    response = client.head("/")
    assert (response.status_code, response.content) == (status, b"")
    assert response.headers["content-length"] == length.decode()
