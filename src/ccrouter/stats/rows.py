"""The public rows of the queue statistics: one home for every field a queue metric fills.

:class:`IntervalRow` (the interval report's rows) and :class:`QueueSnapshot` (the real-time
projection's answer) carry the same counters, defined once in :mod:`ccrouter.stats.definitions`.
A new counting metric is its :class:`~ccrouter.stats.definitions.Counter` row there and its
documented field on the rows here; ``tests/unit/test_stats_definitions.py`` checks that every
counter has its field on each row of the views that keep it.
"""

from __future__ import annotations

import msgspec

__all__ = ["IntervalRow", "QueueSnapshot"]


class IntervalRow(msgspec.Struct, frozen=True, kw_only=True):
    """One interval of one group. Counts refer to the interactions that *arrived* in the interval;
    times are in seconds."""

    start: float
    """Interval start (nominal: the window may cover only part of the first and last interval)."""
    end: float
    """Interval end (exclusive)."""
    queue: str | None
    """The queue, when the report is grouped by queue."""
    channel: str | None
    """The channel, when the report is grouped by channel."""
    agent_id: str | None
    """The agent, when the report is grouped by agent."""
    offered: int
    """Interactions that arrived (queue rows); offers made to the agent (agent rows)."""
    answered: int
    """Of those, answered (offer accepted) by the end of the window."""
    answered_within_threshold: int
    """Answered with a wait (accept − arrival) of at most the threshold."""
    abandoned: int
    """Abandoned by the customer while queued or ringing (agent rows: while ringing at the
    agent)."""
    abandoned_within_threshold: int
    """Abandoned after a wait of at most the threshold ("short abandons")."""
    waiting: int
    """Arrived but neither answered nor abandoned at the end of the window (still queued or
    ringing); always 0 in agent rows."""
    service_level: float | None
    """Answered within threshold over the denominator of ``sl_definition``; ``None`` when that is
    0, and in agent rows."""
    asa: float | None
    """Average speed of answer: ``total_wait_time / answered``."""
    total_wait_time: float
    """Sum of the waits (accept − arrival) of the answered interactions."""
    handled: int
    """Interactions whose work ended by the end of the window: talk ended and wrap-up ended
    (or there was none)."""
    total_talk_time: float
    """Talk time (accept → complete) of the handled interactions."""
    total_wrap_up_time: float
    """Wrap-up time (complete → wrap-up end) of the handled interactions."""
    aht: float | None
    """Average handle time: ``(total_talk_time + total_wrap_up_time) / handled``."""
    average_wrap_up_time: float | None
    """``total_wrap_up_time / handled``."""
    declined: int
    """Offers of these interactions that agents declined."""
    timed_out: int
    """Offers of these interactions that timed out unanswered (misses)."""
    revoked: int
    """Offers of these interactions that the router withdrew."""
    transfers: int
    """Transfers out of this row's queue (blind, or consults accepted) of these interactions
    (agent rows: transfers made by the agent)."""
    staffed_time: float
    """Agent time in the interval in ready, reserved, busy or wrap-up (not-ready excluded):
    the agent's own in agent rows, all agents' together otherwise."""
    handling_time: float
    """Of ``staffed_time``, the time reserved, busy or in wrap-up."""
    occupancy: float | None
    """``handling_time / staffed_time``. Agents serve every queue and channel, so rows not grouped
    by agent all carry the whole center's occupancy for their interval."""
    exited: int = 0
    """Of these interactions, ended by an exit rule (``max_wait``, ``max_size``, no overflow);
    they no longer count as ``waiting``. 0 in agent rows."""
    overflowed: int = 0
    """Of these interactions, sent to another queue by an exit rule (they stay counted in the
    queue and interval they arrived in, like every later outcome). 0 in agent rows."""
    overdue: int = 0
    """Of these interactions, those whose deadline passed while they waited. 0 in agent rows."""
    callbacks: int = 0
    """Of these interactions, those whose customer left the line for a callback (they are
    then answered or handled like any other, never abandoned). 0 in agent rows."""
    transfers_in: int = 0
    """Transfers into this row's queue of these interactions (not counted in ``offered``)."""
    escalations: int = 0
    """Of ``transfers``, those with reason ``escalation``."""


ROW_FIELDS: tuple[str, ...] = IntervalRow.__struct_fields__


class QueueSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A queue (and channel) at one instant; counts are since the projection started."""

    queue: str | None
    """The queue (``None``: all queues together)."""
    channel: str | None
    """The channel (``None``: all channels together)."""
    at: float
    """The instant of the snapshot."""
    waiting: int
    """Interactions in the queue now, not ringing at an agent."""
    offering: int
    """Interactions ringing at an agent now (still unanswered)."""
    longest_wait: float
    """Age (``at`` − arrival) of the oldest unanswered interaction (waiting or ringing); 0 when
    there is none."""
    offered: int
    """Interactions that arrived so far."""
    answered: int
    """Interactions answered so far."""
    answered_within_threshold: int
    """Answered after a wait of at most the threshold."""
    abandoned: int
    """Interactions abandoned so far (while queued or ringing)."""
    abandoned_within_threshold: int
    """Abandoned after a wait of at most the threshold."""
    service_level: float | None
    """Service level so far under the projection's ``sl_definition``; interactions still waiting
    count as offered and not (yet) answered within threshold."""
    asa: float | None
    """Average speed of answer so far."""
    total_wait_time: float
    """Sum of the waits of the answered interactions."""
    handled: int
    """Interactions whose work (talk and wrap-up) ended so far."""
    total_talk_time: float
    """Talk time of the handled interactions."""
    total_wrap_up_time: float
    """Wrap-up time of the handled interactions."""
    aht: float | None
    """Average handle time of the handled interactions (talk + wrap-up)."""
    declined: int
    """Offers declined so far."""
    timed_out: int
    """Offers timed out so far (misses)."""
    revoked: int
    """Offers revoked so far."""
    estimated_wait: float | None
    """Estimated wait of an interaction arriving now (see :meth:`RealtimeStats.estimated_wait`);
    ``None`` when unknown or for aggregates over several queues or channels."""
    exited: int = 0
    """Interactions an exit rule ended here (``max_wait``, ``max_size`` without overflow)."""
    overflowed: int = 0
    """Interactions that left this queue for another (exit overflow or overdue escalation);
    each also counts as ``offered`` in the queue it went to, where it waits from then on."""
    callbacks: int = 0
    """Waiting customers who left the line for a callback so far."""
    transfers_out: int = 0
    """Transfers out of this queue so far (blind, or consults accepted)."""
    transfers_in: int = 0
    """Transfers into this queue so far (not counted in ``offered``)."""
    escalations: int = 0
    """Of ``transfers_out``, those with reason ``escalation``."""
