"""Every contender doing every workload, the same way as far as its API allows.

Each contender is a class with one method per workload. A method gets the
workload parameters (``p``, a dict made by ``run.py``) and returns a dict
of measurements; it raises :class:`NotSupported` for a workload the
contender cannot do. Everything outside the method (memory, process CPU
time, errors) is measured and reported by ``worker.py``.

Conventions shared by all contenders:

* Request loops (W1, W2) run a warm-up, then as many requests as fit in
  ``p["duration"]`` seconds; the result is seconds per request.
* Transfers (W3, W4) run ``p["reps"]`` times; the fastest repetition counts
  (the other rounds give the spread).
* "with" means inside the client's context manager, which for the
  test clients runs the app's lifespan (``httpx.AsyncClient`` has no
  lifespan: its ``async with`` only opens and closes the client).
* Async contenders run each workload inside one ``asyncio.run()``; timing
  starts inside the coroutine, as it would in an async test.
"""

import asyncio
import json
import os
import statistics
import time

import benchapp
from benchapp import app

perf_counter = time.perf_counter


class NotSupported(Exception):
    """The contender has no way to do this workload."""


def _payload():
    items = []
    i = 0
    while len(json.dumps({"items": items}, separators=(",", ":"))) < 10 * 1024:
        items.append({"id": i, "name": f"item-{i:04d}", "tags": ["alpha", "beta"], "price": i * 1.25})
        i += 1
    return {"items": items}


#: The W2 request body: a JSON document of just over 10 KiB written
#: compact, as httpx sends it (requests' ``json.dumps`` adds spaces: 11.6 KiB).
PAYLOAD = _payload()
PAYLOAD_LENGTH = len(json.dumps(PAYLOAD, separators=(",", ":")).encode())


def _check_json_length(r):
    _check(r.json()["length"] >= PAYLOAD_LENGTH, f"POST /json gave {r.text[:80]!r}")


SMALL_BODY = b'{"hello":"world"}'
WS_MESSAGE = "hello, websocket"


def _check(ok, what):
    if not ok:
        raise AssertionError(what)


def _loop(fn, p):
    """Run ``fn`` ``p["warmup"]`` times, then for ``p["duration"]`` seconds."""
    for _ in range(p["warmup"]):
        fn()
    duration = p["duration"]
    n = 0
    start = perf_counter()
    while True:
        fn()
        n += 1
        elapsed = perf_counter() - start
        if elapsed >= duration:
            return {"per_op": elapsed / n, "ops": n}


async def _aloop(fn, p):
    for _ in range(p["warmup"]):
        await fn()
    duration = p["duration"]
    n = 0
    start = perf_counter()
    while True:
        await fn()
        n += 1
        elapsed = perf_counter() - start
        if elapsed >= duration:
            return {"per_op": elapsed / n, "ops": n}


def _transfer_result(times, size):
    best = min(times)
    return {"seconds": best, "mib_s": size / best / 2**20, "all_seconds": times}


def _ttfb_result(latencies):
    return {"latency": statistics.median(latencies), "all_latency": latencies}


def _ws_result(n, wall, cpu):
    return {"msgs_s": n / wall, "cpu_per_msg": cpu / n, "wall": wall, "cpu": cpu, "messages": n}


async def _file_chunks(path, size=64 * 1024):
    """The file at ``path`` as an async generator of chunks (read with
    plain blocking reads, as a test would)."""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(size)
            if not chunk:
                return
            yield chunk


def _timed_ms(fn):
    start = perf_counter()
    fn()
    return {"seconds": perf_counter() - start}


# -- requests-based clients ----------------------------------------------------


