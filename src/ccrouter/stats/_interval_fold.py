"""The interval report's fold: one method per event type updates the counters of the
interval each interaction arrived in and splits agent status time over intervals. Private: the
state behind :func:`~ccrouter.stats.interval.interval_report`.
"""

from __future__ import annotations

import math
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
from ccrouter.stats._common import (
    BUSY,
    LOGGED_OUT,
    NO_REASON,
    NO_STATISTIC,
    NOT_READY,
    READY,
    RESERVED,
    WRAP_UP,
    ignore,
)
from ccrouter.stats._interval_records import STAFFED, AgentTimes, Counts, Ix, Key
from ccrouter.stats.definitions import EVENT_COUNTERS

__all__ = ["DISPATCH", "IntervalFold"]


class IntervalFold:
    """The report's state while the events are folded in (one method per event type)."""

    def __init__(
        self,
        interval: float,
        threshold: float,
        lo: float,
        hi: float,
        origin: float,
        by: frozenset[str],
    ) -> None:
        self.interval = interval
        self.threshold = threshold
        self.lo = lo
        self.hi = hi
        self.origin = origin
        self.by_queue = "queue" in by
        self.by_channel = "channel" in by
        self.by_agent = "agent" in by
        self.counts: dict[Key, Counts] = {}
        self.ixs: dict[str, Ix] = {}
        self.agents: dict[str, AgentTimes] = {}

    # --- helpers -----------------------------------------------------------------------------

    def target(self, ix: Ix, agent_id: str | None) -> Counts | None:
        """The counters an event about ``ix`` (involving ``agent_id``) goes to, if counted."""
        if not self.by_agent:
            return ix.counts
        if ix.bucket is None or agent_id is None:
            return None
        key = (ix.bucket, None, None, agent_id)
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = Counts()
        return c

    def agent(self, agent_id: str, at: float) -> AgentTimes:
        a = self.agents.get(agent_id)
        if a is None:
            a = self.agents[agent_id] = AgentTimes(agent_id, at)
        return a

    def update(self, a: AgentTimes, at: float) -> None:
        """Re-derive ``a``'s status after a change; on a new status, account the old segment.

        (``AgentTrack.derive`` inlined: this runs for almost every event.)
        """
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
        if status != a.status:
            if STAFFED[a.status]:
                self.close(a, at)
            a.status, a.since = status, at

    def close(self, a: AgentTimes, at: float) -> None:
        """Add ``a``'s current status segment up to ``at`` to its per-interval times."""
        status = a.status
        if not STAFFED[status]:
            return  # not ready and logged out do not count towards staffed time
        t0 = a.since if a.since > self.lo else self.lo
        t1 = at if at < self.hi else self.hi
        if t1 <= t0:
            return
        if a.acc_start <= t0 and t1 <= a.acc_end:
            a.acc[status] += t1 - t0
            return
        interval, origin, buckets = self.interval, self.origin, a.buckets
        b = math.floor((t0 - origin) / interval)
        while True:
            acc = buckets.get(b)
            if acc is None:
                acc = buckets[b] = [0.0] * 6
            bstart = origin + b * interval
            bend = bstart + interval
            if t1 <= bend:
                acc[status] += t1 - t0
                a.acc, a.acc_start, a.acc_end = acc, bstart, bend
                return
            acc[status] += bend - t0
            t0 = bend
            b += 1

    # --- one method per event type -----------------------------------------------------------

    def queued(self, e: InteractionQueued) -> None:
        at = e.at
        if at < self.lo:
            self.ixs[e.interaction_id] = Ix(at, None, None)
            return
        b = math.floor((at - self.origin) / self.interval)
        if self.by_agent:
            self.ixs[e.interaction_id] = Ix(at, b, None, e.channel)
            return
        key = (b, e.queue if self.by_queue else None, e.channel if self.by_channel else None, None)
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = Counts()
        c.offered += 1
        c.waiting += 1
        self.ixs[e.interaction_id] = Ix(at, b, c, e.channel)

    def offered(self, e: InteractionOffered) -> None:
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.offers += 1
        self.update(a, e.at)
        if self.by_agent:
            ix = self.ixs.get(e.interaction_id)
            if ix is not None and (c := self.target(ix, e.agent_id)) is not None:
                c.offered += 1

    def accepted(self, e: OfferAccepted) -> None:
        at = e.at
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, at)
        a.offers -= 1
        a.busy += 1
        self.update(a, at)
        ix = self.ixs.get(e.interaction_id)
        if ix is None:
            return
        ix.accepted_at = at
        if ix.answered:  # after a blind transfer: answered once, in its first queue
            return
        ix.answered = True
        c = self.target(ix, e.agent_id)
        if c is not None:
            wait = at - ix.queued_at
            c.answered += 1
            c.wait += wait
            if wait <= self.threshold:
                c.within += 1
            if not self.by_agent:
                c.waiting -= 1

    def returned(self, e: OfferDeclined | OfferTimedOut | OfferRevoked) -> None:
        """An offer ended without an answer: the agent's slot frees, the outcome is counted."""
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.offers -= 1
        self.update(a, e.at)
        ix = self.ixs.get(e.interaction_id)
        if ix is not None and (c := self.target(ix, e.agent_id)) is not None:
            counter = EVENT_COUNTERS[type(e)]
            setattr(c, counter, getattr(c, counter) + 1)

    def completed(self, e: InteractionCompleted) -> None:
        at = e.at
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, at)
        a.busy -= 1
        if e.wrap_up_until > at:
            a.wrap += 1
            self.update(a, at)
            ix = self.ixs.get(e.interaction_id)
            if ix is not None:
                ix.completed_at = at
            return
        self.update(a, at)
        ix = self.ixs.pop(e.interaction_id, None)
        if ix is not None and (c := self.target(ix, e.agent_id)) is not None:
            c.handled += 1
            c.talk += at - ix.accepted_at

    def wrap_up_ended(self, e: WrapUpEnded) -> None:
        at = e.at
        ix = self.ixs.pop(e.interaction_id, None)
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, at)
        a.wrap -= 1
        self.update(a, at)
        if ix is not None and (c := self.target(ix, e.agent_id)) is not None:
            c.handled += 1
            c.talk += ix.completed_at - ix.accepted_at
            c.wrap += at - ix.completed_at

    def abandoned(self, e: InteractionAbandoned) -> None:
        at = e.at
        if e.agent_id is not None:
            a = self.agents.get(e.agent_id)
            if a is None:
                a = self.agent(e.agent_id, at)
            a.offers -= 1
            self.update(a, at)
        ix = self.ixs.pop(e.interaction_id, None)
        if ix is not None and ix.answered:
            return  # left while waiting after a transfer: it was answered, not abandoned
        if ix is not None and (c := self.target(ix, e.agent_id)) is not None:
            c.abandoned += 1
            if at - ix.queued_at <= self.threshold:
                c.ab_within += 1
            if not self.by_agent:
                c.waiting -= 1

    def exited(self, e: InteractionExited) -> None:
        ix = self.ixs.get(e.interaction_id)
        if ix is not None and ix.answered:
            # Waiting again after a blind transfer: it was answered once, in its first queue,
            # so an exit rule ending it (or moving it on) counts nowhere, as an abandon does not.
            if e.overflow_to is None:
                del self.ixs[e.interaction_id]
            return
        if ix is None or (c := self.target(ix, None)) is None:
            if e.overflow_to is None:
                self.ixs.pop(e.interaction_id, None)
            return
        if e.overflow_to is None:
            del self.ixs[e.interaction_id]
            c.exited += 1
            c.waiting -= 1
        else:
            c.overflowed += 1

    def counted(self, e: Any) -> None:
        """An event that only counts (:data:`~ccrouter.stats.definitions.EVENT_COUNTERS`): one
        more in the group of the interaction it names."""
        ix = self.ixs.get(e.interaction_id)
        if ix is not None and (c := self.target(ix, getattr(e, "agent_id", None))) is not None:
            counter = EVENT_COUNTERS[type(e)]
            setattr(c, counter, getattr(c, counter) + 1)

    def row(self, ix: Ix, queue: str) -> Counts | None:
        """The queue/channel row of ``queue`` in ``ix``'s arrival interval (None: uncounted)."""
        if ix.bucket is None or self.by_agent:
            return None
        key = (
            ix.bucket,
            queue if self.by_queue else None,
            ix.channel if self.by_channel else None,
            None,
        )
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = Counts()
        return c

    def moved(self, e: InteractionTransferred | TransferAccepted) -> None:
        """A transfer: the first agent's leg ends (its talk counts), the queues count it."""
        at = e.at
        a = self.agent(e.agent_id, at)
        a.busy -= 1
        self.update(a, at)
        if isinstance(e, TransferAccepted):
            t = self.agent(e.to_agent, at)
            t.offers -= 1
            t.busy += 1
            self.update(t, at)
        ix = self.ixs.get(e.interaction_id)
        if ix is None:
            return
        escalation = e.reason == "escalation"
        if self.by_agent:
            if (c := self.target(ix, e.agent_id)) is not None:
                c.talk += at - ix.accepted_at
                c.transfers += 1
                c.escalations += escalation
        else:
            if ix.counts is not None:
                ix.counts.talk += at - ix.accepted_at
            if (out := self.row(ix, e.from_queue)) is not None:
                out.transfers += 1
                out.escalations += escalation
            if (into := self.row(ix, e.queue)) is not None:
                into.transfers_in += 1
        ix.accepted_at = at

    def paused(self, e: InteractionPaused) -> None:
        ix = self.ixs.get(e.interaction_id)
        if ix is not None:
            ix.paused_at = e.at

    def resumed(self, e: InteractionResumed) -> None:
        # Paused time is not handle time: the talk clock restarts where it stopped.
        ix = self.ixs.get(e.interaction_id)
        if ix is not None:
            ix.accepted_at += e.at - ix.paused_at

    def consulted(self, e: TransferOffered) -> None:
        t = self.agent(e.to_agent, e.at)
        t.offers += 1
        self.update(t, e.at)

    def consult_ended(self, e: TransferDeclined) -> None:
        t = self.agent(e.to_agent, e.at)
        t.offers -= 1
        self.update(t, e.at)

    def logged_in(self, e: AgentLoggedIn) -> None:
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, NO_REASON
        self.update(a, e.at)

    def ready(self, e: AgentReady) -> None:
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.presence = READY
        self.update(a, e.at)

    def not_ready(self, e: AgentNotReady) -> None:
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.presence, a.reason = NOT_READY, e.reason
        self.update(a, e.at)

    def logged_out(self, e: AgentLoggedOut) -> None:
        a = self.agents.get(e.agent_id)
        if a is None:
            a = self.agent(e.agent_id, e.at)
        a.presence = LOGGED_OUT
        self.update(a, e.at)


