"""urllib3's response, as the client makes it: the ``response.raw`` of every response.

urllib3 turns an ``OSError`` raised by the file object it reads into its own
``ProtocolError``. The body reader (``_response.BodyReader``) therefore
raises app exceptions and timeouts inside a private carrier,
:class:`Carried`, and :class:`ASGIHTTPResponse` takes them out again, so
the test sees the app's own exception (or requests' ``ReadTimeout``)
unchanged.
"""

from typing import Any, Dict, Generator, List, Optional, Tuple

from urllib3 import HTTPResponse

from ._compat import HTTPHeaderDict, decode, flush_decoder, init_decoder


class Carried(Exception):
    """Carries an exception through urllib3's error handling untouched."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(exc)
        self.exc = exc


def header_dict(headers: List[Tuple[str, str]]) -> Any:
    result = HTTPHeaderDict()
    for name, value in headers:  # add() one by one: extend() checks a Mapping first (slow)
        result.add(name, value)
    return result


class ASGIHTTPResponse(HTTPResponse):
    """urllib3's response, unwrapping what the body reader carried.

    A body without ``Content-Length`` is what a server would send chunked,
    and urllib3 streams a chunked body chunk by chunk, as it arrives. So
    does :meth:`stream` here, one ASGI body message at a time: that is what
    makes ``iter_content``/``iter_lines`` read an endless event stream event
    by event. A body with ``Content-Length`` streams as urllib3 streams it
    from a socket, filling each ``amt``.
    """

    #: Set when the body has no ``Content-Length``.
    asgi_chunked = False
    #: The body reader (also urllib3's ``_fp``).
    asgi_reader: Any
    #: urllib3's ``__init__`` arguments, while it has not run (:meth:`deferred`).
    _deferred_init: Optional[Dict[str, Any]] = None
    #: What requests' cookie extraction asks for: answered without running
    #: ``__init__`` (which sets it again, to the same ``None``).
    _original_response = None

    @classmethod
    def deferred(cls, headers: List[Tuple[str, str]], **kwargs: Any) -> "ASGIHTTPResponse":
        """A response for a body already read whole, whose urllib3 part is
        made when something first looks at it.

        Most tests never touch ``response.raw`` once the body is in
        ``response.content``; making urllib3's response (and its header
        dict) costs a request several microseconds. Any attribute read
        makes it, so the object behaves as one made at once.
        """
        raw = cls.__new__(cls)
        raw._deferred_init = dict(kwargs, headers=headers)
        return raw

    def __getattr__(self, name: str) -> Any:
        # Only for attributes not there yet: before __init__, every one.
        kwargs = self.__dict__.pop("_deferred_init", None)
        if kwargs is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        kwargs["headers"] = header_dict(kwargs["headers"])
        HTTPResponse.__init__(self, **kwargs)
        return getattr(self, name)

    @property
    def closed(self) -> bool:
        if self.__dict__.get("_deferred_init") is not None:
            return True  # its body was read whole: nothing to close (asked when it is collected)
        return bool(super().closed)

    def read(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read(*args, **kwargs)
        except Carried as carried:
            exc = carried.exc
        raise exc

    def stream(
        self, amt: Optional[int] = 2**16, decode_content: Optional[bool] = None
    ) -> Generator[bytes, None, None]:
        if not self.asgi_chunked:
            yield from super().stream(amt, decode_content)
            return
        if decode_content is None:
            decode_content = self.decode_content
        reader = self.asgi_reader
        init_decoder(self)
        while True:
            try:
                data = reader.read1(amt)
            except Carried as carried:
                exc = carried.exc
                break
            if not data:
                if decode_content:
                    data = flush_decoder(self)
                    if data:
                        yield data
                return
            if decode_content:
                data = decode(self, data)
            if data:
                yield data
        raise exc
