"""The file event store's on-disk framing: headers, the verifying batch walker, recovery scan.

File layout (all integers little-endian)::

    file header (16 bytes)   magic b"CCRLOG\\r\\n" | format u32 | crc32 of the first 12 bytes
    batch*                   batch header | payload (payload_len bytes)

    format 2 batch header    magic b"CCRC" | payload_len u32 | first_seq u64 | count u32
    (48 bytes)               | schema u16 | flags u16 | payload_crc u32 | chain 16s
                             | header_crc u32
    format 1 batch header    magic b"CCRB" | payload_len u32 | first_seq u64 | count u32
    (32 bytes)               | schema u16 | flags u16 | payload_crc u32 | header_crc u32

``payload`` is the concatenation of the batch's events in MessagePack; ``payload_crc`` covers
it and ``header_crc`` covers every header byte before it. ``chain`` (format 2) is the history
chain (:mod:`ccrouter.log.chain`) after the batch's last event, so the chain at any batch end
is one header read away. Format 1 files (written before the chain existed) still open, read
and append in format 1; their chain is computed from their bytes when asked for.

Recovery: :func:`batches` walks and verifies batches and stops at the first invalid spot;
:func:`later_batch` decides whether that spot is a torn tail (nothing valid follows) or damage
before the tail. Payload bytes are client data (an attribute value can hold any 48 bytes,
including a header with a valid checksum), so a header only counts as "valid data follows" if
it lies beyond the damaged batch's declared extent (when that batch's own header is intact)
and its first seq continues the log past the damaged batch.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterator

import attrs

from ccrouter.log.chain import GENESIS, extend, split_payload

__all__ = [
    "BATCH_HEADER_SIZE",
    "FILE_FORMAT",
    "FILE_HEADER_SIZE",
    "FILE_MAGIC",
    "FORMATS",
    "MAX_PAYLOAD",
    "V1",
    "V2",
    "BatchFormat",
    "Scan",
    "Stop",
    "batch_header",
    "batches",
    "chain_from_bytes",
    "file_header",
    "later_batch",
    "pread_all",
    "read_batch",
    "scan",
]

FILE_MAGIC = b"CCRLOG\r\n"
FILE_FORMAT = 2
"""The file format this code creates (1 is still read and appended to)."""
FILE_HEAD = struct.Struct("<8sI")
U32 = struct.Struct("<I")
FILE_HEADER_SIZE = 16
MAX_PAYLOAD = 1 << 30
"""Largest batch payload accepted (1 GiB); a header claiming more is damage."""
READ_CHUNK = 1 << 20


@attrs.frozen
class BatchFormat:
    """The batch header layout of one file format."""

    fmt: int
    magic: bytes
    size: int
    head: struct.Struct  # everything the header checksum covers
    full: struct.Struct
    chained: bool


V1 = BatchFormat(1, b"CCRB", 32, struct.Struct("<4sIQIHHI"), struct.Struct("<4sIQIHHII"), False)
V2 = BatchFormat(
    2, b"CCRC", 48, struct.Struct("<4sIQIHHI16s"), struct.Struct("<4sIQIHHI16sI"), True
)
FORMATS = {1: V1, 2: V2}
BATCH_HEADER_SIZE = V2.size
"""Size of a batch header in the current format (48 bytes; format 1: 32)."""


def file_header(fmt: int = FILE_FORMAT) -> bytes:
    """The 16-byte file header of format ``fmt``."""
    head = FILE_HEAD.pack(FILE_MAGIC, fmt)
    return head + U32.pack(zlib.crc32(head))


def batch_header(
    payload: bytes | memoryview,
    first_seq: int,
    count: int,
    schema: int,
    chain: bytes = GENESIS,
    bf: BatchFormat = V2,
) -> bytes:
    """A batch header for ``payload`` (``chain``: the history chain after it; format 2)."""
    fields = [bf.magic, len(payload), first_seq, count, schema, 0, zlib.crc32(payload)]
    if bf.chained:
        fields.append(chain)
    head = bf.head.pack(*fields)
    return head + U32.pack(zlib.crc32(head))


def parse_header(
    buf: bytes | memoryview, at: int, bf: BatchFormat
) -> tuple[int, int, int, int, int, bytes | None] | None:
    """``(payload_len, first_seq, count, schema, payload_crc, chain)``, or ``None`` if invalid."""
    if at + bf.size > len(buf):
        return None
    vals = bf.full.unpack_from(buf, at)
    magic, length, first, count, schema, flags, pcrc = vals[:7]
    if magic != bf.magic or zlib.crc32(memoryview(buf)[at : at + bf.size - 4]) != vals[-1]:
        return None
    if flags != 0 or length > MAX_PAYLOAD or count == 0 or first == 0:
        return None
    return length, first, count, schema, pcrc, vals[7] if bf.chained else None


def pread_all(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (fewer only at the end of the file)."""
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


class Stop:
    """Where a walk over batches ended, and why (``problem is None``: at the requested end).

    ``chain`` is the history chain after the last valid batch (``None`` in format 1).
    ``extent``/``count``: the declared end offset and event count of the batch at ``end``
    when its header is intact (its payload is short or fails its checksum); ``None``/0 when
    the header itself is not valid.
    """

    __slots__ = ("chain", "count", "end", "extent", "fatal", "next_seq", "problem")

    def __init__(self, end: int, next_seq: int, chain: bytes | None) -> None:
        self.end = end
        self.next_seq = next_seq
        self.chain = chain
        self.problem: str | None = None
        self.fatal = False
        self.extent: int | None = None
        self.count = 0


Batch = tuple[int, int, int, int, memoryview, "bytes | None"]


