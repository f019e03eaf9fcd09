"""Windows of a scenario for the per-interval staffing search (:mod:`ccrouter.sim.interval_search`).

A *window* is a run of consecutive intervals ``lo..hi`` cut out of a scenario and shifted to
start at 0: the same arrival rates, the same headcounts of the groups not searched, the searched
groups staffed interval by interval as the search proposes. One replication of a window gives,
per interval and queue, the service level (at the queue's own threshold) and the abandonment
rate.

A window that starts at interval 0 (a *prefix*) is drawn from the scenario's own replication
streams (:func:`ccrouter.sim.engines.replication_seed`): arrivals are drawn interval by interval
and each customer's handle time and patience in arrival order, so up to the prefix's end its
customers are the whole day's, and its intervals before the last one come out as in the whole
day's run with the same staffing (later intervals cannot change earlier arrivals). A window
starting later is a shorter, cheaper run with streams of its own (``spawn_key`` beyond any
source key), starting empty ``lo`` intervals in.

>>> from ccrouter.sim.scenario import Scenario
>>> s = Scenario.from_dict({"horizon": 7200, "interval": 1800, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [60, 120, 180, 240]},
...     "handle": {"kind": "exponential", "mean": 60}}],
...     "agent_groups": [{"name": "g", "headcount": [1]}]})
>>> w = window_scenario(s, 1, 2, {"g": [3, 4]})
>>> w.horizon, w.call_types[0].arrivals.rates_per_hour, w.agent_groups[0].headcount
(3600.0, [120.0, 180.0], [3, 4])
>>> interval_erlang(s, 3, {"default": QueueTarget(service_level=0.8)}, ["g"])
{'g': 6}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import msgspec
import numpy as np

from ccrouter.sim.compiled import run_compiled
from ccrouter.sim.demand import AgentDemand
from ccrouter.sim.engine import Engine
from ccrouter.sim.engines import Resolved, replication_seed
from ccrouter.sim.interval_fold import day_levels, interval_levels
from ccrouter.sim.metrics import ReplicationMetrics, compute_metrics
from ccrouter.sim.scenario import PoissonArrivals, QueueTarget, Scenario, ScenarioError
from ccrouter.sim.staffing_bound import erlang_start

__all__ = [
    "DayValues",
    "WindowValues",
    "interval_erlang",
    "run_day",
    "run_window",
    "window_scenario",
    "window_seed",
]

DayValues = dict[str, tuple[float, float, list[float], list[float]]]
"""Queue → (service level over the whole day, abandonment rate over the whole day, service
level per interval, abandonment rate per interval); ``nan`` where the queue had no arrivals."""

WindowValues = dict[str, tuple[list[float], list[float]]]
"""Queue → (service level per window interval, abandonment rate per window interval); ``nan``
where the queue had no arrivals in that interval."""

_KEY_BASE = 2**32
"""Spawn keys of later windows start here: above every source key (a crc32), so a window's
streams never coincide with a source of the scenario's own replications."""


def window_scenario(
    base: Scenario, lo: int, hi: int, headcounts: Mapping[str, Sequence[int]]
) -> Scenario:
    """Intervals ``lo..hi`` (inclusive) of ``base`` as a scenario starting at 0.

    Args:
        base: the whole scenario (no campaigns; groups with shifts only when ``lo`` is 0).
        lo: first interval of the window.
        hi: last interval of the window.
        headcounts: searched group → one headcount per interval of the window.

    Returns:
        The window: no warm-up, no targets, the same router and call types.

    Raises:
        ScenarioError: a group with shifts in a window that does not start at 0.
    """
    width = base.interval
    start = lo * width
    end = min(base.horizon, (hi + 1) * width)
    call_types = []
    for ct in base.call_types:
        arrivals = ct.arrivals
        if isinstance(arrivals, PoissonArrivals):
            rates = arrivals.rates_per_hour
            if len(rates) > 1:
                arrivals = PoissonArrivals(rates_per_hour=list(rates[lo : hi + 1]))
        else:
            times = [t - start for t in arrivals.times if start <= t < end]
            arrivals = (
                msgspec.structs.replace(arrivals, times=times, path="")
                if times
                else PoissonArrivals(rates_per_hour=[0.0])
            )
        means = ct.handle_means
        if means is not None and len(means) > 1:
            means = list(means[lo : hi + 1])  # the window's intervals are numbered from 0
        call_types.append(msgspec.structs.replace(ct, arrivals=arrivals, handle_means=means))
    groups = []
    for g in base.agent_groups:
        if g.name in headcounts:
            g = msgspec.structs.replace(g, headcount=list(headcounts[g.name]), shifts=None)
        elif g.headcount is not None and len(g.headcount) > 1:
            g = msgspec.structs.replace(g, headcount=list(g.headcount[lo : hi + 1]))
        elif g.shifts is not None and lo > 0:
            msg = f"agent group {g.name!r} works shifts: a window starting at interval {lo} "
            raise ScenarioError(msg + "cannot shift them (search it, or use lookback=None)")
        groups.append(g)
    # Not validated again: every part is the valid scenario's own, cut to the window (the
    # search makes thousands of windows; validating parses the router config each time).
    return msgspec.structs.replace(
        base,
        horizon=end - start,
        warmup=0.0,
        targets={},
        call_types=call_types,
        agent_groups=groups,
    )


