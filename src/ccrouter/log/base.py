"""The event-log interface every store implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from ccrouter.errors import ConcurrencyConflict, InvalidArgument
from ccrouter.events import Event

__all__ = ["EventLog", "check_batch"]


@runtime_checkable
class EventLog(Protocol):
    """An append-only, ordered log of events.

    The version of a log is the number of events in it, which is also the ``seq`` of its last
    event (sequence numbers start at 1 and have no gaps).
    """

    @property
    def version(self) -> int:
        """Number of events stored (= ``seq`` of the last one, 0 when empty)."""
        ...

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append a batch atomically (all or nothing) and return the new version.

        Raises:
            ConcurrencyConflict: ``expected_version`` is given and differs from ``version``.
            InvalidArgument: the batch's ``seq`` numbers do not continue the log without gaps.
        """
        ...

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Yield events with ``start <= seq < stop`` (``stop=None``: to the end), in order."""
        ...

    def close(self) -> None:
        """Release files, connections and locks. Idempotent."""
        ...


def check_batch(events: Sequence[Event], version: int, expected_version: int | None) -> None:
    """Validate a batch against the log's current ``version`` (shared by every store).

    A batch whose first ``seq`` is at or below the current version was built by a writer that
    had not seen the latest events (it lost a race), so it is a :class:`ConcurrencyConflict`
    even without ``expected_version``; a batch that would leave a gap is an
    :class:`InvalidArgument`. Both are ``ValueError``.

    >>> from ccrouter.events import AgentReady
    >>> check_batch([AgentReady(seq=1, at=0.0, agent_id="a")], 0, None)
    >>> try:
    ...     check_batch([AgentReady(seq=1, at=0.0, agent_id="a")], 1, None)
    ... except ConcurrencyConflict as exc:
    ...     print(exc.expected, exc.actual)
    0 1
    """
    if expected_version is not None and expected_version != version:
        msg = f"expected log version {expected_version}, but the log is at version {version}"
        raise ConcurrencyConflict(msg, expected=expected_version, actual=version)
    if events and events[0].seq <= version:
        first = events[0].seq
        msg = (
            f"the batch starts at seq {first}, so it expects log version {first - 1}, "
            f"but the log is at version {version}"
        )
        raise ConcurrencyConflict(msg, expected=first - 1, actual=version)
    for offset, event in enumerate(events):
        if event.seq != version + 1 + offset:
            msg = (
                f"event at batch position {offset} has seq {event.seq}; "
                f"expected {version + 1 + offset} to continue the log without gaps"
            )
            raise InvalidArgument(msg)
