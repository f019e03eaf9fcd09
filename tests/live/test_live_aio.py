"""The asyncio front: commands off the loop and in order, timers as a task, async for."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from livetools import FakeClock, HookedLog, router

from ccrouter.events import Event
from ccrouter.live import AsyncLiveRouter

WAIT = 30.0


def test_a_slow_append_does_not_block_the_loop() -> None:
    """Each append waits until a heartbeat task on the loop has ticked again. Were the
    append run on the loop, the heartbeat could never tick: the append would time out
    (and the test fail) instead of finishing."""
    ticks = 0
    tick = threading.Condition()
    failures: list[str] = []

    def slow_append(events: Sequence[Event]) -> None:
        with tick:
            seen = ticks
            if not tick.wait_for(lambda: ticks >= seen + 2, timeout=WAIT):
                failures.append(f"the loop did not tick during the append of seq {events[0].seq}")

    async def main() -> None:
        nonlocal ticks
        log = HookedLog(before=slow_append)
        async with AsyncLiveRouter(router(log=log), clock=FakeClock()) as live:

            async def heartbeat() -> None:
                nonlocal ticks
                while True:
                    with tick:
                        ticks += 1
                        tick.notify_all()
                    await asyncio.sleep(0.001)

            beat = asyncio.create_task(heartbeat())
            await live.login("ann", skills={})
            await live.ready("ann")
            await asyncio.gather(*(live.submit(f"c{n}", channel="chat") for n in range(5)))
            beat.cancel()

    asyncio.run(main())
    assert failures == []


def test_commands_run_in_the_order_they_were_awaited() -> None:
    async def main() -> list[str]:
        async with AsyncLiveRouter(router(offer_timeout=None), clock=FakeClock()) as live:
            await asyncio.gather(*(live.submit(f"c{n}", channel="chat") for n in range(30)))
            events = await live.query(lambda r: r.events)
            return [e.interaction_id for e in events if e.kind == "interaction_queued"]  # type: ignore[attr-defined]

    assert asyncio.run(main()) == [f"c{n}" for n in range(30)]


def test_async_for_gets_offers_and_timer_events_then_ends_on_close() -> None:
    clock = FakeClock(100.0)

    async def main() -> list[tuple[str, float]]:
        live = AsyncLiveRouter(router(offer_timeout=10), clock=clock, max_sleep=0.01)
        await live.start()
        sub = await live.subscribe(agent="ann", kinds={"interaction_offered", "offer_timed_out"})
        got: list[tuple[str, float]] = []

        async def consume() -> None:
            async for event in sub:
                got.append((event.kind, event.at))

        consumer = asyncio.create_task(consume())
        await live.login("ann", skills={})
        await live.ready("ann")
        await live.submit("c1", channel="voice")
        assert live.next_due() == 110.0
        clock.set(110.0)  # the timer task fires the timeout by itself
        for _ in range(int(WAIT / 0.01)):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.01)
        await live.aclose()
        await asyncio.wait_for(consumer, WAIT)  # the iteration ended with the close
        return got

    got = asyncio.run(main())
    assert got[:2] == [("interaction_offered", 100.0), ("offer_timed_out", 110.0)]


def test_queries_and_errors_come_back_through_the_loop() -> None:
    async def main() -> None:
        async with AsyncLiveRouter(router(), clock=FakeClock(), timers=False) as live:
            await live.login("ann", skills={})
            assert (await live.agent("ann")).status == "not_ready"
            with pytest.raises(KeyError, match="nobody"):
                await live.ready("nobody")
            first = await live.ready("ann", command_id="r1")
            again = await live.ready("ann", command_id="r1")
            assert again == first and again.repeat and not first.repeat

    asyncio.run(main())
