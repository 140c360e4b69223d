"""The wheel, as pip installs it from the index: its metadata, its files and
its console script.

The checkout is copied first and built from an sdist, as ``python -m build``
does by default, so that a stale ``build/`` directory cannot slip files into
the wheel and a file missing from the sdist fails here rather than for users.
"""

import email
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import asgi_testclient

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"

# Building and installing take a few seconds each, more on a busy machine.
pytestmark = pytest.mark.timeout(300)

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".tox", ".venv", "venv", "build", "dist", "site", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("packaging")
    shutil.copytree(ROOT, tmp / "src", ignore=_NOT_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(tmp / "src")],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (tmp / "dist").glob("*.whl")
    return built


def dist_info(wheel, name):
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [p for p in archive.namelist() if p.split("/")[0].endswith(".dist-info") and p.endswith(name)]
        return path, archive.read(path).decode("utf-8")


def test_wheel_metadata_and_files(wheel):
    metadata = email.message_from_string(dist_info(wheel, "/METADATA")[1])
    assert metadata["Name"] == "requests-asgi-testclient"
    assert metadata["Version"] == asgi_testclient.__version__  # setup.cfg reads it from the package
    assert metadata["License"] == "BSD-3-Clause"
    # The description on PyPI is written for the index, not the checkout's README.
    assert metadata.get_payload().strip() == (ROOT / "docs" / "pypi.md").read_text(encoding="utf-8").strip()

    requirements = {Requirement(line).name: Requirement(line) for line in metadata.get_all("Requires-Dist")}
    assert {"requests", "urllib3", "anyio", "typing-extensions"} <= set(requirements)
    urllib3 = requirements["urllib3"].specifier
    assert ("1.25.11" in urllib3, "1.26.7" in urllib3, "2.8.0" in urllib3, "3.0.0" in urllib3) == (
        False, True, True, False,
    )

    license_path, license_text = dist_info(wheel, "/LICENSE")
    assert license_path.split("/")[1:] in (["LICENSE"], ["licenses", "LICENSE"])
    assert license_text.startswith("BSD 3-Clause License\n\nCopyright (c) the asgi_testclient authors.")

    entry_points = dist_info(wheel, "/entry_points.txt")[1]
    assert "[console_scripts]\nasgi-testclient = asgi_testclient._cli:main\n" in entry_points
    assert "[pytest11]\nasgi_testclient = asgi_testclient.pytest_plugin\n" in entry_points

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "asgi_testclient/py.typed" in names
    assert "asgi_testclient/_cli.py" in names
    assert not [name for name in names if name.startswith(("tests/", "examples/", "benchmarks/", "docs/"))]


def test_installed_console_script(wheel, tmp_path):
    """pip makes the ``asgi-testclient`` script from the entry point, and it
    runs the wheel's own package (the dependencies come from this
    environment, through a .pth file, so nothing is downloaded)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / BIN / ("python.exe" if os.name == "nt" else "python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (tmp_path / "hello.py").write_text(
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'x-from', b'hello')]})\n"
        "    await send({'type': 'http.response.body', 'body': scope['method'].encode()})\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run(
        [str(venv / BIN / "asgi-testclient"), "hello:app", "-d", "x", "/"],
        capture_output=True, cwd=tmp_path, env=env, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == b"HTTP/1.1 200 OK\r\nx-from: hello\r\n\r\nPOST"
    where = subprocess.run(
        [str(python), "-c", "import asgi_testclient; print(asgi_testclient.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    ).stdout
    assert Path(where).resolve().is_relative_to(Path(purelib).resolve())
