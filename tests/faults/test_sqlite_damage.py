"""SQLite store: flipped bytes anywhere in the database file, tampered and missing rows.

SQLite does not checksum its pages; the store's per-row checksums and head rows must turn
every damage into a typed error or leave the events exactly as written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from faultkit import SCALE, figures, require_slow, rewrite

from ccrouter.errors import CCRouterError, CorruptLog
from ccrouter.log import SQLiteEventLog
from logtools import batches, events

SIZES = [1, 3, 2, 5, 1, 4, 2] * 3  # 54 events in 21 transactions


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("sqlite") / "log.db"
    with SQLiteEventLog(path) as log:
        for b in batches(SIZES):
            log.append(b)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
    conn.close()
    return path.read_bytes()


def _flip_outcomes(tmp_path: Path, data: bytes, positions: range) -> dict[str, int]:
    want = events(1, sum(SIZES))
    counts = {"same": 0, "corrupt_log": 0}
    path = tmp_path / "flip.db"
    for pos in positions:
        for extra in ("-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF
        rewrite(path, bytes(damaged))
        try:
            with SQLiteEventLog(path, readonly=True) as log:
                got = list(log.read())
                version = log.version
        except CorruptLog:
            counts["corrupt_log"] += 1
            continue
        except CCRouterError as exc:
            pytest.fail(f"flip at {pos}: {type(exc).__name__} instead of CorruptLog: {exc}")
        # No error: then it must be exactly what was written, all of it.
        assert got == want, f"flip at {pos}: silent wrong or missing events"
        assert version == len(want)
        counts["same"] += 1
    return counts


def test_flipped_bytes_in_the_database_file_are_caught(tmp_path: Path, original: bytes) -> None:
    step = max(1, 7 // SCALE)
    counts = _flip_outcomes(tmp_path, original, range(0, len(original), step))
    assert counts["corrupt_log"] > 0
    figures("sqlite-flip-sampled", flips=sum(counts.values()), **counts)


@pytest.mark.slow
def test_every_flipped_byte_in_the_database_file(
    tmp_path: Path, original: bytes, request: pytest.FixtureRequest
) -> None:
    require_slow(request)
    counts = _flip_outcomes(tmp_path, original, range(len(original)))
    figures("sqlite-flip-every-byte", flips=sum(counts.values()), **counts)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "log.db"
    with SQLiteEventLog(path) as log:
        for b in batches([2, 3, 4]):
            log.append(b)
    return path


def _tamper(path: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


@pytest.mark.parametrize(
    ("sql", "offset"),
    [
        ("UPDATE ccrouter_events SET data = data || x'00' WHERE version = 4", 4),
        ("UPDATE ccrouter_events SET crc = crc + 1 WHERE version = 6", 6),
        ("UPDATE ccrouter_events SET schema = 1 - schema + 1 + 1 WHERE version = 2", 2),
        ("DELETE FROM ccrouter_events WHERE version = 5", 5),
        ("DELETE FROM ccrouter_events WHERE version = 9", 9),
        # Swap two rows' payloads: each checksum covers its version, so both fail.
        (
            "UPDATE ccrouter_events SET data = (SELECT data FROM ccrouter_events "
            "WHERE version = 8) WHERE version = 7",
            7,
        ),
    ],
)
def test_tampered_rows_raise_corrupt_log_naming_the_version(
    db: Path, sql: str, offset: int
) -> None:
    _tamper(db, sql)
    with SQLiteEventLog(db, readonly=True) as log:
        with pytest.raises(CorruptLog) as info:
            list(log.read())
        assert info.value.offset == offset
        assert list(log.read(1, offset)) == events(1, offset - 1)


def test_lost_head_row_is_detected(db: Path) -> None:
    _tamper(db, "DELETE FROM ccrouter_heads")
    with pytest.raises(CorruptLog, match="head row is missing"):
        SQLiteEventLog(db).version  # noqa: B018 - the property read is the test
    _tamper(db, "INSERT INTO ccrouter_heads VALUES ('default', 5, 0)")
    with pytest.raises(CorruptLog, match="head row"):
        SQLiteEventLog(db).append(events(10, 1))


def test_streams_share_a_file_without_mixing(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with SQLiteEventLog(path, stream="a") as a, SQLiteEventLog(path, stream="b") as b:
        a.append(events(1, 3, tag="a"))
        b.append(events(1, 2, tag="b"))
        assert (a.version, b.version) == (3, 2)
        assert list(b.read()) == events(1, 2, tag="b")
    # A row moved to another stream fails its checksum (the stream is part of it).
    _tamper(path, "UPDATE ccrouter_events SET stream = 'b' WHERE stream = 'a' AND version = 3")
    _tamper(path, "UPDATE ccrouter_heads SET version = 3, crc = ? WHERE stream = 'b'", 0)
    with SQLiteEventLog(path, stream="b", readonly=True) as b, pytest.raises(CorruptLog):
        list(b.read())


def _schema_positions(data: bytes, path: Path) -> list[int]:
    """Offsets in the database file of every byte of the stored schema text."""
    conn = sqlite3.connect(path)
    sqls = [
        str(row[0]) for row in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")
    ]
    conn.close()
    positions: list[int] = []
    for text in sqls:
        at = data.find(text.encode())
        assert at >= 0, text
        positions += range(at, at + len(text))
    return positions


@pytest.mark.parametrize("readonly", [False, True])
def test_damaged_schema_text_is_corrupt_log(
    tmp_path: Path, original: bytes, readonly: bool
) -> None:
    """Each byte of the ``CREATE TABLE`` texts flipped (one bit): ``CorruptLog`` or intact.

    A flipped letter in a column name used to surface as a plain ``LogError`` ("no such
    column: data"); in a table name, as an empty log on a read-only handle.
    """
    source = tmp_path / "source.db"
    source.write_bytes(original)
    positions = _schema_positions(original, source)
    want = events(1, sum(SIZES))
    counts = {"same": 0, "corrupt_log": 0}
    path = tmp_path / "flip.db"
    for pos in positions:
        for extra in ("-wal", "-shm", "-head"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        damaged = bytearray(original)
        damaged[pos] ^= 1 << (pos % 8)
        rewrite(path, bytes(damaged))
        try:
            with SQLiteEventLog(path, readonly=readonly) as log:
                got = list(log.read())
        except CorruptLog:
            counts["corrupt_log"] += 1
            continue
        except CCRouterError as exc:
            pytest.fail(f"schema byte {pos}: {type(exc).__name__} instead of CorruptLog: {exc}")
        assert got == want, f"schema byte {pos}: silently different events ({len(got)})"
        counts["same"] += 1
    assert counts["corrupt_log"] > 0
    mode = "readonly" if readonly else "writer"
    figures(f"sqlite-schema-flip-{mode}", flips=len(positions), **counts)


def test_a_missing_column_is_named(db: Path) -> None:
    _tamper(db, "ALTER TABLE ccrouter_events RENAME COLUMN data TO dava")
    with pytest.raises(CorruptLog, match=r"ccrouter_events lacks column\(s\) \['data'\]"):
        SQLiteEventLog(db, readonly=True)


def test_a_missing_table_is_not_an_empty_log(db: Path) -> None:
    _tamper(db, "ALTER TABLE ccrouter_heads RENAME TO ccrouter_heaes")
    for readonly in (True, False):
        with pytest.raises(CorruptLog, match="has table"):
            SQLiteEventLog(db, readonly=readonly)
