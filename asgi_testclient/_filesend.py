"""The two extensions that make a file the response body: path send and zero-copy send.

A server hands the file to the kernel; the client reads it in chunks of
:data:`FILE_CHUNK` bytes on the loop thread, inside the app's ``send()``,
and passes each on as if the app had sent it in an ``http.response.body``
message. So the body is read with the same backpressure as any other: a
streamed 200 MiB file never has more than a few chunks in memory, and the
app's ``send()`` returns once the file has been handed over, as it does
behind a server.

Everything that makes the message unusable (a relative path, a missing
file, a closed descriptor) is found before ``send()`` returns, and raised
as :class:`ASGIProtocolError` from it and in the test.
"""

import dataclasses
import os
import stat
from typing import TYPE_CHECKING, Any, Optional

from ._exceptions import ASGIProtocolError
from ._native import native
from ._types import Message

if TYPE_CHECKING:  # pragma: no cover
    from ._exchange import HTTPExchange

#: Bytes read from a file at a time.
FILE_CHUNK = 256 * 1024


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    # Windows: no pread; keep the descriptor's own position as it was.
    position = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)
    finally:
        os.lseek(fd, position, os.SEEK_SET)


@dataclasses.dataclass
class FileSend:
    """Hands a file's bytes to the exchange; awaited by ``send()`` as it
    would await the space to send a body chunk."""

    exchange: "HTTPExchange"
    #: The message, for errors.
    what: str
    fd: int
    #: Where the next read starts; None reads at the descriptor's position,
    #: moving it.
    offset: Optional[int]
    count: Optional[int]
    more_body: bool
    #: Whether the descriptor is the client's to close (path send).
    owned: bool
    #: A file object whose position follows the bytes sent (zero-copy send
    #: without an offset).
    fileobj: Any = None

    def _read(self, size: int) -> bytes:
        offset = self.offset
        if offset is None:
            return os.read(self.fd, size)
        data = _pread(self.fd, size, offset)
        self.offset = offset + len(data)
        if self.fileobj is not None:
            self.fileobj.seek(self.offset)
        return data

    async def wait(self) -> None:
        exchange = self.exchange
        try:
            if not exchange.bodiless:
                await self._send_chunks()
            event = exchange.deliver(b"", self.more_body)
        finally:
            if self.owned:
                os.close(self.fd)
        if event is not None:
            await event.wait()

    async def _send_chunks(self) -> None:
        exchange = self.exchange
        left = self.count
        while left is None or left > 0:
            size = FILE_CHUNK if left is None else min(FILE_CHUNK, left)
            try:
                data = self._read(size)
            except OSError as exc:
                raise ASGIProtocolError(f"{self.what}: reading the file failed: {exc}") from exc
            if not data:
                return
            if left is not None:
                left -= len(data)
            event = exchange.deliver(data, True)
            if event is not None:
                await event.wait()
            else:
                # Without a streaming reader nothing waits: still let the
                # loop run (and a cancellation in) between chunks.
                await native.checkpoint()
            if exchange.disconnected:
                return  # the client has gone: the rest would be dropped


def path_send(exchange: "HTTPExchange", message: Message) -> FileSend:
    """The file named by an ``http.response.pathsend`` message, opened."""
    path = message.get("path")
    if not isinstance(path, str) and (exchange.strict or not isinstance(path, os.PathLike)):
        raise ASGIProtocolError(
            f"'http.response.pathsend' message needs a str 'path', got {message!r:.200}"
        )
    path = os.fspath(path)
    if not os.path.isabs(path):
        raise ASGIProtocolError(
            f"'http.response.pathsend' path {path!r} is not absolute; a server needs the file's absolute path"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ASGIProtocolError(
            f"'http.response.pathsend' path {path!r} cannot be read: {exc.strerror or exc}"
        ) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ASGIProtocolError(f"'http.response.pathsend' path {path!r} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return FileSend(
        exchange, f"'http.response.pathsend' of {path!r}", fd, offset=0, count=None, more_body=False, owned=True
    )


def _optional_count(message: Message, key: str) -> Optional[int]:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ASGIProtocolError(
            f"'http.response.zerocopysend' {key} must be a non-negative int, got {value!r:.100}"
        )
    return value


def zero_copy_send(exchange: "HTTPExchange", message: Message) -> FileSend:
    """The descriptor, range and position of an ``http.response.zerocopysend`` message, checked."""
    file = message.get("file")
    offset = _optional_count(message, "offset")
    count = _optional_count(message, "count")
    fileobj = None
    if isinstance(file, int) and not isinstance(file, bool):
        fd = file
    elif file is None or not hasattr(file, "fileno"):
        raise ASGIProtocolError(
            f"'http.response.zerocopysend' message needs a 'file' with an OS file descriptor, got {_describe(file)}"
        )
    else:
        if getattr(file, "closed", False):
            raise ASGIProtocolError(f"'http.response.zerocopysend' file {_describe(file)} is closed")
        try:
            fd = file.fileno()
        except (OSError, ValueError) as exc:  # io.UnsupportedOperation is both
            raise ASGIProtocolError(
                f"'http.response.zerocopysend' file {_describe(file)} has no OS file descriptor ({exc});"
                " send an open file, not an in-memory one"
            ) from exc
        if offset is None and hasattr(file, "tell") and hasattr(file, "seek"):
            # A Python file object's position (it may have read ahead into
            # its buffer): read from there, and move it past what is sent.
            offset, fileobj = file.tell(), file
    try:
        os.fstat(fd)
    except OSError as exc:
        raise ASGIProtocolError(
            f"'http.response.zerocopysend' file descriptor {fd} is not usable: {exc.strerror or exc}"
        ) from exc
    return FileSend(
        exchange,
        f"'http.response.zerocopysend' of file descriptor {fd}",
        fd,
        offset=offset,
        count=count,
        more_body=bool(message.get("more_body", False)),
        owned=False,
        fileobj=fileobj,
    )


def _describe(file: Any) -> str:
    """A file as error messages name it: its repr, or its name when the repr is long."""
    text = repr(file)
    if len(text) <= 200:
        return text
    return f"<{type(file).__name__} name={getattr(file, 'name', '?')!r}>"
