"""``TestClient``: a ``requests.Session`` whose every request goes to an ASGI app."""

import threading
import weakref
from http.cookiejar import CookieJar
from typing import Any, Callable, Dict, Optional, Sequence, Union
from urllib.parse import urlsplit, urlunsplit

import requests
from anyio.from_thread import BlockingPortal
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth

from ._adapter import ASGIAdapter, TimeoutArg
from ._cookies import TestServerCookiePolicy
from ._lifespan import LifespanRunner
from ._merge import merge_hooks, merge_setting
from ._multipart import MultipartBody, key_value_pairs
from ._prepare import prepare
from ._scope import Address, websocket_scope
from ._types import ASGIApp
from ._websocket import WebSocketTestSession


class _Unset:
    def __repr__(self) -> str:
        return "<client default>"


#: The default of ``timeout=`` in request methods: use ``TestClient.timeout``.
USE_CLIENT_DEFAULT: Any = _Unset()

#: Seconds a websocket handshake or ``receive*`` waits when neither the call,
#: ``websocket_connect(timeout=...)`` nor the client sets a timeout.
WEBSOCKET_TIMEOUT = 30.0


# requests' own cookie merging (typed differently from one version to the next).
_cookiejar_from_dict: Any = requests.cookies.cookiejar_from_dict
_merge_cookies: Any = requests.cookies.merge_cookies


def _check_cookie(name: str, value: Optional[str]) -> None:
    # A ';' would make the app read two cookies where the test set one.
    if not isinstance(name, str) or not isinstance(value, (str, type(None))):
        return  # requests refuses it, or sends it as it would to a server
    if ";" in name or "=" in name or (value is not None and ";" in value):
        raise requests.exceptions.InvalidHeader(
            f"cookie {name!r}={value!r} contains ';' (or its name '='), which would make the app"
            " read it as more than one cookie; quote or encode the value"
        )


def _has_header(name: str, *header_maps: Any) -> bool:
    return any(key.lower() == name for headers in header_maps if headers for key, _ in key_value_pairs(headers))



