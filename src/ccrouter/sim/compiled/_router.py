"""The router's decisions for the commands the simulator issues, compiled (Numba).

Each function mirrors one piece of :mod:`ccrouter.engine.core`, :mod:`ccrouter.engine.decisions` and
:meth:`ccrouter.engine.state.RouterState.apply`, restricted to the features the compiled engine
runs (see ``support.py``): it writes the event records the router would emit, in the same
order with the same sequence numbers, and changes the packed state as applying them would.

``p`` is the packed scenario (read only) and ``s`` the run's state, both named tuples of
arrays (``pack.Params`` and ``pack.State``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ccrouter.sim.compiled._fold import fold_event
from ccrouter.sim.compiled._heaps import grp_pop, grp_push, sort_prefix, tim_push
from ccrouter.sim.compiled._ids import sort_by_id
from ccrouter.sim.compiled._layout import (
    A_GROUP,
    A_HANDLED,
    A_INUSE,
    A_MISSES,
    A_ORDER,
    A_PRES,
    A_REASON,
    A_WORK,
    EXIT_MAX_SIZE,
    F_ARRIVED,
    F_DEADLINE,
    F_PRIORITY,
    FEWEST_HANDLED,
    I_AGENT,
    I_ATTEMPT,
    I_CB,
    I_DECL,
    I_GROUP,
    I_K,
    I_OFFSEQ,
    I_OVERDUE,
    I_PINS,
    I_QSEQ,
    I_QUEUE,
    I_REMINDED,
    I_STATUS,
    I_STEP,
    I_TYPE,
    I_VER,
    K_ABANDONED,
    K_ACCEPTED,
    K_CALLBACK,
    K_COMPLETED,
    K_DEADLINE,
    K_EXITED,
    K_LOGIN,
    K_LOGOUT,
    K_NOT_READY,
    K_OFFERED,
    K_QUEUED,
    K_READY,
    LEAST_OCCUPIED,
    MOST_SKILLED,
    N_BASE,
    N_EV,
    N_FLAG,
    N_INT,
    N_KEEP,
    N_LOGINS,
    N_NFREE,
    N_TIM,
    OV_BUCKETS,
    OV_INTERACTIONS,
    OV_QUEUE,
    OV_RECORDS,
    OV_TIMERS,
    P_NOT_READY,
    P_OUT,
    P_READY,
    Q_HAS_CB_AFTER,
    Q_HAS_DEADLINE,
    Q_HAS_MAX_WAIT,
    Q_HAS_NO_AGENTS,
    Q_HAS_TIMEOUT,
    Q_KEEP_AGE,
    Q_MAX_SIZE,
    Q_N_REMINDERS,
    Q_N_STEPS,
    Q_OVERFLOW,
    Q_STRATEGY,
    QF_AGING,
    QF_CB_AFTER,
    QF_DEADLINE,
    QF_MAX_WAIT,
    QF_NO_AGENTS,
    QF_TIMEOUT,
    QF_WRAP,
    RANDOM,
    RANK_SHIFT,
    ROUND_ROBIN,
    S_ABANDONED,
    S_COMPLETED,
    S_CONNECTED,
    S_EXITED,
    S_FREE,
    S_OFFERED,
    S_QUEUED,
    T_CALLBACK,
    T_EMPTY,
    T_EXIT,
    T_OFFER,
    T_OVERDUE,
    T_REMIND,
    T_STEP,
    T_WRAP,
    TIMER_RANK,
    kernel,
)

Any_ = Any

# --- records, timers, queues ------------------------------------------------------------------


@kernel(inline="always")
def emit(s: Any_, kind: int, at: float, i: int, a: int, x: float) -> int:
    """Write one event record and fold it into the run's figures; its seq (records are
    numbered 1, 2, ... as the router's log). A run that keeps no events keeps only the
    current step's records (the buffer starts at seq ``N_BASE + 1``)."""
    s_cnt = s.cnt
    s_rk = s.rk
    n = s_cnt[N_EV]
    j = n - s_cnt[N_BASE]
    if j < s_rk.shape[0]:
        s_rk[j] = kind
        s.rt[j] = at
        s.ri[j] = i
        s.ra[j] = a
        s.rx[j] = x
    else:
        s_cnt[N_FLAG] = OV_RECORDS
    s_cnt[N_EV] = n + 1
    if not fold_event(s.I, s.F, s.fag, s.since, s.acc, s.counts, s.has, s.qtime, s.waited,
                      s.hist, s.sf, s.inbound, s.ff, s.edges, kind, at, i, a, x):  # fmt: skip
        s_cnt[N_FLAG] = OV_BUCKETS
    return int(n + 1)


