"""Per-interval staffing search: the fewest agents per group *per interval* meeting each
interval's targets, by simulation with common random numbers.

:func:`~ccrouter.sim.search.staff_search` finds one constant headcount per group for the whole
horizon; :func:`staff_search_per_interval` finds one per interval, judged on every interval's
own service level and abandonment rate per queue (``docs/staffing.md``, *Per-interval staffing
by simulation*).

Algorithm:

1. **Start** each interval from its own Erlang estimate
   (:func:`~ccrouter.sim.interval_window.interval_erlang`: Erlang C, or A with patience, on that
   interval's traffic at the agents — :func:`~ccrouter.sim.demand.agent_demand`: after the
   self-service stage, with the interval's ``handle_means`` — split among the groups as
   :func:`~ccrouter.sim.staffing_bound.erlang_start` does).
2. **Sweep** the intervals in order. Earlier intervals are fixed; interval ``k`` is searched
   in a window ending one interval after it (interval ``k + 1`` at its Erlang estimate: the
   calls still waiting at the end of ``k`` meet the next interval's staff, not an empty
   center). Later intervals cannot change earlier ones, so nothing after ``k + 1`` is
   simulated. The window starts at interval 0 (``lookback=None``: exact carry-over, the whole
   day's streams) or ``lookback`` intervals before ``k`` and ends with ``k`` (cheaper; streams
   of its own; ``k``'s staff finish its calls). In
   interval ``k``, as in ``staff_search``: **add** one agent to the group that most reduces the
   worst shortfall while a target is missed (ties: cheaper group, more slack, scenario order),
   then **remove** one agent while every target stays met, from the most expensive group that
   can lose one (ties: most slack). With ``lookback=None`` the previous interval's targets are
   judged too: fewer agents in ``k`` leave its waiting calls longer in queue.
3. **Polish** (``polish=True``): where the next interval ended up with more agents in some
   group than its Erlang estimate assumed, try once more to remove agents from the interval,
   in a window ending two intervals after it (the intervals it can affect are judged with
   their final staffing).
4. **Verify** the whole day with the scenario's own replications (``simulate`` with the same
   seed reproduces it) and **repair** any interval that misses a target there by adding agents
   to it in a prefix window (with ``lookback`` set, only misses whose confidence interval lies
   wholly on the wrong side of the goal are repaired: the sweep's windows drew other customers).

With ``targets_over="day"`` each target is judged over the whole day's calls instead
(intervals may fall below it): :mod:`ccrouter.sim.day_search` starts from the same Erlang
estimates and moves one agent-interval at a time on whole-day candidates.

Every candidate uses the same seeds (common random numbers). Replications are sequential:
``min_replications`` first, then doubled up to ``replications`` while some target's 95 % interval
still straddles its goal; a candidate clearly above (or clearly below) is decided early.

>>> from ccrouter.sim import Scenario
>>> s = Scenario.from_dict({"horizon": 5400, "interval": 1800,
...     "call_types": [{"name": "c", "arrivals": {"kind": "poisson",
...         "rates_per_hour": [60, 240, 120]},
...         "handle": {"kind": "exponential", "mean": 120}}],
...     "agent_groups": [{"name": "g", "headcount": [1]}],
...     "targets": {"default": {"service_level": 0.8}}})
>>> r = staff_search_per_interval(s, replications=4, seed=1)
>>> r.requirements, r.erlang, r.feasible
({'g': [4, 10, 7]}, {'g': [4, 11, 7]}, True)
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Literal, TextIO

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.sim.clock import clock_label
from ccrouter.sim.day_search import DaySearch
from ccrouter.sim.demand import agent_demand
from ccrouter.sim.engines import EngineChoice, EngineFallback, resolve_engine, warm_engine
from ccrouter.sim.interval_runs import IntervalCheck, WindowRuns
from ccrouter.sim.interval_steps import IntervalStep, Sweep
from ccrouter.sim.interval_window import interval_erlang
from ccrouter.sim.scenario import QueueTarget, Scenario, ScenarioError
from ccrouter.sim.search import Judge, Progress, checked_search

__all__ = [
    "IntervalCheck",
    "IntervalSearchResult",
    "IntervalStep",
    "TargetsOver",
    "staff_search_per_interval",
]

TargetsOver = Literal["interval", "day"]
"""Where each target is judged: in every interval, or over the whole day's calls."""


