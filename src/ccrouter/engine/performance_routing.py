"""What the ``performance`` strategy reads: the book's keys and the best agents' mask.

One function for the core's two directions of routing (work looking for an agent, an agent
looking for work) and for ``explain``, so the three agree. A decision reads the keys' model
(:func:`performance_model`: the selection kernel computes the keys of the eligible agents
only); ``explain`` and batch matching read every key (:func:`performance_keys`), equal bit for
bit. The estimates come from the state's
:class:`~ccrouter.engine.performance.PerformanceBook` at the state's time (the time of the
last event before the decision), a function of the log up to the decision: a replay, a
restored snapshot and ``explain`` compute the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ccrouter.config import QueueConfig
from ccrouter.engine.routing.match import Model, select_agent, select_in_share
from ccrouter.engine.routing.selectors import NO_MASK

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = [
    "in_best_share",
    "performance_keys",
    "performance_model",
    "performance_order",
    "pick_in_share",
    "top_mask",
]


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


def performance_model(state: RouterState, queue: str, settings: QueueConfig) -> Model | None:
    """What a decision passes the selection kernel for ``queue`` (``None`` when the queue does
    not route by performance): the model and parameters from which the kernel computes the
    keys of the eligible agents alone, equal bit for bit to :func:`performance_order`'s
    (:meth:`~ccrouter.engine.performance.PerformanceBook.model`)."""
    routing = settings.performance
    book = state.book
    if routing is None or book is None:
        return None
    return book.model(state, queue, routing.kpi, routing.balance, state.now)


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


def pick_in_share(
    state: RouterState,
    queue: str,
    settings: QueueConfig,
    channel: str,
    skills: Mapping[str, int],
    *,
    excluded: Sequence[int] = (),
    allowed: Sequence[int] = (),
    round_robin_last: int = 0,
    u: float = 0.0,
    selected: npt.NDArray[np.uint8] = NO_MASK,
) -> tuple[int, bool]:
    """The pick of ``queue``'s ``performance`` strategy over every eligible agent and whether
    it is in the queue's best share (:func:`in_best_share`): ``(slot, inside)``, ``inside``
    ``True`` without a pick. The keys of the eligible agents only are computed, in the
    selection kernel, from the book's model (:meth:`PerformanceBook.decision
    <ccrouter.engine.performance.PerformanceBook.decision>`).

    Read from the share's mask when the book has it cached (a run of decisions with nothing
    changed in between), else counted in the same kernel call as the pick (one pass over the
    logged-in agents' keys, computed from the model): a decision right after a completion or
    an outcome never builds the mask. Either way the same answer."""
    routing, book = settings.performance, state.book
    assert routing is not None and book is not None
    model, p, present, mask, share = book.decision(
        state, queue, routing.kpi, routing.balance, routing.top_share, state.now
    )
    if mask is not None:
        slot = select_agent(
            state.table, channel, skills, strategy=settings.strategy, excluded=excluded,
            allowed=allowed, round_robin_last=round_robin_last, u=u, backend=state.backend,
            selected=selected, model=(model, p),
        )  # fmt: skip
        return slot, slot < 0 or bool(mask[slot])
    return select_in_share(
        state.table, channel, skills, strategy=settings.strategy, model=(model, p),
        present=present, top_share=routing.top_share, excluded=excluded, allowed=allowed,
        round_robin_last=round_robin_last, u=u, backend=state.backend, selected=selected,
        share=share,
    )  # fmt: skip
