"""SQLite store: a damaged or lost ``-wal`` file after a crash is a CorruptLog, never a rollback.

SQLite's crash recovery replays WAL frames up to the first one whose checksum fails, so a
flipped bit silently drops that commit and all later ones. The store's fsynced head file
(``<db>-head``) records how many commits were acknowledged; opening a database that holds
fewer must raise :class:`CorruptLog`.

A "crash" is a copy of the database, its WAL and its head file taken while the writer is
still open (what a power cut leaves when every commit was fsynced), or the files left by a
writer killed with SIGKILL.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import struct
import time
from pathlib import Path

import pytest
from faultkit import SCALE, figures, require_slow, rewrite

from ccrouter.errors import CCRouterError, CorruptLog
from ccrouter.log import SQLiteEventLog
from logtools import batches, events

SIZES = [1, 3, 2, 5, 1, 4, 2] * 3  # 54 events in 21 transactions
_FILES = ("", "-wal", "-head")


def _crash_image(path: Path, sizes: list[int]) -> dict[str, bytes]:
    """Append ``sizes`` (durability fsync) and copy the files while the writer is open."""
    log = SQLiteEventLog(path)
    try:
        for b in batches(sizes):
            log.append(b)
        image = _files(path)
    finally:
        log.close()
    assert len(image["-wal"]) > 32, "the commits should still be in the WAL"
    return image


def _files(path: Path) -> dict[str, bytes]:
    return {e: Path(f"{path}{e}").read_bytes() for e in _FILES if Path(f"{path}{e}").exists()}


def _restore(path: Path, image: dict[str, bytes]) -> None:
    for extra in ("-shm", *_FILES):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    for extra, data in image.items():
        rewrite(Path(f"{path}{extra}"), data)


def _open_and_read(path: Path) -> list[object]:
    with SQLiteEventLog(path) as log:  # a restarting writer: runs SQLite's WAL recovery
        return list(log.read())


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _crash_image(tmp_path_factory.mktemp("wal") / "log.db", SIZES)


def test_the_crash_image_itself_recovers_everything(
    tmp_path: Path, image: dict[str, bytes]
) -> None:
    path = tmp_path / "log.db"
    _restore(path, image)
    assert _open_and_read(path) == events(1, sum(SIZES))


def _flip_sweep(path: Path, image: dict[str, bytes], positions: list[int]) -> dict[str, int]:
    """Flip one bit at each position of the WAL; every outcome must be CorruptLog."""
    wal = image["-wal"]
    counts = {"corrupt_log": 0}
    for pos in positions:
        damaged = bytearray(wal)
        damaged[pos] ^= 1 << (pos % 8)
        _restore(path, {**image, "-wal": bytes(damaged)})
        try:
            got = _open_and_read(path)
        except CorruptLog:
            counts["corrupt_log"] += 1
            continue
        pytest.fail(f"bit {pos % 8} of WAL byte {pos} flipped: opened with {len(got)} events")
    return counts


def test_flipped_bits_in_the_wal_raise_corrupt_log(tmp_path: Path, image: dict[str, bytes]) -> None:
    wal = image["-wal"]
    rng = random.Random(12)
    # The WAL header, every frame header (24 bytes each, page size 4096) and a sample of page
    # bytes: a short deterministic subset of the exhaustive sweep below.
    frame = 24 + 4096
    frames = (len(wal) - 32) // frame
    positions = list(range(32))
    for f in range(frames):
        start = 32 + f * frame
        positions += [start + rng.randrange(24), start + 24 + rng.randrange(4096)]
    positions += rng.sample(range(len(wal)), 40 * SCALE)
    counts = _flip_sweep(tmp_path / "log.db", image, positions)
    figures("sqlite-wal-flip-sampled", flips=len(positions), wal_bytes=len(wal), **counts)


@pytest.mark.slow
def test_every_byte_of_the_wal_flipped(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    require_slow(request)
    image = _crash_image(tmp_path / "source.db", [1, 3, 2, 5, 1])
    positions = list(range(len(image["-wal"])))
    counts = _flip_sweep(tmp_path / "log.db", image, positions)
    figures("sqlite-wal-flip-every-byte", flips=len(positions), **counts)


def test_a_lost_wal_raises_corrupt_log(tmp_path: Path, image: dict[str, bytes]) -> None:
    path = tmp_path / "log.db"
    _restore(path, {k: v for k, v in image.items() if k != "-wal"})
    with pytest.raises(CorruptLog, match="acknowledged commits"):
        _open_and_read(path)


def test_a_truncated_wal_raises_corrupt_log(tmp_path: Path, image: dict[str, bytes]) -> None:
    path = tmp_path / "log.db"
    wal = image["-wal"]
    for cut in (0, 32, len(wal) // 2, len(wal) - 1):
        _restore(path, {**image, "-wal": wal[:cut]})
        with pytest.raises(CorruptLog):
            _open_and_read(path)


def test_a_head_file_of_another_database_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for path in (a, b):
        with SQLiteEventLog(path) as log:
            log.append(events(1, 2))
    shutil.copyfile(f"{a}-head", f"{b}-head")
    with pytest.raises(CorruptLog, match="another commit token"):
        SQLiteEventLog(b)
    # Deleting the head file accepts the database as it is (documented way out).
    Path(f"{b}-head").unlink()
    with SQLiteEventLog(b) as log:
        assert list(log.read()) == events(1, 2)


def test_an_older_copy_restored_over_the_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with SQLiteEventLog(path) as log:
        log.append(events(1, 2))
    old = path.read_bytes()  # closed: the WAL was checkpointed into the file
    with SQLiteEventLog(path) as log:
        log.append(events(3, 2))
    rewrite(path, old)
    with pytest.raises(CorruptLog, match="1 acknowledged commits are missing"):
        SQLiteEventLog(path, readonly=True)


def test_the_head_only_rises_and_is_torn_safely(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with SQLiteEventLog(path) as a, SQLiteEventLog(path) as b:
        a.append(events(1, 1))
        b.append(events(2, 1))
        a.append(events(3, 1))
    head = Path(f"{path}-head")
    data = bytearray(head.read_bytes())
    # Tear the slot of the latest count (3, slot 1): the other slot still holds 2, which is
    # below the database: the open succeeds.
    data[512 + 5] ^= 0xFF
    head.write_bytes(bytes(data))
    with SQLiteEventLog(path) as log:
        assert log.version == 3


# --- kill -9: the WAL of a writer killed mid-append, then damaged ------------------------

_ACK = struct.Struct("<q")


def _writer(path: Path, wfd: int, seed: int) -> None:  # pragma: no cover - runs in a child
    code = 0
    try:
        rng = random.Random(seed)
        log = SQLiteEventLog(path)
        version = log.version
        while True:
            version = log.append(events(version + 1, rng.choice((1, 2, 3, 40))))
            os.write(wfd, _ACK.pack(version))
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _kill_once(path: Path, seed: int) -> int:
    """Run a writer for a moment, SIGKILL it; return the last acknowledged version."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        os.close(rfd)
        _writer(path, wfd, seed)
    os.close(wfd)
    time.sleep(random.Random(seed).uniform(0.05, 0.25))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    data = b""
    while chunk := os.read(rfd, 65536):
        data += chunk
    os.close(rfd)
    n = len(data) // _ACK.size
    return _ACK.unpack_from(data, (n - 1) * _ACK.size)[0] if n else 0


