"""``QueueConfig.reclassify_after``: an exception trigger on wait time. Work that has waited
that many seconds (since its arrival, as ``max_wait``) in the queue is classified again, once
(:mod:`ccrouter.engine.policies._reclassify`, docs/rules.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.policies._reclassify import active, fired, reclassify_events
from ccrouter.engine.records import Interaction
from ccrouter.events import Event

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "wait_time_events"]

KIND = "wait_time"


def wait_time_events(state: RouterState, interaction: Interaction, due: float) -> list[Event]:
    """The wait-time trigger fired: classify the work again."""
    return reclassify_events(state, interaction, due, KIND)


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    after = queue.reclassify_after
    if after is None or not active(state) or fired(interaction, KIND):
        return
    if (KIND, interaction.interaction_id) not in state.timer_of:
        state._set_timer(
            max(interaction.arrived_at + after, at), seq, KIND, interaction.interaction_id
        )


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    after = queue.reclassify_after
    armed = after is not None and active(state) and not fired(interaction, KIND)
    return armed, interaction.arrived_at + (after or 0.0)


POLICY = TimePolicy(
    kind=KIND,
    in_use=lambda queue: queue.reclassify_after is not None,
    arm=_arm,
    decide=wait_time_events,
    expected=_expected,
)
