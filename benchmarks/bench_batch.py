"""Batch matching against greedy routing on the same arrivals: when it wins, and its cost.

Head-of-line blocking across queues: ``general`` work needs skill ``x`` and ``expert`` work
needs ``y``. Most agents hold only ``x``; a few *versatile* agents hold both. Greedy routing
makes each decision alone: a versatile agent that frees up takes the oldest work it can do,
often a ``general`` call that an ``x``-only agent would have taken a moment later, while an
``expert`` call (which only versatile agents can take) keeps waiting. A batch step sees all
waiting work and all free agents at once and matches the most work (then the best scores),
so versatile agents go to the work only they can do. It pays for this with a delay: work
waits for the next ``match()`` tick.

Two scenarios, each run with the same seeded arrivals and handle times under both modes:

* ``open_backlog``: a backlog (mostly ``expert`` work, some ``general``) is waiting when the
  shift opens; the versatile agents log in first. Reported: work matched at the opening.
* ``steady``: Poisson arrivals over a shift, exponential handle times, ``match()`` every
  ``tick`` seconds in batch mode. Reported per queue: served, mean and 90th-percentile wait;
  and the cost of routing (seconds spent in router calls per offer made).

Also: the solver alone by instance size, and what the fairness ledger and cap add to a
greedy ``submit``.

    python -m benchmarks.run --only batch [--smoke]
"""

from __future__ import annotations

import heapq
import statistics
import time
from typing import Any

import numpy as np

from ccrouter import Router, RouterConfig
from ccrouter.engine.routing import match
from ccrouter.engine.routing.batch import assign
from ccrouter.events import Event, InteractionOffered

SKILLS = {"general": {"x": 1}, "expert": {"y": 1}}


def _agents(x_only: int, versatile: int) -> list[tuple[str, dict[str, int]]]:
    # Versatile agents first: they are the ones greedy routing wastes on general work.
    return [(f"v{k}", {"x": 1, "y": 1}) for k in range(versatile)] + [
        (f"g{k}", {"x": 1}) for k in range(x_only)
    ]


def open_backlog(*, mode: str, x_only: int, versatile: int, backlog: int) -> dict[str, Any]:
    router = Router(
        RouterConfig.from_dict(
            {"auto_accept": True, "matching": mode, "queues": {q: {} for q in SKILLS}}
        )
    )
    for k in range(backlog):
        # Every fourth item is general work; general items come first in the backlog.
        queue = "general" if k < backlog // 4 else "expert"
        router.submit(f"w{k}", channel="voice", queue=queue, skills=SKILLS[queue], at=0.0)
    offered = 0
    for name, skills in _agents(x_only, versatile):
        router.login(name, skills=skills, at=0.0)
        offered += _offers(router.ready(name, at=0.0))
    if mode == "batch":
        offered += _offers(router.match(at=0.0))
    return {"matched_at_open": offered, "agents": x_only + versatile}


def _offers(events: list[Event]) -> int:
    return sum(1 for e in events if isinstance(e, InteractionOffered))


def steady(
    *,
    mode: str,
    x_only: int,
    versatile: int,
    horizon: float,
    rates: dict[str, float],
    handle: float,
    tick: float,
    seed: int,
) -> dict[str, Any]:
    """A shift with Poisson arrivals; the same draws for any mode (per-stream seeds)."""
    config = RouterConfig.from_dict(
        {"auto_accept": True, "matching": mode, "queues": {q: {} for q in SKILLS}}
    )
    router = Router(config)
    for name, skills in _agents(x_only, versatile):
        router.login(name, skills=skills, at=0.0)
        router.ready(name, at=0.0)
    calendar: list[tuple[float, int, str, str]] = []  # (time, order, kind, id)
    order = 0
    arrived: dict[str, tuple[str, float]] = {}
    handle_of: dict[str, float] = {}
    for k, (queue, rate) in enumerate(sorted(rates.items())):
        rng = np.random.default_rng([seed, k])
        t = 0.0
        n = 0
        while True:
            t += float(rng.exponential(1 / rate))
            if t >= horizon:
                break
            iid = f"{queue}-{n}"
            n += 1
            handle_of[iid] = float(rng.exponential(handle))
            heapq.heappush(calendar, (t, order, "arrive", iid))
            order += 1
            arrived[iid] = (queue, t)
    if mode == "batch":
        for j in range(1, int(horizon / tick) + 1):
            heapq.heappush(calendar, (j * tick, order, "match", ""))
            order += 1
    waits: dict[str, list[float]] = {q: [] for q in SKILLS}
    spent = 0.0
    offers = 0
    while calendar:
        at, _, kind, iid = heapq.heappop(calendar)
        start = time.perf_counter()
        if kind == "arrive":
            queue = arrived[iid][0]
            events = router.submit(iid, channel="voice", queue=queue, skills=SKILLS[queue], at=at)
        elif kind == "done":
            events = router.complete(iid, at=at)
        else:
            events = router.match(at=at)
        spent += time.perf_counter() - start
        for e in events:
            if isinstance(e, InteractionOffered):
                offers += 1
                queue, t0 = arrived[e.interaction_id]
                waits[queue].append(e.at - t0)
                done = e.at + handle_of[e.interaction_id]
                heapq.heappush(calendar, (done, order, "done", e.interaction_id))
                order += 1
    per_queue = {}
    for queue, ws in waits.items():
        total = sum(1 for q, _ in arrived.values() if q == queue)
        per_queue[queue] = {
            "arrived": total,
            "served": len(ws),
            "mean_wait_s": round(statistics.fmean(ws), 2) if ws else None,
            "p90_wait_s": round(float(np.quantile(ws, 0.9)), 2) if ws else None,
        }
    return {
        "queues": per_queue,
        "offers": offers,
        "router_seconds": round(spent, 4),
        "router_us_per_offer": round(spent / max(offers, 1) * 1e6, 1),
    }


