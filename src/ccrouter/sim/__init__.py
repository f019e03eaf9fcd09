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
from ccrouter.sim.demand import AgentDemand, agent_demand
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
from ccrouter.sim.forecast import Forecast, ForecastError, read_forecast, scenario_from_forecast
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
from ccrouter.sim.scenario_toml import scenario_to_toml, write_scenario
from ccrouter.sim.search import Candidate, Check, SearchResult, erlang_start, staff_search
from ccrouter.sim.self_service import SELF_SERVICE_METRICS, SelfService

__all__ = [
    "CAMPAIGN_METRICS",
    "ENGINES",
    "METRICS",
    "SELF_SERVICE_METRICS",
    "AgentDemand",
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
    "Forecast",
    "ForecastError",
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
    "SelfService",
    "Shift",
    "SimulationResult",
    "TraceArrivals",
    "Uniform",
    "agent_demand",
    "compute_metrics",
    "erlang_start",
    "estimate",
    "load_scenario",
    "read_forecast",
    "run_replication",
    "scenario_from_forecast",
    "scenario_to_toml",
    "simulate",
    "source_rng",
    "staff_search",
    "staff_search_per_interval",
    "summarize",
    "t_quantile",
    "write_scenario",
]
