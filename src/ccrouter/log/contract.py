"""The event-store contract: the checks every :class:`~ccrouter.log.base.EventLog` must pass.

The built-in stores (memory, file, SQLite, PostgreSQL) prove themselves with this suite, and a
store written elsewhere proves itself the same way: describe how to open handles onto one log
(a :class:`Store`), then subclass :class:`EventLogContract` in a test module and say how to make
a store. pytest collects the subclass (its name starts with ``Test``) and runs every check::

    from ccrouter.log.contract import EventLogContract, Store

    class ListStore(Store):          # how to open writers and readers onto one log
        durable = False
        encodes = False

        def __init__(self) -> None:
            super().__init__()
            self.log = MyListLog()

        def open_writer(self): return self.log
        def open_reader(self): return self.log

    class TestMyListLog(EventLogContract):
        def make_store(self, directory): return ListStore()

``docs/durability.md`` runs such a store end to end. The module needs no test framework: every
check is a plain method that raises :class:`AssertionError` (never a bare ``assert``, which
``python -O`` would strip), a check that does not apply to a store raises
:class:`unittest.SkipTest` (pytest reports it as skipped), and :meth:`EventLogContract.run_all`
runs the whole suite without pytest. The deterministic events the checks append come from
:func:`event`, :func:`events` and :func:`batches`.

>>> [e.seq for e in events(4, 3)]
[4, 5, 6]
>>> [[e.seq for e in b] for b in batches([2, 1])]
[[1, 2], [3]]
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import unittest
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ccrouter.errors import ConcurrencyConflict, InvalidArgument, LogError
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
    WrapUpEnded,
)
from ccrouter.log.base import EventLog

__all__ = ["EventLogContract", "Store", "batches", "event", "events"]

# --- deterministic events ---------------------------------------------------------------------


def event(seq: int, tag: str = "") -> Event:
    """A deterministic event for ``seq`` (the type cycles with ``seq``; ``tag`` marks a writer).

    Args:
        seq: the event's sequence number.
        tag: a suffix on every id, so that two writers' events differ.

    Returns:
        One of nine event types, with nested skills, capacities and attributes on some.
    """
    at = seq * 0.5
    agent = f"agent-{seq % 7}{tag}"
    inter = f"int-{seq}{tag}"
    k = seq % 9
    if k == 0:
        return AgentLoggedIn(
            seq=seq, at=at, agent_id=agent, skills={"sales": 3, "fr": 1}, capacity={"voice": 1}
        )
    if k == 1:
        return InteractionQueued(
            seq=seq,
            at=at,
            interaction_id=inter,
            channel="voice",
            queue="default",
            skills={"sales": 2},
            priority=float(seq % 3),
            attributes={"n": seq, "tag": tag},
        )
    if k == 2:
        return InteractionOffered(
            seq=seq, at=at, interaction_id=inter, agent_id=agent, expires_at=at + 20.0
        )
    if k == 3:
        return OfferAccepted(seq=seq, at=at, interaction_id=inter, agent_id=agent)
    if k == 4:
        return InteractionCompleted(
            seq=seq, at=at, interaction_id=inter, agent_id=agent, wrap_up_until=at + 5
        )
    if k == 5:
        return WrapUpEnded(seq=seq, at=at, interaction_id=inter, agent_id=agent)
    if k == 6:
        return AgentNotReady(seq=seq, at=at, agent_id=agent, reason="break")
    if k == 7:
        return AgentReady(seq=seq, at=at, agent_id=agent)
    return InteractionAbandoned(seq=seq, at=at, interaction_id=inter, agent_id=None)


def events(start: int, n: int, tag: str = "") -> list[Event]:
    """``n`` deterministic events with seq ``start, start+1, ...`` (see :func:`event`)."""
    return [event(s, tag) for s in range(start, start + n)]


def batches(sizes: Sequence[int], start: int = 1, tag: str = "") -> list[list[Event]]:
    """Consecutive batches of the given sizes, numbered from ``start``."""
    out = []
    for size in sizes:
        out.append(events(start, size, tag))
        start += size
    return out


# --- the store under test ---------------------------------------------------------------------


class Store:
    """One log under test: how to open writer and reader handles onto it.

    Subclass it, implement :meth:`open_writer` and :meth:`open_reader`, and set the three flags
    to what the store promises. Every handle opened through :meth:`writer` and :meth:`reader` is
    closed by :meth:`close`.
    """

    durable: ClassVar[bool] = True
    """Survives close and reopen (the reopen checks run)."""
    single_writer: ClassVar[bool] = False
    """Only one writer handle at a time: :meth:`writer` hands out the same one until closed."""
    encodes: ClassVar[bool] = True
    """Stores bytes, so an event that cannot be encoded is refused (the memory store keeps
    objects and does not)."""

    def __init__(self) -> None:
        self.handles: list[EventLog] = []
        self._writer: EventLog | None = None

    def open_writer(self) -> EventLog:
        """Open a new writer handle onto the log (creating the log if needed)."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_writer()")

    def open_reader(self) -> EventLog:
        """Open a new read handle onto the log (a writer handle will do for a shared object)."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_reader()")

    def writer(self) -> EventLog:
        """A writer handle: a new one each call, or the open one for ``single_writer`` stores."""
        if self.single_writer and self._writer is not None:
            return self._writer
        h = self.open_writer()
        if h not in self.handles:
            self.handles.append(h)
        self._writer = h
        return h

    def reader(self) -> EventLog:
        """A separate read handle (call :meth:`publish` first to see the latest appends)."""
        h = self.open_reader()
        if h not in self.handles:
            self.handles.append(h)
        return h

    def publish(self) -> None:
        """Make appends visible to other handles (e.g. flush a buffered file store)."""

    def reopen(self) -> EventLog:
        """Close every handle, then open a fresh writer (durable stores)."""
        self.close()
        return self.writer()

    def close(self) -> None:
        """Close every handle opened through this store."""
        for h in self.handles:
            h.close()
        self.handles.clear()
        self._writer = None


# --- checks -----------------------------------------------------------------------------------


def _equal(got: object, want: object, what: str) -> None:
    if got != want:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}")


def _true(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


@contextlib.contextmanager
def _raises(kind: type[BaseException], what: str) -> Iterator[list[BaseException]]:
    caught: list[BaseException] = []
    try:
        yield caught
    except kind as exc:
        caught.append(exc)
    else:
        raise AssertionError(f"{what}: expected {kind.__name__}, nothing was raised")


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


READ_RANGES: tuple[tuple[int, int | None], ...] = (
    (1, None), (0, None), (-5, 3), (3, None), (3, 7), (7, 8), (10, None), (11, None),
    (50, 60), (5, 5), (6, 2), (1, 1), (1, 11), (1, 1000), (4, 10),
)  # fmt: skip
"""``read(start, stop)`` windows checked over a ten-event log: inside, across, before, after."""


class EventLogContract:
    """Every check here must pass for every store. Subclass it and implement :meth:`make_store`.

    Each ``test_*`` method makes its own store in a fresh temporary directory and closes it
    afterwards, so the class runs under pytest (name the subclass ``Test...``), under unittest
    (mix in :class:`unittest.TestCase`) or alone (:meth:`run_all`).
    """

    def make_store(self, directory: Path) -> Store:
        """A new, empty store; ``directory`` is a fresh temporary directory it may use."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_store()")

    @contextlib.contextmanager
    def fresh_store(self) -> Iterator[Store]:
        """A new store in a temporary directory, closed and removed afterwards."""
        directory = Path(tempfile.mkdtemp(prefix="ccrouter-contract-"))
        store = self.make_store(directory)
        try:
            yield store
        finally:
            store.close()
            shutil.rmtree(directory, ignore_errors=True)

    @classmethod
    def checks(cls) -> list[str]:
        """The names of every check (the ``test_*`` methods)."""
        return sorted(name for name in dir(cls) if name.startswith("test_"))

    def run_all(self) -> dict[str, str]:
        """Run every check without a test framework.

        Returns:
            Check name -> ``"passed"``, ``"skipped: <why>"`` or ``"failed: <error>"``.
        """
        results: dict[str, str] = {}
        for name in self.checks():
            try:
                getattr(self, name)()
                results[name] = "passed"
            except unittest.SkipTest as skip:
                results[name] = f"skipped: {skip}"
            except Exception as exc:  # a failed check of any kind is a result, not a crash
                results[name] = f"failed: {type(exc).__name__}: {exc}"
        return results

    # --- append and read ------------------------------------------------------------------

    def test_empty_log(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            _equal(log.version, 0, "version of an empty log")
            _equal(list(log.read()), [], "events of an empty log")
            _equal(list(store.reader().read()), [], "events of an empty log through a reader")

    def test_append_returns_new_version_and_reads_back(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            _equal(log.append(events(1, 3)), 3, "append of 3 events returns")
            _equal(log.append(events(4, 1)), 4, "append of a 4th event returns")
            _equal(log.version, 4, "version after 4 events")
            _equal(list(log.read()), events(1, 4), "events read back")

    def test_empty_batch_changes_nothing(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 2))
            _equal(log.append([]), 2, "an empty append returns the version")
            _equal(log.append([], expected_version=2), 2, "an empty append at the version")
            with _raises(ConcurrencyConflict, "an empty append at a stale expected_version"):
                log.append([], expected_version=1)
            _equal(list(log.read()), events(1, 2), "events after empty appends")

    def test_read_ranges(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            _append_all(log, batches([3, 1, 4, 2]))
            everything = events(1, 10)
            store.publish()
            reader = store.reader()
            for start, stop in READ_RANGES:
                lo = max(start, 1) - 1
                hi = 10 if stop is None else max(0, min(stop - 1, 10))
                expected = everything[lo:hi] if lo < hi else []
                _equal(list(log.read(start, stop)), expected, f"read({start}, {stop})")
                _equal(list(reader.read(start, stop)), expected, f"reader read({start}, {stop})")

    def test_ordering_over_many_batches(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            sizes = [1 + (i * 7) % 5 for i in range(120)]
            _append_all(log, batches(sizes))
            n = sum(sizes)
            store.publish()
            got = list(store.reader().read())
            _equal([e.seq for e in got], list(range(1, n + 1)), "seqs read back")
            _equal(got, events(1, n), "events read back")
            _equal(list(log.read(n // 2, n // 2 + 3)), events(n // 2, 3), "a window mid-log")

    def test_read_is_a_snapshot_of_the_call(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 3))
            it = log.read()
            log.append(events(4, 2))
            _equal(list(it), events(1, 3), "a read started before an append")

    # --- atomic batches -------------------------------------------------------------------

    def test_batch_with_a_gap_is_rejected_whole(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 2))
            bad = [*events(3, 2), event(6), event(7)]
            with _raises(InvalidArgument, "a batch with a gap in its seqs"):
                log.append(bad)
            _equal(log.version, 2, "version after a refused batch")
            store.publish()
            _equal(list(store.reader().read()), events(1, 2), "events after a refused batch")
            _equal(log.append(events(3, 2)), 4, "the next good batch")

    def test_batch_with_an_unencodable_event_is_rejected_whole(self) -> None:
        with self.fresh_store() as store:
            if not store.encodes:
                raise unittest.SkipTest("the store keeps event objects and never encodes them")
            log = store.writer()
            log.append(events(1, 1))
            poison = InteractionQueued(
                seq=4,
                at=0.0,
                interaction_id="x",
                channel="v",
                queue="q",
                attributes={"o": object()},
            )
            with _raises(InvalidArgument, "a batch holding an unencodable event"):
                log.append([*events(2, 2), poison])
            _equal(log.version, 1, "version after a refused batch")
            _equal(list(log.read()), events(1, 1), "events after a refused batch")

    def test_batch_that_does_not_start_at_the_next_seq(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 2))
            with _raises(InvalidArgument, "a batch starting past the next seq"):
                log.append(events(4, 1))
            with _raises(ConcurrencyConflict, "a batch built on a stale version") as caught:
                log.append(events(2, 2))
            err: Any = caught[0]
            _equal((err.expected, err.actual), (1, 2), "the conflict's (expected, actual)")
            _equal(list(log.read()), events(1, 2), "events after refused batches")

    # --- optimistic concurrency -----------------------------------------------------------

    def test_expected_version_mismatch_raises_typed_conflict(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 3), expected_version=0)
            with _raises(ConcurrencyConflict, "append at a stale expected_version") as caught:
                log.append(events(4, 1), expected_version=2)
            err: Any = caught[0]
            _equal((err.expected, err.actual), (2, 3), "the conflict's (expected, actual)")
            _true(isinstance(err, LogError), "a ConcurrencyConflict is a LogError")
            _true(isinstance(err, ValueError), "a ConcurrencyConflict is a ValueError")
            _true("2" in str(err) and "3" in str(err), f"message names both versions: {err}")
            _equal(log.version, 3, "version after a conflict")
            _equal(log.append(events(4, 1), expected_version=3), 4, "append at the version")

    def test_concurrent_writers_exactly_one_wins(self) -> None:
        n_writers = 4
        with self.fresh_store() as store:
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
                _equal(
                    sorted(outcomes),
                    ["conflict"] * (n_writers - 1) + ["won"],
                    f"outcomes of round {round_}",
                )
                winner = outcomes.index("won")
                expected = events(version + 1, 1 + winner % 3, tag=f"w{winner}")
                store.publish()
                _equal(list(store.reader().read(version + 1)), expected, "the winner's batch")

    # --- readers while writing ------------------------------------------------------------

    def test_readers_see_clean_prefixes_while_a_writer_appends(self) -> None:
        with self.fresh_store() as store:
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
                        _true(got == everything[: len(got)], "a reader saw a non-prefix")
                        _true(len(got) >= last, "a reader went backwards")
                        _true(reader.version >= len(got), "reader version behind its events")
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
            _equal(errors, [], "reader errors")
            _equal(max(seen), total, "events seen at the end")

    # --- durability across reopen ---------------------------------------------------------

    def test_reopen_reads_the_same_log(self) -> None:
        with self.fresh_store() as store:
            if not store.durable:
                raise unittest.SkipTest("not durable: nothing to reopen")
            log = store.writer()
            _append_all(log, batches([2, 3, 1]))
            log = store.reopen()
            _equal(log.version, 6, "version after reopen")
            _equal(list(log.read()), events(1, 6), "events after reopen")
            _equal(log.append(events(7, 2), expected_version=6), 8, "append after reopen")
            log = store.reopen()
            _equal(list(log.read(6)), events(6, 3), "events after a second reopen")

    def test_close_is_idempotent_and_closed_logs_refuse_work(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            log.append(events(1, 1))
            log.close()
            log.close()
            if store.durable:
                with _raises(LogError, "append on a closed log"):
                    log.append(events(2, 1))

    # --- round trips ----------------------------------------------------------------------

    def check_round_trip(self, bs: list[list[Event]]) -> None:
        """Any batches appended to a fresh store read back equal (and after reopen if durable).

        Property-based tests call this with generated batches; :meth:`test_round_trip` calls
        it with a fixed assortment.
        """
        with self.fresh_store() as store:
            log = store.writer()
            _append_all(log, bs)
            flat = [e for b in bs for e in b]
            _equal(log.version, len(flat), "version after the batches")
            _equal(list(log.read()), flat, "events read back")
            if store.durable:
                _equal(list(store.reopen().read()), flat, "events read back after reopen")

    def test_round_trip(self) -> None:
        self.check_round_trip(batches([1, 9, 2, 5]))

    def test_events_read_back_are_equal_and_typed(self) -> None:
        with self.fresh_store() as store:
            log = store.writer()
            e = AgentReady(seq=1, at=1.25, agent_id="ünïcødé ☎")
            log.append([e])
            store.publish()
            (got,) = list(store.reader().read())
            _equal(got, e, "a unicode event read back")
            _true(type(got) is AgentReady, f"read back as {type(got).__name__}, not AgentReady")


StoreFactory = Callable[[Path], Store]
"""What :meth:`EventLogContract.make_store` is: a fresh temporary directory -> a new store."""
