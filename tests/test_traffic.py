"""The traffic a failed test's report shows: each client's last exchanges
with the app, written to a temporary suite run by an inner pytest."""

import re

import pytest
import requests

from asgi_testclient import TestClient, _traffic

from .apps import respond

pytest_plugins = ["pytester"]

PLUGIN_ARGS = ("-p", "asgi_testclient.pytest_plugin", "-p", "no:cacheprovider")

# The app every inner suite talks to.
APP = r'''
import json

import pytest

from asgi_testclient import TestClient


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        message = await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "websocket":
        await receive()
        if scope["path"] == "/deny":
            await send({"type": "websocket.close", "code": 1008, "reason": "go away"})
            return
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "fail":
                raise RuntimeError("the app gave up")
            await send({"type": "websocket.send", "text": "echo " + message["text"]})
    body = await read_body(receive)
    path = scope["path"]
    if path == "/boom":
        raise ValueError("boom\nand more")
    if path == "/half":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})
        raise KeyError("the rest")
    if path == "/binary":
        headers, payload = [(b"content-type", b"image/png")], b"\x89PNG\r\n\x1a\n\x00\x00" * 100
    elif path == "/long":
        headers, payload = [(b"content-type", b"text/plain; charset=utf-8")], b"x" * 5000
    elif path == "/lines":
        headers, payload = [(b"content-type", b"text/plain")], b"".join(b"line %d\n" % i for i in range(100))
    else:
        headers = [(b"content-type", b"application/json"), (b"set-cookie", b"session=s3cret")]
        payload = json.dumps({"path": path, "got": body.decode()}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for start in range(0, len(payload), 100):
        await send({"type": "http.response.body", "body": payload[start : start + 100], "more_body": True})
    await send({"type": "http.response.body", "body": b""})
'''


@pytest.fixture(autouse=True)
def only_named_plugins(monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester, tests, *args, conftest=""):
    """Run ``tests`` (with :data:`APP` above them) in an inner pytest."""
    if conftest:
        pytester.makeconftest(conftest)
    pytester.makepyfile(test_inner=APP + tests)
    return pytester.runpytest(*PLUGIN_ARGS, *args)


def sections(result):
    """The traffic sections of an inner run's output, by title."""
    found, title = {}, None
    for line in result.outlines:
        match = re.fullmatch(r"-+ (Captured asgi traffic \w+) -+", line)
        if match:
            title = match.group(1)
            found[title] = []
        elif title and re.fullmatch(r"[-=_]+.*[-=_]+", line):
            title = None
        elif title:
            found[title].append(line)
    return {key: "\n".join(lines).strip("\n") for key, lines in found.items()}


def traffic(result, when="call"):
    found = sections(result)
    assert f"Captured asgi traffic {when}" in found, result.stdout.str()
    return found[f"Captured asgi traffic {when}"]


# -- HTTP --------------------------------------------------------------------------------