@kernel(inline="always")
def set_timer_at(s: Any_, due: float, seq: int, slot: int, i: int, tie: int) -> None:
    """Set ``i``'s timer of ``slot``, ordered after others of one due time and seq by its
    kind's rank, then ``tie`` (the order of the ids among timers one event set)."""
    s_it_seq = s.it_seq
    s_tim_t = s.tim_t
    s_tim_i = s.tim_i
    s_cnt = s.cnt
    s_it_seq[i, slot] = seq
    s.it_due[i, slot] = due
    key = TIMER_RANK[slot] * RANK_SHIFT + tie
    if not tim_push(s_tim_t, s_tim_i, s_cnt, N_TIM, due, seq, key, slot, i):
        s_cnt[N_FLAG] = OV_TIMERS


@kernel(inline="always")
def set_timer(s: Any_, due: float, seq: int, slot: int, i: int) -> None:
    set_timer_at(s, due, seq, slot, i, 0)


@kernel(inline="always")
def cancel_timer(s: Any_, slot: int, i: int) -> None:
    s_it_seq = s.it_seq
    s_it_seq[i, slot] = -1  # the heap entry goes stale (skipped when it comes up)


@kernel(inline="always")
def enqueue(s: Any_, p: Any_, i: int) -> None:
    """File a waiting interaction in its group under its key (``_keys``)."""
    s_inter = s.I
    s_fl = s.F
    s_gf = s.gf
    s_gi = s.gi
    s_gn = s.gn
    s_cnt = s.cnt
    p_q_f = p.q_f
    s_inter[i, I_VER] += 1
    g = s_inter[i, I_GROUP]
    rate = p_q_f[s_inter[i, I_QUEUE], QF_AGING]
    arrived = s_fl[i, F_ARRIVED]
    k1 = -(s_fl[i, F_PRIORITY] - rate * arrived)
    if not grp_push(s_gf, s_gi, s_gn, g, k1, arrived, s_inter[i, I_QSEQ], i, s_inter[i, I_VER]):
        s_cnt[N_FLAG] = OV_QUEUE


@kernel(inline="always")
def dequeue(s: Any_, i: int) -> None:
    s_inter = s.I
    s_inter[i, I_VER] += 1  # its entry goes stale


@kernel(inline="always")
def head(s: Any_, g: int) -> int:
    """The interaction at the head of waiting group ``g`` (-1: empty), stale entries dropped."""
    s_gn = s.gn
    s_gi = s.gi
    s_inter = s.I
    s_gf = s.gf
    while s_gn[g] > 0:
        i = s_gi[g, 0, 1]
        if s_inter[i, I_STATUS] == S_QUEUED and s_inter[i, I_VER] == s_gi[g, 0, 2]:
            return int(i)
        grp_pop(s_gf, s_gi, s_gn, g)
    return -1


# --- agents -----------------------------------------------------------------------------------


@kernel(inline="always")
def blocked(s: Any_, p: Any_, a: int, ch: int) -> bool:
    """``channels.blocked`` without budgets or interruptions: work ``a`` holds (offered,
    connected, in wrap-up) on a channel that blocks ``ch``."""
    if not p.ruled:
        return False
    p_blocks = p.blocks
    s_use = s.use
    for held in range(p.n_channels):  # noqa: SIM110 - a loop: kernels build no generators
        if s_use[a, held] > 0 and p_blocks[held, ch] != 0:
            return True
    return False


