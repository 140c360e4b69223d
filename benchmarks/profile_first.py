#!/usr/bin/env python
"""Where the first request of a new client goes (W6 "new client"), in fresh processes.

    python benchmarks/profile_first.py                 # this environment's asgi_testclient
    .benchvenv-legacy/bin/python benchmarks/profile_first.py --client starlette.testclient

Each run is a fresh interpreter that imports the client and the app (not
timed, as in W6), then times ``TestClient(app)`` and the first
``get("/small")``. The fastest of ``--runs`` runs is printed, split into
what the first request imports (modules new in ``sys.modules``, by their
own import time) and the rest; ``--profile`` adds a cProfile of one run,
by cumulative time.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import worker_environment  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, {here!r})
from {module} import TestClient
from benchapp import app
import cProfile
before = set(sys.modules)
profile = cProfile.Profile() if {profile!r} else None
start = time.perf_counter()
if profile: profile.enable()
client = TestClient(app)
constructed = time.perf_counter()
response = client.get("/small")
body = response.content
done = time.perf_counter()
if profile: profile.disable()
assert body == b'{{"hello":"world"}}', body
new = sorted(set(sys.modules) - before)
if profile:
    import pstats, io
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue(), file=sys.stderr)
print(json.dumps({{"construct": constructed - start, "first": done - constructed, "new_modules": new}}))
"""


def one(python, module, profile):
    code = CHILD.format(here=str(HERE), module=module, profile=profile)
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=worker_environment(), check=True)
    if profile:
        sys.stderr.write(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def import_cost(python, modules_before, modules):
    """Seconds to import ``modules`` in a fresh interpreter that has imported ``modules_before``."""
    code = (
        f"import sys, time, importlib\nsys.path.insert(0, {str(HERE)!r})\n"
        f"{modules_before}\n"
        "start = time.perf_counter()\n"
        f"for m in {modules!r}:\n"
        "    try: importlib.import_module(m)\n"
        "    except ImportError: pass\n"
        "print(time.perf_counter() - start)"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=worker_environment(), check=True)
    return float(out.stdout.strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--client", default="asgi_testclient", help="module with TestClient")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    results = [one(args.python, args.client, False) for _ in range(args.runs)]
    best = min(results, key=lambda r: r["construct"] + r["first"])
    total = best["construct"] + best["first"]
    print(
        f"{args.client}: TestClient(app) {best['construct'] * 1e3:.2f} ms, first request {best['first'] * 1e3:.2f} ms"
    )
    median = sorted(r["construct"] + r["first"] for r in results)[len(results) // 2]
    print(f"  total {total * 1e3:.2f} ms (fastest of {args.runs}; median {median * 1e3:.2f} ms)")
    new = best["new_modules"]
    tops = sorted({m.split(".")[0] + ("." + m.split(".")[1] if m.count(".") else "") for m in new})
    setup = f"from {args.client} import TestClient; import benchapp"
    imports = min(import_cost(args.python, setup, new) for _ in range(5))
    print(f"  modules first imported by it: {len(new)}, {imports * 1e3:.2f} ms to import them alone (fastest of 5)")
    print(f"  the rest (threads, loop, portal, the request): {(total - imports) * 1e3:.2f} ms")
    print("  " + ", ".join(tops[:30]))
    if args.profile:
        one(args.python, args.client, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