def test_a_failed_test_shows_its_requests_and_responses(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        assert client.post("/items?x=1", json={"name": "x"}).status_code == 200
        assert client.get("/items").json() == {"path": "/items", "got": "nope"}
""",
    )
    result.assert_outcomes(failed=1)
    text = traffic(result)
    assert re.sub(r"\(\d+\.\d ms\)", "(T)", text) == (
        "client 1: TestClient for test_inner.app, base_url 'http://testserver' -- 2 exchanges\n"
        "\n"
        "[1] POST http://testserver/items?x=1 -> 200 OK (T)\n"
        "  request headers:\n"
        "    user-agent: testclient\n"
        "    Accept-Encoding: gzip, deflate\n"
        "    Accept: */*\n"
        "    Connection: keep-alive\n"
        "    Content-Length: 13\n"
        "    Content-Type: application/json\n"
        "  request body (application/json, 13 bytes):\n"
        "    {\n"
        '      "name": "x"\n'
        "    }\n"
        "  response headers:\n"
        "    content-type: application/json\n"
        "    set-cookie: <masked>\n"
        "  response body (application/json, 46 bytes):\n"
        "    {\n"
        '      "path": "/items",\n'
        '      "got": "{\\"name\\": \\"x\\"}"\n'
        "    }\n"
        "\n"
        "[2] GET http://testserver/items -> 200 OK (T)\n"
        "  request headers:\n"
        "    user-agent: testclient\n"
        "    Accept-Encoding: gzip, deflate\n"
        "    Accept: */*\n"
        "    Connection: keep-alive\n"
        "    Cookie: <masked>\n"
        "  response headers:\n"
        "    content-type: application/json\n"
        "    set-cookie: <masked>\n"
        "  response body (application/json, 29 bytes):\n"
        "    {\n"
        '      "path": "/items",\n'
        '      "got": ""\n'
        "    }"
    )


def test_a_passing_test_has_no_section_and_nothing_is_kept_after_it(pytester):
    result = run(
        pytester,
        """
from asgi_testclient import _traffic

def test_passes():
    assert _traffic.current is not None
    with TestClient(app) as client:
        client.get("/")

def test_fails():
    assert False, "no request here"
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    assert sections(result) == {}
    assert _traffic.current is None


def test_streamed_bodies_show_only_what_the_test_read(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        untouched = client.get("/lines", stream=True)
        started = client.get("/lines", stream=True)
        first = next(started.iter_content(250))
        whole = client.get("/lines", stream=True)
        lines = list(whole.iter_lines())
        assert False
""",
    )
    text = traffic(result)
    untouched, started, whole = text.split("\n\n")[1:]
    assert untouched.endswith("  response body: (streamed, not read)")
    # A body without Content-Length streams message by message, as a
    # chunked one from a server: the first iter_content chunk is the app's
    # first message, 100 bytes, which ends inside "line 13".
    assert "  response body (text/plain, streamed, the test read 100 bytes):\n    line 0\n" in started
    assert started.endswith("    line 11\n    line 12\n    line 1")
    assert "  response body (text/plain, streamed, the test read all 790 bytes):\n    line 0\n" in whole
    assert whole.endswith("    line 98\n    line 99")


def test_what_the_app_raised_is_one_line(pytester):
    result = run(
        pytester,
        """
def test_raised():
    with TestClient(app) as client:
        client.get("/boom")

def test_answered_500():
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 200

def test_raised_while_streaming():
    with TestClient(app) as client:
        client.get("/half", stream=True).content
""",
    )
    result.assert_outcomes(failed=3)
    first, second, third = _call_sections(result, 3)
    raised = r"^\[1\] GET http://testserver/boom -> raised ValueError: boom and more \(\d+\.\d ms\)$"
    assert re.search(raised, first, re.M)
    assert re.search(r"^\[1\] GET http://testserver/boom -> 500 Internal Server Error \(", second, re.M)
    assert second.endswith(
        "  response body: (empty)\n"
        "  app raised ValueError: boom and more (answered as a server would: raise_server_exceptions=False)"
    )
    assert third.endswith(
        "  response body (text/plain, streamed, the test read 4 bytes):\n"
        "    half\n"
        "  app raised KeyError: 'the rest'"
    )


def _call_sections(result, count):
    texts, current = [], None
    for line in result.outlines:
        if re.fullmatch(r"-+ Captured asgi traffic call -+", line):
            current = []
            texts.append(current)
        elif current is not None and re.fullmatch(r"[-=_]+.*[-=_]+", line):
            current = None
        elif current is not None:
            current.append(line)
    assert len(texts) == count, result.stdout.str()
    return ["\n".join(lines).strip("\n") for lines in texts]


def test_credentials_are_masked_unless_asked_for(pytester):
    tests = """
def test_it():
    with TestClient(app) as client:
        client.get("/", headers={"Authorization": "Bearer t0ken", "Proxy-Authorization": "Basic cHJveHk="},
                   cookies={"id": "c00kie"})
        assert False
"""
    masked = traffic(run(pytester, tests))
    assert "t0ken" not in masked and "cHJveHk" not in masked and "c00kie" not in masked
    assert "s3cret" not in masked
    # requests 2.26 drops a Proxy-Authorization header of the test's own
    # (its send() rebuilds it from the proxy settings); 2.27 and later keep it.
    keeps_proxy_auth = tuple(map(int, requests.__version__.split(".")[:2])) >= (2, 27)
    for line in ("    Authorization: <masked>", "    Proxy-Authorization: <masked>", "    Cookie: <masked>",
                 "    set-cookie: <masked>"):
        if keeps_proxy_auth or "Proxy" not in line:
            assert line in masked.splitlines()
    shown = traffic(pytester.runpytest(*PLUGIN_ARGS, "--asgi-traffic-show-secrets")).splitlines()
    for line in ("    Authorization: Bearer t0ken", "    Proxy-Authorization: Basic cHJveHk=",
                 "    Cookie: id=c00kie", "    set-cookie: session=s3cret"):
        if keeps_proxy_auth or "Proxy" not in line:
            assert line in shown
    pytester.makeini("[pytest]\nasgi_traffic_show_secrets = true\n")
    assert "    Authorization: Bearer t0ken" in traffic(pytester.runpytest(*PLUGIN_ARGS)).splitlines()


def test_bodies_are_cut_and_binary_is_summarised(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        client.get("/long")
        client.get("/binary")
        client.post("/echo", data=b"\\x00\\x01\\x02" * 10, headers={"content-type": "application/octet-stream"})
        assert False
""",
    )
    long, binary, posted = traffic(result).split("\n\n")[1:]
    assert f"  response body (text/plain, 5000 bytes):\n    {'x' * 2000}… (3000 more bytes)" in long
    assert binary.endswith("  response body: binary, image/png, 1000 bytes")
    assert "  request body: binary, application/octet-stream, 30 bytes\n" in posted


def test_the_number_of_exchanges_per_client_option_and_ini(pytester):
    tests = """
def test_it():
    with TestClient(app) as client:
        for number in range(4):
            client.get(f"/{number}")
        assert False
"""
    text = traffic(run(pytester, tests, "--asgi-traffic=2"))
    assert text.splitlines()[0].endswith("-- the last 2 of 4 exchanges")
    assert [line.split(" -> ")[0] for line in text.splitlines() if line.startswith("[")] == [
        "[3] GET http://testserver/2",
        "[4] GET http://testserver/3",
    ]
    assert sections(pytester.runpytest(*PLUGIN_ARGS, "--asgi-traffic=0")) == {}
    pytester.makeini("[pytest]\nasgi_traffic = 1\n")
    assert "[4] GET http://testserver/3 -> 200 OK" in traffic(pytester.runpytest(*PLUGIN_ARGS))
    pytester.makeini("[pytest]\nasgi_traffic = 0\n")
    assert sections(pytester.runpytest(*PLUGIN_ARGS)) == {}
    # The option wins over the ini file.
    assert "[1] GET" in traffic(pytester.runpytest(*PLUGIN_ARGS, "--asgi-traffic=10"))


def test_a_bad_number_is_a_usage_error(pytester):
    pytester.makepyfile("def test_it(): pass")
    result = pytester.runpytest(*PLUGIN_ARGS, "--asgi-traffic=some")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--asgi-traffic: expected a number of exchanges, 0 or more, not 'some'*"])


# -- websockets ----------------------------------------------------------------------------


def test_websocket_messages_each_way(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        with client.websocket_connect("/ws", headers={"authorization": "secret"}) as ws:
            for number in range(12):
                ws.send_text(str(number))
                ws.receive_text()
            ws.send_text("fail")
            ws.receive_text()
""",
    )
    text = traffic(result)
    lines = text.splitlines()
    assert re.fullmatch(r"\[1\] WEBSOCKET ws://testserver/ws -> accepted, closed after \d+\.\d ms", lines[2])
    assert "    authorization: <masked>" in lines
    start = lines.index("  messages (> sent by the test, < received from the app), the last 20 of 26:")
    assert lines[start + 1 :] == [
        *[f"    {line}" for number in range(3, 12) for line in (
            f"> websocket.receive text '{number}'", f"< websocket.send text 'echo {number}'"
        )],
        "    > websocket.receive text 'fail'",
        "    < raised RuntimeError: the app gave up",
    ]


def test_what_leaving_the_websocket_raised(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        with client.websocket_connect("/ws") as ws:
            ws.send_text("fail")
""",
    )
    lines = traffic(result).splitlines()
    assert lines[-3:] == [
        "  messages (> sent by the test, < received from the app):",
        "    > websocket.receive text 'fail'",
        "  closing raised RuntimeError: the app gave up",
    ]


def test_a_refused_websocket(pytester):
    result = run(
        pytester,
        """
def test_it():
    with TestClient(app) as client:
        with client.websocket_connect("/deny"):
            pass
""",
    )
    lines = traffic(result).splitlines()
    assert lines[2] == (
        "[1] WEBSOCKET ws://testserver/deny -> handshake raised"
        " asgi_testclient.WebSocketDisconnect: websocket closed with code 1008: go away"
    )


# -- which clients -------------------------------------------------------------------------


def test_clients_from_fixtures_and_made_in_the_test_in_order(pytester):
    conftest = APP + """
@pytest.fixture
def asgi_app():
    return app

@pytest.fixture(scope="module")
def shared(asgi_module_client_factory):
    return asgi_module_client_factory(app, base_url="http://shared")
"""
    pytester.makeconftest(conftest)
    pytester.makepyfile(
        test_inner="""
from asgi_testclient import TestClient
from conftest import app

def test_first(shared):
    shared.get("/first")

def test_second(asgi_client, shared):
    asgi_client.get("/fixture")
    with TestClient(app, base_url="http://direct") as direct:
        direct.get("/direct")
    shared.get("/second")
    assert False
"""
    )
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(passed=1, failed=1)
    heads = [line for line in traffic(result).splitlines() if line.startswith(("client", "["))]
    assert heads[0] == "client 1: TestClient for conftest.app, base_url 'http://testserver' -- 1 exchange"
    assert heads[1].startswith("[1] GET http://testserver/fixture -> 200 OK")
    assert heads[2] == "client 2: TestClient for conftest.app, base_url 'http://direct' -- 1 exchange"
    assert heads[3].startswith("[1] GET http://direct/direct -> 200 OK")
    # The module's client is in the report of this test, with this test's request only.
    assert heads[4] == "client 3: TestClient for conftest.app, base_url 'http://shared' -- 1 exchange"
    assert heads[5].startswith("[1] GET http://shared/second -> 200 OK")
    assert len(heads) == 6


def test_a_failing_fixture_reports_in_setup(pytester):
    result = run(
        pytester,
        """
@pytest.fixture
def prepared():
    with TestClient(app) as client:
        client.get("/setup")
    raise RuntimeError("setup failed")

def test_it(prepared):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    assert "[1] GET http://testserver/setup -> 200 OK" in traffic(result, "setup")


def test_clients_from_the_legacy_swap(pytester):
    result = run(
        pytester,
        """
from starlette.testclient import TestClient as OldName

def test_it():
    with OldName(app) as client:
        assert client.get("/legacy").json()["path"] == "/other"
""",
        "--asgi-testclient-legacy",
    )
    text = traffic(result)
    assert text.splitlines()[0] == "client 1: TestClient for test_inner.app, base_url 'http://testserver' -- 1 exchange"
    assert "[1] GET http://testserver/legacy -> 200 OK" in text


# -- outside a recording ---------------------------------------------------------------------


def test_without_a_recording_nothing_is_kept():
    assert _traffic.current is None  # this run has the plugin off
    client = TestClient(respond(200, chunks=[b"hello"]))
    with client:
        assert client.get("/").status_code == 200
    assert client._traffic_log is None


def test_a_recording_lets_go_of_everything_when_it_stops():
    previous = _traffic.start(limit=3)
    try:
        client = TestClient(respond(200, chunks=[b"hello"]))
        with client:
            for _ in range(5):
                client.get("/")
        recording = _traffic.current
        assert recording is not None
        assert [len(traffic.records) for traffic in recording.clients] == [3]
        assert recording.clients[0].count == 5
    finally:
        _traffic.stop(previous)
    assert _traffic.current is previous is None
    assert recording.clients == []
    assert client._traffic_log is None
