"""Numba kernels: the routing hot path.

Kernels are plain loops over arrays with no validation and no Python objects; the wrapper in
:mod:`ccrouter.engine.routing.match` validates, packs and picks the backend. Each kernel has a
reference in :mod:`ccrouter.engine.routing.reference` that it must agree with exactly.

Compilation is lazy (first call) and cached on disk; :func:`ccrouter.engine.routing.match.warmup`
compiles ahead of time. (Numba keys a cached kernel on its own file only: what the selection
kernel calls lives here, so that an edit to it recompiles the caller too.)

**The best share's bucket index** (the second half of this module) counts how many
logged-in keys are below a pick's without computing every key. The best share holds the
logged-in agents whose ``performance`` key is at most the ``r = ⌈top_share · P⌉``-th smallest
of the ``P`` logged-in keys; the pick is in it exactly when fewer than ``r`` logged-in keys are
below its own (``performance_kernel.in_share``). Counting them directly is one pass over every
logged-in agent's model. But an outcome changes one agent's model column and moves the team's
mean μ and mean contacts n̄ (the parameters ``p``) a little, so every other key moves by a
small, *boundable* amount.

The index files each logged-in slot in one of ``B`` equal-width buckets by its key under the
parameters ``p0`` of the last :func:`rebuild` (with its current model column): per bucket a
linked list of its slots, and the buckets' sizes (with their sums per block of :data:`BLOCK`
buckets, so that a prefix sum reads a few contiguous lines). It records ``p0`` and the largest
``|a|``, ``b`` and contacts of the slots filed. For every filed slot ``i``,
``|key_i(p) − key_i(p0)| ≤ Δ`` (:func:`_drift`: the parameters' change times those maxima,
plus the floating-point rounding of both keys, with a wide margin). So with ``K`` the pick's
key and ``bucket`` non-decreasing, :func:`share_count` counts

- every slot in a bucket below ``bucket(K − Δ)`` as below ``K`` (its ``key(p0) < K − Δ``),
  read from the sizes;
- none in a bucket above ``bucket(K + Δ)`` (its ``key(p0) > K + Δ``);
- the few in between (the *band*) by computing their keys under ``p`` — unless the sizes
  alone already settle whether fewer than ``r`` are below (the usual case: the pick's key is
  seldom near the share's threshold).

A slot whose model column or presence changes is filed again by the book when it changes
(:func:`refile`, through :class:`~ccrouter.engine.performance_share.ShareIndex`: out of its
old bucket, into its new one or none, O(1)), as the model column itself is. The answer is
exactly ``below_kernel``'s (Hypothesis properties hold it:
``tests/property/test_share_index.py``). When the bands since the last rebuild have computed
about as many keys as a rebuild does (the parameters drifted, the bands widened), the next
count rebuilds (O(slots + B)); so does one after the slots grew past the index. Keys tied near
the pick's stay in its band (every key is equal at the start of a day, before any outcome:
the band is then every slot, as many keys as a plain count).

The index is one int32 array (a decision passes the kernel one more argument; few cache
lines per count): its float64 scalars (:func:`scalars`), the buckets' sizes, the blocks'
sizes, the buckets' first slots, and per slot its bucket (-1: not filed, logged out) and its
neighbours in the bucket's list.
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

__all__ = [
    "BLOCK",
    "BUCKETS",
    "CAP",
    "COMPUTED",
    "FILED",
    "INFO",
    "REBUILD",
    "REBUILDS",
    "SETTLED",
    "buckets_for",
    "layout",
    "rebuild",
    "refile",
    "scalars",
    "select_agent_kernel",
    "select_performance_kernel",
    "share_count",
    "slot_entry",
    "views",
]

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
    ints: Array,
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
    ``top_share`` ≥ 1.

    With a bucket index (``ints`` of :class:`~ccrouter.engine.performance_share.ShareIndex`;
    empty: none), the count
    is made from it (:func:`share_count`: the keys near the pick's and the
    changed ones computed, not every key), the same count."""
    slot = _select(
        row, count, ready, ready_prof, req, excluded, allowed, ready_facts, strategy,
        round_robin_last, u, work, selected, model[0], model, params,
    )  # fmt: skip
    if slot < 0 or top_share >= 1.0:
        return slot, True
    if ints.shape[0] > 0:
        if scalars(ints)[REBUILD] != 0:
            rebuild(model, present, slots, params, ints)
        below, logged_in = share_count(model, present, params, slot, ints, top_share)
        if below >= 0:
            return slot, present[slot] != 0 and below < max(1, math.ceil(top_share * logged_in))
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


