"""Soak (slow): threads, the timer thread, subscribers and a durable store together for a
while; the log replays to the state and every subscriber saw it whole, in order, once."""

from __future__ import annotations

import contextlib
import random
import threading
from pathlib import Path

import pytest
from livetools import FakeClock, router

from ccrouter import Router
from ccrouter.errors import CCRouterError
from ccrouter.events import Event
from ccrouter.live import LiveRouter
from ccrouter.log import SQLiteEventLog


@pytest.mark.slow
def test_soak_threads_timers_subscribers_sqlite(tmp_path: Path) -> None:
    clock = FakeClock(10_000.0)
    with SQLiteEventLog(tmp_path / "soak.db", durability="os") as log:
        live = LiveRouter(router(offer_timeout=3, log=log), clock=clock, max_sleep=0.002)
        got: list[Event] = []
        live.subscribe(got.append)
        offers = live.subscribe(kinds={"interaction_offered"})
        errors: list[BaseException] = []

        def agent(t: int) -> None:
            rng = random.Random(t)
            try:
                live.login(f"a{t}", skills={}, capacity={"voice": 1, "chat": 2})
                live.ready(f"a{t}")
                for n in range(300):
                    iid = f"i{t}-{n}"
                    live.submit(iid, channel=rng.choice(["voice", "chat"]), command_id=iid)
                    clock.set(clock() + rng.random())  # racy on purpose: it may step back
                    for name in ("accept", "complete", "decline", "abandon"):
                        if rng.random() < 0.5:
                            # Not in that state now: refused, nothing changed.
                            with contextlib.suppress(CCRouterError):
                                live.run(name, f"i{t}-{rng.randrange(n + 1)}")
                    if rng.random() < 0.05:
                        live.ready(f"a{t}")
            except BaseException as exc:  # collected, checked below
                errors.append(exc)

        workers = [threading.Thread(target=agent, args=(t,)) for t in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        clock.set(clock() + 1_000)
        live.advance()
        live.close()
        assert errors == []
        events = list(log.read())
        assert got == events and list(offers) == [
            e for e in events if e.kind == "interaction_offered"
        ]
        assert any(e.kind == "offer_timed_out" for e in events)
        replayed = Router.replay(events, live.router.base_config)
        assert replayed.state_digest() == live.router.state_digest()
        live.router.check()