class _RequestsStyle:
    """A ``requests.Session`` subclass run in-process (asgi_testclient and
    the starlette-testclient backport share this API)."""

    name = ""
    module = ""
    entry = ""

    def client(self):
        raise NotImplementedError

    def _small(self, c):
        return c.get("/small")

    def _check_small(self, c):
        r = self._small(c)
        _check(r.status_code == 200 and r.content == SMALL_BODY, f"GET /small gave {r.status_code} {r.content[:80]!r}")

    def w1_with(self, p):
        with self.client() as c:
            self._check_small(c)
            return _loop(lambda: self._small(c), p)

    def w1_without(self, p):
        c = self.client()
        try:
            self._check_small(c)
            return _loop(lambda: self._small(c), p)
        finally:
            self._close(c)

    def _close(self, c):
        try:
            c.close()
        except Exception:  # noqa: BLE001 - starlette-testclient's adapter cannot close
            pass

    def w2(self, p):
        with self.client() as c:
            r = c.post("/json", json=PAYLOAD)
            _check_json_length(r)
            return _loop(lambda: c.post("/json", json=PAYLOAD), p)

    def _upload(self, c, f):
        return c.post("/upload", files={"file": ("upload.bin", f, "application/octet-stream")})

    def _upload_raw(self, c, f):
        return c.post("/upload", data=f, headers={"content-type": "application/octet-stream"})

    def _uploads(self, p, upload):
        times = []
        size = p["upload_size"]
        with self.client() as c:
            for _ in range(p["reps"]):
                with open(p["upload_path"], "rb") as f:
                    start = perf_counter()
                    r = upload(c, f)
                    length = r.json()["length"]
                    times.append(perf_counter() - start)
                _check(length >= size, f"app read {length} bytes of {size}")
                del r
        return _transfer_result(times, size)

    def w3(self, p):
        return self._uploads(p, self._upload)

    def w3s(self, p):
        return self._uploads(p, self._upload_raw)

    def _download(self, c, url, chunk_size):
        r = c.get(url, stream=True)
        n = 0
        for chunk in r.iter_content(chunk_size):
            n += len(chunk)
        r.close()
        return n

    def w4(self, p):
        size = p["download_size"]
        times = []
        with self.client() as c:
            for _ in range(p["reps"]):
                start = perf_counter()
                n = self._download(c, f"/download?size={size}", 65536)
                times.append(perf_counter() - start)
                _check(n == size, f"read {n} bytes of {size}")
        return _transfer_result(times, size)

    def file_client(self, path, pathsend):
        """A client of an app that answers every request with Starlette's
        ``FileResponse(path)``, offering the pathsend extension or not."""
        raise NotSupported("no way to offer ASGI extensions")

    def _file_download(self, p, pathsend):
        path = p["file_path"]
        size = os.path.getsize(path)
        times = []
        c = self.file_client(path, pathsend)
        try:
            for _ in range(p["reps"]):
                start = perf_counter()
                n = self._download(c, "/file", 65536)
                times.append(perf_counter() - start)
                _check(n == size, f"read {n} bytes of {size}")
        finally:
            self._close(c)
        return _transfer_result(times, size)

    def w4f(self, p):
        return self._file_download(p, pathsend=False)

    def w4p(self, p):
        return self._file_download(p, pathsend=True)

    def _first_byte(self, c):
        """Time the first chunk of ``/ttfb`` became readable; then read the rest."""
        r = c.get("/ttfb", stream=True)
        chunks = r.iter_content(65536)
        first = next(chunks)
        got = perf_counter()
        rest = b"".join(chunks)
        r.close()
        _check((first + rest).startswith(b"first"), f"GET /ttfb gave {first!r} {rest!r}")
        return got

    def w4t(self, p):
        latencies = []
        with self.client() as c:
            for _ in range(p["ttfb_iters"]):
                got = self._first_byte(c)
                latencies.append(got - benchapp.TTFB_SENT[0])
        return _ttfb_result(latencies)

    def w5(self, p):
        n = p["ws_messages"]
        with self.client() as c:
            with c.websocket_connect("/ws") as ws:
                for _ in range(min(50, n)):
                    ws.send_text(WS_MESSAGE)
                    _check(ws.receive_text() == WS_MESSAGE, "websocket echo differs")
                cpu0, start = time.process_time(), perf_counter()
                for _ in range(n):
                    ws.send_text(WS_MESSAGE)
                    ws.receive_text()
                wall, cpu = perf_counter() - start, time.process_time() - cpu0
        return _ws_result(n, wall, cpu)

    def w6_first(self, p):
        start = perf_counter()
        c = self.client()
        r = self._small(c)
        body = r.content
        seconds = perf_counter() - start
        _check(body == SMALL_BODY, f"GET /small gave {body[:80]!r}")
        self._close(c)
        return {"seconds": seconds}

    def w6_lifespan(self, p):
        c = self.client()

        def enter_exit():
            with c:
                pass

        return _timed_ms(enter_exit)


