"""Queue policies driven by time: widening steps, exit rules and deadlines (decisions only).

Each function looks at the state when a policy timer falls due (or when work is submitted)
and returns the event that records what the policy decided; :mod:`ccrouter.engine.core` applies
it and routes. The timers themselves are set and cancelled by
:class:`~ccrouter.engine.state.RouterState` as events apply (``_arm``/``_disarm``): they run
only while an interaction waits in its queue.

>>> from ccrouter.config import QueueConfig, RouterConfig, Step
>>> from ccrouter.engine.state import RouterState
>>> from ccrouter.events import InteractionQueued
>>> cfg = RouterConfig(queues={"q": QueueConfig(steps=[Step(after=30, skills={"en": 1})])})
>>> state = RouterState(cfg)
>>> state.apply(InteractionQueued(seq=1, at=0.0, interaction_id="i", channel="voice",
...                               queue="q", skills={"en": 5}))
>>> state.next_timer()
(30.0, 1, 'step', 'i')
>>> e = step_event(state, state.interactions["i"], 30.0)
>>> (e.seq, e.at, e.step, e.skills, e.skipped)
(2, 30.0, 0, {'en': 1}, False)
"""

from __future__ import annotations

from ccrouter.config import QueueConfig
from ccrouter.engine.state import Interaction, RouterState, reminder_times
from ccrouter.events import (
    CallbackRequested,
    InteractionExited,
    InteractionOverdue,
    InteractionReminded,
    InteractionStepped,
)

__all__ = [
    "anyone_could_take",
    "callback_event",
    "empty_exit",
    "exit_event",
    "is_full",
    "overdue_event",
    "remind_event",
    "size_exit",
    "step_event",
]


def step_event(state: RouterState, interaction: Interaction, due: float) -> InteractionStepped:
    """The widening step ``interaction.step`` of its queue, applied or skipped."""
    step = state.config.queue(interaction.queue).steps[interaction.step]
    skills = {k: v for k, v in interaction.skills.items() if k not in step.drop_skills}
    skills.update(step.skills)
    priority = interaction.priority if step.priority is None else float(step.priority)
    groups = sorted({*interaction.groups, *step.groups}) if interaction.groups else []
    skipped = step.skip_if_nobody and not anyone_could_take(
        state, interaction.channel, skills, groups
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
    state: RouterState, channel: str, skills: dict[str, int], groups: list[str] | None = None
) -> bool:
    """Whether a logged-in agent (ready or not, busy or not) serves ``channel`` with ``skills``
    (and, when ``groups`` are given, belongs to one of them).

    Deliberately ignores presence and load: a step is worth taking if someone on shift could
    ever answer it, not only someone idle this instant.
    """
    return state.anyone_could_take(channel, skills, groups or ())


def exit_event(state: RouterState, interaction: Interaction, due: float) -> InteractionExited:
    """``max_wait`` ran out: overflow or end, as the queue says."""
    return _exit(state.config.queue(interaction.queue), interaction, due, state, "max_wait")


def empty_exit(state: RouterState, interaction: Interaction, due: float) -> InteractionExited:
    """``max_wait_no_agents`` ran out with nobody logged in able to take the work."""
    queue = state.config.queue(interaction.queue)
    return _exit(queue, interaction, due, state, "max_wait_no_agents")


def size_exit(
    state: RouterState, queue_name: str, iid: str, at: float, seq: int
) -> InteractionExited | None:
    """The exit of a new arrival at a queue already holding ``max_size`` waiting ones."""
    queue = state.config.queue(queue_name)
    if not is_full(state, queue_name):
        return None
    return InteractionExited(
        seq=seq,
        at=at,
        interaction_id=iid,
        reason="max_size",
        overflow_to=_overflow_target(state, queue_name, None),
        keep_age=queue.keep_age,
    )


def is_full(state: RouterState, queue_name: str, leaving: str | None = None) -> bool:
    """Whether ``queue_name`` already holds its ``max_size`` waiting interactions (not
    counting one about to leave ``leaving``, the queue it waits in)."""
    cap = state.config.queue(queue_name).max_size
    if cap is None:
        return False
    return state.queue(queue_name).waiting - (queue_name == leaving) >= cap


def _overflow_target(state: RouterState, queue_name: str, leaving: str | None) -> str | None:
    """Where work leaving ``queue_name`` overflows: its ``overflow_to``, unless that queue is
    full (then nowhere: the work ends ``exited``). Full queues are not skipped along the
    chain: a skip would add a move the config never named, and could close a loop of
    age-keeping queues that config validation refuses. ``leaving``: the queue the work waits
    in now, if it does (it does not count against that queue's room)."""
    target = state.config.queue(queue_name).overflow_to
    if target is None or is_full(state, target, leaving):
        return None
    return target


def _exit(
    queue: QueueConfig, interaction: Interaction, at: float, state: RouterState, reason: str
) -> InteractionExited:
    return InteractionExited(
        seq=state.last_seq + 1,
        at=at,
        interaction_id=interaction.interaction_id,
        reason=reason,
        overflow_to=_overflow_target(state, interaction.queue, interaction.queue),
        keep_age=queue.keep_age,
    )


def callback_event(state: RouterState, interaction: Interaction, due: float) -> CallbackRequested:
    """``callback_after`` ran out: the live caller is switched to a callback."""
    return CallbackRequested(
        seq=state.last_seq + 1, at=due, interaction_id=interaction.interaction_id, automatic=True
    )


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
