"""Omnichannel rules: blocking channels, a shared budget, interruptible work (hand-worked)."""

from __future__ import annotations

import itertools

import hypothesis.strategies as st
import pytest
from hypothesis import given

from ccrouter import Router, RouterConfig
from ccrouter.engine.channels import available, blocked, used_budget
from ccrouter.engine.snapshot import MemorySnapshotStore
from ccrouter.errors import ConfigError, InvalidArgument, InvalidTransition
from ccrouter.events import InteractionPaused, InteractionResumed
from ccrouter.stats import RealtimeStats, agent_report, interval_report

CHANNELS = ["voice", "chat", "email"]


def _agent(r: Router, budget: int | None = None) -> None:
    r.login("ann", skills={}, capacity={"voice": 1, "chat": 2, "email": 3}, budget=budget, at=0)
    r.ready("ann", at=0)


def _avail(r: Router, channel: str) -> bool:
    table = r.state.table
    col = table.channel_col(channel)
    return col is not None and bool(table.avail[col, r.state.agents["ann"].slot])


def test_without_rules_capacity_is_independent_per_channel() -> None:
    r = Router(backend="python")
    _agent(r)
    r.submit("v1", channel="voice", at=1)
    r.accept("v1", at=1)
    assert (_avail(r, "voice"), _avail(r, "chat"), _avail(r, "email")) == (False, True, True)


def test_a_voice_call_blocks_new_chats() -> None:
    cfg = RouterConfig.from_dict({"channels": {"voice": {"blocks": ["chat"]}}})
    r = Router(cfg, backend="python")
    _agent(r)
    r.submit("v1", channel="voice", at=1)  # offered: ringing already blocks chats
    assert (_avail(r, "chat"), _avail(r, "email")) == (False, True)
    r.submit("c1", channel="chat", at=2)
    assert r.interaction("c1").status == "queued"
    r.accept("v1", at=3)
    events = r.complete("v1", at=10)  # the call ends: the chat is offered at once
    assert [e.kind for e in events] == ["interaction_completed", "interaction_offered"]
    # ...while chats do not block calls.
    r.submit("v2", channel="voice", at=11)
    assert r.interaction("v2").agent_id == "ann"
    r.check()


def test_a_shared_budget_with_a_cost_per_channel() -> None:
    """Budget 4: voice costs 3, chat 1, email 2. A chat (1) leaves room for a voice call
    (1 + 3 = 4) but not for an email as well."""
    cfg = RouterConfig.from_dict(
        {"channels": {"voice": {"cost": 3}, "chat": {"cost": 1}, "email": {"cost": 2}}}
    )
    r = Router(cfg, backend="python")
    _agent(r, budget=4)
    r.submit("c1", channel="chat", at=1)
    assert used_budget(cfg, r.agent("ann").in_use) == 1
    assert (_avail(r, "voice"), _avail(r, "chat"), _avail(r, "email")) == (True, True, True)
    r.submit("v1", channel="voice", at=2)
    assert used_budget(cfg, r.agent("ann").in_use) == 4
    assert (_avail(r, "voice"), _avail(r, "chat"), _avail(r, "email")) == (False, False, False)
    r.submit("e1", channel="email", at=3)
    assert r.interaction("e1").status == "queued"
    r.abandon("c1", at=4)  # 3 used: the email (2) still does not fit
    assert r.interaction("e1").status == "queued"
    r.accept("v1", at=5)
    events = r.complete("v1", at=6)  # 0 used: the email goes
    assert events[-1].kind == "interaction_offered" and r.interaction("e1").agent_id == "ann"
    assert Router.replay(r.events, cfg).state_digest() == r.state_digest()
    assert r.agent("ann").budget == 4


def test_an_email_is_paused_for_a_call_and_resumes_after() -> None:
    """Email blocks voice but is interruptible by voice: the call reaches the agent, the
    email pauses on accept (10 s) and resumes when the call completes (40 s). The email's
    talk time is 5 + 20 = 25 s, the 30 s of pause excluded."""
    cfg = RouterConfig.from_dict(
        {"channels": {"email": {"blocks": ["voice"], "interruptible_by": ["voice"]}}}
    )
    r = Router(cfg, backend="python")
    _agent(r)
    r.submit("e1", channel="email", at=0)
    assert _avail(r, "voice") is False  # offered, not yet connected: nothing to pause
    r.accept("e1", at=5)
    assert _avail(r, "voice") is True
    r.submit("v1", channel="voice", at=8)
    assert r.interaction("v1").agent_id == "ann"
    events = r.accept("v1", at=10)
    assert [(type(e), e.interaction_id) for e in events] == [
        (type(events[0]), "v1"),
        (InteractionPaused, "e1"),
    ]
    assert r.interaction("e1").paused_by == "v1"
    with pytest.raises(InvalidTransition, match="paused"):
        r.complete("e1", at=20)
    with pytest.raises(InvalidTransition, match="paused"):
        r.transfer("e1", to_queue="default", at=20)
    events = r.complete("v1", at=40)
    assert [(type(e), e.interaction_id) for e in events][:2] == [
        (type(events[0]), "v1"),
        (InteractionResumed, "e1"),
    ]
    assert r.interaction("e1").paused_by is None
    r.complete("e1", at=60)
    log = r.events
    (row,) = interval_report(log, 3600, by=("channel",), end=60)[:1]
    rows = {x.channel: x for x in interval_report(log, 3600, by=("channel",), end=60)}
    assert rows["email"].total_talk_time == 25.0 and rows["voice"].total_talk_time == 30.0
    live = RealtimeStats()
    live.apply_all(log)
    assert live.queue("default", "email", at=60).total_talk_time == 25.0
    (ann,) = agent_report(log)
    assert ann.total_talk_time == 55.0 == live.agent("ann", at=60).total_talk_time
    assert row.start == 0.0
    assert Router.replay(log, cfg).state_digest() == r.state_digest()


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_accepting_interruptible_work_lets_a_waiting_call_in(backend: str) -> None:
    """A call that arrived while the email still rang waits (ringing work cannot be paused);
    the email's accept is what lets the call reach the agent, in the same command."""
    cfg = RouterConfig.from_dict(
        {"channels": {"email": {"blocks": ["voice"], "interruptible_by": ["voice"]}}}
    )
    r = Router(cfg, backend=backend)
    _agent(r)
    r.submit("e1", channel="email", at=0)
    r.submit("v1", channel="voice", at=1)
    assert r.interaction("v1").status == "queued"
    events = r.accept("e1", at=2)
    assert [(e.kind, e.interaction_id) for e in events] == [
        ("offer_accepted", "e1"),
        ("interaction_offered", "v1"),
    ]
    assert Router.replay(r.events, cfg).state_digest() == r.state_digest()


