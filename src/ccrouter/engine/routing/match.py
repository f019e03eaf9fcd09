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

__all__ = ["select_agent", "warmup"]

_EMPTY = np.zeros(0, dtype=np.int64)
_ENTRIES = {s.name: (s.code, KERNEL_KEYS[s.code]) for s in TABLE}
"""Per strategy name, its code (for the reference) and key row (for the kernel)."""
_kernel: list[Callable[..., Any]] = []
"""The compiled kernel, imported on first use (the ``python`` backend never imports numba)."""


def _load_kernel() -> Callable[..., Any]:
    from ccrouter.engine.routing._kernels import select_agent_kernel

    _kernel.append(select_agent_kernel)
    return select_agent_kernel


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
) -> int:
    """The slot of the best eligible agent for work on ``channel`` needing ``skills``, or -1.

    Cost: ``numba``: one pass over the agents available on the channel per required skill
    (contiguous, vectorised), then the strategy over the eligible ones; ``python``: one pass
    over every agent slot. ``allowed`` (targeted routing): the only slots that may be
    chosen; empty: any (pass ``[-1]`` for "nobody"). ``selected``: the agent selector's
    per-slot mask (``SelectorMasks.mask``; empty: none); ``order``: the ``order_by`` key per
    slot (``SelectorMasks.order``), read by the ``order_by`` strategy.
    """
    row = table.channel_cols.get(channel)
    if row is None:
        return -1
    req = table.requirement(skills)
    if req is None:  # nobody ever had one of these skills
        return -1
    excl = np.array(excluded, dtype=np.int64) if excluded else _EMPTY
    allow = np.array(allowed, dtype=np.int64) if allowed else _EMPTY
    code, key = _ENTRIES[strategy]
    if (selected.shape[0] and selected.shape[0] < table.n) or (
        TABLE[code].primary == ORDER and order.shape[0] < table.n
    ):
        msg = (
            f"select_agent: `selected` and `order` must cover the {table.n} agent slots "
            f"(`order` is required by strategy {strategy!r}), got {selected.shape[0]} and "
            f"{order.shape[0]}"
        )
        raise InvalidArgument(msg)
    if backend == "python":
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
    kernel = _kernel[0] if _kernel else _load_kernel()
    return int(
        kernel(
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
            order,
        )
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
