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
from B. Erlang A sums the birth–death chain of M/M/N+M with running products, rescaled so that
nothing overflows, and the service level uses the exact law of the wait in queue (a Beta law
for ``exp(-θ·wait)``; see docs/staffing.md). The kernels are compiled with Numba on first use
(:func:`warmup` compiles them ahead). Results that underflow (below about 1e-300) become 0.

>>> round(erlang_c(10.0, 12), 6)
0.449388
>>> agents_for_service_level(traffic_from_calls(300, 1800, 240), 240, 20, 0.8)
46
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar, cast, overload

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ccrouter.errors import InvalidArgument

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

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])
T = TypeVar("T", float, FloatArray)


def _jit(func: _F) -> _F:
    # cache=True keeps the CLI quick after the first run; no fastmath, exactness comes first.
    return cast(_F, numba.njit(cache=True, nogil=True)(func))


# ---------------------------------------------------------------------------------------------
# Kernels: plain loops over flat arrays, no validation (the wrappers below validate).


@_jit
def _erlang_b1(a: float, n: int) -> float:
    if a == 0.0:
        return 0.0
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


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


# Erlang A sums: a tail below _TAIL_FLOOR (absolute, as a probability) is dropped, and no loop
# runs past _MAX_TERMS terms (never reached in practice: the chain needs about y + 9·sqrt(y)).
_TAIL_FLOOR = 1e-300
_MAX_TERMS = 100_000_000


@_jit
def _erlang_a1(
    a: float, n: int, b: float, aht: float, patience: float, t: float
) -> tuple[float, float, float]:
    """(p_wait, p_abandon, service_level) of M/M/n+M given b = ErlangB(a, n)."""
    if a == 0.0:
        return 0.0, 0.0, 1.0
    if b == 0.0:
        # B underflowed: n is so far above a that nobody waits (to double precision).
        return 0.0, 0.0, 1.0
    x = n * patience / aht  # n·μ/θ
    y = a * patience / aht  # λ/θ
    tt = t / patience  # θ·t
    one_minus_z = -math.expm1(-tt)
    log_omz = math.log(one_minus_z) if one_minus_z > 0.0 else -math.inf
    # Negative binomial NB(x + 1, z = e^{-θt}): P(K > j) is the chance that an arrival with j
    # ahead, were it infinitely patient, would reach an agent within t.
    lp = -(x + 1.0) * tt
    tiny = lp < -700.0
    p = 0.0 if tiny else math.exp(lp)
    cdf = p
    w = 1.0  # π(n + j) / π(n), rescaled together with the sums below
    log_scale = 0.0
    stage = 0
    s_all = 0.0  # Σ w_j: the chain at or above n
    s_ab = 0.0  # Σ w_j (j+1)/(x+j+1): arrivals that abandon
    s_sl = 0.0  # Σ w_j x/(x+j+1) P(K > j): queued and answered within t
    s_miss = 0.0  # Σ w_j (1 − x/(x+j+1) P(K > j)): queued and not answered within t
    # Kept for the second pass: w_j·x/(x+j+1), its rescaling stage, and the NB pmf p_j.
    keep = np.empty((3, 256))
    j = 0
    while True:
        served = x / (x + j + 1.0)
        if j == keep.shape[1]:
            grown = np.empty((3, 2 * j))
            grown[:, :j] = keep
            keep = grown
        keep[0, j] = w * served
        keep[1, j] = stage
        keep[2, j] = p
        s_all += w
        s_ab += w * (j + 1.0) / (x + j + 1.0)
        s_sl += w * served * max(0.0, 1.0 - cdf)
        s_miss += w * ((j + 1.0) / (x + j + 1.0) + served * min(1.0, cdf))
        last_cdf = cdf
        r = y / (x + j + 1.0)
        w *= r
        j += 1
        if tiny:
            lp += math.log((x + j) / j) + log_omz
            if lp >= -700.0:
                tiny = False
                p = math.exp(lp)
                cdf += p
        else:
            p *= (x + j) * one_minus_z / j
            cdf += p
        if w > 1e250:
            w *= 1e-250
            s_all *= 1e-250
            s_ab *= 1e-250
            s_sl *= 1e-250
            s_miss *= 1e-250
            log_scale += 250.0 * math.log(10.0)
            stage += 1
        # Stop once the terms shrink geometrically and their whole tail is below 1e-17 of the
        # smallest sum it could still change.
        rho = r * (j + 1.0) / j
        if rho < 1.0 and w / (1.0 - rho) < 1e-17 * s_ab:
            break
        if w == 0.0 or j > _MAX_TERMS:
            break
    if last_cdf >= 0.5:
        # Past the median, 1 − cdf cancels; sum the tails P(K > j) backwards instead, from the
        # pmf beyond the last term (summed until negligible), so s_sl keeps its relative
        # precision when hardly anyone is answered in time.
        tail = 0.0
        k = j
        while p > 0.0:
            tail += p
            k += 1
            ratio = (x + k) * one_minus_z / k
            p *= ratio
            # The ratios fall with k, so p / (1 − ratio) bounds what is left. The absolute floor
            # is what makes this end: far beyond the pmf's bulk p reaches the smallest
            # subnormal, where p·ratio rounds back to p for any ratio above 1/2, and 1e-17·tail
            # underflows to 0, so the relative test alone never passes. Below the floor the
            # tail is underflow by the module's convention. k − j is capped like the main loop
            # (a 1 − z rounded to 1 would keep the ratio above 1).
            if ratio < 1.0 and p / (1.0 - ratio) < max(1e-17 * tail, _TAIL_FLOOR):
                break
            if k - j > _MAX_TERMS:
                break
        s_sl = 0.0
        for i in range(j - 1, -1, -1):
            behind = stage - keep[1, i]
            if behind < 2.0:
                s_sl += keep[0, i] * tail * (1.0 if behind == 0.0 else 1e-250)
            tail += keep[2, i]
    # States below n, in the same rescaled units: Σ_{k<n} π(k)/π(n) = 1/B − 1.
    rest = 0.0
    if b < 1.0:
        log_rest = math.log1p(-b) - math.log(b) - log_scale
        rest = math.exp(log_rest) if log_rest < 700.0 else math.inf
    total = rest + s_all
    p_wait = s_all / total
    p_ab = s_ab / total
    miss = s_miss / total
    sl = 1.0 - miss if miss < 0.5 else (rest + s_sl) / total
    if sl < _TAIL_FLOOR:
        # What is left is rounding of subnormal pmf values, not a service level (the true one
        # is far smaller, e.g. 1e-2220 with one agent for 300 erlangs): report the underflow.
        sl = 0.0
    return min(1.0, p_wait), min(1.0, p_ab), min(1.0, max(0.0, sl))