def test_snapshot_carries_budget_and_pauses() -> None:
    cfg = RouterConfig.from_dict(
        {"channels": {"chat": {"blocks": ["voice"], "interruptible_by": ["voice"]}}}
    )
    store = MemorySnapshotStore()
    r = Router(cfg, backend="python", snapshots=store)
    _agent(r, budget=5)
    r.submit("c1", channel="chat", at=1)
    r.accept("c1", at=2)
    r.submit("v1", channel="voice", at=3)
    r.accept("v1", at=4)
    r.snapshot()
    restored = Router(cfg, log=r.log, backend="python", snapshots=store)
    assert restored.state_digest() == r.state_digest()
    assert restored.interaction("c1").paused_by == "v1"
    restored.check()


def test_bad_rules_and_budgets_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"channels\.voice"):
        RouterConfig.from_dict({"channels": {"voice": {"cost": -1}}})
    with pytest.raises(ConfigError, match=r"channels\.voice"):
        RouterConfig.from_dict({"channels": {"voice": {"blocks": "chat"}}})
    r = Router(backend="python")
    with pytest.raises(InvalidArgument, match="budget"):
        r.login("ann", skills={}, budget=-1, at=0)
    assert r.events == []


_rules = st.fixed_dictionaries(
    {},
    optional={
        ch: st.fixed_dictionaries(
            {
                "cost": st.integers(0, 3),
                "blocks": st.lists(st.sampled_from(CHANNELS), unique=True, max_size=2),
                "interruptible_by": st.lists(st.sampled_from(CHANNELS), unique=True, max_size=2),
            }
        )
        for ch in CHANNELS
    },
)


@given(
    rules=_rules,
    budget=st.one_of(st.none(), st.integers(0, 6)),
    held=st.fixed_dictionaries({ch: st.integers(0, 2) for ch in CHANNELS}),
    connected=st.fixed_dictionaries({ch: st.integers(0, 2) for ch in CHANNELS}),
    channel=st.sampled_from(CHANNELS),
)
def test_the_mask_is_the_rule_stated_plainly(
    rules: dict[str, dict[str, object]],
    budget: int | None,
    held: dict[str, int],
    connected: dict[str, int],
    channel: str,
) -> None:
    """``available`` against the rule written out unit by unit: every held unit either may
    be paused for ``channel`` (connected, unpaused, on a channel interruptible by it) or it
    counts: it must not block ``channel`` and its cost goes against the budget."""
    cfg = RouterConfig.from_dict({"channels": rules})
    pausable = {ch: min(connected[ch], held[ch]) for ch in CHANNELS}
    capacity = dict.fromkeys(CHANNELS, 2)

    def rule(ch: str) -> dict[str, object]:
        return {"cost": 1, "blocks": [], "interruptible_by": [], **rules.get(ch, {})}

    units = [
        (ch, i < pausable[ch] and channel in rule(ch)["interruptible_by"])  # type: ignore[operator]
        for ch in CHANNELS
        for i in range(held[ch])
    ]
    counted = [ch for ch, paused in units if not paused]
    expect = (
        held[channel] < 2
        and not any(channel in rule(ch)["blocks"] for ch in counted)  # type: ignore[operator]
        and (
            budget is None
            or sum(rule(ch)["cost"] for ch in counted) + rule(channel)["cost"] <= budget  # type: ignore[misc]
        )
    )
    assert available(cfg, True, capacity, held, channel, budget, pausable) == expect
    assert not available(cfg, False, capacity, held, channel, budget, pausable)
    if not rules and budget is None:
        assert not blocked(cfg, held, channel)


def test_every_channel_pair_of_a_blocking_rule() -> None:
    for a, b in itertools.permutations(CHANNELS, 2):
        cfg = RouterConfig.from_dict({"channels": {a: {"blocks": [b]}}})
        assert blocked(cfg, {a: 1}, b) and not blocked(cfg, {b: 1}, a)
