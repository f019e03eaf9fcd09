"""Hypothesis properties of ccrouter.staffing.erlang: bounds, monotonicity, identities,
minimality, and agreement with a 50-digit mpmath reference for random sizes up to 10,000 agents."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from hypothesis import Phase, assume, example, given, settings
from hypothesis import strategies as st

from ccrouter.staffing import erlang

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


# The corners of the ranges where the Erlang A chain is longest and its negative-binomial tail is
# summed furthest beyond its bulk: heavy load, few agents, callers patient compared with the AHT,
# a target near or above the patience. One such draw used to hang a worker forever, and a hang
# inside compiled code cannot be interrupted, so the calls run in a child process on a clock.
corner_traffic = st.one_of(st.sampled_from([300.0, 1000.0]), st.floats(50.0, 1000.0))
corner_agents = st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 400))
corner_aht = st.one_of(st.just(10.0), st.floats(10.0, 1200.0))
corner_patience = st.one_of(st.sampled_from([5.0, 386.3703814392433, 3000.0]), patience)
corner_target = st.one_of(st.just(300.0), st.floats(150.0, 300.0))
corner = st.tuples(corner_traffic, corner_agents, corner_aht, corner_patience, corner_target)

_CHILD = """
import json, sys
from ccrouter.staffing import erlang
out = []
for a, n, h, p, t in json.load(sys.stdin):
    r = erlang.erlang_a(a, n, h, p, t)
    k = erlang.agents_for_erlang_a(a, h, p, t, 0.8, max_abandon=0.05)
    out.append([r.p_wait, r.p_abandon, r.service_level, k])
json.dump(out, sys.stdout)
"""


@given(cases=st.lists(corner, min_size=1, max_size=12))
@example(cases=[(300.0, n, 10.0, 386.3703814392433, 300.0) for n in (0, 1, 50, 99, 100)])
# No agents gave P(abandon) = 1 - 1e-16 here before n = 0 was answered exactly.
@example(cases=[(115.30899285410217, 0, 10.0, 2391.394544790098, 150.00000000000003)])
# No shrinking: each attempt on a hang would cost the whole timeout.
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
def test_erlang_a_finishes_at_the_corners(
    cases: list[tuple[float, int, float, float, float]],
) -> None:
    src = str(Path(erlang.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    # Normally well under 5 s with Numba's cache; a hang runs into the timeout and fails.
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    for (a, n, _, _, _), (p_wait, p_ab, sl, k) in zip(cases, json.loads(done.stdout), strict=True):
        assert 0.0 <= sl <= 1.0 - p_ab + 1e-12 and 0.0 <= p_ab <= p_wait <= 1.0
        # At most n agents carry load: a·(1 − P(abandon)) <= n.
        assert p_ab >= 1.0 - n / a - 1e-12
        assert n > 0 or (p_wait, p_ab, sl) == (1.0, 1.0, 0.0)
        assert k >= math.floor(0.95 * a)  # abandonment <= 5 % needs that much carried load
