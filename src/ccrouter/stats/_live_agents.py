"""Real-time agent state: every agent's tally, and agent time per status so far in O(1).
Private: the state behind :class:`~ccrouter.stats.realtime.RealtimeStats`.

Adding up each agent's open segment at query time would cost O(agents). Instead the time spent
in each status is kept as the closed segments plus, for the open ones, the number of agents in
the status and the sum of their segment starts: at ``at`` the open time of a status is
``count · (at − t0) − Σ starts``. Starts are stored relative to ``t0`` (the first event) to keep
the numbers small.
"""

from __future__ import annotations

from ccrouter.errors import UnknownAgent
from ccrouter.stats._common import (
    BUSY,
    HANDLING,
    LOGGED_OUT,
    NOT_READY,
    READY,
    RESERVED,
    STATUS_NAMES,
    WRAP_UP,
)
from ccrouter.stats.agents import AgentRow, AgentTally, make_row

__all__ = ["LiveAgents", "row_so_far"]


class LiveAgents:
    """Every agent named by an event so far, and agent time per displayed status."""

    __slots__ = ("closed", "count", "since_sum", "t0", "tallies")

    def __init__(self) -> None:
        self.tallies: dict[str, AgentTally] = {}
        self.t0 = 0.0
        """Time of the first event: segment starts are stored relative to it."""
        self.closed = [0.0] * 6
        """Per status code: time of the segments already ended."""
        self.count = [0] * 6
        """Per status code: agents in that status now."""
        self.since_sum = [0.0] * 6
        """Per status code: sum of the open segments' starts (relative to ``t0``)."""

    def tally(self, agent_id: str, at: float) -> AgentTally:
        """The agent's tally; a new agent starts logged out at ``at``."""
        a = self.tallies.get(agent_id)
        if a is None:
            a = self.tallies[agent_id] = AgentTally(at)
            self.count[LOGGED_OUT] += 1
            self.since_sum[LOGGED_OUT] += at - self.t0
        return a

    def update(self, a: AgentTally, at: float) -> None:
        """Re-derive ``a``'s status after a change; on a new status (or not-ready reason),
        close the old segment at ``at`` and open the new one."""
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
        t0 = self.t0
        count, since_sum = self.count, self.since_sum
        self.closed[old] += d
        count[old] -= 1
        since_sum[old] -= since - t0
        count[status] += 1
        since_sum[status] += at - t0
        a.status, a.seg_reason, a.since = status, a.reason, at

    def find(self, agent_id: str) -> AgentTally:
        """The agent's tally.

        Raises:
            UnknownAgent: no event ever named this agent.
        """
        a = self.tallies.get(agent_id)
        if a is None:
            msg = f"no event named agent {agent_id!r}"
            raise UnknownAgent(msg)
        return a

    def status_time(self, status: int, at: float) -> float:
        """Time all agents spent in ``status`` up to ``at``. O(1)."""
        open_time = self.count[status] * (at - self.t0) - self.since_sum[status]
        return self.closed[status] + open_time

    def handling_and_staffed(self, at: float) -> tuple[float, float]:
        """Agent time up to ``at`` reserved, busy or in wrap-up, and that plus ready time."""
        handling = sum(self.status_time(s, at) for s in HANDLING)
        return handling, handling + self.status_time(READY, at)

    def by_status(self) -> dict[str, int]:
        """Number of known agents in each displayed status."""
        return dict(zip(STATUS_NAMES, self.count, strict=True))

    def check(self) -> None:
        """Verify the invariants (for tests). O(agents)."""
        counts = [0] * 6
        for a in self.tallies.values():
            assert a.status == a.derive(), (a.status, a.derive())
            counts[a.status] += 1
            assert min(a.offers, a.busy, a.wrap) >= 0
        assert counts == self.count, (counts, self.count)


def row_so_far(agent_id: str, a: AgentTally, at: float) -> AgentRow:
    """``a``'s report row with its open status segment counted up to ``at``."""
    times = list(a.times)
    nr = dict(a.nr)
    if a.status != LOGGED_OUT:
        times[a.status] += at - a.since
        if a.status == NOT_READY:
            nr[a.seg_reason] = nr.get(a.seg_reason, 0.0) + (at - a.since)
    return make_row(agent_id, times, nr, a)
