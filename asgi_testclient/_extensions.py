"""ASGI extensions: which ones a client offers, and the messages they add.

Servers list the extensions they support in ``scope["extensions"]``, and
apps take another code path when they see one (Starlette's ``FileResponse``
sends ``http.response.pathsend`` instead of reading the file). The old
client offered none but the template one, so every extension is off by
default and turned on per client with ``extensions=``; only the two debug
extensions, which report rendered templates, are always on.

What the app sends through an extension is recorded on the exchange as
raw bytes (under its condition, on the loop thread); :func:`fill_response`
turns that into the response attributes a test reads.
"""

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Optional, Tuple, Union

from requests.structures import CaseInsensitiveDict

from ._exceptions import ASGIProtocolError
from ._filesend import FileSend, path_send, zero_copy_send
from ._http import decode_header, field_value_problem, header_pairs, joined_headers
from ._types import Message

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from ._exchange import HTTPExchange
    from ._native import Event

TRAILERS = "http.response.trailers"
PATHSEND = "http.response.pathsend"
ZEROCOPYSEND = "http.response.zerocopysend"
EARLY_HINT = "http.response.early_hint"
PUSH = "http.response.push"
TLS = "tls"
DEBUG = "http.response.debug"
TEMPLATE = "http.response.template"
WEBSOCKET_DENIAL = "websocket.http.response"

#: Every name ``extensions=`` accepts.
SUPPORTED = (
    TRAILERS,
    PATHSEND,
    ZEROCOPYSEND,
    EARLY_HINT,
    PUSH,
    TLS,
    DEBUG,
    TEMPLATE,
    WEBSOCKET_DENIAL,
)

#: The extensions whose name is also the type of the message they add, in
#: the order an HTTP scope lists them (after the two debug ones).
MESSAGE_EXTENSIONS = (PUSH, ZEROCOPYSEND, PATHSEND, EARLY_HINT, TRAILERS)

#: ``tls_version`` of the ``tls`` extension: TLS 1.3.
TLS_VERSION = 0x0304
#: ``cipher_suite`` of the ``tls`` extension: TLS_AES_128_GCM_SHA256.
TLS_CIPHER_SUITE = 0x1301

ExtensionsArg = Union[None, str, Iterable[str]]


def parse_extensions(value: ExtensionsArg) -> FrozenSet[str]:
    """The extension names ``extensions=`` turns on; ``ValueError`` for a
    name the client does not support."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        if value == "all":
            return frozenset(SUPPORTED)
        raise ValueError(
            f"extensions={value!r}: pass 'all' or an iterable of extension names, such as [{value!r}]"
        )
    names = list(value)
    for name in names:
        if name not in SUPPORTED:
            raise ValueError(
                f"unknown ASGI extension {name!r}; this client supports {', '.join(map(repr, SUPPORTED))}"
            )
    return frozenset(names)


def tls_info() -> Dict[str, Any]:
    """The ``tls`` extension's value: a fixed TLS 1.3 connection without a
    client certificate, and without the server's (there is none)."""
    return {
        "server_cert": None,
        "client_cert_chain": [],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": TLS_VERSION,
        "cipher_suite": TLS_CIPHER_SUITE,
    }


def http_extensions(names: FrozenSet[str], scheme: str) -> Dict[str, Any]:
    """``scope["extensions"]`` of an HTTP scope with ``names`` turned on."""
    extensions: Dict[str, Any] = {TEMPLATE: {}, DEBUG: {}}
    for name in MESSAGE_EXTENSIONS:
        if name in names:
            extensions[name] = {}
    if TLS in names and scheme == "https":
        extensions[TLS] = tls_info()
    return extensions


def websocket_extensions(names: FrozenSet[str], scheme: str, strict: bool) -> Optional[Dict[str, Any]]:
    """``scope["extensions"]`` of a websocket scope, or ``None`` for none
    (the old client's scope had no such key)."""
    extensions: Dict[str, Any] = {}
    if strict or WEBSOCKET_DENIAL in names:
        extensions[WEBSOCKET_DENIAL] = {}
    if TLS in names and scheme == "wss":
        extensions[TLS] = tls_info()
    return extensions or None


class Recorded:
    """What the app sent through the extensions of one exchange, as sent.

    Written on the loop thread under the exchange's condition, read on the
    test thread under it too.
    """

    def __init__(self) -> None:
        self.trailers: List[Tuple[bytes, bytes]] = []
        self.early_hints: List[List[Any]] = []
        self.pushes: List[Tuple[Any, List[Tuple[bytes, bytes]]]] = []


def _recorded(exchange: "HTTPExchange") -> Recorded:
    recorded = exchange.recorded
    assert recorded is not None  # made whenever an extension is offered
    return recorded


