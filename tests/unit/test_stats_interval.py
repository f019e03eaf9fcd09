"""Interval report: hand-computed figures for the scenario in ``tests/statstools.py``."""

from __future__ import annotations

import doctest

import pytest

import ccrouter.stats._common
import ccrouter.stats.interval
from ccrouter.errors import InvalidArgument
from ccrouter.stats import IntervalRow, interval_report
from statstools import LogBuilder, scenario


def _row(rows: list[IntervalRow], start: float, queue: str | None = None) -> IntervalRow:
    (row,) = [r for r in rows if r.start == start and r.queue == queue]
    return row


def test_doctests() -> None:
    for module in (ccrouter.stats.interval, ccrouter.stats._common):
        assert doctest.testmod(module).failed == 0


def test_rows_cover_every_interval_and_group_of_the_window() -> None:
    rows = interval_report(scenario(), 900, end=1800)
    assert [(r.start, r.end, r.queue, r.channel, r.agent_id) for r in rows] == [
        (0.0, 900.0, "sales", "voice", None),
        (0.0, 900.0, "support", "chat", None),
        (900.0, 1800.0, "sales", "voice", None),
        (900.0, 1800.0, "support", "chat", None),  # nothing arrived: a zero row
    ]


def test_sales_first_interval() -> None:
    # c1 (wait 5, answered), c2 (abandons from the queue after 30 s), c3 (missed by bob, then
    # answered by ann after 320 s).
    r = _row(interval_report(scenario(), 900, end=1800), 0.0, "sales")
    assert (r.offered, r.answered, r.answered_within_threshold) == (3, 2, 1)
    assert (r.abandoned, r.abandoned_within_threshold, r.waiting) == (1, 0, 0)
    assert r.service_level == pytest.approx(1 / 3)
    assert r.total_wait_time == 325.0
    assert r.asa == 162.5
    # c1: talk 300 + wrap-up 30; c3: talk 300, no wrap-up.
    assert (r.handled, r.total_talk_time, r.total_wrap_up_time) == (2, 600.0, 30.0)
    assert r.aht == 315.0
    assert r.average_wrap_up_time == 15.0
    assert (r.declined, r.timed_out, r.revoked, r.transfers) == (0, 1, 0, 0)


def test_support_first_interval_abandon_during_offer_and_spanning_interaction() -> None:
    # c4 abandons while ringing at carl (wait 10: short abandon); c5 arrives at 890 and is
    # answered at 905, in the next interval: it still counts in the interval it arrived in.
    r = _row(interval_report(scenario(), 900, end=1800), 0.0, "support")
    assert (r.offered, r.answered, r.answered_within_threshold) == (2, 1, 1)
    assert (r.abandoned, r.abandoned_within_threshold, r.waiting) == (1, 1, 0)
    assert r.service_level == 0.5
    assert r.asa == 15.0
    # c5: talk 905 → 1000, wrap-up ended early by carl's logout at 1030.
    assert (r.handled, r.total_talk_time, r.total_wrap_up_time, r.aht) == (1, 95.0, 30.0, 125.0)
    assert (r.declined, r.timed_out) == (0, 0)


def test_second_interval() -> None:
    rows = interval_report(scenario(), 900, end=1800)
    r = _row(rows, 900.0, "sales")
    # c6: declined by ann, abandons from the queue after 100 s; c7 still waiting at the end.
    assert (r.offered, r.answered, r.abandoned, r.waiting, r.declined) == (2, 0, 1, 1, 1)
    assert r.service_level == 0.0
    assert r.asa is None
    assert r.aht is None
    empty = _row(rows, 900.0, "support")
    assert (empty.offered, empty.service_level, empty.asa) == (0, None, None)


def test_occupancy_is_split_over_intervals() -> None:
    rows = interval_report(scenario(), 900, end=1800)
    # Interval 0: ann staffed 900 (handling 640), bob 10 (10), carl 100 (15).
    r0 = _row(rows, 0.0, "sales")
    assert (r0.staffed_time, r0.handling_time) == (1010.0, 665.0)
    assert r0.occupancy == pytest.approx(665 / 1010)
    assert _row(rows, 0.0, "support").occupancy == r0.occupancy  # center-wide figure
    # Interval 1: ann 105 (5 reserved), carl 130 (all working, until his logout at 1030).
    r1 = _row(rows, 900.0, "sales")
    assert (r1.staffed_time, r1.handling_time) == (235.0, 135.0)


@pytest.mark.parametrize(
    ("definition", "expected"),
    [("offered", 2 / 5), ("offered_minus_short_abandons", 2 / 4), ("answered", 2 / 3)],
)
def test_service_level_definitions(definition: str, expected: float) -> None:
    rows = interval_report(scenario(), 900, end=1800, by=(), sl_definition=definition)  # type: ignore[arg-type]
    total = rows[0]
    assert (total.offered, total.answered_within_threshold) == (5, 2)
    assert (total.answered, total.abandoned_within_threshold) == (3, 1)
    assert total.service_level == pytest.approx(expected)


