"""The agent report: per agent, where its logged-in time went and what it handled.

Status times follow the agent's *displayed* status, so they partition the logged-in time:
``logged_out``; else ``reserved`` (an offer rings); else ``busy`` (connected); else ``wrap_up``;
else the presence (``ready`` / ``not_ready`` with its reason). Counts are attributed to the moment
their event happens (an offer when it is made, a handled interaction when its work ends).

>>> from ccrouter.events import AgentLoggedIn, AgentReady, AgentLoggedOut
>>> log = [
...     AgentLoggedIn(seq=1, at=0.0, agent_id="ann", skills={}, capacity={"voice": 1}),
...     AgentReady(seq=2, at=60.0, agent_id="ann"),
...     AgentLoggedOut(seq=3, at=600.0, agent_id="ann"),
... ]
>>> row = agent_report(log)[0]
>>> row.logged_in_time, row.ready_time, row.not_ready_by_reason
(600.0, 540.0, {'unspecified': 60.0})
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    InteractionPaused,
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
    NOT_READY,
    READY,
    RESERVED,
    WRAP_UP,
    AgentTrack,
    ratio,
)

__all__ = ["AgentRow", "agent_report"]


class AgentRow(msgspec.Struct, frozen=True, kw_only=True):
    """One agent's figures over a window. Times are in seconds."""

    agent_id: str
    """The agent."""
    logged_in_time: float
    """Time logged in within the window (= ready + not ready + reserved + busy + wrap-up)."""
    ready_time: float
    """Time ready and idle (ready with nothing ringing, connected or in wrap-up)."""
    not_ready_time: float
    """Time not ready with nothing ringing, connected or in wrap-up (all reasons)."""
    not_ready_by_reason: dict[str, float]
    """``not_ready_time`` split by reason code; ``"unspecified"`` for time after a login before
    any reason was given."""
    reserved_time: float
    """Time with at least one offer ringing."""
    busy_time: float
    """Time with at least one interaction connected and nothing ringing."""
    wrap_up_time: float
    """Time in wrap-up only (after-call work, nothing ringing or connected)."""
    occupancy: float | None
    """(reserved + busy + wrap-up) / (ready + reserved + busy + wrap-up): the share of available
    time spent working; not-ready time is excluded. ``None`` without such time."""
    logins: int
    """Logins within the window."""
    offers: int
    """Offers made to the agent."""
    accepted: int
    """Offers the agent accepted (interactions answered)."""
    declined: int
    """Offers the agent declined."""
    misses: int
    """Offers that timed out unanswered (ring-no-answer)."""
    revoked: int
    """Offers the router withdrew (e.g. at logout)."""
    abandoned_while_offered: int
    """Offers that ended because the customer abandoned while it rang."""
    handled: int
    """Interactions whose work ended within the window: talk ended and wrap-up ended (or none)."""
    total_talk_time: float
    """Talk time (accept → complete) of the handled interactions."""
    total_wrap_up_time: float
    """Wrap-up time (complete → wrap-up end) of the handled interactions."""
    aht: float | None
    """Average handle time: (total talk + total wrap-up) / handled; ``None`` when nothing was
    handled."""


class AgentTally(AgentTrack):
    """An agent's status plus what the agent report adds up: closed status times (indexed by
    status code), not-ready time by reason and event counters. Shared with the real-time view."""

    __slots__ = (
        "abandoned",
        "accepted",
        "declined",
        "handled",
        "logins",
        "misses",
        "nr",
        "offered",
        "revoked",
        "seen",
        "talk",
        "times",
        "wrap_time",
    )

    def __init__(self, at: float) -> None:
        super().__init__(at)
        self.times = [0.0] * 6
        self.nr: dict[str, float] = {}
        self.logins = self.offered = self.accepted = self.declined = 0
        self.misses = self.revoked = self.abandoned = self.handled = 0
        self.talk = self.wrap_time = 0.0
        self.seen = False


def make_row(agent_id: str, times: list[float], nr: dict[str, float], a: AgentTally) -> AgentRow:
    """Build a row from status times (indexed by status code) and an agent's counters."""
    handling = times[RESERVED] + times[BUSY] + times[WRAP_UP]
    return AgentRow(
        agent_id=agent_id,
        logged_in_time=handling + times[READY] + times[NOT_READY],
        ready_time=times[READY],
        not_ready_time=times[NOT_READY],
        not_ready_by_reason={k: v for k, v in sorted(nr.items()) if v > 0},
        reserved_time=times[RESERVED],
        busy_time=times[BUSY],
        wrap_up_time=times[WRAP_UP],
        occupancy=ratio(handling, handling + times[READY]),
        logins=a.logins,
        offers=a.offered,
        accepted=a.accepted,
        declined=a.declined,
        misses=a.misses,
        revoked=a.revoked,
        abandoned_while_offered=a.abandoned,
        handled=a.handled,
        total_talk_time=a.talk,
        total_wrap_up_time=a.wrap_time,
        aht=ratio(a.talk + a.wrap_time, a.handled),
    )


def _close(a: AgentTally, at: float, lo: float, hi: float) -> None:
    """Account the current status segment up to ``at`` (clipped to the window)."""
    t0 = a.since if a.since > lo else lo
    t1 = at if at < hi else hi
    if t1 > t0 and a.status != LOGGED_OUT:
        a.times[a.status] += t1 - t0
        if a.status == NOT_READY:
            a.nr[a.seg_reason] = a.nr.get(a.seg_reason, 0.0) + (t1 - t0)