@kernel(inline="always")
def sync(s: Any_, p: Any_, a: int) -> None:
    """Keep the agent's ready sets (ready with free capacity, not blocked by the channel rules;
    one per agent group and channel, ``rpos``: the agent's place in its group's set of the
    channel) in step with it."""
    s_ag = s.A
    s_use = s.use
    s_rpos = s.rpos
    s_rn = s.rn
    s_rl = s.rl
    p_n_channels = p.n_channels
    p_ag_cap = p.ag_cap
    ag = s_ag[a, A_GROUP]
    ready = s_ag[a, A_PRES] == P_READY
    for ch in range(p_n_channels):
        avail = ready and p_ag_cap[ag, ch] - s_use[a, ch] > 0 and not blocked(s, p, a, ch)
        pos = s_rpos[ch, a]
        lst = ag * p_n_channels + ch
        if avail and pos < 0:
            n = s_rn[lst]
            s_rl[lst, n] = a
            s_rpos[ch, a] = n
            s_rn[lst] = n + 1
        elif not avail and pos >= 0:
            last = s_rn[lst] - 1
            moved = s_rl[lst, last]
            s_rl[lst, pos] = moved
            s_rpos[ch, moved] = pos
            s_rpos[ch, a] = -1
            s_rn[lst] = last


@kernel(inline="always")
def release(s: Any_, p: Any_, a: int, ch: int, at: float) -> None:
    s_use = s.use
    s_ag = s.A
    s_a_idle = s.a_idle
    s_use[a, ch] -= 1
    s_ag[a, A_INUSE] -= 1
    s_ag[a, A_WORK] -= 1
    if s_ag[a, A_WORK] == 0:
        s_a_idle[a] = at
    sync(s, p, a)


# --- queue policies (deadlines) ---------------------------------------------------------------


@kernel(inline="always")
def anyone(s: Any_, p: Any_, g: int) -> bool:
    """``RouterState.anyone_could_take`` for waiting group ``g``: a logged-in agent (ready or
    not, busy or not) with capacity on its channel, its skills and, if it names agent
    groups, in one of them."""
    ch = p.g_channel[g]
    p_g_ags = p.g_ags
    for m in range(p.g_nags[g]):
        ag = p_g_ags[g, m]
        if p.ag_cap[ag, ch] > 0 and s.logged[ag] > 0:
            return True
    return False


@kernel(inline="always")
def watch(s: Any_, p: Any_, i: int, at: float, seq: int, tie: int) -> None:
    """``policies.no_agents._watch``: set the ``max_wait_no_agents`` timer of a watched
    interaction nobody logged in could take (due the limit from ``at``), or cancel it."""
    if anyone(s, p, s.I[i, I_GROUP]):
        cancel_timer(s, T_EMPTY, i)
    elif s.it_seq[i, T_EMPTY] < 0:
        set_timer_at(s, at + p.q_f[s.I[i, I_QUEUE], QF_NO_AGENTS], seq, T_EMPTY, i, tie)


@kernel(inline="always")
def arm_live(s: Any_, p: Any_, i: int, at: float, seq: int) -> None:
    """The timers only a live caller has, if its queue has them and they are not set yet:
    ``max_wait`` and ``callback_after`` (``policies._base.wait_limit``: due at arrival + the
    limit, or ``at`` if that passed) and ``max_wait_no_agents`` (watched)."""
    s_inter = s.I
    if s_inter[i, I_CB] != 0:
        return
    q = s_inter[i, I_QUEUE]
    p_q_i = p.q_i
    p_q_f = p.q_f
    s_it_seq = s.it_seq
    arrived = s.F[i, F_ARRIVED]
    if p_q_i[q, Q_HAS_MAX_WAIT] != 0 and s_it_seq[i, T_EXIT] < 0:
        due = arrived + p_q_f[q, QF_MAX_WAIT]
        set_timer(s, due if due >= at else at, seq, T_EXIT, i)
    if p_q_i[q, Q_HAS_CB_AFTER] != 0 and s_it_seq[i, T_CALLBACK] < 0:
        due = arrived + p_q_f[q, QF_CB_AFTER]
        set_timer(s, due if due >= at else at, seq, T_CALLBACK, i)
    if p_q_i[q, Q_HAS_NO_AGENTS] != 0:
        watch(s, p, i, at, seq, 0)