# --- the best share's bucket index ----------------------------------------------------


# The index's scalars (``info``): the parameters of the last rebuild (μ, scale, n̄,
# balance / n̄, balance), the maxima over the slots filed since (|a|, b, contacts), the
# buckets' origin and inverse width, the slots filed, whether a rebuild is due, the buckets,
# the slots the arrays cover, three counters for tests and benchmarks (keys computed by
# counts, rebuilds, counts the sizes settled), and the keys computed since the rebuild.
_MU0, _SC0, _MEAN0, _BS0, _BAL0, _AMAX, _BMAX, _DMAX, _ORIGIN, _INV = range(10)
FILED, REBUILD, BUCKETS, CAP, COMPUTED, REBUILDS, SETTLED, _SINCE = range(10, 18)
INFO = 18
_HEAD = 2 * INFO
"""int32 words holding the scalars."""

_MARGIN = 2.0**-44
"""Relative margin for the rounding of the keys and of the bound itself (≥ 2^9 ulps)."""
_TINY = 1e-300
_REPAY = 2.0
"""A rebuild is due once the counts since the last one have computed this many keys per
slot filed: about what a rebuild costs, so the bands' work stays within twice the least."""


BLOCK = 64
"""Buckets per block (the buckets are a power of two, at least one block)."""


