"""The built-in stores prove the EventLog contract the way any third-party store would.

The checks live in :mod:`ccrouter.log.contract`; each store here is a
:class:`~ccrouter.log.contract.Store` (how to open writers and readers onto one log) and a
``Test...`` subclass of :class:`~ccrouter.log.contract.EventLogContract` (how to make one).
On top, a Hypothesis property feeds generated batches to the contract's round-trip check.
Store-specific behaviour (file locks, leases, checksums on disk) is tested beside this file and
in ``tests/faults/``.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from ccrouter.events import Event
from ccrouter.log import EventLog, FileEventLog, MemoryEventLog, SQLiteEventLog
from ccrouter.log.contract import EventLogContract, Store
from logtools import event_batches


class MemoryStore(Store):
    durable = False
    encodes = False

    def __init__(self) -> None:
        super().__init__()
        self.log = MemoryEventLog()

    def open_writer(self) -> EventLog:
        return self.log

    def open_reader(self) -> EventLog:
        return self.log


class FileStore(Store):
    single_writer = True

    def __init__(self, path: Path, durability: str = "fsync") -> None:
        super().__init__()
        self.path = path
        self.durability = durability

    def open_writer(self) -> EventLog:
        return FileEventLog(self.path, durability=self.durability)  # type: ignore[arg-type]

    def open_reader(self) -> EventLog:
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

    def open_writer(self) -> EventLog:
        return SQLiteEventLog(self.path, durability="os")

    def open_reader(self) -> EventLog:
        self.writer()
        return SQLiteEventLog(self.path, readonly=True)


class PostgresStore(Store):
    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn
        self.stream = f"contract-{uuid.uuid4()}"

    def open_writer(self) -> EventLog:
        from ccrouter.log import PostgresEventLog

        return PostgresEventLog(self.dsn, stream=self.stream)

    def open_reader(self) -> EventLog:
        from ccrouter.log import PostgresEventLog

        return PostgresEventLog(self.dsn, stream=self.stream, readonly=True)


class RoundTripProperty(EventLogContract):
    """Generated batches through the contract's round-trip check (a mixin any store can use)."""

    # One test method, several stores (subclasses): differing executors by design.
    @settings(
        max_examples=25,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(bs=event_batches())
    def test_any_events_round_trip(self, bs: list[list[Event]]) -> None:
        self.check_round_trip(bs)


# --- the stores -------------------------------------------------------------------------------


class TestMemoryLog(RoundTripProperty):
    def make_store(self, directory: Path) -> Store:
        return MemoryStore()


class TestFileLog(RoundTripProperty):
    durability = "fsync"

    def make_store(self, directory: Path) -> Store:
        return FileStore(directory / "log.ccr", self.durability)


class TestFileLogOSDurability(TestFileLog):
    durability = "os"


class TestFileLogNoDurability(TestFileLog):
    durability = "none"


class TestSQLiteLog(RoundTripProperty):
    def make_store(self, directory: Path) -> Store:
        return SQLiteStore(directory / "log.db")


@pytest.mark.postgres
class TestPostgresLog(RoundTripProperty):
    @pytest.fixture(autouse=True)
    def _server(self, pg_dsn: str) -> None:
        self.dsn = pg_dsn

    def make_store(self, directory: Path) -> Store:
        return PostgresStore(self.dsn)


def test_the_contract_fails_a_broken_store() -> None:
    """A store that loses its last event fails the contract (a suite that passes all is no test)."""

    class LossyLog(MemoryEventLog):
        def read(self, start: int = 1, stop: int | None = None):  # type: ignore[no-untyped-def]
            got = list(super().read(start, stop))
            return iter(got[:-1])

    class LossyStore(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.log = LossyLog()

    class Lossy(EventLogContract):
        def make_store(self, directory: Path) -> Store:
            return LossyStore()

    results = Lossy().run_all()
    failed = {name for name, outcome in results.items() if outcome.startswith("failed")}
    assert "test_append_returns_new_version_and_reads_back" in failed
    assert "test_read_ranges" in failed
    assert results["test_empty_log"] == "passed"
    assert results["test_reopen_reads_the_same_log"].startswith("skipped")
    assert set(results) == set(EventLogContract.checks())


def test_the_contract_needs_no_test_framework() -> None:
    """A third party can import the contract without pytest or Hypothesis installed."""
    code = (
        "import sys, ccrouter.log.contract as c; "
        "assert not {'pytest', 'hypothesis', '_pytest'} & set(sys.modules), sorted(sys.modules); "
        "print(len(c.EventLogContract.checks()))"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 15
