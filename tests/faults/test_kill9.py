"""kill -9 a writer in a loop: every acknowledged batch survives, the rest is a clean prefix.

A forked child appends batches of random sizes (some large, so that kills land inside a
``write``) and reports each acknowledged version through a pipe; the parent kills it with
SIGKILL after a random delay, then checks the log and lets the next child carry on.

Default: 25 kills per store and durability. More: ``CCROUTER_FAULT_SCALE=40`` or the slow
variant (``make test-slow``).
"""

from __future__ import annotations

import os
import random
import signal
import struct
import time
from pathlib import Path

import pytest
from faultkit import SCALE, figures, require_slow

import ccrouter.log.file as file_mod
from ccrouter.log import EventLog, FileEventLog, SQLiteEventLog
from logtools import events

_ACK = struct.Struct("<q")


def _open(kind: str, path: Path) -> EventLog:
    if kind == "sqlite":
        return SQLiteEventLog(path, durability="fsync")
    return FileEventLog(path, durability=kind)  # type: ignore[arg-type]


def _child(kind: str, path: Path, wfd: int, seed: int) -> None:
    code = 0
    try:
        rng = random.Random(seed)
        # A smaller "none" buffer (64 KiB instead of 1 MiB) so that even on a loaded machine
        # the child flushes, and gets killed mid-flush, within its short life.
        file_mod._NONE_BUFFER = 1 << 16
        log = _open(kind, path)
        version = log.version
        while True:
            n = rng.choice((1, 1, 2, 3, 5, 8, 300))
            version = log.append(events(version + 1, n))
            os.write(wfd, _ACK.pack(version))  # acknowledged: append returned
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _read_acks(rfd: int) -> list[int]:
    data = b""
    while chunk := os.read(rfd, 65536):
        data += chunk
    n = len(data) // _ACK.size
    return [_ACK.unpack_from(data, i * _ACK.size)[0] for i in range(n)]


def _verify(kind: str, path: Path, acked: int, checked: int) -> tuple[int, bool]:
    """Check the log after a kill; return (version, whether a torn tail was dropped).

    Events up to ``checked`` were compared before (and every checksum is verified again on
    open), so only the newer ones are compared here.
    """
    lose_ok = kind == "none"  # a process crash loses the unflushed buffer, nothing else
    need = checked if lose_ok else max(acked, checked)
    if not path.exists():  # killed while creating the log: nothing can have been acknowledged
        assert need == 0
        return 0, False
    # A crashed SQLite database needs a writer to roll back or replay its journal once.
    log: EventLog = SQLiteEventLog(path) if kind == "sqlite" else FileEventLog(path, readonly=True)
    with log:
        version = log.version
        got = list(log.read(checked + 1))
    assert version >= need, f"lost acknowledged events: have {version}, need {need}"
    assert got == events(checked + 1, version - checked), "recovered events differ"
    if kind == "sqlite":
        return version, False
    with FileEventLog(path, durability="none") as writer:
        assert writer.version == version
        return version, writer.recovery is not None


def _kill_loop(kind: str, path: Path, kills: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    acked = 0
    checked = 0
    torn = 0
    acks_total = 0
    backoff = 1.0
    for i in range(kills):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(rfd)
            _child(kind, path, wfd, seed * 100_003 + i)
        os.close(wfd)
        # A loaded machine may not let the writer acknowledge anything in a few ms: the wait
        # doubles after each kill that saw no acknowledgement (for "none": that left nothing
        # in the file), so the run still tests acked batches, and starts again short after one
        # that did.
        time.sleep(rng.uniform(0.002, 0.03) * backoff)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        acks = _read_acks(rfd)
        os.close(rfd)
        assert os.WIFSIGNALED(status), f"writer exited on its own with {status}"
        acks_total += len(acks)
        if acks:
            acked = acks[-1]
        before = checked
        version, dropped = _verify(kind, path, acked, checked)
        # With durability "none" an acknowledged batch may sit in the writer's buffer when it
        # is killed: what counts there is whether anything reached the file.
        progressed = bool(acks) if kind != "none" else version > before
        backoff = 1.0 if progressed else min(backoff * 2, 64.0)
        checked = version
        torn += dropped
        if kind != "none":
            assert version >= acked
        acked = version  # the next child continues from what is really there
    return {"kills": kills, "acks": acks_total, "events": acked, "torn_tails_dropped": torn}


@pytest.mark.parametrize("kind", ["fsync", "os", "none", "sqlite"])
def test_kill_9_loses_no_acknowledged_batch(tmp_path: Path, kind: str) -> None:
    path = tmp_path / ("log.db" if kind == "sqlite" else "log.ccr")
    stats = _kill_loop(kind, path, 25 * SCALE, seed=11)
    assert stats["acks"] > 0
    assert stats["events"] > 0
    figures(f"kill-9-{kind}", **stats)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fsync", "os", "none", "sqlite"])
def test_kill_9_soak(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    require_slow(request)
    path = tmp_path / ("log.db" if kind == "sqlite" else "log.ccr")
    stats = _kill_loop(kind, path, 400, seed=12)
    figures(f"kill-9-soak-{kind}", **stats)
