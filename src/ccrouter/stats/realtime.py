"""Real-time statistics: a projection fed one event at a time, O(1) per event.

The counters are cumulative since the first event applied ("so far"); queries that depend on the
current time take it as ``at`` (the projection never reads a clock). The same figures can be
recomputed from the log: ``interval_report(events, end=at)`` summed over its intervals equals the
counters here (a property test holds them to it).

This module is the public face: :class:`RealtimeStats`, its queries and the snapshots they
return. How each event changes the state is in :mod:`ccrouter.stats._live_fold`; the per-queue
and per-agent state in :mod:`ccrouter.stats._live_queues` and :mod:`ccrouter.stats._live_agents`.

>>> from ccrouter.events import InteractionQueued
>>> stats = RealtimeStats(threshold=20.0)
>>> stats.apply(InteractionQueued(seq=1, at=5.0, interaction_id="c1", channel="voice",
...                               queue="sales"))
>>> stats.waiting("sales"), stats.longest_wait("sales", at=35.0)
(1, 30.0)
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ccrouter.errors import InvalidArgument, TimeWentBackwards
from ccrouter.events import Event
from ccrouter.stats._common import (
    HANDLING,
    READY,
    STATUS_NAMES,
    SlDefinition,
    check_sl_definition,
    check_threshold,
    ratio,
    service_level,
)
from ccrouter.stats._live_agents import row_so_far
from ccrouter.stats._live_fold import DISPATCH, LiveFold
from ccrouter.stats._live_queues import QueueCounters, wait_estimate
from ccrouter.stats.agents import AgentRow
from ccrouter.stats.definitions import LIVE, PUBLIC, counter_names, derive
from ccrouter.stats.rows import QueueSnapshot

__all__ = ["AgentSnapshot", "QueueSnapshot", "RealtimeStats"]


_LIVE = counter_names(LIVE)
"""The live counters: each fills the snapshot field of its name in ``PUBLIC``, summed."""


class AgentSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """All agents at one instant."""

    at: float
    """The instant of the snapshot."""
    by_status: dict[str, int]
    """Number of known agents in each displayed status (``logged_out`` included)."""
    staffed_time: float
    """Agent time so far in ready, reserved, busy or wrap-up."""
    handling_time: float
    """Agent time so far reserved, busy or in wrap-up."""
    occupancy: float | None
    """Occupancy so far: ``handling_time / staffed_time``."""
    occupancy_now: float | None
    """Agents reserved, busy or in wrap-up now over agents in those statuses or ready now."""


class RealtimeStats(LiveFold):
    """Live counters per queue and channel and per agent, updated by :meth:`apply`.

    Args:
        threshold: service-level threshold ``T`` in seconds (within: a wait of at most ``T``).
        sl_definition: ``"offered"``, ``"offered_minus_short_abandons"`` or ``"answered"`` (see
            ``docs/statistics.md``).
        ewt_window: how many recent answers the estimated wait looks at.

    Raises:
        InvalidArgument: a negative threshold, an unknown definition or ``ewt_window < 2``.
    """

    def __init__(
        self,
        *,
        threshold: float = 20.0,
        sl_definition: SlDefinition = "offered",
        ewt_window: int = 20,
    ) -> None:
        check_threshold(threshold)
        check_sl_definition(sl_definition)
        if not isinstance(ewt_window, int) or ewt_window < 2:
            msg = f"ewt_window must be an int >= 2; got {ewt_window!r}"
            raise InvalidArgument(msg)
        super().__init__(float(threshold), ewt_window)
        self.sl_definition: SlDefinition = sl_definition
        self._as_of: float | None = None

    # --- feeding -----------------------------------------------------------------------------

    @property
    def as_of(self) -> float | None:
        """Time of the last event applied (``None`` before any)."""
        return self._as_of

    def apply(self, event: Event) -> None:
        """Fold one event in. O(1) amortized."""
        if self._as_of is None:
            self._agents.t0 = event.at
        self._as_of = event.at
        DISPATCH[type(event)](self, event)

    def apply_all(self, events: Iterable[Event]) -> None:
        """Fold several events in, in order."""
        for event in events:
            self.apply(event)

    # --- queries: queues ---------------------------------------------------------------------

    def queue_keys(self) -> list[tuple[str, str]]:
        """The (queue, channel) pairs seen so far, sorted."""
        return sorted(self._queues)

    def _select(self, queue: str | None, channel: str | None) -> list[QueueCounters]:
        return [
            q
            for (name, ch), q in self._queues.items()
            if (queue is None or name == queue) and (channel is None or ch == channel)
        ]

    def _check_at(self, at: float) -> None:
        if self._as_of is not None and at < self._as_of:
            msg = f"at={at} is before the last event applied (at={self._as_of})"
            raise TimeWentBackwards(msg)

    def waiting(self, queue: str | None = None, channel: str | None = None) -> int:
        """Interactions waiting in the queue now, not ringing (``None``: all). O(keys)."""
        return sum(q.waiting for q in self._select(queue, channel))

    def longest_wait(
        self, queue: str | None = None, channel: str | None = None, *, at: float
    ) -> float:
        """Age at ``at`` of the oldest unanswered interaction (waiting or ringing), 0 if none.

        Raises:
            TimeWentBackwards: ``at`` is before the last event applied.
        """
        self._check_at(at)
        oldest = min(
            (q.order[0].queued_at for q in self._select(queue, channel) if q.order), default=None
        )
        return 0.0 if oldest is None else at - oldest

    def estimated_wait(self, queue: str, channel: str) -> float | None:
        """Estimated wait for an interaction arriving now in ``queue`` on ``channel``.

        Method (position × recent answer spacing, as in Little's law): with ``n`` interactions
        unanswered ahead (waiting or ringing) and the last ``k`` answers of this queue and channel
        (``k`` ≤ ``ewt_window``) spread over ``span`` seconds, the newcomer needs ``n + 1``
        answers spaced ``span / (k − 1)`` apart: ``(n + 1) · span / (k − 1)``. When nobody is
        ahead, it is the average wait of the last ``k`` answered (recent ASA). ``None`` when that
        history is missing (no answer yet, or fewer than 2 answers while someone waits).
        O(ewt_window).
        """
        q = self._queues.get((queue, channel))
        return None if q is None else wait_estimate(q)

    def queue(
        self, queue: str | None = None, channel: str | None = None, *, at: float
    ) -> QueueSnapshot:
        """Every queue figure at ``at`` for one queue and channel (``None``: all together).

        Raises:
            TimeWentBackwards: ``at`` is before the last event applied.
        """
        qs = self._select(queue, channel)
        sums = {name: sum(getattr(q, name) for q in qs) for name in _LIVE}
        return QueueSnapshot(
            queue=queue,
            channel=channel,
            at=at,
            longest_wait=self.longest_wait(queue, channel, at=at),
            **{PUBLIC[name]: value for name, value in sums.items()},
            service_level=service_level(
                self.sl_definition,
                sums["within"],
                sums["offered"],
                sums["answered"],
                sums["ab_within"],
            ),
            asa=derive("asa", sums.__getitem__),
            aht=derive("aht", sums.__getitem__),
            estimated_wait=None
            if queue is None or channel is None
            else self.estimated_wait(queue, channel),
        )

    # --- queries: agents ---------------------------------------------------------------------

    def agent_status(self, agent_id: str) -> str:
        """The agent's displayed status now (``logged_out`` ... ``wrap_up``).

        Raises:
            UnknownAgent: no event ever named this agent.
        """
        return STATUS_NAMES[self._agents.find(agent_id).status]

    def agents_by_status(self) -> dict[str, int]:
        """Number of known agents in each displayed status. O(1)."""
        return self._agents.by_status()

    def occupancy(self, *, at: float) -> float | None:
        """Occupancy so far: (reserved + busy + wrap-up time) / (those + ready time). O(1)."""
        self._check_at(at)
        handling, staffed = self._agents.handling_and_staffed(at)
        return ratio(handling, staffed)

    def agents(self, *, at: float) -> AgentSnapshot:
        """Agents by status, and occupancy so far and now. O(1)."""
        self._check_at(at)
        handling, staffed = self._agents.handling_and_staffed(at)
        count = self._agents.count
        working = sum(count[s] for s in HANDLING)
        return AgentSnapshot(
            at=at,
            by_status=self.agents_by_status(),
            staffed_time=staffed,
            handling_time=handling,
            occupancy=ratio(handling, staffed),
            occupancy_now=ratio(working, working + count[READY]),
        )

    def agent(self, agent_id: str, *, at: float) -> AgentRow:
        """One agent's report row so far (as :func:`~ccrouter.stats.agent_report` up to ``at``).

        Raises:
            UnknownAgent: no event ever named this agent.
            TimeWentBackwards: ``at`` is before the last event applied.
        """
        a = self._agents.find(agent_id)
        self._check_at(at)
        return row_so_far(agent_id, a, at)

    def agent_ids(self) -> list[str]:
        """Every agent named by an event so far, sorted."""
        return sorted(self._agents.tallies)
