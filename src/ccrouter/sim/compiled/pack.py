"""Pack a scenario into arrays for the compiled engine, and draw its customers in bulk.

The customers (arrival times, handle times, patience, after the self-service stage) come from
the draw the router-driven engine uses too (:func:`ccrouter.sim.customers.draw_customers`), so
both engines see the same customers. The streams the engine draws on demand (retrials, ring
delays) are handed to the kernel as the generators themselves: Numba's generator methods
give the same numbers as NumPy's. The callback streams draw one uniform per attempt of their
call type and are drawn in bulk.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple
from typing import Any

import numpy as np

from ccrouter.engine.records import serves as serves_work
from ccrouter.errors import SimulationError
from ccrouter.sim.campaign import Campaign, Predictive
from ccrouter.sim.compiled import _layout as lay
from ccrouter.sim.compiled._fold import N_COUNTS
from ccrouter.sim.compiled.waiting import waiting_groups
from ccrouter.sim.customers import Customers, draw_customers, source_rng
from ccrouter.sim.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    mean_of,
    sample,
)
from ccrouter.sim.metrics import WAIT_EDGES
from ccrouter.sim.scenario import AgentGroup, CallType, Scenario

__all__ = ["Capacities", "Packed", "Params", "State", "new_state", "pack"]

Params = namedtuple(
    "Params",
    "auto_accept max_no_answer seed ring_dist n_channels d_kind d_a d_b d_off d_len emp "
    "ct_i ct_f arr_t arr_h arr_p cb_u q_i q_f q_rem g_channel ag_elig ag_sum ag_cap "
    "ag_captot init_t init_i cp_i cp_f cp_rpc cp_answer cp_no_answer cp_handle cp_serves "
    "cp_compete g_ags g_nags ag_gs ag_ngs g_over g_step g_late q_step_after q_step_prio "
    "q_step_skip watch nm_bytes nm_off nm_len ruled blocks",
)
State = namedtuple(
    "State",
    "cnt rk rt ri ra rx cal_t cal_i tim_t tim_i gf gi gn A a_idle use I F it_seq "
    "decl_agent decl_next rl rpos rn act act_n rr_last cb_ptr buf by_order q_wait cs gain "
    "dial_t dial_c free fag since acc counts has qtime waited hist sf inbound ff edges "
    "logged wbuf it_due",
)


class Packed:
    """A scenario packed for one seed: the kernel's parameters and the names to decode."""

    def __init__(
        self,
        params: Any,
        *,
        queues: list[str],
        channels: list[str],
        agent_groups: list[str],
        pre_agents: list[int],
        max_agents: int,
        group_max: int,
        arrivals: int,
        fold: tuple[int, list[float], np.ndarray],
        drawn: list[Customers] | None = None,
    ) -> None:
        self.params = params
        self.n_intervals, self.fold_ff, self.inbound = fold
        self.queues = queues
        self.channels = channels
        self.agent_groups = agent_groups
        self.pre_agents = pre_agents
        self.max_agents = max_agents
        self.group_max = group_max
        self.arrivals = arrivals
        self.drawn = drawn if drawn is not None else []


