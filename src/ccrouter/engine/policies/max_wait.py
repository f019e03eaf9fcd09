"""``QueueConfig.max_wait``: a live caller who waited that long leaves the queue (overflow to
``overflow_to`` or end ``exited``, reason ``max_wait``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.engine.policies._base import wait_limit
from ccrouter.engine.policies._exits import exit_now
from ccrouter.engine.records import Interaction
from ccrouter.events import InteractionExited

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "exit_event"]


def exit_event(state: RouterState, interaction: Interaction, due: float) -> InteractionExited:
    """``max_wait`` ran out: overflow or end, as the queue says."""
    return exit_now(state, interaction, due, "max_wait")


POLICY = wait_limit("exit", lambda queue: queue.max_wait, exit_event)
