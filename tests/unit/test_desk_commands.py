"""Agent-desktop commands: answering as a named agent, ending and extending wrap-up,
changing a logged-in agent's skills, capacity and groups. Each is an event (or refused with
nothing changed), replays to the same state and survives a snapshot."""

from __future__ import annotations

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.commands import EndWrapUp, ExtendWrapUp, UpdateAgent
from ccrouter.engine.snapshot import MemorySnapshotStore
from ccrouter.errors import (
    InvalidArgument,
    InvalidTransition,
    NotYourWork,
    UnknownAgent,
)
from ccrouter.events import (
    AgentUpdated,
    WrapUpEnded,
    WrapUpExtended,
    decode_json,
    encode_json,
)
from ccrouter.log import MemoryEventLog
from ccrouter.stats import agent_report, interval_report
from ccrouter.whatif import whatif

CONFIG = RouterConfig.from_dict({"queues": {"default": {"wrap_up": 30, "offer_timeout": 20}}})


def _router(**kwargs: object) -> Router:
    r = Router(CONFIG, log=MemoryEventLog(), **kwargs)  # type: ignore[arg-type]
    r.login("ann", skills={"en": 5}, at=0)
    r.login("bob", skills={"en": 3}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    return r


def _unchanged(r: Router, call: object, error: type[Exception]) -> None:
    before = (r.log.version, r.state_digest())
    with pytest.raises(error):
        call()  # type: ignore[operator]
    assert (r.log.version, r.state_digest()) == before


# --- answering as a named agent -------------------------------------------------------------


def test_accept_decline_complete_as_another_agent_are_refused() -> None:
    r = _router()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)
    assert r.interaction("c1").agent_id == "ann"
    _unchanged(r, lambda: r.accept("c1", agent_id="bob", at=3), NotYourWork)
    _unchanged(r, lambda: r.decline("c1", agent_id="bob", at=3), NotYourWork)
    _unchanged(r, lambda: r.accept("c1", agent_id="ghost", at=3), NotYourWork)
    _unchanged(r, lambda: r.accept("c1", agent_id="", at=3), InvalidArgument)
    with pytest.raises(InvalidTransition):  # NotYourWork is an InvalidTransition
        r.accept("c1", agent_id="bob", at=3)
    r.accept("c1", agent_id="ann", at=3)
    _unchanged(r, lambda: r.complete("c1", agent_id="bob", at=9), NotYourWork)
    [done] = r.complete("c1", agent_id="ann", at=10)
    assert done.kind == "interaction_completed"


def test_the_refusal_names_the_agent_and_the_holder() -> None:
    r = _router()
    r.submit("c1", channel="voice", at=2)
    with pytest.raises(NotYourWork, match=r"agent_id 'bob' cannot accept 'c1': it is agent 'ann'"):
        r.accept("c1", agent_id="bob", at=3)


def test_without_agent_id_nothing_is_checked_and_fingerprints_are_unchanged() -> None:
    """An old command id retried after the upgrade still matches its record: a command
    without ``agent_id`` encodes as before the field existed."""
    from ccrouter.commands import Accept
    from ccrouter.engine.digest import fingerprint

    assert fingerprint(Accept(interaction_id="c1"), 3.0) == fingerprint(
        Accept(interaction_id="c1", agent_id=None), 3.0
    )
    assert b"agent_id" not in __import__("msgspec").json.encode(Accept(interaction_id="c1"))


# --- wrap-up ----------------------------------------------------------------------------------


def _wrapping(r: Router) -> None:
    r.submit("c1", channel="voice", at=2)
    r.accept("c1", at=3)
    r.complete("c1", at=10)  # ann wraps up until 40
    assert r.agent("ann").status == "wrap_up"


def test_end_wrap_up_frees_the_agent_at_once_and_routes_it() -> None:
    r = _router()
    r.not_ready("bob", reason="break", at=1.5)
    _wrapping(r)
    r.submit("c2", channel="voice", at=11)  # waits: ann wraps up, bob on a break
    assert r.interaction("c2").status == "queued"
    r.ready("ann", at=12)  # `ready` is presence only: it does not end wrap-up
    assert r.agent("ann").status == "wrap_up" and r.interaction("c2").status == "queued"
    events = r.end_wrap_up("ann", at=13)
    assert [e.kind for e in events] == ["wrap_up_ended", "interaction_offered"]
    assert isinstance(events[0], WrapUpEnded) and events[0].at == 13
    assert r.interaction("c2").agent_id == "ann"
    assert r.state.next_timer() is None or r.state.next_timer()[2] != "wrap"  # type: ignore[index]
    _unchanged(r, lambda: r.end_wrap_up("ann", at=14), InvalidTransition)
    _unchanged(r, lambda: r.end_wrap_up("ghost", at=14), UnknownAgent)
    r.check()