class Capacities:
    """Initial sizes of the run's arrays; one that runs out is grown and the run repeated.

    A run that keeps its events holds a record per event and a slot per interaction; one
    that does not holds a step's records and reuses the slots of finished interactions, so
    its arrays grow with the agents and the customers present at once, not the day.
    """

    def __init__(self, packed: Packed, *, keep_events: bool = True) -> None:
        n = packed.arrivals
        agents = packed.max_agents
        if keep_events:
            self.interactions = n + max(256, n // 2)
            self.records = 7 * self.interactions + 8 * agents + 64
            self.declined = 1024 + self.interactions // 8
        else:
            self.interactions = min(n + max(256, n // 2), 3 * agents + 4096)
            self.records = 8 * agents + 4096
            self.declined = 4096
        self.calendar = len(packed.params.init_t) + 4 * agents + 4096
        self.timers = 4 * agents + 1024
        self.queue = 1024
        self.buckets = packed.n_intervals + 2

    def grow(self, flag: int) -> None:
        """Make room for what ran out (``flag``: an ``OV_*`` code)."""
        if flag == lay.OV_RECORDS:
            self.records *= 2
        elif flag == lay.OV_CALENDAR:
            self.calendar *= 4
        elif flag == lay.OV_TIMERS:
            self.timers *= 4
        elif flag == lay.OV_INTERACTIONS:
            self.interactions *= 2
            self.records *= 2
        elif flag == lay.OV_QUEUE:
            self.queue *= 4
        elif flag == lay.OV_DECLINED:
            self.declined *= 4
        elif flag == lay.OV_BUCKETS:
            self.buckets *= 2
        else:
            msg = f"no room to grow for overflow code {flag}"
            raise SimulationError(msg)


def _dist(dist: Distribution, table: list[tuple[int, float, float, list[float]]]) -> int:
    """Add ``dist`` to the table; its index. Parameters as ``distributions.sample`` derives
    them (the same floating-point operations)."""
    row: tuple[int, float, float, list[float]]
    if isinstance(dist, Exponential):
        row = (lay.D_EXPONENTIAL, dist.mean, 0.0, [])
    elif isinstance(dist, Lognormal):
        sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
        row = (lay.D_LOGNORMAL, math.log(dist.mean) - sigma2 / 2.0, math.sqrt(sigma2), [])
    elif isinstance(dist, Gamma):
        shape = (dist.mean / dist.sd) ** 2
        row = (lay.D_GAMMA, shape, dist.mean / shape, [])
    elif isinstance(dist, Deterministic):
        row = (lay.D_DETERMINISTIC, dist.value, 0.0, [])
    elif isinstance(dist, Empirical):
        row = (lay.D_EMPIRICAL, 0.0, 0.0, [float(v) for v in dist.values])
    else:
        row = (lay.D_UNIFORM, dist.low, dist.high, [])
    table.append(row)
    return len(table) - 1


def pack(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    callback_factor: float = 1.5,
    dial_room: int = 4096,
) -> Packed:
    """The kernel's parameters for ``scenario`` and ``seed`` (customers drawn in bulk).

    Assumes ``support.unsupported_features(scenario)`` is empty.
    """
    s = scenario
    config = s.router_config()
    queues = list(config.queues)
    qindex = {q: j for j, q in enumerate(queues)}
    channels: list[str] = []
    every: list[CallType | Campaign] = [*s.call_types, *s.campaigns]
    for work in every:
        if work.channel not in channels:
            channels.append(work.channel)
    dists: list[tuple[int, float, float, list[float]]] = []

    # Every requirement work can wait under (arrivals, steps, overflows, overdue moves),
    # each a waiting group of its own (see ``waiting.py``).
    waiting, g_over, g_step, g_late = waiting_groups(s)
    group_rows = waiting.rows
    nc = len(s.call_types)
    ct_i = np.zeros((nc, lay.CT_ICOLS), dtype=np.int64)
    ct_f = np.zeros((nc, lay.CT_FCOLS), dtype=np.float64)
    times_l, handle_l, patience_l = [], [], []
    offset = 0
    cb_rows: list[tuple[int, int] | None] = []
    drawn = draw_customers(s, seed)
    for c, ct in enumerate(s.call_types):
        wg = waiting.arrival(ct.queue, ct.channel, ct.skills)
        times, handle = drawn[c].times, drawn[c].handle
        n = len(times)
        patience = drawn[c].patience
        if patience is None:
            patience = np.full(n, np.nan)
        times_l.append(times)
        handle_l.append(handle)
        patience_l.append(patience)
        ct_i[c] = (
            qindex[ct.queue],
            wg,
            channels.index(ct.channel),
            -1 if ct.patience is None else _dist(ct.patience, dists),
            _dist(ct.retrial_delay, dists),
            1 if ct.callback is not None else 0,
            n,
            offset,
        )
        offset += n
        cb = ct.callback
        ct_f[c] = (
            float(ct.priority),
            ct.retrial_probability,
            0.0 if cb is None else cb.after,
            0.0 if cb is None else cb.acceptance,
        )
        cb_rows.append((c, n) if cb is not None else None)
    width = max([int(r[1] * callback_factor) + 64 for r in cb_rows if r is not None] or [0])
    cb_u = np.zeros((nc, width), dtype=np.float64)
    for cb_row in cb_rows:
        if cb_row is not None:
            c = cb_row[0]
            cb_u[c] = source_rng(seed, f"callbacks/{s.call_types[c].name}").random(width)

    cp_groups = [waiting.arrival(c.queue, c.channel, c.skills) for c in s.campaigns]

    nq = len(queues)
    q_i = np.zeros((nq, lay.Q_ICOLS), dtype=np.int64)
    q_f = np.zeros((nq, lay.Q_FCOLS), dtype=np.float64)
    n_rem = max([len(config.queue(q).reminders) for q in queues] or [0])
    q_rem = np.zeros((nq, max(1, n_rem)), dtype=np.float64)
    width = g_step.shape[1]
    q_step_after = np.zeros((nq, width), dtype=np.float64)
    q_step_prio = np.full((nq, width), np.nan, dtype=np.float64)
    q_step_skip = np.zeros((nq, width), dtype=np.int64)
    for j, name in enumerate(queues):
        qc = config.queue(name)
        reminders = sorted(qc.reminders, reverse=True)
        q_i[j] = (
            lay.STRATEGY_CODES[qc.strategy],
            qc.offer_timeout is not None,
            qc.deadline is not None,
            len(reminders),
            -1 if qc.max_size is None else qc.max_size,
            -1 if qc.overflow_to is None else qindex[qc.overflow_to],
            qc.keep_age,
            qc.max_wait is not None,
            len(qc.steps),
            qc.max_wait_no_agents is not None,
            qc.callback_after is not None,
            -1 if qc.overdue_queue is None else qindex[qc.overdue_queue],
        )
        q_f[j] = (
            qc.wrap_up,
            qc.offer_timeout or 0.0,
            qc.aging_rate,
            qc.deadline or 0.0,
            qc.overdue_priority,
            qc.max_wait or 0.0,
            qc.max_wait_no_agents or 0.0,
            qc.callback_after or 0.0,
        )
        q_rem[j, : len(reminders)] = reminders
        for k, step in enumerate(qc.steps):
            q_step_after[j, k] = step.after
            if step.priority is not None:
                q_step_prio[j, k] = float(step.priority)
            q_step_skip[j, k] = step.skip_if_nobody

    # Channel rules (without budgets: the simulator's agents have none): blocks[held, ch].
    blocks = np.zeros((max(1, len(channels)), max(1, len(channels))), dtype=np.uint8)
    for held, rule in config.channels.items():
        for other in rule.blocks:
            if held in channels and other in channels:
                blocks[channels.index(held), channels.index(other)] = 1

    ng = len(group_rows)
    nag = len(s.agent_groups)
    nch = len(channels)
    ag_elig = np.zeros((nag, max(1, ng)), dtype=np.uint8)
    ag_sum = np.zeros((nag, max(1, ng)), dtype=np.int64)
    ag_cap = np.zeros((nag, max(1, nch)), dtype=np.int64)
    ag_captot = np.zeros(nag, dtype=np.int64)
    for a, group in enumerate(s.agent_groups):
        ag_captot[a] = sum(group.capacity.values())
        for ch, name in enumerate(channels):
            ag_cap[a, ch] = group.capacity.get(name, 0)
        for g, (_, _, skills, members) in enumerate(group_rows):
            # the router's eligibility: every skill met and, if the requirement names agent
            # groups, one of them (agents log in as members of their scenario group)
            ag_elig[a, g] = all(group.skills.get(k, -1) >= v for k, v in skills) and (
                not members or group.name in members
            )
            ag_sum[a, g] = sum(group.skills.get(k, 0) for k, _ in skills)

    # Eligibility as lists: the agent groups that serve each waiting group, and the waiting
    # groups each agent group serves (selection and take-work scan only those).
    g_ags = np.zeros((max(1, ng), max(1, nag)), dtype=np.int64)
    g_nags = np.zeros(max(1, ng), dtype=np.int64)
    ag_gs = np.zeros((max(1, nag), max(1, ng)), dtype=np.int64)
    ag_ngs = np.zeros(max(1, nag), dtype=np.int64)
    for a in range(nag):
        for g in range(ng):
            if ag_elig[a, g]:
                g_ags[g, g_nags[g]] = a
                g_nags[g] += 1
                ag_gs[a, ag_ngs[a]] = g
                ag_ngs[a] += 1

    init: list[tuple[float, int, int, int]] = []
    for c in range(nc):
        if len(times_l[c]):
            init.append((float(times_l[c][0]), lay.C_ARRIVE, c, 0))
    pre_agents: list[int] = []
    max_agents = 0
    group_max = [0] * len(s.agent_groups)  # agents a group can have at most
    for gi, group in enumerate(s.agent_groups):
        if group.headcount is not None:
            counts = group.headcount[: s.n_intervals if len(group.headcount) > 1 else 1]
            for k, target in enumerate(counts):
                init.append((k * s.interval, lay.C_STAFF, gi, target))
            most = counts[0] + sum(max(0, y - x) for x, y in itertools.pairwise(counts))
            max_agents += most
            group_max[gi] += most
        for shift in group.shifts or []:
            for _ in range(shift.count):
                agent = len(pre_agents)
                pre_agents.append(gi)
                group_max[gi] += 1
                init.append((shift.start, lay.C_LOGIN, agent, gi))
                for brk in shift.breaks:
                    start = shift.start + brk.start
                    init.append((start, lay.C_BREAK, agent, 0))
                    init.append((start + brk.length, lay.C_BREAK_END, agent, 0))
                init.append((shift.end, lay.C_LEAVE, agent, 0))
    max_agents += len(pre_agents)
    campaign = _campaigns(s, seed, qindex, channels, cp_groups, dial_room)
    for i, camp in enumerate(s.campaigns):
        init.append((camp.start, lay.C_CAMPAIGN, i, 0))

    ring = s.ring_delay
    ring_dist = -1 if ring is None else _dist(ring, dists)  # before the table is frozen
    emp: list[float] = []
    d_off = []
    for row in dists:
        d_off.append(len(emp))
        emp.extend(row[3])
    params = Params(
        auto_accept=bool(config.auto_accept),
        max_no_answer=int(config.max_no_answer),
        seed=np.uint64(config.seed & ((1 << 64) - 1)),
        ring_dist=ring_dist,
        n_channels=nch,
        d_kind=np.array([r[0] for r in dists] or [0], dtype=np.int64),
        d_a=np.array([r[1] for r in dists] or [0.0], dtype=np.float64),
        d_b=np.array([r[2] for r in dists] or [0.0], dtype=np.float64),
        d_off=np.array(d_off or [0], dtype=np.int64),
        d_len=np.array([len(r[3]) for r in dists] or [0], dtype=np.int64),
        emp=np.array(emp or [0.0], dtype=np.float64),
        ct_i=ct_i,
        ct_f=ct_f,
        arr_t=np.concatenate(times_l) if times_l else np.zeros(0),
        arr_h=np.concatenate(handle_l).astype(np.float64) if handle_l else np.zeros(0),
        arr_p=np.concatenate(patience_l).astype(np.float64) if patience_l else np.zeros(0),
        cb_u=cb_u,
        q_i=q_i,
        q_f=q_f,
        q_rem=q_rem,
        g_channel=np.array([channels.index(r[1]) for r in group_rows], dtype=np.int64),
        ag_elig=ag_elig,
        ag_sum=ag_sum,
        ag_cap=ag_cap,
        ag_captot=ag_captot,
        init_t=np.array([e[0] for e in init], dtype=np.float64),
        init_i=np.array([e[1:] for e in init], dtype=np.int64).reshape(len(init), 3),
        g_ags=g_ags,
        g_nags=g_nags,
        ag_gs=ag_gs,
        ag_ngs=ag_ngs,
        g_over=g_over,
        g_step=g_step,
        g_late=g_late,
        q_step_after=q_step_after,
        q_step_prio=q_step_prio,
        q_step_skip=q_step_skip,
        watch=any(config.queue(q).max_wait_no_agents is not None for q in queues),
        ruled=bool(blocks.any()),
        blocks=blocks,
        **_names(s),
        **campaign,
    )
    inbound = np.zeros(max(1, len(queues)), dtype=np.uint8)
    for ct in s.call_types:
        inbound[qindex[ct.queue]] = 1
    ff = [float(s.interval), float(s.warmup), float(s.horizon), float(s.threshold)]
    return Packed(
        params,
        queues=queues,
        channels=channels,
        agent_groups=[g.name for g in s.agent_groups],
        pre_agents=pre_agents,
        max_agents=max_agents,
        group_max=max(group_max or [0]),
        arrivals=offset,
        fold=(s.n_intervals, ff, inbound),
        drawn=drawn,
    )


def new_state(packed: Packed, caps: Capacities, *, keep_events: bool = True) -> Any:
    """Fresh run state with the given capacities (``keep_events``: keep every record and
    never reuse an interaction slot)."""
    p = packed.params
    na = max(1, packed.max_agents)
    ni = caps.interactions
    nch = max(1, p.n_channels)
    ng = max(1, p.g_channel.shape[0])
    nag = max(1, p.ag_cap.shape[0])
    agents = np.zeros((na, lay.A_COLS), dtype=np.int64)
    agents[:, lay.A_LEAVE] = -1
    agents[:, lay.A_REASON] = -1
    for a, g in enumerate(packed.pre_agents):
        agents[a, lay.A_GROUP] = g
    cnt = np.zeros(lay.N_COUNTERS, dtype=np.int64)
    cnt[lay.N_AGENTS] = len(packed.pre_agents)
    cnt[lay.N_KEEP] = 1 if keep_events else 0
    nq = max(1, p.q_i.shape[0])
    floats = np.zeros((ni, lay.F_COLS), dtype=np.float64)
    floats[:, lay.F_DEADLINE] = np.nan
    return State(
        cnt=cnt,
        rk=np.zeros(caps.records, dtype=np.int8),
        rt=np.zeros(caps.records, dtype=np.float64),
        ri=np.zeros(caps.records, dtype=np.int32),
        ra=np.zeros(caps.records, dtype=np.int32),
        rx=np.zeros(caps.records, dtype=np.float64),
        cal_t=np.zeros(caps.calendar, dtype=np.float64),
        cal_i=np.zeros((caps.calendar, 4), dtype=np.int64),
        tim_t=np.zeros(caps.timers, dtype=np.float64),
        tim_i=np.zeros((caps.timers, 4), dtype=np.int64),
        gf=np.zeros((ng, caps.queue, 2), dtype=np.float64),
        gi=np.zeros((ng, caps.queue, 3), dtype=np.int64),
        gn=np.zeros(ng, dtype=np.int64),
        A=agents,
        a_idle=np.zeros(na, dtype=np.float64),
        use=np.zeros((na, nch), dtype=np.int64),
        I=np.zeros((ni, lay.I_COLS), dtype=np.int64),
        F=floats,
        it_seq=np.full((ni, lay.N_TIMERS), -1, dtype=np.int64),
        decl_agent=np.zeros(caps.declined, dtype=np.int64),
        decl_next=np.zeros(caps.declined, dtype=np.int64),
        rl=np.zeros((nag * nch, max(1, packed.group_max)), dtype=np.int64),
        rpos=np.full((nch, na), -1, dtype=np.int64),
        rn=np.zeros(nag * nch, dtype=np.int64),
        act=np.zeros((nag, na), dtype=np.int64),
        act_n=np.zeros(nag, dtype=np.int64),
        rr_last=np.zeros(max(1, p.q_i.shape[0]), dtype=np.int64),
        cb_ptr=np.zeros(max(1, p.ct_i.shape[0]), dtype=np.int64),
        buf=np.zeros(na + 1, dtype=np.int64),
        by_order=np.zeros(na + 1, dtype=np.int64),
        q_wait=np.zeros(max(1, p.q_i.shape[0]), dtype=np.int64),
        cs=np.zeros((p.cp_i.shape[0], lay.CS_COLS), dtype=np.int64),
        gain=p.cp_f[:, lay.CPF_LOG_GAIN].copy(),
        dial_t=np.zeros(p.cp_rpc.shape, dtype=np.float64),
        dial_c=np.zeros(p.cp_rpc.shape, dtype=np.int8),
        free=np.zeros(ni, dtype=np.int64),
        fag=np.zeros((na, 5), dtype=np.int64),
        since=np.zeros(na, dtype=np.float64),
        acc=np.zeros((na, caps.buckets, 6), dtype=np.float64),
        counts=np.zeros((nq, caps.buckets, N_COUNTS), dtype=np.float64),
        has=np.zeros(nq, dtype=np.uint8),
        qtime=np.zeros((nq + 1, packed.n_intervals), dtype=np.float64),
        waited=np.zeros((nq + 1, packed.n_intervals), dtype=np.float64),
        hist=np.zeros(len(WAIT_EDGES) - 1, dtype=np.int64),
        sf=np.zeros(lay.SF_COLS, dtype=np.float64),
        inbound=packed.inbound,
        ff=np.array(packed.fold_ff, dtype=np.float64),
        edges=np.array(WAIT_EDGES, dtype=np.float64),
        logged=np.zeros(nag, dtype=np.int64),
        wbuf=np.zeros(ni, dtype=np.int64),
        it_due=np.zeros((ni, lay.N_TIMERS), dtype=np.float64),
    )


def _names(s: Scenario) -> dict[str, np.ndarray]:
    """The names interaction ids start with, as UTF-8 bytes (call types, then campaigns
    with their ``out:`` prefix): the kernel orders ids as strings from them (``_ids.py``)."""
    names = [ct.name.encode() for ct in s.call_types]
    names += [f"out:{c.name}".encode() for c in s.campaigns]
    lengths = [len(n) for n in names]
    offsets = np.cumsum([0, *lengths])[:-1] if names else np.zeros(0, dtype=np.int64)
    return {
        "nm_bytes": np.frombuffer(b"".join(names) or b"\0", dtype=np.uint8).copy(),
        "nm_off": np.array(offsets, dtype=np.int64).reshape(len(names)),
        "nm_len": np.array(lengths, dtype=np.int64),
    }


def _serves(group: AgentGroup, work: CallType | Campaign) -> bool:
    """Whether the group's agents can take ``work`` (the router's own check)."""
    return serves_work(group.capacity, group.skills, work.channel, work.skills.items())


def _campaigns(
    s: Scenario,
    seed: np.random.SeedSequence,
    qindex: dict[str, int],
    channels: list[str],
    cp_groups: list[int],
    room: int,
) -> dict[str, Any]:
    """The campaigns' parameters and their records' draws (``room`` records each)."""
    config = s.router_config()
    n = len(s.campaigns)
    width = room if n else 0
    cp_i = np.zeros((n, lay.CP_ICOLS), dtype=np.int64)
    cp_f = np.zeros((n, lay.CP_FCOLS), dtype=np.float64)
    draws = {key: np.zeros((n, width)) for key in ("rpc", "answer", "no_answer", "handle")}
    serves = np.zeros((n, max(1, len(s.agent_groups))), dtype=np.uint8)
    compete = np.zeros((n, max(1, len(qindex))), dtype=np.uint8)
    for i, camp in enumerate(s.campaigns):
        rng = {part: source_rng(seed, f"campaign/{camp.name}/{part}") for part in draws}
        draws["rpc"][i] = sample(Uniform(low=0.0, high=1.0), rng["rpc"], width)
        draws["answer"][i] = sample(camp.answer_time, rng["answer"], width)
        draws["no_answer"][i] = sample(camp.no_answer_time, rng["no_answer"], width)
        draws["handle"][i] = sample(camp.handle, rng["handle"], width)
        pacing = camp.pacing
        predictive = isinstance(pacing, Predictive)
        cp_i[i] = (
            qindex[camp.queue],
            cp_groups[i],
            channels.index(camp.channel),
            -1 if camp.list_size is None else camp.list_size,
            predictive,
            camp.reserve,
        )
        low = high = log_gain = max_lines = 0.0
        weight = 0.0
        if isinstance(pacing, Predictive):
            low, high = math.log(pacing.min_gain), math.log(pacing.max_gain)
            log_gain = min(high, max(low, math.log(pacing.initial_gain)))
            weight = pacing.prior_attempts
            max_lines = pacing.max_lines_per_agent
        cp_f[i] = (
            camp.start,
            s.horizon if camp.end is None else camp.end,
            camp.grace,
            float(camp.priority),
            camp.rpc_probability,
            mean_of(camp.answer_time),
            mean_of(camp.handle) + config.queue(camp.queue).wrap_up,
            camp.rpc_probability,
            weight,
            camp.target_abandon_rate,
            pacing.gain_step if isinstance(pacing, Predictive) else 0.0,
            low,
            high,
            log_gain,
            max_lines,
        )
        eligible = [g for g in s.agent_groups if _serves(g, camp)]
        for g, group in enumerate(s.agent_groups):
            serves[i, g] = group in eligible
        work: list[CallType | Campaign] = [*s.call_types, *s.campaigns]
        queues = {
            w.queue
            for w in work
            if w is not camp
            and w.priority >= camp.priority
            and any(_serves(g, w) for g in eligible)
        }
        for q in queues | {camp.queue}:
            compete[i, qindex[q]] = 1
    return {
        "cp_i": cp_i,
        "cp_f": cp_f,
        "cp_rpc": draws["rpc"],
        "cp_answer": draws["answer"],
        "cp_no_answer": draws["no_answer"],
        "cp_handle": draws["handle"],
        "cp_serves": serves,
        "cp_compete": compete,
    }
