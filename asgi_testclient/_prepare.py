"""Preparing a request: ``PreparedRequest.prepare``, without its repeated work.

requests prepares a request in seven steps (method, URL, headers, cookies,
body, auth, hooks). :func:`prepare` runs the same steps of the same
``PreparedRequest``, in the same order, and leaves out only work whose
result is known already:

* the URL of a request without parameters is a function of the URL alone:
  a test sends the same few URLs again and again, so the prepared form is
  remembered (in a small memo, see ``_memo``);
* an empty cookie jar adds no ``Cookie`` header: the jar is attached, as
  requests attaches it, without asking it for one;
* with no ``auth=`` and no user name in the URL there is no auth to apply.

Everything else, header checks included, is requests' own code, so a bad
header raises exactly what requests raises.
"""

from typing import Any

import requests

from ._memo import Memo

# Prepared URLs of requests without parameters, by the URL as given.
_URLS: "Memo[str, str]" = Memo()


def _prepare_url(prepared: requests.PreparedRequest, url: Any, params: Any) -> None:
    if params or not isinstance(url, str):
        prepared.prepare_url(url, params)
        return
    try:
        prepared.url = _URLS[url]
    except KeyError:
        prepared.prepare_url(url, params)  # raises for a bad URL: nothing remembered
        assert prepared.url is not None
        _URLS.remember(url, prepared.url)


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
        prepared._cookies = cookies  # type: ignore[attr-defined]
    prepared.prepare_body(data, files, json)
    if content_type and "content-type" not in prepared.headers:
        prepared.headers["Content-Type"] = content_type
    # Auth comes last but for hooks, as in requests: an auth handler may
    # add a hook.
    if auth is not None or "@" in (prepared.url or ""):
        prepared.prepare_auth(auth, url)
    prepared.prepare_hooks(hooks)
    return prepared
