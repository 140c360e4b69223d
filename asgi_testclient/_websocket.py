"""Websocket sessions: :class:`WebSocketTestSession`, what ``client.websocket_connect()`` returns.

The app runs as a task on the client's loop (started with
:meth:`LoopThread.spawn`); the session is shared by that task and the test
thread, and messages cross between them through two deques guarded by one
``threading.Condition``. The app's ``send()`` appends to the *outbox* and
notifies the test thread, which sleeps in ``Condition.wait_for``; the test
thread appends to the *inbox* and sets, through :meth:`LoopThread.call_soon`,
the ``anyio.Event`` the app's ``receive()`` sleeps on. Neither side polls,
and every wait of the test thread is bounded: ``receive*`` by its
``timeout``, leaving ``with`` by ``DISCONNECT_GRACE`` and ``CANCEL_WAIT``.
"""

import collections
import json
import threading
from collections.abc import Mapping
from typing import Any, Deque, List, Optional, Tuple, Union

import anyio
import anyio.lowlevel
import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from . import _channel
from ._compat import set_content
from ._disconnect import WebSocketDenialResponse, WebSocketDisconnect
from ._exceptions import ASGIProtocolError, attach, unwrap_group
from ._http import header_pairs, joined_headers
from ._loop import CANCEL_WAIT, LoopClosed, LoopThread
from ._response import reason_phrase
from ._timeout import read_timeout
from ._types import ASGI3App, Default, Message, Scope

# Where the app is in the protocol, and which messages it may send there.
_CONNECTING, _ACCEPTED, _CLOSED, _RESPONDING, _DENIED = "connecting", "accepted", "closed", "responding", "denied"
_WHERE = {
    _CONNECTING: "before accepting the websocket (send 'websocket.accept' first)",
    _ACCEPTED: "after accepting the websocket",
    _CLOSED: "after closing the websocket with 'websocket.close'",
    _RESPONDING: "in the middle of a denial response (only 'websocket.http.response.body' may follow)",
    _DENIED: "after its denial response was complete",
}
_ALLOWED = {
    "websocket.accept": (_CONNECTING,),
    "websocket.send": (_ACCEPTED,),
    "websocket.close": (_CONNECTING, _ACCEPTED),
    "websocket.http.response.start": (_CONNECTING,),
    "websocket.http.response.body": (_RESPONDING,),
}
_BYTES = (bytes, bytearray, memoryview)
_OPTIONAL_STR = (str, type(None))


def _problem(kind: str, message: Message, strict: bool) -> str:
    """What is wrong with the keys of a ``kind`` message, or ``""``.

    Without ``strict`` a close reason of any type passes, as the old client
    passed it on (today's FastAPI closes with a list of validation errors)."""
    if kind == "websocket.send":
        text, data = message.get("text"), message.get("bytes")
        if (text is None) == (data is None):
            return "needs exactly one of 'text' and 'bytes' (the other missing or None)"
        if not isinstance(text, _OPTIONAL_STR) or not isinstance(data, (*_BYTES, type(None))):
            return "has the wrong types: 'text' must be a str, 'bytes' bytes"
    elif kind == "websocket.close":
        code = message.get("code", 1000)
        if not isinstance(code, int) or isinstance(code, bool):
            return "has the wrong type: 'code' must be an int"
        if strict and not isinstance(message.get("reason"), _OPTIONAL_STR):
            return "has the wrong type: 'reason' must be a str"
    elif kind == "websocket.accept" and not isinstance(message.get("subprotocol"), _OPTIONAL_STR):
        return "has the wrong type: 'subprotocol' must be a str or None"
    elif kind == "websocket.http.response.start":
        status = message.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
            return "needs an integer 'status'"
    elif kind == "websocket.http.response.body" and not isinstance(message.get("body", b""), _BYTES):
        return "has the wrong type: 'body' must be bytes"
    return ""


_DEFAULT: Any = Default("session timeout")


class _ClientDisconnected(OSError):
    """What the app's ``send()`` raises once the client has gone (spec 2.4);
    like a server, the session does not count it as the app's failure."""


def _disconnect_message(code: int, reason: Optional[str], strict: bool) -> Message:
    """What the app receives when the test closes the websocket: the old
    client's message (a ``reason`` only if the test gave one), or with
    ``strict`` a server's (spec 2.3 and later: always a ``reason``)."""
    message: Message = {"type": "websocket.disconnect", "code": code}
    if strict or reason is not None:
        message["reason"] = reason or ""
    return message


