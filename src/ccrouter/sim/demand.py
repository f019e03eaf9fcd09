"""The expected demand reaching the agents, per call type and interval, without simulating.

The analytical counterpart of :func:`ccrouter.sim.customers.draw_customers`, for Erlang
estimates (a staffing search's starting point, a per-interval requirement): per interval, the
calls per hour that reach the router and their mean handle time, after ``handle_means`` and
the self-service stage (contained customers leave; escalated ones carry the automation and
escalation factors; repeats join their target call type). Two approximations, both small
when the interval is long beside the times involved: a customer counts in the interval it
entered the stage (not the one it reached the queue in), and a repeat in the interval of its
mean arrival (the middle of its origin interval + mean time in the stage + mean delay);
repeats of repeats do not happen (repeats skip the stage). Retrials are not added.

>>> from ccrouter.sim import Scenario
>>> s = Scenario.from_dict({"horizon": 3600, "interval": 1800, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [100, 200]},
...     "handle": {"kind": "exponential", "mean": 100}, "handle_means": [100, 300],
...     "self_service": {"time": {"kind": "deterministic", "value": 30}, "containment": 0.5,
...                      "automated": 1.0, "automated_handle_factor": 0.5}}],
...     "agent_groups": [{"name": "g", "headcount": [5]}]})
>>> agent_demand(s)["c"]
AgentDemand(calls_per_hour=[50.0, 100.0], mean_handle=[50.0, 150.0])
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ccrouter.sim.distributions import mean_of
from ccrouter.sim.scenario import CallType, PoissonArrivals, Scenario

__all__ = ["AgentDemand", "agent_demand"]


class AgentDemand(NamedTuple):
    """One call type's expected demand at the agents, one value per interval."""

    calls_per_hour: list[float]
    """Calls per hour reaching the router (0 where none)."""
    mean_handle: list[float]
    """Their mean handle time in seconds (the call type's mean where no call arrives)."""


def _entering(s: Scenario, ct: CallType) -> list[float]:
    """Calls per hour entering (the stage, or the queue without one) per interval."""
    n = s.n_intervals
    if isinstance(ct.arrivals, PoissonArrivals):
        rates = ct.arrivals.rates_per_hour
        return [float(rates[k] if len(rates) > 1 else rates[0]) for k in range(n)]
    counts = [0] * n
    for t in ct.arrivals.times:
        if t < s.horizon:
            counts[min(n - 1, int(t // s.interval))] += 1
    spans = [min(s.interval, s.horizon - k * s.interval) for k in range(n)]
    return [c * 3600.0 / w for c, w in zip(counts, spans, strict=True)]


def _means(s: Scenario, ct: CallType) -> list[float]:
    n = s.n_intervals
    if ct.handle_means is None:
        return [mean_of(ct.handle)] * n
    means = ct.handle_means
    return [float(means[k] if len(means) > 1 else means[0]) for k in range(n)]


def agent_demand(scenario: Scenario) -> dict[str, AgentDemand]:
    """Expected calls per hour and mean handle time at the agents, per call type and
    interval (see the module docstring for the approximations).

    Args:
        scenario: the model.

    Returns:
        Call type name → its :class:`AgentDemand`, in the scenario's order.
    """
    s = scenario
    n = s.n_intervals
    rate = {ct.name: [0.0] * n for ct in s.call_types}
    work = {ct.name: [0.0] * n for ct in s.call_types}  # calls per hour × mean handle
    by_name = {ct.name: ct for ct in s.call_types}
    for ct in s.call_types:
        entering, means = _entering(s, ct), _means(s, ct)
        ss = ct.self_service
        for k in range(n):
            if ss is None:
                rate[ct.name][k] += entering[k]
                work[ct.name][k] += entering[k] * means[k]
                continue
            escalated = max(0.0, 1.0 - ss.containment - ss.opt_out)
            factor = ss.automated * ss.automated_handle_factor + (1.0 - ss.automated) * (
                ss.escalated_handle_factor
            )
            rate[ct.name][k] += entering[k] * (ss.opt_out + escalated)
            work[ct.name][k] += entering[k] * means[k] * (ss.opt_out + escalated * factor)
            repeats = entering[k] * ss.containment * ss.repeat
            if repeats <= 0.0:
                continue
            at = (k + 0.5) * s.interval + mean_of(ss.time) + mean_of(ss.repeat_delay)
            if at >= s.horizon:
                continue  # dropped, as the draw drops late repeats
            j = int(at // s.interval)
            target = by_name[ss.repeat_to or ct.name]
            # per hour of the target interval: the origin interval's count over its length
            span = min(s.interval, s.horizon - k * s.interval)
            length = min(s.interval, s.horizon - j * s.interval)
            per_hour = repeats * span / length
            rate[target.name][j] += per_hour
            work[target.name][j] += per_hour * _means(s, target)[j]
    out = {}
    for ct in s.call_types:
        means = _means(s, ct)
        handle = [
            w / r if r > 0 and not math.isclose(r, 0.0) else means[k]
            for k, (r, w) in enumerate(zip(rate[ct.name], work[ct.name], strict=True))
        ]
        out[ct.name] = AgentDemand(rate[ct.name], handle)
    return out
