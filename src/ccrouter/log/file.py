"""An append-only file event store: framed, checksummed, crash-safe.

File layout (all integers little-endian)::

    file header (16 bytes)   magic b"CCRLOG\\r\\n" | format u32 | crc32 of the first 12 bytes
    batch*                   batch header (32 bytes) | payload (payload_len bytes)

    batch header             magic b"CCRB" | payload_len u32 | first_seq u64 | count u32
                             | schema u16 | flags u16 | payload_crc u32 | header_crc u32

``payload`` is the concatenation of the batch's events in MessagePack
(:func:`ccrouter.log.schema.encode_payload`); ``payload_crc`` covers it all and
``header_crc`` covers the 28 header bytes before it (which include ``payload_crc``). One
append is one batch, written with one ``write`` and acknowledged only after the durability
step, so a short or torn write can never leave part of a batch valid: either the whole batch
checks out or none of it is read.

Checksum: CRC-32 (``zlib.crc32``). It is in the standard library, runs at memory speed, and
detects *every* error burst of up to 32 bits (so every flipped byte, and any run of flips
within four bytes) plus all but 2^-32 of other damage. A cryptographic hash
(``hashlib.blake2b``) would also catch deliberate forgery, but the threat here is torn writes
and bit rot, not an adversary who can write the file. CRC-32C (Castagnoli) has slightly better
error-detection distances but needs a third-party package; the gain does not pay for the
dependency.

Recovery on open: the file is scanned and every checksum verified. The first invalid spot ends
the valid log. If a valid batch header exists anywhere after it, the damage is *before the
tail* and opening raises :class:`~ccrouter.errors.CorruptLog` naming the offset. Otherwise it
is a torn tail (a write cut short by a crash): a writer truncates it and fsyncs, a reader just
stops there. :func:`repair` cuts a damaged log back to its valid prefix on purpose, keeping
the cut bytes in a side file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import struct
import sys
import threading
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeAlias

import attrs

from ccrouter.errors import (
    CorruptLog,
    DecodeError,
    InvalidArgument,
    LogError,
    StorageFull,
    WriterLocked,
    WriterPoisoned,
)
from ccrouter.events import Event
from ccrouter.log.base import check_batch
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, encode_payload

__all__ = [
    "BATCH_HEADER_SIZE",
    "FILE_HEADER_SIZE",
    "Durability",
    "FileEventLog",
    "Recovery",
    "repair",
]

log = logging.getLogger(__name__)

Durability: TypeAlias = Literal["fsync", "os", "none"]
_DURABILITIES = ("fsync", "os", "none")

FILE_MAGIC = b"CCRLOG\r\n"
FILE_FORMAT = 1
_FILE_HEAD = struct.Struct("<8sI")
FILE_HEADER_SIZE = 16
BATCH_MAGIC = b"CCRB"
_BATCH_HEAD = struct.Struct("<4sIQIHHI")  # everything the header checksum covers
_U32 = struct.Struct("<I")
_BATCH_FULL = struct.Struct("<4sIQIHHII")
BATCH_HEADER_SIZE = 32
MAX_PAYLOAD = 1 << 30
"""Largest batch payload accepted (1 GiB); a header claiming more is damage."""

_READ_CHUNK = 1 << 20
# Events decoded per call: few enough that they are still in the CPU cache when the caller
# applies them and when they are freed (replaying the routing benchmark's log took about a
# fifth less time than with 8192), enough that the per-call cost vanishes.
_DECODE_EVENTS = 1024
_NONE_BUFFER = 1 << 20
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


# Indirections so fault tests can inject failures (ENOSPC, EIO, short writes, power loss).
def _write(fd: int, data: bytes | memoryview) -> int:
    return os.write(fd, data)


def _fsync(fd: int) -> None:
    os.fsync(fd)


def _file_header() -> bytes:
    head = _FILE_HEAD.pack(FILE_MAGIC, FILE_FORMAT)
    return head + _U32.pack(zlib.crc32(head))


def _batch_header(payload: bytes, first_seq: int, count: int, schema: int) -> bytes:
    head = _BATCH_HEAD.pack(
        BATCH_MAGIC, len(payload), first_seq, count, schema, 0, zlib.crc32(payload)
    )
    return head + _U32.pack(zlib.crc32(head))


def _parse_header(buf: bytes | memoryview, at: int) -> tuple[int, int, int, int, int] | None:
    """Return ``(payload_len, first_seq, count, schema, payload_crc)`` or ``None`` if invalid."""
    magic, length, first, count, schema, flags, pcrc = _BATCH_HEAD.unpack_from(buf, at)
    (hcrc,) = _U32.unpack_from(buf, at + 28)
    if magic != BATCH_MAGIC or zlib.crc32(memoryview(buf)[at : at + 28]) != hcrc:
        return None
    if flags != 0 or length > MAX_PAYLOAD or count == 0 or first == 0:
        return None
    return length, first, count, schema, pcrc


@attrs.frozen
class Recovery:
    """What opening (or :func:`repair`) dropped from the end of a log."""

    offset: int
    """Byte offset where the valid log ends (the file was cut here)."""
    dropped_bytes: int
    """How many bytes after ``offset`` were removed."""
    reason: str
    """Why the bytes at ``offset`` were not valid."""


@attrs.frozen
class _Scan:
    end: int  # offset just after the last valid batch
    next_seq: int
    offsets: list[int]
    firsts: list[int]
    problem: str | None  # why the bytes at ``end`` are not a valid batch (None: clean EOF)
    fatal: bool = False  # a checksummed batch that cannot belong here: never a torn tail


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = os.pread(fd, size - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class _Stop:
    """Where a walk over batches ended, and why (``problem is None``: at the requested end)."""

    __slots__ = ("end", "fatal", "next_seq", "problem")

    def __init__(self, end: int, next_seq: int) -> None:
        self.end = end
        self.next_seq = next_seq
        self.problem: str | None = None
        self.fatal = False


_Batch: TypeAlias = tuple[int, int, int, int, memoryview]


def _batches(
    fd_of: Callable[[], int], pos: int, seq: int, file_end: int, stop: _Stop
) -> Iterator[_Batch]:
    """Yield ``(offset, first_seq, count, schema, payload)`` of each valid batch from ``pos``.

    Verifies framing, both checksums and seq continuity, reading ``_READ_CHUNK`` bytes at a
    time. Stops at ``file_end`` or at the first invalid spot, recorded in ``stop``.
    ``fd_of()`` gives the file descriptor before each read (it raises once the log closed).
    """
    unpack = _BATCH_FULL.unpack_from
    crc32 = zlib.crc32
    problem: str | None = None
    while pos < file_end and problem is None:
        fd = fd_of()
        buf = _pread_all(fd, min(_READ_CHUNK, file_end - pos), pos)
        view = memoryview(buf)
        size = len(buf)
        rel = 0
        while True:
            if rel + BATCH_HEADER_SIZE > size:
                if rel == 0:  # cannot even read one header at ``pos``
                    problem = "incomplete batch header"
                break
            magic, length, first, count, schema, flags, pcrc, hcrc = unpack(buf, rel)
            if (
                magic != BATCH_MAGIC
                or crc32(view[rel : rel + 28]) != hcrc
                or flags
                or length > MAX_PAYLOAD
                or not count
            ):
                problem = "batch header fails its checksum or framing"
                break
            if first != seq:
                problem = f"batch starts at seq {first}; expected {seq}"
                stop.fatal = True
                break
            end = rel + BATCH_HEADER_SIZE + length
            if end > size:
                if pos + end > file_end:
                    problem = "incomplete batch payload"
                    break
                if rel:
                    break  # read on from this batch
                buf = _pread_all(fd, end, pos)  # one batch bigger than a chunk
                view = memoryview(buf)
                size = len(buf)
                if end > size:
                    problem = "incomplete batch payload"
                    break
            body = view[rel + BATCH_HEADER_SIZE : end]
            if crc32(body) != pcrc:
                problem = "batch payload fails its checksum"
                break
            yield pos + rel, first, count, schema, body
            seq += count
            rel = end
        pos += rel
    stop.end = pos
    stop.next_seq = seq
    stop.problem = problem


def _scan(fd: int, start: int, next_seq: int, file_end: int) -> _Scan:
    """Verify batches from ``start`` to ``file_end``; stop at the first invalid spot."""
    stop = _Stop(start, next_seq)
    offsets: list[int] = []
    firsts: list[int] = []
    walk = _batches(lambda: fd, start, next_seq, file_end, stop)
    for offset, first, _count, _schema, _body in walk:
        offsets.append(offset)
        firsts.append(first)
    return _Scan(stop.end, stop.next_seq, offsets, firsts, stop.problem, stop.fatal)


def _valid_header_after(fd: int, start: int, file_size: int) -> int | None:
    """Offset of the first valid batch header in ``[start, file_size)``, if any.

    Only bytes below ``file_size`` count: a writer may be appending beyond it right now.
    """
    pos = start
    overlap = BATCH_HEADER_SIZE - 1
    while pos < file_size:
        buf = _pread_all(fd, min(_READ_CHUNK + overlap, file_size - pos), pos)
        if len(buf) < BATCH_HEADER_SIZE:
            return None
        i = buf.find(BATCH_MAGIC)
        while 0 <= i <= len(buf) - BATCH_HEADER_SIZE:
            if _parse_header(buf, i) is not None:
                return pos + i
            i = buf.find(BATCH_MAGIC, i + 1)
        pos += _READ_CHUNK
    return None


def _raise_if_full(path: Path, exc: OSError, what: str) -> None:
    """Raise ``StorageFull`` for a full disk, quota or file-size limit (else return)."""
    if exc.errno in _FULL_ERRNOS:
        msg = f"{path}: storage full while {what} ({exc.strerror})"
        raise StorageFull(exc.errno, msg) from exc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileEventLog:
    """An :class:`~ccrouter.log.base.EventLog` in one append-only file.

    Args:
        path: The log file; created atomically (with its directory entry fsynced) if missing.
        durability: When an append is acknowledged:

            - ``"fsync"`` (default): after ``fsync``; survives process crash, OS crash and
              power loss (on storage that honours flushes).
            - ``"os"``: after ``write`` hands the bytes to the OS; survives a process crash
              (``kill -9``), not an OS crash or power loss.
            - ``"none"``: buffered in this process and written in 1 MiB chunks, on
              :meth:`flush` and on :meth:`close`; for simulations. A process crash loses the
              unwritten buffer (always a whole number of batches at the end).
        readonly: Open for reading only: takes no lock, never modifies the file, and stops
            quietly at a torn or in-progress tail (a writer may be appending right now).

    Only one writer may hold a file at a time (an exclusive ``flock``); any number of
    read-only handles may follow it. A handle is safe to share between threads.

    Raises:
        WriterLocked: another writer (in this or another process) holds the file.
        CorruptLog: the file is not a ccrouter log, or is damaged before its tail.

    >>> import tempfile, os
    >>> from ccrouter.events import AgentReady
    >>> path = os.path.join(tempfile.mkdtemp(), "events.log")
    >>> with FileEventLog(path) as log:
    ...     log.append([AgentReady(seq=1, at=0.0, agent_id="a")])
    1
    >>> with FileEventLog(path, readonly=True) as log:
    ...     [e.agent_id for e in log.read()]
    ['a']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: Durability = "fsync",
        readonly: bool = False,
    ) -> None:
        if durability not in _DURABILITIES:
            msg = f"durability must be one of {_DURABILITIES}, got {durability!r}"
            raise InvalidArgument(msg)
        self.path = Path(path)
        self.durability: Durability = durability
        self.readonly = readonly
        self.recovery: Recovery | None = None
        """Set when opening dropped a torn tail (``None``: the file ended cleanly)."""
        self._lock = threading.RLock()
        self._poisoned: BaseException | None = None
        self._buffer = bytearray()
        self._offsets = array("q")
        self._firsts = array("q")
        self._size = FILE_HEADER_SIZE  # logical end: after the last valid batch
        self._next_seq = 1
        self._fd = -1
        if readonly:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                self._reader_file_end()
            except BaseException:
                self.close()
                raise
        else:
            self._open_writer()

    # --- opening ---------------------------------------------------------------------------

    def _create(self) -> None:
        """Create the file atomically: header written and fsynced under a temporary name,
        then linked into place (never clobbering a file that appeared meanwhile) and the
        directory fsynced. A crash leaves either no log or a log with a durable header."""
        # A private temporary name per creator (a crash here may leave it behind; it is
        # safe to delete). Sharing one name would let a racing creator truncate the log.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            try:
                if os.write(fd, _file_header()) != FILE_HEADER_SIZE:
                    raise OSError(errno.ENOSPC, "short write of the file header")
                os.fsync(fd)
            finally:
                os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _fsync_dir(self.path)

    def _open_writer(self) -> None:
        try:
            if not self.path.exists():
                self._create()
        except OSError as exc:
            _raise_if_full(self.path, exc, "creating the log")
            raise
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        try:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                msg = f"{self.path} is already open for writing by another FileEventLog"
                raise WriterLocked(msg) from None
            if self._check_file_header():
                # An empty file (or a cut-short header): start the log in it.
                try:
                    os.ftruncate(self._fd, 0)
                    self._write_all(_file_header())
                    _fsync(self._fd)
                except OSError as exc:
                    _raise_if_full(self.path, exc, "writing the file header")
                    raise
            file_size = os.fstat(self._fd).st_size
            scan = self._scan_or_raise(FILE_HEADER_SIZE, 1, file_size)
            if scan.problem is not None:
                self.recovery = Recovery(scan.end, file_size - scan.end, scan.problem)
                log.warning(
                    "%s: dropping a torn tail of %d bytes at offset %d (%s)",
                    self.path,
                    file_size - scan.end,
                    scan.end,
                    scan.problem,
                )
                os.ftruncate(self._fd, scan.end)
                _fsync(self._fd)
            self._adopt(scan)
        except BaseException:
            self.close()
            raise

    def _check_file_header(self) -> bool:
        """Validate the file header; return True if the file is new (or its creation was torn)."""
        head = _pread_all(self._fd, FILE_HEADER_SIZE, 0)
        expected = _file_header()
        if len(head) < FILE_HEADER_SIZE:
            if expected.startswith(head):
                return True
            msg = f"{self.path} is not a ccrouter event log (bad file header at offset 0)"
            raise CorruptLog(msg, offset=0)
        if head != expected:
            magic, fmt = _FILE_HEAD.unpack_from(head)
            if magic == FILE_MAGIC and zlib.crc32(head[:12]) == _U32.unpack_from(head, 12)[0]:
                msg = f"{self.path} has log format {fmt}; this ccrouter reads format {FILE_FORMAT}"
            else:
                msg = f"{self.path} is not a ccrouter event log (bad file header at offset 0)"
            raise CorruptLog(msg, offset=0)
        return False

    def _scan_or_raise(self, start: int, next_seq: int, file_size: int) -> _Scan:
        scan = _scan(self._fd_of(), start, next_seq, file_size)
        if scan.problem is not None:
            self._check_problem(scan.end, scan.problem, scan.fatal, file_size)
        return scan

    def _check_problem(self, offset: int, problem: str, fatal: bool, file_size: int) -> None:
        """Raise :class:`CorruptLog` unless the invalid bytes at ``offset`` are a torn tail."""
        if fatal:
            msg = f"{self.path} is damaged at offset {offset} ({problem})"
            raise CorruptLog(msg, offset=offset)
        later = _valid_header_after(self._fd_of(), offset + 1, file_size)
        if later is not None:
            msg = (
                f"{self.path} is damaged at offset {offset} ({problem}) and valid "
                f"data follows at offset {later}; refusing to drop it. Inspect the file, "
                "or cut the log back to its valid prefix with ccrouter.log.file.repair()"
            )
            raise CorruptLog(msg, offset=offset)

    def _adopt(self, scan: _Scan) -> None:
        self._offsets.extend(scan.offsets)
        self._firsts.extend(scan.firsts)
        self._size = scan.end
        self._next_seq = scan.next_seq

    def _fd_of(self) -> int:
        fd = self._fd
        if fd < 0:
            raise LogError(f"{self.path}: the log was closed")
        return fd

    def _reader_file_end(self) -> int:
        """Read-only handles: check the file header (once) and return the file's size."""
        fd = self._fd_of()
        if not self._offsets and self._size == FILE_HEADER_SIZE:
            head = _pread_all(fd, FILE_HEADER_SIZE, 0)
            if len(head) < FILE_HEADER_SIZE:
                if _file_header().startswith(head):
                    return FILE_HEADER_SIZE  # a writer is creating the file right now
                msg = f"{self.path} is not a ccrouter event log (bad file header at offset 0)"
                raise CorruptLog(msg, offset=0)
            self._check_file_header()
        file_size = os.fstat(fd).st_size
        if file_size < self._size:
            msg = f"{self.path} shrank below its valid end {self._size} (now {file_size} bytes)"
            raise CorruptLog(msg, offset=file_size)
        return file_size

    def _refresh(self) -> None:
        """Read-only handles: verify and index batches a writer appended since the last look."""
        file_end = self._reader_file_end()
        if file_end > self._size:
            self._adopt(self._scan_or_raise(self._size, self._next_seq, file_end))

    def _learn(self, offsets: list[int], firsts: list[int], end: int, next_seq: int) -> None:
        """Index batches a read discovered (and verified) beyond the known end."""
        with self._lock:
            if not offsets or end <= self._size:
                return
            i = bisect_right(offsets, self._size) - 1
            if i < 0 or offsets[i] != self._size:
                return  # not contiguous with what is known (cannot happen; stay safe)
            self._offsets.extend(offsets[i:])
            self._firsts.extend(firsts[i:])
            self._size = end
            self._next_seq = next_seq

    # --- the EventLog interface ------------------------------------------------------------

    @property
    def version(self) -> int:
        """Number of events stored (a read-only handle first looks for new batches)."""
        with self._lock:
            if self.readonly:
                self._refresh()
            return self._next_seq - 1

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        """Append ``events`` as one batch and return the new version.

        One ``write`` of header and payload, then ``fsync`` for ``durability="fsync"``.
        O(len(events)).

        Raises:
            ConcurrencyConflict: ``expected_version`` differs from :attr:`version`.
            InvalidArgument: the ``seq`` numbers do not continue the log, or an event cannot be
                encoded. Nothing is written.
            StorageFull: the disk, quota or file-size limit is full. Not acknowledged, and
                the handle is poisoned.
            WriterPoisoned: an earlier write or fsync failed; reopen the log.
            LogError: the log is closed or read-only.
        """
        with self._lock:
            self._check_writable()
            version = self._next_seq - 1
            check_batch(events, version, expected_version)
            if not events:
                return version
            payload = encode_payload(events)
            data = _batch_header(payload, self._next_seq, len(events), SCHEMA_VERSION) + payload
            if self.durability == "none":
                self._buffer += data
                if len(self._buffer) >= _NONE_BUFFER:
                    self._flush_buffer()
            else:
                self._write_durably(data)
            self._offsets.append(self._size)
            self._firsts.append(self._next_seq)
            self._size += len(data)
            self._next_seq += len(events)
            return self._next_seq - 1

    def read(self, start: int = 1, stop: int | None = None) -> Iterator[Event]:
        """Return the events with ``start <= seq < stop`` in order, verifying every checksum.

        Sees the log as it is when called (later appends are not included). Reads the file
        once, in 1 MiB chunks, and decodes up to 1024 events per call: O(events read), plus
        O(log n) to find the first batch. A read-only handle verifies and indexes new batches
        as it reads them (replay touches the file once).

        Raises:
            CorruptLog: a batch fails its checksum or does not decode (offset named), raised
                while iterating.
        """
        with self._lock:
            self._fd_of()
            if self.readonly:
                file_end = self._reader_file_end()
            else:
                if self._buffer:
                    self._flush_buffer()
                file_end = self._size
            known_end = self._size
            known_next = self._next_seq
            nbatches = len(self._offsets)
        start = max(start, 1)
        stop_seq = sys.maxsize if stop is None else stop
        if start >= stop_seq:
            return iter(())
        if start < known_next:
            i = bisect_right(self._firsts, start, 0, nbatches) - 1
            pos, seq = self._offsets[i], self._firsts[i]
        elif file_end > known_end:
            pos, seq = known_end, known_next
        else:
            return iter(())
        # Events leave as whole decoded chunks: no generator step per event.
        return chain.from_iterable(self._read_from(pos, seq, start, stop_seq, known_end, file_end))

    def _read_from(
        self, pos: int, seq: int, start: int, stop_seq: int, known_end: int, file_end: int
    ) -> Iterator[list[Event]]:
        stop = _Stop(pos, seq)
        parts: list[memoryview] = []
        count = 0
        chunk_first = seq
        chunk_at = pos
        schema = SCHEMA_VERSION
        new_offsets: list[int] = []
        new_firsts: list[int] = []
        finished = True
        for offset, first, n, bschema, body in _batches(self._fd_of, pos, seq, file_end, stop):
            if first >= stop_seq:
                finished = False
                break
            if parts and (bschema != schema or count >= _DECODE_EVENTS):
                events = self._decode(parts, count, schema, chunk_at, chunk_first, start, stop_seq)
                yield events
                # The caller is done with this chunk (it holds on to the events it keeps):
                # freeing the rest now lets the next chunk reuse their memory while it is
                # still in the CPU cache.
                events.clear()
                if new_offsets:
                    self._learn(new_offsets, new_firsts, offset, first)
                    new_offsets, new_firsts = [], []
                parts = []
                count = 0
                chunk_first = first
                chunk_at = offset
            if offset >= known_end:
                new_offsets.append(offset)
                new_firsts.append(first)
            schema = bschema
            parts.append(body)
            count += n
        if parts:
            yield self._decode(parts, count, schema, chunk_at, chunk_first, start, stop_seq)
        if not finished:
            return
        if new_offsets:
            self._learn(new_offsets, new_firsts, stop.end, stop.next_seq)
        if stop.problem is not None and stop.next_seq < stop_seq:
            if stop.end < known_end:
                raise self._damaged(stop.end, stop.problem)
            # Discovering a read-only handle's tail: torn (stop quietly) or damage (raise).
            self._check_problem(stop.end, stop.problem, stop.fatal, file_end)

    def _decode(
        self,
        parts: list[memoryview],
        count: int,
        schema: int,
        at: int,
        first: int,
        start: int,
        stop_seq: int,
    ) -> list[Event]:
        try:
            events = decode_payload(parts, count, schema)
        except DecodeError as exc:
            msg = f"{self.path}: checksummed batches at offset {at} do not decode: {exc}"
            raise CorruptLog(msg, offset=at) from exc
        last = first + count - 1
        if events[0].seq != first or events[-1].seq != last:
            raise self._damaged(at, "event seq numbers do not match their batch headers")
        if start > first or stop_seq <= last:
            return events[max(0, start - first) : max(0, stop_seq - first)]
        return events

    def _damaged(self, offset: int, reason: str) -> CorruptLog:
        return CorruptLog(f"{self.path}: damaged at offset {offset} ({reason})", offset=offset)

    # --- writing ---------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._fd < 0:
            raise LogError(f"{self.path}: the log is closed")
        if self.readonly:
            raise LogError(f"{self.path}: the log was opened read-only")
        if self._poisoned is not None:
            msg = (
                f"{self.path}: an earlier write or fsync failed ({self._poisoned}); this handle "
                "refuses to append. Close and reopen the log"
            )
            raise WriterPoisoned(msg) from self._poisoned

    def _write_all(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            written = _write(self._fd, view)
            if written <= 0:
                raise OSError(errno.EIO, "write() made no progress")
            view = view[written:]

    def _write_durably(self, data: bytes | bytearray) -> None:
        try:
            self._write_all(data)
            if self.durability == "fsync":
                _fsync(self._fd)
        except OSError as exc:
            self._poisoned = exc
            if exc.errno in _FULL_ERRNOS:
                msg = f"{self.path}: storage full while appending ({os.strerror(exc.errno or 0)})"
                raise StorageFull(exc.errno, msg) from exc
            msg = f"{self.path}: write or fsync failed ({exc}); the handle is now poisoned"
            raise WriterPoisoned(msg) from exc

    def _flush_buffer(self) -> None:
        data = bytes(self._buffer)
        self._buffer.clear()
        self._write_durably(data)

    def flush(self) -> None:
        """Hand buffered batches (``durability="none"``) to the OS. No-op otherwise."""
        with self._lock:
            self._check_writable()
            if self._buffer:
                self._flush_buffer()

    def sync(self) -> None:
        """Flush, then ``fsync``: everything appended so far survives power loss."""
        with self._lock:
            self.flush()
            try:
                _fsync(self._fd)
            except OSError as exc:
                self._poisoned = exc
                msg = f"{self.path}: fsync failed ({exc}); the handle is now poisoned"
                raise WriterPoisoned(msg) from exc

    def close(self) -> None:
        """Flush a ``"none"`` buffer, release the lock and the file. Idempotent.

        The file is closed even when the flush fails; the buffered batches are then lost
        (they were never handed to the OS), exactly as with :meth:`flush`.

        Raises:
            StorageFull: flushing the buffer hit a full disk, quota or file-size limit.
            WriterPoisoned: flushing the buffer failed for another reason.
        """
        with self._lock:
            if self._fd < 0:
                return
            try:
                if self._buffer and self._poisoned is None and not self.readonly:
                    self._flush_buffer()
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> FileEventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "readonly" if self.readonly else self.durability
        return f"FileEventLog({str(self.path)!r}, {mode}, version={self._next_seq - 1})"


def repair(path: str | os.PathLike[str]) -> Recovery | None:
    """Cut a damaged log back to its longest valid prefix, on purpose.

    Everything from the first damaged batch on is moved to ``<path>.damaged-<offset>`` (so
    nothing is destroyed), then the log is truncated and fsynced. Use it after
    :class:`~ccrouter.errors.CorruptLog`, knowing that batches after the damage are dropped.

    Returns:
        What was cut, or ``None`` if the log was already valid.

    Raises:
        WriterLocked: a writer holds the file.
        CorruptLog: the file header itself is damaged (not a ccrouter log).
    """
    p = Path(path)
    fd = os.open(p, os.O_RDWR | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriterLocked(f"{p} is open for writing; close it before repairing") from None
        head = _pread_all(fd, FILE_HEADER_SIZE, 0)
        if head != _file_header():
            raise CorruptLog(f"{p} has no valid ccrouter file header", offset=0)
        size = os.fstat(fd).st_size
        scan = _scan(fd, FILE_HEADER_SIZE, 1, size)
        if scan.problem is None:
            return None
        side = p.with_name(f"{p.name}.damaged-{scan.end}")
        with open(side, "wb") as out:
            pos = scan.end
            while pos < size:
                chunk = _pread_all(fd, _READ_CHUNK, pos)
                out.write(chunk)
                pos += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.ftruncate(fd, scan.end)
        os.fsync(fd)
        _fsync_dir(p)
        log.warning("%s: cut at offset %d (%s)", p, scan.end, scan.problem)
        return Recovery(scan.end, size - scan.end, scan.problem)
    finally:
        os.close(fd)
