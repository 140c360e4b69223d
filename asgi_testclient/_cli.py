"""``asgi-testclient`` (and ``python -m asgi_testclient``): one request to an
app, printed like ``curl -i``, with curl's flags where they make sense.

The point is a quick look at an app from a shell, so the flags follow curl's
rules (``-d`` means POST, ``--json`` sets both JSON headers, ``--fail`` exits
22) and anyone who knows curl can use it without reading the help.
"""

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from ._adapter import ASGIAdapter
from ._client import TestClient
from ._compat import content_consumed
from ._http import is_method

# curl's exit codes for the same failures.
_EXIT_HTTP_ERROR = 22
_EXIT_WRITE_ERROR = 23
_EXIT_TOO_MANY_REDIRECTS = 47

# Header values: joined values, or None for a header to leave out.
Headers = Dict[str, Optional[str]]


class UsageError(Exception):
    """A command line that cannot be sent: printed as ``error: ...``, exit 2."""


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Send one request to an ASGI app in-process and print the response like 'curl -i'.",
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the app, e.g. 'myproject.main:app'")
    parser.add_argument(
        "target",
        nargs="+",
        metavar="[METHOD] URL",
        help="an optional method (default GET, or POST with -d or --json) and the URL",
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="a request header; repeat it for several, or for several values of one ('Name:' leaves one out)",
    )
    parser.add_argument(
        "-d", "--data", action="append", default=[], help="the request body ('@file' reads a file); implies POST"
    )
    parser.add_argument("--json", metavar="DATA", help="a JSON body ('@file' reads a file), with JSON headers")
    parser.add_argument("-L", "--location", action="store_true", help="follow redirects")
    parser.add_argument("--fail", action="store_true", help="exit 22 if the app answers 4xx or 5xx")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each request to stderr first")
    parser.add_argument("--lifespan", action="store_true", help="run the app's lifespan around the request")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait for the app")
    return parser


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted), with the
    current directory importable, as ASGI servers do."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ImportError(f"{spec!r} is not of the form 'module:attribute'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import module {module_name!r}: {exc}") from exc
    except Exception as exc:  # the module itself failed: say what and where, in one line
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise ImportError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
            f" (at {where.filename}:{where.lineno})"
        ) from exc
    app: Any = module
    for part in attribute.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no attribute {attribute!r}") from None
    return app


def parse_headers(lines: Sequence[str]) -> Headers:
    """``-H`` values as one mapping for requests.

    requests keeps headers in a mapping, so the values of a name given
    several times are joined with ``", "``: what a server hands the app for
    a repeated header that allows a list. ``Name:`` with no value leaves the
    header out, session defaults (``User-Agent``, ``Accept``) included, as in
    curl.
    """
    spelled: Dict[str, str] = {}  # lower-cased name -> the first spelling
    values: Dict[str, List[str]] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UsageError(f"header {line!r} is not of the form 'Name: value'")
        key = name.lower()
        spelled.setdefault(key, name)
        if value:
            values.setdefault(key, []).append(value)
        else:
            values[key] = []
    return {spelled[key]: ", ".join(joined) or None for key, joined in values.items()}


def _body_part(value: str) -> bytes:
    """One ``-d`` or ``--json`` value: the bytes given, or a file's with ``@``."""
    if not value.startswith("@"):
        return os.fsencode(value)  # the bytes typed, whatever the locale made of them
    try:
        with open(value[1:], "rb") as fileobj:
            return fileobj.read()
    except OSError as exc:
        raise UsageError(f"cannot read {value[1:]!r}: {exc.strerror}") from None


def _method_and_url(target: Sequence[str], has_body: bool) -> Tuple[str, str]:
    if len(target) == 1:
        return ("POST" if has_body else "GET"), target[0]
    # Any method that is an HTTP token is sent, standard or not (PROPFIND, PURGE, ...).
    if len(target) == 2 and is_method(target[0]):
        return target[0].upper(), target[1]
    raise UsageError(f"expected [METHOD] URL, got {' '.join(target)!r}")


