"""What-if replay: hand-worked cases of the behaviour model, roles and errors."""

from __future__ import annotations

import typing

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import ConfigError, InvalidArgument, UnsupportedInput
from ccrouter.events import (
    AgentLoggedOut,
    AgentNotReady,
    Event,
    EventBase,
    InteractionCompleted,
    InteractionNoteAdded,
    InteractionOffered,
    InteractionTargeted,
    OfferAccepted,
)
from ccrouter.whatif import EVENT_ROLES, LOGOUT_PENDING, decisions, whatif
from ccrouter.whatif_model import _wait_to

SKILLED = RouterConfig.from_dict({"queues": {"default": {"strategy": "most_skilled"}}})


def _two_agents() -> Router:
    """Ann (en 1) idle since 0, Bob (en 5) idle since 1, both ready."""
    r = Router(backend="python")
    r.login("ann", skills={"en": 1}, at=0)
    r.login("bob", skills={"en": 5}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    return r


def _offers(events: list[Event]) -> list[tuple[str, str, float]]:
    return decisions(events)


def test_every_event_type_has_a_role() -> None:
    assert set(EVENT_ROLES) == set(typing.get_args(Event))


def test_strategy_change_moves_a_decision_as_predicted() -> None:
    # longest_idle gives c1 to ann (idle since 0); most_skilled to bob (en 5 > 1). Then c2
    # (at 10) goes to whoever is free: bob when recorded, ann in the what-if.
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)
    r.accept("c1", at=3)  # ring delay 1
    r.submit("c2", channel="voice", skills={"en": 1}, at=10)
    r.accept("c2", at=12)  # ring delay 2
    r.complete("c2", at=40)  # talk 28
    r.complete("c1", at=60)  # talk 57
    result = whatif(r.events, SKILLED, backend="python")

    assert _offers(result.events) == [("c1", "bob", 2.0), ("c2", "ann", 10.0)]
    accepted = [(e.interaction_id, e.agent_id, e.at) for e in result.events
                if isinstance(e, OfferAccepted)]  # fmt: skip
    assert accepted == [("c1", "bob", 3.0), ("c2", "ann", 12.0)]
    done = [(e.interaction_id, e.at) for e in result.events
            if isinstance(e, InteractionCompleted)]  # fmt: skip
    assert done == [("c2", 40.0), ("c1", 60.0)]
    assert not result.same_decisions
    assert result.summary.changed == result.summary.another_agent == 2
    assert result.summary.before == result.summary.after  # same waits: 1 and 2
    assert result.summary.after.asa == 1.5 and result.summary.after.service_level == 1.0


def test_abandoned_call_answered_earlier_talks_the_queue_mean() -> None:
    # One agent with 30 s wrap-up: c2 abandons at 20 while ann wraps up c1 (until 41).
    # Without wrap-up ann is free at 11: c2 is offered then, accepted after ann's mean ring
    # delay (1 s) and talks the queue's mean recorded talk time (10 s: c1's).
    slow = RouterConfig.from_dict({"queues": {"default": {"wrap_up": 30}}})
    r = Router(slow, backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=0)
    r.accept("c1", at=1)
    r.submit("c2", channel="voice", at=2)
    r.complete("c1", at=11)
    r.abandon("c2", at=20)
    # The log ends at 20: look further so that c2's completion (22) is in the run.
    result = whatif(r.events, RouterConfig(), until=30, backend="python")

    c1, c2 = result.interactions
    assert not c1.changed
    assert (c2.before.outcome, c2.before.wait) == ("abandoned", 18.0)
    assert (c2.after.outcome, c2.after.agent_id, c2.after.offered_at) == ("answered", "ann", 11)
    assert (c2.after.answered_at, c2.after.wait) == (12.0, 10.0)
    done = [e for e in result.events if isinstance(e, InteractionCompleted)]
    assert [(e.interaction_id, e.at) for e in done] == [("c1", 11.0), ("c2", 22.0)]
    before, after = result.summary.before, result.summary.after
    assert (before.answered, before.abandoned, after.answered, after.abandoned) == (1, 1, 2, 0)
    assert (before.asa, after.asa) == (1.0, 5.5)
    assert (before.service_level, after.service_level) == (0.5, 1.0)
    assert result.skipped == []  # the abandon came too late: not an error, the model