def batches(
    fd_of: Callable[[], int], pos: int, seq: int, file_end: int, stop: Stop, bf: BatchFormat
) -> Iterator[Batch]:
    """Yield ``(offset, first_seq, count, schema, payload, chain)`` of each valid batch.

    Verifies framing, both checksums and seq continuity from ``pos``, reading ``READ_CHUNK``
    bytes at a time. Stops at ``file_end`` or at the first invalid spot, recorded in ``stop``.
    ``fd_of()`` gives the file descriptor before each read (it raises once the log closed).
    """
    unpack = bf.full.unpack_from
    magic_ok = bf.magic
    hsize = bf.size
    covered = hsize - 4
    chained = bf.chained
    crc32 = zlib.crc32
    problem: str | None = None
    chain = stop.chain
    while pos < file_end and problem is None:
        fd = fd_of()
        buf = pread_all(fd, min(READ_CHUNK, file_end - pos), pos)
        view = memoryview(buf)
        size = len(buf)
        rel = 0
        while True:
            if rel + hsize > size:
                if rel == 0:  # cannot even read one header at ``pos``
                    problem = "incomplete batch header"
                break
            vals = unpack(buf, rel)
            magic, length, first, count, schema, flags, pcrc = vals[:7]
            if (
                magic != magic_ok
                or crc32(view[rel : rel + covered]) != vals[-1]
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
            end = rel + hsize + length
            if end > size:
                if pos + end > file_end:
                    problem = "incomplete batch payload"
                    stop.extent, stop.count = pos + end, count
                    break
                if rel:
                    break  # read on from this batch
                buf = pread_all(fd, end, pos)  # one batch bigger than a chunk
                view = memoryview(buf)
                size = len(buf)
                if end > size:
                    problem = "incomplete batch payload"
                    stop.extent, stop.count = pos + end, count
                    break
            body = view[rel + hsize : end]
            if crc32(body) != pcrc:
                problem = "batch payload fails its checksum"
                stop.extent, stop.count = pos + end, count
                break
            # Format 1 headers hold no chain: after the first batch it is unknown.
            chain = vals[7] if chained else None
            yield pos + rel, first, count, schema, body, chain
            seq += count
            rel = end
        pos += rel
    stop.end = pos
    stop.next_seq = seq
    stop.chain = chain
    stop.problem = problem


@attrs.frozen
class Scan:
    """The valid batches from a start offset, and where (and why) they end."""

    stop: Stop
    offsets: list[int]
    firsts: list[int]


def scan(
    fd: int, start: int, next_seq: int, file_end: int, chain: bytes | None, bf: BatchFormat
) -> Scan:
    """Verify batches from ``start`` to ``file_end``; stop at the first invalid spot."""
    stop = Stop(start, next_seq, chain)
    offsets: list[int] = []
    firsts: list[int] = []
    for offset, first, _count, _schema, _body, _chain in batches(
        lambda: fd, start, next_seq, file_end, stop, bf
    ):
        offsets.append(offset)
        firsts.append(first)
    return Scan(stop, offsets, firsts)


def later_batch(fd: int, stop: Stop, file_size: int, bf: BatchFormat) -> int | None:
    """Offset of a valid batch header after the invalid spot ``stop`` ended at, if any.

    Only a header that could be a real later batch counts: it lies beyond the damaged batch's
    declared extent when that batch's header is intact (so bytes of its own payload are never
    taken for a header) and its first seq continues the log past the damaged batch (at least
    one event past ``stop.next_seq``, or past the damaged batch's declared count). Only bytes
    below ``file_size`` count: a writer may be appending beyond it right now.
    """
    if stop.extent is not None:
        pos, min_first = stop.extent, stop.next_seq + stop.count
    else:
        pos, min_first = stop.end + 1, stop.next_seq + 1
    hsize = bf.size
    overlap = hsize - 1
    while pos < file_size:
        buf = pread_all(fd, min(READ_CHUNK + overlap, file_size - pos), pos)
        if len(buf) < hsize:
            return None
        i = buf.find(bf.magic)
        while 0 <= i <= len(buf) - hsize:
            header = parse_header(buf, i, bf)
            if header is not None and header[1] >= min_first:
                return pos + i
            i = buf.find(bf.magic, i + 1)
        pos += READ_CHUNK
    return None


def read_batch(
    fd: int, offset: int, first: int, bf: BatchFormat, payload: bool
) -> tuple[bytes, int, bytes] | str:
    """The batch at ``offset`` (known to start at seq ``first``) read again: its chain (format
    2), event count and, if asked for, payload, checksums verified; or why it is not valid."""
    buf = pread_all(fd, bf.size, offset)
    header = parse_header(buf, 0, bf)
    if header is None or header[1] != first:
        return "batch header fails its checksum on a second read"
    length, _first, count, _schema, pcrc, chain = header
    body = b""
    if payload:
        body = pread_all(fd, length, offset + bf.size)
        if len(body) != length or zlib.crc32(body) != pcrc:
            return "batch payload fails its checksum on a second read"
    return chain or GENESIS, count, body


def chain_from_bytes(
    fd_of: Callable[[], int], end: int, version: int, bf: BatchFormat
) -> bytes | Stop:
    """The history chain at ``version`` hashed from the events in the file's batches up to
    ``end`` (format 1 files, whose headers hold none); the :class:`Stop` if they are damaged
    or end before ``version``."""
    stop = Stop(FILE_HEADER_SIZE, 1, None)
    value = GENESIS
    for _offset, first, count, _schema, body, _chain in batches(
        fd_of, FILE_HEADER_SIZE, 1, end, stop, bf
    ):
        value = extend(value, split_payload(body, count)[: version - first + 1])
    if stop.problem is not None or stop.next_seq <= version:
        return stop
    return value
