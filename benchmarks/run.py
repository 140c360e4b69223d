#!/usr/bin/env python
"""Benchmark asgi_testclient against the other ways of testing an ASGI app.

One command runs every workload through every contender, each measurement
in a fresh subprocess, round-robin across contenders (the order rotates
every round), for several rounds; then prints the median of the rounds,
the ratio of each contender to asgi_testclient measured in the same run,
and whether the performance targets are met. It writes the results as
JSON (``benchmarks/results/``), the table as Markdown next to it, and an
SVG chart (``docs/img/benchmark.svg`` for a complete full run).

    python benchmarks/run.py            # full run, ~10 minutes on 2 cores
    python benchmarks/run.py --smoke    # one quick round with small sizes (CI)
    python benchmarks/run.py --only W1 --contenders asgi_testclient,starlette-testclient

Run it with the interpreter of the benchmark environment
(``pip install -r benchmarks/requirements.txt``); a contender that is not
installed there is reported as such.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import contenders as _contenders  # noqa: E402  (stdlib only; no contender is imported)
import svgchart  # noqa: E402

WORKER = HERE / "worker.py"
MARKER = "@@BENCH-RESULT@@ "
BASE = "asgi_testclient"
CONTENDERS = _contenders.CONTENDERS
MiB = 2**20

#: Sizes and counts of a full run and of a smoke run.
MODES = {
    "full": {
        "rounds": 5,
        "duration": 1.0,
        "warmup": 50,
        "upload_size": 50 * MiB,
        "download_size": 200 * MiB,
        "reps": 2,
        "ttfb_iters": 15,
        "ws_messages": 20000,
        "timeout": 180,
    },
    "smoke": {
        "rounds": 1,
        "duration": 0.2,
        "warmup": 5,
        # Big enough that the memory bounds (16 MiB) still tell a client
        # that holds the whole body from one that streams it.
        "upload_size": 50 * MiB,
        "download_size": 64 * MiB,
        "reps": 1,
        "ttfb_iters": 3,
        "ws_messages": 500,
        "timeout": 60,
    },
}


class Metric:
    def __init__(self, key, unit, better, scale=1.0, chart=True):
        self.key, self.unit, self.better, self.scale, self.chart = key, unit, better, scale, chart

    def value(self, result):
        value = result.get(self.key)
        return None if value is None else value * self.scale


US_PER_REQUEST = Metric("per_op", "µs/request", "lower", 1e6)
MIB_S = Metric("mib_s", "MiB/s", "higher")
MEMORY = Metric("mem", "MiB peak RSS growth", "lower")
MS = Metric("seconds", "ms", "lower", 1e3)


class Workload:
    def __init__(self, key, title, metrics, note=""):
        self.key, self.title, self.metrics, self.note = key, title, metrics, note

    def label(self, p):
        return self.title.format(
            upload=_size(p["upload_size"]), download=_size(p["download_size"]), messages=f"{p['ws_messages']:,}"
        )


def _size(n):
    return f"{n / MiB:g} MiB"


WORKLOADS = [
    Workload("w1_with", "W1 small GET, inside with", [US_PER_REQUEST]),
    Workload("w1_without", "W1 small GET, no with", [US_PER_REQUEST]),
    Workload("w2", "W2 10 KiB JSON POST", [US_PER_REQUEST]),
    Workload("w3", "W3 {upload} files= upload", [MIB_S, MEMORY]),
    Workload(
        "w3s",
        "W3s {upload} upload from a file object",
        [MIB_S, MEMORY],
        "not a target: data= a file (content= an async generator for the async clients)",
    ),
    Workload("w4", "W4 {download} streamed download", [MIB_S, MEMORY]),
    Workload("w4t", "W4t first byte after the app sent it", [Metric("latency", "ms", "lower", 1e3)]),
    Workload(
        "w5",
        "W5 websocket echo, {messages} messages",
        [Metric("msgs_s", "messages/s", "higher"), Metric("cpu_per_msg", "CPU µs/message", "lower", 1e6)],
    ),
    Workload("w6_import", "W6 import", [MS], "`from asgi_testclient import TestClient` and alike, fresh interpreter"),
    Workload("w6_first", "W6 construction + first request", [MS]),
    Workload("w6_lifespan", "W6 lifespan enter + exit", [MS]),
]
WORKLOAD_KEYS = [w.key for w in WORKLOADS]


class Target:
    """asgi_testclient against a bound (``other`` None) or against another
    contender's result in the same run (``factor``: how many times better)."""

    def __init__(self, text, workload, metric, bound=None, other=None, factor=None):
        self.text, self.workload, self.metric = text, workload, metric
        self.bound, self.other, self.factor = bound, other, factor


