"""What a time-driven queue policy is: one :class:`TimePolicy` per module of this package.

A policy owns one timer kind. It says whether a queue's config turns it on for arrivals
(``in_use``), how it sets its timer on a waiting interaction (``arm``: at arrival, when work
comes back to the queue, when a deadline is set, after a config change), what it decides when
the timer fires (``decide``: the event to record) and what the invariants expect of its timer
(``expected``). The state, the core and the invariants iterate over the registry
(:data:`ccrouter.engine.policies.POLICIES`) and name no policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from ccrouter.config import QueueConfig
from ccrouter.engine.records import Interaction
from ccrouter.events import Event

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["TimePolicy", "cancel_timer", "wait_limit"]


@attrs.frozen
class TimePolicy:
    """One time-driven queue policy (see the module docstring).

    Attributes:
        kind: its timer kind (part of the log's timer order: ties on due time and seq sort
            by kind, so a kind is never renamed).
        in_use: whether a queue's config makes arrivals arm it (a policy that arms only for
            work with a deadline answers ``False``).
        arm: ``arm(state, interaction, queue, at, seq)`` sets its timer on a waiting
            interaction if due and not set yet: at its nominal time or ``at`` if that passed.
        decide: ``decide(state, interaction, due)``: the event its due timer records (or the
            events, in order, numbered from ``state.last_seq + 1``); applying them must
            cancel the timer.
        expected: ``expected(state, interaction, queue)``: whether a waiting interaction must
            hold its timer, and the earliest time it may be due (the nominal one).
        live_caller: it exists only while a live caller waits: cancelled when the caller
            switches to a callback.
        watch: for policies whose timer depends on who is logged in: called for each watched
            interaction (``state.watched``) after an agent logs in or out.
        watches: with ``watch``: ``watches(interaction, queue)``, whether a waiting
            interaction is one it watches (a snapshot's restore re-derives ``state.watched``
            from it).
    """

    kind: str
    in_use: Callable[[QueueConfig], bool]
    arm: Callable[[RouterState, Interaction, QueueConfig, float, int], None]
    decide: Callable[[RouterState, Interaction, float], Event | list[Event]]
    expected: Callable[[RouterState, Interaction, QueueConfig], tuple[bool, float]]
    live_caller: bool = False
    watch: Callable[[RouterState, Interaction, float, int], None] | None = None
    watches: Callable[[Interaction, QueueConfig], bool] | None = None


def cancel_timer(state: RouterState, kind: str, interaction_id: str) -> None:
    """Cancel the ``kind`` timer of ``interaction_id``, if pending (the state owns the timer
    index: policies read ``state.timer_of`` and set through ``state._set_timer``)."""
    state._cancel_timer(kind, interaction_id)


def wait_limit(
    kind: str,
    limit: Callable[[QueueConfig], float | None],
    decide: Callable[[RouterState, Interaction, float], Event],
) -> TimePolicy:
    """A policy that fires once a live caller has waited ``limit(queue)`` seconds since
    arrival (``None``: off); a callback is not a live caller and never arms it.

    ``max_wait`` and ``callback_after`` are both this shape; only the limit and the decision
    differ.
    """

    def arm(
        state: RouterState, interaction: Interaction, queue: QueueConfig, at: float, seq: int
    ) -> None:
        seconds = limit(queue)
        if seconds is not None and not interaction.callback:
            due = max(interaction.arrived_at + seconds, at)
            if (kind, interaction.interaction_id) not in state.timer_of:
                state._set_timer(due, seq, kind, interaction.interaction_id)

    def expected(
        state: RouterState, interaction: Interaction, queue: QueueConfig
    ) -> tuple[bool, float]:
        seconds = limit(queue)
        armed = seconds is not None and not interaction.callback
        return armed, interaction.arrived_at + (seconds or 0.0)

    return TimePolicy(
        kind=kind,
        in_use=lambda queue: limit(queue) is not None,
        arm=arm,
        decide=decide,
        expected=expected,
        live_caller=True,
    )
