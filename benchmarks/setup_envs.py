#!/usr/bin/env python
"""Build the benchmark's virtual environments, at the repository root.

    python benchmarks/setup_envs.py            # both; skips one that is up to date
    python benchmarks/setup_envs.py legacy     # only .benchvenv-legacy
    python benchmarks/setup_envs.py --check    # say which are missing or stale

Two environments, because the contenders cannot share one:

* ``.benchvenv`` (``benchmarks/requirements.txt``): asgi_testclient and
  today's clients on today's requests, urllib3 and anyio.
* ``.benchvenv-legacy`` (``benchmarks/requirements-legacy.txt``):
  Starlette 0.20.4, whose own TestClient is the old client that legacy
  suites were written for, on the pins those suites still carry (anyio 3.7,
  trio 0.21, requests 2.28, urllib3 1.26); asgi_testclient is installed
  there too, to measure it on the same pins.

Both are made with the interpreter that runs this script (``--python``
picks another), so the old client and the new one run on the same Python.
An environment is rebuilt only when its requirements, the package's
``setup.cfg`` or the interpreter changed since it was built: a stamp file
inside it records what it was built from.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STAMP = "benchmark-env.json"

#: name -> (directory at the repository root, requirements file)
ENVS = {
    "bench": (".benchvenv", HERE / "requirements.txt"),
    "legacy": (".benchvenv-legacy", HERE / "requirements-legacy.txt"),
}


def env_dir(name):
    return ROOT / ENVS[name][0]


def env_python(name):
    """The interpreter of environment ``name`` (it may not exist yet)."""
    directory = env_dir(name)
    if os.name == "nt":
        return directory / "Scripts" / "python.exe"
    return directory / "bin" / "python"


def _fingerprint(name, python):
    digest = hashlib.sha256()
    for path in (ENVS[name][1], ROOT / "setup.cfg"):
        text = path.read_text() if path.exists() else ""
        # Comments and blank lines do not change what gets installed.
        lines = [line.split(" #", 1)[0].strip() for line in text.splitlines()]
        digest.update("\n".join(line for line in lines if line and not line.startswith("#")).encode())
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {"requirements": digest.hexdigest(), "python": version}


def _stamp(name):
    try:
        return json.loads((env_dir(name) / STAMP).read_text())
    except (OSError, ValueError):
        return None


def state(name):
    """ "ok", "missing" or "stale" (built from other requirements)."""
    python = env_python(name)
    stamp = _stamp(name)
    if not python.exists() or stamp is None:
        return "missing"
    try:
        return "ok" if stamp == _fingerprint(name, python) else "stale"
    except (OSError, subprocess.CalledProcessError):
        return "stale"


def build(name, python=sys.executable, force=False, log=print):
    """Create or refresh environment ``name``; return its interpreter.

    Idempotent: an environment whose stamp matches is left alone."""
    if not force and state(name) == "ok":
        log(f"{ENVS[name][0]}: up to date")
        return env_python(name)
    directory, requirements = env_dir(name), ENVS[name][1]
    log(f"{ENVS[name][0]}: creating with {python}, then pip install -r {requirements.relative_to(ROOT)}")
    subprocess.run([python, "-m", "venv", "--clear", str(directory)], check=True)
    pip = [str(env_python(name)), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True, cwd=str(ROOT))
    # Paths in the requirements (``-e .``) are relative to the repository root.
    subprocess.run([*pip, "install", "--quiet", "-r", str(requirements)], check=True, cwd=str(ROOT))
    (directory / STAMP).write_text(json.dumps(_fingerprint(name, env_python(name)), indent=1) + "\n")
    log(f"{ENVS[name][0]}: ready")
    return env_python(name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"{' or '.join(ENVS)} (default: all)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to build them with")
    parser.add_argument("--force", action="store_true", help="rebuild even an up-to-date environment")
    parser.add_argument("--check", action="store_true", help="only report each environment's state")
    args = parser.parse_args(argv)
    names = args.names or list(ENVS)
    unknown = [name for name in names if name not in ENVS]
    if unknown:
        parser.error(f"unknown environment {unknown[0]!r}; choose from {', '.join(ENVS)}")
    if args.check:
        states = {name: state(name) for name in names}
        for name, value in states.items():
            print(f"{ENVS[name][0]}: {value}")
        return 0 if all(v == "ok" for v in states.values()) else 1
    for name in names:
        build(name, args.python, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
