"""One router per partition: two router processes against one PostgreSQL.

Both processes open the same partition with a lease; only the holder appends, the other waits.
A stale router (its session ended by the server, or behind the log) gets a typed error and
never appends; the log is never forked; after ``kill -9`` of the holder the standby takes over
and continues from the log, and a client retrying a command id against it appends nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from ccrouter import Router
from ccrouter.errors import ConcurrencyConflict, WriterLocked

pytestmark = pytest.mark.postgres
WORKER = Path(__file__).resolve().parent / "partition_router.py"
ROOT = Path(__file__).resolve().parents[2]


class Proc:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CCROUTER_BACKEND": "python"}
        self.p = subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[dict[str, Any]] = []

    def next(self, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        assert self.p.stdout is not None
        line = self.p.stdout.readline()
        if not line:
            err = self.p.stderr.read() if self.p.stderr else ""
            raise AssertionError(f"worker ended: rc={self.p.wait()} {err}")
        assert time.monotonic() < deadline
        self.lines.append(json.loads(line))
        return self.lines[-1]

    def until(self, step: str, timeout: float = 60) -> dict[str, Any]:
        while True:
            got = self.next(timeout)
            if got["step"] in (step, "error", "done"):
                return got

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait()


@pytest.fixture
def stream() -> str:
    return f"partition-{uuid.uuid4()}"


def full_replay(dsn: str, stream: str) -> tuple[int, str, list[Any]]:
    from ccrouter.log import PostgresEventLog

    with PostgresEventLog(dsn, stream=stream, readonly=True) as log:
        events = list(log.read())
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1))  # one history, no fork, no gap
    return len(events), Router.replay(events, backend="python").state_digest(), events


def test_kill9_holder_standby_takes_over(pg_dsn: str, stream: str) -> None:
    from ccrouter.log import PostgresEventLog

    holder = Proc(pg_dsn, stream, "a", "100000")
    standby: Proc | None = None
    try:
        assert holder.until("leased")["version"] == 0
        acked = [holder.until("ack") for _ in range(20)]
        retry = next(a for a in reversed(acked) if a["command_id"] in ("a-18", "a-19"))
        standby = Proc(pg_dsn, stream, "b", "15", f"{retry['command_id']}@{retry['at']}")
        time.sleep(0.5)  # the standby is now blocked on the lease
        with pytest.raises(WriterLocked):  # nor can a third router take it
            PostgresEventLog(pg_dsn, stream=stream, lease=True)
        # A misconfigured router without a lease opened now is behind as soon as the holder
        # appends again: expected-version fencing refuses its append (typed, nothing written).
        stale = Router(log=PostgresEventLog(pg_dsn, stream=stream), backend="python")
        while acked[-1]["version"] <= stale.state.last_seq:
            acked.append(holder.until("ack"))
        with pytest.raises(ConcurrencyConflict):
            stale.submit("stale-1", channel="voice", at=stale.now + 1)
        stale.log.close()
        holder.kill()  # kill -9: the server ends its session and releases the lease
        last_ack = acked[-1]["version"]
        took = standby.until("leased")
        assert took["version"] >= last_ack  # nothing acknowledged was lost
        version, digest, _ = full_replay(pg_dsn, stream)
        retried = standby.until("retried")  # the client's retry is answered, not re-run
        assert retried["appended"] == 0 and retried["events"] >= 1
        done = standby.until("done")
        assert done["step"] == "done", done
        assert standby.p.wait(30) == 0
        version, digest, events = full_replay(pg_dsn, stream)
        assert (version, digest) == (done["version"], done["digest"])
        ids = [e.command_id for e in events if e.kind == "command_recorded"]
        assert len(ids) == len(set(ids))  # every command recorded once, the retry not again
        print(
            "PARTITION-FIGURES "
            f"{{'holder_acks': {len(acked)}, 'takeover_version': {took['version']}, "
            f"'final_version': {version}}}"
        )
    finally:
        holder.kill()
        if standby is not None:
            standby.kill()


def test_router_whose_session_ended_cannot_append(pg_dsn: str, stream: str) -> None:
    import psycopg

    first = Proc(pg_dsn, stream, "a", "100000")
    second: Proc | None = None
    try:
        leased = first.until("leased")
        for _ in range(5):
            first.until("ack")
        second = Proc(pg_dsn, stream, "b", "10")
        time.sleep(0.3)
        # The server ends the holder's session (a network partition, a paused VM): the lease
        # passes to the standby while the old router process is still running.
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (leased["pid"],))
        took = second.until("leased")
        got = first.until("error")  # its next append: a typed error, never a write
        assert got["error"] == "LeaseLost", got
        assert first.p.wait(30) == 3
        done = second.until("done")
        assert done["step"] == "done", done
        version, digest, events = full_replay(pg_dsn, stream)
        assert (version, digest) == (done["version"], done["digest"])
        after = [
            e for e in events[took["version"] :] if getattr(e, "command_id", "b").startswith("a")
        ]
        assert after == []  # nothing of the old router after the takeover
    finally:
        first.kill()
        if second is not None:
            second.kill()