def test_threshold_is_inclusive() -> None:
    # c1 waits 5, c5 waits 15, c3 waits 320; short abandons: c4 (10); c2 waited 30.
    def within(t: float) -> tuple[int, int]:
        r = interval_report(scenario(), 900, end=1800, by=(), threshold=t)[0]
        return r.answered_within_threshold, r.abandoned_within_threshold

    assert within(15.0) == (2, 1)
    assert within(14.9) == (1, 1)
    assert within(30.0) == (2, 2)
    assert within(0.0) == (0, 0)


def test_total_rows() -> None:
    rows = interval_report(scenario(), 900, end=1800, by=())
    assert [(r.start, r.queue, r.channel) for r in rows] == [(0.0, None, None), (900.0, None, None)]
    r0 = rows[0]
    assert (r0.offered, r0.answered, r0.abandoned, r0.handled) == (5, 3, 2, 3)
    assert r0.asa == pytest.approx(340 / 3)
    assert r0.aht == pytest.approx(755 / 3)


def test_by_channel_and_by_queue() -> None:
    b = LogBuilder()
    b.queued(0, "a", "sales", "voice").queued(1, "b", "sales", "chat")
    b.queued(2, "c", "support", "chat")
    by_channel = interval_report(b.events, by=("channel",))
    assert [(r.channel, r.queue, r.offered) for r in by_channel] == [
        ("chat", None, 2),
        ("voice", None, 1),
    ]
    by_queue = interval_report(b.events, by=("queue",))
    assert [(r.queue, r.channel, r.offered, r.waiting) for r in by_queue] == [
        ("sales", None, 2, 2),
        ("support", None, 1, 1),
    ]


def test_agent_rows() -> None:
    rows = interval_report(scenario(), 900, end=1800, by=("agent",))
    assert [(r.start, r.agent_id) for r in rows] == [
        (0.0, "ann"),
        (0.0, "bob"),
        (0.0, "carl"),
        (900.0, "ann"),
        (900.0, "carl"),  # no interaction arrived for carl then, but he worked
    ]
    ann0, bob0, carl0, ann1, carl1 = rows
    assert (ann0.offered, ann0.answered, ann0.answered_within_threshold) == (2, 2, 1)
    assert (ann0.handled, ann0.total_talk_time, ann0.total_wrap_up_time) == (2, 600.0, 30.0)
    assert (ann0.staffed_time, ann0.handling_time, ann0.service_level) == (900.0, 640.0, None)
    assert (bob0.offered, bob0.timed_out, bob0.answered, bob0.occupancy) == (1, 1, 0, 1.0)
    assert (carl0.offered, carl0.answered, carl0.abandoned, carl0.abandoned_within_threshold) == (
        2,
        1,
        1,
        1,
    )
    assert (carl0.handled, carl0.aht, carl0.staffed_time, carl0.handling_time) == (
        1,
        125.0,
        100.0,
        15.0,
    )
    # c6 was declined by ann; it abandoned later from the queue, not while ringing at ann.
    assert (ann1.offered, ann1.declined, ann1.abandoned, ann1.staffed_time) == (1, 1, 0, 105.0)
    assert (carl1.offered, carl1.staffed_time, carl1.handling_time) == (0, 130.0, 130.0)
    assert all(r.waiting == 0 for r in rows)


def test_window_start_skips_earlier_arrivals_and_time() -> None:
    rows = interval_report(scenario(), 900, start=900, end=1800)
    assert len(rows) == 1  # support had no arrival in the window
    (r,) = rows
    assert (r.start, r.queue, r.offered, r.abandoned, r.waiting) == (900.0, "sales", 2, 1, 1)
    assert (r.staffed_time, r.handling_time) == (235.0, 135.0)


def test_window_end_cuts_outcomes_and_time() -> None:
    rows = interval_report(scenario(), 900, end=1010)
    support = _row(rows, 0.0, "support")
    assert (support.answered, support.handled) == (1, 0)  # c5 is in wrap-up at 1010
    sales = _row(rows, 900.0, "sales")
    assert (sales.offered, sales.waiting, sales.abandoned, sales.declined) == (1, 1, 0, 1)
    # ann: ready 100 + reserved 5; carl: reserved 5 + busy 95 + wrap-up 10.
    assert (sales.staffed_time, sales.handling_time) == (215.0, 115.0)