class WebSocketTestSession:
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
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        query = scope["query_string"].decode("latin-1")
        self.url = f"{scope['scheme']}://{host}{scope['raw_path'].decode('latin-1')}" + (f"?{query}" if query else "")
        self.accepted_subprotocol: Optional[str] = None
        self.extra_headers: Optional[List[Tuple[bytes, bytes]]] = None
        self._entered = self._ended = False
        # Shared by the app's task and the test thread, under _cond.
        self._cond = threading.Condition(threading.Lock())
        self._inbox: Deque[Message] = collections.deque([{"type": "websocket.connect"}])
        self._inbox_event: Optional[anyio.Event] = None
        self._outbox: Deque[Message] = collections.deque()
        self._state = _CONNECTING
        self._accept: Message = {}
        self._close: Optional[Tuple[int, str]] = None  # what the app closed with
        self._client_close: Optional[Tuple[int, str]] = None  # what the test closed with
        self._response: Tuple[int, List[Tuple[bytes, bytes]], List[bytes]] = (0, [], [])
        self._finished = self._cancelled = self._error_was_cancel = False
        self._cancel_scope: Optional[anyio.CancelScope] = None
        self._error: Optional[BaseException] = None
        self._protocol_error: Optional[ASGIProtocolError] = None
        self._error_reported = self._protocol_error_reported = False
        # A send refused because the test had closed the socket (strict):
        # whatever the app raises after it is about that, not its own failure.
        self._refused_send = False
        # Why the app's task never ran: raised in the test whatever the app did.
        self._start_error: Optional[BaseException] = None

    # -- the loop side -------------------------------------------------------

    async def _run(self) -> None:
        """Run the app to its end. Never raises: outcomes go to the shared state."""
        error: Optional[BaseException] = None
        was_cancel = False
        try:
            with anyio.CancelScope() as cancel_scope:
                with self._cond:
                    self._cancel_scope = cancel_scope
                    if self._cancelled:
                        cancel_scope.cancel()
                await self._app(self.scope, self._receive, self._send)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            error = exc
            was_cancel = isinstance(unwrap_group(exc), anyio.get_cancelled_exc_class())
        with self._cond:
            self._finished, self._error, self._error_was_cancel = True, error, was_cancel
            self._cond.notify_all()

    def _not_run(self, exc: BaseException) -> None:
        """The app's task never ran (or the loop stopped first): end every
        wait of the test thread with that, at once."""
        with self._cond:
            if self._finished:
                return
            self._finished = True
            if isinstance(exc, LoopClosed):
                self._error, self._error_was_cancel = exc, True
            else:
                self._start_error = exc
            self._cond.notify_all()

    async def _receive(self) -> Message:
        while True:
            with self._cond:
                if self._inbox:
                    return self._inbox.popleft()
                gone = self._client_close
                if gone is None:
                    event = self._inbox_event = self._inbox_event or anyio.Event()
            if gone is not None:
                # Asked again after the disconnect: say it again, as a
                # checkpoint so that an app ignoring it can be cancelled.
                await anyio.lowlevel.checkpoint()
                return _disconnect_message(*gone, self._strict)
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
        # A checkpoint, so that an app sending in a loop can be cancelled.
        await anyio.lowlevel.checkpoint()

    def _record(self, message: Message) -> None:
        """Check ``message`` against the protocol and hand it to the test thread."""
        if not isinstance(message, Mapping):
            raise ASGIProtocolError(f"app sent {message!r:.200}, which is not a message: ASGI messages are dicts")
        kind = message.get("type")
        if kind not in _ALLOWED:
            raise ASGIProtocolError(
                f"app sent an unknown message {message!r:.200}; a websocket app sends 'websocket.accept',"
                " 'websocket.send' and 'websocket.close', or 'websocket.http.response.start' and"
                " 'websocket.http.response.body' to deny the handshake"
            )
        problem = _problem(kind, message, self._strict)
        if problem:
            raise ASGIProtocolError(f"{kind!r} message {message!r:.200} {problem}")
        headers = header_pairs(message.get("headers") or (), kind, self._strict)
        with self._cond:
            state = self._state
            if state not in _ALLOWED[kind]:
                where = "twice" if kind == "websocket.accept" and state == _ACCEPTED else _WHERE[state]
                raise ASGIProtocolError(f"app sent {kind!r} {where}")
            if kind == "websocket.accept":
                self._accept, self._state = dict(message), _ACCEPTED
                if not isinstance(message.get("headers"), (list, tuple, type(None))):
                    self._accept["headers"] = headers  # an iterator, consumed by the check
            elif kind == "websocket.send":
                if self._client_close is not None:
                    if not self._strict:
                        return  # dropped, as the old client (and a closed socket) dropped it
                    self._refused_send = True
                    raise _ClientDisconnected(
                        f"app sent 'websocket.send' on websocket {self.url} after the client"
                        f" disconnected (code {self._client_close[0]})"
                    )
                # The message as the app sent it, which is what the old
                # client's receive() returned.
                self._outbox.append(dict(message))
            elif kind == "websocket.close":
                self._close, self._state = (message.get("code", 1000), message.get("reason") or ""), _CLOSED
                if state == _ACCEPTED:
                    self._outbox.append(dict(message))
            elif kind == "websocket.http.response.start":
                self._response, self._state = (message["status"], headers, []), _RESPONDING
            else:
                self._response[2].append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    self._state = _DENIED
            self._cond.notify_all()

    # -- the test-thread side: the handshake and the end ---------------------

    def __enter__(self) -> "WebSocketTestSession":
        if self._entered:
            raise RuntimeError("this websocket session was used already; call client.websocket_connect() again")
        self._entered = True
        self._loop.spawn(self._run, failed=self._not_run)
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
            answered = self._cond.wait_for(
                lambda: self._state in (_ACCEPTED, _CLOSED, _DENIED)
                or self._finished
                or self._protocol_error is not None,
                self.timeout,
            )
            state = self._state
        if not answered:
            return TimeoutError(f"the app did not accept or close websocket {self.url} within {self.timeout:g} seconds")
        # Once the app has answered, an exception it raised later is the
        # session's to raise, after the messages it sent first.
        failure = self._take_failure(protocol_only=state != _CONNECTING)
        if failure is not None:
            return failure
        if self._accept:  # accepted (and maybe closed, or finished, since)
            self.accepted_subprotocol = self._accept.get("subprotocol")
            self.extra_headers = self._accept.get("headers")
            return None
        if state == _CLOSED:
            assert self._close is not None
            return WebSocketDisconnect(*self._close)
        status, headers, body = self._response
        if state == _DENIED or (state == _RESPONDING and self._error is not None and not self.raise_server_exceptions):
            return WebSocketDenialResponse(self._build_response(status, headers, b"".join(body)))
        if state == _RESPONDING:
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
        return WebSocketDenialResponse(self._build_response(500, [], b""))

    def _build_response(self, status: int, headers: List[Tuple[bytes, bytes]], body: bytes) -> requests.Response:
        response = requests.Response()
        response.status_code, response.reason, response.url = status, reason_phrase(status), self.url
        merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(
            joined_headers([(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers])
        )
        response.headers, response.encoding = merged, get_encoding_from_headers(merged)
        set_content(response, body)
        return response

    def _shut_down(self) -> bool:
        """Disconnect if still open, let the app finish, cancel it after the
        grace period; return whether it has finished."""
        with self._cond:
            if self._finished:
                return True
        if not self._strict:
            # What the old client did on leaving, even after a close of the
            # test's own: one more disconnect, with code 1000.
            self._deliver(_disconnect_message(1000, None, strict=False))
        elif self._client_close is None:
            # A strict server echoes the app's close.
            self._deliver(_disconnect_message(*(self._close or (1000, "")), strict=True))
        with self._cond:
            if self._cond.wait_for(lambda: self._finished, _channel.DISCONNECT_GRACE):
                return True
            self._cancelled = True
            cancel_scope = self._cancel_scope
        if cancel_scope is not None:
            self._loop.call_soon(cancel_scope.cancel)
        with self._cond:
            return self._cond.wait_for(lambda: self._finished, CANCEL_WAIT)

    def _unreported_protocol_error(self) -> bool:
        return self._protocol_error is not None and not self._protocol_error_reported

    def _take_failure(self, protocol_only: bool = False) -> Optional[BaseException]:
        """The protocol error, or the app's exception, that the test has not seen yet."""
        with self._cond:
            if self._start_error is not None:
                start_error, self._start_error = self._start_error, None
                return start_error
            if self._unreported_protocol_error():
                self._protocol_error_reported = True
                return self._protocol_error
            error = self._error
            if protocol_only or error is None or self._error_reported:
                return None
            self._error_reported = True
            if self._error_was_cancel and not self._cancelled:
                return WebSocketDisconnect(
                    1006,
                    f"the client was closed (client.close(), or leaving 'with client:') while websocket"
                    f" {self.url} was open",
                )
        if isinstance(error, _ClientDisconnected) or self._refused_send or unwrap_group(error) is self._protocol_error:
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
        with self._cond:
            self._inbox.append(message)
            if message.get("type") == "websocket.disconnect":
                self._client_close = (message.get("code", 1005), message.get("reason") or "")
            event, self._inbox_event = self._inbox_event, None
        if event is not None:
            self._loop.call_soon(event.set)

    def send(self, message: Message) -> None:
        """Send the app an ASGI message (``websocket.receive`` or ``websocket.disconnect``)."""
        self._check()
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            raise TypeError(f"send() takes an ASGI message, a dict with a 'type', not {message!r:.200}")
        if self._client_close is not None and self._strict:
            raise RuntimeError(f"websocket {self.url} was closed by the test; open a new one to send more")
        self._deliver(dict(message))  # after a close too, as the old client delivered it

    def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes a str, not {type(data).__name__}; use send_bytes() for bytes")
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if not isinstance(data, _BYTES):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}; use send_text() for str")
        self.send({"type": "websocket.receive", "bytes": bytes(data)})

    def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as ``json.dumps(data)``, in a text (``mode="text"``) or binary message."""
        text = json.dumps(data)  # the old client's spelling, spaces and escapes included
        if mode not in ("text", "binary"):
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}')
        if mode == "text":
            self.send_text(text)
        else:
            self.send_bytes(text.encode("utf-8"))

    def close(self, code: int = 1000, reason: Optional[str] = None) -> None:
        """Close the websocket: the app receives ``websocket.disconnect`` with ``code`` and ``reason``."""
        if not self._ended and (self._client_close is None or not self._strict):
            self.send(_disconnect_message(code, reason, self._strict))

    def receive(self, *, timeout: Any = _DEFAULT) -> Message:
        """The next message the app sent (``websocket.send`` or ``websocket.close``).

        Waits at most ``timeout`` seconds (default: the session's), then
        raises ``TimeoutError``. Once nothing more can come, raises the app's
        exception or :class:`WebSocketDisconnect` at once.
        """
        seconds = self.timeout if timeout is _DEFAULT else read_timeout(timeout)
        self._check(protocol_only=True)

        def ready() -> bool:
            return bool(self._outbox) or self._state == _CLOSED or self._client_close is not None or (
                self._finished or self._unreported_protocol_error()
            )

        with self._cond:
            if not self._cond.wait_for(ready, seconds):
                raise TimeoutError(f"the app sent nothing on websocket {self.url} within {seconds:g} seconds")
            if self._outbox and not self._unreported_protocol_error():
                return self._outbox.popleft()
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

    def _payload(self, key: str, timeout: Any) -> Any:
        message = self.receive(timeout=timeout)
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        if message.get(key) is None:
            wanted, got = ("text", "binary") if key == "text" else ("binary", "text")
            raise TypeError(f"expected a {wanted} message from the app, got a {got} message: {message!r:.200}")
        return message[key]

    def receive_text(self, *, timeout: Any = _DEFAULT) -> str:
        return str(self._payload("text", timeout))

    def receive_bytes(self, *, timeout: Any = _DEFAULT) -> bytes:
        return bytes(self._payload("bytes", timeout))

    def receive_json(self, mode: str = "text", *, timeout: Any = _DEFAULT) -> Any:
        """The next message decoded from JSON; ``mode`` says whether it is a text or a binary message."""
        if mode not in ("text", "binary"):
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}')
        if mode == "text":
            return json.loads(self.receive_text(timeout=timeout))
        return json.loads(self.receive_bytes(timeout=timeout).decode("utf-8"))
