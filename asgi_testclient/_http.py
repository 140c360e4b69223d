"""HTTP syntax the client holds both sides to: tokens and header fields.

A server refuses a method or header name that is not a token, and a header
value with CR, LF or NUL in it; so does the client, for what the test sends
and for what the app answers, so that nothing passes in a test that would
fail behind a server (or let one header smuggle in another).
"""

import functools
import re
from typing import Any, Dict, List, Tuple

from ._exceptions import ASGIProtocolError

# RFC 9110 token: the visible ASCII characters but separators.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN_STR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# What may not appear in a field value (tab and obs-text may).
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00\r\n]")

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Statuses whose responses never have a body.
NO_BODY_STATUSES = frozenset({204, 304})


def is_token(name: bytes) -> bool:
    return _TOKEN.fullmatch(name) is not None


def is_method(method: str) -> bool:
    """Whether ``method`` is an HTTP token (the standard ones checked first)."""
    return method in _KNOWN_METHODS or _TOKEN_STR.fullmatch(method) is not None


def field_value_problem(value: bytes) -> str:
    """What is wrong with a header value, or ``""``."""
    return "contains a CR, LF or NUL character" if _FORBIDDEN_IN_VALUE.search(value) else ""


def header_pairs(headers: Any, message_type: str, strict: bool = True) -> List[Tuple[bytes, bytes]]:
    """The app's ``headers`` as a list of byte pairs, or ``ASGIProtocolError``
    naming a header that is not a pair of bytes; with ``strict``, also one a
    server would refuse (a name that is not a token, CR, LF or NUL in a
    value), which the old client passed on."""
    try:
        pairs = [(name, value) for name, value in headers]
    except (TypeError, ValueError):
        raise ASGIProtocolError(
            f"'{message_type}' message has headers {headers!r:.200}; they must be an"
            " iterable of (name, value) byte-string pairs"
        ) from None
    for name, value in pairs:
        exact = type(name) is bytes and type(value) is bytes
        if not exact and not (isinstance(name, bytes) and isinstance(value, bytes)):
            raise ASGIProtocolError(
                f"'{message_type}' message has header ({name!r}, {value!r}); header"
                " names and values must be bytes"
            )
        if not strict:
            continue
        problem = (_header_problem if exact else _header_problem.__wrapped__)(name, value)
        if problem:
            raise ASGIProtocolError(f"'{message_type}' message has header {problem}; a server would refuse it")
    return pairs


@functools.lru_cache(maxsize=32)
def _header_problem(name: bytes, value: bytes) -> str:
    """What a server would refuse in a header of the app's, or ``""``
    (remembered: an app answers with the same few headers again and again)."""
    if not is_token(name):
        return f"name {name!r}, which is not an HTTP token"
    problem = field_value_problem(value)
    if problem:
        return f"{name!r} whose value {value!r:.100} {problem}"
    return ""


def decode_header(raw: bytes, strict: bool) -> str:
    if not strict:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def joined_headers(headers: List[Tuple[str, str]]) -> Dict[str, str]:
    """The headers by name, repeated ones joined with ", " (as urllib3's
    ``HTTPHeaderDict`` gives them, under the first spelling of the name)."""
    joined: Dict[str, str] = {}
    spelling: Dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        first = spelling.setdefault(key, name)
        joined[first] = f"{joined[first]}, {value}" if first in joined else value
    return joined
