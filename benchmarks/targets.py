"""The performance targets, and how a run is judged against them.

The gate is the old client as legacy suites run it: Starlette 0.20.4's own
TestClient on 2022's pins (contender ``starlette-0.20.4``), measured in the
same run as asgi_testclient, plus a few absolute bounds and the floor
(``floor.py``). The same relative targets are also shown, for reference
only, against the starlette-testclient backport on today's pins, and for
asgi_testclient itself on 2022's pins.
"""

from contenders import CONTENDERS
from workloads import LATENCY, MEMORY, MIB_S, MS, US_PER_REQUEST, WORKLOAD_KEYS, WS_CPU, WS_RATE, X, advantage, fmt

BASE = "asgi_testclient"
BASE_2022 = "asgi_testclient-2022"
LEGACY = "starlette-0.20.4"
BACKPORT = "starlette-testclient"
FLOOR = "floor"

MARKS = {"PASS": "\u2713", "MISS": "\u2717", "SKIP": "-"}


def _name(contender):
    return CONTENDERS[contender].name


class Target:
    """``base``'s median against a ``bound``, or against ``other``'s median
    in the same run: at least ``faster`` times better, or costing at most
    ``at_most`` times as much (for a rate: reaching at least 1/``at_most``)."""

    def __init__(self, text, workload, metric, bound=None, other=None, faster=None, at_most=None, base=BASE):
        self.text, self.workload, self.metric, self.base = text, workload, metric, base
        self.bound, self.other, self.faster, self.at_most = bound, other, faster, at_most

    def judge(self, results):
        """{"target", "verdict", "detail"}, or None when the run has not
        measured what the target needs."""
        if self.workload not in results.workloads or self.base not in results.contenders:
            return None
        if self.other is not None and self.other not in results.contenders:
            return None
        verdict, detail = self._judge(results)
        return {"target": self.text, "verdict": verdict, "detail": detail}

    def _judge(self, results):
        status, reason = results.status(self.workload, self.base)
        if status != "ok":
            skipped = status in ("not installed", "not run")
            return ("SKIP" if skipped else "MISS"), f"{_name(self.base)} {status}: {reason}"
        unit = self.metric.unit
        mine = results.median(self.workload, self.base, self.metric)
        if self.other is None:
            verdict = "PASS" if mine <= self.bound else "MISS"
            return verdict, f"{_name(self.base)} {fmt(mine)} {unit} (bound {fmt(self.bound)})"
        other_status, other_reason = results.status(self.workload, self.other)
        theirs = results.median(self.workload, self.other, self.metric)
        better = advantage(self.metric, mine, theirs)
        if other_status != "ok" or better is None:
            verdict = "SKIP" if other_status in ("not installed", "not run") else "MISS"
            return verdict, f"no {_name(self.other)} result ({other_status}: {other_reason})"
        values = f"{_name(self.base)} {fmt(mine)}, {_name(self.other)} {fmt(theirs)} {unit}"
        if self.faster is not None:
            verdict = "PASS" if better >= self.faster else "MISS"
            return verdict, f"{better:.2f}{X} ({values}; need ≥{self.faster:g}{X})"
        share = 1 / better
        verdict = "PASS" if share <= self.at_most else "MISS"
        return verdict, f"{share:.2f}{X} ({values}; need ≤{self.at_most:g}{X})"


def against_old(other, base=BASE):
    """The targets relative to an old client."""
    n = _name(other)
    return [
        Target(f"W1 inside with: ≥3{X} faster than {n}", "w1_with", US_PER_REQUEST, other=other, faster=3, base=base),
        Target(
            f"W1 never entered: ≥8{X} faster than {n}", "w1_without", US_PER_REQUEST, other=other, faster=8, base=base
        ),
        Target(
            f"W2 10 KiB JSON POST: ≥2.2{X} faster than {n}", "w2", US_PER_REQUEST, other=other, faster=2.2, base=base
        ),
        Target(f"W3 upload: ≥2{X} {n}'s MiB/s", "w3", MIB_S, other=other, faster=2, base=base),
        Target(f"W4 download: ≥1.5{X} {n}'s MiB/s", "w4", MIB_S, other=other, faster=1.5, base=base),
        Target(f"W5 websocket: ≥1.5{X} {n}'s messages/s", "w5", WS_RATE, other=other, faster=1.5, base=base),
        Target(f"W5 websocket: CPU per message ≤0.5{X} {n}'s", "w5", WS_CPU, other=other, at_most=0.5, base=base),
        Target(f"W6 import: no slower than {n}", "w6_import", MS, other=other, at_most=1, base=base),
        Target(f"W6 new client, first request: ≤2{X} {n}'s time", "w6_first", MS, other=other, at_most=2, base=base),
    ]


def bounds(base=BASE):
    """The absolute targets."""
    return [
        Target("W3 upload: peak memory growth ≤16 MiB", "w3", MEMORY, bound=16, base=base),
        Target("W4 download: peak memory growth ≤16 MiB", "w4", MEMORY, bound=16, base=base),
        Target("W4t: first byte within 5 ms of the app sending it", "w4t", LATENCY, bound=5, base=base),
    ]


def _in_workload_order(targets):
    return sorted(targets, key=lambda t: WORKLOAD_KEYS.index(t.workload))


#: What ``run.py`` judges a run by (``--strict`` fails on a miss here).
TARGETS = _in_workload_order(
    [
        *against_old(LEGACY),
        *bounds(),
        Target(f"W1 inside with: ≤1.25{X} the floor's time", "w1_with", US_PER_REQUEST, other=FLOOR, at_most=1.25),
    ]
)

#: Shown after the targets, never failing a run: title -> targets.
REFERENCE = {
    "The same ratios against the starlette-testclient backport on today's pins": against_old(BACKPORT),
    "asgi_testclient on 2022's pins against the old client on the same pins": _in_workload_order(
        [*against_old(LEGACY, base=BASE_2022), *bounds(base=BASE_2022)]
    ),
}


def check(results, targets):
    """(lines to print, outcome dicts) for the targets the run measured."""
    lines, outcome = [], []
    for target in targets:
        judged = target.judge(results)
        if judged is None:
            continue
        outcome.append(judged)
        lines.append(f"{MARKS[judged['verdict']]} {judged['verdict']}  {judged['target']}: {judged['detail']}")
    return lines, outcome


def floor_lines(results):
    """asgi_testclient's time divided by the floor's, for W1 and W2."""
    lines = []
    for workload in ("w1_with", "w1_without", "w2"):
        if workload not in results.workloads or FLOOR not in results.contenders or BASE not in results.contenders:
            continue
        mine = results.median(workload, BASE, US_PER_REQUEST)
        floor = results.median(workload, FLOOR, US_PER_REQUEST)
        if mine is None or floor is None:
            continue
        lines.append(f"{workload:<11} asgi_testclient {fmt(mine)} µs ÷ floor {fmt(floor)} µs = {mine / floor:.2f}{X}")
    return lines