def accept(exchange: "HTTPExchange", message: Message, message_type: str) -> "Optional[Union[Event, FileSend]]":
    """Check and record a message of an offered extension; return what
    ``send()`` must wait on, if anything."""
    strict = exchange.strict
    if message_type in (PATHSEND, ZEROCOPYSEND):
        if exchange.status is None:
            raise ASGIProtocolError(
                f"Received {message_type!r} without 'http.response.start'. The app must start its response first."
            )
        if exchange.body_complete:
            raise ASGIProtocolError(
                f"Received {message_type!r} after response completed. An earlier body message ended the body."
            )
        if message_type == PATHSEND:
            if strict and exchange.body_sent:
                raise ASGIProtocolError(
                    "Received 'http.response.pathsend' after 'http.response.body' messages; a path send"
                    " is the whole body and cannot be mixed with body messages"
                )
            return path_send(exchange, message)
        return zero_copy_send(exchange, message)
    if message_type == TRAILERS:
        _trailers(exchange, message, strict)
        return None
    if exchange.body_complete:
        # A hint or a push promise for a response already sent: a server
        # drops it.
        if strict:
            raise ASGIProtocolError(
                f"app sent {message!r:.200} after its response body was complete; it must come before"
                " the last body message"
            )
        return None
    if message_type == EARLY_HINT:
        links = _links(message, strict)
        with exchange.cond:
            _recorded(exchange).early_hints.append(links)
        return None
    if message_type == PUSH:
        path = message.get("path")
        if strict and not isinstance(path, str):
            raise ASGIProtocolError(f"'http.response.push' message needs a str 'path', got {message!r:.200}")
        headers = header_pairs(message.get("headers", ()), message_type, strict)
        with exchange.cond:
            _recorded(exchange).pushes.append((path, headers))
        return None
    raise AssertionError(message_type)  # pragma: no cover - only offered types come here


def _trailers(exchange: "HTTPExchange", message: Message, strict: bool) -> None:
    if strict:
        if not exchange.trailers_announced:
            raise ASGIProtocolError(
                "Received 'http.response.trailers' without 'trailers': True in 'http.response.start';"
                " an app announces its trailers when it starts the response"
            )
        if not exchange.body_complete:
            raise ASGIProtocolError(
                "Received 'http.response.trailers' before the body was complete; trailers follow the"
                " last body message"
            )
        if not exchange.awaiting_trailers:
            raise ASGIProtocolError(
                "Received 'http.response.trailers' after the last one (more_trailers=False)"
            )
    headers = header_pairs(message.get("headers", ()), TRAILERS, strict)
    more = bool(message.get("more_trailers", False))
    with exchange.cond:
        _recorded(exchange).trailers.extend(headers)
        event = None if more else exchange.end_trailers()
    if event is not None:
        event.set()


def _links(message: Message, strict: bool) -> List[Any]:
    links = message.get("links", ())
    try:
        links = list(links)
    except TypeError:
        raise ASGIProtocolError(
            f"'http.response.early_hint' message has links {links!r:.200}; they must be an iterable of byte strings"
        ) from None
    for link in links:
        if not isinstance(link, bytes) and (strict or not isinstance(link, str)):
            raise ASGIProtocolError(
                f"'http.response.early_hint' message has link {link!r:.100}; links must be byte strings"
            )
        problem = field_value_problem(link) if strict and isinstance(link, bytes) else ""
        if problem:
            raise ASGIProtocolError(
                f"'http.response.early_hint' message has link {link!r:.100}, which {problem};"
                " a server would refuse it"
            )
    return links


class HeaderMap(CaseInsensitiveDict):  # type: ignore[type-arg]
    """A ``CaseInsensitiveDict`` that is cheap to make empty (every response
    gets one for its trailers)."""

    def __init__(self, data: Any = None) -> None:
        self._store: OrderedDict[str, Tuple[str, Any]] = OrderedDict()
        if data:
            self.update(data)


def _header_map(raw: Iterable[Tuple[bytes, bytes]], strict: bool) -> HeaderMap:
    decoded = [(decode_header(name, strict), decode_header(value, strict)) for name, value in raw]
    return HeaderMap(joined_headers(decoded))


def _hint(links: List[Any], strict: bool) -> HeaderMap:
    values = [link if isinstance(link, str) else decode_header(link, strict) for link in links]
    return HeaderMap({"Link": ", ".join(values)} if values else None)


def fill_response(response: "requests.Response", exchange: "HTTPExchange", trailers: bool = True) -> None:
    """Bring ``response.early_hints``, ``pushes`` and (with ``trailers``)
    ``trailers`` up to what the app has sent, in place (a test may hold
    them already)."""
    strict = exchange.strict
    with exchange.cond:
        recorded = _recorded(exchange)
        raw_trailers = list(recorded.trailers) if trailers else []
        hints = list(recorded.early_hints)
        pushes = list(recorded.pushes)
    if raw_trailers:
        response.trailers.update(_header_map(raw_trailers, strict))  # type: ignore[attr-defined]
    response.early_hints[:] = [_hint(links, strict) for links in hints]  # type: ignore[attr-defined]
    response.pushes[:] = [(path, _header_map(headers, strict)) for path, headers in pushes]  # type: ignore[attr-defined]
