"""The client prepares every request exactly as ``requests.Session`` does,
with its shortcuts (remembered URLs, empty cookie jars, no auth) invisible."""

import string
from typing import Any, Dict, Optional, Tuple

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_testclient import TestClient, _prepare


async def app(scope: Any, receive: Any, send: Any) -> None:  # never called
    raise AssertionError("no request is sent in these tests")


def both(session_headers: Dict[str, str], jar: Dict[str, str]) -> Tuple[TestClient, requests.Session]:
    """A client and a plain requests session with the same settings."""
    client = TestClient(app)
    session = requests.Session()
    session.trust_env = False
    session.headers = requests.structures.CaseInsensitiveDict(client.headers)  # User-Agent: testclient
    for target in (client, session):
        target.headers.update(session_headers)
        for name, value in jar.items():
            target.cookies.set(name, value, domain="testserver.local", path="/")
    return client, session


def outcome(session: requests.Session, method: str, url: str, **kwargs: Any) -> Tuple[Any, ...]:
    """What preparing the request gives: its parts, or the error it raises."""
    try:
        prepared = session.prepare_request(requests.Request(method, url, **kwargs))
    except requests.exceptions.RequestException as exc:
        return ("raised", type(exc), str(exc))
    assert type(prepared) is requests.PreparedRequest
    return (prepared.method, prepared.url, list(prepared.headers.items()), prepared.body)


words = st.text(alphabet=string.ascii_letters + string.digits + "-._~ /@:é%", min_size=0, max_size=12)
values = st.text(alphabet=string.ascii_letters + string.digits + " -=,", max_size=10)
names = st.text(alphabet=string.ascii_letters, min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "post", "DELETE", "PATCH"]),
    path=words,
    params=st.one_of(st.none(), st.dictionaries(names, values, max_size=3)),
    userinfo=st.sampled_from(["", "user:secret@", "us%40er:p%3Ass@"]),
    auth=st.one_of(st.none(), st.tuples(names, values)),
    session_headers=st.dictionaries(names.map(lambda name: f"X-{name}"), values, max_size=3),
    headers=st.one_of(st.none(), st.dictionaries(names.map(lambda name: f"X-{name}"), values, max_size=3)),
    jar=st.dictionaries(names, values.filter(lambda value: ";" not in value), max_size=3),
    cookies=st.one_of(st.none(), st.dictionaries(names, values.filter(lambda value: ";" not in value), max_size=3)),
    body=st.one_of(st.none(), st.binary(max_size=20), st.dictionaries(names, values, max_size=3)),
)
def test_prepared_exactly_as_requests_prepares(
    method: str,
    path: str,
    params: Optional[Dict[str, str]],
    userinfo: str,
    auth: Optional[Tuple[str, str]],
    session_headers: Dict[str, str],
    headers: Optional[Dict[str, str]],
    jar: Dict[str, str],
    cookies: Optional[Dict[str, str]],
    body: Any,
) -> None:
    client, session = both(session_headers, jar)
    url = f"http://{userinfo}testserver.local/{path}"
    kwargs = {"params": params, "auth": auth, "headers": headers, "cookies": cookies, "data": body}
    try:
        for _ in range(2):  # the second time from the remembered URL
            assert outcome(client, method, url, **kwargs) == outcome(session, method, url, **kwargs)
    finally:
        client.close()
        session.close()


def test_a_bad_url_raises_what_requests_raises_and_is_not_remembered() -> None:
    client = TestClient(app)
    for url in ("http://", "testserver/no-scheme", "http://[::1/"):
        with pytest.raises(requests.exceptions.RequestException) as ours:
            client.prepare_request(requests.Request("GET", url))
        with pytest.raises(requests.exceptions.RequestException) as theirs:
            requests.Session().prepare_request(requests.Request("GET", url))
        assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
        # Nothing remembered: asking again raises again, and counts a miss.
        misses = _prepare.prepared_url.cache_info().misses
        with pytest.raises(requests.exceptions.RequestException):
            _prepare.prepared_url(url)
        assert _prepare.prepared_url.cache_info().misses == misses + 1


def test_remembered_urls_are_bounded() -> None:
    client = TestClient(app)
    size = _prepare.prepared_url.cache_info().maxsize
    for number in range(size * 3):
        url = f"http://testserver/items/{number}"
        assert client.prepare_request(requests.Request("GET", url)).url == url
        assert _prepare.prepared_url.cache_info().currsize <= size


def test_user_and_password_in_the_url_reach_the_app_as_basic_auth(make_client: Any) -> None:
    seen = {}

    async def recording_app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(dict(scope["headers"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = make_client(recording_app)
    client.get("http://user:secret@testserver/")
    assert seen[b"authorization"] == b"Basic dXNlcjpzZWNyZXQ="  # user:secret
    seen.clear()
    client.get("http://testserver/mail/someone@example.org")  # an @ in the path is not auth
    assert b"authorization" not in seen
