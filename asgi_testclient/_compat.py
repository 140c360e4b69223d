"""Every private name of requests, urllib3 and pytest the client uses, in one place.

The client reaches past the public API of the libraries it builds on in a
few places, where the public way would cost time on every request or does
not exist. Each such reach is here, and only here
(``tests/test_compat.py`` fails for one anywhere else), each with what it
is for and the versions it was checked against: when a new release of one
of them breaks the client, this is the one module to look at.

Checked against requests 2.26-2.34, urllib3 1.26-2.x and pytest 7-9.
"""

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    from requests.models import _JSON
    from requests.sessions import (
        _Auth,
        _Cert,
        _Data,
        _Files,
        _HeadersUpdateMapping,
        _HooksInput,
        _Params,
        _TextMapping,
        _Verify,
    )
    from urllib3._collections import HTTPHeaderDict as HTTPHeaderDict

    # For type checkers only: how requests' stubs (types-requests, checked
    # against 2.31 and 2.33) type the arguments of Session.request, which
    # TestClient.request takes too.
    JSON = _JSON
    Auth = _Auth
    Cert = _Cert
    Data = _Data
    Files = _Files
    HeadersUpdateMapping = _HeadersUpdateMapping
    HooksInput = _HooksInput
    Params = _Params
    TextMapping = _TextMapping
    Verify = _Verify


def __getattr__(name: str) -> Any:
    # Imported when first asked for, so that the pytest plugin, which uses
    # this module at start-up, does not import urllib3 into every test run.
    if name == "HTTPHeaderDict":
        #: urllib3's case-insensitive, multi-valued header mapping, which
        #: ``HTTPResponse`` expects for its headers. Exported at the top level
        #: only from urllib3 2.0; ``urllib3._collections`` has it in 1.26-2.x.
        from urllib3._collections import HTTPHeaderDict

        globals()[name] = HTTPHeaderDict
        return HTTPHeaderDict
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: The private names below, as attribute names: what ``tests/test_compat.py``
#: refuses to see outside this module.
PRIVATE_NAMES = frozenset(
    {
        "_content",
        "_content_consumed",
        "_cookies",
        "_policy",
        "_init_decoder",
        "_decode",
        "_flush_decoder",
        "known_args_namespace",
    }
)


def set_content(response: Any, body: bytes) -> None:
    """Give a ``requests.Response`` its whole body, as ``Response.content``
    leaves it after reading: requests 2.26-2.34 keep it in ``_content`` and
    mark the raw stream read with ``_content_consumed``. Saves the reads
    through urllib3 for a body the client has whole already."""
    response._content = body
    response._content_consumed = True


def content_consumed(response: Any) -> bool:
    """Whether ``response.content`` has been read (requests 2.26-2.34:
    ``Response._content_consumed``); the command line then prints the
    body from ``content`` instead of streaming ``raw``."""
    return bool(getattr(response, "_content_consumed", False))


def loaded_content(response: Any) -> Optional[bytes]:
    """The body a ``requests.Response`` holds already (``_content``, in
    requests 2.26-2.34), or ``None`` if it has not been read: the failure
    report shows a body without reading one the test left unread."""
    content = getattr(response, "_content", None)
    return content if isinstance(content, bytes) else None


def attach_cookies(prepared: Any, jar: Any) -> None:
    """Attach a cookie jar to a ``PreparedRequest`` without adding a
    ``Cookie`` header, as ``prepare_cookies`` does for an empty jar
    (requests 2.26-2.34 keep it in ``PreparedRequest._cookies``, which
    redirects and ``Session.send`` read). Saves asking an empty jar."""
    prepared._cookies = jar


def cookie_policy(jar: Any) -> Optional[Any]:
    """The policy of a ``http.cookiejar.CookieJar`` (``_policy`` on
    Python 3.9-3.13, which has ``set_policy`` but no getter); ``None`` for a
    jar without one. The client keeps the session's policy on the jar it
    merges a request's cookies into, where requests would use the default."""
    return getattr(jar, "_policy", None)


def init_decoder(response: Any) -> None:
    """Set up the content decoder of a urllib3 ``HTTPResponse`` from its
    ``Content-Encoding`` (``_init_decoder``, urllib3 1.26-2.x): the client
    streams a chunked body message by message and decodes it itself."""
    response._init_decoder()


def decode(response: Any, data: bytes) -> bytes:
    """``data`` decoded by the response's content decoder, without flushing
    it (``HTTPResponse._decode(data, decode_content=True, flush_decoder=False)``,
    urllib3 1.26-2.x)."""
    decoded: bytes = response._decode(data, True, False)
    return decoded


def flush_decoder(response: Any) -> bytes:
    """What the content decoder still holds at the end of the body
    (``HTTPResponse._flush_decoder``, urllib3 1.26-2.x)."""
    flushed: bytes = response._flush_decoder()
    return flushed


def known_option(config: Any, dest: str) -> Any:
    """The value of a command-line option in ``pytest_load_initial_conftests``,
    before every option is parsed: pytest 7-9 keep the options known so far
    in ``Config.known_args_namespace``. ``None`` if it is not there."""
    return getattr(config.known_args_namespace, dest, None)
