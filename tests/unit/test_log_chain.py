"""The history chain: one definition, the same value in every store, at every version."""

from __future__ import annotations

import warnings
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrouter import Router
from ccrouter.engine.snapshot import (
    MAGIC,
    MemorySnapshotStore,
    SnapshotWarning,
    encode_snapshot,
)
from ccrouter.errors import DecodeError, InvalidArgument
from ccrouter.log import EventLog, FileEventLog, MemoryEventLog, SQLiteEventLog
from ccrouter.log.chain import GENESIS, extend, extend_events, history_chain, split_payload
from ccrouter.log.file import _file_header
from ccrouter.log.schema import encode_payload
from logtools import batches, events


class _Plain:
    """An EventLog without ``chain_at`` (one written elsewhere): the chain is computed."""

    def __init__(self, log: EventLog) -> None:
        self._log = log

    @property
    def version(self) -> int:
        return self._log.version

    def append(self, evs: object, *, expected_version: int | None = None) -> int:
        raise NotImplementedError

    def read(self, start: int = 1, stop: int | None = None) -> object:
        return self._log.read(start, stop)

    def close(self) -> None:
        pass


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=8))
def test_every_store_and_batching_gives_the_same_chain_at_every_version(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int]
) -> None:
    tmp = tmp_path_factory.mktemp("chain")
    (tmp / "f1.ccr").write_bytes(_file_header(1))
    stores: list[EventLog] = [
        MemoryEventLog(),
        FileEventLog(tmp / "f2.ccr", durability="none"),
        FileEventLog(tmp / "f1.ccr", durability="none"),
        SQLiteEventLog(tmp / "db.sqlite", durability="none"),
    ]
    try:
        for log in stores:
            for batch in batches(sizes):
                log.append(batch)
        every = list(stores[0].read())
        expected = [GENESIS]
        for e in every:
            expected.append(extend(expected[-1], [encode_payload([e])]))
        for log in [*stores, _Plain(stores[0])]:
            for v in range(len(every) + 1):
                assert history_chain(log, v) == expected[v], (type(log).__name__, v)
        assert history_chain(stores[0], len(every)) == extend_events(GENESIS, every)
        stores[1].flush()  # type: ignore[attr-defined]
        reader = FileEventLog(tmp / "f2.ccr", readonly=True)
        assert reader.chain_at(len(every)) == expected[-1]
        reader.close()
    finally:
        for log in stores:
            log.close()


def test_a_follower_learns_the_chain_of_batches_appended_after_it_opened(tmp_path: Path) -> None:
    for fmt in (1, 2):
        path = tmp_path / f"f{fmt}.ccr"
        if fmt == 1:
            path.write_bytes(_file_header(1))
        with FileEventLog(path, durability="os") as log:
            log.append(events(1, 3))
            reader = FileEventLog(path, readonly=True)
            assert reader.chain_at(3) == extend_events(GENESIS, events(1, 3))
            log.append(events(4, 2))
            assert len(list(reader.read())) == 5  # learns the new batch while reading
            assert reader.chain_at(5) == extend_events(GENESIS, events(1, 5)), fmt
            log.append(events(6, 1))
            assert reader.chain_at(6) == extend_events(GENESIS, events(1, 6)), fmt
            assert log.chain_at(4) == extend_events(GENESIS, events(1, 4)), fmt
            assert log.format == fmt
            reader.close()


@pytest.mark.parametrize("version", [-1, 4])
def test_chain_at_refuses_versions_outside_the_log(tmp_path: Path, version: int) -> None:
    logs: list[EventLog] = [
        MemoryEventLog(events(1, 3)),
        FileEventLog(tmp_path / "f.ccr"),
        SQLiteEventLog(tmp_path / "d.db"),
    ]
    for log in logs[1:]:
        log.append(events(1, 3))
    for log in logs:
        with pytest.raises(InvalidArgument, match="version"):
            log.chain_at(version)  # type: ignore[attr-defined]
        log.close()


def test_split_payload_refuses_garbage() -> None:
    with pytest.raises(DecodeError):
        split_payload(b"\xc1", 1)
    with pytest.raises(DecodeError):
        split_payload(encode_payload(events(1, 2)), 3)


def test_snapshots_without_a_chain_or_of_format_1_are_refused() -> None:
    log = MemoryEventLog()
    store = MemorySnapshotStore()
    router = Router(log=log, snapshots=store)
    router.login("ann", skills={"sales": 1}, at=0)
    cases = {"no history chain": encode_snapshot(router.state, 0)}
    good = store.blob
    router.snapshot()
    good = store.blob
    assert good is not None
    envelope = msgspec.msgpack.decode(good[len(MAGIC) :])
    envelope["format"] = 1
    del envelope["chain"]
    cases["format 1"] = MAGIC + msgspec.msgpack.encode(envelope)
    for match, blob in cases.items():
        store.save(blob)
        with pytest.warns(SnapshotWarning, match=match):
            restored = Router(log=log, snapshots=store)
        assert restored.state_digest() == router.state_digest()
    store.save(good)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SnapshotWarning)
        Router(log=log, snapshots=store)
