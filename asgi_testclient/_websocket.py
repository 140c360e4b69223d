"""Websocket sessions: :class:`WebSocketTestSession`, what ``client.websocket_connect()`` returns.

The app runs as a task on the client's loop, and its messages cross to and
from the test thread through a :class:`~asgi_testclient._channel.Channel`:
the test's messages go to the app's ``receive()``, the app's ``send()``
goes to ``receive*``, and the test's close is the channel's close. Every
wait of the test thread is bounded: ``receive*`` by its ``timeout``,
leaving ``with`` by ``DISCONNECT_GRACE`` and ``CANCEL_WAIT``. What the
messages may be, and when, is ``_wsprotocol``'s.
"""

import functools
from collections.abc import Mapping
from typing import Any, List, Optional, Tuple

from . import _channel
from ._channel import TIMEOUT, Channel
from ._disconnect import WebSocketDenialResponse, WebSocketDisconnect
from ._exceptions import ASGIProtocolError, attach, unwrap_group
from ._loop import CANCEL_WAIT, LoopClosed, LoopThread
from ._native import native
from ._timeout import read_timeout
from ._types import ASGI3App, Message, Scope
from ._wspayloads import DEFAULT, PayloadMethods
from ._wsprotocol import (
    ACCEPTED,
    ALLOWED,
    CLOSED,
    CONNECTING,
    DENIED,
    RESPONDING,
    WHERE,
    ClientDisconnected,
    checked_message,
    denial_response,
    disconnect_message,
    session_url,
)

#: Sends an app may make in a row, without its task waiting, before its
#: send() lets the loop run.
_SENDS_PER_CHECKPOINT = 16


