"""Experiments: a queue's work split between two routings, the arm recorded, the report."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.experiments import arm_of
from ccrouter.errors import ConfigError, InvalidArgument
from ccrouter.events import ExperimentAssigned
from ccrouter.stats import experiment_report


def config(**experiment: Any) -> RouterConfig:
    exp = {"name": "e1", "arm_b": {"strategy": "most_skilled"}, **experiment}
    return RouterConfig.from_dict({"queues": {"default": {"experiment": exp}}})


def test_a_stable_hash_splits_by_share_and_salted_by_name() -> None:
    q = config(share=0.3).queues["default"]
    arms = [arm_of(q, f"c{i}", 0.0) for i in range(4000)]
    assert 0.27 < arms.count("b") / len(arms) < 0.33
    assert arms == [arm_of(q, f"c{i}", 99.0) for i in range(4000)]  # not by time
    other = config(name="e2", share=0.3).queues["default"]
    assert arms != [arm_of(other, f"c{i}", 0.0) for i in range(4000)]


def test_time_slices_alternate() -> None:
    q = config(split="time", slice=60).queues["default"]
    assert [arm_of(q, "c", t) for t in (0, 59.9, 60, 119, 120)] == ["a", "a", "b", "b", "a"]


def test_each_arm_routes_by_its_own_strategy_and_the_arm_is_recorded() -> None:
    r = Router(config(split="time", slice=100), backend="python")
    r.login("low", skills={"x": 1}, at=0)  # idle longest
    r.login("high", skills={"x": 9}, at=0)  # the most skilled
    r.ready("low", at=0)
    r.ready("high", at=1)
    events = r.submit("a1", channel="voice", skills={"x": 1}, at=10)
    assert [e.arm for e in events if isinstance(e, ExperimentAssigned)] == ["a"]
    assert r.interaction("a1").agent_id == "low"  # arm a: longest idle
    r.abandon("a1", at=11)
    events = r.submit("b1", channel="voice", skills={"x": 1}, at=150)
    assert [e.arm for e in events if isinstance(e, ExperimentAssigned)] == ["b"]
    assert r.interaction("b1").agent_id == "high"  # arm b: most skilled
    assert r.explain("b1").strategy == "most_skilled"
    assert Router.replay(r.events, r.config).state_digest() == r.state_digest()


def test_arm_b_settings_must_make_a_valid_queue() -> None:
    with pytest.raises(ConfigError, match="arm_b"):
        config(arm_b={"wrap_up": 3})
    with pytest.raises(ConfigError, match="a `performance` section"):
        config(arm_b={"strategy": "performance", "performance": {"kpi": "fcr"}})
    with pytest.raises(ConfigError, match="set exactly when strategy is 'order_by'"):
        config(arm_b={"strategy": "order_by"})


def test_the_report_compares_the_arms_with_intervals() -> None:
    r = Router(config(split="time", slice=1000), backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    t = 0.0
    for i in range(40):  # arm a (slice 0): waits 5 s, satisfaction 3; arm b: 1 s, 4
        t = 0.0 + i * 20 if i < 20 else 1000.0 + (i - 20) * 20
        wait, score = (5.0, 3 + (i % 2) * 0.5) if i < 20 else (1.0, 4 + (i % 2) * 0.5)
        r.not_ready("ann", reason="x", at=t)
        r.submit(f"c{i}", channel="voice", at=t)
        r.ready("ann", at=t + wait - 0.5)
        r.accept(f"c{i}", at=t + wait)
        r.complete(f"c{i}", at=t + 10, outcome={"satisfaction": score})
    report = experiment_report(r.events, "e1", kpi="satisfaction", service_level_seconds=2)
    a, b = report.arms["a"], report.arms["b"]
    assert (a.assigned, b.assigned, a.answered, a.lost) == (20, 20, 20, 0)
    assert a.asa.mean == pytest.approx(5.0) and b.asa.mean == pytest.approx(1.0)
    assert a.kpi.mean == pytest.approx(3.25) and b.kpi.mean == pytest.approx(4.25)
    assert a.service_level.mean == 0.0 and b.service_level.mean == 1.0
    lift = report.kpi_lift
    assert lift.diff == pytest.approx(1.0)
    assert lift.low is not None and lift.high is not None and 0 < lift.low < 1.0 < lift.high
    assert report.asa_cost.diff == pytest.approx(-4.0)
    with pytest.raises(InvalidArgument, match="kpi must be one of"):
        experiment_report(r.events, "e1", kpi="speed")
    empty = experiment_report(r.events, "nope")
    assert empty.arms["a"].assigned == 0 and empty.kpi_lift.diff is None
