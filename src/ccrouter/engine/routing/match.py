"""The boundary between the router and the selection kernels.

:func:`select_agent` turns an interaction's requirements into column indices, then calls the
Numba kernel or the pure-Python reference over the router's matching arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ccrouter.engine.agent_table import AgentTable
from ccrouter.engine.routing.reference import select_agent_reference
from ccrouter.engine.routing.selectors import NO_MASK, NO_ORDER
from ccrouter.engine.routing.strategies import CODES, KERNEL_KEYS, ORDER, TABLE
from ccrouter.errors import InvalidArgument

__all__ = ["Model", "Share", "select_agent", "select_in_share", "warmup"]

_EMPTY = np.zeros(0, dtype=np.int64)
_ENTRIES = {s.name: (s.code, KERNEL_KEYS[s.code]) for s in TABLE}
"""Per strategy name, its code (for the reference) and key row (for the kernel)."""
_kernel: list[Callable[..., Any]] = []
"""The compiled kernels (plain, performance), imported on first use (the ``python`` backend
never imports numba)."""
_NO_PRESENT = np.zeros(0, dtype=np.uint8)
_NO_SHARE = np.zeros(0, dtype=np.int32)
Model = tuple[npt.NDArray[np.float64], tuple[float, float, float, float, float]]
"""The ``performance`` keys' model and parameters (:mod:`ccrouter.engine.performance_kernel`)."""
Share = npt.NDArray[np.int32]
"""A best share's bucket index (:class:`~ccrouter.engine.performance_share.ShareIndex`)."""


def _load_kernel(which: int = 0) -> Callable[..., Any]:
    from ccrouter.engine.routing._kernels import select_agent_kernel, select_performance_kernel

    _kernel[:] = [select_agent_kernel, select_performance_kernel]
    return _kernel[which]


def select_agent(
    table: AgentTable,
    channel: str,
    skills: Mapping[str, int],
    *,
    strategy: str,
    excluded: Sequence[int] = (),
    allowed: Sequence[int] = (),
    round_robin_last: int = 0,
    u: float = 0.0,
    backend: str = "numba",
    selected: npt.NDArray[np.uint8] = NO_MASK,
    order: npt.NDArray[np.float64] = NO_ORDER,
    model: Model | None = None,
) -> int:
    """The slot of the best eligible agent for work on ``channel`` needing ``skills``, or -1.

    Cost: ``numba``: one pass over the agents available on the channel per required skill
    (contiguous, vectorised), then the strategy over the eligible ones; ``python``: one pass
    over every agent slot. ``allowed`` (targeted routing): the only slots that may be
    chosen; empty: any (pass ``[-1]`` for "nobody"). ``selected``: the agent selector's
    per-slot mask (``SelectorMasks.mask``; empty: none); ``order``: the ``order_by`` key per
    slot (``SelectorMasks.order``), read by the ``order_by`` strategy. ``model``: instead of
    ``order``, the ``performance`` keys' model and parameters
    (:meth:`~ccrouter.engine.performance.PerformanceBook.model`): the kernel then computes the
    key of each eligible agent only; the reference reads every key
    (:func:`~ccrouter.engine.performance_kernel.model_keys`), equal bit for bit.
    """
    if model is not None and backend == "python":
        return select_in_share(
            table, channel, skills, strategy=strategy, model=model, present=_NO_PRESENT,
            top_share=1.0, excluded=excluded, allowed=allowed, round_robin_last=round_robin_last,
            u=u, backend=backend, selected=selected,
        )[0]  # fmt: skip
    row = table.channel_cols.get(channel)
    if row is None:
        return -1
    req = table.requirement(skills)
    if req is None:  # nobody ever had one of these skills
        return -1
    excl = np.array(excluded, dtype=np.int64) if excluded else _EMPTY
    allow = np.array(allowed, dtype=np.int64) if allowed else _EMPTY
    code, key = _ENTRIES[strategy]
    covered = order.shape[0] if model is None else model[0].shape[1]
    if (selected.shape[0] and selected.shape[0] < table.n) or (
        (TABLE[code].primary == ORDER or model is not None) and covered < table.n
    ):
        msg = (
            f"select_agent: `selected` and `order` (or `model`) must cover the {table.n} agent "
            f"slots (`order` is required by strategy {strategy!r}), got {selected.shape[0]} "
            f"and {covered}"
        )
        raise InvalidArgument(msg)
    if backend == "python":
        return _reference(table, row, req, excl, allow, code, round_robin_last, u, selected, order)
    args = (row, table.ready_count[row], table.ready, table.ready_prof, req, excl, allow,
            table.ready_facts, key, round_robin_last, u, table.work, selected)  # fmt: skip
    if model is not None:  # the eligible agents' keys computed from the model, no share
        kernel = _kernel[1] if _kernel else _load_kernel(1)
        return int(kernel(*args, model[0], model[1], _NO_PRESENT, 0, 1.0, _NO_SHARE)[0])
    kernel = _kernel[0] if _kernel else _load_kernel()
    return int(kernel(*args, order))