class IntervalSearchResult(msgspec.Struct, frozen=True, kw_only=True):
    """The per-interval answer, its whole-day check and the search path."""

    requirements: dict[str, list[int]]
    """Searched group → agents per interval (the answer)."""
    interval_starts: list[float]
    """Each interval's start, seconds."""
    erlang: dict[str, list[int]]
    """Searched group → the Erlang start per interval."""
    checks: list[IntervalCheck]
    """Every target of every interval judged on the whole day with the answer (the
    scenario's own replications: ``simulate`` with the same seed reproduces them)."""
    feasible: bool
    """Whether every check is met on the whole-day check."""
    path: list[IntervalStep]
    targets: dict[str, QueueTarget]
    replications: int
    min_replications: int
    seed: int
    judge: str
    lookback: int | None
    runs: int
    """Window replications simulated (one per distinct threshold counted once)."""
    simulated_intervals: int
    """Intervals simulated over all those runs (the search's cost)."""
    engine: str
    not_compiled: list[str] = []
    compile_seconds: float = 0.0
    notes: list[str] = []
    origin: float = 0.0
    """The scenario's clock time of time 0 (seconds after midnight): the labels' origin."""
    targets_over: TargetsOver = "interval"
    """``"interval"``: every interval met each target; ``"day"``: each target over the whole
    day's calls (``checks`` then says which intervals fall below, ``day_checks`` judges)."""
    day_checks: list[IntervalCheck] = []
    """With ``targets_over="day"``: each queue's targets over the whole day (``interval``
    -1) on the whole-day check."""
    min_agents: int = 0
    """The least agents able to serve each call type kept in every interval with its calls
    (``targets_over="day"``; 0: none)."""

    def scenario(self, base: Scenario) -> Scenario:
        """``base`` staffed with the answer."""
        return base.with_headcounts({g: list(n) for g, n in self.requirements.items()})

    @property
    def unmet(self) -> list[IntervalCheck]:
        """The interval checks that miss their goal (with daily targets: the intervals below
        target, which the day makes up for)."""
        return [c for c in self.checks if not c.met]

    def write_csv(self, out: TextIO) -> None:
        """The requirements as CSV: a header ``interval_start,<group>,...`` then one row per
        interval (its clock time, ``origin`` + its start, then agents per group): the input of
        shift scheduling (``ccrouter schedule``), which reads the clock times back.

        >>> import io
        >>> r = IntervalSearchResult(requirements={"a": [3, 4], "b": [0, 1]},
        ...     interval_starts=[0.0, 1800.0], erlang={}, checks=[], feasible=True, path=[],
        ...     targets={}, replications=1, min_replications=1, seed=0, judge="mean",
        ...     lookback=None, runs=0, simulated_intervals=0, engine="compiled")
        >>> buf = io.StringIO(); r.write_csv(buf); print(buf.getvalue().replace("\\r", ""), end="")
        interval_start,a,b
        00:00,3,0
        00:30,4,1
        """
        writer = csv.writer(out)
        groups = list(self.requirements)
        writer.writerow(["interval_start", *groups])
        for k, start in enumerate(self.interval_starts):
            label = clock_label(self.origin + start)
            writer.writerow([label, *(self.requirements[g][k] for g in groups)])


