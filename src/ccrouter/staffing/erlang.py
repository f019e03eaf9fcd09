"""Erlang B, C and A: waiting, service level, abandonment and required agents.

Every function takes scalars or numpy arrays (broadcast together, numpy rules) and returns a
``float`` for scalar arguments or a ``numpy`` array of the broadcast shape otherwise.

Units: ``traffic`` is offered load in erlangs (``calls × aht / interval``, see
:func:`traffic_from_calls`); ``aht``, ``target``, ``asa`` and ``patience`` are in one time unit
(seconds throughout the docs). ``agents`` are whole numbers.

Conventions at the edges (limits, never a negative or > 1 probability):

- ``traffic == 0``: nothing arrives, so nothing is blocked or waits: ``erlang_b = erlang_c = 0``,
  ``service_level = 1``, ``asa = 0``, ``occupancy = 0``, and zero agents are required.
- ``0 < traffic`` and ``agents <= traffic``: the Erlang C queue is unstable; ``erlang_c = 1``,
  ``service_level = 0``, ``asa = inf``, ``occupancy = 1``. (Erlang A is always stable.)

Numerics: Erlang B comes from the recurrence ``B(n) = A·B(n-1) / (n + A·B(n-1))``, which damps
rounding errors instead of amplifying them and never forms a factorial or a power, and Erlang C
from B. Erlang A (:func:`erlang_a`, :func:`agents_for_erlang_a`, :class:`ErlangAResult`) is
solved in :mod:`ccrouter.staffing.erlang_a`, whose docstring explains its sums; this module
re-exports it, so ``ccrouter.staffing.erlang`` remains the one place to import every solver
from. The kernels are compiled with Numba on first use (:func:`warmup` compiles them ahead,
Erlang A's included). Results that underflow (below about 1e-300) become 0.

>>> round(erlang_c(10.0, 12), 6)
0.449388
>>> agents_for_service_level(traffic_from_calls(300, 1800, 240), 240, 20, 0.8)
46
"""

from __future__ import annotations

import math
from typing import Any, Generic, NamedTuple, cast, overload

import numpy as np
from numpy.typing import ArrayLike

from ccrouter.errors import InvalidArgument
from ccrouter.staffing._erlang_common import (
    FloatArray,
    IntArray,
    T,
    _agents,
    _broadcast,
    _erlang_b1,
    _floats,
    _goals,
    _jit,
    _scratch,
    _shape,
)
from ccrouter.staffing.erlang_a import ErlangAResult, agents_for_erlang_a, erlang_a

__all__ = [
    "ErlangAResult",
    "ErlangCRequirement",
    "agents_for_asa",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_requirement",
    "occupancy",
    "service_level",
    "traffic_from_calls",
    "warmup",
]


# ---------------------------------------------------------------------------------------------
# Kernels: plain loops over flat arrays, no validation (the wrappers below validate).


@_jit
def _c_from_b(a: float, n: int, b: float) -> float:
    if a == 0.0:
        return 0.0
    if n <= a:
        return 1.0
    # N·B / (N − A·(1 − B)); N − A is exact enough (no cancellation worse than A's own ulp).
    return n * b / ((n - a) + a * b)


@_jit
def _sl_from_c(a: float, n: int, c: float, aht: float, t: float) -> float:
    if a == 0.0:
        return 1.0
    if n <= a:
        return 0.0
    return 1.0 - c * math.exp(-(n - a) * t / aht)


@_jit
def _asa_from_c(a: float, n: int, c: float, aht: float) -> float:
    if a == 0.0:
        return 0.0
    if n <= a:
        return math.inf
    return c * aht / (n - a)


@_jit
def _b_kernel(a: FloatArray, n: IntArray, out: FloatArray) -> None:
    for i in range(a.size):
        out[i] = _erlang_b1(a[i], n[i])


@_jit
def _c_kernel(a: FloatArray, n: IntArray, out: FloatArray) -> None:
    for i in range(a.size):
        out[i] = _c_from_b(a[i], n[i], _erlang_b1(a[i], n[i]))


