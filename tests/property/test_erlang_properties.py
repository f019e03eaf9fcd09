"""Hypothesis properties of ccrouter.erlang: bounds, monotonicity, identities, minimality, and
agreement with a 50-digit mpmath reference for random sizes up to 10,000 agents."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ccrouter import erlang

traffic = st.floats(min_value=0.0, max_value=3000.0, allow_nan=False)
small_traffic = st.floats(min_value=0.0, max_value=300.0, allow_nan=False)
agents = st.integers(min_value=0, max_value=4000)
aht = st.floats(min_value=10.0, max_value=1200.0)
target = st.floats(min_value=0.0, max_value=300.0)
level = st.floats(min_value=0.0, max_value=0.999)
patience = st.floats(min_value=5.0, max_value=3000.0)


def b_ref(a: float, n: int) -> mp.mpf:
    with mp.workdps(50):
        x = mp.mpf(a)
        if n == 0:
            return mp.mpf(1)
        pmf = mp.exp(n * mp.log(x) - x - mp.loggamma(n + 1))
        return pmf / mp.gammainc(n + 1, x, mp.inf, regularized=True)


@given(a=st.floats(min_value=1e-3, max_value=12_000.0), n=st.integers(1, 10_000))
@settings(max_examples=150)
def test_erlang_b_and_c_match_mpmath(a: float, n: int) -> None:
    ref = b_ref(a, n)
    assume(ref > mp.mpf("1e-300"))
    assert abs(erlang.erlang_b(a, n) - ref) <= 1e-12 * ref
    if n > a:
        with mp.workdps(50):
            c = n * ref / (n - mp.mpf(a) * (1 - ref))
        assert abs(erlang.erlang_c(a, n) - c) <= 1e-12 * c


@given(a=traffic, n=agents)
def test_probabilities_are_ordered_and_bounded(a: float, n: int) -> None:
    b, c = erlang.erlang_b(a, n), erlang.erlang_c(a, n)
    assert 0.0 <= b <= c <= 1.0
    assert 0.0 <= erlang.occupancy(a, n) <= 1.0


@given(a=traffic, n=agents, h=aht, t=target)
def test_service_level_at_zero_is_one_minus_c(a: float, n: int, h: float, t: float) -> None:
    assert erlang.service_level(a, n, h, 0.0) == 1.0 - erlang.erlang_c(a, n)
    assert 0.0 <= erlang.service_level(a, n, h, t) <= 1.0
    assert erlang.average_speed_of_answer(a, n, h) >= 0.0


@given(a=traffic, n=agents, h=aht, t=target)
def test_monotone_in_agents(a: float, n: int, h: float, t: float) -> None:
    counts = np.arange(n, n + 40)
    b = erlang.erlang_b(a, counts)
    c = erlang.erlang_c(a, counts)
    sl = erlang.service_level(a, counts, h, t)
    w = erlang.average_speed_of_answer(a, counts, h)
    assert np.all(np.diff(b) <= 0) and np.all(np.diff(c) <= 0)
    assert np.all(np.diff(sl) >= 0)
    assert np.all(w[1:] <= w[:-1])  # inf while unstable, so compare rather than subtract


@given(a=traffic, h=aht, t=target, lv=level, occ=st.floats(min_value=0.5, max_value=1.0))
def test_required_agents_are_minimal(a: float, h: float, t: float, lv: float, occ: float) -> None:
    n = erlang.agents_for_service_level(a, h, t, lv, max_occupancy=occ)
    if a == 0.0:
        assert n == 0
        return

    def ok(k: int) -> bool:
        sl = erlang.service_level(a, k, h, t)
        return k > a and sl >= lv and erlang.occupancy(a, k) <= occ

    assert ok(n)
    assert not ok(n - 1)


@given(a=small_traffic, n=st.integers(0, 400), h=aht, p=patience, t=target)
def test_erlang_a_bounds_and_identities(a: float, n: int, h: float, p: float, t: float) -> None:
    r = erlang.erlang_a(a, n, h, p, t)
    assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
    assert 0.0 <= r.service_level <= 1.0
    assert 0.0 <= r.occupancy <= 1.0
    # Nobody waits less than zero: the level at target 0 is the share answered at once.
    at_zero = erlang.erlang_a(a, n, h, p, 0.0)
    assert at_zero.service_level == pytest.approx(1.0 - r.p_wait, rel=1e-12, abs=1e-15)
    # Answered within t ≤ answered at all.
    assert r.service_level <= 1.0 - r.p_abandon + 1e-12


@given(a=small_traffic, n=st.integers(0, 400), h=aht, p=patience, t=target)
def test_erlang_a_monotone_in_agents(a: float, n: int, h: float, p: float, t: float) -> None:
    r = erlang.erlang_a(a, np.arange(n, n + 20), h, p, t)
    assert np.all(np.diff(r.p_wait) <= 1e-15)
    assert np.all(np.diff(r.p_abandon) <= 1e-15)
    assert np.all(np.diff(r.service_level) >= -1e-15)


@given(a=small_traffic, h=aht, p=patience, t=target, lv=level, cap=st.floats(0.005, 1.0))
def test_erlang_a_required_agents_are_minimal(
    a: float, h: float, p: float, t: float, lv: float, cap: float
) -> None:
    n = erlang.agents_for_erlang_a(a, h, p, t, lv, max_abandon=cap)

    def ok(k: int) -> bool:
        r = erlang.erlang_a(a, k, h, p, t)
        return r.service_level >= lv and r.p_abandon <= cap

    assert ok(n)
    assert n == 0 or not ok(n - 1)
