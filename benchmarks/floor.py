"""The floor: what any requests-based client with an event-loop thread pays.

A plain ``requests.Session`` whose adapter does the least such a client
must do per request: one round trip to an event loop running in another
thread (a no-op scheduled there with ``call_soon_threadsafe``, waited for
on a lock), then a canned response built the way requests builds one from
a server's (a urllib3 ``HTTPResponse`` handed to
``HTTPAdapter.build_response``). No app runs, no scope is built, no body
is read on the loop thread.

So the difference between asgi_testclient and this floor is what
asgi_testclient adds on top of requests and a thread hop: preparing the
request its way, building the scope, running the app through ``receive``
and ``send``, and collecting the response.
"""

import asyncio
import io
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

SMALL_BODY = b'{"hello":"world"}'


class LoopThread:
    """An asyncio event loop running forever in a daemon thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="floor-loop", daemon=True)
        self.thread.start()
        # Held between round trips: the loop releases it, the caller takes it back.
        self._done = threading.Lock()
        self._done.acquire()

    def round_trip(self):
        """Schedule a no-op on the loop and wait until it has run."""
        self.loop.call_soon_threadsafe(self._done.release)
        self._done.acquire()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class FloorAdapter(HTTPAdapter):
    """One bare hop to the loop thread, then a canned response."""

    def __init__(self):
        super().__init__()
        self.loop_thread = LoopThread()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.loop_thread.round_trip()
        # What /small answers, or what /json answers: the request body's length.
        body = SMALL_BODY if request.method == "GET" else b'{"length":%d}' % len(request.body or b"")
        raw = HTTPResponse(
            body=io.BytesIO(body),
            headers={"content-type": "application/json", "content-length": str(len(body))},
            status=200,
            reason="OK",
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)

    def close(self):
        super().close()
        self.loop_thread.close()


class FloorSession(requests.Session):
    """A ``requests.Session`` with relative URLs on ``http://testserver``."""

    base_url = "http://testserver"

    def __init__(self):
        super().__init__()
        self.mount("http://", FloorAdapter())

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)
