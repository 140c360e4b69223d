"""The command line: flags run in-process through ``main()``; what only a
process shows (the console script, import errors, the exit status of an
app that raises) in a subprocess, run as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asgi_testclient._cli import main, parse_headers

ROOT = Path(__file__).resolve().parent.parent
APP = f"{__name__}:echo_app"


async def echo_app(scope, receive, send):
    """Answers with what it received, as JSON; ``/redirect`` redirects to
    ``/echo``, ``/status/CODE`` answers CODE."""
    if scope["type"] != "http":
        return
    body = b""
    more_body = True
    while more_body:
        message = await receive()
        body += message.get("body", b"")
        more_body = message.get("more_body", False)
    status, extra = 200, []
    if scope["path"] == "/redirect":
        status, extra = 302, [(b"location", b"/echo?from=redirect")]
    elif scope["path"].startswith("/status/"):
        status = int(scope["path"].rpartition("/")[2])
    payload = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in scope["headers"]],
        "body": body.decode("latin-1"),
    }
    data = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def broken_app(scope, receive, send):
    raise ValueError("app is broken")


def cli(capsysbinary, *args):
    """``main(args)`` in this process: (exit status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsysbinary.readouterr()
    return status, out, err.decode()


def seen(out):
    """What ``echo_app`` received, from the last response printed."""
    received = json.loads(out.rpartition(b"\r\n\r\n")[2])
    received["header_pairs"] = [tuple(pair) for pair in received.pop("headers")]
    received["headers"] = dict(received["header_pairs"])
    return received


def run_cli(*args, cwd=ROOT, command=(sys.executable, "-m", "asgi_testclient")):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*command, *args], capture_output=True, cwd=cwd, env=env, timeout=60)


# -- the method ----------------------------------------------------------------


def test_get_by_default_and_post_with_data(capsysbinary):
    status, out, _ = cli(capsysbinary, APP, "/echo?a=1")
    assert status == 0
    assert (seen(out)["method"], seen(out)["query"], seen(out)["body"]) == ("GET", "a=1", "")
    status, out, _ = cli(capsysbinary, APP, "/echo", "-d", "name=pen")  # curl's rule: -d means POST
    assert (seen(out)["method"], seen(out)["body"]) == ("POST", "name=pen")
    # curl joins repeated -d with '&'; no Content-Type is added.
    status, out, _ = cli(capsysbinary, APP, "/echo", "-d", "a=1", "-d", "b=2")
    assert (seen(out)["body"], "content-type" in seen(out)["headers"]) == ("a=1&b=2", False)
    # A method given wins over the POST that -d implies.
    status, out, _ = cli(capsysbinary, APP, "put", "/echo", "-d", "x")
    assert (seen(out)["method"], seen(out)["body"]) == ("PUT", "x")


def test_any_method_is_sent(capsysbinary):
    for given, sent in [("PROPFIND", "PROPFIND"), ("purge", "PURGE"), ("delete", "DELETE")]:
        status, out, _ = cli(capsysbinary, APP, given, "/echo")
        assert (status, seen(out)["method"]) == (0, sent)


def test_data_from_a_file(capsysbinary, tmp_path):
    (tmp_path / "body.bin").write_bytes(b"\x00from a file\xff")
    status, out, _ = cli(capsysbinary, APP, "/echo", "-d", f"@{tmp_path / 'body.bin'}")
    assert status == 0
    assert (seen(out)["method"], seen(out)["body"]) == ("POST", "\x00from a file\xff")
    _, err = main([APP, "/echo", "-d", f"@{tmp_path / 'missing'}"]), capsysbinary.readouterr().err.decode()
    assert err == f"error: cannot read {str(tmp_path / 'missing')!r}: No such file or directory\n"


# -- headers ---------------------------------------------------------------------


def test_repeated_header_values_are_joined(capsysbinary):
    status, out, _ = cli(
        capsysbinary, APP, "/echo", "-H", "X-Tag: a", "-H", "x-tag: b", "-H", "X-Tag:c", "-H", "X-Other: 1"
    )
    assert status == 0
    pairs = seen(out)["header_pairs"]
    assert [pair for pair in pairs if pair[0] in ("x-tag", "x-other")] == [("x-tag", "a, b, c"), ("x-other", "1")]


def test_empty_header_leaves_a_default_out(capsysbinary):
    status, out, _ = cli(capsysbinary, APP, "/echo")
    assert seen(out)["headers"]["user-agent"] == "testclient"
    status, out, _ = cli(capsysbinary, APP, "/echo", "-H", "User-Agent:", "-H", "Accept:")
    assert status == 0
    assert "user-agent" not in seen(out)["headers"]
    assert "accept" not in seen(out)["headers"]


