"""Offers carry their seq: a view shows it, and an accept naming a stale offer is refused."""

from __future__ import annotations

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import InvalidArgument, InvalidTransition, StaleOffer


def ringing(timeout: float | None = 10) -> Router:
    config = RouterConfig.from_dict({"queues": {"default": {"offer_timeout": timeout}}})
    r = Router(config)
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.login("bob", skills={}, at=0)
    r.ready("bob", at=0)
    r.submit("c1", channel="voice", at=1)
    return r


def test_the_view_names_the_last_offer_and_a_replay_agrees() -> None:
    r = ringing()
    view = r.interaction("c1")
    offered = [e for e in r.events if e.kind == "interaction_offered"]
    assert view.offer_seq == offered[-1].seq
    assert Router.replay(r.events, r.base_config).interaction("c1").offer_seq == view.offer_seq


def test_an_accept_of_the_ringing_offer_goes_through() -> None:
    r = ringing()
    seq = r.interaction("c1").offer_seq
    assert [e.kind for e in r.accept("c1", at=2, offer_seq=seq)] == ["offer_accepted"]


def test_an_accept_of_an_offer_that_timed_out_and_rang_again_is_stale() -> None:
    r = ringing()
    first = r.interaction("c1")
    r.advance(at=11)  # times out, offered again (to the other agent)
    second = r.interaction("c1")
    assert second.offer_seq is not None and second.offer_seq > first.offer_seq  # type: ignore[operator]
    version = r.log.version
    with pytest.raises(StaleOffer, match="stale offer for 'c1'") as info:
        r.accept("c1", at=12, offer_seq=first.offer_seq)
    assert isinstance(info.value, InvalidTransition)
    assert (info.value.offer_seq, info.value.current) == (first.offer_seq, second.offer_seq)
    assert r.log.version == version and r.interaction("c1").status == "offered"
    r.accept("c1", at=12, offer_seq=second.offer_seq)


def test_an_offer_expiring_by_the_accepts_time_is_stale_not_a_late_accept() -> None:
    r = ringing()
    seq = r.interaction("c1").offer_seq
    with pytest.raises(StaleOffer):
        r.decline("c1", at=11, offer_seq=seq)


def test_a_retried_accept_with_its_id_is_a_repeat_not_stale() -> None:
    r = ringing()
    seq = r.interaction("c1").offer_seq
    first = r.accept("c1", at=2, offer_seq=seq, command_id="acc-1")
    again = r.accept("c1", at=3, offer_seq=seq, command_id="acc-1")
    assert again == first and again.repeat  # type: ignore[attr-defined]


def test_offer_seq_must_be_an_int() -> None:
    r = ringing()
    with pytest.raises(InvalidArgument, match="offer_seq must be an int"):
        r.accept("c1", at=2, offer_seq="7")  # type: ignore[arg-type]
