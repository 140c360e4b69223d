"""The cookie policy of a test server."""

from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit


class TestServerCookiePolicy(DefaultCookiePolicy):
    """The standard policy, with two changes for a test server.

    * The app counts as a secure origin. Browsers treat ``http://localhost``
      as secure and send it ``Secure`` cookies; the app under test is the
      same kind of trusted origin, so ``Secure`` cookies set over
      ``http://testserver`` come back to it. To test that a ``Secure``
      cookie is withheld over plain HTTP, use
      ``client.cookies.set_policy(TestServerCookiePolicy(secure_origin=False))``.
    * A cookie whose ``Domain`` is exactly the request's host is accepted and
      sent back even when that host has no dot (``Domain=testserver``), which
      the standard policy of Python 3.11 and older refuses.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, *, secure_origin: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.secure_origin = secure_origin

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return self.secure_origin or bool(super().return_ok_secure(cookie, request))

    def set_ok_domain(self, cookie: Any, request: Any) -> bool:
        if cookie.domain_specified and _is_own_host(cookie.domain, request) and not self.is_blocked(cookie.domain):
            return True
        return bool(super().set_ok_domain(cookie, request))

    def return_ok_domain(self, cookie: Any, request: Any) -> bool:
        if _is_own_host(cookie.domain, request):
            return True
        return bool(super().return_ok_domain(cookie, request))


def _is_own_host(domain: str, request: Any) -> bool:
    host = urlsplit(request.get_full_url()).hostname or ""
    return domain.lstrip(".").lower() == host.lower()
