"""The time-driven queue policies' table is whole: each policy module states everything the
state, the invariants and the snapshot codec need to know about it."""

from __future__ import annotations

from ccrouter.config import RouterConfig
from ccrouter.engine.policies import POLICIES, POLICY_TIMERS
from ccrouter.engine.records import Interaction


def test_a_policy_that_watches_work_says_which() -> None:
    for policy in POLICIES:
        assert (policy.watch is None) == (policy.watches is None), policy.kind


def test_kinds_are_unique_and_listed() -> None:
    assert sorted(p.kind for p in POLICIES) == list(POLICY_TIMERS)


def test_max_wait_no_agents_watches_live_callers_of_its_queues_only() -> None:
    (policy,) = [p for p in POLICIES if p.watches is not None]
    config = RouterConfig.from_dict({"queues": {"a": {"max_wait_no_agents": 30.0}, "b": {}}})
    live = Interaction(
        interaction_id="c1",
        channel="voice",
        queue="a",
        skills={},
        priority=0,
        customer_id=None,
        attributes={},
        arrived_at=0.0,
        queued_seq=1,
    )
    assert policy.watches(live, config.queue("a"))
    assert not policy.watches(live, config.queue("b"))
    live.callback = True
    assert not policy.watches(live, config.queue("a"))
