"""The metrics fold of a compiled run, one event at a time inside the kernel (Numba): what
:func:`ccrouter.sim.metrics.compute_metrics` reads from the decoded events, without them.

Every event the kernel writes passes through :func:`fold_event` as it is written, so a run
that does not keep its events still has its figures, in preallocated arrays: counts per
(queue, interval), agent status times per (agent, interval, status), time in queue and
waiting per (queue, interval) and over all inbound queues, the histogram of answered waits.
It mirrors, for the event kinds the compiled engine writes, the interval report's fold
(``ccrouter.stats._interval_fold``: counts per arrival interval and queue, agent status time
split over intervals from the window start) and the metrics' second pass (time in queue, who
waited, the answered waits), adding in the same order so the sums are the same floats.
"""

from __future__ import annotations

import math
from typing import Any

from ccrouter.sim.compiled._layout import (
    F_ACC_AT,
    F_COMP_AT,
    F_QAT,
    FF_HORIZON,
    FF_LO,
    FF_THRESHOLD,
    FF_WIDTH,
    I_BUCKET,
    I_FIRST,
    I_FQ,
    I_INWIN,
    I_QUEUE,
    K_ABANDONED,
    K_ACCEPTED,
    K_CALLBACK,
    K_COMPLETED,
    K_EXITED,
    K_LOGIN,
    K_LOGOUT,
    K_NOT_READY,
    K_OFFERED,
    K_OVERDUE,
    K_QUEUED,
    K_READY,
    K_TIMED_OUT,
    K_WRAP_ENDED,
    SF_LAST,
    kernel,
)

Array = Any

# Agent statuses as ccrouter.stats._common (a test ties them).
LOGGED_OUT, READY, NOT_READY, RESERVED, BUSY, WRAP_UP = range(6)
# Count columns, per (queue, arrival interval).
C_OFFERED, C_ANSWERED, C_WITHIN, C_ABANDONED, C_WAIT, C_HANDLED, C_TALK, C_WRAP = range(8)
C_CALLBACKS, C_OVERDUE, C_EXITED = 8, 9, 10
C_AB_WITHIN = 11  # abandoned within the threshold: the "offered minus short abandons" SL
N_COUNTS = 12
# Agent fold columns: presence, offers, busy, wrap, status.
G_PRES, G_OFFERS, G_BUSY, G_WRAP, G_STATUS = range(5)
G_COLS = 5


@kernel()
def close_status(
    acc: Array, a: int, status: int, since: float, at: float, lo: float, width: float
) -> bool:
    """Add the time ``since .. at`` in ``status`` to agent ``a``'s intervals; False when an
    interval is past the room of ``acc`` (the run is repeated with more)."""
    if status == LOGGED_OUT or status == NOT_READY:  # noqa: SIM109
        return True
    t0 = since if since > lo else lo
    t1 = at
    if t1 <= t0:
        return True
    b = math.floor(t0 / width)
    while True:
        if b >= acc.shape[1]:
            return False
        bend = b * width + width
        if t1 <= bend:
            acc[a, b, status] += t1 - t0
            return True
        acc[a, b, status] += bend - t0
        t0 = bend
        b += 1


@kernel(inline="always")
def _update(ag: Array, since: Array, acc: Array, a: int, at: float, lo: float,
            width: float) -> bool:  # fmt: skip
    if ag[a, G_PRES] == LOGGED_OUT:
        status = LOGGED_OUT
    elif ag[a, G_OFFERS] > 0:
        status = RESERVED
    elif ag[a, G_BUSY] > 0:
        status = BUSY
    elif ag[a, G_WRAP] > 0:
        status = WRAP_UP
    else:
        status = ag[a, G_PRES]
    if status != ag[a, G_STATUS]:
        ok = close_status(acc, a, ag[a, G_STATUS], since[a], at, lo, width)
        ag[a, G_STATUS] = status
        since[a] = at
        return ok
    return True


