"""Interaction ids in compiled code: their order as strings, without building them.

The router's timers sort by ``(due, seq, kind, interaction id)``: timers one event sets at
one due time (``max_wait_no_agents`` timers set when the last able agent logs out) fire in
the order of their ids as strings. The engine names an interaction ``type-k``, ``type-k.n``
for the n-th retrial, ``out:campaign-k`` for a campaign's connect; here its characters are
produced one at a time from the type's name (UTF-8 bytes, whose order is the order of code
points, as Python compares strings), ``k`` and the attempt.
"""

from __future__ import annotations

from typing import Any

from ccrouter.sim.compiled._layout import I_ATTEMPT, I_K, I_TYPE, kernel

Any_ = Any


@kernel(inline="always")
def _digits(v: int) -> int:
    n = 1
    while v >= 10:
        v //= 10
        n += 1
    return n


@kernel(inline="always")
def _digit(v: int, power: int) -> int:
    for _ in range(power):
        v //= 10
    return int(v % 10)


@kernel()
def id_char(p: Any_, c: int, k: int, attempt: int, pos: int) -> int:
    """Byte ``pos`` of the id of record ``k`` of type ``c`` (call types, then campaigns,
    whose names are packed with their ``out:`` prefix), attempt ``attempt``; -1 past its end."""
    n = p.nm_len[c]
    if pos < n:
        return int(p.nm_bytes[p.nm_off[c] + pos])
    pos -= n
    if pos == 0:
        return 45  # "-"
    pos -= 1
    n = _digits(k)
    if pos < n:
        return 48 + _digit(k, n - 1 - pos)
    pos -= n
    if attempt == 0:
        return -1
    if pos == 0:
        return 46  # "."
    pos -= 1
    n = _digits(attempt)
    if pos < n:
        return 48 + _digit(attempt, n - 1 - pos)
    return -1


@kernel()
def id_less(s: Any_, p: Any_, x: int, y: int) -> bool:
    """Whether interaction ``x``'s id sorts before ``y``'s (as Python compares strings)."""
    inter = s.I
    cx, kx, ax = inter[x, I_TYPE], inter[x, I_K], inter[x, I_ATTEMPT]
    cy, ky, ay = inter[y, I_TYPE], inter[y, I_K], inter[y, I_ATTEMPT]
    pos = 0
    while True:
        u = id_char(p, cx, kx, ax, pos)
        v = id_char(p, cy, ky, ay, pos)
        if u != v:
            return u < v
        if u < 0:
            return False
        pos += 1


@kernel()
def sort_by_id(s: Any_, p: Any_, buf: Any_, n: int) -> None:
    """Sort the interactions ``buf[:n]`` by id (insertion sort: few at a time)."""
    for j in range(1, n):
        v = buf[j]
        m = j - 1
        while m >= 0 and id_less(s, p, v, buf[m]):
            buf[m + 1] = buf[m]
            m -= 1
        buf[m + 1] = v
