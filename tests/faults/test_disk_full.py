"""Full disks and failing writes: a typed error, nothing acknowledged lost, the writer poisoned.

Three ways to fill the disk: injected ``ENOSPC`` (after a short write), ``RLIMIT_FSIZE`` in a
forked writer (the kernel cuts a write short, then fails with ``EFBIG``), and a real tiny
tmpfs where mounting is permitted (root); the last is skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import assert_clean_prefix, figures

import ccrouter.engine.snapshot as snapshot_mod
import ccrouter.log.file as file_mod
import ccrouter.log.sqlite_head as head_mod
from ccrouter import Router
from ccrouter.engine.snapshot import FileSnapshotStore
from ccrouter.errors import LogError, StorageFull, WriterPoisoned
from ccrouter.log import EventLog, FileEventLog, SQLiteEventLog
from logtools import events


def _fill(log: EventLog, limit: int = 100_000) -> tuple[int, BaseException]:
    """Append until an error; return (last acknowledged version, the error)."""
    version = log.version
    for _ in range(limit):
        try:
            version = log.append(events(version + 1, 7))
        except Exception as exc:
            return version, exc
    raise AssertionError("the disk never filled")


def test_injected_enospc_after_a_short_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    log = FileEventLog(path)
    log.append(events(1, 3))
    log.append(events(4, 2))
    real = file_mod._write
    calls = []

    def short_then_full(fd: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data)[:17])  # the kernel took only 17 bytes
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(file_mod, "_write", short_then_full)
    with pytest.raises(StorageFull) as info:
        log.append(events(6, 4))
    err = info.value
    assert err.errno == errno.ENOSPC
    assert isinstance(err, OSError)
    assert isinstance(err, LogError)
    assert log.version == 5

    monkeypatch.setattr(file_mod, "_write", real)  # space again: still refused, never retried
    with pytest.raises(WriterPoisoned):
        log.append(events(6, 1))
    assert len(calls) == 2
    log.close()

    with FileEventLog(path) as log:
        assert log.recovery is not None
        assert log.recovery.dropped_bytes == 17
        assert list(log.read()) == events(1, 5)
        assert log.append(events(6, 1)) == 6


def test_failed_fsync_poisons_the_writer_and_is_never_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    log = FileEventLog(path)
    log.append(events(1, 2))
    writes: list[int] = []
    fsyncs: list[int] = []
    real_write = file_mod._write

    def counting_write(fd: int, data: bytes | memoryview) -> int:
        writes.append(len(data))
        return real_write(fd, data)

    def failing_fsync(fd: int) -> None:
        fsyncs.append(fd)
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(file_mod, "_write", counting_write)
    monkeypatch.setattr(file_mod, "_fsync", failing_fsync)
    with pytest.raises(WriterPoisoned) as info:
        log.append(events(3, 3))
    assert isinstance(info.value.__cause__, OSError)
    assert log.version == 2
    for _ in range(3):
        with pytest.raises(WriterPoisoned):
            log.append(events(3, 3))
    with pytest.raises(WriterPoisoned):
        log.sync()
    assert (len(writes), len(fsyncs)) == (1, 1), "a poisoned writer touched the file again"
    log.close()
    monkeypatch.undo()

    # The batch reached the page cache but was never acknowledged: either outcome is allowed.
    with FileEventLog(path) as log:
        got = list(log.read())
    assert_clean_prefix(got, 2)
    assert len(got) in (2, 5)


def test_buffered_writer_reports_a_failed_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    log = FileEventLog(path, durability="none")
    log.append(events(1, 2))
    log.flush()

    def full(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(file_mod, "_write", full)
    log.append(events(3, 2))  # buffered: acknowledged before it reaches the OS
    with pytest.raises(StorageFull):
        log.flush()
    with pytest.raises(WriterPoisoned):
        log.append(events(5, 1))
    log.close()
    monkeypatch.undo()
    with FileEventLog(path, readonly=True) as reader:
        assert list(reader.read()) == events(1, 2)


_REPORT = struct.Struct("<qi")


def _fsize_child(kind: str, path: Path, limit: int, wfd: int) -> None:
    code = 0
    try:
        log: EventLog
        log = SQLiteEventLog(path) if kind == "sqlite" else FileEventLog(path)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        version, exc = _fill(log)
        # StorageFull: its errno; another typed log error: 0; anything else: -1.
        err = (
            (exc.errno or -2)
            if isinstance(exc, StorageFull)
            else 0
            if isinstance(exc, LogError)
            else -1
        )
        os.write(wfd, _REPORT.pack(version, err))
        with contextlib.suppress(Exception):
            log.close()
    except BaseException:
        code = 3
    finally:
        os._exit(code)


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_file_size_limit_gives_storage_full_and_keeps_acknowledged(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / ("log.db" if kind == "sqlite" else "log.ccr")
    with SQLiteEventLog(path) if kind == "sqlite" else FileEventLog(path) as log:
        log.append(events(1, 5))
    limit = path.stat().st_size + 60_000
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(rfd)
        _fsize_child(kind, path, limit, wfd)
    os.close(wfd)
    _, status = os.waitpid(pid, 0)
    report = os.read(rfd, 64)
    os.close(rfd)
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    acked, err = _REPORT.unpack(report)
    # SQLite reports EFBIG as SQLITE_IOERR_WRITE without the errno; the store tells the
    # file-size limit from the file sizes and still raises StorageFull(EFBIG).
    assert err == errno.EFBIG, err
    log2: EventLog
    log2 = SQLiteEventLog(path) if kind == "sqlite" else FileEventLog(path)
    with log2:
        got = list(log2.read())
        assert_clean_prefix(got, acked)
        assert log2.append(events(len(got) + 1, 1)) == len(got) + 1
    figures(f"rlimit-fsize-{kind}", acked_events=acked, recovered_events=len(got))


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the RLIMIT_FSIZE test covers disk full")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_real_full_disk(tiny_tmpfs: Path, kind: str) -> None:
    path = tiny_tmpfs / ("log.db" if kind == "sqlite" else "log.ccr")
    log: EventLog
    log = SQLiteEventLog(path) if kind == "sqlite" else FileEventLog(path)
    acked, exc = _fill(log)
    assert isinstance(exc, StorageFull), repr(exc)
    assert exc.errno == errno.ENOSPC
    with contextlib.suppress(LogError):
        log.close()
    # Reopening needs no space (a torn tail is cut, which frees some).
    reopened: EventLog
    reopened = SQLiteEventLog(path, readonly=True) if kind == "sqlite" else FileEventLog(path)
    with reopened:
        got = list(reopened.read())
    assert_clean_prefix(got, acked)
    figures(f"tmpfs-enospc-{kind}", acked_events=acked, recovered_events=len(got))


# --- full disk outside appends: creating a file log, saving a snapshot, closing -----------


def _enospc(*_: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_creating_a_file_log_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    monkeypatch.setattr(os, "fsync", _enospc)  # creation writes and fsyncs the header
    with pytest.raises(StorageFull) as info:
        FileEventLog(path)
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == [], "a failed create left a file behind"
    monkeypatch.undo()
    with FileEventLog(path) as log:
        assert log.append(events(1, 1)) == 1


def test_restarting_an_empty_file_log_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    path.write_bytes(b"")  # a creation that was cut short: the header is rewritten on open
    monkeypatch.setattr(file_mod, "_fsync", _enospc)
    with pytest.raises(StorageFull):
        FileEventLog(path)


def _busy_router(log: EventLog, store: FileSnapshotStore) -> Router:
    router = Router(log=log, snapshots=store)
    router.login("ann", skills={"sales": 3}, at=0)
    router.ready("ann", at=1)
    router.submit("i1", channel="voice", skills={"sales": 1}, at=2)
    return router


def test_router_snapshot_on_a_full_disk_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileSnapshotStore(tmp_path / "state.snap")
    with FileEventLog(tmp_path / "events.log") as log:
        router = _busy_router(log, store)
        router.snapshot()
        old = store.load()
        router.submit("i2", channel="voice", skills={"sales": 1}, at=3)
        digest = router.state_digest()
        version = log.version
        monkeypatch.setattr(snapshot_mod.os, "fsync", _enospc)
        with pytest.raises(StorageFull) as info:
            router.snapshot()
        monkeypatch.undo()
        assert isinstance(info.value, OSError)
        assert info.value.errno == errno.ENOSPC
        assert store.load() == old, "the previous snapshot was damaged"
        assert router.state_digest() == digest
        assert log.version == version
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "a temporary snapshot file was left behind"


def test_close_of_a_buffered_log_on_a_full_disk_raises_storage_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.ccr"
    log = FileEventLog(path, durability="none")
    log.append(events(1, 2))
    monkeypatch.setattr(file_mod, "_write", _enospc)
    with pytest.raises(StorageFull):  # as its docstring says (the cause, not just "poisoned")
        log.close()
    monkeypatch.undo()
    log.close()  # closed anyway: idempotent
    with FileEventLog(path) as reopened:
        assert reopened.version == 0


def test_sqlite_head_file_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.db"
    with SQLiteEventLog(path) as log:
        log.append(events(1, 1))
        monkeypatch.setattr(head_mod.os, "fdatasync", _enospc)
        with pytest.raises(StorageFull, match="not acknowledged"):
            log.append(events(2, 1))
        monkeypatch.undo()
    # Committed but not acknowledged: either outcome is allowed; here it is kept.
    with SQLiteEventLog(path) as log:
        assert list(log.read()) == events(1, 2)