@_jit
def _sl_kernel(a: FloatArray, n: IntArray, aht: FloatArray, t: FloatArray, out: FloatArray) -> None:
    for i in range(a.size):
        c = _c_from_b(a[i], n[i], _erlang_b1(a[i], n[i]))
        out[i] = _sl_from_c(a[i], n[i], c, aht[i], t[i])


@_jit
def _asa_kernel(a: FloatArray, n: IntArray, aht: FloatArray, out: FloatArray) -> None:
    for i in range(a.size):
        c = _c_from_b(a[i], n[i], _erlang_b1(a[i], n[i]))
        out[i] = _asa_from_c(a[i], n[i], c, aht[i])


@_jit
def _min_stable_agents(a: float, max_occ: float) -> int:
    # Smallest n with n > a and a / n <= max_occ, with the same comparison occupancy() makes,
    # so a rounded ceil(a / max_occ) can never push the answer one too high or low.
    n = math.floor(a) + 1
    m = max(1, math.ceil(a / max_occ))
    while m > 1 and a / (m - 1) <= max_occ:
        m -= 1
    while a / m > max_occ:
        m += 1
    return max(n, m)


_LANES = 8


@_jit
def _lower_bounds_kernel(a: FloatArray, max_occ: FloatArray, out: IntArray) -> None:
    for i in range(a.size):
        out[i] = 0 if a[i] == 0.0 else _min_stable_agents(a[i], max_occ[i])


@_jit
def _agents_c_kernel(
    a: FloatArray, aht: FloatArray, goal: FloatArray, t: FloatArray, lo: IntArray,
    order: IntArray, by_asa: bool, out: IntArray, out_c: FloatArray, out_sl: FloatArray,
    out_asa: FloatArray,
) -> None:  # fmt: skip
    # The B recurrence is one chain of dependent divisions, so it is latency-bound. Elements
    # sorted by their lower bound ``lo`` (``order``, sorted by numpy in the wrapper: Numba's
    # own sort misbehaved when loaded from its on-disk cache) advance _LANES at a time up to
    # the block's smallest bound (independent divisions pipeline); then each element
    # continues alone, checking every count from its lower bound up: the first that meets
    # the goal is the answer, a brute-force scan at the cost of one B.
    m = a.size
    bs = np.ones(_LANES)
    lane_a = np.zeros(_LANES)
    for start in range(0, m, _LANES):
        stop = min(start + _LANES, m)
        width = stop - start
        common = lo[order[start]] - 1
        for lane in range(_LANES):
            bs[lane] = 1.0
            lane_a[lane] = a[order[start + lane]] if lane < width else 0.0
        for n in range(1, common + 1):
            for lane in range(_LANES):
                ab = lane_a[lane] * bs[lane]
                bs[lane] = ab / (n + ab)
        for lane in range(width):
            i = order[start + lane]
            ai = a[i]
            if ai == 0.0:
                out[i] = 0
                out_c[i] = 0.0
                out_sl[i] = 1.0
                out_asa[i] = 0.0
                continue
            b = bs[lane]
            n = max(common, 0)
            while True:
                n += 1
                ab = ai * b
                b = ab / (n + ab)
                if n >= lo[i]:
                    c = _c_from_b(ai, n, b)
                    if by_asa:
                        if _asa_from_c(ai, n, c, aht[i]) <= goal[i]:
                            break
                    elif _sl_from_c(ai, n, c, aht[i], t[i]) >= goal[i]:
                        break
            out[i] = n
            out_c[i] = c
            # The same arithmetic that made the decision, so the reported level never
            # disagrees with it in the last bit.
            out_sl[i] = _sl_from_c(ai, n, c, aht[i], t[i])
            out_asa[i] = _asa_from_c(ai, n, c, aht[i])


