"""``files=`` bodies: the bytes requests would send, read as they are sent."""

import io
import tracemalloc

import pytest
import requests
import urllib3.filepost

import asgi_testclient._multipart as multipart
from asgi_testclient._multipart import MultipartBody

from .apps import Recorder

BOUNDARY = "fixedboundaryfortests"


@pytest.fixture
def fixed_boundary(monkeypatch):
    monkeypatch.setattr(urllib3.filepost, "choose_boundary", lambda: BOUNDARY)
    monkeypatch.setattr(multipart, "choose_boundary", lambda: BOUNDARY)


def requests_encoding(data, files):
    body, content_type = requests.models.RequestEncodingMixin._encode_files(files, data)
    return body, content_type


CASES = {
    "one file object": lambda: (None, {"f": io.BytesIO(b"contents")}),
    "filename and type": lambda: ({"a": "1"}, {"f": ("name.txt", io.BytesIO(b"x" * 200_000), "text/plain")}),
    "extra part headers": lambda: (None, [("f", ("n.bin", b"\x00\x01", "application/octet-stream", {"X-A": "b"}))]),
    "several, repeated names": lambda: (
        [("field", "é"), ("field", b"raw"), ("n", 3), ("skip", None), ("many", ["a", "b"])],
        [("doc", ("a.txt", io.BytesIO(b"first"))), ("doc", ("b.txt", "second as str")), ("none", None)],
    ),
    "text-mode file": lambda: (None, {"f": io.StringIO("text ü")}),
    "file not at its start": lambda: (None, {"f": _advanced(io.BytesIO(b"skipme|rest"), 7)}),
    "unicode filename": lambda: (None, {"f": ("naïve résumé.pdf", b"%PDF")}),
}


def _advanced(fileobj, offset):
    fileobj.seek(offset)
    return fileobj


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_bytes_and_length_as_requests(fixed_boundary, case):
    data, files = CASES[case]()
    expected, content_type = requests_encoding(*CASES[case]())
    body = MultipartBody(data, files)
    assert body.content_type == content_type
    first = b"".join(body)
    assert first == expected
    assert len(body) == len(expected)
    assert b"".join(body) == expected  # again, as after a rewind


def test_data_must_not_be_a_string():
    with pytest.raises(ValueError, match="Data must not be a string."):
        MultipartBody("a=1", {"f": b"x"})


def test_upload_reaches_the_app_with_content_length(make_client, fixed_boundary):
    app = Recorder()
    client = make_client(app)
    client.post("/", files={"f": ("a.txt", io.BytesIO(b"hello"), "text/plain")}, data={"k": "v"})
    expected, content_type = requests_encoding({"k": "v"}, {"f": ("a.txt", io.BytesIO(b"hello"), "text/plain")})
    headers = dict(app.scope["headers"])
    assert app.body == expected
    assert headers[b"content-type"] == content_type.encode()
    assert headers[b"content-length"] == str(len(expected)).encode()


def test_explicit_content_type_is_kept(make_client):
    app = Recorder()
    make_client(app).post("/", files={"f": b"x"}, headers={"Content-Type": "multipart/mixed; boundary=zz"})
    assert dict(app.scope["headers"])[b"content-type"] == b"multipart/mixed; boundary=zz"


def test_a_large_upload_is_never_held_whole(make_client, tmp_path):
    path = tmp_path / "big.bin"
    size = 64 * 1024 * 1024
    with path.open("wb") as fileobj:
        fileobj.truncate(size)
    received = []

    async def counting_app(scope, receive, send):
        total = 0
        while True:
            message = await receive()
            total += len(message["body"])
            if not message.get("more_body"):
                break
        received.append(total)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = make_client(counting_app)
    client.get("/")
    with path.open("rb") as fileobj:
        tracemalloc.start()
        try:
            client.post("/", files={"upload": ("big.bin", fileobj, "application/octet-stream")})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received[1] > size
    assert peak < 8 * 1024 * 1024


def test_redirect_307_sends_the_body_again(make_client):
    bodies = []

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message["body"]
            if not message.get("more_body"):
                break
        bodies.append(body)
        if scope["path"] == "/first":
            await send({"type": "http.response.start", "status": 307, "headers": [(b"location", b"/second")]})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    response = make_client(app).post("/first", files={"f": io.BytesIO(b"payload")}, allow_redirects=True)
    assert response.status_code == 200
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert b"payload" in bodies[1]
