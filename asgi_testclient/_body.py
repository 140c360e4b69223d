"""Request bodies: what requests prepared, as chunks for ``http.request``.

``PreparedRequest.body`` is ``None``, ``bytes``, ``str``, a file object or
any other iterable (a generator, say). The old client sent every body it
could send in one ``http.request`` message, and apps depend on that: a
body-size limit or a form parser takes another path when the first chunk
is small. So bytes and str (already in memory, whatever their size) arrive
in one message, and so does a body that has to be read of known size up to
:data:`WHOLE_LIMIT` (a file object, or a ``files=`` upload, whose size
requests puts in ``Content-Length``).

Larger ones are read lazily, in chunks of at least :data:`CHUNK_SIZE`, one
chunk per ``receive()`` of the app, so that a body of any size is never held
whole in memory. A generator is sent as it yields, one message a chunk, as
the old client sent it. The chunks are read on the loop thread, when the
app asks for them.
"""

import types
from typing import Any, Iterable, Iterator, Optional, Tuple, Union

from ._types import Message

#: Bytes read from a file object at a time, and the least a chunk of a
#: large body carries (the last excepted).
CHUNK_SIZE = 64 * 1024

#: Bodies of known size up to this many bytes are sent in one message.
WHOLE_LIMIT = 1024 * 1024

Body = Union[bytes, "ReadWhole", Iterator[bytes]]


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


def _iterate(chunks: Iterable[Any], keep_empty: bool) -> Iterator[bytes]:
    for chunk in chunks:
        data = _as_bytes(chunk, "each chunk of an iterable request body")
        if data or keep_empty:
            yield data


def _at_least(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` joined into pieces of at least ``size`` bytes (the last may be shorter)."""
    pending = []
    pending_size = 0
    for chunk in chunks:
        pending.append(chunk)
        pending_size += len(chunk)
        if pending_size >= size:
            yield pending[0] if len(pending) == 1 else b"".join(pending)
            pending, pending_size = [], 0
    if pending_size:
        yield b"".join(pending)


class ReadWhole:
    """A body of known, small size, read whole when the app first asks (on
    the loop thread, not while the test waits to send)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    def read(self) -> bytes:
        return b"".join(self._chunks)


class _Lazy:
    """An iterator that starts ``make(source)`` at the first chunk asked for."""

    def __init__(self, make: Any, source: Any) -> None:
        self._make = make
        self._source = source
        self._chunks: Optional[Iterator[bytes]] = None

    def __iter__(self) -> "_Lazy":
        return self

    def __next__(self) -> bytes:
        if self._chunks is None:
            self._chunks = self._make(self._source)
        return next(self._chunks)


def request_body(body: Any, length: Optional[int] = None) -> Body:
    """``body`` as bytes, or as an iterator of byte chunks.

    ``length`` is the body's ``Content-Length``, if the request has one. A
    body up to :data:`WHOLE_LIMIT` bytes long comes back whole: as bytes, or
    as a :class:`ReadWhole` when it has to be read first. Raises
    ``TypeError`` naming the type for a body that is none of the kinds
    requests can send.
    """
    if body is None:
        return b""
    if isinstance(body, (bytes, str, bytearray, memoryview)):
        return _as_bytes(body, "the request body")
    whole = length is not None and length <= WHOLE_LIMIT
    if hasattr(body, "read"):
        if whole:
            return ReadWhole(_Lazy(_read_file, body))
        return _Lazy(lambda source: _at_least(_read_file(source), CHUNK_SIZE), body)
    if isinstance(body, types.GeneratorType):
        # Each chunk as the generator yields it, empty ones included.
        return _iterate(body, keep_empty=True)
    if isinstance(body, Iterable) and not isinstance(body, dict):
        if whole:
            return ReadWhole(_iterate(body, keep_empty=False))
        if length is not None:  # a files= upload: its parts joined into large chunks
            return _Lazy(lambda source: _at_least(_iterate(source, keep_empty=False), CHUNK_SIZE), body)
        return _iterate(body, keep_empty=False)
    raise TypeError(
        f"cannot send a request body of type {type(body).__name__}; use bytes, str,"
        " a file object or an iterable of bytes (data=), or json=, or files="
    )


def request_message(body: Body, strict: bool) -> Tuple[Message, bool]:
    """The next ``http.request`` message of ``body``, and whether it is the
    last; raises what reading the test's body (a file, an iterator) raised."""
    if isinstance(body, ReadWhole):
        body = body.read()
    chunk = body if isinstance(body, bytes) else next(body, None)
    if chunk is not None and not isinstance(body, bytes):
        return {"type": "http.request", "body": chunk, "more_body": True}, False
    # The last message as the old client sent it: no "more_body" (it
    # defaults to False); a server spells it out.
    message: Message = {"type": "http.request", "body": chunk or b""}
    if strict:
        message["more_body"] = False
    return message, True
