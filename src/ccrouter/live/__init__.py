"""The live runtime: a router embedded in a service (threads or asyncio, a wall clock,
timers that fire by themselves, pushed events). See docs/embedding.md.

>>> from ccrouter.live import LiveRouter
>>> with LiveRouter(clock=lambda: 5.0, timers=False) as live:
...     _ = live.login("ann", skills={})
...     live.version
1
"""

from __future__ import annotations

from ccrouter.live.aio import AsyncLiveRouter
from ccrouter.live.runtime import Clock, LiveRouter
from ccrouter.live.subscribe import Subscription
from ccrouter.live.timers import TimerThread

__all__ = ["AsyncLiveRouter", "Clock", "LiveRouter", "Subscription", "TimerThread"]
