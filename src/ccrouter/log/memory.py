"""An in-memory event log: fast, for tests, simulations and embedding without durability."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ccrouter.events import Event
from ccrouter.log.base import check_batch

__all__ = ["MemoryEventLog"]


class MemoryEventLog:
    """An :class:`~ccrouter.log.base.EventLog` held in a Python list.

    >>> from ccrouter.events import AgentReady
    >>> log = MemoryEventLog()
    >>> log.append([AgentReady(seq=1, at=0.0, agent_id="a")])
    1
    >>> [e.agent_id for e in log.read()]
    ['a']
    """

    def __init__(self, events: Sequence[Event] = ()) -> None:
        self._events: list[Event] = []
        if events:
            self.append(events)

    @property
    def version(self) -> int:
        return len(self._events)

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append a batch; O(len(events))."""
        check_batch(events, len(self._events), expected_version)
        self._events.extend(events)
        return len(self._events)

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Yield events with ``start <= seq < stop``; O(1) to start."""
        end = len(self._events) if stop is None else min(stop - 1, len(self._events))
        for i in range(max(start, 1) - 1, end):
            yield self._events[i]

    def close(self) -> None:
        pass