def buckets_for(slots: int) -> int:
    """Buckets for an index over ``slots`` slots: a power of two near ``slots / 4``, 64 to
    8,192 (fewer buckets rebuild faster; more keep the band narrower)."""
    return int(min(8192, max(64, 1 << max(0, (slots // 4).bit_length()))))


def layout(slots: int) -> tuple[int, int]:
    """``(buckets, length of ints)`` for an index covering ``slots`` slots."""
    b = buckets_for(slots)
    return b, slot_entry(b) + 3 * slots


def slot_entry(buckets: int) -> int:
    """Where the slots' bucket entries start in ``ints`` (after the scalars, the buckets' and
    the blocks' sizes and the buckets' first slots)."""
    return _HEAD + 2 * buckets + buckets // BLOCK


@numba.njit(cache=True, nogil=True, inline="always")
def scalars(ints: Array) -> Array:
    """The index's float64 scalars (``info``), the head of its int32 array (a view)."""
    return ints[:_HEAD].view(np.float64)


def views(ints: Array) -> tuple[Array, ...]:
    """The parts of an index (numpy views, for tests and inspection): the buckets' sizes, the
    blocks' sizes, each bucket's first slot, and per slot its bucket (-1: none), the next and
    the previous slot in its bucket's list."""
    at = _offsets(ints[:_HEAD].view(np.float64))
    ends = (*at[1:], at[-1] + (at[-1] - at[-2]))
    return tuple(ints[a:b] for a, b in zip(at, ends, strict=True))


@numba.njit(cache=True, nogil=True, inline="always")
def _offsets(info: Array) -> Any:
    # Where the parts of ints start (see views). Offsets, not views: the helpers below then
    # take one array, and a call does not pay a reference count per view.
    buckets = int(info[BUCKETS])
    cap = int(info[CAP])
    sizes = _HEAD
    blocks = sizes + buckets
    head = blocks + buckets // BLOCK
    bucket_of = head + buckets
    return sizes, blocks, head, bucket_of, bucket_of + cap, bucket_of + 2 * cap


@numba.njit(cache=True, nogil=True, inline="always")
def _prefix(ints: Array, sizes: int, blocks: int, bucket: int) -> int:
    # The slots filed in the buckets below `bucket`: whole blocks, then the rest of its block.
    total = 0
    first = (bucket // BLOCK) * BLOCK
    for j in range(bucket // BLOCK):
        total += ints[blocks + j]
    for j in range(first, bucket):
        total += ints[sizes + j]
    return total


@numba.njit(cache=True, nogil=True)
def _drift(p: Array, info: Array) -> float:
    """Δ less the pick's own rounding: a bound on ``|key_i(p) − key_i(p0)|`` for every filed
    slot ``i``.

    In exact arithmetic ``key = a·sc − b·(μ·sc) + d·bs − n̄·bs``, so between ``p0`` and ``p``
    a key moves by at most ``|a|·|Δsc| + b·|Δ(μ·sc)| + d·|Δbs| + |Δ(n̄·bs)|``, with ``a``,
    ``b``, ``d`` within the maxima of the slots filed. The computed keys differ from the exact
    ones by a few ulps of the same terms: covered, with the rounding of this bound, by
    ``_MARGIN`` of their sum."""
    mu, sc, mean, bs, balance = p[0], p[1], p[2], p[3], p[4]
    amax, bmax, dmax = info[_AMAX], info[_BMAX], info[_DMAX]
    x, x0 = mu * sc, info[_MU0] * info[_SC0]
    moved = amax * abs(sc - info[_SC0]) + bmax * abs(x - x0)
    size = amax * (abs(sc) + abs(info[_SC0])) + bmax * (abs(x) + abs(x0))
    if balance > 0:
        y, y0 = mean * bs, info[_MEAN0] * info[_BS0]
        moved += dmax * abs(bs - info[_BS0]) + abs(y - y0)
        size += dmax * (abs(bs) + abs(info[_BS0])) + abs(y) + abs(y0)
    delta: float = moved * (1.0 + _MARGIN) + size * _MARGIN + _TINY
    return delta


@numba.njit(cache=True, nogil=True, inline="always")
def _key(
    a: float, b: float, done: float, mu: float, sc: float, mean: float, bs: float, balance: float
) -> float:
    # The key as performance_kernel.keys_kernel computes it (same operations, same order),
    # from one slot's column (scalars: an array argument would cost a reference count a call).
    key: float = (a - mu * b) * sc
    if balance > 0:
        key = key + (done - mean) * bs
    return key


@numba.njit(cache=True, nogil=True, inline="always")
def _bucket(x: float, origin: float, inv: float, buckets: int) -> int:
    # Non-decreasing in x, all the bounds need of it: for inv > 0 a subtraction, a product
    # by inv, floor and clamps are; inv = 0 (every key equal at the rebuild) splits at origin.
    if inv == 0.0:
        return 0 if x <= origin else buckets - 1
    t = (x - origin) * inv
    if not t >= 1.0:  # (below the origin, or NaN)
        return 0
    if t >= buckets:
        return buckets - 1
    return int(t)


@numba.njit(cache=True, nogil=True, inline="always")
def _link(ints: Array, at: Any, s: int, bk: int) -> None:
    # Put slot s first in bucket bk's list and count it (at: _offsets).
    sizes, blocks, head, bucket_of, nxt, prv = at
    ints[bucket_of + s] = bk
    first = ints[head + bk]
    ints[nxt + s] = first
    ints[prv + s] = -1
    if first >= 0:
        ints[prv + first] = s
    ints[head + bk] = s
    ints[sizes + bk] += 1
    ints[blocks + bk // BLOCK] += 1


@numba.njit(cache=True, nogil=True)
def refile(model: Array, present: Array, slot: int, ints: Array) -> None:
    """File ``slot`` again after its model column or presence changed: out of its bucket, then
    (logged in) into the bucket of its key under ``p0``. A slot past the index (or past the
    model or ``present``: an agent new since they grew) leaves a rebuild due; nothing is done
    while one is."""
    info = scalars(ints)
    if info[REBUILD] != 0:
        return
    if slot >= int(info[CAP]) or slot >= model.shape[1] or slot >= present.shape[0]:
        info[REBUILD] = 1.0
        return
    at = _offsets(info)
    sizes, blocks, head, bucket_of, nxt, prv = at
    bk = ints[bucket_of + slot]
    if bk >= 0:  # out of its bucket
        before, after = ints[prv + slot], ints[nxt + slot]
        if before >= 0:
            ints[nxt + before] = after
        else:
            ints[head + bk] = after
        if after >= 0:
            ints[prv + after] = before
        ints[sizes + bk] -= 1
        ints[blocks + bk // BLOCK] -= 1
        ints[bucket_of + slot] = -1
        info[FILED] -= 1
    if present[slot] != 0:  # into its new one, by its key under p0
        a, b, done = model[0, slot], model[1, slot], model[2, slot]
        k = _key(a, b, done, info[_MU0], info[_SC0], info[_MEAN0], info[_BS0], info[_BAL0])
        _link(ints, at, slot, _bucket(k, info[_ORIGIN], info[_INV], int(info[BUCKETS])))
        info[_AMAX] = max(info[_AMAX], abs(a))
        info[_BMAX] = max(info[_BMAX], abs(b))
        info[_DMAX] = max(info[_DMAX], abs(done))
        info[FILED] += 1


@numba.njit(cache=True, nogil=True)
def share_count(
    model: Array, present: Array, p: Array, slot: int, ints: Array, top_share: float
) -> Any:
    """``below_kernel(model, present, slots, p, slot)`` from the index: (logged-in slots
    whose key is below ``slot``'s, logged-in slots).
    With ``top_share`` < 1, when the buckets' sizes already settle whether the count
    is below ``⌈top_share · P⌉``, the band is not computed and the bound that settles it is
    returned instead (``in_share`` answers the same). ``(-1, -1)`` while a rebuild is due
    (the caller rebuilds or counts over every slot)."""
    info = scalars(ints)
    if info[REBUILD] != 0:
        return -1, -1
    sizes, blocks, head, _, nxt, _ = _offsets(info)
    a, b, done = model[0], model[1], model[2]
    mu, sc, mean, bs, balance = p[0], p[1], p[2], p[3], p[4]
    key = _key(a[slot], b[slot], done[slot], mu, sc, mean, bs, balance)
    delta = _drift(p, info) + abs(key) * _MARGIN
    buckets = int(info[BUCKETS])
    lo = _bucket(key - delta, info[_ORIGIN], info[_INV], buckets)
    hi = _bucket(key + delta, info[_ORIGIN], info[_INV], buckets)
    filed = int(info[FILED])
    below = _prefix(ints, sizes, blocks, lo)  # every slot in a bucket below lo: below the pick
    if top_share < 1.0:
        r = max(1, math.ceil(top_share * filed))
        if below >= r:
            info[SETTLED] += 1
            return below, filed
        at_most = below  # every slot up to hi's bucket: an upper bound
        for bk in range(lo, hi + 1):
            at_most += ints[sizes + bk]
        if at_most < r:
            info[SETTLED] += 1
            return at_most, filed
    computed = 0
    for bk in range(lo, hi + 1):  # the band, computed under p
        s = ints[head + bk]
        while s >= 0:
            below += _key(a[s], b[s], done[s], mu, sc, mean, bs, balance) < key
            computed += 1
            s = ints[nxt + s]
    info[COMPUTED] += computed
    info[_SINCE] += computed
    if info[_SINCE] > _REPAY * filed + 64 and (
        p[0] != info[_MU0] or p[1] != info[_SC0] or p[2] != info[_MEAN0] or p[3] != info[_BS0]
    ):  # (else a rebuild would change nothing: keys tied near the pick's stay in its band)
        info[REBUILD] = 1.0
    return below, filed


@numba.njit(cache=True, nogil=True)
def rebuild(model: Array, present: Array, slots: int, p: Array, ints: Array) -> None:
    """File every logged-in slot of the first ``slots`` by its key under ``p`` (= ``p0``
    from now), in buckets spanning those keys. ``ints`` is laid out for
    ``info[BUCKETS]`` buckets and ``info[CAP]`` ≥ ``slots`` slots (:func:`layout`). Keys that
    are not finite leave a rebuild due (each decision then counts over every slot)."""
    info = scalars(ints)
    at = _offsets(info)
    sizes, _, head, bucket_of, nxt, _ = at
    buckets = int(info[BUCKETS])
    info[_MU0], info[_SC0], info[_MEAN0], info[_BS0], info[_BAL0] = p[0], p[1], p[2], p[3], p[4]
    a, b, done = model[0], model[1], model[2]
    mu, sc, mean, bs, balance = p[0], p[1], p[2], p[3], p[4]
    kmin, kmax = math.inf, -math.inf
    for i in range(slots):
        if present[i] != 0:
            k = _key(a[i], b[i], done[i], mu, sc, mean, bs, balance)
            kmin = min(kmin, k)
            kmax = max(kmax, k)
    ints[sizes:head] = 0  # (the buckets' and the blocks' sizes)
    ints[head:bucket_of] = -1
    ints[bucket_of:nxt] = -1
    info[FILED] = 0.0
    info[_SINCE] = 0.0
    info[REBUILDS] += 1
    empty = kmin > kmax
    if not empty and not (math.isfinite(kmin) and math.isfinite(kmax)):
        info[REBUILD] = 1.0
        return
    span = 0.0 if empty else kmax - kmin
    info[_ORIGIN] = 0.0 if empty else kmin
    info[_INV] = buckets / span if span > 0 and math.isfinite(buckets / span) else 0.0
    origin, inv = info[_ORIGIN], info[_INV]
    amax = bmax = dmax = 0.0
    filed = 0
    for i in range(slots):  # refile's filing, the maxima kept in locals
        if present[i] != 0:
            k = _key(a[i], b[i], done[i], mu, sc, mean, bs, balance)
            _link(ints, at, i, _bucket(k, origin, inv, buckets))
            amax = max(amax, abs(a[i]))
            bmax = max(bmax, abs(b[i]))
            dmax = max(dmax, abs(done[i]))
            filed += 1
    info[_AMAX], info[_BMAX], info[_DMAX], info[FILED] = amax, bmax, dmax, filed
    info[REBUILD] = 0.0
