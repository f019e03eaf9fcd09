"""Helpers for the fault tests: build logs with known batch boundaries, judge recoveries.

The fault tests print a line ``FAULT-FIGURES {...}`` with what they tried (kills, offsets,
flips) so ``pytest tests/faults -s | grep FAULT-FIGURES`` reports the figures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ccrouter.errors import CorruptLog
from ccrouter.events import Event
from ccrouter.log import FileEventLog
from logtools import batches, events

SCALE = int(os.environ.get("CCROUTER_FAULT_SCALE", "1"))
"""Multiplies the default number of kills and fuzz examples (``CCROUTER_FAULT_SCALE=50``)."""


def figures(name: str, **numbers: int) -> None:
    print(f"FAULT-FIGURES {json.dumps({'test': name, **numbers})}")


def build(path: Path, sizes: list[int]) -> list[int]:
    """Write batches of ``sizes`` events; return the file size after each batch (boundaries).

    ``boundaries[0]`` is the size of the empty log (its file header).
    """
    bounds = []
    with FileEventLog(path, durability="os") as log:
        bounds.append(path.stat().st_size)
        for b in batches(sizes):
            log.append(b)
            bounds.append(path.stat().st_size)
    return bounds


def versions(sizes: list[int]) -> list[int]:
    """The log version at each boundary."""
    out = [0]
    for s in sizes:
        out.append(out[-1] + s)
    return out


def read_all(path: Path, *, readonly: bool) -> tuple[list[Event], FileEventLog]:
    log = FileEventLog(path, readonly=readonly, durability="none")
    try:
        return list(log.read()), log
    finally:
        log.close()


def assert_clean_prefix(got: list[Event], at_least: int = 0) -> None:
    """``got`` is exactly events 1..n of the deterministic sequence, n >= ``at_least``."""
    assert len(got) >= at_least, f"lost acknowledged events: have {len(got)}, acked {at_least}"
    assert got == events(1, len(got)), "recovered events differ from what was written"


def outcome(path: Path, *, readonly: bool) -> tuple[str, int, list[Event]]:
    """Open and read: ``("ok", version, events)`` or ``("corrupt", offset, [])``."""
    try:
        got, log = read_all(path, readonly=readonly)
    except CorruptLog as exc:
        return "corrupt", -1 if exc.offset is None else exc.offset, []
    return "ok", log._next_seq - 1, got


def require_slow(request: pytest.FixtureRequest) -> None:
    """Skip a long variant unless slow tests were asked for (``-m slow`` or ``CCROUTER_SLOW=1``).

    The default ``make test`` run does not deselect the ``slow`` marker by itself.
    """
    markexpr = str(request.config.getoption("markexpr", "") or "")
    if "slow" in markexpr and "not slow" not in markexpr:
        return
    if os.environ.get("CCROUTER_SLOW", "") not in ("", "0"):
        return
    pytest.skip("long variant: run with `make test-slow` (pytest -m slow) or CCROUTER_SLOW=1")


def rewrite(path: Path, data: bytes) -> None:
    """Replace a file's contents by unlinking it first.

    Truncating and rewriting the same file makes ext4 (``auto_da_alloc``) flush it to disk
    every time, which made these loops ten times slower.
    """
    path.unlink(missing_ok=True)
    path.write_bytes(data)
