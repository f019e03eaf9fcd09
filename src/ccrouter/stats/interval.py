"""Interval reports: per interval × queue / channel / agent, the service delivered.

A report is a fold of the event log, so it can be computed for any past window of any stored log
or of a live router's events. The rules (documented in ``docs/statistics.md``):

- Intervals are ``[origin + k·interval, origin + (k+1)·interval)``.
- **Each interaction is counted in the interval it arrived in** (its ``InteractionQueued``), and
  every later outcome (answer, abandon, handle time, declined offers...) is attributed to that
  interval, whenever it happens up to the end of the window.
- Time-based figures (staffed time, occupancy) are split over the intervals in which the time
  passes.

>>> from ccrouter.events import InteractionQueued, InteractionAbandoned
>>> log = [
...     InteractionQueued(seq=1, at=10.0, interaction_id="c1", channel="voice", queue="sales"),
...     InteractionAbandoned(seq=2, at=15.0, interaction_id="c1"),
... ]
>>> [(r.start, r.queue, r.offered, r.abandoned, r.abandoned_within_threshold)
...  for r in interval_report(log)]
[(0.0, 'sales', 1, 1, 1)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallbackRequested,
    Event,
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
from ccrouter.stats._common import (
    BUSY,
    LOGGED_OUT,
    NO_REASON,
    NO_STATISTIC,
    NOT_READY,
    READY,
    RESERVED,
    WRAP_UP,
    AgentTrack,
    SlDefinition,
    check_sl_definition,
    check_threshold,
    ignore,
    ratio,
    service_level,
)

__all__ = ["GROUPINGS", "IntervalRow", "interval_report"]

GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("queue",),
    ("channel",),
    ("queue", "channel"),
    ("agent",),
)
"""The accepted values of ``by`` (the order of names inside does not matter)."""


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

_Key: TypeAlias = tuple[int, str | None, str | None, str | None]


class _Counts:
    """Counters of one (interval, group)."""

    __slots__ = (
        "ab_within",
        "abandoned",
        "answered",
        "callbacks",
        "declined",
        "escalations",
        "exited",
        "handled",
        "offered",
        "overdue",
        "overflowed",
        "revoked",
        "talk",
        "timed_out",
        "transfers",
        "transfers_in",
        "wait",
        "waiting",
        "within",
        "wrap",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.within = self.abandoned = self.ab_within = 0
        self.waiting = self.handled = self.declined = self.timed_out = self.revoked = 0
        self.exited = self.overflowed = self.overdue = self.callbacks = 0
        self.transfers = self.transfers_in = self.escalations = 0
        self.wait = self.talk = self.wrap = 0.0


class _Ix:
    """One interaction: arrival, interval (``None``: arrived outside the window), counters."""

    __slots__ = (
        "accepted_at",
        "answered",
        "bucket",
        "channel",
        "completed_at",
        "counts",
        "paused_at",
        "queued_at",
    )

    def __init__(
        self, queued_at: float, bucket: int | None, counts: _Counts | None, channel: str = ""
    ) -> None:
        self.queued_at = queued_at
        self.bucket = bucket
        self.counts = counts
        self.accepted_at = queued_at
        self.completed_at = queued_at
        self.answered = False
        """Answered once: a transferred interaction is not answered (or abandoned) again."""
        self.paused_at = queued_at
        self.channel = channel


class _Agent(AgentTrack):
    """An agent's status plus its time per interval; ``acc`` caches the times of the interval
    ``[acc_start, acc_end)`` touched last (most segments fall inside it)."""

    __slots__ = ("acc", "acc_end", "acc_start", "agent_id", "buckets")

    def __init__(self, agent_id: str, at: float) -> None:
        super().__init__(at)
        self.agent_id = agent_id
        self.buckets: dict[int, list[float]] = {}
        self.acc = [0.0] * 6
        self.acc_start = self.acc_end = math.inf


_STAFFED = tuple(s not in (LOGGED_OUT, NOT_READY) for s in range(6))
"""Statuses that count towards staffed time, indexed by status code."""


class _Fold:
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
        self.counts: dict[_Key, _Counts] = {}
        self.ixs: dict[str, _Ix] = {}
        self.agents: dict[str, _Agent] = {}

    # --- helpers -----------------------------------------------------------------------------

    def target(self, ix: _Ix, agent_id: str | None) -> _Counts | None:
        """The counters an event about ``ix`` (involving ``agent_id``) goes to, if counted."""
        if not self.by_agent:
            return ix.counts
        if ix.bucket is None or agent_id is None:
            return None
        key = (ix.bucket, None, None, agent_id)
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = _Counts()
        return c

    def agent(self, agent_id: str, at: float) -> _Agent:
        a = self.agents.get(agent_id)
        if a is None:
            a = self.agents[agent_id] = _Agent(agent_id, at)
        return a

    def update(self, a: _Agent, at: float) -> None:
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
            if _STAFFED[a.status]:
                self.close(a, at)
            a.status, a.since = status, at

    def close(self, a: _Agent, at: float) -> None:
        """Add ``a``'s current status segment up to ``at`` to its per-interval times."""
        status = a.status
        if not _STAFFED[status]:
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
            self.ixs[e.interaction_id] = _Ix(at, None, None)
            return
        b = math.floor((at - self.origin) / self.interval)
        if self.by_agent:
            self.ixs[e.interaction_id] = _Ix(at, b, None, e.channel)
            return
        key = (b, e.queue if self.by_queue else None, e.channel if self.by_channel else None, None)
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = _Counts()
        c.offered += 1
        c.waiting += 1
        self.ixs[e.interaction_id] = _Ix(at, b, c, e.channel)

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
            counter = _RETURN_COUNTER[type(e)]
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

    def overdue(self, e: InteractionOverdue) -> None:
        ix = self.ixs.get(e.interaction_id)
        if ix is not None and (c := self.target(ix, None)) is not None:
            c.overdue += 1

    def callback(self, e: CallbackRequested) -> None:
        ix = self.ixs.get(e.interaction_id)
        if ix is not None and (c := self.target(ix, None)) is not None:
            c.callbacks += 1

    def row(self, ix: _Ix, queue: str) -> _Counts | None:
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
            c = self.counts[key] = _Counts()
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


