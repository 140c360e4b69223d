#!/usr/bin/env python
"""Where asgi_testclient's time per request goes (W1: a small GET inside ``with``).

    python benchmarks/profile_w1.py [--requests N] [--no-with] [--skip-yappi]

Prints, for the same app and request as W1 in ``run.py``:

1. the plain cost per request, nothing instrumented;
2. phases: timers around requests' and asgi_testclient's functions on the
   test thread (inclusive times, per request), and timestamps across the
   thread hop to the loop thread and back;
3. cProfile of the test thread: where its time goes, by package and by
   function (cProfile slows Python code down about twice: read shares, not
   absolute numbers);
4. yappi, when installed, of the loop thread: CPU time by function;
5. what-if measurements: requests' own cost with a do-nothing adapter, the
   cost of requests' runtime-checkable ``Protocol`` isinstance checks, and
   the floor of one thread hop on this machine.

It instruments asgi_testclient's private functions by name and skips any
that no longer exist.
"""

import argparse
import asyncio
import collections
import cProfile
import functools
import io
import pstats
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
import requests.models
import requests.sessions
import requests.utils
from benchapp import app

import asgi_testclient
from asgi_testclient import TestClient

perf_counter = time.perf_counter


def per_request(client, n, url="/small"):
    for _ in range(min(200, n)):
        client.get(url)
    start = perf_counter()
    for _ in range(n):
        client.get(url)
    return (perf_counter() - start) / n


def best_of(fn, times=5):
    return min(fn() for _ in range(times))


# -- 2. phases ---------------------------------------------------------------------