def select_in_share(
    table: AgentTable,
    channel: str,
    skills: Mapping[str, int],
    *,
    strategy: str,
    model: Model,
    present: npt.NDArray[np.uint8],
    top_share: float,
    excluded: Sequence[int] = (),
    allowed: Sequence[int] = (),
    round_robin_last: int = 0,
    u: float = 0.0,
    backend: str = "numba",
    selected: npt.NDArray[np.uint8] = NO_MASK,
    share: Share | None = None,
) -> tuple[int, bool]:
    """:func:`select_agent` by the ``performance`` ``model``, and whether the pick is in the
    best ``top_share`` of the logged-in agents (``present``: one byte per slot, at least
    ``table.n``), decided in the same call: ``(slot, inside)`` (``inside`` is ``True`` without
    a pick). The pick is in the share exactly when it is logged in and fewer than
    ``⌈top_share · P⌉`` of the ``P`` logged-in agents have a key below its own
    (:func:`~ccrouter.engine.performance_kernel.in_share`): one pass over the slots after the
    pick, each key computed from the model (none stored); or, with a bucket index ``share``
    (numba backend; :meth:`ShareIndex.arrays
    <ccrouter.engine.performance_share.ShareIndex.arrays>` for at least ``table.n`` slots and
    this ``model``, not checked here: the hot path), counted from it (the keys near the pick's
    computed, not every key), the same count."""
    row = table.channel_cols.get(channel)
    if row is None:
        return -1, True
    req = table.requirement(skills)
    if req is None:  # nobody ever had one of these skills
        return -1, True
    excl = np.array(excluded, dtype=np.int64) if excluded else _EMPTY
    allow = np.array(allowed, dtype=np.int64) if allowed else _EMPTY
    code, key = _ENTRIES[strategy]
    n = table.n
    covered = min(model[0].shape[1], present.shape[0] if top_share < 1.0 else n)
    if (selected.shape[0] and selected.shape[0] < n) or covered < n:
        msg = (
            f"select_in_share: `selected`, `model` and `present` must cover the {n} agent "
            f"slots, got {selected.shape[0]}, {model[0].shape[1]} and {present.shape[0]}"
        )
        raise InvalidArgument(msg)
    if backend == "python":
        from ccrouter.engine.performance_kernel import in_share, model_keys

        keys = model_keys(model[0], n, model[1])
        slot = _reference(table, row, req, excl, allow, code, round_robin_last, u, selected, keys)
        if slot < 0 or top_share >= 1.0:
            return slot, True
        on = present[:n].astype(bool)
        below = int(np.count_nonzero(keys[on] < keys[slot]))
        return slot, in_share(below, int(np.count_nonzero(on)), bool(present[slot]), top_share)
    kernel = _kernel[1] if _kernel else _load_kernel(1)
    slot, inside = kernel(
        row,
        table.ready_count[row],
        table.ready,
        table.ready_prof,
        req,
        excl,
        allow,
        table.ready_facts,
        key,
        round_robin_last,
        u,
        table.work,
        selected,
        model[0],
        model[1],
        present,
        n,
        top_share,
        _NO_SHARE if share is None else share,
    )
    return slot, inside


def _reference(
    table: AgentTable,
    row: int,
    req: npt.NDArray[np.int64],
    excl: npt.NDArray[np.int64],
    allow: npt.NDArray[np.int64],
    code: int,
    round_robin_last: int,
    u: float,
    selected: npt.NDArray[np.uint8],
    order: npt.NDArray[np.float64],
) -> int:
    """The pure-Python reference over the table's arrays (the ``python`` backend)."""
    k = req.shape[0] // 2
    return select_agent_reference(
        table.n,
        table.avail[row],
        table.prof,
        req[:k],
        req[k:].astype(np.int16),
        excl,
        code,
        table.idle_since,
        table.login_order,
        table.handled,
        table.load,
        round_robin_last,
        u,
        allow,
        selected,
        order,
    )


def warmup() -> None:
    """Compile the kernels now instead of on the first decision (time it to see the cost)."""
    table = AgentTable()
    slot = table.add_agent()
    table.set_skills(slot, {"x": 1})
    table.set_available(table.ensure_channel("voice"), slot, True)
    mask = np.ones(slot + 1, dtype=np.uint8)
    keys = np.zeros(slot + 1, dtype=np.float64)
    for strategy in CODES:
        select_agent(
            table, "voice", {"x": 1}, strategy=strategy, excluded=[slot], allowed=[slot], order=keys
        )
        select_agent(table, "voice", {"x": 1}, strategy=strategy, selected=mask, order=keys)
        model = (np.zeros((3, slot + 1)), (1.0, -1.0, 1.0, 0.3, 0.3))
        select_in_share(table, "voice", {"x": 1}, strategy=strategy, model=model, present=mask,
                        top_share=0.5)  # fmt: skip
