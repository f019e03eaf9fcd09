"""Snapshots from another history are refused in every store (issue 12, finding 10).

Each case restores a snapshot on a log whose event at the snapshot's version is the same as
the one it was taken from (so the old one-event anchor could not tell), while the history
before it differs: two tenants, a log repaired and re-written after the snapshot, a snapshot
of a longer or a shorter history. Every time: a :class:`ForeignSnapshotWarning` and the state
of a full replay, never the snapshot's state. Controls: the same history (also batched
differently, or copied into another store) restores quietly from the snapshot.
"""

from __future__ import annotations

import sqlite3
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import figures

import pgserver
from ccrouter import Router
from ccrouter.engine.snapshot import ForeignSnapshotWarning, MemorySnapshotStore, SnapshotWarning
from ccrouter.errors import CorruptLog
from ccrouter.events import Event
from ccrouter.log import EventLog, FileEventLog, MemoryEventLog, SQLiteEventLog
from ccrouter.log.chain import GENESIS, extend_events, history_chain
from ccrouter.log.file import repair

STORES = ["memory", "file", "file-format-1", "sqlite", "postgres"]
TRIED: dict[str, int] = {}

Opener = Callable[[str], EventLog]


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    dsn, cluster, why = pgserver.obtain()
    if dsn is None:
        if pgserver.required():
            pytest.fail(f"{pgserver.REQUIRE_ENV} is set, but no PostgreSQL is available: {why}")
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    try:
        yield dsn
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture(params=STORES)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """``opener(name)``: the log called ``name`` in this store (a file, a stream), reopened
    on each call; memory logs live as long as the test."""
    kind = request.param
    handles: list[EventLog] = []
    memory: dict[str, MemoryEventLog] = {}
    table = f"t_{uuid.uuid4().hex[:12]}"
    dsn = request.getfixturevalue("pg_dsn") if kind == "postgres" else ""

    def open_log(name: str) -> EventLog:
        log: EventLog
        if kind == "memory":
            log = memory.setdefault(name, MemoryEventLog())
        elif kind.startswith("file"):
            path = tmp_path / f"{name}.ccr"
            if kind == "file-format-1" and not path.exists():
                from ccrouter.log.file import _file_header

                path.write_bytes(_file_header(1))
            log = FileEventLog(path, durability="none")
        elif kind == "sqlite":
            log = SQLiteEventLog(tmp_path / "tenants.db", stream=name, durability="none")
        else:
            from ccrouter.log import PostgresEventLog

            log = PostgresEventLog(dsn, stream=name, table=table)
        handles.append(log)
        return log

    open_log.kind = kind  # type: ignore[attr-defined]
    yield open_log
    for h in handles:
        h.close()


def tenant(router: Router, skill: int) -> None:
    """A history whose first event depends on ``skill``; the events after it do not."""
    router.login("ann", skills={"sales": skill}, at=0)
    router.login("bob", skills={"sales": 1}, at=0)
    router.ready("bob", at=1)


def common_tail(router: Router) -> None:
    router.submit("c1", channel="voice", skills={"sales": 1}, at=2)
    router.ready("ann", at=3)


def snapshot_of(log: EventLog) -> bytes:
    store = MemorySnapshotStore()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapshotWarning)  # "no snapshot" yet: full replay
        router = Router(log=log, snapshots=store)
    router.snapshot()
    assert store.blob is not None
    return store.blob


def expect_refused(log: EventLog, blob: bytes, case: str) -> None:
    store = MemorySnapshotStore()
    store.save(blob)
    with pytest.warns(ForeignSnapshotWarning) as caught:
        router = Router(log=log, snapshots=store)
    assert "history" in str(caught[0].message)
    assert router.state_digest() == Router.replay(log.read()).state_digest(), case
    router.check()
    TRIED[case] = TRIED.get(case, 0) + 1


def expect_used(log: EventLog, blob: bytes) -> Router:
    store = MemorySnapshotStore()
    store.save(blob)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SnapshotWarning)
        router = Router(log=log, snapshots=store)
    assert router.state_digest() == Router.replay(log.read()).state_digest()
    return router


def test_two_tenants_that_differ_only_before_the_snapshot(opener: Opener) -> None:
    a, b = opener("tenant-a"), opener("tenant-b")
    tenant(Router(log=a), 3)
    tenant(Router(log=b), 2)
    # The same event at the snapshot's version, the same length: only the chain tells.
    assert next(iter(a.read(a.version))) == next(iter(b.read(b.version)))
    assert a.version == b.version
    blob = snapshot_of(a)
    common_tail(Router(log=a))
    common_tail(Router(log=b))
    expect_refused(b, blob, "two-tenants")
    expect_used(a, blob)  # its own tenant: used, quietly
    figures("foreign-snapshot-tenants", store=opener.kind, refused=1)  # type: ignore[attr-defined]


def test_a_log_rewritten_after_the_snapshot(opener: Opener) -> None:
    """The log is cut back (a repair) and written again with another beginning."""
    log = opener("rewritten")
    tenant(Router(log=log), 3)
    blob = snapshot_of(log)
    common_tail(Router(log=log))
    again = opener("rewritten-copy")  # the rewritten log: same name in a real deployment
    tenant(Router(log=again), 5)
    common_tail(Router(log=again))
    expect_refused(again, blob, "rewritten")
    figures("foreign-snapshot-rewritten", store=opener.kind, refused=1)  # type: ignore[attr-defined]


