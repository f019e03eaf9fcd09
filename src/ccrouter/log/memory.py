"""An in-memory event log: fast, for tests, simulations and embedding without durability."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from itertools import islice

from ccrouter.errors import InvalidArgument
from ccrouter.events import Event
from ccrouter.log.base import check_batch
from ccrouter.log.chain import GENESIS, extend_events

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
        # Check-then-extend must be atomic so that of two racing appends exactly one wins.
        self._lock = threading.Lock()
        # The history chain after each event (ccrouter.log.chain), filled on first use only:
        # appends stay as cheap as a list extend for simulations that never snapshot.
        self._chains: list[bytes] = []
        if events:
            self.append(events)

    @property
    def version(self) -> int:
        return len(self._events)

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append a batch; O(len(events)). Safe to call from several threads."""
        with self._lock:
            check_batch(events, len(self._events), expected_version)
            self._events.extend(events)
            return len(self._events)

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Return the events with ``start <= seq < stop`` as the log is when called.

        O(1) to start from the first event (a view, not a copy); from a later one, O(events
        read) (the slice's references are copied: a view would step over every event before
        ``start``, which costs more on a long log than the few events an explanation reads).
        """
        events = self._events
        end = len(events) if stop is None else max(0, min(stop - 1, len(events)))
        first = min(max(start, 1) - 1, end)
        return iter(events[first:end]) if first else islice(events, 0, end)

    def chain_at(self, version: int) -> bytes:
        """The history chain of the first ``version`` events (:mod:`ccrouter.log.chain`).

        Computed on first use and kept: O(events not hashed yet), then O(1).

        Raises:
            InvalidArgument: ``version`` is negative or beyond the log.
        """
        with self._lock:
            events = self._events
            if not 0 <= version <= len(events):
                msg = f"version must be in 0..{len(events)} (the log's version), got {version}"
                raise InvalidArgument(msg)
            chains = self._chains
            chain = chains[-1] if chains else GENESIS
            for event in events[len(chains) : version]:
                chain = extend_events(chain, (event,))
                chains.append(chain)
            return chains[version - 1] if version else GENESIS

    def close(self) -> None:
        pass
