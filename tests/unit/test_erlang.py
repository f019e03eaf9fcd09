"""ccrouter.staffing.erlang against 50-digit mpmath references and brute-force scans.

References (in this file, independent of the code under test):
- Erlang B as a Poisson pmf over its cdf, ``mpmath.gammainc`` at 50 digits;
- Erlang A (small systems) from the birth–death chain itself, with each caller's chance of being
  answered within the target from the hypoexponential law of its wait (exact sums at 50 digits);
- Erlang A (large systems) from the incomplete-gamma closed forms (Mandelbaum–Zeltyn).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from ccrouter.errors import CCRouterError, InvalidArgument
from ccrouter.staffing import erlang, erlang_a

mp.mp.dps = 50
TINY = mp.mpf("1e-300")  # below this a double has lost relative precision (or underflowed)


def b_ref(traffic: float, agents: int) -> mp.mpf:
    a = mp.mpf(traffic)
    if a == 0:
        return mp.mpf(0)
    if agents == 0:
        return mp.mpf(1)
    pmf = mp.exp(agents * mp.log(a) - a - mp.loggamma(agents + 1))
    return pmf / mp.gammainc(agents + 1, a, mp.inf, regularized=True)


def c_ref(traffic: float, agents: int) -> mp.mpf:
    b, a = b_ref(traffic, agents), mp.mpf(traffic)
    return agents * b / (agents - a * (1 - b))


def rel(value: float, ref: mp.mpf) -> float:
    return float(abs(mp.mpf(value) - ref) / abs(ref)) if ref != 0 else abs(value)


def erlang_a_brute(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """(p_wait, p_abandon, service_level) of M/M/N+M straight from the chain."""
    mu, theta = 1 / mp.mpf(aht), 1 / mp.mpf(patience)
    lam, t = mp.mpf(traffic) * mu, mp.mpf(target)
    pi = [mp.mpf(1)]
    while True:
        k = len(pi)
        pi.append(pi[-1] * lam / (min(k, agents) * mu + max(k - agents, 0) * theta))
        if k > agents + 10 and pi[-1] < mp.mpf("1e-45") * sum(pi):
            break
    total = sum(pi)
    pi = [p / total for p in pi]
    p_wait = sum(pi[agents:])
    queue = sum((k - agents) * p for k, p in enumerate(pi) if k >= agents)
    p_abandon = theta * queue / lam
    answered = sum(pi[:agents])
    for j in range(len(pi) - agents):
        # j callers ahead: the wait is a sum of Exp(N·μ + i·θ), i = 0..j (distinct rates); the
        # caller is answered within t if it ends before t and before its own Exp(θ) patience.
        rates = [agents * mu + i * theta for i in range(j + 1)]
        p = mp.mpf(0)
        for k, rk in enumerate(rates):
            coef = mp.fprod(rl / (rl - rk) for idx, rl in enumerate(rates) if idx != k)
            p += coef * rk * (1 - mp.exp(-(rk + theta) * t)) / (rk + theta)
        answered += pi[agents + j] * p
    return p_wait, p_abandon, answered


def erlang_a_closed_form(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """The same three numbers from incomplete gamma functions (good for large N)."""
    x = agents * mp.mpf(patience) / aht
    y = mp.mpf(traffic) * patience / aht
    z = mp.exp(-mp.mpf(target) / patience)

    def scaled(s: mp.mpf, upper: mp.mpf) -> mp.mpf:
        # x·e^y·y^-s·γ(s, upper), in logs so that nothing overflows
        return mp.exp(mp.log(x) + y - s * mp.log(y)) * mp.gammainc(s, 0, upper)

    at_or_above = scaled(x, y)
    answered_queue = scaled(x + 1, y)
    answered_in_time = answered_queue - scaled(x + 1, y * z)
    rest = 1 / b_ref(traffic, agents) - 1
    total = rest + at_or_above
    return (
        at_or_above / total,
        (at_or_above - answered_queue) / total,
        (rest + answered_in_time) / total,
    )


# --------------------------------------------------------------------------------------------
# Erlang B and C


def test_textbook_values() -> None:
    assert erlang.erlang_b(10.0, 10) == pytest.approx(0.214582, abs=1e-6)
    assert erlang.erlang_b(2.0, 2) == pytest.approx(0.4, rel=1e-15)
    assert erlang.erlang_c(2.0, 3) == pytest.approx(4 / 9, rel=1e-15)
    # 300 calls of 240 s in 30 minutes: 40 erlangs; 46 agents answer 83.9 % within 20 s.
    assert erlang.traffic_from_calls(300, 1800, 240) == 40.0
    assert erlang.agents_for_service_level(40.0, 240, 20, 0.8) == 46
    assert erlang.service_level(40.0, 46, 240, 20) == pytest.approx(0.838789806060434, rel=1e-13)
    assert erlang.average_speed_of_answer(40.0, 46, 240) == pytest.approx(
        10.6316270320742, rel=1e-13
    )


GRID = [
    (n, f)
    for n in (1, 2, 3, 7, 10, 31, 100, 317, 1000, 2500, 5000, 10_000)
    for f in (0.001, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0, 1.001, 1.2, 2.0, 10.0)
]


def test_erlang_b_and_c_exact_to_1e12_up_to_10000_agents() -> None:
    worst_b = worst_c = 0.0
    for n, f in GRID:
        a = n * f
        ref = b_ref(a, n)
        if ref > TINY:
            worst_b = max(worst_b, rel(erlang.erlang_b(a, n), ref))
        if n > a:
            ref_c = c_ref(a, n)
            if ref_c > TINY:
                worst_c = max(worst_c, rel(erlang.erlang_c(a, n), ref_c))
    assert worst_b < 1e-12
    assert worst_c < 1e-12


def test_service_level_and_asa_exact() -> None:
    for a, n, aht, t in [
        (5.0, 7, 180, 20),
        (40.0, 46, 240, 20),
        (987.6, 1010, 300, 15),
        (9500.0, 9600, 600, 30),
    ]:
        c = c_ref(a, n)
        sl_ref = 1 - c * mp.exp(-(n - mp.mpf(a)) * t / aht)
        assert rel(erlang.service_level(a, n, aht, t), sl_ref) < 1e-13
        assert rel(erlang.average_speed_of_answer(a, n, aht), c * aht / (n - mp.mpf(a))) < 1e-12


@pytest.mark.parametrize(
    ("a", "n"),
    [(99_000.0, 100_000), (99_700.5, 100_000), (100_000.0, 100_000), (150_000.0, 100_000)],
)
def test_one_hundred_thousand_agents(a: float, n: int) -> None:
    b = erlang.erlang_b(a, n)
    assert rel(b, b_ref(a, n)) < 1e-12
    c = erlang.erlang_c(a, n)
    assert 0.0 <= b <= c <= 1.0
    if n > a:
        assert rel(c, c_ref(a, n)) < 1e-12


def test_large_centers_do_not_overflow() -> None:
    agents = erlang.agents_for_service_level(95_000.0, 300, 20, 0.9)
    assert 95_000 < agents < 96_000
    assert erlang.service_level(95_000.0, agents, 300, 20) >= 0.9
    assert erlang.service_level(95_000.0, agents - 1, 300, 20) < 0.9
    # Far above the load everything underflows cleanly to "nobody waits".
    assert erlang.erlang_c(1.0, 100_000) == 0.0
    assert erlang.service_level(1.0, 100_000, 300, 0) == 1.0


def test_unstable_queue_gives_the_limits() -> None:
    n = np.array([0, 1, 5, 9, 10])
    assert erlang.erlang_c(10.0, n).tolist() == [1.0] * 5
    assert erlang.service_level(10.0, n, 180, 20).tolist() == [0.0] * 5
    assert erlang.average_speed_of_answer(10.0, n, 180).tolist() == [math.inf] * 5
    assert erlang.occupancy(10.0, n).tolist() == [1.0] * 5
    assert erlang.erlang_c(10.0, 11) < 1.0


def test_zero_traffic_means_nothing_waits() -> None:
    assert erlang.erlang_b(0.0, 0) == 0.0
    assert erlang.erlang_c(0.0, [0, 3]).tolist() == [0.0, 0.0]
    assert erlang.service_level(0.0, 0, 180, 20) == 1.0
    assert erlang.average_speed_of_answer(0.0, 0, 180) == 0.0
    assert erlang.occupancy(0.0, 0) == 0.0
    assert erlang.agents_for_service_level(0.0, 180, 20, 0.95) == 0
    assert erlang.agents_for_asa(0.0, 180, 5) == 0
    assert erlang.agents_for_erlang_a(0.0, 180, 60, 20, 0.95) == 0
    assert erlang.erlang_a(0.0, 0, 180, 60, 20) == (0.0, 0.0, 1.0, 0.0, 0.0)


def test_broadcasting_and_return_types() -> None:
    a = np.array([[5.0], [10.0], [20.0]])
    n = np.array([6, 12, 25, 30])
    out = erlang.erlang_c(a, n)
    assert out.shape == (3, 4)
    assert out[1, 1] == erlang.erlang_c(10.0, 12)
    assert isinstance(erlang.erlang_b(3.0, 4), float)
    assert isinstance(erlang.agents_for_service_level(3.0, 100, 20, 0.8), int)
    assert erlang.agents_for_service_level([3.0, 30.0], 100, 20, 0.8).dtype == np.int64
    assert erlang.erlang_b(np.float32(2.0), np.int32(2)) == pytest.approx(0.4)
    assert erlang.erlang_b(2.0, 2.0) == pytest.approx(0.4)  # a whole float is a whole number
    res = erlang.erlang_a([10.0, 20.0], 12, 180, 60, [[10.0], [20.0]])
    assert res.p_wait.shape == (2, 2)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: erlang.erlang_b(-1.0, 3), "traffic"),
        (lambda: erlang.erlang_c(math.nan, 3), "traffic"),
        (lambda: erlang.erlang_c(math.inf, 3), "traffic"),
        (lambda: erlang.erlang_c([1.0, -2.0], 3), "traffic[1]"),
        (lambda: erlang.erlang_c(1.0, 2.5), "agents"),
        (lambda: erlang.erlang_c(1.0, [3, -1]), "agents[1]"),
        (lambda: erlang.erlang_c(1.0, math.nan), "agents"),
        (lambda: erlang.erlang_c(1.0, "3"), "agents"),
        (lambda: erlang.erlang_c("1", 3), "traffic"),
        (lambda: erlang.erlang_c(True, 3), "traffic"),
        (lambda: erlang.erlang_c([1.0, 2.0], [1, 2, 3]), "broadcast"),
        (lambda: erlang.service_level(1.0, 3, 0.0, 20), "aht"),
        (lambda: erlang.service_level(1.0, 3, 100, -1), "target"),
        (lambda: erlang.agents_for_service_level(1.0, 100, 20, 1.0), "level"),
        (
            lambda: erlang.agents_for_service_level(1.0, 100, 20, 0.8, max_occupancy=0),
            "max_occupancy",
        ),
        (
            lambda: erlang.agents_for_service_level(1.0, 100, 20, 0.8, max_occupancy=1.1),
            "max_occupancy",
        ),
        (lambda: erlang.agents_for_asa(1.0, 100, 0), "asa"),
        (lambda: erlang.erlang_a(1.0, 3, 100, 0, 20), "patience"),
        (lambda: erlang.agents_for_erlang_a(1.0, 100, 60, 20, 0.8, max_abandon=0), "max_abandon"),
        (lambda: erlang.traffic_from_calls(10, 0, 100), "interval"),
        (lambda: erlang.erlang_c_requirement(1.0, 100, 20), "goal"),
    ],
)
def test_invalid_arguments_raise_value_errors(call: object, words: str) -> None:
    with pytest.raises(
        InvalidArgument, match=words.replace("[", r"\[").replace("]", r"\]")
    ) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CCRouterError)


# --------------------------------------------------------------------------------------------
# Required agents: never off by one


def _first_meeting(ok: np.ndarray, counts: np.ndarray) -> int:
    assert ok.any()
    return int(counts[np.argmax(ok)])


CASES = [
    (a, aht, t, level, occ)
    for a in (0.01, 0.5, 1.0, 2.5, 7.0, 7.999999, 8.0, 33.3, 100.0, 512.7, 2000.0)
    for aht, t in ((180.0, 20.0), (600.0, 0.0), (60.0, 120.0))
    for level in (0.0, 0.5, 0.8, 0.95, 0.999)
    for occ in (1.0, 0.85, 0.8)
]


def test_agents_for_service_level_equals_a_brute_force_scan() -> None:
    a, aht, t, level, occ = (np.array(col) for col in zip(*CASES, strict=True))
    got = erlang.agents_for_service_level(a, aht, t, level, max_occupancy=occ)
    for i, case in enumerate(CASES):
        counts = np.arange(0, got[i] + 50)
        sl = erlang.service_level(case[0], counts, case[1], case[2])
        ok = (sl >= case[3]) & (counts > case[0]) & (erlang.occupancy(case[0], counts) <= case[4])
        assert got[i] == _first_meeting(ok, counts), case


def test_occupancy_cap_is_not_rounded_up() -> None:
    # 8 / 0.8 = 10.000000000000002 in binary: a plain ceil would ask for 11 agents.
    assert erlang.agents_for_service_level(8.0, 100, 20, 0.0, max_occupancy=0.8) == 10
    assert erlang.agents_for_service_level(7.0, 100, 20, 0.0, max_occupancy=0.7) == 10
    assert erlang.agents_for_asa(8.0, 100, 1e9, max_occupancy=0.8) == 10


def test_search_starts_right_at_the_stability_bound() -> None:
    # Tools that start at round(traffic + 1) skip the answer floor(traffic) + 1.
    a = 5.6
    assert erlang.service_level(a, 6, 10, 100) >= 0.8
    assert erlang.agents_for_service_level(a, 10, 100, 0.8) == 6
    assert erlang.agents_for_service_level(4.0, 10, 1000, 0.5) == 5


def test_agents_for_asa_equals_a_brute_force_scan() -> None:
    for a in (0.3, 4.0, 27.5, 250.0, 3000.0):
        for asa in (0.5, 5.0, 20.0, 300.0):
            for occ in (1.0, 0.9):
                got = erlang.agents_for_asa(a, 240, asa, max_occupancy=occ)
                counts = np.arange(0, got + 50)
                w = erlang.average_speed_of_answer(a, counts, 240)
                ok = (w <= asa) & (erlang.occupancy(a, counts) <= occ)
                assert got == _first_meeting(ok, counts), (a, asa, occ)


def test_erlang_c_requirement_matches_the_separate_functions() -> None:
    a = np.linspace(0.0, 900.0, 37)
    req = erlang.erlang_c_requirement(a, 270, 20, level=0.8, max_occupancy=0.9)
    n = erlang.agents_for_service_level(a, 270, 20, 0.8, max_occupancy=0.9)
    assert req.agents.tolist() == n.tolist()
    assert req.service_level.tolist() == erlang.service_level(a, n, 270, 20).tolist()
    assert req.asa.tolist() == erlang.average_speed_of_answer(a, n, 270).tolist()
    assert req.p_wait.tolist() == erlang.erlang_c(a, n).tolist()
    assert req.occupancy.tolist() == erlang.occupancy(a, n).tolist()
    by_asa = erlang.erlang_c_requirement(a, 270, 20, asa=15)
    assert by_asa.agents.tolist() == erlang.agents_for_asa(a, 270, 15).tolist()
    assert np.all(by_asa.asa <= 15)


def test_python_run_of_the_search_kernel_agrees() -> None:
    # The kernel is plain Python too: run it uncompiled (another arithmetic path for the
    # int/float conversions) on a small grid and require identical answers.
    a = np.array([0.0, 0.5, 5.6, 40.0, 333.3, 8.0, 0.0, 12.0, 7.5, 99.0])
    aht, t = np.full(a.size, 240.0), np.full(a.size, 20.0)
    level = np.full(a.size, 0.8)
    occ = np.where(np.arange(a.size) % 3 == 0, 0.85, 1.0)
    lo = np.empty(a.size, dtype=np.int64)
    erlang._lower_bounds_kernel(a, occ, lo)
    order = np.argsort(lo, kind="stable").astype(np.int64)
    outs = [
        (np.empty(a.size, dtype=np.int64), *(np.empty(a.size) for _ in range(3))) for _ in range(2)
    ]
    erlang._agents_c_kernel(a, aht, level, t, lo, order, False, *outs[0])
    erlang._agents_c_kernel.py_func(a, aht, level, t, lo, order, False, *outs[1])
    for x, y in zip(outs[0], outs[1], strict=True):
        assert x.tolist() == y.tolist()
    assert (
        outs[0][0].tolist()
        == erlang.agents_for_service_level(a, 240, 20, 0.8, max_occupancy=occ).tolist()
    )


# --------------------------------------------------------------------------------------------
# Erlang A


SMALL_A = [
    (2.0, 3, 100.0, 50.0, 10.0),
    (5.0, 3, 180.0, 90.0, 20.0),
    (8.0, 10, 240.0, 60.0, 20.0),
    (1.0, 1, 60.0, 600.0, 30.0),
    (10.0, 12, 200.0, 30.0, 5.0),
    (0.5, 0, 100.0, 100.0, 10.0),
    (12.0, 6, 300.0, 120.0, 60.0),
    (3.0, 5, 100.0, 1000.0, 0.0),
    (3.0, 5, 100.0, 10.0, 100.0),
    (15.0, 15, 180.0, 90.0, 20.0),
]


@pytest.mark.parametrize("case", SMALL_A, ids=str)
def test_erlang_a_equals_the_birth_death_chain(
    case: tuple[float, int, float, float, float],
) -> None:
    res = erlang.erlang_a(*case)
    ref = erlang_a_brute(*case)
    for got, want in zip((res.p_wait, res.p_abandon, res.service_level), ref, strict=True):
        assert rel(got, want) < 1e-13 or abs(got - want) < 1e-16
    assert res.asa == pytest.approx(case[3] * res.p_abandon, rel=1e-15)


LARGE_A = [
    (100.0, 95, 240.0, 90.0, 20.0),
    (1000.0, 1000, 240.0, 90.0, 20.0),
    (1000.0, 980, 240.0, 300.0, 20.0),
    (1000.0, 1050, 180.0, 60.0, 10.0),
    (5000.0, 5100, 300.0, 120.0, 20.0),
    (9000.0, 10_000, 200.0, 100.0, 20.0),
    (10_000.0, 9000, 200.0, 100.0, 20.0),
    (9900.0, 10_000, 240.0, 600.0, 30.0),
]


@pytest.mark.parametrize("case", LARGE_A, ids=str)
def test_erlang_a_large_against_incomplete_gamma(
    case: tuple[float, int, float, float, float],
) -> None:
    res = erlang.erlang_a(*case)
    for got, want in zip(
        (res.p_wait, res.p_abandon, res.service_level), erlang_a_closed_form(*case), strict=True
    ):
        assert rel(got, want) < 1e-12


def test_erlang_a_overloaded_and_huge() -> None:
    # Heavily overloaded with long patience: the queue terms reach e^(10^5); nothing overflows.
    res = erlang.erlang_a(20_000.0, 100, 180, 3000, 20)
    assert res.p_wait == pytest.approx(1.0)
    assert res.p_abandon == pytest.approx(1 - 100 / 20_000, rel=1e-6)
    assert 0.0 <= res.service_level < 1e-3
    big = erlang.erlang_a(99_000.0, 100_000, 300, 120, 20)
    assert 0 < big.p_abandon < big.p_wait < 1 and 0.99 < big.service_level < 1


def test_erlang_a_target_zero_and_long_patience() -> None:
    res = erlang.erlang_a(30.0, np.arange(0, 60), 240, 90, 0.0)
    assert np.allclose(res.service_level, 1 - res.p_wait, rtol=0, atol=1e-15)
    # Very patient callers: Erlang A tends to Erlang C where C is stable.
    long = erlang.erlang_a(30.0, 36, 240, 1e7, 20)
    assert long.p_wait == pytest.approx(erlang.erlang_c(30.0, 36), rel=1e-4)
    assert long.service_level == pytest.approx(erlang.service_level(30.0, 36, 240, 20), rel=1e-4)


def test_agents_for_erlang_a_equals_a_brute_force_scan() -> None:
    for a in (0.4, 3.0, 17.5, 120.0, 800.0):
        for level, cap, occ in (
            (0.8, None, 1.0),
            (0.9, 0.02, 1.0),
            (0.0, 0.05, 1.0),
            (0.5, None, 0.8),
        ):
            for patience in (30.0, 300.0):
                got = erlang.agents_for_erlang_a(
                    a, 240, patience, 20, level, max_abandon=cap, max_occupancy=occ
                )
                counts = np.arange(0, got + 30)
                r = erlang.erlang_a(a, counts, 240, patience, 20)
                ok = (r.service_level >= level) & (r.occupancy <= occ)
                if cap is not None:
                    ok &= r.p_abandon <= cap
                assert got == _first_meeting(ok, counts), (a, level, cap, occ, patience)


def test_python_run_of_the_erlang_a_kernels_agrees() -> None:
    a = np.array([0.0, 3.0, 17.5, 60.0])
    n = np.array([0, 2, 20, 55])
    h, p, t = np.full(4, 240.0), np.full(4, 90.0), np.full(4, 20.0)
    fast = [np.empty(4) for _ in range(3)]
    slow = [np.empty(4) for _ in range(3)]
    erlang_a._a_kernel(a, n, h, p, t, *fast)
    erlang_a._a_kernel.py_func(a, n, h, p, t, *slow)
    for x, y in zip(fast, slow, strict=True):
        assert np.allclose(x, y, rtol=1e-14, atol=0)
    out = [np.empty(4, dtype=np.int64) for _ in range(2)]
    args = (a, h, p, t, np.full(4, 0.8), np.full(4, 0.05), np.full(4, 0.95))
    erlang_a._agents_a_kernel(*args, out[0])
    erlang_a._agents_a_kernel.py_func(*args, out[1])
    assert out[0].tolist() == out[1].tolist()


def test_warmup_compiles_everything() -> None:
    erlang.warmup()
    assert erlang.erlang_b(1.0, 1) == 0.5


@pytest.mark.parametrize(
    "case",
    [
        (25.0, 1, 10.0, 163.0, 31.0),
        (25.0, 12, 10.0, 163.0, 31.0),
        (50.0, 30, 200.0, 20_000.0, 20.0),
    ],
)
def test_erlang_a_tiny_service_level_keeps_relative_precision(
    case: tuple[float, int, float, float, float],
) -> None:
    # Hardly anyone is answered in time; 1 − cdf would leave an absolute error near 1e-16. The
    # closed form's difference of two incomplete gammas needs hundreds of digits here.
    with mp.workdps(600):
        ref = erlang_a_closed_form(*case)[2]
    assert ref < 1e-16
    assert rel(erlang.erlang_a(*case).service_level, ref) < 1e-12


# Far fewer agents than the load and very patient callers: the chain runs ~10,000 terms past the
# negative binomial's bulk, where its pmf sits at the smallest subnormal; this used to hang.
OVERLOADED = (300.0, 10.0, 386.3703814392433, 300.0)  # traffic, aht, patience, target


def erlang_a_interval_form(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """The closed forms with the answered-in-time part as one incomplete gamma over [y·z, y].

    ``mpmath.gammainc(s, a, b)`` integrates over the interval, so nothing cancels and 60 digits
    are plenty even for a service level of 1e-2220 (checked against 400 digits).
    """
    with mp.workdps(60):
        x = agents * mp.mpf(patience) / aht
        y = mp.mpf(traffic) * patience / aht
        z = mp.exp(-mp.mpf(target) / patience)

        def scaled(s: mp.mpf, low: mp.mpf, high: mp.mpf) -> mp.mpf:
            return mp.exp(mp.log(x) + y - s * mp.log(y)) * mp.gammainc(s, low, high)

        at_or_above = scaled(x, mp.mpf(0), y)
        answered_queue = scaled(x + 1, mp.mpf(0), y)
        total = 1 / b_ref(traffic, agents) - 1 + at_or_above
        return (
            at_or_above / total,
            (at_or_above - answered_queue) / total,
            (1 / b_ref(traffic, agents) - 1 + scaled(x + 1, y * z, y)) / total,
        )


def test_erlang_a_without_agents_everybody_abandons() -> None:
    # No agent: every caller waits and hangs up, nobody is answered (exact, not a limit).
    res = erlang.erlang_a(OVERLOADED[0], 0, *OVERLOADED[1:])
    assert (res.p_wait, res.p_abandon, res.service_level) == (1.0, 1.0, 0.0)
    assert res.asa == OVERLOADED[2] and res.occupancy == 1.0


@pytest.mark.parametrize(
    ("agents", "sl_exponent"), [(1, -2220), (50, -628), (99, -105), (100, -100)]
)
def test_erlang_a_far_below_the_load_matches_mpmath(agents: int, sl_exponent: int) -> None:
    traffic, aht, patience, target = OVERLOADED
    res = erlang.erlang_a(traffic, agents, aht, patience, target)
    p_wait, p_ab, sl = erlang_a_interval_form(traffic, agents, aht, patience, target)
    assert res.p_wait == 1.0 and rel(res.p_wait, p_wait) < 1e-15
    assert rel(res.p_abandon, p_ab) < 1e-14
    # The fluid limit: every agent is always busy, so the carried load is the agent count.
    assert res.p_abandon == pytest.approx(1.0 - agents / traffic, rel=1e-14)
    assert res.asa == pytest.approx(patience * (1.0 - agents / traffic), rel=1e-14)
    # Hardly anyone reaches an agent within 300 s: 1e-2220 and 1e-628 underflow to exactly 0,
    # 1e-105 and 1e-100 keep their relative precision.
    assert int(mp.floor(mp.log10(sl))) == sl_exponent
    if sl < TINY:
        assert res.service_level == 0.0
    else:
        assert rel(res.service_level, sl) < 1e-11


def test_agents_for_erlang_a_far_below_the_load_finishes_and_is_minimal() -> None:
    traffic, aht, patience, target = OVERLOADED
    counts = np.arange(0, 400)
    r = erlang.erlang_a(traffic, counts, aht, patience, target)
    for level, cap in ((0.8, None), (0.0, 0.05), (0.5, 0.2)):
        got = erlang.agents_for_erlang_a(traffic, aht, patience, target, level, max_abandon=cap)
        ok = (r.service_level >= level) & (r.p_abandon <= (1.0 if cap is None else cap))
        assert got == _first_meeting(ok, counts), (level, cap)
