"""The pure-Python reference of agent selection: plain loops, obviously correct.

The Numba kernel (:mod:`ccrouter.engine.routing._kernels`) must return exactly what this returns for
the same arrays; property tests hold it to that.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ccrouter.engine.routing.strategies import TABLE, selection_key

__all__ = ["select_agent_reference", "selection_key"]


def select_agent_reference(
    n: int,
    avail: npt.NDArray[np.uint8],
    prof: npt.NDArray[np.int16],
    req_cols: npt.NDArray[np.int64],
    req_mins: npt.NDArray[np.int16],
    excluded: npt.NDArray[np.int64],
    strategy: int,
    idle_since: npt.NDArray[np.float64],
    login_order: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    handled: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    load: npt.NDArray[np.float64],
    round_robin_last: int,
    u: float,
    allowed: npt.NDArray[np.int64] | None = None,
    selected: npt.NDArray[np.uint8] | None = None,
    order: npt.NDArray[np.float64] | None = None,
) -> int:
    """The slot of the agent to offer to, or -1 when no agent is eligible.

    Args:
        n: number of agent slots in use.
        avail: per slot, 1 when the agent is ready with free capacity on the channel.
        prof: proficiency, skill-major (``prof[skill, slot]``), -1 when missing.
        req_cols, req_mins: required skill columns and their minimum proficiency.
        excluded: slots that declined or missed this interaction; chosen only when no one
            else is eligible.
        strategy: a code from :mod:`ccrouter.engine.routing.strategies`.
        idle_since, login_order, handled, load: per-slot facts the strategies order by
            (login order and handled are whole numbers, possibly stored as float64).
        round_robin_last: login order of the agent the queue's last offer went to.
        u: a uniform number in [0, 1) for the ``random`` strategy.
        allowed: the only slots that may be chosen (targeted routing); ``None`` or empty:
            any slot.
        selected: the agent selector's mask, per slot (0: excluded); ``None`` or empty:
            no selector.
        order: the ``order_by`` key per slot (the ``order_by`` strategy reads it).
    """
    has_selector = selected is not None and len(selected) > 0
    allowed_set = {int(s) for s in allowed} if allowed is not None else set()
    eligible = []
    for slot in range(n):
        if not avail[slot]:
            continue
        if allowed_set and slot not in allowed_set:
            continue
        if has_selector and not selected[slot]:  # type: ignore[index]
            continue
        if all(prof[req_cols[k], slot] >= req_mins[k] for k in range(len(req_cols))):
            eligible.append(slot)
    excluded_set = {int(s) for s in excluded}
    preferred = [s for s in eligible if s not in excluded_set]
    pool = preferred or eligible
    if not pool:
        return -1
    if TABLE[strategy].random:
        return pool[int(u * len(pool))]

    def key(slot: int) -> tuple[float, float, int]:
        total = sum(int(prof[req_cols[k], slot]) for k in range(len(req_cols)))
        return selection_key(
            strategy,
            skill_sum=total,
            idle_since=float(idle_since[slot]),
            login_order=int(login_order[slot]),
            load=float(load[slot]),
            handled=int(handled[slot]),
            round_robin_last=round_robin_last,
            order=float(order[slot]) if order is not None and len(order) > 0 else 0.0,
        )

    return min(pool, key=key)
