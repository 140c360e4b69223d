#!/usr/bin/env python
"""Where a websocket message's time and CPU go in asgi_testclient (W5).

    python benchmarks/profile_w5.py                  # 20 000 messages a measurement
    python benchmarks/profile_w5.py --messages 5000 --rounds 3 --cprofile

Echoes text messages through ``benchapp``'s ``/ws`` as W5 does, and
reports per message: wall time, the CPU of the test thread and of the loop
thread apart (their thread CPU clocks) and how much of each was spent in
the kernel, the context switches of the two threads, the event-loop iterations and the
``select`` calls that actually slept, and the time ``send_text`` and
``receive_text`` take. Then the same with one thing changed at a time
(what-ifs, patched into this process only, never into the package), in
turns with the unchanged client so that drift falls on both:

* ``no-send-checkpoint``: the app's ``send()`` does not end with
  ``anyio.lowlevel.checkpoint()``;
* ``asyncio-event``: ``receive()`` waits on a plain ``asyncio.Event``
  instead of an ``anyio.Event``;
* ``both``: the two together.

``--cprofile`` adds a profile of each thread (cProfile, enabled in each).
"""

import argparse
import asyncio
import resource
import statistics
import sys
import threading
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anyio  # noqa: E402
import anyio.lowlevel  # noqa: E402
from benchapp import app  # noqa: E402

from asgi_testclient import TestClient, _websocket  # noqa: E402

MESSAGE = "hello, websocket"
ORIGINAL_SEND = _websocket.WebSocketTestSession._send


async def _send_without_checkpoint(self, message):
    try:
        self._record(message)
    except _websocket.ASGIProtocolError as exc:
        with self._cond:
            if self._protocol_error is None:
                self._protocol_error = exc
                self._cond.notify_all()
        raise


def _anyio_with_asyncio_event():
    return types.SimpleNamespace(
        Event=asyncio.Event,
        CancelScope=anyio.CancelScope,
        lowlevel=anyio.lowlevel,
        get_cancelled_exc_class=anyio.get_cancelled_exc_class,
    )


VARIANTS = {
    "as is": {},
    "no-send-checkpoint": {"send": True},
    "asyncio-event": {"event": True},
    "both": {"send": True, "event": True},
}


def _patch(variant):
    options = VARIANTS[variant]
    _websocket.WebSocketTestSession._send = _send_without_checkpoint if options.get("send") else ORIGINAL_SEND
    _websocket.anyio = _anyio_with_asyncio_event() if options.get("event") else anyio


def _thread_cpu(ident):
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def _rusage():
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime, usage.ru_nvcsw + usage.ru_nivcsw


def _usage(ws):
    """(user, system, context switches) of the test thread, then of the loop thread."""
    return (*_rusage(), *ws._loop.portal.call(_rusage))


def measure(n, variant, profile=None, loop_profile=None):
    _patch(variant)
    try:
        with TestClient(app) as client, client.websocket_connect("/ws") as ws:
            for _ in range(50):
                ws.send_text(MESSAGE)
                assert ws.receive_text() == MESSAGE
            loop_ident = ws._loop._run.ident
            loop = ws._loop.portal.call(asyncio.get_running_loop)
            counts = {"iterations": 0, "sleeps": 0}
            run_once, select = loop._run_once, loop._selector.select

            def counted_run_once():
                counts["iterations"] += 1
                return run_once()

            def counted_select(timeout=None):
                events = select(timeout)
                if timeout is None or timeout > 0:
                    counts["sleeps"] += 1
                return events

            loop._run_once, loop._selector.select = counted_run_once, counted_select
            sends, receives = [], []
            perf = time.perf_counter
            usage = _usage(ws)
            test_cpu0, loop_cpu0 = time.thread_time(), _thread_cpu(loop_ident)
            cpu0, start = time.process_time(), perf()
            if profile is not None:
                profile.enable()
            if loop_profile is not None:
                ws._loop.portal.call(loop_profile.enable)
            for _ in range(n):
                t0 = perf()
                ws.send_text(MESSAGE)
                t1 = perf()
                ws.receive_text()
                t2 = perf()
                sends.append(t1 - t0)
                receives.append(t2 - t1)
            if profile is not None:
                profile.disable()
            if loop_profile is not None:
                ws._loop.portal.call(loop_profile.disable)
            wall, cpu = perf() - start, time.process_time() - cpu0
            test_cpu, loop_cpu = time.thread_time() - test_cpu0, _thread_cpu(loop_ident) - loop_cpu0
            usage = [after - before for before, after in zip(usage, _usage(ws))]
            loop._run_once, loop._selector.select = run_once, select
    finally:
        _patch("as is")
    return {
        "msgs_s": n / wall,
        "cpu": cpu / n * 1e6,
        "test_cpu": test_cpu / n * 1e6,
        "loop_cpu": loop_cpu / n * 1e6,
        "iterations": counts["iterations"] / n,
        "sleeps": counts["sleeps"] / n,
        "test_sys": usage[1] / n * 1e6,
        "loop_sys": usage[4] / n * 1e6,
        "switches": (usage[2] + usage[5]) / n,
        "send": statistics.median(sends) * 1e6,
        "receive": statistics.median(receives) * 1e6,
    }


COLUMNS = [
    ("msgs_s", "msg/s", "{:8,.0f}"),
    ("cpu", "CPU µs", "{:7.1f}"),
    ("test_cpu", "test thr", "{:8.1f}"),
    ("loop_cpu", "loop thr", "{:8.1f}"),
    ("test_sys", "of it sys", "{:9.1f}"),
    ("loop_sys", "of it sys", "{:9.1f}"),
    ("switches", "ctx sw.", "{:7.2f}"),
    ("iterations", "loop it.", "{:8.2f}"),
    ("sleeps", "sleeps", "{:6.2f}"),
    ("send", "send µs", "{:7.1f}"),
    ("receive", "recv µs", "{:7.1f}"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    results = {variant: [] for variant in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            results[variant].append(measure(args.messages, variant))
    print(f"per message, median of {args.rounds} rounds of {args.messages:,} messages (thread CPU clocks)")
    print(f"{'':20}" + " ".join(f"{title:>{len(fmt.format(0))}}" for _, title, fmt in COLUMNS))
    for variant, runs in results.items():
        row = [fmt.format(statistics.median(r[key] for r in runs)) for key, _, fmt in COLUMNS]
        print(f"{variant:20}" + " ".join(row))
    print(f"threads alive: {threading.active_count()}")
    if args.cprofile:
        import cProfile
        import pstats

        profile, loop_profile = cProfile.Profile(), cProfile.Profile()
        measure(min(args.messages, 5000), "as is", profile, loop_profile)
        print("test thread:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(14)
        print("loop thread:")
        pstats.Stats(loop_profile).sort_stats("tottime").print_stats(22)
    return 0


if __name__ == "__main__":
    sys.exit(main())
