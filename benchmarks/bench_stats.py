"""Statistics: interval report, agent report and the real-time projection over a large log.

A seeded generator writes a consistent log of a busy center (``events`` events: 500 agents,
4 queues × 2 channels, ~2 arrivals per second, ringing with declines and ring-no-answer,
abandonment while queued and while ringing, wrap-up, breaks). Every figure is events per second
over the same in-memory list of events; two baselines are measured in the same run:

- ``decode``: msgspec decoding the same events from JSON lines (the cost of reading a log);
- ``dispatch_loop``: a bare loop that looks up a handler per event type and calls it (the floor
  of any per-event fold in Python).

    python -m benchmarks.run --only stats [--smoke]
"""

from __future__ import annotations

import gc
import heapq
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ccrouter.events import (
    AgentLoggedIn,
    AgentNotReady,
    AgentReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
    OfferDeclined,
    OfferTimedOut,
    WrapUpEnded,
    decode_json,
    encode_json,
)
from ccrouter.stats import RealtimeStats, agent_report, interval_report

# The product goal for folds of the log: hundreds of thousands of events per second per core
# (the same bar as the router's replay in bench_routing).
GOALS = {
    "interval_report_events_per_s": 300_000.0,
    "interval_report_vs_decode": 0.5,
}

QUEUES = ["sales", "support", "billing", "retention"]
CHANNELS = ["voice", "chat"]


# --- a consistent synthetic log ------------------------------------------------------------


def generate(n_events: int, *, agents: int = 500, seed: int = 7) -> list[Event]:
    """A time-ordered, consistent log of about ``n_events`` events (cut at exactly that many)."""
    rng = np.random.default_rng(seed)
    events: list[Event] = []
    calendar: list[tuple[float, int, str, Any]] = []
    tick = 0

    def emit(cls: Any, at: float, **fields: Any) -> None:
        events.append(cls(seq=len(events) + 1, at=at, **fields))

    def schedule(at: float, kind: str, data: Any) -> None:
        nonlocal tick
        tick += 1
        heapq.heappush(calendar, (at, tick, kind, data))

    channel_of = {f"ag{i}": CHANNELS[i % 2] for i in range(agents)}
    free: dict[str, deque[str]] = {ch: deque() for ch in CHANNELS}
    waiting: dict[str, deque[str]] = {ch: deque() for ch in CHANNELS}
    # interaction id -> [channel, state, agent]; state: queued / ringing / connected / gone
    ixs: dict[str, list[Any]] = {}
    for agent_id, ch in channel_of.items():
        emit(AgentLoggedIn, 0.0, agent_id=agent_id, skills={}, capacity={ch: 1})
        emit(AgentReady, 0.0, agent_id=agent_id)
        free[ch].append(agent_id)

    rate = agents / 260.0  # offered load ~ 0.95 of the agents' capacity
    schedule(float(rng.exponential(1 / rate)), "arrival", 0)

    def release(agent_id: str, at: float) -> None:
        if rng.random() < 0.02:
            emit(AgentNotReady, at, agent_id=agent_id, reason="break")
            schedule(at + 600.0, "back", agent_id)
        else:
            free[channel_of[agent_id]].append(agent_id)

    def assign(ch: str, at: float) -> None:
        while waiting[ch] and free[ch]:
            iid = waiting[ch].popleft()
            ix = ixs[iid]
            if ix[1] != "queued":
                continue
            agent_id = free[ch].popleft()
            ix[1], ix[2] = "ringing", agent_id
            emit(InteractionOffered, at, interaction_id=iid, agent_id=agent_id, expires_at=at + 8)
            u = rng.random()
            outcome = "accept" if u < 0.92 else "decline" if u < 0.96 else "timeout"
            ring = 8.0 if outcome == "timeout" else float(rng.uniform(1.0, 6.0))
            schedule(at + ring, outcome, (iid, agent_id))

    while calendar and len(events) < n_events:
        at, _, kind, data = heapq.heappop(calendar)
        if kind == "arrival":
            iid = f"i{data}"
            q = QUEUES[int(rng.integers(len(QUEUES)))]
            ch = CHANNELS[int(rng.integers(2))]
            ixs[iid] = [ch, "queued", None]
            emit(InteractionQueued, at, interaction_id=iid, channel=ch, queue=q)
            waiting[ch].append(iid)
            schedule(at + float(rng.exponential(150.0)), "patience", iid)
            schedule(at + float(rng.exponential(1 / rate)), "arrival", data + 1)
            assign(ch, at)
        elif kind == "patience":
            ix = ixs.get(data)
            if ix is None:
                continue  # handled already
            if ix[1] == "queued":
                ix[1] = "gone"
                emit(InteractionAbandoned, at, interaction_id=data)
            elif ix[1] == "ringing":
                ix[1] = "gone"
                emit(InteractionAbandoned, at, interaction_id=data, agent_id=ix[2])
                release(ix[2], at)
                assign(ix[0], at)
        elif kind in ("accept", "decline", "timeout"):
            iid, agent_id = data
            ix = ixs[iid]
            if ix[1] != "ringing" or ix[2] != agent_id:
                continue  # abandoned while ringing
            if kind == "accept":
                ix[1] = "connected"
                emit(OfferAccepted, at, interaction_id=iid, agent_id=agent_id)
                schedule(at + float(rng.exponential(240.0)), "complete", (iid, agent_id))
                continue
            ix[1], ix[2] = "queued", None
            waiting[ix[0]].appendleft(iid)
            if kind == "decline":
                emit(OfferDeclined, at, interaction_id=iid, agent_id=agent_id)
                free[ix[0]].append(agent_id)
            else:
                emit(OfferTimedOut, at, interaction_id=iid, agent_id=agent_id)
                emit(AgentNotReady, at, agent_id=agent_id, reason="no_answer")
                schedule(at + 30.0, "back", agent_id)
            assign(ix[0], at)
        elif kind == "complete":
            iid, agent_id = data
            ixs[iid][1] = "gone"
            wrap = 15.0 if ixs[iid][0] == "voice" else 0.0
            emit(
                InteractionCompleted, at, interaction_id=iid, agent_id=agent_id,
                wrap_up_until=at + wrap,
            )  # fmt: skip
            if wrap:
                schedule(at + wrap, "wrap_end", (iid, agent_id))
            else:
                del ixs[iid]
                release(agent_id, at)
                assign(channel_of[agent_id], at)
        elif kind == "wrap_end":
            iid, agent_id = data
            del ixs[iid]
            emit(WrapUpEnded, at, interaction_id=iid, agent_id=agent_id)
            release(agent_id, at)
            assign(channel_of[agent_id], at)
        elif kind == "back":
            emit(AgentReady, at, agent_id=data)
            free[channel_of[data]].append(data)
            assign(channel_of[data], at)
    return events[:n_events]


