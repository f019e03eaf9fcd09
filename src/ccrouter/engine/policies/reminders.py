"""``QueueConfig.reminders``: reminder events at set times before a waiting interaction's
deadline. A reminder whose time passed before the work came back to the queue is passed over
(counted in ``Interaction.reminded``), not made late."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.records import Interaction, reminder_times
from ccrouter.events import InteractionReminded

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "remind_event"]


def remind_event(state: RouterState, interaction: Interaction, due: float) -> InteractionReminded:
    """The next reminder before ``interaction``'s deadline."""
    reminders = reminder_times(state.config.queue(interaction.queue).reminders)
    assert interaction.deadline is not None  # only work with a deadline has a remind timer
    return InteractionReminded(
        seq=state.last_seq + 1,
        at=due,
        interaction_id=interaction.interaction_id,
        deadline=interaction.deadline,
        before=reminders[interaction.reminded],
    )


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    deadline = interaction.deadline
    if deadline is None or interaction.overdue or not queue.reminders:
        return
    reminders = reminder_times(queue.reminders)
    while interaction.reminded < len(reminders):
        due = deadline - reminders[interaction.reminded]
        if due >= at:
            if ("remind", interaction.interaction_id) not in state.timer_of:
                state._set_timer(due, seq, "remind", interaction.interaction_id)
            break
        interaction.reminded += 1


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    deadline = interaction.deadline
    reminders = reminder_times(queue.reminders)
    if deadline is None or interaction.overdue or interaction.reminded >= len(reminders):
        return False, 0.0
    return True, deadline - reminders[interaction.reminded]


POLICY = TimePolicy(
    kind="remind",
    in_use=lambda queue: False,  # armed once a deadline is set, not on arrival
    arm=_arm,
    decide=remind_event,
    expected=_expected,
)