def test_decline_is_replayed_only_for_the_same_agent() -> None:
    # Recorded: ann declines c1 at 3 (offered at 2), bob gets it at 3 and accepts at 4.
    # most_skilled offers bob first at 2: his recorded answer (accept 1 s after the offer)
    # moves with it, so he accepts at 3; ann is never asked, so there is no decline.
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)
    r.decline("c1", at=3)
    r.accept("c1", at=4)
    r.complete("c1", at=30)
    assert _offers(r.events) == [("c1", "ann", 2.0), ("c1", "bob", 3.0)]
    result = whatif(r.events, SKILLED, backend="python")
    assert _offers(result.events) == [("c1", "bob", 2.0)]
    [d] = result.interactions
    assert (d.after.agent_id, d.after.answered_at, d.after.offers) == ("bob", 3.0, 1)
    assert (result.summary.before.declined, result.summary.after.declined) == (1, 0)
    done = next(e for e in result.events if isinstance(e, InteractionCompleted))
    assert done.at == 29.0  # the recorded 26 s of talk


def test_a_miss_is_replayed_when_the_same_agent_is_offered() -> None:
    # Recorded: ann lets c1 ring out (timeout 5) and bob takes it. Under most_skilled bob is
    # offered first and accepts; under the same strategy but a longer timeout, ann still does
    # not answer: the offer now rings 8 s before it goes to bob.
    base = {"queues": {"default": {"offer_timeout": 5}}}
    r = Router(RouterConfig.from_dict(base), backend="python")
    r.login("ann", skills={"en": 1}, at=0)
    r.login("bob", skills={"en": 5}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    r.submit("c1", channel="voice", at=2)
    r.advance(at=7)  # ann misses at 7 -> bob
    r.accept("c1", at=8)
    longer = RouterConfig.from_dict({"queues": {"default": {"offer_timeout": 8}}})
    result = whatif(r.events, longer, until=20, backend="python")  # the log ends at 8
    assert _offers(result.events) == [("c1", "ann", 2.0), ("c1", "bob", 10.0)]
    [d] = result.interactions
    assert (d.after.answered_at, d.after.wait) == (11.0, 9.0)  # bob's 1 s ring delay
    assert any(isinstance(e, AgentNotReady) and e.reason == "no_answer" for e in result.events)


def test_logout_of_a_busy_agent_waits_for_the_work() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)  # -> ann
    r.accept("c1", at=3)
    r.logout("bob", at=10)
    r.complete("c1", at=50)
    result = whatif(r.events, SKILLED, backend="python")  # c1 -> bob, who is busy at 10

    [skip] = result.skipped
    assert (skip.kind, skip.at) == ("logout", 10.0)
    pending = [e for e in result.events if isinstance(e, AgentNotReady)]
    assert [(e.agent_id, e.reason, e.at) for e in pending] == [("bob", LOGOUT_PENDING, 10.0)]
    [out] = [e for e in result.events if isinstance(e, AgentLoggedOut)]
    assert (out.agent_id, out.at) == ("bob", 50.0)
    assert Router.replay(result.events, SKILLED).agent("bob").status == "logged_out"


def test_until_cuts_both_logs() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)
    r.accept("c1", at=3)
    r.submit("c2", channel="voice", skills={"en": 1}, at=10)
    result = whatif(r.events, SKILLED, until=5, backend="python")
    assert [d.interaction_id for d in result.interactions] == ["c1"]
    assert all(e.at <= 5 for e in result.events)
    assert result.until == 5.0