class AsgiTestclient(_RequestsStyle):
    name = "asgi_testclient"
    module = "asgi_testclient"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "TestClient"
    dists = ("requests-asgi-testclient", "requests", "urllib3", "anyio")

    def client(self):
        from asgi_testclient import TestClient

        return TestClient(app)

    def file_client(self, path, pathsend):
        from asgi_testclient import TestClient

        return TestClient(_file_app(path), extensions=["http.response.pathsend"] if pathsend else None)


def _file_app(path):
    """Starlette's ``FileResponse(path)`` for every HTTP request."""
    from starlette.responses import FileResponse

    async def file_app(scope, receive, send):
        if scope["type"] == "http":
            await FileResponse(path)(scope, receive, send)

    return file_app


class StarletteTestclientBackport(_RequestsStyle):
    name = "starlette-testclient"
    module = "starlette_testclient"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "TestClient"
    dists = ("starlette-testclient", "starlette", "requests", "urllib3", "anyio")

    def client(self):
        from starlette_testclient import TestClient

        return TestClient(app)

    def w3s(self, p):
        raise NotSupported("its adapter hands a file object to the app as the body itself")


class AsgiTestclient2022(AsgiTestclient):
    """asgi_testclient in the legacy environment: what a legacy suite gets
    when it swaps the client and keeps its 2022 pins."""

    name = "asgi_testclient (2022 pins)"
    env = "legacy"


# -- the old client as legacy suites run it ------------------------------------------


class StarletteLegacy(_RequestsStyle):
    """Starlette 0.20.4's own requests-based TestClient, in the legacy
    environment (anyio 3.7, trio 0.21, requests 2.28, urllib3 1.26)."""

    name = "starlette 0.20.4"
    module = "starlette.testclient"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "TestClient"
    env = "legacy"
    dists = ("starlette", "requests", "urllib3", "anyio", "trio")

    def info(self):
        import starlette

        if not starlette.__version__.startswith("0.20."):
            raise ImportError(f"starlette {starlette.__version__} is not the old client (0.20.x)")
        return {}

    def client(self):
        from starlette.testclient import TestClient

        return TestClient(app)

    def w3s(self, p):
        raise NotSupported("its adapter hands a file object to the app as the body itself")


# -- the floor: requests plus one bare thread hop ------------------------------------


class Floor(_RequestsStyle):
    """``floor.FloorSession``: requests, one bare round trip to a loop
    thread and a canned response; the least a requests-based client with
    an event-loop thread can cost per request."""

    name = "floor (requests + bare hop)"
    module = "floor"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "FloorSession"
    dists = ("requests", "urllib3")
    #: The only workloads it stands for; the others are not measured.
    only = ("w1_with", "w1_without", "w2")

    def client(self):
        from floor import FloorSession

        return FloorSession()


# -- Starlette's own TestClient (httpx / httpx2) ---------------------------------


class StarletteTestClient(_RequestsStyle):
    name = "starlette.testclient"
    module = "starlette.testclient"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "TestClient"
    dists = ("starlette", "httpx2", "httpx", "anyio")

    def info(self):
        import starlette.testclient

        # Starlette 1.x prefers httpx2 and falls back to httpx.
        return {"http_client": starlette.testclient.httpx.__name__}

    def client(self):
        from starlette.testclient import TestClient

        return TestClient(app)

    def _upload_raw(self, c, f):
        return c.post("/upload", content=f, headers={"content-type": "application/octet-stream"})

    def _download(self, c, url, chunk_size):
        n = 0
        with c.stream("GET", url) as r:
            for chunk in r.iter_bytes(chunk_size):
                n += len(chunk)
        return n

    def _first_byte(self, c):
        with c.stream("GET", "/ttfb") as r:
            # iter_bytes() without a size yields each chunk as it comes;
            # with one it would wait to fill the size.
            chunks = r.iter_bytes()
            first = next(chunks)
            got = perf_counter()
            rest = b"".join(chunks)
        _check((first + rest).startswith(b"first"), f"GET /ttfb gave {first!r} {rest!r}")
        return got


