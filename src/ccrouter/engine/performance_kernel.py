"""The ``performance`` strategy's keys and best-share mask over the agent slots.

:func:`keys_reference` is the plain numpy statement; the Numba kernels the core runs are
:func:`keys_kernel` (one fused pass for the keys; the balance mean n̄ is kept by the book),
:func:`mask_kernel` (gathers the logged-in keys and selects the threshold in place) and
:func:`below_kernel` (:func:`in_share`: whether one agent is in the mask, without building it,
in one pass). They must agree with the reference bit for bit (same floating-point operations
in the same order, no fast-math), which a Hypothesis property holds
(``tests/property/test_performance_kernel.py``).

Per slot ``i``, with ``n`` the KPI's observations, ``s`` their sum and ``done`` the contacts::

    estimate = (s + k·μ) / (n + k)                  (μ when n + k = 0)
    key      = (estimate − μ) · scale  [+ (done − n̄) · balance / n̄]

``scale`` is ``−d / |μ|`` (``d`` = −1 for handle time, else 1; |μ| taken as 1 when 0) and n̄
the mean of ``done`` over the slots with contacts (taken as 1 when 0). With ``top_share`` < 1
the mask holds the logged-in slots whose key is at most the ``⌈top_share · P⌉``-th smallest
key among the ``P`` logged-in slots (ties included); logged-out slots are never in it.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import numba
import numpy as np
import numpy.typing as npt

__all__ = [
    "below_kernel",
    "compute_keys",
    "compute_mask",
    "done_mean",
    "in_share",
    "keys_kernel",
    "keys_reference",
    "mask_kernel",
]

Array: TypeAlias = Any  # numpy arrays; numba reads no annotations
Keys = tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8] | None]


def keys_reference(
    n: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    done: npt.NDArray[np.float64],
    present: npt.NDArray[np.uint8],
    *,
    mu: float,
    k: float,
    sign: float,
    balance: float,
    top_share: float,
    keys: npt.NDArray[np.float64] | None = None,
) -> Keys:
    """The keys and mask of the module doc, with numpy (the statement the kernel must equal).

    Args:
        n, s, done: per slot, the KPI's observations and sum, and the contacts completed.
        present: per slot, 1 when the agent is logged in.
        mu: the team's mean; k: the prior weight; sign: −1 for handle time, else 1.
        balance: the weight against over-use; top_share: the best share (< 1: a mask).
        keys: keys already computed (only the mask is then computed).

    Returns:
        The keys, and the mask (``None`` when ``top_share`` ≥ 1 or there are no slots).
    """
    slots = n.shape[0]
    if keys is None:
        denominator = n + k
        est = np.divide(s + k * mu, denominator, out=np.full(slots, mu), where=denominator > 0)
        keys = (est - mu) * (-sign / (abs(mu) or 1.0))
        if balance > 0:
            mean = done_mean(done)
            keys = keys + (done - mean) * (balance / (mean or 1.0))
    mask = None
    if top_share < 1.0 and slots:
        on = present.astype(bool)
        mask = np.zeros(slots, dtype=np.uint8)
        logged_in = keys[on]
        if logged_in.shape[0]:
            rank = max(1, math.ceil(top_share * logged_in.shape[0])) - 1
            threshold = np.partition(logged_in, rank)[rank]
            mask[on & (keys <= threshold)] = 1
    return keys, mask


@numba.njit(cache=True, nogil=True)
def _select(buf: Array, count: int, rank: int) -> float:
    """The ``rank``-th smallest of ``buf[:count]`` (0-based), reordering ``buf`` in place
    (Hoare partitioning around the middle element: the value does not depend on the pivots)."""
    lo, hi = 0, count - 1
    while lo < hi:
        pivot = buf[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                buf[i], buf[j] = buf[j], buf[i]
                i += 1
                j -= 1
        if rank <= j:
            hi = j
        elif rank >= i:
            lo = i
        else:
            return float(buf[rank])
    return float(buf[rank])


def done_mean(done: npt.NDArray[np.float64]) -> float:
    """n̄: the mean of ``done`` over the slots with contacts (0 when none). The counts are
    whole numbers, so the sum is exact in any order (the book keeps it incrementally)."""
    active = int(np.count_nonzero(done))
    return float(done.sum()) / active if active else 0.0


@numba.njit(cache=True, nogil=True)
def keys_kernel(n: Array, s: Array, done: Array, params: Array) -> Array:
    """:func:`keys_reference`'s keys (``params``: ``[mu, k, sign, balance, n̄]`` with n̄ from
    :func:`done_mean`, packed to keep the call cheap)."""
    mu, k, sign, balance, mean = params[0], params[1], params[2], params[3], params[4]
    slots = n.shape[0]
    bscale = balance / (mean if mean != 0 else 1.0)
    scale = -sign / (abs(mu) if mu != 0 else 1.0)
    km = k * mu
    keys = np.empty(slots)
    # The guard (d > 0) also spares the division its zero check, so the loops vectorize.
    if balance > 0:
        for i in range(slots):
            d = n[i] + k
            est = (s[i] + km) / d if d > 0 else mu
            keys[i] = (est - mu) * scale + (done[i] - mean) * bscale
    else:
        for i in range(slots):
            d = n[i] + k
            est = (s[i] + km) / d if d > 0 else mu
            keys[i] = (est - mu) * scale
    return keys


@numba.njit(cache=True, nogil=True)
def mask_kernel(keys: Array, present: Array, top_share: float) -> Array:
    """:func:`keys_reference`'s mask for ``keys``."""
    slots = keys.shape[0]
    mask = np.zeros(slots, dtype=np.uint8)
    buf = np.empty(slots)
    count = 0
    for i in range(slots):
        if present[i]:
            buf[count] = keys[i]
            count += 1
    if count == 0:
        return mask
    rank = max(1, math.ceil(top_share * count)) - 1
    threshold = _select(buf, count, rank)
    for i in range(slots):
        mask[i] = present[i] != 0 and keys[i] <= threshold
    return mask