def test_end_wrap_up_of_a_named_interaction() -> None:
    r = _router()
    _wrapping(r)
    _unchanged(r, lambda: r.end_wrap_up("bob", interaction_id="c1", at=12), NotYourWork)
    _unchanged(r, lambda: r.end_wrap_up("ann", interaction_id="zz", at=12), NotYourWork)
    assert [e.kind for e in r.end_wrap_up("ann", interaction_id="c1", at=12)] == ["wrap_up_ended"]


def test_a_wrap_up_due_by_then_cannot_be_ended_or_extended() -> None:
    r = _router()
    _wrapping(r)
    _unchanged(r, lambda: r.end_wrap_up("ann", at=40), InvalidTransition)
    _unchanged(r, lambda: r.extend_wrap_up("ann", 5, at=41), InvalidTransition)


def test_extend_wrap_up_moves_its_end() -> None:
    r = _router()
    _wrapping(r)
    [ext] = r.extend_wrap_up("ann", 15, at=20)
    assert isinstance(ext, WrapUpExtended) and ext.until == 55.0
    [again] = r.extend_wrap_up("ann", 5, at=21)
    assert again.until == 60.0
    assert r.advance(at=55) == []  # the old end passes: still wrapping
    assert r.agent("ann").status == "wrap_up"
    ended = r.advance(at=60)
    assert [(e.kind, e.at) for e in ended] == [("wrap_up_ended", 60.0)]
    assert r.agent("ann").status == "ready"
    r.check()


def test_extend_wrap_up_checks_its_arguments() -> None:
    r = _router()
    _wrapping(r)
    for bad in (0, -1, float("nan"), float("inf"), "5", True):
        _unchanged(r, lambda bad=bad: r.extend_wrap_up("ann", bad, at=12), InvalidArgument)
    _unchanged(r, lambda: r.extend_wrap_up("ann", 1e12, at=12), InvalidArgument)  # out of range
    _unchanged(r, lambda: r.extend_wrap_up("bob", 5, at=12), InvalidTransition)


# --- update_agent -----------------------------------------------------------------------------


def test_update_agent_reroutes_at_once() -> None:
    r = _router()
    r.submit("fr", channel="voice", skills={"fr": 2}, at=2)
    assert r.interaction("fr").status == "queued"  # nobody speaks French
    events = r.update_agent("bob", skills={"en": 3, "fr": 4}, at=5)
    assert [e.kind for e in events] == ["agent_updated", "interaction_offered"]
    assert isinstance(events[0], AgentUpdated) and events[0].capacity is None
    assert r.interaction("fr").agent_id == "bob"
    assert r.agent("bob").skills == {"en": 3, "fr": 4}
    r.check()


def test_update_agent_capacity_and_groups() -> None:
    r = _router()
    r.submit("c1", channel="voice", at=2)
    r.accept("c1", at=3)  # ann holds one voice call
    _unchanged(r, lambda: r.update_agent("ann", capacity={"chat": 2}, at=4), InvalidTransition)
    r.submit("chat1", channel="chat", at=4)
    assert r.interaction("chat1").status == "queued"
    events = r.update_agent("ann", capacity={"voice": 1, "chat": 2}, groups=["tier2"], at=5)
    assert [e.kind for e in events] == ["agent_updated", "interaction_offered"]
    assert r.interaction("chat1").agent_id == "ann"
    assert r.state.agents["ann"].groups == frozenset({"tier2"})
    assert r.update_agent("ann", groups=["tier2"], at=6) == []  # nothing changes: no event
    r.check()


