"""Outbound campaigns in the compiled engine: the dialer's pacing (``ccrouter.sim.pacing``)
and its attempts, as :class:`ccrouter.sim.dialer.CampaignRun` and ``Engine._pace`` do them.

Record ``k`` of a campaign draws its right-party connect, answer time, no-answer time and
handle time from the campaign's four streams (drawn in bulk before the run, as the dialer's
blocks); the pacing reads the packed router state exactly as the engine reads the router's.
"""

from __future__ import annotations

import math
from typing import Any

import numba

from ccrouter.sim.compiled._heaps import schedule
from ccrouter.sim.compiled._layout import (
    A_GROUP,
    A_PRES,
    C_DIAL_END,
    C_GRACE,
    CP_CHANNEL,
    CP_GROUP,
    CP_LIST_SIZE,
    CP_PREDICTIVE,
    CP_QUEUE,
    CP_RESERVE,
    CPF_CONNECT_DELAY,
    CPF_END,
    CPF_GRACE,
    CPF_HANDLE_TIME,
    CPF_HIGH,
    CPF_LOW,
    CPF_MAX_LINES,
    CPF_PRIOR,
    CPF_PRIORITY,
    CPF_RPC,
    CPF_START,
    CPF_STEP,
    CPF_TARGET,
    CPF_WEIGHT,
    CS_ATTEMPTS,
    CS_CONNECTS,
    CS_IN_FLIGHT,
    CS_NEXT,
    I_STATUS,
    I_TYPE,
    N_FLAG,
    OV_DIALS,
    P_READY,
    S_QUEUED,
)
from ccrouter.sim.compiled._router import abandon, new_interaction, submit

Any_ = Any
MIN_HIT_RATE = 0.01  # ccrouter.sim.pacing.MIN_HIT_RATE (a test ties them)


@numba.njit(cache=True)
def _dialing(s: Any_, p: Any_, i: int, at: float) -> bool:
    size = p.cp_i[i, CP_LIST_SIZE]
    inside = p.cp_f[i, CPF_START] <= at < p.cp_f[i, CPF_END]
    return bool(inside and (size < 0 or s.cs[i, CS_NEXT] < size))


@numba.njit(cache=True)
def _hit_rate(s: Any_, p: Any_, i: int) -> float:
    weight = p.cp_f[i, CPF_WEIGHT]
    prior = p.cp_f[i, CPF_PRIOR]
    total = s.cs[i, CS_ATTEMPTS] + weight
    if total <= 0:
        return float(prior)
    return float((s.cs[i, CS_CONNECTS] + weight * prior) / total)


@numba.njit(cache=True)
def _wanted(s: Any_, p: Any_, i: int, free: int, busy: int, waiting: int) -> int:
    reserve = p.cp_i[i, CP_RESERVE]
    progressive = max(0, free - waiting - reserve)
    if p.cp_i[i, CP_PREDICTIVE] == 0:
        lines = progressive
    else:
        d = p.cp_f[i, CPF_CONNECT_DELAY]
        h = p.cp_f[i, CPF_HANDLE_TIME]
        if busy <= 0:
            soon = 0.0
        elif h <= 0:
            soon = float(busy)
        else:
            soon = busy * min(1.0, d / h)
        available = max(0.0, free + soon - waiting - reserve)
        hit = max(MIN_HIT_RATE, _hit_rate(s, p, i))
        gain = math.exp(s.gain[i])
        lines = math.floor(gain * available / hit + 1e-9)
        cap = math.ceil(p.cp_f[i, CPF_MAX_LINES] * (free + busy))
        lines = max(0, min(cap, max(lines, progressive)))
    n = max(0, lines - s.cs[i, CS_IN_FLIGHT])
    size = p.cp_i[i, CP_LIST_SIZE]
    return int(n if size < 0 else min(n, size - s.cs[i, CS_NEXT]))


@numba.njit(cache=True)
def pace(s: Any_, p: Any_, at: float) -> None:
    """``Engine._pace``: place the dials each campaign's pacing asks for now."""
    for i in range(p.cp_i.shape[0]):
        if not _dialing(s, p, i, at):
            continue
        ch = p.cp_i[i, CP_CHANNEL]
        free = 0
        busy = 0
        for g in range(p.cp_serves.shape[1]):
            if p.cp_serves[i, g] == 0:
                continue
            for j in range(s.act_n[g]):
                a = s.act[g, j]
                if s.A[a, A_PRES] == P_READY:
                    if p.ag_cap[s.A[a, A_GROUP], ch] - s.use[a, ch] > 0:
                        free += 1
                    else:
                        busy += 1
        waiting = 0
        for q in range(p.cp_compete.shape[1]):
            if p.cp_compete[i, q] != 0:
                waiting += s.q_wait[q]
        for _ in range(_wanted(s, p, i, free, busy, waiting)):
            k = s.cs[i, CS_NEXT]
            if k >= p.cp_rpc.shape[1]:
                s.cnt[N_FLAG] = OV_DIALS
                return
            s.cs[i, CS_NEXT] = k + 1
            s.cs[i, CS_IN_FLIGHT] += 1
            connected = p.cp_rpc[i, k] < p.cp_f[i, CPF_RPC]
            s.dial_t[i, k] = at
            s.dial_c[i, k] = 1 if connected else 0
            delay = p.cp_answer[i, k] if connected else p.cp_no_answer[i, k]
            schedule(s, at + delay, C_DIAL_END, i, k)


@numba.njit(cache=True)
def connect_ended(s: Any_, p: Any_, i: int, abandoned: bool) -> None:
    """The abandon controller observes one connect (predictive pacing only)."""
    if p.cp_i[i, CP_PREDICTIVE] == 0:
        return
    error = p.cp_f[i, CPF_TARGET] - (1.0 if abandoned else 0.0)
    low = p.cp_f[i, CPF_LOW]
    high = p.cp_f[i, CPF_HIGH]
    s.gain[i] = min(high, max(low, s.gain[i] + p.cp_f[i, CPF_STEP] * error))


@numba.njit(cache=True)
def dial_end(s: Any_, p: Any_, at: float, i: int, k: int) -> None:
    """``Engine._attempt_ended``: a right-party connect is submitted to the campaign's queue."""
    connected = s.dial_c[i, k] != 0
    s.cs[i, CS_IN_FLIGHT] -= 1
    s.cs[i, CS_ATTEMPTS] += 1
    if connected:
        s.cs[i, CS_CONNECTS] += 1
    else:
        return
    c = p.ct_i.shape[0] + i
    n = new_interaction(
        s, p, c, k, 0, p.cp_i[i, CP_QUEUE], p.cp_i[i, CP_GROUP], p.cp_f[i, CPF_PRIORITY]
    )
    if n < 0:
        return
    schedule(s, at + p.cp_f[i, CPF_GRACE], C_GRACE, n, 0)
    submit(s, p, n, at)


@numba.njit(cache=True)
def grace_over(s: Any_, p: Any_, at: float, n: int) -> None:
    """A connect still queued after the grace time is dropped (an outbound abandon)."""
    if s.I[n, I_STATUS] == S_QUEUED:
        connect_ended(s, p, s.I[n, I_TYPE] - p.ct_i.shape[0], True)
        abandon(s, p, n, at)
