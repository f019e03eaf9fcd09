"""Real-time statistics: a projection fed one event at a time, O(1) per event.

The counters are cumulative since the first event applied ("so far"); queries that depend on the
current time take it as ``at`` (the projection never reads a clock). The same figures can be
recomputed from the log: ``interval_report(events, end=at)`` summed over its intervals equals the
counters here (a property test holds them to it).

>>> from ccrouter.events import InteractionQueued
>>> stats = RealtimeStats(threshold=20.0)
>>> stats.apply(InteractionQueued(seq=1, at=5.0, interaction_id="c1", channel="voice",
...                               queue="sales"))
>>> stats.waiting("sales"), stats.longest_wait("sales", at=35.0)
(1, 30.0)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from ccrouter.errors import InvalidArgument, TimeWentBackwards, UnknownAgent
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CommandRecorded,
    ConfigChanged,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionNoteAdded,
    InteractionOffered,
    InteractionPaused,
    InteractionQueued,
    InteractionResumed,
    InteractionTargeted,
    InteractionTargetExpired,
    InteractionTransferred,
    InteractionUpdated,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
)
from ccrouter.stats._common import (
    BUSY,
    HANDLING,
    LOGGED_OUT,
    NO_REASON,
    NOT_READY,
    READY,
    RESERVED,
    STATUS_NAMES,
    WRAP_UP,
    SlDefinition,
    check_sl_definition,
    check_threshold,
    ratio,
    service_level,
)
from ccrouter.stats.agents import AgentRow, AgentTally, make_row

__all__ = ["AgentSnapshot", "QueueSnapshot", "RealtimeStats"]


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
    transfers_out: int = 0
    """Transfers out of this queue so far (blind, or consults accepted)."""
    transfers_in: int = 0
    """Transfers into this queue so far (not counted in ``offered``)."""
    escalations: int = 0
    """Of ``transfers_out``, those with reason ``escalation``."""


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


class _Queue:
    """Counters of one (queue, channel)."""

    __slots__ = (
        "ab_within",
        "abandoned",
        "answered",
        "declined",
        "escalations",
        "handled",
        "offered",
        "offering",
        "order",
        "recent_answers",
        "recent_waits",
        "revoked",
        "talk",
        "timed_out",
        "transfers_in",
        "transfers_out",
        "wait",
        "waiting",
        "within",
        "wrap",
    )

    def __init__(self, window: int) -> None:
        self.offered = self.answered = self.within = self.abandoned = self.ab_within = 0
        self.waiting = self.offering = self.handled = 0
        self.declined = self.timed_out = self.revoked = 0
        self.transfers_out = self.transfers_in = self.escalations = 0
        self.wait = self.talk = self.wrap = 0.0
        self.order: deque[_Live] = deque()
        """Unanswered interactions in arrival order, with lazily removed answered ones."""
        self.recent_answers: deque[float] = deque(maxlen=window)
        self.recent_waits: deque[float] = deque(maxlen=window)


class _Live:
    """An interaction not yet finished (unanswered, connected or in wrap-up)."""

    __slots__ = (
        "accepted_at",
        "channel",
        "completed_at",
        "done",
        "paused_at",
        "queue",
        "queued_at",
        "ringing",
    )

    def __init__(self, queue: _Queue, queued_at: float, channel: str = "") -> None:
        self.queue = queue
        self.channel = channel
        self.queued_at = queued_at
        self.ringing = False
        self.done = False
        """Answered or abandoned: no longer waiting."""
        self.accepted_at = queued_at
        self.completed_at = queued_at
        self.paused_at = queued_at


class RealtimeStats:
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
        self.threshold = float(threshold)
        self.sl_definition: SlDefinition = sl_definition
        self.ewt_window = ewt_window
        self._queues: dict[tuple[str, str], _Queue] = {}
        self._live: dict[str, _Live] = {}
        self._agents: dict[str, AgentTally] = {}
        self._as_of: float | None = None
        # Agent time per status, O(1) to update: closed segments, plus for the open ones the
        # number of agents in the status and the sum of their segment starts (relative to t0,
        # to keep the numbers small).
        self._t0 = 0.0
        self._closed = [0.0] * 6
        self._count = [0] * 6
        self._since_sum = [0.0] * 6

    # --- feeding -----------------------------------------------------------------------------

    @property
    def as_of(self) -> float | None:
        """Time of the last event applied (``None`` before any)."""
        return self._as_of

    def apply(self, event: Event) -> None:
        """Fold one event in. O(1) amortized."""
        if self._as_of is None:
            self._t0 = event.at
        self._as_of = event.at
        _DISPATCH[type(event)](self, event)

    def apply_all(self, events: Iterable[Event]) -> None:
        """Fold several events in, in order."""
        for event in events:
            self.apply(event)

    # --- queries: queues ---------------------------------------------------------------------

    def queue_keys(self) -> list[tuple[str, str]]:
        """The (queue, channel) pairs seen so far, sorted."""
        return sorted(self._queues)

    def _select(self, queue: str | None, channel: str | None) -> list[_Queue]:
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
        if q is None:
            return None
        ahead = q.waiting + q.offering
        if ahead == 0:
            return sum(q.recent_waits) / len(q.recent_waits) if q.recent_waits else None
        k = len(q.recent_answers)
        if k < 2:
            return None
        return (ahead + 1) * (q.recent_answers[-1] - q.recent_answers[0]) / (k - 1)

    def queue(
        self, queue: str | None = None, channel: str | None = None, *, at: float
    ) -> QueueSnapshot:
        """Every queue figure at ``at`` for one queue and channel (``None``: all together).

        Raises:
            TimeWentBackwards: ``at`` is before the last event applied.
        """
        qs = self._select(queue, channel)
        within = sum(q.within for q in qs)
        offered = sum(q.offered for q in qs)
        answered = sum(q.answered for q in qs)
        ab_within = sum(q.ab_within for q in qs)
        wait = sum(q.wait for q in qs)
        handled = sum(q.handled for q in qs)
        talk = sum(q.talk for q in qs)
        wrap = sum(q.wrap for q in qs)
        return QueueSnapshot(
            queue=queue,
            channel=channel,
            at=at,
            waiting=sum(q.waiting for q in qs),
            offering=sum(q.offering for q in qs),
            longest_wait=self.longest_wait(queue, channel, at=at),
            offered=offered,
            answered=answered,
            answered_within_threshold=within,
            abandoned=sum(q.abandoned for q in qs),
            abandoned_within_threshold=ab_within,
            service_level=service_level(self.sl_definition, within, offered, answered, ab_within),
            asa=ratio(wait, answered),
            total_wait_time=wait,
            handled=handled,
            total_talk_time=talk,
            total_wrap_up_time=wrap,
            aht=ratio(talk + wrap, handled),
            declined=sum(q.declined for q in qs),
            timed_out=sum(q.timed_out for q in qs),
            revoked=sum(q.revoked for q in qs),
            estimated_wait=None
            if queue is None or channel is None
            else self.estimated_wait(queue, channel),
            transfers_out=sum(q.transfers_out for q in qs),
            transfers_in=sum(q.transfers_in for q in qs),
            escalations=sum(q.escalations for q in qs),
        )

    # --- queries: agents ---------------------------------------------------------------------

    def agent_status(self, agent_id: str) -> str:
        """The agent's displayed status now (``logged_out`` ... ``wrap_up``).

        Raises:
            UnknownAgent: no event ever named this agent.
        """
        return STATUS_NAMES[self._agent(agent_id).status]

    def agents_by_status(self) -> dict[str, int]:
        """Number of known agents in each displayed status. O(1)."""
        return dict(zip(STATUS_NAMES, self._count, strict=True))

    def _status_time(self, status: int, at: float) -> float:
        open_time = self._count[status] * (at - self._t0) - self._since_sum[status]
        return self._closed[status] + open_time

    def occupancy(self, *, at: float) -> float | None:
        """Occupancy so far: (reserved + busy + wrap-up time) / (those + ready time). O(1)."""
        self._check_at(at)
        handling = sum(self._status_time(s, at) for s in HANDLING)
        return ratio(handling, handling + self._status_time(READY, at))

    def agents(self, *, at: float) -> AgentSnapshot:
        """Agents by status, and occupancy so far and now. O(1)."""
        self._check_at(at)
        handling = sum(self._status_time(s, at) for s in HANDLING)
        staffed = handling + self._status_time(READY, at)
        working = sum(self._count[s] for s in HANDLING)
        return AgentSnapshot(
            at=at,
            by_status=self.agents_by_status(),
            staffed_time=staffed,
            handling_time=handling,
            occupancy=ratio(handling, staffed),
            occupancy_now=ratio(working, working + self._count[READY]),
        )

    def agent(self, agent_id: str, *, at: float) -> AgentRow:
        """One agent's report row so far (as :func:`~ccrouter.stats.agent_report` up to ``at``).

        Raises:
            UnknownAgent: no event ever named this agent.
            TimeWentBackwards: ``at`` is before the last event applied.
        """
        a = self._agent(agent_id)
        self._check_at(at)
        times = list(a.times)
        nr = dict(a.nr)
        if a.status != LOGGED_OUT:
            times[a.status] += at - a.since
            if a.status == NOT_READY:
                nr[a.seg_reason] = nr.get(a.seg_reason, 0.0) + (at - a.since)
        return make_row(agent_id, times, nr, a)

    def agent_ids(self) -> list[str]:
        """Every agent named by an event so far, sorted."""
        return sorted(self._agents)

    def _agent(self, agent_id: str) -> AgentTally:
        a = self._agents.get(agent_id)
        if a is None:
            msg = f"no event named agent {agent_id!r}"
            raise UnknownAgent(msg)
        return a

    # --- folding -----------------------------------------------------------------------------

    def _tally(self, agent_id: str, at: float) -> AgentTally:
        a = self._agents.get(agent_id)
        if a is None:
            a = self._agents[agent_id] = AgentTally(at)
            self._count[LOGGED_OUT] += 1
            self._since_sum[LOGGED_OUT] += at - self._t0
        return a

    def _update(self, a: AgentTally, at: float) -> None:
        # AgentTrack.derive, inlined: this runs for almost every event.
        if a.presence == LOGGED_OUT:
            status = LOGGED_OUT
        elif a.offers > 0:
            status = RESERVED
        elif a.busy > 0:
            status = BUSY
        elif a.wrap > 0:
            status = WRAP_UP
        else:
            status = a.presence
        old = a.status
        if status == old and (status != NOT_READY or a.reason == a.seg_reason):
            return
        since = a.since
        d = at - since
        if old != LOGGED_OUT:
            a.times[old] += d
            if old == NOT_READY:
                a.nr[a.seg_reason] = a.nr.get(a.seg_reason, 0.0) + d
        t0 = self._t0
        count, since_sum = self._count, self._since_sum
        self._closed[old] += d
        count[old] -= 1
        since_sum[old] -= since - t0
        count[status] += 1
        since_sum[status] += at - t0
        a.status, a.seg_reason, a.since = status, a.reason, at

    def _unlink(self, q: _Queue) -> None:
        order = q.order
        while order and order[0].done:
            order.popleft()

    def _queued(self, e: InteractionQueued) -> None:
        key = (e.queue, e.channel)
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = _Queue(self.ewt_window)
        q.offered += 1
        q.waiting += 1
        live = self._live[e.interaction_id] = _Live(q, e.at, e.channel)
        q.order.append(live)

    def _offered(self, e: InteractionOffered) -> None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.offers += 1
        a.offered += 1
        a.seen = True
        self._update(a, e.at)
        live = self._live.get(e.interaction_id)
        if live is not None and not live.ringing and not live.done:
            live.ringing = True
            live.queue.waiting -= 1
            live.queue.offering += 1

    def _accepted(self, e: OfferAccepted) -> None:
        at = e.at
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, at)
        a.offers -= 1
        a.busy += 1
        a.accepted += 1
        a.seen = True
        self._update(a, at)
        live = self._live.get(e.interaction_id)
        if live is None:
            return
        if live.done:  # answered again after a blind transfer: its next leg starts
            live.accepted_at = at
            return
        q = live.queue
        if live.ringing:
            q.offering -= 1
        else:
            q.waiting -= 1
        live.ringing = False
        live.done = True
        live.accepted_at = at
        wait = at - live.queued_at
        q.answered += 1
        q.wait += wait
        if wait <= self.threshold:
            q.within += 1
        q.recent_answers.append(at)
        q.recent_waits.append(wait)
        self._unlink(q)

    def _returned(self, e: OfferDeclined | OfferTimedOut | OfferRevoked) -> _Queue | None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.offers -= 1
        a.seen = True
        if type(e) is OfferDeclined:
            a.declined += 1
        elif type(e) is OfferTimedOut:
            a.misses += 1
        else:
            a.revoked += 1
        self._update(a, e.at)
        live = self._live.get(e.interaction_id)
        if live is not None and live.done:
            return live.queue  # an offer of a transferred leg: counted, never waiting again
        if live is None or not live.ringing:
            return None
        live.ringing = False
        live.queue.offering -= 1
        live.queue.waiting += 1
        return live.queue

    def _declined(self, e: OfferDeclined) -> None:
        if (q := self._returned(e)) is not None:
            q.declined += 1

    def _timed_out(self, e: OfferTimedOut) -> None:
        if (q := self._returned(e)) is not None:
            q.timed_out += 1

    def _revoked(self, e: OfferRevoked) -> None:
        if (q := self._returned(e)) is not None:
            q.revoked += 1

    def _completed(self, e: InteractionCompleted) -> None:
        at = e.at
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, at)
        a.busy -= 1
        a.seen = True
        live = self._live.get(e.interaction_id)
        if e.wrap_up_until > at:
            a.wrap += 1
            if live is not None:
                live.completed_at = at
        elif live is not None:
            del self._live[e.interaction_id]
            talk = at - live.accepted_at
            live.queue.handled += 1
            live.queue.talk += talk
            a.handled += 1
            a.talk += talk
        self._update(a, at)

    def _wrap_up_ended(self, e: WrapUpEnded) -> None:
        at = e.at
        live = self._live.pop(e.interaction_id, None)
        if live is None:
            return
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, at)
        a.wrap -= 1
        a.seen = True
        talk = live.completed_at - live.accepted_at
        wrap = at - live.completed_at
        q = live.queue
        q.handled += 1
        q.talk += talk
        q.wrap += wrap
        a.handled += 1
        a.talk += talk
        a.wrap_time += wrap
        self._update(a, at)

    def _abandoned(self, e: InteractionAbandoned) -> None:
        at = e.at
        if e.agent_id is not None:
            a = self._agents.get(e.agent_id)
            if a is None:
                a = self._tally(e.agent_id, at)
            a.offers -= 1
            a.abandoned += 1
            a.seen = True
            self._update(a, at)
        live = self._live.pop(e.interaction_id, None)
        if live is None or live.done:
            return
        q = live.queue
        if live.ringing:
            q.offering -= 1
        else:
            q.waiting -= 1
        live.done = True
        q.abandoned += 1
        if at - live.queued_at <= self.threshold:
            q.ab_within += 1
        self._unlink(q)

    def _counter(self, queue: str, channel: str) -> _Queue:
        q = self._queues.get((queue, channel))
        if q is None:
            q = self._queues[(queue, channel)] = _Queue(self.ewt_window)
        return q

    def _moved(self, e: InteractionTransferred | TransferAccepted) -> None:
        at = e.at
        a = self._tally(e.agent_id, at)
        a.busy -= 1
        a.seen = True
        if isinstance(e, TransferAccepted):
            t = self._tally(e.to_agent, at)
            t.offers -= 1
            t.busy += 1
            t.seen = True
            self._update(t, at)
        live = self._live.get(e.interaction_id)
        if live is not None:
            # The leg's talk counts (in the queue the interaction arrived in, like its other
            # figures); it is answered once, so it is neither offered nor waiting again here.
            talk = at - live.accepted_at
            live.queue.talk += talk
            a.talk += talk
            live.accepted_at = at
            out = self._counter(e.from_queue, live.channel)
            out.transfers_out += 1
            out.escalations += e.reason == "escalation"
            self._counter(e.queue, live.channel).transfers_in += 1
        self._update(a, at)

    def _paused(self, e: InteractionPaused) -> None:
        live = self._live.get(e.interaction_id)
        if live is not None:
            live.paused_at = e.at

    def _resumed(self, e: InteractionResumed) -> None:
        # Paused time is not handle time: the talk clock restarts where it stopped.
        live = self._live.get(e.interaction_id)
        if live is not None:
            live.accepted_at += e.at - live.paused_at

    def _consulted(self, e: TransferOffered) -> None:
        t = self._tally(e.to_agent, e.at)
        t.offers += 1
        t.seen = True
        self._update(t, e.at)

    def _consult_ended(self, e: TransferDeclined) -> None:
        t = self._tally(e.to_agent, e.at)
        t.offers -= 1
        t.seen = True
        self._update(t, e.at)

    def _logged_in(self, e: AgentLoggedIn) -> None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, NO_REASON
        a.logins += 1
        a.seen = True
        self._update(a, e.at)

    def _ready(self, e: AgentReady) -> None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.presence = READY
        a.seen = True
        self._update(a, e.at)

    def _not_ready(self, e: AgentNotReady) -> None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, e.reason
        a.seen = True
        self._update(a, e.at)

    def _logged_out(self, e: AgentLoggedOut) -> None:
        a = self._agents.get(e.agent_id)
        if a is None:
            a = self._tally(e.agent_id, e.at)
        a.presence = LOGGED_OUT
        a.seen = True
        self._update(a, e.at)

    def _check(self) -> None:
        """Verify internal invariants (for tests). O(state)."""
        for q in self._queues.values():
            unanswered = [x for x in q.order if not x.done]
            assert len(unanswered) == q.waiting + q.offering, (len(unanswered), q.waiting)
            assert sum(x.ringing for x in unanswered) == q.offering
            assert not q.order or not q.order[0].done
            times = [x.queued_at for x in q.order]
            assert times == sorted(times)
        counts = [0] * 6
        for a in self._agents.values():
            assert a.status == a.derive(), (a.status, a.derive())
            counts[a.status] += 1
            assert min(a.offers, a.busy, a.wrap) >= 0
        assert counts == self._count, (counts, self._count)


def _ignore(_fold: Any, _event: Any) -> None:
    pass


_DISPATCH: dict[type[Any], Callable[[RealtimeStats, Any], None]] = {
    InteractionQueued: RealtimeStats._queued,
    InteractionOffered: RealtimeStats._offered,
    OfferAccepted: RealtimeStats._accepted,
    OfferDeclined: RealtimeStats._declined,
    OfferTimedOut: RealtimeStats._timed_out,
    OfferRevoked: RealtimeStats._revoked,
    InteractionCompleted: RealtimeStats._completed,
    WrapUpEnded: RealtimeStats._wrap_up_ended,
    InteractionAbandoned: RealtimeStats._abandoned,
    AgentLoggedIn: RealtimeStats._logged_in,
    AgentReady: RealtimeStats._ready,
    AgentNotReady: RealtimeStats._not_ready,
    AgentLoggedOut: RealtimeStats._logged_out,
    CommandRecorded: _ignore,  # bookkeeping of command ids, no statistic
    InteractionUpdated: _ignore,  # priority/requirement/attributes: no statistic reads them
    InteractionTargeted: _ignore,  # who may take it: no statistic
    InteractionTargetExpired: _ignore,
    InteractionTransferred: RealtimeStats._moved,
    TransferAccepted: RealtimeStats._moved,
    TransferOffered: RealtimeStats._consulted,
    TransferDeclined: RealtimeStats._consult_ended,
    InteractionNoteAdded: _ignore,  # context, no statistic
    InteractionPaused: RealtimeStats._paused,
    InteractionResumed: RealtimeStats._resumed,
    ConfigChanged: _ignore,  # statistics do not depend on the routing config
}
