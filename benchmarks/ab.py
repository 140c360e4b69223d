#!/usr/bin/env python
"""A/B: the package at a git revision against the working tree, interleaved in one process.

    python benchmarks/ab.py [--base REV] [--workload with|without|w2] [--rounds N] [--traffic N]

On a machine whose speed drifts, two runs minutes apart can differ by more
than a change under test. Here both versions are imported side by side (the
revision's copy under another name) and take turns on the same workload,
W1 inside ``with``, W1 without it, or W2, in the same process (with
``--traffic N``, the working tree records its traffic as the pytest plugin
does while a test runs): each round
times ``--requests`` requests of one, then of the other, alternating which
goes first. It prints each side's minimum, first quartile and median per
request, and the ratio new/base (below 1: the working tree is faster).
"""

import argparse
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchapp import app  # noqa: E402
from contenders import PAYLOAD  # noqa: E402


def load_both(base: str, where: Path):
    """Import the revision's package as ``atc_base`` and the working tree's as ``atc_new``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", base, "asgi_testclient"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    (where / "asgi_testclient").rename(where / "atc_base")
    shutil.copytree(ROOT / "asgi_testclient", where / "atc_new")
    sys.path.insert(0, str(where))
    return {name: importlib.import_module(f"atc_{name}") for name in ("base", "new")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--workload", choices=["with", "without", "w2"], default="with")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300, help="requests per side per round")
    parser.add_argument(
        "--traffic",
        type=int,
        default=0,
        metavar="N",
        help="record the working tree's traffic as the pytest plugin does for a test, N exchanges per client",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        packages = load_both(args.base, Path(tmp))
        if args.traffic:
            # One recording for the whole run: what one long test costs.
            importlib.import_module("atc_new._traffic").start(args.traffic)
        clients = {name: package.TestClient(app) for name, package in packages.items()}
        if args.workload != "without":
            for client in clients.values():
                client.__enter__()

        def request(client):
            if args.workload == "w2":
                client.post("/json", json=PAYLOAD)
            else:
                client.get("/small")

        for client in clients.values():
            for _ in range(200):
                request(client)
        times = {name: [] for name in clients}
        for number in range(args.rounds):
            order = list(clients.items())
            for name, client in order if number % 2 else reversed(order):
                start = time.perf_counter()
                for _ in range(args.requests):
                    request(client)
                times[name].append((time.perf_counter() - start) / args.requests * 1e6)
        for client in clients.values():
            if args.workload != "without":
                client.__exit__(None, None, None)
            client.close()

    for name, values in times.items():
        quartile = statistics.quantiles(values)[0]
        print(
            f"{args.workload:8} {name:5} min {min(values):7.1f}  q1 {quartile:7.1f}"
            f"  median {statistics.median(values):7.1f} µs/request"
        )
    ratio = statistics.median(times["new"]) / statistics.median(times["base"])
    print(f"{args.workload:8} new/base (medians) {ratio:.3f}; base = {args.base}, new = the working tree")


if __name__ == "__main__":
    main()
