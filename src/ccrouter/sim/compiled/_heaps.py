"""Binary heaps in arrays for the compiled engine (Numba).

* the calendar: ``(time, counter)`` keys with payload ``(kind, a, b)``, as
  :class:`ccrouter.sim.calendar.Calendar` (the counter breaks ties: scheduling order);
* the router's timers: ``(due, seq, kind rank)`` keys with the interaction as payload, as the
  router's ``SortedList`` of ``(due, seq, kind, interaction id)``;
* one heap per waiting group (queue and requirement), keyed as the router's sorted groups:
  ``(-(priority - aging_rate * arrived), arrived, queued seq)``, with the interaction and its
  enqueue version (an entry whose version is stale was removed: lazy deletion).

Each push returns False when the heap is full (the caller flags an overflow and the run is
repeated with more room); nothing is written then.
"""

from __future__ import annotations

from typing import Any

from ccrouter.sim.compiled._layout import (
    C_ACCEPT,
    C_CALLBACK,
    C_COMPLETE,
    C_GRACE,
    C_PATIENCE,
    C_RETRY,
    I_PINS,
    N_CAL,
    N_CAL_CTR,
    N_FLAG,
    OV_CALENDAR,
    kernel,
)

Array = Any

# --- calendar ---------------------------------------------------------------------------------


@kernel(inline="always")
def _cal_less(ct: Array, ci: Array, x: int, y: int) -> bool:
    if ct[x] != ct[y]:
        return bool(ct[x] < ct[y])
    return bool(ci[x, 0] < ci[y, 0])


@kernel(inline="always")
def _swap4(ct: Array, ci: Array, x: int, y: int) -> None:
    """Swap entries ``x`` and ``y`` of a heap of times ``ct`` with 4 int columns ``ci`` (the
    calendar and the timers)."""
    t = ct[x]
    ct[x] = ct[y]
    ct[y] = t
    for j in range(4):
        v = ci[x, j]
        ci[x, j] = ci[y, j]
        ci[y, j] = v


@kernel(inline="always")
def cal_push(ct: Array, ci: Array, cnt: Array, n_idx: int, ctr_idx: int,
             t: float, kind: int, a: int, b: int) -> bool:  # fmt: skip
    """Schedule ``(t, kind, a, b)``; ``cnt[n_idx]`` is the size, ``cnt[ctr_idx]`` the counter."""
    n = cnt[n_idx]
    if n >= ct.shape[0]:
        return False
    cnt[ctr_idx] += 1
    ct[n] = t
    ci[n, 0] = cnt[ctr_idx]
    ci[n, 1] = kind
    ci[n, 2] = a
    ci[n, 3] = b
    cnt[n_idx] = n + 1
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if _cal_less(ct, ci, i, p):
            _swap4(ct, ci, i, p)
            i = p
        else:
            break
    return True


@kernel(inline="always")
def cal_pop(ct: Array, ci: Array, cnt: Array, n_idx: int) -> None:
    """Remove the earliest entry (read it at index 0 first)."""
    n = cnt[n_idx] - 1
    cnt[n_idx] = n
    if n == 0:
        return
    ct[0] = ct[n]
    for j in range(4):
        ci[0, j] = ci[n, j]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        m = left
        right = left + 1
        if right < n and _cal_less(ct, ci, right, left):
            m = right
        if _cal_less(ct, ci, m, i):
            _swap4(ct, ci, m, i)
            i = m
        else:
            break


# --- router timers ----------------------------------------------------------------------------


@kernel(inline="always")
def _tim_less(tt: Array, ti: Array, x: int, y: int) -> bool:
    if tt[x] != tt[y]:
        return bool(tt[x] < tt[y])
    if ti[x, 0] != ti[y, 0]:
        return bool(ti[x, 0] < ti[y, 0])
    return bool(ti[x, 1] < ti[y, 1])


@kernel(inline="always")
def tim_push(tt: Array, ti: Array, cnt: Array, n_idx: int,
             due: float, seq: int, rank: int, slot: int, iid: int) -> bool:  # fmt: skip
    """Add a timer ``(due, seq, rank)`` of ``slot`` for interaction ``iid``."""
    n = cnt[n_idx]
    if n >= tt.shape[0]:
        return False
    tt[n] = due
    ti[n, 0] = seq
    ti[n, 1] = rank
    ti[n, 2] = slot
    ti[n, 3] = iid
    cnt[n_idx] = n + 1
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if _tim_less(tt, ti, i, p):
            _swap4(tt, ti, i, p)
            i = p
        else:
            break
    return True


