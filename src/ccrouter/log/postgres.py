"""An event log in PostgreSQL (psycopg 3; ``pip install 'ccrouter[postgres]'``).

One table holds every stream (partition, e.g. a tenant)::

    position  bigint identity   global order across streams; insert order = commit order
    stream    text              the partition
    version   bigint            seq within the stream; PRIMARY KEY (stream, version)
    schema    smallint          event schema version (see ccrouter.log.schema)
    crc       bigint            CRC-32 over stream, version, schema and data
    data      bytea             the event in MessagePack
    chain     bytea             the history chain after this row (ccrouter.log.chain;
                                NULL in rows written before the column existed)

An append is one transaction: ``LOCK TABLE … IN EXCLUSIVE MODE`` (readers go on; appenders
queue), read the stream's version, check ``expected_version``, insert the rows, commit.
Because appenders hold the table lock until they commit, positions are handed out in commit
order, so a reader following ``position`` (:meth:`PostgresEventLog.read_global`) never misses
a row that commits later with a smaller position. The price is one appender at a time per
table; use one table per independent cluster of partitions if that ever limits throughput.

One router per partition: open with ``lease=True``. The handle takes a session advisory lock
for its stream (refused with :class:`~ccrouter.errors.WriterLocked` while another session holds
it) and fences every append: the stream must still be at the version this handle last wrote or
saw, and the lock must still be held by this session, inside the appending transaction. A
router whose session died (and whose lease another router took over) can therefore never
append: its connection is gone, and a reconnect would need the lease and the current version.

Table ``ccrouter_stream_heads(relid, stream, version, crc)`` records each stream's version,
written in the same transaction as the rows (``relid`` is the events table's OID, so a table
dropped and created again does not inherit stale heads). Opening a handle, reading its
``version`` and appending compare it with the rows: a head above the last row means tail rows
were deleted, and raises :class:`~ccrouter.errors.CorruptLog` instead of a silently shorter
log. Streams written before the table existed have no head until their next append.
"""

from __future__ import annotations

import errno
import hashlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql

from ccrouter.errors import (
    ConcurrencyConflict,
    CorruptLog,
    DecodeError,
    InvalidArgument,
    LeaseLost,
    LogError,
    StorageFull,
    WriterLocked,
)
from ccrouter.events import Event
from ccrouter.log.base import check_batch
from ccrouter.log.chain import CHAIN_SIZE, GENESIS, chain_of_parts, extend
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, encode_payload, row_checksum

__all__ = ["PostgresEventLog", "lease_key"]

_PAGE = 4096
_TABLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DDL_LOCK = 0x4343_5254_4444_4C00  # "CCRTDDL": serializes CREATE TABLE IF NOT EXISTS
_HEADS = sql.Identifier("ccrouter_stream_heads")
_HEADS_DDL = sql.SQL(
    """
    CREATE TABLE IF NOT EXISTS {h} (
        relid   oid    NOT NULL,
        stream  text   NOT NULL,
        version bigint NOT NULL,
        crc     bigint NOT NULL,
        PRIMARY KEY (relid, stream)
    )
    """
).format(h=_HEADS)


def _head_crc(stream: str, version: int) -> int:
    return row_checksum(stream, version, 0, b"head")


