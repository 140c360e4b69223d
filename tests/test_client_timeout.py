"""The client's default timeout, and urllib3 ``Timeout`` objects, apply to
every way of sending a request."""

import time

import anyio
import pytest
import requests
from urllib3.util import Timeout


def sleeping_app(seconds):
    async def app(scope, receive, send):
        await anyio.sleep(seconds)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"late"})

    return app


def timed(call):
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout) as caught:
        call()
    return time.monotonic() - started, str(caught.value)


def test_send_of_a_prepared_request_honours_the_clients_timeout(make_client):
    client = make_client(sleeping_app(30), timeout=0.5)
    prepared = client.prepare_request(requests.Request("GET", "http://testserver/slow"))
    elapsed, message = timed(lambda: client.send(prepared))
    assert 0.5 <= elapsed < 2
    assert message.startswith("GET http://testserver/slow timed out: the app did not start its response within 0.5")
    # As request() does; an explicit timeout= still wins.
    assert 0.5 <= timed(lambda: client.get("/slow"))[0] < 2
    assert timed(lambda: client.send(prepared, timeout=0.1))[0] < 0.5


def test_a_urllib3_timeout_limits_the_read_part(make_client):
    timeout = Timeout(connect=1, read=0.2)
    per_request = make_client(sleeping_app(30))
    elapsed, message = timed(lambda: per_request.get("/", timeout=timeout))
    assert 0.2 <= elapsed < 0.9
    assert "within 0.2 seconds" in message
    as_default = make_client(sleeping_app(30), timeout=timeout)
    assert 0.2 <= timed(lambda: as_default.get("/"))[0] < 0.9
    prepared = as_default.prepare_request(requests.Request("GET", "http://testserver/"))
    assert 0.2 <= timed(lambda: as_default.send(prepared))[0] < 0.9
    # total bounds the read as well.
    assert 0.2 <= timed(lambda: per_request.get("/", timeout=Timeout(total=0.2)))[0] < 0.9


@pytest.mark.parametrize(
    "timeout",
    [Timeout(), Timeout(read=None), Timeout(connect=0.01, read=None)],
    # Not repr: urllib3 1.26 shows its "not set" sentinel's address, which
    # differs between pytest-xdist workers.
    ids=["Timeout()", "Timeout(read=None)", "Timeout(connect=0.01, read=None)"],
)
def test_a_urllib3_timeout_without_a_read_part_means_no_limit(make_client, timeout):
    # The client's default would fail the request: the Timeout replaces it.
    client = make_client(sleeping_app(0.3), timeout=0.05)
    assert client.get("/", timeout=timeout).text == "late"


def test_a_urllib3_timeout_as_the_clients_default_bounds_the_lifespan_too(make_client):
    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        await receive()
        await anyio.sleep(30)

    client = make_client(app, timeout=Timeout(connect=1, read=0.2))
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"lifespan startup within 0\.2 seconds"):
        client.__enter__()
    assert time.monotonic() - started < 2
