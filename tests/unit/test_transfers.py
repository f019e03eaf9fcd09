"""Transfers, escalation and notes: hand-worked timelines, replay, snapshots and statistics."""

from __future__ import annotations

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.snapshot import MemorySnapshotStore
from ccrouter.engine.state import Segment
from ccrouter.errors import (
    ConfigError,
    InvalidArgument,
    InvalidTransition,
    UnknownInteraction,
    UnknownQueue,
)
from ccrouter.events import (
    InteractionOffered,
    InteractionTransferred,
    OfferAccepted,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
)
from ccrouter.stats import RealtimeStats, agent_report, interval_report

CONFIG = RouterConfig.from_dict(
    {
        "queues": {
            # No ring-no-answer timeout on basic: the consult tests rely on it ringing on.
            "basic": {"escalate_to": "advanced", "wrap_up": 5.0, "offer_timeout": None},
            "advanced": {"offer_timeout": 10.0},
        }
    }
)


def _router() -> Router:
    """ann (basic) and bob (advanced skill) ready; c1 arrives at 1 and is connected to ann at 2."""
    r = Router(CONFIG, backend="python")
    r.login("ann", skills={"basic": 1}, at=0)
    r.ready("ann", at=0)
    r.login("bob", skills={"basic": 1, "advanced": 1}, at=0)
    r.submit("c1", channel="voice", queue="basic", skills={"basic": 1}, at=1)
    r.accept("c1", at=2)
    return r


def _same_on_replay(r: Router) -> None:
    r.check()
    assert Router.replay(r.events, r.config).state_digest() == r.state_digest()


def test_blind_transfer_to_a_queue_releases_the_agent_at_once_and_keeps_the_age() -> None:
    r = _router()
    r.add_note("c1", "wants a refund", at=3)
    events = r.transfer(
        "c1", to_queue="advanced", skills={"advanced": 1}, at=10, note="second tier please"
    )
    assert [type(e) for e in events] == [InteractionTransferred]  # bob is not ready yet
    view = r.interaction("c1")
    assert (view.status, view.queue, view.agent_id, view.arrived_at) == (
        "queued",
        "advanced",
        None,
        1.0,
    )
    assert view.notes == ["wants a refund", "second tier please"]
    assert view.skills == {"advanced": 1}
    # No wrap-up: the conversation goes on elsewhere.
    assert r.agent("ann").status == "ready" and r.agent("ann").wrapping == []
    assert view.history == [
        Segment("basic", "ann", 1.0, 10.0, "transferred", "transfer"),
        Segment("advanced", None, 10.0, None, "queued", ""),
    ]
    offer = r.ready("bob", at=12)[-1]
    assert isinstance(offer, InteractionOffered) and offer.agent_id == "bob"
    # The advanced queue's offer timeout applies to the new leg.
    assert offer.expires_at == 22.0
    r.accept("c1", at=13)
    r.complete("c1", at=20)
    assert r.interaction("c1").history[-1] == Segment(
        "advanced", "bob", 10.0, 20.0, "completed", ""
    )
    _same_on_replay(r)


def test_blind_transfer_to_an_agent_waits_for_that_agent_only() -> None:
    r = _router()
    r.login("cy", skills={"basic": 1}, at=2)
    r.ready("cy", at=2)
    r.transfer("c1", to_agent="bob", at=5)
    view = r.interaction("c1")
    assert (view.status, view.queue, view.preferred_agents) == ("queued", "basic", ["bob"])
    assert r.agent("cy").status == "ready"  # eligible, but the transfer names bob
    offer = r.ready("bob", at=7)[-1]
    assert isinstance(offer, InteractionOffered) and offer.agent_id == "bob"
    _same_on_replay(r)


def test_escalation_goes_to_the_escalate_to_tier_with_its_reason() -> None:
    r = _router()
    r.ready("bob", at=3)
    events = r.escalate("c1", at=4)
    assert [e.kind for e in events] == ["interaction_transferred", "interaction_offered"]
    moved = events[0]
    assert isinstance(moved, InteractionTransferred)
    assert (moved.from_queue, moved.queue, moved.reason) == ("basic", "advanced", "escalation")
    assert events[1].agent_id == "bob"  # type: ignore[union-attr]
    r.accept("c1", at=5)
    with pytest.raises(InvalidArgument, match="no escalate_to"):
        r.escalate("c1", at=6)  # advanced has no higher tier
    _same_on_replay(r)


def test_consult_then_transfer_accepted() -> None:
    r = _router()
    r.ready("bob", at=3)
    (offered,) = r.transfer("c1", to_agent="bob", mode="consult", reason="escalation", at=4)
    assert isinstance(offered, TransferOffered)
    assert offered.expires_at is None  # the target queue (basic) has no offer timeout
    assert r.interaction("c1").status == "connected" and r.interaction("c1").agent_id == "ann"
    assert r.agent("bob").status == "reserved" and r.agent("bob").consults == ["c1"]
    (accepted,) = r.accept_transfer("c1", at=6)
    assert isinstance(accepted, TransferAccepted)
    view = r.interaction("c1")
    assert (view.agent_id, view.status, view.consulting) == ("bob", "connected", None)
    assert r.agent("ann").status == "ready" and r.agent("bob").status == "busy"
    assert view.history[0] == Segment("basic", "ann", 1.0, 6.0, "transferred", "escalation")
    _same_on_replay(r)


