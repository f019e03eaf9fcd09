"""``QueueConfig.callback_after``: a live caller who waited that long is switched to a
callback (virtual hold; :class:`~ccrouter.events.CallbackRequested` with ``automatic``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.records import Interaction
from ccrouter.events import CallbackRequested

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "callback_event"]


def callback_event(state: RouterState, interaction: Interaction, due: float) -> CallbackRequested:
    """``callback_after`` ran out: the live caller is switched to a callback."""
    return CallbackRequested(
        seq=state.last_seq + 1, at=due, interaction_id=interaction.interaction_id, automatic=True
    )


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    if queue.callback_after is not None and not interaction.callback:
        due = max(interaction.arrived_at + queue.callback_after, at)
        if ("callback", interaction.interaction_id) not in state.timer_of:
            state._set_timer(due, seq, "callback", interaction.interaction_id)


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    armed = queue.callback_after is not None and not interaction.callback
    return armed, interaction.arrived_at + (queue.callback_after or 0.0)


POLICY = TimePolicy(
    kind="callback",
    in_use=lambda queue: queue.callback_after is not None,
    arm=_arm,
    decide=callback_event,
    expected=_expected,
    live_caller=True,
)