# -- async clients ---------------------------------------------------------------


class HttpxAsyncClient:
    name = "httpx.AsyncClient"
    module = "httpx"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "ASGITransport"
    dists = ("httpx", "httpcore")

    def client(self):
        import httpx

        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async def _check_small(self, c):
        r = await c.get("/small")
        _check(r.status_code == 200 and r.content == SMALL_BODY, f"GET /small gave {r.status_code} {r.content[:80]!r}")

    def w1_with(self, p):
        async def main():
            async with self.client() as c:
                await self._check_small(c)
                return await _aloop(lambda: c.get("/small"), p)

        return asyncio.run(main())

    def w1_without(self, p):
        async def main():
            c = self.client()
            await self._check_small(c)
            return await _aloop(lambda: c.get("/small"), p)

        return asyncio.run(main())

    def w2(self, p):
        async def main():
            async with self.client() as c:
                r = await c.post("/json", json=PAYLOAD)
                _check_json_length(r)
                return await _aloop(lambda: c.post("/json", json=PAYLOAD), p)

        return asyncio.run(main())

    async def _upload(self, c, p):
        with open(p["upload_path"], "rb") as f:
            return await c.post("/upload", files={"file": ("upload.bin", f, "application/octet-stream")})

    async def _upload_raw(self, c, p):
        return await c.post(
            "/upload", content=_file_chunks(p["upload_path"]), headers={"content-type": "application/octet-stream"}
        )

    def _uploads(self, p, upload):
        size = p["upload_size"]

        async def main():
            times = []
            async with self.client() as c:
                for _ in range(p["reps"]):
                    start = perf_counter()
                    r = await upload(c, p)
                    length = r.json()["length"]
                    times.append(perf_counter() - start)
                    _check(length >= size, f"app read {length} bytes of {size}")
                    del r
            return times

        return _transfer_result(asyncio.run(main()), size)

    def w3(self, p):
        return self._uploads(p, self._upload)

    def w3s(self, p):
        return self._uploads(p, self._upload_raw)

    async def _download(self, c, url):
        n = 0
        async with c.stream("GET", url) as r:
            async for chunk in r.aiter_bytes(65536):
                n += len(chunk)
        return n

    def w4(self, p):
        size = p["download_size"]

        async def main():
            times = []
            async with self.client() as c:
                for _ in range(p["reps"]):
                    start = perf_counter()
                    n = await self._download(c, f"/download?size={size}")
                    times.append(perf_counter() - start)
                    _check(n == size, f"read {n} bytes of {size}")
            return times

        return _transfer_result(asyncio.run(main()), size)

    async def _first_byte(self, c):
        async with c.stream("GET", "/ttfb") as r:
            chunks = r.aiter_bytes()
            first = await chunks.__anext__()
            got = perf_counter()
            rest = b"".join([chunk async for chunk in chunks])
        _check((first + rest).startswith(b"first"), f"GET /ttfb gave {first!r} {rest!r}")
        return got

    def w4t(self, p):
        async def main():
            latencies = []
            async with self.client() as c:
                for _ in range(p["ttfb_iters"]):
                    got = await self._first_byte(c)
                    latencies.append(got - benchapp.TTFB_SENT[0])
            return latencies

        return _ttfb_result(asyncio.run(main()))

    def w5(self, p):
        raise NotSupported("httpx.ASGITransport has no websocket support")

    def w6_first(self, p):
        async def main():
            start = perf_counter()
            c = self.client()
            r = await c.get("/small")
            body = r.content
            seconds = perf_counter() - start
            _check(body == SMALL_BODY, f"GET /small gave {body[:80]!r}")
            await c.aclose()
            return {"seconds": seconds}

        return asyncio.run(main())

    def w6_lifespan(self, p):
        raise NotSupported("httpx.ASGITransport does not run the lifespan")


