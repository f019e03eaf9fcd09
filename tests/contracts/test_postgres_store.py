"""PostgresEventLog beyond the shared contract: leases, fencing, global order, damage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from ccrouter.errors import ConcurrencyConflict, CorruptLog, LeaseLost, LogError, WriterLocked
from logtools import events

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg(pg_dsn: str) -> type:
    from ccrouter.log import PostgresEventLog

    return PostgresEventLog


@pytest.fixture
def stream() -> str:
    return f"tenant-{uuid.uuid4()}"


def _admin(dsn: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def test_lease_is_exclusive_and_released_on_close(pg: type, pg_dsn: str, stream: str) -> None:
    a = pg(pg_dsn, stream=stream, lease=True)
    with pytest.raises(WriterLocked, match="leased"):
        pg(pg_dsn, stream=stream, lease=True)
    with pytest.raises(WriterLocked):
        pg(pg_dsn, stream=stream, lease=True, lease_timeout=0.3)
    other = pg(pg_dsn, stream=f"{stream}-other", lease=True)  # other partitions are free
    other.close()
    a.append(events(1, 2))
    a.close()
    with pg(pg_dsn, stream=stream, lease=True) as b:
        assert b.append(events(3, 1)) == 3


def test_waiting_for_a_lease(pg: type, pg_dsn: str, stream: str) -> None:
    a = pg(pg_dsn, stream=stream, lease=True)
    threading.Timer(0.3, a.close).start()
    with pg(pg_dsn, stream=stream, lease=True, lease_timeout=10) as b:
        assert b.version == 0


def test_leased_writer_is_fenced_when_anyone_else_appends(
    pg: type, pg_dsn: str, stream: str
) -> None:
    with pg(pg_dsn, stream=stream, lease=True) as leased, pg(pg_dsn, stream=stream) as rogue:
        leased.append(events(1, 2))
        rogue.append(events(3, 1))  # bypasses the lease (a misconfigured second router)
        with pytest.raises(ConcurrencyConflict, match="fenced") as info:
            leased.append(events(4, 1))
        assert (info.value.expected, info.value.actual) == (2, 3)
        with pytest.raises(ConcurrencyConflict):  # and stays fenced
            leased.append(events(4, 1), expected_version=3)
        assert list(rogue.read()) == events(1, 3)


def test_terminated_session_loses_the_lease_and_cannot_append(
    pg: type, pg_dsn: str, stream: str
) -> None:
    stale = pg(pg_dsn, stream=stream, lease=True)
    stale.append(events(1, 1))
    pid = stale._conn.info.backend_pid
    _admin(pg_dsn, "SELECT pg_terminate_backend(%s)", pid)
    with pg(pg_dsn, stream=stream, lease=True, lease_timeout=10) as successor:
        successor.append(events(2, 2))
        with pytest.raises(LeaseLost):
            stale.append(events(2, 1))
        assert list(successor.read()) == events(1, 3)
    stale.close()


def test_released_lease_fences_the_old_holder(pg: type, pg_dsn: str, stream: str) -> None:
    with pg(pg_dsn, stream=stream, lease=True) as old:
        old.append(events(1, 1))
        old.release_lease()
        with pg(pg_dsn, stream=stream, lease=True) as new:
            new.append(events(2, 1))
            with pytest.raises(LeaseLost):
                old.append(events(3, 1))


def test_failed_insert_rolls_the_whole_batch_back(pg: type, pg_dsn: str) -> None:
    table = f"t_{uuid.uuid4().hex[:12]}"
    log = pg(pg_dsn, table=table)
    try:
        log.append(events(1, 2))
        # Make the 3rd row of the next batch fail inside the transaction.
        _admin(
            pg_dsn,
            f"CREATE FUNCTION {table}_no5() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.version = 5 THEN RAISE EXCEPTION 'no 5'; END IF; RETURN NEW; END $$",
        )
        _admin(
            pg_dsn,
            f"CREATE TRIGGER no5 BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_no5()",
        )
        with pytest.raises(LogError, match="no 5"):
            log.append(events(3, 4))
        assert log.version == 2
        assert list(log.read()) == events(1, 2)
        assert log.append(events(3, 2)) == 4
    finally:
        log.close()
        _admin(pg_dsn, f"DROP TABLE {table}")
        _admin(pg_dsn, f"DROP FUNCTION {table}_no5()")


@pytest.mark.parametrize(
    ("sql", "offset"),
    [
        (
            "UPDATE ccrouter_events SET data = data || '\\x00'::bytea "
            "WHERE stream = %s AND version = 2",
            2,
        ),
        ("UPDATE ccrouter_events SET crc = crc + 1 WHERE stream = %s AND version = 3", 3),
        ("DELETE FROM ccrouter_events WHERE stream = %s AND version = 2", 2),
    ],
)
def test_tampered_rows_raise_corrupt_log(
    pg: type, pg_dsn: str, stream: str, sql: str, offset: int
) -> None:
    with pg(pg_dsn, stream=stream) as log:
        log.append(events(1, 4))
        _admin(pg_dsn, sql, stream)
        with pytest.raises(CorruptLog) as info:
            list(log.read())
        assert info.value.offset == offset


def test_global_position_follows_commit_order(pg: type, pg_dsn: str) -> None:
    """A follower polling ``position > last`` while many writers commit misses nothing."""
    table = f"g_{uuid.uuid4().hex[:12]}"
    streams = [f"s{i}" for i in range(4)]
    per_stream = 40
    logs = [pg(pg_dsn, stream=s, table=table) for s in streams]
    follower = pg(pg_dsn, table=table, readonly=True)
    seen: list[tuple[int, str, int]] = []
    done = threading.Event()

    def follow() -> None:
        last = 0
        while True:
            finished = done.is_set()
            for position, s, event in follower.read_global(after=last):
                seen.append((position, s, event.seq))
                last = position
            if finished:
                return

    def write(log: object) -> None:
        for seq in range(1, per_stream + 1, 2):
            log.append(events(seq, 2))  # type: ignore[attr-defined]

    t = threading.Thread(target=follow)
    t.start()
    writers = [threading.Thread(target=write, args=(log,)) for log in logs]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    t.join()
    try:
        positions = [p for p, _, _ in seen]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)
        assert len(seen) == len(streams) * per_stream, "the follower missed rows"
        for s in streams:
            assert [seq for _, name, seq in seen if name == s] == list(range(1, per_stream + 1))
    finally:
        for log in [*logs, follower]:
            log.close()
        _admin(pg_dsn, f"DROP TABLE {table}")


_HOLDER = """
import sys, time
from ccrouter.log import PostgresEventLog
from logtools import events
log = PostgresEventLog(sys.argv[1], stream=sys.argv[2], lease=True)
log.append(events(log.version + 1, 1))
print("leased", flush=True)
time.sleep(600)
"""


def test_kill_9_of_the_lease_holder_lets_a_standby_take_over(
    pg: type, pg_dsn: str, stream: str
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]),
    }
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, pg_dsn, stream],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "leased"
        with pytest.raises(WriterLocked):
            pg(pg_dsn, stream=stream, lease=True)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        # The server sees the socket close and frees the lock.
        with pg(pg_dsn, stream=stream, lease=True, lease_timeout=20) as standby:
            assert standby.append(events(2, 1)) == 2
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