X = "\u00d7"  # the multiplication sign
W4T, W5_RATE, W5_CPU = WORKLOADS[6].metrics[0], WORKLOADS[7].metrics[0], WORKLOADS[7].metrics[1]
STC, ST = "starlette-testclient", "starlette"

TARGETS = [
    Target(f"W1 inside with: ≥3{X} faster than starlette-testclient", "w1_with", US_PER_REQUEST, other=STC, factor=3),
    Target(f"W1 inside with: ≥5{X} faster than starlette.testclient", "w1_with", US_PER_REQUEST, other=ST, factor=5),
    Target(f"W1 no with: ≥8{X} faster than starlette-testclient", "w1_without", US_PER_REQUEST, other=STC, factor=8),
    Target(f"W2: ≥2{X} faster than starlette-testclient", "w2", US_PER_REQUEST, other=STC, factor=2),
    Target("W3: peak memory growth ≤16 MiB", "w3", MEMORY, bound=16),
    Target(f"W3: ≥2{X} starlette-testclient's MiB/s", "w3", MIB_S, other=STC, factor=2),
    Target("W4: peak memory growth ≤16 MiB", "w4", MEMORY, bound=16),
    Target(f"W4: ≥1.5{X} starlette-testclient's MiB/s", "w4", MIB_S, other=STC, factor=1.5),
    Target("W4t: first byte within 5 ms of the app sending it", "w4t", W4T, bound=5),
    Target(f"W5: ≥1.5{X} starlette-testclient's messages/s", "w5", W5_RATE, other=STC, factor=1.5),
    Target("W5: CPU per message ≤½ starlette-testclient's", "w5", W5_CPU, other=STC, factor=2),
    Target("W6: import no slower than starlette-testclient", "w6_import", MS, other=STC, factor=1),
]


# -- running ---------------------------------------------------------------------


def worker_environment():
    """The workers' environment: bytecode cached under results/, always.

    Imports are timed as a user would see them, with compiled bytecode at
    hand. Where PYTHONDONTWRITEBYTECODE is set (as on some CI images), or a
    package's own ``__pycache__`` cannot be written, every import would
    compile from source again; a cache prefix of our own avoids both and
    writes nothing into the packages.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(HERE / "results" / "pycache")
    return env


def run_worker(python, args, timeout):
    """Run ``worker.py args`` in a fresh process (its own process group);
    return its result dict."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [python, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=str(ROOT),
        env=worker_environment(),
        start_new_session=True,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return {"status": "failed", "reason": f"timed out after {timeout} s", "elapsed": time.perf_counter() - start}
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER) :])
            break
    else:
        tail = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        result = {"status": "failed", "reason": f"worker crashed: {tail[:200]}"}
    result["elapsed"] = time.perf_counter() - start
    return result


def measure(python, contender, workload, params, timeout):
    if workload == "w6_import":
        return run_worker(python, ["import", CONTENDERS[contender].module, CONTENDERS[contender].entry], timeout)
    return run_worker(python, ["run", contender, workload, json.dumps(params)], timeout)