class AsyncAsgiTestclient(HttpxAsyncClient):
    name = "async-asgi-testclient"
    module = "async_asgi_testclient"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "TestClient"
    dists = ("async-asgi-testclient", "requests", "multidict")

    def client(self):
        from async_asgi_testclient import TestClient

        return TestClient(app)

    async def _upload_raw(self, c, p):
        return await c.post(
            "/upload", data=_file_chunks(p["upload_path"]), headers={"content-type": "application/octet-stream"}
        )

    async def _download(self, c, url):
        r = await c.get(url, stream=True)
        n = 0
        async for chunk in r.iter_content(65536):
            n += len(chunk)
        return n

    async def _first_byte(self, c):
        # With stream=True the client returns once the first body message
        # has arrived (it is in r.raw).
        r = await c.get("/ttfb", stream=True)
        got = perf_counter()
        body = b"".join([chunk async for chunk in r.iter_content(65536)])
        _check(body.startswith(b"first"), f"GET /ttfb gave {body!r}")
        return got

    def w5(self, p):
        n = p["ws_messages"]

        async def main():
            async with self.client() as c:
                async with c.websocket_connect("/ws") as ws:
                    for _ in range(min(50, n)):
                        await ws.send_text(WS_MESSAGE)
                        _check(await ws.receive_text() == WS_MESSAGE, "websocket echo differs")
                    cpu0, start = time.process_time(), perf_counter()
                    for _ in range(n):
                        await ws.send_text(WS_MESSAGE)
                        await ws.receive_text()
                    return perf_counter() - start, time.process_time() - cpu0

        wall, cpu = asyncio.run(main())
        return _ws_result(n, wall, cpu)

    def w6_first(self, p):
        async def main():
            start = perf_counter()
            c = self.client()
            r = await c.get("/small")
            body = r.content
            seconds = perf_counter() - start
            _check(body == SMALL_BODY, f"GET /small gave {body[:80]!r}")
            return {"seconds": seconds}

        return asyncio.run(main())

    def w6_lifespan(self, p):
        async def main():
            c = self.client()
            start = perf_counter()
            async with c:
                pass
            return {"seconds": perf_counter() - start}

        return asyncio.run(main())


# -- the lower limit: await app(scope, receive, send) ------------------------------


def _http_scope(method, path, query=b"", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


async def _direct(method, path, body=b"", query=b"", headers=(), on_body=None):
    """One request straight into the app; ``body`` is bytes or an async
    iterator of chunks. Returns (status, body bytes)."""
    scope = _http_scope(method, path, query, headers)
    if isinstance(body, bytes):
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive():
            return next(messages, {"type": "http.disconnect"})

    else:
        chunks = body.__aiter__()
        done = False

        async def receive():
            nonlocal done
            if done:
                return {"type": "http.disconnect"}
            try:
                return {"type": "http.request", "body": await chunks.__anext__(), "more_body": True}
            except StopAsyncIteration:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}

    status = None
    parts = []

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            if on_body is not None:
                on_body(message.get("body", b""))
            else:
                parts.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(parts)


class _Lifespan:
    """The lifespan protocol run by hand around a block."""

    async def __aenter__(self):
        self.to_app, self.from_app = asyncio.Queue(), asyncio.Queue()
        self.task = asyncio.ensure_future(
            app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, self.to_app.get, self.from_app.put)
        )
        await self.to_app.put({"type": "lifespan.startup"})
        message = await self.from_app.get()
        _check(message["type"] == "lifespan.startup.complete", f"lifespan startup: {message}")
        return self

    async def __aexit__(self, *exc_info):
        await self.to_app.put({"type": "lifespan.shutdown"})
        message = await self.from_app.get()
        _check(message["type"] == "lifespan.shutdown.complete", f"lifespan shutdown: {message}")
        await self.task


