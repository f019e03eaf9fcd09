"""An append-only file event store: framed, checksummed, crash-safe.

The on-disk framing (file header, batch headers, the verifying walk and the recovery scan) is
in :mod:`ccrouter.log.framing`; this module is the store that writes and reads it. One append
is one batch, written with one ``write`` and acknowledged only after the durability step, so
a short or torn write can never leave part of a batch valid: either the whole batch checks out
or none of it is read. Each format-2 batch header carries the history chain after the batch
(:mod:`ccrouter.log.chain`), computed at append from the bytes being written.

Checksum: CRC-32 (``zlib.crc32``). It is in the standard library, runs at memory speed, and
detects *every* error burst of up to 32 bits (so every flipped byte, and any run of flips
within four bytes) plus all but 2^-32 of other damage. A cryptographic hash
(``hashlib.blake2b``) would also catch deliberate forgery, but the threat here is torn writes
and bit rot, not an adversary who can write the file. CRC-32C (Castagnoli) has slightly better
error-detection distances but needs a third-party package; the gain does not pay for the
dependency.

Recovery on open: the file is scanned and every checksum verified. The first invalid spot ends
the valid log. If a valid batch header that could be a later batch exists after it (beyond
the damaged batch's declared extent, continuing its seq numbers), the damage is *before the
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
import sys
import threading
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeAlias

from ccrouter.errors import (
    CorruptLog,
    DecodeError,
    InvalidArgument,
    LogError,
    StorageFull,
    WriterLocked,
    WriterPoisoned,
)
from ccrouter.events import Event, encode_msgpack
from ccrouter.log.base import check_batch
from ccrouter.log.chain import GENESIS, extend, split_payload
from ccrouter.log.framing import (
    BATCH_HEADER_SIZE,
    FILE_FORMAT,
    FILE_HEAD,
    FILE_HEADER_SIZE,
    FILE_MAGIC,
    FORMATS,
    READ_CHUNK,
    U32,
    V2,
    BatchFormat,
    Scan,
    Stop,
    batch_header,
    batches,
    chain_from_bytes,
    file_header,
    later_batch,
    pread_all,
    read_batch,
    scan,
)
from ccrouter.log.repair import Recovery, fsync_dir, repair
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, encode_payload

__all__ = [
    "BATCH_HEADER_SIZE",
    "FILE_FORMAT",
    "FILE_HEADER_SIZE",
    "Durability",
    "FileEventLog",
    "Recovery",
    "repair",
]

log = logging.getLogger(__name__)

Durability: TypeAlias = Literal["fsync", "os", "none"]
_DURABILITIES = ("fsync", "os", "none")

# Events decoded per call: few enough that they are still in the CPU cache when the caller
# applies them and when they are freed (replaying the routing benchmark's log took about a
# fifth less time than with 8192), enough that the per-call cost vanishes.
_DECODE_EVENTS = 1024
_NONE_BUFFER = 1 << 20
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_CHUNK = READ_CHUNK


# Indirections so fault tests can inject failures (ENOSPC, EIO, short writes, power loss).
def _write(fd: int, data: bytes | memoryview) -> int:
    return os.write(fd, data)


def _fsync(fd: int) -> None:
    os.fsync(fd)


# Kept under their old names: tests and tools build files by hand with them.
_file_header = file_header
_batch_header = batch_header
_pread_all = pread_all
_fsync_dir = fsync_dir


def _raise_if_full(path: Path, exc: OSError, what: str) -> None:
    """Raise ``StorageFull`` for a full disk, quota or file-size limit (else return)."""
    if exc.errno in _FULL_ERRNOS:
        msg = f"{path}: storage full while {what} ({exc.strerror})"
        raise StorageFull(exc.errno, msg) from exc


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
        self._bf: BatchFormat = V2  # the batch layout of this file (set from its header)
        # The history chain after the last known batch: always known in format 2 (each header
        # holds it); in format 1 only once computed (then kept up to date by appends).
        self._chain: bytes | None = GENESIS
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

    @property
    def format(self) -> int:
        """The file format (2: batch headers carry the history chain; 1: older files)."""
        return self._bf.fmt

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
                self._bf = V2
            file_size = os.fstat(self._fd).st_size
            found = self._scan_or_raise(FILE_HEADER_SIZE, 1, file_size)
            stop = found.stop
            if stop.problem is not None:
                self.recovery = Recovery(stop.end, file_size - stop.end, stop.problem)
                log.warning(
                    "%s: dropping a torn tail of %d bytes at offset %d (%s)",
                    self.path,
                    file_size - stop.end,
                    stop.end,
                    stop.problem,
                )
                os.ftruncate(self._fd, stop.end)
                _fsync(self._fd)
            self._adopt(found)
        except BaseException:
            self.close()
            raise

    def _check_file_header(self) -> bool:
        """Validate the file header and take the file's format from it; return True if the
        file is new (or its creation was torn)."""
        head = _pread_all(self._fd, FILE_HEADER_SIZE, 0)
        if len(head) < FILE_HEADER_SIZE:
            if _file_header().startswith(head):
                return True
            msg = f"{self.path} is not a ccrouter event log (bad file header at offset 0)"
            raise CorruptLog(msg, offset=0)
        magic, fmt = FILE_HEAD.unpack_from(head)
        if magic != FILE_MAGIC or zlib.crc32(head[:12]) != U32.unpack_from(head, 12)[0]:
            msg = f"{self.path} is not a ccrouter event log (bad file header at offset 0)"
            raise CorruptLog(msg, offset=0)
        if fmt not in FORMATS:
            readable = ", ".join(str(f) for f in sorted(FORMATS))
            msg = f"{self.path} has log format {fmt}; this ccrouter reads formats {readable}"
            raise CorruptLog(msg, offset=0)
        self._bf = FORMATS[fmt]
        if not self._bf.chained and not self._offsets:
            self._chain = None
        return False

    def _scan_or_raise(self, start: int, next_seq: int, file_size: int) -> Scan:
        found = scan(self._fd_of(), start, next_seq, file_size, self._chain, self._bf)
        if found.stop.problem is not None:
            self._check_problem(found.stop, file_size)
        return found

    def _check_problem(self, stop: Stop, file_size: int) -> None:
        """Raise :class:`CorruptLog` unless the invalid bytes ``stop`` ended at are a torn
        tail (see :func:`ccrouter.log.framing.later_batch` for what counts as later data)."""
        offset, problem = stop.end, stop.problem
        if stop.fatal:
            msg = f"{self.path} is damaged at offset {offset} ({problem})"
            raise CorruptLog(msg, offset=offset)
        later = later_batch(self._fd_of(), stop, file_size, self._bf)
        if later is not None:
            msg = (
                f"{self.path} is damaged at offset {offset} ({problem}) and valid "
                f"data follows at offset {later}; refusing to drop it. Inspect the file, "
                "or cut the log back to its valid prefix with ccrouter.log.file.repair()"
            )
            raise CorruptLog(msg, offset=offset)

    def _adopt(self, found: Scan) -> None:
        self._offsets.extend(found.offsets)
        self._firsts.extend(found.firsts)
        self._size = found.stop.end
        self._next_seq = found.stop.next_seq
        self._chain = found.stop.chain

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

    def _learn(
        self, offsets: list[int], firsts: list[int], end: int, next_seq: int, chain: bytes | None
    ) -> None:
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
            self._chain = chain

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
        O(len(events)), the history chain included (one BLAKE2b step per event).

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
            chain = self._chain
            if chain is None:  # a format-1 file whose chain nobody asked for yet
                payload = encode_payload(events)
            else:
                try:
                    parts = [encode_msgpack(e) for e in events]
                except (TypeError, ValueError, OverflowError) as exc:
                    encode_payload(events)  # raises the store's InvalidArgument
                    raise InvalidArgument(f"cannot encode the batch: {exc}") from exc
                payload = b"".join(parts)
                chain = extend(chain, parts)
            header = _batch_header(
                payload, self._next_seq, len(events), SCHEMA_VERSION, chain or GENESIS, self._bf
            )
            data = header + payload
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
            self._chain = chain
            return self._next_seq - 1

    def chain_at(self, version: int) -> bytes:
        """The history chain (:mod:`ccrouter.log.chain`) of the first ``version`` events.

        Format 2: one header read at a batch end, plus the one batch holding ``version``
        otherwise. Format 1 (older files): computed from the file's bytes up to ``version``
        (once for the log's end, which appends then keep up to date).

        Raises:
            InvalidArgument: ``version`` is negative or beyond the log.
            CorruptLog: a header or batch read for it fails its checksum.
        """
        with self._lock:
            current = self.version
            if not 0 <= version <= current:
                msg = f"version must be between 0 and the log's version {current}, got {version}"
                raise InvalidArgument(msg)
            if version == current and self._chain is not None:
                return self._chain
            if version == 0:
                return GENESIS
            if self._buffer:
                self._flush_buffer()
            i = bisect_right(self._firsts, version) - 1
            if not self._bf.chained:
                value = self._chain_from_bytes(i, version)
                if version == current:
                    self._chain = value
                return value
            last = self._firsts[i + 1] - 1 if i + 1 < len(self._firsts) else current
            if version == last:
                return self._batch_at(i, payload=False)[0]
            prev = GENESIS if i == 0 else self._batch_at(i - 1, payload=False)[0]
            _chain, count, body = self._batch_at(i, payload=True)
            return extend(prev, split_payload(body, count)[: version - self._firsts[i] + 1])

    def _batch_at(self, i: int, *, payload: bool) -> tuple[bytes, int, bytes]:
        """Batch ``i``'s chain, event count and (if asked for) payload, checksums verified."""
        found = read_batch(self._fd_of(), self._offsets[i], self._firsts[i], self._bf, payload)
        if isinstance(found, str):
            raise self._damaged(self._offsets[i], found)
        return found

    def _chain_from_bytes(self, i: int, version: int) -> bytes:
        """Format 1: hash the events of batches ``0..i`` (up to ``version``) from the file."""
        end = self._offsets[i + 1] if i + 1 < len(self._offsets) else self._size
        found = chain_from_bytes(self._fd_of, end, version, self._bf)
        if isinstance(found, Stop):
            raise self._damaged(found.end, found.problem or "batches end before the version")
        return found

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
            known_chain = self._chain
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
        return chain.from_iterable(
            self._read_from(pos, seq, start, stop_seq, known_end, file_end, known_chain)
        )

    def _read_from(
        self,
        pos: int,
        seq: int,
        start: int,
        stop_seq: int,
        known_end: int,
        file_end: int,
        known_chain: bytes | None,
    ) -> Iterator[list[Event]]:
        # The chain after a batch before the known end is not needed: only batches read
        # beyond it are learned, and the walk reaches them with their own headers' chains.
        stop = Stop(pos, seq, known_chain if pos == known_end else None)
        parts: list[memoryview] = []
        count = 0
        chunk_first = seq
        chunk_at = pos
        schema = SCHEMA_VERSION
        new_offsets: list[int] = []
        new_firsts: list[int] = []
        new_chain = known_chain
        finished = True
        walk = batches(self._fd_of, pos, seq, file_end, stop, self._bf)
        for offset, first, n, bschema, body, bchain in walk:
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
                    self._learn(new_offsets, new_firsts, offset, first, new_chain)
                    new_offsets, new_firsts = [], []
                parts = []
                count = 0
                chunk_first = first
                chunk_at = offset
            if offset >= known_end:
                new_offsets.append(offset)
                new_firsts.append(first)
                new_chain = bchain
            schema = bschema
            parts.append(body)
            count += n
        if parts:
            yield self._decode(parts, count, schema, chunk_at, chunk_first, start, stop_seq)
        if not finished:
            return
        if new_offsets:
            self._learn(new_offsets, new_firsts, stop.end, stop.next_seq, new_chain)
        if stop.problem is not None and stop.next_seq < stop_seq:
            if stop.end < known_end:
                raise self._damaged(stop.end, stop.problem)
            # Discovering a read-only handle's tail: torn (stop quietly) or damage (raise).
            self._check_problem(stop, file_end)

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