def lease_key(table: str, stream: str) -> int:
    """The 64-bit advisory-lock key of a partition's lease.

    >>> lease_key("ccrouter_events", "tenant-1") == lease_key("ccrouter_events", "tenant-1")
    True
    """
    digest = hashlib.blake2b(f"ccrouter-lease\0{table}\0{stream}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class PostgresEventLog:
    """An :class:`~ccrouter.log.base.EventLog` stored in PostgreSQL.

    Args:
        dsn: A libpq connection string or URL.
        stream: The partition this handle reads and appends.
        lease: Hold the partition's lease (an advisory lock) while open and fence appends
            (see the module docs). Use it for the one active router of a partition.
        lease_timeout: Seconds to keep trying for the lease (0: try once).
        table: Table name (created if missing).
        readonly: Refuse appends (and take no lease).

    Raises:
        WriterLocked: ``lease=True`` and another session holds the partition's lease.
        LogError: the server cannot be reached.
    """

    def __init__(
        self,
        dsn: str,
        *,
        stream: str = "default",
        lease: bool = False,
        lease_timeout: float = 0.0,
        table: str = "ccrouter_events",
        readonly: bool = False,
        connect_timeout: int = 10,
    ) -> None:
        if not _TABLE_RE.match(table):
            raise InvalidArgument(f"table must be a plain lower-case SQL name, got {table!r}")
        if lease and readonly:
            raise InvalidArgument("a read-only handle cannot hold a lease")
        self.stream = stream
        self.table = table
        self.lease = lease
        self.readonly = readonly
        self._lock = threading.RLock()
        self._closed = False
        self._fence = -1
        self._t = sql.Identifier(table)
        self._key = lease_key(table, stream)
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout)
        except psycopg.Error as exc:
            raise LogError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            if not readonly:
                self._create_table()
            # Refuse a stream whose tail rows are missing now, not at the first read.
            with self._lock:
                self._checked_version()
            if lease:
                self._take_lease(lease_timeout)
                self._fence = self._current_version()
        except BaseException:
            self._closed = True
            self._conn.close()
            raise

    def _create_table(self) -> None:
        ddl = sql.SQL(
            """
            CREATE TABLE IF NOT EXISTS {t} (
                position    bigint   GENERATED ALWAYS AS IDENTITY UNIQUE,
                stream      text     NOT NULL,
                version     bigint   NOT NULL CHECK (version > 0),
                schema      smallint NOT NULL,
                crc         bigint   NOT NULL,
                data        bytea    NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (stream, version)
            )
            """
        ).format(t=self._t)
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
                self._conn.execute(ddl)
                # Tables made before the history chain get its column (old rows stay NULL).
                # Looked up first: ALTER TABLE would lock the table out on every open.
                has_chain = self._conn.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = %s AND column_name = 'chain'",
                    (self.table,),
                ).fetchone()
                if has_chain is None:
                    self._conn.execute(
                        sql.SQL("ALTER TABLE {t} ADD COLUMN IF NOT EXISTS chain bytea").format(
                            t=self._t
                        )
                    )
                self._conn.execute(_HEADS_DDL)
        except psycopg.Error as exc:
            raise self._translate(exc) from exc

    def _take_lease(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            if row and row[0]:
                return
            if time.monotonic() >= deadline:
                msg = f"partition {self.stream!r} is leased by another writer (another router)"
                raise WriterLocked(msg)
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _lease_held(self) -> bool:
        k = self._key & 0xFFFF_FFFF_FFFF_FFFF
        row = self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND objsubid = 1 AND classid = %s AND objid = %s)",
            (k >> 32, k & 0xFFFF_FFFF),
        ).fetchone()
        return bool(row and row[0])

    def _translate(self, exc: psycopg.Error) -> LogError:
        if isinstance(exc, psycopg.errors.DiskFull):
            return StorageFull(errno.ENOSPC, f"PostgreSQL: {exc}")
        if isinstance(exc, psycopg.errors.DataCorrupted | psycopg.errors.IndexCorrupted):
            return CorruptLog(f"PostgreSQL reports damage: {exc}")
        if self.lease and (self._conn.closed or isinstance(exc, psycopg.OperationalError)):
            return LeaseLost(
                f"lost the connection holding the lease of partition {self.stream!r} ({exc}); "
                "the outcome of an append in flight is unknown: reopen and read the version"
            )
        return LogError(f"PostgreSQL: {exc}")

    def _check_open(self) -> None:
        if self._closed:
            raise LogError(f"the log of stream {self.stream!r} is closed")

    def _current_version(self) -> int:
        """The stream's version: its last row, checked against its head record.

        One statement, so one snapshot of both tables.

        Raises:
            CorruptLog: the head is damaged, or records a version above the last row (tail
                rows were deleted; ``offset`` is the first missing version).
            psycopg.errors.UndefinedTable: the events table does not exist.
        """
        query = sql.SQL(
            "SELECT (SELECT MAX(version) FROM {t} WHERE stream = %s), h.version, h.crc "
            "FROM (SELECT 1) AS one LEFT JOIN {h} AS h "
            "ON h.relid = to_regclass(%s)::oid AND h.stream = %s"
        ).format(t=self._t, h=_HEADS)
        try:
            row = self._conn.execute(query, (self.stream, self.table, self.stream)).fetchone()
        except psycopg.errors.UndefinedTable:
            if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise
            # A read-only handle on a database from before the heads table: rows only.
            row = self._conn.execute(
                sql.SQL("SELECT MAX(version), NULL, NULL FROM {t} WHERE stream = %s").format(
                    t=self._t
                ),
                (self.stream,),
            ).fetchone()
        last = int(row[0]) if row and row[0] is not None else 0
        if row is None or row[1] is None:
            return last  # no head yet (a new stream, or one written before heads existed)
        head, crc = int(row[1]), row[2]
        if crc != _head_crc(self.stream, head):
            msg = f"the head record of stream {self.stream!r} fails its checksum"
            raise CorruptLog(msg, offset=0)
        if head > last:
            msg = (
                f"stream {self.stream!r} of table {self.table!r} has rows up to version {last} "
                f"but its head records version {head}: rows {last + 1} to {head} are missing "
                "(deleted or lost)"
            )
            raise CorruptLog(msg, offset=last + 1)
        return last

    def _checked_version(self) -> int:
        self._check_open()
        try:
            return self._current_version()
        except psycopg.errors.UndefinedTable:
            return 0
        except psycopg.Error as exc:
            raise self._translate(exc) from exc

    @property
    def version(self) -> int:
        """Number of events in this stream (queried from the server).

        Raises:
            CorruptLog: the stream's tail rows are missing (see the module docs).
        """
        with self._lock:
            return self._checked_version()

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append a batch in one transaction and return the new version.

        Raises:
            ConcurrencyConflict: ``expected_version`` (or, with a lease, the version this
                handle last saw) differs from the stored version.
            InvalidArgument: the ``seq`` numbers do not continue the stream, or an event cannot
                be encoded.
            LeaseLost: the lease is no longer held by this session.
            StorageFull: the server's disk is full.
            LogError: other database failures (nothing appended, unless the connection broke
                during commit: then the outcome is unknown; read the version).
        """
        with self._lock:
            self._check_open()
            if self.readonly:
                raise LogError(f"the log of stream {self.stream!r} was opened read-only")
            rows = []
            for event in events:
                data = encode_payload([event])
                crc = row_checksum(self.stream, event.seq, SCHEMA_VERSION, data)
                rows.append((self.stream, event.seq, SCHEMA_VERSION, crc, data))
            insert = sql.SQL(
                "INSERT INTO {t} (stream, version, schema, crc, data, chain) "
                "VALUES (%s, %s, %s, %s, %s, %s)"
            ).format(t=self._t)
            conn = self._conn
            version = -1
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("LOCK TABLE {t} IN EXCLUSIVE MODE").format(t=self._t))
                    version = self._current_version()
                    if self.lease:
                        if not self._lease_held():
                            msg = f"this session no longer holds the lease of {self.stream!r}"
                            raise LeaseLost(msg)
                        if version != self._fence:
                            msg = (
                                f"stream {self.stream!r} is at version {version} but this leased "
                                f"writer last saw {self._fence}: another writer appended; fenced"
                            )
                            raise ConcurrencyConflict(msg, expected=self._fence, actual=version)
                    check_batch(events, version, expected_version)
                    if rows:
                        chains = chain_of_parts(self._chain_at(version), [r[4] for r in rows])
                        with conn.cursor() as cur:
                            cur.executemany(
                                insert, [(*r, c) for r, c in zip(rows, chains, strict=True)]
                            )
                        self._write_head(version + len(rows))
            except psycopg.errors.UniqueViolation as exc:
                msg = f"another writer appended to stream {self.stream!r} first ({exc})"
                raise ConcurrencyConflict(msg, expected=version, actual=self.version) from exc
            except psycopg.Error as exc:
                raise self._translate(exc) from exc
            new = version + len(events)
            if self.lease:
                self._fence = new
            return new

    def _write_head(self, version: int) -> None:
        """Record the stream's new version (inside the appending transaction)."""
        self._conn.execute(
            sql.SQL(
                "INSERT INTO {h} (relid, stream, version, crc) "
                "VALUES (to_regclass(%s)::oid, %s, %s, %s) ON CONFLICT (relid, stream) "
                "DO UPDATE SET version = EXCLUDED.version, crc = EXCLUDED.crc"
            ).format(h=_HEADS),
            (self.table, self.stream, version, _head_crc(self.stream, version)),
        )

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Return the events with ``start <= seq < stop`` in order, each row's checksum verified.

        Sees the stream as it is when called; reads pages of 4096 rows by key.

        Raises:
            CorruptLog: a row fails its checksum, is missing or does not decode (``offset`` is
                the version), raised while iterating.
        """
        end = self.version + 1
        end = end if stop is None else min(stop, end)
        return self._read(max(start, 1), end)

    def _fetch(self, query: sql.Composed, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            self._check_open()
            try:
                return self._conn.execute(query, params).fetchall()
            except psycopg.Error as exc:
                raise self._translate(exc) from exc

    def _read(self, start: int, end: int) -> Iterator[Event]:
        query = sql.SQL(
            "SELECT version, schema, crc, data FROM {t} WHERE stream = %s AND version >= %s "
            "AND version < %s ORDER BY version LIMIT %s"
        ).format(t=self._t)
        expect = start
        stream = self.stream
        while expect < end:
            rows = self._fetch(query, (stream, expect, end, _PAGE))
            if not rows:
                msg = f"stream {stream!r} has no row for version {expect}"
                raise CorruptLog(msg, offset=expect)
            schema = rows[0][1]
            parts: list[bytes] = []
            for version, row_schema, crc, data in rows:
                if version != expect:
                    msg = f"stream {stream!r} has no row for version {expect}"
                    raise CorruptLog(msg, offset=expect)
                if row_schema != schema:
                    break
                if row_checksum(stream, version, row_schema, data) != crc:
                    msg = f"row {stream!r} version {version} fails its checksum"
                    raise CorruptLog(msg, offset=version)
                parts.append(data)
                expect += 1
            first = expect - len(parts)
            try:
                events = decode_payload(parts, len(parts), schema)
            except DecodeError as exc:
                msg = f"rows of {stream!r} from version {first} do not decode: {exc}"
                raise CorruptLog(msg, offset=first) from exc
            if events[0].seq != first or events[-1].seq != expect - 1:
                msg = f"event seq numbers do not match their rows from version {first}"
                raise CorruptLog(msg, offset=first)
            yield from events

    def read_global(self, after: int = 0) -> Iterator[tuple[int, str, Event]]:
        """Yield ``(position, stream, event)`` of every stream with ``position > after``.

        Positions increase in commit order, so a projection that remembers the last position
        it processed and asks again later misses nothing.

        Raises:
            CorruptLog: a row fails its checksum or does not decode.
        """
        query = sql.SQL(
            "SELECT position, stream, version, schema, crc, data FROM {t} "
            "WHERE position > %s ORDER BY position LIMIT %s"
        ).format(t=self._t)
        while True:
            rows = self._fetch(query, (after, _PAGE))
            if not rows:
                return
            for position, stream, version, schema, crc, data in rows:
                if row_checksum(stream, version, schema, data) != crc:
                    msg = f"row at position {position} ({stream!r} v{version}) fails its checksum"
                    raise CorruptLog(msg, offset=position)
                try:
                    (event,) = decode_payload(data, 1, schema)
                except DecodeError as exc:
                    msg = f"row at position {position} does not decode: {exc}"
                    raise CorruptLog(msg, offset=position) from exc
                yield position, stream, event
                after = position

    # --- the history chain (ccrouter.log.chain): one column, filled at append -------------

    def chain_at(self, version: int) -> bytes:
        """The history chain of the stream's first ``version`` events.

        One row read: each row holds the chain after it (rows written before the column
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
            except psycopg.errors.UndefinedColumn:
                pass  # a read-only handle on a table from before the chain column
            except psycopg.Error as exc:
                raise self._translate(exc) from exc
            return self._hashed_chain(0, GENESIS, version)

    def _chain_at(self, version: int) -> bytes:
        if version == 0:
            return GENESIS
        row = self._conn.execute(
            sql.SQL("SELECT version, chain FROM {t} WHERE stream = %s AND version = %s").format(
                t=self._t
            ),
            (self.stream, version),
        ).fetchone()
        if row is None or row[1] is None:  # rows from before the chain: from the last with one
            row = self._conn.execute(
                sql.SQL(
                    "SELECT version, chain FROM {t} WHERE stream = %s AND version <= %s "
                    "AND chain IS NOT NULL ORDER BY version DESC LIMIT 1"
                ).format(t=self._t),
                (self.stream, version),
            ).fetchone()
        start, chain = (0, GENESIS) if row is None else (row[0], bytes(row[1]))
        if len(chain) != CHAIN_SIZE:
            msg = f"row {self.stream!r} version {start} holds a damaged chain"
            raise CorruptLog(msg, offset=start)
        return chain if start == version else self._hashed_chain(start, chain, version)

    def _hashed_chain(self, start: int, chain: bytes, version: int) -> bytes:
        """Extend ``chain`` (at ``start``) over the rows up to ``version``, read and checked."""
        query = sql.SQL(
            "SELECT version, schema, crc, data FROM {t} WHERE stream = %s AND version >= %s "
            "AND version < %s ORDER BY version LIMIT %s"
        ).format(t=self._t)
        expect = start + 1
        while expect <= version:
            rows = self._fetch(query, (self.stream, expect, version + 1, _PAGE))
            for row_version, schema, crc, data in rows or [(None, 0, 0, b"")]:
                if row_version != expect:
                    msg = f"stream {self.stream!r} has no row for version {expect}"
                    raise CorruptLog(msg, offset=expect)
                if row_checksum(self.stream, row_version, schema, data) != crc:
                    msg = f"row {self.stream!r} version {row_version} fails its checksum"
                    raise CorruptLog(msg, offset=row_version)
                chain = extend(chain, (data,))
                expect += 1
        return chain

    def release_lease(self) -> None:
        """Give the partition's lease up (another router may take it); the handle stays open."""
        with self._lock:
            if self.lease and not self._closed:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))

    def close(self) -> None:
        """Close the connection (which also releases the lease). Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> PostgresEventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresEventLog(stream={self.stream!r}, table={self.table!r}, lease={self.lease})"