def test_parse_headers():
    assert parse_headers(["A: 1", "a: 2", "B:  spaced  ", "C:"]) == {"A": "1, 2", "B": "spaced", "C": None}
    assert parse_headers(["A: 1", "A:", "A: 3"]) == {"A": "3"}  # the empty one drops what came before


# -- --json ----------------------------------------------------------------------


def test_json_sets_body_method_and_headers(capsysbinary, tmp_path):
    status, out, _ = cli(capsysbinary, APP, "/echo", "--json", '{"name": "pen"}')
    assert status == 0
    received = seen(out)
    assert received["method"] == "POST"
    assert received["body"] == '{"name": "pen"}'  # sent as given, as curl does
    assert received["headers"]["content-type"] == "application/json"
    assert received["headers"]["accept"] == "application/json"
    # Headers given with -H win; a method given wins.
    (tmp_path / "item.json").write_text('[1, 2]')
    status, out, _ = cli(
        capsysbinary, APP, "PATCH", "/echo", "--json", f"@{tmp_path / 'item.json'}", "-H", "accept: text/plain"
    )
    received = seen(out)
    assert (received["method"], received["body"]) == ("PATCH", "[1, 2]")
    assert (received["headers"]["accept"], received["headers"]["content-type"]) == ("text/plain", "application/json")


def test_json_and_data_together_are_refused(capsysbinary):
    status, out, err = cli(capsysbinary, APP, "/echo", "--json", "{}", "-d", "x")
    assert (status, out) == (2, b"")
    assert err == "error: -d and --json cannot be combined: give the body once\n"


# -- -v ----------------------------------------------------------------------------


def test_verbose_prints_the_request_to_stderr(capsysbinary):
    status, out, err = cli(capsysbinary, APP, "-v", "/echo?q=1", "-d", "abc", "-H", "X-Tag: a", "-H", "X-Tag: b")
    assert status == 0
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")  # stdout is the response alone
    assert err.splitlines() == [
        "> POST /echo?q=1 HTTP/1.1",
        "> Host: testserver",
        "> user-agent: testclient",
        "> Accept-Encoding: gzip, deflate",
        "> Accept: */*",
        "> Connection: keep-alive",
        "> X-Tag: a, b",
        "> Content-Length: 3",
        ">",
    ]
    # What -v prints is what the app received, in that order.
    printed = [tuple(line[2:].split(": ", 1)) for line in err.splitlines()[1:-1]]
    assert [(name.lower(), value) for name, value in printed] == seen(out)["header_pairs"]


# -- -L ----------------------------------------------------------------------------


def test_redirects_are_followed_with_location_only(capsysbinary):
    status, out, _ = cli(capsysbinary, APP, "/redirect")
    assert status == 0
    assert out.startswith(b"HTTP/1.1 302 Found\r\n")
    assert b"location: /echo?from=redirect\r\n" in out
    assert seen(out)["path"] == "/redirect"

    status, out, err = cli(capsysbinary, APP, "-L", "-v", "/redirect")
    assert status == 0
    # Like curl -i -L: each response's head, then the last one's body.
    first, second = out.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 302 Found\r\n")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert (seen(out)["path"], seen(out)["query"]) == ("/echo", "from=redirect")
    assert [line for line in err.splitlines() if " HTTP/1.1" in line] == [
        "> GET /redirect HTTP/1.1",
        "> GET /echo?from=redirect HTTP/1.1",
    ]


def test_too_many_redirects_exit_47(capsysbinary):
    async def loop_app(scope, receive, send):
        await send({"type": "http.response.start", "status": 302, "headers": [(b"location", b"/again")]})
        await send({"type": "http.response.body", "body": b""})

    globals()["loop_app"] = loop_app
    try:
        status, _, err = cli(capsysbinary, f"{__name__}:loop_app", "-L", "/")
    finally:
        del globals()["loop_app"]
    assert status == 47
    assert err == "error: Exceeded 30 redirects.\n"


# -- --fail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "flags", "expected", "message"),
    [
        (404, ["--fail"], 22, "error: the app answered 404 Not Found\n"),
        (503, ["--fail"], 22, "error: the app answered 503 Service Unavailable\n"),
        (200, ["--fail"], 0, ""),
        (302, ["--fail"], 0, ""),
        (404, [], 0, ""),
    ],
)
def test_fail_exits_22_on_4xx_and_5xx(capsysbinary, code, flags, expected, message):
    status, out, err = cli(capsysbinary, APP, f"/status/{code}", *flags)
    assert (status, err) == (expected, message)
    assert seen(out)["path"] == f"/status/{code}"  # the response is printed either way


# -- the app raising -----------------------------------------------------------------


