"""The soak (``soak.py``) in its shortened form: 5 000 requests and 200
websocket sessions on one client with flat memory, threads, file
descriptors and loop tasks; 8 threads x 500 requests sharing the client,
every response to its own request. ``python -m tests.reliability.soak`` runs
the full size."""

from typing import List

import pytest

from . import soak


@pytest.mark.slow
def test_soak_short() -> None:
    lines: List[str] = []
    report = soak.soak(backend="asyncio", log=lines.append, **soak.SHORT)
    print("\n".join(lines))  # shown with -s or when the test fails
    assert report["problems"] == [], "\n".join(lines)
    http, websockets, threaded = report["phases"]
    assert (http["iterations"], websockets["iterations"], threaded["iterations"]) == (5_000, 200, 4_000)
    for phase in (http, websockets):
        assert phase["memory_growth_bytes"] <= soak.MEMORY_LIMIT
        assert phase["threads"][0] == phase["threads"][1] == phase["threads_max"]
        assert phase["tasks"][0] == phase["tasks"][1]
        assert phase["fds"] is None or phase["fds"][0] == phase["fds"][1]
    assert threaded["wrong_responses"] == threaded["errors"] == 0
    # the app saw every HTTP request: warm-ups, the measured runs (a tenth
    # of them two requests: a 404 then a HEAD) and the threads
    http_sent = http["warmup"] + http["iterations"]
    assert report["served"] == http_sent + http_sent // 10 + threaded["iterations"]


def test_soak_checks_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leak of one small object per request and an answer given to the
    wrong request are each reported (a tiny soak, so not marked slow)."""
    kept: List[bytes] = []
    original = soak.http_iteration

    def leaky(client, number):  # type: ignore[no-untyped-def]
        kept.append(bytes(200))
        original(client, number)

    async def misrouting_app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["path"] == "/echo/t1-3":
            scope = dict(scope, path="/echo/t0-3")  # answers t1-3 with t0-3's id
        await original_app(scope, receive, send)

    original_app = soak.soak_app
    monkeypatch.setattr(soak, "soak_app", misrouting_app)
    monkeypatch.setattr(soak, "http_iteration", leaky)
    monkeypatch.setattr(soak, "MEMORY_LIMIT", 16 * 1024)
    lines: List[str] = []
    report = soak.soak(
        requests=200, websockets=0, threads=2, per_thread=5, traced_requests=200, traced_websockets=0, log=lines.append
    )
    assert any("http: memory grew by" in problem for problem in report["problems"]), lines
    assert any("threads: 1 responses went to the wrong request" in problem for problem in report["problems"]), lines
    assert report["phases"][2]["wrong_responses"] == 1
