"""Metrics of one run, computed from the router's event log.

Counts, service level, ASA, abandonment, AHT and occupancy come from
:func:`ccrouter.stats.interval_report` (the same projection a live center reports with). The
figures that report does not carry — the probability of waiting, the time-average queue length
(Little's law: total waiting time of the interval's arrivals over the interval's length) and
the wait distribution — are read from the same events in one more pass. Interactions count in
the interval they arrived in; runs go on until every interaction has ended, so no outcome is
cut off.

Outbound campaigns keep their own queue; the queue scopes and ``"all"`` are inbound only. A
campaign's connects, answers, abandons and handle time are the interval report's rows of its
queue; only the attempts (dials, and with them the no-answers), which never reach the router,
come from the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

from ccrouter.events import (
    Event,
    InteractionAbandoned,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
)
from ccrouter.sim.scenario import Scenario
from ccrouter.stats import interval_report
from ccrouter.stats._wait_events import WAIT_EVENTS
from ccrouter.stats.definitions import PUBLIC, SIM_COUNTS, derive, service_level

__all__ = ["CAMPAIGN_METRICS", "METRICS", "WAIT_EDGES", "ReplicationMetrics", "compute_metrics"]

METRICS: tuple[str, ...] = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa",
    "mean_wait",
    "abandonment_rate",
    "p_wait",
    "aht",
    "occupancy",
    "queue_length",
    "staffed_agents",
    *SIM_COUNTS,  # callbacks, exited, overdue: counters defined in ccrouter.stats.definitions
)
"""Per scope (each queue, and ``"all"``), per interval and over the whole horizon. ``asa`` is
the mean wait of the answered interactions (as in the interval report); ``mean_wait`` that of
all arrivals, abandoned ones included (Erlang A's "ASA"); ``p_wait`` the share of arrivals
that waited in queue at all (not offered on arrival: ring time is not queueing);
``queue_length`` the time-average number waiting; ``staffed_agents`` the average number of
agents ready or working; ``callbacks`` (callers who took a callback), ``exited`` (left by an
exit rule) and ``overdue`` (work past its deadline) are counts from the queue policies
(``ccrouter.engine.policies``)."""

CAMPAIGN_METRICS: tuple[str, ...] = (
    "dialed",
    "no_answers",
    "connects",
    "connect_rate",
    "answered",
    "abandoned",
    "abandon_rate",
    "aht",
)
"""Per campaign over the horizon (after warm-up): attempts ``dialed`` (engine), of which
``no_answers`` did not reach the right party; ``connects`` (interactions queued), ``answered``
(reached an agent), ``abandoned`` (dropped after the grace time), ``connect_rate`` =
connects / dialed, ``abandon_rate`` = abandoned / connects (the figure regulators cap),
``aht`` = talk + wrap-up per handled connect."""

WAIT_EDGES: tuple[float, ...] = (0.0, 1e-9, *(5.0 * k for k in range(1, 121)), math.inf)
"""Bins of the wait histogram of answered interactions: zero, then 5 s bins up to 600 s."""

_SUMS = (
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "abandoned_within_threshold",
    "total_wait_time",
    "handled",
    "total_talk_time",
    "total_wrap_up_time",
    *SIM_COUNTS,
)


class ReplicationMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """One run's figures; ``nan`` where a ratio is undefined (nothing offered...)."""

    per_interval: dict[str, dict[str, list[float]]]
    """Scope (queue name or ``"all"``) → metric → one value per interval."""
    overall: dict[str, dict[str, float]]
    """Scope → metric → its value over the horizon (after warm-up)."""
    group_occupancy: dict[str, list[float]]
    """Agent group → occupancy per interval."""
    wait_histogram: list[int]
    """Answered interactions per ``WAIT_EDGES`` bin (after warm-up)."""
    customers: int
    events: int
    campaigns: dict[str, dict[str, float]] = {}
    """Campaign → ``CAMPAIGN_METRICS`` → value over the horizon (after warm-up)."""
    group_utilisation: dict[str, float] = {}
    """Agent group → busy, reserved and wrap-up time over staffed time, whole horizon."""
    self_service: dict[str, dict[str, list[float]]] = {}
    """Call type with a self-service stage (and ``"all"``) → ``SELF_SERVICE_METRICS`` → one
    value per interval of entry (``ccrouter.sim.customers.self_service_counts``)."""
    self_service_overall: dict[str, dict[str, float]] = {}
    """The same over the horizon (after warm-up)."""


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _defined(name: str, c: dict[str, float]) -> float:
    """A ratio of :data:`ccrouter.stats.definitions.RATIOS` over the public sums ``c``."""
    value = derive(name, lambda counter: c[PUBLIC[counter]])
    return math.nan if value is None else value


def _derive(c: dict[str, float], length: float, sl: str = "offered") -> dict[str, float]:
    within, short = c["answered_within_threshold"], c["abandoned_within_threshold"]
    level = service_level(sl, within, c["offered"], c["answered"], short)
    return {
        "offered": c["offered"],
        "answered": c["answered"],
        "abandoned": c["abandoned"],
        "service_level": math.nan if level is None else level,
        "asa": _defined("asa", c),
        "mean_wait": _ratio(c["queue_time"], c["offered"]),
        "abandonment_rate": _defined("abandonment_rate", c),
        "p_wait": _ratio(c["waited"], c["offered"]),
        "aht": _defined("aht", c),
        "occupancy": _ratio(c["handling_time"], c["staffed_time"]),
        "queue_length": _ratio(c["queue_time"], length),
        "staffed_agents": _ratio(c["staffed_time"], length),
        **{name: c[name] for name in SIM_COUNTS},
    }


def derive_scopes(
    counts: dict[str, list[dict[str, float]]],
    lengths: list[float],
    keys: Iterable[str],
    total_length: float,
    sl_definition: str = "offered",
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, float]]]:
    """Every metric per interval and over the run, per scope, from the counters per scope and
    interval (``lengths``: each interval's measured length, 0 for one wholly in the warm-up:
    its metrics are ``nan``; ``sl_definition``: the service level's denominator, one of
    :data:`ccrouter.stats.definitions.SL_DEFINITIONS`). Both engines' metrics end here."""
    per_interval: dict[str, dict[str, list[float]]] = {}
    overall: dict[str, dict[str, float]] = {}
    n = len(lengths)
    for scope, by_interval in counts.items():
        rows = [_derive(by_interval[k], lengths[k], sl_definition) for k in range(n)]
        per_interval[scope] = {m: [r[m] if lengths[k] > 0 else math.nan for k, r in
                                   enumerate(rows)] for m in METRICS}  # fmt: skip
        total = {key: sum(by_interval[k][key] for k in range(n)) for key in keys}
        overall[scope] = _derive(total, total_length, sl_definition)
    return per_interval, overall


