"""What a 20-rule classification adds to a ``submit`` (issue: at most 20 µs).

Two routers take the same submits: one without rules, one with 20 rules whose first 19 do
not match (each reads two attributes) and whose last (the default) does, and records the
values they read. Two rule shapes: ``indexed`` (each rule starts with
``interaction.attributes.tier == "..."``, the common shape the rule index skips through) and
``scanned`` (numeric tests the index cannot use, so all 20 conditions run on every submit).
Rounds alternate between the routers (interleaved, so machine load hits both alike); each
round times a batch of submits into a fresh router; the figure is the difference of the
medians per submit, with the range over rounds. ``calibration_sum_range_1000_us`` says how
loaded the machine was.

    python -m benchmarks.bench_rules          (or: python -m benchmarks.run --only rules)
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from ccrouter import Router, RouterConfig

GOAL_US = 20.0
RULES = 20
DIGIT = "interaction.attributes.digit"


def _config(rules: int, shape: str = "indexed") -> RouterConfig:
    data: dict[str, Any] = {
        "attributes": {
            "interaction.attributes.tier": "str",
            "interaction.attributes.digit": "int",
        },
        "queues": {f"q{i}": {} for i in range(rules)},
        "rules": [
            {
                "name": f"r{i}",
                "when": (
                    f'interaction.attributes.tier == "t{i}" and {DIGIT} >= {i}'
                    if shape == "indexed"
                    else f"{DIGIT} >= {100 + 2 * i} and {DIGIT} < {101 + 2 * i}"
                ),
                "queue": f"q{i}",
                "tags": [f"t{i}"],
            }
            for i in range(rules - 1)
        ]
        + ([{"name": "default", "queue": "default"}] if rules else []),
    }
    return RouterConfig.from_dict(data)


def _batch(config: RouterConfig, n: int, offset: int) -> float:
    r = Router(config)
    attrs = [{"tier": "none", "digit": i % 10} for i in range(n)]
    start = time.perf_counter()
    for i in range(n):
        r.submit(f"c{offset + i}", channel="voice", attributes=attrs[i], at=float(i))
    return (time.perf_counter() - start) / n


def _compare(shape: str, n: int, rounds: int) -> dict[str, Any]:
    base_cfg, rules_cfg = _config(0), _config(RULES, shape)
    _batch(base_cfg, 200, 0)  # warm-up: imports, caches, compiled rules
    _batch(rules_cfg, 200, 0)
    base: list[float] = []
    ruled: list[float] = []
    for k in range(rounds):
        order = [(base_cfg, base), (rules_cfg, ruled)]
        if k % 2:
            order.reverse()
        for cfg, out in order:
            out.append(_batch(cfg, n, k * n) * 1e6)
    added = [b - a for a, b in zip(base, ruled, strict=True)]
    extra = statistics.median(ruled) - statistics.median(base)
    return {
        "submit_us_no_rules_median": round(statistics.median(base), 2),
        "submit_us_20_rules_median": round(statistics.median(ruled), 2),
        "added_us_median": round(extra, 2),
        "added_us_range": [round(min(added), 2), round(max(added), 2)],
        "goal_met": extra <= GOAL_US,
    }


def _calibration() -> float:
    """µs for ``sum(range(1000))`` (≈ 5-8 µs on an idle current machine): how loaded this
    one was, to read the other figures by."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            sum(range(1000))
        best = min(best, (time.perf_counter() - start) * 1e3)
    return round(best, 2)


def run(smoke: bool = False) -> dict[str, Any]:
    """Measure; returns JSON-able results (µs per submit)."""
    n = 300 if smoke else 2000
    rounds = 3 if smoke else 15
    result: dict[str, Any] = {
        "submits_per_round": n,
        "rounds": rounds,
        "rules": RULES,
        "goal_us": GOAL_US,
        "calibration_sum_range_1000_us": _calibration(),
    }
    for shape in ("indexed", "scanned"):
        result[shape] = _compare(shape, n, rounds)
    result["goal_met"] = all(result[s]["goal_met"] for s in ("indexed", "scanned"))
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
