"""One HTTP request/response exchange between the test thread and the app.

The app runs as a task on the client's loop, and its response crosses to
the test thread through a :class:`~asgi_testclient._channel.Channel`: the
body chunks are the channel's messages from the app (taken all at once by
the test thread), the task's end is the channel's, and the client's leaving
(or the response's completion) is the channel's close, which ends the
app's wait in ``receive()``. Nothing polls.

When streaming, the app's ``send()`` waits while more than
:data:`HIGH_WATER` bytes are waiting to be read, so a body of any size
needs bounded memory. Without streaming nothing waits: the body is read
whole, as requests does.

Each wait of the test thread is bounded by the request's read timeout,
counted afresh whenever the app makes progress.
"""

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, FrozenSet, List, Optional, Tuple, Union

from . import _extensions, _verdict
from ._body import Body, request_message
from ._channel import DISCONNECT_GRACE, TIMEOUT, Channel
from ._exceptions import ASGIProtocolError
from ._http import NO_BODY_STATUSES, header_pairs
from ._httpchecks import body_of, check_length, declared_length, start_status, unexpected_message
from ._loop import LoopThread
from ._native import Event, native
from ._types import ASGI3App, Message, Scope
from ._verdict import ExchangeTimeout

if TYPE_CHECKING:  # pragma: no cover
    from ._filesend import FileSend

#: Bytes the app may have sent ahead of a streaming reader before its
#: ``send()`` waits.
HIGH_WATER = 1024 * 1024

_DISCONNECT: Message = {"type": "http.disconnect"}

#: The channel's close: the client has gone, or the response is complete.
_GONE = "gone"


