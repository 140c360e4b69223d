"""Soak: many requests and websocket sessions on one client, with flat memory,
threads, file descriptors and loop tasks; then threads sharing one client,
with every response going to the request that asked for it.

    python -m tests.reliability.soak            # 100 000 requests, 2 000 websocket sessions, 8 threads x 10 000
    python -m tests.reliability.soak --short    # 5 000, 200, 8 x 500 (what tests/reliability/test_soak.py runs)
    python -m tests.reliability.soak --backend trio

Memory is measured with tracemalloc over the traced iterations of each
phase (all of them in the full soak, the last 1 500 requests and 100
sessions in the short one: tracing makes each request four times slower).
Everything before them is warm-up (caches filled, the loop and its thread
running). When tracing starts, garbage is collected and a snapshot taken;
at each quarter and at the end, garbage is collected and the traced size
noted. What is still allocated at the end is what the run kept, and it
must stay under a small limit whatever the number of iterations: a leak of
one small object per request would pass it. The largest differences
between the snapshots are printed when it does not.

Exits with status 1 when any check fails.
"""

import argparse
import gc
import json
import sys
import threading
import time
import tracemalloc
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

import anyio

from asgi_testclient import TestClient, WebSocketDenialResponse, WebSocketDisconnect

from .resources import loop_tasks, open_fds

KIB = 1024

#: What a phase may keep over its traced iterations, in bytes (tracemalloc):
#: small, and the same whatever the number of iterations.
MEMORY_LIMIT = 64 * KIB

FULL = {
    "requests": 100_000,
    "websockets": 2_000,
    "threads": 8,
    "per_thread": 10_000,
    "traced_requests": 100_000,
    "traced_websockets": 2_000,
}
SHORT = {
    "requests": 5_000,
    "websockets": 200,
    "threads": 8,
    "per_thread": 500,
    "traced_requests": 1_500,
    "traced_websockets": 100,
}

BACKENDS: Dict[str, Tuple[str, Dict[str, Any]]] = {
    "asyncio": ("asyncio", {}),
    "trio": ("trio", {}),
    "uvloop": ("asyncio", {"use_uvloop": True}),
}


class AppError(Exception):
    pass


# -- the app ------------------------------------------------------------------------------


