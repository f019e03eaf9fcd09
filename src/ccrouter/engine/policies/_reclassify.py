"""What both exception triggers share (``QueueConfig.reclassify_after`` and
``reclassify_over``, docs/rules.md): the decision when one fires, and whether it already
fired for an interaction in its queue.

When a trigger fires, the rules run again on the waiting work, from what was submitted, with
``interaction.exception`` (the trigger) and ``interaction.waiting_in`` (its queue) to read.
The decision is recorded as an :class:`~ccrouter.events.InteractionClassified` (trigger
``reclassify``) whose application sets the priority and skills the rule set and cancels the
timer; a new queue follows as an exit with reason ``reclassified`` (keeping the work's age),
a deflection as an exit with reason ``deflected``. Replay applies these events and never
evaluates a rule. Each trigger fires at most once per interaction and queue (so work cannot
bounce between two queues' triggers without end).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.engine.records import Interaction
from ccrouter.events import Event, InteractionClassified, InteractionExited
from ccrouter.rules.ruleset import ruleset

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["active", "fired", "mark", "reclassify_events"]


def active(state: RouterState) -> bool:
    """Whether the configuration has rules to run (without any, no trigger is armed)."""
    return not ruleset(state.config).empty


def mark(queue: str, exception: str) -> str:
    """How an interaction remembers that ``exception`` fired for it in ``queue``."""
    return f"{queue}:{exception}"


def fired(interaction: Interaction, exception: str) -> bool:
    """Whether ``exception`` already re-classified ``interaction`` in its current queue."""
    return mark(interaction.queue, exception) in interaction.exceptions


def reclassify_events(
    state: RouterState, interaction: Interaction, due: float, exception: str
) -> list[Event]:
    """The events of the exception trigger ``exception`` firing on waiting ``interaction``
    at ``due``: its classification, then its exit if the rule moved or deflected it."""
    # Imported here: classification reads the state module, which imports this package.
    from ccrouter.engine.classify import reclassify

    iid = interaction.interaction_id
    seq = state.last_seq + 1
    outcome = reclassify(state, interaction, interaction.attributes, due, exception)
    if outcome is None:  # (not armed without rules; kept so that the timer always ends)
        return [
            InteractionClassified(
                seq=seq, at=due, interaction_id=iid, rule="", trigger="reclassify",
                exception=exception,
            )
        ]  # fmt: skip
    out: list[Event] = [outcome.event(seq, due, iid, "reclassify", {}, exception)]
    if outcome.deflect is not None:
        out.append(InteractionExited(seq=seq + 1, at=due, interaction_id=iid, reason="deflected"))
    elif outcome.set_queue is not None and outcome.set_queue != interaction.queue:
        out.append(
            InteractionExited(
                seq=seq + 1, at=due, interaction_id=iid, reason="reclassified",
                overflow_to=outcome.set_queue, keep_age=True,
            )
        )  # fmt: skip
    return out
