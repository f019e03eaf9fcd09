"""Independent replications of a scenario, with means and 95 % confidence intervals.

Replication ``r`` of seed ``S`` uses ``SeedSequence(S, spawn_key=(r,))`` — the ``r``-th child
that ``SeedSequence(S).spawn`` would give — so its numbers depend on ``(S, r)`` alone: the same
results serially, in a process pool or on Dask, and sequential sampling that adds replications
keeps the earlier ones. Two scenarios simulated with the same seed share random numbers
(common random numbers), which sharpens comparisons between variants.

Both engines (``engine=``, see :mod:`ccrouter.sim.engines`) draw the same customers from the
same streams and produce the same events, so a result does not depend on the engine either:
only its speed does. The kernels are compiled (or loaded from Numba's disk cache) once in this
process before any fan-out; the time it takes is reported as ``compile_seconds``, apart from
``run_seconds``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import msgspec
import numpy as np

from ccrouter.errors import InvalidArgument
from ccrouter.sim.confidence import Estimate, estimate
from ccrouter.sim.engines import (
    EngineChoice,
    EngineFallback,
    Resolved,
    resolve_engine,
    run_metrics,
    warm_engine,
)
from ccrouter.sim.jobs import run_jobs
from ccrouter.sim.metric_info import info
from ccrouter.sim.metrics import CAMPAIGN_METRICS, METRICS, ReplicationMetrics
from ccrouter.sim.scenario import Scenario

__all__ = ["SimulationResult", "run_replication", "simulate", "summarize"]


class SimulationResult(msgspec.Struct, frozen=True, kw_only=True):
    """Means and confidence intervals over the replications, and the runs themselves."""

    scenario: Scenario
    seed: int
    interval_starts: list[float]
    per_interval: dict[str, dict[str, list[Estimate]]]
    """Scope (queue or ``"all"``) → metric → one estimate per interval."""
    overall: dict[str, dict[str, Estimate]]
    """Scope → metric → estimate over the horizon (after warm-up)."""
    group_occupancy: dict[str, list[Estimate]]
    wait_histogram: list[int]
    """Answered interactions per wait bin, summed over replications."""
    runs: list[ReplicationMetrics]
    campaigns: dict[str, dict[str, Estimate]] = {}
    """Outbound campaign → metric (``CAMPAIGN_METRICS``) → estimate over the horizon."""
    group_utilisation: dict[str, Estimate] = {}
    """Agent group → utilisation (handling over staffed time) over the horizon."""
    engine: str = "router"
    """The engine that ran the replications: ``"compiled"`` or ``"router"``."""
    not_compiled: list[str] = []
    """Under ``engine="auto"``: the features that sent the scenario to the router-driven
    engine (empty when it ran compiled, or when an engine was asked for by name)."""
    compile_seconds: float = 0.0
    """Wall-clock seconds spent compiling (or loading from the disk cache) the kernels in this
    process before the replications ran."""
    run_seconds: float = 0.0
    """Wall-clock seconds of the replications themselves (compile time excluded)."""
    self_service: dict[str, dict[str, list[Estimate]]] = {}
    """Call type with a self-service stage (and ``"all"``) → metric
    (``SELF_SERVICE_METRICS``) → one estimate per interval of entry into the stage."""
    self_service_overall: dict[str, dict[str, Estimate]] = {}
    """The same over the horizon (after warm-up)."""

    @property
    def replications(self) -> int:
        return len(self.runs)

    @property
    def customers(self) -> int:
        return sum(r.customers for r in self.runs)


def run_replication(
    scenario: Scenario,
    seed: int,
    index: int,
    backend: str | None = None,
    engine: EngineChoice = "auto",
) -> ReplicationMetrics:
    """Run replication ``index`` of ``scenario`` (a top-level function: executors pickle it).

    Args:
        scenario: the model.
        seed: root seed.
        index: the replication's index (its seed is ``SeedSequence(seed, spawn_key=(index,))``).
        backend: the router's selection backend (router-driven engine).
        engine: ``"auto"``, ``"compiled"`` or ``"router"`` (:mod:`ccrouter.sim.engines`).

    Raises:
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
    """
    resolved, _ = resolve_engine(scenario, engine)
    return run_metrics(scenario, seed, index, resolved, backend)


def summarize(
    scenario: Scenario, seed: int, runs: Sequence[ReplicationMetrics]
) -> SimulationResult:
    """Fold replication results into estimates (each interval clipped to its metric's
    possible range, :func:`ccrouter.sim.metric_info.info`)."""
    first = runs[0]
    per_interval = {
        scope: {
            m: [
                estimate((r.per_interval[scope][m][k] for r in runs), bounds=info(m).bounds)
                for k in range(len(values))
            ]
            for m, values in metrics.items()
        }
        for scope, metrics in first.per_interval.items()
    }
    overall = {
        scope: {m: estimate((r.overall[scope][m] for r in runs), bounds=info(m).bounds)
                for m in METRICS}
        for scope in first.overall
    }  # fmt: skip
    share = info("occupancy").bounds
    occupancy = {
        g: [estimate((r.group_occupancy[g][k] for r in runs), bounds=share)
            for k in range(len(values))]
        for g, values in first.group_occupancy.items()
    }  # fmt: skip
    histogram = np.sum([r.wait_histogram for r in runs], axis=0).astype(int).tolist()
    campaigns = {
        name: {m: estimate((r.campaigns[name][m] for r in runs), bounds=info(m).bounds)
               for m in CAMPAIGN_METRICS}
        for name in first.campaigns
    }  # fmt: skip
    utilisation = {
        g: estimate((r.group_utilisation[g] for r in runs), bounds=share)
        for g in first.group_utilisation
    }
    stage = {
        scope: {m: [estimate(r.self_service[scope][m][k] for r in runs) for k in
                    range(len(values))] for m, values in metrics.items()}
        for scope, metrics in first.self_service.items()
    }  # fmt: skip
    stage_overall = {
        scope: {m: estimate(r.self_service_overall[scope][m] for r in runs) for m in metrics}
        for scope, metrics in first.self_service_overall.items()
    }
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        interval_starts=[k * scenario.interval for k in range(scenario.n_intervals)],
        per_interval=per_interval,
        overall=overall,
        group_occupancy=occupancy,
        wait_histogram=histogram,
        runs=list(runs),
        campaigns=campaigns,
        group_utilisation=utilisation,
        self_service=stage,
        self_service_overall=stage_overall,
    )


def simulate(
    scenario: Scenario,
    replications: int = 10,
    *,
    seed: int = 0,
    executor: Executor | None = None,
    warmup: float | None = None,
    backend: str | None = None,
    progress: Callable[[int], None] | None = None,
    target_half_width: float | None = None,
    target_metric: tuple[str, str] = ("all", "service_level"),
    max_replications: int = 1000,
    engine: EngineChoice = "auto",
) -> SimulationResult:
    """Simulate ``replications`` independent runs and estimate every metric.

    Args:
        scenario: the model.
        replications: number of runs (at least 2 for an interval; the first batch with
            sequential sampling).
        seed: root seed; results depend on it and on each replication's index only.
        executor: any :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor``, Dask's
            ``client.get_executor()``); ``None`` runs in this process.
        warmup: seconds left out of the statistics (default: the scenario's ``warmup``).
        backend: the router's selection backend.
        progress: called with the number of replications finished, after each one.
        target_half_width: sequential sampling: add batches of ``replications`` runs until
            the 95 % half-width of ``target_metric`` (scope, metric) over the horizon is at
            most this, or ``max_replications`` is reached.
        engine: ``"auto"`` (compiled when the scenario's features all run compiled, else the
            router-driven engine with an :class:`~ccrouter.sim.engines.EngineFallback`
            warning naming the others), ``"compiled"`` or ``"router"``. Both engines give the
            same events, so the same result.

    Returns:
        A :class:`SimulationResult` (``engine`` says which one ran; ``compile_seconds`` and
        ``run_seconds`` split the time).

    Raises:
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
        InvalidArgument: an unknown ``engine``.
    """
    if replications < 1:
        raise InvalidArgument(f"replications must be >= 1, got {replications}")
    if warmup is not None:
        scenario = scenario.replace(warmup=warmup)
    resolved, missing = resolve_engine(scenario, engine, warn=False)
    if missing:
        warnings.warn(EngineFallback.naming(missing), stacklevel=2)
    # Compile (or load) the kernels once here, before any fan-out: workers then load them
    # from Numba's disk cache instead of each compiling them.
    compile_seconds = warm_engine(resolved)
    start = time.perf_counter()
    runs: list[ReplicationMetrics] = []
    while True:
        batch = range(len(runs), min(len(runs) + replications, max_replications))
        runs += _run_batch(scenario, seed, batch, executor, backend, progress, len(runs), resolved)
        if target_half_width is None or len(runs) >= max_replications:
            break
        scope, metric = target_metric
        half = estimate(r.overall[scope][metric] for r in runs).half_width
        if not math.isnan(half) and half <= target_half_width:
            break
    run_seconds = time.perf_counter() - start
    return msgspec.structs.replace(
        summarize(scenario, seed, runs),
        engine=resolved,
        not_compiled=missing,
        compile_seconds=compile_seconds,
        run_seconds=run_seconds,
    )


def _run_batch(
    scenario: Scenario,
    seed: int,
    indices: range,
    executor: Executor | None,
    backend: str | None,
    progress: Callable[[int], None] | None,
    done: int,
    engine: Resolved,
) -> list[ReplicationMetrics]:
    args = [(scenario, seed, index, backend, engine) for index in indices]
    tell = None if progress is None else (lambda finished: progress(done + finished))
    return run_jobs(executor, run_replication, args, tell)