_RETURN_COUNTER: dict[type, str] = {
    OfferDeclined: "declined",
    OfferTimedOut: "timed_out",
    OfferRevoked: "revoked",
}

_DISPATCH: dict[type[Any], Callable[[_Fold, Any], None]] = {
    InteractionQueued: _Fold.queued,
    InteractionOffered: _Fold.offered,
    OfferAccepted: _Fold.accepted,
    OfferDeclined: _Fold.returned,
    OfferTimedOut: _Fold.returned,
    OfferRevoked: _Fold.returned,
    InteractionCompleted: _Fold.completed,
    WrapUpEnded: _Fold.wrap_up_ended,
    InteractionAbandoned: _Fold.abandoned,
    AgentLoggedIn: _Fold.logged_in,
    AgentReady: _Fold.ready,
    AgentNotReady: _Fold.not_ready,
    AgentLoggedOut: _Fold.logged_out,
    InteractionExited: _Fold.exited,
    InteractionOverdue: _Fold.overdue,
    CallbackRequested: _Fold.callback,
    InteractionTransferred: _Fold.moved,
    TransferAccepted: _Fold.moved,
    TransferOffered: _Fold.consulted,
    TransferDeclined: _Fold.consult_ended,
    InteractionPaused: _Fold.paused,
    InteractionResumed: _Fold.resumed,
    **dict.fromkeys(NO_STATISTIC, ignore),
}

_EMPTY = _Counts()


def _check_by(by: Sequence[str]) -> frozenset[str]:
    if isinstance(by, str):
        by = (by,)
    names = frozenset(by)
    if len(names) != len(tuple(by)) or names not in {frozenset(g) for g in GROUPINGS}:
        allowed = ", ".join(repr(g) for g in GROUPINGS)
        msg = f"by must be one of {allowed}; got {tuple(by)!r}"
        raise InvalidArgument(msg)
    return names


def interval_report(
    events: Iterable[Event],
    interval: float = 900.0,
    *,
    threshold: float = 20.0,
    sl_definition: SlDefinition = "offered",
    start: float | None = None,
    end: float | None = None,
    by: Sequence[str] = ("queue", "channel"),
    origin: float = 0.0,
) -> list[IntervalRow]:
    """Fold ``events`` into one :class:`IntervalRow` per interval and group.

    Args:
        events: the log in order (``at`` never decreasing), from its beginning. Events before
            ``start`` build the state (who is logged in, what is waiting) but are not counted.
        interval: interval length in seconds (900 = 15 minutes).
        threshold: service-level threshold ``T`` in seconds; "within threshold" means a wait of
            at most ``T``.
        sl_definition: ``"offered"`` (answered within T / offered),
            ``"offered_minus_short_abandons"`` (answered within T / (offered − abandoned within
            T)) or ``"answered"`` (answered within T / answered).
        start: window start (default: the first event). Interactions that arrived earlier are
            not counted, and time before it is not accounted.
        end: window end, the "as of" time (default: the last event). Events after it are
            ignored: an interaction still waiting at ``end`` counts as offered and ``waiting``.
        by: grouping, one of :data:`GROUPINGS`: queue and/or channel, or agent, or ``()`` for one
            total row per interval.
        origin: intervals are aligned on ``origin + k·interval`` (0: clock-aligned for Unix
            times).

    Returns:
        Rows sorted by interval, then group. Queue/channel/total grouping: every interval of the
        window × every group that had an arrival in the window (zero rows included). Agent
        grouping: the (interval, agent) pairs with staffed time or offers.

    Raises:
        InvalidArgument: a non-positive interval, a negative threshold, an unknown
            ``sl_definition`` or grouping, or ``end`` before ``start``.

    Complexity: O(events + rows + Σ intervals spanned by agent status segments).
    """
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        msg = f"interval must be a positive number of seconds; got {interval!r}"
        raise InvalidArgument(msg)
    check_threshold(threshold)
    check_sl_definition(sl_definition)
    names = _check_by(by)
    lo = -math.inf if start is None else float(start)
    hi = math.inf if end is None else float(end)
    if hi < lo:
        msg = f"end ({end}) is before start ({start})"
        raise InvalidArgument(msg)

    fold = _Fold(float(interval), float(threshold), lo, hi, float(origin), names)
    dispatch = _DISPATCH
    it = iter(events)
    e: Event | None = next(it, None)
    if e is None or e.at > hi:
        return []
    first = last = e.at
    dispatch[type(e)](fold, e)
    for e in it:
        if e.at > hi:
            break
        last = e.at
        dispatch[type(e)](fold, e)
    ws = lo if start is not None else first
    we = hi if end is not None else last
    return _rows(fold, ws, we, sl_definition)


