"""The live runtime's overhead: a command through ``LiveRouter`` against the bare ``Router``,
and the push latency from a durable append to a subscriber's callback.

Two routers with the same config and store kind run the same command cycle (submit, accept,
complete over a pool of ready agents), interleaved command by command (A B, B A, A B ...: the
second of a pair runs the same code warm, so the order alternates) so that both see the same
machine load. Each command is timed alone; the overhead is the ratio of the
medians minus one, per round, reported as the median of the rounds and their range. The live
router runs with its timer thread; the goal (``overhead_max``) is for the same work, without
subscribers. The ``*_subscribed`` variants add one callback subscriber: they measure the
runtime plus the delivery of every event (the dispatcher thread competes for the interpreter,
most visibly when the store's append releases it).

Push latency: the store notes the time an append returned; the subscriber's callback notes
when that batch's last event arrives.

    python -m benchmarks.run --only live [--smoke]
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ccrouter import Router, RouterConfig
from ccrouter.events import Event
from ccrouter.live import LiveRouter
from ccrouter.log import MemoryEventLog, SQLiteEventLog

GOALS = {"overhead_max": 0.10}
AGENTS = 50


class _StampedLog(MemoryEventLog):
    """A memory log noting when each append returned (seq of its last event -> time)."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: dict[int, float] = {}

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        version = super().append(events, expected_version=expected_version)
        self.stamps[version] = time.perf_counter()
        return version


def _config() -> RouterConfig:
    return RouterConfig.from_dict({"queues": {"default": {"offer_timeout": 30, "wrap_up": 0}}})


def _staff(call: Callable[..., Any]) -> None:
    for a in range(AGENTS):
        call("login", f"a{a}", skills={})
        call("ready", f"a{a}")


def _cycle(n: int) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """Commands of ``n`` interactions: submit, accept, complete (agents free up at once)."""
    out: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    for i in range(n):
        out.append(("submit", (f"c{i}",), {"channel": "voice"}))
        out.append(("accept", (f"c{i}",), {}))
        out.append(("complete", (f"c{i}",), {}))
    return out


def _round(store: str, n: int, tmp: Path, *, subscribed: bool) -> tuple[list[float], list[float]]:
    """One round: the cycle through both routers, interleaved; each command's time."""
    logs: list[Any] = []
    for name in ("bare", "live"):
        if store == "memory":
            logs.append(MemoryEventLog())
        else:
            logs.append(SQLiteEventLog(tmp / f"{name}.db", durability=store))
    bare = Router(_config(), log=logs[0], backend="python")
    live = LiveRouter(Router(_config(), log=logs[1], backend="python"))
    if subscribed:
        live.subscribe(lambda event: None)

    def bare_call(name: str, *args: Any, **kw: Any) -> Any:
        return getattr(bare, name)(*args, at=time.time(), **kw)

    _staff(bare_call)
    _staff(live.run)
    bare_times, live_times = [], []
    gc.collect()
    for k, (name, args, kw) in enumerate(_cycle(n)):
        # Who goes first alternates: the second of a pair runs the same code warm.
        if k % 2:
            t0 = time.perf_counter()
            live.run(name, *args, **kw)
            t1 = time.perf_counter()
            bare_call(name, *args, **kw)
            t2 = time.perf_counter()
            live_times.append(t1 - t0)
            bare_times.append(t2 - t1)
        else:
            t0 = time.perf_counter()
            bare_call(name, *args, **kw)
            t1 = time.perf_counter()
            live.run(name, *args, **kw)
            t2 = time.perf_counter()
            bare_times.append(t1 - t0)
            live_times.append(t2 - t1)
    live.close()
    for log in logs:
        log.close()
    return bare_times, live_times


def _overhead(store: str, n: int, rounds: int, *, subscribed: bool) -> dict[str, Any]:
    ratios, bare_medians, live_medians = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            bare_times, live_times = _round(store, n, Path(tmp), subscribed=subscribed)
        b, lv = statistics.median(bare_times), statistics.median(live_times)
        bare_medians.append(b)
        live_medians.append(lv)
        ratios.append(lv / b - 1)
    return {
        "commands_per_round": 3 * n,
        "rounds": rounds,
        "bare_median_us": round(statistics.median(bare_medians) * 1e6, 1),
        "live_median_us": round(statistics.median(live_medians) * 1e6, 1),
        "overhead_median": round(statistics.median(ratios), 4),
        "overhead_range": [round(min(ratios), 4), round(max(ratios), 4)],
        **({} if subscribed else {"met": statistics.median(ratios) <= GOALS["overhead_max"]}),
    }


def _push_latency(n: int) -> dict[str, Any]:
    log = _StampedLog()
    live = LiveRouter(Router(_config(), log=log, backend="python"))
    arrived: dict[int, float] = {}
    done = threading.Event()
    last = [0]

    def callback(event: Event) -> None:
        arrived[event.seq] = time.perf_counter()
        if event.seq == last[0]:
            done.set()

    live.subscribe(callback)
    _staff(live.run)
    latencies = []
    for name, args, kw in _cycle(n):
        done.clear()
        result = live.run(name, *args, **kw)
        last[0] = result.seq
        done.wait(5)
        latencies.append(arrived[result.seq] - log.stamps[result.seq])
    live.close()
    latencies.sort()
    return {
        "batches": len(latencies),
        "median_us": round(statistics.median(latencies) * 1e6, 1),
        "p90_us": round(latencies[int(0.9 * (len(latencies) - 1))] * 1e6, 1),
        "max_us": round(latencies[-1] * 1e6, 1),
    }


def run(smoke: bool = False) -> dict[str, Any]:
    """The overhead per store (memory, SQLite ``os`` and ``fsync``) and the push latency."""
    n, rounds = (100, 2) if smoke else (1000, 5)
    Router(_config(), backend="python")  # warm-up: imports, first decisions
    result: dict[str, Any] = {"goals": GOALS}
    result["memory"] = _overhead("memory", n, rounds, subscribed=False)
    result["memory_subscribed"] = _overhead("memory", n, rounds, subscribed=True)
    result["sqlite_os"] = _overhead("os", n // 2, rounds, subscribed=False)
    result["sqlite_os_subscribed"] = _overhead("os", n // 2, rounds, subscribed=True)
    if not smoke:
        result["sqlite_fsync"] = _overhead("fsync", n // 10, rounds, subscribed=False)
        result["sqlite_fsync_subscribed"] = _overhead("fsync", n // 10, rounds, subscribed=True)
    result["push_latency"] = _push_latency(n // 2)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
