"""Replications of windows for the per-interval staffing search, kept and judged.

:class:`WindowRuns` runs the replications of windows (:mod:`ccrouter.sim.interval_window`),
keeps each window's runs (a later, larger sample reuses them: replication ``r`` of a window is
always the same run), and judges interval targets on them with sequential sampling: a candidate
gets ``first`` replications, then twice as many up to ``most`` while some target's 95 %
interval still straddles its goal.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Literal

from ccrouter.sim.confidence import Estimate, t_quantile
from ccrouter.sim.engines import Resolved
from ccrouter.sim.interval_fold import one_pass
from ccrouter.sim.interval_window import WindowValues, run_window, window_scenario
from ccrouter.sim.jobs import run_jobs
from ccrouter.sim.scenario import QueueTarget, Scenario
from ccrouter.sim.search import Check, judged_value
from ccrouter.sim.staffing_bound import target_threshold

__all__ = ["DAY", "IntervalCheck", "Spec", "WindowRuns", "interval_estimate", "settled"]

DAY = -1
"""The ``interval`` of a check judged over the whole day (``targets_over="day"``)."""

Spec = tuple[int, int, tuple[tuple[str, tuple[int, ...]], ...]]
"""A window to simulate: first and last interval, and each searched group's headcounts."""


class IntervalCheck(Check, frozen=True, kw_only=True):
    """One target of one interval judged on one candidate (a :class:`Check` of the constant
    search, placed in its interval)."""

    interval: int
    """The interval judged (:data:`DAY`, -1: the whole day)."""

    @property
    def clear(self) -> bool:
        """Whether the 95 % interval lies wholly on one side of the goal (or the interval had
        no calls): more replications would hardly change the verdict."""
        e = self.estimate
        if math.isnan(e.mean):
            return True
        if math.isnan(e.half_width):
            return False
        return not e.lower <= self.goal <= e.upper

    @property
    def margin(self) -> float:
        """How far the judged value is on the right side of the goal (negative: missed)."""
        if math.isnan(self.judged):
            return math.inf
        if self.metric == "service_level":
            return self.judged - self.goal
        return self.goal - self.judged


EARLY = 0.80
"""Confidence of the early verdict: a candidate is settled before ``most`` replications when
every target's 80 % interval lies on one side of its goal (the verdict itself is the judge's,
on the 95 % interval)."""


@functools.cache
def _t(df: int, level: float = 0.95) -> float:
    return t_quantile(0.5 + level / 2.0, df)


def interval_estimate(values: Sequence[float]) -> Estimate:
    """Mean and 95 % Student-t interval of the defined values (``estimate`` with the quantile
    cached: the search makes many thousands)."""
    xs = [x for x in values if not math.isnan(x)]
    n = len(xs)
    if n == 0:
        return Estimate(mean=math.nan, half_width=math.nan, sd=math.nan, n=0)
    mean = math.fsum(xs) / n
    if n == 1:
        return Estimate(mean=mean, half_width=math.nan, sd=math.nan, n=1)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    return Estimate(mean=mean, half_width=_t(n - 1) * sd / math.sqrt(n), sd=sd, n=n)


