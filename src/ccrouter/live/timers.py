"""Timers that fire by themselves: a thread that sleeps until the router's next due time and
then calls :meth:`~ccrouter.live.runtime.LiveRouter.advance`.

It wakes early when a command changes the next due time (a new offer with a timeout, a
wrap-up), and at least every ``max_sleep`` seconds, so a clock that jumps (or a fake clock in
a test) is noticed without a command.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ccrouter.errors import CCRouterError, InvalidArgument, RuntimeClosed

if TYPE_CHECKING:
    from ccrouter.live.runtime import LiveRouter

__all__ = ["TimerThread"]

_LOG = logging.getLogger("ccrouter.live")


class TimerThread:
    """Fires a :class:`~ccrouter.live.runtime.LiveRouter`'s timers at their due time.

    ``LiveRouter(timers=True)`` (the default) starts one; :meth:`close` stops it.

    Attributes:
        fired: how many ``advance`` calls it made that appended events.
        failures: how many ``advance`` calls raised (logged; retried ``max_sleep`` later).
    """

    def __init__(self, live: LiveRouter, *, max_sleep: float = 1.0) -> None:
        if not (isinstance(max_sleep, int | float) and 0 < max_sleep <= 3600):
            msg = f"max_sleep must be seconds in (0, 3600], got {max_sleep!r}"
            raise InvalidArgument(msg)
        self._live = live
        self._max_sleep = float(max_sleep)
        self._wake = threading.Event()
        # When the thread will wake by itself (clock time), or None while it is awake and
        # about to read the next due time. A due time at or after it needs no wake-up: the
        # thread finds it then. Waking a thread per offer would cost the command more than
        # the rest of the runtime (the interpreter lock changes hands twice).
        self._until: float | None = None
        self._stop = False
        self.fired = 0
        self.failures = 0
        live._add_due_listener(self.wake)
        self._thread = threading.Thread(target=self._loop, name="ccrouter-live-timers", daemon=True)
        self._thread.start()

    def wake(self, due: float | None = None) -> None:
        """Re-read the next due time and the clock now (a command changed them).

        Args:
            due: the new next due time; when given and not before the time the thread will
                wake anyway, it is left asleep.
        """
        until = self._until
        if due is None or until is None or due < until or self._clock_reached(until):
            self._wake.set()

    def _clock_reached(self, until: float) -> bool:
        # A clock that jumped (a fake one in a test) may be past the sleep's end already.
        try:
            return bool(self._live.clock() >= until)
        except Exception:
            return True  # a broken clock: wake the thread, which logs it

    def close(self, timeout: float | None = None) -> None:
        """Stop the thread (waits up to ``timeout`` for a running ``advance`` to end)."""
        self._stop = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def _loop(self) -> None:
        live = self._live
        while not self._stop:
            self._until = None  # awake: any change of the due time must set the event
            self._wake.clear()
            due = live.next_due()
            wait = self._max_sleep
            try:
                now = float(live.clock())
            except Exception:  # a broken clock: keep the thread, say so, try again
                _LOG.exception("the live router's clock raised")
                now = float("nan")  # compares false: no early wake-up is skipped
            if due is not None and due <= now:
                try:
                    if live.advance():
                        self.fired += 1
                    if live.next_due() != due:
                        continue  # more may be due at once: look again before sleeping
                except RuntimeClosed:
                    return
                except (CCRouterError, OSError):
                    # A store failure (full disk, lost lease): the router is unchanged;
                    # try again later rather than spin.
                    self.failures += 1
                    _LOG.exception("firing timers due at %r failed", due)
                except Exception:
                    self.failures += 1
                    _LOG.exception("firing timers due at %r failed unexpectedly", due)
            elif due is not None and due - now < wait:
                wait = due - now
            if now == now:
                self._until = now + wait
            self._wake.wait(wait)