DISPATCH: dict[type[Any], Callable[[IntervalFold, Any], None]] = {
    **dict.fromkeys(EVENT_COUNTERS, IntervalFold.counted),  # the entries below may do more
    InteractionQueued: IntervalFold.queued,
    InteractionOffered: IntervalFold.offered,
    OfferAccepted: IntervalFold.accepted,
    OfferDeclined: IntervalFold.returned,
    OfferTimedOut: IntervalFold.returned,
    OfferRevoked: IntervalFold.returned,
    InteractionCompleted: IntervalFold.completed,
    WrapUpEnded: IntervalFold.wrap_up_ended,
    InteractionAbandoned: IntervalFold.abandoned,
    AgentLoggedIn: IntervalFold.logged_in,
    AgentReady: IntervalFold.ready,
    AgentNotReady: IntervalFold.not_ready,
    AgentLoggedOut: IntervalFold.logged_out,
    InteractionExited: IntervalFold.exited,
    InteractionTransferred: IntervalFold.moved,
    TransferAccepted: IntervalFold.moved,
    TransferOffered: IntervalFold.consulted,
    TransferDeclined: IntervalFold.consult_ended,
    InteractionPaused: IntervalFold.paused,
    InteractionResumed: IntervalFold.resumed,
    **dict.fromkeys(NO_STATISTIC, ignore),
}
