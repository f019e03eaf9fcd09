"""The metrics fold over a compiled run's event records (Numba): what
:func:`ccrouter.sim.metrics.compute_metrics` reads from the decoded events, without them.

It mirrors, for the event kinds the compiled engine writes, the interval report's fold
(``ccrouter.stats._interval_fold``: counts per arrival interval and queue, agent status time
split over intervals from the window start) and the metrics' second pass (time in queue, who
waited, the answered waits), adding in the same order so the sums are the same floats.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from ccrouter.sim.compiled._layout import (
    K_ABANDONED,
    K_ACCEPTED,
    K_CALLBACK,
    K_COMPLETED,
    K_LOGIN,
    K_LOGOUT,
    K_NOT_READY,
    K_OFFERED,
    K_OVERDUE,
    K_QUEUED,
    K_READY,
    K_TIMED_OUT,
    K_WRAP_ENDED,
)

Array = Any

# Agent statuses as ccrouter.stats._common (a test ties them).
LOGGED_OUT, READY, NOT_READY, RESERVED, BUSY, WRAP_UP = range(6)
# Count columns, per (queue, arrival interval).
C_OFFERED, C_ANSWERED, C_WITHIN, C_ABANDONED, C_WAIT, C_HANDLED, C_TALK, C_WRAP = range(8)
C_CALLBACKS, C_OVERDUE = 8, 9
N_COUNTS = 10


@numba.njit(cache=True)
def _close(
    acc: Array, a: int, status: int, since: float, at: float, lo: float, width: float
) -> None:
    if status == LOGGED_OUT or status == NOT_READY:  # noqa: SIM109
        return
    t0 = since if since > lo else lo
    t1 = at
    if t1 <= t0:
        return
    b = math.floor(t0 / width)
    while True:
        bend = b * width + width
        if t1 <= bend:
            acc[a, b, status] += t1 - t0
            return
        acc[a, b, status] += bend - t0
        t0 = bend
        b += 1


@numba.njit(cache=True)
def _update(
    ag: Array, since: Array, acc: Array, a: int, at: float, lo: float, width: float
) -> None:
    # ag columns: presence, offers, busy, wrap, status
    if ag[a, 0] == LOGGED_OUT:
        status = LOGGED_OUT
    elif ag[a, 1] > 0:
        status = RESERVED
    elif ag[a, 2] > 0:
        status = BUSY
    elif ag[a, 3] > 0:
        status = WRAP_UP
    else:
        status = ag[a, 0]
    if status != ag[a, 4]:
        _close(acc, a, ag[a, 4], since[a], at, lo, width)
        ag[a, 4] = status
        since[a] = at


@numba.njit(cache=True)
def fold(rk: Array, rt: Array, ri: Array, ra: Array, rx: Array, n_ev: int, n_int: int,
         n_agents: int, inter_queue: Array, inbound: Array, n_queues: int, n_buckets: int,
         n: int, width: float, lo: float, horizon: float, threshold: float) -> Any:  # fmt: skip
    """Counts per (queue, interval), agent status times per (agent, interval, status), time
    in queue and waiting per (queue, interval) and over all inbound queues, answered waits."""
    counts = np.zeros((n_queues, n_buckets, N_COUNTS))
    has = np.zeros(n_queues, dtype=np.uint8)
    ag = np.zeros((n_agents, 5), dtype=np.int64)
    since = np.zeros(n_agents)
    acc = np.zeros((n_agents, n_buckets, 6))
    q_at = np.zeros(n_int)
    bucket = np.full(n_int, -1, dtype=np.int64)
    acc_at = np.zeros(n_int)
    comp_at = np.zeros(n_int)
    arrived = np.zeros(n_int, dtype=np.uint8)  # in the second pass's window, not ended
    first = np.zeros(n_int, dtype=np.int8)  # -1: not offered yet; 0/1: queued before
    qtime = np.zeros((n_queues + 1, n))  # last row: all inbound queues
    waited = np.zeros((n_queues + 1, n))
    waits = np.zeros(n_int)
    n_waits = 0
    last = -np.inf
    for e in range(n_ev):
        kind = rk[e]
        at = rt[e]
        last = at
        i = ri[e]
        a = ra[e]
        if kind == K_QUEUED:
            q = inter_queue[i]
            q_at[i] = at
            acc_at[i] = at
            comp_at[i] = at
            first[i] = -1
            if at >= lo:
                b = math.floor(at / width)
                bucket[i] = b
                has[q] = 1
                counts[q, b, C_OFFERED] += 1
                if at < horizon and inbound[q] != 0:
                    arrived[i] = 1
        elif kind == K_OFFERED:
            ag[a, 1] += 1
            _update(ag, since, acc, a, at, lo, width)
            if arrived[i] != 0 and first[i] < 0:
                first[i] = 1 if at > q_at[i] else 0
        elif kind == K_ACCEPTED:
            ag[a, 1] -= 1
            ag[a, 2] += 1
            _update(ag, since, acc, a, at, lo, width)
            acc_at[i] = at
            b = bucket[i]
            if b >= 0:
                q = inter_queue[i]
                wait = at - q_at[i]
                counts[q, b, C_ANSWERED] += 1
                counts[q, b, C_WAIT] += wait
                if wait <= threshold:
                    counts[q, b, C_WITHIN] += 1
            if arrived[i] != 0:
                arrived[i] = 0
                wait = at - q_at[i]
                _queue_time(qtime, waited, inter_queue[i], q_at[i], wait, first[i],
                            n, width, n_queues)  # fmt: skip
                waits[n_waits] = wait
                n_waits += 1
        elif kind == K_TIMED_OUT:
            ag[a, 1] -= 1
            _update(ag, since, acc, a, at, lo, width)
        elif kind == K_COMPLETED:
            ag[a, 2] -= 1
            if rx[e] > at:
                ag[a, 3] += 1
                _update(ag, since, acc, a, at, lo, width)
                comp_at[i] = at
            else:
                _update(ag, since, acc, a, at, lo, width)
                b = bucket[i]
                if b >= 0:
                    q = inter_queue[i]
                    counts[q, b, C_HANDLED] += 1
                    counts[q, b, C_TALK] += at - acc_at[i]
        elif kind == K_WRAP_ENDED:
            ag[a, 3] -= 1
            _update(ag, since, acc, a, at, lo, width)
            b = bucket[i]
            if b >= 0:
                q = inter_queue[i]
                counts[q, b, C_HANDLED] += 1
                counts[q, b, C_TALK] += comp_at[i] - acc_at[i]
                counts[q, b, C_WRAP] += at - comp_at[i]
        elif kind == K_ABANDONED:
            if a >= 0:
                ag[a, 1] -= 1
                _update(ag, since, acc, a, at, lo, width)
            b = bucket[i]
            if b >= 0:
                counts[inter_queue[i], b, C_ABANDONED] += 1
            if arrived[i] != 0:
                arrived[i] = 0
                _queue_time(qtime, waited, inter_queue[i], q_at[i], at - q_at[i], first[i],
                            n, width, n_queues)  # fmt: skip
        elif kind == K_CALLBACK:
            b = bucket[i]
            if b >= 0:
                counts[inter_queue[i], b, C_CALLBACKS] += 1
        elif kind == K_OVERDUE:
            b = bucket[i]
            if b >= 0:
                counts[inter_queue[i], b, C_OVERDUE] += 1
        elif kind == K_LOGIN:
            ag[a, 0] = NOT_READY
            _update(ag, since, acc, a, at, lo, width)
        elif kind == K_READY:
            ag[a, 0] = READY
            _update(ag, since, acc, a, at, lo, width)
        elif kind == K_NOT_READY:
            ag[a, 0] = NOT_READY
            _update(ag, since, acc, a, at, lo, width)
        elif kind == K_LOGOUT:
            ag[a, 0] = LOGGED_OUT
            _update(ag, since, acc, a, at, lo, width)
    for a in range(n_agents):  # the report closes every agent at the window end
        _close(acc, a, ag[a, 4], since[a], last, lo, width)
    return counts, has, acc, qtime, waited, waits[:n_waits], last


@numba.njit(cache=True)
def _queue_time(qtime: Array, waited: Array, q: int, arrived_at: float, wait: float, first: int,
                n: int, width: float, n_queues: int) -> None:  # fmt: skip
    k = min(n - 1, int(arrived_at // width))
    did = first > 0 if first >= 0 else wait > 0
    qtime[q, k] += wait
    qtime[n_queues, k] += wait
    if did:
        waited[q, k] += 1
        waited[n_queues, k] += 1