@kernel(inline="always")
def tim_pop(tt: Array, ti: Array, cnt: Array, n_idx: int) -> None:
    """Remove the earliest timer."""
    n = cnt[n_idx] - 1
    cnt[n_idx] = n
    if n == 0:
        return
    tt[0] = tt[n]
    for j in range(4):
        ti[0, j] = ti[n, j]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        m = left
        right = left + 1
        if right < n and _tim_less(tt, ti, right, left):
            m = right
        if _tim_less(tt, ti, m, i):
            _swap4(tt, ti, m, i)
            i = m
        else:
            break


# --- waiting groups ---------------------------------------------------------------------------


@kernel(inline="always")
def _grp_less(gf: Array, gi: Array, g: int, x: int, y: int) -> bool:
    if gf[g, x, 0] != gf[g, y, 0]:
        return bool(gf[g, x, 0] < gf[g, y, 0])
    if gf[g, x, 1] != gf[g, y, 1]:
        return bool(gf[g, x, 1] < gf[g, y, 1])
    return bool(gi[g, x, 0] < gi[g, y, 0])


@kernel(inline="always")
def _grp_swap(gf: Array, gi: Array, g: int, x: int, y: int) -> None:
    for j in range(2):
        t = gf[g, x, j]
        gf[g, x, j] = gf[g, y, j]
        gf[g, y, j] = t
    for j in range(3):
        v = gi[g, x, j]
        gi[g, x, j] = gi[g, y, j]
        gi[g, y, j] = v


@kernel(inline="always")
def grp_push(gf: Array, gi: Array, gn: Array, g: int,
             k1: float, arrived: float, qseq: int, iid: int, ver: int) -> bool:  # fmt: skip
    """File interaction ``iid`` (enqueue version ``ver``) in waiting group ``g``."""
    n = gn[g]
    if n >= gf.shape[1]:
        return False
    gf[g, n, 0] = k1
    gf[g, n, 1] = arrived
    gi[g, n, 0] = qseq
    gi[g, n, 1] = iid
    gi[g, n, 2] = ver
    gn[g] = n + 1
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if _grp_less(gf, gi, g, i, p):
            _grp_swap(gf, gi, g, i, p)
            i = p
        else:
            break
    return True


@kernel(inline="always")
def grp_pop(gf: Array, gi: Array, gn: Array, g: int) -> None:
    """Remove the head of waiting group ``g``."""
    n = gn[g] - 1
    gn[g] = n
    if n == 0:
        return
    for j in range(2):
        gf[g, 0, j] = gf[g, n, j]
    for j in range(3):
        gi[g, 0, j] = gi[g, n, j]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        m = left
        right = left + 1
        if right < n and _grp_less(gf, gi, g, right, left):
            m = right
        if _grp_less(gf, gi, g, m, i):
            _grp_swap(gf, gi, g, m, i)
            i = m
        else:
            break


@kernel()
def sort_prefix(buf: Array, n: int) -> None:
    """Sort ``buf[:n]`` in place, ascending (heapsort: the kernels may not allocate)."""
    for start in range(n // 2 - 1, -1, -1):
        _sift(buf, start, n)
    for end in range(n - 1, 0, -1):
        v = buf[0]
        buf[0] = buf[end]
        buf[end] = v
        _sift(buf, 0, end)


@kernel(inline="always")
def _sift(buf: Array, i: int, n: int) -> None:
    while True:
        m = i
        left = 2 * i + 1
        if left < n and buf[left] > buf[m]:
            m = left
        if left + 1 < n and buf[left + 1] > buf[m]:
            m = left + 1
        if m == i:
            return
        v = buf[i]
        buf[i] = buf[m]
        buf[m] = v
        i = m


@kernel(inline="always")
def pins(kind: int) -> bool:
    """Whether a calendar action of ``kind`` names an interaction (its slot stays taken)."""
    return kind in (C_PATIENCE, C_CALLBACK, C_RETRY, C_GRACE, C_COMPLETE, C_ACCEPT)


@kernel(inline="always")
def schedule(s: Any, t: float, kind: int, a: int, b: int) -> None:
    """Add an action to the run's calendar (``s``: the run state); flag an overflow. An
    action naming an interaction pins its slot until it is done."""
    if not cal_push(s.cal_t, s.cal_i, s.cnt, N_CAL, N_CAL_CTR, t, kind, a, b):
        s.cnt[N_FLAG] = OV_CALENDAR
    elif pins(kind):
        s.I[a, I_PINS] += 1
