"""Which engine runs a replication: the compiled one, or the router-driven reference.

Two engines produce the same events, event for event (``docs/simulation.md``): the
router-driven :class:`~ccrouter.sim.engine.Engine` (the reference: every customer goes through
the real :class:`~ccrouter.Router`) and the compiled engine (:mod:`ccrouter.sim.compiled`,
a whole replication in Numba-compiled code). ``engine`` picks one:

- ``"auto"`` (the default everywhere): compiled when the scenario uses only compiled
  features, else the router-driven engine, with an :class:`EngineFallback` warning naming the
  features that are not compiled (one line; the CLI prints it as a ``note:``);
- ``"compiled"``: compiled, or :class:`~ccrouter.sim.compiled.NotCompiled` naming them;
- ``"router"``: the router-driven engine.

>>> from ccrouter.sim.scenario import Scenario
>>> s = Scenario.from_dict({"horizon": 600, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [60]},
...     "handle": {"kind": "exponential", "mean": 60}}],
...     "agent_groups": [{"name": "g", "headcount": [2]}]})
>>> resolve_engine(s, "router")
('router', [])
>>> resolve_engine(s, "diesel")
Traceback (most recent call last):
...
ccrouter.errors.InvalidArgument: engine: expected one of 'auto', 'compiled', 'router', got 'diesel'
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np

from ccrouter.engine.routing.match import warmup as warm_kernels
from ccrouter.errors import InvalidArgument
from ccrouter.sim.compiled import NotCompiled, run_compiled, unsupported_features
from ccrouter.sim.compiled import warmup as warm_compiled
from ccrouter.sim.customers import Customers, self_service_counts
from ccrouter.sim.engine import Engine, RunOutput
from ccrouter.sim.metrics import ReplicationMetrics, compute_metrics
from ccrouter.sim.scenario import Scenario

__all__ = [
    "ENGINES",
    "EngineChoice",
    "EngineFallback",
    "Resolved",
    "replication_seed",
    "resolve_engine",
    "run_events",
    "run_metrics",
    "run_with_events",
    "warm_engine",
    "with_self_service",
]

EngineChoice = Literal["auto", "compiled", "router"]
"""What a caller may ask for."""
Resolved = Literal["compiled", "router"]
"""What actually runs."""
ENGINES: tuple[EngineChoice, ...] = ("auto", "compiled", "router")


class EngineFallback(UserWarning):
    """``engine="auto"`` ran a scenario on the router-driven engine because the compiled engine
    does not run some of its features (``features`` names them). Results are the same (the
    engines agree event for event); only the speed differs.

    Silence it with ``warnings.simplefilter("ignore", EngineFallback)``, or turn it into an
    error with ``"error"`` (or ask for ``engine="compiled"``, which raises ``NotCompiled``).
    """

    features: list[str]

    def __init__(self, message: str, features: Sequence[str] = ()) -> None:
        # (message, features), not (features): the warnings machinery may rebuild a warning
        # from its text alone (``category(str(message))``).
        super().__init__(message)
        self.features = list(features)

    @classmethod
    def naming(cls, features: Sequence[str]) -> EngineFallback:
        """The warning for these features, with its one-line message."""
        text = "running on the router-driven engine; not compiled: " + ", ".join(features)
        return cls(text, features)


def resolve_engine(
    scenario: Scenario, engine: str = "auto", *, warn: bool = True
) -> tuple[Resolved, list[str]]:
    """The engine that runs ``scenario`` when ``engine`` is asked for, and the features that
    made ``"auto"`` fall back (empty otherwise).

    Args:
        scenario: the model.
        engine: ``"auto"``, ``"compiled"`` or ``"router"``.
        warn: under ``"auto"``, warn :class:`EngineFallback` when falling back.

    Returns:
        ``(engine that runs, unsupported features)``.

    Raises:
        InvalidArgument: ``engine`` is not one of :data:`ENGINES`.
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
    """
    if engine not in ENGINES:
        choices = ", ".join(repr(e) for e in ENGINES)
        raise InvalidArgument(f"engine: expected one of {choices}, got {engine!r}")
    if engine == "router":
        return "router", []
    missing = unsupported_features(scenario)
    if not missing:
        return "compiled", []
    if engine == "compiled":
        raise NotCompiled(missing)
    if warn:
        # stacklevel 3: point at the caller of simulate()/staff_search(), not at this helper.
        warnings.warn(EngineFallback.naming(missing), stacklevel=3)
    return "router", missing


def warm_engine(engine: Resolved) -> float:
    """Compile (or load from Numba's disk cache) the kernels ``engine`` needs, in this process;
    the seconds it took. Called before a fan-out, so that workers load the cached machine code
    instead of each compiling it."""
    start = time.perf_counter()
    warm_kernels()  # the routing kernels: the router-driven engine's selection
    if engine == "compiled":
        warm_compiled()
    return time.perf_counter() - start


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``index`` of root ``seed`` (the same for both engines
    and every executor: common random numbers)."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def run_metrics(
    scenario: Scenario, seed: int, index: int, engine: Resolved, backend: str | None = None
) -> ReplicationMetrics:
    """Replication ``index`` of ``scenario`` on ``engine``: its metrics (no events kept on the
    compiled engine)."""
    stream = replication_seed(seed, index)
    if engine == "compiled":
        run = run_compiled(scenario, stream)
        return with_self_service(scenario, run.metrics(), run.drawn)
    out = Engine(scenario, stream, backend=backend).run()
    metrics = compute_metrics(scenario, out.events, out.agent_group, out.customers, out.dials)
    return with_self_service(scenario, metrics, out.drawn)


def with_self_service(
    scenario: Scenario, metrics: ReplicationMetrics, drawn: list[Customers]
) -> ReplicationMetrics:
    """``metrics`` with the self-service counts of the run's draw (unchanged without a
    self-service stage): the same whichever engine ran, as they come from the draw."""
    per_interval, overall = self_service_counts(scenario, drawn)
    if not per_interval:
        return metrics
    return msgspec.structs.replace(metrics, self_service=per_interval, self_service_overall=overall)


def run_events(
    scenario: Scenario, seed: int, index: int, engine: Resolved, backend: str | None = None
) -> RunOutput:
    """Replication ``index`` of ``scenario`` on ``engine``, with its events (for verifying,
    explaining or exporting a run)."""
    stream = replication_seed(seed, index)
    if engine == "compiled":
        return run_compiled(scenario, stream, keep_events=True).output()
    return Engine(scenario, stream, backend=backend).run()


def run_with_events(
    scenario: Scenario, seed: int, index: int, engine: Resolved, backend: str | None = None
) -> tuple[ReplicationMetrics, RunOutput]:
    """Replication ``index`` on ``engine``: its metrics (the compiled engine's own, from its
    records) and its events."""
    stream = replication_seed(seed, index)
    if engine == "compiled":
        run = run_compiled(scenario, stream, keep_events=True)
        return with_self_service(scenario, run.metrics(), run.drawn), run.output()
    out = Engine(scenario, stream, backend=backend).run()
    metrics = compute_metrics(scenario, out.events, out.agent_group, out.customers, out.dials)
    return with_self_service(scenario, metrics, out.drawn), out
