"""One compiled replication: its result object, and the entry points."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ccrouter.errors import InvalidArgument, SimulationError
from ccrouter.events import Event
from ccrouter.sim.compiled import _layout as lay
from ccrouter.sim.compiled._engine import run_loop
from ccrouter.sim.compiled.decode import decode
from ccrouter.sim.compiled.metrics import record_metrics
from ccrouter.sim.compiled.pack import Capacities, Packed, new_state, pack
from ccrouter.sim.compiled.support import NotCompiled, unsupported_features
from ccrouter.sim.customers import Customers
from ccrouter.sim.engine import RunOutput, source_rng
from ccrouter.sim.metrics import ReplicationMetrics
from ccrouter.sim.scenario import Scenario

__all__ = ["CompiledRun", "finished_state", "run_compiled", "warmup"]


class CompiledRun:
    """What one compiled replication produced: its event records (compact arrays), decoded
    to the router's events on demand.

    Attributes:
        customers: first attempts (as ``RunOutput.customers``).
        agent_group: agent id to its group (as ``RunOutput.agent_group``).
        dials: the dialer's attempts per campaign (as ``RunOutput.dials``).
        drawn: the customers drawn (as ``RunOutput.drawn``).
        events: the decoded router events when the run kept them, else ``None``.
        n_events: how many events the router would have logged.
    """

    customers: int
    agent_group: dict[str, str]
    dials: dict[str, list[tuple[float, bool]]]
    events: list[Event] | None
    n_events: int

    def __init__(
        self,
        scenario: Scenario,
        state: Any,
        queues: list[str],
        *,
        keep_events: bool,
        drawn: list[Customers] | None = None,
    ) -> None:
        self.scenario = scenario
        self.drawn = drawn if drawn is not None else []
        self._state = state
        self._queues = queues
        self.customers = int(state.cnt[lay.N_CUSTOMERS])
        self.n_events = int(state.cnt[lay.N_EV])
        n_agents = int(state.cnt[lay.N_AGENTS])
        names = [g.name for g in scenario.agent_groups]
        groups = state.A[:n_agents, lay.A_GROUP].tolist()
        self._agent_ids = [f"{names[g]}-{a + 1:04d}" for a, g in enumerate(groups)]
        self.agent_group = {aid: names[g] for aid, g in zip(self._agent_ids, groups, strict=True)}
        self.dials = {
            camp.name: [
                (float(t), bool(c))
                for t, c in zip(
                    state.dial_t[i, : state.cs[i, lay.CS_NEXT]].tolist(),
                    state.dial_c[i, : state.cs[i, lay.CS_NEXT]].tolist(),
                    strict=True,
                )
            ]
            for i, camp in enumerate(scenario.campaigns)
        }
        self.events = decode(scenario, state, self.n_events) if keep_events else None

    def metrics(self) -> ReplicationMetrics:
        """The run's figures, equal to ``compute_metrics`` over the decoded events (folded by
        the kernel as it wrote each event: no event is decoded, none needs to be kept)."""
        return record_metrics(
            self.scenario,
            self._state,
            self._queues,
            self._agent_ids,
            self.agent_group,
            self.customers,
            self.dials,
        )

    def output(self) -> RunOutput:
        """The run as a :class:`~ccrouter.sim.engine.RunOutput` (needs ``keep_events=True``).

        Raises:
            InvalidArgument: the run was made with ``keep_events=False`` (also a ValueError).
        """
        if self.events is None:
            msg = "keep_events: expected True to build a RunOutput, the run kept no events"
            raise InvalidArgument(msg)
        return RunOutput(
            self.events, dict(self.agent_group), self.customers, self.dials, self.drawn
        )


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
    missing = unsupported_features(scenario)
    if missing:
        raise NotCompiled(missing)
    state, packed = finished_state(scenario, seed, keep_events=keep_events)
    return CompiledRun(scenario, state, packed.queues, keep_events=keep_events, drawn=packed.drawn)


def finished_state(
    scenario: Scenario, seed: np.random.SeedSequence, *, keep_events: bool
) -> tuple[Any, Packed]:
    """The run loop's final state for ``scenario`` (compiled features only: not checked here)
    and its packing, run again with more room each time a table overflows.

    Raises:
        SimulationError: the run kept running out of room.
    """
    factor, room = 1.5, 4096
    packed = pack(scenario, seed, factor, room)
    caps = Capacities(packed, keep_events=keep_events)
    for _ in range(40):
        state = new_state(packed, caps, keep_events=keep_events)
        # On-demand streams, fresh for every attempt: a repeated run draws the same numbers.
        flag = run_loop(
            state,
            packed.params,
            source_rng(seed, "retrials"),
            source_rng(seed, "ring_delay"),
        )
        if flag == 0:
            return state, packed
        if flag == lay.OV_CALLBACKS:
            factor *= 4
            packed = pack(scenario, seed, factor, room)
        elif flag == lay.OV_DIALS:
            room *= 4
            packed = pack(scenario, seed, factor, room)
        else:
            caps.grow(flag)
    msg = f"the compiled run kept running out of room (overflow code {flag})"
    raise SimulationError(msg)


def warmup() -> float:
    """Compile the kernels (or load them from Numba's disk cache); the seconds it took."""
    start = time.perf_counter()
    scenario = Scenario.from_dict(
        {
            "horizon": 600,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [120]},
                    "handle": {"kind": "exponential", "mean": 60},
                    "patience": {"kind": "exponential", "mean": 60},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [1]}],
        }
    )
    run_compiled(scenario, np.random.SeedSequence(0)).metrics()  # the run and the fold
    return time.perf_counter() - start
