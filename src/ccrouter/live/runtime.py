"""The live runtime: a :class:`~ccrouter.router.Router` made safe to share inside a service.

The router itself is single-threaded (its state is a plain fold). :class:`LiveRouter` is the
imperative shell around it: one lock serialises every command and query, a clock supplies
``at``, a timer thread fires due timers by itself, and every acknowledged batch goes, in log
order, to the subscribers (:mod:`ccrouter.live.subscribe`).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from ccrouter.errors import InvalidArgument, RuntimeClosed
from ccrouter.events import Event
from ccrouter.limits import check_time
from ccrouter.live.subscribe import Hub, Subscription
from ccrouter.router import AgentView, CommandResult, InteractionView, Router

__all__ = ["Clock", "LiveRouter"]

Clock = Callable[[], float]
"""A source of the current time in seconds (``time.time``: epoch seconds)."""


class LiveRouter:
    """A router for a live service: thread-safe commands, a clock, timers that fire by
    themselves, pushed events.

    Args:
        router: the router to run (default: a new in-memory ``Router()``). Hand it over: from
            now on use it only through this object (or :meth:`locked`).
        clock: the time source (default ``time.time``, epoch seconds); inject a fake one in
            tests. A clock that steps back (an NTP correction) never raises
            ``TimeWentBackwards``: a command's time is ``max(clock(), router.now)``, so time
            stands still until the clock catches up with the router.
        timers: start the timer thread (:class:`~ccrouter.live.timers.TimerThread`) that
            fires due timers (offer timeouts, wrap-up ends, max waits ...) at their time;
            ``False`` when the asyncio front runs them as a task, or a test calls
            :meth:`advance` itself.
        max_sleep: the timer thread re-reads the clock at least this often (seconds), so a
            clock that jumps forward (or a fake one) is noticed without a command.

    Thread safety: every public method may be called from any thread. Commands run one at a
    time, in the order they take the lock; each sees the state the previous one left. A
    command's events reach the subscribers after the log acknowledged them, in log order.

    >>> live = LiveRouter(clock=lambda: 100.0, timers=False)
    >>> _ = live.login("ann", skills={}); _ = live.ready("ann")
    >>> [e.kind for e in live.submit("c1", channel="voice")], live.now
    (['interaction_queued', 'interaction_offered'], 100.0)
    >>> live.close()
    """

    def __init__(
        self,
        router: Router | None = None,
        *,
        clock: Clock = time.time,
        timers: bool = True,
        max_sleep: float = 1.0,
    ) -> None:
        if router is not None and not isinstance(router, Router):
            msg = f"router must be a Router, got {type(router).__name__}"
            raise InvalidArgument(msg)
        if not callable(clock):
            msg = f"clock must be a callable returning seconds, got {type(clock).__name__}"
            raise InvalidArgument(msg)
        self._router = router if router is not None else Router()
        self.clock = clock
        self._lock = threading.RLock()
        self._closed = False
        self._published = self._router.state.last_seq
        self._last_at = self._router.now
        self._hub = Hub(self._read, {})
        self._due_listeners: list[Callable[[float | None], None]] = []
        self._due = self._next_due_locked()
        self._timer: Any = None
        if timers:
            from ccrouter.live.timers import TimerThread  # timers builds on this module

            self._timer = TimerThread(self, max_sleep=max_sleep)

    # --- commands ----------------------------------------------------------------------------

    def run(
        self, command: str, /, *args: Any, at: float | None = None, **kwargs: Any
    ) -> CommandResult:
        """Run the router's command method ``command`` (``"submit"``, ``"accept"``, ...) with
        these arguments at the clock's time, under the lock.

        ``at``: a time to use instead of the clock's (still at least the router's time).

        Returns:
            The :class:`~ccrouter.router.CommandResult` (``repeat`` for a retried command id).

        Raises:
            RuntimeClosed: after :meth:`close`.
            CCRouterError: what the router raises; the log and state are then as before.
        """
        # The hot path of every command: kept to plain look-ups (see benchmarks/bench_live.py).
        method = _METHODS.get(command) if type(command) is str else None
        if method is None:
            method = _command(command)
        if at is not None:
            check_time(at, "at")
        lock = self._lock
        lock.acquire()
        try:
            if self._closed:
                raise RuntimeClosed(f"{command}: this LiveRouter is closed")
            now = self.clock() if at is None else at
            last = self._last_at  # the router's time: the latest `at` given to it
            if now >= last:
                last = now
            elif now != now:  # nan
                raise InvalidArgument(f"{command}: the clock returned {now!r}")
            # else the clock is behind the router (it stepped back): the router's time.
            try:
                result = method(self._router, *args, at=last, **kwargs)
            except BaseException:
                self._after_command(None)
                raise
            self._last_at = last
            seq = result.seq
            if seq > self._published:  # not for a repeat, nor a command with no event
                appended = result.appended
                if appended and appended[0].seq == self._published + 1:
                    # The common case, inline: the batch follows what was published.
                    if self._hub._count:
                        self._hub.publish(appended)
                    self._published = seq
                    timers = self._router.state.timers
                    due = timers[0][0] if timers else None
                    if due != self._due:
                        self._due_moved(due)
                else:
                    self._after_command(result)
            return result
        finally:
            lock.release()

    def login(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.login`` at the clock's time (same arguments, ``at`` optional)."""
        return self.run("login", agent_id, **kwargs)

    def ready(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.ready`` at the clock's time."""
        return self.run("ready", agent_id, **kwargs)

    def not_ready(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.not_ready`` at the clock's time."""
        return self.run("not_ready", agent_id, **kwargs)

    def logout(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.logout`` at the clock's time."""
        return self.run("logout", agent_id, **kwargs)

    def submit(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.submit`` at the clock's time."""
        return self.run("submit", interaction_id, **kwargs)

    def accept(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.accept`` at the clock's time (pass ``offer_seq=`` to refuse a stale offer)."""
        return self.run("accept", interaction_id, **kwargs)

    def decline(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.decline`` at the clock's time."""
        return self.run("decline", interaction_id, **kwargs)

    def complete(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.complete`` at the clock's time."""
        return self.run("complete", interaction_id, **kwargs)

    def abandon(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.abandon`` at the clock's time."""
        return self.run("abandon", interaction_id, **kwargs)

    def transfer(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.transfer`` at the clock's time."""
        return self.run("transfer", interaction_id, **kwargs)

    def update(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.update`` at the clock's time."""
        return self.run("update", interaction_id, **kwargs)

    def advance(self, **kwargs: Any) -> CommandResult:
        """Fire the timers due by the clock's time (the timer thread calls this)."""
        return self.run("advance", **kwargs)

    # --- queries -----------------------------------------------------------------------------

    @property
    def router(self) -> Router:
        """The wrapped router. Reading it from another thread while commands run is not
        safe: use :meth:`locked`."""
        return self._router

    @contextmanager
    def locked(self) -> Iterator[Router]:
        """Hold the lock and use the router directly (queries, statistics, explain).

        Commands through the yielded router are not published to subscribers until the next
        command of this object; prefer :meth:`run`.
        """
        with self._lock:
            yield self._router
            self._after_command(None)

    def agent(self, agent_id: str) -> AgentView:
        """``Router.agent`` under the lock."""
        with self._lock:
            return self._router.agent(agent_id)

    def interaction(self, interaction_id: str) -> InteractionView:
        """``Router.interaction`` under the lock."""
        with self._lock:
            return self._router.interaction(interaction_id)

    @property
    def now(self) -> float:
        """The router's time (the latest ``at`` used)."""
        with self._lock:
            return self._router.now

    @property
    def version(self) -> int:
        """The log's version: the seq of the last acknowledged event."""
        with self._lock:
            return self._router.state.last_seq

    def next_due(self) -> float | None:
        """When the earliest pending timer is due (``None``: no timer pending)."""
        with self._lock:
            return self._next_due_locked()

    # --- subscriptions -----------------------------------------------------------------------

    def subscribe(
        self,
        callback: Callable[[Event], object] | None = None,
        *,
        kinds: Collection[str] | None = None,
        agent: str | None = None,
        queue: str | None = None,
        since: int | None = None,
    ) -> Subscription:
        """Subscribe to the events appended from now on (or after ``since``).

        Args:
            callback: called with each matching event on the dispatcher thread; without it,
                iterate the returned subscription (``for event in sub`` or ``sub.get()``).
            kinds, agent, queue: filters (see :class:`~ccrouter.live.subscribe.Subscription`).
            since: resume after this seq: the log's events after it come first (read from
                the log, e.g. after a restart), then the live ones, none twice, none missed.

        Returns:
            The :class:`~ccrouter.live.subscribe.Subscription` (close it when done).
        """
        return self._subscribe(
            Subscription(kinds=kinds, agent=agent, queue=queue, callback=callback, since=since)
        )

    def _subscribe(self, sub: Subscription) -> Subscription:
        with self._lock:
            if self._closed:
                raise RuntimeClosed("subscribe: this LiveRouter is closed")
            if sub.since is None:
                sub.seq = self._published  # from now on
            elif sub.seq > self._published:
                msg = f"since={sub.seq} is beyond the log's version {self._published}"
                raise InvalidArgument(msg)
            # While nobody filtered by queue, the hub's map of the interactions' queues was
            # not kept (nor batches published while nobody listened): it starts again here.
            queues = None
            if sub.queue is not None and not self._hub.tracks_queues:
                queues = {iid: i.queue for iid, i in self._router.state.interactions.items()}
            self._hub.attach(sub, self._published, queues)
        return sub

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event acknowledged so far was handed to the subscribers."""
        return self._hub.flush(timeout)

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the timers, deliver what is pending, end the subscriptions.

        The log stays open (it belongs to whoever opened it); close it afterwards. Commands
        after ``close`` raise :class:`~ccrouter.errors.RuntimeClosed`. Idempotent.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._timer is not None:
            self._timer.close(timeout)
        self._notify_due()
        self._hub.close(timeout)

    @property
    def closed(self) -> bool:
        """``True`` after :meth:`close`."""
        return self._closed

    def __enter__(self) -> LiveRouter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------------------

    def _next_due_locked(self) -> float | None:
        timer = self._router.state.next_timer()
        return None if timer is None else float(timer[0])

    def _after_command(self, result: CommandResult | None) -> None:
        """Publish what the log gained (the lock is held) and wake the timers if the next
        due time changed. A command that failed may still have grown the log (an append
        whose outcome was unknown, found there when the router rebuilt): read it back."""
        state = self._router.state
        self._last_at = state.now  # `locked()` or a failed command's rebuild may have moved it
        last = state.last_seq
        published = self._published
        if last <= published:
            return  # nothing appended: the timers are as they were
        if self._hub._count:  # someone listens; else a subscriber to come reads the log
            appended = () if result is None else result.appended
            if appended and appended[0].seq == published + 1 and appended[-1].seq == last:
                batch: Sequence[Event] = appended
            else:
                batch = list(self._router.log.read(published + 1, last + 1))
            self._hub.publish(batch)
        self._published = last
        timers = state.timers
        due = timers[0][0] if timers else None
        if due != self._due:
            self._due_moved(due)

    def _due_moved(self, due: float | None) -> None:
        """The next due time changed (the lock is held)."""
        before, self._due = self._due, due
        # Only an earlier due time needs the timers awake now: a later one (or none) is
        # found when they wake for the earlier one. Waking a thread per command would cost
        # more than the command (the GIL changes hands twice).
        if due is not None and (before is None or due < before):
            self._notify_due(due)

    def _notify_due(self, due: float | None = None) -> None:
        for listener in list(self._due_listeners):
            listener(due)

    def _add_due_listener(self, listener: Callable[[float | None], None]) -> None:
        """Call ``listener`` (from any thread, lock held) whenever the next due time changes."""
        with self._lock:
            self._due_listeners.append(listener)

    def _read(self, start: int, stop: int) -> list[Event]:
        # The stores are thread-safe; reading under the lock keeps it simple for any store.
        with self._lock:
            return list(self._router.log.read(start, stop))


_QUERIES = frozenset({"fairness", "ledger"})
"""Router methods that take ``at`` but are queries, not commands."""


_METHODS: dict[str, Callable[..., CommandResult]] = {}
"""Command methods already looked up by :func:`_command`."""


def _command(name: Any) -> Callable[..., CommandResult]:
    """The router's command method ``name``: a public method with an ``at`` parameter
    (so commands added to the router later run through :meth:`LiveRouter.run` as well).

    Raises:
        InvalidArgument: ``Router`` has no such command method.
    """
    method = getattr(Router, name, None) if type(name) is str else None
    if (
        method is None
        or not callable(method)
        or name.startswith("_")
        or name in _QUERIES
        or "at" not in inspect.signature(method).parameters
    ):
        msg = f"unknown command {name!r}: expected the name of a Router command method"
        raise InvalidArgument(msg)
    _METHODS[name] = method
    return cast(Callable[..., CommandResult], method)
