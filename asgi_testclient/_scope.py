"""Building ASGI connection scopes from prepared requests.

``root_path`` is passed through as the scope key and nothing more: the path
the test asks for is the path the app receives. That is what the old
requests-based Starlette client did, and frameworks that route on
``root_path`` (Starlette strips it from ``path`` when ``path`` starts with
it) accept both ``client.get("/users")`` and ``client.get("/api/users")``
under ``root_path="/api"``. To test exactly what a server behind a
prefix-stripping proxy sends (``path`` including the root path, as uvicorn
does), request the full path.
"""

import functools
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple, Union
from urllib.parse import unquote, urlsplit

import requests

from ._extensions import http_extensions, websocket_extensions
from ._http import field_value_problem, is_method, is_token
from ._types import Scope

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

#: ``spec_version`` of the HTTP scope. 2.3, not 2.4: after the client has
#: gone, ``send`` is a silent no-op and the app learns of it from
#: ``receive()``, which is what lets a streaming app stop at once instead of
#: at its next write.
HTTP_SPEC_VERSION = "2.3"
#: ``spec_version`` of the websocket scope: ``send`` after the client has
#: gone raises ``OSError`` (2.4) and ``websocket.disconnect`` carries a
#: ``reason`` (2.5).
WEBSOCKET_SPEC_VERSION = "2.5"

Address = Sequence[Union[str, int]]
RawHeaders = List[Tuple[bytes, bytes]]


def _encode_header(name: Union[str, bytes], value: Union[str, bytes]) -> Tuple[bytes, bytes]:
    """A header as a server behind a real socket would pass it on: latin-1,
    a token for a name, no CR, LF or NUL (the checks of ``strict=True``)."""
    try:
        raw_name = name.encode("latin-1") if isinstance(name, str) else bytes(name)
        raw_value = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    except UnicodeEncodeError:
        raise requests.exceptions.InvalidHeader(
            f"header {name!r}: {value!r} has characters outside latin-1; HTTP"
            " headers are latin-1, so encode the value (for example with"
            " urllib.parse.quote) before sending it"
        ) from None
    problem = field_value_problem(raw_value) or field_value_problem(raw_name)
    if problem:
        raise requests.exceptions.InvalidHeader(
            f"header {name!r}: {value!r} {problem}, which could split it into several headers"
        )
    if not is_token(raw_name):
        raise requests.exceptions.InvalidHeader(f"header name {name!r} is not a valid HTTP token")
    return raw_name.lower(), raw_value


def _encode_header_legacy(name: Union[str, bytes], value: Union[str, bytes]) -> Tuple[bytes, bytes]:
    """A header as the old client passed it on: lower-cased, UTF-8 encoded,
    unchecked (requests has refused CR and LF in values already)."""
    raw_name = name.lower().encode("utf-8") if isinstance(name, str) else bytes(name).lower()
    raw_value = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return raw_name, raw_value


def _encode(name: Any, value: Any, strict: bool) -> Tuple[bytes, bytes]:
    return (_encode_header if strict else _encode_header_legacy)(name, value)


# Request headers already encoded (and checked), by strictness: a suite
# sends the same few again and again.
_encode_remembered = functools.lru_cache(maxsize=32)(_encode)


def _encoded(name: Any, value: Any, strict: bool) -> Tuple[bytes, bytes]:
    try:
        return _encode_remembered(name, value, strict)
    except TypeError:  # unhashable: encoded each time (or the TypeError it raises)
        return _encode(name, value, strict)


def encode_headers(headers: Mapping[Any, Any], host: bytes, strict: bool = False) -> RawHeaders:
    """Lower-cased byte pairs in the request's order, ``host`` first unless
    the request has its own."""
    raw = [_encoded(name, value, strict) for name, value in headers.items()]
    if not any(name == b"host" for name, _ in raw):
        raw.insert(0, (b"host", host))
    return raw