def _validate(
    scenario: Scenario,
    targets: Mapping[str, QueueTarget] | None,
    groups: Sequence[str] | None,
    replications: int,
    min_replications: int | None,
    judge: Judge,
    max_agents: int,
    lookback: int | None,
    costs: Mapping[str, float] | None,
    targets_over: str,
    min_agents: int,
) -> tuple[Scenario, dict[str, QueueTarget], list[str], int, dict[str, float]]:
    if targets_over not in ("interval", "day"):
        msg = f"targets_over must be 'interval' or 'day', got {targets_over!r}"
        raise InvalidArgument(msg)
    if isinstance(min_agents, bool) or not isinstance(min_agents, int) or min_agents < 0:
        raise InvalidArgument(f"min_agents: expected an integer >= 0, got {min_agents!r}")
    if min_agents and targets_over != "day":
        msg = "min_agents goes with targets_over='day' (per-interval targets staff every "
        raise InvalidArgument(f"{msg}interval to its own calls), got min_agents={min_agents}")
    if min_agents > max_agents:
        msg = f"min_agents: expected at most max_agents ({max_agents}), got {min_agents}"
        raise InvalidArgument(msg)
    if targets_over == "day" and lookback is not None:
        msg = "lookback goes with targets_over='interval' (daily targets simulate whole days)"
        msg += f", got {lookback}"
        raise InvalidArgument(msg)
    scenario, targets, chosen = checked_search(
        scenario, targets, groups, replications, judge, max_agents
    )
    least = 2 if judge == "ci" else 1
    first = min(4, replications) if min_replications is None else min_replications
    if not least <= first <= replications:
        msg = f"min_replications must be in {least}..{replications} (replications), got {first}"
        raise InvalidArgument(msg)
    if lookback is not None and lookback < 0:
        raise InvalidArgument(f"lookback must be >= 0 intervals or None, got {lookback}")
    if scenario.campaigns:
        raise ScenarioError("the per-interval search does not take outbound campaigns")
    shifts = [g.name for g in scenario.agent_groups if g.shifts and g.name not in chosen]
    if lookback is not None and shifts:
        msg = f"lookback: windows starting after interval 0 cannot cut the shifts of {shifts[0]!r}"
        raise ScenarioError(msg + " (search that group too, or use lookback=None)")
    cost = dict.fromkeys(chosen, 1.0)
    for g, c in (costs or {}).items():
        if g not in cost or not c > 0:
            raise InvalidArgument(
                f"costs: expected a positive cost of a searched group, got {g}={c}"
            )
        cost[g] = float(c)
    return scenario, targets, chosen, first, cost


