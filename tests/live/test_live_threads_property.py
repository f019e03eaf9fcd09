"""Property: commands from many threads through a LiveRouter give one gap-free log that
replays to the live state, and each thread sees exactly what a serial run shows it.

Each thread drives its own agent and interactions (requirements only its agent meets), so
a thread's outcomes do not depend on how the threads interleave; any difference (a spurious
error, a lost or doubled event, a torn state) is the runtime's fault.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from livetools import FakeClock, router

from ccrouter import Router
from ccrouter.errors import CCRouterError
from ccrouter.live import LiveRouter

OPS = st.sampled_from(["submit", "accept", "decline", "complete", "abandon", "ready", "not_ready"])
SCRIPT = st.lists(st.tuples(OPS, st.integers(0, 5), st.booleans()), min_size=1, max_size=25)


def run_script(target: Any, t: int, script: list[tuple[str, int, bool]], out: list[str]) -> None:
    """Run one thread's script; ``out`` gets each step's event kinds or error type."""
    serial = isinstance(target, Router)
    agent, skill = f"a{t}", f"s{t}"

    def call(name: str, *args: Any, **kw: Any) -> None:
        if serial:
            kw["at"] = 1_000.0
        try:
            result = getattr(target, name)(*args, **kw)
            out.append(",".join(e.kind for e in result))
        except CCRouterError as exc:
            out.append(type(exc).__name__)

    call("login", agent, skills={skill: 1}, capacity={"voice": 1, "chat": 2})
    submitted = 0
    for step, (op, k, with_id) in enumerate(script):
        cid = {"command_id": f"{t}-{step}"} if with_id else {}
        if op == "submit":
            channel = "chat" if k % 2 else "voice"
            call("submit", f"i{t}-{submitted}", channel=channel, skills={skill: 1}, **cid)
            submitted += 1
        elif op in ("ready", "not_ready"):
            call(op, agent, **({"reason": "break"} if op == "not_ready" else {}), **cid)
        else:
            call(op, f"i{t}-{k % max(submitted, 1)}", **cid)
        if with_id:  # a retry of the same command: a repeat, the same outcome
            before = out[-1]
            if op == "submit":
                call("submit", f"i{t}-{submitted - 1}", channel=channel, skills={skill: 1}, **cid)
            elif op in ("ready", "not_ready"):
                call(op, agent, **({"reason": "break"} if op == "not_ready" else {}), **cid)
            else:
                call(op, f"i{t}-{k % max(submitted, 1)}", **cid)
            if not before[:1].isupper():  # the first run succeeded: its result again
                assert out.pop() == before


@settings(max_examples=25, deadline=None)
@given(scripts=st.lists(SCRIPT, min_size=2, max_size=5))
def test_threads_through_the_runtime_match_a_serial_run(
    scripts: list[list[tuple[str, int, bool]]],
) -> None:
    live = LiveRouter(router(offer_timeout=None), clock=FakeClock(1_000.0), timers=False)
    seen = live.subscribe()
    outs: list[list[str]] = [[] for _ in scripts]
    start = threading.Barrier(len(scripts))

    def worker(t: int) -> None:
        start.wait()
        run_script(live, t, scripts[t], outs[t])

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(len(scripts))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: interleave inside commands
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    live.close()
    r = live.router
    r.check()
    events = r.events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert Router.replay(events, r.base_config).state_digest() == r.state_digest()
    assert seen.drain() == events

    serial = router(offer_timeout=None)
    for t, script in enumerate(scripts):
        expected: list[str] = []
        run_script(serial, t, script, expected)
        assert outs[t] == expected, t
    assert len(serial.events) == len(events)
