"""Simulated customers per second: the compiled engine, the router-driven engine, Ciw and SimPy,
side by side in one run.

Sections of the result (keys are stable; times are wall-clock seconds, rates are the median over
``repeats`` runs with the range beside them; every ``compiled`` entry is either a measured figure
or ``{"not_compiled": [features]}`` when the compiled engine does not run that model yet, in which
case its goal is not met and no figure is given):

``compile``
    ``router_kernels_seconds`` (the routing kernels), ``compiled_seconds`` (the compiled engine's
    kernels: compile, or load from Numba's disk cache), measured first, apart from every run.
``mm50``
    M/M/50 at load 0.9 (AHT 100 s, exponential), a tenth of the horizon as warm-up. ``compiled``
    on 1,000,000 customers (smoke: 50,000), ``router``, ``ciw`` and ``simpy`` on 100,000
    (smoke: 5,000); each with ``p_wait`` and ``mean_wait`` checked against ``erlang_c``
    (``p_wait_error``, ``mean_wait_relative_error``); the compiled entries add
    ``run_only_customers_per_second`` (the run without its metrics). ``speedup_vs_ciw``
    (compiled over Ciw), ``goal_vs_ciw`` (30), ``goal_met``; ``moonshot`` (1,000,000
    customers/s) and ``moonshot_met``; ``router_speedup_vs_ciw`` (the router-driven figure,
    for regressions).
``centers``
    ``center_1000x20`` and ``center_10000x100`` (``benchmarks/sim_centers.py``): the compiled
    engine on a whole 8-hour day, the router-driven engine on ``router_hours`` of it (the first
    hours of the same day), ``goal_customers_per_second`` (200,000 and 100,000) and
    ``goal_met`` (compiled). Smoke: a few minutes of each.
``examples``
    ``simulations/*.toml``: customers/s of each engine over a few replications, ``speedup``.
``memory``
    bytes per simulated customer: ``compiled`` without events kept (``tracemalloc`` peak during
    ``run_compiled(...).metrics()``, and ``record_bytes_per_customer``: the numpy arrays the run
    object holds; arrays Numba allocates escape ``tracemalloc``, so the goal is judged on the
    larger of the two), ``goal_bytes_per_customer`` (100), ``goal_met``; ``router`` (its event
    log is its output) for comparison.

Ciw and SimPy are benchmark-only dependencies (the ``bench`` group); when missing, their entries
are skipped and ``skipped`` says so.

    python -m benchmarks.run --only sim [--smoke]
    python -m benchmarks.bench_sim [--smoke] [--repeats 5] [--only mm50 --only centers ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.sim_centers import multiskill_center, offered_load
from ccrouter.engine.routing.match import warmup as warm_kernels
from ccrouter.sim import Scenario, load_scenario
from ccrouter.sim.compiled import run_compiled, unsupported_features
from ccrouter.sim.compiled import warmup as warm_compiled
from ccrouter.sim.engine import Engine
from ccrouter.sim.metrics import ReplicationMetrics, compute_metrics
from ccrouter.staffing import erlang

AGENTS = 50
LOAD = 0.9
AHT = 100.0
GOAL_VS_CIW = 30.0
MOONSHOT = 1_000_000.0
GOAL_BYTES_PER_CUSTOMER = 100.0
SIZES = {  # customers (M/M/50) per tool, full run and smoke
    "compiled": (1_000_000, 50_000),
    "router": (100_000, 5_000),
    "ciw": (100_000, 5_000),
    "simpy": (100_000, 5_000),
    "memory_compiled": (100_000, 20_000),
    "memory_router": (5_000, 1_000),
}
CENTERS = {  # name -> (agents, skills, goal customers/s, router hours, smoke hours)
    "center_1000x20": (1_000, 20, 200_000.0, 8.0, 0.1),
    "center_10000x100": (10_000, 100, 100_000.0, 1.0, 0.02),
}
EXAMPLE_REPLICATIONS = {"router": (3, 1), "compiled": (20, 2)}
SIMULATIONS = Path(__file__).resolve().parents[1] / "simulations"
SECTIONS = ("compile", "mm50", "centers", "examples", "memory")


# --- timing helpers -----------------------------------------------------------------------------


def _rate(customers: int, seconds: list[float]) -> dict[str, Any]:
    """Median customers/s over the runs, its range, and the median seconds."""
    rates = sorted(customers / s for s in seconds)
    return {
        "seconds": round(statistics.median(seconds), 3),
        "customers_per_second": round(statistics.median(rates)),
        "customers_per_second_range": [round(rates[0]), round(rates[-1])],
        "runs": len(seconds),
    }


def _repeat(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


_SPLIT: list[float] = []
"""Seconds of each compiled run before its metrics (the split of the last timed runs)."""


def _compiled_metrics(scenario: Scenario, seed: int) -> ReplicationMetrics:
    start = time.perf_counter()
    run = run_compiled(scenario, np.random.SeedSequence(seed))
    _SPLIT.append(time.perf_counter() - start)
    return run.metrics()


def _split(customers: int) -> dict[str, Any]:
    """The compiled run's own rate (the run alone, metrics excluded), median of the last runs."""
    runs = _SPLIT[:]
    _SPLIT.clear()
    return {"run_only_customers_per_second": round(customers / statistics.median(runs))}


