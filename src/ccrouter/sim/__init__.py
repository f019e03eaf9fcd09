"""Discrete-event simulation driving the real router: scenarios, replications, validation.

>>> from ccrouter.sim import Scenario, simulate
>>> s = Scenario.from_dict({"horizon": 1800, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [100]},
...     "handle": {"kind": "exponential", "mean": 120}}],
...     "agent_groups": [{"name": "g", "headcount": [5]}]})
>>> result = simulate(s, replications=4, seed=1)
>>> sl = result.overall["all"]["service_level"]
>>> 0 < sl.mean <= 1 and sl.n == 4
True
"""

from __future__ import annotations

from ccrouter.sim.campaign import Campaign, Predictive, Progressive
from ccrouter.sim.compiled import NotCompiled
from ccrouter.sim.confidence import Estimate, estimate, t_quantile
from ccrouter.sim.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
)
from ccrouter.sim.engine import Engine, source_rng
from ccrouter.sim.engines import ENGINES, EngineFallback
from ccrouter.sim.interval_search import (
    IntervalCheck,
    IntervalSearchResult,
    IntervalStep,
    staff_search_per_interval,
)
from ccrouter.sim.metrics import CAMPAIGN_METRICS, METRICS, ReplicationMetrics, compute_metrics
from ccrouter.sim.replications import SimulationResult, run_replication, simulate, summarize
from ccrouter.sim.scenario import (
    AgentGroup,
    Break,
    CallType,
    PoissonArrivals,
    QueueTarget,
    Scenario,
    ScenarioError,
    Shift,
    TraceArrivals,
    load_scenario,
)
from ccrouter.sim.search import Candidate, Check, SearchResult, erlang_start, staff_search

__all__ = [
    "CAMPAIGN_METRICS",
    "ENGINES",
    "METRICS",
    "AgentGroup",
    "Break",
    "CallType",
    "Campaign",
    "Candidate",
    "Check",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Engine",
    "EngineFallback",
    "Estimate",
    "Exponential",
    "Gamma",
    "IntervalCheck",
    "IntervalSearchResult",
    "IntervalStep",
    "Lognormal",
    "NotCompiled",
    "PoissonArrivals",
    "Predictive",
    "Progressive",
    "QueueTarget",
    "ReplicationMetrics",
    "Scenario",
    "ScenarioError",
    "SearchResult",
    "Shift",
    "SimulationResult",
    "TraceArrivals",
    "Uniform",
    "compute_metrics",
    "erlang_start",
    "estimate",
    "load_scenario",
    "run_replication",
    "simulate",
    "source_rng",
    "staff_search",
    "staff_search_per_interval",
    "summarize",
    "t_quantile",
]
