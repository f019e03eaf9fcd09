"""Event-log stores: append and replay throughput of every store and durability level.

Workload: router-like events (logins, queued, offered, accepted, completed, wrap-up ...) in
batches of 1, 2 and 3 events (a command appends a few events at a time).

- *append*: events/s appending those batches to a fresh log (``fsync`` modes on a smaller
  sample: they are bound by the disk's flush latency, not by ccrouter).
- *replay*: events/s opening a fresh read-only handle and reading every event back, typed and
  with every checksum verified (median of several runs).
- *baseline*: a plain JSON-lines file in the same run (``write`` + ``flush`` per batch;
  ``readlines`` + one ``msgspec.json`` decode per line), the simplest store one would write.

PostgreSQL is measured too when ``CCROUTER_PG_DSN`` points at a server.

    python -m benchmarks.run --only log [--smoke]
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ccrouter.events import (
    AgentLoggedIn,
    AgentNotReady,
    AgentReady,
    Event,
    InteractionCompleted,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
    WrapUpEnded,
    decode_json,
    encode_json,
)
from ccrouter.log import EventLog, FileEventLog, MemoryEventLog, SQLiteEventLog

GOALS = {"file_replay_events_per_s": 300_000.0}


def make_events(n: int) -> list[Event]:
    out: list[Event] = []
    for seq in range(1, n + 1):
        at = seq * 0.25
        agent = f"agent-{seq % 97}"
        inter = f"int-{seq // 8}"
        k = seq % 8
        e: Event
        if k == 0:
            e = AgentLoggedIn(
                seq=seq, at=at, agent_id=agent, skills={"sales": 3, "fr": 2}, capacity={"voice": 1}
            )
        elif k == 1:
            e = InteractionQueued(
                seq=seq,
                at=at,
                interaction_id=inter,
                channel="voice",
                queue="default",
                skills={"sales": 2},
            )
        elif k == 2:
            e = InteractionOffered(
                seq=seq, at=at, interaction_id=inter, agent_id=agent, expires_at=at + 15
            )
        elif k == 3:
            e = OfferAccepted(seq=seq, at=at, interaction_id=inter, agent_id=agent)
        elif k == 4:
            e = InteractionCompleted(
                seq=seq, at=at, interaction_id=inter, agent_id=agent, wrap_up_until=at + 5
            )
        elif k == 5:
            e = WrapUpEnded(seq=seq, at=at, interaction_id=inter, agent_id=agent)
        elif k == 6:
            e = AgentNotReady(seq=seq, at=at, agent_id=agent, reason="break")
        else:
            e = AgentReady(seq=seq, at=at, agent_id=agent)
        out.append(e)
    return out


def make_batches(events: list[Event]) -> list[list[Event]]:
    out = []
    i = 0
    size = 1
    while i < len(events):
        out.append(events[i : i + size])
        i += size
        size = size % 3 + 1
    return out


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


def _append(log: EventLog, batches: list[list[Event]]) -> float:
    with _no_gc():
        t0 = time.perf_counter()
        for b in batches:
            log.append(b)
        if isinstance(log, FileEventLog):
            log.flush()
        return time.perf_counter() - t0


def _replay(open_reader: Callable[[], EventLog], count: int, repeat: int) -> dict[str, Any]:
    times = []
    for _ in range(repeat):
        with _no_gc():
            t0 = time.perf_counter()
            reader = open_reader()
            n = sum(1 for _ in reader.read())
            reader.close()
            times.append(time.perf_counter() - t0)
        assert n == count, (n, count)
    best = statistics.median(times)
    return {"median_seconds": round(best, 5), "events_per_s": round(count / best)}


def _rates(events: int, seconds: float) -> dict[str, Any]:
    return {"events": events, "seconds": round(seconds, 5), "events_per_s": round(events / seconds)}


def _jsonl_baseline(tmp: Path, batches: list[list[Event]], count: int, repeat: int) -> dict:
    path = tmp / "baseline.jsonl"
    with _no_gc(), open(path, "wb") as f:
        t0 = time.perf_counter()
        for b in batches:
            f.write(b"".join(encode_json(e) + b"\n" for e in b))
            f.flush()
        append = time.perf_counter() - t0

    class _Reader:
        def read(self) -> Iterator[Event]:
            with open(path, "rb") as f:
                return iter([decode_json(line) for line in f.readlines()])

        def close(self) -> None:
            pass

    return {
        "append": _rates(count, append),
        "replay": _replay(_Reader, count, repeat),  # type: ignore[arg-type]
        "bytes": path.stat().st_size,
    }


def run(smoke: bool) -> dict[str, Any]:
    n = 20_000 if smoke else 400_000
    n_sync = 300 if smoke else 3_000
    repeat = 3 if smoke else 5
    events = make_events(n)
    batches = make_batches(events)
    sync_events = make_events(n_sync)
    sync_batches = make_batches(sync_events)
    result: dict[str, Any] = {"events": n, "fsync_sample_events": n_sync, "batch_sizes": [1, 2, 3]}

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        result["baseline_jsonl"] = _jsonl_baseline(tmp, batches, n, repeat)

        mem = MemoryEventLog()
        result["memory"] = {
            "append": _rates(n, _append(mem, batches)),
            "replay": _replay(lambda: mem, n, repeat),
        }

        for durability in ("none", "os", "fsync"):
            path = tmp / f"log-{durability}.ccr"
            bs, count = (sync_batches, n_sync) if durability == "fsync" else (batches, n)
            with FileEventLog(path, durability=durability) as log:  # type: ignore[arg-type]
                seconds = _append(log, bs)
            entry: dict[str, Any] = {"append": _rates(count, seconds)}
            if durability != "fsync":
                entry["replay"] = _replay(
                    lambda p=path: FileEventLog(p, readonly=True), count, repeat
                )
                entry["bytes"] = path.stat().st_size
            result[f"file_{durability}"] = entry

        for durability in ("none", "os", "fsync"):
            path = tmp / f"log-{durability}.db"
            bs, count = (sync_batches, n_sync) if durability == "fsync" else (batches, n)
            with SQLiteEventLog(path, durability=durability) as db:  # type: ignore[arg-type]
                seconds = _append(db, bs)
            entry = {"append": _rates(count, seconds)}
            if durability != "fsync":
                entry["replay"] = _replay(
                    lambda p=path: SQLiteEventLog(p, readonly=True), count, repeat
                )
            result[f"sqlite_{durability}"] = entry

    dsn = os.environ.get("CCROUTER_PG_DSN")
    if dsn:
        from ccrouter.log import PostgresEventLog

        stream = f"bench-{uuid.uuid4()}"
        with PostgresEventLog(dsn, stream=stream) as pg:
            seconds = _append(pg, sync_batches)
        result["postgres"] = {
            "append": _rates(n_sync, seconds),
            "replay": _replay(lambda: PostgresEventLog(dsn, stream=stream), n_sync, repeat),
        }
    else:
        result["postgres"] = "skipped: set CCROUTER_PG_DSN"

    file_replay = result["file_none"]["replay"]["events_per_s"]
    baseline = result["baseline_jsonl"]["replay"]["events_per_s"]
    result["ratios"] = {
        "file_replay_vs_jsonl": round(file_replay / baseline, 2),
        "file_os_append_vs_jsonl": round(
            result["file_os"]["append"]["events_per_s"]
            / result["baseline_jsonl"]["append"]["events_per_s"],
            2,
        ),
    }
    result["goals"] = {
        "file_replay_events_per_s": {
            "goal": GOALS["file_replay_events_per_s"],
            "measured": file_replay,
            "met": file_replay >= GOALS["file_replay_events_per_s"],
        }
    }
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke=True), indent=2))
