"""What a test sent and got back, kept for its failure report.

The pytest plugin calls :func:`start` before each test and :func:`stop`
after it. While a recording is on, every ``TestClient`` in use keeps its last
exchanges (HTTP requests and websocket sessions) in a bounded deque, and a
failed test's report lists them (see ``_traffic_format``). Recording only
keeps references (the prepared request, the response, the exception, a
start time, websocket messages): nothing is formatted unless a test fails,
and a streamed body is never read on the test's behalf.

With no recording on (outside pytest, or with the plugin or the option
off), a request costs one look at :data:`current`.

This module imports nothing but the standard library: the plugin imports it
in every run.
"""

import collections
import threading
import time
import weakref
from typing import Any, Deque, List, Optional

from ._compat import loaded_content

#: The recording of the test running now, or ``None``.
current: Optional["Recording"] = None

#: Exchanges kept per client when nothing says otherwise.
DEFAULT_LIMIT = 10

#: Websocket messages kept per session, each way together.
MESSAGE_LIMIT = 20

#: Bytes of a streamed body kept as the test reads it: more than a report shows.
TAP_LIMIT = 8192


class BodyTap:
    """Sees the bytes of a streamed body as the test reads them; keeps the
    first :data:`TAP_LIMIT` of them and counts the rest."""

    __slots__ = ("head", "total")

    def __init__(self) -> None:
        self.head = bytearray()
        self.total = 0

    def __call__(self, data: bytes) -> None:
        self.total += len(data)
        room = TAP_LIMIT - len(self.head)
        if room > 0:
            self.head += data[:room]


class Answer:
    """What the report shows of a response read in full.

    Keeping the response itself would keep the exchange behind it, and with
    it objects of the app's loop: requests get measurably slower for every
    exchange kept that way.
    """

    __slots__ = ("app_error", "content", "encoding", "headers", "reason", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.reason = response.reason
        self.headers = response.headers
        self.encoding = response.encoding
        self.content = loaded_content(response)
        # What the app raised, when it raised and the client answered 500.
        exchange = getattr(getattr(response.raw, "asgi_reader", None), "_exchange", None)
        self.app_error = getattr(exchange, "swallowed_error", None)


class HTTPRecord:
    """One request of a client, as the test's thread sent it."""

    __slots__ = ("body", "error", "headers", "method", "response", "seconds", "started", "stream", "tap", "url")

    def __init__(self, request: Any, stream: bool) -> None:
        # What the report shows of the request, not the request (its cookie
        # jar and hooks would stay alive with it).
        self.method, self.url, self.headers, self.body = request.method, request.url, request.headers, request.body
        self.stream = stream
        self.started = time.perf_counter()
        self.response: Any = None
        self.error: Optional[BaseException] = None
        self.seconds: Optional[float] = None
        self.tap: Optional[BodyTap] = None

    def finished(self, response: Any) -> None:
        # After redirects the session returns the last response; this
        # request's own is the first of its history.
        history = response.history
        own = history[0] if history else response
        self.seconds = own.elapsed.total_seconds()
        if not self.stream:
            self.response = Answer(own)
            return
        # A streamed body is read later, if at all: keep the response, and
        # see what the test reads of it.
        self.response = own
        reader = getattr(own.raw, "asgi_reader", None)
        if reader is not None:
            self.tap = reader.tap = BodyTap()

    def failed(self, error: BaseException) -> None:
        self.error = error
        self.seconds = time.perf_counter() - self.started


class WebSocketRecord:
    """One websocket session: the handshake, its outcome, the messages."""

    __slots__ = ("count", "end_error", "messages", "outcome", "request", "seconds", "started", "url")

    def __init__(self, url: str, request: Any) -> None:
        self.url = url
        self.request = request
        self.started = time.perf_counter()
        #: ``None`` until the handshake ended, then ``("accepted", subprotocol)``
        #: or ``("failed", exception)``.
        self.outcome: Any = None
        self.messages: Deque[Any] = collections.deque(maxlen=MESSAGE_LIMIT)
        self.count = 0
        #: How long the session was open, once it ended.
        self.seconds: Optional[float] = None
        self.end_error: Optional[BaseException] = None

    def message(self, direction: str, message: Any) -> None:
        """``direction`` is ``">"`` for the test's messages, ``"<"`` for the
        app's; ``message`` is the ASGI message, or what ``receive`` raised."""
        self.count += 1
        self.messages.append((direction, message))

    def ended(self, error: Optional[BaseException]) -> None:
        self.seconds = time.perf_counter() - self.started
        self.end_error = error


class ClientTraffic:
    """The exchanges of one client during one test."""

    __slots__ = ("client", "count", "label", "number", "owner", "records")

    def __init__(self, owner: "Recording", number: int, client: Any, limit: int) -> None:
        self.owner = owner
        self.number = number
        self.client = weakref.ref(client)
        self.label = _label(client)
        self.records: Deque[Any] = collections.deque(maxlen=limit)
        self.count = 0

    def add(self, record: Any) -> Any:
        self.count += 1
        self.records.append(record)
        return record


def _label(client: Any) -> str:
    """Which client this is, for a reader of the report."""
    app = client.app
    if type(app).__name__ == "_WrapASGI2":
        app = app.app
    name = getattr(app, "__qualname__", None)
    if isinstance(name, str):  # a function or a class
        what = f"{getattr(app, '__module__', '?')}.{name}"
    else:
        what = f"a {type(app).__module__}.{type(app).__qualname__}"
    return f"{type(client).__name__} for {what}, base_url {client.base_url!r}"


class Recording:
    """One test's traffic, client by client in the order they were made or
    first used."""

    def __init__(self, limit: int = DEFAULT_LIMIT, show_secrets: bool = False) -> None:
        self.limit = limit
        self.show_secrets = show_secrets
        self.clients: List[ClientTraffic] = []
        self._lock = threading.Lock()

    def traffic(self, client: Any) -> ClientTraffic:
        """``client``'s traffic in this recording, made on first use."""
        traffic: Optional[ClientTraffic] = client._traffic_log
        if traffic is not None and traffic.owner is self:
            return traffic
        with self._lock:
            traffic = ClientTraffic(self, len(self.clients) + 1, client, self.limit)
            self.clients.append(traffic)
        client._traffic_log = traffic
        return traffic

    def http(self, client: Any, request: Any, stream: bool) -> HTTPRecord:
        return self.traffic(client).add(HTTPRecord(request, stream))  # type: ignore[no-any-return]

    def websocket(self, client: Any, url: str, request: Any) -> WebSocketRecord:
        return self.traffic(client).add(WebSocketRecord(url, request))  # type: ignore[no-any-return]

    def report(self) -> str:
        """The traffic as text for a failure report; ``""`` if there was none."""
        from ._traffic_format import format_recording

        return format_recording(self)

    def clear(self) -> None:
        """Let go of everything recorded (the clients may outlive the test)."""
        with self._lock:
            for traffic in self.clients:
                traffic.records.clear()
                client = traffic.client()
                if client is not None and client._traffic_log is traffic:
                    client._traffic_log = None
            self.clients.clear()


def start(limit: int = DEFAULT_LIMIT, show_secrets: bool = False) -> Optional[Recording]:
    """Start recording; return the recording this one replaces, for :func:`stop`."""
    global current
    previous, current = current, Recording(limit, show_secrets)
    return previous


def stop(previous: Optional[Recording] = None) -> None:
    """End the current recording and put ``previous`` back (a pytest run
    inside a test, as pytester makes, ends its own recordings only)."""
    global current
    recording, current = current, previous
    if recording is not None:
        recording.clear()
