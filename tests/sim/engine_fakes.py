"""A stand-in for the compiled engine, for testing the plumbing around it.

``fake_compiled(monkeypatch)`` makes every scenario "supported" and answers ``run_compiled``
with the router-driven engine's run (so its events are the reference's by construction);
``mutate`` may alter the decoded events to check that a difference is caught.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import ccrouter.sim.engines as engines
from ccrouter.events import Event
from ccrouter.sim.engine import Engine, RunOutput
from ccrouter.sim.metrics import ReplicationMetrics, compute_metrics
from ccrouter.sim.scenario import Scenario

Mutate = Callable[[list[Event]], list[Event]]


class FakeRun:
    """The router-driven run dressed as a ``CompiledRun``."""

    def __init__(self, scenario: Scenario, out: RunOutput, keep_events: bool) -> None:
        self.scenario = scenario
        self._out = out
        self.customers = out.customers
        self.agent_group = out.agent_group
        self.dials = out.dials
        self.drawn = out.drawn
        self.events = out.events if keep_events else None
        self.n_events = len(out.events)

    def metrics(self) -> ReplicationMetrics:
        out = self._out
        return compute_metrics(self.scenario, out.events, out.agent_group, out.customers, out.dials)

    def output(self) -> RunOutput:
        assert self.events is not None
        return RunOutput(self.events, self.agent_group, self.customers, self.dials, self.drawn)


class Calls:
    """What the fake saw: runs (keep_events flags) and warm-ups."""

    def __init__(self) -> None:
        self.runs: list[bool] = []
        self.warmups = 0


def fake_compiled(monkeypatch: pytest.MonkeyPatch, mutate: Mutate | None = None) -> Calls:
    calls = Calls()

    def run_compiled(
        scenario: Scenario, seed: np.random.SeedSequence, *, keep_events: bool = False
    ) -> FakeRun:
        calls.runs.append(keep_events)
        out = Engine(scenario, seed).run()
        if mutate is not None:
            events = mutate(list(out.events))
            out = RunOutput(events, out.agent_group, out.customers, out.dials, out.drawn)
        return FakeRun(scenario, out, keep_events)

    def warmup() -> float:
        calls.warmups += 1
        return 0.0

    monkeypatch.setattr(engines, "unsupported_features", lambda scenario: [])
    monkeypatch.setattr(engines, "run_compiled", run_compiled)
    monkeypatch.setattr(engines, "warm_compiled", warmup)
    return calls


def not_compiled(monkeypatch: pytest.MonkeyPatch, features: list[str]) -> None:
    """Make the compiled engine refuse every scenario, naming ``features``."""
    monkeypatch.setattr(engines, "unsupported_features", lambda scenario: list(features))
