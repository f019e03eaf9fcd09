"""Damaged files: truncation at every byte, flipped bytes and bits, fuzzed contents.

The rule under test: the file store returns exactly what was written (a prefix of it), or
raises a typed error naming the offset. Never different events.
"""

from __future__ import annotations

import bisect
import random
from pathlib import Path

import pytest
from faultkit import (
    SCALE,
    assert_clean_prefix,
    build,
    figures,
    outcome,
    require_slow,
    rewrite,
    versions,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrouter.errors import CCRouterError, CorruptLog
from ccrouter.log import FileEventLog
from ccrouter.log.file import FILE_HEADER_SIZE, repair
from logtools import events

SIZES = [1, 3, 2, 5, 1, 4, 2]  # 7 batches, 18 events, about 2.5 kB


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[int]]:
    path = tmp_path_factory.mktemp("orig") / "log.ccr"
    bounds = build(path, SIZES)
    return path.read_bytes(), bounds


def test_truncation_at_every_byte_offset_recovers_the_clean_prefix(
    tmp_path: Path, original: tuple[bytes, list[int]]
) -> None:
    data, bounds = original
    vs = versions(SIZES)
    path = tmp_path / "cut.ccr"
    for cut in range(len(data) + 1):
        rewrite(path, data[:cut])
        # Which batches are whole below the cut.
        k = bisect.bisect_right(bounds, cut) - 1
        expected_version = vs[k] if cut >= FILE_HEADER_SIZE else 0
        expected_size = bounds[k] if cut >= FILE_HEADER_SIZE else FILE_HEADER_SIZE

        kind, version, got = outcome(path, readonly=True)
        assert (kind, version) == ("ok", expected_version), cut
        assert_clean_prefix(got)
        assert path.stat().st_size == cut, "a reader modified the file"

        with FileEventLog(path, durability="none") as log:
            assert log.version == expected_version, cut
            assert list(log.read()) == events(1, expected_version)
            torn = cut != expected_size
            assert (log.recovery is not None) == (torn and cut > FILE_HEADER_SIZE), cut
            # The writer carries on from the recovered prefix.
            log.append(events(expected_version + 1, 2))
        assert path.stat().st_size > expected_size
        kind, version, got = outcome(path, readonly=True)
        assert (kind, version) == ("ok", expected_version + 2)
        assert_clean_prefix(got)
    figures("truncate-every-offset", offsets=len(data) + 1, file_bytes=len(data))


def _expected_after_damage(bounds: list[int], pos: int) -> tuple[str, int]:
    """Where damage at byte ``pos`` must be reported: the batch (or file header) holding it."""
    if pos < FILE_HEADER_SIZE:
        return "corrupt", 0
    k = bisect.bisect_right(bounds, pos) - 1  # damaged batch k spans bounds[k]..bounds[k+1]
    if k + 1 == len(bounds) - 1:
        return "tail", bounds[k]  # the last batch: indistinguishable from a torn write
    return "corrupt", bounds[k]


def _check_flip(
    path: Path, data: bytes, bounds: list[int], pos: int, mask: int, counts: dict[str, int]
) -> None:
    vs = versions(SIZES)
    damaged = bytearray(data)
    damaged[pos] ^= mask
    rewrite(path, bytes(damaged))
    want, offset = _expected_after_damage(bounds, pos)
    kind, got_offset, got = outcome(path, readonly=True)
    if want == "corrupt":
        assert (kind, got_offset) == ("corrupt", offset), (pos, mask)
    else:
        k = bounds.index(offset)
        assert (kind, got_offset) == ("ok", vs[k]), (pos, mask)
        assert_clean_prefix(got)
        # A writer drops the damaged last batch, and says so.
        with FileEventLog(path, durability="none") as log:
            assert log.recovery is not None
            assert log.recovery.offset == offset
            assert list(log.read()) == events(1, vs[k])
    counts[want] += 1


def test_every_flipped_byte_is_detected(tmp_path: Path, original: tuple[bytes, list[int]]) -> None:
    data, bounds = original
    path = tmp_path / "flip.ccr"
    counts = {"corrupt": 0, "tail": 0}
    rng = random.Random(7)
    for pos in range(len(data)):
        _check_flip(path, data, bounds, pos, 0xFF, counts)
        _check_flip(path, data, bounds, pos, 1 << rng.randrange(8), counts)
    figures("flip-every-byte", flips=sum(counts.values()), **counts)