@_jit
def _a_kernel(
    a: FloatArray, n: IntArray, aht: FloatArray, patience: FloatArray, t: FloatArray,
    p_wait: FloatArray, p_ab: FloatArray, sl: FloatArray,
) -> None:  # fmt: skip
    for i in range(a.size):
        b = _erlang_b1(a[i], n[i])
        p_wait[i], p_ab[i], sl[i] = _erlang_a1(a[i], n[i], b, aht[i], patience[i], t[i])


@_jit
def _extend_b(buf: FloatArray, filled: int, n: int, a: float) -> tuple[FloatArray, int]:
    if n <= filled:
        return buf, filled
    if n >= buf.size:
        grown = np.empty(max(2 * buf.size, n + 1))
        grown[: filled + 1] = buf[: filled + 1]
        buf = grown
    b = buf[filled]
    for k in range(filled + 1, n + 1):
        ab = a * b
        b = ab / (k + ab)
        buf[k] = b
    return buf, n


@_jit
def _a_ok(
    a: float, n: int, b: float, aht: float, patience: float, t: float,
    level: float, max_ab: float, max_occ: float,
) -> bool:  # fmt: skip
    _, p_ab, sl = _erlang_a1(a, n, b, aht, patience, t)
    # Clamped as erlang_a() reports it: a carried load a hair above n is rounding, and the
    # bisection needs the test to be monotone in n.
    occ = min(1.0, a * (1.0 - p_ab) / n) if n > 0 else 1.0
    return sl >= level and p_ab <= max_ab and occ <= max_occ


