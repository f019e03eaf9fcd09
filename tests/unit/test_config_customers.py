"""Config as events, customer context and last-agent routing (issue 6, points 10, 5, 2)."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.snapshot import MemorySnapshotStore
from ccrouter.errors import ConfigError, InvalidArgument
from ccrouter.events import ConfigChanged, InteractionOffered, InteractionTargeted


def config(**queues: dict[str, Any]) -> RouterConfig:
    return RouterConfig.from_dict({"queues": queues})


def offers(events: list[Any]) -> list[tuple[str, str, int]]:
    return [
        (e.interaction_id, e.agent_id, e.config_version)
        for e in events
        if isinstance(e, InteractionOffered)
    ]


def staffed(cfg: RouterConfig, **skills: int) -> Router:
    """ann (sales 1) logs in first, so she is the longest idle; bob (sales 9) second."""
    r = Router(cfg)
    for t, (agent, level) in enumerate(skills.items()):
        r.login(agent, skills={"sales": level}, at=t)
        r.ready(agent, at=t)
    return r


# --- config as events ---------------------------------------------------------------------


def test_a_strategy_change_applies_to_the_next_decision_and_offers_record_the_version() -> None:
    r = staffed(config(sales={"strategy": "longest_idle"}), ann=1, bob=9)
    first = r.submit("c1", channel="voice", queue="sales", at=10)
    assert offers(first) == [("c1", "ann", 0)]  # longest idle
    r.abandon("c1", at=11)
    changed = r.reconfigure(config(sales={"strategy": "most_skilled"}), at=12)
    assert [type(e) for e in changed] == [ConfigChanged]
    assert changed[0].version == 1 and r.config_version == 1
    assert changed[0].config["queues"]["sales"]["strategy"] == "most_skilled"
    second = r.submit("c2", channel="voice", queue="sales", at=13)
    assert offers(second) == [("c2", "bob", 1)]  # now the most skilled
    assert r.base_config.queues["sales"].strategy == "longest_idle"
    assert r.config.queues["sales"].strategy == "most_skilled"


def test_an_equal_config_changes_nothing() -> None:
    r = Router(config(sales={}))
    assert r.reconfigure(config(sales={}), at=1) == []
    assert r.reconfigure({"queues": {"sales": {}}}, at=1) == []
    assert r.config_version == 0 and r.log.version == 0


def test_a_new_aging_rate_reorders_waiting_work_from_its_arrival() -> None:
    r = Router(config(sales={}))
    r.submit("old_low", channel="voice", queue="sales", priority=0, at=0)
    r.submit("new_high", channel="voice", queue="sales", priority=5, at=90)
    # Aging 0.1/s at t=100: old_low scores 0 + 10 = 10, new_high 5 + 1 = 6.
    r.reconfigure(config(sales={"aging_rate": 0.1}), at=100)
    r.login("ann", skills={}, at=100)
    assert offers(r.ready("ann", at=100)) == [("old_low", "ann", 1)]


def test_dropping_a_queue_with_live_work_is_refused_and_changes_nothing() -> None:
    r = Router(config(sales={}, support={}))
    r.submit("c1", channel="voice", queue="sales", at=0)
    digest, version = r.state_digest(), r.log.version
    with pytest.raises(ConfigError, match="'sales' still hold live interactions"):
        r.reconfigure(config(support={}), at=1)
    with pytest.raises(ConfigError, match=r"\$\.queues\.sales\.strategy"):
        r.reconfigure({"queues": {"sales": {"strategy": "fastest"}}}, at=1)
    with pytest.raises(InvalidArgument):
        r.reconfigure(42, at=1)  # type: ignore[arg-type]
    assert (r.state_digest(), r.log.version) == (digest, version)
    # A queue whose work has ended may go.
    r.abandon("c1", at=2)
    assert r.reconfigure(config(support={}), at=3)[0].version == 1


def test_replay_and_snapshots_rebuild_the_changed_config() -> None:
    store = MemorySnapshotStore()
    r = Router(config(sales={}), snapshots=store)
    r.submit("c1", channel="voice", queue="sales", at=0)
    r.reconfigure(config(sales={"aging_rate": 0.5, "strategy": "random"}), at=5)
    r.snapshot()
    replayed = Router.replay(r.events, r.base_config)
    assert replayed.state_digest() == r.state_digest()
    assert replayed.config == r.config and replayed.config_version == 1
    # From the snapshot, with the *original* config given: the log's change wins.
    restored = Router(config(sales={}), log=r.log, snapshots=store)
    assert restored.config == r.config and restored.state_digest() == r.state_digest()
    restored.check()


# --- customer context ---------------------------------------------------------------------


def test_customer_context_lists_every_channel_in_order() -> None:
    r = staffed(config(sales={}, support={}), ann=5)
    r.submit("v1", channel="voice", queue="sales", customer_id="kim", at=10)
    r.accept("v1", at=11)
    r.complete("v1", at=70)
    r.submit("x", channel="voice", queue="sales", customer_id="lee", at=80)
    r.abandon("x", at=81)
    r.submit("c1", channel="chat", queue="support", customer_id="kim", at=100)
    contacts = r.customer("kim").contacts
    assert [(c.interaction_id, c.channel, c.queue, c.outcome, c.agent_id) for c in contacts] == [
        ("v1", "voice", "sales", "completed", "ann"),
        ("c1", "chat", "support", "queued", None),
    ]
    assert contacts[0].ended_at == 70 and contacts[0].arrived_at == 10
    assert r.customer("nobody").contacts == []
    with pytest.raises(InvalidArgument):
        r.customer("")


def test_an_offer_shows_the_customers_recent_history() -> None:
    cfg = RouterConfig.from_dict({"customer_history": 2, "queues": {"sales": {}}})
    r = staffed(cfg, ann=5)
    for n in range(3):
        r.submit(f"e{n}", channel="voice", queue="sales", customer_id="kim", at=10 * n)
        r.accept(f"e{n}", at=10 * n + 1)
        r.complete(f"e{n}", at=10 * n + 2)
    r.submit("now", channel="voice", queue="sales", customer_id="kim", at=50)
    view = r.interaction("now")
    assert view.status == "offered"
    assert [c.interaction_id for c in view.customer_history] == ["e1", "e2"]
    assert r.interaction("e0").customer_history == []


# --- last-agent routing -------------------------------------------------------------------


def last_agent_config(**rule: Any) -> RouterConfig:
    return config(sales={"last_agent": {"wait": 30, **rule}}, support={})


def served(r: Router, iid: str, agent: str, at: float, queue: str = "sales") -> None:
    r.submit(iid, channel="voice", queue=queue, customer_id="kim", direct_to=agent, at=at)
    r.accept(iid, at=at)
    r.complete(iid, at=at + 1)


def test_a_returning_customer_waits_for_the_last_agent_then_anyone() -> None:
    r = staffed(last_agent_config(), ann=1, bob=1)
    served(r, "first", "bob", at=10)
    r.not_ready("bob", reason="break", at=20)
    events = r.submit("again", channel="voice", queue="sales", customer_id="kim", at=30)
    targeted = [e for e in events if isinstance(e, InteractionTargeted)]
    assert [(e.agent_ids, e.until, e.reason) for e in targeted] == [(["bob"], 60.0, "last_agent")]
    assert offers(events) == []  # ann is ready but must wait 30 s
    assert offers(r.ready("bob", at=40)) == [("again", "bob", 0)]


def test_after_the_wait_anyone_eligible_takes_it() -> None:
    r = staffed(last_agent_config(), ann=1, bob=1)
    served(r, "first", "bob", at=10)
    r.not_ready("bob", reason="break", at=20)
    r.submit("again", channel="voice", queue="sales", customer_id="kim", at=30)
    assert offers(r.advance(at=60)) == [("again", "ann", 0)]


@pytest.mark.parametrize(
    ("rule", "first_queue", "targeted"),
    [
        ({}, "sales", True),
        ({}, "support", False),  # scope "queue": a service on another queue does not count
        ({"scope": "any"}, "support", True),
        ({"within": 10}, "sales", False),  # served 20 s before: too long ago
        ({"within": 25}, "sales", True),
    ],
)
def test_scope_and_within(rule: dict[str, Any], first_queue: str, targeted: bool) -> None:
    r = staffed(last_agent_config(**rule), ann=1, bob=1)
    served(r, "first", "bob", at=10, queue=first_queue)
    r.not_ready("bob", reason="break", at=20)
    events = r.submit("again", channel="voice", queue="sales", customer_id="kim", at=30)
    assert any(isinstance(e, InteractionTargeted) for e in events) is targeted


def test_a_logged_out_last_agent_or_explicit_preferences_win() -> None:
    r = staffed(last_agent_config(), ann=1, bob=1)
    served(r, "first", "bob", at=10)
    r.logout("bob", at=15)
    events = r.submit("again", channel="voice", queue="sales", customer_id="kim", at=20)
    assert offers(events) == [("again", "ann", 0)]
    r.abandon("again", at=21)
    r.login("bob", skills={"sales": 1}, at=22)
    events = r.submit(
        "pref", channel="voice", queue="sales", customer_id="kim", preferred_agents=["ann"], at=23
    )
    assert [e.reason for e in events if isinstance(e, InteractionTargeted)] == ["preferred"]
