"""``QueueConfig.max_wait``: a live caller who waited that long leaves the queue (overflow to
``overflow_to`` or end ``exited``, reason ``max_wait``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.policies._exits import exit_now
from ccrouter.engine.records import Interaction
from ccrouter.events import InteractionExited

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "exit_event"]


def exit_event(state: RouterState, interaction: Interaction, due: float) -> InteractionExited:
    """``max_wait`` ran out: overflow or end, as the queue says."""
    return exit_now(state, interaction, due, "max_wait")


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    if queue.max_wait is not None and not interaction.callback:
        due = max(interaction.arrived_at + queue.max_wait, at)
        if ("exit", interaction.interaction_id) not in state.timer_of:
            state._set_timer(due, seq, "exit", interaction.interaction_id)


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    armed = queue.max_wait is not None and not interaction.callback
    return armed, interaction.arrived_at + (queue.max_wait or 0.0)


POLICY = TimePolicy(
    kind="exit",
    in_use=lambda queue: queue.max_wait is not None,
    arm=_arm,
    decide=exit_event,
    expected=_expected,
    live_caller=True,
)
