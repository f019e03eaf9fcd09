"""FileEventLog beyond the shared contract: locking, read-only handles, framing details."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import ccrouter.log.file as file_mod
from ccrouter.errors import (
    ConcurrencyConflict,
    CorruptLog,
    InvalidArgument,
    LogError,
    WriterLocked,
)
from ccrouter.events import InteractionQueued
from ccrouter.log import FileEventLog
from ccrouter.log.file import BATCH_HEADER_SIZE, FILE_HEADER_SIZE
from logtools import batches, events

ROOT = Path(__file__).resolve().parents[2]


def test_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    with FileEventLog(path) as log:
        log.append(events(1, 1))
        with pytest.raises(WriterLocked, match="already open for writing"):
            FileEventLog(path)
        with FileEventLog(path, readonly=True) as reader:  # readers are welcome
            assert reader.version == 1
    with FileEventLog(path) as again:  # closing released the lock
        assert again.version == 1


def test_second_writer_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    code = (
        "import sys\n"
        "from ccrouter.errors import WriterLocked\n"
        "from ccrouter.log import FileEventLog\n"
        "try:\n"
        "    FileEventLog(sys.argv[1])\n"
        "except WriterLocked:\n"
        "    sys.exit(42)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with FileEventLog(path) as log:
        log.append(events(1, 2))
        done = subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=False)
        assert done.returncode == 42
    done = subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=False)
    assert done.returncode == 0


def test_read_only_handles_refuse_to_append_and_follow_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    with FileEventLog(path, durability="os") as log, FileEventLog(path, readonly=True) as reader:
        assert reader.version == 0
        with pytest.raises(LogError, match="read-only"):
            reader.append(events(1, 1))
        log.append(events(1, 3))
        assert reader.version == 3
        log.append(events(4, 2))
        assert list(reader.read(3)) == events(3, 3)


def test_missing_file_for_a_reader(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FileEventLog(tmp_path / "nope.ccr", readonly=True)


def test_bad_durability_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="durability"):
        FileEventLog(tmp_path / "log.ccr", durability="sometimes")  # type: ignore[arg-type]


def test_an_empty_file_becomes_a_log(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    path.touch()
    with FileEventLog(path, readonly=True) as reader:
        assert reader.version == 0
    with FileEventLog(path) as log:
        log.append(events(1, 1))
    assert path.stat().st_size > FILE_HEADER_SIZE


def test_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    import struct
    import zlib

    head = struct.pack("<8sI", file_mod.FILE_MAGIC, 99)
    path = tmp_path / "log.ccr"
    path.write_bytes(head + struct.pack("<I", zlib.crc32(head)))
    with pytest.raises(CorruptLog, match="format 99"):
        FileEventLog(path)


def test_one_append_is_one_batch_with_one_header(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    with FileEventLog(path) as log:
        log.append(events(1, 5))
        size_one = path.stat().st_size
        log.append(events(6, 1))
    payload = len(file_mod.encode_payload(events(1, 5)))
    assert size_one == FILE_HEADER_SIZE + BATCH_HEADER_SIZE + payload


def test_batches_bigger_than_a_read_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_mod, "_READ_CHUNK", 4096)
    monkeypatch.setattr(file_mod, "_DECODE_EVENTS", 50)
    path = tmp_path / "log.ccr"
    big = [
        InteractionQueued(
            seq=s, at=0.0, interaction_id="x" * 500, channel="v", queue="q", attributes={"s": s}
        )
        for s in range(2, 40)
    ]
    with FileEventLog(path) as log:
        log.append(events(1, 1))
        log.append(big)  # about 20 kB in one batch
        for b in batches([3] * 40, start=40):
            log.append(b)
        total = log.version
        everything = [*events(1, 1), *big, *events(40, total - 39)]
        assert list(log.read()) == everything
        for start in (1, 2, 17, 39, 40, 41, 100, total):
            assert list(log.read(start, start + 30)) == everything[start - 1 : start + 29]
    with FileEventLog(path, readonly=True) as reader:
        assert list(reader.read()) == everything


def test_unbuffered_durability_none_is_written_on_close(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    log = FileEventLog(path, durability="none")
    log.append(events(1, 4))
    assert path.stat().st_size == FILE_HEADER_SIZE  # still in this process
    assert list(log.read()) == events(1, 4)  # reading through the writer flushes
    log.append(events(5, 1))
    log.close()
    with FileEventLog(path, readonly=True) as reader:
        assert list(reader.read()) == events(1, 5)


def test_shared_handle_is_thread_safe(tmp_path: Path) -> None:
    path = tmp_path / "log.ccr"
    with FileEventLog(path, durability="os") as log:
        wins: list[int] = []
        errors: list[BaseException] = []

        def worker(tag: str) -> None:
            for _ in range(200):
                v = log.version
                try:
                    wins.append(log.append(events(v + 1, 2, tag=tag), expected_version=v))
                except ConcurrencyConflict:
                    pass
                except BaseException as exc:
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(t,)) for t in "abc"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sorted(wins) == list(range(2, 2 * len(wins) + 1, 2))
        got = list(log.read())
    with FileEventLog(path, readonly=True) as reader:
        assert list(reader.read()) == got
        assert [e.seq for e in got] == list(range(1, len(got) + 1))


def test_closed_logs_refuse_reads(tmp_path: Path) -> None:
    log = FileEventLog(tmp_path / "log.ccr")
    log.append(events(1, 1))
    it = log.read()
    log.close()
    with pytest.raises(LogError, match="closed"):
        list(log.read())
    with pytest.raises(LogError, match="closed"):
        list(it)
    assert "FileEventLog" in repr(log)
