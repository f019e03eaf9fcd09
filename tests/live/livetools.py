"""Helpers for the live runtime's tests: a fake clock, logs that are slow or fail."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Sequence

from ccrouter import Router, RouterConfig
from ccrouter.errors import StorageFull
from ccrouter.events import Event
from ccrouter.log import MemoryEventLog


class FakeClock:
    """A clock a test moves by hand (thread-safe)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def set(self, now: float) -> None:
        with self._lock:
            self.now = now


class HookedLog(MemoryEventLog):
    """A memory log that calls ``before(events)`` before storing a batch and ``after(events)``
    after (either may raise: a failed append, or one whose outcome is unknown)."""

    def __init__(
        self,
        before: Callable[[Sequence[Event]], None] | None = None,
        after: Callable[[Sequence[Event]], None] | None = None,
    ) -> None:
        super().__init__()
        self.before, self.after = before, after

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        if self.before is not None:
            self.before(events)
        version = super().append(events, expected_version=expected_version)
        if self.after is not None:
            self.after(events)
        return version


def full_disk(events: Sequence[Event]) -> None:
    raise StorageFull(errno.ENOSPC, "injected: disk full")


def timed_config(offer_timeout: float | None = 10.0, wrap_up: float = 0.0) -> RouterConfig:
    return RouterConfig.from_dict(
        {
            "queues": {
                "default": {"offer_timeout": offer_timeout, "wrap_up": wrap_up},
                "vip": {"offer_timeout": offer_timeout, "wrap_up": wrap_up},
            }
        }
    )


def router(offer_timeout: float | None = 10.0, log: object = None, **config: float) -> Router:
    if log is None:
        return Router(timed_config(offer_timeout, **config), backend="python")
    return Router(timed_config(offer_timeout, **config), log=log, backend="python")  # type: ignore[arg-type]
