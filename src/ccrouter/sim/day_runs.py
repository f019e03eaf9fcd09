"""Whole-day replications for the daily-target staffing search, kept and judged.

:class:`DayRuns` simulates a plan (agents per searched group per interval) over the whole day,
from the scenario's own replication streams (replication ``r`` of every plan draws the same
customers: common random numbers; ``simulate`` with the same seed reproduces a plan's runs),
keeps each plan's runs (a larger sample reuses them) and judges each queue's targets over all
the day's calls (service level and abandonment rate of the day: calls weighted as they come,
not intervals averaged) with the sequential sampling of
:class:`~ccrouter.sim.interval_runs.WindowRuns`, whose settings, counters and executor it
shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ccrouter.sim.confidence import Estimate
from ccrouter.sim.interval_runs import DAY, IntervalCheck, WindowRuns, interval_estimate
from ccrouter.sim.interval_window import DayValues, run_day, window_scenario
from ccrouter.sim.jobs import run_jobs

__all__ = ["DayRuns", "Plan", "plan_key"]

Plan = tuple[tuple[str, tuple[int, ...]], ...]
"""A plan as a key: each searched group with its agents per interval."""


def plan_key(plan: Mapping[str, Sequence[int]]) -> Plan:
    """``plan`` (group → agents per interval) as a hashable :data:`Plan`."""
    return tuple((g, tuple(int(x) for x in counts)) for g, counts in plan.items())


class DayRuns:
    """Runs, keeps and judges whole-day replications of plans (see the module docstring)."""

    def __init__(self, runs: WindowRuns) -> None:
        self.runs = runs
        self.n = runs.scenario.n_intervals
        self.kept: dict[Plan, list[DayValues]] = {}

    def ensure(self, plans: Sequence[Plan], n: int) -> None:
        """Make sure each plan has at least ``n`` replications kept."""
        w = self.runs
        jobs = [
            (plan, r)
            for plan in dict.fromkeys(plans)
            for r in range(len(self.kept.setdefault(plan, [])), n)
        ]
        if not jobs:
            return
        days = {
            plan: window_scenario(w.scenario, 0, self.n - 1, {g: list(c) for g, c in plan})
            for plan, _ in jobs
        }
        args = [
            (days[plan], w.seed, r, w.thresholds, w.engine, w.backend, w.one_run)
            for plan, r in jobs
        ]
        results = run_jobs(w.executor, run_day, args)
        for (plan, _), values in zip(jobs, results, strict=True):
            self.kept[plan].append(values)
            w.runs += 1
            w.simulated_intervals += self.n

    def checks(self, plan: Plan, n: int) -> list[IntervalCheck]:
        """Each queue's targets over the whole day (``interval`` :data:`DAY`), judged on the
        plan's first ``n`` replications."""
        runs = self.kept[plan][:n]
        out = []
        for queue in self.runs.targets:
            levels = [r[queue][0] for r in runs]
            out.extend(self.runs.judged(queue, levels, [r[queue][1] for r in runs], DAY))
        return out

    def interval_checks(self, plan: Plan, n: int) -> list[IntervalCheck]:
        """Each interval's targets judged on the plan's first ``n`` whole-day replications."""
        runs = self.kept[plan][:n]
        out = []
        for k in range(self.n):
            for queue in self.runs.targets:
                levels = [r[queue][2][k] for r in runs]
                out.extend(self.runs.judged(queue, levels, [r[queue][3][k] for r in runs], k))
        return out

    def assess(
        self, plans: Sequence[Plan], base: Plan | None = None
    ) -> list[tuple[list[IntervalCheck], int]]:
        """Each plan's day checks and the replications they rest on.

        Without ``base`` (or with ``judge="ci"``) every plan is judged on its own ``most``
        replications. With ``base`` (a plan already judged, usually the current one) a plan is
        judged by its *paired* difference from it: ``base``'s mean over ``most`` replications
        plus the mean difference over the first ``n``, ``n`` starting at ``first`` and
        doubling while some verdict is unclear (the 95 % interval of the difference straddles
        the goal); at ``most`` it is the plan's own mean. Common random numbers make the
        difference far less noisy than either plan, so few replications tell most plans apart,
        and a verdict never rests on a lucky first few replications of the plan alone.
        """
        most = self.runs.most
        if base is None or self.runs.judge != "mean":
            self.ensure(plans, most)
            return [(self.checks(plan, most), most) for plan in plans]
        self.ensure([base], most)
        n = min(self.runs.first, most)
        done: dict[int, tuple[list[IntervalCheck], int]] = {}
        pending = list(range(len(plans)))
        while pending:
            self.ensure([plans[i] for i in pending], n)
            still = []
            for i in pending:
                if n >= most:
                    done[i] = (self.checks(plans[i], most), most)
                    continue
                checks = self._paired(plans[i], base, n)
                # The 95 % interval of the difference (not the windows' 80 %): a daily verdict
                # decides many later ones, which all start from the plan it accepts.
                if all(c.clear and c.met for c in checks) or any(
                    c.clear and not c.met for c in checks
                ):
                    done[i] = (checks, n)
                else:
                    still.append(i)
            pending = still
            n = min(most, 2 * n)
        return [done[i] for i in range(len(plans))]

    def _paired(self, plan: Plan, base: Plan, n: int) -> list[IntervalCheck]:
        """``plan``'s day checks estimated as ``base``'s full mean plus the mean paired
        difference over the first ``n`` replications (its 95 % interval: the difference's)."""
        b_runs, p_runs = self.kept[base][: self.runs.most], self.kept[plan][:n]
        out = []
        for queue, target in self.runs.targets.items():
            for index, metric, goal in ((0, "service_level", target.service_level),
                                        (1, "abandonment_rate", target.max_abandon)):  # fmt: skip
                if goal is None:
                    continue
                base_mean = interval_estimate([_day(r, queue, index) for r in b_runs]).mean
                pairs = zip(p_runs, b_runs[:n], strict=True)
                diffs = interval_estimate([_day(p, queue, index) - _day(b, queue, index)
                                           for p, b in pairs])  # fmt: skip
                est = Estimate(mean=base_mean + diffs.mean, half_width=diffs.half_width,
                               sd=diffs.sd, n=diffs.n)  # fmt: skip
                short = goal - est.mean if index == 0 else est.mean - goal
                threshold = self.runs.thresholds_of[queue] if index == 0 else None
                out.append(IntervalCheck.judging(queue, metric, goal, threshold, est, est.mean,
                                                 short, interval=DAY))  # fmt: skip
        return out


def _day(values: DayValues, queue: str, index: int) -> float:
    """The day's service level (``index`` 0) or abandonment rate (1) of ``queue``."""
    return values[queue][0] if index == 0 else values[queue][1]
