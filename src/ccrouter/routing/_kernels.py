"""Numba kernels: the routing hot path.

Kernels are plain loops over arrays with no validation and no Python objects; the wrapper in
:mod:`ccrouter.routing.match` validates, packs and picks the backend. Each kernel has a
reference in :mod:`ccrouter.routing.reference` that it must agree with exactly.

Compilation is lazy (first call) and cached on disk; :func:`ccrouter.routing.match.warmup`
compiles ahead of time.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numba
import numpy as np

from ccrouter.routing.strategies import (
    FEWEST_HANDLED,
    LEAST_OCCUPIED,
    LONGEST_IDLE,
    MOST_SKILLED,
    RANDOM,
)

__all__ = ["select_agent_kernel"]

Array: TypeAlias = Any  # numpy arrays; numba reads no annotations


@numba.njit(cache=True, nogil=True)
def _better(p: float, s: float, o: int, bp: float, bs: float, bo: int) -> bool:
    # Lexicographic (primary, secondary, login order); login orders are unique.
    if p != bp:
        return p < bp
    if s != bs:
        return s < bs
    return o < bo


@numba.njit(cache=True, nogil=True)
def select_agent_kernel(
    n: int,
    avail: Array,
    prof: Array,
    req_cols: Array,
    req_mins: Array,
    excluded: Array,
    strategy: int,
    idle_since: Array,
    login_order: Array,
    handled: Array,
    load: Array,
    round_robin_last: int,
    u: float,
    scratch: Array,
) -> int:
    """Same contract as ``select_agent_reference``; ``scratch`` is an int64 buffer of size >= n."""
    k = req_cols.shape[0]
    m = excluded.shape[0]
    best = -1
    bp = np.inf
    bs = np.inf
    bo = 0
    best_x = -1
    xp = np.inf
    xs = np.inf
    xo = 0
    count = 0
    count_x = 0
    for slot in range(n):
        if avail[slot] == 0:
            continue
        ok = True
        total = 0
        for j in range(k):
            level = prof[req_cols[j], slot]
            if level < req_mins[j]:
                ok = False
                break
            total += level
        if not ok:
            continue
        is_excluded = False
        for j in range(m):
            if excluded[j] == slot:
                is_excluded = True
                break
        if strategy == RANDOM:
            if is_excluded:
                count_x += 1
                scratch[n - count_x] = slot
            else:
                scratch[count] = slot
                count += 1
            continue
        order = login_order[slot]
        s = idle_since[slot]
        if strategy == LONGEST_IDLE:
            p = 0.0
        elif strategy == MOST_SKILLED:
            p = -float(total)
        elif strategy == LEAST_OCCUPIED:
            p = load[slot]
        elif strategy == FEWEST_HANDLED:
            p = float(handled[slot])
        else:  # ROUND_ROBIN
            p = 1.0 if order <= round_robin_last else 0.0
            s = 0.0
        if is_excluded:
            if best_x < 0 or _better(p, s, order, xp, xs, xo):
                best_x, xp, xs, xo = slot, p, s, order
        elif best < 0 or _better(p, s, order, bp, bs, bo):
            best, bp, bs, bo = slot, p, s, order
    if strategy == RANDOM:
        if count > 0:
            return int(scratch[int(u * count)])
        if count_x > 0:
            # Excluded slots were written backwards from the end: index back into slot order.
            return int(scratch[n - 1 - int(u * count_x)])
        return -1
    if best >= 0:
        return best
    return best_x