@kernel(inline="always")
def arm(s: Any_, p: Any_, i: int, at: float, seq: int) -> None:
    """The policy timers of a waiting interaction not set yet (``RouterState._arm``): the
    live caller's, its next widening step, its deadline's overdue and reminder timers."""
    arm_live(s, p, i, at, seq)
    s_fl = s.F
    s_inter = s.I
    s_it_seq = s.it_seq
    p_q_i = p.q_i
    p_q_rem = p.q_rem
    q = s_inter[i, I_QUEUE]
    step = s_inter[i, I_STEP]
    if step < p_q_i[q, Q_N_STEPS] and s_it_seq[i, T_STEP] < 0:
        due = s_fl[i, F_ARRIVED] + p.q_step_after[q, step]
        set_timer(s, due if due >= at else at, seq, T_STEP, i)
    deadline = s_fl[i, F_DEADLINE]
    if np.isnan(deadline) or s_inter[i, I_OVERDUE] != 0:
        return
    if s_it_seq[i, T_OVERDUE] < 0:
        set_timer(s, deadline if deadline >= at else at, seq, T_OVERDUE, i)
    n = p_q_i[q, Q_N_REMINDERS]
    while s_inter[i, I_REMINDED] < n:
        due = deadline - p_q_rem[q, s_inter[i, I_REMINDED]]
        if due >= at:
            if s_it_seq[i, T_REMIND] < 0:
                set_timer(s, due, seq, T_REMIND, i)
            break
        s_inter[i, I_REMINDED] += 1


@kernel()
def rewatch(s: Any_, p: Any_, at: float, seq: int) -> None:
    """``RouterState._rewatch`` after an agent logged in or out: each watched interaction's
    ``max_wait_no_agents`` timer set or cancelled; the ones set here share ``(due, seq)``
    per queue and fire in the order of their ids."""
    if not p.watch:
        return
    s_inter = s.I
    p_q_i = p.q_i
    buf = s.wbuf
    n = 0
    for i in range(s.cnt[N_INT]):
        if s_inter[i, I_STATUS] != S_QUEUED or s_inter[i, I_CB] != 0:
            continue
        if p_q_i[s_inter[i, I_QUEUE], Q_HAS_NO_AGENTS] == 0:
            continue
        if anyone(s, p, s_inter[i, I_GROUP]):
            cancel_timer(s, T_EMPTY, i)
        elif s.it_seq[i, T_EMPTY] < 0:
            buf[n] = i
            n += 1
    sort_by_id(s, p, buf, n)
    for j in range(n):
        watch(s, p, buf[j], at, seq, j)


@kernel(inline="always")
def disarm(s: Any_, i: int) -> None:
    """Cancel every policy timer of ``i`` (``RouterState._disarm``)."""
    cancel_timer(s, T_EXIT, i)
    cancel_timer(s, T_OVERDUE, i)
    cancel_timer(s, T_REMIND, i)
    cancel_timer(s, T_STEP, i)
    cancel_timer(s, T_EMPTY, i)
    cancel_timer(s, T_CALLBACK, i)


# --- selection --------------------------------------------------------------------------------


@kernel(inline="always")
def uniform(seed: np.uint64, seq: int) -> float:
    """``ccrouter.engine.routing.strategies.uniform`` (SplitMix64 of seed and seq)."""
    z = (
        seed * np.uint64(0x9E3779B97F4A7C15)
        + np.uint64(seq) * np.uint64(0xBF58476D1CE4E5B9)
        + np.uint64(0x94D049BB133111EB)
    )
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) / 9007199254740992.0


@kernel(inline="always")
def declined(s: Any_, i: int, a: int) -> bool:
    s_inter = s.I
    s_decl_agent = s.decl_agent
    s_decl_next = s.decl_next
    j = s_inter[i, I_DECL]
    while j >= 0:
        if s_decl_agent[j] == a:
            return True
        j = s_decl_next[j]
    return False


