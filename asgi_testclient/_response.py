"""Turning an exchange into a real ``requests.Response``.

The body is handed to urllib3's ``HTTPResponse`` as a file-like object that
reads from the exchange, so that ``iter_content``, ``iter_lines``,
``raw.read()``, gzip and deflate decoding and cookie extraction all run
through the same code as against a real server.

The reader raises app exceptions and timeouts inside a carrier that
urllib3's response takes them out of again (``_rawresponse``).
"""

import collections
import http
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple

import requests
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ._channel import TIMEOUT_GRACE
from ._exceptions import attach
from ._exchange import HTTPExchange
from ._http import decode_header, joined_headers
from ._rawresponse import ASGIHTTPResponse, Carried, header_dict
from ._verdict import ExchangeTimeout

_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status``, or ``""`` for one without."""
    return _PHRASES.get(status, "")


class _HeaderMessage:
    """The part of ``http.client.HTTPMessage`` that cookie extraction uses."""

    def __init__(self, headers: List[Tuple[str, str]]) -> None:
        self._headers = headers

    def get_all(self, name: str, failobj: Any = None) -> Any:
        name = name.lower()
        values = [value for key, value in self._headers if key.lower() == name]
        return values or failobj

    def getheaders(self, name: str) -> List[str]:
        return self.get_all(name, [])  # type: ignore[no-any-return]

    def items(self) -> List[Tuple[str, str]]:
        return list(self._headers)

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._headers)


class _OriginalResponse:
    """What urllib3 and requests look at on ``http.client.HTTPResponse``:
    the header message (for cookies) and whether it is closed."""

    def __init__(self, msg: _HeaderMessage) -> None:
        self.msg = msg
        self.closed = False

    def isclosed(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class BodyReader:
    """The response body as a file object, reading from the exchange.

    ``read(amt)`` returns ``amt`` bytes unless the body ends first, as a
    socket's buffered reader does; ``read1(amt)`` returns what has arrived.
    At the end of the body it waits for the app to return (so background
    tasks have run, as with the old client) and raises whatever the test
    must see. ``close()`` before the end tells the app the client left.
    """

    #: Called with every piece the test reads, while a failure report records it.
    tap: Optional[Callable[[bytes], None]] = None

    def __init__(
        self,
        exchange: HTTPExchange,
        raise_server_exceptions: bool,
        timeout_error: Callable[[ExchangeTimeout], BaseException],
    ) -> None:
        self._exchange = exchange
        self._raise_server_exceptions = raise_server_exceptions
        self._timeout_error = timeout_error
        # What has arrived and not been read: whole chunks, the first one
        # read up to _offset (so that no read copies more than it returns).
        self._chunks: Deque[bytes] = collections.deque()
        self._offset = 0
        self._available = 0
        self._eof = False
        self._failure: Optional[BaseException] = None
        self.closed = False
        #: Called once the app has finished after the end of the body.
        self.at_end: Optional[Callable[[], None]] = None

    def preload(self, chunks: List[bytes]) -> None:
        """Take the whole body of a finished exchange at once."""
        self._chunks.extend(chunks)
        self._available += sum(map(len, chunks))
        self._eof = True
        self._close_at_end()

    def read_whole(self, chunks: List[bytes]) -> bytes:
        """The whole body of a finished exchange, read at once: what
        :meth:`preload` and then :meth:`read` give, in one step."""
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._eof = self.closed = True
        if self.tap is not None:
            self.tap(data)
        return data

    def _fill(self) -> None:
        """Add at least one chunk to the buffer, or reach the end.

        A failure found at the end is raised once the chunks before it
        have been read.
        """
        exchange = self._exchange
        try:
            chunks, over = exchange.take()
            self._chunks.extend(chunks)
            self._available += sum(map(len, chunks))
            if over:
                self._eof = True
                exchange.wait_until_finished()
                if self.at_end is not None:
                    self.at_end()
        except ExchangeTimeout as exc:
            self._eof = True
            exchange.abort(TIMEOUT_GRACE)
            self._failure = self._timeout_error(exc)
            return
        if self._eof:
            self._failure = exchange.failure(self._raise_server_exceptions)

    def _wait_for(self, size: float) -> None:
        """Fill until ``size`` bytes are there or the body ended; raise a
        failure found at the end once no data is left before it."""
        while self._available < size and not self._eof:
            self._fill()
        if not self._available and self._failure is not None:
            failure, self._failure = self._failure, None
            self.closed = True
            raise Carried(failure)

    def read(self, amt: Optional[int] = None) -> bytes:
        if amt is None or amt < 0:
            self._wait_for(float("inf"))
            if self._failure is not None:  # the body is incomplete anyway
                self._discard()
                self._wait_for(1)
            data = self._take(self._available)
        else:
            self._wait_for(amt)
            data = self._take(amt)
        self._close_at_end()
        return data

    def read1(self, amt: Optional[int] = None) -> bytes:
        """What has arrived, up to ``amt`` bytes, waiting only if nothing
        has; ``b""`` at the end."""
        self._wait_for(1)
        first = len(self._chunks[0]) - self._offset if self._chunks else 0
        data = self._take(first if amt is None or amt < 0 else min(amt, first))
        self._close_at_end()
        return data

    def _close_at_end(self) -> None:
        # urllib3 stops reading once the file is closed: stay open while a
        # failure is still to be raised.
        if self._eof and not self._available and self._failure is None:
            self.closed = True

    def _take(self, amt: int) -> bytes:
        chunks, parts, need = self._chunks, [], min(amt, self._available)
        self._available -= need
        while need:
            chunk, offset = chunks[0], self._offset
            left = len(chunk) - offset
            if left <= need:
                parts.append(chunk[offset:] if offset else chunk)
                chunks.popleft()
                self._offset = 0
                need -= left
            else:
                parts.append(chunk[offset : offset + need])
                self._offset += need
                need = 0
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if self.tap is not None:
            self.tap(data)
        return data

    def _discard(self) -> None:
        self._chunks.clear()
        self._offset = self._available = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._discard()
        # A failure found at the end of what was read, not raised yet
        # because the test stopped reading before it.
        failure, self._failure = self._failure, None
        exchange = self._exchange
        if not self._eof:
            self._eof = True
            exchange.abort()
            failure = exchange.failure(self._raise_server_exceptions)
        if failure is not None:
            raise failure


class ASGIResponse(requests.Response):
    """A ``requests.Response`` whose ``with`` block lets the test's own
    exception through: a failure of the app found while closing the
    response is noted on it rather than raised in its place."""

    def __exit__(self, *exc_info: Any) -> None:
        exc = exc_info[1] if len(exc_info) > 1 else None
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except BaseException as failure:  # noqa: BLE001 - noted on the test's exception
            attach(exc, failure, f"while closing the response to {self.request.method} {self.url}")


_COOKIE_HEADERS = (b"set-cookie", b"set-cookie2")


def new_response(adapter: requests.adapters.BaseAdapter, request: requests.PreparedRequest) -> requests.Response:
    """The part of a response that does not depend on what the app sends.

    Made while the app's task starts on the loop thread: until that thread
    is awake, the test thread's work costs the test no time.
    """
    response = ASGIResponse()
    assert request.url is not None
    response.url = request.url
    response.request = request
    response.connection = adapter  # type: ignore[assignment]
    return response


def build_response(
    response: requests.Response,
    status: int,
    raw_headers: List[Any],
    reader: Any,
    strict: bool = False,
    read_whole: bool = False,
) -> requests.Response:
    """Give ``response`` (from :func:`new_response`) the app's status and
    headers, and its body to read from ``reader``; with ``read_whole``, the
    caller reads the body whole at once, unless it has to be decoded.

    Header bytes are read as the old client read them, as UTF-8 (falling
    back to latin-1 for bytes that are not UTF-8); with ``strict``, as
    latin-1, which is how requests reads them from a real server.
    """
    request = response.request
    headers = [(decode_header(name, strict), decode_header(value, strict)) for name, value in raw_headers]
    sets_cookies = any(name.lower() in _COOKIE_HEADERS for name, _ in raw_headers)
    response.headers = merged = CaseInsensitiveDict(joined_headers(headers))
    reason = reason_phrase(status)
    arguments: Dict[str, Any] = {
        "body": reader,
        "status": status,
        "version": 11,
        "reason": reason,
        "preload_content": False,
        "decode_content": False,
        # Only .msg (by requests, to extract cookies), .isclosed() and
        # .close() are used of it. Without cookies to extract, there is none,
        # as for an HTTPResponse made by hand, and requests skips its
        # cookie extraction (about 10 µs a response).
        "original_response": _OriginalResponse(_HeaderMessage(headers)) if sets_cookies else None,
        "request_method": request.method,
        "enforce_content_length": False,
    }
    if read_whole and not sets_cookies and "content-encoding" not in merged:
        raw = ASGIHTTPResponse.deferred(headers, **arguments)
    else:
        raw = ASGIHTTPResponse(headers=header_dict(headers), **arguments)
    raw.asgi_chunked = "content-length" not in merged
    raw.asgi_reader = reader
    response.status_code = status
    response.encoding = get_encoding_from_headers(merged)
    response.raw = raw
    response.reason = reason
    if sets_cookies:
        extract_cookies_to_jar(response.cookies, request, raw)  # type: ignore[no-untyped-call]
    return response