def _search_c(
    a: FloatArray, h: FloatArray, goal: FloatArray, t: FloatArray, occ: FloatArray, by_asa: bool
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """(agents, C, service level, ASA) for flat, validated arrays of one size."""
    lo = np.empty(a.size, dtype=np.int64)
    _lower_bounds_kernel(a, occ, lo)
    order = np.argsort(lo, kind="stable").astype(np.int64)
    n = np.empty(a.size, dtype=np.int64)
    c, sl, mean_wait = _scratch(a.size, 3)
    _agents_c_kernel(a, h, goal, t, lo, order, by_asa, n, c, sl, mean_wait)
    return n, c, sl, mean_wait


# ---------------------------------------------------------------------------------------------
# Public API.


def traffic_from_calls(calls: ArrayLike, interval: ArrayLike, aht: ArrayLike) -> Any:
    """Offered traffic in erlangs: ``calls × aht / interval``.

    Args:
        calls: Calls offered in the interval (>= 0).
        interval: Interval length (> 0), in the unit of ``aht``.
        aht: Average handle time (> 0).

    Returns:
        Traffic in erlangs, a float or an array of the broadcast shape.

    Raises:
        InvalidArgument: A negative, zero (``interval``, ``aht``), NaN or infinite argument.

    >>> traffic_from_calls(300, 1800, 240)
    40.0
    """
    c = _floats("calls", calls)
    i = _floats("interval", interval, low_open=True)
    h = _floats("aht", aht, low_open=True)
    shape, (c, i, h) = _broadcast(c, i, h)
    return _shape(c * h / i, shape)


@overload
def erlang_b(traffic: float, agents: int) -> float: ...
@overload
def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> Any: ...
def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> Any:
    """Blocking probability of an M/M/N/N loss system (Erlang B).

    Complexity: O(agents) per element.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).

    Returns:
        ``B(traffic, agents)`` in [0, 1]: a float for scalar arguments, else an array.

    Raises:
        InvalidArgument: Negative, NaN or infinite traffic; negative or fractional agents.

    >>> erlang_b(2.0, 2)
    0.4
    >>> erlang_b([1.0, 2.0], 1).tolist()
    [0.5, 0.6666666666666666]
    """
    shape, (a, n) = _broadcast(_floats("traffic", traffic), _agents(agents))
    out = np.empty(a.size)
    _b_kernel(a, n, out)
    return _shape(out, shape)


@overload
def erlang_c(traffic: float, agents: int) -> float: ...
@overload
def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> Any: ...
def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> Any:
    """Probability that an arrival waits in an M/M/N queue (Erlang C).

    Complexity: O(agents) per element.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).

    Returns:
        ``C(traffic, agents)`` in [0, 1]; 1 where ``0 < traffic`` and ``agents <= traffic``.

    Raises:
        InvalidArgument: As :func:`erlang_b`.

    >>> round(erlang_c(2.0, 3), 6)
    0.444444
    >>> erlang_c(5.0, 5)
    1.0
    """
    shape, (a, n) = _broadcast(_floats("traffic", traffic), _agents(agents))
    out = np.empty(a.size)
    _c_kernel(a, n, out)
    return _shape(out, shape)


@overload
def service_level(traffic: float, agents: int, aht: float, target: float) -> float: ...
@overload
def service_level(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, target: ArrayLike
) -> Any: ...
def service_level(traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, target: ArrayLike) -> Any:
    """Probability that an arrival waits at most ``target`` (Erlang C, M/M/N).

    ``1 − C·exp(−(N − A)·target / aht)``; 0 where the queue is unstable.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).
        aht: Average handle time (> 0).
        target: Answer-time target (>= 0), in the unit of ``aht``.

    Returns:
        The service level in [0, 1].

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> round(service_level(40.0, 46, 240, 20), 4)
    0.8388
    """
    shape, (a, n, h, t) = _broadcast(
        _floats("traffic", traffic),
        _agents(agents),
        _floats("aht", aht, low_open=True),
        _floats("target", target),
    )
    out = np.empty(a.size)
    _sl_kernel(a, n, h, t, out)
    return _shape(out, shape)


@overload
def average_speed_of_answer(traffic: float, agents: int, aht: float) -> float: ...
@overload
def average_speed_of_answer(traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike) -> Any: ...
def average_speed_of_answer(traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike) -> Any:
    """Mean wait of all arrivals (ASA) in an M/M/N queue: ``C·aht / (N − A)``.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).
        aht: Average handle time (> 0).

    Returns:
        The ASA in the unit of ``aht``; ``inf`` where the queue is unstable.

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> round(average_speed_of_answer(40.0, 46, 240), 2)
    10.63
    """
    shape, (a, n, h) = _broadcast(
        _floats("traffic", traffic), _agents(agents), _floats("aht", aht, low_open=True)
    )
    out = np.empty(a.size)
    _asa_kernel(a, n, h, out)
    return _shape(out, shape)


@overload
def occupancy(traffic: float, agents: int) -> float: ...
@overload
def occupancy(traffic: ArrayLike, agents: ArrayLike) -> Any: ...
def occupancy(traffic: ArrayLike, agents: ArrayLike) -> Any:
    """Fraction of agent time spent handling calls (Erlang C): ``min(A / N, 1)``.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).

    Returns:
        Occupancy in [0, 1]: 0 without traffic, 1 where the queue is unstable.

    Raises:
        InvalidArgument: As :func:`erlang_b`.

    >>> occupancy(40.0, 50)
    0.8
    """
    shape, (a, n) = _broadcast(_floats("traffic", traffic), _agents(agents))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a == 0.0, 0.0, np.where(n <= a, 1.0, a / np.maximum(n, 1)))
    return _shape(out, shape)