@kernel()
def select_agent(s: Any_, p: Any_, i: int) -> int:
    """The agent the queue's strategy offers ``i`` to (-1: nobody), as the selection kernel:
    the smallest key among the ready eligible agents, the ones who declined it only when no
    one else is eligible; ``random`` by rank in slot order."""
    s_inter = s.I
    s_rn = s.rn
    s_rl = s.rl
    s_ag = s.A
    s_buf = s.buf
    s_cnt = s.cnt
    s_by_order = s.by_order
    s_rr_last = s.rr_last
    s_a_idle = s.a_idle
    p_g_channel = p.g_channel
    p_q_i = p.q_i
    p_seed = p.seed
    p_ag_sum = p.ag_sum
    p_ag_captot = p.ag_captot
    g = s_inter[i, I_GROUP]
    ch = p_g_channel[g]
    q = s_inter[i, I_QUEUE]
    strategy = p_q_i[q, Q_STRATEGY]
    has_decl = s_inter[i, I_DECL] >= 0
    p_g_ags = p.g_ags
    nch = p.n_channels
    n_ags = p.g_nags[g]
    if strategy == RANDOM:
        c = 0
        cx = 0
        for m in range(n_ags):
            lst = p_g_ags[g, m] * nch + ch
            for j in range(s_rn[lst]):
                b = s_rl[lst, j]
                if has_decl and declined(s, i, b):
                    cx += 1
                else:
                    s_buf[c] = s_ag[b, A_ORDER]
                    c += 1
        if c == 0:
            if cx == 0:
                return -1
            for m in range(n_ags):
                lst = p_g_ags[g, m] * nch + ch
                for j in range(s_rn[lst]):
                    s_buf[c] = s_ag[s_rl[lst, j], A_ORDER]
                    c += 1
        sort_prefix(s_buf, c)
        order = s_buf[int(uniform(p_seed, s_cnt[N_EV] + 1) * c)]
        return int(s_by_order[order])
    rr_last = s_rr_last[q]
    best = -1
    bp = np.inf
    bs = np.inf
    bo = np.inf
    bestx = -1
    xp = np.inf
    xs = np.inf
    xo = np.inf
    for m in range(n_ags):
        ag = p_g_ags[g, m]
        lst = ag * nch + ch
        for j in range(s_rn[lst]):
            b = s_rl[lst, j]
            order = float(s_ag[b, A_ORDER])
            if strategy == MOST_SKILLED:
                pr = -float(p_ag_sum[ag, g])
            elif strategy == ROUND_ROBIN:
                pr = 1.0 if s_ag[b, A_ORDER] <= rr_last else 0.0
            elif strategy == LEAST_OCCUPIED:
                pr = s_ag[b, A_INUSE] / p_ag_captot[ag]
            elif strategy == FEWEST_HANDLED:
                pr = float(s_ag[b, A_HANDLED])
            else:
                pr = s_a_idle[b]
            sc = 0.0 if strategy == ROUND_ROBIN else s_a_idle[b]
            if has_decl and declined(s, i, b):
                if bestx < 0 or pr < xp or (pr == xp and (sc < xs or (sc == xs and order < xo))):
                    bestx, xp, xs, xo = b, pr, sc, order
            elif best < 0 or pr < bp or (pr == bp and (sc < bs or (sc == bs and order < bo))):
                best, bp, bs, bo = b, pr, sc, order
    return best if best >= 0 else bestx


@kernel()
def best_for(s: Any_, p: Any_, a: int, at: float) -> int:
    """``core.best_interaction_for``: the waiting interaction ``a`` takes next (-1: none)."""
    s_ag = s.A
    s_gn = s.gn
    s_use = s.use
    s_inter = s.I
    s_fl = s.F
    p_g_channel = p.g_channel
    p_ag_cap = p.ag_cap
    p_q_f = p.q_f
    ag = s_ag[a, A_GROUP]
    best = -1
    b1 = np.inf
    b2 = np.inf
    b3 = 0
    p_ag_gs = p.ag_gs
    for m in range(p.ag_ngs[ag]):
        g = p_ag_gs[ag, m]
        if s_gn[g] == 0:
            continue
        ch = p_g_channel[g]
        if p_ag_cap[ag, ch] - s_use[a, ch] <= 0 or blocked(s, p, a, ch):
            continue
        h = head(s, g)
        if h < 0:
            continue
        rate = p_q_f[s_inter[h, I_QUEUE], QF_AGING]
        k1 = -(s_fl[h, F_PRIORITY] + rate * (at - s_fl[h, F_ARRIVED]))
        k2 = s_fl[h, F_ARRIVED]
        k3 = s_inter[h, I_QSEQ]
        if best < 0 or k1 < b1 or (k1 == b1 and (k2 < b2 or (k2 == b2 and k3 < b3))):
            best, b1, b2, b3 = h, k1, k2, k3
    return best


# --- offers -----------------------------------------------------------------------------------


@kernel(inline="always")
def accept(s: Any_, p: Any_, i: int, at: float) -> None:
    s_inter = s.I
    s_ag = s.A
    a = s_inter[i, I_AGENT]
    emit(s, K_ACCEPTED, at, i, a, np.nan)
    cancel_timer(s, T_OFFER, i)
    s_inter[i, I_STATUS] = S_CONNECTED
    s_ag[a, A_HANDLED] += 1
    s_ag[a, A_MISSES] = 0


