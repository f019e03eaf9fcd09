"""One compiled replication: its result object, and the entry points."""

from __future__ import annotations

import numpy as np

from ccrouter.events import Event
from ccrouter.sim.compiled.support import NotCompiled, unsupported_features
from ccrouter.sim.engine import RunOutput
from ccrouter.sim.metrics import ReplicationMetrics, compute_metrics
from ccrouter.sim.scenario import Scenario

__all__ = ["CompiledRun", "run_compiled", "warmup"]


class CompiledRun:
    """What one compiled replication produced (the record arrays, decoded on demand)."""

    customers: int
    agent_group: dict[str, str]
    dials: dict[str, list[tuple[float, bool]]]
    events: list[Event] | None
    n_events: int

    def __init__(
        self,
        scenario: Scenario,
        *,
        customers: int,
        agent_group: dict[str, str],
        dials: dict[str, list[tuple[float, bool]]],
        events: list[Event] | None,
        n_events: int,
    ) -> None:
        self.scenario = scenario
        self.customers = customers
        self.agent_group = agent_group
        self.dials = dials
        self.events = events
        self.n_events = n_events

    def metrics(self) -> ReplicationMetrics:
        """The run's figures, equal to ``compute_metrics`` over the decoded events."""
        if self.events is None:
            msg = "metrics without kept events are not built yet"
            raise NotCompiled([msg])
        return compute_metrics(
            self.scenario, self.events, self.agent_group, self.customers, self.dials
        )

    def output(self) -> RunOutput:
        """The run as a :class:`~ccrouter.sim.engine.RunOutput` (needs ``keep_events=True``).

        Raises:
            ValueError: the run was made with ``keep_events=False``.
        """
        if self.events is None:
            msg = "keep_events: expected True to build a RunOutput, the run kept no events"
            raise ValueError(msg)
        return RunOutput(self.events, dict(self.agent_group), self.customers, self.dials)


def run_compiled(
    scenario: Scenario, seed: np.random.SeedSequence, *, keep_events: bool = False
) -> CompiledRun:
    """One replication of ``scenario`` with the random streams of ``seed``, entirely compiled.

    Args:
        scenario: the scenario to run.
        seed: the replication's seed sequence (the same streams as the router-driven engine).
        keep_events: decode and keep the router events (for verifying, explaining, export).

    Returns:
        The run's records, metrics and (if asked) events.

    Raises:
        NotCompiled: the scenario uses features the compiled engine does not run.
    """
    del seed, keep_events
    missing = unsupported_features(scenario)
    raise NotCompiled(missing or ["compiled engine not built"])


def warmup() -> float:
    """Compile the kernels (or load them from Numba's disk cache); the seconds it took."""
    return 0.0