class Phases:
    """Inclusive timers wrapped around functions, by label."""

    def __init__(self):
        self.total = collections.defaultdict(float)
        self.calls = collections.defaultdict(int)
        self.each = collections.defaultdict(list)
        self.order = []
        self._restore = []

    def clear(self):
        self.total.clear()
        self.calls.clear()
        self.each.clear()

    def wrap(self, owner, attr, label):
        raw = owner.__dict__.get(attr) if isinstance(owner, type) else getattr(owner, attr, None)
        if raw is None:
            return False
        total, calls, each = self.total, self.calls, self.each

        def timed(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                start = perf_counter()
                try:
                    return func(*args, **kwargs)
                finally:
                    took = perf_counter() - start
                    total[label] += took
                    calls[label] += 1
                    each[label].append(took)

            return wrapper

        new = property(timed(raw.fget), raw.fset, raw.fdel, raw.__doc__) if isinstance(raw, property) else timed(raw)
        setattr(owner, attr, new)
        self._restore.append((owner, attr, raw))
        self.order.append(label)
        return True

    def restore(self):
        for owner, attr, raw in reversed(self._restore):
            setattr(owner, attr, raw)
        self._restore.clear()


def phase_breakdown(n, use_with):
    import typing

    adapter_mod = sys.modules["asgi_testclient._adapter"]
    response_mod = sys.modules["asgi_testclient._response"]
    exchange_mod = sys.modules["asgi_testclient._exchange"]
    HTTPExchange = exchange_mod.HTTPExchange
    Channel = sys.modules["asgi_testclient._channel"].Channel
    phases = Phases()
    spec = [
        ("client.get() total", TestClient, "request"),
        ("  TestClient._merge_url", TestClient, "_merge_url"),
        ("  TestClient.prepare_request", TestClient, "prepare_request"),
        ("  TestClient.merge_environment_settings", TestClient, "merge_environment_settings"),
        ("  Session.send", requests.Session, "send"),
        ("    ASGIAdapter.send", asgi_testclient.ASGIAdapter, "send"),
        ("      http_scope()", adapter_mod, "http_scope"),
        ("      request_body()", adapter_mod, "request_body"),
        ("      HTTPExchange.start (hand over to the loop)", HTTPExchange, "start"),
        ("      HTTPExchange.wait_for_start (stream=True)", HTTPExchange, "wait_for_start"),
        ("      HTTPExchange.wait_until_finished (the app's run)", HTTPExchange, "wait_until_finished"),
        ("      build_response()", adapter_mod, "build_response"),
        ("        extract_cookies_to_jar (build_response)", response_mod, "extract_cookies_to_jar"),
        ("      BodyReader.read (the body)", response_mod.BodyReader, "read"),
        ("    Response.content", requests.models.Response, "content"),
        ("    extract_cookies_to_jar (Session.send)", requests.sessions, "extract_cookies_to_jar"),
        ("    dispatch_hook", requests.sessions, "dispatch_hook"),
        ("  [runtime-checkable Protocol isinstance]", typing._ProtocolMeta, "__instancecheck__"),
        ("  [requests.sessions.merge_setting]", requests.sessions, "merge_setting"),
    ]
    skipped = [label for label, owner, attr in spec if not phases.wrap(owner, attr, label)]

    # Timestamps across the hop: the test thread hands the exchange over
    # (start), the loop runs it (run), the app starts, sends
    # http.response.start and returns, the test thread wakes up (its wait
    # returns: wait_until_finished, or wait_for_start with stream=True).
    marks = []
    current = {}
    orig_start = HTTPExchange.start
    orig_waits = {name: getattr(HTTPExchange, name) for name in ("wait_for_start", "wait_until_finished")}

    def stamp_callback():
        current["callback"] = perf_counter()

    def start(self):
        current.clear()
        current["spawn"] = perf_counter()
        # Runs on the loop just before the callback that starts the app's
        # task (both are queued in order, and run in the same iteration).
        self._loop.call_soon(stamp_callback)
        return orig_start(self)

    def waiting(name):
        orig = orig_waits[name]

        def wait(self):
            try:
                return orig(self)
            finally:
                if "woke" not in current:
                    current["woke"] = perf_counter()
                    marks.append(dict(current))

        return wait

    async def timed_app(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        current["app"] = perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                current["sent"] = perf_counter()
            return await send(message)

        try:
            return await app(scope, receive, timed_send)
        finally:
            current["app_end"] = perf_counter()

    # The app's task starts with the exchange's channel running it.
    orig_run = Channel._run

    async def run(self, body):
        current["run"] = perf_counter()
        return await orig_run(self, body)

    HTTPExchange.start, Channel._run = start, run
    for name in orig_waits:
        setattr(HTTPExchange, name, waiting(name))
    try:
        client = TestClient(timed_app)
        if use_with:
            client.__enter__()
        try:
            for _ in range(200):
                client.get("/small")
            phases.clear()
            marks.clear()
            start_time = perf_counter()
            for _ in range(n):
                client.get("/small")
            wall = (perf_counter() - start_time) / n
        finally:
            if use_with:
                client.__exit__(None, None, None)
            else:
                client.close()
    finally:
        HTTPExchange.start, Channel._run = orig_start, orig_run
        for name, orig in orig_waits.items():
            setattr(HTTPExchange, name, orig)
        phases.restore()

    print(f"instrumented: {wall * 1e6:.1f} µs/request (the timers themselves add a few µs)")
    print("inclusive time per request: the mean (whose parts add up), its share, and the")
    print("median of single calls (robust to a loaded machine's stalls)")
    print(f"{'phase':<58} {'mean µs':>8} {'%':>6} {'median':>7} {'calls/req':>9}")
    top = phases.total.get("client.get() total", wall * n)
    for label in phases.order:
        seconds = phases.total.get(label, 0.0)
        each = phases.each.get(label)
        median = f"{statistics.median(each) * 1e6:7.1f}" if each else f"{'-':>7}"
        print(
            f"{label:<58} {seconds / n * 1e6:8.1f} {100 * seconds / top:6.1f} {median}"
            f" {phases.calls.get(label, 0) / n:9.1f}"
        )
    if skipped:
        print("not instrumented (no longer there):", ", ".join(s.strip() for s in skipped))

    def med(a, b):
        values = [m[b] - m[a] for m in marks if a in m and b in m]
        return statistics.median(values) * 1e6 if values else float("nan")

    print()
    print("across the thread hop (medians, µs):")
    print(f"  start() called -> the loop runs its callbacks            {med('spawn', 'callback'):8.1f}")
    print(f"  the loop runs its callbacks -> the app's task begins      {med('callback', 'run'):8.1f}")
    print(f"  start() called -> the app's task begins on the loop      {med('spawn', 'run'):8.1f}")
    print(f"  run begins -> app called                                 {med('run', 'app'):8.1f}")
    print(f"  app called -> app sends http.response.start              {med('app', 'sent'):8.1f}")
    print(f"  app called -> app returns                                {med('app', 'app_end'):8.1f}")
    print(f"  app returns -> test thread wakes                         {med('app_end', 'woke'):8.1f}")
    print(f"  start() called -> test thread wakes (the whole wait)     {med('spawn', 'woke'):8.1f}")


# -- 3. cProfile of the test thread --------------------------------------------------


def _bucket(filename, funcname):
    path = filename.replace("\\", "/")
    if filename == "~":
        if "socket" in funcname:
            return "socket send (self-pipe wake-up of the loop; includes waiting for the GIL)"
        if "lock" in funcname:
            return "lock waits (waiting for the loop thread)"
        return "C builtins"
    for key, name in (
        ("/asgi_testclient/", "asgi_testclient"),
        ("/requests/", "requests"),
        ("/urllib3/", "urllib3"),
        ("/typing.py", "typing (runtime-checkable Protocol checks)"),
        ("/http/cookiejar.py", "http.cookiejar"),
        ("/http/client.py", "http.client / email (header message)"),
        ("/email/", "http.client / email (header message)"),
        ("/urllib/parse.py", "urllib.parse"),
        ("/threading.py", "threading"),
        ("_collections_abc", "collections.abc"),
        ("/anyio/", "anyio"),
        ("/asyncio/", "asyncio"),
        ("/benchmarks/", "the app"),
    ):
        if key in path:
            return name
    return "other stdlib"


def cprofile_test_thread(n, use_with):
    client = TestClient(app)
    if use_with:
        client.__enter__()
    try:
        per_request(client, 200)
        profile = cProfile.Profile()
        start = perf_counter()
        profile.enable()
        for _ in range(n):
            client.get("/small")
        profile.disable()
        wall = (perf_counter() - start) / n
    finally:
        if use_with:
            client.__exit__(None, None, None)
        else:
            client.close()
    stats = pstats.Stats(profile)
    buckets = collections.defaultdict(float)
    total = 0.0
    for (filename, _, funcname), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        buckets[_bucket(filename, funcname)] += tt
        total += tt
    print(f"under cProfile: {wall * 1e6:.0f} µs/request; own time by package (share of the test thread):")
    for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<78} {100 * seconds / total:5.1f}%  {seconds / n * 1e6:7.1f} µs")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
    print()
    print("top functions by own time:")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
        r"sessions.py.*(request|prepare_request|send|merge_environment_settings|merge_setting)|"
        r"_adapter.py.*send|_response.py.*build_response|typing.py.*__instancecheck__|utils.py.*to_key_val_list"
    )
    print()
    print("selected functions, cumulative:")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