def test_window_ending_on_a_boundary_has_no_empty_next_interval() -> None:
    rows = interval_report(scenario(), 900, end=900)
    assert {r.start for r in rows} == {0.0}
    # An arrival exactly at the end opens the next interval.
    b = LogBuilder().queued(0, "a").queued(900, "b")
    assert [(r.start, r.offered) for r in interval_report(b.events, 900)] == [
        (0.0, 1),
        (900.0, 1),
    ]


@pytest.mark.parametrize("interval", [60, 300, 450, 900, 1800, 7200])
def test_sums_do_not_depend_on_the_interval(interval: float) -> None:
    rows = interval_report(scenario(), interval, end=1800, by=())
    assert sum(r.offered for r in rows) == 7
    assert sum(r.answered for r in rows) == 3
    assert sum(r.abandoned for r in rows) == 3
    assert sum(r.staffed_time for r in rows) == pytest.approx(1245.0)
    assert sum(r.handling_time for r in rows) == pytest.approx(800.0)
    assert all(r.end - r.start == interval for r in rows)


def test_origin_shifts_the_boundaries() -> None:
    rows = interval_report(scenario(), 900, end=1800, by=(), origin=450)
    assert [r.start for r in rows] == [-450.0, 450.0, 1350.0]
    # c1, c2, c3 arrive before 450; c4, c5, c6 in [450, 1350); c7 after.
    assert [r.offered for r in rows] == [3, 3, 1]


def test_no_events() -> None:
    assert interval_report([]) == []


def test_wrap_up_pending_at_the_end_is_not_handled() -> None:
    b = LogBuilder().login(0, "a").ready(0, "a").queued(0, "x").offer(0, "x", "a")
    b.accept(10, "x", "a").complete(70, "x", "a", wrap_until=100)
    r = interval_report(b.events, 900, end=80, by=())[0]
    assert (r.answered, r.handled, r.aht) == (1, 0, None)
    # reserved 10 + busy 60 + wrap-up 10
    assert (r.staffed_time, r.handling_time) == (80.0, 80.0)
    b.wrap_end(100, "x", "a")
    r = interval_report(b.events, 900, by=())[0]
    assert (r.handled, r.total_talk_time, r.total_wrap_up_time, r.aht) == (1, 60.0, 30.0, 90.0)


def test_revoked_offer_when_agent_logs_out_mid_interval() -> None:
    b = LogBuilder().login(0, "a").ready(0, "a").queued(100, "x").offer(100, "x", "a")
    b.revoke(130, "x", "a").logout(130, "a")
    (r,) = interval_report(b.events, 900, end=900)
    assert (r.offered, r.revoked, r.waiting) == (1, 1, 1)
    assert (r.staffed_time, r.handling_time) == (130.0, 30.0)  # nothing after the logout
    (a,) = interval_report(b.events, 900, end=900, by=("agent",))
    assert (a.agent_id, a.offered, a.revoked) == ("a", 1, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"interval": 0},
        {"interval": -5},
        {"interval": float("nan")},
        {"threshold": -1},
        {"sl_definition": "answered_or_abandoned"},
        {"by": ("agent", "queue")},
        {"by": ("skill",)},
        {"by": ("queue", "queue")},
        {"start": 100.0, "end": 50.0},
    ],
)
def test_invalid_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        interval_report(scenario(), **kwargs)  # type: ignore[arg-type]


def test_by_accepts_any_order_and_a_bare_string() -> None:
    a = interval_report(scenario(), by=("channel", "queue"))
    assert a == interval_report(scenario(), by=("queue", "channel"))
    assert interval_report(scenario(), by="queue") == interval_report(scenario(), by=("queue",))


def test_an_exit_after_a_blind_transfer_counts_nowhere_in_both_views() -> None:
    # Regression: the interval report counted the exit (and took one off `waiting`) in the
    # arrival row of an interaction already answered there, so its `waiting` went to -1
    # while the live view, which had it answered, counted nothing.
    from ccrouter import Router, RouterConfig

    config = RouterConfig.from_dict({"queues": {"sales": {}, "support": {"max_wait": 20.0}}})
    router = Router(config)
    router.login("a1", skills={}, capacity={"voice": 1}, at=0)
    router.ready("a1", at=0)
    router.submit("c1", queue="sales", channel="voice", at=1)
    router.accept("c1", at=2)
    # Nobody has the skill the transfer asks for: it waits in support until max_wait.
    router.transfer("c1", to_queue="support", skills={"billing": 1}, at=5)
    events = router.advance(at=30)
    assert [e.kind for e in events] == ["interaction_exited"]
    (row,) = [r for r in interval_report(router.events, 900.0, end=30) if r.queue == "sales"]
    live = router.stats.queue("sales", "voice", at=30)
    assert (row.answered, row.waiting, row.exited) == (1, 0, 0)
    assert (live.answered, live.waiting, live.exited) == (1, 0, 0)
