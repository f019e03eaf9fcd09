"""Routing policies v2 (issue 6): mid-flight updates, targeted routing, interaction-side
explanations. One rule per test, with hand-worked expectations, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import InvalidArgument, InvalidTransition, UnknownInteraction
from ccrouter.events import InteractionOffered, InteractionUpdated


def make(backend: str, **config: Any) -> Router:
    return Router(RouterConfig.from_dict(config), backend=backend)


def offered_to(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.interaction_id, e.agent_id) for e in events if isinstance(e, InteractionOffered)]


@pytest.fixture(params=["numba", "python"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def same_after_replay(router: Router) -> None:
    router.check()
    replayed = Router.replay(router.events, router.config, backend=router.backend)
    assert replayed.state_digest() == router.state_digest()
    replayed.check()


# --- point 8: attributes and priority that change mid-flight ------------------------------


def test_raising_priority_moves_a_waiting_interaction_ahead_at_once(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    for i, iid in enumerate(["c1", "c2", "c3"]):
        router.submit(iid, channel="voice", at=float(i))
    events = router.update("c3", priority=5, at=3)
    assert [type(e) for e in events] == [InteractionUpdated]
    assert [i.interaction_id for i in router.state.waiting()] == ["c3", "c1", "c2"]
    assert offered_to(router.ready("ann", at=4)) == [("c3", "ann")]
    same_after_replay(router)


def test_lowering_priority_moves_it_back(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.submit("c1", channel="voice", priority=3, at=0)
    router.submit("c2", channel="voice", priority=1, at=1)
    router.update("c1", priority=0, at=2)
    assert offered_to(router.ready("ann", at=3)) == [("c2", "ann")]


def test_new_priority_keeps_aging_from_arrival(backend: str) -> None:
    # aging 1/s: c1 (arrived 0, priority 0) at t=10 is worth 10; c2 (arrived 8) raised to 9
    # is worth 11, so it goes first; raised to 7 it is worth 9 and c1 stays first.
    for raised, first in ((9, "c2"), (7, "c1")):
        router = make(backend, queues={"default": {"aging_rate": 1.0}})
        router.login("ann", skills={}, at=0)
        router.submit("c1", channel="voice", at=0)
        router.submit("c2", channel="voice", at=8)
        router.update("c2", priority=raised, at=9)
        assert offered_to(router.ready("ann", at=10)) == [(first, "ann")]


def test_a_new_requirement_moves_it_to_another_group_and_routes_it(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={"senior": 2}, at=0)
    router.ready("ann", at=0)
    assert offered_to(router.submit("c1", channel="voice", skills={"french": 1}, at=1)) == []
    # Negative sentiment: the call now needs a senior agent, whom ann is.
    events = router.update("c1", skills={"senior": 1}, attributes={"sentiment": "neg"}, at=2)
    assert offered_to(events) == [("c1", "ann")]
    view = router.interaction("c1")
    assert view.skills == {"senior": 1}
    assert view.attributes == {"sentiment": "neg"}
    same_after_replay(router)


def test_a_stricter_requirement_keeps_it_waiting(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={"x": 1}, at=0)
    router.submit("c1", channel="voice", skills={"x": 1}, at=0)
    router.update("c1", skills={"x": 3}, at=1)
    assert offered_to(router.ready("ann", at=2)) == []
    assert router.interaction("c1").status == "queued"
    groups = router.state.queue("default").groups
    assert list(groups) == [("voice", (("x", 3),))]
    same_after_replay(router)


def test_attributes_are_merged(backend: str) -> None:
    router = make(backend)
    router.submit("c1", channel="voice", attributes={"lang": "fr", "vip": False}, at=0)
    router.update("c1", attributes={"vip": True}, at=1)
    assert router.interaction("c1").attributes == {"lang": "fr", "vip": True}


def test_an_offered_interaction_only_records_the_change(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.login("bob", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=1)
    router.submit("c2", channel="voice", priority=2, at=2)
    events = router.update("c1", priority=9, skills={"zz": 1}, at=3)
    assert offered_to(events) == []
    view = router.interaction("c1")
    assert (view.status, view.agent_id, view.priority) == ("offered", "ann", 9.0)
    # Declined, it goes back under its new values: ahead of c2, needing a skill nobody has.
    assert offered_to(router.decline("c1", at=4)) == [("c2", "ann")]
    assert router.interaction("c1").status == "queued"
    assert list(router.state.queue("default").groups) == [("voice", (("zz", 1),))]
    assert offered_to(router.ready("bob", at=5)) == []
    same_after_replay(router)


def test_update_of_ended_or_unknown_work_is_refused(backend: str) -> None:
    router = make(backend)
    router.submit("c1", channel="voice", at=0)
    router.abandon("c1", at=1)
    before = router.state_digest()
    with pytest.raises(InvalidTransition, match="expected it queued, offered or connected"):
        router.update("c1", priority=1, at=2)
    with pytest.raises(UnknownInteraction):
        router.update("nope", priority=1, at=2)
    router.submit("c2", channel="voice", at=2)
    with pytest.raises(InvalidArgument, match="priority must be a finite number"):
        router.update("c2", priority=float("inf"), at=3)
    with pytest.raises(InvalidArgument, match="skills"):
        router.update("c2", skills={"x": -1}, at=3)
    assert router.update("c2", at=3) == []  # nothing to change: no event
    assert router.state_digest() != before  # (only c2's submission changed it)
    same_after_replay(router)


# --- point 2: targeted routing ------------------------------------------------------------


def two_ready(backend: str) -> Router:
    """ann idle longest, then bob; both ready."""
    router = make(backend)
    for i, agent in enumerate(["ann", "bob"]):
        router.login(agent, skills={"x": 1}, at=0)
        router.ready(agent, at=float(i))
    return router


def test_only_preferred_agents_until_the_wait_passes(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.login("bob", skills={}, at=0)
    router.ready("ann", at=0)
    events = router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=10, at=1)
    assert [e.kind for e in events] == ["interaction_queued", "interaction_targeted"]
    view = router.interaction("c1")
    assert (view.status, view.preferred_agents, view.preferred_until) == ("queued", ["bob"], 11.0)
    assert router.advance(at=10.5) == []  # ann idles, but she is not preferred
    events = router.advance(at=20)
    assert [e.kind for e in events] == ["interaction_target_expired", "interaction_offered"]
    assert events[0].at == 11.0 and offered_to(events) == [("c1", "ann")]
    assert router.interaction("c1").preferred_agents == []
    same_after_replay(router)


def test_a_preferred_agent_becoming_ready_takes_it(backend: str) -> None:
    router = make(backend)
    router.login("ann", skills={}, at=0)
    router.login("bob", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=30, at=1)
    router.submit("c2", channel="voice", at=2)  # untargeted: ann takes it at once
    assert router.interaction("c2").agent_id == "ann"
    assert offered_to(router.ready("bob", at=3)) == [("c1", "bob")]
    assert ("target", "c1") in router.state.timer_of  # until accepted
    router.accept("c1", at=4)
    assert ("target", "c1") not in router.state.timer_of
    same_after_replay(router)


def test_preferred_agents_compete_by_the_queue_strategy(backend: str) -> None:
    router = two_ready(backend)
    router.login("cy", skills={"x": 1}, at=5)
    router.ready("cy", at=5)
    # ann idles longest but is not preferred; of bob and cy, bob idles longer.
    events = router.submit(
        "c1", channel="voice", preferred_agents=["cy", "bob"], preferred_wait=9, at=6
    )
    assert offered_to(events) == [("c1", "bob")]


def test_direct_to_waits_for_that_agent_for_good(backend: str) -> None:
    router = two_ready(backend)
    router.not_ready("bob", reason="break", at=2)
    assert offered_to(router.submit("c1", channel="voice", direct_to="bob", at=3)) == []
    assert router.interaction("c1").preferred_until is None
    assert router.advance(at=1e6) == []  # no expiry: ann never gets it
    assert offered_to(router.ready("bob", at=1e6 + 1)) == [("c1", "bob")]
    same_after_replay(router)


def test_targeting_an_agent_not_logged_in_yet(backend: str) -> None:
    router = two_ready(backend)
    assert offered_to(router.submit("c1", channel="voice", direct_to="zoe", at=2)) == []
    router.login("zoe", skills={}, at=3)
    assert offered_to(router.ready("zoe", at=4)) == [("c1", "zoe")]


def test_declined_by_the_only_preferred_agent_goes_back_to_that_agent(backend: str) -> None:
    router = two_ready(backend)
    router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=60, at=2)
    # Declined, bob is the only one allowed: he is asked again (declined agents are asked
    # again when nobody else is eligible), ann is not.
    assert offered_to(router.decline("c1", at=3)) == [("c1", "bob")]


def test_zero_wait_means_no_restriction(backend: str) -> None:
    router = two_ready(backend)
    events = router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=0, at=2)
    assert [e.kind for e in events] == ["interaction_queued", "interaction_offered"]
    assert offered_to(events) == [("c1", "ann")]


def test_targeted_abandon_cancels_the_expiry(backend: str) -> None:
    router = two_ready(backend)
    router.not_ready("bob", reason="break", at=2)
    router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=5, at=3)
    router.abandon("c1", at=4)
    assert list(router.state.timers) == []
    assert router.advance(at=10) == []
    same_after_replay(router)


def test_targeting_input_errors(backend: str) -> None:
    router = two_ready(backend)
    cases: list[dict[str, Any]] = [
        {"preferred_wait": 5},
        {"preferred_agents": ["bob"], "preferred_wait": -1},
        {"preferred_agents": ["bob"], "preferred_wait": float("nan")},
        {"preferred_agents": [""]},
        {"direct_to": ""},
        {"direct_to": "bob", "preferred_agents": ["ann"]},
    ]
    for kwargs in cases:
        with pytest.raises(InvalidArgument):
            router.submit("c1", channel="voice", at=2, **kwargs)
    assert router.log.version == 4


def test_a_snapshot_keeps_targets_and_their_timers(backend: str) -> None:
    from ccrouter.engine.snapshot import MemorySnapshotStore
    from ccrouter.log import MemoryEventLog

    log, store = MemoryEventLog(), MemorySnapshotStore()
    router = Router(log=log, snapshots=store, backend=backend)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=5, at=1)
    router.submit("c2", channel="voice", direct_to="bob", at=2)
    router.snapshot()
    copy = MemoryEventLog(list(log.read()))  # a second router may not append to `log`
    restored = Router(log=copy, snapshots=store, backend=backend)
    restored.check()
    assert restored.state_digest() == router.state_digest()
    assert offered_to(restored.advance(at=7)) == offered_to(router.advance(at=7)) == [("c1", "ann")]


def test_a_logout_made_invalid_by_a_target_expiry_is_refused_and_changes_nothing(
    backend: str,
) -> None:
    router = make(backend, auto_accept=True)
    router.login("ann", skills={}, at=0)
    router.login("bob", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=2, at=0)
    before = (router.log.version, router.state_digest())
    # At t=3 the expiry (t=2) would connect c1 to ann first: she cannot log out then.
    with pytest.raises(InvalidTransition, match="connected"):
        router.logout("ann", at=3)
    assert (router.log.version, router.state_digest()) == before
    router.check()