# -- 4. yappi of the loop thread ------------------------------------------------------


def yappi_loop_thread(n, use_with):
    try:
        import yappi
    except ImportError:
        print("yappi is not installed (pip install yappi): skipped")
        return
    client = TestClient(app)
    if use_with:
        client.__enter__()
    try:
        per_request(client, 200)
        yappi.set_clock_type("cpu")
        yappi.clear_stats()
        yappi.start(builtins=True, profile_threads=True)
        start = perf_counter()
        for _ in range(n):
            client.get("/small")
        wall = (perf_counter() - start) / n
        yappi.stop()
        loop_thread = next(t for t in threading.enumerate() if t.name == "asgi_testclient-loop")
        threads = {t.tid: t for t in yappi.get_thread_stats()}
    finally:
        if use_with:
            client.__exit__(None, None, None)
        else:
            client.close()
    print(f"under yappi (CPU clock): {wall * 1e6:.0f} µs/request")
    for tid, t in threads.items():
        if tid == loop_thread.ident:
            which = "loop thread"
        else:
            which = "test thread" if tid == threading.main_thread().ident else t.name
        print(f"  {which:<12} CPU {t.ttot / n * 1e6:7.1f} µs/request")
    ctx = next((t.id for t in threads.values() if t.tid == loop_thread.ident), None)
    if ctx is None:
        return
    stats = yappi.get_func_stats(ctx_id=ctx)
    rows = sorted(stats, key=lambda s: -s.tsub)[:18]
    print("  loop thread, top functions by own CPU (µs/request, own / inclusive):")
    for s in rows:
        where = f"{Path(s.module).name}:{s.lineno}" if s.module else ""
        print(f"    {s.tsub / n * 1e6:7.1f} {s.ttot / n * 1e6:7.1f}  {s.name} {where}")
    yappi.clear_stats()


# -- 5. what-if measurements ------------------------------------------------------------


class _NullAdapter(requests.adapters.BaseAdapter):
    """Answers every request with a canned 17-byte response, no I/O: what
    requests costs by itself around a transport."""

    def send(self, request, **kwargs):
        from urllib3 import HTTPResponse

        raw = HTTPResponse(
            body=io.BytesIO(b'{"hello":"world"}'),
            headers={"content-type": "application/json", "content-length": "17"},
            status=200,
            preload_content=False,
            decode_content=False,
        )
        response = requests.Response()
        response.status_code = 200
        response.headers = requests.structures.CaseInsensitiveDict(raw.headers)
        response.raw = raw
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self):
        pass


class _Checks(type):
    """Instance checks by attribute lookup, as ``collections.abc`` does."""

    def __instancecheck__(cls, obj):
        return all(hasattr(type(obj), name) for name in cls._names)


