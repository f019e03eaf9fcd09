"""Batch matching (issue 6, point 12) through the router: work waits for ``match()``, which
assigns all of it to all free agents in one optimal step. Hand-worked expectations, on both
backends."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.events import InteractionOffered


@pytest.fixture(params=["numba", "python"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(backend: str, **config: Any) -> Router:
    return Router(RouterConfig.from_dict({"matching": "batch", **config}), backend=backend)


def offers(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.interaction_id, e.agent_id) for e in events if isinstance(e, InteractionOffered)]


def same_after_replay(router: Router) -> None:
    router.check()
    replayed = Router.replay(router.events, router.config, backend=router.backend)
    assert replayed.state_digest() == router.state_digest()
    replayed.check()


def blocking_scenario(router: Router) -> list[tuple[str, str]]:
    """ann can do x and y, bob only x; the x call is older than the y call."""
    router.submit("call-x", channel="voice", skills={"x": 1}, at=1)
    router.submit("call-y", channel="voice", skills={"y": 1}, at=2)
    made = []
    for name, skills in (("ann", {"x": 1, "y": 1}), ("bob", {"x": 1})):
        router.login(name, skills=skills, at=3)
        made += offers(router.ready(name, at=3))
    return made


def test_greedy_blocks_the_y_call_behind_the_x_call(backend: str) -> None:
    router = Router(RouterConfig(), backend=backend)
    # ann, ready first, takes the older x call; bob can take nothing; the y call waits.
    assert blocking_scenario(router) == [("call-x", "ann")]
    assert router.interaction("call-y").status == "queued"
    assert router.match(at=4) == []  # greedy leaves nothing a match could add


def test_batch_serves_both_calls(backend: str) -> None:
    router = make(backend)
    assert blocking_scenario(router) == []  # nothing routes before match()
    assert offers(router.match(at=4)) == [("call-x", "bob"), ("call-y", "ann")]
    same_after_replay(router)


def test_higher_priority_work_is_never_left_for_lower(backend: str) -> None:
    # One agent, most_skilled, two calls: the urgent one is served although both fit.
    router = make(backend, queues={"default": {"strategy": "most_skilled"}})
    router.submit("low", channel="voice", skills={"x": 1}, priority=0, at=1)
    router.submit("high", channel="voice", skills={"x": 1}, priority=5, at=2)
    router.login("ann", skills={"x": 3}, at=3)
    router.ready("ann", at=3)
    assert offers(router.match(at=4)) == [("high", "ann")]


def test_aging_counts_at_match_time(backend: str) -> None:
    # old: priority 0 + 1/s * 10 s = 10 at t=11; new: priority 5 + 1/s * 1 s = 6.
    router = make(backend, queues={"default": {"aging_rate": 1.0}})
    router.submit("old", channel="voice", at=1)
    router.submit("new", channel="voice", priority=5, at=10)
    router.login("ann", skills={}, at=10)
    router.ready("ann", at=10)
    assert offers(router.match(at=11)) == [("old", "ann")]


def test_the_strategy_picks_the_agent_when_there_is_a_choice(backend: str) -> None:
    router = make(backend, queues={"default": {"strategy": "most_skilled"}})
    for name, level in (("ann", 1), ("bob", 4), ("cid", 2)):
        router.login(name, skills={"x": level}, at=0)
        router.ready(name, at=0)
    router.submit("c", channel="voice", skills={"x": 1}, at=1)
    assert offers(router.match(at=1)) == [("c", "bob")]


def test_capacity_units_and_channels(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, capacity={"chat": 2, "voice": 1}, at=0)
    router.ready("ann", at=0)
    for k in range(3):
        router.submit(f"chat{k}", channel="chat", at=1 + k)
    router.submit("v", channel="voice", at=5)
    made = offers(router.match(at=6))
    assert made == [("chat0", "ann"), ("chat1", "ann"), ("v", "ann")]
    assert router.interaction("chat2").status == "queued"
    same_after_replay(router)


def test_a_decliner_is_asked_again_only_when_nobody_else_can(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c", channel="voice", at=1)
    assert offers(router.match(at=1)) == [("c", "ann")]
    router.decline("c", at=2)
    assert offers(router.match(at=3)) == [("c", "ann")]  # nobody else: ann again
    router.decline("c", at=4)
    router.login("bob", skills={}, at=4)
    router.ready("bob", at=4)
    assert offers(router.match(at=5)) == [("c", "bob")]


def test_targeted_work_goes_only_to_its_agents(backend: str) -> None:
    router = make(backend)
    for name in ("ann", "bob"):
        router.login(name, skills={}, at=0)
        router.ready(name, at=0)
    router.submit("c", channel="voice", direct_to="bob", at=1)
    assert offers(router.match(at=2)) == [("c", "bob")]


def test_grouped_work_goes_only_to_group_members(backend: str) -> None:
    router = make(backend, queues={"vip": {"groups": ["gold"]}})
    router.login("ann", skills={}, at=0)
    router.login("bob", skills={}, groups=["gold"], at=0)
    router.ready("ann", at=0)  # the longest idle, but not in the group
    router.submit("c", channel="voice", queue="vip", at=1)
    assert offers(router.match(at=2)) == []
    router.ready("bob", at=3)
    assert offers(router.match(at=4)) == [("c", "bob")]
    same_after_replay(router)


def test_the_fairness_cap_applies_in_batch_mode(backend: str) -> None:
    router = make(
        backend,
        auto_accept=True,
        fairness={"window": 100.0, "max_above_median": 0},
        queues={"default": {"strategy": "most_skilled"}},
    )
    for name, level in (("ann", 5), ("bob", 1)):
        router.login(name, skills={"x": level}, at=0)
        router.ready(name, at=0)
    router.submit("c0", channel="voice", skills={"x": 1}, at=1)
    assert offers(router.match(at=1)) == [("c0", "ann")]
    router.complete("c0", at=2)
    router.submit("c1", channel="voice", skills={"x": 1}, at=3)
    assert offers(router.match(at=3)) == [("c1", "bob")]  # ann 1 > median 0.5
    same_after_replay(router)


def test_timers_fire_but_do_not_route_in_batch_mode(backend: str) -> None:
    router = make(backend, queues={"default": {"offer_timeout": 5}}, max_no_answer=3)
    for name in ("ann", "bob"):
        router.login(name, skills={}, at=0)
        router.ready(name, at=0)
    router.submit("c", channel="voice", at=1)
    assert offers(router.match(at=1)) == [("c", "ann")]
    router.advance(at=7)  # rings out at 6: back in the queue, not re-offered
    assert router.interaction("c").status == "queued"
    assert offers(router.match(at=8)) == [("c", "bob")]


def test_match_is_idempotent_with_a_command_id(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c", channel="voice", at=1)
    first = router.match(at=2, command_id="tick-2")
    assert router.match(at=2, command_id="tick-2") == first
    assert offers(first) == [("c", "ann")]


def test_switching_back_to_greedy_routes_the_waiting_work(backend: str) -> None:
    # Under batch, work waits with agents free; reconfiguring to greedy offers each waiting
    # interaction (most urgent first) to the agent its strategy picks, as a submit would.
    router = make(backend, queues={"default": {"strategy": "most_skilled"}})
    for name, level in (("ann", 1), ("bob", 4)):
        router.login(name, skills={"x": level}, at=0)
        router.ready(name, at=0)
    router.submit("low", channel="voice", skills={"x": 1}, priority=0, at=1)
    router.submit("high", channel="voice", skills={"x": 1}, priority=3, at=2)
    events = router.reconfigure({**router.config.to_dict(), "matching": "greedy"}, at=3)
    assert offers(events) == [("high", "bob"), ("low", "ann")]
    same_after_replay_from(router)


def same_after_replay_from(router: Router) -> None:
    router.check()
    replayed = Router.replay(router.events, router.base_config, backend=router.backend)
    assert replayed.state_digest() == router.state_digest()
