"""The compiled run loop: the simulator's calendar and customers around the compiled router.

Mirrors :class:`ccrouter.sim.engine.Engine` step for step: the loop takes the earlier of the
calendar's next action and the router's next timer (the timer first on a tie, as
``Engine.run``), runs it as the router command the engine would issue, then reacts to the
events of that step in order (``Engine._react``): a completion is scheduled after an
accept, a ring delay drawn after an offer, a retrial after an abandon, a recovery after a
ring-no-answer, a leaving agent logged out once its work is done.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba.np.random.generator_core import next_uint32
from numba.np.random.random_methods import (
    bounded_lemire_uint64,
    buffered_bounded_lemire_uint32,
)

from ccrouter.sim.compiled._dialer import connect_ended, dial_end, grace_over, pace
from ccrouter.sim.compiled._fold import close_agents
from ccrouter.sim.compiled._heaps import cal_pop, pins, schedule, sort_prefix, tim_pop
from ccrouter.sim.compiled._layout import (
    A_GROUP,
    A_LEAVE,
    A_PRES,
    A_REASON,
    A_WORK,
    C_ACCEPT,
    C_ARRIVE,
    C_BREAK,
    C_BREAK_END,
    C_CALLBACK,
    C_CAMPAIGN,
    C_COMPLETE,
    C_DIAL_END,
    C_GRACE,
    C_LEAVE,
    C_LOGIN,
    C_PATIENCE,
    C_RECOVER,
    C_RETRY,
    C_STAFF,
    CT_CALLBACK,
    CT_GROUP,
    CT_N,
    CT_OFFSET,
    CT_PATIENCE,
    CT_QUEUE,
    CT_RETRIAL_DELAY,
    CTF_CB_ACCEPT,
    CTF_CB_AFTER,
    CTF_PRIORITY,
    CTF_RETRIAL_P,
    D_DETERMINISTIC,
    D_EMPIRICAL,
    D_EXPONENTIAL,
    D_GAMMA,
    D_LOGNORMAL,
    FF_LO,
    FF_WIDTH,
    I_ATTEMPT,
    I_CB,
    I_K,
    I_OFFSEQ,
    I_PINS,
    I_STATUS,
    I_TYPE,
    K_ABANDONED,
    K_ACCEPTED,
    K_COMPLETED,
    K_EXITED,
    K_NOT_READY,
    K_OFFERED,
    K_WRAP_ENDED,
    N_AGENTS,
    N_BASE,
    N_CAL,
    N_CUSTOMERS,
    N_EV,
    N_FLAG,
    N_KEEP,
    N_LEAVE_CTR,
    N_TIM,
    OV_AGENTS,
    OV_BUCKETS,
    OV_CALLBACKS,
    P_NOT_READY,
    P_OUT,
    R_BREAK,
    R_NO_ANSWER,
    R_SHIFT_END,
    S_OFFERED,
    S_QUEUED,
    SF_LAST,
    kernel,
)
from ccrouter.sim.compiled._router import (
    abandon,
    accept,
    complete,
    login,
    logout,
    maybe_free,
    new_interaction,
    not_ready,
    ready,
    request_callback,
    submit,
)
from ccrouter.sim.compiled._timers import fire

Any_ = Any
RONA_RECOVERY = 60.0  # ccrouter.sim.engine.RONA_RECOVERY (a test ties them)


@kernel()
def _integer(rng: Any_, n: int) -> int:
    """``rng.integers(0, n)`` (``n >= 1``) without the one-element array Numba's own allocates:
    its size-one branch of ``random_bounded_uint64_fill``, the same draws."""
    span = np.int64(n - 1)  # int64 0 .. n - 1, as ``integers`` makes ``high`` inclusive
    if span == 0:
        return 0
    bitgen = rng.bit_generator
    if span <= 0xFFFFFFFF:
        if span == 0xFFFFFFFF:
            return int(np.int64(next_uint32(bitgen)))  # type: ignore[no-untyped-call]
        draw = buffered_bounded_lemire_uint32(bitgen, span)  # type: ignore[no-untyped-call]
        return int(np.int64(draw))
    return int(np.int64(bounded_lemire_uint64(bitgen, span)))  # type: ignore[no-untyped-call]


@kernel()
def sample(p: Any_, d: int, rng: Any_) -> float:
    """One draw of distribution ``d`` from ``rng``: ``distributions.sample(dist, rng, 1)[0]``."""
    p_d_kind = p.d_kind
    p_d_a = p.d_a
    p_d_b = p.d_b
    p_emp = p.emp
    p_d_off = p.d_off
    p_d_len = p.d_len
    kind = p_d_kind[d]
    if kind == D_EXPONENTIAL:
        return float(rng.exponential(p_d_a[d]))
    if kind == D_LOGNORMAL:
        return float(rng.lognormal(p_d_a[d], p_d_b[d]))
    if kind == D_GAMMA:
        return float(rng.gamma(p_d_a[d], p_d_b[d]))
    if kind == D_DETERMINISTIC:
        return float(p_d_a[d])
    if kind == D_EMPIRICAL:
        return float(p_emp[p_d_off[d] + _integer(rng, p_d_len[d])])
    return float(rng.uniform(p_d_a[d], p_d_b[d]))


@kernel(inline="always")  # run-loop only: inlined, no call copies the state
def _arrive(s: Any_, p: Any_, at: float, c: int, k: int, attempt: int, rng_retry: Any_) -> None:
    """``Engine._arrive``: a first call (attempt 0) or a retrial."""
    s_cnt = s.cnt
    s_cb_ptr = s.cb_ptr
    p_ct_i = p.ct_i
    p_ct_f = p.ct_f
    p_arr_t = p.arr_t
    p_arr_p = p.arr_p
    p_cb_u = p.cb_u
    i = new_interaction(
        s, p, c, k, attempt, p_ct_i[c, CT_QUEUE], p_ct_i[c, CT_GROUP], p_ct_f[c, CTF_PRIORITY]
    )
    if i < 0:
        return
    wait = np.nan
    if attempt == 0:
        s_cnt[N_CUSTOMERS] += 1
        if k + 1 < p_ct_i[c, CT_N]:
            schedule(s, p_arr_t[p_ct_i[c, CT_OFFSET] + k + 1], C_ARRIVE, c, k + 1)
        if p_ct_i[c, CT_PATIENCE] >= 0:
            wait = p_arr_p[p_ct_i[c, CT_OFFSET] + k]
    else:
        wait = sample(p, p_ct_i[c, CT_PATIENCE], rng_retry)
    if not np.isnan(wait):
        schedule(s, at + wait, C_PATIENCE, i, 0)
    if p_ct_i[c, CT_CALLBACK] != 0:
        j = s_cb_ptr[c]
        if j >= p_cb_u.shape[1]:
            s_cnt[N_FLAG] = OV_CALLBACKS
            return
        s_cb_ptr[c] = j + 1
        takes = 1 if p_cb_u[c, j] < p_ct_f[c, CTF_CB_ACCEPT] else 0
        schedule(s, at + p_ct_f[c, CTF_CB_AFTER], C_CALLBACK, i, takes)
    submit(s, p, i, at)


@kernel()
def _activate(s: Any_, g: int, a: int) -> None:
    s_act = s.act
    s_act_n = s.act_n
    s_act[g, s_act_n[g]] = a
    s_act_n[g] += 1


@kernel(inline="always")  # inlined: no call copies the state
def _clean_timers(s: Any_) -> None:
    """Drop cancelled timers from the top of the router's timer heap."""
    s_cnt = s.cnt
    s_tim_i = s.tim_i
    s_it_seq = s.it_seq
    s_tim_t = s.tim_t
    while s_cnt[N_TIM] > 0:
        slot = s_tim_i[0, 2]
        i = s_tim_i[0, 3]
        if s_it_seq[i, slot] == s_tim_i[0, 0]:
            return
        tim_pop(s_tim_t, s_tim_i, s_cnt, N_TIM)


