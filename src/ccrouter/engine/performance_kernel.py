"""The ``performance`` strategy's keys and best-share mask over the agent slots.

The keys are read from a per-slot *model* (:data:`A`, :data:`B`, :data:`DONE` rows of a
``(3, slots)`` array) and five parameters (:func:`params`), so that a decision never needs
every key: the selection kernel (:mod:`ccrouter.engine.routing._kernels`) computes the key of
each *eligible* agent as it scans them, and the best share's membership test
(:func:`below_kernel`) computes each logged-in agent's key in one pass without storing it.
An outcome or completion changes one agent's model column (O(1), kept by the book) and the
parameters (the team's mean μ, the mean contacts n̄); nothing is recomputed over the agents
until a decision reads them.

:func:`keys_reference` is the plain numpy statement; the Numba kernels are :func:`keys_kernel`
(every key, for ``explain``, batch matching and the cached mask), :func:`mask_kernel` (gathers
the logged-in keys and selects the threshold in place) and :func:`below_kernel` (whether one
agent is in the mask, in one pass). They and the selection kernel's inline key must agree with
the reference bit for bit (same floating-point operations in the same order, no fast-math),
which Hypothesis properties hold (``tests/property/test_performance_kernel.py``,
``tests/property/test_kernel_reference.py``).

Per slot ``i``, with ``n`` the KPI's observations, ``s`` their sum, ``done`` the contacts and
``k`` the prior weight, the model is ``a = s / (n + k)``, ``b = n / (n + k)`` (both 0 when
``n + k`` = 0) and ``done``; then::

    estimate − μ = (s + k·μ) / (n + k) − μ = a − μ·b
    key          = (a − μ·b) · scale  [+ (done − n̄) · balance / n̄]

``scale`` is ``−d / |μ|`` (``d`` = −1 for handle time, else 1; |μ| taken as 1 when 0) and n̄
the mean of ``done`` over the slots with contacts (taken as 1 when 0). Written so, no key needs
a division: ``a`` and ``b`` depend on the agent's own counters alone. With ``top_share`` < 1
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
    "DONE",
    "A",
    "B",
    "Params",
    "below_kernel",
    "compute_keys",
    "compute_mask",
    "count_below",
    "done_mean",
    "in_share",
    "keys_kernel",
    "keys_reference",
    "mask_kernel",
    "model_column",
    "model_keys",
    "model_reference",
    "params",
]

Array: TypeAlias = Any  # numpy arrays; numba reads no annotations
Keys = tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8] | None]
Params = tuple[float, float, float, float, float]
"""(μ, scale, n̄, balance / n̄, balance): see :func:`params`."""
A, B, DONE = 0, 1, 2
"""Rows of the model: ``s / (n + k)``, ``n / (n + k)``, contacts."""


def model_column(n: float, s: float, done: float, k: float) -> tuple[float, float, float]:
    """One slot's model column from its KPI observations ``n``, their sum ``s``, its contacts
    ``done`` and the prior weight ``k`` (what the book stores when the agent's counters
    change; equal bit for bit to :func:`model_reference`'s column)."""
    d = n + k
    return (s / d, n / d, done) if d > 0 else (0.0, 0.0, done)


def model_reference(
    n: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    done: npt.NDArray[np.float64],
    k: float,
) -> npt.NDArray[np.float64]:
    """The ``(3, slots)`` model of per-slot observations, sums and contacts (numpy)."""
    slots = n.shape[0]
    model = np.zeros((3, slots))
    d = n + k
    np.divide(s, d, out=model[A], where=d > 0)
    np.divide(n, d, out=model[B], where=d > 0)
    model[DONE] = done
    return model


def params(mu: float, sign: float, balance: float, mean: float) -> Params:
    """The parameters the kernels read: ``(μ, scale, n̄, balance / n̄, balance)`` (``sign``:
    −1 for handle time, else 1; ``mean``: n̄, 0 when no slot has contacts). A tuple of floats:
    a kernel takes it at less cost than an array made for the call."""
    mu, balance, mean = float(mu), float(balance), float(mean)
    return (mu, -sign / (abs(mu) or 1.0), mean, balance / (mean or 1.0), balance)


def model_keys(model: npt.NDArray[np.float64], slots: int, p: Params) -> npt.NDArray[np.float64]:
    """The keys of the first ``slots`` slots of ``model`` under parameters ``p`` (numpy: the
    statement :func:`keys_kernel` and the selection kernel's inline key must equal)."""
    mu, scale, mean, bscale, balance = p
    keys = (model[A, :slots] - mu * model[B, :slots]) * scale
    if balance > 0:
        keys = keys + (model[DONE, :slots] - mean) * bscale
    return keys


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
    """The keys and mask of the module doc, with numpy (the statement the kernels must equal).

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
        model = model_reference(n, s, done, k)
        keys = model_keys(model, slots, params(mu, sign, balance, done_mean(done)))
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
def keys_kernel(model: Array, slots: int, p: Array) -> Array:
    """:func:`model_keys`: the keys of the first ``slots`` slots (one pass, no division)."""
    mu, scale, mean, bscale, balance = p[0], p[1], p[2], p[3], p[4]
    keys = np.empty(slots)
    a, b, done = model[0], model[1], model[2]
    if balance > 0:
        for i in range(slots):
            keys[i] = (a[i] - mu * b[i]) * scale + (done[i] - mean) * bscale
    else:
        for i in range(slots):
            keys[i] = (a[i] - mu * b[i]) * scale
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
def below_kernel(model: Array, present: Array, slots: int, p: Array, slot: int) -> Any:
    """(logged-in slots whose key is below ``slot``'s, logged-in slots) among the first
    ``slots``: each key computed as :func:`keys_kernel` computes it, none stored (branch-free,
    so the pass vectorises; the selection kernel's fused count is the same loop)."""
    mu, scale, mean, bscale, balance = p[0], p[1], p[2], p[3], p[4]
    a, b, done = model[0], model[1], model[2]
    below = 0
    count = 0
    if balance > 0:
        key = (a[slot] - mu * b[slot]) * scale + (done[slot] - mean) * bscale
        for i in range(slots):
            on = present[i] != 0
            count += on
            below += on & ((a[i] - mu * b[i]) * scale + (done[i] - mean) * bscale < key)
    else:
        key = (a[slot] - mu * b[slot]) * scale
        for i in range(slots):
            on = present[i] != 0
            count += on
            below += on & ((a[i] - mu * b[i]) * scale < key)
    return below, count


def count_below(
    model: npt.NDArray[np.float64],
    present: npt.NDArray[np.uint8],
    slots: int,
    p: Params,
    slot: int,
    *,
    backend: str,
) -> tuple[int, int]:
    """:func:`below_kernel` (``backend="numba"``) or the same counted over
    :func:`model_keys` (else)."""
    if backend == "numba":
        below, count = below_kernel(model, present, slots, p, slot)
        return int(below), int(count)
    keys = model_keys(model, slots, p)
    on = present[:slots].astype(bool)  # (present may be wider than the slots)
    return int(np.count_nonzero(keys[on] < keys[slot])), int(np.count_nonzero(on))


def in_share(below: int, count: int, present: bool, top_share: float) -> bool:
    """Whether a slot is in the mask of :func:`keys_reference` without building it: logged
    in (``present``) and its key at most the ``r``-th smallest of the ``count`` logged-in keys
    (``r`` = ⌈top_share · count⌉), which holds exactly when fewer than ``r`` of them are below
    it (``below``). What a decision needs once the strategy has picked its best agent."""
    return present and below < max(1, math.ceil(top_share * count))


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
    """The keys and mask, by the kernels (``backend="numba"``) or the reference (else): the
    same either way. Arguments as :func:`keys_reference`."""
    if backend != "numba":
        return keys_reference(
            n, s, done, present, mu=mu, k=k, sign=sign, balance=balance, top_share=top_share
        )
    slots = n.shape[0]
    model = model_reference(n, s, done, k)
    keys = keys_kernel(model, slots, params(mu, sign, balance, done_mean(done)))
    if top_share < 1.0 and slots > 0:
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