@pytest.mark.slow
def test_every_flipped_bit_is_detected(
    tmp_path: Path, original: tuple[bytes, list[int]], request: pytest.FixtureRequest
) -> None:
    require_slow(request)
    data, bounds = original
    path = tmp_path / "flip.ccr"
    counts = {"corrupt": 0, "tail": 0}
    for pos in range(len(data)):
        for bit in range(8):
            _check_flip(path, data, bounds, pos, 1 << bit, counts)
    figures("flip-every-bit", flips=sum(counts.values()), **counts)


@settings(max_examples=150 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=6)
)
def test_random_multi_byte_damage_never_yields_wrong_events(
    tmp_path: Path, original: tuple[bytes, list[int]], flips: list[tuple[int, int]]
) -> None:
    data, _bounds = original
    damaged = bytearray(data)
    for pos, mask in flips:
        damaged[pos % len(data)] ^= mask
    path = tmp_path / "multi.ccr"
    rewrite(path, bytes(damaged))
    for readonly in (True, False):
        try:
            kind, _, got = outcome(path, readonly=readonly)
        except CCRouterError as exc:  # any other typed error is fine too, never a wrong event
            kind, got = type(exc).__name__, []
        if kind == "ok":
            assert_clean_prefix(got)


@settings(max_examples=200 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=400),
    keep_header=st.booleans(),
)
def test_fuzzed_file_contents_raise_only_typed_errors(
    tmp_path: Path, original: tuple[bytes, list[int]], body: bytes, keep_header: bool
) -> None:
    data, bounds = original
    # Either random bytes, or a valid log prefix followed by random bytes.
    content = (data[: bounds[2]] + body) if keep_header else body
    path = tmp_path / "fuzz.ccr"
    rewrite(path, content)
    for readonly in (True, False):
        try:
            kind, _, got = outcome(path, readonly=readonly)
        except CCRouterError:
            continue
        if kind == "ok":
            assert_clean_prefix(got)
            if keep_header:
                assert len(got) >= versions(SIZES)[2]


def test_damage_before_the_tail_names_the_offset_and_repair_cuts_there(
    tmp_path: Path, original: tuple[bytes, list[int]]
) -> None:
    data, bounds = original
    path = tmp_path / "log.ccr"
    damaged = bytearray(data)
    damaged[bounds[3] + 40] ^= 0x10  # inside batch 4's payload
    rewrite(path, bytes(damaged))
    with pytest.raises(CorruptLog) as info:
        FileEventLog(path)
    assert info.value.offset == bounds[3]
    assert f"offset {bounds[3]}" in str(info.value)
    assert path.read_bytes() == bytes(damaged), "a refused open must not modify the file"

    cut = repair(path)
    assert cut is not None
    assert (cut.offset, cut.dropped_bytes) == (bounds[3], len(data) - bounds[3])
    side = path.with_name(f"log.ccr.damaged-{bounds[3]}")
    assert side.read_bytes() == bytes(damaged[bounds[3] :])
    with FileEventLog(path) as log:
        assert list(log.read()) == events(1, versions(SIZES)[3])
    assert repair(path) is None


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    rewrite(path, b"hello, this is not an event log at all\n")
    for readonly in (True, False):
        with pytest.raises(CorruptLog) as info:
            FileEventLog(path, readonly=readonly)
        assert info.value.offset == 0
    assert path.read_bytes() == b"hello, this is not an event log at all\n"


def test_damage_found_while_reading_after_open(
    tmp_path: Path, original: tuple[bytes, list[int]]
) -> None:
    data, bounds = original
    path = tmp_path / "log.ccr"
    rewrite(path, data)
    log = FileEventLog(path, readonly=True)
    try:
        with open(path, "r+b") as f:  # bit rot after the open-time scan
            f.seek(bounds[1] + 35)
            byte = f.read(1)
            f.seek(bounds[1] + 35)
            f.write(bytes([byte[0] ^ 0x01]))
        with pytest.raises(CorruptLog) as info:
            list(log.read())
        assert info.value.offset == bounds[1]
        assert list(log.read(1, 2)) == events(1, 1)  # the part before the damage still reads
    finally:
        log.close()
