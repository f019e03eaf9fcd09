"""Pushed events: exactly once, in log order, after the append, filtered, resumable."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from livetools import FakeClock, HookedLog, full_disk, router

from ccrouter import Router
from ccrouter.errors import InvalidArgument, StorageFull
from ccrouter.events import Event
from ccrouter.live import LiveRouter
from ccrouter.log import FileEventLog

WAIT = 30.0


def staffed(live: LiveRouter, *agents: str) -> None:
    for a in agents:
        live.login(a, skills={})
        live.ready(a)


def test_every_event_once_in_order_with_commands_from_threads_and_timers() -> None:
    clock = FakeClock(100.0)
    got: list[Event] = []
    live = LiveRouter(router(offer_timeout=5), clock=clock, max_sleep=0.005)
    live.subscribe(got.append)
    iterated = live.subscribe()

    def traffic(t: int) -> None:
        live.login(f"a{t}", skills={})
        live.ready(f"a{t}")
        for n in range(20):
            live.submit(f"i{t}-{n}", channel="voice", command_id=f"s{t}-{n}")
            live.submit(f"i{t}-{n}", channel="voice", command_id=f"s{t}-{n}")  # a repeat
            if n % 3 == 0:
                clock.set(clock() + 6)  # offers time out: the timer thread fires them

    workers = [threading.Thread(target=traffic, args=(t,)) for t in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    clock.set(clock() + 100)
    live.advance()
    assert live.flush(WAIT)
    live.close()
    log = live.router.events
    assert got == log  # each event once, in order, timer-caused ones included
    assert list(iterated) == log
    assert any(e.kind == "offer_timed_out" for e in got)


def test_events_reach_subscribers_only_once_the_append_succeeded() -> None:
    log = HookedLog()
    live = LiveRouter(router(log=log), clock=FakeClock(), timers=False)
    seen: list[int] = []

    def check_durable(event: Event) -> None:
        assert event.seq <= log.version  # already in the log when delivered
        seen.append(event.seq)

    live.subscribe(check_durable)
    staffed(live, "ann")
    log.before = full_disk
    with pytest.raises(StorageFull):
        live.submit("c1", channel="voice")
    log.before = None
    live.submit("c2", channel="voice")
    live.close()
    assert seen == [1, 2, 3, 4, 5]  # seq 1: the config the log records, sent with the first
    kinds = [e.kind for e in live.router.events[3:]]
    assert kinds == ["interaction_queued", "interaction_offered"]


def test_an_append_of_unknown_outcome_that_stored_is_still_delivered() -> None:
    """The store kept the batch but raised (a connection lost during COMMIT): the router
    rebuilds from the log and finds it there; the subscribers get it too, once."""

    def lost_ack(events: Sequence[Event]) -> None:
        raise OSError("connection lost during COMMIT")

    log = HookedLog()
    live = LiveRouter(router(log=log), clock=FakeClock(), timers=False)
    got: list[Event] = []
    live.subscribe(got.append)
    staffed(live, "ann")
    log.after = lost_ack
    with pytest.raises(OSError, match="COMMIT"):
        live.submit("c1", channel="voice")
    log.after = None
    live.submit("c2", channel="voice")
    live.close()
    assert got == live.router.events and len(got) == 6  # the config record first


def test_filters_by_kind_agent_and_queue() -> None:
    live = LiveRouter(router(offer_timeout=None), clock=FakeClock(), timers=False)
    offers = live.subscribe(kinds={"interaction_offered"})
    ann = live.subscribe(agent="ann")
    vip = live.subscribe(queue="vip")
    staffed(live, "ann", "bob")
    live.submit("c1", channel="voice")  # to ann (idle longest)
    live.submit("c2", channel="voice", queue="vip")  # to bob
    live.accept("c1")
    live.transfer("c1", to_queue="vip")  # blind: waits in vip (bob is busy)
    live.accept("c2")
    live.complete("c2")
    live.close()
    assert [(e.kind, e.interaction_id) for e in offers] == [  # type: ignore[attr-defined]
        ("interaction_offered", "c1"),
        ("interaction_offered", "c2"),
        ("interaction_offered", "c1"),  # after the transfer, to bob once c2 completed
    ]
    got_ann = [(e.kind, getattr(e, "interaction_id", None)) for e in ann]
    assert ("agent_logged_in", None) in got_ann and ("interaction_transferred", "c1") in got_ann
    assert all(iid != "c2" for _, iid in got_ann)
    got_vip = [(e.kind, getattr(e, "interaction_id", None)) for e in vip]
    assert ("interaction_queued", "c2") in got_vip and ("interaction_offered", "c2") in got_vip
    assert ("interaction_transferred", "c1") in got_vip  # into vip
    assert ("interaction_offered", "c1") in got_vip  # offered again, from vip (to bob)
    assert ("interaction_queued", "c1") not in got_vip and ("offer_accepted", "c1") not in got_vip


def test_filters_are_checked() -> None:
    with LiveRouter(router(), clock=FakeClock(), timers=False) as live:
        for bad in ({"kinds": "interaction_offered"}, {"agent": ""}, {"queue": 3}, {"since": -1}):
            with pytest.raises(InvalidArgument):
                live.subscribe(**bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument, match="beyond the log's version"):
            live.subscribe(since=5)


def test_resume_after_a_restart_from_the_last_seq_seen(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    clock = FakeClock(100.0)
    first: list[Event] = []
    with FileEventLog(path) as log:
        live = LiveRouter(router(log=log), clock=clock, timers=False)
        live.subscribe(first.append)
        staffed(live, "ann")
        live.submit("c1", channel="voice")
        live.close()
    last_seen = first[2].seq  # the subscriber had handled three events when it went down
    with FileEventLog(path) as log:
        live = LiveRouter(router(log=log), clock=clock, timers=False)
        resumed = live.subscribe(since=last_seen)
        live.submit("c2", channel="voice")
        live.close()
        everything = list(log.read())
    resumed_copy = list(resumed)
    assert [e.seq for e in resumed_copy] == list(range(last_seen + 1, len(everything) + 1))
    assert first[:last_seen] + list(resumed_copy) == everything


def test_resuming_while_commands_run_misses_nothing_and_repeats_nothing() -> None:
    live = LiveRouter(router(offer_timeout=None), clock=FakeClock(), timers=False)
    staffed(live, "ann")
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set() or n < 50:
            live.submit(f"c{n}", channel="chat")
            n += 1

    worker = threading.Thread(target=traffic)
    worker.start()
    subs = [live.subscribe(since=s) for s in (0, 1, 2, 2)]
    subs += [live.subscribe(since=live.version // 2) for _ in range(3)]
    stop.set()
    worker.join()
    live.close()
    log = live.router.events
    for sub in subs:
        got = list(sub)
        assert got == log[got[0].seq - 1 :] and got[-1].seq == len(log)


def test_a_raising_callback_is_counted_and_the_others_still_get_everything() -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    live = LiveRouter(router(), clock=FakeClock(), timers=False)
    bad = live.subscribe(broken)
    good: list[Event] = []
    live.subscribe(good.append)
    staffed(live, "ann")
    live.close()
    assert bad.errors == 2 and len(good) == 2


def test_a_closed_subscription_gets_nothing_more() -> None:
    live = LiveRouter(router(), clock=FakeClock(), timers=False)
    got: list[Event] = []
    with live.subscribe(got.append):
        live.login("ann", skills={})
        assert live.flush(WAIT)
    live.ready("ann")
    live.close()
    assert [e.kind for e in got] == ["agent_logged_in"]


def test_a_repeat_publishes_nothing_and_says_so() -> None:
    live = LiveRouter(router(), clock=FakeClock(), timers=False)
    got: list[Event] = []
    live.subscribe(got.append)
    live.login("ann", skills={}, command_id="l1")
    again = live.login("ann", skills={}, command_id="l1")
    live.close()
    assert again.repeat and [e.kind for e in got] == ["agent_logged_in", "command_recorded"]
    assert Router.replay(got).state_digest() == live.router.state_digest()


def test_a_queue_filter_knows_interactions_queued_while_nobody_listened() -> None:
    live = LiveRouter(router(offer_timeout=None), clock=FakeClock(), timers=False)
    live.submit("c1", channel="voice", queue="vip")  # nobody subscribed: not published
    live.submit("c2", channel="voice")
    vip = live.subscribe(queue="vip")
    staffed(live, "ann")  # ann takes c1 (vip) first? either way each offer is filtered
    live.close()
    got = [(e.kind, getattr(e, "interaction_id", None)) for e in vip]
    assert ("interaction_offered", "c1") in got
    assert all(iid == "c1" for _, iid in got)


def test_a_subscription_without_since_starts_now() -> None:
    live = LiveRouter(router(), clock=FakeClock(), timers=False)
    staffed(live, "ann")
    early = live.subscribe()
    later: list[Event] = []
    live.subscribe(later.append)
    live.not_ready("ann", reason="lunch")
    live.close()
    assert [e.seq for e in early] == [3] and [e.seq for e in later] == [3]
