"""Focused equality tests of the compiled engine, one section per feature it gained after
the first release of the engine: queue agent groups, widening steps, ``max_wait_no_agents``.

Each scenario is small and chosen to hit the feature's edges (ties at one instant, nobody
able, steps at 0 s, ...); ``assert_same_run`` compares both engines event for event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from test_compiled_equality import assert_same_run

from ccrouter.events import AgentLoggedIn, InteractionOffered
from ccrouter.sim import Engine, Scenario
from ccrouter.sim.compiled import unsupported_features


def _center(queues: dict[str, Any], call_types: list[dict[str, Any]], **extra: Any) -> Scenario:
    """Two agent groups (``a``: skill x, ``b``: skills x and y) on ``queues``."""
    return Scenario.from_dict(
        {
            "horizon": 1800,
            "call_types": call_types,
            "agent_groups": [
                {"name": "a", "skills": {"x": 2}, "headcount": [2]},
                {"name": "b", "skills": {"x": 1, "y": 3}, "headcount": [1]},
            ],
            "router": {"queues": queues},
            **extra,
        }
    )


def _call(name: str, queue: str, rate: float = 90.0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "queue": queue,
        "arrivals": {"kind": "poisson", "rates_per_hour": [rate]},
        "handle": {"kind": "exponential", "mean": 100},
        "patience": {"kind": "exponential", "mean": 200},
        **extra,
    }


def _events(scenario: Scenario, seed: int) -> list[Any]:
    return Engine(scenario, np.random.SeedSequence(seed)).run().events


# --- queue agent groups -------------------------------------------------------------------------


def test_queue_groups_equal_and_limit_the_agents() -> None:
    scenario = _center(
        {"qa": {"groups": ["a"]}, "qb": {"groups": ["b", "a"], "strategy": "random"}},
        [_call("ca", "qa"), _call("cb", "qb", skills={"y": 1})],
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    events = _events(scenario, 0)
    logins = [e for e in events if isinstance(e, AgentLoggedIn)]
    assert logins and all(e.groups == [e.agent_id.split("-")[0]] for e in logins)
    offers = [e for e in events if isinstance(e, InteractionOffered)]
    # qa's work goes to group a only; qb's (skill y) only b can take
    assert {e.agent_id[0] for e in offers if e.interaction_id.startswith("ca")} == {"a"}
    assert {e.agent_id[0] for e in offers if e.interaction_id.startswith("cb")} == {"b"}


def test_queue_group_nobody_has_waits_until_it_leaves() -> None:
    """A queue limited to a group no agent is in: its work is never offered (equal runs)."""
    scenario = _center({"q": {"groups": ["nobody"]}, "r": {}}, [_call("c", "q"), _call("d", "r")])
    assert_same_run(scenario, 1)
    offers = [e for e in _events(scenario, 1) if isinstance(e, InteractionOffered)]
    assert offers and not any(e.interaction_id.startswith("c-") for e in offers)


def test_queue_groups_same_time_arrivals_and_overflow() -> None:
    """Arrivals at one instant into queues with different groups, overflowing into a queue
    with other groups (the work keeps its skills, takes the new queue's groups)."""
    times = [0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 30.0, 30.0]
    trace = {"kind": "trace", "times": times}
    scenario = _center(
        {
            "q": {"groups": ["b"], "max_wait": 10.0, "overflow_to": "r"},
            "r": {"groups": ["a"], "strategy": "most_skilled"},
        },
        [{**_call("c", "q"), "arrivals": trace}, {**_call("d", "r"), "arrivals": trace}],
        ring_delay={"kind": "deterministic", "value": 2.0},
    )
    for seed in range(3):
        assert_same_run(scenario, seed)
