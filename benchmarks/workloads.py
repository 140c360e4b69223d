"""What is measured: the workloads, their metrics, and how values are written.

Shared by ``run.py`` (which measures and reports) and ``targets.py``
(which judges). Standard library only: nothing here imports a contender.
"""

MiB = 2**20
X = "\u00d7"  # the multiplication sign


class Metric:
    """One number a workload reports: ``key`` in the worker's result, times
    ``scale`` to get ``unit``; ``better`` is ``"lower"`` or ``"higher"``."""

    def __init__(self, key, unit, better, scale=1.0, chart=True):
        self.key, self.unit, self.better, self.scale, self.chart = key, unit, better, scale, chart

    def value(self, result):
        value = result.get(self.key)
        return None if value is None else value * self.scale


US_PER_REQUEST = Metric("per_op", "µs/request", "lower", 1e6)
MIB_S = Metric("mib_s", "MiB/s", "higher")
MEMORY = Metric("mem", "MiB peak RSS growth", "lower")
MS = Metric("seconds", "ms", "lower", 1e3)
LATENCY = Metric("latency", "ms", "lower", 1e3)
WS_RATE = Metric("msgs_s", "messages/s", "higher")
WS_CPU = Metric("cpu_per_msg", "CPU µs/message", "lower", 1e6)


class Workload:
    """One thing measured; ``contenders`` (keys) limits it to the clients
    that can do it at all, the others are reported ``n/a`` without a run."""

    def __init__(self, key, title, metrics, note="", contenders=None):
        self.key, self.title, self.metrics, self.note = key, title, metrics, note
        self.contenders = contenders

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
    Workload("w4t", "W4t first byte after the app sent it", [LATENCY]),
    Workload(
        "w4f",
        "W4f {download} FileResponse, streamed",
        [MIB_S, MEMORY],
        "Starlette's FileResponse reading the file itself, as it does when no extension is offered",
        contenders=("asgi_testclient",),
    ),
    Workload(
        "w4p",
        "W4p {download} FileResponse over pathsend",
        [MIB_S, MEMORY],
        "the same response with `extensions=[\"http.response.pathsend\"]`: the client reads the file",
        contenders=("asgi_testclient",),
    ),
    Workload("w5", "W5 websocket echo, {messages} messages", [WS_RATE, WS_CPU]),
    Workload("w6_import", "W6 import", [MS], "`from asgi_testclient import TestClient` and alike, fresh interpreter"),
    Workload(
        "w6_first",
        "W6 new client: construction + first request",
        [MS],
        "from `TestClient(app)` to the first response in hand, in a fresh process (imports done before)",
    ),
    Workload("w6_lifespan", "W6 lifespan enter + exit", [MS]),
]
WORKLOAD_KEYS = [w.key for w in WORKLOADS]
WORKLOAD_BY_KEY = {w.key: w for w in WORKLOADS}


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
    """How many times better ``base`` is than ``other`` (above 1: ``base``
    is better): the other's cost ÷ base's, or base's rate ÷ the other's."""
    if base is None or other is None or base <= 0 or other <= 0:
        return None
    return other / base if metric.better == "lower" else base / other
