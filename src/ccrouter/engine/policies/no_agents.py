"""``QueueConfig.max_wait_no_agents``: a live caller leaves the queue (reason
``max_wait_no_agents``) after waiting that long while no logged-in agent could take the work
(its agent selector included).
The timer starts when the last able agent logs out (or at arrival if there is none) and is
cancelled when one logs in: the work is *watched* (``state.watched``) while it waits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy, cancel_timer
from ccrouter.engine.policies._exits import exit_now
from ccrouter.engine.records import Interaction
from ccrouter.engine.routing.selectors import selector_for
from ccrouter.events import InteractionExited

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "empty_exit"]


def empty_exit(state: RouterState, interaction: Interaction, due: float) -> InteractionExited:
    """``max_wait_no_agents`` ran out with nobody logged in able to take the work."""
    return exit_now(state, interaction, due, "max_wait_no_agents")


def _watches(interaction: Interaction, queue: QueueConfig) -> bool:
    """Whether the waiting ``interaction`` is watched: its queue has the limit and a live
    caller waits (a callback has nobody on the line to leave)."""
    return queue.max_wait_no_agents is not None and not interaction.callback


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    if _watches(interaction, queue):
        state.watched[interaction.interaction_id] = interaction
        _watch(state, interaction, at, seq)


def _watch(state: RouterState, interaction: Interaction, at: float, seq: int) -> None:
    """Set the ``empty`` timer of a watched interaction nobody logged in could take (due
    ``max_wait_no_agents`` from now), or cancel it when someone could."""
    iid = interaction.interaction_id
    nobody = not _anyone(state, interaction)
    if nobody:
        limit = state.config.queue(interaction.queue).max_wait_no_agents
        assert limit is not None
        if ("empty", iid) not in state.timer_of:
            state._set_timer(at + limit, seq, "empty", iid)
    else:
        cancel_timer(state, "empty", iid)


def _anyone(state: RouterState, interaction: Interaction) -> bool:
    """Whether someone logged in could take ``interaction`` (its agent selector included)."""
    queue = state.config.queue(interaction.queue)
    selector = selector_for(queue, interaction.step, interaction.agent_selector)
    return state.anyone_could_take(
        interaction.channel, interaction.skills, interaction.groups, selector
    )


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    watched = _watches(interaction, queue)
    assert (interaction.interaction_id in state.watched) == watched, (
        interaction.interaction_id,
        "watched",
    )
    nobody = not _anyone(state, interaction)
    return watched and nobody, interaction.arrived_at + (queue.max_wait_no_agents or 0.0)


POLICY = TimePolicy(
    kind="empty",
    in_use=lambda queue: queue.max_wait_no_agents is not None,
    arm=_arm,
    decide=empty_exit,
    expected=_expected,
    live_caller=True,
    watch=_watch,
    watches=_watches,
)