def solver_cost(*, size: int, repeat: int) -> dict[str, Any]:
    """The pure solver alone on a dense size x size instance with 3 priority levels."""
    rng = np.random.default_rng(size)
    allowed = rng.random((size, size)) < 0.5
    score = rng.integers(0, 10, (size, size))
    level = rng.integers(0, 3, size)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        assign(allowed, score, level)
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples)
    return {"median_ms": round(median * 1e3, 3), "us_per_item": round(median / size * 1e6, 1)}


def fairness_cost(*, agents: int, calls: int) -> dict[str, Any]:
    """Median ``submit`` (offered at once) with no ledger, a ledger, and a ledger with a cap:
    the cap reads every logged-in agent's count and the median on each decision."""
    out: dict[str, Any] = {}
    for label, fairness in (
        ("off", None),
        ("ledger_only", {"window": 3600.0}),
        ("cap", {"window": 3600.0, "max_above_median": 2}),
    ):
        config = RouterConfig.from_dict({"auto_accept": True, "fairness": fairness})
        router = Router(config)
        for k in range(agents):
            router.login(f"a{k}", skills={}, at=0.0)
            router.ready(f"a{k}", at=0.0)
        samples = []
        for k in range(calls):
            at = 1.0 + k
            start = time.perf_counter_ns()
            router.submit(f"c{k}", channel="voice", at=at)
            samples.append(time.perf_counter_ns() - start)
            router.complete(f"c{k}", at=at + 0.5)
        out[label] = {"submit_median_us": round(statistics.median(samples) / 1e3, 1)}
    return out


def run(smoke: bool) -> dict[str, Any]:
    """Greedy vs batch on the same arrivals; ``smoke`` shortens the shift."""
    match.warmup()  # compile the greedy kernel before anything is timed
    x_only, versatile = 12, 4
    backlog = {
        mode: open_backlog(mode=mode, x_only=x_only, versatile=versatile, backlog=40)
        for mode in ("greedy", "batch")
    }
    horizon = 1_800.0 if smoke else 8 * 3_600.0
    # Expert work needs ~3.3 of the 4 versatile agents; general work ~7 of 12 x-only agents:
    # the versatile agents are the bottleneck, the x-only ones have slack.
    params: dict[str, Any] = {
        "x_only": x_only,
        "versatile": versatile,
        "horizon": horizon,
        "rates": {"general": 7 / 120.0, "expert": 3.3 / 120.0},
        "handle": 120.0,
        "seed": 7,
    }
    shift: dict[str, Any] = {"greedy": steady(mode="greedy", tick=0.0, **params)}
    for tick in (2.0, 10.0):
        shift[f"batch_tick_{tick:g}s"] = steady(mode="batch", tick=tick, **params)
    sizes = (10, 50) if smoke else (10, 50, 200)
    return {
        "scenario": {
            "x_only_agents": x_only,
            "versatile_agents": versatile,
            "general_per_hour": round(params["rates"]["general"] * 3600, 1),
            "expert_per_hour": round(params["rates"]["expert"] * 3600, 1),
            "mean_handle_s": 120.0,
            "horizon_s": horizon,
        },
        "open_backlog": backlog,
        "steady": shift,
        "solver": {str(n): solver_cost(size=n, repeat=5 if smoke else 20) for n in sizes},
        "fairness": {
            str(n): fairness_cost(agents=n, calls=200 if smoke else 2_000)
            for n in ((100,) if smoke else (100, 1_000))
        },
    }
