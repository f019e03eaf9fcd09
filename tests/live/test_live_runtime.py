"""The live runtime: the clock, thread safety, timers that fire by themselves, shutdown."""

from __future__ import annotations

import threading
import time

import pytest
from livetools import FakeClock, router

from ccrouter import Router
from ccrouter.errors import InvalidArgument, RuntimeClosed, UnknownAgent
from ccrouter.live import LiveRouter
from ccrouter.router import CommandResult

WAIT = 30.0  # generous: a loaded machine is slow, never wrong


def test_commands_take_the_clocks_time() -> None:
    clock = FakeClock(500.0)
    with LiveRouter(router(), clock=clock, timers=False) as live:
        result = live.login("ann", skills={})
        assert isinstance(result, CommandResult) and result[0].at == 500.0
        clock.set(501.5)
        assert live.ready("ann")[0].at == 501.5 and live.now == 501.5


def test_a_clock_stepping_back_never_raises_time_stands_still() -> None:
    clock = FakeClock(500.0)
    with LiveRouter(router(), clock=clock, timers=False) as live:
        live.login("ann", skills={})
        clock.set(490.0)  # an NTP correction
        assert live.ready("ann")[0].at == 500.0
        assert live.run("submit", "c1", channel="voice", at=100.0)[0].at == 500.0
        clock.set(502.0)
        assert live.accept("c1")[0].at == 502.0


def test_unknown_commands_queries_and_closed_runtime_are_typed_errors() -> None:
    live = LiveRouter(router(), clock=FakeClock(), timers=False)
    with pytest.raises(InvalidArgument, match="unknown command 'fairness'"):
        live.run("fairness")
    with pytest.raises(InvalidArgument, match="unknown command '_commit'"):
        live.run("_commit")
    with pytest.raises(UnknownAgent):
        live.ready("nobody")
    live.close()
    live.close()  # idempotent
    with pytest.raises(RuntimeClosed, match="closed"):
        live.login("ann", skills={})
    with pytest.raises(RuntimeClosed):
        live.subscribe()


def test_a_failed_command_changes_nothing_and_the_runtime_goes_on() -> None:
    with LiveRouter(router(), clock=FakeClock(), timers=False) as live:
        live.login("ann", skills={})
        version = live.version
        with pytest.raises(ValueError, match="ann"):
            live.login("ann", skills={})
        assert live.version == version
        live.ready("ann")


def test_next_due_is_public_and_follows_the_offers() -> None:
    clock = FakeClock(100.0)
    with LiveRouter(router(offer_timeout=10), clock=clock, timers=False) as live:
        assert live.next_due() is None
        live.login("ann", skills={})
        live.ready("ann")
        live.submit("c1", channel="voice")
        assert live.next_due() == 110.0
        live.accept("c1")
        assert live.next_due() is None


def test_timers_fire_by_themselves_on_a_fake_clock() -> None:
    clock = FakeClock(100.0)
    with LiveRouter(router(offer_timeout=10), clock=clock, max_sleep=0.01) as live:
        timeouts = live.subscribe(kinds={"offer_timed_out"})
        live.login("ann", skills={})
        live.ready("ann")
        live.submit("c1", channel="voice")
        assert timeouts.get(timeout=0.2) is None  # not due yet: nothing fires
        clock.set(110.0)
        event = timeouts.get(timeout=WAIT)
        assert event is not None and event.at == 110.0  # at its due time, by itself
        assert live.interaction("c1").status != "offered"


def test_timers_fire_by_themselves_on_the_wall_clock() -> None:
    """A real short sleep: the offer times out without any command."""
    with LiveRouter(router(offer_timeout=0.05)) as live:
        timeouts = live.subscribe(kinds={"offer_timed_out"})
        live.login("ann", skills={})
        live.ready("ann")
        offered = live.submit("c1", channel="voice")[-1]
        event = timeouts.get(timeout=WAIT)
        assert event is not None and event.at == pytest.approx(offered.at + 0.05)


def test_a_command_wakes_the_sleeping_timer_thread() -> None:
    """The thread sleeps an hour when nothing is due; an offer with a 50 ms timeout must
    wake it (else this test would wait an hour, not WAIT seconds)."""
    with LiveRouter(router(offer_timeout=0.05), max_sleep=3600) as live:
        timeouts = live.subscribe(kinds={"offer_timed_out"})
        live.login("ann", skills={})
        live.ready("ann")
        time.sleep(0.05)  # the thread is asleep with nothing due
        live.submit("c1", channel="voice")
        assert timeouts.get(timeout=WAIT) is not None


def test_a_due_time_after_the_threads_own_wake_up_leaves_it_asleep() -> None:
    """Waking the thread costs the command a handover of the interpreter: a due time it
    will reach anyway (after its own wake-up) must not wake it; an earlier one must."""
    clock = FakeClock(100.0)
    with LiveRouter(router(offer_timeout=30), clock=clock, max_sleep=1.0) as live:
        timer = live._timer
        live.login("ann", skills={})
        live.ready("ann")
        deadline = time.monotonic() + WAIT
        while timer._until is None and time.monotonic() < deadline:
            time.sleep(0.001)  # the thread goes to sleep until 101 (clock time)
        assert timer._until == 101.0
        live.submit("c1", channel="voice")  # due at 130: after 101
        assert live.next_due() == 130.0
        assert not timer._wake.is_set()
        timer.wake(100.5)  # before 101: wakes it
        assert timer._wake.is_set()


