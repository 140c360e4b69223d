"""Preparing a request: ``PreparedRequest.prepare``, without its repeated work.

requests prepares a request in seven steps (method, URL, headers, cookies,
body, auth, hooks). :func:`prepare` runs the same steps of the same
``PreparedRequest``, in the same order, and leaves out only work whose
result is known already:

* the URL of a request without parameters is a function of the URL alone:
  a test sends the same few URLs again and again, so the prepared form is
  remembered (the last 32, in an ``lru_cache``);
* an empty cookie jar adds no ``Cookie`` header: the jar is attached, as
  requests attaches it, without asking it for one;
* with no ``auth=`` and no user name in the URL there is no auth to apply.

Everything else, header checks included, is requests' own code, so a bad
header raises exactly what requests raises.
"""

import functools
from typing import Any

import requests

from ._compat import attach_cookies


@functools.lru_cache(maxsize=32)
def prepared_url(url: str) -> str:
    """``url`` as ``PreparedRequest.prepare_url`` prepares it without
    parameters; raises what it raises for a bad URL (and remembers nothing)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    assert prepared.url is not None
    return prepared.url


def _prepare_url(prepared: requests.PreparedRequest, url: Any, params: Any) -> None:
    if params or not isinstance(url, str):
        prepared.prepare_url(url, params)
    else:
        prepared.url = prepared_url(url)


def prepare(
    *,
    method: Any,
    url: Any,
    headers: Any,
    files: Any,
    data: Any,
    params: Any,
    auth: Any,
    cookies: requests.cookies.RequestsCookieJar,
    hooks: Any,
    json: Any,
    content_type: Any = None,
) -> requests.PreparedRequest:
    """A ``PreparedRequest``, as ``PreparedRequest().prepare(...)`` makes it.

    ``content_type`` is that of a streamed ``files=`` body, set where
    requests sets the one of the body it builds for ``files=``: after
    ``Content-Length``, unless the request has its own.
    """
    prepared = requests.PreparedRequest()
    prepared.prepare_method(method)
    _prepare_url(prepared, url, params)
    prepared.prepare_headers(headers)
    if len(cookies):
        prepared.prepare_cookies(cookies)
    else:
        attach_cookies(prepared, cookies)
    prepared.prepare_body(data, files, json)
    if content_type and "content-type" not in prepared.headers:
        prepared.headers["Content-Type"] = content_type
    # Auth comes last but for hooks, as in requests: an auth handler may
    # add a hook.
    if auth is not None or "@" in (prepared.url or ""):
        prepared.prepare_auth(auth, url)
    prepared.prepare_hooks(hooks)
    return prepared
