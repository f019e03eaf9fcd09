"""Dialer pacing rules with hand-worked numbers, and the abandon controller's identity."""

from __future__ import annotations

import doctest
import math
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ccrouter.sim.campaign
import ccrouter.sim.dialer
import ccrouter.sim.pacing
from ccrouter.sim.pacing import (
    AbandonController,
    HitRate,
    expected_free,
    lines_to_dial,
    predictive_lines,
    progressive_lines,
)


@pytest.mark.parametrize(
    "module", [ccrouter.sim.pacing, ccrouter.sim.campaign, ccrouter.sim.dialer], ids=str
)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def _lines(**kw: float) -> int:
    args = {"free": 0, "busy": 0, "waiting": 0, "connect_delay": 15.0, "handle_time": 180.0,
                "hit_rate": 0.25, "gain": 1.0, "cap": 1000, "reserve": 0}  # fmt: skip
    args.update(kw)
    return predictive_lines(**args)  # type: ignore[arg-type]


def test_expected_free_is_busy_times_delay_over_handle_capped_at_one() -> None:
    assert expected_free(12, 15.0, 180.0) == 1.0  # 12 · 15/180
    assert expected_free(9, 20.0, 240.0) == 0.75  # 9 · 1/12
    assert expected_free(3, 300.0, 180.0) == 3.0  # cap: all of them
    assert expected_free(0, 15.0, 180.0) == 0.0
    assert expected_free(2, 15.0, 0.0) == 2.0


@pytest.mark.parametrize(
    ("kw", "lines"),
    [
        # (3 free + 12·15/180 = 1 soon free) / 0.25 = 16
        ({"free": 3, "busy": 12}, 16),
        # gain 0.5: 8
        ({"free": 3, "busy": 12, "gain": 0.5}, 8),
        # 2 inbound calls waiting claim 2 of the 4: (4 − 2) / 0.25 = 8
        ({"free": 3, "busy": 12, "waiting": 2}, 8),
        # reserve of 1 for inbound: (4 − 1) / 0.25 = 12
        ({"free": 3, "busy": 12, "reserve": 1}, 12),
        # all busy: 1 soon free / 0.4 = 2.5 -> 2 (never rounds up into an abandon)
        ({"busy": 12, "hit_rate": 0.4}, 2),
        # a low gain trims the overdial but never below 1:1: 0.1 · 4 / 0.25 = 1.6 < 3 free
        ({"free": 3, "busy": 12, "gain": 0.1}, 3),
        # the cap wins
        ({"free": 3, "busy": 12, "cap": 10}, 10),
        # more waiting than agents: nothing, never negative
        ({"free": 1, "busy": 12, "waiting": 5}, 0),
        # no connect seen yet: the hit rate floor of 0.01 keeps it finite (1 / 0.01)
        ({"free": 1, "hit_rate": 0.0}, 100),
    ],
)
def test_predictive_lines_hand_worked(kw: dict[str, float], lines: int) -> None:
    assert _lines(**kw) == lines


def test_progressive_is_one_line_per_unclaimed_free_agent() -> None:
    assert progressive_lines(free=4, waiting=0) == 4
    assert progressive_lines(free=4, waiting=1, reserve=1) == 2
    assert progressive_lines(free=1, waiting=3) == 0


def test_lines_to_dial_tops_up_never_hangs_up() -> None:
    assert lines_to_dial(16, 10) == 6
    assert lines_to_dial(8, 10) == 0


def test_hit_rate_shrinks_to_the_prior() -> None:
    h = HitRate(prior=0.3, weight=20)
    assert h.value == 0.3
    for k in range(10):
        h.observe(k < 1)  # 1 connect in 10 attempts
    assert h.value == pytest.approx((1 + 20 * 0.3) / (10 + 20))  # 7/30
    bare = HitRate(prior=0.5, weight=0)
    assert bare.value == 0.5
    bare.observe(False)
    assert bare.value == 0.0


def test_controller_steps_hand_worked() -> None:
    c = AbandonController(target=0.03, step=0.25, initial=0.5, low=0.1, high=4.0)
    for _ in range(10):
        c.observe(False)
    assert c.gain == pytest.approx(0.5 * math.exp(10 * 0.25 * 0.03))
    c.observe(True)
    assert c.gain == pytest.approx(0.5 * math.exp(0.25 * (11 * 0.03 - 1)))


def test_controller_clamps_at_its_bounds() -> None:
    c = AbandonController(target=0.03, step=1.0, initial=1.0, low=0.5, high=2.0)
    for _ in range(10):
        c.observe(True)
    assert c.gain == pytest.approx(0.5)
    for _ in range(1000):
        c.observe(False)
    assert c.gain == pytest.approx(2.0)


@given(
    st.lists(st.booleans(), min_size=1, max_size=300),
    st.floats(0.0, 0.2),
)
def test_abandon_rate_identity_while_unclamped(outcomes: list[bool], target: float) -> None:
    """A / N = target − (log g_N − log g_0) / (step · N) whenever the bounds never bind."""
    step = 0.01
    c = AbandonController(target=target, step=step, initial=1.0, low=1e-6, high=1e6)
    for abandoned in outcomes:
        c.observe(abandoned)
    n, a = len(outcomes), sum(outcomes)
    assert a / n == pytest.approx(target - math.log(c.gain) / (step * n), abs=1e-9)