def _router_metrics(scenario: Scenario, seed: int) -> ReplicationMetrics:
    out = Engine(scenario, np.random.SeedSequence(seed)).run()
    return compute_metrics(scenario, out.events, out.agent_group, out.customers, out.dials)


def _not_compiled(scenario: Scenario) -> dict[str, Any] | None:
    missing = unsupported_features(scenario)
    return {"not_compiled": missing} if missing else None


# --- M/M/50 ------------------------------------------------------------------------------------


def _horizon(customers: int) -> float:
    return customers / (LOAD * AGENTS / AHT)


def mm50(customers: int) -> Scenario:
    """M/M/50 at load 0.9 with about ``customers`` arrivals, a tenth of them warm-up."""
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


def _engine_mm50(customers: int, repeats: int, runner: Callable[..., Any]) -> dict[str, Any]:
    scenario = mm50(customers)
    seconds, metrics = _repeat(lambda: runner(scenario, 1), repeats)
    overall = metrics.overall["all"]
    return {
        "customers": metrics.customers,
        "events": metrics.events,
        **_rate(metrics.customers, seconds),
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
    return {
        "customers": round(len(waits) / 0.9),
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
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon * 1.05)
    records = [r for r in sim.get_all_records() if horizon / 10 <= r.arrival_date < horizon]
    waits = np.asarray([r.waiting_time for r in records])
    return {
        "customers": len(sim.get_all_records()),
        "p_wait": float(np.mean(waits > 0)),
        "mean_wait": float(np.mean(waits)),
    }


def _other_tool(runner: Callable[[int, int], Any], customers: int, repeats: int) -> Any:
    seconds, got = _repeat(lambda: runner(customers, 1), repeats)
    if got is None:
        return None
    return {**got, **_rate(got["customers"], seconds)}


def _check(result: dict[str, Any], theory: dict[str, float]) -> dict[str, Any]:
    result["p_wait_error"] = round(result["p_wait"] - theory["p_wait"], 4)
    result["mean_wait_relative_error"] = round(result["mean_wait"] / theory["mean_wait"] - 1, 4)
    result["p_wait"] = round(result["p_wait"], 4)
    result["mean_wait"] = round(result["mean_wait"], 3)
    return result


def bench_mm50(smoke: bool, repeats: int) -> dict[str, Any]:
    size = {name: sizes[1 if smoke else 0] for name, sizes in SIZES.items()}
    traffic = LOAD * AGENTS
    theory = {
        "p_wait": float(erlang.erlang_c(traffic, AGENTS)),
        "mean_wait": float(erlang.average_speed_of_answer(traffic, AGENTS, AHT)),
    }
    out: dict[str, Any] = {
        "model": f"M/M/{AGENTS}, load {LOAD}, AHT {AHT:g} s, warm-up a tenth of the horizon",
        "erlang_c": {k: round(v, 4) for k, v in theory.items()},
    }
    fallback = _not_compiled(mm50(1000))
    if fallback is None:
        _SPLIT.clear()
        got = _check(_engine_mm50(size["compiled"], repeats, _compiled_metrics), theory)
        out["compiled"] = {**got, **_split(got["customers"])}
    else:
        out["compiled"] = fallback
    out["router"] = _check(_engine_mm50(size["router"], repeats, _router_metrics), theory)
    skipped = []
    for name, runner in (("simpy", _simpy), ("ciw", _ciw)):
        got = _other_tool(runner, size[name], repeats)
        if got is None:
            skipped.append(name)
        else:
            out[name] = _check(got, theory)
    if skipped:
        out["skipped"] = f"not installed: {', '.join(skipped)} (pip install --group bench)"
    compiled_rate = out["compiled"].get("customers_per_second")
    out["goal_vs_ciw"] = GOAL_VS_CIW
    out["moonshot"] = MOONSHOT
    if "ciw" in out:
        ciw_rate = out["ciw"]["customers_per_second"]
        out["router_speedup_vs_ciw"] = round(out["router"]["customers_per_second"] / ciw_rate, 2)
        if compiled_rate is not None:
            out["speedup_vs_ciw"] = round(compiled_rate / ciw_rate, 2)
    if "simpy" in out and compiled_rate is not None:
        out["speedup_vs_simpy"] = round(compiled_rate / out["simpy"]["customers_per_second"], 2)
    out["goal_met"] = out.get("speedup_vs_ciw", 0.0) >= GOAL_VS_CIW
    out["moonshot_met"] = compiled_rate is not None and compiled_rate >= MOONSHOT
    return out


# --- multi-skill centers -----------------------------------------------------------------------


def bench_centers(smoke: bool, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (agents, skills, goal, router_hours, smoke_hours) in CENTERS.items():
        day = multiskill_center(agents, skills, hours=smoke_hours if smoke else 8.0)
        entry: dict[str, Any] = {
            "scenario": day.name,
            "agents": agents,
            "skills": skills,
            "call_types": len(day.call_types),
            "offered_load": round(offered_load(day) / agents, 3),
            "hours": day.horizon / 3600.0,
            "goal_customers_per_second": goal,
        }
        fallback = _not_compiled(day)
        if fallback is None:
            _SPLIT.clear()
            seconds, metrics = _repeat(lambda day=day: _compiled_metrics(day, 1), repeats)
            entry["compiled"] = {
                "customers": metrics.customers,
                "events": metrics.events,
                **_rate(metrics.customers, seconds),
                **_split(metrics.customers),
                "service_level": round(metrics.overall["all"]["service_level"], 4),
            }
        else:
            entry["compiled"] = fallback
        part = day if smoke else multiskill_center(agents, skills, hours=router_hours)
        runs = 1 if not smoke and router_hours > 1.0 else repeats  # a router day is long
        seconds, metrics = _repeat(lambda part=part: _router_metrics(part, 1), runs)
        entry["router"] = {
            "hours": part.horizon / 3600.0,
            "customers": metrics.customers,
            "events": metrics.events,
            **_rate(metrics.customers, seconds),
            "service_level": round(metrics.overall["all"]["service_level"], 4),
        }
        rate = entry["compiled"].get("customers_per_second")
        if rate is not None:
            entry["speedup_vs_router"] = round(rate / entry["router"]["customers_per_second"], 1)
        entry["goal_met"] = rate is not None and rate >= goal
        out[name] = entry
    return out


# --- the example scenarios ----------------------------------------------------------------------


def bench_examples(smoke: bool, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(SIMULATIONS.glob("*.toml")):
        scenario = load_scenario(path)
        entry: dict[str, Any] = {}
        for engine, runner in (("router", _router_metrics), ("compiled", _compiled_metrics)):
            if engine == "compiled" and (fallback := _not_compiled(scenario)) is not None:
                entry[engine] = fallback
                continue
            n = EXAMPLE_REPLICATIONS[engine][1 if smoke else 0]

            def batch(
                runner: Callable[..., ReplicationMetrics] = runner,
                n: int = n,
                scenario: Scenario = scenario,
            ) -> int:
                return sum(runner(scenario, seed).customers for seed in range(n))

            seconds, customers = _repeat(batch, repeats)
            entry[engine] = {"replications": n, "customers": customers, **_rate(customers, seconds)}
        if "customers_per_second" in entry["compiled"]:
            ratio = (
                entry["compiled"]["customers_per_second"] / entry["router"]["customers_per_second"]
            )
            entry["speedup"] = round(ratio, 1)
        out[path.stem] = entry
    return out


# --- memory ---------------------------------------------------------------------------------------


def _array_bytes(obj: object) -> int:
    """Bytes of the numpy arrays an object holds in its attributes (directly, or in a list,
    tuple or dict there)."""
    names = [*getattr(obj, "__dict__", {}), *getattr(type(obj), "__slots__", ())]
    total = 0
    for name in names:
        value = getattr(obj, name, None)
        items = value.values() if isinstance(value, dict) else value
        if not isinstance(items, list | tuple | type({}.values())):
            items = [value]
        total += sum(x.nbytes for x in items if isinstance(x, np.ndarray))
    return total


def bench_memory(smoke: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"goal_bytes_per_customer": GOAL_BYTES_PER_CUSTOMER}
    scenario = mm50(SIZES["memory_compiled"][1 if smoke else 0])
    fallback = _not_compiled(scenario)
    if fallback is None:
        tracemalloc.start()
        run = run_compiled(scenario, np.random.SeedSequence(1))
        metrics = run.metrics()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["compiled"] = {
            "customers": metrics.customers,
            "peak_bytes_per_customer": round(peak / metrics.customers, 1),
            "record_bytes_per_customer": round(_array_bytes(run) / metrics.customers, 1),
        }
        # Arrays Numba allocates inside a kernel escape tracemalloc: judge on the larger figure.
        c = out["compiled"]
        worst = max(c["peak_bytes_per_customer"], c["record_bytes_per_customer"])
        out["goal_met"] = worst <= GOAL_BYTES_PER_CUSTOMER
    else:
        out["compiled"] = fallback
        out["goal_met"] = False
    small = mm50(SIZES["memory_router"][1 if smoke else 0])
    tracemalloc.start()
    routed = _router_metrics(small, 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["router"] = {
        "customers": routed.customers,
        "peak_bytes_per_customer": round(peak / routed.customers, 1),
    }
    return out


# --- entry points ---------------------------------------------------------------------------------


def bench_compile() -> dict[str, Any]:
    start = time.perf_counter()
    warm_kernels()
    router = time.perf_counter() - start
    start = time.perf_counter()
    warm_compiled()
    compiled = time.perf_counter() - start
    _router_metrics(mm50(500), 99)  # the router's first run pays its imports and caches
    return {"router_kernels_seconds": round(router, 3), "compiled_seconds": round(compiled, 3)}


def run(smoke: bool, repeats: int | None = None, only: list[str] | None = None) -> dict[str, Any]:
    """Every section (or those in ``only``); ``repeats`` timed runs each (default 3, smoke 1)."""
    n = repeats if repeats is not None else (1 if smoke else 3)
    wanted = [s for s in SECTIONS if not only or s in only or s == "compile"]
    out: dict[str, Any] = {"repeats": n}
    for section in wanted:
        if section == "compile":
            out["compile"] = bench_compile()
        elif section == "mm50":
            out["mm50"] = bench_mm50(smoke, n)
        elif section == "centers":
            out["centers"] = bench_centers(smoke, n)
        elif section == "examples":
            out["examples"] = bench_examples(smoke, n)
        else:
            out["memory"] = bench_memory(smoke)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds in all")
    parser.add_argument("--repeats", type=int, help="timed runs per figure (median reported)")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only a section")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    result = run(args.smoke, args.repeats, args.only)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
