"""The router's semantics, one rule per test, with hand-worked expectations."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import (
    CCRouterError,
    ConfigError,
    DuplicateId,
    InvalidArgument,
    InvalidTransition,
    TimeWentBackwards,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from ccrouter.events import AgentNotReady, InteractionOffered, OfferAccepted
from ccrouter.log import MemoryEventLog


def make(backend: str = "numba", **config: Any) -> Router:
    return Router(RouterConfig.from_dict(config), backend=backend)


def staffed(*agents: str, strategy: str = "longest_idle", **config: Any) -> Router:
    """Agents logged in and made ready one second apart, in the order given."""
    router = make(queues={"default": {"strategy": strategy}}, **config)
    for i, agent in enumerate(agents):
        router.login(agent, skills={"x": 1}, at=0)
        router.ready(agent, at=float(i))
    return router


def offered_to(events: list[Any]) -> list[str]:
    return [e.agent_id for e in events if isinstance(e, InteractionOffered)]


@pytest.fixture(params=["numba", "python"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- lifecycle -----------------------------------------------------------------------------


def test_new_login_is_not_ready_with_one_voice_slot() -> None:
    router = make()
    router.login("ann", skills={"x": 2}, at=0)
    agent = router.agent("ann")
    assert (agent.status, agent.capacity) == ("not_ready", {"voice": 1})
    assert router.submit("c1", channel="voice", at=1)[-1].kind == "interaction_queued"
    assert router.interaction("c1").status == "queued"


def test_ready_agent_is_offered_waiting_work_at_once() -> None:
    router = make()
    router.login("ann", skills={}, at=0)
    router.submit("c1", channel="voice", at=1)
    events = router.ready("ann", at=2)
    assert offered_to(events) == ["ann"]
    assert router.agent("ann").status == "reserved"
    router.accept("c1", at=3)
    assert router.agent("ann").status == "busy"
    assert router.interaction("c1").status == "connected"


def test_required_skills_and_minimums() -> None:
    router = make()
    router.login("low", skills={"x": 2}, at=0)
    router.login("none", skills={"y": 9}, at=0)
    router.ready("low", at=0)
    router.ready("none", at=0)
    assert offered_to(router.submit("c1", channel="voice", skills={"x": 3}, at=1)) == []
    assert offered_to(router.submit("c2", channel="voice", skills={"x": 2}, at=1)) == ["low"]
    # A minimum of 0 still requires having the skill.
    assert offered_to(router.submit("c3", channel="voice", skills={"y": 0}, at=1)) == ["none"]


def test_channel_capacity_allows_concurrent_chats() -> None:
    router = make(auto_accept=True)
    router.login("ann", skills={}, capacity={"chat": 3}, at=0)
    router.ready("ann", at=0)
    for i in range(4):
        router.submit(f"c{i}", channel="chat", at=1)
    assert router.agent("ann").connected == ["c0", "c1", "c2"]
    assert router.interaction("c3").status == "queued"
    # A voice call finds no voice capacity.
    router.submit("v", channel="voice", at=1)
    assert router.interaction("v").status == "queued"
    router.complete("c1", at=2)
    assert router.agent("ann").connected == ["c0", "c2", "c3"]


def test_complete_holds_the_slot_in_wrap_up_until_advance() -> None:
    router = make(queues={"default": {"wrap_up": 30}}, auto_accept=True)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=0)
    router.submit("c2", channel="voice", at=5)
    router.complete("c1", at=10)
    assert router.agent("ann").status == "wrap_up"
    assert router.interaction("c2").status == "queued"
    assert router.advance(at=39.9) == []
    events = router.advance(at=40)
    assert [e.kind for e in events] == ["wrap_up_ended", "interaction_offered", "offer_accepted"]
    assert events[0].at == 40.0
    assert router.interaction("c2").agent_id == "ann"


def test_abandon_frees_reserved_capacity() -> None:
    router = make()
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=1)
    router.submit("c2", channel="voice", at=2)
    events = router.abandon("c1", at=3)
    assert [e.kind for e in events] == ["interaction_abandoned", "interaction_offered"]
    assert router.interaction("c1").status == "abandoned"
    assert router.interaction("c2").agent_id == "ann"
    router.abandon("c2", at=4)
    assert router.agent("ann").status == "ready"


def test_logout_revokes_ringing_offers_and_refuses_while_connected() -> None:
    router = staffed("ann", "bob")
    router.submit("c1", channel="voice", at=5)  # to ann, idle longest
    router.logout("ann", at=6)
    assert router.interaction("c1").agent_id == "bob"
    assert router.agent("ann").status == "logged_out"
    router.accept("c1", at=7)
    with pytest.raises(InvalidTransition, match="connected"):
        router.logout("bob", at=8)


# --- strategies ----------------------------------------------------------------------------


def test_longest_idle_and_its_tie_breaks(backend: str) -> None:
    router = make(backend)
    for agent in ("ann", "bob", "cat"):
        router.login(agent, skills={}, at=0)
    router.ready("bob", at=1)
    router.ready("ann", at=1)  # same idle time as bob, but logged in first
    router.ready("cat", at=2)
    assert offered_to(router.submit("c1", channel="voice", at=3)) == ["ann"]
    assert offered_to(router.submit("c2", channel="voice", at=3)) == ["bob"]
    assert offered_to(router.submit("c3", channel="voice", at=3)) == ["cat"]


def test_most_skilled_sums_required_proficiency(backend: str) -> None:
    router = make(backend, queues={"default": {"strategy": "most_skilled"}})
    router.login("ann", skills={"x": 5, "y": 1}, at=0)
    router.login("bob", skills={"x": 3, "y": 4}, at=0)
    router.ready("ann", at=0)
    router.ready("bob", at=1)
    assert offered_to(router.submit("c1", channel="voice", skills={"x": 1, "y": 1}, at=2)) == [
        "bob"
    ]
    assert offered_to(router.submit("c2", channel="voice", skills={"x": 1}, at=2)) == ["ann"]


def test_least_occupied_compares_share_of_capacity(backend: str) -> None:
    router = make(backend, auto_accept=True, queues={"default": {"strategy": "least_occupied"}})
    router.login("ann", skills={}, capacity={"chat": 2}, at=0)
    router.login("bob", skills={}, capacity={"chat": 4}, at=0)
    router.ready("ann", at=0)
    router.ready("bob", at=1)
    # ann idles longest: first chat to her; then bob (0/4 < 1/2); then bob (1/4 < 1/2) ...
    offers = [offered_to(router.submit(f"c{i}", channel="chat", at=2))[0] for i in range(4)]
    assert offers == ["ann", "bob", "bob", "ann"]


def test_fewest_handled_counts_accepted_since_login(backend: str) -> None:
    router = make(backend, auto_accept=True, queues={"default": {"strategy": "fewest_handled"}})
    router.login("ann", skills={}, capacity={"chat": 5}, at=0)
    router.login("bob", skills={}, capacity={"chat": 5}, at=0)
    router.ready("ann", at=0)
    router.ready("bob", at=0)
    offers = [offered_to(router.submit(f"c{i}", channel="chat", at=1))[0] for i in range(4)]
    assert offers == ["ann", "bob", "ann", "bob"]


def test_round_robin_follows_login_order_after_the_last_used(backend: str) -> None:
    router = make(backend, auto_accept=True, queues={"default": {"strategy": "round_robin"}})
    for agent in ("ann", "bob", "cat"):
        router.login(agent, skills={}, capacity={"chat": 9}, at=0)
    for agent in ("cat", "bob", "ann"):
        router.ready(agent, at=0)
    offers = [offered_to(router.submit(f"c{i}", channel="chat", at=1))[0] for i in range(5)]
    assert offers == ["ann", "bob", "cat", "ann", "bob"]


def test_random_is_seeded_and_replays(backend: str) -> None:
    def run(seed: int) -> list[str]:
        router = make(
            backend, seed=seed, auto_accept=True, queues={"default": {"strategy": "random"}}
        )
        for agent in "abcdefgh":
            router.login(agent, skills={}, capacity={"chat": 50}, at=0)
            router.ready(agent, at=0)
        picks = [offered_to(router.submit(f"c{i}", channel="chat", at=1))[0] for i in range(40)]
        assert Router.replay(router.events, router.config).state_digest() == router.state_digest()
        return picks

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert len(set(run(3))) >= 5  # spread over the agents, not stuck on one


# --- queue order ---------------------------------------------------------------------------


def test_freed_agent_takes_highest_priority_then_oldest_across_queues() -> None:
    router = make(queues={"sales": {}, "support": {}})
    router.login("ann", skills={}, at=0)
    router.submit("older", channel="voice", queue="support", at=0.5)
    router.submit("old", channel="voice", queue="sales", at=1)
    router.submit("urgent", channel="voice", queue="support", priority=5, at=2)
    router.ready("ann", at=3)
    assert router.interaction("urgent").agent_id == "ann"
    router.abandon("urgent", at=4)
    assert router.interaction("older").agent_id == "ann"


def test_aging_rate_lets_old_work_overtake_priority() -> None:
    router = make(queues={"slow": {"aging_rate": 0.0}, "aging": {"aging_rate": 0.1}})
    router.login("ann", skills={}, at=0)
    router.submit("aged", channel="voice", queue="aging", at=0)  # 0 + 0.1 * 60 = 6 at t=60
    router.submit("high", channel="voice", queue="slow", priority=5, at=50)
    router.ready("ann", at=60)
    assert router.interaction("aged").agent_id == "ann"


# --- decline, timeout, no answer -----------------------------------------------------------


def test_decline_returns_to_its_place_and_goes_to_another_agent() -> None:
    router = staffed("ann", "bob")
    router.submit("c1", channel="voice", at=5)
    events = router.decline("c1", at=6)
    assert offered_to(events) == ["bob"]
    router.decline("c1", at=7)
    # Nobody else is eligible now: back to ann (who declined longest ago in order).
    assert router.interaction("c1").agent_id == "ann"
    assert router.interaction("c1").declined_by == ["ann", "bob"]


def test_declined_interaction_keeps_its_place_in_the_queue() -> None:
    router = make()
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("first", channel="voice", at=1)
    router.submit("second", channel="voice", at=2)
    router.login("bob", skills={}, at=3)
    router.decline("first", at=4)  # ann again (nobody else); bob not ready
    router.ready("bob", at=5)
    # bob takes "second": "first" is with ann. Decline by ann again gives "first" to... nobody
    router.accept("second", at=6)
    router.decline("first", at=7)
    assert router.interaction("first").agent_id == "ann"


def test_timeout_is_a_miss_and_no_answer_after_max_misses() -> None:
    router = make(max_no_answer=2, queues={"default": {"offer_timeout": 10}})
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=0)
    events = router.advance(at=10)
    assert [e.kind for e in events] == ["offer_timed_out", "interaction_offered"]
    assert router.agent("ann").misses == 1
    events = router.advance(at=25)
    assert [e.kind for e in events] == ["offer_timed_out", "agent_not_ready"]
    not_ready = events[1]
    assert isinstance(not_ready, AgentNotReady)
    assert (not_ready.reason, not_ready.at) == ("no_answer", 20.0)
    assert router.agent("ann").status == "not_ready"
    assert router.interaction("c1").status == "queued"


def test_accept_after_expiry_is_refused_without_changing_anything() -> None:
    router = make(queues={"default": {"offer_timeout": 10}})
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=0)
    before = (router.log.version, router.state_digest())
    with pytest.raises(InvalidTransition, match="expired at 10"):
        router.accept("c1", at=10)
    assert (router.log.version, router.state_digest()) == before
    # The timer fires with the next command, at its own due time.
    events = router.advance(at=12)
    assert events[0].kind == "offer_timed_out"
    assert events[0].at == 10.0


def test_auto_accept_connects_at_once() -> None:
    router = make(auto_accept=True, queues={"default": {"offer_timeout": 5}})
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    events = router.submit("c1", channel="voice", at=1)
    assert [e.kind for e in events] == [
        "interaction_queued",
        "interaction_offered",
        "offer_accepted",
    ]
    offer = events[1]
    assert isinstance(offer, InteractionOffered)
    assert offer.expires_at is None
    assert isinstance(events[2], OfferAccepted)


# --- errors leave everything untouched -----------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "builtin"),
    [
        (lambda r: r.ready("ghost", at=9), UnknownAgent, KeyError),
        (lambda r: r.accept("ghost", at=9), UnknownInteraction, KeyError),
        (lambda r: r.submit("c9", channel="voice", queue="nope", at=9), UnknownQueue, KeyError),
        (lambda r: r.submit("c1", channel="voice", at=9), DuplicateId, ValueError),
        (lambda r: r.login("ann", skills={}, at=9), InvalidTransition, ValueError),
        (lambda r: r.ready("gone", at=9), InvalidTransition, ValueError),
        (lambda r: r.complete("c1", at=9), InvalidTransition, ValueError),
        (lambda r: r.accept("c2", at=9), InvalidTransition, ValueError),
        (lambda r: r.advance(at=1), TimeWentBackwards, ValueError),
        (lambda r: r.advance(at=float("nan")), InvalidArgument, ValueError),
        (lambda r: r.login("new", skills={"x": -1}, at=9), InvalidArgument, ValueError),
        (lambda r: r.login("new", skills={"x": 1.5}, at=9), InvalidArgument, ValueError),
        (lambda r: r.submit("c9", channel="", at=9), InvalidArgument, ValueError),
        (lambda r: r.not_ready("ann", reason="", at=9), InvalidArgument, ValueError),
    ],
)
def test_bad_input_raises_typed_errors_and_changes_nothing(
    call: Any, error: type[Exception], builtin: type[Exception]
) -> None:
    router = make(queues={"default": {"offer_timeout": 100}})
    router.login("ann", skills={}, at=0)
    router.login("gone", skills={}, at=0)
    router.logout("gone", at=1)
    router.submit("c1", channel="voice", at=2)
    router.submit("c2", channel="voice", at=2)
    router.ready("ann", at=5)
    before = (router.events, router.state_digest())
    with pytest.raises(error) as caught:
        call(router)
    assert isinstance(caught.value, CCRouterError)
    assert isinstance(caught.value, builtin)
    assert (router.events, router.state_digest()) == before
    router.check()


def test_invalid_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"\$\.queues\.sales\.offer_timeout"):
        RouterConfig.from_dict({"queues": {"sales": {"offer_timeout": 0}}})
    with pytest.raises(ConfigError, match="max_no_answer"):
        RouterConfig.from_dict({"max_no_answer": 0})
    with pytest.raises(ConfigError, match="unknown field `colour`"):
        RouterConfig.from_dict({"colour": "red"})


def test_config_from_toml(tmp_path: Any) -> None:
    path = tmp_path / "router.toml"
    path.write_text('auto_accept = true\n[queues.sales]\nstrategy = "round_robin"\nwrap_up = 15\n')
    config = RouterConfig.from_toml(path)
    assert config.auto_accept
    assert config.queues["sales"].wrap_up == 15.0
    assert "default" in config.queues
    assert RouterConfig.from_dict(config.to_dict()) == config
    path.write_text("auto_accept = [")
    with pytest.raises(ConfigError, match="cannot read"):
        RouterConfig.from_toml(path)


# --- replay, resume, explain, stats --------------------------------------------------------


def test_router_resumes_from_an_existing_log() -> None:
    router = staffed("ann", "bob")
    router.submit("c1", channel="voice", at=5)
    log = MemoryEventLog(router.events)
    resumed = Router(router.config, log=log)
    assert resumed.state_digest() == router.state_digest()
    resumed.accept("c1", at=6)
    assert log.version == len(router.events) + 1


def test_explain_names_reasons_scores_and_ranks() -> None:
    router = make()
    router.login("ann", skills={"x": 3}, at=0)
    router.login("bob", skills={"x": 3}, at=0)
    router.login("cat", skills={"y": 3}, at=0)
    router.login("dan", skills={"x": 3}, at=0)
    router.login("eve", skills={"x": 3}, at=0)
    router.logout("eve", at=0)
    router.ready("bob", at=1)
    router.ready("ann", at=2)
    router.ready("cat", at=2)
    router.submit("c1", channel="voice", skills={"x": 1}, at=10)
    explanation = router.explain("c1")
    assert explanation.chosen == "bob"
    by_agent = {c.agent_id: c for c in explanation.candidates}
    assert (by_agent["bob"].rank, by_agent["bob"].score) == (1, 9.0)
    assert (by_agent["ann"].rank, by_agent["ann"].score) == (2, 8.0)
    assert by_agent["cat"].reason == "missing_skill"
    assert by_agent["dan"].reason == "not_ready"
    assert by_agent["eve"].reason == "logged_out"
    router.decline("c1", at=11)
    explanation = router.explain("c1")
    assert explanation.chosen == "ann"
    # bob is free again but declined it, and ann could take it.
    assert {c.agent_id: c.reason for c in explanation.candidates}["bob"] == "declined"


def test_explain_of_waiting_work_says_why_nobody_takes_it() -> None:
    router = make()
    router.login("ann", skills={}, capacity={"chat": 1}, at=0)
    router.ready("ann", at=0)
    router.submit("c1", channel="voice", at=1)
    explanation = router.explain("c1")
    assert explanation.chosen is None
    assert [c.reason for c in explanation.candidates] == ["no_capacity"]


def test_router_stats_follow_the_log() -> None:
    router = staffed("ann")
    router.submit("c1", channel="voice", at=1)
    stats = router.stats
    router.submit("c2", channel="voice", at=2)
    router.accept("c1", at=3)
    assert stats.waiting() == 1
    assert stats.longest_wait(at=12) == pytest.approx(10.0)
