"""Request bodies: what requests prepared, as chunks for ``http.request``.

``PreparedRequest.body`` is ``None``, ``bytes``, ``str``, a file object or
any other iterable (a generator, say). Bytes are sent as one message;
file objects and iterables are read lazily, one chunk per ``receive()`` of
the app, so a body of any size is never held whole in memory. The chunks
are read on the loop thread, when the app asks for them.
"""

from typing import Any, Iterable, Iterator, Union

#: Bytes read from a file object per ``http.request`` message.
CHUNK_SIZE = 64 * 1024

Body = Union[bytes, Iterator[bytes]]


def _as_bytes(chunk: Any, what: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"{what} must be bytes or str, got {type(chunk).__name__}: {chunk!r:.80}")


def _read_file(fileobj: Any) -> Iterator[bytes]:
    while True:
        chunk = fileobj.read(CHUNK_SIZE)
        if not chunk:
            return
        yield _as_bytes(chunk, "a request body file's read()")


def _iterate(chunks: Iterable[Any]) -> Iterator[bytes]:
    for chunk in chunks:
        data = _as_bytes(chunk, "each chunk of an iterable request body")
        if data:
            yield data


def request_body(body: Any) -> Body:
    """``body`` as bytes, or as an iterator of non-empty byte chunks.

    Raises ``TypeError`` naming the type for a body that is none of the
    kinds requests can send.
    """
    if body is None:
        return b""
    if isinstance(body, (bytes, str, bytearray, memoryview)):
        return _as_bytes(body, "the request body")
    if hasattr(body, "read"):
        return _read_file(body)
    if isinstance(body, Iterable) and not isinstance(body, dict):
        return _iterate(body)
    raise TypeError(
        f"cannot send a request body of type {type(body).__name__}; use bytes, str,"
        " a file object or an iterable of bytes (data=), or json=, or files="
    )