def test_a_clock_jump_past_the_sleep_wakes_the_thread_for_a_later_due_time() -> None:
    """A fake clock that jumps beyond the thread's planned wake-up: the next offer's
    timeout is "later" than that wake-up, yet the thread must look now."""
    clock = FakeClock(100.0)
    with LiveRouter(router(offer_timeout=5), clock=clock, max_sleep=3600) as live:
        timer = live._timer
        live.login("ann", skills={})
        live.ready("ann")
        deadline = time.monotonic() + WAIT
        while timer._until != 3700.0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert timer._until == 3700.0  # asleep until 3700 (clock time)
        clock.set(5000.0)
        live.submit("c1", channel="voice")  # due at 5005 >= 3700, but the clock is past it
        while timer._until != 5005.0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert timer._until == 5005.0  # it woke and now sleeps until the offer's timeout


def test_close_stops_the_thread_and_ends_subscriptions() -> None:
    live = LiveRouter(router(), clock=FakeClock(), max_sleep=0.01)
    sub = live.subscribe()
    live.login("ann", skills={})
    timer = live._timer
    assert timer is not None and timer.alive
    live.close()
    assert not timer.alive
    assert [e.kind for e in sub] == ["agent_logged_in"]  # drained, then the iterator ends
    assert sub.closed


def test_a_failing_store_is_retried_by_the_timer_thread_not_fatal() -> None:
    from livetools import HookedLog, full_disk

    clock = FakeClock(100.0)
    log = HookedLog()
    with LiveRouter(router(offer_timeout=10, log=log), clock=clock, max_sleep=0.01) as live:
        live.login("ann", skills={})
        live.ready("ann")
        live.submit("c1", channel="voice")
        timeouts = live.subscribe(kinds={"offer_timed_out"})
        log.before = full_disk
        clock.set(111.0)
        deadline = time.monotonic() + WAIT
        while live._timer.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert live._timer.failures >= 1 and live.interaction("c1").status == "offered"
        log.before = None  # the disk has room again
        assert timeouts.get(timeout=WAIT) is not None


@pytest.mark.parametrize("threads", [2, 8])
def test_many_threads_give_a_log_that_replays_to_the_same_state(threads: int) -> None:
    """Each thread works its own agent and interactions (their skill is the agent's own),
    so every interleaving ends in the same per-interaction outcome as a serial run."""
    clock = FakeClock(1_000.0)
    per_thread = 25

    def script(live: LiveRouter | Router, t: int, errors: list[BaseException]) -> None:
        kw = {} if isinstance(live, LiveRouter) else {"at": 1_000.0}
        try:
            live.login(f"a{t}", skills={f"s{t}": 1}, **kw)
            live.ready(f"a{t}", **kw)
            for n in range(per_thread):
                iid = f"i{t}-{n}"
                live.submit(iid, channel="voice", skills={f"s{t}": 1}, **kw)
                live.accept(iid, command_id=f"acc-{iid}", **kw)
                live.accept(iid, command_id=f"acc-{iid}", **kw)  # a retry: a repeat
                live.complete(iid, **kw)
            live.not_ready(f"a{t}", reason="done", **kw)
        except BaseException as exc:  # collected, checked below
            errors.append(exc)

    live = LiveRouter(router(offer_timeout=None), clock=clock, timers=False)
    seen = live.subscribe()
    errors: list[BaseException] = []
    workers = [threading.Thread(target=script, args=(live, t, errors)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    live.close()
    r = live.router
    r.check()
    events = r.events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert Router.replay(events, r.base_config).state_digest() == r.state_digest()
    assert [e.seq for e in seen.drain()] == [e.seq for e in events]
    serial = router(offer_timeout=None)
    for t in range(threads):
        script(serial, t, errors)
    assert errors == []
    for t in range(threads):
        for n in range(per_thread):
            ours, theirs = r.interaction(f"i{t}-{n}"), serial.interaction(f"i{t}-{n}")
            assert (ours.status, ours.agent_id) == (theirs.status, theirs.agent_id)
        assert r.agent(f"a{t}").handled == per_thread
    assert len(events) == len(serial.events)


def test_a_clock_returning_nan_is_a_typed_error() -> None:
    with LiveRouter(router(), clock=lambda: float("nan"), timers=False) as live:
        with pytest.raises(InvalidArgument, match="clock returned nan"):
            live.login("ann", skills={})
        assert live.version == 0


def test_commands_through_locked_keep_the_time_and_reach_subscribers() -> None:
    clock = FakeClock(100.0)
    with LiveRouter(router(), clock=clock, timers=False) as live:
        sub = live.subscribe()
        with live.locked() as r:
            r.login("ann", skills={}, at=200.0)
        assert live.ready("ann")[0].at == 200.0  # never before the router's time
        live.close()
        assert [e.kind for e in sub] == ["agent_logged_in", "agent_ready"]