# --- measuring -------------------------------------------------------------------------------


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _best(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` runs (after one warm-up run outside the timing)."""
    times = []
    for _ in range(repeats):
        with _no_gc():
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return min(times)


def _dispatch_loop(events: list[Event]) -> int:
    handlers: dict[type, Callable[[Event], None]] = {
        t: (lambda e: None) for t in set(map(type, events))
    }
    for e in events:
        handlers[type(e)](e)
    return len(events)


def _realtime(events: list[Event]) -> RealtimeStats:
    stats = RealtimeStats()
    apply = stats.apply
    for e in events:
        apply(e)
    return stats


def run(smoke: bool) -> dict[str, Any]:
    n = 20_000 if smoke else 1_000_000
    repeats = 3
    start = time.perf_counter()
    events = generate(n)
    generate_s = time.perf_counter() - start
    lines = [encode_json(e) for e in events]

    # Warm up every path on a small prefix (imports, caches), outside the timing.
    head = events[:2000]
    interval_report(head)
    agent_report(head)
    _realtime(head)

    cases: dict[str, Callable[[], object]] = {
        "decode": lambda: [decode_json(line) for line in lines],
        "dispatch_loop": lambda: _dispatch_loop(events),
        "interval_report": lambda: interval_report(events, 900),
        "interval_report_by_agent": lambda: interval_report(events, 900, by=("agent",)),
        "agent_report": lambda: agent_report(events),
        "realtime_apply": lambda: _realtime(events),
    }
    seconds = {name: _best(fn, repeats) for name, fn in cases.items()}
    rate = {name: round(n / s) for name, s in seconds.items()}
    rows = interval_report(events, 900)
    results: dict[str, Any] = {
        "events": n,
        "span_hours": round((events[-1].at - events[0].at) / 3600, 2),
        "event_mix": dict(Counter(e.kind for e in events).most_common()),
        "interval_rows": len(rows),
        "generate_seconds": round(generate_s, 3),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "events_per_s": rate,
        "interval_report_vs_decode": round(rate["interval_report"] / rate["decode"], 3),
        "interval_report_vs_dispatch_loop": round(
            rate["interval_report"] / rate["dispatch_loop"], 3
        ),
        "goals": GOALS,
    }
    results["goals_met"] = {
        "interval_report_events_per_s": rate["interval_report"]
        >= GOALS["interval_report_events_per_s"],
        "interval_report_vs_decode": results["interval_report_vs_decode"]
        >= GOALS["interval_report_vs_decode"],
    }
    return results


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(smoke="--smoke" in sys.argv), indent=2))
