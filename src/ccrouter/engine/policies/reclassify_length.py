"""``QueueConfig.reclassify_over``: an exception trigger on queue length. Work that arrives
at the queue (submitted, overflowing, transferred) or comes back to it (a declined or missed
offer) while more than that many wait there, itself included, is classified again, once
(:mod:`ccrouter.engine.policies._reclassify`, docs/rules.md).

Its timer is due at once: it fires within the command that armed it, after that command's
routing (work an agent takes at once is never re-classified), so between commands no such
timer is pending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.policies._reclassify import active, fired, reclassify_events
from ccrouter.engine.records import Interaction
from ccrouter.events import Event

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "queue_length_events"]

KIND = "queue_length"


def queue_length_events(state: RouterState, interaction: Interaction, due: float) -> list[Event]:
    """The queue-length trigger fired: classify the work again."""
    return reclassify_events(state, interaction, due, KIND)


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    over = queue.reclassify_over
    if over is None or not active(state) or fired(interaction, KIND):
        return
    iid = interaction.interaction_id
    if (KIND, iid) not in state.timer_of and state.queue(interaction.queue).waiting > over:
        state._set_timer(at, seq, KIND, iid)


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    # Due when armed: fired before the command that armed it returns.
    return False, interaction.arrived_at


POLICY = TimePolicy(
    kind=KIND,
    in_use=lambda queue: queue.reclassify_over is not None,
    arm=_arm,
    decide=queue_length_events,
    expected=_expected,
)