@overload
def agents_for_service_level(
    traffic: float, aht: float, target: float, level: float, *, max_occupancy: float = 1.0
) -> int: ...
@overload
def agents_for_service_level(
    traffic: ArrayLike, aht: ArrayLike, target: ArrayLike, level: ArrayLike,
    *, max_occupancy: ArrayLike = 1.0,
) -> Any: ...  # fmt: skip
def agents_for_service_level(
    traffic: ArrayLike, aht: ArrayLike, target: ArrayLike, level: ArrayLike,
    *, max_occupancy: ArrayLike = 1.0,
) -> Any:  # fmt: skip
    """Smallest agent count whose Erlang C service level is at least ``level``.

    The answer also keeps occupancy at or below ``max_occupancy`` and the queue stable
    (``agents > traffic``). Every count from that lower bound up is checked, so the answer is
    never one too high or too low. Complexity: O(answer) per element.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        aht: Average handle time (> 0).
        target: Answer-time target (>= 0), in the unit of ``aht``.
        level: Required fraction answered within ``target``, in [0, 1).
        max_occupancy: Occupancy cap in (0, 1].

    Returns:
        The agent count (``int`` for scalars, an int64 array otherwise); 0 without traffic.

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> agents_for_service_level(40.0, 240, 20, 0.8)
    46
    >>> agents_for_service_level(40.0, 240, 20, 0.8, max_occupancy=0.85)
    48
    """
    a, h, occ = _goals(traffic, aht, max_occupancy)
    t = _floats("target", target)
    lv = _floats("level", level, high=1.0)
    shape, (a, h, lv, t, occ) = _broadcast(a, h, lv, t, occ)
    return _shape(_search_c(a, h, lv, t, occ, False)[0], shape)


@overload
def agents_for_asa(
    traffic: float, aht: float, asa: float, *, max_occupancy: float = 1.0
) -> int: ...
@overload
def agents_for_asa(
    traffic: ArrayLike, aht: ArrayLike, asa: ArrayLike, *, max_occupancy: ArrayLike = 1.0
) -> Any: ...
def agents_for_asa(
    traffic: ArrayLike, aht: ArrayLike, asa: ArrayLike, *, max_occupancy: ArrayLike = 1.0
) -> Any:
    """Smallest agent count whose Erlang C average speed of answer is at most ``asa``.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        aht: Average handle time (> 0).
        asa: ASA target (> 0), in the unit of ``aht``.
        max_occupancy: Occupancy cap in (0, 1].

    Returns:
        The agent count (``int`` for scalars, an int64 array otherwise); 0 without traffic.

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> agents_for_asa(40.0, 240, 15)
    46
    """
    a, h, occ = _goals(traffic, aht, max_occupancy)
    goal = _floats("asa", asa, low_open=True)
    shape, (a, h, goal, occ) = _broadcast(a, h, goal, occ)
    return _shape(_search_c(a, h, goal, np.zeros_like(a), occ, True)[0], shape)


