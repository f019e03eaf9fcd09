"""Agent selectors in the 10,000-agent decision: the kernel with and without a selector.

Issue 16's goal: an agent selector leaves the 10,000-agent decision within 2x of today's. The
state is ``bench_routing``'s (10,000 agents, 20% of them ready and free, work needing 1-3
common skills); each agent gets attributes (``level`` 1-5, ``languages`` from five) and the
selector ``agent.level >= 3 and "fr" in agent.languages`` (about a quarter of the agents
pass) becomes a per-slot mask, kept by :class:`~ccrouter.engine.routing.selectors.SelectorMasks`.

Three variants are timed side by side, *interleaved*: every round times a block of each, in
turn, over the same requirements, so load on the machine hits all of them alike. Reported:
the median over all calls, and the range (lowest and highest) of the per-round medians.

- ``none``: ``select_agent`` as today (no selector);
- ``selector``: the same with the mask;
- ``selector_order_by``: the mask and the ``order_by`` strategy (``agent.level desc``);

plus the worst case (every agent free, work with no requirement), the one-time cost of a
mask over 10,000 agents, and the cost of one agent's attribute change (one slot re-evaluated).

    python -m benchmarks.run --only selectors [--smoke]
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from benchmarks.bench_routing import _draw, all_free_router, build_router, profiles
from ccrouter import Router
from ccrouter.engine.routing import match
from ccrouter.engine.routing.selectors import NO_MASK, NO_ORDER, SelectorMasks

SELECTOR = 'agent.level >= 3 and "fr" in agent.languages'
ORDER_BY = "agent.level desc"
LANGUAGES = ["en", "fr", "de", "es", "it"]
GOAL_RATIO = 2.0


def attributes_for(n: int, seed: int) -> list[dict[str, Any]]:
    """Per slot: ``level`` 1-5 and 1-3 languages (French for about half)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        langs = [LANGUAGES[int(i)] for i in rng.choice(len(LANGUAGES), size=k, replace=False)]
        out.append({"level": int(rng.integers(1, 6)), "languages": langs})
    return out


def _masks(router: Router, seed: int) -> tuple[SelectorMasks, list[dict[str, Any]]]:
    attrs = attributes_for(router.state.table.n, seed)
    return SelectorMasks(attrs.__getitem__, attrs.__len__), attrs


def _variants(masks: SelectorMasks) -> dict[str, dict[str, Any]]:
    mask, keys = masks.mask(SELECTOR), masks.order(ORDER_BY)
    return {
        "none": {"strategy": "longest_idle", "selected": NO_MASK, "order": NO_ORDER},
        "selector": {"strategy": "longest_idle", "selected": mask, "order": NO_ORDER},
        "selector_order_by": {"strategy": "order_by", "selected": mask, "order": keys},
    }


def interleaved(
    router: Router,
    requirements: list[dict[str, int]],
    variants: dict[str, dict[str, Any]],
    *,
    rounds: int,
) -> dict[str, Any]:
    """Per variant: median over every call, range of the per-round medians (microseconds)."""
    table = router.state.table
    select = match.select_agent
    clock = time.perf_counter_ns
    samples: dict[str, list[int]] = {name: [] for name in variants}
    per_round: dict[str, list[float]] = {name: [] for name in variants}
    found: dict[str, int] = dict.fromkeys(variants, 0)
    for kw in variants.values():  # warm-up: caches, first-call dispatch
        for skills in requirements:
            select(table, "voice", skills, **kw)
    for r in range(rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))  # no fixed position
        for name in order:
            kw = variants[name]
            block = []
            for skills in requirements:
                t0 = clock()
                slot = select(table, "voice", skills, **kw)
                block.append(clock() - t0)
                found[name] += slot >= 0
            samples[name] += block
            per_round[name].append(statistics.median(block) / 1e3)
    base = statistics.median(samples["none"])
    out: dict[str, Any] = {}
    for name in variants:
        med = statistics.median(samples[name])
        out[name] = {
            "median_us": round(med / 1e3, 3),
            "round_medians_us": [round(min(per_round[name]), 3), round(max(per_round[name]), 3)],
            "ratio_vs_none": round(med / base, 3),
            "eligible_found_share": round(found[name] / len(samples[name]), 3),
        }
    return out


def _mask_costs(masks: SelectorMasks, attrs: list[dict[str, Any]]) -> dict[str, float]:
    fresh = SelectorMasks(attrs.__getitem__, attrs.__len__)
    t0 = time.perf_counter()
    fresh.mask(SELECTOR)
    build = time.perf_counter() - t0
    fresh.order(ORDER_BY)
    samples = []
    for slot in range(0, len(attrs), max(1, len(attrs) // 500)):
        attrs[slot] = {**attrs[slot], "level": 6 - attrs[slot]["level"]}
        t0 = time.perf_counter_ns()
        fresh.changed(slot)  # what the state does on an attribute update
        samples.append(time.perf_counter_ns() - t0)
    return {
        "mask_build_ms_all_agents": round(build * 1e3, 3),
        "attribute_change_median_us": round(statistics.median(samples) / 1e3, 3),
    }


def run(smoke: bool) -> dict[str, Any]:
    """Run the benchmark (``smoke``: 1,000 agents, a few rounds)."""
    agents = 1_000 if smoke else 10_000
    rounds = 3 if smoke else 15
    match.warmup()
    router, info = build_router(agents, 200 if smoke else 2_000, free_share=0.2, groups=50, seed=3)
    masks, attrs = _masks(router, seed=11)
    requirements = _draw(np.random.default_rng(1), profiles(np.random.default_rng(2), 200), 200)
    mixed = interleaved(router, requirements, _variants(masks), rounds=rounds)
    free = all_free_router(agents)
    free_masks, _ = _masks(free, seed=12)
    worst = interleaved(free, [{}] * 50, _variants(free_masks), rounds=rounds)
    worst_ratio = max(v["ratio_vs_none"] for v in worst.values())
    mixed_ratio = max(v["ratio_vs_none"] for v in mixed.values())
    return {
        "state": info,
        "selector": SELECTOR,
        "order_by": ORDER_BY,
        "passing_share": round(float(masks.mask(SELECTOR)[:agents].mean()), 3),
        "decisions": mixed,
        "all_free": worst,
        "masks": _mask_costs(masks, attrs),
        "goal": {
            "ratio_at_most": GOAL_RATIO,
            "worst_ratio": max(worst_ratio, mixed_ratio),
            "met": max(worst_ratio, mixed_ratio) <= GOAL_RATIO,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke=False), indent=2))
