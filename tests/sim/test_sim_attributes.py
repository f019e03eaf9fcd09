"""Attributes in scenarios (issue 16, point 7): call types send interaction attributes drawn
from their own named streams, agent groups log in with agent attributes, selectors and
``order_by`` run in simulation as live; the compiled engine names them as not compiled."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np
import pytest

from ccrouter.events import InteractionOffered, InteractionQueued
from ccrouter.sim import EngineFallback, NotCompiled, Scenario, simulate
from ccrouter.sim.attributes import draw, parse_spec
from ccrouter.sim.compiled import FEATURES, unsupported_features
from ccrouter.sim.engine import Engine
from ccrouter.sim.scenario import ScenarioError


def _scenario(**call_extra: Any) -> dict[str, Any]:
    return {
        "horizon": 3600,
        "interval": 3600,
        "call_types": [
            {
                "name": "calls",
                "arrivals": {"kind": "poisson", "rates_per_hour": [200]},
                "handle": {"kind": "exponential", "mean": 60},
                "patience": {"kind": "exponential", "mean": 120},
                **call_extra,
            }
        ],
        "agent_groups": [{"name": "team", "headcount": [4]}],
    }


TIERS = {"tier": {"gold": 0.1, "silver": 0.3, "bronze": 0.6}}


def _run(data: dict[str, Any], seed: int = 3) -> list[Any]:
    return Engine(Scenario.from_dict(data), np.random.SeedSequence(seed)).run().events


def test_a_tier_mix_is_drawn_with_its_weights_and_passed_at_submit() -> None:
    events = _run(_scenario(attributes={**TIERS, "lang": "fr"}))
    queued = [e for e in events if isinstance(e, InteractionQueued)]
    assert len(queued) > 120
    tiers = Counter(e.attributes["tier"] for e in queued)
    assert set(tiers) == {"gold", "silver", "bronze"}
    assert tiers["bronze"] > tiers["silver"] > tiers["gold"]
    assert all(e.attributes["lang"] == "fr" for e in queued)  # a constant


def test_attributes_have_their_own_streams_so_other_draws_do_not_change() -> None:
    # Arrivals, handle times and patience come out the same with or without attributes, and
    # adding a second attribute leaves the first one's draws alone.
    plain = _run(_scenario())
    tiered = _run(_scenario(attributes=TIERS))
    both = _run(_scenario(attributes={**TIERS, "value": {"kind": "uniform", "low": 1, "high": 9}}))

    def strip(events: list[Any]) -> list[tuple[Any, ...]]:
        return [(e.kind, e.seq, e.at, getattr(e, "interaction_id", None)) for e in events]

    assert strip(plain) == strip(tiered) == strip(both)
    first = [e.attributes["tier"] for e in tiered if isinstance(e, InteractionQueued)]
    again = [e.attributes["tier"] for e in both if isinstance(e, InteractionQueued)]
    assert first == again
    values = [e.attributes["value"] for e in both if isinstance(e, InteractionQueued)]
    assert all(1 <= v <= 9 and isinstance(v, float) for v in values)


def test_numbers_from_a_distribution_can_be_whole() -> None:
    spec = parse_spec({"kind": "uniform", "low": 1, "high": 5, "round": True}, "$.x")
    values = draw(spec, np.random.default_rng(0), 200)
    assert {type(v) for v in values} == {int} and set(values) == {1, 2, 3, 4, 5}
    mix = parse_spec({"values": [1, 3], "weights": [1, 0]}, "$.x")
    assert draw(mix, np.random.default_rng(0), 5) == [1] * 5  # weight 0: never drawn


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"gold": -1}, r"weights >= 0.*call_types\[0\]\.attributes\.tier"),
        ({"gold": 0}, "positive sum"),
        ({"values": [1, 2], "weights": [1]}, "as many weights as values"),
        ({"kind": "poisson"}, "expected a distribution"),
        ({"kind": "uniform", "low": 2, "high": 1}, r"attributes\.tier\.high"),
        ({"kind": "exponential", "mean": 1, "round": "yes"}, "true or false"),
    ],
)
def test_bad_attribute_specs_are_scenario_errors_naming_the_field(raw: Any, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        Scenario.from_dict(_scenario(attributes={"tier": raw}))


def test_agent_selector_runs_in_simulation() -> None:
    # Only gold calls may go to the "senior" queue's selector... expressed over the agents: the
    # queue takes agents with level >= 3, and the group has none, so nothing is answered.
    data = _scenario()
    data["router"] = {
        "queues": {"default": {"agent_selector": "agent.level >= 3"}},
        "attributes": {"agent.level": "int"},
    }
    events = _run(data)
    assert not any(isinstance(e, InteractionOffered) for e in events)
    assert any(isinstance(e, InteractionQueued) for e in events)


def test_the_compiled_engine_names_attributes_and_selectors_as_not_compiled() -> None:
    data = _scenario(attributes=TIERS)
    data["router"] = {
        "queues": {"default": {"strategy": "order_by", "order_by": "agent.level desc",
                               "agent_selector": "agent.level >= 0 or agent.level == null"}},
        "attributes": {"agent.level": "int"},
    }  # fmt: skip
    data["agent_groups"][0]["attributes"] = {"level": {"values": [1, 4], "weights": [1, 1]}}
    scenario = Scenario.from_dict(data)
    found = unsupported_features(scenario)
    assert found == [
        "strategy order_by", "agent selectors", "call type attributes", "agent attributes"
    ]  # fmt: skip
    assert all(FEATURES[name] is False for name in found)
    with pytest.raises(NotCompiled) as info:
        simulate(scenario, 1, engine="compiled")
    assert info.value.features == found


def test_auto_falls_back_to_the_router_for_attributes_with_a_note() -> None:
    scenario = Scenario.from_dict(_scenario(attributes=TIERS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = simulate(scenario, 1, seed=4)
    notes = [w for w in caught if issubclass(w.category, EngineFallback)]
    assert len(notes) == 1 and "call type attributes" in str(notes[0].message)
    assert result.engine == "router" and result.not_compiled == ["call type attributes"]


def test_agent_groups_log_in_with_attributes_and_selectors_pick_among_them() -> None:
    # Seniors (level 4) and juniors (level 1); gold calls need level >= 3 by a step-0 selector
    # on their queue, so every gold call is answered by a senior; agents' attributes are drawn
    # per agent from their own stream (a mix), and recorded at login.
    data = _scenario(attributes=TIERS)
    data["call_types"][0]["queue"] = "gold"
    data["router"] = {
        "queues": {"gold": {"agent_selector": "agent.level >= 3"}},
        "attributes": {"agent.level": "int", "agent.team": "str"},
    }
    data["agent_groups"] = [
        {"name": "team", "headcount": [6], "attributes": {
            "level": {"values": [1, 4], "weights": [1, 1]}, "team": "north"}},
    ]  # fmt: skip
    events = _run(data)
    logins = {e.agent_id: e.attributes for e in events if e.kind == "agent_logged_in"}
    assert {a["team"] for a in logins.values()} == {"north"}
    assert {a["level"] for a in logins.values()} == {1, 4}
    offered = [e.agent_id for e in events if isinstance(e, InteractionOffered)]
    assert offered and all(logins[a]["level"] == 4 for a in offered)
    # Same seed, same agents' attributes and the same run.
    assert [e.kind for e in _run(data)] == [e.kind for e in events]
