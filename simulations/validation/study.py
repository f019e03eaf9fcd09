"""Validation study: the simulator (driving the real router) against Erlang C and Erlang A.

Prints one row per (model, metric): theory, the simulated mean and its 95 % confidence
interval, and whether the interval covers the theory. Steady state: long runs with a warm-up.
Also a finite-day run starting empty (8 h, no warm-up), reported beside the steady-state theory
(its mean waits are expected to be a little lower: the day starts with idle agents).

    .venv/bin/python simulations/validation/study.py [--replications 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ccrouter.sim import Scenario, simulate
from ccrouter.staffing import erlang


def mmc(
    agents: int, load: float, horizon: float, warmup: float, patience: float | None
) -> Scenario:
    call: dict[str, Any] = {
        "name": "calls",
        "arrivals": {"kind": "poisson", "rates_per_hour": [load * agents * 3600.0 / 180.0]},
        "handle": {"kind": "exponential", "mean": 180.0},
    }
    if patience is not None:
        call["patience"] = {"kind": "exponential", "mean": patience}
    return Scenario.from_dict(
        {
            "horizon": horizon,
            "interval": horizon,
            "warmup": warmup,
            "call_types": [call],
            "agent_groups": [{"name": "agents", "headcount": [agents]}],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    cases = [
        ("M/M/10 load 0.85 (Erlang C)", 10, 0.85, None, 12 * 3600.0, 3600.0),
        ("M/M/50 load 0.90 (Erlang C)", 50, 0.90, None, 12 * 3600.0, 3600.0),
        ("M/M/10+M load 1.00 (Erlang A)", 10, 1.00, 120.0, 12 * 3600.0, 3600.0),
        ("M/M/50+M load 1.05 (Erlang A)", 50, 1.05, 120.0, 12 * 3600.0, 3600.0),
        ("M/M/50 load 0.90, 8 h day from empty", 50, 0.90, None, 8 * 3600.0, 0.0),
    ]
    header = f"{'model':38} {'metric':16} {'theory':>9} {'simulated (95 % CI)':>26} covers"
    print(header)
    print("-" * len(header))
    with ProcessPoolExecutor(args.jobs) as pool:
        for name, agents, load, patience, horizon, warmup in cases:
            scenario = mmc(agents, load, horizon, warmup, patience)
            result = simulate(scenario, args.replications, seed=args.seed, executor=pool)
            got = result.overall["all"]
            traffic = load * agents
            if patience is None:
                theory = {
                    "p_wait": erlang.erlang_c(traffic, agents),
                    "service_level": erlang.service_level(traffic, agents, 180.0, 20.0),
                    "asa": erlang.average_speed_of_answer(traffic, agents, 180.0),
                }
            else:
                a = erlang.erlang_a(traffic, agents, 180.0, patience, 20.0)
                theory = {
                    "p_wait": a.p_wait,
                    "abandonment_rate": a.p_abandon,
                    "service_level": a.service_level,
                    "mean_wait": a.asa,
                }
            for metric, value in theory.items():
                est = got[metric]
                ci = f"{est.mean:.4f} ± {est.half_width:.4f}"
                flag = "yes" if est.covers(value) else "NO"
                print(f"{name:38} {metric:16} {value:9.4f} {ci:>26} {flag}")
            print(f"{'':38} ({result.customers:,} customers, {result.replications} replications)")


if __name__ == "__main__":
    main()
