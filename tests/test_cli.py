"""``python -m asgi_testclient``, run as a user would, in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "asgi_testclient", *args], capture_output=True, cwd=cwd, env=env, timeout=60
    )


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
    result = run_cli("examples.app:app", "FETCH", "/x")
    assert result.returncode == 2
    assert b"expected [METHOD] URL" in result.stderr


def test_app_exception_exits_non_zero(tmp_path):
    (tmp_path / "broken.py").write_text(
        "async def app(scope, receive, send):\n    raise ValueError('app is broken')\n"
    )
    result = run_cli("broken:app", "/", cwd=tmp_path)
    assert result.returncode == 1
    assert b"ValueError: app is broken" in result.stderr