@kernel()
def offer(s: Any_, p: Any_, i: int, a: int, at: float) -> None:
    """``core._offer`` and its events applied (auto-accepted when the config says so)."""
    s_inter = s.I
    s_q_wait = s.q_wait
    s_use = s.use
    s_ag = s.A
    s_rr_last = s.rr_last
    p_q_i = p.q_i
    p_auto_accept = p.auto_accept
    p_q_f = p.q_f
    p_g_channel = p.g_channel
    q = s_inter[i, I_QUEUE]
    expires = np.nan
    if p_q_i[q, Q_HAS_TIMEOUT] != 0 and not p_auto_accept:
        expires = at + p_q_f[q, QF_TIMEOUT]
    seq = emit(s, K_OFFERED, at, i, a, expires)
    dequeue(s, i)
    s_q_wait[q] -= 1
    disarm(s, i)
    s_inter[i, I_STATUS] = S_OFFERED
    s_inter[i, I_AGENT] = a
    s_inter[i, I_OFFSEQ] = seq
    ch = p_g_channel[s_inter[i, I_GROUP]]
    s_use[a, ch] += 1
    s_ag[a, A_INUSE] += 1
    s_ag[a, A_WORK] += 1
    if not np.isnan(expires):
        set_timer(s, expires, seq, T_OFFER, i)
    s_rr_last[q] = s_ag[a, A_ORDER]
    sync(s, p, a)
    if p_auto_accept:
        accept(s, p, i, at)


@kernel(inline="always")
def route_interaction(s: Any_, p: Any_, i: int, at: float) -> None:
    s_inter = s.I
    if s_inter[i, I_STATUS] != S_QUEUED:
        return
    a = select_agent(s, p, i)
    if a >= 0:
        offer(s, p, i, a, at)


@kernel(inline="always")
def take_work(s: Any_, p: Any_, a: int, at: float) -> None:
    s_ag = s.A
    while s_ag[a, A_PRES] == P_READY:
        i = best_for(s, p, a, at)
        if i < 0:
            return
        offer(s, p, i, a, at)


@kernel(inline="always")
def new_interaction(
    s: Any_, p: Any_, c: int, k: int, attempt: int, q: int, g: int, priority: float
) -> int:
    """A new interaction of type ``c`` (call types, then campaigns), record ``k``; -1 (and an
    overflow flag) when there is no room. A run that keeps no events reuses free slots (their
    enqueue version goes on counting, so stale queue entries stay stale)."""
    s_cnt = s.cnt
    s_inter = s.I
    s_fl = s.F
    s_it_seq = s.it_seq
    if s_cnt[N_NFREE] > 0:
        s_cnt[N_NFREE] -= 1
        n = s.free[s_cnt[N_NFREE]]
    else:
        n = s_cnt[N_INT]
        if n >= s_inter.shape[0]:
            s_cnt[N_FLAG] = OV_INTERACTIONS
            return -1
        s_cnt[N_INT] = n + 1
    s_inter[n, I_TYPE] = c
    s_inter[n, I_K] = k
    s_inter[n, I_ATTEMPT] = attempt
    s_inter[n, I_STATUS] = S_QUEUED
    s_inter[n, I_AGENT] = -1
    s_inter[n, I_CB] = 0
    s_inter[n, I_DECL] = -1
    s_inter[n, I_OFFSEQ] = -1
    s_inter[n, I_REMINDED] = 0
    s_inter[n, I_OVERDUE] = 0
    s_inter[n, I_QUEUE] = q
    s_inter[n, I_GROUP] = g
    s_inter[n, I_PINS] = 0
    s_inter[n, I_STEP] = 0
    s_fl[n, F_PRIORITY] = priority
    s_fl[n, F_DEADLINE] = np.nan
    for j in range(s_it_seq.shape[1]):
        s_it_seq[n, j] = -1
    return int(n)


