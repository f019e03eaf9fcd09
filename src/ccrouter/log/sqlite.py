"""An event log in SQLite: one row per event, a checksum per row, WAL journal.

Table ``ccrouter_events(stream, version, schema, crc, data, chain)`` with primary key
``(stream, version)``; several streams (partitions) may share one database file. ``data`` is
the event in MessagePack and ``crc`` a CRC-32 over the stream name, version, schema and data:
SQLite does not checksum its pages, so a flipped bit on disk would otherwise come back as a
silently different event. A row that fails its checksum raises
:class:`~ccrouter.errors.CorruptLog` whose ``offset`` is the row's version (= ``seq``).

Column ``chain`` holds the history chain (:mod:`ccrouter.log.chain`) after the row, computed
at append, so a snapshot's check is one row read; it is added to older databases on open
(their rows stay NULL and are hashed from their data when needed).

Table ``ccrouter_heads(stream, version, crc)`` holds each stream's version, updated in the
same transaction as the rows. It is the authority on how many events exist: damage that makes
rows unreachable (a flipped byte in a b-tree page) shows up as missing rows below the head
and raises :class:`~ccrouter.errors.CorruptLog`, instead of a silently shorter log.

Table ``ccrouter_commits`` counts the ``"fsync"`` commits, mirrored after each one in the
fsynced file ``<db>-head``: a damaged or lost ``-wal`` file after a crash, which SQLite's
recovery would silently cut back to an older version, raises
:class:`~ccrouter.errors.CorruptLog` on open instead (see :mod:`ccrouter.log.sqlite_head`).
Opening also checks the stored schema (damaged table or column names are ``CorruptLog``).

Durability maps onto ``PRAGMA synchronous`` in WAL mode:

- ``"fsync"`` (default): ``FULL``; a commit is fsynced before the append returns; survives
  power loss.
- ``"os"``: ``NORMAL``; survives a process crash; an OS crash or power loss may roll back the
  last commits (never corrupts the database).
- ``"none"``: ``OFF``; for simulations; an OS crash can corrupt the database.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from ccrouter.errors import (
    ConcurrencyConflict,
    CorruptLog,
    DecodeError,
    InvalidArgument,
    LogError,
    StorageFull,
)
from ccrouter.events import Event
from ccrouter.log.base import check_batch
from ccrouter.log.chain import CHAIN_SIZE, GENESIS, chain_of_parts, extend
from ccrouter.log.file import Durability
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, encode_payload, row_checksum
from ccrouter.log.sqlite_head import HeadFile, check_schema, compare_head, head_path, read_head

__all__ = ["SQLiteEventLog"]

_SYNCHRONOUS = {"fsync": "FULL", "os": "NORMAL", "none": "OFF"}
_PAGE = 4096

_DDL = (
    """