def _kill_and_flip(tmp_path: Path, kills: int, flips: int) -> dict[str, int]:
    counts = {"kills": 0, "flips": 0, "corrupt_log": 0, "intact_prefix": 0}
    for k in range(kills):
        path = tmp_path / f"k{k}" / "log.db"
        path.parent.mkdir()
        acked = _kill_once(path, seed=k)
        counts["kills"] += 1
        image = _files(path)
        if len(image.get("-wal", b"")) <= 32:
            continue
        rng = random.Random(k)
        target = tmp_path / f"k{k}" / "flip.db"
        for _ in range(flips):
            wal = bytearray(image["-wal"])
            pos = rng.randrange(len(wal))
            wal[pos] ^= 1 << rng.randrange(8)
            _restore(target, {**image, "-wal": bytes(wal)})
            counts["flips"] += 1
            try:
                got = _open_and_read(target)
            except CorruptLog:
                counts["corrupt_log"] += 1
                continue
            except CCRouterError as exc:  # pragma: no cover - the failure being guarded
                pytest.fail(f"kill {k}, flip at {pos}: {type(exc).__name__}: {exc}")
            # Only the unacknowledged tail may go: the flip hit a frame after the last ack.
            assert len(got) >= acked, f"kill {k}, flip at {pos}: {len(got)} < acked {acked}"
            assert got == events(1, len(got))
            counts["intact_prefix"] += 1
    return counts


def test_kill9_then_flipped_wal_never_loses_acknowledged(tmp_path: Path) -> None:
    counts = _kill_and_flip(tmp_path, kills=3 * SCALE, flips=15)
    assert counts["corrupt_log"] > 0
    figures("sqlite-kill9-wal-flip", **counts)


@pytest.mark.slow
def test_kill9_then_flipped_wal_many(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    require_slow(request)
    counts = _kill_and_flip(tmp_path, kills=40, flips=50)
    figures("sqlite-kill9-wal-flip-many", **counts)