def test_a_file_log_repaired_and_rewritten_in_place(tmp_path: Path) -> None:
    """The real sequence: damage, repair() cuts the log back, the router writes on with
    another history whose event at the snapshot's version is the old one again."""
    path = tmp_path / "log.ccr"
    with FileEventLog(path) as log:
        router = Router(log=log)
        router.login("ann", skills={"sales": 3}, at=0)
        cut_at = path.stat().st_size
        router.login("bob", skills={"sales": 1}, at=0)
        router.ready("bob", at=1)
        blob = snapshot_of(log)
        version = log.version
    data = bytearray(path.read_bytes())
    data[cut_at + 60] ^= 0xFF  # damage the second batch's payload
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptLog):
        FileEventLog(path)
    assert repair(path) is not None
    with FileEventLog(path) as log:
        assert log.version == 2  # the first batch: the log's config record and ann's login
        router = Router(log=log)
        router.login("bob", skills={"sales": 4}, at=0)  # written again, otherwise
        router.ready("bob", at=1)
        assert log.version == version
        expect_refused(log, blob, "repaired-in-place")


def test_snapshots_of_a_longer_and_a_shorter_history(opener: Opener) -> None:
    longer, shorter = opener("longer"), opener("shorter")
    router = Router(log=longer)
    tenant(router, 3)
    common_tail(router)
    blob_long = snapshot_of(longer)  # at the longer history's end
    tenant(Router(log=shorter), 3)
    expect_refused(shorter, blob_long, "longer")  # ahead of this log

    # A snapshot of a shorter history (the config record and two logins) on a longer log
    # whose event at the snapshot's version is the same but whose first login differs.
    short = opener("short-history")
    r = Router(log=short)
    r.login("ann", skills={"sales": 3}, at=0)
    r.login("bob", skills={"sales": 1}, at=0)
    blob_short = snapshot_of(short)
    other = opener("short-other")
    tenant(Router(log=other), 2)
    common_tail(Router(log=other))
    assert list(other.read(3, 4)) == list(short.read(3, 4))
    assert list(other.read(2, 3)) != list(short.read(2, 3))
    expect_refused(other, blob_short, "shorter")
    figures("foreign-snapshot-longer-shorter", store=opener.kind, refused=2)  # type: ignore[attr-defined]


def test_the_same_history_batched_otherwise_or_in_another_store_is_used(
    opener: Opener, tmp_path: Path
) -> None:
    log = opener("original")
    router = Router(log=log)
    tenant(router, 3)
    common_tail(router)
    events: list[Event] = list(log.read())
    for cut in range(1, len(events) + 1):  # a snapshot at every version, mid-batch included
        chain = extend_events(GENESIS, events[:cut])
        assert history_chain(log, cut) == chain, cut
    blob = snapshot_of(log)
    one_by_one = opener("rebatched")
    for e in events:
        one_by_one.append([e])
    assert history_chain(one_by_one, len(events)) == history_chain(log, len(events))
    expect_used(one_by_one, blob)
    elsewhere = MemoryEventLog(events)
    expect_used(elsewhere, blob)
    with SQLiteEventLog(tmp_path / "copy.db") as copy:
        copy.append(events)
        expect_used(copy, blob)


def test_a_legacy_sqlite_database_gets_its_chain(tmp_path: Path) -> None:
    """A database made before the chain column: rows without a chain are hashed from their
    data (the same chain), new rows carry it, snapshots work and foreign ones are refused."""
    db = tmp_path / "old.db"
    with SQLiteEventLog(db) as log:
        tenant(Router(log=log), 3)
    conn = sqlite3.connect(db)  # make it look like a database from before the column
    conn.execute("ALTER TABLE ccrouter_events DROP COLUMN chain")
    conn.commit()
    conn.close()
    with SQLiteEventLog(db, readonly=True) as reader:
        legacy = history_chain(reader, reader.version)
        assert legacy == extend_events(GENESIS, reader.read())
    with SQLiteEventLog(db) as log:
        assert history_chain(log, log.version) == legacy
        blob = snapshot_of(log)
        common_tail(Router(log=log))
        expect_used(log, blob)
        events = list(log.read())
        assert history_chain(log, log.version) == extend_events(GENESIS, events)
    with SQLiteEventLog(db, stream="other") as other:
        tenant(Router(log=other), 2)
        common_tail(Router(log=other))
        expect_refused(other, blob, "legacy-sqlite")


def test_a_legacy_postgres_table_gets_its_chain(pg_dsn: str) -> None:
    """A table made before the chain column: old rows are hashed from their data, a writer's
    open adds the column, new rows carry the chain, foreign snapshots are refused."""
    import psycopg

    from ccrouter.log import PostgresEventLog

    table = f"legacy_{uuid.uuid4().hex[:12]}"
    with PostgresEventLog(pg_dsn, stream="a", table=table) as log:
        tenant(Router(log=log), 3)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN chain")
    with PostgresEventLog(pg_dsn, stream="a", table=table, readonly=True) as reader:
        legacy = history_chain(reader, reader.version)
        assert legacy == extend_events(GENESIS, reader.read())
    with PostgresEventLog(pg_dsn, stream="a", table=table) as log:
        assert history_chain(log, log.version) == legacy
        blob = snapshot_of(log)
        common_tail(Router(log=log))
        expect_used(log, blob)
        assert history_chain(log, log.version) == extend_events(GENESIS, log.read())
    with PostgresEventLog(pg_dsn, stream="b", table=table) as other:
        tenant(Router(log=other), 2)
        common_tail(Router(log=other))
        expect_refused(other, blob, "legacy-postgres")
