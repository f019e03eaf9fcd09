"""Outbound campaigns in the compiled engine: the dialer's pacing (``ccrouter.sim.pacing``)
and its attempts, as :class:`ccrouter.sim.dialer.CampaignRun` and ``Engine._pace`` do them.

Record ``k`` of a campaign draws its right-party connect, answer time, no-answer time and
handle time from the campaign's four streams (drawn in bulk before the run, as the dialer's
blocks); the pacing reads the packed router state exactly as the engine reads the router's.
"""

from __future__ import annotations

import math
from typing import Any

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
    kernel,
)
from ccrouter.sim.compiled._router import abandon, new_interaction, submit

Any_ = Any
MIN_HIT_RATE = 0.01  # ccrouter.sim.pacing.MIN_HIT_RATE (a test ties them)


@kernel()
def _dialing(s: Any_, p: Any_, i: int, at: float) -> bool:
    s_cs = s.cs
    p_cp_i = p.cp_i
    p_cp_f = p.cp_f
    size = p_cp_i[i, CP_LIST_SIZE]
    inside = p_cp_f[i, CPF_START] <= at < p_cp_f[i, CPF_END]
    return bool(inside and (size < 0 or s_cs[i, CS_NEXT] < size))


@kernel()
def _hit_rate(s: Any_, p: Any_, i: int) -> float:
    s_cs = s.cs
    p_cp_f = p.cp_f
    weight = p_cp_f[i, CPF_WEIGHT]
    prior = p_cp_f[i, CPF_PRIOR]
    total = s_cs[i, CS_ATTEMPTS] + weight
    if total <= 0:
        return float(prior)
    return float((s_cs[i, CS_CONNECTS] + weight * prior) / total)


@kernel()
def _wanted(s: Any_, p: Any_, i: int, free: int, busy: int, waiting: int) -> int:
    s_gain = s.gain
    s_cs = s.cs
    p_cp_i = p.cp_i
    p_cp_f = p.cp_f
    reserve = p_cp_i[i, CP_RESERVE]
    progressive = max(0, free - waiting - reserve)
    if p_cp_i[i, CP_PREDICTIVE] == 0:
        lines = progressive
    else:
        d = p_cp_f[i, CPF_CONNECT_DELAY]
        h = p_cp_f[i, CPF_HANDLE_TIME]
        if busy <= 0:
            soon = 0.0
        elif h <= 0:
            soon = float(busy)
        else:
            soon = busy * min(1.0, d / h)
        available = max(0.0, free + soon - waiting - reserve)
        hit = max(MIN_HIT_RATE, _hit_rate(s, p, i))
        gain = math.exp(s_gain[i])
        lines = math.floor(gain * available / hit + 1e-9)
        cap = math.ceil(p_cp_f[i, CPF_MAX_LINES] * (free + busy))
        lines = max(0, min(cap, max(lines, progressive)))
    n = max(0, lines - s_cs[i, CS_IN_FLIGHT])
    size = p_cp_i[i, CP_LIST_SIZE]
    return int(n if size < 0 else min(n, size - s_cs[i, CS_NEXT]))


@kernel()
def pace(s: Any_, p: Any_, at: float) -> None:
    """``Engine._pace``: place the dials each campaign's pacing asks for now."""
    s_act_n = s.act_n
    s_act = s.act
    s_ag = s.A
    s_use = s.use
    s_q_wait = s.q_wait
    s_cs = s.cs
    s_cnt = s.cnt
    s_dial_t = s.dial_t
    s_dial_c = s.dial_c
    p_cp_i = p.cp_i
    p_cp_serves = p.cp_serves
    p_ag_cap = p.ag_cap
    p_cp_compete = p.cp_compete
    p_cp_rpc = p.cp_rpc
    p_cp_f = p.cp_f
    p_cp_answer = p.cp_answer
    p_cp_no_answer = p.cp_no_answer
    for i in range(p_cp_i.shape[0]):
        if not _dialing(s, p, i, at):
            continue
        ch = p_cp_i[i, CP_CHANNEL]
        free = 0
        busy = 0
        for g in range(p_cp_serves.shape[1]):
            if p_cp_serves[i, g] == 0:
                continue
            for j in range(s_act_n[g]):
                a = s_act[g, j]
                if s_ag[a, A_PRES] == P_READY:
                    if p_ag_cap[s_ag[a, A_GROUP], ch] - s_use[a, ch] > 0:
                        free += 1
                    else:
                        busy += 1
        waiting = 0
        for q in range(p_cp_compete.shape[1]):
            if p_cp_compete[i, q] != 0:
                waiting += s_q_wait[q]
        for _ in range(_wanted(s, p, i, free, busy, waiting)):
            k = s_cs[i, CS_NEXT]
            if k >= p_cp_rpc.shape[1]:
                s_cnt[N_FLAG] = OV_DIALS
                return
            s_cs[i, CS_NEXT] = k + 1
            s_cs[i, CS_IN_FLIGHT] += 1
            connected = p_cp_rpc[i, k] < p_cp_f[i, CPF_RPC]
            s_dial_t[i, k] = at
            s_dial_c[i, k] = 1 if connected else 0
            delay = p_cp_answer[i, k] if connected else p_cp_no_answer[i, k]
            schedule(s, at + delay, C_DIAL_END, i, k)


@kernel()
def connect_ended(s: Any_, p: Any_, i: int, abandoned: bool) -> None:
    """The abandon controller observes one connect (predictive pacing only)."""
    s_gain = s.gain
    p_cp_i = p.cp_i
    p_cp_f = p.cp_f
    if p_cp_i[i, CP_PREDICTIVE] == 0:
        return
    error = p_cp_f[i, CPF_TARGET] - (1.0 if abandoned else 0.0)
    low = p_cp_f[i, CPF_LOW]
    high = p_cp_f[i, CPF_HIGH]
    s_gain[i] = min(high, max(low, s_gain[i] + p_cp_f[i, CPF_STEP] * error))


@kernel()
def dial_end(s: Any_, p: Any_, at: float, i: int, k: int) -> None:
    """``Engine._attempt_ended``: a right-party connect is submitted to the campaign's queue."""
    s_dial_c = s.dial_c
    s_cs = s.cs
    p_ct_i = p.ct_i
    p_cp_i = p.cp_i
    p_cp_f = p.cp_f
    connected = s_dial_c[i, k] != 0
    s_cs[i, CS_IN_FLIGHT] -= 1
    s_cs[i, CS_ATTEMPTS] += 1
    if connected:
        s_cs[i, CS_CONNECTS] += 1
    else:
        return
    c = p_ct_i.shape[0] + i
    n = new_interaction(
        s, p, c, k, 0, p_cp_i[i, CP_QUEUE], p_cp_i[i, CP_GROUP], p_cp_f[i, CPF_PRIORITY]
    )
    if n < 0:
        return
    schedule(s, at + p_cp_f[i, CPF_GRACE], C_GRACE, n, 0)
    submit(s, p, n, at)


@kernel()
def grace_over(s: Any_, p: Any_, at: float, n: int) -> None:
    """A connect still queued after the grace time is dropped (an outbound abandon)."""
    s_inter = s.I
    p_ct_i = p.ct_i
    if s_inter[n, I_STATUS] == S_QUEUED:
        connect_ended(s, p, s_inter[n, I_TYPE] - p_ct_i.shape[0], True)
        abandon(s, p, n, at)