def _pick(names, known, what):
    chosen = []
    for name in names:
        matches = [k for k in known if k.lower() == name.lower()] or [
            k for k in known if k.lower().startswith(name.lower())
        ]
        if not matches:
            sys.exit(f"unknown {what} {name!r}; choose from {', '.join(known)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def _split(values):
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def make_upload_file(size):
    fd, path = tempfile.mkstemp(prefix="asgi-bench-upload-", suffix=".bin")
    block = bytes(range(256)) * 4096  # 1 MiB
    with os.fdopen(fd, "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def fmt(value):
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2g}"


def advantage(metric, base, other):
    """How many times better asgi_testclient's ``base`` is than ``other``."""
    if base is None or other is None or base <= 0 or other <= 0:
        return None
    return other / base if metric.better == "lower" else base / other


class Results:
    def __init__(self, contenders, workloads):
        self.contenders = contenders
        self.workloads = workloads
        self.runs = {(w, c): [] for w in workloads for c in contenders}

    def add(self, workload, contender, result):
        self.runs[workload, contender].append(result)

    def status(self, workload, contender):
        """("ok", None) or the first non-ok status and its reason."""
        runs = self.runs[workload, contender]
        if not runs:
            return "not run", ""
        for result in runs:
            if result["status"] != "ok":
                return result["status"], result.get("reason", "")
        return "ok", None

    def median(self, workload, contender, metric):
        values = [metric.value(r) for r in self.runs[workload, contender] if r["status"] == "ok"]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def spread(self, workload, contender, metric):
        values = [metric.value(r) for r in self.runs[workload, contender] if r["status"] == "ok"]
        values = [v for v in values if v is not None]
        return (min(values), max(values)) if values else None


def _progress(result, workload):
    if result["status"] != "ok":
        return f"{result['status']}: {result.get('reason', '')}"
    metrics = next(w for w in WORKLOADS if w.key == workload).metrics
    return ", ".join(f"{fmt(m.value(result))} {m.unit}" for m in metrics)


def run_all(args, params, contenders, workloads, installed):
    results = Results(contenders, workloads)
    sticky = {}  # (workload, contender) -> a status that will not change
    python = args.python
    total_rounds = params["rounds"]
    started = time.perf_counter()
    for rnd in range(total_rounds):
        for workload in workloads:
            order = contenders[rnd % len(contenders) :] + contenders[: rnd % len(contenders)]
            for contender in order:
                if installed[contender]["status"] != "ok":
                    if rnd == 0:
                        results.add(workload, contender, dict(installed[contender]))
                    continue
                if (workload, contender) in sticky:
                    continue
                result = measure(python, contender, workload, params, params["timeout"])
                result["round"] = rnd + 1
                results.add(workload, contender, result)
                if result["status"] != "ok":
                    sticky[workload, contender] = result["status"]
                print(
                    f"[{rnd + 1}/{total_rounds} {time.perf_counter() - started:6.0f}s] {workload:<12}"
                    f" {contender:<22} {_progress(result, workload)}",
                    flush=True,
                )
    return results


# -- reporting -------------------------------------------------------------------


def cell(results, workload, contender, metric):
    status, _ = results.status(workload, contender)
    if status != "ok":
        return {"not installed": "not installed", "n/a": "n/a", "not run": "-"}.get(status, "failed")
    value = results.median(workload, contender, metric)
    text = fmt(value)
    if contender != BASE and BASE in results.contenders and results.status(workload, BASE)[0] == "ok":
        ratio = advantage(metric, results.median(workload, BASE, metric), value)
        if ratio is not None:
            text += f" ({ratio:.2f}{X})"
    return text


def table(results, params):
    names = [CONTENDERS[c].name for c in results.contenders]
    lines = [
        "| Workload | Unit | " + " | ".join(names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    footnotes = []
    for workload in WORKLOADS:
        if workload.key not in results.workloads:
            continue
        for metric in workload.metrics:
            row = [workload.label(params), f"{metric.unit} ({metric.better} is better)"]
            row += [cell(results, workload.key, c, metric) for c in results.contenders]
            lines.append("| " + " | ".join(row) + " |")
        for contender in results.contenders:
            status, reason = results.status(workload.key, contender)
            if status not in ("ok", "not installed", "not run"):
                footnotes.append(f"- {workload.key} {CONTENDERS[contender].name}: {status} — {reason}")
        if workload.note:
            footnotes.append(f"- {workload.key}: {workload.note}")
    return "\n".join(lines), footnotes


def check_targets(results):
    lines = []
    outcome = []
    for target in TARGETS:
        if target.workload not in results.workloads or BASE not in results.contenders:
            continue
        status, reason = results.status(target.workload, BASE)
        mine = results.median(target.workload, BASE, target.metric)
        if status != "ok":
            verdict, detail = "MISS", f"asgi_testclient {status}: {reason}"
        elif target.other is None:
            ok = mine <= target.bound
            verdict = "PASS" if ok else "MISS"
            detail = f"asgi_testclient {fmt(mine)} {target.metric.unit} (bound {fmt(target.bound)})"
        else:
            if target.other not in results.contenders:
                continue
            other_status, other_reason = results.status(target.workload, target.other)
            theirs = results.median(target.workload, target.other, target.metric)
            ratio = advantage(target.metric, mine, theirs)
            if other_status != "ok" or ratio is None:
                verdict = "SKIP" if other_status in ("not installed", "not run") else "MISS"
                detail = f"no {CONTENDERS[target.other].name} result ({other_status}: {other_reason})"
            else:
                verdict = "PASS" if ratio >= target.factor else "MISS"
                detail = (
                    f"{ratio:.2f}{X} (asgi_testclient {fmt(mine)}, {CONTENDERS[target.other].name}"
                    f" {fmt(theirs)} {target.metric.unit}; need ≥{target.factor:g}{X})"
                )
        outcome.append({"target": target.text, "verdict": verdict, "detail": detail})
        lines.append(f"{verdict}  {target.text}: {detail}")
    return lines, outcome


def chart(results, params, path, env):
    panels = []
    for workload in WORKLOADS:
        if workload.key not in results.workloads:
            continue
        for metric in workload.metrics:
            values, notes = {}, {}
            for contender in results.contenders:
                name = CONTENDERS[contender].name
                status, _ = results.status(workload.key, contender)
                values[name] = results.median(workload.key, contender, metric) if status == "ok" else None
                if status != "ok":
                    notes[name] = status if status in ("n/a", "not installed") else "failed"
            title = workload.label(params)
            if metric is MEMORY:
                title = title.split(" ", 1)[0] + " memory"
            elif workload.key == "w5" and metric.key == "cpu_per_msg":
                title = "W5 websocket echo, CPU"
            panels.append(svgchart.Panel(title, metric.unit, metric.better, values, notes))
    names = [CONTENDERS[c].name for c in results.contenders]
    subtitle = (
        f"Median of {params['rounds']} round(s), each measurement in a fresh process;"
        f" Python {env['python']}, {env['cpus']} CPUs, {env['date']}"
    )
    svgchart.write(
        str(path),
        panels,
        names,
        "asgi_testclient benchmarks" + (" (smoke run: small sizes)" if params["mode"] == "smoke" else ""),
        subtitle,
        "python benchmarks/run.py — see docs/performance.md"
        + (
            f" · rows from {len(set(env['merged_from'].values()))} runs"
            if len(set(env.get("merged_from", {}).values())) > 1
            else ""
        ),
    )


def environment(installed, python):
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        model = platform.processor()
    python_version = next((v["python"] for v in installed.values() if "python" in v), platform.python_version())
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "python": python_version,
        "python_executable": python,
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": {c: v.get("versions", {}) for c, v in installed.items()},
        "extra": {
            c: {k: v for k, v in r.items() if k not in ("status", "versions", "python", "elapsed")}
            for c, r in installed.items()
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one round, small sizes, under 2 minutes (for CI)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; 1 with --smoke)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORKLOAD",
        help="run only these workloads (comma-separated or repeated): an exact name selects itself (W4 is not W4t),"
        " a prefix such as W1 or W6 all its parts",
    )
    parser.add_argument(
        "--contenders",
        action="append",
        metavar="NAMES",
        help=f"run only these contenders (comma-separated): {', '.join(CONTENDERS)}",
    )
    parser.add_argument("--timeout", type=float, help="seconds one measurement may take before it counts as failed")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs the measurements")
    parser.add_argument("--chart", help="where to write the SVG chart")
    parser.add_argument("--json", help="where to write the JSON results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed (never with --smoke)")
    parser.add_argument(
        "--report",
        nargs="+",
        metavar="JSON",
        help="measure nothing: rebuild the table, targets and chart from saved results; a later file's"
        " workloads replace an earlier one's",
    )
    args = parser.parse_args(argv)

    if args.report:
        return rebuild(args)
    mode = "smoke" if args.smoke else "full"
    params = dict(MODES[mode], mode=mode)
    if args.rounds:
        params["rounds"] = args.rounds
    if args.timeout:
        params["timeout"] = args.timeout
    workloads = _pick(_split(args.only), WORKLOAD_KEYS, "workload") if args.only else list(WORKLOAD_KEYS)
    workloads = [w for w in WORKLOAD_KEYS if w in workloads]
    contenders = _pick(_split(args.contenders), list(CONTENDERS), "contender") if args.contenders else list(CONTENDERS)
    contenders = [c for c in CONTENDERS if c in contenders]

    print(f"asgi_testclient benchmarks: {mode} run, {params['rounds']} round(s), python {args.python}", flush=True)
    installed = {c: run_worker(args.python, ["probe", c], 60) for c in contenders}
    for c, probe in installed.items():
        if probe["status"] == "ok":
            versions = ", ".join(f"{k} {v}" for k, v in probe.get("versions", {}).items())
            extra = f" (via {probe['http_client']})" if "http_client" in probe else ""
            print(f"  {CONTENDERS[c].name:<22} {versions}{extra}")
        else:
            print(f"  {CONTENDERS[c].name:<22} {probe['status']}: {probe.get('reason', '')}")
    env = environment(installed, args.python)

    upload_path = None
    if any(w in workloads for w in ("w3", "w3s")):
        upload_path = make_upload_file(params["upload_size"])
    params["upload_path"] = upload_path
    started = time.perf_counter()
    try:
        results = run_all(args, params, contenders, workloads, installed)
    finally:
        if upload_path:
            os.unlink(upload_path)
    env["seconds"] = round(time.perf_counter() - started, 1)
    env["load_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return report(args, results, params, env)


def rebuild(args):
    """``--report``: the table, targets and chart of saved results, without
    measuring. Several files merge: a later file's workloads replace an
    earlier one's (to redo some workloads of a full run with ``--only``)."""
    documents = [json.loads(Path(path).read_text()) for path in args.report]
    first = documents[0]
    params = dict(first["params"])
    contenders = [c for c in CONTENDERS if any(c in d["contenders"] for d in documents)]
    workloads = [w for w in WORKLOAD_KEYS if any(w in d["medians"] for d in documents)]
    results = Results(contenders, workloads)
    sources = {}
    for path, document in zip(args.report, documents):
        if document["params"]["mode"] != params["mode"]:
            sys.exit(f"{path} is a {document['params']['mode']} run, {args.report[0]} a {params['mode']} one")
        for key, runs in document["runs"].items():
            workload, contender = key.split("/", 1)
            if workload in results.workloads and contender in results.contenders:
                results.runs[workload, contender] = runs
                sources[workload] = Path(path).name
    params["rounds"] = max(len(r) for r in results.runs.values() if r)
    env = dict(first["environment"], merged_from=sources)
    print(f"asgi_testclient benchmarks: {params['mode']} results rebuilt from {', '.join(args.report)}")
    for workload in workloads:
        print(f"  {workload:<12} from {sources.get(workload)}")
    return report(args, results, params, env)


def report(args, results, params, env):
    """Print the table and the targets; write the JSON, Markdown and chart."""
    mode = params["mode"]
    contenders, workloads = results.contenders, results.workloads
    complete = workloads == WORKLOAD_KEYS and contenders == list(CONTENDERS)
    text, footnotes = table(results, params)
    target_lines, outcome = check_targets(results)
    legend = (
        "Medians of the rounds. In brackets: how many times better asgi_testclient is than that"
        " contender, measured in the same run (the contender's cost ÷ asgi_testclient's, or"
        " asgi_testclient's rate ÷ the contender's); below 1 the contender is better."
    )
    print()
    print(text)
    print()
    print(legend)
    for line in footnotes:
        print(line)
    print()
    print("Targets:")
    for line in target_lines:
        print("  " + line)

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    kind = "report" if args.report else mode
    json_path = Path(args.json) if args.json else results_dir / f"{stamp}-{kind}.json"
    if args.chart:
        chart_path = Path(args.chart)
    elif mode == "full" and complete:
        chart_path = ROOT / "docs" / "img" / "benchmark.svg"
    else:
        chart_path = results_dir / f"benchmark-{mode}{'' if complete else '-partial'}.svg"
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart(results, params, chart_path, env)
    medians = {
        w.key: {
            c: {
                "status": results.status(w.key, c)[0],
                "reason": results.status(w.key, c)[1],
                **{m.key: results.median(w.key, c, m) for m in w.metrics},
                **{m.key + "_range": results.spread(w.key, c, m) for m in w.metrics},
            }
            for c in contenders
        }
        for w in WORKLOADS
        if w.key in workloads
    }
    document = {
        "mode": mode,
        "params": params,
        "environment": env,
        "contenders": {c: CONTENDERS[c].name for c in contenders},
        "medians": medians,
        "targets": outcome,
        "runs": {f"{w}/{c}": runs for (w, c), runs in results.runs.items()},
        "table": text,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    (results_dir / f"latest-{kind}.json").write_text(json.dumps(document, indent=1, ensure_ascii=False))
    (results_dir / f"latest-{kind}.md").write_text(
        "\n".join([text, "", legend, *footnotes, "", "Targets:", "", *(f"- {t}" for t in target_lines), ""])
    )
    print()
    took = f"{env['seconds']:.0f} s; " if "seconds" in env and not args.report else ""
    print(f"{took}results: {json_path}; chart: {chart_path}")
    if args.strict and mode != "smoke" and any(o["verdict"] == "MISS" for o in outcome):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
