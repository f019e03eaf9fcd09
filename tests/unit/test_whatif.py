"""What-if replay: hand-worked cases of the behaviour model (transfers, callbacks and deadlines
included), roles and errors."""

from __future__ import annotations

import typing

import msgspec
import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import ConfigError, InvalidArgument, UnsupportedInput
from ccrouter.events import (
    AgentLoggedOut,
    AgentNotReady,
    CallbackRequested,
    Event,
    EventBase,
    InteractionCompleted,
    InteractionDeadlineSet,
    InteractionNoteAdded,
    InteractionOffered,
    InteractionOverdue,
    InteractionReminded,
    InteractionTargeted,
    InteractionTransferred,
    OfferAccepted,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
)
from ccrouter.whatif.compare import EVENT_ROLES, LOGOUT_PENDING, decisions, whatif
from ccrouter.whatif.model import _wait_to

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


# --- transfers, callbacks, deadlines ---------------------------------------------------------


def _transferred(events: list[Event]) -> list[tuple[str, str, str, float]]:
    return [(e.interaction_id, e.agent_id, e.queue, e.at) for e in events
            if isinstance(e, InteractionTransferred)]  # fmt: skip


def _done(events: list[Event]) -> list[tuple[str, str, float]]:
    return [(e.interaction_id, e.agent_id, e.at) for e in events
            if isinstance(e, InteractionCompleted)]  # fmt: skip


BILLING = {"queues": {"default": {}, "billing": {}}}


def test_blind_transfer_follows_the_new_first_agent_after_the_recorded_talk() -> None:
    # Recorded: u's first call c0 goes to bob (busy until 8); u's second, c1, to ann at 3,
    # accepted at 4; ann transfers it to billing after 6 s of talk (at 10), carl accepts
    # 1 s later and talks 19 s. With last-agent routing c1 waits for bob: offered at 8,
    # accepted at 9 (the leg's 1 s ring delay), transferred by bob at 9 + 6 = 15; carl's
    # leg follows (accepts at 16, completes at 16 + 19 = 35).
    r = Router(RouterConfig.from_dict(BILLING), backend="python")
    r.login("ann", skills={"en": 1}, at=0)
    r.login("bob", skills={"en": 1}, at=0)
    r.login("carl", skills={"billing": 1}, at=0)
    r.ready("bob", at=0)
    r.ready("ann", at=1)
    r.ready("carl", at=1)
    r.submit("c0", channel="voice", skills={"en": 1}, customer_id="u", at=1)  # bob
    r.accept("c0", at=1)
    r.submit("c1", channel="voice", skills={"en": 1}, customer_id="u", at=3)  # ann
    r.accept("c1", at=4)
    r.complete("c0", at=8)
    r.transfer("c1", to_queue="billing", skills={"billing": 1}, note="refund", at=10)
    r.accept("c1", at=11)
    r.complete("c1", at=30)
    assert _transferred(r.events) == [("c1", "ann", "billing", 10.0)]
    sticky = {"queues": {"default": {"last_agent": {"wait": 30}}, "billing": {}}}

    result = whatif(r.events, RouterConfig.from_dict(sticky), until=40, backend="python")

    assert _transferred(result.events) == [("c1", "bob", "billing", 15.0)]
    [moved] = [e for e in result.events if isinstance(e, InteractionTransferred)]
    assert (moved.note, moved.skills) == ("refund", {"billing": 1})
    assert _offers(result.events)[-1] == ("c1", "carl", 15.0)
    assert _done(result.events) == [("c0", "bob", 8.0), ("c1", "carl", 35.0)]
    c1 = result.interactions[1]
    assert (c1.before.agent_id, c1.after.agent_id) == ("ann", "bob")  # the first answer
    assert (c1.after.answered_at, c1.after.offers) == (9.0, 2)
    assert result.skipped == []


