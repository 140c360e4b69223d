"""One measurement in a fresh interpreter; started by ``run.py``, one per
workload/contender/round.

Usage (``run.py`` does this; by hand it helps to debug one contender)::

    python benchmarks/worker.py import MODULE NAME
    python benchmarks/worker.py probe CONTENDER
    python benchmarks/worker.py run CONTENDER WORKLOAD 'PARAMS_JSON'

The result is one JSON line on stdout after :data:`MARKER`. ``import``
times ``from MODULE import NAME`` and imports nothing else before it (only
``sys`` and ``time`` are loaded at that point).

For ``run``, peak memory is the growth of the peak resident set size
(``VmHWM``) over the resident size (``VmRSS``) measured after the imports
and the app's construction, just before the workload. On Linux the peak
is reset at that point (``/proc/self/clear_refs``), so an earlier peak
cannot hide the workload's.
"""

import sys
import time

MARKER = "@@BENCH-RESULT@@ "


def _emit(result):
    import json
    import os

    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without waiting for threads a contender may have left running
    # (a blocking portal never closed after a failure, say).
    os._exit(0)


def _describe(exc):
    import os
    import traceback

    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    if frames:
        frame = frames[-1]
        text += f" (at {os.path.basename(frame.filename)}:{frame.lineno})"
    return text[:300]


def _memory():
    """(rss_kib, peak_kib) of this process."""
    values = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0])
    except OSError:
        pass
    if "VmRSS" in values and "VmHWM" in values:
        return values["VmRSS"], values["VmHWM"]
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        peak //= 1024
    return peak, peak


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def do_import(module, entry):
    """Time ``from module import entry``: what a test file does. (A package
    that imports its public names lazily pays when one is taken.)"""
    start = time.perf_counter()
    try:
        getattr(__import__(module, fromlist=[entry]), entry)
    except ImportError as exc:
        _emit({"status": "not installed", "reason": _describe(exc)})
    seconds = time.perf_counter() - start
    _emit({"status": "ok", "seconds": seconds})


def _import_entry(contender):
    """Import what a test imports, before anything is measured."""
    import importlib

    return getattr(importlib.import_module(contender.module), contender.entry)


def _versions(dists):
    from importlib import metadata

    found = {}
    for dist in dists:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def do_probe(key):
    import platform

    import contenders

    contender = contenders.CONTENDERS[key]()
    try:
        _import_entry(contender)
        info = contender.info() if hasattr(contender, "info") else {}
    except ImportError as exc:
        _emit({"status": "not installed", "reason": _describe(exc)})
    try:
        # One request, so that what is imported lazily is compiled and
        # cached before anything is timed.
        contender.w6_first({})
    except Exception:  # noqa: BLE001 - the measurements will report it
        pass
    _emit(
        {
            "status": "ok",
            "versions": _versions(getattr(contender, "dists", ())),
            "python": platform.python_version(),
            **info,
        }
    )


def do_run(key, workload, params_json):
    import gc
    import json

    import contenders

    params = json.loads(params_json)
    contender = contenders.CONTENDERS[key]()
    try:
        _import_entry(contender)
    except ImportError as exc:
        _emit({"status": "not installed", "reason": _describe(exc)})
    method = getattr(contender, workload)
    gc.collect()
    peak_reset = _reset_peak()
    rss0, _ = _memory()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        result = method(params)
    except contenders.NotSupported as exc:
        _emit({"status": "n/a", "reason": str(exc)})
    except BaseException as exc:  # noqa: BLE001 - reported, not raised
        _emit({"status": "failed", "reason": _describe(exc)})
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    _, peak = _memory()
    result.update(
        status="ok",
        mem=max(0, peak - rss0) / 1024,
        rss_before=rss0 / 1024,
        peak_reset=peak_reset,
        process_cpu=cpu,
        process_wall=wall,
    )
    _emit(result)


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "import" and len(argv) == 4:
        do_import(argv[2], argv[3])
    elif mode == "probe" and len(argv) == 3:
        do_probe(argv[2])
    elif mode == "run" and len(argv) == 5:
        do_run(argv[2], argv[3], argv[4])
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
