"""Agent report: hand-computed figures for the scenario in ``tests/statstools.py``."""

from __future__ import annotations

import doctest

import pytest

import ccrouter.stats.agents
from ccrouter.errors import InvalidArgument
from ccrouter.stats import AgentRow, agent_report
from statstools import LogBuilder, scenario


def _by_id(rows: list[AgentRow]) -> dict[str, AgentRow]:
    return {r.agent_id: r for r in rows}


def test_doctests() -> None:
    assert doctest.testmod(ccrouter.stats.agents).failed == 0


def test_whole_window() -> None:
    rows = agent_report(scenario(), end=1800)
    assert [r.agent_id for r in rows] == ["ann", "bob", "carl"]
    ann, bob, carl = rows

    # ann: ready [0,10) + [650,1000); reserved 10-15, 345-350, 1000-1005; busy 15-315, 350-650;
    # wrap-up 315-345; not ready "break" from 1005.
    assert ann.logged_in_time == 1800.0
    assert (ann.ready_time, ann.reserved_time, ann.busy_time, ann.wrap_up_time) == (
        360.0,
        15.0,
        600.0,
        30.0,
    )
    assert ann.not_ready_time == 795.0
    assert ann.not_ready_by_reason == {"break": 795.0}
    assert ann.occupancy == pytest.approx(645 / 1005)
    assert (ann.logins, ann.offers, ann.accepted, ann.declined, ann.misses) == (1, 3, 2, 1, 0)
    assert (ann.handled, ann.total_talk_time, ann.total_wrap_up_time, ann.aht) == (
        2,
        600.0,
        30.0,
        315.0,
    )

    # bob: not ready without a reason until 100, rings 100-110 unanswered, then "no_answer".
    assert bob.logged_in_time == 1800.0
    assert bob.not_ready_by_reason == {"unspecified": 100.0, "no_answer": 1690.0}
    assert (bob.ready_time, bob.reserved_time, bob.not_ready_time) == (0.0, 10.0, 1790.0)
    assert (bob.offers, bob.misses, bob.handled, bob.aht) == (1, 1, 0, None)
    assert bob.occupancy == 1.0

    # carl: logged in 800-1030 (logs out mid-interval, ending his wrap-up early).
    assert carl.logged_in_time == 230.0
    assert (carl.ready_time, carl.reserved_time, carl.busy_time, carl.wrap_up_time) == (
        85.0,
        20.0,
        95.0,
        30.0,
    )
    assert (carl.not_ready_time, carl.not_ready_by_reason) == (0.0, {})
    assert carl.occupancy == pytest.approx(145 / 230)
    assert (carl.offers, carl.accepted, carl.abandoned_while_offered) == (2, 1, 1)
    assert (carl.handled, carl.total_talk_time, carl.total_wrap_up_time, carl.aht) == (
        1,
        95.0,
        30.0,
        125.0,
    )


def test_status_times_partition_logged_in_time() -> None:
    for r in agent_report(scenario(), end=1800):
        parts = r.ready_time + r.not_ready_time + r.reserved_time + r.busy_time + r.wrap_up_time
        assert parts == pytest.approx(r.logged_in_time)
        assert sum(r.not_ready_by_reason.values()) == pytest.approx(r.not_ready_time)


def test_window_from_900_counts_events_where_they_happen() -> None:
    rows = _by_id(agent_report(scenario(), start=900, end=1800))
    ann, bob, carl = rows["ann"], rows["bob"], rows["carl"]
    assert (ann.logged_in_time, ann.ready_time, ann.reserved_time) == (900.0, 100.0, 5.0)
    assert ann.not_ready_by_reason == {"break": 795.0}
    assert (ann.offers, ann.declined, ann.handled, ann.logins) == (1, 1, 0, 0)
    assert bob.not_ready_by_reason == {"no_answer": 900.0}
    # carl's offer (895) is before the window; his answer (905) and handled c5 (1030) are in.
    assert (carl.logged_in_time, carl.reserved_time, carl.busy_time) == (130.0, 5.0, 95.0)
    assert (carl.offers, carl.accepted, carl.handled, carl.aht) == (0, 1, 1, 125.0)


def test_window_ending_mid_wrap_up() -> None:
    (row,) = [r for r in agent_report(scenario(), end=1010) if r.agent_id == "carl"]
    assert (row.wrap_up_time, row.handled, row.aht) == (10.0, 0, None)


def test_agents_absent_from_the_window_are_left_out() -> None:
    b = LogBuilder().login(0, "a").logout(10, "a").login(20, "b")
    assert [r.agent_id for r in agent_report(b.events, start=15)] == ["b"]
    assert [r.agent_id for r in agent_report(b.events, end=30)] == ["a", "b"]


def test_relogin_counts_each_session() -> None:
    b = LogBuilder().login(0, "a").ready(0, "a").logout(100, "a")
    b.login(200, "a").ready(250, "a").logout(300, "a")
    (r,) = agent_report(b.events)
    assert (r.logins, r.logged_in_time, r.ready_time) == (2, 200.0, 150.0)
    assert r.not_ready_by_reason == {"unspecified": 50.0}


def test_reason_change_while_not_ready() -> None:
    b = LogBuilder().login(0, "a").not_ready(10, "a", "lunch").not_ready(70, "a", "meeting")
    (r,) = agent_report(b.events, end=100)
    assert r.not_ready_by_reason == {"lunch": 60.0, "meeting": 30.0, "unspecified": 10.0}


def test_multi_chat_agent_status_precedence() -> None:
    # Two chats at once: reserved wins over busy, busy over wrap-up.
    b = LogBuilder().login(0, "a", {"chat": 3}).ready(0, "a")
    b.queued(0, "x", "s", "chat").offer(0, "x", "a").accept(10, "x", "a")
    b.queued(20, "y", "s", "chat").offer(20, "y", "a").accept(25, "y", "a")
    b.complete(40, "x", "a", wrap_until=100).complete(60, "y", "a").wrap_end(100, "x", "a")
    (r,) = agent_report(b.events, end=120)
    # reserved 0-10 and 20-25; busy 10-20 and 25-60; wrap-up 60-100; ready 100-120.
    assert (r.reserved_time, r.busy_time, r.wrap_up_time, r.ready_time) == (15.0, 45.0, 40.0, 20.0)
    assert (r.handled, r.total_talk_time, r.total_wrap_up_time) == (2, 65.0, 60.0)


def test_invalid_window() -> None:
    with pytest.raises(InvalidArgument):
        agent_report(scenario(), start=10, end=5)
