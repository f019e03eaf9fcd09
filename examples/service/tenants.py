"""The example service's tenants: one :class:`~ccrouter.live.LiveRouter` and one SQLite log
per tenant, opened on first use and closed together at shutdown.

A tenant is one contact center: its own event stream, its own router, its own lock. Each has
its own database file (``DATA_DIR/<tenant>.db``) rather than a stream in a shared one, because
SQLite lets one writer at a time into a database: tenants in one file would queue behind each
other's ``fsync``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from pathlib import Path

from ccrouter import Router, RouterConfig
from ccrouter.errors import InvalidArgument, RuntimeClosed, UnknownId
from ccrouter.events import Event
from ccrouter.live import Clock, LiveRouter
from ccrouter.log import SQLiteEventLog
from ccrouter.log.file import Durability

__all__ = ["TENANT_NAME", "Feed", "Tenant", "Tenants"]

TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
"""What a tenant name may be: it names a file, so no dots, slashes or capitals."""


class Feed:
    """The events of one desktop connection, handed from the runtime's dispatcher thread to
    the event loop that serves the WebSocket.

    Args:
        loop: the loop the WebSocket runs on.
        limit: events buffered at most; a desktop that falls further behind is disconnected
            (``overflowed``) and resumes with ``since=`` from the log, so a stalled client
            cannot make the server's memory grow without bound.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = 10_000) -> None:
        self._loop = loop
        self._limit = limit
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.overflowed = False

    def push(self, event: Event) -> None:
        """Queue ``event`` (called on the dispatcher thread)."""
        self._call(self._put, event)

    def end(self) -> None:
        """Tell the connection that no more events will come (the tenant is closing)."""
        self._call(self.queue.put_nowait, None)

    def _call(self, fn: Callable[[Event | None], None], item: Event | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody listens
            self._loop.call_soon_threadsafe(fn, item)

    def _put(self, event: Event | None) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self._limit:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)


class Tenant:
    """One tenant's runtime: its live router over its own SQLite log.

    Attributes:
        name: the tenant's name.
        live: the tenant's :class:`~ccrouter.live.LiveRouter` (thread-safe).
        log: its SQLite event log (``DATA_DIR/<name>.db``).
    """

    def __init__(self, name: str, live: LiveRouter, log: SQLiteEventLog) -> None:
        self.name = name
        self.live = live
        self.log = log
        self._feeds: set[Feed] = set()
        self._lock = threading.Lock()

    def attach(self, feed: Feed) -> None:
        """Remember ``feed`` so that closing the tenant ends its connection."""
        with self._lock:
            self._feeds.add(feed)

    def detach(self, feed: Feed) -> None:
        """Forget ``feed`` (its connection ended)."""
        with self._lock:
            self._feeds.discard(feed)

    def close(self) -> None:
        """Stop the runtime (timers, subscriptions), end the desktops' feeds, close the log."""
        self.live.close()
        with self._lock:
            feeds = list(self._feeds)
        for feed in feeds:
            feed.end()
        self.log.close()


class Tenants:
    """Every tenant of the service, opened on first use.

    Args:
        data_dir: where the tenants' logs live (created if missing).
        config: the routing configuration of every tenant.
        clock: the time source of every tenant's runtime (``time.time``; a fake in tests).
        durability: the SQLite logs' durability (``"fsync"``: an acknowledged command
            survives a power loss).
        backend: the routers' selection backend (``None``: the default).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        config: RouterConfig,
        clock: Clock,
        durability: Durability = "fsync",
        backend: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.config = config
        self.clock = clock
        self.durability: Durability = durability
        self.backend = backend
        self._open: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        self._closed = False

    def get(self, name: str, *, create: bool = True) -> Tenant:
        """The tenant ``name``, opened now if it was not yet: its log is replayed, so it
        resumes where it stopped (after a restart too).

        Args:
            name: the tenant.
            create: start a tenant never seen before (a command does; a query does not).

        Raises:
            InvalidArgument: ``name`` is not a valid tenant name.
            UnknownId: ``create`` is false and the tenant has no log yet.
            RuntimeClosed: the service is shutting down.
            LogError: its log cannot be opened.
        """
        tenant = self._open.get(name)
        if tenant is not None:
            return tenant
        if TENANT_NAME.fullmatch(name) is None:
            msg = (
                f"tenant must match {TENANT_NAME.pattern} (lower-case letters, digits, - and _),"
                f" got {name!r}"
            )
            raise InvalidArgument(msg)
        # One lock for opening only: a replay runs once per tenant and process, and two
        # requests racing to open the same tenant must not open its log twice.
        with self._lock:
            if self._closed:
                raise RuntimeClosed(f"tenant {name!r}: the service is shutting down")
            tenant = self._open.get(name)
            if tenant is None:
                if not create and not self._path(name).exists():
                    raise UnknownId(f"unknown tenant {name!r}: it has recorded nothing yet")
                tenant = self._start(name)
                self._open[name] = tenant
            return tenant

    def _start(self, name: str) -> Tenant:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = SQLiteEventLog(self._path(name), durability=self.durability)
        try:
            router = Router(self.config, log=log, backend=self.backend)
            live = LiveRouter(router, clock=self.clock)
        except BaseException:
            log.close()
            raise
        return Tenant(name, live, log)

    def _path(self, name: str) -> Path:
        return self.data_dir / f"{name}.db"

    def close(self) -> None:
        """Close every tenant (commands after this raise ``RuntimeClosed``). Idempotent."""
        with self._lock:
            self._closed = True
            tenants, self._open = list(self._open.values()), {}
        for tenant in tenants:
            tenant.close()