CREATE TABLE IF NOT EXISTS ccrouter_events (
    stream  TEXT    NOT NULL,
    version INTEGER NOT NULL,
    schema  INTEGER NOT NULL,
    crc     INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    chain   BLOB,
    PRIMARY KEY (stream, version)
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS ccrouter_heads (
    stream  TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    crc     INTEGER NOT NULL
) WITHOUT ROWID
""",
    # One row: how many append transactions committed, and a random token naming this
    # database; mirrored in the fsynced head file (see ccrouter.log.sqlite_head).
    """
CREATE TABLE IF NOT EXISTS ccrouter_commits (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    count   INTEGER NOT NULL,
    token   BLOB    NOT NULL
)
""",
    "INSERT OR IGNORE INTO ccrouter_commits (id, count, token) VALUES (1, 0, randomblob(16))",
)


def _head_crc(stream: str, version: int) -> int:
    return row_checksum(stream, version, 0, b"head")


class SQLiteEventLog:
    """An :class:`~ccrouter.log.base.EventLog` stored in a SQLite database.

    Args:
        path: The database file (created if missing).
        stream: Which log in the database this handle reads and appends (a partition).
        durability: ``"fsync"`` (default), ``"os"`` or ``"none"`` (see the module docs).
        readonly: Open the database read-only.
        timeout: Seconds to wait for another writer's transaction before failing.

    Several handles, threads or processes may append to the same stream: every append runs in
    one ``BEGIN IMMEDIATE`` transaction that re-reads the version, so exactly one of two racing
    appends with the same ``expected_version`` wins.

    >>> import tempfile, os
    >>> from ccrouter.events import AgentReady
    >>> path = os.path.join(tempfile.mkdtemp(), "events.db")
    >>> with SQLiteEventLog(path) as log:
    ...     log.append([AgentReady(seq=1, at=0.0, agent_id="a")])
    ...     [e.agent_id for e in log.read()]
    1
    ['a']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        stream: str = "default",
        durability: Durability = "fsync",
        readonly: bool = False,
        timeout: float = 30.0,
    ) -> None:
        if durability not in _SYNCHRONOUS:
            msg = f"durability must be one of {tuple(_SYNCHRONOUS)}, got {durability!r}"
            raise InvalidArgument(msg)
        self.path = Path(path)
        self.stream = stream
        self.durability: Durability = durability
        self.readonly = readonly
        self._lock = threading.RLock()
        self._closed = False
        self._head: HeadFile | None = None
        try:
            # Read before the database (see compare_head): heads are written after commits.
            acked = read_head(self.path)
        except OSError as exc:
            raise LogError(f"{head_path(self.path)}: cannot read the head file: {exc}") from exc
        try:
            if readonly:
                uri = f"{self.path.absolute().as_uri()}?mode=ro"
                self._conn = sqlite3.connect(
                    uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
                )
            else:
                self._conn = sqlite3.connect(
                    self.path, timeout=timeout, isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise LogError(f"{self.path}: cannot open the database: {exc}") from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if not readonly:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise LogError(f"{self.path}: cannot switch the database to WAL ({mode})")
                self._conn.execute(f"PRAGMA synchronous = {_SYNCHRONOUS[durability]}")
            self._open_checks(acked)
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            self.close()
            raise self._translate(exc) from exc
        except OSError as exc:
            self.close()
            raise self._translate_os(exc, "cannot create or write its head file") from exc
        except BaseException:
            self.close()
            raise

    def _open_checks(self, acked: tuple[bytes, int] | None) -> None:
        """Check the schema, create the tables (one transaction: all or none), compare the
        commit count with the head file, and open the head file for writing."""
        conn = self._conn
        if self.readonly:
            check_schema(conn, self.path)
        else:
            conn.execute("BEGIN IMMEDIATE")
            try:
                check_schema(conn, self.path)
                for ddl in _DDL:
                    conn.execute(ddl)
                self._add_chain_column()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        stored = self._stored_commits()
        compare_head(self.path, acked, stored)
        if not self.readonly and self.durability == "fsync" and stored is not None:
            self._head = HeadFile(self.path)
            if acked is None or acked[0] != stored[0]:
                self._head.record(*stored)

    def _stored_commits(self) -> tuple[bytes, int] | None:
        """The database's ``(token, count)``, or ``None`` if it has no commit record."""
        try:
            row = self._conn.execute(
                "SELECT token, count FROM ccrouter_commits WHERE id = 1"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None  # a new database opened read-only, or one from before the table
            raise
        if row is None:
            return None
        token, count = row
        if not isinstance(token, bytes) or not isinstance(count, int):
            raise CorruptLog(f"{self.path}: the commit record is damaged ({row!r})", offset=0)
        return token, count

    def _translate_os(self, exc: OSError, what: str) -> LogError:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return StorageFull(exc.errno, f"{head_path(self.path)}: storage full: {what} ({exc})")
        return LogError(f"{head_path(self.path)}: {what} ({exc})")

    def _translate(self, exc: sqlite3.Error | UnicodeDecodeError) -> LogError:
        if isinstance(exc, UnicodeDecodeError):
            # SQLite returned text (an error message or value) that is not UTF-8.
            return CorruptLog(f"{self.path}: SQLite returned undecodable text: {exc}")
        text = str(exc)
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_FULL" or "database or disk is full" in text:
            return StorageFull(errno.ENOSPC, f"{self.path}: storage full ({text})")
        if (
            name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
            or "malformed" in text
            or "not a database" in text
            or "unsupported file format" in text  # a damaged schema-format byte in the header
        ):
            return CorruptLog(f"{self.path}: SQLite reports damage: {text}")
        if name in ("SQLITE_READONLY_ROLLBACK", "SQLITE_READONLY_RECOVERY"):
            msg = (
                f"{self.path}: the database needs crash recovery, which a read-only handle "
                "cannot do; open it once for writing (SQLiteEventLog(path)) first"
            )
            return LogError(msg)
        if "Could not decode to UTF-8" in text:
            return CorruptLog(f"{self.path}: SQLite returned undecodable text: {text}")
        if "no such column" in text:
            # The tables exist (the open checked them), so a missing column is damage to the
            # schema text that the open's check did not see (another process changed it).
            return CorruptLog(f"{self.path}: the stored schema is damaged: {text}")
        if name.startswith("SQLITE_IOERR"):
            full = self._full_file(name)
            if full is not None:
                return full
            msg = (
                f"{self.path}: SQLite could not write or sync ({name}: {text}); the transaction "
                "was rolled back. A file-size limit or failing disk can cause this"
            )
            return LogError(msg)
        return LogError(f"{self.path}: {text} ({name or type(exc).__name__})")

    def _full_file(self, name: str) -> StorageFull | None:
        """Tell a file-size limit or a full disk behind SQLite's ``SQLITE_IOERR_*``.

        SQLite reports ``EFBIG`` (``RLIMIT_FSIZE``) as a plain write error and keeps the
        errno to itself, so look: a database or WAL file within 1 MiB of the size limit, or
        less than 1 MiB free on its file system, means the storage is full.
        """
        margin = 1 << 20
        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            sizes = []
            for extra in ("", "-wal"):
                with contextlib.suppress(OSError):
                    sizes.append(os.stat(f"{self.path}{extra}").st_size)
            if sizes and max(sizes) + margin >= soft:
                msg = f"{self.path}: file-size limit ({soft} bytes) reached ({name})"
                return StorageFull(errno.EFBIG, msg)
        with contextlib.suppress(OSError):
            fs = os.statvfs(self.path.parent)
            if fs.f_bavail * fs.f_frsize < margin:
                return StorageFull(errno.ENOSPC, f"{self.path}: storage full ({name})")
        return None

    def _check_open(self) -> None:
        if self._closed:
            raise LogError(f"{self.path}: the log is closed")

    def _current_version(self) -> int:
        """The stream's version from its head row (checked), or 0 for a new stream.

        One statement, so one snapshot: a writer committing in between cannot make a new
        stream look like one whose head row is missing.
        """
        version, crc, has_rows = self._conn.execute(
            "SELECT (SELECT version FROM ccrouter_heads WHERE stream = ?1), "
            "(SELECT crc FROM ccrouter_heads WHERE stream = ?1), "
            "EXISTS (SELECT 1 FROM ccrouter_events WHERE stream = ?1)",
            (self.stream,),
        ).fetchone()
        if version is None:
            if has_rows:
                msg = f"{self.path}: stream {self.stream!r} has events but its head row is missing"
                raise CorruptLog(msg, offset=0)
            return 0
        if not isinstance(version, int) or _head_crc(self.stream, version) != crc:
            msg = f"{self.path}: the head row of stream {self.stream!r} fails its checksum"
            raise CorruptLog(msg, offset=0)
        return version

    @property
    def version(self) -> int:
        """Number of events in this stream (queried: other handles may have appended)."""
        with self._lock:
            self._check_open()
            try:
                return self._current_version()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return 0
                raise self._translate(exc) from exc
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._translate(exc) from exc

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append a batch in one transaction and return the new version.

        Raises:
            ConcurrencyConflict: ``expected_version`` differs from the stored version, or
                another writer took one of these versions first.
            InvalidArgument: the ``seq`` numbers do not continue the stream, or an event cannot
                be encoded.
            StorageFull: the disk is full (nothing appended).
            LogError: SQLite failed otherwise (nothing appended).
        """
        with self._lock:
            self._check_open()
            if self.readonly:
                raise LogError(f"{self.path}: the log was opened read-only")
            rows = []
            for event in events:
                data = encode_payload([event])
                crc = row_checksum(self.stream, event.seq, SCHEMA_VERSION, data)
                rows.append((self.stream, event.seq, SCHEMA_VERSION, crc, data))
            conn = self._conn
            version = -1
            commit: tuple[bytes, int] | None = None
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    version = self._current_version()
                    check_batch(events, version, expected_version)
                    chains = chain_of_parts(self._chain_at(version), [r[4] for r in rows])
                    conn.executemany(
                        "INSERT INTO ccrouter_events (stream, version, schema, crc, data, chain) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [(*row, c) for row, c in zip(rows, chains, strict=True)],
                    )
                    if rows:
                        new = version + len(rows)
                        conn.execute(
                            "INSERT INTO ccrouter_heads (stream, version, crc) VALUES (?, ?, ?) "
                            "ON CONFLICT (stream) DO UPDATE SET "
                            "version = excluded.version, crc = excluded.crc",
                            (self.stream, new, _head_crc(self.stream, new)),
                        )
                        if self._head is not None:
                            # Only "fsync" appends are counted: the head file guards
                            # commits acknowledged as durable; an "os" or "none" commit may
                            # legitimately vanish with a crash of the OS anyway.
                            commit = self._count_commit()
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as exc:
                actual = self._current_version()
                msg = f"another writer appended to stream {self.stream!r} first ({exc})"
                raise ConcurrencyConflict(msg, expected=version, actual=actual) from exc
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._translate(exc) from exc
            if commit is not None and self._head is not None:
                self._record_head(commit, version + len(events))
            return version + len(events)

    def _count_commit(self) -> tuple[bytes, int]:
        """Count this transaction in ``ccrouter_commits``; return ``(token, new count)``."""
        row = self._conn.execute(
            "UPDATE ccrouter_commits SET count = count + 1 WHERE id = 1 RETURNING token, count"
        ).fetchone()
        if row is None or not isinstance(row[0], bytes) or not isinstance(row[1], int):
            raise CorruptLog(f"{self.path}: the commit record is missing or damaged", offset=0)
        return row[0], row[1]

    def _record_head(self, commit: tuple[bytes, int], new: int) -> None:
        """Make the commit's count durable in the head file before the append returns."""
        assert self._head is not None
        try:
            self._head.record(*commit)
        except OSError as exc:
            what = (
                f"the batch was committed (stream {self.stream!r} version {new}) but its head "
                "record was not written, so it is not acknowledged; reopen and read the version"
            )
            raise self._translate_os(exc, what) from exc

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Return the events with ``start <= seq < stop`` in order, each row's checksum verified.

        Sees the stream as it is when called. Reads pages of 4096 rows by key.

        Raises:
            CorruptLog: a row fails its checksum, is missing, or does not decode (``offset`` is
                the version), raised while iterating.
        """
        with self._lock:
            end = self.version + 1
        end = end if stop is None else min(stop, end)
        return self._read(max(start, 1), end)

    def _read(self, start: int, end: int) -> Iterator[Event]:
        expect = start
        stream = self.stream
        while expect < end:
            with self._lock:
                self._check_open()
                try:
                    rows = self._conn.execute(
                        "SELECT version, schema, crc, CAST(data AS BLOB) FROM ccrouter_events "
                        "WHERE stream = ? AND version >= ? AND version < ? "
                        "ORDER BY version LIMIT ?",
                        (stream, expect, end, _PAGE),
                    ).fetchall()
                except (sqlite3.Error, UnicodeDecodeError) as exc:
                    raise self._translate(exc) from exc
            if not rows:
                raise CorruptLog(
                    f"{self.path}: rows from version {expect} are missing", offset=expect
                )
            parts: list[bytes] = []
            schema = rows[0][1]
            for version, row_schema, crc, data in rows:
                if version != expect or row_schema != schema:
                    if version != expect:
                        msg = f"{self.path}: stream {stream!r} has no row for version {expect}"
                        raise CorruptLog(msg, offset=expect)
                    break
                if (
                    not isinstance(data, bytes)
                    or row_checksum(stream, version, row_schema, data) != crc
                ):
                    msg = f"{self.path}: row {stream!r} version {version} fails its checksum"
                    raise CorruptLog(msg, offset=version)
                parts.append(data)
                expect += 1
            first = expect - len(parts)
            try:
                events = decode_payload(parts, len(parts), schema)
            except DecodeError as exc:
                msg = f"{self.path}: rows from version {first} do not decode: {exc}"
                raise CorruptLog(msg, offset=first) from exc
            if events[0].seq != first or events[-1].seq != expect - 1:
                msg = f"{self.path}: event seq numbers do not match their rows from {first}"
                raise CorruptLog(msg, offset=first)
            yield from events

    # --- the history chain (ccrouter.log.chain): one column, filled at append -------------

    def _add_chain_column(self) -> None:
        """Databases made before the history chain get its column. Their rows stay NULL: the
        chain over them is hashed from their data when asked for, until the first append,
        whose rows carry it from then on."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(ccrouter_events)")}
        if "chain" not in columns:
            self._conn.execute("ALTER TABLE ccrouter_events ADD COLUMN chain BLOB")

    def chain_at(self, version: int) -> bytes:
        """The history chain of the stream's first ``version`` events.

        One row read: each row holds the chain after it (rows written before the chain
        existed are hashed from their data instead, from the last row that has one).

        Raises:
            InvalidArgument: ``version`` is negative or beyond the stream.
            CorruptLog: a row read for it is damaged.
        """
        with self._lock:
            current = self.version
            if not 0 <= version <= current:
                msg = f"version must be in 0..{current} (the stream's version), got {version}"
                raise InvalidArgument(msg)
            try:
                return self._chain_at(version)
            except sqlite3.OperationalError as exc:
                if "no such column" not in str(exc):
                    raise self._translate(exc) from exc
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._translate(exc) from exc
            try:  # a read-only handle on a database from before the chain column
                return self._hashed_chain(0, GENESIS, version)
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._translate(exc) from exc

    def _chain_at(self, version: int) -> bytes:
        if version == 0:
            return GENESIS
        row = self._conn.execute(  # the usual case: one point lookup
            "SELECT version, chain FROM ccrouter_events WHERE stream = ? AND version = ?",
            (self.stream, version),
        ).fetchone()
        if row is not None and row[1] is not None:
            start, chain = row
        else:  # rows from before the chain: hash on from the last row that has one
            start, chain = self._last_chained(version)
        if not isinstance(chain, bytes) or len(chain) != CHAIN_SIZE:
            msg = f"{self.path}: row {self.stream!r} version {start} holds a damaged chain"
            raise CorruptLog(msg, offset=start)
        return chain if start == version else self._hashed_chain(start, chain, version)

    def _last_chained(self, version: int) -> tuple[int, bytes]:
        row = self._conn.execute(
            "SELECT version, chain FROM ccrouter_events WHERE stream = ?1 AND version = "
            "(SELECT MAX(version) FROM ccrouter_events WHERE stream = ?1 AND version <= ?2 "
            "AND chain IS NOT NULL)",
            (self.stream, version),
        ).fetchone()
        return (0, GENESIS) if row is None else (row[0], row[1])

    def _hashed_chain(self, start: int, chain: bytes, version: int) -> bytes:
        """Extend ``chain`` (at ``start``) over the rows up to ``version``, read and checked."""
        for event in self._read_rows(start + 1, version + 1):
            chain = extend(chain, (event,))
        return chain

    def _read_rows(self, start: int, end: int) -> Iterator[bytes]:
        expect = start
        while expect < end:
            rows = self._conn.execute(
                "SELECT version, schema, crc, CAST(data AS BLOB) FROM ccrouter_events "
                "WHERE stream = ? AND version >= ? AND version < ? ORDER BY version LIMIT ?",
                (self.stream, expect, end, _PAGE),
            ).fetchall()
            if not rows:
                msg = f"{self.path}: rows from version {expect} are missing"
                raise CorruptLog(msg, offset=expect)
            for version, schema, crc, data in rows:
                if version != expect or not isinstance(data, bytes):
                    msg = f"{self.path}: stream {self.stream!r} has no row for version {expect}"
                    raise CorruptLog(msg, offset=expect)
                if row_checksum(self.stream, version, schema, data) != crc:
                    msg = f"{self.path}: row {self.stream!r} version {version} fails its checksum"
                    raise CorruptLog(msg, offset=version)
                yield data
                expect += 1

    def close(self) -> None:
        """Close the connection. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                if hasattr(self, "_conn"):
                    self._conn.close()
                if self._head is not None:
                    self._head.close()

    def __enter__(self) -> SQLiteEventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteEventLog({str(self.path)!r}, stream={self.stream!r})"
