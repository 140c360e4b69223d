"""The websocket handshake a test's ``websocket_connect()`` sends: its URL,
its headers and the scope the app receives, built as the old client built
them (or, with ``strict=True``, as a server would see them). ``_client``
calls it; it prepares through the client's ``prepare_request`` so session
headers, cookies and auth apply as to an HTTP request.
"""

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from ._scope import websocket_scope
from ._types import Scope

if TYPE_CHECKING:  # pragma: no cover
    from ._adapter import ASGIAdapter


def _encoded_params(params: Any) -> str:
    """``params`` as requests puts them in a query string."""
    encoder = requests.PreparedRequest()
    encoder.prepare_url("http://params/", params)
    return urlsplit(encoder.url or "").query


def _websocket_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(scheme={"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)))


def websocket_handshake(
    prepare_request: Callable[[requests.Request], requests.PreparedRequest],
    adapter: "ASGIAdapter",
    base_url: str,
    url: Any,
    subprotocols: Optional[Sequence[str]],
    options: Dict[str, Any],
) -> Tuple[requests.PreparedRequest, Scope]:
    """The prepared handshake request and the app's scope for ``url``;
    ``options`` are ``websocket_connect()``'s ``params``, ``headers``,
    ``cookies`` and ``auth`` (the ones taken are popped)."""
    if isinstance(url, bytes):
        url = url.decode("utf-8")
    # The old client joined websocket URLs to ws://testserver, whatever
    # the base URL; strict mode joins them to the base URL.
    parts = urlsplit(urljoin(_websocket_base(base_url) if adapter.strict else "ws://testserver", url))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise requests.exceptions.InvalidSchema(
            f"cannot open a websocket to {url!r}: the scheme must be ws, wss, http or https"
        )
    # The handshake the old client sent: the test's headers, then the
    # ones it adds unless the test has them, prepared by requests (which
    # leaves a ws:// URL as it is, parameters and all).
    headers = options.pop("headers", None)
    headers = {} if headers is None else copy.copy(headers)
    headers.setdefault("connection", "upgrade")
    headers.setdefault("sec-websocket-key", "testserver==")
    headers.setdefault("sec-websocket-version", "13")
    if subprotocols is not None:
        headers.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
    params = options.pop("params", None)
    if params:
        # requests leaves a ws:// URL alone, parameters included (the old
        # client lost them): add them as requests encodes them.
        query = "&".join(part for part in (parts.query, _encoded_params(params)) if part)
        parts = parts._replace(query=query)
    prepared = prepare_request(
        requests.Request("GET", urlunsplit(parts._replace(scheme=scheme)), headers=headers, **options)
    )
    offered = prepared.headers.get("sec-websocket-protocol")
    scope = websocket_scope(
        prepared,
        root_path=adapter.root_path,
        client=adapter.client,
        state=adapter.state,
        subprotocols=[] if offered is None else [value.strip() for value in offered.split(",")],
        strict=adapter.strict,
        extensions=adapter.extensions,
    )
    return prepared, scope