def test_update_agent_refusals() -> None:
    r = _router()
    _unchanged(r, lambda: r.update_agent("ann", at=1), InvalidArgument)
    _unchanged(r, lambda: r.update_agent("ann", skills={"en": -1}, at=1), InvalidArgument)
    _unchanged(r, lambda: r.update_agent("ann", capacity={"voice": "1"}, at=1), InvalidArgument)
    _unchanged(r, lambda: r.update_agent("ann", groups="tier2", at=1), InvalidArgument)
    _unchanged(r, lambda: r.update_agent("ghost", skills={}, at=1), UnknownAgent)
    r.logout("bob", at=2)
    _unchanged(r, lambda: r.update_agent("bob", skills={}, at=3), InvalidTransition)


# --- replay, snapshot, codec, statistics, what-if -----------------------------------------


def _desk_session(r: Router) -> None:
    _wrapping(r)
    r.extend_wrap_up("ann", 10, at=12)
    r.submit("fr", channel="voice", skills={"fr": 1}, at=13)
    r.update_agent("bob", skills={"fr": 2}, capacity={"voice": 1, "chat": 1}, at=14)
    r.accept("fr", agent_id="bob", at=15)
    r.end_wrap_up("ann", at=16)
    r.complete("fr", agent_id="bob", at=30)


def test_replay_snapshot_and_codec() -> None:
    store = MemorySnapshotStore()
    r = _router(snapshots=store)
    _desk_session(r)
    kinds = {e.kind for e in r.events}
    assert {"agent_updated", "wrap_up_extended", "wrap_up_ended"} <= kinds
    for e in r.events:
        assert decode_json(encode_json(e)) == e
    assert Router.replay(r.events).state_digest() == r.state_digest()
    r.snapshot()
    assert Router(log=r.log, snapshots=store).state_digest() == r.state_digest()
    rows = interval_report(r.events, 3600)
    assert sum(row.offered for row in rows) == 2
    agents = {row.agent_id: row for row in agent_report(r.events)}
    assert set(agents) == {"ann", "bob"}
    assert r.stats.queue(at=30).answered == 2  # the live fold sees through the new events
    # The decision after the skills change is explained from the state it was made in.
    assert r.explain("fr").chosen == "bob"


def test_whatif_reruns_the_desk_commands() -> None:
    r = _router()
    _desk_session(r)
    result = whatif(r.events, CONFIG)
    assert result.same_decisions, result.skipped
    assert result.skipped == []


def test_commands_are_plain_data() -> None:
    for command in (
        EndWrapUp(agent_id="ann"),
        ExtendWrapUp(agent_id="ann", seconds=5.0),
        UpdateAgent(agent_id="ann", skills={"x": 1}),
    ):
        r = _router()
        _wrapping(r)
        assert r.execute(command, at=12)


def test_a_snapshot_taken_during_an_extended_wrap_up_keeps_its_new_end() -> None:
    store = MemorySnapshotStore()
    r = _router(snapshots=store)
    _wrapping(r)
    r.extend_wrap_up("ann", 15, at=20)  # ends at 55 instead of 40
    r.update_agent("bob", skills={"fr": 1}, capacity={"voice": 2}, at=21)
    r.snapshot()
    restored = Router(log=r.log, snapshots=store)
    assert restored.state_digest() == r.state_digest()
    restored.check()
    assert restored.state.agents["bob"].capacity == {"voice": 2}
    assert [(e.kind, e.at) for e in restored.advance(at=60)] == [("wrap_up_ended", 55.0)]


def test_one_update_agent_changes_attributes_and_routing_facts_as_two_events() -> None:
    # update_agent is one command for what an agent is (attributes, read by selectors) and
    # what it may take (skills, capacity, groups): each fact that changes is its own event,
    # numbered in order, and replay rebuilds the same agent.
    config = RouterConfig.from_dict({"attributes": {"agent.level": "int"}})
    r = Router(config)
    r.login("ann", skills={"fr": 1}, capacity={"voice": 1}, attributes={"level": 2}, at=0)
    events = r.update_agent("ann", {"level": 3}, skills={"fr": 2}, at=1)
    assert [(e.kind, e.seq) for e in events] == [
        ("agent_attributes_updated", 2),
        ("agent_updated", 3),
    ]
    assert r.agent("ann").attributes == {"level": 3}
    assert r.agent("ann").skills == {"fr": 2}
    assert r.update_agent("ann", {"level": 3}, skills={"fr": 2}, at=2) == []  # no change
    with pytest.raises(InvalidArgument, match="needs attributes, skills"):
        r.update_agent("ann", at=3)
    assert Router.replay(r.events, config).state_digest() == r.state_digest()
