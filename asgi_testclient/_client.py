"""``TestClient``: a ``requests.Session`` whose every request goes to an ASGI app."""

# The annotations name types that exist for type checkers only (requests'
# stubs, ParamSpec before Python 3.10): they stay strings at runtime.
from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Iterable, Optional, Sequence, TypeVar, Union
from urllib.parse import urljoin

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth

from . import _traffic
from ._adapter import ASGIAdapter
from ._cookiejar import request_jar
from ._handshake import websocket_handshake
from ._lifespan import LifespanStack
from ._merge import merge_hooks, merge_setting
from ._multipart import MultipartBody
from ._prepare import prepare
from ._scope import Address
from ._timeout import TimeoutArg
from ._types import ASGIApp, Default

if TYPE_CHECKING:  # pragma: no cover - imported when first used
    from anyio.from_thread import BlockingPortal

    from ._websocket import WebSocketTestSession

if TYPE_CHECKING:  # pragma: no cover
    # How requests' stubs (types-requests) type Session.request's arguments:
    # request() takes the same, so a type checker holds calls to it (and
    # to get, post, ..., which requests types the same way) to them.
    from typing_extensions import ParamSpec

    from ._compat import JSON, Auth, Cert, Data, Files, HeadersUpdateMapping, HooksInput, Params, TextMapping, Verify

    _P = ParamSpec("_P")

_T = TypeVar("_T")

#: The default of ``timeout=`` in request methods: use ``TestClient.timeout``.
USE_CLIENT_DEFAULT: Any = Default("client default")

_LIFESPAN_MODES = ("on", "auto", "off")

#: What ``TestClient(strict=None)``, the default, means: ``False`` unless
#: the pytest plugin's ``asgi_testclient_strict`` ini key (or
#: ``--asgi-strict``) made a whole test run strict.
STRICT_DEFAULT = False


@functools.lru_cache(maxsize=32)
def _join(base_url: str, url: str) -> str:
    # Remembered: a suite joins the same few URLs to its base URL again and again.
    return urljoin(base_url, url)


#: Seconds a websocket handshake or ``receive*`` waits when neither the call,
#: ``websocket_connect(timeout=...)`` nor the client sets a timeout.
WEBSOCKET_TIMEOUT = 30.0