class HTTPExchange:
    """The state of one request, shared by the app's task and the test thread.

    Fields under ``cond`` are written by the loop and read by the test
    thread (or the other way round for ``disconnected``); everything else
    belongs to one side only.
    """

    # The message types of the extensions offered.
    _offered: FrozenSet[str] = frozenset()
    _trailers_offered = False
    #: What the app sent through the extensions (only if any is offered).
    recorded: "Optional[_extensions.Recorded]" = None
    trailers_announced = False
    #: Trailers were announced and the last one has not come yet.
    awaiting_trailers = False
    #: An ``http.response.body`` message came.
    body_sent = False
    #: ``(type, args)`` of the app's exception that became a server's answer
    #: (for a failure report, ``_traffic_format``).
    swallowed_error: Optional[Tuple[type, Tuple[Any, ...]]] = None

    def __init__(
        self,
        loop: LoopThread,
        app: ASGI3App,
        scope: Scope,
        body: Body,
        *,
        streaming: bool,
        timeout: Optional[float],
        strict: bool = False,
        extensions: FrozenSet[str] = frozenset(),
    ) -> None:
        self._loop = loop
        if extensions:  # (the class's defaults otherwise: a request costs nothing more)
            self._offered = extensions
            self._trailers_offered = _extensions.TRAILERS in extensions
            self.recorded = _extensions.Recorded()
        self.strict = strict
        self._app = app
        self.scope = scope
        self._streaming = streaming
        self.timeout = timeout
        self._head = scope["method"] == "HEAD"
        self.bodiless = self._head
        self._declared: Optional[int] = None
        self._sent = 0
        # loop side only
        self._body = body
        self._request_complete = False
        #: Shared, under ``cond``: the task's end (``finished``, ``error``,
        #: ``cancelled``...), the body chunks (``from_app``) and the client's
        #: leaving (the channel's close) are the channel's.
        channel = self.channel = Channel(loop, timeout=timeout, high_water=HIGH_WATER if streaming else None)
        self.cond = channel.cond
        self.status: Optional[int] = None
        self.headers: List[Tuple[bytes, bytes]] = []
        self.body_complete = False
        self.protocol_error: Optional[ASGIProtocolError] = None
        self.body_error: Optional[BaseException] = None
        self.template: Any = None
        self.context: Any = None
        #: The request, for the error a close raises (set by the adapter).
        self.request: Any = None
        self.error_swallowed = False

    @property
    def disconnected(self) -> bool:
        """The client has gone, or the response is complete."""
        return self.channel.closed is not None

    # -- the loop side -------------------------------------------------------

    async def receive(self) -> Message:
        if not self._request_complete:
            try:
                message, self._request_complete = request_message(self._body, self.strict)
            except BaseException as exc:
                # The test's own body (a file, an iterator) failed: that is
                # the test's error, not the app's, so it is raised in the
                # test whatever the app does with it.
                with self.cond:
                    self.body_error = exc
                raise
            return message
        channel = self.channel
        with self.cond:
            event = None if channel.closed is not None else channel.arrival()
        if event is not None:
            await event.wait()
        return dict(_DISCONNECT)

    async def send(self, message: Message) -> None:
        # Read before the message is taken in: the last body message marks
        # the exchange disconnected too, but was not sent after the client
        # left, and needs no checkpoint (one more loop iteration per request).
        gone = self.channel.closed is not None
        try:
            if type(message) is not dict and not isinstance(message, Mapping):
                raise ASGIProtocolError(
                    f"app sent {message!r:.200}, which is not a message: ASGI messages are dicts"
                )
            message_type = message.get("type")
            wait_for_space = self._accept(message, message_type)
            if wait_for_space is not None:
                # Space for a body chunk, or (extensions) a file to send.
                await wait_for_space.wait()
                return
        except ASGIProtocolError as exc:
            with self.cond:
                if self.protocol_error is None:
                    self.protocol_error = exc
            raise
        if gone:
            # Sends after the client left are no-ops (HTTP spec 2.3), but
            # still a checkpoint, so an app that keeps sending can be
            # cancelled.
            await native.checkpoint()

    def _accept(self, message: Message, message_type: Any) -> "Optional[Union[Event, FileSend]]":
        """Check ``message`` and record it; return an event to wait on, if any."""
        if message_type == "http.response.start":
            status = start_status(message, self.status)
            headers = header_pairs(message.get("headers", ()), message_type, self.strict)
            # What requests would read of the body: nothing for HEAD, 1xx,
            # 204 and 304 (where Content-Length describes another response).
            self.bodiless = self._head or status < 200 or status in NO_BODY_STATUSES
            if self.strict and not self.bodiless:
                self._declared = declared_length(headers)
            if self._trailers_offered and message.get("trailers"):
                self.trailers_announced = self.awaiting_trailers = True
            with self.cond:
                self.status, self.headers = status, headers
                self.channel.progressed()
                if self._streaming:
                    self.cond.notify_all()
            return None
        if message_type == "http.response.body":
            body = body_of(message, self.status is not None, self.body_complete)
            self.body_sent = True
            return self.deliver(body, bool(message.get("more_body", False)))
        if message_type in ("http.response.debug", "http.response.template"):
            if message_type == "http.response.debug":
                info = message.get("info", {})
                self.template, self.context = info.get("template"), info.get("context")
            else:
                self.template, self.context = message.get("template"), message.get("context")
            return None
        if message_type in self._offered:
            return _extensions.accept(self, message, message_type)
        if not self.strict:
            return None  # the old client ignored every other message
        raise unexpected_message(message, message_type, self.status is not None and self.body_complete)

    def deliver(self, body: Any, more_body: bool) -> Optional[Event]:
        """Take a chunk of the body (from a body message, or read from a
        file); return the event to wait on for space, if the reader is behind."""
        if self._declared is not None:
            self._sent += len(body)
            check_length(self._sent, self._declared, more_body)
        channel = self.channel
        streaming = self._streaming
        with self.cond:
            if channel.closed is not None:
                return None
            space: Optional[Event] = None
            if body and not self.bodiless:
                # Nothing waits for chunks but a streaming reader.
                space = channel.offer(bytes(body), len(body), wake=False, more=more_body)
            disconnect_event = None
            if not more_body:
                self.body_complete = True
                if not self.awaiting_trailers:
                    disconnect_event = channel.close_here(_GONE)
            channel.progressed()
            if streaming:
                self.cond.notify_all()
        if disconnect_event is not None:
            disconnect_event.set()
        return space

    def end_trailers(self) -> Optional[Event]:
        """Under ``cond``: the last trailers came; the response is complete
        if its body is. Return the disconnect event to set, if any."""
        self.awaiting_trailers = False
        self.channel.progressed()
        if self.body_complete and self.channel.closed is None:
            return self.channel.close_here(_GONE)
        return None

    # -- the test-thread side ------------------------------------------------

    def start(self) -> None:
        self.channel.start(functools.partial(self._app, self.scope, self.receive, self.send))

    def _wait(self, done: Callable[[], bool]) -> None:
        """Wait (holding ``cond``) until ``done()`` or the app finishes;
        raise :class:`ExchangeTimeout` once the app has made no progress for
        ``timeout`` seconds."""
        timeout = self.timeout
        if self.channel.wait(done, timeout) == TIMEOUT:
            assert timeout is not None  # only a wait with a timeout runs out
            raise ExchangeTimeout(self._stage(), timeout)

    def _stage(self) -> str:
        if self.status is None:
            return "start its response"
        if not self.body_complete:
            return "send the next chunk of its response body"
        return "finish after its response"

    def wait_for_start(self) -> None:
        """Block until the response started or the app finished."""
        with self.cond:
            self._wait(lambda: self.status is not None)

    def take(self) -> Tuple[List[bytes], bool]:
        """Every chunk received so far, waiting for at least one; and
        whether the body is over (complete, or the app finished)."""
        channel = self.channel
        with self.cond:
            self._wait(lambda: bool(channel.from_app) or self.body_complete)
            chunks: List[bytes] = channel.take()
            return chunks, self.body_complete or channel.finished

    def wait_until_finished(self) -> None:
        """Block until the app has returned (background tasks included)."""
        with self.cond:
            self._wait(lambda: False)

    def take_all(self) -> List[bytes]:
        """Every chunk received, once the app has finished."""
        channel = self.channel
        with self.cond:
            assert channel.finished
            chunks = list(channel.from_app)
            channel.from_app.clear()
            channel.buffered = 0
        return chunks

    def disconnect(self) -> None:
        """Tell the app the client has gone: ``receive()`` gives
        ``http.disconnect`` and ``send()`` no longer waits or keeps anything."""
        self.channel.close(_GONE, drop=True)

    def cancel(self) -> None:
        self.channel.cancel()

    def abort(self, grace: float = DISCONNECT_GRACE) -> None:
        """Disconnect, give the app ``grace`` seconds to end, then cancel it
        and wait (bounded) for it to finish."""
        with self.cond:
            if self.channel.finished:
                return
        self.disconnect()
        self.channel.end(grace)

    def failure(self, raise_server_exceptions: bool) -> Optional[BaseException]:
        """What the test must see raised, now that the app has finished or
        stopped sending; ``None`` if the response stands as it is."""
        return _verdict.failure(self, raise_server_exceptions)
