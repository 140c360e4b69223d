"""A user's type checker sees precise types: ``mypy --strict`` on the calls
in ``tests/typing/client_calls.py`` reports the errors its ``# E:`` comments
expect, on those lines, and nothing else."""

import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "tests" / "typing" / "client_calls.py"

# "# E: <code> <part of the message>"
EXPECTED = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)\s+(?P<message>.+?)\s*$")
# "path:line: error: message  [code]"
REPORTED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)\s+\[(?P<code>[a-z-]+)\]$")


def expected_errors():
    found = {}
    for number, line in enumerate(CALLS.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECTED.search(line)
        if match:
            found[number] = (match["code"], match["message"])
    return found


def test_the_expectations_are_there():
    # The file's own contract: a change that loses its comments fails here.
    codes = sorted(code for code, _ in expected_errors().values())
    assert codes == ["arg-type"] * 5 + ["assignment"] + ["call-arg"] * 6 + ["dict-item"]


def test_mypy_strict_reports_exactly_the_expected_errors(tmp_path):
    pytest.importorskip("mypy")
    try:
        version("types-requests")
    except PackageNotFoundError:  # pragma: no cover - the test extras have it
        pytest.skip("types-requests is not installed: requests' arguments would be untyped")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    # This checkout's package first, whatever is installed (an editable
    # install of another checkout, a wheel).
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--show-error-codes",
            "--no-error-summary",
            "--no-color-output",
            # As for a user, whose mypy reports nothing of an installed
            # package's own code (lint checks that: mypy --strict asgi_testclient).
            "--follow-imports=silent",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(CALLS),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    reported = {}
    for line in result.stdout.splitlines():
        if ": note: " in line:
            continue
        match = REPORTED.match(line)
        assert match and Path(match["path"]).name == CALLS.name, f"unexpected mypy output: {line}"
        assert int(match["line"]) not in reported, f"two errors on one line: {line}"
        reported[int(match["line"])] = (match["code"], match["message"])
    expected = expected_errors()
    assert sorted(reported) == sorted(expected), result.stdout
    for number, (code, message) in expected.items():
        assert reported[number][0] == code, (number, reported[number])
        assert message in reported[number][1], (number, reported[number])


def test_run_passes_positional_and_keyword_arguments_as_typed():
    # What the ParamSpec in run()'s signature promises holds at runtime.
    from asgi_testclient import TestClient

    from .apps import respond

    async def describe(first, second="-", *, third="-"):
        return f"{first} {second} {third}"

    with TestClient(respond()) as client:
        assert client.run(describe, 1) == "1 - -"
        assert client.run(describe, 1, 2, third=3) == "1 2 3"
        assert client.run(describe, 1, second=2) == "1 2 -"