@kernel(inline="always")
def _queue_time(qtime: Array, waited: Array, q: int, arrived_at: float, wait: float, first: int,
                width: float) -> None:  # fmt: skip
    n_queues = qtime.shape[0] - 1
    k = min(qtime.shape[1] - 1, int(arrived_at // width))
    did = first > 0 if first >= 0 else wait > 0
    qtime[q, k] += wait
    qtime[n_queues, k] += wait
    if did:
        waited[q, k] += 1
        waited[n_queues, k] += 1


@kernel(inline="always")
def _histogram(hist: Array, edges: Array, x: float) -> None:
    """``np.histogram``'s bin of ``x`` over ``edges`` (the last bin closed; outside: none)."""
    nb = edges.shape[0] - 1
    if not (edges[0] <= x <= edges[nb]):
        return
    lo = 0
    hi = nb  # the bin is the last j with edges[j] <= x, at most nb - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if edges[mid] <= x:
            lo = mid
        else:
            hi = mid
    hist[lo] += 1


@kernel()
def fold_event(inter: Array, fl: Array, ag: Array, since: Array, acc: Array, counts: Array,
               has: Array, qtime: Array, waited: Array, hist: Array, sf: Array, inbound: Array,
               ff: Array, edges: Array, kind: int, at: float, i: int, a: int,
               x: float) -> bool:  # fmt: skip
    """Fold one event into the run's figures; False when ``acc`` or ``counts`` is out of
    interval room."""
    width = ff[FF_WIDTH]
    lo = ff[FF_LO]
    sf[SF_LAST] = at
    ok = True
    if kind == K_QUEUED:
        q = inter[i, I_QUEUE]
        inter[i, I_FQ] = q
        fl[i, F_QAT] = at
        fl[i, F_ACC_AT] = at
        fl[i, F_COMP_AT] = at
        inter[i, I_FIRST] = -1
        inter[i, I_BUCKET] = -1
        inter[i, I_INWIN] = 0
        if at >= lo:
            b = math.floor(at / width)
            if b >= counts.shape[1]:
                return False
            inter[i, I_BUCKET] = b
            has[q] = 1
            counts[q, b, C_OFFERED] += 1
            if at < ff[FF_HORIZON] and inbound[q] != 0:
                inter[i, I_INWIN] = 1
    elif kind == K_OFFERED:
        ag[a, G_OFFERS] += 1
        ok = _update(ag, since, acc, a, at, lo, width)
        if inter[i, I_INWIN] != 0 and inter[i, I_FIRST] < 0:
            inter[i, I_FIRST] = 1 if at > fl[i, F_QAT] else 0
    elif kind == K_ACCEPTED:
        ag[a, G_OFFERS] -= 1
        ag[a, G_BUSY] += 1
        ok = _update(ag, since, acc, a, at, lo, width)
        fl[i, F_ACC_AT] = at
        b = inter[i, I_BUCKET]
        if b >= 0:
            q = inter[i, I_FQ]
            wait = at - fl[i, F_QAT]
            counts[q, b, C_ANSWERED] += 1
            counts[q, b, C_WAIT] += wait
            if wait <= ff[FF_THRESHOLD]:
                counts[q, b, C_WITHIN] += 1
        if inter[i, I_INWIN] != 0:
            inter[i, I_INWIN] = 0
            wait = at - fl[i, F_QAT]
            _queue_time(qtime, waited, inter[i, I_FQ], fl[i, F_QAT], wait, inter[i, I_FIRST],
                        width)  # fmt: skip
            _histogram(hist, edges, wait)
    elif kind == K_TIMED_OUT:
        ag[a, G_OFFERS] -= 1
        ok = _update(ag, since, acc, a, at, lo, width)
    elif kind == K_COMPLETED:
        ag[a, G_BUSY] -= 1
        if x > at:
            ag[a, G_WRAP] += 1
            ok = _update(ag, since, acc, a, at, lo, width)
            fl[i, F_COMP_AT] = at
        else:
            ok = _update(ag, since, acc, a, at, lo, width)
            b = inter[i, I_BUCKET]
            if b >= 0:
                q = inter[i, I_FQ]
                counts[q, b, C_HANDLED] += 1
                counts[q, b, C_TALK] += at - fl[i, F_ACC_AT]
    elif kind == K_WRAP_ENDED:
        ag[a, G_WRAP] -= 1
        ok = _update(ag, since, acc, a, at, lo, width)
        b = inter[i, I_BUCKET]
        if b >= 0:
            q = inter[i, I_FQ]
            counts[q, b, C_HANDLED] += 1
            counts[q, b, C_TALK] += fl[i, F_COMP_AT] - fl[i, F_ACC_AT]
            counts[q, b, C_WRAP] += at - fl[i, F_COMP_AT]
    elif kind == K_ABANDONED:
        if a >= 0:
            ag[a, G_OFFERS] -= 1
            ok = _update(ag, since, acc, a, at, lo, width)
        b = inter[i, I_BUCKET]
        if b >= 0:
            counts[inter[i, I_FQ], b, C_ABANDONED] += 1
            if at - fl[i, F_QAT] <= ff[FF_THRESHOLD]:
                counts[inter[i, I_FQ], b, C_AB_WITHIN] += 1
        if inter[i, I_INWIN] != 0:
            inter[i, I_INWIN] = 0
            _queue_time(qtime, waited, inter[i, I_FQ], fl[i, F_QAT], at - fl[i, F_QAT],
                        inter[i, I_FIRST], width)  # fmt: skip
    elif kind == K_CALLBACK:
        b = inter[i, I_BUCKET]
        if b >= 0:
            counts[inter[i, I_FQ], b, C_CALLBACKS] += 1
    elif kind == K_EXITED:
        b = inter[i, I_BUCKET]
        if b >= 0 and a < 0:  # ended by the rule (an overflow is counted nowhere here)
            counts[inter[i, I_FQ], b, C_EXITED] += 1
    elif kind == K_OVERDUE:
        b = inter[i, I_BUCKET]
        if b >= 0:
            counts[inter[i, I_FQ], b, C_OVERDUE] += 1
    elif kind == K_LOGIN:
        ag[a, G_PRES] = NOT_READY
        ok = _update(ag, since, acc, a, at, lo, width)
    elif kind == K_READY:
        ag[a, G_PRES] = READY
        ok = _update(ag, since, acc, a, at, lo, width)
    elif kind == K_NOT_READY:
        ag[a, G_PRES] = NOT_READY
        ok = _update(ag, since, acc, a, at, lo, width)
    elif kind == K_LOGOUT:
        ag[a, G_PRES] = LOGGED_OUT
        ok = _update(ag, since, acc, a, at, lo, width)
    return ok


@kernel()
def close_agents(ag: Array, since: Array, acc: Array, n_agents: int, at: float, lo: float,
                 width: float) -> bool:  # fmt: skip
    """The report closes every agent at the window end (``at``: the last event's time)."""
    for a in range(n_agents):
        if not close_status(acc, a, ag[a, G_STATUS], since[a], at, lo, width):
            return False
    return True