@kernel(inline="always")  # inlined: no call copies the state
def _fire_due(s: Any_, p: Any_, at: float) -> None:
    """Fire every router timer due by ``at`` (``core.fire_due_timers``): what a command
    made due fires with it, before the next command (a flag stops it)."""
    s_cnt = s.cnt
    s_tim_t = s.tim_t
    s_tim_i = s.tim_i
    _clean_timers(s)
    while s_cnt[N_TIM] > 0 and s_tim_t[0] <= at:
        due = s_tim_t[0]
        slot = s_tim_i[0, 2]
        i = s_tim_i[0, 3]
        tim_pop(s_tim_t, s_tim_i, s_cnt, N_TIM)
        fire(s, p, slot, i, due)
        if s_cnt[N_FLAG] != 0:
            return
        _clean_timers(s)


@kernel()
def _leave(s: Any_, p: Any_, a: int, at: float) -> None:
    """``Engine._leave``: no new work; log out now or once the work in hand is done."""
    s_ag = s.A
    s_cnt = s.cnt
    not_ready(s, p, a, R_SHIFT_END, at)
    if s_ag[a, A_WORK] > 0:
        s_cnt[N_LEAVE_CTR] += 1
        s_ag[a, A_LEAVE] = s_cnt[N_LEAVE_CTR]
    else:
        logout(s, p, a, at)


