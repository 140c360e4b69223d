"""``python -m asgi_testclient``: one request to an app, printed like ``curl -i``."""

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from typing import Any, List, Optional, Sequence

from ._client import TestClient

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m asgi_testclient",
        description="Send one request to an ASGI app in-process and print the response like 'curl -i'.",
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the app, e.g. 'myproject.main:app'")
    parser.add_argument(
        "target", nargs="+", metavar="[METHOD] URL", help="an optional method (default GET) and the URL"
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'Name: value'", help="a request header (repeatable)"
    )
    parser.add_argument("-d", "--data", help="the request body ('@file' reads a file)")
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    target: List[str] = args.target
    if len(target) == 1:
        method, url = "GET", target[0]
    elif len(target) == 2 and target[0].upper() in _METHODS:
        method, url = target[0].upper(), target[1]
    else:
        print(f"error: expected [METHOD] URL, got {' '.join(target)!r}", file=sys.stderr)
        return 2
    headers = {}
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            print(f"error: header {header!r} is not of the form 'Name: value'", file=sys.stderr)
            return 2
        headers[name.strip()] = value.strip()
    data: Any = args.data
    if data is not None and data.startswith("@"):
        with open(data[1:], "rb") as fileobj:
            data = fileobj.read()
    try:
        app = load_app(args.app)
        client = TestClient(app, timeout=args.timeout)
    except (ImportError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout.buffer
    with client if args.lifespan else contextlib.closing(client):
        with client.request(method, url, headers=headers, data=data, stream=True) as response:
            out.write(f"HTTP/1.1 {response.status_code} {response.reason}".rstrip().encode() + b"\r\n")
            for name, value in response.raw.headers.items():
                out.write(f"{name}: {value}\r\n".encode("latin-1"))
            out.write(b"\r\n")
            out.flush()
            for chunk in response.raw.stream(None, decode_content=False):
                out.write(chunk)
                out.flush()
    return 0
