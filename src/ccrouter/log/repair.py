"""Recovering a file event log: what opening dropped, and cutting a damaged log on purpose.

:func:`repair` keeps a damaged log's longest valid prefix (after
:class:`~ccrouter.errors.CorruptLog`), moving the rest to a side file; :class:`Recovery` says
what was cut, by :func:`repair` or by a writer that dropped a torn tail on open. Both are
also importable from :mod:`ccrouter.log.file`.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

import attrs

from ccrouter.errors import CorruptLog, WriterLocked
from ccrouter.log.chain import GENESIS
from ccrouter.log.framing import (
    FILE_HEADER_SIZE,
    FORMATS,
    READ_CHUNK,
    file_header,
    pread_all,
    scan,
)

__all__ = ["Recovery", "fsync_dir", "repair"]

log = logging.getLogger("ccrouter.log.file")


@attrs.frozen
class Recovery:
    """What opening (or :func:`repair`) dropped from the end of a log."""

    offset: int
    """Byte offset where the valid log ends (the file was cut here)."""
    dropped_bytes: int
    """How many bytes after ``offset`` were removed."""
    reason: str
    """Why the bytes at ``offset`` were not valid."""


def fsync_dir(path: Path) -> None:
    """``fsync`` the directory holding ``path`` (its entry survives a crash)."""
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        head = pread_all(fd, FILE_HEADER_SIZE, 0)
        bf = next((f for n, f in FORMATS.items() if head == file_header(n)), None)
        if bf is None:
            raise CorruptLog(f"{p} has no valid ccrouter file header", offset=0)
        size = os.fstat(fd).st_size
        stop = scan(fd, FILE_HEADER_SIZE, 1, size, GENESIS, bf).stop
        if stop.problem is None:
            return None
        side = p.with_name(f"{p.name}.damaged-{stop.end}")
        with open(side, "wb") as out:
            pos = stop.end
            while pos < size:
                chunk = pread_all(fd, READ_CHUNK, pos)
                out.write(chunk)
                pos += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.ftruncate(fd, stop.end)
        os.fsync(fd)
        fsync_dir(p)
        log.warning("%s: cut at offset %d (%s)", p, stop.end, stop.problem)
        return Recovery(stop.end, size - stop.end, stop.problem)
    finally:
        os.close(fd)