class WebSocketTestSession(PayloadMethods):
    """One websocket connection to the app; use it as a context manager.

    Entering runs the handshake: it returns once the app has accepted, and
    raises :class:`WebSocketDisconnect` if the app closed instead,
    :class:`WebSocketDenialResponse` if it answered with an HTTP response, or
    ``TimeoutError`` if it did neither within ``timeout``. Leaving sends
    ``websocket.disconnect`` (code 1000) if the socket is still open, waits
    for the app to finish (cancelling it after ``DISCONNECT_GRACE``
    seconds) and raises the app's exception if it failed.

    :attr:`url` is the websocket URL, :attr:`scope` what the app received;
    :attr:`accepted_subprotocol` and :attr:`extra_headers` are the
    ``subprotocol`` and the raw ``headers`` of the app's ``websocket.accept``.
    """

    __test__ = False

    def __init__(
        self,
        loop: LoopThread,
        app: ASGI3App,
        scope: Scope,
        *,
        timeout: Any,
        raise_server_exceptions: bool,
        strict: bool = False,
    ) -> None:
        self._loop = loop
        self._strict = strict
        self._app = app
        self.scope = scope
        self.timeout = read_timeout(timeout)
        self.raise_server_exceptions = raise_server_exceptions
        self.url = session_url(scope)
        self.accepted_subprotocol: Optional[str] = None
        self.extra_headers: Optional[List[Tuple[bytes, bytes]]] = None
        self._entered = self._ended = False
        # Shared by the app's task and the test thread, under the channel's
        # cond: its messages for the app, for the test, and its close (what
        # the test closed the websocket with).
        self._channel = Channel(loop)
        self._channel.to_app.append({"type": "websocket.connect"})
        self._cond = self._channel.cond
        self._outbox = self._channel.from_app
        self._state = CONNECTING
        # The app's sends since its task last waited (loop side only).
        self._sends_without_wait = 0
        self._accept: Message = {}
        self._close: Optional[Tuple[int, str]] = None  # what the app closed with
        self._response: Tuple[int, List[Tuple[bytes, bytes]], List[bytes]] = (0, [], [])
        self._protocol_error: Optional[ASGIProtocolError] = None
        self._error_reported = self._protocol_error_reported = False
        # A send refused because the test had closed the socket (strict):
        # whatever the app raises after it is about that, not its own failure.
        self._refused_send = False
        self._start_error_reported = False

    # -- the app's task, as the channel reports it ---------------------------

    @property
    def _client_close(self) -> Optional[Tuple[int, str]]:
        closed: Optional[Tuple[int, str]] = self._channel.closed
        return closed

    @property
    def _finished(self) -> bool:
        return self._channel.finished

    @property
    def _error(self) -> Optional[BaseException]:
        """What the app's task ended with: its exception; a cancellation by
        the loop's stop (:class:`LoopClosed` if it never ran); ``None`` if
        it returned, or ended by the session's own cancel."""
        channel = self._channel
        error = channel.error
        if error is None:
            return LoopClosed("the TestClient was closed") if channel.loop_closed else None
        if channel.cancelled and channel.error_wraps_cancellation:
            return None
        return error

    # -- the loop side -------------------------------------------------------

    async def _receive(self) -> Message:
        channel = self._channel
        while True:
            with channel.cond:
                if channel.to_app:
                    return channel.to_app.popleft()  # type: ignore[no-any-return]
                gone = self._client_close
                # After the test's close, a test still in its block may send
                # more (the old client delivered it): wait for it. A strict
                # server, or a session the test has left, has nothing more.
                again = gone is not None and (self._strict or self._ended)
                if not again:
                    event = channel.arrival()
            if again:
                assert gone is not None
                # Asked again after the disconnect: say it again, as a
                # checkpoint so that an app ignoring it can be cancelled.
                await native.checkpoint()
                return disconnect_message(*gone, self._strict)
            self._sends_without_wait = 0
            await event.wait()

    async def _send(self, message: Message) -> None:
        try:
            self._record(message)
        except ASGIProtocolError as exc:
            with self._cond:
                if self._protocol_error is None:
                    self._protocol_error = exc
                    self._cond.notify_all()
            raise
        # A checkpoint now and then, so that an app sending in a loop without
        # ever waiting can be cancelled (and lets the rest of the loop run).
        # Not after every send: an app that answers each message waits for
        # the next one anyway, and the test thread it just woke runs sooner
        # when the loop goes idle at once.
        self._sends_without_wait += 1
        if self._sends_without_wait >= _SENDS_PER_CHECKPOINT:
            self._sends_without_wait = 0
            await native.checkpoint()

    def _record(self, message: Message) -> None:
        """Check ``message`` against the protocol and hand it to the test thread."""
        kind, headers = checked_message(message, self._strict)
        with self._cond:
            state = self._state
            if state not in ALLOWED[kind]:
                where = "twice" if kind == "websocket.accept" and state == ACCEPTED else WHERE[state]
                raise ASGIProtocolError(f"app sent {kind!r} {where}")
            if kind == "websocket.accept":
                self._accept, self._state = dict(message), ACCEPTED
                if not isinstance(message.get("headers"), (list, tuple, type(None))):
                    self._accept["headers"] = headers  # an iterator, consumed by the check
            elif kind == "websocket.send":
                if self._client_close is not None:
                    if not self._strict:
                        return  # dropped, as the old client (and a closed socket) dropped it
                    self._refused_send = True
                    raise ClientDisconnected(
                        f"app sent 'websocket.send' on websocket {self.url} after the client"
                        f" disconnected (code {self._client_close[0]})"
                    )
                # The message as the app sent it, which is what the old
                # client's receive() returned.
                self._outbox.append(dict(message))
            elif kind == "websocket.close":
                self._close, self._state = (message.get("code", 1000), message.get("reason") or ""), CLOSED
                if state == ACCEPTED:
                    self._outbox.append(dict(message))
            elif kind == "websocket.http.response.start":
                self._response, self._state = (message["status"], headers, []), RESPONDING
            else:
                self._response[2].append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    self._state = DENIED
            self._cond.notify_all()

    # -- the test-thread side: the handshake and the end ---------------------

    def __enter__(self) -> "WebSocketTestSession":
        if self._entered:
            raise RuntimeError("this websocket session was used already; call client.websocket_connect() again")
        self._entered = True
        self._channel.start(functools.partial(self._app, self.scope, self._receive, self._send))
        try:
            outcome = self._handshake()
        except BaseException:
            self._ended = True
            self._shut_down()
            raise
        if outcome is not None:
            self._ended = True
            self._shut_down()
            if type(outcome) is WebSocketDisconnect:
                # The app closed before accepting: the test sees the close,
                # as with the old client, and not what the app raised after
                # it (FastAPI closes, then raises its validation error).
                raise self._take_failure(protocol_only=True) or outcome
            raise self._take_failure() or outcome
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if self._ended:
            return
        self._ended = True
        finished = self._shut_down()
        failure = self._take_failure()
        if failure is not None and failure is not exc:
            if exc is not None and not isinstance(exc, WebSocketDisconnect):
                # The test's own exception (a failed assertion, say) is what
                # the test sees. (A WebSocketDisconnect is the session's
                # report of the app's close: the app's exception replaces
                # it, as it did with the old client.)
                attach(exc, failure, f"while leaving websocket {self.url}")
                return
            raise failure
        if not finished and exc is None:
            raise TimeoutError(
                f"the app serving websocket {self.url} did not finish within"
                f" {_channel.DISCONNECT_GRACE + CANCEL_WAIT:g} seconds of the client closing it, even when cancelled"
            )

    def _handshake(self) -> Optional[BaseException]:
        """Wait for the app's answer; return what to raise, or ``None`` once accepted."""
        with self._cond:
            why = self._channel.wait(
                lambda: self._state in (ACCEPTED, CLOSED, DENIED) or self._protocol_error is not None,
                self.timeout,
            )
            state = self._state
        if why == TIMEOUT:
            return TimeoutError(f"the app did not accept or close websocket {self.url} within {self.timeout:g} seconds")
        # Once the app has answered, an exception it raised later is the
        # session's to raise, after the messages it sent first.
        failure = self._take_failure(protocol_only=state != CONNECTING)
        if failure is not None:
            return failure
        if self._accept:  # accepted (and maybe closed, or finished, since)
            self.accepted_subprotocol = self._accept.get("subprotocol")
            self.extra_headers = self._accept.get("headers")
            return None
        if state == CLOSED:
            assert self._close is not None
            return WebSocketDisconnect(*self._close)
        status, headers, body = self._response
        if state == DENIED or (state == RESPONDING and self._error is not None and not self.raise_server_exceptions):
            return WebSocketDenialResponse(denial_response(self.url, status, headers, b"".join(body)))
        if state == RESPONDING:
            return ASGIProtocolError(
                "app returned before finishing its denial response: its last"
                " 'websocket.http.response.body' message had more_body=True"
            )
        if self._error is None and self.raise_server_exceptions:
            return ASGIProtocolError(
                "app returned without accepting or closing the websocket; it must send"
                " 'websocket.accept', 'websocket.close' or a denial response"
            )
        # What a server answers when the app fails, or gives up, before accepting.
        return WebSocketDenialResponse(denial_response(self.url, 500, [], b""))

    def _shut_down(self) -> bool:
        """Disconnect if still open, let the app finish, cancel it after the
        grace period; return whether it has finished."""
        with self._cond:
            if self._finished:
                return True
        if not self._strict:
            # What the old client did on leaving, even after a close of the
            # test's own: one more disconnect, with code 1000.
            self._deliver(disconnect_message(1000, None, strict=False))
        elif self._client_close is None:
            # A strict server echoes the app's close.
            self._deliver(disconnect_message(*(self._close or (1000, "")), strict=True))
        return self._channel.end(_channel.DISCONNECT_GRACE)

    def _unreported_protocol_error(self) -> bool:
        return self._protocol_error is not None and not self._protocol_error_reported

    def _take_failure(self, protocol_only: bool = False) -> Optional[BaseException]:
        """The protocol error, or the app's exception, that the test has not seen yet."""
        if self._protocol_error is None and not self._channel.troubled():
            return None  # the common case, on every message
        with self._cond:
            start_error = self._channel.start_error
            if start_error is not None and not self._start_error_reported:
                self._start_error_reported = True
                return start_error
            if self._unreported_protocol_error():
                self._protocol_error_reported = True
                return self._protocol_error
            error = self._error
            if protocol_only or error is None or self._error_reported:
                return None
            self._error_reported = True
            channel = self._channel
            if isinstance(error, LoopClosed) or (channel.error_wraps_cancellation and not channel.cancelled):
                return WebSocketDisconnect(
                    1006,
                    f"the client was closed (client.close(), or leaving 'with client:') while websocket"
                    f" {self.url} was open",
                )
        if isinstance(error, ClientDisconnected) or self._refused_send or unwrap_group(error) is self._protocol_error:
            return None  # the app passed on what it was told: not a failure of its own
        # The old client raised the app's exception whatever
        # raise_server_exceptions said; strict mode answers as a server
        # would (a 1011 close, or a 500 denial before accepting).
        if self.raise_server_exceptions or not self._strict or not isinstance(error, Exception):
            return unwrap_group(error)
        return None

    # -- the test-thread side: messages ------------------------------------------

    def _check(self, protocol_only: bool = False) -> None:
        if not self._entered:
            raise RuntimeError("use the websocket session in a with block: 'with client.websocket_connect(url) as ws:'")
        if self._ended:
            raise RuntimeError(f"the websocket session for {self.url} has ended")
        failure = self._take_failure(protocol_only)
        if failure is not None:
            raise failure

    def _deliver(self, message: Message) -> None:
        closing = None
        if message.get("type") == "websocket.disconnect":
            closing = (message.get("code", 1005), message.get("reason") or "")
        self._channel.put(message, closing)

    def send(self, message: Message) -> None:
        """Send the app an ASGI message (``websocket.receive`` or ``websocket.disconnect``)."""
        self._check()
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            raise TypeError(f"send() takes an ASGI message, a dict with a 'type', not {message!r:.200}")
        if self._client_close is not None and self._strict:
            raise RuntimeError(f"websocket {self.url} was closed by the test; open a new one to send more")
        self._deliver(dict(message))  # after a close too, as the old client delivered it

    def close(self, code: int = 1000, reason: Optional[str] = None) -> None:
        """Close the websocket: the app receives ``websocket.disconnect`` with ``code`` and ``reason``."""
        if not self._ended and (self._client_close is None or not self._strict):
            self.send(disconnect_message(code, reason, self._strict))

    def receive(self, *, timeout: Any = DEFAULT) -> Message:
        """The next message the app sent (``websocket.send`` or ``websocket.close``).

        Waits at most ``timeout`` seconds (default: the session's), then
        raises ``TimeoutError``. Once nothing more can come, raises the app's
        exception or :class:`WebSocketDisconnect` at once.
        """
        seconds = self.timeout if timeout is DEFAULT else read_timeout(timeout)
        self._check(protocol_only=True)

        def ready() -> bool:
            return bool(self._outbox) or self._state == CLOSED or self._client_close is not None or (
                self._unreported_protocol_error()
            )

        with self._cond:
            if self._channel.wait(ready, seconds) == TIMEOUT:
                raise TimeoutError(f"the app sent nothing on websocket {self.url} within {seconds:g} seconds")
            if self._outbox and not self._unreported_protocol_error():
                message: Message = self._outbox.popleft()
                return message
        failure = self._take_failure()
        if failure is not None:
            raise failure
        with self._cond:  # why nothing more can come
            closed = self._close or self._client_close
            if closed is not None:
                raise WebSocketDisconnect(*closed)
            if self._error is not None:
                raise WebSocketDisconnect(1011, "the app raised an exception")
            raise WebSocketDisconnect(1006, "the app returned without closing the websocket")