def test_app_exception_propagates_from_main():
    with pytest.raises(ValueError, match="^app is broken$"):
        main([f"{__name__}:broken_app", "/"])


# -- as a user runs it -----------------------------------------------------------------


def test_console_script():
    script = Path(sys.executable).with_name("asgi-testclient.exe" if os.name == "nt" else "asgi-testclient")
    if not script.exists():
        pytest.skip("this environment was installed before the console script existed: pip install -e . again")
    result = run_cli(APP, "-d", "hi", "/echo", command=(str(script),))
    assert result.returncode == 0, result.stderr
    assert seen(result.stdout)["method"] == "POST"
    assert run_cli("--help", command=(str(script),)).stdout.startswith(b"usage: asgi-testclient ")
    assert run_cli("--help").stdout.startswith(b"usage: python -m asgi_testclient ")


def test_get_prints_status_headers_and_body():
    result = run_cli("examples.app:app", "/hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 37\r\n\r\n"
        b'{"hello": "world", "lifespan": false}'
    )


def test_method_data_headers_and_lifespan(tmp_path):
    payload = tmp_path / "payload.txt"
    payload.write_bytes(b"from a file")
    result = run_cli("examples.app:app", "put", "/echo", "-d", f"@{payload}", "-H", "X-Test: yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b'{"method": "PUT", "body": "from a file"}')
    result = run_cli("examples.app:app", "--lifespan", "/hello")
    assert result.stdout.endswith(b'"lifespan": true}')


def test_404_is_printed_not_an_error():
    result = run_cli("examples.app:app", "/missing")
    assert result.returncode == 0
    assert result.stdout.startswith(b"HTTP/1.1 404 Not Found\r\n")


def test_app_that_cannot_be_imported(tmp_path):
    result = run_cli("no_such_module:app", "/", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"error: cannot import module 'no_such_module'" in result.stderr
    result = run_cli("examples.app:missing", "/")
    assert result.returncode == 2
    assert b"error: module 'examples.app' has no attribute 'missing'" in result.stderr
    result = run_cli("examples.app", "/")
    assert b"is not of the form 'module:attribute'" in result.stderr


def test_module_failing_on_import_gets_one_line(tmp_path):
    (tmp_path / "needs_env.py").write_text("import os\n\nraise RuntimeError('DATABASE_URL is not set')\n")
    (tmp_path / "bad_syntax.py").write_text("async def app(scope, receive, send)\n    pass\n")
    result = run_cli("needs_env:app", "/", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        f"error: cannot import module 'needs_env': RuntimeError: DATABASE_URL is not set"
        f" (at {tmp_path / 'needs_env.py'}:3)"
    )
    result = run_cli("bad_syntax:app", "/", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: cannot import module 'bad_syntax': SyntaxError: ")
    assert b"Traceback" not in result.stderr


def test_a_fastapi_app_with_its_lifespan(tmp_path):
    (tmp_path / "shop.py").write_text(
        "import contextlib\n"
        "from fastapi import FastAPI, Request\n"
        "@contextlib.asynccontextmanager\n"
        "async def lifespan(app):\n"
        "    yield {'greeting': 'hello from the lifespan'}\n"
        "app = FastAPI(lifespan=lifespan)\n"
        "@app.post('/items')\n"
        "async def create(item: dict, request: Request):\n"
        "    return {'item': item, 'greeting': request.state.greeting}\n"
    )
    result = run_cli(
        "shop:app", "--lifespan", "POST", "/items", "-d", '{"a": 1}', "-H", "Content-Type: application/json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert result.stdout.endswith(b'{"item":{"a":1},"greeting":"hello from the lifespan"}')


def test_bad_header_and_bad_target():
    assert b"is not of the form 'Name: value'" in run_cli("examples.app:app", "/", "-H", "nocolon").stderr
    result = run_cli("examples.app:app", "/x", "/y")
    assert result.returncode == 2
    assert result.stderr == b"error: expected [METHOD] URL, got '/x /y'\n"


def test_app_exception_exits_non_zero(tmp_path):
    (tmp_path / "broken.py").write_text(
        "async def app(scope, receive, send):\n    raise ValueError('app is broken')\n"
    )
    result = run_cli("broken:app", "/", cwd=tmp_path)
    assert result.returncode == 1
    assert b"ValueError: app is broken" in result.stderr


def test_reader_gone_exits_23_quietly():
    """``asgi-testclient app /x | head -c0``: the pipe is closed before the
    first write; the command stops with curl's write-error status, no
    traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = subprocess.run(
            [sys.executable, "-m", "asgi_testclient", "examples.app:app", "/hello"],
            stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60,
        )
    finally:
        os.close(write_end)
    assert (process.returncode, process.stderr) == (23, b"")
