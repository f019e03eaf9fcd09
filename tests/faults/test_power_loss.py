"""Simulated power loss: writes not yet fsynced are dropped, torn or zero-filled, per sector.

The file store's ``_write`` and ``_fsync`` are replaced by a model disk. Bytes covered by an
fsync survive. Bytes written after the last fsync survive sector by sector (512 bytes) or not:
each sector is kept, left as zeros, or filled with garbage, and the file size may or may not
include them. A crash can strike in the middle of a write, after it, or during the fsync.

With ``durability="fsync"`` every acknowledged batch must survive and opening must succeed
with a clean prefix. With ``durability="os"`` (unsynced batches may be lost in any pattern)
the outcome must be a clean prefix or a :class:`CorruptLog` naming the offset, never other
events.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from faultkit import SCALE, assert_clean_prefix, figures, outcome, rewrite

import ccrouter.log.file as file_mod
from ccrouter.log import FileEventLog
from ccrouter.log.file import FILE_HEADER_SIZE
from logtools import events

SECTOR = 512


class Crash(BaseException):
    """The power went out (a BaseException, so no store code can catch it)."""


class ModelDisk:
    def __init__(self, path: Path, rng: random.Random, crash_at: int) -> None:
        self.path = path
        self.rng = rng
        self.durable: bytes | None = None
        self.calls = 0
        self.crash_at = crash_at

    def _tick(self) -> bool:
        if self.durable is None:
            # The log creates its file atomically (fsync, link, fsync dir): durable as found.
            self.durable = self.path.read_bytes()
        self.calls += 1
        return self.calls == self.crash_at

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self._tick():
            # Part of this write reaches the page cache, then the power goes.
            part = self.rng.randrange(len(data) + 1)
            os.write(fd, bytes(data)[:part])
            raise Crash
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        if self._tick():
            raise Crash
        self.durable = self.path.read_bytes()

    def image(self) -> bytes:
        """What the disk holds after the power cut."""
        cached = self.path.read_bytes()
        durable = self.durable or b""
        if len(cached) < len(durable) or cached[: len(durable)] != durable:
            # Only the open-time truncation shrinks the file, and it is fsynced at once.
            durable = cached[: len(durable)]
        lo, hi = len(durable), len(cached)
        size = self.rng.choice((lo, hi, self.rng.randint(lo, hi)))
        img = bytearray(cached[:size])
        start = lo
        while start < size:
            end = min((start // SECTOR + 1) * SECTOR, size)
            fate = self.rng.random()
            if fate < 0.3:
                img[start:end] = bytes(end - start)  # never written: zeros
            elif fate < 0.4:
                img[start:end] = self.rng.randbytes(end - start)  # torn: garbage
            start = end
        return bytes(img)


def _trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durability: str, seed: int
) -> tuple[str, int, int]:
    rng = random.Random(seed)
    path = tmp_path / f"live-{seed}.ccr"
    disk = ModelDisk(path, rng, crash_at=rng.randint(1, 25))
    monkeypatch.setattr(file_mod, "_write", disk.write)
    monkeypatch.setattr(file_mod, "_fsync", disk.fsync)
    acked = 0
    synced = 0
    try:
        log = FileEventLog(path, durability=durability)  # type: ignore[arg-type]
        for _ in range(40):
            acked = log.append(events(acked + 1, rng.choice((1, 2, 3, 9, 60))))
            if durability == "os" and rng.random() < 0.2:
                log.sync()
                synced = acked
    except Crash:
        pass
    else:
        raise AssertionError("the power never went out")
    finally:
        monkeypatch.undo()
    crashed = tmp_path / f"after-{seed}.ccr"
    rewrite(crashed, disk.image())
    path.unlink()
    if durability == "fsync":
        synced = acked
    kind, version, got = outcome(crashed, readonly=True)
    if kind == "ok":
        assert_clean_prefix(got, synced)
        # A writer then opens it (dropping any torn tail) and carries on.
        with FileEventLog(crashed) as log:
            assert list(log.read()) == got
            log.append(events(version + 1, 1))
    else:
        assert durability == "os", f"fsync mode must always recover, got {kind} at {version}"
        assert version >= FILE_HEADER_SIZE  # the damage is reported where it is
    crashed.unlink()
    return kind, version, synced


@pytest.mark.parametrize("durability", ["fsync", "os"])
def test_power_loss_keeps_every_synced_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durability: str
) -> None:
    trials = 150 * SCALE
    counts = {"ok": 0, "corrupt": 0}
    for seed in range(trials):
        kind, _, _ = _trial(tmp_path, monkeypatch, durability, seed)
        counts[kind] += 1
    if durability == "fsync":
        assert counts["corrupt"] == 0
    figures(f"power-loss-{durability}", trials=trials, **counts)
