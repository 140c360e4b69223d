"""The transport adapter: a ``PreparedRequest`` in, the app run, a ``Response`` out.

It knows nothing of cookies, redirects, auth or hooks: those stay with
``requests.Session``, exactly as for a real server. Mount it on any session::

    session = requests.Session()
    session.mount("http://app/", ASGIAdapter(app))
"""

import threading
from typing import Any, Dict, Iterable, Mapping, Optional, Union

import requests
from requests.adapters import BaseAdapter

from ._app import as_asgi3
from ._body import request_body
from ._channel import TIMEOUT_GRACE
from ._compat import set_content
from ._exchange import HTTPExchange
from ._extensions import MESSAGE_EXTENSIONS, HeaderMap, fill_response, parse_extensions
from ._loop import LoopThread
from ._response import BodyReader, build_response, new_response
from ._scope import Address, http_scope
from ._timeout import TimeoutArg, read_timeout
from ._types import ASGIApp
from ._verdict import ExchangeTimeout


class ASGIAdapter(BaseAdapter):
    """A requests transport adapter that sends requests to an ASGI app in-process.

    :param app: the ASGI 3 or ASGI 2 application.
    :param raise_server_exceptions: raise the app's exceptions in the test
        (``True``), or turn them into the response a server would send
        (``False``: a 500 if the response had not started, else what the app
        had sent).
    :param root_path: the scope's ``root_path``; the request path is not
        changed (see the docs on ``root_path``).
    :param client: the scope's ``client`` (host, port).
    :param backend: ``"asyncio"`` or ``"trio"``.
    :param backend_options: passed to ``anyio.run``, e.g. ``{"use_uvloop": True}``.
    :param strict: check the app's messages as a strict server would and
        build scopes as a server does (see the docs' "strict mode"); by
        default the client does what the old requests-based Starlette
        client did.
    :param extensions: the ASGI extensions to offer the app, off by default:
        an iterable of names such as ``"http.response.trailers"``, or
        ``"all"`` (see the docs' "ASGI extensions"). ``ValueError`` names
        one the client does not support.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        client: Address = ("testclient", 50000),
        backend: str = "asyncio",
        backend_options: Optional[Dict[str, Any]] = None,
        strict: bool = False,
        extensions: Union[str, Iterable[str], None] = None,
    ) -> None:
        super().__init__()
        self.app = as_asgi3(app)
        self.strict = strict
        #: The names of the extensions turned on (the two debug ones are
        #: offered whatever this holds).
        self.extensions = parse_extensions(extensions)
        # Those that add messages an HTTP exchange handles.
        self._message_extensions = self.extensions.intersection(MESSAGE_EXTENSIONS)
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.client = tuple(client)
        self.loop = LoopThread(backend, backend_options)
        #: The lifespan state: what the app's lifespan put in its ``state``,
        #: shallow-copied into every connection scope.
        self.state: Dict[str, Any] = {}
        self._lock = threading.Lock()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: TimeoutArg = None,
        verify: Union[bool, str] = True,
        cert: Any = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        """Run the app for ``request`` and return its response.

        With ``stream=True`` this returns as soon as the app has started its
        response; the body is read as the app sends it. Without it, this
        returns once the app has returned (its background tasks included).
        ``timeout`` bounds each wait for the app: for the start of the
        response, for every body chunk, and for the app to finish after it.

        :rtype: requests.Response
        """
        seconds = read_timeout(timeout)
        strict = self.strict
        scope = http_scope(
            request,
            root_path=self.root_path,
            client=self.client,
            state=self.state,
            strict=strict,
            extensions=self.extensions,
        )
        raw_body = request.body
        if raw_body is None or isinstance(raw_body, (bytes, str)):
            body = request_body(raw_body)  # already whole: its length does not matter
        else:
            length = request.headers.get("Content-Length")
            body = request_body(raw_body, int(length) if length and length.isdigit() else None)
        exchange = HTTPExchange(
            self.loop,
            self.app,
            scope,
            body,
            streaming=stream,
            timeout=seconds,
            strict=strict,
            extensions=self._message_extensions,
        )
        exchange.request = request

        def timeout_error(exc: ExchangeTimeout) -> requests.exceptions.ReadTimeout:
            return requests.exceptions.ReadTimeout(
                f"{request.method} {request.url} timed out: the app did not"
                f" {exc.waiting_for} within {exc.timeout:g} seconds (timeout={timeout!r})",
                request=request,
            )

        exchange.start()
        # Until the loop thread has woken up to run the app, work here is
        # free: make what does not depend on the app's answer.
        reader = BodyReader(exchange, self.raise_server_exceptions, timeout_error)
        response = new_response(self, request)
        # What extensions may fill in (inline: every response pays for it).
        response.trailers = HeaderMap()  # type: ignore[attr-defined]
        response.early_hints = []  # type: ignore[attr-defined]
        response.pushes = []  # type: ignore[attr-defined]
        try:
            if stream:
                exchange.wait_for_start()
            else:
                # Without streaming the whole body is read anyway: one wait,
                # for the app to return, as with the old client (background
                # tasks have run when the call returns).
                exchange.wait_until_finished()
        except ExchangeTimeout as exc:
            exchange.abort(TIMEOUT_GRACE)
            raise timeout_error(exc) from None
        status = exchange.status
        if status is None or not stream:
            failure = exchange.failure(self.raise_server_exceptions)
            if failure is not None:
                raise failure
        if status is None:  # the app finished without starting a response
            status, headers = 500, []
        else:
            headers = exchange.headers
        build_response(response, status, headers, reader, strict, read_whole=not stream)
        if exchange.recorded is not None:
            # Streamed, what came before the start is known now; trailers
            # (and hints or pushes sent with the body) once the body is read.
            fill_response(response, exchange, trailers=not stream)
            if stream:
                reader.at_end = lambda: fill_response(response, exchange)
        if not stream:
            if "content-encoding" in response.headers:
                reader.preload(exchange.take_all())
            else:
                # Nothing to decode: hand requests the body as it would
                # have read it, without going through urllib3's reads.
                set_content(response, reader.read_whole(exchange.take_all()))
        if exchange.template is not None:
            # Starlette's templates report before the response starts; like
            # the old client, set the attributes only when they did.
            response.template = exchange.template  # type: ignore[attr-defined]
            response.context = exchange.context  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        """Stop the event loop thread (a new one starts if the adapter is used again)."""
        self.loop.stop()