class TestClient(requests.Session):
    """A requests ``Session`` that runs an ASGI app in-process.

    Every request of a client runs on the same event loop, started at the
    first request and stopped by :meth:`close` or by leaving ``with``.
    ``with TestClient(app) as client:`` runs the app's lifespan around the
    block.

    :param app: the ASGI 3 or ASGI 2 application under test.
    :param base_url: what relative URLs are resolved against, path prefix
        included: with ``"http://testserver/api"``, ``client.get("/users")``
        requests ``/api/users``.
    :param raise_server_exceptions: raise the app's exceptions in the test
        (default), or return the response a server would send instead.
    :param root_path: the scope's ``root_path``; the path is sent as asked.
    :param backend: ``"asyncio"`` or ``"trio"``.
    :param backend_options: for ``anyio.run``; ``{"use_uvloop": True}`` runs
        asyncio on uvloop.
    :param client: the scope's ``client`` address, ``(host, port)``.
    :param timeout: the default ``timeout=`` of every request, websocket
        receive and lifespan phase; ``None`` waits as long as the app takes.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

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
    ) -> None:
        super().__init__()
        adapter = ASGIAdapter(
            app,
            raise_server_exceptions=raise_server_exceptions,
            root_path=root_path,
            client=client,
            backend=backend,
            backend_options=backend_options,
        )
        self.adapter = adapter
        self.app = adapter.app
        for prefix in ("http://", "https://", "ws://", "wss://"):
            self.mount(prefix, adapter)
        self.base_url = base_url
        self._url_start = ("", "")
        self.timeout = timeout
        # Proxies, .netrc and CA bundles from the environment mean nothing
        # to an in-process app; reading them makes tests depend on the
        # machine (and costs time on every request).
        self.trust_env = False
        self.headers["User-Agent"] = "testclient"
        self.cookies.set_policy(TestServerCookiePolicy())
        self._lifespan: Optional[LifespanRunner] = None
        self._lifespan_lock = threading.Lock()
        # A client nobody closed still stops its loop thread when collected.
        self._finalizer = weakref.finalize(self, adapter.loop.stop)

    # -- requests ------------------------------------------------------------

    def _merge_url(self, url: Union[str, bytes]) -> str:
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        if url[:1] == "/" and url[1:2] != "/":
            # A path, the usual case: the base URL's origin and path prefix,
            # then the path. Worked out once per base URL.
            base_url, start = self._url_start
            if base_url != self.base_url:
                base = urlsplit(self.base_url)
                start = urlunsplit((base.scheme, base.netloc, "", "", "")) + base.path.rstrip("/")
                self._url_start = (self.base_url, start)
            return start + url
        try:
            if urlsplit(url).scheme:
                return url
        except ValueError:
            return url  # malformed: requests raises InvalidURL for it
        base = urlsplit(self.base_url)
        if url.startswith("//"):
            return f"{base.scheme}:{url}"
        prefix = base.path.rstrip("/")
        # A query or fragment alone keeps the base path, as in a browser.
        path = (prefix or "/") + url if url.startswith(("?", "#")) else f"{prefix}/{url.lstrip('/')}"
        return urlunsplit((base.scheme, base.netloc, "", "", "")) + path

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Merge ``request`` with the session's settings, as requests does.

        Two differences: the request's cookies are chosen by this client's
        cookie policy (requests copies them into a jar with the standard
        policy), and a cookie that would read as two is refused.
        """
        jar = RequestsCookieJar(policy=getattr(self.cookies, "_policy", None))
        _merge_cookies(jar, self.cookies)
        cookies = request.cookies
        if cookies:
            _merge_cookies(jar, cookies if isinstance(cookies, CookieJar) else _cookiejar_from_dict(cookies))
        for cookie in jar:
            _check_cookie(cookie.name, cookie.value)
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

    def request(  # type: ignore[override]
        self,
        method: str,
        url: Union[str, bytes],
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: TimeoutArg = USE_CLIENT_DEFAULT,
        allow_redirects: Optional[bool] = None,
        proxies: Any = None,
        hooks: Any = None,
        stream: Optional[bool] = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        """Send a request to the app; the arguments are those of
        :meth:`requests.Session.request`.

        Two defaults differ from requests', as they did in the old Starlette
        client: ``allow_redirects=None`` means no redirects for ``request()``,
        ``post``, ``put``, ``patch`` and ``delete`` (``get`` and ``options``
        follow them, ``head`` does not); and ``timeout`` defaults to the
        client's ``timeout``.

        :rtype: requests.Response
        """
        if timeout is USE_CLIENT_DEFAULT:
            timeout = self.timeout
        if files:
            # The same bytes requests would send, with files read as sent.
            data, files = MultipartBody(data, files), None
            if not _has_header("content-type", headers, self.headers):
                headers = dict(key_value_pairs(headers or {}), **{"Content-Type": data.content_type})
        return super().request(
            method,
            self._merge_url(url),
            params=params,
            data=data,
            headers=headers,
            cookies=cookies,
            files=files,
            auth=auth,
            timeout=timeout,  # type: ignore[arg-type]
            allow_redirects=allow_redirects,  # type: ignore[arg-type]
            proxies=proxies,
            hooks=hooks,
            stream=stream,
            verify=verify,
            cert=cert,
            json=json,
        )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a prepared request, as :meth:`requests.Session.send` does;
        without a ``timeout=``, the client's ``timeout`` applies, as it does
        in :meth:`request`."""
        if kwargs.get("timeout", USE_CLIENT_DEFAULT) is USE_CLIENT_DEFAULT:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)

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
        parts = urlsplit(self._merge_url(url))
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        if scheme not in ("http", "https"):
            raise requests.exceptions.InvalidSchema(
                f"cannot open a websocket to {url!r}: the scheme must be ws, wss, http or https"
            )
        headers = {
            "Connection": "upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Key": "testserver==",
            "Sec-WebSocket-Version": "13",
        }
        if subprotocols:
            headers["Sec-WebSocket-Protocol"] = ", ".join(subprotocols)
        headers.update(options.pop("headers", None) or {})
        prepared = self.prepare_request(
            requests.Request("GET", urlunsplit(parts._replace(scheme=scheme)), headers=headers, **options)
        )
        # Drop what only makes sense for HTTP requests.
        for name in ("Accept-Encoding", "Accept", "Content-Length"):
            prepared.headers.pop(name, None)
        assert prepared.url is not None
        prepared.url = urlunsplit(urlsplit(prepared.url)._replace(scheme={"http": "ws", "https": "wss"}[scheme]))
        adapter = self.adapter
        scope = websocket_scope(
            prepared,
            root_path=adapter.root_path,
            client=adapter.client,
            state=adapter.state,
            subprotocols=list(subprotocols or ()),
        )
        return WebSocketTestSession(
            adapter.loop,
            adapter.app,
            scope,
            timeout=timeout,
            raise_server_exceptions=adapter.raise_server_exceptions,
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

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run ``await func(*args)`` on the app's event loop and return its result.

        Objects the app made on its loop (a database pool in its lifespan
        state, say) can be used here. Works from any test, sync or async, on
        any runner.
        """
        return self.adapter.loop.call(func, *args)

    def __enter__(self) -> "TestClient":
        with self._lifespan_lock:
            if self._lifespan is not None:
                raise RuntimeError(
                    "this TestClient is already inside 'with' and running the app's"
                    " lifespan; enter it once, or use a second client"
                )
            adapter = self.adapter
            adapter.state = {}
            runner = LifespanRunner(adapter.loop, adapter.app, adapter.state, self.timeout)
            try:
                runner.startup()
            except BaseException:
                adapter.loop.stop()
                raise
            self._lifespan = runner
        return self

    def __exit__(self, *exc_info: Any) -> None:
        with self._lifespan_lock:
            runner, self._lifespan = self._lifespan, None
            try:
                if runner is not None:
                    runner.shutdown()
            finally:
                self.adapter.state = {}
                self.close()

    def close(self) -> None:
        """Close every adapter, which stops the event loop thread.

        The client stays usable: the next request starts a new loop.
        """
        super().close()
