"""Damaged, missing or foreign snapshots: full replay with a warning, never a wrong state."""

from __future__ import annotations

import warnings
from pathlib import Path

import msgspec
import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.snapshot import (
    MAGIC,
    FileSnapshotStore,
    MemorySnapshotStore,
    SnapshotWarning,
    decode_snapshot,
)
from ccrouter.errors import InvalidArgument
from ccrouter.log import FileEventLog, MemoryEventLog


def busy(log: MemoryEventLog | FileEventLog, store: object) -> Router:
    r = Router(log=log, snapshots=store)  # type: ignore[arg-type]
    r.login("ann", skills={"billing": 5}, capacity={"voice": 1, "chat": 2}, at=0)
    r.login("bob", skills={"sales": 2}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="chat", skills={"billing": 3}, at=1, command_id="s1")
    r.submit("c2", channel="voice", skills={"sales": 1}, priority=2, at=2)
    r.accept("c1", at=3)
    return r


def open_quietly(log: object, store: object) -> Router:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SnapshotWarning)
        return Router(log=log, snapshots=store)  # type: ignore[arg-type]


def test_snapshot_then_tail(tmp_path: Path) -> None:
    store = FileSnapshotStore(tmp_path / "state.snap")
    assert store.load() is None
    with FileEventLog(tmp_path / "events.log") as log:
        r = busy(log, store)
        assert r.snapshot() == log.version
        r.ready("bob", at=4)  # the tail
        digest = r.state_digest()
    with FileEventLog(tmp_path / "events.log") as log:
        again = open_quietly(log, store)
        assert again.state_digest() == digest
        again.check()
        assert again.submit("c1", channel="chat", skills={"billing": 3}, at=1, command_id="s1")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_empty_log_without_a_snapshot_is_quiet() -> None:
    open_quietly(MemoryEventLog(), MemorySnapshotStore())


def expect_fallback(log: MemoryEventLog, blob: bytes | None, match: str) -> Router:
    store = MemorySnapshotStore()
    store.blob = blob
    with pytest.warns(SnapshotWarning, match=match):
        router = Router(log=log, snapshots=store)
    assert router.state_digest() == Router.replay(log.read()).state_digest()
    router.check()
    return router


def test_missing_snapshot_warns() -> None:
    log = MemoryEventLog()
    busy(log, None)
    expect_fallback(log, None, "no snapshot")


def snapshot_of(log: MemoryEventLog) -> bytes:
    store = MemorySnapshotStore()
    r = busy(log, store)
    r.snapshot()
    assert store.blob is not None
    return store.blob


def test_every_flipped_byte_and_every_truncation_falls_back() -> None:
    log = MemoryEventLog()
    blob = snapshot_of(log)
    flips = cuts = 0
    for i in range(len(blob)):
        for mask in (0x01, 0x80):
            damaged = bytearray(blob)
            damaged[i] ^= mask
            expect_fallback(log, bytes(damaged), "replaying the whole log")
            flips += 1
    for n in range(len(blob)):
        expect_fallback(log, blob[:n], "replaying the whole log")
        cuts += 1
    print(f"SNAPSHOT-FIGURES {{'snapshot_bytes': {len(blob)}, 'flips': {flips}, 'cuts': {cuts}}}")


def test_wrong_format_version_falls_back() -> None:
    log = MemoryEventLog()
    blob = snapshot_of(log)
    envelope = msgspec.msgpack.decode(blob[len(MAGIC) :])
    envelope["format"] = 99
    expect_fallback(log, MAGIC + msgspec.msgpack.encode(envelope), "format 99")


def test_snapshot_ahead_of_the_log_falls_back() -> None:
    log = MemoryEventLog()
    blob = snapshot_of(log)
    shorter = MemoryEventLog(list(log.read(1, log.version)))
    expect_fallback(shorter, blob, "ahead of the log")


def test_snapshot_of_another_log_falls_back() -> None:
    log = MemoryEventLog()
    blob = snapshot_of(log)
    other = MemoryEventLog()
    r = Router(log=other)
    r.login("zoe", skills={}, at=0)
    while other.version < log.version:
        r.advance(at=1, command_id=f"t{other.version}")
    expect_fallback(other, blob, "another log")


def test_a_tail_that_does_not_fit_falls_back() -> None:
    log = MemoryEventLog()
    blob = snapshot_of(log)
    # Same events up to the snapshot's version, then a tail naming an agent it never saw.
    events = list(log.read())
    from ccrouter.events import AgentReady

    forged = MemoryEventLog([*events, AgentReady(seq=len(events) + 1, at=9.0, agent_id="nobody")])
    store = MemorySnapshotStore()
    store.blob = blob
    with pytest.warns(SnapshotWarning, match="tail does not apply"), pytest.raises(KeyError):
        Router(log=forged, snapshots=store)  # the full replay fails too: never a wrong state


def test_snapshot_needs_a_store() -> None:
    with pytest.raises(InvalidArgument, match="snapshot store"):
        Router().snapshot()


def test_decode_rejects_garbage() -> None:
    from ccrouter import RouterConfig

    with pytest.raises(ValueError, match="magic"):
        decode_snapshot(b"nope", RouterConfig())


def test_a_restored_state_still_watches_work_waiting_for_any_agent() -> None:
    # max_wait_no_agents watches waiting live callers; a restore re-derives which, so a login
    # after it still stops the clock exactly as it does on the replayed state.
    config = RouterConfig.from_dict({"queues": {"sales": {"max_wait_no_agents": 30.0}}})
    store = MemorySnapshotStore()
    router = Router(config, backend="python", snapshots=store)
    router.submit("c1", queue="sales", channel="voice", at=1)  # nobody logged in: clock runs
    router.snapshot()
    copy = MemoryEventLog(list(router.events))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the snapshot is used, not set aside for a replay
        restored = Router(config, log=copy, backend="python", snapshots=store)
    restored.check()
    for r in (router, restored):
        r.login("a1", skills={}, capacity={"voice": 1}, at=10)  # able: the clock stops
        assert r.advance(at=60) == []
        assert r.interaction("c1").status == "queued"
    assert restored.state_digest() == router.state_digest()
