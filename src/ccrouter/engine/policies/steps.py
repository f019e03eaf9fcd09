"""Widening steps (``QueueConfig.steps``): after ``after`` seconds of waiting, an interaction's
requirement widens (skills added or dropped, groups added) and/or its priority changes; a
step with ``skip_if_nobody`` is passed over when no logged-in agent could take the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.config import QueueConfig
from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.records import Interaction
from ccrouter.engine.routing.selectors import selector_for
from ccrouter.events import InteractionStepped

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["POLICY", "anyone_could_take", "step_event"]


def step_event(state: RouterState, interaction: Interaction, due: float) -> InteractionStepped:
    """The widening step ``interaction.step`` of its queue, applied or skipped."""
    queue = state.config.queue(interaction.queue)
    step = queue.steps[interaction.step]
    skills = {k: v for k, v in interaction.skills.items() if k not in step.drop_skills}
    skills.update(step.skills)
    priority = interaction.priority if step.priority is None else float(step.priority)
    groups = sorted({*interaction.groups, *step.groups}) if interaction.groups else []
    skipped = step.skip_if_nobody and not anyone_could_take(
        state,
        interaction.channel,
        skills,
        groups,
        selector_for(queue, interaction.step + 1, interaction.agent_selector),
    )
    if skipped:
        skills, priority = dict(interaction.skills), interaction.priority
        groups = list(interaction.groups)
    return InteractionStepped(
        seq=state.last_seq + 1,
        at=due,
        interaction_id=interaction.interaction_id,
        step=interaction.step,
        skills=skills,
        priority=priority,
        skipped=skipped,
        groups=groups,
    )


def anyone_could_take(
    state: RouterState,
    channel: str,
    skills: dict[str, int],
    groups: list[str] | None = None,
    selector: str | None = None,
) -> bool:
    """Whether a logged-in agent (ready or not, busy or not) serves ``channel`` with ``skills``
    (and, when ``groups`` are given, belongs to one of them; with ``selector``, meets it).

    Deliberately ignores presence and load: a step is worth taking if someone on shift could
    ever answer it, not only someone idle this instant.
    """
    return state.anyone_could_take(channel, skills, groups or (), selector)


def _arm(
    state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
) -> None:
    # A config change (even while the work was offered) may have left fewer steps.
    steps = queue.steps
    if interaction.step > len(steps):
        interaction.step = len(steps)
    if interaction.step < len(steps):
        due = interaction.arrived_at + steps[interaction.step].after
        if ("step", interaction.interaction_id) not in state.timer_of:
            state._set_timer(max(due, at), seq, "step", interaction.interaction_id)


def _expected(
    state: RouterState, interaction: Interaction, queue: QueueConfig
) -> tuple[bool, float]:
    assert interaction.step <= len(queue.steps), interaction.interaction_id
    if interaction.step < len(queue.steps):
        return True, interaction.arrived_at + queue.steps[interaction.step].after
    return False, 0.0


POLICY = TimePolicy(
    kind="step",
    in_use=lambda queue: bool(queue.steps),
    arm=_arm,
    decide=step_event,
    expected=_expected,
)