class TestClient(requests.Session):
    """A requests ``Session`` that runs an ASGI app in-process.

    Every request of a client runs on the same event loop, started at the
    first request and stopped by :meth:`close` or by leaving ``with``.
    ``with TestClient(app) as client:`` runs the app's lifespan around the
    block.

    :param app: the ASGI 3 or ASGI 2 application under test.
    :param base_url: what relative URLs are resolved against, with
        ``urllib.parse.urljoin`` as the old client did: with
        ``"http://testserver/api/"``, ``client.get("users")`` requests
        ``/api/users`` and ``client.get("/users")`` requests ``/users``.
    :param raise_server_exceptions: raise the app's exceptions in the test
        (default), or return the response a server would send instead.
    :param root_path: the scope's ``root_path``; the path is sent as asked.
    :param backend: ``"asyncio"`` or ``"trio"``.
    :param backend_options: for ``anyio.run``; ``{"use_uvloop": True}`` runs
        asyncio on uvloop.
    :param client: the scope's ``client`` address, ``(host, port)``.
    :param timeout: the default ``timeout=`` of every request, websocket
        receive and lifespan phase; ``None`` waits as long as the app takes.
    :param strict: hold the app to the ASGI spec as a strict server would
        (messages the old client ignored or let through are errors) and give
        it the scope a server gives; by default the client does what the old
        requests-based Starlette client did. ``None`` means
        :data:`STRICT_DEFAULT`, which the pytest plugin's
        ``asgi_testclient_strict`` ini key sets for a whole run.
    :param lifespan: ``"on"`` (default): ``with`` runs the lifespan, and an
        app that raises instead of starting raises in the test, as with the
        old client; ``"auto"``: an app that raises before asking for
        ``lifespan.startup`` runs without lifespan, as servers treat it;
        ``"off"``: ``with`` runs no lifespan.
    :param extensions: the ASGI extensions to offer the app (none by
        default, as the old client): an iterable of names such as
        ``"http.response.trailers"`` or ``"http.response.pathsend"``, or
        ``"all"``. What the app sends through them is readable as
        ``response.trailers``, ``response.early_hints`` and
        ``response.pushes`` (see the docs' "ASGI extensions").
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    #: This client's exchanges in the current test's recording (see ``_traffic``).
    _traffic_log: Optional[_traffic.ClientTraffic] = None

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: str = "asyncio",
        backend_options: Optional[Dict[str, Any]] = None,
        *,
        client: Address = ("testclient", 50000),
        timeout: Optional[float] = None,
        strict: Optional[bool] = None,
        lifespan: str = "on",
        extensions: Union[str, Iterable[str], None] = None,
    ) -> None:
        super().__init__()
        if strict is None:
            strict = STRICT_DEFAULT
        if lifespan not in _LIFESPAN_MODES:
            raise ValueError(f"lifespan must be one of {', '.join(map(repr, _LIFESPAN_MODES))}, not {lifespan!r}")
        adapter = ASGIAdapter(
            app,
            raise_server_exceptions=raise_server_exceptions,
            root_path=root_path,
            client=client,
            backend=backend,
            backend_options=backend_options,
            strict=strict,
            extensions=extensions,
        )
        self.lifespan = lifespan
        self.adapter = adapter
        self.app = adapter.app
        for prefix in ("http://", "https://", "ws://", "wss://"):
            self.mount(prefix, adapter)
        self.base_url = base_url
        self.timeout = timeout
        # Proxies, .netrc and CA bundles from the environment mean nothing
        # to an in-process app; reading them makes tests depend on the
        # machine (and costs time on every request).
        self.trust_env = False
        self.headers.update({"user-agent": "testclient"})  # the old client's spelling of the key
        # Each ``with`` block's lifespan run, innermost last.
        self._lifespans = LifespanStack()
        # A client nobody closed still stops its loop thread when collected.
        self._finalizer = weakref.finalize(self, adapter.loop.stop)
        recording = _traffic.current
        if recording is not None:  # a client made during a test is in its report
            recording.traffic(self)

    # -- requests ------------------------------------------------------------

    def _merge_url(self, url: Union[str, bytes]) -> str:
        """``urljoin(base_url, url)``, as the old client joined them."""
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        return _join(self.base_url, url)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Merge ``request`` with the session's settings, as requests does.

        Two differences: the request's cookies are chosen by this client's
        cookie policy (requests copies them into a jar with the standard
        policy), and with ``strict=True`` a cookie that would read as two
        is refused.
        """
        jar = request_jar(self.cookies, request.cookies, self.adapter.strict)
        auth = request.auth
        if self.trust_env and not auth and not self.auth:
            auth = get_netrc_auth(request.url)
        return prepare(
            method=request.method.upper() if request.method else request.method,
            url=request.url,
            files=request.files,
            data=request.data,
            json=request.json,
            headers=merge_setting(request.headers, self.headers, dict_class=CaseInsensitiveDict),
            # No parameters as "" rather than an empty mapping: the same URL,
            # without requests' slow protocol checks on the mapping.
            params=merge_setting(request.params, self.params) or "",
            auth=merge_setting(auth, self.auth),
            cookies=jar,
            hooks=merge_hooks(request.hooks, self.hooks),
            content_type=request.data.content_type if isinstance(request.data, MultipartBody) else None,
        )

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        """As in requests; the environment is read only if ``trust_env`` is set."""
        if self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    def request(
        self,
        method: Union[str, bytes],
        url: Union[str, bytes],
        params: Optional[Params] = None,
        data: Optional[Data] = None,
        headers: Optional[HeadersUpdateMapping] = None,
        cookies: Union[RequestsCookieJar, TextMapping, None] = None,
        files: Optional[Files] = None,
        auth: Optional[Auth] = None,
        timeout: TimeoutArg = USE_CLIENT_DEFAULT,
        allow_redirects: Optional[bool] = None,
        proxies: Optional[TextMapping] = None,
        hooks: Optional[HooksInput] = None,
        stream: Optional[bool] = None,
        verify: Optional[Verify] = None,
        cert: Optional[Cert] = None,
        json: Optional[JSON] = None,
    ) -> requests.Response:
        """Send a request to the app; the arguments are those of
        :meth:`requests.Session.request`.

        Two defaults differ from requests', as they did in the old Starlette
        client: ``allow_redirects=None`` means no redirects for ``request()``,
        ``post``, ``put``, ``patch`` and ``delete`` (``get`` and ``options``
        follow them, ``head`` does not); and ``timeout`` defaults to the
        client's ``timeout``. ``timeout`` also takes a ``urllib3.Timeout``.

        :rtype: requests.Response
        """
        if timeout is USE_CLIENT_DEFAULT:
            timeout = self.timeout
        if files:
            # The same bytes requests would send, with files read as sent
            # (prepare_request gives it requests' Content-Type).
            data, files = MultipartBody(data, files), None
        # In the order of requests.Session.request's parameters (the same
        # since requests 1.0).
        return super().request(
            method, self._merge_url(url), params, data, headers, cookies, files, auth,
            timeout, allow_redirects, proxies, hooks, stream, verify, cert, json,  # type: ignore[arg-type]
        )  # fmt: skip

    def resolve_redirects(
        self, resp: requests.Response, req: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> Any:
        """As in requests; without a redirect to follow (nearly every
        response), nothing is yielded, as requests would yield nothing."""
        if self.get_redirect_target(resp) is None:
            return iter(())
        return super().resolve_redirects(resp, req, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a prepared request, as :meth:`requests.Session.send` does;
        without a ``timeout=``, the client's ``timeout`` applies, as it does
        in :meth:`request`."""
        if kwargs.get("timeout", USE_CLIENT_DEFAULT) is USE_CLIENT_DEFAULT:
            kwargs["timeout"] = self.timeout
        recording = _traffic.current
        if recording is None:
            return super().send(request, **kwargs)
        record = recording.http(self, request, bool(kwargs.get("stream")))
        try:
            response = super().send(request, **kwargs)
        except BaseException as exc:
            record.failed(exc)
            raise
        record.finished(response)
        return response

    # -- websockets ------------------------------------------------------------

    def websocket_connect(
        self,
        url: str,
        subprotocols: Optional[Sequence[str]] = None,
        **options: Any,
    ) -> WebSocketTestSession:
        """Open a websocket to the app; use the result as a context manager.

        ``url`` may be relative to ``base_url`` or absolute, with ``ws``,
        ``wss``, ``http`` or ``https``. ``options`` are ``params``,
        ``headers``, ``cookies``, ``auth`` (prepared as requests prepares an
        HTTP request, session headers and cookies included) and ``timeout``,
        the default wait of the handshake and every ``receive*`` call: the
        client's ``timeout``, or :data:`WEBSOCKET_TIMEOUT` (30 seconds) if
        that is ``None``; pass ``timeout=None`` to wait without a limit.
        """
        if "timeout" in options:
            timeout = options.pop("timeout")
        else:
            # A silent app must not hang the test run: without a timeout of
            # the client's, websocket waits get a finite one of their own.
            timeout = self.timeout if self.timeout is not None else WEBSOCKET_TIMEOUT
        unknown = set(options) - {"params", "headers", "cookies", "auth"}
        if unknown:
            raise TypeError(f"websocket_connect() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        adapter = self.adapter
        prepared, scope = websocket_handshake(self.prepare_request, adapter, self.base_url, url, subprotocols, options)
        from ._websocket import WebSocketTestSession  # not imported until a websocket is opened

        session_class: Callable[..., WebSocketTestSession] = WebSocketTestSession
        recorded: Dict[str, Any] = {}
        recording = _traffic.current
        if recording is not None:  # a session that records itself for the failure report
            from ._traffic_ws import RecordedWebSocketTestSession

            session_class = RecordedWebSocketTestSession
            recorded = {"traffic_record": recording.websocket(self, prepared.url or "", prepared)}
        return session_class(
            adapter.loop,
            adapter.app,
            scope,
            timeout=timeout,
            raise_server_exceptions=adapter.raise_server_exceptions,
            strict=adapter.strict,
            **recorded,
        )

    # -- the loop and the lifespan ----------------------------------------------

    @property
    def lifespan_state(self) -> Dict[str, Any]:
        """The state the app's lifespan set up (what a Starlette lifespan
        yields), inside ``with``; each request's scope gets a shallow copy."""
        return self.adapter.state

    @property
    def portal(self) -> BlockingPortal:
        """An anyio blocking portal into the client's event loop, the one the
        app runs on: ``client.portal.call(async_fn, *args)`` runs a coroutine
        function there and returns its result. Not usable from inside a trio
        test (anyio's portal refuses a thread that runs trio): use
        :meth:`run` there."""
        return self.adapter.loop.portal

    def run(self, func: Callable[_P, Awaitable[_T]], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run ``await func(*args, **kwargs)`` on the app's event loop and
        return its result.

        Objects the app made on its loop (a database pool in its lifespan
        state, say) can be used here. Works from any test, sync or async, on
        any runner.
        """
        call = functools.partial(func, **kwargs) if kwargs else func
        result: _T = self.adapter.loop.call(call, *args)
        return result

    def __enter__(self) -> TestClient:
        """Run the app's lifespan startup; its shutdown runs when the block ends.

        Entering again inside the block runs the lifespan again, nested (as
        the old client did); leaving the inner block shuts that run down and
        gives requests the outer run's state back.
        """
        self._lifespans.enter(self.adapter, self.timeout, self.lifespan)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._lifespans.exit(self.adapter, self.lifespan, self.close)

    def close(self) -> None:
        """Close every adapter, which stops the event loop thread.

        The client stays usable: the next request starts a new loop.
        """
        super().close()