@_jit
def _agents_a_kernel(
    a: FloatArray, aht: FloatArray, patience: FloatArray, t: FloatArray, level: FloatArray,
    max_ab: FloatArray, max_occ: FloatArray, out: IntArray,
) -> None:  # fmt: skip
    buf = np.empty(1024)
    for i in range(a.size):
        ai = a[i]
        if ai == 0.0:
            out[i] = 0
            continue
        h, p, ti, lv, ab, oc = aht[i], patience[i], t[i], level[i], max_ab[i], max_occ[i]
        # Necessary bounds: answered within t <= carried load < n, and abandonment >= 1 − n/a.
        lo = max(0, math.floor(level[i] * ai), math.floor(ai * (1.0 - max_ab[i])) - 1)
        buf[0] = 1.0
        filled = 0
        # Grow until the goal holds (the metrics are monotone in n), then bisect below.
        hi = max(lo, math.floor(ai) + 1)
        step = max(1, int(math.sqrt(ai)))
        while True:
            buf, filled = _extend_b(buf, filled, hi, ai)
            if _a_ok(ai, hi, buf[hi], h, p, ti, lv, ab, oc):
                break
            lo = hi + 1
            hi += step
            step *= 2
        while lo < hi:
            mid = (lo + hi) // 2
            if _a_ok(ai, mid, buf[mid], h, p, ti, lv, ab, oc):
                hi = mid
            else:
                lo = mid + 1
        out[i] = hi


# ---------------------------------------------------------------------------------------------
# Validation and broadcasting.


def _where(name: str, arr: NDArray[Any], bad: NDArray[np.bool_]) -> str:
    if arr.ndim == 0:
        return f"{name} got {arr.item()!r}"
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    at = idx[0] if len(idx) == 1 else idx
    return f"{name}[{at}] got {arr[idx].item()!r}"


def _floats(
    name: str,
    value: ArrayLike,
    *,
    low: float = 0.0,
    low_open: bool = False,
    high: float = math.inf,
    high_open: bool = True,
) -> FloatArray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":
        msg = f"{name} must be a real number (or an array of them), got {value!r}"
        raise InvalidArgument(msg)
    arr = raw.astype(np.float64)
    ok = np.isfinite(arr)
    ok &= (arr > low) if low_open else (arr >= low)
    if high < math.inf:
        ok &= (arr < high) if high_open else (arr <= high)
    if not ok.all():
        span = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        msg = f"{name} must be a finite number in {span}: {_where(name, arr, ~ok)}"
        raise InvalidArgument(msg)
    return arr


def _agents(value: ArrayLike) -> IntArray:
    raw = np.asarray(value)
    if raw.dtype.kind in "iu":
        arr = raw.astype(np.int64)
        bad = arr < 0
        if bad.any():
            raise InvalidArgument(f"agents must be >= 0: {_where('agents', arr, bad)}")
        return arr
    if raw.dtype.kind != "f":
        msg = f"agents must be a whole number (or an array of them), got {value!r}"
        raise InvalidArgument(msg)
    bad = ~np.isfinite(raw) | (raw < 0) | (raw != np.floor(raw))
    if bad.any():
        msg = f"agents must be a whole number >= 0: {_where('agents', raw, bad)}"
        raise InvalidArgument(msg)
    return raw.astype(np.int64)


def _broadcast(*arrays: NDArray[Any]) -> tuple[tuple[int, ...], list[NDArray[Any]]]:
    try:
        shaped = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InvalidArgument(f"arguments do not broadcast together: shapes {shapes}") from None
    return shaped[0].shape, [np.ascontiguousarray(x).ravel() for x in shaped]


def _scratch(size: int, count: int) -> list[FloatArray]:
    return [np.empty(size) for _ in range(count)]


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


def _shape(out: NDArray[Any], shape: tuple[int, ...]) -> Any:
    # Scalars in, Python scalar out; arrays in, an array of the broadcast shape out.
    return out.reshape(shape) if shape else out[0].item()


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