async def _read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def soak_app(scope: Any, receive: Any, send: Any) -> None:
    """Lifespan with state; HTTP routes for every path a request can take;
    a websocket echo that sometimes closes first or denies the handshake."""
    kind = scope["type"]
    if kind == "lifespan":
        await receive()
        scope["state"]["served"] = [0]
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if kind == "websocket":
        await _websocket(scope, receive, send)
        return
    path = scope["path"]
    scope["state"]["served"][0] += 1
    headers = dict(scope["headers"])
    if path == "/fail":
        raise AppError("failing on purpose")
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(4):
            await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    body = await _read_body(receive)
    if path.startswith("/echo/"):
        await anyio.sleep(0)  # let other requests interleave
        request_id = path[len("/echo/"):].encode()
        header_id = headers.get(b"x-request-id", b"").decode()
        answer = json.dumps({"path_id": request_id.decode(), "header_id": header_id, "body": body.decode()}).encode()
        out = [
            (b"content-type", b"application/json"),
            (b"x-request-id", request_id),
            (b"set-cookie", b"seen=1; Path=/"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": answer})
        return
    status = 404 if path == "/missing" else 200
    length = str(len(body)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", length)]})
    await send({"type": "http.response.body", "body": body})


async def _websocket(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    mode = scope["query_string"].decode()
    if mode == "deny":
        await send({"type": "websocket.http.response.start", "status": 403, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"no"})
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message["text"]})
        if mode == "close-first" and message["text"] == "last":
            await send({"type": "websocket.close", "code": 1001, "reason": "going away"})
            return


# -- one iteration of each phase ----------------------------------------------------------


def http_iteration(client: TestClient, number: int) -> None:
    """One request of the mix; raises AssertionError if the answer is wrong."""
    kind = number % 10
    if kind <= 5:
        request_id = f"r{number}"
        response = client.get(f"/echo/{request_id}", headers={"X-Request-Id": request_id})
        assert response.json() == {"path_id": request_id, "header_id": request_id, "body": ""}, response.text
    elif kind == 6:
        payload = bytes([number % 256]) * (4 * KIB)
        response = client.post("/upload", data=payload)
        assert response.content == payload
    elif kind == 7:
        with client.get("/stream", stream=True) as response:
            assert len(next(response.iter_content(1024))) == 1024
    elif kind == 8:
        try:
            client.get("/fail")
        except AppError:
            pass
        else:
            raise AssertionError("the app's exception was not raised")
    else:
        assert client.get("/missing").status_code == 404
        assert client.head("/plain").content == b""


def websocket_iteration(client: TestClient, number: int) -> None:
    kind = number % 10
    if kind == 8:
        try:
            with client.websocket_connect("/ws?deny"):
                raise AssertionError("the handshake was not denied")
        except WebSocketDenialResponse as denial:
            assert denial.response.status_code == 403
        return
    mode = "close-first" if kind == 9 else "echo"
    with client.websocket_connect(f"/ws?{mode}") as ws:
        for index in range(3):
            text = f"{number}-{index}"
            ws.send_text(text)
            assert ws.receive_text() == text
        if mode == "close-first":
            ws.send_text("last")
            assert ws.receive_text() == "last"
            try:
                ws.receive_text()
            except WebSocketDisconnect as exc:
                assert exc.code == 1001
            else:
                raise AssertionError("the app's close was not seen")


# -- measuring ------------------------------------------------------------------------------


def _traced() -> int:
    """The traced size once garbage and CPython's attribute cache are cleared.

    The type attribute cache keeps a reference to the name of each of its
    4 096 most recent lookups (up to Python 3.11), and
    ``http.cookiejar`` looks attributes up by names it builds per call
    (``"return_ok_" + n``): left alone, that cache fills with some 200 KiB
    of strings that are no leak. ``urllib.parse`` keeps the last 128 URLs
    it split (every request here has its own URL): cleared too.
    """
    gc.collect()
    clear_type_cache = getattr(sys, "_clear_type_cache", None)
    if clear_type_cache is not None:
        clear_type_cache()
    urllib.parse.clear_cache()
    return tracemalloc.get_traced_memory()[0]


def _top_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, limit: int = 8) -> List[str]:
    stats = after.compare_to(before, "lineno")
    return [str(stat) for stat in stats[:limit] if stat.size_diff > 0]


def measured_phase(
    name: str,
    client: TestClient,
    iteration: Callable[[TestClient, int], None],
    count: int,
    traced: int,
    log: Callable[[str], None],
) -> Dict[str, Any]:
    """Warm up, then run ``count`` iterations, the last ``traced`` of them
    under tracemalloc; report memory, threads, fds and loop tasks."""
    traced = min(traced, count)
    warmup = max(200, count // 10) if count else 0
    for number in range(warmup):
        iteration(client, number)
    threads_before, fds_before = threading.active_count(), open_fds()
    tasks_before = client.run(loop_tasks)
    threads_max = threads_before
    started = time.perf_counter()
    was_tracing = tracemalloc.is_tracing()
    samples: List[int] = []
    snapshot_before: Optional[tracemalloc.Snapshot] = None
    memory_before = 0
    first_traced = warmup + count - traced
    for number in range(warmup, warmup + count):
        if number == first_traced:
            # Everything before is warm-up as far as memory goes.
            if not was_tracing:
                tracemalloc.start()
            # The snapshot first: it stays alive to the end, and must not
            # count as growth.
            snapshot_before = tracemalloc.take_snapshot()
            memory_before = _traced()
        iteration(client, number)
        if number % 500 == 0:
            threads_max = max(threads_max, threading.active_count())
        if number >= first_traced and (number - first_traced + 1) % max(1, traced // 4) == 0:
            samples.append(_traced() - memory_before)
    elapsed = time.perf_counter() - started
    growth = _traced() - memory_before if traced else 0
    problems: List[str] = []
    if growth > MEMORY_LIMIT:
        problems.append(
            f"{name}: memory grew by {growth / KIB:.1f} KiB over {traced} traced iterations"
            f" (limit {MEMORY_LIMIT / KIB:.0f} KiB); samples {[round(s / KIB, 1) for s in samples]} KiB"
        )
        assert snapshot_before is not None
        problems.extend("    " + line for line in _top_growth(snapshot_before, tracemalloc.take_snapshot()))
    if traced and not was_tracing:
        tracemalloc.stop()
    report: Dict[str, Any] = {
        "phase": name,
        "iterations": count,
        "traced": traced,
        "warmup": warmup,
        "seconds": round(elapsed, 2),
        "memory_growth_bytes": growth,
        "memory_samples_bytes": samples,
        "memory_limit_bytes": MEMORY_LIMIT,
        "threads": [threads_before, threading.active_count()],
        "threads_max": threads_max,
        "fds": None if fds_before is None else [len(fds_before), len(open_fds() or [])],
        "tasks": [len(tasks_before), len(client.run(loop_tasks))],
        "problems": problems,
    }
    if report["threads"][0] != report["threads"][1] or threads_max != threads_before:
        problems.append(f"{name}: thread count moved: {report['threads']} (max {threads_max})")
    if report["fds"] is not None and report["fds"][0] != report["fds"][1]:
        problems.append(f"{name}: open file descriptors moved: {report['fds']}")
    if report["tasks"][0] != report["tasks"][1]:
        problems.append(f"{name}: loop tasks moved: {report['tasks']}")
    log(
        f"{name}: {count} in {elapsed:.1f} s after {warmup} warm-up; memory over the last {traced}"
        f" (tracemalloc): {growth / KIB:+.1f} KiB, at each quarter {[round(s / KIB, 1) for s in samples]} KiB"
        f" (limit {MEMORY_LIMIT / KIB:.0f} KiB); threads {report['threads'][0]} -> {report['threads'][1]}"
        f" (max {threads_max}); fds {report['fds']}; loop tasks {report['tasks']}"
    )
    return report


def threaded_phase(client: TestClient, threads: int, per_thread: int, log: Callable[[str], None]) -> Dict[str, Any]:
    """``threads`` threads share ``client``, each sending ``per_thread``
    requests that carry a unique id; the app echoes it in the body and a
    header, and every answer is checked against its own request."""
    wrong: List[str] = []
    errors: List[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)
    threads_before = threading.active_count()

    def work(worker: int) -> None:
        barrier.wait(timeout=30)
        for number in range(per_thread):
            request_id = f"t{worker}-{number}"
            try:
                if number % 2:
                    response = client.post(f"/echo/{request_id}", data=request_id, headers={"X-Request-Id": request_id})
                    expected_body = request_id
                else:
                    response = client.get(f"/echo/{request_id}", headers={"X-Request-Id": request_id})
                    expected_body = ""
                answer = response.json()
                ok = answer == {"path_id": request_id, "header_id": request_id, "body": expected_body} and (
                    response.headers["x-request-id"] == request_id
                )
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{request_id}: {exc!r}")
                continue
            if not ok:
                with lock:
                    wrong.append(f"{request_id} got {answer!r}")

    workers = [threading.Thread(target=work, args=(worker,), name=f"soak-{worker}") for worker in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    threads_max = threading.active_count()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    total = threads * per_thread
    report = {
        "phase": "threads",
        "iterations": total,
        "seconds": round(elapsed, 2),
        "per_second": round(total / elapsed),
        "wrong_responses": len(wrong),
        "errors": len(errors),
        "threads": [threads_before, threading.active_count()],
        "threads_max": threads_max,
        "problems": [],
    }
    if wrong:
        report["problems"].append(f"threads: {len(wrong)} responses went to the wrong request, e.g. {wrong[:3]}")
    if errors:
        report["problems"].append(f"threads: {len(errors)} requests failed, e.g. {errors[:3]}")
    if report["threads"][0] != report["threads"][1]:
        report["problems"].append(f"threads: thread count moved: {report['threads']}")
    log(
        f"threads: {threads} x {per_thread} = {total} in {elapsed:.1f} s ({report['per_second']}/s);"
        f" {len(wrong)} wrong responses, {len(errors)} errors;"
        f" threads {report['threads'][0]} -> {report['threads'][1]} (max {threads_max}, {threads} of them the workers)"
    )
    return report


# -- the whole soak -------------------------------------------------------------------------


def soak(
    requests: int = FULL["requests"],
    websockets: int = FULL["websockets"],
    threads: int = FULL["threads"],
    per_thread: int = FULL["per_thread"],
    traced_requests: int = FULL["traced_requests"],
    traced_websockets: int = FULL["traced_websockets"],
    backend: str = "asyncio",
    log: Callable[[str], None] = print,
) -> Dict[str, Any]:
    """Run the soak; return a report whose ``problems`` list is empty when
    every check passed."""
    loop_backend, backend_options = BACKENDS[backend]
    # One throwaway run first: libuv (under uvloop) opens a pipe pair the
    # first time a loop is made in a process and keeps it for the process's
    # life, which is no client's leak.
    with TestClient(soak_app, backend=loop_backend, backend_options=backend_options, timeout=30) as warm:
        warm.get("/missing")
    threads_at_start, fds_at_start = threading.active_count(), open_fds(collect=True)
    log(
        f"soak: backend={backend}, {requests} requests (the last {min(traced_requests, requests)} traced),"
        f" {websockets} websocket sessions (the last {min(traced_websockets, websockets)} traced),"
        f" {threads} threads x {per_thread} requests; Python {sys.version.split()[0]}"
    )
    phases: List[Dict[str, Any]] = []
    client = TestClient(soak_app, backend=loop_backend, backend_options=backend_options, timeout=30)
    try:
        with client:
            phases.append(measured_phase("http", client, http_iteration, requests, traced_requests, log))
            phases.append(
                measured_phase("websockets", client, websocket_iteration, websockets, traced_websockets, log)
            )
            phases.append(threaded_phase(client, threads, per_thread, log))
            served = client.adapter.state["served"][0]
    finally:
        client.close()
    problems = [problem for phase in phases for problem in phase["problems"]]
    threads_at_end, fds_at_end = threading.active_count(), open_fds(collect=True)
    if threads_at_end != threads_at_start:
        problems.append(f"after close: {threads_at_end} threads, {threads_at_start} before the client")
    if fds_at_start is not None and fds_at_end != fds_at_start:
        problems.append(f"after close: {len(fds_at_end or [])} file descriptors open, {len(fds_at_start)} before")
    log(
        f"after close: threads {threads_at_start} -> {threads_at_end};"
        f" fds {None if fds_at_start is None else [len(fds_at_start), len(fds_at_end or [])]};"
        f" the app served {served} HTTP requests"
    )
    log("result: " + ("OK" if not problems else "FAILED\n" + "\n".join(problems)))
    return {"backend": backend, "phases": phases, "problems": problems, "served": served}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the shortened form: 5 000, 200, 8 x 500")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="asyncio")
    parser.add_argument("--requests", type=int, help="HTTP requests on one client")
    parser.add_argument("--websockets", type=int, help="websocket sessions on one client")
    parser.add_argument("--threads", type=int, help="threads sharing the client")
    parser.add_argument("--per-thread", type=int, help="requests per thread")
    parser.add_argument("--traced-requests", type=int, help="how many of the last requests to trace")
    parser.add_argument("--traced-websockets", type=int, help="how many of the last sessions to trace")
    parser.add_argument("--json", action="store_true", help="print the report as JSON at the end")
    args = parser.parse_args(argv)
    sizes = dict(SHORT if args.short else FULL)
    for key in sizes:
        value = getattr(args, key)
        if value is not None:
            sizes[key] = value
    report = soak(backend=args.backend, **sizes)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if not report["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
