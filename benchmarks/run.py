#!/usr/bin/env python
"""Benchmark asgi_testclient against the other ways of testing an ASGI app.

One command runs every workload through every contender, each measurement
in a fresh subprocess, round-robin across contenders (the order rotates
every round), for several rounds; then prints the median of the rounds,
the ratio of each contender to asgi_testclient measured in the same run,
and whether the performance targets are met. It writes the results as
JSON (``benchmarks/results/``), the table as Markdown next to it, and an
SVG chart (``docs/img/benchmark.svg`` for a complete full run).

    python benchmarks/run.py            # full run, ~6 minutes on 2 cores
    python benchmarks/run.py --smoke    # one quick round with small sizes (CI)
    python benchmarks/run.py --only W1 --contenders asgi_testclient,starlette-testclient

Run it with the interpreter of the benchmark environment, ``.benchvenv``
(``python benchmarks/setup_envs.py`` builds it); a contender that is not
installed there is reported as such. The old client, Starlette 0.20.4 on
2022's pins, runs with ``.benchvenv-legacy``'s interpreter: a full run (or
``--setup``) builds that environment when needed, a smoke run skips those
contenders when it is missing. The targets are in ``targets.py``.
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
import setup_envs  # noqa: E402
import svgchart  # noqa: E402
import targets as _targets  # noqa: E402
from workloads import MEMORY, WORKLOAD_BY_KEY, WORKLOAD_KEYS, WORKLOADS, X, advantage, fmt  # noqa: E402

WORKER = HERE / "worker.py"
MARKER = "@@BENCH-RESULT@@ "
BASE = _targets.BASE
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
                allowed = WORKLOAD_BY_KEY[workload].contenders
                if allowed is not None and contender not in allowed:
                    if rnd == 0:
                        results.add(workload, contender, {"status": "n/a", "reason": "not measured for this client"})
                    continue
                only = getattr(CONTENDERS[contender], "only", None)
                if only is not None and workload not in only:
                    if rnd == 0:
                        results.add(workload, contender, {"status": "n/a", "reason": "stands for W1 and W2 only"})
                    continue
                python = args.pythons[contender]
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


def environment(installed, python, pythons=None):
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
        "pythons": {c: os.path.relpath(p, ROOT) if os.path.isabs(p) else p for c, p in (pythons or {}).items()},
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
    parser.add_argument(
        "--legacy-python",
        help="interpreter for the contenders on 2022's pins (default: .benchvenv-legacy's, built when needed)",
    )
    parser.add_argument(
        "--setup",
        action="store_true",
        help="build or refresh .benchvenv-legacy first (a full run does this by itself; --smoke only with this)",
    )
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
    skipped = choose_pythons(args, contenders, mode)
    installed = {c: skipped[c] if c in skipped else run_worker(args.pythons[c], ["probe", c], 60) for c in contenders}
    for c, probe in installed.items():
        if probe["status"] == "ok":
            versions = ", ".join(f"{k} {v}" for k, v in probe.get("versions", {}).items())
            extra = f" (via {probe['http_client']})" if "http_client" in probe else ""
            print(f"  {CONTENDERS[c].name:<28} {versions}{extra}")
        else:
            print(f"  {CONTENDERS[c].name:<28} {probe['status']}: {probe.get('reason', '')}")
    env = environment(installed, args.python, args.pythons)

    upload_path = file_path = None
    if any(w in workloads for w in ("w3", "w3s")):
        upload_path = make_upload_file(params["upload_size"])
    if any(w in workloads for w in ("w4f", "w4p")):
        file_path = make_upload_file(params["download_size"])
    params["upload_path"], params["file_path"] = upload_path, file_path
    started = time.perf_counter()
    try:
        results = run_all(args, params, contenders, workloads, installed)
    finally:
        for path in (upload_path, file_path):
            if path:
                os.unlink(path)
    env["seconds"] = round(time.perf_counter() - started, 1)
    env["load_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return report(args, results, params, env)


def choose_pythons(args, contenders, mode):
    """Set ``args.pythons`` (contender -> interpreter); return the
    contenders that cannot run, as contender -> "not installed" result.

    A contender with ``env = "legacy"`` runs in .benchvenv-legacy. A full
    run (or ``--setup``) builds that environment when it is missing or
    stale; a smoke run does not build it (that needs the network and a
    minute), and skips those contenders, saying so, when it is missing."""
    args.pythons = dict.fromkeys(contenders, args.python)
    legacy = [c for c in contenders if getattr(CONTENDERS[c], "env", None) == "legacy"]
    if not legacy:
        return {}
    names = ", ".join(CONTENDERS[c].name for c in legacy)
    python, problem = args.legacy_python, None
    if python is None:
        state = setup_envs.state("legacy")
        if state != "ok" and (args.setup or mode == "full"):
            try:
                setup_envs.build("legacy", log=lambda line: print("  " + line, flush=True))
                state = "ok"
            except (OSError, subprocess.CalledProcessError) as exc:
                problem = f"building .benchvenv-legacy failed: {exc}"
        if state == "missing" and problem is None:
            problem = (
                ".benchvenv-legacy is not built; `python benchmarks/setup_envs.py legacy` or `run.py --setup` builds it"
            )
        elif state == "stale":
            print(f"  note: .benchvenv-legacy is older than {setup_envs.ENVS['legacy'][1].name}; using it as it is")
        python = str(setup_envs.env_python("legacy"))
    if problem:
        print(f"  skipped: {names}: {problem}", flush=True)
        return {c: {"status": "not installed", "reason": f"skipped: {problem}"} for c in legacy}
    for c in legacy:
        args.pythons[c] = python
    print(f"  {names}: run with {os.path.relpath(python, ROOT) if os.path.isabs(python) else python}")
    return {}


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
    target_lines, outcome = _targets.check(results, _targets.TARGETS)
    reference = {title: _targets.check(results, targets)[0] for title, targets in _targets.REFERENCE.items()}
    floor = _targets.floor_lines(results)
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
    if floor:
        print()
        print("asgi_testclient against the floor (requests + one bare thread hop + a canned response):")
        for line in floor:
            print("  " + line)
    print()
    print(f"Targets, against {CONTENDERS[_targets.LEGACY].name} on 2022's pins unless said otherwise:")
    for line in target_lines:
        print("  " + line)
    for title, lines in reference.items():
        if lines:
            print()
            print(f"For reference (not targets): {title}:")
            for line in lines:
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
        "reference": reference,
        "floor": floor,
        "runs": {f"{w}/{c}": runs for (w, c), runs in results.runs.items()},
        "table": text,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    (results_dir / f"latest-{kind}.json").write_text(json.dumps(document, indent=1, ensure_ascii=False))
    (results_dir / f"latest-{kind}.md").write_text(
        "\n".join(
            [
                text,
                "",
                legend,
                *footnotes,
                "",
                "Against the floor:",
                "",
                *(f"- {line}" for line in floor),
                "",
                "Targets:",
                "",
                *(f"- {t}" for t in target_lines),
                *(
                    part
                    for title, lines in reference.items()
                    for part in ("", f"{title}:", "", *(f"- {line}" for line in lines))
                ),
                "",
            ]
        )
    )
    print()
    took = f"{env['seconds']:.0f} s; " if "seconds" in env and not args.report else ""
    print(f"{took}results: {json_path}; chart: {chart_path}")
    if args.strict and mode != "smoke" and any(o["verdict"] == "MISS" for o in outcome):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