@kernel()
def _staff(s: Any_, p: Any_, g: int, target: int, at: float) -> None:
    """``Engine._staff``: leaving agents come back first (in the order they started to
    leave), then new agents log in; extra agents leave, the last activated first."""
    s_cnt = s.cnt
    s_ag = s.A
    s_buf = s.buf
    s_act_n = s.act_n
    s_act = s.act
    c = 0
    for a in range(s_cnt[N_AGENTS]):
        if s_ag[a, A_GROUP] == g and s_ag[a, A_LEAVE] >= 0:
            s_buf[c] = s_ag[a, A_LEAVE]
            c += 1
    if c > 0:
        sort_prefix(s_buf, c)
        for j in range(c):
            if s_act_n[g] >= target:
                break
            for a in range(s_cnt[N_AGENTS]):
                if s_ag[a, A_GROUP] == g and s_ag[a, A_LEAVE] == s_buf[j]:
                    s_ag[a, A_LEAVE] = -1
                    _activate(s, g, a)
                    ready(s, p, a, at)
                    break
    while s_act_n[g] < target:
        a = s_cnt[N_AGENTS]
        if a >= s_ag.shape[0]:
            s_cnt[N_FLAG] = OV_AGENTS
            return
        s_cnt[N_AGENTS] = a + 1
        s_ag[a, A_GROUP] = g
        _activate(s, g, a)
        login(s, p, a, at)
        ready(s, p, a, at)
    while s_act_n[g] > target:
        s_act_n[g] -= 1
        _leave(s, p, s_act[g, s_act_n[g]], at)
        # Each logout is a command of its own: a max_wait_no_agents of 0 it made due
        # fires before the next agent leaves.
        _fire_due(s, p, at)


