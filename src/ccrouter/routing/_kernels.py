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

# Rows of the facts array (ccrouter.agent_table.IDLE_SINCE, ...; kernels import no ccrouter
# module but the strategy codes, so they are repeated here and a test ties them).
_IDLE_SINCE, _LOAD, _HANDLED, _LOGIN_ORDER = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def _better(p: float, s: float, o: float, bp: float, bs: float, bo: float) -> bool:
    # Lexicographic (primary, secondary, login order); login orders are unique.
    if p != bp:
        return p < bp
    if s != bs:
        return s < bs
    return o < bo


@numba.njit(cache=True, nogil=True)
def _is_excluded(excluded: Array, slot: int) -> bool:
    # A plain loop, not any(<generator>): numba compiles loops best.
    for j in range(excluded.shape[0]):  # noqa: SIM110 (see above)
        if excluded[j] == slot:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def select_agent_kernel(
    row: int,
    count: int,
    ready: Array,
    ready_prof: Array,
    req: Array,
    excluded: Array,
    facts: Array,
    strategy: int,
    round_robin_last: int,
    u: float,
    work: Array,
) -> int:
    """The slot ``select_agent_reference`` returns, scanning only the channel's ready set.

    Args:
        row: the channel's row.
        count: how many slots are available on it: ``ready[row, :count]`` (any order).
        ready_prof: ``ready_prof[row, i // B, skill, i % B]`` is the proficiency of
            ``ready[row, i]`` (blocks of ``B = ready_prof.shape[3]`` positions).
        req: the required skill columns, then their minimums (``2 k`` int64).
        excluded: slots chosen only when no one else is eligible.
        facts: per slot, rows idle since, load, handled, login order (float64).
        strategy, round_robin_last, u: as for the reference.
        work: int64 scratch of size >= ``count + count // 8 + 1``.

    The eligibility test runs one required skill at a time over contiguous runs of a block
    into a byte mask (the loops vectorise); only eligible slots reach the strategy's comparison. The
    outcome does not depend on the order of the ready set: keys are unique (login order
    breaks every tie) and ``random`` picks by rank in slot order, as the reference's scan
    yields them.
    """
    k = req.shape[0] // 2
    block = ready_prof.shape[3]
    mask = work.view(np.uint8)[:count]
    mask[:] = 1
    for j in range(k):
        col = req[j]
        minimum = np.int16(req[k + j])
        for b in range((count + block - 1) // block):
            line = ready_prof[row, b, col]
            part = mask[b * block : min(count, (b + 1) * block)]
            for i in range(part.shape[0]):
                part[i] &= np.uint8(line[i] >= minimum)

    if strategy == RANDOM:
        pool = work[(count + 7) // 8 :]  # after the mask's bytes
        c = 0
        c_excluded = 0
        for i in range(count):
            if mask[i] == 0:
                continue
            slot = ready[row, i]
            if excluded.shape[0] > 0 and _is_excluded(excluded, slot):
                c_excluded += 1
                continue
            pool[c] = slot
            c += 1
        if c == 0:
            if c_excluded == 0:
                return -1
            # Nobody else: the pool is every eligible slot (all excluded).
            for i in range(count):
                if mask[i] != 0:
                    pool[c] = ready[row, i]
                    c += 1
        rank = int(u * c)
        return int(np.partition(pool[:c], rank)[rank])

    if excluded.shape[0] == 0 and strategy in (LONGEST_IDLE, LEAST_OCCUPIED, FEWEST_HANDLED):
        # Fast path. For longest idle the key (0, idle, order) orders as (idle, idle, order).
        if strategy == LEAST_OCCUPIED:
            primary = _LOAD
        elif strategy == FEWEST_HANDLED:
            primary = _HANDLED
        else:
            primary = _IDLE_SINCE
        best = -1
        bp = np.inf
        bs = np.inf
        bo = np.inf
        for i in range(count):
            if mask[i] == 0:
                continue
            slot = ready[row, i]
            p = facts[primary, slot]
            if p > bp:
                continue
            s = facts[_IDLE_SINCE, slot]
            o = facts[_LOGIN_ORDER, slot]
            if best < 0 or _better(p, s, o, bp, bs, bo):
                best, bp, bs, bo = slot, p, s, o
        return int(best)

    best = -1
    bp = np.inf
    bs = np.inf
    bo = np.inf
    best_x = -1
    xp = np.inf
    xs = np.inf
    xo = np.inf
    for i in range(count):
        if mask[i] == 0:
            continue
        slot = ready[row, i]
        order = facts[_LOGIN_ORDER, slot]
        s = facts[_IDLE_SINCE, slot]
        if strategy == LONGEST_IDLE:
            p = 0.0
        elif strategy == MOST_SKILLED:
            total = 0
            for j in range(k):
                total += ready_prof[row, i // block, req[j], i % block]
            p = -float(total)
        elif strategy == LEAST_OCCUPIED:
            p = facts[_LOAD, slot]
        elif strategy == FEWEST_HANDLED:
            p = facts[_HANDLED, slot]
        else:  # ROUND_ROBIN
            p = 1.0 if order <= round_robin_last else 0.0
            s = 0.0
        if excluded.shape[0] > 0 and _is_excluded(excluded, slot):
            if best_x < 0 or _better(p, s, order, xp, xs, xo):
                best_x, xp, xs, xo = slot, p, s, order
        elif best < 0 or _better(p, s, order, bp, bs, bo):
            best, bp, bs, bo = slot, p, s, order
    if best >= 0:
        return int(best)
    return int(best_x)
