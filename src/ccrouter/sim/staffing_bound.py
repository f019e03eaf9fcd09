"""The staffing search's starting point: an Erlang bound per agent group.

Each targeted call type's traffic at the agents (arrival rate × (mean handle time + the queue's
wrap-up), both as :func:`~ccrouter.sim.demand.agent_demand` gives them: after the self-service
stage — contained calls never reach an agent, escalations and automation change the handle
time, repeats add calls — and with the call type's ``handle_means`` per interval) is
sized with Erlang C — Erlang A (mean patience) when every caller in the pool hangs up — in
servers ("slots"), then divided by the channel capacity. A group gets the answer for the
traffic only it can serve; when these sum to less than the answer for all targeted traffic
pooled (as if every agent could take every call), the gap is shared among the groups able to
take the shared traffic, in proportion to it (largest remainder).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ccrouter.engine.records import serves
from ccrouter.sim.demand import AgentDemand, agent_demand
from ccrouter.sim.distributions import mean_of
from ccrouter.sim.scenario import AgentGroup, CallType, QueueTarget, Scenario
from ccrouter.staffing import erlang

__all__ = ["eligible", "erlang_start", "target_threshold"]


def eligible(ct: CallType, group: AgentGroup) -> bool:
    """Whether ``group`` can take calls of ``ct`` (as the router decides: some capacity on
    the channel, every skill met)."""
    return serves(group.capacity, group.skills, ct.channel, ct.skills.items())


Load = tuple[CallType, float, float]
"""A call type's load at the agents: (call type, erlangs offered, mean handle time)."""


def _traffic(
    s: Scenario, ct: CallType, wrap_up: float, demand: AgentDemand, interval: int | None
) -> tuple[float, float]:
    """Erlangs offered to the agents by a call type and their mean handle time, in interval
    ``interval`` or over the horizon (``None``: the calls of every interval, each with its
    own mean handle time)."""
    rates, means = demand.calls_per_hour, demand.mean_handle
    if interval is not None:
        calls, handle = rates[interval] / 3600.0, means[interval]
    else:
        spans = [min(s.interval, s.horizon - k * s.interval) for k in range(s.n_intervals)]
        count = math.fsum(r * w for r, w in zip(rates, spans, strict=True))
        work = math.fsum(r * w * h for r, w, h in zip(rates, spans, means, strict=True))
        calls = count / 3600.0 / s.horizon
        handle = work / count if count > 0 else mean_of(ct.handle)
    return calls * (handle + wrap_up), handle


def _erlang_agents(calls: Sequence[Load], target: QueueTarget, threshold: float, cap: int) -> int:
    """Agents for the pooled traffic of ``calls`` to meet ``target``, as one Erlang C (or, when
    every caller has a patience, Erlang A) queue of slots."""
    traffic = sum(a for _, a, _ in calls)
    if traffic <= 0.0:
        return 0
    aht = sum(a * h for _, a, h in calls) / traffic
    level = target.service_level or 0.0
    patience = [mean_of(ct.patience) for ct, _, _ in calls if ct.patience is not None]
    if len(patience) == len(calls):
        mean_patience = sum(p * a for p, (_, a, _) in zip(patience, calls, strict=True)) / traffic
        slots = int(
            erlang.agents_for_erlang_a(
                traffic, aht, mean_patience, threshold, level, max_abandon=target.max_abandon
            )
        )
    elif target.service_level is not None:
        slots = int(erlang.agents_for_service_level(traffic, aht, threshold, level))
    else:  # no abandonment without patience: only stability is asked for
        slots = math.floor(traffic) + 1
    return math.ceil(slots / cap)


def erlang_start(
    scenario: Scenario,
    targets: Mapping[str, QueueTarget],
    groups: Sequence[str],
    interval: int | None = None,
    demand: Mapping[str, AgentDemand] | None = None,
) -> dict[str, int]:
    """The search's starting staffing for ``groups`` (the module docstring's step 1).

    Args:
        scenario: the model.
        targets: queue → target (queues without one are not sized).
        groups: the agent groups to staff.
        interval: size interval ``interval``'s load alone (default: the horizon's mean load).
        demand: the scenario's :func:`~ccrouter.sim.demand.agent_demand`, when the caller
            already has it (the per-interval search sizes every interval from one).

    Returns:
        Group → agents.

    >>> from ccrouter.sim import Scenario
    >>> s = Scenario.from_dict({"horizon": 3600, "call_types": [{"name": "c",
    ...     "arrivals": {"kind": "poisson", "rates_per_hour": [240]},
    ...     "handle": {"kind": "exponential", "mean": 120}}],
    ...     "agent_groups": [{"name": "a", "headcount": [1]}, {"name": "b", "headcount": [1]}]})
    >>> erlang_start(s, {"default": QueueTarget(service_level=0.8)}, ["a", "b"])
    {'a': 6, 'b': 5}
    """
    config = scenario.router_config()
    load = agent_demand(scenario) if demand is None else demand
    by_name = {g.name: g for g in scenario.agent_groups}
    searched = [by_name[g] for g in groups]
    start = dict.fromkeys(groups, 0)
    shared: dict[str, float] = dict.fromkeys(groups, 0.0)
    pooled: list[Load] = []
    exclusive: dict[str, list[Load]] = {g: [] for g in groups}
    for ct in scenario.call_types:
        if ct.queue not in targets:
            continue
        a, handle = _traffic(scenario, ct, config.queues[ct.queue].wrap_up, load[ct.name], interval)
        able = [g for g in searched if eligible(ct, g)]
        if not able:
            continue
        pooled.append((ct, a, handle))
        if len(able) == 1:
            exclusive[able[0].name].append((ct, a, handle))
        else:
            for g in able:
                shared[g.name] += a / len(able)

    def need(calls: list[Load], cap: int) -> int:
        queues = {ct.queue for ct, _, _ in calls}
        return max(
            (
                _erlang_agents(calls, targets[q], target_threshold(scenario, targets[q]), cap)
                for q in queues
            ),
            default=0,
        )

    for g in searched:
        calls = exclusive[g.name]
        start[g.name] = need(calls, max((g.capacity[ct.channel] for ct, _, _ in calls), default=1))
    caps = [g.capacity[ct.channel] for ct, _, _ in pooled for g in searched if eligible(ct, g)]
    gap = need(pooled, max(caps, default=1)) - sum(start.values())
    weight = sum(shared.values())
    if gap > 0 and weight > 0:
        # Largest remainder, ties to the earlier group: the split always sums to the gap.
        quotas = {name: gap * w / weight for name, w in shared.items()}
        extra = {name: math.floor(q) for name, q in quotas.items()}
        order = sorted(groups, key=lambda name: (-(quotas[name] - extra[name]), groups.index(name)))
        for name in order[: gap - sum(extra.values())]:
            extra[name] += 1
        for name in groups:
            start[name] += extra[name]
    return start


def target_threshold(scenario: Scenario, target: QueueTarget) -> float:
    return scenario.threshold if target.threshold is None else target.threshold
