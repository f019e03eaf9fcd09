"""The router's timers, compiled: what each does when it falls due (``core._TIMERS``).

Offer expiry, the end of wrap-up and the queue policies' timers (``engine.policies``):
``max_wait`` and ``max_wait_no_agents`` exits, ``callback_after``, widening steps, deadline
reminders and overdue escalation. Each writes the events the router's handler records and
then routes the interaction, as :func:`ccrouter.engine.core._policy_timer` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ccrouter.sim.compiled._layout import (
    A_MISSES,
    A_PRES,
    A_REASON,
    EXIT_MAX_WAIT,
    EXIT_NO_AGENTS,
    F_PRIORITY,
    I_AGENT,
    I_DECL,
    I_GROUP,
    I_OVERDUE,
    I_QUEUE,
    I_REMINDED,
    I_STATUS,
    I_STEP,
    K_CALLBACK,
    K_NOT_READY,
    K_OVERDUE,
    K_REMINDED,
    K_STEPPED,
    K_TIMED_OUT,
    K_WRAP_ENDED,
    N_DECL,
    N_FLAG,
    N_TIMERS,
    OV_DECLINED,
    P_NOT_READY,
    P_READY,
    Q_OVERDUE_Q,
    QF_OVERDUE_PRIORITY,
    R_NO_ANSWER,
    S_QUEUED,
    T_CALLBACK,
    T_EMPTY,
    T_EXIT,
    T_OFFER,
    T_REMIND,
    T_STEP,
    T_WRAP,
    TIMER_RANK,
    kernel,
)
from ccrouter.sim.compiled._router import (
    anyone,
    arm,
    callback_now,
    cancel_timer,
    declined,
    dequeue,
    disarm,
    emit,
    enqueue,
    exit_now,
    release,
    route_interaction,
    sync,
    take_work,
)

Any_ = Any


@kernel()
def offer_expired(s: Any_, p: Any_, i: int, due: float) -> None:
    s_inter = s.I
    s_cnt = s.cnt
    s_decl_agent = s.decl_agent
    s_decl_next = s.decl_next
    s_ag = s.A
    s_q_wait = s.q_wait
    p_g_channel = p.g_channel
    p_max_no_answer = p.max_no_answer
    a = s_inter[i, I_AGENT]
    seq = emit(s, K_TIMED_OUT, due, i, a, np.nan)
    cancel_timer(s, T_OFFER, i)
    s_inter[i, I_STATUS] = S_QUEUED
    s_inter[i, I_AGENT] = -1
    if not declined(s, i, a):
        n = s_cnt[N_DECL]
        if n < s_decl_agent.shape[0]:
            s_decl_agent[n] = a
            s_decl_next[n] = -1
            # appended at the tail (the router's declined_by is oldest first)
            j = s_inter[i, I_DECL]
            if j < 0:
                s_inter[i, I_DECL] = n
            else:
                while s_decl_next[j] >= 0:
                    j = s_decl_next[j]
                s_decl_next[j] = n
            s_cnt[N_DECL] = n + 1
        else:
            s_cnt[N_FLAG] = OV_DECLINED
    s_ag[a, A_MISSES] += 1
    release(s, p, a, p_g_channel[s_inter[i, I_GROUP]], due)
    enqueue(s, p, i)
    s_q_wait[s_inter[i, I_QUEUE]] += 1
    arm(s, p, i, due, seq)
    if s_ag[a, A_MISSES] >= p_max_no_answer and s_ag[a, A_PRES] == P_READY:
        emit(s, K_NOT_READY, due, -1, a, float(R_NO_ANSWER))
        s_ag[a, A_PRES] = P_NOT_READY
        s_ag[a, A_REASON] = R_NO_ANSWER
        sync(s, p, a)
    fire_own_policy_timers(s, p, i, due)
    route_interaction(s, p, i, due)
    take_work(s, p, a, due)


@kernel()
def fire_own_policy_timers(s: Any_, p: Any_, i: int, at: float) -> None:
    """``core._fire_own_policy_timers``: back in its queue from a missed offer, ``i``'s
    policy timers due by ``at`` fire before anyone is offered it, earliest first (by due
    time, seq and kind, as the router's timers), each with the ones it sets in turn."""
    s_it_seq = s.it_seq
    s_it_due = s.it_due
    while True:
        best = -1
        bd = 0.0
        bs = 0
        br = 0
        for slot in range(N_TIMERS):
            if slot in (T_OFFER, T_WRAP):
                continue
            seq = s_it_seq[i, slot]
            if seq < 0 or s_it_due[i, slot] > at:
                continue
            due = s_it_due[i, slot]
            rank = TIMER_RANK[slot]
            if best < 0 or due < bd or (due == bd and (seq < bs or (seq == bs and rank < br))):
                best, bd, bs, br = slot, due, seq, rank
        if best < 0:
            return
        fire_policy(s, p, best, i, bd)


@kernel()
def wrap_over(s: Any_, p: Any_, i: int, due: float) -> None:
    s_inter = s.I
    p_g_channel = p.g_channel
    a = s_inter[i, I_AGENT]
    emit(s, K_WRAP_ENDED, due, i, a, np.nan)
    cancel_timer(s, T_WRAP, i)
    release(s, p, a, p_g_channel[s_inter[i, I_GROUP]], due)
    take_work(s, p, a, due)


@kernel()
def remind(s: Any_, p: Any_, i: int, due: float) -> None:
    s_inter = s.I
    p_q_rem = p.q_rem
    q = s_inter[i, I_QUEUE]
    seq = emit(s, K_REMINDED, due, i, -1, p_q_rem[q, s_inter[i, I_REMINDED]])
    cancel_timer(s, T_REMIND, i)
    s_inter[i, I_REMINDED] += 1
    arm(s, p, i, due, seq)
    route_interaction(s, p, i, due)


@kernel()
def overdue(s: Any_, p: Any_, i: int, due: float) -> None:
    """The deadline passed: priority points added and, if the queue has an
    ``overdue_queue``, a move there (it keeps its age; the new queue's groups and steps)."""
    s_inter = s.I
    s_fl = s.F
    q = s_inter[i, I_QUEUE]
    priority = s_fl[i, F_PRIORITY] + p.q_f[q, QF_OVERDUE_PRIORITY]
    t = p.q_i[q, Q_OVERDUE_Q]
    seq = emit(s, K_OVERDUE, due, i, t, priority)
    dequeue(s, i)
    disarm(s, i)
    s_inter[i, I_OVERDUE] = 1
    s_fl[i, F_PRIORITY] = priority
    if t >= 0:
        s.q_wait[q] -= 1
        s.q_wait[t] += 1
        s_inter[i, I_QUEUE] = t
        s_inter[i, I_STEP] = 0
        s_inter[i, I_GROUP] = p.g_late[s_inter[i, I_GROUP]]
    enqueue(s, p, i)
    arm(s, p, i, due, seq)
    route_interaction(s, p, i, due)


@kernel()
def max_wait_over(s: Any_, p: Any_, i: int, due: float) -> None:
    """The ``max_wait`` timer fired: exit (or overflow), then route in the new queue."""
    exit_now(s, p, i, due, EXIT_MAX_WAIT, True)
    route_interaction(s, p, i, due)


@kernel()
def no_agents_over(s: Any_, p: Any_, i: int, due: float) -> None:
    """``max_wait_no_agents`` ran out with nobody able logged in: exit (or overflow)."""
    exit_now(s, p, i, due, EXIT_NO_AGENTS, True)
    route_interaction(s, p, i, due)


@kernel()
def callback_over(s: Any_, p: Any_, i: int, due: float) -> None:
    """``callback_after`` ran out: the live caller is switched to a callback (automatic)."""
    emit(s, K_CALLBACK, due, i, -1, 1.0)
    callback_now(s, i)
    route_interaction(s, p, i, due)


@kernel()
def stepped(s: Any_, p: Any_, i: int, due: float) -> None:
    """``policies.steps.step_event`` and its event applied: the next widening step of the
    queue widens the requirement (a new waiting group) and/or sets the priority, unless
    it is ``skip_if_nobody`` and nobody logged in could take the widened work."""
    s_inter = s.I
    s_fl = s.F
    q = s_inter[i, I_QUEUE]
    j = s_inter[i, I_STEP]
    g = s_inter[i, I_GROUP]
    wide = p.g_step[g, j]
    skipped = p.q_step_skip[q, j] != 0 and not anyone(s, p, wide)
    priority = s_fl[i, F_PRIORITY]
    if not skipped and not np.isnan(p.q_step_prio[q, j]):
        priority = p.q_step_prio[q, j]
    now = g if skipped else wide
    code = (now * p.g_step.shape[1] + j) * 2 + (1 if skipped else 0)
    seq = emit(s, K_STEPPED, due, i, code, priority)
    cancel_timer(s, T_STEP, i)
    s_inter[i, I_STEP] = j + 1
    if not skipped:
        dequeue(s, i)
        s_inter[i, I_GROUP] = wide
        s_fl[i, F_PRIORITY] = priority
        enqueue(s, p, i)
    arm(s, p, i, due, seq)
    route_interaction(s, p, i, due)


@kernel()
def fire_policy(s: Any_, p: Any_, slot: int, i: int, due: float) -> None:
    """A queue policy's timer fell due."""
    if slot == T_EXIT:
        max_wait_over(s, p, i, due)
    elif slot == T_STEP:
        stepped(s, p, i, due)
    elif slot == T_EMPTY:
        no_agents_over(s, p, i, due)
    elif slot == T_CALLBACK:
        callback_over(s, p, i, due)
    elif slot == T_REMIND:
        remind(s, p, i, due)
    else:
        overdue(s, p, i, due)


@kernel()
def fire(s: Any_, p: Any_, slot: int, i: int, due: float) -> None:
    """The router's timer of ``slot`` for ``i`` fell due (``core.fire_due_timers``)."""
    if slot == T_OFFER:
        offer_expired(s, p, i, due)
    elif slot == T_WRAP:
        wrap_over(s, p, i, due)
    else:
        fire_policy(s, p, slot, i, due)


__all__ = ["fire", "fire_policy"]