@numba.njit(cache=True, nogil=True)
def below_kernel(keys: Array, present: Array, key: float) -> Any:
    """(logged-in slots with a key below ``key``, logged-in slots): one branch-free pass."""
    below = 0
    count = 0
    for i in range(keys.shape[0]):
        on = present[i] != 0
        count += on
        below += on and keys[i] < key
    return below, count


def in_share(
    keys: npt.NDArray[np.float64],
    present: npt.NDArray[np.uint8],
    slot: int,
    top_share: float,
    *,
    backend: str,
) -> bool:
    """Whether logged-in ``slot`` is in the mask of ``keys`` (:func:`keys_reference`) without
    building it: its key is at most the ``r``-th smallest of the ``P`` logged-in keys (``r``
    = ⌈top_share · P⌉) exactly when fewer than ``r`` of them are below it. One pass, no
    selection: what a decision needs once the strategy has picked its best agent."""
    key = float(keys[slot])
    if backend == "numba":
        below, count = below_kernel(keys, present, key)
    else:
        on = present.astype(bool)
        below, count = int(np.count_nonzero(keys[on] < key)), int(np.count_nonzero(on))
    return bool(present[slot]) and below < max(1, math.ceil(top_share * count))


def compute_keys(
    n: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    done: npt.NDArray[np.float64],
    present: npt.NDArray[np.uint8],
    *,
    mu: float,
    k: float,
    sign: float,
    balance: float,
    top_share: float,
    backend: str,
) -> Keys:
    """The keys and mask, by the kernel (``backend="numba"``) or the reference (else): the
    same either way. Arguments as :func:`keys_reference`."""
    if backend != "numba":
        return keys_reference(
            n, s, done, present, mu=mu, k=k, sign=sign, balance=balance, top_share=top_share
        )
    keys = keys_kernel(n, s, done, np.array([mu, k, sign, balance, done_mean(done)]))
    if top_share < 1.0 and n.shape[0] > 0:
        return keys, mask_kernel(keys, present, top_share)
    return keys, None


def compute_mask(
    keys: npt.NDArray[np.float64], present: npt.NDArray[np.uint8], top_share: float, backend: str
) -> npt.NDArray[np.uint8]:
    """The mask of :func:`keys_reference` for ``keys`` (``top_share`` < 1, at least a slot)."""
    if backend != "numba":
        z = np.zeros(keys.shape[0])
        mask = keys_reference(z, z, z, present, mu=0.0, k=0.0, sign=1.0, balance=0.0,
                              top_share=top_share, keys=keys)[1]  # fmt: skip
        assert mask is not None
        return mask
    return mask_kernel(keys, present, top_share)  # type: ignore[no-any-return]
