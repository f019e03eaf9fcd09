"""Simulated outcomes: agent groups' handle-time factors and outcome draws (router engine)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ccrouter.events import InteractionCompleted, OfferAccepted, OutcomeRecorded
from ccrouter.sim import Scenario
from ccrouter.sim.compiled import unsupported_features
from ccrouter.sim.engine import Engine
from ccrouter.sim.scenario import ScenarioError


def scenario(strategy: str = "longest_idle", **router: Any) -> Scenario:
    queue: dict[str, Any] = {"strategy": strategy}
    if strategy == "performance":
        queue["performance"] = {"kpi": "satisfaction"}
    return Scenario.from_dict(
        {
            "horizon": 4 * 3600,
            "call_types": [
                {
                    "name": "sales",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [40]},
                    "handle": {"kind": "exponential", "mean": 180},
                },
            ],
            "agent_groups": [
                {
                    "name": "good",
                    "headcount": [2],
                    "performance": {
                        "sales": {
                            "handle_factor": 0.5,
                            "resolved": 0.9,
                            "satisfaction": {"kind": "deterministic", "value": 4.5},
                            "sale": 0.5,
                            "sale_value": {"kind": "deterministic", "value": 100},
                        }
                    },
                },
                {
                    "name": "plain",
                    "headcount": [4],
                    "performance": {
                        "*": {
                            "handle_factor": 2.0,
                            "resolved": 0.5,
                            "satisfaction": {"kind": "deterministic", "value": 0},
                        }
                    },
                },
            ],
            "router": {"queues": {"default": queue}, "performance": {"prior_weight": 5}},
            **router,
        }
    )


def _per_group(events: list[Any], groups: dict[str, str]) -> dict[str, dict[str, list[float]]]:
    accepted: dict[str, float] = {}
    out: dict[str, dict[str, list[float]]] = {}
    for e in events:
        if isinstance(e, OfferAccepted):
            accepted[e.interaction_id] = e.at
        elif isinstance(e, InteractionCompleted):
            g = out.setdefault(groups[e.agent_id], {"handle": [], "sat": [], "resolved": []})
            g["handle"].append(e.at - accepted[e.interaction_id])
        elif isinstance(e, OutcomeRecorded):
            g = out[groups[e.agent_id]]
            g["sat"].append(e.satisfaction or 0.0)
            g["resolved"].append(float(bool(e.resolved)))
    return out


def test_groups_handle_and_resolve_as_declared() -> None:
    s = scenario()
    run = Engine(s, np.random.SeedSequence(3)).run()
    per = _per_group(run.events, run.agent_group)
    good, plain = per["good"], per["plain"]
    assert np.mean(good["handle"]) < 0.5 * np.mean(plain["handle"])  # factors 0.5 against 2
    assert set(good["sat"]) == {4.5} and set(plain["sat"]) == {1.0}  # 0 clipped to the range
    assert np.mean(good["resolved"]) > np.mean(plain["resolved"])
    assert len(good["sat"]) == len(good["handle"])  # one outcome per contact
    values = [e.value for e in run.events if isinstance(e, OutcomeRecorded) and e.value]
    assert values and set(values) == {100.0}


def test_the_same_seed_gives_the_same_run_and_the_compiled_engine_declines() -> None:
    s = scenario("performance")
    a = Engine(s, np.random.SeedSequence(5)).run()
    b = Engine(s, np.random.SeedSequence(5)).run()
    assert a.events == b.events
    assert "agent group performance (handle factors, outcomes)" in unsupported_features(s)
    assert "strategy performance" in unsupported_features(s)


def test_performance_routing_sends_more_work_to_the_better_group() -> None:
    def share_good(strategy: str) -> float:
        run = Engine(scenario(strategy), np.random.SeedSequence(8)).run()
        served = [run.agent_group[e.agent_id] for e in run.events
                  if isinstance(e, InteractionCompleted)]  # fmt: skip
        return served.count("good") / len(served)

    assert share_good("performance") > share_good("longest_idle") + 0.05


def test_unknown_call_types_in_performance_are_refused() -> None:
    with pytest.raises(ScenarioError, match=r"performance\.nope"):
        Scenario.from_dict(
            {
                "horizon": 60,
                "call_types": [{"name": "c", "arrivals": {"kind": "poisson", "rates_per_hour": [1]},
                                "handle": {"kind": "exponential", "mean": 10}}],
                "agent_groups": [{"name": "g", "headcount": [1],
                                  "performance": {"nope": {"handle_factor": 2}}}],
            }
        )  # fmt: skip


def test_the_study_runs_and_pairs_every_policy_with_longest_idle() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "simulations" / "performance_study.py"
    spec = importlib.util.spec_from_file_location("performance_study", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.study(2, hours=1.0)
    assert set(result) == set(module.POLICIES)
    base = result["longest_idle"]
    assert base["fcr_vs_longest_idle"].mean == 0.0  # paired with itself
    for row in result.values():
        assert 0.5 < row["fcr"].mean < 1.0 and row["asa"].n == 2
