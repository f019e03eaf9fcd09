"""Helpers for the statistics tests: a terse event-log builder and one hand-worked scenario.

The scenario (interval 900 s, threshold 20 s, window [0, 1800]) and the figures derived from it
by hand are written out in the comments of :func:`scenario`; the tests assert those figures.
"""

from __future__ import annotations

from typing import Any

from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    WrapUpEnded,
)


class LogBuilder:
    """Appends events with consecutive ``seq`` numbers."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def _add(self, cls: Any, at: float, **fields: Any) -> LogBuilder:
        self.events.append(cls(seq=len(self.events) + 1, at=float(at), **fields))
        return self

    def login(self, at: float, agent: str, capacity: dict[str, int] | None = None) -> LogBuilder:
        cap = {"voice": 1} if capacity is None else capacity
        return self._add(AgentLoggedIn, at, agent_id=agent, skills={}, capacity=cap)

    def ready(self, at: float, agent: str) -> LogBuilder:
        return self._add(AgentReady, at, agent_id=agent)

    def not_ready(self, at: float, agent: str, reason: str) -> LogBuilder:
        return self._add(AgentNotReady, at, agent_id=agent, reason=reason)

    def logout(self, at: float, agent: str) -> LogBuilder:
        return self._add(AgentLoggedOut, at, agent_id=agent)

    def queued(
        self, at: float, iid: str, queue: str = "sales", channel: str = "voice"
    ) -> LogBuilder:
        return self._add(InteractionQueued, at, interaction_id=iid, queue=queue, channel=channel)

    def offer(self, at: float, iid: str, agent: str) -> LogBuilder:
        return self._add(InteractionOffered, at, interaction_id=iid, agent_id=agent)

    def accept(self, at: float, iid: str, agent: str) -> LogBuilder:
        return self._add(OfferAccepted, at, interaction_id=iid, agent_id=agent)

    def decline(self, at: float, iid: str, agent: str) -> LogBuilder:
        return self._add(OfferDeclined, at, interaction_id=iid, agent_id=agent)

    def time_out(self, at: float, iid: str, agent: str) -> LogBuilder:
        return self._add(OfferTimedOut, at, interaction_id=iid, agent_id=agent)

    def revoke(self, at: float, iid: str, agent: str, reason: str = "logout") -> LogBuilder:
        return self._add(OfferRevoked, at, interaction_id=iid, agent_id=agent, reason=reason)

    def complete(
        self, at: float, iid: str, agent: str, wrap_until: float | None = None
    ) -> LogBuilder:
        until = at if wrap_until is None else wrap_until
        return self._add(
            InteractionCompleted, at, interaction_id=iid, agent_id=agent, wrap_up_until=until
        )

    def wrap_end(self, at: float, iid: str, agent: str) -> LogBuilder:
        return self._add(WrapUpEnded, at, interaction_id=iid, agent_id=agent)

    def abandon(self, at: float, iid: str, agent: str | None = None) -> LogBuilder:
        return self._add(InteractionAbandoned, at, interaction_id=iid, agent_id=agent)


def scenario() -> list[Event]:
    """Three agents, seven interactions, two 15-minute intervals; every edge case of the issue.

    Timeline (seconds):

    - ann (voice 1): login+ready 0. c1 offered 10, accepted 15 (wait 5), completed 315 with
      wrap-up to 345, wrap-up ended 345; c3 offered 345, accepted 350 (wait 320), completed 650
      without wrap-up; c6 offered 1000, declined 1005; not ready "break" 1005 to the end.
    - bob (voice 1): login 0 (not ready, no reason), ready 100; c3 offered 100, timed out 110
      (a miss); not ready "no_answer" 110 to the end.
    - carl (chat 3): login+ready 800; c4 offered 880, customer abandons while it rings 890
      (wait 10: a short abandon); c5 offered 895, accepted 905 (wait 15, spans intervals),
      completed 1000 with wrap-up to 1060, logs out at 1030 (wrap-up ends early: 30 s).
    - c2 (sales/voice) arrives 20, abandons from the queue at 50 (wait 30).
    - c7 (sales/voice) arrives 1700 and still waits at 1800.

    Interval 0 = [0, 900), interval 1 = [900, 1800).
    """
    b = LogBuilder()
    b.login(0, "ann").ready(0, "ann").login(0, "bob")
    b.queued(10, "c1").offer(10, "c1", "ann").accept(15, "c1", "ann")
    b.queued(20, "c2")
    b.queued(30, "c3")
    b.abandon(50, "c2")
    b.ready(100, "bob").offer(100, "c3", "bob")
    b.time_out(110, "c3", "bob").not_ready(110, "bob", "no_answer")
    b.complete(315, "c1", "ann", wrap_until=345)
    b.wrap_end(345, "c1", "ann").offer(345, "c3", "ann").accept(350, "c3", "ann")
    b.complete(650, "c3", "ann")
    b.login(800, "carl", {"chat": 3}).ready(800, "carl")
    b.queued(880, "c4", "support", "chat").offer(880, "c4", "carl")
    b.abandon(890, "c4", "carl")
    b.queued(890, "c5", "support", "chat").offer(895, "c5", "carl")
    b.accept(905, "c5", "carl")
    b.queued(1000, "c6").offer(1000, "c6", "ann")
    b.complete(1000, "c5", "carl", wrap_until=1060)
    b.decline(1005, "c6", "ann").not_ready(1005, "ann", "break")
    b.wrap_end(1030, "c5", "carl").logout(1030, "carl")
    b.abandon(1100, "c6")
    b.queued(1700, "c7")
    return b.events