def test_targeted_submission_is_rebuilt_exactly() -> None:
    r = Router(backend="python")
    r.login("ann", skills={}, at=0)
    r.login("bob", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", preferred_agents=["bob"], preferred_wait=0.7, at=0.1)
    r.submit("c2", channel="voice", direct_to="bob", at=0.2)
    r.advance(at=5)
    r.ready("bob", at=6)
    result = whatif(r.events, RouterConfig(), backend="python")
    assert result.events == r.events
    targeted = [e for e in result.events if isinstance(e, InteractionTargeted)]
    assert [(e.reason, e.until) for e in targeted] == [("preferred", 0.1 + 0.7), ("direct", None)]


@pytest.mark.parametrize(("at", "until"), [(0.1, 0.8), (1e9 + 0.3, 1e9 + 17.1), (3.0, 3.5)])
def test_wait_to_lands_on_until(at: float, until: float) -> None:
    assert at + _wait_to(at, until) == until


def test_unknown_event_type_is_a_typed_error() -> None:
    class Surprise(EventBase, frozen=True, tag="surprise"):
        pass

    r = _two_agents()
    events: list[typing.Any] = [*r.events, Surprise(seq=5, at=3.0)]
    with pytest.raises(UnsupportedInput, match=r"'surprise' \(seq 5\).*EVENT_ROLES"):
        whatif(events, RouterConfig())


def test_targeting_apart_from_its_submission_is_a_typed_error() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", at=2)
    stray = InteractionTargeted(seq=r.state.last_seq + 1, at=3.0, interaction_id="c1",
                                agent_ids=["bob"])  # fmt: skip
    with pytest.raises(UnsupportedInput, match="does not follow its submission"):
        whatif([*r.events, stray], RouterConfig())


def test_queue_missing_from_the_config_is_a_config_error() -> None:
    config = RouterConfig.from_dict({"queues": {"sales": {}}})
    r = Router(config, backend="python")
    r.submit("c1", channel="voice", queue="sales", at=0)
    with pytest.raises(ConfigError, match="queue\\(s\\) sales"):
        whatif(r.events, RouterConfig())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"until": float("nan")}, "until"),
        ({"threshold": -1}, "threshold"),
        ({"threshold": True}, "threshold"),
    ],
)
def test_bad_arguments(kwargs: dict[str, typing.Any], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        whatif([], RouterConfig(), **kwargs)
    with pytest.raises(InvalidArgument, match="RouterConfig"):
        whatif([], {"queues": {}})  # type: ignore[arg-type]


def test_empty_log() -> None:
    result = whatif([], RouterConfig())
    assert result.interactions == [] and result.events == [] and result.same_decisions
    assert result.summary.before.offered == result.summary.after.offered == 0


def test_offered_event_is_a_decision_not_an_input() -> None:
    assert EVENT_ROLES[InteractionOffered] == "decision"
    assert EVENT_ROLES[OfferAccepted] == "reaction"


def _reconfigured() -> Router:
    r = _two_agents()
    r.reconfigure(SKILLED, at=5)
    r.submit("c1", channel="voice", skills={"en": 1}, at=10)  # most_skilled by now: bob
    r.accept("c1", at=11)
    return r


def test_config_changes_are_dropped_by_default() -> None:
    r = _reconfigured()
    result = whatif(r.events, RouterConfig(), backend="python")
    assert _offers(result.events) == [("c1", "ann", 10.0)]  # longest_idle throughout
    [skip] = result.skipped
    assert (skip.kind, skip.at, skip.seq) == ("reconfigure", 5.0, 5)
    assert "what-if config stays in force" in skip.reason


def test_config_changes_can_be_replayed() -> None:
    r = _reconfigured()
    result = whatif(r.events, RouterConfig(), backend="python", config_changes="replay")
    assert result.events == r.events and result.skipped == []
    with pytest.raises(InvalidArgument, match="config_changes"):
        whatif(r.events, RouterConfig(), config_changes="keep")  # type: ignore[arg-type]


def test_last_agent_targeting_is_re_derived_not_replayed() -> None:
    sticky = RouterConfig.from_dict({"queues": {"default": {"last_agent": {"wait": 30}}}})
    r = Router(sticky, backend="python")
    r.login("ann", skills={}, at=0)
    r.login("bob", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", customer_id="u", at=1)  # ann
    r.accept("c1", at=1)
    r.complete("c1", at=5)
    r.ready("bob", at=6)
    r.submit("c2", channel="voice", customer_id="u", at=7)  # held for ann until 37
    assert any(isinstance(e, InteractionTargeted) and e.reason == "last_agent"
               for e in r.events)  # fmt: skip
    assert whatif(r.events, sticky, backend="python").events == r.events
    plain = whatif(r.events, RouterConfig(), backend="python")  # no rule: anyone, at once
    assert _offers(plain.events)[-1] == ("c2", "ann", 7.0)
    assert not any(isinstance(e, InteractionTargeted) for e in plain.events)


def test_unknown_targeting_reason_is_a_typed_error() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", at=2)
    odd = InteractionTargeted(seq=r.state.last_seq + 1, at=2.0, interaction_id="c1",
                              agent_ids=["bob"], reason="vip")  # fmt: skip
    events = [*r.events, odd]
    with pytest.raises(UnsupportedInput, match="reason 'vip'"):
        whatif(events, RouterConfig())


def test_a_log_with_transfers_is_refused_with_a_typed_error() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", at=2)
    r.accept("c1", at=3)
    r.transfer("c1", to_agent="bob", at=4)
    with pytest.raises(UnsupportedInput, match="'interaction_transferred' events yet"):
        whatif(r.events, RouterConfig())


def test_notes_are_inputs() -> None:
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)  # ann
    r.accept("c1", at=3)
    r.add_note("c1", "asked for a refund", at=4)
    r.complete("c1", at=5)
    assert whatif(r.events, RouterConfig(), backend="python").events == r.events
    assert EVENT_ROLES[InteractionNoteAdded] == "input"


def test_batch_matching_is_refused() -> None:
    batch = RouterConfig.from_dict({"matching": "batch"})
    with pytest.raises(InvalidArgument, match="batch matching"):
        whatif(_two_agents().events, batch)
