"""Real-time statistics: hand-computed snapshots of the scenario in ``tests/statstools.py``."""

from __future__ import annotations

import doctest

import pytest

import ccrouter.stats.realtime
from ccrouter.errors import InvalidArgument, TimeWentBackwards, UnknownAgent
from ccrouter.events import Event
from ccrouter.stats import RealtimeStats, agent_report, interval_report
from statstools import LogBuilder, scenario


def _fed(events: list[Event], until: float | None = None, **kwargs: object) -> RealtimeStats:
    stats = RealtimeStats(**kwargs)  # type: ignore[arg-type]
    for e in events:
        if until is not None and e.at > until:
            break
        stats.apply(e)
        stats._check()
    return stats


def test_doctests() -> None:
    assert doctest.testmod(ccrouter.stats.realtime).failed == 0


def test_end_of_scenario_queues() -> None:
    stats = _fed(scenario())
    assert stats.as_of == 1700.0
    assert stats.queue_keys() == [("sales", "voice"), ("support", "chat")]
    s = stats.queue("sales", "voice", at=1800)
    assert (s.waiting, s.offering, s.longest_wait) == (1, 0, 100.0)  # c7 since 1700
    assert (s.offered, s.answered, s.answered_within_threshold) == (5, 2, 1)
    assert (s.abandoned, s.abandoned_within_threshold) == (2, 0)
    assert s.service_level == pytest.approx(1 / 5)
    assert s.asa == 162.5
    assert (s.handled, s.aht, s.declined, s.timed_out, s.revoked) == (2, 315.0, 1, 1, 0)
    c = stats.queue("support", "chat", at=1800)
    assert (c.offered, c.answered, c.abandoned, c.abandoned_within_threshold) == (2, 1, 1, 1)
    assert (c.waiting, c.longest_wait, c.handled, c.aht) == (0, 0.0, 1, 125.0)
    total = stats.queue(at=1800)
    assert (total.queue, total.channel, total.offered, total.answered) == (None, None, 7, 3)
    assert total.estimated_wait is None
    assert stats.queue("support", at=1800).offered == 2
    assert stats.queue(channel="voice", at=1800).offered == 5


def test_end_of_scenario_agents() -> None:
    stats = _fed(scenario())
    assert stats.agents_by_status() == {
        "logged_out": 1,
        "ready": 0,
        "not_ready": 2,
        "reserved": 0,
        "busy": 0,
        "wrap_up": 0,
    }
    assert [stats.agent_status(a) for a in stats.agent_ids()] == [
        "not_ready",
        "not_ready",
        "logged_out",
    ]
    view = stats.agents(at=1800)
    assert (view.staffed_time, view.handling_time) == pytest.approx((1245.0, 800.0))
    assert view.occupancy == pytest.approx(800 / 1245)
    assert stats.occupancy(at=1800) == view.occupancy
    assert view.occupancy_now is None  # nobody ready or working
    ann = stats.agent("ann", at=1800)
    assert (ann.ready_time, ann.not_ready_by_reason, ann.handled) == (360.0, {"break": 795.0}, 2)


def test_snapshot_while_c3_rings_at_bob() -> None:
    stats = _fed(scenario(), until=100)
    s = stats.queue("sales", "voice", at=100)
    # c1 answered, c2 abandoned, c3 ringing at bob since 100 (arrived 30).
    assert (s.waiting, s.offering, s.longest_wait) == (0, 1, 70.0)
    assert (s.offered, s.answered, s.abandoned) == (3, 1, 1)
    assert s.service_level == pytest.approx(1 / 3)
    assert stats.agent_status("ann") == "busy"
    assert stats.agent_status("bob") == "reserved"
    view = stats.agents(at=100)
    assert view.occupancy_now == 1.0
    # ann: ready 10, reserved 5, busy 85; bob: nothing staffed before 100.
    assert (view.staffed_time, view.handling_time) == (100.0, 90.0)


def test_longest_wait_follows_the_oldest_unanswered() -> None:
    stats = _fed(scenario(), until=30)
    assert stats.waiting("sales") == 2  # c2, c3
    assert stats.longest_wait("sales", at=40) == 20.0  # c2 since 20
    stats = _fed(scenario(), until=50)  # c2 abandoned
    assert stats.longest_wait("sales", at=60) == 30.0  # c3 since 30
    assert stats.longest_wait("nowhere", at=60) == 0.0
    assert stats.longest_wait(at=60) == 30.0


def test_time_going_backwards_is_refused() -> None:
    stats = _fed(scenario(), until=100)
    with pytest.raises(TimeWentBackwards):
        stats.longest_wait("sales", at=99)
    with pytest.raises(TimeWentBackwards):
        stats.occupancy(at=50)
    with pytest.raises(TimeWentBackwards):
        stats.agent("ann", at=50)


