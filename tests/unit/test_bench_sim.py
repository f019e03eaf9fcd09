"""The simulation benchmark: its multi-skill centers are the model the docstring describes, its
JSON keys are stable, and a model the compiled engine does not run is reported as such (never a
figure, never a goal met)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from benchmarks import bench_sim
from benchmarks.sim_centers import multiskill_center, offered_load

from ccrouter.sim.engine import Engine
from ccrouter.sim.metrics import compute_metrics
from ccrouter.sim.scenario import Scenario
from ccrouter.sim.staffing_bound import eligible


def test_centers_have_the_described_shape() -> None:
    s = multiskill_center(1000, 20)
    assert len(s.agent_groups) == 20 and sum(g.headcount[0] for g in s.agent_groups) == 1000
    assert {len(g.skills) for g in s.agent_groups} == {3}
    assert s.horizon == 8 * 3600 and s.n_intervals == 16
    assert offered_load(s) / 1000 == pytest.approx(0.9)
    singles = [ct for ct in s.call_types if len(ct.skills) == 1]
    pairs = [ct for ct in s.call_types if len(ct.skills) == 2]
    assert len(singles) == 20 and len(pairs) == 10
    for ct in s.call_types:
        groups = [g for g in s.agent_groups if eligible(ct, g)]
        assert len(groups) == (3 if ct in singles else 2), ct.name
    assert {s.router_config().queue(ct.queue).strategy for ct in s.call_types} == {
        "longest_idle",
        "most_skilled",
    }
    big = multiskill_center(10_000, 100)
    assert len(big.call_types) == 150 and offered_load(big) / 10_000 == pytest.approx(0.9)
    with pytest.raises(ValueError, match="dividing agents"):
        multiskill_center(1001, 20)


def _tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_sim, "SIZES", dict.fromkeys(bench_sim.SIZES, (400, 400)))
    monkeypatch.setattr(bench_sim, "CENTERS", {"center_1000x20": (40, 4, 50.0, 0.05, 0.05)})
    monkeypatch.setattr(bench_sim, "EXAMPLE_REPLICATIONS", {"router": (1, 1), "compiled": (1, 1)})


def test_a_model_not_compiled_is_reported_never_faked(monkeypatch: pytest.MonkeyPatch) -> None:
    _tiny(monkeypatch)
    monkeypatch.setattr(bench_sim, "unsupported_features", lambda s: ["widening steps"])
    out = bench_sim.run(smoke=True)
    assert set(out) == {"repeats", "compile", *bench_sim.SECTIONS}
    not_compiled = {"not_compiled": ["widening steps"]}
    assert out["mm50"]["compiled"] == not_compiled and out["mm50"]["goal_met"] is False
    assert "speedup_vs_ciw" not in out["mm50"] and out["mm50"]["moonshot_met"] is False
    center = out["centers"]["center_1000x20"]
    assert center["compiled"] == not_compiled and center["goal_met"] is False
    assert center["router"]["customers_per_second"] > 0
    for entry in out["examples"].values():
        assert entry["compiled"] == not_compiled and "speedup" not in entry
        assert entry["router"]["customers"] > 0
    assert out["memory"]["compiled"] == not_compiled and out["memory"]["goal_met"] is False
    assert out["memory"]["router"]["peak_bytes_per_customer"] > 0


class _Run:
    """The router-driven run standing in for a compiled one (the plumbing is under test)."""

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence) -> None:
        out = Engine(scenario, seed).run()
        self._metrics = compute_metrics(scenario, out.events, out.agent_group, out.customers)
        self.records = np.zeros(out.customers, dtype=np.int64)  # 8 bytes a customer

    def metrics(self) -> Any:
        return self._metrics


def test_compiled_figures_and_goals(monkeypatch: pytest.MonkeyPatch) -> None:
    _tiny(monkeypatch)
    monkeypatch.setattr(bench_sim, "unsupported_features", lambda s: [])
    monkeypatch.setattr(bench_sim, "run_compiled", _Run)
    out = bench_sim.run(smoke=True, repeats=2, only=["mm50", "centers", "memory"])
    assert set(out) == {"repeats", "compile", "mm50", "centers", "memory"} and out["repeats"] == 2
    mm50 = out["mm50"]
    compiled = mm50["compiled"]
    assert compiled["runs"] == 2 and compiled["customers"] > 300
    low, high = compiled["customers_per_second_range"]
    assert low <= compiled["customers_per_second"] <= high
    assert {"p_wait_error", "mean_wait_relative_error", "run_only_customers_per_second"} <= set(
        compiled
    )
    if "ciw" in mm50:
        ratio = compiled["customers_per_second"] / mm50["ciw"]["customers_per_second"]
        assert mm50["speedup_vs_ciw"] == round(ratio, 2)
        assert mm50["goal_met"] == (mm50["speedup_vs_ciw"] >= 30.0)
    center = out["centers"]["center_1000x20"]
    assert center["goal_met"] == (center["compiled"]["customers_per_second"] >= 50.0)
    memory = out["memory"]["compiled"]
    assert memory["record_bytes_per_customer"] == 8.0