def test_consult_declined_or_timed_out_leaves_the_interaction_with_the_first_agent() -> None:
    r = _router()
    r.ready("bob", at=3)
    r.transfer("c1", to_agent="bob", to_queue="advanced", mode="consult", at=4)
    (declined,) = r.decline_transfer("c1", at=5)
    assert isinstance(declined, TransferDeclined) and declined.outcome == "declined"
    assert r.agent("bob").status == "ready" and r.interaction("c1").agent_id == "ann"
    assert r.interaction("c1").history[:-1] == []  # nothing moved
    # The advanced queue's offer timeout (10 s) bounds the next consult.
    (offered,) = r.transfer("c1", to_agent="bob", to_queue="advanced", mode="consult", at=6)
    assert isinstance(offered, TransferOffered) and offered.expires_at == 16.0
    (timed_out,) = r.advance(at=16)
    assert isinstance(timed_out, TransferDeclined) and timed_out.outcome == "timed_out"
    with pytest.raises(InvalidTransition, match="no consult is pending"):
        r.accept_transfer("c1", at=17)
    r.complete("c1", at=18)
    assert r.agent("ann").status == "wrap_up"  # the final completion has its wrap-up
    _same_on_replay(r)


def test_consulted_agent_logging_out_revokes_the_consult() -> None:
    r = _router()
    r.ready("bob", at=3)
    r.transfer("c1", to_agent="bob", mode="consult", timeout=30, at=4)
    events = r.logout("bob", at=5)
    assert [(e.kind, getattr(e, "outcome", None)) for e in events] == [
        ("transfer_declined", "revoked"),
        ("agent_logged_out", None),
    ]
    _same_on_replay(r)


