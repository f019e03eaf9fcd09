"""The EventLog contract, written once and run against every store.

Each store is a subclass of :class:`EventLogContract` that says how to open writers and
readers onto one underlying log. Store-specific behaviour (file locks, leases, checksums on
disk) is tested beside this file and in ``tests/faults/``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings

from ccrouter.errors import ConcurrencyConflict, InvalidArgument, LogError
from ccrouter.events import AgentReady, Event, InteractionQueued
from ccrouter.log import EventLog, FileEventLog, MemoryEventLog, SQLiteEventLog
from logtools import batches, event, event_batches, events


class Store:
    """One log under test; ``writer()``/``reader()`` open handles onto it."""

    durable: ClassVar[bool] = True
    """Survives close and reopen."""
    single_writer: ClassVar[bool] = False
    """Only one writer handle at a time (concurrent writers share it)."""
    encodes: ClassVar[bool] = True
    """Stores bytes (so an event that cannot be encoded is refused)."""

    def __init__(self) -> None:
        self.handles: list[EventLog] = []

    def _open_writer(self) -> EventLog:
        raise NotImplementedError

    def _open_reader(self) -> EventLog:
        raise NotImplementedError

    def writer(self) -> EventLog:
        if self.single_writer:
            for h in self.handles:
                if getattr(h, "_fd", -1) >= 0 and not getattr(h, "readonly", False):
                    return h
        h = self._open_writer()
        self.handles.append(h)
        return h

    def reader(self) -> EventLog:
        """A separate read handle (call :meth:`publish` first to see the latest appends)."""
        h = self._open_reader()
        self.handles.append(h)
        return h

    def publish(self) -> None:
        """Make appends visible to other handles (file store with ``durability="none"``)."""

    def reopen(self) -> EventLog:
        """Close every handle, then open a fresh writer (durable stores)."""
        self.close()
        return self.writer()

    def close(self) -> None:
        for h in self.handles:
            h.close()
        self.handles.clear()


class MemoryStore(Store):
    durable = False
    encodes = False

    def __init__(self) -> None:
        super().__init__()
        self.log = MemoryEventLog()

    def writer(self) -> EventLog:
        return self.log

    def reader(self) -> EventLog:
        return self.log


class FileStore(Store):
    single_writer = True

    def __init__(self, path: Path, durability: str = "fsync") -> None:
        super().__init__()
        self.path = path
        self.durability = durability

    def _open_writer(self) -> EventLog:
        return FileEventLog(self.path, durability=self.durability)  # type: ignore[arg-type]

    def _open_reader(self) -> EventLog:
        self.writer()  # make sure the file exists
        return FileEventLog(self.path, readonly=True)

    def publish(self) -> None:
        log = self.writer()
        assert isinstance(log, FileEventLog)
        log.flush()


class SQLiteStore(Store):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _open_writer(self) -> EventLog:
        return SQLiteEventLog(self.path, durability="os")

    def _open_reader(self) -> EventLog:
        self.writer()
        return SQLiteEventLog(self.path, readonly=True)


class PostgresStore(Store):
    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn
        self.stream = f"contract-{uuid.uuid4()}"

    def _open_writer(self) -> EventLog:
        from ccrouter.log import PostgresEventLog

        return PostgresEventLog(self.dsn, stream=self.stream)

    def _open_reader(self) -> EventLog:
        from ccrouter.log import PostgresEventLog

        return PostgresEventLog(self.dsn, stream=self.stream, readonly=True)


StoreFactory = Callable[[], Store]


def _append_all(log: EventLog, bs: list[list[Event]]) -> None:
    for b in bs:
        log.append(b)


def _race(
    log: EventLog,
    i: int,
    version: int,
    expect: int | None,
    barrier: threading.Barrier,
    outcomes: list[str],
) -> None:
    batch = events(version + 1, 1 + i % 3, tag=f"w{i}")
    barrier.wait()
    try:
        log.append(batch, expected_version=expect)
        outcomes[i] = "won"
    except ConcurrencyConflict:
        outcomes[i] = "conflict"


class EventLogContract:
    """Every test here must pass for every store."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> Store:
        return make_store()

    # --- append and read ------------------------------------------------------------------

    def test_empty_log(self, store: Store) -> None:
        log = store.writer()
        assert log.version == 0
        assert list(log.read()) == []
        assert list(store.reader().read()) == []

    def test_append_returns_new_version_and_reads_back(self, store: Store) -> None:
        log = store.writer()
        assert log.append(events(1, 3)) == 3
        assert log.append(events(4, 1)) == 4
        assert log.version == 4
        assert list(log.read()) == events(1, 4)

    def test_empty_batch_changes_nothing(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 2))
        assert log.append([]) == 2
        assert log.append([], expected_version=2) == 2
        with pytest.raises(ConcurrencyConflict):
            log.append([], expected_version=1)
        assert list(log.read()) == events(1, 2)

    @pytest.mark.parametrize(
        ("start", "stop"),
        [(1, None), (0, None), (-5, 3), (3, None), (3, 7), (7, 8), (10, None), (11, None),
         (50, 60), (5, 5), (6, 2), (1, 1), (1, 11), (1, 1000), (4, 10)],
    )  # fmt: skip
    def test_read_ranges(self, store: Store, start: int, stop: int | None) -> None:
        log = store.writer()
        _append_all(log, batches([3, 1, 4, 2]))
        everything = events(1, 10)
        lo = max(start, 1) - 1
        hi = 10 if stop is None else max(0, min(stop - 1, 10))
        expected = everything[lo:hi] if lo < hi else []
        assert list(log.read(start, stop)) == expected
        store.publish()
        assert list(store.reader().read(start, stop)) == expected

    def test_ordering_over_many_batches(self, store: Store) -> None:
        log = store.writer()
        sizes = [1 + (i * 7) % 5 for i in range(120)]
        _append_all(log, batches(sizes))
        n = sum(sizes)
        store.publish()
        got = list(store.reader().read())
        assert [e.seq for e in got] == list(range(1, n + 1))
        assert got == events(1, n)
        assert list(log.read(n // 2, n // 2 + 3)) == events(n // 2, 3)

    def test_read_is_a_snapshot_of_the_call(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 3))
        it = log.read()
        log.append(events(4, 2))
        assert list(it) == events(1, 3)

    # --- atomic batches -------------------------------------------------------------------

    def test_batch_with_a_gap_is_rejected_whole(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 2))
        bad = [*events(3, 2), event(6), event(7)]
        with pytest.raises(InvalidArgument):
            log.append(bad)
        assert log.version == 2
        store.publish()
        assert list(store.reader().read()) == events(1, 2)
        assert log.append(events(3, 2)) == 4

    def test_batch_with_an_unencodable_event_is_rejected_whole(self, store: Store) -> None:
        if not store.encodes:
            pytest.skip("the memory store keeps event objects and never encodes them")
        log = store.writer()
        log.append(events(1, 1))
        poison = InteractionQueued(
            seq=4, at=0.0, interaction_id="x", channel="v", queue="q", attributes={"o": object()}
        )
        with pytest.raises(InvalidArgument):
            log.append([*events(2, 2), poison])
        assert log.version == 1
        assert list(log.read()) == events(1, 1)

    def test_batch_that_does_not_start_at_the_next_seq(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 2))
        with pytest.raises(InvalidArgument):
            log.append(events(4, 1))  # a gap
        with pytest.raises(ConcurrencyConflict) as info:
            log.append(events(2, 2))  # built on a stale version
        assert (info.value.expected, info.value.actual) == (1, 2)
        assert list(log.read()) == events(1, 2)

    # --- optimistic concurrency -----------------------------------------------------------

    def test_expected_version_mismatch_raises_typed_conflict(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 3), expected_version=0)
        with pytest.raises(ConcurrencyConflict) as info:
            log.append(events(4, 1), expected_version=2)
        err = info.value
        assert (err.expected, err.actual) == (2, 3)
        assert isinstance(err, LogError)
        assert isinstance(err, ValueError)
        assert "2" in str(err)
        assert "3" in str(err)
        assert log.version == 3
        assert log.append(events(4, 1), expected_version=3) == 4

    def test_concurrent_writers_exactly_one_wins(self, store: Store) -> None:
        n_writers = 4
        writers = [store.writer() for _ in range(n_writers)]
        for round_ in range(8):
            version = writers[0].version
            barrier = threading.Barrier(n_writers)
            outcomes: list[str] = [""] * n_writers
            # Half the rounds race on expected_version, half on seq numbers alone.
            expect = version if round_ % 2 else None
            threads = [
                threading.Thread(
                    target=_race, args=(writers[i], i, version, expect, barrier, outcomes)
                )
                for i in range(n_writers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(outcomes) == ["conflict"] * (n_writers - 1) + ["won"], outcomes
            winner = outcomes.index("won")
            expected = events(version + 1, 1 + winner % 3, tag=f"w{winner}")
            store.publish()
            assert list(store.reader().read(version + 1)) == expected

    # --- readers while writing ------------------------------------------------------------

    def test_readers_see_clean_prefixes_while_a_writer_appends(self, store: Store) -> None:
        log = store.writer()
        sizes = [1 + i % 4 for i in range(150)]
        total = sum(sizes)
        everything = events(1, total)
        done = threading.Event()
        errors: list[BaseException] = []
        seen: list[int] = []

        def read_loop() -> None:
            reader = store.reader()
            last = 0
            try:
                while True:
                    finished = done.is_set()
                    got = list(reader.read())
                    assert got == everything[: len(got)], "not a prefix"
                    assert len(got) >= last, "went backwards"
                    assert reader.version >= len(got)
                    last = len(got)
                    seen.append(last)
                    if finished:
                        return
            except BaseException as exc:
                errors.append(exc)

        readers = [threading.Thread(target=read_loop) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            _append_all(log, batches(sizes))
            store.publish()
        finally:
            done.set()
            for t in readers:
                t.join(60)
        assert not errors, errors
        assert max(seen) == total

    # --- durability across reopen ---------------------------------------------------------

    def test_reopen_reads_the_same_log(self, store: Store) -> None:
        if not store.durable:
            pytest.skip("in-memory store: nothing to reopen")
        log = store.writer()
        _append_all(log, batches([2, 3, 1]))
        log = store.reopen()
        assert log.version == 6
        assert list(log.read()) == events(1, 6)
        assert log.append(events(7, 2), expected_version=6) == 8
        log = store.reopen()
        assert list(log.read(6)) == events(6, 3)

    def test_close_is_idempotent_and_closed_logs_refuse_work(self, store: Store) -> None:
        log = store.writer()
        log.append(events(1, 1))
        log.close()
        log.close()
        if store.durable:
            with pytest.raises(LogError):
                log.append(events(2, 1))

    # --- round trips ----------------------------------------------------------------------

    # One test method, several stores (subclasses): differing executors by design.
    @settings(
        max_examples=25,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(bs=event_batches())
    def test_any_events_round_trip(self, make_store: StoreFactory, bs: list[list[Event]]) -> None:
        store = make_store()
        try:
            log = store.writer()
            _append_all(log, bs)
            flat = [e for b in bs for e in b]
            assert log.version == len(flat)
            assert list(log.read()) == flat
            if store.durable:
                assert list(store.reopen().read()) == flat
        finally:
            store.close()

    def test_events_read_back_are_equal_and_typed(self, store: Store) -> None:
        log = store.writer()
        e = AgentReady(seq=1, at=1.25, agent_id="ünïcødé ☎")
        log.append([e])
        store.publish()
        (got,) = list(store.reader().read())
        assert got == e
        assert type(got) is AgentReady


# --- the stores -------------------------------------------------------------------------------


class TestMemoryLog(EventLogContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return MemoryStore


class TestFileLog(EventLogContract):
    @pytest.fixture(params=["fsync", "os", "none"])
    def make_store(self, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
        made: list[Store] = []

        def make() -> Store:
            s = FileStore(tmp_path / f"log-{len(made)}.ccr", request.param)
            made.append(s)
            return s

        yield make
        for s in made:
            s.close()


class TestSQLiteLog(EventLogContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        made: list[Store] = []

        def make() -> Store:
            s = SQLiteStore(tmp_path / f"log-{len(made)}.db")
            made.append(s)
            return s

        yield make
        for s in made:
            s.close()


@pytest.mark.postgres
class TestPostgresLog(EventLogContract):
    @pytest.fixture
    def make_store(self, pg_dsn: str) -> Iterator[StoreFactory]:
        made: list[Store] = []

        def make() -> Store:
            s = PostgresStore(pg_dsn)
            made.append(s)
            return s

        yield make
        for s in made:
            s.close()
