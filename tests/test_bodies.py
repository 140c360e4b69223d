"""Request bodies: everything requests can send reaches the app unchanged."""

import io
import json
import tracemalloc

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .apps import Recorder


def test_no_body_is_one_empty_request_message(make_client):
    app = Recorder()
    make_client(app).get("/")
    # The old client's message: "more_body" left out (it defaults to False).
    assert app.messages == [{"type": "http.request", "body": b""}]
    app = Recorder()
    make_client(app, strict=True).get("/")
    assert app.messages == [{"type": "http.request", "body": b"", "more_body": False}]


@pytest.mark.parametrize("kind", ["bytes", "str", "json", "form", "file", "files", "files tuple"])
def test_a_body_up_to_1_mib_arrives_in_one_message(make_client, tmp_path, kind):
    payload = bytes(range(256)) * 4096  # exactly 1 MiB
    path = tmp_path / "upload.bin"
    path.write_bytes(payload if kind != "files" else payload[:-300])  # room for the multipart framing
    app = Recorder()
    client = make_client(app)
    with path.open("rb") as fileobj:
        arguments = {
            "bytes": {"data": payload},
            "str": {"data": "é" * 1000},
            "json": {"json": {"a": "b" * 1000}},
            "form": {"data": {"a": "b" * 1000}},
            "file": {"data": fileobj},
            "files": {"files": {"upload": fileobj}},
            "files tuple": {"files": {"upload": ("name.txt", b"small", "text/plain")}, "data": {"x": "y"}},
        }[kind]
        client.post("/", **arguments)
    assert len(app.messages) == 1
    assert app.messages[0]["type"] == "http.request"
    assert "more_body" not in app.messages[0]
    if kind != "str":  # requests before 2.32 counts a str's characters, not its bytes
        assert len(app.body) == int(dict(app.scope["headers"])[b"content-length"])


def test_bytes_str_json_and_form_bodies(make_client):
    app = Recorder()
    client = make_client(app)
    client.post("/", data=b"\x00\xffraw")
    assert app.body == b"\x00\xffraw"
    client.post("/", data="héllo")
    assert app.body == "héllo".encode()
    client.post("/", json={"a": [1, 2], "b": "é"})
    assert json.loads(app.body) == {"a": [1, 2], "b": "é"}
    assert dict(app.scope["headers"])[b"content-type"] == b"application/json"
    client.post("/", data={"name": "x y", "n": ["1", "2"]})
    assert app.body == b"name=x+y&n=1&n=2"
    assert dict(app.scope["headers"])[b"content-type"] == b"application/x-www-form-urlencoded"


def test_generator_body_arrives_chunk_by_chunk(make_client):
    app = Recorder()

    def chunks():
        yield b"one"
        yield "two"
        yield b""
        yield bytearray(b"three")

    make_client(app).post("/", data=chunks())
    # As the old client sent a generator: every chunk as it was yielded,
    # the empty one too, then an empty last message.
    assert app.messages == [
        {"type": "http.request", "body": b"one", "more_body": True},
        {"type": "http.request", "body": b"two", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"three", "more_body": True},
        {"type": "http.request", "body": b""},
    ]
    assert dict(app.scope["headers"])[b"transfer-encoding"] == b"chunked"


@pytest.mark.parametrize("kind", ["file", "files"])
def test_a_body_over_1_mib_is_read_in_chunks_of_at_least_64_kib(make_client, tmp_path, kind):
    path = tmp_path / "upload.bin"
    payload = bytes(range(256)) * 4097  # 1 MiB and 256 bytes
    path.write_bytes(payload)
    app = Recorder()
    with path.open("rb") as fileobj:
        make_client(app).put("/", **({"data": fileobj} if kind == "file" else {"files": {"f": fileobj}}))
    if kind == "file":
        assert app.body == payload
    else:
        assert payload in app.body
    sizes = [len(message["body"]) for message in app.messages]
    assert len(sizes) > 2
    assert all(size >= 64 * 1024 for size in sizes[:-2])  # then the rest, then the empty last one
    assert sizes[-1] == 0
    assert all(message["more_body"] for message in app.messages[:-1])
    assert dict(app.scope["headers"])[b"content-length"] == str(len(app.body)).encode()


def test_large_generator_body_is_never_held_whole(make_client):
    """64 MiB sent from a generator while the app counts it: the peak of
    traced memory stays far below the body size."""
    total = 64 * 1024 * 1024
    block = b"x" * (256 * 1024)
    received = []

    async def counting_app(scope, receive, send):
        size = 0
        while True:
            message = await receive()
            size += len(message["body"])
            if not message.get("more_body"):
                break
        received.append(size)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = make_client(counting_app)
    client.get("/")  # start the loop before measuring
    tracemalloc.start()
    try:
        client.post("/", data=(block for _ in range(total // len(block))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == [0, total]
    assert peak < 8 * 1024 * 1024


def test_body_of_unsupported_type_is_refused(make_client):
    client = make_client(Recorder())
    with pytest.raises(TypeError, match="each chunk of an iterable request body must be bytes or str, got int"):
        client.post("/", data=iter([b"a", 3]))


def test_error_in_the_body_generator_is_raised_in_the_test(make_client):
    def broken():
        yield b"a"
        raise ValueError("generator broke")

    client = make_client(Recorder(), raise_server_exceptions=False)
    with pytest.raises(ValueError, match="generator broke"):
        client.post("/", data=broken())


def starlette_files_app():
    async def upload(request: Request) -> JSONResponse:
        result = {}
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, str):
                    result.setdefault(key, []).append(value)
                    continue
                result.setdefault(key, []).append(
                    {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "content": (await value.read()).decode(),
                        "x-extra": value.headers.get("x-extra"),
                    }
                )
        return JSONResponse(result)

    return Starlette(routes=[Route("/upload", upload, methods=["POST"])])


def test_files_single_several_tuples_and_fields(make_client):
    client = make_client(starlette_files_app())
    response = client.post(
        "/upload",
        files=[
            ("single", io.BytesIO(b"plain")),
            ("doc", ("a.txt", io.BytesIO(b"first"), "text/plain")),
            ("doc", ("b.csv", b"x,y", "text/csv", {"X-Extra": "yes"})),
        ],
        data={"field": "value"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "field": ["value"],
        "single": [{"filename": "single", "content_type": None, "content": "plain", "x-extra": None}],
        "doc": [
            {"filename": "a.txt", "content_type": "text/plain", "content": "first", "x-extra": None},
            {"filename": "b.csv", "content_type": "text/csv", "content": "x,y", "x-extra": "yes"},
        ],
    }


def test_files_as_a_dict(make_client):
    client = make_client(starlette_files_app())
    response = client.post("/upload", files={"f": ("name.bin", b"\x01\x02", "application/octet-stream")})
    assert response.json()["f"][0]["filename"] == "name.bin"


def test_params_and_query_in_url_are_merged(make_client):
    app = Recorder()
    make_client(app).get("/search?a=1", params={"b": "2 3", "c": "é"})
    assert app.scope["query_string"] == b"a=1&b=2+3&c=%C3%A9"
