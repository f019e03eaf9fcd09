"""What the ``performance`` strategy reads: the book's keys and the best agents' mask.

One function for the core's two directions of routing (work looking for an agent, an agent
looking for work) and for ``explain``, so the three agree. The estimates come from the state's
:class:`~ccrouter.engine.performance.PerformanceBook` at the state's time (the time of the
last event before the decision), a function of the log up to the decision: a replay, a
restored snapshot and ``explain`` compute the same keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ccrouter.config import QueueConfig

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["in_best_share", "performance_keys", "performance_order", "top_mask"]


def performance_keys(
    state: RouterState, queue: str, settings: QueueConfig
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8] | None] | None:
    """The ``performance`` keys per agent slot for ``queue`` and its best agents' mask
    (``None`` when the queue does not route by performance)."""
    routing = settings.performance
    book = state.book
    if routing is None or book is None:
        return None
    return book.keys(state, queue, routing.kpi, routing.balance, routing.top_share, state.now)


def top_mask(
    state: RouterState, queue: str, settings: QueueConfig, step: int, *, targeted: bool = False
) -> npt.NDArray[np.uint8] | None:
    """The mask of the agents who alone may take ``queue``'s work that has reached ``step``
    widening steps: the best ``top_share`` until the first step, then ``None`` (anyone).
    Work targeted at agents (``direct_to``, preferred or last agent) is theirs to take:
    ``None``."""
    routing = settings.performance
    if routing is None or routing.top_share >= 1.0 or step > 0 or targeted:
        return None
    keys = performance_keys(state, queue, settings)
    return None if keys is None else keys[1]


def performance_order(
    state: RouterState, queue: str, settings: QueueConfig
) -> npt.NDArray[np.float64] | None:
    """The ``performance`` keys per agent slot for ``queue`` alone (no mask; ``None`` when the
    queue does not route by performance)."""
    routing = settings.performance
    book = state.book
    if routing is None or book is None:
        return None
    return book.order(state, queue, routing.kpi, routing.balance, state.now)


def in_best_share(state: RouterState, queue: str, settings: QueueConfig, slot: int) -> bool:
    """Whether the agent in ``slot`` is in :func:`top_mask` (before the first step; ``True``
    when the queue has no best share). A decision asks it of the agent the strategy picked
    over all eligible agents: since the mask holds every logged-in agent whose key is at most
    a threshold, and the strategy picks the smallest key first, the pick is in the mask
    exactly when some eligible agent is, and is then the mask's pick too."""
    routing = settings.performance
    book = state.book
    if routing is None or book is None or routing.top_share >= 1.0:
        return True
    return book.in_top(
        state, queue, routing.kpi, routing.balance, routing.top_share, state.now, slot
    )
