"""The ASGI app every contender talks to: plain ASGI 3, standard library only.

A raw app (no framework) keeps the app's own cost tiny and identical for
all contenders, so the differences measured are the clients'.

Routes:

* ``GET /small``: a 17-byte JSON body with ``Content-Length`` (W1).
* ``POST /json`` and ``POST /upload``: read the whole request body, keep
  none of it, answer ``{"length": N}`` (W2, W3).
* ``GET /download?size=N``: ``N`` bytes in 64 KiB ``http.response.body``
  messages (a new bytes object each), with ``Content-Length`` (W4).
* ``GET /ttfb``: no ``Content-Length``; one small chunk, stamped in
  :data:`TTFB_SENT` just before it is sent, then a sleep of
  :data:`TTFB_SLEEP` seconds, then the end of the body (W4t).
* websocket ``/ws``: accept, then echo every text or bytes message until
  the client disconnects (W5).
* lifespan: startup and shutdown complete at once (W1 "with", W6).
"""

import asyncio
import time

CHUNK = 64 * 1024
# /download sends a new bytes object per chunk, as an app reading a file
# would: a client that keeps chunks shows it in its memory.
_CHUNK_SOURCE = bytearray(b"x" * CHUNK)

#: ``time.perf_counter()`` taken by the app just before it sent the first
#: body chunk of ``/ttfb`` (the client runs in the same process).
TTFB_SENT = [0.0]

#: How long ``/ttfb`` sleeps after its first chunk.
TTFB_SLEEP = 0.1

_SMALL_BODY = b'{"hello":"world"}'
_SMALL_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_SMALL_BODY)).encode()),
]


async def _drain(receive):
    """Read the request body to its end; return its length."""
    length = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return length
        length += len(message.get("body", b""))
        if not message.get("more_body", False):
            return length


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _websocket(receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                await send({"type": "websocket.send", "text": text})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
        elif kind == "websocket.disconnect":
            return


def _query_int(scope, name, default):
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if key == name and value:
            return int(value)
    return default


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "lifespan":
        await _lifespan(receive, send)
        return
    if kind == "websocket":
        await _websocket(receive, send)
        return
    path = scope["path"]
    if path == "/small":
        await _drain(receive)
        await send({"type": "http.response.start", "status": 200, "headers": _SMALL_HEADERS})
        await send({"type": "http.response.body", "body": _SMALL_BODY})
    elif path in ("/json", "/upload"):
        length = await _drain(receive)
        body = b'{"length":%d}' % length
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})
    elif path == "/download":
        size = _query_int(scope, "size", CHUNK)
        await _drain(receive)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/octet-stream"),
                    (b"content-length", b"%d" % size),
                ],
            }
        )
        left = size
        while left > CHUNK:
            await send({"type": "http.response.body", "body": bytes(_CHUNK_SOURCE), "more_body": True})
            left -= CHUNK
        await send({"type": "http.response.body", "body": bytes(_CHUNK_SOURCE[:left])})
    elif path == "/ttfb":
        await _drain(receive)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        TTFB_SENT[0] = time.perf_counter()
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(TTFB_SLEEP)
        await send({"type": "http.response.body", "body": b"last"})
    else:
        await _drain(receive)
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