def _request_body(args: argparse.Namespace, headers: Headers) -> Optional[bytes]:
    """The body to send, or None; ``--json`` also adds its two headers to
    ``headers``, unless ``-H`` gave them (curl lets the user's win)."""
    if args.json is not None and args.data:
        raise UsageError("-d and --json cannot be combined: give the body once")
    if args.json is not None:
        given = {name.lower() for name in headers}
        for name in ("Content-Type", "Accept"):
            if name.lower() not in given:
                headers[name] = "application/json"
        return _body_part(args.json)
    if args.data:
        return b"&".join(_body_part(value) for value in args.data)  # curl joins repeated -d so
    return None


class _PrintRequests(BaseAdapter):
    """Wraps the client's adapter to print each request, redirects
    included, before it is sent: ``-v``."""

    def __init__(self, adapter: ASGIAdapter) -> None:
        super().__init__()
        self.adapter = adapter

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        target = url.path or "/"
        if url.query:
            target += f"?{url.query}"
        lines = [f"> {request.method} {target} HTTP/1.1"]
        if "host" not in request.headers:  # the adapter sends the URL's, first, as a client would
            lines.append(f"> Host: {url.netloc.rpartition('@')[2]}")
        lines.extend(f"> {name}: {_text(value)}" for name, value in request.headers.items())
        sys.stderr.write("\n".join([*lines, ">", ""]))
        sys.stderr.flush()
        return self.adapter.send(request, *args, **kwargs)

    def close(self) -> None:
        self.adapter.close()


def _text(value: Union[str, bytes]) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _write_head(out: Any, response: requests.Response) -> None:
    out.write(f"HTTP/1.1 {response.status_code} {response.reason}".rstrip().encode() + b"\r\n")
    raw_headers: Mapping[str, str] = response.raw.headers
    for name, value in raw_headers.items():
        out.write(f"{name}: {value}\r\n".encode("latin-1"))
    out.write(b"\r\n")


def _write_response(out: Any, response: requests.Response) -> None:
    """The head of every response (redirects followed included, as
    ``curl -i -L``), then the last one's body, as the app sends it."""
    for hop in response.history:
        _write_head(out, hop)
    _write_head(out, response)
    out.flush()
    if content_consumed(response):
        # requests reads a redirect's body, followed or not, to free the
        # connection: print what it read (decoded, if it was compressed; a
        # redirect's body seldom is).
        out.write(response.content)
    for chunk in response.raw.stream(None, decode_content=False):
        out.write(chunk)
        out.flush()


def main(argv: Optional[Sequence[str]] = None, prog: str = "asgi-testclient") -> int:
    """Run the command line; returns the exit status. The app's own
    exception is not caught: its traceback is the most useful output."""
    args = _parser(prog).parse_args(argv)
    try:
        headers = parse_headers(args.header)
        data = _request_body(args, headers)
        method, url = _method_and_url(args.target, has_body=data is not None)
        app = load_app(args.app)
        client = TestClient(app, timeout=args.timeout)
    except (UsageError, ImportError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.verbose:
        printer = _PrintRequests(client.adapter)
        client.mount("http://", printer)
        client.mount("https://", printer)
    with client if args.lifespan else contextlib.closing(client):
        try:
            response = client.request(
                method, url, headers=headers, data=data, stream=True, allow_redirects=args.location
            )
        except requests.TooManyRedirects as exc:
            print(f"error: {exc}", file=sys.stderr)
            return _EXIT_TOO_MANY_REDIRECTS
        try:
            with response:
                _write_response(sys.stdout.buffer, response)
        except BrokenPipeError:
            # The reader went away (``| head``, ``| grep -q``): stop quietly
            # with curl's status for a failed write. stdout goes to devnull
            # so the interpreter's last flush does not complain either.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return _EXIT_WRITE_ERROR
    if args.fail and response.status_code >= 400:
        print(f"error: the app answered {response.status_code} {response.reason}".rstrip(), file=sys.stderr)
        return _EXIT_HTTP_ERROR
    return 0