def test_bad_transfers_are_refused_and_change_nothing() -> None:
    r = _router()
    r.submit("c2", channel="voice", queue="basic", skills={"basic": 1}, at=3)  # waits
    digest, version = r.state_digest(), r.log.version
    cases = [
        (UnknownInteraction, lambda: r.transfer("nope", to_queue="basic", at=4)),
        (InvalidArgument, lambda: r.transfer("c1", at=4)),
        (UnknownQueue, lambda: r.transfer("c1", to_queue="nope", at=4)),
        (InvalidArgument, lambda: r.transfer("c1", to_queue="basic", mode="warm", at=4)),
        (InvalidArgument, lambda: r.transfer("c1", to_agent="ann", at=4)),
        # A consult to a queue where nobody is ready (bob is not).
        (InvalidTransition, lambda: r.transfer("c1", to_queue="advanced", mode="consult", at=4)),
        (InvalidArgument, lambda: r.transfer("c1", to_queue="basic", timeout=5, at=4)),
        (InvalidTransition, lambda: r.transfer("c2", to_queue="advanced", at=4)),
        (InvalidTransition, lambda: r.transfer("c1", to_agent="bob", mode="consult", at=4)),
        (InvalidArgument, lambda: r.add_note("c1", "", at=4)),
        (InvalidTransition, lambda: r.decline_transfer("c1", at=4)),
        (InvalidArgument, lambda: r.transfer("c1", to_queue="basic", skills={"x": -1}, at=4)),
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
    assert (r.state_digest(), r.log.version) == (digest, version)
    r.abandon("c2", at=4)
    r.ready("bob", at=4)
    r.transfer("c1", to_agent="bob", mode="consult", at=5)
    with pytest.raises(InvalidTransition, match="consult"):
        r.complete("c1", at=6)
    with pytest.raises(InvalidTransition, match="pending"):
        r.transfer("c1", to_queue="advanced", at=6)


def test_escalate_to_must_name_another_queue() -> None:
    with pytest.raises(ConfigError, match="escalate_to"):
        RouterConfig.from_dict({"queues": {"a": {"escalate_to": "b"}}})
    with pytest.raises(ConfigError, match="escalate_to"):
        RouterConfig.from_dict({"queues": {"a": {"escalate_to": "a"}}})


def test_snapshots_carry_notes_history_and_pending_consults() -> None:
    store = MemorySnapshotStore()
    r = Router(CONFIG, backend="python", snapshots=store)
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.login("bob", skills={}, at=0)
    r.ready("bob", at=0)
    r.submit("c1", channel="voice", queue="basic", at=1)
    r.accept("c1", at=2)
    r.add_note("c1", "n1", at=3)
    r.transfer("c1", to_queue="advanced", at=4)
    r.accept("c1", at=5)
    holder = r.interaction("c1").agent_id
    other = "ann" if holder == "bob" else "bob"
    r.transfer("c1", to_agent=other, mode="consult", at=6, timeout=9)
    r.snapshot()
    restored = Router(CONFIG, log=r.log, backend="python", snapshots=store)
    assert restored.state_digest() == r.state_digest()
    assert restored.interaction("c1") == r.interaction("c1")
    assert restored.state.next_timer() == (15.0, r.log.version, "consult", "c1")


def test_reports_count_transfers_once_in_service_level() -> None:
    """c1 arrives at 0 in basic, answered at 2 (wait 2), escalated at 10 to advanced,
    answered there at 35 (not a second answer: offered 1, answered 1, SL 1/1), completed at
    50. Talk: 8 s with ann + 15 s with bob = 23 s in the arrival row."""
    r = Router(CONFIG, backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", queue="basic", at=0)
    r.accept("c1", at=2)
    r.escalate("c1", skills={"advanced": 1}, at=10)
    r.login("bob", skills={"advanced": 1}, at=30)
    r.ready("bob", at=30)
    r.accept("c1", at=35)
    r.complete("c1", at=50)
    events = r.events
    rows = {row.queue: row for row in interval_report(events, 3600, threshold=20, by=("queue",))}
    basic, advanced = rows["basic"], rows["advanced"]
    assert (basic.offered, basic.answered, basic.answered_within_threshold) == (1, 1, 1)
    assert (basic.transfers, basic.escalations, basic.transfers_in) == (1, 1, 0)
    assert basic.service_level == 1.0 and basic.total_wait_time == 2.0
    assert (advanced.offered, advanced.answered, advanced.transfers_in) == (0, 0, 1)
    assert basic.handled == 1 and basic.total_talk_time == 23.0
    live = RealtimeStats(threshold=20)
    live.apply_all(events)
    live._check()
    q = live.queue("basic", "voice", at=50)
    assert (q.offered, q.answered, q.transfers_out, q.escalations, q.total_talk_time) == (
        1,
        1,
        1,
        1,
        23.0,
    )
    assert live.queue("advanced", "voice", at=50).transfers_in == 1
    agents = {row.agent_id: row for row in agent_report(events)}
    # Each agent's own leg: ann talked 8 s (transferred, not handled), bob 15 s (handled).
    assert (agents["ann"].total_talk_time, agents["bob"].total_talk_time) == (8.0, 15.0)
    for agent_id in ("ann", "bob"):
        assert live.agent(agent_id, at=50) == agents[agent_id]
    by_agent = interval_report(events, 3600, by=("agent",))
    assert sum(row.answered for row in by_agent) == 1
    assert {row.agent_id: row.transfers for row in by_agent} == {"ann": 1, "bob": 0}


def test_an_offer_after_a_transfer_is_a_new_offer_of_the_same_interaction() -> None:
    r = _router()
    r.ready("bob", at=3)
    events = r.transfer("c1", to_queue="advanced", at=4)
    accepted = r.accept("c1", at=5)
    assert [type(e) for e in accepted] == [OfferAccepted]
    assert [e.kind for e in events] == ["interaction_transferred", "interaction_offered"]


@pytest.mark.parametrize("backend", ["numba", "python"])
def test_a_consult_to_a_queue_rings_whom_its_strategy_picks(backend: str) -> None:
    """The experts queue routes most-skilled within its group: of dan (level 3), eve (5) and
    fay (7, not in the group), eve is rung; the consulting agent (ann, with a free chat
    unit) is never picked; with eve busy dan is next; with nobody able it is refused and
    nothing changes."""
    cfg = RouterConfig.from_dict(
        {"queues": {"front": {}, "experts": {"strategy": "most_skilled", "groups": ["xp"]}}}
    )
    r = Router(cfg, backend=backend)
    r.login("ann", skills={"x": 9}, capacity={"chat": 2}, groups=["xp"], at=0)
    for agent, level, groups in (("dan", 3, ["xp"]), ("eve", 5, ["xp"]), ("fay", 7, [])):
        r.login(agent, skills={"x": level}, capacity={"chat": 2}, groups=groups, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="chat", queue="front", skills={"x": 1}, at=1)
    r.accept("c1", at=2)
    for agent in ("dan", "eve", "fay"):
        r.ready(agent, at=3)
    (offered,) = r.transfer("c1", to_queue="experts", mode="consult", at=4)
    assert isinstance(offered, TransferOffered)
    assert (offered.to_agent, offered.queue) == ("eve", "experts")
    r.decline_transfer("c1", at=5)
    r.not_ready("eve", reason="break", at=6)
    (offered,) = r.transfer("c1", to_queue="experts", mode="consult", at=7)
    assert offered.to_agent == "dan"
    r.decline_transfer("c1", at=8)
    r.not_ready("dan", reason="break", at=9)
    before = (r.log.version, r.state_digest())
    with pytest.raises(InvalidTransition, match="nobody there"):
        r.transfer("c1", to_queue="experts", mode="consult", at=10)
    assert (r.log.version, r.state_digest()) == before
    r.check()
    assert Router.replay(r.events, cfg, backend=backend).state_digest() == r.state_digest()