def window_seed(seed: int, replication: int, lo: int) -> np.random.SeedSequence:
    """The streams of replication ``replication`` of a window starting at interval ``lo``: the
    scenario's own for a prefix (``lo == 0``), streams of the window's own otherwise."""
    if lo == 0:
        return replication_seed(seed, replication)
    return np.random.SeedSequence(seed, spawn_key=(replication, _KEY_BASE + lo))


def run_window(
    window: Scenario,
    seed: int,
    replication: int,
    lo: int,
    thresholds: Mapping[float, Sequence[str]],
    engine: Resolved,
    backend: str | None = None,
    one_run: bool = False,
) -> WindowValues:
    """One replication of ``window``: each queue's service level (at its own threshold) and
    abandonment rate per interval (top-level: executors pickle it).

    Args:
        window: a window made by :func:`window_scenario`.
        seed: the search's root seed.
        replication: the replication's index.
        lo: the window's first interval in the whole scenario (it picks the streams).
        thresholds: threshold (seconds) → the queues judged at it. The run is repeated once per
            distinct threshold (the engines fold one threshold), with the same streams.
        engine: the engine that runs it.
        backend: the routing backend of the router-driven engine.
        one_run: every threshold from one compiled run (:mod:`ccrouter.sim.interval_fold`;
            only where :func:`~ccrouter.sim.interval_fold.one_pass` holds).

    Returns:
        Queue → (service levels, abandonment rates), one value per window interval.
    """
    if one_run and engine == "compiled":
        each = {q: t for t, queues in thresholds.items() for q in queues}
        return interval_levels(window, window_seed(seed, replication, lo), each)
    out: WindowValues = {}
    n = window.n_intervals
    for queues, metrics in _runs(window, window_seed(seed, replication, lo), thresholds,
                                 engine, backend):  # fmt: skip
        for q in queues:
            got = metrics.per_interval.get(q)
            if got is None:
                out[q] = ([math.nan] * n, [math.nan] * n)
            else:
                out[q] = (list(got["service_level"]), list(got["abandonment_rate"]))
    return out


def _runs(
    window: Scenario,
    stream: np.random.SeedSequence,
    thresholds: Mapping[float, Sequence[str]],
    engine: Resolved,
    backend: str | None,
) -> Iterator[tuple[Sequence[str], ReplicationMetrics]]:
    """One run per distinct threshold (the engines fold one), on the same streams."""
    for threshold, queues in thresholds.items():
        scenario = (
            window
            if threshold == window.threshold
            else msgspec.structs.replace(window, threshold=threshold)
        )
        if engine == "compiled":
            metrics = run_compiled(scenario, stream).metrics()
        else:
            run = Engine(scenario, stream, backend=backend).run()
            metrics = compute_metrics(scenario, run.events, run.agent_group, run.customers)
        yield queues, metrics


def run_day(
    day: Scenario,
    seed: int,
    replication: int,
    thresholds: Mapping[float, Sequence[str]],
    engine: Resolved,
    backend: str | None = None,
    one_run: bool = False,
) -> DayValues:
    """One replication of a whole day (a window from interval 0 to the last: the scenario's
    own streams): each queue's service level and abandonment rate over all the day's calls,
    then per interval (top-level: executors pickle it). Arguments as :func:`run_window`'s."""
    stream = window_seed(seed, replication, 0)
    if one_run and engine == "compiled":
        return day_levels(day, stream, {q: t for t, queues in thresholds.items() for q in queues})
    out: DayValues = {}
    n = day.n_intervals
    for queues, metrics in _runs(day, stream, thresholds, engine, backend):
        for q in queues:
            got, total = metrics.per_interval.get(q), metrics.overall.get(q)
            if got is None or total is None:
                out[q] = (math.nan, math.nan, [math.nan] * n, [math.nan] * n)
            else:
                out[q] = (total["service_level"], total["abandonment_rate"],
                          list(got["service_level"]), list(got["abandonment_rate"]))  # fmt: skip
    return out


def interval_erlang(
    base: Scenario,
    k: int,
    targets: Mapping[str, QueueTarget],
    groups: Sequence[str],
    demand: Mapping[str, AgentDemand] | None = None,
) -> dict[str, int]:
    """The Erlang starting staffing of interval ``k`` for ``groups``
    (:func:`~ccrouter.sim.staffing_bound.erlang_start` on that interval's load at the agents:
    :func:`~ccrouter.sim.demand.agent_demand`, after self-service and ``handle_means``).

    Args:
        base: the whole scenario.
        k: the interval.
        targets: queue → target.
        groups: the groups to staff.
        demand: ``agent_demand(base)``, when the caller sizes many intervals.
    """
    return erlang_start(base, targets, groups, interval=k, demand=demand)
