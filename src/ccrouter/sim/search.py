"""Staffing search: the fewest agents per group that meet every queue's targets, by simulation.

Each candidate staffing (a constant headcount per searched agent group) is simulated with the
same replications and seeds as every other candidate — common random numbers: the customers
(arrival times, handle times, patience) are identical across candidates, so two candidates
differ by their staffing, not by luck, and the search path is reproducible from the seed.

Algorithm (see ``docs/simulation.md``):

1. **Start** from an Erlang bound per group (:func:`~ccrouter.sim.staffing_bound.erlang_start`):
   Erlang C or A for the traffic each group alone can serve, topped up to the answer for all
   targeted traffic pooled.
2. **Add**: while a target is missed, simulate one more agent in each group that can serve a
   queue missing its target, and keep the candidate with the smallest worst shortfall (then the
   smallest total shortfall, then the most slack, then the first group in scenario order).
3. **Remove**: while some group can lose one agent and still meet every target, remove one from
   the group where that leaves the most slack (then the first group). The search stops when
   removing any single agent from any group misses a target: the answer is *minimal* (no agent
   can go), found by a local search, not proven the global fewest in total.

A target is judged on its whole-horizon value (after warm-up): by default on the mean over
replications (``judge="mean"``); ``judge="ci"`` requires the pessimistic end of the 95 %
interval to meet it (service level's lower bound, abandonment's upper bound). A queue with no
arrivals meets its targets.

>>> from ccrouter.sim import Scenario
>>> s = Scenario.from_dict({"horizon": 7200, "warmup": 1800, "interval": 7200,
...     "call_types": [{"name": "c", "arrivals": {"kind": "poisson", "rates_per_hour": [120]},
...                     "handle": {"kind": "exponential", "mean": 120}}],
...     "agent_groups": [{"name": "g", "headcount": [1]}],
...     "targets": {"default": {"service_level": 0.8}}})
>>> result = staff_search(s, replications=3, seed=1)
>>> result.feasible, result.lower_bound, result.staffing
(True, {'g': 7}, {'g': 7})
>>> [(c.phase, c.staffing["g"], c.decision) for c in result.path]
[('start', 7, 'accepted'), ('remove', 6, 'rejected')]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, Literal, Self

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.events import Event, InteractionQueued, OfferAccepted
from ccrouter.sim.confidence import Estimate, estimate
from ccrouter.sim.engines import (
    EngineChoice,
    EngineFallback,
    Resolved,
    resolve_engine,
    run_with_events,
    warm_engine,
)
from ccrouter.sim.jobs import run_jobs
from ccrouter.sim.metric_info import info
from ccrouter.sim.metrics import ReplicationMetrics
from ccrouter.sim.scenario import QueueTarget, Scenario, ScenarioError
from ccrouter.sim.staffing_bound import eligible, erlang_start, target_threshold
from ccrouter.stats._wait_events import WAIT_EVENTS

__all__ = [
    "Candidate",
    "Check",
    "SearchResult",
    "checked_search",
    "erlang_start",
    "run_search_replication",
    "service_levels",
    "staff_search",
]

Judge = Literal["mean", "ci"]
Progress = Callable[[str, int, int], None]
_Judged = tuple[list["Check"], dict[str, dict[str, Estimate]]]
"""A candidate's checks and whole-horizon estimates."""


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """One target judged on one candidate."""

    queue: str
    metric: str
    """``service_level`` (at ``threshold``) or ``abandonment_rate``."""
    goal: float
    threshold: float | None
    estimate: Estimate
    judged: float
    """The value compared with the goal: the mean, or the pessimistic CI end."""
    shortfall: float
    """How far the judged value misses the goal (0 when met)."""

    @property
    def met(self) -> bool:
        return self.shortfall <= 0.0

    @classmethod
    def judging(
        cls,
        queue: str,
        metric: str,
        goal: float,
        threshold: float | None,
        est: Estimate,
        judged: float,
        short: float,
        **where: Any,
    ) -> Self:
        """The check of ``judged`` against ``goal`` (``short``: how far it misses, signed);
        ``where`` adds a subclass's fields (an :class:`IntervalCheck`'s interval)."""
        # nan: the queue had no arrivals in any run, so there was nothing to miss.
        shortfall = max(0.0, short) if not math.isnan(short) else 0.0
        return cls(queue=queue, metric=metric, goal=goal, threshold=threshold, estimate=est,
                   judged=judged, shortfall=shortfall, **where)  # fmt: skip


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A staffing the search simulated, what it achieved, and what the search made of it."""

    index: int
    phase: str
    """``start``, ``add`` or ``remove``."""
    staffing: dict[str, int]
    checks: list[Check]
    overall: dict[str, dict[str, Estimate]]
    """Queue (and ``"all"``) → metric → whole-horizon estimate, as in ``simulate``."""
    decision: str
    """``accepted`` (the search moved here) or ``rejected``."""
    reason: str

    @property
    def met(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def worst_shortfall(self) -> float:
        return max((c.shortfall for c in self.checks), default=0.0)

    @property
    def agents(self) -> int:
        return sum(self.staffing.values())


class SearchResult(msgspec.Struct, frozen=True, kw_only=True):
    """The answer and how the search got there."""

    staffing: dict[str, int]
    """Searched groups → the final constant headcount."""
    feasible: bool
    """Whether the final staffing meets every target (false: ``max_agents`` was reached)."""
    lower_bound: dict[str, int]
    """The Erlang starting point."""
    path: list[Candidate]
    """Every candidate simulated, in order."""
    targets: dict[str, QueueTarget]
    replications: int
    seed: int
    judge: str
    notes: list[str]
    engine: str = "router"
    """The engine every candidate ran on: ``"compiled"`` or ``"router"``."""
    not_compiled: list[str] = []
    """Under ``engine="auto"``: the features that sent the search to the router-driven engine."""
    compile_seconds: float = 0.0
    """Seconds spent compiling (or loading) the kernels before the search."""

    @property
    def final(self) -> Candidate:
        """The last accepted candidate (the answer)."""
        return [c for c in self.path if c.decision == "accepted"][-1]

    def scenario(self, base: Scenario) -> Scenario:
        """``base`` staffed with the answer."""
        return base.with_headcounts({g: [n] for g, n in self.staffing.items()})


# --- one replication ------------------------------------------------------------------------


def run_search_replication(
    scenario: Scenario,
    seed: int,
    index: int,
    thresholds: dict[str, float],
    backend: str | None = None,
    engine: EngineChoice = "auto",
) -> tuple[ReplicationMetrics, dict[str, float]]:
    """Replication ``index`` (the same streams as ``simulate``), with each queue's service level
    at its own target ``thresholds[queue]`` (top-level: executors pickle it).

    Raises:
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
    """
    resolved, _ = resolve_engine(scenario, engine)
    # The per-queue thresholds are read from the events, so this run keeps them.
    metrics, out = run_with_events(scenario, seed, index, resolved, backend)
    return metrics, service_levels(scenario, out.events, thresholds)


def service_levels(
    scenario: Scenario, events: Sequence[Event], thresholds: Mapping[str, float]
) -> dict[str, float]:
    """Each queue's service level at its own threshold: the share of the queue's arrivals
    (first queued in ``[warmup, horizon)``) answered within ``thresholds[queue]`` seconds
    (``nan``: no arrivals)."""
    arrived: dict[str, tuple[float, str]] = {}
    offered = dict.fromkeys(thresholds, 0)
    within = dict.fromkeys(thresholds, 0)
    for e in events:
        match WAIT_EVENTS[type(e)]:
            case "arrived":
                assert isinstance(e, InteractionQueued)
                if (
                    e.queue in thresholds
                    and scenario.warmup <= e.at < scenario.horizon
                    and e.interaction_id not in arrived
                ):
                    arrived[e.interaction_id] = (e.at, e.queue)
                    offered[e.queue] += 1
            case "answered":
                assert isinstance(e, OfferAccepted)
                got = arrived.get(e.interaction_id)
                if got is not None and e.at - got[0] <= thresholds[got[1]]:
                    within[got[1]] += 1
    return {q: within[q] / offered[q] if offered[q] else math.nan for q in thresholds}


# --- the search -----------------------------------------------------------------------------


class _Evaluator:
    """Simulates candidates (memoised), several at once when an executor is given."""

    def __init__(
        self,
        scenario: Scenario,
        targets: Mapping[str, QueueTarget],
        replications: int,
        seed: int,
        executor: Executor | None,
        judge: Judge,
        backend: str | None,
        progress: Progress | None,
        engine: Resolved,
    ) -> None:
        self.scenario = scenario
        self.targets = dict(targets)
        self.thresholds = {q: target_threshold(scenario, t) for q, t in targets.items()}
        self.replications = replications
        self.seed = seed
        self.executor = executor
        self.judge = judge
        self.backend = backend
        self.progress = progress
        self.engine = engine
        self.cache: dict[tuple[tuple[str, int], ...], _Judged] = {}

    def __call__(self, staffings: list[dict[str, int]], label: str) -> list[_Judged]:
        todo = [s for s in staffings if _key(s) not in self.cache]
        todo = list({_key(s): s for s in todo}.values())
        jobs = [(s, r) for s in todo for r in range(self.replications)]
        runs = self._run(jobs, label)
        for n, staffing in enumerate(todo):
            mine = runs[n * self.replications : (n + 1) * self.replications]
            self.cache[_key(staffing)] = self._judge(mine)
        return [self.cache[_key(s)] for s in staffings]

    def _scenario(self, staffing: dict[str, int]) -> Scenario:
        return self.scenario.with_headcounts({g: [n] for g, n in staffing.items()})

    def _run(
        self, jobs: list[tuple[dict[str, int], int]], label: str
    ) -> list[tuple[ReplicationMetrics, dict[str, float]]]:
        total, progress = len(jobs), self.progress
        if progress is not None and total:
            progress(label, 0, total)
        scenarios = {_key(s): self._scenario(s) for s, _ in jobs}
        args = [
            (scenarios[_key(s)], self.seed, r, self.thresholds, self.backend, self.engine)
            for s, r in jobs
        ]
        tell = None if progress is None else (lambda done: progress(label, done, total))
        return run_jobs(self.executor, run_search_replication, args, tell)

    def _judge(self, runs: list[tuple[ReplicationMetrics, dict[str, float]]]) -> _Judged:
        first = runs[0][0]
        overall = {
            scope: {
                m: estimate((r.overall[scope][m] for r, _ in runs), bounds=info(m).bounds)
                for m in metrics
            }
            for scope, metrics in first.overall.items()
        }
        checks = []
        for queue, target in self.targets.items():
            if target.service_level is not None:
                est = estimate((levels[queue] for _, levels in runs), bounds=(0.0, 1.0))
                # Judged on the unclipped end, so that the path ranks candidates as before.
                judged = judged_value(est, self.judge, est.mean - est.half_width)
                short = target.service_level - judged
                checks.append(
                    Check.judging(
                        queue,
                        "service_level",
                        target.service_level,
                        self.thresholds[queue],
                        est,
                        judged,
                        short,
                    )
                )
            if target.max_abandon is not None:
                est = estimate(
                    (r.overall.get(queue, {}).get("abandonment_rate", math.nan) for r, _ in runs),
                    bounds=(0.0, 1.0),
                )
                judged = judged_value(est, self.judge, est.mean + est.half_width)
                short = judged - target.max_abandon
                checks.append(
                    Check.judging(
                        queue, "abandonment_rate", target.max_abandon, None, est, judged, short
                    )
                )
        return checks, overall


def judged_value(est: Estimate, judge: Judge, bound: float) -> float:
    """The CI end with ``judge="ci"`` when there is one (a queue that had arrivals in a single
    run has none: its mean is judged), else the mean."""
    return bound if judge == "ci" and not math.isnan(est.half_width) else est.mean


def _key(staffing: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(staffing.items())


def _label(staffing: Mapping[str, int]) -> str:
    return " ".join(f"{g}={n}" for g, n in staffing.items())


def _missed(checks: list[Check]) -> str:
    worst = max(checks, key=lambda c: c.shortfall)
    name = "SL" if worst.metric == "service_level" else "abandon"
    return f"{worst.queue} {name} {worst.judged:.3f} vs {worst.goal:g}"


def _slack(checks: list[Check]) -> float:
    """How far the tightest target is from being missed (service level and abandonment are
    both fractions of arrivals, so their margins compare)."""
    margins = [
        c.judged - c.goal if c.metric == "service_level" else c.goal - c.judged
        for c in checks
        if not math.isnan(c.judged)
    ]
    return min(margins, default=math.inf)


def checked_search(
    scenario: Scenario,
    targets: Mapping[str, QueueTarget] | None,
    groups: Sequence[str] | None,
    replications: int,
    judge: Judge,
    max_agents: int,
) -> tuple[Scenario, dict[str, QueueTarget], list[str]]:
    """What every staffing search checks first (constant and per interval): the targets (the
    scenario's by default), the replication count for ``judge``, ``max_agents``, and the
    searched groups (default: every group serving a targeted queue; in scenario order, the
    tie-break), each targeted queue served by one of them. Returns the scenario with the
    targets set, the targets and the groups.

    Raises:
        ScenarioError: no targets, an unknown queue or group, or a targeted queue that no
            searched group can serve.
        InvalidArgument: ``replications`` or ``max_agents`` out of range (also ValueError).
    """
    targets = dict(scenario.targets if targets is None else targets)
    if not targets:
        raise ScenarioError("staffing search needs targets: a [targets] table or --sl")
    if max_agents < 1:
        raise InvalidArgument(f"max_agents must be >= 1, got {max_agents}")
    if replications < (2 if judge == "ci" else 1):
        raise InvalidArgument(
            f"replications must be >= {2 if judge == 'ci' else 1}, got {replications}"
        )
    scenario = scenario.replace(targets=targets)  # validates the queues
    names = [g.name for g in scenario.agent_groups]
    targeted = [ct for ct in scenario.call_types if ct.queue in targets]
    if groups is None:
        groups = [g.name for g in scenario.agent_groups if any(eligible(ct, g) for ct in targeted)]
    for g in groups:
        if g not in names:
            raise ScenarioError(f"unknown agent group {g!r} (groups: {', '.join(names)})")
    chosen = [g for g in names if g in groups]
    by_name = {g.name: g for g in scenario.agent_groups}
    for queue in targets:
        if not any(
            eligible(ct, by_name[g]) for ct in targeted if ct.queue == queue for g in chosen
        ):
            raise ScenarioError(f"no searched agent group can serve queue {queue!r}")
    return scenario, targets, chosen


def staff_search(
    scenario: Scenario,
    targets: Mapping[str, QueueTarget] | None = None,
    *,
    replications: int = 10,
    seed: int = 0,
    executor: Executor | None = None,
    groups: Sequence[str] | None = None,
    max_agents: int = 500,
    judge: Judge = "mean",
    start: Mapping[str, int] | None = None,
    backend: str | None = None,
    progress: Progress | None = None,
    engine: EngineChoice = "auto",
) -> SearchResult:
    """Find a minimal constant headcount per agent group meeting every queue's targets.

    Args:
        scenario: the model; its other groups, call types and router are kept as they are.
        targets: queue → :class:`QueueTarget` (default: the scenario's ``[targets]``).
        replications: runs per candidate (the same seeds for every candidate).
        seed: root seed; the search path depends on it alone (not on the executor).
        executor: runs replications (and candidates of one step) in parallel.
        groups: the groups to search (default: every group able to serve a targeted queue).
            Each becomes a constant headcount over the horizon, replacing per-interval
            headcounts or shifts (``notes`` says which).
        max_agents: the most agents the search gives one group.
        judge: ``"mean"`` (the replication mean meets the goal) or ``"ci"`` (the pessimistic
            end of the 95 % interval does).
        start: the staffing of the searched groups to start from (default: the Erlang bound).
        progress: called as ``progress(label, runs_done, runs_total)`` during each step.
        engine: ``"auto"``, ``"compiled"`` or ``"router"`` (:mod:`ccrouter.sim.engines`);
            every candidate runs on the same one (under ``"auto"``, compiled when the
            scenario's features all run compiled; the headcounts do not change that).

    Returns:
        A :class:`SearchResult`; ``feasible`` is false when ``max_agents`` stopped it.
        ``engine`` says which engine ran (``not_compiled``: why not the compiled one).

    Raises:
        ScenarioError: no targets, an unknown queue or group, or a targeted queue that no
            searched group can serve.
        ValueError: ``replications`` below 1 (below 2 with ``judge="ci"``).
        NotCompiled: ``engine="compiled"`` and the scenario uses features not compiled.
    """
    scenario, targets, groups = checked_search(
        scenario, targets, groups, replications, judge, max_agents
    )
    by_name = {g.name: g for g in scenario.agent_groups}
    targeted = [ct for ct in scenario.call_types if ct.queue in targets]
    notes = [
        f"{g}: {'shifts' if by_name[g].shifts else 'per-interval headcount'} replaced by a "
        "constant headcount"
        for g in groups
        if by_name[g].shifts or len(set(by_name[g].headcount or [])) > 1
    ]
    resolved, missing = resolve_engine(scenario, engine, warn=False)
    if missing:
        warnings.warn(EngineFallback.naming(missing), stacklevel=2)
    compile_seconds = warm_engine(resolved)  # once, before any fan-out
    evaluate = _Evaluator(
        scenario, targets, replications, seed, executor, judge, backend, progress, resolved
    )
    if start is None:
        start = erlang_start(scenario, targets, groups)
    elif set(start) != set(groups) or min(start.values(), default=0) < 0:
        raise ScenarioError(f"start must give >= 0 agents to each of: {', '.join(groups)}")
    start = {g: min(int(start[g]), max_agents) for g in groups}
    path: list[Candidate] = []

    def record(
        staffing: dict[str, int], phase: str, decision: str, reason: str, result: _Judged
    ) -> Candidate:
        candidate = Candidate(
            index=len(path),
            phase=phase,
            staffing=dict(staffing),
            checks=result[0],
            overall=result[1],
            decision=decision,
            reason=reason,
        )
        path.append(candidate)
        return candidate

    origin = "Erlang lower bound" if start == erlang_start(scenario, targets, groups) else "given"
    current = record(
        start, "start", "accepted", origin, evaluate([start], f"start {_label(start)}")[0]
    )
    feasible = True
    while not current.met:
        unmet = {c.queue for c in current.checks if not c.met}
        able = [
            g
            for g in groups
            if current.staffing[g] < max_agents
            and any(eligible(ct, by_name[g]) for ct in targeted if ct.queue in unmet)
        ]
        if not able:
            feasible = False
            break
        options = [{**current.staffing, g: current.staffing[g] + 1} for g in able]
        results = evaluate(options, f"add to {current.agents} agents")
        keys = [
            (
                max((c.shortfall for c in r[0]), default=0.0),
                sum(c.shortfall for c in r[0]),
                -_slack(r[0]),
                n,
            )
            for n, r in enumerate(results)
        ]
        best = min(range(len(options)), key=lambda n: keys[n])
        for n, (staffing, result) in enumerate(zip(options, results, strict=True)):
            if n == best:
                continue
            reason = f"worst shortfall {keys[n][0]:.4f}, not better than +1 {able[best]}"
            record(staffing, "add", "rejected", reason, result)
        verdict = "meets every target"
        if keys[best][0] > 0:
            verdict = f"misses {_missed(results[best][0])}"
        current = record(
            options[best],
            "add",
            "accepted",
            f"smallest worst shortfall {keys[best][0]:.4f}; {verdict}",
            results[best],
        )
    while feasible:
        able = [g for g in groups if current.staffing[g] > 0]
        options = [{**current.staffing, g: current.staffing[g] - 1} for g in able]
        results = evaluate(options, f"remove from {current.agents} agents")
        ok = [n for n, r in enumerate(results) if all(c.met for c in r[0])]
        chosen = max(ok, key=lambda n: (_slack(results[n][0]), -n)) if ok else None
        for n, (staffing, result) in enumerate(zip(options, results, strict=True)):
            if n == chosen:
                continue
            if n in ok:
                reason = f"meets every target, less slack than -1 {able[chosen or 0]}"
            else:
                reason = f"misses {_missed(result[0])}"
            record(staffing, "remove", "rejected", reason, result)
        if chosen is None:
            break
        current = record(
            options[chosen],
            "remove",
            "accepted",
            f"meets every target (slack {_slack(results[chosen][0]):.4f})",
            results[chosen],
        )
    return SearchResult(
        staffing=dict(current.staffing),
        feasible=feasible,
        lower_bound=start,
        path=path,
        targets=targets,
        replications=replications,
        seed=seed,
        judge=judge,
        notes=notes,
        engine=resolved,
        not_compiled=missing,
        compile_seconds=compile_seconds,
    )
