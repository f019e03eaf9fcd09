"""What every exit rule shares: the exit event, where the work overflows, whether a queue is
full (``max_size``, checked when work is submitted, not by a timer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.engine.records import Interaction
from ccrouter.events import InteractionExited

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["exit_now", "is_full", "size_exit"]


def exit_now(
    state: RouterState, interaction: Interaction, at: float, reason: str
) -> InteractionExited:
    """The exit of a waiting interaction by the rule ``reason``: overflow to its queue's
    ``overflow_to`` (if that queue has room) or end ``exited``."""
    queue = state.config.queue(interaction.queue)
    return InteractionExited(
        seq=state.last_seq + 1,
        at=at,
        interaction_id=interaction.interaction_id,
        reason=reason,
        overflow_to=_overflow_target(state, interaction.queue, interaction.queue),
        keep_age=queue.keep_age,
    )


def size_exit(
    state: RouterState, queue_name: str, iid: str, at: float, seq: int
) -> InteractionExited | None:
    """The exit of a new arrival at a queue already holding ``max_size`` waiting ones."""
    queue = state.config.queue(queue_name)
    if not is_full(state, queue_name):
        return None
    return InteractionExited(
        seq=seq,
        at=at,
        interaction_id=iid,
        reason="max_size",
        overflow_to=_overflow_target(state, queue_name, None),
        keep_age=queue.keep_age,
    )


def is_full(state: RouterState, queue_name: str, leaving: str | None = None) -> bool:
    """Whether ``queue_name`` already holds its ``max_size`` waiting interactions (not
    counting one about to leave ``leaving``, the queue it waits in)."""
    cap = state.config.queue(queue_name).max_size
    if cap is None:
        return False
    return state.queue(queue_name).waiting - (queue_name == leaving) >= cap


def _overflow_target(state: RouterState, queue_name: str, leaving: str | None) -> str | None:
    """Where work leaving ``queue_name`` overflows: its ``overflow_to``, unless that queue is
    full (then nowhere: the work ends ``exited``). Full queues are not skipped along the
    chain: a skip would add a move the config never named, and could close a loop of
    age-keeping queues that config validation refuses. ``leaving``: the queue the work waits
    in now, if it does (it does not count against that queue's room)."""
    target = state.config.queue(queue_name).overflow_to
    if target is None or is_full(state, target, leaving):
        return None
    return target
