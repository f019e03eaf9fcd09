"""How each event changes the real-time state: one method per event type, O(1) amortized.
Private: :class:`~ccrouter.stats.realtime.RealtimeStats` is this fold plus its queries.

Most events touch an agent and an interaction at once (an answer makes the agent busy and ends
the wait in the queue), so each method updates both sides; the state itself lives in
:mod:`ccrouter.stats._live_queues` and :mod:`ccrouter.stats._live_agents`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionExited,
    InteractionOffered,
    InteractionOverdue,
    InteractionPaused,
    InteractionQueued,
    InteractionResumed,
    InteractionTransferred,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
)
from ccrouter.stats._common import LOGGED_OUT, NO_REASON, NO_STATISTIC, NOT_READY, READY, ignore
from ccrouter.stats._live_agents import LiveAgents
from ccrouter.stats._live_queues import (
    LiveInteraction,
    QueueCounters,
    check_queue,
    drop_answered,
    insert_by_arrival,
)
from ccrouter.stats.agents import AgentTally
from ccrouter.stats.definitions import EVENT_COUNTERS, LIVE, counter_names

__all__ = ["DISPATCH", "LiveFold"]


class LiveFold:
    """The real-time state, and the change each event type makes to it.

    :class:`~ccrouter.stats.realtime.RealtimeStats` subclasses it rather than holding one, so
    that its public ``threshold`` and ``ewt_window`` are the very attributes read here at each
    event, and :meth:`~ccrouter.stats.realtime.RealtimeStats.apply` dispatches with no extra
    indirection on the hot path.

    Args:
        threshold: service-level threshold in seconds, read as each answer or abandon is
            counted.
        ewt_window: how many recent answers each new (queue, channel) keeps for the estimated
            wait.
    """

    def __init__(self, threshold: float, ewt_window: int) -> None:
        self.threshold = threshold
        self.ewt_window = ewt_window
        self._queues: dict[tuple[str, str], QueueCounters] = {}
        self._live: dict[str, LiveInteraction] = {}
        self._agents = LiveAgents()

    def _counter(self, queue: str, channel: str) -> QueueCounters:
        """The counters of (``queue``, ``channel``), created on first use."""
        q = self._queues.get((queue, channel))
        if q is None:
            q = self._queues[(queue, channel)] = QueueCounters(self.ewt_window)
        return q

    # --- one method per event type -----------------------------------------------------------

    def _queued(self, e: InteractionQueued) -> None:
        key = (e.queue, e.channel)
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = QueueCounters(self.ewt_window)
        q.offered += 1
        q.waiting += 1
        live = self._live[e.interaction_id] = LiveInteraction(q, e.at, e.channel)
        q.order.append(live)

    def _offered(self, e: InteractionOffered) -> None:
        agents = self._agents
        a = self._seen(e.agent_id, e.at)
        a.offers += 1
        a.offered += 1
        agents.update(a, e.at)
        live = self._live.get(e.interaction_id)
        if live is not None and not live.ringing and not live.done:
            live.ringing = True
            live.queue.waiting -= 1
            live.queue.offering += 1

    def _accepted(self, e: OfferAccepted) -> None:
        at = e.at
        agents = self._agents
        a = self._seen(e.agent_id, at)
        a.offers -= 1
        a.busy += 1
        a.accepted += 1
        agents.update(a, at)
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
        drop_answered(q)

    def _returned(self, e: OfferDeclined | OfferTimedOut | OfferRevoked) -> QueueCounters | None:
        """An offer ended unanswered: count it for the agent, put the interaction back to
        waiting, and return the queue to count the outcome in (``None``: not counted)."""
        agents = self._agents
        a = self._seen(e.agent_id, e.at)
        a.offers -= 1
        if type(e) is OfferDeclined:
            a.declined += 1
        elif type(e) is OfferTimedOut:
            a.misses += 1
        else:
            a.revoked += 1
        agents.update(a, e.at)
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
        agents = self._agents
        a = self._seen(e.agent_id, at)
        a.busy -= 1
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
        agents.update(a, at)

    def _wrap_up_ended(self, e: WrapUpEnded) -> None:
        at = e.at
        live = self._live.pop(e.interaction_id, None)
        if live is None:
            return
        agents = self._agents
        a = self._seen(e.agent_id, at)
        a.wrap -= 1
        talk = live.completed_at - live.accepted_at
        wrap = at - live.completed_at
        q = live.queue
        q.handled += 1
        q.talk += talk
        q.wrap += wrap
        a.handled += 1
        a.talk += talk
        a.wrap_time += wrap
        agents.update(a, at)

    def _exited(self, e: InteractionExited) -> None:
        live = self._live.get(e.interaction_id)
        if live is None or live.done:
            return
        q = live.queue
        if e.overflow_to is None:
            del self._live[e.interaction_id]
            q.waiting -= 1
            q.exited += 1
            live.done = True
            drop_answered(q)
        else:
            self._move(e.interaction_id, live, e.overflow_to, e.keep_age, e.at)

    def _counted(self, e: Any) -> None:
        """An event that only counts (:data:`~ccrouter.stats.definitions.EVENT_COUNTERS`): one
        more in the queue of the interaction it names, if the live view keeps that counter."""
        live = self._live.get(e.interaction_id)
        counter = EVENT_COUNTERS[type(e)]
        if live is not None and counter in _LIVE_COUNTERS:
            q = live.queue
            setattr(q, counter, getattr(q, counter) + 1)

    def _overdue(self, e: InteractionOverdue) -> None:
        live = self._live.get(e.interaction_id)
        if e.queue is not None and live is not None and not live.done:
            self._move(e.interaction_id, live, e.queue, True, e.at)

    def _move(self, iid: str, live: LiveInteraction, queue: str, keep_age: bool, at: float) -> None:
        """A waiting interaction leaves its queue for ``queue``: it arrives there (keeping
        its arrival time when ``keep_age``) and waits there from now on."""
        old = live.queue
        old.waiting -= 1
        old.overflowed += 1
        live.done = True  # lazily dropped from the old queue's order
        drop_answered(old)
        key = (queue, live.channel)
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = QueueCounters(self.ewt_window)
        q.offered += 1
        q.waiting += 1
        moved = self._live[iid] = LiveInteraction(
            q, live.queued_at if keep_age else at, live.channel
        )
        insert_by_arrival(q, moved)

    def _abandoned(self, e: InteractionAbandoned) -> None:
        at = e.at
        if e.agent_id is not None:
            agents = self._agents
            a = self._seen(e.agent_id, at)
            a.offers -= 1
            a.abandoned += 1
            agents.update(a, at)
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
        drop_answered(q)

    def _moved(self, e: InteractionTransferred | TransferAccepted) -> None:
        at = e.at
        agents = self._agents
        a = self._seen(e.agent_id, at)
        a.busy -= 1
        if isinstance(e, TransferAccepted):
            t = self._seen(e.to_agent, at)
            t.offers -= 1
            t.busy += 1
            agents.update(t, at)
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
        agents.update(a, at)

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
        t = self._seen(e.to_agent, e.at)
        t.offers += 1
        self._agents.update(t, e.at)

    def _consult_ended(self, e: TransferDeclined) -> None:
        t = self._seen(e.to_agent, e.at)
        t.offers -= 1
        self._agents.update(t, e.at)

    def _seen(self, agent_id: str, at: float) -> AgentTally:
        """The agent's tally (made at its first event), marked seen."""
        a = self._agents.tally(agent_id, at)
        a.seen = True
        return a

    def _logged_in(self, e: AgentLoggedIn) -> None:
        a = self._seen(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, NO_REASON
        a.logins += 1
        self._agents.update(a, e.at)

    def _ready(self, e: AgentReady) -> None:
        a = self._seen(e.agent_id, e.at)
        a.presence = READY
        self._agents.update(a, e.at)

    def _not_ready(self, e: AgentNotReady) -> None:
        a = self._seen(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, e.reason
        self._agents.update(a, e.at)

    def _logged_out(self, e: AgentLoggedOut) -> None:
        a = self._seen(e.agent_id, e.at)
        a.presence = LOGGED_OUT
        self._agents.update(a, e.at)

    def _check(self) -> None:
        """Verify internal invariants (for tests). O(state)."""
        for q in self._queues.values():
            check_queue(q)
        self._agents.check()


_LIVE_COUNTERS = frozenset(counter_names(LIVE))

DISPATCH: dict[type[Any], Callable[[LiveFold, Any], None]] = {
    **dict.fromkeys(EVENT_COUNTERS, LiveFold._counted),  # the entries below may do more
    InteractionQueued: LiveFold._queued,
    InteractionOffered: LiveFold._offered,
    OfferAccepted: LiveFold._accepted,
    OfferDeclined: LiveFold._declined,
    OfferTimedOut: LiveFold._timed_out,
    OfferRevoked: LiveFold._revoked,
    InteractionCompleted: LiveFold._completed,
    WrapUpEnded: LiveFold._wrap_up_ended,
    InteractionAbandoned: LiveFold._abandoned,
    AgentLoggedIn: LiveFold._logged_in,
    AgentReady: LiveFold._ready,
    AgentNotReady: LiveFold._not_ready,
    AgentLoggedOut: LiveFold._logged_out,
    InteractionExited: LiveFold._exited,
    InteractionOverdue: LiveFold._overdue,
    InteractionTransferred: LiveFold._moved,
    TransferAccepted: LiveFold._moved,
    TransferOffered: LiveFold._consulted,
    TransferDeclined: LiveFold._consult_ended,
    InteractionPaused: LiveFold._paused,
    InteractionResumed: LiveFold._resumed,
    **dict.fromkeys(NO_STATISTIC, ignore),
}
"""The method folding in each event type."""