def _update(a: AgentTally, at: float, lo: float, hi: float) -> None:
    status = a.derive()
    if status != a.status or (status == NOT_READY and a.reason != a.seg_reason):
        _close(a, at, lo, hi)
        a.status, a.seg_reason, a.since = status, a.reason, at


def agent_report(
    events: Iterable[Event], *, start: float | None = None, end: float | None = None
) -> list[AgentRow]:
    """Per-agent status times, counts and handle times over the window ``[start, end]``.

    Args:
        events: the log, in order (``at`` never decreasing), from its beginning; events before
            ``start`` build the state but are not counted.
        start: window start in seconds (default: the first event).
        end: window end, the "as of" time (default: the last event); events after it are ignored
            and open status segments are closed there.

    Returns:
        One :class:`AgentRow` per agent that was logged in or had an event in the window, sorted
        by agent id.

    Raises:
        InvalidArgument: ``end`` is before ``start``.

    Complexity: O(number of events + number of agents).
    """
    lo = -math.inf if start is None else float(start)
    hi = math.inf if end is None else float(end)
    if hi < lo:
        msg = f"end ({end}) is before start ({start})"
        raise InvalidArgument(msg)
    agents: dict[str, AgentTally] = {}
    # interaction id -> [accepted at, completed at] while connected or in wrap-up
    work: dict[str, list[float]] = {}
    paused: dict[str, float] = {}  # interaction id -> when it was paused
    last = lo

    def agent(agent_id: str, at: float) -> AgentTally:
        a = agents.get(agent_id)
        if a is None:
            a = agents[agent_id] = AgentTally(at)
        return a

    for e in events:
        at = e.at
        if at > hi:
            break
        last = at
        counted = at >= lo
        if type(e) is InteractionOffered:
            a = agent(e.agent_id, at)
            a.offers += 1
            a.offered += counted
        elif type(e) is OfferAccepted:
            a = agent(e.agent_id, at)
            a.offers -= 1
            a.busy += 1
            work[e.interaction_id] = [at, at]
            a.accepted += counted
        elif type(e) is InteractionCompleted:
            a = agent(e.agent_id, at)
            a.busy -= 1
            w = work.get(e.interaction_id)
            if e.wrap_up_until > at:
                a.wrap += 1
                if w is not None:
                    w[1] = at
            elif w is not None:
                del work[e.interaction_id]
                if counted:
                    a.handled += 1
                    a.talk += at - w[0]
        elif type(e) is WrapUpEnded:
            a = agent(e.agent_id, at)
            w = work.pop(e.interaction_id, None)
            if w is None:
                continue
            a.wrap -= 1
            if counted:
                a.handled += 1
                a.talk += w[1] - w[0]
                a.wrap_time += at - w[1]
        elif type(e) is OfferDeclined:
            a = agent(e.agent_id, at)
            a.offers -= 1
            a.declined += counted
        elif type(e) is OfferTimedOut:
            a = agent(e.agent_id, at)
            a.offers -= 1
            a.misses += counted
        elif type(e) is OfferRevoked:
            a = agent(e.agent_id, at)
            a.offers -= 1
            a.revoked += counted
        elif type(e) is InteractionAbandoned:
            if e.agent_id is None:
                continue
            a = agent(e.agent_id, at)
            a.offers -= 1
            a.abandoned += counted
        elif type(e) is InteractionTransferred or type(e) is TransferAccepted:
            a = agent(e.agent_id, at)
            a.busy -= 1
            w = work.get(e.interaction_id)
            if w is not None:
                if counted:
                    a.talk += at - w[0]  # the transferring agent's leg
                w[0] = w[1] = at
            if type(e) is TransferAccepted:
                t = agent(e.to_agent, at)
                t.offers -= 1
                t.busy += 1
                _update(t, at, lo, hi)
                if counted:
                    t.seen = True
        elif type(e) is InteractionPaused:
            paused[e.interaction_id] = at
            continue
        elif type(e) is InteractionResumed:
            since = paused.pop(e.interaction_id, None)
            w = work.get(e.interaction_id)
            if since is not None and w is not None:
                w[0] += at - since  # paused time is not talk time
            continue
        elif type(e) is TransferOffered or type(e) is TransferDeclined:
            a = agent(e.to_agent, at)
            a.offers += 1 if type(e) is TransferOffered else -1
        elif type(e) is AgentLoggedIn:
            a = agent(e.agent_id, at)
            a.presence, a.reason = NOT_READY, NO_REASON
            a.logins += counted
        elif type(e) is AgentReady:
            a = agent(e.agent_id, at)
            a.presence = READY
        elif type(e) is AgentNotReady:
            a = agent(e.agent_id, at)
            a.presence, a.reason = NOT_READY, e.reason
        elif type(e) is AgentLoggedOut:
            a = agent(e.agent_id, at)
            a.presence = LOGGED_OUT
        else:
            continue
        _update(a, at, lo, hi)
        if counted:
            a.seen = True

    as_of = hi if end is not None else last
    rows = []
    for agent_id in sorted(agents):
        a = agents[agent_id]
        _close(a, as_of, lo, hi)
        if a.seen or any(a.times):
            rows.append(make_row(agent_id, a.times, a.nr, a))
    return rows
