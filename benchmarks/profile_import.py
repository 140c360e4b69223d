#!/usr/bin/env python
"""Where the import time of a test client goes, against another's.

    python benchmarks/profile_import.py                  # asgi_testclient vs starlette 0.20.4 (legacy venv)
    python benchmarks/profile_import.py --runs 15 --top 25

Runs ``python -X importtime -c "from MODULE import NAME"`` ``--runs`` times
for each side in fresh interpreters (taking turns), keeps each module's
fastest self and cumulative time (the least disturbed by other work on the
machine), and prints: the total, the biggest top-level imports of each
side, and the modules one side imports and the other does not, with
their self time, which is what deferring them would save, and the modules
both import whose self time differs most (other versions of requests,
urllib3 or anyio, say).

A side is ``PYTHON:MODULE:NAME``; the defaults are this environment's
``asgi_testclient:TestClient`` and ``.benchvenv-legacy``'s
``starlette.testclient:TestClient``.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import setup_envs  # noqa: E402
from run import worker_environment  # noqa: E402

#: As run.py's workers import: with compiled bytecode at hand.
ENV = worker_environment()
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def importtime(python, module, name):
    """{module: (self µs, cumulative µs, depth)} of one fresh import."""
    code = f"from {module} import {name}"
    err = subprocess.run(
        [python, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stderr
    found = {}
    for match in LINE.finditer(err):
        self_us, cumulative, indent, mod = match.groups()
        found[mod] = (int(self_us), int(cumulative), len(indent) // 2)
    return found


def fastest(runs):
    best = {}
    for run in runs:
        for mod, (self_us, cumulative, depth) in run.items():
            old = best.get(mod)
            best[mod] = (min(self_us, old[0]), min(cumulative, old[1]), depth) if old else (self_us, cumulative, depth)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", default=f"{sys.executable}:asgi_testclient:TestClient")
    parser.add_argument("--theirs", default=f"{setup_envs.env_python('legacy')}:starlette.testclient:TestClient")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    sides = {"ours": args.ours.rsplit(":", 2), "theirs": args.theirs.rsplit(":", 2)}
    runs = {side: [] for side in sides}
    for _ in range(args.runs):
        for side, (python, module, name) in sides.items():
            runs[side].append(importtime(python, module, name))
    best = {side: fastest(r) for side, r in runs.items()}
    for side, table in best.items():
        python, module, name = sides[side]
        total = sum(v[0] for v in table.values())
        print(f"{side}: from {module} import {name} ({python}): {total / 1000:.1f} ms, sum of fastest self times")
        tops = sorted(((v[1], m) for m, v in table.items() if v[2] == 0), reverse=True)[: args.top]
        for cumulative, mod in tops:
            print(f"  {cumulative / 1000:7.1f} ms  {mod}")
    for side, other in (("ours", "theirs"), ("theirs", "ours")):
        only = {m: v for m, v in best[side].items() if m not in best[other]}
        print(f"\nimported by {side} only: {sum(v[0] for v in only.values()) / 1000:.1f} ms of self time")
        for mod, (self_us, _, _) in sorted(only.items(), key=lambda kv: -kv[1][0])[: args.top]:
            print(f"  {self_us / 1000:7.2f} ms  {mod}")
    shared = [(best["ours"][m][0] - best["theirs"][m][0], m) for m in best["ours"] if m in best["theirs"]]
    shared.sort(reverse=True)
    print(f"\nimported by both, ours minus theirs: {sum(d for d, _ in shared) / 1000:+.1f} ms of self time; most:")
    for diff, mod in shared[: args.top]:
        print(f"  {diff / 1000:+7.2f} ms  {mod}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
