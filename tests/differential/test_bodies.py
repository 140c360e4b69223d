"""Request bodies: what reaches the app's ``receive()`` for every kind of
``data=``, ``json=`` and ``files=``, message by message."""

import io
from unittest import mock

import pytest

from ._apps import echo
from ._harness import Allowed, Opaque, Raised, compare, describe, run_both

MIB = 1024 * 1024


def check(backend, scenario, allowed=()):
    old, new = run_both(echo, scenario, backend=backend)
    compare(old, new, allowed)
    return old, new


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": b"raw bytes"},
        {"data": "text é"},
        {"data": {"a": "1", "b": ["2", "3"], "é": "ü"}},
        {"data": [("k", "v1"), ("k", "v2")]},
        {"data": {}},
        {"data": b""},
        {"json": {"a": [1, 2], "é": None}},
        {"json": "string"},
        {"json": None},
        {"data": b"x", "headers": {"Content-Type": "application/octet-stream"}},
        {"data": b"x" * MIB},
    ],
    ids=lambda kwargs: "-".join(f"{k}={type(v).__name__}" for k, v in kwargs.items()),
)
def test_known_size_bodies_arrive_in_one_message(backend, kwargs):
    old, _ = check(backend, lambda client: describe(client.post("/", **kwargs)))
    assert old.calls[0]["events"][0] == ("receive", {"type": "http.request", "body": old.result["body"]})


@pytest.mark.parametrize(
    "files",
    [
        {"file": io.BytesIO(b"content")},
        {"file": ("name.txt", io.BytesIO(b"content"))},
        {"file": ("name.txt", b"bytes content", "text/plain")},
        {"file": ("name.bin", "str content", "application/octet-stream", {"X-Part": "1"})},
        {"file": (None, "field value")},
        [("many", ("a.txt", b"a")), ("many", ("b.txt", b"b"))],
        {"é": ("ü.txt", b"unicode names")},
    ],
)
@pytest.mark.parametrize("data", [None, {"field": "value", "list": ["1", "2"]}])
def test_multipart_bodies(backend, files, data, monkeypatch):
    # requests draws the boundary from os.urandom: the same bytes for both runs.
    monkeypatch.setattr("os.urandom", lambda n: b"\x01" * n)

    def scenario(client):
        for value in files.values() if isinstance(files, dict) else []:
            for part in value if isinstance(value, tuple) else [value]:
                if isinstance(part, io.BytesIO):
                    part.seek(0)  # the same file objects serve both runs
        return describe(client.post("/upload", data=data, files=files))

    check(backend, scenario)


def test_generator_body_one_message_per_chunk(backend):
    def scenario(client):
        def chunks():
            yield b"one"
            yield "two"
            yield b""
            yield b"four"

        return describe(client.post("/", data=chunks()))

    old, _ = check(backend, scenario)
    assert [event for _, event in old.calls[0]["events"][:5]] == [
        {"type": "http.request", "body": b"one", "more_body": True},
        {"type": "http.request", "body": b"two", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"four", "more_body": True},
        {"type": "http.request", "body": b""},
    ]


def _body_object_streamed(type_name: str, content: bytes) -> Allowed:
    """ALLOWED_BODY_OBJECT_STREAMED (difference 5): given a file object or a
    non-generator iterable, the old client handed the object itself to the
    app as ``body`` (which then failed); ours sends its bytes."""

    def check(old, new):
        opaque = Opaque(type_name.rpartition(".")[2])
        assert old.calls[0]["events"][0] == ("receive", {"type": "http.request", "body": opaque})
        assert old.result == Raised("TypeError", f"can't concat {type_name} to bytes")
        received = [event for kind, event in new.calls[0]["events"] if kind == "receive"]
        assert b"".join(event["body"] for event in received) == content == new.result["body"]
        # The scopes are still compared.
        old.calls[0]["events"] = new.calls[0]["events"] = []
        new.result = old.result

    return Allowed("ALLOWED_BODY_OBJECT_STREAMED", check)


@pytest.mark.parametrize(
    ("make_body", "type_name"),
    [
        (lambda: io.BytesIO(b"file content " * 10), "_io.BytesIO"),
        (lambda: iter([b"file content "] * 10), "list_iterator"),
    ],
    ids=["file", "iterator"],
)
def test_body_object_is_streamed(backend, make_body, type_name):
    old, new = run_both(echo, lambda client: describe(client.post("/", data=make_body())), backend=backend)
    compare(old, new, [_body_object_streamed(type_name, b"file content " * 10)])


def test_large_bytes_body_arrives_whole(backend):
    # Bytes are in memory already: one message, as the old client sent it.
    content = bytes(range(256)) * (5 * MIB // 256 + 7)
    check(backend, lambda client: describe(client.post("/", data=content)))


def test_large_upload_arrives_in_chunks_of_at_least_64_kib(backend):
    content = bytes(range(256)) * (5 * MIB // 256 + 7)

    def large_body_chunks(old, new):
        """ALLOWED_LARGE_BODY_CHUNKS: a files= upload over 1 MiB is read
        from its file as the app asks, in chunks of at least 64 KiB; the old
        client built the whole body in memory and sent one message."""
        old_messages = [e for k, e in old.calls[0]["events"] if k == "receive"]
        new_messages = [e for k, e in new.calls[0]["events"] if k == "receive"]
        assert len(old_messages) == 1 and "more_body" not in old_messages[0]
        assert len(new_messages) > 2
        assert b"".join(m["body"] for m in new_messages) == old_messages[0]["body"]
        assert all(len(m["body"]) >= 64 * 1024 and m["more_body"] is True for m in new_messages[:-2])
        assert new_messages[-1] == {"type": "http.request", "body": b""}
        new.calls[0]["events"] = old.calls[0]["events"]

    def scenario(client):
        # The same boundary on both, so that the bodies can be compared.
        with mock.patch("urllib3.filepost.choose_boundary", return_value="b0undary"), mock.patch(
            "asgi_testclient._multipart.choose_boundary", return_value="b0undary"
        ):
            return describe(client.post("/", files={"upload": ("big.bin", io.BytesIO(content))}))

    old, new = run_both(echo, scenario, backend=backend)
    compare(old, new, [Allowed("ALLOWED_LARGE_BODY_CHUNKS", large_body_chunks)])