def test_consult_of_an_agent_busy_in_the_new_run_is_skipped_and_the_leg_completes() -> None:
    # Recorded (longest idle): c1 (en) to ann, c2 (fr) to bob, idle longer than dave. At 10
    # ann consults dave, who takes c1 over at 12. Under most_skilled c2 goes to dave (fr 5):
    # he is busy at 10, so the consult cannot be made; ann completes c1 when dave took it
    # over in the log (12), and dave's leg never happens.
    r = Router(backend="python")
    r.login("ann", skills={"en": 1}, at=0)
    r.login("bob", skills={"fr": 1}, at=0)
    r.login("dave", skills={"fr": 5}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    r.ready("dave", at=2)
    r.submit("c1", channel="voice", skills={"en": 1}, at=3)
    r.submit("c2", channel="voice", skills={"fr": 1}, at=4)
    r.accept("c1", at=4)
    r.accept("c2", at=5)
    r.transfer("c1", to_agent="dave", mode="consult", note="speaks french", at=10)
    r.accept_transfer("c1", at=12)
    r.complete("c1", at=30)
    r.complete("c2", at=40)
    consult = next(e for e in r.events if isinstance(e, TransferOffered))

    result = whatif(r.events, SKILLED, backend="python")

    assert _offers(result.events) == [("c1", "ann", 3.0), ("c2", "dave", 4.0)]
    [skip] = result.skipped
    assert (skip.seq, skip.at, skip.kind) == (consult.seq, 10.0, "consult_transfer")
    assert "cannot consult 'dave'" in skip.reason and "completes" in skip.reason
    assert _done(result.events) == [("c1", "ann", 12.0), ("c2", "dave", 40.0)]
    assert not any(isinstance(e, TransferOffered | TransferAccepted) for e in result.events)


def test_blind_transfer_to_the_agent_now_holding_it_completes_instead() -> None:
    # Recorded: ann takes c1 and hands it to bob at 10 (bob talks until 30). Under
    # most_skilled bob takes c1 himself: the transfer to bob cannot be made, bob completes
    # at the transfer's time.
    r = _two_agents()
    r.submit("c1", channel="voice", skills={"en": 1}, at=2)
    r.accept("c1", at=3)
    r.transfer("c1", to_agent="bob", at=10)
    r.accept("c1", at=11)
    r.complete("c1", at=30)
    result = whatif(r.events, SKILLED, backend="python")
    [skip] = result.skipped
    assert (skip.kind, skip.at) == ("blind_transfer", 10.0)
    assert "already connected there" in skip.reason
    assert _done(result.events) == [("c1", "bob", 10.0)]


def test_callback_request_of_work_already_answered_is_skipped() -> None:
    # Recorded with 30 s wrap-up: c2 waits while ann wraps c1 up; the customer asks for a
    # callback at 10 and is called back at 35. Without wrap-up ann answers c2 at 6: the
    # request at 10 finds it connected.
    r = Router(RouterConfig.from_dict({"queues": {"default": {"wrap_up": 30}}}), backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=0)
    r.accept("c1", at=1)
    r.submit("c2", channel="voice", at=2)
    r.complete("c1", at=5)
    r.request_callback("c2", at=10)
    r.advance(at=35)
    r.accept("c2", at=36)
    r.complete("c2", at=50)
    assert whatif(r.events, r.config, backend="python").events == r.events

    result = whatif(r.events, RouterConfig(), backend="python")

    [skip] = result.skipped
    assert (skip.kind, skip.at) == ("callback", 10.0)
    assert skip.reason == "c2 already connected: callback dropped"
    assert not any(isinstance(e, CallbackRequested) for e in result.events)
    assert _done(result.events) == [("c1", "ann", 5.0), ("c2", "ann", 20.0)]  # 14 s of talk


def test_automatic_callbacks_follow_the_what_if_config() -> None:
    r = Router(RouterConfig.from_dict({"queues": {"default": {"callback_after": 5}}}))
    r.submit("c1", channel="voice", at=0)
    r.advance(at=20)
    [auto] = [e for e in r.events if isinstance(e, CallbackRequested)]
    assert (auto.automatic, auto.at) == (True, 5.0)
    later = RouterConfig.from_dict({"queues": {"default": {"callback_after": 2}}})
    made = [e for e in whatif(r.events, later).events if isinstance(e, CallbackRequested)]
    assert [(e.automatic, e.at) for e in made] == [(True, 2.0)]
    assert not any(
        isinstance(e, CallbackRequested) for e in whatif(r.events, RouterConfig()).events
    )


def _mail(deadline: float | None) -> RouterConfig:
    return RouterConfig.from_dict({"queues": {"mail": {"deadline": deadline}}})


def _deadlines(events: list[Event]) -> list[tuple[str, float, bool]]:
    return [(e.interaction_id, e.deadline, e.explicit) for e in events
            if isinstance(e, InteractionDeadlineSet)]  # fmt: skip


def test_explicit_deadline_is_kept_while_the_queue_deadline_follows_the_config() -> None:
    r = Router(_mail(60), backend="python")
    r.submit("m1", channel="email", queue="mail", deadline=500, at=0)  # its own
    r.submit("m2", channel="email", queue="mail", at=1)  # the queue's: due at 61
    r.advance(at=100)
    assert _deadlines(r.events) == [("m1", 500.0, True), ("m2", 61.0, False)]
    assert whatif(r.events, _mail(60), backend="python").events == r.events

    longer = whatif(r.events, _mail(100), backend="python")
    assert _deadlines(longer.events) == [("m1", 500.0, True), ("m2", 101.0, False)]
    assert not any(isinstance(e, InteractionOverdue) for e in longer.events)  # (ends at 61)
    none = whatif(r.events, _mail(None), backend="python")
    assert _deadlines(none.events) == [("m1", 500.0, True)]

    # A schema-3 log does not say which deadline the submission gave: all read as queue's.
    old = [msgspec.structs.replace(e, explicit=False) if isinstance(e, InteractionDeadlineSet)
           else e for e in r.events]  # fmt: skip
    assert _deadlines(whatif(old, _mail(None), backend="python").events) == []


def test_explicit_deadline_apart_from_its_submission_is_a_typed_error() -> None:
    r = Router(_mail(None))
    r.submit("m1", channel="email", queue="mail", at=0)
    r.advance(at=1)
    stray = InteractionDeadlineSet(seq=r.state.last_seq + 1, at=2.0, interaction_id="m1",
                                   deadline=9.0, explicit=True)  # fmt: skip
    with pytest.raises(UnsupportedInput, match="does not follow its submission"):
        whatif([*r.events, stray], _mail(None))


def test_transfer_to_a_queue_missing_from_the_config_is_a_config_error() -> None:
    r = Router(RouterConfig.from_dict(BILLING), backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=1)
    r.accept("c1", at=1)
    r.transfer("c1", to_queue="billing", at=2)
    with pytest.raises(ConfigError, match=r"queue\(s\) billing"):
        whatif(r.events, RouterConfig())


def test_transfer_events_are_reactions() -> None:
    for t in (InteractionTransferred, TransferOffered, TransferAccepted, TransferDeclined):
        assert EVENT_ROLES[t] == "reaction"
    assert EVENT_ROLES[CallbackRequested] == EVENT_ROLES[InteractionDeadlineSet] == "input"
    assert "unsupported" not in EVENT_ROLES.values()


def test_a_timer_the_last_command_set_due_at_once_fires_only_if_the_log_fired_it() -> None:
    # The transfer at 2.5 puts c1 back in its queue after its reminder time (due 4, reminded
    # 1.5 s before): the reminder is due at once, but no command came to fire it.
    config = RouterConfig.from_dict({"queues": {"default": {"reminders": [1.5]}}})
    r = Router(config, backend="python")
    r.login("ann", skills={}, at=0)
    r.login("bob", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", deadline=4, at=0)
    r.accept("c1", at=0)
    r.transfer("c1", to_agent="bob", at=2.5)
    assert whatif(r.events, config, backend="python").events == r.events
    r.advance(at=3)  # fires it at its due time, 2.5: the log now ends with it
    assert isinstance(r.events[-1], InteractionReminded) and r.events[-1].at == 2.5
    assert whatif(r.events, config, backend="python").events == r.events


def test_a_logout_batch_starting_with_its_own_revocation_fires_no_timers() -> None:
    # The logout (with an id) revokes c1's offer: its batch begins with that revocation, not
    # with a timer. The target expiry due at the same time was fired by an advance before.
    r = _two_agents()
    r.submit("c0", channel="voice", at=2)  # ann
    r.accept("c0", at=2)
    r.submit("c1", channel="voice", preferred_agents=["ann"], preferred_wait=2.5, at=2)
    r.complete("c0", at=2.5)  # c1 rings for ann
    r.advance(at=4.5)  # the target expires at 4.5
    r.logout("ann", at=4.5, command_id="out")  # revokes the offer: c1 goes to bob
    assert whatif(r.events, RouterConfig(), backend="python").events == r.events


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