def what_if(n, use_with):
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", _NullAdapter())
    session.headers["User-Agent"] = "testclient"
    null = best_of(lambda: per_request(session, n, "http://testserver/small"), 3)
    print(f"requests.Session with a do-nothing adapter:          {null * 1e6:7.1f} µs/request")

    def prepare_one():
        return session.prepare_request(requests.Request("GET", "http://testserver/small"))

    prepare = best_of(lambda: _time(prepare_one, n), 3)
    print(f"  of which Session.prepare_request alone:            {prepare * 1e6:7.1f} µs/request")

    client = TestClient(app)
    if use_with:
        client.__enter__()
    try:
        plain = best_of(lambda: per_request(client, n), 3)
        items, read = requests.utils._SupportsItems, requests.models._SupportsRead
        fast_items = _Checks("SupportsItems", (), {"_names": ("items",)})
        fast_read = _Checks("SupportsRead", (), {"_names": ("read",)})
        requests.utils._SupportsItems, requests.models._SupportsRead = fast_items, fast_read
        try:
            fast = best_of(lambda: per_request(client, n), 3)
            fast_null = best_of(lambda: per_request(session, n, "http://testserver/small"), 3)
        finally:
            requests.utils._SupportsItems, requests.models._SupportsRead = items, read
    finally:
        if use_with:
            client.__exit__(None, None, None)
        else:
            client.close()
    counter = collections.Counter()
    import typing

    orig = typing._ProtocolMeta.__instancecheck__

    def counting(cls, obj):
        counter[cls.__name__] += 1
        return orig(cls, obj)

    typing._ProtocolMeta.__instancecheck__ = counting
    try:
        client = TestClient(app)
        with client:
            for _ in range(100):
                client.get("/small")
    finally:
        typing._ProtocolMeta.__instancecheck__ = orig
    per = {name: count / 100 for name, count in counter.items()}
    print(f"asgi_testclient, as is:                              {plain * 1e6:7.1f} µs/request")
    print(
        f"asgi_testclient, Protocol checks by attribute lookup: {fast * 1e6:7.1f} µs/request"
        f"  ({(plain - fast) * 1e6:.1f} µs saved; do-nothing adapter: {fast_null * 1e6:.1f} µs)"
    )
    print("  runtime-checkable Protocol isinstance calls per request:", per)
    for proto, obj in ((items, {}), (items, None), (read, None), (read, b"")):
        each = _time(functools.partial(isinstance, obj, proto), 20000)
        print(f"  isinstance({obj!r}, {proto.__name__}): {each * 1e6:.2f} µs")
    print(f"thread hop floor (call_soon_threadsafe + Condition round trip): {hop_floor(n) * 1e6:.1f} µs")


def _time(fn, n):
    start = perf_counter()
    for _ in range(n):
        fn()
    return (perf_counter() - start) / n


def hop_floor(n):
    """One round trip test thread -> asyncio loop thread -> test thread,
    the way the client does it: call_soon_threadsafe there, a
    threading.Condition back."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    cond = threading.Condition(threading.Lock())
    state = {"done": False}

    def on_loop():
        with cond:
            state["done"] = True
            cond.notify_all()

    def once():
        with cond:
            state["done"] = False
        loop.call_soon_threadsafe(on_loop)
        with cond:
            while not state["done"]:
                cond.wait()

    try:
        for _ in range(200):
            once()
        return best_of(lambda: _time(once, n), 3)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement (default 3000)")
    parser.add_argument("--no-with", action="store_true", help="a client used without 'with' (W1 'no with')")
    parser.add_argument("--skip-yappi", action="store_true")
    args = parser.parse_args()
    n, use_with = args.requests, not args.no_with
    import platform

    print(f"asgi_testclient W1 profile: GET /small {'inside' if use_with else 'without'} 'with', {n} requests")
    print(f"python {platform.python_version()}, requests {requests.__version__}")
    print()
    print("== 1. plain")
    client = TestClient(app)
    if use_with:
        client.__enter__()
    try:
        plain = best_of(lambda: per_request(client, n), 3)
    finally:
        if use_with:
            client.__exit__(None, None, None)
        else:
            client.close()
    print(f"{plain * 1e6:.1f} µs/request (best of 3 runs of {n})")
    print()
    print("== 2. phases")
    phase_breakdown(n, use_with)
    print()
    print("== 3. cProfile, test thread")
    cprofile_test_thread(n, use_with)
    print()
    print("== 4. yappi, loop thread")
    if args.skip_yappi:
        print("skipped")
    else:
        yappi_loop_thread(n, use_with)
    print()
    print("== 5. what if")
    what_if(n, use_with)


if __name__ == "__main__":
    main()