class DirectASGI:
    name = "direct ASGI"
    module = "asyncio"
    #: What a test imports: W6 times ``from module import entry``.
    entry = "run"
    dists = ()

    @staticmethod
    async def _small():
        return await _direct("GET", "/small")

    async def _check_small(self):
        status, body = await self._small()
        _check(status == 200 and body == SMALL_BODY, f"GET /small gave {status} {body[:80]!r}")

    def w1_with(self, p):
        async def main():
            async with _Lifespan():
                await self._check_small()
                return await _aloop(self._small, p)

        return asyncio.run(main())

    def w1_without(self, p):
        async def main():
            await self._check_small()
            return await _aloop(self._small, p)

        return asyncio.run(main())

    def w2(self, p):
        headers = [(b"content-type", b"application/json")]

        async def post():
            body = json.dumps(PAYLOAD).encode()
            return await _direct("POST", "/json", body, headers=[*headers, (b"content-length", b"%d" % len(body))])

        async def main():
            _, body = await post()
            _check(json.loads(body)["length"] >= PAYLOAD_LENGTH, f"POST /json gave {body[:80]!r}")
            return await _aloop(post, p)

        return asyncio.run(main())

    def w3(self, p):
        # No multipart encoding: the file's bytes go to the app in 64 KiB
        # messages, the least any client has to do.
        size = p["upload_size"]

        async def main():
            times = []
            for _ in range(p["reps"]):
                start = perf_counter()
                _, body = await _direct("POST", "/upload", _file_chunks(p["upload_path"]))
                length = json.loads(body)["length"]
                times.append(perf_counter() - start)
                _check(length >= size, f"app read {length} bytes of {size}")
            return times

        return _transfer_result(asyncio.run(main()), size)

    w3s = w3

    def w4(self, p):
        size = p["download_size"]

        async def main():
            times = []
            for _ in range(p["reps"]):
                n = 0

                def on_body(chunk):
                    nonlocal n
                    n += len(chunk)

                start = perf_counter()
                await _direct("GET", "/download", query=b"size=%d" % size, on_body=on_body)
                times.append(perf_counter() - start)
                _check(n == size, f"read {n} bytes of {size}")
            return times

        return _transfer_result(asyncio.run(main()), size)

    def w4t(self, p):
        async def main():
            latencies = []
            got = []

            def on_body(chunk):
                if chunk and len(got) == len(latencies):
                    got.append(perf_counter())

            for _ in range(p["ttfb_iters"]):
                await _direct("GET", "/ttfb", on_body=on_body)
                latencies.append(got[-1] - benchapp.TTFB_SENT[0])
            return latencies

        return _ttfb_result(asyncio.run(main()))

    def w5(self, p):
        n = p["ws_messages"]

        async def main():
            to_app, from_app = asyncio.Queue(), asyncio.Queue()
            scope = {
                "type": "websocket",
                "asgi": {"version": "3.0"},
                "scheme": "ws",
                "path": "/ws",
                "raw_path": b"/ws",
                "query_string": b"",
                "root_path": "",
                "headers": [(b"host", b"testserver")],
                "subprotocols": [],
                "state": {},
            }
            task = asyncio.ensure_future(app(scope, to_app.get, from_app.put))
            to_app.put_nowait({"type": "websocket.connect"})
            _check((await from_app.get())["type"] == "websocket.accept", "websocket not accepted")
            message = {"type": "websocket.receive", "text": WS_MESSAGE}
            for _ in range(min(50, n)):
                to_app.put_nowait(message)
                _check((await from_app.get())["text"] == WS_MESSAGE, "websocket echo differs")
            cpu0, start = time.process_time(), perf_counter()
            for _ in range(n):
                to_app.put_nowait({"type": "websocket.receive", "text": WS_MESSAGE})
                (await from_app.get())["text"]
            result = perf_counter() - start, time.process_time() - cpu0
            to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
            await task
            return result

        wall, cpu = asyncio.run(main())
        return _ws_result(n, wall, cpu)

    def w6_first(self, p):
        async def main():
            start = perf_counter()
            _, body = await self._small()
            seconds = perf_counter() - start
            _check(body == SMALL_BODY, f"GET /small gave {body[:80]!r}")
            return {"seconds": seconds}

        return asyncio.run(main())

    def w6_lifespan(self, p):
        async def main():
            start = perf_counter()
            async with _Lifespan():
                pass
            return {"seconds": perf_counter() - start}

        return asyncio.run(main())


#: Contender key -> class, in the order of the report.
CONTENDERS = {
    "asgi_testclient": AsgiTestclient,
    "starlette-0.20.4": StarletteLegacy,
    "starlette-testclient": StarletteTestclientBackport,
    "asgi_testclient-2022": AsgiTestclient2022,
    "floor": Floor,
    "starlette": StarletteTestClient,
    "httpx": HttpxAsyncClient,
    "async-asgi-testclient": AsyncAsgiTestclient,
    "direct": DirectASGI,
}