@kernel(inline="always")  # run-loop only: inlined, no call copies the state
def _action(s: Any_, p: Any_, at: float, kind: int, a: int, b: int, rng_retry: Any_) -> None:
    """``Engine._handle_action``."""
    s_inter = s.I
    s_ag = s.A
    s_act_n = s.act_n
    s_act = s.act
    if kind == C_ARRIVE:
        _arrive(s, p, at, a, b, 0, rng_retry)
    elif kind == C_COMPLETE:
        complete(s, p, a, at)
    elif kind == C_ACCEPT:
        if s_inter[a, I_STATUS] == S_OFFERED and s_inter[a, I_OFFSEQ] == b:
            accept(s, p, a, at)
    elif kind == C_PATIENCE:
        status = s_inter[a, I_STATUS]
        if (status == S_QUEUED or status == S_OFFERED) and s_inter[a, I_CB] == 0:  # noqa: SIM109
            abandon(s, p, a, at)
    elif kind == C_CALLBACK:
        if s_inter[a, I_STATUS] == S_QUEUED and s_inter[a, I_CB] == 0 and b != 0:
            request_callback(s, a, at)
    elif kind == C_RETRY:
        _arrive(s, p, at, s_inter[a, I_TYPE], s_inter[a, I_K], s_inter[a, I_ATTEMPT] + 1, rng_retry)
    elif kind == C_DIAL_END:
        dial_end(s, p, at, a, b)
    elif kind == C_GRACE:
        grace_over(s, p, at, a)
    elif kind == C_CAMPAIGN:
        return  # the window opens: the pacing after this step places the first dials
    elif kind == C_STAFF:
        _staff(s, p, a, b, at)
    elif kind == C_LOGIN:
        _activate(s, b, a)
        login(s, p, a, at)
        ready(s, p, a, at)
    else:
        if s_ag[a, A_PRES] == P_OUT or s_ag[a, A_LEAVE] >= 0:
            return
        if kind == C_BREAK:
            not_ready(s, p, a, R_BREAK, at)
        elif kind == C_BREAK_END:
            ready(s, p, a, at)
        elif kind == C_RECOVER:
            if s_ag[a, A_REASON] == R_NO_ANSWER:
                ready(s, p, a, at)
        elif kind == C_LEAVE:
            g = s_ag[a, A_GROUP]
            n = s_act_n[g]
            for j in range(n):
                if s_act[g, j] == a:
                    for m in range(j, n - 1):
                        s_act[g, m] = s_act[g, m + 1]
                    s_act_n[g] = n - 1
                    break
            _leave(s, p, a, at)


@kernel(inline="always")  # run-loop only: inlined, no call copies the state
def _react_one(s: Any_, p: Any_, seq: int, rng_retry: Any_, rng_ring: Any_) -> int:
    """``Engine._react`` for the record of event ``seq``; the leaving agent whose last work
    this event ended (-1: none), to be logged out by the caller."""
    s_inter = s.I
    s_ag = s.A
    p_ct_i = p.ct_i
    n_types = p_ct_i.shape[0]
    e = seq - 1 - s.cnt[N_BASE]  # the record of event ``seq`` in the buffer
    kind = s.rk[e]
    at = s.rt[e]
    out = -1
    if kind == K_ACCEPTED:
        i = s.ri[e]
        c = s_inter[i, I_TYPE]
        if c >= n_types:  # a connect: the dialer's record k
            connect_ended(s, p, c - n_types, False)
            talk = p.cp_handle[c - n_types, s_inter[i, I_K]]
        else:
            talk = p.arr_h[p_ct_i[c, CT_OFFSET] + s_inter[i, I_K]]
        schedule(s, at + talk, C_COMPLETE, i, 0)
    elif kind == K_OFFERED:
        if not p.auto_accept:
            wait = 0.0
            # A connect is put through to the agent by the dialer: no ringing.
            if p.ring_dist >= 0 and s_inter[s.ri[e], I_TYPE] < n_types:
                wait = sample(p, p.ring_dist, rng_ring)
            schedule(s, at + wait, C_ACCEPT, s.ri[e], seq)
    elif kind == K_COMPLETED or kind == K_WRAP_ENDED:  # noqa: SIM109
        a = s.ra[e]
        leaving = s_ag[a, A_LEAVE] >= 0 and (kind == K_WRAP_ENDED or s.rx[e] <= at)
        if leaving and s_ag[a, A_WORK] == 0:
            s_ag[a, A_LEAVE] = -1
            out = a
        maybe_free(s, s.ri[e])
    elif kind == K_ABANDONED:
        i = s.ri[e]
        c = s_inter[i, I_TYPE]
        if c < n_types:
            prob = p.ct_f[c, CTF_RETRIAL_P]
            if prob > 0.0 and p_ct_i[c, CT_PATIENCE] >= 0 and rng_retry.random() < prob:
                delay = sample(p, p_ct_i[c, CT_RETRIAL_DELAY], rng_retry)
                schedule(s, at + delay, C_RETRY, i, 0)
        maybe_free(s, i)
    elif kind == K_EXITED:
        if s.ra[e] < 0:  # ended (an overflow waits on)
            maybe_free(s, s.ri[e])
    elif kind == K_NOT_READY and int(s.rx[e]) == R_NO_ANSWER:
        schedule(s, at + RONA_RECOVERY, C_RECOVER, s.ra[e], 0)
    return out


