"""The per-interval staffing search of a 48-interval multi-skill day, against a 60 s goal.

The day: ``simulations/bilingual_center.toml`` (English and Spanish queues; English-only,
Spanish-only and bilingual agents; targets 80 % in 20 s and 80 % in 30 s, at most 5 %
abandoning) scaled to about 200 agents at the peak, over 24 hours in 48 half-hours, with a
two-peak daily volume curve (:data:`CURVE`: quiet nights, a morning ramp, peaks at 10:00 and
14:00). :func:`ccrouter.sim.staff_search_per_interval` staffs the three groups interval by
interval on the compiled engine.

Result keys: ``wall_seconds_median`` (of ``repeats`` searches, with ``min``/``max``),
``cpu_seconds_median`` (this process's CPU time: the search's cost apart from the machine's
load; without the workers' with ``--jobs``), ``goal_seconds`` (60), ``goal_met``,
``peak_agents``, ``agent_half_hours`` (the answer's total) and ``erlang_agent_half_hours``
(the Erlang starts'), ``runs`` and ``simulated_intervals`` (the search's cost), ``feasible``,
``unmet_checks`` (whole-day checks missed, all within noise when ``feasible``), ``load`` (the
one-minute load average before and after: the machine is shared). Smoke: 6 intervals of the
day at a tenth of the volume.

The same run then searches the day with daily targets (``targets_over="day"``: each target
over the whole day's calls, intervals free to fall below), ``daily_repeats`` times: ``daily``
holds its ``wall_seconds_median`` (no goal), ``agent_half_hours`` (against the per-interval
answer's: ``saved_agent_half_hours``), ``peak_agents``, the day's figures (``day``: mean of
each target's check), ``intervals_below`` (intervals under a target, which the day makes up
for), ``runs``, ``simulated_intervals``, ``candidates`` and ``feasible``.

    python -m benchmarks.run --only interval_search [--smoke]
    python -m benchmarks.bench_interval_search [--smoke] [--repeats 3] [--lookback 1] [--jobs 2]
        [--daily-repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from ccrouter.sim import (
    IntervalSearchResult,
    PoissonArrivals,
    Scenario,
    load_scenario,
    staff_search_per_interval,
)

GOAL_SECONDS = 60.0
SCALE = 13.0
"""The bilingual center's volume (150 + 60 calls an hour, 15 agents) times this: about 200
agents at the peak."""
CURVE = (0.08, 0.06, 0.05, 0.04, 0.04, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.15,
         0.25, 0.40, 0.60, 0.78, 0.90, 0.98, 1.00, 0.97, 0.92, 0.88, 0.85, 0.88,
         0.93, 0.97, 1.00, 0.98, 0.94, 0.90, 0.85, 0.80, 0.74, 0.68, 0.62, 0.56,
         0.50, 0.44, 0.38, 0.32, 0.27, 0.22, 0.18, 0.15, 0.13, 0.11, 0.10, 0.09)  # fmt: skip
"""Arrival rate per half hour from midnight, relative to the peak."""
LOOKBACK = 1
"""Intervals simulated before the one searched (``lookback``)."""
ROOT = Path(__file__).resolve().parent.parent


def bilingual_day(scale: float = SCALE, intervals: int = 48) -> Scenario:
    """The bilingual center over ``intervals`` half-hours of :data:`CURVE`, volume × ``scale``."""
    base = load_scenario(ROOT / "simulations" / "bilingual_center.toml")
    call_types = []
    for ct in base.call_types:
        assert isinstance(ct.arrivals, PoissonArrivals)
        peak = ct.arrivals.rates_per_hour[0] * scale
        rates = [peak * CURVE[k % len(CURVE)] for k in range(intervals)]
        call_types.append(
            msgspec.structs.replace(ct, arrivals=PoissonArrivals(rates_per_hour=rates))
        )
    return base.replace(
        name=f"bilingual day x{scale:g}",
        horizon=intervals * base.interval,
        call_types=call_types,
    )


def _load() -> float:
    return os.getloadavg()[0]


def _search(
    scenario: Scenario, jobs: int, **options: Any
) -> tuple[IntervalSearchResult, float, float]:
    """One search with ``jobs`` processes: the result, wall and CPU seconds."""
    start, used = time.perf_counter(), time.process_time()
    executor = ProcessPoolExecutor(jobs) if jobs > 1 else None
    try:
        result = staff_search_per_interval(
            scenario, replications=10, seed=1, engine="compiled", executor=executor, **options
        )
    finally:
        if executor is not None:
            executor.shutdown()
    return result, time.perf_counter() - start, time.process_time() - used


def _totals(result: IntervalSearchResult) -> list[int]:
    n = len(result.interval_starts)
    return [sum(v[k] for v in result.requirements.values()) for k in range(n)]


def run(
    smoke: bool = False,
    repeats: int = 3,
    lookback: int | None = LOOKBACK,
    jobs: int = 1,
    daily_repeats: int = 1,
) -> dict[str, Any]:
    """Search the day ``repeats`` times (smoke: a small slice once) with ``jobs`` processes,
    then ``daily_repeats`` times with daily targets."""
    scenario = bilingual_day(1.3, 6) if smoke else bilingual_day()
    repeats = 1 if smoke else repeats
    load_before = _load()
    times, cpu = [], []
    result = None
    for _ in range(repeats):
        result, wall, used = _search(scenario, jobs, lookback=lookback)
        times.append(wall)
        cpu.append(used)
    assert result is not None
    totals = _totals(result)
    daily_times, daily = [], None
    for _ in range(1 if smoke else daily_repeats):
        daily, wall, _ = _search(scenario, jobs, targets_over="day")
        daily_times.append(wall)
    assert daily is not None
    day_totals = _totals(daily)
    median = statistics.median(times)
    return {
        "scenario": scenario.name,
        "intervals": scenario.n_intervals,
        "lookback": lookback,
        "jobs": jobs,
        "wall_seconds_median": round(median, 3),
        "wall_seconds_min": round(min(times), 3),
        "wall_seconds_max": round(max(times), 3),
        "cpu_seconds_median": round(statistics.median(cpu), 3),
        "goal_seconds": GOAL_SECONDS,
        "goal_met": median <= GOAL_SECONDS,
        "compile_seconds": round(result.compile_seconds, 3),
        "peak_agents": max(totals),
        "agent_half_hours": sum(totals),
        "erlang_agent_half_hours": sum(sum(v) for v in result.erlang.values()),
        "runs": result.runs,
        "simulated_intervals": result.simulated_intervals,
        "candidates": len(result.path),
        "feasible": result.feasible,
        "unmet_checks": len(result.unmet),
        "daily": {
            "wall_seconds_median": round(statistics.median(daily_times), 3),
            "repeats": len(daily_times),
            "agent_half_hours": sum(day_totals),
            "saved_agent_half_hours": sum(totals) - sum(day_totals),
            "peak_agents": max(day_totals),
            "day": {f"{c.queue} {c.metric}": round(c.estimate.mean, 4) for c in daily.day_checks},
            "intervals_below": len({c.interval for c in daily.unmet}),
            "runs": daily.runs,
            "simulated_intervals": daily.simulated_intervals,
            "candidates": len(daily.path),
            "feasible": daily.feasible,
        },
        "load": [round(load_before, 2), round(_load(), 2)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lookback", type=int, default=LOOKBACK, help="-1: exact prefixes")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--daily-repeats", type=int, default=1, help="daily-target searches")
    args = parser.parse_args(argv)
    lookback = None if args.lookback < 0 else args.lookback
    report = run(args.smoke, args.repeats, lookback, args.jobs, args.daily_repeats)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