def connection_scope(
    request: requests.PreparedRequest,
    *,
    scope_type: str,
    root_path: str,
    client: Address,
    state: Dict[str, Any],
    strict: bool = False,
) -> Scope:
    """The keys an HTTP and a websocket scope share, from ``request``, in
    the old client's order. ``strict`` adds what a server sends and the old
    client did not: the ``asgi`` versions and, for websockets, ``http_version``."""
    assert request.url is not None
    scheme, path, raw_path, query_string, server, host = _url_parts(request.url)
    scope: Scope = {"type": scope_type}
    if strict:
        scope["asgi"] = {
            "version": "3.0",
            "spec_version": HTTP_SPEC_VERSION if scope_type == "http" else WEBSOCKET_SPEC_VERSION,
        }
    if scope_type == "http" or strict:
        scope["http_version"] = "1.1"
    if scope_type == "http":
        scope["method"] = request.method
    scope["path"] = path
    scope["raw_path"] = raw_path
    scope["root_path"] = root_path
    scope["scheme"] = scheme
    scope["query_string"] = query_string
    scope["headers"] = encode_headers(request.headers, host, strict)
    scope["client"] = list(client)
    scope["server"] = list(server)
    scope["state"] = dict(state)
    return scope


@functools.lru_cache(maxsize=32)
def _url_parts(url: str) -> Tuple[str, str, bytes, bytes, Tuple[str, int], bytes]:
    """What ``url`` gives the scope (scheme, path, raw_path, query_string,
    server and the Host header), remembered; or raise what is wrong with it
    (and remember nothing)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise requests.exceptions.InvalidSchema(
            f"asgi_testclient cannot send {url!r}: the scheme must be http, https, ws or wss"
        )
    default_port = DEFAULT_PORTS[scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise requests.exceptions.InvalidURL(f"{url!r}: {exc}") from None
    hostname = parts.hostname or ""
    host_header = parts.netloc.rpartition("@")[2]
    if port == default_port and parts.port is not None:
        host_header = host_header.rpartition(":")[0]
    raw_path = parts.path or "/"
    return (
        scheme,
        unquote(raw_path),
        raw_path.encode("utf-8", "surrogateescape"),
        parts.query.encode("utf-8"),
        (hostname, port),
        host_header.encode("latin-1"),
    )


def http_scope(
    request: requests.PreparedRequest,
    *,
    root_path: str,
    client: Address,
    state: Dict[str, Any],
    strict: bool = False,
    extensions: FrozenSet[str] = frozenset(),
) -> Scope:
    """The ``http`` scope for ``request``, offering the ``extensions`` named."""
    scope = connection_scope(
        request, scope_type="http", root_path=root_path, client=client, state=state, strict=strict
    )
    if scope["scheme"] not in ("http", "https"):
        raise requests.exceptions.InvalidSchema(
            f"{request.url!r} is a websocket URL; open it with client.websocket_connect()"
        )
    if strict:
        method = request.method
        assert method is not None
        if not is_method(method):
            raise ValueError(f"method {method!r} is not an HTTP token; a server would refuse it")
    # Starlette's Jinja2Templates reports what it rendered through the
    # template extension (the old client's) or, from Starlette 0.21, the
    # debug one.
    if extensions:
        scope["extensions"] = http_extensions(extensions, scope["scheme"])
    else:
        scope["extensions"] = {"http.response.template": {}, "http.response.debug": {}}
    return scope


def websocket_scope(
    request: requests.PreparedRequest,
    *,
    root_path: str,
    client: Address,
    state: Dict[str, Any],
    subprotocols: Iterable[str] = (),
    strict: bool = False,
    extensions: FrozenSet[str] = frozenset(),
) -> Scope:
    """The ``websocket`` scope for a handshake ``request`` (its URL ws:// or wss://)."""
    scope = connection_scope(
        request, scope_type="websocket", root_path=root_path, client=client, state=state, strict=strict
    )
    scope["subprotocols"] = list(subprotocols)
    if strict or extensions:
        offered = websocket_extensions(extensions, scope["scheme"], strict)
        if offered is not None:
            scope["extensions"] = offered
    return scope
