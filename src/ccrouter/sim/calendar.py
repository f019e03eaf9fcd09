"""A virtual-time event calendar: a binary heap of ``(time, order, kind, a, b)`` entries.

Entries at the same time come out in the order they were scheduled (the counter breaks ties),
so a run is fully determined by what was scheduled.

>>> cal = Calendar()
>>> cal.schedule(5.0, 1, "b")
>>> cal.schedule(2.0, 0, "a")
>>> cal.schedule(5.0, 2, "c")
>>> [cal.pop()[2:4] for _ in range(len(cal))]
[(0, 'a'), (1, 'b'), (2, 'c')]
"""

from __future__ import annotations

import heapq
from typing import Any

__all__ = ["Calendar"]

Entry = tuple[float, int, int, Any, Any]


class Calendar:
    """Future actions of the simulation, earliest first (O(log n) schedule and pop)."""

    __slots__ = ("_count", "_heap")

    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._count = 0

    def schedule(self, at: float, kind: int, a: Any = None, b: Any = None) -> None:
        """Add an action ``kind`` with two payload values at time ``at``."""
        self._count += 1
        heapq.heappush(self._heap, (at, self._count, kind, a, b))

    def peek_time(self) -> float | None:
        """The time of the earliest entry (``None`` when empty)."""
        return self._heap[0][0] if self._heap else None

    def pop(self) -> Entry:
        """Remove and return the earliest entry."""
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
