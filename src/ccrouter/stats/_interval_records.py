"""Interval report records: the counters of one (interval, group), one interaction's
arrival and attribution, and an agent's status time per interval. Private: the state behind
:func:`~ccrouter.stats.interval.interval_report`, filled by ``_interval_fold``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeAlias

from ccrouter.stats._common import LOGGED_OUT, NOT_READY, AgentTrack
from ccrouter.stats.definitions import INTERVAL, counter_names, zero_setter

__all__ = ["EMPTY", "STAFFED", "AgentTimes", "Counts", "Ix", "Key"]

Key: TypeAlias = tuple[int, str | None, str | None, str | None]
"""(interval index, queue, channel, agent); the names not grouped by are ``None``."""


class Counts:
    """Counters of one (interval, group): one slot per interval counter of
    :data:`ccrouter.stats.definitions.COUNTERS`."""

    __slots__ = counter_names(INTERVAL)

    __init__ = zero_setter(INTERVAL)

    if TYPE_CHECKING:  # the slots the fold reads and writes by name (typed for mypy)

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...


class Ix:
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
        self, queued_at: float, bucket: int | None, counts: Counts | None, channel: str = ""
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


class AgentTimes(AgentTrack):
    """An agent's status plus its time per interval; ``acc`` caches the times of the interval
    ``[acc_start, acc_end)`` touched last (most segments fall inside it)."""

    __slots__ = ("acc", "acc_end", "acc_start", "agent_id", "buckets")

    def __init__(self, agent_id: str, at: float) -> None:
        super().__init__(at)
        self.agent_id = agent_id
        self.buckets: dict[int, list[float]] = {}
        self.acc = [0.0] * 6
        self.acc_start = self.acc_end = math.inf


STAFFED = tuple(s not in (LOGGED_OUT, NOT_READY) for s in range(6))
"""Statuses that count towards staffed time, indexed by status code."""


EMPTY = Counts()
"""The counters of a group with no arrival in an interval (shared: only ever read)."""
