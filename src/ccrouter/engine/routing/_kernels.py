"""Numba kernels: the routing hot path.

Kernels are plain loops over arrays with no validation and no Python objects; the wrapper in
:mod:`ccrouter.engine.routing.match` validates, packs and picks the backend. Each kernel has a
reference in :mod:`ccrouter.engine.routing.reference` that it must agree with exactly.

Compilation is lazy (first call) and cached on disk; :func:`ccrouter.engine.routing.match.warmup`
compiles ahead of time.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import numba
import numpy as np

from ccrouter.engine.routing.strategies import (
    AFTER_LAST,
    HANDLED,
    IDLE_SINCE,
    LOAD,
    LOGIN_ORDER,
    ORDER,
    SKILL_SUM,
)

__all__ = ["select_agent_kernel", "select_performance_kernel"]

Array: TypeAlias = Any  # numpy arrays; numba reads no annotations

# Columns of the facts array (ccrouter.engine.agent_table.IDLE_SINCE, ...; kernels import no
# ccrouter module but the strategy table's feature columns, and a test ties them).
_IDLE_SINCE, _LOAD, _HANDLED, _LOGIN_ORDER = IDLE_SINCE, LOAD, HANDLED, LOGIN_ORDER
_FACTS = LOGIN_ORDER + 1  # feature columns below this are facts columns
_NO_PARAMS = (0.0, 0.0, 0.0, 0.0, -1.0)
"""The performance parameters of a call without a model (balance -1: none)."""


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
    # Membership in a short slot list (the excluded or the allowed ones).
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
    allowed: Array,
    ready_facts: Array,
    strategy: int,
    round_robin_last: int,
    u: float,
    work: Array,
    selected: Array,
    order: Array,
) -> int:
    """The slot ``select_agent_reference`` returns, scanning only the channel's ready set
    (the arguments of :func:`_select`, without the performance model: ``order`` stands in
    for it, as a view, so nothing is allocated and both entries share one compiled body)."""
    return _select(
        row, count, ready, ready_prof, req, excluded, allowed, ready_facts, strategy,
        round_robin_last, u, work, selected, order, order.reshape((1, order.shape[0])),
        _NO_PARAMS,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def select_performance_kernel(
    row: int,
    count: int,
    ready: Array,
    ready_prof: Array,
    req: Array,
    excluded: Array,
    allowed: Array,
    ready_facts: Array,
    strategy: int,
    round_robin_last: int,
    u: float,
    work: Array,
    selected: Array,
    model: Array,
    params: Array,
    present: Array,
    slots: int,
    top_share: float,
) -> Any:
    """:func:`select_agent_kernel` with the ``performance`` keys computed from ``model`` and
    ``params`` for the eligible slots only (see :func:`_select`); with ``top_share`` < 1,
    whether the pick is in the best share too: returns ``(slot, inside)``.

    The share (``ccrouter.engine.performance_kernel``): the logged-in slots (``present``, one
    byte per slot, of the first ``slots``) whose key is at most the ``⌈top_share · P⌉``-th
    smallest of the ``P`` logged-in keys. The pick is in it exactly when it is logged in and
    fewer than ``⌈top_share · P⌉`` logged-in keys are below its own: one pass after the pick,
    each key computed as the pick's (none stored), equal to ``performance_kernel.in_share``
    over ``below_kernel``'s count. ``inside`` is ``True`` without a pick or with
    ``top_share`` ≥ 1."""
    slot = _select(
        row, count, ready, ready_prof, req, excluded, allowed, ready_facts, strategy,
        round_robin_last, u, work, selected, model[0], model, params,
    )  # fmt: skip
    if slot < 0 or top_share >= 1.0:
        return slot, True
    mu, scale, mean, bscale = params[0], params[1], params[2], params[3]
    a, b, done = model[0], model[1], model[2]
    below = 0
    logged_in = 0
    # Branch-free, so the pass vectorises; the keys as in _select's ORDER column.
    if params[4] > 0:
        key = (a[slot] - mu * b[slot]) * scale + (done[slot] - mean) * bscale
        for i in range(slots):
            on = present[i] != 0
            logged_in += on
            below += on & ((a[i] - mu * b[i]) * scale + (done[i] - mean) * bscale < key)
    else:
        key = (a[slot] - mu * b[slot]) * scale
        for i in range(slots):
            on = present[i] != 0
            logged_in += on
            below += on & ((a[i] - mu * b[i]) * scale < key)
    return slot, present[slot] != 0 and below < max(1, math.ceil(top_share * logged_in))


@numba.njit(cache=True, nogil=True)
def _select(
    row: int,
    count: int,
    ready: Array,
    ready_prof: Array,
    req: Array,
    excluded: Array,
    allowed: Array,
    ready_facts: Array,
    strategy: int,
    round_robin_last: int,
    u: float,
    work: Array,
    selected: Array,
    order: Array,
    model: Array,
    params: Array,
) -> int:
    """The slot ``select_agent_reference`` returns, scanning only the channel's ready set.

    Args:
        row: the channel's row.
        count: how many slots are available on it: ``ready[row, :count]`` (any order).
        ready_prof: ``ready_prof[row, i // B, skill, i % B]`` is the proficiency of
            ``ready[row, i]`` (blocks of ``B = ready_prof.shape[3]`` positions).
        req: the required skill columns, then their minimums (``2 k`` int64).
        excluded: slots chosen only when no one else is eligible.
        allowed: the only slots eligible (targeted routing); empty: every slot.
        ready_facts: ``ready_facts[row, i]`` holds the facts of ``ready[row, i]``: idle since,
            load, handled, login order (float64).
        strategy: the strategy's packed key (``Strategy.kernel_key``: primary and
            secondary feature columns, negated primary, random).
        round_robin_last, u: as for the reference.
        work: int64 scratch of size >= ``(count + 7) // 8 + (slots + 7) // 8`` where
            ``slots = ready.shape[1]``.
        selected: the agent selector's mask (uint8 per slot, 0: may not take the work);
            empty: no selector.
        order: the ``order_by`` key per slot (float64), read by the ``ORDER`` feature column;
            empty when the strategy does not read it.
        model, params: the ``performance`` keys' model (``(3, ≥ slots)`` float64: rows
            ``a``, ``b``, contacts) and parameters ``[μ, scale, n̄, balance / n̄, balance]``
            (:mod:`ccrouter.engine.performance_kernel`, a tuple of floats); when its
            balance is not negative the ``ORDER`` column is the key computed from them, for
            the eligible slots only, instead of ``order``.

    The eligibility test runs one required skill at a time over the contiguous runs of each
    block into a byte mask (the loops vectorise); only eligible slots reach the strategy.
    The outcome does not depend on the order of the ready set: keys are unique (login order
    breaks every tie) and ``random`` picks by rank in slot order (a bitmap over the slots),
    as the reference's scan yields them.
    """
    k = req.shape[0] // 2
    m = excluded.shape[0]
    block = ready_prof.shape[3]
    blocks = (count + block - 1) // block
    mask_words = (count + 7) // 8
    mask = work[:mask_words].view(np.uint8)[:count]
    mask[:] = 1
    for j in range(k):
        col = req[j]
        minimum = np.int16(req[k + j])
        for b in range(blocks):
            line = ready_prof[row, b, col]
            part = mask[b * block : min(count, (b + 1) * block)]
            for i in range(part.shape[0]):
                part[i] &= np.uint8(line[i] >= minimum)
    if selected.shape[0] > 0:  # the agent selector: one byte per slot, kept up to date
        for i in range(count):
            if selected[ready[row, i]] == 0:
                mask[i] = 0
    if allowed.shape[0] > 0:  # targeted: only the allowed slots stay eligible
        for i in range(count):
            if mask[i] != 0 and not _is_excluded(allowed, ready[row, i]):
                mask[i] = 0

    if strategy & 512:  # random
        return _pick_random(row, count, ready, mask, excluded, ready.shape[1], u, work, mask_words)

    # The key (primary * sign, secondary, login order), read from the table's feature columns.
    # Facts columns are read in place (the common case: one load); derived ones computed.
    pcol = strategy & 15
    scol = (strategy >> 4) & 15
    pfact = pcol < _FACTS
    sfact = scol < _FACTS
    negate = (strategy & 256) != 0
    rr_last = round_robin_last
    # The performance key, computed per eligible slot as performance_kernel.model_keys does
    # (same operations, same order: equal bit for bit), so no decision pays for every key.
    modelled = params[4] >= 0  # (balance: -1 without a model)
    mu, scale, mean, bscale = params[0], params[1], params[2], params[3]
    balanced = params[4] > 0
    best = -1
    bp = np.inf
    bs = np.inf
    bo = np.inf
    best_x = -1
    xp = np.inf
    xs = np.inf
    xo = np.inf
    for b in range(blocks):
        base = b * block
        for lane in range(min(block, count - base)):
            i = base + lane
            if mask[i] == 0:
                continue
            # Written out, not called: a call per agent costs up to 5x in the all-free case.
            if pfact:
                p = ready_facts[row, i, pcol]
            elif pcol == SKILL_SUM:
                total = 0
                for j in range(k):
                    total += ready_prof[row, b, req[j], lane]
                p = float(total)
            elif pcol == AFTER_LAST:
                p = 1.0 if ready_facts[row, i, _LOGIN_ORDER] <= rr_last else 0.0
            elif pcol == ORDER:
                if modelled:
                    slot = ready[row, i]
                    p = (model[0, slot] - mu * model[1, slot]) * scale
                    if balanced:
                        p = p + (model[2, slot] - mean) * bscale
                else:
                    p = order[ready[row, i]]
            else:
                p = 0.0
            if negate:
                p = -p
            if m > 0 and _is_excluded(excluded, ready[row, i]):
                if best_x >= 0 and p > xp:
                    continue
                if sfact:
                    s = ready_facts[row, i, scol]
                elif scol == AFTER_LAST:
                    s = 1.0 if ready_facts[row, i, _LOGIN_ORDER] <= rr_last else 0.0
                else:  # ZERO (a secondary skill sum is refused by the table)
                    s = 0.0
                o = ready_facts[row, i, _LOGIN_ORDER]
                if best_x < 0 or _better(p, s, o, xp, xs, xo):
                    best_x, xp, xs, xo = i, p, s, o
            else:
                if best >= 0 and p > bp:
                    continue
                if sfact:
                    s = ready_facts[row, i, scol]
                elif scol == AFTER_LAST:
                    s = 1.0 if ready_facts[row, i, _LOGIN_ORDER] <= rr_last else 0.0
                else:  # ZERO (a secondary skill sum is refused by the table)
                    s = 0.0
                o = ready_facts[row, i, _LOGIN_ORDER]
                if best < 0 or _better(p, s, o, bp, bs, bo):
                    best, bp, bs, bo = i, p, s, o
    if best >= 0:
        return int(ready[row, best])
    if best_x >= 0:
        return int(ready[row, best_x])
    return -1


@numba.njit(cache=True, nogil=True)
def _pick_random(
    row: int,
    count: int,
    ready: Array,
    mask: Array,
    excluded: Array,
    slots: int,
    u: float,
    work: Array,
    offset: int,
) -> int:
    # Mark the pool in a bitmap over the slots (one byte per slot, in int64 words of `work`
    # after the mask), then find the slot of rank int(u * pool size) counting 8 at a time.
    words = work[offset : offset + (slots + 7) // 8]
    words[:] = 0
    bits = words.view(np.uint8)
    m = excluded.shape[0]
    c = 0
    c_excluded = 0
    for i in range(count):
        if mask[i] == 0:
            continue
        slot = ready[row, i]
        if m > 0 and _is_excluded(excluded, slot):
            c_excluded += 1
        else:
            bits[slot] = 1
            c += 1
    if c == 0:
        if c_excluded == 0:
            return -1
        # Nobody else: the pool is every eligible slot (all excluded).
        for i in range(count):
            if mask[i] != 0:
                bits[ready[row, i]] = 1
                c += 1
    rank = int(u * c)
    seen = 0
    for w in range(words.shape[0]):
        x = words[w]
        if x == 0:
            continue
        # Bytes are 0 or 1: their sum lands in the top byte of x * 0x0101010101010101.
        ones = ((x * 0x0101010101010101) >> 56) & 0xFF
        if seen + ones > rank:
            for j in range(8):
                if bits[8 * w + j] != 0:
                    if seen == rank:
                        return 8 * w + j
                    seen += 1
        seen += ones
    return -1  # unreachable: rank < c
