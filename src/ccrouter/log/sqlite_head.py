"""The SQLite store's guards against silent loss: an fsynced head file and a schema check.

**Why a head file.** In WAL mode a commit lives only in the ``-wal`` file until a checkpoint
copies it into the database. Each WAL frame carries a checksum chained over the frames
before it, and crash recovery replays frames only up to the first one that fails: one
flipped bit in the ``-wal`` file therefore silently drops that commit and every later one,
and the database opens cleanly at an older version. Nothing inside the database can tell,
because the counter that would tell is rolled back with everything else.

So a ``durability="fsync"`` writer counts its commits in the database
(``ccrouter_commits.count``, incremented in the append's transaction), then writes that count
to a small file beside the database (``<db>-head``) and fsyncs it *after* the commit and
*before* the append returns. (``"os"`` and ``"none"`` appends are not counted: an OS crash
may legitimately take them, so there is nothing to guard and they pay nothing.) On open, a
head above the database's count means that acknowledged commits are missing:
:class:`~ccrouter.errors.CorruptLog`. A crash between the commit and the head
write leaves the head below the database, which is fine (that append was never
acknowledged). A random ``token`` stored in both ties the head file to its database.

The head file holds two 512-byte slots, each ``magic, token, count, CRC-32``; a write goes to
slot ``count % 2``, so a torn write leaves the other slot with the previous count (one less
than the commit being written, which was not acknowledged yet). Writers in several handles or
processes serialize on an ``flock`` of the file and only ever raise the count.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import struct
import zlib
from pathlib import Path

from ccrouter.errors import CorruptLog

__all__ = ["HeadFile", "check_schema", "head_path", "read_head"]

_MAGIC = b"CCRHEAD1"
_SLOT = struct.Struct("<8s16sQ")  # magic, token, count; a CRC-32 follows
_CRC = struct.Struct("<I")
_SLOT_SPACING = 512  # one slot per sector: a torn sector cannot damage both

REQUIRED_COLUMNS: dict[str, frozenset[str]] = {
    "ccrouter_events": frozenset({"stream", "version", "schema", "crc", "data"}),
    "ccrouter_heads": frozenset({"stream", "version", "crc"}),
}
"""Tables every ccrouter SQLite database has, and the columns the store reads from each."""

OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "ccrouter_commits": frozenset({"id", "count", "token"}),
}
"""Tables that databases written before they existed lack (created on the next write open)."""


def head_path(db: Path) -> Path:
    """The head file of database ``db`` (``log.db`` → ``log.db-head``)."""
    return db.with_name(f"{db.name}-head")


def _pack(token: bytes, count: int) -> bytes:
    body = _SLOT.pack(_MAGIC, token, count)
    return body + _CRC.pack(zlib.crc32(body))


def _unpack(raw: bytes) -> tuple[bytes, int] | None:
    size = _SLOT.size + _CRC.size
    if len(raw) < size:
        return None
    body, (crc,) = raw[: _SLOT.size], _CRC.unpack_from(raw, _SLOT.size)
    if zlib.crc32(body) != crc:
        return None
    magic, token, count = _SLOT.unpack(body)
    return (token, count) if magic == _MAGIC else None


def _best(fd: int) -> tuple[bytes, int] | None:
    slots = [_unpack(os.pread(fd, _SLOT.size + _CRC.size, i * _SLOT_SPACING)) for i in (0, 1)]
    valid = [s for s in slots if s is not None]
    return max(valid, key=lambda s: s[1]) if valid else None


def read_head(db: Path) -> tuple[bytes, int] | None:
    """The ``(token, count)`` recorded beside ``db``, or ``None`` (no head file, or neither
    slot valid: a head file whose creation was torn, which guards nothing yet)."""
    try:
        fd = os.open(head_path(db), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        return _best(fd)
    finally:
        os.close(fd)


class HeadFile:
    """A writer's handle on ``<db>-head``: :meth:`record` raises the count durably.

    Raises:
        OSError: the file cannot be opened or created.
    """

    def __init__(self, db: Path) -> None:
        self.path = head_path(db)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        if created:
            with contextlib.suppress(OSError):  # the entry is made durable by the first record
                _fsync_dir(self.path)

    def record(self, token: bytes, count: int) -> None:
        """Write ``count`` (if above the recorded one, or the token differs) and fsync it.

        Raises:
            OSError: writing or syncing failed.
        """
        fd = self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            best = _best(fd)
            if best is not None and best[0] == token and best[1] >= count:
                return  # another handle already recorded this commit or a later one
            data = _pack(token, count)
            written = os.pwrite(fd, data, (count % 2) * _SLOT_SPACING)
            if written != len(data):
                raise OSError(28, "short write to the head file")
            if best is None or best[0] != token:
                # A new head (or one adopted from another database): both slots, so the
                # other one cannot keep a stale higher count of another token.
                os.pwrite(fd, data, ((count + 1) % 2) * _SLOT_SPACING)
            os.fdatasync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file. Idempotent."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compare_head(
    db: Path, head: tuple[bytes, int] | None, stored: tuple[bytes, int] | None
) -> None:
    """Refuse a database that holds fewer commits than its head file acknowledged.

    ``head`` must be read *before* ``stored`` (the database's ``(token, count)``, ``None``
    when it has no commit record): heads are written after commits, so read in that order a
    head never runs ahead of an intact database, even while other writers append.

    Raises:
        CorruptLog: acknowledged commits are missing (``offset`` is ``None``).
    """
    if head is None or head[1] == 0:
        return
    token, acked = head
    if stored is None or stored[0] != token:
        what = "has no commit record" if stored is None else "has another commit token"
        msg = (
            f"{db}: its head file {head_path(db).name} records {acked} acknowledged commits, "
            f"but the database {what}: the database was replaced, or the commits that created "
            "it were lost (a damaged or deleted -wal file). If the database was restored from "
            f"a backup on purpose, delete {head_path(db).name} to accept it"
        )
        raise CorruptLog(msg)
    if stored[1] < acked:
        msg = (
            f"{db}: the database holds {stored[1]} commits but {acked} were acknowledged "
            f"(recorded in {head_path(db).name}): {acked - stored[1]} acknowledged commits are "
            "missing, most likely a damaged or deleted -wal file after a crash. If an older "
            f"copy was restored on purpose, delete {head_path(db).name} to accept it"
        )
        raise CorruptLog(msg)


def check_schema(conn: sqlite3.Connection, db: Path) -> bool:
    """Check that the ccrouter tables of an existing database have the columns the store reads.

    Damage to the schema text in ``sqlite_master`` (one flipped letter in a column or table
    name) would otherwise surface as "no such column" on first use or, worse, as a missing
    table read as an empty log. Returns whether the database already has ccrouter tables.

    Raises:
        CorruptLog: one required table exists but another does not, or a table lacks a column.
        sqlite3.Error: SQLite cannot parse its schema (the caller translates it).
    """
    names = {
        str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    present = [t for t in REQUIRED_COLUMNS if t in names]
    if present and len(present) < len(REQUIRED_COLUMNS):
        missing = sorted(set(REQUIRED_COLUMNS) - set(present))
        msg = (
            f"{db}: the database has table(s) {present} but not {missing}: its schema is "
            "damaged (or the file is not a ccrouter log)"
        )
        raise CorruptLog(msg)
    wanted = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}
    for table, columns in wanted.items():
        if table not in names:
            continue
        found = {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}
        lacking = sorted(columns - found)
        if lacking:
            msg = (
                f"{db}: table {table} lacks column(s) {lacking} (it has {sorted(found)}): "
                "the schema text stored in the database is damaged"
            )
            raise CorruptLog(msg)
    return bool(present)