@kernel(inline="always")  # run-loop only: inlined, no call copies the state
def _react(s: Any_, p: Any_, start: int, end: int, rng_retry: Any_, rng_ring: Any_) -> None:
    """``Engine._react`` over the records ``start:end`` (the step's events, in order). A
    leaving agent whose last work ended logs out at once (``Engine._try_logout``): a command
    of its own, which fires the timers it made due (``max_wait_no_agents`` of 0) and whose
    events are reacted to before the rest of the step's."""
    for seq in range(start + 1, end + 1):
        a = _react_one(s, p, seq, rng_retry, rng_ring)
        if a >= 0:
            before = s.cnt[N_EV]
            at = s.rt[seq - 1 - s.cnt[N_BASE]]
            logout(s, p, a, at)
            _fire_due(s, p, at)
            for nested in range(before + 1, s.cnt[N_EV] + 1):
                # (a logout's events end no agent's work: no logout nests in these)
                _react_one(s, p, nested, rng_retry, rng_ring)


@kernel()
def run_loop(s: Any_, p: Any_, rng_retry: Any_, rng_ring: Any_) -> int:
    """Run the whole replication; 0 when done, else the overflow flag (``OV_*``)."""
    s_cnt = s.cnt
    s_cal_t = s.cal_t
    s_tim_t = s.tim_t
    s_cal_i = s.cal_i
    p_init_t = p.init_t
    p_init_i = p.init_i
    p_cp_i = p.cp_i
    for j in range(p_init_t.shape[0]):
        schedule(s, p_init_t[j], p_init_i[j, 0], p_init_i[j, 1], p_init_i[j, 2])
    dialer = p_cp_i.shape[0] > 0
    keep = s_cnt[N_KEEP] != 0
    while True:
        _clean_timers(s)
        start = s_cnt[N_EV]
        if not keep:
            s_cnt[N_BASE] = start  # only this step's records are needed (by ``_react``)
        kind = -1
        at = 0.0
        pinned = -1
        have_timer = s_cnt[N_TIM] > 0
        if s_cnt[N_CAL] > 0 and (not have_timer or s_cal_t[0] < s_tim_t[0]):
            at = s_cal_t[0]
            kind = s_cal_i[0, 1]
            a = s_cal_i[0, 2]
            b = s_cal_i[0, 3]
            cal_pop(s_cal_t, s_cal_i, s_cnt, N_CAL)
            if pins(kind):
                pinned = a
            _action(s, p, at, kind, a, b, rng_retry)
            if s_cnt[N_FLAG] != 0:
                return int(s_cnt[N_FLAG])
        elif have_timer:
            at = s_tim_t[0]
        else:
            break
        # ``Router.advance(at)`` fires every timer due by ``at``, and a command ends by
        # firing those it made due (``core.execute``), all in the same step.
        _fire_due(s, p, at)
        if s_cnt[N_FLAG] != 0:
            return int(s_cnt[N_FLAG])
        end = s_cnt[N_EV]
        _react(s, p, start, end, rng_retry, rng_ring)
        if dialer and (end > start or kind == C_CAMPAIGN or kind == C_DIAL_END or kind == C_GRACE):  # noqa: SIM109
            pace(s, p, at)
        if pinned >= 0:  # after ``_react``, which may still read the slot or pin it again
            s.I[pinned, I_PINS] -= 1
            maybe_free(s, pinned)
        if s_cnt[N_FLAG] != 0:
            return int(s_cnt[N_FLAG])
    if s_cnt[N_EV] > 0 and not close_agents(
        s.fag, s.since, s.acc, s_cnt[N_AGENTS], s.sf[SF_LAST], s.ff[FF_LO], s.ff[FF_WIDTH]
    ):
        return OV_BUCKETS
    return 0


__all__ = ["P_NOT_READY", "run_loop"]
