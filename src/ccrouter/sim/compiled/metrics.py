"""A compiled run's metrics without its events: the figures of
:func:`ccrouter.sim.metrics.compute_metrics` over the decoded events, from the totals the
kernel folded as it wrote each event (``_fold.py``: per interval, queue and agent)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ccrouter.sim.compiled import _layout as lay
from ccrouter.sim.compiled._fold import BUSY, N_COUNTS, READY, RESERVED, WRAP_UP
from ccrouter.sim.metrics import (
    ReplicationMetrics,
    _campaign,
    _ratio,
    compute_metrics,
    derive_scopes,
)
from ccrouter.sim.scenario import Scenario

__all__ = ["record_metrics"]

_COLUMNS = {  # _SUMS key -> fold column
    "offered": 0,
    "answered": 1,
    "answered_within_threshold": 2,
    "abandoned": 3,
    "total_wait_time": 4,
    "handled": 5,
    "total_talk_time": 6,
    "total_wrap_up_time": 7,
    "callbacks": 8,
    "overdue": 9,
    "exited": 10,
    "abandoned_within_threshold": 11,
}
_INTS = {"offered", "answered", "answered_within_threshold", "abandoned", "handled",
         "callbacks", "overdue", "exited", "abandoned_within_threshold"}  # fmt: skip


def record_metrics(
    scenario: Scenario,
    state: Any,
    queues: list[str],
    agent_ids: list[str],
    agent_group: dict[str, str],
    customers: int,
    dials: dict[str, list[tuple[float, bool]]],
) -> ReplicationMetrics:
    """``compute_metrics`` of the run whose kernel state is ``state`` (``queues``: the packed
    queue names; ``agent_ids``: by agent index)."""
    s = scenario
    n_ev = int(state.cnt[lay.N_EV])
    if n_ev == 0:
        return compute_metrics(s, [], agent_group, customers, dials)
    n = s.n_intervals
    width = s.interval
    warmup = s.warmup
    n_agents = int(state.cnt[lay.N_AGENTS])
    inbound_names = sorted({ct.queue for ct in s.call_types})
    qindex = {q: j for j, q in enumerate(queues)}
    counts_a, has, acc = state.counts, state.has, state.acc
    qtime, waited = state.qtime, state.waited
    last = float(state.sf[lay.SF_LAST])
    n_buckets = counts_a.shape[1]

    lengths = [max(0.0, min((k + 1) * width, s.horizon) - max(k * width, warmup)) for k in range(n)]
    scopes = [*inbound_names, "all"]
    keys = (*_COLUMNS, "exited", "waited", "queue_time", "staffed_time", "handling_time")
    counts = {q: [dict.fromkeys(keys, 0.0) for _ in range(n)] for q in scopes}
    campaign_of = {c.queue: c.name for c in s.campaigns}
    outbound = {c.name: dict.fromkeys((*_COLUMNS, "exited"), 0.0) for c in s.campaigns}

    # The interval report by queue: rows b_first..b_last x queues with arrivals in the window.
    logins = state.by_order[1 : state.cnt[lay.N_LOGINS] + 1].tolist()  # by login number
    center = np.zeros((n_buckets, 6))
    for a in logins:  # the report's agents in first-appearance order
        center += acc[a]
    groups = [q for q in sorted(queues) if has[qindex[q]]]
    b_first = math.floor(warmup / width)
    b_last = math.floor(last / width)
    if last > warmup and b_last * width >= last:
        b_last -= 1
    if groups:
        with_counts = [int(b) for q in groups for b in np.flatnonzero(counts_a[qindex[q], :, 0])]
        b_last = max([b_last, *with_counts])
    for b in range(b_first, b_last + 1):
        times = center[b].tolist() if b < n_buckets else [0.0] * 6
        handling = times[RESERVED] + times[BUSY] + times[WRAP_UP]
        staffed = handling + times[READY]
        k = int((0.0 + b * width) // width)
        for q in groups:
            row = counts_a[qindex[q], b] if b < n_buckets else np.zeros(N_COUNTS)
            values = {key: row[col] for key, col in _COLUMNS.items()}
            if q in campaign_of:
                for key, value in values.items():
                    outbound[campaign_of[q]][key] += float(value)
            if k >= n:
                continue
            for scope in scopes:
                counts[scope][k]["staffed_time"] = staffed
                counts[scope][k]["handling_time"] = handling
            if q in counts:
                for key, value in values.items():
                    counts[q][k][key] += float(value)
                    counts["all"][k][key] += float(value)
    for k in range(n):
        for q in inbound_names:
            counts[q][k]["queue_time"] = float(qtime[qindex[q], k])
            counts[q][k]["waited"] = float(waited[qindex[q], k])
        counts["all"][k]["queue_time"] = float(qtime[len(queues), k])
        counts["all"][k]["waited"] = float(waited[len(queues), k])
    histogram = state.hist.tolist()

    per_interval, overall = derive_scopes(
        counts, lengths, keys, s.horizon - warmup, s.sl_definition
    )

    group_occupancy: dict[str, list[float]] = {}
    group_utilisation: dict[str, float] = {}
    names = sorted({g.name for g in s.agent_groups})
    if len(names) == 1:
        group_occupancy[names[0]] = per_interval["all"]["occupancy"]
        group_utilisation[names[0]] = overall["all"]["occupancy"]
    else:
        st = {g: [0.0] * n for g in names}
        hd = {g: [0.0] * n for g in names}
        order = sorted(range(n_agents), key=lambda a: agent_ids[a])
        for b in range(min(n, n_buckets)):
            k = int((0.0 + b * width) // width)
            if k >= n:
                continue
            for a in order:
                times = acc[a, b].tolist()
                handling = times[RESERVED] + times[BUSY] + times[WRAP_UP]
                group = agent_group[agent_ids[a]]
                st[group][k] += handling + times[READY]
                hd[group][k] += handling
        for g in names:
            group_occupancy[g] = [_ratio(h, x) for h, x in zip(hd[g], st[g], strict=True)]
            group_utilisation[g] = _ratio(sum(hd[g]), sum(st[g]))
    return ReplicationMetrics(
        per_interval=per_interval,
        overall=overall,
        group_occupancy=group_occupancy,
        wait_histogram=[int(x) for x in histogram],
        customers=customers,
        events=n_ev,
        campaigns={
            name: _campaign(sums, [d for d in dials.get(name, []) if d[0] >= warmup])
            for name, sums in outbound.items()
        },
        group_utilisation=group_utilisation,
    )
