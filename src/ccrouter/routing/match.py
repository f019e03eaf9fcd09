"""The boundary between the router and the selection kernels.

:func:`select_agent` turns an interaction's requirements into column indices, then calls the
Numba kernel or the pure-Python reference over the router's matching arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from ccrouter.agent_table import AgentTable
from ccrouter.routing.reference import select_agent_reference
from ccrouter.routing.strategies import CODES

__all__ = ["select_agent", "warmup"]

_EMPTY = np.zeros(0, dtype=np.int64)


def select_agent(
    table: AgentTable,
    channel: str,
    skills: Mapping[str, int],
    *,
    strategy: str,
    excluded: Sequence[int] = (),
    round_robin_last: int = 0,
    u: float = 0.0,
    backend: str = "numba",
) -> int:
    """The slot of the best eligible agent for work on ``channel`` needing ``skills``, or -1.

    Cost: one pass over the agent slots, checking each required skill.
    """
    row = table.channel_col(channel)
    if row is None:
        return -1
    cols = []
    for skill in skills:
        col = table.skill_col(skill)
        if col is None:  # nobody ever had this skill
            return -1
        cols.append(col)
    req_cols = np.array(cols, dtype=np.int64)
    req_mins = np.array(list(skills.values()), dtype=np.int16)
    excl = np.array(excluded, dtype=np.int64) if excluded else _EMPTY
    args = (
        table.n,
        table.avail[row],
        table.prof,
        req_cols,
        req_mins,
        excl,
        CODES[strategy],
        table.idle_since,
        table.login_order,
        table.handled,
        table.load,
        round_robin_last,
        u,
    )
    if backend == "python":
        return select_agent_reference(*args)
    from ccrouter.routing._kernels import select_agent_kernel

    return int(select_agent_kernel(*args, _scratch(table.n)))


_SCRATCH: list[npt.NDArray[np.int64]] = [np.zeros(16, dtype=np.int64)]


def _scratch(n: int) -> npt.NDArray[np.int64]:
    # One reusable buffer: the kernel needs it only for the `random` strategy.
    if _SCRATCH[0].shape[0] < n:
        _SCRATCH[0] = np.zeros(2 * n, dtype=np.int64)
    return _SCRATCH[0]


def warmup() -> None:
    """Compile the kernels now instead of on the first decision (time it to see the cost)."""
    table = AgentTable()
    slot = table.add_agent()
    table.ensure_channel("voice")
    table.avail[0, slot] = 1
    for strategy in CODES:
        select_agent(table, "voice", {}, strategy=strategy, backend="numba")