def _rows(fold: _Fold, ws: float, we: float, sl_definition: str) -> list[IntervalRow]:
    interval, origin = fold.interval, fold.origin
    for a in fold.agents.values():
        fold.close(a, we)

    b_first = math.floor((ws - origin) / interval)
    b_last = math.floor((we - origin) / interval)
    if we > ws and origin + b_last * interval >= we:
        b_last -= 1  # the window ends exactly on a boundary: no time in the next interval
    if fold.counts:
        b_last = max(b_last, max(k[0] for k in fold.counts))

    def row(
        b: int, group: tuple[str | None, str | None, str | None], c: _Counts, times: list[float]
    ) -> IntervalRow:
        handling = times[RESERVED] + times[BUSY] + times[WRAP_UP]
        staffed = handling + times[READY]
        agent_row = group[2] is not None
        return IntervalRow(
            start=origin + b * interval,
            end=origin + (b + 1) * interval,
            queue=group[0],
            channel=group[1],
            agent_id=group[2],
            offered=c.offered,
            answered=c.answered,
            answered_within_threshold=c.within,
            abandoned=c.abandoned,
            abandoned_within_threshold=c.ab_within,
            waiting=c.waiting,
            service_level=None
            if agent_row
            else service_level(sl_definition, c.within, c.offered, c.answered, c.ab_within),
            asa=ratio(c.wait, c.answered),
            total_wait_time=c.wait,
            handled=c.handled,
            total_talk_time=c.talk,
            total_wrap_up_time=c.wrap,
            aht=ratio(c.talk + c.wrap, c.handled),
            average_wrap_up_time=ratio(c.wrap, c.handled),
            declined=c.declined,
            timed_out=c.timed_out,
            revoked=c.revoked,
            transfers=c.transfers,
            staffed_time=staffed,
            handling_time=handling,
            occupancy=ratio(handling, staffed),
            exited=c.exited,
            overflowed=c.overflowed,
            overdue=c.overdue,
            callbacks=c.callbacks,
            transfers_in=c.transfers_in,
            escalations=c.escalations,
        )

    zero = [0.0] * 6
    rows: list[IntervalRow] = []
    if fold.by_agent:
        keys: set[tuple[int, str]] = {(k[0], k[3]) for k in fold.counts if k[3] is not None}
        for a in fold.agents.values():
            keys.update((b, a.agent_id) for b, acc in a.buckets.items() if any(acc))
        for b, agent_id in sorted(keys):
            times = fold.agents[agent_id].buckets.get(b, zero)
            c = fold.counts.get((b, None, None, agent_id), _EMPTY)
            rows.append(row(b, (None, None, agent_id), c, times))
        return rows

    center: dict[int, list[float]] = {}
    for a in fold.agents.values():
        for b, acc in a.buckets.items():
            tot = center.get(b)
            if tot is None:
                center[b] = list(acc)
            else:
                for i in (READY, RESERVED, BUSY, WRAP_UP):
                    tot[i] += acc[i]
    groups = sorted(
        {(k[1], k[2]) for k in fold.counts},
        key=lambda g: (g[0] or "", g[1] or ""),
    )
    if not fold.by_queue and not fold.by_channel:
        groups = [(None, None)]
    for b in range(b_first, b_last + 1):
        times = center.get(b, zero)
        for q, ch in groups:
            c = fold.counts.get((b, q, ch, None), _EMPTY)
            rows.append(row(b, (q, ch, None), c, times))
    return rows
