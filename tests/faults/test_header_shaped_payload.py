"""Client data that looks like a batch header never passes for one (issue 12, finding 12).

A client-supplied string (an attribute value, here through ``Router.submit``) can hold any
ASCII bytes, so also a batch header with a valid checksum. Recovery must not take it for a
later batch: a torn tail after such a payload is still a torn tail (the writer reopens at the
acknowledged history), and a read-only follower that catches a batch half-written sees the
acknowledged prefix, not ``CorruptLog``. Real damage before the tail is still refused.
"""

from __future__ import annotations

import bisect
import os
import struct
import zlib
from pathlib import Path

import pytest
from faultkit import figures, rewrite

import ccrouter.log.file as file_mod
from ccrouter import Router
from ccrouter.errors import CorruptLog
from ccrouter.log import FileEventLog
from ccrouter.log.file import _file_header
from ccrouter.log.framing import V1, V2, BatchFormat


def forged_header(first: int, bf: BatchFormat = V2, *, length: int = 0x30, count: int = 1) -> str:
    """A batch header with a valid checksum that is pure ASCII (so a client can send it)."""
    for pcrc in range(0x20202020, 0x7E7E7E7E, 0x01010101):
        fields: list[object] = [bf.magic, length, first, count, 4, 0, pcrc]
        if bf.chained:
            fields.append(b"C" * 16)
        head = bf.head.pack(*fields)
        full = head + struct.pack("<I", zlib.crc32(head))
        if all(b < 0x80 for b in full):
            return full.decode("ascii")
    raise AssertionError("no ASCII header found")


# first seq values a forged header may claim: already taken, the next one, inside the damaged
# batch, well past it; all checksummed.
FIRSTS = [0x41, 0x4141, 0x41414141]


def busy_log(path: Path, firsts: list[int], fmt: int = 2) -> tuple[list[int], list[int]]:
    """A router log whose batches carry forged headers; return each batch's end and version.

    ``fmt=1``: a file of the older format (its batches get format-1 headers).
    """
    ends, versions = [], []
    if fmt == 1:
        path.write_bytes(_file_header(1))
    with FileEventLog(path, durability="os") as log:
        router = Router(log=log)
        router.login("ann", skills={"sales": 3}, at=0)
        ends.append(path.stat().st_size)
        versions.append(log.version)
        for i, first in enumerate(firsts):
            bf = V2 if fmt == 2 else V1
            forged = forged_header(first, bf) + forged_header(log.version + 1 + i % 2, bf)
            router.submit(
                f"c{i}",
                channel="voice",
                at=1 + i,
                attributes={"note": forged, "other": forged_header(first, V1 if fmt == 2 else V2)},
            )
            ends.append(path.stat().st_size)
            versions.append(log.version)
    return ends, versions


@pytest.mark.parametrize("fmt", [2, 1])
def test_a_torn_tail_after_a_header_shaped_payload_reopens(tmp_path: Path, fmt: int) -> None:
    path = tmp_path / "log.ccr"
    ends, versions = busy_log(path, FIRSTS, fmt)
    data = path.read_bytes()
    assert forged_header(FIRSTS[-1], V2 if fmt == 2 else V1).encode() in data
    cut_path = tmp_path / "cut.ccr"
    offsets = 0
    # Every cut inside the last batch (a crash in the middle of its write).
    for cut in range(ends[-2] + 1, ends[-1]):
        rewrite(cut_path, data[:cut])
        with FileEventLog(cut_path, readonly=True) as reader:
            assert reader.version == versions[-2], cut
        with FileEventLog(cut_path, durability="none") as log:
            assert log.version == versions[-2], cut
            assert log.recovery is not None and log.recovery.offset == ends[-2]
        offsets += 1
    figures("header-shaped-torn-tail", format=fmt, offsets=offsets, forged=3 * len(FIRSTS))


def test_a_follower_never_fails_on_an_intact_log_with_header_shaped_payloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's ``write`` is cut in two at every byte; a follower looks in between."""
    path = tmp_path / "log.ccr"
    real = file_mod._write
    follower: list[FileEventLog] = []
    looks = 0

    def halves(fd: int, data: bytes | memoryview) -> int:
        nonlocal looks
        data = bytes(data)
        reader = follower[0] if follower else None
        for split in range(1, len(data), 3):
            done = real(fd, data[:split])
            if reader is not None:
                version = reader.version  # sees the acknowledged prefix, never CorruptLog
                assert len(list(reader.read())) == version
                looks += 1
            # Undo the half: the whole batch is written once the follower has seen every cut.
            os.ftruncate(fd, os.fstat(fd).st_size - done)
        return real(fd, data)

    with FileEventLog(path, durability="os") as log:
        router = Router(log=log)
        router.login("ann", skills={"sales": 3}, at=0)
        follower.append(FileEventLog(path, readonly=True))
        monkeypatch.setattr(file_mod, "_write", halves)
        for i, first in enumerate(FIRSTS):
            forged = forged_header(first) + forged_header(log.version + 1)
            router.submit(f"c{i}", channel="voice", at=1 + i, attributes={"note": forged})
        monkeypatch.setattr(file_mod, "_write", real)
        assert follower[0].version == log.version
        follower[0].close()
    figures("header-shaped-follower", looks=looks)


@pytest.mark.parametrize("fmt", [2, 1])
def test_damage_before_the_tail_is_still_refused(tmp_path: Path, fmt: int) -> None:
    """Header-shaped payloads do not hide real damage: a flipped byte in any batch but the
    last, header or payload, is still CorruptLog at that batch's offset."""
    path = tmp_path / "log.ccr"
    ends, _versions = busy_log(path, FIRSTS, fmt)
    data = path.read_bytes()
    damaged_path = tmp_path / "damaged.ccr"
    flips = 0
    for pos in range(ends[0], ends[-2], 7):
        damaged = bytearray(data)
        damaged[pos] ^= 0x10
        rewrite(damaged_path, bytes(damaged))
        batch_start = ends[bisect.bisect_right(ends, pos) - 1]
        with pytest.raises(CorruptLog) as info:
            FileEventLog(damaged_path, durability="none")
        assert info.value.offset == batch_start, pos
        flips += 1
    figures("header-shaped-damage-before-tail", format=fmt, flips=flips)