def test_unknown_agent() -> None:
    with pytest.raises(UnknownAgent):
        _fed(scenario()).agent_status("zed")
    with pytest.raises(KeyError):
        _fed(scenario()).agent("zed", at=2000)


def _ewt_log() -> LogBuilder:
    b = LogBuilder().login(0, "a").ready(0, "a")
    b.queued(0, "x1").offer(0, "x1", "a").accept(10, "x1", "a").complete(20, "x1", "a")
    b.queued(20, "x2").offer(20, "x2", "a").accept(30, "x2", "a").complete(40, "x2", "a")
    b.queued(40, "x3").offer(40, "x3", "a").accept(70, "x3", "a")
    return b


def test_estimated_wait() -> None:
    b = LogBuilder().queued(0, "x0")
    assert _fed(b.events).estimated_wait("sales", "voice") is None  # no history
    assert _fed(b.events).estimated_wait("nowhere", "voice") is None
    b = _ewt_log()
    # Nobody waiting: the recent ASA (waits 10, 10, 30).
    assert _fed(b.events).estimated_wait("sales", "voice") == pytest.approx(50 / 3)
    b.queued(80, "x4").queued(85, "x5")
    # Two ahead; answers at 10, 30, 70 are 30 s apart: (2 + 1) · 30.
    stats = _fed(b.events)
    assert stats.estimated_wait("sales", "voice") == pytest.approx(90.0)
    assert stats.queue("sales", "voice", at=90).estimated_wait == pytest.approx(90.0)
    # A window of the last 2 answers (30, 70): (2 + 1) · 40.
    assert _fed(b.events, ewt_window=2).estimated_wait("sales", "voice") == pytest.approx(120.0)


def test_estimated_wait_needs_two_answers_when_someone_waits() -> None:
    b = LogBuilder().login(0, "a").ready(0, "a")
    b.queued(0, "x1").offer(0, "x1", "a").accept(10, "x1", "a").queued(12, "x2")
    assert _fed(b.events).estimated_wait("sales", "voice") is None


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": -1.0}, {"sl_definition": "bogus"}, {"ewt_window": 1}, {"ewt_window": 2.5}],
)
def test_invalid_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        RealtimeStats(**kwargs)  # type: ignore[arg-type]


def test_sl_definition_applies() -> None:
    stats = _fed(scenario(), sl_definition="answered", threshold=15.0)
    assert stats.queue(at=1800).service_level == pytest.approx(2 / 3)
    stats = _fed(scenario(), sl_definition="offered_minus_short_abandons")
    # within 20 s: c1, c5; short abandons: c4.
    assert stats.queue(at=1800).service_level == pytest.approx(2 / 6)


def test_every_prefix_matches_the_reports() -> None:
    """The live counters after each event equal the reports recomputed from that prefix."""
    events = scenario()
    stats = RealtimeStats()
    for n, event in enumerate(events, 1):
        stats.apply(event)
        at = event.at + 7.0
        rows = interval_report(events[:n], 900, end=at)
        for queue, channel in stats.queue_keys():
            live = stats.queue(queue, channel, at=at)
            mine = [r for r in rows if (r.queue, r.channel) == (queue, channel)]
            assert live.offered == sum(r.offered for r in mine)
            assert live.answered == sum(r.answered for r in mine)
            assert live.abandoned == sum(r.abandoned for r in mine)
            assert live.handled == sum(r.handled for r in mine)
            assert live.waiting + live.offering == sum(r.waiting for r in mine)
        total = interval_report(events[:n], 10_000, end=at, by=())
        assert stats.agents(at=at).staffed_time == pytest.approx(total[0].staffed_time)
        for row in agent_report(events[:n], end=at):
            assert stats.agent(row.agent_id, at=at) == row


def test_abandon_while_ringing_frees_the_agent() -> None:
    stats = _fed(scenario(), until=885)  # c4 rings at carl
    c = stats.queue("support", "chat", at=885)
    assert (c.waiting, c.offering, c.longest_wait) == (0, 1, 5.0)
    assert stats.agent_status("carl") == "reserved"
    stats = _fed(scenario(), until=890.0)  # c4 abandoned (while ringing), c5 arrived
    c = stats.queue("support", "chat", at=890)
    assert (c.waiting, c.offering, c.abandoned, c.abandoned_within_threshold) == (1, 0, 1, 1)
    assert stats.agent_status("carl") == "ready"
    assert stats.agent("carl", at=890).abandoned_while_offered == 1


def test_agent_logged_out_mid_interval_stops_accruing_time() -> None:
    stats = _fed(scenario(), until=1030)
    assert stats.agent_status("carl") == "logged_out"
    row = stats.agent("carl", at=1030)
    assert stats.agent("carl", at=5000) == row  # no time accrues once logged out
    assert (row.logged_in_time, row.wrap_up_time, row.handled) == (230.0, 30.0, 1)
    assert stats.agents_by_status()["logged_out"] == 1
