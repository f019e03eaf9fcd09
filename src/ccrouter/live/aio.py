"""The asyncio front of the live runtime: awaitable commands whose store I/O (an ``fsync``
of a few milliseconds) runs off the event loop, timers as a task, subscriptions to iterate
with ``async for``.

Commands go to one worker thread in the order they are awaited, so the loop's order is the
log's order; the loop itself never waits for the router's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ccrouter.errors import CCRouterError, InvalidArgument
from ccrouter.events import Event
from ccrouter.live.runtime import Clock, LiveRouter
from ccrouter.live.subscribe import Subscription
from ccrouter.router import AgentView, CommandResult, InteractionView, Router

__all__ = ["AsyncLiveRouter"]

_LOG = logging.getLogger("ccrouter.live")

_T = TypeVar("_T")


class AsyncLiveRouter:
    """A :class:`~ccrouter.live.runtime.LiveRouter` for asyncio code.

    Args:
        router, clock, max_sleep: as for ``LiveRouter``.
        timers: fire due timers from a task on the running loop (started by :meth:`start`
            or ``async with``).

    Use it as ``async with AsyncLiveRouter(router) as live: ...`` (or call :meth:`start` and
    :meth:`aclose`). Commands: ``await live.run("submit", "c1", channel="chat")`` or the
    named shortcuts. A cancelled ``await`` does not cancel a command already handed to the
    worker: it completes (retry with its ``command_id`` to learn its result).
    """

    def __init__(
        self,
        router: Router | None = None,
        *,
        clock: Clock = time.time,
        timers: bool = True,
        max_sleep: float = 1.0,
    ) -> None:
        self.live = LiveRouter(router, clock=clock, timers=False, max_sleep=max_sleep)
        self._max_sleep = max_sleep
        self._want_timers = timers
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccrouter-live-io")
        self._timer_task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> AsyncLiveRouter:
        """Start the timer task on the running loop (once)."""
        if self._want_timers and self._timer_task is None:
            loop = asyncio.get_running_loop()
            wake = self._wake = asyncio.Event()

            def poke(due: float | None = None) -> None:  # from the thread that ran the command
                with contextlib.suppress(RuntimeError):  # the loop has closed
                    loop.call_soon_threadsafe(wake.set)

            self.live._add_due_listener(poke)
            self._timer_task = loop.create_task(self._timers(), name="ccrouter-live-timers")
        return self

    async def aclose(self) -> None:
        """Stop the timer task, deliver what is pending, end subscriptions, stop the worker."""
        task, self._timer_task = self._timer_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.get_running_loop().run_in_executor(self._executor, self.live.close)
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncLiveRouter:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- commands ----------------------------------------------------------------------------

    async def run(self, command: str, /, *args: Any, **kwargs: Any) -> CommandResult:
        """``LiveRouter.run`` on the worker thread (the loop keeps running meanwhile)."""
        return await self._off_loop(functools.partial(self.live.run, command, *args, **kwargs))

    async def login(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.login`` at the clock's time."""
        return await self.run("login", agent_id, **kwargs)

    async def ready(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.ready`` at the clock's time."""
        return await self.run("ready", agent_id, **kwargs)

    async def not_ready(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.not_ready`` at the clock's time."""
        return await self.run("not_ready", agent_id, **kwargs)

    async def logout(self, agent_id: str, **kwargs: Any) -> CommandResult:
        """``Router.logout`` at the clock's time."""
        return await self.run("logout", agent_id, **kwargs)

    async def submit(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.submit`` at the clock's time."""
        return await self.run("submit", interaction_id, **kwargs)

    async def accept(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.accept`` at the clock's time."""
        return await self.run("accept", interaction_id, **kwargs)

    async def decline(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.decline`` at the clock's time."""
        return await self.run("decline", interaction_id, **kwargs)

    async def complete(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.complete`` at the clock's time."""
        return await self.run("complete", interaction_id, **kwargs)

    async def abandon(self, interaction_id: str, **kwargs: Any) -> CommandResult:
        """``Router.abandon`` at the clock's time."""
        return await self.run("abandon", interaction_id, **kwargs)

    async def advance(self, **kwargs: Any) -> CommandResult:
        """Fire the timers due by the clock's time."""
        return await self.run("advance", **kwargs)

    # --- queries -----------------------------------------------------------------------------

    async def query(self, read: Callable[[Router], _T]) -> _T:
        """``read(router)`` under the lock on the worker thread (statistics, explain ...)."""

        def locked() -> _T:
            with self.live._lock:
                return read(self.live.router)

        return await self._off_loop(locked)

    async def agent(self, agent_id: str) -> AgentView:
        """``Router.agent``, off the loop."""
        return await self._off_loop(functools.partial(self.live.agent, agent_id))

    async def interaction(self, interaction_id: str) -> InteractionView:
        """``Router.interaction``, off the loop."""
        return await self._off_loop(functools.partial(self.live.interaction, interaction_id))

    def next_due(self) -> float | None:
        """When the earliest pending timer is due, as of the last command (never blocks)."""
        return self.live._due

    # --- subscriptions -----------------------------------------------------------------------

    async def subscribe(
        self,
        callback: Callable[[Event], object] | None = None,
        *,
        kinds: Collection[str] | None = None,
        agent: str | None = None,
        queue: str | None = None,
        since: int | None = None,
    ) -> Subscription:
        """A subscription to iterate with ``async for`` on this loop (or with a callback,
        called on the dispatcher thread); arguments as ``LiveRouter.subscribe``."""
        sub = Subscription(
            kinds=kinds,
            agent=agent,
            queue=queue,
            callback=callback,
            since=since,
            loop=asyncio.get_running_loop(),
        )
        return await self._off_loop(functools.partial(self.live._subscribe, sub))

    # --- internals ---------------------------------------------------------------------------

    async def _off_loop(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def _timers(self) -> None:
        wake = self._wake
        if wake is None:
            raise InvalidArgument("the timer task needs start()")
        while not self.live.closed:
            wake.clear()
            due = self.live._due
            wait = self._max_sleep
            if due is not None:
                now = float(self.live.clock())
                if due <= now:
                    try:
                        await self.advance()
                    except (CCRouterError, OSError):
                        _LOG.exception("firing timers due at %r failed", due)
                    except Exception:
                        _LOG.exception("firing timers due at %r failed unexpectedly", due)
                    if self.live._due != due:
                        continue
                else:
                    wait = min(wait, due - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)
