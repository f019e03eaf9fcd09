"""``QueueConfig.callback_after``: a live caller who waited that long is switched to a
callback (virtual hold; :class:`~ccrouter.events.CallbackRequested` with ``automatic``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.engine.policies._base import wait_limit
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


POLICY = wait_limit("callback", lambda queue: queue.callback_after, callback_event)