class WindowRuns:
    """Runs, keeps and judges window replications (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        targets: Mapping[str, QueueTarget],
        most: int,
        first: int,
        seed: int,
        executor: Executor | None,
        judge: Literal["mean", "ci"],
        backend: str | None,
        engine: Resolved,
    ) -> None:
        self.scenario = scenario
        self.targets = dict(targets)
        self.most = most
        self.first = first
        self.seed = seed
        self.executor = executor
        self.judge = judge
        self.backend = backend
        self.engine = engine
        by: dict[float, list[str]] = {}
        for queue, target in targets.items():
            # Abandonment alone does not care for the threshold: judge it on the default run.
            at = target_threshold(scenario, target) if target.service_level else scenario.threshold
            by.setdefault(at, []).append(queue)
        self.thresholds = by
        # Several thresholds from one run where the interaction table tells them all.
        self.one_run = engine == "compiled" and len(by) > 1 and one_pass(scenario)
        self.thresholds_of = {q: target_threshold(scenario, t) for q, t in targets.items()}
        self.kept: dict[Spec, list[WindowValues]] = {}
        self.runs = 0
        self.simulated_intervals = 0

    def _window(self, spec: Spec) -> Scenario:
        lo, hi, counts = spec
        return window_scenario(self.scenario, lo, hi, {g: list(c) for g, c in counts})

    def ensure(self, specs: Sequence[Spec], n: int) -> None:
        """Make sure each window has at least ``n`` replications kept."""
        jobs = [
            (spec, r)
            for spec in dict.fromkeys(specs)
            for r in range(len(self.kept.setdefault(spec, [])), n)
        ]
        if not jobs:
            return
        windows = {spec: self._window(spec) for spec, _ in jobs}
        args = [
            (
                windows[spec],
                self.seed,
                r,
                spec[0],
                self.thresholds,
                self.engine,
                self.backend,
                self.one_run,
            )
            for spec, r in jobs
        ]
        results = run_jobs(self.executor, run_window, args)
        for (spec, _), values in zip(jobs, results, strict=True):
            self.kept[spec].append(values)
            self.runs += 1
            self.simulated_intervals += spec[1] - spec[0] + 1

    def checks(self, spec: Spec, n: int, intervals: Sequence[int]) -> list[IntervalCheck]:
        """The targets of ``intervals`` judged on the window's first ``n`` replications."""
        lo = spec[0]
        runs = self.kept[spec][:n]
        out = []
        for j in intervals:
            for queue in self.targets:
                levels = [r[queue][0][j - lo] for r in runs]
                out.extend(self.judged(queue, levels, [r[queue][1][j - lo] for r in runs], j))
        return out

    def judged(
        self, queue: str, levels: Sequence[float], abandons: Sequence[float], interval: int
    ) -> list[IntervalCheck]:
        """``queue``'s targets judged on a sample of its service levels and abandonment rates
        (one per replication) in ``interval`` (:data:`DAY`: over the whole day)."""
        target = self.targets[queue]
        out = []
        if target.service_level is not None:
            est = interval_estimate(levels)
            judged = judged_value(est, self.judge, est.lower)
            out.append(
                IntervalCheck.judging(queue, "service_level", target.service_level,
                                      self.thresholds_of[queue], est, judged,
                                      target.service_level - judged, interval=interval)
            )  # fmt: skip
        if target.max_abandon is not None:
            est = interval_estimate(abandons)
            judged = judged_value(est, self.judge, est.upper)
            out.append(
                IntervalCheck.judging(queue, "abandonment_rate", target.max_abandon, None, est,
                                      judged, judged - target.max_abandon, interval=interval)
            )  # fmt: skip
        return out

    def assess(
        self, specs: Sequence[Spec], intervals: Sequence[int], fixed: bool = False
    ) -> list[tuple[list[IntervalCheck], int]]:
        """Each window's checks of ``intervals`` and the replications they rest on: ``first``
        replications, doubled while some verdict is unclear, up to ``most`` (``fixed``: always
        ``most``)."""
        n = self.most if fixed else self.first
        done: dict[int, tuple[list[IntervalCheck], int]] = {}
        pending = list(range(len(specs)))
        while pending:
            self.ensure([specs[i] for i in pending], n)
            still = []
            for i in pending:
                checks = self.checks(specs[i], n, intervals)
                if n >= self.most or settled(checks):
                    done[i] = (checks, n)
                else:
                    still.append(i)
            pending = still
            n = min(self.most, 2 * n)
        return [done[i] for i in range(len(specs))]


def _side(check: IntervalCheck) -> int:
    """+1: the ``EARLY`` interval lies wholly on the met side of the goal; -1: wholly on the
    missed side; 0: it straddles the goal (or cannot be told yet)."""
    e = check.estimate
    if math.isnan(e.mean):
        return 1
    if math.isnan(e.sd) or e.n < 2:
        return 0
    half = _t(e.n - 1, EARLY) * e.sd / math.sqrt(e.n)
    margin = e.mean - check.goal if check.metric == "service_level" else check.goal - e.mean
    if margin > half and check.met:
        return 1
    if margin < -half and not check.met:
        return -1
    return 0


def settled(checks: Sequence[IntervalCheck]) -> bool:
    """An early verdict: every target plainly met, or one plainly missed."""
    sides = [_side(c) for c in checks]
    return all(s == 1 for s in sides) or any(s == -1 for s in sides)
