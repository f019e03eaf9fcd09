"""Real-time queue state: the counters of one (queue, channel) and the interactions not yet
finished. Private: the state behind :class:`~ccrouter.stats.realtime.RealtimeStats`.

Each queue keeps its unanswered interactions in arrival order (``order``) so that the longest
wait is the age of the first one. Answered, abandoned or moved interactions are only marked
``done`` and dropped once they reach the front (:func:`drop_answered`), which keeps every update
O(1) amortized. The last ``window`` answers (their times and waits) feed the estimated wait.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ccrouter.stats.definitions import LIVE, counter_names, zero_setter

__all__ = [
    "LiveInteraction",
    "QueueCounters",
    "check_queue",
    "drop_answered",
    "insert_by_arrival",
    "wait_estimate",
]


class QueueCounters:
    """Counters of one (queue, channel), cumulative since the projection started: one slot
    per live counter of :data:`ccrouter.stats.definitions.COUNTERS`, plus the arrival order and
    the recent answers."""

    __slots__ = (*counter_names(LIVE), "order", "recent_answers", "recent_waits")

    def __init__(self, window: int) -> None:
        _set_zeros(self)
        self.order: deque[LiveInteraction] = deque()
        """Unanswered interactions in arrival order, with lazily removed answered ones."""
        self.recent_answers: deque[float] = deque(maxlen=window)
        self.recent_waits: deque[float] = deque(maxlen=window)

    if TYPE_CHECKING:  # the counter slots, read and written by name (typed for mypy)

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...


_set_zeros = zero_setter(LIVE)


class LiveInteraction:
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

    def __init__(self, queue: QueueCounters, queued_at: float, channel: str = "") -> None:
        self.queue = queue
        self.channel = channel
        self.queued_at = queued_at
        self.ringing = False
        self.done = False
        """Answered or abandoned: no longer waiting."""
        self.accepted_at = queued_at
        self.completed_at = queued_at
        self.paused_at = queued_at


def drop_answered(q: QueueCounters) -> None:
    """Pop the ``done`` interactions off the front of ``q.order``, so that its first entry is
    the oldest unanswered one."""
    order = q.order
    while order and order[0].done:
        order.popleft()


def insert_by_arrival(q: QueueCounters, live: LiveInteraction) -> None:
    """Put ``live`` into ``q.order`` behind every interaction that arrived no later than it.

    An interaction moved here with its original arrival time may be older than some already
    waiting; scanning from the back is short when, as usual, it is the youngest.
    """
    order, i = q.order, len(q.order)
    while i > 0 and order[i - 1].queued_at > live.queued_at:
        i -= 1
    order.insert(i, live)


def wait_estimate(q: QueueCounters) -> float | None:
    """Estimated wait of an interaction arriving now in ``q`` (the method is documented on
    :meth:`~ccrouter.stats.realtime.RealtimeStats.estimated_wait`). O(window)."""
    ahead: int = q.waiting + q.offering
    if ahead == 0:
        return sum(q.recent_waits) / len(q.recent_waits) if q.recent_waits else None
    k = len(q.recent_answers)
    if k < 2:
        return None
    return (ahead + 1) * (q.recent_answers[-1] - q.recent_answers[0]) / (k - 1)


def check_queue(q: QueueCounters) -> None:
    """Verify ``q``'s invariants (for tests). O(len(q.order))."""
    unanswered = [x for x in q.order if not x.done]
    assert len(unanswered) == q.waiting + q.offering, (len(unanswered), q.waiting)
    assert sum(x.ringing for x in unanswered) == q.offering
    assert not q.order or not q.order[0].done
    times = [x.queued_at for x in q.order]
    assert times == sorted(times)