class ErlangCRequirement(NamedTuple, Generic[T]):
    """Required agents and the Erlang C performance they achieve; floats or arrays."""

    agents: Any
    """Smallest agent count meeting the goal (``int`` or an int64 array)."""
    p_wait: T
    """Probability that an arrival waits, at ``agents``."""
    service_level: T
    """Fraction answered within the target, at ``agents``."""
    asa: T
    """Mean wait of all arrivals, at ``agents``."""
    occupancy: T
    """``traffic / agents`` (0 without traffic)."""


def erlang_c_requirement(
    traffic: ArrayLike, aht: ArrayLike, target: ArrayLike,
    *, level: ArrayLike | None = None, asa: ArrayLike | None = None,
    max_occupancy: ArrayLike = 1.0,
) -> ErlangCRequirement[Any]:  # fmt: skip
    """Required agents for a service level or an ASA goal, and what they achieve, in one pass.

    The same answer as :func:`agents_for_service_level` (``level``) or :func:`agents_for_asa`
    (``asa``), with the achieved metrics from the same recurrence, so a staffing table costs one
    Erlang B per interval. Complexity: O(answer) per element.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        aht: Average handle time (> 0).
        target: Answer-time target (>= 0) at which ``service_level`` is reported.
        level: Service-level goal in [0, 1): the fraction answered within ``target``.
        asa: ASA goal (> 0). Give exactly one of ``level`` and ``asa``.
        max_occupancy: Occupancy cap in (0, 1].

    Returns:
        An :class:`ErlangCRequirement` of scalars or arrays of the broadcast shape.

    Raises:
        InvalidArgument: An argument out of range, or not exactly one goal.

    >>> r = erlang_c_requirement(40.0, 240, 20, level=0.8)
    >>> r.agents, round(r.service_level, 4), round(r.occupancy, 4)
    (46, 0.8388, 0.8696)
    """
    if (level is None) == (asa is None):
        raise InvalidArgument("give exactly one goal: level (service level) or asa")
    a, h, occ = _goals(traffic, aht, max_occupancy)
    t = _floats("target", target)
    by_asa = asa is not None
    if asa is not None:
        goal = _floats("asa", asa, low_open=True)
    else:
        goal = _floats("level", cast(ArrayLike, level), high=1.0)
    shape, (a, h, goal, t, occ) = _broadcast(a, h, goal, t, occ)
    n, c, sl, mean_wait = _search_c(a, h, goal, t, occ, by_asa)
    occupied = np.where(a > 0.0, a / np.maximum(n, 1), 0.0)
    return ErlangCRequirement(
        _shape(n, shape),
        _shape(c, shape),
        _shape(sl, shape),
        _shape(mean_wait, shape),
        _shape(occupied, shape),
    )


def warmup() -> None:
    """Compile (or load from Numba's cache) every kernel now rather than on first use.

    Time it from outside to report compile time apart from run time (the benchmark does).
    """
    erlang_b(1.0, 2)
    erlang_c(1.0, 2)
    service_level(1.0, 2, 1.0, 1.0)
    average_speed_of_answer(1.0, 2, 1.0)
    agents_for_service_level(1.0, 1.0, 1.0, 0.5)
    agents_for_asa(1.0, 1.0, 1.0)
    erlang_a(1.0, 2, 1.0, 1.0, 1.0)
    agents_for_erlang_a(1.0, 1.0, 1.0, 1.0, 0.5)
    erlang_c_requirement(1.0, 1.0, 1.0, level=0.5)
