"""Deadlines: when a waiting interaction's deadline passes it is escalated once
(``QueueConfig.overdue_priority`` points added, and/or moved to ``overdue_queue``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.records import Interaction
from ccrouter.events import InteractionOverdue

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "overdue_event"]


def overdue_event(state: RouterState, interaction: Interaction, due: float) -> InteractionOverdue:
    """The escalation of work whose deadline passed: priority boost and/or another queue."""
    queue = state.config.queue(interaction.queue)
    assert interaction.deadline is not None
    return InteractionOverdue(
        seq=state.last_seq + 1,
        at=due,
        interaction_id=interaction.interaction_id,
        deadline=interaction.deadline,
        priority=interaction.priority + queue.overdue_priority,
        queue=queue.overdue_queue,
    )


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    deadline = interaction.deadline
    iid = interaction.interaction_id
    if deadline is not None and not interaction.overdue and ("overdue", iid) not in state.timer_of:
        state._set_timer(max(deadline, at), seq, "overdue", iid)


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    deadline = interaction.deadline
    return deadline is not None and not interaction.overdue, deadline or 0.0


POLICY = TimePolicy(
    kind="overdue",
    in_use=lambda queue: False,  # armed once a deadline is set, not on arrival
    arm=_arm,
    decide=overdue_event,
    expected=_expected,
)
