"""Simulated customers per second through the full router, side by side with SimPy and Ciw.

The model: M/M/50 at load 0.9 (AHT 100 s, exponential), 100,000 customers (smoke: 5,000) after
a warm-up of a tenth of the horizon. ccrouter's simulator drives the real ``Router`` (every
arrival, offer, accept and completion is an event in its log; results come from the statistics
projections); SimPy and Ciw simulate the same queue with no routing at all. Each tool's P(wait)
and mean wait are checked against Erlang C. Times are wall-clock seconds of one run each after
a warm-up run (Numba kernels compiled).

SimPy and Ciw are benchmark-only dependencies (the ``bench`` group). When missing, their
columns are skipped and the result says so.

    python -m benchmarks.run --only sim [--smoke]
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ccrouter.engine.routing.match import warmup
from ccrouter.sim import Scenario
from ccrouter.sim.engine import Engine
from ccrouter.sim.metrics import compute_metrics
from ccrouter.staffing import erlang

AGENTS = 50
LOAD = 0.9
AHT = 100.0
GOAL_VS_CIW = 10.0


def _horizon(customers: int) -> float:
    return customers / (LOAD * AGENTS / AHT)


def _scenario(customers: int) -> Scenario:
    horizon = _horizon(customers)
    return Scenario.from_dict(
        {
            "horizon": horizon,
            "interval": horizon,
            "warmup": horizon / 10,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [LOAD * AGENTS * 36.0]},
                    "handle": {"kind": "exponential", "mean": AHT},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [AGENTS]}],
        }
    )


def _ccrouter(customers: int, seed: int) -> dict[str, Any]:
    scenario = _scenario(customers)
    start = time.perf_counter()
    out = Engine(scenario, np.random.SeedSequence(seed)).run()
    simulated = time.perf_counter() - start
    metrics = compute_metrics(scenario, out.events, out.agent_group, out.customers)
    total = time.perf_counter() - start
    overall = metrics.overall["all"]
    return {
        "customers": out.customers,
        "events": len(out.events),
        "seconds": round(total, 3),
        "simulate_seconds": round(simulated, 3),
        "customers_per_second": round(out.customers / total),
        "p_wait": overall["p_wait"],
        "mean_wait": overall["mean_wait"],
    }


def _simpy(customers: int, seed: int) -> dict[str, Any] | None:
    try:
        import simpy
    except ImportError:
        return None
    rng = np.random.default_rng(seed)
    horizon = _horizon(customers)
    lam = LOAD * AGENTS / AHT
    waits: list[float] = []
    start = time.perf_counter()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)

    def customer(arrived: float) -> Any:
        with agents.request() as req:
            yield req
            if arrived >= horizon / 10:
                waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(AHT))

    def source() -> Any:
        while True:
            yield env.timeout(rng.exponential(1 / lam))
            if env.now >= horizon:
                return
            env.process(customer(env.now))

    env.process(source())
    env.run()
    seconds = time.perf_counter() - start
    n = len(waits) / 0.9
    return {
        "customers": round(n),
        "seconds": round(seconds, 3),
        "customers_per_second": round(n / seconds),
        "p_wait": float(np.mean(np.asarray(waits) > 0)),
        "mean_wait": float(np.mean(waits)),
    }


def _ciw(customers: int, seed: int) -> dict[str, Any] | None:
    try:
        import ciw
    except ImportError:
        return None
    horizon = _horizon(customers)
    lam = LOAD * AGENTS / AHT
    start = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon * 1.05)
    seconds = time.perf_counter() - start
    records = [r for r in sim.get_all_records() if horizon / 10 <= r.arrival_date < horizon]
    waits = np.asarray([r.waiting_time for r in records])
    n = len(sim.get_all_records())
    return {
        "customers": n,
        "seconds": round(seconds, 3),
        "customers_per_second": round(n / seconds),
        "p_wait": float(np.mean(waits > 0)),
        "mean_wait": float(np.mean(waits)),
    }


def _check(result: dict[str, Any], theory: dict[str, float]) -> dict[str, Any]:
    result["p_wait_error"] = round(result["p_wait"] - theory["p_wait"], 4)
    result["mean_wait_relative_error"] = round(result["mean_wait"] / theory["mean_wait"] - 1, 4)
    result["p_wait"] = round(result["p_wait"], 4)
    result["mean_wait"] = round(result["mean_wait"], 3)
    return result


def run(smoke: bool) -> dict[str, Any]:
    customers = 5_000 if smoke else 100_000
    traffic = LOAD * AGENTS
    theory = {
        "p_wait": float(erlang.erlang_c(traffic, AGENTS)),
        "mean_wait": float(erlang.average_speed_of_answer(traffic, AGENTS, AHT)),
    }
    start = time.perf_counter()
    warmup()
    _ccrouter(1_000, seed=99)
    compile_seconds = time.perf_counter() - start
    results: dict[str, Any] = {
        "model": f"M/M/{AGENTS}, load {LOAD}, AHT {AHT:g} s, {customers:,} customers",
        "erlang_c": {k: round(v, 4) for k, v in theory.items()},
        "warmup_seconds": round(compile_seconds, 3),
        "ccrouter": _check(_ccrouter(customers, seed=1), theory),
    }
    skipped = []
    for name, runner in (("simpy", _simpy), ("ciw", _ciw)):
        got = runner(customers, 1)
        if got is None:
            skipped.append(name)
        else:
            results[name] = _check(got, theory)
    if skipped:
        results["skipped"] = f"not installed: {', '.join(skipped)} (pip install --group bench)"
    if "ciw" in results:
        ratio = results["ccrouter"]["customers_per_second"] / results["ciw"]["customers_per_second"]
        results["speedup_vs_ciw"] = round(ratio, 2)
        results["goal_vs_ciw"] = GOAL_VS_CIW
        results["goal_met"] = ratio >= GOAL_VS_CIW
    if "simpy" in results:
        ratio = (
            results["ccrouter"]["customers_per_second"] / results["simpy"]["customers_per_second"]
        )
        results["speedup_vs_simpy"] = round(ratio, 2)
    return results