def _goals(
    traffic: ArrayLike, aht: ArrayLike, max_occupancy: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return (
        _floats("traffic", traffic),
        _floats("aht", aht, low_open=True),
        _floats("max_occupancy", max_occupancy, low_open=True, high=1.0, high_open=False),
    )


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


class ErlangAResult(NamedTuple, Generic[T]):
    """Performance of an M/M/N+M queue (Erlang A); floats or arrays of one shape."""

    p_wait: T
    """Probability that an arrival finds every agent busy."""
    p_abandon: T
    """Probability that an arrival hangs up before being answered."""
    service_level: T
    """Fraction of all arrivals answered within the target."""
    asa: T
    """Mean time in queue over all arrivals (answered or abandoned)."""
    occupancy: T
    """Carried load per agent: ``traffic × (1 − p_abandon) / agents``."""


@overload
def erlang_a(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> ErlangAResult[float]: ...
@overload
def erlang_a(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike
) -> ErlangAResult[Any]: ...
def erlang_a(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike
) -> ErlangAResult[Any]:
    """Erlang A: an M/M/N queue whose callers hang up after an exponential patience.

    Always stable (also with ``agents <= traffic``). Complexity: O(agents + queue terms) per
    element, where the queue terms number about ``9·sqrt(λ·patience)`` plus, when overloaded,
    ``(λ − N/aht)·patience``.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        agents: Number of agents (whole, >= 0).
        aht: Average handle time (> 0).
        patience: Mean patience (> 0), in the unit of ``aht``.
        target: Answer-time target (>= 0).

    Returns:
        An :class:`ErlangAResult` of floats (scalar arguments) or arrays.

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> r = erlang_a(40.0, 42, 240, 90, 20)
    >>> round(r.p_abandon, 4), round(r.service_level, 4)
    (0.0546, 0.864)
    """
    shape, (a, n, h, p, t) = _broadcast(
        _floats("traffic", traffic),
        _agents(agents),
        _floats("aht", aht, low_open=True),
        _floats("patience", patience, low_open=True),
        _floats("target", target),
    )
    p_wait, p_ab, sl = np.empty(a.size), np.empty(a.size), np.empty(a.size)
    _a_kernel(a, n, h, p, t, p_wait, p_ab, sl)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(a == 0.0, 0.0, np.where(n == 0, 1.0, a * (1.0 - p_ab) / np.maximum(n, 1)))
    return ErlangAResult(
        _shape(p_wait, shape),
        _shape(p_ab, shape),
        _shape(sl, shape),
        _shape(p * p_ab, shape),  # Little: λ·P(abandon) = θ·E[queue], so E[wait] = patience·P(ab)
        _shape(np.minimum(occ, 1.0), shape),
    )


@overload
def agents_for_erlang_a(
    traffic: float, aht: float, patience: float, target: float, level: float,
    *, max_abandon: float | None = None, max_occupancy: float = 1.0,
) -> int: ...  # fmt: skip
@overload
def agents_for_erlang_a(
    traffic: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike, level: ArrayLike,
    *, max_abandon: ArrayLike | None = None, max_occupancy: ArrayLike = 1.0,
) -> Any: ...  # fmt: skip
def agents_for_erlang_a(
    traffic: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike, level: ArrayLike,
    *, max_abandon: ArrayLike | None = None, max_occupancy: ArrayLike = 1.0,
) -> Any:  # fmt: skip
    """Smallest agent count meeting an Erlang A service level, abandonment cap and occupancy cap.

    The service level counts answers within ``target`` over all arrivals (abandoned included).
    The metrics are monotone in the agent count, so an exponential search followed by bisection
    finds the smallest count; tests check it against a scan of every count.

    Args:
        traffic: Offered traffic in erlangs (>= 0).
        aht: Average handle time (> 0).
        patience: Mean patience (> 0).
        target: Answer-time target (>= 0).
        level: Required fraction answered within ``target``, in [0, 1); 0 to staff for the
            abandonment cap alone.
        max_abandon: Optional cap on the abandonment probability, in (0, 1].
        max_occupancy: Occupancy cap in (0, 1].

    Returns:
        The agent count (``int`` for scalars, an int64 array otherwise); 0 without traffic.

    Raises:
        InvalidArgument: An argument out of range, NaN or infinite.

    >>> agents_for_erlang_a(40.0, 240, 90, 20, 0.8)
    40
    >>> agents_for_erlang_a(40.0, 240, 90, 20, 0.0, max_abandon=0.02)
    47
    """
    a, h, occ = _goals(traffic, aht, max_occupancy)
    cap = 1.0 if max_abandon is None else max_abandon
    shape, (a, h, p, t, lv, ab, occ) = _broadcast(
        a,
        h,
        _floats("patience", patience, low_open=True),
        _floats("target", target),
        _floats("level", level, high=1.0),
        _floats("max_abandon", cap, low_open=True, high=1.0, high_open=False),
        occ,
    )
    out = np.empty(a.size, dtype=np.int64)
    _agents_a_kernel(a, h, p, t, lv, ab, occ, out)
    return _shape(out, shape)


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
