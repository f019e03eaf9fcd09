"""Erlang A (M/M/N+M): waiting, abandonment and service level when callers hang up, and the
agent count a goal requires.

:mod:`ccrouter.staffing.erlang` re-exports every public name here and is the place to import
them from; its conventions (scalars or broadcast arrays, units, values at the edges) hold here
too. Erlang A is stable for any agent count, ``agents <= traffic`` included.

The model: calls arrive at rate λ, each of N agents serves at rate μ = 1/aht, and a waiting
caller hangs up after an exponential patience of rate θ = 1/patience. Relative to state N, the
states below N weigh ``1/B − 1`` (B = Erlang B) and the states N + j weigh
``w_j = Π_{i=1..j} y/(x + i)``, with ``x = N·μ/θ`` and ``y = λ/θ``. With ``S = Σ w_j`` and
``Z = 1/B − 1 + S``: ``P(wait) = S/Z``, ``P(abandon) = Σ w_j·(j + 1)/(x + j + 1) / Z`` and, by
Little's law, ``ASA = patience·P(abandon)``. The service level uses the exact law of the wait in
queue: for a caller who finds j others waiting, ``exp(-θ·wait)`` has a Beta(x, j + 1) law, so it
is answered within t with probability ``x/(x + j + 1)·P(K > j)``,
``K ~ NegativeBinomial(x + 1, e^(−θ·t))``.

Numerics: the chain is summed with running products, rescaled by 1e250 whenever they grow (an
overloaded chain reaches e^100000) so that nothing overflows, and stopped once the remaining
tail is below 1e-17 of the smallest sum it could change; past the median the negative-binomial
tails are summed backwards, so a tiny service level keeps its relative precision. The
incomplete-gamma closed forms would lose digits to cancellation for large N. The metrics are
monotone in N, so the required count is found by an exponential search and a bisection. The
derivation and the accuracy measured against references are in docs/staffing.md.

>>> r = erlang_a(40.0, 42, 240, 90, 20)
>>> round(r.p_abandon, 4), round(r.service_level, 4)
(0.0546, 0.864)
"""

from __future__ import annotations

import math
from typing import Any, Generic, NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike

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
    _shape,
)

__all__ = ["ErlangAResult", "agents_for_erlang_a", "erlang_a"]


# ---------------------------------------------------------------------------------------------
# Kernels: plain loops over flat arrays, no validation (the wrappers below validate).


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
    if n == 0:
        # Nobody to answer: everyone waits and abandons. Exact here, where the sums below
        # would give 1 - 1e-16 (w·(j+1)/(j+1) need not round back to w).
        return 1.0, 1.0, 0.0
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
# Public API (re-exported by ccrouter.staffing.erlang).


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