def staff_search_per_interval(
    scenario: Scenario,
    targets: Mapping[str, QueueTarget] | None = None,
    *,
    replications: int = 10,
    min_replications: int | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    groups: Sequence[str] | None = None,
    max_agents: int = 500,
    judge: Judge = "mean",
    costs: Mapping[str, float] | None = None,
    lookback: int | None = None,
    polish: bool = True,
    backend: str | None = None,
    progress: Progress | None = None,
    engine: EngineChoice = "auto",
    targets_over: TargetsOver = "interval",
    min_agents: int = 0,
) -> IntervalSearchResult:
    """Find a minimal headcount per agent group and interval meeting every interval's targets
    (or, with ``targets_over="day"``, each target over the whole day's calls).

    Args:
        scenario: the model; its other groups, call types and router are kept as they are.
        targets: queue → :class:`QueueTarget`, each judged in every interval (default: the
            scenario's ``[targets]``).
        replications: most runs per candidate (the same seeds for every candidate).
        min_replications: runs per candidate before the first verdict (default
            ``min(4, replications)``); set it to ``replications`` for fixed-size judging.
        seed: root seed.
        executor: runs replications in parallel (a ``ProcessPoolExecutor``); the answer does
            not depend on it.
        groups: the agent groups to staff (default: every group serving a targeted queue).
        max_agents: most agents of one group in one interval.
        judge: ``"mean"`` (the replication mean meets the goal) or ``"ci"`` (the pessimistic
            end of the 95 % interval does).
        costs: searched group → cost of one agent (default 1 each): removals try the most
            expensive group first, additions prefer the cheaper of equally useful groups.
        lookback: ``None`` simulates every candidate from interval 0 (exact carry-over, the
            whole day's streams); an integer starts each window that many intervals earlier
            (faster; each window draws its own customers).
        polish: after the sweep, try to remove one more agent per interval and group.
        backend: the routing backend of the router-driven engine.
        progress: called as ``progress(label, done, total)`` as intervals are decided.
        engine: ``"auto"``, ``"compiled"`` or ``"router"`` (:mod:`ccrouter.sim.engines`).
        targets_over: ``"interval"`` (every interval meets each target) or ``"day"`` (each
            target holds over all the day's calls of its queue; intervals may fall below it:
            :mod:`ccrouter.sim.day_search`, whose candidates are whole days; ``polish`` then
            makes the answer one from which no single agent-interval can go).
        min_agents: with ``targets_over="day"``: every interval where a call type has calls
            reaching the agents keeps at least this many agents of the searched groups able
            to serve it (together), so no quiet interval is left without anyone to answer;
            intervals without calls may still have none. 0 (the default): no minimum.

    Returns:
        An :class:`IntervalSearchResult`: requirements per group and interval, the whole-day
        check of every target, and the search path.

    Raises:
        ScenarioError: no targets, an unknown group, a targeted queue no searched group can
            serve, outbound campaigns, or (with ``lookback``) unsearched groups on shifts.
        InvalidArgument: a replication count, ``max_agents``, ``lookback`` or a cost out of
            range, an unknown ``targets_over``, ``lookback`` with daily targets, or
            ``min_agents`` negative, not an integer, above ``max_agents`` or without daily
            targets (also ValueError).
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
    """
    scenario, targets, chosen, first, cost = _validate(
        scenario,
        targets,
        groups,
        replications,
        min_replications,
        judge,
        max_agents,
        lookback,
        costs,
        targets_over,
        min_agents,
    )
    resolved, missing = resolve_engine(scenario, engine, warn=False)
    if missing:
        warnings.warn(EngineFallback.naming(missing), stacklevel=2)
    compile_seconds = warm_engine(resolved)
    n = scenario.n_intervals
    demand = agent_demand(scenario)
    erlang = [interval_erlang(scenario, k, targets, chosen, demand) for k in range(n)]
    plan = {g: [min(max_agents, erlang[k][g]) for k in range(n)] for g in chosen}
    runs = WindowRuns(
        scenario, targets, replications, first, seed, executor, judge, backend, resolved
    )
    day_checks: list[IntervalCheck] = []
    if targets_over == "day":
        daily = DaySearch(
            scenario, chosen, plan, runs, cost, max_agents, progress, min_agents=min_agents
        )
        day_checks, checks = daily.search(polish)
        feasible = all(c.met for c in day_checks)
        path = daily.path
    else:
        search = Sweep(scenario, chosen, plan, runs, cost, max_agents, lookback)
        for k in range(n):
            search.sweep(k)
            if progress is not None:
                progress("per-interval search", k + 1, n)
        if polish:
            for k in range(n):
                search.polish(k)
                if progress is not None:
                    progress("polish", k + 1, n)
        checks = search.verify(progress)
        feasible = search.feasible(checks)
        path = search.path
    notes = [
        f"{g}: shifts replaced by a headcount per interval"
        for g in scenario.agent_groups
        if g.name in chosen and g.shifts
    ]
    if scenario.warmup > 0:
        notes.append("warm-up ignored: every interval is judged")
    if min_agents:
        notes.append(
            f"daily targets: at least {min_agents} agent(s) able to serve each call type in "
            "every interval with its calls"
        )
    below = sorted({c.interval for c in checks if not c.met})
    if targets_over == "day" and below:
        notes.append(f"daily targets: {len(below)} of {n} intervals below a target")
        called = {c.interval for c in checks if c.estimate.n > 0}
        empty = [k for k in range(n) if k in called and not any(plan[g][k] for g in chosen)]
        if empty:
            labels = ", ".join(clock_label(scenario.origin + k * scenario.interval) for k in empty)
            notes.append(f"daily targets: no agent searched in intervals with calls: {labels}")
    return IntervalSearchResult(
        requirements={g: list(v) for g, v in plan.items()},
        interval_starts=[k * scenario.interval for k in range(n)],
        origin=scenario.origin,
        erlang={g: [erlang[k][g] for k in range(n)] for g in chosen},
        checks=checks,
        feasible=feasible,
        path=path,
        targets=targets,
        replications=replications,
        min_replications=first,
        seed=seed,
        judge=judge,
        lookback=lookback,
        runs=runs.runs,
        simulated_intervals=runs.simulated_intervals,
        engine=resolved,
        not_compiled=missing,
        compile_seconds=compile_seconds,
        notes=notes,
        targets_over=targets_over,
        day_checks=day_checks,
        min_agents=min_agents,
    )