def compute_metrics(
    scenario: Scenario,
    events: Sequence[Event],
    agent_group: dict[str, str],
    customers: int,
    dials: dict[str, list[tuple[float, bool]]] | None = None,
) -> ReplicationMetrics:
    """The figures of one run (``events``: its whole log, in order; ``dials``: the engine's
    attempts per campaign, ``(dial time, right-party connect)``)."""
    s = scenario
    n = s.n_intervals
    width = s.interval
    warmup = s.warmup
    lengths = [max(0.0, min((k + 1) * width, s.horizon) - max(k * width, warmup)) for k in range(n)]
    queues = sorted({ct.queue for ct in s.call_types})
    scopes = [*queues, "all"]
    keys = (*_SUMS, "waited", "queue_time", "staffed_time", "handling_time")
    counts = {q: [dict.fromkeys(keys, 0.0) for _ in range(n)] for q in scopes}

    campaign_of = {c.queue: c.name for c in s.campaigns}
    outbound = {c.name: dict.fromkeys(_SUMS, 0.0) for c in s.campaigns}
    report = interval_report(events, width, threshold=s.threshold, start=warmup, by=("queue",))
    for row in report:
        k = int(row.start // width)
        if row.queue in campaign_of:  # a connect just after the horizon still counts
            for key in _SUMS:
                outbound[campaign_of[row.queue]][key] += float(getattr(row, key))
        if k >= n:
            continue
        for scope in scopes:  # center-wide in every row: take it once per interval
            counts[scope][k]["staffed_time"] = row.staffed_time
            counts[scope][k]["handling_time"] = row.handling_time
        if row.queue in counts:
            for key in _SUMS:
                value = float(getattr(row, key))
                counts[row.queue][k][key] += value
                counts["all"][k][key] += value

    # One pass for what the report does not carry: who waited, total time in queue, waits.
    arrived: dict[str, tuple[float, str]] = {}
    # Queued before its first offer (ringing is not queueing: with a ring delay every answer
    # comes after the arrival, yet a call offered at once never waited in queue).
    queued_first: dict[str, bool] = {}
    hist_edges = np.asarray(WAIT_EDGES)
    answered_waits: list[float] = []
    for e in events:
        match WAIT_EVENTS[type(e)]:
            case "arrived":
                assert isinstance(e, InteractionQueued)
                if warmup <= e.at < s.horizon and e.queue in counts:
                    arrived[e.interaction_id] = (e.at, e.queue)
            case "offered":
                assert isinstance(e, InteractionOffered)
                got = arrived.get(e.interaction_id)
                if got is not None and e.interaction_id not in queued_first:
                    queued_first[e.interaction_id] = e.at > got[0]
            case "answered" | "abandoned":
                assert isinstance(e, OfferAccepted | InteractionAbandoned)
                got = arrived.pop(e.interaction_id, None)
                if got is None:
                    continue
                wait = e.at - got[0]
                waited = queued_first.pop(e.interaction_id, wait > 0)
                k = min(n - 1, int(got[0] // width))
                for scope in (got[1], "all"):
                    bucket = counts[scope][k]
                    bucket["queue_time"] += wait
                    if waited:
                        bucket["waited"] += 1
                if type(e) is OfferAccepted:
                    answered_waits.append(wait)
    histogram, _ = np.histogram(np.asarray(answered_waits), bins=hist_edges)

    per_interval, overall = derive_scopes(
        counts, lengths, keys, s.horizon - warmup, s.sl_definition
    )

    group_occupancy: dict[str, list[float]] = {}
    group_utilisation: dict[str, float] = {}
    groups = sorted({g.name for g in s.agent_groups})
    if len(groups) == 1:
        group_occupancy[groups[0]] = per_interval["all"]["occupancy"]
        group_utilisation[groups[0]] = overall["all"]["occupancy"]
    else:
        staffed = {g: [0.0] * n for g in groups}
        handling = {g: [0.0] * n for g in groups}
        for row in interval_report(events, width, start=warmup, by=("agent",)):
            k = int(row.start // width)
            group = agent_group.get(row.agent_id or "")
            if k < n and group is not None:
                staffed[group][k] += row.staffed_time
                handling[group][k] += row.handling_time
        for g in groups:
            group_occupancy[g] = [
                _ratio(h, st) for h, st in zip(handling[g], staffed[g], strict=True)
            ]
            group_utilisation[g] = _ratio(sum(handling[g]), sum(staffed[g]))
    return ReplicationMetrics(
        per_interval=per_interval,
        overall=overall,
        group_occupancy=group_occupancy,
        wait_histogram=[int(x) for x in histogram],
        customers=customers,
        events=len(events),
        campaigns={
            name: _campaign(sums, [d for d in (dials or {}).get(name, []) if d[0] >= warmup])
            for name, sums in outbound.items()
        },
        group_utilisation=group_utilisation,
    )


def _campaign(c: dict[str, float], dials: list[tuple[float, bool]]) -> dict[str, float]:
    dialed = float(len(dials))
    return {
        "dialed": dialed,
        "no_answers": dialed - sum(1 for _, connected in dials if connected),
        "connects": c["offered"],
        "connect_rate": _ratio(c["offered"], dialed),
        "answered": c["answered"],
        "abandoned": c["abandoned"],
        "abandon_rate": _ratio(c["abandoned"], c["offered"]),
        "aht": _ratio(c["total_talk_time"] + c["total_wrap_up_time"], c["handled"]),
    }