@kernel()
def maybe_free(s: Any_, i: int) -> None:
    """Put ``i``'s slot on the free list once it is over (abandoned, or completed with its
    wrap-up ended) and no calendar action names it; only in runs that keep no events."""
    s_cnt = s.cnt
    s_inter = s.I
    if s_cnt[N_KEEP] != 0 or s_inter[i, I_PINS] != 0:
        return
    status = s_inter[i, I_STATUS]
    ended = status == S_COMPLETED and s.it_seq[i, T_WRAP] < 0
    if status == S_EXITED:
        ended = True
    if ended or status == S_ABANDONED:
        s_inter[i, I_STATUS] = S_FREE
        s.free[s_cnt[N_NFREE]] = i
        s_cnt[N_NFREE] += 1


# --- commands ---------------------------------------------------------------------------------


@kernel()
def login(s: Any_, p: Any_, a: int, at: float) -> None:
    s_cnt = s.cnt
    s_ag = s.A
    s_by_order = s.by_order
    s_a_idle = s.a_idle
    s_cnt[N_LOGINS] += 1
    order = s_cnt[N_LOGINS]
    emit(s, K_LOGIN, at, -1, a, np.nan)
    s_ag[a, A_ORDER] = order
    s_by_order[order] = a
    s_ag[a, A_PRES] = P_NOT_READY
    s_ag[a, A_REASON] = -1
    s_a_idle[a] = at
    s_ag[a, A_HANDLED] = 0
    s_ag[a, A_MISSES] = 0
    sync(s, p, a)
    s.logged[s_ag[a, A_GROUP]] += 1
    rewatch(s, p, at, s_cnt[N_EV])


@kernel()
def ready(s: Any_, p: Any_, a: int, at: float) -> None:
    s_ag = s.A
    s_a_idle = s.a_idle
    if s_ag[a, A_PRES] == P_READY:
        return
    emit(s, K_READY, at, -1, a, np.nan)
    s_ag[a, A_PRES] = P_READY
    s_ag[a, A_REASON] = -1
    s_a_idle[a] = at
    s_ag[a, A_MISSES] = 0
    sync(s, p, a)
    take_work(s, p, a, at)


@kernel()
def not_ready(s: Any_, p: Any_, a: int, reason: int, at: float) -> None:
    s_ag = s.A
    if s_ag[a, A_PRES] == P_NOT_READY and s_ag[a, A_REASON] == reason:
        return
    emit(s, K_NOT_READY, at, -1, a, float(reason))
    s_ag[a, A_PRES] = P_NOT_READY
    s_ag[a, A_REASON] = reason
    sync(s, p, a)


@kernel()
def logout(s: Any_, p: Any_, a: int, at: float) -> None:
    """A logout with no work in hand (the engine logs out only such agents)."""
    s_ag = s.A
    seq = emit(s, K_LOGOUT, at, -1, a, np.nan)
    s_ag[a, A_PRES] = P_OUT
    s_ag[a, A_REASON] = -1
    sync(s, p, a)
    s.logged[s_ag[a, A_GROUP]] -= 1
    rewatch(s, p, at, seq)


@kernel(inline="always")  # few call sites, each on the hot path
def submit(s: Any_, p: Any_, i: int, at: float) -> None:
    """Queue ``i`` (its type, queue, group and priority already set), then route it."""
    s_inter = s.I
    s_fl = s.F
    s_q_wait = s.q_wait
    p_q_i = p.q_i
    p_q_f = p.q_f
    seq = emit(s, K_QUEUED, at, i, -1, np.nan)
    s_inter[i, I_QSEQ] = seq
    s_inter[i, I_STATUS] = S_QUEUED
    s_fl[i, F_ARRIVED] = at
    q = s_inter[i, I_QUEUE]
    s_q_wait[q] += 1
    arm(s, p, i, at, seq)  # (no deadline yet: its timers are armed once it is set)
    if p_q_i[q, Q_HAS_DEADLINE] != 0:
        deadline = at + p_q_f[q, QF_DEADLINE]
        seq = emit(s, K_DEADLINE, at, i, -1, deadline)
        s_fl[i, F_DEADLINE] = deadline
        arm(s, p, i, at, seq)
    cap = p_q_i[q, Q_MAX_SIZE]
    # ``policies.size_exit``: full when the queue already held ``max_size`` before this one
    if cap >= 0 and s_q_wait[q] - 1 >= cap:
        exit_now(s, p, i, at, EXIT_MAX_SIZE, False)
    route_interaction(s, p, i, at)
    if s_inter[i, I_STATUS] == S_QUEUED:  # filed only if it still waits (deferred filing)
        enqueue(s, p, i)


