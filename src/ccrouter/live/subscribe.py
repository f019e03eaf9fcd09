"""Pushed events: subscriptions to a live router's event stream.

A :class:`Hub` owns one dispatcher thread. The runtime hands it every batch once the log has
acknowledged it (so a subscriber never sees an event a crash could take back), in the order
of the log; the dispatcher hands each subscription the events that match its filter. One
thread and one queue give every subscriber the log's order, each event once.

A subscription is either a callback (called on the dispatcher thread: keep it short, hand
heavy work to a queue of your own) or an iterator, synchronous (``for event in sub``) or
asynchronous (``async for event in sub``, fed through the event loop it was made on).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

from ccrouter.errors import InvalidArgument
from ccrouter.events import Event, InteractionQueued

__all__ = ["Hub", "Subscription"]

_LOG = logging.getLogger("ccrouter.live")
_CHUNK = 4096
"""Events read from the log at a time when a subscription resumes from a ``seq``."""


class Subscription:
    """The events of one subscriber, in ``seq`` order, each once.

    Made by :meth:`ccrouter.live.LiveRouter.subscribe` (or the asyncio front's); filters
    combine with *and*: ``kinds`` (event kinds, e.g. ``{"interaction_offered"}``), ``agent``
    (events naming that agent as ``agent_id``, ``to_agent`` or in ``agent_ids``), ``queue``
    (events of interactions in that queue: the queue the hub last saw the interaction in).

    Attributes:
        seq: the seq of the last event handed to the subscriber (matching or not, the
            subscription has seen the stream up to here): resume with ``since=seq``.
        errors: how many times the callback raised (each is logged; the event is not
            delivered again).
    """

    def __init__(
        self,
        *,
        kinds: Collection[str] | None = None,
        agent: str | None = None,
        queue: str | None = None,
        callback: Callable[[Event], object] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        since: int | None = None,
    ) -> None:
        if kinds is not None and (isinstance(kinds, str) or not all(type(k) is str for k in kinds)):
            msg = f"kinds must be a collection of event kinds (strings), got {kinds!r}"
            raise InvalidArgument(msg)
        for name, value in (("agent", agent), ("queue", queue)):
            if value is not None and (type(value) is not str or not value):
                msg = f"{name} must be a non-empty string or None, got {value!r}"
                raise InvalidArgument(msg)
        if since is not None and (type(since) is not int or since < 0):
            msg = f"since must be a seq (an int >= 0) or None, got {since!r}"
            raise InvalidArgument(msg)
        self.kinds = None if kinds is None else frozenset(kinds)
        self.agent, self.queue = agent, queue
        self.plain = kinds is None and agent is None and queue is None
        """No filter: every event."""
        self.since = since
        """Where it started: after this seq (``None``: the log's version when it subscribed)."""
        self.seq = 0 if since is None else since
        self.errors = 0
        self._callback = callback
        self._loop = loop
        self._buffer: collections.deque[Event] = collections.deque()
        self._ready = threading.Condition()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._hub: Hub | None = None
        self._counted = False

    # --- filter ------------------------------------------------------------------------------

    def matches(self, event: Event, queue_of: Callable[[str], str | None]) -> bool:
        """Whether ``event`` passes this subscription's filters."""
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        if self.agent is not None:
            named = (getattr(event, "agent_id", None), getattr(event, "to_agent", None))
            if self.agent not in named and self.agent not in getattr(event, "agent_ids", ()):
                return False
        if self.queue is not None:
            own = getattr(event, "queue", None)
            if own != self.queue and getattr(event, "from_queue", None) != self.queue:
                iid = getattr(event, "interaction_id", None)
                if own is not None or iid is None or queue_of(iid) != self.queue:
                    return False
        return True

    # --- the dispatcher's side ----------------------------------------------------------------

    def _deliver(self, events: Sequence[Event]) -> None:
        """Hand over ``events`` (already filtered; dispatcher thread only)."""
        if self._callback is not None:
            for event in events:
                if self._closed:
                    return
                try:
                    self._callback(event)
                except Exception:  # a subscriber's bug must not stop the others' delivery
                    self.errors += 1
                    _LOG.exception("subscriber callback raised on event seq %d", event.seq)
            return
        with self._ready:
            self._buffer.extend(events)
            self._ready.notify_all()
        self._wake_async()

    def _end(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        self._wake_async()

    def _wake_async(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
                loop.call_soon_threadsafe(self._set_waiter)

    def _set_waiter(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- the subscriber's side ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """``True`` once closed (by :meth:`close` or the router's shutdown)."""
        return self._closed

    def close(self) -> None:
        """Stop delivery; an iterator ends after the events already buffered."""
        hub = self._hub
        if hub is not None:
            hub.detach(self)
        self._end()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to ``timeout`` seconds (``None``: for ever); ``None``
        when none came in time or the subscription is closed and drained.

        Raises:
            InvalidArgument: a callback subscription (its events go to the callback).
        """
        if self._callback is not None:
            raise InvalidArgument("get: this subscription delivers to its callback")
        with self._ready:
            if not self._buffer and not self._closed:
                self._ready.wait(timeout)
            return self._buffer.popleft() if self._buffer else None

    def drain(self) -> list[Event]:
        """Every event buffered now, without waiting."""
        with self._ready:
            out = list(self._buffer)
            self._buffer.clear()
            return out

    def __iter__(self) -> Iterator[Event]:
        while True:
            event = self.get()
            if event is None:
                return
            yield event

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        if self._loop is None:
            raise InvalidArgument("async iteration needs a subscription made on an event loop")
        while True:
            with self._ready:
                if self._buffer:
                    return self._buffer.popleft()
                if self._closed:
                    raise StopAsyncIteration
                self._waiter = self._loop.create_future()
                waiter = self._waiter
            await waiter


class Hub:
    """The dispatcher: one thread handing acknowledged batches to subscriptions in order.

    Args:
        read: reads events ``[start, stop)`` from the log (for subscriptions that resume).
        queues: each live interaction's queue now (for the ``queue`` filter).
    """

    def __init__(self, read: Callable[[int, int], Iterable[Event]], queues: dict[str, str]) -> None:
        self._read = read
        self._queue_of = queues
        self._subs: list[Subscription] = []
        self._count = 0  # subscriptions attached and not yet detached
        self._queue_count = 0  # of which with a `queue` filter (the queue map is kept for them)
        self._count_lock = threading.Lock()
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="ccrouter-live-hub", daemon=True)
        self._thread.start()

    @property
    def listening(self) -> bool:
        """Whether any subscription is attached (else batches need not be published)."""
        return self._count > 0

    @property
    def tracks_queues(self) -> bool:
        """Whether the map of the interactions' queues is kept up to date (for a subscription
        with a ``queue`` filter); else a new one must bring the map (see :meth:`attach`)."""
        return self._queue_count > 0

    def publish(self, batch: Sequence[Event]) -> None:
        """Queue an acknowledged batch (call in log order, e.g. under the router's lock)."""
        self._inbox.put(("batch", batch))

    def attach(self, sub: Subscription, version: int, queues: dict[str, str] | None = None) -> None:
        """Start delivering to ``sub``: first the log's events after ``sub.seq`` up to
        ``version`` (the log's version when it subscribed, read under the router's lock so
        that every later batch is published after this call), then every later batch.
        ``queues``: each interaction's queue at ``version``, when the hub's map is not kept
        (:attr:`tracks_queues` is false) and ``sub`` filters by queue."""
        sub._hub = self
        with self._count_lock:
            self._count += 1
            self._queue_count += sub.queue is not None
            sub._counted = True
        self._inbox.put(("attach", (sub, version, queues)))

    def detach(self, sub: Subscription) -> None:
        """Stop delivering to ``sub``."""
        self._uncount(sub)
        self._inbox.put(("detach", sub))

    def _uncount(self, sub: Subscription) -> None:
        with self._count_lock:
            if sub._counted:
                sub._counted = False
                self._count -= 1
                self._queue_count -= sub.queue is not None

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued, end every subscription, stop the thread."""
        self._inbox.put(("stop", None))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything published so far was delivered; ``False`` on timeout.

        Raises:
            InvalidArgument: called from a subscriber's callback (it would wait for itself).
        """
        if threading.current_thread() is self._thread:
            raise InvalidArgument(
                "flush: called from a subscriber callback, it would wait for itself"
            )
        done = threading.Event()
        self._inbox.put(("flush", done))
        return done.wait(timeout)

    # --- the dispatcher thread ---------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            what, item = self._inbox.get()
            if what == "batch":
                self._dispatch(item)
            elif what == "attach":
                sub, version, queues = item
                if queues is not None:
                    self._queue_of = queues
                self._catch_up(sub, version)
                if not sub.closed:
                    self._subs.append(sub)
                else:
                    self._uncount(sub)
            elif what == "detach":
                if item in self._subs:
                    self._subs.remove(item)
            elif what == "flush":
                item.set()
            else:  # stop
                for sub in self._subs:
                    sub._end()
                self._subs.clear()
                return

    def _dispatch(self, batch: Sequence[Event]) -> None:
        for event in batch if self._queue_count else ():  # only queue filters need the map
            if type(event) is InteractionQueued:
                self._queue_of[event.interaction_id] = event.queue
            elif (moved := getattr(event, "queue", None)) is not None and hasattr(
                event, "interaction_id"
            ):
                self._queue_of[event.interaction_id] = moved
        for sub in self._subs:
            self._hand(sub, batch, self._queue_of.get)

    def _catch_up(self, sub: Subscription, version: int) -> None:
        """Deliver the log's events after ``sub.seq`` up to ``version`` to ``sub`` alone."""
        if sub.seq >= version:
            sub.seq = max(sub.seq, version)
            return
        seen: dict[str, str] = {}  # queues as of the backlog's events, over today's

        def queue_of(iid: str) -> str | None:
            return seen.get(iid, self._queue_of.get(iid))

        start = sub.seq + 1
        while start <= version and not sub.closed:
            stop = min(start + _CHUNK, version + 1)
            try:
                chunk = list(self._read(start, stop))
            except Exception:  # the log failed: the subscription cannot be exact, end it
                _LOG.exception("reading the log to resume a subscription from seq %d", start)
                sub._end()
                return
            for event in chunk:
                if type(event) is InteractionQueued:
                    seen[event.interaction_id] = event.queue
            self._hand(sub, chunk, queue_of)
            start = stop

    @staticmethod
    def _hand(
        sub: Subscription, batch: Sequence[Event], queue_of: Callable[[str], str | None]
    ) -> None:
        if sub.closed or not batch:
            return
        fresh = batch
        if batch[0].seq <= sub.seq:  # each event once, even if sent twice
            fresh = [e for e in batch if e.seq > sub.seq]
            if not fresh:
                return
        picked = fresh if sub.plain else [e for e in fresh if sub.matches(e, queue_of)]
        sub.seq = fresh[-1].seq
        if picked:
            sub._deliver(picked)
