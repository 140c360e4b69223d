"""The cookie jar a request is prepared with: the session's cookies and the
request's own, chosen by the session jar's cookie policy.

requests copies them into a jar with the standard policy, which would
drop cookies the client's own policy keeps (see ``_compat.cookie_policy``);
with ``strict=True`` a cookie that the app would read as two is refused.
"""

from http.cookiejar import CookieJar
from typing import Any, Optional

import requests
from requests.cookies import RequestsCookieJar

from ._compat import cookie_policy

# requests' own cookie merging (typed differently from one version to the next).
_cookiejar_from_dict: Any = requests.cookies.cookiejar_from_dict
_merge_cookies: Any = requests.cookies.merge_cookies


def request_jar(session_cookies: RequestsCookieJar, cookies: Any, strict: bool) -> RequestsCookieJar:
    """A new jar with ``session_cookies``, then the request's ``cookies`` (a
    jar or a mapping), under the session jar's policy."""
    jar = RequestsCookieJar(policy=cookie_policy(session_cookies))
    _merge_cookies(jar, session_cookies)
    if cookies:
        _merge_cookies(jar, cookies if isinstance(cookies, CookieJar) else _cookiejar_from_dict(cookies))
    if strict:
        for cookie in jar:
            check_cookie(cookie.name, cookie.value)
    return jar


def check_cookie(name: str, value: Optional[str]) -> None:
    """Refuse a cookie whose ``;`` would make the app read two where the test set one."""
    if not isinstance(name, str) or not isinstance(value, (str, type(None))):
        return  # requests refuses it, or sends it as it would to a server
    if ";" in name or "=" in name or (value is not None and ";" in value):
        raise requests.exceptions.InvalidHeader(
            f"cookie {name!r}={value!r} contains ';' (or its name '='), which would make the app"
            " read it as more than one cookie; quote or encode the value"
        )