@kernel(inline="always")  # few call sites, each on the hot path
def complete(s: Any_, p: Any_, i: int, at: float) -> None:
    s_inter = s.I
    p_q_f = p.q_f
    p_g_channel = p.g_channel
    a = s_inter[i, I_AGENT]
    q = s_inter[i, I_QUEUE]
    until = at + p_q_f[q, QF_WRAP]
    seq = emit(s, K_COMPLETED, at, i, a, until)
    s_inter[i, I_STATUS] = S_COMPLETED
    if until > at:
        set_timer(s, until, seq, T_WRAP, i)
    else:
        release(s, p, a, p_g_channel[s_inter[i, I_GROUP]], at)
    take_work(s, p, a, at)


@kernel()
def abandon(s: Any_, p: Any_, i: int, at: float) -> None:
    s_inter = s.I
    s_q_wait = s.q_wait
    p_g_channel = p.g_channel
    status = s_inter[i, I_STATUS]
    holder = s_inter[i, I_AGENT] if status == S_OFFERED else -1
    emit(s, K_ABANDONED, at, i, holder, np.nan)
    if status == S_QUEUED:
        dequeue(s, i)
        disarm(s, i)
        s_q_wait[s_inter[i, I_QUEUE]] -= 1
    elif holder >= 0:
        cancel_timer(s, T_OFFER, i)
        release(s, p, holder, p_g_channel[s_inter[i, I_GROUP]], at)
    s_inter[i, I_STATUS] = S_ABANDONED
    if holder >= 0:
        take_work(s, p, holder, at)


@kernel()
def request_callback(s: Any_, i: int, at: float) -> None:
    emit(s, K_CALLBACK, at, i, -1, 0.0)
    callback_now(s, i)


@kernel(inline="always")
def callback_now(s: Any_, i: int) -> None:
    """``RouterState._callback_requested``: no caller waits on the line now, so the live
    caller's timers go (``max_wait``, ``callback_after``, ``max_wait_no_agents``)."""
    s.I[i, I_CB] = 1
    cancel_timer(s, T_EXIT, i)
    cancel_timer(s, T_CALLBACK, i)
    cancel_timer(s, T_EMPTY, i)


@kernel()
def exit_now(s: Any_, p: Any_, i: int, at: float, reason: int, filed: bool) -> None:
    """``policies._exits.exit_now`` and its event applied (``RouterState._exited``): the
    waiting ``i`` overflows to its queue's ``overflow_to`` if that queue has room, else ends
    ``exited``. ``filed``: ``i`` is in its waiting group (a new arrival is not yet)."""
    s_inter = s.I
    s_fl = s.F
    s_q_wait = s.q_wait
    p_q_i = p.q_i
    q = s_inter[i, I_QUEUE]
    t = p_q_i[q, Q_OVERFLOW]
    if t >= 0:
        cap = p_q_i[t, Q_MAX_SIZE]
        # Room in the target, not counting ``i`` (the router counts a leaving interaction
        # out of its own queue, and a new arrival is not counted yet when it decides).
        if cap >= 0 and s_q_wait[t] - (1 if t == q else 0) >= cap:
            t = -1
    keep = p_q_i[q, Q_KEEP_AGE]
    seq = emit(s, K_EXITED, at, i, t, float(2 * reason + keep))
    dequeue(s, i)
    s_q_wait[q] -= 1
    disarm(s, i)
    if t < 0:
        s_inter[i, I_STATUS] = S_EXITED
        return
    s_inter[i, I_QUEUE] = t
    s_inter[i, I_GROUP] = p.g_over[s_inter[i, I_GROUP]]
    s_inter[i, I_STEP] = 0
    if keep == 0:  # a new arrival in the new queue
        s_fl[i, F_ARRIVED] = at
        s_inter[i, I_QSEQ] = seq
    s_q_wait[t] += 1
    if filed:
        enqueue(s, p, i)
    arm(s, p, i, at, seq)


__all__ = [
    "S_ABANDONED",
    "S_COMPLETED",
    "abandon",
    "complete",
    "login",
    "logout",
    "maybe_free",
    "not_ready",
    "ready",
    "request_callback",
    "submit",
]
